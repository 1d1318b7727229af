//! The command line: inputs, bad records, dedup output, exit codes.

use std::io::Write;

use predicates::prelude::*;

use crate::util::{clusters, neardup, report, write};

const A: &str = "De Duitse minister van Buitenlandse Zaken Heiko Maas plant een reis naar Israël en de Palestijnse gebieden om te praten over het conflict.";
const B: &str = "Duitsland is bereid om extra troepen naar de Baltische staten te sturen, zei de Duitse kanselier Olaf Scholz zondag voor zijn vertrek.";

fn line(id: &str, text: &str) -> String {
    serde_json::json!({ "id": id, "text": text }).to_string()
}

#[test]
fn bad_records_are_counted_and_named_and_the_run_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    let mut bytes = Vec::new();
    for l in [
        line("ok1", A),
        "{\"id\": \"x\", \"text\": \"bad \u{0}".to_owned(), // 2: truncated JSON
        "[1, 2, 3]".to_owned(),                             // 3: not an object
        r#"{"id": "y"}"#.to_owned(),                        // 4: no text
        line("empty", " ... "),                             // 5: no words
    ] {
        bytes.extend_from_slice(l.as_bytes());
        bytes.push(b'\n');
    }
    bytes.extend_from_slice(b"{\"id\": \"z\", \"text\": \"caf\xe9\"}\n"); // 6: invalid UTF-8
    bytes.extend_from_slice(line("ok2", A).as_bytes());
    let f = write(dir.path(), "in.jsonl", &bytes);
    let r = report(&["scan", &f]);
    let s = &r["stats"];
    assert_eq!(s["records"], 7);
    // Line 5 has no words: a document too short to compare, not a skip.
    assert_eq!(s["documents"], 3);
    assert_eq!(s["too_short_documents"], 1);
    assert_eq!(s["skipped"], 4);
    let skipped = r["skipped"].as_array().unwrap();
    let lines: Vec<_> = skipped.iter().map(|k| k["line"].as_u64()).collect();
    assert_eq!(lines, [Some(2), Some(3), Some(4), Some(6)]);
    let kinds: Vec<_> = skipped.iter().map(|k| k["reason"]["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["malformed_json", "malformed_json", "missing_text", "invalid_utf8"]);
    assert_eq!(clusters(&r), vec![vec!["ok1".to_owned(), "ok2".to_owned()]]);
    // Accounting: records = kept + removed + skipped.
    let kept = s["kept_documents"].as_u64().unwrap();
    let removed = s["duplicate_documents"].as_u64().unwrap();
    assert_eq!((kept, removed), (2, 1));
    assert_eq!(kept + removed + 4, 7);

    // The summary names file and line; --strict stops there with exit 1.
    neardup()
        .args(["scan", &f])
        .assert()
        .success()
        .stdout(predicate::str::contains("in.jsonl:2: malformed JSON"));
    neardup()
        .args(["scan", "--strict", &f])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("in.jsonl:2: malformed JSON"));
}

#[test]
fn folders_gzip_zstd_and_stdin_read_the_same_documents() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(d, "txt/b/two.txt", B.as_bytes());
    write(d, "txt/a.txt", A.as_bytes());
    write(d, "txt/ignored.md", A.as_bytes());
    let r = report(&["scan", d.join("txt").to_str().unwrap()]);
    assert_eq!(r["stats"]["documents"], 2);

    let jsonl = format!("{}\n{}\n{}\n", line("1", A), line("2", B), line("3", A));
    let plain = write(d, "c.jsonl", jsonl.as_bytes());
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(jsonl.as_bytes()).unwrap();
    let gz = write(d, "c.jsonl.gz", &gz.finish().unwrap());
    let zst = write(d, "c.jsonl.zst", &zstd::encode_all(jsonl.as_bytes(), 3).unwrap());
    let want = vec![vec!["1".to_owned(), "3".to_owned()]];
    for f in [&plain, &gz, &zst] {
        assert_eq!(clusters(&report(&["scan", f])), want, "{f}");
    }
    let out = neardup()
        .args(["scan", "-", "--format", "json", "--no-timing"])
        .write_stdin(jsonl.clone())
        .output()
        .unwrap();
    let r: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(clusters(&r), want);

    // A truncated gzip file: the lines before the cut are read, the cut is a
    // counted skip naming the file.
    let big: String = (0..2000).map(|i| line(&i.to_string(), &format!("{A} {i}")) + "\n").collect();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(big.as_bytes()).unwrap();
    let full = gz.finish().unwrap();
    let cut = write(d, "cut.jsonl.gz", &full[..full.len() / 2]);
    let r = report(&["scan", &cut]);
    let docs = r["stats"]["documents"].as_u64().unwrap();
    assert!(docs > 0 && docs < 2000, "{docs}");
    assert_eq!(r["stats"]["skipped"], 1);
    assert_eq!(r["skipped"][0]["reason"]["kind"], "unreadable");
}

