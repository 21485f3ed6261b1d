//! `plinth check`: does the lockfile match what `compile` would write?

use crate::Failure;
use crate::cli::CompileArgs;
use crate::diff::unified_diff;
use crate::lock::{Output, Request, Upgrade, lock};
use crate::printer::Printer;
use crate::summary::reasons;

pub fn run(args: &CompileArgs, printer: &Printer) -> anyhow::Result<()> {
    let lock = lock(
        &Request {
            args,
            upgrade: Upgrade::Nothing,
            reuse_recorded: true,
            warn_moved_pins: false,
        },
        printer,
    )?;
    let Output::File(path) = &lock.output else {
        anyhow::bail!(
            "`plinth check` compares against a lockfile\n  hint: name it with `-o FILE`, not `-o -`"
        );
    };
    let name = path.display().to_string();
    let Some(existing) = &lock.existing else {
        return Err(Failure {
            code: 1,
            message: format!(
                "error: `{name}` does not exist\n  hint: create it with `plinth compile`"
            ),
        }
        .into());
    };
    if existing.content == lock.content {
        printer.status(&format!("`{name}` is up to date"));
        return Ok(());
    }
    print!(
        "{}",
        unified_diff(
            &existing.content,
            &lock.content,
            &name,
            &format!("{name} (compiled)")
        )
    );
    let mut message = format!("error: `{name}` has drifted from its inputs");
    let reasons = match &lock.universal {
        None => reasons(&existing.versions(), &lock.pinned()),
        Some(coverage) => coverage.reasons(existing, &lock.no_emit)?,
    };
    for reason in &reasons {
        message.push_str(&format!("\n  - {reason}"));
    }
    if reasons.is_empty() {
        message.push_str("\n  - the pins are the same; annotations, hashes or the header differ");
    }
    message.push_str("\n  hint: run `plinth compile` and commit the result");
    Err(Failure { code: 1, message }.into())
}
