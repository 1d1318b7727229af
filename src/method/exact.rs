//! The exact check shared by the methods that verify pairs on a re-read
//! (MinHash near the threshold, SimHash every pair): pairs decided by the
//! exact Jaccard of the documents' shingle sets, and groups of documents
//! whose pairs were not all given (deferred buckets) compared once every
//! member's set is known.

use rayon::prelude::*;

use std::collections::HashMap;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};

use super::{PairCheck, ScoredPair};
use crate::cluster::UnionFind;
use crate::ids::DocId;
use crate::lsh;
use crate::report::model::Stats;
use crate::verify::{self, VerifiedPair};

/// What the exact check keeps of deferred buckets for leader clustering:
/// its second hops among those documents are decided by their exact
/// Jaccard ([`crate::method::SimilarityMethod::certain`]).
#[derive(Debug, Default)]
pub(crate) struct Deferred {
    /// The shingle set of every member.
    sets: HashMap<u32, Box<[u64]>>,
    /// The buckets (members, in the order their walk took them).
    buckets: Vec<Vec<u32>>,
    /// Per bucket and member, whether it led in the bucket's walk
    /// ([`lsh::deferred_walk`]): then every member after it was compared
    /// with it.
    leads: Vec<Vec<bool>>,
    /// The pairs the walks accepted, with their Jaccard.
    accepted: HashMap<(u32, u32), f64>,
    /// Per member, the buckets it is in and its place there.
    of_doc: HashMap<u32, Vec<(u32, u32)>>,
}

impl Deferred {
    /// The verdict on `a` and `b` (`Some(Some(jaccard))`: accepted,
    /// `Some(None)`: rejected) if a bucket's walk compared them (one led
    /// there before the other came), so that leader clustering's second
    /// hops do not compare them again; `None` if none did.
    fn known(&self, a: DocId, b: DocId) -> Option<Option<f64>> {
        let (of_a, of_b) = (self.of_doc.get(&a.0)?, self.of_doc.get(&b.0)?);
        for &(bucket, pa) in of_a {
            let Some(&(_, pb)) = of_b.iter().find(|x| x.0 == bucket) else { continue };
            let leads = &self.leads[bucket as usize];
            if (pa < pb && leads[pa as usize]) || (pb < pa && leads[pb as usize]) {
                return Some(self.accepted.get(&(a.0.min(b.0), a.0.max(b.0))).copied());
            }
        }
        None
    }

    /// The exact Jaccard of `a` and `b` if both sets are kept.
    fn jaccard(&self, a: DocId, b: DocId) -> Option<f64> {
        Some(verify::exact_jaccard(self.sets.get(&a.0)?, self.sets.get(&b.0)?))
    }

    /// The other members of the buckets `d` is in.
    fn co_members(&self, d: DocId) -> Vec<DocId> {
        let Some(buckets) = self.of_doc.get(&d.0) else { return Vec::new() };
        buckets
            .iter()
            .flat_map(|&(b, _)| self.buckets[b as usize].iter())
            .filter(|&&m| m != d.0)
            .map(|&m| DocId(m))
            .collect()
    }
}

/// What a method that checks pairs by their exact Jaccard keeps: the
/// threshold, whether pairs already joined are skipped (connected
/// components), and the deferred buckets' sets once the check is done.
#[derive(Debug)]
pub(crate) struct Exact {
    pub(crate) threshold: f64,
    pub(crate) skip_joined: bool,
    deferred: OnceLock<Deferred>,
}

impl Exact {
    /// The rules of `cfg`'s threshold and clustering.
    pub(crate) fn new(cfg: &crate::config::Config) -> Exact {
        Exact {
            threshold: cfg.threshold,
            skip_joined: cfg.clustering == crate::cluster::Clustering::Components,
            deferred: OnceLock::new(),
        }
    }

    /// A check that starts from `accepted` among `documents`, with the
    /// `deferred` buckets to compare at the end.
    pub(crate) fn check(
        &self,
        accepted: Vec<VerifiedPair>,
        documents: usize,
        deferred: Vec<Vec<u32>>,
    ) -> ExactCheck<'_> {
        ExactCheck::new(self, accepted, documents, deferred)
    }

    /// The verdict on `a` and `b` (`Some(Some(jaccard))`: near-duplicates)
    /// if both are members of deferred buckets, whose sets are kept; `None`
    /// if not (or before the check is done).
    pub(crate) fn deferred_verdict(&self, a: DocId, b: DocId) -> Option<Option<f64>> {
        let deferred = self.deferred.get()?;
        if let Some(verdict) = deferred.known(a, b) {
            return Some(verdict);
        }
        let j = deferred.jaccard(a, b)?;
        Some((j >= self.threshold).then_some(j))
    }

    /// The other members of the deferred buckets `d` is in.
    pub(crate) fn co_members(&self, d: DocId) -> Vec<DocId> {
        self.deferred.get().map(|s| s.co_members(d)).unwrap_or_default()
    }
}

