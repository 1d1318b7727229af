//! Clusters of verified pairs: leader clustering (the default) or connected
//! components.
//!
//! **Leader clustering** ([`leaders`]) walks the documents in keep
//! priority ([`priority`]: input order for `--keep first`, longest first
//! for `--keep longest`); a document not yet in a cluster becomes the
//! leader of a new one and takes every neighbour not yet in a cluster.
//! Every member is then a verified near-duplicate of its leader, the
//! document a dedup keeps: A ~ B ~ C with A !~ C gives {A, B} and {C} when A
//! comes first, and {B, A, C} led by B when B does. The partition depends on
//! the input only through the keep priority. Cost: linear in pairs and
//! documents (plus the second-hop tests of [`leaders`]).
//!
//! **Connected components** ([`components`], `--cluster components`) join
//! everything a chain of pairs reaches: union by size with path halving,
//! near O(pairs · α(n)); they do not depend on the order pairs are given
//! in, nor on the input order.
//!
//! Both outputs are sorted: members by input order, clusters by size
//! (largest first) then by first member, so the result is the same on any
//! number of threads.

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

/// How verified pairs become clusters (see the module doc).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Clustering {
    /// Star clustering: leader clustering whose leaders are taken by the
    /// number of near-duplicates they have (most first), equal numbers in
    /// keep priority ([`star_order`]). Every member is a near-duplicate of
    /// the kept document, which is the centre of its cluster: the page
    /// its variants were made from rather than whichever variant came
    /// first.
    #[default]
    Star,
    /// Leader clustering in keep priority: every member is a near-duplicate
    /// of the kept document, which is the first (or longest) of them.
    Leader,
    /// Connected components (transitive closure): a chain of near-duplicate
    /// pairs joins documents that may be unrelated.
    Components,
}

impl Clustering {
    /// The name in options and reports.
    pub fn name(self) -> &'static str {
        match self {
            Clustering::Star => "star",
            Clustering::Leader => "leader",
            Clustering::Components => "components",
        }
    }

    /// Whether clusters are made by [`leaders`] (every member near its
    /// kept document).
    pub fn has_leaders(self) -> bool {
        self != Clustering::Components
    }
}

/// The keep priority `order` reordered for star clustering: documents with
/// more near-duplicates first, equal counts in `order` (a stable sort).
/// Static counts, as in Aslam, Pelekhov and Rus's star clustering: a
/// document keeps its place when its neighbours are taken.
///
/// The counts come from `pairs` (each pair `(a, b)` counts for both) with
/// documents of equal content as one: `same(d)` is the first document with
/// exactly `d`'s shingles (itself if none), and a pair between two such
/// groups stands for every pair of their members, as a method that
/// collapses copies gives only one of them. So a document next to one with
/// three copies counts four near-duplicates, and each copy counts its
/// group's neighbours and the other copies.
pub fn star_order(
    order: &[DocId],
    pairs: &[(DocId, DocId)],
    same: impl Fn(DocId) -> DocId,
) -> Vec<DocId> {
    let n = order.len();
    let group: Vec<usize> = (0..n).map(|d| same(DocId(d as u32)).index()).collect();
    let mut size = vec![0u64; n];
    for &g in &group {
        size[g] += 1;
    }
    let mut links: Vec<(usize, usize)> = pairs
        .iter()
        .map(|&(a, b)| (group[a.index()], group[b.index()]))
        .filter(|(x, y)| x != y)
        .map(|(x, y)| (x.min(y), x.max(y)))
        .collect();
    links.sort_unstable();
    links.dedup();
    let mut count: Vec<u64> = size.iter().map(|&s| s.saturating_sub(1)).collect();
    for (x, y) in links {
        count[x] += size[y];
        count[y] += size[x];
    }
    let mut out = order.to_vec();
    out.sort_by_key(|d| std::cmp::Reverse(count[group[d.index()]]));
    out
}

/// A cluster made by [`leaders`].
#[derive(Debug, Clone, PartialEq)]
pub struct LeaderCluster {
    /// The leader: the document a dedup keeps.
    pub leader: DocId,
    /// Every member (the leader included) in input order, with its
    /// similarity to the leader (1 for the leader itself).
    pub members: Vec<(DocId, f64)>,
}

