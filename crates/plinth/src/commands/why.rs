//! `plinth why NAME`: every path from an input line to a pinned package.

use std::collections::BTreeSet;
use std::str::FromStr;

use pep508_rs::PackageName;
use plinth_resolver::Resolution;

use crate::Failure;
use crate::cli::WhyArgs;
use crate::lock::{Request, Upgrade, lock};
use crate::printer::Printer;
use crate::universal::with_marker;

/// More paths than this are summarised.
const MAX_PATHS: usize = 100;

pub fn run(args: &WhyArgs, printer: &Printer) -> anyhow::Result<()> {
    let name = PackageName::from_str(&args.name)
        .map_err(|error| anyhow::anyhow!("Invalid package name `{}`: {error}", args.name))?;
    let lock = lock(
        &Request {
            args: &args.compile,
            upgrade: Upgrade::Nothing,
            reuse_recorded: true,
            warn_moved_pins: false,
        },
        printer,
    )?;
    let paths = match &lock.universal {
        None => paths_to(&name, &lock.resolution),
        // Each path with the environments it is found in; where the package is
        // not required at all is said on stderr.
        Some(coverage) => {
            let mut paths = coverage.group(|_, resolution| paths_to(&name, resolution))?;
            paths.sort();
            let absent: BTreeSet<usize> = (0..coverage.resolutions.len())
                .filter(|index| paths_to(&name, &coverage.resolutions[*index]).is_empty())
                .collect();
            if !paths.is_empty() && !absent.is_empty() {
                let marker = coverage.marker(&absent)?.unwrap_or_default();
                printer.status(&format!("`{name}` is not required where {marker}"));
            }
            paths.iter().map(with_marker).collect()
        }
    };
    if paths.is_empty() {
        return Err(Failure {
            code: 1,
            message: format!("error: `{name}` is not required by the inputs"),
        }
        .into());
    }
    for path in paths.iter().take(MAX_PATHS) {
        println!("{path}");
    }
    if paths.len() > MAX_PATHS {
        printer.status(&format!("... and {} more paths", paths.len() - MAX_PATHS));
    }
    Ok(())
}

/// `requirements.in:3 flask>=2 -> flask 3.1.3 -> werkzeug>=3.1 -> werkzeug 3.1.9`, sorted.
fn paths_to(target: &PackageName, resolution: &Resolution) -> Vec<String> {
    let mut found = Vec::new();
    for root in &resolution.roots {
        if root.source.is_empty() || root.source.starts_with("-c") {
            continue;
        }
        let mut requirement = root.requirement.to_string();
        if let Some((text, _marker)) = requirement.split_once(" ;") {
            requirement = text.to_string();
        }
        let start = format!("{} {requirement}", root.origin);
        walk(
            &root.requirement.name,
            start,
            target,
            resolution,
            &mut Vec::new(),
            &mut found,
        );
    }
    found.sort();
    found.dedup();
    found
}

fn walk(
    name: &PackageName,
    path: String,
    target: &PackageName,
    resolution: &Resolution,
    seen: &mut Vec<PackageName>,
    found: &mut Vec<String>,
) {
    let Some(package) = resolution
        .packages
        .iter()
        .find(|package| package.name == *name)
    else {
        return;
    };
    let path = format!("{path} -> {} {}", package.name, package.version);
    if package.name == *target {
        found.push(path);
        return;
    }
    if seen.contains(name) || found.len() > MAX_PATHS * 10 {
        return;
    }
    seen.push(name.clone());
    for edge in &package.dependencies {
        walk(
            &edge.name,
            format!("{path} -> {}", edge.requirement),
            target,
            resolution,
            seen,
            found,
        );
    }
    seen.pop();
}
