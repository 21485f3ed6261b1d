//! Human-readable explanations of why no solution exists.

use std::collections::{HashMap, HashSet};
use std::ops::Bound;
use std::str::FromStr;
use std::sync::Arc;

use pep440_rs::Version;
use pubgrub::{
    DefaultStringReporter, DerivationTree, Derived, External, Map, Ranges, ReportFormatter,
    Reporter, Term,
};

use pep508_rs::PackageName;

use crate::package::Package;
use crate::specifiers::{is_exact, successor};

type Tree = DerivationTree<Package, Ranges<Version>, String>;

/// What a report needs to know besides the derivation tree.
pub(crate) struct ReportContext {
    /// The target interpreter.
    pub python: Version,
    /// The versions of each package that exist, so that ranges can be shown
    /// in their shortest form (`>=7.0` rather than every version one by one).
    pub known: HashMap<PackageName, Vec<Version>>,
    /// Constrained packages: the constraint's range and where it was written.
    pub constraints: HashMap<PackageName, (Ranges<Version>, String)>,
    /// Versions hidden by the `--exclude-newer` cutoff.
    pub newer_than_cutoff: HashMap<PackageName, Vec<Version>>,
    /// Root requirements: the package and range each adds, and the line it
    /// was written on (`requirements.in:3`).
    pub roots: Vec<(Package, Ranges<Version>, String)>,
    /// Close names of packages no index has (`requests` for `reqests`).
    pub similar: HashMap<PackageName, Vec<PackageName>>,
}

/// Explain a failed resolution in PEP 440 terms ("you require", "depends on").
pub(crate) fn report_no_solution(tree: &Tree, context: &ReportContext) -> String {
    let known = &context.known;
    let formatter = Formatter {
        python: context.python.clone(),
        missing: known
            .iter()
            .filter(|(_, versions)| versions.is_empty())
            .map(|(name, _)| name.clone())
            .collect(),
        constraints: context
            .constraints
            .iter()
            .map(|(name, (range, label))| {
                let package = Package::Dist(name.clone());
                (
                    name.clone(),
                    (simplify(&package, range, known), label.clone()),
                )
            })
            .collect(),
        roots: context
            .roots
            .iter()
            .map(|(package, range, origin)| {
                (
                    package.clone(),
                    simplify(package, range, known),
                    origin.clone(),
                )
            })
            .collect(),
    };
    let tree = simplify_tree(tree, known);
    DefaultStringReporter::report_with_formatter(&tree, &formatter)
}

