//! The similarity-method seam: how near-duplicate documents are found.
//!
//! A method sketches every document from its shingles
//! ([`SimilarityMethod::sketch`], in parallel, while the input streams
//! past), then finds the verified pairs among all sketches
//! ([`SimilarityMethod::pairs`]). Pairs of all the methods that run are
//! merged by pair and clustered together. A new method is one new file
//! here implementing [`SimilarityMethod`], plus its line in [`registered`]
//! and its name in [`Method`].
//!
//! Sketches are typed by each method and stored behind [`Sketch`] (one
//! allocation per document and method); only the method that made a
//! sketch looks inside it.

pub(crate) mod minhash;
mod simhash;

use std::any::Any;
use std::collections::HashMap;

use crate::config::{Config, Method};
use crate::error::Result;
use crate::ids::DocId;
use crate::report::model::{Pair, Stats};
use crate::simhash::DocFrequency;

pub use minhash::MinHashMethod;
pub use simhash::SimHashMethod;

/// One document's sketch for one method.
pub type Sketch = Box<dyn Any + Send + Sync>;

/// What a method sees of one document when it sketches it.
#[derive(Debug, Clone, Copy)]
pub struct Shingled<'a> {
    /// The document's shingles, in text order (repeats possible).
    pub shingles: &'a [u64],
    /// Document frequencies of all shingles, when a method running asked
    /// for them ([`SimilarityMethod::needs_document_frequencies`]).
    pub df: Option<&'a DocFrequency>,
}

/// A verified pair found by one method: `a < b`, with the method's score
/// (what [`SimilarityMethod::describe`] puts in the report).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ScoredPair {
    /// The earlier document.
    pub a: DocId,
    /// The later document.
    pub b: DocId,
    /// The method's measure of the pair (a Jaccard, a Hamming distance).
    pub score: f64,
}

/// What a method gets to find its pairs.
pub struct PairInput<'a> {
    /// One sketch per document, in [`DocId`] order, made by this method.
    pub sketches: &'a [Sketch],
    /// Documents in all (every record with words).
    pub documents: usize,
}

/// What a method found: its verified pairs, or pairs it still has to
/// decide on the documents' exact shingle sets, which the pipeline reads
/// again (fused with other passes over the input: see [`crate::plan`]).
pub enum MethodPairs<'a> {
    /// The verified pairs, sorted by `(a, b)`, `a < b`, each once.
    Done(Vec<ScoredPair>),
    /// Pairs to decide on a re-read.
    Check {
        /// The pairs (document indices, `a < b`), sorted by the later
        /// document.
        pairs: Vec<(u32, u32)>,
        /// Decides them, then gives the verified pairs.
        check: Box<dyn PairCheck + 'a>,
    },
}

/// The second half of a method that checks pairs on a re-read.
pub trait PairCheck: Send {
    /// Decides `pairs`, a run of the pairs to check in their order, whose
    /// documents' sorted, deduplicated shingle sets are in `sets`. Called
    /// for consecutive runs, in input order, whatever the thread count.
    fn check(&mut self, pairs: &[(u32, u32)], sets: &HashMap<u32, Box<[u64]>>);

    /// After every run: the verified pairs (as [`MethodPairs::Done`]); the
    /// method adds its counts to `stats`.
    fn finish(self: Box<Self>, stats: &mut Stats) -> Vec<ScoredPair>;
}

/// A way of finding near-duplicate documents.
pub trait SimilarityMethod: Sync {
    /// The name in options and reports.
    fn name(&self) -> &'static str;

    /// Whether sketches need document frequencies of shingles: one more
    /// read of the input before sketching (see [`crate::plan`]).
    fn needs_document_frequencies(&self) -> bool {
        false
    }

    /// Whether [`SimilarityMethod::pairs`] may ask for pairs to be checked
    /// on a re-read ([`MethodPairs::Check`]).
    fn rereads(&self) -> bool {
        false
    }

    /// The sketch of one document.
    fn sketch(&self, doc: Shingled<'_>, scratch: &mut Vec<u64>) -> Sketch;

    /// The verified pairs among all documents, or the pairs still to check
    /// (see [`MethodPairs`]). The method adds its own counts to `stats`.
    fn pairs<'m>(&'m self, input: &PairInput<'_>, stats: &mut Stats) -> Result<MethodPairs<'m>>;

    /// The similarity of two documents in `[0, 1]` (1: the same), shown
    /// for each cluster member against its representative.
    fn similarity(&self, a: &Sketch, b: &Sketch) -> f64;

    /// Puts what this method measured of a pair into its report entry.
    fn describe(&self, score: f64, pair: &mut Pair);
}

/// The methods `cfg.method` runs, in report order. Registering a method
/// is one line here.
pub fn registered(cfg: &Config) -> Vec<Box<dyn SimilarityMethod>> {
    let mut methods: Vec<Box<dyn SimilarityMethod>> = Vec::new();
    if cfg.method.minhash() {
        methods.push(Box::new(MinHashMethod::new(cfg)));
    }
    if cfg.method.simhash() {
        methods.push(Box::new(SimHashMethod::new(cfg)));
    }
    debug_assert_eq!(methods.is_empty(), cfg.method == Method::None);
    methods
}

/// The sketch `s` as the type `T` its method made.
///
/// # Panics
/// If `s` is not a `T`: a bug (a method was given another's sketches).
pub(crate) fn downcast<T: 'static>(s: &Sketch) -> &T {
    s.downcast_ref::<T>().expect("BUG: a method got another method's sketch")
}
