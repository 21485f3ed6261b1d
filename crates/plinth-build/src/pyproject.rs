//! The `[build-system]` table of `pyproject.toml` (PEP 517 / PEP 518), with pip's
//! defaults for projects without one.

use std::path::{Component, Path, PathBuf};
use std::str::FromStr;

use serde::Deserialize;

use crate::error::BuildError;

/// What pip uses when a project has no `[build-system]`.
const DEFAULT_REQUIRES: &str = "setuptools>=40.8.0";
const DEFAULT_BACKEND: &str = "setuptools.build_meta:__legacy__";

/// How to build a project.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct BuildSystem {
    /// PEP 508 requirements to install before importing the backend.
    pub(crate) requires: Vec<String>,
    /// `module` or `module:object`.
    pub(crate) backend: String,
    /// Absolute directories to put first on `sys.path` (in-tree backends).
    pub(crate) backend_path: Vec<PathBuf>,
}

#[derive(Deserialize)]
struct PyProjectToml {
    #[serde(rename = "build-system")]
    build_system: Option<BuildSystemTable>,
}

#[derive(Deserialize)]
struct BuildSystemTable {
    requires: Option<Vec<String>>,
    #[serde(rename = "build-backend")]
    build_backend: Option<String>,
    #[serde(rename = "backend-path")]
    backend_path: Option<Vec<String>>,
}

/// Reads the build system of the project in `project`.
pub(crate) fn read(project: &Path, sdist: &str) -> Result<BuildSystem, BuildError> {
    let path = project.join("pyproject.toml");
    let text = match fs_err::read_to_string(&path) {
        Ok(text) => text,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(legacy()),
        Err(error) => {
            return Err(BuildError::PyProject {
                sdist: sdist.to_string(),
                message: error.to_string(),
            });
        }
    };
    parse(&text, project, sdist)
}

fn legacy() -> BuildSystem {
    BuildSystem {
        requires: vec![DEFAULT_REQUIRES.to_string()],
        backend: DEFAULT_BACKEND.to_string(),
        backend_path: Vec::new(),
    }
}

fn parse(text: &str, project: &Path, sdist: &str) -> Result<BuildSystem, BuildError> {
    let error = |message: String| BuildError::PyProject {
        sdist: sdist.to_string(),
        message,
    };
    let pyproject: PyProjectToml = toml::from_str(text)
        .map_err(|parse_error| error(parse_error.to_string().trim_end().to_string()))?;
    let Some(table) = pyproject.build_system else {
        return Ok(legacy());
    };
    let Some(requires) = table.requires else {
        return Err(error(
            "the `[build-system]` table has no `requires` key".to_string(),
        ));
    };
    for requirement in &requires {
        validate_requirement(requirement, sdist)?;
    }
    let backend = match table.build_backend {
        Some(backend) if backend.trim().is_empty() => {
            return Err(error("`build-backend` is empty".to_string()));
        }
        Some(backend) => backend.trim().to_string(),
        None => DEFAULT_BACKEND.to_string(),
    };
    let mut backend_path = Vec::new();
    for entry in table.backend_path.unwrap_or_default() {
        backend_path.push(inside(project, &entry).ok_or_else(|| {
            error(format!(
                "`backend-path` entry `{entry}` is not a relative path inside the project"
            ))
        })?);
    }
    Ok(BuildSystem {
        requires,
        backend,
        backend_path,
    })
}

/// `project/entry` when `entry` is relative and does not climb out of `project`.
fn inside(project: &Path, entry: &str) -> Option<PathBuf> {
    let mut path = project.to_path_buf();
    let mut depth = 0usize;
    for component in Path::new(entry).components() {
        match component {
            Component::Normal(part) => {
                path.push(part);
                depth += 1;
            }
            Component::CurDir => {}
            Component::ParentDir => {
                depth = depth.checked_sub(1)?;
                path.pop();
            }
            Component::RootDir | Component::Prefix(_) => return None,
        }
    }
    Some(path)
}

/// A build requirement must be PEP 508 (so it cannot smuggle a pip option or a path).
pub(crate) fn validate_requirement(requirement: &str, sdist: &str) -> Result<(), BuildError> {
    let invalid = |message: String| BuildError::InvalidRequirement {
        sdist: sdist.to_string(),
        requirement: requirement.to_string(),
        message,
    };
    if requirement.trim_start().starts_with('-') {
        return Err(invalid("options are not requirements".to_string()));
    }
    pep508_rs::Requirement::<pep508_rs::VerbatimUrl>::from_str(requirement)
        .map(|_| ())
        .map_err(|parse_error| invalid(parse_error.message.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_ok(text: &str) -> BuildSystem {
        match parse(text, Path::new("/src/pkg"), "pkg-1.0.tar.gz") {
            Ok(system) => system,
            Err(error) => panic!("{error}"),
        }
    }

    fn parse_error(text: &str) -> String {
        match parse(text, Path::new("/src/pkg"), "pkg-1.0.tar.gz") {
            Ok(system) => panic!("parsed: {system:?}"),
            Err(error) => error.to_string(),
        }
    }

    #[test]
    fn defaults_without_build_system() {
        assert_eq!(parse_ok("[project]\nname = 'x'\n"), legacy());
        assert_eq!(legacy().requires, ["setuptools>=40.8.0"]);
        assert_eq!(legacy().backend, "setuptools.build_meta:__legacy__");
    }

    #[test]
    fn reads_build_system() {
        let system = parse_ok(
            "[build-system]\nrequires = ['hatchling>=1.0']\nbuild-backend = 'hatchling.build'\n",
        );
        assert_eq!(system.requires, ["hatchling>=1.0"]);
        assert_eq!(system.backend, "hatchling.build");
        assert!(system.backend_path.is_empty());

        let system = parse_ok(
            "[build-system]\nrequires = []\nbuild-backend = 'backend'\nbackend-path = ['.', '_build']\n",
        );
        assert_eq!(
            system.backend_path,
            [PathBuf::from("/src/pkg"), PathBuf::from("/src/pkg/_build")]
        );
    }

    #[test]
    fn missing_backend_is_legacy_setuptools() {
        let system = parse_ok("[build-system]\nrequires = ['setuptools', 'wheel']\n");
        assert_eq!(system.backend, DEFAULT_BACKEND);
        assert_eq!(system.requires, ["setuptools", "wheel"]);
    }

    #[test]
    fn rejects_invalid_tables() {
        assert_eq!(
            parse_error("[build-system]\nbuild-backend = 'x'\n"),
            "Invalid `pyproject.toml` in `pkg-1.0.tar.gz`: the `[build-system]` table has no `requires` key"
        );
        assert_eq!(
            parse_error(
                "[build-system]\nrequires = []\nbuild-backend = 'x'\nbackend-path = ['../..']\n"
            ),
            "Invalid `pyproject.toml` in `pkg-1.0.tar.gz`: `backend-path` entry `../..` is not a relative path inside the project"
        );
        assert_eq!(
            parse_error("[build-system]\nrequires = ['--index-url=http://evil.example']\n"),
            "Invalid build requirement `--index-url=http://evil.example` in `pkg-1.0.tar.gz`: options are not requirements"
        );
        assert!(
            parse_error("[build-system]\nrequires = ['./local']\n")
                .starts_with("Invalid build requirement `./local` in `pkg-1.0.tar.gz`: ")
        );
        assert!(parse_error("[build-system\n").starts_with(
            "Invalid `pyproject.toml` in `pkg-1.0.tar.gz`: TOML parse error at line 1"
        ));
    }
}
