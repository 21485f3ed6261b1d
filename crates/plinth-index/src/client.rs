//! HTTP access to package indexes: project pages, metadata files, wheels, sdists.

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use pep440_rs::Version;
use pep508_rs::PackageName;
use reqwest::StatusCode;
use reqwest::header::{
    ACCEPT, AGE, CACHE_CONTROL, CONTENT_TYPE, ETAG, HeaderMap, HeaderValue, IF_MODIFIED_SINCE,
    IF_NONE_MATCH, LAST_MODIFIED, LOCATION, RANGE,
};
use sha2::{Digest, Sha256};
use tokio::sync::{OnceCell, Semaphore};
use url::Url;

use plinth_build::BuildOptions;

use crate::FreedApart;
use crate::auth::{CredentialStore, Netrc, Origin, without_credentials};
use crate::cache::{BackgroundWriter, Cache};
use crate::compact;
use crate::error::{IndexError, redact};
use crate::filename::DistFilename;
use crate::find_links;
use crate::metadata::{CoreMetadata, ParsedRequirements, resolver_metadata};
use crate::once::{self, OnceMap};
use crate::simple::{IndexFile, JsonPageReader, parse_html, parse_json};
use crate::wheel::{SdistFiles, read_sdist_files, read_wheel_metadata};
use plinth_resolver::{Metadata, MetadataResult};

mod dns;
mod hints;
mod listing;
mod roots;

/// Why an sdist without static metadata can't be used when builds are off.
const NEEDS_BUILD: &str = "its source distribution has no static metadata (PEP 643 PKG-INFO or PEP 621 pyproject.toml) and `--no-build` forbids building it";

const ACCEPT_SIMPLE: &str = "application/vnd.pypi.simple.v1+json, application/vnd.pypi.simple.v1+html;q=0.2, text/html;q=0.01";

/// Redirects followed per request.
const MAX_REDIRECTS: usize = 10;

/// How versions of one package are gathered from several indexes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum IndexStrategy {
    /// Only the first index that has the package (safe against dependency confusion).
    #[default]
    FirstIndex,
    /// Every index; a version on several indexes comes from the first of them.
    UnsafeBestMatch,
}

/// How the client reaches indexes.
#[derive(Debug, Clone)]
pub struct ClientOptions {
    /// Index URLs in order (credentials in their userinfo are used for
    /// their origin only, and never shown).
    pub indexes: Vec<Url>,
    /// How several indexes combine.
    pub index_strategy: IndexStrategy,
    /// `--find-links` locations: `file:` URLs of directories or HTML files,
    /// or URLs of HTML pages. Their files join every index's.
    pub find_links: Vec<Url>,
    /// A netrc file with credentials for index hosts (read when it exists).
    pub netrc: Option<PathBuf>,
    /// URLs of direct references (`name @ https://user:password@host/…`): the
    /// credentials in their userinfo are used for their origin, as an index's.
    pub direct_urls: Vec<Url>,
    pub cache: Option<Cache>,
    /// Requests in flight at once.
    pub concurrency: usize,
    pub connect_timeout: Duration,
    pub read_timeout: Duration,
    /// Answer from the cache alone; a miss is an error.
    pub offline: bool,
    /// Attempts after the first for transient failures.
    pub retries: u32,
    /// Which cached project pages are revalidated even within their max-age.
    pub refresh: Refresh,
    /// `--allow-insecure-host`: `HOST` or `HOST:PORT` whose TLS certificates
    /// are not verified.
    pub insecure_hosts: Vec<String>,
    /// Ask the first index's JSON API (`/pypi/NAME/json` beside its
    /// `/simple`) what each project's latest release depends on when its
    /// page is fetched, to run ahead to the next pages sooner (see
    /// [`IndexClient::release_hint`]). Set by [`Self::new`] for PyPI and
    /// TestPyPI as the first index.
    pub release_hints: bool,
}

/// Which cached pages must be revalidated with the index even while fresh
/// (`--refresh`, `--refresh-package`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Refresh {
    /// Use a page within its `max-age` without asking; revalidate stale ones.
    #[default]
    None,
    /// Revalidate every page (and remote find-links page).
    All,
    /// Revalidate the project pages of these packages.
    Packages(HashSet<PackageName>),
}

impl Refresh {
    /// Whether the page of `name` (`None`: a find-links page) must be revalidated.
    fn includes(&self, name: Option<&PackageName>) -> bool {
        match self {
            Self::None => false,
            Self::All => true,
            Self::Packages(names) => name.is_some_and(|name| names.contains(name)),
        }
    }
}

impl ClientOptions {
    pub fn new(indexes: Vec<Url>) -> Self {
        let indexes_first_is_warehouse = indexes.first().is_some_and(|index| {
            matches!(index.host_str(), Some("pypi.org" | "test.pypi.org"))
                && index.scheme() == "https"
                && index.path().trim_end_matches('/') == "/simple"
        });
        Self {
            indexes,
            index_strategy: IndexStrategy::FirstIndex,
            find_links: Vec::new(),
            netrc: None,
            direct_urls: Vec::new(),
            cache: None,
            concurrency: 64,
            connect_timeout: Duration::from_secs(10),
            read_timeout: Duration::from_secs(60),
            offline: false,
            retries: 3,
            refresh: Refresh::None,
            insecure_hosts: Vec::new(),
            release_hints: indexes_first_is_warehouse,
        }
    }
}

/// The files of one package: those of `--find-links`, then those of the
/// first index that has it (or, with `unsafe-best-match`, of every index).
#[derive(Debug, Clone)]
pub struct ProjectPage {
    /// The first index that has the package (without credentials); `None`
    /// when only find-links have it.
    pub index: Option<Url>,
    pub files: Arc<Vec<IndexFile>>,
    /// Names `files` when they are one stored page as it is (no find-links,
    /// one page): what is derived from them may be cached under it.
    pub(crate) id: Option<String>,
}

/// A reqwest client built on first use: building one reads the system's
/// root certificates, which a run from the cache alone never needs.
#[derive(Debug, Clone)]
struct LazyHttp {
    connect_timeout: std::time::Duration,
    read_timeout: std::time::Duration,
    /// Certificates not verified (`--allow-insecure-host`).
    insecure: bool,
    client: Arc<std::sync::OnceLock<Result<reqwest::Client, String>>>,
}

impl LazyHttp {
    fn new(options: &ClientOptions, insecure: bool) -> Self {
        Self {
            connect_timeout: options.connect_timeout,
            read_timeout: options.read_timeout,
            insecure,
            client: Arc::default(),
        }
    }

    /// Redirects are followed by hand, so that credentials go to their
    /// origin only. Roots: the system's, or those of `SSL_CERT_FILE` /
    /// `SSL_CERT_DIR` when set (rustls-native-certs), read while the first
    /// connection opens (see [`roots`]); proxies: `HTTP(S)_PROXY`,
    /// `NO_PROXY`.
    fn get(&self) -> Result<&reqwest::Client, IndexError> {
        self.client
            .get_or_init(|| {
                let builder = reqwest::Client::builder()
                    .user_agent(concat!("plinth/", env!("CARGO_PKG_VERSION")))
                    .connect_timeout(self.connect_timeout)
                    .read_timeout(self.read_timeout)
                    .redirect(reqwest::redirect::Policy::none())
                    .dns_resolver(Arc::new(dns::DetachedLookups));
                let builder = if self.insecure {
                    builder.danger_accept_invalid_certs(true)
                } else {
                    builder.use_preconfigured_tls(roots::client_config())
                };
                builder.build().map_err(|error| error.to_string())
            })
            .as_ref()
            .map_err(|error| IndexError::Client(error.clone()))
    }
}

/// The `METADATA` of each wheel read in a run, by cache key.
type WheelMetadata = OnceMap<String, Result<Vec<u8>, IndexError>>;

/// The same, as the resolver reads it.
type ResolverMetadata = OnceMap<String, Result<MetadataResult, IndexError>>;

/// An async client for one or more simple-API indexes.
#[derive(Debug, Clone)]
pub struct IndexClient {
    http: LazyHttp,
    /// For `--allow-insecure-host` hosts only: certificates not verified.
    insecure_http: LazyHttp,
    /// With the credentials taken out of every URL.
    options: Arc<ClientOptions>,
    /// The configured index URLs as messages show them (`****` for credentials).
    index_names: Arc<Vec<String>>,
    credentials: Arc<CredentialStore>,
    find_links: Arc<OnceCell<Result<Arc<Vec<IndexFile>>, IndexError>>>,
    /// Every project name of the indexes (see [`Self::project_names`]).
    project_names: Arc<OnceCell<Arc<Vec<String>>>>,
    /// The files of each project, read once per run however many sources
    /// (one per environment of a universal resolution) ask.
    projects: Arc<OnceMap<PackageName, Result<Option<ProjectPage>, IndexError>>>,
    /// The metadata of each wheel read this run, by cache key (these three
    /// freed apart: see [`FreedApart`]).
    wheel_metadata: Arc<FreedApart<WheelMetadata>>,
    /// The same, as the resolver reads it (see [`Self::resolver_metadata`]).
    resolver_metadata: Arc<FreedApart<ResolverMetadata>>,
    /// The `Requires-Dist` lines read this run, parsed.
    requirements: Arc<FreedApart<ParsedRequirements>>,
    /// The `METADATA` files read from wheels this run, by their path in the
    /// archive, CRC-32 and size (see [`Self::metadata_read_before`]).
    metadata_by_checksum: Arc<std::sync::Mutex<HashMap<MetadataChecksum, Vec<u8>>>>,
    permits: Arc<Semaphore>,
    stats: Arc<Counters>,
    /// Whether a connection to the files host was opened ahead (see
    /// [`Self::connect_ahead`]).
    connected_ahead: Arc<std::sync::atomic::AtomicBool>,
    /// Whether the index answered a release hint with something else (see
    /// [`Self::release_hint`]): no more are asked for.
    hints_refused: Arc<std::sync::atomic::AtomicBool>,
    /// How many release hints were asked for (at most `hints::MAX_HINTS`).
    hints_asked: Arc<std::sync::atomic::AtomicUsize>,
    /// Stores fetched project pages off the path of the run.
    writer: Arc<BackgroundWriter>,
    /// The projects whose page was found in the cache (see
    /// [`Self::has_stored_page`]): asked for again by every environment of
    /// a universal resolution, tens of thousands of times.
    stored_pages: Arc<std::sync::Mutex<HashSet<PackageName>>>,
    /// What [`Self::stored_page_id`] found for each project, asked once per
    /// run rather than once per environment.
    stored_page_ids: Arc<std::sync::Mutex<HashMap<PackageName, Option<String>>>>,
}

