//! `compile --universal`: one lockfile for a fixed grid of environments.
//!
//! This is not a forking resolver (pubgrub 0.4 has none): every environment of
//! the grid — CPython minor versions from the lowest supported one up to
//! [`NEWEST_MINOR`], times [`PLATFORMS`] — is resolved on its own, newest
//! Python first, each run preferring the pins the earlier runs chose, so that
//! versions agree across environments wherever they can. The results are then
//! merged: each `name==version` carries a marker that is true exactly on the
//! environments that pinned it (none when that is every environment), in a
//! product form (Python range and platform set) where one exists.
//!
//! An environment without a solution is reported and left out of the lockfile
//! (its markers are "don't care"), or is an error with `--require-coverage`.
//! Not supported yet: direct references, and `upgrade` / `check` / `why` on
//! universal lockfiles beyond what `compile` does.

use std::collections::{BTreeMap, BTreeSet};
use std::str::FromStr;
use std::time::Instant;

use anyhow::{Context, bail};
use pep440_rs::Version;
use pep508_rs::{MarkerEnvironment, MarkerTree, PackageName};
use plinth_index::{FileOptions, IndexClient, IndexSource, Platform, Target};
use plinth_requirements::{AnnotationStyle, LockedPackage, RenderOptions, render_lockfile};
use plinth_resolver::{
    Resolution, ResolveError, ResolveOptions, ResolvedPackage, RootRequirement, resolve,
};

use crate::Failure;
use crate::cli::{self, CompileArgs};
use crate::interpreter::parse_python_version;
use crate::lock::{Lock, Output, via};
use crate::lockfile::Existing;
use crate::printer::Printer;

/// The lowest Python of the grid without `--python-version`.
pub const DEFAULT_LOWEST: (u64, u64) = (3, 9);
/// The newest CPython minor version of the grid.
pub const NEWEST_MINOR: u64 = 14;
/// The platforms of the grid, in the order environments are resolved.
pub const PLATFORMS: [&str; 5] = [
    "x86_64-manylinux_2_28",
    "aarch64-manylinux_2_28",
    "x86_64-apple-darwin",
    "aarch64-apple-darwin",
    "x86_64-pc-windows-msvc",
];

/// The lowest environment of the grid: what the inputs are read for.
pub fn base_target(args: &CompileArgs) -> anyhow::Result<Target> {
    let (major, minor) = lowest(args)?;
    let platform = Platform::from_str(PLATFORMS[0])?;
    Ok(Target::new(Version::new([major, minor]), platform))
}

fn lowest(args: &CompileArgs) -> anyhow::Result<(u64, u64)> {
    let Some(text) = &args.target.python_version else {
        return Ok(DEFAULT_LOWEST);
    };
    let version = parse_python_version(text)?;
    let release = version.release();
    Ok((release[0], release.get(1).copied().unwrap_or(0)))
}

/// One environment of the grid.
#[derive(Debug, Clone)]
struct Environment {
    target: Target,
    markers: MarkerEnvironment,
    /// The Python minor version (`3.x`).
    minor: u64,
    /// Index into [`PLATFORMS`].
    platform: usize,
}

impl Environment {
    fn label(&self) -> String {
        format!(
            "Python {} on {}",
            self.target.python_version, self.target.platform
        )
    }
}

