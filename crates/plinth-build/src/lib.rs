//! plinth-build: core metadata of source distributions through PEP 517.
//!
//! Pipeline role: when an sdist has no usable static metadata (no PEP 643 `PKG-INFO`,
//! dynamic `pyproject.toml` dependencies, `setup.py`), the index client hands the sdist
//! to [`build_metadata`], which returns the `METADATA` a wheel of it would carry, so that
//! the resolver can read its `Requires-Dist`.
//!
//! What it does, in order:
//!
//! 1. Answers from the cache when `cache_dir` and the sdist's sha256 are given
//!    (`<cache_dir>/v1/built-metadata/<sha256>`, written atomically); otherwise checks
//!    the file against that sha256.
//! 2. Unpacks the sdist (`.tar.gz`, `.tgz`, `.tar`, `.zip`) into a temporary directory.
//!    Entries with an absolute path or `..`, and links pointing outside, are an error;
//!    devices and FIFOs are skipped. The project is the single top-level directory (or
//!    the top itself when it holds `pyproject.toml` or `setup.py`, as pip accepts).
//! 3. Reads `[build-system]` (`requires`, `build-backend`, `backend-path`) from
//!    `pyproject.toml`; without the file or the table: `setuptools>=40.8.0` and
//!    `setuptools.build_meta:__legacy__`, as pip does. Build requirements must be
//!    PEP 508 requirements (no pip options, no paths).
//! 4. Finds an interpreter: the first `python{X}.{Y}` on PATH that runs and is that
//!    version, else `python3`, with a warning ("no python3.12 on PATH; building with
//!    python3 (3.11)"). Shims that do not run (pyenv's for an unselected version) are
//!    skipped.
//! 5. Creates an isolated venv (no system site-packages). The build requirements are
//!    installed by [`BuildOptions::installer`] when one is given (see [`Installer`]:
//!    the caller resolves them to wheels, [`install_wheel`] unpacks them); without
//!    one, or when it can't, with pip: when the interpreter has pip 22.3 or newer, the
//!    venv is made `--without-pip` and that pip installs into the venv's site-packages
//!    with `--target` (fast: one pip process); otherwise the venv gets its own pip. pip
//!    runs as `pip install --disable-pip-version-check --no-input --quiet
//!    --no-compile`, from [`BuildOptions::index_url`] when given, else from pip's own
//!    configuration. With
//!    [`BuildOptions::shared_requirements_dir`], the build system's requirements are
//!    installed once a day per interpreter and requirement set, and each build's venv
//!    adds that installation as a site directory (see `shared.rs`). The interpreter
//!    found is remembered for the process.
//! 6. Runs a small driver script (`driver.py`, in the temporary directory) with the
//!    venv's interpreter in the project directory: it imports the backend (from
//!    `backend-path` first, checking an in-tree backend really comes from there), calls
//!    `get_requires_for_build_wheel` (its extra requirements are installed the same
//!    way), then `prepare_metadata_for_build_wheel`, or `build_wheel` when the backend
//!    has no such hook, in which case `*.dist-info/METADATA` is read from the wheel.
//!    On Linux, each hook runs in a child forked after the backend is
//!    imported (a fresh process state per hook, as PEP 517 asks), and when
//!    `get_requires_for_build_wheel` asks for nothing new the same driver goes on to
//!    the metadata hook: one interpreter start and backend import per build.
//!
//! The timeout ([`BuildOptions::timeout`]) covers the whole build, from probing the
//! interpreter to the last hook (but for the [`Installer`]'s own resolution and
//! downloads, bounded by the client's network timeouts). Every subprocess runs in its own process group; when
//! the time is up the whole group is killed (`kill -KILL -<group>`), so a hung backend
//! leaves no process behind. The driver also ends its group when plinth goes away.
//!
//! # The scrubbed environment
//!
//! Every subprocess (interpreter probe, venv, pip, backend hooks) starts from an empty
//! environment and gets only:
//!
//! - `PATH`, `HOME`, `TMPDIR`/`TEMP`/`TMP`, `LANG`, `LC_ALL`, `LC_CTYPE`, and on Windows
//!   `SYSTEMROOT`, `SYSTEMDRIVE`, `COMSPEC`, `PATHEXT`, `USERPROFILE`, `APPDATA`,
//!   `LOCALAPPDATA`;
//! - TLS roots: `SSL_CERT_FILE`, `SSL_CERT_DIR`, `REQUESTS_CA_BUNDLE`;
//! - proxies: `HTTP_PROXY`, `HTTPS_PROXY`, `ALL_PROXY`, `NO_PROXY` (either case);
//! - `PYENV_ROOT`, `PYENV_VERSION`, so that pyenv shims find the selected interpreter;
//! - the user's `PIP_*` settings (so `PIP_CERT`, `PIP_FIND_LINKS`, `PIP_INDEX_URL`,
//!   `PIP_CONFIG_FILE`... keep working when pip installs; the installer is not used
//!   when `PIP_CONSTRAINT`, `PIP_BUILD_CONSTRAINT`, `PIP_ONLY_BINARY`, `PIP_NO_BINARY`,
//!   `PIP_PRE`, `PIP_EXTRA_INDEX_URL`, `PIP_NO_INDEX` or a `PIP_FIND_LINKS` with
//!   something in it ask pip to choose otherwise), except those that would install elsewhere
//!   (`PIP_USER`, `PIP_TARGET`, `PIP_PREFIX`, `PIP_ROOT`, `PIP_PYTHON`) and any whose
//!   value holds a URL with userinfo (`https://user:password@host`).
//!
//! Whatever the lists above say, a variable whose name contains `TOKEN`, `PASSWORD`,
//! `PASSWD`, `SECRET`, `AUTH`, `CREDENTIAL`, `NETRC` or `KEY` is never passed.
//! [`BuildOptions::index_url`], the one explicit way to give pip an index (with
//! credentials if it needs them), replaces `PIP_INDEX_URL` for pip processes only: it
//! is passed in the environment (not on the command line, where `ps` would show it) and
//! never reaches the backend's hooks.
//!
//! [`build_metadata_from_dir`] does the same (steps 3 to 6) for a project directory (a
//! local path, an editable, a git checkout), in place and without a cache.
//!
//! Does not support: `config_settings`, building editables (PEP 660: an editable's
//! metadata comes from the wheel hooks, which give the same metadata) or wheels for
//! installation, sdist formats other than the above, limits on the unpacked size of an
//! archive, and symlinks inside `.zip` sdists (left out). pip's own configuration files
//! (`pip.conf`) are read by pip as usual.

