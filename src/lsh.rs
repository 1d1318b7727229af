//! Locality-sensitive hashing over MinHash signatures: banding, the choice
//! of bands × rows, and candidate pairs found by sorting band keys.
//!
//! A signature is cut into `bands` bands of `rows` values; two documents are
//! candidates if any band is equal. For Jaccard s the probability is the
//! S-curve P(s) = 1 − (1 − s^rows)^bands.
//!
//! **Choosing bands × rows.** [`LshParams::optimal`] minimises
//! `w_fp · ∫₀ᵗ P(s) ds + w_fn · ∫ₜ¹ (1 − P(s)) ds` over all `bands · rows ≤
//! num_perm` (the datasketch criterion), with `w_fp = 0.2, w_fn = 0.8`
//! rather than equal weights: every candidate is verified against the
//! threshold afterwards, so a false positive costs one signature comparison
//! while a false negative loses a duplicate for good. For t = 0.8 and 128
//! permutations this picks 12 × 10 (P(0.9) = 0.994, P(0.5) = 0.012), where
//! equal weights pick 9 × 13 and miss 7 % of pairs at Jaccard 0.9.
//!
//! **Candidates.** For each band (in parallel, one band per task, no locks),
//! the `(key, doc)` pairs are sorted and runs of equal keys are buckets.
//! A bucket of m ≤ [`FULL_BUCKET`] documents gives all m(m−1)/2 pairs. A
//! larger one (boilerplate, templates, mass duplicates) loses no pair that
//! verification could accept, whatever the order of the input
//! ([`BucketSplit`]): equal documents are collapsed to one, and the distinct
//! ones are compared pairwise (up to [`ALL_PAIRS`]) or split by further
//! signature positions until the parts are small. Pairs are then sorted and
//! deduplicated across bands.
//!
//! **Cost.** O(n · bands · log n) for the sort, plus for each large bucket
//! its size (collapse) and the pairs it compares. Worst case: a bucket whose
//! m distinct members are all within about the threshold of each other (for
//! example templated pages at Jaccard 0.74 when the threshold is 0.8), where
//! no split separates them: m²/2 signature comparisons, which is also the
//! number of pairs verification would have to judge. Buckets of identical
//! documents cost m; buckets of documents that share one band by chance
//! (a common header) split into small parts at once.

use rayon::prelude::*;
use xxhash_rust::xxh3::xxh3_64_with_seed;

use crate::ids::DocId;

/// Buckets up to this size give all their pairs.
pub const FULL_BUCKET: usize = 32;

/// Banding parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LshParams {
    /// Number of bands.
    pub bands: usize,
    /// Signature values per band.
    pub rows: usize,
}

/// Weight of false positives in [`LshParams::optimal`].
pub const FP_WEIGHT: f64 = 0.2;
/// Weight of false negatives in [`LshParams::optimal`].
pub const FN_WEIGHT: f64 = 0.8;

impl LshParams {
    /// Probability that a pair of Jaccard `s` becomes a candidate.
    pub fn candidate_probability(&self, s: f64) -> f64 {
        1.0 - (1.0 - s.powi(self.rows as i32)).powi(self.bands as i32)
    }

    /// The bands × rows (with `bands · rows ≤ num_perm`) minimising the
    /// weighted false positive and false negative areas around `threshold`.
    pub fn optimal(threshold: f64, num_perm: usize) -> LshParams {
        let mut best = (f64::INFINITY, LshParams { bands: 1, rows: num_perm.max(1) });
        for bands in 1..=num_perm {
            for rows in 1..=num_perm / bands {
                let p = LshParams { bands, rows };
                let fp = integrate(|s| p.candidate_probability(s), 0.0, threshold);
                let fn_ = integrate(|s| 1.0 - p.candidate_probability(s), threshold, 1.0);
                let cost = FP_WEIGHT * fp + FN_WEIGHT * fn_;
                if cost < best.0 {
                    best = (cost, p);
                }
            }
        }
        best.1
    }

