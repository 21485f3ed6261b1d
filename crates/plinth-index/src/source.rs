//! [`PackageSource`] over real indexes: what the resolver sees of them.
//!
//! The resolver runs on its own thread and calls in synchronously; fetches
//! run on a tokio runtime, and each project page or metadata file is fetched
//! once per run however many callers wait for it. `prefetch` starts fetches
//! in the background so that network time overlaps with solving.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::str::FromStr;
use std::sync::{Arc, Mutex};

use jiff::Timestamp;
use pep440_rs::{Version, VersionSpecifiers};
use pep508_rs::{ExtraName, MarkerEnvironment, PackageName, VersionOrUrl};
use plinth_resolver::{
    MetadataResult, PackageSource, PackageVersions, Ranges, SourceError, VersionInfo,
};
use tokio::runtime::Handle;

use crate::FreedApart;
use crate::client::{DependencyHint, IndexClient};
use crate::error::IndexError;
use crate::filename::DistFilename;
use crate::grouped;
use crate::metadata::{CoreMetadata, resolver_metadata};
use crate::once::{self, OnceMap, Progress};
use crate::pins;
use crate::ranked::{self, Ranked, RankedFor, SharedRankings, VersionFiles};
use crate::simple::IndexFile;
use crate::target::Target;

/// Running ahead past versions the root rules out reads this many older
/// versions at once, at most this many times (the resolver's own hints
/// take over after a backtrack).
const WALK_PAST_BATCH: usize = 4;
const WALK_PAST_BATCHES: usize = 4;

/// Packages a `--no-binary` / `--only-binary` option applies to.
#[derive(Debug, Clone, Default)]
pub struct PackageSelection {
    pub all: bool,
    pub packages: HashSet<PackageName>,
}

impl PackageSelection {
    pub fn contains(&self, name: &PackageName) -> bool {
        self.all || self.packages.contains(name)
    }
}

/// Which files of the index may be used.
#[derive(Debug, Clone, Default)]
pub struct FileOptions {
    /// Ignore files uploaded after this instant.
    pub exclude_newer: Option<Timestamp>,
    /// Never use wheels of these packages.
    pub no_binary: PackageSelection,
    /// Never use sdists of these packages.
    pub only_binary: PackageSelection,
    /// How to build sdists without static metadata; `None` forbids builds.
    pub build: Option<plinth_build::BuildOptions>,
    /// Download wheels whole to read their metadata, and keep them for
    /// [`IndexSource::wheel`]: for a resolution whose wheels are installed
    /// next (build requirements), one request per wheel instead of a range
    /// read and then a download.
    pub keep_wheels: bool,
    /// Where the sources of a universal resolution (one per environment)
    /// keep their rankings: one cache entry per project for all of them
    /// (see [`SharedRankings`]); `None` stores one per project and target.
    pub shared_rankings: Option<Arc<SharedRankings>>,
}

/// What ranking needs to know of a file: a wheel and its rank for the
/// target (`None` when unusable or forbidden), or an sdist.
#[derive(Debug, Clone, Copy)]
enum Kind {
    Wheel { rank: Option<usize> },
    Sdist,
}

#[derive(Debug)]
struct Project {
    versions: Arc<PackageVersions>,
    files: Arc<BTreeMap<Version, VersionFiles>>,
    /// Every file of the project page, shared with the client (and with
    /// the sources of the other environments of a universal resolution);
    /// `None` when the project was read from its ranking (see [`ranked`])
    /// and the page has not been needed.
    page: Option<Arc<Vec<IndexFile>>>,
    /// The id of the stored page the positions in `files` refer to.
    page_id: Option<String>,
}

impl Project {
    fn new(ranked: Ranked, page: Option<Arc<Vec<IndexFile>>>, page_id: Option<String>) -> Self {
        Self {
            versions: ranked.versions,
            files: ranked.files,
            page,
            page_id,
        }
    }

