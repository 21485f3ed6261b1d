//! Environment variables plinth reads, in one place.

/// Cache directory (same as `--cache-dir`).
pub const CACHE_DIR: &str = "PLINTH_CACHE_DIR";
/// The interpreter used to discover the default target (default: `python3`).
pub const PYTHON: &str = "PLINTH_PYTHON";
/// A netrc file with index credentials, instead of `~/.netrc`.
pub const NETRC: &str = "NETRC";
