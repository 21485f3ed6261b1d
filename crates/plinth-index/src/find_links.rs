//! `--find-links`: local directories of wheels and sdists, HTML pages of
//! links (local or remote), and `file:` URLs read from disk.
//!
//! As in pip, the files found join the candidates of every package whose
//! name they carry, whichever index (if any) has that package too.

use pep508_rs::PackageName;
use reqwest::StatusCode;
use sha2::{Digest, Sha256};
use url::Url;

use crate::client::Fetched;
use crate::error::{IndexError, redact};
use crate::filename::DistFilename;
use crate::simple::{IndexFile, parse_html};

/// Every file a find-links location lists (any package).
pub(crate) async fn list_local(location: &Url) -> Result<Vec<IndexFile>, IndexError> {
    let path = local_path(location)?;
    let invalid = |message: String| IndexError::Parse {
        url: redact(location),
        message,
    };
    let metadata = tokio::fs::metadata(&path).await.map_err(|error| {
        invalid(format!(
            "`{}` is neither a directory nor an HTML file: {error}",
            path.display()
        ))
    })?;
    if !metadata.is_dir() {
        let bytes = tokio::fs::read(&path)
            .await
            .map_err(|error| invalid(error.to_string()))?;
        return parse_page(&bytes, location);
    }
    let mut entries = tokio::fs::read_dir(&path)
        .await
        .map_err(|error| invalid(error.to_string()))?;
    let mut files = Vec::new();
    while let Some(entry) = entries
        .next_entry()
        .await
        .map_err(|error| invalid(error.to_string()))?
    {
        let Ok(filename) = entry.file_name().into_string() else {
            continue;
        };
        let is_file = entry
            .file_type()
            .await
            .is_ok_and(|kind| kind.is_file() || kind.is_symlink());
        if !is_file || !is_distribution(&filename) {
            continue;
        }
        let Ok(url) = Url::from_file_path(entry.path()) else {
            continue;
        };
        files.push(local_file(filename, url));
    }
    files.sort_by(|a, b| a.filename().cmp(b.filename()));
    Ok(files)
}

/// The links of an HTML page fetched from `base`. Links to `file:` URLs
/// count only on pages that are themselves local: a remote page must not
/// make plinth read local files.
pub(crate) fn parse_page(bytes: &[u8], base: &Url) -> Result<Vec<IndexFile>, IndexError> {
    let mut files =
        parse_html(&String::from_utf8_lossy(bytes), base).map_err(|error| IndexError::Parse {
            url: redact(base),
            message: error.to_string(),
        })?;
    files.retain(|file| !file.url().is_file() || base.scheme() == "file");
    Ok(files)
}

/// The files of `files` that are distributions of `name`; local ones get
/// their sha256 (read from disk), so that caches key them by content.
pub(crate) async fn files_of(
    files: &[IndexFile],
    name: &PackageName,
) -> Result<Vec<IndexFile>, IndexError> {
    let mut selected = Vec::new();
    for file in files {
        let matches = match DistFilename::parse(file.filename(), name) {
            Some(DistFilename::Wheel(wheel)) => wheel.name == *name,
            Some(DistFilename::Sdist { .. }) => true,
            None => false,
        };
        if !matches {
            continue;
        }
        let mut file = file.clone();
        if !file.has_sha256() && file.url().is_file() {
            let fetched = read_local(&file.url().to_url()).await?;
            if fetched.status.is_success() {
                file.set_sha256(&hex::encode(Sha256::digest(&fetched.body)));
            }
        }
        selected.push(file);
    }
    Ok(selected)
}

/// A `file:` URL read from disk as if it were fetched: 200 with the bytes,
/// 404 when missing. A directory is read as its `index.html` (a local
/// simple index, as pip reads one).
pub(crate) async fn read_local(url: &Url) -> Result<Fetched, IndexError> {
    let mut path = local_path(url)?;
    if tokio::fs::metadata(&path)
        .await
        .is_ok_and(|metadata| metadata.is_dir())
    {
        path = path.join("index.html");
    }
    let (status, body) = match tokio::fs::read(&path).await {
        Ok(body) => (StatusCode::OK, body),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
            (StatusCode::NOT_FOUND, Vec::new())
        }
        Err(error) => {
            return Err(IndexError::Request {
                url: redact(url),
                message: error.to_string(),
            });
        }
    };
    let content_type = if path.extension().is_some_and(|extension| {
        extension.eq_ignore_ascii_case("html") || extension.eq_ignore_ascii_case("htm")
    }) {
        "text/html"
    } else {
        "application/octet-stream"
    };
    Ok(Fetched {
        status,
        final_url: url.clone(),
        content_type: content_type.to_string(),
        content_range: None,
        retry_after: None,
        validators: crate::client::Validators::default(),
        body,
    })
}

fn local_path(url: &Url) -> Result<std::path::PathBuf, IndexError> {
    url.to_file_path().map_err(|()| IndexError::Parse {
        url: redact(url),
        message: "not a local path".to_string(),
    })
}

fn local_file(filename: String, url: Url) -> IndexFile {
    IndexFile::new(&filename, url.into())
}

fn is_distribution(filename: &str) -> bool {
    let lower = filename.to_ascii_lowercase();
    [".whl", ".tar.gz", ".zip"]
        .iter()
        .any(|suffix| lower.ends_with(suffix))
        && !filename.starts_with('.')
}
