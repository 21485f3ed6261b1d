//! `plinth upgrade`: move pins on purpose, and say what holds a package back.

use pep508_rs::{PackageName, Requirement};
use plinth_resolver::Resolution;

use crate::cli::UpgradeArgs;
use crate::commands::compile::finish;
use crate::lock::{Request, Upgrade, lock};
use crate::printer::Printer;
use crate::summary::{allows, requirements_on};
use crate::universal::with_marker;

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
            match &lock.universal {
                None => {
                    if !has(&lock.resolution, &requested.name) {
                        printer.warn(&format!("`{}` is not in the lockfile", requested.name));
                    } else if let Some(warning) = held_back(requested, &lock.resolution) {
                        printer.warn(&warning);
                    }
                }
                // Per environment, each warning with the environments it holds in.
                Some(coverage) => {
                    if !coverage
                        .resolutions
                        .iter()
                        .any(|resolution| has(resolution, &requested.name))
                    {
                        printer.warn(&format!("`{}` is not in the lockfile", requested.name));
                    }
                    let warnings = coverage.group(|_, resolution| {
                        held_back(requested, resolution).into_iter().collect()
                    })?;
                    for warning in &warnings {
                        printer.warn(&with_marker(warning));
                    }
                }
            }
        }
    }
    finish(&lock, args.compile.dry_run, printer)
}

fn has(resolution: &Resolution, name: &PackageName) -> bool {
    resolution
        .packages
        .iter()
        .any(|package| package.name == *name)
}

/// `` `NAME` stays at V (newest: W), held back by ... `` when the requested
/// package could not reach its newest version in `resolution`.
fn held_back(requested: &Requirement, resolution: &Resolution) -> Option<String> {
    let package = resolution
        .packages
        .iter()
        .find(|package| package.name == requested.name)?;
    let newest = package
        .newest
        .as_ref()
        .filter(|newest| **newest > package.version)?;
    // The user's own `--package NAME<X` is a limit they asked for, not a hold-back.
    if requested
        .version_or_url
        .as_ref()
        .is_some_and(|_| !allows(&requested.to_string(), newest))
    {
        return None;
    }
    let holders: Vec<String> = requirements_on(&package.name, resolution)
        .into_iter()
        .filter(|(requirement, _)| !allows(requirement, newest))
        .map(|(requirement, by)| format!("`{requirement}` from {by}"))
        .collect();
    let holders = if holders.is_empty() {
        "the versions other packages need".to_string()
    } else {
        holders.join(", ")
    };
    Some(format!(
        "`{}` stays at {} (newest: {newest}), held back by {holders}",
        package.name, package.version
    ))
}