/// `hint:` lines for the usual causes of a failed resolution.
pub(crate) fn hints(tree: &Tree, context: &ReportContext) -> Vec<String> {
    let (python, known) = (&context.python, &context.known);
    let mut externals = Vec::new();
    collect_externals(tree, &mut externals);
    let mut hints = Vec::new();
    for external in &externals {
        let hint = match *external {
            External::FromDependencyOf(package, range, Package::Python, python_range)
                if !python_range.contains(python) =>
            {
                Some(python_hint(
                    package_range(package, &simplify(package, range, known)),
                    &format_range(python_range),
                    python,
                ))
            }
            External::Custom(package, range, reason) if needed_python(reason).is_some() => {
                Some(python_hint(
                    package_range(package, &simplify(package, range, known)),
                    needed_python(reason).unwrap_or_default(),
                    python,
                ))
            }
            External::NoVersions(Package::Dist(name) | Package::Extra(name, _), _)
                if known.get(name).is_some_and(Vec::is_empty) =>
            {
                Some(match context.similar.get(name).map(Vec::as_slice) {
                    None | Some([]) => format!(
                        "no index has a package named `{name}`: check the spelling, or add the index that has it with `--extra-index-url`"
                    ),
                    Some(similar) => format!(
                        "no index has a package named `{name}`: did you mean {}? If not, add the index that has it with `--extra-index-url`",
                        alternatives(similar)
                    ),
                })
            }
            // Only where no version fits: a hidden version inside a
            // dependency's range may still conflict with something else.
            External::NoVersions(Package::Dist(name) | Package::Extra(name, _), range)
                if context
                    .newer_than_cutoff
                    .get(name)
                    .is_some_and(|hidden| hidden.iter().any(|version| range.contains(version))) =>
            {
                let hidden: Vec<String> = context.newer_than_cutoff[name]
                    .iter()
                    .filter(|version| range.contains(version))
                    .map(ToString::to_string)
                    .collect();
                let (verb, pronoun) = if hidden.len() == 1 {
                    ("was", "it")
                } else {
                    ("were", "them")
                };
                Some(format!(
                    "{name} {} would fit but {verb} uploaded after the `--exclude-newer` cutoff: move the cutoff to use {pronoun}",
                    hidden.join(", ")
                ))
            }
            External::Custom(package, _, reason) if reason.contains("`--only-binary` forbids") => {
                Some(format!(
                    "{package} has no wheel for the target and `--only-binary` forbids building it: leave it out of `--only-binary`, or allow another version"
                ))
            }
            External::Custom(package, _, reason) if reason.contains("no wheel for the target") => {
                let newest = newest_wheels(&externals, package)
                    .map(|(version, wheels)| format!(" (the newest, {version}, has {wheels})"))
                    .unwrap_or_default();
                Some(format!(
                    "{package} has no file for the target: compile for a Python (`--python-version`) or platform (`--python-platform`) its wheels are built for{newest}, or allow another version"
                ))
            }
            External::Custom(package, _, reason) if reason.contains("was yanked") => Some(format!(
                "yanked versions of {package} are skipped; to use one anyway, pin it with `==` in your requirements"
            )),
            _ => None,
        };
        if let Some(hint) = hint
            && !hints.contains(&hint)
        {
            hints.push(hint);
        }
    }
    hints
}

/// The packages of the explanation that no index has, sorted.
pub(crate) fn missing_names(tree: &Tree, context: &ReportContext) -> Vec<PackageName> {
    let mut externals = Vec::new();
    collect_externals(tree, &mut externals);
    let mut names: Vec<PackageName> = externals
        .into_iter()
        .filter_map(|external| match external {
            External::NoVersions(Package::Dist(name) | Package::Extra(name, _), _)
                if context.known.get(name).is_some_and(Vec::is_empty) =>
            {
                Some(name.clone())
            }
            _ => None,
        })
        .collect();
    names.sort();
    names.dedup();
    names
}

fn collect_externals<'t>(
    tree: &'t Tree,
    out: &mut Vec<&'t External<Package, Ranges<Version>, String>>,
) {
    match tree {
        DerivationTree::External(external) => out.push(external),
        DerivationTree::Derived(derived) => {
            collect_externals(&derived.cause1, out);
            collect_externals(&derived.cause2, out);
        }
    }
}

/// `` `a` ``, `` `a` or `b` ``, `` `a`, `b` or `c` ``.
fn alternatives(names: &[PackageName]) -> String {
    let quoted: Vec<String> = names.iter().map(|name| format!("`{name}`")).collect();
    match quoted.split_last() {
        Some((last, [])) => last.clone(),
        Some((last, rest)) => format!("{} or {last}", rest.join(", ")),
        None => String::new(),
    }
}

/// Shorten ranges and fold chains of "version X is unusable for reason R"
/// into one statement per package and reason.
fn simplify_tree(tree: &Tree, known: &HashMap<PackageName, Vec<Version>>) -> Tree {
    match tree {
        DerivationTree::External(external) => {
            DerivationTree::External(simplify_external(external, known))
        }
        DerivationTree::Derived(derived) => {
            let cause1 = simplify_tree(&derived.cause1, known);
            let cause2 = simplify_tree(&derived.cause2, known);
            if let Some(collapsed) = collapse_dependency_chain(derived, &cause1, &cause2) {
                return DerivationTree::External(simplify_external(&collapsed, known));
            }
            if let Some(grouped) = group_unusable(derived, &cause1, &cause2, known) {
                return grouped;
            }
            DerivationTree::Derived(Derived {
                terms: derived
                    .terms
                    .iter()
                    .map(|(package, term)| {
                        let term = match term {
                            Term::Positive(range) => {
                                Term::Positive(simplify(package, range, known))
                            }
                            Term::Negative(range) => {
                                Term::Negative(simplify(package, range, known))
                            }
                        };
                        (package.clone(), term)
                    })
                    .collect(),
                shared_id: derived.shared_id,
                cause1: Arc::new(cause1),
                cause2: Arc::new(cause2),
            })
        }
    }
}

