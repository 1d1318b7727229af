//! Report building: clusters of the verified pairs with their
//! representatives and members' similarities, the document counts, and
//! the parameters of the run, as the report's serde types
//! ([`crate::report::model`]).

use std::collections::HashSet;

use bitvec::vec::BitVec;

use super::candidates::FoundPairs;
use super::sketch::Sketches;
use crate::cluster::{self, Clustering, Keep};
use crate::config::{Config, Hamming};
use crate::ids::DocId;
use crate::method::{SimHashMethod, SimilarityMethod};
use crate::report::model::{self, Stats};
use crate::simhash::Weighting;
use crate::source::SourceOptions;

/// The parameters of a run over `fingerprints` documents with words, as
/// the report states them.
pub(crate) fn params(cfg: &Config, source: &SourceOptions, fingerprints: usize) -> model::Params {
    let lsh = cfg.lsh_params();
    let (shingle, ngram) = (cfg.shingle.name(), cfg.shingle.size());
    model::Params {
        method: cfg.method.name().into(),
        verify: if cfg.exact_verify { "exact-near-threshold".into() } else { "estimate".into() },
        hamming: cfg.method.simhash().then(|| cfg.hamming_bits()),
        hamming_auto: cfg.method.simhash().then_some(cfg.hamming == Hamming::Auto),
        weighting: cfg.method.simhash().then(|| match cfg.weighting {
            Weighting::Tf => "tf".to_owned(),
            Weighting::TfIdf => "tfidf".to_owned(),
        }),
        simhash_tables: cfg
            .method
            .simhash()
            .then(|| SimHashMethod::index(cfg, fingerprints).tables()),
        ignore_boilerplate: cfg.ignore_boilerplate,
        boilerplate_words: cfg.ignore_boilerplate.map(|_| cfg.boilerplate_words),
        min_passage_words: cfg.passages.map(|p| p.min_words),
        threshold: cfg.threshold,
        num_perm: cfg.num_perm,
        minhash_variant: cfg.variant.name().into(),
        bands: lsh.bands,
        rows: lsh.rows,
        bands_rows_auto: cfg.lsh.is_none(),
        s_curve: cfg.method.minhash().then(|| {
            let c = lsh.s_curve(cfg.threshold);
            model::SCurve {
                candidate_probability_at_threshold: model::round4(c.at_threshold),
                similarity_at_p50: model::round4(c.half),
                similarity_at_p95: model::round4(c.p95),
                floor: crate::lsh::RECALL_FLOOR,
                floor_reached: c.floor_reached,
            }
        }),
        shingle: shingle.into(),
        ngram,
        nfkc: cfg.text.nfkc,
        lowercase: cfg.text.lowercase,
        fold_accents: cfg.text.fold_accents,
        seed: cfg.seed,
        keep: match cfg.keep {
            Keep::First => "first".into(),
            Keep::Longest => "longest".into(),
        },
        cluster: cfg.clustering.name().into(),
        id_field: source.id_field.clone(),
        text_field: source.text_field.clone(),
    }
}

/// The documents in keep priority, as leader clustering walks them
/// ([`cluster::priority`]: equal lengths by id).
pub(crate) fn keep_order(cfg: &Config, sketches: &Sketches) -> Vec<DocId> {
    let docs = &sketches.docs;
    let lengths: Vec<u64> = docs.iter().map(|d| d.bytes).collect();
    cluster::priority(cfg.keep, &lengths, |d| docs[d.index()].id.as_str())
}

