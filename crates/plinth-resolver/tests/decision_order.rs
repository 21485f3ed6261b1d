//! The order in which packages are decided, where it changes the answer.

use std::collections::BTreeMap;
use std::str::FromStr;
use std::sync::{Arc, Mutex};

use pep440_rs::{Version, VersionSpecifiers};
use pep508_rs::{ExtraName, PackageName};
use plinth_resolver::{Metadata, MetadataResult, PackageSource, PackageVersions, SourceError};

mod common;

/// Packages with versions 1 to `last` each, and the requirements of each
/// version as `requires` gives them.
struct Rules {
    last: fn(&str) -> u64,
    requires: fn(&str, u64) -> Vec<String>,
}

impl PackageSource for Rules {
    fn versions(&self, name: &PackageName) -> Result<Arc<PackageVersions>, SourceError> {
        Ok(common::numbered_versions((self.last)(name.as_ref())))
    }

    fn metadata(
        &self,
        name: &PackageName,
        version: &Version,
    ) -> Result<MetadataResult, SourceError> {
        common::metadata(
            &(self.requires)(name.as_ref(), version.release()[0]),
            Vec::new(),
        )
    }
}

/// Like [`Rules`], with `Requires-Python` and extras: every package
/// provides the extra `x` (which adds nothing), and `python` gives a
/// version's `Requires-Python`, in its metadata and, when `on_index`, on
/// the index too (as PyPI gives it).
struct PythonRules {
    rules: Rules,
    python: fn(&str, u64) -> Option<&'static str>,
    on_index: bool,
}

impl PythonRules {
    fn requires_python(&self, name: &str, release: u64) -> Option<VersionSpecifiers> {
        (self.python)(name, release)
            .map(|text| VersionSpecifiers::from_str(text).expect("specifiers"))
    }
}

impl PackageSource for PythonRules {
    fn versions(&self, name: &PackageName) -> Result<Arc<PackageVersions>, SourceError> {
        let mut versions = PackageVersions::clone(&*self.rules.versions(name)?);
        if self.on_index {
            for (version, info) in &mut versions.versions {
                info.requires_python = self.requires_python(name.as_ref(), version.release()[0]);
            }
        }
        Ok(Arc::new(versions))
    }

    fn metadata(
        &self,
        name: &PackageName,
        version: &Version,
    ) -> Result<MetadataResult, SourceError> {
        let release = version.release()[0];
        let requires = (self.rules.requires)(name.as_ref(), release);
        let extra = ExtraName::from_str("x").expect("extra");
        let Ok(Ok(metadata)) = common::metadata(&requires, vec![extra]) else {
            unreachable!("the requirements parse");
        };
        let mut metadata = Metadata::clone(&metadata);
        metadata.requires_python = self.requires_python(name.as_ref(), release);
        Ok(Ok(Arc::new(metadata)))
    }
}

/// As torch, torchvision, datasets and lightning: `t` asks for `f`, `v`
/// for `n`; every `d` but the first asks for `f[x]<=5`, `l` for `f[x]`,
/// whose extra pins `f` to its own version; `n==10` needs Python 3.12, as
/// the index says too when `on_index`.
fn torch_like(on_index: bool) -> PythonRules {
    PythonRules {
        rules: Rules {
            last: |name| {
                if matches!(name, "t" | "v" | "l") {
                    1
                } else {
                    10
                }
            },
            requires: |name, version| match (name, version) {
                ("t", _) => vec!["f".to_string()],
                ("v", _) => vec!["n".to_string()],
                ("d", version) if version > 1 => vec!["f[x]<=5".to_string()],
                ("d" | "l", _) => vec!["f[x]".to_string()],
                _ => Vec::new(),
            },
        },
        python: |name, version| (name == "n" && version == 10).then_some(">=3.12"),
        on_index,
    }
}

/// `a` 1 to 11; `b` 1 to 10, each `b==k` requiring `a==k` but the first,
/// which takes any `a` (as each dagster-dbt release pins its dagster, and
/// one from 2021 takes any).
fn dagster_like() -> Rules {
    Rules {
        last: |name| if name == "a" { 11 } else { 10 },
        requires: |name, version| match (name, version) {
            ("b", 1) => vec!["a>=1".to_string()],
            ("b", version) => vec![format!("a=={version}")],
            _ => Vec::new(),
        },
    }
}