/// The newest version of `package` that `externals` say has no wheel for
/// the target, and the wheels its reason lists.
fn newest_wheels<'e>(
    externals: &[&'e External<Package, Ranges<Version>, String>],
    package: &Package,
) -> Option<(&'e Version, &'e str)> {
    externals
        .iter()
        .filter_map(|external| match external {
            External::Custom(p, range, reason) if p == package => {
                let (_, wheels) = reason.split_once(WHEELS_LISTED)?;
                let (low, _) = range.bounding_range()?;
                match low {
                    Bound::Included(version) if is_exact(range) && range.iter().count() == 1 => {
                        Some((version, wheels))
                    }
                    _ => None,
                }
            }
            _ => None,
        })
        .max_by(|a, b| a.0.cmp(b.0))
}

/// A reason without the wheels it lists.
fn reason_head(reason: &str) -> &str {
    reason
        .split_once(WHEELS_LISTED)
        .map_or(reason, |(head, _)| head)
}

/// Where a "no wheel for the target" reason starts listing the wheels.
const WHEELS_LISTED: &str = "; it has wheels for ";

/// Facts "`p` in r is unusable because m" (or "has no versions in r")
/// about one package, in a chain pubgrub built version by version: one
/// statement per reason, as a chain of those when reasons alternate
/// (psycopg2 under `--only-binary`). Reasons that differ only in the wheels
/// they list ("no wheel for the target ...; it has wheels for ...") count
/// as one, without the list; "no versions" joins any reason (the target
/// Python failing two ranges becomes one statement of their union).
fn group_unusable(
    derived: &Derived<Package, Ranges<Version>, String>,
    first: &Tree,
    second: &Tree,
    known: &HashMap<PackageName, Vec<Version>>,
) -> Option<Tree> {
    let mut terms = derived.terms.iter();
    let (package, Term::Positive(_)) = terms.next()? else {
        return None;
    };
    if terms.next().is_some() || *package == Package::Root {
        return None;
    }
    let mut facts = unusable_facts(first, package)?;
    facts.extend(unusable_facts(second, package)?);
    let mut groups: Vec<(Ranges<Version>, Option<String>)> = Vec::new();
    for (range, reason) in facts {
        let at = groups.iter().position(|(_, group)| match (&reason, group) {
            (None, _) | (_, None) => true,
            (Some(reason), Some(group)) => reason_head(group) == reason_head(reason),
        });
        let Some(at) = at else {
            groups.push((range, reason));
            continue;
        };
        let (grouped, group) = &mut groups[at];
        *grouped = grouped.union(&range);
        match (group.as_mut(), reason) {
            (None, reason) => *group = reason,
            (Some(group), Some(reason)) if *group != reason => {
                let head = reason_head(group).len();
                group.truncate(head);
            }
            _ => {}
        }
    }
    let fact = |(range, reason): (Ranges<Version>, Option<String>)| {
        DerivationTree::External(simplify_external(
            &match reason {
                Some(reason) => External::Custom(package.clone(), range, reason),
                None => External::NoVersions(package.clone(), range),
            },
            known,
        ))
    };
    let mut groups = groups.into_iter();
    let (mut range, reason) = groups.next()?;
    let mut tree = fact((range.clone(), reason));
    for group in groups {
        range = range.union(&group.0);
        let mut terms = Map::default();
        terms.insert(
            package.clone(),
            Term::Positive(simplify(package, &range, known)),
        );
        tree = DerivationTree::Derived(Derived {
            terms,
            shared_id: None,
            cause1: Arc::new(tree),
            cause2: Arc::new(fact(group)),
        });
    }
    Some(tree)
}

