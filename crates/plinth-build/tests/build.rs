//! Real builds of small sdists written by the tests: real interpreters, real venvs, real
//! pip and setuptools (installed from the configured index; those tests skip, saying so,
//! when pip cannot reach one), and in-tree backends for hangs, failures and fallbacks.

use std::error::Error;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::str::FromStr;
use std::time::{Duration, Instant};

use plinth_build::{BuildError, BuildOptions, BuiltMetadata, build_metadata};
use sha2::{Digest, Sha256};

type TestResult = Result<(), Box<dyn Error>>;

/// `major.minor` of `python3` on PATH, the target of most tests (so no warning).
fn host_python_version() -> Result<String, Box<dyn Error>> {
    let output = Command::new("python3")
        .args(["-c", "import sys; print('%d.%d' % sys.version_info[:2])"])
        .output()?;
    Ok(String::from_utf8(output.stdout)?.trim().to_string())
}

fn options() -> Result<BuildOptions, Box<dyn Error>> {
    Ok(BuildOptions::new(pep440_rs::Version::from_str(
        &host_python_version()?,
    )?))
}

/// Writes `<directory>/<name>-<version>.tar.gz` with `files` under `<name>-<version>/`.
fn sdist(directory: &Path, base: &str, files: &[(&str, &str)]) -> Result<PathBuf, Box<dyn Error>> {
    let path = directory.join(format!("{base}.tar.gz"));
    let encoder = flate2::write::GzEncoder::new(
        std::fs::File::create(&path)?,
        flate2::Compression::default(),
    );
    let mut builder = tar::Builder::new(encoder);
    for (name, contents) in files {
        let mut header = tar::Header::new_gnu();
        header.set_size(contents.len() as u64);
        header.set_mode(0o644);
        header.set_cksum();
        builder.append_data(&mut header, format!("{base}/{name}"), contents.as_bytes())?;
    }
    builder.into_inner()?.finish()?;
    Ok(path)
}

/// The lines of `METADATA` that identify the project and carry its dependencies.
fn dependency_lines(built: &BuiltMetadata) -> Vec<String> {
    String::from_utf8_lossy(&built.metadata)
        .lines()
        .filter(|line| {
            ["Name: ", "Version: ", "Requires-Dist: ", "Provides-Extra: "]
                .iter()
                .any(|prefix| line.starts_with(prefix))
        })
        .map(str::to_string)
        .collect()
}

/// Whether pip (with the user's configuration) can download setuptools at all.
fn pip_reaches_an_index() -> bool {
    let Ok(destination) = tempfile::tempdir() else {
        return false;
    };
    Command::new("python3")
        .args(["-m", "pip", "download", "--no-deps", "--quiet", "--dest"])
        .arg(destination.path())
        .arg("setuptools>=40.8.0")
        .status()
        .is_ok_and(|status| status.success())
}

/// Builds, or returns `None` (after saying so) when the build requirements cannot be
/// installed because no index is reachable. A pip failure with a reachable index fails.
fn build_or_skip(
    sdist: &Path,
    options: &BuildOptions,
) -> Result<Option<BuiltMetadata>, Box<dyn Error>> {
    match build_metadata(sdist, None, options) {
        Ok(built) => Ok(Some(built)),
        Err(error @ BuildError::PipInstall { .. }) if !pip_reaches_an_index() => {
            eprintln!("skipped: pip cannot install build requirements here (no index?): {error}");
            Ok(None)
        }
        Err(error) => Err(error.into()),
    }
}

fn sha256_of(path: &Path) -> Result<String, Box<dyn Error>> {
    Ok(hex::encode(Sha256::digest(std::fs::read(path)?)))
}

/// An in-tree backend with only `build_wheel`, writing a wheel by hand (no network).
const WHEEL_ONLY_BACKEND: &str = r#"
import os
import zipfile

def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    print("building the wheel, noisily")
    name = "wheel_only-2.0-py3-none-any.whl"
    with zipfile.ZipFile(os.path.join(wheel_directory, name), "w") as wheel:
        wheel.writestr("wheel_only/__init__.py", "")
        wheel.writestr(
            "wheel_only-2.0.dist-info/METADATA",
            "Metadata-Version: 2.1\nName: wheel-only\nVersion: 2.0\nRequires-Dist: idna>=3\n",
        )
        wheel.writestr("wheel_only-2.0.dist-info/WHEEL", "Wheel-Version: 1.0\n")
    return name
"#;

const IN_TREE_PYPROJECT: &str = r#"[build-system]
requires = []
build-backend = "backend"
backend-path = ["_backend"]
"#;

fn wheel_only_sdist(directory: &Path) -> Result<PathBuf, Box<dyn Error>> {
    sdist(
        directory,
        "wheel_only-2.0",
        &[
            ("pyproject.toml", IN_TREE_PYPROJECT),
            ("_backend/backend.py", WHEEL_ONLY_BACKEND),
        ],
    )
}

