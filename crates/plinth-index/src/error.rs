//! Index errors. They are `Clone` so that one failed fetch can answer every waiter.

use url::Url;

#[derive(Debug, Clone, thiserror::Error)]
pub enum IndexError {
    #[error("Request to `{url}` failed: {message}")]
    Request { url: String, message: String },
    #[error("`{url}` answered HTTP {status}")]
    Status { url: String, status: u16 },
    #[error("Invalid response from `{url}`: {message}")]
    Parse { url: String, message: String },
    #[error("Invalid archive `{url}`: {message}")]
    Archive { url: String, message: String },
    #[error(
        "Hash mismatch for `{filename}`: the index says sha256 `{expected}`, the download has `{actual}`"
    )]
    HashMismatch {
        filename: String,
        expected: String,
        actual: String,
    },
    #[error("`{url}` is not in the cache, and `--offline` forbids asking the index")]
    Offline { url: String },
    #[error("Failed to build the metadata of {package} (from `{url}`): {message}")]
    Build {
        package: String,
        url: String,
        message: String,
    },
    #[error("HTTP client error: {0}")]
    Client(String),
}

/// A URL fit for messages: user name, password and query removed.
pub fn redact(url: &Url) -> String {
    let mut url = url.clone();
    let _ = url.set_username("");
    let _ = url.set_password(None);
    url.set_query(None);
    url.to_string()
}
