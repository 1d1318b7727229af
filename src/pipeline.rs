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

use std::collections::{HashMap, HashSet};
use std::io::Write;
use std::sync::mpsc;
use std::time::Instant;

use bitvec::vec::BitVec;
use rayon::prelude::*;

use crate::cluster::{self, Keep};
use crate::error::{Error, Result, Skip};
use crate::ids::{DocId, Span};
use crate::lsh::{self, LshParams};
use crate::minhash::{MinHasher, Signature, Variant};
use crate::passage::{
    CanonicalOrder, DocWords, PassageOptions, Refined, align, fingerprint, fingerprint::Fingerprint,
};
use crate::progress::Progress;
use crate::report::model::{self, Report, Stats, Timing};
use crate::shingle::{self, ShingleKind};
use crate::simhash::{self, DocFrequency, Weighting};
use crate::simindex::{self, SimIndexParams};
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
    /// Skips listed one by one in the report; all are counted by reason.
    pub max_skips: usize,
    /// How near-duplicate documents are found (`None` for passages alone).
    pub method: Method,
    /// SimHash: largest Hamming distance between near-duplicates.
    pub hamming: u32,
    /// SimHash: shingle weights.
    pub weighting: Weighting,
    /// MinHash: decide pairs whose estimate is within 4σ of the threshold by
    /// the exact Jaccard of their shingle sets (one more read of the input,
    /// only of those documents). Off: the estimate decides every pair.
    pub exact_verify: bool,
    /// Find repeated passages; `None` turns them off. Passages read the
    /// input twice, so stdin must be saved to a file first.
    pub passages: Option<PassageOptions>,
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
            max_skips: 10_000,
            method: Method::MinHash,
            hamming: 3,
            weighting: Weighting::Tf,
            exact_verify: true,
            passages: Some(PassageOptions::default()),
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
        let stdin = |i: &&Input| match i {
            Input::Stdin => true,
            Input::Spooled { name, .. } => name == "-",
            Input::Path(_) => false,
        };
        if self.inputs.iter().filter(stdin).count() > 1 {
            return bad("- (stdin) can be given only once".into());
        }
        if !(1..=u64::from(u32::MAX)).contains(&self.source.max_record_bytes) {
            return bad(format!(
                "--max-doc-bytes {} must be between 1 and {} (4 GiB)",
                self.source.max_record_bytes,
                u32::MAX
            ));
        }
        if let Some(p) = self.passages {
            if !(2..=100_000).contains(&p.min_words) {
                return bad(format!("--min-passage {} must be between 2 and 100000", p.min_words));
            }
            if p.min_words < p.k {
                return bad(format!(
                    "--min-passage {} must be at least {} words",
                    p.min_words, p.k
                ));
            }
        }
        if self.method.simhash() && self.hamming > 12 {
            return bad(format!(
                "--hamming {} is too large: at most 12 bits (the index needs C(k+3, k) tables)",
                self.hamming
            ));
        }
        if self.method == Method::None && self.passages.is_none() {
            return bad("nothing to do: both near-duplicates and passages are off".into());
        }
        Ok(())
    }

    /// Whether a scan reads the input more than once: repeated passages,
    /// exact MinHash verification (documents near the threshold) and SimHash
    /// tf-idf weights (document frequencies first) each read it again. The
    /// one place that decides it; see [`spool_inputs`].
    pub fn reads_twice(&self) -> bool {
        self.passages.is_some()
            || (self.exact_verify && self.method.minhash())
            || (self.method.simhash() && self.weighting == Weighting::TfIdf)
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
            method: self.method.name().into(),
            verify: if self.exact_verify {
                "exact-near-threshold".into()
            } else {
                "estimate".into()
            },
            hamming: self.method.simhash().then_some(self.hamming),
            weighting: self.method.simhash().then(|| match self.weighting {
                Weighting::Tf => "tf".to_owned(),
                Weighting::TfIdf => "tfidf".to_owned(),
            }),
            simhash_tables: self
                .method
                .simhash()
                .then(|| SimIndexParams::new(self.hamming).tables()),
            min_passage_words: self.passages.map(|p| p.min_words),
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

/// How near-duplicate documents are found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Method {
    /// Not at all (passages alone).
    None,
    /// MinHash LSH, verified by the Jaccard estimate.
    #[default]
    MinHash,
    /// SimHash with permuted block tables, verified by Hamming distance.
    SimHash,
    /// Both; a pair found by either joins a cluster, and the report says
    /// which method found each pair.
    Both,
}

impl Method {
    /// Whether MinHash runs.
    pub fn minhash(self) -> bool {
        matches!(self, Method::MinHash | Method::Both)
    }
    /// Whether SimHash runs.
    pub fn simhash(self) -> bool {
        matches!(self, Method::SimHash | Method::Both)
    }
    /// The name in options and reports.
    pub fn name(self) -> &'static str {
        match self {
            Method::None => "none",
            Method::MinHash => "minhash",
            Method::SimHash => "simhash",
            Method::Both => "both",
        }
    }
}

/// What a scan keeps per document.
#[derive(Debug)]
struct DocState {
    id: String,
    bytes: u64,
    words: u64,
    signature: Signature,
    /// Shingles made (repeats counted): bounds the values behind an estimate.
    shingles: u32,
    /// The exact shingle set of a short document (see [`verify::Evidence`]).
    short_set: Option<Box<[u64]>>,
    simhash: u64,
    fingerprints: Box<[Fingerprint]>,
    /// A hash of all the words, for passages (see `CanonicalOrder`).
    words_hash: u64,
}

/// The result of [`scan`]: the report, and which input records a dedup keeps.
#[derive(Debug)]
pub struct Outcome {
    /// The report.
    pub report: Report,
    /// One bit per input record (in reading order, skips included): set if a
    /// dedup writes it.
    pub keep_record: BitVec,
    /// Per input record: byte spans of passages that repeat earlier text of
    /// the same document (what `--strip-repeats` removes), sorted.
    pub repeats: std::collections::BTreeMap<usize, Vec<Span>>,
}

