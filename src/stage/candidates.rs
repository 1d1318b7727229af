//! Near-duplicate candidates and verification: each similarity method
//! finds its verified pairs ([`crate::method`]); the pairs of all methods
//! are merged by pair, then clustered ([`crate::cluster`]).

use rayon::prelude::*;

use super::sketch::Sketches;
use crate::config::Config;
use crate::error::Result;
use crate::ids::DocId;
use crate::method::{PairInput, SimilarityMethod};
use crate::progress::Progress;
use crate::report::model::Stats;
use crate::source::Source;

/// Verified pairs of all methods, merged: each pair once, sorted by
/// `(a, b)`, with what each method measured.
#[derive(Debug, Default)]
pub(crate) struct FoundPairs {
    /// The pairs, `a < b`.
    pub pairs: Vec<(DocId, DocId)>,
    /// Per pair, one score per method (`None`: that method did not find
    /// it): `scores[i * methods + m]`.
    pub scores: Vec<Option<f64>>,
}

impl FoundPairs {
    /// The scores of pair `i`, one per method.
    pub fn scores_of(&self, i: usize) -> &[Option<f64>] {
        let m = self.scores.len() / self.pairs.len().max(1);
        &self.scores[i * m..(i + 1) * m]
    }
}

/// Runs every method's pair search and merges the results.
pub(crate) fn near_duplicate_pairs(
    cfg: &Config,
    methods: &[Box<dyn SimilarityMethod>],
    sketches: &Sketches,
    source: &dyn Source,
    progress: &dyn Progress,
    stats: &mut Stats,
) -> Result<FoundPairs> {
    let mut all: Vec<(DocId, DocId, usize, f64)> = Vec::new();
    for (m, method) in methods.iter().enumerate() {
        let input = PairInput {
            cfg,
            sketches: &sketches.by_method[m],
            source,
            record_doc: &sketches.record_doc,
            progress,
        };
        let pairs = method.pairs(&input, stats)?;
        all.extend(pairs.into_iter().map(|p| (p.a, p.b, m, p.score)));
    }
    all.par_sort_unstable_by(|x, y| (x.0, x.1, x.2).cmp(&(y.0, y.1, y.2)));
    let mut out = FoundPairs::default();
    for (a, b, m, score) in all {
        if out.pairs.last() != Some(&(a, b)) {
            out.pairs.push((a, b));
            out.scores.extend(std::iter::repeat_n(None, methods.len()));
        }
        let at = out.scores.len() - methods.len() + m;
        out.scores[at] = Some(score);
    }
    stats.verified_pairs = out.pairs.len() as u64;
    Ok(out)
}
