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

use crate::ids::{DocId, Rank, Span};
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
    /// Length of the text in bytes.
    pub len: u32,
}

impl DocWords {
    /// Tokenizes `text`.
    pub fn new(tokenizer: &mut Tokenizer, text: &str) -> DocWords {
        let mut t = Vec::new();
        tokenizer.tokenize_into(text, &mut t, None);
        DocWords {
            hashes: t.iter().map(|x| x.hash).collect(),
            spans: t.iter().map(|x| x.span).collect(),
            len: u32::try_from(text.len()).unwrap_or(u32::MAX),
        }
    }
}

/// A passage found in two or more places: its length in words (first
/// occurrence) and every `(document, byte span)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PassageGroup {
    /// Words in the longest occurrence.
    pub words: usize,
    /// Places, sorted by document then offset.
    pub occurrences: Vec<(DocId, Span)>,
    /// For each occurrence, where the word after it starts (the end of the
    /// text after the last word): with the spaces and punctuation up to
    /// there, the bytes `--strip-repeats` removes for a later copy.
    pub next_word: Vec<u32>,
}

/// Byte offsets of a word range: where its first word starts, and where
/// its last word ends and the word after it starts (or the text ends).
type RangeBytes = (u32, (u32, u32));

fn range_bytes(w: &DocWords, start: u32, end: u32) -> RangeBytes {
    let next = w.spans.get(end as usize).map_or(w.len, |s| s.start);
    (w.spans[start as usize].start, (w.spans[end as usize - 1].end, next))
}

/// Refined matches and the byte offsets of their ends, collected batch by
/// batch so that a document's words can be dropped once no candidate needs
/// them any more.
#[derive(Debug, Default)]
pub struct Refined {
    matches: Vec<align::Match>,
    /// (rank, word) → byte offset where that word starts; sorted and looked
    /// up by binary search when grouping (a sort is cheaper than millions of
    /// hash insertions, and runs in parallel).
    starts: Vec<((Rank, u32), u32)>,
    /// (rank, word) → (byte offset where the word before it ends, where
    /// that word starts or the text's end).
    ends: Vec<((Rank, u32), (u32, u32))>,
    /// Tandems found inside each document (by rank), for the matches
    /// across documents refined later.
    tandems: HashMap<Rank, Vec<align::Tandem>>,
    /// First rank of each class of documents with the same words (see
    /// [`CanonicalOrder`]; its second member has the next rank).
    class_firsts: std::collections::HashSet<Rank>,
    /// First rank of a class → the word ranges its first two members share
    /// (either side of their matches), whose byte offsets are recorded in
    /// every member that took them.
    class_ranges: HashMap<Rank, Vec<(u32, u32)>>,
    /// `(first rank, member)` of the members past the second that took
    /// their class's ranges ([`align::Chain::copy`]).
    copied: Vec<(Rank, Rank)>,
}

impl Refined {
    /// Nothing refined yet, for documents in `order`.
    pub fn new(order: &CanonicalOrder) -> Refined {
        let class_firsts = order.classes.iter().map(|c| c.ranks.0).collect();
        Refined { class_firsts, ..Refined::default() }
    }

    /// Whether `a` and `b` are the first two members of a class.
    fn first_two(&self, a: Rank, b: Rank) -> bool {
        b.0 == a.0 + 1 && self.class_firsts.contains(&a)
    }

    /// Records the byte offsets of the ends of `ranges` in document `r`.
    fn record(&mut self, r: Rank, w: &DocWords, ranges: &[(u32, u32)]) {
        for &(start, end) in ranges {
            self.push_ends(r, range_bytes(w, start, end), (start, end));
        }
    }

    fn push_ends(&mut self, r: Rank, (start, end): RangeBytes, words: (u32, u32)) {
        self.starts.push(((r, words.0), start));
        self.ends.push(((r, words.1), end));
    }

