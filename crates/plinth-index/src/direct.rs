//! Direct references: distributions named by URL or path instead of by index.
//!
//! A direct reference points at a wheel or sdist archive on a server
//! (`https://…`, checked against `#sha256=` when the URL has one) or on disk,
//! at a project directory on disk, or at a git repository and revision
//! (`git+https://…@v1.0`, see `git.rs`). [`IndexSource::direct`] reads the
//! name, version and core metadata of what it points at, cheapest first: a
//! wheel's `METADATA`; an sdist's `PKG-INFO` when static (PEP 643), else its
//! static `pyproject.toml` `[project]` table; a directory's static
//! `pyproject.toml` (name, version and dependencies not dynamic); else a
//! PEP 517 metadata build (plinth-build), cached for archives by sha256 and
//! for git checkouts by commit.

use std::path::{Component, Path, PathBuf};
use std::str::FromStr;
use std::sync::Arc;

use pep440_rs::Version;
use pep508_rs::PackageName;
use plinth_build::{BuildOptions, build_metadata, build_metadata_from_dir};
use plinth_resolver::Metadata;
use sha2::{Digest, Sha256};
use url::Url;

use crate::auth::percent_decode;
use crate::error::{IndexError, redact};
use crate::filename::WheelFilename;
use crate::metadata::CoreMetadata;
use crate::simple::IndexFile;
use crate::source::IndexSource;
use crate::target::Target;
use crate::wheel::read_sdist_files;

/// Archive suffixes a file reference may have.
const ARCHIVE_SUFFIXES: &[&str] = &[".whl", ".tar.gz", ".tgz", ".zip"];

/// What a direct reference points at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DirectReference {
    /// A wheel or sdist archive on a server, with the sha256 its URL gives.
    Url { url: Url, sha256: Option<String> },
    /// A wheel or sdist archive on disk, with the sha256 its URL gives.
    File {
        path: PathBuf,
        sha256: Option<String>,
    },
    /// A project directory on disk.
    Directory(PathBuf),
    /// A project in a git repository.
    Git(GitReference),
}

/// `git+<repository>@<revision>#subdirectory=<path>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GitReference {
    /// The repository URL, without `git+`, the revision and the fragment.
    pub repository: Url,
    /// A branch, tag or commit; `None` means the default branch.
    pub revision: Option<String>,
    /// The project's directory inside the repository.
    pub subdirectory: Option<String>,
}

/// What a direct reference turned out to be.
#[derive(Debug, Clone)]
pub struct DirectDistribution {
    pub name: PackageName,
    pub version: Version,
    pub metadata: Arc<Metadata>,
    /// `Some(reason)` when it can't be used for the target (a wheel for
    /// another platform).
    pub unusable: Option<String>,
    /// The file name of a wheel, to tell other targets whether they can use
    /// it ([`wheel_unusable`]).
    pub wheel: Option<String>,
    /// The sha256 of an archive; `None` for directories and git checkouts.
    pub sha256: Option<String>,
    /// The full commit hash a git reference resolved to.
    pub commit: Option<String>,
}

/// Why the wheel `filename` can't be used on `target` (its tags don't fit),
/// or `None` when it can (or is no valid wheel name).
pub fn wheel_unusable(filename: &str, target: &Target) -> Option<String> {
    let wheel = WheelFilename::parse(filename.strip_suffix(".whl")?)?;
    let rank = target.wheel_rank(
        &strings(&wheel.python_tags),
        &strings(&wheel.abi_tags),
        &strings(&wheel.platform_tags),
    );
    rank.is_none().then(|| {
        format!(
            "its wheel `{filename}` is not compatible with the target (CPython {}, {})",
            target.python_version, target.platform
        )
    })
}

