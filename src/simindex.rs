//! Near-neighbour search over 64-bit SimHash fingerprints by Hamming
//! distance, with permuted block tables (Manku, Jain & Das Sarma 2007).
//!
//! The 64 bits are cut into `m > k` blocks. If two fingerprints differ in at
//! most `k` bits, at least `m − k` blocks are identical (pigeonhole). So for
//! every choice of `m − k` blocks (C(m, k) tables) the fingerprints are
//! sorted by those blocks, moved to the front; pairs within `k` bits are
//! guaranteed to share the leading key in at least one table. Runs of equal
//! keys are candidates, verified by `popcount(a ^ b) ≤ k`. Each table is
//! built with a parallel sort; tables are built one at a time, so memory is
//! one table (12 bytes per document) plus the pairs found.
//!
//! Identical fingerprints are first collapsed (joined to the first document
//! with that fingerprint), so mass duplicates cost linear, not quadratic,
//! time. A run of up to [`FULL_RUN`] distinct fingerprints gives all its
//! near pairs; a larger one (templated pages) gives a spanning forest of its
//! near pairs, at most one edge per member, so the edges are bounded by
//! `documents × tables` while the connected components stay exactly those of
//! all near pairs. Tests check both branches against a brute-force scan.

use rayon::prelude::*;

use crate::ids::DocId;
use crate::simhash::hamming;

/// Parameters of the block tables.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SimIndexParams {
    /// Largest Hamming distance searched.
    pub k: u32,
    /// Number of blocks the 64 bits are cut into (`k < m ≤ 64`).
    pub blocks: u32,
}

impl SimIndexParams {
    /// `k` with `k + 3` blocks (3-block keys of about 3·64/m bits; for k = 3,
    /// 6 blocks and C(6, 3) = 20 tables with 32-bit keys).
    pub fn new(k: u32) -> SimIndexParams {
        SimIndexParams { k, blocks: (k + 3).min(64) }
    }

    /// Number of tables: C(blocks, k).
    pub fn tables(&self) -> u64 {
        let (m, k) = (u64::from(self.blocks), u64::from(self.k));
        (0..k).fold(1u64, |acc, i| acc * (m - i) / (i + 1))
    }

    /// Bit masks of the blocks, most significant first.
    fn block_masks(&self) -> Vec<u64> {
        let m = self.blocks as usize;
        let mut masks = Vec::with_capacity(m);
        let mut hi = 64u32;
        for b in 0..m {
            // Spread 64 bits as evenly as possible.
            let width = (64 / m + usize::from(b < 64 % m)) as u32;
            let lo = hi - width;
            let mask = if width == 64 { u64::MAX } else { ((1u64 << width) - 1) << lo };
            masks.push(mask);
            hi = lo;
        }
        masks
    }
}

/// All choices of `r` of `0..m`, in lexicographic order.
fn combinations(m: usize, r: usize) -> Vec<Vec<usize>> {
    let mut out = Vec::new();
    let mut cur = Vec::with_capacity(r);
    fn go(start: usize, m: usize, r: usize, cur: &mut Vec<usize>, out: &mut Vec<Vec<usize>>) {
        if cur.len() == r {
            out.push(cur.clone());
            return;
        }
        for i in start..m {
            cur.push(i);
            go(i + 1, m, r, cur, out);
            cur.pop();
        }
    }
    go(0, m, r, &mut cur, &mut out);
    out
}

/// Gathers the bits of `fp` under the chosen blocks into a key, keeping
/// their order (the leading bits of the permuted fingerprint).
#[inline]
fn key(fp: u64, masks: &[u64]) -> u64 {
    masks.iter().fold(0u64, |k, &m| {
        let width = m.count_ones();
        let part = (fp & m) >> m.trailing_zeros();
        if width == 64 { part } else { (k << width) | part }
    })
}

/// Runs of a table up to this size give every near pair they hold.
pub const FULL_RUN: usize = 32;

/// The near pairs of a run larger than [`FULL_RUN`], bounded: a spanning
/// forest of the run's near-pair graph. Members are taken in fingerprint
/// order; a pair is tested only if its two members are not yet connected,
/// and emitted (verified: within `k` bits) if the test joins them. So at
/// most `m − 1` edges leave a run of `m`, and the components they give are
/// exactly those of all the run's near pairs. The tests cost at most
/// m(m−1)/2 popcounts (when no two members are near), far fewer when most
/// are.
fn spanning_edges(run: &[(u64, u32)], unique: &[u64], k: u32, out: &mut Vec<u64>) {
    let mut members: Vec<u32> = run.iter().map(|x| x.1).collect();
    members.sort_unstable(); // indices into `unique`: fingerprint order
    let mut uf = crate::cluster::UnionFind::new(members.len());
    for i in 0..members.len() {
        for j in i + 1..members.len() {
            let (x, y) = (members[i], members[j]);
            if uf.find(i as u32) != uf.find(j as u32)
                && hamming(unique[x as usize], unique[y as usize]) <= k
            {
                uf.union(i as u32, j as u32);
                out.push(pack(x, y));
            }
        }
    }
}

