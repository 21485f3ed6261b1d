//! `compile --universal`: one lockfile for a fixed grid of environments.
//!
//! This is not a forking resolver (pubgrub 0.4 has none): every environment of
//! the grid — CPython minor versions from the lowest supported one up to
//! [`NEWEST_MINOR`], times [`PLATFORMS`] — is resolved on its own, newest
//! Python first, each run preferring the pins the earlier runs chose, so that
//! versions agree across environments wherever they can. The results are then
//! merged: each `name==version` carries the marker its dependents give it
//! ([`dependency_markers`], as uv writes them, split by the forks of
//! [`fork_regions`] where a package has pins of several versions) where
//! that marker is true on exactly the environments that pinned it, else the
//! grid's own marker for those environments ([`marker_for`]: none when that
//! is every environment, a product form of Python range and platform set
//! where one exists).
//!
//! An environment without a solution is reported and left out of the lockfile
//! (its markers are "don't care"), or is an error with `--require-coverage`.
//!
//! Over an existing lockfile, each environment prefers the old pins whose
//! markers are true there, and [`Coverage`] keeps every environment's
//! resolution so that the change summary, `check`'s reasons, `upgrade`'s
//! hold-back warnings and `why` work environment by environment and name
//! the environments of what they report with a marker.
//!
//! A minor version of the grid is resolved at `.0` and stands for its patch
//! versions, unless a `Requires-Python` bound of a pinned (or newer) version
//! names a patch version of it (`>=3.11.3`): then that patch version joins
//! the grid on every platform ([`patch_points`]) and markers split there.
//!
//! The lowest Python of the grid is `--python-version` (given, or recorded in
//! the header), else the highest lower bound of the project SRCs'
//! `Requires-Python` (`>=3.9.2` starts the grid at 3.9.2), else
//! [`DEFAULT_LOWEST`] ([`lowest_python`]).
//!
//! Direct references are read once, for every environment (whatever their
//! marker); a wheel's tags are checked against each environment.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::path::Path;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Instant;

use anyhow::{Context, bail};
use pep440_rs::{Version, VersionSpecifiers};
use pep508_rs::{MarkerEnvironment, MarkerTree, PackageName};
use plinth_index::{FileOptions, IndexClient, IndexSource, Platform, SharedRankings, Target};
use plinth_requirements::{LockedPackage, RenderOptions, render_lockfile};
use plinth_resolver::{
    PackageSource, Resolution, ResolveError, ResolveOptions, ResolvedPackage, RootRequirement,
    resolve,
};

use crate::Failure;
use crate::cli::CompileArgs;
use crate::direct::Direct;
use crate::interpreter::parse_python_version;
use crate::lock::{Lock, Output, via};
use crate::lockfile::Existing;
use crate::printer::Printer;
use crate::summary;

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

/// The lowest environment of the grid, for the `lowest` Python (from
/// [`lowest_python`]): what the inputs are read for.
pub fn base_target(lowest: &Version) -> anyhow::Result<Target> {
    let platform = Platform::from_str(PLATFORMS[0])?;
    Ok(Target::new(lowest.clone(), platform))
}

/// The lowest Python of the grid: `--python-version` of `args` (`recorded`
/// when it comes from the lockfile's header, so that the header's command
/// reproduces the file); else the highest lower bound of the projects'
/// `requires_python`; else [`DEFAULT_LOWEST`]. With a warning when
/// `--python-version` is below a project's `Requires-Python`.
pub fn lowest_python(
    args: &CompileArgs,
    recorded: bool,
    requires_python: &[(&Path, &VersionSpecifiers)],
) -> anyhow::Result<(Version, Option<String>)> {
    // The project (and its `Requires-Python`) that bounds the grid the most.
    let mut bound: Option<(Version, &Path, &VersionSpecifiers)> = None;
    for (path, specifiers) in requires_python {
        if let Some(version) = lowest_allowed(specifiers)
            && bound
                .as_ref()
                .is_none_or(|(highest, _, _)| version > *highest)
        {
            bound = Some((version, path, specifiers));
        }
    }
    if let Some(text) = &args.target.python_version {
        let version = python_version(text)?;
        let warning = bound
            .filter(|(lowest, _, _)| version < *lowest)
            .map(|(lowest, path, specifiers)| {
                let mut warning = format!(
                    "`--python-version {text}` is below the `Requires-Python` of `{}` (`{specifiers}`): the lockfile covers Python versions the project does not support",
                    path.display()
                );
                if recorded {
                    warning.push_str(&format!(
                        "\n  hint: the lockfile's header gives `--python-version {text}`; pass `--python-version {lowest}` to start at the project's"
                    ));
                }
                warning
            });
        return Ok((version, warning));
    }
    Ok(match bound {
        Some((version, _, _)) => (version, None),
        None => (Version::new([DEFAULT_LOWEST.0, DEFAULT_LOWEST.1]), None),
    })
}

/// `X.Y` or `X.Y.Z` of `--python-version`, with a patch version `0` left out.
fn python_version(text: &str) -> anyhow::Result<Version> {
    let version = parse_python_version(text)?;
    let release = version.release();
    Ok(match release {
        [major, minor, 0] => Version::new([*major, *minor]),
        _ => version,
    })
}

/// The lowest CPython 3 version (`3.Y`, or `3.Y.Z` when `3.Y.0` is
/// excluded) that `specifiers` allow; `None` when they allow `3.0` (no
/// lower bound worth a grid) or no version up to `3.40.40`.
fn lowest_allowed(specifiers: &VersionSpecifiers) -> Option<Version> {
    const LAST: u64 = 40;
    for minor in 0..=LAST {
        for patch in 0..=LAST {
            if specifiers.contains(&Version::new([3, minor, patch])) {
                return match (minor, patch) {
                    (0, 0) => None,
                    (_, 0) => Some(Version::new([3, minor])),
                    _ => Some(Version::new([3, minor, patch])),
                };
            }
        }
    }
    None
}

/// The major version and the `(minor, patch)` of the `lowest` Python.
fn split(lowest: &Version) -> (u64, (u64, u64)) {
    let release = lowest.release();
    let at = |index: usize| release.get(index).copied().unwrap_or(0);
    (at(0), (at(1), at(2)))
}