mod archive;
mod cache;
mod env;
mod error;
mod installer;
mod interpreter;
mod process;
mod pyproject;
mod shared;

use std::ffi::OsString;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use serde::Deserialize;
use sha2::{Digest, Sha256};

pub use error::BuildError;
pub use installer::{HostPython, Installer, install_wheel, wheel_metadata};

use interpreter::{FindError, Interpreter};
use process::{Finished, RunError};
use pyproject::BuildSystem;

/// The driver script run by the build environment's interpreter.
const DRIVER: &str = include_str!("driver.py");

/// The default for [`BuildOptions::timeout`].
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(300);

/// How to build.
#[derive(Debug, Clone)]
pub struct BuildOptions {
    /// The target interpreter version (`3.11` or `3.11.4`); its major.minor picks the
    /// interpreter that builds.
    pub python_version: pep440_rs::Version,
    /// The limit for the whole build, including installing build requirements.
    pub timeout: Duration,
    /// Cache results here, keyed by the sdist's sha256 (when one is given).
    pub cache_dir: Option<PathBuf>,
    /// The index pip installs build requirements from (`None`: pip's own default or
    /// configuration).
    pub index_url: Option<String>,
    /// Hosts (`HOST` or `HOST:PORT`) whose TLS certificates pip does not
    /// verify (`--allow-insecure-host`), as `PIP_TRUSTED_HOST`.
    pub trusted_hosts: Vec<String>,
    /// Keep build requirements installed here for other builds that ask for
    /// the same ones (see the crate doc); `None`: each build installs its own.
    pub shared_requirements_dir: Option<PathBuf>,
    /// Installs build requirements in place of pip (see [`Installer`]);
    /// `None`, or when it can't: pip.
    pub installer: Option<std::sync::Arc<dyn Installer>>,
}

impl BuildOptions {
    /// Options for `python_version` with the default timeout, no cache and pip's index.
    pub fn new(python_version: pep440_rs::Version) -> Self {
        Self {
            python_version,
            timeout: DEFAULT_TIMEOUT,
            cache_dir: None,
            index_url: None,
            trusted_hosts: Vec::new(),
            shared_requirements_dir: None,
            installer: None,
        }
    }

    /// When a build starting now must end.
    fn deadline(&self) -> Instant {
        Instant::now()
            .checked_add(self.timeout)
            .unwrap_or_else(|| Instant::now() + Duration::from_secs(365 * 24 * 3600))
    }

