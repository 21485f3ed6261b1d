//! Support for the end-to-end tests: distributions built from small
//! descriptions ([`DistSpec`]), a local package index serving them
//! ([`TestIndex`]), and a context that runs the real `plinth` binary and
//! renders its output for snapshots ([`TestContext`]).

// Every test module uses a different part of this support code.
#![allow(dead_code)]

pub mod context;
pub mod faults;
pub mod index;
pub mod pypiserver;
pub mod sdist;
pub mod tls;
pub mod wheel;

pub use context::TestContext;
#[allow(unused_imports)] // Not every name is used by the tests yet.
pub use index::{HttpResponse, Request, RunningIndex, ServerOptions, TestIndex, http_request};

use sha2::{Digest, Sha256};

/// Upload time given to files unless a test chooses another.
pub const DEFAULT_UPLOAD_TIME: &str = "2025-01-01T00:00:00Z";

/// One release of one project: its core metadata and which files to build.
///
/// Built with [`DistSpec::new`] and the fluent methods below, usually through
/// [`TestIndex::package`].
#[derive(Debug, Clone)]
pub struct DistSpec {
    /// The name as given (written to metadata); URLs and filenames use its normalized forms.
    pub name: String,
    pub version: String,
    pub requires_dist: Vec<String>,
    /// `(extra, requirements)`; the requirements get `extra == "..."` appended.
    pub extras: Vec<(String, Vec<String>)>,
    pub requires_python: Option<String>,
    /// Metadata-Version of the sdist's PKG-INFO (wheels always say 2.1).
    pub metadata_version: String,
    /// Fields listed as `Dynamic:` in the sdist's PKG-INFO.
    pub dynamic: Vec<String>,
    /// One wheel per tag, e.g. `py3-none-any` or `cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64`.
    pub wheel_tags: Vec<String>,
    pub sdist: bool,
    pub wheels: bool,
    /// `Some(reason)` marks every file yanked; an empty reason is yanked without one.
    pub yanked: Option<String>,
    /// RFC 3339 upload time of every file; `None` leaves it out of the index.
    pub upload_time: Option<String>,
    /// Whether the sdist contains PKG-INFO.
    pub sdist_pkg_info: bool,
    /// Whether the sdist's pyproject.toml has a `[project]` table (PEP 621).
    pub pyproject_project: bool,
    /// The sdist builds with a tiny in-tree PEP 517 backend that needs nothing
    /// installed (so metadata builds work offline), instead of setuptools.
    pub in_tree_backend: bool,
    /// The sdist builds with this backend package (see [`Self::built_by`]).
    pub installed_backend: Option<String>,
    /// The wheels' `{name}/__init__.py` is [`sdist::INSTALLED_BACKEND`].
    pub is_backend: bool,
    /// Empty modules added to the wheels before their `.dist-info` (a large
    /// central directory, as big projects have).
    pub extra_modules: usize,
    /// Bytes that do not compress, in a file at the end of the sdist (a
    /// large sdist).
    pub sdist_padding: usize,
    /// The in-tree backend's metadata hook waits (up to 20 s, then fails)
    /// until this file exists.
    pub build_waits_for: Option<String>,
    /// The sdist has a setuptools `{name}.egg-info/requires.txt` listing its
    /// requirements.
    pub egg_info: bool,
}

impl DistSpec {
    pub fn new(name: &str, version: &str) -> Self {
        Self {
            name: name.to_string(),
            version: version.to_string(),
            requires_dist: Vec::new(),
            extras: Vec::new(),
            requires_python: None,
            metadata_version: "2.2".to_string(),
            dynamic: Vec::new(),
            wheel_tags: vec!["py3-none-any".to_string()],
            sdist: false,
            wheels: true,
            yanked: None,
            upload_time: Some(DEFAULT_UPLOAD_TIME.to_string()),
            sdist_pkg_info: true,
            pyproject_project: true,
            in_tree_backend: false,
            installed_backend: None,
            is_backend: false,
            extra_modules: 0,
            sdist_padding: 0,
            build_waits_for: None,
            egg_info: false,
        }
    }

    /// Ends the sdist with a file of `bytes` that do not compress.
    pub fn sdist_padding(mut self, bytes: usize) -> Self {
        self.sdist_padding = bytes;
        self
    }

    /// Adds `count` empty modules to the wheels.
    pub fn extra_modules(mut self, count: usize) -> Self {
        self.extra_modules = count;
        self
    }

    /// The sdist (without PKG-INFO) is built by the backend package
    /// `backend`, which the build installs from the index (publish it with
    /// [`Self::backend`]).
    pub fn built_by(mut self, backend: &str) -> Self {
        self.installed_backend = Some(backend.to_string());
        self.sdist_pkg_info = false;
        self
    }

    /// The package is a PEP 517 backend (its module is the backend) that
    /// builds metadata for sdists made with [`Self::built_by`].
    pub fn backend(mut self) -> Self {
        self.is_backend = true;
        self
    }

    /// Adds a `Requires-Dist` line (a PEP 508 requirement, markers allowed).
    pub fn requires(mut self, requirement: &str) -> Self {
        self.requires_dist.push(requirement.to_string());
        self
    }

