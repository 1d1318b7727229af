//! SimHash: a 64-bit fingerprint per document (shingles weighted by
//! frequency, optionally tf-idf), pairs within a Hamming distance found
//! with multi-index hashing ([`crate::simindex`]).
//!
//! With exact verification (the default) the distance only proposes:
//! every pair within it is decided by the exact Jaccard of the two
//! documents' shingle sets, on a re-read, as MinHash decides its pairs near
//! the threshold. The distance has a tail: in a large collection, documents
//! that share a third of their sentences land within the distance often
//! enough to cost precision, and no distance keeps both precision and
//! recall as the collection grows. Documents of equal shingles (the same
//! fingerprint and shingle hash) are one document to the index, accepted
//! with Jaccard 1. Where the index gives a spanning forest instead of all
//! pairs (fingerprints with more than [`simindex::FULL_RUN`] near
//! neighbours: templated pages), the pairs it leaves out are all between
//! *marked* fingerprints ([`simindex::near_pairs_marked`]); the marked
//! documents of one connected component are compared with each other at
//! the end as a deferred bucket ([`lsh::deferred_pairs`], every pair within
//! the distance decided by its Jaccard), so the pairs are those of the
//! naive twin: every pair within the distance, decided by its Jaccard.
//!
//! With `--verify estimate` the distance decides, in one read.
//!
//! [`lsh::deferred_pairs`]: crate::lsh::deferred_pairs

use std::collections::HashMap;
use std::sync::OnceLock;

use rayon::prelude::*;

use super::exact::{Exact, ExactCheck};
use super::{
    Column, MethodPairs, PairCheck, PairInput, ScoredPair, Shingled, SimilarityMethod, column,
    column_mut, shingles_hash,
};
use crate::cluster::UnionFind;
use crate::config::Config;
use crate::error::Result;
use crate::ids::DocId;
use crate::report::model::{Pair, Stats, round4};
use crate::simhash::{self, Weighting};
use crate::simindex::{self, SimIndexParams};
use crate::verify::VerifiedPair;

/// SimHash (see the module doc).
#[derive(Debug)]
pub struct SimHashMethod {
    k: u32,
    tfidf: bool,
    /// Every pair within the distance decided by its exact Jaccard.
    exact: bool,
    /// The threshold, whether pairs already joined are skipped
    /// (components), and the deferred buckets' sets once checked.
    rules: Exact,
    /// What the exact check decided, for leader clustering's second hops.
    decided: OnceLock<Decided>,
}

/// What SimHash keeps per document.
#[derive(Debug, Clone, Copy)]
struct SimSketch {
    fingerprint: u64,
    /// An order-free hash of the shingles: equal fingerprints of other
    /// text keep apart.
    shingles_hash: u64,
}

/// The exact check's verdicts, for [`SimilarityMethod::certain`].
#[derive(Debug, Default)]
struct Decided {
    /// Per document, the first document of equal shingles (itself if none
    /// before it); `u32::MAX` for one compared with none.
    same_as: Vec<u32>,
    /// The accepted pairs of such first documents, with their Jaccard.
    accepted: HashMap<(u32, u32), f64>,
}

const NONE: u32 = u32::MAX;

impl SimHashMethod {
    /// The method with `cfg`'s Hamming distance, weighting, threshold,
    /// verification and clustering.
    pub fn new(cfg: &Config) -> SimHashMethod {
        SimHashMethod {
            k: cfg.hamming_bits(),
            tfidf: cfg.weighting == Weighting::TfIdf,
            exact: cfg.exact_verify,
            rules: Exact::new(cfg),
            decided: OnceLock::new(),
        }
    }

    /// The index for `fingerprints` documents with `cfg`'s distance (as
    /// [`SimHashMethod::pairs`] builds it, and the report states it).
    pub fn index(cfg: &Config, fingerprints: usize) -> SimIndexParams {
        SimIndexParams::new(cfg.hamming_bits(), fingerprints)
    }

    /// The pairs within the distance, decided by the distance alone.
    fn near_pairs(&self, sk: &[SimSketch], input: &PairInput<'_>, kept: &[u32]) -> Vec<ScoredPair> {
        let index = SimIndexParams::new(self.k, kept.len()); // as `SimHashMethod::index`
        let fps: Vec<u64> = kept.iter().map(|&d| sk[d as usize].fingerprint).collect();
        let rank: Option<Vec<u32>> =
            input.rank.map(|r| kept.iter().map(|&d| r[d as usize]).collect());
        simindex::near_pairs(&fps, rank.as_deref(), &index)
            .into_iter()
            .map(|(a, b, d)| ScoredPair {
                a: DocId(kept[a.index()]),
                b: DocId(kept[b.index()]),
                score: f64::from(d),
            })
            .collect()
    }

