//! The order in which packages are decided, where it changes the answer.

use std::str::FromStr;
use std::sync::Arc;

use pep440_rs::Version;
use pep508_rs::{PackageName, Requirement};
use plinth_resolver::{
    Metadata, MetadataResult, PackageSource, PackageVersions, RootRequirement, SourceError,
    VersionInfo, resolve,
};

mod common;

/// `a` 1 to 11 with no requirements; `b` 1 to 10, each `b==k` requiring
/// `a==k` but the first, which takes any `a` (as each dagster-dbt release
/// pins its dagster, and one from 2021 takes any).
struct Lockstep;

impl PackageSource for Lockstep {
    fn versions(&self, name: &PackageName) -> Result<Arc<PackageVersions>, SourceError> {
        let last = if name.as_ref() == "a" { 11 } else { 10 };
        Ok(Arc::new(PackageVersions {
            versions: (1..=last)
                .map(|version| (Version::new([version]), VersionInfo::default()))
                .collect(),
            ..PackageVersions::default()
        }))
    }

    fn metadata(
        &self,
        name: &PackageName,
        version: &Version,
    ) -> Result<MetadataResult, SourceError> {
        let requires = match (name.as_ref(), version.release()[0]) {
            ("b", 1) => vec!["a>=1".to_string()],
            ("b", release) => vec![format!("a=={release}")],
            _ => Vec::new(),
        };
        Ok(Ok(Arc::new(Metadata {
            requires_dist: requires
                .iter()
                .map(|text| Requirement::from_str(text))
                .collect::<Result<_, _>>()?,
            ..Metadata::default()
        })))
    }
}

#[test]
fn a_package_that_keeps_conflicting_is_decided_before_its_culprit() {
    // `a` is decided first, at 11, which only the oldest `b` allows. After
    // five versions of `b` asked for another `a`, the resolution starts
    // again with `b` decided first, and `a` follows it (uv's answer),
    // instead of keeping `a==11` with the oldest `b`.
    let roots: Vec<RootRequirement> = ["a", "b"]
        .iter()
        .map(|text| RootRequirement {
            requirement: Requirement::from_str(text).expect("requirement"),
            source: "-r requirements.in".to_string(),
            origin: "requirements.in".to_string(),
        })
        .collect();
    let resolution = resolve(&Lockstep, &roots, &[], &common::options()).expect("a resolution");
    let pins: Vec<String> = resolution
        .packages
        .iter()
        .map(|package| format!("{}=={}", package.name, package.version))
        .collect();
    assert_eq!(pins, ["a==10", "b==10"]);
}
