//! The simple repository API: PEP 691 JSON and PEP 503 HTML project pages.

use std::borrow::Cow;
use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, OnceLock};

use jiff::Timestamp;
use serde::Deserialize;
use url::Url;

/// One file of a project, as the index lists it.
///
/// A project page lists up to tens of thousands of files and a resolution
/// reads hundreds of pages, of which few files are used, so a file is kept
/// lean: what the files of a page share is shared (the start of their URLs,
/// their `Requires-Python` values), the filename is the URL's last segment
/// unless it differs, hashes are kept as bytes, and what is rare (a yank
/// reason, a filename or hash of an unusual form) is kept apart.
#[derive(Clone)]
pub struct IndexFile {
    url: FileUrl,
    /// 1 + the position of the file's `Requires-Python` in its page's
    /// table ([`PageText`]); 0 for none (or one in [`Rare`]).
    requires_python: u16,
    /// Unix seconds of the upload, [`NO_TIME`] when unknown.
    upload_second: i64,
    upload_nanosecond: i32,
    /// [`SHA256`], [`CORE_METADATA`], [`CORE_METADATA_SHA256`].
    flags: u8,
    sha256: [u8; 32],
    core_metadata_sha256: [u8; 32],
    rare: Option<Box<Rare>>,
}

const NO_TIME: i64 = i64::MIN;
/// `sha256` holds the file's hash.
const SHA256: u8 = 1;
/// The index serves the core metadata (PEP 658/714).
const CORE_METADATA: u8 = 2;
/// `core_metadata_sha256` holds its hash.
const CORE_METADATA_SHA256: u8 = 4;

/// What few files have.
#[derive(Debug, Clone, Default)]
struct Rare {
    /// The filename, when it is not the last segment of the URL.
    filename: Option<Box<str>>,
    /// `Some(reason)` when yanked; the reason may be empty.
    yanked: Option<Box<str>>,
    /// A hash that is not 64 hex digits, as given (lowercased).
    sha256: Option<Box<str>>,
    core_metadata_sha256: Option<Box<str>>,
    /// A `Requires-Python` not in the page's table.
    requires_python: Option<Box<str>>,
}

impl IndexFile {
    /// A file named `filename` at `url`, with no other facts known.
    pub fn new(filename: &str, url: FileUrl) -> Self {
        let mut file = Self::bare(url);
        if last_segment(file.url.tail()) != filename {
            file.rare_mut().filename = Some(filename.into());
        }
        file
    }

    /// A file named by the last segment of its URL.
    fn bare(url: FileUrl) -> Self {
        Self {
            url,
            requires_python: 0,
            upload_second: NO_TIME,
            upload_nanosecond: 0,
            flags: 0,
            sha256: [0; 32],
            core_metadata_sha256: [0; 32],
            rare: None,
        }
    }

    fn rare_mut(&mut self) -> &mut Rare {
        self.rare.get_or_insert_default()
    }

    /// The filename as the index gives it.
    pub fn filename(&self) -> &str {
        self.rare
            .as_ref()
            .and_then(|rare| rare.filename.as_deref())
            .unwrap_or_else(|| last_segment(self.url.tail()))
    }

    /// Absolute URL, without the hash fragment.
    pub fn url(&self) -> &FileUrl {
        &self.url
    }

    /// The lowercase hex sha256 of the file, when the index gives one.
    pub fn sha256(&self) -> Option<String> {
        if self.flags & SHA256 != 0 {
            return Some(encode_hex(&self.sha256));
        }
        self.rare.as_ref()?.sha256.as_deref().map(str::to_string)
    }

    /// Whether the index gives a sha256 (without writing it out).
    pub fn has_sha256(&self) -> bool {
        self.flags & SHA256 != 0 || self.rare.as_ref().is_some_and(|rare| rare.sha256.is_some())
    }

    /// Hex of any case; anything else is kept as given (lowercased).
    pub(crate) fn set_sha256(&mut self, hash: &str) {
        self.set_hash(Hash::File, Some(hash));
    }

    /// Keep `hash` (`None`: there is none) as 32 bytes with its flag set
    /// when it is 64 hex digits, else as lowercased text in [`Rare`].
    fn set_hash(&mut self, which: Hash, hash: Option<&str>) {
        let (flag, bytes) = match which {
            Hash::File => (SHA256, &mut self.sha256),
            Hash::CoreMetadata => (CORE_METADATA_SHA256, &mut self.core_metadata_sha256),
        };
        let decoded = hash.is_some_and(|hash| decode_hex(hash, bytes));
        if decoded {
            self.flags |= flag;
        } else {
            *bytes = [0; 32];
            self.flags &= !flag;
        }
        let text = hash
            .filter(|_| !decoded)
            .map(|hash| hash.to_ascii_lowercase().into());
        if text.is_some() || self.rare.is_some() {
            let rare = self.rare_mut();
            *match which {
                Hash::File => &mut rare.sha256,
                Hash::CoreMetadata => &mut rare.core_metadata_sha256,
            } = text;
        }
    }

    /// The `Requires-Python` the index gives, if not blank.
    pub fn requires_python(&self) -> Option<&str> {
        match self.requires_python {
            0 => self.rare.as_ref()?.requires_python.as_deref(),
            at => self
                .url
                .page
                .requires_python
                .get(usize::from(at) - 1)
                .map(|text| &**text),
        }
    }

    /// For a file not read with its page (its page's files share theirs).
    pub(crate) fn set_requires_python(&mut self, text: &str) {
        self.requires_python = 0;
        self.rare_mut().requires_python = Some(text.into());
    }

    /// `Some(reason)` when yanked; the reason may be empty.
    pub fn yanked(&self) -> Option<&str> {
        self.rare.as_ref()?.yanked.as_deref()
    }

    pub(crate) fn set_yanked(&mut self, reason: &str) {
        self.rare_mut().yanked = Some(reason.into());
    }

    /// When the file was uploaded, if the index says.
    pub fn upload_time(&self) -> Option<Timestamp> {
        if self.upload_second == NO_TIME {
            return None;
        }
        Timestamp::new(self.upload_second, self.upload_nanosecond).ok()
    }

    pub(crate) fn set_upload_time(&mut self, time: Timestamp) {
        self.upload_second = time.as_second();
        self.upload_nanosecond = time.subsec_nanosecond();
    }

