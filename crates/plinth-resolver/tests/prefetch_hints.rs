//! The hints the resolver gives its source to fetch ahead: one per package
//! when it is first required, and one more for each extra asked of it that
//! was not asked before (so that a source running ahead follows
//! `celery[redis]` to `kombu[redis]` to `redis`).

use std::collections::BTreeMap;
use std::str::FromStr;
use std::sync::{Arc, Mutex};

use pep440_rs::{Version, VersionSpecifiers};
use pep508_rs::{ExtraName, PackageName, Requirement};
use plinth_resolver::{
    Metadata, MetadataResult, PackageSource, PackageVersions, Ranges, SourceError, VersionInfo,
    resolve,
};

mod common;

/// Packages at version 1 with their requirements and extras, recording
/// every `prefetch` hint as `name[extra,...]`.
struct Recorded {
    packages: BTreeMap<&'static str, (Vec<&'static str>, Vec<&'static str>)>,
    hints: Mutex<Vec<String>>,
}

impl PackageSource for Recorded {
    fn versions(&self, name: &PackageName) -> Result<Arc<PackageVersions>, SourceError> {
        let versions = self
            .packages
            .contains_key(name.as_ref())
            .then(|| (Version::new([1]), VersionInfo::default()))
            .into_iter()
            .collect();
        Ok(Arc::new(PackageVersions {
            versions,
            ..PackageVersions::default()
        }))
    }

    fn metadata(&self, name: &PackageName, _: &Version) -> Result<MetadataResult, SourceError> {
        let (requires, extras) = &self.packages[name.as_ref()];
        Ok(Ok(Arc::new(Metadata {
            extra_lines: Default::default(),
            requires_dist: requires
                .iter()
                .map(|text| Requirement::from_str(text))
                .collect::<Result<_, _>>()?,
            provides_extra: extras
                .iter()
                .map(|extra| ExtraName::from_str(extra))
                .collect::<Result<_, _>>()?,
            ..Metadata::default()
        })))
    }

    fn prefetch(&self, name: &PackageName, extras: &[ExtraName], _: &Ranges<Version>) {
        let extras: Vec<&str> = extras.iter().map(ExtraName::as_ref).collect();
        self.hints
            .lock()
            .expect("hints")
            .push(format!("{name}[{}]", extras.join(",")));
    }
}

#[test]
fn each_package_and_each_new_extra_is_hinted_once() {
    let source = Recorded {
        packages: BTreeMap::from([
            ("a", (vec!["b[y] ; extra == 'x'", "b"], vec!["x"])),
            ("b", (vec![], vec!["y", "z"])),
            ("c", (vec!["b", "b[z]", "b[y]", "a"], vec![])),
        ]),
        hints: Mutex::default(),
    };
    let roots = common::roots(&["a[x]", "c"]);
    let options = common::options();
    let resolution = resolve(&source, &roots, &[], &options).expect("a resolution");
    assert_eq!(resolution.packages.len(), 3);
    let mut hints = source.hints.lock().expect("hints").clone();
    hints.sort();
    assert_eq!(hints, ["a[x]", "b[y]", "b[z]", "c[]"]);
}

/// Versions 1 to 10 of `a`, `b` and `d`: `a==k` requires `b==k`, every `b`
/// but the first requires `d<2`, recording each `prefetch_versions` call. With
/// `through_extra`, every `a` but the first requires `d<2` itself, only
/// with its extra `x`.
struct Lockstep {
    through_extra: bool,
    prefetched: Mutex<Vec<(String, Vec<Version>)>>,
}

impl PackageSource for Lockstep {
    fn versions(&self, name: &PackageName) -> Result<Arc<PackageVersions>, SourceError> {
        Ok(common::numbered_versions(if name.as_ref() == "d" {
            2
        } else {
            10
        }))
    }

    fn metadata(
        &self,
        name: &PackageName,
        version: &Version,
    ) -> Result<MetadataResult, SourceError> {
        let requires = match (name.as_ref(), version.release()[0]) {
            ("a", release) if self.through_extra && release > 1 => {
                vec!["d<2 ; extra == 'x'".to_string()]
            }
            ("a", _) if self.through_extra => Vec::new(),
            ("a", release) => vec![format!("b=={release}")],
            ("b", release) if release > 1 => vec!["d<2".to_string()],
            _ => Vec::new(),
        };
        common::metadata(&requires, vec![ExtraName::from_str("x")?])
    }

    fn prefetch_versions(&self, name: &PackageName, versions: &[Version]) {
        self.prefetched
            .lock()
            .expect("prefetched")
            .push((name.to_string(), versions.to_vec()));
    }
}

#[test]
fn a_walk_down_in_lockstep_fetches_ahead_below_a_one_version_range() {
    // `d` is pinned to 2, so `a` walks down from 10 to 1, and with it `b`,
    // whose range is always the one version `a` pins.
    let source = Lockstep {
        through_extra: false,
        prefetched: Mutex::default(),
    };
    assert_eq!(
        common::pins(&source, &["d==2", "a"]),
        ["a==1", "b==1", "d==2"]
    );
    assert_fetched_ahead(&source, "b");
}

/// Each batch of `name`'s versions fetched ahead, in the order asked for.
fn batches(source: &Lockstep, name: &str) -> Vec<Vec<Version>> {
    let prefetched = source.prefetched.lock().expect("prefetched");
    prefetched
        .iter()
        .filter(|(prefetched, _)| prefetched == name)
        .map(|(_, versions)| versions.clone())
        .collect()
}

