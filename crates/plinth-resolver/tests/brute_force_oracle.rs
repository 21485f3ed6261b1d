//! The resolver cross-checked against brute force on small generated
//! registries: four packages with three versions each and random
//! dependencies. For every registry, either plinth finds a solution and it
//! satisfies every requirement, or plinth says there is none and no
//! assignment of versions (or absence) to the packages satisfies them.
//! And the resolver gives the same answer (pins or explanation) whether or
//! not it passes over the versions the root's requirements rule out.

use std::collections::HashMap;
use std::str::FromStr;
use std::sync::Arc;

use pep440_rs::Version;
use pep508_rs::{PackageName, Requirement};
use plinth_resolver::{
    Metadata, MetadataResult, PackageSource, PackageVersions, ResolveError, ResolveOptions,
    RootRequirement, SourceError, VersionInfo, resolve,
};

mod common;

const PACKAGES: [&str; 4] = ["a", "b", "c", "d"];
const VERSIONS: [u64; 3] = [1, 2, 3];
const REGISTRIES: u64 = 1000;

/// A deterministic generator (xorshift), so failures reproduce.
struct Random(u64);

impl Random {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, bound: u64) -> u64 {
        self.next() % bound
    }
}

/// A requirement on one package: name and an optional `(operator, version)`.
#[derive(Debug, Clone)]
struct Spec {
    package: usize,
    clause: Option<(&'static str, u64)>,
}

impl Spec {
    fn random(random: &mut Random, not: Option<usize>) -> Self {
        let mut package = random.below(PACKAGES.len() as u64) as usize;
        if Some(package) == not {
            package = (package + 1) % PACKAGES.len();
        }
        let clause = match random.below(5) {
            0 => None,
            operator => Some((
                [">=", "<", "==", "!="][operator as usize - 1],
                VERSIONS[random.below(VERSIONS.len() as u64) as usize],
            )),
        };
        Self { package, clause }
    }

    fn text(&self) -> String {
        match self.clause {
            None => PACKAGES[self.package].to_string(),
            Some((operator, version)) => format!("{}{operator}{version}", PACKAGES[self.package]),
        }
    }

    fn allows(&self, version: u64) -> bool {
        match self.clause {
            None => true,
            Some((">=", bound)) => version >= bound,
            Some(("<", bound)) => version < bound,
            Some(("==", bound)) => version == bound,
            Some(("!=", bound)) => version != bound,
            Some(_) => unreachable!("only four operators are generated"),
        }
    }
}

/// Packages × versions with their dependencies, plus the root requirements.
struct Registry {
    roots: Vec<Spec>,
    dependencies: HashMap<(usize, u64), Vec<Spec>>,
}

impl Registry {
    fn random(random: &mut Random) -> Self {
        let roots = (0..1 + random.below(2))
            .map(|_| Spec::random(random, None))
            .collect();
        let mut dependencies = HashMap::new();
        for package in 0..PACKAGES.len() {
            for version in VERSIONS {
                let count = random.below(3);
                let specs = (0..count)
                    .map(|_| Spec::random(random, Some(package)))
                    .collect();
                dependencies.insert((package, version), specs);
            }
        }
        Self {
            roots,
            dependencies,
        }
    }

    /// Whether `assignment` (a version or absence per package) satisfies everything.
    fn satisfied_by(&self, assignment: &[Option<u64>]) -> bool {
        let holds =
            |spec: &Spec| assignment[spec.package].is_some_and(|version| spec.allows(version));
        self.roots.iter().all(holds)
            && assignment.iter().enumerate().all(|(package, version)| {
                version
                    .is_none_or(|version| self.dependencies[&(package, version)].iter().all(holds))
            })
    }

    fn brute_force_has_solution(&self) -> bool {
        let choices = VERSIONS.len() as u64 + 1;
        (0..choices.pow(PACKAGES.len() as u32)).any(|mut code| {
            let assignment: Vec<Option<u64>> = (0..PACKAGES.len())
                .map(|_| {
                    let choice = code % choices;
                    code /= choices;
                    (choice > 0).then(|| VERSIONS[choice as usize - 1])
                })
                .collect();
            self.satisfied_by(&assignment)
        })
    }
}

impl PackageSource for Registry {
    fn versions(&self, name: &PackageName) -> Result<Arc<PackageVersions>, SourceError> {
        let known = PACKAGES.iter().any(|package| *package == name.as_ref());
        let versions = VERSIONS
            .iter()
            .filter(|_| known)
            .map(|version| (Version::new([*version]), VersionInfo::default()))
            .collect();
        Ok(Arc::new(PackageVersions {
            versions,
            ..PackageVersions::default()
        }))
    }

    fn metadata(
        &self,
        name: &PackageName,
        version: &Version,
    ) -> Result<MetadataResult, SourceError> {
        let package = PACKAGES
            .iter()
            .position(|package| *package == name.as_ref())
            .ok_or("unknown package")?;
        let version = version.release().first().copied().ok_or("empty version")?;
        let requires_dist = self.dependencies[&(package, version)]
            .iter()
            .map(|spec| Requirement::from_str(&spec.text()))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Ok(Arc::new(Metadata {
            requires_dist,
            ..Metadata::default()
        })))
    }
}

/// `name==version` of each package resolved, or the error.
fn answer(
    registry: &Registry,
    roots: &[RootRequirement],
    options: &ResolveOptions,
) -> Result<Vec<String>, String> {
    resolve(registry, roots, &[], options)
        .map(|resolution| {
            resolution
                .packages
                .iter()
                .map(|package| format!("{}=={}", package.name, package.version))
                .collect()
        })
        .map_err(|error| error.to_string())
}

#[test]
fn resolver_agrees_with_brute_force() {
    let options = common::options();
    let mut random = Random(0x5eed_1234_abcd_0001);
    let (mut solved, mut unsolvable) = (0, 0);
    for registry_number in 0..REGISTRIES {
        let registry = Registry::random(&mut random);
        let roots: Vec<RootRequirement> = registry
            .roots
            .iter()
            .map(|spec| RootRequirement {
                requirement: Requirement::from_str(&spec.text()).expect("generated requirement"),
                source: "-r generated.in".to_string(),
                origin: "generated.in".to_string(),
            })
            .collect();
        let step_by_step = ResolveOptions {
            pass_over_ruled_out: false,
            ..options.clone()
        };
        assert_eq!(
            answer(&registry, &roots, &options),
            answer(&registry, &roots, &step_by_step),
            "registry {registry_number}: passing over versions the root rules out changed the answer"
        );
        let expected = registry.brute_force_has_solution();
        match resolve(&registry, &roots, &[], &options) {
            Ok(resolution) => {
                let mut assignment = vec![None; PACKAGES.len()];
                for package in &resolution.packages {
                    let index = PACKAGES
                        .iter()
                        .position(|name| *name == package.name.as_ref())
                        .expect("a generated package");
                    assignment[index] = package.version.release().first().copied();
                }
                assert!(
                    registry.satisfied_by(&assignment),
                    "registry {registry_number}: plinth's solution {assignment:?} breaks a requirement"
                );
                solved += 1;
            }
            Err(ResolveError::NoSolution { report, .. }) => {
                assert!(
                    !expected,
                    "registry {registry_number}: plinth found no solution, brute force did:\n{report}"
                );
                unsolvable += 1;
            }
            Err(other) => panic!("registry {registry_number}: {other}"),
        }
    }
    eprintln!("{solved} solved, {unsolvable} unsolvable");
    // Both outcomes are exercised.
    assert!(
        solved > 50 && unsolvable > 20,
        "{solved} solved, {unsolvable} unsolvable"
    );
}