    /// `(major, minor)` of [`Self::python_version`].
    fn python_minor(&self) -> (u64, u64) {
        let release = self.python_version.release();
        (
            release.first().copied().unwrap_or(3),
            release.get(1).copied().unwrap_or(0),
        )
    }

    /// What pip's environment says of the index: `PIP_INDEX_URL` and
    /// `PIP_TRUSTED_HOST` replace any inherited values, when given.
    fn pip_env(&self, env: &mut Vec<(OsString, OsString)>) {
        let settings = [
            ("PIP_INDEX_URL", self.index_url.clone()),
            (
                "PIP_TRUSTED_HOST",
                (!self.trusted_hosts.is_empty()).then(|| self.trusted_hosts.join(" ")),
            ),
        ];
        for (name, value) in settings {
            if let Some(value) = value {
                env.retain(|(key, _)| !key.eq_ignore_ascii_case(name));
                env.push((name.into(), value.into()));
            }
        }
    }
}

/// The result of a build.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BuiltMetadata {
    /// The bytes of the `METADATA` file (core metadata) of the would-be wheel.
    pub metadata: Vec<u8>,
    /// Things the user should know, such as building with another Python version.
    pub warnings: Vec<String>,
}

/// Builds the core metadata of `sdist` (a `.tar.gz` or `.zip` source distribution)
/// through its PEP 517 backend in an isolated environment.
///
/// `sha256` (hex, optionally prefixed with `sha256:`) is checked against the file and is
/// the cache key when [`BuildOptions::cache_dir`] is set; a cached result is returned
/// without reading the sdist.
pub fn build_metadata(
    sdist: &Path,
    sha256: Option<&str>,
    options: &BuildOptions,
) -> Result<BuiltMetadata, BuildError> {
    let name = sdist.file_name().map_or_else(
        || sdist.display().to_string(),
        |name| name.to_string_lossy().into_owned(),
    );
    cached_or_built(&name, sha256, options, |builder, warnings| {
        if let Some(expected) = sha256
            .map(|hash| normalize_sha256(hash, &name))
            .transpose()?
        {
            let actual = file_sha256(sdist, &name)?;
            if actual != expected {
                return Err(BuildError::HashMismatch {
                    sdist: name.clone(),
                    expected,
                    actual,
                });
            }
        }
        builder.build(sdist, warnings)
    })
}

/// An sdist unpacked by [`unpack_sdist`] into a temporary directory of its
/// own (removed when dropped), to be built there.
#[derive(Debug)]
pub struct UnpackedSdist {
    name: String,
    workspace: tempfile::TempDir,
    project: PathBuf,
}

impl UnpackedSdist {
    /// Builds its core metadata as [`build_metadata`] does for the archive;
    /// `sha256` (of the archive, checked by the caller) is the cache key.
    pub fn build_metadata(
        self,
        sha256: Option<&str>,
        options: &BuildOptions,
    ) -> Result<BuiltMetadata, BuildError> {
        cached_or_built(&self.name, sha256, options, |builder, warnings| {
            builder.build_project(&self.project, self.workspace.path(), warnings)
        })
    }
}

/// Unpacks the sdist `bytes` (named `filename`: `.tar.gz`, `.tgz`, `.tar` or
/// `.zip`) as a build would, into a new temporary directory, with the same
/// checks (no entry outside it). `stop` sees each file as soon as it is
/// written (its path in the archive, and where it is); when it returns
/// `true` the rest is not unpacked and the answer is `None`. So a caller
/// that reads the metadata files first decompresses a large sdist once,
/// whether it then needs a build or not.
pub fn unpack_sdist(
    filename: &str,
    bytes: &[u8],
    mut stop: impl FnMut(&Path, &Path) -> bool,
) -> Result<Option<UnpackedSdist>, BuildError> {
    unpack_sdist_with(filename, |source_root| {
        archive::unpack_from(
            std::io::Cursor::new(bytes),
            filename,
            source_root,
            &mut |path| stop(path, &source_root.join(path)),
        )
    })
}