    pub fn requires_python(mut self, specifiers: &str) -> Self {
        self.requires_python = Some(specifiers.to_string());
        self
    }

    /// Adds `Provides-Extra: name` and the requirements that the extra brings.
    pub fn extra(mut self, name: &str, requirements: &[&str]) -> Self {
        let requirements = requirements.iter().map(ToString::to_string).collect();
        self.extras.push((name.to_string(), requirements));
        self
    }

    pub fn metadata_version(mut self, version: &str) -> Self {
        self.metadata_version = version.to_string();
        self
    }

    /// Adds a `Dynamic:` field to the sdist's PKG-INFO, e.g. `Requires-Dist`.
    pub fn dynamic(mut self, field: &str) -> Self {
        self.dynamic.push(field.to_string());
        self
    }

    pub fn wheel_tags(mut self, tags: &[&str]) -> Self {
        self.wheel_tags = tags.iter().map(ToString::to_string).collect();
        self
    }

    pub fn sdist(mut self, sdist: bool) -> Self {
        self.sdist = sdist;
        self
    }

    pub fn no_wheels(mut self) -> Self {
        self.wheels = false;
        self
    }

    /// Marks every file of this release yanked; `""` yanks without a reason.
    pub fn yanked(mut self, reason: &str) -> Self {
        self.yanked = Some(reason.to_string());
        self
    }

    pub fn upload_time(mut self, time: &str) -> Self {
        self.upload_time = Some(time.to_string());
        self
    }

    pub fn no_upload_time(mut self) -> Self {
        self.upload_time = None;
        self
    }

    /// Adds `{name}.egg-info/requires.txt` (the requirements, extras in
    /// sections) to the sdist, as setuptools writes it.
    pub fn egg_info(mut self) -> Self {
        self.egg_info = true;
        self
    }

    /// Builds the sdist without PKG-INFO (so its metadata needs a build).
    pub fn no_sdist_pkg_info(mut self) -> Self {
        self.sdist_pkg_info = false;
        self
    }

    /// Builds the sdist's pyproject.toml without a `[project]` table, so
    /// that it declares no static metadata (like a `setup.py` project).
    pub fn in_tree_backend(mut self) -> Self {
        self.in_tree_backend = true;
        self
    }

    /// The in-tree backend's metadata hook waits until `path` exists (and
    /// fails after 20 s).
    pub fn build_waits_for(mut self, path: &std::path::Path) -> Self {
        self.build_waits_for = Some(path.display().to_string());
        self
    }

    pub fn no_pyproject_project(mut self) -> Self {
        self.pyproject_project = false;
        self
    }

    /// PEP 503 name, used in index URLs: `Foo_Bar.baz` → `foo-bar-baz`.
    pub fn normalized_name(&self) -> String {
        normalize_name(&self.name)
    }

    /// Name in wheel and sdist filenames and the `.dist-info` directory: `foo_bar_baz`.
    pub fn filename_name(&self) -> String {
        self.normalized_name().replace('-', "_")
    }

    /// Core metadata (`METADATA` / `PKG-INFO`) with the given version and dynamic fields.
    pub fn core_metadata(&self, metadata_version: &str, dynamic: &[String]) -> String {
        let mut lines = vec![
            format!("Metadata-Version: {metadata_version}"),
            format!("Name: {}", self.name),
            format!("Version: {}", self.version),
        ];
        lines.extend(dynamic.iter().map(|field| format!("Dynamic: {field}")));
        if let Some(requires_python) = &self.requires_python {
            lines.push(format!("Requires-Python: {requires_python}"));
        }
        lines.extend(
            self.requires_dist
                .iter()
                .map(|requirement| format!("Requires-Dist: {requirement}")),
        );
        for (extra, requirements) in &self.extras {
            lines.push(format!("Provides-Extra: {extra}"));
            for requirement in requirements {
                lines.push(format!(
                    "Requires-Dist: {}",
                    requirement_for_extra(requirement, extra)
                ));
            }
        }
        lines.push(String::new());
        lines.join("\n")
    }
}

/// `foo>=1; python_version < "3.9"` for extra `x` →
/// `foo>=1; (python_version < "3.9") and extra == "x"`.
pub fn requirement_for_extra(requirement: &str, extra: &str) -> String {
    match requirement.split_once(';') {
        Some((requirement, marker)) => {
            format!(
                "{}; ({}) and extra == \"{extra}\"",
                requirement.trim_end(),
                marker.trim()
            )
        }
        None => format!("{}; extra == \"{extra}\"", requirement.trim_end()),
    }
}

/// PEP 503 normalization: lowercase, runs of `-`, `_` and `.` become one `-`.
pub fn normalize_name(name: &str) -> String {
    let mut normalized = String::with_capacity(name.len());
    let mut in_separator_run = false;
    for character in name.chars() {
        if matches!(character, '-' | '_' | '.') {
            if !in_separator_run {
                normalized.push('-');
            }
            in_separator_run = true;
        } else {
            normalized.push(character.to_ascii_lowercase());
            in_separator_run = false;
        }
    }
    normalized
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}
