//! Seeds from equal fingerprints, chained along exact diagonals, refined on
//! the real tokens into exact matches, one copy per occurrence.
//!
//! No step drops work past a size limit, and no step depends on the order of
//! the documents (ties are broken by document index only where the places
//! tied are interchangeable):
//!
//! - A fingerprint shared by at most [`FULL_GROUP`] places gives all their
//!   pairs as seeds. A larger group (boilerplate in thousands of documents, a
//!   sentence pasted thousands of times) is sorted by the fingerprints around
//!   each place, as a suffix array sorts suffixes, and only neighbours in
//!   that order become seeds: places that share a long context are
//!   neighbours, or joined through neighbours that share at least as much,
//!   so every passage keeps seeds between its copies at the cost of one seed
//!   per place.
//! - Seeds of one document pair are chained along their exact diagonal (no
//!   open-chain limit); the refinement steps over small edits instead.
//! - A chain is refined from a seed, never from its ends: extension follows
//!   the real alignment, so a match never joins two copies that only lie
//!   near each other. Seeds that an earlier match of the pair already
//!   explains are not refined again, so a pair costs time linear in its words.
//! - Inside one document, text that repeats with a period shorter than its
//!   length (a sentence pasted many times back to back) is a *tandem*: it is
//!   cut into copies of one period (rounded up to the shortest passage),
//!   starting where the repetition starts, and consecutive copies are matched.

use rayon::prelude::*;

use super::PassageOptions;
use super::fingerprint::Fingerprint;
use crate::hash::fmix64;
use crate::ids::Rank;

/// Hash groups up to this size give all their pairs as seeds; larger ones
/// give the neighbours of a context sort (see the module docs).
pub const FULL_GROUP: usize = 8;

/// Two places whose fingerprints are equal: word `pa` of document `a` and
/// word `pb` of document `b` (documents by [`Rank`]), with
/// `(a, pa) < (b, pb)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Seed {
    /// First document.
    pub a: Rank,
    /// Second document (`a ≤ b`).
    pub b: Rank,
    /// Word position in `a`.
    pub pa: u32,
    /// Word position in `b`.
    pub pb: u32,
    /// Chosen by the context sort of a large group: neighbours pair
    /// differently at each fingerprint of a passage, so such a seed is a
    /// candidate on its own.
    pub strong: bool,
}

impl Seed {
    fn diag(&self) -> i64 {
        i64::from(self.pb) - i64::from(self.pa)
    }
}

/// A match between two places, in word positions (end exclusive);
/// documents by [`Rank`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Match {
    /// First document.
    pub a: Rank,
    /// Words `a_start..a_end` of `a`.
    pub a_start: u32,
    /// End of the range in `a`.
    pub a_end: u32,
    /// Second document.
    pub b: Rank,
    /// Words `b_start..b_end` of `b`.
    pub b_start: u32,
    /// End of the range in `b`.
    pub b_end: u32,
}

impl Match {
    /// The same match with the sides' ranges swapped (the documents stay):
    /// for two documents with the same words, what one side found the
    /// other has too.
    fn mirrored(&self) -> Match {
        Match {
            a_start: self.b_start,
            a_end: self.b_end,
            b_start: self.a_start,
            b_end: self.a_end,
            ..*self
        }
    }
}

/// Seeds of one document pair on one diagonal, each within the chaining gap
/// of the one before: a candidate for refinement. Documents by [`Rank`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Chain {
    /// First document.
    pub a: Rank,
    /// Second document (`a ≤ b`).
    pub b: Rank,
    /// First seed, `(position in a, position in b)`.
    pub first: (u32, u32),
    /// Last seed.
    pub last: (u32, u32),
}

impl Chain {
    /// Not a chain of seeds: `b` has the same words as `a`, the first
    /// document of its class, and takes the places `a` shares with the
    /// class's second document (see [`crate::passage::CanonicalOrder`]).
    pub fn copy(a: Rank, b: Rank) -> Chain {
        Chain { a, b, first: (u32::MAX, u32::MAX), last: (u32::MAX, u32::MAX) }
    }