/// [`unpack_sdist`] for a `.tar.gz`, `.tgz` or `.tar` sdist read from
/// `reader` as it arrives (a download in progress): the archive is never
/// held whole.
pub fn unpack_sdist_stream(
    filename: &str,
    reader: impl std::io::Read + Send + 'static,
    mut stop: impl FnMut(&Path, &Path) -> bool,
) -> Result<Option<UnpackedSdist>, BuildError> {
    unpack_sdist_with(filename, |source_root| {
        let mut visit = |path: &Path| stop(path, &source_root.join(path));
        if archive::is_tar_gz(filename) {
            archive::unpack_tar_gz_from_stream(reader, filename, source_root, &mut visit)
        } else {
            archive::unpack_tar_from(reader, filename, source_root, &mut visit)
        }
    })
}

/// A new build workspace with the sdist `filename` unpacked by `unpack`
/// into its `source` directory.
fn unpack_sdist_with(
    filename: &str,
    unpack: impl FnOnce(&Path) -> Result<Option<PathBuf>, BuildError>,
) -> Result<Option<UnpackedSdist>, BuildError> {
    let io_error = |source| BuildError::Io {
        sdist: filename.to_string(),
        source,
    };
    let workspace = tempfile::Builder::new()
        .prefix("plinth-build-")
        .tempdir()
        .map_err(io_error)?;
    let source_root = workspace.path().join("source");
    fs_err::create_dir(&source_root).map_err(io_error)?;
    let project = unpack(&source_root)?;
    Ok(project.map(|project| UnpackedSdist {
        name: filename.to_string(),
        workspace,
        project,
    }))
}

/// The cached metadata of the sdist `name` (by `sha256`), else what `build`
/// builds, then cached.
fn cached_or_built(
    name: &str,
    sha256: Option<&str>,
    options: &BuildOptions,
    build: impl FnOnce(&Builder<'_>, &mut Vec<String>) -> Result<Vec<u8>, BuildError>,
) -> Result<BuiltMetadata, BuildError> {
    let sha256 = sha256
        .map(|hash| normalize_sha256(hash, name))
        .transpose()?;
    let cache_entry = options
        .cache_dir
        .as_deref()
        .zip(sha256.as_deref())
        .map(|(directory, hash)| cache::entry(directory, hash));
    if let Some(entry) = &cache_entry
        && let Some(metadata) = cache::read(entry).map_err(|source| BuildError::Cache {
            sdist: name.to_string(),
            source,
        })?
    {
        return Ok(BuiltMetadata {
            metadata,
            warnings: Vec::new(),
        });
    }
    let mut warnings = Vec::new();
    let builder = Builder {
        name: name.to_string(),
        options,
        deadline: options.deadline(),
        env: env::scrubbed(std::env::vars_os()),
    };
    let metadata = build(&builder, &mut warnings)?;
    if let Some(entry) = &cache_entry
        && let Err(error) = cache::write(entry, &metadata)
    {
        warnings.push(format!(
            "could not cache the metadata of `{name}` at `{}`: {error}",
            entry.display()
        ));
    }
    Ok(BuiltMetadata { metadata, warnings })
}

/// Builds the core metadata of the project in the directory `project` (a local path,
/// an editable or a git checkout) through its PEP 517 backend in an isolated
/// environment, as [`build_metadata`] does for an sdist, but in place: the backend
/// runs in `project` and may leave files there (`*.egg-info`), as with pip and uv.
/// Nothing is cached (a directory has no hash); errors name the directory.
pub fn build_metadata_from_dir(
    project: &Path,
    options: &BuildOptions,
) -> Result<BuiltMetadata, BuildError> {
    let name = project.display().to_string();
    if !["pyproject.toml", "setup.py", "setup.cfg"]
        .iter()
        .any(|file| project.join(file).is_file())
    {
        return Err(BuildError::NotAProject { sdist: name });
    }
    let mut warnings = Vec::new();
    let builder = Builder {
        name,
        options,
        deadline: options.deadline(),
        env: env::scrubbed(std::env::vars_os()),
    };
    let workspace = builder.workspace()?;
    let metadata = builder.build_project(project, workspace.path(), &mut warnings)?;
    Ok(BuiltMetadata { metadata, warnings })
}

/// Finds the interpreter a build with `options` would use, so that a build
/// starting soon after does not wait for it (through pyenv's shims that
/// takes some 0.3 s); call it on a thread that may block. What goes wrong
/// is left for the build to report.
pub fn find_interpreter_ahead(options: &BuildOptions) {
    let (major, minor) = options.python_minor();
    let env = env::scrubbed(std::env::vars_os());
    let _ = interpreter::find(major, minor, &env, options.deadline());
}

/// `hash` as 64 lowercase hex digits.
fn normalize_sha256(hash: &str, name: &str) -> Result<String, BuildError> {
    let hex_digits = hash.strip_prefix("sha256:").unwrap_or(hash);
    if hex_digits.len() == 64 && hex_digits.bytes().all(|byte| byte.is_ascii_hexdigit()) {
        Ok(hex_digits.to_ascii_lowercase())
    } else {
        Err(BuildError::InvalidHash {
            sdist: name.to_string(),
            sha256: hash.to_string(),
        })
    }
}

fn file_sha256(path: &Path, name: &str) -> Result<String, BuildError> {
    let io_error = |source| BuildError::Io {
        sdist: name.to_string(),
        source,
    };
    let mut file = fs_err::File::open(path).map_err(io_error)?;
    let mut hasher = Sha256::new();
    let mut buffer = vec![0; 64 * 1024];
    loop {
        let read = file.read(&mut buffer).map_err(io_error)?;
        if read == 0 {
            break;
        }
        hasher.update(&buffer[..read]);
    }
    Ok(hex::encode(hasher.finalize()))
}

/// One build: the sdist's name for messages, the deadline and the scrubbed environment.
struct Builder<'a> {
    name: String,
    options: &'a BuildOptions,
    deadline: Instant,
    env: Vec<(OsString, OsString)>,
}

