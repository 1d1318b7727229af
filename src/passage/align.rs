//! Seeds from equal fingerprints, chained along diagonals, refined on the
//! real tokens into exact matches.

use rayon::prelude::*;

use super::PassageOptions;
use super::fingerprint::Fingerprint;

/// Hash groups up to this size give all their pairs as seeds; larger ones
/// (boilerplate in many documents) pair each occurrence with the first only.
pub const FULL_GROUP: usize = 8;

/// Two places whose fingerprints are equal: word `pa` of document `a` and
/// word `pb` of document `b`, with `(a, pa) < (b, pb)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Seed {
    /// First document.
    pub a: u32,
    /// Second document (`a ≤ b`).
    pub b: u32,
    /// Word position in `a`.
    pub pa: u32,
    /// Word position in `b`.
    pub pb: u32,
}

/// A match between two places, in word positions (end exclusive).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Match {
    /// First document.
    pub a: u32,
    /// Words `a_start..a_end` of `a`.
    pub a_start: u32,
    /// End of the range in `a`.
    pub a_end: u32,
    /// Second document.
    pub b: u32,
    /// Words `b_start..b_end` of `b`.
    pub b_start: u32,
    /// End of the range in `b`.
    pub b_end: u32,
}

/// All seeds of a collection (`fps[doc]` are that document's fingerprints),
/// sorted by `(a, b, pa, pb)`. O(F log F) for F fingerprints.
pub fn seeds(fps: &[Box<[Fingerprint]>]) -> Vec<Seed> {
    let mut all: Vec<(u64, u32, u32)> = fps
        .iter()
        .enumerate()
        .flat_map(|(d, f)| f.iter().map(move |fp| (fp.hash, d as u32, fp.pos)))
        .collect();
    all.par_sort_unstable();
    let groups: Vec<&[(u64, u32, u32)]> =
        all.chunk_by(|x, y| x.0 == y.0).filter(|g| g.len() > 1).collect();
    let mut out: Vec<Seed> = groups
        .par_iter()
        .flat_map_iter(|g| {
            let mut s = Vec::new();
            let seed = |x: &(u64, u32, u32), y: &(u64, u32, u32)| Seed {
                a: x.1,
                b: y.1,
                pa: x.2,
                pb: y.2,
            };
            if g.len() <= FULL_GROUP {
                for i in 0..g.len() {
                    for j in i + 1..g.len() {
                        s.push(seed(&g[i], &g[j]));
                    }
                }
            } else {
                s.extend(g[1..].iter().map(|y| seed(&g[0], y)));
            }
            s
        })
        .collect();
    out.par_sort_unstable();
    out
}

#[derive(Debug, Clone, Copy)]
struct Chain {
    a0: u32,
    b0: u32,
    a1: u32,
    b1: u32,
    seeds: u32,
}

impl Chain {
    /// Whether a seed on diagonal `diag` continues the chain: the shift from
    /// the chain's last seed and the drift from its first seed may each be
    /// 3 words, plus one in ten words of the chain so far, at most 20. So a
    /// changed or inserted word never splits a passage, and a long passage
    /// survives an inserted heading or photo caption in one copy.
    fn accepts(&self, diag: i64) -> bool {
        let start = i64::from(self.b0) - i64::from(self.a0);
        let last = i64::from(self.b1) - i64::from(self.a1);
        let slack = (3 + i64::from(self.a1 - self.a0) / 10).min(20);
        (last - diag).abs() <= slack && (start - diag).abs() <= slack
    }
}

/// Chains seeds of one document pair (sorted by `pa`) along their diagonal:
/// a seed continues a chain if it lies after it, within `max_gap` words
/// (plus the shift), and its diagonal is close (see `Chain::accepts`). Only
/// chains of two or more seeds are returned, as `(a0, a_last, b0, b_last)`.
fn chain_pair(seeds: &[Seed], max_gap: u32, out: &mut Vec<(u32, u32, u32, u32)>) {
    const MAX_OPEN: usize = 256;
    let mut open: Vec<Chain> = Vec::new();
    let finish = |c: &Chain, out: &mut Vec<(u32, u32, u32, u32)>| {
        if c.seeds >= 2 {
            out.push((c.a0, c.a1, c.b0, c.b1));
        }
    };
    for s in seeds {
        let mut i = 0;
        while i < open.len() {
            if s.pa - open[i].a1 > max_gap + 20 {
                let c = open.swap_remove(i);
                finish(&c, out);
            } else {
                i += 1;
            }
        }
        let diag = i64::from(s.pb) - i64::from(s.pa);
        let best = open
            .iter()
            .enumerate()
            .filter(|(_, c)| s.pa > c.a1 && s.pb > c.b1 && c.accepts(diag))
            .map(|(i, c)| (((i64::from(c.b1) - i64::from(c.a1)) - diag).abs(), i))
            .min();
        match best {
            Some((_, i)) => {
                let c = &mut open[i];
                c.a1 = s.pa;
                c.b1 = s.pb;
                c.seeds += 1;
            }
            None => {
                if open.len() == MAX_OPEN {
                    let c = open.remove(0);
                    finish(&c, out);
                }
                open.push(Chain { a0: s.pa, b0: s.pb, a1: s.pa, b1: s.pb, seeds: 1 });
            }
        }
    }
    // Deterministic order of the last chains: as they were opened.
    open.sort_by_key(|c| (c.a0, c.b0));
    for c in &open {
        finish(c, out);
    }
}

