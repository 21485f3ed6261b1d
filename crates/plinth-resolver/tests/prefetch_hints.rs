//! The hints the resolver gives its source to fetch ahead: one per package
//! when it is first required, and one more for each extra asked of it that
//! was not asked before (so that a source running ahead follows
//! `celery[redis]` to `kombu[redis]` to `redis`).

use std::collections::BTreeMap;
use std::str::FromStr;
use std::sync::{Arc, Mutex};

use pep440_rs::Version;
use pep508_rs::{ExtraName, PackageName, Requirement};
use plinth_resolver::{
    Metadata, MetadataResult, PackageSource, PackageVersions, Ranges, RootRequirement, SourceError,
    VersionInfo, resolve,
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
    let roots: Vec<RootRequirement> = ["a[x]", "c"]
        .iter()
        .map(|text| RootRequirement {
            requirement: Requirement::from_str(text).expect("requirement"),
            source: "-r requirements.in".to_string(),
            origin: "requirements.in".to_string(),
        })
        .collect();
    let options = common::options();
    let resolution = resolve(&source, &roots, &[], &options).expect("a resolution");
    assert_eq!(resolution.packages.len(), 3);
    let mut hints = source.hints.lock().expect("hints").clone();
    hints.sort();
    assert_eq!(hints, ["a[x]", "b[y]", "b[z]", "c[]"]);
}