    /// Whether this is a [`Chain::copy`].
    pub fn is_copy(&self) -> bool {
        self.first == (u32::MAX, u32::MAX)
    }
}

/// In the context sort of a large group, each place is paired with this
/// many places after it. Two (a copy with an edit then rarely has only
/// edited partners) found all the text of the all-pairs twin on the test
/// collection where one found 99.5 %, but cost half again as much time on
/// collections where every sentence recurs in hundreds of documents.
const NEIGHBOURS: usize = 1;

/// Context depths (in fingerprints, each side) hashed into the sort key of a
/// place in a large group.
const DEPTHS: [usize; 4] = [1, 2, 4, 8];

/// Words of a context key: the depths after, then before.
const KEY: usize = 2 * DEPTHS.len();

/// Sort key of fingerprint `i` of `f`: hashes of the 1, 2, 4 and 8
/// fingerprints after it, then before it (each with its distance in words),
/// so that sorting by the key puts places with longer shared contexts next to
/// each other.
fn context_key(f: &[Fingerprint], i: usize) -> [u64; KEY] {
    let mut key = [0u64; KEY];
    let here = f[i].pos;
    for (side, slot) in [(1i64, 0usize), (-1, DEPTHS.len())] {
        let mut acc: u64 = 0x6374_7874;
        let mut depth = 0;
        for (n, &d) in DEPTHS.iter().enumerate() {
            while depth < d {
                depth += 1;
                let j = i as i64 + side * depth as i64;
                if j < 0 || j as usize >= f.len() {
                    acc = fmix64(acc ^ 0xe0d);
                    depth = d;
                    break;
                }
                let fp = f[j as usize];
                let dist = u64::from(fp.pos.abs_diff(here));
                acc = fmix64(acc.rotate_left(17) ^ fp.hash ^ dist.wrapping_mul(0x9e37_79b9));
            }
            key[slot + n] = acc;
        }
    }
    key
}

/// All seeds of a collection (`fps[rank]` are the fingerprints of the
/// document of that [`Rank`]),
/// sorted by `(a, b, pa, pb)`; groups over [`FULL_GROUP`] places use the
/// context sort. O(F log F) for F fingerprints.
pub fn seeds(fps: &[Box<[Fingerprint]>]) -> Vec<Seed> {
    seeds_with(fps, FULL_GROUP)
}

/// [`seeds`] with another all-pairs limit (`usize::MAX`: all pairs of every
/// group, the naive twin of the tests).
pub fn seeds_with(fps: &[Box<[Fingerprint]>], full_group: usize) -> Vec<Seed> {
    let mut all: Vec<(u64, Rank, u32)> = fps
        .iter()
        .enumerate()
        .flat_map(|(d, f)| {
            let d = Rank::from_index(d).expect("BUG: rank past u32");
            (0..f.len()).map(move |i| (f[i].hash, d, i as u32))
        })
        .collect();
    all.par_sort_unstable();
    let groups: Vec<&[(u64, Rank, u32)]> =
        all.chunk_by(|x, y| x.0 == y.0).filter(|g| g.len() > 1).collect();
    let seed = |x: (Rank, u32), y: (Rank, u32)| {
        let px = (x.0, fps[x.0.index()][x.1 as usize].pos);
        let py = (y.0, fps[y.0.index()][y.1 as usize].pos);
        let (p, q) = if px <= py { (px, py) } else { (py, px) };
        Seed { a: p.0, b: q.0, pa: p.1, pb: q.1, strong: false }
    };
    let mut out: Vec<Seed> = groups
        .par_iter()
        .flat_map_iter(|g| {
            let mut s = Vec::new();
            if g.len() <= full_group {
                for i in 0..g.len() {
                    for j in i + 1..g.len() {
                        s.push(seed((g[i].1, g[i].2), (g[j].1, g[j].2)));
                    }
                }
            } else {
                let mut keyed: Vec<([u64; KEY], Rank, u32)> = g
                    .iter()
                    .map(|&(_, d, i)| (context_key(&fps[d.index()], i as usize), d, i))
                    .collect();
                keyed.sort_unstable();
                for step in 1..=NEIGHBOURS {
                    s.extend(
                        keyed
                            .iter()
                            .zip(&keyed[step.min(keyed.len())..])
                            .map(|(x, y)| Seed { strong: true, ..seed((x.1, x.2), (y.1, y.2)) }),
                    );
                }
            }
            s
        })
        .collect();
    out.par_sort_unstable();
    // The same two places from two groups: one seed, strong if either is.
    out.dedup_by(|later, kept| {
        let same = (later.a, later.b, later.pa, later.pb) == (kept.a, kept.b, kept.pa, kept.pb);
        if same {
            kept.strong |= later.strong;
        }
        same
    });
    out
}