/// Candidate matches (word ranges before refinement) from sorted seeds:
/// chains of at least two seeds, each range widened by the k words of its
/// last fingerprint. Sorted and unique.
pub fn chains(seeds: &[Seed], opts: &PassageOptions) -> Vec<Match> {
    let k = opts.k as u32;
    let pairs: Vec<&[Seed]> = seeds.chunk_by(|x, y| (x.a, x.b) == (y.a, y.b)).collect();
    let mut out: Vec<Match> = pairs
        .par_iter()
        .flat_map_iter(|group| {
            let mut raw = Vec::new();
            let mut sorted = group.to_vec();
            sorted.sort_by_key(|s| (s.pa, s.pb));
            chain_pair(&sorted, opts.max_gap(), &mut raw);
            let (a, b) = (group[0].a, group[0].b);
            raw.into_iter().map(move |(a0, a1, b0, b1)| Match {
                a,
                a_start: a0,
                a_end: a1 + k,
                b,
                b_start: b0,
                b_end: b1 + k,
            })
        })
        .collect();
    out.par_sort_unstable();
    out.dedup();
    out
}

/// Words that must agree after a skipped word for extension to go on.
const CONFIRM: u32 = 4;

/// Skips tried at a mismatch: a changed word, a word inserted in `b`, a
/// word inserted in `a`.
const SKIPS: [(u32, u32); 3] = [(1, 1), (0, 1), (1, 0)];

fn agree(ta: &[u64], a: u32, tb: &[u64], b: u32, n: u32) -> bool {
    let (a, b, n) = (a as usize, b as usize, n as usize);
    a + n <= ta.len() && b + n <= tb.len() && ta[a..a + n] == tb[b..b + n]
}

/// Extends the start of `r` backwards while the words agree, stepping over
/// one changed, inserted or deleted word when the `CONFIRM` words before it
/// agree again. Within one document, `b` never reaches back into `a`.
fn extend_left(r: &mut Match, ta: &[u64], tb: &[u64], same: bool) {
    loop {
        while r.a_start > 0
            && r.b_start > 0
            && ta[r.a_start as usize - 1] == tb[r.b_start as usize - 1]
            && !(same && r.b_start - 1 < r.a_end)
        {
            r.a_start -= 1;
            r.b_start -= 1;
        }
        let skip = SKIPS.iter().find_map(|&(da, db)| {
            let a = r.a_start.checked_sub(da + CONFIRM)?;
            let b = r.b_start.checked_sub(db + CONFIRM)?;
            (agree(ta, a, tb, b, CONFIRM) && !(same && b < r.a_end)).then_some((a, b))
        });
        match skip {
            Some((a, b)) => {
                r.a_start = a;
                r.b_start = b;
            }
            None => return,
        }
    }
}

/// Extends the end of `r` forwards, as [`extend_left`] does backwards.
/// Within one document, `a` never reaches into `b`.
fn extend_right(r: &mut Match, ta: &[u64], tb: &[u64], same: bool) {
    loop {
        while (r.a_end as usize) < ta.len()
            && (r.b_end as usize) < tb.len()
            && ta[r.a_end as usize] == tb[r.b_end as usize]
            && !(same && r.a_end + 1 > r.b_start)
        {
            r.a_end += 1;
            r.b_end += 1;
        }
        let skip = SKIPS.iter().find_map(|&(da, db)| {
            let (a, b) = (r.a_end + da, r.b_end + db);
            (agree(ta, a, tb, b, CONFIRM) && !(same && a + CONFIRM > r.b_start))
                .then_some((a + CONFIRM, b + CONFIRM))
        });
        match skip {
            Some((a, b)) => {
                r.a_end = a;
                r.b_end = b;
            }
            None => return,
        }
    }
}