#[test]
fn setuptools_pyproject_project() -> TestResult {
    let directory = tempfile::tempdir()?;
    let sdist = sdist(
        directory.path(),
        "demo_pkg-1.2.3",
        &[
            (
                "pyproject.toml",
                r#"[build-system]
requires = ["setuptools>=61"]
build-backend = "setuptools.build_meta"

[project]
name = "demo-pkg"
version = "1.2.3"
dependencies = ["requests>=2.0", "click; python_version >= '3.8'"]

[project.optional-dependencies]
cli = ["rich>=10"]
"#,
            ),
            ("demo_pkg/__init__.py", ""),
        ],
    )?;
    let start = Instant::now();
    let Some(built) = build_or_skip(&sdist, &options()?)? else {
        return Ok(());
    };
    eprintln!("setuptools pyproject build: {:?}", start.elapsed());
    assert_eq!(
        dependency_lines(&built),
        [
            "Name: demo-pkg",
            "Version: 1.2.3",
            "Requires-Dist: requests>=2.0",
            "Requires-Dist: click; python_version >= \"3.8\"",
            "Provides-Extra: cli",
            "Requires-Dist: rich>=10; extra == \"cli\"",
        ]
    );
    assert_eq!(built.warnings, Vec::<String>::new());
    Ok(())
}

#[test]
fn flit_core_project_with_dynamic_dependencies() -> TestResult {
    // flit_core reads the version from the module, so the metadata needs a build.
    let directory = tempfile::tempdir()?;
    let sdist = sdist(
        directory.path(),
        "flitdemo-0.4",
        &[
            (
                "pyproject.toml",
                r#"[build-system]
requires = ["flit_core>=3.4,<4"]
build-backend = "flit_core.buildapi"

[project]
name = "flitdemo"
dynamic = ["version", "description"]
dependencies = ["attrs>=22"]
"#,
            ),
            (
                "flitdemo.py",
                "\"\"\"A demo.\"\"\"\n__version__ = \"0.4\"\n",
            ),
        ],
    )?;
    let Some(built) = build_or_skip(&sdist, &options()?)? else {
        return Ok(());
    };
    assert_eq!(
        dependency_lines(&built),
        ["Name: flitdemo", "Version: 0.4", "Requires-Dist: attrs>=22"]
    );
    Ok(())
}

#[test]
fn legacy_setup_py_project() -> TestResult {
    let directory = tempfile::tempdir()?;
    let sdist = sdist(
        directory.path(),
        "legacy-0.1",
        &[
            (
                "setup.py",
                r#"from setuptools import setup

setup(
    name="legacy",
    version="0.1",
    py_modules=["legacy"],
    install_requires=["six>=1.0", "attrs"],
    extras_require={"test": ["pytest"]},
)
"#,
            ),
            ("legacy.py", ""),
        ],
    )?;
    let start = Instant::now();
    let Some(built) = build_or_skip(&sdist, &options()?)? else {
        return Ok(());
    };
    eprintln!("legacy setup.py build: {:?}", start.elapsed());
    assert_eq!(
        dependency_lines(&built),
        [
            "Name: legacy",
            "Version: 0.1",
            "Requires-Dist: six>=1.0",
            "Requires-Dist: attrs",
            "Provides-Extra: test",
            "Requires-Dist: pytest; extra == \"test\"",
        ]
    );
    Ok(())
}

#[test]
fn setup_cfg_only_project() -> TestResult {
    // No setup.py and no pyproject.toml: setuptools reads setup.cfg alone.
    let directory = tempfile::tempdir()?;
    let sdist = sdist(
        directory.path(),
        "cfgonly-0.2",
        &[
            (
                "setup.cfg",
                "[metadata]\nname = cfgonly\nversion = 0.2\n\n[options]\npy_modules = cfgonly\ninstall_requires =\n    six>=1.10\n",
            ),
            ("cfgonly.py", ""),
        ],
    )?;
    let Some(built) = build_or_skip(&sdist, &options()?)? else {
        return Ok(());
    };
    assert_eq!(
        dependency_lines(&built),
        ["Name: cfgonly", "Version: 0.2", "Requires-Dist: six>=1.10"]
    );
    Ok(())
}

#[test]
fn build_wheel_fallback_reads_metadata_from_the_wheel() -> TestResult {
    let directory = tempfile::tempdir()?;
    let sdist = wheel_only_sdist(directory.path())?;
    let built = build_metadata(&sdist, None, &options()?)?;
    assert_eq!(
        String::from_utf8(built.metadata)?,
        "Metadata-Version: 2.1\nName: wheel-only\nVersion: 2.0\nRequires-Dist: idna>=3\n"
    );
    assert_eq!(built.warnings, Vec::<String>::new());
    Ok(())
}

/// An in-tree backend that logs, for each hook, its process, its parent and
/// the hooks this process has seen (module state).
const LOGGING_BACKEND: &str = r#"
import os

SEEN = []

def log(hook):
    SEEN.append(hook)
    with open("hooks.log", "a") as file:
        file.write("%s %d %d %s\n" % (hook, os.getpid(), os.getppid(), ",".join(SEEN)))

def get_requires_for_build_wheel(config_settings=None):
    log("get_requires")
    return []

