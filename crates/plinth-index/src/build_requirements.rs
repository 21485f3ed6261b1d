//! Build requirements installed by plinth rather than pip: a
//! [`plinth_build::Installer`] that resolves them with plinth's resolver
//! over the run's client (its connections, cache and cutoff) for the build
//! interpreter, wheels only, and unpacks the chosen wheels.

use std::path::Path;
use std::str::FromStr;

use jiff::Timestamp;
use pep440_rs::Version;
use pep508_rs::Requirement;
use plinth_build::HostPython;
use plinth_resolver::{ResolveOptions, RootRequirement};
use tokio::runtime::Handle;

use crate::client::IndexClient;
use crate::source::{FileOptions, IndexSource, PackageSelection};
use crate::target::{Os, Platform, Target};

/// Installs build requirements from the indexes of `client`.
#[derive(Debug)]
pub struct WheelInstaller {
    client: IndexClient,
    runtime: Handle,
    exclude_newer: Option<Timestamp>,
}

impl WheelInstaller {
    /// Files uploaded after `exclude_newer` are left out, as for the
    /// resolution (uv does the same); `runtime` runs the fetches, and
    /// `install` is called from outside it (a build's blocking thread).
    pub fn new(client: IndexClient, runtime: Handle, exclude_newer: Option<Timestamp>) -> Self {
        Self {
            client,
            runtime,
            exclude_newer,
        }
    }
}

impl plinth_build::Installer for WheelInstaller {
    fn fingerprint(&self) -> String {
        format!(
            "plinth wheels\n{}\n{:?}",
            self.client.sources_fingerprint(),
            self.exclude_newer
        )
    }

    fn prefetch(&self, requirements: &[String]) {
        let names: Vec<_> = requirements
            .iter()
            .filter_map(|text| <Requirement>::from_str(text).ok())
            .map(|requirement| requirement.name)
            .collect();
        self.client.prefetch_projects(&self.runtime, &names);
    }

    fn install(
        &self,
        requirements: &[String],
        python: &HostPython,
        target: &Path,
    ) -> Result<(), String> {
        if !python.plain_cpython {
            return Err("the build interpreter is not a 64-bit CPython with the GIL".to_string());
        }
        let version = Version::from_str(&python.version)
            .map_err(|error| format!("the interpreter's version: {error}"))?;
        let mut platform = Platform::of_host(&python.sys_platform, &python.machine, &python.libc)?;
        if let Os::Macos { major, minor } = &mut platform.os {
            let mut release = python.macos.split('.').map(str::parse::<u16>);
            if let Some(Ok(found)) = release.next() {
                *major = found;
                *minor = release.next().and_then(Result::ok).unwrap_or(0);
            }
        }
        let environment = Target::new(version.clone(), platform);
        let markers = environment
            .markers()
            .map_err(|error| format!("the interpreter's markers: {error}"))?;
        let roots = requirements
            .iter()
            .map(|text| {
                let requirement = Requirement::from_str(text).map_err(|error| error.to_string())?;
                Ok(RootRequirement {
                    requirement,
                    source: "build requirement".to_string(),
                    origin: format!("the build requirement `{text}`"),
                })
            })
            .collect::<Result<Vec<_>, String>>()?;
        let source = IndexSource::new(
            self.client.clone(),
            environment,
            FileOptions {
                exclude_newer: self.exclude_newer,
                no_binary: PackageSelection::default(),
                only_binary: PackageSelection {
                    all: true,
                    ..PackageSelection::default()
                },
                build: None,
                keep_wheels: true,
                shared_rankings: None,
            },
            self.runtime.clone(),
        );
        let options = ResolveOptions {
            markers,
            python_version: version,
            prereleases: false,
            preferences: Default::default(),
            overrides: Vec::new(),
            direct: Default::default(),
            max_backtracks: Some(10_000),
            pass_over_ruled_out: true,
        };
        let resolution = plinth_resolver::resolve(&source, &roots, &[], &options)
            .map_err(|error| error.to_string())?;
        let wheels = self
            .runtime
            .block_on(futures::future::try_join_all(
                resolution
                    .packages
                    .iter()
                    .map(|package| source.wheel(&package.name, &package.version)),
            ))
            .map_err(|error| error.to_string())?;
        for (filename, bytes) in wheels {
            plinth_build::install_wheel(&filename, &bytes, target)?;
        }
        Ok(())
    }
}