/// The clusters of the report, and per document whether a dedup removes
/// it; fills the cluster and document counts of `stats`.
pub(crate) fn clusters(
    cfg: &Config,
    methods: &[Box<dyn SimilarityMethod>],
    sketches: &Sketches,
    found: &FoundPairs,
    stats: &mut Stats,
) -> (Vec<model::Cluster>, BitVec) {
    let docs = &sketches.docs;
    let lengths: Vec<u64> = docs.iter().map(|d| d.bytes).collect();
    // Per cluster: the kept document and the members in input order with
    // their similarity to it.
    let clusters: Vec<(DocId, Vec<(DocId, f64)>)> = match cfg.clustering {
        Clustering::Star | Clustering::Leader => {
            // A pair's similarity: the first method's that found it.
            let edges = found.pairs.iter().enumerate().map(|(i, &(a, b))| {
                let (m, score) = methods
                    .iter()
                    .zip(found.scores_of(i))
                    .find_map(|(m, s)| s.map(|s| (m, s)))
                    .expect("BUG: a found pair without a score");
                (a, b, m.score_similarity(score))
            });
            let mut order = keep_order(cfg, sketches);
            if cfg.clustering == Clustering::Star {
                // Documents of equal content count as one (a method that
                // collapses copies gives a pair to one of them only).
                let same = |d: DocId| methods.iter().find_map(|m| m.same_content(d)).unwrap_or(d);
                order = cluster::star_order(&order, &found.pairs, same);
            }
            let beyond = |l: DocId, d: DocId| {
                let (a, b) = (l.min(d), l.max(d));
                methods.iter().zip(&sketches.by_method).find_map(|(m, c)| m.certain(&**c, a, b))
            };
            let more =
                |l: DocId| -> Vec<DocId> { methods.iter().flat_map(|m| m.co_members(l)).collect() };
            cluster::leaders_with(docs.len(), &order, edges, beyond, more)
                .into_iter()
                .map(|c| (c.leader, c.members))
                .collect()
        }
        Clustering::Components => {
            // Members' similarity to the representative, by the first
            // method.
            let similarity =
                |a: DocId, b: DocId| methods[0].similarity(&*sketches.by_method[0], a, b);
            cluster::components(docs.len(), found.pairs.iter().copied())
                .into_iter()
                .map(|members| {
                    let rep = cluster::representative(&members, cfg.keep, &lengths);
                    (rep, members.iter().map(|&m| (m, similarity(m, rep))).collect())
                })
                .collect()
        }
    };
    let mut removed: BitVec = BitVec::repeat(false, docs.len());
    let no_words_ids = &sketches.no_words_ids;
    let mut seen_ids: HashSet<&str> = HashSet::with_capacity(docs.len() + no_words_ids.len());
    stats.duplicate_ids = docs
        .iter()
        .map(|d| d.id.as_str())
        .chain(no_words_ids.iter().map(String::as_str))
        .filter(|id| !seen_ids.insert(id))
        .count() as u64;
    // With more than one method, each cluster lists its pairs (those with
    // both documents in it) and which methods found each.
    let mut pairs_by_cluster: Vec<Vec<model::Pair>> = vec![Vec::new(); clusters.len()];
    if methods.len() > 1 {
        let mut cluster_of: Vec<u32> = vec![u32::MAX; docs.len()];
        for (i, (_, members)) in clusters.iter().enumerate() {
            for (m, _) in members {
                cluster_of[m.index()] = i as u32;
            }
        }
        for (i, &(a, b)) in found.pairs.iter().enumerate() {
            let c = cluster_of[a.index()];
            if c != cluster_of[b.index()] {
                continue;
            }
            let mut pair = model::Pair {
                a: docs[a.index()].id.clone(),
                b: docs[b.index()].id.clone(),
                methods: Vec::new(),
                jaccard: None,
                hamming: None,
            };
            let columns = methods.iter().zip(&sketches.by_method);
            for ((method, column), score) in columns.zip(found.scores_of(i)) {
                if let Some(score) = score {
                    pair.methods.push(method.name().to_owned());
                    method.describe(&**column, a, b, *score, &mut pair);
                }
            }
            pairs_by_cluster[c as usize].push(pair);
        }
    }
    let report_clusters: Vec<model::Cluster> = clusters
        .iter()
        .zip(pairs_by_cluster)
        .enumerate()
        .map(|(i, ((rep, members), pairs))| {
            for (m, _) in members {
                if m != rep {
                    removed.set(m.index(), true);
                }
            }
            model::Cluster {
                id: i,
                size: members.len(),
                representative: docs[rep.index()].id.clone(),
                members: members
                    .iter()
                    .map(|&(m, s)| model::Member {
                        doc: docs[m.index()].id.clone(),
                        similarity: model::round4(s),
                    })
                    .collect(),
                pairs,
            }
        })
        .collect();

    stats.too_short_documents = no_words_ids.len() as u64;
    stats.boilerplate_only_documents = docs.iter().filter(|d| d.boilerplate_only).count() as u64;
    stats.documents = docs.len() as u64 + stats.too_short_documents;
    stats.bytes += lengths.iter().sum::<u64>();
    stats.words = docs.iter().map(|d| d.words).sum();
    stats.clusters = clusters.len() as u64;
    stats.clustered_documents = clusters.iter().map(|c| c.1.len() as u64).sum();
    stats.duplicate_documents = removed.count_ones() as u64;
    stats.duplicate_bytes = removed.iter_ones().map(|d| lengths[d]).sum();
    stats.kept_documents = stats.documents - stats.duplicate_documents;
    (report_clusters, removed)
}