def prepare_metadata_for_build_wheel(metadata_directory, config_settings=None):
    log("metadata")
    os.makedirs(os.path.join(metadata_directory, "logged-1.0.dist-info"))
    with open(os.path.join(metadata_directory, "logged-1.0.dist-info", "METADATA"), "w") as file:
        file.write("Metadata-Version: 2.1\nName: logged\nVersion: 1.0\n")
    return "logged-1.0.dist-info"
"#;

/// A project directory built by the in-tree backend `backend` (its source).
#[cfg(target_os = "linux")]
fn in_tree_project(backend: &str) -> Result<tempfile::TempDir, Box<dyn Error>> {
    let project = tempfile::tempdir()?;
    std::fs::write(project.path().join("pyproject.toml"), IN_TREE_PYPROJECT)?;
    std::fs::create_dir(project.path().join("_backend"))?;
    std::fs::write(project.path().join("_backend/backend.py"), backend)?;
    Ok(project)
}

#[cfg(target_os = "linux")]
#[test]
fn each_hook_starts_fresh_in_one_driver() -> TestResult {
    let project = in_tree_project(LOGGING_BACKEND)?;
    let built = plinth_build::build_metadata_from_dir(project.path(), &options()?)?;
    assert_eq!(dependency_lines(&built), ["Name: logged", "Version: 1.0"]);
    let log = std::fs::read_to_string(project.path().join("hooks.log"))?;
    let lines: Vec<Vec<&str>> = log.lines().map(|line| line.split(' ').collect()).collect();
    let [get_requires, metadata] = lines.as_slice() else {
        panic!("two hooks: {log}");
    };
    // Forked from the same driver (one interpreter start), each in a
    // process of its own that saw no other hook.
    assert_eq!((get_requires[0], metadata[0]), ("get_requires", "metadata"));
    assert_eq!(get_requires[2], metadata[2], "{log}");
    assert_ne!(get_requires[2], std::process::id().to_string(), "{log}");
    assert_ne!(get_requires[1], metadata[1], "{log}");
    assert_eq!((get_requires[3], metadata[3]), ("get_requires", "metadata"));
    Ok(())
}

#[test]
fn hooks_run_in_an_isolated_virtual_environment() -> TestResult {
    // The interpreter running the tests has pip; the build's environment,
    // made without pip and without the system site-packages, must not.
    let project = in_tree_project(
        "import importlib.util, os, sys, sysconfig\n\ndef get_requires_for_build_wheel(config_settings=None):\n    with open(os.path.join(os.getcwd(), 'env.log'), 'w') as log:\n        log.write(f'{sys.prefix != sys.base_prefix} {importlib.util.find_spec(\"pip\") is None} {sysconfig.get_paths()[\"purelib\"] in sys.path}')\n    return []\n\ndef prepare_metadata_for_build_wheel(metadata_directory, config_settings=None):\n    os.makedirs(os.path.join(metadata_directory, 'isolated-1.0.dist-info'))\n    with open(os.path.join(metadata_directory, 'isolated-1.0.dist-info', 'METADATA'), 'w') as file:\n        file.write('Metadata-Version: 2.1\\nName: isolated\\nVersion: 1.0\\n')\n    return 'isolated-1.0.dist-info'\n",
    )?;
    let built = plinth_build::build_metadata_from_dir(project.path(), &options()?)?;
    assert_eq!(dependency_lines(&built), ["Name: isolated", "Version: 1.0"]);
    let log = std::fs::read_to_string(project.path().join("env.log"))?;
    assert_eq!(
        log, "True True True",
        "in a venv, without pip, its site-packages on the path"
    );
    Ok(())
}

#[cfg(target_os = "linux")]
#[test]
fn a_hook_killed_by_a_signal_is_reported() -> TestResult {
    let project = in_tree_project(
        "import os, signal\n\ndef get_requires_for_build_wheel(config_settings=None):\n    os.kill(os.getpid(), signal.SIGKILL)\n",
    )?;
    let error = plinth_build::build_metadata_from_dir(project.path(), &options()?)
        .expect_err("the hook was killed");
    let message = error.to_string();
    assert!(
        message.contains("get_requires_for_build_wheel")
            && message.contains("plinth: the hook was killed by signal 9"),
        "{message}"
    );
    Ok(())
}

#[test]
fn zip_sdist() -> TestResult {
    let directory = tempfile::tempdir()?;
    let path = directory.path().join("wheel_only-2.0.zip");
    let mut zip = zip::ZipWriter::new(std::fs::File::create(&path)?);
    let file_options = zip::write::SimpleFileOptions::default();
    zip.add_directory("wheel_only-2.0/", file_options)?;
    zip.start_file("wheel_only-2.0/pyproject.toml", file_options)?;
    zip.write_all(IN_TREE_PYPROJECT.as_bytes())?;
    zip.start_file("wheel_only-2.0/_backend/backend.py", file_options)?;
    zip.write_all(WHEEL_ONLY_BACKEND.as_bytes())?;
    zip.finish()?;
    let built = build_metadata(&path, None, &options()?)?;
    assert!(
        built
            .metadata
            .starts_with(b"Metadata-Version: 2.1\nName: wheel-only\n")
    );
    Ok(())
}

