//! The simple repository API: PEP 691 JSON and PEP 503 HTML project pages.

use std::collections::HashMap;
use std::fmt;
use std::ops::Deref;
use std::sync::OnceLock;

use jiff::Timestamp;
use serde::Deserialize;
use url::Url;

/// One file of a project, as the index lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndexFile {
    pub filename: String,
    /// Absolute URL, without the hash fragment.
    pub url: FileUrl,
    /// Hex sha256 of the file, when the index gives one.
    pub sha256: Option<String>,
    pub requires_python: Option<String>,
    /// `Some(reason)` when yanked; the reason may be empty.
    pub yanked: Option<String>,
    pub upload_time: Option<Timestamp>,
    /// PEP 658/714: the index serves `<url>.metadata`; `Some(hash)` if it gives one.
    pub core_metadata: Option<Option<String>>,
}

/// A file's absolute URL. One read back from the cache is kept as text
/// (it was checked when its page was parsed) and parsed on first use: a
/// project page lists thousands of files, and few of their URLs are used.
#[derive(Clone)]
pub struct FileUrl {
    text: Box<str>,
    /// Boxed: most files never need theirs, and a `Url` is large.
    parsed: OnceLock<Box<Url>>,
}

impl FileUrl {
    /// A URL in its serialized form, as [`Url::as_str`] wrote it.
    pub(crate) fn trusted(text: &str) -> Self {
        Self {
            text: text.into(),
            parsed: OnceLock::new(),
        }
    }

    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// Whether the URL is a `file:` URL, without parsing it.
    pub fn is_file(&self) -> bool {
        self.text.starts_with("file:")
    }
}

impl From<Url> for FileUrl {
    fn from(url: Url) -> Self {
        Self {
            text: url.as_str().into(),
            parsed: OnceLock::from(Box::new(url)),
        }
    }
}

impl Deref for FileUrl {
    type Target = Url;

    fn deref(&self) -> &Url {
        self.parsed.get_or_init(|| {
            // A trusted text that does not parse can only come from a
            // damaged cache entry, which its checksum rules out; it then
            // points nowhere rather than at another file.
            Box::new(Url::parse(&self.text).unwrap_or_else(|_| nowhere()))
        })
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
        self.text == other.text
    }
}

impl Eq for FileUrl {}

impl fmt::Debug for FileUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.text, f)
    }
}

impl fmt::Display for FileUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum PageError {
    #[error("Invalid JSON project page: {0}")]
    Json(#[from] serde_json::Error),
    #[error("Invalid file URL `{0}`")]
    Url(String),
}

#[derive(Deserialize)]
struct JsonPage {
    files: Vec<JsonFile>,
}

#[derive(Deserialize)]
struct JsonFile {
    filename: String,
    url: String,
    #[serde(default)]
    hashes: HashMap<String, String>,
    #[serde(rename = "requires-python", default)]
    requires_python: Option<String>,
    #[serde(default)]
    yanked: Option<serde_json::Value>,
    #[serde(rename = "upload-time", default)]
    upload_time: Option<String>,
    #[serde(rename = "core-metadata", default)]
    core_metadata: Option<serde_json::Value>,
    #[serde(rename = "dist-info-metadata", default)]
    dist_info_metadata: Option<serde_json::Value>,
}

/// Parse a PEP 691 JSON project page fetched from `base`.
pub fn parse_json(bytes: &[u8], base: &Url) -> Result<Vec<IndexFile>, PageError> {
    let page: JsonPage = serde_json::from_slice(bytes)?;
    page.files
        .into_iter()
        .map(|file| {
            let (url, fragment_hash) = resolve_url(base, &file.url)?;
            let yanked = match file.yanked {
                Some(serde_json::Value::Bool(true)) => Some(String::new()),
                Some(serde_json::Value::String(reason)) => Some(reason),
                _ => None,
            };
            let core_metadata = file
                .core_metadata
                .or(file.dist_info_metadata)
                .and_then(|value| match value {
                    serde_json::Value::Bool(true) => Some(None),
                    serde_json::Value::Object(hashes) => Some(
                        hashes
                            .get("sha256")
                            .and_then(|hash| hash.as_str())
                            .map(str::to_ascii_lowercase),
                    ),
                    _ => None,
                });
            Ok(IndexFile {
                filename: file.filename,
                url: url.into(),
                sha256: file
                    .hashes
                    .get("sha256")
                    .map(|hash| hash.to_ascii_lowercase())
                    .or(fragment_hash),
                requires_python: file.requires_python.filter(|text| !text.trim().is_empty()),
                yanked,
                upload_time: file.upload_time.and_then(|time| time.parse().ok()),
                core_metadata,
            })
        })
        .collect()
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
    let mut files = Vec::new();
    for (attributes, inner) in find_anchors(text) {
        let Some(href) = attribute(&attributes, "href") else {
            continue;
        };
        let (url, sha256) = resolve_url(&base, &href)?;
        let filename = unescape(inner.trim());
        let filename = if filename.is_empty() {
            url.path_segments()
                .and_then(|mut segments| segments.next_back().map(str::to_string))
                .unwrap_or_default()
        } else {
            filename
        };
        let core_metadata = attribute(&attributes, "data-core-metadata")
            .or_else(|| attribute(&attributes, "data-dist-info-metadata"))
            .filter(|value| value != "false")
            .map(|value| value.strip_prefix("sha256=").map(str::to_ascii_lowercase));
        files.push(IndexFile {
            filename,
            url: url.into(),
            sha256,
            requires_python: attribute(&attributes, "data-requires-python")
                .filter(|text| !text.trim().is_empty()),
            yanked: attribute(&attributes, "data-yanked"),
            upload_time: None,
            core_metadata,
        });
    }
    Ok(files)
}

/// Join `href` onto `base`, splitting off a `#sha256=` fragment.
fn resolve_url(base: &Url, href: &str) -> Result<(Url, Option<String>), PageError> {
    let mut url = base
        .join(href)
        .map_err(|_| PageError::Url(href.to_string()))?;
    let sha256 = url.fragment().and_then(|fragment| {
        fragment
            .strip_prefix("sha256=")
            .map(str::to_ascii_lowercase)
    });
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
            files[0].url.as_str(),
            "https://example.org/files/flask-3.0.0-py3-none-any.whl"
        );
        assert_eq!(files[0].sha256.as_deref(), Some("abcd"));
        assert_eq!(files[0].requires_python.as_deref(), Some(">=3.8"));
        assert_eq!(files[0].core_metadata, Some(Some("ef".to_string())));
        assert_eq!(files[1].yanked.as_deref(), Some("bad & broken"));
        assert_eq!(files[2].yanked.as_deref(), Some(""));
        assert_eq!(
            files[2].url.as_str(),
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
        assert_eq!(files[0].sha256.as_deref(), Some("ab"));
        assert_eq!(files[0].yanked.as_deref(), Some("reason"));
        assert!(files[0].upload_time.is_some());
        assert_eq!(files[0].core_metadata, Some(Some("cd".to_string())));
        assert_eq!(files[1].yanked, None);
        assert_eq!(files[1].core_metadata, None);
    }
}
