//! SimHash (Charikar 2002): a 64-bit fingerprint of a weighted set, whose
//! Hamming distance to another fingerprint grows as the sets' weighted
//! cosine similarity falls.
//!
//! Every distinct shingle adds its weight to 64 counters, positively where
//! its hash has a 1 bit and negatively where it has a 0; the fingerprint has
//! a 1 wherever a counter ends positive. Weights are the shingle's frequency
//! in the document (tf), optionally times its inverse document frequency
//! over the collection (tf-idf, `ln(N / df)`, df from a count-min sketch).
//! Cost: O(s log s) to count s shingles, then 64 additions per distinct one.

use crate::hash::fmix64;

/// How shingles are weighted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Weighting {
    /// Frequency in the document.
    #[default]
    Tf,
    /// Frequency times `ln(N / df)` over the collection.
    TfIdf,
}

/// Fingerprint of shingle hashes (repeats count as frequency) with weights
/// `tf · idf(hash)`; `idf` returns 1 for plain tf. `sorted` is scratch space.
pub fn fingerprint(shingles: &[u64], idf: impl Fn(u64) -> f64, sorted: &mut Vec<u64>) -> u64 {
    sorted.clear();
    sorted.extend_from_slice(shingles);
    sorted.sort_unstable();
    let mut v = [0f64; 64];
    for run in sorted.chunk_by(|a, b| a == b) {
        let h = run[0];
        let w = run.len() as f64 * idf(h);
        // Spread the (already mixed) hash once more so that fingerprint bits
        // are independent of the MinHash bins, which use the same hashes.
        let bits = fmix64(h ^ 0x5349_4d48_4153_4821);
        for (i, c) in v.iter_mut().enumerate() {
            if bits >> i & 1 == 1 {
                *c += w;
            } else {
                *c -= w;
            }
        }
    }
    v.iter().enumerate().fold(0u64, |fp, (i, &c)| if c > 0.0 { fp | 1 << i } else { fp })
}

/// The Hamming distance expected between the fingerprints (tf weights) of
/// two documents whose shingle sets have Jaccard similarity `jaccard`.
///
/// The model: each of the 64 bits is the sign of the weighted vector's
/// projection on a random ±1 vector (one per shingle hash), so for two
/// vectors at angle θ a bit differs with probability θ/π (Charikar 2002),
/// independently of the other bits: the distance is Binomial(64, θ/π),
/// mean 64·θ/π. With tf weights the vectors are all but 0/1 (a 5-word
/// shingle seldom occurs twice in a document), and then
/// `cos θ = |A∩B| / √(|A|·|B|) ≥ 2|A∩B| / (|A| + |B|) = 2J / (1 + J)`
/// (the geometric mean is at most the arithmetic one; equal for sets of
/// one size). So this is `64/π · arccos(2J / (1 + J))`, exact for sets of
/// equal size and an upper bound otherwise. Worked out: J = 0.9 gives
/// arccos(0.9474) = 0.3259, 6.64 bits; J = 0.8: arccos(0.8889) = 0.4759,
/// 9.69 bits; J = 0.7: arccos(0.8235) = 0.6032, 12.29; J = 0.5:
/// arccos(0.6667) = 0.8411, 17.13. On the labelled help pages the true
/// pairs' mean distance is within 0.3 bits of this for J from 0.8 to 0.95.
pub fn expected_distance(jaccard: f64) -> f64 {
    let cos = (2.0 * jaccard / (1.0 + jaccard)).clamp(-1.0, 1.0);
    64.0 / std::f64::consts::PI * cos.acos()
}