/// Chains of sorted seeds: per document pair, seeds on the same diagonal
/// with at most `max_gap` words between neighbours. A chain needs two seeds
/// (one shared window is too little to be a passage; two places sharing
/// `min_words` words share two fingerprints), or one strong seed (see
/// [`Seed::strong`]). Sorted by `(a, b, first)`.
pub fn chains(seeds: &[Seed], opts: &PassageOptions) -> Vec<Chain> {
    let gap = opts.max_gap();
    let pairs: Vec<&[Seed]> = seeds.chunk_by(|x, y| (x.a, x.b) == (y.a, y.b)).collect();
    let mut out: Vec<Chain> = pairs
        .par_iter()
        .flat_map_iter(|group| {
            let mut s = group.to_vec();
            s.sort_unstable_by_key(|s| (s.diag(), s.pa));
            let mut res = Vec::new();
            let mut i = 0;
            while i < s.len() {
                let mut j = i;
                while j + 1 < s.len()
                    && s[j + 1].diag() == s[i].diag()
                    && s[j + 1].pa - s[j].pa <= gap
                {
                    j += 1;
                }
                if j > i || s[i].strong {
                    res.push(Chain {
                        a: s[i].a,
                        b: s[i].b,
                        first: (s[i].pa, s[i].pb),
                        last: (s[j].pa, s[j].pb),
                    });
                }
                i = j + 1;
            }
            res
        })
        .collect();
    out.par_sort_unstable();
    out
}

/// Words that must agree after a skipped word for extension to go on.
const CONFIRM: u32 = 4;

/// How far (in words) a seed may lie off a match's diagonal and still count
/// as explained by it (the edits the refinement steps over shift it).
const SLACK: i64 = 20;

fn agree(ta: &[u64], a: u32, tb: &[u64], b: u32, n: u32) -> bool {
    let (a, b, n) = (a as usize, b as usize, n as usize);
    a + n <= ta.len() && b + n <= tb.len() && ta[a..a + n] == tb[b..b + n]
}