    /// PEP 658/714: the index serves `<url>.metadata`; `Some(hash)` if it gives one.
    pub fn core_metadata(&self) -> Option<Option<String>> {
        if self.flags & CORE_METADATA == 0 {
            return None;
        }
        if self.flags & CORE_METADATA_SHA256 != 0 {
            return Some(Some(encode_hex(&self.core_metadata_sha256)));
        }
        Some(
            self.rare
                .as_ref()
                .and_then(|rare| rare.core_metadata_sha256.as_deref())
                .map(str::to_string),
        )
    }

    /// The index serves the core metadata, with this hash if any.
    pub(crate) fn set_core_metadata(&mut self, hash: Option<&str>) {
        self.flags |= CORE_METADATA;
        self.set_hash(Hash::CoreMetadata, hash);
    }
}

/// The two hashes a file may have.
enum Hash {
    File,
    CoreMetadata,
}

/// The value of each hex digit (of any case); 0xff for other bytes.
const HEX_VALUES: [u8; 256] = {
    let mut values = [0xff; 256];
    let mut digit = 0;
    while digit < 10 {
        values[b'0' as usize + digit] = digit as u8;
        digit += 1;
    }
    let mut letter = 0;
    while letter < 6 {
        values[b'a' as usize + letter] = 10 + letter as u8;
        values[b'A' as usize + letter] = 10 + letter as u8;
        letter += 1;
    }
    values
};

/// Whether `text` is the 64 hex digits (of any case) of `bytes`, written
/// there (by table: pages list some 100,000 hashes).
/// Lowercase hex of `bytes` (as `hex::encode`, by table: a page has
/// thousands of hashes to write into the cache).
fn encode_hex(bytes: &[u8; 32]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut text = Vec::with_capacity(64);
    for byte in bytes {
        text.push(DIGITS[usize::from(byte >> 4)]);
        text.push(DIGITS[usize::from(byte & 0x0f)]);
    }
    String::from_utf8(text).unwrap_or_default()
}

fn decode_hex(text: &str, bytes: &mut [u8; 32]) -> bool {
    let digits = text.as_bytes();
    if digits.len() != 64 {
        return false;
    }
    let mut invalid = 0;
    for (byte, pair) in bytes.iter_mut().zip(digits.chunks_exact(2)) {
        let (high, low) = (
            HEX_VALUES[usize::from(pair[0])],
            HEX_VALUES[usize::from(pair[1])],
        );
        invalid |= high | low;
        *byte = high << 4 | low;
    }
    invalid & 0xf0 == 0
}

/// Files are equal when what is known of them is, however it is kept.
impl PartialEq for IndexFile {
    fn eq(&self, other: &Self) -> bool {
        self.url == other.url
            && self.filename() == other.filename()
            && self.sha256() == other.sha256()
            && self.requires_python() == other.requires_python()
            && self.yanked() == other.yanked()
            && self.upload_time() == other.upload_time()
            && self.core_metadata() == other.core_metadata()
    }
}

impl Eq for IndexFile {}

impl fmt::Debug for IndexFile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IndexFile")
            .field("filename", &self.filename())
            .field("url", &self.url)
            .field("sha256", &self.sha256())
            .field("requires_python", &self.requires_python())
            .field("yanked", &self.yanked())
            .field("upload_time", &self.upload_time())
            .field("core_metadata", &self.core_metadata())
            .finish()
    }
}

/// The files of one page, read one at a time, with the text they share.
pub(crate) struct PageBuilder {
    prefixes: Table,
    requires_python: Table,
    tails: String,
    files: Vec<IndexFile>,
    /// What the files point to until [`Self::finish`] gives them their page.
    unfinished: Arc<PageText>,
}

/// Distinct texts, each kept once, by position.
#[derive(Default)]
struct Table {
    texts: Vec<Box<str>>,
    positions: HashMap<Box<str>, u16>,
    /// The position of the text found last: files listed together mostly
    /// share their texts, which are then found without hashing.
    last: u16,
}

impl Table {
    /// The position of `text`, added if new; `None` when the table is full.
    fn position(&mut self, text: &str) -> Option<u16> {
        if self
            .texts
            .get(usize::from(self.last))
            .is_some_and(|last| **last == *text)
        {
            return Some(self.last);
        }
        let at = match self.positions.get(text) {
            Some(&at) => at,
            None => {
                let at = u16::try_from(self.texts.len()).ok()?;
                self.texts.push(text.into());
                self.positions.insert(text.into(), at);
                at
            }
        };
        self.last = at;
        Some(at)
    }
}

impl PageBuilder {
    /// For about `files` files, the rest of whose URLs (after the start they
    /// share, see [`url_tail_len`]) take about `tails` bytes.
    pub(crate) fn new(files: usize, tails: usize) -> Self {
        let mut prefixes = Table::default();
        // The prefix of URLs that are not split.
        prefixes.position("");
        Self {
            prefixes,
            requires_python: Table::default(),
            tails: String::with_capacity(tails),
            files: Vec::with_capacity(files),
            unfinished: Arc::default(),
        }
    }

    /// Add the file `filename` at `url` (serialized as [`Url::as_str`]
    /// writes it), to which the caller adds what else it knows.
    pub(crate) fn push(
        &mut self,
        filename: &str,
        url: &str,
        requires_python: Option<&str>,
    ) -> &mut IndexFile {
        let split = split_point(url);
        let (prefix, tail) = match self.prefixes.position(&url[..split]) {
            Some(prefix) => (prefix, &url[split..]),
            // A page with more than 65535 hosts and directories.
            None => (0, url),
        };
        let file_url = match (
            u32::try_from(self.tails.len()),
            u32::try_from(self.tails.len() + tail.len()),
        ) {
            (Ok(start), Ok(end)) => {
                self.tails.push_str(tail);
                FileUrl {
                    page: self.unfinished.clone(),
                    start,
                    end,
                    prefix,
                }
            }
            _ => FileUrl::alone(url),
        };
        let mut file = IndexFile::bare(file_url);
        if last_segment(tail) != filename {
            file.rare_mut().filename = Some(filename.into());
        }
        if let Some(text) = requires_python {
            match self.requires_python.position(text) {
                Some(at) if at < u16::MAX => file.requires_python = at + 1,
                _ => file.set_requires_python(text),
            }
        }
        self.files.push(file);
        self.files.last_mut().expect("just pushed")
    }

    pub(crate) fn finish(self) -> Vec<IndexFile> {
        let page = Arc::new(PageText {
            prefixes: self.prefixes.texts,
            requires_python: self.requires_python.texts,
            tails: self.tails.into_boxed_str(),
        });
        let mut files = self.files;
        for file in &mut files {
            if Arc::ptr_eq(&file.url.page, &self.unfinished) {
                file.url.page = page.clone();
            }
        }
        files
    }
}