/// Where an environment sits in the grid: its Python `(minor, patch)` and
/// its index into [`PLATFORMS`].
type Slot = ((u64, u64), usize);

/// One environment of the grid.
#[derive(Debug, Clone)]
struct Environment {
    target: Target,
    markers: MarkerEnvironment,
    /// The Python version (`3.minor.patch`): a minor version of the grid
    /// (patch 0), or a patch version where a `Requires-Python` splits one.
    python: (u64, u64),
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

/// The `--environment` markers.
fn filters(args: &CompileArgs) -> anyhow::Result<Vec<MarkerTree>> {
    args.environment
        .iter()
        .map(|text| {
            MarkerTree::from_str(text).map_err(|error| {
                anyhow::anyhow!("Invalid `--environment` marker `{text}`: {error}")
            })
        })
        .collect()
}

/// The environments of Python `major.minor.patch` on each of [`PLATFORMS`]
/// that one of `filters` is true for (all without any).
fn environments_at(
    major: u64,
    (minor, patch): (u64, u64),
    filters: &[MarkerTree],
) -> anyhow::Result<Vec<Environment>> {
    let version = if patch == 0 {
        Version::new([major, minor])
    } else {
        Version::new([major, minor, patch])
    };
    let mut environments = Vec::new();
    for (platform, name) in PLATFORMS.iter().enumerate() {
        let target = Target::new(version.clone(), Platform::from_str(name)?);
        let markers = target
            .markers()
            .map_err(|error| anyhow::anyhow!("Invalid target Python version: {error}"))?;
        if filters.is_empty() || filters.iter().any(|tree| tree.evaluate(&markers, &[])) {
            environments.push(Environment {
                target,
                markers,
                python: (minor, patch),
                platform,
            });
        }
    }
    Ok(environments)
}

/// The grid from the `lowest` Python, newest Python first, kept to the
/// environments one of the `--environment` markers is true for (all without
/// any).
fn grid(args: &CompileArgs, lowest: &Version) -> anyhow::Result<Vec<Environment>> {
    let (major, (lowest_minor, lowest_patch)) = split(lowest);
    let filters = filters(args)?;
    let newest = if major == 3 {
        NEWEST_MINOR.max(lowest_minor)
    } else {
        lowest_minor
    };
    let mut environments = Vec::new();
    for minor in (lowest_minor..=newest).rev() {
        let patch = if minor == lowest_minor {
            lowest_patch
        } else {
            0
        };
        environments.extend(environments_at(major, (minor, patch), &filters)?);
    }
    if environments.is_empty() {
        bail!(
            "No environment of the universal grid matches the `--environment` markers\n  hint: the grid is CPython {major}.{lowest_minor} to {major}.{newest} on {}",
            PLATFORMS.join(", ")
        );
    }
    Ok(environments)
}

/// How many times new patch versions are looked for (each round resolves
/// the environments of the patch versions the previous round found).
const PATCH_ROUNDS: usize = 3;

/// Python patch versions where a `Requires-Python` splits a minor version of
/// `covered`, not yet in `known`: bounds like `>=3.11.3` or `!=3.9.7` on the
/// version chosen in an environment of that minor version or on a newer,
/// usable one, and `python_full_version` markers in the chosen version's
/// dependencies. Such a version may then be chosen from that patch version on
/// (or the chosen one may stop fitting there), which the `.0` environment of
/// the minor version can't tell.
fn patch_points(
    covered: &[(Environment, IndexSource, Resolution)],
    known: &BTreeSet<(u64, u64)>,
) -> BTreeSet<(u64, u64)> {
    let mut points = BTreeSet::new();
    let mut specifiers_of = HashMap::new();
    for (environment, source, resolution) in covered {
        let (minor, _) = environment.python;
        let major = environment.target.python_version.release()[0];
        for package in &resolution.packages {
            let Ok(versions) = PackageSource::versions(source, &package.name) else {
                continue;
            };
            let candidates = versions.versions.range(package.version.clone()..);
            for (version, info) in candidates {
                let usable = *version == package.version
                    || (info.yanked.is_none() && info.unusable.is_none());
                let Some(requires_python) = info.requires_python.as_ref().filter(|_| usable) else {
                    continue;
                };
                for specifier in requires_python.iter() {
                    add_points(specifier, (major, minor), known, &mut points);
                }
            }
            // Markers of its dependencies: `python_full_version < '3.11.3'`.
            let Ok(Ok(metadata)) = PackageSource::metadata(source, &package.name, &package.version)
            else {
                continue;
            };
            let Ok(requirements) = metadata.all_requirements() else {
                continue;
            };
            for requirement in requirements {
                // The same markers come again in every environment.
                let specifiers = specifiers_of
                    .entry(requirement.marker.clone())
                    .or_insert_with(|| {
                        full_version_specifiers(
                            &requirement.marker.try_to_string().unwrap_or_default(),
                        )
                    });
                for specifier in specifiers.iter() {
                    add_points(specifier, (major, minor), known, &mut points);
                }
            }
        }
    }
    points
}

/// Add to `points` the patch versions of `(major, minor)` where
/// `specifier` changes its answer, unless already `known`.
fn add_points(
    specifier: &pep440_rs::VersionSpecifier,
    (major, minor): (u64, u64),
    known: &BTreeSet<(u64, u64)>,
    points: &mut BTreeSet<(u64, u64)>,
) {
    for (point_major, point_minor, patch) in boundaries(specifier) {
        if point_major == major
            && point_minor == minor
            && patch > 0
            && !known.contains(&(minor, patch))
        {
            points.insert((minor, patch));
        }
    }
}

/// The `python_full_version` comparisons of a marker as it displays
/// (`python_full_version < '3.11.3'` gives `<3.11.3`).
fn full_version_specifiers(marker: &str) -> Vec<pep440_rs::VersionSpecifier> {
    const KEY: &str = "python_full_version";
    let mut specifiers = Vec::new();
    let mut rest = marker;
    while let Some(start) = rest.find(KEY) {
        rest = &rest[start + KEY.len()..];
        let comparison = rest.trim_start();
        let operator_len = comparison
            .find(|c: char| !matches!(c, '<' | '>' | '=' | '!' | '~'))
            .unwrap_or(comparison.len());
        let (operator, value) = comparison.split_at(operator_len);
        let value = value.trim_start();
        let Some(quote) = value.chars().next().filter(|c| matches!(c, '\'' | '"')) else {
            continue;
        };
        let Some(end) = value[1..].find(quote) else {
            continue;
        };
        let text = format!("{operator}{}", &value[1..=end]);
        if let Ok(specifier) = pep440_rs::VersionSpecifier::from_str(&text) {
            specifiers.push(specifier);
        }
    }
    specifiers
}

/// The versions `major.minor.patch` where `specifier` changes its answer
/// (from the version on).
fn boundaries(specifier: &pep440_rs::VersionSpecifier) -> Vec<(u64, u64, u64)> {
    use pep440_rs::Operator;
    let release = specifier.version().release();
    let at = (
        release.first().copied().unwrap_or(0),
        release.get(1).copied().unwrap_or(0),
        release.get(2).copied().unwrap_or(0),
    );
    let after = (at.0, at.1, at.2 + 1);
    match specifier.operator() {
        Operator::GreaterThanEqual | Operator::LessThan | Operator::TildeEqual => vec![at],
        Operator::GreaterThan | Operator::LessThanEqual => vec![after],
        Operator::Equal | Operator::NotEqual | Operator::ExactEqual => vec![at, after],
        // `==3.11.*` and the like split at minor versions, which the grid has.
        _ => Vec::new(),
    }
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
    /// The lowest Python of the grid, from [`lowest_python`].
    pub lowest: Version,
    pub header_command: Option<String>,
    pub option_lines: Vec<String>,
    pub no_emit: BTreeSet<PackageName>,
    pub output: Output,
    pub existing: Option<Existing>,
    /// The direct references of the inputs, read for every environment.
    pub direct: &'a Direct,
    pub started: Instant,
}

/// One `name==version` of the merged lockfile and the environments that pinned it.
struct Merged {
    package: ResolvedPackage,
    /// Indexes into the covered environments.
    environments: BTreeSet<usize>,
}

/// The lines of an environment's no-solution report that its warning shows.
const REPORT_LINES_IN_WARNING: usize = 8;

pub fn lock(universal: Universal<'_>, printer: &Printer) -> anyhow::Result<Lock> {
    let args = universal.args;
    let mut environments = grid(args, &universal.lowest)?;
    let mut known: BTreeSet<(u64, u64)> = environments
        .iter()
        .map(|environment| environment.python)
        .collect();
    let filters = filters(args)?;
    let (major, lowest) = split(&universal.lowest);
    // One stored ranking per project for all environments, not one each.
    let shared_rankings = Arc::new(SharedRankings::default());
    let file_options = FileOptions {
        shared_rankings: Some(shared_rankings.clone()),
        ..universal.file_options.clone()
    };
    // What the earlier runs chose, the newest Python's choice first.
    let mut chosen: BTreeMap<PackageName, Version> = BTreeMap::new();
    let mut covered: Vec<(Environment, IndexSource, Resolution)> = Vec::new();
    let mut failed: Vec<(Environment, String)> = Vec::new();
    for round in 0..=PATCH_ROUNDS {
        if round > 0 {
            let mut points = patch_points(&covered, &known);
            // Below the lowest Python (`>=3.9.2` of a project) is not in the grid.
            points.retain(|point| *point > lowest);
            if points.is_empty() {
                break;
            }
            environments.clear();
            for point in points.iter().rev() {
                environments.extend(environments_at(major, *point, &filters)?);
            }
            known.extend(points);
        }
        let mut ran_ahead = HashSet::new();
        let mut pending: Vec<(Environment, IndexSource)> = environments
            .drain(..)
            .map(|environment| {
                let source = IndexSource::new(
                    universal.client.clone(),
                    environment.target.clone(),
                    file_options.clone(),
                    universal.runtime.handle().clone(),
                );
                (environment, source)
            })
            .collect();
        pending.reverse();
        while let Some((environment, source)) = pending.pop() {
            let mut options = universal.options.clone();
            options.markers = environment.markers.clone();
            options.python_version = environment.target.python_version.clone();
            options.direct = universal.direct.for_target(&environment.target);
            options.preferences = preferences_for(&universal, &environment, &chosen);
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
                    // The environments still to resolve mostly pin the same
                    // versions, each from its own wheel (another platform's
                    // or Python's): fetch their metadata now, all at once,
                    // rather than one environment after the other, the next
                    // to resolve (the last in `pending`) first, and run
                    // ahead from it to what only they need (`colorama` of
                    // `click` on Windows). Each version once a round: every
                    // environment still pending got those an earlier one
                    // chose (25 environments of 118 packages asked some
                    // 35,000 times).
                    let fresh: Vec<_> = resolution
                        .packages
                        .iter()
                        .filter(|package| {
                            ran_ahead.insert((
                                package.name.clone(),
                                package.version.clone(),
                                package.extras.clone(),
                            ))
                        })
                        .map(|package| {
                            (package, package.extras.iter().cloned().collect::<Vec<_>>())
                        })
                        .collect();
                    for (_, later) in pending.iter().rev() {
                        for (package, extras) in &fresh {
                            later.run_ahead_from(&package.name, extras, &package.version);
                        }
                    }
                    // A pre-release taken because nothing else fits here
                    // (the only wheels for the newest Python) is no
                    // preference where a final release fits.
                    for package in &resolution.packages {
                        if !package.version.any_prerelease() || options.prereleases {
                            chosen
                                .entry(package.name.clone())
                                .or_insert_with(|| package.version.clone());
                        }
                    }
                    covered.push((environment, source, resolution));
                }
                Err(ResolveError::NoSolution { report, .. }) => failed.push((environment, report)),
                Err(other) => return Err(anyhow::Error::new(other)),
            }
        }
    }
    // Newest Python first, as if the patch versions had been in the grid.
    let order =
        |environment: &Environment| (std::cmp::Reverse(environment.python), environment.platform);
    covered.sort_by_key(|(environment, _, _)| order(environment));
    failed.sort_by_key(|(environment, _)| order(environment));
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
            // A report over hundreds of versions (each without a wheel
            // here) runs to pages: the warning shows its start.
            let lines: Vec<&str> = report.lines().collect();
            let mut shown = lines[..lines.len().min(REPORT_LINES_IN_WARNING)].join("\n    ");
            if lines.len() > REPORT_LINES_IN_WARNING {
                shown.push_str(&format!(
                    "\n    ... and {} more lines (`--require-coverage` shows them all)",
                    lines.len() - REPORT_LINES_IN_WARNING
                ));
            }
            message.push_str(&format!("\n  {}:\n    {shown}", environment.label()));
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
    let grid: Vec<Slot> = covered
        .iter()
        .map(|(environment, _, _)| (environment.python, environment.platform))
        .collect();
    let markers: Vec<&MarkerEnvironment> = covered
        .iter()
        .map(|(environment, _, _)| &environment.markers)
        .collect();
    // Hashes: every file of the version (the same whichever environment
    // asks), fetched concurrently; those of a pin that did not change are
    // kept from the old file.
    let fetches = merged.iter().map(|((name, version), entry)| {
        let kept = universal
            .existing
            .as_ref()
            .and_then(|existing| existing.hashes_of(name, version))
            .map(<[String]>::to_vec);
        let kept = kept.or_else(|| universal.direct.hashes(name));
        let wanted = args.generate_hashes && !universal.no_emit.contains(name);
        let first = entry.environments.first().copied().unwrap_or_default();
        let source = &covered[first].1;
        async move {
            match kept {
                _ if !wanted => Ok(Vec::new()),
                Some(kept) => Ok(kept),
                None => source
                    .hashes(name, version)
                    .await
                    .with_context(|| format!("Failed to get the hashes of `{name}=={version}`")),
            }
        }
    });
    let all_hashes = universal
        .runtime
        .block_on(futures::future::join_all(fetches));
    shared_rankings.store(universal.client);
    // Pythons from which on no environment has a solution (apache-airflow
    // 2.10 requires Python <3.13) are no part of the lockfile: markers need
    // no bound there.
    let newest_covered = grid.iter().map(|(python, _)| *python).max();
    let upper = failed
        .iter()
        .map(|(environment, _)| environment.python)
        .filter(|python| Some(*python) > newest_covered)
        .min()
        .map(|(minor, patch)| Version::new([major, minor, patch]));
    let from_dependencies = dependency_markers(
        &covered,
        &merged,
        &grid,
        (&universal.lowest, upper.as_ref()),
    )?;
    let mut packages = Vec::new();
    for (((name, version), entry), hashes) in merged.iter().zip(all_hashes) {
        let hashes = hashes?;
        let exact = from_dependencies
            .get(&(name.clone(), version.clone()))
            .filter(|tree| selects(tree, &markers, &entry.environments));
        let marker = match exact {
            Some(tree) => render(tree),
            None => {
                printer.verbose(&format!(
                    "The dependency markers of `{name}=={version}` don't match where it is pinned; writing the grid's"
                ));
                marker_for(&grid, &entry.environments, &markers).with_context(|| {
                    format!("Failed to write the environment marker of `{name}=={version}`")
                })?
            }
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
            reference: universal.direct.reference(name),
            marker,
        });
    }
    let content = render_lockfile(
        &packages,
        &RenderOptions {
            header_command: universal.header_command,
            annotate: !args.no_annotate,
            annotation_style: crate::lock::annotation_style(args),
            option_lines: universal.option_lines,
            no_emit: universal.no_emit.clone(),
        },
    );
    crate::lock::report_resolved(printer, packages.len(), universal.started);
    let roots = covered
        .first()
        .map(|(_, _, resolution)| resolution.roots.clone())
        .unwrap_or_default();
    let resolution = Resolution {
        packages: merged.into_values().map(|entry| entry.package).collect(),
        roots,
        root_dependencies: Vec::new(),
        warnings: Vec::new(),
    };
    let coverage = Coverage {
        grid,
        markers: markers.into_iter().cloned().collect(),
        resolutions: covered
            .into_iter()
            .map(|(_, _, resolution)| resolution)
            .collect(),
    };
    Ok(Lock {
        output: universal.output,
        content,
        resolution,
        existing: universal.existing,
        no_emit: universal.no_emit,
        universal: Some(coverage),
    })
}