#[test]
fn dedup_writes_one_document_per_cluster() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let long_a = format!("{A} Dat zei hij woensdag.");
    let input = [line("1", A), line("2", B), line("3", &long_a), "not json".to_owned()].join("\n");
    let f = write(d, "in.jsonl", input.as_bytes());
    let out = d.join("out.jsonl");
    let rep = d.join("report.json");
    neardup()
        .args(["dedup", &f, "--threshold", "0.7", "-o"])
        .arg(&out)
        .arg("--report")
        .arg(&rep)
        .assert()
        .success()
        .stdout(predicate::str::contains("wrote 2 documents"));
    let kept: Vec<String> =
        std::fs::read_to_string(&out).unwrap().lines().map(str::to_owned).collect();
    assert_eq!(kept, [line("1", A), line("2", B)]);
    let r: serde_json::Value = serde_json::from_slice(&std::fs::read(&rep).unwrap()).unwrap();
    assert_eq!(r["stats"]["duplicate_documents"], 1);
    assert_eq!(r["stats"]["skipped"], 1);

    neardup()
        .args(["dedup", &f, "--threshold", "0.7", "--keep", "longest", "-q", "-o"])
        .arg(&out)
        .assert()
        .success();
    let kept: Vec<String> =
        std::fs::read_to_string(&out).unwrap().lines().map(str::to_owned).collect();
    assert_eq!(kept, [line("2", B), line("3", &long_a)]);

    // From stdin too (saved to a temporary file for the second read).
    neardup()
        .args(["dedup", "-", "--threshold", "0.7", "-q", "-o"])
        .arg(&out)
        .write_stdin(input)
        .assert()
        .success();
    assert_eq!(std::fs::read_to_string(&out).unwrap().lines().count(), 2);
}

