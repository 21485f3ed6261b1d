//! What a project's latest release depends on, as a Warehouse index (PyPI)
//! tells it in its JSON API (`/pypi/NAME/json`), asked beside the project
//! page on a cold run.
//!
//! Only a hint: it lets the source run ahead to the pages of the next level
//! of the dependency tree one round trip earlier (a page, then a wheel's
//! `METADATA`, then the next pages, is two round trips per level), and the
//! resolver still reads every dependency from the chosen file's own
//! metadata. The reply's `info` object comes first; the rest (every file of
//! every release, megabytes for large projects) is not read: the response
//! is dropped once `info` is in.

use std::sync::atomic::Ordering;

use pep508_rs::PackageName;
use reqwest::StatusCode;
use reqwest::header::{ACCEPT, HeaderMap, HeaderValue};
use serde::Deserialize;
use url::Url;

use super::IndexClient;
use crate::simple::{JsonScan, JsonToken};

/// How much of a reply is read looking for the end of its `info` object
/// (a long project description is most of it) before the hint is given up.
const MAX_HINT_BYTES: usize = 1 << 20;

/// How many hints a run asks for: the first levels of a dependency tree
/// are where they save a run the most, and a large resolution (hundreds
/// of projects) is slowed by as many more requests competing with those
/// it waits for (airflow's cold run: 4.2 s without hints, 5.4 s with one
/// for every project).
const MAX_HINTS: usize = 32;

/// A project's latest release and the `Requires-Dist` lines of its metadata.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReleaseHint {
    pub version: String,
    pub requires_dist: Vec<String>,
}

#[derive(Deserialize)]
struct Info {
    version: String,
    #[serde(default)]
    requires_dist: Option<Vec<String>>,
}

impl IndexClient {
    /// The hint for `name`, when hints are on (see
    /// [`super::ClientOptions::release_hints`]) and the index gives one. The
    /// first reply that is not one turns hints off for the rest of the run:
    /// that index has no such API.
    pub(crate) async fn release_hint(&self, name: &PackageName) -> Option<ReleaseHint> {
        if !self.options.release_hints
            || self.options.offline
            || self.hints_refused.load(Ordering::Relaxed)
            || self.hints_asked.fetch_add(1, Ordering::Relaxed) >= MAX_HINTS
        {
            return None;
        }
        let url = hint_url(self.options.indexes.first()?, name)?;
        let mut headers = HeaderMap::new();
        headers.insert(ACCEPT, HeaderValue::from_static("application/json"));
        let (_permit, mut response, _) = self.send(&url, headers).await.ok()?;
        let refused = || {
            self.hints_refused.store(true, Ordering::Relaxed);
            None
        };
        if response.status() == StatusCode::NOT_FOUND {
            // A project the index does not have: its page says so too.
            return None;
        }
        if response.status() != StatusCode::OK {
            return refused();
        }
        let mut body = Vec::new();
        let mut scan = InfoScan::default();
        let info = loop {
            match response.chunk().await {
                Ok(Some(chunk)) => body.extend_from_slice(&chunk),
                Ok(None) | Err(_) => break None,
            }
            if let Some(info) = scan.grew(&body) {
                break Some(info);
            }
            if body.len() > MAX_HINT_BYTES || scan.failed {
                break None;
            }
        };
        self.stats.requests.fetch_add(1, Ordering::Relaxed);
        self.stats
            .bytes
            .fetch_add(body.len() as u64, Ordering::Relaxed);
        // Dropping the response cancels the rest of it.
        drop(response);
        let Some(info) = info else {
            return refused();
        };
        let Ok(info) = serde_json::from_slice::<Info>(&body[info]) else {
            return refused();
        };
        Some(ReleaseHint {
            version: info.version,
            requires_dist: info.requires_dist.unwrap_or_default(),
        })
    }
}

/// `/pypi/NAME/json` beside an index whose path ends in `/simple` (or
/// `/simple/`), as on PyPI; `None` for any other index.
fn hint_url(index: &Url, name: &PackageName) -> Option<Url> {
    let path = index.path().trim_end_matches('/');
    let root = path.strip_suffix("/simple")?;
    let mut url = index.clone();
    url.set_path(&format!("{root}/pypi/{name}/json"));
    url.set_query(None);
    url.set_fragment(None);
    Some(url)
}

