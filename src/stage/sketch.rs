//! Sketching: the first read. Every record is parsed, tokenized and
//! shingled in parallel; each similarity method makes its sketch, and the
//! passage stage its fingerprints; then the text is dropped. Memory grows
//! with the number of documents, not with the text: with MinHash 128 about
//! 600 bytes each here (signature, id, counts), about 840 during the LSH
//! stage (band keys).
//!
//! Skipped records are counted here (by reason; the first
//! [`crate::Options::max_skips`] listed one by one), and records without
//! words are kept aside: documents all the same, but with nothing to
//! compare.

use bitvec::vec::BitVec;
use rayon::prelude::*;

use super::read::read_batches;
use crate::boilerplate::{self, Boilerplate};
use crate::config::Config;
use crate::error::{Error, Result, Skip};
use crate::ids::DocId;
use crate::method::{Column, Shingled, SimilarityMethod};
use crate::passage::fingerprint::{self, Fingerprint};
use crate::progress::Progress;
use crate::report::model::Stats;
use crate::shingle::{self, ShingleKind};
use crate::simhash::DocFrequency;
use crate::source::{RawRecord, Source, SourceOptions};
use crate::text::{TextOptions, Token, Tokenizer};

/// What the first read keeps per document, besides the methods' sketches.
#[derive(Debug)]
pub(crate) struct DocState {
    pub id: String,
    pub bytes: u64,
    pub words: u64,
    /// Passage fingerprints (none when passages are off or the document is
    /// shorter than a passage).
    pub fingerprints: Box<[Fingerprint]>,
    /// A hash of all the words, for passages (see `CanonicalOrder`).
    pub words_hash: u64,
    /// Every shingle is boilerplate (`--ignore-boilerplate`): the document
    /// takes part in passages but in no document similarity.
    pub boilerplate_only: bool,
}

/// Everything the first read found.
pub(crate) struct Sketches {
    /// The documents with words, in input order (index = [`DocId`]).
    pub docs: Vec<DocState>,
    /// Per method (in [`crate::method::registered`] order), its column: one
    /// sketch per document.
    pub by_method: Vec<Box<dyn Column>>,
    /// Per input record (skips included), its document.
    pub record_doc: Vec<Option<DocId>>,
    /// Per input record: a document without words.
    pub no_words: BitVec,
    /// Ids of the documents without words.
    pub no_words_ids: Vec<String>,
    /// The skips listed in the report.
    pub skipped: Vec<Skip>,
    /// Records, skips by reason, and the bytes of the documents without
    /// words.
    pub stats: Stats,
}

/// Per-thread state: tokenizer and buffers.
pub(crate) struct Worker<'a> {
    cfg: &'a Config,
    /// How records parse: the source's options.
    opts: &'a SourceOptions,
    methods: &'a [Box<dyn SimilarityMethod>],
    df: Option<&'a DocFrequency>,
    /// Shingles left out of every shingle set (`--ignore-boilerplate`).
    boilerplate: Option<&'a Boilerplate>,
    sorted: Vec<u64>,
    pub(crate) tokenizer: Tokenizer,
    tokens: Vec<Token>,
    words: Vec<u64>,
    shingles: Vec<u64>,
    normalized: String,
}

/// A record read as a document: one to compare, or one with no words
/// (empty text, only punctuation or emoji), too short to compare, which
/// takes no part in clusters or passages but is a document all the same
/// (counted, and kept by a dedup).
pub(crate) enum Sketched {
    /// A document; its sketches were pushed to the columns given.
    Doc(DocState),
    NoWords {
        id: String,
        bytes: u64,
    },
}

