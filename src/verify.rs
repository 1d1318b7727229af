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

/// Keeps the candidates whose estimated Jaccard is at least `threshold`, in
/// the order given.
pub fn by_minhash<S: AsRef<[u32]> + Sync>(
    candidates: &[(DocId, DocId)],
    signatures: &[S],
    threshold: f64,
) -> Vec<VerifiedPair> {
    candidates
        .par_iter()
        .filter_map(|&(a, b)| {
            let score =
                jaccard_estimate(signatures[a.index()].as_ref(), signatures[b.index()].as_ref());
            (score >= threshold).then_some(VerifiedPair { a, b, score })
        })
        .collect()
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
        let c = [(DocId(0), DocId(1)), (DocId(0), DocId(2)), (DocId(1), DocId(2))];
        let v = by_minhash(&c, &sigs, 0.8);
        assert_eq!(v, vec![VerifiedPair { a: DocId(0), b: DocId(1), score: 0.8 }]);
    }
}
