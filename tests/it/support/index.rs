//! A package index on 127.0.0.1 serving distributions built from
//! [`DistSpec`]s: the simple API as PEP 691 JSON and PEP 503 HTML, files with
//! or without range support, and PEP 658 metadata files. Plus a tiny HTTP
//! client for testing it.
//!
//! Routes: `GET /simple/`, the list of every project (PEP 503 / PEP 691),
//! `GET /simple/<name>/` (non-normalized names and a missing slash
//! redirect with 301), `GET|HEAD /files/<filename>` and, with PEP 658,
//! `GET|HEAD /files/<filename>.metadata`, and `GET /links/`, an HTML page
//! linking every file (for `--find-links`), and `GET|HEAD /mirror/<filename>`,
//! the files again (a redirect target), and `GET /pypi/<name>/json` for
//! the projects given a release hint ([`RunningIndex::release_hint`]).
//! Every response closes the
//! connection. Releases can be published or yanked while the index serves
//! ([`RunningIndex::publish`], [`RunningIndex::yank`]); it can be told to
//! answer every request with one status ([`RunningIndex::fail_with`]) or to
//! redirect file downloads elsewhere ([`RunningIndex::redirect_files_to`]).
//! Project pages carry an `ETag` and get 304 for a matching
//! `If-None-Match`, and a `Cache-Control` when told
//! ([`RunningIndex::cache_control`]).
//! With [`ServerOptions::basic_auth`], requests without those credentials
//! get 401.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::{self, JoinHandle};
use std::time::Duration;

use serde_json::{Value, json};

use super::sdist::build_sdist;
use super::wheel::{build_wheel, wheel_metadata};
use super::{DistSpec, normalize_name, sha256_hex};

const JSON_CONTENT_TYPE: &str = "application/vnd.pypi.simple.v1+json";
const HTML_CONTENT_TYPE: &str = "text/html";
/// How long a connection may sit idle before the server or client gives up.
const SOCKET_TIMEOUT: Duration = Duration::from_secs(10);

/// What the server offers.
#[derive(Debug, Clone, Copy)]
pub struct ServerOptions {
    /// Serve PEP 691 JSON to clients that ask for it.
    pub json: bool,
    /// Serve PEP 503 HTML.
    pub html: bool,
    /// Honour `Range` headers; when false the header is ignored (200, full body).
    pub range: bool,
    /// Serve `<file>.metadata` and advertise it (PEP 658 / PEP 714).
    pub pep658: bool,
    /// Give each file's sha256 on the project pages; when false, clients
    /// must download a file to learn its hash.
    pub hashes: bool,
    /// `(user, password)`: answer 401 (`WWW-Authenticate: Basic`) to every
    /// request that does not carry them.
    pub basic_auth: Option<(&'static str, &'static str)>,
    /// Give project pages an `ETag` (and answer 304 to a matching
    /// `If-None-Match`); when false, every page is served whole.
    pub etag: bool,
}

impl Default for ServerOptions {
    fn default() -> Self {
        Self {
            json: true,
            html: true,
            range: true,
            pep658: false,
            hashes: true,
            basic_auth: None,
            etag: true,
        }
    }
}

/// The releases an index will serve; see [`TestIndex::package`].
#[derive(Debug, Default)]
pub struct TestIndex {
    specs: Vec<DistSpec>,
}

/// One built file of the index.
#[derive(Debug, Clone)]
pub struct IndexFile {
    pub filename: String,
    pub bytes: Vec<u8>,
    pub sha256: String,
    /// The wheel's METADATA, for PEP 658; `None` for sdists.
    pub metadata: Option<Vec<u8>>,
    pub requires_python: Option<String>,
    pub yanked: Option<String>,
    pub upload_time: Option<String>,
}

#[derive(Debug)]
struct Project {
    versions: Vec<String>,
    files: Vec<IndexFile>,
}

impl TestIndex {
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a release, configured by `configure` (`|p| p` for the defaults).
    pub fn package(
        self,
        name: &str,
        version: &str,
        configure: impl FnOnce(DistSpec) -> DistSpec,
    ) -> Self {
        self.add(configure(DistSpec::new(name, version)))
    }

