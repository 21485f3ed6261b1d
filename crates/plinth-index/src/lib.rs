//! plinth-index: the async client for Python package indexes.
//!
//! Pipeline role: answers the resolver's questions (which versions exist,
//! what each one requires) from real indexes, and computes file hashes for
//! the lockfile.
//!
//! Supports the PEP 691 JSON simple API with PEP 503 HTML as fallback
//! (negotiated with `Accept`), several indexes with first-index-wins,
//! `requires-python`, yanked files (PEP 592) with reasons, `#sha256=`
//! fragments and hashes, `upload-time` for `--exclude-newer`, and core
//! metadata from PEP 658/714 files, else HTTP range requests into the wheel's
//! zip directory, else a full download. Sdists are used through their
//! `PKG-INFO` when it is static (PEP 643, Metadata-Version 2.2+). Wheel tags
//! are matched against a [`Target`] (CPython version and platform).
//!
//! Does not support: building sdists (PEP 517), `--find-links`, credentials,
//! HTTP caching of project pages (metadata and hashes are cached on disk).

mod cache;
mod client;
mod error;
mod filename;
mod metadata;
mod simple;
mod source;
mod target;
mod wheel;

pub use cache::Cache;
pub use client::{ClientOptions, ClientStats, IndexClient, ProjectPage};
pub use error::{IndexError, redact};
pub use filename::{DistFilename, WheelFilename};
pub use metadata::CoreMetadata;
pub use simple::IndexFile;
pub use source::{FileOptions, IndexSource, PackageSelection};
pub use target::{Arch, Os, PLATFORM_NAMES, Platform, Target, UnknownPlatform};