impl<'a> Worker<'a> {
    /// A worker that sketches with `methods` (none: a worker that only
    /// shingles, for the passes after the first).
    pub(crate) fn new(
        cfg: &'a Config,
        opts: &'a SourceOptions,
        methods: &'a [Box<dyn SimilarityMethod>],
        df: Option<&'a DocFrequency>,
    ) -> Worker<'a> {
        Worker {
            cfg,
            opts,
            methods,
            df,
            boilerplate: None,
            sorted: Vec::new(),
            tokenizer: Tokenizer::new(TextOptions { seed: cfg.seed, ..cfg.text }),
            tokens: Vec::new(),
            words: Vec::new(),
            shingles: Vec::new(),
            normalized: String::new(),
        }
    }

    /// The worker with the boilerplate shingles `b` left out of every
    /// shingle set it makes.
    pub(crate) fn ignoring(mut self, b: Option<&'a Boilerplate>) -> Worker<'a> {
        self.boilerplate = b;
        self
    }

    /// Tokenizes `text` and makes its shingles, as every pass does (less
    /// the boilerplate ones, if any).
    fn shingle(&mut self, text: &str) {
        let b = self.boilerplate;
        self.shingle_less(text, b);
    }

    /// [`Worker::shingle`], less the shingles of `b` (in text order: they
    /// go in runs, see [`boilerplate::remove`]).
    fn shingle_less(&mut self, text: &str, b: Option<&Boilerplate>) {
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
        boilerplate::remove(&mut self.shingles, b);
    }

    /// The sorted, deduplicated shingle set of `text`, in the worker's
    /// buffer.
    fn sorted_shingles(&mut self, text: &str) -> &[u64] {
        self.shingle(text);
        self.shingles.sort_unstable();
        self.shingles.dedup();
        &self.shingles
    }

    /// The sorted, deduplicated shingle set of `text`, to keep, with the
    /// shingles of `b` left out (the worker's own boilerplate if `None`), as
    /// the sketches left them out.
    pub(crate) fn shingle_set(&mut self, text: &str, b: Option<&Boilerplate>) -> Box<[u64]> {
        let b = b.or(self.boilerplate);
        self.shingle_less(text, b);
        self.shingles.sort_unstable();
        self.shingles.dedup();
        self.shingles.as_slice().into()
    }

    /// Sketches one record, pushing each method's sketch to its column in
    /// `columns` (a document with no words pushes nothing).
    fn sketch(
        &mut self,
        raw: &RawRecord,
        columns: &mut [Box<dyn Column>],
    ) -> Result<Sketched, Skip> {
        let doc = raw.parse(self.opts)?;
        self.shingle(&doc.text);
        if self.words.is_empty() {
            // Nothing to compare, but a document all the same: kept.
            return Ok(Sketched::NoWords { id: doc.id, bytes: doc.text.len() as u64 });
        }
        // Words, but every shingle boilerplate: sketched all the same (the
        // columns stay aligned), compared with nothing.
        let boilerplate_only = self.shingles.is_empty();
        let methods = self.methods;
        let shingled = Shingled { shingles: &self.shingles, df: self.df };
        for (m, column) in methods.iter().zip(columns.iter_mut()) {
            m.sketch(shingled, &mut self.sorted, &mut **column);
        }
        // Passage windows reuse the shingle buffer: made last.
        let fingerprints = match self.cfg.passages {
            Some(p) if self.words.len() >= p.min_words => fingerprint::fingerprints(
                &self.words,
                p.k,
                p.window(),
                self.cfg.seed,
                &mut self.shingles,
            )
            .into_boxed_slice(),
            _ => Box::default(),
        };
        let words_hash =
            if self.cfg.passages.is_some() { crate::passage::words_hash(&self.words) } else { 0 };
        let state = DocState {
            id: doc.id,
            bytes: doc.text.len() as u64,
            words: self.words.len() as u64,
            fingerprints,
            words_hash,
            boilerplate_only,
        };
        Ok(Sketched::Doc(state))
    }
}

