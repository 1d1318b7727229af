//! Serde types of the report, and nothing else. Field order here is the key
//! order in the JSON output; every list is sorted by the pipeline before it
//! gets here, so a report is the same byte for byte on any thread count.

use serde::{Deserialize, Serialize};

use crate::error::Skip;

fn is_zero(n: &u64) -> bool {
    *n == 0
}

/// Version of the report format; bumped on any incompatible change.
pub const REPORT_VERSION: u32 = 1;

/// A whole report.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Report {
    /// [`REPORT_VERSION`].
    pub version: u32,
    /// The effective parameters of the run.
    pub params: Params,
    /// Counts and timing.
    pub stats: Stats,
    /// Clusters of near-duplicate documents, largest first.
    pub clusters: Vec<Cluster>,
    /// Repeated passages, most occurrences first.
    pub passages: Vec<Passage>,
    /// Records that were not used, in input order.
    pub skipped: Vec<Skip>,
    /// Ids of the documents with nothing but boilerplate
    /// (`--ignore-boilerplate`), in input order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub boilerplate_only: Vec<String>,
    /// Quality against labels (`--truth`), if given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub evaluation: Option<crate::eval::Metrics>,
}

/// The effective parameters, including values chosen automatically.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Params {
    /// Detection method (`minhash`, or `none` for passages alone).
    pub method: String,
    /// Verification: `exact-near-threshold` (MinHash pairs near the
    /// threshold and every SimHash pair decided by their exact Jaccard) or
    /// `estimate`.
    pub verify: String,
    /// Shortest repeated passage reported, in words; absent when passages
    /// are off.
    pub min_passage_words: Option<usize>,
    /// SimHash: largest Hamming distance.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hamming: Option<u32>,
    /// SimHash: whether `hamming` was derived from the threshold
    /// (`--hamming auto`, the default); absent in reports written before.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hamming_auto: Option<bool>,
    /// SimHash: `tf` or `tfidf`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub weighting: Option<String>,
    /// SimHash: number of multi-index tables (substrings searched).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub simhash_tables: Option<u64>,
    /// `--ignore-boilerplate`: shingles in at least this many documents
    /// were left out of document similarity.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ignore_boilerplate: Option<u32>,
    /// With `ignore_boilerplate`: only runs of such shingles spanning at
    /// least this many words were left out (`--boilerplate-words`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub boilerplate_words: Option<usize>,
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
    /// MinHash: the S-curve of these bands and rows.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub s_curve: Option<SCurve>,
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
    /// How pairs became clusters: `star` or `leader` (every member a
    /// near-duplicate of the kept document) or `components` (transitive
    /// closure).
    #[serde(default = "components")]
    pub cluster: String,
    /// JSON id field.
    pub id_field: String,
    /// JSON text field.
    pub text_field: String,
}

/// The LSH S-curve P(s) = 1 − (1 − s^rows)^bands: the chance that a pair
/// of Jaccard s becomes a candidate.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SCurve {
    /// P(threshold).
    pub candidate_probability_at_threshold: f64,
    /// The similarity where P = 0.5.
    pub similarity_at_p50: f64,
    /// The similarity where P = 0.95.
    pub similarity_at_p95: f64,
    /// The probability at the threshold that automatic bands and rows
    /// reach when any choice can (0.95).
    pub floor: f64,
    /// Whether P(threshold) reaches the floor (automatic bands and rows
    /// miss it only when no choice reaches it: they then take the highest).
    pub floor_reached: bool,
}

/// What reports written before `cluster` was stated used.
fn components() -> String {
    "components".into()
}