/// Refines a candidate on the documents' word hashes `ta` and `tb` (the
/// same slice when `a == b`): extends both ends word by word while the words
/// agree (stepping over single changed or inserted words that are followed
/// by four agreeing ones), keeps two occurrences in one document from
/// overlapping, and
/// returns the match if both sides are at least `min_words` long.
pub fn refine(m: &Match, ta: &[u64], tb: &[u64], min_words: usize) -> Option<Match> {
    let (na, nb) = (ta.len() as u32, tb.len() as u32);
    let mut r = *m;
    r.a_end = r.a_end.min(na);
    r.b_end = r.b_end.min(nb);
    let same = r.a == r.b;
    if same {
        if r.b_start <= r.a_start {
            return None;
        }
        // Keep the two sides aligned: what a loses at its end, b loses too.
        let cut = r.a_end.saturating_sub(r.b_start);
        r.a_end -= cut;
        r.b_end = r.b_end.saturating_sub(cut);
    }
    if r.a_start >= r.a_end || r.b_start >= r.b_end {
        return None;
    }
    // The ends come from fingerprints, which may be chance collisions:
    // require that the first and last words agree before extending.
    if ta[r.a_start as usize] != tb[r.b_start as usize] {
        return None;
    }
    extend_left(&mut r, ta, tb, same);
    extend_right(&mut r, ta, tb, same);
    // Trim mismatching words at the ends (a chain's last window may end in a
    // changed word when the edit shifted the diagonal).
    while r.a_end > r.a_start
        && r.b_end > r.b_start
        && ta[r.a_end as usize - 1] != tb[r.b_end as usize - 1]
    {
        r.a_end -= 1;
        r.b_end -= 1;
    }
    let len = (r.a_end - r.a_start).min(r.b_end - r.b_start) as usize;
    (len >= min_words).then_some(r)
}

