//! Bad input, one snapshot per kind: every run goes through the real binary,
//! exits with 2 (a project no index has: 1, the answer "no"), and leaves the
//! previous `requirements.txt` byte for byte as it was. Parse errors name `file:line:column` (columns count chars, a tab
//! is one), show the line with a caret under the problem (a long line as a
//! window around the caret), and name the `-r`/`-c` chain that led to the
//! file. Network errors name the URL without credentials.

use crate::support::faults::FaultServer;
use crate::support::{RunningIndex, TestContext, TestIndex};

/// The lockfile every test starts from; no failure may touch it.
const PREVIOUS_LOCKFILE: &str = "# an earlier run\nsix==1.16.0\n    # via -r requirements.in\n";

/// An index with `six`, so that input that wrongly parses resolves and the
/// exit code assertion fails.
fn index() -> RunningIndex {
    TestIndex::new().package("six", "1.16.0", |p| p).serve()
}

fn context(index: &RunningIndex) -> TestContext {
    let context = TestContext::new().with_index(index);
    context.write("requirements.txt", PREVIOUS_LOCKFILE);
    context
}

/// Runs `plinth compile <args> -o requirements.txt` against `index_url` with
/// the hermetic target; asserts exit code 2 and the lockfile untouched, and
/// renders the run.
fn compile_fails(context: &TestContext, index_url: &str, args: &[&str]) -> String {
    let args: Vec<String> = std::iter::once("compile")
        .chain(args.iter().copied())
        .chain(context.python_args())
        .chain(["-o", "requirements.txt", "--index-url", index_url])
        .map(ToString::to_string)
        .collect();
    assert_fails_keeping_lockfile(context, context.run(&args))
}

/// Asserts exit code 2 and the lockfile untouched; renders the run.
fn assert_fails_keeping_lockfile(context: &TestContext, output: std::process::Output) -> String {
    assert_exits_keeping_lockfile(context, output, 2)
}

fn assert_exits_keeping_lockfile(
    context: &TestContext,
    output: std::process::Output,
    code: i32,
) -> String {
    let rendered = context.render(&output);
    assert_eq!(output.status.code(), Some(code), "{rendered}");
    let lockfile = std::fs::read(context.path("requirements.txt")).expect("read the lockfile");
    assert_eq!(
        lockfile,
        PREVIOUS_LOCKFILE.as_bytes(),
        "the previous lockfile changed: {rendered}"
    );
    rendered
}

/// `requirements.in` holding `content`, compiled against a working index.
fn compile_input(content: impl AsRef<[u8]>) -> String {
    let index = index();
    let context = context(&index);
    context.write("requirements.in", content);
    compile_fails(&context, &index.url(), &["requirements.in"])
}

// 1. Requirement lines.

