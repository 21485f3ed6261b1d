//! Credentials for indexes and find-links URLs, and where they may go.
//!
//! Credentials come from the userinfo of a configured URL
//! (`https://user:password@host/simple`) or, for a configured URL without
//! them, from a netrc file (`machine HOST login USER password PASSWORD`, or a
//! `default` entry). Either way they belong to the *origin* of that URL
//! (scheme, host and port) and are sent to no other: a file on the same
//! origin gets them, a file on another host or port, or a redirect there,
//! does not. The URLs the client requests never carry credentials, so they
//! cannot reach messages, cache keys or cached pages.

use std::fmt;
use std::path::{Path, PathBuf};

use url::Url;

/// A user name and password; `Debug` shows neither.
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    pub username: String,
    pub password: Option<String>,
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Credentials(****)")
    }
}

/// Where a credential came from, for hints.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CredentialSource {
    /// The userinfo of the configured URL.
    Url,
    /// A netrc file: its `machine` entry for the host, or (`None`) its `default` entry.
    Netrc {
        path: PathBuf,
        machine: Option<String>,
    },
}

impl fmt::Display for CredentialSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CredentialSource::Url => f.write_str("the URL"),
            CredentialSource::Netrc {
                path,
                machine: Some(machine),
            } => write!(
                f,
                "the `machine {machine}` entry of the netrc file `{}`",
                path.display()
            ),
            CredentialSource::Netrc {
                path,
                machine: None,
            } => write!(
                f,
                "the `default` entry of the netrc file `{}`",
                path.display()
            ),
        }
    }
}

/// Scheme, host and port: credentials never cross it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Origin {
    scheme: String,
    host: String,
    port: Option<u16>,
}

impl Origin {
    /// `None` for URLs without a host (`file:` URLs).
    pub fn of(url: &Url) -> Option<Self> {
        Some(Self {
            scheme: url.scheme().to_ascii_lowercase(),
            host: url.host_str()?.to_ascii_lowercase(),
            port: url.port_or_known_default(),
        })
    }

    /// Whether credentials given for `self` may go to `other`: the same
    /// origin, or the upgrade of `http://host` to `https://host` on the
    /// standard ports (as pip allows on redirects).
    fn admits(&self, other: &Origin) -> bool {
        self == other
            || (self.host == other.host
                && (self.scheme.as_str(), self.port) == ("http", Some(80))
                && (other.scheme.as_str(), other.port) == ("https", Some(443)))
    }
}

/// A configured URL that has credentials.
#[derive(Debug, Clone)]
struct Realm {
    origin: Origin,
    path: String,
    credentials: Credentials,
    source: CredentialSource,
}

/// The credentials of every configured URL, looked up by request URL.
#[derive(Debug, Clone, Default)]
pub struct CredentialStore {
    realms: Vec<Realm>,
}

impl CredentialStore {
    /// Credentials of `urls` (indexes and find-links, as configured: userinfo
    /// included), completed from `netrc`.
    pub fn new(urls: &[Url], netrc: Option<&Netrc>) -> Self {
        let mut realms = Vec::new();
        for url in urls {
            let Some(origin) = Origin::of(url) else {
                continue;
            };
            let host = url.host_str().unwrap_or_default();
            let from_netrc = netrc.and_then(|netrc| netrc.lookup(host));
            let username = percent_decode(url.username());
            let password = url.password().map(percent_decode);
            let found = if username.is_empty() && password.is_none() {
                from_netrc.map(|(entry, path, machine)| {
                    let credentials = Credentials {
                        username: entry.login.clone(),
                        password: entry.password.clone(),
                    };
                    let source = CredentialSource::Netrc {
                        path: path.to_path_buf(),
                        machine: machine.map(str::to_string),
                    };
                    (credentials, source)
                })
            } else {
                // A user name without a password (a token, or a name
                // whose password is in netrc for that login).
                let password = password.or_else(|| {
                    from_netrc
                        .filter(|(entry, _, _)| entry.login == username)
                        .and_then(|(entry, _, _)| entry.password.clone())
                });
                Some((Credentials { username, password }, CredentialSource::Url))
            };
            if let Some((credentials, source)) = found {
                realms.push(Realm {
                    origin,
                    path: url.path().to_string(),
                    credentials,
                    source,
                });
            }
        }
        Self { realms }
    }

