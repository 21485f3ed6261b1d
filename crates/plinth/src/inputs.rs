//! The SRC files, read: requirements files (`-` reads one from stdin) and projects.
//!
//! A project is a `pyproject.toml`, `setup.py` or `setup.cfg` given as SRC, as with
//! pip-compile. Its requirements are its dependencies plus, with `--extra NAME` /
//! `--all-extras`, those of its optional dependencies; an extra that names the project
//! itself (`all = ["app[test,docs]"]`) brings in those extras too. They come from the
//! `[project]` table of `pyproject.toml` (PEP 621) when it declares them statically, else
//! from a PEP 517 metadata build of the project's directory (always for `setup.py` and
//! `setup.cfg`).
//!
//! For one target a requirement's marker is evaluated there; for `--universal` the part of
//! it about the environment is kept (the resolver evaluates it per environment) and only
//! the `extra == "…"` part is settled. A project's `Requires-Python` is read too: it bounds
//! the universal grid from below.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use anyhow::{Context, bail};
use pep440_rs::VersionSpecifiers;
use pep508_rs::{ExtraName, MarkerEnvironment, MarkerTree, PackageName, Requirement};
use plinth_index::CoreMetadata;
use plinth_requirements::{
    MAX_FILE_SIZE, PyProjectToml, RequirementsFile, parse_bytes, parse_file, parse_pyproject_toml,
};

use crate::printer::Printer;

/// File names that make a SRC a project rather than a requirements file (pip-compile's).
const PROJECT_FILES: [&str; 3] = ["pyproject.toml", "setup.py", "setup.cfg"];

/// The SRC that reads standard input.
pub const STDIN: &str = "-";

/// Whether `path` names a project (`pyproject.toml`, `setup.py`, `setup.cfg`).
pub fn is_project_file(path: &Path) -> bool {
    path.file_name()
        .and_then(|name| name.to_str())
        .is_some_and(|name| PROJECT_FILES.contains(&name))
}

/// Which optional dependencies of projects to add.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Extras {
    /// `--extra NAME`, normalized; empty for none.
    Named(Vec<ExtraName>),
    /// `--all-extras`.
    All,
}

impl Extras {
    pub fn from_args(names: &[String], all: bool) -> anyhow::Result<Self> {
        if all {
            return Ok(Self::All);
        }
        let names = names
            .iter()
            .map(|name| {
                ExtraName::from_str(name.trim())
                    .map_err(|error| anyhow::anyhow!("Invalid `--extra` `{name}`: {error}"))
            })
            .collect::<anyhow::Result<Vec<_>>>()?;
        Ok(Self::Named(names))
    }

    fn is_empty(&self) -> bool {
        matches!(self, Self::Named(names) if names.is_empty())
    }
}

/// One SRC, read.
pub enum Source {
    Requirements(RequirementsFile),
    Project(Project),
}

/// A project given as SRC, before its requirements are chosen.
pub struct Project {
    /// The SRC as given.
    pub path: PathBuf,
    /// Its metadata when the `[project]` table declares what is needed; `None` when it
    /// takes a metadata build, for the reason given.
    metadata: Result<ProjectMetadata, &'static str>,
}

impl Project {
    /// Its `Requires-Python`, when it is known without a build.
    pub fn requires_python(&self) -> Option<&VersionSpecifiers> {
        self.metadata.as_ref().ok()?.requires_python.as_ref()
    }
}

/// The projects given as SRC with their metadata (built where needed) and the extras
/// chosen checked against them.
pub struct Projects(Vec<(PathBuf, ProjectMetadata)>);

impl Projects {
    /// Each project's `Requires-Python`, with its SRC as given.
    pub fn requires_python(&self) -> Vec<(&Path, &VersionSpecifiers)> {
        self.0
            .iter()
            .filter_map(|(path, metadata)| {
                Some((path.as_path(), metadata.requires_python.as_ref()?))
            })
            .collect()
    }
}

/// What a project requires.
struct ProjectMetadata {
    /// As written (pip-compile shows it so in `# via`).
    name: String,
    /// `Requires-Dist`, with `extra == "…"` markers for optional dependencies, and the line
    /// of each when it comes from `pyproject.toml`.
    requirements: Vec<(Requirement, Option<usize>)>,
    /// `Provides-Extra`.
    extras: Vec<ExtraName>,
    /// `Requires-Python`.
    requires_python: Option<VersionSpecifiers>,
}

/// A requirement of a project, for the resolver.
pub struct ProjectRequirement {
    /// For one target, with its marker evaluated already (the requirement applies there);
    /// for `--universal`, with the environment part of its marker.
    pub requirement: Requirement,
    /// The project's name, as written.
    pub project: String,
    /// The SRC as given.
    pub path: PathBuf,
    /// The line in `pyproject.toml`, when it is written there.
    pub line: Option<usize>,
}

