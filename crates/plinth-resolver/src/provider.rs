//! The PubGrub dependency provider and the `resolve` entry point.

use std::borrow::Cow;
use std::cell::RefCell;
use std::cmp::Reverse;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::ops::Bound;
use std::rc::Rc;
use std::sync::Arc;

use pep440_rs::{Operator, Version, VersionSpecifiers};
use pep508_rs::{ExtraName, MarkerEnvironment, MarkerTree, PackageName, Requirement, VersionOrUrl};
use pubgrub::{
    Dependencies, DependencyProvider, PackageResolutionStatistics, PubGrubError, Ranges,
};

use crate::package::Package;
use crate::report::{ReportContext, hints, missing_names, needs_python, report_no_solution};
use crate::source::{
    DirectDist, Metadata, PackageSource, PackageVersions, SourceError, VersionInfo,
};
use crate::specifiers::{is_exact, specifiers_to_range};

/// At most how many older versions of a package to prefetch after a backtrack on it.
const PREFETCH_AFTER_BACKTRACK: usize = 32;

/// How many versions below one the root rules out are read ahead as
/// [`Provider::pick`] passes over it, at first; twice as many for each
/// such version the walk had to wait for, up to
/// [`PASS_OVER_READ_AHEAD`] `<<` [`PASS_OVER_DOUBLINGS`] (16).
const PASS_OVER_READ_AHEAD: usize = 2;
const PASS_OVER_DOUBLINGS: u32 = 3;

/// A metadata read that takes this long was a request to the index (one
/// from the cache takes well under a millisecond, one from PyPI 50 ms or
/// more): the walk past versions the root rules out then reads further
/// ahead.
const SLOW_READ: std::time::Duration = std::time::Duration::from_millis(20);

/// A requirement of the user, with where it came from.
#[derive(Debug, Clone)]
pub struct RootRequirement {
    pub requirement: Requirement,
    /// The `# via` label of its file (`-r requirements.in`); empty for none.
    pub source: String,
    /// The line it was written on (`requirements.in:3`), for explanations.
    pub origin: String,
}

/// One requirement edge of the resolved graph: `requirement` names `name`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Edge {
    pub name: PackageName,
    /// The requirement as written, without its marker (`werkzeug>=3.1`).
    pub requirement: String,
    /// Its marker, with the extra that brought it in taken as true
    /// (`python_version < '3.11'` of `redis ; extra == 'redis' and
    /// python_version < '3.11'`): where the edge applies, for universal
    /// lockfiles. True when it has none.
    pub marker: MarkerTree,
}

/// The target and the policies of one resolution.
#[derive(Debug, Clone)]
pub struct ResolveOptions {
    /// Markers of the target environment.
    pub markers: MarkerEnvironment,
    /// The target interpreter's version, checked against `Requires-Python`.
    pub python_version: Version,
    /// Allow pre-releases of every package (`--pre`).
    pub prereleases: bool,
    /// Existing pins: chosen first whenever they are allowed.
    pub preferences: BTreeMap<PackageName, Version>,
    /// uv's overrides (`--override FILE`): every requirement on one of these
    /// names, in the inputs or in any package's metadata, is replaced by the
    /// overrides on that name (specifiers, extras and markers; an override
    /// whose marker is false for the target drops the requirement). The
    /// `extra == "..."` of an optional dependency is kept. Their `source`
    /// (`--override overrides.txt`) shows in `# via`.
    pub overrides: Vec<RootRequirement>,
    /// Direct references (`name @ URL`, paths, git) by name, fetched by the
    /// caller: the only version of each such name. A `name @ URL`
    /// requirement, in the inputs or in metadata, needs its name here.
    pub direct: BTreeMap<PackageName, DirectDist>,
    /// Give up after this many backtracks (a package's version chosen again
    /// after a conflict ruled out the one chosen before); `None`: no limit.
    pub max_backtracks: Option<u64>,
    /// Pass over the versions whose dependencies the root's requirements
    /// rule out when deciding (see `Provider::ruled_out_by_root`): the same
    /// pins, less work. Off only to check that.
    pub pass_over_ruled_out: bool,
}

/// One pinned package of a resolution.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResolvedPackage {
    pub name: PackageName,
    pub version: Version,
    /// Packages of the resolution that depend on this one.
    pub required_by: BTreeSet<PackageName>,
    /// Sources of root requirements, constraints and applied overrides that
    /// name this package.
    pub sources: BTreeSet<String>,
    /// The extras of this package in use (`celery[redis]`), requested or not
    /// defined by it.
    pub extras: BTreeSet<ExtraName>,
    /// Requirements of this package (at this version, with the extras in
    /// use) that apply to the target.
    pub dependencies: Vec<Edge>,
    /// The version the policies would pick with no requirement or pin in the way.
    pub newest: Option<Version>,
}

/// The result of a successful resolution, sorted by name.
#[derive(Debug, Clone, Default)]
pub struct Resolution {
    pub packages: Vec<ResolvedPackage>,
    /// The root requirements (and constraints) that apply to the target.
    pub roots: Vec<RootRequirement>,
    /// The requirements of the root (overrides applied; not constraints).
    pub root_dependencies: Vec<Edge>,
    pub warnings: Vec<String>,
}

/// Why a resolution failed.
#[derive(Debug, thiserror::Error)]
pub enum ResolveError {
    /// The requirements can't be satisfied together (exit code 1).
    #[error("No solution found when resolving dependencies:\n{report}")]
    NoSolution {
        report: String,
        /// `hint:` lines for the usual causes (without the `hint: ` prefix).
        hints: Vec<String>,
    },
    /// A requirement the resolver can't handle.
    #[error("{0}")]
    Unsupported(String),
    /// The resolution backtracked more often than [`ResolveOptions::max_backtracks`].
    #[error("Gave up after {limit} backtracks: the versions of {} kept conflicting", packages.join(", "))]
    TooManyBacktracks {
        limit: u64,
        /// The packages whose versions were chosen again most often (`` `name` ``), most first.
        packages: Vec<String>,
    },
    /// The package source failed (network, disk, ...).
    #[error("Failed to get `{package}`")]
    Source {
        package: String,
        #[source]
        source: SourceError,
    },
}

/// Resolve `requirements` (with `constraints`) for the target in `options`.
pub fn resolve<S: PackageSource>(
    source: &S,
    requirements: &[RootRequirement],
    constraints: &[RootRequirement],
    options: &ResolveOptions,
) -> Result<Resolution, ResolveError> {
    for root in requirements.iter().chain(constraints) {
        if let Some(VersionOrUrl::Url(url)) = &root.requirement.version_or_url
            && !options.direct.contains_key(&root.requirement.name)
            && root.requirement.marker.evaluate(&options.markers, &[])
        {
            return Err(ResolveError::Unsupported(format!(
                "The direct reference `{}` ({url}) from {} was not fetched",
                root.requirement.name, root.source
            )));
        }
    }
    // Packages decided before another that kept ruling them out (see
    // `Provider::note_culprits`).
    let mut early = HashMap::new();
    let mut retries = Retries::default();
    let reads = Reads::default();
    // Off for a resolution that found no solution, made again so that its
    // explanation is the one pubgrub derives version by version (which
    // the reports are written for; passing over words it otherwise).
    let mut pass_over_ruled_out = options.pass_over_ruled_out;
    let (provider, outcome) = loop {
        let mut provider = Provider::new(
            source,
            requirements,
            constraints,
            options,
            &reads,
            &early,
            retries,
        );
        provider.pass_over_ruled_out = pass_over_ruled_out;
        if early.is_empty() {
            source.root_bounds(provider.bounds.clone());
        }
        let outcome = pubgrub::resolve(&provider, Package::Root, Version::new([0]));
        match provider.restart.take() {
            Some((name, culprit)) => {
                retries = provider.retries();
                early.insert(name, culprit);
            }
            None if pass_over_ruled_out
                && provider.passed_over.get()
                && matches!(outcome, Err(PubGrubError::NoSolution(_))) =>
            {
                pass_over_ruled_out = false;
                early.clear();
                retries = Retries::default();
            }
            None => break (provider, outcome),
        }
    };
    match outcome {
        Ok(selected) => Ok(provider.resolution(&selected)),
        Err(PubGrubError::NoSolution(tree)) => {
            // Fold "no versions" facts into the requirements they contradict,
            // unless that leaves a single statement with no explanation.
            let mut collapsed = tree.clone();
            collapsed.collapse_no_versions();
            let tree = match collapsed {
                pubgrub::DerivationTree::Derived(_) => collapsed,
                pubgrub::DerivationTree::External(_) => tree,
            };
            let context = ReportContext {
                python: provider.options.python_version.clone(),
                known: provider.known_versions(),
                constraints: provider.constraint_labels(),
                newer_than_cutoff: provider.newer_than_cutoff(),
                roots: provider.root_origins(),
                similar: HashMap::new(),
            };
            let similar = missing_names(&tree, &context)
                .into_iter()
                .map(|name| {
                    let similar = source.similar_names(&name);
                    (name, similar)
                })
                .collect();
            let context = ReportContext { similar, ..context };
            Err(ResolveError::NoSolution {
                report: report_no_solution(&tree, &context),
                hints: hints(&tree, &context),
            })
        }
        Err(PubGrubError::ErrorRetrievingDependencies {
            package, source, ..
        })
        | Err(PubGrubError::ErrorChoosingVersion { package, source }) => {
            Err(ResolveError::Source {
                package: package.to_string(),
                source: source.0,
            })
        }
        Err(PubGrubError::ErrorInShouldCancel(_))
            if let Some(limit) = provider.backtracks_over_limit() =>
        {
            Err(ResolveError::TooManyBacktracks {
                limit,
                packages: provider.most_retried(3),
            })
        }
        Err(PubGrubError::ErrorInShouldCancel(source)) => Err(ResolveError::Source {
            package: "resolution".to_string(),
            source: source.0,
        }),
    }
}

