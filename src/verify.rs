//! Candidate verification: a candidate pair joins a cluster only if its
//! Jaccard similarity reaches the threshold, so one chance band collision
//! cannot chain two unrelated clusters together.
//!
//! The signature estimate decides clear cases. Its standard error at the
//! threshold t is σ = √(t(1−t)/num_perm) (0.035 for 0.8 and 128), so a pair
//! whose true Jaccard is 0.82 is rejected one time in three. With exact
//! verification the pipeline re-reads the documents of pairs whose estimate
//! lies within 4σ of t ([`triage`]) and decides them by the exact Jaccard
//! of their shingle sets ([`exact_jaccard`]).

use rayon::prelude::*;

use crate::ids::DocId;
use crate::minhash::jaccard_estimate;

/// A candidate pair that passed verification, with its similarity.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct VerifiedPair {
    /// The earlier document.
    pub a: DocId,
    /// The later document.
    pub b: DocId,
    /// Estimated Jaccard similarity (or another method's score in 0..=1).
    pub score: f64,
}

/// What verification knows of every document, and how it decides a pair.
///
/// A pair of *short* documents (fewer distinct shingles than signature
/// values, whose exact shingle sets are kept: at most `num_perm` 64-bit
/// values each) is always decided by its exact Jaccard, in memory: their
/// signatures repeat few distinct 32-bit values, so two unrelated ones can
/// agree everywhere by a single hash collision. Other pairs are decided by
/// the signature estimate, with an exact check near the threshold when
/// `exact` is set ([`triage`]).
pub struct Evidence<'a, S> {
    /// Signatures, by document.
    pub signatures: &'a [S],
    /// Shingles made per document (repeats counted).
    pub shingle_counts: &'a [u32],
    /// The sorted, unique shingle set of each short document.
    pub short_sets: &'a [Option<&'a [u64]>],
    /// The Jaccard threshold.
    pub threshold: f64,
    /// Whether estimates near the threshold get an exact check.
    pub exact: bool,
}

/// The decision [`Evidence::verdict`] reaches for a pair.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Verdict {
    /// At or above the threshold, with the score (exact where known).
    Accept(f64),
    /// Below the threshold.
    Reject,
    /// Near the threshold: needs the exact check (only with `exact`); the
    /// estimate.
    Check(f64),
}

impl<S: AsRef<[u32]>> Evidence<'_, S> {
    /// Decides the pair `(a, b)` as far as memory allows.
    pub fn verdict(&self, a: DocId, b: DocId) -> Verdict {
        let (a, b) = (a.index(), b.index());
        let t = self.threshold;
        if let (Some(x), Some(y)) = (self.short_sets[a], self.short_sets[b]) {
            let j = exact_jaccard(x, y);
            return if j >= t { Verdict::Accept(j) } else { Verdict::Reject };
        }
        let (sa, sb) = (self.signatures[a].as_ref(), self.signatures[b].as_ref());
        let est = jaccard_estimate(sa, sb);
        if !self.exact {
            return if est >= t { Verdict::Accept(est) } else { Verdict::Reject };
        }
        let fewest = self.shingle_counts[a].min(self.shingle_counts[b]) as usize;
        match triage(est, t, sa.len().min(fewest)) {
            Triage::Accept => Verdict::Accept(est),
            Triage::Reject => Verdict::Reject,
            Triage::Uncertain => Verdict::Check(est),
        }
    }

    /// The verdict as the LSH stage needs it.
    pub fn link(&self, a: DocId, b: DocId) -> crate::lsh::Link {
        match self.verdict(a, b) {
            Verdict::Accept(_) => crate::lsh::Link::Certain,
            Verdict::Check(_) => crate::lsh::Link::Maybe,
            Verdict::Reject => crate::lsh::Link::No,
        }
    }

    /// Verdicts of `candidates` in parallel: the accepted pairs, and those
    /// that need an exact check, each in the order given.
    pub fn judge(&self, candidates: &[(DocId, DocId)]) -> (Vec<VerifiedPair>, Vec<(DocId, DocId)>)
    where
        S: Sync,
    {
        let verdicts: Vec<(DocId, DocId, Verdict)> =
            candidates.par_iter().map(|&(a, b)| (a, b, self.verdict(a, b))).collect();
        let mut accepted = Vec::new();
        let mut check = Vec::new();
        for (a, b, v) in verdicts {
            match v {
                Verdict::Accept(score) => accepted.push(VerifiedPair { a, b, score }),
                Verdict::Check(_) => check.push((a, b)),
                Verdict::Reject => {}
            }
        }
        (accepted, check)
    }
}