impl DirectReference {
    /// Parse a reference as written (with `${NAME}` already expanded): a URL
    /// (`https://`, `http://`, `file:`, `git+…`) or a path, relative paths
    /// being relative to `base`. A path must exist.
    pub fn parse(text: &str, base: &Path) -> Result<Self, String> {
        if let Some(rest) = text.strip_prefix("git+") {
            return GitReference::parse(rest).map(DirectReference::Git);
        }
        let (without_fragment, fragment) = match text.split_once('#') {
            Some((url, fragment)) => (url, Some(fragment)),
            None => (text, None),
        };
        let sha256 = fragment.and_then(|fragment| fragment_value(fragment, "sha256"));
        if let Some(sha256) = &sha256
            && !(sha256.len() == 64 && sha256.bytes().all(|byte| byte.is_ascii_hexdigit()))
        {
            return Err(format!("`#sha256={sha256}` is not 64 hexadecimal digits"));
        }
        let sha256 = sha256.map(|hash| hash.to_ascii_lowercase());
        let path = match scheme(without_fragment) {
            Some("http" | "https") => {
                let url = Url::parse(without_fragment).map_err(|error| error.to_string())?;
                archive_name(&url)?;
                return Ok(DirectReference::Url { url, sha256 });
            }
            Some("file") => match without_fragment.strip_prefix("file://") {
                Some(_) => Url::parse(without_fragment)
                    .ok()
                    .and_then(|url| url.to_file_path().ok())
                    .ok_or_else(|| "not a valid `file://` URL of a local path".to_string())?,
                // `file:../x`: relative, as pip reads it.
                None => PathBuf::from(&without_fragment["file:".len()..]),
            },
            Some(other) if other.len() > 1 => {
                return Err(format!(
                    "`{other}:` URLs are not supported: use `https://`, `http://`, `file:` or `git+` (`git+https://…`, `git+ssh://…`, `git+file://…`)"
                ));
            }
            // A plain path (or a Windows drive letter).
            _ => PathBuf::from(text),
        };
        // Canonical, so that two spellings of one path are one reference.
        let path = std::fs::canonicalize(base.join(&path)).map_err(|error| {
            let shown = lexically_clean(&base.join(&path));
            if error.kind() == std::io::ErrorKind::NotFound {
                format!("`{}` does not exist", shown.display())
            } else {
                format!("failed to read `{}`: {error}", shown.display())
            }
        })?;
        let metadata = fs_err::metadata(&path).map_err(|error| error.to_string())?;
        if metadata.is_dir() {
            Ok(DirectReference::Directory(path))
        } else {
            let name = path
                .file_name()
                .map(|name| name.to_string_lossy().into_owned())
                .unwrap_or_default();
            check_archive_name(&name)?;
            Ok(DirectReference::File { path, sha256 })
        }
    }

    /// Whether this is a project directory or a git checkout (which can be
    /// installed editable), rather than an archive.
    pub fn is_project(&self) -> bool {
        matches!(
            self,
            DirectReference::Directory(_) | DirectReference::Git(_)
        )
    }
}

impl GitReference {
    /// Parse what follows `git+`: `https://host/repo.git@v1#subdirectory=pkg`.
    fn parse(text: &str) -> Result<Self, String> {
        let (url, fragment) = match text.split_once('#') {
            Some((url, fragment)) => (url, Some(fragment)),
            None => (text, None),
        };
        match scheme(url) {
            Some("https" | "http" | "ssh" | "file" | "git") => {}
            _ => {
                return Err(
                    "a git URL starts with `git+https://`, `git+ssh://`, `git+http://`, `git+git://` or `git+file://`"
                        .to_string(),
                );
            }
        }
        let (url, revision) = split_revision(url);
        let repository = Url::parse(url).map_err(|error| error.to_string())?;
        let subdirectory = fragment.and_then(|fragment| fragment_value(fragment, "subdirectory"));
        if let Some(subdirectory) = &subdirectory
            && !Path::new(subdirectory)
                .components()
                .all(|component| matches!(component, Component::Normal(_) | Component::CurDir))
        {
            return Err(format!(
                "`#subdirectory={subdirectory}` is not a relative path inside the repository"
            ));
        }
        Ok(Self {
            repository,
            revision: revision.map(str::to_string),
            subdirectory,
        })
    }
}

/// `url` with its `@revision` replaced by `@commit` (or `@commit` added),
/// keeping the fragment (without `egg=` unless `keep_egg`): how a git
/// reference is pinned in a lockfile. `url` is the reference as written
/// (`git+https://host/repo@main#subdirectory=x`).
pub fn pin_git_url(url: &str, commit: &str, keep_egg: bool) -> String {
    let (without_fragment, fragment) = match url.split_once('#') {
        Some((url, fragment)) => (url, Some(fragment)),
        None => (url, None),
    };
    let (repository, _) = split_revision(without_fragment);
    let mut pinned = format!("{repository}@{commit}");
    // `egg=` names the package, which the lockfile line does already.
    let kept: Vec<&str> = fragment
        .into_iter()
        .flat_map(|fragment| fragment.split('&'))
        .filter(|part| !part.is_empty() && (keep_egg || !part.starts_with("egg=")))
        .collect();
    if !kept.is_empty() {
        pinned.push('#');
        pinned.push_str(&kept.join("&"));
    }
    pinned
}

