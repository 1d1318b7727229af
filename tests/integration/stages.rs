//! `--save-stages`: the versioned stage files of a run hold what the run
//! computed (checked against values recomputed here from the texts with the
//! library's primitives, and against the report), and a reader with other
//! parameters refuses them, naming the file.

use std::collections::HashMap;

use neardup::lsh::LshParams;
use neardup::minhash::{MinHasher, Variant};
use neardup::passage::fingerprint;
use neardup::shingle::word_shingles;
use neardup::source::{Input, SourceOptions};
use neardup::stage::files::{edges_path, fingerprints_path, params_hash, signatures_path};
use neardup::stagefile::{DocFingerprints, DocSignature, Kind, StageReader};
use neardup::text::{TextOptions, Tokenizer};
use neardup::verify::VerifiedPair;
use neardup::{Method, Options};

use crate::util::{data, neardup};

fn run(dir: &std::path::Path, extra: &[&str]) -> serde_json::Value {
    let out = neardup()
        .args(["scan", "data/labelled/help_nl.jsonl", "--format", "json", "--no-timing", "-q"])
        .arg("--save-stages")
        .arg(dir)
        .args(extra)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap()
}

fn config(edit: impl FnOnce(&mut Options)) -> neardup::Config {
    let mut o = Options::new(vec![Input::Path(data("labelled/help_nl.jsonl"))]);
    edit(&mut o);
    o.build().unwrap()
}

/// The texts of the collection, in input order (every record has words).
fn texts() -> Vec<String> {
    let input = [Input::Path(data("labelled/help_nl.jsonl"))];
    let (docs, skips) = neardup::stage::read::read_all(&input, &SourceOptions::default());
    assert!(skips.is_empty());
    docs.into_iter().map(|d| d.text).collect()
}

#[test]
fn stage_files_hold_what_the_run_computed() {
    let dir = tempfile::tempdir().unwrap();
    // Components: the report's clusters are the components of the edges.
    let report = run(dir.path(), &["--cluster", "components"]);
    let cfg = config(|o| o.clustering = neardup::cluster::Clustering::Components);
    let texts = texts();
    let documents = report["stats"]["documents"].as_u64().unwrap() as usize;
    assert_eq!(texts.len(), documents);

    // Signatures: one per document, as MinHash signs the 5-word shingles,
    // with the band keys of the report's bands × rows.
    let hash = params_hash(&cfg, Kind::Signatures, "minhash");
    let sigs: Vec<DocSignature> =
        StageReader::open(signatures_path(dir.path()), hash).unwrap().read_all().unwrap();
    assert_eq!(sigs.len(), documents);
    let lsh = LshParams {
        bands: report["params"]["bands"].as_u64().unwrap() as usize,
        rows: report["params"]["rows"].as_u64().unwrap() as usize,
    };
    let hasher = MinHasher::new(128, 0, Variant::OnePermutation);
    let mut tokenizer = Tokenizer::new(TextOptions::default());
    for (i, (s, text)) in sigs.iter().zip(&texts).enumerate().step_by(37) {
        assert_eq!(s.doc.index(), i);
        let mut words = Vec::new();
        tokenizer.hashes_into(text, &mut words);
        let mut shingles = Vec::new();
        word_shingles(&words, 5, 0, &mut shingles);
        assert_eq!(s.signature, hasher.sign(&shingles), "document {i}");
        let mut keys = Vec::new();
        lsh.band_keys(&s.signature, &mut keys);
        assert_eq!(s.band_keys, keys, "document {i}");
    }

    // Edges: the verified pairs; joined, they make the report's clusters.
    let hash = params_hash(&cfg, Kind::VerifiedEdges, "minhash");
    let edges: Vec<VerifiedPair> =
        StageReader::open(edges_path(dir.path(), "minhash"), hash).unwrap().read_all().unwrap();
    assert_eq!(edges.len() as u64, report["stats"]["verified_pairs"].as_u64().unwrap());
    assert!(edges.iter().all(|e| e.a < e.b && e.score >= 0.8), "pairs in order, verified");
    let mut parent: Vec<usize> = (0..documents).collect();
    fn root(p: &mut [usize], mut x: usize) -> usize {
        while p[x] != x {
            x = p[x];
        }
        x
    }
    for e in &edges {
        let (a, b) = (root(&mut parent, e.a.index()), root(&mut parent, e.b.index()));
        parent[a.max(b)] = a.min(b);
    }
    let mut sizes: HashMap<usize, usize> = HashMap::new();
    for d in 0..documents {
        *sizes.entry(root(&mut parent, d)).or_default() += 1;
    }
    let mut from_edges: Vec<usize> = sizes.into_values().filter(|&n| n > 1).collect();
    let mut from_report: Vec<usize> = report["clusters"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["size"].as_u64().unwrap() as usize)
        .collect();
    from_edges.sort_unstable();
    from_report.sort_unstable();
    assert_eq!(from_edges, from_report);

    // Fingerprints: per document, the winnowed 5-word windows of its words
    // (none for a document shorter than a passage).
    let hash = params_hash(&cfg, Kind::PassageFingerprints, "");
    let fps: Vec<DocFingerprints> =
        StageReader::open(fingerprints_path(dir.path()), hash).unwrap().read_all().unwrap();
    assert_eq!(fps.len(), documents);
    let popts = cfg.passages.unwrap();
    for (i, (f, text)) in fps.iter().zip(&texts).enumerate().step_by(29) {
        let mut words = Vec::new();
        tokenizer.hashes_into(text, &mut words);
        let expected = if words.len() >= popts.min_words {
            fingerprint::fingerprints(&words, popts.k, popts.window(), 0, &mut Vec::new())
        } else {
            Vec::new()
        };
        assert_eq!(f.fingerprints, expected, "document {i}");
    }
    assert!(fps.iter().map(|f| f.fingerprints.len()).sum::<usize>() > documents);
}

