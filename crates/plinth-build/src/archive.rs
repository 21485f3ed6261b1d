//! Unpacking an sdist (`.tar.gz`, `.tgz`, `.tar`, `.zip`) safely and finding its project
//! directory.

use std::collections::BTreeSet;
use std::io::BufReader;
use std::path::{Component, Path, PathBuf};

use crate::error::BuildError;

/// Called with each file's path in the archive as soon as it is unpacked;
/// `true` stops unpacking.
pub(crate) type Visit<'a> = &'a mut dyn FnMut(&Path) -> bool;

/// Unpacks `sdist` into `destination` (an empty directory) and returns the project
/// directory: the single top-level directory, or `destination` itself when the files
/// sit at the top (as pip accepts).
pub(crate) fn unpack(sdist: &Path, name: &str, destination: &Path) -> Result<PathBuf, BuildError> {
    let file = open(sdist, name)?;
    let unpacked = unpack_from(BufReader::new(file), name, destination, &mut |_| false)?;
    unpacked.ok_or_else(|| invalid(name, "stopped"))
}

/// Unpacks the sdist read from `reader` as [`unpack`] does, showing each file
/// to `visit`; `None` when `visit` stopped it.
pub(crate) fn unpack_from<R: std::io::Read + std::io::Seek>(
    reader: R,
    name: &str,
    destination: &Path,
    visit: Visit<'_>,
) -> Result<Option<PathBuf>, BuildError> {
    if !name.to_ascii_lowercase().ends_with(".zip") {
        return unpack_tar_from(reader, name, destination, visit);
    }
    match unpack_zip(reader, name, destination, visit)? {
        Some(top_level) => project_dir(&top_level, name, destination).map(Some),
        None => Ok(None),
    }
}

/// [`unpack_from`] for the tar formats (`.tar.gz`, `.tgz`, `.tar`), which
/// are read front to back: `reader` may be a stream still arriving.
pub(crate) fn unpack_tar_from(
    reader: impl std::io::Read,
    name: &str,
    destination: &Path,
    visit: Visit<'_>,
) -> Result<Option<PathBuf>, BuildError> {
    let lower = name.to_ascii_lowercase();
    let top_level = if lower.ends_with(".tar.gz") || lower.ends_with(".tgz") {
        unpack_tar(
            flate2::read::GzDecoder::new(reader),
            name,
            destination,
            visit,
        )?
    } else if lower.ends_with(".tar") {
        unpack_tar(reader, name, destination, visit)?
    } else {
        return Err(BuildError::InvalidArchive {
            sdist: name.to_string(),
            message: "unsupported format; expected `.tar.gz` or `.zip`".to_string(),
        });
    };
    match top_level {
        Some(top_level) => project_dir(&top_level, name, destination).map(Some),
        None => Ok(None),
    }
}

fn open(sdist: &Path, name: &str) -> Result<fs_err::File, BuildError> {
    fs_err::File::open(sdist).map_err(|source| BuildError::Io {
        sdist: name.to_string(),
        source,
    })
}

fn invalid(name: &str, error: impl std::fmt::Display) -> BuildError {
    BuildError::InvalidArchive {
        sdist: name.to_string(),
        message: error.to_string(),
    }
}

fn unsafe_entry(name: &str, entry: &Path) -> BuildError {
    BuildError::UnsafeEntry {
        sdist: name.to_string(),
        entry: entry.display().to_string(),
    }
}

/// The normal components of a relative path; `None` for absolute paths, prefixes and `..`.
fn relative_components(path: &Path) -> Option<Vec<&std::ffi::OsStr>> {
    let mut components = Vec::new();
    for component in path.components() {
        match component {
            Component::Normal(part) => components.push(part),
            Component::CurDir => {}
            Component::ParentDir | Component::RootDir | Component::Prefix(_) => return None,
        }
    }
    Some(components)
}

/// Unpacks a tar stream; returns the names at the top level (`None`: stopped).
fn unpack_tar(
    reader: impl std::io::Read,
    name: &str,
    destination: &Path,
    visit: Visit<'_>,
) -> Result<Option<BTreeSet<PathBuf>>, BuildError> {
    let mut archive = tar::Archive::new(reader);
    archive.set_preserve_permissions(false);
    archive.set_preserve_ownerships(false);
    let mut top_level = BTreeSet::new();
    for entry in archive.entries().map_err(|error| invalid(name, error))? {
        let mut entry = entry.map_err(|error| invalid(name, error))?;
        let path = entry
            .path()
            .map_err(|error| invalid(name, error))?
            .into_owned();
        let Some(components) = relative_components(&path) else {
            return Err(unsafe_entry(name, &path));
        };
        let entry_type = entry.header().entry_type();
        match entry_type {
            tar::EntryType::Regular | tar::EntryType::Continuous | tar::EntryType::Directory => {}
            tar::EntryType::Symlink | tar::EntryType::Link => {
                let Some(target) = entry.link_name().map_err(|error| invalid(name, error))? else {
                    return Err(invalid(
                        name,
                        format!("link `{}` has no target", path.display()),
                    ));
                };
                let inside = if entry_type == tar::EntryType::Symlink {
                    // Relative to the link's directory.
                    let parent = &components[..components.len().saturating_sub(1)];
                    symlink_stays_inside(parent.len(), &target)
                } else {
                    // Hard links name another entry of the archive.
                    relative_components(&target).is_some()
                };
                if !inside {
                    return Err(unsafe_entry(name, &path));
                }
            }
            // Global pax headers, devices, FIFOs: nothing a project needs.
            _ => continue,
        }
        let Some(first) = components.first() else {
            continue;
        };
        if !entry
            .unpack_in(destination)
            .map_err(|error| invalid(name, error))?
        {
            return Err(unsafe_entry(name, &path));
        }
        top_level.insert(PathBuf::from(first));
        if matches!(
            entry_type,
            tar::EntryType::Regular | tar::EntryType::Continuous
        ) && visit(&path)
        {
            return Ok(None);
        }
    }
    Ok(Some(top_level))
}