#[derive(Debug, Default)]
struct Counters {
    requests: AtomicU64,
    bytes: AtomicU64,
}

/// A wheel's `METADATA` entry as its central directory gives it: its path
/// (`name-version.dist-info/METADATA`), CRC-32 and uncompressed size.
pub(crate) type MetadataChecksum = (String, u32, u64);

/// What a client fetched so far.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientStats {
    pub requests: u64,
    pub bytes: u64,
}

impl IndexClient {
    pub fn new(mut options: ClientOptions) -> Result<Self, IndexError> {
        let http = LazyHttp::new(&options, false);
        // reqwest verifies certificates per client, not per host: a second
        // client, used only for the hosts of `--allow-insecure-host`.
        let insecure_http = LazyHttp::new(&options, true);
        let netrc = options.netrc.as_deref().and_then(Netrc::read);
        let configured: Vec<Url> = options
            .indexes
            .iter()
            .chain(&options.find_links)
            .chain(&options.direct_urls)
            .cloned()
            .collect();
        let credentials = CredentialStore::new(&configured, netrc.as_ref());
        let index_names = options.indexes.iter().map(redact).collect();
        options.indexes = options.indexes.iter().map(without_credentials).collect();
        options.find_links = options.find_links.iter().map(without_credentials).collect();
        Ok(Self {
            http,
            insecure_http,
            permits: Arc::new(Semaphore::new(options.concurrency.max(1))),
            options: Arc::new(options),
            index_names: Arc::new(index_names),
            credentials: Arc::new(credentials),
            find_links: Arc::default(),
            project_names: Arc::default(),
            projects: Arc::default(),
            wheel_metadata: Arc::default(),
            resolver_metadata: Arc::default(),
            requirements: Arc::default(),
            metadata_by_checksum: Arc::default(),
            stats: Arc::default(),
            connected_ahead: Arc::default(),
            hints_refused: Arc::default(),
            hints_asked: Arc::default(),
            stored_pages: Arc::default(),
            stored_page_ids: Arc::default(),
            writer: Arc::default(),
        })
    }

    /// One line per index and find-links location, for `-v`: the URL as
    /// messages show it and where its credentials come from.
    pub fn describe_sources(&self) -> Vec<String> {
        let describe = |kind: &str, name: String, url: &Url| match self.credentials.for_url(url) {
            Some((_, source)) => format!("{kind} `{name}` (credentials from {source})"),
            None => format!("{kind} `{name}`"),
        };
        let indexes = self
            .options
            .indexes
            .iter()
            .zip(self.index_names.iter())
            .map(|(url, name)| describe("Index", name.clone(), url));
        let find_links = self
            .options
            .find_links
            .iter()
            .map(|url| describe("Find links", redact(url), url));
        indexes.chain(find_links).collect()
    }

    /// `url` with the credentials plinth would send to it (from its URL or
    /// netrc) in its userinfo: for a child process that must reach the same
    /// index (pip installing build requirements), never for messages or files.
    pub fn url_with_credentials(&self, url: &Url) -> Url {
        let mut url = without_credentials(url);
        if let Some((credentials, _)) = self.credentials.for_url(&url) {
            let _ = url.set_username(&credentials.username);
            let _ = url.set_password(credentials.password.as_deref());
        }
        url
    }

    /// Requests made and body bytes received so far.
    pub fn stats(&self) -> ClientStats {
        ClientStats {
            requests: self.stats.requests.load(Ordering::Relaxed),
            bytes: self.stats.bytes.load(Ordering::Relaxed),
        }
    }

    /// The files of `name` from the first index that has it; `None` if no index does.
    ///
    /// Pages are cached with HTTP semantics (see [`Self::cached_page`]):
    /// fresh ones are used without a request, stale ones revalidated.
    pub async fn project(&self, name: &PackageName) -> Result<Option<ProjectPage>, IndexError> {
        let cell = once::cell(&self.projects, name);
        cell.get_or_init(|| self.read_project(name)).await.clone()
    }

    async fn read_project(&self, name: &PackageName) -> Result<Option<ProjectPage>, IndexError> {
        let listed = self.find_links_files().await?;
        let mut files = find_links::files_of(&listed, name).await?;
        let mut first_index = None;
        let mut id = None;
        let mut versions_seen: HashSet<Version> = HashSet::new();
        for index in &self.options.indexes {
            let Some((page, page_id)) = self.index_page(index, name).await? else {
                continue;
            };
            first_index.get_or_insert_with(|| index.clone());
            match self.options.index_strategy {
                IndexStrategy::FirstIndex => {
                    // Without find-links files, the page's list is the list (not copied).
                    if files.is_empty() {
                        return Ok(Some(ProjectPage {
                            index: Some(index.clone()),
                            files: page,
                            id: page_id.filter(|_| self.options.find_links.is_empty()),
                        }));
                    }
                    files.extend(page.iter().cloned());
                    break;
                }
                IndexStrategy::UnsafeBestMatch => {
                    if self.options.indexes.len() == 1 && files.is_empty() {
                        id = page_id.filter(|_| self.options.find_links.is_empty());
                    }
                    let version = |file: &IndexFile| {
                        DistFilename::parse(file.filename(), name)
                            .map(|parsed| parsed.version().clone())
                    };
                    let here: HashSet<Version> = page.iter().filter_map(version).collect();
                    files.extend(
                        page.iter()
                            .filter(|file| {
                                version(file).is_some_and(|v| !versions_seen.contains(&v))
                            })
                            .cloned(),
                    );
                    versions_seen.extend(here);
                }
            }
        }
        if first_index.is_none() && files.is_empty() {
            return Ok(None);
        }
        Ok(Some(ProjectPage {
            index: first_index,
            files: Arc::new(files),
            id,
        }))
    }

    /// Starts fetching the project pages of `names` on `runtime`, for a
    /// caller that has to wait for something else first (asking the
    /// interpreter for the target). A page the cache would give as it is
    /// is left alone: reading it is cheap, and a run may not need it whole.
    pub fn prefetch_projects(&self, runtime: &tokio::runtime::Handle, names: &[PackageName]) {
        for name in names {
            if self.stored_page_id(name).is_some() {
                continue;
            }
            let (client, name) = (self.clone(), name.clone());
            runtime.spawn(async move {
                let _ = client.project(&name).await;
            });
        }
    }

