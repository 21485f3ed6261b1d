//! Indexes and credentials end to end: a real pypiserver, open and behind
//! basic auth, with credentials from the URL and from netrc; several indexes
//! (`first-index`, `unsafe-best-match`); 401/403 that stop instead of falling
//! through; credentials kept to their origin across redirects; `--find-links`
//! directories and pages and `--no-index`; and a credential canary that no
//! output, lockfile, cache file name or cache file content may ever contain.

use std::process::Output;

use crate::support::pypiserver::PypiServer;
use crate::support::{RunningIndex, ServerOptions, TestContext, TestIndex};

const USER: &str = "alice";
/// The credential canary: the password of every protected index here. No
/// output, lockfile or cache file (name or content) may ever contain it.
const CANARY: &str = "canary-pw-7f3a9c1e5b";

/// The private index: `internal-lib` (needs `shared`) and `shared 1.0`.
fn private_index() -> TestIndex {
    TestIndex::new()
        .package("internal-lib", "1.0", |p| p.requires("shared>=1"))
        .package("shared", "1.0", |p| p)
}

/// A public index with an attacker's `internal-lib 9.9`, a newer `shared`
/// and `six`, which only it has.
fn public_index() -> TestIndex {
    TestIndex::new()
        .package("internal-lib", "9.9", |p| p)
        .package("shared", "2.0", |p| p)
        .package("six", "1.16.0", |p| p)
}

/// `compile <args> --python-version 3.11 --python-platform x86_64-manylinux_2_28`.
fn compile_args(context: &TestContext, args: &[&str]) -> Vec<String> {
    std::iter::once("compile")
        .chain(args.iter().copied())
        .chain(context.python_args())
        .map(ToString::to_string)
        .collect()
}

/// The rendered run, then each of `files` (filtered), or `(missing)`.
fn show(context: &TestContext, output: &Output, files: &[&str]) -> String {
    let mut text = context.render(output);
    for file in files {
        text.push_str(&format!("----- {file} -----\n"));
        if context.exists(file) {
            text.push_str(&context.filter(&context.read(file)));
        } else {
            text.push_str("(missing)\n");
        }
    }
    text
}

/// Runs `plinth compile <args>`, asserts that the canary is nowhere, and
/// renders the run and `requirements.txt`.
fn compile(context: &TestContext, args: &[&str]) -> String {
    let output = context.run(compile_args(context, args));
    assert_no_canary(context, &output);
    show(context, &output, &["requirements.txt"])
}

/// The canary is not in stdout, stderr, `requirements.txt`, nor in the name
/// or content of any file or directory under the cache.
fn assert_no_canary(context: &TestContext, output: &Output) {
    let rendered = context.render(output);
    assert!(!rendered.contains(CANARY), "the canary leaked:\n{rendered}");
    if context.exists("requirements.txt") {
        let lockfile = context.read("requirements.txt");
        assert!(!lockfile.contains(CANARY), "the canary leaked:\n{lockfile}");
    }
    let mut checked = 0;
    let mut pending = vec![context.cache_dir()];
    while let Some(path) = pending.pop() {
        let name = path.to_string_lossy();
        assert!(
            !name.contains(CANARY),
            "the canary is in a cache path: {name}"
        );
        if path.is_dir() {
            for entry in std::fs::read_dir(&path).expect("read a cache directory") {
                pending.push(entry.expect("read a cache entry").path());
            }
        } else if let Ok(bytes) = std::fs::read(&path) {
            checked += 1;
            let content = String::from_utf8_lossy(&bytes);
            assert!(
                !content.contains(CANARY),
                "the canary is in the cache file {name}"
            );
        }
    }
    // The check must have looked at something whenever the run fetched anything.
    if output.status.success() {
        assert!(checked > 0, "nothing was cached");
    }
}

/// The requests an index received, as `GET /path`, with `[auth]` when an
/// `Authorization` header came along.
fn request_lines(index: &RunningIndex) -> Vec<String> {
    index
        .requests()
        .iter()
        .map(|request| {
            let auth = if request.authorization.is_some() {
                " [auth]"
            } else {
                ""
            };
            format!("{} {}{auth}", request.method, request.path)
        })
        .collect()
}

