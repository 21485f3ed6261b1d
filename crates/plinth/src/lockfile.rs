//! The existing lockfile: its pins (kept as preferences) and the options
//! recorded in its header (reused to reproduce it).

use std::collections::BTreeMap;
use std::path::Path;

use clap::Parser;
use pep440_rs::{Operator, Version};
use pep508_rs::{MarkerEnvironment, MarkerTree, PackageName, VersionOrUrl};

use crate::cli::{Cli, Command, CompileArgs};
use crate::printer::Printer;

/// One `name==version` line of a lockfile.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pin {
    pub version: Version,
    pub hashes: Vec<String>,
}

/// One pin line of a lockfile with its marker (always true without one).
#[derive(Debug, Clone)]
pub struct MarkedPin {
    pub name: PackageName,
    pub marker: MarkerTree,
    pub pin: Pin,
}

/// A lockfile on disk, as plinth (or pip-compile) wrote it.
#[derive(Debug, Clone)]
pub struct Existing {
    pub content: String,
    pub pins: BTreeMap<PackageName, Pin>,
    /// Every pin line with its marker, in file order: a universal lockfile
    /// can pin a package several times (`numpy==2.0.2 ; python_full_version < '3.10'`),
    /// where [`Existing::pins`] keeps the last line of each name.
    pub marked: Vec<MarkedPin>,
    /// The options of the command in the header, if it parses.
    pub recorded: Option<CompileArgs>,
}

impl Existing {
    /// Read `path`; `None` when it does not exist. Problems are warnings: an
    /// unreadable or unparseable lockfile only means no pins are kept.
    pub fn read(path: &Path, printer: &Printer) -> Option<Self> {
        let metadata = fs_err::metadata(path).ok()?;
        if !metadata.is_file() {
            return None;
        }
        let content = match fs_err::read_to_string(path) {
            Ok(content) => content,
            Err(error) => {
                printer.warn(&format!("Ignoring the existing lockfile: {error}"));
                return None;
            }
        };
        if content.trim().is_empty() {
            printer.warn(&format!(
                "The existing `{}` is empty (was it truncated?); no pins can be kept from it",
                path.display()
            ));
        }
        let marked: Vec<MarkedPin> = match plinth_requirements::parse_str(&content, path) {
            Ok(parsed) => parsed
                .requirements
                .into_iter()
                .filter_map(|entry| {
                    let Some(VersionOrUrl::VersionSpecifier(specifiers)) =
                        &entry.requirement.version_or_url
                    else {
                        return None;
                    };
                    let [specifier] = specifiers.iter().as_slice() else {
                        return None;
                    };
                    (*specifier.operator() == Operator::Equal).then(|| MarkedPin {
                        name: entry.requirement.name.clone(),
                        marker: entry.requirement.marker.clone(),
                        pin: Pin {
                            version: specifier.version().clone(),
                            hashes: entry.hashes.clone(),
                        },
                    })
                })
                .collect(),
            Err(error) => {
                printer.warn(&format!(
                    "Ignoring the pins of `{}`, which does not parse: {error}",
                    path.display()
                ));
                Vec::new()
            }
        };
        let pins = marked
            .iter()
            .map(|marked| (marked.name.clone(), marked.pin.clone()))
            .collect();
        let recorded = recorded_command(&content);
        Some(Self {
            content,
            pins,
            marked,
            recorded,
        })
    }

    /// The pinned versions whose marker is true in `environment`: what a
    /// universal lockfile installs there (the first line of a name wins).
    pub fn versions_in(&self, environment: &MarkerEnvironment) -> BTreeMap<PackageName, Version> {
        let mut versions = BTreeMap::new();
        for marked in &self.marked {
            if marked.marker.evaluate(environment, &[]) {
                versions
                    .entry(marked.name.clone())
                    .or_insert_with(|| marked.pin.version.clone());
            }
        }
        versions
    }

    /// The hashes written for `name==version` on any line, if any.
    pub fn hashes_of(&self, name: &PackageName, version: &Version) -> Option<&[String]> {
        self.marked
            .iter()
            .find(|marked| {
                marked.name == *name
                    && marked.pin.version == *version
                    && !marked.pin.hashes.is_empty()
            })
            .map(|marked| marked.pin.hashes.as_slice())
    }

    /// Pinned versions only.
    pub fn versions(&self) -> BTreeMap<PackageName, Version> {
        self.pins
            .iter()
            .map(|(name, pin)| (name.clone(), pin.version.clone()))
            .collect()
    }
}

