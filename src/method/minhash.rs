//! MinHash LSH: signatures of the shingle set, candidates from band keys
//! ([`crate::lsh`]), verified by the Jaccard estimate and, near the
//! threshold, by the exact Jaccard of the shingle sets ([`crate::verify`]).

use rayon::prelude::*;

use std::collections::HashMap;
use std::path::Path;

use super::{
    Column, MethodPairs, PairCheck, PairInput, ScoredPair, Shingled, SimilarityMethod, column,
    column_mut,
};
use crate::cluster::UnionFind;
use crate::config::Config;
use crate::error::Result;
use crate::ids::DocId;
use crate::lsh::{self, LshParams};
use crate::minhash::{MinHasher, Signature, jaccard_estimate};
use crate::report::model::{Pair, Stats, round4};
use crate::stagefile::{DocSignature, Kind, SignatureLayout, StageWriter};
use crate::verify::{self, VerifiedPair};

/// MinHash LSH (see the module doc).
#[derive(Debug)]
pub struct MinHashMethod {
    hasher: MinHasher,
    lsh: LshParams,
    num_perm: usize,
    threshold: f64,
    exact: bool,
    /// Skip exact checks of pairs already joined by accepted pairs (they
    /// cannot change a connected component, but may decide a leader's
    /// member).
    skip_joined: bool,
    /// The shingle sets the exact check kept for deferred buckets
    /// ([`lsh::Candidates::deferred`]), set once it is done: leader
    /// clustering's second hops among those documents are then decided
    /// by their exact Jaccard ([`SimilarityMethod::certain`]).
    deferred_sets: std::sync::OnceLock<Deferred>,
}

/// What the exact check keeps of deferred buckets for leader clustering.
#[derive(Debug, Default)]
struct Deferred {
    /// The shingle set of every member.
    sets: HashMap<u32, Box<[u64]>>,
    /// The buckets (members).
    buckets: Vec<Vec<u32>>,
    /// Per member, the buckets it is in.
    of_doc: HashMap<u32, Vec<u32>>,
}

/// What MinHash keeps per document.
#[derive(Debug)]
pub(crate) struct MinHashSketch {
    signature: Signature,
    /// Shingles made (repeats counted): bounds the values behind an estimate.
    pub(crate) shingles: u32,
    /// The exact shingle set of a short document (see [`verify::Evidence`]).
    short_set: Option<Box<[u64]>>,
    /// An order-free hash of the shingles (repeats counted): documents
    /// with equal signatures but other text keep apart ([`content_key`]).
    shingles_hash: u64,
}

impl MinHashMethod {
    /// The method with `cfg`'s signature length, seed, variant, bands ×
    /// rows, threshold and verification.
    pub fn new(cfg: &Config) -> MinHashMethod {
        MinHashMethod {
            hasher: MinHasher::new(cfg.num_perm, cfg.seed, cfg.variant),
            lsh: cfg.lsh_params(),
            num_perm: cfg.num_perm,
            threshold: cfg.threshold,
            exact: cfg.exact_verify,
            skip_joined: cfg.clustering == crate::cluster::Clustering::Components,
            deferred_sets: std::sync::OnceLock::new(),
        }
    }
}

/// An order-free hash of `shingles` (repeats counted): a sum of mixed
/// values, so the same shingles in any order give the same hash.
fn shingles_hash(shingles: &[u64]) -> u64 {
    shingles.iter().fold(0u64, |h, &s| h.wrapping_add(crate::hash::fmix64(s ^ 0x9e37_79b9)))
}

/// A 64-bit key of what a document's similarity depends on: its signature,
/// its shingles (two near-copies can share all 128 signature values yet
/// differ; with exact verification they must stay two documents) and the
/// exact shingle set of a short document. Documents with equal keys are one
/// document to the LSH stage.
fn content_key(d: &MinHashSketch) -> u64 {
    let mut bytes: Vec<u8> = d.signature.iter().flat_map(|v| v.to_le_bytes()).collect();
    bytes.extend_from_slice(&d.shingles_hash.to_le_bytes());
    for s in d.short_set.iter().flatten() {
        bytes.extend_from_slice(&s.to_le_bytes());
    }
    crate::hash::bytes(&bytes, 0)
}