/// The facts "`package` in r is unusable (because m)" that `tree` consists
/// of, or `None` when it says anything else.
fn unusable_facts(
    tree: &Tree,
    package: &Package,
) -> Option<Vec<(Ranges<Version>, Option<String>)>> {
    match tree {
        DerivationTree::External(External::Custom(p, range, reason)) if p == package => {
            Some(vec![(range.clone(), Some(reason.clone()))])
        }
        DerivationTree::External(External::NoVersions(p, range)) if p == package => {
            Some(vec![(range.clone(), None)])
        }
        DerivationTree::Derived(derived)
            if derived.terms.len() == 1
                && matches!(derived.terms.get(package), Some(Term::Positive(_))) =>
        {
            let mut facts = unusable_facts(&derived.cause1, package)?;
            facts.extend(unusable_facts(&derived.cause2, package)?);
            Some(facts)
        }
        _ => None,
    }
}

/// A derived "`p` in R depends on `d` in S" from two facts about `p` alone
/// ("`p` in r1 depends on `d` in s1", "`p` in r2 is unusable or needs
/// another Python") becomes one
/// statement, so that a long chain over the versions of `p` (boto3 0.0.1,
/// 0.0.2, ... each depending on another botocore) reads as one line.
fn collapse_dependency_chain(
    derived: &Derived<Package, Ranges<Version>, String>,
    first: &Tree,
    second: &Tree,
) -> Option<External<Package, Ranges<Version>, String>> {
    let mut terms = derived.terms.iter();
    let (package, range, dependency, dependency_range) =
        match (terms.next()?, terms.next()?, terms.next()) {
            ((p, Term::Positive(r)), (d, Term::Negative(s)), None)
            | ((d, Term::Negative(s)), (p, Term::Positive(r)), None) => (p, r, d, s),
            _ => return None,
        };
    if *package == Package::Root {
        return None;
    }
    let about_package = |tree: &Tree| match tree {
        DerivationTree::External(External::FromDependencyOf(p, _, d, _)) if d == dependency => {
            (p == package).then_some(true)
        }
        // Versions of `p` that can't be used: for a reason of their own, or
        // because they need another Python (the hints name it).
        DerivationTree::External(
            External::Custom(p, _, _)
            | External::NoVersions(p, _)
            | External::FromDependencyOf(p, _, Package::Python, _),
        ) => (p == package).then_some(false),
        // Derived: "`p` in r can't be used" (e.g. through the Python it needs).
        DerivationTree::Derived(derived)
            if derived.terms.len() == 1
                && matches!(derived.terms.get(package), Some(Term::Positive(_))) =>
        {
            Some(false)
        }
        _ => None,
    };
    let (first, second) = (about_package(first)?, about_package(second)?);
    (first || second).then(|| {
        External::FromDependencyOf(
            package.clone(),
            range.clone(),
            dependency.clone(),
            dependency_range.clone(),
        )
    })
}

fn simplify_external(
    external: &External<Package, Ranges<Version>, String>,
    known: &HashMap<PackageName, Vec<Version>>,
) -> External<Package, Ranges<Version>, String> {
    match external {
        External::NotRoot(package, version) => External::NotRoot(package.clone(), version.clone()),
        External::NoVersions(package, range) => {
            External::NoVersions(package.clone(), simplify(package, range, known))
        }
        External::Custom(package, range, message) => External::Custom(
            package.clone(),
            simplify(package, range, known),
            message.clone(),
        ),
        External::FromDependencyOf(package, range, dependency, dependency_range) => {
            External::FromDependencyOf(
                package.clone(),
                simplify(package, range, known),
                dependency.clone(),
                simplify(dependency, dependency_range, known),
            )
        }
    }
}

/// The shortest range with the same known versions as `range`.
fn simplify(
    package: &Package,
    range: &Ranges<Version>,
    known: &HashMap<PackageName, Vec<Version>>,
) -> Ranges<Version> {
    match package.name().and_then(|name| known.get(name)) {
        // A few exact versions (`==1.0`, as `[1.0, successor(1.0))`) stay as
        // written; simplifying them would stretch each up to the next known
        // version. More than can be listed become bounds.
        Some(versions)
            if !versions.is_empty()
                && (!is_exact(range) || range.iter().count() > MAX_SEGMENTS) =>
        {
            range.simplify(versions.iter())
        }
        _ => range.clone(),
    }
}

