//! A real pypiserver on 127.0.0.1, the private index many teams run.
//!
//! The harness installs it from PyPI itself (`python3 -m venv`, then
//! `pip install pypiserver passlib`) into `target/tmp/pypiserver-venv`,
//! once per machine: later runs reuse the venv when it still imports both.
//! Each [`PypiServer`] serves the files of a [`TestIndex`] from a temporary
//! packages directory on a free port, open or behind basic auth (an htpasswd
//! file written with passlib), and is stopped when dropped.
//!
//! Where the venv cannot be made (no `python3`, no network to PyPI),
//! [`PypiServer::start`] returns `None` after printing why, and the test
//! skips; set `PLINTH_REQUIRE_PYPISERVER=1` to make that a failure instead.

use std::io::Read;
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use tempfile::TempDir;

use super::TestIndex;

/// The versions the tests were written against.
const PACKAGES: [&str; 2] = ["pypiserver==2.4.2", "passlib==1.7.4"];
/// Set to make a missing pypiserver a test failure rather than a skip.
const REQUIRE: &str = "PLINTH_REQUIRE_PYPISERVER";
const START_TIMEOUT: Duration = Duration::from_secs(60);

/// A running pypiserver; killed when dropped.
#[derive(Debug)]
pub struct PypiServer {
    child: Child,
    port: u16,
    /// The packages directory, the htpasswd file and the server's log.
    dir: TempDir,
}

impl PypiServer {
    /// Serves `index`'s files; with `auth`, every action (list, download,
    /// update) needs that user and password. `None` (after printing why)
    /// when pypiserver cannot be installed.
    pub fn start(index: &TestIndex, auth: Option<(&str, &str)>) -> Option<Self> {
        let python = match venv_python() {
            Ok(python) => python,
            Err(reason) => {
                let message = format!("skipped: pypiserver is not available: {reason}");
                assert!(std::env::var_os(REQUIRE).is_none(), "{message}");
                println!("{message}");
                return None;
            }
        };
        let dir = tempfile::Builder::new()
            .prefix("plinth-pypiserver-")
            .tempdir()
            .expect("create the pypiserver directory");
        let packages = dir.path().join("packages");
        index.write_files(&packages);

        let mut command = Command::new(python);
        command.args(["-m", "pypiserver", "run", "--interface", "127.0.0.1"]);
        command.args(["--disable-fallback", "--hash-algo", "sha256"]);
        match auth {
            Some((user, password)) => {
                let htpasswd = dir.path().join("htpasswd");
                write_htpasswd(python, &htpasswd, user, password);
                command.arg("--passwords").arg(&htpasswd);
                command.args(["--authenticate", "download,list,update"]);
            }
            None => {
                command.args(["--passwords", ".", "--authenticate", "."]);
            }
        }
        let port = free_port();
        let log = std::fs::File::create(dir.path().join("server.log")).expect("create the log");
        command
            .arg("--port")
            .arg(port.to_string())
            .arg(&packages)
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("clone the log handle"))
            .stderr(log);
        let child = command
            .spawn()
            .unwrap_or_else(|error| panic!("start {command:?}: {error}"));
        let server = Self { child, port, dir };
        server.wait_until_serving();
        Some(server)
    }

    /// `http://127.0.0.1:PORT/simple/`.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}/simple/", self.port)
    }

    /// The simple API URL with credentials in it.
    pub fn url_with(&self, user: &str, password: &str) -> String {
        format!("http://{user}:{password}@127.0.0.1:{}/simple/", self.port)
    }

    /// `127.0.0.1:PORT`, the part of URLs to filter out of snapshots.
    pub fn host(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("server.log")).unwrap_or_default()
    }

    /// Polls `/health` until the server answers.
    fn wait_until_serving(&self) {
        let deadline = Instant::now() + START_TIMEOUT;
        while Instant::now() < deadline {
            if let Ok(mut stream) = TcpStream::connect(self.host()) {
                let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
                let request = format!(
                    "GET /health HTTP/1.0\r\nHost: {}\r\nConnection: close\r\n\r\n",
                    self.host()
                );
                let mut response = String::new();
                if std::io::Write::write_all(&mut stream, request.as_bytes()).is_ok()
                    && stream.read_to_string(&mut response).is_ok()
                    && response.starts_with("HTTP/1.0 200")
                {
                    return;
                }
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        panic!(
            "pypiserver did not start within {START_TIMEOUT:?}; its log:\n{}",
            self.log()
        );
    }
}

impl Drop for PypiServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The venv's interpreter, installing pypiserver on first use (once per test run).
fn venv_python() -> Result<&'static Path, String> {
    static VENV: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    VENV.get_or_init(install).as_deref().map_err(Clone::clone)
}