#[test]
fn another_python_version_builds_with_python3_and_warns() -> TestResult {
    let directory = tempfile::tempdir()?;
    let sdist = wheel_only_sdist(directory.path())?;
    let options = BuildOptions::new(pep440_rs::Version::from_str("3.99")?);
    let built = build_metadata(&sdist, None, &options)?;
    assert_eq!(
        built.warnings,
        [format!(
            "no python3.99 on PATH; building with python3 ({})",
            host_python_version()?
        )]
    );
    Ok(())
}

/// Whether process `pid` still runs (a zombie waiting for its reaper does not count).
#[cfg(target_os = "linux")]
fn is_running(pid: u32) -> bool {
    let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
        return false;
    };
    let state = stat
        .rsplit_once(')')
        .and_then(|(_, rest)| rest.trim_start().chars().next());
    !matches!(state, Some('Z' | 'X') | None)
}

#[test]
fn hanging_backend_times_out_and_leaves_no_process() -> TestResult {
    let directory = tempfile::tempdir()?;
    let pids = directory.path().join("pids");
    let backend = format!(
        r#"
import os
import subprocess
import sys
import time

def prepare_metadata_for_build_wheel(metadata_directory, config_settings=None):
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])
    with open({pids:?}, "w") as file:
        file.write("%d %d" % (os.getpid(), child.pid))
    time.sleep(600)
"#,
        pids = pids.display().to_string()
    );
    let sdist = sdist(
        directory.path(),
        "hang-1.0",
        &[
            ("pyproject.toml", IN_TREE_PYPROJECT),
            ("_backend/backend.py", &backend),
        ],
    )?;
    let mut options = options()?;
    options.timeout = Duration::from_secs(5);
    let start = Instant::now();
    let error = match build_metadata(&sdist, None, &options) {
        Ok(built) => return Err(format!("built: {built:?}").into()),
        Err(error) => error,
    };
    let elapsed = start.elapsed();
    eprintln!("hanging backend gave up after {elapsed:?}");
    assert_eq!(
        error.to_string(),
        "Building `hang-1.0.tar.gz` timed out after 5 s (while running `prepare_metadata_for_build_wheel`)\n\
         hint: a build backend hung or the build requirements took too long to install; raise the build timeout if the build is just slow"
    );
    assert!(error.is_timeout());
    assert!(elapsed < Duration::from_secs(8), "took {elapsed:?}");

    let pids = std::fs::read_to_string(&pids)?;
    let pids: Vec<u32> = pids
        .split_whitespace()
        .map(str::parse)
        .collect::<Result<_, _>>()?;
    assert_eq!(pids.len(), 2);
    #[cfg(target_os = "linux")]
    {
        let deadline = Instant::now() + Duration::from_secs(2);
        while pids.iter().any(|pid| is_running(*pid)) && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(20));
        }
        let running: Vec<u32> = pids.into_iter().filter(|pid| is_running(*pid)).collect();
        assert_eq!(running, Vec::<u32>::new(), "processes left behind");
    }
    Ok(())
}

#[test]
fn failing_backend_reports_its_last_lines() -> TestResult {
    let directory = tempfile::tempdir()?;
    let backend = r#"
import sys

def get_requires_for_build_wheel(config_settings=None):
    return []

def prepare_metadata_for_build_wheel(metadata_directory, config_settings=None):
    for line in range(100):
        print("compiling step %d" % line)
    sys.stdout.flush()
    raise RuntimeError("the frobnicator is missing")
"#;
    let sdist = sdist(
        directory.path(),
        "broken-1.0",
        &[
            ("pyproject.toml", IN_TREE_PYPROJECT),
            ("_backend/backend.py", backend),
        ],
    )?;
    let error = match build_metadata(&sdist, None, &options()?) {
        Ok(built) => return Err(format!("built: {built:?}").into()),
        Err(error) => error,
    };
    let message = error.to_string();
    let mut lines = message.lines();
    assert_eq!(
        lines.next(),
        Some(
            "Build backend `backend` failed in `prepare_metadata_for_build_wheel` for `broken-1.0.tar.gz`:"
        )
    );
    let shown: Vec<&str> = lines.collect();
    assert_eq!(shown.len(), 20, "{message}");
    assert_eq!(
        shown.last(),
        Some(&"  RuntimeError: the frobnicator is missing")
    );
    // The traceback starts at the backend's frame, not the driver's.
    assert!(
        shown.contains(&"  Traceback (most recent call last):"),
        "{message}"
    );
    assert!(!message.contains("driver.py"), "{message}");
    assert!(!message.contains("compiling step 0\n"), "{message}");
    assert_eq!(error.sdist(), "broken-1.0.tar.gz");
    Ok(())
}

