//! Clusters: connected components of verified pairs, by union-find.
//!
//! Union by size with path halving; near O(pairs · α(n)). The components do
//! not depend on the order pairs are given in, and the output is sorted:
//! members by input order, clusters by size (largest first) then by first
//! member, so the result is the same on any number of threads.

use crate::ids::DocId;

/// Disjoint sets over `0..n`.
#[derive(Debug, Clone)]
pub struct UnionFind {
    parent: Vec<u32>,
    size: Vec<u32>,
}

impl UnionFind {
    /// `n` singletons.
    pub fn new(n: usize) -> UnionFind {
        let n32 = u32::try_from(n).expect("BUG: more than u32::MAX documents");
        UnionFind { parent: (0..n32).collect(), size: vec![1; n] }
    }

    /// The representative of `x`'s set.
    pub fn find(&mut self, mut x: u32) -> u32 {
        while self.parent[x as usize] != x {
            let p = self.parent[x as usize];
            self.parent[x as usize] = self.parent[p as usize];
            x = self.parent[x as usize];
        }
        x
    }

    /// Joins the sets of `a` and `b`.
    pub fn union(&mut self, a: u32, b: u32) {
        let (ra, rb) = (self.find(a), self.find(b));
        if ra == rb {
            return;
        }
        let (big, small) =
            if self.size[ra as usize] >= self.size[rb as usize] { (ra, rb) } else { (rb, ra) };
        self.parent[small as usize] = big;
        self.size[big as usize] += self.size[small as usize];
    }
}

/// The clusters (components of two or more documents) of `n` documents
/// joined by `pairs`, sorted as described in the module docs.
pub fn components(n: usize, pairs: impl IntoIterator<Item = (DocId, DocId)>) -> Vec<Vec<DocId>> {
    let mut uf = UnionFind::new(n);
    for (a, b) in pairs {
        uf.union(a.0, b.0);
    }
    // Group by root; iterating documents in order keeps members sorted.
    let mut slot: Vec<u32> = vec![u32::MAX; n];
    let mut groups: Vec<Vec<DocId>> = Vec::new();
    for d in 0..n {
        let d32 = d as u32;
        let r = uf.find(d32) as usize;
        if uf.size[r] < 2 {
            continue;
        }
        if slot[r] == u32::MAX {
            slot[r] = groups.len() as u32;
            groups.push(Vec::new());
        }
        groups[slot[r] as usize].push(DocId(d32));
    }
    groups.sort_by(|x, y| y.len().cmp(&x.len()).then(x[0].cmp(&y[0])));
    groups
}

/// Which member of a cluster is kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Keep {
    /// The first in input order.
    #[default]
    First,
    /// The longest text (in bytes); ties go to the first.
    Longest,
}

/// The representative of `members` (sorted by input order), given each
/// document's byte length.
pub fn representative(members: &[DocId], keep: Keep, lengths: &[u64]) -> DocId {
    match keep {
        Keep::First => members[0],
        Keep::Longest => {
            *members.iter().rev().max_by_key(|d| lengths[d.index()]).expect("BUG: empty cluster")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Naive twin: repeated relabelling until no edge joins two labels.
    fn naive(n: usize, pairs: &[(DocId, DocId)]) -> Vec<Vec<DocId>> {
        let mut label: Vec<usize> = (0..n).collect();
        loop {
            let mut changed = false;
            for &(a, b) in pairs {
                let m = label[a.index()].min(label[b.index()]);
                for x in [a.index(), b.index()] {
                    if label[x] != m {
                        label[x] = m;
                        changed = true;
                    }
                }
            }
            if !changed {
                break;
            }
        }
        let mut groups: Vec<Vec<DocId>> = (0..n)
            .map(|l| (0..n).filter(|&d| label[d] == l).map(|d| DocId(d as u32)).collect())
            .filter(|g: &Vec<DocId>| g.len() > 1)
            .collect();
        groups.sort_by(|x, y| y.len().cmp(&x.len()).then(x[0].cmp(&y[0])));
        groups
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(128))]
        #[test]
        fn union_find_equals_naive(
            n in 1usize..40,
            raw in prop::collection::vec((0usize..40, 0usize..40), 0..60),
        ) {
            let pairs: Vec<(DocId, DocId)> = raw
                .into_iter()
                .map(|(a, b)| (DocId((a % n) as u32), DocId((b % n) as u32)))
                .collect();
            let mut reversed = pairs.clone();
            reversed.reverse();
            let want = naive(n, &pairs);
            prop_assert_eq!(&components(n, pairs), &want);
            prop_assert_eq!(&components(n, reversed), &want);
        }
    }

    #[test]
    fn representative_choice() {
        let m = [DocId(1), DocId(3), DocId(4)];
        let lens = [0, 10, 0, 30, 30];
        assert_eq!(representative(&m, Keep::First, &lens), DocId(1));
        assert_eq!(representative(&m, Keep::Longest, &lens), DocId(3));
    }
}