/// Backtracks counted over the attempts of a resolution: in all, and the
/// moves of each package to another version.
#[derive(Debug, Default)]
struct Retries {
    backtracks: u64,
    packages: HashMap<PackageName, u64>,
}

struct Provider<'a, S> {
    source: &'a S,
    options: &'a ResolveOptions,
    python: Version,
    requirements: &'a [RootRequirement],
    constraints: &'a [RootRequirement],
    /// Intersection of the constraints on each package.
    constraint_ranges: HashMap<PackageName, Ranges<Version>>,
    /// The overrides on each package name.
    overrides: HashMap<PackageName, Vec<&'a RootRequirement>>,
    /// Packages whose first-party requirements ask for a pre-release.
    explicit_prereleases: HashSet<PackageName>,
    /// Yanked versions allowed because a first-party `==` names them.
    allowed_yanked: HashMap<PackageName, Ranges<Version>>,
    /// First-seen order of package names: earlier ones are decided first.
    discovery: RefCell<HashMap<PackageName, usize>>,
    /// The extras of each package hinted to the source (see `discover`).
    discovered_extras: RefCell<HashSet<(PackageName, ExtraName)>>,
    /// What the attempts so far read (kept over restarts).
    reads: &'a Reads,
    /// How often each package was chosen at another version than the
    /// one before (a backtrack), and the version chosen last.
    choices: RefCell<HashMap<PackageName, (u64, Version)>>,
    /// The backtracks of the attempts before a restart.
    earlier: Retries,
    /// The lowest version chosen for each package so far, and how often a
    /// choice went below the one before (walking down its versions).
    lowest_chosen: RefCell<HashMap<PackageName, (Version, u64)>>,
    /// Backtracks so far.
    backtracks: std::cell::Cell<u64>,
    /// Packages decided just before another (a restart's lesson).
    early: &'a HashMap<PackageName, PackageName>,
    /// The highest class each name had in a priority so far.
    classes: RefCell<HashMap<PackageName, u8>>,
    /// The version each package (base or extra) is decided at, as far as
    /// the provider can tell: set when a version is chosen, dropped when
    /// pubgrub asks for the package's priority again (it only asks of
    /// undecided packages, and after a backtrack of all that are still
    /// required).
    decided: RefCell<HashMap<Package, Decision>>,
    /// The extra packages decided at some point of this attempt.
    extras_decided: RefCell<HashSet<Package>>,
    /// How many versions of each package needed another Python.
    python_conflicts: RefCell<HashMap<Package, u32>>,
    /// Names first required with extras: uv decides such an extra package
    /// before its base (it finds the base through the extra).
    extras_first: RefCell<HashSet<PackageName>>,
    /// How often a version of a package (first) asked for a version of
    /// another (second) that is not the one decided.
    culprits: RefCell<HashMap<(PackageName, PackageName), u32>>,
    /// How often each package (base or extra) was decided at a version a
    /// dependency of another ruled out, as uv counts a conflict's culprit
    /// (see `demote_culprits`).
    culprit_counts: RefCell<HashMap<Package, u32>>,
    /// What the root allows of the packages it names (see `root_bounds`).
    bounds: HashMap<PackageName, Ranges<Version>>,
    /// Whether `pick` passes over the versions `bounds` rule out.
    pass_over_ruled_out: bool,
    /// Whether it did.
    passed_over: std::cell::Cell<bool>,
    /// Set when the resolution should start again with the first package
    /// decided just before the second.
    restart: RefCell<Option<(PackageName, PackageName)>>,
}

impl<'a, S: PackageSource> Provider<'a, S> {
    fn new(
        source: &'a S,
        requirements: &'a [RootRequirement],
        constraints: &'a [RootRequirement],
        options: &'a ResolveOptions,
        reads: &'a Reads,
        early: &'a HashMap<PackageName, PackageName>,
        earlier: Retries,
    ) -> Self {
        let mut constraint_ranges: HashMap<PackageName, Ranges<Version>> = HashMap::new();
        let mut explicit_prereleases = HashSet::new();
        let mut allowed_yanked: HashMap<PackageName, Ranges<Version>> = HashMap::new();
        let mut overrides: HashMap<PackageName, Vec<&'a RootRequirement>> = HashMap::new();
        for root in &options.overrides {
            overrides
                .entry(root.requirement.name.clone())
                .or_default()
                .push(root);
        }
        for (root, is_constraint) in requirements
            .iter()
            .chain(&options.overrides)
            .map(|root| (root, false))
            .chain(constraints.iter().map(|root| (root, true)))
        {
            let requirement = &root.requirement;
            if !requirement.marker.evaluate(&options.markers, &[]) {
                continue;
            }
            let Some(VersionOrUrl::VersionSpecifier(specifiers)) = &requirement.version_or_url
            else {
                continue;
            };
            let range = specifiers_to_range(specifiers);
            if is_constraint {
                let entry = constraint_ranges
                    .entry(requirement.name.clone())
                    .or_insert_with(Ranges::full);
                *entry = entry.intersection(&range);
            }
            if specifiers.iter().any(|specifier| {
                !matches!(
                    specifier.operator(),
                    Operator::NotEqual | Operator::NotEqualStar
                ) && specifier.any_prerelease()
            }) {
                explicit_prereleases.insert(requirement.name.clone());
            }
            if specifiers.iter().any(|specifier| {
                matches!(specifier.operator(), Operator::Equal | Operator::ExactEqual)
            }) {
                let entry = allowed_yanked
                    .entry(requirement.name.clone())
                    .or_insert_with(Ranges::empty);
                *entry = entry.union(&range);
            }
        }
        let mut provider = Self {
            source,
            options,
            python: options.python_version.only_release(),
            requirements,
            constraints,
            constraint_ranges,
            overrides,
            explicit_prereleases,
            allowed_yanked,
            discovery: RefCell::new(HashMap::new()),
            discovered_extras: RefCell::new(HashSet::new()),
            reads,
            choices: RefCell::new(HashMap::new()),
            lowest_chosen: RefCell::new(HashMap::new()),
            backtracks: std::cell::Cell::new(earlier.backtracks),
            earlier,
            early,
            classes: RefCell::new(HashMap::new()),
            decided: RefCell::new(HashMap::new()),
            python_conflicts: RefCell::new(HashMap::new()),
            extras_decided: RefCell::new(HashSet::new()),
            extras_first: RefCell::new(HashSet::new()),
            culprits: RefCell::new(HashMap::new()),
            culprit_counts: RefCell::new(HashMap::new()),
            bounds: HashMap::new(),
            pass_over_ruled_out: true,
            passed_over: std::cell::Cell::new(false),
            restart: RefCell::new(None),
        };
        provider.bounds = provider.root_bounds();
        provider
    }

    /// The backtracks so far, over the attempts before a restart too.
    fn retries(&self) -> Retries {
        let mut packages = self.earlier.packages.clone();
        for (name, (moves, _)) in self.choices.borrow().iter() {
            *packages.entry(name.clone()).or_default() += moves;
        }
        Retries {
            backtracks: self.backtracks.get(),
            packages,
        }
    }

