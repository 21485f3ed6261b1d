//! plinth-benches: what the offline benches share.
//!
//! A *recording* ([`Recording`]) is what a [`PackageSource`] answered during
//! one live resolution: for each package the resolver asked about, its
//! versions (after the target's file selection and the `--exclude-newer`
//! cutoff, with `Requires-Python`, yanked and unusable marks), and the core
//! metadata (`Requires-Dist`, `Requires-Python`, `Provides-Extra`) of each
//! version whose metadata the resolver read. [`RecordedSource`] answers
//! from a recording in memory, so a bench resolves exactly what the live run
//! resolved, without I/O. The `record` binary makes recordings; they live in
//! `fixtures/bench/<set>/` next to the set's `requirements.in`, the pins of
//! the live run (`pins.txt`) and a few full project pages for the parse
//! bench (`pages/`).

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::{Arc, Mutex};

use anyhow::{Context, bail};
use pep440_rs::{Version, VersionSpecifiers};
use pep508_rs::{ExtraName, MarkerEnvironment, PackageName, Requirement};
use plinth_index::{Platform, Target};
use plinth_requirements::{LockedPackage, RenderOptions, Via, render_lockfile};
use plinth_resolver::{
    Metadata, MetadataResult, PackageSource, PackageVersions, Ranges, Resolution, ResolveOptions,
    RootRequirement, SourceError, VersionInfo,
};
use serde::{Deserialize, Serialize};

/// The target every recording is made for, as `benches/compare.sh` uses it.
pub const PYTHON_VERSION: &str = "3.11";
pub const PLATFORM: &str = "x86_64-manylinux_2_28";
pub const EXCLUDE_NEWER: &str = "2026-11-01T00:00:00Z";

/// One version as the source lists it; `None` fields are left out of the file.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct RecordedVersion {
    #[serde(rename = "v")]
    pub version: String,
    #[serde(rename = "py", default, skip_serializing_if = "Option::is_none")]
    pub requires_python: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub yanked: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unusable: Option<String>,
}

/// The metadata of one version, or why it can't be used.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct RecordedMetadata {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub requires_dist: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub requires_python: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub provides_extra: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unusable: Option<String>,
}

/// What the source answered about one package.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct RecordedPackage {
    pub versions: Vec<RecordedVersion>,
    /// Versions left out by the cutoff (hints only).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub newer: Vec<String>,
    /// By version: only the versions whose metadata the resolver read.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub metadata: BTreeMap<String, RecordedMetadata>,
}

/// The answers of a package source during one resolution.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Recording {
    pub index: String,
    pub python_version: String,
    pub platform: String,
    pub exclude_newer: String,
    pub packages: BTreeMap<String, RecordedPackage>,
}

impl Recording {
    pub fn read(path: &Path) -> anyhow::Result<Self> {
        let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
        serde_json::from_slice(&bytes).with_context(|| format!("parsing {}", path.display()))
    }

    /// One package per line: compact, and a re-recording diffs by package.
    pub fn to_json(&self) -> anyhow::Result<String> {
        let mut out = String::from("{\n");
        for (key, value) in [
            ("index", &self.index),
            ("python_version", &self.python_version),
            ("platform", &self.platform),
            ("exclude_newer", &self.exclude_newer),
        ] {
            out.push_str(&format!("\"{key}\": {},\n", serde_json::to_string(value)?));
        }
        out.push_str("\"packages\": {\n");
        let mut first = true;
        for (name, package) in &self.packages {
            if !first {
                out.push_str(",\n");
            }
            first = false;
            out.push_str(&format!(
                "{}: {}",
                serde_json::to_string(name)?,
                serde_json::to_string(package)?
            ));
        }
        out.push_str("\n}\n}\n");
        Ok(out)
    }
}

/// Recording-side conversions from the resolver's types.
impl RecordedPackage {
    pub fn from_versions(versions: &PackageVersions) -> Self {
        Self {
            versions: versions
                .versions
                .iter()
                .map(|(version, info)| RecordedVersion {
                    version: version.to_string(),
                    requires_python: info.requires_python.as_ref().map(ToString::to_string),
                    yanked: info.yanked.clone(),
                    unusable: info.unusable.clone(),
                })
                .collect(),
            newer: versions
                .newer_than_cutoff
                .iter()
                .map(ToString::to_string)
                .collect(),
            metadata: BTreeMap::new(),
        }
    }
}

impl RecordedMetadata {
    pub fn from_result(result: &MetadataResult) -> Self {
        match result {
            Ok(metadata) => Self {
                requires_dist: metadata
                    .requires_dist
                    .iter()
                    .map(ToString::to_string)
                    .collect(),
                requires_python: metadata.requires_python.as_ref().map(ToString::to_string),
                provides_extra: metadata
                    .provides_extra
                    .iter()
                    .map(ToString::to_string)
                    .collect(),
                unusable: None,
            },
            Err(reason) => Self {
                unusable: Some(reason.clone()),
                ..Self::default()
            },
        }
    }
}

