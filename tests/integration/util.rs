//! Helpers: run the binary, read reports.

use std::path::{Path, PathBuf};

use assert_cmd::Command;

/// The project root (where `data/` is).
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A path under `data/`.
pub fn data(rel: &str) -> PathBuf {
    root().join("data").join(rel)
}

/// The `neardup` binary, run from the project root.
pub fn neardup() -> Command {
    let mut c = Command::cargo_bin("neardup").expect("binary built");
    c.current_dir(root());
    c
}

/// Runs `neardup ARGS --format json --no-timing` and parses the report.
pub fn report(args: &[&str]) -> serde_json::Value {
    let out = neardup().args(args).args(["--format", "json", "--no-timing"]).output().unwrap();
    assert!(
        out.status.success(),
        "neardup {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("report is JSON")
}

/// The clusters of a report as lists of document ids.
pub fn clusters(report: &serde_json::Value) -> Vec<Vec<String>> {
    report["clusters"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            c["members"]
                .as_array()
                .unwrap()
                .iter()
                .map(|m| m["doc"].as_str().unwrap().to_owned())
                .collect()
        })
        .collect()
}

/// Writes `content` to `dir/name` and returns the path as a string.
pub fn write(dir: &Path, name: &str, content: &[u8]) -> String {
    let p = dir.join(name);
    if let Some(parent) = p.parent() {
        std::fs::create_dir_all(parent).unwrap();
    }
    std::fs::write(&p, content).unwrap();
    p.to_str().unwrap().to_owned()
}

/// A 40-word paragraph, for documents that print it twice.
pub const PASSAGE: &str = "een lange alinea van veertig woorden die in hetzelfde artikel twee keer \
    voorkomt eerst in gewone alinea's en daarna nog eens helemaal aan elkaar geplakt zonder \
    spaties tussen de zinnen zoals sommige nieuwssites dat doen bij het kopieren van teksten";

/// Bytes of a report passage that repeat: every occurrence but the first
/// (what the summary and the HTML page rank passages by).
pub fn passage_cost(p: &serde_json::Value) -> u64 {
    p["occurrences"].as_array().unwrap()[1..]
        .iter()
        .map(|o| o["end"].as_u64().unwrap() - o["start"].as_u64().unwrap())
        .sum()
}
