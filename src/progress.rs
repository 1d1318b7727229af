//! Progress reporting as a trait, so the library never touches a terminal.

/// Receives progress from a run. All methods default to doing nothing.
pub trait Progress: Sync {
    /// A new stage begins (`read`, `index`, `cluster`, `write`, ...).
    fn stage(&self, _name: &str) {}
    /// `docs` more records and `bytes` more input bytes were processed.
    fn advance(&self, _docs: u64, _bytes: u64) {}
    /// The run is over.
    fn finish(&self) {}
}

/// Progress that is not shown.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoProgress;

impl Progress for NoProgress {}
