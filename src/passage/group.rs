//! Occurrences of one passage grouped with union-find.
//!
//! Every refined match gives two occurrences joined by an edge. Two
//! occurrences in the same document that overlap by at least 80 % of the
//! longer one are the same place (ends differ by a few words) and are joined
//! too. Each connected component is a passage group; within a group,
//! overlapping occurrences in one document are merged into their union.
//!
//! The bar is high on purpose: passages nest (a 22-word paragraph inside a
//! 30-word one inside a whole shared document), and a lower bar chains the
//! nested sizes into one group whose occurrences have nothing in common.
//! Nested passages are reported as separate groups instead. Groups and occurrences come out
//! sorted, independent of the order matches were found in.

use rayon::prelude::*;

use crate::cluster::UnionFind;
use crate::ids::Rank;

use super::align::Match;

/// One place a passage occurs: words `start..end` of document `doc`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Occurrence {
    /// The document, by rank (see [`crate::passage::CanonicalOrder`]).
    pub doc: Rank,
    /// First word.
    pub start: u32,
    /// One past the last word.
    pub end: u32,
}

impl Occurrence {
    fn len(&self) -> u32 {
        self.end - self.start
    }
}

/// Overlap of at least 80 % of the longer occurrence, in one document.
fn same_place(x: &Occurrence, y: &Occurrence) -> bool {
    if x.doc != y.doc {
        return false;
    }
    let overlap = x.end.min(y.end).saturating_sub(x.start.max(y.start));
    5 * u64::from(overlap) >= 4 * u64::from(x.len().max(y.len()))
}

/// Groups `matches` into passages: each a sorted list of at least two
/// occurrences; the list of groups is sorted by its first occurrence.
///
/// Linear after one sort of the occurrences: union-find runs over the
/// distinct places (a footer shared by a million documents is a million
/// places, however many matches join them), and the members of each group
/// are collected by a counting sort on their root, already in place order.
pub fn groups(matches: &[Match]) -> Vec<Vec<Occurrence>> {
    // Every occurrence with the node it is (2e and 2e + 1 for match e),
    // sorted by place so that equal and overlapping places are neighbours.
    let mut sorted: Vec<(Occurrence, u32)> = matches
        .iter()
        .enumerate()
        .flat_map(|(e, m)| {
            let e = 2 * e as u32;
            [
                (Occurrence { doc: m.a, start: m.a_start, end: m.a_end }, e),
                (Occurrence { doc: m.b, start: m.b_start, end: m.b_end }, e + 1),
            ]
        })
        .collect();
    sorted.par_sort_unstable();
    // Distinct places, in place order, and the place of each node.
    let mut places: Vec<Occurrence> = Vec::new();
    let mut place_of: Vec<u32> = vec![0; sorted.len()];
    for &(o, node) in &sorted {
        if places.last() != Some(&o) {
            places.push(o);
        }
        place_of[node as usize] = places.len() as u32 - 1;
    }
    drop(sorted);
    let mut uf = UnionFind::new(places.len());
    for edge in place_of.chunks_exact(2) {
        uf.union(edge[0], edge[1]);
    }
    drop(place_of);
    // A place is compared only with the places that start within a fifth
    // of its length after it (no later one can overlap it by 80 %), so the
    // cost is those neighbours.
    for (x, p) in places.iter().enumerate() {
        for (y, q) in places.iter().enumerate().skip(x + 1) {
            if q.doc != p.doc || 5 * u64::from(q.start - p.start) > u64::from(p.len()) {
                break;
            }
            if same_place(p, q) {
                uf.union(x as u32, y as u32);
            }
        }
    }
    // Members per root in place order: a counting sort on the root.
    let roots: Vec<u32> = (0..places.len() as u32).map(|x| uf.find(x)).collect();
    let mut first = vec![0u32; places.len() + 1];
    for &r in &roots {
        first[r as usize + 1] += 1;
    }
    for r in 0..places.len() {
        first[r + 1] += first[r];
    }
    let mut next = first.clone();
    let mut members: Vec<Occurrence> =
        vec![Occurrence { doc: Rank(0), start: 0, end: 0 }; places.len()];
    for (p, &r) in places.iter().zip(&roots) {
        members[next[r as usize] as usize] = *p;
        next[r as usize] += 1;
    }
    let mut out: Vec<Vec<Occurrence>> = first
        .windows(2)
        .filter(|w| w[1] - w[0] >= 2)
        .map(|w| {
            // Within one group, overlapping occurrences in a document are
            // one place (their union), so that no byte counts twice and
            // strip-repeats never cuts into a first occurrence.
            let mut merged: Vec<Occurrence> = Vec::new();
            for &o in &members[w[0] as usize..w[1] as usize] {
                match merged.last_mut() {
                    Some(last) if last.doc == o.doc && o.start < last.end => {
                        last.end = last.end.max(o.end);
                    }
                    _ => merged.push(o),
                }
            }
            merged
        })
        .filter(|g| g.len() >= 2)
        .collect();
    out.par_sort_unstable();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(a: u32, ar: (u32, u32), b: u32, br: (u32, u32)) -> Match {
        Match { a: Rank(a), a_start: ar.0, a_end: ar.1, b: Rank(b), b_start: br.0, b_end: br.1 }
    }
    fn o(doc: u32, start: u32, end: u32) -> Occurrence {
        Occurrence { doc: Rank(doc), start, end }
    }

    #[test]
    fn one_passage_in_three_places_is_one_group() {
        // The pairs 0–1, 0–2, 1–2 of one passage, with slightly different ends.
        let ms =
            [m(0, (10, 40), 1, (5, 35)), m(0, (10, 41), 2, (0, 31)), m(1, (5, 35), 2, (0, 30))];
        assert_eq!(groups(&ms), vec![vec![o(0, 10, 41), o(1, 5, 35), o(2, 0, 31)]]);
        // Nested sizes (22 in 30 in 59 words) do not chain into one group.
        let nested = [
            m(0, (114, 136), 1, (0, 22)),
            m(0, (114, 144), 2, (0, 30)),
            m(0, (92, 151), 3, (0, 59)),
        ];
        assert_eq!(groups(&nested).len(), 3);
        let mut rev = ms;
        rev.reverse();
        assert_eq!(groups(&rev), groups(&ms));
    }

    #[test]
    fn nested_passages_stay_apart() {
        // A 100-word body repeated in doc 0; a 25-word sentence inside it also
        // occurs in doc 1. The sentence's occurrence in the body overlaps the
        // body by far less than half, so the groups stay separate.
        let ms = [m(0, (0, 100), 0, (120, 220)), m(0, (40, 65), 1, (0, 25))];
        assert_eq!(
            groups(&ms),
            vec![vec![o(0, 0, 100), o(0, 120, 220)], vec![o(0, 40, 65), o(1, 0, 25)]]
        );
    }
}