    /// The band keys of one signature, appended to `out`.
    ///
    /// # Panics
    /// If the signature is shorter than `bands · rows` (checked by the
    /// configuration).
    pub fn band_keys(&self, sig: &[u32], out: &mut Vec<u64>) {
        let mut bytes = Vec::with_capacity(self.rows * 4);
        for b in 0..self.bands {
            bytes.clear();
            for v in &sig[b * self.rows..(b + 1) * self.rows] {
                bytes.extend_from_slice(&v.to_le_bytes());
            }
            out.push(xxh3_64_with_seed(&bytes, b as u64));
        }
    }
}

/// Midpoint rule over 200 steps: ample for these smooth curves.
fn integrate(f: impl Fn(f64) -> f64, a: f64, b: f64) -> f64 {
    let n = 200u32;
    let h = (b - a) / f64::from(n);
    (0..n).map(|i| f(a + (f64::from(i) + 0.5) * h)).sum::<f64>() * h
}

/// How candidates are drawn from buckets larger than [`FULL_BUCKET`].
///
/// All members of such a bucket agree on the band's rows. They are first
/// collapsed by `content` (a 64-bit key per document that the caller makes
/// from the whole signature, and from the exact shingle set of a short
/// document): members with equal content are joined to the first of them
/// (smallest id) and only that one takes part further. The distinct members
/// are then compared, each pair tested with `relevant` (the verifier's own
/// lower bound, so nothing it could accept is dropped):
///
/// - up to [`ALL_PAIRS`] distinct members: all pairs;
/// - more: the bucket is split by *sub-bands* of signature positions that
///   its members do not yet all share: `sub_bands` groups of `sub_rows`
///   positions, chosen (see [`BucketSplit::new`]) so that a pair at the
///   threshold shares at least one sub-band with probability at least
///   `1 − MISS_PER_LEVEL`; each part is handled the same way, recursively.
///   A split that would not shrink the work (the parts' pairs add up to at
///   least half the bucket's) is not made: the bucket's pairs are compared
///   directly instead.
///
/// Everything depends only on signatures and content keys, never on the
/// order of the input: the same documents give the same pairs, up to which
/// member of an equal-content group is the one joined to the others.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BucketSplit {
    /// Positions per sub-band.
    pub sub_rows: usize,
    /// Sub-bands per split.
    pub sub_bands: usize,
}

/// Distinct members up to which a large bucket compares all its pairs.
pub const ALL_PAIRS: usize = 128;

/// Largest chance that a pair at the threshold misses every sub-band of one
/// split.
pub const MISS_PER_LEVEL: f64 = 0.001;

impl BucketSplit {
    /// The most selective sub-bands (most rows) that keep a pair of Jaccard
    /// `threshold` with probability `1 − MISS_PER_LEVEL` and fit in the
    /// `free` positions a band leaves (`num_perm − rows`). `None` when no
    /// split fits: large buckets then compare all their pairs.
    pub fn new(threshold: f64, free: usize) -> Option<BucketSplit> {
        let t = threshold.clamp(1e-6, 1.0);
        let mut best = None;
        for sub_rows in 1..=free {
            let p = t.powi(sub_rows as i32);
            let sub_bands = if p >= 1.0 {
                1
            } else {
                (MISS_PER_LEVEL.ln() / (1.0 - p).ln()).ceil().max(1.0) as usize
            };
            if sub_rows * sub_bands <= free {
                best = Some(BucketSplit { sub_rows, sub_bands });
            }
        }
        best
    }

    /// Probability that a pair of Jaccard `s` shares a sub-band.
    pub fn keep_probability(&self, s: f64) -> f64 {
        1.0 - (1.0 - s.powi(self.sub_rows as i32)).powi(self.sub_bands as i32)
    }
}

/// What [`candidates`] needs to split large buckets.
pub struct LargeBuckets<'a, S, F> {
    /// Every document's signature (same index as the keys).
    pub signatures: &'a [S],
    /// Every document's content key (equal keys: treated as one document).
    pub content: &'a [u64],
    /// Whether a pair could pass verification.
    pub relevant: F,
    /// The verification threshold, for the sub-band choice.
    pub threshold: f64,
}