    /// Exact verification: the pairs within the distance to decide on a
    /// re-read, the deferred buckets of marked documents, and documents of
    /// equal shingles accepted (see the module doc).
    fn to_check<'m>(
        &'m self,
        sk: &[SimSketch],
        input: &PairInput<'_>,
        kept: Vec<u32>,
        stats: &mut Stats,
    ) -> MethodPairs<'m> {
        let index = SimIndexParams::new(self.k, kept.len()); // as `SimHashMethod::index`
        let rank = |d: u32| input.rank.map_or(d, |r| r[d as usize]);
        let mut kept = kept;
        kept.par_sort_unstable_by_key(|&d| {
            let s = sk[d as usize];
            (s.fingerprint, s.shingles_hash, rank(d), d)
        });
        let same = |x: &u32, y: &u32| {
            let (x, y) = (sk[*x as usize], sk[*y as usize]);
            (x.fingerprint, x.shingles_hash) == (y.fingerprint, y.shingles_hash)
        };
        // One document per content (the first in keep priority); the
        // others are its copies, accepted with it.
        let mut firsts: Vec<u32> = Vec::new();
        let mut same_as: Vec<u32> = vec![NONE; input.documents];
        let mut copies: Vec<Vec<u32>> = Vec::new();
        let mut accepted: Vec<VerifiedPair> = Vec::new();
        for g in kept.chunk_by(same) {
            firsts.push(g[0]);
            copies.push(g[1..].to_vec());
            for &c in g {
                same_as[c as usize] = g[0];
            }
            accepted.extend(g[1..].iter().map(|&c| VerifiedPair {
                a: DocId(g[0].min(c)),
                b: DocId(g[0].max(c)),
                score: 1.0,
            }));
        }
        drop(kept);
        let fps: Vec<u64> = firsts.iter().map(|&d| sk[d as usize].fingerprint).collect();
        let (near, marked) = simindex::near_pairs_marked(&fps, &index);
        stats.simhash_pairs = (near.len() + accepted.len()) as u64;
        // Marked documents by connected component: the deferred buckets.
        let mut deferred: Vec<Vec<u32>> = Vec::new();
        if marked.iter().any(|&m| m) {
            let mut uf = UnionFind::new(firsts.len());
            for &(i, j, _) in &near {
                uf.union(i, j);
            }
            let mut by_root: HashMap<u32, usize> = HashMap::new();
            for (i, _) in marked.iter().enumerate().filter(|x| *x.1) {
                let b = *by_root.entry(uf.find(i as u32)).or_insert_with(|| {
                    deferred.push(Vec::new());
                    deferred.len() - 1
                });
                deferred[b].push(firsts[i]);
                deferred[b].extend(&copies[i]);
            }
            // In keep priority (leader clustering's walk inside a bucket).
            for b in &mut deferred {
                b.sort_unstable_by_key(|&d| (rank(d), d));
            }
            deferred.sort_unstable();
        }
        drop(copies);
        // Pairs of two marked documents are compared in their bucket.
        let mut pairs: Vec<(u32, u32)> = near
            .iter()
            .filter(|&&(i, j, _)| !(marked[i as usize] && marked[j as usize]))
            .map(|&(i, j, _)| {
                let (x, y) = (firsts[i as usize], firsts[j as usize]);
                (x.min(y), x.max(y))
            })
            .collect();
        drop(near);
        let deferred_members: Vec<u32> = deferred.iter().flatten().copied().collect();
        pairs.extend(deferred_members.iter().map(|&d| (d, d)));
        pairs.sort_unstable_by_key(|&(a, b)| (b, a));
        let check = self.rules.check(accepted, input.documents, deferred).admitting({
            // A bucket's pair must be within the distance, as the others.
            let fp: HashMap<u32, u64> =
                deferred_members.iter().map(|&d| (d, sk[d as usize].fingerprint)).collect();
            let k = self.k;
            move |a, b| match (fp.get(&a.0), fp.get(&b.0)) {
                (Some(&x), Some(&y)) => simhash::hamming(x, y) <= k,
                _ => false,
            }
        });
        let mut check = Box::new(SimCheck { exact: check, method: self, same_as });
        if pairs.is_empty() {
            return MethodPairs::Done(check.decide_all());
        }
        MethodPairs::Check { pairs, check }
    }
}

/// The exact check of SimHash pairs, which then remembers its verdicts
/// for leader clustering ([`Decided`]).
struct SimCheck<'a> {
    exact: ExactCheck<'a>,
    method: &'a SimHashMethod,
    same_as: Vec<u32>,
}

