//! Finding the interpreter that builds: `python{X}.{Y}` on PATH, else `python3`.

use std::collections::HashMap;
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Mutex, OnceLock};
use std::time::Instant;

use crate::HostPython;
use crate::process::{self, RunError};

/// Prints what plinth needs to know about an interpreter on one tagged line.
const PROBE: &str = "\
import platform, struct, sys, sysconfig
try:
    import pip
    pip_version = pip.__version__
except Exception:
    pip_version = ''
plain = (sys.implementation.name == 'cpython' and struct.calcsize('P') == 8
         and not sysconfig.get_config_var('Py_GIL_DISABLED'))
print('PLINTH_PROBE', sys.version_info[0], sys.version_info[1], pip_version,
      platform.python_version(), sys.platform, platform.machine(),
      ' '.join(platform.libc_ver()), platform.mac_ver()[0], int(plain),
      int(sys.prefix == sys.base_prefix), sys.executable, sep='\\t')
";

/// An interpreter that answered the probe.
#[derive(Debug, Clone)]
pub(crate) struct Interpreter {
    /// The real executable (`sys.executable`), not a shim.
    pub(crate) executable: PathBuf,
    pub(crate) major: u64,
    pub(crate) minor: u64,
    /// pip's version when the interpreter can `import pip`.
    pub(crate) pip: Option<(u64, u64)>,
    /// Its version and platform, for an [`crate::Installer`].
    pub(crate) host: HostPython,
    /// Whether it is a base interpreter, not one of a virtual environment.
    pub(crate) is_base: bool,
}

impl Interpreter {
    /// Whether its pip has `--python` (22.3+), so it can install into a venv made
    /// without pip.
    pub(crate) fn pip_has_python_option(&self) -> bool {
        self.pip.is_some_and(|version| version >= (22, 3))
    }
}

pub(crate) enum FindError {
    /// Nothing usable: why, for the message.
    NotFound(String),
    TimedOut,
}

/// Finds the interpreter for target `major.minor`, with a warning when it is `python3`
/// of another version.
pub(crate) fn find(
    major: u64,
    minor: u64,
    env: &[(OsString, OsString)],
    deadline: Instant,
) -> Result<(Interpreter, Option<String>), FindError> {
    // Found once per process, or found missing: probing through shims
    // (pyenv's take some 0.3 s) is paid by the first build only, and a build
    // that asks while another finds it (see `crate::find_interpreter_ahead`)
    // waits for that. A probe that timed out is tried again.
    type Found = HashMap<
        (u64, u64, Vec<(OsString, OsString)>),
        Result<(Interpreter, Option<String>), String>,
    >;
    static FOUND: OnceLock<Mutex<Found>> = OnceLock::new();
    let key = (major, minor, env.to_vec());
    let mut found = FOUND
        .get_or_init(Mutex::default)
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    if let Some(hit) = found.get(&key) {
        return hit.clone().map_err(FindError::NotFound);
    }
    let result = match find_uncached(major, minor, env, deadline) {
        Ok(found) => Ok(found),
        Err(FindError::NotFound(message)) => Err(message),
        Err(FindError::TimedOut) => return Err(FindError::TimedOut),
    };
    found.insert(key, result.clone());
    result.map_err(FindError::NotFound)
}

fn find_uncached(
    major: u64,
    minor: u64,
    env: &[(OsString, OsString)],
    deadline: Instant,
) -> Result<(Interpreter, Option<String>), FindError> {
    let path = env
        .iter()
        .find(|(name, _)| name.eq_ignore_ascii_case("PATH"))
        .map(|(_, value)| value.clone())
        .unwrap_or_default();
    let versioned = format!("python{major}.{minor}");
    for candidate in executables_on_path(&versioned, &path) {
        if let Some(interpreter) = probe(&candidate, env, deadline)?
            && (interpreter.major, interpreter.minor) == (major, minor)
        {
            return Ok((interpreter, None));
        }
    }
    let mut tried = Vec::new();
    for name in ["python3", "python"] {
        for candidate in executables_on_path(name, &path) {
            tried.push(candidate.display().to_string());
            let Some(interpreter) = probe(&candidate, env, deadline)? else {
                continue;
            };
            if interpreter.major != 3 {
                continue;
            }
            let warning = ((interpreter.major, interpreter.minor) != (major, minor)).then(|| {
                format!(
                    "no {versioned} on PATH; building with {name} ({}.{})",
                    interpreter.major, interpreter.minor
                )
            });
            return Ok((interpreter, warning));
        }
    }
    Err(FindError::NotFound(if tried.is_empty() {
        format!("neither `{versioned}` nor `python3` is on PATH")
    } else {
        format!(
            "no `{versioned}` on PATH, and no `python3` there runs ({})",
            tried.join(", ")
        )
    }))
}

