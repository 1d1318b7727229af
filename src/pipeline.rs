//! A whole run: reads the inputs, sketches every document in parallel,
//! finds candidate pairs, verifies them, clusters, and builds the report;
//! and writes the deduplicated collection.
//!
//! Streaming: one thread reads raw records in batches (about
//! [`Config::batch_bytes`] each) while rayon parses and sketches the previous
//! batch; a document's text is dropped once its signature is made, so memory
//! grows with the number of documents (id, length, signature: about
//! `num_perm · 4 + bands · 8 + 64` bytes each), not with the text.
//!
//! Determinism: batches are processed with indexed parallel iterators that
//! keep input order, candidate pairs are sorted, and union-find output is
//! sorted, so the report is the same byte for byte on any thread count.

use std::collections::HashSet;
use std::io::Write;
use std::sync::mpsc;
use std::time::Instant;

use bitvec::vec::BitVec;
use rayon::prelude::*;

use crate::cluster::{self, Keep};
use crate::error::{Error, Result, Skip, SkipReason};
use crate::ids::DocId;
use crate::lsh::{self, LshParams};
use crate::minhash::{MinHasher, Signature, Variant};
use crate::progress::Progress;
use crate::report::model::{self, Report, Stats, Timing};
use crate::shingle::{self, ShingleKind};
use crate::source::{Document, Input, RawKind, RawRecord, Reader, SourceOptions};
use crate::text::{TextOptions, Token, Tokenizer};
use crate::verify;

/// Every parameter of a run, validated by [`Config::validate`].
#[derive(Debug, Clone)]
pub struct Config {
    /// Files, folders or stdin, read in this order.
    pub inputs: Vec<Input>,
    /// JSON field names.
    pub source: SourceOptions,
    /// Normalization.
    pub text: TextOptions,
    /// Word or character shingles and their size.
    pub shingle: ShingleKind,
    /// MinHash signature length.
    pub num_perm: usize,
    /// MinHash variant.
    pub variant: Variant,
    /// Jaccard threshold.
    pub threshold: f64,
    /// Bands × rows; `None` chooses them from the threshold.
    pub lsh: Option<LshParams>,
    /// Seed of every hash.
    pub seed: u64,
    /// Representative choice for dedup.
    pub keep: Keep,
    /// Worker threads; 0 uses all cores.
    pub threads: usize,
    /// Stop at the first bad record instead of skipping it.
    pub strict: bool,
    /// Put timing in the report.
    pub timing: bool,
    /// Raw bytes per batch handed to the workers.
    pub batch_bytes: usize,
}

impl Config {
    /// Defaults for `inputs`: 5-word shingles, 128 one-permutation MinHash
    /// values, Jaccard 0.8, automatic bands × rows, seed 0.
    pub fn new(inputs: Vec<Input>) -> Config {
        Config {
            inputs,
            source: SourceOptions::default(),
            text: TextOptions::default(),
            shingle: ShingleKind::Words(5),
            num_perm: 128,
            variant: Variant::OnePermutation,
            threshold: 0.8,
            lsh: None,
            seed: 0,
            keep: Keep::First,
            threads: 0,
            strict: false,
            timing: true,
            batch_bytes: 16 << 20,
        }
    }

    /// Checks every parameter; the message names the flag to change.
    pub fn validate(&self) -> Result<()> {
        let bad = |m: String| Err(Error::Config(m));
        if self.inputs.is_empty() {
            return bad("no input given: name files, folders or - for stdin".into());
        }
        if !(self.threshold > 0.0 && self.threshold <= 1.0) {
            return bad(format!("--threshold {} must be in (0, 1]", self.threshold));
        }
        if !(1..=4096).contains(&self.num_perm) {
            return bad(format!("--num-perm {} must be between 1 and 4096", self.num_perm));
        }
        let k = self.shingle.size();
        if !(1..=64).contains(&k) {
            return bad(format!("--ngram/--char-ngram {k} must be between 1 and 64"));
        }
        if let Some(p) = self.lsh {
            if p.bands == 0 || p.rows == 0 || p.bands * p.rows > self.num_perm {
                return bad(format!(
                    "--bands {} x --rows {} must be at least 1 x 1 and at most --num-perm {}",
                    p.bands, p.rows, self.num_perm
                ));
            }
        }
        if self.inputs.iter().filter(|i| **i == Input::Stdin).count() > 1 {
            return bad("- (stdin) can be given only once".into());
        }
        Ok(())
    }