#[test]
fn a_package_that_keeps_conflicting_is_decided_before_its_culprit() {
    // `a` is decided first, at 11, which only the oldest `b` allows.
    // After five versions of `b` asked for another `a`, the resolution
    // starts again with `b` decided before `a`, and `a` follows it (uv's
    // answer), instead of keeping `a==11` with the oldest `b`.
    let source = dagster_like();
    assert_eq!(common::pins(&source, &["a", "b"]), ["a==10", "b==10"]);
}

/// [`Rules`] counting what the resolver asks of it: versions by name,
/// metadata by name and version; and the versions hinted to fetch ahead
/// after a backtrack.
struct Counted {
    rules: Rules,
    versions: Mutex<BTreeMap<String, u32>>,
    metadata: Mutex<BTreeMap<String, u32>>,
    prefetched: Mutex<Vec<String>>,
}

impl Counted {
    fn new(rules: Rules) -> Self {
        Self {
            rules,
            versions: Mutex::default(),
            metadata: Mutex::default(),
            prefetched: Mutex::default(),
        }
    }
}

impl PackageSource for Counted {
    fn versions(&self, name: &PackageName) -> Result<Arc<PackageVersions>, SourceError> {
        *self
            .versions
            .lock()
            .expect("counts")
            .entry(name.to_string())
            .or_default() += 1;
        self.rules.versions(name)
    }

    fn metadata(
        &self,
        name: &PackageName,
        version: &Version,
    ) -> Result<MetadataResult, SourceError> {
        *self
            .metadata
            .lock()
            .expect("counts")
            .entry(format!("{name}=={version}"))
            .or_default() += 1;
        self.rules.metadata(name, version)
    }

    fn prefetch_versions(&self, name: &PackageName, versions: &[Version]) {
        let mut prefetched = self.prefetched.lock().expect("prefetched");
        prefetched.extend(versions.iter().map(|version| format!("{name}=={version}")));
    }
}

#[test]
fn a_restart_reads_nothing_twice() {
    // The shape of the test above: `b` walks down five versions under
    // `a==11`, then the resolution starts again with `b` first. The
    // second attempt asks the source for nothing the first read: each
    // package's versions once, each version's metadata once.
    let source = Counted::new(dagster_like());
    assert_eq!(common::pins(&source, &["a", "b"]), ["a==10", "b==10"]);
    let versions = source.versions.lock().expect("counts").clone();
    assert_eq!(versions, BTreeMap::from([("a".into(), 1), ("b".into(), 1)]));
    let metadata = source.metadata.lock().expect("counts").clone();
    // Both attempts decided `b==10` and `a==10`, and the first `a==11`
    // and `b` 10 down to 6.
    assert!(metadata.contains_key("a==11") && metadata.contains_key("b==6"));
    assert!(
        metadata.values().all(|count| *count == 1),
        "read more than once: {metadata:?}"
    );
}

#[test]
fn a_restart_hints_no_walk_taken_before() {
    // `w` walks down from 10 to 3 in each attempt (every newer `w` asks
    // for an `r` the root rules out), before `b` conflicts with `a` as
    // above. The second attempt's walk hints nothing more to fetch: the
    // hints for `w` are those of a resolution with no restart.
    let rules = || Rules {
        last: |name| if name == "a" { 11 } else { 10 },
        requires: |name, version| match (name, version) {
            ("w", version) if version > 3 => vec!["r>=5".to_string()],
            ("b", 1) => vec!["a>=1".to_string()],
            ("b", version) => vec![format!("a=={version}")],
            _ => Vec::new(),
        },
    };
    let hints_for_w = |roots: &[&str]| {
        let source = Counted::new(rules());
        let pins = common::pins(&source, roots);
        assert!(pins.contains(&"w==3".to_string()), "{pins:?}");
        let prefetched = source.prefetched.lock().expect("prefetched").clone();
        let hints: Vec<String> = prefetched
            .into_iter()
            .filter(|hint| hint.starts_with("w=="))
            .collect();
        (pins, hints)
    };
    let (pins, with_restart) = hints_for_w(&["w", "r<5", "a", "b"]);
    assert_eq!(pins, ["a==10", "b==10", "r==4", "w==3"]);
    let (_, alone) = hints_for_w(&["w", "r<5"]);
    assert!(!alone.is_empty());
    assert_eq!(with_restart, alone);
}