/// Per-thread state: tokenizer and buffers.
struct Worker<'a> {
    cfg: &'a Config,
    /// Needed only to sketch (`sketch`); passes that only shingle have none.
    hasher: Option<&'a MinHasher>,
    df: Option<&'a DocFrequency>,
    sorted: Vec<u64>,
    tokenizer: Tokenizer,
    tokens: Vec<Token>,
    words: Vec<u64>,
    shingles: Vec<u64>,
    normalized: String,
}

impl<'a> Worker<'a> {
    fn new(
        cfg: &'a Config,
        hasher: Option<&'a MinHasher>,
        df: Option<&'a DocFrequency>,
    ) -> Worker<'a> {
        Worker {
            cfg,
            hasher,
            df,
            sorted: Vec::new(),
            tokenizer: Tokenizer::new(TextOptions { seed: cfg.seed, ..cfg.text }),
            tokens: Vec::new(),
            words: Vec::new(),
            shingles: Vec::new(),
            normalized: String::new(),
        }
    }

    /// Tokenizes `text` and makes its shingles, as every pass does.
    fn shingle(&mut self, text: &str) {
        self.tokens.clear();
        self.words.clear();
        self.shingles.clear();
        self.normalized.clear();
        match self.cfg.shingle {
            ShingleKind::Words(k) => {
                self.tokenizer.hashes_into(text, &mut self.words);
                shingle::word_shingles(&self.words, k, self.cfg.seed, &mut self.shingles);
            }
            ShingleKind::Chars(k) => {
                self.tokenizer.tokenize_into(text, &mut self.tokens, Some(&mut self.normalized));
                shingle::token_hashes(&self.tokens, &mut self.words);
                shingle::char_shingles(&self.normalized, k, self.cfg.seed, &mut self.shingles);
            }
        }
    }

    fn sketch(&mut self, raw: &RawRecord) -> Result<Sketched, Skip> {
        let doc = raw.parse(&self.cfg.source)?;
        self.shingle(&doc.text);
        let seed = self.cfg.seed;
        if self.words.is_empty() {
            // Nothing to compare, but a document all the same: kept.
            return Ok(Sketched::NoWords { id: doc.id, bytes: doc.text.len() as u64 });
        }
        // Counted before `self.shingles` is reused as scratch below.
        let shingle_count = u32::try_from(self.shingles.len()).unwrap_or(u32::MAX);
        let (signature, short_set) = if self.cfg.method.minhash() {
            let hasher = self.hasher.expect("BUG: sketching without a MinHasher");
            (hasher.sign(&self.shingles), verify::short_set(&self.shingles, self.cfg.num_perm))
        } else {
            (Box::default(), None)
        };
        let simhash = if self.cfg.method.simhash() {
            match self.df {
                Some(df) => simhash::fingerprint(&self.shingles, |h| df.idf(h), &mut self.sorted),
                None => simhash::fingerprint(&self.shingles, |_| 1.0, &mut self.sorted),
            }
        } else {
            0
        };
        let fingerprints = match self.cfg.passages {
            Some(p) if self.words.len() >= p.min_words => {
                fingerprint::fingerprints(&self.words, p.k, p.window(), seed, &mut self.shingles)
                    .into_boxed_slice()
            }
            _ => Box::default(),
        };
        let words_hash =
            if self.cfg.passages.is_some() { crate::passage::words_hash(&self.words) } else { 0 };
        Ok(Sketched::Doc(DocState {
            id: doc.id,
            bytes: doc.text.len() as u64,
            words: self.words.len() as u64,
            signature,
            shingles: shingle_count,
            short_set,
            simhash,
            fingerprints,
            words_hash,
        }))
    }
}

/// A record read as a document: one to compare, or one with no words
/// (empty text, only punctuation or emoji), too short to compare, which
/// takes no part in clusters or passages but is a document all the same
/// (counted, and kept by a dedup).
enum Sketched {
    Doc(DocState),
    NoWords { id: String, bytes: u64 },
}

type Batch = Vec<Result<RawRecord, Skip>>;