#[test]
fn invalid_name() {
    assert_run_snapshot!(compile_input("six\n_six>=1\n"), @"
    success: false
    exit_code: 2
    ----- stdout -----

    ----- stderr -----
    error: Invalid requirement at `requirements.in:2:1`: Expected package name starting with an alphanumeric character, found `_`
      _six>=1
      ^
    ");
}

#[test]
fn name_ending_in_punctuation() {
    assert_run_snapshot!(compile_input("six.\n"), @"
    success: false
    exit_code: 2
    ----- stdout -----

    ----- stderr -----
    error: Invalid requirement at `requirements.in:1:4`: Package name must end with an alphanumeric character, not `.`
      six.
         ^
    ");
}

#[test]
fn invalid_specifier() {
    assert_run_snapshot!(compile_input("six>=>1.0\n"), @r#"
    success: false
    exit_code: 2
    ----- stdout -----

    ----- stderr -----
    error: Invalid requirement at `requirements.in:1:4`: no such comparison operator ">=>", must be one of ~= == != <= >= < > ===
      six>=>1.0
         ^^^^^^
    "#);
}

#[test]
fn invalid_marker() {
    assert_run_snapshot!(compile_input("six ; python_versio < \"3.12\"\n"), @r#"
    success: false
    exit_code: 2
    ----- stdout -----

    ----- stderr -----
    error: Invalid requirement at `requirements.in:1:7`: Expected a quoted string or a valid marker name, found `python_versio`
      six ; python_versio < "3.12"
            ^^^^^^^^^^^^^
    "#);
}

#[test]
fn invalid_url() {
    assert_run_snapshot!(compile_input("six @ https://files.example:99999/six-1.16.0-py3-none-any.whl\n"), @"
    success: false
    exit_code: 2
    ----- stdout -----

    ----- stderr -----
    error: Invalid requirement at `requirements.in:1:7`: invalid port number
      six @ https://files.example:99999/six-1.16.0-py3-none-any.whl
            ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^
    ");
}

#[test]
fn invalid_extra_name() {
    assert_run_snapshot!(compile_input("six[-tests]\n"), @"
    success: false
    exit_code: 2
    ----- stdout -----

    ----- stderr -----
    error: Invalid requirement at `requirements.in:1:5`: Expected an alphanumeric character starting the extra name, found `-`
      six[-tests]
          ^
    ");
}

#[test]
fn credentials_in_a_shown_line_are_masked_keeping_columns() {
    assert_run_snapshot!(compile_input("six @ https://user:hunter2@files example/six-1.16.0-py3-none-any.whl\n"), @"
    success: false
    exit_code: 2
    ----- stdout -----

    ----- stderr -----
    error: Invalid requirement at `requirements.in:1:7`: invalid international domain name
      six @ https://user:*******@files example/six-1.16.0-py3-none-any.whl
            ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^
    ");
}

// 2. Options.

#[test]
fn unknown_option() {
    assert_run_snapshot!(compile_input("six\n--frobnicate\n"), @"
    success: false
    exit_code: 2
    ----- stdout -----

    ----- stderr -----
    error: Unknown option at `requirements.in:2:1`: `--frobnicate`
      --frobnicate
      ^^^^^^^^^^^^
      hint: requirements files take `-r`, `-c`, `-e`, `-i`/`--index-url`, `--extra-index-url`, `-f`/`--find-links`, `--no-index`, `--pre`, and `--hash` after a requirement
    ");
}

#[test]
fn flag_given_a_value() {
    assert_run_snapshot!(compile_input("--pre=yes\nsix\n"), @"
    success: false
    exit_code: 2
    ----- stdout -----

    ----- stderr -----
    error: Invalid option at `requirements.in:1:1`: `--pre` does not take a value
      --pre=yes
      ^^^^^^^^^
    ");
}

#[test]
fn option_after_a_requirement() {
    assert_run_snapshot!(compile_input("six --pre\n"), @"
    success: false
    exit_code: 2
    ----- stdout -----

    ----- stderr -----
    error: Invalid option at `requirements.in:1:5`: `--pre` must be on a line of its own, not after a requirement
      six --pre
          ^^^^^
    ");
}

#[test]
fn unsupported_option() {
    assert_run_snapshot!(compile_input("--prefer-binary\nsix\n"), @"
    success: false
    exit_code: 2
    ----- stdout -----

    ----- stderr -----
    error: Unsupported option at `requirements.in:1:1`: `--prefer-binary` is not supported yet
      --prefer-binary
      ^^^^^^^^^^^^^^^
    ");
}

#[test]
fn empty_requirement_after_r() {
    assert_run_snapshot!(compile_input("six\n-r\n"), @"
    success: false
    exit_code: 2
    ----- stdout -----

    ----- stderr -----
    error: Invalid option at `requirements.in:2:1`: `-r` requires a value
      -r
      ^^
    ");
}

#[test]
fn index_url_that_is_not_a_url() {
    assert_run_snapshot!(compile_input("--index-url pypi.internal/simple\nsix\n"), @"
    success: false
    exit_code: 2
    ----- stdout -----

    ----- stderr -----
    error: Invalid index URL at `requirements.in:1:13`: `pypi.internal/simple` is not an index URL: relative URL without a base
      --index-url pypi.internal/simple
                  ^^^^^^^^^^^^^^^^^^^^
      hint: give an absolute URL, e.g. `https://pypi.org/simple/`
    ");
}

#[test]
fn index_url_with_another_scheme() {
    assert_run_snapshot!(compile_input("--extra-index-url ftp://mirror.example/simple\nsix\n"), @"
    success: false
    exit_code: 2
    ----- stdout -----

    ----- stderr -----
    error: Invalid index URL at `requirements.in:1:19`: `ftp://mirror.example/simple` is not an index URL: the scheme is `ftp`, not `http`, `https` or `file`
      --extra-index-url ftp://mirror.example/simple
                        ^^^^^^^^^^^^^^^^^^^^^^^^^^^
      hint: give an absolute URL, e.g. `https://pypi.org/simple/`
    ");
}

#[test]
fn unclosed_quote() {
    assert_run_snapshot!(compile_input("--index-url 'https://pypi.org/simple/\nsix\n"), @"
    success: false
    exit_code: 2
    ----- stdout -----

    ----- stderr -----
    error: Invalid option at `requirements.in:1:13`: The quote is not closed
      --index-url 'https://pypi.org/simple/
                  ^
    ");
}

#[test]
fn continuation_at_the_end_of_the_file() {
    assert_run_snapshot!(compile_input("six \\"), @r"
    success: false
    exit_code: 2
    ----- stdout -----

    ----- stderr -----
    error: Invalid line continuation at `requirements.in:1:5`: The file ends after this `\`, so the line continues onto nothing
      six \
          ^
      hint: remove the `\`, or restore the line it should continue onto
    ");
}

// 3. Includes.

#[test]
fn missing_r_file() {
    assert_run_snapshot!(compile_input("six\n-r base.in\n"), @"
    success: false
    exit_code: 2
    ----- stdout -----

    ----- stderr -----
    error: Failed to read `base.in` at `requirements.in:2:4`: No such file or directory (os error 2)
      -r base.in
         ^^^^^^^
      hint: a `-r`/`-c` path is relative to the directory of the file that names it
    ");
}

#[test]
fn include_cycle() {
    let index = index();
    let context = context(&index);
    context.write("requirements.in", "-r requirements/base.in\n");
    context.write("requirements/base.in", "six\n-r common.in\n");
    context.write("requirements/common.in", "-r base.in\n");
    assert_run_snapshot!(compile_fails(&context, &index.url(), &["requirements.in"]), @"
    success: false
    exit_code: 2
    ----- stdout -----

    ----- stderr -----
    error: Include cycle at `requirements/common.in:1:4`: `requirements/base.in` -> `requirements/common.in` -> `requirements/base.in`
      -r base.in
         ^^^^^^^
      included from `requirements/base.in:2`
      included from `requirements.in:1`
    ");
}

#[test]
fn constraint_chain_two_levels_deep() {
    let index = index();
    let context = context(&index);
    context.write("requirements.in", "six\n-c constraints/all.txt\n");
    context.write("constraints/all.txt", "# shared pins\n-c security.txt\n");
    context.write("constraints/security.txt", "six>=1.16,!=1.16.*.post1\n");
    assert_run_snapshot!(compile_fails(&context, &index.url(), &["requirements.in"]), @"
    success: false
    exit_code: 2
    ----- stdout -----

    ----- stderr -----
    error: Invalid requirement at `constraints/security.txt:1:11`: wildcards in versions must be at the end
      six>=1.16,!=1.16.*.post1
                ^^^^^^^^^^^^^^
      included from `constraints/all.txt:2`
      included from `requirements.in:2`
    ");
}

#[test]
fn unknown_option_in_a_nested_file() {
    let index = index();
    let context = context(&index);
    context.write("requirements.in", "six\n-r dev/tools.in\n");
    context.write("dev/tools.in", "--use-pep517\n");
    assert_run_snapshot!(compile_fails(&context, &index.url(), &["requirements.in"]), @"
    success: false
    exit_code: 2
    ----- stdout -----

    ----- stderr -----
    error: Unknown option at `dev/tools.in:1:1`: `--use-pep517`
      --use-pep517
      ^^^^^^^^^^^^
      included from `requirements.in:2`
      hint: requirements files take `-r`, `-c`, `-e`, `-i`/`--index-url`, `--extra-index-url`, `-f`/`--find-links`, `--no-index`, `--pre`, and `--hash` after a requirement
    ");
}

// 4. Files that are not text, not files, or too big.

#[test]
fn non_utf8_byte() {
    // `é` in Latin-1, after a tab and two chars: column 4 of line 2.
    assert_run_snapshot!(compile_input(b"six\n\tca\xe9 # caf\xe9\n"), @"
    success: false
    exit_code: 2
    ----- stdout -----

    ----- stderr -----
    error: Invalid UTF-8 at `requirements.in:2:4`: Byte `0xE9` is not valid UTF-8, and input files must be UTF-8 encoded
      	ca� # caf�
      	  ^
      hint: save the file as UTF-8
    ");
}

#[test]
fn utf16_file_included() {
    let index = index();
    let context = context(&index);
    context.write("requirements.in", "-r windows.in\n");
    let utf16: Vec<u8> = [0xFF, 0xFE]
        .into_iter()
        .chain("six\r\n".encode_utf16().flat_map(u16::to_le_bytes))
        .collect();
    context.write("windows.in", utf16);
    assert_run_snapshot!(compile_fails(&context, &index.url(), &["requirements.in"]), @"
    success: false
    exit_code: 2
    ----- stdout -----

    ----- stderr -----
    error: Invalid UTF-8 at `windows.in:1:1`: Byte `0xFF` is not valid UTF-8, and input files must be UTF-8 encoded
      ��s�i�x���
      ^
      included from `requirements.in:1`
      hint: the file starts like UTF-16 (as PowerShell's `>` writes it): save it as UTF-8
    ");
}

#[test]
fn directory_given_as_the_input() {
    let index = index();
    let context = context(&index);
    std::fs::create_dir(context.path("requirements")).expect("create a directory");
    assert_run_snapshot!(compile_fails(&context, &index.url(), &["requirements"]), @"
    success: false
    exit_code: 2
    ----- stdout -----

    ----- stderr -----
    error: Failed to read `requirements`: It is a directory, not a file
      hint: name a requirements file in it, e.g. `requirements/requirements.in`
    ");
}

#[test]
fn directory_given_to_r() {
    let index = index();
    let context = context(&index);
    std::fs::create_dir(context.path("requirements")).expect("create a directory");
    context.write("requirements.in", "-r requirements/\n");
    assert_run_snapshot!(compile_fails(&context, &index.url(), &["requirements.in"]), @"
    success: false
    exit_code: 2
    ----- stdout -----

    ----- stderr -----
    error: Failed to read `requirements/` at `requirements.in:1:4`: It is a directory, not a file
      -r requirements/
         ^^^^^^^^^^^^^
      hint: name a requirements file in it, e.g. `requirements/requirements.in`
    ");
}

/// A 100 KB line of hashes with a bad one at the end: the line is shown as a
/// window around the caret, the column is still the true one.
#[test]
fn very_long_line() {
    let hashes: String = (0..1250)
        .map(|index| format!(" --hash=sha256:{index:064x}"))
        .collect();
    assert_run_snapshot!(compile_input(format!("six{hashes} --hash=md5:0cc175b9c0f1b6a831c399e269772661\n")), @"
    success: false
    exit_code: 2
    ----- stdout -----

    ----- stderr -----
    error: Invalid hash at `requirements.in:1:98755`: `md5:0cc175b9c0f1b6a831c399e269772661` is not `sha256:`, `sha384:` or `sha512:` followed by a lowercase hex digest of that length
      …hash=sha256:00000000000000000000000000000000000000000000000000000000000004e1 --hash=md5:0cc175b9c0f1b6a831c399e269772661
                                                                                    ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^
      hint: write hashes as in `--hash=sha256:<64 hex digits>`
    ");
}

/// 50 MB and a million lines: read in one linear pass, the error on the last
/// line named by its number.
#[test]
fn very_large_file() {
    let comment = format!("# {}\n", "x".repeat(47));
    let mut content = String::with_capacity(50_000_100);
    content.push_str("six\n");
    for _ in 0..1_000_000 {
        content.push_str(&comment);
    }
    content.push_str("six>=>1.0\n");
    assert_run_snapshot!(compile_input(content), @r#"
    success: false
    exit_code: 2
    ----- stdout -----

    ----- stderr -----
    error: Invalid requirement at `requirements.in:1000002:4`: no such comparison operator ">=>", must be one of ~= == != <= >= < > ===
      six>=>1.0
         ^^^^^^
    "#);
}

#[test]
fn non_utf8_byte_on_stdin() {
    let index = index();
    let context = context(&index);
    let url = index.url();
    let mut args = vec![
        "compile",
        "-",
        "-o",
        "requirements.txt",
        "--index-url",
        &url,
    ];
    args.extend(context.python_args());
    let output = context.run_command_with_stdin(context.command(args), b"six\nna\xefve\n");
    assert_run_snapshot!(assert_fails_keeping_lockfile(&context, output), @"
    success: false
    exit_code: 2
    ----- stdout -----

    ----- stderr -----
    error: Invalid UTF-8 at `-:2:3`: Byte `0xEF` is not valid UTF-8, and input files must be UTF-8 encoded
      na�ve
        ^
      hint: save the file as UTF-8
    ");
}

/// Past 100 MiB a file is refused: `-r /dev/zero` never ends.
#[cfg(target_os = "linux")]
#[test]
fn file_over_the_size_limit() {
    assert_run_snapshot!(compile_input("six\n-r /dev/zero\n"), @"
    success: false
    exit_code: 2
    ----- stdout -----

    ----- stderr -----
    error: File too large `/dev/zero`: It is larger than 100 MiB, the limit for an input file
      included from `requirements.in:2`
      hint: check that `/dev/zero` is the requirements file you meant
    ");
}

// 5. Tabs and CRLF keep true columns.

#[test]
fn tab_counts_as_one_column() {
    assert_run_snapshot!(compile_input("\tsix\t>=>1.0\n"), @r#"
    success: false
    exit_code: 2
    ----- stdout -----

    ----- stderr -----
    error: Invalid requirement at `requirements.in:1:6`: no such comparison operator ">=>", must be one of ~= == != <= >= < > ===
      	six	>=>1.0
      	   	^^^^^^
    "#);
}

#[test]
fn crlf_continuation_keeps_lines_and_columns() {
    assert_run_snapshot!(compile_input("six\r\nflask \\\r\n  >=>1.0\r\n"), @r#"
    success: false
    exit_code: 2
    ----- stdout -----

    ----- stderr -----
    error: Invalid requirement at `requirements.in:3:3`: no such comparison operator ">=>", must be one of ~= == != <= >= < > ===
        >=>1.0
        ^^^^^^
    "#);
}

// 6. The command line.

#[test]
fn invalid_python_version() {
    let index = index();
    let context = context(&index);
    context.write("requirements.in", "six\n");
    let output = context.run([
        "compile",
        "requirements.in",
        "--python-version",
        "three",
        "--index-url",
        &index.url(),
    ]);
    assert_run_snapshot!(assert_fails_keeping_lockfile(&context, output), @"
    success: false
    exit_code: 2
    ----- stdout -----

    ----- stderr -----
    error: Invalid `--python-version` `three`
      hint: give `X.Y` or `X.Y.Z`, e.g. `3.11`
    ");
}

#[test]
fn unknown_command_line_flag() {
    let index = index();
    let context = context(&index);
    context.write("requirements.in", "six\n");
    assert_run_snapshot!(compile_fails(&context, &index.url(), &["requirements.in", "--frobnicate"]), @"
    success: false
    exit_code: 2
    ----- stdout -----

    ----- stderr -----
    error: unexpected argument '--frobnicate' found

      tip: to pass '--frobnicate' as a value, use '-- --frobnicate'

    Usage: plinth compile <SRC>...

    For more information, try '--help'.
    ");
}

#[test]
fn index_url_flag_that_is_not_a_url() {
    let index = index();
    let context = context(&index);
    context.write("requirements.in", "six\n");
    assert_run_snapshot!(compile_fails(&context, "pypi.internal/simple", &["requirements.in"]), @"
    success: false
    exit_code: 2
    ----- stdout -----

    ----- stderr -----
    error: Invalid index URL `pypi.internal/simple`: relative URL without a base
      hint: give an absolute URL, e.g. `https://pypi.org/simple/`
    ");
}

#[test]
fn missing_input_file() {
    let index = index();
    let context = context(&index);
    assert_run_snapshot!(compile_fails(&context, &index.url(), &["requirements.in"]), @"
    success: false
    exit_code: 2
    ----- stdout -----

    ----- stderr -----
    error: Failed to read `requirements.in`: No such file or directory (os error 2)
    ");
}

// 7. Index and network errors: the URL without credentials, the status, a hint.

/// A 404 for the project is an answer, not a failure: no solution, exit 1.
#[test]
fn project_the_index_does_not_have() {
    let server = FaultServer::start(Vec::new());
    let context = TestContext::new().with_filter(server.host(), "[INDEX]");
    context.write("requirements.txt", PREVIOUS_LOCKFILE);
    context.write("requirements.in", "not-on-the-index\n");
    let url = server.url();
    let mut args = vec!["compile", "requirements.in", "--index-url", &url];
    args.extend(context.python_args());
    let output = context.run(args);
    assert_run_snapshot!(assert_exits_keeping_lockfile(&context, output, 1), @"
    success: false
    exit_code: 1
    ----- stdout -----

    ----- stderr -----
    error: No solution found when resolving dependencies:
      Because `not-on-the-index` was not found in the package index and you require not-on-the-index (requirements.in:1), your requirements are unsatisfiable.
      hint: no index has a package named `not-on-the-index`: check the spelling, or add the index that has it with `--extra-index-url`
    ");
}

#[test]
fn server_error_after_the_retries() {
    let index = index();
    index.fail_with(Some(500));
    let context = context(&index);
    context.write("requirements.in", "six\n");
    assert_run_snapshot!(compile_fails(&context, &index.url(), &["requirements.in", "--retries", "1"]), @"
    success: false
    exit_code: 2
    ----- stdout -----

    ----- stderr -----
    error: Failed to get `six`
      caused by: `http://[INDEX]/simple/six/` answered HTTP 500
      hint: the server failed on every try (`--retries` sets how often plinth retries): try again later
    ");
    let tries = index
        .requests()
        .iter()
        .filter(|request| request.path == "/simple/six/")
        .count();
    assert_eq!(tries, 2, "one try and one retry");
}

#[test]
fn connection_refused() {
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind a port");
        listener.local_addr().expect("local address").port()
    };
    let host = format!("127.0.0.1:{port}");
    let context = TestContext::new().with_filter(&host, "[CLOSED]");
    context.write("requirements.txt", PREVIOUS_LOCKFILE);
    context.write("requirements.in", "six\n");
    let url = format!("http://{host}/simple/");
    assert_run_snapshot!(compile_fails(&context, &url, &["requirements.in", "--retries", "0"]), @"
    success: false
    exit_code: 2
    ----- stdout -----

    ----- stderr -----
    error: Failed to get `six`
      caused by: Request to `http://[CLOSED]/simple/six/` failed: error sending request: client error (Connect): tcp connect error: Connection refused (os error 111)
      hint: nothing answered at this host and port: check the URL, and that the server is up and reachable from this machine
    ");
}

#[test]
fn credentials_in_the_index_url_are_not_shown() {
    let index = index();
    index.fail_with(Some(500));
    let context = context(&index);
    context.write("requirements.in", "six\n");
    let url = index.url().replace("http://", "http://user:secret@");
    let rendered = compile_fails(&context, &url, &["requirements.in", "--retries", "0"]);
    assert!(!rendered.contains("secret"), "{rendered}");
    assert_run_snapshot!(rendered, @"
    success: false
    exit_code: 2
    ----- stdout -----

    ----- stderr -----
    error: Failed to get `six`
      caused by: `http://[INDEX]/simple/six/` answered HTTP 500
      hint: the server failed on every try (`--retries` sets how often plinth retries): try again later
    ");
}
