//! Temporary files the process has made and not yet removed or renamed into
//! place (saved stdin, outputs being written), so that a signal handler can
//! remove them before the process dies: an interrupted run leaves no hidden
//! `.neardup-*.tmp` behind.
//!
//! Files register themselves with [`register`] and unregister when the
//! returned [`Registered`] is dropped. A file renamed into place is no
//! longer at its temporary path, so a handler that runs between the rename
//! and the unregistering removes nothing.

use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};

static LIVE: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());

fn live() -> MutexGuard<'static, Vec<PathBuf>> {
    LIVE.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// A registered temporary file; dropping it unregisters the path (it does
/// not remove the file: its owner does).
#[derive(Debug)]
pub struct Registered(PathBuf);

impl Drop for Registered {
    fn drop(&mut self) {
        let mut live = live();
        if let Some(i) = live.iter().position(|p| *p == self.0) {
            live.swap_remove(i);
        }
    }
}

/// Registers `path` for removal by [`remove_all_and_hold`].
pub fn register(path: &Path) -> Registered {
    live().push(path.to_path_buf());
    Registered(path.to_path_buf())
}

/// Removes every registered file and returns how many were removed. The
/// registry stays locked for good, so nothing is renamed into place
/// afterwards: call it only when the process is about to end (from a signal
/// handler).
pub fn remove_all_and_hold() -> usize {
    let guard = live();
    let removed = guard.iter().filter(|p| std::fs::remove_file(p).is_ok()).count();
    std::mem::forget(guard);
    removed
}

/// The registered paths (for tests).
pub fn registered() -> Vec<PathBuf> {
    live().clone()
}
