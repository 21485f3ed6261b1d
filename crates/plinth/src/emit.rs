//! The option lines written at the top of the lockfile on request
//! (`--emit-index-url`, `--emit-find-links`), as pip-compile writes them:
//! `--index-url URL` (left out when it is PyPI), `--extra-index-url URL`
//! for each extra index, then `--find-links X`.
//!
//! Nothing secret is written: a URL loses its user name, password and query,
//! unless the credentials are only `${NAME}` references (which pip expands
//! when it installs), which are kept as written. Relative `--find-links`
//! paths stay relative, to the lockfile's directory.

use std::path::Path;

use plinth_index::strip_credentials;
use plinth_requirements::RequirementsFile;
use url::Url;

use crate::cli::CompileArgs;
use crate::lock::PYPI;
use crate::paths::{absolute, relative_to};

/// The option lines for the lockfile written in `output_dir`.
pub fn option_lines(
    args: &CompileArgs,
    input: &RequirementsFile,
    cwd: &Path,
    output_dir: &Path,
) -> Vec<String> {
    let mut lines = Vec::new();
    if args.emit_index_url && !args.index.no_index && !input.no_index {
        lines.extend(index_lines(args, input));
    }
    if args.emit_find_links {
        let given = args
            .index
            .find_links
            .iter()
            .map(|text| (text.as_str(), cwd.to_path_buf()))
            .chain(input.find_links.iter().map(|link| {
                let base = absolute(cwd, &link.origin.path)
                    .parent()
                    .map_or_else(|| cwd.to_path_buf(), Path::to_path_buf);
                (link.value.as_str(), base)
            }));
        for (text, base) in given {
            let line = format!("--find-links {}", find_link_text(text, &base, output_dir));
            if !lines.contains(&line) {
                lines.push(line);
            }
        }
    }
    lines
}

/// `--index-url` (command line, else input file; none when it is PyPI), then
/// `--extra-index-url` (command line, then input files), each index once,
/// in the order [`crate::lock`] uses them.
fn index_lines(args: &CompileArgs, input: &RequirementsFile) -> Vec<String> {
    let main = args
        .index
        .index_url
        .clone()
        .or_else(|| input.index_url.as_ref().map(|url| url.value.clone()))
        .unwrap_or_else(|| PYPI.to_string());
    let extras = args
        .index
        .extra_index_url
        .iter()
        .cloned()
        .chain(input.extra_index_urls.iter().map(|url| url.value.clone()));
    // (identity, text to write); the identity ignores credentials, as the
    // index list does.
    let mut indexes: Vec<(String, String)> = Vec::new();
    for text in std::iter::once(main).chain(extras) {
        let written = url_text(&text);
        let identity = identity(&text);
        match indexes.iter_mut().find(|(known, _)| *known == identity) {
            // Keep the `${VAR}` credentials of a repeat without them.
            Some((_, known)) if !known.contains('@') && written.contains('@') => *known = written,
            Some(_) => {}
            None => indexes.push((identity, written)),
        }
    }
    let mut lines = Vec::new();
    for (position, (_, text)) in indexes.into_iter().enumerate() {
        if position == 0 {
            if text.trim_end_matches('/') != PYPI {
                lines.push(format!("--index-url {text}"));
            }
        } else {
            lines.push(format!("--extra-index-url {text}"));
        }
    }
    lines
}

/// What makes two index URLs the same index: the URL without credentials.
fn identity(text: &str) -> String {
    let expanded = plinth_requirements::expand_env_vars(text);
    Url::parse(&expanded).map_or_else(
        |_| url_text(text),
        |url| strip_credentials(&url).trim_end_matches('/').to_string(),
    )
}

/// A `--find-links` value as written in the lockfile: a URL without its
/// secrets; a relative path relative to `output_dir` (as written when it
/// was given relative to that directory); an absolute path as given.
fn find_link_text(text: &str, base: &Path, output_dir: &Path) -> String {
    if text.contains("://") || text.starts_with("file:") {
        return url_text(text);
    }
    let path = Path::new(text);
    if path.is_absolute() || text.contains("${") || base == output_dir {
        return text.to_string();
    }
    relative_to(&absolute(base, path), output_dir)
}

/// A URL as the user wrote it, fit for a file that is kept: without user
/// name, password and query, unless the credentials are only `${NAME}`
/// references (`https://${TOKEN}@host/simple`,
/// `https://__token__:${PASSWORD}@host/simple`), which are kept as written.
pub fn url_text(text: &str) -> String {
    let Some((scheme, rest)) = text.split_once("://") else {
        return text.to_string();
    };
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, path) = rest.split_at(authority_end);
    let authority = match authority.rsplit_once('@') {
        Some((userinfo, host)) if !references_only(userinfo) => host,
        _ => authority,
    };
    let path = match path.split_once('?') {
        Some((before, after)) => match after.split_once('#') {
            Some((_, fragment)) => format!("{before}#{fragment}"),
            None => before.to_string(),
        },
        None => path.to_string(),
    };
    format!("{scheme}://{authority}{path}")
}

