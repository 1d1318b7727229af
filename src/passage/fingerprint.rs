//! k-word window hashes thinned by winnowing.

use std::collections::VecDeque;

use crate::shingle::word_shingles;

/// A kept fingerprint: the hash of the k words starting at word `pos`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Fingerprint {
    /// Hash of the window.
    pub hash: u64,
    /// Index of the window's first word.
    pub pos: u32,
}

/// Winnowing: of every `w` consecutive values of `hashes`, the position of
/// the minimum (the rightmost one on ties) is selected; each selected
/// position is reported once, in increasing order. O(n) with a monotone
/// deque.
pub fn winnow(hashes: &[u64], w: usize, out: &mut Vec<Fingerprint>) {
    debug_assert!(w > 0);
    if hashes.is_empty() {
        return;
    }
    let w = w.min(hashes.len());
    let mut dq: VecDeque<usize> = VecDeque::with_capacity(w + 1);
    let mut last: Option<usize> = None;
    for (i, &h) in hashes.iter().enumerate() {
        while dq.back().is_some_and(|&j| hashes[j] >= h) {
            dq.pop_back();
        }
        dq.push_back(i);
        if i + 1 >= w {
            while dq.front().is_some_and(|&j| j + w <= i) {
                dq.pop_front();
            }
            let m = *dq.front().expect("BUG: window holds its newest element");
            if last != Some(m) {
                out.push(Fingerprint { hash: hashes[m], pos: m as u32 });
                last = Some(m);
            }
        }
    }
}

/// Fingerprints of a token stream (`words` are token hashes): k-word window
/// hashes, winnowed with window `w`. Streams of fewer than `k` words give
/// none (they cannot hold a passage).
pub fn fingerprints(
    words: &[u64],
    k: usize,
    w: usize,
    seed: u64,
    scratch: &mut Vec<u64>,
) -> Vec<Fingerprint> {
    let mut out = Vec::new();
    if words.len() < k {
        return out;
    }
    scratch.clear();
    word_shingles(words, k, seed ^ 0x7061_7373_6167_6573, scratch);
    winnow(scratch, w, &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Naive twin: minimum of each window by scanning.
    fn naive(hashes: &[u64], w: usize) -> Vec<Fingerprint> {
        let w = w.min(hashes.len());
        let mut out: Vec<Fingerprint> = Vec::new();
        for s in 0..=hashes.len().saturating_sub(w) {
            if hashes.is_empty() {
                break;
            }
            let mut m = s;
            for j in s..s + w {
                if hashes[j] <= hashes[m] {
                    m = j;
                }
            }
            if out.last().map(|f| f.pos as usize) != Some(m) {
                out.push(Fingerprint { hash: hashes[m], pos: m as u32 });
            }
        }
        out
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]
        #[test]
        fn winnow_equals_naive(hashes in prop::collection::vec(0u64..20, 0..60), w in 1usize..10) {
            let mut fast = Vec::new();
            winnow(&hashes, w, &mut fast);
            prop_assert_eq!(fast, naive(&hashes, w));
        }
    }

    #[test]
    fn every_window_holds_a_selected_position() {
        let hashes: Vec<u64> = (0..500u64).map(crate::hash::fmix64).collect();
        let mut out = Vec::new();
        winnow(&hashes, 8, &mut out);
        for s in 0..=hashes.len() - 8 {
            assert!(out.iter().any(|f| (s..s + 8).contains(&(f.pos as usize))));
        }
        // Density near 2/(w+1).
        let density = out.len() as f64 / hashes.len() as f64;
        assert!((0.15..0.3).contains(&density), "{density}");
    }
}
