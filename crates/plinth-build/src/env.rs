//! The scrubbed environment of every build subprocess (see the crate doc for the rule).

use std::ffi::{OsStr, OsString};

/// Variables passed through by name (compared case-insensitively, so `https_proxy` and
/// Windows' `Path` count too).
const PASSED: &[&str] = &[
    // Finding programs, a home, a temp dir and a locale.
    "PATH",
    "HOME",
    "TMPDIR",
    "TEMP",
    "TMP",
    "LANG",
    "LC_ALL",
    "LC_CTYPE",
    // Windows basics.
    "SYSTEMROOT",
    "SYSTEMDRIVE",
    "COMSPEC",
    "PATHEXT",
    "USERPROFILE",
    "APPDATA",
    "LOCALAPPDATA",
    // TLS trust roots.
    "SSL_CERT_FILE",
    "SSL_CERT_DIR",
    "REQUESTS_CA_BUNDLE",
    // Network proxies.
    "HTTP_PROXY",
    "HTTPS_PROXY",
    "ALL_PROXY",
    "NO_PROXY",
    // pyenv shims, to find the interpreter the user selected.
    "PYENV_ROOT",
    "PYENV_VERSION",
];

/// Variables whose names contain one of these are never passed, whatever else they match.
const FORBIDDEN: &[&str] = &[
    "TOKEN",
    "PASSWORD",
    "PASSWD",
    "SECRET",
    "AUTH",
    "CREDENTIAL",
    "NETRC",
    "KEY",
];

/// pip settings that would send the install somewhere other than the build environment.
const PIP_DROPPED: &[&str] = &[
    "PIP_USER",
    "PIP_TARGET",
    "PIP_PREFIX",
    "PIP_ROOT",
    "PIP_PYTHON",
];

/// The environment given to build subprocesses: the allow-listed variables of
/// `variables` plus the `PIP_*` settings that carry no credentials.
pub(crate) fn scrubbed(
    variables: impl IntoIterator<Item = (OsString, OsString)>,
) -> Vec<(OsString, OsString)> {
    let mut kept: Vec<(OsString, OsString)> = variables
        .into_iter()
        .filter(|(name, value)| is_passed(name, value))
        .collect();
    kept.sort();
    kept
}

fn is_passed(name: &OsStr, value: &OsStr) -> bool {
    let Some(name) = name.to_str() else {
        return false;
    };
    let upper = name.to_ascii_uppercase();
    if FORBIDDEN.iter().any(|word| upper.contains(word)) {
        return false;
    }
    if PASSED.contains(&upper.as_str()) {
        return true;
    }
    if upper.starts_with("PIP_") && !PIP_DROPPED.contains(&upper.as_str()) {
        // A value we cannot inspect, or one with a URL carrying `user:password@`, stays out.
        return value.to_str().is_some_and(|value| !has_userinfo(value));
    }
    false
}

/// pip settings that change what pip would install; when one is in the
/// environment, pip installs build requirements as configured rather than
/// plinth's installer (`PIP_FIND_LINKS` only when it names a file or a
/// directory with something in it).
const PIP_CHOOSES: &[&str] = &[
    "PIP_CONSTRAINT",
    "PIP_BUILD_CONSTRAINT",
    "PIP_ONLY_BINARY",
    "PIP_NO_BINARY",
    "PIP_PRE",
    "PIP_EXTRA_INDEX_URL",
    "PIP_NO_INDEX",
];

/// The `PIP_*` variable of `env` that asks pip to choose differently from
/// plinth (see [`PIP_CHOOSES`]), if any.
pub(crate) fn pip_setting_that_chooses(env: &[(OsString, OsString)]) -> Option<String> {
    env.iter().find_map(|(name, value)| {
        let name = name.to_string_lossy().to_ascii_uppercase();
        let value = value.to_string_lossy();
        let chooses = if name == "PIP_FIND_LINKS" {
            value.split_whitespace().any(|location| {
                let path =
                    std::path::Path::new(location.strip_prefix("file://").unwrap_or(location));
                location.contains("://") && !location.starts_with("file://")
                    || path.is_file()
                    || fs_err::read_dir(path).is_ok_and(|mut entries| entries.next().is_some())
            })
        } else {
            PIP_CHOOSES.contains(&name.as_str()) && !value.trim().is_empty()
        };
        chooses.then_some(name)
    })
}

