//! The target environment: interpreter version and platform, as markers and wheel tags.

use std::collections::HashMap;
use std::fmt;
use std::str::FromStr;
use std::sync::{Arc, Mutex, OnceLock};

use pep440_rs::Version;
use pep508_rs::{MarkerEnvironment, MarkerEnvironmentBuilder};

/// The operating system family and its ABI level of a target platform.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Os {
    /// glibc Linux, with the newest `manylinux_2_N` level the target supports.
    Manylinux {
        glibc_minor: u16,
    },
    /// musl Linux (`musllinux_1_N`).
    Musllinux {
        musl_minor: u16,
    },
    /// macOS, with the oldest release the target must run on.
    Macos {
        major: u16,
        minor: u16,
    },
    Windows,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Arch {
    X86_64,
    Aarch64,
}

/// A target platform, as named with `--python-platform`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Platform {
    pub os: Os,
    pub arch: Arch,
}

/// `--python-platform` names the target can be given as.
pub const PLATFORM_NAMES: &str = "{x86_64,aarch64}-manylinux_2_NN (NN >= 17), x86_64-unknown-linux-gnu, \
x86_64-unknown-linux-musl, aarch64-unknown-linux-gnu, aarch64-unknown-linux-musl, x86_64-apple-darwin, \
aarch64-apple-darwin, {x86_64,aarch64}-macosx_MAJOR_MINOR (macOS MAJOR.MINOR), x86_64-pc-windows-msvc, \
linux, macos, windows";

/// The macOS release a plain `*-apple-darwin` target runs on: uv's default.
pub const DEFAULT_MACOS: (u16, u16) = (13, 0);

#[derive(Debug, thiserror::Error)]
#[error("Unknown platform `{0}`")]
pub struct UnknownPlatform(pub String);

impl FromStr for Platform {
    type Err = UnknownPlatform;

    fn from_str(name: &str) -> Result<Self, Self::Err> {
        let unknown = || UnknownPlatform(name.to_string());
        let platform = |os, arch| Ok(Platform { os, arch });
        // glibc 2.28 is what uv assumes for a plain GNU/Linux target.
        let gnu = Os::Manylinux { glibc_minor: 28 };
        let musl = Os::Musllinux { musl_minor: 2 };
        let mac = Os::Macos {
            major: DEFAULT_MACOS.0,
            minor: DEFAULT_MACOS.1,
        };
        match name {
            "linux" | "x86_64-unknown-linux-gnu" => platform(gnu, Arch::X86_64),
            "aarch64-unknown-linux-gnu" => platform(gnu, Arch::Aarch64),
            "x86_64-unknown-linux-musl" => platform(musl, Arch::X86_64),
            "aarch64-unknown-linux-musl" => platform(musl, Arch::Aarch64),
            "macos" | "aarch64-apple-darwin" => platform(mac, Arch::Aarch64),
            "x86_64-apple-darwin" => platform(mac, Arch::X86_64),
            "windows" | "x86_64-pc-windows-msvc" => platform(Os::Windows, Arch::X86_64),
            _ => {
                let (arch, rest) = name.split_once('-').ok_or_else(unknown)?;
                let arch = match arch {
                    "x86_64" => Arch::X86_64,
                    "aarch64" => Arch::Aarch64,
                    _ => return Err(unknown()),
                };
                if let Some(release) = rest.strip_prefix("macosx_") {
                    let (major, minor) = release.split_once('_').ok_or_else(unknown)?;
                    let release =
                        parse_macos_release(&format!("{major}.{minor}")).map_err(|_| unknown())?;
                    return platform(macos(release), arch);
                }
                let glibc_minor = match rest {
                    "manylinux2014" => 17,
                    _ => rest
                        .strip_prefix("manylinux_2_")
                        .and_then(|minor| minor.parse::<u16>().ok())
                        .filter(|minor| *minor >= 17)
                        .ok_or_else(unknown)?,
                };
                platform(Os::Manylinux { glibc_minor }, arch)
            }
        }
    }
}

