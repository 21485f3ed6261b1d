//! `plinth lint-docker`: what makes a Dockerfile's image build unreproducible.
//! Findings go to stdout (text or JSON), the summary to stderr; exit 1 when
//! an error-level finding exists.

use std::collections::HashMap;
use std::path::Path;

use crate::Failure;
use crate::cli::{LintDockerArgs, LintFormat};
use crate::docker::apt::{debian_arch, fetch_packages, packages_url};
use crate::docker::dockerfile::Dockerfile;
use crate::docker::image::{ImageReference, Release};
use crate::docker::lint::{Finding, Level, apt_install_packages, commands, lint};
use crate::printer::Printer;

pub fn run(args: &LintDockerArgs, printer: &Printer) -> anyhow::Result<()> {
    let path = &args.dockerfile;
    let text = crate::docker::read(path)?;
    let context = path
        .parent()
        .filter(|parent| !parent.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let dockerfile = Dockerfile::parse(&text);
    if args.pin_apt {
        return pin_apt(args, &dockerfile, printer);
    }
    let findings = lint(&dockerfile, context);
    let display = path.display().to_string();
    match args.format {
        LintFormat::Text => print!("{}", render_text(&display, &findings)),
        LintFormat::Json => println!("{}", render_json(&display, &findings)),
    }
    let count = |level: Level| {
        findings
            .iter()
            .filter(|finding| finding.level == level)
            .count()
    };
    let errors = count(Level::Error);
    let summary = if findings.is_empty() {
        format!("`{display}`: no findings")
    } else {
        format!(
            "`{display}`: {}, {}, {}",
            plural(errors, "error"),
            plural(count(Level::Warning), "warning"),
            plural(count(Level::Info), "info")
        )
    };
    if errors > 0 {
        return Err(Failure {
            code: 1,
            message: summary,
        }
        .into());
    }
    printer.status(&summary);
    Ok(())
}

fn plural(count: usize, word: &str) -> String {
    if count == 1 {
        format!("1 {word}")
    } else {
        format!("{count} {word}s")
    }
}

fn render_text(path: &str, findings: &[Finding]) -> String {
    findings
        .iter()
        .map(|finding| {
            format!(
                "{path}:{}: {}[{}]: {}\n  why: {}\n  fix: {}\n",
                finding.line,
                finding.level,
                finding.rule,
                finding.message,
                finding.why,
                finding.fix
            )
        })
        .collect()
}

fn render_json(path: &str, findings: &[Finding]) -> String {
    let findings: Vec<serde_json::Value> = findings
        .iter()
        .map(|finding| {
            serde_json::json!({
                "file": path,
                "line": finding.line,
                "level": finding.level.to_string(),
                "rule": finding.rule,
                "message": finding.message,
                "why": finding.why,
                "fix": finding.fix,
            })
        })
        .collect();
    let value = serde_json::json!({ "file": path, "findings": findings });
    serde_json::to_string_pretty(&value).unwrap_or_default()
}

/// Prints every `apt-get install` command with its packages pinned to the
/// versions of the base image's Debian release; a package the index lacks is
/// left as written, with a warning.
fn pin_apt(
    args: &LintDockerArgs,
    dockerfile: &Dockerfile,
    printer: &Printer,
) -> anyhow::Result<()> {
    let path = args.dockerfile.display().to_string();
    let mut indexes: HashMap<String, HashMap<String, String>> = HashMap::new();
    let mut found = 0;
    for (index, stage) in dockerfile.stages.iter().enumerate() {
        for instruction in stage
            .instructions
            .iter()
            .filter(|instruction| instruction.keyword == "RUN")
        {
            for command in commands(instruction) {
                let Some(packages) = apt_install_packages(&command) else {
                    continue;
                };
                let (base, platform) = dockerfile.base_image(index);
                let origin = format!("{path}:{}", command.line);
                let release = ImageReference::parse(&base.base)
                    .ok()
                    .and_then(|image| image.release());
                let Some(Release::Debian {
                    codename,
                    glibc_minor: 1..,
                }) = release
                else {
                    anyhow::bail!(
                        "Cannot pin the apt packages at `{origin}`: base image `{}` names no Debian release\n  hint: name one in the tag, e.g. `python:3.12-slim-bookworm`",
                        base.base
                    );
                };
                let arch = debian_arch(args.platform.as_deref().or(platform))?;
                let url = packages_url(&args.debian_mirror, &codename, arch);
                if !indexes.contains_key(&url) {
                    printer.status(&format!("Reading `{url}`"));
                    let versions = fetch_packages(&url)?;
                    indexes.insert(url.clone(), versions);
                }
                let versions = &indexes[&url];
                let mut missing = Vec::new();
                let words: Vec<String> = command
                    .words
                    .iter()
                    .map(|word| {
                        if !packages.contains(&word.as_str()) {
                            return word.clone();
                        }
                        // A pin as written stays; say when the index has moved on.
                        if let Some((name, pinned)) = word.split_once('=') {
                            if let Some(version) = versions.get(name)
                                && version != pinned
                            {
                                printer.warn(&format!(
                                    "`{word}` at `{origin}`: the `{codename}` index has `{name}={version}`"
                                ));
                            }
                            return word.clone();
                        }
                        match versions.get(word) {
                            Some(version) => format!("{word}={version}"),
                            None => {
                                missing.push(format!("`{word}`"));
                                word.clone()
                            }
                        }
                    })
                    .collect();
                if !missing.is_empty() {
                    printer.warn(&format!(
                        "{} not in the `{codename}` index ({arch}), left unpinned at `{origin}`",
                        missing.join(", ")
                    ));
                }
                println!("# {origin} ({codename}, {arch})");
                println!("{}", words.join(" "));
                found += 1;
            }
        }
    }
    if found == 0 {
        printer.status(&format!("`{path}` has no `apt-get install`"));
    }
    Ok(())
}