/// Whether any URL in `value` (a whitespace-separated list, as pip reads them) has userinfo.
pub(crate) fn has_userinfo(value: &str) -> bool {
    value.split_whitespace().any(|token| {
        token.find("://").is_some_and(|start| {
            token[start + 3..]
                .split(['/', '?', '#'])
                .next()
                .is_some_and(|authority| authority.contains('@'))
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(variables: &[(&str, &str)]) -> Vec<String> {
        scrubbed(
            variables
                .iter()
                .map(|(name, value)| (OsString::from(name), OsString::from(value))),
        )
        .into_iter()
        .map(|(name, _)| name.to_string_lossy().into_owned())
        .collect()
    }

    #[test]
    fn keeps_only_allowed_variables() {
        let kept = names(&[
            ("PATH", "/usr/bin"),
            ("HOME", "/root"),
            ("https_proxy", "http://proxy:3128"),
            ("SSL_CERT_FILE", "/etc/ssl/cert.pem"),
            ("PIP_CERT", "/etc/ssl/cert.pem"),
            ("PIP_FIND_LINKS", "/opt/wheels"),
            ("PIP_EXTRA_INDEX_URL", "https://pypi.example/simple"),
            ("PIP_INDEX_URL", "https://pypi.example/simple"),
            ("PIP_USER", "1"),
            ("PIP_KEYRING_PROVIDER", "subprocess"),
            ("PIP_PASSWORD", "hunter2"),
            ("GITHUB_TOKEN", "ghp_x"),
            ("AWS_SECRET_ACCESS_KEY", "x"),
            ("NETRC", "/root/.netrc"),
            ("PYTHONPATH", "/evil"),
            ("LD_PRELOAD", "/evil.so"),
            ("CARGO_HOME", "/root/.cargo"),
        ]);
        assert_eq!(
            kept,
            [
                "HOME",
                "PATH",
                "PIP_CERT",
                "PIP_EXTRA_INDEX_URL",
                "PIP_FIND_LINKS",
                "PIP_INDEX_URL",
                "SSL_CERT_FILE",
                "https_proxy",
            ]
        );
    }

    #[test]
    fn drops_pip_urls_with_credentials() {
        let kept = names(&[
            (
                "PIP_EXTRA_INDEX_URL",
                "https://a.example/simple https://user:hunter2@b.example/simple",
            ),
            ("PIP_FIND_LINKS", "https://token@c.example/links"),
            ("PIP_TRUSTED_HOST", "c.example"),
        ]);
        assert_eq!(kept, ["PIP_TRUSTED_HOST"]);
    }

    #[test]
    fn pip_settings_that_choose_what_to_install() {
        let empty = tempfile::tempdir().expect("temp dir");
        let full = tempfile::tempdir().expect("temp dir");
        fs_err::write(full.path().join("setuptools-1.0-py3-none-any.whl"), "").expect("file");
        let env = |pairs: &[(&str, &str)]| -> Vec<(OsString, OsString)> {
            pairs
                .iter()
                .map(|(name, value)| (name.into(), value.into()))
                .collect()
        };
        let empty_dir = empty.path().to_string_lossy().into_owned();
        let full_dir = full.path().to_string_lossy().into_owned();
        assert_eq!(
            pip_setting_that_chooses(&env(&[
                ("PIP_CERT", "/etc/ssl/certs/ca.crt"),
                ("PIP_DEFAULT_TIMEOUT", "180"),
                ("PIP_FIND_LINKS", &empty_dir),
                ("PIP_INDEX_URL", "https://mirror/simple"),
            ])),
            None
        );
        assert_eq!(
            pip_setting_that_chooses(&env(&[("PIP_FIND_LINKS", &full_dir)])).as_deref(),
            Some("PIP_FIND_LINKS")
        );
        assert_eq!(
            pip_setting_that_chooses(&env(&[("PIP_FIND_LINKS", "https://wheels.example/")]))
                .as_deref(),
            Some("PIP_FIND_LINKS")
        );
        assert_eq!(
            pip_setting_that_chooses(&env(&[("pip_constraint", "/c.txt")])).as_deref(),
            Some("PIP_CONSTRAINT")
        );
    }

    #[test]
    fn userinfo_detection() {
        assert!(has_userinfo("https://user:pass@host/simple"));
        assert!(has_userinfo("https://token@host"));
        assert!(!has_userinfo("https://host/simple/pkg@1.0"));
        assert!(!has_userinfo("https://host/simple?user=a@b"));
        assert!(!has_userinfo("/opt/wheels"));
    }
}