/// The text the files of a page share: the starts of their URLs (a handful
/// per page), their `Requires-Python` values (as few), and the rest of each
/// URL, one after another.
#[derive(Debug, Default)]
pub(crate) struct PageText {
    /// The first is empty.
    prefixes: Vec<Box<str>>,
    requires_python: Vec<Box<str>>,
    tails: Box<str>,
}

/// A file's absolute URL, kept as text (it was checked when its page was
/// parsed) and parsed when used: a project page lists thousands of files,
/// and few of their URLs are used. The text is kept in its page's
/// [`PageText`]: a start shared with other files, and the rest.
#[derive(Clone)]
pub struct FileUrl {
    page: Arc<PageText>,
    /// The rest, in `page.tails`.
    start: u32,
    end: u32,
    /// The start, in `page.prefixes`.
    prefix: u16,
}

impl FileUrl {
    /// A URL in its serialized form, as [`Url::as_str`] wrote it, not read with a page.
    fn alone(text: &str) -> Self {
        let split = split_point(text);
        // Positions are 32-bit: a URL of 4 GiB would lose its end.
        let end = u32::try_from(text.len() - split).unwrap_or(u32::MAX);
        Self {
            page: Arc::new(PageText {
                prefixes: vec![text[..split].into()],
                requires_python: Vec::new(),
                tails: text[split..split + end as usize].into(),
            }),
            start: 0,
            end,
            prefix: 0,
        }
    }

    pub(crate) fn prefix(&self) -> &str {
        self.page
            .prefixes
            .get(usize::from(self.prefix))
            .map_or("", |prefix| &**prefix)
    }

    /// The text after the prefix.
    pub(crate) fn tail(&self) -> &str {
        self.page
            .tails
            .get(self.start as usize..self.end as usize)
            .unwrap_or_default()
    }

    /// The URL, parsed.
    pub fn to_url(&self) -> Url {
        // A trusted text that does not parse can only come from a damaged
        // cache entry, which its checksum rules out; it then points
        // nowhere rather than at another file.
        Url::parse(&self.to_string()).unwrap_or_else(|_| nowhere())
    }

    /// Whether the URL is a `file:` URL, without parsing it.
    pub fn is_file(&self) -> bool {
        let text = self.prefix().bytes().chain(self.tail().bytes());
        text.take(5).eq("file:".bytes())
    }
}

/// The length of the part of `url` kept apart from the start it shares
/// with the other files of its page.
pub(crate) fn url_tail_len(url: &str) -> usize {
    url.len() - split_point(url)
}

/// The text after the last `/` of a URL or of its tail (a prefix ends with `/`).
fn last_segment(text: &str) -> &str {
    text.rsplit('/').next().unwrap_or_default()
}

/// Where a URL's text is split: after its first path segment, or after
/// its host when it has no other `/` before its query (the prefix always
/// ends with `/`, so that the filename lies in the rest, and holds no query).
fn split_point(text: &str) -> usize {
    let bytes = text.as_bytes();
    // After `scheme://`, if the URL starts with one.
    let start = match bytes.iter().position(|&byte| byte == b'/') {
        Some(at) if at > 0 && bytes[at - 1] == b':' && bytes.get(at + 1) == Some(&b'/') => at + 2,
        _ => 0,
    };
    let mut host_end = 0;
    for (at, &byte) in bytes.iter().enumerate().skip(start) {
        match byte {
            b'/' if host_end == 0 => host_end = at + 1,
            b'/' => return at + 1,
            b'?' | b'#' => break,
            _ => {}
        }
    }
    host_end
}

impl From<Url> for FileUrl {
    fn from(url: Url) -> Self {
        Self::alone(url.as_str())
    }
}

fn nowhere() -> Url {
    static NOWHERE: OnceLock<Url> = OnceLock::new();
    NOWHERE
        .get_or_init(|| Url::parse("file:///nonexistent").expect("a valid URL"))
        .clone()
}

impl PartialEq for FileUrl {
    fn eq(&self, other: &Self) -> bool {
        let (a, b) = ((self.prefix(), self.tail()), (other.prefix(), other.tail()));
        a.0.len() + a.1.len() == b.0.len() + b.1.len()
            && a.0
                .bytes()
                .chain(a.1.bytes())
                .eq(b.0.bytes().chain(b.1.bytes()))
    }
}

impl Eq for FileUrl {}

impl fmt::Debug for FileUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.to_string(), f)
    }
}

impl fmt::Display for FileUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.prefix())?;
        f.write_str(self.tail())
    }
}

#[derive(Debug, thiserror::Error)]
pub enum PageError {
    #[error("Invalid JSON project page: {0}")]
    Json(#[from] serde_json::Error),
    #[error("Invalid file URL `{0}`")]
    Url(String),
}

/// A PEP 691 page; its strings borrowed from the response where they have
/// no escapes (a page can list tens of thousands of files).
#[derive(Deserialize)]
struct JsonPage<'a> {
    #[serde(borrow)]
    files: Vec<JsonFile<'a>>,
}

#[derive(Deserialize)]
struct JsonFile<'a> {
    #[serde(borrow)]
    filename: Cow<'a, str>,
    #[serde(borrow)]
    url: Cow<'a, str>,
    #[serde(borrow, default)]
    hashes: JsonHashes<'a>,
    #[serde(borrow, rename = "requires-python", default)]
    requires_python: Option<Cow<'a, str>>,
    #[serde(default)]
    yanked: Option<serde_json::Value>,
    #[serde(borrow, rename = "upload-time", default)]
    upload_time: Option<Cow<'a, str>>,
    #[serde(borrow, rename = "core-metadata", default)]
    core_metadata: MetadataFlag<'a>,
    #[serde(borrow, rename = "dist-info-metadata", default)]
    dist_info_metadata: MetadataFlag<'a>,
}

/// `core-metadata`: `false`, `true`, or the hashes of the metadata file
/// (PEP 714); any other value is taken as absent. Read without building a
/// `serde_json::Value` (two maps of strings per file on most pages).
#[derive(Default)]
enum MetadataFlag<'a> {
    #[default]
    Absent,
    Present(Option<Cow<'a, str>>),
}

