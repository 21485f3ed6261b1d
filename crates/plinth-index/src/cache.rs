//! A plain on-disk cache of immutable facts about files (metadata, hashes)
//! and of project pages (for `--offline`).
//!
//! Entries are written atomically (temp file in the same directory, then
//! rename), so several processes can share one cache: a reader sees a whole
//! entry or none, and two writers of one key write the same facts. Each entry
//! starts with a line holding the CRC-32 of the rest (a check against damage,
//! not tampering, and fast: warm runs read tens of megabytes of pages); an
//! entry that is unreadable, truncated or altered is removed and reported as
//! missing, so it is fetched again. The layout is versioned (`v3/`; `v2`
//! entries had a sha256).

use std::path::PathBuf;

use tempfile::NamedTempFile;

/// The start of every entry, before the hex CRC-32 of its body and a newline.
const MAGIC: &[u8] = b"plinth-cache crc32=";

/// The CRC-32 of `bytes` as 8 hex digits.
fn checksum(bytes: &[u8]) -> [u8; 8] {
    let mut text = [0; 8];
    let hex = format!("{:08x}", crc32fast::hash(bytes));
    text.copy_from_slice(hex.as_bytes());
    text
}

#[derive(Debug, Clone)]
pub struct Cache {
    root: PathBuf,
}

impl Cache {
    /// A cache under `dir` (created on first write).
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Self {
            root: dir.into().join("v3"),
        }
    }

    /// The body stored under `key`; `None` when there is none or it is damaged
    /// (a damaged entry is removed).
    pub fn get(&self, key: &str) -> Option<Vec<u8>> {
        let path = self.root.join(key);
        let bytes = fs_err::read(&path).ok()?;
        let body = unframe(bytes);
        if body.is_none() {
            let _ = fs_err::remove_file(&path);
        }
        body
    }

    /// Up to `limit` bytes from the start of the body stored under `key`,
    /// not checked against the checksum (that needs the whole entry): for
    /// reading the head of a large entry whose body may not be needed. A
    /// caller trusts nothing in it beyond what a later [`Self::get`] checks.
    pub fn get_head(&self, key: &str, limit: usize) -> Option<Vec<u8>> {
        use std::io::Read;
        let file = fs_err::File::open(self.root.join(key)).ok()?;
        let mut bytes = Vec::with_capacity(limit + MAGIC.len() + 9);
        file.take((limit + MAGIC.len() + 9) as u64)
            .read_to_end(&mut bytes)
            .ok()?;
        let body = bytes.strip_prefix(MAGIC)?.get(9..)?;
        Some(body.to_vec())
    }

    /// Remove the entry under `key` (e.g. one that does not parse).
    pub fn remove(&self, key: &str) {
        let _ = fs_err::remove_file(self.root.join(key));
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
        let Ok(mut temp) = tempfile::Builder::new().prefix(".tmp-").tempfile_in(parent) else {
            return;
        };
        if write_framed(&mut temp, bytes).is_ok() {
            let _ = temp.persist(&path);
        }
    }
}

/// Work that stores entries, done on a thread of its own so that a large
/// page is used as soon as it is parsed, not after it is encoded and
/// written. Jobs run in order; dropping the writer (with the last client of
/// a run) waits for them, so a run's entries are on disk when it ends.
#[derive(Debug, Default)]
pub(crate) struct BackgroundWriter {
    queue: std::sync::Mutex<Option<Queue>>,
}

type Job = Box<dyn FnOnce() + Send>;

#[derive(Debug)]
struct Queue {
    sender: std::sync::mpsc::Sender<Job>,
    thread: std::thread::JoinHandle<()>,
}

impl BackgroundWriter {
    /// Runs `job` on the writer's thread (started on first use), or here
    /// when no thread can be started.
    pub(crate) fn run(&self, job: impl FnOnce() + Send + 'static) {
        let mut queue = self
            .queue
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if queue.is_none() {
            let (sender, receiver) = std::sync::mpsc::channel::<Job>();
            let spawned = std::thread::Builder::new()
                .name("plinth-cache-writer".to_string())
                .spawn(move || receiver.into_iter().for_each(|job| job()));
            match spawned {
                Ok(thread) => *queue = Some(Queue { sender, thread }),
                Err(_) => return job(),
            }
        }
        if let Some(queue) = queue.as_ref()
            && let Err(unsent) = queue.sender.send(Box::new(job))
        {
            (unsent.0)();
        }
    }
}

impl Drop for BackgroundWriter {
    fn drop(&mut self) {
        let queue = self
            .queue
            .get_mut()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .take();
        if let Some(Queue { sender, thread }) = queue {
            drop(sender);
            let _ = thread.join();
        }
    }
}

fn write_framed(temp: &mut NamedTempFile, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    temp.write_all(MAGIC)?;
    temp.write_all(&checksum(bytes))?;
    temp.write_all(b"\n")?;
    temp.write_all(bytes)?;
    temp.flush()
}

/// The body of a stored entry, if its checksum line matches it (moved to
/// the front of `bytes`, not copied).
fn unframe(mut bytes: Vec<u8>) -> Option<Vec<u8>> {
    let rest = bytes.strip_prefix(MAGIC)?;
    let (hash, body) = rest.split_at_checked(8)?;
    let body = body.strip_prefix(b"\n")?;
    if checksum(body) != hash {
        return None;
    }
    let start = bytes.len() - body.len();
    bytes.drain(..start);
    Some(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn background_writes_are_done_in_order_when_the_writer_is_dropped() {
        let directory = tempfile::tempdir().expect("temp dir");
        let cache = Cache::new(directory.path());
        let writer = BackgroundWriter::default();
        for round in 0..50 {
            let cache = cache.clone();
            writer.run(move || {
                std::thread::sleep(std::time::Duration::from_millis(1));
                cache.put("pages/a", format!("{round}").as_bytes());
            });
        }
        drop(writer);
        assert_eq!(cache.get("pages/a").as_deref(), Some(&b"49"[..]));
    }

    #[test]
    fn damaged_entries_are_missing_and_removed() {
        let directory = tempfile::tempdir().expect("temp dir");
        let cache = Cache::new(directory.path());
        cache.put("metadata/abc", b"Metadata-Version: 2.1\nName: pkg\n");
        assert_eq!(
            cache.get("metadata/abc").as_deref(),
            Some(&b"Metadata-Version: 2.1\nName: pkg\n"[..])
        );
        let path = directory.path().join("v3").join("metadata").join("abc");
        let stored = fs_err::read(&path).expect("stored entry");
        for damaged in [
            stored[..stored.len() - 3].to_vec(),
            stored[..10].to_vec(),
            Vec::new(),
            b"garbage".to_vec(),
            [&stored[..stored.len() - 1], b"X"].concat(),
        ] {
            fs_err::write(&path, &damaged).expect("damage the entry");
            assert_eq!(cache.get("metadata/abc"), None);
            assert!(!path.exists(), "a damaged entry is removed");
        }
        cache.put("pages/big", b"head line\nand a long body");
        assert_eq!(
            cache.get_head("pages/big", 9).as_deref(),
            Some(&b"head line"[..])
        );
        assert_eq!(cache.get_head("pages/none", 9), None);
        cache.put("empty", b"");
        assert_eq!(cache.get("empty").as_deref(), Some(&b""[..]));
    }
}
