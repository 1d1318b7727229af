//! Near-neighbour search over 64-bit SimHash fingerprints by Hamming
//! distance, with multi-index hashing (Norouzi, Punjani & Fleet 2012).
//!
//! The 64 bits are cut into `m` substrings. If two fingerprints differ in
//! at most `k = s·m + a` bits (`0 ≤ a < m`), then one of the first `a + 1`
//! substrings differs in at most `s` bits, or one of the others in at most
//! `s − 1` (pigeonhole: otherwise they would differ in at least
//! `(a + 1)(s + 1) + (m − a − 1)s = k + 1` bits). So each substring with a
//! radius `r ≥ 0` gets one table: the fingerprints bucketed by that
//! substring (a counting sort over `2^width` keys), and every pair of
//! buckets whose keys differ in at most `r` bits is a candidate; candidates
//! are verified by `popcount(a ^ b) ≤ k`. Key neighbours are enumerated by
//! flipping bits, each unordered pair of buckets once. Tables are built one
//! at a time: memory is one table (28 bytes per fingerprint: itself, its
//! index, its count of near neighbours, its bucket's key, room for one
//! near pair; and 4 bytes per key) and the pairs found.
//!
//! `m` is chosen from `k` and the number of fingerprints `n` by a cost
//! model ([`SimIndexParams::new`]): short substrings make many candidates
//! per probe (`n / 2^width`), long ones many probes (the keys within `r`
//! bits); the cheapest of `m = 3 ..= max(k + 1, 4)` is taken (at a million
//! fingerprints four substrings of 16 bits for most `k`, at ten million
//! three of 21–22 bits). With `m > k + 1` only `k + 1` substrings are
//! searched, at radius 0.
//!
//! Identical fingerprints are first collapsed (joined to the first document
//! with that fingerprint), so mass duplicates cost linear, not quadratic,
//! time. Each table first counts every fingerprint's near neighbours among
//! its candidates there. A fingerprint with at most [`FULL_RUN`] of them
//! gives all its near pairs with other such fingerprints; the pairs of the
//! others (templated pages, thousands within a few bits of each other)
//! become one spanning forest per table, at most one edge per fingerprint.
//! So the edges are bounded by `(FULL_RUN / 2 + 1)` per fingerprint per
//! table, while the connected components stay exactly those of all near
//! pairs. The output is sorted, so it does not depend on the thread count.
//! Tests check both branches against a brute-force scan.
//!
//! Leader clustering reaches a document only through members near the
//! leader, so over a forest it could miss some. With a keep priority
//! ([`near_pairs`]' `rank`), when a forest was made the leaders are worked
//! out here over all near pairs (every table built at once, each leader
//! near a forest querying them) and each leader gets an edge to every
//! member it takes: at most one more edge per fingerprint, and leader
//! clustering over the edges gives exactly the clusters of all near pairs
//! (a property test checks it against the naive twin).

use std::sync::atomic::{AtomicBool, AtomicU32, AtomicUsize, Ordering};

use rayon::prelude::*;

use crate::cluster::UnionFind;
use crate::ids::DocId;
use crate::simhash::hamming;

/// Largest Hamming distance the index searches.
pub const MAX_K: u32 = 16;

/// Fewest and most substrings: at least 3 keeps a key at 22 bits or less
/// (a directly addressed table of 4 M keys), at most 21 keeps it at 3 bits
/// or more.
const SUBSTRINGS: std::ops::RangeInclusive<u32> = 3..=21;

/// A fingerprint with up to this many near neighbours among a table's
/// candidates gives all its near pairs there (with others of as few).
pub const FULL_RUN: usize = 32;

/// Parameters of the index.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SimIndexParams {
    /// Largest Hamming distance searched (at most [`MAX_K`]).
    pub k: u32,
    /// Number of substrings the 64 bits are cut into (3 to 21).
    pub substrings: u32,
}

/// One substring: bits `shift .. shift + width`, searched within `radius`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Substring {
    shift: u32,
    width: u32,
    radius: u32,
}

impl SimIndexParams {
    /// `k` with the number of substrings the cost model finds cheapest for
    /// `n` fingerprints (see the module doc), in candidate tests: per
    /// searched substring of `width` bits and radius `r`, with `V` keys
    /// within `r` bits of a key, `n² · V / 2^(width+1)` candidate pairs,
    /// `buckets · (V − 1) / 2` probes of other buckets at 6 tests each, and
    /// `2 (n + 2^width)` to build the table. The weights were fitted to
    /// runs on 100k and 1M random fingerprints (k = 3 to 16, m = 3 to 6;
    /// 1 to 2 ns a test on 2 cores, a probe of a table of 4 M keys misses
    /// the cache).
    pub fn new(k: u32, n: usize) -> SimIndexParams {
        // More than k + 1 substrings leave some unsearched; 4 of them keep
        // the tables of k ≤ 2 at 16 bits for small inputs.
        let most = (k + 1).max(4).min(*SUBSTRINGS.end());
        let cheapest = (*SUBSTRINGS.start()..=most)
            .map(|m| SimIndexParams { k, substrings: m })
            .min_by(|a, b| a.cost(n).total_cmp(&b.cost(n)))
            .expect("BUG: no substring count");
        debug_assert!(cheapest.valid());
        cheapest
    }

    /// `k` with `substrings` substrings (3 to 21), for tests and benches.
    pub fn with_substrings(k: u32, substrings: u32) -> SimIndexParams {
        let p = SimIndexParams { k, substrings };
        assert!(p.valid(), "BUG: unsupported simindex params {p:?}");
        p
    }

    fn valid(&self) -> bool {
        self.k <= MAX_K && SUBSTRINGS.contains(&self.substrings)
    }

    /// Number of tables: the substrings searched (`min(m, k + 1)`).
    pub fn tables(&self) -> u64 {
        self.plan().len() as u64
    }

    /// Bytes of the largest table for `n` fingerprints: each fingerprint
    /// and its index in key order (12 bytes), its count of near neighbours
    /// (4), the keys of nonempty buckets (at most 4) and room for one near
    /// pair (8), and the bucket offsets (4 bytes per key).
    pub fn table_bytes(&self, n: usize) -> u64 {
        let width = self.plan().iter().map(|s| s.width).max().unwrap_or(0);
        28 * n as u64 + 4 * ((1u64 << width) + 1)
    }