#[test]
fn a_restart_s_culprit_waits_for_the_package_to_go_before_it() {
    // As python-dateutil, botocore and boto3: `d` (1 to 3) is found at
    // once and decided first, at 3; `b` (1 to 100) is found only through
    // `s`, each `s==k` asking for `b>=k`, and every `b` asks for `d<3`.
    // After five versions the resolution starts again with `b` to be
    // decided before `d`; `b` is not found yet when `d` would be decided,
    // so `d` waits for it (uv backtracks to `d` and decides it late).
    // Otherwise `s` and `b` walk down all their versions in step, as
    // boto3 and botocore did, 832 each (5 s `--offline`; uv 0.3 s).
    // uv's answer, with a few backtracks.
    let source = Rules {
        last: |name| if name == "d" { 3 } else { 100 },
        requires: |name, version| match name {
            "s" => vec![format!("b>={version}")],
            "b" => vec!["d<3".to_string()],
            _ => Vec::new(),
        },
    };
    assert_eq!(
        pins_within_20_backtracks(&source, &["d", "s"]),
        ["b==100", "d==2", "s==100"]
    );
}

/// The pins of a resolution of these root lines that must not take more
/// than 20 backtracks.
fn pins_within_20_backtracks(source: &impl PackageSource, roots: &[&str]) -> Vec<String> {
    let options = plinth_resolver::ResolveOptions {
        max_backtracks: Some(20),
        pass_over_ruled_out: true,
        ..common::options()
    };
    let resolution = plinth_resolver::resolve(source, &common::roots(roots), &[], &options)
        .expect("a resolution within 20 backtracks");
    resolution
        .packages
        .iter()
        .map(|package| format!("{}=={}", package.name, package.version))
        .collect()
}

#[test]
fn a_restart_s_culprit_waits_again_when_a_backtrack_undid_the_package_to_go_before_it() {
    // As above, with the roots `y` (1 and 2) and `j` (1, asking for `y<2`)
    // besides: as sentry-sdk's extra and django. In the second attempt
    // `y`, `s` and `b` (just before `d` now) and `d` are decided before
    // `j`, whose conflict with `y` undoes them all. Nothing asks for `b`
    // until `s` is decided again; `d` still waits for it, rather than
    // being decided at 3 and walking `s` and `b` down all their versions
    // (1,700 backtracks, 1.1 s `--offline` for celery[sqs] with
    // sentry-sdk[django]; 34 now).
    let source = Rules {
        last: |name| match name {
            "d" => 3,
            "y" => 2,
            "j" => 1,
            _ => 100,
        },
        requires: |name, version| match name {
            "s" => vec![format!("b>={version}")],
            "b" => vec!["d<3".to_string()],
            "j" => vec!["y<2".to_string()],
            _ => Vec::new(),
        },
    };
    assert_eq!(
        pins_within_20_backtracks(&source, &["d", "y", "s", "j"]),
        ["b==100", "d==2", "j==1", "s==100", "y==1"]
    );
}

#[test]
fn decisions_before_the_culprit_are_kept() {
    // `k==2` asks for `c<2`; every `p` but the first asks for `c>=2`. `k`,
    // `c` and `p` are decided in this order: `p` keeps conflicting with
    // `c`. It is then decided just before `c`, still after `k`, whose
    // decision stands (as uv backtracks to `c` only): `p` goes down to 1,
    // rather than `k`.
    let source = Rules {
        last: |name| match name {
            "k" | "c" => 2,
            _ => 10,
        },
        requires: |name, version| match (name, version) {
            ("k", 2) => vec!["c<2".to_string()],
            ("p", version) if version > 1 => vec!["c>=2".to_string()],
            _ => Vec::new(),
        },
    };
    assert_eq!(
        common::pins(&source, &["k", "c", "p"]),
        ["c==1", "k==2", "p==1"]
    );
}

