//! Build requirements installed once and shared by the builds that ask for
//! the same ones: `<cache_dir>/v1/build-requirements/<key>/site-packages`.
//!
//! Installing `setuptools>=40.8.0` with pip takes seconds, most of a legacy
//! sdist's build; a resolution that builds several such sdists installed it
//! for each. Each build still gets a venv of its own, whose site-packages
//! adds the shared directory with a `.pth` line (`site.addsitedir`, so the
//! `.pth` files of the installed packages, such as setuptools' distutils
//! hook, work as in a site-packages). Requirements a backend adds through
//! `get_requires_for_build_wheel` go into the build's own venv, ahead of the
//! shared directory on `sys.path`.
//!
//! The key is the interpreter, the requirements as written, pip's index
//! settings and the day: an installation serves builds for a day at most,
//! so a new release of a backend is picked up as it would be by a fresh
//! environment; those of earlier days are removed. Entries are created in a
//! temporary directory and renamed into place, so a concurrent process sees
//! a whole one or none.

use std::collections::HashMap;
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};

use sha2::{Digest, Sha256};

/// The format of the key; entries of another format are never found.
const FORMAT: &str = "plinth-build-requirements 1";

const SECONDS_PER_DAY: u64 = 24 * 60 * 60;

/// Where the installation of `requirements` for `interpreter` lives under
/// `cache_dir` today, with `pip_env` the pip settings the install runs with.
pub(crate) fn entry(
    cache_dir: &Path,
    interpreter: &Path,
    requirements: &[String],
    pip_env: &[(OsString, OsString)],
) -> PathBuf {
    let mut requirements = requirements.to_vec();
    requirements.sort();
    let mut pip: Vec<String> = pip_env
        .iter()
        .filter(|(name, _)| {
            name.to_string_lossy()
                .to_ascii_uppercase()
                .starts_with("PIP_")
        })
        .map(|(name, value)| format!("{}={}", name.to_string_lossy(), value.to_string_lossy()))
        .collect();
    pip.sort();
    let text = format!(
        "{FORMAT}\n{}\n{}\n{}",
        interpreter.display(),
        requirements.join("\n"),
        pip.join("\n")
    );
    root(cache_dir).join(format!(
        "{}-{}",
        today(),
        &hex::encode(Sha256::digest(text.as_bytes()))[..32]
    ))
}

fn root(cache_dir: &Path) -> PathBuf {
    cache_dir.join("v1").join("build-requirements")
}

fn today() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_secs() / SECONDS_PER_DAY)
}

/// The `site-packages` of `entry`, installed by `install` (given a fresh
/// directory to install into) when it is not there yet. Builds of this
/// process that want the same entry wait for the one that installs it.
pub(crate) fn get_or_install<E>(
    entry: &Path,
    install: impl FnOnce(&Path) -> Result<(), E>,
) -> Result<PathBuf, E> {
    static INSTALLING: OnceLock<Mutex<HashMap<PathBuf, Arc<Mutex<()>>>>> = OnceLock::new();
    let lock = INSTALLING
        .get_or_init(Mutex::default)
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
        .entry(entry.to_path_buf())
        .or_default()
        .clone();
    let _installing = lock.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    let site_packages = entry.join("site-packages");
    if site_packages.is_dir() {
        return Ok(site_packages);
    }
    let Some(parent) = entry.parent() else {
        return Ok(site_packages);
    };
    remove_old_days(parent);
    let staging = fs_err::create_dir_all(parent).ok().and_then(|()| {
        tempfile::Builder::new()
            .prefix(".tmp-")
            .tempdir_in(parent)
            .ok()
    });
    let Some(staging) = staging else {
        // No room in the cache: install into the entry's place directly.
        install(&site_packages)?;
        return Ok(site_packages);
    };
    install(&staging.path().join("site-packages"))?;
    // Another process may have put the same entry in place meanwhile: either
    // one serves.
    let _ = fs_err::rename(staging.path(), entry);
    Ok(site_packages)
}

/// Removes the entries of days before yesterday (a build that started
/// yesterday may still use yesterday's).
fn remove_old_days(root: &Path) {
    let Ok(entries) = fs_err::read_dir(root) else {
        return;
    };
    let today = today();
    for entry in entries.flatten() {
        let name = entry.file_name();
        let day = name
            .to_string_lossy()
            .split_once('-')
            .and_then(|(day, _)| day.parse::<u64>().ok());
        if day.is_some_and(|day| day + 1 < today) {
            let _ = fs_err::remove_dir_all(entry.path());
        }
    }
}

/// The `.pth` line that adds `site_packages` to a venv as a site directory.
pub(crate) fn pth_line(site_packages: &Path) -> String {
    let path = site_packages
        .display()
        .to_string()
        .replace('\\', "\\\\")
        .replace('\'', "\\'");
    format!("import site; site.addsitedir('{path}')\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_differ_by_what_the_install_depends_on() {
        let cache = Path::new("/cache");
        let python = Path::new("/usr/bin/python3.11");
        let setuptools = ["setuptools>=40.8.0".to_string()];
        let base = entry(cache, python, &setuptools, &[]);
        assert!(base.starts_with("/cache/v1/build-requirements"));
        let both = ["wheel".to_string(), "setuptools".to_string()];
        let reversed = ["setuptools".to_string(), "wheel".to_string()];
        assert_eq!(
            entry(cache, python, &both, &[]),
            entry(cache, python, &reversed, &[])
        );
        assert_ne!(
            base,
            entry(cache, Path::new("/usr/bin/python3.12"), &setuptools, &[])
        );
        assert_ne!(base, entry(cache, python, &reversed, &[]));
        let index = [(
            OsString::from("PIP_INDEX_URL"),
            OsString::from("https://mirror/simple"),
        )];
        assert_ne!(base, entry(cache, python, &setuptools, &index));
        let other = [(OsString::from("HOME"), OsString::from("/root"))];
        assert_eq!(base, entry(cache, python, &setuptools, &other));
    }

    #[test]
    fn an_entry_is_installed_once_and_old_days_are_removed() {
        let cache = tempfile::tempdir().expect("temp dir");
        let root = root(cache.path());
        let old = root.join(format!("{}-abc", today() - 2));
        let yesterday = root.join(format!("{}-abc", today() - 1));
        fs_err::create_dir_all(old.join("site-packages")).expect("old entry");
        fs_err::create_dir_all(yesterday.join("site-packages")).expect("yesterday's entry");
        let entry = entry(
            cache.path(),
            Path::new("python3"),
            &["demo".to_string()],
            &[],
        );
        let mut installs = 0;
        for _ in 0..2 {
            let site_packages = get_or_install(&entry, |target| {
                installs += 1;
                fs_err::create_dir_all(target)?;
                fs_err::write(target.join("demo.py"), "")
            })
            .expect("installs");
            assert!(site_packages.join("demo.py").is_file());
        }
        assert_eq!(installs, 1);
        assert!(!old.exists(), "entries of earlier days are removed");
        assert!(yesterday.exists(), "yesterday's may still be in use");
        let failed = get_or_install(&root.join("failed"), |_| Err("pip failed"));
        assert_eq!(failed, Err("pip failed"));
        assert!(
            !root.join("failed").exists(),
            "a failed install leaves nothing"
        );
    }

    #[test]
    fn the_pth_line_quotes_the_path() {
        assert_eq!(
            pth_line(Path::new("/c/it's")),
            "import site; site.addsitedir('/c/it\\'s')\n"
        );
    }
}