/// Reads the inputs on a separate thread and hands batches to `each`, in
/// order.
fn read_batches(cfg: &Config, mut each: impl FnMut(Batch) -> Result<()>) -> Result<()> {
    let (tx, rx) = mpsc::sync_channel::<Batch>(2);
    let (inputs, batch_bytes) = (cfg.inputs.clone(), cfg.batch_bytes);
    let opts = cfg.source.clone();
    std::thread::scope(|s| {
        s.spawn(move || {
            let mut batch = Vec::new();
            let mut size = 0;
            for item in Reader::new(&inputs, &opts) {
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
        // On an error, dropping the receiver makes the reader's next send
        // fail, so it stops instead of reading the rest of the input.
        for batch in rx {
            each(batch)?;
        }
        Ok(())
    })
}

/// Width of the document-frequency sketch for tf-idf (4 × 2^20 counters,
/// 16 MiB; overcounts by at most 2·N/2^20 documents with high probability).
const DF_LOG2_WIDTH: u32 = 20;

/// A read of the whole input that counts, for every shingle, the documents
/// holding it (for SimHash tf-idf weights).
fn document_frequencies(
    cfg: &Config,
    pool: &rayon::ThreadPool,
    progress: &dyn Progress,
) -> Result<DocFrequency> {
    let mut total = DocFrequency::new(DF_LOG2_WIDTH);
    let mut records = 0u64;
    read_batches(cfg, |batch| {
        records += batch.len() as u64;
        progress.work(records, None, "records");
        let part = pool.install(|| {
            batch
                .par_iter()
                .fold(
                    || (DocFrequency::new(DF_LOG2_WIDTH), Worker::new(cfg, None, None)),
                    |(mut df, mut w), item| {
                        if let Some(doc) =
                            item.as_ref().ok().and_then(|r| r.parse(&cfg.source).ok())
                        {
                            w.shingle(&doc.text);
                            w.shingles.sort_unstable();
                            w.shingles.dedup();
                            if !w.shingles.is_empty() {
                                df.add_document(&w.shingles);
                            }
                        }
                        (df, w)
                    },
                )
                .map(|(df, _)| df)
                .reduce(
                    || DocFrequency::new(DF_LOG2_WIDTH),
                    |mut a, b| {
                        a.merge(&b);
                        a
                    },
                )
        });
        total.merge(&part);
        Ok(())
    })?;
    Ok(total)
}

/// A stream input saved to a temporary file, removed when this is dropped.
#[derive(Debug)]
pub struct Spool {
    // Removed first, then unregistered (fields drop in this order).
    _path: tempfile::TempPath,
    _registered: crate::tempfiles::Registered,
}

/// Saves the inputs that can be read only once (stdin, pipes, process
/// substitutions: [`Input::is_stream`]) to temporary files, when the run
/// reads its input more than once: when [`Config::reads_twice`], or when the
/// caller reads it again after the scan (`more_reads`: a dedup, the texts of
/// an HTML page). Lines longer than the record limit are cut just past it
/// (they are skipped all the same), so a stream that never ends a line does
/// not fill the disk. The files live as long as the returned guards.
pub fn spool_inputs(cfg: &mut Config, more_reads: bool) -> Result<Vec<Spool>> {
    let mut spools = Vec::new();
    if !(more_reads || cfg.reads_twice()) {
        return Ok(spools);
    }
    for input in &mut cfg.inputs {
        if !input.is_stream() {
            continue;
        }
        let name = match input {
            Input::Path(p) => p.display().to_string(),
            _ => "-".to_owned(),
        };
        let tmp = tempfile::Builder::new()
            .prefix(".neardup-")
            .suffix(".tmp")
            .tempfile()
            .map_err(|e| Error::io(std::env::temp_dir(), e))?;
        let registered = crate::tempfiles::register(tmp.path());
        let save_err = |e| Error::Config(format!("cannot save {name} to a temporary file: {e}"));
        let mut w = std::io::BufWriter::with_capacity(1 << 20, tmp);
        match input {
            Input::Path(p) => {
                let mut r = std::fs::File::open(&*p).map_err(|e| Error::io(&*p, e))?;
                crate::source::spool(&name, &mut r, &mut w, cfg.source.max_record_bytes)
            }
            _ => crate::source::spool(
                &name,
                &mut std::io::stdin().lock(),
                &mut w,
                cfg.source.max_record_bytes,
            ),
        }
        .map_err(save_err)?;
        let tmp = w.into_inner().map_err(|e| save_err(e.into_error()))?;
        let path = tmp.into_temp_path();
        *input = Input::Spooled { name, path: path.to_path_buf() };
        spools.push(Spool { _path: path, _registered: registered });
    }
    Ok(spools)
}

/// Runs a scan: near-duplicate clusters and the report.
pub fn scan(cfg: &Config, progress: &dyn Progress) -> Result<Outcome> {
    cfg.validate()?;
    crate::source::check_inputs(&cfg.inputs)?;
    if cfg.reads_twice() {
        if let Some(p) = cfg.inputs.iter().find(|i| i.is_stream()) {
            let name = match p {
                Input::Path(p) => p.display().to_string(),
                _ => "- (stdin)".to_owned(),
            };
            return Err(Error::Config(format!(
                "{name} can be read only once and this run reads its input twice: save it \
                 first (spool_inputs)"
            )));
        }
    }
    let start = Instant::now();
    let pool = cfg.pool()?;
    let hasher = MinHasher::new(cfg.num_perm, cfg.seed, cfg.variant);
    let lsh = cfg.lsh_params();

    let mut docs: Vec<DocState> = Vec::new();
    let mut record_doc: Vec<Option<DocId>> = Vec::new();
    let mut skipped: Vec<Skip> = Vec::new();
    let mut stats = Stats::default();
    // Records that are documents with no words (see `Sketched::NoWords`).
    let mut no_words: BitVec = BitVec::new();
    let mut no_words_ids: Vec<String> = Vec::new();

    let df = if cfg.method.simhash() && cfg.weighting == Weighting::TfIdf {
        progress.stage("document frequencies");
        Some(document_frequencies(cfg, &pool, progress)?)
    } else {
        None
    };

    progress.stage("read");
    read_batches(cfg, |batch| {
        let raw_bytes: u64 =
            batch.iter().map(|r| r.as_ref().map_or(0, |r| r.bytes.len() as u64)).sum();
        let results: Vec<Result<Sketched, Skip>> = pool.install(|| {
            batch
                .par_iter()
                .map_init(
                    || Worker::new(cfg, Some(&hasher), df.as_ref()),
                    |w, item| match item {
                        Ok(raw) => w.sketch(raw),
                        Err(skip) => Err(skip.clone()),
                    },
                )
                .collect()
        });
        no_words.resize(record_doc.len() + results.len(), false);
        for r in results {
            stats.records += 1;
            match r {
                Ok(Sketched::Doc(d)) => {
                    let id = DocId::from_index(docs.len())
                        .ok_or_else(|| Error::Config("more than 4 billion documents".into()))?;
                    record_doc.push(Some(id));
                    docs.push(d);
                }
                Ok(Sketched::NoWords { id, bytes }) => {
                    no_words.set(record_doc.len(), true);
                    record_doc.push(None);
                    no_words_ids.push(id);
                    stats.bytes += bytes;
                }
                Err(skip) => {
                    if cfg.strict {
                        return Err(Error::Strict(skip));
                    }
                    record_doc.push(None);
                    stats.skipped += 1;
                    *stats.skipped_by_reason.entry(skip.reason.kind().to_owned()).or_default() += 1;
                    if skipped.len() < cfg.max_skips {
                        skipped.push(skip);
                    } else {
                        stats.skipped_not_listed += 1;
                    }
                }
            }
        }
        progress.advance(batch.len() as u64, raw_bytes);
        Ok(())
    })?;

    progress.stage("index");
    let found = pool.install(|| near_duplicate_pairs(cfg, &lsh, &docs, &record_doc, progress))?;
    let clusters = cluster::components(docs.len(), found.edges());
    stats.candidate_pairs = found.candidates as u64;
    stats.verified_pairs = found.pairs.len() as u64;
    stats.simhash_pairs = found.simhash_pairs;
    stats.exact_checked_pairs = found.exact_checked;
    stats.simhash_table_bytes = found.table_bytes;

    progress.stage("cluster");
    let lengths: Vec<u64> = docs.iter().map(|d| d.bytes).collect();
    let mut removed: BitVec = BitVec::repeat(false, docs.len());
    let mut seen_ids: HashSet<&str> = HashSet::with_capacity(docs.len() + no_words_ids.len());
    stats.duplicate_ids = docs
        .iter()
        .map(|d| d.id.as_str())
        .chain(no_words_ids.iter().map(String::as_str))
        .filter(|id| !seen_ids.insert(id))
        .count() as u64;
    // Pairs by cluster, for `both` (which method found each pair).
    let mut cluster_of: Vec<u32> = vec![u32::MAX; docs.len()];
    for (i, members) in clusters.iter().enumerate() {
        for m in members {
            cluster_of[m.index()] = i as u32;
        }
    }
    let mut pairs_by_cluster: Vec<Vec<model::Pair>> = vec![Vec::new(); clusters.len()];
    if cfg.method == Method::Both {
        for p in &found.pairs {
            let c = cluster_of[p.a.index()] as usize;
            let mut methods = Vec::new();
            if p.jaccard.is_some() {
                methods.push("minhash".to_owned());
            }
            if p.hamming.is_some() {
                methods.push("simhash".to_owned());
            }
            pairs_by_cluster[c].push(model::Pair {
                a: docs[p.a.index()].id.clone(),
                b: docs[p.b.index()].id.clone(),
                methods,
                jaccard: p.jaccard.map(model::round4),
                hamming: p.hamming,
            });
        }
    }
    let similarity = |a: &DocState, b: &DocState| {
        if cfg.method.minhash() {
            crate::minhash::jaccard_estimate(&a.signature, &b.signature)
        } else {
            1.0 - f64::from(simhash::hamming(a.simhash, b.simhash)) / 64.0
        }
    };
    let report_clusters: Vec<model::Cluster> = clusters
        .iter()
        .zip(pairs_by_cluster)
        .enumerate()
        .map(|(i, (members, pairs))| {
            let rep = cluster::representative(members, cfg.keep, &lengths);
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
                        similarity: model::round4(similarity(&docs[m.index()], &docs[rep.index()])),
                    })
                    .collect(),
                pairs,
            }
        })
        .collect();

    stats.too_short_documents = no_words_ids.len() as u64;
    stats.documents = docs.len() as u64 + stats.too_short_documents;
    stats.bytes += lengths.iter().sum::<u64>();
    stats.words = docs.iter().map(|d| d.words).sum();
    stats.clusters = clusters.len() as u64;
    stats.clustered_documents = clusters.iter().map(|c| c.len() as u64).sum();
    stats.duplicate_documents = removed.count_ones() as u64;
    stats.duplicate_bytes = removed.iter_ones().map(|d| lengths[d]).sum();
    stats.kept_documents = stats.documents - stats.duplicate_documents;

    let mut passages = Vec::new();
    let mut repeats = std::collections::BTreeMap::new();
    if let Some(popts) = cfg.passages {
        progress.stage("passages");
        let fps: Vec<Box<[Fingerprint]>> =
            docs.iter_mut().map(|d| std::mem::take(&mut d.fingerprints)).collect();
        let hashes: Vec<u64> = docs.iter().map(|d| d.words_hash).collect();
        let found =
            pool.install(|| find_passages(cfg, &popts, fps, &hashes, &record_doc, progress))?;
        stats.repeated_passages = found.groups.len() as u64;
        stats.passage_occurrences = found.groups.iter().map(|g| g.occurrences.len() as u64).sum();
        let (within, across) = repeated_spans(&found.groups);
        stats.repeated_bytes_within = covered_bytes(&within);
        stats.repeated_bytes_across = covered_bytes(&across);
        stats.repeated_share_within =
            model::round4(stats.repeated_bytes_within as f64 / stats.bytes.max(1) as f64);
        stats.repeated_share_across =
            model::round4(stats.repeated_bytes_across as f64 / stats.bytes.max(1) as f64);
        // What --strip-repeats removes is exactly the within-document repeats.
        repeats =
            within.into_iter().map(|(d, spans)| (found.record_of[d as usize], spans)).collect();
        passages = found
            .groups
            .into_iter()
            .enumerate()
            .map(|(i, g)| model::Passage {
                id: i,
                words: g.words,
                documents: {
                    let mut d: Vec<u32> = g.occurrences.iter().map(|o| o.doc).collect();
                    d.dedup();
                    d.len()
                },
                text: g.text,
                occurrences: g
                    .occurrences
                    .iter()
                    .map(|o| model::Occurrence {
                        doc: docs[o.doc as usize].id.clone(),
                        start: o.span.start,
                        end: o.span.end,
                    })
                    .collect(),
            })
            .collect();
    }
    if cfg.timing {
        let secs = start.elapsed().as_secs_f64();
        stats.timing = Some(Timing {
            elapsed_seconds: model::round4(secs),
            mb_per_second: model::round4(stats.bytes as f64 / 1e6 / secs.max(1e-9)),
        });
    }
    let keep_record: BitVec = record_doc
        .iter()
        .zip(no_words.iter())
        .map(|(d, no_words)| *no_words || d.is_some_and(|d| !removed[d.index()]))
        .collect();
    progress.finish();
    Ok(Outcome {
        report: Report {
            version: model::REPORT_VERSION,
            params: cfg.params(),
            stats,
            clusters: report_clusters,
            passages,
            skipped,
            evaluation: None,
        },
        keep_record,
        repeats,
    })
}