/// Runs the probe with `candidate`; `None` when it does not run (a pyenv shim for a
/// version that is not selected exits 127, for example).
fn probe(
    candidate: &Path,
    env: &[(OsString, OsString)],
    deadline: Instant,
) -> Result<Option<Interpreter>, FindError> {
    let mut command = Command::new(candidate);
    command.args(["-c", PROBE]);
    let finished = match process::run(&mut command, env, deadline) {
        Ok(finished) => finished,
        Err(RunError::TimedOut) => return Err(FindError::TimedOut),
        Err(RunError::Spawn(_) | RunError::Io(_)) => return Ok(None),
    };
    if !finished.status.success() {
        return Ok(None);
    }
    let output = String::from_utf8_lossy(&finished.output);
    Ok(output.lines().find_map(|line| {
        let mut fields = line.strip_prefix("PLINTH_PROBE\t")?.splitn(11, '\t');
        let major = fields.next()?.parse().ok()?;
        let minor = fields.next()?.parse().ok()?;
        let pip = parse_pip_version(fields.next()?);
        let mut text = || fields.next().map(str::to_string);
        let host = HostPython {
            version: text()?,
            sys_platform: text()?,
            machine: text()?,
            libc: text()?.trim().to_string(),
            macos: text()?,
            plain_cpython: text()? == "1",
        };
        let is_base = text()? == "1";
        let executable = text().filter(|path| !path.is_empty());
        Some(Interpreter {
            executable: executable.map_or_else(|| candidate.to_path_buf(), PathBuf::from),
            major,
            minor,
            pip,
            host,
            is_base,
        })
    }))
}

fn parse_pip_version(text: &str) -> Option<(u64, u64)> {
    let mut parts = text.split('.');
    let major = parts.next()?.parse().ok()?;
    let minor = parts
        .next()
        .and_then(|minor| {
            let digits: String = minor.chars().take_while(char::is_ascii_digit).collect();
            digits.parse().ok()
        })
        .unwrap_or(0);
    Some((major, minor))
}

/// Every executable file called `name` in the directories of `path`, in order.
fn executables_on_path(name: &str, path: &OsString) -> Vec<PathBuf> {
    let mut found: Vec<PathBuf> = Vec::new();
    for directory in std::env::split_paths(path) {
        if directory.as_os_str().is_empty() {
            continue;
        }
        for file_name in candidate_names(name) {
            let candidate = directory.join(file_name);
            if is_executable(&candidate) && !found.contains(&candidate) {
                found.push(candidate);
            }
        }
    }
    found
}

#[cfg(windows)]
fn candidate_names(name: &str) -> Vec<String> {
    vec![format!("{name}.exe")]
}

#[cfg(not(windows))]
fn candidate_names(name: &str) -> Vec<String> {
    vec![name.to_string()]
}

#[cfg(unix)]
fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path)
        .is_ok_and(|metadata| metadata.is_file() && metadata.permissions().mode() & 0o111 != 0)
}

#[cfg(not(unix))]
fn is_executable(path: &Path) -> bool {
    path.is_file()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pip_versions() {
        assert_eq!(parse_pip_version("23.2.1"), Some((23, 2)));
        assert_eq!(parse_pip_version("22.3rc1"), Some((22, 3)));
        assert_eq!(parse_pip_version("24"), Some((24, 0)));
        assert_eq!(parse_pip_version(""), None);
    }

    #[cfg(unix)]
    #[test]
    fn an_interpreter_found_missing_is_not_looked_for_again() {
        use std::os::unix::fs::PermissionsExt;
        let directory = tempfile::tempdir().expect("a temporary directory");
        let log = directory.path().join("probes.log");
        let python = directory.path().join("python3");
        std::fs::write(
            &python,
            format!("#!/bin/sh\necho probed >> '{}'\nexit 1\n", log.display()),
        )
        .expect("write the script");
        std::fs::set_permissions(&python, std::fs::Permissions::from_mode(0o755))
            .expect("make it executable");
        let env = vec![(
            OsString::from("PATH"),
            directory.path().as_os_str().to_owned(),
        )];
        let deadline = Instant::now() + std::time::Duration::from_secs(30);
        for _ in 0..2 {
            assert!(matches!(
                find(3, 11, &env, deadline),
                Err(FindError::NotFound(message)) if message.contains("no `python3` there runs")
            ));
        }
        let probes = std::fs::read_to_string(&log).expect("the script ran");
        assert_eq!(probes.lines().count(), 1, "{probes}");
    }
}