    /// The substrings searched, most significant first: widths as even as
    /// possible, radius `s` for the first `a + 1` and `s − 1` for the rest
    /// (`k = s·m + a`; those with radius −1 are left out).
    fn plan(&self) -> Vec<Substring> {
        let m = self.substrings;
        let (s, a) = (self.k / m, self.k % m);
        let mut out = Vec::with_capacity(m as usize);
        let mut hi = 64u32;
        for i in 0..m {
            let width = 64 / m + u32::from(i < 64 % m);
            let shift = hi - width;
            hi = shift;
            let radius = if i <= a { Some(s) } else { s.checked_sub(1) };
            if let Some(radius) = radius {
                out.push(Substring { shift, width, radius });
            }
        }
        out
    }

    /// The cost model of [`SimIndexParams::new`], in candidate tests.
    fn cost(&self, n: usize) -> f64 {
        let n = n as f64;
        self.plan()
            .iter()
            .map(|s| {
                let keys = 2f64.powi(s.width as i32);
                let buckets = keys * (1.0 - (-n / keys).exp());
                let ball = ball_size(s.width, s.radius);
                n * n * ball / (2.0 * keys) + 3.0 * buckets * (ball - 1.0) + 2.0 * (n + keys)
            })
            .sum()
    }
}

/// Keys within `r` bits of one key of `width` bits: Σ_{j ≤ r} C(width, j).
fn ball_size(width: u32, r: u32) -> f64 {
    let mut term = 1f64;
    let mut sum = 1f64;
    for j in 0..r.min(width) {
        term = term * f64::from(width - j) / f64::from(j + 1);
        sum += term;
    }
    sum
}

/// Calls `f` on every key that differs from `key` (of `width` bits) in 1 to
/// `radius` bits and is larger than it, each once: the highest differing
/// bit is a 0 of `key`, any lower bits may differ too.
fn larger_neighbours(key: u64, width: u32, radius: u32, f: &mut impl FnMut(u64)) {
    fn lower(key: u64, below: u32, budget: u32, f: &mut impl FnMut(u64)) {
        f(key);
        if budget > 0 {
            for bit in 0..below {
                lower(key ^ (1 << bit), bit, budget - 1, f);
            }
        }
    }
    if radius == 0 {
        return;
    }
    for top in 0..width {
        if key >> top & 1 == 0 {
            lower(key | 1 << top, top, radius - 1, f);
        }
    }
}

/// Calls `f` on every key that differs from `key` (of `width` bits) in 1 to
/// `radius` bits, each once.
fn ball(key: u64, width: u32, radius: u32, f: &mut impl FnMut(u64)) {
    fn flips(key: u64, below: u32, budget: u32, f: &mut impl FnMut(u64)) {
        for bit in 0..below {
            let other = key ^ (1 << bit);
            f(other);
            if budget > 1 {
                flips(other, bit, budget - 1, f);
            }
        }
    }
    if radius > 0 {
        flips(key, width, radius, f);
    }
}

/// One substring's table: the fingerprints in key order (a stable counting
/// sort, so fingerprint order within a bucket) with their indices, and the
/// first position of every key (`start[key] .. start[key + 1]` is its
/// bucket).
struct Table {
    fps: Vec<u64>,
    index: Vec<u32>,
    start: Vec<u32>,
}

impl Table {
    fn build(unique: &[u64], sub: Substring) -> Table {
        let mask = (1u64 << sub.width) - 1;
        let key = |fp: u64| ((fp >> sub.shift) & mask) as usize;
        let mut start = vec![0u32; (1usize << sub.width) + 1];
        for &fp in unique {
            start[key(fp) + 1] += 1;
        }
        for i in 1..start.len() {
            start[i] += start[i - 1];
        }
        let mut fps = vec![0u64; unique.len()];
        let mut index = vec![0u32; unique.len()];
        for (i, &fp) in unique.iter().enumerate() {
            let slot = &mut start[key(fp)];
            fps[*slot as usize] = fp;
            index[*slot as usize] = i as u32;
            *slot += 1;
        }
        // Each key's slot now points at the next key's start.
        let keys = start.len() - 1;
        start.copy_within(..keys, 1);
        start[0] = 0;
        Table { fps, index, start }
    }

    fn bucket(&self, key: u64) -> std::ops::Range<usize> {
        self.start[key as usize] as usize..self.start[key as usize + 1] as usize
    }
}

/// Calls `f(i, j)` on every candidate pair of table positions of the
/// bucket `key`: pairs within it, and pairs with the buckets of larger keys
/// within `sub.radius` bits. Over all buckets, every candidate pair of the
/// table once.
fn candidates(t: &Table, sub: Substring, key: u64, f: &mut impl FnMut(usize, usize)) {
    let range = t.bucket(key);
    for i in range.clone() {
        for j in i + 1..range.end {
            f(i, j);
        }
    }
    larger_neighbours(key, sub.width, sub.radius, &mut |other| {
        for j in t.bucket(other) {
            for i in range.clone() {
                f(i, j);
            }
        }
    });
}

