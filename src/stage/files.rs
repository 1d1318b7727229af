//! Stage files of a run (`--save-stages DIR`): the intermediate results in
//! their versioned on-disk form ([`crate::stagefile`]), for a later run or
//! another engine to pick up. Each file carries the hash of exactly the
//! parameters that produced it ([`params_hash`]), so a reader with other
//! parameters refuses it, naming the file.
//!
//! | file | written by | records |
//! |---|---|---|
//! | `signatures.stage` | MinHash | per document: signature and band keys |
//! | `edges-METHOD.stage` | each method | its verified pairs and their scores (a Jaccard; a Hamming distance) |
//! | `fingerprints.stage` | passages | per document: its winnowed fingerprints |
//!
//! Documents are numbered by [`crate::DocId`]: records with words, in input
//! order.

use std::path::{Path, PathBuf};

use crate::config::Config;
use crate::error::Result;
use crate::method::ScoredPair;
use crate::stage::sketch::DocState;
use crate::stagefile::{DocFingerprints, Kind, StageWriter, params_hash as hash};
use crate::verify::VerifiedPair;

/// The signatures file in `dir`.
pub fn signatures_path(dir: &Path) -> PathBuf {
    dir.join("signatures.stage")
}

/// The verified-edges file of `method` (`minhash`, `simhash`) in `dir`.
pub fn edges_path(dir: &Path, method: &str) -> PathBuf {
    dir.join(format!("edges-{method}.stage"))
}

/// The passage-fingerprints file in `dir`.
pub fn fingerprints_path(dir: &Path) -> PathBuf {
    dir.join("fingerprints.stage")
}

/// The hash of the parameters that make the `kind` file of `cfg` (for
/// edges, those of `method`): what reads the documents and makes their
/// words, then what that kind depends on. Parameters a kind does not depend
/// on (the threshold for fingerprints, the passage length for signatures,
/// `--keep` for all) are left out, so changing them keeps the files valid.
pub fn params_hash(cfg: &Config, kind: Kind, method: &str) -> u64 {
    let (shingle, ngram) = (cfg.shingle.name(), cfg.shingle.size());
    let words = serde_json::json!({
        "id_field": cfg.source.id_field,
        "text_field": cfg.source.text_field,
        "nfkc": cfg.text.nfkc,
        "lowercase": cfg.text.lowercase,
        "fold_accents": cfg.text.fold_accents,
        "seed": cfg.seed,
    });
    let lsh = cfg.lsh_params();
    let signatures = serde_json::json!({
        "words": words,
        "shingle": shingle,
        "ngram": ngram,
        "num_perm": cfg.num_perm,
        "variant": cfg.variant.name(),
        "bands": lsh.bands,
        "rows": lsh.rows,
    });
    let mut value = match kind {
        Kind::Signatures => serde_json::json!({ "kind": "signatures", "of": signatures }),
        Kind::VerifiedEdges => serde_json::json!({
            "kind": "edges",
            "method": method,
            "of": signatures,
            "threshold": cfg.threshold,
            "exact_verify": cfg.exact_verify,
            "hamming": cfg.hamming_bits(),
            "weighting": format!("{:?}", cfg.weighting),
        }),
        Kind::PassageFingerprints => serde_json::json!({
            "kind": "fingerprints",
            "words": words,
            "k": cfg.passages.map(|p| p.k),
            "window": cfg.passages.map(|p| p.window()),
        }),
    };
    // Leader clustering checks every MinHash pair near the threshold, where
    // components skip pairs already joined: other edges (the key is left
    // out for components, whose files keep their hash).
    if kind == Kind::VerifiedEdges && cfg.clustering.has_leaders() {
        value["exact_checks"] = "all".into();
    }
    // Shingles left out change signatures and edges (the key is left out
    // without the option, whose files keep their hash).
    if let (Some(n), Kind::Signatures | Kind::VerifiedEdges) = (cfg.ignore_boilerplate, kind) {
        value["ignore_boilerplate"] = n.into();
        value["boilerplate_run"] = cfg.boilerplate_run().into();
    }
    hash(&value)
}

/// Writes the verified pairs of `method` (sorted by `(a, b)`).
pub(crate) fn save_edges(
    cfg: &Config,
    dir: &Path,
    method: &str,
    pairs: &[ScoredPair],
) -> Result<()> {
    let hash = params_hash(cfg, Kind::VerifiedEdges, method);
    let mut w = StageWriter::<VerifiedPair>::create(edges_path(dir, method), hash, ())?;
    for p in pairs {
        w.push(&VerifiedPair { a: p.a, b: p.b, score: p.score })?;
    }
    w.finish()?;
    Ok(())
}

/// Writes every document's passage fingerprints (before the passage stage
/// takes them).
pub(crate) fn save_fingerprints(cfg: &Config, dir: &Path, docs: &[DocState]) -> Result<()> {
    let hash = params_hash(cfg, Kind::PassageFingerprints, "");
    let mut w = StageWriter::<DocFingerprints>::create(fingerprints_path(dir), hash, ())?;
    for (i, d) in docs.iter().enumerate() {
        let doc = crate::DocId::from_index(i).ok_or(crate::Error::TooManyDocuments)?;
        w.push(&DocFingerprints { doc, fingerprints: d.fingerprints.to_vec() })?;
    }
    w.finish()?;
    Ok(())
}
