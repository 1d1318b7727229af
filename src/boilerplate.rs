//! Boilerplate shingles (`--ignore-boilerplate N`): the shingles found in
//! at least N documents, counted exactly, to be left out of the sets that
//! document similarity compares.
//!
//! A licence header in 4,000 source files, a cookie banner or an agency
//! footer makes distinct documents look alike, and dilutes the similarity
//! of real copies that carry it. Left out, two files that share only the
//! header have nothing in common, and two copies of one article compare by
//! their own text.
//!
//! **Counting.** Each document contributes its distinct shingles once. A
//! batch of documents is sorted and run-length encoded into `(shingle,
//! documents)` runs, and runs are merged like a binary counter (a run is
//! merged into the one before it while that one is at most twice as
//! long), so the total work is O(S log S) for S shingle occurrences and
//! the memory about one copy of the distinct shingles' counts (16 bytes
//! each) plus one batch: runs are kept in 256 parts by the shingle's top
//! byte, merged part by part in parallel, each part's inputs freed once
//! it is merged. Counts are exact and do not depend on the order
//! of the documents or on the thread count. (A count-min sketch would not
//! do: at corpus scale its counters fill up and every shingle would look
//! frequent.)
//!
//! **Lookup.** The frequent shingles are kept sorted, behind a bit filter
//! of about 16 bits per frequent shingle, so the common case (a shingle
//! that is not boilerplate) costs one memory access.

use rayon::prelude::*;

/// Parts of a run, by the shingle's top byte.
const PARTS: usize = 256;

/// A sorted run of `(shingle, documents)` in [`PARTS`] parts by the
/// shingle's top byte: merged part by part in parallel, each part's
/// inputs freed as soon as it is merged.
type Run = Vec<Vec<(u64, u32)>>;

/// Counts of the documents each shingle occurs in.
#[derive(Debug, Default)]
pub struct Counter {
    /// Runs with their lengths, each at most half as long as the one
    /// before it.
    runs: Vec<(usize, Run)>,
}

impl Counter {
    /// An empty counter.
    pub fn new() -> Counter {
        Counter::default()
    }

    /// Counts a batch of documents: `shingles` holds every document's
    /// distinct shingles, one after the other (any order).
    pub fn add(&mut self, mut shingles: Vec<u64>) {
        if shingles.is_empty() {
            return;
        }
        shingles.par_sort_unstable();
        let mut run: Run = vec![Vec::new(); PARTS];
        let mut len = 0;
        for same in shingles.chunk_by(|a, b| a == b) {
            let count = u32::try_from(same.len()).unwrap_or(u32::MAX);
            run[(same[0] >> 56) as usize].push((same[0], count));
            len += 1;
        }
        drop(shingles);
        while let Some(&(last, _)) = self.runs.last() {
            if last > 2 * len {
                break;
            }
            let (_, older) = self.runs.pop().expect("BUG: a run was there");
            (len, run) = merge(older, run);
        }
        self.runs.push((len, run));
    }

    /// The shingles counted in at least `n` documents.
    pub fn at_least(mut self, n: u32) -> Boilerplate {
        let (_, mut all) = self.runs.pop().unwrap_or_else(|| (0, vec![Vec::new(); PARTS]));
        while let Some((_, run)) = self.runs.pop() {
            (_, all) = merge(run, all);
        }
        // Parts in top-byte order: their concatenation is sorted.
        let frequent: Vec<u64> = all
            .into_par_iter()
            .flat_map_iter(|part| part.into_iter().filter(|&(_, c)| c >= n).map(|(h, _)| h))
            .collect();
        Boilerplate::new(frequent)
    }
}

/// Two runs as one, counts of equal shingles added, and its length.
fn merge(a: Run, b: Run) -> (usize, Run) {
    let run: Run = a.into_par_iter().zip(b).map(|(x, y)| merge_serial(&x, &y)).collect();
    (run.iter().map(Vec::len).sum(), run)
}

