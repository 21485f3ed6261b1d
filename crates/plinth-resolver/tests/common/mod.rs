//! What the resolver's integration tests share: a CPython 3.11 target on
//! x86_64 Linux with no pins, overrides or direct references, and the
//! pieces of small in-memory sources. Each test binary uses some of it.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::str::FromStr;
use std::sync::Arc;

use pep440_rs::Version;
use pep508_rs::{ExtraName, MarkerEnvironment, MarkerEnvironmentBuilder, Requirement};
use plinth_resolver::{
    Metadata, MetadataResult, PackageSource, PackageVersions, ResolveOptions, RootRequirement,
    SourceError, VersionInfo, resolve,
};

pub fn options() -> ResolveOptions {
    let markers = MarkerEnvironment::try_from(MarkerEnvironmentBuilder {
        implementation_name: "cpython",
        implementation_version: "3.11.0",
        os_name: "posix",
        platform_machine: "x86_64",
        platform_python_implementation: "CPython",
        platform_release: "",
        platform_system: "Linux",
        platform_version: "",
        python_full_version: "3.11.0",
        python_version: "3.11",
        sys_platform: "linux",
    })
    .expect("valid marker environment");
    ResolveOptions {
        markers,
        python_version: Version::new([3, 11]),
        prereleases: false,
        preferences: BTreeMap::new(),
        overrides: Vec::new(),
        direct: BTreeMap::new(),
        max_backtracks: None,
        pass_over_ruled_out: true,
    }
}

/// The requirements of a `requirements.in` with these lines.
pub fn roots(lines: &[&str]) -> Vec<RootRequirement> {
    lines
        .iter()
        .map(|text| RootRequirement {
            requirement: Requirement::from_str(text).expect("requirement"),
            source: "-r requirements.in".to_string(),
            origin: "requirements.in".to_string(),
        })
        .collect()
}

/// The pins, as `name==version`, of a resolution of these root lines.
pub fn pins(source: &impl PackageSource, lines: &[&str]) -> Vec<String> {
    let resolution = resolve(source, &roots(lines), &[], &options()).expect("a resolution");
    resolution
        .packages
        .iter()
        .map(|package| format!("{}=={}", package.name, package.version))
        .collect()
}

/// Versions 1 to `last`, nothing known about them but that they exist.
pub fn numbered_versions(last: u64) -> Arc<PackageVersions> {
    Arc::new(PackageVersions {
        versions: (1..=last)
            .map(|version| (Version::new([version]), VersionInfo::default()))
            .collect(),
        ..PackageVersions::default()
    })
}

/// Metadata with these requirements and extras.
pub fn metadata(
    requires: &[String],
    provides_extra: Vec<ExtraName>,
) -> Result<MetadataResult, SourceError> {
    Ok(Ok(Arc::new(Metadata {
        requires_dist: requires
            .iter()
            .map(|text| Requirement::from_str(text))
            .collect::<Result<_, _>>()?,
        provides_extra,
        ..Metadata::default()
    })))
}