/// Of the skips at a mismatch (a changed word, a word inserted in `b`, a word
/// inserted in `a`), the one that `ok` accepts: the changed word first; an
/// insertion only across documents, and only when the other side's insertion
/// does not fit too, so the result is the same whichever document is `a`.
fn pick_skip(ok: impl Fn(u32, u32) -> bool, same: bool) -> Option<(u32, u32)> {
    if ok(1, 1) {
        return Some((1, 1));
    }
    // Inside one document an insertion would move the match onto the
    // diagonal of another copy (two copies of P and one more after a
    // unique word): there, only changed words are stepped over.
    if same {
        return None;
    }
    match (ok(0, 1), ok(1, 0)) {
        (true, false) => Some((0, 1)),
        (false, true) => Some((1, 0)),
        _ => None,
    }
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
        let ok = |da: u32, db: u32| {
            let (Some(a), Some(b)) =
                (r.a_start.checked_sub(da + CONFIRM), r.b_start.checked_sub(db + CONFIRM))
            else {
                return false;
            };
            agree(ta, a, tb, b, CONFIRM) && !(same && b < r.a_end)
        };
        match pick_skip(ok, same) {
            Some((da, db)) => {
                r.a_start -= da + CONFIRM;
                r.b_start -= db + CONFIRM;
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
        let ok = |da: u32, db: u32| {
            let (a, b) = (r.a_end + da, r.b_end + db);
            agree(ta, a, tb, b, CONFIRM) && !(same && a + CONFIRM > r.b_start)
        };
        match pick_skip(ok, same) {
            Some((da, db)) => {
                r.a_end += da + CONFIRM;
                r.b_end += db + CONFIRM;
            }
            None => return,
        }
    }
}

/// Whether word `i` repeats `d` words later.
fn in_step(t: &[u64], i: usize, d: usize) -> bool {
    t[i] == t[i + d]
}

/// The largest `[s, e)` around `[lo, hi)` with `t[i] == t[i + d]` for every
/// `i` in it, stepping over single mismatches confirmed by `CONFIRM` agreeing
/// positions beyond them.
fn periodic_run(t: &[u64], d: usize, lo: usize, hi: usize) -> (usize, usize) {
    let c = CONFIRM as usize;
    let mut s = lo;
    loop {
        while s > 0 && in_step(t, s - 1, d) {
            s -= 1;
        }
        if s > c && (s - 1 - c..s - 1).all(|i| in_step(t, i, d)) {
            s -= 1 + c;
        } else {
            break;
        }
    }
    let mut e = hi;
    loop {
        while e + d < t.len() && in_step(t, e, d) {
            e += 1;
        }
        if e + 1 + c + d <= t.len() && (e + 1..e + 1 + c).all(|i| in_step(t, i, d)) {
            e += 1 + c;
        } else {
            break;
        }
    }
    (s, e)
}

/// A repetition with period `p` over words `s..end` of one document, cut
/// into copies of `unit` words (see [`Tandem::part_around`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tandem {
    s: u32,
    end: u32,
    p: u32,
    unit: u32,
    /// Where the first whole copy starts (`s`, or later when the words
    /// left over go before the copies).
    first: u32,
}

impl Tandem {
    /// The tandem of period `d` (or a divisor of it) through the run
    /// `[s, e)` of `t[i] == t[i + d]`.
    fn new(t: &[u64], s: usize, e: usize, d: usize, min_words: usize) -> Tandem {
        let end = e + d;
        // The shortest period dividing d that the whole region keeps.
        let p = (1..d)
            .filter(|q| d % q == 0)
            .find(|&q| {
                let (s2, e2) = periodic_run(t, q, s, s);
                s2 <= s && e2 + q >= end
            })
            .unwrap_or(d);
        let unit = (p * min_words.div_ceil(p)) as u32;
        let (s, end) = (s as u32, end as u32);
        let rest = (end - s) % unit;
        let first = if rest as usize >= min_words { s } else { s + rest };
        Tandem { s, end, p: p as u32, unit, first }
    }

    /// The part between two copy boundaries that holds word `pos`: the
    /// boundaries are where one copy ends and the next begins, so the first
    /// copy's part reaches back to the start of everything and the last
    /// one's to the end (text around a repetition stays with the copy it
    /// touches).
    pub fn part_around(&self, pos: u32) -> (u32, u32) {
        let cuts = self.copies();
        // Boundaries first + j * unit for j in 1..=cuts, below `end`.
        let last = (1..=cuts).rev().map(|j| self.first + j * self.unit).find(|&c| c < self.end);
        let Some(last) = last else { return (0, u32::MAX) };
        if pos < self.first + self.unit {
            return (0, self.first + self.unit);
        }
        if pos >= last {
            return (last, u32::MAX);
        }
        let j = (pos - self.first) / self.unit;
        (self.first + j * self.unit, self.first + (j + 1) * self.unit)
    }

    fn copies(&self) -> u32 {
        (self.end - self.s) / self.unit
    }

