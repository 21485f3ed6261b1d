//! The target: from `--python-version` / `--python-platform`, else from the
//! `python3` on PATH and this host.

use std::process::Command;
use std::str::FromStr;

use anyhow::{Context, bail};
use pep440_rs::Version;
use plinth_index::{PLATFORM_NAMES, Platform, Target};

use crate::cli::TargetArgs;
use crate::docker::dockerfile_base;
use crate::docker::image::{ImageReference, ImageTarget};
use crate::env;
use crate::printer::Printer;

const PROBE: &str = "import platform, sys
print('%d.%d.%d' % sys.version_info[:3])
print(sys.platform)
print(platform.machine())
print(' '.join(platform.libc_ver()))";

/// What the interpreter on PATH says about itself and its host.
struct Probe {
    version: Version,
    sys_platform: String,
    machine: String,
    libc: String,
}

/// Whether [`resolve_target`] asks the interpreter on PATH (no image and
/// not both of `--python-version` and `--python-platform`).
pub fn probes_interpreter(args: &TargetArgs) -> bool {
    args.target_image.is_none()
        && args.dockerfile.is_none()
        && (args.python_version.is_none() || args.python_platform.is_none())
}

/// The target of this run: the image's (`--target-image`, `--dockerfile`),
/// else the command line's, else the interpreter's and the host's.
pub fn resolve_target(args: &TargetArgs, printer: &Printer) -> anyhow::Result<Target> {
    if let Some(target) = image_target(args, printer)? {
        return Ok(target);
    }
    if args.platform.is_some() {
        bail!(
            "`--platform` needs `--target-image` or `--dockerfile`\n  hint: pass `--python-platform` for a platform of its own"
        );
    }
    // Run the interpreter only when a default is needed, and at most once.
    let probe = if probes_interpreter(args) {
        Some(run_probe()?)
    } else {
        None
    };
    let python_version = match (&args.python_version, &probe) {
        (Some(text), _) => parse_python_version(text)?,
        // Only `X.Y` of the interpreter: a patch update must not change the lockfile.
        (None, Some(found)) => Version::new(found.version.release().iter().take(2)),
        (None, None) => unreachable_target()?,
    };
    let platform = match (&args.python_platform, &probe) {
        (Some(name), _) => Platform::from_str(name).map_err(|error| {
            anyhow::anyhow!("{error}\n  hint: `--python-platform` takes one of: {PLATFORM_NAMES}")
        })?,
        (None, Some(found)) => host_platform(found)?,
        (None, None) => unreachable_target()?,
    };
    // A name with its own macOS release (`aarch64-macosx_14_0`) keeps it.
    let named_release = args
        .python_platform
        .as_deref()
        .is_some_and(|name| name.contains("-macosx_"));
    let platform = match env::macos_deployment_target() {
        Some(value) if !named_release => platform.with_deployment_target(&value).map_err(|error| {
            anyhow::anyhow!(
                "Invalid `{}`: {error}\n  hint: unset it to target macOS {}.{}, or name the release in `--python-platform` (`{}-macosx_14_0`)",
                env::MACOSX_DEPLOYMENT_TARGET,
                plinth_index::DEFAULT_MACOS.0,
                plinth_index::DEFAULT_MACOS.1,
                platform.arch.name(),
            )
        })?,
        _ => platform,
    };
    Ok(Target::new(python_version, platform))
}

/// The target of `--target-image` or `--dockerfile`, stated on stderr. They
/// win over a target recorded in an existing lockfile's header (the command
/// line cannot give both: clap rejects the pair).
fn image_target(args: &TargetArgs, printer: &Printer) -> anyhow::Result<Option<Target>> {
    let (image, platform, origin) = match (&args.target_image, &args.dockerfile) {
        (Some(text), _) => {
            let image = ImageReference::parse(text).map_err(|error| {
                anyhow::anyhow!("{error}\n  hint: e.g. `--target-image python:3.11-slim-bookworm`")
            })?;
            (image, args.platform.clone(), None)
        }
        (None, Some(path)) => {
            let base = dockerfile_base(path)?;
            (
                base.image,
                args.platform.clone().or(base.platform),
                Some(base.origin),
            )
        }
        (None, None) => return Ok(None),
    };
    let ImageTarget {
        target,
        patch_assumed,
        ..
    } = image
        .target(platform.as_deref())
        .map_err(|error| match &origin {
            Some(origin) => anyhow::anyhow!("{error}\n  hint: the image is named at `{origin}`"),
            None => anyhow::anyhow!("{error}"),
        })?;
    let source = match &origin {
        Some(origin) => format!("`{image}` (`{origin}`)"),
        None => format!("`{image}`"),
    };
    let (major, minor) = target.python_minor();
    let assumed = if patch_assumed {
        format!(" (the newest {major}.{minor} plinth knows)")
    } else {
        String::new()
    };
    printer.status(&format!(
        "Target from {source}: Python {}{assumed} on {}",
        target.python_version, target.platform
    ));
    Ok(Some(target))
}

fn unreachable_target<T>() -> anyhow::Result<T> {
    bail!("No target interpreter\n  hint: pass `--python-version` and `--python-platform`")
}

pub(crate) fn parse_python_version(text: &str) -> anyhow::Result<Version> {
    let version = Version::from_str(text).ok().filter(|version| {
        let release = version.release();
        (2..=3).contains(&release.len())
            && version.pre().is_none()
            && version.dev().is_none()
            && version.post().is_none()
            && version.local().is_empty()
            && version.epoch() == 0
    });
    match version {
        Some(version) => Ok(version),
        None => {
            bail!("Invalid `--python-version` `{text}`\n  hint: give `X.Y` or `X.Y.Z`, e.g. `3.11`")
        }
    }
}

fn run_probe() -> anyhow::Result<Probe> {
    let python = std::env::var(env::PYTHON).unwrap_or_else(|_| "python3".to_string());
    let output = Command::new(&python)
        .args(["-c", PROBE])
        .output()
        .with_context(|| {
            format!(
                "Failed to run `{python}` to find the default target\n  hint: pass `--python-version` and `--python-platform`"
            )
        })?;
    if !output.status.success() {
        bail!(
            "`{python}` failed to describe itself: {}\n  hint: pass `--python-version` and `--python-platform`",
            String::from_utf8_lossy(&output.stderr).trim()
        );
    }
    let stdout = String::from_utf8_lossy(&output.stdout);
    let mut lines = stdout.lines();
    let mut next = || lines.next().unwrap_or_default().trim().to_string();
    let version = next();
    Ok(Probe {
        version: Version::from_str(&version)
            .with_context(|| format!("`{python}` reported an invalid version `{version}`"))?,
        sys_platform: next(),
        machine: next(),
        libc: next(),
    })
}

fn host_platform(probe: &Probe) -> anyhow::Result<Platform> {
    Platform::of_host(&probe.sys_platform, &probe.machine, &probe.libc).map_err(|error| {
        anyhow::anyhow!("This host: {error} as a target\n  hint: pass `--python-platform`")
    })
}
