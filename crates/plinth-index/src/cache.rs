//! A plain on-disk cache of immutable facts about files (metadata, hashes).
//!
//! Entries are written atomically (temp file, then rename); an unreadable
//! entry is treated as missing. The layout is versioned (`v1/`).

use std::path::PathBuf;

use tempfile::NamedTempFile;

#[derive(Debug, Clone)]
pub struct Cache {
    root: PathBuf,
}

impl Cache {
    /// A cache under `dir` (created on first write).
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Self {
            root: dir.into().join("v1"),
        }
    }

    pub fn get(&self, key: &str) -> Option<Vec<u8>> {
        fs_err::read(self.root.join(key)).ok()
    }

    /// Store `bytes` under `key`; failures only cost a refetch next time.
    pub fn put(&self, key: &str, bytes: &[u8]) {
        let path = self.root.join(key);
        let Some(parent) = path.parent() else {
            return;
        };
        if fs_err::create_dir_all(parent).is_err() {
            return;
        }
        let Ok(mut temp) = NamedTempFile::new_in(parent) else {
            return;
        };
        if std::io::Write::write_all(&mut temp, bytes).is_ok() {
            let _ = temp.persist(&path);
        }
    }
}