fn specifiers(text: &Option<String>) -> anyhow::Result<Option<VersionSpecifiers>> {
    text.as_deref()
        .map(VersionSpecifiers::from_str)
        .transpose()
        .map_err(|error| anyhow::anyhow!("{error}"))
}

struct Replayed {
    versions: Arc<PackageVersions>,
    metadata: HashMap<Version, MetadataResult>,
}

/// A [`PackageSource`] answering from a [`Recording`], in memory.
pub struct RecordedSource {
    packages: HashMap<PackageName, Replayed>,
}

impl RecordedSource {
    pub fn new(recording: &Recording) -> anyhow::Result<Self> {
        let mut packages = HashMap::new();
        for (name, package) in &recording.packages {
            let mut versions = PackageVersions::default();
            for entry in &package.versions {
                let info = VersionInfo {
                    yanked: entry.yanked.clone(),
                    unusable: entry.unusable.clone(),
                    requires_python: specifiers(&entry.requires_python)?,
                };
                versions
                    .versions
                    .insert(Version::from_str(&entry.version)?, info);
            }
            for version in &package.newer {
                versions
                    .newer_than_cutoff
                    .insert(Version::from_str(version)?);
            }
            let mut metadata = HashMap::new();
            for (version, recorded) in &package.metadata {
                let result = match &recorded.unusable {
                    Some(reason) => Err(reason.clone()),
                    None => Ok(Arc::new(Metadata {
                        extra_lines: Default::default(),
                        requires_dist: recorded
                            .requires_dist
                            .iter()
                            .map(|text| Requirement::from_str(text))
                            .collect::<Result<_, _>>()
                            .with_context(|| format!("{name} {version}"))?,
                        requires_python: specifiers(&recorded.requires_python)?,
                        provides_extra: recorded
                            .provides_extra
                            .iter()
                            .map(|text| ExtraName::from_str(text))
                            .collect::<Result<_, _>>()?,
                    })),
                };
                metadata.insert(Version::from_str(version)?, result);
            }
            packages.insert(
                PackageName::from_str(name)?,
                Replayed {
                    versions: Arc::new(versions),
                    metadata,
                },
            );
        }
        Ok(Self { packages })
    }
}

impl PackageSource for RecordedSource {
    fn versions(&self, name: &PackageName) -> Result<Arc<PackageVersions>, SourceError> {
        match self.packages.get(name) {
            Some(package) => Ok(package.versions.clone()),
            None => Err(format!("`{name}` is not in the recording").into()),
        }
    }

    fn metadata(
        &self,
        name: &PackageName,
        version: &Version,
    ) -> Result<MetadataResult, SourceError> {
        self.packages
            .get(name)
            .and_then(|package| package.metadata.get(version))
            .cloned()
            .ok_or_else(|| format!("`{name}=={version}` has no metadata in the recording").into())
    }
}

/// A [`PackageSource`] that passes every call on to `inner` and keeps the answers.
pub struct Recorder<S> {
    pub inner: S,
    pub recording: Mutex<BTreeMap<String, RecordedPackage>>,
}

impl<S: PackageSource> Recorder<S> {
    pub fn new(inner: S) -> Self {
        Self {
            inner,
            recording: Mutex::default(),
        }
    }
}

impl<S: PackageSource> PackageSource for Recorder<S> {
    fn versions(&self, name: &PackageName) -> Result<Arc<PackageVersions>, SourceError> {
        let versions = self.inner.versions(name)?;
        let mut recording = self.recording.lock().expect("recording lock");
        let package = recording.entry(name.to_string()).or_default();
        let metadata = std::mem::take(&mut package.metadata);
        *package = RecordedPackage::from_versions(&versions);
        package.metadata = metadata;
        Ok(versions)
    }

    fn metadata(
        &self,
        name: &PackageName,
        version: &Version,
    ) -> Result<MetadataResult, SourceError> {
        let result = self.inner.metadata(name, version)?;
        let mut recording = self.recording.lock().expect("recording lock");
        recording
            .entry(name.to_string())
            .or_default()
            .metadata
            .insert(version.to_string(), RecordedMetadata::from_result(&result));
        Ok(result)
    }

    fn prefetch(&self, name: &PackageName, extras: &[ExtraName], range: &Ranges<Version>) {
        self.inner.prefetch(name, extras, range);
    }

    fn prefetch_versions(&self, name: &PackageName, versions: &[Version]) {
        self.inner.prefetch_versions(name, versions);
    }

    fn root_bounds(&self, bounds: HashMap<PackageName, Ranges<Version>>) {
        self.inner.root_bounds(bounds);
    }

    fn ruled_out_by_root(&self, name: &PackageName, version: &Version, wait: bool) -> Option<bool> {
        self.inner.ruled_out_by_root(name, version, wait)
    }
}

/// `fixtures/bench/` of the repository.
pub fn fixtures_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join("fixtures")
        .join("bench")
}