/// Candidate pairs `(a, b)` with `a < b`, sorted and unique, from the band
/// keys of all documents: `keys[doc]` holds that document's `bands` keys
/// (documents with no keys take part in nothing). Buckets of up to
/// [`FULL_BUCKET`] documents give all their pairs; larger ones are handled
/// as [`BucketSplit`] describes.
pub fn candidates<S, F>(
    keys: &[Box<[u64]>],
    params: &LshParams,
    large: &LargeBuckets<'_, S, F>,
) -> Candidates
where
    S: AsRef<[u32]> + Sync,
    F: Fn(DocId, DocId) -> bool + Sync,
{
    let num_perm = large.signatures.iter().map(|s| s.as_ref().len()).max().unwrap_or(0);
    let split = BucketSplit::new(large.threshold, num_perm.saturating_sub(params.rows));
    let splits = std::sync::atomic::AtomicU64::new(0);
    let mut pairs: Vec<u64> = (0..params.bands)
        .into_par_iter()
        .flat_map_iter(|b| {
            let mut column: Vec<(u64, u32)> = keys
                .iter()
                .enumerate()
                .filter(|(_, k)| !k.is_empty())
                .map(|(d, k)| (k[b], DocId::from_index(d).expect("BUG: doc id past u32").0))
                .collect();
            column.sort_unstable();
            let buckets: Vec<&[(u64, u32)]> = column.chunk_by(|x, y| x.0 == y.0).collect();
            let band_rows: Vec<usize> = (b * params.rows..(b + 1) * params.rows).collect();
            let free: Vec<usize> = (0..num_perm).filter(|p| !band_rows.contains(p)).collect();
            buckets
                .into_par_iter()
                .flat_map_iter(|bucket| {
                    let mut out = Vec::new();
                    if bucket.len() <= FULL_BUCKET {
                        all_pairs(bucket.iter().map(|x| x.1), &mut out);
                    } else {
                        let members: Vec<u32> = bucket.iter().map(|x| x.1).collect();
                        let n = large_bucket(&members, &free, split, large, &mut out);
                        splits.fetch_add(n, std::sync::atomic::Ordering::Relaxed);
                    }
                    out
                })
                .collect::<Vec<u64>>()
        })
        .collect();
    pairs.par_sort_unstable();
    pairs.dedup();
    Candidates {
        pairs: pairs.into_iter().map(|p| (DocId((p >> 32) as u32), DocId(p as u32))).collect(),
        splits: splits.into_inner(),
    }
}

/// The result of [`candidates`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidates {
    /// Pairs `(a, b)`, `a < b`, sorted and unique.
    pub pairs: Vec<(DocId, DocId)>,
    /// Large buckets (and parts) that were split by sub-bands.
    pub splits: u64,
}

#[inline]
fn pair(a: u32, b: u32) -> u64 {
    let (a, b) = if a < b { (a, b) } else { (b, a) };
    (u64::from(a) << 32) | u64::from(b)
}

fn all_pairs(members: impl Iterator<Item = u32> + Clone, out: &mut Vec<u64>) {
    let mut rest = members;
    while let Some(a) = rest.next() {
        out.extend(rest.clone().map(|b| pair(a, b)));
    }
}

/// A bucket of more than [`FULL_BUCKET`] members (see [`BucketSplit`]).
/// `free` are the signature positions the members do not all share yet.
/// Returns how many times it split.
fn large_bucket<S, F>(
    members: &[u32],
    free: &[usize],
    split: Option<BucketSplit>,
    large: &LargeBuckets<'_, S, F>,
    out: &mut Vec<u64>,
) -> u64
where
    S: AsRef<[u32]> + Sync,
    F: Fn(DocId, DocId) -> bool + Sync,
{
    // Collapse equal content: (content, doc) order puts the smallest id of
    // each content first.
    let mut by_content: Vec<(u64, u32)> =
        members.iter().map(|&d| (large.content[d as usize], d)).collect();
    by_content.sort_unstable();
    let mut distinct: Vec<u32> = Vec::new();
    for same in by_content.chunk_by(|x, y| x.0 == y.0) {
        let first = same[0].1;
        out.extend(same[1..].iter().map(|x| pair(first, x.1)));
        distinct.push(first);
    }
    split_or_compare(&distinct, free, split, large, out)
}