impl<'de: 'a, 'a> Deserialize<'de> for MetadataFlag<'a> {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        use serde::de::value::{MapAccessDeserializer, SeqAccessDeserializer};
        use serde::de::{IgnoredAny, MapAccess, SeqAccess};

        struct Visitor;
        impl<'de> serde::de::Visitor<'de> for Visitor {
            type Value = MetadataFlag<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a boolean or an object of hashes")
            }
            fn visit_bool<E>(self, present: bool) -> Result<Self::Value, E> {
                Ok(match present {
                    true => MetadataFlag::Present(None),
                    false => MetadataFlag::Absent,
                })
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
                let hashes = JsonHashes::deserialize(MapAccessDeserializer::new(map))?;
                Ok(MetadataFlag::Present(hashes.sha256))
            }
            // Anything else: absent.
            fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
                IgnoredAny::deserialize(SeqAccessDeserializer::new(seq))?;
                Ok(MetadataFlag::Absent)
            }
            fn visit_str<E>(self, _: &str) -> Result<Self::Value, E> {
                Ok(MetadataFlag::Absent)
            }
            fn visit_unit<E>(self) -> Result<Self::Value, E> {
                Ok(MetadataFlag::Absent)
            }
            fn visit_i64<E>(self, _: i64) -> Result<Self::Value, E> {
                Ok(MetadataFlag::Absent)
            }
            fn visit_u64<E>(self, _: u64) -> Result<Self::Value, E> {
                Ok(MetadataFlag::Absent)
            }
            fn visit_f64<E>(self, _: f64) -> Result<Self::Value, E> {
                Ok(MetadataFlag::Absent)
            }
        }
        deserializer.deserialize_any(Visitor)
    }
}

/// The hashes of a file; only sha256 is used.
#[derive(Deserialize, Default)]
struct JsonHashes<'a> {
    #[serde(borrow, default)]
    sha256: Option<Cow<'a, str>>,
}

/// Parse a PEP 691 JSON project page fetched from `base`.
pub fn parse_json(bytes: &[u8], base: &Url) -> Result<Vec<IndexFile>, PageError> {
    let page: JsonPage = serde_json::from_slice(bytes)?;
    let tails = page.files.iter().map(|file| url_tail_len(&file.url)).sum();
    let mut builder = PageBuilder::new(page.files.len(), tails);
    for file in page.files {
        push_json_file(&mut builder, file, base)?;
    }
    Ok(builder.finish())
}

fn push_json_file(builder: &mut PageBuilder, file: JsonFile, base: &Url) -> Result<(), PageError> {
    let (url, fragment_hash) = file_url(base, &file.url)?;
    let requires_python = file
        .requires_python
        .as_deref()
        .filter(|text| !text.trim().is_empty());
    let indexed = builder.push(&file.filename, &url, requires_python);
    match file.yanked {
        Some(serde_json::Value::Bool(true)) => indexed.set_yanked(""),
        Some(serde_json::Value::String(reason)) => indexed.set_yanked(&reason),
        _ => {}
    }
    let metadata = match file.core_metadata {
        MetadataFlag::Absent => file.dist_info_metadata,
        present => present,
    };
    if let MetadataFlag::Present(hash) = &metadata {
        indexed.set_core_metadata(hash.as_deref());
    }
    if let Some(hash) = file.hashes.sha256.as_deref().or(fragment_hash.as_deref()) {
        indexed.set_sha256(hash);
    }
    if let Some(time) = file.upload_time.and_then(|time| time.parse().ok()) {
        indexed.set_upload_time(time);
    }
    Ok(())
}

/// Reads the files of a PEP 691 page while it downloads: each entry of its
/// `files` array is parsed as soon as it has arrived, so that a large page
/// (pydantic-core's is 7 MB, 15,000 files) is read when its last byte is
/// in, not 50 ms later. Everything around the entries is only scanned for
/// its brackets and strings; a page that is not shaped as expected, or an
/// entry that does not parse, is left to [`parse_json`], which reads the
/// whole page again (and says what is wrong with it).
pub(crate) struct JsonPageReader {
    base: Url,
    builder: PageBuilder,
    scan: JsonScan,
    /// The last string at depth 1 (a key of the page object, or a value there).
    last_key: std::ops::Range<usize>,
    files: FilesArray,
    /// Where the entry being scanned started.
    entry_start: usize,
    /// How often the page object closed (once, in a page).
    closed: u32,
    failed: bool,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum FilesArray {
    Ahead,
    Inside,
    Read,
}

impl JsonPageReader {
    pub(crate) fn new(base: Url) -> Self {
        Self {
            base,
            builder: PageBuilder::new(0, 0),
            scan: JsonScan::default(),
            last_key: 0..0,
            files: FilesArray::Ahead,
            entry_start: 0,
            closed: 0,
            failed: false,
        }
    }

    /// Reads on: `body` is the whole body so far, longer than last time.
    pub(crate) fn grew(&mut self, body: &[u8]) {
        while !self.failed
            && let Some(token) = self.scan.next(body)
        {
            let depth = self.scan.depth();
            // Between the entries of `files`: only objects.
            let between_entries = self.files == FilesArray::Inside;
            match token {
                JsonToken::String(text) => {
                    if depth == 1 {
                        self.last_key = text;
                    } else if between_entries && depth == 2 {
                        self.failed = true;
                    }
                }
                JsonToken::Open(byte, at) => {
                    if self.files == FilesArray::Ahead
                        && depth == 2
                        && byte == b'['
                        && &body[self.last_key.clone()] == b"files"
                    {
                        self.files = FilesArray::Inside;
                    } else if between_entries && depth == 3 {
                        self.failed = byte != b'{';
                        self.entry_start = at;
                    }
                }
                JsonToken::Close(at) => {
                    if depth == 0 {
                        self.closed += 1;
                    }
                    if between_entries && depth == 2 {
                        self.failed = !self.push(&body[self.entry_start..=at]);
                    } else if between_entries && depth == 1 {
                        self.failed = body[at] != b']';
                        self.files = FilesArray::Read;
                    }
                }
                JsonToken::Other(byte) => {
                    self.failed = between_entries
                        && depth == 2
                        && !matches!(byte, b',' | b' ' | b'\n' | b'\r' | b'\t');
                }
                JsonToken::Unbalanced => self.failed = true,
            }
        }
    }

    fn push(&mut self, entry: &[u8]) -> bool {
        serde_json::from_slice::<JsonFile>(entry)
            .ok()
            .is_some_and(|file| push_json_file(&mut self.builder, file, &self.base).is_ok())
    }