/// Pairs of DISTINCT fingerprints in `unique` (sorted, no repeats) that
/// differ in at most `p.k` bits, as `(i, j, distance)` indices into
/// `unique` with `i < j`, sorted. Every pair of a table run of up to
/// [`FULL_RUN`] fingerprints is found; larger runs (templated pages) give a
/// spanning forest of their near pairs instead, so the output is at most
/// one edge per fingerprint per table, and the connected components are
/// exactly those of all near pairs (a property test checks both against a
/// brute-force scan).
pub fn near_fingerprint_pairs(unique: &[u64], p: &SimIndexParams) -> Vec<(u32, u32, u32)> {
    assert!(p.k < p.blocks && p.blocks <= 64, "BUG: unchecked simindex params {p:?}");
    debug_assert!(unique.windows(2).all(|w| w[0] < w[1]));
    let masks = p.block_masks();
    let key_blocks = (p.blocks - p.k) as usize;
    let mut pairs: Vec<u64> = Vec::new();
    for choice in combinations(p.blocks as usize, key_blocks) {
        let chosen: Vec<u64> = choice.iter().map(|&i| masks[i]).collect();
        let mut table: Vec<(u64, u32)> =
            unique.par_iter().enumerate().map(|(i, &fp)| (key(fp, &chosen), i as u32)).collect();
        table.par_sort_unstable();
        let runs: Vec<&[(u64, u32)]> =
            table.chunk_by(|x, y| x.0 == y.0).filter(|r| r.len() > 1).collect();
        let found: Vec<u64> = runs
            .par_iter()
            .flat_map_iter(|run| {
                let mut out = Vec::new();
                if run.len() <= FULL_RUN {
                    for i in 0..run.len() {
                        for j in i + 1..run.len() {
                            let (x, y) = (run[i].1, run[j].1);
                            if hamming(unique[x as usize], unique[y as usize]) <= p.k {
                                out.push(pack(x, y));
                            }
                        }
                    }
                } else {
                    spanning_edges(run, unique, p.k, &mut out);
                }
                out
            })
            .collect();
        pairs.extend(found);
    }
    pairs.par_sort_unstable();
    pairs.dedup();
    pairs
        .into_iter()
        .map(|p| {
            let (a, b) = ((p >> 32) as u32, p as u32);
            (a, b, hamming(unique[a as usize], unique[b as usize]))
        })
        .collect()
}

/// Edges joining documents whose fingerprints (`fps[doc]`) differ in at
/// most `p.k` bits, as `(a, b, distance)` with `a < b`, sorted: documents
/// with identical fingerprints are joined to the first of them (a star, so
/// mass duplicates cost linear time), and each near pair of distinct
/// fingerprints joins the first documents of the two. The connected
/// components are exactly those of all near pairs.
pub fn near_pairs(fps: &[u64], p: &SimIndexParams) -> Vec<(DocId, DocId, u32)> {
    let mut by_fp: Vec<(u64, u32)> = fps.iter().enumerate().map(|(d, &f)| (f, d as u32)).collect();
    by_fp.par_sort_unstable();
    let groups: Vec<&[(u64, u32)]> = by_fp.chunk_by(|x, y| x.0 == y.0).collect();
    let unique: Vec<u64> = groups.iter().map(|g| g[0].0).collect();
    let mut edges: Vec<(DocId, DocId, u32)> = Vec::new();
    for g in &groups {
        edges.extend(g[1..].iter().map(|x| (DocId(g[0].1), DocId(x.1), 0)));
    }
    for (i, j, d) in near_fingerprint_pairs(&unique, p) {
        let (a, b) = (groups[i as usize][0].1, groups[j as usize][0].1);
        edges.push((DocId(a.min(b)), DocId(a.max(b)), d));
    }
    edges.par_sort_unstable();
    edges
}

