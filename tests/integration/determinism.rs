//! Same input, same report, byte for byte, on any thread count.

use crate::util::neardup;

fn run(threads: &str, format: &str) -> Vec<u8> {
    let out = neardup()
        .args([
            "scan",
            "data/labelled/help_nl.jsonl",
            "data/seeds",
            "--no-timing",
            "--method",
            "both",
        ])
        .args(["--format", format, "--threads", threads])
        .output()
        .unwrap();
    assert!(out.status.success());
    out.stdout
}

#[test]
fn report_bytes_do_not_depend_on_threads() {
    for format in ["json", "jsonl"] {
        let one = run("1", format);
        assert!(one.len() > 1000);
        // The whole pipeline is in the bytes compared: clusters, pairs of both
        // methods, passages.
        let text = String::from_utf8_lossy(&one);
        assert!(text.contains("simhash") && text.contains("occurrences"));
        for t in ["2", "8"] {
            assert!(one == run(t, format), "{format} on {t} threads differs from 1 thread");
        }
    }
}