/// Leader clustering of `n` documents over the scored pairs `edges`
/// (`(a, b, similarity)`, each pair once, in any order), walking the
/// documents in `order` (every document once: see [`priority`]).
///
/// A document not yet in a cluster becomes a leader and takes every
/// neighbour not yet in a cluster, with the similarity of that edge. The
/// edges need not be all near pairs: LSH keeps only enough pairs of a large
/// bucket for the components (a star around one member), and an exact
/// check is skipped where it cannot change a component. So
/// `beyond(leader, d)` is asked of every unclustered `d` that is adjacent
/// to a member of the leader's cluster but not to the leader (each such
/// pair once); `Some(similarity)` takes `d` as well (and `d`'s neighbours
/// are asked in turn). `beyond` must say yes only to a near-duplicate of
/// the leader; `|_, _| None` is plain leader clustering over `edges`.
///
/// Invariants (checked by the tests): every document is in at most one
/// cluster; every member has an edge (or a yes from `beyond`) to its
/// leader; no leader has an unclustered neighbour left when the walk ends;
/// a leader never belongs to an earlier cluster. Clusters of one document
/// are left out; the output is sorted as [`components`] sorts.
pub fn leaders(
    n: usize,
    order: &[DocId],
    edges: impl IntoIterator<Item = (DocId, DocId, f64)>,
    beyond: impl FnMut(DocId, DocId) -> Option<f64>,
) -> Vec<LeaderCluster> {
    leaders_with(n, order, edges, beyond, |_| Vec::new())
}

/// [`leaders`], where a leader also asks `beyond` of every document
/// `more` names for it (documents that shared a bucket whose pairs were
/// not all given, see [`crate::lsh::Candidates::deferred`]), not yet in a
/// cluster: so it takes every near-duplicate among them, as if each of
/// those pairs had been an edge.
pub fn leaders_with(
    n: usize,
    order: &[DocId],
    edges: impl IntoIterator<Item = (DocId, DocId, f64)>,
    mut beyond: impl FnMut(DocId, DocId) -> Option<f64>,
    mut more: impl FnMut(DocId) -> Vec<DocId>,
) -> Vec<LeaderCluster> {
    debug_assert_eq!(order.len(), n);
    // Adjacency lists, compressed: neighbours of d at adj[start[d]..start[d+1]].
    let edges: Vec<(DocId, DocId, f64)> = edges.into_iter().collect();
    let mut start = vec![0usize; n + 1];
    for &(a, b, _) in &edges {
        start[a.index() + 1] += 1;
        start[b.index() + 1] += 1;
    }
    for d in 0..n {
        start[d + 1] += start[d];
    }
    let mut fill = start.clone();
    let mut adj: Vec<(u32, f64)> = vec![(0, 0.0); start[n]];
    for &(a, b, s) in &edges {
        adj[fill[a.index()]] = (b.0, s);
        fill[a.index()] += 1;
        adj[fill[b.index()]] = (a.0, s);
        fill[b.index()] += 1;
    }
    drop(edges);
    // Neighbours in document order, so what is asked and taken does not
    // depend on the order edges came in.
    for d in 0..n {
        adj[start[d]..start[d + 1]].sort_unstable_by_key(|x| x.0);
    }
    const NONE: u32 = u32::MAX;
    let mut cluster_of: Vec<u32> = vec![NONE; n];
    // Which leader last looked at a document (for the second hop).
    let mut seen_by: Vec<u32> = vec![NONE; n];
    let mut out: Vec<LeaderCluster> = Vec::new();
    for &l in order {
        let li = l.index();
        if cluster_of[li] != NONE {
            continue;
        }
        let id = out.len() as u32;
        let mut members: Vec<(DocId, f64)> = vec![(l, 1.0)];
        cluster_of[li] = id;
        seen_by[li] = l.0;
        for &(m, s) in &adj[start[li]..start[li + 1]] {
            seen_by[m as usize] = l.0;
            if cluster_of[m as usize] == NONE {
                cluster_of[m as usize] = id;
                members.push((DocId(m), s));
            }
        }
        for m in more(l) {
            let mi = m.index();
            if seen_by[mi] == l.0 || cluster_of[mi] != NONE {
                continue;
            }
            seen_by[mi] = l.0;
            if let Some(s) = beyond(l, m) {
                cluster_of[mi] = id;
                members.push((m, s));
            }
        }
        // Through every member (each is a member of one cluster only, so
        // this costs O(pairs) in all).
        let mut next = 1;
        while next < members.len() {
            let via = members[next].0.index();
            next += 1;
            for &(m, _) in &adj[start[via]..start[via + 1]] {
                let mi = m as usize;
                if seen_by[mi] == l.0 {
                    continue;
                }
                seen_by[mi] = l.0;
                if cluster_of[mi] == NONE {
                    if let Some(s) = beyond(l, DocId(m)) {
                        cluster_of[mi] = id;
                        members.push((DocId(m), s));
                    }
                }
            }
        }
        if members.len() > 1 {
            members.sort_unstable_by_key(|x| x.0);
            out.push(LeaderCluster { leader: l, members });
        } else {
            // A cluster of one is no cluster; the id is given again.
            cluster_of[li] = id | (1 << 31);
        }
    }
    out.sort_by(|x, y| {
        y.members.len().cmp(&x.members.len()).then(x.members[0].0.cmp(&y.members[0].0))
    });
    out
}