    /// Counts, for a version of `name` with these dependencies, each
    /// package decided at a version they rule out. pubgrub 0.4 then only
    /// rules out that version: a package whose versions keep asking for
    /// another version of a package decided before it walks down all of
    /// them (dagster-dbt, each release pinning its own dagster, under the
    /// newest dagster, down to 2021) where deciding it first would move the
    /// other (uv's fork backtracks to that decision, keeping those before
    /// it). After [`CONFLICT_THRESHOLD`] such versions, the resolution
    /// starts again with the package decided just before the other; the
    /// metadata read so far is kept by the source, so a restart costs
    /// little.
    fn note_culprits(
        &self,
        name: &PackageName,
        dependencies: &[(Package, Ranges<Version>)],
    ) -> Result<(), SourceError> {
        if self.early.contains_key(name) || self.early.len() >= MAX_RESTARTS {
            return Ok(());
        }
        let decided = self.decided.borrow();
        let decided = |package: &Package| {
            decided
                .get(package)
                .filter(|decision| !decision.forced)
                .map(|decision| &decision.version)
        };
        let mut culprits = self.culprits.borrow_mut();
        // A requirement with extras is on its extra package, as in uv. When
        // that is decided, it is the culprit, and only when uv decides it
        // before its base (backtracking to an extra decided after its base
        // moves nothing: `datasets` walks down under an `fsspec` decided
        // first, asking for `fsspec[http]`); when it was decided before,
        // what pubgrub learned of its versions rules the range out, and
        // the culprit is the extra, which uv cannot backtrack to. When it
        // never was, the conflict goes through the extra to its base, which
        // is then the culprit (`aws-sam-cli` asking for `boto3[crt]` under
        // a `boto3` decided first).
        let with_extras = |other: &PackageName| {
            dependencies
                .iter()
                .any(|(package, _)| matches!(package, Package::Extra(name, _) if name == other))
        };
        for (package, range) in dependencies {
            let (other, version) = match package {
                Package::Dist(other) if !with_extras(other) => (other, decided(package)),
                Package::Extra(other, _) => match decided(package) {
                    Some(version) if self.extras_first.borrow().contains(other) => {
                        (other, Some(version))
                    }
                    Some(_) => continue,
                    None if self.extras_decided.borrow().contains(package) => continue,
                    None => (other, decided(&Package::Dist(other.clone()))),
                },
                _ => continue,
            };
            // Not when the root rules out what it asks for, nor when the
            // other was itself walked down to its version: deciding this
            // package first would not move it.
            if other == name
                || version.is_none_or(|version| range.contains(version))
                || self
                    .bounds
                    .get(other)
                    .is_some_and(|bound| range.intersection(bound).is_empty())
                || self
                    .lowest_chosen
                    .borrow()
                    .get(other)
                    .is_some_and(|(_, steps_down)| *steps_down > 0)
            {
                continue;
            }
            let count = culprits.entry((name.clone(), other.clone())).or_insert(0);
            *count += 1;
            if *count >= CONFLICT_THRESHOLD {
                *self.restart.borrow_mut() = Some((name.clone(), other.clone()));
                return Err(
                    format!("`{name}` keeps conflicting with `{other}`: starting again").into(),
                );
            }
        }
        Ok(())
    }

    /// Whether `first`, noted as decided, was undone by a backtrack since:
    /// what the version it was decided at asks of `package` is not part of
    /// the latter's `range` (a package waiting to be decided is not noted
    /// as decided; see `prioritize`).
    fn undone(&self, first: &PackageName, package: &Package, range: &Ranges<Version>) -> bool {
        let first = Package::Dist(first.clone());
        let Some(version) = self
            .decided
            .borrow()
            .get(&first)
            .map(|decision| decision.version.clone())
        else {
            return false;
        };
        let expansions = self.reads.expansions.borrow();
        match expansions
            .get(&(first, version))
            .map(|expansion| &expansion.outcome)
        {
            Some(Outcome::Requires(dependencies)) => dependencies
                .iter()
                .any(|(dependency, asked)| dependency == package && !range.subset_of(asked)),
            _ => false,
        }
    }

    /// Counts, as uv does, each package these dependencies ask for at a
    /// version other than the one it is decided at (for an extra not
    /// decided, the one its base is decided at): the culprit of a
    /// conflict. At [`CONFLICT_THRESHOLD`] the culprit's name moves down
    /// to [`CULPRIT`], below packages that keep being ruled out, even from
    /// [`PINNED`] (it goes back up when a requirement pins it again). So
    /// `fsspec`, pinned through `fsspec[http]` and then decided at a
    /// version that every `datasets` walked down to rules out, comes after
    /// `datasets` once a backtrack undoes it, as in uv.
    fn demote_culprits(&self, dependencies: &[(Package, Ranges<Version>)]) {
        let decided = self.decided.borrow();
        let mut counts = self.culprit_counts.borrow_mut();
        for (package, range) in dependencies {
            let (other, decision) = match package {
                Package::Dist(other) => (other, decided.get(package)),
                Package::Extra(other, _) => (
                    other,
                    decided
                        .get(package)
                        .or_else(|| decided.get(&Package::Dist(other.clone()))),
                ),
                _ => continue,
            };
            if decision.is_none_or(|decision| range.contains(&decision.version)) {
                continue;
            }
            let count = counts.entry(package.clone()).or_insert(0);
            *count += 1;
            if *count == CONFLICT_THRESHOLD {
                let mut classes = self.classes.borrow_mut();
                let class = classes.entry(other.clone()).or_insert(CULPRIT);
                if *class != CONFLICTING {
                    *class = CULPRIT;
                }
            }
        }
    }

    /// Raises the class of `name` to `class` and returns its class: a name
    /// keeps the highest class it had (as uv keeps a name's priority; only
    /// [`Self::demote_culprits`] lowers it), so
    /// `fsspec`, pinned once by `fsspec[http]`, still comes before packages
    /// found earlier after a backtrack.
    fn raise_class(&self, name: &PackageName, class: u8) -> u8 {
        *self
            .classes
            .borrow_mut()
            .entry(name.clone())
            .and_modify(|kept| *kept = (*kept).max(class))
            .or_insert(class)
    }

    /// The conflicts of `package` as uv counts them: pubgrub counts a
    /// version that needs another Python twice (as the package rejected,
    /// and as the culprit of Python's rejection), uv once (three such
    /// versions of xgboost do not move it ahead of the packages found
    /// before it).
    fn conflicts(&self, package: &Package, statistics: &PackageResolutionStatistics) -> u32 {
        let python = self.python_conflicts.borrow().get(package).copied();
        statistics
            .conflict_count()
            .saturating_sub(python.unwrap_or(0))
    }

    /// Count a version of `package` that needs another Python: pubgrub
    /// counts it as two conflicts of the package, uv as one (see
    /// `conflicts`).
    fn count_python_conflict(&self, package: &Package) {
        *self
            .python_conflicts
            .borrow_mut()
            .entry(package.clone())
            .or_default() += 1;
    }

    /// Whether a `Requires-Python` (as a [`python_range`]) admits the
    /// target. When the target names no patch release (`3.9`), as uv: its
    /// lowest admitted version is at most the target and some release of
    /// the target's minor version is admitted, so `!=3.9.0,!=3.9.1,>=3.8` (cryptography 47)
    /// admits 3.9 and `!=3.9.0,!=3.9.1,>=3.9` (48) does not.
    fn python_allows(&self, range: &Ranges<Version>) -> bool {
        let target = &self.python;
        if self.options.python_version.release().len() > 2 {
            return range.contains(target);
        }
        let lowest_fits = match range.bounding_range().map(|(lower, _)| lower) {
            None => false,
            Some(Bound::Unbounded) => true,
            Some(Bound::Included(lower)) => lower <= target,
            Some(Bound::Excluded(lower)) => lower < target,
        };
        let release = target.release();
        let next_minor = Version::new([release[0], release.get(1).copied().unwrap_or(0) + 1]);
        lowest_fits
            && !range
                .intersection(&Ranges::between(target.clone(), next_minor))
                .is_empty()
    }

    /// Count a version chosen for `name`: a choice of another version than
    /// the one before is a backtrack. The same version chosen again, after
    /// a backtrack elsewhere undid it, is not (airflow on Python 3.9 undoes
    /// a few packages for each of hundreds of releases needing 3.10, and
    /// chooses them again at the same versions each time).
    fn count_choice(&self, name: &PackageName, version: &Version) {
        let mut choices = self.choices.borrow_mut();
        match choices.get_mut(name) {
            None => {
                choices.insert(name.clone(), (0, version.clone()));
            }
            Some((moves, last)) if last != version => {
                *moves += 1;
                *last = version.clone();
                self.backtracks.set(self.backtracks.get() + 1);
            }
            Some(_) => {}
        }
    }