    /// The id [`Self::project`] would give the page of `name`, read from
    /// the head of its cache entry alone; `None` unless the page would come
    /// from the cache as it is (offline or fresh, no `--refresh`, one page
    /// and no find-links). Looked up once per run.
    pub(crate) fn stored_page_id(&self, name: &PackageName) -> Option<String> {
        let ids = || {
            self.stored_page_ids
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner())
        };
        if let Some(id) = ids().get(name) {
            return id.clone();
        }
        let id = self.look_up_stored_page_id(name);
        ids().insert(name.clone(), id.clone());
        id
    }

    fn look_up_stored_page_id(&self, name: &PackageName) -> Option<String> {
        if !self.options.find_links.is_empty()
            || self.options.refresh.includes(Some(name))
            || (self.options.index_strategy == IndexStrategy::UnsafeBestMatch
                && self.options.indexes.len() != 1)
        {
            return None;
        }
        let now = unix_now();
        for index in &self.options.indexes {
            let url = project_url(index, name).ok()?;
            if url.scheme() == "file" {
                return None;
            }
            let head = self.stored_head(&page_key(&url))?;
            if !self.options.offline && now >= head.fresh_until {
                return None;
            }
            match head.page {
                // Not on this index: the next one is asked, as by `project`.
                None => continue,
                Some(page) => return page.id,
            }
        }
        None
    }

    /// Whether the page of `name` on the first index is in the cache, at
    /// any age: on a cold run it is not (nor, mostly, the metadata of its
    /// files). A page once found stays found for the run.
    pub(crate) fn has_stored_page(&self, name: &PackageName) -> bool {
        let Some(cache) = &self.options.cache else {
            return false;
        };
        let stored_pages = || {
            self.stored_pages
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner())
        };
        if stored_pages().contains(name) {
            return true;
        }
        let stored = self
            .options
            .indexes
            .first()
            .and_then(|index| project_url(index, name).ok())
            .is_some_and(|url| cache.get_head(&page_key(&url), 1).is_some());
        if stored {
            stored_pages().insert(name.clone());
        }
        stored
    }

    /// The files of `name` on one index; `None` when the index does not have it.
    async fn index_page(
        &self,
        index: &Url,
        name: &PackageName,
    ) -> Result<Option<(Arc<Vec<IndexFile>>, Option<String>)>, IndexError> {
        let url = project_url(index, name)?;
        let key = page_key(&url);
        let refresh = self.options.refresh.includes(Some(name));
        let Some(mut page) = self
            .cached_page(&key, &url, ACCEPT_SIMPLE, refresh, true)
            .await?
        else {
            return Ok(None);
        };
        let parsed = page.files.take().map(Ok);
        let mut files = parsed
            .unwrap_or_else(|| parse_page(&page).map(Arc::new))
            .map_err(|error| {
                // Don't reuse a page that does not parse (e.g. on a 304) next time.
                self.cache_remove(&key);
                IndexError::Parse {
                    url: redact(&url),
                    message: error.to_string(),
                }
            })?;
        // A remote page must not make plinth read local files.
        let local = |file: &IndexFile| file.url().is_file() && url.scheme() != "file";
        if files.iter().any(local) {
            Arc::make_mut(&mut files).retain(|file| !local(file));
        }
        Ok(Some((files, page.id)))
    }

    /// A page through the cache, with HTTP semantics: within its `max-age`
    /// the stored page is used without a request (unless `refresh`); after
    /// it, the index is asked with `If-None-Match` / `If-Modified-Since` and
    /// a 304 reuses the stored body. `None` when the server answers 404.
    /// With `--offline` the stored page is used whatever its age. `file:`
    /// URLs are read directly, never cached. A fetched `project_page` that
    /// parses comes back with its files (see [`Self::store_project_page`]).
    async fn cached_page(
        &self,
        key: &str,
        url: &Url,
        accept: &'static str,
        refresh: bool,
        project_page: bool,
    ) -> Result<Option<CachedPage>, IndexError> {
        let mut headers = HeaderMap::new();
        headers.insert(ACCEPT, HeaderValue::from_static(accept));
        if url.scheme() == "file" {
            let response = self.get(url, headers).await?;
            if response.status == StatusCode::NOT_FOUND {
                return Ok(None);
            }
            response.check(url)?;
            return Ok(Some(CachedPage::from(response)));
        }
        if self.options.offline {
            return match self.cache_get(key).and_then(CachedEntry::decode) {
                Some(entry) => Ok(entry.page),
                None => Err(IndexError::Offline { url: redact(url) }),
            };
        }
        // The head of the stored entry says whether and how to ask the
        // index; the stored page is read only when it is used, so that a
        // page on its way in is not held beside its stored copy.
        let mut stored = self.stored_head(key);
        if stored.is_none() {
            self.connect_ahead(url);
        }
        let now = unix_now();
        if let Some(head) = &stored
            && !refresh
            && now < head.fresh_until
        {
            match self.cache_get(key).and_then(CachedEntry::decode) {
                Some(entry) => return Ok(entry.page),
                None => stored = None,
            }
        }
        // Twice at most: a 304 for an entry that can no longer be read
        // (another run replaced or removed it) asks again without validators.
        loop {
            let revalidated = self
                .revalidate(
                    key,
                    url,
                    headers.clone(),
                    stored.as_ref(),
                    project_page,
                    now,
                )
                .await?;
            match revalidated {
                Revalidated::Page(page) => return Ok(page),
                Revalidated::StoredGone => stored = None,
            }
        }
    }

    /// Asks the index for a page, with the validators of the `stored`
    /// entry's head, and stores what comes unless it is the stored page
    /// again.
    async fn revalidate(
        &self,
        key: &str,
        url: &Url,
        mut headers: HeaderMap,
        stored: Option<&StoredHead>,
        project_page: bool,
        now: u64,
    ) -> Result<Revalidated, IndexError> {
        if let Some(head) = stored {
            let validators = [
                (IF_NONE_MATCH, &head.validators.etag),
                (IF_MODIFIED_SINCE, &head.validators.last_modified),
            ];
            for (name, value) in validators {
                if let Some(value) = value.as_deref().and_then(|v| HeaderValue::from_str(v).ok()) {
                    headers.insert(name, value);
                }
            }
        }
        // A body as long as the stored page was served is most likely that
        // page again (an index without validators sends it whole every
        // time): it is only named on its way in, not read.
        let stored_length = stored.and_then(StoredHead::served_length);
        let mut reading = PageReading::unless_length(stored_length);
        let mut response = self
            .get_reading(url, headers, project_page.then_some(&mut reading))
            .await?;
        let validators = std::mem::take(&mut response.validators);
        let fresh_until = now.saturating_add(validators.max_age);
        // A page is named by its body as served: one served again unchanged
        // is the stored one, as after a 304, and is not stored again (what
        // was read of it on its way in is dropped).
        let served_id = response
            .status
            .is_success()
            .then(|| page_id(&response.body));
        let not_modified = response.status == StatusCode::NOT_MODIFIED;
        // Whether the index answered with the stored page (named `id`, with
        // `validators`): a 304 to those validators, or the same body again.
        let unchanged = |id: Option<&String>, validators: &Validators| {
            if not_modified {
                stored.is_some_and(|head| {
                    head.validators.etag == validators.etag
                        && head.validators.last_modified == validators.last_modified
                })
            } else {
                served_id.is_some() && id == served_id.as_ref()
            }
        };
        let stored_id = stored.and_then(|head| head.page.as_ref()?.id.as_ref());
        let entry = stored
            .filter(|head| unchanged(stored_id, &head.validators))
            .and_then(|_| self.cache_get(key).and_then(CachedEntry::decode))
            // Read whole, the entry must still be the one the head named.
            .filter(|entry| {
                let id = entry.page.as_ref().and_then(|page| page.id.as_ref());
                unchanged(id, &entry.validators)
            });
        if let Some(mut entry) = entry {
            // Still stale at once, with the same validators: nothing to store.
            let same = validators.max_age == 0
                && entry.fresh_until <= now
                && validators
                    .etag
                    .as_ref()
                    .is_none_or(|etag| entry.validators.etag.as_ref() == Some(etag))
                && validators
                    .last_modified
                    .as_ref()
                    .is_none_or(|time| entry.validators.last_modified.as_ref() == Some(time));
            if same {
                return Ok(Revalidated::Page(entry.page));
            }
            entry.fresh_until = fresh_until;
            // A 304 may update the validators (RFC 9111 section 4.3.4).
            if validators.etag.is_some() {
                entry.validators.etag = validators.etag;
            }
            if validators.last_modified.is_some() {
                entry.validators.last_modified = validators.last_modified;
            }
            self.cache_put(key, &entry.encode());
            return Ok(Revalidated::Page(entry.page));
        }
        if not_modified && stored.is_some() {
            return Ok(Revalidated::StoredGone);
        }
        let page = if response.status == StatusCode::NOT_FOUND {
            None
        } else {
            response.check(url)?;
            let mut page = CachedPage::from(response);
            page.id = served_id;
            let files = project_page.then(|| {
                reading
                    .finish(&page.body)
                    .map_or_else(|| parse_page(&page), Ok)
            });
            if let Some(Ok(files)) = files {
                return Ok(Revalidated::Page(Some(self.store_project_page(
                    key,
                    fresh_until,
                    validators,
                    page,
                    files,
                ))));
            }
            Some(page)
        };
        let entry = CachedEntry {
            fresh_until,
            validators,
            page,
        };
        self.cache_put(key, &entry.encode());
        Ok(Revalidated::Page(entry.page))
    }

    /// The head of the page stored under `key` (read whole when the head
    /// alone is longer than what is read of it).
    fn stored_head(&self, key: &str) -> Option<StoredHead> {
        let cache = self.options.cache.as_ref()?;
        let decode = |bytes: &[u8]| {
            let (fresh_until, validators, page) = CachedEntry::decode_head(bytes)?;
            Some(StoredHead {
                fresh_until,
                validators,
                page,
            })
        };
        let head = cache.get_head(key, STORED_HEAD_BYTES)?;
        decode(&head).or_else(|| decode(&cache.get(key)?))
    }

    /// Opens a connection to the host `page_url`'s index keeps its files on,
    /// when that is known to be another host, while the page loads: a page
    /// not in the cache means its files' metadata is most likely not either,
    /// and the first metadata request then does not wait for a TLS
    /// handshake. Once per run; a `HEAD /`, whatever comes of it.
    fn connect_ahead(&self, page_url: &Url) {
        let Some(origin) = page_url.host_str().and_then(files_origin) else {
            return;
        };
        if self.connected_ahead.swap(true, Ordering::Relaxed) {
            return;
        }
        let Ok(http) = self.http.get().cloned() else {
            return;
        };
        let (permits, stats) = (self.permits.clone(), self.stats.clone());
        tokio::spawn(async move {
            let Ok(_permit) = permits.acquire().await else {
                return;
            };
            if http.head(origin).send().await.is_ok() {
                stats.requests.fetch_add(1, Ordering::Relaxed);
            }
        });
    }

    /// A fetched project page with its parsed `files`, stored as the cache
    /// keeps project pages (the files, see [`compact`]) on the background
    /// writer: the run goes on with the files at once.
    fn store_project_page(
        &self,
        key: &str,
        fresh_until: u64,
        validators: Validators,
        page: CachedPage,
        files: Vec<IndexFile>,
    ) -> CachedPage {
        let files = Arc::new(files);
        let page = CachedPage {
            final_url: page.final_url,
            content_type: compact::CONTENT_TYPE.to_string(),
            id: page.id,
            body: Vec::new(),
            files: Some(files.clone()),
        };
        if let Some(cache) = self.options.cache.clone() {
            let (key, final_url, id) = (key.to_string(), page.final_url.clone(), page.id.clone());
            self.writer.run(move || {
                let entry = CachedEntry {
                    fresh_until,
                    validators,
                    page: Some(CachedPage {
                        final_url,
                        content_type: compact::CONTENT_TYPE.to_string(),
                        id,
                        body: compact::encode(&files),
                        files: None,
                    }),
                };
                cache.put(&key, &entry.encode());
            });
        }
        page
    }

    /// Every file of every `--find-links` location, listed once per run.
    async fn find_links_files(&self) -> Result<Arc<Vec<IndexFile>>, IndexError> {
        self.find_links
            .get_or_init(|| async {
                let mut files = Vec::new();
                for location in &self.options.find_links {
                    files.extend(self.list_find_links(location).await?);
                }
                Ok(Arc::new(files))
            })
            .await
            .clone()
    }

    /// The files of one `--find-links` location; remote pages are cached as project pages are.
    async fn list_find_links(&self, location: &Url) -> Result<Vec<IndexFile>, IndexError> {
        if location.scheme() == "file" {
            return find_links::list_local(location).await;
        }
        let key = format!(
            "find-links/{}",
            hex::encode(Sha256::digest(redact(location).as_bytes()))
        );
        let refresh = self.options.refresh.includes(None);
        let page = self
            .cached_page(&key, location, "text/html", refresh, false)
            .await?
            .ok_or_else(|| IndexError::Status {
                url: redact(location),
                status: StatusCode::NOT_FOUND.as_u16(),
            })?;
        find_links::parse_page(&page.body, &page.final_url)
    }

    /// The core metadata of a wheel: PEP 658 file, else range requests, else
    /// the whole wheel. Read once per run however many sources ask (the
    /// environments of a universal resolution read many of the same wheels,
    /// at the same time).
    pub async fn wheel_metadata(&self, file: &IndexFile) -> Result<Vec<u8>, IndexError> {
        let key = cache_key("metadata", file);
        once::cell(&self.wheel_metadata, &key)
            .get_or_init(|| self.read_wheel_metadata(file, &key))
            .await
            .clone()
    }

    /// The metadata of a wheel as the resolver reads it: parsed once per
    /// run, however many environments of a universal resolution ask.
    pub(crate) async fn resolver_metadata(
        &self,
        file: &IndexFile,
    ) -> Result<MetadataResult, IndexError> {
        let key = cache_key("metadata", file);
        once::cell(&self.resolver_metadata, &key)
            .get_or_init(|| async {
                let bytes = self.wheel_metadata(file).await?;
                Ok(resolver_metadata(&bytes, &self.requirements))
            })
            .await
            .clone()
    }

    /// The `Requires-Dist` lines read this run, parsed (once each).
    pub(crate) fn requirements(&self) -> &ParsedRequirements {
        &self.requirements
    }

    /// The `METADATA` (its header block) that a wheel read earlier in the
    /// run had at the same path (so of the same release), with the same
    /// CRC-32 and size.
    pub(crate) fn metadata_read_before(&self, checksum: &MetadataChecksum) -> Option<Vec<u8>> {
        self.metadata_by_checksum
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .get(checksum)
            .cloned()
    }

    /// Keeps a wheel's `METADATA`, whose CRC-32 matched, for the other
    /// wheels of its release (see [`Self::metadata_read_before`]): its
    /// header block, all that is read of it.
    pub(crate) fn remember_metadata(&self, checksum: MetadataChecksum, bytes: &[u8]) {
        self.metadata_by_checksum
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .entry(checksum)
            .or_insert_with(|| crate::metadata::header_block(bytes).to_vec());
    }

    async fn read_wheel_metadata(
        &self,
        file: &IndexFile,
        key: &str,
    ) -> Result<Vec<u8>, IndexError> {
        if let Some(bytes) = self.cache_get(key) {
            return Ok(bytes);
        }
        let bytes = match file.core_metadata() {
            Some(expected) => {
                let mut url = file.url().to_url();
                url.set_path(&format!("{}.metadata", url.path()));
                let response = self.get(&url, HeaderMap::new()).await?;
                response.check(&url)?;
                if let Some(expected) = expected {
                    verify(file.filename(), &expected, &response.body, ".metadata")?;
                }
                response.body
            }
            None => read_wheel_metadata(self, file).await?,
        };
        // Only the fields are read: the description is left out (it is
        // often most of the file).
        let bytes = crate::metadata::header_block(&bytes).to_vec();
        // Read back from `self.wheel_metadata` for the rest of the run.
        self.cache_put_later(key.to_string(), bytes.clone());
        Ok(bytes)
    }

    /// The metadata of an sdist: its `PKG-INFO` when that is static (PEP 643),
    /// else its `pyproject.toml` `[project]` table when that is (PEP 621), else
    /// a PEP 517 build with `build` (when builds are allowed). `Err` with the
    /// reason when the sdist can't be used. The archive is downloaded and
    /// verified; results are cached (builds per target Python). `hint` is
    /// told the dependencies the archive lists where they are not static, as
    /// soon as they are read, before the build (see [`DependencyHint`]).
    pub async fn sdist_metadata(
        &self,
        file: &IndexFile,
        build: Option<&BuildOptions>,
        hint: Option<DependencyHint>,
    ) -> Result<Result<Vec<u8>, String>, IndexError> {
        let key = cache_key("sdist-metadata", file);
        if let Some(bytes) = self.cache_get(&key) {
            return Ok(Ok(bytes));
        }
        let built_key = build.map(|options| {
            format!(
                "{}-py{}",
                cache_key("sdist-built", file),
                options.python_version
            )
        });
        if let Some(bytes) = built_key.as_ref().and_then(|key| self.cache_get(key)) {
            return Ok(Ok(bytes));
        }
        // The sdist may need a build: find its interpreter meanwhile.
        if let Some(options) = build.cloned() {
            tokio::task::spawn_blocking(move || plinth_build::find_interpreter_ahead(&options));
        }
        let (Some(options), Some(built_key)) = (build, built_key) else {
            let archive = self.download(file).await?;
            let invalid = |message: String| IndexError::Archive {
                url: redact(&file.url().to_url()),
                message,
            };
            let files = read_sdist_files(file.filename(), &archive).map_err(invalid)?;
            return Ok(match files.static_metadata() {
                Ok(Some(metadata)) => {
                    self.cache_put(&key, &metadata);
                    Ok(metadata)
                }
                Ok(None) => Err(NEEDS_BUILD.to_string()),
                Err(reason) => Err(reason),
            });
        };
        let tar = [".tar.gz", ".tgz", ".tar"]
            .iter()
            .any(|suffix| file.filename().to_ascii_lowercase().ends_with(suffix));
        let outcome = if tar {
            self.stream_and_unpack(file, options, &hint).await?
        } else {
            None
        };
        let outcome = match outcome {
            Some(outcome) => outcome,
            None => {
                let archive = self.download(file).await?;
                let source = SdistSource::Whole(archive);
                unpack_and_build(file, source, options.clone(), &hint).await?
            }
        };
        Ok(match outcome {
            SdistMetadata::Static(metadata) => {
                self.cache_put(&key, &metadata);
                Ok(metadata)
            }
            SdistMetadata::Built(metadata) => {
                self.cache_put(&built_key, &metadata);
                Ok(metadata)
            }
            SdistMetadata::Unusable(reason) => Err(reason),
        })
    }

    /// The metadata of the tar sdist `file`, unpacked while it downloads
    /// (the download stops once a static `PKG-INFO` is out; a build, or
    /// metadata read from the whole archive, waits for the sha256 to match).
    /// `None` when the download failed on the way: the caller downloads it
    /// again, with retries, and unpacks that.
    async fn stream_and_unpack(
        &self,
        file: &IndexFile,
        options: &BuildOptions,
        hint: &Option<DependencyHint>,
    ) -> Result<Option<SdistMetadata>, IndexError> {
        let (sink, chunks) = tokio::sync::mpsc::channel(16);
        let (verified, is_verified) = tokio::sync::oneshot::channel();
        let streaming = async {
            let streamed = self.stream_file(file, sink).await;
            let _ = verified.send(matches!(streamed, Ok(true)));
            streamed
        };
        let source = SdistSource::Arriving {
            chunks,
            verified: is_verified,
        };
        let (streamed, outcome) = tokio::join!(
            streaming,
            unpack_and_build(file, source, options.clone(), hint)
        );
        match (streamed, outcome) {
            (_, Ok(outcome)) => Ok(Some(outcome)),
            (Err(_), Err(_)) => Ok(None),
            (Ok(_), Err(error)) => Err(error),
        }
    }

    /// Sends the body of `file` to `sink` as it arrives (one attempt);
    /// `Ok(true)` when all of it came and matches the index's sha256,
    /// `Ok(false)` when `sink` was closed first.
    async fn stream_file(
        &self,
        file: &IndexFile,
        sink: tokio::sync::mpsc::Sender<bytes::Bytes>,
    ) -> Result<bool, IndexError> {
        let url = file.url().to_url();
        if url.scheme() == "file" || self.options.offline {
            return Err(IndexError::Client("not streamed".to_string()));
        }
        let (_permit, mut response, _) = self
            .send(&url, HeaderMap::new())
            .await
            .map_err(|(error, _)| error)?;
        if !response.status().is_success() {
            return Err(IndexError::Status {
                url: redact(&url),
                status: response.status().as_u16(),
            });
        }
        let expected = response.content_length();
        let mut hasher = Sha256::new();
        let mut received = 0_u64;
        let mut complete = true;
        while let Some(chunk) = response
            .chunk()
            .await
            .map_err(|error| self.request_error(&url, error).0)?
        {
            hasher.update(&chunk);
            received += chunk.len() as u64;
            if sink.send(chunk).await.is_err() {
                complete = false;
                break;
            }
        }
        self.stats.requests.fetch_add(1, Ordering::Relaxed);
        self.stats.bytes.fetch_add(received, Ordering::Relaxed);
        if !complete {
            return Ok(false);
        }
        if expected.is_some_and(|expected| expected != received) {
            return Err(IndexError::Request {
                url: redact(&url),
                message: format!("the body ended after {received} bytes"),
            });
        }
        if let Some(expected) = file.sha256() {
            let actual = hex::encode(hasher.finalize());
            if !actual.eq_ignore_ascii_case(&expected) {
                return Err(IndexError::HashMismatch {
                    filename: file.filename().to_string(),
                    expected,
                    actual,
                });
            }
        }
        Ok(true)
    }

    /// The sha256 of a file: from the index, else computed from a download.
    pub async fn file_sha256(&self, file: &IndexFile) -> Result<String, IndexError> {
        if let Some(hash) = file.sha256() {
            return Ok(hash);
        }
        let key = cache_key("sha256", file);
        if let Some(bytes) = self.cache_get(&key) {
            return Ok(String::from_utf8_lossy(&bytes).into_owned());
        }
        let bytes = self.download(file).await?;
        let hash = hex::encode(Sha256::digest(&bytes));
        self.cache_put(&key, hash.as_bytes());
        Ok(hash)
    }

    /// The whole file, verified against the index's sha256 when it gives one.
    pub async fn download(&self, file: &IndexFile) -> Result<Vec<u8>, IndexError> {
        let url = file.url().to_url();
        let response = self.get(&url, HeaderMap::new()).await?;
        response.check(&url)?;
        if let Some(expected) = file.sha256() {
            verify(file.filename(), &expected, &response.body, "")?;
        }
        Ok(response.body)
    }

    /// A GET with `Range: bytes=...`; the server may ignore the range and send everything.
    pub(crate) async fn get_range(&self, url: &Url, range: &str) -> Result<Fetched, IndexError> {
        let mut headers = HeaderMap::new();
        let value = HeaderValue::from_str(&format!("bytes={range}"))
            .map_err(|error| IndexError::Client(error.to_string()))?;
        headers.insert(RANGE, value);
        let response = self.get(url, headers).await?;
        if response.status == StatusCode::RANGE_NOT_SATISFIABLE {
            return Ok(response);
        }
        response.check(url)?;
        Ok(response)
    }

    /// A GET read to the end, retried on connection failures, timeouts,
    /// truncated bodies, 408, 429 and 5xx with jittered exponential backoff
    /// (or the server's `Retry-After`, capped). Other statuses are returned.
    async fn get(&self, url: &Url, headers: HeaderMap) -> Result<Fetched, IndexError> {
        self.get_reading(url, headers, None).await
    }

    /// [`Self::get`], with a project page read while it arrives.
    async fn get_reading(
        &self,
        url: &Url,
        headers: HeaderMap,
        mut reading: Option<&mut PageReading>,
    ) -> Result<Fetched, IndexError> {
        if url.scheme() == "file" {
            return find_links::read_local(url).await;
        }
        if self.options.offline {
            return Err(IndexError::Offline { url: redact(url) });
        }
        let mut attempt = 0;
        loop {
            let outcome = self
                .get_once(url, headers.clone(), reading.as_deref_mut())
                .await;
            let wait = match &outcome {
                Ok(fetched) if is_retryable(fetched.status) => Some(fetched.retry_after),
                Err((_, retryable)) if *retryable => Some(None),
                _ => None,
            };
            match wait {
                Some(wait) if attempt < self.options.retries => {
                    let delay = wait.unwrap_or_else(|| backoff(attempt)).min(MAX_RETRY_WAIT);
                    tokio::time::sleep(delay).await;
                    attempt += 1;
                }
                _ => return outcome.map_err(|(error, _)| error),
            }
        }
    }

    /// One GET; an error says whether it is worth retrying.
    async fn get_once(
        &self,
        url: &Url,
        headers: HeaderMap,
        mut reading: Option<&mut PageReading>,
    ) -> Result<Fetched, (IndexError, bool)> {
        let (_permit, response, final_url) = self.send(url, headers).await?;
        let request_error = |error: reqwest::Error| self.request_error(url, error);
        let status = response.status();
        let header = |name: reqwest::header::HeaderName| {
            response
                .headers()
                .get(name)
                .and_then(|value| value.to_str().ok())
                .map(str::to_string)
        };
        let content_type = header(CONTENT_TYPE)
            .unwrap_or_default()
            .to_ascii_lowercase();
        let content_range = header(reqwest::header::CONTENT_RANGE);
        let retry_after =
            header(reqwest::header::RETRY_AFTER).and_then(|value| parse_retry_after(&value));
        let validators = Validators::from_headers(response.headers());
        let expected_length = response.content_length();
        // Gathered into one buffer of the announced size: collecting the
        // pieces first and then joining them held a body twice (a page can
        // be 10 MB, an sdist 450 MB). A `Content-Length` larger than what
        // comes is not trusted with more than 64 MiB ahead.
        let mut response = response;
        let mut body = Vec::with_capacity(
            usize::try_from(expected_length.unwrap_or(0).min(64 << 20)).unwrap_or(0),
        );
        if let Some(reading) = reading.as_deref_mut() {
            reading.begin(status, &content_type, &final_url, expected_length);
        }
        while let Some(chunk) = response.chunk().await.map_err(request_error)? {
            body.extend_from_slice(&chunk);
            if let Some(reading) = reading.as_deref_mut() {
                reading.grew(&body);
            }
        }
        self.stats.requests.fetch_add(1, Ordering::Relaxed);
        self.stats
            .bytes
            .fetch_add(body.len() as u64, Ordering::Relaxed);
        // A 304 has no body, whatever its `Content-Length` says.
        if let Some(expected) = expected_length
            && expected != body.len() as u64
            && status != StatusCode::NOT_MODIFIED
        {
            let message = format!("the body ended after {} of {expected} bytes", body.len());
            return Err((
                IndexError::Request {
                    url: redact(url),
                    message,
                },
                true,
            ));
        }
        Ok(Fetched {
            status,
            final_url,
            content_type,
            content_range,
            retry_after,
            validators,
            body,
        })
    }

    /// A failed request as an error, and whether it is worth retrying.
    fn request_error(&self, url: &Url, error: reqwest::Error) -> (IndexError, bool) {
        let message = if error.is_timeout() && error.is_connect() {
            format!(
                "connect timed out after {} s (`--connect-timeout`)",
                self.options.connect_timeout.as_secs()
            )
        } else if error.is_timeout() {
            format!(
                "read timed out after {} s (`--read-timeout`)",
                self.options.read_timeout.as_secs()
            )
        } else {
            error_chain(&error.without_url())
        };
        // A certificate that does not verify will not verify next time either.
        let retryable = !message.to_ascii_lowercase().contains("certificate");
        let message = if retryable {
            message
        } else {
            format!(
                "{message} (trust the index's CA with `SSL_CERT_FILE` or `SSL_CERT_DIR`, or skip verification for this host with `--allow-insecure-host`)"
            )
        };
        (
            IndexError::Request {
                url: redact(url),
                message,
            },
            retryable,
        )
    }

    /// The response to a GET of `url` (redirects followed by hand: each hop
    /// gets the credentials of its own origin, if any, so a redirect to
    /// another origin carries none), its body not read yet, with the
    /// concurrency permit to hold while reading it, and the final URL. 401
    /// and 403 are errors here.
    async fn send(
        &self,
        url: &Url,
        headers: HeaderMap,
    ) -> Result<(tokio::sync::SemaphorePermit<'_>, reqwest::Response, Url), (IndexError, bool)>
    {
        let permit = self
            .permits
            .acquire()
            .await
            .map_err(|error| (IndexError::Client(error.to_string()), false))?;
        let request_error = |error: reqwest::Error| self.request_error(url, error);
        // Follow redirects by hand: each hop gets the credentials of its own
        // origin (if any), so a redirect to another origin carries none.
        let mut current = without_credentials(url);
        let mut redirects = 0;
        let response = loop {
            let http = if self.is_insecure(&current) {
                &self.insecure_http
            } else {
                &self.http
            };
            let http = http.get().map_err(|error| (error, false))?;
            let mut request = http.get(current.clone()).headers(headers.clone());
            if let Some((credentials, _)) = self.credentials.for_url(&current) {
                request = request.basic_auth(&credentials.username, credentials.password.as_ref());
            }
            let response = request.send().await.map_err(request_error)?;
            let location = matches!(response.status().as_u16(), 301 | 302 | 303 | 307 | 308)
                .then(|| response.headers().get(LOCATION))
                .flatten()
                .and_then(|location| location.to_str().ok())
                .and_then(|location| current.join(location).ok());
            let Some(location) = location else {
                break response;
            };
            redirects += 1;
            if redirects > MAX_REDIRECTS || !matches!(location.scheme(), "http" | "https") {
                let message = format!(
                    "{} to `{}`",
                    if redirects > MAX_REDIRECTS {
                        "too many redirects"
                    } else {
                        "a redirect"
                    },
                    redact(&location)
                );
                return Err((
                    IndexError::Request {
                        url: redact(url),
                        message,
                    },
                    false,
                ));
            }
            current = without_credentials(&location);
        };
        if matches!(response.status().as_u16(), 401 | 403) {
            return Err((self.unauthorized(&current, response.status()), false));
        }
        Ok((permit, response, current))
    }

    /// Whether `url`'s host (and port, when the flag gives one) is an
    /// `--allow-insecure-host`.
    fn is_insecure(&self, url: &Url) -> bool {
        url.scheme() == "https"
            && url.host_str().is_some_and(|host| {
                self.options
                    .insecure_hosts
                    .iter()
                    .any(|allowed| host_matches(allowed, host, url.port_or_known_default()))
            })
    }

    /// A 401 or 403 for `url`: name the index it belongs to and say what to do.
    fn unauthorized(&self, url: &Url, status: StatusCode) -> IndexError {
        let origin = Origin::of(url);
        let names = self
            .index_names
            .iter()
            .cloned()
            .chain(self.options.find_links.iter().map(redact));
        // The configured URL the request belongs to (same origin, longest path).
        let configured = self
            .options
            .indexes
            .iter()
            .chain(&self.options.find_links)
            .zip(names)
            .filter(|(configured, _)| origin.is_some() && Origin::of(configured) == origin)
            .max_by_key(|(configured, _)| {
                (
                    url.path().starts_with(configured.path()),
                    configured.path().len(),
                )
            });
        let root = url.join("/").unwrap_or_else(|_| url.clone());
        let (mut example, index) = match &configured {
            Some((configured, name)) => ((*configured).clone(), name.clone()),
            None => (root.clone(), redact(&root)),
        };
        let hint = match self.credentials.for_url(url) {
            Some((_, source)) => format!(
                "the index rejected the credentials from {source}: check the user name and password, and that this user may read the index"
            ),
            None if configured.is_none() => format!(
                "`{index}` is not the origin of any index or find-links URL, so plinth sends it no credentials (they go only to the scheme, host and port they were given for)"
            ),
            None => {
                let host = url.host_str().unwrap_or("HOST");
                let _ = example.set_username("USER");
                let _ = example.set_password(Some("PASSWORD"));
                format!(
                    "the index needs credentials: put them in the URL (`{example}`) or in `~/.netrc` (or the file `NETRC` names) as `machine {host} login USER password PASSWORD`"
                )
            }
        };
        let server = if configured.is_some() {
            format!("The index `{index}`")
        } else {
            format!("The server `{index}`")
        };
        IndexError::Unauthorized {
            server,
            url: redact(url),
            status: status.as_u16(),
            hint,
        }
    }

    /// What decides the files a project has: the index strategy, the
    /// indexes and the find-links locations (without credentials).
    pub(crate) fn sources_fingerprint(&self) -> String {
        let mut text = format!("{:?}", self.options.index_strategy);
        for url in self.options.indexes.iter().chain(&self.options.find_links) {
            text.push('\n');
            text.push_str(&redact(url));
        }
        text
    }

    /// Whether the client answers from the cache alone (`--offline`).
    pub(crate) fn offline(&self) -> bool {
        self.options.offline
    }

    pub(crate) fn cache_get(&self, key: &str) -> Option<Vec<u8>> {
        self.options.cache.as_ref()?.get(key)
    }

    fn cache_remove(&self, key: &str) {
        if let Some(cache) = &self.options.cache {
            cache.remove(key);
        }
    }

    pub(crate) fn cache_put(&self, key: &str, bytes: &[u8]) {
        if let Some(cache) = &self.options.cache {
            cache.put(key, bytes);
        }
    }

    /// Stores an entry on the background writer, for entries this run does
    /// not read back from the cache: a cold run writes thousands (each
    /// wheel's metadata, each page's ranking per environment), and creating
    /// them from the async workers, several at once in one directory, cost
    /// a fifth of a universal run's CPU in the filesystem's locks.
    pub(crate) fn cache_put_later(&self, key: String, bytes: Vec<u8>) {
        self.cache_put_later_with(key, move || bytes);
    }

    /// Stores what `bytes` makes under `key`, made and written on the
    /// background writer.
    pub(crate) fn cache_put_later_with(
        &self,
        key: String,
        bytes: impl FnOnce() -> Vec<u8> + Send + 'static,
    ) {
        if let Some(cache) = self.options.cache.clone() {
            self.writer.run(move || cache.put(&key, &bytes()));
        }
    }
}