impl SimilarityMethod for MinHashMethod {
    fn name(&self) -> &'static str {
        "minhash"
    }

    fn rereads(&self) -> bool {
        self.exact
    }

    fn column(&self) -> Box<dyn Column> {
        Box::new(Vec::<MinHashSketch>::new())
    }

    fn sketch(&self, doc: Shingled<'_>, _scratch: &mut Vec<u64>, out: &mut dyn Column) {
        column_mut(out).push(MinHashSketch {
            signature: self.hasher.sign(doc.shingles),
            shingles: u32::try_from(doc.shingles.len()).unwrap_or(u32::MAX),
            short_set: verify::short_set(doc.shingles, self.num_perm),
            shingles_hash: shingles_hash(doc.shingles),
        });
    }

    fn pairs<'m>(&'m self, input: &PairInput<'_>, stats: &mut Stats) -> Result<MethodPairs<'m>> {
        let docs: &[MinHashSketch] = column(input.sketches);
        let lsh = &self.lsh;
        // A document left out gets no band keys: it is in no bucket.
        let keys: Vec<Box<[u64]>> = docs
            .par_iter()
            .enumerate()
            .map(|(i, d)| {
                if input.is_left_out(i) {
                    return Box::default();
                }
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
            threshold: self.threshold,
            exact: self.exact,
        };
        let content: Vec<u64> = docs.par_iter().map(content_key).collect();
        let large = lsh::LargeBuckets {
            signatures: &signatures,
            content: &content,
            link: |a, b| evidence.link(a, b),
            threshold: self.threshold,
            rank: input.rank,
            defer: self.exact,
        };
        let lsh::Candidates { pairs: candidates, deferred, .. } =
            lsh::candidates(&keys, lsh, &large);
        drop(keys);
        drop(content);
        stats.candidate_pairs = candidates.len() as u64;
        let (accepted, check) = evidence.judge(&candidates);
        drop(candidates);
        Ok(self.near_threshold(input, accepted, &check, deferred))
    }

    fn similarity(&self, sketches: &dyn Column, a: DocId, b: DocId) -> f64 {
        let docs: &[MinHashSketch] = column(sketches);
        jaccard_estimate(&docs[a.index()].signature, &docs[b.index()].signature)
    }

    fn certain(&self, sketches: &dyn Column, a: DocId, b: DocId) -> Option<f64> {
        if let Some(deferred) = self.deferred_sets.get() {
            let sets = &deferred.sets;
            if let (Some(x), Some(y)) = (sets.get(&a.0), sets.get(&b.0)) {
                let j = verify::exact_jaccard(x, y);
                return (j >= self.threshold).then_some(j);
            }
        }
        let docs: &[MinHashSketch] = column(sketches);
        let (x, y) = (&docs[a.index()], &docs[b.index()]);
        let evidence = verify::Evidence {
            signatures: &[&x.signature[..], &y.signature[..]],
            shingle_counts: &[x.shingles, y.shingles],
            short_sets: &[x.short_set.as_deref(), y.short_set.as_deref()],
            threshold: self.threshold,
            exact: self.exact,
        };
        match evidence.verdict(DocId(0), DocId(1)) {
            verify::Verdict::Accept(score) => Some(score),
            verify::Verdict::Reject | verify::Verdict::Check(_) => None,
        }
    }

    fn co_members(&self, d: DocId) -> Vec<DocId> {
        let Some(deferred) = self.deferred_sets.get() else { return Vec::new() };
        let Some(buckets) = deferred.of_doc.get(&d.0) else { return Vec::new() };
        buckets
            .iter()
            .flat_map(|&b| deferred.buckets[b as usize].iter())
            .filter(|&&m| m != d.0)
            .map(|&m| DocId(m))
            .collect()
    }

    fn describe(&self, score: f64, pair: &mut Pair) {
        pair.jaccard = Some(round4(score));
    }

    /// `signatures.stage`: each document's signature and band keys.
    fn save_sketches(&self, sketches: &dyn Column, dir: &Path, cfg: &Config) -> Result<()> {
        let path = crate::stage::files::signatures_path(dir);
        let hash = crate::stage::files::params_hash(cfg, Kind::Signatures, self.name());
        let layout = SignatureLayout {
            num_perm: u32::try_from(self.num_perm).expect("BUG: num_perm is at most 4096"),
            bands: u32::try_from(self.lsh.bands).expect("BUG: bands are at most num_perm"),
        };
        let mut w = StageWriter::<DocSignature>::create(path, hash, layout)?;
        let mut keys = Vec::with_capacity(self.lsh.bands);
        for (i, d) in column::<MinHashSketch>(sketches).iter().enumerate() {
            keys.clear();
            self.lsh.band_keys(&d.signature, &mut keys);
            let doc = DocId::from_index(i).ok_or(crate::Error::TooManyDocuments)?;
            w.push(&DocSignature { doc, signature: d.signature.clone(), band_keys: keys.clone() })?;
        }
        w.finish()?;
        Ok(())
    }
}