    /// The credentials for a request to `url`: those of a configured URL of
    /// the same origin, preferring the longest path that contains `url`.
    pub fn for_url(&self, url: &Url) -> Option<(&Credentials, &CredentialSource)> {
        let origin = Origin::of(url)?;
        let same_origin = self
            .realms
            .iter()
            .filter(|realm| realm.origin.admits(&origin));
        same_origin
            .clone()
            .filter(|realm| url.path().starts_with(&realm.path))
            .max_by_key(|realm| realm.path.len())
            .or_else(|| same_origin.clone().next())
            .map(|realm| (&realm.credentials, &realm.source))
    }
}

/// One `machine` (or `default`) entry of a netrc file.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct NetrcEntry {
    pub login: String,
    pub password: Option<String>,
}

impl fmt::Debug for NetrcEntry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("NetrcEntry(****)")
    }
}

/// A parsed netrc file (the format of curl, ftp and Python's `netrc`).
#[derive(Debug, Clone, Default)]
pub struct Netrc {
    path: PathBuf,
    machines: Vec<(String, NetrcEntry)>,
    default: Option<NetrcEntry>,
}

impl Netrc {
    /// Read `path`; `None` when it does not exist or cannot be read.
    pub fn read(path: &Path) -> Option<Self> {
        let text = fs_err::read_to_string(path).ok()?;
        Some(Self::parse(&text, path))
    }

    /// Parse netrc text: `machine`, `default`, `login`, `password`,
    /// `account` and `macdef` (skipped to the next blank line), `#` comments,
    /// double-quoted tokens. Unknown tokens are skipped.
    pub fn parse(text: &str, path: &Path) -> Self {
        let mut netrc = Self {
            path: path.to_path_buf(),
            ..Self::default()
        };
        // `None`: before any entry; `Some(None)`: the default entry.
        let mut current: Option<(Option<String>, NetrcEntry)> = None;
        let finish =
            |current: Option<(Option<String>, NetrcEntry)>, netrc: &mut Netrc| match current {
                Some((Some(machine), entry)) => netrc.machines.push((machine, entry)),
                Some((None, entry)) => {
                    netrc.default.get_or_insert(entry);
                }
                None => {}
            };
        let mut tokens = Tokens::new(text);
        while let Some(token) = tokens.next() {
            match token.as_str() {
                "machine" => {
                    finish(current.take(), &mut netrc);
                    current = tokens
                        .next()
                        .map(|machine| (Some(machine), NetrcEntry::default()));
                }
                "default" => {
                    finish(current.take(), &mut netrc);
                    current = Some((None, NetrcEntry::default()));
                }
                "login" | "password" | "account" => {
                    let value = tokens.next().unwrap_or_default();
                    if let Some((_, entry)) = &mut current {
                        match token.as_str() {
                            "login" => entry.login = value,
                            "password" => entry.password = Some(value),
                            _ => {}
                        }
                    }
                }
                "macdef" => {
                    finish(current.take(), &mut netrc);
                    tokens.skip_macro();
                }
                _ => {}
            }
        }
        finish(current, &mut netrc);
        netrc
    }

    /// The entry for `host` (the first `machine` entry naming it, with that
    /// name), else the `default` entry (with `None`); with the file's path.
    pub fn lookup(&self, host: &str) -> Option<(&NetrcEntry, &Path, Option<&str>)> {
        self.machines
            .iter()
            .find(|(machine, _)| machine.eq_ignore_ascii_case(host))
            .map(|(machine, entry)| (entry, Some(machine.as_str())))
            .or(self.default.as_ref().map(|entry| (entry, None)))
            .map(|(entry, machine)| (entry, self.path.as_path(), machine))
    }
}

/// Whitespace-separated netrc tokens, with `#` comment lines and quotes.
struct Tokens<'a> {
    rest: &'a str,
}

impl<'a> Tokens<'a> {
    fn new(text: &'a str) -> Self {
        Self { rest: text }
    }

    fn next(&mut self) -> Option<String> {
        loop {
            self.rest = self.rest.trim_start();
            if self.rest.starts_with('#') {
                let end = self.rest.find('\n').unwrap_or(self.rest.len());
                self.rest = &self.rest[end..];
                continue;
            }
            break;
        }
        if self.rest.is_empty() {
            return None;
        }
        if let Some(quoted) = self.rest.strip_prefix('"') {
            let mut token = String::new();
            let mut characters = quoted.char_indices();
            while let Some((index, character)) = characters.next() {
                match character {
                    '"' => {
                        self.rest = &quoted[index + 1..];
                        return Some(token);
                    }
                    '\\' => token.extend(characters.next().map(|(_, escaped)| escaped)),
                    _ => token.push(character),
                }
            }
            self.rest = "";
            return Some(token);
        }
        let end = self
            .rest
            .find(char::is_whitespace)
            .unwrap_or(self.rest.len());
        let token = self.rest[..end].to_string();
        self.rest = &self.rest[end..];
        Some(token)
    }

