//! Repeated passages, within one document and across documents, as exact
//! byte spans into the original text, grouped when one passage occurs in
//! many places.
//!
//! Stages (each a submodule, naive twins in the tests):
//!
//! 1. [`fingerprint`]: hashes of every k-word window (k = [`PassageOptions::k`])
//!    of a document's token stream, thinned by *winnowing* (Schleimer,
//!    Wilkerson & Aiken 2003): of every `w` consecutive hashes the minimum is
//!    kept. Any run of at least `k + 2w − 1` shared words keeps at least two
//!    common fingerprints in both places, so `w` is derived from
//!    `min_words`; memory is about `2/(w+1)` fingerprints per word instead of
//!    the whole token stream.
//! 2. [`align`]: all fingerprints of the collection are sorted by hash
//!    (parallel sort, never all pairs); equal hashes are seeds, which are
//!    chained along their diagonal (position in one place minus position in
//!    the other), allowing small shifts and gaps so that a changed or inserted
//!    word does not split a long passage. Chains of two or more seeds are then
//!    *refined* on the real token hashes: extended word by word to the exact
//!    first and last shared word, and kept if at least `min_words` long.
//!    Within one document the two occurrences never overlap.
//! 3. [`group`]: occurrences of the same passage (overlapping by at least
//!    half) are joined with union-find, so a passage found in N places is one
//!    group of N occurrences, not N(N−1)/2 pairs.
//!
//! Cost: O(W log W) for W fingerprints, plus the refinement, linear in the
//! words of the documents that share a chain. Robust to case, punctuation,
//! whitespace and glued sentences because it runs on the tokens of
//! [`crate::text`].

pub mod align;
pub mod fingerprint;
pub mod group;

/// Passage detection parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PassageOptions {
    /// Shortest passage reported, in words.
    pub min_words: usize,
    /// Words per fingerprinted window.
    pub k: usize,
}

impl Default for PassageOptions {
    fn default() -> Self {
        PassageOptions { min_words: 20, k: 5 }
    }
}

impl PassageOptions {
    /// The winnowing window: the largest `w` with `k + 2w − 1 ≤ min_words`,
    /// so every passage of `min_words` keeps two common fingerprints.
    pub fn window(&self) -> usize {
        ((self.min_words + 1).saturating_sub(self.k) / 2).max(1)
    }

    /// Largest gap, in words, between two seeds of one chain.
    pub fn max_gap(&self) -> u32 {
        u32::try_from(2 * self.window() + self.k + 4).unwrap_or(u32::MAX)
    }
}