fn merge_serial(a: &[(u64, u32)], b: &[(u64, u32)]) -> Vec<(u64, u32)> {
    let mut out = Vec::with_capacity(a.len() + b.len());
    let (mut i, mut j) = (0, 0);
    while i < a.len() && j < b.len() {
        match a[i].0.cmp(&b[j].0) {
            std::cmp::Ordering::Less => {
                out.push(a[i]);
                i += 1;
            }
            std::cmp::Ordering::Greater => {
                out.push(b[j]);
                j += 1;
            }
            std::cmp::Ordering::Equal => {
                out.push((a[i].0, a[i].1.saturating_add(b[j].1)));
                i += 1;
                j += 1;
            }
        }
    }
    out.extend_from_slice(&a[i..]);
    out.extend_from_slice(&b[j..]);
    out
}

/// A set of boilerplate shingles.
#[derive(Debug, Clone)]
pub struct Boilerplate {
    sorted: Vec<u64>,
    /// One bit per slot of the shingle's low bits: clear means absent.
    filter: Vec<u64>,
    mask: u64,
    /// Fewest boilerplate shingles in a row that [`remove`] takes out (1:
    /// every one).
    min_run: usize,
}

impl Boilerplate {
    /// The set of `shingles` (sorted, unique).
    pub fn new(sorted: Vec<u64>) -> Boilerplate {
        debug_assert!(sorted.windows(2).all(|w| w[0] < w[1]));
        let bits = (sorted.len() * 16).next_power_of_two().max(64);
        let mut filter = vec![0u64; bits / 64];
        let mask = bits as u64 - 1;
        for &h in &sorted {
            let slot = slot(h, mask);
            filter[slot / 64] |= 1 << (slot % 64);
        }
        Boilerplate { sorted, filter, mask, min_run: 1 }
    }

    /// The set, where [`remove`] takes out only runs of at least `min_run`
    /// boilerplate shingles in a row (text order): a passage of shared
    /// text, not a common line on its own.
    pub fn in_runs_of(mut self, min_run: usize) -> Boilerplate {
        self.min_run = min_run.max(1);
        self
    }

    /// See [`Boilerplate::in_runs_of`].
    pub fn min_run(&self) -> usize {
        self.min_run
    }

    /// Whether `shingle` is boilerplate.
    #[inline]
    pub fn contains(&self, shingle: u64) -> bool {
        let s = slot(shingle, self.mask);
        self.filter[s / 64] & (1 << (s % 64)) != 0 && self.sorted.binary_search(&shingle).is_ok()
    }

    /// Number of boilerplate shingles.
    pub fn len(&self) -> usize {
        self.sorted.len()
    }

    /// Whether there is none.
    pub fn is_empty(&self) -> bool {
        self.sorted.is_empty()
    }
}

/// The filter slot of a shingle (shingles are hashes: their low bits are
/// spread already; mixed again so that any input spreads).
#[inline]
fn slot(h: u64, mask: u64) -> usize {
    (crate::hash::fmix64(h) & mask) as usize
}

