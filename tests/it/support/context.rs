//! Runs the real `plinth` binary in a temporary working directory and renders
//! its outcome for snapshots:
//!
//! ```text
//! success: false
//! exit_code: 2
//! ----- stdout -----
//! ...
//! ----- stderr -----
//! ...
//! ```
//!
//! with the temporary directory shown as `[TEMP]` and the index as `[INDEX]`.

use std::ffi::OsStr;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use tempfile::TempDir;

use super::RunningIndex;

/// How long one run of the binary may take before the test fails.
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(300);

/// A temporary working directory (with the cache in `cache/`) and the
/// replacements that make output independent of it.
#[derive(Debug)]
pub struct TestContext {
    /// Deleted on drop.
    _temp_dir: TempDir,
    /// The canonical path of `temp_dir`, as the binary sees it.
    root: PathBuf,
    filters: Vec<(String, String)>,
    timeout: Duration,
}

impl Default for TestContext {
    fn default() -> Self {
        Self::new()
    }
}

impl TestContext {
    pub fn new() -> Self {
        let temp_dir = tempfile::Builder::new()
            .prefix("plinth-test-")
            .tempdir()
            .expect("create a temporary directory");
        let root = temp_dir
            .path()
            .canonicalize()
            .expect("canonicalize the temporary directory");
        let mut filters = vec![(root.display().to_string(), "[TEMP]".to_string())];
        if root != temp_dir.path() {
            filters.push((temp_dir.path().display().to_string(), "[TEMP]".to_string()));
        }
        Self {
            _temp_dir: temp_dir,
            root,
            filters,
            timeout: DEFAULT_TIMEOUT,
        }
    }

    /// Shows the index's `127.0.0.1:PORT` as `[INDEX]` in rendered output.
    pub fn with_index(self, index: &RunningIndex) -> Self {
        self.with_filter(&index.host(), "[INDEX]")
    }

    /// Replaces `from` with `to` in rendered output (plain text, no regex),
    /// after the earlier replacements.
    pub fn with_filter(mut self, from: &str, to: &str) -> Self {
        self.filters.push((from.to_string(), to.to_string()));
        self
    }

    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// The working directory of every command.
    pub fn root(&self) -> &Path {
        &self.root
    }

    pub fn path(&self, relative: impl AsRef<Path>) -> PathBuf {
        self.root.join(relative)
    }

    /// The `PLINTH_CACHE_DIR` given to every command.
    pub fn cache_dir(&self) -> PathBuf {
        self.path("cache")
    }

