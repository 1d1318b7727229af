//! Quality on the labelled collection and the sample articles.

use crate::util::{clusters, data, neardup, report};

/// data/labelled/help_nl.jsonl: 294 real Dutch help pages, 60 clusters of
/// near-duplicates made by realistic edits (see data/labelled/README.md).
/// The floors (0.95) are the issue's targets, fixed before the run; they
/// hold for connected components. Leader clustering (the default) puts a
/// variant in its leader's cluster only if it is within the threshold of
/// the leader, not through another member, so it gives up the true pairs
/// below 0.8 that components reach by chaining: with every pair a
/// candidate (`--bands 128 --rows 1`) its recall is 0.9472 on this
/// collection, its ceiling; its floor here is 0.93.
#[test]
fn labelled_collection_precision_and_recall_at_default_threshold() {
    for (mode, floor) in [("components", 0.95), ("leader", 0.93)] {
        labelled_collection_scores(mode, floor);
    }
}

fn labelled_collection_scores(mode: &str, floor: f64) {
    let dir = tempfile::tempdir().unwrap();
    let rep = dir.path().join("report.json");
    neardup()
        .args(["scan", "data/labelled/help_nl.jsonl", "--no-timing", "-q", "--cluster", mode, "-o"])
        .arg(&rep)
        .assert()
        .success();
    let out = neardup()
        .args(["eval", "--truth", "data/labelled/help_nl.labels.jsonl", "--format", "json"])
        .arg(&rep)
        .output()
        .unwrap();
    assert!(out.status.success());
    let m: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let (p, r) = (m["precision"].as_f64().unwrap(), m["recall"].as_f64().unwrap());
    assert!(p >= 0.95, "{mode}: precision {p}");
    assert!(r >= floor, "{mode}: recall {r}");
    assert_eq!(m["documents"], 294);
    assert_eq!(m["true_pairs"], 284);
}

/// The MinHash recall floor (issue 13): bands × rows make a pair at the
/// threshold a candidate with probability ≥ 0.95 (13 × 7 for 0.8), so the
/// recall on help_nl no longer moves with the seed. With components, whose
/// ceiling (every pair a candidate) is 0.9754: at least 0.97 for every
/// seed 0–11 (with 12 × 10 bands it was 0.9472–0.9754). With stars, the
/// default, also at least 0.97 (0.9718–0.9754 measured): the page a
/// cluster's variants were made from has the most near-duplicates, so it
/// leads and takes them all. With leaders in input order (ceiling 0.9472,
/// see above: a variant that comes first splits its siblings off): at
/// least 0.93 for every seed (12 × 10: 0.9049–0.9472). Precision stays 1
/// in all three.
#[test]
fn recall_does_not_depend_on_the_seed() {
    for seed in 0..12 {
        let seed = seed.to_string();
        for (mode, floor) in [("components", 0.97), ("star", 0.97), ("leader", 0.93)] {
            let r = report(&[
                "scan",
                "data/labelled/help_nl.jsonl",
                "--no-passages",
                "--cluster",
                mode,
                "--seed",
                &seed,
                "--truth",
                "data/labelled/help_nl.labels.jsonl",
            ]);
            assert_eq!(r["params"]["bands"], 13);
            assert_eq!(r["params"]["rows"], 7);
            let e = &r["evaluation"];
            let (p, rec) = (e["precision"].as_f64().unwrap(), e["recall"].as_f64().unwrap());
            assert_eq!(p, 1.0, "{mode} seed {seed}");
            assert!(rec >= floor, "{mode} seed {seed}: recall {rec}");
        }
    }
}

/// The two sample articles are different stories that share only short
/// phrases: not near-duplicates.
#[test]
fn seed_articles_are_not_clustered() {
    let r = report(&["scan", data("seeds").to_str().unwrap()]);
    assert_eq!(r["stats"]["documents"], 2);
    assert!(clusters(&r).is_empty(), "{:?}", clusters(&r));
}

/// Documents shorter than the shingle size: two different ones are never
/// clustered because both are short; identical ones are.
#[test]
fn short_documents() {
    let input = [
        r#"{"id": "a", "text": "Kort bericht."}"#,
        r#"{"id": "b", "text": "Ander bericht!"}"#,
        r#"{"id": "c", "text": "kort   BERICHT"}"#,
        r#"{"id": "d", "text": "Zon"}"#,
        r#"{"id": "e", "text": "Regen"}"#,
        r#"{"id": "f", "text": "Drie korte woorden"}"#,
        r#"{"id": "g", "text": "Vier korte woorden hier"}"#,
    ]
    .join("\n");
    let out = neardup()
        .args(["scan", "-", "--format", "json", "--no-timing"])
        .write_stdin(input)
        .output()
        .unwrap();
    assert!(out.status.success());
    let r: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(clusters(&r), vec![vec!["a".to_owned(), "c".to_owned()]]);
}