#[test]
fn backend_that_cannot_be_imported() -> TestResult {
    let directory = tempfile::tempdir()?;
    let sdist = sdist(
        directory.path(),
        "nobackend-1.0",
        &[
            (
                "pyproject.toml",
                "[build-system]\nrequires = []\nbuild-backend = \"no_such_backend\"\n",
            ),
            ("setup.py", ""),
        ],
    )?;
    let error = match build_metadata(&sdist, None, &options()?) {
        Ok(built) => return Err(format!("built: {built:?}").into()),
        Err(error) => error,
    };
    let message = error.to_string();
    assert!(
        message.starts_with(
            "Build backend `no_such_backend` failed to load for `nobackend-1.0.tar.gz`:"
        ),
        "{message}"
    );
    assert!(
        message.ends_with(
            "  ModuleNotFoundError: No module named 'no_such_backend'\n  plinth: cannot import the build backend `no_such_backend`"
        ),
        "{message}"
    );
    Ok(())
}

#[test]
fn dynamic_build_requirements_must_be_pep_508() -> TestResult {
    let directory = tempfile::tempdir()?;
    let backend = r#"
def get_requires_for_build_wheel(config_settings=None):
    return ["--index-url=https://evil.example/simple"]
"#;
    let sdist = sdist(
        directory.path(),
        "sneaky-1.0",
        &[
            ("pyproject.toml", IN_TREE_PYPROJECT),
            ("_backend/backend.py", backend),
        ],
    )?;
    let error = match build_metadata(&sdist, None, &options()?) {
        Ok(built) => return Err(format!("built: {built:?}").into()),
        Err(error) => error,
    };
    assert_eq!(
        error.to_string(),
        "Invalid build requirement `--index-url=https://evil.example/simple` in `sneaky-1.0.tar.gz`: options are not requirements"
    );
    Ok(())
}

#[test]
fn cache_hit_does_not_build() -> TestResult {
    let directory = tempfile::tempdir()?;
    let cache = tempfile::tempdir()?;
    let sdist = wheel_only_sdist(directory.path())?;
    let sha256 = sha256_of(&sdist)?;
    let mut options = options()?;
    options.cache_dir = Some(cache.path().to_path_buf());

    let start = Instant::now();
    let built = build_metadata(&sdist, Some(&sha256), &options)?;
    eprintln!("in-tree backend build (cache miss): {:?}", start.elapsed());
    let entry = cache.path().join("v1").join("built-metadata").join(&sha256);
    assert_eq!(std::fs::read(&entry)?, built.metadata);

    // No sdist to read and no time to build in: only the cache can answer.
    let missing = directory.path().join("gone").join("wheel_only-2.0.tar.gz");
    options.timeout = Duration::ZERO;
    let start = Instant::now();
    let cached = build_metadata(&missing, Some(&sha256.to_uppercase()), &options)?;
    let elapsed = start.elapsed();
    eprintln!("cache hit: {elapsed:?}");
    assert_eq!(cached.metadata, built.metadata);
    assert!(elapsed < Duration::from_millis(500), "took {elapsed:?}");

    // The same call without the cache has to build, and cannot.
    options.cache_dir = None;
    assert!(build_metadata(&missing, Some(&sha256), &options).is_err());
    Ok(())
}

#[test]
fn hash_mismatch_is_an_error() -> TestResult {
    let directory = tempfile::tempdir()?;
    let sdist = wheel_only_sdist(directory.path())?;
    let wrong = "0".repeat(64);
    let actual = sha256_of(&sdist)?;
    let error = match build_metadata(&sdist, Some(&wrong), &options()?) {
        Ok(built) => return Err(format!("built: {built:?}").into()),
        Err(error) => error,
    };
    assert_eq!(
        error.to_string(),
        format!(
            "Hash mismatch for `wheel_only-2.0.tar.gz`: expected sha256 `{wrong}`, the file has `{actual}`"
        )
    );
    Ok(())
}

/// A tar.gz with one entry whose name is written raw (the `tar` crate refuses `..`).
fn tar_gz_with_raw_name(path: &Path, name: &[u8]) -> TestResult {
    let encoder =
        flate2::write::GzEncoder::new(std::fs::File::create(path)?, flate2::Compression::default());
    let mut builder = tar::Builder::new(encoder);
    let contents = b"pwned";
    let mut header = tar::Header::new_old();
    header.as_old_mut().name[..name.len()].copy_from_slice(name);
    header.set_size(contents.len() as u64);
    header.set_mode(0o644);
    header.set_entry_type(tar::EntryType::Regular);
    header.set_cksum();
    builder.append(&header, &contents[..])?;
    builder.into_inner()?.finish()?;
    Ok(())
}