/// The largest Hamming distance for a Jaccard `threshold` (`--hamming
/// auto`); the index searches at most [`crate::simindex::MAX_K`] and
/// [`crate::Options::hamming_bits`] caps it.
///
/// When the distance decides (`verified` false: `--verify estimate`), the
/// distance expected at the threshold ([`expected_distance`]), rounded to
/// the nearest bit: 0.9 → 7, 0.8 → 10, 0.7 → 12, 0.5 → 17. A pair at the
/// threshold is then found about half the time, as when any estimate is
/// compared with the threshold; a larger distance takes in pairs far below
/// it (the distance has a tail: on a generated news collection of 100 MB,
/// 15 bits gave precision 0.30 where 10 gave 0.95).
///
/// When every pair is then decided by its exact Jaccard (`verified`, the
/// default), the distance only proposes, and a missed pair is lost while a
/// false one costs a check: the 95th percentile of the distance at the
/// threshold, taking each of the 64 bits to differ independently with
/// probability `expected_distance / 64` (a binomial), so a pair at the
/// threshold is a candidate with probability at least 0.95, as MinHash's
/// bands are chosen. Worked out: 0.9 → 11 (mean 6.64, P(≤ 11) = 0.970),
/// 0.8 → 15 (9.69; P(≤ 14) = 0.947, P(≤ 15) = 0.973), 0.7 → 18.
pub fn hamming_for_threshold(threshold: f64, verified: bool) -> u32 {
    let mean = expected_distance(threshold);
    if !verified {
        return mean.round() as u32;
    }
    let p = (mean / 64.0).clamp(0.0, 1.0);
    // P(X = 0), then P(X = k + 1) = P(X = k) · (64 − k) / (k + 1) · p / (1 − p).
    if p >= 1.0 {
        return 64;
    }
    let mut term = (1.0 - p).powi(64);
    let mut cdf = term;
    let mut k = 0u32;
    while cdf < 0.95 && k < 64 {
        term *= f64::from(64 - k) / f64::from(k + 1) * p / (1.0 - p);
        cdf += term;
        k += 1;
    }
    k
}

/// Hamming distance of two fingerprints.
#[inline]
pub fn hamming(a: u64, b: u64) -> u32 {
    (a ^ b).count_ones()
}

/// A count-min sketch of document frequencies (Cormode & Muthukrishnan
/// 2005): 4 rows of 2^`log2_width` counters; estimates never undercount,
/// and overcount by at most 2·N/width with probability 1 − (1/2)^4.
#[derive(Debug, Clone)]
pub struct DocFrequency {
    rows: Vec<Vec<u32>>,
    mask: u64,
    documents: u64,
}

impl DocFrequency {
    /// A sketch with 4 × 2^`log2_width` counters.
    pub fn new(log2_width: u32) -> DocFrequency {
        let width = 1usize << log2_width;
        DocFrequency { rows: vec![vec![0; width]; 4], mask: width as u64 - 1, documents: 0 }
    }

    fn slot(&self, row: usize, h: u64) -> usize {
        (fmix64(h ^ (row as u64).wrapping_mul(crate::hash::GOLDEN)) & self.mask) as usize
    }

    /// Counts one document's distinct shingles (`distinct` sorted, unique).
    pub fn add_document(&mut self, distinct: &[u64]) {
        self.documents += 1;
        for &h in distinct {
            for r in 0..4 {
                let s = self.slot(r, h);
                self.rows[r][s] = self.rows[r][s].saturating_add(1);
            }
        }
    }

    /// Adds another sketch of the same width.
    pub fn merge(&mut self, other: &DocFrequency) {
        self.documents += other.documents;
        for (a, b) in self.rows.iter_mut().zip(&other.rows) {
            for (x, y) in a.iter_mut().zip(b) {
                *x = x.saturating_add(*y);
            }
        }
    }