    /// The files of the page, once all of `body` was read; `None` when the
    /// page must be read whole.
    pub(crate) fn finish(self, body: &[u8]) -> Option<Vec<IndexFile>> {
        let text = body.trim_ascii();
        let complete = !self.failed
            && self.scan.read_all(body)
            && self.closed == 1
            && self.scan.depth() == 0
            && self.files == FilesArray::Read
            && text.first() == Some(&b'{')
            && text.last() == Some(&b'}');
        complete.then(|| self.builder.finish())
    }
}

/// The structure of a JSON text read while it arrives: its strings and
/// brackets, one at a time, for readers that act on a document before it
/// is whole (see [`JsonPageReader`]). Nothing else is checked: what a
/// reader keeps, it parses.
#[derive(Default)]
pub(crate) struct JsonScan {
    /// How much of the text has been scanned.
    scanned: usize,
    /// Open objects and arrays.
    depth: u32,
    in_string: bool,
    escaped: bool,
    /// Where the string being scanned started.
    string_start: usize,
}

/// What [`JsonScan::next`] found.
pub(crate) enum JsonToken {
    /// A string, closed: where its text (between the quotes) lies.
    String(std::ops::Range<usize>),
    /// `{` or `[`, and where: the depth now counts it.
    Open(u8, usize),
    /// `}` or `]`, and where: the depth no longer counts what it closed.
    Close(usize),
    /// A closing bracket with nothing open.
    Unbalanced,
    /// Any other byte outside strings.
    Other(u8),
}

impl JsonScan {
    /// How many objects and arrays are open.
    pub(crate) fn depth(&self) -> u32 {
        self.depth
    }

    /// Whether all of `text` has been scanned.
    pub(crate) fn read_all(&self, text: &[u8]) -> bool {
        self.scanned == text.len()
    }

    /// The next token of `text` (all of it so far, longer than or as long
    /// as last time); `None` once what has arrived is read.
    #[inline]
    pub(crate) fn next(&mut self, text: &[u8]) -> Option<JsonToken> {
        let mut at = self.scanned;
        let token = loop {
            let Some(&byte) = text.get(at) else {
                break None;
            };
            if self.in_string {
                if self.escaped {
                    self.escaped = false;
                } else if byte == b'\\' {
                    self.escaped = true;
                } else if byte == b'"' {
                    self.in_string = false;
                    break Some(JsonToken::String(self.string_start..at));
                } else {
                    // Most of a page is strings: on to their next quote or escape.
                    at = memchr::memchr2(b'"', b'\\', &text[at..]).map_or(text.len(), |to| at + to);
                    continue;
                }
                at += 1;
                continue;
            }
            match byte {
                b'"' => {
                    self.in_string = true;
                    self.string_start = at + 1;
                }
                b'{' | b'[' => {
                    self.depth += 1;
                    break Some(JsonToken::Open(byte, at));
                }
                b'}' | b']' => {
                    break Some(match self.depth.checked_sub(1) {
                        Some(depth) => {
                            self.depth = depth;
                            JsonToken::Close(at)
                        }
                        None => JsonToken::Unbalanced,
                    });
                }
                _ => break Some(JsonToken::Other(byte)),
            }
            at += 1;
        };
        // Past the token found (or at the end of what has arrived).
        self.scanned = if token.is_some() { at + 1 } else { at };
        token
    }
}

/// Parse a PEP 503 HTML project page fetched from `base`.
pub fn parse_html(text: &str, base: &Url) -> Result<Vec<IndexFile>, PageError> {
    let mut base = base.clone();
    if let Some(href) = find_tags(text, "base")
        .into_iter()
        .find_map(|attributes| attribute(&attributes, "href"))
        && let Ok(url) = base.join(&href)
    {
        base = url;
    }
    let mut builder = PageBuilder::new(0, 0);
    for (attributes, inner) in find_anchors(text) {
        let Some(href) = attribute(&attributes, "href") else {
            continue;
        };
        let (url, sha256) = file_url(&base, &href)?;
        let filename = unescape(inner.trim());
        let filename = if filename.is_empty() {
            let path = url.split_once('?').map_or(&*url, |(path, _)| path);
            last_segment(path).to_string()
        } else {
            filename
        };
        let requires_python =
            attribute(&attributes, "data-requires-python").filter(|text| !text.trim().is_empty());
        let file = builder.push(&filename, &url, requires_python.as_deref());
        if let Some(value) = attribute(&attributes, "data-core-metadata")
            .or_else(|| attribute(&attributes, "data-dist-info-metadata"))
            .filter(|value| value != "false")
        {
            file.set_core_metadata(value.strip_prefix("sha256="));
        }
        if let Some(hash) = sha256 {
            file.set_sha256(&hash);
        }
        if let Some(reason) = attribute(&attributes, "data-yanked") {
            file.set_yanked(&reason);
        }
    }
    Ok(builder.finish())
}

/// The URL of a file that a page links to with `href`, without its
/// fragment, and the hash of a `#sha256=` fragment: `href` itself when it
/// is plain (see [`is_plain_absolute`]) and its fragment, if any, such a
/// hash; else `href` joined onto `base`.
fn file_url<'h>(base: &Url, href: &'h str) -> Result<(Cow<'h, str>, Option<String>), PageError> {
    let (plain, fragment) = match href.split_once('#') {
        Some((url, fragment)) => (url, Some(fragment)),
        None => (href, None),
    };
    let hash = match fragment {
        None => Some(None),
        Some(fragment) => fragment
            .strip_prefix("sha256=")
            .filter(|hex| !hex.is_empty() && hex.bytes().all(|byte| byte.is_ascii_hexdigit()))
            .map(|hex| Some(hex.to_string())),
    };
    if let Some(hash) = hash
        && is_plain_absolute(plain)
    {
        return Ok((Cow::Borrowed(plain), hash));
    }
    let (url, hash) = resolve_url(base, href)?;
    Ok((Cow::Owned(url.into()), hash))
}