/// `(url, Some(revision))` for `scheme://host/path@revision`, as pip splits it:
/// at the last `@` of the path (an `@` in the host part is user info).
fn split_revision(url: &str) -> (&str, Option<&str>) {
    let path_start = url.find("://").map_or(0, |index| index + 3).min(url.len());
    let path_start = url[path_start..]
        .find('/')
        .map_or(url.len(), |index| path_start + index);
    match url[path_start..].rfind('@') {
        Some(index) => (
            &url[..path_start + index],
            Some(&url[path_start + index + 1..]),
        ),
        None => (url, None),
    }
}

/// The scheme of `text` when it has one (`https` of `https://…`, `file` of `file:…`).
fn scheme(text: &str) -> Option<&str> {
    let (scheme, _) = text.split_once(':')?;
    let valid = scheme.starts_with(|c: char| c.is_ascii_alphabetic())
        && scheme
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
    valid.then_some(scheme)
}

/// The value of `key=value` in a URL fragment (`sha256=…&subdirectory=…`).
fn fragment_value(fragment: &str, key: &str) -> Option<String> {
    fragment
        .split('&')
        .find_map(|part| part.strip_prefix(key)?.strip_prefix('='))
        .map(str::to_string)
}

/// The file name at the end of an archive URL, checked to be an archive.
fn archive_name(url: &Url) -> Result<String, String> {
    let name = url
        .path_segments()
        .and_then(|mut segments| segments.next_back())
        .map(percent_decode)
        .unwrap_or_default();
    check_archive_name(&name)?;
    Ok(name)
}

fn check_archive_name(name: &str) -> Result<(), String> {
    let lower = name.to_ascii_lowercase();
    if ARCHIVE_SUFFIXES
        .iter()
        .any(|suffix| lower.ends_with(suffix))
    {
        Ok(())
    } else {
        Err(format!(
            "`{name}` is not a wheel (`.whl`) or a source archive (`.tar.gz`, `.zip`)"
        ))
    }
}

impl IndexSource {
    /// Read the name, version and metadata of what `reference` points at.
    /// `display` names the reference in errors (as written, without credentials).
    pub async fn direct(
        &self,
        reference: &DirectReference,
        display: &str,
    ) -> Result<DirectDistribution, IndexError> {
        let fail = |message: String| IndexError::Direct {
            reference: display.to_string(),
            message,
        };
        match reference {
            DirectReference::Url { url, sha256 } => {
                let filename = archive_name(url).map_err(fail)?;
                // A file read before is not downloaded again: found by the
                // sha256 the URL gives, or with `--offline` by the URL.
                let mut without_credentials = url.clone();
                let _ = without_credentials.set_username("");
                let _ = without_credentials.set_password(None);
                let url_key = format!(
                    "direct-url/{}",
                    hex::encode(Sha256::digest(without_credentials.as_str()))
                );
                let known = sha256.clone().or_else(|| {
                    let bytes = self
                        .client()
                        .offline()
                        .then(|| self.client().cache_get(&url_key));
                    bytes
                        .flatten()
                        .map(|bytes| String::from_utf8_lossy(&bytes).into_owned())
                });
                if let Some(known) = known
                    && let Some(core) = self.client().cache_get(&self.archive_key(&known))
                {
                    let core = CoreMetadata::parse(&core);
                    return self.archive_distribution(&filename, &core, known, display);
                }
                let file = IndexFile::new(&filename, url.clone().into());
                let bytes = self.client().download(&file).await?;
                let distribution = self
                    .archive(&filename, bytes, sha256.as_deref(), display)
                    .await?;
                if let Some(sha256) = &distribution.sha256 {
                    self.client().cache_put(&url_key, sha256.as_bytes());
                }
                Ok(distribution)
            }
            DirectReference::File { path, sha256 } => {
                let filename = path
                    .file_name()
                    .map(|name| name.to_string_lossy().into_owned())
                    .unwrap_or_default();
                let bytes = tokio::fs::read(path).await.map_err(|error| {
                    fail(format!("failed to read `{}`: {error}", path.display()))
                })?;
                self.archive(&filename, bytes, sha256.as_deref(), display)
                    .await
            }
            DirectReference::Directory(path) => self.project(path.clone(), None, display).await,
            DirectReference::Git(git) => {
                if self.client().offline() && git.repository.scheme() != "file" {
                    return Err(fail(
                        "`--offline` forbids cloning a remote git repository".to_string(),
                    ));
                }
                let repository = git.repository.clone();
                let revision = git.revision.clone();
                let checkout = tokio::task::spawn_blocking(move || {
                    crate::git::checkout(&repository, revision.as_deref())
                })
                .await
                .map_err(|error| fail(error.to_string()))?
                .map_err(fail)?;
                let project = match &git.subdirectory {
                    Some(subdirectory) => checkout.path().join(subdirectory),
                    None => checkout.path(),
                };
                let cache_key = format!(
                    "git-built/{}",
                    hex::encode(Sha256::digest(format!(
                        "{}#{}",
                        checkout.commit,
                        git.subdirectory.as_deref().unwrap_or_default()
                    )))
                );
                let mut distribution = self.project(project, Some(cache_key), display).await?;
                distribution.commit = Some(checkout.commit.clone());
                Ok(distribution)
            }
        }
    }