/// The preferred versions for one environment: the old lockfile's pin whose
/// marker is true there, else what an earlier (newer Python) run chose, else
/// any old pin of the name. Pins being upgraded are left out: the base
/// options' preferences are the old pins without them, so a name missing
/// there is one `upgrade` forgets.
fn preferences_for(
    universal: &Universal<'_>,
    environment: &Environment,
    chosen: &BTreeMap<PackageName, Version>,
) -> BTreeMap<PackageName, Version> {
    let kept = &universal.options.preferences;
    let mut preferences = kept.clone();
    preferences.extend(
        chosen
            .iter()
            .map(|(name, version)| (name.clone(), version.clone())),
    );
    if let Some(existing) = &universal.existing {
        preferences.extend(
            existing
                .versions_in(&environment.markers)
                .into_iter()
                .filter(|(name, _)| kept.contains_key(name)),
        );
    }
    preferences
}

/// What a universal lock chose in each environment it covers, newest Python
/// first: for the change summary, `check`, `upgrade` and `why`, which look at
/// each environment's resolution and group what they find by environment.
#[derive(Debug, Clone)]
pub struct Coverage {
    grid: Vec<Slot>,
    markers: Vec<MarkerEnvironment>,
    pub resolutions: Vec<Resolution>,
}

impl Coverage {
    /// The marker true on exactly the environments `selected` (indexes into
    /// [`Coverage::resolutions`]); `None` when that is all of them.
    pub fn marker(&self, selected: &BTreeSet<usize>) -> anyhow::Result<Option<String>> {
        let markers: Vec<&MarkerEnvironment> = self.markers.iter().collect();
        marker_for(&self.grid, selected, &markers)
    }