    /// After a backtrack on `name`, the versions below `chosen` are likely
    /// next: start fetching the metadata of some of them, so that walking
    /// down the versions does not wait for one round trip per version. The
    /// batch doubles with each try (2, 4, ... up to
    /// [`PREFETCH_AFTER_BACKTRACK`]), so a package tried twice costs little
    /// and one walked down far does not wait. Versions in `range` come
    /// first; when it holds fewer, the batch goes on below it in order: a
    /// range as narrow as one version (botocore's, set by each boto3 walked
    /// down) moves down with the package that sets it.
    ///
    /// While the walk passes over versions that the root's requirements rule
    /// out (djangorestframework 3.18 asks for `django>=5` under a root
    /// `django<5`), the source reads on ahead to the first version they
    /// allow ([`PackageSource::ruled_out_by_root`]): the batch stops above
    /// it, and the step from `passed`, ruled out, to an allowed `chosen`
    /// fetches nothing, as the walk most likely ends there (if it goes on,
    /// the next step fetches the batch its steps have earned). Deciding
    /// waits for metadata the source is already reading only where the
    /// resolver reads it next anyway: `chosen`'s.
    ///
    /// A step from a version the target's Python cannot use (numpy 2.5 on
    /// Python 3.9, undone without its metadata being read) is no walk
    /// through dependencies: only the first version below that the target
    /// can use is fetched. Doubling there fetched 32 older numpy releases
    /// in each of a universal resolution's environments (1,150 requests
    /// of 1,270 for flask and numpy from Python 3.9).
    fn prefetch_older(
        &self,
        name: &PackageName,
        range: &Ranges<Version>,
        passed: &Version,
        chosen: &Version,
        tries: u64,
    ) {
        let batch = (1_usize << tries.min(8).saturating_sub(1)).min(PREFETCH_AFTER_BACKTRACK);
        if self.options.direct.contains_key(name) {
            return;
        }
        let ruled_out =
            |version: &Version, wait: bool| self.source.ruled_out_by_root(name, version, wait);
        let passed_ruled_out = ruled_out(passed, false) == Some(true);
        let chosen_ruled_out = ruled_out(chosen, passed_ruled_out);
        if passed_ruled_out && chosen_ruled_out == Some(false) {
            return;
        }
        let Ok(versions) = self.versions(name) else {
            return;
        };
        let needs_other_python = versions
            .versions
            .get(passed)
            .is_some_and(|info| !info.candidate_for(&self.python));
        let batch = if needs_other_python { 1 } else { batch };
        let below = || {
            versions
                .versions
                .range(..chosen.clone())
                .rev()
                .filter(|(_, info)| info.candidate_for(&self.python))
                .map(|(version, _)| version)
        };
        let mut older: Vec<Version> = below()
            .filter(|version| range.contains(version))
            .take(batch)
            .cloned()
            .collect();
        let missing = batch - older.len();
        older.extend(
            below()
                .filter(|version| !range.contains(version))
                .take(missing)
                .cloned(),
        );
        if chosen_ruled_out == Some(true)
            && let Some(allowed) = older
                .iter()
                .position(|version| ruled_out(version, false) == Some(false))
        {
            older.truncate(allowed);
        }
        self.source.prefetch_versions(name, &older);
    }

    /// The limit, once the backtracks went past it.
    fn backtracks_over_limit(&self) -> Option<u64> {
        self.options
            .max_backtracks
            .filter(|limit| self.backtracks.get() > *limit)
    }