/// Where an sdist's metadata came from.
enum SdistMetadata {
    /// A static `PKG-INFO` or `pyproject.toml` `[project]` table.
    Static(Vec<u8>),
    /// A PEP 517 build.
    Built(Vec<u8>),
    /// Why it can't be used.
    Unusable(String),
}

/// Told the dependencies an sdist that must be built lists where they are
/// not static, as soon as they are unpacked, while the archive still
/// downloads and before the build: those of its `PKG-INFO` (not static, PEP
/// 643) and those of a setuptools `*.egg-info/requires.txt` (old `PKG-INFO`
/// files list none). The build most often gives the same, so they are worth
/// fetching meanwhile. The archive may not be verified yet: nothing but
/// guesses may come of them.
pub type DependencyHint = Arc<dyn Fn(&Metadata) + Send + Sync>;

/// Gives a [`DependencyHint`] what the entries of an unpacking sdist list,
/// `PKG-INFO` and the first `requires.txt` each once.
struct Hinter {
    hint: Option<DependencyHint>,
    pkg_info_told: bool,
    requires_txt_told: bool,
}

impl Hinter {
    /// Looks at the archive entry `path` (written to `written`), after
    /// `files` kept it when it is `PKG-INFO` or `pyproject.toml`.
    fn visit(&mut self, path: &str, written: &std::path::Path, files: &SdistFiles) {
        use std::io::Read;
        let Some(hint) = &self.hint else {
            return;
        };
        if !self.pkg_info_told
            && let Some(pkg_info) = &files.pkg_info
        {
            self.pkg_info_told = true;
            let metadata = CoreMetadata::parse(pkg_info);
            if !metadata.is_static()
                && let Ok(metadata) = metadata.to_metadata()
            {
                hint(&metadata);
            }
        }
        if !self.requires_txt_told && path.ends_with(".egg-info/requires.txt") {
            self.requires_txt_told = true;
            let mut text = String::new();
            let read = fs_err::File::open(written)
                .and_then(|file| file.take(1 << 20).read_to_string(&mut text));
            if read.is_ok() {
                hint(&Metadata {
                    requires_dist: crate::metadata::egg_info_requires(&text),
                    ..Metadata::default()
                });
            }
        }
    }
}