    /// Refines `candidates` (chains sorted by document pair, then by first
    /// seed) whose documents' words `words(rank)` gives (candidates whose
    /// words are missing are dropped), and records the byte offsets of the
    /// refined ends. Pairs are refined in parallel.
    pub fn refine<'w>(
        &mut self,
        candidates: &[align::Chain],
        opts: &PassageOptions,
        words: impl Fn(Rank) -> Option<&'w DocWords> + Sync,
    ) {
        let pairs: Vec<&[align::Chain]> =
            candidates.chunk_by(|x, y| (x.a, x.b) == (y.a, y.b)).collect();
        // Members of a class past the second take the class's places last:
        // the second member comes earlier in the input (ranks in a class
        // follow it), so its pair with the first is refined by then.
        let (copies, pairs): (Vec<&[align::Chain]>, Vec<&[align::Chain]>) =
            pairs.into_iter().partition(|c| c[0].is_copy());
        // Pairs inside one document first: their tandems cut the matches
        // across documents (see `align::refine_pair`), now or in a later
        // batch.
        let (inside, across): (Vec<&[align::Chain]>, Vec<&[align::Chain]>) =
            pairs.into_iter().partition(|c| c[0].a == c[0].b);
        let none: Vec<align::Tandem> = Vec::new();
        let run = |chains: &[align::Chain], tandems: &HashMap<Rank, Vec<align::Tandem>>| {
            let mut ms = Vec::new();
            let mut found = Vec::new();
            let (a, b) = (chains[0].a, chains[0].b);
            let (Some(wa), Some(wb)) = (words(a), words(b)) else { return (Vec::new(), found) };
            let known = (
                tandems.get(&a).map_or(&none[..], Vec::as_slice),
                tandems.get(&b).map_or(&none[..], Vec::as_slice),
            );
            align::refine_pair(chains, &wa.hashes, &wb.hashes, opts, known, &mut found, &mut ms);
            let with_bytes = ms
                .into_iter()
                .map(|r| {
                    let bytes =
                        (range_bytes(wa, r.a_start, r.a_end), range_bytes(wb, r.b_start, r.b_end));
                    (r, bytes)
                })
                .collect::<Vec<_>>();
            (with_bytes, found)
        };
        let mut found: Vec<(align::Match, (RangeBytes, RangeBytes))> = Vec::new();
        let done: Vec<_> = inside.par_iter().map(|c| (c[0].a, run(c, &self.tandems))).collect();
        for (doc, (ms, tandems)) in done {
            found.extend(ms);
            if !tandems.is_empty() {
                self.tandems.entry(doc).or_default().extend(tandems);
            }
        }
        let done: Vec<_> = across.par_iter().map(|c| run(c, &self.tandems).0).collect();
        for (c, ms) in across.iter().zip(done) {
            // The first two members of a class: the places either one has,
            // in both (their words are the same), for the members past them.
            let (a, b) = (c[0].a, c[0].b);
            if self.first_two(a, b)
                && let (Some(wa), Some(wb)) = (words(a), words(b))
            {
                let mut ranges: Vec<(u32, u32)> = ms
                    .iter()
                    .flat_map(|(m, _)| [(m.a_start, m.a_end), (m.b_start, m.b_end)])
                    .collect();
                ranges.sort_unstable();
                ranges.dedup();
                self.record(a, wa, &ranges);
                self.record(b, wb, &ranges);
                self.class_ranges.insert(a, ranges);
            }
            found.extend(ms);
        }
        for c in &copies {
            let (a, b) = (c[0].a, c[0].b);
            let (Some(ranges), Some(wb)) = (self.class_ranges.get(&a), words(b)) else { continue };
            // A class is a 64-bit hash of the words: a member whose words
            // cannot hold the places (a collision) takes none.
            if ranges.iter().any(|r| r.1 as usize > wb.spans.len()) {
                continue;
            }
            let ranges = ranges.clone();
            self.record(b, wb, &ranges);
            self.copied.push((a, b));
        }
        for (r, (in_a, in_b)) in found {
            self.push_ends(r.a, in_a, (r.a_start, r.a_end));
            self.push_ends(r.b, in_b, (r.b_start, r.b_end));
            self.matches.push(r);
        }
    }

    /// Gives every member of a class past the first each place the first
    /// two members share after joining (either side), matched to the same
    /// place in the first member: all members have the same places and
    /// the same partners, whichever comes first in the input.
    fn copy_class_places(&self, matches: &mut Vec<align::Match>) {
        if self.class_ranges.is_empty() {
            return;
        }
        let mut places: Vec<(Rank, u32, u32)> = matches
            .iter()
            .filter(|m| self.first_two(m.a, m.b) && self.class_ranges.contains_key(&m.a))
            .flat_map(|m| [(m.a, m.a_start, m.a_end), (m.a, m.b_start, m.b_end)])
            .collect();
        places.par_sort_unstable();
        places.dedup();
        let mut members: Vec<(Rank, Rank)> = self.copied.clone();
        members.extend(self.class_ranges.keys().map(|&a| (a, Rank(a.0 + 1))));
        members.sort_unstable();
        for (a, b) in members {
            let from = places.partition_point(|p| p.0 < a);
            for &(_, start, end) in places[from..].iter().take_while(|p| p.0 == a) {
                matches.push(align::Match {
                    a,
                    a_start: start,
                    a_end: end,
                    b,
                    b_start: start,
                    b_end: end,
                });
            }
        }
    }

    /// Joins, groups, and maps word ranges to byte spans (every range end is
    /// the end of some refined match, whose byte offset was recorded) and
    /// ranks back to documents. Occurrences come sorted by document, groups
    /// by most occurrences first, then longest, then by first place.
    pub fn into_groups(
        mut self,
        opts: &PassageOptions,
        order: &CanonicalOrder,
    ) -> Vec<PassageGroup> {
        self.starts.par_sort_unstable();
        self.starts.dedup_by_key(|x| x.0);
        self.ends.par_sort_unstable();
        self.ends.dedup_by_key(|x| x.0);
        fn find<V: Copy>(table: &[((Rank, u32), V)], key: (Rank, u32)) -> V {
            let i = table
                .binary_search_by_key(&key, |x| x.0)
                .expect("BUG: every range end is the end of a refined match");
            table[i].1
        }
        let joined = std::mem::take(&mut self.matches);
        let mut matches = align::join_adjacent(joined, opts.max_gap(), opts.k as u32);
        self.copy_class_places(&mut matches);
        let mut out: Vec<PassageGroup> = group::groups(&matches)
            .par_iter()
            .map(|g| {
                let mut occ: Vec<(DocId, Span, u32)> = g
                    .iter()
                    .map(|o| {
                        let start = find(&self.starts, (o.doc, o.start));
                        let (end, next) = find(&self.ends, (o.doc, o.end));
                        (order.doc(o.doc), Span { start, end }, next)
                    })
                    .collect();
                occ.sort_unstable();
                PassageGroup {
                    words: g.iter().map(|o| o.end - o.start).max().unwrap_or(0) as usize,
                    occurrences: occ.iter().map(|&(d, s, _)| (d, s)).collect(),
                    next_word: occ.iter().map(|o| o.2).collect(),
                }
            })
            .collect();
        out.par_sort_by(|x, y| {
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
    find_in_texts_with(texts, opts, text, align::FULL_GROUP)
}

/// [`find_in_texts`] with another all-pairs limit for the seeds
/// ([`align::seeds_with`]; `usize::MAX` is the naive twin of the tests).
pub fn find_in_texts_with(
    texts: &[&str],
    opts: &PassageOptions,
    text: &TextOptions,
    full_group: usize,
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
    let hashes: Vec<u64> = words.iter().map(|w| words_hash(&w.hashes)).collect();
    let order = CanonicalOrder::new(&fps, &hashes);
    let fps = order.permute(fps);
    let candidates = order.spread(align::chains(&align::seeds_with(&fps, full_group), opts));
    drop(fps);
    let mut refined = Refined::new(&order);
    refined.refine(&candidates, opts, |r| words.get(order.doc(r).index()));
    refined.into_groups(opts, &order)
}

/// Documents ranked by their content (a hash of their fingerprints and of
/// all their words; the document index breaks ties between documents with
/// the same words). The passage stages run on ranks, so every choice they make
/// between documents (which pair member is `a`, which neighbour a large
/// group pairs, the order matches are refined and joined in) depends on the
/// text, not on the order of the input.
///
/// Documents with the same words (exact copies, or copies that differ in
/// spacing or punctuation) form a *class*: only its first document takes part in the
/// seeds, and [`CanonicalOrder::spread`] gives every member the chains the
/// first one has, plus chains joining the first two members (whole document
/// and each repeat inside it) and a [`align::Chain::copy`] for each member
/// past them: after refining, every member has each place the first two
/// share, matched to that place in the first. All members have the same
/// places and partners, so which copy comes first in the input changes
/// nothing, and n copies cost n chains, not n² seeds.
#[derive(Debug, Clone)]
pub struct CanonicalOrder {
    /// Rank → document.
    doc_of: Vec<DocId>,
    /// Classes of two or more documents: their ranks, and the positions of
    /// the first and last fingerprint.
    classes: Vec<Class>,
    /// First rank of a class → its index in `classes`.
    class_at: HashMap<Rank, usize>,
}

#[derive(Debug, Clone, Copy)]
struct Class {
    /// Ranks `ranks.0..ranks.1` (end exclusive).
    ranks: (Rank, Rank),
    first: u32,
    last: u32,
}

impl CanonicalOrder {
    /// The order of documents with fingerprints `fps` and [`words_hash`]es
    /// `words` (both by [`DocId`] index).
    pub fn new(fps: &[Box<[Fingerprint]>], words: &[u64]) -> CanonicalOrder {
        let mut keyed: Vec<(u64, DocId)> = fps
            .par_iter()
            .zip(words)
            .enumerate()
            .map(|(d, (f, &w))| {
                let h = f.iter().fold(w ^ f.len() as u64, |h, fp| {
                    crate::hash::fmix64(h.rotate_left(23) ^ fp.hash ^ u64::from(fp.pos))
                });
                (h, DocId::from_index(d).expect("BUG: doc id past u32"))
            })
            .collect();
        keyed.par_sort_unstable();
        let mut classes = Vec::new();
        let mut r = 0;
        while r < keyed.len() {
            let mut e = r + 1;
            while e < keyed.len() && keyed[e].0 == keyed[r].0 {
                e += 1;
            }
            let f = &fps[keyed[r].1.index()];
            if e - r > 1 && !f.is_empty() {
                let rank = |i| Rank::from_index(i).expect("BUG: rank past u32");
                classes.push(Class {
                    ranks: (rank(r), rank(e)),
                    first: f[0].pos,
                    last: f[f.len() - 1].pos,
                });
            }
            r = e;
        }
        let class_at = classes.iter().enumerate().map(|(i, c)| (c.ranks.0, i)).collect();
        CanonicalOrder { doc_of: keyed.into_iter().map(|(_, d)| d).collect(), classes, class_at }
    }

    /// The document of rank `r`.
    pub fn doc(&self, r: Rank) -> DocId {
        self.doc_of[r.index()]
    }

    /// The fingerprints (by [`DocId`] index) in rank order, to be indexed
    /// by [`Rank`]; members of a class after its first have none (see
    /// [`CanonicalOrder::spread`]).
    pub fn permute(&self, mut fps: Vec<Box<[Fingerprint]>>) -> Vec<Box<[Fingerprint]>> {
        let mut out: Vec<Box<[Fingerprint]>> =
            self.doc_of.iter().map(|&d| std::mem::take(&mut fps[d.index()])).collect();
        for c in &self.classes {
            for f in &mut out[c.ranks.0.index() + 1..c.ranks.1.index()] {
                *f = Box::default();
            }
        }
        out
    }

    /// The ranks of the class whose first rank is `r`, or `r` alone.
    fn members(&self, r: Rank) -> impl Iterator<Item = Rank> {
        let (first, end) = match self.class_at.get(&r) {
            Some(&i) => self.classes[i].ranks,
            None => (r, Rank(r.0 + 1)),
        };
        (first.0..end.0).map(Rank)
    }

    /// The chains of the classes' first documents given to every member
    /// (a chain to another document, or inside the document), chains
    /// between the first two members (the whole document, and each repeat
    /// inside it in both directions), and a copy for each member past them.
    /// Sorted by `(a, b, first)`.
    pub fn spread(&self, chains: Vec<align::Chain>) -> Vec<align::Chain> {
        if self.classes.is_empty() {
            return chains;
        }
        let mut out = Vec::with_capacity(chains.len());
        let mut inside: HashMap<Rank, Vec<align::Chain>> = HashMap::new();
        for c in chains {
            if c.a == c.b {
                if self.class_at.contains_key(&c.a) {
                    inside.entry(c.a).or_default().push(c);
                }
                out.extend(self.members(c.a).map(|x| align::Chain { a: x, b: x, ..c }));
            } else {
                out.extend(self.members(c.a).map(|x| align::Chain { a: x, ..c }));
                out.extend(self.members(c.b).skip(1).map(|y| align::Chain { b: y, ..c }));
            }
        }
        for class in &self.classes {
            let within = inside.get(&class.ranks.0).map_or(&[][..], Vec::as_slice);
            let (first, end) = (class.ranks.0, class.ranks.1);
            let pair = |f, l| align::Chain { a: first, b: Rank(first.0 + 1), first: f, last: l };
            out.push(pair((class.first, class.first), (class.last, class.last)));
            for w in within {
                out.push(pair(w.first, w.last));
                out.push(pair((w.first.1, w.first.0), (w.last.1, w.last.0)));
            }
            out.extend((first.0 + 2..end.0).map(|m| align::Chain::copy(first, Rank(m))));
        }
        out.par_sort_unstable();
        out.dedup();
        out
    }
}

/// A hash of a document's word hashes: with its fingerprints, what makes
/// two documents one class of [`CanonicalOrder`].
pub fn words_hash(words: &[u64]) -> u64 {
    words
        .iter()
        .fold(0x776f_7264 ^ words.len() as u64, |h, &w| crate::hash::fmix64(h.rotate_left(31) ^ w))
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
                    let t = texts[d.index()];
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