/// The build environment.
struct Venv {
    python: PathBuf,
    /// Install with the outer interpreter's pip into `site_packages` (the
    /// venv has no pip).
    outer_pip: Option<PathBuf>,
    site_packages: PathBuf,
    /// The interpreter's version and platform, for the installer.
    host: HostPython,
}

/// What the driver answers for `get_requires`, with the metadata hook's
/// answer when it went on to that (see `driver.py`).
#[derive(Deserialize)]
struct RequiresResult {
    requires: Vec<String>,
    #[serde(flatten)]
    metadata: MetadataResult,
}

#[derive(Deserialize)]
struct MetadataResult {
    metadata: Option<PathBuf>,
    wheel: Option<PathBuf>,
}

#[derive(Deserialize)]
struct HookStarted {
    hook: String,
}

impl Builder<'_> {
    fn build(&self, sdist: &Path, warnings: &mut Vec<String>) -> Result<Vec<u8>, BuildError> {
        let workspace = self.workspace()?;
        let source_root = workspace.path().join("source");
        fs_err::create_dir(&source_root).map_err(|source| self.io(source))?;
        let project = archive::unpack(sdist, &self.name, &source_root)?;
        self.build_project(&project, workspace.path(), warnings)
    }

    /// The temporary directory of one build (venv, driver, hook output).
    fn workspace(&self) -> Result<tempfile::TempDir, BuildError> {
        tempfile::Builder::new()
            .prefix("plinth-build-")
            .tempdir()
            .map_err(|source| self.io(source))
    }

    /// Builds the metadata of the project in `project`, using `workspace` for the rest.
    fn build_project(
        &self,
        project: &Path,
        workspace: &Path,
        warnings: &mut Vec<String>,
    ) -> Result<Vec<u8>, BuildError> {
        let system = pyproject::read(project, &self.name)?;
        if let Some(installer) = &self.options.installer {
            installer.prefetch(&system.requires);
        }

        let interpreter = self.find_interpreter(warnings)?;
        let venv = self.create_venv(&interpreter, workspace)?;
        self.install_requirements(&interpreter, &venv, &system.requires, workspace)?;

        let driver = workspace.join("driver.py");
        fs_err::write(&driver, DRIVER).map_err(|source| self.io(source))?;
        let requires: RequiresResult =
            self.run_driver(&venv, &driver, &system, project, workspace, "get_requires")?;
        let extra: Vec<String> = requires
            .requires
            .iter()
            .filter(|requirement| !system.requires.contains(requirement))
            .cloned()
            .collect();
        for requirement in &extra {
            pyproject::validate_requirement(requirement, &self.name)?;
        }
        let answered = requires.metadata.metadata.is_some() || requires.metadata.wheel.is_some();
        let result = if extra.is_empty() && answered {
            requires.metadata
        } else {
            self.install(&venv, &extra, workspace)?;
            self.run_driver(&venv, &driver, &system, project, workspace, "metadata")?
        };
        match (result.metadata, result.wheel) {
            (Some(path), _) => fs_err::read(&path).map_err(|source| self.io(source)),
            (None, Some(wheel)) => self.metadata_from_wheel(&wheel),
            (None, None) => {
                Err(self.io(std::io::Error::other("the build driver returned nothing")))
            }
        }
    }

    fn io(&self, source: std::io::Error) -> BuildError {
        BuildError::Io {
            sdist: self.name.clone(),
            source,
        }
    }

    /// Runs one subprocess of the build, `step` describing it for a timeout.
    fn run(
        &self,
        command: &mut Command,
        env: &[(OsString, OsString)],
        step: impl FnOnce() -> String,
    ) -> Result<Finished, BuildError> {
        process::run(command, env, self.deadline).map_err(|error| match error {
            RunError::TimedOut => BuildError::Timeout {
                sdist: self.name.clone(),
                step: step(),
                timeout: self.options.timeout,
            },
            RunError::Spawn(source) => BuildError::Spawn {
                sdist: self.name.clone(),
                program: command.get_program().to_string_lossy().into_owned(),
                source,
            },
            RunError::Io(source) => self.io(source),
        })
    }

    fn find_interpreter(&self, warnings: &mut Vec<String>) -> Result<Interpreter, BuildError> {
        let (major, minor) = self.options.python_minor();
        match interpreter::find(major, minor, &self.env, self.deadline) {
            Ok((interpreter, warning)) => {
                warnings.extend(warning);
                Ok(interpreter)
            }
            Err(FindError::TimedOut) => Err(BuildError::Timeout {
                sdist: self.name.clone(),
                step: "finding a Python interpreter".to_string(),
                timeout: self.options.timeout,
            }),
            Err(FindError::NotFound(message)) => Err(BuildError::NoInterpreter {
                sdist: self.name.clone(),
                version: format!("{major}.{minor}"),
                message,
            }),
        }
    }

    fn create_venv(&self, interpreter: &Interpreter, workspace: &Path) -> Result<Venv, BuildError> {
        let directory = workspace.join("env");
        let outer_pip = interpreter.pip_has_python_option();
        let (python, site_packages) = if cfg!(windows) {
            (
                directory.join("Scripts").join("python.exe"),
                directory.join("Lib").join("site-packages"),
            )
        } else {
            (
                directory.join("bin").join("python"),
                directory
                    .join("lib")
                    .join(format!("python{}.{}", interpreter.major, interpreter.minor))
                    .join("site-packages"),
            )
        };
        if cfg!(target_os = "linux") && outer_pip && interpreter.is_base {
            write_venv(&directory, interpreter, &site_packages)
                .map_err(|source| self.io(source))?;
        } else {
            let mut command = Command::new(&interpreter.executable);
            command.args(["-m", "venv"]);
            if outer_pip {
                command.arg("--without-pip");
            }
            command.arg(&directory).current_dir(workspace);
            let finished = self.run(&mut command, &self.env, || {
                "creating the build environment".to_string()
            })?;
            if !finished.status.success() {
                return Err(BuildError::Venv {
                    sdist: self.name.clone(),
                    python: interpreter.executable.display().to_string(),
                    output: finished.tail(),
                });
            }
        }
        Ok(Venv {
            python,
            outer_pip: outer_pip.then(|| interpreter.executable.clone()),
            site_packages,
            host: interpreter.host.clone(),
        })
    }

    /// Installs the build system's `requirements`: shared with other builds
    /// (see [`shared`]) when there is a cache and the outer pip installs
    /// (into any directory, should the installer not), else into the venv.
    fn install_requirements(
        &self,
        interpreter: &Interpreter,
        venv: &Venv,
        requirements: &[String],
        workspace: &Path,
    ) -> Result<(), BuildError> {
        let Some(cache_dir) = self.options.shared_requirements_dir.as_deref() else {
            return self.install(venv, requirements, workspace);
        };
        if requirements.is_empty() || venv.outer_pip.is_none() {
            return self.install(venv, requirements, workspace);
        }
        let mut key = self.pip_env();
        if let Some(installer) = &self.options.installer {
            key.push((
                "PIP_PLINTH_INSTALLER".into(),
                installer.fingerprint().into(),
            ));
        }
        let entry = shared::entry(cache_dir, &interpreter.executable, requirements, &key);
        let site_packages = shared::get_or_install(&entry, |target| {
            self.install_to(venv, target, requirements, workspace)
        })?;
        fs_err::write(
            venv.site_packages.join("_plinth_build_requirements.pth"),
            shared::pth_line(&site_packages),
        )
        .map_err(|source| self.io(source))
    }

    /// The environment pip runs with.
    fn pip_env(&self) -> Vec<(OsString, OsString)> {
        let mut env = self.env.clone();
        self.options.pip_env(&mut env);
        env
    }

    fn install(
        &self,
        venv: &Venv,
        requirements: &[String],
        workspace: &Path,
    ) -> Result<(), BuildError> {
        self.install_to(venv, &venv.site_packages, requirements, workspace)
    }

    /// Installs `requirements` into `site_packages`: with the installer when
    /// it can, else with pip (the outer pip; a venv with its own pip
    /// installs into itself).
    fn install_to(
        &self,
        venv: &Venv,
        site_packages: &Path,
        requirements: &[String],
        workspace: &Path,
    ) -> Result<(), BuildError> {
        if requirements.is_empty() {
            return Ok(());
        }
        // When the installer can't, pip may (building an sdist, say). Where
        // the user's pip settings choose what to install (a constraint
        // file, say), pip installs as configured.
        let installer_failed = match &self.options.installer {
            Some(installer) if env::pip_setting_that_chooses(&self.env).is_none() => {
                match installer.install(requirements, &venv.host, site_packages) {
                    Ok(()) => return Ok(()),
                    Err(reason) => Some(reason),
                }
            }
            _ => None,
        };
        let mut command = match &venv.outer_pip {
            // Into the venv's site-packages directly: `--python` would start
            // pip a second time inside the venv (some 0.6 s per build).
            // `--target` installs everything there, whatever the outer
            // interpreter has, and the venv runs the same Python version.
            Some(outer) => {
                let mut command = Command::new(outer);
                command
                    .args(["-m", "pip", "install", "--target"])
                    .arg(site_packages);
                // Replacing whatever the installer left there.
                if installer_failed.is_some() {
                    command.arg("--upgrade");
                }
                command
            }
            None => {
                let mut command = Command::new(&venv.python);
                command.args(["-m", "pip", "install"]);
                command
            }
        };
        command
            .args([
                "--disable-pip-version-check",
                "--no-input",
                "--quiet",
                "--no-compile",
                "--",
            ])
            .args(requirements)
            .current_dir(workspace);
        let env = self.pip_env();
        let listed = requirements
            .iter()
            .map(|requirement| format!("`{requirement}`"))
            .collect::<Vec<_>>()
            .join(", ");
        let finished = self.run(&mut command, &env, || {
            format!("installing the build requirements {listed}")
        })?;
        if !finished.status.success() {
            let mut output = finished.tail();
            if let Some(reason) = installer_failed {
                output.push_str(&format!(
                    "\nplinth tried to install them first and could not: {reason}"
                ));
            }
            return Err(BuildError::PipInstall {
                sdist: self.name.clone(),
                requirements: listed,
                output,
            });
        }
        Ok(())
    }

    /// Runs the driver for `hook` (`get_requires` or `metadata`) and reads its answer.
    fn run_driver<T: for<'de> Deserialize<'de>>(
        &self,
        venv: &Venv,
        driver: &Path,
        system: &BuildSystem,
        project: &Path,
        workspace: &Path,
        hook: &str,
    ) -> Result<T, BuildError> {
        let output_dir = workspace.join(format!("{hook}-output"));
        fs_err::create_dir_all(&output_dir).map_err(|source| self.io(source))?;
        let result = workspace.join(format!("{hook}-result.json"));
        let hook_file = workspace.join(format!("{hook}-hook.json"));
        let input = workspace.join(format!("{hook}-input.json"));
        let config = serde_json::json!({
            "hook": hook,
            "backend": system.backend,
            "backend_path": system
                .backend_path
                .iter()
                .map(|path| path.to_string_lossy())
                .collect::<Vec<_>>(),
            "output_dir": output_dir.to_string_lossy(),
            "result": result.to_string_lossy(),
            "hook_file": hook_file.to_string_lossy(),
            "installed": system.requires,
        });
        fs_err::write(&input, config.to_string()).map_err(|source| self.io(source))?;

        let mut command = Command::new(&venv.python);
        command
            .arg("-u")
            .arg(driver)
            .arg(&input)
            .current_dir(project);
        let started = || {
            fs_err::read(&hook_file)
                .ok()
                .and_then(|bytes| serde_json::from_slice::<HookStarted>(&bytes).ok())
                .map(|started| started.hook)
        };
        let finished = self.run(&mut command, &self.env, || match started() {
            Some(hook) => format!("running `{hook}`"),
            None => format!("importing the build backend `{}`", system.backend),
        })?;
        let backend_error = |output: String| BuildError::Backend {
            sdist: self.name.clone(),
            backend: system.backend.clone(),
            hook: started(),
            output,
        };
        if !finished.status.success() {
            return Err(backend_error(finished.tail()));
        }
        let bytes = fs_err::read(&result).map_err(|error| {
            backend_error(format!(
                "{}\nplinth: the driver wrote no result: {error}",
                finished.tail()
            ))
        })?;
        serde_json::from_slice(&bytes).map_err(|error| {
            backend_error(format!(
                "{}\nplinth: the hook returned something unexpected: {error}",
                finished.tail()
            ))
        })
    }

    /// `*.dist-info/METADATA` from a wheel built by `build_wheel`.
    fn metadata_from_wheel(&self, wheel: &Path) -> Result<Vec<u8>, BuildError> {
        let invalid = |message: String| BuildError::InvalidArchive {
            sdist: self.name.clone(),
            message: format!("the wheel `{}` built from it: {message}", wheel.display()),
        };
        let file = fs_err::File::open(wheel).map_err(|source| self.io(source))?;
        wheel_metadata(std::io::BufReader::new(file)).map_err(invalid)
    }
}

