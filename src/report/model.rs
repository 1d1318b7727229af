//! Serde types of the report, and nothing else. Field order here is the key
//! order in the JSON output; every list is sorted by the pipeline before it
//! gets here, so a report is the same byte for byte on any thread count.

use serde::Serialize;

use crate::error::Skip;

/// Version of the report format; bumped on any incompatible change.
pub const REPORT_VERSION: u32 = 1;

/// A whole report.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// [`REPORT_VERSION`].
    pub version: u32,
    /// The effective parameters of the run.
    pub params: Params,
    /// Counts and timing.
    pub stats: Stats,
    /// Clusters of near-duplicate documents, largest first.
    pub clusters: Vec<Cluster>,
    /// Records that were not used, in input order.
    pub skipped: Vec<Skip>,
    /// Quality against labels (`--truth`), if given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub evaluation: Option<crate::eval::Metrics>,
}

/// The effective parameters, including values chosen automatically.
#[derive(Debug, Clone, Serialize)]
pub struct Params {
    /// Detection method (`minhash`).
    pub method: String,
    /// Jaccard threshold a pair must reach.
    pub threshold: f64,
    /// MinHash signature length.
    pub num_perm: usize,
    /// MinHash variant (`one-permutation` or `classic`).
    pub minhash_variant: String,
    /// LSH bands.
    pub bands: usize,
    /// LSH rows per band.
    pub rows: usize,
    /// Whether bands and rows were chosen from the threshold.
    pub bands_rows_auto: bool,
    /// `words` or `chars`.
    pub shingle: String,
    /// Shingle size.
    pub ngram: usize,
    /// Unicode NFKC normalization.
    pub nfkc: bool,
    /// Lowercasing.
    pub lowercase: bool,
    /// Accent folding.
    pub fold_accents: bool,
    /// Hash seed.
    pub seed: u64,
    /// Which member of a cluster is kept (`first` or `longest`).
    pub keep: String,
    /// JSON id field.
    pub id_field: String,
    /// JSON text field.
    pub text_field: String,
}

/// Counts of a run. `records = documents + skipped`, and
/// `documents = kept_documents + duplicate_documents`.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Stats {
    /// Records read: files, or non-blank JSON lines.
    pub records: u64,
    /// Documents read successfully.
    pub documents: u64,
    /// Bytes of text in those documents.
    pub bytes: u64,
    /// Words in those documents.
    pub words: u64,
    /// Records skipped (see `skipped`).
    pub skipped: u64,
    /// Documents whose id was already used by an earlier document.
    pub duplicate_ids: u64,
    /// Candidate pairs from LSH.
    pub candidate_pairs: u64,
    /// Candidate pairs that passed verification.
    pub verified_pairs: u64,
    /// Clusters of two or more documents.
    pub clusters: u64,
    /// Documents in clusters.
    pub clustered_documents: u64,
    /// Documents a dedup would remove (cluster members but the kept one).
    pub duplicate_documents: u64,
    /// Bytes of those documents.
    pub duplicate_bytes: u64,
    /// Documents a dedup keeps.
    pub kept_documents: u64,
    /// Wall-clock timing; absent with `--no-timing`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timing: Option<Timing>,
}

/// The only part of a report that varies between identical runs.
#[derive(Debug, Clone, Serialize)]
pub struct Timing {
    /// Seconds from start to end of the scan.
    pub elapsed_seconds: f64,
    /// Megabytes (10⁶ bytes) of text per second.
    pub mb_per_second: f64,
}

/// A cluster of near-duplicate documents.
#[derive(Debug, Clone, Serialize)]
pub struct Cluster {
    /// 0-based position in the report.
    pub id: usize,
    /// Number of members.
    pub size: usize,
    /// The id of the member a dedup keeps.
    pub representative: String,
    /// Members in input order.
    pub members: Vec<Member>,
}

/// A member of a cluster.
#[derive(Debug, Clone, Serialize)]
pub struct Member {
    /// Document id.
    pub doc: String,
    /// Estimated Jaccard similarity with the representative (1 for itself),
    /// rounded to 4 decimals.
    pub similarity: f64,
}

/// Rounds to 4 decimals for the report.
pub fn round4(x: f64) -> f64 {
    (x * 10_000.0).round() / 10_000.0
}