/// The grid, newest Python first, kept to the environments one of the
/// `--environment` markers is true for (all without any).
fn grid(args: &CompileArgs) -> anyhow::Result<Vec<Environment>> {
    let (major, lowest_minor) = lowest(args)?;
    let filters = args
        .environment
        .iter()
        .map(|text| {
            MarkerTree::from_str(text).map_err(|error| {
                anyhow::anyhow!("Invalid `--environment` marker `{text}`: {error}")
            })
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    let newest = if major == 3 {
        NEWEST_MINOR.max(lowest_minor)
    } else {
        lowest_minor
    };
    let mut environments = Vec::new();
    for minor in (lowest_minor..=newest).rev() {
        for (platform, name) in PLATFORMS.iter().enumerate() {
            let target = Target::new(Version::new([major, minor]), Platform::from_str(name)?);
            let markers = target
                .markers()
                .map_err(|error| anyhow::anyhow!("Invalid target Python version: {error}"))?;
            if filters.is_empty() || filters.iter().any(|tree| tree.evaluate(&markers, &[])) {
                environments.push(Environment {
                    target,
                    markers,
                    minor,
                    platform,
                });
            }
        }
    }
    if environments.is_empty() {
        bail!(
            "No environment of the universal grid matches the `--environment` markers\n  hint: the grid is CPython {major}.{lowest_minor} to {major}.{newest} on {}",
            PLATFORMS.join(", ")
        );
    }
    Ok(environments)
}

/// Everything [`crate::lock::lock`] prepared, for a universal run.
pub struct Universal<'a> {
    pub args: &'a CompileArgs,
    pub client: &'a IndexClient,
    pub file_options: &'a FileOptions,
    pub runtime: &'a tokio::runtime::Runtime,
    pub requirements: &'a [RootRequirement],
    pub constraints: &'a [RootRequirement],
    /// The options of the base target: every environment's options start from them.
    pub options: &'a ResolveOptions,
    pub header_command: Option<String>,
    pub option_lines: Vec<String>,
    pub no_emit: BTreeSet<PackageName>,
    pub output: Output,
    pub existing: Option<Existing>,
    pub started: Instant,
}

/// One `name==version` of the merged lockfile and the environments that pinned it.
struct Merged {
    package: ResolvedPackage,
    /// Indexes into the covered environments.
    environments: BTreeSet<usize>,
}

pub fn lock(universal: Universal<'_>, printer: &Printer) -> anyhow::Result<Lock> {
    let args = universal.args;
    if !universal.options.direct.is_empty() {
        bail!(
            "Direct references are not supported with `--universal` yet\n  hint: pin the package by version, or lock for one target without `--universal`"
        );
    }
    let environments = grid(args)?;
    let mut preferences = universal.options.preferences.clone();
    let mut covered: Vec<(Environment, IndexSource, Resolution)> = Vec::new();
    let mut failed: Vec<(Environment, String)> = Vec::new();
    for environment in environments {
        let source = IndexSource::new(
            universal.client.clone(),
            environment.target.clone(),
            universal.file_options.clone(),
            universal.runtime.handle().clone(),
        );
        let mut options = universal.options.clone();
        options.markers = environment.markers.clone();
        options.python_version = environment.target.python_version.clone();
        options.preferences = preferences.clone();
        let label = environment.label();
        let result = printer.with_progress(&format!("Resolving for {label}"), || {
            resolve(
                &source,
                universal.requirements,
                universal.constraints,
                &options,
            )
        });
        match result {
            Ok(resolution) => {
                printer.verbose(&format!(
                    "Resolved {} packages for {label}",
                    resolution.packages.len()
                ));
                for package in &resolution.packages {
                    preferences
                        .entry(package.name.clone())
                        .or_insert_with(|| package.version.clone());
                }
                covered.push((environment, source, resolution));
            }
            Err(ResolveError::NoSolution { report, .. }) => failed.push((environment, report)),
            Err(other) => return Err(anyhow::Error::new(other)),
        }
    }
    if covered.is_empty() || (args.require_coverage && !failed.is_empty()) {
        let mut message = format!(
            "error: No solution found for {} of the universal environments:",
            failed.len()
        );
        for (environment, report) in &failed {
            message.push_str(&format!(
                "\n  {}:\n    {}",
                environment.label(),
                report.replace('\n', "\n    ")
            ));
        }
        if !covered.is_empty() {
            message.push_str(
                "\n  hint: drop `--require-coverage` to lock the other environments, or leave these out with `--environment`",
            );
        }
        return Err(anyhow::Error::new(Failure { code: 1, message }));
    }
    if !failed.is_empty() {
        let mut message = format!(
            "No solution for {} of the universal environments; the lockfile does not cover {}:",
            failed.len(),
            if failed.len() == 1 { "it" } else { "them" }
        );
        for (environment, report) in &failed {
            message.push_str(&format!(
                "\n  {}:\n    {}",
                environment.label(),
                report.replace('\n', "\n    ")
            ));
        }
        printer.warn(&message);
    }

    // Merge: one entry per (name, version), with the environments that pinned it.
    let mut merged: BTreeMap<(PackageName, Version), Merged> = BTreeMap::new();
    for (index, (_, _, resolution)) in covered.iter().enumerate() {
        for package in &resolution.packages {
            let entry = merged
                .entry((package.name.clone(), package.version.clone()))
                .or_insert_with(|| Merged {
                    package: package.clone(),
                    environments: BTreeSet::new(),
                });
            entry.environments.insert(index);
            entry
                .package
                .required_by
                .extend(package.required_by.iter().cloned());
            entry
                .package
                .sources
                .extend(package.sources.iter().cloned());
            entry.package.extras.extend(package.extras.iter().cloned());
        }
    }
    let grid: Vec<(u64, usize)> = covered
        .iter()
        .map(|(environment, _, _)| (environment.minor, environment.platform))
        .collect();
    let markers: Vec<&MarkerEnvironment> = covered
        .iter()
        .map(|(environment, _, _)| &environment.markers)
        .collect();
    let mut packages = Vec::new();
    for ((name, version), entry) in &merged {
        let marker = marker_for(&grid, &entry.environments, &markers).with_context(|| {
            format!("Failed to write the environment marker of `{name}=={version}`")
        })?;
        let hashes = if args.generate_hashes && !universal.no_emit.contains(name) {
            // Every file of the version: the same whichever environment asks.
            let first = entry.environments.first().copied().unwrap_or_default();
            let source = &covered[first].1;
            universal
                .runtime
                .block_on(source.hashes(name, version))
                .with_context(|| format!("Failed to get the hashes of `{name}=={version}`"))?
        } else {
            Vec::new()
        };
        packages.push(LockedPackage {
            name: name.clone(),
            version: version.clone(),
            extras: if args.no_strip_extras {
                entry.package.extras.iter().cloned().collect()
            } else {
                Vec::new()
            },
            hashes,
            via: via(&entry.package),
            reference: None,
            marker,
        });
    }
    let content = render_lockfile(
        &packages,
        &RenderOptions {
            header_command: universal.header_command,
            annotate: !args.no_annotate,
            annotation_style: match args.annotation_style {
                cli::AnnotationStyle::Split => AnnotationStyle::Split,
                cli::AnnotationStyle::Line => AnnotationStyle::Line,
            },
            option_lines: universal.option_lines,
            no_emit: universal.no_emit.clone(),
        },
    );
    printer.status(&format!(
        "Resolved {} {} in {:.2}s",
        packages.len(),
        if packages.len() == 1 {
            "package"
        } else {
            "packages"
        },
        universal.started.elapsed().as_secs_f64()
    ));
    let roots = covered
        .first()
        .map(|(_, _, resolution)| resolution.roots.clone())
        .unwrap_or_default();
    let resolution = Resolution {
        packages: merged.into_values().map(|entry| entry.package).collect(),
        roots,
        warnings: Vec::new(),
    };
    Ok(Lock {
        output: universal.output,
        content,
        resolution,
        existing: universal.existing,
        no_emit: universal.no_emit,
        universal: true,
    })
}

/// `sys_platform` and `platform_machine` of each of [`PLATFORMS`].
const PLATFORM_MARKERS: [(&str, &str); 5] = [
    ("linux", "x86_64"),
    ("linux", "aarch64"),
    ("darwin", "x86_64"),
    ("darwin", "arm64"),
    ("win32", "AMD64"),
];

/// The marker true on exactly the environments `selected` of `grid`
/// (`(python minor, platform)` pairs), normalized by pep508_rs; `None` when
/// that is every environment. Checked against each environment's markers,
/// with an `or` of one product per environment as the fallback.
fn marker_for(
    grid: &[(u64, usize)],
    selected: &BTreeSet<usize>,
    markers: &[&MarkerEnvironment],
) -> anyhow::Result<Option<String>> {
    if selected.len() == grid.len() {
        return Ok(None);
    }
    let exact = |tree: &MarkerTree| {
        markers.iter().enumerate().all(|(index, environment)| {
            tree.evaluate(environment, &[]) == selected.contains(&index)
        })
    };
    let tree = parse(&product_form(grid, selected))?;
    let tree = if exact(&tree) {
        tree
    } else {
        let fallback = selected
            .iter()
            .map(|index| {
                let (minor, platform) = grid[*index];
                format!(
                    "({} and python_full_version >= '3.{minor}' and python_full_version < '3.{}')",
                    platform_condition(platform),
                    minor + 1
                )
            })
            .collect::<Vec<_>>()
            .join(" or ");
        let tree = parse(&fallback)?;
        if !exact(&tree) {
            bail!("The marker `{fallback}` does not select its environments");
        }
        tree
    };
    Ok(tree.try_to_string())
}

fn parse(text: &str) -> anyhow::Result<MarkerTree> {
    MarkerTree::from_str(text).map_err(|error| anyhow::anyhow!("Invalid marker `{text}`: {error}"))
}

fn platform_condition(platform: usize) -> String {
    let (system, machine) = PLATFORM_MARKERS[platform];
    format!("sys_platform == '{system}' and platform_machine == '{machine}'")
}

/// An `or` of products `(python range) and (platform set)`: platforms that
/// pinned the package on the same Python versions share one product.
fn product_form(grid: &[(u64, usize)], selected: &BTreeSet<usize>) -> String {
    let platforms: BTreeSet<usize> = grid.iter().map(|(_, platform)| *platform).collect();
    let minors: BTreeSet<u64> = grid.iter().map(|(minor, _)| *minor).collect();
    // Platform → the Python minors it pinned the package on.
    let mut pinned: BTreeMap<usize, BTreeSet<u64>> = BTreeMap::new();
    for index in selected {
        let (minor, platform) = grid[*index];
        pinned.entry(platform).or_default().insert(minor);
    }
    // Python minors → the platforms that pinned on exactly those.
    let mut groups: BTreeMap<BTreeSet<u64>, BTreeSet<usize>> = BTreeMap::new();
    for (platform, pythons) in pinned {
        groups.entry(pythons).or_default().insert(platform);
    }
    let mut terms = Vec::new();
    for (pythons, group) in &groups {
        // A minor is "out" when an environment of the group has it without the pin;
        // minors no environment of the group has are free either way.
        let out: BTreeSet<u64> = grid
            .iter()
            .filter(|(minor, platform)| group.contains(platform) && !pythons.contains(minor))
            .map(|(minor, _)| *minor)
            .collect();
        let python = python_condition(&minors, pythons, &out);
        let platform = platform_set_condition(&platforms, group);
        let parts: Vec<String> = [python, platform]
            .into_iter()
            .flatten()
            .map(|part| format!("({part})"))
            .collect();
        terms.push(if parts.is_empty() {
            "python_full_version >= '0'".to_string()
        } else {
            parts.join(" and ")
        });
    }
    terms
        .into_iter()
        .map(|term| format!("({term})"))
        .collect::<Vec<_>>()
        .join(" or ")
}

/// Ranges of `python_full_version` covering `pinned` and none of `out`;
/// `None` when no bound is needed.
fn python_condition(
    minors: &BTreeSet<u64>,
    pinned: &BTreeSet<u64>,
    out: &BTreeSet<u64>,
) -> Option<String> {
    if out.is_empty() {
        return None;
    }
    // Runs of pinned minors not interrupted by an "out" one.
    let mut runs: Vec<(u64, u64)> = Vec::new();
    let mut current: Option<(u64, u64)> = None;
    for minor in minors {
        if out.contains(minor) {
            runs.extend(current.take());
        } else if pinned.contains(minor) {
            current = Some(current.map_or((*minor, *minor), |(first, _)| (first, *minor)));
        }
    }
    runs.extend(current);
    let conditions: Vec<String> = runs
        .iter()
        .map(|(first, last)| {
            let lower = out.iter().any(|minor| minor < first);
            let upper = out.iter().any(|minor| minor > last);
            let mut bounds = Vec::new();
            if lower {
                bounds.push(format!("python_full_version >= '3.{first}'"));
            }
            if upper {
                bounds.push(format!("python_full_version < '3.{}'", last + 1));
            }
            format!("({})", bounds.join(" and "))
        })
        .collect();
    Some(conditions.join(" or "))
}

/// `sys_platform` (with `platform_machine` where a system is split) for the
/// platforms `group` among `platforms`; `None` when that is all of them.
fn platform_set_condition(platforms: &BTreeSet<usize>, group: &BTreeSet<usize>) -> Option<String> {
    if group == platforms {
        return None;
    }
    let systems: BTreeSet<&str> = platforms
        .iter()
        .map(|platform| PLATFORM_MARKERS[*platform].0)
        .collect();
    let whole = |system: &str, set: &BTreeSet<usize>| {
        platforms
            .iter()
            .filter(|platform| PLATFORM_MARKERS[**platform].0 == system)
            .all(|platform| set.contains(platform))
    };
    let mut positive = Vec::new();
    for system in &systems {
        if whole(system, group) {
            positive.push(format!("sys_platform == '{system}'"));
        } else {
            positive.extend(
                group
                    .iter()
                    .filter(|platform| PLATFORM_MARKERS[**platform].0 == *system)
                    .map(|platform| format!("({})", platform_condition(*platform))),
            );
        }
    }
    let positive = positive.join(" or ");
    // The complement as whole systems: `sys_platform != 'win32'`.
    let rest: BTreeSet<usize> = platforms.difference(group).copied().collect();
    let negative_systems: BTreeSet<&str> = rest
        .iter()
        .map(|platform| PLATFORM_MARKERS[*platform].0)
        .collect();
    if negative_systems.iter().all(|system| whole(system, &rest)) {
        let negative = negative_systems
            .iter()
            .map(|system| format!("sys_platform != '{system}'"))
            .collect::<Vec<_>>()
            .join(" and ");
        if negative.len() < positive.len() {
            return Some(negative);
        }
    }
    Some(positive)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The full grid from 3.9: `(minor, platform)` and each environment's markers.
    fn full_grid() -> (Vec<(u64, usize)>, Vec<MarkerEnvironment>) {
        let mut grid = Vec::new();
        let mut markers = Vec::new();
        for minor in (9..=NEWEST_MINOR).rev() {
            for (platform, name) in PLATFORMS.iter().enumerate() {
                let target = Target::new(
                    Version::new([3, minor]),
                    Platform::from_str(name).expect("platform"),
                );
                grid.push((minor, platform));
                markers.push(target.markers().expect("markers"));
            }
        }
        (grid, markers)
    }

    /// The marker for the environments `keep` selects, and checks that it
    /// is true on exactly those.
    fn marker(keep: impl Fn(u64, &str) -> bool) -> Option<String> {
        let (grid, markers) = full_grid();
        let selected: BTreeSet<usize> = grid
            .iter()
            .enumerate()
            .filter(|(_, (minor, platform))| keep(*minor, PLATFORMS[*platform]))
            .map(|(index, _)| index)
            .collect();
        let references: Vec<&MarkerEnvironment> = markers.iter().collect();
        // The product form itself is exact: the fallback is never needed.
        let product = parse(&product_form(&grid, &selected)).expect("parses");
        for (index, environment) in markers.iter().enumerate() {
            assert_eq!(
                product.evaluate(environment, &[]),
                selected.contains(&index)
            );
        }
        let text = marker_for(&grid, &selected, &references).expect("a marker");
        let tree = text
            .as_deref()
            .map_or_else(MarkerTree::default, |text| parse(text).expect("parses"));
        for (index, environment) in markers.iter().enumerate() {
            assert_eq!(
                tree.evaluate(environment, &[]),
                selected.contains(&index),
                "{text:?} on {:?}",
                grid[index]
            );
        }
        text
    }

    #[test]
    fn every_environment_needs_no_marker() {
        assert_eq!(marker(|_, _| true), None);
    }

    #[test]
    fn python_ranges() {
        assert_eq!(
            marker(|minor, _| minor < 10).as_deref(),
            Some("python_full_version < '3.10'")
        );
        assert_eq!(
            marker(|minor, _| minor >= 10).as_deref(),
            Some("python_full_version >= '3.10'")
        );
        marker(|minor, _| (10..12).contains(&minor));
        marker(|minor, _| minor == 9 || minor == 13);
    }

    #[test]
    fn platform_sets() {
        assert_eq!(
            marker(|_, platform| platform.contains("windows")).as_deref(),
            Some("sys_platform == 'win32'")
        );
        assert_eq!(
            marker(|_, platform| platform == "aarch64-manylinux_2_28").as_deref(),
            Some("platform_machine == 'aarch64' and sys_platform == 'linux'")
        );
        assert_eq!(
            marker(|_, platform| !platform.contains("windows")).as_deref(),
            Some("sys_platform != 'win32'")
        );
        marker(|_, platform| platform.starts_with("x86_64"));
        marker(|_, platform| platform.contains("darwin") || platform.contains("windows"));
    }

    #[test]
    fn products_and_unions_of_products() {
        marker(|minor, platform| minor < 11 && platform.contains("windows"));
        marker(|minor, platform| minor >= 12 || platform.contains("linux"));
        marker(|minor, platform| (minor == 9) != platform.contains("darwin"));
        // Every subset of one Python's platforms, and of one platform's Pythons.
        for bits in 1..32_u32 {
            marker(|minor, platform| {
                let index = PLATFORMS.iter().position(|name| *name == platform);
                minor == 12 && index.is_some_and(|index| bits & (1 << index) != 0)
            });
        }
        for bits in 1..64_u32 {
            marker(|minor, platform| {
                platform.contains("windows") && bits & (1 << (minor - 9)) != 0
            });
        }
    }
}
