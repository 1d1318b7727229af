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
//! Sketches are typed by each method and kept in a [`Column`] of the
//! method's own type (a `Vec` of its sketches, in document order, with no
//! allocation per document); only the method that made a column looks
//! inside it.

mod exact;
pub(crate) mod minhash;
mod simhash;

use std::any::Any;
use std::collections::HashMap;
use std::path::Path;

use crate::config::{Config, Method};
use crate::error::Result;
use crate::ids::DocId;
use crate::report::model::{Pair, Stats};
use crate::simhash::DocFrequency;

pub use minhash::MinHashMethod;
pub use simhash::SimHashMethod;

/// One method's sketches of many documents, in document order, typed by
/// the method (any `Vec<T>` is a column).
pub trait Column: Any + Send + Sync {
    /// Documents in the column.
    fn len(&self) -> usize;
    /// True if the column holds no document.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// Appends `other`, a column of the same type, after this one.
    fn append(&mut self, other: Box<dyn Column>);
    /// The column as `Any`, to downcast to its type.
    fn as_any(&self) -> &dyn Any;
    /// The column as mutable `Any`, to downcast to its type.
    fn as_any_mut(&mut self) -> &mut dyn Any;
    /// The boxed column as `Any`.
    fn into_any(self: Box<Self>) -> Box<dyn Any>;
}

impl<T: Send + Sync + 'static> Column for Vec<T> {
    fn len(&self) -> usize {
        Vec::len(self)
    }
    fn append(&mut self, other: Box<dyn Column>) {
        let mut other = other.into_any().downcast::<Vec<T>>().expect(WRONG_COLUMN);
        Vec::append(self, &mut other);
    }
    fn as_any(&self) -> &dyn Any {
        self
    }
    fn as_any_mut(&mut self) -> &mut dyn Any {
        self
    }
    fn into_any(self: Box<Self>) -> Box<dyn Any> {
        self
    }
}

const WRONG_COLUMN: &str = "BUG: a method got another method's column";

/// The column `c` as the `Vec<T>` its method made.
///
/// # Panics
/// If `c` is not a `Vec<T>`: a bug (a method was given another's column).
pub fn column<T: 'static>(c: &dyn Column) -> &[T] {
    c.as_any().downcast_ref::<Vec<T>>().expect(WRONG_COLUMN)
}

/// The column `c` as the `Vec<T>` its method made, to push to.
///
/// # Panics
/// As [`column()`].
pub fn column_mut<T: 'static>(c: &mut dyn Column) -> &mut Vec<T> {
    c.as_any_mut().downcast_mut::<Vec<T>>().expect(WRONG_COLUMN)
}

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
    /// This method's column: one sketch per document, in [`DocId`] order.
    pub sketches: &'a dyn Column,
    /// Documents in all (every record with words).
    pub documents: usize,
    /// Leader clustering: each document's place in keep priority
    /// ([`crate::cluster::priority`]), for a method that keeps only some
    /// pairs of a large group to link its likely leader to the rest;
    /// `None` with connected components.
    pub rank: Option<&'a [u32]>,
    /// Documents to compare with none (`--ignore-boilerplate`: nothing but
    /// boilerplate is left of them), by [`DocId`]; empty: none is.
    pub left_out: &'a [bool],
}

impl PairInput<'_> {
    /// Whether document `d` is compared with none.
    pub fn is_left_out(&self, d: usize) -> bool {
        self.left_out.get(d).copied().unwrap_or(false)
    }
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

/// An order-free hash of `shingles` (repeats counted): a sum of mixed
/// values, so the same shingles in any order give the same hash.
pub(crate) fn shingles_hash(shingles: &[u64]) -> u64 {
    shingles.iter().fold(0u64, |h, &s| h.wrapping_add(crate::hash::fmix64(s ^ 0x9e37_79b9)))
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

    /// An empty column of this method's sketches.
    fn column(&self) -> Box<dyn Column>;

    /// Sketches one document and pushes the sketch to `column` (made by
    /// [`SimilarityMethod::column`]).
    fn sketch(&self, doc: Shingled<'_>, scratch: &mut Vec<u64>, column: &mut dyn Column);

    /// The verified pairs among all documents, or the pairs still to check
    /// (see [`MethodPairs`]). The method adds its own counts to `stats`.
    fn pairs<'m>(&'m self, input: &PairInput<'_>, stats: &mut Stats) -> Result<MethodPairs<'m>>;

    /// The similarity of documents `a` and `b` of `column` in `[0, 1]` (1:
    /// the same), shown for each cluster member against its representative.
    fn similarity(&self, column: &dyn Column, a: DocId, b: DocId) -> f64;

    /// The similarity of `a` and `b` when the method is sure, from their
    /// sketches alone, that they are near-duplicates (as sure as it is of
    /// the pairs it gives); `None` otherwise. Leader clustering asks it of
    /// pairs that verification never saw ([`crate::cluster::leaders`]).
    fn certain(&self, _column: &dyn Column, _a: DocId, _b: DocId) -> Option<f64> {
        None
    }

    /// Documents that shared a bucket with `d` whose pairs the method did
    /// not all give (its verdicts on them are exact: see
    /// [`SimilarityMethod::certain`]); leader clustering asks `certain` of
    /// each that is not yet in a cluster when `d` leads one
    /// ([`crate::cluster::leaders_with`]).
    fn co_members(&self, _d: DocId) -> Vec<DocId> {
        Vec::new()
    }

    /// The first document with exactly `d`'s shingles (`d` itself if none
    /// before it), when the method collapsed equal content and gave pairs
    /// to one document of it only; `None` if it did not (or does not know).
    /// Star clustering counts such documents as one
    /// ([`crate::cluster::star_order`]).
    fn same_content(&self, _d: DocId) -> Option<DocId> {
        None
    }

    /// A verified pair's score (as [`ScoredPair::score`]) on the scale of
    /// [`SimilarityMethod::similarity`].
    fn score_similarity(&self, score: f64) -> f64 {
        score
    }

    /// Puts what this method measured of the pair `(a, b)` of `column`,
    /// with the score it gave, into the pair's report entry.
    fn describe(&self, column: &dyn Column, a: DocId, b: DocId, score: f64, pair: &mut Pair);

    /// Writes this method's sketches as stage files into `dir`
    /// (`--save-stages`; see [`crate::stage::files`]), if it has a stage
    /// file kind for them. Its verified pairs are written by the pipeline.
    fn save_sketches(&self, _column: &dyn Column, _dir: &Path, _cfg: &Config) -> Result<()> {
        Ok(())
    }
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
