//! Environment variables plinth reads, in one place.

/// Cache directory (same as `--cache-dir`).
pub const CACHE_DIR: &str = "PLINTH_CACHE_DIR";
/// The interpreter used to discover the default target (default: `python3`).
pub const PYTHON: &str = "PLINTH_PYTHON";
/// A netrc file with index credentials, instead of `~/.netrc`.
pub const NETRC: &str = "NETRC";
/// The Debian mirror `lint-docker --pin-apt` reads `Packages` indexes from
/// (default: `http://deb.debian.org/debian`).
pub const DEBIAN_MIRROR: &str = "PLINTH_DEBIAN_MIRROR";
/// `0` or `1`: whether to ask the first index's JSON API (`/pypi/NAME/json`)
/// what each project's latest release depends on, to run ahead sooner on a
/// cold run (default: only when the first index is PyPI or TestPyPI).
pub const RELEASE_HINTS: &str = "PLINTH_RELEASE_HINTS";
/// The macOS release a `*-apple-darwin` target (or this Mac) runs on, as
/// in uv (default: 13.0).
pub const MACOSX_DEPLOYMENT_TARGET: &str = "MACOSX_DEPLOYMENT_TARGET";

/// The value of [`MACOSX_DEPLOYMENT_TARGET`], unless it is unset or blank
/// (as uv reads it).
pub fn macos_deployment_target() -> Option<String> {
    std::env::var(MACOSX_DEPLOYMENT_TARGET)
        .ok()
        .filter(|value| !value.trim().is_empty())
}