impl fmt::Display for Platform {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let arch = self.arch.name();
        match self.os {
            Os::Manylinux { glibc_minor } => write!(f, "{arch}-manylinux_2_{glibc_minor}"),
            Os::Musllinux { .. } => write!(f, "{arch}-unknown-linux-musl"),
            Os::Macos { major, minor } if (major, minor) == DEFAULT_MACOS => {
                write!(f, "{arch}-apple-darwin")
            }
            Os::Macos { major, minor } => write!(f, "{arch}-macosx_{major}_{minor}"),
            Os::Windows => write!(f, "{arch}-pc-windows-msvc"),
        }
    }
}

impl Arch {
    /// `x86_64` or `aarch64`, as platform names spell it.
    pub fn name(self) -> &'static str {
        match self {
            Arch::X86_64 => "x86_64",
            Arch::Aarch64 => "aarch64",
        }
    }
}

impl Platform {
    /// The platform of an interpreter on this host, from its `sys.platform`,
    /// `platform.machine()` and `platform.libc_ver()` (joined by a space:
    /// `glibc 2.36`; anything else on Linux is taken for musl). macOS is
    /// taken as 13.0, uv's default. `Err` names what is not supported.
    pub fn of_host(sys_platform: &str, machine: &str, libc: &str) -> Result<Self, String> {
        let arch = match machine.to_ascii_lowercase().as_str() {
            "x86_64" | "amd64" => Arch::X86_64,
            "aarch64" | "arm64" => Arch::Aarch64,
            other => return Err(format!("the architecture `{other}` is not supported")),
        };
        let os = match sys_platform {
            "linux" => match libc.split_once(' ') {
                Some(("glibc", version)) => {
                    let minor = version
                        .split('.')
                        .nth(1)
                        .and_then(|minor| minor.parse::<u16>().ok())
                        .unwrap_or(17);
                    Os::Manylinux {
                        glibc_minor: minor.max(17),
                    }
                }
                _ => Os::Musllinux { musl_minor: 2 },
            },
            "darwin" => macos(DEFAULT_MACOS),
            "win32" => Os::Windows,
            other => return Err(format!("the platform `{other}` is not supported")),
        };
        Ok(Platform { os, arch })
    }

    /// This platform, on macOS running on the release `MACOSX_DEPLOYMENT_TARGET`
    /// names (`14.0`, `14`, `10.15`) instead, as uv reads that variable; any
    /// other platform as it is. `Err` says what is wrong with the value.
    pub fn with_deployment_target(self, value: &str) -> Result<Self, String> {
        match self.os {
            Os::Macos { .. } => Ok(Platform {
                os: macos(parse_macos_release(value)?),
                arch: self.arch,
            }),
            _ => Ok(self),
        }
    }

    /// The name of this platform with its macOS release spelled out
    /// (`aarch64-macosx_13_0`), which no `MACOSX_DEPLOYMENT_TARGET` changes;
    /// any other platform by its usual name.
    pub fn name_with_release(&self) -> String {
        match self.os {
            Os::Macos { major, minor } => format!("{}-macosx_{major}_{minor}", self.arch.name()),
            _ => self.to_string(),
        }
    }

