//! Build requirements installed without pip: an [`Installer`] (given in
//! [`crate::BuildOptions::installer`]) chooses the wheels, and
//! [`install_wheel`] unpacks each into the directory the build imports from.
//!
//! pip takes seconds to install `setuptools` (its own start, its resolver,
//! its download), most of a legacy sdist's build; unpacking a wheel the
//! caller resolved and downloaded over its open connections takes
//! milliseconds. When the installer cannot do it (a build requirement with
//! only an sdist, say), the build installs with pip as before.

use std::io::Read;
use std::path::{Component, Path, PathBuf};

/// What a build interpreter says about itself, for choosing wheels it can
/// import.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostPython {
    /// `X.Y.Z`, as `platform.python_version()` gives it.
    pub version: String,
    /// `sys.platform`: `linux`, `darwin`, `win32`.
    pub sys_platform: String,
    /// `platform.machine()`: `x86_64`, `aarch64`, `arm64`, `AMD64`.
    pub machine: String,
    /// `platform.libc_ver()` joined by a space (`glibc 2.36`); empty on musl
    /// and outside Linux.
    pub libc: String,
    /// `platform.mac_ver()[0]` (`14.5`); empty outside macOS.
    pub macos: String,
    /// A 64-bit CPython with the GIL, whose wheels the usual `cpXY` tags
    /// name (not PyPy, a free-threaded or a 32-bit build).
    pub plain_cpython: bool,
}

/// Installs build requirements from wheels, in place of pip.
pub trait Installer: Send + Sync + std::fmt::Debug {
    /// What decides the installation besides the requirements and the
    /// interpreter (indexes, cutoff): part of the key of a shared
    /// installation.
    fn fingerprint(&self) -> String;

    /// Starts, in the background, what installing `requirements` will
    /// need first (their index pages), while the build finds its
    /// interpreter and makes its venv. Nothing by default.
    fn prefetch(&self, requirements: &[String]) {
        let _ = requirements;
    }

    /// Installs `requirements` (PEP 508) and what they need, for `python`,
    /// into `target`, a directory laid out as a `site-packages` (created when
    /// missing). `Err` says why not; the build then installs with pip, so
    /// nothing should be written before every wheel is at hand.
    fn install(
        &self,
        requirements: &[String],
        python: &HostPython,
        target: &Path,
    ) -> Result<(), String>;
}

/// Unpacks the wheel `bytes` (named `filename`, for messages) into the
/// `site-packages` directory `target`, as an installer would for a build
/// environment: the `.data` directory's `purelib` and `platlib` go to the
/// top, its `scripts` to `target/bin` as they are, its `headers` and `data`
/// are left out, and no console scripts are made from entry points (a
/// build imports its requirements; it does not run tools from PATH).
/// Entries naming an absolute path or `..` are an error. The
/// `.dist-info/INSTALLER` file says `plinth`.
pub fn install_wheel(filename: &str, bytes: &[u8], target: &Path) -> Result<(), String> {
    let invalid = |message: String| format!("the wheel `{filename}` is invalid: {message}");
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes))
        .map_err(|error| invalid(error.to_string()))?;
    let mut dist_info = None;
    for index in 0..archive.len() {
        let mut entry = archive
            .by_index(index)
            .map_err(|error| invalid(error.to_string()))?;
        let raw = entry.name().to_string();
        let Some(parts) = safe_parts(&raw) else {
            return Err(invalid(format!(
                "the entry `{raw}` leaves the installation"
            )));
        };
        if entry.is_dir() || parts.is_empty() {
            continue;
        }
        let Some(relative) = placed(&parts) else {
            continue;
        };
        if parts.len() == 2 && parts[0].ends_with(".dist-info") {
            dist_info = Some(parts[0].clone());
        }
        let path = target.join(relative);
        let io_error = |error: std::io::Error| format!("writing `{}`: {error}", path.display());
        if let Some(parent) = path.parent() {
            fs_err::create_dir_all(parent).map_err(&io_error)?;
        }
        // Streamed to the file, never more than the entry says it holds.
        let declared = entry.size();
        let mut file = fs_err::File::create(&path).map_err(&io_error)?;
        let written = std::io::copy(
            &mut (&mut entry).take(declared.saturating_add(1)),
            &mut file,
        )
        .map_err(|error| invalid(format!("`{raw}`: {error}")))?;
        if written > declared {
            return Err(invalid(format!("`{raw}` is larger than it says")));
        }
        #[cfg(unix)]
        if entry.unix_mode().is_some_and(|mode| mode & 0o111 != 0) || parts[0].ends_with(".data") {
            use std::os::unix::fs::PermissionsExt;
            let _ = fs_err::set_permissions(&path, std::fs::Permissions::from_mode(0o755));
        }
    }
    let dist_info = dist_info.ok_or_else(|| invalid("it has no `.dist-info` directory".into()))?;
    fs_err::write(target.join(dist_info).join("INSTALLER"), "plinth\n")
        .map_err(|error| format!("writing into `{}`: {error}", target.display()))
}