/// The sorted, unique shingle set of a document with fewer distinct
/// shingles than `num_perm` (the documents [`Evidence`] decides exactly),
/// or `None`.
pub fn short_set(shingles: &[u64], num_perm: usize) -> Option<Box<[u64]>> {
    if shingles.len() >= 4 * num_perm.max(1) {
        return None; // at least num_perm distinct values is then likely; skip the sort
    }
    if shingles.len() >= num_perm && reaches_distinct(shingles, num_perm) {
        return None;
    }
    let mut set = shingles.to_vec();
    set.sort_unstable();
    set.dedup();
    (set.len() < num_perm).then(|| set.into_boxed_slice())
}

/// Whether `values` hold at least `n` distinct values, counted in a small
/// open-addressing table that stops as soon as it has seen `n`: most
/// documents get there after about `n` values, without sorting them all.
fn reaches_distinct(values: &[u64], n: usize) -> bool {
    let size = (2 * n).next_power_of_two();
    let mask = size - 1;
    let mut slots: Vec<Option<u64>> = vec![None; size];
    let mut distinct = 0;
    for &v in values {
        // Shingles are hashes already; mixed again so any input spreads.
        let mut i = crate::hash::fmix64(v) as usize & mask;
        loop {
            match slots[i] {
                None => {
                    slots[i] = Some(v);
                    distinct += 1;
                    break;
                }
                Some(x) if x == v => break,
                Some(_) => i = (i + 1) & mask,
            }
        }
        if distinct >= n {
            return true;
        }
    }
    false
}

/// What the estimate says about a pair.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Triage {
    /// Clearly at or above the threshold.
    Accept,
    /// Clearly below.
    Reject,
    /// Within 4 standard errors of the threshold: worth an exact check.
    Uncertain,
}

/// Sorts an estimate into [`Triage`]: uncertain within `4σ` (at least one
/// signature position) of `threshold`, σ = √(t(1−t)/n), where `n` is the
/// number of independent values behind the estimate: `num_perm`, or fewer
/// when a document has fewer shingles than that (one-permutation hashing
/// then fills the other bins by borrowing, which adds no information).
/// Outside the band a wrong decision has probability below 1 in 30,000.
pub fn triage(estimate: f64, threshold: f64, n: usize) -> Triage {
    let n = n.max(1) as f64;
    let sigma = (threshold * (1.0 - threshold) / n).sqrt();
    let band = (4.0 * sigma).max(1.0 / n);
    if estimate >= threshold + band {
        Triage::Accept
    } else if estimate < threshold - band {
        Triage::Reject
    } else {
        Triage::Uncertain
    }
}

