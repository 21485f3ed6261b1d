//! Index errors. They are `Clone` so that one failed fetch can answer every waiter.

use url::Url;

#[derive(Debug, Clone, thiserror::Error)]
pub enum IndexError {
    #[error("Request to `{url}` failed: {message}{}", request_hint(message))]
    Request { url: String, message: String },
    #[error("`{url}` answered HTTP {status}{}", status_hint(*status))]
    Status { url: String, status: u16 },
    /// HTTP 401 or 403: never a reason to try the next index.
    #[error("{server} refused access to `{url}` (HTTP {status})\n  hint: {hint}")]
    Unauthorized {
        /// "The index `URL`" (as configured, redacted), or "The server `URL`"
        /// for an origin no index or find-links URL has.
        server: String,
        url: String,
        status: u16,
        hint: String,
    },
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
    /// A direct reference (URL, path, git) that can't be used; `reference` is
    /// as written, without credentials.
    #[error("Failed to use `{reference}`: {message}")]
    Direct { reference: String, message: String },
    #[error("HTTP client error: {0}")]
    Client(String),
    /// The lockfile fast path has no stored files for a pin (or no pin for a
    /// package); the caller falls back to a full resolution.
    #[error("No stored record of the files of `{package}`")]
    NotRecorded { package: String },
}

/// The `hint:` line (with its newline) for a request that got no answer, if one helps.
fn request_hint(message: &str) -> &'static str {
    let message = message.to_ascii_lowercase();
    if message.contains("dns error") {
        "\n  hint: check the host name in the URL, and that this machine can resolve it (DNS, proxy settings)"
    } else if message.contains("connection refused") || message.contains("connect error") {
        "\n  hint: nothing answered at this host and port: check the URL, and that the server is up and reachable from this machine"
    } else {
        ""
    }
}

/// The `hint:` line (with its newline) for an HTTP status that is a failure.
fn status_hint(status: u16) -> &'static str {
    match status {
        500..=599 | 408 | 429 => {
            "\n  hint: the server failed on every try (`--retries` sets how often plinth retries): try again later"
        }
        404 | 410 => "\n  hint: check the URL (`--index-url`, `--extra-index-url`, `--find-links`)",
        _ => "",
    }
}

/// A URL fit for messages: user name and password shown as `****`
/// (`https://****@host/simple`), query removed.
pub fn redact(url: &Url) -> String {
    let mut url = url.clone();
    let had_credentials = !url.username().is_empty() || url.password().is_some();
    let _ = url.set_username("");
    let _ = url.set_password(None);
    url.set_query(None);
    if had_credentials && url.set_username("****").is_ok() {
        return url.to_string();
    }
    url.to_string()
}

/// A URL fit for files that are kept (the lockfile's header): user name,
/// password and query removed.
pub fn strip_credentials(url: &Url) -> String {
    let mut url = url.clone();
    let _ = url.set_username("");
    let _ = url.set_password(None);
    url.set_query(None);
    url.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_never_show() {
        let url =
            Url::parse("https://user:secret@host.example/simple/?token=secret").expect("valid URL");
        assert_eq!(redact(&url), "https://****@host.example/simple/");
        assert_eq!(strip_credentials(&url), "https://host.example/simple/");
        let token = Url::parse("https://secret@host.example/simple/").expect("valid URL");
        assert_eq!(redact(&token), "https://****@host.example/simple/");
        let plain = Url::parse("https://host.example/simple/").expect("valid URL");
        assert_eq!(redact(&plain), "https://host.example/simple/");
    }
}