/// The first read: every record sketched by `methods` (with document
/// frequencies `df` where a method asked for them, and the shingles of
/// `boilerplate` left out).
pub(crate) fn sketch_all(
    cfg: &Config,
    source: &dyn Source,
    methods: &[Box<dyn SimilarityMethod>],
    df: Option<&DocFrequency>,
    boilerplate: Option<&Boilerplate>,
    pool: &rayon::ThreadPool,
    progress: &dyn Progress,
) -> Result<Sketches> {
    let mut out = Sketches {
        docs: Vec::new(),
        by_method: methods.iter().map(|m| m.column()).collect(),
        record_doc: Vec::new(),
        no_words: BitVec::new(),
        no_words_ids: Vec::new(),
        skipped: Vec::new(),
        stats: Stats::default(),
    };
    progress.stage("read");
    read_batches(source, cfg.batch_bytes, |batch| {
        let raw_bytes: u64 =
            batch.iter().map(|r| r.as_ref().map_or(0, |r| r.bytes.len() as u64)).sum();
        // Chunks of records, each with its own columns, appended in order.
        let results: Vec<SketchedChunk> = pool.install(|| {
            batch
                .par_chunks(SKETCH_CHUNK)
                .map_init(
                    || Worker::new(cfg, source.options(), methods, df).ignoring(boilerplate),
                    |w, chunk| {
                        let mut columns: Vec<Box<dyn Column>> =
                            methods.iter().map(|m| m.column()).collect();
                        let results = chunk
                            .iter()
                            .map(|item| match item {
                                Ok(raw) => w.sketch(raw, &mut columns),
                                Err(skip) => Err(skip.clone()),
                            })
                            .collect();
                        (results, columns)
                    },
                )
                .collect()
        });
        out.no_words.resize(out.record_doc.len() + batch.len(), false);
        for (chunk, columns) in results {
            for r in chunk {
                out.add(cfg, r)?;
            }
            for (all, part) in out.by_method.iter_mut().zip(columns) {
                all.append(part);
            }
        }
        progress.advance(batch.len() as u64, raw_bytes);
        Ok(())
    })?;
    Ok(out)
}

impl Sketches {
    /// Files one record's result.
    fn add(&mut self, cfg: &Config, r: Result<Sketched, Skip>) -> Result<()> {
        let stats = &mut self.stats;
        stats.records += 1;
        match r {
            Ok(Sketched::Doc(d)) => {
                let id = DocId::from_index(self.docs.len()).ok_or(Error::TooManyDocuments)?;
                self.record_doc.push(Some(id));
                self.docs.push(d);
            }
            Ok(Sketched::NoWords { id, bytes }) => {
                self.no_words.set(self.record_doc.len(), true);
                self.record_doc.push(None);
                self.no_words_ids.push(id);
                stats.bytes += bytes;
            }
            Err(skip) => {
                if cfg.strict {
                    return Err(Error::Strict(skip));
                }
                self.record_doc.push(None);
                stats.skipped += 1;
                *stats.skipped_by_reason.entry(skip.reason.kind().to_owned()).or_default() += 1;
                if self.skipped.len() < cfg.max_skips {
                    self.skipped.push(skip);
                } else {
                    stats.skipped_not_listed += 1;
                }
            }
        }
        Ok(())
    }
}

/// A chunk of records sketched: one result per record, and the columns of
/// the chunk's documents.
type SketchedChunk = (Vec<Result<Sketched, Skip>>, Vec<Box<dyn Column>>);

/// Records sketched by one worker into one set of columns: small enough to
/// spread a batch over the threads, large enough that the columns' appends
/// cost nothing.
const SKETCH_CHUNK: usize = 64;

/// Width of the document-frequency sketch for tf-idf (4 × 2^20 counters,
/// 16 MiB; overcounts by at most 2·N/2^20 documents with high probability).
const DF_LOG2_WIDTH: u32 = 20;

/// What the read before sketching counted.
pub(crate) struct Frequencies {
    /// Document frequencies for tf-idf weights (when a method asked).
    pub df: Option<DocFrequency>,
    /// The boilerplate shingles (`--ignore-boilerplate`).
    pub boilerplate: Option<Boilerplate>,
}