    /// Consecutive copies as matches of document `doc` (by rank), all of
    /// one length.
    /// Words left over after the last whole copy: if they are a passage
    /// themselves (`X M X M X` with period `X M`), they are matched with the
    /// start of the first copy; if fewer (text before the first copy that
    /// happens to end like every copy), the copies are counted back from the
    /// end and the words before the first are left out.
    fn matches(&self, doc: Rank, min_words: u32, out: &mut Vec<Match>) {
        let n = self.copies();
        let rest = self.end - self.s - n * self.unit;
        let first = self.first;
        for j in 0..n.saturating_sub(1) {
            let at = first + j * self.unit;
            out.push(Match {
                a: doc,
                a_start: at,
                a_end: at + self.unit,
                b: doc,
                b_start: at + self.unit,
                b_end: at + 2 * self.unit,
            });
        }
        if n >= 1 && rest >= min_words {
            let tail = self.s + n * self.unit;
            out.push(Match {
                a: doc,
                a_start: self.s,
                a_end: self.s + rest,
                b: doc,
                b_start: tail,
                b_end: self.end,
            });
        }
    }
}

/// What refining one seed gave: an alignment (kept if long enough), or a
/// tandem repetition.
#[derive(Debug, Clone, Copy)]
enum Extent {
    Plain(Match),
    Tandem(Tandem),
}

impl Extent {
    /// Last word (exclusive) in `a` this extent can explain.
    fn end_a(&self) -> u32 {
        match self {
            Extent::Plain(m) => m.a_end,
            Extent::Tandem(t) => t.end,
        }
    }

    /// Whether the seed `(pa, pb)` lies on this extent (refining it again
    /// would find the same).
    fn covers(&self, pa: u32, pb: u32) -> bool {
        match self {
            Extent::Plain(m) => {
                (m.a_start..m.a_end).contains(&pa)
                    && (m.b_start..m.b_end).contains(&pb)
                    && ((i64::from(pb) - i64::from(m.b_start))
                        - (i64::from(pa) - i64::from(m.a_start)))
                    .abs()
                        <= SLACK
            }
            Extent::Tandem(t) => t.s <= pa && pb < t.end && (pb - pa) % t.p == 0,
        }
    }
}

/// The first place past a plain extent, on the diagonal of its end and
/// before word `until` of `a`, where `k` words of both sides agree: where
/// refining goes on along a chain. `None` for a tandem or if there is none.
fn next_agreement(x: &Extent, until: u32, ta: &[u64], tb: &[u64], k: u32) -> Option<(u32, u32)> {
    let Extent::Plain(m) = x else { return None };
    let (mut pa, mut pb) = (m.a_end, m.b_end);
    while pa < until {
        if agree(ta, pa, tb, pb, k) {
            return Some((pa, pb));
        }
        if pb as usize + k as usize > tb.len() {
            return None;
        }
        pa += 1;
        pb += 1;
    }
    None
}

/// Refines the seed `(pa, pb)` of documents `a`, `b` (by rank; words `ta`, `tb`; the
/// same slice when `a == b`): `None` if its window's words differ (a hash
/// collision).
fn refine_seed(
    (a, b): (Rank, Rank),
    (pa, pb): (u32, u32),
    ta: &[u64],
    tb: &[u64],
    opts: &PassageOptions,
) -> Option<Extent> {
    let k = opts.k as u32;
    if !agree(ta, pa, tb, pb, k) {
        return None;
    }
    let same = a == b;
    if same {
        let d = (pb - pa) as usize;
        let (s, e) = periodic_run(ta, d, pa as usize, pa as usize + 1);
        if e - s >= d {
            return Some(Extent::Tandem(Tandem::new(ta, s, e, d, opts.min_words)));
        }
    }
    let mut r = Match { a, a_start: pa, a_end: pa + k, b, b_start: pb, b_end: pb + k };
    extend_left(&mut r, ta, tb, same);
    extend_right(&mut r, ta, tb, same);
    Some(Extent::Plain(r))
}

