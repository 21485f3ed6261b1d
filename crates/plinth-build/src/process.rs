//! Running one build subprocess: scrubbed environment, combined output captured in a
//! file, a deadline, and on timeout a kill of its whole process group.

use std::ffi::OsString;
use std::io::{Read, Seek, SeekFrom};
use std::process::{Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

/// How much of the end of a process's output is kept for error messages.
const OUTPUT_KEPT_BYTES: u64 = 64 * 1024;
/// How many lines of output an error message shows.
pub(crate) const TAIL_LINES: usize = 20;

/// A process that ran to its end.
pub(crate) struct Finished {
    pub(crate) status: ExitStatus,
    /// The end of stdout and stderr, interleaved as written.
    pub(crate) output: Vec<u8>,
}

impl Finished {
    /// The last [`TAIL_LINES`] lines of the output.
    pub(crate) fn tail(&self) -> String {
        tail(&self.output, TAIL_LINES)
    }
}

pub(crate) enum RunError {
    /// The program could not be started.
    Spawn(std::io::Error),
    /// Capturing the output or waiting for the process failed.
    Io(std::io::Error),
    /// The deadline passed; the process group was killed.
    TimedOut,
}

/// Runs `command` with exactly `env`, stdin closed and stdout + stderr going to one
/// anonymous file, until it exits or `deadline` passes.
pub(crate) fn run(
    command: &mut Command,
    env: &[(OsString, OsString)],
    deadline: Instant,
) -> Result<Finished, RunError> {
    let mut log = tempfile::tempfile().map_err(RunError::Io)?;
    let stdout = log.try_clone().map_err(RunError::Io)?;
    let stderr = log.try_clone().map_err(RunError::Io)?;
    command
        .env_clear()
        .envs(env.iter().map(|(name, value)| (name, value)))
        .stdin(Stdio::null())
        .stdout(Stdio::from(stdout))
        .stderr(Stdio::from(stderr));
    #[cfg(unix)]
    {
        use std::os::unix::process::CommandExt;
        // Its own process group, so that a timeout can end everything it started.
        command.process_group(0);
    }
    let mut child = command.spawn().map_err(RunError::Spawn)?;
    // The parent's copies of the output handles go with `command`; the child has its own.
    let mut interval = Duration::from_millis(5);
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) => {}
            Err(error) => {
                kill_tree(&mut child);
                return Err(RunError::Io(error));
            }
        }
        let now = Instant::now();
        if now >= deadline {
            kill_tree(&mut child);
            return Err(RunError::TimedOut);
        }
        std::thread::sleep(interval.min(deadline - now));
        interval = (interval * 2).min(Duration::from_millis(100));
    };
    let length = log.seek(SeekFrom::End(0)).map_err(RunError::Io)?;
    log.seek(SeekFrom::Start(length.saturating_sub(OUTPUT_KEPT_BYTES)))
        .map_err(RunError::Io)?;
    let mut output = Vec::new();
    log.read_to_end(&mut output).map_err(RunError::Io)?;
    Ok(Finished { status, output })
}

/// Kills the child's process group (the child and everything it started that did not
/// leave the group), then reaps the child.
fn kill_tree(child: &mut std::process::Child) {
    #[cfg(unix)]
    {
        // The child has not been reaped, so its process group id is still reserved and the
        // signal cannot reach an unrelated process. `kill` is the safe way to signal a group
        // without `unsafe` code.
        let _ = Command::new("kill")
            .args(["-s", "KILL", "--", &format!("-{}", child.id())])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
    }
    let _ = child.kill();
    let _ = child.wait();
}

/// The last `lines` lines of `output` (trailing blank lines dropped), decoded lossily.
pub(crate) fn tail(output: &[u8], lines: usize) -> String {
    let text = String::from_utf8_lossy(output);
    let all: Vec<&str> = text.trim_end().lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tail_keeps_the_last_lines() {
        assert_eq!(tail(b"a\nb\nc\n\n", 2), "b\nc");
        assert_eq!(tail(b"a\nb", 5), "a\nb");
        assert_eq!(tail(b"", 5), "");
    }
}