impl MinHashMethod {
    /// The exact checks of MinHash verification: `check` holds the pairs
    /// whose estimate lies within 4σ of the threshold; they are decided by
    /// the exact Jaccard of their shingle sets, rebuilt on a re-read of
    /// just those documents ([`ExactCheck`]), and join `accepted`. The
    /// members of `deferred` buckets ([`lsh::Candidates::deferred`]) are
    /// re-read too (as the pair `(d, d)`), and their buckets compared once
    /// every set is known.
    fn near_threshold<'m>(
        &'m self,
        input: &PairInput<'_>,
        accepted: Vec<VerifiedPair>,
        check: &[(DocId, DocId)],
        deferred: Vec<Vec<u32>>,
    ) -> MethodPairs<'m> {
        let mut uncertain: Vec<(u32, u32)> = check.iter().map(|&(a, b)| (a.0, b.0)).collect();
        let mut members: Vec<u32> = deferred.iter().flatten().copied().collect();
        members.par_sort_unstable();
        members.dedup();
        uncertain.extend(members.iter().map(|&d| (d, d)));
        let mut check = Box::new(ExactCheck::new(self, accepted, input.documents, deferred));
        if uncertain.is_empty() {
            return MethodPairs::Done(check.take_sorted());
        }
        uncertain.sort_by_key(|&(a, b)| (b, a));
        MethodPairs::Check { pairs: uncertain, check }
    }
}

/// Pairs near the threshold decided by their exact Jaccard. With connected
/// components, a pair whose documents are already joined by accepted pairs
/// cannot change a cluster: it is not checked (leader clustering checks
/// every pair: it may make a document a member of its leader). Runs come in input order (whatever the thread
/// count), so what is checked is deterministic.
///
/// Deferred buckets ([`lsh::Candidates::deferred`]) keep their members'
/// sets as they come by and are compared at the end, every pair decided
/// by its exact Jaccard ([`lsh::deferred_pairs`]). Those sets are what
/// the check holds beyond the documents waiting for a partner.
struct ExactCheck<'a> {
    method: &'a MinHashMethod,
    accepted: Vec<VerifiedPair>,
    joined: UnionFind,
    checked: u64,
    deferred: Vec<Vec<u32>>,
    kept: HashMap<u32, Box<[u64]>>,
}

impl<'a> ExactCheck<'a> {
    fn new(
        method: &'a MinHashMethod,
        accepted: Vec<VerifiedPair>,
        documents: usize,
        deferred: Vec<Vec<u32>>,
    ) -> Self {
        let mut joined = UnionFind::new(documents);
        for p in &accepted {
            joined.union(p.a.0, p.b.0);
        }
        ExactCheck { method, accepted, joined, checked: 0, deferred, kept: HashMap::new() }
    }