#[test]
fn path_traversal_is_rejected() -> TestResult {
    let directory = tempfile::tempdir()?;
    for (file, entry) in [
        ("dotdot-1.0.tar.gz", "dotdot-1.0/../../escaped.txt"),
        ("absolute-1.0.tar.gz", "/tmp/plinth-build-escaped.txt"),
    ] {
        let path = directory.path().join(file);
        tar_gz_with_raw_name(&path, entry.as_bytes())?;
        let error = match build_metadata(&path, None, &options()?) {
            Ok(built) => return Err(format!("built: {built:?}").into()),
            Err(error) => error,
        };
        assert_eq!(
            error.to_string(),
            format!(
                "Invalid sdist `{file}`: the entry `{entry}` points outside the archive (absolute path or `..`)"
            )
        );
    }

    let path = directory.path().join("zipdotdot-1.0.zip");
    let mut zip = zip::ZipWriter::new(std::fs::File::create(&path)?);
    zip.start_file("../escaped.txt", zip::write::SimpleFileOptions::default())?;
    zip.write_all(b"pwned")?;
    zip.finish()?;
    let error = match build_metadata(&path, None, &options()?) {
        Ok(built) => return Err(format!("built: {built:?}").into()),
        Err(error) => error,
    };
    assert_eq!(
        error.to_string(),
        "Invalid sdist `zipdotdot-1.0.zip`: the entry `../escaped.txt` points outside the archive (absolute path or `..`)"
    );
    assert!(!Path::new("/tmp/plinth-build-escaped.txt").exists());
    Ok(())
}

#[test]
fn symlink_out_of_the_archive_is_rejected() -> TestResult {
    let directory = tempfile::tempdir()?;
    let path = directory.path().join("link-1.0.tar.gz");
    let encoder = flate2::write::GzEncoder::new(
        std::fs::File::create(&path)?,
        flate2::Compression::default(),
    );
    let mut builder = tar::Builder::new(encoder);
    let mut header = tar::Header::new_gnu();
    header.set_entry_type(tar::EntryType::Symlink);
    header.set_size(0);
    header.set_mode(0o777);
    builder.append_link(&mut header, "link-1.0/setup.py", "../../../etc/passwd")?;
    builder.into_inner()?.finish()?;
    let error = match build_metadata(&path, None, &options()?) {
        Ok(built) => return Err(format!("built: {built:?}").into()),
        Err(error) => error,
    };
    assert_eq!(
        error.to_string(),
        "Invalid sdist `link-1.0.tar.gz`: the entry `link-1.0/setup.py` points outside the archive (absolute path or `..`)"
    );
    Ok(())
}

#[test]
fn invalid_archives() -> TestResult {
    let directory = tempfile::tempdir()?;
    let garbage = directory.path().join("garbage-1.0.tar.gz");
    std::fs::write(&garbage, b"this is not gzip")?;
    let error = match build_metadata(&garbage, None, &options()?) {
        Ok(built) => return Err(format!("built: {built:?}").into()),
        Err(error) => error,
    };
    assert!(
        error
            .to_string()
            .starts_with("Invalid sdist `garbage-1.0.tar.gz`: "),
        "{error}"
    );

    let wrong_format = directory.path().join("pkg-1.0.tar.bz2");
    std::fs::write(&wrong_format, b"BZh")?;
    let error = match build_metadata(&wrong_format, None, &options()?) {
        Ok(built) => return Err(format!("built: {built:?}").into()),
        Err(error) => error,
    };
    assert_eq!(
        error.to_string(),
        "Invalid sdist `pkg-1.0.tar.bz2`: unsupported format; expected `.tar.gz` or `.zip`"
    );

    let missing = directory.path().join("missing-1.0.tar.gz");
    let error = match build_metadata(&missing, None, &options()?) {
        Ok(built) => return Err(format!("built: {built:?}").into()),
        Err(error) => error,
    };
    assert!(
        error.to_string().starts_with(&format!(
            "Failed to build `missing-1.0.tar.gz`: failed to open file `{}`",
            missing.display()
        )),
        "{error}"
    );
    Ok(())
}

/// Run by `backend_sees_a_scrubbed_environment` in a child process with secrets in its
/// environment (tests cannot set variables in their own process).
#[test]
#[ignore = "run by backend_sees_a_scrubbed_environment"]
fn scrubbed_environment_child() -> TestResult {
    let Some(dump) = std::env::var_os("PLINTH_BUILD_TEST_DUMP") else {
        return Err("PLINTH_BUILD_TEST_DUMP is not set".into());
    };
    let directory = tempfile::tempdir()?;
    let backend = format!(
        r#"
import json
import os

def get_requires_for_build_wheel(config_settings=None):
    with open({dump:?}, "w") as file:
        json.dump(dict(os.environ), file)
    return []

def prepare_metadata_for_build_wheel(metadata_directory, config_settings=None):
    os.makedirs(os.path.join(metadata_directory, "env-1.0.dist-info"))
    with open(os.path.join(metadata_directory, "env-1.0.dist-info", "METADATA"), "w") as file:
        file.write("Metadata-Version: 2.1\nName: env\nVersion: 1.0\n")
    return "env-1.0.dist-info"
"#,
        dump = dump.to_string_lossy()
    );
    let sdist = sdist(
        directory.path(),
        "env-1.0",
        &[
            ("pyproject.toml", IN_TREE_PYPROJECT),
            ("_backend/backend.py", &backend),
        ],
    )?;
    let mut options = options()?;
    options.index_url = Some("https://user:hunter2@index.example/simple".to_string());
    let built = build_metadata(&sdist, None, &options)?;
    assert_eq!(
        built.metadata,
        b"Metadata-Version: 2.1\nName: env\nVersion: 1.0\n"
    );
    Ok(())
}

