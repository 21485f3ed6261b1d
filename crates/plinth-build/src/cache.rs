//! Built metadata on disk: `<cache_dir>/v1/built-metadata/<sha256>`, written atomically.

use std::io::Write;
use std::path::{Path, PathBuf};

/// Where the metadata of the sdist with `sha256` (64 lowercase hex digits) lives.
pub(crate) fn entry(cache_dir: &Path, sha256: &str) -> PathBuf {
    cache_dir.join("v1").join("built-metadata").join(sha256)
}

/// The cached metadata, or `None` when there is none (an empty file counts as none).
pub(crate) fn read(path: &Path) -> std::io::Result<Option<Vec<u8>>> {
    match fs_err::read(path) {
        Ok(bytes) if bytes.is_empty() => Ok(None),
        Ok(bytes) => Ok(Some(bytes)),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(error) => Err(error),
    }
}

/// Writes `bytes` to `path` through a temporary file in the same directory and a rename,
/// so that readers see the whole file or none.
pub(crate) fn write(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let directory = path.parent().unwrap_or_else(|| Path::new("."));
    fs_err::create_dir_all(directory)?;
    let mut file = tempfile::Builder::new()
        .prefix(".tmp-")
        .tempfile_in(directory)
        .map_err(|error| {
            std::io::Error::new(
                error.kind(),
                format!(
                    "failed to create a temporary file in `{}`: {error}",
                    directory.display()
                ),
            )
        })?;
    file.write_all(bytes)?;
    file.as_file().sync_all()?;
    file.persist(path).map_err(|error| {
        std::io::Error::new(
            error.error.kind(),
            format!("failed to write `{}`: {}", path.display(), error.error),
        )
    })?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip() -> std::io::Result<()> {
        let directory = tempfile::tempdir()?;
        let path = entry(directory.path(), &"ab".repeat(32));
        assert_eq!(read(&path)?, None);
        write(&path, b"Metadata-Version: 2.1\n")?;
        assert_eq!(
            read(&path)?.as_deref(),
            Some(&b"Metadata-Version: 2.1\n"[..])
        );
        write(&path, b"Metadata-Version: 2.2\n")?;
        assert_eq!(
            read(&path)?.as_deref(),
            Some(&b"Metadata-Version: 2.2\n"[..])
        );
        Ok(())
    }
}