    /// Every file of `version`, from `page`.
    fn all_in(&self, page: &[IndexFile], version: &Version) -> Vec<IndexFile> {
        self.files
            .get(version)
            .map(|files| {
                files
                    .all()
                    .into_iter()
                    .filter_map(|at| page.get(at).cloned())
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The file of `version` to read metadata from.
    fn best(&self, version: &Version) -> Option<IndexFile> {
        self.files
            .get(version)?
            .best(self.page.as_deref().map_or(&[], Vec::as_slice))
    }

    /// Whether the metadata of `version` comes from a wheel (a cheap read,
    /// never a build).
    fn read_from_wheel(&self, version: &Version) -> bool {
        self.best(version)
            .is_some_and(|file| file.filename().ends_with(".whl"))
    }
}

#[derive(Debug)]
struct Inner {
    client: IndexClient,
    target: Target,
    options: FileOptions,
    /// A run's projects and metadata are many small allocations (9 ms to
    /// free for a 160-package ML stack read from the cache, a tenth of the
    /// run): they are freed apart (see [`FreedApart`]).
    projects: FreedApart<OnceMap<PackageName, Result<Arc<Project>, IndexError>>>,
    metadata: FreedApart<OnceMap<(PackageName, Version), Result<MetadataResult, IndexError>>>,
    /// The lockfile fast path: only these versions exist, read from their
    /// records (see [`crate::pins`]) instead of the project pages.
    pinned: Option<BTreeMap<PackageName, Version>>,
    /// The target's marker environment and full Python version, for
    /// running ahead of the resolver (see [`Inner::speculate`]).
    speculation: Option<(MarkerEnvironment, Version)>,
    /// The packages already run ahead to, each without extras (`None`) and
    /// with each extra asked for.
    speculated: Mutex<HashSet<(PackageName, Option<ExtraName>)>>,
    /// What the root allows of the packages it names (see
    /// [`PackageSource::root_bounds`]).
    root_bounds: std::sync::OnceLock<HashMap<PackageName, Ranges<Version>>>,
    /// Wheels downloaded whole, by filename (see [`FileOptions::keep_wheels`]).
    kept_wheels: Mutex<HashMap<String, Arc<Vec<u8>>>>,
    /// The release hints asked for (see [`Inner::hint`]), as metadata.
    hints: OnceMap<PackageName, Option<(Version, Arc<plinth_resolver::Metadata>)>>,
    /// The packages whose hint was followed, each without extras (`None`)
    /// and with each extra asked for.
    hinted: Mutex<HashSet<(PackageName, Option<ExtraName>)>>,
    /// The packages run ahead to from an older release's guess (see
    /// [`Inner::speculate_from_newer`]), kept apart from `speculated`.
    guessed: Mutex<HashSet<(PackageName, Option<ExtraName>)>>,
}

/// Real indexes as a [`PackageSource`].
#[derive(Debug, Clone)]
pub struct IndexSource {
    inner: Arc<Inner>,
    runtime: Handle,
}

impl IndexSource {
    /// `runtime` runs the fetches; call the `PackageSource` methods from outside it.
    pub fn new(client: IndexClient, target: Target, options: FileOptions, runtime: Handle) -> Self {
        Self::with_pins(client, target, options, runtime, None)
    }

    /// A source for the lockfile fast path: each package has only its pinned
    /// version, with the files recorded by [`Self::remember_pins`] in an
    /// earlier run; no project page is read. A package without a pin or a
    /// record fails with [`IndexError::NotRecorded`]. Give it an offline
    /// client, so that metadata comes from the cache or not at all.
    pub fn pinned(
        client: IndexClient,
        target: Target,
        options: FileOptions,
        runtime: Handle,
        pins: BTreeMap<PackageName, Version>,
    ) -> Self {
        Self::with_pins(client, target, options, runtime, Some(pins))
    }

    fn with_pins(
        client: IndexClient,
        target: Target,
        options: FileOptions,
        runtime: Handle,
        pinned: Option<BTreeMap<PackageName, Version>>,
    ) -> Self {
        Self {
            inner: Arc::new(Inner {
                // Not with whole wheels: a guess would download one.
                speculation: (!options.keep_wheels)
                    .then(|| target.markers().ok())
                    .flatten()
                    .zip(Version::from_str(&target.python_full_version()).ok()),
                speculated: Mutex::default(),
                root_bounds: std::sync::OnceLock::new(),
                kept_wheels: Mutex::default(),
                hints: Mutex::default(),
                hinted: Mutex::default(),
                guessed: Mutex::default(),
                client,
                target,
                options,
                projects: FreedApart::default(),
                metadata: FreedApart::default(),
                pinned,
            }),
            runtime,
        }
    }

    /// Store the files of each `name==version` (chosen by a resolution that
    /// read their project pages) for a later fast path. A project read from
    /// its ranking, whose page was not read this run, keeps a record younger
    /// than half its life: there is nothing newer to record.
    pub fn remember_pins<'p>(
        &self,
        pins: impl IntoIterator<Item = (&'p PackageName, &'p Version)>,
    ) {
        let inner = &self.inner;
        if inner.pinned.is_some() {
            return;
        }
        let projects: Vec<_> = {
            let projects = inner
                .projects
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            pins.into_iter()
                .filter_map(|(name, version)| {
                    let Some(Ok(project)) = projects.get(name).and_then(|cell| cell.get()) else {
                        return None;
                    };
                    project
                        .files
                        .contains_key(version)
                        .then(|| (name, version, project.clone()))
                })
                .collect()
        };
        // Each pin reads (and may write) a record of its own: side by side.
        let now = crate::client::unix_now();
        let tasks: Vec<_> = projects
            .into_iter()
            .map(|(name, version, project)| {
                let (inner, name, version) = (inner.clone(), name.clone(), version.clone());
                self.runtime
                    .spawn(async move { inner.remember_pin(&name, &version, &project, now).await })
            })
            .collect();
        self.runtime.block_on(futures::future::join_all(tasks));
    }

    /// Fetches the metadata of `name==version` (if a wheel has it) and runs
    /// ahead from it to its dependencies with `extras` that this target's
    /// markers select, as for a version the resolver is likely to choose:
    /// for the environments of a universal resolution still to resolve,
    /// with the versions an earlier one chose. Where `version` needs
    /// another Python than the target's, from the newest older version
    /// that does not (what the resolver takes in its place: numpy 2.0.2 on
    /// Python 3.9 where 3.10 has 2.2.6).
    pub fn run_ahead_from(&self, name: &PackageName, extras: &[ExtraName], version: &Version) {
        let (inner, name, extras) = (self.inner.clone(), name.clone(), extras.to_vec());
        let range = Ranges::lower_than(version.clone());
        self.runtime
            .spawn(async move { inner.run_ahead(&name, &extras, &range, true).await });
    }

    pub(crate) fn client(&self) -> &IndexClient {
        &self.inner.client
    }

    pub(crate) fn target(&self) -> &Target {
        &self.inner.target
    }

    /// How to build sdists; `None` when builds are forbidden.
    pub(crate) fn build(&self) -> Option<&plinth_build::BuildOptions> {
        self.inner.options.build.as_ref()
    }

    /// In the background: read the project of `name`, then the metadata of
    /// the versions `choose` picks from it.
    fn prefetch_metadata(
        &self,
        name: &PackageName,
        choose: impl FnOnce(&Project) -> Vec<Version> + Send + 'static,
    ) {
        let inner = self.inner.clone();
        let name = name.clone();
        self.runtime.spawn(async move {
            let Ok(project) = inner.project(&name).await else {
                return;
            };
            let fetches = choose(&project)
                .into_iter()
                .map(|version| {
                    let (inner, name) = (inner.clone(), name.clone());
                    async move {
                        let _ = inner.metadata(&name, &version).await;
                    }
                })
                .collect::<Vec<_>>();
            futures::future::join_all(fetches).await;
        });
    }

    /// The best wheel of `name==version` for the target, as its filename and
    /// bytes (verified against the index's sha256): kept from reading its
    /// metadata (see [`FileOptions::keep_wheels`]) or downloaded now.
    pub async fn wheel(
        &self,
        name: &PackageName,
        version: &Version,
    ) -> Result<(String, Arc<Vec<u8>>), IndexError> {
        let project = self.inner.project(name).await?;
        let Some(file) = project
            .best(version)
            .filter(|file| file.filename().ends_with(".whl"))
        else {
            return Err(IndexError::Client(format!(
                "`{name}=={version}` has no wheel for the target"
            )));
        };
        let filename = file.filename().to_string();
        let kept = self
            .inner
            .kept_wheels
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .get(&filename)
            .cloned();
        let bytes = match kept {
            Some(bytes) => bytes,
            None => Arc::new(self.inner.client.download(&file).await?),
        };
        Ok((filename, bytes))
    }

    /// `sha256:<hex>` of every file of `name==version`, sorted.
    pub async fn hashes(
        &self,
        name: &PackageName,
        version: &Version,
    ) -> Result<Vec<String>, IndexError> {
        let files = self.inner.files_of(name, version).await?;
        let hashes = futures::future::try_join_all(
            files.iter().map(|file| self.inner.client.file_sha256(file)),
        )
        .await?;
        let mut hashes: Vec<String> = hashes
            .into_iter()
            .map(|hash| format!("sha256:{hash}"))
            .collect();
        hashes.sort();
        hashes.dedup();
        Ok(hashes)
    }
}

impl Inner {
    async fn project(self: &Arc<Self>, name: &PackageName) -> Result<Arc<Project>, IndexError> {
        let cell = once::cell(&self.projects, name);
        cell.get_or_init(|| async {
            if let Some(pins) = &self.pinned {
                let files = Arc::new(self.recorded_files(name, pins.get(name))?);
                return Ok(Arc::new(self.build_project(name, files, None)));
            }
            // A page the cache would give as it is has been ranked before.
            if let Some(id) = self.client.stored_page_id(name)
                && let Some(ranked) = self.stored_ranking(name, &id)
            {
                return Ok(Arc::new(Project::new(ranked, None, Some(id))));
            }
            let page = self.client.project(name).await?;
            let (files, id) = page.map(|page| (page.files, page.id)).unwrap_or_default();
            if let Some(id) = &id
                && let Some(ranked) = self.stored_ranking(name, id)
            {
                return Ok(Arc::new(Project::new(
                    ranked,
                    Some(files),
                    Some(id.clone()),
                )));
            }
            let mut project = self.build_project(name, files.clone(), id);
            if let Some(id) = &project.page_id {
                let sources = self.client.sources_fingerprint();
                let ranked_for = self.ranked_for(&sources, name);
                // This source keeps the project for the rest of the run.
                match &self.options.shared_rankings {
                    Some(shared) => {
                        let ranked = Ranked {
                            versions: project.versions.clone(),
                            files: project.files.clone(),
                        };
                        let ranked = shared.put(
                            ranked::shared_key(&ranked_for),
                            ranked::target_id(&self.target),
                            ranked,
                            id,
                            &files,
                        );
                        project.versions = ranked.versions;
                        project.files = ranked.files;
                    }
                    None => {
                        let ranking = ranked::encode(id, &project.versions, &project.files, &files);
                        self.client
                            .cache_put_later(ranked::key(&ranked_for), ranking);
                    }
                }
            }
            Ok(Arc::new(project))
        })
        .await
        .clone()
    }

    /// What decides how the files of `name` are ranked, besides its page.
    fn ranked_for<'a>(&'a self, sources: &'a str, name: &'a PackageName) -> RankedFor<'a> {
        RankedFor {
            sources,
            name,
            target: &self.target,
            exclude_newer: self.options.exclude_newer,
            wheels_allowed: !self.options.no_binary.contains(name),
            sdists_allowed: !self.options.only_binary.contains(name),
            builds_allowed: self.options.build.is_some(),
        }
    }