    /// A wheel or sdist archive, checked against `expected` (hex sha256).
    async fn archive(
        &self,
        filename: &str,
        bytes: Vec<u8>,
        expected: Option<&str>,
        display: &str,
    ) -> Result<DirectDistribution, IndexError> {
        let fail = |message: String| IndexError::Direct {
            reference: display.to_string(),
            message,
        };
        let sha256 = hex::encode(Sha256::digest(&bytes));
        if let Some(expected) = expected
            && !expected.eq_ignore_ascii_case(&sha256)
        {
            return Err(fail(format!(
                "its sha256 is `{sha256}`, but the reference says `#sha256={expected}`"
            )));
        }
        let core = if filename.ends_with(".whl") {
            CoreMetadata::parse(
                &plinth_build::wheel_metadata(std::io::Cursor::new(bytes.as_slice()))
                    .map_err(fail)?,
            )
        } else {
            let files = read_sdist_files(filename, &bytes).map_err(fail)?;
            let pkg_info = files.pkg_info.as_deref().map(CoreMetadata::parse);
            let pyproject = match files.pyproject.as_deref().map(CoreMetadata::from_pyproject) {
                Some(Err(error)) => {
                    return Err(fail(format!("its pyproject.toml is invalid: {error}")));
                }
                Some(Ok(pyproject)) => pyproject,
                None => None,
            };
            match (pkg_info, pyproject) {
                (Some(pkg_info), _) if pkg_info.is_static() && has_identity(&pkg_info) => pkg_info,
                (_, Some(pyproject)) if has_identity(&pyproject) => pyproject,
                _ => {
                    let key = format!(
                        "sdist-built/{sha256}-py{}",
                        self.build_options(display)?.python_version
                    );
                    let built = match self.client().cache_get(&key) {
                        Some(built) => built,
                        None => {
                            let built = self
                                .build_archive(filename, bytes, &sha256, display)
                                .await?;
                            self.client().cache_put(&key, &built);
                            built
                        }
                    };
                    CoreMetadata::parse(&built)
                }
            }
        };
        let key = self.archive_key(&sha256);
        let distribution = self.archive_distribution(filename, &core, sha256, display)?;
        self.client().cache_put(&key, core.to_text().as_bytes());
        Ok(distribution)
    }

    /// Where the metadata of the archive with `sha256` is cached (for the
    /// target's Python: a build may depend on it).
    fn archive_key(&self, sha256: &str) -> String {
        format!(
            "direct-archive/{}-py{}",
            sha256.to_ascii_lowercase(),
            self.target().python_version
        )
    }