struct Formatter {
    python: Version,
    /// Packages no index has.
    missing: HashSet<PackageName>,
    /// Constrained packages: the (simplified) constraint range and its label.
    constraints: HashMap<PackageName, (Ranges<Version>, String)>,
    /// Root requirements: package, (simplified) range, where it was written.
    roots: Vec<(Package, Ranges<Version>, String)>,
}

/// `name>=1, <2`, `name==1.0`, or just `name` for any version.
fn package_range(package: &Package, range: &Ranges<Version>) -> String {
    match package {
        Package::Root => package.to_string(),
        Package::Python => format!("Python{}", format_range(range)),
        _ if range.iter().count() > MAX_SEGMENTS => {
            let (start, end) = range
                .bounding_range()
                .unwrap_or((std::ops::Bound::Unbounded, std::ops::Bound::Unbounded));
            let hull = Ranges::from_range_bounds((start.cloned(), end.cloned()));
            format!(
                "{package} ({} ranges within {})",
                range.iter().count(),
                format_range(&hull)
            )
        }
        _ => format!("{package}{}", format_range(range)),
    }
}

/// Ranges of more segments than this are summarized by their bounds.
const MAX_SEGMENTS: usize = 4;

/// How a version whose metadata asks for another Python than the target's
/// is unusable (the reason of its `Custom` incompatibility).
pub(crate) fn needs_python(range: &Ranges<Version>, python: &Version) -> String {
    format!("{NEEDS_PYTHON}{} (target: {python})", format_range(range))
}

/// The hint for `subject` (`pkg==1.0`), which needs Python `needed`
/// (`>=3.12`, or `>=3.8, <3.13` for a target that is too new for it).
fn python_hint(subject: String, needed: &str, python: &Version) -> String {
    let advice = match python_side(needed, python) {
        Some(std::cmp::Ordering::Less) => {
            ": if the image runs a newer Python, say so with `--python-version`"
        }
        Some(std::cmp::Ordering::Greater) => {
            ", which it does not support (yet): allow another version of it, or target an older Python with `--python-version`"
        }
        _ => ": if the image runs another Python, say so with `--python-version`",
    };
    format!("{subject} needs Python{needed} but the target is {python}{advice}")
}

/// Whether `python` is below (`Less`) or above (`Greater`) what `needed`
/// (as [`format_range`] writes it) admits; `None` when neither or both, or
/// when it does not parse.
fn python_side(needed: &str, python: &Version) -> Option<std::cmp::Ordering> {
    use pep440_rs::Operator;
    let mut sides = needed.split(" | ").map(|segment| {
        let specifiers = pep440_rs::VersionSpecifiers::from_str(segment.trim()).ok()?;
        let failed: Vec<&Operator> = specifiers
            .iter()
            .filter(|specifier| !specifier.contains(python))
            .map(|specifier| specifier.operator())
            .collect();
        let below = failed
            .iter()
            .any(|operator| matches!(operator, Operator::GreaterThan | Operator::GreaterThanEqual));
        let above = failed
            .iter()
            .any(|operator| matches!(operator, Operator::LessThan | Operator::LessThanEqual));
        match (below, above) {
            (true, false) => Some(std::cmp::Ordering::Less),
            (false, true) => Some(std::cmp::Ordering::Greater),
            _ => None,
        }
    });
    let first = sides.next()??;
    sides.all(|side| side == Some(first)).then_some(first)
}

/// The start of [`needs_python`]'s reasons.
const NEEDS_PYTHON: &str = "requires Python";

/// The Python range a [`needs_python`] reason names (`>=3.12`).
fn needed_python(reason: &str) -> Option<&str> {
    let rest = reason.strip_prefix(NEEDS_PYTHON)?;
    Some(
        rest.split_once(" (target: ")
            .map_or(rest, |(range, _)| range),
    )
}