/// Whether `href` is an absolute `http(s)` URL that [`Url::parse`] would
/// give back unchanged (so that a page's thousands of file URLs need no
/// parse): a lowercase host name ending in letters, then a path of
/// characters that are kept as they are, without dot segments, query or
/// fragment. Anything else is joined with the page's URL.
fn is_plain_absolute(href: &str) -> bool {
    let Some(rest) = href
        .strip_prefix("https://")
        .or_else(|| href.strip_prefix("http://"))
    else {
        return false;
    };
    let Some((host, path)) = rest.split_once('/') else {
        return false;
    };
    let host_is_plain = host
        .bytes()
        .all(|byte| byte.is_ascii_lowercase() || byte.is_ascii_digit() || b".-".contains(&byte))
        && host.split('.').all(|label| !label.is_empty())
        && host
            .rsplit('.')
            .next()
            .is_some_and(|label| label.bytes().all(|byte| byte.is_ascii_lowercase()));
    // Every file of a page goes through here: no allocation unless the
    // path has an escape.
    let path_is_plain = path.bytes().all(|byte| PLAIN_PATH_BYTES[usize::from(byte)])
        && !((path.starts_with('.') || path.contains("/."))
            && path
                .split('/')
                .any(|segment| segment == "." || segment == ".."))
        && !(path.contains('%') && path.to_ascii_lowercase().contains("%2e"));
    host_is_plain && path_is_plain
}

/// The bytes that a URL path keeps as they are, by value.
const PLAIN_PATH_BYTES: [bool; 256] = {
    let mut table = [false; 256];
    let mut byte = 0;
    while byte < 256 {
        table[byte] = is_plain_path_byte(byte as u8);
        byte += 1;
    }
    table
};

/// A byte that a URL path keeps as it is (unreserved, sub-delimiters,
/// `:`, `@`, `/` and escapes).
const fn is_plain_path_byte(byte: u8) -> bool {
    byte.is_ascii_alphanumeric()
        || matches!(
            byte,
            b'-' | b'.'
                | b'_'
                | b'~'
                | b'!'
                | b'$'
                | b'&'
                | b'\''
                | b'('
                | b')'
                | b'*'
                | b'+'
                | b','
                | b';'
                | b'='
                | b':'
                | b'@'
                | b'/'
                | b'%'
        )
}

/// Join `href` onto `base`, splitting off a `#sha256=` fragment.
fn resolve_url(base: &Url, href: &str) -> Result<(Url, Option<String>), PageError> {
    let mut url = base
        .join(href)
        .map_err(|_| PageError::Url(href.to_string()))?;
    let sha256 = url
        .fragment()
        .and_then(|fragment| fragment.strip_prefix("sha256=").map(str::to_string));
    url.set_fragment(None);
    Ok((url, sha256))
}

/// `(attributes, inner text)` of every `<a ...>...</a>`.
fn find_anchors(text: &str) -> Vec<(String, String)> {
    let mut anchors = Vec::new();
    let lower = text.to_ascii_lowercase();
    let mut position = 0;
    while let Some(start) = lower[position..].find("<a") {
        let start = position + start;
        let after = lower.as_bytes().get(start + 2).copied();
        if !matches!(after, Some(b' ' | b'\t' | b'\n' | b'\r' | b'>')) {
            position = start + 2;
            continue;
        }
        let Some(end) = tag_end(text, start) else {
            break;
        };
        let attributes = text[start + 2..end].trim_end_matches('/').to_string();
        let close = lower[end..]
            .find("</a")
            .map_or(text.len(), |close| end + close);
        anchors.push((attributes, text[end + 1..close.max(end + 1)].to_string()));
        position = close.max(end + 1);
    }
    anchors
}

/// Attributes of every `<name ...>` tag.
fn find_tags(text: &str, name: &str) -> Vec<String> {
    let lower = text.to_ascii_lowercase();
    let open = format!("<{name}");
    let mut tags = Vec::new();
    let mut position = 0;
    while let Some(start) = lower[position..].find(&open) {
        let start = position + start;
        let Some(end) = tag_end(text, start) else {
            break;
        };
        tags.push(text[start + open.len()..end].to_string());
        position = end;
    }
    tags
}

/// The index of the `>` closing the tag that starts at `start`, skipping quoted values.
fn tag_end(text: &str, start: usize) -> Option<usize> {
    let mut quote = None;
    for (offset, byte) in text.as_bytes()[start..].iter().enumerate() {
        match (quote, byte) {
            (None, b'"' | b'\'') => quote = Some(*byte),
            (Some(open), _) if open == *byte => quote = None,
            (None, b'>') => return Some(start + offset),
            _ => {}
        }
    }
    None
}

/// The unescaped value of attribute `name`, if present (`""` for a bare attribute).
fn attribute(attributes: &str, name: &str) -> Option<String> {
    let bytes = attributes.as_bytes();
    let mut index = 0;
    while index < bytes.len() {
        while index < bytes.len() && bytes[index].is_ascii_whitespace() {
            index += 1;
        }
        let key_start = index;
        while index < bytes.len() && !bytes[index].is_ascii_whitespace() && bytes[index] != b'=' {
            index += 1;
        }
        let key = &attributes[key_start..index];
        while index < bytes.len() && bytes[index].is_ascii_whitespace() {
            index += 1;
        }
        let value = if bytes.get(index) == Some(&b'=') {
            index += 1;
            while index < bytes.len() && bytes[index].is_ascii_whitespace() {
                index += 1;
            }
            match bytes.get(index) {
                Some(quote @ (b'"' | b'\'')) => {
                    let value_start = index + 1;
                    let value_end = attributes[value_start..]
                        .find(*quote as char)
                        .map_or(attributes.len(), |end| value_start + end);
                    index = value_end + 1;
                    &attributes[value_start..value_end]
                }
                _ => {
                    let value_start = index;
                    while index < bytes.len() && !bytes[index].is_ascii_whitespace() {
                        index += 1;
                    }
                    &attributes[value_start..index]
                }
            }
        } else {
            ""
        };
        if key.eq_ignore_ascii_case(name) {
            return Some(unescape(value));
        }
        if key.is_empty() {
            index += 1;
        }
    }
    None
}

