//! The order in which packages are decided, where it changes the answer.

use std::sync::Arc;

use pep440_rs::Version;
use pep508_rs::PackageName;
use plinth_resolver::{MetadataResult, PackageSource, PackageVersions, SourceError};

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

#[test]
fn a_package_that_keeps_conflicting_is_decided_before_its_culprit() {
    // `a` 1 to 11; `b` 1 to 10, each `b==k` requiring `a==k` but the
    // first, which takes any `a` (as each dagster-dbt release pins its
    // dagster, and one from 2021 takes any). `a` is decided first, at 11,
    // which only the oldest `b` allows. After five versions of `b` asked
    // for another `a`, the resolution starts again with `b` decided before
    // `a`, and `a` follows it (uv's answer), instead of keeping `a==11`
    // with the oldest `b`.
    let source = Rules {
        last: |name| if name == "a" { 11 } else { 10 },
        requires: |name, version| match (name, version) {
            ("b", 1) => vec!["a>=1".to_string()],
            ("b", version) => vec![format!("a=={version}")],
            _ => Vec::new(),
        },
    };
    assert_eq!(common::pins(&source, &["a", "b"]), ["a==10", "b==10"]);
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
