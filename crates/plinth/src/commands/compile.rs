//! `plinth compile`: requirements.in files in, pinned requirements.txt out.

use crate::cli::CompileArgs;
use crate::lock::{Lock, Output, Request, Upgrade, lock};
use crate::paths::write_atomic;
use crate::printer::Printer;
use crate::summary::change_lines;

pub fn run(args: &CompileArgs, printer: &Printer) -> anyhow::Result<()> {
    let upgrade = Upgrade::from_args(args.upgrade, &args.upgrade_package)?;
    let lock = lock(
        &Request {
            args,
            upgrade,
            reuse_recorded: false,
            // Nobody asked for these moves unless -U or -P was given.
            warn_moved_pins: !args.upgrade && args.upgrade_package.is_empty(),
        },
        printer,
    )?;
    // The single-target run warns about these while resolving.
    if let (Some(coverage), Some(existing), Output::File(path)) =
        (&lock.universal, &lock.existing, &lock.output)
        && !args.upgrade
        && args.upgrade_package.is_empty()
    {
        for warning in coverage.moved_pins(existing, path)? {
            printer.warn(&warning);
        }
    }
    finish(&lock, args.dry_run, printer)
}

/// Print what changed, then write the lockfile (or print it with `--dry-run`).
pub fn finish(lock: &Lock, dry_run: bool, printer: &Printer) -> anyhow::Result<()> {
    if let Some(existing) = &lock.existing {
        let lines = match &lock.universal {
            None => change_lines(&existing.versions(), &lock.pinned()),
            // A package can have several pins: changes per environment.
            Some(coverage) => coverage.change_lines(existing, &lock.no_emit)?,
        };
        if !lines.is_empty() {
            printer.status("Changes:");
            for line in lines {
                printer.status(&format!("  {line}"));
            }
        }
    }
    match &lock.output {
        Output::Stdout => print!("{}", lock.content),
        Output::File(_) if dry_run => {
            print!("{}", lock.content);
            printer.status("Dry run: nothing written");
        }
        Output::File(path) => {
            write_atomic(path, &lock.content)?;
            printer.verbose(&format!("Wrote `{}`", path.display()));
        }
    }
    Ok(())
}
