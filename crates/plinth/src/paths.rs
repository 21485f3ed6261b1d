//! Path helpers: relative display paths and atomic writes.

use std::io::Write;
use std::path::{Component, Path, PathBuf};

use anyhow::Context;

/// `path` made absolute against `cwd` and cleaned of `.` and `..`, lexically.
pub fn absolute(cwd: &Path, path: &Path) -> PathBuf {
    let joined = cwd.join(path);
    let mut out = PathBuf::new();
    for component in joined.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}

/// `path` relative to directory `base` (both absolute), with `/` separators.
pub fn relative_to(path: &Path, base: &Path) -> String {
    let path: Vec<_> = path.components().collect();
    let base: Vec<_> = base.components().collect();
    let common = path.iter().zip(&base).take_while(|(a, b)| a == b).count();
    let mut parts: Vec<String> = base[common..].iter().map(|_| "..".to_string()).collect();
    parts.extend(
        path[common..]
            .iter()
            .map(|part| part.as_os_str().to_string_lossy().into_owned()),
    );
    if parts.is_empty() {
        ".".to_string()
    } else {
        parts.join("/")
    }
}

/// Replace `path` with `content` atomically: a temp file in the same
/// directory, flushed, then renamed over it. A symlink is written through;
/// a device or pipe (`/dev/stdout`, `/dev/null`) is written to, not replaced.
pub fn write_atomic(path: &Path, content: &str) -> anyhow::Result<()> {
    let target = fs_err::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
    if let Ok(metadata) = fs_err::metadata(&target)
        && !metadata.is_file()
    {
        if metadata.is_dir() {
            anyhow::bail!("The output `{}` is a directory", path.display());
        }
        return fs_err::write(&target, content)
            .with_context(|| format!("Failed to write `{}`", path.display()));
    }
    let directory = match target.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent.to_path_buf(),
        _ => PathBuf::from("."),
    };
    remove_stale_temp_files(&directory);
    let mut temp = tempfile::Builder::new()
        .prefix(TEMP_PREFIX)
        .suffix(TEMP_SUFFIX)
        .tempfile_in(&directory)
        .with_context(|| {
            format!(
                "Failed to create a temporary file in `{}`",
                directory.display()
            )
        })?;
    temp.write_all(content.as_bytes())
        .and_then(|()| temp.as_file().sync_all())
        .with_context(|| format!("Failed to write `{}`", path.display()))?;
    if let Ok(metadata) = fs_err::metadata(&target) {
        let _ = fs_err::set_permissions(temp.path(), metadata.permissions());
    }
    temp.persist(&target)
        .with_context(|| format!("Failed to replace `{}`", path.display()))?;
    Ok(())
}

const TEMP_PREFIX: &str = ".plinth-";
const TEMP_SUFFIX: &str = ".tmp";

/// A temporary lockfile older than this was left by a run that was killed
/// between creating it and renaming it into place (a run takes seconds).
const STALE_AFTER: std::time::Duration = std::time::Duration::from_secs(60 * 60);

/// Remove the temporary files of [`write_atomic`] that killed runs left in
/// `directory`. Younger ones may belong to a run in progress.
fn remove_stale_temp_files(directory: &Path) {
    let Ok(entries) = fs_err::read_dir(directory) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if !(name.starts_with(TEMP_PREFIX) && name.ends_with(TEMP_SUFFIX)) {
            continue;
        }
        let stale = entry
            .metadata()
            .ok()
            .filter(std::fs::Metadata::is_file)
            .and_then(|metadata| metadata.modified().ok())
            .and_then(|modified| modified.elapsed().ok())
            .is_some_and(|age| age > STALE_AFTER);
        if stale {
            let _ = fs_err::remove_file(entry.path());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn temp_files_of_killed_runs_are_removed_once_stale() {
        let directory = tempfile::tempdir().expect("a temporary directory");
        let stale = directory.path().join(".plinth-killed.tmp");
        let fresh = directory.path().join(".plinth-running.tmp");
        let other = directory.path().join(".other.tmp");
        for path in [&stale, &fresh, &other] {
            fs_err::write(path, "x").expect("written");
        }
        let old = std::time::SystemTime::now() - STALE_AFTER * 2;
        for path in [&stale, &other] {
            let file = std::fs::File::options()
                .write(true)
                .open(path)
                .expect("opened");
            file.set_modified(old).expect("mtime set");
        }
        let output = directory.path().join("requirements.txt");
        write_atomic(&output, "a==1\n").expect("written");
        assert!(!stale.exists(), "a stale temporary file is removed");
        assert!(fresh.exists(), "a fresh one may belong to a running plinth");
        assert!(other.exists(), "other files are left alone");
        assert_eq!(fs_err::read_to_string(&output).expect("read"), "a==1\n");
    }

    #[test]
    fn relative_paths() {
        let cwd = Path::new("/work/project");
        assert_eq!(
            relative_to(&absolute(cwd, Path::new("requirements.in")), cwd),
            "requirements.in"
        );
        assert_eq!(
            relative_to(&absolute(cwd, Path::new("./a/../b/x.in")), &cwd.join("out")),
            "../b/x.in"
        );
        assert_eq!(
            relative_to(
                Path::new("/work/project/sub/base.in"),
                Path::new("/work/project")
            ),
            "sub/base.in"
        );
    }
}