    /// The markers of the environments each line is found in: `lines` gives
    /// the lines for one environment (its index and resolution); a line found
    /// in every environment gets no marker. Lines keep the order in which
    /// they are first found.
    pub fn group(
        &self,
        lines: impl Fn(usize, &Resolution) -> Vec<String>,
    ) -> anyhow::Result<Vec<(String, Option<String>)>> {
        let mut found: Vec<(String, BTreeSet<usize>)> = Vec::new();
        let mut positions: BTreeMap<String, usize> = BTreeMap::new();
        for (index, resolution) in self.resolutions.iter().enumerate() {
            for line in lines(index, resolution) {
                match positions.get(&line) {
                    Some(position) => {
                        found[*position].1.insert(index);
                    }
                    None => {
                        positions.insert(line.clone(), found.len());
                        found.push((line, BTreeSet::from([index])));
                    }
                }
            }
        }
        found
            .into_iter()
            .map(|(line, environments)| Ok((line, self.marker(&environments)?)))
            .collect()
    }

    /// The change summary against the old lockfile, environment by
    /// environment (the old pins there are those whose marker is true), each
    /// change with the environments it happened in: `numpy 2.0.2 -> 2.0.3 ;
    /// python_full_version < '3.10'`. Sorted by name, removals last.
    pub fn change_lines(
        &self,
        existing: &Existing,
        no_emit: &BTreeSet<PackageName>,
    ) -> anyhow::Result<Vec<String>> {
        let mut lines = self.group(|index, resolution| {
            summary::change_lines(
                &existing.versions_in(&self.markers[index]),
                &without(resolution, no_emit),
            )
        })?;
        lines.sort_by(|(a, _), (b, _)| {
            let key = |line: &str| {
                (
                    line.starts_with("- "),
                    line.trim_start_matches("+ ").to_string(),
                )
            };
            key(a).cmp(&key(b))
        });
        Ok(lines.iter().map(with_marker).collect())
    }

