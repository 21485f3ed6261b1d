//! What the resolver needs to know about packages, behind a trait.
//!
//! `plinth-index` implements [`PackageSource`] over real indexes; tests
//! implement it in memory. The resolver calls it synchronously from its own
//! thread; implementations may block.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;

use pep440_rs::{Version, VersionSpecifiers};
use pep508_rs::{ExtraName, MarkerEnvironment, PackageName, Requirement, VersionOrUrl};
use pubgrub::Ranges;

/// What the index says about one version, before its metadata is read.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct VersionInfo {
    /// `Some(reason)` when every usable file of the version is yanked (the reason may be empty).
    pub yanked: Option<String>,
    /// `Some(reason)` when no file of the version can be used for the target.
    pub unusable: Option<String>,
    /// `Requires-Python` as the index gives it (`data-requires-python`), when it does.
    pub requires_python: Option<VersionSpecifiers>,
}

impl VersionInfo {
    /// Whether the version can be picked for a target with Python `python`
    /// as far as the index tells (usable, not yanked, its `Requires-Python`
    /// admits `python`): what is worth fetching ahead.
    pub fn candidate_for(&self, python: &Version) -> bool {
        self.unusable.is_none()
            && self.yanked.is_none()
            && self
                .requires_python
                .as_ref()
                .is_none_or(|requires| requires.contains(python))
    }
}

/// Every version of a package known to the source.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PackageVersions {
    pub versions: BTreeMap<Version, VersionInfo>,
    /// Versions left out because all their files were uploaded after the
    /// `--exclude-newer` cutoff (for hints only; never chosen).
    pub newer_than_cutoff: BTreeSet<Version>,
}

/// The parts of a distribution's core metadata that resolution uses.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Metadata {
    /// The requirements, but for those in `extra_lines`.
    pub requires_dist: Vec<Requirement>,
    /// Requirements that apply only with an extra, parsed when it is asked for.
    pub extra_lines: ExtraLines,
    pub requires_python: Option<VersionSpecifiers>,
    pub provides_extra: Vec<ExtraName>,
}

impl Metadata {
    /// The requirements that may apply with `extras` asked for (their
    /// markers are still to be evaluated): all of `requires_dist` and the
    /// lines of `extras`. `Err` when one of those lines does not parse.
    pub fn requirements<'a>(
        &'a self,
        extras: &'a [ExtraName],
    ) -> Result<impl Iterator<Item = &'a Requirement>, String> {
        let groups = self.extra_lines.parsed(|extra| extras.contains(extra))?;
        Ok(self
            .requires_dist
            .iter()
            .chain(groups.into_iter().flatten()))
    }

    /// Every requirement, whatever extra it needs.
    pub fn all_requirements(&self) -> Result<impl Iterator<Item = &Requirement>, String> {
        let groups = self.extra_lines.parsed(|_| true)?;
        Ok(self
            .requires_dist
            .iter()
            .chain(groups.into_iter().flatten()))
    }

    /// Whether, with `extras`, this asks for a version of a package that
    /// `bounds` (what the root allows of the packages it names) rule out:
    /// no solution has such a version. `false` when a line of `extras`
    /// does not parse (resolution tells why when it reads them).
    pub fn asks_outside(
        &self,
        bounds: &HashMap<PackageName, Ranges<Version>>,
        markers: &MarkerEnvironment,
        extras: &[ExtraName],
    ) -> bool {
        let Ok(mut requirements) = self.requirements(extras) else {
            return false;
        };
        requirements.any(|requirement| {
            let (Some(bound), Some(VersionOrUrl::VersionSpecifier(specifiers))) =
                (bounds.get(&requirement.name), &requirement.version_or_url)
            else {
                return false;
            };
            requirement.marker.evaluate(markers, extras)
                && crate::specifiers::specifiers_to_range(specifiers)
                    .intersection(bound)
                    .is_empty()
        })
    }
}

/// Parses one `Requires-Dist` line; `Err` is the reason its version can't
/// be used.
pub type ParseRequirement = fn(&str) -> Result<Requirement, String>;

/// `Requires-Dist` lines that apply only with one extra asked for, by that
/// extra, kept as text until resolution asks for the extra: a large
/// package lists most of its requirements under extras that a resolution
/// never asks for (a google-cloud-aiplatform release has 258 lines, 15 of
/// them without an extra), and parsing them for every version read was a
/// fifth of an `--offline` run's work.
#[derive(Debug, Clone, Default)]
pub struct ExtraLines {
    groups: Vec<ExtraGroup>,
}