    /// The deferred buckets' accepted pairs, added to the others.
    fn compare_deferred(&mut self) {
        let (kept, threshold) = (&self.kept, self.method.threshold);
        let leaders = !self.method.skip_joined;
        let jaccard = |a: DocId, b: DocId| -> Option<f64> {
            Some(verify::exact_jaccard(kept.get(&a.0)?, kept.get(&b.0)?))
        };
        let checks = std::sync::atomic::AtomicU64::new(0);
        let found: Vec<VerifiedPair> = self
            .deferred
            .par_iter()
            .flat_map_iter(|members| {
                let accept = |a, b| {
                    checks.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    jaccard(a, b).is_some_and(|j| j >= threshold)
                };
                lsh::deferred_pairs(members, leaders, accept)
            })
            .map(|(a, b)| VerifiedPair { a, b, score: jaccard(a, b).unwrap_or(0.0) })
            .collect();
        self.checked += checks.into_inner();
        self.accepted.extend(found);
        let buckets = std::mem::take(&mut self.deferred);
        let sets = std::mem::take(&mut self.kept);
        if !sets.is_empty() && !self.method.skip_joined {
            // Leader clustering asks for its second hops and checks each
            // leader against its buckets; a second run of the same method
            // (none today) would keep the first.
            let mut of_doc: HashMap<u32, Vec<u32>> = HashMap::new();
            for (b, members) in buckets.iter().enumerate() {
                for &m in members {
                    of_doc.entry(m).or_default().push(b as u32);
                }
            }
            let _ = self.method.deferred_sets.set(Deferred { sets, buckets, of_doc });
        }
    }

    /// The accepted pairs sorted by `(a, b)`, each once (a pair a deferred
    /// bucket gives may also come from a small bucket: the higher score
    /// is kept), scored by its exact Jaccard where checked, else by its
    /// estimate. Deferred buckets are compared before ([`PairCheck::finish`];
    /// with nothing to re-read there are none).
    fn take_sorted(&mut self) -> Vec<ScoredPair> {
        debug_assert!(self.deferred.is_empty(), "BUG: deferred buckets not compared");
        let mut accepted = std::mem::take(&mut self.accepted);
        accepted.par_sort_unstable_by(|x, y| {
            (x.a, x.b).cmp(&(y.a, y.b)).then(y.score.total_cmp(&x.score))
        });
        accepted.dedup_by_key(|p| (p.a, p.b));
        accepted.into_iter().map(|p| ScoredPair { a: p.a, b: p.b, score: p.score }).collect()
    }
}

impl PairCheck for ExactCheck<'_> {
    fn check(&mut self, pairs: &[(u32, u32)], sets: &HashMap<u32, Box<[u64]>>) {
        // (d, d): a member of a deferred bucket, whose set is kept.
        for &(d, _) in pairs.iter().filter(|p| p.0 == p.1) {
            if let Some(set) = sets.get(&d) {
                self.kept.insert(d, set.clone());
            }
        }
        let joined = &mut self.joined;
        let skip = self.method.skip_joined;
        let open: Vec<(u32, u32)> = pairs
            .iter()
            .copied()
            .filter(|&(a, b)| a != b && (!skip || joined.find(a) != joined.find(b)))
            .collect();
        self.checked += open.len() as u64;
        let threshold = self.method.threshold;
        let checked: Vec<VerifiedPair> = open
            .par_iter()
            .filter_map(|&(a, b)| {
                let j = verify::exact_jaccard(sets.get(&a)?, sets.get(&b)?);
                (j >= threshold).then_some(VerifiedPair { a: DocId(a), b: DocId(b), score: j })
            })
            .collect();
        for p in &checked {
            joined.union(p.a.0, p.b.0);
        }
        self.accepted.extend(checked);
    }

    fn finish(mut self: Box<Self>, stats: &mut Stats) -> Vec<ScoredPair> {
        self.compare_deferred();
        stats.exact_checked_pairs = self.checked;
        self.take_sorted()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Two near-copies can share every signature value (at Jaccard 0.93,
    /// 0.93^128 ≈ 1e-4 per pair) yet differ: with exact verification they
    /// must stay two documents to the LSH stage, so their content keys
    /// differ; equal texts keep equal keys.
    #[test]
    fn equal_signatures_of_other_text_are_other_content() {
        let signature: Signature = (0..128u32).collect::<Vec<_>>().into_boxed_slice();
        let sketch = |shingles: &[u64]| MinHashSketch {
            signature: signature.clone(),
            shingles: shingles.len() as u32,
            short_set: None,
            shingles_hash: shingles_hash(shingles),
        };
        let a = sketch(&[1, 2, 3, 4]);
        let b = sketch(&[1, 2, 3, 5]);
        let a_again = sketch(&[4, 3, 2, 1]);
        assert_ne!(content_key(&a), content_key(&b));
        assert_eq!(content_key(&a), content_key(&a_again));
    }
}