/// Whether a symlink in a directory `depth` levels down, pointing at `target`, stays
/// inside the archive.
fn symlink_stays_inside(depth: usize, target: &Path) -> bool {
    let mut depth = depth;
    for component in target.components() {
        match component {
            Component::Normal(_) => depth += 1,
            Component::CurDir => {}
            Component::ParentDir => match depth.checked_sub(1) {
                Some(up) => depth = up,
                None => return false,
            },
            Component::RootDir | Component::Prefix(_) => return false,
        }
    }
    true
}

/// Unpacks a zip archive; returns the names at the top level (`None`: stopped).
fn unpack_zip(
    reader: impl std::io::Read + std::io::Seek,
    name: &str,
    destination: &Path,
    visit: Visit<'_>,
) -> Result<Option<BTreeSet<PathBuf>>, BuildError> {
    let mut archive = zip::ZipArchive::new(reader).map_err(|error| invalid(name, error))?;
    let mut top_level = BTreeSet::new();
    for index in 0..archive.len() {
        let mut file = archive
            .by_index(index)
            .map_err(|error| invalid(name, error))?;
        let raw = file.name().to_string();
        // Judge the name as written, with either separator, before any normalisation.
        let escapes = raw.starts_with(['/', '\\'])
            || raw.get(1..2) == Some(":")
            || raw.split(['/', '\\']).any(|part| part == "..");
        let relative = match file.enclosed_name() {
            Some(relative) if !escapes => relative,
            _ => return Err(unsafe_entry(name, Path::new(&raw))),
        };
        let Some(components) = relative_components(&relative) else {
            return Err(unsafe_entry(name, Path::new(&raw)));
        };
        let Some(first) = components.first() else {
            continue;
        };
        let first = PathBuf::from(first);
        let target = destination.join(&relative);
        let io_error = |source| BuildError::Io {
            sdist: name.to_string(),
            source,
        };
        if file.is_dir() {
            fs_err::create_dir_all(&target).map_err(io_error)?;
        } else if file.is_symlink() {
            // Symlinks in zip sdists are rare; leave them out rather than follow them.
            continue;
        } else {
            if let Some(parent) = target.parent() {
                fs_err::create_dir_all(parent).map_err(io_error)?;
            }
            let mut output = fs_err::File::create(&target).map_err(io_error)?;
            std::io::copy(&mut file, &mut output).map_err(|error| invalid(name, error))?;
            top_level.insert(first);
            if visit(&relative) {
                return Ok(None);
            }
            continue;
        }
        top_level.insert(first);
    }
    Ok(Some(top_level))
}

fn project_dir(
    top_level: &BTreeSet<PathBuf>,
    name: &str,
    destination: &Path,
) -> Result<PathBuf, BuildError> {
    if top_level.is_empty() {
        return Err(invalid(name, "the archive is empty"));
    }
    if top_level.len() == 1
        && let Some(only) = top_level.first()
    {
        let directory = destination.join(only);
        if directory.is_dir() {
            return Ok(directory);
        }
    }
    if destination.join("pyproject.toml").is_file() || destination.join("setup.py").is_file() {
        return Ok(destination.to_path_buf());
    }
    Err(invalid(
        name,
        format!(
            "expected one top-level directory holding the project, found {} entries at the top",
            top_level.len()
        ),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn symlink_targets() {
        assert!(symlink_stays_inside(1, Path::new("README.md")));
        assert!(symlink_stays_inside(1, Path::new("../other/README.md")));
        assert!(!symlink_stays_inside(1, Path::new("../../etc/passwd")));
        assert!(!symlink_stays_inside(0, Path::new("/etc/passwd")));
        assert!(symlink_stays_inside(2, Path::new("./../x")));
    }

    #[test]
    fn relative_paths() {
        assert!(relative_components(Path::new("pkg-1.0/setup.py")).is_some());
        assert!(relative_components(Path::new("./pkg-1.0/setup.py")).is_some());
        assert!(relative_components(Path::new("pkg-1.0/../../x")).is_none());
        assert!(relative_components(Path::new("/etc/passwd")).is_none());
    }
}