/// Reads the input again and calls `each(range, live)` for consecutive
/// ranges of `pairs` (sorted by their later document, `a ≤ b`) as soon as
/// both documents of every pair in the range have been read; `live` maps
/// each needed document to `make(worker, text)`. A document's value is
/// dropped after the last pair that needs it, so memory holds only the
/// documents still waiting for a partner. `purpose` names the pass in the
/// error raised when the input changed between reads.
fn reread_pairs<T: Send>(
    cfg: &Config,
    record_doc: &[Option<DocId>],
    pairs: &[(u32, u32)],
    purpose: &str,
    progress: &dyn Progress,
    make: impl Fn(&mut Worker<'_>, &str) -> T + Sync,
    mut each: impl FnMut(std::ops::Range<usize>, &HashMap<u32, T>),
) -> Result<()> {
    if pairs.is_empty() {
        return Ok(());
    }
    debug_assert!(pairs.windows(2).all(|w| w[0].1 <= w[1].1));
    let n_docs = record_doc.iter().filter(|d| d.is_some()).count();
    let mut last_use: Vec<Option<u32>> = vec![None; n_docs];
    for &(a, b) in pairs {
        for d in [a, b] {
            let slot = &mut last_use[d as usize];
            *slot = Some(slot.map_or(b, |x| x.max(b)));
        }
    }
    let mut live: HashMap<u32, T> = HashMap::new();
    let mut next = 0usize;
    let mut index = 0usize;
    read_batches(cfg, |batch| {
        let wanted: Vec<(u32, &RawRecord)> = batch
            .iter()
            .enumerate()
            .filter_map(|(i, item)| {
                let doc = record_doc.get(index + i).copied().flatten()?;
                let raw = item.as_ref().ok()?;
                last_use[doc.index()].is_some().then_some((doc.0, raw))
            })
            .collect();
        // The last document read so far; none yet if every record so far
        // was skipped (then no pair can be complete).
        let last_doc = record_doc[..(index + batch.len()).min(record_doc.len())]
            .iter()
            .rev()
            .find_map(|d| *d)
            .map(|d| d.0);
        index += batch.len();
        let done: Vec<(u32, Option<T>)> = wanted
            .par_iter()
            .map_init(
                || Worker::new(cfg, None, None),
                |w, &(d, raw)| (d, raw.parse(&cfg.source).ok().map(|doc| make(w, &doc.text))),
            )
            .collect();
        live.extend(done.into_iter().filter_map(|(d, v)| v.map(|v| (d, v))));
        let Some(last_doc) = last_doc else { return Ok(()) };
        let end = next + pairs[next..].partition_point(|p| p.1 <= last_doc);
        if end > next {
            each(next..end, &live);
        }
        next = end;
        progress.work(next as u64, Some(pairs.len() as u64), "pairs");
        live.retain(|&d, _| last_use[d as usize].is_some_and(|l| l > last_doc));
        Ok(())
    })?;
    if index != record_doc.len() {
        return Err(Error::Config(format!(
            "the inputs changed between the two reads for {purpose} ({} records, then {index})",
            record_doc.len()
        )));
    }
    Ok(())
}

/// A verified near-duplicate pair, with what each method measured.
#[derive(Debug, Clone, Copy)]
struct FoundPair {
    a: DocId,
    b: DocId,
    jaccard: Option<f64>,
    hamming: Option<u32>,
}

/// Verified pairs of all methods, merged.
struct FoundPairs {
    pairs: Vec<FoundPair>,
    candidates: usize,
    simhash_pairs: u64,
    table_bytes: u64,
    exact_checked: u64,
}

impl FoundPairs {
    fn edges(&self) -> impl Iterator<Item = (DocId, DocId)> + '_ {
        self.pairs.iter().map(|p| (p.a, p.b))
    }
}

