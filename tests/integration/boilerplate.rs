//! `--ignore-boilerplate`: shingles in many documents left out of document
//! similarity. Expected results come from labels and from Jaccard values
//! this file works out itself (a naive 5-word shingle set).

use std::collections::HashSet;

use crate::util::{clusters, data, neardup, report, write};

fn line(id: &str, text: &str) -> String {
    serde_json::json!({"id": id, "text": text}).to_string()
}

/// Words `w{from}..w{to}` with a prefix, so that texts of different
/// prefixes share nothing.
fn words(prefix: &str, from: usize, to: usize) -> Vec<String> {
    (from..to).map(|i| format!("{prefix}{i}")).collect()
}

fn jaccard(a: &[String], b: &[String]) -> f64 {
    let set = |w: &[String]| -> HashSet<String> { w.windows(5).map(|x| x.join(" ")).collect() };
    let (x, y) = (set(a), set(b));
    x.intersection(&y).count() as f64 / x.union(&y).count() as f64
}

/// The labelled footer set: distinct short pages under one 300-word
/// footer (pairwise about 0.8 with it, below 0.3 without), and true
/// variants. Without the option the footer makes false clusters; with it
/// precision is 1 and recall stays.
#[test]
fn a_shared_footer_neither_makes_nor_hides_near_duplicates() {
    let f = data("labelled/footers.jsonl");
    let truth = data("labelled/footers.labels.jsonl");
    let (f, truth) = (f.to_str().unwrap(), truth.to_str().unwrap());
    let plain = report(&["scan", f, "--no-passages", "--truth", truth]);
    let p = plain["evaluation"]["precision"].as_f64().unwrap();
    assert!(p < 0.8, "the footer should mislead plain similarity: precision {p}");
    let r = report(&["scan", f, "--no-passages", "--truth", truth, "--ignore-boilerplate", "20"]);
    let e = &r["evaluation"];
    assert_eq!(e["precision"].as_f64().unwrap(), 1.0, "{e}");
    assert!(e["recall"].as_f64().unwrap() >= 0.95, "{e}");
    assert_eq!(r["params"]["ignore_boilerplate"], 20);
    assert!(plain["params"].get("ignore_boilerplate").is_none());
}

/// Long pages (more distinct shingles than signature values, so pairs
/// near the threshold are checked exactly on a re-read) under a 600-word
/// footer in 30 documents: a pair whose own text is at 0.75 is no
/// near-duplicate once the footer is out (with it, 0.91), a pair at 0.9
/// stays one; and a document that is the footer alone is boilerplate only:
/// listed, in no cluster, kept by dedup, while passages still find the
/// footer.
#[test]
fn boilerplate_is_left_out_of_the_exact_check_too() {
    let dir = tempfile::tempdir().unwrap();
    let footer = words("f", 0, 600);
    let mut docs: Vec<(String, Vec<String>)> = Vec::new();
    // Pair A: bodies share 260 of 300 words.
    let a1 = words("a", 0, 300);
    let a2: Vec<String> = words("a", 0, 260).into_iter().chain(words("b", 0, 40)).collect();
    // Pair C: bodies share 290 of 300 words.
    let c1 = words("c", 0, 300);
    let c2: Vec<String> = words("c", 0, 290).into_iter().chain(words("d", 0, 10)).collect();
    let with_footer =
        |body: &[String]| -> Vec<String> { body.iter().chain(&footer).cloned().collect() };
    let ja = jaccard(&a1, &a2);
    assert!((0.7..0.8).contains(&ja), "{ja}");
    assert!(jaccard(&with_footer(&a1), &with_footer(&a2)) > 0.85);
    assert!(jaccard(&c1, &c2) > 0.9);
    for (id, body) in [("A1", &a1), ("A2", &a2), ("C1", &c1), ("C2", &c2)] {
        docs.push((id.into(), with_footer(body)));
    }
    for i in 0..25 {
        docs.push((format!("other{i:02}"), with_footer(&words(&format!("o{i}x"), 0, 300))));
    }
    docs.push(("footer-only".into(), footer.clone()));
    let lines: Vec<String> = docs.iter().map(|(id, w)| line(id, &w.join(" "))).collect();
    let f = write(dir.path(), "pages.jsonl", lines.join("\n").as_bytes());
    let r = report(&["scan", &f, "--ignore-boilerplate", "10"]);
    let mut got = clusters(&r);
    got.iter_mut().for_each(|c| c.sort());
    assert_eq!(got, vec![vec!["C1".to_owned(), "C2".to_owned()]]);
    assert_eq!(r["boilerplate_only"], serde_json::json!(["footer-only"]));
    assert_eq!(r["stats"]["boilerplate_only_documents"], 1);
    // Passages: the footer is found in all 30 documents all the same.
    let footer_docs = r["passages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["documents"].as_u64().unwrap_or(0))
        .max()
        .unwrap_or(0);
    assert_eq!(footer_docs, 30, "{}", r["passages"]);
    // Without the option the footer makes a near-duplicate of pair A.
    let mut plain = clusters(&report(&["scan", &f, "--no-passages"]));
    plain.iter_mut().for_each(|c| c.sort());
    plain.sort();
    assert_eq!(plain, vec![vec!["A1".to_owned(), "A2".to_owned()], vec!["C1".into(), "C2".into()]]);
    // Dedup keeps the footer-only document and one of C.
    let out = dir.path().join("kept.jsonl");
    let st = neardup()
        .args(["dedup", &f, "--ignore-boilerplate", "10", "--no-passages", "-o"])
        .arg(&out)
        .output()
        .unwrap();
    assert!(st.status.success(), "{}", String::from_utf8_lossy(&st.stderr));
    let kept = std::fs::read_to_string(&out).unwrap();
    assert_eq!(kept.lines().count(), docs.len() - 1);
    assert!(kept.contains("\"footer-only\"") && !kept.contains("\"C2\""));
    // The summary says so.
    let text = neardup()
        .args(["scan", &f, "--ignore-boilerplate", "10", "--no-passages", "--no-timing"])
        .output()
        .unwrap();
    let s = String::from_utf8_lossy(&text.stdout);
    assert!(s.contains("1 documents are boilerplate only"), "{s}");
}

#[test]
fn ignore_boilerplate_below_two_is_refused() {
    let out = neardup().args(["scan", "data/seeds", "--ignore-boilerplate", "1"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--ignore-boilerplate 1"));
}