/// An index behind basic auth (`alice`, the canary).
fn protected(index: TestIndex) -> RunningIndex {
    index.serve_with(ServerOptions {
        basic_auth: Some((USER, CANARY)),
        ..ServerOptions::default()
    })
}

/// `http://alice:<canary>@127.0.0.1:PORT/simple/`.
fn url_with_canary(index: &RunningIndex) -> String {
    format!("http://{USER}:{CANARY}@{}/simple/", index.host())
}

// 1. A real pypiserver.

#[test]
fn pypiserver_open_index() {
    let Some(server) = PypiServer::start(&private_index(), None) else {
        return;
    };
    let context = TestContext::new().with_filter(&server.host(), "[PYPISERVER]");
    context.write("requirements.in", "internal-lib\n");
    assert_run_snapshot!(compile(&context, &["--index-url", &server.url()]), @r"
    success: true
    exit_code: 0
    ----- stdout -----

    ----- stderr -----
    Resolved 2 package(s) in [TIME]
    ----- requirements.txt -----
    # This file is autogenerated by plinth with the following command:
    #    plinth compile requirements.in --index-url http://[PYPISERVER]/simple/ --python-version 3.11 --python-platform x86_64-manylinux_2_28
    internal-lib==1.0
        # via -r requirements.in
    shared==1.0
        # via internal-lib
    ");
}

#[test]
fn pypiserver_behind_basic_auth_with_credentials_in_the_url() {
    let Some(server) = PypiServer::start(&private_index(), Some((USER, CANARY))) else {
        return;
    };
    let context = TestContext::new().with_filter(&server.host(), "[PYPISERVER]");
    context.write("requirements.in", "internal-lib\n");
    let url = server.url_with(USER, CANARY);
    let args = ["--index-url", &url, "-v", "--generate-hashes"];
    assert_run_snapshot!(compile(&context, &args), @r"
    success: true
    exit_code: 0
    ----- stdout -----

    ----- stderr -----
    Index `http://****@[PYPISERVER]/simple/` (credentials from the URL)
    Resolved 2 package(s) in [TIME]
    Made 4 HTTP requests, received 2 KiB
    Wrote `requirements.txt`
    ----- requirements.txt -----
    # This file is autogenerated by plinth with the following command:
    #    plinth compile requirements.in --index-url http://[PYPISERVER]/simple/ --python-version 3.11 --python-platform x86_64-manylinux_2_28 --generate-hashes
    internal-lib==1.0 \
        --hash=sha256:ac7828be4ed694963a19e9d9fd37ec5f5bfe94d1c3d2df7a18f2c2b681554bce
        # via -r requirements.in
    shared==1.0 \
        --hash=sha256:c41fa02430a6765cb36ae87aecb9d9b634629fa3ad8459c4aec1f3ab95a243b8
        # via internal-lib
    ");
}

#[test]
fn pypiserver_behind_basic_auth_with_credentials_from_netrc() {
    let Some(server) = PypiServer::start(&private_index(), Some((USER, CANARY))) else {
        return;
    };
    let context = TestContext::new().with_filter(&server.host(), "[PYPISERVER]");
    context.write("requirements.in", "internal-lib\n");
    context.write(
        "netrc",
        format!("machine 127.0.0.1\n  login {USER}\n  password {CANARY}\n"),
    );
    assert_run_snapshot!(compile(&context, &["--index-url", &server.url(), "-v"]), @"
    success: true
    exit_code: 0
    ----- stdout -----

    ----- stderr -----
    Index `http://[PYPISERVER]/simple/` (credentials from the `machine 127.0.0.1` entry of the netrc file `[TEMP]/netrc`)
    Resolved 2 package(s) in [TIME]
    Made 4 HTTP requests, received 2 KiB
    Wrote `requirements.txt`
    ----- requirements.txt -----
    # This file is autogenerated by plinth with the following command:
    #    plinth compile requirements.in --index-url http://[PYPISERVER]/simple/ --python-version 3.11 --python-platform x86_64-manylinux_2_28
    internal-lib==1.0
        # via -r requirements.in
    shared==1.0
        # via internal-lib
    ");
}

#[test]
fn pypiserver_without_credentials_stops_with_a_hint_and_never_asks_the_next_index() {
    let Some(server) = PypiServer::start(&private_index(), Some((USER, CANARY))) else {
        return;
    };
    let public = public_index().serve();
    let context = TestContext::new()
        .with_filter(&server.host(), "[PYPISERVER]")
        .with_filter(&public.host(), "[PUBLIC]");
    context.write("requirements.in", "internal-lib\n");
    let public_url = public.url();
    let args = [
        "--index-url",
        &server.url(),
        "--extra-index-url",
        &public_url,
    ];
    assert_run_snapshot!(compile(&context, &args), @"
    success: false
    exit_code: 2
    ----- stdout -----

    ----- stderr -----
    error: Failed to get `internal-lib`
      caused by: The index `http://[PYPISERVER]/simple/` refused access to `http://[PYPISERVER]/simple/internal-lib/` (HTTP 401)
      hint: the index needs credentials: put them in the URL (`http://USER:PASSWORD@[PYPISERVER]/simple/`) or in `~/.netrc` (or the file `NETRC` names) as `machine 127.0.0.1 login USER password PASSWORD`
    ----- requirements.txt -----
    (missing)
    ");
    assert_eq!(request_lines(&public), Vec::<String>::new());
}

#[test]
fn pypiserver_with_a_wrong_password_stops_with_a_hint() {
    let Some(server) = PypiServer::start(&private_index(), Some((USER, "the-right-one"))) else {
        return;
    };
    let public = public_index().serve();
    let context = TestContext::new()
        .with_filter(&server.host(), "[PYPISERVER]")
        .with_filter(&public.host(), "[PUBLIC]");
    context.write("requirements.in", "internal-lib\n");
    let (url, public_url) = (server.url_with(USER, CANARY), public.url());
    let args = ["--index-url", &url, "--extra-index-url", &public_url];
    assert_run_snapshot!(compile(&context, &args), @"
    success: false
    exit_code: 2
    ----- stdout -----

    ----- stderr -----
    error: Failed to get `internal-lib`
      caused by: The index `http://****@[PYPISERVER]/simple/` refused access to `http://[PYPISERVER]/simple/internal-lib/` (HTTP 403)
      hint: the index rejected the credentials from the URL: check the user name and password, and that this user may read the index
    ----- requirements.txt -----
    (missing)
    ");
    assert_eq!(request_lines(&public), Vec::<String>::new());
}

#[test]
fn pypiserver_first_index_that_has_a_name_wins_over_a_public_index() {
    let Some(server) = PypiServer::start(&private_index(), Some((USER, CANARY))) else {
        return;
    };
    let public = public_index().serve();
    let context = TestContext::new()
        .with_filter(&server.host(), "[PYPISERVER]")
        .with_filter(&public.host(), "[PUBLIC]");
    context.write("requirements.in", "internal-lib\nsix\n");
    context.write(
        "netrc",
        format!("machine 127.0.0.1 login {USER} password {CANARY}\n"),
    );
    let public_url = public.url();
    let args = [
        "--index-url",
        &server.url(),
        "--extra-index-url",
        &public_url,
    ];
    assert_run_snapshot!(compile(&context, &args), @"
    success: true
    exit_code: 0
    ----- stdout -----

    ----- stderr -----
    Resolved 3 package(s) in [TIME]
    ----- requirements.txt -----
    # This file is autogenerated by plinth with the following command:
    #    plinth compile requirements.in --index-url http://[PYPISERVER]/simple/ --extra-index-url http://[PUBLIC]/simple/ --python-version 3.11 --python-platform x86_64-manylinux_2_28
    internal-lib==1.0
        # via -r requirements.in
    shared==1.0
        # via internal-lib
    six==1.16.0
        # via -r requirements.in
    ");
    // The public index was asked only for what the private one lacks.
    let asked: Vec<String> = request_lines(&public)
        .into_iter()
        .filter(|line| line.contains("internal") || line.contains("shared"))
        .collect();
    assert_eq!(asked, Vec::<String>::new());

    // The order of indexes is what decides: public first, the attacker wins.
    std::fs::remove_file(context.path("requirements.txt")).expect("remove the lockfile");
    let args = [
        "--index-url",
        &public_url,
        "--extra-index-url",
        &server.url(),
    ];
    assert_run_snapshot!(compile(&context, &args), @"
    success: true
    exit_code: 0
    ----- stdout -----

    ----- stderr -----
    Resolved 2 package(s) in [TIME]
    ----- requirements.txt -----
    # This file is autogenerated by plinth with the following command:
    #    plinth compile requirements.in --index-url http://[PUBLIC]/simple/ --extra-index-url http://[PYPISERVER]/simple/ --python-version 3.11 --python-platform x86_64-manylinux_2_28
    internal-lib==9.9
        # via -r requirements.in
    six==1.16.0
        # via -r requirements.in
    ");
}

// 2. Several indexes.

#[test]
fn unsafe_best_match_merges_the_versions_of_every_index_with_one_warning() {
    let private = private_index().serve();
    let public = public_index().serve();
    let context = TestContext::new()
        .with_filter(&private.host(), "[PRIVATE]")
        .with_filter(&public.host(), "[PUBLIC]");
    context.write("requirements.in", "internal-lib\nsix\n");
    let (private_url, public_url) = (private.url(), public.url());
    let args = [
        "--index-url",
        &private_url,
        "--extra-index-url",
        &public_url,
        "--index-strategy",
        "unsafe-best-match",
    ];
    assert_run_snapshot!(compile(&context, &args), @"
    success: true
    exit_code: 0
    ----- stdout -----

    ----- stderr -----
    warning: `--index-strategy unsafe-best-match` takes the versions of each package from every index: a package published on a public index under the name of a private one can replace it (dependency confusion)
    Resolved 2 package(s) in [TIME]
    ----- requirements.txt -----
    # This file is autogenerated by plinth with the following command:
    #    plinth compile requirements.in --index-url http://[PRIVATE]/simple/ --extra-index-url http://[PUBLIC]/simple/ --index-strategy unsafe-best-match --python-version 3.11 --python-platform x86_64-manylinux_2_28
    internal-lib==9.9
        # via -r requirements.in
    six==1.16.0
        # via -r requirements.in
    ");
}

#[test]
fn unsafe_best_match_takes_a_version_on_several_indexes_from_the_first() {
    // `shared 1.0` is on both indexes, with different dependencies.
    let first = TestIndex::new().package("shared", "1.0", |p| p).serve();
    let second = TestIndex::new()
        .package("shared", "1.0", |p| p.requires("six"))
        .package("shared", "0.9", |p| p)
        .package("six", "1.16.0", |p| p)
        .serve();
    let context = TestContext::new()
        .with_filter(&first.host(), "[FIRST]")
        .with_filter(&second.host(), "[SECOND]");
    context.write("requirements.in", "shared\n");
    let (first_url, second_url) = (first.url(), second.url());
    let args = [
        "--index-url",
        &first_url,
        "--extra-index-url",
        &second_url,
        "--index-strategy",
        "unsafe-best-match",
        "--generate-hashes",
        "--no-header",
    ];
    let output = compile(&context, &args);
    let first_hash = first
        .files()
        .into_iter()
        .find(|file| file.filename.starts_with("shared-1.0-"))
        .expect("the first index has shared 1.0")
        .sha256;
    assert!(output.contains(&first_hash), "{output}");
    assert_run_snapshot!(output.replace(&first_hash, "[FIRST_SHA256]"), @r"
    success: true
    exit_code: 0
    ----- stdout -----

    ----- stderr -----
    warning: `--index-strategy unsafe-best-match` takes the versions of each package from every index: a package published on a public index under the name of a private one can replace it (dependency confusion)
    Resolved 1 package(s) in [TIME]
    ----- requirements.txt -----
    shared==1.0 \
        --hash=sha256:[FIRST_SHA256]
        # via -r requirements.in
    ");
}

// 3. Credentials: where they go, what a refusal says, and that they never show.

#[test]
fn credentials_are_sent_only_to_their_origin() {
    // The protected index redirects every download to a second index (same
    // files, another port), which must never see the credentials.
    let index = protected(private_index());
    let mirror = private_index().serve();
    index.redirect_files_to(&format!("http://{}/files", mirror.host()));
    let context = TestContext::new()
        .with_filter(&index.host(), "[INDEX]")
        .with_filter(&mirror.host(), "[MIRROR]");
    context.write("requirements.in", "internal-lib\n");
    let url = url_with_canary(&index);
    let output = compile(&context, &["--index-url", &url, "--no-header"]);
    assert!(output.contains("internal-lib==1.0"), "{output}");
    let index_requests = request_lines(&index);
    assert!(
        index_requests.iter().all(|line| line.ends_with("[auth]")),
        "{index_requests:#?}"
    );
    assert!(
        index_requests.iter().any(|line| line.contains("/files/")),
        "{index_requests:#?}"
    );
    let mirror_requests = request_lines(&mirror);
    assert!(!mirror_requests.is_empty());
    assert!(
        mirror_requests.iter().all(|line| !line.ends_with("[auth]")),
        "{mirror_requests:#?}"
    );
}

#[test]
fn file_on_another_origin_that_needs_credentials_gets_none_and_says_why() {
    let index = protected(private_index());
    let mirror = protected(private_index());
    index.redirect_files_to(&format!("http://{}/files", mirror.host()));
    let context = TestContext::new()
        .with_filter(&index.host(), "[INDEX]")
        .with_filter(&mirror.host(), "[MIRROR]");
    context.write("requirements.in", "internal-lib\n");
    let url = url_with_canary(&index);
    assert_run_snapshot!(compile(&context, &["--index-url", &url]), @"
    success: false
    exit_code: 2
    ----- stdout -----

    ----- stderr -----
    error: Failed to get `internal-lib`
      caused by: The server `http://[MIRROR]/` refused access to `http://[MIRROR]/files/internal_lib-1.0-py3-none-any.whl` (HTTP 401)
      hint: `http://[MIRROR]/` is not the origin of any index or find-links URL, so plinth sends it no credentials (they go only to the scheme, host and port they were given for)
    ----- requirements.txt -----
    (missing)
    ");
    let mirror_requests = request_lines(&mirror);
    assert!(
        !mirror_requests.is_empty() && mirror_requests.iter().all(|line| !line.ends_with("[auth]")),
        "{mirror_requests:#?}"
    );
}

#[test]
fn credentials_follow_a_redirect_on_the_same_origin() {
    let index = protected(private_index());
    index.redirect_files_to(&format!("http://{}/mirror", index.host()));
    let context = TestContext::new().with_index(&index);
    context.write("requirements.in", "internal-lib\n");
    let url = url_with_canary(&index);
    let output = compile(&context, &["--index-url", &url, "--no-header"]);
    assert!(output.contains("internal-lib==1.0"), "{output}");
    let requests = request_lines(&index);
    assert!(
        requests.iter().any(|line| line.contains("/mirror/")),
        "{requests:#?}"
    );
    assert!(
        requests.iter().all(|line| line.ends_with("[auth]")),
        "{requests:#?}"
    );
}

#[test]
fn credentials_of_one_index_are_not_sent_to_another() {
    let private = protected(private_index());
    let public = public_index().serve();
    let context = TestContext::new()
        .with_filter(&private.host(), "[PRIVATE]")
        .with_filter(&public.host(), "[PUBLIC]");
    context.write("requirements.in", "internal-lib\nsix\n");
    let (private_url, public_url) = (url_with_canary(&private), public.url());
    let args = [
        "--index-url",
        &private_url,
        "--extra-index-url",
        &public_url,
    ];
    let output = compile(&context, &args);
    assert!(output.contains("six==1.16.0"), "{output}");
    let public_requests = request_lines(&public);
    assert!(
        public_requests.iter().all(|line| !line.ends_with("[auth]")),
        "{public_requests:#?}"
    );
}

#[test]
fn index_without_credentials_answering_401_gets_a_hint() {
    let index = protected(private_index());
    let context = TestContext::new().with_index(&index);
    context.write("requirements.in", "internal-lib\n");
    assert_run_snapshot!(compile(&context, &["--index-url", &index.url()]), @"
    success: false
    exit_code: 2
    ----- stdout -----

    ----- stderr -----
    error: Failed to get `internal-lib`
      caused by: The index `http://[INDEX]/simple/` refused access to `http://[INDEX]/simple/internal-lib/` (HTTP 401)
      hint: the index needs credentials: put them in the URL (`http://USER:PASSWORD@[INDEX]/simple/`) or in `~/.netrc` (or the file `NETRC` names) as `machine 127.0.0.1 login USER password PASSWORD`
    ----- requirements.txt -----
    (missing)
    ");
}

#[test]
fn index_answering_403_stops_without_trying_the_next_index() {
    let private = private_index().serve();
    private.fail_with(Some(403));
    let public = public_index().serve();
    let context = TestContext::new()
        .with_filter(&private.host(), "[PRIVATE]")
        .with_filter(&public.host(), "[PUBLIC]");
    context.write("requirements.in", "internal-lib\n");
    let (private_url, public_url) = (url_with_canary(&private), public.url());
    let args = [
        "--index-url",
        &private_url,
        "--extra-index-url",
        &public_url,
    ];
    assert_run_snapshot!(compile(&context, &args), @"
    success: false
    exit_code: 2
    ----- stdout -----

    ----- stderr -----
    error: Failed to get `internal-lib`
      caused by: The index `http://****@[PRIVATE]/simple/` refused access to `http://[PRIVATE]/simple/internal-lib/` (HTTP 403)
      hint: the index rejected the credentials from the URL: check the user name and password, and that this user may read the index
    ----- requirements.txt -----
    (missing)
    ");
    assert_eq!(request_lines(&public), Vec::<String>::new());
}

#[test]
fn wrong_password_from_netrc_names_the_netrc_file() {
    let index = private_index().serve_with(ServerOptions {
        basic_auth: Some((USER, "the-right-one")),
        ..ServerOptions::default()
    });
    let context = TestContext::new().with_index(&index);
    context.write("requirements.in", "internal-lib\n");
    context.write("netrc", format!("default login {USER} password {CANARY}\n"));
    assert_run_snapshot!(compile(&context, &["--index-url", &index.url()]), @"
    success: false
    exit_code: 2
    ----- stdout -----

    ----- stderr -----
    error: Failed to get `internal-lib`
      caused by: The index `http://[INDEX]/simple/` refused access to `http://[INDEX]/simple/internal-lib/` (HTTP 401)
      hint: the index rejected the credentials from the `default` entry of the netrc file `[TEMP]/netrc`: check the user name and password, and that this user may read the index
    ----- requirements.txt -----
    (missing)
    ");
}

#[test]
fn canary_never_leaks_on_any_path() {
    // One cache for every run, checked after each.
    let index = protected(private_index());
    let context = TestContext::new().with_index(&index);
    context.write("requirements.in", "internal-lib\n");
    let url = url_with_canary(&index);

    // From the URL, verbose, with hashes; then from netrc; then offline.
    let output = compile(&context, &["--index-url", &url, "-v", "--generate-hashes"]);
    assert!(output.contains("shared==1.0"), "{output}");
    context.write(
        "netrc",
        format!("machine 127.0.0.1 login {USER} password {CANARY}\n"),
    );
    let output = compile(&context, &["--index-url", &index.url(), "-v", "-U"]);
    assert!(output.contains("shared==1.0"), "{output}");
    let output = compile(&context, &["--index-url", &url, "--offline", "-v"]);
    assert!(output.contains("shared==1.0"), "{output}");

    // In the input file, and in `--find-links` URLs (and no netrc).
    std::fs::remove_file(context.path("netrc")).expect("remove the netrc file");
    context.write(
        "requirements.in",
        format!("--index-url {url}\ninternal-lib\n"),
    );
    let links = format!("http://{USER}:{CANARY}@{}/links/", index.host());
    let output = compile(&context, &["--find-links", &links, "-v", "-U"]);
    assert!(output.contains("internal-lib==1.0"), "{output}");
    // `check` reuses the header's index URL (written without credentials)
    // with the credentials of the input file's.
    let check = context.run(["check", "-v"]);
    assert_no_canary(&context, &check);
    assert_eq!(check.status.code(), Some(0), "{}", context.render(&check));

    // An index that fails with 500.
    index.fail_with(Some(500));
    context.write("requirements.in", "internal-lib\nsix\n");
    let output = compile(&context, &["--index-url", &url, "-v", "--retries", "0"]);
    assert_run_snapshot!(output, @"
    success: false
    exit_code: 2
    ----- stdout -----

    ----- stderr -----
    Index `http://****@[INDEX]/simple/` (credentials from the URL)
    The existing pins need a full resolution: Failed to get `six`: No stored record of the files of `six`
    error: Failed to get `internal-lib`
      caused by: `http://[INDEX]/simple/internal-lib/` answered HTTP 500
      hint: the server failed on every try (`--retries` sets how often plinth retries): try again later
    ----- requirements.txt -----
    # This file is autogenerated by plinth with the following command:
    #    plinth compile requirements.in --index-url http://[INDEX]/simple/ --find-links http://[INDEX]/links/ --python-version 3.11 --python-platform x86_64-manylinux_2_28
    internal-lib==1.0
        # via -r requirements.in
    shared==1.0
        # via internal-lib
    ");
}

// 4. `--find-links` and `--no-index`.

/// `app 1.0` (needs `six`) and `six 1.17.0` as files in a directory.
fn local_wheels() -> TestIndex {
    TestIndex::new()
        .package("app", "1.0", |p| p.requires("six"))
        .package("six", "1.17.0", |p| p.sdist(true))
}

#[test]
fn find_links_directory_adds_its_files_to_the_index() {
    let index = TestIndex::new().package("six", "1.16.0", |p| p).serve();
    let context = TestContext::new().with_index(&index);
    local_wheels().write_files(&context.path("wheels"));
    context.write("requirements.in", "app\n");
    let args = [
        "--index-url",
        &index.url(),
        "--find-links",
        "wheels",
        "--generate-hashes",
    ];
    assert_run_snapshot!(compile(&context, &args), @r"
    success: true
    exit_code: 0
    ----- stdout -----

    ----- stderr -----
    Resolved 2 package(s) in [TIME]
    ----- requirements.txt -----
    # This file is autogenerated by plinth with the following command:
    #    plinth compile requirements.in --index-url http://[INDEX]/simple/ --find-links wheels --python-version 3.11 --python-platform x86_64-manylinux_2_28 --generate-hashes
    app==1.0 \
        --hash=sha256:4fb702917f016992826fd8df5cf22c5e21d217678c087932b07484481454b162
        # via -r requirements.in
    six==1.17.0 \
        --hash=sha256:21887600dc3a84aef0641a2c14a93701277559f45464b7e8fd5596e9a88d6bd3 \
        --hash=sha256:2e21a024e22351c0ac3535549c2fe05f6a46a498f3fc039a23b1e2f1ce53d837
        # via app
    ");
}

#[test]
fn no_index_uses_find_links_only() {
    let index = TestIndex::new().package("six", "1.18.0", |p| p).serve();
    let context = TestContext::new().with_index(&index);
    local_wheels().write_files(&context.path("wheels"));
    context.write("requirements.in", "app\n");
    let args = ["--index-url", &index.url(), "--no-index", "-f", "wheels"];
    assert_run_snapshot!(compile(&context, &args), @"
    success: true
    exit_code: 0
    ----- stdout -----

    ----- stderr -----
    Resolved 2 package(s) in [TIME]
    ----- requirements.txt -----
    # This file is autogenerated by plinth with the following command:
    #    plinth compile requirements.in --no-index --find-links wheels --python-version 3.11 --python-platform x86_64-manylinux_2_28
    app==1.0
        # via -r requirements.in
    six==1.17.0
        # via app
    ");
    assert_eq!(request_lines(&index), Vec::<String>::new());
}

#[test]
fn no_index_suggests_close_names_from_find_links() {
    let index = TestIndex::new().package("six", "1.18.0", |p| p).serve();
    let context = TestContext::new().with_index(&index);
    local_wheels().write_files(&context.path("wheels"));
    context.write("requirements.in", "siz\n");
    let args = ["--index-url", &index.url(), "--no-index", "-f", "wheels"];
    assert_run_snapshot!(compile(&context, &args), @"
    success: false
    exit_code: 1
    ----- stdout -----

    ----- stderr -----
    error: No solution found when resolving dependencies:
      Because `siz` was not found in the package index and you require siz (requirements.in:1), your requirements are unsatisfiable.
      hint: no index has a package named `siz`: did you mean `six`? If not, add the index that has it with `--extra-index-url`
    ----- requirements.txt -----
    (missing)
    ");
    assert_eq!(request_lines(&index), Vec::<String>::new());
}

#[test]
fn find_links_html_page_over_http() {
    let links = local_wheels().serve();
    let context = TestContext::new().with_index(&links);
    context.write("requirements.in", "app\n");
    let page = format!("http://{}/links/", links.host());
    let args = ["--no-index", "--find-links", &page, "--generate-hashes"];
    assert_run_snapshot!(compile(&context, &args), @r"
    success: true
    exit_code: 0
    ----- stdout -----

    ----- stderr -----
    Resolved 2 package(s) in [TIME]
    ----- requirements.txt -----
    # This file is autogenerated by plinth with the following command:
    #    plinth compile requirements.in --no-index --find-links http://[INDEX]/links/ --python-version 3.11 --python-platform x86_64-manylinux_2_28 --generate-hashes
    app==1.0 \
        --hash=sha256:4fb702917f016992826fd8df5cf22c5e21d217678c087932b07484481454b162
        # via -r requirements.in
    six==1.17.0 \
        --hash=sha256:21887600dc3a84aef0641a2c14a93701277559f45464b7e8fd5596e9a88d6bd3 \
        --hash=sha256:2e21a024e22351c0ac3535549c2fe05f6a46a498f3fc039a23b1e2f1ce53d837
        # via app
    ");
}

#[test]
fn find_links_local_html_file_with_relative_links() {
    let context = TestContext::new();
    local_wheels().write_files(&context.path("dist"));
    let mut html = String::from("<html><body>\n");
    for file in local_wheels().files() {
        html.push_str(&format!("<a href=\"dist/{0}\">{0}</a>\n", file.filename));
    }
    html.push_str("</body></html>\n");
    context.write("links.html", html);
    context.write("requirements.in", "app\n");
    let args = ["--no-index", "--find-links", "links.html", "--no-header"];
    assert_run_snapshot!(compile(&context, &args), @"
    success: true
    exit_code: 0
    ----- stdout -----

    ----- stderr -----
    Resolved 2 package(s) in [TIME]
    ----- requirements.txt -----
    app==1.0
        # via -r requirements.in
    six==1.17.0
        # via app
    ");
}

#[test]
fn find_links_in_a_requirements_file_is_relative_to_that_file() {
    let context = TestContext::new();
    local_wheels().write_files(&context.path("sub/wheels"));
    context.write(
        "sub/requirements.in",
        "--no-index\n--find-links ./wheels\napp\n",
    );
    let args = ["sub/requirements.in", "-o", "requirements.txt"];
    assert_run_snapshot!(compile(&context, &args), @"
    success: true
    exit_code: 0
    ----- stdout -----

    ----- stderr -----
    Resolved 2 package(s) in [TIME]
    ----- requirements.txt -----
    # This file is autogenerated by plinth with the following command:
    #    plinth compile sub/requirements.in -o requirements.txt --python-version 3.11 --python-platform x86_64-manylinux_2_28
    app==1.0
        # via -r sub/requirements.in
    six==1.17.0
        # via app
    ");
}

#[test]
fn find_links_that_does_not_exist_is_an_error() {
    let context = TestContext::new();
    context.write("requirements.in", "-f ./missing\napp\n");
    assert_run_snapshot!(compile(&context, &["--no-index"]), @"
    success: false
    exit_code: 2
    ----- stdout -----

    ----- stderr -----
    error: The `--find-links` location `./missing` (from `requirements.in:1`) does not exist
      hint: give a directory of wheels and sdists, an HTML file of links, or a URL
    ----- requirements.txt -----
    (missing)
    ");
}

#[test]
fn check_reuses_the_recorded_find_links_and_index_strategy() {
    let first = TestIndex::new().package("six", "1.16.0", |p| p).serve();
    let second = TestIndex::new().package("six", "1.17.0", |p| p).serve();
    let context = TestContext::new()
        .with_filter(&first.host(), "[FIRST]")
        .with_filter(&second.host(), "[SECOND]");
    local_wheels().write_files(&context.path("wheels"));
    context.write("requirements.in", "app\nsix\n");
    let (first_url, second_url) = (first.url(), second.url());
    let args = [
        "--index-url",
        &first_url,
        "--extra-index-url",
        &second_url,
        "--index-strategy",
        "unsafe-best-match",
        "-f",
        "wheels",
    ];
    let output = compile(&context, &args);
    assert!(output.contains("six==1.17.0"), "{output}");
    let check = context.run(["check"]);
    assert_no_canary(&context, &check);
    assert_run_snapshot!(context.render(&check), @"
    success: true
    exit_code: 0
    ----- stdout -----

    ----- stderr -----
    warning: `--index-strategy unsafe-best-match` takes the versions of each package from every index: a package published on a public index under the name of a private one can replace it (dependency confusion)
    Resolved 2 package(s) in [TIME]
    `requirements.txt` is up to date
    ");
}