    /// The stored ranking of the page of `name` stored as `page_id`.
    fn stored_ranking(&self, name: &PackageName, page_id: &str) -> Option<Ranked> {
        let sources = self.client.sources_fingerprint();
        let ranked_for = self.ranked_for(&sources, name);
        if let Some(shared) = &self.options.shared_rankings {
            return shared.get(
                &ranked::shared_key(&ranked_for),
                &ranked::target_id(&self.target),
                page_id,
                |key| self.client.cache_get(key),
            );
        }
        let bytes = self.client.cache_get(&ranked::key(&ranked_for))?;
        // A ranking of an older page is replaced once this one is ranked.
        ranked::decode(bytes, page_id)
    }

    /// Every file of `name==version`, reading the project page if the
    /// project was read from its ranking.
    async fn files_of(
        self: &Arc<Self>,
        name: &PackageName,
        version: &Version,
    ) -> Result<Vec<IndexFile>, IndexError> {
        let project = self.project(name).await?;
        if let Some(page) = &project.page {
            return Ok(project.all_in(page, version));
        }
        let page = self.client.project(name).await?;
        let (files, id) = page.map(|page| (page.files, page.id)).unwrap_or_default();
        if id.is_some() && id == project.page_id {
            Ok(project.all_in(&files, version))
        } else {
            // The page was stored anew since (by another run): rank it again.
            let again = self.build_project(name, files.clone(), id);
            Ok(again.all_in(&files, version))
        }
    }

