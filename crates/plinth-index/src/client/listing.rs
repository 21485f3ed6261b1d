//! The names of every project of the indexes, for "did you mean" hints.
//!
//! Read from each index's root page (`<index>/`, PEP 503 HTML or PEP 691
//! JSON; PyPI's is tens of megabytes), only when a package was not found.
//! Cached as a compact list, one normalized name per line, for a day; with
//! `--offline` a cached list of any age is used, else none. Failures only
//! cost the hint: they are never reported.

use std::collections::BTreeSet;
use std::sync::Arc;

use reqwest::StatusCode;
use reqwest::header::{ACCEPT, HeaderMap, HeaderValue};
use sha2::{Digest, Sha256};
use url::Url;

use super::{IndexClient, unix_now};
use crate::error::redact;

/// How long a cached list of names is used without asking the index again.
const FRESH_FOR_SECONDS: u64 = 24 * 60 * 60;

/// The first line of a cached list.
const NAMES_FORMAT: &str = "plinth-names 1";

const ACCEPT_ROOT: &str = "application/vnd.pypi.simple.v1+json, application/vnd.pypi.simple.v1+html;q=0.2, text/html;q=0.01";

impl IndexClient {
    /// Every project name the indexes and `--find-links` locations have,
    /// normalized (PEP 503), sorted; listed once per client. Empty when
    /// nothing could be listed.
    pub async fn project_names(&self) -> Arc<Vec<String>> {
        self.project_names
            .get_or_init(|| async {
                let mut names = Vec::new();
                for index in &self.options.indexes {
                    names.extend(self.index_names(index).await.unwrap_or_default());
                }
                if let Ok(files) = self.find_links_files().await {
                    names.extend(
                        files
                            .iter()
                            .filter_map(|file| name_of_file(file.filename()))
                            .map(|name| normalize(&name)),
                    );
                }
                names.sort_unstable();
                names.dedup();
                Arc::new(names)
            })
            .await
            .clone()
    }

    /// The names on one index's root page: from the cache while fresh (or
    /// at any age with `--offline`), else fetched; a stale list is better
    /// than none when the index can't be read.
    async fn index_names(&self, index: &Url) -> Option<Vec<String>> {
        let mut url = index.clone();
        if !url.path().ends_with('/') {
            url.set_path(&format!("{}/", url.path()));
        }
        let key = format!(
            "names/{}",
            hex::encode(Sha256::digest(redact(&url).as_bytes()))
        );
        let stored = self.cache_get(&key).and_then(|bytes| decode(&bytes));
        let now = unix_now();
        match stored {
            Some((_, names)) if self.options.offline => return Some(names),
            Some((fetched, names)) if now < fetched.saturating_add(FRESH_FOR_SECONDS) => {
                return Some(names);
            }
            _ if self.options.offline => return None,
            _ => {}
        }
        let mut headers = HeaderMap::new();
        headers.insert(ACCEPT, HeaderValue::from_static(ACCEPT_ROOT));
        let fetched = match self.get(&url, headers).await {
            Ok(response) if response.status == StatusCode::OK => {
                parse(&response.content_type, &response.body)
            }
            _ => None,
        };
        match fetched {
            Some(names) => {
                if url.scheme() != "file" {
                    self.cache_put(&key, &encode(now, &names));
                }
                Some(names)
            }
            None => stored.map(|(_, names)| names),
        }
    }
}

/// The normalized names of a root page, sorted; `None` if it is not one.
fn parse(content_type: &str, body: &[u8]) -> Option<Vec<String>> {
    let names: BTreeSet<String> = if content_type.contains("json") {
        #[derive(serde::Deserialize)]
        struct Root {
            projects: Vec<Project>,
        }
        #[derive(serde::Deserialize)]
        struct Project {
            name: String,
        }
        let root: Root = serde_json::from_slice(body).ok()?;
        root.projects
            .iter()
            .map(|project| normalize(&project.name))
            .collect()
    } else {
        anchor_texts(&String::from_utf8_lossy(body))
            .map(normalize)
            .collect()
    };
    Some(names.into_iter().filter(|name| !name.is_empty()).collect())
}