    /// A warning for each old pin that had to move although nobody asked
    /// (`compile` without `-U`/`-P`), with the environments it moved in.
    pub fn moved_pins(&self, existing: &Existing, path: &Path) -> anyhow::Result<Vec<String>> {
        let lines = self.group(|index, resolution| {
            let old = existing.versions_in(&self.markers[index]);
            resolution
                .packages
                .iter()
                .filter_map(|package| {
                    let pinned = old.get(&package.name)?;
                    (*pinned != package.version).then(|| {
                        format!(
                            "The pin `{}=={pinned}` in `{}` no longer fits; it moves to {}",
                            package.name,
                            path.display(),
                            package.version
                        )
                    })
                })
                .collect()
        })?;
        Ok(lines.iter().map(with_marker).collect())
    }

    /// Why each pin moved (for `check`), environment by environment as
    /// [`Coverage::change_lines`]; causes first, consequences after.
    pub fn reasons(
        &self,
        existing: &Existing,
        no_emit: &BTreeSet<PackageName>,
    ) -> anyhow::Result<Vec<String>> {
        let lines = self.group(|index, resolution| {
            summary::reasons(
                &existing.versions_in(&self.markers[index]),
                &without(resolution, no_emit),
            )
        })?;
        let mut reasons: Vec<String> = lines.iter().map(with_marker).collect();
        reasons.sort_by_key(|reason| reason.contains(" comes with "));
        Ok(reasons)
    }
}

/// `resolution` without the packages left out of the lockfile.
fn without(resolution: &Resolution, no_emit: &BTreeSet<PackageName>) -> Resolution {
    let mut resolution = resolution.clone();
    resolution
        .packages
        .retain(|package| !no_emit.contains(&package.name));
    resolution
}

/// `line ; marker`, or `line` alone without a marker.
pub fn with_marker((line, marker): &(String, Option<String>)) -> String {
    match marker {
        Some(marker) => format!("{line} ; {marker}"),
        None => line.clone(),
    }
}

/// Whether `tree` is true on exactly the environments `selected` (indexes
/// into `markers`).
fn selects(tree: &MarkerTree, markers: &[&MarkerEnvironment], selected: &BTreeSet<usize>) -> bool {
    markers
        .iter()
        .enumerate()
        .all(|(index, environment)| tree.evaluate(environment, &[]) == selected.contains(&index))
}