    /// The distribution of an archive: a wheel's name and version come from
    /// its file name (what installers go by), and its tags must fit the target.
    fn archive_distribution(
        &self,
        filename: &str,
        core: &CoreMetadata,
        sha256: String,
        display: &str,
    ) -> Result<DirectDistribution, IndexError> {
        let mut core = core.clone();
        let mut unusable = None;
        if let Some(stem) = filename.strip_suffix(".whl") {
            let wheel = WheelFilename::parse(stem).ok_or_else(|| IndexError::Direct {
                reference: display.to_string(),
                message: format!("`{filename}` is not a valid wheel file name"),
            })?;
            unusable = wheel_unusable(filename, self.target());
            core.name = Some(wheel.name.to_string());
            core.version = Some(wheel.version.to_string());
        }
        let mut distribution = self.distribution(&core, display)?;
        distribution.unusable = unusable;
        distribution.wheel = filename.ends_with(".whl").then(|| filename.to_string());
        distribution.sha256 = Some(sha256.to_ascii_lowercase());
        Ok(distribution)
    }

    /// A project directory: its static `pyproject.toml`, else a build
    /// (cached under `cache_key` when given).
    async fn project(
        &self,
        path: PathBuf,
        cache_key: Option<String>,
        display: &str,
    ) -> Result<DirectDistribution, IndexError> {
        let fail = |message: String| IndexError::Direct {
            reference: display.to_string(),
            message,
        };
        let pyproject_path = path.join("pyproject.toml");
        if pyproject_path.is_file() {
            let bytes = fs_err::read(&pyproject_path).map_err(|error| fail(error.to_string()))?;
            let pyproject = CoreMetadata::from_pyproject(&bytes)
                .map_err(|error| fail(format!("its pyproject.toml is invalid: {error}")))?;
            if let Some(pyproject) = pyproject.filter(has_identity) {
                return self.distribution(&pyproject, display);
            }
        } else if !path.join("setup.py").is_file() {
            return Err(fail(format!(
                "`{}` is not a Python project: it has no `pyproject.toml` or `setup.py`",
                path.display()
            )));
        }
        let built = match cache_key
            .as_deref()
            .and_then(|key| self.client().cache_get(key))
        {
            Some(built) => built,
            None => {
                let options = self.build_options(display)?.clone();
                let built = tokio::task::spawn_blocking(move || {
                    build_metadata_from_dir(&path, &options).map_err(|error| error.to_string())
                })
                .await
                .map_err(|error| fail(error.to_string()))?
                .map_err(|message| fail(format!("its metadata build failed: {message}")))?
                .metadata;
                if let Some(key) = &cache_key {
                    self.client().cache_put(key, &built);
                }
                built
            }
        };
        self.distribution(&CoreMetadata::parse(&built), display)
    }

    /// Build the metadata of an sdist archive (its bytes) in a temporary directory.
    async fn build_archive(
        &self,
        filename: &str,
        bytes: Vec<u8>,
        sha256: &str,
        display: &str,
    ) -> Result<Vec<u8>, IndexError> {
        let fail = |message: String| IndexError::Direct {
            reference: display.to_string(),
            message,
        };
        let options = self.build_options(display)?.clone();
        // Only the last path segment: the name can't point elsewhere.
        let name = Path::new(filename)
            .file_name()
            .map_or_else(|| "sdist.tar.gz".into(), std::ffi::OsStr::to_os_string);
        let sha256 = sha256.to_string();
        tokio::task::spawn_blocking(move || -> Result<Vec<u8>, String> {
            let directory = tempfile::tempdir().map_err(|error| error.to_string())?;
            let path = directory.path().join(name);
            fs_err::write(&path, &bytes).map_err(|error| error.to_string())?;
            build_metadata(&path, Some(&sha256), &options)
                .map(|built| built.metadata)
                .map_err(|error| error.to_string())
        })
        .await
        .map_err(|error| fail(error.to_string()))?
        .map_err(|message| fail(format!("its metadata build failed: {message}")))
    }

    /// How to build, or why a build is not allowed.
    fn build_options(&self, display: &str) -> Result<&BuildOptions, IndexError> {
        self.build().ok_or_else(|| IndexError::Direct {
            reference: display.to_string(),
            message: "it has no static metadata (PEP 643 PKG-INFO or PEP 621 pyproject.toml with a static name, version and dependencies) and `--no-build` forbids building it".to_string(),
        })
    }

