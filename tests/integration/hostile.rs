//! Hostile input: every case ends in a clear, counted skip or a normal
//! document; never a panic, never a silent drop. Accounting holds in each:
//! records = kept + removed + skipped.

use std::io::Write;

use predicates::prelude::*;

use crate::util::{neardup, report, write};

fn accounting_holds(r: &serde_json::Value) {
    let s = &r["stats"];
    let n = |k: &str| s[k].as_u64().unwrap();
    assert_eq!(n("records"), n("kept_documents") + n("duplicate_documents") + n("skipped"), "{s}");
    assert_eq!(n("records"), n("documents") + n("skipped"));
    let by_reason: u64 =
        s["skipped_by_reason"].as_object().unwrap().values().map(|v| v.as_u64().unwrap()).sum();
    assert_eq!(by_reason, n("skipped"));
}

#[test]
fn nul_bytes_and_control_characters_are_text() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "nul.txt", b"een\0twee\x01drie vier vijf zes zeven");
    let jsonl = "{\"id\": \"j\", \"text\": \"een\\u0000twee drie\"}\n";
    let j = write(dir.path(), "nul.jsonl", jsonl.as_bytes());
    let r = report(&["scan", dir.path().to_str().unwrap(), &j]);
    assert_eq!(r["stats"]["documents"], 2);
    assert_eq!(r["stats"]["words"], 7 + 3);
    accounting_holds(&r);
}

/// A 200 MB document (one .txt file, read with the record limit raised
/// above its 64 MB default) and a 10 MB single JSON line.
#[test]
fn huge_documents() {
    let dir = tempfile::tempdir().unwrap();
    let block: String = (0..100_000).map(|i| format!("woord{} ", i % 7919)).collect();
    let words_per_block = 100_000u64;
    let path = dir.path().join("huge.txt");
    let mut f = std::io::BufWriter::new(std::fs::File::create(&path).unwrap());
    let mut bytes = 0;
    let mut blocks = 0u64;
    while bytes < 200_000_000 {
        f.write_all(block.as_bytes()).unwrap();
        bytes += block.len();
        blocks += 1;
    }
    drop(f);
    let r = report(&["scan", path.to_str().unwrap(), "--no-passages", "--max-doc-bytes", "250M"]);
    assert_eq!(r["stats"]["documents"], 1);
    assert_eq!(r["stats"]["bytes"], bytes as u64);
    assert_eq!(r["stats"]["words"], blocks * words_per_block);

    let text: String = (0..2_000_000).map(|i| format!("w{} ", i % 10_007)).collect();
    assert!(text.len() > 10_000_000);
    let line = serde_json::json!({"id": "long", "text": text}).to_string();
    let j = write(dir.path(), "long.jsonl", format!("{line}\n{line}\n").as_bytes());
    let r = report(&["scan", &j, "--no-passages"]);
    assert_eq!(r["stats"]["documents"], 2);
    assert_eq!(r["stats"]["clusters"], 1);
    assert_eq!(r["stats"]["duplicate_ids"], 1);
    accounting_holds(&r);
}

/// Half a million records with no text field (skips) and half a million
/// with an empty text (documents too short to compare): the skips are
/// counted but listed only up to --max-skips.
#[test]
fn a_million_empty_documents_are_counted_not_listed() {
    let dir = tempfile::tempdir().unwrap();
    let mut data = Vec::with_capacity(14_000_000);
    for _ in 0..500_000 {
        data.extend_from_slice(b"{\"text\": \"\"}\n{\"txt\": \"\"}\n");
    }
    data.extend_from_slice(b"{\"text\": \"een echt document\"}\n");
    let f = write(dir.path(), "empty.jsonl", &data);
    let r = report(&["scan", &f, "--no-passages"]);
    let s = &r["stats"];
    assert_eq!(s["records"], 1_000_001);
    assert_eq!(s["documents"], 500_001);
    assert_eq!(s["too_short_documents"], 500_000);
    assert_eq!(s["skipped"], 500_000);
    assert_eq!(s["skipped_by_reason"]["missing_text"], 500_000);
    assert_eq!(r["skipped"].as_array().unwrap().len(), 10_000);
    assert_eq!(s["skipped_not_listed"], 490_000);
    assert_eq!(s["clusters"], 0);
    accounting_holds(&r);
}

#[test]
fn truncated_zstd_duplicate_ids_and_unreadable_files() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let lines: String = (0..30_000)
        .map(|i| serde_json::json!({"id": format!("{}", i % 29_990), "text": format!("tekst nummer {i} met woorden")}).to_string() + "\n")
        .collect();
    let z = zstd::encode_all(lines.as_bytes(), 3).unwrap();
    let cut = write(d, "cut.jsonl.zst", &z[..z.len() * 2 / 3]);
    let whole = write(d, "whole.jsonl.zst", &z);
    let r = report(&["scan", &cut, "--no-passages"]);
    let docs = r["stats"]["documents"].as_u64().unwrap();
    assert!(docs > 0 && docs < 30_000, "{docs}");
    assert_eq!(r["skipped"][0]["reason"]["kind"], "unreadable");
    assert!(r["skipped"][0]["source"].as_str().unwrap().ends_with("cut.jsonl.zst"));
    accounting_holds(&r);
    let r = report(&["scan", &whole, "--no-passages"]);
    assert_eq!(r["stats"]["duplicate_ids"], 10);
    neardup()
        .args(["scan", &whole, "--no-passages"])
        .assert()
        .success()
        .stdout(predicate::str::contains("warning: 10 documents reuse an earlier document's id"));

    // A folder with a dangling link and a link loop: both named and counted.
    let folder = d.join("folder");
    write(&folder, "a.txt", b"een twee drie");
    #[cfg(unix)]
    {
        std::os::unix::fs::symlink(d.join("nowhere.txt"), folder.join("dangling.txt")).unwrap();
        std::os::unix::fs::symlink(&folder, folder.join("loop")).unwrap();
        let r = report(&["scan", folder.to_str().unwrap(), "--no-passages"]);
        assert_eq!(r["stats"]["documents"], 1);
        let kinds: Vec<&str> = r["skipped"]
            .as_array()
            .unwrap()
            .iter()
            .map(|k| k["reason"]["kind"].as_str().unwrap())
            .collect();
        assert_eq!(kinds, ["unreadable", "symlink_loop"]);
        accounting_holds(&r);
    }
}