/// Jaccard similarity of two sorted sets without repeats.
pub fn exact_jaccard(a: &[u64], b: &[u64]) -> f64 {
    debug_assert!(a.windows(2).all(|w| w[0] < w[1]) && b.windows(2).all(|w| w[0] < w[1]));
    let (mut i, mut j, mut common) = (0, 0, 0usize);
    while i < a.len() && j < b.len() {
        match a[i].cmp(&b[j]) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                common += 1;
                i += 1;
                j += 1;
            }
        }
    }
    let union = a.len() + b.len() - common;
    if union == 0 { 1.0 } else { common as f64 / union as f64 }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::minhash::Signature;

    #[test]
    fn exact_jaccard_by_hand() {
        // {1,2,3,4} vs {3,4,5}: 2 common of 5.
        assert_eq!(exact_jaccard(&[1, 2, 3, 4], &[3, 4, 5]), 0.4);
        assert_eq!(exact_jaccard(&[], &[]), 1.0);
        assert_eq!(exact_jaccard(&[1], &[]), 0.0);
    }

    #[test]
    fn triage_band_is_four_sigma() {
        // σ(0.8, 128) = 0.03536; 4σ = 0.1414.
        assert_eq!(triage(0.95, 0.8, 128), Triage::Accept);
        assert_eq!(triage(0.94, 0.8, 128), Triage::Uncertain);
        assert_eq!(triage(0.66, 0.8, 128), Triage::Uncertain);
        assert_eq!(triage(0.65, 0.8, 128), Triage::Reject);
        // Fewer values, wider band: σ(0.8, 32) = 0.0707; 4σ = 0.283.
        assert_eq!(triage(0.55, 0.8, 32), Triage::Uncertain);
        // Threshold 1: only exact equality of estimates is uncertain.
        assert_eq!(triage(1.0, 1.0, 128), Triage::Uncertain);
        assert_eq!(triage(0.99, 1.0, 128), Triage::Reject);
    }

    #[test]
    fn keeps_pairs_at_or_above_threshold() {
        let sigs: Vec<Signature> = vec![
            vec![1, 2, 3, 4, 5].into(),
            vec![1, 2, 3, 4, 9].into(),
            vec![1, 9, 9, 9, 9].into(),
        ];
        let ev = Evidence {
            signatures: &sigs,
            shingle_counts: &[100, 100, 100],
            short_sets: &[None, None, None],
            threshold: 0.8,
            exact: false,
        };
        let c = [(DocId(0), DocId(1)), (DocId(0), DocId(2)), (DocId(1), DocId(2))];
        let (v, check) = ev.judge(&c);
        assert_eq!(v, vec![VerifiedPair { a: DocId(0), b: DocId(1), score: 0.8 }]);
        assert!(check.is_empty());
    }

    #[test]
    fn short_documents_are_decided_exactly_whatever_their_signatures() {
        // Two one-shingle documents whose signatures collide (the same
        // 32-bit value everywhere) but whose shingles differ; a third equal
        // to the first.
        let sigs: Vec<Signature> = vec![vec![7; 8].into(), vec![7; 8].into(), vec![7; 8].into()];
        let owned = [short_set(&[10], 8), short_set(&[11], 8), short_set(&[10, 10], 8)];
        assert_eq!(owned[2].as_deref(), Some(&[10u64][..]));
        let sets: Vec<Option<&[u64]>> = owned.iter().map(|s| s.as_deref()).collect();
        for exact in [false, true] {
            let ev = Evidence {
                signatures: &sigs,
                shingle_counts: &[1, 1, 2],
                short_sets: &sets,
                threshold: 0.8,
                exact,
            };
            assert_eq!(ev.verdict(DocId(0), DocId(1)), Verdict::Reject);
            assert_eq!(ev.verdict(DocId(0), DocId(2)), Verdict::Accept(1.0));
        }
        // Eight distinct shingles of eight values: not short.
        assert_eq!(short_set(&[1, 2, 3, 4, 5, 6, 7, 8], 8), None);
        assert!(short_set(&[1, 2, 3, 4, 5, 6, 7, 7], 8).is_some());
    }

    /// The early exit of `short_set` (counting distinct values until
    /// `num_perm`) against its naive twin (sort everything), on inputs on
    /// both sides of the limit, with repeats, zeros and colliding values.
    #[test]
    fn short_set_matches_the_sort_everything_twin() {
        let naive = |s: &[u64], n: usize| {
            if s.len() >= 4 * n.max(1) {
                return None;
            }
            let mut v = s.to_vec();
            v.sort_unstable();
            v.dedup();
            (v.len() < n).then(|| v.into_boxed_slice())
        };
        let mut state = 7u64;
        let mut early_exits = 0;
        for case in 0..3000u64 {
            let n = [1usize, 2, 8, 128][case as usize % 4];
            let len = (crate::hash::splitmix64(&mut state) % (4 * n as u64 + 2)) as usize;
            // Few distinct values (many repeats) in some cases, many in others.
            let range = 1 + crate::hash::splitmix64(&mut state) % (2 * n as u64 + 1);
            let values: Vec<u64> = (0..len)
                .map(|_| {
                    let r = crate::hash::splitmix64(&mut state) % range;
                    // Values equal modulo the table size, and zero.
                    if case % 3 == 0 { r << 40 } else { r }
                })
                .collect();
            if values.len() >= n && values.len() < 4 * n && reaches_distinct(&values, n) {
                early_exits += 1;
            }
            assert_eq!(short_set(&values, n), naive(&values, n), "case {case}: n {n} {values:?}");
        }
        assert!(early_exits > 300, "the early exit is reached ({early_exits})");
    }
}