/// Counts of a run. `records = documents + skipped`, and
/// `documents = kept_documents + duplicate_documents`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Stats {
    /// Records read: files, or non-blank JSON lines.
    pub records: u64,
    /// Documents read successfully (those with no words included).
    pub documents: u64,
    /// Documents with no words (empty text, only punctuation or emoji):
    /// too short to compare, never in a cluster or passage, kept by dedup.
    #[serde(default)]
    pub too_short_documents: u64,
    /// Documents whose every shingle is boilerplate (`--ignore-boilerplate`):
    /// compared with none, in no cluster, kept by dedup (listed in
    /// [`Report::boilerplate_only`]).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub boilerplate_only_documents: u64,
    /// Bytes of text in those documents.
    pub bytes: u64,
    /// Words in those documents.
    pub words: u64,
    /// Records skipped (see `skipped`).
    pub skipped: u64,
    /// Skips counted by reason (`kind` of the reason).
    pub skipped_by_reason: std::collections::BTreeMap<String, u64>,
    /// Skips beyond `--max-skips`, counted but not listed in `skipped`.
    pub skipped_not_listed: u64,
    /// Documents whose id was already used by an earlier document.
    pub duplicate_ids: u64,
    /// Candidate pairs from LSH.
    pub candidate_pairs: u64,
    /// Pairs that passed verification (all methods).
    pub verified_pairs: u64,
    /// MinHash candidates within 4σ of the threshold, decided by their
    /// exact Jaccard.
    pub exact_checked_pairs: u64,
    /// Pairs found by the SimHash tables.
    pub simhash_pairs: u64,
    /// Bytes of the largest SimHash table (tables are built one at a time).
    pub simhash_table_bytes: u64,
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
    /// Passage groups found.
    pub repeated_passages: u64,
    /// Occurrences in all passage groups.
    pub passage_occurrences: u64,
    /// Bytes of text that repeat an earlier passage of the same document.
    pub repeated_bytes_within: u64,
    /// Bytes of text that repeat a passage of an earlier document.
    pub repeated_bytes_across: u64,
    /// `repeated_bytes_within / bytes`.
    pub repeated_share_within: f64,
    /// `repeated_bytes_across / bytes`.
    pub repeated_share_across: f64,
    /// Wall-clock timing; absent with `--no-timing`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timing: Option<Timing>,
}

/// The only part of a report that varies between identical runs.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Timing {
    /// Seconds from start to end of the scan.
    pub elapsed_seconds: f64,
    /// Megabytes (10⁶ bytes) of text per second.
    pub mb_per_second: f64,
    /// Each stage of the scan with its wall time, in the order they ran
    /// (the stage names of `--progress json`); they add up to
    /// `elapsed_seconds` but for rounding.
    #[serde(default)]
    pub stages: Vec<StageTime>,
}

/// The wall time of one stage of a scan.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StageTime {
    /// The stage (`read`, `index`, `passages`, ...).
    pub stage: String,
    /// Wall seconds, from the stage's start to the next stage's.
    pub seconds: f64,
}

/// A cluster of near-duplicate documents.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Cluster {
    /// 0-based position in the report.
    pub id: usize,
    /// Number of members.
    pub size: usize,
    /// The id of the member a dedup keeps.
    pub representative: String,
    /// Members in input order.
    pub members: Vec<Member>,
    /// With `--method both`: every verified pair and which methods found it.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub pairs: Vec<Pair>,
}

/// A verified pair inside a cluster (reported with `--method both`).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Pair {
    /// Earlier document.
    pub a: String,
    /// Later document.
    pub b: String,
    /// `minhash`, `simhash` or both: the indexes that found the pair.
    pub methods: Vec<String>,
    /// Estimated Jaccard, when MinHash found the pair.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub jaccard: Option<f64>,
    /// Hamming distance of the SimHash fingerprints, when SimHash found it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hamming: Option<u32>,
}

/// A member of a cluster.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Member {
    /// Document id.
    pub doc: String,
    /// Similarity with the representative (1 for itself), rounded to 4
    /// decimals. Leader clustering: the verified similarity of the pair
    /// (the exact Jaccard where it was checked, else the estimate), never
    /// below the threshold; SimHash alone: 1 − hamming/64, the share of
    /// equal bits, on its own scale (at least 1 − K/64). Components: the
    /// first method's estimate, which can be far below it.
    pub similarity: f64,
}

/// A passage that occurs in two or more places.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Passage {
    /// 0-based position in the report.
    pub id: usize,
    /// Length of the first occurrence in words.
    pub words: usize,
    /// Number of distinct documents it occurs in.
    pub documents: usize,
    /// Text of the first occurrence (cut after 400 bytes, ending in `…`).
    pub text: String,
    /// Every place, by document in input order, then offset.
    pub occurrences: Vec<Occurrence>,
}

/// One place a passage occurs: `text[start..end]` of document `doc`, byte
/// offsets into the original text, from the first to the last word.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Occurrence {
    /// Document id.
    pub doc: String,
    /// First byte.
    pub start: u32,
    /// One past the last byte.
    pub end: u32,
}

/// Rounds to 4 decimals for the report.
pub fn round4(x: f64) -> f64 {
    (x * 10_000.0).round() / 10_000.0
}