/// MinHash LSH candidates verified by the Jaccard estimate, and SimHash
/// table pairs (already exact in Hamming distance), merged by pair.
fn near_duplicate_pairs(
    cfg: &Config,
    lsh: &LshParams,
    docs: &[DocState],
    record_doc: &[Option<DocId>],
    progress: &dyn Progress,
) -> Result<FoundPairs> {
    let mut out = FoundPairs {
        pairs: Vec::new(),
        candidates: 0,
        simhash_pairs: 0,
        table_bytes: 0,
        exact_checked: 0,
    };
    let mut minhash: Vec<verify::VerifiedPair> = Vec::new();
    if cfg.method.minhash() {
        let keys: Vec<Box<[u64]>> = docs
            .par_iter()
            .map(|d| {
                let mut k = Vec::with_capacity(lsh.bands);
                lsh.band_keys(&d.signature, &mut k);
                k.into_boxed_slice()
            })
            .collect();
        let signatures: Vec<&[u32]> = docs.iter().map(|d| &d.signature[..]).collect();
        let counts: Vec<u32> = docs.iter().map(|d| d.shingles).collect();
        let short_sets: Vec<Option<&[u64]>> = docs.iter().map(|d| d.short_set.as_deref()).collect();
        let evidence = verify::Evidence {
            signatures: &signatures,
            shingle_counts: &counts,
            short_sets: &short_sets,
            threshold: cfg.threshold,
            exact: cfg.exact_verify,
        };
        let content: Vec<u64> = docs.par_iter().map(content_key).collect();
        let large = lsh::LargeBuckets {
            signatures: &signatures,
            content: &content,
            link: |a, b| evidence.link(a, b),
            threshold: cfg.threshold,
        };
        let candidates = lsh::candidates(&keys, lsh, &large).pairs;
        drop(keys);
        drop(content);
        out.candidates = candidates.len();
        let (accepted, check) = evidence.judge(&candidates);
        drop(candidates);
        minhash = verify_near_threshold(cfg, accepted, &check, record_doc, &mut out, progress)?;
    }
    let mut sim: Vec<(DocId, DocId, u32)> = Vec::new();
    if cfg.method.simhash() {
        let fps: Vec<u64> = docs.iter().map(|d| d.simhash).collect();
        let p = SimIndexParams::new(cfg.hamming);
        sim = simindex::near_pairs(&fps, &p);
        out.simhash_pairs = sim.len() as u64;
        out.table_bytes = docs.len() as u64 * 12;
    }
    // Merge two lists sorted by (a, b).
    let (mut i, mut j) = (0, 0);
    while i < minhash.len() || j < sim.len() {
        let x = minhash.get(i).map(|p| (p.a, p.b));
        let y = sim.get(j).map(|p| (p.0, p.1));
        let pair = match (x, y) {
            (Some(x), Some(y)) if x == y => {
                let p = FoundPair {
                    a: x.0,
                    b: x.1,
                    jaccard: Some(minhash[i].score),
                    hamming: Some(sim[j].2),
                };
                i += 1;
                j += 1;
                p
            }
            (Some(x), y) if y.is_none_or(|y| x < y) => {
                i += 1;
                FoundPair { a: x.0, b: x.1, jaccard: Some(minhash[i - 1].score), hamming: None }
            }
            _ => {
                let s = sim[j];
                j += 1;
                FoundPair { a: s.0, b: s.1, jaccard: None, hamming: Some(s.2) }
            }
        };
        out.pairs.push(pair);
    }
    Ok(out)
}

