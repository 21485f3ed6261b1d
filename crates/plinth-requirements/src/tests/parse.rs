use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use insta::assert_snapshot;

use crate::{ParseError, ParseErrorKind, RequirementsFile, parse_file, parse_str};

const SHA_A: &str = "sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
const SHA_B: &str = "sha256:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";

/// A compact, stable view of a parse result.
pub(super) fn summarize(file: &RequirementsFile) -> String {
    let mut out = String::new();
    for (title, entries) in [
        ("requirements", &file.requirements),
        ("constraints", &file.constraints),
    ] {
        if entries.is_empty() {
            continue;
        }
        let _ = writeln!(out, "{title}:");
        for entry in entries {
            let _ = writeln!(out, "  {}  {}", entry.origin, entry.requirement);
            for hash in &entry.hashes {
                let _ = writeln!(out, "    --hash={hash}");
            }
        }
    }
    if let Some(index_url) = &file.index_url {
        let _ = writeln!(out, "index-url: {} ({})", index_url.value, index_url.origin);
    }
    for url in &file.extra_index_urls {
        let _ = writeln!(out, "extra-index-url: {} ({})", url.value, url.origin);
    }
    if file.pre {
        let _ = writeln!(out, "pre");
    }
    for link in &file.find_links {
        let _ = writeln!(out, "find-links: {} ({})", link.value, link.origin);
    }
    if file.no_index {
        let _ = writeln!(out, "no-index");
    }
    if !file.unnamed.is_empty() {
        let _ = writeln!(out, "unnamed:");
    }
    for entry in &file.unnamed {
        let editable = if entry.editable { "-e " } else { "" };
        let extras: Vec<&str> = entry.extras.iter().map(AsRef::as_ref).collect();
        let _ = write!(
            out,
            "  {}  {editable}{} extras={extras:?}",
            entry.origin, entry.target
        );
        match entry.marker.contents() {
            Some(marker) => {
                let _ = writeln!(out, " marker={marker}");
            }
            None => {
                let _ = writeln!(out);
            }
        }
        for hash in &entry.hashes {
            let _ = writeln!(out, "    --hash={hash}");
        }
    }
    out
}

fn parse(content: &str) -> String {
    match parse_str(content, Path::new("requirements.in")) {
        Ok(file) => summarize(&file),
        Err(error) => panic!("unexpected error:\n{error}"),
    }
}

fn parse_error(content: &str) -> ParseError {
    match parse_str(content, Path::new("requirements.in")) {
        Ok(file) => panic!("expected an error, got:\n{}", summarize(&file)),
        Err(error) => error,
    }
}

fn error(content: &str) -> String {
    parse_error(content).to_string()
}

/// A temporary directory of files; paths in messages are shown relative to `[TEMP]`.
struct Tree {
    dir: tempfile::TempDir,
}

