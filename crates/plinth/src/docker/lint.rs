//! `lint-docker` rules: what makes an image build unreproducible, with the
//! line, why it matters and the fix.
//!
//! Shell commands are found in `RUN` instructions (shell and exec form) split
//! at `&&`, `||`, `;` and `|`; environment assignments, `sudo` and `env` in
//! front of a command are skipped. Commands inside `sh -c '…'` strings,
//! scripts that the Dockerfile copies in and `--build-arg` values are not
//! looked into.

use std::fmt;
use std::path::Path;

use super::dockerfile::{Dockerfile, Instruction, split_words};
use super::image::ImageReference;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    Info,
    Warning,
    Error,
}

impl fmt::Display for Level {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Level::Info => "info",
            Level::Warning => "warning",
            Level::Error => "error",
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub line: usize,
    pub level: Level,
    /// A stable identifier of the rule (`base-image-release`).
    pub rule: &'static str,
    pub message: String,
    pub why: String,
    pub fix: String,
}

/// A package-manager command found in a `RUN` instruction.
#[derive(Debug)]
pub struct Command {
    pub line: usize,
    pub words: Vec<String>,
}

/// Every finding of `dockerfile`, by line. `context` is the directory lockfiles
/// named by `pip install -r` are looked up in (the Dockerfile's).
pub fn lint(dockerfile: &Dockerfile, context: &Path) -> Vec<Finding> {
    let mut findings = Vec::new();
    for (index, stage) in dockerfile.stages.iter().enumerate() {
        if dockerfile.base_stage(index).is_none() {
            base_image(stage.line, &stage.base, &mut findings);
        }
        for instruction in &stage.instructions {
            if instruction.keyword != "RUN" {
                continue;
            }
            for command in commands(instruction) {
                apt(&command, &mut findings);
                apk(&command, &mut findings);
                pip(&command, context, &mut findings);
            }
        }
    }
    findings.sort_by(|a, b| a.line.cmp(&b.line).then(b.level.cmp(&a.level)));
    findings
}

fn base_image(line: usize, base: &str, findings: &mut Vec<Finding>) {
    if base.eq_ignore_ascii_case("scratch") {
        return;
    }
    let Ok(reference) = ImageReference::parse(base) else {
        findings.push(Finding {
            line,
            level: Level::Error,
            rule: "base-image-release",
            message: format!("Base image `{base}` cannot be read"),
            why: "a build argument without a default (or an invalid reference) decides the base image at build time".to_string(),
            fix: "give the `ARG` a default that names a release and a digest".to_string(),
        });
        return;
    };
    if !reference.has_fixed_release() {
        let pinned = reference.digest.is_some();
        findings.push(Finding {
            line,
            level: if pinned { Level::Warning } else { Level::Error },
            rule: "base-image-release",
            message: format!("Base image `{reference}` has no OS release in its tag"),
            why: if pinned {
                "the digest pins the image, but nobody (nor `plinth compile --dockerfile`) can tell its OS release, and the next digest update may jump to a new one".to_string()
            } else {
                "the tag moves to each new OS release (glibc, system libraries, every apt package), so the same Dockerfile builds a different image".to_string()
            },
            fix: format!("name the release: `FROM {}`", reference.with_release_suggestion()),
        });
    }
    if reference.digest.is_none() {
        findings.push(Finding {
            line,
            level: Level::Info,
            rule: "base-image-digest",
            message: format!("Base image `{reference}` is not pinned by digest"),
            why: "a tag is republished with each security update, so two builds can start from different images".to_string(),
            fix: format!(
                "append the digest that `docker buildx imagetools inspect {reference}` prints: `FROM {reference}@sha256:...`"
            ),
        });
    }
}