    /// `ln(N / df)`, with df at least 1.
    pub fn idf(&self, h: u64) -> f64 {
        let df = (0..4).map(|r| self.rows[r][self.slot(r, h)]).min().unwrap_or(0).max(1);
        (self.documents.max(1) as f64 / f64::from(df)).ln().max(0.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(lo: u64, hi: u64) -> Vec<u64> {
        (lo..hi).map(fmix64).collect()
    }

    #[test]
    fn similar_sets_are_close_and_different_sets_far() {
        let mut s = Vec::new();
        let a = fingerprint(&set(0, 1000), |_| 1.0, &mut s);
        let b = fingerprint(&set(0, 990), |_| 1.0, &mut s);
        let c = fingerprint(&set(5000, 6000), |_| 1.0, &mut s);
        assert!(hamming(a, b) <= 4, "{}", hamming(a, b));
        assert!(hamming(a, c) >= 16, "{}", hamming(a, c));
        assert_eq!(fingerprint(&set(0, 1000), |_| 1.0, &mut s), a);
    }

    #[test]
    fn frequency_is_weight() {
        let mut s = Vec::new();
        // One shingle repeated dominates a second one seen once.
        let x = fmix64(1);
        let y = fmix64(2);
        let fp = fingerprint(&[x, x, x, y], |_| 1.0, &mut s);
        assert_eq!(fp, fingerprint(&[x], |_| 1.0, &mut s));
    }

    #[test]
    fn the_automatic_distance_follows_the_model() {
        // Worked out by hand in `expected_distance`'s doc.
        let near = |j: f64, want: f64| (expected_distance(j) - want).abs() < 0.01;
        assert!(near(0.9, 6.64) && near(0.8, 9.69) && near(0.7, 12.29) && near(0.5, 17.13));
        assert!(near(1.0, 0.0));
        let k = |t: f64| hamming_for_threshold(t, false);
        assert_eq!((k(0.5), k(0.7), k(0.8), k(0.9), k(0.95), k(1.0)), (17, 12, 10, 7, 5, 0));
        // Verified: the binomial's 95th percentile (cumulative sums worked
        // out in Python with math.comb: at 0.8, P(<= 14) = 0.9472 and
        // P(<= 15) = 0.9731; at 0.9, P(<= 10) = 0.9361, P(<= 11) = 0.9696;
        // at 0.7, P(<= 17) = 0.9462, P(<= 18) = 0.9711).
        let v = |t: f64| hamming_for_threshold(t, true);
        assert_eq!((v(0.7), v(0.8), v(0.9), v(1.0)), (18, 15, 11, 0));
        // Lower thresholds allow more bits.
        for k in [k, v] {
            assert!((1..=100).all(|i| k(f64::from(i) / 100.0) <= k(f64::from(i - 1) / 100.0)));
        }
        // The model against fingerprints: sets of 2,000 shingles, the second
        // with m of them replaced, J = (2000 − m) / (2000 + m); the mean
        // distance over 400 seeds is within half a bit of the model (its
        // standard error: about 3 / 20 bits).
        let mut s = Vec::new();
        for m in [105u64, 222, 353] {
            let jaccard = (2000 - m) as f64 / (2000 + m) as f64;
            let mean: f64 = (0..400u64)
                .map(|seed| {
                    let base = seed << 32;
                    let a = fingerprint(&set(base, base + 2000), |_| 1.0, &mut s);
                    let mut edited = set(base, base + 2000 - m);
                    edited.extend(set(base + 10_000, base + 10_000 + m));
                    let b = fingerprint(&edited, |_| 1.0, &mut s);
                    f64::from(hamming(a, b))
                })
                .sum::<f64>()
                / 400.0;
            let want = expected_distance(jaccard);
            assert!((mean - want).abs() < 0.5, "J {jaccard:.3}: {mean} vs {want}");
        }
        // The verified distance at 0.8 (J = 0.8002 with m = 222) keeps at
        // least 95 % of such pairs within it (the binomial says 97 %).
        let within = (0..400u64)
            .filter(|seed| {
                let base = seed << 32;
                let a = fingerprint(&set(base, base + 2000), |_| 1.0, &mut s);
                let mut edited = set(base, base + 2000 - 222);
                edited.extend(set(base + 10_000, base + 10_000 + 222));
                hamming(a, fingerprint(&edited, |_| 1.0, &mut s)) <= v(0.8)
            })
            .count();
        assert!(within >= 380, "{within} of 400 within {} bits", v(0.8));
    }

    #[test]
    fn count_min_never_undercounts() {
        let mut df = DocFrequency::new(10);
        for d in 0..50u64 {
            let mut doc: Vec<u64> = (0..20).map(|i| fmix64(i + d % 3)).collect();
            doc.sort_unstable();
            doc.dedup();
            df.add_document(&doc);
        }
        // A shingle in every document has idf ln(50/50) = 0; an unseen one
        // has the largest idf.
        assert!(df.idf(fmix64(5)) < 1e-9);
        assert!(df.idf(fmix64(999_999)) > 3.0);
    }
}