#[test]
fn a_version_the_target_python_cannot_use_backtracks_and_a_pinned_name_stays_first() {
    // With the index giving `n`'s Requires-Python (as numpy's): `t`, `v`,
    // `d==10`, `l` and `f==5` are decided; then `n==10` needs Python 3.12,
    // so the resolution backtracks to `v`, where `n` was first asked for,
    // and decides again:
    // `f`, pinned once, now goes first (uv keeps a name's highest
    // priority), at 10, and `d` walks down to the one version that takes
    // it (the culprit is `f[x]`, decided before the backtrack: no restart
    // moves `d` before `f`). uv's answer.
    let source = torch_like(true);
    assert_eq!(
        common::pins(&source, &["t", "v", "d", "l"]),
        ["d==1", "f==10", "l==1", "n==9", "t==1", "v==1"]
    );
}

#[test]
fn a_pinned_name_that_keeps_ruling_out_another_goes_after_it() {
    // As torch, transformers, datasets and accelerate: `t` asks for `f`,
    // `v` for `n`, every `d` but the first for `f[x]<=5` (whose extra pins
    // `f`); `n` 9 and 10 need Python 3.12. `n==10` undoes `d` and `f`; `f`,
    // pinned once, is decided again first, at 10, and `d` walks down to 1
    // under it. That makes `f[x]` the culprit of five conflicts, so `f`
    // goes below the packages that keep conflicting (uv's
    // `mark_conflict_late`). When `n==9` undoes `f` again, `d` comes
    // first: `d==10` with `f==5`, uv's answer, not `d==1` with `f==10`.
    let source = PythonRules {
        rules: Rules {
            last: |name| if matches!(name, "t" | "v") { 1 } else { 10 },
            requires: |name, version| match (name, version) {
                ("t", _) => vec!["f".to_string()],
                ("v", _) => vec!["n".to_string()],
                ("d", version) if version > 1 => vec!["f[x]<=5".to_string()],
                _ => Vec::new(),
            },
        },
        python: |name, version| (name == "n" && version >= 9).then_some(">=3.12"),
        on_index: true,
    };
    assert_eq!(
        common::pins(&source, &["t", "v", "d"]),
        ["d==10", "f==5", "n==8", "t==1", "v==1"]
    );
}

#[test]
fn an_extra_required_before_its_base_is_a_culprit() {
    // As `fsspec[http]` and `datasets` in the input: `f[x]` is named
    // first, so its extra package is decided before `f` itself (uv finds
    // `f` through it), at 10; every `d` but the first asks for
    // `f[x]<=5`. After five of them, the resolution starts again with `d`
    // decided before `f[x]`, as uv backtracks to that decision: `d==10`
    // with `f==5`, not the oldest `d`.
    let source = PythonRules {
        rules: Rules {
            last: |_| 10,
            requires: |name, version| match (name, version) {
                ("d", version) if version > 1 => vec!["f[x]<=5".to_string()],
                _ => Vec::new(),
            },
        },
        python: |_, _| None,
        on_index: true,
    };
    assert_eq!(common::pins(&source, &["f[x]", "d"]), ["d==10", "f==5"]);
}

#[test]
fn a_package_pinned_with_double_equals_is_decided_first() {
    // `a` pins `c` with `==1` (a range with room for `1+local`); `c` asks
    // for `e`, `b` for `f`, and whichever of `e` and `f` is decided first
    // keeps version 2. As in uv, a pin comes before every package that is
    // not pinned: `c` before `b`, so `e` is found, and decided, before
    // `f`.
    let source = Rules {
        last: |name| if matches!(name, "e" | "f") { 2 } else { 1 },
        requires: |name, version| match (name, version) {
            ("a", _) => vec!["c==1".to_string()],
            ("b", _) => vec!["f".to_string()],
            ("c", _) => vec!["e".to_string()],
            ("e", 2) => vec!["f<2".to_string()],
            ("f", 2) => vec!["e<2".to_string()],
            _ => Vec::new(),
        },
    };
    assert_eq!(
        common::pins(&source, &["a", "b"]),
        ["a==1", "b==1", "c==1", "e==2", "f==1"]
    );
}