/// The verified pairs (packed) one substring's table finds: every near
/// pair of two fingerprints that each have at most [`FULL_RUN`] near
/// neighbours among their candidates in this table, and a spanning forest
/// of the near pairs of the others (see the module doc).
fn search(
    unique: &[u64],
    involved: Option<&[AtomicBool]>,
    sub: Substring,
    k: u32,
    tuning: Tuning,
) -> Vec<u64> {
    let t = Table::build(unique, sub);
    let mask = (1u64 << sub.width) - 1;
    let key = |fp: u64| (fp >> sub.shift) & mask;
    // The keys of the nonempty buckets, in key order.
    let mut nonempty: Vec<u32> = Vec::new();
    let mut pos = 0;
    while pos < t.fps.len() {
        let key = key(t.fps[pos]);
        nonempty.push(key as u32);
        pos = t.bucket(key).end;
    }
    let keys = || nonempty.par_iter().map(|&key| u64::from(key));
    // Near neighbours of every fingerprint among its candidates here; the
    // near pairs themselves too, up to one per fingerprint (so sparse
    // tables need no second pass).
    let budget = tuning.budget.unwrap_or(t.fps.len().max(1024));
    let near = AtomicUsize::new(0);
    let degree: Vec<AtomicU32> = (0..t.fps.len()).map(|_| AtomicU32::new(0)).collect();
    let dense = |i: usize| degree[i].load(Ordering::Relaxed) as usize > FULL_RUN;
    let kept: Vec<(u32, u32)> = keys()
        .flat_map_iter(|key| {
            let mut out = Vec::new();
            let mut found = 0;
            candidates(&t, sub, key, &mut |i, j| {
                if hamming(t.fps[i], t.fps[j]) <= k {
                    found += 1;
                    // Counts past FULL_RUN are not needed (and every count
                    // gets there whatever the order pairs come in).
                    for x in [i, j] {
                        if !dense(x) {
                            degree[x].fetch_add(1, Ordering::Relaxed);
                        }
                    }
                    if near.load(Ordering::Relaxed) + found <= budget {
                        out.push((i as u32, j as u32));
                    }
                }
            });
            near.fetch_add(found, Ordering::Relaxed);
            out
        })
        .collect();
    let degree: Vec<u32> = degree.into_iter().map(AtomicU32::into_inner).collect();
    let sparse = |i: usize| degree[i] as usize <= FULL_RUN;
    let emit = |i: usize, j: usize| pack(t.index[i], t.index[j]);
    // Leader clustering: fingerprints in a pair with a dense one (whose
    // pairs here are not all given) are marked, for `leader_stars`.
    let mark = |x: usize, y: usize| {
        if let Some(inv) = involved {
            inv[t.index[x] as usize].store(true, Ordering::Relaxed);
            inv[t.index[y] as usize].store(true, Ordering::Relaxed);
        }
    };
    if near.into_inner() <= budget {
        // Every near pair is kept: the sparse ones are emitted, the others
        // (in the order found, which does not depend on the threads) make
        // the forest.
        let mut found = Vec::new();
        let mut uf: Option<UnionFind> = None;
        for &(i, j) in &kept {
            let (i, j) = (i as usize, j as usize);
            if sparse(i) && sparse(j) {
                found.push(emit(i, j));
            } else {
                mark(i, j);
                let uf = uf.get_or_insert_with(|| UnionFind::new(t.fps.len()));
                if uf.find(i as u32) != uf.find(j as u32) {
                    uf.union(i as u32, j as u32);
                    found.push(emit(i, j));
                }
            }
        }
        return found;
    }
    drop(kept);
    // The sparse pairs again, from each sparse fingerprint: the later ones
    // of its bucket and those of larger keys (each pair once; buckets of
    // dense fingerprints alone cost nothing).
    let mut found: Vec<u64> = (0..t.fps.len())
        .into_par_iter()
        .filter(|&x| sparse(x))
        .flat_map_iter(|x| {
            let mut out = Vec::new();
            let fx = t.fps[x];
            let mut visit = |range: std::ops::Range<usize>| {
                for y in range {
                    if sparse(y) && hamming(fx, t.fps[y]) <= k {
                        out.push(emit(x, y));
                    }
                }
            };
            let own = key(fx);
            visit(x + 1..t.bucket(own).end);
            larger_neighbours(own, sub.width, sub.radius, &mut |other| visit(t.bucket(other)));
            out
        })
        .collect();
    // The dense ones: a spanning forest of the near pairs with a dense
    // member, each seen from that member, whose candidates are all the
    // buckets within the radius of its key. In parallel: the dense
    // fingerprints in table order are cut into chunks (DENSE_CHUNK), each
    // makes its own forest (a pair is tested only if the chunk has not yet
    // connected its two fingerprints, and kept if the test joins them),
    // and the chunks' forests, in chunk order, make one.
    let dense: Vec<u32> = (0..t.fps.len() as u32).filter(|&x| !sparse(x as usize)).collect();
    let forests: Vec<Vec<(u32, u32)>> = dense
        .par_chunks(tuning.chunk)
        .map_init(
            || LocalUnionFind::new(t.fps.len()),
            |uf, chunk| {
                let mut out = Vec::new();
                for &x in chunk {
                    let fx = t.fps[x as usize];
                    let mut visit = |range: std::ops::Range<usize>| {
                        for y in range.map(|y| y as u32) {
                            if y == x {
                                continue;
                            }
                            if let Some(inv) = involved {
                                // A pair already joined here whose other
                                // fingerprint is marked (by any thread:
                                // marks only grow, and the forest does not
                                // read them) has nothing left to give.
                                let joined = uf.find(x) == uf.find(y);
                                if joined
                                    && inv[t.index[y as usize] as usize].load(Ordering::Relaxed)
                                {
                                    continue;
                                }
                                if hamming(fx, t.fps[y as usize]) > k {
                                    continue;
                                }
                                mark(x as usize, y as usize);
                            } else if uf.find(x) == uf.find(y) || hamming(fx, t.fps[y as usize]) > k
                            {
                                continue;
                            }
                            if uf.find(x) != uf.find(y) {
                                uf.union(x, y);
                                out.push((x, y));
                            }
                        }
                    };
                    let own = key(fx);
                    visit(t.bucket(own));
                    ball(own, sub.width, sub.radius, &mut |other| visit(t.bucket(other)));
                }
                uf.reset();
                out
            },
        )
        .collect();
    if forests.iter().any(|f| !f.is_empty()) {
        let mut uf = UnionFind::new(t.fps.len());
        for &(x, y) in forests.iter().flatten() {
            if uf.find(x) != uf.find(y) {
                uf.union(x, y);
                found.push(emit(x as usize, y as usize));
            }
        }
    }
    found
}

/// Dense fingerprints per chunk of the parallel forest.
const DENSE_CHUNK: usize = 4096;

/// A union-find over `0..n` that is set back to singletons in time
/// proportional to what it joined (for one chunk after another).
struct LocalUnionFind {
    parent: Vec<u32>,
    touched: Vec<u32>,
}

impl LocalUnionFind {
    fn new(n: usize) -> LocalUnionFind {
        LocalUnionFind { parent: (0..n as u32).collect(), touched: Vec::new() }
    }

    fn find(&mut self, mut x: u32) -> u32 {
        while self.parent[x as usize] != x {
            let p = self.parent[x as usize];
            self.parent[x as usize] = self.parent[p as usize];
            x = self.parent[x as usize];
        }
        x
    }