    /// Platform tags the target accepts, most specific first.
    fn tags(&self) -> Vec<String> {
        let arch = self.arch.name();
        match self.os {
            Os::Manylinux { glibc_minor } => {
                let mut tags = Vec::new();
                for minor in (5..=glibc_minor).rev() {
                    if self.arch == Arch::Aarch64 && minor < 17 {
                        break;
                    }
                    tags.push(format!("manylinux_2_{minor}_{arch}"));
                    match minor {
                        17 => tags.push(format!("manylinux2014_{arch}")),
                        12 => tags.push(format!("manylinux2010_{arch}")),
                        5 => tags.push(format!("manylinux1_{arch}")),
                        _ => {}
                    }
                }
                tags.push(format!("linux_{arch}"));
                tags
            }
            Os::Musllinux { musl_minor } => (0..=musl_minor)
                .rev()
                .map(|minor| format!("musllinux_1_{minor}_{arch}"))
                .chain([format!("linux_{arch}")])
                .collect(),
            Os::Macos { major, minor } => {
                // As `packaging.tags.mac_platforms`: arm64 runs arm64 and
                // universal2 builds (universal2 back to 10.4); x86_64 runs
                // every Intel-capable binary format.
                let formats: &[&str] = match self.arch {
                    Arch::Aarch64 => &["arm64", "universal2"],
                    Arch::X86_64 => &[
                        "x86_64",
                        "intel",
                        "fat64",
                        "fat32",
                        "universal2",
                        "universal",
                    ],
                };
                let legacy: &[&str] = match self.arch {
                    Arch::Aarch64 => &["universal2"],
                    Arch::X86_64 => formats,
                };
                let mut tags = Vec::new();
                for release in (11..=major).rev() {
                    for format in formats {
                        tags.push(format!("macosx_{release}_0_{format}"));
                    }
                }
                // 10.x releases run builds for 10.4 up to themselves.
                let newest_ten = if major == 10 { minor.min(16) } else { 16 };
                for minor in (4..=newest_ten).rev() {
                    for format in legacy {
                        tags.push(format!("macosx_10_{minor}_{format}"));
                    }
                }
                tags
            }
            Os::Windows => vec!["win_amd64".to_string()],
        }
    }
}

fn macos((major, minor): (u16, u16)) -> Os {
    Os::Macos { major, minor }
}

/// A macOS release as `MAJOR[.MINOR[.PATCH]]`, from 10.4 on.
fn parse_macos_release(text: &str) -> Result<(u16, u16), String> {
    let mut parts = text.trim().split('.').map(str::parse::<u16>);
    let major = parts.next().and_then(Result::ok);
    let minor = parts.next().map_or(Ok(0), |minor| minor.map_err(|_| ()));
    let patch_ok = parts.next().is_none_or(|patch| patch.is_ok());
    match (major, minor) {
        (Some(major), Ok(minor))
            if patch_ok
                && parts.next().is_none()
                && (major > 10 || (major == 10 && minor >= 4))
                && major < 100 =>
        {
            Ok((major, minor))
        }
        _ => Err(format!(
            "`{}` is not a macOS release from 10.4 on (such as `14.0` or `11`)",
            text.trim()
        )),
    }
}

/// A CPython target: the interpreter version and the platform.
#[derive(Debug, Clone)]
pub struct Target {
    pub python_version: Version,
    pub platform: Platform,
    /// The rank of each compatible tag (see [`Tags`]), shared by the
    /// targets of one Python minor version and platform.
    tags: Arc<Tags>,
}

/// The rank of each compatible tag, by python tag, ABI tag and platform tag
/// (so that a lookup needs no `python-abi-platform` string built).
type Tags = HashMap<String, HashMap<String, HashMap<String, usize>>>;

impl Target {
    /// A target for CPython `python_version` (`3.11` or `3.11.9`) on `platform`.
    pub fn new(python_version: Version, platform: Platform) -> Self {
        let tags = shared_tags(&python_version, platform);
        Self {
            python_version,
            platform,
            tags,
        }
    }

    /// `(major, minor)` of the target interpreter.
    pub fn python_minor(&self) -> (u64, u64) {
        let release = self.python_version.release();
        (
            release.first().copied().unwrap_or(3),
            release.get(1).copied().unwrap_or(0),
        )
    }

    /// The full interpreter version markers compare against (`3.11` means `3.11.0`).
    pub fn python_full_version(&self) -> String {
        let release = self.python_version.release();
        let patch = release.get(2).copied().unwrap_or(0);
        let (major, minor) = self.python_minor();
        format!("{major}.{minor}.{patch}")
    }