/// Distinct members, in content order: compared directly or split further.
/// Returns how many times it split.
fn split_or_compare<S, F>(
    distinct: &[u32],
    free: &[usize],
    split: Option<BucketSplit>,
    large: &LargeBuckets<'_, S, F>,
    out: &mut Vec<u64>,
) -> u64
where
    S: AsRef<[u32]> + Sync,
    F: Fn(DocId, DocId) -> bool + Sync,
{
    let compare = |out: &mut Vec<u64>| {
        for (i, &a) in distinct.iter().enumerate() {
            for &b in &distinct[i + 1..] {
                if (large.relevant)(DocId(a.min(b)), DocId(a.max(b))) {
                    out.push(pair(a, b));
                }
            }
        }
        0
    };
    let Some(s) =
        split.filter(|s| distinct.len() > ALL_PAIRS && s.sub_rows * s.sub_bands <= free.len())
    else {
        return compare(out);
    };
    let sig = |d: u32| large.signatures[d as usize].as_ref();
    let m = distinct.len() as u64;
    let mut parts: Vec<(Vec<u32>, Vec<usize>)> = Vec::new();
    let mut work = 0u64;
    for j in 0..s.sub_bands {
        let rows = &free[j * s.sub_rows..(j + 1) * s.sub_rows];
        let mut keyed: Vec<(u64, u32)> = distinct
            .iter()
            .map(|&d| {
                let sg = sig(d);
                let mut h = 0xcbf2_9ce4_8422_2325u64;
                for &p in rows {
                    h = crate::shingle::fmix64(h ^ u64::from(sg[p]));
                }
                (h, d)
            })
            .collect();
        keyed.sort_unstable_by_key(|&(h, d)| (h, large.content[d as usize]));
        let rest: Vec<usize> = free.iter().copied().filter(|p| !rows.contains(p)).collect();
        for part in keyed.chunk_by(|x, y| x.0 == y.0).filter(|p| p.len() > 1) {
            let n = part.len() as u64;
            work += n * n;
            parts.push((part.iter().map(|x| x.1).collect(), rest.clone()));
        }
    }
    if 2 * work >= m * m {
        return compare(out);
    }
    let mut splits = 1;
    for (part, rest) in parts {
        splits += split_or_compare(&part, &rest, split, large, out);
    }
    splits
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_choice_meets_the_s_curve_targets() {
        let p = LshParams::optimal(0.8, 128);
        assert!(p.bands * p.rows <= 128);
        // Independent check of the S-curve: 1 - (1 - s^r)^b by hand.
        let direct = |s: f64| 1.0 - (1.0 - s.powi(p.rows as i32)).powi(p.bands as i32);
        assert!((direct(0.9) - p.candidate_probability(0.9)).abs() < 1e-12);
        assert!(p.candidate_probability(0.9) > 0.99, "{p:?}");
        assert!(p.candidate_probability(0.5) < 0.05, "{p:?}");
        assert_eq!(p, LshParams { bands: 12, rows: 10 });
    }

    #[test]
    fn higher_threshold_means_more_rows() {
        let lo = LshParams::optimal(0.5, 128);
        let hi = LshParams::optimal(0.95, 128);
        assert!(lo.rows < hi.rows, "{lo:?} {hi:?}");
    }

    use crate::minhash::{MinHasher, Signature, Variant, jaccard_estimate};
    use crate::shingle::fmix64;

    /// Naive twin: every pair that shares any band key, kept if `relevant`.
    fn naive(
        keys: &[Box<[u64]>],
        bands: usize,
        relevant: impl Fn(DocId, DocId) -> bool,
    ) -> Vec<(DocId, DocId)> {
        let mut out = Vec::new();
        for a in 0..keys.len() {
            for b in a + 1..keys.len() {
                let (da, db) = (DocId(a as u32), DocId(b as u32));
                if (0..bands).any(|i| keys[a][i] == keys[b][i]) && relevant(da, db) {
                    out.push((da, db));
                }
            }
        }
        out
    }

    fn keys_of(sigs: &[Signature], p: &LshParams) -> Vec<Box<[u64]>> {
        sigs.iter()
            .map(|s| {
                let mut k = Vec::new();
                p.band_keys(s, &mut k);
                k.into_boxed_slice()
            })
            .collect()
    }

    fn content_of(sigs: &[Signature]) -> Vec<u64> {
        sigs.iter().map(|s| s.iter().fold(7u64, |h, &v| fmix64(h ^ u64::from(v)))).collect()
    }

    /// Runs the fast path with relevance "estimate ≥ t" and returns its
    /// relevant pairs (small buckets give all theirs: filtered here too).
    fn fast(sigs: &[Signature], p: &LshParams, t: f64) -> (Vec<(DocId, DocId)>, u64) {
        let content = content_of(sigs);
        let rel = |a: DocId, b: DocId| jaccard_estimate(&sigs[a.index()], &sigs[b.index()]) >= t;
        let large =
            LargeBuckets { signatures: sigs, content: &content, relevant: rel, threshold: t };
        let c = candidates(&keys_of(sigs, p), p, &large);
        (c.pairs.into_iter().filter(|&(a, b)| rel(a, b)).collect(), c.splits)
    }

    fn naive_relevant(sigs: &[Signature], p: &LshParams, t: f64) -> Vec<(DocId, DocId)> {
        naive(&keys_of(sigs, p), p.bands, |a, b| {
            jaccard_estimate(&sigs[a.index()], &sigs[b.index()]) >= t
        })
    }

    /// A set of `n` distinct element hashes from stream `tag`.
    fn elems(tag: u64, n: u64) -> impl Iterator<Item = u64> {
        (0..n).map(move |i| fmix64(tag.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ i))
    }

    /// Template pages (Jaccard about 0.74 to each other) and true pairs
    /// (about 0.84) that all share the template's shingles, in a shuffled
    /// order.
    fn template_collection(pages: u64, pairs: u64, order_seed: u64) -> Vec<Signature> {
        let h = MinHasher::new(128, 0, Variant::OnePermutation);
        let template: Vec<u64> = elems(1, 370).collect();
        let mut sets: Vec<Vec<u64>> = Vec::new();
        for i in 0..pages {
            sets.push(template.iter().copied().chain(elems(1000 + i, 65)).collect());
        }
        for i in 0..pairs {
            let shared: Vec<u64> = elems(100_000 + i, 60).collect();
            for side in 0..2 {
                let own = elems(200_000 + 2 * i + side, 41);
                sets.push(template.iter().chain(&shared).copied().chain(own).collect());
            }
        }
        // Deterministic shuffle.
        let mut order: Vec<usize> = (0..sets.len()).collect();
        order.sort_by_key(|&i| fmix64(i as u64 ^ order_seed.wrapping_mul(31)));
        order.iter().map(|&i| h.sign(&sets[i])).collect()
    }

    #[test]
    fn template_pages_give_the_naive_pairs_in_large_buckets() {
        let p = LshParams::optimal(0.8, 128);
        let sigs = template_collection(300, 100, 1);
        let keys = keys_of(&sigs, &p);
        // The large-bucket branch is reached.
        let largest = (0..p.bands)
            .map(|b| {
                let mut col: Vec<u64> = keys.iter().map(|k| k[b]).collect();
                col.sort_unstable();
                col.chunk_by(|x, y| x == y).map(<[u64]>::len).max().unwrap_or(0)
            })
            .max()
            .unwrap();
        assert!(largest > FULL_BUCKET, "largest bucket {largest}");
        let (got, _) = fast(&sigs, &p, 0.8);
        assert_eq!(got, naive_relevant(&sigs, &p, 0.8));
        // And the relevant pairs include most true pairs (the S-curve at
        // 0.84 promises about 90 of 100; the estimate decides, so count
        // pairs the naive twin finds too).
        assert!(got.len() >= 80, "{}", got.len());
    }

    #[test]
    fn large_buckets_of_unrelated_documents_split_and_keep_the_naive_pairs() {
        // 600 documents that agree on band 0 (a shared header) and are
        // otherwise random, with 40 planted pairs at about 0.9.
        let p = LshParams::optimal(0.8, 128);
        let mut sigs: Vec<Vec<u32>> = (0..600u64)
            .map(|d| {
                (0..128u64)
                    .map(|i| if i < p.rows as u64 { 1 } else { fmix64(d << 8 | i) as u32 })
                    .collect()
            })
            .collect();
        for i in 0..40usize {
            let (a, b) = (i * 7, 599 - i * 5);
            let from = sigs[a].clone();
            for (pos, v) in sigs[b].iter_mut().enumerate().skip(p.rows) {
                if fmix64((i * 1000 + pos) as u64) % 10 != 0 {
                    *v = from[pos];
                }
            }
        }
        let sigs: Vec<Signature> = sigs.into_iter().map(Vec::into_boxed_slice).collect();
        let (got, splits) = fast(&sigs, &p, 0.8);
        assert!(splits > 0, "the split branch was not reached");
        let want = naive_relevant(&sigs, &p, 0.8);
        assert_eq!(want.len(), 40);
        assert_eq!(got, want);
    }

    #[test]
    fn a_bucket_of_copies_is_linear_and_connected() {
        // 5,000 copies of one signature and 3 distinct documents that share
        // band 0 with them.
        let p = LshParams { bands: 4, rows: 8 };
        let copy: Signature = (0..32u32).collect::<Vec<_>>().into_boxed_slice();
        let mut sigs: Vec<Signature> = vec![copy.clone(); 5000];
        for d in 0..3u32 {
            let mut s = copy.to_vec();
            for v in &mut s[8..] {
                *v += 1000 * (d + 1);
            }
            sigs.insert(1000 * d as usize, s.into_boxed_slice());
        }
        let (got, _) = fast(&sigs, &p, 0.8);
        // Every copy is joined to the first copy, nothing else is relevant.
        assert_eq!(got.len(), 4999);
        let copies: Vec<u32> =
            (0..sigs.len() as u32).filter(|&d| sigs[d as usize] == copy).collect();
        assert!(got.iter().all(|&(a, b)| a.0 == copies[0] && copies.contains(&b.0)));
    }

    #[test]
    fn candidates_do_not_depend_on_input_order() {
        let p = LshParams::optimal(0.8, 128);
        let base = template_collection(200, 60, 1);
        let content = content_of(&base);
        for seed in [2u64, 3, 4] {
            let shuffled = template_collection(200, 60, seed);
            // Map the shuffled documents back by content.
            let back: Vec<u32> = content_of(&shuffled)
                .iter()
                .map(|c| content.iter().position(|x| x == c).unwrap() as u32)
                .collect();
            let mut mapped: Vec<(u32, u32)> = fast(&shuffled, &p, 0.8)
                .0
                .iter()
                .map(|&(a, b)| {
                    let (x, y) = (back[a.index()], back[b.index()]);
                    (x.min(y), x.max(y))
                })
                .collect();
            mapped.sort_unstable();
            let want: Vec<(u32, u32)> =
                fast(&base, &p, 0.8).0.iter().map(|&(a, b)| (a.0, b.0)).collect();
            assert_eq!(mapped, want, "seed {seed}");
        }
    }

    #[test]
    fn split_keeps_pairs_at_the_threshold() {
        let s = BucketSplit::new(0.8, 118).unwrap();
        assert!(s.sub_rows * s.sub_bands <= 118);
        assert!(s.keep_probability(0.8) >= 1.0 - MISS_PER_LEVEL);
        // The next more selective choice would not fit.
        let more = s.sub_rows + 1;
        let p = 0.8f64.powi(more as i32);
        let bands = (MISS_PER_LEVEL.ln() / (1.0 - p).ln()).ceil() as usize;
        assert!(more * bands > 118);
        assert_eq!(BucketSplit::new(0.8, 0), None);
    }

    mod props {
        use super::*;
        use proptest::prelude::*;

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(64))]
            /// Buckets within FULL_BUCKET: sorting finds exactly the naive pairs.
            #[test]
            fn sorted_candidates_equal_naive(
                keys in prop::collection::vec(prop::collection::vec(0u64..6, 3), 0..30)
            ) {
                let keys: Vec<Box<[u64]>> = keys.into_iter().map(Vec::into_boxed_slice).collect();
                let sigs: Vec<Signature> = vec![vec![0u32; 3].into_boxed_slice(); keys.len()];
                let content: Vec<u64> = (0..keys.len() as u64).collect();
                let large = LargeBuckets {
                    signatures: &sigs,
                    content: &content,
                    relevant: |_, _| true,
                    threshold: 0.8,
                };
                let p = LshParams { bands: 3, rows: 1 };
                prop_assert_eq!(candidates(&keys, &p, &large).pairs, naive(&keys, 3, |_, _| true));
            }
        }
    }
}