    pub fn add(mut self, spec: DistSpec) -> Self {
        self.specs.push(spec);
        self
    }

    /// Builds every file: the wheels (one per tag), then the sdist, of each release.
    pub fn files(&self) -> Vec<IndexFile> {
        self.specs.iter().flat_map(build_files).collect()
    }

    /// Writes every file into `dir`, e.g. for `--find-links`.
    pub fn write_files(&self, dir: &Path) {
        std::fs::create_dir_all(dir).expect("create the find-links directory");
        for file in self.files() {
            std::fs::write(dir.join(&file.filename), &file.bytes).expect("write a distribution");
        }
    }

    pub fn serve(self) -> RunningIndex {
        self.serve_with(ServerOptions::default())
    }

    pub fn serve_with(self, options: ServerOptions) -> RunningIndex {
        let mut projects: BTreeMap<String, Project> = BTreeMap::new();
        for spec in &self.specs {
            add_release(&mut projects, spec);
        }
        let state = Arc::new(State {
            options,
            projects: Mutex::new(projects),
            requests: Mutex::new(Vec::new()),
            forced_status: Mutex::new(None),
            files_redirect: Mutex::new(None),
            cache_control: Mutex::new(None),
            release_hints: Mutex::new(BTreeMap::new()),
        });

        let listener = TcpListener::bind("127.0.0.1:0").expect("bind the test index to 127.0.0.1");
        let address = listener.local_addr().expect("read the test index address");
        let stop = Arc::new(AtomicBool::new(false));
        let thread = {
            let stop = Arc::clone(&stop);
            let state = Arc::clone(&state);
            thread::spawn(move || accept_loop(&listener, &stop, &state))
        };
        RunningIndex {
            address,
            state,
            stop,
            thread: Some(thread),
        }
    }
}

/// Adds one release's files to its project, creating the project if needed.
fn add_release(projects: &mut BTreeMap<String, Project>, spec: &DistSpec) {
    let project = projects
        .entry(spec.normalized_name())
        .or_insert_with(|| Project {
            versions: Vec::new(),
            files: Vec::new(),
        });
    assert!(
        !project.versions.contains(&spec.version),
        "{} {} is described twice",
        spec.name,
        spec.version
    );
    project.versions.push(spec.version.clone());
    project.files.extend(build_files(spec));
}

fn build_files(spec: &DistSpec) -> Vec<IndexFile> {
    let mut built = Vec::new();
    if spec.wheels {
        for tag in &spec.wheel_tags {
            let (filename, bytes) = build_wheel(spec, tag);
            built.push((filename, bytes, Some(wheel_metadata(spec).into_bytes())));
        }
    }
    if spec.sdist {
        let (filename, bytes) = build_sdist(spec);
        built.push((filename, bytes, None));
    }
    built
        .into_iter()
        .map(|(filename, bytes, metadata)| IndexFile {
            filename,
            sha256: sha256_hex(&bytes),
            bytes,
            metadata,
            requires_python: spec.requires_python.clone(),
            yanked: spec.yanked.clone(),
            upload_time: spec.upload_time.clone(),
        })
        .collect()
}

/// One request the index received.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    pub method: String,
    /// The request target as sent, e.g. `/simple/flask/`.
    pub path: String,
    pub range: Option<String>,
    pub accept: Option<String>,
    /// The `Authorization` header, as sent.
    pub authorization: Option<String>,
    /// The `If-None-Match` header, as sent (a conditional request).
    pub if_none_match: Option<String>,
    /// The status the index answered with.
    pub status: u16,
}

