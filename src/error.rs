//! Errors of the library, and skips: bad records that are data, not errors.
//!
//! A run fails with an [`Error`] only when it cannot go on (a bad option, an
//! output that cannot be written, or any bad record under `--strict`). A bad
//! *record* (invalid UTF-8, a malformed JSON line, a missing text field, an
//! unreadable input file) becomes a [`Skip`]: it is counted, named with its
//! file and line in the report, and the run goes on.

use std::fmt;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

/// The result type of the library.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// An error that stops a run.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Reading or writing a file failed. The message names the file; the
    /// I/O error is its source (`{:#}` with anyhow prints both, once each).
    #[error("{}", path.display())]
    Io {
        /// The file or folder involved.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// An input named by the caller is missing or cannot be opened: checked
    /// before the run, as a run without it would be wrong.
    #[error("input {}: {message}", path.display())]
    Input {
        /// The input as named.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// An option has a value the library cannot work with, or options do
    /// not go together. The message names the flag to change.
    #[error("{0}")]
    InvalidOption(String),
    /// A file read whole (labels, a report) is not what it must be.
    #[error("{}{}: {message}", path.display(), line.map(|l| format!(":{l}")).unwrap_or_default())]
    BadFile {
        /// The file.
        path: PathBuf,
        /// The 1-based line, for line-oriented files.
        line: Option<u64>,
        /// What is wrong.
        message: String,
    },
    /// The inputs changed between two reads of one run: the second read
    /// found another number of records, so it cannot be matched to the
    /// first. (Only the count is checked.)
    #[error(
        "the inputs changed between the two reads for {purpose} ({before} records, then {after})"
    )]
    InputChanged {
        /// The stage that read again.
        purpose: &'static str,
        /// Records of the first read.
        before: usize,
        /// Records of the second read.
        after: usize,
    },
    /// An input that can be read only once (stdin, a pipe) would be read
    /// again: the read planner ([`crate::plan`]) saves such inputs first.
    #[error(
        "{name} can be read only once and this run reads its input more than once: save it to \
         a file first (neardup::plan::prepare does)"
    )]
    ReadOnce {
        /// The input as named.
        name: String,
    },
    /// A stream input could not be saved to a temporary file.
    #[error("cannot save {name} to a temporary file")]
    Spool {
        /// The input as named.
        name: String,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// The worker threads could not be started.
    #[error("cannot start --threads {threads}")]
    ThreadPool {
        /// Threads asked for.
        threads: usize,
        /// The underlying error.
        #[source]
        source: rayon::ThreadPoolBuildError,
    },
    /// More documents than document ids (`u32`).
    #[error("more than 4 billion documents")]
    TooManyDocuments,
    /// An internal check failed: a bug in neardup, to report.
    #[error("BUG: {0}")]
    Bug(String),
    /// A bad record under strict mode (`--strict`), where skips are fatal.
    #[error("{0} (stopped because of --strict; without it the record is skipped and counted)")]
    Strict(Skip),
    /// A stage file (intermediate results on disk) cannot be written or
    /// used. The message names the file and what is wrong.
    #[error(transparent)]
    StageFile(#[from] crate::stagefile::StageFileError),
}

impl Error {
    /// An I/O error on `path`.
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Error {
        Error::Io { path: path.into(), source }
    }
}

/// Why a record was skipped.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind", content = "detail")]
// Keep `SkipReason::kind` in step with these names (a unit test checks).
#[non_exhaustive]
pub enum SkipReason {
    /// The bytes are not valid UTF-8.
    InvalidUtf8 {
        /// Byte offset of the first invalid byte within the record.
        offset: usize,
    },
    /// The line is not valid JSON, or not a JSON object.
    MalformedJson(String),
    /// The JSON object has no text field of the configured name.
    MissingText(String),
    /// The text field is not a string.
    TextNotString(String),
    /// The document holds no words. No longer a skip: such documents are
    /// kept and counted in `stats.too_short_documents`; the kind stays so
    /// that older reports still read.
    Empty,
    /// The record (a JSON line or a `.txt` file) is longer than the limit
    /// given, in bytes (`--max-doc-bytes`); it was not held in memory.
    TooLarge(u64),
    /// The file could not be opened or read.
    Unreadable(String),
    /// A symbolic link leads back to a folder it is in.
    SymlinkLoop,
    /// A folder holds no file the filter takes (`--glob`, default `*.txt`):
    /// what it passed over.
    NoFileMatched(String),
}

impl SkipReason {
    /// The reason's kind, as serialized (`invalid_utf8`, `empty`, ...).
    pub fn kind(&self) -> &'static str {
        match self {
            SkipReason::InvalidUtf8 { .. } => "invalid_utf8",
            SkipReason::MalformedJson(_) => "malformed_json",
            SkipReason::MissingText(_) => "missing_text",
            SkipReason::TextNotString(_) => "text_not_string",
            SkipReason::Empty => "empty",
            SkipReason::TooLarge(_) => "too_large",
            SkipReason::Unreadable(_) => "unreadable",
            SkipReason::SymlinkLoop => "symlink_loop",
            SkipReason::NoFileMatched(_) => "no_file_matched",
        }
    }
}

impl fmt::Display for SkipReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SkipReason::InvalidUtf8 { offset } => {
                write!(f, "invalid UTF-8 at byte {offset} of the record")
            }
            SkipReason::MalformedJson(m) => write!(f, "malformed JSON: {m}"),
            SkipReason::MissingText(field) => write!(
                f,
                "no \"{field}\" field in the JSON object (choose the field with --text-field)"
            ),
            SkipReason::TextNotString(field) => {
                write!(f, "the \"{field}\" field is not a string")
            }
            SkipReason::Empty => write!(f, "empty document: no words to compare"),
            SkipReason::TooLarge(n) => {
                write!(f, "record longer than the limit of {n} bytes (--max-doc-bytes)")
            }
            SkipReason::Unreadable(m) => write!(f, "cannot read: {m}"),
            SkipReason::SymlinkLoop => {
                write!(f, "symbolic link loop: leads back to a folder it is in")
            }
            SkipReason::NoFileMatched(m) => write!(f, "no file to read: {m}"),
        }
    }
}

/// A record that was not used, with where it came from and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Skip {
    /// The file (or `-` for standard input).
    pub source: String,
    /// The 1-based line for JSON Lines input; absent for whole files.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<u64>,
    /// Why it was skipped.
    pub reason: SkipReason,
}

impl fmt::Display for Skip {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(line) => write!(f, "{}:{line}: {}", self.source, self.reason),
            None => write!(f, "{}: {}", self.source, self.reason),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kind_matches_the_serialized_tag() {
        let all = [
            SkipReason::InvalidUtf8 { offset: 1 },
            SkipReason::MalformedJson("x".into()),
            SkipReason::MissingText("t".into()),
            SkipReason::TextNotString("t".into()),
            SkipReason::Empty,
            SkipReason::TooLarge(5),
            SkipReason::Unreadable("x".into()),
            SkipReason::SymlinkLoop,
            SkipReason::NoFileMatched("x".into()),
        ];
        for r in all {
            let v = serde_json::to_value(&r).unwrap();
            assert_eq!(v["kind"], r.kind());
        }
    }
}