/// Reads the SRC `path`: stdin for `-`, a project for `pyproject.toml`, `setup.py` and
/// `setup.cfg`, else a requirements file.
pub fn read(path: &Path, extras: &Extras) -> anyhow::Result<Source> {
    if path == Path::new(STDIN) {
        // One byte past the limit is enough to know the input is over it.
        let mut content = Vec::new();
        std::io::Read::read_to_end(
            &mut std::io::Read::take(std::io::stdin(), MAX_FILE_SIZE + 1),
            &mut content,
        )
        .context("Failed to read the requirements from stdin")?;
        let parsed = parse_bytes(content, path).map_err(|error| anyhow::anyhow!("{error}"))?;
        return Ok(Source::Requirements(parsed));
    }
    if !is_project_file(path) {
        let parsed = parse_file(path).map_err(|error| anyhow::anyhow!("{error}"))?;
        return Ok(Source::Requirements(parsed));
    }
    let metadata = if path
        .file_name()
        .is_some_and(|name| name == "pyproject.toml")
    {
        let pyproject = parse_pyproject_toml(path).map_err(|error| anyhow::anyhow!("{error}"))?;
        static_metadata(path, pyproject, extras)?
    } else {
        if let Err(error) = std::fs::metadata(path) {
            bail!("Failed to read `{}`: {error}", path.display());
        }
        Err("`setup.py` and `setup.cfg` projects declare them through their build backend")
    };
    Ok(Source::Project(Project {
        path: path.to_path_buf(),
        metadata,
    }))
}

/// The metadata of a `pyproject.toml` when its `[project]` table declares the requirements
/// asked for; else why a build is needed (or an error when nothing could build it).
fn static_metadata(
    path: &Path,
    pyproject: PyProjectToml,
    extras: &Extras,
) -> anyhow::Result<Result<ProjectMetadata, &'static str>> {
    let Some(project) = pyproject.project else {
        let directory = directory(path);
        let buildable = pyproject.build_system
            || directory.join("setup.py").is_file()
            || directory.join("setup.cfg").is_file();
        if !buildable {
            bail!(
                "`{}` has no `[project]` table and no `[build-system]` table: it does not say what the project requires\n  hint: list the requirements in `[project] dependencies` (PEP 621)",
                path.display()
            );
        }
        return Ok(Err("it has no `[project]` table"));
    };
    let Some(dependencies) = project.dependencies else {
        return Ok(Err("its `dependencies` are dynamic"));
    };
    let optional = match project.optional_dependencies {
        Some(optional) => optional,
        None if extras.is_empty() => Default::default(),
        None => return Ok(Err("its `optional-dependencies` are dynamic")),
    };
    let mut requirements: Vec<(Requirement, Option<usize>)> = dependencies
        .into_iter()
        .map(|located| (located.value, Some(located.origin.line)))
        .collect();
    for (extra, located) in &optional {
        requirements.extend(located.iter().map(|located| {
            (
                located.value.clone().with_extra_marker(extra),
                Some(located.origin.line),
            )
        }));
    }
    Ok(Ok(ProjectMetadata {
        name: project.name,
        requirements,
        extras: optional.into_keys().collect(),
        requires_python: project.requires_python,
    }))
}