/// Joins refined matches of the same two documents that follow each other
/// on both sides (overlapping or within `gap` words): two halves of one
/// passage that a long insertion in one copy, such as a heading, split.
/// Within one document the joined occurrences still do not overlap. The
/// result is sorted and unique.
pub fn join_adjacent(mut matches: Vec<Match>, gap: u32) -> Vec<Match> {
    matches.sort_by_key(|m| (m.a, m.b, m.a_start, m.b_start, m.a_end, m.b_end));
    let mut out: Vec<Match> = Vec::with_capacity(matches.len());
    for m in matches {
        if let Some(last) = out.last_mut() {
            let follows = last.a == m.a
                && last.b == m.b
                && m.a_start <= last.a_end + gap
                && m.b_start <= last.b_end + gap
                && m.a_start >= last.a_start
                && m.b_start >= last.b_start;
            let a_end = last.a_end.max(m.a_end);
            if follows && (m.a != m.b || a_end <= last.b_start) {
                last.a_end = a_end;
                last.b_end = last.b_end.max(m.b_end);
                continue;
            }
        }
        out.push(m);
    }
    out.sort_unstable();
    out.dedup();
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::passage::fingerprint::fingerprints;

    fn fps_of(docs: &[Vec<u64>], o: &PassageOptions) -> Vec<Box<[Fingerprint]>> {
        let mut scratch = Vec::new();
        docs.iter()
            .map(|d| fingerprints(d, o.k, o.window(), 0, &mut scratch).into_boxed_slice())
            .collect()
    }

    fn run(docs: &[Vec<u64>], o: &PassageOptions) -> Vec<Match> {
        let fps = fps_of(docs, o);
        let mut out: Vec<Match> = chains(&seeds(&fps), o)
            .iter()
            .filter_map(|m| refine(m, &docs[m.a as usize], &docs[m.b as usize], o.min_words))
            .collect();
        out = join_adjacent(out, o.max_gap());
        out
    }

    /// Words 1000.. are unique filler; planted runs use 1..1000.
    fn filler(seed: u64, n: usize) -> Vec<u64> {
        (0..n as u64).map(|i| 1_000_000 + seed * 10_000 + i).collect()
    }

    #[test]
    fn planted_run_across_documents_has_exact_ends() {
        let o = PassageOptions::default();
        let passage: Vec<u64> = (1..=40).collect();
        let mut a = filler(1, 30);
        a.extend(&passage);
        a.extend(filler(2, 30));
        let mut b = filler(3, 7);
        b.extend(&passage);
        b.extend(filler(4, 50));
        let got = run(&[a, b], &o);
        assert_eq!(got, vec![Match { a: 0, a_start: 30, a_end: 70, b: 1, b_start: 7, b_end: 47 }]);
    }

    #[test]
    fn a_changed_word_does_not_split_a_long_passage() {
        let o = PassageOptions::default();
        let passage: Vec<u64> = (1..=100).collect();
        let mut edited = passage.clone();
        edited[50] = 999; // changed word
        edited.insert(70, 998); // inserted word
        let mut a = filler(1, 10);
        a.extend(&passage);
        let mut b = filler(2, 10);
        b.extend(&edited);
        let got = run(&[a, b], &o);
        assert_eq!(got.len(), 1, "{got:?}");
        assert_eq!(
            (got[0].a_start, got[0].a_end, got[0].b_start, got[0].b_end),
            (10, 110, 10, 111)
        );
    }

    #[test]
    fn a_heading_in_one_copy_does_not_split_the_passage() {
        let o = PassageOptions::default();
        let body: Vec<u64> = (1..=120).collect();
        // Copy one has a 12-word heading after word 50 that copy two lacks.
        let mut one = body[..50].to_vec();
        one.extend(500..512);
        one.extend(&body[50..]);
        let mut d = one.clone();
        d.extend(filler(1, 3));
        let second = d.len() as u32;
        d.extend(&body);
        let got = run(&[d], &o);
        assert_eq!(got.len(), 1, "{got:?}");
        assert_eq!((got[0].a_start, got[0].a_end), (0, 132));
        assert_eq!((got[0].b_start, got[0].b_end), (second, second + 120));
    }

    #[test]
    fn an_edit_near_the_end_does_not_cut_the_tail() {
        let o = PassageOptions::default();
        let passage: Vec<u64> = (1..=40).collect();
        let mut edited = passage.clone();
        edited[34] = 999; // five words from the end: too few for a fingerprint
        edited[4] = 998; // and four words after the start
        let mut a = filler(1, 10);
        a.extend(&passage);
        a.extend(filler(2, 10));
        let mut b = filler(3, 10);
        b.extend(&edited);
        b.extend(filler(4, 10));
        let got = run(&[a, b], &o);
        assert_eq!(got, vec![Match { a: 0, a_start: 10, a_end: 50, b: 1, b_start: 10, b_end: 50 }]);
    }

    #[test]
    fn within_one_document_occurrences_do_not_overlap() {
        let o = PassageOptions::default();
        let body: Vec<u64> = (1..=30).collect();
        let mut d = body.clone();
        d.extend(filler(1, 5));
        d.extend(&body);
        let got = run(&[d], &o);
        assert_eq!(got, vec![Match { a: 0, a_start: 0, a_end: 30, b: 0, b_start: 35, b_end: 65 }]);
        // Periodic text: "x y x y ...": the two occurrences split it in half at most.
        let periodic: Vec<u64> = (0..100).map(|i| i % 2).collect();
        for m in run(&[periodic], &o) {
            assert!(m.a_end <= m.b_start, "{m:?}");
        }
    }

    #[test]
    fn short_shared_phrases_are_not_passages() {
        let o = PassageOptions::default();
        let phrase: Vec<u64> = (1..=12).collect();
        let mut a = filler(1, 40);
        a.splice(10..10, phrase.clone());
        let mut b = filler(2, 40);
        b.splice(20..20, phrase);
        assert!(run(&[a, b], &o).is_empty());
    }

    mod props {
        use super::*;
        use proptest::prelude::*;

        /// Naive twin: the longest common run of words between two documents,
        /// by dynamic programming over all position pairs.
        fn longest_common_run(a: &[u64], b: &[u64]) -> usize {
            let mut best = 0;
            let mut prev = vec![0usize; b.len() + 1];
            for i in 1..=a.len() {
                let mut cur = vec![0usize; b.len() + 1];
                for j in 1..=b.len() {
                    if a[i - 1] == b[j - 1] {
                        cur[j] = prev[j - 1] + 1;
                        best = best.max(cur[j]);
                    }
                }
                prev = cur;
            }
            best
        }

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(64))]
            /// Two documents over a tiny vocabulary with a planted run: the
            /// fast path finds a match whenever the naive longest common run
            /// is at least min_words, every match it reports is an exact run
            /// of equal words at its ends, and none is shorter than min_words.
            #[test]
            fn agrees_with_naive_longest_run(
                a in prop::collection::vec(0u64..4, 0..80),
                b in prop::collection::vec(0u64..4, 0..80),
                plant in 0usize..40,
            ) {
                let o = PassageOptions::default();
                let run_words: Vec<u64> = (100..100 + plant as u64).collect();
                let mut a = a;
                let at = a.len() / 2;
                a.splice(at..at, run_words.iter().copied());
                let mut b = b;
                let bt = b.len() / 3;
                b.splice(bt..bt, run_words.iter().copied());
                let got = run(&[a.clone(), b.clone()], &o);
                let across: Vec<&Match> = got.iter().filter(|m| m.a != m.b).collect();
                let naive = longest_common_run(&a, &b);
                if naive >= o.min_words {
                    prop_assert!(!across.is_empty(), "naive run {naive} missed");
                }
                for m in &across {
                    let len = (m.a_end - m.a_start).min(m.b_end - m.b_start) as usize;
                    prop_assert!(len >= o.min_words);
                    prop_assert_eq!(a[m.a_start as usize], b[m.b_start as usize]);
                    prop_assert_eq!(a[m.a_end as usize - 1], b[m.b_end as usize - 1]);
                }
            }
        }
    }
}
