//! plinth: the command-line binary.
//!
//! Pipeline role: reads the command line and the input files, discovers the
//! target, wires the index client into the resolver, renders the lockfile and
//! writes it atomically. Errors are rendered here, with exit codes: 0 done,
//! 1 the answer is "no" (no solution), 2 could not answer.

mod cli;
mod commands;
mod diff;
mod direct;
mod docker;
mod emit;
mod env;
mod inputs;
mod interpreter;
mod lock;
mod lockfile;
mod paths;
mod printer;
mod summary;
mod universal;

use std::process::ExitCode;

use clap::Parser;

use crate::cli::{Cli, Command};
use crate::printer::Printer;

/// A failure that already decided its exit code.
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct Failure {
    pub code: u8,
    pub message: String,
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(error) => {
            let _ = error.print();
            return match error.kind() {
                clap::error::ErrorKind::DisplayHelp | clap::error::ErrorKind::DisplayVersion => {
                    ExitCode::SUCCESS
                }
                _ => ExitCode::from(2),
            };
        }
    };
    let result = match &cli.command {
        Command::Compile(args) => commands::compile::run(args, &Printer::new(&args.output)),
        Command::Upgrade(args) => commands::upgrade::run(args, &Printer::new(&args.compile.output)),
        Command::Check(args) => commands::check::run(args, &Printer::new(&args.output)),
        Command::Why(args) => commands::why::run(args, &Printer::new(&args.compile.output)),
        Command::LintDocker(args) => commands::lint_docker::run(args, &Printer::new(&args.output)),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            if let Some(failure) = error.downcast_ref::<Failure>() {
                eprintln!("{}", failure.message);
                return ExitCode::from(failure.code);
            }
            eprintln!("{}", printer::render_error(&error));
            ExitCode::from(2)
        }
    }
}
