//! plinth-index: the async client for Python package indexes.
//!
//! Pipeline role: answers the resolver's questions (which versions exist,
//! what each one requires) from real indexes, and computes file hashes for
//! the lockfile.
//!
//! Supports the PEP 691 JSON simple API with PEP 503 HTML as fallback
//! (negotiated with `Accept`), `requires-python`, yanked files (PEP 592) with reasons, `#sha256=`
//! fragments and hashes, `upload-time` for `--exclude-newer`, and core
//! metadata from PEP 658/714 files, else HTTP range requests into the wheel's
//! zip directory, else a full download. Sdists are used through their
//! `PKG-INFO` when it is static (PEP 643, Metadata-Version 2.2+). Wheel tags
//! are matched against a [`Target`] (CPython version and platform).
//!
//! Several indexes combine first-index-wins (or, opted into, best match
//! across all); `--find-links` directories and HTML pages (local or remote)
//! add their files to every index's; `file:` URLs are read from disk.
//! Credentials come from URL userinfo or a netrc file and are sent only to
//! the origin (scheme, host, port) of the URL they were given for: redirects
//! are followed by hand so that another origin never sees them, and no URL
//! the client stores, caches or shows carries them. A 401 or 403 stops with
//! a hint instead of trying the next index.
//!
//! Direct references ([`DirectReference`]: archives by URL or path, project
//! directories, git repositories cloned with the system `git`) are read by
//! [`IndexSource::direct`] into a name, version and metadata, through a
//! PEP 517 build when they have no static metadata.
//!
//! Metadata and hashes are cached on disk forever (immutable per file);
//! project and remote find-links pages are cached with HTTP semantics
//! (`Cache-Control: max-age` less `Age`, then `ETag` / `Last-Modified`
//! revalidation, [`Refresh`] to force it). Only for a "did you mean" hint
//! about a package no index has, each index's root page listing every
//! project is read and cached as a list of names for a day.
//!
//! Does not support: keyring, `Expires` or heuristic freshness (a page
//! without `max-age` is revalidated every run).

mod auth;
mod build_requirements;
mod cache;
mod client;
mod compact;
mod direct;
mod error;
mod filename;
mod find_links;
mod git;
mod grouped;
mod metadata;
mod once;
mod pins;
mod ranked;
mod simple;
mod source;
mod target;
mod wheel;

pub use build_requirements::WheelInstaller;
pub use cache::Cache;
pub use client::{ClientOptions, ClientStats, IndexClient, IndexStrategy, ProjectPage, Refresh};
pub use direct::{
    DirectDistribution, DirectReference, GitReference, display_reference, pin_git_url,
    wheel_unusable,
};
pub use error::{IndexError, redact, strip_credentials};
pub use filename::{DistFilename, WheelFilename};
pub use metadata::CoreMetadata;
pub use ranked::SharedRankings;
pub use simple::{FileUrl, IndexFile, PageError, parse_html, parse_json};
pub use source::{FileOptions, IndexSource, PackageSelection};
pub use target::{Arch, DEFAULT_MACOS, Os, PLATFORM_NAMES, Platform, Target, UnknownPlatform};

/// Frees `value` (many small allocations, say a run's projects) on a thread
/// of its own, which the end of the process may cut short: the system takes
/// the memory back then anyway. When no thread can be started, it is freed
/// here.
pub(crate) fn free_on_a_thread<T: Send + 'static>(value: T) {
    let _ = std::thread::Builder::new()
        .name("plinth-free".to_string())
        .spawn(move || drop(value));
}

/// A value that, dropped, is freed by [`free_on_a_thread`]: for what a run
/// gathers in many small allocations and drops as it ends (its projects,
/// the metadata it read, the requirements it parsed; the client's maps
/// alone were ~3 % of an `--offline` resolution of airflow and its
/// providers on the main thread).
#[derive(Debug, Default)]
pub(crate) struct FreedApart<T: Default + Send + 'static>(T);

impl<T: Default + Send + 'static> std::ops::Deref for FreedApart<T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T: Default + Send + 'static> Drop for FreedApart<T> {
    fn drop(&mut self) {
        free_on_a_thread(std::mem::take(&mut self.0));
    }
}

#[cfg(test)]
mod tests {
    use std::sync::mpsc::{Sender, channel};
    use std::time::Duration;

    use super::FreedApart;

    /// Says, when dropped, the name of the thread that dropped it.
    #[derive(Default)]
    struct Telling(Option<Sender<Option<String>>>);

    impl Drop for Telling {
        fn drop(&mut self) {
            if let Some(sender) = self.0.take() {
                let _ = sender.send(std::thread::current().name().map(str::to_string));
            }
        }
    }

    #[test]
    fn a_value_freed_apart_is_dropped_on_a_thread_of_its_own() {
        let (sender, receiver) = channel();
        let value = FreedApart(Telling(Some(sender)));
        let read_through: &Telling = &value;
        assert!(read_through.0.is_some());
        drop(value);
        let dropped_on = receiver
            .recv_timeout(Duration::from_secs(10))
            .expect("dropped");
        assert_eq!(dropped_on.as_deref(), Some("plinth-free"));
    }
}