    /// Joins the sets of `a` and `b` (roots differ), the larger root under
    /// the smaller.
    fn union(&mut self, a: u32, b: u32) {
        let (ra, rb) = (self.find(a), self.find(b));
        let (lo, hi) = (ra.min(rb), ra.max(rb));
        self.parent[hi as usize] = lo;
        self.touched.push(hi);
    }

    fn reset(&mut self) {
        for x in self.touched.drain(..) {
            self.parent[x as usize] = x;
        }
    }
}

/// Pairs of DISTINCT fingerprints in `unique` (sorted, no repeats) that
/// differ in at most `p.k` bits, as `(i, j, distance)` indices into
/// `unique` with `i < j`, sorted. Every pair of two fingerprints with at
/// most [`FULL_RUN`] near neighbours in a table is found; the pairs of
/// denser ones (templated pages) make a spanning forest instead, so the
/// connected components are exactly those of all near pairs (a property
/// test checks both against a brute-force scan).
pub fn near_fingerprint_pairs(unique: &[u64], p: &SimIndexParams) -> Vec<(u32, u32, u32)> {
    pairs_tuned(unique, None, p, DEFAULT_TUNING)
}

/// [`near_fingerprint_pairs`] for leader clustering: `rank[i]` is the
/// place of `unique[i]` in keep priority (see [`near_pairs`]). Where a
/// table gave a spanning forest instead of all pairs, leader clustering
/// over the forest could miss members (a leader reaches a document only
/// through members near it), so the leaders are first worked out here, as
/// leader clustering over all near pairs would make them
/// (`leader_stars`), and each gets an edge to every member it takes: with
/// these edges, [`crate::cluster::leaders`] (asking the distance of the
/// pairs it has not seen) gives exactly the clusters of all near pairs.
pub fn near_fingerprint_pairs_ranked(
    unique: &[u64],
    rank: &[u32],
    p: &SimIndexParams,
) -> Vec<(u32, u32, u32)> {
    assert_eq!(rank.len(), unique.len(), "BUG: a rank per fingerprint");
    debug_assert!(unique.windows(2).all(|w| w[0] < w[1]));
    pairs_and_marks(unique, Some(rank), false, p, DEFAULT_TUNING).0
}

/// How [`near_fingerprint_pairs`] works, for the tests: the near pairs of
/// a table kept from its first pass (`None`: one per fingerprint, at least
/// 1024; a table with more makes a second pass), and the dense fingerprints
/// per chunk of the parallel forest.
#[derive(Debug, Clone, Copy)]
struct Tuning {
    budget: Option<usize>,
    chunk: usize,
}

const DEFAULT_TUNING: Tuning = Tuning { budget: None, chunk: DENSE_CHUNK };

/// [`near_fingerprint_pairs`] with `rank` (leader clustering) and `tuning`.
fn pairs_tuned(
    unique: &[u64],
    rank: Option<&[u32]>,
    p: &SimIndexParams,
    tuning: Tuning,
) -> Vec<(u32, u32, u32)> {
    debug_assert!(unique.windows(2).all(|w| w[0] < w[1]));
    pairs_and_marks(unique, rank, false, p, tuning).0
}

/// A near pair `(i, j, distance)` of fingerprint indices, `i < j`.
pub type NearPair = (u32, u32, u32);

/// Near pairs of `fps` for a caller that decides every pair again by
/// another measure (SimHash with exact verification), so it must know
/// which pairs it was not given. `fps` need not be sorted and may repeat
/// values (documents of other content with the same fingerprint).
///
/// Gives the pairs found, `(i, j, distance)` with `i < j`, sorted, and per
/// fingerprint whether it is *marked*: in a near pair with a fingerprint
/// that had more than [`FULL_RUN`] near neighbours among a table's
/// candidates (whose pairs there make a spanning forest). Every near pair
/// that is not among the pairs has both its fingerprints marked, and the
/// connected components of the pairs are those of all near pairs (property
/// tests against brute force).
pub fn near_pairs_marked(fps: &[u64], p: &SimIndexParams) -> (Vec<NearPair>, Vec<bool>) {
    marked_tuned(fps, p, DEFAULT_TUNING)
}

/// [`near_pairs_marked`] with `tuning`.
fn marked_tuned(
    fps: &[u64],
    p: &SimIndexParams,
    tuning: Tuning,
) -> (Vec<(u32, u32, u32)>, Vec<bool>) {
    let (pairs, marks) = pairs_and_marks(fps, None, true, p, tuning);
    (pairs, marks.expect("BUG: marks asked for"))
}

/// The pairs of `unique` (see [`near_fingerprint_pairs`]), with the
/// leaders' edges for `rank`, and with `mark` (or a `rank`) which
/// fingerprints were in a near pair with a dense one.
fn pairs_and_marks(
    unique: &[u64],
    rank: Option<&[u32]>,
    mark: bool,
    p: &SimIndexParams,
    tuning: Tuning,
) -> (Vec<NearPair>, Option<Vec<bool>>) {
    assert!(p.valid(), "BUG: unchecked simindex params {p:?}");
    assert!(u32::try_from(unique.len()).is_ok(), "BUG: more than u32::MAX fingerprints");
    let involved: Option<Vec<AtomicBool>> = (rank.is_some() || mark)
        .then(|| (0..unique.len()).map(|_| AtomicBool::new(false)).collect());
    let mut pairs: Vec<u64> = Vec::new();
    for sub in p.plan() {
        pairs.extend(search(unique, involved.as_deref(), sub, p.k, tuning));
    }
    pairs.par_sort_unstable();
    pairs.dedup();
    let involved: Option<Vec<bool>> =
        involved.map(|i| i.into_iter().map(AtomicBool::into_inner).collect());
    if let (Some(rank), Some(involved)) = (rank, &involved) {
        if involved.iter().any(|&x| x) {
            let mut order: Vec<u32> = (0..unique.len() as u32).collect();
            order.sort_unstable_by_key(|&i| rank[i as usize]);
            let stars = leader_stars(unique, &order, involved, &pairs, p);
            pairs.extend(stars);
            pairs.par_sort_unstable();
            pairs.dedup();
        }
    }
    let pairs = pairs
        .into_iter()
        .map(|p| {
            let (a, b) = ((p >> 32) as u32, p as u32);
            (a, b, hamming(unique[a as usize], unique[b as usize]))
        })
        .collect();
    (pairs, involved)
}