    /// The bands × rows in effect.
    pub fn lsh_params(&self) -> LshParams {
        self.lsh.unwrap_or_else(|| LshParams::optimal(self.threshold, self.num_perm))
    }

    fn params(&self) -> model::Params {
        let lsh = self.lsh_params();
        let (shingle, ngram) = match self.shingle {
            ShingleKind::Words(k) => ("words", k),
            ShingleKind::Chars(k) => ("chars", k),
        };
        model::Params {
            method: "minhash".into(),
            threshold: self.threshold,
            num_perm: self.num_perm,
            minhash_variant: self.variant.name().into(),
            bands: lsh.bands,
            rows: lsh.rows,
            bands_rows_auto: self.lsh.is_none(),
            shingle: shingle.into(),
            ngram,
            nfkc: self.text.nfkc,
            lowercase: self.text.lowercase,
            fold_accents: self.text.fold_accents,
            seed: self.seed,
            keep: match self.keep {
                Keep::First => "first".into(),
                Keep::Longest => "longest".into(),
            },
            id_field: self.source.id_field.clone(),
            text_field: self.source.text_field.clone(),
        }
    }

    fn pool(&self) -> Result<rayon::ThreadPool> {
        rayon::ThreadPoolBuilder::new()
            .num_threads(self.threads)
            .build()
            .map_err(|e| Error::Config(format!("cannot start --threads {}: {e}", self.threads)))
    }
}

/// What a scan keeps per document.
#[derive(Debug)]
struct DocState {
    id: String,
    bytes: u64,
    words: u64,
    signature: Signature,
}

/// The result of [`scan`]: the report, and which input records a dedup keeps.
#[derive(Debug)]
pub struct Outcome {
    /// The report.
    pub report: Report,
    /// One bit per input record (in reading order, skips included): set if a
    /// dedup writes it.
    pub keep_record: BitVec,
}

/// Per-thread state: tokenizer and buffers.
struct Worker<'a> {
    cfg: &'a Config,
    hasher: &'a MinHasher,
    tokenizer: Tokenizer,
    tokens: Vec<Token>,
    words: Vec<u64>,
    shingles: Vec<u64>,
    normalized: String,
}

impl<'a> Worker<'a> {
    fn new(cfg: &'a Config, hasher: &'a MinHasher) -> Worker<'a> {
        Worker {
            cfg,
            hasher,
            tokenizer: Tokenizer::new(TextOptions { seed: cfg.seed, ..cfg.text }),
            tokens: Vec::new(),
            words: Vec::new(),
            shingles: Vec::new(),
            normalized: String::new(),
        }
    }

    fn sketch(&mut self, raw: &RawRecord) -> Result<DocState, Skip> {
        let doc = raw.parse(&self.cfg.source)?;
        self.tokens.clear();
        self.words.clear();
        self.shingles.clear();
        self.normalized.clear();
        let seed = self.cfg.seed;
        match self.cfg.shingle {
            ShingleKind::Words(k) => {
                self.tokenizer.tokenize_into(&doc.text, &mut self.tokens, None);
                shingle::token_hashes(&self.tokens, &mut self.words);
                shingle::word_shingles(&self.words, k, seed, &mut self.shingles);
            }
            ShingleKind::Chars(k) => {
                self.tokenizer.tokenize_into(
                    &doc.text,
                    &mut self.tokens,
                    Some(&mut self.normalized),
                );
                shingle::char_shingles(&self.normalized, k, seed, &mut self.shingles);
            }
        }
        if self.tokens.is_empty() {
            return Err(raw.skip(SkipReason::Empty));
        }
        Ok(DocState {
            id: doc.id,
            bytes: doc.text.len() as u64,
            words: self.tokens.len() as u64,
            signature: self.hasher.sign(&self.shingles),
        })
    }
}

type Batch = Vec<Result<RawRecord, Skip>>;