/// The directory a project file is in.
fn directory(path: &Path) -> PathBuf {
    match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// The metadata of `projects`, building that of those that need it (`build` is `None`
/// with `--no-build`). `--extra` without a project, or naming an extra that no project
/// has, is an error.
pub fn metadata(
    projects: Vec<Project>,
    extras: &Extras,
    build: Option<&plinth_build::BuildOptions>,
    cwd: &Path,
    printer: &Printer,
) -> anyhow::Result<Projects> {
    if projects.is_empty() {
        if !extras.is_empty() {
            bail!(
                "`--extra` and `--all-extras` apply to projects, but no SRC is a `pyproject.toml`, `setup.py` or `setup.cfg`"
            );
        }
        return Ok(Projects(Vec::new()));
    }
    let mut read = Vec::new();
    for project in projects {
        let metadata = match project.metadata {
            Ok(metadata) => metadata,
            Err(reason) => built_metadata(&project.path, reason, build, cwd, printer)?,
        };
        read.push((project.path, metadata));
    }
    if let Extras::Named(names) = extras {
        for name in names {
            if !read
                .iter()
                .any(|(_, metadata)| metadata.extras.contains(name))
            {
                let known: Vec<String> = read
                    .iter()
                    .map(|(path, metadata)| {
                        let extras = if metadata.extras.is_empty() {
                            "none".to_string()
                        } else {
                            metadata
                                .extras
                                .iter()
                                .map(|extra| format!("`{extra}`"))
                                .collect::<Vec<_>>()
                                .join(", ")
                        };
                        format!("\n  hint: the extras of `{}` are: {extras}", path.display())
                    })
                    .collect();
                bail!(
                    "The extra `{name}` is not defined by any project SRC{}",
                    known.concat()
                );
            }
        }
    }
    Ok(Projects(read))
}

/// The requirements of `projects`: dependencies and the chosen extras' optional
/// dependencies, for the target `markers`, or with `None` (`--universal`) for every
/// environment, each keeping the environment part of its marker.
pub fn requirements(
    projects: Projects,
    extras: &Extras,
    markers: Option<&MarkerEnvironment>,
) -> anyhow::Result<Vec<ProjectRequirement>> {
    // Whether a requirement applies with the extras `active`: in the target, or in some
    // environment.
    let applies = |requirement: &Requirement, active: &[ExtraName]| match markers {
        Some(markers) => requirement.evaluate_markers(markers, active),
        None => requirement.marker.evaluate_extras(active),
    };
    let mut requirements = Vec::new();
    for (path, metadata) in projects.0 {
        let project = PackageName::from_str(&metadata.name).with_context(|| {
            format!(
                "Invalid project name `{}` in `{}`",
                metadata.name,
                path.display()
            )
        })?;
        let mut chosen: BTreeSet<ExtraName> = match extras {
            Extras::All => metadata.extras.iter().cloned().collect(),
            Extras::Named(names) => names.iter().cloned().collect(),
        };
        // Extras that name the project itself add its other extras, to a fixed point. For
        // `--universal`, one that names them in some environment adds them in all.
        loop {
            let active: Vec<ExtraName> = chosen.iter().cloned().collect();
            let before = chosen.len();
            for (requirement, _) in &metadata.requirements {
                if requirement.name == project && applies(requirement, &active) {
                    chosen.extend(requirement.extras.iter().cloned());
                }
            }
            if chosen.len() == before {
                break;
            }
        }
        let active: Vec<ExtraName> = chosen.into_iter().collect();
        for (requirement, line) in metadata.requirements {
            if requirement.name == project || !applies(&requirement, &active) {
                continue;
            }
            let mut requirement = requirement;
            requirement.marker = match markers {
                Some(_) => MarkerTree::TRUE,
                // `extra == "…"` of an active extra is true; one still left (`extra ==
                // 'gpu' or sys_platform == 'linux'`) is false where the resolver looks.
                None => requirement.marker.simplify_extras(&active),
            };
            requirements.push(ProjectRequirement {
                requirement,
                project: metadata.name.clone(),
                path: path.clone(),
                line,
            });
        }
    }
    Ok(requirements)
}

/// The metadata of the project of `path` from a PEP 517 build of its directory.
fn built_metadata(
    path: &Path,
    reason: &str,
    build: Option<&plinth_build::BuildOptions>,
    cwd: &Path,
    printer: &Printer,
) -> anyhow::Result<ProjectMetadata> {
    let Some(options) = build else {
        bail!(
            "The requirements of `{}` need a PEP 517 metadata build ({reason}), which `--no-build` forbids",
            path.display()
        );
    };
    let directory = crate::paths::absolute(cwd, &directory(path));
    let failed = || format!("Failed to get the requirements of `{}`", path.display());
    let built = printer
        .with_progress(
            &format!("Building the metadata of {}", path.display()),
            || plinth_build::build_metadata_from_dir(&directory, options),
        )
        .with_context(failed)?;
    for warning in &built.warnings {
        printer.warn(warning);
    }
    let core = CoreMetadata::parse(&built.metadata);
    let Some(name) = core.name else {
        bail!("{}: the metadata built has no `Name`", failed());
    };
    let requirements = core
        .requires_dist
        .iter()
        .map(|text| {
            Requirement::from_str(text)
                .map(|requirement| (requirement, None))
                .map_err(|error| {
                    anyhow::anyhow!(
                        "{}: invalid `Requires-Dist: {text}` in the metadata built: {}",
                        failed(),
                        error.message
                    )
                })
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    let extras = core
        .provides_extra
        .iter()
        .filter_map(|extra| ExtraName::from_str(extra).ok())
        .collect();
    let requires_python = core
        .requires_python
        .as_deref()
        .map(|text| {
            VersionSpecifiers::from_str(text).map_err(|error| {
                anyhow::anyhow!(
                    "{}: invalid `Requires-Python: {text}` in the metadata built: {}",
                    failed(),
                    error
                        .to_string()
                        .lines()
                        .next()
                        .unwrap_or_default()
                        .trim_end_matches(':')
                )
            })
        })
        .transpose()?;
    Ok(ProjectMetadata {
        name,
        requirements,
        extras,
        requires_python,
    })
}