    /// Store the files of `name==version` for a later fast path (see
    /// [`IndexSource::remember_pins`]).
    async fn remember_pin(
        self: &Arc<Self>,
        name: &PackageName,
        version: &Version,
        project: &Project,
        now: u64,
    ) {
        let key = self.pin_key(name, version);
        let files = match &project.page {
            Some(page) => project.all_in(page, version),
            None => {
                let recorded = self.client.cache_get(&key).is_some_and(|bytes| {
                    pins::trusted_at(&bytes, now.saturating_add(pins::MAX_AGE / 2))
                });
                if recorded {
                    return;
                }
                let Ok(files) = self.files_of(name, version).await else {
                    return;
                };
                files
            }
        };
        self.client.cache_put(&key, &pins::encode(&files, now));
    }

    fn pin_key(&self, name: &PackageName, version: &Version) -> String {
        pins::key(
            &self.client.sources_fingerprint(),
            self.options.exclude_newer,
            name,
            version,
        )
    }

    /// The recorded files of the pinned version of `name`.
    fn recorded_files(
        &self,
        name: &PackageName,
        pin: Option<&Version>,
    ) -> Result<Vec<IndexFile>, IndexError> {
        let not_recorded = || IndexError::NotRecorded {
            package: name.to_string(),
        };
        let pin = pin.ok_or_else(not_recorded)?;
        self.client
            .cache_get(&self.pin_key(name, pin))
            .and_then(|bytes| pins::decode(&bytes, crate::client::unix_now()))
            .ok_or_else(not_recorded)
    }

    /// Group files by version, drop what the options exclude, rank the rest for the target.
    fn build_project(
        &self,
        name: &PackageName,
        page: Arc<Vec<IndexFile>>,
        page_id: Option<String>,
    ) -> Project {
        let group = || grouped::group(name, &page, self.options.exclude_newer);
        let grouped = match &self.options.shared_rankings {
            Some(shared) => shared.grouped(name, &page, group),
            None => Arc::new(group()),
        };
        let wheels_allowed = !self.options.no_binary.contains(name);
        let ranks: Vec<Option<usize>> = grouped
            .tag_sets
            .iter()
            .map(|[python, abi, platform]| {
                wheels_allowed
                    .then(|| self.target.wheel_rank_of_sets([python, abi, platform]))
                    .flatten()
            })
            .collect();
        let mut versions = Vec::with_capacity(grouped.versions.len());
        let mut project_files = Vec::with_capacity(grouped.versions.len());
        let mut requires_python = HashMap::new();
        for ((version, files), all) in grouped.versions.iter().zip(&grouped.positions) {
            let files: Vec<(usize, Kind)> = files
                .iter()
                .map(|(at, tags)| {
                    let kind = match tags {
                        Some(tags) => Kind::Wheel { rank: ranks[*tags] },
                        None => Kind::Sdist,
                    };
                    (*at, kind)
                })
                .collect();
            let (info, best) = self.rank(name, &page, &files, &mut requires_python);
            versions.push((version.clone(), info));
            project_files.push((
                version.clone(),
                VersionFiles::Ranked {
                    best: best.map(|position| files[position].0),
                    all: all.clone(),
                },
            ));
        }
        // In version order: built in one go, not searched for each.
        let ranked = Ranked {
            versions: Arc::new(PackageVersions {
                versions: BTreeMap::from_iter(versions),
                newer_than_cutoff: grouped.newer_than_cutoff.clone(),
            }),
            files: Arc::new(BTreeMap::from_iter(project_files)),
        };
        Project::new(ranked, Some(page), page_id)
    }