/// Removes the shingles of `b` from `shingles` (in text order): each one
/// that is in a run of at least [`Boilerplate::min_run`] shingles of `b` in
/// a row. The rest keep their order.
pub fn remove(shingles: &mut Vec<u64>, b: Option<&Boilerplate>) {
    let Some(b) = b else { return };
    if b.min_run <= 1 {
        shingles.retain(|&h| !b.contains(h));
        return;
    }
    let n = shingles.len();
    let (mut kept, mut i) = (0, 0);
    while i < n {
        let start = i;
        while i < n && b.contains(shingles[i]) {
            i += 1;
        }
        // A run too short to go stays, and so does the shingle after it.
        let end = if i - start >= b.min_run { start } else { i };
        shingles.copy_within(start..end, kept);
        kept += end - start;
        if i < n {
            shingles[kept] = shingles[i];
            kept += 1;
            i += 1;
        }
    }
    shingles.truncate(kept);
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    /// Documents' distinct shingles, from a small alphabet so that counts
    /// reach every size.
    fn documents(n: usize, seed: u64) -> Vec<Vec<u64>> {
        (0..n)
            .map(|d| {
                let mut s: Vec<u64> = (0..(d % 17) as u64 + 1)
                    .map(|i| crate::hash::fmix64(seed ^ (d as u64 * 31 + i * 7)) % 40)
                    .collect();
                s.sort_unstable();
                s.dedup();
                s
            })
            .collect()
    }

    /// Against a naive count in a map, in batches of every size: the same
    /// set, whatever the batching.
    #[test]
    fn counts_equal_a_naive_count() {
        for seed in 0..4u64 {
            let docs = documents(300, seed);
            let mut naive: HashMap<u64, u32> = HashMap::new();
            for d in &docs {
                for &h in d {
                    *naive.entry(h).or_default() += 1;
                }
            }
            for batch in [1usize, 2, 7, 64, 300] {
                let mut c = Counter::new();
                for chunk in docs.chunks(batch) {
                    c.add(chunk.iter().flatten().copied().collect());
                }
                // Runs stay short: at most about log2 of the batches.
                assert!(c.runs.len() <= 12, "{}", c.runs.len());
                for n in [2u32, 5, 20, 60] {
                    let mut want: Vec<u64> =
                        naive.iter().filter(|&(_, &c)| c >= n).map(|(&h, _)| h).collect();
                    want.sort_unstable();
                    let mut c2 = Counter::new();
                    for chunk in docs.chunks(batch) {
                        c2.add(chunk.iter().flatten().copied().collect());
                    }
                    let got = c2.at_least(n);
                    assert_eq!(got.sorted, want, "seed {seed} batch {batch} n {n}");
                    for h in 0..50u64 {
                        assert_eq!(got.contains(h), want.contains(&h), "{h}");
                    }
                }
            }
        }
    }

    /// Merging runs part by part equals merging them whole.
    #[test]
    fn merging_by_parts_equals_merging_whole() {
        let whole = |seed: u64, n: u64| -> Vec<(u64, u32)> {
            let mut v: Vec<u64> =
                (0..n).map(|i| crate::hash::fmix64(seed ^ i) >> (i % 3)).collect();
            v.sort_unstable();
            v.dedup();
            v.into_iter().map(|h| (h, (h % 7) as u32 + 1)).collect()
        };
        let parts = |w: &[(u64, u32)]| -> Run {
            let mut r: Run = vec![Vec::new(); PARTS];
            for &x in w {
                r[(x.0 >> 56) as usize].push(x);
            }
            r
        };
        let (a, b) = (whole(1, 5_000), whole(2, 4_000));
        let mut c = b.clone();
        c.extend_from_slice(&a[..1_000]);
        c.sort_unstable();
        c.dedup_by_key(|x| x.0);
        for (x, y) in [(&a, &b), (&a, &c), (&c, &a)] {
            let want = merge_serial(x, y);
            let (len, got) = merge(parts(x), parts(y));
            assert_eq!(len, want.len());
            assert_eq!(got.concat(), want);
        }
    }

    /// Runs against a naive twin: a shingle goes if some window of
    /// `min_run` positions around it is all boilerplate.
    #[test]
    fn runs_go_and_short_ones_stay() {
        let b = Boilerplate::new(vec![3, 9]).in_runs_of(3);
        let mut s = vec![9, 3, 1, 3, 9, 9, 4, 9, 3, 3, 3, 2, 9];
        remove(&mut s, Some(&b));
        assert_eq!(s, vec![9, 3, 1, 4, 2, 9]);
        for seed in 0..200u64 {
            let shingles: Vec<u64> =
                (0..40).map(|i| crate::hash::fmix64(seed * 100 + i) % 5).collect();
            let set = Boilerplate::new(vec![0, 1, 2]).in_runs_of(1 + (seed % 6) as usize);
            let r = set.min_run();
            let bp = |i: usize| set.contains(shingles[i]);
            let naive: Vec<u64> = (0..shingles.len())
                .filter(|&i| {
                    let lo = i.saturating_sub(r - 1);
                    !(lo..=i).any(|s| s + r <= shingles.len() && (s..s + r).all(bp))
                })
                .map(|i| shingles[i])
                .collect();
            let mut got = shingles.clone();
            remove(&mut got, Some(&set));
            assert_eq!(got, naive, "seed {seed}, runs of {r}");
        }
    }

    #[test]
    fn remove_keeps_the_rest_in_order() {
        let b = Boilerplate::new(vec![3, 9]);
        let mut s = vec![9, 1, 3, 4, 9, 2];
        remove(&mut s, Some(&b));
        assert_eq!(s, vec![1, 4, 2]);
        remove(&mut s, None);
        assert_eq!(s, vec![1, 4, 2]);
        assert!(Boilerplate::new(Vec::new()).is_empty());
    }
}