/// A range in PEP 440 specifier syntax; empty for "any version".
pub(crate) fn format_range(range: &Ranges<Version>) -> String {
    if range == &Ranges::full() {
        return String::new();
    }
    if range.is_empty() {
        return " (no version)".to_string();
    }
    let segments: Vec<String> = range
        .iter()
        .map(|(lower, upper)| match (lower, upper) {
            (Bound::Included(low), Bound::Included(high)) if low == high => format!("=={low}"),
            (Bound::Included(low), Bound::Excluded(high)) if *high == successor(low) => {
                format!("=={low}")
            }
            (Bound::Included(low), Bound::Excluded(high)) if wildcard(low, high).is_some() => {
                format!("=={}.*", wildcard(low, high).unwrap_or_default())
            }
            _ => {
                let lower = match lower {
                    // `!=X` leaves a range starting just after X: `>X`.
                    Bound::Included(low) => Some(match predecessor(low) {
                        Some(excluded) => format!(">{excluded}"),
                        None => format!(">={low}"),
                    }),
                    Bound::Excluded(low) => Some(format!(">{low}")),
                    Bound::Unbounded => None,
                };
                let upper = match upper {
                    Bound::Included(high) => Some(format!("<={high}")),
                    // `<2.0` excludes the pre-releases of 2.0 (PEP 440), as `<2.0.dev0` does.
                    Bound::Excluded(high) => Some(match (predecessor(high), final_of_dev0(high)) {
                        (Some(last), _) => format!("<={last}"),
                        (None, Some(release)) => format!("<{release}"),
                        (None, None) => format!("<{high}"),
                    }),
                    Bound::Unbounded => None,
                };
                lower
                    .into_iter()
                    .chain(upper)
                    .collect::<Vec<_>>()
                    .join(", ")
            }
        })
        .collect();
    segments.join(" | ")
}

/// `X` when `version` is the [`successor`] of `X` (`X.post0.dev0`): a range
/// up to it ends with `X`.
fn predecessor(version: &Version) -> Option<Version> {
    (version.post() == Some(0) && version.dev() == Some(0))
        .then(|| version.clone().with_post(None).with_dev(None))
        .filter(|last| successor(last) == *version)
}

/// `X.Y` (without the `.dev0`) when `version` is `X.Y.dev0`: the lowest
/// version of release `X.Y`, as ranges from `==X.Y.*` and `<X.Y` bound it.
fn final_of_dev0(version: &Version) -> Option<Version> {
    (version.dev() == Some(0)
        && version.pre().is_none()
        && version.post().is_none()
        && version.local().is_empty()
        && version.epoch() == 0)
        .then(|| Version::new(version.release().iter().copied()))
}

/// `X.Y` when `low..high` is `==X.Y.*`: from `X.Y.dev0` up to the `.dev0` of
/// the next release at the same length (`X.(Y+1).dev0`).
fn wildcard(low: &Version, high: &Version) -> Option<String> {
    let (low, high) = (final_of_dev0(low)?, final_of_dev0(high)?);
    let (low, high) = (low.release(), high.release());
    let (last, prefix) = low.split_last()?;
    (high.len() == low.len() && high[..prefix.len()] == *prefix && high[prefix.len()] == last + 1)
        .then(|| {
            low.iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(".")
        })
}

impl Formatter {
    /// The lines that require `package` in `range` (`requirements.in:1,
    /// requirements.in:4`): those whose range is `range`, else every line
    /// that requires `package`; `None` when no line does.
    fn origins(&self, package: &Package, range: &Ranges<Version>) -> Option<String> {
        let on_package = || {
            self.roots
                .iter()
                .filter(move |(required, _, _)| required == package)
        };
        let mut lines: Vec<&str> = on_package()
            .filter(|(_, required, _)| required == range)
            .map(|(_, _, origin)| origin.as_str())
            .collect();
        if lines.is_empty() {
            lines = on_package().map(|(_, _, origin)| origin.as_str()).collect();
        }
        let mut seen = HashSet::new();
        lines.retain(|origin| !origin.is_empty() && seen.insert(*origin));
        (!lines.is_empty()).then(|| lines.join(", "))
    }