/// SimHash and both methods on the labelled collection: every reported
/// pair is what its method promises, and `both` finds at least what each
/// method finds alone.
#[test]
fn simhash_and_both_methods() {
    let base = ["scan", "data/labelled/help_nl.jsonl", "--no-passages"];
    let run = |extra: &[&str]| {
        let mut args = base.to_vec();
        args.extend_from_slice(extra);
        report(&args)
    };
    let both = run(&["--method", "both"]);
    // K = 15 (auto, at 0.8, exact verification) over 294 documents: the
    // cost model takes 12 substrings of 5–6 bits (15 = 1·12 + 3: three
    // searched within 1 bit, nine at radius 0).
    assert_eq!(both["params"]["hamming"], 15);
    assert_eq!(both["params"]["simhash_tables"], 12);
    let mut methods_seen = std::collections::BTreeSet::new();
    for c in both["clusters"].as_array().unwrap() {
        for p in c["pairs"].as_array().unwrap() {
            let methods: Vec<&str> =
                p["methods"].as_array().unwrap().iter().map(|m| m.as_str().unwrap()).collect();
            methods_seen.insert(methods.join("+"));
            // Either method's pair has its Jaccard (SimHash's is exact).
            assert!(p["jaccard"].as_f64().unwrap() >= 0.8);
            if methods.contains(&"simhash") {
                assert!(p["hamming"].as_u64().unwrap() <= 15);
            } else {
                assert!(p.get("hamming").is_none());
            }
        }
    }
    assert!(
        methods_seen.contains("minhash+simhash") && methods_seen.contains("minhash"),
        "{methods_seen:?}"
    );
    let pairs = |r: &serde_json::Value| r["stats"]["verified_pairs"].as_u64().unwrap();
    let (mh, sh) = (run(&[]), run(&["--method", "simhash"]));
    assert!(pairs(&both) >= pairs(&mh).max(pairs(&sh)));
    assert!(pairs(&sh) > 0);
    // tf-idf reads the input once more and still finds pairs.
    let tfidf = run(&["--method", "simhash", "--weighting", "tfidf", "--hamming", "6"]);
    assert_eq!(tfidf["params"]["weighting"], "tfidf");
    assert!(pairs(&tfidf) > 0);
}

/// Issue 13 part 4: SimHash at its defaults (`--hamming auto`: 15 bits at
/// Jaccard 0.8, every pair then decided by its exact Jaccard) on the
/// labelled help pages and on a generated news set with edits (3 MB, seed
/// 7: 1,066 documents). Measured: help_nl 1.0000 / 0.9472 (leaders),
/// 1.0000 / 0.9754 (components); generated 1.0000 / 0.9049 both ways
/// (MinHash at its defaults: 0.9095). The floors are the issue's targets
/// (precision 0.95, recall 0.9).
#[test]
fn simhash_at_its_defaults() {
    let dir = tempfile::tempdir().unwrap();
    let (docs, labels) = (dir.path().join("g.jsonl"), dir.path().join("g.labels.jsonl"));
    neardup()
        .args(["synth", "--from", "data/seeds", "data/labelled/help_nl.jsonl", "--bytes", "3M"])
        .args(["--seed", "7", "-o"])
        .arg(&docs)
        .arg("--labels")
        .arg(&labels)
        .assert()
        .success();
    let (docs, labels) = (docs.to_str().unwrap(), labels.to_str().unwrap());
    let sets = [
        ("data/labelled/help_nl.jsonl", "data/labelled/help_nl.labels.jsonl", 0.9),
        (docs, labels, 0.9),
    ];
    for (input, truth, floor) in sets {
        for mode in ["leader", "components"] {
            let r = report(&[
                "scan",
                input,
                "--truth",
                truth,
                "--no-passages",
                "--method",
                "simhash",
                "--cluster",
                mode,
            ]);
            assert_eq!(r["params"]["hamming"], 15);
            let e = &r["evaluation"];
            let (p, rec) = (e["precision"].as_f64().unwrap(), e["recall"].as_f64().unwrap());
            assert!(p >= 0.95 && rec >= floor, "{input} {mode}: precision {p}, recall {rec}");
        }
    }
}

/// Near the threshold the exact Jaccard decides, whatever the seed. Pairs
/// built by hand: n distinct words, then the last m replaced: 5-shingle
/// Jaccard (n − 4 − m)/(n − 4 + m). For n = 200: m = 20 gives 176/216 =
/// 0.815, m = 22 gives 174/218 = 0.798, decided by a re-read. For n = 100
/// (96 shingles, fewer than the 128 signature values): m = 10 gives 0.811,
/// m = 11 gives 0.794, decided in memory from the kept shingle sets.
#[test]
fn exact_verification_decides_near_the_threshold() {
    let words = |prefix: &str, range: std::ops::Range<usize>| -> Vec<String> {
        range.map(|i| format!("{prefix}{i}")).collect()
    };
    let line = |id: &str, text: &str| serde_json::json!({"id": id, "text": text}).to_string();
    for (n, near, far, rereads) in [(200, 20, 22, 2), (100, 10, 11, 0)] {
        let edit = |prefix: &str, m: usize, tail: &str| {
            let mut w = words(prefix, 0..n - m);
            w.extend(words(tail, 0..m));
            w.join(" ")
        };
        let input = [
            line("a", &words("w", 0..n).join(" ")),
            line("b", &edit("w", near, "xq")),
            line("c", &words("v", 0..n).join(" ")),
            line("d", &edit("v", far, "yq")),
        ]
        .join("\n");
        let dir = tempfile::tempdir().unwrap();
        let f = crate::util::write(dir.path(), "near.jsonl", input.as_bytes());
        for seed in ["0", "1", "2", "3", "4", "5", "6", "7"] {
            let r = report(&[
                "scan",
                &f,
                "--no-passages",
                "--bands",
                "32",
                "--rows",
                "4",
                "--seed",
                seed,
            ]);
            assert_eq!(
                clusters(&r),
                vec![vec!["a".to_owned(), "b".to_owned()]],
                "n {n} seed {seed}"
            );
            assert_eq!(r["params"]["verify"], "exact-near-threshold");
            assert_eq!(r["stats"]["exact_checked_pairs"], rereads, "n {n} seed {seed}");
        }
    }
}