/// A virtual environment as `python -m venv --without-pip` makes it for the
/// base interpreter `interpreter` on Linux, written directly (the command
/// takes some 50 ms): `pyvenv.cfg` naming the interpreter's directory as
/// `home`, `bin/python*` linked to it, an empty `site_packages` and `lib64`
/// linked to `lib` (where `sys.platlibdir` is `lib64`).
#[cfg(unix)]
fn write_venv(
    directory: &Path,
    interpreter: &Interpreter,
    site_packages: &Path,
) -> std::io::Result<()> {
    use std::os::unix::fs::symlink;
    let home = interpreter
        .executable
        .parent()
        .ok_or_else(|| std::io::Error::other("the interpreter's path has no directory"))?;
    fs_err::create_dir_all(site_packages)?;
    let bin = directory.join("bin");
    fs_err::create_dir_all(&bin)?;
    fs_err::write(
        directory.join("pyvenv.cfg"),
        format!(
            "home = {}\ninclude-system-site-packages = false\nversion = {}\nexecutable = {}\n",
            home.display(),
            interpreter.host.version,
            interpreter.executable.display()
        ),
    )?;
    let versioned = format!("python{}.{}", interpreter.major, interpreter.minor);
    for name in ["python", "python3", versioned.as_str()] {
        symlink(&interpreter.executable, bin.join(name))?;
    }
    symlink("lib", directory.join("lib64"))
}