/// Each pin's marker as its dependents give it, as uv writes them: the `or`,
/// over the requirements that name the package, of the requirement's marker
/// `and` the marker of the pin that requires it (a root requirement's
/// marker for the inputs), `and`, where the package has pins of several
/// versions, its fork's region ([`fork_regions`]).
/// Python bounds outside `[lowest, upper)` are dropped: below the lowest
/// Python of the grid, and above the Pythons it covers when no environment
/// from `upper` on has a solution.
///
/// These are exact on the grid whenever every edge of the graph is, and
/// right off it too (`platform_machine == 'ppc64le'`, which no environment
/// of the grid has); the caller checks each against the grid and falls back
/// to [`marker_for`] where one is not (an edge that only an extra brings
/// in, say).
fn dependency_markers(
    covered: &[(Environment, IndexSource, Resolution)],
    merged: &BTreeMap<(PackageName, Version), Merged>,
    grid: &[Slot],
    (lowest, upper): (&Version, Option<&Version>),
) -> anyhow::Result<BTreeMap<(PackageName, Version), MarkerTree>> {
    type Key = (PackageName, Version);
    // Incoming edges of each pin: (the requiring pin, or none for the root; marker).
    let mut incoming: BTreeMap<Key, BTreeSet<(Option<Key>, MarkerTree)>> = BTreeMap::new();
    for (_, _, resolution) in covered {
        let versions: BTreeMap<&PackageName, &Version> = resolution
            .packages
            .iter()
            .map(|package| (&package.name, &package.version))
            .collect();
        let pin = |name: &PackageName| {
            versions
                .get(name)
                .map(|version| (name.clone(), (*version).clone()))
        };
        for edge in &resolution.root_dependencies {
            if let Some(key) = pin(&edge.name) {
                incoming
                    .entry(key)
                    .or_default()
                    .insert((None, canonical(&edge.marker)));
            }
        }
        for package in &resolution.packages {
            let parent = (package.name.clone(), package.version.clone());
            for edge in &package.dependencies {
                if let Some(key) = pin(&edge.name) {
                    incoming
                        .entry(key)
                        .or_default()
                        .insert((Some(parent.clone()), canonical(&edge.marker)));
                }
            }
        }
    }
    let regions = fork_regions(grid, merged)?;
    // The least fixed point: start from false everywhere, widen until stable
    // (dependency cycles need more than one pass).
    let mut reach: BTreeMap<Key, MarkerTree> = merged
        .keys()
        .map(|key| (key.clone(), MarkerTree::FALSE))
        .collect();
    loop {
        let mut changed = false;
        for (key, edges) in &incoming {
            let mut tree = MarkerTree::FALSE;
            for (parent, marker) in edges {
                let mut term = match parent {
                    None => MarkerTree::TRUE,
                    Some(parent) => reach.get(parent).cloned().unwrap_or(MarkerTree::FALSE),
                };
                term.and(marker.clone());
                tree.or(term);
            }
            if let Some(region) = regions.get(key) {
                tree.and(region.clone());
            }
            if reach.get(key) != Some(&tree) {
                reach.insert(key.clone(), tree);
                changed = true;
            }
        }
        if !changed {
            break;
        }
    }
    Ok(reach
        .into_iter()
        .map(|(key, tree)| {
            let tree = tree.simplify_python_versions(
                std::ops::Bound::Included(lowest),
                upper.map_or(std::ops::Bound::Unbounded, std::ops::Bound::Excluded),
            );
            (key, tree)
        })
        .collect())
}

/// `platform_system` conditions on Windows, macOS and Linux as the
/// `sys_platform` conditions they amount to (`platform_system == 'Windows'`
/// is `sys_platform == 'win32'`), as uv writes them: a package that one
/// dependent asks for on `platform_system == 'Windows'` and another on
/// `sys_platform == 'win32'` then gets one condition, not two.
fn canonical(tree: &MarkerTree) -> MarkerTree {
    use pep508_rs::{MarkerExpression, MarkerValueString};
    // `to_dnf` of an always-true marker has no alternatives at all.
    if tree.is_true() {
        return MarkerTree::TRUE;
    }
    let mut result = MarkerTree::FALSE;
    for conjunction in tree.to_dnf() {
        let mut term = MarkerTree::TRUE;
        for expression in conjunction {
            let expression = match expression {
                MarkerExpression::String {
                    key: MarkerValueString::PlatformSystem,
                    operator,
                    value,
                } if matches!(value.as_str(), "Windows" | "Darwin" | "Linux") => {
                    let value = match value.as_str() {
                        "Windows" => "win32",
                        "Darwin" => "darwin",
                        _ => "linux",
                    };
                    MarkerExpression::String {
                        key: MarkerValueString::SysPlatform,
                        operator,
                        value: value.to_string(),
                    }
                }
                other => other,
            };
            term.and(MarkerTree::expression(expression));
        }
        result.or(term);
    }
    result
}

/// A marker as text, `None` when it is always true: pep508_rs's normal
/// form, with the conditions every alternative shares written once in
/// front (`python_full_version < '3.10' and (platform_machine == 'aarch64'
/// or platform_machine == 'x86_64')`), as uv writes it.
fn render(tree: &MarkerTree) -> Option<String> {
    use pep508_rs::MarkerExpression;
    let text = tree.try_to_string()?;
    let dnf = tree.to_dnf();
    let Some((first, rest)) = dnf.split_first() else {
        return Some(text);
    };
    let common: Vec<&MarkerExpression> = first
        .iter()
        .filter(|expression| {
            rest.iter()
                .all(|conjunction| conjunction.contains(expression))
        })
        .collect();
    if rest.is_empty() || common.is_empty() {
        return Some(text);
    }
    let and = |expressions: Vec<&MarkerExpression>| {
        expressions
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(" and ")
    };
    let mut alternatives = Vec::new();
    for conjunction in &dnf {
        let left: Vec<&MarkerExpression> = conjunction
            .iter()
            .filter(|expression| !common.contains(expression))
            .collect();
        match left.len() {
            // Absorbed: the common part alone is the marker.
            0 => return Some(text),
            1 => alternatives.push(and(left)),
            _ => alternatives.push(format!("({})", and(left))),
        }
    }
    Some(format!(
        "{} and ({})",
        and(common),
        alternatives.join(" or ")
    ))
}

/// One environment's versions of the packages pinned at several versions,
/// in [`fork_regions`]' order; `None` where it has no such package (which
/// goes with any version).
type Fork<'a> = Vec<Option<&'a Version>>;

/// Whether two forks agree wherever both have a version.
fn compatible(left: &Fork<'_>, right: &Fork<'_>) -> bool {
    left.iter()
        .zip(right)
        .all(|(left, right)| left.is_none() || right.is_none() || left == right)
}

/// `into` with the versions `from` has and it lacks.
fn merge_fork<'a>(into: &mut Fork<'a>, from: &Fork<'a>) {
    for (slot, version) in into.iter_mut().zip(from) {
        if slot.is_none() {
            *slot = *version;
        }
    }
}