/// The `plinth compile ...` command of the header, parsed.
fn recorded_command(content: &str) -> Option<CompileArgs> {
    let line = content
        .lines()
        .take_while(|line| line.starts_with('#'))
        .find_map(|line| line.strip_prefix("#    plinth "))?;
    let mut words = vec!["plinth".to_string()];
    words.extend(split_words(line)?);
    match Cli::try_parse_from(words).ok()?.command {
        Command::Compile(args) => Some(args),
        _ => None,
    }
}

/// Split a command line on spaces, honouring single quotes (as the header writes them).
fn split_words(line: &str) -> Option<Vec<String>> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut in_word = false;
    let mut quoted = false;
    let mut characters = line.chars();
    while let Some(character) = characters.next() {
        match character {
            '\\' if !quoted => {
                word.extend(characters.next());
                in_word = true;
            }
            '\'' => {
                quoted = !quoted;
                in_word = true;
            }
            ' ' if !quoted => {
                if in_word {
                    words.push(std::mem::take(&mut word));
                    in_word = false;
                }
            }
            _ => {
                word.push(character);
                in_word = true;
            }
        }
    }
    if quoted {
        return None;
    }
    if in_word {
        words.push(word);
    }
    Some(words)
}

#[cfg(test)]
mod tests {
    use std::str::FromStr;

    use super::*;

    #[test]
    fn pins_of_a_universal_lockfile_per_environment() {
        let dir = std::env::temp_dir().join(format!("plinth-lockfile-{}", std::process::id()));
        fs_err::create_dir_all(&dir).expect("temp dir");
        let path = dir.join("requirements.txt");
        fs_err::write(
            &path,
            "click==8.1.8 \\
    --hash=sha256:abababababababababababababababababababababababababababababababab
colorama==0.4.6 ; sys_platform == 'win32'
numpy==2.0.2 ; python_full_version < '3.10'
numpy==2.3.4 ; python_full_version >= '3.10'
",
        )
        .expect("write");
        let printer = Printer::new(&crate::cli::OutputArgs {
            quiet: true,
            verbose: false,
            no_progress: true,
        });
        let existing = Existing::read(&path, &printer).expect("read");
        let _ = fs_err::remove_dir_all(&dir);
        let environment = |python: &str, platform: &str| {
            plinth_index::Target::new(
                Version::from_str(python).expect("version"),
                plinth_index::Platform::from_str(platform).expect("platform"),
            )
            .markers()
            .expect("markers")
        };
        let versions = |python: &str, platform: &str| {
            existing
                .versions_in(&environment(python, platform))
                .into_iter()
                .map(|(name, version)| format!("{name}=={version}"))
                .collect::<Vec<_>>()
        };
        assert_eq!(
            versions("3.9", "x86_64-manylinux_2_28"),
            ["click==8.1.8", "numpy==2.0.2"]
        );
        assert_eq!(
            versions("3.12", "x86_64-pc-windows-msvc"),
            ["click==8.1.8", "colorama==0.4.6", "numpy==2.3.4"]
        );
        let click = PackageName::from_str("click").expect("name");
        let version = Version::from_str("8.1.8").expect("version");
        assert_eq!(
            existing.hashes_of(&click, &version),
            Some(
                [
                    "sha256:abababababababababababababababababababababababababababababababab"
                        .to_string()
                ]
                .as_slice()
            )
        );
        assert_eq!(
            existing.hashes_of(&click, &Version::from_str("8.2").expect("version")),
            None
        );
    }

    #[test]
    fn header_round_trip() {
        let content = "# This file is autogenerated by plinth with the following command:\n\
#    plinth compile 'my reqs.in' -o out.txt --python-version 3.11 --python-platform x86_64-manylinux_2_28 --exclude-newer 2026-11-01T00:00:00Z --generate-hashes\n\
flask==3.1.3\n";
        let args = recorded_command(content).expect("parses");
        assert_eq!(args.src, vec![std::path::PathBuf::from("my reqs.in")]);
        assert_eq!(args.target.python_version.as_deref(), Some("3.11"));
        assert_eq!(args.exclude_newer.as_deref(), Some("2026-11-01T00:00:00Z"));
        assert!(args.generate_hashes);
        assert_eq!(
            split_words("a 'it'\\''s' b"),
            Some(vec!["a".into(), "it's".into(), "b".into()])
        );
    }
}
