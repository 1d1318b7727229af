//! Defects found in review, each pinned by the input that showed it.

use neardup::progress::NoProgress;
use neardup::source::Input;
use neardup::{Method, Options};

use crate::util::{PASSAGE, neardup, write};

fn line(id: Option<&str>, text: &str) -> String {
    match id {
        Some(id) => serde_json::json!({"id": id, "text": text}).to_string(),
        None => serde_json::json!({"text": text}).to_string(),
    }
}

/// A first batch of skipped records only: the document read later still
/// gets its repeated passage (pairs were once tried before it was read).
#[test]
fn passages_after_a_batch_of_only_skips() {
    let dir = tempfile::tempdir().unwrap();
    let skips = write(dir.path(), "skips.jsonl", b"[1]\n[2]\n{\"text\": \"\"}\n");
    let doc = write(dir.path(), "doc.txt", format!("{PASSAGE}\n\n{PASSAGE}").as_bytes());
    let mut cfg = Options::new(vec![Input::Path(skips.into()), Input::Path(doc.into())]);
    cfg.method = Method::None;
    cfg.batch_bytes = 1; // one record per batch
    let out = neardup::scan(&cfg.build().unwrap(), &NoProgress).unwrap();
    assert_eq!(out.report.stats.skipped, 2);
    assert_eq!(out.report.stats.too_short_documents, 1);
    assert_eq!(out.report.passages.len(), 1);
    assert_eq!(out.report.passages[0].occurrences.len(), 2);
}

/// stdin saved for a second read keeps its name: ids and skips say `-`,
/// and two runs give the same bytes.
#[test]
fn stdin_keeps_its_name_when_saved() {
    let input = [line(None, PASSAGE), "not json".to_owned(), line(None, PASSAGE)].join("\n");
    let run = || {
        let out = neardup()
            .args(["scan", "-", "--format", "json", "--no-timing"])
            .write_stdin(input.clone())
            .output()
            .unwrap();
        assert!(out.status.success());
        out.stdout
    };
    let (a, b) = (run(), run());
    assert_eq!(a, b);
    let r: serde_json::Value = serde_json::from_slice(&a).unwrap();
    assert_eq!(r["clusters"][0]["members"][0]["doc"], "-:1");
    assert_eq!(r["clusters"][0]["members"][1]["doc"], "-:3");
    assert_eq!(r["skipped"][0]["source"], "-");
}

/// `--html` reads the texts again, so stdin is saved for it too.
#[test]
fn html_from_stdin_has_the_texts() {
    let dir = tempfile::tempdir().unwrap();
    let page = dir.path().join("p.html");
    let input = [line(Some("a"), PASSAGE), line(Some("b"), PASSAGE)].join("\n");
    neardup()
        .args(["scan", "-", "-q", "--no-passages", "--verify", "estimate", "--html"])
        .arg(&page)
        .write_stdin(input)
        .assert()
        .success();
    assert!(std::fs::read_to_string(&page).unwrap().contains("veertig woorden"));
}

/// A UTF-8 byte-order mark at the start of a JSON Lines file is not data.
#[test]
fn byte_order_mark_is_ignored() {
    let dir = tempfile::tempdir().unwrap();
    let mut bytes = b"\xEF\xBB\xBF".to_vec();
    bytes.extend_from_slice(line(Some("a"), "een twee drie").as_bytes());
    let f = write(dir.path(), "bom.jsonl", &bytes);
    let r = crate::util::report(&["scan", &f]);
    assert_eq!(r["stats"]["documents"], 1);
    assert_eq!(r["stats"]["skipped"], 0);
}

/// `--strip-repeats` rewrites a record's text but keeps its other fields as
/// written: big integers and long decimals are not rounded.
#[test]
fn strip_repeats_keeps_other_fields_exactly() {
    let dir = tempfile::tempdir().unwrap();
    let text = format!("{PASSAGE}\n\n{PASSAGE}");
    let record = format!(
        r#"{{"id": 123456789012345678901234567890, "score": 0.1000000000000000055511151231257827, "text": {}}}"#,
        serde_json::to_string(&text).unwrap()
    );
    let f = write(dir.path(), "in.jsonl", record.as_bytes());
    let out = dir.path().join("out.jsonl");
    neardup().args(["dedup", &f, "--strip-repeats", "-q", "-o"]).arg(&out).assert().success();
    let written = std::fs::read_to_string(&out).unwrap();
    assert!(written.starts_with(r#"{"id": 123456789012345678901234567890, "score": 0.1000000000000000055511151231257827, "text": "#), "{written}");
    let v: serde_json::Value = serde_json::from_str(&written).unwrap();
    assert_eq!(v["text"].as_str().unwrap().matches("veertig").count(), 1);
}