/// An sdist's bytes: downloaded (and verified), or arriving.
enum SdistSource {
    Whole(Vec<u8>),
    Arriving {
        chunks: tokio::sync::mpsc::Receiver<bytes::Bytes>,
        /// Whether all of it came and matched the index's sha256.
        verified: tokio::sync::oneshot::Receiver<bool>,
    },
}

/// Reads the chunks of a download as they arrive (on a blocking thread).
struct ChunkReader {
    chunks: tokio::sync::mpsc::Receiver<bytes::Bytes>,
    current: bytes::Bytes,
}

impl std::io::Read for ChunkReader {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        while self.current.is_empty() {
            match self.chunks.blocking_recv() {
                Some(chunk) => self.current = chunk,
                None => return Ok(0),
            }
        }
        let count = buf.len().min(self.current.len());
        buf[..count].copy_from_slice(&self.current.split_to(count));
        Ok(count)
    }
}

/// The metadata of the sdist `source`, on a blocking thread: it is
/// unpacked once, for a build, and its `PKG-INFO` and `pyproject.toml` are
/// read as they come out; when they are static, that is the answer (the
/// rest is not unpacked when a static `PKG-INFO` comes first), else the
/// unpacked project is built (PEP 517). An arriving archive is used whole
/// only once it is verified.
async fn unpack_and_build(
    file: &IndexFile,
    source: SdistSource,
    options: BuildOptions,
    hint: &Option<DependencyHint>,
) -> Result<SdistMetadata, IndexError> {
    // Only the last path segment names the archive's format.
    let filename = std::path::Path::new(file.filename())
        .file_name()
        .map_or_else(
            || "sdist.tar.gz".to_string(),
            |name| name.to_string_lossy().into_owned(),
        );
    let sha256 = file.sha256();
    let url = redact(&file.url().to_url());
    let mut hinter = Hinter {
        hint: hint.clone(),
        pkg_info_told: false,
        requires_txt_told: false,
    };
    let built = tokio::task::spawn_blocking(move || -> Result<SdistMetadata, String> {
        let mut files = SdistFiles::default();
        let mut read_error = None;
        let mut visit = |path: &std::path::Path, written: &std::path::Path| {
            let kept = fs_err::File::open(written)
                .map_err(|error| error.to_string())
                .and_then(|mut file| files.keep(&path.to_string_lossy(), &mut file));
            hinter.visit(&path.to_string_lossy(), written, &files);
            kept.unwrap_or_else(|error| {
                read_error = Some(error);
                true
            })
        };
        let unpacked = match source {
            SdistSource::Whole(archive) => {
                plinth_build::unpack_sdist(&filename, &archive, &mut visit)
            }
            SdistSource::Arriving { chunks, verified } => {
                let reader = ChunkReader {
                    chunks,
                    current: bytes::Bytes::new(),
                };
                let unpacked = plinth_build::unpack_sdist_stream(&filename, reader, &mut visit);
                if matches!(unpacked, Ok(Some(_))) && !verified.blocking_recv().unwrap_or(false) {
                    return Err(
                        "the download did not complete or did not match its sha256".to_string()
                    );
                }
                unpacked
            }
        }
        .map_err(|error| error.to_string())?;
        if let Some(error) = read_error {
            return Err(error);
        }
        let static_metadata = match files.static_metadata() {
            Ok(metadata) => metadata,
            Err(reason) => return Ok(SdistMetadata::Unusable(reason)),
        };
        match (static_metadata, unpacked) {
            (Some(metadata), _) => Ok(SdistMetadata::Static(metadata)),
            (None, Some(unpacked)) => unpacked
                .build_metadata(sha256.as_deref(), &options)
                .map(|built| SdistMetadata::Built(built.metadata))
                .map_err(|error| error.to_string()),
            (None, None) => Err("stopped unpacking without a static PKG-INFO".to_string()),
        }
    })
    .await
    .map_err(|error| IndexError::Build {
        package: String::new(),
        url: url.clone(),
        message: error.to_string(),
    })?
    .map_err(|message| IndexError::Build {
        package: String::new(),
        url,
        message,
    })?;
    Ok(built)
}

