//! Image references (`python:3.11-slim-bookworm@sha256:…`) and the target
//! they imply: the Python version from the tag, the platform from the OS
//! release in the tag and the architecture from `linux/amd64`-style names.
//!
//! Supported: the official `python` image (any registry or mirror whose last
//! path component is `python`) on Debian (buster, bullseye, bookworm, trixie)
//! and Alpine. Not supported: Windows images, architectures other than amd64
//! and arm64, and tags without an OS release (they move between releases).

use std::fmt;

use pep440_rs::Version;
use plinth_index::{Arch, Os, Platform, Target};

/// The newest patch release of each Python minor version plinth knows; a tag
/// that gives only `X.Y` means this patch. The one place to update.
pub const NEWEST_PATCHES: &[(u64, u64, u64)] = &[
    (3, 8, 20),
    (3, 9, 25),
    (3, 10, 19),
    (3, 11, 14),
    (3, 12, 12),
    (3, 13, 9),
    (3, 14, 0),
];

/// Debian releases the `python` image is built on, with their glibc minor
/// version (`2.NN`), oldest first.
pub const DEBIAN_RELEASES: &[(&str, u16)] = &[
    ("buster", 28),
    ("bullseye", 31),
    ("bookworm", 36),
    ("trixie", 41),
];

/// The Debian release plinth suggests when a tag names none.
pub const DEBIAN_SUGGESTED: &str = "bookworm";

/// A parsed image reference: `[REGISTRY/]REPOSITORY[:TAG][@DIGEST]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageReference {
    /// The repository, without `docker.io/` and `library/` (`python`, `ghcr.io/org/app`).
    pub repository: String,
    pub tag: Option<String>,
    pub digest: Option<String>,
}

/// The OS release an image tag names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Release {
    Debian {
        codename: String,
        glibc_minor: u16,
    },
    /// `alpine3.20` (`version: Some("3.20")`) or plain `alpine` (floating).
    Alpine {
        version: Option<String>,
    },
}

/// What an image reference says about the target.
#[derive(Debug, Clone)]
pub struct ImageTarget {
    pub target: Target,
    /// The tag gave only `X.Y`; the patch came from [`NEWEST_PATCHES`].
    pub patch_assumed: bool,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ImageError {
    #[error("Invalid image reference `{0}`")]
    Invalid(String),
    #[error(
        "Image `{0}` is not a `python` image\n  hint: plinth reads the target from the tags of the official `python` image; pass `--python-version` and `--python-platform` for others"
    )]
    NotPython(String),
    #[error(
        "Image `{image}` has no Python version in its tag\n  hint: name one, e.g. `python:3.12-slim-{DEBIAN_SUGGESTED}`"
    )]
    NoVersion { image: String },
    #[error(
        "Image `{image}`: Python `{version}` is not one plinth knows\n  hint: plinth knows {known}; give `X.Y.Z` in the tag, or pass `--python-version` and `--python-platform`"
    )]
    UnknownVersion {
        image: String,
        version: String,
        known: String,
    },
    #[error(
        "Image `{image}` has no OS release in its tag, so its platform is unknown (the tag moves to each new Debian release)\n  hint: name the release, e.g. `{suggestion}`"
    )]
    NoRelease { image: String, suggestion: String },
    #[error(
        "Image `{image}`: unknown tag part `{part}`\n  hint: plinth knows the Debian releases {debian} (optionally with `slim-`) and `alpine`/`alpine3.NN`"
    )]
    UnknownTagPart {
        image: String,
        part: String,
        debian: String,
    },
    #[error("Unsupported image platform `{0}`\n  hint: give `linux/amd64` or `linux/arm64`")]
    UnknownPlatform(String),
}