    fn terms(&self, terms: &Map<Package, Term<Ranges<Version>>>) -> String {
        let terms: Vec<_> = terms.iter().collect();
        match terms.as_slice() {
            [] => "version solving failed".to_string(),
            [(Package::Root, Term::Positive(_))] => "your requirements are unsatisfiable".into(),
            [(package, Term::Positive(range))] => {
                format!("{} cannot be used", package_range(package, range))
            }
            [(package, Term::Negative(range))] => {
                format!("{} is required", package_range(package, range))
            }
            // Derived, not written anywhere: no origin.
            [
                (Package::Root, Term::Positive(_)),
                (package, Term::Negative(range)),
            ]
            | [
                (package, Term::Negative(range)),
                (Package::Root, Term::Positive(_)),
            ] => {
                format!("you require {}", package_range(package, range))
            }
            [(p1, Term::Positive(r1)), (p2, Term::Negative(r2))]
            | [(p2, Term::Negative(r2)), (p1, Term::Positive(r1))] => self.external(
                &External::FromDependencyOf((*p1).clone(), r1.clone(), (*p2).clone(), r2.clone()),
            ),
            many => {
                let parts: Vec<String> = many
                    .iter()
                    .map(|(package, term)| match term {
                        Term::Positive(range) => package_range(package, range),
                        Term::Negative(range) => format!("not {}", package_range(package, range)),
                    })
                    .collect();
                format!("{} are incompatible", parts.join(", "))
            }
        }
    }

    fn external(&self, external: &External<Package, Ranges<Version>, String>) -> String {
        match external {
            External::NotRoot(package, version) => {
                format!("we are solving dependencies of {package} {version}")
            }
            External::NoVersions(Package::Python, range) => format!(
                "the target Python {} does not satisfy Python{}",
                self.python,
                format_range(range)
            ),
            External::NoVersions(package @ (Package::Dist(name) | Package::Extra(name, _)), _)
                if self.missing.contains(name) =>
            {
                let _ = package;
                format!("`{name}` was not found in the package index")
            }
            External::NoVersions(package, range) => {
                if range == &Ranges::full() {
                    format!("there is no usable version of {package}")
                } else {
                    format!(
                        "there is no usable version of {}",
                        package_range(package, range)
                    )
                }
            }
            External::Custom(package, range, reason) if reason.starts_with(NEEDS_PYTHON) => {
                format!("{} {reason}", package_range(package, range))
            }
            External::Custom(package, range, reason) => {
                format!(
                    "{} is unusable because {reason}",
                    package_range(package, range)
                )
            }
            External::FromDependencyOf(package, range, Package::Dist(name), dependency_range)
                if self
                    .constraints
                    .get(name)
                    .is_some_and(|(constrained, _)| constrained == dependency_range) =>
            {
                let (_, label) = &self.constraints[name];
                let limited = package_range(&Package::Dist(name.clone()), dependency_range);
                match package {
                    Package::Root => format!("the constraint {label} limits {name} to {limited}"),
                    _ => format!(
                        "{} needs {name}, which the constraint {label} limits to {limited}",
                        package_range(package, range)
                    ),
                }
            }
            External::FromDependencyOf(Package::Root, _, dependency, range) => {
                let required = package_range(dependency, range);
                match self.origins(dependency, range) {
                    Some(origins) => format!("you require {required} ({origins})"),
                    None => format!("you require {required}"),
                }
            }
            External::FromDependencyOf(package, range, Package::Python, python_range) => format!(
                "{} requires Python{} (target: {})",
                package_range(package, range),
                format_range(python_range),
                self.python
            ),
            External::FromDependencyOf(package, range, dependency, dependency_range) => format!(
                "{} depends on {}",
                package_range(package, range),
                package_range(dependency, dependency_range)
            ),
        }
    }
}

impl ReportFormatter<Package, Ranges<Version>, String> for Formatter {
    type Output = String;