/// The documents in keep priority: with [`Keep::First`] input order; with
/// [`Keep::Longest`] longest first, equal lengths by `tie` (a key of the
/// content or id, so that the order does not depend on where a document
/// is), then by input order.
pub fn priority<T: Ord>(keep: Keep, lengths: &[u64], tie: impl Fn(DocId) -> T) -> Vec<DocId> {
    let mut order: Vec<DocId> = (0..lengths.len() as u32).map(DocId).collect();
    if keep == Keep::Longest {
        order.sort_by(|&a, &b| {
            lengths[b.index()]
                .cmp(&lengths[a.index()])
                .then_with(|| tie(a).cmp(&tie(b)))
                .then(a.cmp(&b))
        });
    }
    order
}

/// Which member of a cluster is kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Keep {
    /// The first in input order.
    #[default]
    First,
    /// The longest text (in bytes). Equal lengths: in [`priority`] by a
    /// tie key (the id), in [`representative`] the first.
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

    /// Counts worked out by hand: 2 has three pairs, 0 and 3 two, 1 one,
    /// 4 none; equal counts keep the order given.
    #[test]
    fn star_order_takes_the_most_connected_first() {
        let d = |i: u32| DocId(i);
        let pairs = [(d(0), d(2)), (d(1), d(2)), (d(2), d(3)), (d(0), d(3))];
        let order = [d(4), d(3), d(2), d(1), d(0)];
        assert_eq!(star_order(&order, &pairs, |x| x), [d(2), d(3), d(0), d(1), d(4)]);
        let order = [d(0), d(1), d(2), d(3), d(4)];
        assert_eq!(star_order(&order, &pairs, |x| x), [d(2), d(0), d(3), d(1), d(4)]);
    }
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

    /// Naive twin of [`leaders`]: an adjacency matrix, and per leader a
    /// fixed point (take neighbours of the leader, then anything adjacent
    /// to a member that `beyond` accepts, until nothing changes).
    fn naive_leaders(
        n: usize,
        order: &[DocId],
        edges: &[(DocId, DocId, f64)],
        beyond: &dyn Fn(DocId, DocId) -> Option<f64>,
    ) -> Vec<LeaderCluster> {
        let mut adj = vec![vec![None; n]; n];
        for &(a, b, s) in edges {
            adj[a.index()][b.index()] = Some(s);
            adj[b.index()][a.index()] = Some(s);
        }
        let mut taken = vec![false; n];
        let mut out = Vec::new();
        for &l in order {
            if taken[l.index()] {
                continue;
            }
            taken[l.index()] = true;
            let mut members = vec![(l, 1.0)];
            for d in 0..n {
                if let (false, Some(s)) = (taken[d], adj[l.index()][d]) {
                    taken[d] = true;
                    members.push((DocId(d as u32), s));
                }
            }
            loop {
                let found = (0..n).find_map(|d| {
                    let near_member = members[1..].iter().any(|m| adj[m.0.index()][d].is_some());
                    if taken[d] || !near_member {
                        return None;
                    }
                    beyond(l, DocId(d as u32)).map(|s| (d, s))
                });
                let Some((d, s)) = found else { break };
                taken[d] = true;
                members.push((DocId(d as u32), s));
            }
            if members.len() > 1 {
                members.sort_by_key(|x| x.0);
                out.push(LeaderCluster { leader: l, members });
            }
        }
        out.sort_by(|x, y| {
            y.members.len().cmp(&x.members.len()).then(x.members[0].0.cmp(&y.members[0].0))
        });
        out
    }

    const fn d(i: u32) -> DocId {
        DocId(i)
    }

    #[test]
    fn a_chain_splits_at_the_leader() {
        // A ~ B (0.9), B ~ C (0.85), A !~ C: worked out by hand.
        let edges = [(d(0), d(1), 0.9), (d(1), d(2), 0.85)];
        let none = |_: DocId, _: DocId| None;
        // A first: A takes B; C has no unclustered neighbour: alone.
        let c = leaders(3, &[d(0), d(1), d(2)], edges, none);
        assert_eq!(
            c,
            vec![LeaderCluster { leader: d(0), members: vec![(d(0), 1.0), (d(1), 0.9)] }]
        );
        // B first (e.g. the longest): B takes both.
        let c = leaders(3, &[d(1), d(0), d(2)], edges, none);
        assert_eq!(
            c,
            vec![LeaderCluster {
                leader: d(1),
                members: vec![(d(0), 0.9), (d(1), 1.0), (d(2), 0.85)]
            }]
        );
        // C first: C takes B, A is left alone.
        let c = leaders(3, &[d(2), d(1), d(0)], edges, none);
        assert_eq!(
            c,
            vec![LeaderCluster { leader: d(2), members: vec![(d(1), 0.85), (d(2), 1.0)] }]
        );
        // Components join all three whatever the order.
        assert_eq!(components(3, edges.iter().map(|e| (e.0, e.1))), vec![vec![d(0), d(1), d(2)]]);
    }

    #[test]
    fn a_star_is_taken_through_its_centre() {
        // LSH gave a star around 1; the leader 0 reaches 2 and 3 through
        // it, where `beyond` says they are near 0.
        let edges = [(d(0), d(1), 0.95), (d(1), d(2), 0.9), (d(1), d(3), 0.9)];
        let beyond = |l: DocId, x: DocId| (l == d(0) && x == d(2)).then_some(0.88);
        let c = leaders(4, &[d(0), d(1), d(2), d(3)], edges, beyond);
        assert_eq!(
            c,
            vec![LeaderCluster {
                leader: d(0),
                members: vec![(d(0), 1.0), (d(1), 0.95), (d(2), 0.88)]
            }]
        );
    }

    #[test]
    fn priority_orders() {
        let lens = [5, 9, 9, 1];
        let ids = ["d", "c", "b", "a"];
        assert_eq!(priority(Keep::First, &lens, |x| ids[x.index()]), vec![d(0), d(1), d(2), d(3)]);
        assert_eq!(
            priority(Keep::Longest, &lens, |x| ids[x.index()]),
            vec![d(2), d(1), d(0), d(3)]
        );
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]
        /// Random similarity matrices: the edges are some of the near pairs
        /// (as LSH gives), `beyond` knows them all. Checked against the
        /// naive twin and against the invariants directly.
        #[test]
        fn leaders_equal_naive_and_keep_their_promises(
            n in 1usize..24,
            sims in prop::collection::vec(0u8..=10, 24 * 23 / 2),
            kept in prop::collection::vec(any::<bool>(), 24 * 23 / 2),
            shuffle in prop::collection::vec(any::<u32>(), 24),
            use_beyond in any::<bool>(),
        ) {
            let t = 0.7;
            let sim = |a: usize, b: usize| -> f64 {
                let (a, b) = (a.min(b), a.max(b));
                // Index of (a, b), a < b, in the upper triangle of 24.
                f64::from(sims[b * (b - 1) / 2 + a]) / 10.0
            };
            let near = |a: usize, b: usize| a != b && sim(a, b) >= t;
            let mut edges = Vec::new();
            for b in 0..n {
                for a in 0..b {
                    if near(a, b) && kept[b * (b - 1) / 2 + a] {
                        edges.push((d(a as u32), d(b as u32), sim(a, b)));
                    }
                }
            }
            let mut order: Vec<DocId> = (0..n as u32).map(DocId).collect();
            order.sort_by_key(|x| (shuffle[x.index()], x.0));
            let beyond = |l: DocId, x: DocId| {
                (use_beyond && near(l.index(), x.index())).then(|| sim(l.index(), x.index()))
            };
            let mut reversed = edges.clone();
            reversed.reverse();
            let got = leaders(n, &order, edges.iter().copied(), beyond);
            prop_assert_eq!(&got, &leaders(n, &order, reversed, beyond));
            prop_assert_eq!(&got, &naive_leaders(n, &order, &edges, &beyond));

            let mut cluster_of = vec![None; n];
            for (i, c) in got.iter().enumerate() {
                prop_assert!(c.members.len() >= 2);
                prop_assert!(c.members.windows(2).all(|w| w[0].0 < w[1].0));
                for &(m, s) in &c.members {
                    prop_assert!(cluster_of[m.index()].is_none(), "{m:?} in two clusters");
                    cluster_of[m.index()] = Some(i);
                    if m == c.leader {
                        prop_assert_eq!(s, 1.0);
                    } else {
                        // Near its leader, with the true similarity.
                        prop_assert!(near(m.index(), c.leader.index()));
                        prop_assert_eq!(s, sim(m.index(), c.leader.index()));
                    }
                }
            }
            let place: Vec<usize> = {
                let mut p = vec![0; n];
                for (i, x) in order.iter().enumerate() {
                    p[x.index()] = i;
                }
                p
            };
            for c in &got {
                // A leader comes before its members in the order, and no
                // neighbour of a leader is left out of every cluster.
                for &(m, _) in &c.members {
                    prop_assert!(place[c.leader.index()] <= place[m.index()]);
                }
                for &(a, b, _) in &edges {
                    for (x, y) in [(a, b), (b, a)] {
                        if x == c.leader {
                            prop_assert!(cluster_of[y.index()].is_some());
                        }
                    }
                }
            }
            // A document in no cluster has every neighbour in one, and no
            // two documents in no cluster are adjacent.
            for &(a, b, _) in &edges {
                prop_assert!(cluster_of[a.index()].is_some() || cluster_of[b.index()].is_some());
            }
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