    /// Up to `count` packages whose versions were chosen again most often, as `` `name` ``.
    fn most_retried(&self, count: usize) -> Vec<String> {
        let retries = self.retries();
        let mut retried: Vec<(&PackageName, u64)> = retries
            .packages
            .iter()
            .filter(|(_, retries)| **retries > 0)
            .map(|(name, retries)| (name, *retries))
            .collect();
        retried.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(b.0)));
        retried
            .into_iter()
            .take(count)
            .map(|(name, _)| format!("`{name}`"))
            .collect()
    }

    /// Notes the first time `name` is required (its place in the decision
    /// order) and hints the source to fetch it ahead, again when it is
    /// required with an extra not asked for before.
    fn discover(&self, name: &PackageName, extras: &[ExtraName], range: &Ranges<Version>) {
        let new_name = {
            let mut discovery = self.discovery.borrow_mut();
            let next = discovery.len();
            match discovery.entry(name.clone()) {
                std::collections::hash_map::Entry::Vacant(entry) => {
                    entry.insert(next);
                    if !extras.is_empty() {
                        self.extras_first.borrow_mut().insert(name.clone());
                    }
                    true
                }
                std::collections::hash_map::Entry::Occupied(_) => false,
            }
        };
        let new_extras: Vec<ExtraName> = {
            let mut discovered = self.discovered_extras.borrow_mut();
            extras
                .iter()
                .filter(|extra| discovered.insert((name.clone(), (*extra).clone())))
                .cloned()
                .collect()
        };
        if (!new_name && new_extras.is_empty()) || self.options.direct.contains_key(name) {
            return;
        }
        let hint = match self.options.preferences.get(name) {
            Some(preferred) if range.contains(preferred) => Ranges::singleton(preferred.clone()),
            _ => range.clone(),
        };
        self.source.prefetch(name, &new_extras, &hint);
    }

    /// What the root's requirements and constraints that apply to the
    /// target leave of each package they name with versions; not for a
    /// package with an override (which replaces every requirement on it) or
    /// a direct reference.
    fn root_bounds(&self) -> HashMap<PackageName, Ranges<Version>> {
        let mut bounds: HashMap<PackageName, Ranges<Version>> = HashMap::new();
        for root in self.requirements.iter().chain(self.constraints) {
            let requirement = &root.requirement;
            if self.overrides.contains_key(&requirement.name)
                || self.options.direct.contains_key(&requirement.name)
                || !requirement.marker.evaluate(&self.options.markers, &[])
            {
                continue;
            }
            if let Some(VersionOrUrl::VersionSpecifier(specifiers)) = &requirement.version_or_url {
                let bound = bounds
                    .entry(requirement.name.clone())
                    .or_insert_with(Ranges::full);
                *bound = bound.intersection(&specifiers_to_range(specifiers));
            }
        }
        bounds
    }

    /// Each constrained package with its constraint range and where the
    /// constraint was written (`` `lib<2` from constraints.txt:1 ``), for reports.
    fn constraint_labels(&self) -> HashMap<PackageName, (Ranges<Version>, String)> {
        let mut labels: HashMap<PackageName, (Ranges<Version>, String)> = HashMap::new();
        for (name, range) in &self.constraint_ranges {
            let written: Vec<String> = self
                .constraints
                .iter()
                .filter(|root| root.requirement.name == *name)
                .map(|root| {
                    format!(
                        "`{}` from {}",
                        requirement_text(&root.requirement),
                        root.origin
                    )
                })
                .collect();
            labels.insert(name.clone(), (range.clone(), written.join(" and ")));
        }
        labels
    }

    /// Where each root requirement that applies to the target was written,
    /// with the package and range it adds (an override's line when one
    /// replaces it), so that a report can name the lines behind "you require".
    fn root_origins(&self) -> Vec<(Package, Ranges<Version>, String)> {
        let mut origins = Vec::new();
        for root in self.requirements {
            let replacements: Vec<&RootRequirement> =
                match self.overrides.get(&root.requirement.name) {
                    Some(overrides) => overrides.clone(),
                    None => vec![root],
                };
            for written in replacements {
                let requirement = &written.requirement;
                if !requirement.marker.evaluate(&self.options.markers, &[]) {
                    continue;
                }
                let range = match &requirement.version_or_url {
                    None => Ranges::full(),
                    Some(VersionOrUrl::VersionSpecifier(specifiers)) => {
                        specifiers_to_range(specifiers)
                    }
                    Some(VersionOrUrl::Url(_)) => {
                        match self.options.direct.get(&requirement.name) {
                            Some(direct) => Ranges::singleton(direct.version.clone()),
                            None => continue,
                        }
                    }
                };
                let narrowed = match self.constraint_ranges.get(&requirement.name) {
                    Some(constraint) => range.intersection(constraint),
                    None => range.clone(),
                };
                let name = requirement.name.clone();
                origins.push((Package::Dist(name.clone()), range, written.origin.clone()));
                for extra in &requirement.extras {
                    origins.push((
                        Package::Extra(name.clone(), extra.clone()),
                        narrowed.clone(),
                        written.origin.clone(),
                    ));
                }
            }
        }
        origins
    }

    /// Versions of the packages seen so far that the cutoff hides (for hints).
    fn newer_than_cutoff(&self) -> HashMap<PackageName, Vec<Version>> {
        self.discovery
            .borrow()
            .keys()
            .filter_map(|name| {
                let versions = self.source.versions(name).ok()?;
                let hidden: Vec<Version> = versions.newer_than_cutoff.iter().cloned().collect();
                (!hidden.is_empty()).then(|| (name.clone(), hidden))
            })
            .collect()
    }

    /// Every version of every package seen so far, sorted (for reports).
    fn known_versions(&self) -> HashMap<PackageName, Vec<Version>> {
        self.discovery
            .borrow()
            .keys()
            .filter_map(|name| {
                let versions = self.versions(name).ok()?;
                Some((name.clone(), versions.versions.keys().cloned().collect()))
            })
            .collect()
    }

    /// Turn one requirement (whose marker already matched) into PubGrub dependencies.
    fn add_requirement(
        &self,
        requirement: &Requirement,
        dependencies: &mut Collected,
    ) -> Result<(), String> {
        let range = match &requirement.version_or_url {
            None => Ranges::full(),
            Some(VersionOrUrl::VersionSpecifier(specifiers)) => specifiers_to_range(specifiers),
            // The user's direct reference for the name wins (as in uv).
            Some(VersionOrUrl::Url(url)) => match self.options.direct.get(&requirement.name) {
                Some(direct) => Ranges::singleton(direct.version.clone()),
                None => {
                    return Err(format!(
                        "it depends on `{}` at a direct URL ({url}), which is only allowed when your requirements name `{}` by a URL or path too",
                        requirement.name, requirement.name
                    ));
                }
            },
        };
        // A constraint is a second, separate edge to the same package (not an
        // intersection), so that a conflict report can name the constraint.
        let constraint = self
            .constraint_ranges
            .get(&requirement.name)
            .filter(|constraint| **constraint != Ranges::full());
        let narrowed = constraint.map_or_else(
            || range.clone(),
            |constraint| range.intersection(constraint),
        );
        dependencies.discovered.push((
            requirement.name.clone(),
            requirement.extras.clone(),
            narrowed.clone(),
        ));
        if is_exact(&narrowed) {
            dependencies.pinned.push(requirement.name.clone());
        }
        dependencies.edges.push(ReadEdge {
            requirement: requirement.clone(),
            marker: requirement.marker.clone(),
        });
        dependencies
            .ranges
            .push((Package::Dist(requirement.name.clone()), range));
        if let Some(constraint) = constraint {
            dependencies
                .ranges
                .push((Package::Dist(requirement.name.clone()), constraint.clone()));
        }
        for extra in &requirement.extras {
            dependencies.ranges.push((
                Package::Extra(requirement.name.clone(), extra.clone()),
                narrowed.clone(),
            ));
        }
        Ok(())
    }

    /// The requirements that stand for `requirement` once the overrides are
    /// applied (as uv does): itself when no override names it, else every
    /// override on its name, keeping the requirement's `extra == "..."`.
    /// Each comes with the override's source (`None` for the requirement itself).
    fn with_overrides<'r>(
        &'r self,
        requirement: &'r Requirement,
    ) -> Vec<(Cow<'r, Requirement>, Option<&'r str>)> {
        let Some(overrides) = self.overrides.get(&requirement.name) else {
            return vec![(Cow::Borrowed(requirement), None)];
        };
        let extra = requirement.marker.top_level_extra();
        overrides
            .iter()
            .map(|root| {
                let replacement = match &extra {
                    None => Cow::Borrowed(&root.requirement),
                    Some(extra) => {
                        let mut marker = MarkerTree::expression(extra.clone());
                        marker.and(root.requirement.marker.clone());
                        Cow::Owned(Requirement {
                            marker,
                            ..root.requirement.clone()
                        })
                    }
                };
                (replacement, Some(root.source.as_str()))
            })
            .collect()
    }

    /// [`Self::add_requirement`], remembering the override it came from.
    fn add_overridden(
        &self,
        requirement: &Requirement,
        override_source: Option<&str>,
        dependencies: &mut Collected,
    ) -> Result<(), String> {
        self.add_requirement(requirement, dependencies)?;
        if let Some(source) = override_source.filter(|source| !source.is_empty()) {
            dependencies
                .overrides
                .push((requirement.name.clone(), source.to_string()));
        }
        Ok(())
    }

    /// The versions of `name`: the one of its direct reference, else the index's.
    fn versions(&self, name: &PackageName) -> Result<Arc<PackageVersions>, SourceError> {
        if let Some(direct) = self.options.direct.get(name) {
            return Ok(Arc::new(direct_versions(direct)));
        }
        if let Some(versions) = self.reads.versions.borrow().get(name) {
            return Ok(versions.clone());
        }
        let versions = self.source.versions(name)?;
        self.reads
            .versions
            .borrow_mut()
            .insert(name.clone(), versions.clone());
        Ok(versions)
    }

    fn prerelease_allowed(&self, name: &PackageName) -> bool {
        self.options.prereleases || self.explicit_prereleases.contains(name)
    }

    /// Pick the version to try next: the preference, else the newest stable
    /// version, else the newest pre-release ("if necessary"). As a last resort
    /// a yanked or unusable version is returned, so that its dependencies come
    /// back `Unavailable` with the reason, which then shows in the report.
    fn pick(
        &self,
        name: &PackageName,
        range: &Ranges<Version>,
    ) -> Result<Option<Version>, SourceError> {
        let versions = self.versions(name)?;
        let selectable =
            |version: &Version| self.unavailable_reason(name, version, &versions).is_none();
        if let Some(preferred) = self.options.preferences.get(name)
            && range.contains(preferred)
            && selectable(preferred)
        {
            return Ok(Some(preferred.clone()));
        }
        let allow_prerelease = self.prerelease_allowed(name);
        let mut prerelease = None;
        let mut ruled_out = None;
        let mut unavailable = None;
        for version in versions.versions.keys().rev() {
            if !range.contains(version) {
                continue;
            }
            if !selectable(version) {
                unavailable.get_or_insert(version);
                continue;
            }
            if version.any_prerelease() && !allow_prerelease {
                prerelease.get_or_insert(version);
                continue;
            }
            if self.pass_over_ruled_out && self.ruled_out_by_root(name, range, version, &versions) {
                ruled_out.get_or_insert(version);
                self.passed_over.set(true);
                continue;
            }
            return Ok(Some(version.clone()));
        }
        Ok(prerelease.or(ruled_out).or(unavailable).cloned())
    }

    /// Whether `name==version` asks for what the root's requirements rule
    /// out (see [`Self::root_bounds`]): no solution has that version, and
    /// [`Self::pick`] passes over it as pubgrub would after reading its
    /// dependencies. Its metadata is read here, as pubgrub would read it
    /// next anyway, so which versions are passed over does not hang on
    /// what was read when. Passing over them in one go spares pubgrub a
    /// conflict for each (the providers of `apache-airflow==2.10.*` pass
    /// over twenty releases asking for a newer airflow, again in each
    /// attempt of a resolution that restarts: `--offline` 101 → 83 ms).
    /// The explanation of a resolution with no solution is not the same,
    /// so that one is made again without passing over (see [`resolve`]).
    fn ruled_out_by_root(
        &self,
        name: &PackageName,
        range: &Ranges<Version>,
        version: &Version,
        versions: &PackageVersions,
    ) -> bool {
        if self.bounds.is_empty() || self.options.direct.contains_key(name) {
            return false;
        }
        // One the index says needs another Python is decided and undone
        // without its metadata being read (see `dependencies_of`).
        let needs_python = versions
            .versions
            .get(version)
            .and_then(|info| info.requires_python.as_ref())
            .is_some_and(|requires| !self.python_allows(&python_range(requires)));
        if needs_python {
            return false;
        }
        let key = (name.clone(), version.clone());
        if let Some(known) = self.reads.ruled_out.borrow().get(&key) {
            return *known;
        }
        let asked = std::time::Instant::now();
        let ruled_out = match self.source.metadata(name, version) {
            Ok(Ok(metadata)) => metadata.asks_outside(&self.bounds, &self.options.markers, &[]),
            _ => false,
        };
        let waited = asked.elapsed() >= SLOW_READ;
        self.reads.ruled_out.borrow_mut().insert(key, ruled_out);
        if ruled_out {
            // Maybe a walk past several: read the next ones ahead, a few,
            // more for each one the walk waited for (the source runs ahead
            // past them too, and stops at the first that fits). sagemaker
            // under `boto3<1.34` passes over 30 releases whose wheels take
            // two requests each: two at a time, that took 3.7 s of a 5.3 s
            // run. Read from the cache, more only costs time: airflow with
            // three providers `--offline` took 67 → 85 ms reading 32 ahead.
            let waits = {
                let mut counts = self.reads.waited_passing_over.borrow_mut();
                let count = counts.entry(name.clone()).or_default();
                *count += u32::from(waited);
                *count
            };
            let read_ahead = PASS_OVER_READ_AHEAD << waits.min(PASS_OVER_DOUBLINGS);
            let below: Vec<Version> = versions
                .versions
                .range(..version.clone())
                .rev()
                .filter(|(older, info)| range.contains(older) && info.candidate_for(&self.python))
                .map(|(older, _)| older.clone())
                .take(read_ahead)
                .collect();
            self.source.prefetch_versions(name, &below);
        }
        ruled_out
    }

    /// The newest version of `name` the target could use, whatever the
    /// requirements ask (`upgrade` names it when a package is held back):
    /// a pre-release only when there is nothing else or they are allowed.
    /// Versions whose `Requires-Python` (as the index gives it) excludes the
    /// target are no option, not a hold-back. Read from the newest down, so
    /// a project with thousands of releases costs one or two.
    fn newest_installable(&self, name: &PackageName) -> Option<Version> {
        let versions = self.versions(name).ok()?;
        let allow_prerelease = self.prerelease_allowed(name);
        let mut prerelease = None;
        for (version, info) in versions.versions.iter().rev() {
            let python_allowed = info
                .requires_python
                .as_ref()
                .is_none_or(|requires| self.python_allows(&python_range(requires)));
            if !python_allowed || self.unavailable_reason(name, version, &versions).is_some() {
                continue;
            }
            if version.any_prerelease() && !allow_prerelease {
                prerelease.get_or_insert(version);
                continue;
            }
            return Some(version.clone());
        }
        prerelease.cloned()
    }

    /// Why `name==version` can't be used, before looking at its metadata.
    fn unavailable_reason(
        &self,
        name: &PackageName,
        version: &Version,
        versions: &PackageVersions,
    ) -> Option<String> {
        let info = versions.versions.get(version)?;
        if let Some(reason) = &info.unusable {
            return Some(reason.clone());
        }
        let yank_allowed = self
            .allowed_yanked
            .get(name)
            .is_some_and(|allowed| allowed.contains(version));
        match &info.yanked {
            Some(reason) if !yank_allowed && reason.is_empty() => Some("it was yanked".to_string()),
            Some(reason) if !yank_allowed => Some(format!("it was yanked (reason: {reason})")),
            _ => None,
        }
    }

    /// The dependencies of `package==version` for PubGrub, from what was
    /// read of it in this attempt or an earlier one (see [`Reads`]), with
    /// what reading them tells the provider: the packages found, those
    /// pinned, and, against what is decided now, the culprits.
    fn dependencies_of(
        &self,
        package: &Package,
        version: &Version,
    ) -> Result<Dependencies<Package, Ranges<Version>, String>, SourceError> {
        let key = (package.clone(), version.clone());
        let read = self.reads.expansions.borrow().get(&key).cloned();
        let expansion = match read {
            Some(expansion) => expansion,
            None => {
                let expansion = Rc::new(self.expand(package, version)?);
                self.reads
                    .expansions
                    .borrow_mut()
                    .insert(key, expansion.clone());
                expansion
            }
        };
        for (name, extras, range) in &expansion.discovered {
            self.discover(name, extras, range);
        }
        for name in &expansion.pinned {
            self.raise_class(name, PINNED);
        }
        let ranges = match &expansion.outcome {
            Outcome::Unavailable(reason) => return Ok(Dependencies::Unavailable(reason.clone())),
            Outcome::NeedsPython(range) => {
                self.count_python_conflict(package);
                return Ok(Dependencies::Available(
                    [(Package::Python, range.clone())].into_iter().collect(),
                ));
            }
            Outcome::Requires(ranges) => ranges,
        };
        if let Some(name) = package.name() {
            self.demote_culprits(ranges);
            self.note_culprits(name, ranges)?;
        }
        Ok(Dependencies::Available(ranges.iter().cloned().collect()))
    }

    /// Reads what `package==version` asks for: the same in every attempt.
    fn expand(&self, package: &Package, version: &Version) -> Result<Expansion, SourceError> {
        let mut collected = Collected::default();
        let (name, extra): (&PackageName, Option<&ExtraName>) = match package {
            Package::Python => {
                return Ok(collected.into_expansion(Outcome::Requires(Vec::new())));
            }
            Package::Root => {
                for root in self.requirements {
                    for (requirement, source) in self.with_overrides(&root.requirement) {
                        if requirement.marker.evaluate(&self.options.markers, &[]) {
                            self.add_overridden(&requirement, source, &mut collected)
                                .map_err(SourceError::from)?;
                        }
                    }
                }
                return Ok(collected.into_requires(package));
            }
            Package::Dist(name) => (name, None),
            Package::Extra(name, extra) => (name, Some(extra)),
        };

        let versions = self.versions(name)?;
        if let Some(reason) = self.unavailable_reason(name, version, &versions) {
            return Ok(collected.into_expansion(Outcome::Unavailable(reason)));
        }
        // The index may already tell that the target's Python is too old
        // or too new. Such a version depends on Python alone (as in uv):
        // the resolver decides it, fails to decide Python and backtracks to
        // where the package was first asked for, and the decisions after
        // that are made again.
        if let Some(requires_python) = versions
            .versions
            .get(version)
            .and_then(|info| info.requires_python.as_ref())
        {
            let range = python_range(requires_python);
            if !self.python_allows(&range) {
                return Ok(collected.into_expansion(Outcome::NeedsPython(range)));
            }
        }

        let metadata = match self.options.direct.get(name) {
            Some(direct) => Ok(direct.metadata.clone()),
            None => self.source.metadata(name, version)?,
        };
        let metadata = match metadata {
            Ok(metadata) => metadata,
            Err(reason) => return Ok(collected.into_expansion(Outcome::Unavailable(reason))),
        };
        // A Requires-Python only the metadata gives, which the target does
        // not meet, makes the version unusable without deciding it (as in
        // uv: nothing is undone, unlike a Requires-Python on the index).
        if let Some(requires_python) = &metadata.requires_python {
            let range = python_range(requires_python);
            if !self.python_allows(&range) {
                let reason = needs_python(&range, &self.options.python_version);
                return Ok(collected.into_expansion(Outcome::Unavailable(reason)));
            }
        }
        let outcome = match extra {
            None => self.dist_dependencies(&metadata, &mut collected),
            Some(extra) => {
                collected.pinned.push(name.clone());
                collected.ranges.push((
                    Package::Dist(name.clone()),
                    Ranges::singleton(version.clone()),
                ));
                self.extra_dependencies(name, version, extra, &metadata, &mut collected)
            }
        };
        Ok(match outcome {
            Ok(()) => collected.into_requires(package),
            Err(reason) => collected.into_expansion(Outcome::Unavailable(reason)),
        })
    }

    fn dist_dependencies(
        &self,
        metadata: &Metadata,
        collected: &mut Collected,
    ) -> Result<(), String> {
        for requirement in metadata.requirements(&[])? {
            for (requirement, source) in self.with_overrides(requirement) {
                if requirement.marker.evaluate(&self.options.markers, &[]) {
                    self.add_overridden(&requirement, source, collected)?;
                }
            }
        }
        Ok(())
    }

    fn extra_dependencies(
        &self,
        name: &PackageName,
        version: &Version,
        extra: &ExtraName,
        metadata: &Metadata,
        collected: &mut Collected,
    ) -> Result<(), String> {
        let markers = &self.options.markers;
        let mut mentioned = metadata.provides_extra.contains(extra);
        let only_with_extra = |requirement: &Requirement| {
            requirement
                .marker
                .evaluate(markers, std::slice::from_ref(extra))
                && !requirement.marker.evaluate(markers, &[])
        };
        for requirement in metadata.requirements(std::slice::from_ref(extra))? {
            mentioned |= only_with_extra(requirement);
            for (requirement, source) in self.with_overrides(requirement) {
                if only_with_extra(&requirement) {
                    self.add_overridden(&requirement, source, collected)?;
                }
            }
        }
        if !mentioned {
            collected.warning = Some(format!(
                "The package `{name}=={version}` does not have an extra named `{extra}`{}",
                extra_suggestion(extra, &metadata.provides_extra)
            ));
        }
        Ok(())
    }

    /// Build the pinned set with `# via` edges from PubGrub's selection.
    fn resolution(&self, selected: &pubgrub::SelectedDependencies<Package, Version>) -> Resolution {
        let mut packages: BTreeMap<PackageName, ResolvedPackage> = BTreeMap::new();
        for (package, version) in selected.iter() {
            if let Package::Dist(name) = package {
                let newest = self.newest_installable(name);
                packages.insert(
                    name.clone(),
                    ResolvedPackage {
                        name: name.clone(),
                        version: version.clone(),
                        required_by: BTreeSet::new(),
                        sources: BTreeSet::new(),
                        extras: BTreeSet::new(),
                        dependencies: Vec::new(),
                        newest,
                    },
                );
            }
        }
        let expansions = self.reads.expansions.borrow();
        let read = |package: &Package, version: &Version| {
            expansions
                .get(&(package.clone(), version.clone()))
                .map(Rc::clone)
        };
        let mut ordered: Vec<(&Package, &Version)> = selected.iter().collect();
        ordered.sort();
        for (package, version) in ordered {
            let Some(parent) = package.name() else {
                continue;
            };
            for edge in read(package, version)
                .iter()
                .flat_map(|expansion| &expansion.edges)
            {
                if let Some(resolved) = packages.get_mut(&edge.requirement.name) {
                    resolved.required_by.insert(parent.clone());
                }
                let edge = edge.to_edge();
                if let Some(resolved) = packages.get_mut(parent)
                    && !resolved.dependencies.contains(&edge)
                {
                    resolved.dependencies.push(edge);
                }
            }
        }
        let roots: Vec<RootRequirement> = self
            .requirements
            .iter()
            .chain(self.constraints)
            .filter(|root| root.requirement.marker.evaluate(&self.options.markers, &[]))
            .cloned()
            .collect();
        for root in &roots {
            if let Some(resolved) = packages.get_mut(&root.requirement.name)
                && !root.source.is_empty()
            {
                resolved.sources.insert(root.source.clone());
            }
        }
        for (package, version) in selected.iter() {
            if let Package::Extra(name, extra) = package
                && let Some(resolved) = packages.get_mut(name)
            {
                resolved.extras.insert(extra.clone());
            }
            for (name, source) in read(package, version)
                .iter()
                .flat_map(|expansion| &expansion.overrides)
            {
                if let Some(resolved) = packages.get_mut(name) {
                    resolved.sources.insert(source.clone());
                }
            }
        }
        let mut warnings = BTreeSet::new();
        for (package, version) in selected.iter() {
            if let Some(warning) = read(package, version).and_then(|read| read.warning.clone()) {
                warnings.insert(warning);
            }
            if let Package::Dist(name) = package
                && let Ok(versions) = self.versions(name)
                && let Some(reason) = versions
                    .versions
                    .get(version)
                    .and_then(|info| info.yanked.as_ref())
            {
                warnings.insert(if reason.is_empty() {
                    format!("`{name}=={version}` is yanked")
                } else {
                    format!("`{name}=={version}` is yanked (reason: {reason})")
                });
            }
        }
        let root_dependencies = expansions
            .iter()
            .filter(|((package, _), _)| *package == Package::Root)
            .flat_map(|(_, expansion)| expansion.edges.iter().map(ReadEdge::to_edge))
            .collect();
        Resolution {
            packages: packages.into_values().collect(),
            roots,
            root_dependencies,
            warnings: warnings.into_iter().collect(),
        }
    }
}