#[test]
fn other_parameters_are_refused_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    run(dir.path(), &[]);
    // Another threshold chooses other bands × rows: other signatures file.
    let other = config(|o| o.threshold = 0.6);
    let path = signatures_path(dir.path());
    let Err(e) =
        StageReader::<DocSignature>::open(&path, params_hash(&other, Kind::Signatures, "minhash"))
    else {
        panic!("another threshold's signatures were read")
    };
    let msg = e.to_string();
    assert!(msg.contains(&path.display().to_string()) && msg.contains("parameters"), "{msg}");
    // The passage length does not change signatures; it does change the
    // fingerprints' windows.
    let longer =
        config(|o| o.passages = Some(neardup::passage::PassageOptions { min_words: 40, k: 5 }));
    assert!(
        StageReader::<DocSignature>::open(&path, params_hash(&longer, Kind::Signatures, "minhash"))
            .is_ok()
    );
    let fps = fingerprints_path(dir.path());
    let Err(e) = StageReader::<DocFingerprints>::open(
        &fps,
        params_hash(&longer, Kind::PassageFingerprints, ""),
    ) else {
        panic!("fingerprints of another passage length were read")
    };
    assert!(e.to_string().contains(&fps.display().to_string()), "{e}");
    // A signatures file is not an edges file.
    let Err(e) = StageReader::<VerifiedPair>::open(&path, 0) else {
        panic!("a signatures file was read as edges")
    };
    assert!(e.to_string().contains("expected"), "{e}");
}

#[test]
fn simhash_writes_its_edges_and_no_signatures() {
    let dir = tempfile::tempdir().unwrap();
    let report = run(dir.path(), &["--method", "simhash", "--no-passages"]);
    assert!(!signatures_path(dir.path()).exists());
    assert!(!fingerprints_path(dir.path()).exists());
    let cfg = config(|o| (o.method, o.passages) = (Method::SimHash, None));
    let hash = params_hash(&cfg, Kind::VerifiedEdges, "simhash");
    let edges: Vec<VerifiedPair> =
        StageReader::open(edges_path(dir.path(), "simhash"), hash).unwrap().read_all().unwrap();
    assert_eq!(edges.len() as u64, report["stats"]["verified_pairs"].as_u64().unwrap());
    // With exact verification (the default) the score is the exact
    // Jaccard, at least the threshold; with the estimate it is the Hamming
    // distance, within --hamming auto: 10 at 0.8.
    assert!(edges.iter().all(|e| (0.8..=1.0).contains(&e.score)));
    let estimate = tempfile::tempdir().unwrap();
    let flags = ["--method", "simhash", "--no-passages", "--verify", "estimate"];
    let report = run(estimate.path(), &flags);
    let cfg = config(|o| (o.method, o.passages, o.exact_verify) = (Method::SimHash, None, false));
    let hash = params_hash(&cfg, Kind::VerifiedEdges, "simhash");
    let edges: Vec<VerifiedPair> = StageReader::open(edges_path(estimate.path(), "simhash"), hash)
        .unwrap()
        .read_all()
        .unwrap();
    assert_eq!(edges.len() as u64, report["stats"]["verified_pairs"].as_u64().unwrap());
    assert!(edges.iter().all(|e| e.score.fract() == 0.0 && e.score <= 10.0));
}