#[test]
fn versions_that_need_another_python_count_once_as_conflicts() {
    // `x` 3 to 5 need Python 3.12 and `x==2` asks for `a<2`. uv counts
    // each of the three as one conflict of `x` (pubgrub counts two), too
    // few to move `x` ahead of `a`, found first: `a` is decided at 2, and
    // `x` goes down to 1 (uv's answer), rather than `x==2` with `a==1`.
    let source = PythonRules {
        rules: Rules {
            last: |name| if name == "x" { 5 } else { 2 },
            requires: |name, version| match (name, version) {
                ("x", 2) => vec!["a<2".to_string()],
                _ => Vec::new(),
            },
        },
        python: |name, version| (name == "x" && version >= 3).then_some(">=3.12"),
        on_index: true,
    };
    assert_eq!(common::pins(&source, &["a", "x"]), ["a==2", "x==1"]);
}

#[test]
fn a_version_only_its_metadata_rules_out_is_not_decided() {
    // Only `n==10`'s metadata says it needs Python 3.12: as in uv, the
    // version is unusable without being decided, nothing is undone, `f`
    // stays at the version `d==10` takes.
    let source = torch_like(false);
    assert_eq!(
        common::pins(&source, &["t", "v", "d", "l"]),
        ["d==10", "f==5", "l==1", "n==9", "t==1", "v==1"]
    );
}

#[test]
fn an_extra_not_yet_decided_makes_its_base_the_culprit() {
    // As `boto3` and `aws-sam-cli` (which asks for `boto3[crt]`): `b` is
    // named first and decided at 10; every `s` but the first asks for
    // `b[x]<=5`. The extra is not decided yet, so the conflict goes
    // through it to `b`, the culprit uv backtracks to: after five versions
    // of `s`, the resolution starts again with `s` before `b`, giving uv's
    // `b==5` with `s==10` rather than the oldest `s`.
    let source = PythonRules {
        rules: Rules {
            last: |_| 10,
            requires: |name, version| match (name, version) {
                ("s", 1) => vec!["b[x]".to_string()],
                ("s", _) => vec!["b[x]<=5".to_string()],
                _ => Vec::new(),
            },
        },
        python: |_, _| None,
        on_index: true,
    };
    assert_eq!(common::pins(&source, &["b", "s"]), ["b==5", "s==10"]);
}

#[test]
fn packages_decided_again_at_the_same_version_are_no_backtracks() {
    // `p` 2 to 4 need Python 3.12 (on the index): each is decided, and
    // the resolution backtracks to the root, deciding `a` to `f` again at
    // the same versions. Only `p`'s three moves count against a limit of
    // five (as airflow on Python 3.9, with hundreds of releases needing
    // 3.10, did not finish within 10,000).
    let source = PythonRules {
        rules: Rules {
            last: |name| if name == "p" { 4 } else { 1 },
            requires: |_, _| Vec::new(),
        },
        python: |name, version| (name == "p" && version >= 2).then_some(">=3.12"),
        on_index: true,
    };
    let options = plinth_resolver::ResolveOptions {
        max_backtracks: Some(5),
        pass_over_ruled_out: true,
        ..common::options()
    };
    let roots = common::roots(&["a", "b", "c", "d", "e", "f", "p"]);
    let resolution =
        plinth_resolver::resolve(&source, &roots, &[], &options).expect("a resolution");
    let p = resolution
        .packages
        .iter()
        .find(|package| package.name.as_ref() == "p")
        .expect("p is pinned");
    assert_eq!(p.version.to_string(), "1");
}

#[test]
fn a_target_without_a_patch_release_is_not_ruled_out_by_a_patch_exclusion() {
    // The target is 3.11, no patch named. As in uv, `p==2` (as
    // cryptography 47: `!=3.11.0,!=3.11.1,>=3.8`) admits it, and `p==3`
    // (as cryptography 48: the same holes, `>=3.11`), whose lowest
    // admitted release is 3.11.2, does not.
    let source = PythonRules {
        rules: Rules {
            last: |_| 3,
            requires: |_, _| Vec::new(),
        },
        python: |_, version| match version {
            3 => Some(">=3.11,!=3.11.0,!=3.11.1"),
            2 => Some(">=3.8,!=3.11.0,!=3.11.1"),
            _ => None,
        },
        on_index: true,
    };
    assert_eq!(common::pins(&source, &["p"]), ["p==2"]);
}