/// The commands of a `RUN` instruction, each with the line it starts on.
pub fn commands(instruction: &Instruction) -> Vec<Command> {
    let text = instruction.arguments.as_str();
    // Exec form: `RUN ["pip", "install", "-r", "requirements.txt"]`.
    if let Some(inner) = text
        .strip_prefix('[')
        .and_then(|inner| inner.strip_suffix(']'))
    {
        let words = split_words(&inner.replace(',', " "));
        return vec![Command {
            line: instruction.line,
            words,
        }];
    }
    let mut found = Vec::new();
    let mut start = 0;
    let bytes = text.as_bytes();
    let mut index = 0;
    let mut quote: Option<u8> = None;
    let mut finish = |start: usize, end: usize| {
        let piece = &text[start..end];
        let offset = start + (piece.len() - piece.trim_start().len());
        let mut words = split_words(piece);
        // `RUN --mount=...` flags, assignments, `sudo`, `env`.
        let skip = words
            .iter()
            .take_while(|word| {
                word.starts_with("--mount")
                    || word.starts_with("--network")
                    || word.starts_with("--security")
                    || *word == "sudo"
                    || *word == "env"
                    || (word.contains('=') && !word.starts_with('-'))
            })
            .count();
        words.drain(..skip);
        if !words.is_empty() {
            found.push(Command {
                line: instruction.line_at(offset),
                words,
            });
        }
    };
    while index < bytes.len() {
        let byte = bytes[index];
        match quote {
            Some(open) if byte == open => quote = None,
            Some(_) => {}
            None if byte == b'\'' || byte == b'"' => quote = Some(byte),
            None if byte == b';' || byte == b'|' || byte == b'&' => {
                finish(start, index);
                while index + 1 < bytes.len() && matches!(bytes[index + 1], b'|' | b'&') {
                    index += 1;
                }
                start = index + 1;
            }
            None => {}
        }
        index += 1;
    }
    finish(start, text.len());
    found
}

/// The program of a command, without its directory (`/usr/bin/pip3` -> `pip3`).
fn program(word: &str) -> &str {
    word.rsplit('/').next().unwrap_or(word)
}

/// Arguments that are not options, skipping the values of `with_value` options.
fn operands<'a>(words: &'a [String], with_value: &[&str]) -> Vec<&'a str> {
    let mut found = Vec::new();
    let mut words = words.iter();
    while let Some(word) = words.next() {
        if with_value.contains(&word.as_str()) {
            words.next();
        } else if !word.starts_with('-') {
            found.push(word.as_str());
        }
    }
    found
}

/// The packages of an `apt-get install` / `apt install` command (without
/// variables and `.deb` paths), or `None` for another command.
pub fn apt_install_packages(command: &Command) -> Option<Vec<&str>> {
    let first = command.words.first()?;
    if !matches!(program(first), "apt-get" | "apt") {
        return None;
    }
    let rest = &command.words[1..];
    let position = rest.iter().position(|word| word == "install")?;
    let options = ["-o", "-t", "--target-release", "-c", "--config-file"];
    Some(
        operands(&rest[position + 1..], &options)
            .into_iter()
            .filter(|package| !package.contains('$') && !package.ends_with(".deb"))
            .collect(),
    )
}

fn apt(command: &Command, findings: &mut Vec<Finding>) {
    let Some(packages) = apt_install_packages(command) else {
        return;
    };
    let first = &command.words[0];
    let rest = &command.words[1..];
    let unpinned: Vec<&str> = packages
        .iter()
        .copied()
        .filter(|package| !package.contains('='))
        .collect();
    if !unpinned.is_empty() {
        findings.push(Finding {
            line: command.line,
            level: Level::Error,
            rule: "apt-unpinned",
            message: format!(
                "`{}` installs {} without a version",
                program(first),
                backticked(&unpinned)
            ),
            why: "apt installs whatever version the mirror has on build day".to_string(),
            fix: format!(
                "pin each package (`{}=VERSION`); `plinth lint-docker --pin-apt` prints the line for the image's release",
                unpinned[0]
            ),
        });
    }
    if !packages.is_empty() && !rest.iter().any(|word| word == "--no-install-recommends") {
        findings.push(Finding {
            line: command.line,
            level: Level::Info,
            rule: "apt-recommends",
            message: format!(
                "`{}` install without `--no-install-recommends`",
                program(first)
            ),
            why: "recommended packages are installed too, unpinned and unlisted".to_string(),
            fix: format!("`{} install --no-install-recommends ...`", program(first)),
        });
    }
}

