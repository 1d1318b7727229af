//! Shingles: word k-grams (over token hashes) or character k-grams (over the
//! normalized text), each hashed to a `u64`.
//!
//! Word shingles hash the k word hashes of a window as a polynomial, rolled
//! along the text (Karp–Rabin), salted with the seed and window length and
//! avalanched (the `fmix64` step of MurmurHash3): no bytes are copied and
//! the cost per shingle does not grow with k. A document with fewer
//! than k words (but at least one) gives ONE shingle over all its words, with
//! the word count mixed in: two different short documents never share it,
//! two identical ones always do.
//!
//! The output may hold repeated values; MinHash is insensitive to them.

use crate::hash::{GOLDEN as MUL, fmix64};
use crate::text::Token;
/// What a shingle is made of.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ShingleKind {
    /// k consecutive words.
    Words(usize),
    /// k consecutive characters of the normalized text (words joined by one
    /// space).
    Chars(usize),
}

impl ShingleKind {
    /// The name in reports and parameter hashes: `words` or `chars`.
    pub fn name(self) -> &'static str {
        match self {
            ShingleKind::Words(_) => "words",
            ShingleKind::Chars(_) => "chars",
        }
    }

    /// The shingle size k.
    pub fn size(self) -> usize {
        match self {
            ShingleKind::Words(k) | ShingleKind::Chars(k) => k,
        }
    }
}

/// The odd base of the polynomial window hash.
const BASE: u64 = 0x9FB2_1C65_1E98_DF25;

/// What the window length and seed add to every window hash.
#[inline]
fn salt(len: usize, seed: u64) -> u64 {
    fmix64(seed ^ (len as u64).wrapping_mul(MUL))
}

/// Hash of one window: `fmix64(Σ w_j · BASE^(n−1−j) ⊕ salt)`.
#[inline]
fn combine(words: &[u64], seed: u64) -> u64 {
    let poly = words.iter().fold(0u64, |h, &w| h.wrapping_mul(BASE).wrapping_add(w));
    fmix64(poly ^ salt(words.len(), seed))
}

/// Word k-gram hashes of `words` (token hashes), appended to `out`.
///
/// The window hash is a polynomial in the word hashes, updated in O(1) as
/// the window slides (Karp–Rabin), then avalanched with `fmix64`: two
/// multiplications per shingle whatever k is. Equal to the direct `combine` on every
/// window (a unit test checks).
pub fn word_shingles(words: &[u64], k: usize, seed: u64, out: &mut Vec<u64>) {
    debug_assert!(k > 0);
    if words.is_empty() {
        return;
    }
    if words.len() < k {
        out.push(combine(words, seed));
        return;
    }
    let salt = salt(k, seed);
    // BASE^(k−1): the weight of the word that leaves the window.
    let top = (1..k).fold(1u64, |p, _| p.wrapping_mul(BASE));
    let mut poly = words[..k].iter().fold(0u64, |h, &w| h.wrapping_mul(BASE).wrapping_add(w));
    out.reserve(words.len() - k + 1);
    out.push(fmix64(poly ^ salt));
    for i in k..words.len() {
        poly = poly
            .wrapping_sub(words[i - k].wrapping_mul(top))
            .wrapping_mul(BASE)
            .wrapping_add(words[i]);
        out.push(fmix64(poly ^ salt));
    }
}

/// Character k-gram hashes of `normalized`, appended to `out`. A text of
/// fewer than k characters gives one shingle of the whole text.
pub fn char_shingles(normalized: &str, k: usize, seed: u64, out: &mut Vec<u64>) {
    debug_assert!(k > 0);
    let text = normalized.trim_end();
    if text.is_empty() {
        return;
    }
    let starts: Vec<usize> = text.char_indices().map(|(i, _)| i).collect();
    if starts.len() <= k {
        out.push(crate::hash::bytes(text.as_bytes(), seed));
        return;
    }
    for i in 0..=starts.len() - k {
        let end = starts.get(i + k).copied().unwrap_or(text.len());
        out.push(crate::hash::bytes(&text.as_bytes()[starts[i]..end], seed));
    }
}

/// Token hashes of `tokens`, for [`word_shingles`].
pub fn token_hashes(tokens: &[Token], out: &mut Vec<u64>) {
    out.extend(tokens.iter().map(|t| t.hash));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_and_short_documents() {
        let mut out = Vec::new();
        word_shingles(&[1, 2, 3, 4, 5, 6], 5, 0, &mut out);
        assert_eq!(out.len(), 2);
        let (mut a, mut b, mut c) = (Vec::new(), Vec::new(), Vec::new());
        word_shingles(&[1, 2], 5, 0, &mut a);
        word_shingles(&[1, 3], 5, 0, &mut b);
        word_shingles(&[1, 2], 5, 0, &mut c);
        assert_eq!(a.len(), 1);
        assert_ne!(a, b);
        assert_eq!(a, c);
        // A prefix is not the same shingle as the whole.
        let mut d = Vec::new();
        word_shingles(&[1], 5, 0, &mut d);
        assert_ne!(a, d);
        let mut e = Vec::new();
        word_shingles(&[], 5, 0, &mut e);
        assert!(e.is_empty());
    }

    #[test]
    fn rolling_equals_direct() {
        let words: Vec<u64> = (0..50u64).map(fmix64).collect();
        for k in [1, 2, 5, 9] {
            let mut rolled = Vec::new();
            word_shingles(&words, k, 3, &mut rolled);
            let direct: Vec<u64> = words.windows(k).map(|w| combine(w, 3)).collect();
            assert_eq!(rolled, direct, "k = {k}");
        }
    }

    #[test]
    fn order_matters_and_seed_changes_hashes() {
        let (mut a, mut b, mut c) = (Vec::new(), Vec::new(), Vec::new());
        word_shingles(&[1, 2, 3], 3, 0, &mut a);
        word_shingles(&[3, 2, 1], 3, 0, &mut b);
        word_shingles(&[1, 2, 3], 3, 1, &mut c);
        assert_ne!(a, b);
        assert_ne!(a, c);
    }

    #[test]
    fn char_grams_count_characters_not_bytes() {
        let mut out = Vec::new();
        char_shingles("één twee ", 3, 0, &mut out);
        assert_eq!(out.len(), "één twee".chars().count() - 2);
        let mut short = Vec::new();
        char_shingles("ab ", 3, 0, &mut short);
        assert_eq!(short.len(), 1);
    }
}
