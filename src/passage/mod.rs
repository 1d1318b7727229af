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

use std::collections::HashMap;

use rayon::prelude::*;

use crate::ids::Span;
use crate::text::{TextOptions, Tokenizer};
use fingerprint::Fingerprint;

/// The words of one document, kept for refinement: their hashes and their
/// byte spans in the original text.
#[derive(Debug, Clone, Default)]
pub struct DocWords {
    /// Word hashes.
    pub hashes: Vec<u64>,
    /// Byte span of each word.
    pub spans: Vec<Span>,
}

impl DocWords {
    /// Tokenizes `text`.
    pub fn new(tokenizer: &mut Tokenizer, text: &str) -> DocWords {
        let mut t = Vec::new();
        tokenizer.tokenize_into(text, &mut t, None);
        DocWords {
            hashes: t.iter().map(|x| x.hash).collect(),
            spans: t.iter().map(|x| x.span).collect(),
        }
    }
}

/// A passage found in two or more places: its length in words (first
/// occurrence) and every `(document, byte span)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PassageGroup {
    /// Words in the first occurrence.
    pub words: usize,
    /// Places, sorted by document then offset.
    pub occurrences: Vec<(u32, Span)>,
}

/// Refined matches and the byte offsets of their ends, collected batch by
/// batch so that a document's words can be dropped once no candidate needs
/// them any more.
#[derive(Debug, Default)]
pub struct Refined {
    matches: Vec<align::Match>,
    /// (doc, word) → byte offset where that word starts.
    starts: HashMap<(u32, u32), u32>,
    /// (doc, word) → byte offset where the word before it ends.
    ends: HashMap<(u32, u32), u32>,
}

impl Refined {
    /// Refines `candidates` whose documents' words `words(doc)` gives
    /// (candidates whose words are missing are dropped), and records the
    /// byte offsets of the refined ends.
    pub fn refine<'w>(
        &mut self,
        candidates: &[align::Match],
        opts: &PassageOptions,
        words: impl Fn(u32) -> Option<&'w DocWords> + Sync,
    ) {
        let found: Vec<(align::Match, [u32; 4])> = candidates
            .par_iter()
            .filter_map(|m| {
                let (wa, wb) = (words(m.a)?, words(m.b)?);
                let r = align::refine(m, &wa.hashes, &wb.hashes, opts.min_words)?;
                let bytes = [
                    wa.spans[r.a_start as usize].start,
                    wa.spans[r.a_end as usize - 1].end,
                    wb.spans[r.b_start as usize].start,
                    wb.spans[r.b_end as usize - 1].end,
                ];
                Some((r, bytes))
            })
            .collect();
        for (r, b) in found {
            self.starts.insert((r.a, r.a_start), b[0]);
            self.ends.insert((r.a, r.a_end), b[1]);
            self.starts.insert((r.b, r.b_start), b[2]);
            self.ends.insert((r.b, r.b_end), b[3]);
            self.matches.push(r);
        }
    }

    /// Joins, groups, and maps word ranges to byte spans (every range end is
    /// the end of some refined match, whose byte offset was recorded). Groups
    /// come sorted: most occurrences first, then longest, then by first place.
    pub fn into_groups(self, opts: &PassageOptions) -> Vec<PassageGroup> {
        let matches = align::join_adjacent(self.matches, opts.max_gap());
        let mut out: Vec<PassageGroup> = group::groups(&matches)
            .iter()
            .map(|g| PassageGroup {
                words: (g[0].end - g[0].start) as usize,
                occurrences: g
                    .iter()
                    .map(|o| {
                        let start = self.starts[&(o.doc, o.start)];
                        let end = self.ends[&(o.doc, o.end)];
                        (o.doc, Span { start, end })
                    })
                    .collect(),
            })
            .collect();
        out.sort_by(|x, y| {
            y.occurrences
                .len()
                .cmp(&x.occurrences.len())
                .then(y.words.cmp(&x.words))
                .then(x.occurrences[0].cmp(&y.occurrences[0]))
        });
        out
    }
}

/// Repeated passages of texts held in memory, within and across them: the
/// whole passage stage in one call (the pipeline does the same while
/// streaming from files).
///
/// ```
/// use neardup::passage::{PassageOptions, find_in_texts};
/// use neardup::text::TextOptions;
///
/// let body = "Een lange alinea die twee keer in hetzelfde artikel staat, eerst netjes \
///             en daarna nog eens zonder spaties tussen de zinnen, zoals nieuwssites doen.";
/// let text = format!("{body}\n\n{}", body.replace(". ", "."));
/// let groups = find_in_texts(&[&text], &PassageOptions::default(), &TextOptions::default());
/// assert_eq!(groups.len(), 1);
/// let (first, second) = (groups[0].occurrences[0].1, groups[0].occurrences[1].1);
/// assert_eq!(&text[first.range()], body.trim_end_matches('.')); // first to last word
/// assert!(text[second.range()].starts_with("Een lange alinea"));
/// ```
pub fn find_in_texts(
    texts: &[&str],
    opts: &PassageOptions,
    text: &TextOptions,
) -> Vec<PassageGroup> {
    let mut tok = Tokenizer::new(*text);
    let words: Vec<DocWords> = texts.iter().map(|t| DocWords::new(&mut tok, t)).collect();
    let mut scratch = Vec::new();
    let fps: Vec<Box<[Fingerprint]>> = words
        .iter()
        .map(|w| {
            if w.hashes.len() < opts.min_words {
                return Box::default();
            }
            fingerprint::fingerprints(&w.hashes, opts.k, opts.window(), text.seed, &mut scratch)
                .into_boxed_slice()
        })
        .collect();
    let candidates = align::chains(&align::seeds(&fps), opts);
    let mut refined = Refined::default();
    refined.refine(&candidates, opts, |d| words.get(d as usize));
    refined.into_groups(opts)
}

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

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(48))]
        /// For any text (multi-byte words, punctuation, glued repeats), every
        /// reported span lies inside its document, on character boundaries,
        /// and starts and ends on a word character.
        #[test]
        fn spans_are_inside_and_on_char_boundaries(
            parts in prop::collection::vec(
                prop::sample::select(vec!["één", "Ωmega", "straße", "x", "ontmijnen.", "Ondertussen",
                    "naïef", "🙂", "e\u{301}", "--", "a1", "\n\n", "ﬁets", "ÉÉN"]),
                0..80),
            repeat in any::<bool>(),
        ) {
            let mut text = parts.join(" ");
            if repeat {
                let copy = text.replace(' ', "");
                text = format!("{text} {copy} {text}");
            }
            let other = format!("{} tail", parts.join(""));
            let texts = [text.as_str(), other.as_str()];
            let opts = PassageOptions { min_words: 5, k: 3 };
            for g in find_in_texts(&texts, &opts, &TextOptions::default()) {
                for (d, s) in g.occurrences {
                    let t = texts[d as usize];
                    prop_assert!(s.end as usize <= t.len() && s.start < s.end);
                    prop_assert!(t.is_char_boundary(s.start as usize) && t.is_char_boundary(s.end as usize));
                    let first = t[s.range()].chars().next().unwrap();
                    let last = t[s.range()].chars().last().unwrap();
                    prop_assert!(crate::text::is_word_char(first) && crate::text::is_word_char(last));
                }
            }
        }
    }
}
