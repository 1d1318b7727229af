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

/// The 5-word shingles of `w`, in text order.
fn shingles(w: &[String]) -> Vec<String> {
    w.windows(5).map(|x| x.join(" ")).collect()
}

/// Naive twin of `--ignore-boilerplate n --boilerplate-words words`: a
/// shingle goes if it is in a run of at least `words − 4` shingles in a row
/// (text order) that each occur in `n` or more documents.
fn filtered_sets(docs: &[Vec<String>], n: usize, words: usize) -> Vec<HashSet<String>> {
    let mut df: std::collections::HashMap<String, usize> = Default::default();
    for d in docs {
        for s in shingles(d).into_iter().collect::<HashSet<_>>() {
            *df.entry(s).or_default() += 1;
        }
    }
    let run = (words + 1).saturating_sub(5).max(1);
    docs.iter()
        .map(|d| {
            let s = shingles(d);
            let frequent: Vec<bool> = s.iter().map(|x| df[x] >= n).collect();
            (0..s.len())
                .filter(|&i| {
                    // In some window of `run` frequent shingles?
                    !(i.saturating_sub(run - 1)..=i)
                        .any(|a| a + run <= s.len() && frequent[a..a + run].iter().all(|&f| f))
                })
                .map(|i| s[i].clone())
                .collect()
        })
        .collect()
}

/// Only runs of frequent shingles go, not a common line on its own: 30
/// pages of 4 short common lines (8 words each, in every page) between 24
/// words of their own, under one 40-word footer. Two of them differ in one
/// word. Worked out by the naive twin: with the common lines kept
/// (`--boilerplate-words 20`, the default: the footer's run goes, the
/// lines' runs of 4 shingles stay) the pair is at 0.836; with every
/// frequent shingle out (`--boilerplate-words 1`) at 0.778, no longer a
/// near-duplicate. The others are near-duplicates of nothing either way.
#[test]
fn common_lines_stay_and_shared_passages_go() {
    let footer = words("f", 0, 40);
    let lines: Vec<Vec<String>> = (0..4).map(|j| words(&format!("l{j}x"), 0, 8)).collect();
    let page = |prefix: &str| -> Vec<String> {
        let mut w = Vec::new();
        for (j, l) in lines.iter().enumerate() {
            w.extend(l.iter().cloned());
            w.extend(words(prefix, j * 6, (j + 1) * 6));
        }
        w.extend(footer.iter().cloned());
        w
    };
    let mut docs: Vec<Vec<String>> = (0..28).map(|i| page(&format!("o{i}x"))).collect();
    let p1 = page("a");
    let mut p2 = p1.clone();
    let at = p2.len() - footer.len() - 2;
    p2[at] = "zz".into();
    docs.push(p1);
    docs.push(p2);
    let ids: Vec<String> = (0..docs.len())
        .map(|i| if i < 28 { format!("o{i:02}") } else { format!("P{}", i - 27) })
        .collect();
    let jaccard_of = |sets: &[HashSet<String>], a: usize, b: usize| {
        sets[a].intersection(&sets[b]).count() as f64 / sets[a].union(&sets[b]).count() as f64
    };
    let runs = filtered_sets(&docs, 10, 20);
    let every = filtered_sets(&docs, 10, 1);
    let (with_lines, without) = (jaccard_of(&runs, 28, 29), jaccard_of(&every, 28, 29));
    assert!((with_lines - 0.836).abs() < 0.001 && (without - 0.778).abs() < 0.001);
    // Neither way are the others near anything (their best pair).
    for sets in [&runs, &every] {
        let best = (0..30)
            .flat_map(|a| (a + 1..30).map(move |b| (a, b)))
            .filter(|&(a, b)| (a, b) != (28, 29))
            .map(|(a, b)| jaccard_of(sets, a, b))
            .fold(0.0, f64::max);
        assert!(best < 0.5, "{best}");
    }
    let dir = tempfile::tempdir().unwrap();
    let text: Vec<String> = docs.iter().zip(&ids).map(|(w, id)| line(id, &w.join(" "))).collect();
    let f = write(dir.path(), "lines.jsonl", text.join("\n").as_bytes());
    let scan = |extra: &[&str]| {
        let mut args = vec!["scan", f.as_str(), "--no-passages", "--ignore-boilerplate", "10"];
        args.extend_from_slice(extra);
        report(&args)
    };
    let r = scan(&[]);
    assert_eq!(clusters(&r), vec![vec!["P1".to_owned(), "P2".to_owned()]]);
    assert_eq!(r["params"]["boilerplate_words"], 20);
    let r = scan(&["--boilerplate-words", "1"]);
    assert!(clusters(&r).is_empty(), "{:?}", clusters(&r));
    assert_eq!(r["params"]["boilerplate_words"], 1);
    // SimHash leaves out the same shingles (its pairs are checked exactly).
    let r = scan(&["--method", "simhash"]);
    assert_eq!(clusters(&r), vec![vec!["P1".to_owned(), "P2".to_owned()]]);
}