/// The target of the recordings.
pub fn target() -> anyhow::Result<Target> {
    let platform = Platform::from_str(PLATFORM)?;
    Ok(Target::new(Version::from_str(PYTHON_VERSION)?, platform))
}

/// Resolver options for the recordings' target, as `plinth compile` sets them.
pub fn resolve_options(target: &Target) -> anyhow::Result<ResolveOptions> {
    let markers: MarkerEnvironment = target.markers()?;
    Ok(ResolveOptions {
        markers,
        python_version: target.python_version.clone(),
        prereleases: false,
        preferences: BTreeMap::new(),
        overrides: Vec::new(),
        direct: BTreeMap::new(),
        max_backtracks: Some(10_000),
        pass_over_ruled_out: true,
    })
}

/// The root requirements of a requirements file, labelled as `plinth compile` labels them.
pub fn roots(path: &Path) -> anyhow::Result<Vec<RootRequirement>> {
    let file = plinth_requirements::parse_file(path)?;
    if !file.unnamed.is_empty() || !file.constraints.is_empty() {
        bail!("bench sets take plain requirements only");
    }
    let label = path
        .file_name()
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_default();
    Ok(file
        .requirements
        .into_iter()
        .map(|entry| RootRequirement {
            requirement: entry.requirement,
            source: format!("-r {label}"),
            origin: format!("{label}:{}", entry.origin.line),
        })
        .collect())
}

/// `name==version` per line, sorted: what `pins.txt` holds.
pub fn pins(resolution: &Resolution) -> String {
    let mut lines: Vec<String> = resolution
        .packages
        .iter()
        .map(|package| format!("{}=={}", package.name, package.version))
        .collect();
    lines.sort();
    lines.iter().map(|line| format!("{line}\n")).collect()
}

/// The lockfile `plinth compile` would write for `resolution` (no hashes).
pub fn render(resolution: &Resolution, header_command: Option<String>) -> String {
    let packages: Vec<LockedPackage> = resolution
        .packages
        .iter()
        .map(|package| LockedPackage {
            name: package.name.clone(),
            version: package.version.clone(),
            extras: Vec::new(),
            hashes: Vec::new(),
            via: package
                .sources
                .iter()
                .map(|source| match source.split_once(' ') {
                    Some(("-r", path)) => Via::Requirements(path.to_string()),
                    _ => Via::Project(source.clone()),
                })
                .chain(package.required_by.iter().cloned().map(Via::Package))
                .collect(),
            reference: None,
            marker: None,
        })
        .collect();
    render_lockfile(
        &packages,
        &RenderOptions {
            header_command,
            annotate: true,
            annotation_style: Default::default(),
            option_lines: Vec::new(),
            no_emit: Default::default(),
        },
    )
}

/// One recorded set: its inputs, its recording and the pins of the live run.
pub struct BenchSet {
    pub name: String,
    pub requirements: PathBuf,
    pub recording: Recording,
    pub expected_pins: String,
}

impl BenchSet {
    pub fn load(name: &str) -> anyhow::Result<Self> {
        let dir = fixtures_dir().join(name);
        Ok(Self {
            name: name.to_string(),
            requirements: dir.join("requirements.in"),
            recording: Recording::read(&dir.join("index.json"))?,
            expected_pins: std::fs::read_to_string(dir.join("pins.txt"))
                .with_context(|| format!("reading {}/pins.txt", dir.display()))?,
        })
    }

    /// What resolving the set offline takes: the source, the roots, the options.
    pub fn replay(&self) -> anyhow::Result<Replay> {
        let target = target()?;
        Ok(Replay {
            source: RecordedSource::new(&self.recording)?,
            roots: roots(&self.requirements)?,
            options: resolve_options(&target)?,
        })
    }

    /// Resolve from the recording and check that the pins are the live run's.
    pub fn resolve_checked(&self) -> anyhow::Result<Resolution> {
        let replay = self.replay()?;
        let resolution = replay.resolve()?;
        let pins = pins(&resolution);
        if pins != self.expected_pins {
            bail!(
                "{}: the recording resolves to other pins than the live run\n--- live\n{}--- recorded\n{pins}",
                self.name,
                self.expected_pins
            );
        }
        Ok(resolution)
    }

    /// Every recorded set, by name.
    pub fn names() -> anyhow::Result<Vec<String>> {
        let mut names = Vec::new();
        for entry in std::fs::read_dir(fixtures_dir())? {
            let entry = entry?;
            if entry.path().join("index.json").is_file() {
                names.push(entry.file_name().to_string_lossy().into_owned());
            }
        }
        names.sort();
        Ok(names)
    }
}

/// A set ready to resolve offline.
pub struct Replay {
    pub source: RecordedSource,
    pub roots: Vec<RootRequirement>,
    pub options: ResolveOptions,
}

impl Replay {
    pub fn resolve(&self) -> anyhow::Result<Resolution> {
        Ok(plinth_resolver::resolve(
            &self.source,
            &self.roots,
            &[],
            &self.options,
        )?)
    }
}