impl ImageReference {
    pub fn parse(text: &str) -> Result<Self, ImageError> {
        let invalid = || ImageError::Invalid(text.to_string());
        let text = text.trim();
        if text.is_empty() || text.chars().any(char::is_whitespace) || text.contains('$') {
            return Err(invalid());
        }
        let (rest, digest) = match text.split_once('@') {
            Some((rest, digest)) => {
                if !digest.contains(':') || digest.ends_with(':') {
                    return Err(invalid());
                }
                (rest, Some(digest.to_string()))
            }
            None => (text, None),
        };
        // A `:` after the last `/` starts the tag; one before it is a registry port.
        let last_slash = rest.rfind('/').map_or(0, |index| index + 1);
        let (repository, tag) = match rest[last_slash..].find(':') {
            Some(index) => {
                let split = last_slash + index;
                let tag = &rest[split + 1..];
                if tag.is_empty() {
                    return Err(invalid());
                }
                (&rest[..split], Some(tag.to_string()))
            }
            None => (rest, None),
        };
        if repository.is_empty() || repository.ends_with('/') {
            return Err(invalid());
        }
        let repository = ["docker.io/library/", "index.docker.io/library/", "library/"]
            .iter()
            .find_map(|prefix| repository.strip_prefix(prefix))
            .or_else(|| repository.strip_prefix("docker.io/"))
            .unwrap_or(repository);
        Ok(Self {
            repository: repository.to_string(),
            tag,
            digest,
        })
    }

    /// The last path component of the repository (`python` for `mirror.example/library/python`).
    pub fn name(&self) -> &str {
        self.repository
            .rsplit('/')
            .next()
            .unwrap_or(&self.repository)
    }

    /// The OS release the tag names, if any: a Debian codename or `alpine[X.Y]`
    /// as a `-`-separated part, or the tag of a `debian`, `ubuntu` or `alpine`
    /// image itself.
    pub fn release(&self) -> Option<Release> {
        let tag = self.tag.as_deref()?;
        for part in tag.split('-') {
            if let Some(release) = release_part(part) {
                return Some(release);
            }
        }
        // `debian:12`, `ubuntu:24.04`, `alpine:3.20`, `ubuntu:noble`.
        let versioned = tag.starts_with(|c: char| c.is_ascii_digit());
        match self.name() {
            "debian" | "ubuntu" if versioned || UBUNTU_CODENAMES.contains(&tag) => {
                Some(Release::Debian {
                    codename: tag.to_string(),
                    glibc_minor: 0,
                })
            }
            "alpine" if versioned => Some(Release::Alpine {
                version: Some(tag.to_string()),
            }),
            _ => None,
        }
    }

    /// Whether the tag pins the OS release (plain `alpine` floats).
    pub fn has_fixed_release(&self) -> bool {
        matches!(
            self.release(),
            Some(Release::Debian { .. } | Release::Alpine { version: Some(_) })
        )
    }

    /// This reference with `-RELEASE` added to the tag, as a suggestion.
    pub fn with_release_suggestion(&self) -> String {
        let tag = match self.tag.as_deref() {
            None | Some("latest") => format!("3.12-slim-{DEBIAN_SUGGESTED}"),
            Some(tag) if tag.ends_with("-alpine") || tag == "alpine" => format!("{tag}3.20"),
            Some(tag) => format!("{tag}-{DEBIAN_SUGGESTED}"),
        };
        format!("{}:{tag}", self.repository)
    }

