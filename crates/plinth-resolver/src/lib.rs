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
//! constraints and preferences (existing pins).
//!
//! Does not support: direct URL requirements (they are reported as
//! unavailable), universal (multi-environment) resolution. It performs no I/O:
//! no network, filesystem or terminal.

mod package;
mod provider;
mod report;
mod source;
pub mod specifiers;

pub use package::Package;
pub use provider::{
    Resolution, ResolveError, ResolveOptions, ResolvedPackage, RootRequirement, resolve,
};
pub use pubgrub::Ranges;
pub use source::{
    Metadata, MetadataResult, PackageSource, PackageVersions, SourceError, VersionInfo,
};