/// Overrides applied to the requirements of one (package, version): the
/// overridden name and the override's source.
type OverrideUses = Vec<(PackageName, String)>;

/// A requirement edge as read: its text is written for the selected
/// versions only (most versions read are not selected).
struct ReadEdge {
    requirement: Requirement,
    /// The edge's marker (see [`Edge::marker`]).
    marker: MarkerTree,
}

impl ReadEdge {
    fn to_edge(&self) -> Edge {
        Edge {
            name: self.requirement.name.clone(),
            requirement: requirement_text(&self.requirement),
            marker: self.marker.clone(),
        }
    }
}

/// A version the resolver chose for a package; `forced` when the range
/// left it no other.
struct Decision {
    version: Version,
    forced: bool,
}

/// What the attempts of one resolution read, kept when it starts again
/// (see `Provider::note_culprits`): a restart asks for the versions and
/// dependencies of mostly the same packages again (airflow's second and
/// third attempts redo most of the first's 130 decisions and backtracks).
#[derive(Default)]
struct Reads {
    versions: RefCell<HashMap<PackageName, Arc<PackageVersions>>>,
    expansions: RefCell<HashMap<(Package, Version), Rc<Expansion>>>,
    /// Whether each version checked asks for what the root's bounds rule
    /// out (see `Provider::ruled_out_by_root`).
    ruled_out: RefCell<HashMap<(PackageName, Version), bool>>,
    /// How many versions of each package found ruled out were waited for
    /// (see [`SLOW_READ`]).
    waited_passing_over: RefCell<HashMap<PackageName, u32>>,
}