    /// The target this `python` image implies, for `--platform` `platform`
    /// (`linux/amd64` when `None`).
    pub fn target(&self, platform: Option<&str>) -> Result<ImageTarget, ImageError> {
        let image = self.to_string();
        if self.name() != "python" {
            return Err(ImageError::NotPython(image));
        }
        let arch = parse_platform(platform.unwrap_or("linux/amd64"))?;
        let tag = self.tag.as_deref().unwrap_or("latest");
        let mut parts = tag.split('-');
        let version_text = parts.next().unwrap_or_default();
        let numbers: Vec<u64> = version_text
            .split('.')
            .map(str::parse)
            .collect::<Result<_, _>>()
            .map_err(|_| ImageError::NoVersion {
                image: image.clone(),
            })?;
        let unknown = || ImageError::UnknownVersion {
            image: image.clone(),
            version: version_text.to_string(),
            known: known_versions(),
        };
        let (release, patch_assumed) = match numbers.as_slice() {
            [major, minor] => {
                let (_, _, patch) = NEWEST_PATCHES
                    .iter()
                    .find(|(ma, mi, _)| ma == major && mi == minor)
                    .ok_or_else(unknown)?;
                (vec![*major, *minor, *patch], true)
            }
            [major, minor, _] => {
                if !NEWEST_PATCHES
                    .iter()
                    .any(|(ma, mi, _)| ma == major && mi == minor)
                {
                    return Err(unknown());
                }
                (numbers.clone(), false)
            }
            _ => {
                return Err(ImageError::NoVersion {
                    image: image.clone(),
                });
            }
        };
        let mut os_release = None;
        for part in parts {
            if part == "slim" {
                continue;
            }
            match release_part(part) {
                // Ubuntu codenames (glibc unknown here) are not `python` image tags.
                Some(Release::Debian { glibc_minor: 0, .. }) | None => {
                    return Err(ImageError::UnknownTagPart {
                        image,
                        part: part.to_string(),
                        debian: debian_names(),
                    });
                }
                Some(found) if os_release.is_none() => os_release = Some(found),
                _ => {
                    return Err(ImageError::UnknownTagPart {
                        image,
                        part: part.to_string(),
                        debian: debian_names(),
                    });
                }
            }
        }
        let Some(os_release) = os_release else {
            return Err(ImageError::NoRelease {
                suggestion: self.with_release_suggestion(),
                image,
            });
        };
        let os = match &os_release {
            Release::Debian { glibc_minor, .. } => Os::Manylinux {
                glibc_minor: *glibc_minor,
            },
            Release::Alpine { .. } => Os::Musllinux { musl_minor: 2 },
        };
        Ok(ImageTarget {
            target: Target::new(Version::new(release), Platform { os, arch }),
            patch_assumed,
        })
    }
}

impl fmt::Display for ImageReference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.repository)?;
        if let Some(tag) = &self.tag {
            write!(f, ":{tag}")?;
        }
        if let Some(digest) = &self.digest {
            write!(f, "@{digest}")?;
        }
        Ok(())
    }
}

const UBUNTU_CODENAMES: &[&str] = &["focal", "jammy", "noble", "oracular", "plucky"];

/// A Debian codename, an Ubuntu codename or `alpine[X.Y]`.
fn release_part(part: &str) -> Option<Release> {
    if let Some((codename, glibc_minor)) = DEBIAN_RELEASES.iter().find(|(name, _)| *name == part) {
        return Some(Release::Debian {
            codename: (*codename).to_string(),
            glibc_minor: *glibc_minor,
        });
    }
    if UBUNTU_CODENAMES.contains(&part) {
        return Some(Release::Debian {
            codename: part.to_string(),
            glibc_minor: 0,
        });
    }
    let version = part.strip_prefix("alpine")?;
    if version.is_empty() {
        return Some(Release::Alpine { version: None });
    }
    let valid = version.split('.').count() >= 2
        && version
            .split('.')
            .all(|number| !number.is_empty() && number.chars().all(|c| c.is_ascii_digit()));
    valid.then(|| Release::Alpine {
        version: Some(version.to_string()),
    })
}

/// `linux/amd64`, `linux/arm64`, `linux/arm64/v8`.
pub fn parse_platform(text: &str) -> Result<Arch, ImageError> {
    match text.trim().to_ascii_lowercase().as_str() {
        "linux/amd64" | "amd64" | "linux/x86_64" => Ok(Arch::X86_64),
        "linux/arm64" | "linux/arm64/v8" | "arm64" | "linux/aarch64" => Ok(Arch::Aarch64),
        _ => Err(ImageError::UnknownPlatform(text.to_string())),
    }
}