    /// What the resolver needs to know of one version, and the position in
    /// `files` (positions in `page`, and their kinds) of the file to read its
    /// metadata from: its best wheel for the target, else its sdist. When
    /// the sdist would have to be built for it, one of the version's other
    /// wheels instead, as uv does: the files of a version carry the same
    /// metadata, a range read is cheaper than a build, and the sdist is still
    /// what installs (its `Requires-Python` counts).
    ///
    /// `requires_python` holds the page's `Requires-Python` values parsed
    /// so far: most versions share a few, and a clone shares the parsed
    /// versions (parsing each version's anew took a fifth of a universal
    /// resolution's memory).
    fn rank<'page>(
        &self,
        name: &PackageName,
        page: &'page [IndexFile],
        files: &[(usize, Kind)],
        requires_python: &mut HashMap<&'page str, Option<VersionSpecifiers>>,
    ) -> (VersionInfo, Option<usize>) {
        let wheels_allowed = !self.options.no_binary.contains(name);
        let sdists_allowed = !self.options.only_binary.contains(name);
        // (rank, position) of the best wheel, position of the sdist.
        let mut best_wheel: Option<(usize, usize)> = None;
        let mut sdist = None;
        let mut other_wheel = None;
        let (mut has_wheel, mut has_sdist) = (false, false);
        let mut usable: Vec<&IndexFile> = Vec::new();
        for (position, &(at, kind)) in files.iter().enumerate() {
            match kind {
                Kind::Wheel { rank } => {
                    has_wheel = true;
                    other_wheel.get_or_insert(position);
                    if let Some(rank) = rank {
                        usable.push(&page[at]);
                        if best_wheel.is_none_or(|(best, _)| rank < best) {
                            best_wheel = Some((rank, position));
                        }
                    }
                }
                Kind::Sdist => {
                    has_sdist = true;
                    if sdists_allowed {
                        usable.push(&page[at]);
                        sdist.get_or_insert(position);
                    }
                }
            }
        }
        let best = best_wheel.map(|(_, position)| position).or(sdist);
        let unusable = best.is_none().then(|| {
            if has_wheel && !wheels_allowed && !has_sdist {
                "it has only wheels and `--no-binary` forbids them".to_string()
            } else if has_sdist && !sdists_allowed && !has_wheel {
                "it has only a source distribution and `--only-binary` forbids it".to_string()
            } else {
                // Name a few of the wheels that exist, so users see what would work.
                let mut available: Vec<String> = files
                    .iter()
                    .filter_map(
                        |&(at, _)| match DistFilename::parse(page[at].filename(), name)? {
                            DistFilename::Wheel(wheel) => Some(format!(
                                "{}-{}-{}",
                                wheel.python_tags.join("."),
                                wheel.abi_tags.join("."),
                                wheel.platform_tags.join(".")
                            )),
                            DistFilename::Sdist { .. } => None,
                        },
                    )
                    .collect();
                // Newest Pythons first: those are the ones a user can move to.
                available.sort_by(|a, b| {
                    newest_python_tag(b)
                        .cmp(&newest_python_tag(a))
                        .then_with(|| a.cmp(b))
                });
                available.dedup();
                let shown = available.len().min(4);
                let more = if available.len() > shown {
                    format!(", and {} more", available.len() - shown)
                } else {
                    String::new()
                };
                let wheels = if available.is_empty() {
                    String::new()
                } else {
                    format!(
                        "; it has wheels for {}{more}",
                        available[..shown].join(", ")
                    )
                };
                format!(
                    "it has no wheel for the target (CPython {}, {}){}{wheels}",
                    self.target.python_version,
                    self.target.platform,
                    match (has_sdist, sdists_allowed) {
                        (false, _) => " and no source distribution",
                        (true, false) => " and `--only-binary` forbids its source distribution",
                        (true, true) => "",
                    }
                )
            }
        });
        let yanked = if !usable.is_empty() && usable.iter().all(|file| file.yanked().is_some()) {
            usable
                .first()
                .and_then(|file| file.yanked().map(str::to_string))
        } else {
            None
        };
        let requires_python = best
            .and_then(|position| page[files[position].0].requires_python())
            .and_then(|text| {
                requires_python
                    .entry(text)
                    .or_insert_with(|| crate::metadata::lenient_specifiers(text))
                    .clone()
            });
        let metadata_from = match (best_wheel, sdist, other_wheel) {
            (None, Some(_), Some(wheel)) if wheels_allowed && self.options.build.is_some() => {
                Some(wheel)
            }
            _ => best,
        };
        (
            VersionInfo {
                yanked,
                unusable,
                requires_python,
            },
            metadata_from,
        )
    }

    async fn metadata(
        self: &Arc<Self>,
        name: &PackageName,
        version: &Version,
    ) -> Result<MetadataResult, IndexError> {
        let cell = once::cell(&self.metadata, &(name.clone(), version.clone()));
        cell.get_or_init(|| self.fetch_metadata(name, version))
            .await
            .clone()
    }

    async fn fetch_metadata(
        self: &Arc<Self>,
        name: &PackageName,
        version: &Version,
    ) -> Result<MetadataResult, IndexError> {
        let project = self.project(name).await?;
        let Some(file) = project.best(version) else {
            return Ok(Err(format!("`{name}=={version}` has no usable file")));
        };
        let bytes = if file.filename().ends_with(".whl") && self.options.keep_wheels {
            let wheel = self.client.download(&file).await?;
            let metadata = plinth_build::wheel_metadata(std::io::Cursor::new(wheel.as_slice()))
                .map_err(|message| IndexError::Archive {
                    url: crate::error::redact(&file.url().to_url()),
                    message,
                })?;
            self.kept_wheels
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner())
                .insert(file.filename().to_string(), Arc::new(wheel));
            metadata
        } else if file.filename().ends_with(".whl") {
            return self.client.resolver_metadata(&file).await;
        } else {
            let metadata = self
                .client
                .sdist_metadata(
                    &file,
                    self.options.build.as_ref(),
                    self.dependency_hint(name),
                )
                .await
                .map_err(|error| match error {
                    IndexError::Build { url, message, .. } => IndexError::Build {
                        package: format!("`{name}=={version}`"),
                        url,
                        message,
                    },
                    other => other,
                })?;
            match metadata {
                Ok(bytes) => bytes,
                Err(reason) => return Ok(Err(reason)),
            }
        };
        Ok(resolver_metadata(&bytes, self.client.requirements()))
    }

    /// Runs ahead of the resolver: the dependencies of a likely candidate
    /// (those for this target, with the extras asked of it) get their pages
    /// read and the metadata of their own likely candidates fetched when
    /// that is a wheel, and so on down, each package and each of its extras
    /// once. The resolver asks for most of these next; a cold run then does
    /// not wait for one level of the dependency tree after the other. A
    /// guess that the resolver does not follow costs a page and a metadata
    /// read, never a build.
    fn speculate(self: &Arc<Self>, metadata: &plinth_resolver::Metadata, extras: &[ExtraName]) {
        self.speculate_with(metadata, extras, false);
    }

    /// Runs ahead from the hint of a release newer than the one the
    /// resolver will likely pick (under `--exclude-newer`, or a cap on the
    /// package) but of the same major version: the older release mostly
    /// depends on the same packages at older versions, so each of them runs
    /// ahead from its likely candidate in what the root allows of it. These
    /// guesses are kept apart from the packages run ahead to, so that the
    /// chosen version's metadata, once read, still runs ahead with its own
    /// ranges.
    fn speculate_from_newer(
        self: &Arc<Self>,
        metadata: &plinth_resolver::Metadata,
        extras: &[ExtraName],
    ) {
        self.speculate_with(metadata, extras, true);
    }

    fn speculate_with(
        self: &Arc<Self>,
        metadata: &plinth_resolver::Metadata,
        extras: &[ExtraName],
        newer: bool,
    ) {
        let Some((markers, _)) = &self.speculation else {
            return;
        };
        if self.pinned.is_some() {
            return;
        }
        let Ok(requirements) = metadata.requirements(extras) else {
            return;
        };
        for requirement in requirements {
            if !requirement.marker.evaluate(markers, extras) {
                continue;
            }
            let range = match &requirement.version_or_url {
                Some(VersionOrUrl::Url(_)) => continue,
                _ if newer => self
                    .root_bounds
                    .get()
                    .and_then(|bounds| bounds.get(&requirement.name))
                    .cloned()
                    .unwrap_or_else(Ranges::full),
                None => Ranges::full(),
                Some(VersionOrUrl::VersionSpecifier(specifiers)) => {
                    plinth_resolver::specifiers::specifiers_to_range(specifiers)
                }
            };
            let marks = if newer {
                &self.guessed
            } else {
                &self.speculated
            };
            let Some(extras) = first_time(marks, &requirement.name, &requirement.extras) else {
                continue;
            };
            let (inner, name) = (self.clone(), requirement.name.clone());
            tokio::spawn(async move { inner.run_ahead(&name, &extras, &range, true).await });
        }
    }

    /// Runs ahead to the dependencies an sdist of `name` lists where they
    /// are not static, while it is built (see [`DependencyHint`]), with the
    /// extras run ahead to for `name`.
    fn dependency_hint(self: &Arc<Self>, name: &PackageName) -> Option<DependencyHint> {
        self.speculation.as_ref()?;
        let (inner, name) = (self.clone(), name.clone());
        Some(Arc::new(move |metadata: &plinth_resolver::Metadata| {
            let extras: Vec<ExtraName> = inner
                .speculated
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner())
                .iter()
                .filter(|(speculated, _)| *speculated == name)
                .filter_map(|(_, extra)| extra.clone())
                .collect();
            inner.speculate(metadata, &extras);
        }))
    }

    /// Follows the index's hint of what the latest release of `name`
    /// depends on (see [`IndexClient::release_hint`]), asked beside its
    /// page on a cold run, with `extras`: the pages of those dependencies
    /// for this target are read at once, and their hints followed (a
    /// wanted older version, say under `--exclude-newer`, mostly has the
    /// same ones); once the page is in, and the latest release is the
    /// likely candidate in `range`, the run goes ahead from it as from its
    /// metadata (from an older likely candidate of the same major version:
    /// see [`Inner::speculate_from_newer`]). The next level's pages come a
    /// round trip sooner; the resolver still reads the chosen files' own
    /// metadata.
    fn hint(
        self: &Arc<Self>,
        name: &PackageName,
        extras: &[ExtraName],
        range: Option<&Ranges<Version>>,
    ) {
        if self.pinned.is_some() || self.client.has_stored_page(name) {
            return;
        }
        // Its dependencies' pages are asked for once; a range (given when
        // the package is run ahead to) is checked against the hint each time.
        let follow = first_time(&self.hinted, name, extras).is_some();
        if !follow && range.is_none() {
            return;
        }
        let (inner, name, extras) = (self.clone(), name.clone(), extras.to_vec());
        let range = range.cloned();
        tokio::spawn(async move {
            let Some((markers, python)) = &inner.speculation else {
                return;
            };
            let cell = once::cell(&inner.hints, &name);
            let hint = cell.get_or_init(|| inner.read_hint(&name)).await.clone();
            let Some((version, metadata)) = hint else {
                return;
            };
            let requirements = metadata.requirements(&extras).ok().filter(|_| follow);
            for requirement in requirements.into_iter().flatten() {
                if requirement.marker.evaluate(markers, &extras)
                    && !matches!(requirement.version_or_url, Some(VersionOrUrl::Url(_)))
                {
                    inner.hint(&requirement.name, &requirement.extras, None);
                    let (inner, name) = (inner.clone(), requirement.name.clone());
                    tokio::spawn(async move { inner.project(&name).await });
                }
            }
            if let Some(range) = &range
                && let Ok(project) = inner.project(&name).await
                && let Some(likely) = Inner::likely_candidate(&project, range, python)
            {
                if likely == version {
                    inner.speculate(&metadata, &extras);
                } else if likely < version && likely.release().first() == version.release().first()
                {
                    // An older release of another major version shares less.
                    inner.speculate_from_newer(&metadata, &extras);
                }
            }
        });
    }

    /// The release hint for `name` as metadata (its lines parsed as a
    /// `METADATA` file's are).
    async fn read_hint(
        self: &Arc<Self>,
        name: &PackageName,
    ) -> Option<(Version, Arc<plinth_resolver::Metadata>)> {
        let hint = self.client.release_hint(name).await?;
        let version = Version::from_str(&hint.version).ok()?;
        let mut text = format!("Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n");
        // One line each: a line break would start another field.
        for line in hint
            .requires_dist
            .iter()
            .filter(|line| !line.contains(['\n', '\r']))
        {
            text.push_str("Requires-Dist: ");
            text.push_str(line);
            text.push('\n');
        }
        let metadata = CoreMetadata::parse(text.as_bytes())
            .to_metadata_with(self.client.requirements())
            .ok()?;
        Some((version, Arc::new(metadata)))
    }

    /// Reads the project of `name`, fetches the metadata of its likely
    /// candidate in `range` (only when that is a wheel, with
    /// `wheels_only`), and runs ahead to its dependencies with `extras`.
    async fn run_ahead(
        self: &Arc<Self>,
        name: &PackageName,
        extras: &[ExtraName],
        range: &Ranges<Version>,
        wheels_only: bool,
    ) {
        let Some((_, python)) = &self.speculation else {
            return;
        };
        self.hint(name, extras, Some(range));
        let Ok(project) = self.project(name).await else {
            return;
        };
        let Some(version) = Inner::likely_candidate(&project, range, python) else {
            return;
        };
        if (!wheels_only || project.read_from_wheel(&version))
            && let Ok(Ok(metadata)) = self.metadata(name, &version).await
        {
            // Even a version the root rules out mostly shares its
            // dependencies with the one chosen in its place.
            self.speculate(&metadata, extras);
            if self.outside_root_bounds(&metadata, extras) {
                self.walk_past(name, extras, range, version, &project, python)
                    .await;
            }
        }
    }

    /// Whether a version with `metadata` asks for a version of a package
    /// that the root rules out: the resolver will pass over it (as over
    /// djangorestframework 3.18, which asks for `django>=5`, under a root
    /// `django<5`).
    fn outside_root_bounds(
        &self,
        metadata: &plinth_resolver::Metadata,
        extras: &[ExtraName],
    ) -> bool {
        let (Some((markers, _)), Some(bounds)) = (&self.speculation, self.root_bounds.get()) else {
            return false;
        };
        metadata.asks_outside(bounds, markers, extras)
    }

    /// Runs ahead past `version` of `name`, which the root rules out: the
    /// metadata of the next older wheels in `range` is read a few versions
    /// at a time, and the run goes on from the first that fits, so that the
    /// resolver, backtracking there later, finds them read.
    async fn walk_past(
        self: &Arc<Self>,
        name: &PackageName,
        extras: &[ExtraName],
        range: &Ranges<Version>,
        version: Version,
        project: &Project,
        python: &Version,
    ) {
        let mut below = version;
        for _ in 0..WALK_PAST_BATCHES {
            let batch: Vec<Version> = project
                .versions
                .versions
                .range(..below.clone())
                .rev()
                .filter(|(older, info)| {
                    range.contains(older) && info.candidate_for(python) && !older.any_prerelease()
                })
                .map(|(older, _)| older.clone())
                .take(WALK_PAST_BATCH)
                .take_while(|older| project.read_from_wheel(older))
                .collect();
            let Some(last) = batch.last().cloned() else {
                return;
            };
            let read =
                futures::future::join_all(batch.iter().map(|older| self.metadata(name, older)))
                    .await;
            for result in read {
                let Ok(Ok(metadata)) = result else {
                    return;
                };
                if !self.outside_root_bounds(&metadata, extras) {
                    self.speculate(&metadata, extras);
                    return;
                }
            }
            below = last;
        }
    }

    /// The version the resolver will most likely pick in `range` for a
    /// target with the full Python version `python`.
    fn likely_candidate(
        project: &Project,
        range: &Ranges<Version>,
        python: &Version,
    ) -> Option<Version> {
        let candidates = || {
            project
                .versions
                .versions
                .iter()
                .rev()
                .filter(|(version, info)| range.contains(version) && info.candidate_for(python))
        };
        candidates()
            .find(|(version, _)| !version.any_prerelease())
            .or_else(|| candidates().next())
            .map(|(version, _)| version.clone())
    }
}