fn install() -> Result<PathBuf, String> {
    let root = Path::new(env!("CARGO_TARGET_TMPDIR")).join("pypiserver-venv");
    let python = interpreter(&root);
    if imports_pypiserver(&python) {
        return Ok(python);
    }
    // Build next to the final place, then rename, so that a half-made venv
    // is never mistaken for a working one (also by a concurrent run).
    let staging = root.with_file_name(format!("pypiserver-venv.{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&staging);
    let made = run(Command::new("python3").args(["-m", "venv"]).arg(&staging)).and_then(|()| {
        run(Command::new(interpreter(&staging))
            .args([
                "-m",
                "pip",
                "install",
                "--quiet",
                "--disable-pip-version-check",
            ])
            .args(["--no-input"])
            .args(PACKAGES))
    });
    if let Err(reason) = made {
        let _ = std::fs::remove_dir_all(&staging);
        return Err(reason);
    }
    // Another test process may have finished first: then keep its venv.
    if !imports_pypiserver(&python) {
        let _ = std::fs::remove_dir_all(&root);
        let _ = std::fs::rename(&staging, &root);
    }
    let _ = std::fs::remove_dir_all(&staging);
    if imports_pypiserver(&python) {
        Ok(python)
    } else {
        Err(format!("`{}` cannot import pypiserver", python.display()))
    }
}

fn interpreter(venv: &Path) -> PathBuf {
    if cfg!(windows) {
        venv.join("Scripts").join("python.exe")
    } else {
        venv.join("bin").join("python")
    }
}

fn imports_pypiserver(python: &Path) -> bool {
    Command::new(python)
        .args(["-c", "import pypiserver, passlib.apache"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|status| status.success())
}

fn run(command: &mut Command) -> Result<(), String> {
    let output = command
        .stdin(Stdio::null())
        .output()
        .map_err(|error| format!("{command:?}: {error}"))?;
    if output.status.success() {
        Ok(())
    } else {
        let stderr = String::from_utf8_lossy(&output.stderr);
        let tail: Vec<&str> = stderr.lines().rev().take(5).collect();
        Err(format!(
            "{command:?} failed ({}): {}",
            output.status,
            tail.into_iter().rev().collect::<Vec<_>>().join(" / ")
        ))
    }
}

/// An htpasswd file with one user, written by passlib (apr1 hash); the
/// password goes through the environment, not the command line.
fn write_htpasswd(python: &Path, path: &Path, user: &str, password: &str) {
    let script = "import os, sys\n\
from passlib.apache import HtpasswdFile\n\
passwords = HtpasswdFile(sys.argv[1], new=True)\n\
passwords.set_password(sys.argv[2], os.environ['HTPASSWD_PASSWORD'])\n\
passwords.save()\n";
    let status = Command::new(python)
        .args(["-c", script])
        .arg(path)
        .arg(user)
        .env("HTPASSWD_PASSWORD", password)
        .status()
        .expect("run passlib");
    assert!(
        status.success(),
        "passlib could not write {}",
        path.display()
    );
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("find a free port")
        .port()
}