fn known_versions() -> String {
    NEWEST_PATCHES
        .iter()
        .map(|(major, minor, patch)| format!("{major}.{minor} (newest {major}.{minor}.{patch})"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn debian_names() -> String {
    DEBIAN_RELEASES
        .iter()
        .map(|(name, _)| format!("`{name}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn target(image: &str, platform: Option<&str>) -> String {
        let target = ImageReference::parse(image)
            .and_then(|reference| reference.target(platform))
            .map_err(|error| error.to_string());
        match target {
            Ok(found) => format!(
                "{} {}{}",
                found.target.python_version,
                found.target.platform,
                if found.patch_assumed {
                    " (assumed)"
                } else {
                    ""
                }
            ),
            Err(error) => error.lines().next().unwrap_or_default().to_string(),
        }
    }

    #[test]
    fn references_parse() {
        let parsed =
            ImageReference::parse("docker.io/library/python:3.11-slim-bookworm@sha256:0123abcd")
                .expect("a valid reference");
        assert_eq!(parsed.repository, "python");
        assert_eq!(parsed.tag.as_deref(), Some("3.11-slim-bookworm"));
        assert_eq!(parsed.digest.as_deref(), Some("sha256:0123abcd"));
        let parsed =
            ImageReference::parse("registry.example:5000/team/python").expect("a valid reference");
        assert_eq!(parsed.repository, "registry.example:5000/team/python");
        assert_eq!(parsed.tag, None);
        assert_eq!(parsed.name(), "python");
        for invalid in [
            "",
            "python:",
            "python@",
            "python@sha256",
            "a b",
            "python:${V}",
        ] {
            assert!(ImageReference::parse(invalid).is_err(), "{invalid}");
        }
    }

    #[test]
    fn targets_from_tags() {
        let cases = [
            ("python:3.9.9-slim-bullseye", None),
            ("python:3.12-alpine3.20", None),
            ("python:3.11-bookworm@sha256:00ff", Some("linux/arm64")),
            ("docker.io/library/python:3.11-slim-bookworm", None),
            ("python:3.10-buster", None),
            ("python:3.13-slim-trixie", Some("linux/amd64")),
            ("python:3.11", None),
            ("python", None),
            ("python:3-slim-bookworm", None),
            ("python:3.99-bookworm", None),
            ("python:3.11-bookworm-extra", None),
            ("nginx:1.27-bookworm", None),
            ("python:3.11-bookworm", Some("linux/s390x")),
        ];
        let rendered: Vec<String> = cases
            .iter()
            .map(|(image, platform)| format!("{image}: {}", target(image, *platform)))
            .collect();
        assert_eq!(
            rendered,
            [
                "python:3.9.9-slim-bullseye: 3.9.9 x86_64-manylinux_2_31",
                "python:3.12-alpine3.20: 3.12.12 x86_64-unknown-linux-musl (assumed)",
                "python:3.11-bookworm@sha256:00ff: 3.11.14 aarch64-manylinux_2_36 (assumed)",
                "docker.io/library/python:3.11-slim-bookworm: 3.11.14 x86_64-manylinux_2_36 (assumed)",
                "python:3.10-buster: 3.10.19 x86_64-manylinux_2_28 (assumed)",
                "python:3.13-slim-trixie: 3.13.9 x86_64-manylinux_2_41 (assumed)",
                "python:3.11: Image `python:3.11` has no OS release in its tag, so its platform is unknown (the tag moves to each new Debian release)",
                "python: Image `python` has no Python version in its tag",
                "python:3-slim-bookworm: Image `python:3-slim-bookworm` has no Python version in its tag",
                "python:3.99-bookworm: Image `python:3.99-bookworm`: Python `3.99` is not one plinth knows",
                "python:3.11-bookworm-extra: Image `python:3.11-bookworm-extra`: unknown tag part `extra`",
                "nginx:1.27-bookworm: Image `nginx:1.27-bookworm` is not a `python` image",
                "python:3.11-bookworm: Unsupported image platform `linux/s390x`",
            ]
        );
    }

    #[test]
    fn releases_in_any_tag() {
        let release = |image: &str| {
            ImageReference::parse(image)
                .expect("a valid reference")
                .has_fixed_release()
        };
        assert!(release("debian:bookworm-slim"));
        assert!(release("debian:12"));
        assert!(release("ubuntu:24.04"));
        assert!(release("node:22-alpine3.20"));
        assert!(!release("python:3.12-alpine"));
        assert!(!release("python:3.11-slim"));
        assert!(!release("ubuntu"));
        assert!(!release("alpine:latest"));
    }

    #[test]
    fn release_table_is_ordered() {
        assert!(DEBIAN_RELEASES.windows(2).all(|pair| pair[0].1 < pair[1].1));
        assert!(NEWEST_PATCHES.windows(2).all(|pair| pair[0] < pair[1]));
    }
}