/// Notes in `marks` that `name` with `extras` is run ahead to (or its hint
/// followed): `None` when it was before (with each of these extras), else
/// the extras that are new.
fn first_time(
    marks: &Mutex<HashSet<(PackageName, Option<ExtraName>)>>,
    name: &PackageName,
    extras: &[ExtraName],
) -> Option<Vec<ExtraName>> {
    let mut marks = marks
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    let first = marks.insert((name.clone(), None));
    let new_extras: Vec<ExtraName> = extras
        .iter()
        .filter(|extra| marks.insert((name.clone(), Some((*extra).clone()))))
        .cloned()
        .collect();
    (first || !new_extras.is_empty()).then_some(new_extras)
}

impl PackageSource for IndexSource {
    fn versions(&self, name: &PackageName) -> Result<Arc<PackageVersions>, SourceError> {
        let inner = self.inner.clone();
        let project = self
            .runtime
            .block_on(async move { inner.project(name).await })?;
        Ok(project.versions.clone())
    }

    fn metadata(
        &self,
        name: &PackageName,
        version: &Version,
    ) -> Result<MetadataResult, SourceError> {
        let inner = self.inner.clone();
        Ok(self
            .runtime
            .block_on(async move { inner.metadata(name, version).await })?)
    }

    fn root_bounds(&self, bounds: HashMap<PackageName, Ranges<Version>>) {
        let _ = self.inner.root_bounds.set(bounds);
    }