/// Cuts a match between two documents at the copy boundaries of each
/// side's tandems, to the part that holds its seed, moving both sides alike.
fn clip_to_copies(m: &mut Match, (pa, pb): (u32, u32), (in_a, in_b): (&[Tandem], &[Tandem])) {
    let cut = |pos: u32, range: (u32, u32), t: &Tandem| -> (u32, u32) {
        let (start, end) = range;
        if end <= t.s || start >= t.end {
            return (0, 0);
        }
        let (lo, hi) = t.part_around(pos);
        (lo.saturating_sub(start), end.saturating_sub(hi))
    };
    for (side_a, pos, ts) in [(true, pa, in_a), (false, pb, in_b)] {
        for t in ts {
            let range = if side_a { (m.a_start, m.a_end) } else { (m.b_start, m.b_end) };
            let (front, back) = cut(pos, range, t);
            let (len_a, len_b) = (m.a_end - m.a_start, m.b_end - m.b_start);
            if front + back >= len_a.min(len_b) {
                m.a_end = m.a_start;
                m.b_end = m.b_start;
                return;
            }
            m.a_start += front;
            m.b_start += front;
            m.a_end -= back;
            m.b_end -= back;
        }
    }
}

/// Refines the chains of one document pair (sorted by first seed) on the
/// documents' word hashes `ta` and `tb` (the same slice when `a == b`),
/// pushing every match of at least `min_words` words to `out`. Each chain is
/// refined from its first seed, and from its last unless the first's match
/// explains it; seeds an earlier match explains are skipped.
///
/// Inside one document, the tandems found are pushed to `found`. Across
/// documents, `known` holds those of `a` and of `b`: a match is cut at
/// their copies, so an occurrence never holds two copies of a passage
/// repeated back to back (two such documents align on many shifted
/// diagonals otherwise).
pub fn refine_pair(
    chains: &[Chain],
    ta: &[u64],
    tb: &[u64],
    opts: &PassageOptions,
    known: (&[Tandem], &[Tandem]),
    found: &mut Vec<Tandem>,
    out: &mut Vec<Match>,
) {
    let mut tried: Vec<Extent> = Vec::new();
    let from = out.len();
    // Inside one document, tandems first: a seed between far copies of a
    // sentence pasted many times is explained by the repetition, whichever
    // seed comes first.
    // Each tandem with its first word; `active` holds those that may still
    // cover a seed (chains come by first seed).
    let mut tandems: Vec<(u32, Extent)> = Vec::new();
    if chains.first().is_some_and(|c| c.a == c.b) {
        let mut active: Vec<Extent> = Vec::new();
        for c in chains {
            let (pa, pb) = c.first;
            active.retain(|t| t.end_a() > pa);
            if active.iter().any(|t| t.covers(pa, pb)) || !agree(ta, pa, tb, pb, opts.k as u32) {
                continue;
            }
            let d = (pb - pa) as usize;
            let (s, e) = periodic_run(ta, d, pa as usize, pa as usize + 1);
            if e - s >= d {
                let t = Tandem::new(ta, s, e, d, opts.min_words);
                t.matches(c.a, opts.min_words as u32, out);
                found.push(t);
                active.push(Extent::Tandem(t));
                tandems.push((t.s, Extent::Tandem(t)));
            }
        }
        tandems.sort_by_key(|t| t.0);
    }
    let mut active: Vec<Extent> = Vec::new();
    let mut next_tandem = 0;
    for c in chains {
        tried.retain(|t| t.end_a() > c.first.0);
        active.retain(|t| t.end_a() > c.first.0);
        while next_tandem < tandems.len() && tandems[next_tandem].0 <= c.first.0 {
            active.push(tandems[next_tandem].1);
            next_tandem += 1;
        }
        // From the first seed, then from the next place past each extent
        // where the words agree again on its diagonal (a chain's seeds span
        // runs that edits too dense to step over split, and refining only
        // its two ends would lose the runs between), then the last seed.
        // The extents this chain adds are disjoint and each ends at or
        // before the next place tried, so of them only the last can cover
        // a place (a linear walk, not one search of all per place).
        let before = tried.len();
        let mut next = Some(c.first);
        while let Some((pa, pb)) = next.take() {
            if (pa, pb) != c.last {
                next = Some(c.last);
            }
            let own = tried[before..].last();
            let covering =
                active.iter().chain(&tried[..before]).chain(own).find(|t| t.covers(pa, pb));
            if let Some(t) = covering {
                if let Some(p) = next_agreement(t, c.last.0, ta, tb, opts.k as u32) {
                    next = Some(p);
                }
                continue;
            }
            let Some(x) = refine_seed((c.a, c.b), (pa, pb), ta, tb, opts) else { continue };
            if (pa, pb) != c.last
                && let Some(p) = next_agreement(&x, c.last.0, ta, tb, opts.k as u32)
            {
                next = Some(p);
            }
            let x = match x {
                Extent::Plain(mut m) => {
                    if c.a != c.b {
                        clip_to_copies(&mut m, (pa, pb), known);
                    }
                    let len = (m.a_end - m.a_start).min(m.b_end - m.b_start) as usize;
                    if len >= opts.min_words {
                        out.push(m);
                    }
                    Extent::Plain(m)
                }
                Extent::Tandem(t) => {
                    t.matches(c.a, opts.min_words as u32, out);
                    found.push(t);
                    x
                }
            };
            tried.push(x);
        }
    }
    // Two documents with the same words: which one is `a` is a tie broken by
    // input order, so what was found for one side is found for the other too.
    if chains.first().is_some_and(|c| c.a != c.b) && ta == tb {
        // Matches already symmetric come twice; `join_adjacent` dedups.
        let mirrored: Vec<Match> = out[from..].iter().map(Match::mirrored).collect();
        out.extend(mirrored);
    }
}