impl Reads {
    fn has_expanded(&self, package: &Package, version: &Version) -> bool {
        self.expansions
            .borrow()
            .contains_key(&(package.clone(), version.clone()))
    }
}

/// What one (package, version) asks for, read from its metadata once.
struct Expansion {
    /// The packages its requirements name, in order, with their extras and
    /// ranges (for `Provider::discover`).
    discovered: Vec<(PackageName, Vec<ExtraName>, Ranges<Version>)>,
    /// The names it asks for at exactly one version.
    pinned: Vec<PackageName>,
    outcome: Outcome,
    /// Its requirement edges, for `# via`.
    edges: Vec<ReadEdge>,
    overrides: OverrideUses,
    /// Reported if it ends up selected.
    warning: Option<String>,
}

enum Outcome {
    /// It can't be used, and why.
    Unavailable(String),
    /// Its `Requires-Python` on the index, which the target does not meet:
    /// it depends on Python alone.
    NeedsPython(Ranges<Version>),
    Requires(Vec<(Package, Ranges<Version>)>),
}

/// Dependencies of one (package, version) being collected.
#[derive(Default)]
struct Collected {
    ranges: Vec<(Package, Ranges<Version>)>,
    edges: Vec<ReadEdge>,
    overrides: OverrideUses,
    discovered: Vec<(PackageName, Vec<ExtraName>, Ranges<Version>)>,
    pinned: Vec<PackageName>,
    warning: Option<String>,
}

impl Collected {
    /// The expansion of `package` with its requirements as collected: the
    /// ranges for PubGrub, the edges (those on itself left out; an extra's
    /// markers with the extra taken as true) for `# via`.
    fn into_requires(mut self, package: &Package) -> Expansion {
        let ranges = std::mem::take(&mut self.ranges);
        let edges = std::mem::take(&mut self.edges)
            .into_iter()
            .filter(|edge| Some(&edge.requirement.name) != package.name())
            .map(|mut edge| {
                if let Package::Extra(_, extra) = package {
                    edge.marker = edge.marker.simplify_extras(std::slice::from_ref(extra));
                }
                edge
            })
            .collect();
        let overrides = std::mem::take(&mut self.overrides);
        Expansion {
            edges,
            overrides,
            ..self.into_expansion(Outcome::Requires(ranges))
        }
    }

    /// The expansion with `outcome` (no edges: those are for `# via`, and
    /// only a version with its requirements read can be selected).
    fn into_expansion(self, outcome: Outcome) -> Expansion {
        Expansion {
            discovered: self.discovered,
            pinned: self.pinned,
            outcome,
            edges: Vec::new(),
            overrides: Vec::new(),
            warning: self.warning,
        }
    }
}

/// The one version of a direct reference, as the index would describe it.
fn direct_versions(direct: &DirectDist) -> PackageVersions {
    let info = VersionInfo {
        yanked: None,
        unusable: direct.unusable.clone(),
        requires_python: None,
    };
    PackageVersions {
        versions: [(direct.version.clone(), info)].into_iter().collect(),
        ..PackageVersions::default()
    }
}

/// "; did you mean `x`?" for a close extra, else the extras there are.
fn extra_suggestion(wanted: &ExtraName, offered: &[ExtraName]) -> String {
    if offered.is_empty() {
        return String::new();
    }
    let closest = offered
        .iter()
        .map(|extra| (edit_distance(wanted.as_ref(), extra.as_ref()), extra))
        .min();
    match closest {
        Some((distance, extra)) if distance <= 2 => format!("; did you mean `{extra}`?"),
        _ => {
            let mut names: Vec<&str> = offered.iter().map(AsRef::as_ref).collect();
            names.sort_unstable();
            names.dedup();
            format!(" (it has: {})", names.join(", "))
        }
    }
}