fn apk(command: &Command, findings: &mut Vec<Finding>) {
    let Some(first) = command.words.first() else {
        return;
    };
    if program(first) != "apk" {
        return;
    }
    let rest = &command.words[1..];
    let Some(position) = rest.iter().position(|word| word == "add") else {
        return;
    };
    let options = [
        "-t",
        "--virtual",
        "-X",
        "--repository",
        "--root",
        "-p",
        "--arch",
        "--keys-dir",
        "--repositories-file",
        "--cache-dir",
    ];
    let unpinned: Vec<&str> = operands(&rest[position + 1..], &options)
        .into_iter()
        .filter(|package| {
            !package.contains('$')
                && !package.ends_with(".apk")
                && !package.contains('=')
                && !package.contains('~')
        })
        .collect();
    if !unpinned.is_empty() {
        findings.push(Finding {
            line: command.line,
            level: Level::Error,
            rule: "apk-unpinned",
            message: format!("`apk add` installs {} without a version", backticked(&unpinned)),
            why: "apk installs whatever version the mirror has on build day".to_string(),
            fix: format!(
                "pin each package (`{}=VERSION`, as `apk policy {}` lists them for the image's release)",
                unpinned[0], unpinned[0]
            ),
        });
    }
}

/// Whether `words` is a `pip install` command.
pub fn is_pip_install(words: &[String]) -> bool {
    pip_install(words).is_some()
}

/// The arguments after `install` of a pip command, if `words` is one:
/// `pip install`, `pip3.11 install`, `python -m pip install`, `uv pip install`.
fn pip_install(words: &[String]) -> Option<&[String]> {
    let first = program(words.first()?);
    let rest = if first == "uv" && words.get(1).is_some_and(|word| word == "pip") {
        &words[2..]
    } else if first.starts_with("pip") && first[3..].chars().all(|c| c.is_ascii_digit() || c == '.')
    {
        &words[1..]
    } else if first.starts_with("python") {
        let module = words.iter().position(|word| word == "-m")?;
        if words.get(module + 1)? != "pip" {
            return None;
        }
        &words[module + 2..]
    } else {
        return None;
    };
    let position = rest.iter().position(|word| !word.starts_with('-'))?;
    (rest[position] == "install").then(|| &rest[position + 1..])
}

/// Packages that have no dependencies: an `==` pin of one is a full pin.
const DEPENDENCY_FREE: &[&str] = &["pip", "setuptools", "wheel"];

fn pip(command: &Command, context: &Path, findings: &mut Vec<Finding>) {
    let Some(arguments) = pip_install(&command.words) else {
        return;
    };
    let with_value = [
        "-c",
        "--constraint",
        "-i",
        "--index-url",
        "--extra-index-url",
        "-f",
        "--find-links",
        "-t",
        "--target",
        "--prefix",
        "--root",
        "--src",
        "--python-version",
        "--platform",
        "--implementation",
        "--abi",
        "--trusted-host",
        "--cache-dir",
        "--progress-bar",
        "--python",
        "-p",
    ];
    let no_deps = arguments.iter().any(|word| word == "--no-deps");
    let require_hashes = arguments.iter().any(|word| word == "--require-hashes");
    let mut requirement_files = Vec::new();
    let mut named = Vec::new();
    let mut words = arguments.iter();
    while let Some(word) = words.next() {
        let word = word.as_str();
        if word == "-r" || word == "--requirement" {
            if let Some(file) = words.next() {
                requirement_files.push(file.as_str());
            }
        } else if let Some(file) = word
            .strip_prefix("--requirement=")
            .or_else(|| word.strip_prefix("-r").filter(|file| !file.is_empty()))
        {
            requirement_files.push(file);
        } else if word == "-e" || word == "--editable" || with_value.contains(&word) {
            words.next();
        } else if !(word.starts_with('-') || word.contains('$') || is_local(word)) {
            named.push(word);
        }
    }
    let unpinned: Vec<&str> = named
        .iter()
        .copied()
        .filter(|requirement| {
            let pinned = requirement.split_once("==").is_some_and(|(name, _)| {
                no_deps || DEPENDENCY_FREE.contains(&name.to_ascii_lowercase().as_str())
            });
            !pinned
        })
        .collect();
    if !unpinned.is_empty() {
        findings.push(Finding {
            line: command.line,
            level: Level::Error,
            rule: "pip-named-packages",
            message: format!("`pip install` of {} by name", backticked(&unpinned)),
            why: "pip resolves them (and every dependency) again on each build, so versions drift".to_string(),
            fix: "list them in requirements.in, run `plinth compile --generate-hashes`, and `pip install --require-hashes -r requirements.txt`".to_string(),
        });
    }
    for file in requirement_files {
        if file.ends_with(".in") {
            findings.push(Finding {
                line: command.line,
                level: Level::Error,
                rule: "pip-named-packages",
                message: format!("`pip install -r {file}` installs the loose input file"),
                why: "its requirements are resolved again on each build, so versions drift".to_string(),
                fix: "install the compiled lockfile: `plinth compile` it and `pip install --require-hashes -r requirements.txt`".to_string(),
            });
            continue;
        }
        if require_hashes {
            continue;
        }
        if let Some(content) = read_lockfile(context, file)
            && content.contains("--hash=")
        {
            findings.push(Finding {
                line: command.line,
                level: Level::Warning,
                rule: "pip-require-hashes",
                message: format!("`{file}` has hashes but is installed without `--require-hashes`"),
                why: "pip checks hashes only while every line has one; a lockfile regenerated without them installs unchecked files without a word".to_string(),
                fix: format!("`pip install --require-hashes -r {file}`"),
            });
        }
    }
}

