//! Candidate verification: a candidate pair joins a cluster only if its
//! signatures agree on at least `threshold` of their positions, so one chance
//! band collision cannot chain two unrelated clusters together.

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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::minhash::Signature;

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