    fn format_external(&self, external: &External<Package, Ranges<Version>, String>) -> String {
        self.external(external)
    }

    fn format_terms(&self, terms: &Map<Package, Term<Ranges<Version>>>) -> String {
        self.terms(terms)
    }

    fn explain_both_external(
        &self,
        external1: &External<Package, Ranges<Version>, String>,
        external2: &External<Package, Ranges<Version>, String>,
        current_terms: &Map<Package, Term<Ranges<Version>>>,
    ) -> String {
        format!(
            "Because {} and {}, {}.",
            self.external(external1),
            self.external(external2),
            self.terms(current_terms)
        )
    }

    fn explain_both_ref(
        &self,
        ref_id1: usize,
        derived1: &Derived<Package, Ranges<Version>, String>,
        ref_id2: usize,
        derived2: &Derived<Package, Ranges<Version>, String>,
        current_terms: &Map<Package, Term<Ranges<Version>>>,
    ) -> String {
        format!(
            "Because {} ({ref_id1}) and {} ({ref_id2}), {}.",
            self.terms(&derived1.terms),
            self.terms(&derived2.terms),
            self.terms(current_terms)
        )
    }

    fn explain_ref_and_external(
        &self,
        ref_id: usize,
        derived: &Derived<Package, Ranges<Version>, String>,
        external: &External<Package, Ranges<Version>, String>,
        current_terms: &Map<Package, Term<Ranges<Version>>>,
    ) -> String {
        format!(
            "Because {} ({ref_id}) and {}, {}.",
            self.terms(&derived.terms),
            self.external(external),
            self.terms(current_terms)
        )
    }

    fn and_explain_external(
        &self,
        external: &External<Package, Ranges<Version>, String>,
        current_terms: &Map<Package, Term<Ranges<Version>>>,
    ) -> String {
        format!(
            "And because {}, {}.",
            self.external(external),
            self.terms(current_terms)
        )
    }

    fn and_explain_ref(
        &self,
        ref_id: usize,
        derived: &Derived<Package, Ranges<Version>, String>,
        current_terms: &Map<Package, Term<Ranges<Version>>>,
    ) -> String {
        format!(
            "And because {} ({ref_id}), {}.",
            self.terms(&derived.terms),
            self.terms(current_terms)
        )
    }

    fn and_explain_prior_and_external(
        &self,
        prior_external: &External<Package, Ranges<Version>, String>,
        external: &External<Package, Ranges<Version>, String>,
        current_terms: &Map<Package, Term<Ranges<Version>>>,
    ) -> String {
        format!(
            "And because {} and {}, {}.",
            self.external(prior_external),
            self.external(external),
            self.terms(current_terms)
        )
    }
}

#[cfg(test)]
mod tests {
    use std::str::FromStr;

    use pep440_rs::VersionSpecifiers;

    use super::format_range;
    use crate::specifiers::specifiers_to_range;

    fn shown(specifiers: &str) -> String {
        let specifiers = VersionSpecifiers::from_str(specifiers).expect("valid specifiers");
        format_range(&specifiers_to_range(&specifiers))
    }

    #[test]
    fn ranges_show_as_users_write_them() {
        assert_eq!(shown("==2.15.*"), "==2.15.*");
        assert_eq!(shown("==2.*"), "==2.*");
        assert_eq!(shown(">=1.23.5,<2.0.0"), ">=1.23.5, <2.0.0");
        assert_eq!(shown("<2"), "<2");
        assert_eq!(shown("~=2.15.0"), ">=2.15.0, <2.16");
        assert_eq!(shown("==1.0"), "==1.0");
        assert_eq!(shown("<2.0rc1"), "<2.0rc1");
        assert_eq!(shown("<=1.4"), "<=1.4");
        assert_eq!(shown(">=1.0,<=1.4"), ">=1.0, <=1.4");
        // Excluding a version leaves a range starting just after it.
        assert_eq!(shown(">=1,!=1.5,<2"), ">=1, <1.5 | >1.5, <2");
        assert_eq!(shown(">1.5"), ">1.5");
    }
}