/// Checks that versions 1 to 8 of `name` were fetched ahead.
fn assert_fetched_ahead(source: &Lockstep, name: &str) {
    let fetched: Vec<Version> = batches(source, name).concat();
    for version in 1..=8 {
        assert!(
            fetched.contains(&Version::new([version])),
            "{name} {version} was not fetched ahead: {fetched:?}"
        );
    }
}

#[test]
fn the_batch_fetched_ahead_doubles_with_each_step_down() {
    let source = Lockstep {
        through_extra: false,
        prefetched: Mutex::default(),
    };
    common::pins(&source, &["d==2", "a"]);
    let sizes: Vec<usize> = batches(&source, "a").iter().map(Vec::len).collect();
    // From 9 (first step): 8 and 7; from 8: 7 to 4; from 7: what is left.
    assert_eq!(sizes[..3], [2, 4, 6], "{:?}", batches(&source, "a"));
}

#[test]
fn a_walk_down_through_an_extra_fetches_ahead() {
    // `a[x]` walks down from 10 to 1, each version ruled out by its own
    // requirement: its package is chosen only at 1, and its older versions
    // are fetched ahead as for the package.
    let source = Lockstep {
        through_extra: true,
        prefetched: Mutex::default(),
    };
    assert_eq!(common::pins(&source, &["d==2", "a[x]"]), ["a==1", "d==2"]);
    assert_fetched_ahead(&source, "a");
}

/// Versions 1 to 10 of `n`, 4 and up needing Python 3.12 as the index
/// says, recording each `prefetch_versions` call.
struct NewerNeedPython {
    prefetched: Mutex<Vec<Vec<Version>>>,
}

impl PackageSource for NewerNeedPython {
    fn versions(&self, _: &PackageName) -> Result<Arc<PackageVersions>, SourceError> {
        let mut versions = PackageVersions::clone(&common::numbered_versions(10));
        for (version, info) in &mut versions.versions {
            if version.release()[0] >= 4 {
                info.requires_python = Some(VersionSpecifiers::from_str(">=3.12")?);
            }
        }
        Ok(Arc::new(versions))
    }

    fn metadata(&self, _: &PackageName, _: &Version) -> Result<MetadataResult, SourceError> {
        common::metadata(&[], Vec::new())
    }

    fn prefetch_versions(&self, _: &PackageName, versions: &[Version]) {
        self.prefetched
            .lock()
            .expect("prefetched")
            .push(versions.to_vec());
    }
}

#[test]
fn a_walk_past_versions_that_need_another_python_fetches_one_version_ahead() {
    // 10 down to 4 are each decided and undone without their metadata
    // (numpy 2.5 to 2.1 on Python 3.9): the only metadata the walk needs
    // is 3's, so each step asks for that one, not for a doubling batch.
    let source = NewerNeedPython {
        prefetched: Mutex::default(),
    };
    assert_eq!(common::pins(&source, &["n"]), ["n==3"]);
    let prefetched = source.prefetched.lock().expect("prefetched").clone();
    assert!(!prefetched.is_empty());
    for batch in &prefetched {
        assert!(batch.len() <= 1, "{prefetched:?}");
    }
}

/// Versions 1 to 20 of `p`, 6 and up asking for `q>=2`, each read taking
/// `read` (as from the index or from the cache); records each
/// `prefetch_versions` call for `p`.
struct SlowToRead {
    read: std::time::Duration,
    prefetched: Mutex<Vec<Vec<Version>>>,
}

impl PackageSource for SlowToRead {
    fn versions(&self, name: &PackageName) -> Result<Arc<PackageVersions>, SourceError> {
        Ok(common::numbered_versions(if name.as_ref() == "p" {
            20
        } else {
            3
        }))
    }

    fn metadata(
        &self,
        name: &PackageName,
        version: &Version,
    ) -> Result<MetadataResult, SourceError> {
        std::thread::sleep(self.read);
        if name.as_ref() == "p" && version.release()[0] >= 6 {
            return common::metadata(&["q>=2".to_string()], Vec::new());
        }
        common::metadata(&[], Vec::new())
    }

    fn prefetch_versions(&self, name: &PackageName, versions: &[Version]) {
        if name.as_ref() == "p" {
            self.prefetched
                .lock()
                .expect("prefetched")
                .push(versions.to_vec());
        }
    }
}

/// The sizes of the batches read ahead while `p` passes over 20 to 6,
/// which `q<2` rules out, each read taking `read`.
fn pass_over_batches(read: std::time::Duration) -> Vec<usize> {
    let source = SlowToRead {
        read,
        prefetched: Mutex::default(),
    };
    assert_eq!(common::pins(&source, &["p", "q<2"]), ["p==5", "q==1"]);
    let prefetched = source.prefetched.lock().expect("prefetched");
    prefetched.iter().map(Vec::len).collect()
}

#[test]
fn a_walk_past_versions_the_root_rules_out_reads_further_ahead_when_it_waits() {
    // Each read a request to the index: the batch doubles with each wait,
    // up to 16 (sagemaker under `boto3<1.34`: 5.3 s → 2.5 s cold).
    let slow = pass_over_batches(std::time::Duration::from_millis(25));
    assert_eq!(&slow[..4], [4, 8, 16, 16], "{slow:?}");
    assert_eq!(slow.iter().max(), Some(&16), "{slow:?}");
    // From the cache, a few at a time: more only costs time (4 allows for
    // one read held up 20 ms on a busy machine).
    let fast = pass_over_batches(std::time::Duration::ZERO);
    assert!(fast.iter().all(|&size| size <= 4), "{fast:?}");
}
