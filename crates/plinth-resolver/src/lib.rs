//! plinth-resolver: PubGrub resolution of Python requirements.
//!
//! Pipeline role: takes the root requirements (already parsed) and a
//! [`PackageSource`] (what the indexes know, behind a trait) and returns the
//! pinned set with the edges needed for `# via` annotations.
//!
//! Supports PEP 440 versions with a local- and post-aware specifier-to-range
//! conversion, PEP 508 markers evaluated for one target environment, extras as
//! virtual packages, `Requires-Python` as a virtual `Python` package, yanked
//! versions (skipped unless pinned with `==`), the PEP 440 pre-release policy,
//! constraints, preferences (existing pins) and uv-style overrides
//! ([`ResolveOptions::overrides`]: requirements that replace every requirement
//! on their name). The extras in use of each pin are reported, for
//! `--no-strip-extras`.
//!
//! Direct references (`name @ URL`, paths, git) are resolved by the caller
//! into a [`DirectDist`] each, given in [`ResolveOptions::direct`]: that
//! version is the only one of its name, and every other requirement on the
//! name must accept it. A package's metadata may name a URL only for a name
//! the user gave one for (the user's wins).
//!
//! A failed resolution is explained in words, naming the input line of each
//! root requirement and constraint involved, with `hint:` lines; for a
//! package no index has, close names ([`similar_names`], from candidates that
//! [`PackageSource::similar_names`] supplies) are suggested.
//!
//! Does not support: universal (multi-environment) resolution. It performs no I/O:
//! no network, filesystem or terminal.

mod package;
mod provider;
mod report;
mod source;
pub mod specifiers;
mod suggest;

pub use package::Package;
pub use provider::{
    Resolution, ResolveError, ResolveOptions, ResolvedPackage, RootRequirement, resolve,
};
pub use pubgrub::Ranges;
pub use source::{
    DirectDist, ExtraLines, Metadata, MetadataResult, PackageSource, PackageVersions,
    ParseRequirement, SourceError, VersionInfo,
};
pub use suggest::{MAX_SUGGESTIONS, similar_names};