/// A path or URL rather than a package name.
fn is_local(word: &str) -> bool {
    word.starts_with('.')
        || word.starts_with('/')
        || word.contains("://")
        || word.contains('@')
        || [".whl", ".tar.gz", ".zip"]
            .iter()
            .any(|suffix| word.ends_with(suffix))
}

/// The lockfile `pip install -r FILE` reads, looked up in the build context:
/// `FILE` as written (relative), then its file name alone.
fn read_lockfile(context: &Path, file: &str) -> Option<String> {
    let relative = file.trim_start_matches('/');
    let candidates = [
        context.join(relative),
        context.join(Path::new(relative).file_name()?),
    ];
    candidates
        .iter()
        .find_map(|path| fs_err::read_to_string(path).ok())
}

fn backticked(words: &[&str]) -> String {
    words
        .iter()
        .map(|word| format!("`{word}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules(text: &str) -> Vec<String> {
        lint(&Dockerfile::parse(text), Path::new("/nonexistent"))
            .iter()
            .map(|finding| format!("{}:{}:{}", finding.line, finding.level, finding.rule))
            .collect()
    }

    #[test]
    fn pinned_dockerfile_is_clean() {
        let text = "FROM python:3.11-slim-bookworm@sha256:00ff AS build\n\
                    RUN apt-get update && apt-get install -y --no-install-recommends \\\n    curl=7.88.1-10+deb12u8 \\\n    && rm -rf /var/lib/apt/lists/*\n\
                    RUN pip install --no-cache-dir --require-hashes -r requirements.txt \\\n && pip install --no-deps . && python -m pip install pip==24.3.1\n\
                    FROM build\nRUN apk add --no-cache --virtual .deps musl-dev=1.2.5-r0\n";
        assert_eq!(rules(text), Vec::<String>::new());
    }

    #[test]
    fn each_rule_fires() {
        let text = "FROM python:3.11\n\
                    RUN DEBIAN_FRONTEND=noninteractive apt-get update \\\n  && apt-get install -y curl git=1:2.39.5-0+deb12u1\n\
                    RUN [\"pip\", \"install\", \"flask\", \"gunicorn==23.0\"]\n\
                    RUN --mount=type=cache,target=/root/.cache uv pip install -r requirements.in\n\
                    FROM node:22-alpine\nRUN apk add curl\n";
        assert_eq!(
            rules(text),
            [
                "1:error:base-image-release",
                "1:info:base-image-digest",
                "3:error:apt-unpinned",
                "3:info:apt-recommends",
                "4:error:pip-named-packages",
                "5:error:pip-named-packages",
                "6:error:base-image-release",
                "6:info:base-image-digest",
                "7:error:apk-unpinned",
            ]
        );
    }
}