/// Finds the `info` object of a reply as it arrives: the value of the
/// first key of the top-level object, when that key is `info`.
#[derive(Default)]
struct InfoScan {
    scan: JsonScan,
    /// Whether the first key was read (and was `info`).
    keyed: bool,
    /// Where the value of `info` started.
    value_start: Option<usize>,
    failed: bool,
}

impl InfoScan {
    /// Reads on (`body` is all of the reply so far); the byte range of the
    /// `info` object once it has closed.
    fn grew(&mut self, body: &[u8]) -> Option<std::ops::Range<usize>> {
        while !self.failed
            && let Some(token) = self.scan.next(body)
        {
            let depth = self.scan.depth();
            match token {
                // The first key, or a value that is not an object.
                JsonToken::String(text) if depth == 1 && self.value_start.is_none() => {
                    self.failed = self.keyed || &body[text] != b"info";
                    self.keyed = true;
                }
                JsonToken::Open(byte, at) if depth == 2 && self.value_start.is_none() => {
                    self.failed = byte != b'{' || !self.keyed;
                    self.value_start = Some(at);
                }
                JsonToken::Close(at) if depth == 1 => {
                    return self.value_start.map(|start| start..at + 1);
                }
                // The top-level object closed without an `info` object.
                JsonToken::Close(_) if depth == 0 => self.failed = true,
                JsonToken::Unbalanced => self.failed = true,
                _ => {}
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn info_of(reply: &str, piece: usize) -> Option<String> {
        let mut scan = InfoScan::default();
        let bytes = reply.as_bytes();
        let mut end = 0;
        while end < bytes.len() {
            end = (end + piece).min(bytes.len());
            if let Some(range) = scan.grew(&bytes[..end]) {
                return Some(reply[range].to_string());
            }
        }
        None
    }

    #[test]
    fn the_info_object_is_found_before_the_rest_arrives() {
        let reply = r#"{"info": {"version": "1.0", "description": "a } and a \" and {[", "requires_dist": ["b>=1", "c; extra == \"x\""]}, "releases": {"1.0": [{"url": "}"}]}}"#;
        let expected = r#"{"version": "1.0", "description": "a } and a \" and {[", "requires_dist": ["b>=1", "c; extra == \"x\""]}"#;
        for piece in [1, 7, 64, reply.len()] {
            assert_eq!(info_of(reply, piece).as_deref(), Some(expected), "{piece}");
        }
        let info: Info = serde_json::from_str(expected).expect("a valid info object");
        assert_eq!(info.version, "1.0");
        assert_eq!(
            info.requires_dist,
            Some(vec!["b>=1".to_string(), "c; extra == \"x\"".to_string()])
        );
    }

    #[test]
    fn a_reply_of_another_shape_gives_no_info() {
        for reply in [
            r#"{"releases": {}, "info": {"version": "1.0"}}"#,
            r#"{"info": ["1.0"]}"#,
            r#"[{"info": {}}]"#,
            r#"{}"#,
            r#"{"info": {"version": "1.0""#,
        ] {
            assert_eq!(info_of(reply, 3), None, "{reply}");
        }
    }

    #[test]
    fn the_api_lies_beside_a_simple_index() {
        let name = PackageName::new("Flask".to_string()).expect("a valid name");
        let url = |index: &str| {
            hint_url(&Url::parse(index).expect("a valid URL"), &name).map(|url| url.to_string())
        };
        assert_eq!(
            url("https://pypi.org/simple").as_deref(),
            Some("https://pypi.org/pypi/flask/json")
        );
        assert_eq!(
            url("https://test.pypi.org/simple/").as_deref(),
            Some("https://test.pypi.org/pypi/flask/json")
        );
        assert_eq!(
            url("http://127.0.0.1:8080/root/simple/").as_deref(),
            Some("http://127.0.0.1:8080/root/pypi/flask/json")
        );
        assert_eq!(url("https://example.com/+simple/"), None);
    }
}