/// Where each pin of a package pinned at several versions applies, as uv's
/// forks split the marker space. Each environment's fork is its versions
/// of those packages. Platforms whose forks agree at every Python form a
/// group; within a group, neighbouring Pythons whose forks agree form a
/// run. Groups get platform conditions (the largest group everything the
/// others don't), runs Python ranges (the lowest unbounded below, the
/// highest above), so the regions cover every environment, on the grid or
/// off it, and a package pinned at one version in all of a region gets no
/// condition from it. Environments without the package, or without a
/// solution, agree with any fork.
fn fork_regions(
    grid: &[Slot],
    merged: &BTreeMap<(PackageName, Version), Merged>,
) -> anyhow::Result<BTreeMap<(PackageName, Version), MarkerTree>> {
    let mut counts: BTreeMap<&PackageName, usize> = BTreeMap::new();
    for (name, _) in merged.keys() {
        *counts.entry(name).or_default() += 1;
    }
    let forked: Vec<&PackageName> = counts
        .into_iter()
        .filter(|(_, count)| *count > 1)
        .map(|(name, _)| name)
        .collect();
    let mut regions = BTreeMap::new();
    if forked.is_empty() {
        return Ok(regions);
    }
    let mut forks: Vec<Fork<'_>> = vec![vec![None; forked.len()]; grid.len()];
    for ((name, version), entry) in merged {
        if let Ok(position) = forked.binary_search(&name) {
            for environment in &entry.environments {
                forks[*environment][position] = Some(version);
            }
        }
    }
    let pythons: Vec<(u64, u64)> = grid
        .iter()
        .map(|(python, _)| *python)
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let platforms: BTreeSet<usize> = grid.iter().map(|(_, platform)| *platform).collect();
    let column = |platform: usize| -> Vec<Fork<'_>> {
        pythons
            .iter()
            .map(|python| {
                grid.iter()
                    .position(|slot| *slot == (*python, platform))
                    .map_or_else(|| vec![None; forked.len()], |index| forks[index].clone())
            })
            .collect()
    };
    // Platform groups, each with its forks merged along the Pythons.
    let mut groups: Vec<(Vec<Fork<'_>>, BTreeSet<usize>)> = Vec::new();
    for platform in &platforms {
        let column = column(*platform);
        let joined = groups.iter_mut().find(|(forks, _)| {
            forks
                .iter()
                .zip(&column)
                .all(|(left, right)| compatible(left, right))
        });
        match joined {
            Some((forks, members)) => {
                for (fork, other) in forks.iter_mut().zip(&column) {
                    merge_fork(fork, other);
                }
                members.insert(*platform);
            }
            None => groups.push((column, BTreeSet::from([*platform]))),
        }
    }
    // The largest group last: it takes what the others leave.
    groups.sort_by_key(|(_, members)| members.len());
    let mut taken = MarkerTree::FALSE;
    let mut fork_markers: Vec<(Fork<'_>, MarkerTree)> = Vec::new();
    let last = groups.len() - 1;
    for (index, (column, members)) in groups.iter().enumerate() {
        let group_marker = if index == last {
            taken.negate()
        } else {
            let marker = parse(&platform_set_condition(&platforms, members).unwrap_or_default())?;
            taken.or(marker.clone());
            marker
        };
        // Runs of agreeing forks along the Pythons: (fork, first, last).
        let mut runs: Vec<(Fork<'_>, usize, usize)> = Vec::new();
        for (position, fork) in column.iter().enumerate() {
            match runs.last_mut() {
                Some((current, _, end)) if compatible(current, fork) => {
                    merge_fork(current, fork);
                    *end = position;
                }
                _ => runs.push((fork.clone(), position, position)),
            }
        }
        for (fork, first, end) in runs {
            let mut bounds = Vec::new();
            if first > 0 {
                bounds.push(format!(
                    "python_full_version >= '{}'",
                    python_text(pythons[first])
                ));
            }
            if let Some(next) = pythons.get(end + 1) {
                bounds.push(format!("python_full_version < '{}'", python_text(*next)));
            }
            let mut region = group_marker.clone();
            if !bounds.is_empty() {
                region.and(parse(&bounds.join(" and "))?);
            }
            fork_markers.push((fork, region));
        }
    }
    for (name, version) in merged.keys() {
        let Ok(position) = forked.binary_search(&name) else {
            continue;
        };
        let mut region = MarkerTree::FALSE;
        for (fork, marker) in &fork_markers {
            if fork[position] == Some(version) {
                region.or(marker.clone());
            }
        }
        regions.insert((name.clone(), version.clone()), region);
    }
    Ok(regions)
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
/// (`((python minor, patch), platform)` pairs), normalized by pep508_rs;
/// `None` when that is every environment. Checked against each
/// environment's markers, with an `or` of one product per environment as
/// the fallback.
fn marker_for(
    grid: &[Slot],
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
        let points: BTreeSet<(u64, u64)> = grid.iter().map(|(python, _)| *python).collect();
        let fallback = selected
            .iter()
            .map(|index| {
                let (python, platform) = grid[*index];
                format!(
                    "({} and python_full_version >= '{}' and python_full_version < '{}')",
                    platform_condition(platform),
                    python_text(python),
                    python_text(next_point(&points, python))
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
    Ok(render(&tree))
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
fn product_form(grid: &[Slot], selected: &BTreeSet<usize>) -> String {
    let platforms: BTreeSet<usize> = grid.iter().map(|(_, platform)| *platform).collect();
    let minors: BTreeSet<(u64, u64)> = grid.iter().map(|(python, _)| *python).collect();
    // Platform → the Pythons it pinned the package on.
    let mut pinned: BTreeMap<usize, BTreeSet<(u64, u64)>> = BTreeMap::new();
    for index in selected {
        let (minor, platform) = grid[*index];
        pinned.entry(platform).or_default().insert(minor);
    }
    // Pythons → the platforms that pinned on exactly those.
    let mut groups: BTreeMap<BTreeSet<(u64, u64)>, BTreeSet<usize>> = BTreeMap::new();
    for (platform, pythons) in pinned {
        groups.entry(pythons).or_default().insert(platform);
    }
    let mut terms = Vec::new();
    for (pythons, group) in &groups {
        // A minor is "out" when an environment of the group has it without the pin;
        // minors no environment of the group has are free either way.
        let out: BTreeSet<(u64, u64)> = grid
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

/// Ranges of `python_full_version` covering `pinned` and none of `out`
/// (each Python of the grid stands for the versions up to the next one);
/// `None` when no bound is needed.
fn python_condition(
    minors: &BTreeSet<(u64, u64)>,
    pinned: &BTreeSet<(u64, u64)>,
    out: &BTreeSet<(u64, u64)>,
) -> Option<String> {
    if out.is_empty() {
        return None;
    }
    // Runs of pinned minors not interrupted by an "out" one.
    let mut runs: Vec<((u64, u64), (u64, u64))> = Vec::new();
    let mut current: Option<((u64, u64), (u64, u64))> = None;
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
                bounds.push(format!("python_full_version >= '{}'", python_text(*first)));
            }
            if upper {
                bounds.push(format!(
                    "python_full_version < '{}'",
                    python_text(next_point(minors, *last))
                ));
            }
            format!("({})", bounds.join(" and "))
        })
        .collect();
    Some(conditions.join(" or "))
}

/// `3.11` or `3.11.3`.
fn python_text((minor, patch): (u64, u64)) -> String {
    if patch == 0 {
        format!("3.{minor}")
    } else {
        format!("3.{minor}.{patch}")
    }
}

/// The Python of `points` after `python`, else the next minor version.
fn next_point(points: &BTreeSet<(u64, u64)>, python: (u64, u64)) -> (u64, u64) {
    points
        .range((
            std::ops::Bound::Excluded(python),
            std::ops::Bound::Unbounded,
        ))
        .next()
        .copied()
        .unwrap_or((python.0 + 1, 0))
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

    #[test]
    fn render_writes_shared_conditions_once() {
        let tree = parse(
            "(python_full_version < '3.10' and platform_machine == 'x86_64') or (python_full_version < '3.10' and platform_machine == 'aarch64')",
        )
        .expect("marker");
        assert_eq!(
            render(&tree).as_deref(),
            Some(
                "python_full_version < '3.10' and (platform_machine == 'aarch64' or platform_machine == 'x86_64')"
            )
        );
        // Nothing shared: pep508_rs's form as it is.
        let tree =
            parse("sys_platform == 'win32' or python_full_version < '3.10'").expect("marker");
        assert_eq!(render(&tree), tree.try_to_string());
        assert_eq!(render(&MarkerTree::TRUE), None);
    }

    #[test]
    fn canonical_writes_platform_system_as_sys_platform() {
        let canonical_text = |text: &str| canonical(&parse(text).expect("marker")).try_to_string();
        assert_eq!(
            canonical_text("platform_system == 'Windows' or sys_platform == 'win32'").as_deref(),
            Some("sys_platform == 'win32'")
        );
        assert_eq!(
            canonical_text("platform_system != 'Darwin' and python_full_version >= '3.10'")
                .as_deref(),
            Some("python_full_version >= '3.10' and sys_platform != 'darwin'")
        );
        assert_eq!(
            canonical_text("platform_system == 'Linux'").as_deref(),
            Some("sys_platform == 'linux'")
        );
        // Other systems have no `sys_platform` of their own.
        assert_eq!(
            canonical_text("platform_system == 'Java'").as_deref(),
            Some("platform_system == 'Java'")
        );
        assert!(canonical(&MarkerTree::TRUE).is_true());
        assert!(canonical(&MarkerTree::FALSE).is_false());
    }

    /// The full grid from 3.9: `(minor, platform)` and each environment's markers.
    fn full_grid() -> (Vec<Slot>, Vec<MarkerEnvironment>) {
        let mut grid = Vec::new();
        let mut markers = Vec::new();
        for minor in (9..=NEWEST_MINOR).rev() {
            for (platform, name) in PLATFORMS.iter().enumerate() {
                let target = Target::new(
                    Version::new([3, minor]),
                    Platform::from_str(name).expect("platform"),
                );
                grid.push(((minor, 0), platform));
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
            .filter(|(_, ((minor, _), platform))| keep(*minor, PLATFORMS[*platform]))
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
    fn patch_versions_split_minor_versions() {
        let (mut grid, mut markers) = full_grid();
        for (platform, name) in PLATFORMS.iter().enumerate() {
            let target = Target::new(
                Version::new([3, 11, 3]),
                Platform::from_str(name).expect("platform"),
            );
            grid.push(((11, 3), platform));
            markers.push(target.markers().expect("markers"));
        }
        let references: Vec<&MarkerEnvironment> = markers.iter().collect();
        let marker = |keep: &dyn Fn((u64, u64), usize) -> bool| {
            let selected: BTreeSet<usize> = grid
                .iter()
                .enumerate()
                .filter(|(_, (python, platform))| keep(*python, *platform))
                .map(|(index, _)| index)
                .collect();
            marker_for(&grid, &selected, &references).expect("a marker")
        };
        assert_eq!(
            marker(&|python, _| python >= (11, 3)).as_deref(),
            Some("python_full_version >= '3.11.3'")
        );
        assert_eq!(
            marker(&|python, _| python < (11, 3)).as_deref(),
            Some("python_full_version < '3.11.3'")
        );
        assert_eq!(
            marker(&|python, _| python == (11, 0)).as_deref(),
            Some("python_full_version >= '3.11' and python_full_version < '3.11.3'")
        );
        assert_eq!(
            marker(&|python, platform| python == (11, 3) && platform == 4).as_deref(),
            Some(
                "python_full_version >= '3.11.3' and python_full_version < '3.12' and sys_platform == 'win32'"
            )
        );
    }

    #[test]
    fn lowest_python_a_requires_python_allows() {
        let lowest = |text: &str| {
            let specifiers = VersionSpecifiers::from_str(text).expect("specifiers");
            lowest_allowed(&specifiers).map(|version| version.to_string())
        };
        assert_eq!(lowest(">=3.10").as_deref(), Some("3.10"));
        assert_eq!(lowest(">=3.10, <4").as_deref(), Some("3.10"));
        assert_eq!(lowest(">=3.9.2").as_deref(), Some("3.9.2"));
        assert_eq!(lowest(">3.9").as_deref(), Some("3.9.1"));
        assert_eq!(lowest("~=3.11").as_deref(), Some("3.11"));
        assert_eq!(lowest("==3.12.*").as_deref(), Some("3.12"));
        assert_eq!(lowest(">=3.8, !=3.8.*, !=3.9.*").as_deref(), Some("3.10"));
        // No lower bound within Python 3: the default grid.
        assert_eq!(lowest(">=2.7"), None);
        assert_eq!(lowest("<3.12"), None);
        assert_eq!(lowest(">=4"), None);
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