/// The parts of an entry's name; `None` for an absolute name or one with `..`.
fn safe_parts(raw: &str) -> Option<Vec<String>> {
    if raw.starts_with(['/', '\\']) || raw.get(1..2) == Some(":") {
        return None;
    }
    let mut parts = Vec::new();
    for component in Path::new(&raw.replace('\\', "/")).components() {
        match component {
            Component::Normal(part) => parts.push(part.to_string_lossy().into_owned()),
            Component::CurDir => {}
            Component::ParentDir | Component::RootDir | Component::Prefix(_) => return None,
        }
    }
    Some(parts)
}

/// Where an entry goes under the installation, `None` when it is left out.
fn placed(parts: &[String]) -> Option<PathBuf> {
    let [first, rest @ ..] = parts else {
        return None;
    };
    if !first.ends_with(".data") {
        return Some(parts.iter().collect());
    }
    let [scheme, inside @ ..] = rest else {
        return None;
    };
    match scheme.as_str() {
        "purelib" | "platlib" if !inside.is_empty() => Some(inside.iter().collect()),
        "scripts" if !inside.is_empty() => Some(
            std::iter::once("bin")
                .chain(inside.iter().map(String::as_str))
                .collect(),
        ),
        _ => None,
    }
}

/// The `METADATA` of a wheel read from `reader`: its one
/// `*.dist-info/METADATA` (at most 64 MiB).
pub fn wheel_metadata(reader: impl std::io::Read + std::io::Seek) -> Result<Vec<u8>, String> {
    let mut archive = zip::ZipArchive::new(reader)
        .map_err(|error| format!("the wheel is not a valid zip file: {error}"))?;
    let names: Vec<String> = archive
        .file_names()
        .filter(|name| {
            name.strip_suffix(".dist-info/METADATA")
                .is_some_and(|directory| !directory.is_empty() && !directory.contains('/'))
        })
        .map(str::to_string)
        .collect();
    let [name] = names.as_slice() else {
        return Err(format!(
            "the wheel has {} `*.dist-info/METADATA` files instead of one",
            names.len()
        ));
    };
    let mut entry = archive.by_name(name).map_err(|error| error.to_string())?;
    let mut metadata = Vec::new();
    std::io::Read::read_to_end(
        &mut std::io::Read::take(&mut entry, 64 << 20),
        &mut metadata,
    )
    .map_err(|error| error.to_string())?;
    Ok(metadata)
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use super::*;

    fn wheel(entries: &[(&str, &str)]) -> Vec<u8> {
        let mut writer = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        for (name, content) in entries {
            writer
                .start_file(*name, zip::write::SimpleFileOptions::default())
                .expect("entry");
            writer.write_all(content.as_bytes()).expect("content");
        }
        writer.finish().expect("zip").into_inner()
    }

    #[test]
    fn a_wheel_is_laid_out_as_in_site_packages() {
        let target = tempfile::tempdir().expect("temp dir");
        let bytes = wheel(&[
            ("demo/__init__.py", "x = 1\n"),
            ("demo-1.0.data/purelib/extra_mod.py", "y = 2\n"),
            ("demo-1.0.data/platlib/native/mod.py", "z = 3\n"),
            ("demo-1.0.data/scripts/demo-tool", "#!python\n"),
            ("demo-1.0.data/headers/demo.h", ""),
            ("demo-1.0.data/data/share/doc.txt", ""),
            ("demo-1.0.dist-info/METADATA", "Name: demo\n"),
            ("demo-1.0.dist-info/RECORD", ""),
        ]);
        install_wheel("demo-1.0-py3-none-any.whl", &bytes, target.path()).expect("installs");
        let root = target.path();
        assert_eq!(
            fs_err::read_to_string(root.join("demo/__init__.py")).expect("module"),
            "x = 1\n"
        );
        assert!(root.join("extra_mod.py").is_file());
        assert!(root.join("native/mod.py").is_file());
        assert!(root.join("bin/demo-tool").is_file());
        assert!(!root.join("demo.h").exists() && !root.join("share").exists());
        assert!(!root.join("demo-1.0.data").exists());
        assert_eq!(
            fs_err::read_to_string(root.join("demo-1.0.dist-info/INSTALLER")).expect("installer"),
            "plinth\n"
        );
    }

    #[test]
    fn entries_outside_the_installation_are_refused() {
        let target = tempfile::tempdir().expect("temp dir");
        for name in [
            "../evil.py",
            "/etc/evil.py",
            "demo/../../evil.py",
            "C:/evil.py",
        ] {
            let bytes = wheel(&[(name, ""), ("demo-1.0.dist-info/METADATA", "")]);
            let error = install_wheel("demo-1.0-py3-none-any.whl", &bytes, target.path())
                .expect_err("refused");
            assert!(error.contains("leaves the installation"), "{name}: {error}");
        }
        let error = install_wheel("demo.whl", b"not a zip", target.path()).expect_err("invalid");
        assert!(error.contains("`demo.whl` is invalid"), "{error}");
        let bytes = wheel(&[("demo/__init__.py", "")]);
        let error = install_wheel("demo.whl", &bytes, target.path()).expect_err("no dist-info");
        assert!(error.contains("no `.dist-info`"), "{error}");
    }
}