impl SimCheck<'_> {
    /// The accepted pairs, remembered.
    fn decide_all(&mut self) -> Vec<ScoredPair> {
        let pairs = self.exact.take_sorted();
        self.remember(&pairs);
        pairs
    }

    fn remember(&mut self, pairs: &[ScoredPair]) {
        let same_as = std::mem::take(&mut self.same_as);
        let mut accepted = HashMap::new();
        for p in pairs {
            let (x, y) = (same_as[p.a.index()], same_as[p.b.index()]);
            if x != y {
                accepted.insert((x.min(y), x.max(y)), p.score);
            }
        }
        let _ = self.method.decided.set(Decided { same_as, accepted });
    }
}

impl PairCheck for SimCheck<'_> {
    fn check(&mut self, pairs: &[(u32, u32)], sets: &HashMap<u32, Box<[u64]>>) {
        self.exact.check(pairs, sets);
    }

    fn finish(mut self: Box<Self>, stats: &mut Stats) -> Vec<ScoredPair> {
        let pairs = self.exact.finish_here(stats);
        self.remember(&pairs);
        pairs
    }
}

impl SimilarityMethod for SimHashMethod {
    fn name(&self) -> &'static str {
        "simhash"
    }

    fn needs_document_frequencies(&self) -> bool {
        self.tfidf
    }

    fn rereads(&self) -> bool {
        self.exact
    }

    fn column(&self) -> Box<dyn Column> {
        Box::new(Vec::<SimSketch>::new())
    }

    fn sketch(&self, doc: Shingled<'_>, scratch: &mut Vec<u64>, out: &mut dyn Column) {
        let fingerprint = match doc.df {
            Some(df) if self.tfidf => simhash::fingerprint(doc.shingles, |h| df.idf(h), scratch),
            _ => simhash::fingerprint(doc.shingles, |_| 1.0, scratch),
        };
        column_mut(out).push(SimSketch { fingerprint, shingles_hash: shingles_hash(doc.shingles) });
    }

    fn pairs<'m>(&'m self, input: &PairInput<'_>, stats: &mut Stats) -> Result<MethodPairs<'m>> {
        let sk: &[SimSketch] = column(input.sketches);
        // Documents left out are not indexed at all.
        let kept: Vec<u32> =
            (0..sk.len() as u32).filter(|&d| !input.is_left_out(d as usize)).collect();
        stats.simhash_table_bytes = SimIndexParams::new(self.k, kept.len()).table_bytes(kept.len());
        if self.exact {
            return Ok(self.to_check(sk, input, kept, stats));
        }
        let pairs = self.near_pairs(sk, input, &kept);
        stats.simhash_pairs = pairs.len() as u64;
        Ok(MethodPairs::Done(pairs))
    }

    fn similarity(&self, sketches: &dyn Column, a: DocId, b: DocId) -> f64 {
        let sk: &[SimSketch] = column(sketches);
        1.0 - f64::from(simhash::hamming(sk[a.index()].fingerprint, sk[b.index()].fingerprint))
            / 64.0
    }

    fn certain(&self, sketches: &dyn Column, a: DocId, b: DocId) -> Option<f64> {
        let sk: &[SimSketch] = column(sketches);
        let d = simhash::hamming(sk[a.index()].fingerprint, sk[b.index()].fingerprint);
        if !self.exact {
            return (d <= self.k).then(|| 1.0 - f64::from(d) / 64.0);
        }
        let decided = self.decided.get()?;
        let (x, y) = (decided.same_as[a.index()], decided.same_as[b.index()]);
        if x == NONE || y == NONE {
            return None;
        }
        if x == y {
            return Some(1.0);
        }
        // Beyond the distance nothing was accepted (copies are at 0).
        if d > self.k {
            return None;
        }
        if let Some(verdict) = self.rules.deferred_verdict(a, b) {
            return verdict;
        }
        decided.accepted.get(&(x.min(y), x.max(y))).copied()
    }

    fn same_content(&self, d: DocId) -> Option<DocId> {
        let first = *self.decided.get()?.same_as.get(d.index())?;
        (first != NONE).then_some(DocId(first))
    }

    fn co_members(&self, d: DocId) -> Vec<DocId> {
        self.rules.co_members(d)
    }

    fn score_similarity(&self, score: f64) -> f64 {
        // Exact: the Jaccard; else the distance, a whole number of bits.
        if self.exact { score } else { 1.0 - score / 64.0 }
    }

    fn describe(&self, sketches: &dyn Column, a: DocId, b: DocId, score: f64, pair: &mut Pair) {
        let sk: &[SimSketch] = column(sketches);
        pair.hamming = Some(simhash::hamming(sk[a.index()].fingerprint, sk[b.index()].fingerprint));
        if self.exact {
            pair.jaccard = Some(round4(score));
        }
    }
}