#[test]
fn backend_sees_a_scrubbed_environment() -> TestResult {
    let directory = tempfile::tempdir()?;
    let dump = directory.path().join("environment.json");
    let output = Command::new(std::env::current_exe()?)
        .args([
            "--ignored",
            "--exact",
            "scrubbed_environment_child",
            "--quiet",
        ])
        .env("PLINTH_BUILD_TEST_DUMP", &dump)
        .env("GITHUB_TOKEN", "hunter2")
        .env("TWINE_PASSWORD", "hunter2")
        .env(
            "PIP_EXTRA_INDEX_URL",
            "https://user:hunter2@extra.example/simple",
        )
        .env("PIP_INDEX_URL", "https://pypi.example/simple")
        .env("PIP_TRUSTED_HOST", "pypi.example")
        .env("PYTHONPATH", "/nowhere")
        .env("LANG", "C.UTF-8")
        .output()?;
    assert!(
        output.status.success(),
        "the child test failed:\n{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    let text = std::fs::read_to_string(&dump)?;
    assert!(!text.contains("hunter2"), "{text}");
    let environment: std::collections::BTreeMap<String, String> = serde_json::from_str(&text)?;
    let names: Vec<&String> = environment.keys().collect();
    let allowed = [
        "HOME",
        "LANG",
        "LC_ALL",
        "LC_CTYPE",
        "PATH",
        "TMPDIR",
        "SSL_CERT_FILE",
        "SSL_CERT_DIR",
        "REQUESTS_CA_BUNDLE",
        "HTTP_PROXY",
        "HTTPS_PROXY",
        "ALL_PROXY",
        "NO_PROXY",
        "http_proxy",
        "https_proxy",
        "all_proxy",
        "no_proxy",
        "PYENV_ROOT",
        "PYENV_VERSION",
    ];
    let unexpected: Vec<&&String> = names
        .iter()
        .filter(|name| !allowed.contains(&name.as_str()) && !name.starts_with("PIP_"))
        .collect();
    assert_eq!(unexpected, Vec::<&&String>::new(), "{text}");
    for expected in ["HOME", "LANG", "PATH", "PIP_TRUSTED_HOST"] {
        assert!(
            environment.contains_key(expected),
            "{expected} missing: {text}"
        );
    }
    // The user's index without credentials stays; the one in the options (with
    // credentials) goes to pip only.
    assert_eq!(
        environment.get("PIP_INDEX_URL").map(String::as_str),
        Some("https://pypi.example/simple")
    );
    for dropped in [
        "PIP_EXTRA_INDEX_URL",
        "PYTHONPATH",
        "GITHUB_TOKEN",
        "TWINE_PASSWORD",
    ] {
        assert!(
            !environment.contains_key(dropped),
            "{dropped} passed: {text}"
        );
    }
    Ok(())
}

/// A minimal pure-Python wheel of `plinth-flag-pkg` 1.0, a name no real index has.
fn flag_wheel(path: &Path) -> TestResult {
    let mut zip = zip::ZipWriter::new(std::fs::File::create(path)?);
    let file_options = zip::write::SimpleFileOptions::default();
    for (name, contents) in [
        (
            "plinth_flag_pkg/__init__.py",
            "FLAG = 'installed from the local index'\n",
        ),
        (
            "plinth_flag_pkg-1.0.dist-info/METADATA",
            "Metadata-Version: 2.1\nName: plinth-flag-pkg\nVersion: 1.0\n",
        ),
        (
            "plinth_flag_pkg-1.0.dist-info/WHEEL",
            "Wheel-Version: 1.0\nGenerator: plinth-test\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
        ),
        (
            "plinth_flag_pkg-1.0.dist-info/RECORD",
            "plinth_flag_pkg/__init__.py,,\nplinth_flag_pkg-1.0.dist-info/METADATA,,\n\
             plinth_flag_pkg-1.0.dist-info/WHEEL,,\nplinth_flag_pkg-1.0.dist-info/RECORD,,\n",
        ),
    ] {
        zip.start_file(name, file_options)?;
        zip.write_all(contents.as_bytes())?;
    }
    zip.finish()?;
    Ok(())
}

#[test]
fn build_requirements_come_from_the_index_url_option() -> TestResult {
    let directory = tempfile::tempdir()?;
    let index = directory.path().join("index");
    std::fs::create_dir_all(index.join("plinth-flag-pkg"))?;
    flag_wheel(
        &directory
            .path()
            .join("plinth_flag_pkg-1.0-py3-none-any.whl"),
    )?;
    std::fs::write(
        index.join("plinth-flag-pkg").join("index.html"),
        "<!DOCTYPE html><html><body>\
         <a href=\"../../plinth_flag_pkg-1.0-py3-none-any.whl\">plinth_flag_pkg-1.0-py3-none-any.whl</a>\
         </body></html>\n",
    )?;
    let backend = r#"
import os

def prepare_metadata_for_build_wheel(metadata_directory, config_settings=None):
    import plinth_flag_pkg

    os.makedirs(os.path.join(metadata_directory, "flagged-1.0.dist-info"))
    with open(os.path.join(metadata_directory, "flagged-1.0.dist-info", "METADATA"), "w") as file:
        file.write("Metadata-Version: 2.1\nName: flagged\nVersion: 1.0\nSummary: %s\n" % plinth_flag_pkg.FLAG)
    return "flagged-1.0.dist-info"
"#;
    let sdist = sdist(
        directory.path(),
        "flagged-1.0",
        &[
            (
                "pyproject.toml",
                "[build-system]\nrequires = [\"plinth-flag-pkg==1.0\"]\nbuild-backend = \"backend\"\nbackend-path = [\"_backend\"]\n",
            ),
            ("_backend/backend.py", backend),
        ],
    )?;
    let mut options = options()?;
    options.index_url = Some(format!("file://{}", index.display()));
    let start = Instant::now();
    let built = build_metadata(&sdist, None, &options)?;
    eprintln!(
        "in-tree backend with one requirement from a local index: {:?}",
        start.elapsed()
    );
    assert_eq!(
        String::from_utf8(built.metadata)?,
        "Metadata-Version: 2.1\nName: flagged\nVersion: 1.0\nSummary: installed from the local index\n"
    );

    // Without the option the requirement is nowhere to be found.
    options.index_url = Some(format!(
        "file://{}",
        directory.path().join("empty").display()
    ));
    std::fs::create_dir_all(directory.path().join("empty"))?;
    let error = match build_metadata(&sdist, None, &options) {
        Ok(built) => return Err(format!("built: {built:?}").into()),
        Err(error) => error,
    };
    let message = error.to_string();
    assert!(
        message.starts_with(
            "Failed to install the build requirements `plinth-flag-pkg==1.0` of `flagged-1.0.tar.gz`:\n"
        ),
        "{message}"
    );
    assert!(
        message.ends_with("ERROR: No matching distribution found for plinth-flag-pkg==1.0"),
        "{message}"
    );
    Ok(())
}

/// Run by `plinth_going_away_ends_the_build`: a build that hangs far longer than the test.
#[test]
#[ignore = "run by plinth_going_away_ends_the_build"]
fn hanging_build_child() -> TestResult {
    let Some(pids) = std::env::var_os("PLINTH_BUILD_TEST_PIDS") else {
        return Err("PLINTH_BUILD_TEST_PIDS is not set".into());
    };
    let directory = tempfile::tempdir()?;
    let backend = format!(
        r#"
import os
import subprocess
import sys
import time

def prepare_metadata_for_build_wheel(metadata_directory, config_settings=None):
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])
    with open({pids:?} + ".tmp", "w") as file:
        file.write("%d %d\n%s" % (os.getpid(), child.pid, os.getcwd()))
    os.rename({pids:?} + ".tmp", {pids:?})
    time.sleep(600)
"#,
        pids = pids.to_string_lossy()
    );
    let sdist = sdist(
        directory.path(),
        "orphan-1.0",
        &[
            ("pyproject.toml", IN_TREE_PYPROJECT),
            ("_backend/backend.py", &backend),
        ],
    )?;
    let mut options = options()?;
    options.timeout = Duration::from_secs(600);
    build_metadata(&sdist, None, &options)?;
    Ok(())
}