/// The longest wait between two attempts, whatever `Retry-After` says.
const MAX_RETRY_WAIT: Duration = Duration::from_secs(30);

fn is_retryable(status: StatusCode) -> bool {
    matches!(status.as_u16(), 408 | 429) || status.is_server_error()
}

/// 0.5 s, 1 s, 2 s, ... plus up to 50% jitter, so parallel clients spread out.
fn backoff(attempt: u32) -> Duration {
    let base = Duration::from_millis(500).saturating_mul(1 << attempt.min(6));
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.subsec_nanos());
    let jitter = f64::from(nanos % 1000) / 2000.0;
    base.mul_f64(1.0 + jitter)
}

/// `Retry-After`: delay seconds, or an HTTP date.
fn parse_retry_after(value: &str) -> Option<Duration> {
    let value = value.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let date = jiff::fmt::rfc2822::parse(value).ok()?;
    let wait = date.timestamp().duration_since(jiff::Timestamp::now());
    Some(Duration::try_from(wait).unwrap_or(Duration::ZERO))
}

/// A page as the index served it.
struct CachedPage {
    final_url: Url,
    content_type: String,
    /// Names the body as stored in the cache (see [`CachedEntry`]); `None`
    /// for a page that is not stored.
    id: Option<String>,
    body: Vec<u8>,
    /// The files of a project page parsed on its way into the cache, so
    /// that the body is not read again in the same run (the body is then
    /// left empty).
    files: Option<Arc<Vec<IndexFile>>>,
}