impl Tree {
    fn new(files: &[(&str, &str)]) -> Self {
        let dir = tempfile::tempdir().expect("create a temporary directory");
        for (name, content) in files {
            let path = dir.path().join(name);
            if let Some(parent) = path.parent() {
                std::fs::create_dir_all(parent).expect("create a directory");
            }
            std::fs::write(&path, content).expect("write a file");
        }
        Self { dir }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn redact(&self, text: &str) -> String {
        text.replace(&self.dir.path().display().to_string(), "[TEMP]")
    }

    fn parse(&self, name: &str) -> String {
        match parse_file(&self.path(name)) {
            Ok(file) => self.redact(&summarize(&file)),
            Err(error) => panic!("unexpected error:\n{error}"),
        }
    }

    fn error(&self, name: &str) -> String {
        match parse_file(&self.path(name)) {
            Ok(file) => panic!("expected an error, got:\n{}", summarize(&file)),
            Err(error) => self.redact(&error.to_string()),
        }
    }
}

// Syntax.

#[test]
fn requirement_forms() {
    assert_snapshot!(parse(
        "\
flask
Flask_Login>=0.6,<1
requests[socks, security]  ==  2.32.3
importlib-metadata; python_version < \"3.10\"
pywin32 >=306 ; sys_platform == 'win32'
wheel @ https://example.com/wheel-0.45.1-py3-none-any.whl
attrs@https://example.com/attrs-25.1.0.tar.gz#sha256=0123
"
    ));
}

#[test]
fn blank_lines_and_comments() {
    assert_snapshot!(parse(
        "\
# A full-line comment

   # An indented comment
flask>=3  # an inline comment
\t
jinja2\t# a comment after a tab
"
    ));
}

#[test]
fn continuation_lines() {
    assert_snapshot!(parse(
        "\
flask\\
>=3.0,\\
<4
click \\
    >=8
# a comment ending with a backslash is not continued \\
itsdangerous
werkzeug \\
# a full-line comment ends a continued line
blinker \\

"
    ));
}

#[test]
fn continuation_after_inline_comment_swallows_next_line_like_pip() {
    // pip joins the lines first, then the comment runs to the end of the joined line.
    assert_snapshot!(parse(
        "\
flask  # web \\
requests
click
"
    ));
}

#[test]
fn crlf_line_endings_and_bom() {
    assert_snapshot!(parse("\u{feff}flask \\\r\n  >=3\r\nclick\r\n"));
}

#[test]
fn index_options() {
    assert_snapshot!(parse(
        "\
-i https://pypi.example.com/simple
--index-url=https://pypi.example.com/simple
--extra-index-url https://extra.example.com/simple
--extra-index-url=https://other.example.com/simple
--extra-index-url https://extra.example.com/simple
--pre
flask
"
    ));
}

#[test]
fn option_spellings() {
    assert_snapshot!(parse(
        "\
-ihttps://a.example.com/simple
--pypi-url 'https://a.example.com/simple'
--extra-index-url \"https://b.example.com/simple\" --pre
"
    ));
}

#[test]
fn hashes() {
    let content = format!(
        "\
flask==3.1.3 \\
    --hash={SHA_A} \\
    --hash {SHA_B}
click==8.1.8 --hash={SHA_B}
jinja2==3.1.6 ; python_version >= '3.8' \\
    --hash={SHA_A}
"
    );
    assert_snapshot!(parse(&content));
}

#[test]
fn hash_algorithms() {
    let sha384 = format!("sha384:{}", "0".repeat(96));
    let sha512 = format!("sha512:{}", "f".repeat(128));
    let file = parse_str(
        &format!("flask --hash={sha384} --hash={sha512}\n"),
        Path::new("requirements.in"),
    )
    .expect("valid hashes");
    assert_eq!(file.requirements[0].hashes, vec![sha384, sha512]);
}

#[test]
fn nested_includes_resolve_relative_to_including_file() {
    let tree = Tree::new(&[
        (
            "requirements.in",
            "flask\n-r sub/base.in\n--requirement=other.in\n",
        ),
        (
            "sub/base.in",
            "# base\n-r ../common.in\nclick>=8\n-c constraints.txt\n",
        ),
        ("sub/constraints.txt", "click<9\n-r more-constraints.txt\n"),
        ("sub/more-constraints.txt", "jinja2<4\n"),
        (
            "common.in",
            "-i https://pypi.example.com/simple\nrequests\n",
        ),
        ("other.in", "--pre\nwerkzeug\n"),
    ]);
    assert_snapshot!(tree.parse("requirements.in"));
}

#[test]
fn constraint_files() {
    let tree = Tree::new(&[
        (
            "requirements.in",
            "-c constraints.txt\nflask\n--constraint more.txt\n",
        ),
        (
            "constraints.txt",
            &format!("werkzeug==3.1.3 --hash={SHA_A}\n-c nested.txt\n"),
        ),
        ("nested.txt", "click==8.1.8\n"),
        (
            "more.txt",
            "--extra-index-url https://extra.example.com\njinja2<4\n",
        ),
    ]);
    assert_snapshot!(tree.parse("requirements.in"));
}

#[test]
fn including_a_file_twice_is_not_a_cycle() {
    let tree = Tree::new(&[
        ("requirements.in", "-r a.in\n-r b.in\n"),
        ("a.in", "-r common.in\nflask\n"),
        ("b.in", "-r common.in\nclick\n"),
        ("common.in", "requests\n"),
    ]);
    assert_snapshot!(tree.parse("requirements.in"));
}

#[test]
fn parse_str_resolves_includes_next_to_path() {
    let tree = Tree::new(&[("base.in", "click\n")]);
    let file = parse_str("flask\n-r base.in\n", &tree.path("requirements.in"))
        .expect("the include exists");
    assert_snapshot!(tree.redact(&summarize(&file)));
}

#[test]
fn empty_file() {
    assert_eq!(
        parse_str("", Path::new("requirements.in")).expect("empty is fine"),
        RequirementsFile::default()
    );
    assert_eq!(
        parse_str("\n  \n# only comments\n", Path::new("requirements.in"))
            .expect("comments are fine"),
        RequirementsFile::default()
    );
}

// Errors.

#[test]
fn error_invalid_requirement() {
    let error = parse_error("flask\n\nflask>=>2\n");
    assert_eq!(error.path(), Path::new("requirements.in"));
    assert_eq!(error.line(), Some(3));
    assert_eq!(error.column(), Some(6));
    assert!(matches!(
        error.kind(),
        ParseErrorKind::InvalidRequirement { .. }
    ));
    assert_snapshot!(error.to_string());
}

#[test]
fn error_invalid_marker() {
    assert_snapshot!(error("importlib-metadata; python_version > 3.8\n"));
}

#[test]
fn error_invalid_requirement_at_end_of_line() {
    assert_snapshot!(error("requests[socks\n"));
}

#[test]
fn error_invalid_requirement_on_continuation_line() {
    let error = parse_error("flask \\\n  >=3.0, \\\n  <=>4\n");
    assert_snapshot!(error.to_string());
    assert_eq!((error.line(), error.column()), (Some(3), Some(3)));
}

#[test]
fn error_column_counts_chars() {
    // Non-ASCII text before the error: columns are in chars, not bytes.
    let error = parse_error("name @ https://exämple.com/ä.whl ; os_name ==\n");
    assert_snapshot!(error.to_string());
}

#[test]
fn error_names_ending_in_punctuation() {
    // pep508_rs 0.9.2 panics on these; plinth reports them.
    let cases = [
        "flask- >=3",
        "flask_;python_version>'3'",
        "flask[a-]",
        "flask [ a , b. ] >=3",
    ];
    let out: Vec<String> = cases.iter().map(|case| error(case)).collect();
    assert_snapshot!(out.join("\n\n"));
}

#[test]
fn error_caret_keeps_tabs() {
    assert_snapshot!(error("\tflask>=>2\n"));
}

#[test]
fn find_links_and_no_index() {
    let tree = Tree::new(&[
        (
            "requirements.in",
            "-f ./wheels\n--find-links=https://example.com/links.html\n-r sub/more.in\nflask\n",
        ),
        (
            "sub/more.in",
            "--find-links ./wheels\n--find-links ../wheels\n--no-index\nsix\n",
        ),
    ]);
    assert_snapshot!(tree.parse("requirements.in"), @"
    requirements:
      [TEMP]/sub/more.in:4  six
      [TEMP]/requirements.in:4  flask
    find-links: ./wheels ([TEMP]/requirements.in:1)
    find-links: https://example.com/links.html ([TEMP]/requirements.in:2)
    find-links: ./wheels ([TEMP]/sub/more.in:1)
    find-links: ../wheels ([TEMP]/sub/more.in:2)
    no-index
    ");
    assert_snapshot!(error("flask -f ./wheels\n"), @"
    Invalid option at `requirements.in:1:7`: `-f` must be on a line of its own, not after a requirement
      flask -f ./wheels
            ^^
    ");
}

#[test]
fn error_unsupported_options() {
    let cases = [
        "--no-binary :all:",
        "--only-binary=:all:",
        "--prefer-binary",
        "--require-hashes",
        "--trusted-host example.com",
        "--use-feature fast-deps",
        "flask --global-option=--quiet",
        "flask -C key=value",
        "-r https://example.com/requirements.txt",
        "-c file:///constraints.txt",
    ];
    let out: Vec<String> = cases.iter().map(|case| error(case)).collect();
    assert_snapshot!(out.join("\n\n"));
}

#[test]
fn error_unknown_options() {
    let cases = [
        "--frobnicate",
        "--frobnicate=yes",
        "-x",
        "-",
        "flask --frobnicate",
        "--req base.in",
    ];
    let out: Vec<String> = cases.iter().map(|case| error(case)).collect();
    assert_snapshot!(out.join("\n\n"));
}

#[test]
fn unnamed_requirements_and_editables() {
    let content = format!(
        "./project\n\
../project[extra, Other]\n\
/abs/project ; sys_platform == 'linux'\n\
src/project\n\
https://example.com/flask-3.1.3-py3-none-any.whl --hash={SHA_A}\n\
https://example.com/a;b/x-1.0.tar.gz ; python_version >= '3.9'\n\
git+https://github.com/pallets/flask.git@3.1.3#egg=flask\n\
file:///wheels/flask-3.1.3-py3-none-any.whl\n\
flask-3.1.3-py3-none-any.whl\n\
flask-3.1.3.tar.gz;python_version >= '3.9'\n\
-e ./editable[dev]\n\
--editable=git+https://example.com/repo@main\n\
flask @ https://example.com/flask-3.1.3-py3-none-any.whl\n"
    );
    assert_snapshot!(parse(&content), @r#"
    requirements:
      requirements.in:13  flask @ https://example.com/flask-3.1.3-py3-none-any.whl
    unnamed:
      requirements.in:1  ./project extras=[]
      requirements.in:2  ../project extras=["extra", "other"]
      requirements.in:3  /abs/project extras=[] marker=sys_platform == 'linux'
      requirements.in:4  src/project extras=[]
      requirements.in:5  https://example.com/flask-3.1.3-py3-none-any.whl extras=[]
        --hash=sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa
      requirements.in:6  https://example.com/a;b/x-1.0.tar.gz extras=[] marker=python_full_version >= '3.9'
      requirements.in:7  git+https://github.com/pallets/flask.git@3.1.3#egg=flask extras=[]
      requirements.in:8  file:///wheels/flask-3.1.3-py3-none-any.whl extras=[]
      requirements.in:9  flask-3.1.3-py3-none-any.whl extras=[]
      requirements.in:10  flask-3.1.3.tar.gz extras=[] marker=python_full_version >= '3.9'
      requirements.in:11  -e ./editable extras=["dev"]
      requirements.in:12  -e git+https://example.com/repo@main extras=[]
    "#);
}

#[test]
fn error_unnamed_requirements() {
    let cases = [
        "./project[not valid]",
        "./project ; python_version >>> '3'",
        "-e ./project[-x]",
        "-e ./project --hash=sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
        "flask -e ./project",
        "[extra]",
    ];
    let out: Vec<String> = cases.iter().map(|case| error(case)).collect();
    assert_snapshot!(out.join("\n\n"), @r#"
    Invalid requirement at `requirements.in:1:11`: Not a valid package or extra name: "not valid". Names must start and end with a letter or digit and may only contain -, _, ., and alphanumeric characters.
      ./project[not valid]
                ^^^^^^^^^

    Invalid requirement at `requirements.in:1:13`: Expected a valid marker operator (such as `>=` or `not in`), found `>>>`
      ./project ; python_version >>> '3'
                  ^^^^^^^^^^^^^^^^^^^^^^

    Invalid requirement at `requirements.in:1:4`: Not a valid package or extra name: "-x". Names must start and end with a letter or digit and may only contain -, _, ., and alphanumeric characters.
      -e ./project[-x]
         ^^^^^^^^^^^^^

    Invalid option at `requirements.in:1:14`: `--hash` is only allowed after a requirement on the same line
      -e ./project --hash=sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa
                   ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^

    Invalid option at `requirements.in:1:7`: `-e` must be on a line of its own, not after a requirement
      flask -e ./project
            ^^

    Invalid requirement at `requirements.in:1:1`: Expected package name starting with an alphanumeric character, found `[`
      [extra]
      ^
    "#);
}

#[test]
fn error_unnamed_constraints() {
    let directory = tempfile::tempdir().expect("a temporary directory");
    let constraints = directory.path().join("constraints.txt");
    std::fs::write(&constraints, "./project\n").expect("write constraints");
    let input = directory.path().join("requirements.in");
    std::fs::write(&input, "-c constraints.txt\n").expect("write requirements");
    let error = parse_file(&input).expect_err("paths are no constraints");
    assert!(
        matches!(error.kind(), ParseErrorKind::UnnamedConstraint { .. }),
        "{error}"
    );
    std::fs::write(&constraints, "-e ./project\n").expect("write constraints");
    let error = parse_file(&input).expect_err("editables are no constraints");
    assert!(
        matches!(error.kind(), ParseErrorKind::UnnamedConstraint { .. }),
        "{error}"
    );
}

#[test]
fn error_option_values() {
    let cases = [
        "-r",
        "--requirement",
        "--index-url=",
        "--extra-index-url",
        "--pre=yes",
        "-r a.in b.in",
        "--index-url 'https://example.com",
        "flask --hash",
    ];
    let out: Vec<String> = cases.iter().map(|case| error(case)).collect();
    assert_snapshot!(out.join("\n\n"));
}

#[test]
fn error_misplaced_options() {
    let cases = [
        format!("--hash={SHA_A}"),
        "flask --pre".to_string(),
        "flask -r other.in".to_string(),
        "flask --index-url https://example.com".to_string(),
    ];
    let out: Vec<String> = cases.iter().map(|case| error(case)).collect();
    assert_snapshot!(out.join("\n\n"));
}

#[test]
fn error_invalid_hashes() {
    let cases = [
        "flask --hash=md5:0123456789abcdef0123456789abcdef".to_string(),
        "flask --hash=sha256:abc".to_string(),
        "flask --hash=0123".to_string(),
        format!("flask --hash={}", SHA_A.to_uppercase()),
        format!("flask \\\n  --hash={SHA_A} \\\n  --hash=sha256:xyz"),
    ];
    let out: Vec<String> = cases.iter().map(|case| error(case)).collect();
    assert_snapshot!(out.join("\n\n"));
}

#[test]
fn error_conflicting_index_urls() {
    let tree = Tree::new(&[
        (
            "requirements.in",
            "-r base.in\n-i https://b.example.com/simple\n",
        ),
        ("base.in", "--index-url https://a.example.com/simple\n"),
    ]);
    assert_snapshot!(tree.error("requirements.in"));
}

#[test]
fn error_in_included_file_names_the_chain() {
    let tree = Tree::new(&[
        ("requirements.in", "flask\n-r sub/base.in\n"),
        ("sub/base.in", "click\n-c ../constraints.txt\n"),
        ("constraints.txt", "\njinja2>=>3\n"),
    ]);
    let error = parse_file(&tree.path("requirements.in")).expect_err("invalid constraint");
    assert_eq!(error.path(), tree.path("sub/../constraints.txt"));
    assert_eq!((error.line(), error.column()), (Some(2), Some(7)));
    assert_eq!(error.included_from().len(), 2);
    assert_snapshot!(tree.redact(&error.to_string()));
}

#[test]
fn error_missing_include() {
    let tree = Tree::new(&[
        ("requirements.in", "flask\n-r sub/base.in\n"),
        ("sub/base.in", "click\n  --constraint   missing.txt\n"),
    ]);
    let error = parse_file(&tree.path("requirements.in")).expect_err("missing include");
    assert_eq!(error.path(), tree.path("sub/base.in"));
    assert_eq!((error.line(), error.column()), (Some(2), Some(18)));
    assert!(matches!(
        error.kind(),
        ParseErrorKind::IncludeRead { included, .. } if *included == tree.path("sub/missing.txt")
    ));
    assert_snapshot!(tree.redact(&error.to_string()));
}

#[test]
fn error_include_of_a_directory() {
    let tree = Tree::new(&[("requirements.in", "-r sub\n"), ("sub/base.in", "")]);
    assert_snapshot!(tree.error("requirements.in"));
}

#[test]
fn error_include_cycle() {
    let tree = Tree::new(&[
        ("requirements.in", "flask\n-r a.in\n"),
        ("a.in", "-r sub/b.in\n"),
        ("sub/b.in", "click\n-c ../a.in\n"),
    ]);
    let error = parse_file(&tree.path("requirements.in")).expect_err("cycle");
    assert!(matches!(
        error.kind(),
        ParseErrorKind::IncludeCycle { chain } if chain.len() == 3
    ));
    assert_snapshot!(tree.redact(&error.to_string()));
}

#[test]
fn error_self_include() {
    let tree = Tree::new(&[("requirements.in", "flask\n-r ./requirements.in\n")]);
    assert_snapshot!(tree.error("requirements.in"));
}

#[test]
fn error_missing_file() {
    let tree = Tree::new(&[]);
    let error = parse_file(&tree.path("requirements.in")).expect_err("missing file");
    assert_eq!(error.path(), tree.path("requirements.in"));
    assert_eq!((error.line(), error.column()), (None, None));
    assert!(matches!(error.kind(), ParseErrorKind::Read { .. }));
    assert_snapshot!(tree.redact(&error.to_string()));
}

#[test]
fn error_directory() {
    let tree = Tree::new(&[("dir/requirements.in", "")]);
    assert_snapshot!(tree.error("dir"));
}

#[test]
fn error_not_utf8() {
    let tree = Tree::new(&[]);
    std::fs::write(
        tree.path("requirements.in"),
        b"flask\nclick # caf\xe9 \xff\nrequests\n",
    )
    .expect("write a file");
    let error = parse_file(&tree.path("requirements.in")).expect_err("not UTF-8");
    assert_eq!((error.line(), error.column()), (Some(2), Some(12)));
    assert_snapshot!(tree.redact(&error.to_string()));
}

#[test]
fn error_not_utf8_in_include() {
    let tree = Tree::new(&[("requirements.in", "flask\n-r base.in\n")]);
    std::fs::write(tree.path("base.in"), b"\xc3(\n").expect("write a file");
    assert_snapshot!(tree.error("requirements.in"));
}

#[test]
fn parser_never_panics() {
    const ALPHABET: &[char] = &[
        'a', 'Z', '0', '9', '.', '-', '_', '=', '<', '>', '!', '~', '[', ']', '(', ')', ',', ';',
        '@', ' ', '\t', '#', '\\', '\n', '\r', '"', '\'', '/', ':', 'é', '€', '😀', '$', '{', '}',
        '*', '+',
    ];
    const WORDS: &[&str] = &[
        "flask",
        "-r",
        "-c",
        "--hash=",
        "sha256:",
        "--pre",
        "-i",
        "--index-url=",
        " @ ",
        "https://",
        "python_version",
        " and ",
        "'3.8'",
        "extra",
        "\\\n",
        " # ",
        "==",
        "\n",
        "[",
        "a-",
        "1.0",
        "~=",
        "file:",
        "${VAR}",
        "not in",
    ];
    let tree = Tree::new(&[]);
    let path = tree.path("requirements.in");
    let mut state: u64 = 42;
    let mut next = |bound: usize| {
        state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (state >> 33) as usize % bound
    };
    for _ in 0..20_000 {
        let mut content = String::new();
        for _ in 0..next(16) {
            if next(2) == 0 {
                content.push(ALPHABET[next(ALPHABET.len())]);
            } else {
                content.push_str(WORDS[next(WORDS.len())]);
            }
        }
        if let Err(error) = parse_str(&content, &path) {
            let message = error.to_string();
            assert!(!message.is_empty());
            assert!(error.line().is_some() || error.column().is_none());
        }
    }
}