#[derive(Debug, Clone)]
struct ExtraGroup {
    extra: ExtraName,
    lines: Vec<String>,
    parse: ParseRequirement,
    parsed: std::sync::OnceLock<Result<Vec<Requirement>, String>>,
}

impl ExtraLines {
    /// `lines` with the extra each applies only with, read by `parse`.
    pub fn new(lines: Vec<(ExtraName, String)>, parse: ParseRequirement) -> Self {
        let mut groups: Vec<ExtraGroup> = Vec::new();
        for (extra, line) in lines {
            // A package lists the lines of one extra together.
            match groups.iter_mut().rev().find(|group| group.extra == extra) {
                Some(group) => group.lines.push(line),
                None => groups.push(ExtraGroup {
                    extra,
                    lines: vec![line],
                    parse,
                    parsed: std::sync::OnceLock::new(),
                }),
            }
        }
        Self { groups }
    }

    /// The requirements of the extras `wanted` picks, parsed (once).
    fn parsed(&self, wanted: impl Fn(&ExtraName) -> bool) -> Result<Vec<&[Requirement]>, String> {
        self.groups
            .iter()
            .filter(|group| wanted(&group.extra))
            .map(|group| {
                group
                    .parsed
                    .get_or_init(|| group.lines.iter().map(|line| (group.parse)(line)).collect())
                    .as_deref()
                    .map_err(Clone::clone)
            })
            .collect()
    }
}

/// The same lines for the same extras, parsed or not.
impl PartialEq for ExtraLines {
    fn eq(&self, other: &Self) -> bool {
        self.groups.len() == other.groups.len()
            && self
                .groups
                .iter()
                .zip(&other.groups)
                .all(|(one, other)| one.extra == other.extra && one.lines == other.lines)
    }
}

impl Eq for ExtraLines {}

/// A distribution the user named by URL or path (a direct reference): the
/// only version of its name that resolution may pick, with its metadata.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DirectDist {
    pub version: Version,
    pub metadata: Arc<Metadata>,
    /// `Some(reason)` when the distribution can't be used for the target
    /// (a wheel built for another platform).
    pub unusable: Option<String>,
}

/// Core metadata, or the reason this version can't be used.
pub type MetadataResult = Result<Arc<Metadata>, String>;

/// A boxed error from a package source (network, disk, ...).
pub type SourceError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// The resolver's view of one or more package indexes.
pub trait PackageSource {
    /// Every version of `name`; an unknown package has none.
    fn versions(&self, name: &PackageName) -> Result<Arc<PackageVersions>, SourceError>;

    /// The metadata of `name==version`, or why that version is unusable.
    fn metadata(
        &self,
        name: &PackageName,
        version: &Version,
    ) -> Result<MetadataResult, SourceError>;

    /// A hint that `name` (with `extras`, when asked for) will be needed
    /// soon, most likely a version in `range`. Implementations may start
    /// fetching in the background.
    fn prefetch(&self, _name: &PackageName, _extras: &[ExtraName], _range: &Ranges<Version>) {}

    /// A hint that these versions of `name` may be tried next (after a
    /// backtrack). Implementations may fetch what is cheap to fetch.
    fn prefetch_versions(&self, _name: &PackageName, _versions: &[Version]) {}

    /// What the root's requirements and constraints leave of some packages,
    /// told before resolving: a version whose dependencies ask for none of
    /// that is never chosen, and fetching ahead may pass over it.
    fn root_bounds(&self, _bounds: HashMap<PackageName, Ranges<Version>>) {}

    /// Whether the root's bounds (see [`Self::root_bounds`]) rule out
    /// `name==version` by what its dependencies ask for; `None` while its
    /// metadata is not read. With `wait`, metadata already asked for (by a
    /// prefetch) is waited for; metadata nobody asked for never is.
    fn ruled_out_by_root(
        &self,
        _name: &PackageName,
        _version: &Version,
        _wait: bool,
    ) -> Option<bool> {
        None
    }

    /// Up to three known names close to `name`, a package no index has, best
    /// first (see [`crate::similar_names`]); for a "did you mean" hint. Called
    /// only when a resolution failed, so it may be slow; it never fails (no
    /// list of names: no suggestion).
    fn similar_names(&self, _name: &PackageName) -> Vec<PackageName> {
        Vec::new()
    }
}