/// Deferred buckets up to this size are compared pair by pair with leader
/// and star clustering (at most 32,640 checks each), so star counts there
/// are those of all pairs; larger ones by the leader walk
/// ([`lsh::deferred_walk`]: one check per member and leader), whose pairs
/// are the edges to the bucket's leaders.
pub(crate) const ALL_PAIRS_BUCKET: usize = 256;

/// A deferred bucket's accepted pairs and, with leader clustering, who
/// led in its walk ([`lsh::deferred_walk`]).
type Walked = (Vec<(DocId, DocId)>, Vec<bool>);

/// Pairs decided by their exact Jaccard. With connected components
/// (`skip_joined`), a pair whose documents are already joined by accepted
/// pairs cannot change a cluster: it is not checked (leader clustering
/// checks every pair: it may make a document a member of its leader). Runs
/// come in input order (whatever the thread count), so what is checked is
/// deterministic.
///
/// Deferred buckets keep their members' sets as they come by (each member
/// is re-read as the pair `(d, d)`) and are compared at the end, every pair
/// decided by its exact Jaccard and `admit` ([`lsh::deferred_pairs`]).
/// Those sets are what the check holds beyond the documents waiting for a
/// partner.
pub(crate) struct ExactCheck<'a> {
    threshold: f64,
    skip_joined: bool,
    /// What a deferred bucket's pair must meet besides the threshold.
    admit: Box<dyn Fn(DocId, DocId) -> bool + Send + Sync + 'a>,
    /// Where the deferred buckets' sets go for leader clustering.
    keep: &'a OnceLock<Deferred>,
    accepted: Vec<VerifiedPair>,
    joined: UnionFind,
    checked: u64,
    deferred: Vec<Vec<u32>>,
    kept: HashMap<u32, Box<[u64]>>,
}

impl<'a> ExactCheck<'a> {
    /// See [`Exact::check`].
    fn new(
        rules: &'a Exact,
        accepted: Vec<VerifiedPair>,
        documents: usize,
        deferred: Vec<Vec<u32>>,
    ) -> Self {
        let mut joined = UnionFind::new(documents);
        for p in &accepted {
            joined.union(p.a.0, p.b.0);
        }
        ExactCheck {
            threshold: rules.threshold,
            skip_joined: rules.skip_joined,
            admit: Box::new(|_, _| true),
            keep: &rules.deferred,
            accepted,
            joined,
            checked: 0,
            deferred,
            kept: HashMap::new(),
        }
    }

    /// The check, where a deferred bucket's pair must also meet `admit`.
    pub(crate) fn admitting(
        mut self,
        admit: impl Fn(DocId, DocId) -> bool + Send + Sync + 'a,
    ) -> Self {
        self.admit = Box::new(admit);
        self
    }