/// A 64-bit key of what a document's similarity depends on: its signature,
/// and the exact shingle set of a short document. Documents with equal keys
/// are one document to the LSH stage.
fn content_key(d: &DocState) -> u64 {
    let mut bytes: Vec<u8> = d.signature.iter().flat_map(|v| v.to_le_bytes()).collect();
    for s in d.short_set.iter().flatten() {
        bytes.extend_from_slice(&s.to_le_bytes());
    }
    crate::hash::bytes(&bytes, 0)
}

/// The exact checks of MinHash verification: `check` holds the pairs whose
/// estimate lies within 4σ of the threshold; they are decided by the exact
/// Jaccard of their shingle sets, rebuilt in a streaming re-read of just
/// those documents, and join `accepted`. Returns the accepted pairs sorted
/// by `(a, b)`, each scored by its exact Jaccard where checked, else by its
/// estimate.
fn verify_near_threshold(
    cfg: &Config,
    mut accepted: Vec<verify::VerifiedPair>,
    check: &[(DocId, DocId)],
    record_doc: &[Option<DocId>],
    out: &mut FoundPairs,
    progress: &dyn Progress,
) -> Result<Vec<verify::VerifiedPair>> {
    let mut uncertain: Vec<(u32, u32)> = check.iter().map(|&(a, b)| (a.0, b.0)).collect();
    uncertain.sort_by_key(|&(a, b)| (b, a));
    // A pair whose documents are already joined by accepted pairs cannot
    // change a cluster: it is not checked. Ranges come in input order
    // (whatever the thread count), so what is checked is deterministic.
    let mut joined = crate::cluster::UnionFind::new(record_doc.len()); // ≥ documents
    for p in &accepted {
        joined.union(p.a.0, p.b.0);
    }
    let shingle_set = |w: &mut Worker<'_>, text: &str| {
        w.shingle(text);
        let mut set = std::mem::take(&mut w.shingles);
        set.sort_unstable();
        set.dedup();
        set.into_boxed_slice()
    };
    let mut checked_pairs = 0u64;
    if !uncertain.is_empty() {
        progress.stage("exact check");
    }
    let purpose = "exact verification";
    reread_pairs(cfg, record_doc, &uncertain, purpose, progress, shingle_set, |range, live| {
        let open: Vec<(u32, u32)> = uncertain[range]
            .iter()
            .copied()
            .filter(|&(a, b)| joined.find(a) != joined.find(b))
            .collect();
        checked_pairs += open.len() as u64;
        let checked: Vec<verify::VerifiedPair> = open
            .par_iter()
            .filter_map(|&(a, b)| {
                let j = verify::exact_jaccard(live.get(&a)?, live.get(&b)?);
                (j >= cfg.threshold).then_some(verify::VerifiedPair {
                    a: DocId(a),
                    b: DocId(b),
                    score: j,
                })
            })
            .collect();
        for p in &checked {
            joined.union(p.a.0, p.b.0);
        }
        accepted.extend(checked);
    })?;
    out.exact_checked = checked_pairs;
    accepted.par_sort_unstable_by_key(|p| (p.a, p.b));
    Ok(accepted)
}

/// A passage group with byte spans, before it becomes a report entry.
struct FoundGroup {
    words: usize,
    text: String,
    occurrences: Vec<FoundOccurrence>,
}

#[derive(Clone, Copy)]
struct FoundOccurrence {
    doc: u32,
    span: Span,
    /// Where the next word starts (see `PassageGroup::next_word`).
    next_word: u32,
    /// Length in words.
    words: u32,
}

struct Found {
    groups: Vec<FoundGroup>,
    /// Record index of every document.
    record_of: Vec<usize>,
}

/// Longest passage text put in the report (bytes, cut on a char boundary).
pub const PASSAGE_TEXT_MAX: usize = 400;

fn preview(text: &str) -> String {
    if text.len() <= PASSAGE_TEXT_MAX {
        return text.to_owned();
    }
    let mut end = PASSAGE_TEXT_MAX;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &text[..end])
}