/// What the head of a stored page says, and where its body starts.
struct PageHead {
    final_url: Url,
    content_type: String,
    id: Option<String>,
    body_start: usize,
}

/// What asking the index for a page came to.
enum Revalidated {
    /// The page (`None`: the index does not have it).
    Page(Option<CachedPage>),
    /// A 304 for a stored page that can no longer be read (another run
    /// replaced or removed it): to be asked for again without validators.
    StoredGone,
}

/// How much of a stored page's entry is read for its head: enough for
/// any head but one with very long validators (then it is read whole).
const STORED_HEAD_BYTES: usize = 4096;

/// The head of a stored page's entry, read without its body (see
/// [`CachedEntry::decode_head`]).
struct StoredHead {
    fresh_until: u64,
    validators: Validators,
    page: Option<PageHead>,
}

impl StoredHead {
    /// How long the stored page was as the index served it: the last part
    /// of its id (see [`page_id`]).
    fn served_length(&self) -> Option<u64> {
        let id = self.page.as_ref()?.id.as_deref()?;
        u64::from_str_radix(id.rsplit_once('-')?.1, 16).ok()
    }
}

/// A JSON project page read while it arrives (see [`JsonPageReader`]).
struct PageReading {
    reader: Option<JsonPageReader>,
    /// A body of this length is not read on its way (see [`Self::unless_length`]).
    skip_length: Option<u64>,
}

impl PageReading {
    /// Reads a page unless its `Content-Length` is `length`: the length of
    /// the page stored from before, which it then most likely is again.
    fn unless_length(length: Option<u64>) -> Self {
        Self {
            reader: None,
            skip_length: length,
        }
    }

    /// A response begins (again, after a retry): read on only a page, and
    /// not one as long as the one to skip.
    fn begin(
        &mut self,
        status: StatusCode,
        content_type: &str,
        final_url: &Url,
        length: Option<u64>,
    ) {
        let skip = length.is_some() && length == self.skip_length;
        self.reader = (status == StatusCode::OK && content_type.contains("json") && !skip)
            .then(|| JsonPageReader::new(final_url.clone()));
    }

    /// `body` is all of the body so far.
    fn grew(&mut self, body: &[u8]) {
        if let Some(reader) = &mut self.reader {
            reader.grew(body);
        }
    }

    /// The page's files, when they could be read on the way.
    fn finish(self, body: &[u8]) -> Option<Vec<IndexFile>> {
        self.reader?.finish(body)
    }
}

/// The files of a project page: JSON, HTML, or as the cache stores them.
fn parse_page(page: &CachedPage) -> Result<Vec<IndexFile>, String> {
    if page.content_type == compact::CONTENT_TYPE {
        return compact::decode(&page.body).ok_or_else(|| "damaged cache entry".to_string());
    }
    if page.content_type.contains("json") {
        parse_json(&page.body, &page.final_url)
    } else {
        parse_html(&String::from_utf8_lossy(&page.body), &page.final_url)
    }
    .map_err(|error| error.to_string())
}

impl From<Fetched> for CachedPage {
    fn from(response: Fetched) -> Self {
        Self {
            final_url: response.final_url,
            content_type: response.content_type,
            id: None,
            body: response.body,
            files: None,
        }
    }
}

/// What a response says about caching it (RFC 9111).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Validators {
    pub etag: Option<String>,
    pub last_modified: Option<String>,
    /// Seconds the response stays fresh: `Cache-Control: max-age` less
    /// `Age`; 0 without `max-age`, or with `no-cache` or `no-store`.
    pub max_age: u64,
}

impl Validators {
    fn from_headers(headers: &HeaderMap) -> Self {
        let header = |name| {
            headers
                .get(name)
                .and_then(|value: &HeaderValue| value.to_str().ok())
                .map(|value| value.trim().to_string())
                .filter(|value| !value.is_empty())
        };
        let age = header(AGE)
            .and_then(|age| age.parse::<u64>().ok())
            .unwrap_or(0);
        let max_age = header(CACHE_CONTROL).map_or(0, |value| parse_max_age(&value));
        Self {
            etag: header(ETAG),
            last_modified: header(LAST_MODIFIED),
            max_age: max_age.saturating_sub(age),
        }
    }
}

/// The `max-age` of a `Cache-Control` value; 0 when absent or when the
/// response must be revalidated every time (`no-cache`, `no-store`).
fn parse_max_age(value: &str) -> u64 {
    let mut max_age = 0;
    for directive in value.split(',') {
        let directive = directive.trim().to_ascii_lowercase();
        if directive == "no-cache" || directive == "no-store" {
            return 0;
        }
        if let Some(seconds) = directive.strip_prefix("max-age=") {
            max_age = seconds.trim_matches('"').parse().unwrap_or(0);
        }
    }
    max_age
}

/// Seconds since the Unix epoch, now.
pub(crate) fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_secs())
}

/// The cache key of the page at `url`.
fn page_key(url: &Url) -> String {
    format!(
        "pages/{}",
        hex::encode(Sha256::digest(redact(url).as_bytes()))
    )
}

/// The name of a page, from its body as the index served it (what the cache
/// stores may be its compact form): a page fetched again unchanged keeps
/// its name, and with it what was derived from it. Two
/// checksums and the length (96 bits and more: a stale derivation is used
/// only if a changed page matches all three). `DefaultHasher::new` is
/// SipHash with fixed keys; should a Rust release change it, names change
/// once and derivations are made again.
fn page_id(body: &[u8]) -> String {
    use std::hash::Hasher;
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    hasher.write(body);
    format!(
        "{:08x}{:016x}-{:x}",
        crc32fast::hash(body),
        hasher.finish(),
        body.len()
    )
}

/// A page (or a "not on this index" marker) as the cache stores it, with
/// what is needed to reuse it: until when it is fresh and its validators.
///
/// Format (version 3): the line `plinth-page 3`, then `fresh-until SECONDS`,
/// `etag VALUE`, `last-modified VALUE` (empty values for none), then either
/// `missing` or `page`, `url URL`, `content-type TYPE`, `id ID` and the body.
/// The id names the body as the index served it (see [`page_id`]): what is
/// derived from the body (see [`crate::ranked`]) is keyed by it and found
/// from the head alone, and a page served again unchanged is recognized.
/// Version 2 entries (no id line) are read too.
struct CachedEntry {
    /// Unix seconds until which the page is used without asking the index.
    fresh_until: u64,
    validators: Validators,
    page: Option<CachedPage>,
}

const PAGE_FORMAT: &str = "plinth-page 3";
const PAGE_FORMAT_2: &str = "plinth-page 2";

impl CachedEntry {
    fn encode(&self) -> Vec<u8> {
        let mut bytes = format!(
            "{PAGE_FORMAT}\nfresh-until {}\netag {}\nlast-modified {}\n",
            self.fresh_until,
            self.validators.etag.as_deref().unwrap_or_default(),
            self.validators.last_modified.as_deref().unwrap_or_default(),
        )
        .into_bytes();
        match &self.page {
            None => bytes.extend_from_slice(b"missing\n"),
            Some(page) => {
                bytes.extend_from_slice(
                    format!(
                        "page\nurl {}\ncontent-type {}\nid {}\n",
                        page.final_url,
                        page.content_type,
                        page.id.as_deref().unwrap_or_default()
                    )
                    .as_bytes(),
                );
                bytes.extend_from_slice(&page.body);
            }
        }
        bytes
    }