/// A read of the whole input that counts, for every shingle, the documents
/// holding it: in a count-min sketch for methods that weight shingles by
/// tf-idf (`want_df`), exactly for `--ignore-boilerplate`
/// ([`boilerplate::Counter`]).
pub(crate) fn document_frequencies(
    cfg: &Config,
    source: &dyn Source,
    pool: &rayon::ThreadPool,
    progress: &dyn Progress,
    want_df: bool,
) -> Result<Frequencies> {
    let sketch = || want_df.then(|| DocFrequency::new(DF_LOG2_WIDTH));
    let mut total = sketch();
    let mut counter = cfg.ignore_boilerplate.map(|_| boilerplate::Counter::new());
    let counting = counter.is_some();
    let mut records = 0u64;
    let opts = source.options();
    read_batches(source, cfg.batch_bytes, |batch| {
        records += batch.len() as u64;
        progress.work(records, None, "records");
        let (part, shingles) = pool.install(|| {
            batch
                .par_iter()
                .fold(
                    || (sketch(), Vec::<u64>::new(), Worker::new(cfg, opts, &[], None)),
                    |(mut df, mut all, mut w), item| {
                        if let Some(doc) = item.as_ref().ok().and_then(|r| r.parse(opts).ok()) {
                            let set = w.sorted_shingles(&doc.text);
                            if let Some(df) = df.as_mut().filter(|_| !set.is_empty()) {
                                df.add_document(set);
                            }
                            if counting {
                                all.extend_from_slice(set);
                            }
                        }
                        (df, all, w)
                    },
                )
                .map(|(df, all, _)| (df, all))
                .reduce(
                    || (sketch(), Vec::new()),
                    |(mut a, mut x), (b, y)| {
                        if let (Some(a), Some(b)) = (a.as_mut(), b.as_ref()) {
                            a.merge(b);
                        }
                        x.extend(y);
                        (a, x)
                    },
                )
        });
        if let (Some(total), Some(part)) = (total.as_mut(), part.as_ref()) {
            total.merge(part);
        }
        if let Some(c) = counter.as_mut() {
            pool.install(|| c.add(shingles));
        }
        Ok(())
    })?;
    let boilerplate = match (counter, cfg.ignore_boilerplate) {
        (Some(c), Some(n)) => {
            Some(pool.install(|| c.at_least(n)).in_runs_of(cfg.boilerplate_run()))
        }
        _ => None,
    };
    Ok(Frequencies { df: total, boilerplate })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Options;
    use crate::source::{Input, RawKind};

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
        for kind in [ShingleKind::Chars(5), ShingleKind::Words(7)] {
            let mut opts = Options::new(vec![Input::Stdin]);
            opts.shingle = kind;
            let cfg = opts.build().unwrap();
            let methods = crate::method::registered(&cfg);
            let mut w = Worker::new(&cfg, &cfg.source, &methods, None);
            let mut columns: Vec<Box<dyn Column>> = methods.iter().map(|m| m.column()).collect();
            let Ok(Sketched::Doc(state)) = w.sketch(&raw, &mut columns) else {
                panic!("not a document")
            };
            let mut expected = Vec::new();
            match kind {
                ShingleKind::Chars(k) => {
                    let norm: String = text.split_whitespace().map(|x| format!("{x} ")).collect();
                    shingle::char_shingles(&norm, k, cfg.seed, &mut expected);
                }
                ShingleKind::Words(k) => {
                    let words: Vec<u64> = (0..21).collect();
                    shingle::word_shingles(&words, k, cfg.seed, &mut expected);
                }
            }
            let minhash: &[crate::method::minhash::MinHashSketch] =
                crate::method::column(&*columns[0]);
            assert_eq!(minhash.len(), 1);
            assert_eq!(minhash[0].shingles as usize, expected.len(), "{kind:?}");
            assert_eq!(state.words, 21, "{kind:?}");
            assert!(!state.fingerprints.is_empty(), "passage windows were made too");
        }
    }
}