#[inline]
fn pack(a: u32, b: u32) -> u64 {
    let (a, b) = if a < b { (a, b) } else { (b, a) };
    (u64::from(a) << 32) | u64::from(b)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Naive twin: every pair.
    fn brute(fps: &[u64], k: u32) -> Vec<(u32, u32, u32)> {
        let mut out = Vec::new();
        for a in 0..fps.len() {
            for b in a + 1..fps.len() {
                let d = hamming(fps[a], fps[b]);
                if d <= k {
                    out.push((a as u32, b as u32, d));
                }
            }
        }
        out
    }

    #[test]
    fn table_count_and_masks() {
        let p = SimIndexParams::new(3);
        assert_eq!((p.blocks, p.tables()), (6, 20));
        let masks = p.block_masks();
        assert_eq!(masks.iter().fold(0, |a, m| a | m), u64::MAX);
        assert_eq!(masks.iter().map(|m| m.count_ones()).sum::<u32>(), 64);
    }

    /// Flips `n` distinct bits chosen by `seed`.
    fn flip(fp: u64, n: u32, seed: u64) -> u64 {
        let mut out = fp;
        let mut s = seed;
        let mut flipped = 0;
        while flipped < n {
            s = crate::hash::fmix64(s.wrapping_add(1));
            let bit = 1u64 << (s % 64);
            if (out ^ fp) & bit == 0 {
                out ^= bit;
                flipped += 1;
            }
        }
        out
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(32))]
        /// Random fingerprints plus neighbours at distance exactly k and k+1
        /// (and exact copies): the tables find exactly the brute-force pairs.
        #[test]
        fn exact_against_brute_force(
            base in prop::collection::vec(any::<u64>(), 1..40),
            k in 0u32..6,
            seed in any::<u64>(),
        ) {
            let mut fps = base.clone();
            for (i, &b) in base.iter().enumerate() {
                fps.push(flip(b, k, seed ^ i as u64));
                fps.push(flip(b, k + 1, seed ^ (i as u64) << 8));
                if i % 3 == 0 {
                    fps.push(b);
                }
            }
            let p = SimIndexParams::new(k);
            let mut unique = fps.clone();
            unique.sort_unstable();
            unique.dedup();
            prop_assert_eq!(near_fingerprint_pairs(&unique, &p), brute(&unique, k));
            // Document edges give the components of all near pairs.
            let edges = near_pairs(&fps, &p);
            let all: Vec<(DocId, DocId)> =
                brute(&fps, k).into_iter().map(|(a, b, _)| (DocId(a), DocId(b))).collect();
            prop_assert_eq!(
                crate::cluster::components(fps.len(), edges.iter().map(|e| (e.0, e.1))),
                crate::cluster::components(fps.len(), all)
            );
        }
    }

    #[test]
    fn large_runs_give_a_bounded_forest_with_the_brute_force_components() {
        // 2,000 templated pages: fingerprints within a few bits of one of
        // four templates, so table runs hold hundreds of members.
        let k = 3;
        let p = SimIndexParams::new(k);
        let templates = [0u64, u64::MAX, 0x0F0F_0F0F_0F0F_0F0F, 0x00FF_00FF_00FF_00FF];
        let fps: Vec<u64> =
            (0..2000u64).map(|i| flip(templates[(i % 4) as usize], (i % 5) as u32, i)).collect();
        let mut unique = fps.clone();
        unique.sort_unstable();
        unique.dedup();
        let fast = near_fingerprint_pairs(&unique, &p);
        let all = brute(&unique, k);
        // The capped branch is reached: all near pairs would be far more
        // than one edge per fingerprint per table.
        assert!(all.len() as u64 > unique.len() as u64 * p.tables(), "{}", all.len());
        assert!(fast.len() as u64 <= unique.len() as u64 * p.tables(), "{}", fast.len());
        // Every edge is a verified near pair, with its distance.
        for e in &fast {
            assert!(all.binary_search(e).is_ok(), "{e:?}");
        }
        let comps = |pairs: &[(u32, u32, u32)]| {
            crate::cluster::components(
                unique.len(),
                pairs.iter().map(|&(a, b, _)| (DocId(a), DocId(b))),
            )
        };
        assert_eq!(comps(&fast), comps(&all));
        // Input order does not matter: the same edges between documents.
        let edges = near_pairs(&fps, &p);
        let mut rev = fps.clone();
        rev.reverse();
        let n = fps.len() as u32;
        let mut back: Vec<(u32, u32, u32)> = near_pairs(&rev, &p)
            .iter()
            .map(|&(a, b, d)| {
                let (x, y) = (n - 1 - a.0, n - 1 - b.0);
                (x.min(y), x.max(y), d)
            })
            .collect();
        back.sort_unstable();
        let same = |e: &[(DocId, DocId, u32)]| {
            crate::cluster::components(fps.len(), e.iter().map(|x| (x.0, x.1)))
        };
        let back_docs: Vec<(DocId, DocId, u32)> =
            back.iter().map(|&(a, b, d)| (DocId(a), DocId(b), d)).collect();
        assert_eq!(same(&back_docs), same(&edges));
    }

    #[test]
    fn many_identical_fingerprints_stay_linear() {
        let fps = vec![42u64; 5000];
        let pairs = near_pairs(&fps, &SimIndexParams::new(3));
        assert_eq!(pairs.len(), 4999);
    }
}