    /// `None` for anything else, such as an entry of an older format. The
    /// body stays where it is in `bytes` (a page can be megabytes).
    fn decode(mut bytes: Vec<u8>) -> Option<Self> {
        let (fresh_until, validators, page) = Self::decode_head(&bytes)?;
        let page = match page {
            None => None,
            Some(PageHead {
                final_url,
                content_type,
                id,
                body_start,
            }) => {
                bytes.drain(..body_start);
                Some(CachedPage {
                    final_url,
                    content_type,
                    id,
                    body: bytes,
                    files: None,
                })
            }
        };
        Some(Self {
            fresh_until,
            validators,
            page,
        })
    }

    /// The lines before the body, and where the body starts (`None` when
    /// `bytes` ends before it: a head read alone may).
    fn decode_head(bytes: &[u8]) -> Option<(u64, Validators, Option<PageHead>)> {
        let mut at = 0;
        let mut line = |prefix: &str| -> Option<String> {
            let length = bytes.get(at..)?.iter().position(|byte| *byte == b'\n')?;
            let line = std::str::from_utf8(&bytes[at..at + length]).ok()?;
            at += length + 1;
            line.strip_prefix(prefix).map(str::to_string)
        };
        let format = line("")?;
        if format != PAGE_FORMAT && format != PAGE_FORMAT_2 {
            return None;
        }
        let fresh_until = line("fresh-until ")?.parse().ok()?;
        let present = |value: String| (!value.is_empty()).then_some(value);
        let validators = Validators {
            etag: present(line("etag ")?),
            last_modified: present(line("last-modified ")?),
            max_age: 0,
        };
        let page = match line("")?.as_str() {
            "missing" => None,
            "page" => {
                let final_url = Url::parse(&line("url ")?).ok()?;
                let content_type = line("content-type ")?;
                let id = if format == PAGE_FORMAT {
                    line("id ")?
                } else {
                    String::new()
                };
                Some(PageHead {
                    final_url,
                    content_type,
                    id: present(id),
                    body_start: at,
                })
            }
            _ => return None,
        };
        Some((fresh_until, validators, page))
    }
}

/// A response read to the end.
pub(crate) struct Fetched {
    pub status: StatusCode,
    pub final_url: Url,
    pub content_type: String,
    pub content_range: Option<String>,
    pub retry_after: Option<Duration>,
    /// Caching headers (for project and find-links pages).
    pub validators: Validators,
    pub body: Vec<u8>,
}

impl Fetched {
    fn check(&self, url: &Url) -> Result<(), IndexError> {
        if self.status.is_success() {
            Ok(())
        } else {
            Err(IndexError::Status {
                url: redact(url),
                status: self.status.as_u16(),
            })
        }
    }
}

/// `{index}/{name}/`, keeping the index's trailing-slash convention.
/// Where an index host keeps its files when that is another host: PyPI's
/// (and TestPyPI's) are served from their own domain, as pip knows too.
fn files_origin(index_host: &str) -> Option<&'static str> {
    match index_host {
        "pypi.org" => Some("https://files.pythonhosted.org/"),
        "test.pypi.org" => Some("https://test-files.pythonhosted.org/"),
        _ => None,
    }
}

fn project_url(index: &Url, name: &PackageName) -> Result<Url, IndexError> {
    let mut base = index.clone();
    if !base.path().ends_with('/') {
        base.set_path(&format!("{}/", base.path()));
    }
    base.join(&format!("{name}/")).map_err(|error| {
        IndexError::Client(format!("invalid index URL `{}`: {error}", redact(index)))
    })
}

/// Files are immutable: key them by their hash, else by their URL.
fn cache_key(kind: &str, file: &IndexFile) -> String {
    let id = match file.sha256() {
        Some(hash) => hash,
        None => hex::encode(Sha256::digest(file.url().to_string().as_bytes())),
    };
    format!("{kind}/{id}")
}

fn verify(filename: &str, expected: &str, bytes: &[u8], suffix: &str) -> Result<(), IndexError> {
    let actual = hex::encode(Sha256::digest(bytes));
    if actual.eq_ignore_ascii_case(expected) {
        Ok(())
    } else {
        Err(IndexError::HashMismatch {
            filename: format!("{filename}{suffix}"),
            expected: expected.to_string(),
            actual,
        })
    }
}

/// Whether `allowed` (`HOST` or `HOST:PORT`, `[IPV6]` or `[IPV6]:PORT`)
/// names `host` (as `Url::host_str` gives it) at `port`.
fn host_matches(allowed: &str, host: &str, port: Option<u16>) -> bool {
    let allowed = allowed.trim().to_ascii_lowercase();
    let (name, allowed_port) = match allowed.rsplit_once(':') {
        Some((name, p))
            if !p.is_empty()
                && p.bytes().all(|b| b.is_ascii_digit())
                && (!name.contains(':') || name.ends_with(']')) =>
        {
            (name, p.parse::<u16>().ok())
        }
        _ => (allowed.as_str(), None),
    };
    let name = name.trim_start_matches('[').trim_end_matches(']');
    let host = host.trim_start_matches('[').trim_end_matches(']');
    name.eq_ignore_ascii_case(host) && allowed_port.is_none_or(|allowed| Some(allowed) == port)
}

/// An error and its causes on one line, as reqwest nests them.
fn error_chain(error: &dyn std::error::Error) -> String {
    let mut message = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let text = cause.to_string();
        if !message.contains(&text) {
            message.push_str(": ");
            message.push_str(&text);
        }
        source = cause.source();
    }
    message
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cache_headers_and_page_entries() {
        assert_eq!(parse_max_age("max-age=600, public"), 600);
        assert_eq!(parse_max_age("public, MAX-AGE=\"30\""), 30);
        assert_eq!(parse_max_age("max-age=600, no-cache"), 0);
        assert_eq!(parse_max_age("no-store"), 0);
        assert_eq!(parse_max_age("max-age=soon"), 0);
        let mut headers = HeaderMap::new();
        headers.insert(CACHE_CONTROL, HeaderValue::from_static("max-age=600"));
        headers.insert(AGE, HeaderValue::from_static("100"));
        headers.insert(ETAG, HeaderValue::from_static("W/\"abc\""));
        let validators = Validators::from_headers(&headers);
        assert_eq!(
            validators,
            Validators {
                etag: Some("W/\"abc\"".to_string()),
                last_modified: None,
                max_age: 500,
            }
        );
        let entry = CachedEntry {
            fresh_until: 1_700_000_000,
            validators,
            page: Some(CachedPage {
                final_url: Url::parse("https://example.org/simple/a/").expect("url"),
                content_type: "text/html".to_string(),
                id: Some("abc-1".to_string()),
                body: b"<a>\nb\n</a>".to_vec(),
                files: None,
            }),
        };
        let decoded = CachedEntry::decode(entry.encode()).expect("decodes");
        assert_eq!(decoded.fresh_until, 1_700_000_000);
        assert_eq!(decoded.validators.etag.as_deref(), Some("W/\"abc\""));
        assert_eq!(decoded.validators.last_modified, None);
        let page = decoded.page.expect("a page");
        assert_eq!(page.body, b"<a>\nb\n</a>");
        assert_eq!(page.content_type, "text/html");
        assert_eq!(page.id.as_deref(), Some("abc-1"));
        // A page stored again unchanged keeps its id; any change makes another.
        assert_eq!(page_id(b"<a>"), page_id(b"<a>"));
        assert_ne!(page_id(b"<a>"), page_id(b"<b>"));
        assert_ne!(page_id(b"<a>"), page_id(b"<a> "));
        let missing = CachedEntry {
            fresh_until: 5,
            validators: Validators::default(),
            page: None,
        };
        let decoded = CachedEntry::decode(missing.encode()).expect("decodes");
        assert!(decoded.page.is_none() && decoded.fresh_until == 5);
        // An entry of the version 1 format is a miss.
        assert!(
            CachedEntry::decode(b"https://example.org/simple/a/\ntext/html\n<a>".to_vec())
                .is_none()
        );
    }

    #[test]
    fn files_hosts_known_to_differ_from_the_index() {
        assert_eq!(
            files_origin("pypi.org"),
            Some("https://files.pythonhosted.org/")
        );
        assert_eq!(
            files_origin("test.pypi.org"),
            Some("https://test-files.pythonhosted.org/")
        );
        // Elsewhere files are taken to be on the index's own host.
        assert_eq!(files_origin("127.0.0.1"), None);
        assert_eq!(files_origin("pypi.example.com"), None);
    }

    #[test]
    fn insecure_host_patterns() {
        assert!(host_matches("127.0.0.1", "127.0.0.1", Some(8443)));
        assert!(host_matches("127.0.0.1:8443", "127.0.0.1", Some(8443)));
        assert!(!host_matches("127.0.0.1:8443", "127.0.0.1", Some(443)));
        assert!(host_matches("Example.ORG", "example.org", Some(443)));
        assert!(host_matches("example.org:443", "example.org", Some(443)));
        assert!(!host_matches("example.org", "evil-example.org", Some(443)));
        assert!(host_matches("[::1]:8443", "[::1]", Some(8443)));
        assert!(host_matches("::1", "[::1]", Some(8443)));
    }

    #[test]
    fn retry_after_values() {
        assert_eq!(parse_retry_after("7"), Some(Duration::from_secs(7)));
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT"),
            Some(Duration::ZERO)
        );
        assert_eq!(parse_retry_after("soon"), None);
        assert!(
            backoff(0) >= Duration::from_millis(500) && backoff(0) <= Duration::from_millis(750)
        );
        assert!(backoff(2) >= Duration::from_secs(2));
        assert!(
            is_retryable(StatusCode::SERVICE_UNAVAILABLE) && !is_retryable(StatusCode::NOT_FOUND)
        );
    }
}