    /// The distribution `core` describes; it must name itself and its version.
    fn distribution(
        &self,
        core: &CoreMetadata,
        display: &str,
    ) -> Result<DirectDistribution, IndexError> {
        let fail = |message: String| IndexError::Direct {
            reference: display.to_string(),
            message,
        };
        let name = core
            .name
            .as_deref()
            .ok_or_else(|| fail("its metadata has no `Name`".to_string()))?;
        let name = PackageName::from_str(name)
            .map_err(|error| fail(format!("its metadata has an invalid `Name`: {error}")))?;
        let version = core
            .version
            .as_deref()
            .ok_or_else(|| fail("its metadata has no `Version`".to_string()))?;
        let version = Version::from_str(version)
            .map_err(|error| fail(format!("its metadata has an invalid `Version`: {error}")))?;
        let metadata = core
            .to_metadata()
            .map_err(|error| fail(format!("its metadata is invalid: {error}")))?;
        Ok(DirectDistribution {
            name,
            version,
            metadata: Arc::new(metadata),
            unusable: None,
            wheel: None,
            sha256: None,
            commit: None,
        })
    }
}

fn strings(tags: &[String]) -> Vec<&str> {
    tags.iter().map(String::as_str).collect()
}

/// `path` without `.` components and with `..` applied, without asking the disk.
fn lexically_clean(path: &Path) -> PathBuf {
    let mut clean = PathBuf::new();
    for component in path.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir => {
                clean.pop();
            }
            other => clean.push(other),
        }
    }
    clean
}

/// Whether metadata names its distribution and version.
fn has_identity(core: &CoreMetadata) -> bool {
    core.name.is_some() && core.version.is_some()
}

/// A reference for messages: a URL without credentials, a path as is.
pub fn display_reference(text: &str) -> String {
    match Url::parse(text.strip_prefix("git+").unwrap_or(text)) {
        Ok(url) if !url.username().is_empty() || url.password().is_some() => {
            let prefix = if text.starts_with("git+") { "git+" } else { "" };
            format!("{prefix}{}", redact(&url))
        }
        _ => text.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn git_references() {
        let git = GitReference::parse(
            "https://user@host.example/org/repo.git@v1.0#subdirectory=pkg&egg=x",
        )
        .expect("parses");
        assert_eq!(
            git.repository.as_str(),
            "https://user@host.example/org/repo.git"
        );
        assert_eq!(git.revision.as_deref(), Some("v1.0"));
        assert_eq!(git.subdirectory.as_deref(), Some("pkg"));
        let git = GitReference::parse("file:///srv/repo").expect("parses");
        assert_eq!(git.revision, None);
        let git = GitReference::parse("ssh://git@host.example/repo.git@feature/x").expect("parses");
        assert_eq!(git.repository.as_str(), "ssh://git@host.example/repo.git");
        assert_eq!(git.revision.as_deref(), Some("feature/x"));
        assert!(GitReference::parse("https://host/repo#subdirectory=../x").is_err());
        assert!(GitReference::parse("host:repo").is_err());
        assert_eq!(
            pin_git_url(
                "git+https://host/repo.git@main#egg=x&subdirectory=pkg",
                "abc",
                false
            ),
            "git+https://host/repo.git@abc#subdirectory=pkg"
        );
        assert_eq!(
            pin_git_url("git+file:///srv/repo#egg=x", "abc", true),
            "git+file:///srv/repo@abc#egg=x"
        );
    }

    #[test]
    fn url_references() {
        let base = Path::new("/nonexistent");
        let hash = "a".repeat(64);
        let reference =
            DirectReference::parse(&format!("https://host/f/x-1.0.tar.gz#sha256={hash}"), base)
                .expect("parses");
        assert_eq!(
            reference,
            DirectReference::Url {
                url: Url::parse("https://host/f/x-1.0.tar.gz").expect("valid"),
                sha256: Some(hash),
            }
        );
        assert!(DirectReference::parse("https://host/f/x-1.0.exe", base).is_err());
        assert!(DirectReference::parse("https://host/x.whl#sha256=abc", base).is_err());
        assert!(DirectReference::parse("hg+https://host/repo", base).is_err());
        assert!(DirectReference::parse("./missing", base).is_err());
        assert_eq!(percent_decode("a%2Bb%zz"), "a+b%zz");
        assert_eq!(
            display_reference("git+https://user:secret@host/repo@v1"),
            "git+https://****@host/repo@v1"
        );
    }
}