/// The text of every `<a ...>text</a>` of an HTML page.
fn anchor_texts(html: &str) -> impl Iterator<Item = &str> {
    html.split("</a>").filter_map(|before| {
        let start = before.rfind("<a")?;
        let tag = &before[start..];
        let text = &tag[tag.find('>')? + 1..];
        Some(text.trim())
    })
}

/// PEP 503: lowercase, runs of `-`, `_` and `.` as one `-`.
fn normalize(name: &str) -> String {
    let mut normalized = String::with_capacity(name.len());
    for character in name.chars() {
        if matches!(character, '-' | '_' | '.') {
            if !normalized.ends_with('-') {
                normalized.push('-');
            }
        } else {
            normalized.extend(character.to_lowercase());
        }
    }
    normalized
}

/// The project name in a wheel or sdist filename (`my_pkg` of `my_pkg-1.0.tar.gz`).
fn name_of_file(filename: &str) -> Option<String> {
    if let Some(stem) = filename.strip_suffix(".whl") {
        return stem.split_once('-').map(|(name, _)| name.to_string());
    }
    let stem = [".tar.gz", ".zip", ".tar.bz2", ".tgz"]
        .iter()
        .find_map(|extension| filename.strip_suffix(extension))?;
    stem.rsplit_once('-').map(|(name, _)| name.to_string())
}

fn encode(fetched: u64, names: &[String]) -> Vec<u8> {
    let mut text = format!("{NAMES_FORMAT}\nfetched {fetched}\n");
    for name in names {
        text.push_str(name);
        text.push('\n');
    }
    text.into_bytes()
}

/// When the list was fetched, and its names.
fn decode(bytes: &[u8]) -> Option<(u64, Vec<String>)> {
    let text = std::str::from_utf8(bytes).ok()?;
    let mut lines = text.lines();
    if lines.next()? != NAMES_FORMAT {
        return None;
    }
    let fetched = lines.next()?.strip_prefix("fetched ")?.parse().ok()?;
    Some((fetched, lines.map(str::to_string).collect()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn root_pages_in_both_forms() {
        let html = br#"<!DOCTYPE html><html><body>
            <a href="/simple/flask/">Flask</a>
            <a href="/simple/zope-interface/">zope.interface</a>
            <a href="/simple/my-pkg/">My_Pkg</a>
        </body></html>"#;
        assert_eq!(
            parse("text/html", html),
            Some(vec![
                "flask".to_string(),
                "my-pkg".to_string(),
                "zope-interface".to_string()
            ])
        );
        let json = br#"{"meta": {"api-version": "1.0"}, "projects": [{"name": "Flask"}, {"name": "a.b"}]}"#;
        assert_eq!(
            parse("application/vnd.pypi.simple.v1+json", json),
            Some(vec!["a-b".to_string(), "flask".to_string()])
        );
        assert_eq!(
            parse("application/vnd.pypi.simple.v1+json", b"<html>"),
            None
        );
    }

    #[test]
    fn cached_lists_round_trip() {
        let names = vec!["flask".to_string(), "requests".to_string()];
        assert_eq!(
            decode(&encode(1_700_000_000, &names)),
            Some((1_700_000_000, names))
        );
        assert_eq!(decode(b"plinth-names 0\nfetched 1\nflask\n"), None);
    }

    #[test]
    fn names_of_files() {
        assert_eq!(
            name_of_file("my_pkg-1.0-py3-none-any.whl").as_deref(),
            Some("my_pkg")
        );
        assert_eq!(name_of_file("my-pkg-1.0.tar.gz").as_deref(), Some("my-pkg"));
        assert_eq!(name_of_file("README.txt"), None);
    }
}