/// Joins refined matches of the same two documents that follow each other
/// on both sides (within `gap` words, each part starting where the other
/// ends at the earliest, give or take `k` words, and abutting on one side):
/// two halves of one passage that a long insertion in one copy, such as a
/// heading, split. Two passages with different text between them in both
/// places stay two. Matches of
/// one place with two different copies are never joined. Within one
/// document the joined occurrences still do not overlap. Sorted and unique.
pub fn join_adjacent(mut matches: Vec<Match>, gap: u32, k: u32) -> Vec<Match> {
    matches.par_sort_unstable_by_key(|m| (m.a, m.b, m.a_start, m.b_start, m.a_end, m.b_end));
    matches.dedup();
    // Matches inside one document, by document and start: two parts that
    // are copies of each other (`P P U P' P`) are two passages, not halves.
    let inside: Vec<(Rank, u32, u32, u32, u32)> = matches
        .iter()
        .filter(|m| m.a == m.b)
        .map(|m| (m.a, m.a_start, m.a_end, m.b_start, m.b_end))
        .collect();
    let half = |x: (u32, u32), y: (u32, u32)| {
        let overlap = x.1.min(y.1).saturating_sub(x.0.max(y.0));
        2 * overlap >= (x.1 - x.0).min(y.1 - y.0)
    };
    // The longest of them per document bounds how far back one can start.
    let mut longest: std::collections::HashMap<Rank, u32> = std::collections::HashMap::new();
    for x in &inside {
        let l = longest.entry(x.0).or_default();
        *l = (*l).max(x.2 - x.1);
    }
    let copies = |doc: Rank, first: (u32, u32), second: (u32, u32)| {
        let Some(&back) = longest.get(&doc) else { return false };
        let from = inside.partition_point(|x| (x.0, x.1) < (doc, first.0.saturating_sub(back)));
        inside[from..]
            .iter()
            .take_while(|x| x.0 == doc && x.1 < first.1)
            .any(|x| half((x.1, x.2), first) && half((x.3, x.4), second))
    };
    // Pairs of documents with the same words whose matches come in both
    // directions (see `refine_pair`): joining in the order of `a` is not
    // symmetric, so their joined matches are given both directions too.
    // A pair's matches are sorted and unique and mirroring is its own
    // inverse, so they are symmetric when each one's mirror is among them
    // (checked in place: no set of all pairs, which has millions of entries
    // when many documents share a passage at the same offsets).
    let key = |m: &Match| (m.a, m.b, m.a_start, m.b_start, m.a_end, m.b_end);
    let symmetric = |c: &[Match]| {
        c[0].a != c[0].b
            && c.iter().all(|m| c.binary_search_by_key(&key(&m.mirrored()), key).is_ok())
    };
    let pairs: Vec<&[Match]> = matches.chunk_by(|x, y| (x.a, x.b) == (y.a, y.b)).collect();
    let join_pair = |matches: &[Match]| -> Vec<Match> {
        let mut out: Vec<Match> = Vec::with_capacity(matches.len());
        // Joined matches of the current pair that a later match may still follow.
        let mut open: Vec<usize> = Vec::new();
        for &m in matches {
            // All of `out` is this pair's: only the distance can close one.
            open.retain(|&i| out[i].a_end + gap >= m.a_start);
            let follows = |last: &Match| {
                m.a_start <= last.a_end + gap
                    && m.b_start <= last.b_end + gap
                    && m.a_start + k >= last.a_end
                    && m.b_start + k >= last.b_end
                    && (m.a_start <= last.a_end + 2 || m.b_start <= last.b_end + 2)
                    && m.a_start >= last.a_start
                    && m.b_start >= last.b_start
                    && (m.a != m.b || last.a_end.max(m.a_end) <= last.b_start)
                    && !copies(m.a, (last.a_start, last.a_end), (m.a_start, m.a_end))
                    && !copies(m.b, (last.b_start, last.b_end), (m.b_start, m.b_end))
            };
            // Of the matches it follows, the one on the nearest diagonal.
            let shift = |last: &Match| {
                (i64::from(m.b_start) - i64::from(last.b_end))
                    .abs_diff(i64::from(m.a_start) - i64::from(last.a_end))
            };
            let best = open
                .iter()
                .copied()
                .filter(|&i| follows(&out[i]))
                .min_by_key(|&i| (shift(&out[i]), i));
            match best {
                Some(i) => {
                    let last = &mut out[i];
                    last.a_end = last.a_end.max(m.a_end);
                    last.b_end = last.b_end.max(m.b_end);
                }
                None => {
                    open.push(out.len());
                    out.push(m);
                }
            }
        }
        out
    };
    let mut out: Vec<Match> = pairs
        .par_iter()
        .flat_map_iter(|p| {
            let mut out = join_pair(p);
            if symmetric(p) {
                // One that is its own mirror is there already; the
                // mirror of another one may be too (the dedup below).
                let mirrored: Vec<Match> =
                    out.iter().filter_map(|m| Some(m.mirrored()).filter(|r| r != m)).collect();
                out.extend(mirrored);
            }
            out
        })
        .collect();
    out.par_sort_unstable();
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
        run_with(docs, o, FULL_GROUP)
    }

    fn run_with(docs: &[Vec<u64>], o: &PassageOptions, full_group: usize) -> Vec<Match> {
        let fps = fps_of(docs, o);
        let cs = chains(&seeds_with(&fps, full_group), o);
        let mut out = Vec::new();
        for pair in cs.chunk_by(|x, y| (x.a, x.b) == (y.a, y.b)) {
            // Unpermuted: the rank of a document is its index in `docs`.
            let (a, b) = (pair[0].a.index(), pair[0].b.index());
            refine_pair(pair, &docs[a], &docs[b], o, (&[], &[]), &mut Vec::new(), &mut out);
        }
        join_adjacent(out, o.max_gap(), o.k as u32)
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
        assert_eq!(
            got,
            vec![Match { a: Rank(0), a_start: 30, a_end: 70, b: Rank(1), b_start: 7, b_end: 47 }]
        );
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
        assert_eq!(
            got,
            vec![Match { a: Rank(0), a_start: 10, a_end: 50, b: Rank(1), b_start: 10, b_end: 50 }]
        );
    }

    #[test]
    fn within_one_document_occurrences_do_not_overlap() {
        let o = PassageOptions::default();
        let body: Vec<u64> = (1..=30).collect();
        let mut d = body.clone();
        d.extend(filler(1, 5));
        d.extend(&body);
        let got = run(&[d], &o);
        assert_eq!(
            got,
            vec![Match { a: Rank(0), a_start: 0, a_end: 30, b: Rank(0), b_start: 35, b_end: 65 }]
        );
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
