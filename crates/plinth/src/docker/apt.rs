//! `lint-docker --pin-apt`: the versions of `apt-get install` packages in a
//! Debian release's `Packages` index (`dists/RELEASE/main/binary-ARCH/Packages.gz`
//! of a mirror).
//!
//! Only the release's `main` component is read, as of its last point release:
//! security updates published since (`RELEASE-security`) are not seen, so a pin
//! may be one security update behind until the next point release.

use std::collections::HashMap;
use std::io::Read;
use std::time::Duration;

use anyhow::Context;
use flate2::read::GzDecoder;

/// The mirror used when neither `--debian-mirror` nor `PLINTH_DEBIAN_MIRROR` names one.
pub const DEFAULT_MIRROR: &str = "http://deb.debian.org/debian";

/// Package name -> version, from the text of a `Packages` file (the first
/// paragraph of a name wins).
pub fn parse_packages(text: &str) -> HashMap<String, String> {
    let mut versions = HashMap::new();
    for paragraph in text.split("\n\n") {
        let mut name = None;
        let mut version = None;
        for line in paragraph.lines() {
            if let Some(value) = line.strip_prefix("Package:") {
                name = Some(value.trim());
            } else if let Some(value) = line.strip_prefix("Version:") {
                version = Some(value.trim());
            }
        }
        if let (Some(name), Some(version)) = (name, version) {
            versions
                .entry(name.to_string())
                .or_insert_with(|| version.to_string());
        }
    }
    versions
}

/// The URL of the `Packages.gz` index of `release` for `arch` (`amd64`, `arm64`).
pub fn packages_url(mirror: &str, release: &str, arch: &str) -> String {
    format!(
        "{}/dists/{release}/main/binary-{arch}/Packages.gz",
        mirror.trim_end_matches('/')
    )
}

/// Fetches and parses a `Packages.gz` index.
pub fn fetch_packages(url: &str) -> anyhow::Result<HashMap<String, String>> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("Failed to start the async runtime")?;
    let bytes = runtime.block_on(async {
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(300))
            .build()?;
        let response = client.get(url).send().await?.error_for_status()?;
        response.bytes().await
    });
    let bytes = bytes.map_err(|error| {
        let error = error.without_url();
        anyhow::anyhow!(
            "Failed to fetch `{url}`: {error}\n  hint: check the release and the mirror (`--debian-mirror`, `PLINTH_DEBIAN_MIRROR`)"
        )
    })?;
    let mut text = String::new();
    GzDecoder::new(bytes.as_ref())
        .read_to_string(&mut text)
        .with_context(|| format!("`{url}` is not a gzip-compressed `Packages` index"))?;
    Ok(parse_packages(&text))
}

/// Debian's name for an image architecture.
pub fn debian_arch(platform: Option<&str>) -> anyhow::Result<&'static str> {
    match super::image::parse_platform(platform.unwrap_or("linux/amd64"))? {
        plinth_index::Arch::X86_64 => Ok("amd64"),
        plinth_index::Arch::Aarch64 => Ok("arm64"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_paragraph_of_a_name_wins() {
        let text = "Package: nginx\nVersion: 1.22.1-9+deb12u1\nArchitecture: amd64\n\n\
                    Package: curl\nSource: curl\nVersion: 7.88.1-10+deb12u8\n\n\
                    Package: nginx\nVersion: 1.0-1\n";
        let versions = parse_packages(text);
        assert_eq!(versions["nginx"], "1.22.1-9+deb12u1");
        assert_eq!(versions["curl"], "7.88.1-10+deb12u8");
        assert_eq!(versions.len(), 2);
    }
}