/// Passages: seeds and chains from the fingerprints; a second read of the
/// input to tokenize the documents that take part in a chain and refine the
/// chains as soon as both documents are read; grouping and byte spans; a
/// third read for the text of each passage's first occurrence.
fn find_passages(
    cfg: &Config,
    popts: &PassageOptions,
    fps: Vec<Box<[Fingerprint]>>,
    words_hashes: &[u64],
    record_doc: &[Option<DocId>],
    progress: &dyn Progress,
) -> Result<Found> {
    let order = CanonicalOrder::new(&fps, words_hashes);
    let seeds = align::seeds(&order.permute(fps));
    let candidates = order.spread(align::chains(&seeds, popts));
    drop(seeds);
    let record_of: Vec<usize> =
        record_doc.iter().enumerate().filter_map(|(r, d)| d.map(|_| r)).collect();

    // Second read: the words of involved documents, refined as soon as both
    // documents of a candidate are read (see `reread_pairs`). Candidates are
    // in ranks (see `CanonicalOrder`); reading goes by document.
    let docs = |c: &align::Chain| {
        let (x, y) = (order.doc(c.a), order.doc(c.b));
        (x.min(y), x.max(y))
    };
    let mut by_b = candidates;
    by_b.sort_by_key(|c| (docs(c).1, c.a, c.b, c.first));
    let keys: Vec<(u32, u32)> = by_b.iter().map(docs).collect();
    let mut refined = Refined::default();
    reread_pairs(
        cfg,
        record_doc,
        &keys,
        "passages",
        progress,
        |w, text| DocWords::new(&mut w.tokenizer, text),
        |range, live| refined.refine(&by_b[range], popts, |r| live.get(&order.doc(r))),
    )?;
    let groups = refined.into_groups(popts, &order);
    progress.work(groups.len() as u64, Some(groups.len() as u64), "groups");

    // Third read: the text of each group's first occurrence, for the report.
    let mut wanted: HashMap<u32, Vec<(usize, Span)>> = HashMap::new();
    for (i, g) in groups.iter().enumerate() {
        let (d, span) = g.occurrences[0];
        wanted.entry(d).or_default().push((i, span));
    }
    let mut previews: Vec<String> = vec![String::new(); groups.len()];
    if !wanted.is_empty() {
        progress.stage("passage texts");
        let mut index = 0usize;
        read_batches(cfg, |batch| {
            for item in &batch {
                let doc = record_doc.get(index).copied().flatten();
                index += 1;
                let (Some(doc), Ok(raw)) = (doc, item) else { continue };
                let Some(spans) = wanted.get(&doc.0) else { continue };
                if let Ok(d) = raw.parse(&cfg.source) {
                    for &(g, span) in spans {
                        if let Some(t) = d.text.get(span.range()) {
                            previews[g] = preview(t);
                        }
                    }
                }
            }
            progress.work(index as u64, Some(record_doc.len() as u64), "records");
            Ok(())
        })?;
    }
    let out: Vec<FoundGroup> = groups
        .into_iter()
        .zip(previews)
        .map(|(g, text)| FoundGroup {
            words: g.words,
            text,
            occurrences: g
                .occurrences
                .into_iter()
                .zip(g.next_word)
                .zip(g.lengths)
                .map(|(((doc, span), next_word), words)| FoundOccurrence {
                    doc,
                    span,
                    next_word,
                    words,
                })
                .collect(),
        })
        .collect();
    Ok(Found { groups: out, record_of })
}

/// Spans of repeated text per document, sorted: `within` holds every
/// occurrence that repeats an earlier occurrence of its group in the same
/// document (what `--strip-repeats` removes); `across` holds, in every
/// document but the group's first, the first occurrence of the group there
/// (text the document shares with an earlier one).
type SpansByDoc = std::collections::BTreeMap<u32, Vec<Span>>;

fn repeated_spans(groups: &[FoundGroup]) -> (SpansByDoc, SpansByDoc) {
    let mut within = SpansByDoc::new();
    let mut across = SpansByDoc::new();
    for g in groups {
        let first_doc = g.occurrences[0].doc;
        // Per document, the length in words of the group's first occurrence.
        let mut first: HashMap<u32, u32> = HashMap::new();
        for o in &g.occurrences {
            if let Some(&words) = first.get(&o.doc) {
                // A later copy goes with the spaces and punctuation after it,
                // up to the next word. Only a copy no longer than the first
                // (and at most a tenth shorter) counts: one with more words
                // holds text the first lacks (a heading found through another
                // document, or two copies and the text between them) and is
                // not removed.
                if o.words <= words && 10 * (words - o.words) <= words {
                    let span = Span { start: o.span.start, end: o.next_word.max(o.span.end) };
                    within.entry(o.doc).or_default().push(span);
                }
            } else if first.insert(o.doc, o.words).is_none() && o.doc != first_doc {
                across.entry(o.doc).or_default().push(o.span);
            }
        }
    }
    for spans in within.values_mut().chain(across.values_mut()) {
        spans.sort();
    }
    (within, across)
}

/// Bytes covered by the spans, overlapping spans counted once per document.
fn covered_bytes(spans: &SpansByDoc) -> u64 {
    spans
        .values()
        .map(|spans| {
            let mut total = 0u64;
            let mut end = 0u32;
            for s in spans {
                let start = s.start.max(end);
                if s.end > start {
                    total += u64::from(s.end - start);
                    end = s.end;
                }
            }
            total
        })
        .sum()
}

/// Reads every document of `inputs` into memory, with the skips (for small
/// inputs such as seed text; a scan streams instead).
pub fn read_all(inputs: &[Input], opts: &SourceOptions) -> (Vec<Document>, Vec<Skip>) {
    let mut docs = Vec::new();
    let mut skips = Vec::new();
    for item in Reader::new(inputs, opts) {
        match item.and_then(|raw| raw.parse(opts)) {
            Ok(d) => docs.push(d),
            Err(s) => skips.push(s),
        }
    }
    (docs, skips)
}

