//! `plinth upgrade`: move pins on purpose, and say what holds a package back.

use crate::cli::UpgradeArgs;
use crate::commands::compile::finish;
use crate::lock::{Request, Upgrade, lock};
use crate::printer::Printer;
use crate::summary::{allows, requirements_on};

pub fn run(args: &UpgradeArgs, printer: &Printer) -> anyhow::Result<()> {
    let mut packages = args.packages.clone();
    packages.extend(args.compile.upgrade_package.iter().cloned());
    let upgrade = Upgrade::from_args(args.compile.upgrade || packages.is_empty(), &packages)?;
    let lock = lock(
        &Request {
            args: &args.compile,
            upgrade: upgrade.clone(),
            reuse_recorded: false,
            warn_moved_pins: false,
        },
        printer,
    )?;
    if let Upgrade::Packages(requested) = &upgrade {
        for requested in requested {
            let Some(package) = lock
                .resolution
                .packages
                .iter()
                .find(|package| package.name == requested.name)
            else {
                printer.warn(&format!("`{}` is not in the lockfile", requested.name));
                continue;
            };
            let Some(newest) = package
                .newest
                .as_ref()
                .filter(|newest| **newest > package.version)
            else {
                continue;
            };
            // The user's own `--package NAME<X` is a limit they asked for, not a hold-back.
            if requested
                .version_or_url
                .as_ref()
                .is_some_and(|_| !allows(&requested.to_string(), newest))
            {
                continue;
            }
            let holders: Vec<String> = requirements_on(&package.name, &lock.resolution)
                .into_iter()
                .filter(|(requirement, _)| !allows(requirement, newest))
                .map(|(requirement, by)| format!("`{requirement}` from {by}"))
                .collect();
            let holders = if holders.is_empty() {
                "the versions other packages need".to_string()
            } else {
                holders.join(", ")
            };
            printer.warn(&format!(
                "`{}` stays at {} (newest: {newest}), held back by {holders}",
                package.name, package.version
            ));
        }
    }
    finish(&lock, args.compile.dry_run, printer)
}