/// Reads `inputs` on a separate thread and hands batches to `each`, in order.
fn read_batches(
    inputs: &[Input],
    batch_bytes: usize,
    mut each: impl FnMut(Batch) -> Result<()>,
) -> Result<()> {
    let (tx, rx) = mpsc::sync_channel::<Batch>(2);
    let inputs = inputs.to_vec();
    std::thread::scope(|s| {
        s.spawn(move || {
            let mut batch = Vec::new();
            let mut size = 0;
            for item in Reader::new(&inputs) {
                size += item.as_ref().map_or(0, |r| r.bytes.len()) + 64;
                batch.push(item);
                if size >= batch_bytes {
                    if tx.send(std::mem::take(&mut batch)).is_err() {
                        return; // the consumer stopped (an error)
                    }
                    size = 0;
                }
            }
            if !batch.is_empty() {
                let _ = tx.send(batch);
            }
        });
        // Drain on error too, so the reader thread is never left blocked.
        let mut result = Ok(());
        for batch in rx {
            if result.is_ok() {
                result = each(batch);
            }
        }
        result
    })
}

/// Runs a scan: near-duplicate clusters and the report.
pub fn scan(cfg: &Config, progress: &dyn Progress) -> Result<Outcome> {
    cfg.validate()?;
    let start = Instant::now();
    let pool = cfg.pool()?;
    let hasher = MinHasher::new(cfg.num_perm, cfg.seed, cfg.variant);
    let lsh = cfg.lsh_params();

    let mut docs: Vec<DocState> = Vec::new();
    let mut record_doc: Vec<Option<DocId>> = Vec::new();
    let mut skipped: Vec<Skip> = Vec::new();
    let mut stats = Stats::default();

    progress.stage("read");
    read_batches(&cfg.inputs, cfg.batch_bytes, |batch| {
        let raw_bytes: u64 =
            batch.iter().map(|r| r.as_ref().map_or(0, |r| r.bytes.len() as u64)).sum();
        let results: Vec<Result<DocState, Skip>> = pool.install(|| {
            batch
                .par_iter()
                .map_init(
                    || Worker::new(cfg, &hasher),
                    |w, item| match item {
                        Ok(raw) => w.sketch(raw),
                        Err(skip) => Err(skip.clone()),
                    },
                )
                .collect()
        });
        for r in results {
            stats.records += 1;
            match r {
                Ok(d) => {
                    let id = DocId::from_index(docs.len())
                        .ok_or_else(|| Error::Config("more than 4 billion documents".into()))?;
                    record_doc.push(Some(id));
                    docs.push(d);
                }
                Err(skip) => {
                    if cfg.strict {
                        return Err(Error::Strict(skip));
                    }
                    record_doc.push(None);
                    skipped.push(skip);
                }
            }
        }
        progress.advance(batch.len() as u64, raw_bytes);
        Ok(())
    })?;

    progress.stage("index");
    let (clusters, candidate_count, verified_count) = pool.install(|| {
        let keys: Vec<Box<[u64]>> = docs
            .par_iter()
            .map(|d| {
                let mut k = Vec::with_capacity(lsh.bands);
                lsh.band_keys(&d.signature, &mut k);
                k.into_boxed_slice()
            })
            .collect();
        let candidates = lsh::candidates(&keys, lsh.bands);
        drop(keys);
        let signatures: Vec<&[u32]> = docs.iter().map(|d| &d.signature[..]).collect();
        let verified = verify::by_minhash(&candidates, &signatures, cfg.threshold);
        let comps = cluster::components(docs.len(), verified.iter().map(|p| (p.a, p.b)));
        (comps, candidates.len(), verified.len())
    });

    progress.stage("cluster");
    let lengths: Vec<u64> = docs.iter().map(|d| d.bytes).collect();
    let mut removed: BitVec = BitVec::repeat(false, docs.len());
    let mut seen_ids: HashSet<&str> = HashSet::with_capacity(docs.len());
    stats.duplicate_ids = docs.iter().filter(|d| !seen_ids.insert(&d.id)).count() as u64;
    let report_clusters: Vec<model::Cluster> = clusters
        .iter()
        .enumerate()
        .map(|(i, members)| {
            let rep = cluster::representative(members, cfg.keep, &lengths);
            let rep_sig = &docs[rep.index()].signature;
            for m in members {
                if *m != rep {
                    removed.set(m.index(), true);
                }
            }
            model::Cluster {
                id: i,
                size: members.len(),
                representative: docs[rep.index()].id.clone(),
                members: members
                    .iter()
                    .map(|m| model::Member {
                        doc: docs[m.index()].id.clone(),
                        similarity: model::round4(crate::minhash::jaccard_estimate(
                            &docs[m.index()].signature,
                            rep_sig,
                        )),
                    })
                    .collect(),
            }
        })
        .collect();

    stats.documents = docs.len() as u64;
    stats.bytes = lengths.iter().sum();
    stats.words = docs.iter().map(|d| d.words).sum();
    stats.skipped = skipped.len() as u64;
    stats.candidate_pairs = candidate_count as u64;
    stats.verified_pairs = verified_count as u64;
    stats.clusters = clusters.len() as u64;
    stats.clustered_documents = clusters.iter().map(|c| c.len() as u64).sum();
    stats.duplicate_documents = removed.count_ones() as u64;
    stats.duplicate_bytes = removed.iter_ones().map(|d| lengths[d]).sum();
    stats.kept_documents = stats.documents - stats.duplicate_documents;
    if cfg.timing {
        let secs = start.elapsed().as_secs_f64();
        stats.timing = Some(Timing {
            elapsed_seconds: model::round4(secs),
            mb_per_second: model::round4(stats.bytes as f64 / 1e6 / secs.max(1e-9)),
        });
    }
    let keep_record: BitVec =
        record_doc.iter().map(|d| d.is_some_and(|d| !removed[d.index()])).collect();
    progress.finish();
    Ok(Outcome {
        report: Report {
            version: model::REPORT_VERSION,
            params: cfg.params(),
            stats,
            clusters: report_clusters,
            skipped,
            evaluation: None,
        },
        keep_record,
    })
}