#[cfg(not(unix))]
fn write_venv(
    _directory: &Path,
    _interpreter: &Interpreter,
    _site_packages: &Path,
) -> std::io::Result<()> {
    Err(std::io::Error::other(
        "venvs are written by hand on Linux only",
    ))
}

#[cfg(test)]
mod tests {
    #[test]
    fn pip_is_told_the_index_and_the_insecure_hosts() {
        let mut options = super::BuildOptions::new(pep440_rs::Version::new([3, 11]));
        let mut env = vec![("PIP_INDEX_URL".into(), "https://inherited/".into())];
        options.pip_env(&mut env);
        assert_eq!(env, [("PIP_INDEX_URL".into(), "https://inherited/".into())]);
        options.index_url = Some("https://index.example/simple/".to_string());
        options.trusted_hosts = vec!["index.example".to_string(), "other:8443".to_string()];
        options.pip_env(&mut env);
        let env: Vec<(String, String)> = env
            .into_iter()
            .map(|(name, value)| {
                (
                    name.to_string_lossy().into(),
                    value.to_string_lossy().into(),
                )
            })
            .collect();
        assert_eq!(
            env,
            [
                (
                    "PIP_INDEX_URL".into(),
                    "https://index.example/simple/".into()
                ),
                ("PIP_TRUSTED_HOST".into(), "index.example other:8443".into())
            ]
        );
    }

    use super::*;

    #[test]
    fn sha256_normalization() {
        let hash = "AB".repeat(32);
        assert_eq!(
            normalize_sha256(&hash, "x.tar.gz").ok(),
            Some("ab".repeat(32))
        );
        assert_eq!(
            normalize_sha256(&format!("sha256:{hash}"), "x.tar.gz").ok(),
            Some("ab".repeat(32))
        );
        assert!(normalize_sha256("../../etc/passwd", "x.tar.gz").is_err());
        assert!(normalize_sha256(&"g".repeat(64), "x.tar.gz").is_err());
    }
}