/// A serving index; stops when dropped.
#[derive(Debug)]
pub struct RunningIndex {
    address: SocketAddr,
    state: Arc<State>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl RunningIndex {
    /// The simple API root, `http://127.0.0.1:PORT/simple/`.
    pub fn url(&self) -> String {
        format!("http://{}/simple/", self.address)
    }

    /// `127.0.0.1:PORT`, the part of URLs to filter out of snapshots.
    pub fn host(&self) -> String {
        self.address.to_string()
    }

    /// Every request received so far, in order.
    pub fn requests(&self) -> Vec<Request> {
        self.state
            .requests
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    pub fn clear_requests(&self) {
        self.state
            .requests
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clear();
    }

    /// The file served as `/files/<filename>`, if any.
    pub fn file(&self, filename: &str) -> Option<IndexFile> {
        self.state.file(filename)
    }

    /// Every file served now, project by project.
    pub fn files(&self) -> Vec<IndexFile> {
        self.state
            .lock_projects()
            .values()
            .flat_map(|project| project.files.clone())
            .collect()
    }

    /// Publishes a release (configured by `configure`, `|p| p` for the
    /// defaults) while the index serves: later requests see it, as when a
    /// new version is uploaded to PyPI between two runs.
    pub fn publish(&self, name: &str, version: &str, configure: impl FnOnce(DistSpec) -> DistSpec) {
        add_release(
            &mut self.state.lock_projects(),
            &configure(DistSpec::new(name, version)),
        );
    }

    /// Marks every file of a served release yanked (`""` for no reason)
    /// while the index serves; panics when there is no such release.
    pub fn yank(&self, name: &str, version: &str, reason: &str) {
        let spec = DistSpec::new(name, version);
        let wheel_prefix = format!("{}-{version}-", spec.filename_name());
        let sdist = format!("{}-{version}.tar.gz", spec.filename_name());
        let mut projects = self.state.lock_projects();
        let project = projects
            .get_mut(&spec.normalized_name())
            .filter(|project| project.versions.contains(&spec.version))
            .unwrap_or_else(|| panic!("{name} {version} is not on the index"));
        for file in &mut project.files {
            if file.filename.starts_with(&wheel_prefix) || file.filename == sdist {
                file.yanked = Some(reason.to_string());
            }
        }
    }

    /// Sends one request to this index; see [`http_request`].
    pub fn request(&self, method: &str, path: &str, headers: &[(&str, &str)]) -> HttpResponse {
        http_request(&self.host(), method, path, headers)
    }

    pub fn get(&self, path: &str, headers: &[(&str, &str)]) -> HttpResponse {
        self.request("GET", path, headers)
    }

    /// Serves `GET /pypi/<name>/json` as PyPI's JSON API does, saying that
    /// the latest release of `name` is `version` with `requires_dist`
    /// (whatever the files say: a hint may be wrong). Projects without one
    /// get 404 there.
    pub fn release_hint(&self, name: &str, version: &str, requires_dist: &[&str]) {
        self.state
            .release_hints
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(
                normalize_name(name),
                (
                    version.to_string(),
                    requires_dist.iter().map(ToString::to_string).collect(),
                ),
            );
    }

    /// From now on, send this `Cache-Control` value with project pages
    /// (`None`, the default: send none). Pages always carry an `ETag`.
    pub fn cache_control(&self, value: Option<&str>) {
        *self
            .state
            .cache_control
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = value.map(str::to_string);
    }

    /// From now on, answer every request with `status` (`None`: serve again).
    pub fn fail_with(&self, status: Option<u16>) {
        *self
            .state
            .forced_status
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = status;
    }

    /// From now on, answer `/files/<filename>` with a 302 to `<base>/<filename>`,
    /// e.g. another index's `http://127.0.0.1:PORT/files`, or this one's
    /// `/mirror` (which serves the same files without redirecting).
    pub fn redirect_files_to(&self, base: &str) {
        *self
            .state
            .files_redirect
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = Some(base.trim_end_matches('/').to_string());
    }
}

impl Drop for RunningIndex {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wake the accept loop so that it sees the flag.
        let _ = TcpStream::connect_timeout(&self.address, SOCKET_TIMEOUT);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

#[derive(Debug)]
struct State {
    options: ServerOptions,
    projects: Mutex<BTreeMap<String, Project>>,
    requests: Mutex<Vec<Request>>,
    forced_status: Mutex<Option<u16>>,
    files_redirect: Mutex<Option<String>>,
    cache_control: Mutex<Option<String>>,
    /// What `/pypi/<name>/json` says of each project: a version and its
    /// `Requires-Dist` lines (see [`RunningIndex::release_hint`]).
    release_hints: Mutex<BTreeMap<String, (String, Vec<String>)>>,
}

impl State {
    fn lock_projects(&self) -> std::sync::MutexGuard<'_, BTreeMap<String, Project>> {
        self.projects.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn file(&self, filename: &str) -> Option<IndexFile> {
        self.lock_projects()
            .values()
            .flat_map(|project| &project.files)
            .find(|file| file.filename == filename)
            .cloned()
    }
}

fn accept_loop(listener: &TcpListener, stop: &AtomicBool, state: &Arc<State>) {
    for stream in listener.incoming() {
        if stop.load(Ordering::SeqCst) {
            return;
        }
        let Ok(stream) = stream else {
            // Such as too many open files: give the other connections time to finish.
            thread::sleep(Duration::from_millis(10));
            continue;
        };
        let state = Arc::clone(state);
        thread::spawn(move || handle_connection(stream, &state));
    }
}

fn handle_connection(stream: TcpStream, state: &State) {
    let _ = stream.set_read_timeout(Some(SOCKET_TIMEOUT));
    let _ = stream.set_write_timeout(Some(SOCKET_TIMEOUT));
    let Some(mut request) = read_request(&stream) else {
        return;
    };
    let response = route(state, &request);
    request.status = response.status;
    state
        .requests
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .push(request.clone());
    let _ = write_response(stream, &response, request.method == "HEAD");
}

/// Reads the request line and headers (bounded); `None` on a malformed request.
fn read_request(stream: &TcpStream) -> Option<Request> {
    let mut reader = BufReader::new(stream.take(64 * 1024));
    let mut line = String::new();
    reader.read_line(&mut line).ok()?;
    let mut parts = line.split_whitespace();
    let (method, path) = (parts.next()?.to_string(), parts.next()?.to_string());
    let (mut range, mut accept, mut authorization, mut if_none_match) = (None, None, None, None);
    loop {
        line.clear();
        if reader.read_line(&mut line).ok()? == 0 {
            return None;
        }
        let header = line.trim_end();
        if header.is_empty() {
            break;
        }
        let (name, value) = header.split_once(':')?;
        match name.trim().to_ascii_lowercase().as_str() {
            "range" => range = Some(value.trim().to_string()),
            "accept" => accept = Some(value.trim().to_string()),
            "authorization" => authorization = Some(value.trim().to_string()),
            "if-none-match" => if_none_match = Some(value.trim().to_string()),
            _ => {}
        }
    }
    Some(Request {
        method,
        path,
        range,
        accept,
        authorization,
        if_none_match,
        status: 0,
    })
}

struct Response {
    status: u16,
    headers: Vec<(&'static str, String)>,
    body: Vec<u8>,
}

impl Response {
    fn new(status: u16) -> Self {
        Self {
            status,
            headers: Vec::new(),
            body: Vec::new(),
        }
    }

    fn with_status(mut self, status: u16) -> Self {
        self.status = status;
        self
    }

    fn header(mut self, name: &'static str, value: impl Into<String>) -> Self {
        self.headers.push((name, value.into()));
        self
    }

    fn body(mut self, content_type: &str, body: impl Into<Vec<u8>>) -> Self {
        self.body = body.into();
        self.header("Content-Type", content_type)
    }
}

fn write_response(
    mut stream: TcpStream,
    response: &Response,
    head_only: bool,
) -> std::io::Result<()> {
    let reason = match response.status {
        200 => "OK",
        206 => "Partial Content",
        304 => "Not Modified",
        301 => "Moved Permanently",
        302 => "Found",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        406 => "Not Acceptable",
        416 => "Range Not Satisfiable",
        500 => "Internal Server Error",
        _ => "Unknown",
    };
    let mut head = format!("HTTP/1.1 {} {reason}\r\n", response.status);
    for (name, value) in &response.headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str(&format!(
        "Content-Length: {}\r\nConnection: close\r\n\r\n",
        response.body.len()
    ));
    stream.write_all(head.as_bytes())?;
    if !head_only {
        stream.write_all(&response.body)?;
    }
    stream.flush()
}

fn route(state: &State, request: &Request) -> Response {
    if request.method != "GET" && request.method != "HEAD" {
        return Response::new(405).header("Allow", "GET, HEAD");
    }
    if let Some(status) = *state
        .forced_status
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
    {
        return Response::new(status).body("text/plain", format!("HTTP {status}\n"));
    }
    if let Some((user, password)) = state.options.basic_auth {
        let expected = format!("Basic {}", base64(format!("{user}:{password}").as_bytes()));
        if request.authorization.as_deref() != Some(expected.as_str()) {
            return Response::new(401)
                .header("WWW-Authenticate", "Basic realm=\"test\"")
                .body("text/plain", "HTTP 401\n");
        }
    }
    let path = request.path.split(['?', '#']).next().unwrap_or_default();
    let path = percent_decode(path);
    if let Some(rest) = path.strip_prefix("/simple/") {
        return project_page(state, rest, request);
    }
    if let Some(filename) = path.strip_prefix("/files/") {
        let redirect = state
            .files_redirect
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone();
        if let Some(base) = redirect {
            return Response::new(302).header("Location", format!("{base}/{filename}"));
        }
        return file_response(state, filename, request.range.as_deref());
    }
    if let Some(filename) = path.strip_prefix("/mirror/") {
        return file_response(state, filename, request.range.as_deref());
    }
    if path == "/links/" {
        return Response::new(200).body(HTML_CONTENT_TYPE, links_html(state));
    }
    if let Some(name) = path
        .strip_prefix("/pypi/")
        .and_then(|rest| rest.strip_suffix("/json"))
        && let Some((version, requires_dist)) = state
            .release_hints
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(name)
    {
        let reply = json!({
            "info": {"version": version, "requires_dist": requires_dist, "description": "} {"},
            "releases": {},
            "urls": [],
        });
        return Response::new(200).body("application/json", reply.to_string());
    }
    Response::new(404)
}

/// Every file of every project as one HTML page of links, as `--find-links` reads it.
fn links_html(state: &State) -> String {
    let mut html = String::from("<!DOCTYPE html>\n<html>\n  <body>\n");
    for file in state
        .lock_projects()
        .values()
        .flat_map(|project| &project.files)
    {
        let mut href = format!("../files/{}", file.filename);
        if state.options.hashes {
            href.push_str(&format!("#sha256={}", file.sha256));
        }
        html.push_str(&format!(
            "    <a href=\"{}\">{}</a><br/>\n",
            html_escape(&href),
            html_escape(&file.filename)
        ));
    }
    html.push_str("  </body>\n</html>\n");
    html
}

/// Standard base64 with padding (for `Authorization: Basic`).
pub fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut encoded = String::new();
    for chunk in bytes.chunks(3) {
        let group = chunk.iter().enumerate().fold(0u32, |group, (index, byte)| {
            group | u32::from(*byte) << (16 - 8 * index)
        });
        for position in 0..4 {
            if position <= chunk.len() {
                let index = (group >> (18 - 6 * position)) & 0b11_1111;
                encoded.push(char::from(ALPHABET[index as usize]));
            } else {
                encoded.push('=');
            }
        }
    }
    encoded
}

/// A project page with an `ETag` (of its body) and the configured
/// `Cache-Control`; 304 when `If-None-Match` names the current `ETag`.
fn project_page(state: &State, rest: &str, request: &Request) -> Response {
    let response = project_page_body(state, rest, request.accept.as_deref());
    if response.status != 200 {
        return response;
    }
    let etag = format!("\"{}\"", &sha256_hex(&response.body)[..16]);
    let cache_control = state
        .cache_control
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .clone();
    if !state.options.etag {
        return match cache_control {
            Some(value) => response.header("Cache-Control", value),
            None => response,
        };
    }
    let matches = request.if_none_match.as_deref().is_some_and(|tags| {
        tags.split(',')
            .any(|tag| tag.trim() == etag || tag.trim() == "*")
    });
    let mut response = if matches {
        Response::new(304).header("Vary", "Accept")
    } else {
        response
    };
    response = response.header("ETag", etag);
    if let Some(value) = cache_control {
        response = response.header("Cache-Control", value);
    }
    response
}

fn project_page_body(state: &State, rest: &str, accept: Option<&str>) -> Response {
    if rest.is_empty() {
        return root_listing(state, accept);
    }
    let name = rest.strip_suffix('/').unwrap_or(rest);
    let normalized = normalize_name(name);
    let projects = state.lock_projects();
    let Some(project) = projects.get(&normalized) else {
        return Response::new(404);
    };
    if rest != format!("{normalized}/") {
        return Response::new(301).header("Location", format!("/simple/{normalized}/"));
    }
    match negotiate(state.options, accept) {
        Some(Format::Json) => Response::new(200).header("Vary", "Accept").body(
            JSON_CONTENT_TYPE,
            project_json(&normalized, project, state.options),
        ),
        Some(Format::Html) => Response::new(200).header("Vary", "Accept").body(
            HTML_CONTENT_TYPE,
            project_html(&normalized, project, state.options),
        ),
        None => Response::new(406),
    }
}

/// `GET /simple/`: every project, as PEP 691 JSON or PEP 503 HTML.
fn root_listing(state: &State, accept: Option<&str>) -> Response {
    let projects = state.lock_projects();
    match negotiate(state.options, accept) {
        Some(Format::Json) => {
            let listed: Vec<Value> = projects
                .keys()
                .map(|name| json!({ "name": name }))
                .collect();
            let body = json!({ "meta": { "api-version": "1.0" }, "projects": listed });
            Response::new(200)
                .header("Vary", "Accept")
                .body(JSON_CONTENT_TYPE, body.to_string())
        }
        Some(Format::Html) => {
            let mut html = String::from("<!DOCTYPE html>\n<html>\n  <body>\n");
            for name in projects.keys() {
                html.push_str(&format!(
                    "    <a href=\"{}/\">{}</a>\n",
                    html_escape(name),
                    html_escape(name)
                ));
            }
            html.push_str("  </body>\n</html>\n");
            Response::new(200)
                .header("Vary", "Accept")
                .body(HTML_CONTENT_TYPE, html)
        }
        None => Response::new(406),
    }
}

#[derive(Debug, PartialEq, Eq)]
enum Format {
    Json,
    Html,
}

/// Picks JSON when the client names it at least as highly as HTML, HTML
/// otherwise, and whatever is enabled for `*/*` (HTML first, like PyPI).
fn negotiate(options: ServerOptions, accept: Option<&str>) -> Option<Format> {
    let accept = accept.unwrap_or("*/*");
    let quality = |wanted: &[&str]| -> f32 {
        accept
            .split(',')
            .filter_map(|entry| {
                let mut parameters = entry.split(';');
                let media_type = parameters.next()?.trim().to_ascii_lowercase();
                if !wanted.contains(&media_type.as_str()) {
                    return None;
                }
                let q = parameters
                    .filter_map(|parameter| parameter.trim().strip_prefix("q="))
                    .find_map(|q| q.trim().parse::<f32>().ok());
                Some(q.unwrap_or(1.0))
            })
            .fold(0.0, f32::max)
    };
    let json_named = quality(&[JSON_CONTENT_TYPE]);
    let json = quality(&[JSON_CONTENT_TYPE, "application/*", "*/*"]);
    let html = quality(&[
        "application/vnd.pypi.simple.v1+html",
        "text/html",
        "text/*",
        "*/*",
    ]);
    if options.json && json_named > 0.0 && (json_named >= html || !options.html) {
        Some(Format::Json)
    } else if options.html && html > 0.0 {
        Some(Format::Html)
    } else if options.json && json > 0.0 {
        Some(Format::Json)
    } else {
        None
    }
}

fn file_url(filename: &str) -> String {
    format!("../../files/{filename}")
}

fn project_json(name: &str, project: &Project, options: ServerOptions) -> String {
    let files: Vec<Value> = project
        .files
        .iter()
        .map(|file| {
            let mut entry = json!({
                "filename": file.filename,
                "url": file_url(&file.filename),
                "hashes": if options.hashes { json!({ "sha256": file.sha256 }) } else { json!({}) },
                "size": file.bytes.len(),
                "yanked": match &file.yanked {
                    None => json!(false),
                    Some(reason) if reason.is_empty() => json!(true),
                    Some(reason) => json!(reason),
                },
                "core-metadata": match &file.metadata {
                    Some(metadata) if options.pep658 => json!({ "sha256": sha256_hex(metadata) }),
                    _ => json!(false),
                },
            });
            if let Some(requires_python) = &file.requires_python {
                entry["requires-python"] = json!(requires_python);
            }
            if let Some(upload_time) = &file.upload_time {
                entry["upload-time"] = json!(upload_time);
            }
            entry
        })
        .collect();
    let page = json!({
        "meta": { "api-version": "1.1" },
        "name": name,
        "files": files,
        "versions": project.versions,
    });
    serde_json::to_string_pretty(&page).expect("serialize a JSON project page")
}

fn project_html(name: &str, project: &Project, options: ServerOptions) -> String {
    let name = html_escape(name);
    let mut html = format!(
        "<!DOCTYPE html>\n<html>\n  <head>\n    <meta name=\"pypi:repository-version\" content=\"1.1\">\n    \
         <title>Links for {name}</title>\n  </head>\n  <body>\n    <h1>Links for {name}</h1>\n"
    );
    for file in &project.files {
        let mut href = file_url(&file.filename);
        if options.hashes {
            href.push_str(&format!("#sha256={}", file.sha256));
        }
        let mut attributes = format!("href=\"{}\"", html_escape(&href));
        if let Some(requires_python) = &file.requires_python {
            attributes.push_str(&format!(
                " data-requires-python=\"{}\"",
                html_escape(requires_python)
            ));
        }
        if let Some(reason) = &file.yanked {
            attributes.push_str(&format!(" data-yanked=\"{}\"", html_escape(reason)));
        }
        if let (true, Some(metadata)) = (options.pep658, &file.metadata) {
            let hash = sha256_hex(metadata);
            attributes.push_str(&format!(
                " data-core-metadata=\"sha256={hash}\" data-dist-info-metadata=\"sha256={hash}\""
            ));
        }
        html.push_str(&format!(
            "    <a {attributes}>{}</a><br/>\n",
            html_escape(&file.filename)
        ));
    }
    html.push_str("  </body>\n</html>\n");
    html
}

fn html_escape(value: &str) -> String {
    value
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#x27;")
}

fn file_response(state: &State, filename: &str, range: Option<&str>) -> Response {
    let (bytes, content_type) = if let Some(file) = state.file(filename) {
        (file.bytes, "application/octet-stream")
    } else if let Some(metadata) = filename
        .strip_suffix(".metadata")
        .and_then(|wheel| state.file(wheel))
        .and_then(|file| file.metadata)
        .filter(|_| state.options.pep658)
    {
        (metadata, "text/plain")
    } else {
        return Response::new(404);
    };
    if !state.options.range {
        return Response::new(200).body(content_type, bytes);
    }
    let response = Response::new(200).header("Accept-Ranges", "bytes");
    let length = bytes.len();
    match range.map_or(ByteRange::Ignored, |range| ByteRange::parse(range, length)) {
        ByteRange::Ignored => response.body(content_type, bytes),
        ByteRange::Satisfiable { start, end } => response
            .header("Content-Range", format!("bytes {start}-{end}/{length}"))
            .body(content_type, &bytes[start..=end])
            .with_status(206),
        ByteRange::Unsatisfiable => Response::new(416)
            .header("Accept-Ranges", "bytes")
            .header("Content-Range", format!("bytes */{length}")),
    }
}

/// What to do with a `Range` header.
#[derive(Debug, PartialEq, Eq)]
enum ByteRange {
    /// Invalid, or several ranges: send the whole file, as RFC 9110 allows.
    Ignored,
    /// Inclusive bounds, clamped to the file.
    Satisfiable {
        start: usize,
        end: usize,
    },
    Unsatisfiable,
}

impl ByteRange {
    /// Parses `bytes=a-b`, `bytes=a-` or `bytes=-n` for a file of `length` bytes.
    fn parse(header: &str, length: usize) -> Self {
        let Some((start, end)) = header
            .trim()
            .strip_prefix("bytes=")
            .filter(|spec| !spec.contains(','))
            .and_then(|spec| spec.split_once('-'))
        else {
            return Self::Ignored;
        };
        let (start, end) = (start.trim(), end.trim());
        let (start, end) = if start.is_empty() {
            match end.parse::<usize>() {
                Ok(0) => return Self::Unsatisfiable,
                Ok(suffix) => (length.saturating_sub(suffix), usize::MAX),
                Err(_) => return Self::Ignored,
            }
        } else {
            let end = if end.is_empty() {
                Ok(usize::MAX)
            } else {
                end.parse()
            };
            match (start.parse::<usize>(), end) {
                (Ok(start), Ok(end)) if start <= end => (start, end),
                _ => return Self::Ignored,
            }
        };
        if start >= length {
            return Self::Unsatisfiable;
        }
        Self::Satisfiable {
            start,
            end: end.min(length - 1),
        }
    }
}

fn percent_decode(path: &str) -> String {
    let bytes = path.as_bytes();
    let mut decoded = Vec::with_capacity(bytes.len());
    let mut index = 0;
    while index < bytes.len() {
        let hex = bytes
            .get(index + 1..index + 3)
            .and_then(|hex| std::str::from_utf8(hex).ok());
        match (
            bytes[index],
            hex.and_then(|hex| u8::from_str_radix(hex, 16).ok()),
        ) {
            (b'%', Some(byte)) => {
                decoded.push(byte);
                index += 3;
            }
            (byte, _) => {
                decoded.push(byte);
                index += 1;
            }
        }
    }
    String::from_utf8_lossy(&decoded).into_owned()
}

/// A response read by [`http_request`].
#[derive(Debug)]
pub struct HttpResponse {
    pub status: u16,
    /// Header names lowercased, in the order received.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl HttpResponse {
    /// The first header of that name (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        let name = name.to_ascii_lowercase();
        self.headers
            .iter()
            .find(|(key, _)| *key == name)
            .map(|(_, value)| value.as_str())
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// Sends one HTTP/1.1 request to `host` (`127.0.0.1:PORT`) and reads the
/// whole response; panics on I/O errors or a malformed response.
pub fn http_request(
    host: &str,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
) -> HttpResponse {
    let mut stream =
        TcpStream::connect(host).unwrap_or_else(|error| panic!("connect to {host}: {error}"));
    stream
        .set_read_timeout(Some(SOCKET_TIMEOUT))
        .expect("set the client read timeout");
    let mut request = format!("{method} {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n");
    for (name, value) in headers {
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    request.push_str("\r\n");
    stream
        .write_all(request.as_bytes())
        .expect("send the request");
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).expect("read the response");

    let split = raw
        .windows(4)
        .position(|window| window == b"\r\n\r\n")
        .expect("response has a header end");
    let head = String::from_utf8_lossy(&raw[..split]).into_owned();
    let mut lines = head.split("\r\n");
    let status_line = lines.next().unwrap_or_default();
    let status = status_line
        .split_whitespace()
        .nth(1)
        .and_then(|status| status.parse().ok())
        .unwrap_or_else(|| panic!("malformed status line `{status_line}`"));
    let headers = lines
        .filter_map(|line| line.split_once(':'))
        .map(|(name, value)| (name.trim().to_ascii_lowercase(), value.trim().to_string()))
        .collect();
    HttpResponse {
        status,
        headers,
        body: raw[split + 4..].to_vec(),
    }
}