    /// How well a wheel's tags fit the target: lower is better, `None` means unusable.
    pub fn wheel_rank(
        &self,
        python_tags: &[impl AsRef<str>],
        abi_tags: &[impl AsRef<str>],
        platform_tags: &[impl AsRef<str>],
    ) -> Option<usize> {
        self.rank_of(
            python_tags.iter().map(AsRef::as_ref),
            abi_tags.iter().map(AsRef::as_ref),
            platform_tags.iter().map(AsRef::as_ref),
        )
    }

    /// [`Self::wheel_rank`] of the tag sets as a wheel's name writes them
    /// (python, abi, platform; `cp311.cp312`).
    pub(crate) fn wheel_rank_of_sets(&self, [python, abi, platform]: [&str; 3]) -> Option<usize> {
        self.rank_of(python.split('.'), abi.split('.'), platform.split('.'))
    }

    fn rank_of<'t>(
        &self,
        python_tags: impl Iterator<Item = &'t str>,
        abi_tags: impl Iterator<Item = &'t str> + Clone,
        platform_tags: impl Iterator<Item = &'t str> + Clone,
    ) -> Option<usize> {
        let mut best = None;
        for python in python_tags {
            let Some(abis) = self.tags.get(python) else {
                continue;
            };
            for abi in abi_tags.clone() {
                let Some(platforms) = abis.get(abi) else {
                    continue;
                };
                for platform in platform_tags.clone() {
                    if let Some(rank) = platforms.get(platform) {
                        best = Some(best.map_or(*rank, |best: usize| best.min(*rank)));
                    }
                }
            }
        }
        best
    }

    /// The PEP 508 marker environment of the target.
    pub fn markers(&self) -> Result<MarkerEnvironment, pep440_rs::VersionParseError> {
        let (major, minor) = self.python_minor();
        let python_version = format!("{major}.{minor}");
        let full_version = self.python_full_version();
        let (os_name, sys_platform, platform_system, machine) =
            match (self.platform.os, self.platform.arch) {
                (Os::Manylinux { .. } | Os::Musllinux { .. }, arch) => {
                    ("posix", "linux", "Linux", arch.name())
                }
                (Os::Macos { .. }, Arch::Aarch64) => ("posix", "darwin", "Darwin", "arm64"),
                (Os::Macos { .. }, Arch::X86_64) => ("posix", "darwin", "Darwin", "x86_64"),
                (Os::Windows, Arch::X86_64) => ("nt", "win32", "Windows", "AMD64"),
                (Os::Windows, Arch::Aarch64) => ("nt", "win32", "Windows", "ARM64"),
            };
        MarkerEnvironment::try_from(MarkerEnvironmentBuilder {
            implementation_name: "cpython",
            implementation_version: &full_version,
            os_name,
            platform_machine: machine,
            platform_python_implementation: "CPython",
            platform_release: "",
            platform_system,
            platform_version: "",
            python_full_version: &full_version,
            python_version: &python_version,
            sys_platform,
        })
    }
}

/// The tags of CPython `version` on `platform`, built once per process
/// for each minor version and platform: a universal resolution makes a
/// target for each environment of its grid and each patch version it
/// splits, a few thousand tags each on macOS.
fn shared_tags(version: &Version, platform: Platform) -> Arc<Tags> {
    /// By the release's first two numbers and the platform.
    type Built = Mutex<HashMap<(Vec<u64>, Platform), Arc<Tags>>>;
    static BUILT: OnceLock<Built> = OnceLock::new();
    let minor: Vec<u64> = version.release().iter().take(2).copied().collect();
    let built = BUILT.get_or_init(Mutex::default);
    let key = (minor, platform);
    if let Some(tags) = built
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
        .get(&key)
    {
        return tags.clone();
    }
    let mut tags = Tags::new();
    for (rank, tag) in compatible_tags(version, &platform).into_iter().enumerate() {
        let mut parts = tag.splitn(3, '-');
        let (Some(python), Some(abi), Some(platform)) = (parts.next(), parts.next(), parts.next())
        else {
            continue;
        };
        tags.entry(python.to_string())
            .or_default()
            .entry(abi.to_string())
            .or_default()
            .entry(platform.to_string())
            .or_insert(rank);
    }
    let tags = Arc::new(tags);
    built
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
        .insert(key, tags.clone());
    tags
}