    /// Skip a `macdef` name and body: up to the next empty line.
    fn skip_macro(&mut self) {
        match self.rest.find("\n\n") {
            Some(end) => self.rest = &self.rest[end..],
            None => self.rest = "",
        }
    }
}

/// `url` without user name and password.
pub fn without_credentials(url: &Url) -> Url {
    let mut url = url.clone();
    let _ = url.set_username("");
    let _ = url.set_password(None);
    url
}

/// Decode `%XX` escapes (userinfo and paths in URLs are percent-encoded);
/// invalid escapes are kept as written.
pub(crate) fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut decoded = Vec::with_capacity(bytes.len());
    let mut index = 0;
    while index < bytes.len() {
        let escaped = (bytes[index] == b'%')
            .then(|| bytes.get(index + 1..index + 3))
            .flatten()
            .and_then(|hex| std::str::from_utf8(hex).ok())
            .and_then(|hex| u8::from_str_radix(hex, 16).ok());
        match escaped {
            Some(byte) => {
                decoded.push(byte);
                index += 3;
            }
            None => {
                decoded.push(bytes[index]);
                index += 1;
            }
        }
    }
    String::from_utf8_lossy(&decoded).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(text: &str) -> Url {
        Url::parse(text).expect("valid URL")
    }

    #[test]
    fn netrc_entries() {
        let netrc = Netrc::parse(
            "# comment\nmachine a.example login alice password \"p w\\\"d\"\n\
             macdef init\ncd /\nls\n\nmachine b.example\n  login bob\n  account x\n  password b\n\
             default login anonymous password guest\n",
            Path::new("netrc"),
        );
        let (a, _, machine) = netrc.lookup("A.example").expect("a");
        assert_eq!(machine, Some("a.example"));
        assert_eq!(a.login, "alice");
        assert_eq!(a.password.as_deref(), Some("p w\"d"));
        let (b, _, _) = netrc.lookup("b.example").expect("b");
        assert_eq!(
            (b.login.as_str(), b.password.as_deref()),
            ("bob", Some("b"))
        );
        let (other, _, machine) = netrc.lookup("c.example").expect("default");
        assert_eq!(machine, None);
        assert_eq!(other.login, "anonymous");
        assert!(Netrc::parse("", Path::new("n")).lookup("a").is_none());
    }

    #[test]
    fn credentials_stay_on_their_origin() {
        let store = CredentialStore::new(
            &[
                url("https://u:p%40ss@private.example/simple/"),
                url("https://other.example/simple/"),
            ],
            None,
        );
        let (credentials, source) = store
            .for_url(&url("https://private.example/files/a.whl"))
            .expect("same origin");
        assert_eq!(credentials.username, "u");
        assert_eq!(credentials.password.as_deref(), Some("p@ss"));
        assert_eq!(*source, CredentialSource::Url);
        assert!(
            CredentialStore::new(&[url("http://u:p@h.example/simple/")], None)
                .for_url(&url("https://h.example/simple/six/"))
                .is_some(),
            "an upgrade to https keeps them"
        );
        for other in [
            "http://private.example/simple/",
            "https://private.example:8443/simple/",
            "https://files.example/a.whl",
            "https://other.example/simple/",
            "file:///private.example/simple/",
        ] {
            assert!(store.for_url(&url(other)).is_none(), "{other}");
        }
        assert_eq!(format!("{credentials:?}"), "Credentials(****)");
    }

    #[test]
    fn netrc_fills_urls_without_credentials() {
        let netrc = Netrc::parse(
            "machine host.example login n password secret\n",
            Path::new("/home/me/.netrc"),
        );
        let store = CredentialStore::new(
            &[
                url("https://host.example:8080/simple/"),
                url("https://n@host.example/other/"),
            ],
            Some(&netrc),
        );
        let (credentials, source) = store
            .for_url(&url("https://host.example:8080/simple/six/"))
            .expect("from netrc");
        assert_eq!(credentials.password.as_deref(), Some("secret"));
        assert_eq!(
            *source,
            CredentialSource::Netrc {
                path: PathBuf::from("/home/me/.netrc"),
                machine: Some("host.example".to_string()),
            }
        );
        let (credentials, source) = store
            .for_url(&url("https://host.example/other/six/"))
            .expect("user from the URL, password from netrc");
        assert_eq!(
            (
                credentials.username.as_str(),
                credentials.password.as_deref()
            ),
            ("n", Some("secret"))
        );
        assert_eq!(*source, CredentialSource::Url);
    }
}