    /// The deferred buckets' accepted pairs, added to the others.
    fn compare_deferred(&mut self) {
        let (kept, threshold, admit) = (&self.kept, self.threshold, &self.admit);
        let leaders = !self.skip_joined;
        let jaccard = |a: DocId, b: DocId| -> Option<f64> {
            Some(verify::exact_jaccard(kept.get(&a.0)?, kept.get(&b.0)?))
        };
        let checks = AtomicU64::new(0);
        let accept = |a, b| {
            if !admit(a, b) {
                return false;
            }
            checks.fetch_add(1, Ordering::Relaxed);
            jaccard(a, b).is_some_and(|j| j >= threshold)
        };
        // Per bucket: its accepted pairs and (leaders) who led in its walk.
        let walked: Vec<Walked> = self
            .deferred
            .par_iter()
            .map(|members| {
                if leaders && members.len() <= ALL_PAIRS_BUCKET {
                    // Every pair: star clustering's counts are then those
                    // of all pairs, and every verdict is known (each member
                    // counts as having led).
                    let mut pairs = Vec::new();
                    for (i, &a) in members.iter().enumerate() {
                        for &b in &members[i + 1..] {
                            let (x, y) = (DocId(a.min(b)), DocId(a.max(b)));
                            if accept(x, y) {
                                pairs.push((x, y));
                            }
                        }
                    }
                    (pairs, vec![true; members.len()])
                } else if leaders {
                    lsh::deferred_walk(members, accept)
                } else {
                    (lsh::deferred_pairs(members, false, accept), Vec::new())
                }
            })
            .collect();
        let found: Vec<VerifiedPair> = walked
            .iter()
            .flat_map(|(pairs, _)| pairs.iter())
            .map(|&(a, b)| VerifiedPair { a, b, score: jaccard(a, b).unwrap_or(0.0) })
            .collect();
        self.checked += checks.into_inner();
        let buckets = std::mem::take(&mut self.deferred);
        let sets = std::mem::take(&mut self.kept);
        if !sets.is_empty() && !self.skip_joined {
            // Leader clustering asks for its second hops and checks each
            // leader against its buckets; a second run of the same method
            // (none today) would keep the first.
            let mut of_doc: HashMap<u32, Vec<(u32, u32)>> = HashMap::new();
            for (b, members) in buckets.iter().enumerate() {
                for (i, &m) in members.iter().enumerate() {
                    of_doc.entry(m).or_default().push((b as u32, i as u32));
                }
            }
            let accepted = found.iter().map(|p| ((p.a.0, p.b.0), p.score)).collect();
            let leads = walked.into_iter().map(|(_, leads)| leads).collect();
            let _ = self.keep.set(Deferred { sets, buckets, leads, accepted, of_doc });
        }
        self.accepted.extend(found);
    }

    /// [`PairCheck::finish`] in place: the deferred buckets compared, the
    /// checks counted, the accepted pairs sorted.
    pub(crate) fn finish_here(&mut self, stats: &mut Stats) -> Vec<ScoredPair> {
        self.compare_deferred();
        stats.exact_checked_pairs += self.checked;
        self.checked = 0;
        self.take_sorted()
    }

    /// The accepted pairs sorted by `(a, b)`, each once (a pair a deferred
    /// bucket gives may also come from elsewhere: the higher score is
    /// kept), scored by its exact Jaccard where checked, else as accepted.
    /// Deferred buckets are compared before ([`PairCheck::finish`]; with
    /// nothing to re-read there are none).
    pub(crate) fn take_sorted(&mut self) -> Vec<ScoredPair> {
        debug_assert!(self.deferred.is_empty(), "BUG: deferred buckets not compared");
        let mut accepted = std::mem::take(&mut self.accepted);
        accepted.par_sort_unstable_by(|x, y| {
            (x.a, x.b).cmp(&(y.a, y.b)).then(y.score.total_cmp(&x.score))
        });
        accepted.dedup_by_key(|p| (p.a, p.b));
        accepted.into_iter().map(|p| ScoredPair { a: p.a, b: p.b, score: p.score }).collect()
    }
}

impl PairCheck for ExactCheck<'_> {
    fn check(&mut self, pairs: &[(u32, u32)], sets: &HashMap<u32, Box<[u64]>>) {
        // (d, d): a member of a deferred bucket, whose set is kept.
        for &(d, _) in pairs.iter().filter(|p| p.0 == p.1) {
            if let Some(set) = sets.get(&d) {
                self.kept.insert(d, set.clone());
            }
        }
        let joined = &mut self.joined;
        let skip = self.skip_joined;
        let open: Vec<(u32, u32)> = pairs
            .iter()
            .copied()
            .filter(|&(a, b)| a != b && (!skip || joined.find(a) != joined.find(b)))
            .collect();
        self.checked += open.len() as u64;
        let threshold = self.threshold;
        let checked: Vec<VerifiedPair> = open
            .par_iter()
            .filter_map(|&(a, b)| {
                let j = verify::exact_jaccard(sets.get(&a)?, sets.get(&b)?);
                (j >= threshold).then_some(VerifiedPair { a: DocId(a), b: DocId(b), score: j })
            })
            .collect();
        for p in &checked {
            joined.union(p.a.0, p.b.0);
        }
        self.accepted.extend(checked);
    }

    fn finish(mut self: Box<Self>, stats: &mut Stats) -> Vec<ScoredPair> {
        self.finish_here(stats)
    }
}