/// Every `python-abi-platform` tag CPython `version` accepts on `platform`,
/// in the order of preference `packaging.tags.sys_tags` uses.
fn compatible_tags(version: &Version, platform: &Platform) -> Vec<String> {
    let release = version.release();
    let major = release.first().copied().unwrap_or(3);
    let minor = release.get(1).copied().unwrap_or(0);
    let platforms = platform.tags();
    let cp = format!("cp{major}{minor}");
    let mut tags = Vec::new();
    for platform in &platforms {
        tags.push(format!("{cp}-{cp}-{platform}"));
    }
    for platform in &platforms {
        tags.push(format!("{cp}-abi3-{platform}"));
    }
    for platform in &platforms {
        tags.push(format!("{cp}-none-{platform}"));
    }
    for older in (2..minor).rev() {
        for platform in &platforms {
            tags.push(format!("cp{major}{older}-abi3-{platform}"));
        }
    }
    let mut interpreters = vec![format!("py{major}{minor}"), format!("py{major}")];
    interpreters.extend((0..minor).rev().map(|older| format!("py{major}{older}")));
    for interpreter in &interpreters {
        for platform in &platforms {
            tags.push(format!("{interpreter}-none-{platform}"));
        }
    }
    tags.push(format!("{cp}-none-any"));
    for interpreter in &interpreters {
        tags.push(format!("{interpreter}-none-any"));
    }
    tags
}

#[cfg(test)]
mod tests {
    use super::*;

    fn target(platform: &str) -> Target {
        Target::new(
            Version::from_str("3.11").expect("version"),
            Platform::from_str(platform).expect("platform"),
        )
    }

    #[test]
    fn targets_of_one_minor_version_and_platform_share_their_tags() {
        let platform = Platform::from_str("aarch64-apple-darwin").expect("platform");
        let at =
            |version: &str| Target::new(Version::from_str(version).expect("version"), platform);
        let (first, patch, other) = (at("3.12"), at("3.12.4"), at("3.13"));
        assert!(Arc::ptr_eq(&first.tags, &patch.tags));
        assert!(!Arc::ptr_eq(&first.tags, &other.tags));
        let linux = Target::new(
            Version::from_str("3.12").expect("version"),
            Platform::from_str("x86_64-manylinux_2_28").expect("platform"),
        );
        assert!(!Arc::ptr_eq(&first.tags, &linux.tags));
        // Shared, each still ranks for its own Python.
        let rank =
            |target: &Target| target.wheel_rank(&["cp312"], &["cp312"], &["macosx_11_0_arm64"]);
        assert!(rank(&first).is_some() && rank(&patch).is_some());
        assert_eq!(rank(&other), None);
    }

    #[test]
    fn manylinux_accepts_older_glibc_and_abi3() {
        let target = target("x86_64-manylinux_2_28");
        assert!(
            target
                .wheel_rank(
                    &["cp311"],
                    &["cp311"],
                    &["manylinux_2_17_x86_64", "manylinux2014_x86_64"]
                )
                .is_some()
        );
        assert!(
            target
                .wheel_rank(&["cp38"], &["abi3"], &["manylinux_2_5_x86_64"])
                .is_some()
        );
        assert!(
            target
                .wheel_rank(&["cp311"], &["cp311"], &["manylinux_2_34_x86_64"])
                .is_none()
        );
        assert!(
            target
                .wheel_rank(&["cp312"], &["cp312"], &["manylinux_2_17_x86_64"])
                .is_none()
        );
        assert!(
            target
                .wheel_rank(&["cp311"], &["cp311"], &["musllinux_1_2_x86_64"])
                .is_none()
        );
        assert!(target.wheel_rank(&["py3"], &["none"], &["any"]).is_some());
        assert!(target.wheel_rank(&["py2"], &["none"], &["any"]).is_none());
        let native = target.wheel_rank(&["cp311"], &["cp311"], &["manylinux_2_17_x86_64"]);
        let pure = target.wheel_rank(&["py3"], &["none"], &["any"]);
        assert!(native < pure);
    }