/// Whether the secret part of `user[:password]` is made of `${NAME}`
/// references alone: the password when there is one, else the user name
/// (a token given as the user name).
fn references_only(userinfo: &str) -> bool {
    match userinfo.split_once(':') {
        Some((_, password)) if !password.is_empty() => is_references(password),
        Some((user, _)) => is_references(user),
        None => is_references(userinfo),
    }
}

/// `${NAME}${OTHER}`: one or more references as pip expands them (`NAME`
/// made of uppercase ASCII letters, digits and `_`), and nothing else.
fn is_references(text: &str) -> bool {
    let mut rest = text;
    if rest.is_empty() {
        return false;
    }
    while !rest.is_empty() {
        let Some(after) = rest.strip_prefix("${") else {
            return false;
        };
        let Some((name, tail)) = after.split_once('}') else {
            return false;
        };
        if name.is_empty()
            || !name
                .chars()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
        {
            return false;
        }
        rest = tail;
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_are_never_written() {
        let cases = [
            ("https://pypi.org/simple", "https://pypi.org/simple"),
            (
                "https://user:secret@host.example/simple/",
                "https://host.example/simple/",
            ),
            (
                "https://token@host.example/simple",
                "https://host.example/simple",
            ),
            (
                "https://host.example/simple?token=secret#frag",
                "https://host.example/simple#frag",
            ),
            (
                "https://${TOKEN}@host.example/simple",
                "https://${TOKEN}@host.example/simple",
            ),
            (
                "https://${USER}:${PASSWORD}@host.example/simple",
                "https://${USER}:${PASSWORD}@host.example/simple",
            ),
            (
                "https://__token__:${PYPI_TOKEN}@host.example/simple",
                "https://__token__:${PYPI_TOKEN}@host.example/simple",
            ),
            // A literal password next to a reference is still a secret.
            (
                "https://${USER}:secret@host.example/simple",
                "https://host.example/simple",
            ),
            // pip does not expand lowercase names: a literal.
            (
                "https://${token}@host.example/simple",
                "https://host.example/simple",
            ),
            (
                "https://x${TOKEN}@host.example/simple",
                "https://host.example/simple",
            ),
            (
                "https://user:@host.example/simple",
                "https://host.example/simple",
            ),
            ("./wheels", "./wheels"),
        ];
        for (given, written) in cases {
            assert_eq!(url_text(given), written, "{given}");
        }
    }

    #[test]
    fn find_links_stay_relative_to_the_lockfile() {
        let root = Path::new("/work/project");
        let sub = Path::new("/work/project/sub");
        assert_eq!(find_link_text("./wheels", root, root), "./wheels");
        assert_eq!(find_link_text("wheels", sub, root), "sub/wheels");
        assert_eq!(find_link_text("../wheels", root, sub), "../../wheels");
        assert_eq!(find_link_text("/opt/wheels", sub, root), "/opt/wheels");
        assert_eq!(
            find_link_text("https://u:p@host.example/links/", sub, root),
            "https://host.example/links/"
        );
    }

    fn args(words: &[&str]) -> CompileArgs {
        use clap::Parser;
        let words = ["plinth", "compile"].iter().chain(words);
        match crate::cli::Cli::try_parse_from(words).map(|cli| cli.command) {
            Ok(crate::cli::Command::Compile(args)) => args,
            other => panic!("not a compile command: {other:?}"),
        }
    }

    fn input(text: &str) -> RequirementsFile {
        plinth_requirements::parse_str(text, Path::new("/work/project/requirements.in"))
            .expect("valid input")
    }

    #[test]
    fn index_lines_as_pip_compile_writes_them() {
        let root = Path::new("/work/project");
        let lines =
            |words: &[&str], text: &str| option_lines(&args(words), &input(text), root, root);
        // PyPI as the main index is left out; its extras are not.
        assert_eq!(
            lines(
                &["--emit-index-url"],
                "--extra-index-url https://${TOKEN}@private.example/simple\n"
            ),
            ["--extra-index-url https://${TOKEN}@private.example/simple"]
        );
        assert_eq!(
            lines(&["--emit-index-url", "-i", "https://pypi.org/simple/"], ""),
            Vec::<String>::new()
        );
        // The command line's index wins over the file's; each index once.
        assert_eq!(
            lines(
                &[
                    "--emit-index-url",
                    "-i",
                    "https://user:secret@private.example/simple",
                    "--extra-index-url",
                    "https://pypi.org/simple",
                ],
                "--index-url https://other.example/simple\n\
                 --extra-index-url https://${TOKEN}@private.example/simple/\n\
                 --extra-index-url https://pypi.org/simple/\n",
            ),
            [
                "--index-url https://${TOKEN}@private.example/simple/",
                "--extra-index-url https://pypi.org/simple",
            ]
        );
        // Off unless asked for, and nothing with --no-index.
        assert!(lines(&[], "--index-url https://other.example/simple\n").is_empty());
        assert!(
            lines(
                &["--emit-index-url", "--no-index"],
                "--index-url https://other.example/simple\n"
            )
            .is_empty()
        );
    }

    #[test]
    fn one_index_is_one_index_whatever_its_credentials() {
        assert_eq!(
            identity("https://${TOKEN}@host.example/simple/"),
            identity("https://host.example/simple")
        );
        assert_ne!(
            identity("https://host.example/simple"),
            identity("https://other.example/simple")
        );
    }
}
