//! Progress reporting as a trait, so the library never touches a terminal.

/// Receives progress from a run. All methods default to doing nothing.
pub trait Progress: Sync {
    /// A new stage begins (`read`, `index`, `cluster`, `write`, ...).
    fn stage(&self, _name: &str) {}
    /// `docs` more records and `bytes` more input bytes were processed.
    fn advance(&self, _docs: u64, _bytes: u64) {}
    /// Work within the current stage: `done` of `total` (`None` when not
    /// known) units, which `unit` names (`pairs`, `groups`, `records`,
    /// `bytes`). Stages after the first read report their progress this way.
    fn work(&self, _done: u64, _total: Option<u64>, _unit: &str) {}
    /// The scan is over (a caller may go on with stages of its own, such
    /// as writing outputs).
    fn finish(&self) {}
}

/// Progress that is not shown.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoProgress;

impl Progress for NoProgress {}
