//! What changed between the old lockfile and a new resolution, and why.

use std::collections::BTreeMap;
use std::str::FromStr;

use pep440_rs::Version;
use pep508_rs::{PackageName, Requirement, VersionOrUrl};
use plinth_resolver::{Resolution, ResolvedPackage};

/// One line per change: `flask 2.0.0 -> 3.1.3`, `+ blinker 1.9.0 (new, via flask)`,
/// `- six 1.16.0 (no longer required)`.
pub fn change_lines(old: &BTreeMap<PackageName, Version>, resolution: &Resolution) -> Vec<String> {
    let mut lines = Vec::new();
    for package in &resolution.packages {
        match old.get(&package.name) {
            Some(version) if *version == package.version => {}
            Some(version) => {
                lines.push(format!("{} {version} -> {}", package.name, package.version))
            }
            None => lines.push(format!(
                "+ {} {} (new, via {})",
                package.name,
                package.version,
                via(package)
            )),
        }
    }
    for (name, version) in old {
        if !resolution
            .packages
            .iter()
            .any(|package| package.name == *name)
        {
            lines.push(format!("- {name} {version} (no longer required)"));
        }
    }
    lines
}

/// Why each change happened, as far as the new resolution tells.
pub fn reasons(old: &BTreeMap<PackageName, Version>, resolution: &Resolution) -> Vec<String> {
    let mut reasons = Vec::new();
    for package in &resolution.packages {
        match old.get(&package.name) {
            Some(version) if *version == package.version => {}
            Some(version) => {
                let excluded_by = requirements_on(&package.name, resolution)
                    .into_iter()
                    .find(|(requirement, _)| !allows(requirement, version));
                reasons.push(match excluded_by {
                    Some((requirement, by)) => format!(
                        "`{}=={version}` no longer satisfies `{requirement}` from {by}",
                        package.name
                    ),
                    None => format!(
                        "`{}` would move from {version} to {} (the pinned version is no longer allowed, or a package it depends on moved)",
                        package.name, package.version
                    ),
                });
            }
            None => {
                let root = resolution
                    .roots
                    .iter()
                    .find(|root| root.requirement.name == package.name && !root.source.is_empty());
                let new_parent = package
                    .required_by
                    .iter()
                    .find(|parent| !old.contains_key(*parent));
                let old_parent = package.required_by.iter().find(|parent| {
                    resolution.packages.iter().any(|other| {
                        other.name == **parent && old.get(*parent) == Some(&other.version)
                    })
                });
                reasons.push(match (root, new_parent, old_parent) {
                    (Some(root), _, _) => {
                        format!("{} now requires `{}`", root.origin, package.name)
                    }
                    (None, Some(parent), _) => format!("`{}` comes with `{parent}`", package.name),
                    // Its requirer did not change: the lockfile lost the package.
                    (None, None, Some(parent)) => format!(
                        "`{}` (required by `{parent}`) is missing from the lockfile",
                        package.name
                    ),
                    (None, None, None) => {
                        format!("`{}` now requires `{}`", via(package), package.name)
                    }
                });
            }
        }
    }
    for name in old.keys() {
        if !resolution
            .packages
            .iter()
            .any(|package| package.name == *name)
        {
            reasons.push(format!("`{name}` is no longer required"));
        }
    }
    // Causes first, consequences after.
    reasons.sort_by_key(|reason| reason.contains(" comes with "));
    reasons
}

/// Every requirement on `name` in the resolution, with who states it
/// (`requirements.in:3`, `flask==3.1.3`).
pub fn requirements_on(name: &PackageName, resolution: &Resolution) -> Vec<(String, String)> {
    let mut found = Vec::new();
    for root in &resolution.roots {
        if root.requirement.name == *name {
            let mut text = root.requirement.to_string();
            if let Some((requirement, _marker)) = text.split_once(" ;") {
                text = requirement.to_string();
            }
            found.push((text, root.origin.clone()));
        }
    }
    for parent in &resolution.packages {
        for edge in &parent.dependencies {
            if edge.name == *name {
                found.push((
                    edge.requirement.clone(),
                    format!("{}=={}", parent.name, parent.version),
                ));
            }
        }
    }
    found
}

/// Whether `requirement` (`name>=1`) admits `version`.
pub fn allows(requirement: &str, version: &Version) -> bool {
    match Requirement::<pep508_rs::VerbatimUrl>::from_str(requirement) {
        Ok(requirement) => match requirement.version_or_url {
            Some(VersionOrUrl::VersionSpecifier(specifiers)) => {
                plinth_resolver::specifiers::specifiers_to_range(&specifiers).contains(version)
            }
            _ => true,
        },
        Err(_) => true,
    }
}

fn via(package: &ResolvedPackage) -> String {
    package
        .required_by
        .iter()
        .next()
        .map(ToString::to_string)
        .or_else(|| package.sources.iter().next().cloned())
        .unwrap_or_else(|| "your requirements".to_string())
}