/// Reads every document of `inputs` into memory, with the skips (for small
/// inputs such as seed text; a scan streams instead).
pub fn read_all(inputs: &[Input], opts: &SourceOptions) -> (Vec<Document>, Vec<Skip>) {
    let mut docs = Vec::new();
    let mut skips = Vec::new();
    for item in Reader::new(inputs) {
        match item.and_then(|raw| raw.parse(opts)) {
            Ok(d) => docs.push(d),
            Err(s) => skips.push(s),
        }
    }
    (docs, skips)
}

/// Counts of a dedup write.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WriteStats {
    /// Documents written.
    pub written: u64,
}

/// Writes the records `outcome` keeps to `out` as JSON Lines: JSON input
/// lines verbatim, `.txt` files as `{"id": ..., "text": ...}`. Reads the
/// inputs a second time, so they must not change in between (stdin must be
/// saved to a file first).
pub fn write_deduplicated(
    cfg: &Config,
    outcome: &Outcome,
    out: &mut dyn Write,
    io_name: &std::path::Path,
) -> Result<WriteStats> {
    let mut ws = WriteStats::default();
    let mut index = 0usize;
    let io = |e| Error::io(io_name, e);
    read_batches(&cfg.inputs, cfg.batch_bytes, |batch| {
        for item in batch {
            let keep = outcome.keep_record.get(index).is_some_and(|b| *b);
            index += 1;
            let Ok(raw) = item else { continue };
            if !keep {
                continue;
            }
            match &raw.kind {
                RawKind::JsonLine => {
                    out.write_all(&raw.bytes).map_err(io)?;
                }
                RawKind::TextFile(_) => {
                    let doc = raw.parse(&cfg.source).map_err(Error::Strict)?;
                    let line = serde_json::json!({
                        cfg.source.id_field.as_str(): doc.id,
                        cfg.source.text_field.as_str(): doc.text,
                    });
                    serde_json::to_writer(&mut *out, &line).map_err(|e| io(e.into()))?;
                }
            }
            out.write_all(b"\n").map_err(io)?;
            ws.written += 1;
        }
        Ok(())
    })?;
    if index != outcome.keep_record.len() {
        return Err(Error::Config(format!(
            "the inputs changed between the two reads of dedup ({} records, then {index})",
            outcome.keep_record.len()
        )));
    }
    Ok(ws)
}
