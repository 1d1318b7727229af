//! Output files are replaced atomically: a run killed while it works leaves
//! the old file or the complete new one, never a partial file.

use std::time::Duration;

use crate::util::neardup;

#[test]
fn killed_runs_leave_old_or_complete_output() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let input = d.join("in.jsonl");
    neardup()
        .args([
            "synth",
            "--from",
            "data/labelled/help_nl.jsonl",
            "data/seeds",
            "--bytes",
            "30M",
            "-o",
        ])
        .arg(&input)
        .arg("--labels")
        .arg(d.join("labels.jsonl"))
        .assert()
        .success();
    let out = d.join("out.jsonl");
    neardup().args(["dedup", "-q", "--no-passages", "-o"]).arg(&out).arg(&input).assert().success();
    let complete = std::fs::read(&out).unwrap();
    assert!(complete.len() > 10_000_000);
    let mut outcomes = (0, 0);
    for (i, delay_ms) in [20, 80, 200, 400, 700, 1000, 1500, 50, 300, 900].into_iter().enumerate() {
        std::fs::write(&out, b"OLD").unwrap();
        let bin = assert_cmd::cargo::cargo_bin("neardup");
        let mut child = std::process::Command::new(bin)
            .args(["dedup", "-q", "--no-passages", "-o"])
            .arg(&out)
            .arg(&input)
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(delay_ms));
        if i < 7 {
            let _ = child.kill(); // SIGKILL
        } else {
            // SIGINT, as Ctrl-C sends it.
            let _ =
                std::process::Command::new("kill").arg("-INT").arg(child.id().to_string()).status();
        }
        let _ = child.wait();
        let now = std::fs::read(&out).unwrap();
        if now == b"OLD" {
            outcomes.0 += 1;
        } else {
            assert!(
                now == complete,
                "after a kill at {delay_ms} ms the output is partial ({} bytes)",
                now.len()
            );
            outcomes.1 += 1;
        }
    }
    // Early kills must have hit the old file at least once.
    assert!(outcomes.0 > 0, "{outcomes:?}");
}