#[cfg(target_os = "linux")]
#[test]
fn plinth_going_away_ends_the_build() -> TestResult {
    let directory = tempfile::tempdir()?;
    let pids_file = directory.path().join("pids");
    let mut child = Command::new(std::env::current_exe()?)
        .args(["--ignored", "--exact", "hanging_build_child", "--quiet"])
        .env("PLINTH_BUILD_TEST_PIDS", &pids_file)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()?;
    let deadline = Instant::now() + Duration::from_secs(30);
    while !pids_file.exists() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    // Like a `kill -9` of plinth: no destructor, no cleanup code runs.
    child.kill()?;
    child.wait()?;
    let written = std::fs::read_to_string(&pids_file)?;
    let Some((pids, project)) = written.split_once('\n') else {
        return Err(format!("unexpected pids file: {written:?}").into());
    };
    let pids: Vec<u32> = pids
        .split_whitespace()
        .map(str::parse)
        .collect::<Result<_, _>>()?;
    assert_eq!(pids.len(), 2);
    // The project is `<workspace>/source/orphan-1.0`.
    let workspace = Path::new(project)
        .ancestors()
        .nth(2)
        .ok_or("no workspace")?
        .to_path_buf();
    assert!(
        workspace
            .file_name()
            .is_some_and(|name| name.to_string_lossy().starts_with("plinth-build-")),
        "{workspace:?}"
    );
    let deadline = Instant::now() + Duration::from_secs(3);
    while pids.iter().any(|pid| is_running(*pid)) && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    let running: Vec<u32> = pids.into_iter().filter(|pid| is_running(*pid)).collect();
    assert_eq!(running, Vec::<u32>::new(), "processes left behind");
    assert!(!workspace.exists(), "{workspace:?} left behind");
    Ok(())
}
