//! Work done once per run per key, however many callers wait for it.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::{Arc, Mutex};

use tokio::sync::OnceCell;

/// Results by key: each computed once, shared by every caller.
pub(crate) type OnceMap<K, V> = Mutex<HashMap<K, Arc<OnceCell<V>>>>;

/// The cell of `key` in `map` (a new, empty one the first time).
pub(crate) fn cell<K: Eq + Hash + Clone, V>(map: &OnceMap<K, V>, key: &K) -> Arc<OnceCell<V>> {
    let mut cells = map.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    cells.entry(key.clone()).or_default().clone()
}

/// Where the work for a key stands.
pub(crate) enum Progress<V> {
    NotAsked,
    Underway,
    Done(V),
}

/// Where the work for `key` in `map` stands (this never waits).
pub(crate) fn progress<K: Eq + Hash, V: Clone>(map: &OnceMap<K, V>, key: &K) -> Progress<V> {
    let cells = map.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    match cells.get(key) {
        None => Progress::NotAsked,
        Some(cell) => cell
            .get()
            .cloned()
            .map_or(Progress::Underway, Progress::Done),
    }
}
