//! `${NAME}` expansion, alone and in requirements files.

use std::path::Path;

use insta::assert_snapshot;

use crate::expand::expand_mapped;
use crate::parse::parse_str_with_env;

const ENV: &[(&str, &str)] = &[
    ("TOKEN", "s3cret"),
    ("VERSION", "3.1"),
    ("EMPTY", ""),
    ("DIR", "sub"),
    ("HOST", "index.example"),
    ("BAD", "~"),
];

fn lookup(name: &str) -> Option<String> {
    ENV.iter()
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value.to_string())
}

fn expand(text: &str) -> String {
    expand_mapped(text, &lookup).text
}

#[test]
fn expands_like_pip() {
    assert_eq!(expand("flask==${VERSION}"), "flask==3.1");
    assert_eq!(expand("${TOKEN}${TOKEN}"), "s3crets3cret");
    // Unset and empty variables stay as written, as in pip.
    assert_eq!(expand("${UNSET}/${EMPTY}"), "${UNSET}/${EMPTY}");
    // Only `${NAME}` with uppercase letters, digits and `_`.
    assert_eq!(
        expand("$TOKEN ${token} ${TO-KEN} ${} %TOKEN% ${TOKEN"),
        "$TOKEN ${token} ${TO-KEN} ${} %TOKEN% ${TOKEN"
    );
    // Values are not expanded again.
    assert_eq!(
        expand_mapped("${A}", &|name: &str| (name == "A")
            .then(|| "${A}".to_string()))
        .text,
        "${A}"
    );
}

#[test]
fn maps_expanded_chars_back_to_the_reference() {
    let expanded = expand_mapped("a${VERSION}b", &lookup);
    assert_eq!(expanded.text, "a3.1b");
    assert_eq!(expanded.origins, [0, 1, 1, 1, 11, 12]);
    // The value as a whole is the whole reference; a char of it is the `$`.
    assert_eq!(expanded.original_span(1, 3), (1, 10));
    assert_eq!(expanded.original_span(2, 1), (1, 1));
    assert_eq!(expanded.original_span(4, 1), (11, 1));
    assert_eq!(expanded.original_span(5, 0), (12, 1));
}

fn parse(content: &str) -> String {
    match parse_str_with_env(content, Path::new("requirements.in"), ENV) {
        Ok(file) => super::parse::summarize(&file),
        Err(error) => panic!("unexpected error:\n{error}"),
    }
}

fn error(content: &str) -> String {
    match parse_str_with_env(content, Path::new("requirements.in"), ENV) {
        Ok(file) => panic!(
            "expected an error, got:\n{}",
            super::parse::summarize(&file)
        ),
        Err(error) => error.to_string(),
    }
}

#[test]
fn requirements_are_expanded_and_index_urls_kept_as_written() {
    assert_snapshot!(parse(
        "\
--index-url https://user:${TOKEN}@${HOST}/simple
--extra-index-url https://${UNSET}@mirror.example/simple
flask==${VERSION}
"
    ), @"
    requirements:
      requirements.in:3  flask==3.1
    index-url: https://user:${TOKEN}@${HOST}/simple (requirements.in:1)
    extra-index-url: https://${UNSET}@mirror.example/simple (requirements.in:2)
    ");
}

#[test]
fn direct_reference_keeps_the_url_as_written() {
    let file = parse_str_with_env(
        "pkg @ https://${HOST}/pkg-1.0.tar.gz ; python_version > '3'\n",
        Path::new("requirements.in"),
        ENV,
    )
    .expect("parses");
    let Some(pep508_rs::VersionOrUrl::Url(url)) = &file.requirements[0].requirement.version_or_url
    else {
        panic!("not a URL: {:?}", file.requirements[0]);
    };
    assert_eq!(url.as_str(), "https://index.example/pkg-1.0.tar.gz");
    assert_eq!(url.given(), Some("https://${HOST}/pkg-1.0.tar.gz"));
}

#[test]
fn error_in_an_expanded_value_points_at_the_reference() {
    assert_snapshot!(error("flask${BAD}3\n"), @r#"
    Invalid requirement at `requirements.in:1:6`: no such comparison operator "~", must be one of ~= == != <= >= < > ===
      flask${BAD}3
           ^^^^^^^
    "#);
    assert_snapshot!(error("flask==${VERSION} ; python_version >> '3'\n"), @"
    Invalid requirement at `requirements.in:1:36`: Expected a valid marker operator (such as `>=` or `not in`), found `>>`
      flask==${VERSION} ; python_version >> '3'
                                         ^^
    ");
}

#[test]
fn include_paths_are_expanded() {
    let dir = tempfile::tempdir().expect("create a temporary directory");
    std::fs::create_dir(dir.path().join("sub")).expect("create sub");
    std::fs::write(dir.path().join("sub/base.in"), "six\n").expect("write base.in");
    let top = dir.path().join("requirements.in");
    let file = parse_str_with_env("-r ${DIR}/base.in\nflask\n", &top, ENV).expect("parses");
    let names: Vec<String> = file
        .requirements
        .iter()
        .map(|entry| entry.requirement.name.to_string())
        .collect();
    assert_eq!(names, ["six", "flask"]);
    assert!(file.requirements[0].origin.path.ends_with("sub/base.in"));
}