    fn ruled_out_by_root(&self, name: &PackageName, version: &Version, wait: bool) -> Option<bool> {
        self.inner.root_bounds.get()?;
        let key = (name.clone(), version.clone());
        let read = match once::progress(&self.inner.metadata, &key) {
            Progress::Done(read) => read,
            Progress::Underway if wait => {
                let inner = self.inner.clone();
                self.runtime
                    .block_on(async move { inner.metadata(name, version).await })
            }
            Progress::Underway | Progress::NotAsked => return None,
        };
        let Ok(Ok(metadata)) = read else {
            return None;
        };
        Some(self.inner.outside_root_bounds(&metadata, &[]))
    }

    /// Wheels only: a metadata build of an older sdist is no cheap guess.
    fn prefetch_versions(&self, name: &PackageName, versions: &[Version]) {
        let versions = versions.to_vec();
        self.prefetch_metadata(name, move |project| {
            versions
                .into_iter()
                .filter(|version| project.read_from_wheel(version))
                .collect()
        });
    }

    /// Always runs ahead from `name` in `range`: the resolver's range is
    /// better than a dependency's guess, which is not made after it.
    fn prefetch(&self, name: &PackageName, extras: &[ExtraName], range: &Ranges<Version>) {
        first_time(&self.inner.speculated, name, extras);
        let (inner, name, range) = (self.inner.clone(), name.clone(), range.clone());
        let extras = extras.to_vec();
        self.runtime
            .spawn(async move { inner.run_ahead(&name, &extras, &range, false).await });
    }