/// The near pairs a leader of `order` (unique indices in keep priority)
/// takes that `pairs` (sorted) may lack: leaders walked in that order, each
/// taking every near fingerprint not yet taken. A fingerprint not
/// `involved` in a forest has all its near pairs in `pairs`, so its takes
/// are read from them; the others query every table (all built at once:
/// 12 bytes per fingerprint and 4 per key each) and get an edge per take.
fn leader_stars(
    unique: &[u64],
    order: &[u32],
    involved: &[bool],
    pairs: &[u64],
    p: &SimIndexParams,
) -> Vec<u64> {
    let n = unique.len();
    // Neighbours of each fingerprint in `pairs`: adj[start[i]..start[i + 1]].
    let mut start = vec![0usize; n + 1];
    for &e in pairs {
        start[(e >> 32) as usize + 1] += 1;
        start[(e as u32) as usize + 1] += 1;
    }
    for i in 0..n {
        start[i + 1] += start[i];
    }
    let mut fill = start.clone();
    let mut adj = vec![0u32; start[n]];
    for &e in pairs {
        let (a, b) = ((e >> 32) as u32, e as u32);
        adj[fill[a as usize]] = b;
        fill[a as usize] += 1;
        adj[fill[b as usize]] = a;
        fill[b as usize] += 1;
    }
    drop(fill);
    let plan = p.plan();
    let tables: Vec<Table> = plan.iter().map(|&sub| Table::build(unique, sub)).collect();
    let mut taken = vec![false; n];
    let mut out = Vec::new();
    for &l in order {
        let l = l as usize;
        if taken[l] {
            continue;
        }
        taken[l] = true;
        if !involved[l] {
            for &y in &adj[start[l]..start[l + 1]] {
                taken[y as usize] = true;
            }
            continue;
        }
        let fl = unique[l];
        for (sub, t) in plan.iter().zip(&tables) {
            let own = (fl >> sub.shift) & ((1u64 << sub.width) - 1);
            let mut visit = |range: std::ops::Range<usize>| {
                for pos in range {
                    let y = t.index[pos] as usize;
                    if !taken[y] && hamming(fl, t.fps[pos]) <= p.k {
                        taken[y] = true;
                        out.push(pack(l as u32, y as u32));
                    }
                }
            };
            visit(t.bucket(own));
            ball(own, sub.width, sub.radius, &mut |other| visit(t.bucket(other)));
        }
    }
    out
}