/// Levenshtein distance, for suggestions.
fn edit_distance(left: &str, right: &str) -> usize {
    let right: Vec<char> = right.chars().collect();
    let mut previous: Vec<usize> = (0..=right.len()).collect();
    for (row, left_char) in left.chars().enumerate() {
        let mut current = vec![row + 1];
        for (column, right_char) in right.iter().enumerate() {
            let substitution = previous[column] + usize::from(left_char != *right_char);
            current.push(
                substitution
                    .min(previous[column + 1] + 1)
                    .min(current[column] + 1),
            );
        }
        previous = current;
    }
    previous[right.len()]
}

/// `name[extras]specifiers`, without the marker.
fn requirement_text(requirement: &Requirement) -> String {
    let mut text = requirement.name.to_string();
    if !requirement.extras.is_empty() {
        let extras: Vec<String> = requirement.extras.iter().map(ToString::to_string).collect();
        text.push_str(&format!("[{}]", extras.join(",")));
    }
    if let Some(VersionOrUrl::VersionSpecifier(specifiers)) = &requirement.version_or_url {
        let specifiers: Vec<String> = specifiers.iter().map(ToString::to_string).collect();
        text.push_str(&specifiers.join(","));
    }
    text
}

/// A [`SourceError`] in the shape PubGrub needs (`Box<dyn Error>` is not an `Error`).
#[derive(Debug)]
pub struct ProviderError(SourceError);

impl std::fmt::Display for ProviderError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

impl std::error::Error for ProviderError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.0.source()
    }
}

/// `Requires-Python` as a range of interpreter release versions.
fn python_range(requires_python: &VersionSpecifiers) -> Ranges<Version> {
    pep440_rs::release_specifiers_to_ranges(requires_python.clone())
}

/// Decision order: the root and Python first, then exact pins, then packages
/// that keep conflicting, then those that keep ruling others out, then the
/// order in which packages were discovered
/// (a package a restart moves goes just before the one that ruled it out).
/// An extra goes just before its base package so the base follows its version.
type Priority = (u8, Reverse<usize>, u8);

const CONFLICT_THRESHOLD: u32 = 5;

// The classes of a package's priority, lowest first (after uv's): the
// higher class is decided first, and within one the earlier found.

/// The culprit of a restart while the package to go before it is not
/// found yet (see `Provider::prioritize`).
const DEFERRED: u8 = 0;
/// Nothing known against it yet.
const PLAIN: u8 = 1;
/// Decided often at a version others' dependencies ruled out (see
/// `Provider::demote_culprits`).
const CULPRIT: u8 = 2;
/// Involved in many conflicts (see `Provider::conflicts`).
const CONFLICTING: u8 = 3;
/// Some requirement asked for exactly one version (`==1.2`, an extra's
/// own version of its package).
const PINNED: u8 = 4;
/// Named by a direct reference (a URL or path).
const DIRECT: u8 = 5;

/// An extra goes just before its base package.
fn tiebreak_of(package: &Package) -> u8 {
    u8::from(matches!(package, Package::Extra(..)))
}

/// At most this many restarts with a package moved.
const MAX_RESTARTS: usize = 8;

impl<S: PackageSource> DependencyProvider for Provider<'_, S> {
    type P = Package;
    type V = Version;
    type VS = Ranges<Version>;
    type M = String;
    type Priority = Priority;
    type Err = ProviderError;

    fn prioritize(
        &self,
        package: &Package,
        range: &Ranges<Version>,
        statistics: &PackageResolutionStatistics,
    ) -> Priority {
        let name = match package {
            Package::Root | Package::Python => return (u8::MAX, Reverse(0), 0),
            Package::Dist(name) | Package::Extra(name, _) => name,
        };
        self.decided.borrow_mut().remove(package);
        let class = if self.options.direct.contains_key(name) {
            DIRECT
        } else if self.conflicts(package, statistics) >= CONFLICT_THRESHOLD {
            CONFLICTING
        } else {
            PLAIN
        };
        let mut class = self.raise_class(name, class);
        let discovery = self.discovery.borrow();
        let discovered = |name| discovery.get(name).copied().unwrap_or(usize::MAX);
        let mut place = discovered(name);
        // A restart's culprit waits while the package to be decided before
        // it is not found yet: python-dateutil, found through celery at
        // once, decided at 3.0 before botocore, found only through kombu's
        // extra and boto3, made botocore (which asks for `<3`) and boto3
        // walk down all 832 of their versions in step (5 s of a resolution
        // `--offline`, uv's 0.3 s). uv backtracks to the culprit's decision
        // and then decides it late; waiting does as much here. It waits
        // too once a backtrack undid the other, when nothing asks for it
        // again yet (so that it is not waiting to be decided, and goes
        // just before): a `django` that sentry-sdk's extra rules out undid
        // boto3 and botocore, 3.0 was decided first again, and the walk
        // came back (1.1 s `--offline`; 20 ms waiting).
        if self.early.iter().any(|(first, culprit)| {
            culprit == name
                && (!discovery.contains_key(first) || self.undone(first, package, range))
        }) {
            return (DEFERRED, Reverse(place), tiebreak_of(package));
        }
        let mut tiebreak = tiebreak_of(package);
        // Just before the package that kept ruling it out.
        if let Some(culprit) = self.early.get(name) {
            let culprit_class = self.classes.borrow().get(culprit).copied().unwrap_or(PLAIN);
            if (culprit_class, Reverse(discovered(culprit))) > (class, Reverse(place)) {
                class = culprit_class;
                place = discovered(culprit);
                tiebreak = 2;
            }
        }
        (class, Reverse(place), tiebreak)
    }

    fn choose_version(
        &self,
        package: &Package,
        range: &Ranges<Version>,
    ) -> Result<Option<Version>, ProviderError> {
        match package {
            Package::Root => Ok(Some(Version::new([0]))),
            Package::Python => Ok(range.contains(&self.python).then(|| self.python.clone())),
            // An extra walks down in step with its package: whichever is
            // decided first goes lower, and its older versions are fetched.
            Package::Dist(name) | Package::Extra(name, _) => {
                let chosen = self.pick(name, range).map_err(ProviderError)?;
                if let Some(version) = &chosen {
                    if matches!(package, Package::Dist(_)) {
                        self.count_choice(name, version);
                    }
                    // A version forced on it is not for a restart to move.
                    {
                        self.decided.borrow_mut().insert(
                            package.clone(),
                            Decision {
                                version: version.clone(),
                                forced: is_exact(range),
                            },
                        );
                        if matches!(package, Package::Extra(..)) {
                            self.extras_decided.borrow_mut().insert(package.clone());
                        }
                    }
                    // Chosen again at the same version (after a backtrack
                    // elsewhere) is no walk down: nothing older is fetched.
                    let steps_down = {
                        let mut lowest = self.lowest_chosen.borrow_mut();
                        let entry = lowest
                            .entry(name.clone())
                            .or_insert_with(|| (version.clone(), 0));
                        if *version < entry.0 {
                            let passed = std::mem::replace(&mut entry.0, version.clone());
                            entry.1 += 1;
                            Some((entry.1 + 1, passed))
                        } else {
                            None
                        }
                    };
                    // A walk an earlier attempt took (read) fetched ahead then.
                    if let Some((tries, passed)) = steps_down
                        && !self.reads.has_expanded(package, version)
                    {
                        self.prefetch_older(name, range, &passed, version, tries);
                    }
                }
                Ok(chosen)
            }
        }
    }

    fn should_cancel(&self) -> Result<(), ProviderError> {
        match self.backtracks_over_limit() {
            Some(limit) => Err(ProviderError(
                format!("gave up after {limit} backtracks").into(),
            )),
            None => Ok(()),
        }
    }

    fn get_dependencies(
        &self,
        package: &Package,
        version: &Version,
    ) -> Result<Dependencies<Package, Ranges<Version>, String>, ProviderError> {
        self.dependencies_of(package, version)
            .map_err(ProviderError)
    }
}

#[cfg(test)]
mod tests {
    use std::str::FromStr;

    use super::*;

    fn extras(names: &[&str]) -> Vec<ExtraName> {
        names
            .iter()
            .map(|name| ExtraName::from_str(name).expect("extra"))
            .collect()
    }

    #[test]
    fn missing_extras_get_a_suggestion() {
        let wanted = ExtraName::from_str("sockss").expect("extra");
        assert_eq!(
            extra_suggestion(&wanted, &extras(&["socks", "security"])),
            "; did you mean `socks`?"
        );
        let wanted = ExtraName::from_str("nope").expect("extra");
        assert_eq!(
            extra_suggestion(&wanted, &extras(&["zeta", "alpha"])),
            " (it has: alpha, zeta)"
        );
        assert_eq!(extra_suggestion(&wanted, &[]), "");
        assert_eq!(edit_distance("kitten", "sitting"), 3);
    }
}