/// Decode the HTML character references that appear in index pages.
fn unescape(text: &str) -> String {
    if !text.contains('&') {
        return text.to_string();
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find('&') {
        out.push_str(&rest[..start]);
        rest = &rest[start..];
        let Some(end) = rest.find(';').filter(|end| *end <= 10) else {
            out.push('&');
            rest = &rest[1..];
            continue;
        };
        let entity = &rest[1..end];
        let decoded = match entity {
            "lt" => Some('<'),
            "gt" => Some('>'),
            "amp" => Some('&'),
            "quot" => Some('"'),
            "apos" => Some('\''),
            _ => entity
                .strip_prefix("#x")
                .or_else(|| entity.strip_prefix("#X"))
                .and_then(|hex| u32::from_str_radix(hex, 16).ok())
                .or_else(|| {
                    entity
                        .strip_prefix('#')
                        .and_then(|decimal| decimal.parse().ok())
                })
                .and_then(char::from_u32),
        };
        match decoded {
            Some(character) => {
                out.push(character);
                rest = &rest[end + 1..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_absolute_urls_are_what_parsing_gives() {
        let plain = [
            "https://files.pythonhosted.org/packages/ab/cd/demo-1.0-py3-none-any.whl",
            "http://localhost/files/demo-1.0.tar.gz",
            "https://a-b.example/x/%20y/@:=+,;!$&'()*~_.z",
            "https://files.example/.well-known/a..b/demo.whl",
        ];
        let other = [
            "https://Files.example/demo.whl",
            "https://files.example:443/demo.whl",
            "https://files.example",
            "https://127.0.0.1/demo.whl",
            "https://files.0x1a/demo.whl",
            "https://files..example/demo.whl",
            "https://files.example/a/../demo.whl",
            "https://files.example/a/./demo.whl",
            "https://files.example/./demo.whl",
            "https://files.example/a/..",
            "https://files.example/..",
            "https://files.example/a/%2E%2e/demo.whl",
            "https://files.example/a b.whl",
            "https://files.example/a\\b.whl",
            "https://files.example/demo.whl?x=1",
            "https://files.example/d\u{e9}mo.whl",
            "ftp://files.example/demo.whl",
            "/packages/demo.whl",
            "../demo.whl",
        ];
        for href in plain {
            assert!(is_plain_absolute(href), "{href}");
            assert_eq!(Url::parse(href).expect("valid").as_str(), href);
        }
        for href in other {
            assert!(!is_plain_absolute(href), "{href}");
        }
    }

    #[test]
    fn file_urls_are_what_joining_gives() {
        let base = Url::parse("https://example.org/simple/demo/").expect("a URL");
        for href in [
            "https://files.example/a/demo-1.0.tar.gz",
            "https://files.example/a/demo-1.0.tar.gz#sha256=0aF9",
            "https://files.example/a/demo-1.0.tar.gz#sha256=",
            "https://files.example/a/demo-1.0.tar.gz#sha256=xyz",
            "https://files.example/a/demo-1.0.tar.gz#md5=0af9",
            "https://files.example/a/demo-1.0.tar.gz#",
            "https://files.example/a/demo-1.0.tar.gz?x=1#sha256=0af9",
            "https://files.example/a/./demo-1.0.tar.gz#sha256=0af9",
            "../../files/demo-1.0.tar.gz#sha256=0af9",
            "demo-1.0.tar.gz",
        ] {
            let (url, hash) = file_url(&base, href).expect("a file URL");
            let (joined, joined_hash) = resolve_url(&base, href).expect("a URL");
            assert_eq!((&*url, hash), (joined.as_str(), joined_hash), "{href}");
        }
    }

    fn base() -> Url {
        Url::parse("https://example.org/simple/flask/").expect("url")
    }

    #[test]
    fn html_page() {
        let html = r#"<!DOCTYPE html><html><body>
<a href="../../files/flask-3.0.0-py3-none-any.whl#sha256=ABCD" data-requires-python="&gt;=3.8" data-core-metadata="sha256=ef">flask-3.0.0-py3-none-any.whl</a><br/>
<a data-yanked="bad &amp; broken" href='https://files.example.org/flask-2.0.0.tar.gz'>flask-2.0.0.tar.gz</a>
<a href="/x/flask-1.0.tar.gz" data-yanked>flask-1.0.tar.gz</a>
</body></html>"#;
        let files = parse_html(html, &base()).expect("parses");
        assert_eq!(files.len(), 3);
        assert_eq!(
            files[0].url.to_string(),
            "https://example.org/files/flask-3.0.0-py3-none-any.whl"
        );
        assert_eq!(files[0].filename(), "flask-3.0.0-py3-none-any.whl");
        assert_eq!(files[0].sha256().as_deref(), Some("abcd"));
        assert_eq!(files[0].requires_python(), Some(">=3.8"));
        assert_eq!(files[0].core_metadata(), Some(Some("ef".to_string())));
        assert_eq!(files[1].yanked(), Some("bad & broken"));
        assert_eq!(files[2].yanked(), Some(""));
        assert_eq!(files[2].filename(), "flask-1.0.tar.gz");
        assert_eq!(
            files[2].url.to_string(),
            "https://example.org/x/flask-1.0.tar.gz"
        );
    }

    #[test]
    fn json_page() {
        let json = br#"{"meta":{"api-version":"1.1"},"name":"flask","files":[
{"filename":"flask-3.0.0-py3-none-any.whl","url":"../../files/flask-3.0.0-py3-none-any.whl","hashes":{"sha256":"AB"},
 "requires-python":">=3.8","yanked":"reason","upload-time":"2023-09-30T14:36:10.000000Z","core-metadata":{"sha256":"cd"}},
{"filename":"flask-2.0.tar.gz","url":"https://f.example/flask-2.0.tar.gz","hashes":{},"yanked":false}]}"#;
        let files = parse_json(json, &base()).expect("parses");
        assert_eq!(files[0].sha256().as_deref(), Some("ab"));
        assert_eq!(files[0].yanked(), Some("reason"));
        assert_eq!(
            files[0].upload_time(),
            Some("2023-09-30T14:36:10Z".parse().expect("valid time"))
        );
        assert_eq!(files[0].core_metadata(), Some(Some("cd".to_string())));
        assert_eq!(files[1].yanked(), None);
        assert_eq!(files[1].core_metadata(), None);
        assert_eq!(files[1].upload_time(), None);
        assert!(!files[1].has_sha256());
    }

    #[test]
    fn json_yanked_and_metadata_forms() {
        let json = br#"{"files":[
{"filename":"a-1-py3-none-any.whl","url":"a-1-py3-none-any.whl","hashes":{},"yanked":true,"core-metadata":true},
{"filename":"a-2-py3-none-any.whl","url":"a-2-py3-none-any.whl","hashes":{},"yanked":"broke \"b\"","dist-info-metadata":{"sha256":"EF","md5":"00"}},
{"filename":"a-3-py3-none-any.whl","url":"a-3-py3-none-any.whl","hashes":{},"yanked":null,"core-metadata":false,"dist-info-metadata":true},
{"filename":"a-4-py3-none-any.whl","url":"a-4-py3-none-any.whl","hashes":{},"core-metadata":{"sha256":"12"},"dist-info-metadata":{"sha256":"34"}}]}"#;
        let files = parse_json(json, &base()).expect("parses");
        let seen: Vec<_> = files
            .iter()
            .map(|file| (file.yanked(), file.core_metadata()))
            .collect();
        assert_eq!(
            seen,
            [
                (Some(""), Some(None)),
                (Some("broke \"b\""), Some(Some("ef".to_string()))),
                (None, Some(None)),
                (None, Some(Some("12".to_string()))),
            ]
        );
        // Values of other types are read as absent, as before they were typed.
        let odd = br#"{"files":[{"filename":"a-1.tar.gz","url":"a-1.tar.gz","yanked":[1],"core-metadata":"yes"},
{"filename":"a-2.tar.gz","url":"a-2.tar.gz","yanked":{"why":1},"core-metadata":2.5}]}"#;
        let files = parse_json(odd, &base()).expect("parses");
        assert!(
            files
                .iter()
                .all(|file| file.yanked().is_none() && file.core_metadata().is_none())
        );
    }

    /// `page` read as it would arrive, in pieces of `size` bytes.
    fn read_in_pieces(page: &[u8], size: usize) -> Option<Vec<IndexFile>> {
        let mut reader = JsonPageReader::new(base());
        let mut body = Vec::new();
        for piece in page.chunks(size) {
            body.extend_from_slice(piece);
            reader.grew(&body);
        }
        reader.finish(&body)
    }

    #[test]
    fn a_json_page_read_while_it_arrives_gives_what_reading_it_whole_gives() {
        // Keys in any order, brackets and quotes inside strings, entries
        // with objects in them, whitespace around everything.
        let page = br#" {"meta":{"api-version":"1.1","x":[{"files":[1]}]},"name":"files",
 "files" : [
 {"filename":"a-1-py3-none-any.whl","url":"a-1-py3-none-any.whl#sha256=EF","hashes":{},"yanked":"not \"[{\" safe}","core-metadata":{"sha256":"12"}},
 {"filename":"a-2.tar.gz","url":"https://f.example/a-2.tar.gz","hashes":{"sha256":"ab"},"requires-python":">=3.8","upload-time":"2023-09-30T14:36:10Z"}
 ], "versions":["1","2"]} "#;
        let whole = parse_json(page, &base()).expect("parses");
        assert_eq!(whole.len(), 2);
        for size in [1, 2, 7, 64, page.len()] {
            let read = read_in_pieces(page, size).expect("read on the way");
            assert_eq!(read, whole, "in pieces of {size}");
        }
        let empty = br#"{"files":[],"meta":{}}"#;
        assert_eq!(read_in_pieces(empty, 3), Some(Vec::new()));
    }

    #[test]
    fn a_json_page_of_another_shape_is_left_to_be_read_whole() {
        let entry = r#"{"filename":"a-1.tar.gz","url":"a-1.tar.gz","hashes":{}}"#;
        let pages = [
            // Not an object, or more than one.
            format!(r#"["files",[{entry}]]"#),
            format!(r#"{{"files":[{entry}]}} {{"files":[]}}"#),
            format!(r#"{{"files":[{entry}]}} 5"#),
            format!(r#"{{"files":[{entry}]}}}}"#),
            // No files, a file that is not an object or does not parse.
            format!(r#"{{"name":"a","versions":[{entry}]}}"#),
            format!(r#"{{"files":[{entry},"a-2.tar.gz"]}}"#),
            format!(r#"{{"files":[[{entry}]]}}"#),
            r#"{"files":[{"filename":"a-1.tar.gz","url":7}]}"#.to_string(),
            r#"{"files":[{"filename":"a-1.tar.gz","url":"http://[::1"}]}"#.to_string(),
            // Cut short.
            format!(r#"{{"files":[{entry}]"#),
            format!(r#"{{"files":[{entry}],"name":"a"#),
        ];
        for page in pages {
            assert_eq!(read_in_pieces(page.as_bytes(), 5), None, "{page}");
        }
    }

    #[test]
    fn hashes_of_any_form_are_kept() {
        let hex = "AB".repeat(32);
        let url = Url::parse("https://example.org/files/demo-1.0.tar.gz").expect("url");
        let mut file = IndexFile::new("demo-1.0.tar.gz", url.into());
        assert!(file.rare.is_none(), "nothing rare about this file");
        file.set_sha256(&hex);
        file.set_core_metadata(Some("Not-Hex"));
        assert_eq!(file.sha256(), Some(hex.to_ascii_lowercase()));
        assert_eq!(file.core_metadata(), Some(Some("not-hex".to_string())));
        file.set_sha256("Short");
        assert_eq!(file.sha256().as_deref(), Some("short"));
        // Hundreds of thousands of these are kept in a run.
        assert!(size_of::<IndexFile>() <= 112, "{}", size_of::<IndexFile>());
    }

    #[test]
    fn files_of_a_page_share_their_text() {
        let urls = [
            "https://files.example/packages/ab/demo-1.0.tar.gz",
            "https://files.example/packages/cd/demo-1.1.tar.gz",
            "https://other.example/demo-1.2.tar.gz",
            "https://other.example/get?name=demo-1.3.tar.gz",
            "file:///srv/wheels/demo-1.4-py3-none-any.whl",
            "urn:demo",
        ];
        let mut builder = PageBuilder::new(0, 0);
        for (at, url) in urls.iter().enumerate() {
            let filename = format!("demo-1.{at}.tar.gz");
            let requires_python = [">=3.9", ">=3.8"][at % 2];
            builder.push(&filename, url, Some(requires_python));
        }
        let files = builder.finish();
        for (at, (file, url)) in files.iter().zip(urls).enumerate() {
            assert_eq!(file.url().to_string(), url);
            assert_eq!(file.filename(), format!("demo-1.{at}.tar.gz"));
            assert_eq!(file.requires_python(), Some([">=3.9", ">=3.8"][at % 2]));
            assert_eq!(file.url().is_file(), url.starts_with("file:"));
            let alone = IndexFile::new(file.filename(), FileUrl::alone(url));
            assert_eq!(file.url(), alone.url());
        }
        assert!(files[0].rare.is_none() && files[3].rare.is_some());
        assert!(Arc::ptr_eq(&files[0].url.page, &files[5].url.page));
        // None, files.example/packages, other.example, file:///srv.
        assert_eq!(files[0].url.page.prefixes.len(), 4);
        assert_eq!(files[0].url.page.requires_python.len(), 2);
    }
}
