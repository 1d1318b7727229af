//! Near-duplicate candidates and verification: each similarity method
//! finds its pairs ([`crate::method`]); pairs a method still has to check
//! are decided on a re-read (fused with the passage re-read where the plan
//! says so); then the pairs of all methods are merged by pair.

use std::collections::HashMap;

use rayon::prelude::*;

use super::read::{Reread, RereadJob};
use super::sketch::Sketches;
use crate::config::Config;
use crate::error::Result;
use crate::ids::DocId;
use crate::method::{MethodPairs, PairCheck, PairInput, ScoredPair, SimilarityMethod};
use crate::report::model::Stats;

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

/// Every method's pairs, some perhaps still to check on a re-read.
pub(crate) struct Pending<'a> {
    methods: Vec<MethodPairs<'a>>,
}

/// Runs every method's pair search (the part that needs no re-read).
pub(crate) fn find<'m>(
    cfg: &Config,
    methods: &'m [Box<dyn SimilarityMethod>],
    sketches: &Sketches,
    stats: &mut Stats,
) -> Result<Pending<'m>> {
    let mut out = Vec::with_capacity(methods.len());
    let rank: Option<Vec<u32>> = cfg.clustering.has_leaders().then(|| {
        let mut rank = vec![0u32; sketches.docs.len()];
        for (i, d) in super::report::keep_order(cfg, sketches).into_iter().enumerate() {
            rank[d.index()] = i as u32;
        }
        rank
    });
    let left_out: Vec<bool> = if sketches.docs.iter().any(|d| d.boilerplate_only) {
        sketches.docs.iter().map(|d| d.boilerplate_only).collect()
    } else {
        Vec::new()
    };
    for (m, method) in methods.iter().enumerate() {
        let input = PairInput {
            sketches: &*sketches.by_method[m],
            documents: sketches.docs.len(),
            rank: rank.as_deref(),
            left_out: &left_out,
        };
        let found = method.pairs(&input, stats)?;
        if matches!(found, MethodPairs::Check { .. }) && !method.rereads() {
            // The plan did not count its read: a stream might not be saved.
            return Err(crate::Error::Bug(format!(
                "method {} asked for a re-read it did not declare (rereads)",
                method.name()
            )));
        }
        out.push(found);
    }
    Ok(Pending { methods: out })
}

impl Pending<'_> {
    /// The re-read passes of the pairs to check (none if every method is
    /// done): each rebuilds the shingle sets of its documents (less the
    /// `boilerplate` shingles, as the sketches were made).
    pub fn passes<'b>(
        &'b mut self,
        boilerplate: Option<&'b crate::boilerplate::Boilerplate>,
    ) -> Vec<impl Reread + 'b> {
        self.methods
            .iter_mut()
            .filter_map(|m| match m {
                MethodPairs::Done(_) => None,
                MethodPairs::Check { pairs, check } => Some(RereadJob::new(
                    std::mem::take(pairs),
                    "exact verification",
                    move |w: &mut super::sketch::Worker<'_>, text: &str| {
                        w.shingle_set(text, boilerplate)
                    },
                    |_, pairs: &[(u32, u32)], sets: &HashMap<u32, Box<[u64]>>| {
                        check.check(pairs, sets)
                    },
                )),
            })
            .collect()
    }

    /// After the re-read: the pairs of all methods merged by pair; each
    /// method's pairs saved as a stage file first when `cfg` asks for it.
    pub fn finish(
        self,
        cfg: &Config,
        methods: &[Box<dyn SimilarityMethod>],
        stats: &mut Stats,
    ) -> Result<FoundPairs> {
        let n = self.methods.len();
        let mut all: Vec<(DocId, DocId, usize, f64)> = Vec::new();
        for (m, found) in self.methods.into_iter().enumerate() {
            let pairs: Vec<ScoredPair> = match found {
                MethodPairs::Done(pairs) => pairs,
                MethodPairs::Check { check, .. } => PairCheck::finish(check, stats),
            };
            if let Some(dir) = &cfg.save_stages {
                super::files::save_edges(cfg, dir, methods[m].name(), &pairs)?;
            }
            all.extend(pairs.into_iter().map(|p| (p.a, p.b, m, p.score)));
        }
        all.par_sort_unstable_by(|x, y| (x.0, x.1, x.2).cmp(&(y.0, y.1, y.2)));
        let mut out = FoundPairs::default();
        for (a, b, m, score) in all {
            if out.pairs.last() != Some(&(a, b)) {
                out.pairs.push((a, b));
                out.scores.extend(std::iter::repeat_n(None, n));
            }
            let at = out.scores.len() - n + m;
            out.scores[at] = Some(score);
        }
        stats.verified_pairs = out.pairs.len() as u64;
        Ok(out)
    }
}
