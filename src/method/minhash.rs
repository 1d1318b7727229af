//! MinHash LSH: signatures of the shingle set, candidates from band keys
//! ([`crate::lsh`]), verified by the Jaccard estimate and, near the
//! threshold, by the exact Jaccard of the shingle sets ([`crate::verify`]).

use rayon::prelude::*;

use std::path::Path;

use super::exact::Exact;
use super::{
    Column, MethodPairs, PairInput, Shingled, SimilarityMethod, column, column_mut, shingles_hash,
};
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
    exact: bool,
    /// The threshold, whether pairs already joined are skipped (they cannot
    /// change a connected component, but may decide a leader's member),
    /// and the shingle sets the exact check kept for deferred buckets
    /// ([`lsh::Candidates::deferred`]): leader clustering's second hops
    /// among those documents are decided by their exact Jaccard
    /// ([`SimilarityMethod::certain`]).
    rules: Exact,
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

            exact: cfg.exact_verify,
            rules: Exact::new(cfg),
        }
    }
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
            threshold: self.rules.threshold,
            exact: self.exact,
        };
        let content: Vec<u64> = docs.par_iter().map(content_key).collect();
        let large = lsh::LargeBuckets {
            signatures: &signatures,
            content: &content,
            link: |a, b| evidence.link(a, b),
            threshold: self.rules.threshold,
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
        if let Some(verdict) = self.rules.deferred_verdict(a, b) {
            return verdict;
        }
        let docs: &[MinHashSketch] = column(sketches);
        let (x, y) = (&docs[a.index()], &docs[b.index()]);
        let evidence = verify::Evidence {
            signatures: &[&x.signature[..], &y.signature[..]],
            shingle_counts: &[x.shingles, y.shingles],
            short_sets: &[x.short_set.as_deref(), y.short_set.as_deref()],
            threshold: self.rules.threshold,
            exact: self.exact,
        };
        match evidence.verdict(DocId(0), DocId(1)) {
            verify::Verdict::Accept(score) => Some(score),
            verify::Verdict::Reject | verify::Verdict::Check(_) => None,
        }
    }

    fn co_members(&self, d: DocId) -> Vec<DocId> {
        self.rules.co_members(d)
    }

    fn describe(&self, _column: &dyn Column, _a: DocId, _b: DocId, score: f64, pair: &mut Pair) {
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
        let mut check = Box::new(self.rules.check(accepted, input.documents, deferred));
        if uncertain.is_empty() {
            return MethodPairs::Done(check.take_sorted());
        }
        uncertain.sort_by_key(|&(a, b)| (b, a));
        MethodPairs::Check { pairs: uncertain, check }
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