    #[test]
    fn platforms_parse_and_print() {
        for (name, printed) in [
            ("x86_64-manylinux_2_28", "x86_64-manylinux_2_28"),
            ("linux", "x86_64-manylinux_2_28"),
            ("macos", "aarch64-apple-darwin"),
            ("windows", "x86_64-pc-windows-msvc"),
            ("aarch64-manylinux2014", "aarch64-manylinux_2_17"),
        ] {
            assert_eq!(Platform::from_str(name).expect(name).to_string(), printed);
        }
        assert!(Platform::from_str("sparc-solaris").is_err());
        for name in [
            "aarch64-macosx_14_0",
            "x86_64-macosx_10_15",
            "aarch64-macosx_15_2",
        ] {
            assert_eq!(Platform::from_str(name).expect(name).to_string(), name);
        }
        // The default release prints as the plain name; spelled out on request.
        let default = Platform::from_str("aarch64-macosx_13_0").expect("platform");
        assert_eq!(default.to_string(), "aarch64-apple-darwin");
        assert_eq!(default.name_with_release(), "aarch64-macosx_13_0");
        for bad in [
            "aarch64-macosx_14",
            "aarch64-macosx_9_0",
            "aarch64-macosx_x_0",
        ] {
            assert!(Platform::from_str(bad).is_err(), "{bad}");
        }
        assert!(
            target("macos")
                .wheel_rank(&["cp311"], &["cp311"], &["macosx_11_0_arm64"])
                .is_some()
        );
        assert!(
            target("windows")
                .wheel_rank(&["cp311"], &["cp311"], &["win_amd64"])
                .is_some()
        );
    }

    #[test]
    fn deployment_target_sets_the_macos_release() {
        let mac = Platform::from_str("aarch64-apple-darwin").expect("platform");
        for (value, release) in [
            ("14.0", (14, 0)),
            ("14", (14, 0)),
            (" 15.2.1 ", (15, 2)),
            ("10.15", (10, 15)),
        ] {
            let platform = mac.with_deployment_target(value).expect(value);
            assert_eq!(platform.os, macos(release), "{value}");
        }
        for bad in ["", "fourteen", "14.x", "10.3", "9", "14.0.0.1"] {
            assert!(mac.with_deployment_target(bad).is_err(), "{bad}");
        }
        // Not a macOS target: the variable means nothing to it.
        let linux = Platform::from_str("x86_64-manylinux_2_28").expect("platform");
        assert_eq!(linux.with_deployment_target("bogus"), Ok(linux));
    }

    #[test]
    fn macos_tags_follow_the_release() {
        let at = |name: &str, tag: &str| {
            target(name)
                .wheel_rank(&["cp311"], &["cp311"], &[tag])
                .is_some()
        };
        assert!(!at("aarch64-apple-darwin", "macosx_14_0_arm64"));
        assert!(at("aarch64-macosx_14_0", "macosx_14_0_arm64"));
        assert!(at("aarch64-macosx_14_0", "macosx_11_0_arm64"));
        // 10.x runs builds for itself and older 10.x releases only.
        assert!(at("x86_64-macosx_10_15", "macosx_10_9_x86_64"));
        assert!(at("x86_64-macosx_10_15", "macosx_10_15_x86_64"));
        assert!(!at("x86_64-macosx_10_15", "macosx_10_16_x86_64"));
        assert!(!at("x86_64-macosx_10_15", "macosx_11_0_x86_64"));
        assert!(at("x86_64-apple-darwin", "macosx_10_16_x86_64"));
    }
}