/// The texts of the documents named in `ids` (by id; with duplicate ids,
/// the first document wins), read again from the inputs.
pub fn read_texts(
    cfg: &Config,
    ids: &[String],
    progress: &dyn Progress,
) -> Result<std::collections::BTreeMap<String, String>> {
    let wanted: HashSet<&str> = ids.iter().map(String::as_str).collect();
    let mut out = std::collections::BTreeMap::new();
    if wanted.is_empty() {
        return Ok(out);
    }
    let mut records = 0u64;
    read_batches(cfg, |batch| {
        records += batch.len() as u64;
        progress.work(records, None, "records");
        for raw in batch.iter().filter_map(|r| r.as_ref().ok()) {
            if let Ok(d) = raw.parse(&cfg.source) {
                if wanted.contains(d.id.as_str()) && !out.contains_key(&d.id) {
                    out.insert(d.id, d.text);
                }
            }
        }
        Ok(())
    })?;
    Ok(out)
}

/// Counts of a dedup write.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WriteStats {
    /// Documents written.
    pub written: u64,
    /// Bytes of text removed by `strip_repeats`.
    pub stripped_bytes: u64,
}

/// `text` without the byte ranges `spans` (sorted; overlaps allowed).
pub fn remove_spans(text: &str, spans: &[Span]) -> String {
    let mut out = String::with_capacity(text.len());
    let mut at = 0usize;
    for s in spans {
        let r = s.range();
        if r.start > at {
            out.push_str(&text[at..r.start]);
        }
        at = at.max(r.end);
    }
    out.push_str(&text[at.min(text.len())..]);
    out
}

/// Writes the records `outcome` keeps to `out` as JSON Lines: JSON input
/// lines verbatim, `.txt` files as `{"id": ..., "text": ...}`. Reads the
/// inputs a second time, so they must not change in between (stdin must be
/// saved to a file first).
pub fn write_deduplicated(
    cfg: &Config,
    outcome: &Outcome,
    strip_repeats: bool,
    out: &mut dyn Write,
    io_name: &std::path::Path,
) -> Result<WriteStats> {
    let mut ws = WriteStats::default();
    let mut index = 0usize;
    let io = |e| Error::io(io_name, e);
    read_batches(cfg, |batch| {
        for item in batch {
            let keep = outcome.keep_record.get(index).is_some_and(|b| *b);
            index += 1;
            let Ok(raw) = item else { continue };
            if !keep {
                continue;
            }
            let strip = if strip_repeats { outcome.repeats.get(&(index - 1)) } else { None };
            if let Some(spans) = strip {
                let doc = raw.parse(&cfg.source).map_err(Error::Strict)?;
                let text = remove_spans(&doc.text, spans);
                let text_len = text.len();
                match &raw.kind {
                    // Only the text's bytes change: every other field (its
                    // escapes, number formats, spacing, depth) is copied as
                    // it is.
                    RawKind::JsonLine => {
                        let r = raw.text_value_range(&cfg.source).ok_or_else(|| {
                            Error::Config(format!(
                                "BUG: {}:{}: text field not found again",
                                raw.source,
                                raw.line.unwrap_or_default()
                            ))
                        })?;
                        let text_json = serde_json::to_string(&text).map_err(|e| io(e.into()))?;
                        out.write_all(&raw.bytes[..r.start]).map_err(io)?;
                        out.write_all(text_json.as_bytes()).map_err(io)?;
                        out.write_all(&raw.bytes[r.end..]).map_err(io)?;
                    }
                    RawKind::TextFile(_) => {
                        let mut m = serde_json::Map::new();
                        m.insert(cfg.source.id_field.clone(), doc.id.into());
                        m.insert(cfg.source.text_field.clone(), text.into());
                        serde_json::to_writer(&mut *out, &m).map_err(|e| io(e.into()))?;
                    }
                }
                out.write_all(b"\n").map_err(io)?;
                ws.written += 1;
                ws.stripped_bytes += (doc.text.len() - text_len) as u64;
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

#[cfg(test)]
mod tests {
    use super::*;

    /// The shingle count kept for the exact-check band is the document's,
    /// not that of the passage windows made after it from the same buffer.
    #[test]
    fn shingle_count_is_the_documents() {
        let text = "een twee drie vier vijf zes zeven acht negen tien elf twaalf dertien \
                    veertien vijftien zestien zeventien achttien negentien twintig eenentwintig";
        let raw = RawRecord {
            source: "t.jsonl".into(),
            line: Some(1),
            kind: RawKind::JsonLine,
            bytes: serde_json::json!({ "text": text }).to_string().into_bytes(),
        };
        for shingle in [ShingleKind::Chars(5), ShingleKind::Words(7)] {
            let mut cfg = Config::new(vec![Input::Stdin]);
            cfg.shingle = shingle;
            let hasher = MinHasher::new(cfg.num_perm, cfg.seed, cfg.variant);
            let mut w = Worker::new(&cfg, Some(&hasher), None);
            let Ok(Sketched::Doc(state)) = w.sketch(&raw) else { panic!("not a document") };
            let mut expected = Vec::new();
            match shingle {
                ShingleKind::Chars(k) => {
                    let norm: String = text.split_whitespace().map(|x| format!("{x} ")).collect();
                    shingle::char_shingles(&norm, k, cfg.seed, &mut expected);
                }
                ShingleKind::Words(k) => {
                    let words: Vec<u64> = (0..21).collect();
                    shingle::word_shingles(&words, k, cfg.seed, &mut expected);
                }
            }
            assert_eq!(state.shingles as usize, expected.len(), "{shingle:?}");
            assert!(!state.fingerprints.is_empty(), "passage windows were made too");
        }
    }
}
