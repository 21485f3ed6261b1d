//! Records of pinned versions, for the lockfile fast path.
//!
//! After a resolution, the files of each chosen version (as the project page
//! listed them, after `--exclude-newer`) are stored in the cache. A later
//! run over the same lockfile can then resolve with only the pinned
//! versions, from these records and the cached metadata of their files,
//! without reading or revalidating any project page. The record is keyed by
//! everything that decides which files a version has: the indexes and
//! find-links (without credentials), the index strategy, the cutoff, the
//! name and the version. What the target can use of those files is decided
//! afresh on every run, as for a page.

use jiff::Timestamp;
use pep440_rs::Version;
use pep508_rs::PackageName;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use url::Url;

use crate::simple::IndexFile;

/// The format of a record; a record of another format is ignored.
const FORMAT: &str = "plinth-pin 1";

/// How long a record is trusted. What can change about a published version
/// is whether it is yanked: a run within a day of the last full resolution
/// may not see a new yank (`--refresh` does).
pub(crate) const MAX_AGE: u64 = 24 * 60 * 60;

/// The cache key of the record of `name==version`.
pub(crate) fn key(
    sources: &str,
    exclude_newer: Option<Timestamp>,
    name: &PackageName,
    version: &Version,
) -> String {
    let cutoff = exclude_newer.map(|cutoff| cutoff.to_string());
    let text = format!(
        "{FORMAT}\n{sources}\n{}\n{name}=={version}",
        cutoff.unwrap_or_default()
    );
    format!("pins/{}", hex::encode(Sha256::digest(text.as_bytes())))
}

/// One file as a record stores it.
#[derive(Serialize, Deserialize)]
struct StoredFile {
    filename: String,
    url: String,
    sha256: Option<String>,
    requires_python: Option<String>,
    yanked: Option<String>,
    upload_time: Option<String>,
    /// PEP 658: whether the index serves `<url>.metadata`, and its sha256.
    core_metadata: bool,
    core_metadata_sha256: Option<String>,
}

#[derive(Serialize, Deserialize)]
struct Record {
    format: String,
    /// Unix seconds when the files were read from the index.
    written: u64,
    files: Vec<StoredFile>,
}

/// The record of `files`, read from the index at `now` (Unix seconds).
pub(crate) fn encode(files: &[IndexFile], now: u64) -> Vec<u8> {
    let record = Record {
        format: FORMAT.to_string(),
        written: now,
        files: files
            .iter()
            .map(|file| StoredFile {
                filename: file.filename().to_string(),
                url: file.url().to_string(),
                sha256: file.sha256(),
                requires_python: file.requires_python().map(str::to_string),
                yanked: file.yanked().map(str::to_string),
                upload_time: file.upload_time().map(|time| time.to_string()),
                core_metadata: file.core_metadata().is_some(),
                core_metadata_sha256: file.core_metadata().flatten(),
            })
            .collect(),
    };
    serde_json::to_vec(&record).unwrap_or_default()
}

/// Whether `bytes` is a record of this format that is still trusted at
/// `when` (Unix seconds); only its head is read.
pub(crate) fn trusted_at(bytes: &[u8], when: u64) -> bool {
    #[derive(Deserialize)]
    struct Head {
        format: String,
        written: u64,
    }
    serde_json::from_slice::<Head>(bytes)
        .is_ok_and(|head| head.format == FORMAT && when.saturating_sub(head.written) < MAX_AGE)
}

/// The files of a record; `None` for anything that is not a record of this
/// format, or one older than [`MAX_AGE`] at `now`.
pub(crate) fn decode(bytes: &[u8], now: u64) -> Option<Vec<IndexFile>> {
    let record: Record = serde_json::from_slice(bytes).ok()?;
    if record.format != FORMAT || now.saturating_sub(record.written) >= MAX_AGE {
        return None;
    }
    record
        .files
        .into_iter()
        .map(|file| {
            let url = Url::parse(&file.url).ok()?.into();
            let mut indexed = IndexFile::new(&file.filename, url);
            if let Some(hash) = &file.sha256 {
                indexed.set_sha256(hash);
            }
            if let Some(text) = &file.requires_python {
                indexed.set_requires_python(text);
            }
            if let Some(reason) = &file.yanked {
                indexed.set_yanked(reason);
            }
            if let Some(text) = file.upload_time {
                indexed.set_upload_time(text.parse().ok()?);
            }
            if file.core_metadata {
                indexed.set_core_metadata(file.core_metadata_sha256.as_deref());
            }
            Some(indexed)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_round_trip_and_other_formats_are_ignored() {
        let mut file = IndexFile::new(
            "demo-1.0-py3-none-any.whl",
            Url::parse("https://files.example/demo-1.0-py3-none-any.whl")
                .expect("valid URL")
                .into(),
        );
        file.set_sha256(&"ab".repeat(32));
        file.set_requires_python(">=3.9");
        file.set_yanked("broken\tbuild\n");
        file.set_upload_time("2026-01-02T03:04:05Z".parse().expect("valid"));
        file.set_core_metadata(None);
        let now = 1_800_000_000;
        let bytes = encode(std::slice::from_ref(&file), now);
        assert_eq!(decode(&bytes, now + 60), Some(vec![file]));
        assert_eq!(decode(&bytes, now + MAX_AGE), None, "too old");
        assert_eq!(decode(b"plinth-page 2\n", now), None);
        assert!(trusted_at(&bytes, now + MAX_AGE - 1));
        assert!(!trusted_at(&bytes, now + MAX_AGE));
        let other = String::from_utf8(bytes)
            .expect("JSON is UTF-8")
            .replace(FORMAT, "plinth-pin 0");
        assert_eq!(decode(other.as_bytes(), now), None);
        assert!(!trusted_at(other.as_bytes(), now));
    }

    #[test]
    fn keys_differ_by_everything_that_decides_the_files() {
        let name: PackageName = "demo".parse().expect("valid");
        let version: Version = "1.0".parse().expect("valid");
        let base = key("FirstIndex\nhttps://a/simple/", None, &name, &version);
        let cutoff = Some("2026-01-01T00:00:00Z".parse().expect("valid"));
        assert_ne!(
            base,
            key("FirstIndex\nhttps://b/simple/", None, &name, &version)
        );
        assert_ne!(
            base,
            key("FirstIndex\nhttps://a/simple/", cutoff, &name, &version)
        );
        let other: Version = "1.1".parse().expect("valid");
        assert_ne!(
            base,
            key("FirstIndex\nhttps://a/simple/", None, &name, &other)
        );
        assert!(base.starts_with("pins/"));
    }
}
