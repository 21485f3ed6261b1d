//! What the resolver's integration tests share: a CPython 3.11 target on
//! x86_64 Linux with no pins, overrides or direct references.

use std::collections::BTreeMap;

use pep440_rs::Version;
use pep508_rs::{MarkerEnvironment, MarkerEnvironmentBuilder};
use plinth_resolver::ResolveOptions;

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
    }
}