    /// Writes a file below the working directory, creating parent directories.
    pub fn write(&self, relative: impl AsRef<Path>, content: impl AsRef<[u8]>) {
        let path = self.path(relative);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)
                .unwrap_or_else(|error| panic!("create {}: {error}", parent.display()));
        }
        std::fs::write(&path, content)
            .unwrap_or_else(|error| panic!("write {}: {error}", path.display()));
    }

    pub fn read(&self, relative: impl AsRef<Path>) -> String {
        let path = self.path(relative);
        std::fs::read_to_string(&path)
            .unwrap_or_else(|error| panic!("read {}: {error}", path.display()))
    }

    pub fn exists(&self, relative: impl AsRef<Path>) -> bool {
        self.path(relative).exists()
    }

    /// Target flags that make a run independent of the host interpreter.
    pub fn python_args(&self) -> [&'static str; 4] {
        [
            "--python-version",
            "3.11",
            "--python-platform",
            "x86_64-manylinux_2_28",
        ]
    }

    /// `plinth <args>` in the working directory, with a clean environment:
    /// no inherited `PLINTH_*` variables, `NO_COLOR=1`, the cache in `[TEMP]/cache`,
    /// `NETRC=[TEMP]/netrc` (so the user's `~/.netrc` is never read; a test
    /// may write that file).
    pub fn command<I, S>(&self, args: I) -> Command
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        let mut command = Command::new(env!("CARGO_BIN_EXE_plinth"));
        command.args(args).current_dir(&self.root);
        for (key, _) in std::env::vars_os() {
            let forced_color = key == "FORCE_COLOR" || key == "CLICOLOR_FORCE";
            let target = key == "MACOSX_DEPLOYMENT_TARGET";
            if key.to_string_lossy().starts_with("PLINTH_") || forced_color || target {
                command.env_remove(&key);
            }
        }
        // A proxy in the environment must not intercept the local index.
        let no_proxy = std::env::var("NO_PROXY")
            .or_else(|_| std::env::var("no_proxy"))
            .unwrap_or_default();
        let no_proxy = format!("{no_proxy},127.0.0.1,localhost")
            .trim_start_matches(',')
            .to_string();
        command
            .env("NO_COLOR", "1")
            .env("PLINTH_CACHE_DIR", self.cache_dir())
            .env("NETRC", self.path("netrc"))
            .env("NO_PROXY", &no_proxy)
            .env("no_proxy", &no_proxy);
        command
    }

    pub fn run<I, S>(&self, args: I) -> Output
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        self.run_command(self.command(args))
    }

    /// Runs a command (usually from [`Self::command`]) with empty stdin.
    pub fn run_command(&self, command: Command) -> Output {
        self.execute(command, None)
    }

    pub fn run_command_with_stdin(&self, command: Command, stdin: &[u8]) -> Output {
        self.execute(command, Some(stdin))
    }

    /// Runs `plinth <args>` and renders the outcome for `insta::assert_snapshot!`.
    pub fn snapshot<I, S>(&self, args: I) -> String
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        self.render(&self.run(args))
    }

    /// Renders the run of `args`, then each of `files` (filtered), or
    /// `(missing)` for a file that does not exist.
    pub fn snapshot_with_files(&self, args: &[String], files: &[&str]) -> String {
        let mut text = self.snapshot(args);
        for file in files {
            text.push_str(&format!("----- {file} -----\n"));
            if self.exists(file) {
                text.push_str(&self.filter(&self.read(file)));
            } else {
                text.push_str("(missing)\n");
            }
        }
        text
    }

    pub fn snapshot_command(&self, command: Command) -> String {
        self.render(&self.run_command(command))
    }

    /// Exit status, stdout and stderr, filtered.
    pub fn render(&self, output: &Output) -> String {
        let exit_code = output.status.code().map_or_else(
            || "none (killed by a signal)".to_string(),
            |code| code.to_string(),
        );
        let text = format!(
            "success: {}\nexit_code: {exit_code}\n----- stdout -----\n{}\n----- stderr -----\n{}",
            output.status.success(),
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr),
        );
        self.filter(&text)
    }

    /// Applies the replacements (`[TEMP]`, `[INDEX]`, custom ones) to any text,
    /// e.g. a file the binary wrote.
    pub fn filter(&self, text: &str) -> String {
        self.filters
            .iter()
            .fold(text.to_string(), |text, (from, to)| {
                text.replace(from.as_str(), to)
            })
    }

    fn execute(&self, mut command: Command, stdin: Option<&[u8]>) -> Output {
        command
            .stdin(if stdin.is_some() {
                Stdio::piped()
            } else {
                Stdio::null()
            })
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = command
            .spawn()
            .unwrap_or_else(|error| panic!("start {command:?}: {error}"));
        if let (Some(input), Some(mut pipe)) = (stdin, child.stdin.take()) {
            let input = input.to_vec();
            // A binary that exits without reading stdin is not this helper's failure.
            thread::spawn(move || pipe.write_all(&input));
        }
        let stdout = read_in_background(child.stdout.take());
        let stderr = read_in_background(child.stderr.take());

        let deadline = Instant::now() + self.timeout;
        let status = loop {
            if let Some(status) = child.try_wait().expect("wait for plinth") {
                break status;
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                let _ = child.wait();
                let stderr = stderr.join().unwrap_or_default();
                panic!(
                    "{command:?} did not finish within {:?}; stderr:\n{}",
                    self.timeout,
                    String::from_utf8_lossy(&stderr)
                );
            }
            thread::sleep(Duration::from_millis(10));
        };
        Output {
            status,
            stdout: stdout.join().expect("collect stdout"),
            stderr: stderr.join().expect("collect stderr"),
        }
    }
}

fn read_in_background(pipe: Option<impl Read + Send + 'static>) -> thread::JoinHandle<Vec<u8>> {
    thread::spawn(move || {
        let mut bytes = Vec::new();
        if let Some(mut pipe) = pipe {
            let _ = pipe.read_to_end(&mut bytes);
        }
        bytes
    })
}
