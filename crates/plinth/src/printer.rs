//! Everything plinth writes to stderr: warnings, status lines, progress, errors.

use std::io::{IsTerminal, Write};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;

use crate::cli::OutputArgs;

/// Writes human-facing messages to stderr, honouring `-q`, `-v` and `--no-progress`.
#[derive(Debug, Clone)]
pub struct Printer {
    quiet: bool,
    verbose: bool,
    progress: bool,
}

impl Printer {
    pub fn new(args: &OutputArgs) -> Self {
        Self {
            quiet: args.quiet,
            verbose: args.verbose,
            progress: !args.quiet && !args.no_progress && std::io::stderr().is_terminal(),
        }
    }

    pub fn warn(&self, message: &str) {
        eprintln!("warning: {message}");
    }

    /// A status line, unless `-q`.
    pub fn status(&self, message: &str) {
        if !self.quiet {
            eprintln!("{message}");
        }
    }

    /// A detail, only with `-v`.
    pub fn verbose(&self, message: &str) {
        if self.verbose {
            eprintln!("{message}");
        }
    }

    /// A spinner on stderr while `work` runs, when stderr is a terminal.
    pub fn with_progress<T>(&self, label: &str, work: impl FnOnce() -> T) -> T {
        if !self.progress {
            return work();
        }
        let done = Arc::new(AtomicBool::new(false));
        let spinner = spawn_spinner(label.to_string(), done.clone());
        let result = work();
        done.store(true, Ordering::Relaxed);
        let _ = spinner.join();
        result
    }
}

fn spawn_spinner(label: String, done: Arc<AtomicBool>) -> JoinHandle<()> {
    std::thread::spawn(move || {
        let frames = ['|', '/', '-', '\\'];
        let mut frame = 0;
        let mut stderr = std::io::stderr();
        while !done.load(Ordering::Relaxed) {
            let _ = write!(stderr, "\r{} {label}", frames[frame % frames.len()]);
            let _ = stderr.flush();
            frame += 1;
            std::thread::sleep(Duration::from_millis(100));
        }
        let _ = write!(stderr, "\r{}\r", " ".repeat(label.len() + 2));
        let _ = stderr.flush();
    })
}

/// `error: <message>` then one `  caused by: <cause>` line per cause.
pub fn render_error(error: &anyhow::Error) -> String {
    let mut text = format!("error: {error}");
    for cause in error.chain().skip(1) {
        let cause = cause.to_string();
        if text.contains(&cause) {
            continue;
        }
        text.push_str(&format!("\n  caused by: {cause}"));
    }
    text
}