/// Edges joining documents whose fingerprints (`fps[doc]`) differ in at
/// most `p.k` bits, as `(a, b, distance)` with `a < b`, sorted: documents
/// with identical fingerprints are joined to the first of them (a star, so
/// mass duplicates cost linear time), and each near pair of distinct
/// fingerprints joins the first documents of the two. The connected
/// components are exactly those of all near pairs.
///
/// Leader clustering gives `rank` (each document's place in keep priority,
/// [`crate::cluster::priority`]): "first" is then first in that order, and
/// dense fingerprints' neighbours get an edge to their likely leader (see
/// [`near_fingerprint_pairs_ranked`]).
pub fn near_pairs(
    fps: &[u64],
    rank: Option<&[u32]>,
    p: &SimIndexParams,
) -> Vec<(DocId, DocId, u32)> {
    let mut by_fp: Vec<(u64, u32, u32)> = fps
        .iter()
        .enumerate()
        .map(|(d, &f)| (f, rank.map_or(d as u32, |r| r[d]), d as u32))
        .collect();
    by_fp.par_sort_unstable();
    let groups: Vec<&[(u64, u32, u32)]> = by_fp.chunk_by(|x, y| x.0 == y.0).collect();
    let unique: Vec<u64> = groups.iter().map(|g| g[0].0).collect();
    let mut edges: Vec<(DocId, DocId, u32)> = Vec::new();
    let pair = |a: u32, b: u32, d| (DocId(a.min(b)), DocId(a.max(b)), d);
    for g in &groups {
        edges.extend(g[1..].iter().map(|x| pair(g[0].2, x.2, 0)));
    }
    let near = match rank {
        None => near_fingerprint_pairs(&unique, p),
        Some(_) => {
            let first: Vec<u32> = groups.iter().map(|g| g[0].1).collect();
            near_fingerprint_pairs_ranked(&unique, &first, p)
        }
    };
    for (i, j, d) in near {
        edges.push(pair(groups[i as usize][0].2, groups[j as usize][0].2, d));
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
    fn substrings_cover_the_bits_and_the_pigeonhole() {
        for k in 0..=MAX_K {
            for m in SUBSTRINGS {
                let p = SimIndexParams::with_substrings(k, m);
                let plan = p.plan();
                // Widths as even as possible, disjoint, most significant
                // first; all 64 bits when every substring is searched.
                let mut hi = 64;
                let mut bits = 0u64;
                for s in &plan {
                    assert_eq!(s.shift + s.width, hi, "{p:?}");
                    assert!(s.width == 64 / m || s.width == 64 / m + 1, "{p:?}");
                    bits |= ((1u64 << s.width) - 1) << s.shift;
                    hi = s.shift;
                }
                assert_eq!(plan.len() as u32, m.min(k + 1), "{p:?}");
                if m <= k + 1 {
                    assert_eq!(bits, u64::MAX, "{p:?}");
                }
                // Pigeonhole: a distance of k + 1 is needed to exceed every
                // radius (a substring not searched counts as radius −1).
                let exceed: u32 = plan.iter().map(|s| s.radius + 1).sum();
                assert_eq!(exceed, k + 1, "{p:?}");
            }
        }
        // Worked by hand: k = 3, m = 4: 16-bit substrings at radius 0;
        // k = 8, m = 3: 22/21/21 bits at radius 2; k = 12, m = 5: 13 bits at
        // 2, 2, 2 and 12 bits at 1, 1 (12 = 2·5 + 2).
        let plan = |k, m| {
            SimIndexParams::with_substrings(k, m)
                .plan()
                .iter()
                .map(|s| (s.width, s.radius))
                .collect::<Vec<_>>()
        };
        assert_eq!(plan(3, 4), vec![(16, 0); 4]);
        assert_eq!(plan(8, 3), vec![(22, 2), (21, 2), (21, 2)]);
        assert_eq!(plan(12, 5), vec![(13, 2), (13, 2), (13, 2), (13, 1), (12, 1)]);
        assert_eq!(plan(1, 3), vec![(22, 0), (21, 0)]);
    }

    #[test]
    fn the_cost_model_picks_longer_keys_for_more_fingerprints() {
        let m = |k, n| SimIndexParams::new(k, n).substrings;
        // Measured (side by side, random fingerprints): at 1M, k = 8 took
        // 2.2 s with m = 3, 1.4 s with 4, 6.7 s with 5; k = 12: 14.4 s with
        // 4, 21.6 s with 5. At 100k, k = 12: 2.3 s / 0.44 s / 0.30 s / 0.55 s
        // with m = 3 / 4 / 5 / 6.
        assert_eq!(m(3, 1_000_000), 4);
        assert_eq!(m(8, 1_000_000), 4);
        assert_eq!(m(12, 1_000_000), 4);
        assert_eq!(m(12, 100_000), 5);
        assert_eq!(m(8, 10_000_000), 3);
        for k in 0..=MAX_K {
            for n in [0, 1, 1000, 1 << 20, 1 << 24] {
                let p = SimIndexParams::new(k, n);
                assert!(p.valid() && p.substrings <= (k + 1).max(4), "{p:?}");
            }
        }
    }

    #[test]
    fn larger_neighbours_are_each_key_once() {
        for (key, width, radius) in [(0b1011u64, 4, 2), (0, 6, 3), (0b111, 3, 3), (5, 8, 0)] {
            let mut got = Vec::new();
            larger_neighbours(key, width, radius, &mut |k| got.push(k));
            let mut want: Vec<u64> = (0..1u64 << width)
                .filter(|&o| o > key && (o ^ key).count_ones() <= radius)
                .collect();
            got.sort_unstable();
            want.sort_unstable();
            assert_eq!(got, want, "{key:b} {width} {radius}");
        }
    }

    #[test]
    fn balls_are_each_key_once() {
        for (key, width, radius) in [(0b1011u64, 4, 2), (0, 6, 3), (0b111, 3, 3), (5, 8, 0)] {
            let mut got = Vec::new();
            ball(key, width, radius, &mut |k| got.push(k));
            let mut want: Vec<u64> = (0..1u64 << width)
                .filter(|&o| (1..=radius).contains(&(o ^ key).count_ones()))
                .collect();
            got.sort_unstable();
            want.sort_unstable();
            assert_eq!(got, want, "{key:b} {width} {radius}");
        }
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
        #![proptest_config(ProptestConfig::with_cases(64))]
        /// Random fingerprints plus neighbours at distance exactly k and k+1
        /// (and exact copies): the tables find exactly the brute-force
        /// pairs, whatever the number of substrings.
        #[test]
        fn exact_against_brute_force(
            base in prop::collection::vec(any::<u64>(), 1..40),
            k in 0u32..=MAX_K,
            m in SUBSTRINGS,
            seed in any::<u64>(),
        ) {
            let mut fps = base.clone();
            for (i, &b) in base.iter().enumerate() {
                fps.push(flip(b, k, seed ^ i as u64));
                fps.push(flip(b, (k + 1).min(64), seed ^ (i as u64) << 8));
                if i % 3 == 0 {
                    fps.push(b);
                }
            }
            let mut unique = fps.clone();
            unique.sort_unstable();
            unique.dedup();
            let want = brute(&unique, k);
            for p in [SimIndexParams::with_substrings(k, m), SimIndexParams::new(k, unique.len())] {
                prop_assert_eq!(&near_fingerprint_pairs(&unique, &p), &want, "{:?}", p);
                // The second pass (no pair kept from the first) too.
                let second = Tuning { budget: Some(0), chunk: 3 };
                prop_assert_eq!(&pairs_tuned(&unique, None, &p, second), &want, "{:?}", p);
            }
            // Document edges give the components of all near pairs.
            let p = SimIndexParams::with_substrings(k, m);
            let edges = near_pairs(&fps, None, &p);
            let all: Vec<(DocId, DocId)> =
                brute(&fps, k).into_iter().map(|(a, b, _)| (DocId(a), DocId(b))).collect();
            prop_assert_eq!(
                crate::cluster::components(fps.len(), edges.iter().map(|e| (e.0, e.1))),
                crate::cluster::components(fps.len(), all)
            );
        }

        /// Templated pages: clusters of fingerprints within a few bits of a
        /// few templates (large buckets and large pairs of buckets), plus
        /// random ones. Every edge is a verified near pair, and the
        /// components are those of all near pairs (the naive twin).
        #[test]
        fn capped_units_keep_the_components(
            templates in prop::collection::vec(any::<u64>(), 1..4),
            per in 40usize..120,
            spread in 1u32..6,
            random in prop::collection::vec(any::<u64>(), 0..20),
            k in 2u32..=MAX_K,
            m in 3u32..6,
        ) {
            let mut unique: Vec<u64> = random.clone();
            for (t, &tpl) in templates.iter().enumerate() {
                for i in 0..per {
                    let seed = (t * 1000 + i) as u64;
                    unique.push(flip(tpl, (seed % u64::from(spread + 1)) as u32, seed));
                }
            }
            unique.sort_unstable();
            unique.dedup();
            let p = SimIndexParams::with_substrings(k, m);
            let all = brute(&unique, k);
            let comps = |pairs: &[(u32, u32, u32)]| {
                crate::cluster::components(
                    unique.len(),
                    pairs.iter().map(|&(a, b, _)| (DocId(a), DocId(b))),
                )
            };
            // Pairs kept from the first pass, or a second pass, with one
            // chunk of dense fingerprints or many.
            let tunings = [(None, DENSE_CHUNK), (Some(0), DENSE_CHUNK), (Some(0), 5), (Some(usize::MAX), 5)];
            for (budget, chunk) in tunings {
                let fast = pairs_tuned(&unique, None, &p, Tuning { budget, chunk });
                for e in &fast {
                    prop_assert!(all.binary_search(e).is_ok(), "{:?}", e);
                }
                prop_assert_eq!(comps(&fast), comps(&all), "{:?} {}", budget, chunk);
            }
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(48))]
        /// The marked pairs (SimHash with exact verification): unsorted
        /// fingerprints with repeats, clusters dense enough for forests
        /// (both passes, one chunk or many). Every pair given is a near
        /// pair with its distance; every near pair not given has both
        /// fingerprints marked (the naive twin: all pairs, brute force);
        /// the components are those of all near pairs.
        #[test]
        fn marked_pairs_name_every_pair_they_leave_out(
            templates in prop::collection::vec(any::<u64>(), 1..4),
            per in 20usize..90,
            spread in 0u32..6,
            random in prop::collection::vec(any::<u64>(), 0..20),
            k in 1u32..=MAX_K,
            m in 3u32..6,
        ) {
            let mut fps: Vec<u64> = random.clone();
            for (t, &tpl) in templates.iter().enumerate() {
                for i in 0..per {
                    let seed = (t * 1000 + i) as u64;
                    fps.push(flip(tpl, (seed % u64::from(spread + 1)) as u32, seed));
                }
            }
            // Repeats, not next to each other.
            let again: Vec<u64> = fps.iter().step_by(7).copied().collect();
            fps.extend(again);
            let p = SimIndexParams::with_substrings(k, m);
            let all = brute(&fps, k);
            let comps = |pairs: &[(u32, u32, u32)]| {
                crate::cluster::components(
                    fps.len(),
                    pairs.iter().map(|&(a, b, _)| (DocId(a), DocId(b))),
                )
            };
            let tunings = [(None, DENSE_CHUNK), (Some(0), DENSE_CHUNK), (Some(0), 5)];
            for (budget, chunk) in tunings {
                let (given, marked) = marked_tuned(&fps, &p, Tuning { budget, chunk });
                prop_assert_eq!(marked.len(), fps.len());
                for e in &given {
                    prop_assert!(all.binary_search(e).is_ok(), "{:?}", e);
                }
                for e in all.iter().filter(|e| given.binary_search(e).is_err()) {
                    prop_assert!(marked[e.0 as usize] && marked[e.1 as usize], "{:?}", e);
                }
                prop_assert_eq!(comps(&given), comps(&all), "{:?} {}", budget, chunk);
            }
        }
    }

    #[test]
    fn marked_pairs_leave_pairs_out_only_between_marked_fingerprints() {
        // 600 pages of one template within 4 bits, in no order, some
        // twice: the forest's branch is reached (pairs left out).
        let mut fps: Vec<u64> =
            (0..600u64).map(|i| flip(0x0F0F_F0F0_1234_8765, (i % 5) as u32, i)).collect();
        let again: Vec<u64> = fps.iter().step_by(9).copied().collect();
        fps.extend(again);
        for (k, m) in [(4, 4), (8, 3)] {
            let p = SimIndexParams::with_substrings(k, m);
            let all = brute(&fps, k);
            let (given, marked) = near_pairs_marked(&fps, &p);
            let missing: Vec<_> = all.iter().filter(|e| given.binary_search(e).is_err()).collect();
            assert!(
                !missing.is_empty() && given.len() < all.len() / 4,
                "{k}: {} of {}",
                given.len(),
                all.len()
            );
            assert!(missing.iter().all(|e| marked[e.0 as usize] && marked[e.1 as usize]));
            assert!(given.iter().all(|e| all.binary_search(e).is_ok()));
        }
    }

    #[test]
    fn large_units_give_a_bounded_forest_with_the_brute_force_components() {
        // 2,000 templated pages: fingerprints within a few bits of one of
        // four templates, so buckets hold hundreds of members.
        for (k, m) in [(3, 4), (3, 3), (8, 3), (12, 4)] {
            let p = SimIndexParams::with_substrings(k, m);
            let templates = [0u64, u64::MAX, 0x0F0F_0F0F_0F0F_0F0F, 0x00FF_00FF_00FF_00FF];
            let fps: Vec<u64> = (0..2000u64)
                .map(|i| flip(templates[(i % 4) as usize], (i % 5) as u32, i))
                .collect();
            let mut unique = fps.clone();
            unique.sort_unstable();
            unique.dedup();
            let all = brute(&unique, k);
            // Both ways to the forest: the near pairs kept from the first
            // pass, or a second pass (the default here: more near pairs
            // than fingerprints).
            assert!(all.len() > unique.len().max(1024));
            let kept =
                pairs_tuned(&unique, None, &p, Tuning { budget: Some(usize::MAX), chunk: 64 });
            let fast = near_fingerprint_pairs(&unique, &p);
            let chunked = pairs_tuned(&unique, None, &p, Tuning { budget: None, chunk: 64 });
            // The forest is reached: all near pairs are far more than one
            // edge per fingerprint per table, the edges far fewer than all
            // near pairs and within the bound (worked out: 1,399 distinct
            // fingerprints, 33,454 pairs within 3 bits, 243,965 within 8;
            // 3,510 to 5,787 edges).
            let per_table = unique.len() as u64 * p.tables();
            assert!(all.len() as u64 > 4 * per_table, "{k}: {}", all.len());
            for edges in [&fast, &kept, &chunked] {
                assert!(edges.len() * 5 < all.len(), "{k}/{m}: {} of {}", edges.len(), all.len());
                assert!(edges.len() as u64 <= per_table * (FULL_RUN as u64 / 2 + 1));
            }
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
            assert_eq!(comps(&kept), comps(&all));
            assert_eq!(comps(&chunked), comps(&all));
            // Input order does not matter: the same components of documents.
            let edges = near_pairs(&fps, None, &p);
            let mut rev = fps.clone();
            rev.reverse();
            let n = fps.len() as u32;
            let back: Vec<(DocId, DocId)> = near_pairs(&rev, None, &p)
                .iter()
                .map(|&(a, b, _)| (DocId(n - 1 - a.0), DocId(n - 1 - b.0)))
                .collect();
            assert_eq!(
                crate::cluster::components(fps.len(), back),
                crate::cluster::components(fps.len(), edges.iter().map(|x| (x.0, x.1)))
            );
        }
    }

    /// Naive twin of leader clustering over SimHash edges: every near pair.
    fn brute_leaders(fps: &[u64], order: &[DocId], k: u32) -> Vec<crate::cluster::LeaderCluster> {
        let sim =
            |a: DocId, b: DocId| 1.0 - f64::from(hamming(fps[a.index()], fps[b.index()])) / 64.0;
        let all = brute(fps, k)
            .into_iter()
            .map(|(a, b, _)| (DocId(a), DocId(b), sim(DocId(a), DocId(b))));
        crate::cluster::leaders(fps.len(), order, all, |_, _| None)
    }

    /// Leader clustering over the index's edges, asking the distance of
    /// pairs it has not seen (as the SimHash method's `certain` does).
    fn index_leaders(
        fps: &[u64],
        order: &[DocId],
        edges: &[(DocId, DocId, u32)],
        k: u32,
    ) -> Vec<crate::cluster::LeaderCluster> {
        let sim =
            |a: DocId, b: DocId| 1.0 - f64::from(hamming(fps[a.index()], fps[b.index()])) / 64.0;
        let scored = edges.iter().map(|&(a, b, _)| (a, b, sim(a, b)));
        let certain =
            |l: DocId, d: DocId| (hamming(fps[l.index()], fps[d.index()]) <= k).then(|| sim(l, d));
        crate::cluster::leaders(fps.len(), order, scored, certain)
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(48))]
        /// Templated pages (the forest is reached) in any keep priority,
        /// with copies: leader clustering over the ranked edges gives
        /// exactly the clusters of all near pairs.
        #[test]
        fn leaders_over_ranked_edges_equal_leaders_over_all_pairs(
            templates in prop::collection::vec(any::<u64>(), 1..4),
            per in 40usize..100,
            spread in 1u32..9,
            random in prop::collection::vec(any::<u64>(), 0..20),
            k in 2u32..=12,
            shuffle in any::<u64>(),
        ) {
            let mut fps: Vec<u64> = random.clone();
            for (t, &tpl) in templates.iter().enumerate() {
                for i in 0..per {
                    let seed = (t * 1000 + i) as u64;
                    fps.push(flip(tpl, (seed % u64::from(spread + 1)) as u32, seed));
                    if i % 17 == 0 {
                        fps.push(*fps.last().unwrap());
                    }
                }
            }
            let mut order: Vec<DocId> = (0..fps.len() as u32).map(DocId).collect();
            order.sort_by_key(|d| (crate::hash::fmix64(u64::from(d.0) ^ shuffle), d.0));
            let mut rank = vec![0u32; fps.len()];
            for (i, d) in order.iter().enumerate() {
                rank[d.index()] = i as u32;
            }
            let want = brute_leaders(&fps, &order, k);
            let p = SimIndexParams::new(k, fps.len());
            let edges = near_pairs(&fps, Some(&rank), &p);
            prop_assert_eq!(index_leaders(&fps, &order, &edges, k), want.clone());
            // Both ways to the forest, and several chunks.
            let mut unique = fps.clone();
            unique.sort_unstable();
            unique.dedup();
            let first: Vec<u32> = unique
                .iter()
                .map(|u| (0..fps.len()).filter(|&d| fps[d] == *u).map(|d| rank[d]).min().unwrap())
                .collect();
            let ranked = |tuning| pairs_tuned(&unique, Some(&first), &p, tuning);
            let reference = ranked(DEFAULT_TUNING);
            let order_u: Vec<DocId> = {
                let mut o: Vec<DocId> = (0..unique.len() as u32).map(DocId).collect();
                o.sort_by_key(|d| first[d.index()]);
                o
            };
            let want_u = brute_leaders(&unique, &order_u, k);
            for tuning in [DEFAULT_TUNING, Tuning { budget: Some(0), chunk: 7 }, Tuning { budget: Some(usize::MAX), chunk: 7 }] {
                let e: Vec<(DocId, DocId, u32)> =
                    ranked(tuning).into_iter().map(|(a, b, d)| (DocId(a), DocId(b), d)).collect();
                prop_assert_eq!(index_leaders(&unique, &order_u, &e, k), want_u.clone());
            }
            // Every edge is still a verified near pair.
            let all = brute(&unique, k);
            for e in &reference {
                prop_assert!(all.binary_search(e).is_ok(), "{:?}", e);
            }
        }
    }

    #[test]
    fn leader_stars_recover_what_forests_lose() {
        // 20 templates × 200 pages within 0..=6 bits of theirs, K = 8: two
        // pages of one template can be 12 bits apart, so a leader does not
        // reach all its near pages through a forest.
        let k = 8;
        let fps: Vec<u64> = (0..4000u64)
            .map(|i| flip(crate::hash::fmix64(1_000_000 + i % 20), (i * 7 % 11) as u32 % 7, i))
            .collect();
        let order: Vec<DocId> = (0..fps.len() as u32).map(DocId).collect();
        let rank: Vec<u32> = (0..fps.len() as u32).collect();
        let p = SimIndexParams::new(k, fps.len());
        let want = brute_leaders(&fps, &order, k);
        let clustered = |c: &[crate::cluster::LeaderCluster]| -> usize {
            c.iter().map(|x| x.members.len()).sum()
        };
        let forest_only = index_leaders(&fps, &order, &near_pairs(&fps, None, &p), k);
        assert!(clustered(&forest_only) < clustered(&want), "the forest is reached");
        let ranked = near_pairs(&fps, Some(&rank), &p);
        assert_eq!(index_leaders(&fps, &order, &ranked, k), want);
        // Far fewer edges than near pairs.
        assert!(ranked.len() * 5 < brute(&fps, k).len(), "{}", ranked.len());
    }

    #[test]
    fn the_same_edges_on_any_thread_count() {
        let templates = [0u64, 0xFFFF_0000_FFFF_0000];
        let fps: Vec<u64> =
            (0..3000u64).map(|i| flip(templates[(i % 2) as usize], (i % 7) as u32, i)).collect();
        let mut unique = fps.clone();
        unique.sort_unstable();
        unique.dedup();
        let p = SimIndexParams::with_substrings(6, 3);
        let on = |threads, tuning| {
            rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap().install(|| {
                let rank: Vec<u32> = (0..fps.len() as u32).rev().collect();
                (
                    near_pairs(&fps, None, &p),
                    near_pairs(&fps, Some(&rank), &p),
                    pairs_tuned(&unique, None, &p, tuning),
                )
            })
        };
        for tuning in [DEFAULT_TUNING, Tuning { budget: Some(usize::MAX), chunk: 50 }] {
            assert_eq!(on(1, tuning), on(4, tuning));
        }
    }

    #[test]
    fn many_identical_fingerprints_stay_linear() {
        let fps = vec![42u64; 5000];
        let pairs = near_pairs(&fps, None, &SimIndexParams::new(3, fps.len()));
        assert_eq!(pairs.len(), 4999);
    }
}