#[test]
fn exit_codes_and_messages_name_the_flag() {
    neardup().args(["scan"]).assert().code(2);
    neardup().args(["scan", "x", "--threshold", "abc"]).assert().code(2);
    neardup()
        .args(["scan", "data/seeds", "--bands", "20", "--rows", "10"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--bands 20 x --rows 10"));
    neardup()
        .args(["scan", "data/seeds", "--threshold", "1.5"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--threshold"));
    neardup()
        .args(["scan", "--help"])
        .assert()
        .success()
        .stdout(predicate::str::contains("[default: 0.8]"));
}

/// `--hamming auto` (the default) takes SimHash's distance from the
/// threshold and the verification (exact: the binomial's 95th percentile at
/// the threshold, 15 at 0.8, 11 at 0.9; estimate: 64/π · arccos(2J/(1+J))
/// rounded, 10 at 0.8, 7 at 0.9) and the report says so; a number is taken
/// as given, up to 16; beyond, or not a number, is a usage error; a
/// threshold that asks for more than 16 gets 16 and a warning.
#[test]
fn hamming_is_auto_by_default_and_stated_in_params() {
    let base = ["scan", "data/labelled/help_nl.jsonl", "--no-passages"];
    let params = |extra: &[&str]| report(&[&base[..], extra].concat())["params"].clone();
    let p = params(&["--method", "simhash"]);
    assert_eq!((p["hamming"].as_u64(), p["hamming_auto"].as_bool()), (Some(15), Some(true)));
    let p = params(&["--method", "both", "--threshold", "0.9"]);
    assert_eq!((p["hamming"].as_u64(), p["hamming_auto"].as_bool()), (Some(11), Some(true)));
    let p = params(&["--method", "simhash", "--verify", "estimate"]);
    assert_eq!((p["hamming"].as_u64(), p["hamming_auto"].as_bool()), (Some(10), Some(true)));
    let p = params(&["--method", "both", "--threshold", "0.9", "--verify", "estimate"]);
    assert_eq!(p["hamming"], 7);
    let p = params(&["--method", "simhash", "--hamming", "auto", "--threshold", "0.7"]);
    assert_eq!(p["hamming"], 16);
    let p = params(&["--method", "simhash", "--threshold", "0.7", "--verify", "estimate"]);
    assert_eq!(p["hamming"], 12);
    let p = params(&["--method", "simhash", "--hamming", "5"]);
    assert_eq!((p["hamming"].as_u64(), p["hamming_auto"].as_bool()), (Some(5), Some(false)));
    let p = params(&["--method", "simhash", "--hamming", "16"]);
    assert_eq!(p["hamming"], 16);
    // MinHash alone states neither.
    let p = params(&[]);
    assert!(p.get("hamming").is_none() && p.get("hamming_auto").is_none(), "{p}");
    // The summary says where the distance came from.
    neardup()
        .args(base)
        .args(["--method", "simhash", "--no-timing"])
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "Hamming <= 15 (auto: 95 % of pairs at Jaccard 0.8 within it)",
        ))
        .stdout(predicate::str::contains("each decided by its exact Jaccard (>= 0.8)"));
    neardup()
        .args(base)
        .args(["--method", "simhash", "--no-timing", "--verify", "estimate"])
        .assert()
        .success()
        .stdout(predicate::str::contains("Hamming <= 10 (auto: expected at Jaccard 0.8)"));
    neardup()
        .args(["scan", "--help"])
        .assert()
        .success()
        .stdout(predicate::str::contains("[default: auto]"));
    // Too far, or not a distance: exit 2, naming the flag.
    neardup().args(base).args(["--method", "simhash", "--hamming", "17"]).assert().code(2).stderr(
        predicate::str::contains(
            "--hamming 17 is too large: the SimHash index searches at most 16 bits",
        ),
    );
    for bad in ["-1", "many", "3.5"] {
        neardup()
            .args(base)
            .args(["--method", "simhash", "--hamming", bad])
            .assert()
            .code(2)
            .stderr(predicate::str::contains("--hamming"));
    }
    // A threshold of 0.5 asks for 17 bits with the estimate and 23 with
    // exact verification (the binomial at p = 17.13 / 64, worked out in
    // Python): 16, with a warning (none with -q).
    for (verify, wanted) in [("estimate", 17), ("exact", 23)] {
        let out = neardup()
            .args(base)
            .args(["--method", "simhash", "--threshold", "0.5", "--format", "json", "--no-timing"])
            .args(["--verify", verify])
            .output()
            .unwrap();
        assert!(out.status.success());
        let r: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(r["params"]["hamming"], 16);
        let err = String::from_utf8(out.stderr).unwrap();
        let said = format!("--hamming auto: --threshold 0.5 asks for {wanted} bits");
        assert!(err.contains(&said), "{err}");
    }
    let out = neardup()
        .args(base)
        .args(["--method", "simhash", "--threshold", "0.5", "-q"])
        .output()
        .unwrap();
    assert!(out.status.success() && out.stderr.is_empty());
}

/// A report written before `hamming_auto` (and `cluster`) were stated
/// still reads as a report.
#[test]
fn reports_without_the_newer_params_still_read() {
    let mut r =
        report(&["scan", "data/labelled/help_nl.jsonl", "--no-passages", "--method", "simhash"]);
    let typed: neardup::report::Report = serde_json::from_value(r.clone()).unwrap();
    assert_eq!(typed.params.hamming_auto, Some(true));
    let params = r["params"].as_object_mut().unwrap();
    params.remove("hamming_auto");
    params.remove("cluster");
    let old: neardup::report::Report = serde_json::from_value(r).unwrap();
    assert_eq!(old.params.hamming_auto, None);
    assert_eq!(old.params.hamming, Some(15));
    assert_eq!(old.params.cluster, "components");
}

#[test]
fn report_file_is_written_and_summary_printed() {
    let dir = tempfile::tempdir().unwrap();
    let rep = dir.path().join("r.jsonl");
    neardup()
        .args(["scan", "data/labelled/help_nl.jsonl", "--format", "jsonl", "-o"])
        .arg(&rep)
        .assert()
        .success()
        .stdout(predicate::str::contains("clusters holding"));
    let text = std::fs::read_to_string(&rep).unwrap();
    let first: serde_json::Value = serde_json::from_str(text.lines().next().unwrap()).unwrap();
    assert_eq!(first["type"], "header");
    assert_eq!(first["params"]["bands"], 13);
    assert_eq!(first["params"]["rows"], 7);
    assert_eq!(first["params"]["cluster"], "star");
    let curve = &first["params"]["s_curve"];
    assert_eq!(curve["candidate_probability_at_threshold"], 0.9531);
    assert_eq!(curve["floor_reached"], true);
    let n = text.lines().filter(|l| l.contains("\"type\":\"cluster\"")).count() as u64;
    assert_eq!(Some(n), first["stats"]["clusters"].as_u64());
}

#[test]
fn progress_json_lines_on_stderr_and_quiet_when_piped() {
    let out = neardup()
        .args(["scan", "data/labelled/help_nl.jsonl", "--progress", "json", "-q"])
        .output()
        .unwrap();
    assert!(out.status.success());
    assert!(out.stdout.is_empty(), "-q prints no summary");
    let lines: Vec<serde_json::Value> = String::from_utf8(out.stderr)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let stages: Vec<&str> = lines.iter().map(|l| l["stage"].as_str().unwrap()).collect();
    assert_eq!(stages.first(), Some(&"read"));
    assert_eq!(stages.last(), Some(&"done"));
    assert!(stages.contains(&"passages"));
    let last = lines.last().unwrap();
    assert_eq!(last["records"], 294);
    // Bytes of the records: the file without its 294 line breaks.
    let file = std::fs::metadata(crate::util::data("labelled/help_nl.jsonl")).unwrap().len();
    assert_eq!(last["bytes"], file - 294);
    // Not a terminal: the default shows nothing on stderr.
    let out = neardup().args(["scan", "data/labelled/help_nl.jsonl"]).output().unwrap();
    assert!(out.stderr.is_empty());
}

/// The summary lists the passages that cost most (bytes of all copies but
/// one, worked out here from the JSON report), `--top` of them, and with
/// `--min-docs` only those in that many documents; it says how many it
/// left out and why.
#[test]
fn summary_lists_the_costliest_passages() {
    let inputs = ["data/seeds", "data/labelled/help_nl.jsonl"];
    let r = report(&[&["scan"][..], &inputs].concat());
    let passages = r["passages"].as_array().unwrap();
    let cost = crate::util::passage_cost;
    let ids_listed = |extra: &[&str]| -> (Vec<u64>, String) {
        let out =
            neardup().args(["scan", "--no-timing"]).args(inputs).args(extra).output().unwrap();
        assert!(out.status.success());
        let text = String::from_utf8(out.stdout).unwrap();
        let section = text.split("costliest passages").nth(1).unwrap_or("").to_owned();
        let ids = section
            .lines()
            .filter_map(|l| l.trim().strip_prefix('#'))
            .map(|l| l.split(' ').next().unwrap().parse().unwrap())
            .collect();
        (ids, text)
    };
    for (top, min_docs) in [(10usize, 1u64), (3, 3), (25, 2)] {
        let mut expected: Vec<&serde_json::Value> =
            passages.iter().filter(|p| p["documents"].as_u64().unwrap() >= min_docs).collect();
        // Costliest first; equal costs in report order (a stable sort).
        expected.sort_by_key(|p| std::cmp::Reverse(cost(p)));
        let expected: Vec<u64> =
            expected.iter().take(top).map(|p| p["id"].as_u64().unwrap()).collect();
        let (listed, text) =
            ids_listed(&["--top", &top.to_string(), "--min-docs", &min_docs.to_string()]);
        assert_eq!(listed, expected, "--top {top} --min-docs {min_docs}");
        let left = passages.len() - listed.len();
        assert!(text.contains(&format!("... {left} more in the report (-o)")), "{text}");
        let fewer = passages.iter().filter(|p| p["documents"].as_u64().unwrap() < min_docs).count();
        if fewer > 0 {
            assert!(text.contains(&format!("{fewer} of them in fewer than {min_docs} documents")));
        }
    }
}
