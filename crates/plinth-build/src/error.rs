//! Build errors. Every variant names the sdist (its file name) it was building.

use std::time::Duration;

/// Why the metadata of an sdist could not be built.
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    /// Reading the sdist or writing the build directory failed (the I/O error names the path).
    #[error("Failed to build `{sdist}`: {source}")]
    Io {
        sdist: String,
        #[source]
        source: std::io::Error,
    },
    /// The sdist is not a readable `.tar.gz` or `.zip` archive, or has no project in it.
    #[error("Invalid sdist `{sdist}`: {message}")]
    InvalidArchive { sdist: String, message: String },
    /// An archive entry would land outside the unpack directory.
    #[error(
        "Invalid sdist `{sdist}`: the entry `{entry}` points outside the archive (absolute path or `..`)"
    )]
    UnsafeEntry { sdist: String, entry: String },
    /// A directory to build has no `pyproject.toml`, `setup.py` or `setup.cfg`.
    #[error(
        "`{sdist}` is not a Python project: it has no `pyproject.toml`, `setup.py` or `setup.cfg`"
    )]
    NotAProject { sdist: String },
    /// The sdist's contents do not have the sha256 the caller expected.
    #[error("Hash mismatch for `{sdist}`: expected sha256 `{expected}`, the file has `{actual}`")]
    HashMismatch {
        sdist: String,
        expected: String,
        actual: String,
    },
    /// The sha256 given for the cache key is not 64 hexadecimal digits.
    #[error("Invalid sha256 `{sha256}` for `{sdist}`: expected 64 hexadecimal digits")]
    InvalidHash { sdist: String, sha256: String },
    /// `pyproject.toml` cannot be parsed or its `[build-system]` table is invalid.
    #[error("Invalid `pyproject.toml` in `{sdist}`: {message}")]
    PyProject { sdist: String, message: String },
    /// A build requirement (static or from `get_requires_for_build_wheel`) is not PEP 508.
    #[error("Invalid build requirement `{requirement}` in `{sdist}`: {message}")]
    InvalidRequirement {
        sdist: String,
        requirement: String,
        message: String,
    },
    /// Neither `python{X}.{Y}` nor `python3` runs.
    #[error(
        "No Python interpreter to build `{sdist}`: {message}\nhint: install Python {version} or put `python3` on PATH"
    )]
    NoInterpreter {
        sdist: String,
        version: String,
        message: String,
    },
    /// `python -m venv` failed.
    #[error("Failed to create a build environment for `{sdist}` with `{python}`{}", tail_suffix(.output))]
    Venv {
        sdist: String,
        python: String,
        output: String,
    },
    /// `pip install` of the build requirements failed.
    #[error("Failed to install the build requirements {requirements} of `{sdist}`{}", tail_suffix(.output))]
    PipInstall {
        sdist: String,
        /// The requirements, each in backticks, separated by commas.
        requirements: String,
        /// The last lines of pip's output.
        output: String,
    },
    /// The build backend could not be imported, or one of its PEP 517 hooks failed.
    #[error("Build backend `{backend}` failed {} for `{sdist}`{}", hook_phrase(.hook.as_deref()), tail_suffix(.output))]
    Backend {
        sdist: String,
        backend: String,
        /// The hook that failed; `None` when importing the backend failed.
        hook: Option<String>,
        /// The last lines of the backend's combined stdout and stderr.
        output: String,
    },
    /// The build took longer than [`crate::BuildOptions::timeout`].
    #[error(
        "Building `{sdist}` timed out after {} s (while {step})\nhint: a build backend hung or the build requirements took too long to install; raise the build timeout if the build is just slow", timeout.as_secs()
    )]
    Timeout {
        sdist: String,
        step: String,
        timeout: Duration,
    },
    /// Starting a subprocess failed.
    #[error("Failed to run `{program}` to build `{sdist}`: {source}")]
    Spawn {
        sdist: String,
        program: String,
        #[source]
        source: std::io::Error,
    },
    /// Reading the metadata cache failed.
    #[error("Failed to read cached metadata for `{sdist}`: {source}")]
    Cache {
        sdist: String,
        #[source]
        source: std::io::Error,
    },
}

impl BuildError {
    /// The file name of the sdist the error is about.
    pub fn sdist(&self) -> &str {
        match self {
            Self::Io { sdist, .. }
            | Self::InvalidArchive { sdist, .. }
            | Self::UnsafeEntry { sdist, .. }
            | Self::NotAProject { sdist }
            | Self::HashMismatch { sdist, .. }
            | Self::InvalidHash { sdist, .. }
            | Self::PyProject { sdist, .. }
            | Self::InvalidRequirement { sdist, .. }
            | Self::NoInterpreter { sdist, .. }
            | Self::Venv { sdist, .. }
            | Self::PipInstall { sdist, .. }
            | Self::Backend { sdist, .. }
            | Self::Timeout { sdist, .. }
            | Self::Spawn { sdist, .. }
            | Self::Cache { sdist, .. } => sdist,
        }
    }

    /// Whether the error is a timeout.
    pub fn is_timeout(&self) -> bool {
        matches!(self, Self::Timeout { .. })
    }
}

fn hook_phrase(hook: Option<&str>) -> String {
    match hook {
        Some(hook) => format!("in `{hook}`"),
        None => "to load".to_string(),
    }
}

/// `:` and the indented output lines, or nothing when there was no output.
fn tail_suffix(output: &str) -> String {
    let output = output.trim_end();
    if output.trim().is_empty() {
        return " (no output)".to_string();
    }
    let mut text = String::from(":");
    for line in output.lines() {
        let line = line.trim_end();
        text.push('\n');
        if !line.is_empty() {
            text.push_str("  ");
            text.push_str(line);
        }
    }
    text
}