    /// Close names among those of the indexes' root pages (fetched now, or
    /// cached for a day), of `--find-links` and of the packages seen so far.
    fn similar_names(&self, name: &PackageName) -> Vec<PackageName> {
        let seen: Vec<String> = {
            let projects = self
                .inner
                .projects
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            projects
                .iter()
                .filter(|(_, cell)| {
                    cell.get().is_some_and(|project| {
                        project
                            .as_ref()
                            .is_ok_and(|project| !project.versions.versions.is_empty())
                    })
                })
                .map(|(name, _)| name.to_string())
                .collect()
        };
        let client = self.inner.client.clone();
        let listed = self
            .runtime
            .block_on(async move { client.project_names().await });
        plinth_resolver::similar_names(name, listed.iter().chain(&seen).map(String::as_str))
    }
}

/// The newest Python a wheel's `python-abi-platform` tags name, as
/// `(major, minor)` (`cp310` is `(3, 10)`, `py3` is `(3, 0)`): to list the
/// wheels a target could use by moving to a newer Python first.
fn newest_python_tag(tags: &str) -> (u32, u32) {
    let python = tags.split('-').next().unwrap_or_default();
    python
        .split('.')
        .filter_map(|tag| {
            let digits = tag.trim_start_matches(|c: char| c.is_ascii_alphabetic());
            let major = digits.get(..1)?.parse().ok()?;
            let minor = digits.get(1..).filter(|rest| !rest.is_empty());
            Some((major, minor.map_or(Some(0), |rest| rest.parse().ok())?))
        })
        .max()
        .unwrap_or((0, 0))
}

#[cfg(test)]
mod tests {
    use super::newest_python_tag;

    #[test]
    fn wheels_sort_by_the_newest_python_they_name() {
        assert_eq!(newest_python_tag("cp310-cp310-win_amd64"), (3, 10));
        assert_eq!(newest_python_tag("cp37-cp37m-manylinux1_x86_64"), (3, 7));
        assert_eq!(newest_python_tag("py2.py3-none-any"), (3, 0));
        assert_eq!(newest_python_tag("cp39.cp310-abi3-linux_x86_64"), (3, 10));
        assert_eq!(newest_python_tag("odd-none-any"), (0, 0));
    }
}
