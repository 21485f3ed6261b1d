//! Unpacking an sdist (`.tar.gz`, `.tgz`, `.tar`, `.zip`) safely and finding its project
//! directory.

use std::collections::BTreeSet;
use std::io::{BufReader, Read};
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
    let top_level = if is_tar_gz(name) {
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

/// [`unpack_tar_from`] for a `.tar.gz` (or `.tgz`) `reader` that is a
/// download in progress: it is decompressed by a thread of its own (see
/// [`inflated_ahead`]) while this one writes out the files.
pub(crate) fn unpack_tar_gz_from_stream(
    reader: impl std::io::Read + Send + 'static,
    name: &str,
    destination: &Path,
    visit: Visit<'_>,
) -> Result<Option<PathBuf>, BuildError> {
    match unpack_tar(inflated_ahead(reader), name, destination, visit)? {
        Some(top_level) => project_dir(&top_level, name, destination).map(Some),
        None => Ok(None),
    }
}

/// Whether `name` is that of a gzipped tar archive.
pub(crate) fn is_tar_gz(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    lower.ends_with(".tar.gz") || lower.ends_with(".tgz")
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
/// The gzip stream `reader` decompressed by a thread of its own, in blocks
/// sent ahead: inflating a large sdist (some 250 MB/s) and writing out its
/// files then take as long as the slower of the two, not both. Once the
/// returned reader is dropped, the thread stops at its next block (without
/// the caller waiting for it).
fn inflated_ahead(reader: impl std::io::Read + Send + 'static) -> BlockReader {
    const BLOCK: usize = 256 << 10;
    let (sender, receiver) = std::sync::mpsc::sync_channel::<std::io::Result<Vec<u8>>>(8);
    std::thread::spawn(move || {
        let mut decoder = flate2::read::GzDecoder::new(reader);
        loop {
            let mut block = vec![0; BLOCK];
            let mut filled = 0;
            let outcome = loop {
                match decoder.read(&mut block[filled..]) {
                    Ok(0) => break Ok(()),
                    Ok(count) => {
                        filled += count;
                        if filled == BLOCK {
                            break Ok(());
                        }
                    }
                    Err(error) if error.kind() == std::io::ErrorKind::Interrupted => {}
                    Err(error) => break Err(error),
                }
            };
            block.truncate(filled);
            let last = filled < BLOCK || outcome.is_err();
            if sender.send(outcome.map(|()| block)).is_err() || last {
                return;
            }
        }
    });
    BlockReader {
        blocks: receiver,
        current: Vec::new(),
        position: 0,
    }
}

/// Reads the blocks an [`inflated_ahead`] thread sends.
struct BlockReader {
    blocks: std::sync::mpsc::Receiver<std::io::Result<Vec<u8>>>,
    current: Vec<u8>,
    position: usize,
}

impl std::io::Read for BlockReader {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        while self.position == self.current.len() {
            match self.blocks.recv() {
                Ok(Ok(block)) if block.is_empty() => return Ok(0),
                Ok(Ok(block)) => (self.current, self.position) = (block, 0),
                Ok(Err(error)) => return Err(error),
                // The thread sent its last block.
                Err(_) => return Ok(0),
            }
        }
        let count = buf.len().min(self.current.len() - self.position);
        buf[..count].copy_from_slice(&self.current[self.position..self.position + count]);
        self.position += count;
        Ok(count)
    }
}

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

    fn gzipped(bytes: &[u8]) -> Vec<u8> {
        use std::io::Write;
        let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        encoder.write_all(bytes).expect("compress");
        encoder.finish().expect("finish")
    }

    #[test]
    fn inflated_ahead_gives_the_whole_stream_in_order() {
        // Several blocks and a partial last one, read in odd sizes.
        let data: Vec<u8> = (0..700_001u32).flat_map(u32::to_le_bytes).collect();
        let mut reader = inflated_ahead(std::io::Cursor::new(gzipped(&data)));
        let mut read = Vec::new();
        let mut buffer = [0; 4093];
        loop {
            let count = reader.read(&mut buffer).expect("read");
            if count == 0 {
                break;
            }
            read.extend_from_slice(&buffer[..count]);
        }
        assert_eq!(read.len(), data.len());
        assert!(read == data);
        assert_eq!(reader.read(&mut buffer).expect("read after the end"), 0);
    }

    #[test]
    fn inflated_ahead_reports_a_corrupt_stream() {
        let mut bytes = gzipped(&vec![7; 1 << 20]);
        bytes.truncate(bytes.len() / 2);
        let mut read = Vec::new();
        let error = inflated_ahead(std::io::Cursor::new(bytes))
            .read_to_end(&mut read)
            .expect_err("a truncated stream");
        assert_eq!(error.kind(), std::io::ErrorKind::UnexpectedEof, "{error}");
    }

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
