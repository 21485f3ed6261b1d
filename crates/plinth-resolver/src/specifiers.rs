//! PEP 440 specifiers as PubGrub ranges.
//!
//! pep440_rs 0.7 converts most operators correctly, but gets local versions
//! (`==1.0` must admit `1.0+local`) and some post releases wrong. This module
//! fixes those operators and delegates the rest.

use std::ops::Bound;

use pep440_rs::{Operator, Version, VersionSpecifier, VersionSpecifiers};
use pubgrub::Ranges;

/// The range of versions that satisfy every specifier.
pub fn specifiers_to_range(specifiers: &VersionSpecifiers) -> Ranges<Version> {
    specifiers.iter().fold(Ranges::full(), |range, specifier| {
        range.intersection(&specifier_to_range(specifier))
    })
}

/// The range of versions that satisfy one specifier, local and post aware.
pub fn specifier_to_range(specifier: &VersionSpecifier) -> Ranges<Version> {
    let version = specifier.version();
    let has_local = !version.local().is_empty();
    match specifier.operator() {
        Operator::Equal if !has_local => Ranges::between(version.clone(), successor(version)),
        Operator::NotEqual if !has_local => {
            Ranges::between(version.clone(), successor(version)).complement()
        }
        Operator::LessThanEqual if !has_local => Ranges::strictly_lower_than(successor(version)),
        Operator::GreaterThan if version.post().is_some() && version.dev().is_none() => {
            Ranges::higher_than(successor(version))
        }
        Operator::LessThan
            if version.post().is_some() && version.dev().is_none() && version.pre().is_none() =>
        {
            // `<1.0.post1` admits `1.0` and its pre-releases, but no
            // pre-release of `1.0.post1` itself (as `packaging` decides).
            Ranges::strictly_lower_than(version.clone().with_dev(Some(0)))
        }
        _ => Ranges::from(specifier.clone()),
    }
}

/// The smallest version above `version` and every `version+local`.
pub fn successor(version: &Version) -> Version {
    let public = version.clone().without_local();
    match public.dev() {
        Some(dev) => public.with_dev(Some(dev + 1)),
        None => {
            let post = public.post().map_or(0, |post| post + 1);
            public.with_post(Some(post)).with_dev(Some(0))
        }
    }
}

/// Whether every segment of `range` is one version with its local builds
/// (`==1.2`), or one version.
pub fn is_exact(range: &Ranges<Version>) -> bool {
    !range.is_empty()
        && range.iter().all(|segment| match segment {
            (Bound::Included(low), Bound::Included(high)) => low == high,
            (Bound::Included(low), Bound::Excluded(high)) => *high == successor(low),
            _ => false,
        })
}

#[cfg(test)]
mod tests {
    use std::str::FromStr;

    use super::*;

    fn contains(specifiers: &str, version: &str) -> bool {
        let specifiers = VersionSpecifiers::from_str(specifiers).expect("valid specifiers");
        let version = Version::from_str(version).expect("valid version");
        specifiers_to_range(&specifiers).contains(&version)
    }

    #[test]
    fn local_versions_match_equal_and_less_equal() {
        assert!(contains("==1.0", "1.0+local"));
        assert!(contains("==1.0", "1.0.0"));
        assert!(!contains("==1.0", "1.0.post0"));
        assert!(!contains("==1.0", "1.0.1"));
        assert!(contains("<=1.0", "1.0+cpu"));
        assert!(!contains("<=1.0", "1.0.post1"));
        assert!(!contains("!=1.0", "1.0+cpu"));
        assert!(contains("!=1.0", "1.0.post1"));
        assert!(contains("==1.0+cpu", "1.0+cpu"));
        assert!(!contains("==1.0+cpu", "1.0+gpu"));
    }

    #[test]
    fn post_releases() {
        assert!(contains("<1.0.post1", "1.0"));
        assert!(contains("<1.0.post1", "1.0.post0"));
        assert!(!contains("<1.0.post1", "1.0.post1"));
        assert!(contains("<1.0.post1", "1.0a1"));
        assert!(!contains("<1.0.post1", "1.0.post1.dev2"));
        assert!(contains("<1.0.post1", "0.9"));
        assert!(contains(">1.0.post1", "1.0.post2.dev0"));
        assert!(contains(">1.0.post1", "1.0.post2"));
        assert!(!contains(">1.0.post1", "1.0.post1+local"));
        assert!(!contains(">1.0", "1.0.post1"));
        assert!(!contains(">1.0", "1.0+local"));
        assert!(contains(">1.0", "1.0.1"));
    }

    #[test]
    fn pre_releases_and_wildcards() {
        assert!(!contains("<2.0", "2.0rc1"));
        assert!(contains("<2.0rc2", "2.0rc1"));
        assert!(contains("==1.2.*", "1.2.5"));
        assert!(!contains("==1.2.*", "1.3"));
        assert!(!contains("!=1.*", "1.5"));
        assert!(contains("~=1.4.2", "1.4.9"));
        assert!(!contains("~=1.4.2", "1.5"));
        assert!(contains(">=1.0,<2", "1.9.9"));
    }
}
