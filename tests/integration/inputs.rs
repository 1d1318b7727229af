//! Inputs are read whole and safely (issue 10, items 7, 8, 11, 12, 13): a
//! record over `--max-doc-bytes` is skipped without being held in memory and
//! reading goes on; pipes and stdin are saved when the run reads twice;
//! folders linked twice are not loops; a byte-order mark is never text.

use std::io::Write;
use std::process::{Command, Stdio};

use neardup::SkipReason;
use neardup::source::{Input, Reader, SourceOptions};

use crate::util::{clusters, neardup, report, write};

const A: &str = "de minister van financien maakte dinsdag bekend dat de begroting voor \
    het komende jaar een tekort laat zien van ruim twee miljard euro";

fn line(id: &str, text: &str) -> String {
    serde_json::json!({"id": id, "text": text}).to_string()
}

fn lines(records: &[(&str, &str)]) -> String {
    records.iter().map(|(id, t)| line(id, t) + "\n").collect()
}

/// Item 7: a line far over the limit, streamed through stdin by a writer
/// that never holds it, is skipped as too_large at its line, and the record
/// after it is read. The run is held to 1 GB of address space, so reading
/// the 1.5 GB line whole would fail.
#[cfg(unix)]
#[test]
fn over_long_line_is_skipped_and_reading_resumes() {
    let bin = assert_cmd::cargo::cargo_bin("neardup");
    let script = format!(
        "ulimit -v 1000000; exec {} scan - --no-passages --verify estimate --max-doc-bytes 1M \
         --threads 2 --format json --no-timing",
        bin.display()
    );
    let mut child = Command::new("sh")
        .args(["-c", &script])
        .env("MALLOC_ARENA_MAX", "2")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let writer = std::thread::spawn(move || {
        stdin.write_all((line("first", A) + "\n").as_bytes())?;
        stdin.write_all(b"{\"id\": \"huge\", \"text\": \"")?;
        let chunk = vec![b'x'; 1 << 20];
        for _ in 0..1500 {
            stdin.write_all(&chunk)?;
        }
        stdin.write_all(b"\"}\n")?;
        stdin.write_all((line("after", A) + "\n").as_bytes())
    });
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let r: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(r["stats"]["documents"], 2);
    assert_eq!(r["skipped"][0]["line"], 2);
    assert_eq!(r["skipped"][0]["reason"]["kind"], "too_large");
    assert_eq!(r["skipped"][0]["reason"]["detail"], 1_000_000);
    assert_eq!(clusters(&r), [["first", "after"]]);
}

/// Item 7: a stream that never ends its line (/dev/zero) gives the
/// too_large skip as soon as the limit is passed, without reading on.
#[cfg(unix)]
#[test]
fn never_ending_line_is_cut_at_the_limit() {
    let opts = SourceOptions { max_record_bytes: 4_000_000, ..SourceOptions::default() };
    let mut reader = Reader::new(&[Input::Path("/dev/zero".into())], &opts);
    let skip = reader.next().unwrap().unwrap_err();
    assert_eq!(skip.line, Some(1));
    assert_eq!(skip.reason, SkipReason::TooLarge(4_000_000));
}

/// Item 7: a small .zst holding one line longer than the default limit
/// (64 MB) and then a record; and a .txt file over the limit next to one
/// under it.
#[test]
fn compressed_bomb_and_large_text_file_are_skipped() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let mut plain = b"{\"text\": \"".to_vec();
    plain.resize(plain.len() + 80_000_000, b'a');
    plain.extend_from_slice(b"\"}\n");
    plain.extend_from_slice(lines(&[("after", A)]).as_bytes());
    let zst = zstd::encode_all(&plain[..], 3).unwrap();
    assert!(zst.len() < 100_000, "{}", zst.len());
    let bomb = write(d, "bomb.jsonl.zst", &zst);
    drop(plain);
    let r = report(&["scan", &bomb, "--no-passages"]);
    assert_eq!(r["stats"]["documents"], 1);
    assert_eq!(r["skipped"][0]["line"], 1);
    assert_eq!(r["skipped"][0]["reason"]["detail"], 64_000_000);

    let folder = d.join("docs");
    write(&folder, "big.txt", A.repeat(100).as_bytes());
    write(&folder, "small.txt", A.as_bytes());
    let r = report(&["scan", folder.to_str().unwrap(), "--max-doc-bytes", "10k"]);
    assert_eq!(r["stats"]["documents"], 1);
    assert!(r["skipped"][0]["source"].as_str().unwrap().ends_with("big.txt"));
    assert_eq!(r["skipped"][0]["reason"]["kind"], "too_large");
    assert_eq!(r["skipped"][0]["reason"]["detail"], 10_000);
}

/// Item 8: a process substitution (a pipe, read twice for passages and
/// exact verification) is saved like stdin: same report as the file.
#[cfg(unix)]
#[test]
fn process_substitution_is_spooled() {
    let dir = tempfile::tempdir().unwrap();
    let f = write(
        dir.path(),
        "in.jsonl",
        lines(&[("a", A), ("b", &format!("{A} vandaag")), ("c", "iets heel anders")]).as_bytes(),
    );
    let from_file = report(&["scan", &f]);
    let bin = assert_cmd::cargo::cargo_bin("neardup");
    for extra in ["", "--html page.html", "--method simhash --weighting tfidf"] {
        let script = format!("{} scan <(cat {f}) --format json --no-timing {extra}", bin.display());
        let out =
            Command::new("bash").args(["-c", &script]).current_dir(dir.path()).output().unwrap();
        assert!(out.status.success(), "{extra}: {}", String::from_utf8_lossy(&out.stderr));
        let r: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(r["stats"]["documents"], 3, "{extra}");
        if extra.is_empty() {
            assert_eq!(clusters(&r), clusters(&from_file));
            assert_eq!(r["stats"]["repeated_passages"], from_file["stats"]["repeated_passages"]);
        }
    }
    // A named pipe, for dedup (which reads the input again to write it).
    let fifo = dir.path().join("in.fifo");
    assert!(Command::new("mkfifo").arg(&fifo).status().unwrap().success());
    let feeder = {
        let (fifo, f) = (fifo.clone(), f.clone());
        std::thread::spawn(move || std::fs::write(fifo, std::fs::read(f).unwrap()).unwrap())
    };
    let out = dir.path().join("out.jsonl");
    neardup().args(["dedup", "-q", "-o"]).arg(&out).arg(&fifo).assert().success();
    feeder.join().unwrap();
    assert_eq!(std::fs::read_to_string(&out).unwrap().lines().count(), 2);
}

/// Item 11: stdin with SimHash tf-idf weights (a document-frequency pass,
/// then the read) is saved first, not read as empty by the first pass.
#[test]
fn stdin_with_tfidf_is_not_read_as_empty() {
    let input = lines(&[("a", A), ("b", &format!("{A} vandaag")), ("c", "iets heel anders")]);
    for method in ["simhash", "both"] {
        let out = neardup()
            .args(["scan", "-", "--method", method, "--weighting", "tfidf", "--no-passages"])
            .args(["--verify", "estimate", "--format", "json", "--no-timing"])
            .write_stdin(input.clone())
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let r: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(r["stats"]["documents"], 3, "{method}");
        if method == "both" {
            // MinHash alone joins a and b (Jaccard 20/21).
            assert_eq!(clusters(&r), [["a", "b"]]);
        }
    }
}

/// Item 12: two links to the same folder are two folders, not a loop; a
/// link back to a folder it is in still is.
#[cfg(unix)]
#[test]
fn second_link_to_a_folder_is_not_a_loop() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(&d.join("shared"), "x.txt", A.as_bytes());
    let root = d.join("root");
    std::fs::create_dir(&root).unwrap();
    std::os::unix::fs::symlink(d.join("shared"), root.join("one")).unwrap();
    std::os::unix::fs::symlink(d.join("shared"), root.join("two")).unwrap();
    std::os::unix::fs::symlink(&root, root.join("two-back")).unwrap();
    let r = report(&["scan", root.to_str().unwrap()]);
    assert_eq!(r["stats"]["documents"], 2);
    assert_eq!(clusters(&r), [["one/x.txt", "two/x.txt"]]);
    let kinds: Vec<_> =
        r["skipped"].as_array().unwrap().iter().map(|s| &s["reason"]["kind"]).collect();
    assert_eq!(kinds, ["symlink_loop"]);
    assert!(r["skipped"][0]["source"].as_str().unwrap().ends_with("two-back"));
}

/// A pipe named .txt inside a scanned folder is a skip, not a hang.
#[cfg(unix)]
#[test]
fn pipe_inside_a_folder_is_a_skip() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "a.txt", A.as_bytes());
    let fifo = dir.path().join("b.txt");
    assert!(Command::new("mkfifo").arg(&fifo).status().unwrap().success());
    let out = neardup()
        .args(["scan", dir.path().to_str().unwrap(), "--format", "json", "--no-timing"])
        .timeout(std::time::Duration::from_secs(60))
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let r: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(r["stats"]["documents"], 1);
    assert_eq!(r["skipped"][0]["reason"]["kind"], "unreadable");
    assert!(r["skipped"][0]["source"].as_str().unwrap().ends_with("b.txt"));
}

/// Item 13: a UTF-8 byte-order mark at the start of a .txt file is not
/// text: it does not reach the dedup output.
#[test]
fn bom_in_text_file_is_stripped() {
    let dir = tempfile::tempdir().unwrap();
    let folder = dir.path().join("docs");
    write(&folder, "bom.txt", format!("\u{feff}{A}").as_bytes());
    let out = dir.path().join("out.jsonl");
    neardup()
        .args(["dedup", "-q", "--no-passages", "-o"])
        .arg(&out)
        .arg(&folder)
        .assert()
        .success();
    let v: serde_json::Value =
        serde_json::from_str(std::fs::read_to_string(&out).unwrap().trim()).unwrap();
    assert_eq!(v["text"], A);
    let r = report(&["scan", folder.to_str().unwrap(), "--no-passages"]);
    assert_eq!(r["stats"]["bytes"], A.len());
}

/// Issue 16 (folders): a folder of source files gives a skip naming what
/// the filter passed over and the run fails, instead of "read 0 records";
/// `--glob` takes them; `!` leaves some out; `.gitignore` is respected
/// unless `--no-ignore`; `.txt.gz` is text, in a folder and named alone.
#[test]
fn folders_are_read_by_glob_and_say_what_they_passed_over() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("tree");
    let b = "een heel ander bericht over het weer van morgen met regen en wind uit het westen";
    for (name, text) in [("a.h", A), ("lib/b.h", b), ("gen/c.h", A), ("d.c", "int x;")] {
        let p = root.join(name);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }
    std::fs::write(root.join(".gitignore"), "gen/\n").unwrap();
    std::fs::create_dir_all(root.join(".git")).unwrap(); // a repository: .gitignore counts
    let tree = root.to_str().unwrap();
    let out = neardup().args(["scan", tree, "--no-timing"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.contains(
            "no file matches *.txt; passed over 3 files (2 .h, 1 .c): choose files with \
             --glob, e.g. --glob '*.h'"
        ),
        "{err}"
    );
    let ids = |extra: &[&str]| -> Vec<String> {
        let mut args = vec!["passages", tree];
        args.extend_from_slice(extra);
        let r = report(&args);
        let mut ids: Vec<String> = Vec::new();
        for p in r["passages"].as_array().unwrap() {
            for o in p["occurrences"].as_array().unwrap() {
                ids.push(o["doc"].as_str().unwrap().to_owned());
            }
        }
        ids.sort();
        ids.dedup();
        ids
    };
    // a.h and gen/c.h share the whole text; gen/ is ignored unless asked.
    let r = report(&["scan", tree, "--glob", "*.h", "--no-passages"]);
    assert_eq!(r["stats"]["documents"], 2);
    assert_eq!(ids(&["--glob", "*.h", "--no-ignore", "--min-passage", "10"]), ["a.h", "gen/c.h"]);
    let r = report(&["scan", tree, "--glob", "*.h", "--glob", "*.c", "--glob", "!lib/*"]);
    assert_eq!(r["stats"]["documents"], 2); // a.h, d.c
    // A bad glob is a usage error.
    neardup().args(["scan", tree, "--glob", "a["]).assert().code(2);
    // Compressed text: one document each, in a folder or named.
    let gz = dir.path().join("gz");
    std::fs::create_dir_all(&gz).unwrap();
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    enc.write_all(A.as_bytes()).unwrap();
    let bytes = enc.finish().unwrap();
    std::fs::write(gz.join("x.txt.gz"), &bytes).unwrap();
    std::fs::write(gz.join("y.TXT.GZ"), &bytes).unwrap();
    let named = gz.join("x.txt.gz");
    let (gz, named) = (gz.to_str().unwrap(), named.to_str().unwrap());
    let r =
        report(&["scan", gz, named, "--glob", "*.txt.gz", "--glob", "*.TXT.GZ", "--no-passages"]);
    assert_eq!(r["stats"]["documents"], 3);
    assert_eq!(r["stats"]["bytes"], 3 * A.len());
    assert_eq!(clusters(&r).len(), 1);
    assert_eq!(clusters(&r)[0].len(), 3);
}

/// Issue 16 (nested fields): `--text-field content.text --id-field
/// meta.id` read nested JSON; dedup with --strip-repeats rewrites the
/// nested text in place, every other byte of the line as it was.
#[test]
fn nested_fields_are_read_and_rewritten_in_place() {
    let dir = tempfile::tempdir().unwrap();
    let twice = format!("{A}. {A}.");
    let rec = |id: u32, text: &str| {
        serde_json::json!({"meta": {"id": id, "src": "x"}, "content": {"text": text, "lang": "nl"}})
            .to_string()
    };
    let input = [rec(1, &twice), rec(2, "iets heel anders dan de rest van de tekst")].join("\n");
    let f = write(dir.path(), "n.jsonl", input.as_bytes());
    let nested = ["--text-field", "content.text", "--id-field", "meta.id"];
    let mut args = vec!["passages", f.as_str(), "--min-passage", "10"];
    args.extend_from_slice(&nested);
    let r = report(&args);
    assert_eq!(r["stats"]["documents"], 2);
    let p = &r["passages"][0];
    assert_eq!(p["occurrences"][0]["doc"], "1");
    let out = dir.path().join("out.jsonl");
    neardup()
        .args(["dedup", &f, "--strip-repeats", "--min-passage", "10", "-o"])
        .arg(&out)
        .args(nested)
        .assert()
        .success();
    let written = std::fs::read_to_string(&out).unwrap();
    let first: serde_json::Value = serde_json::from_str(written.lines().next().unwrap()).unwrap();
    let text = first["content"]["text"].as_str().unwrap();
    assert!(text.len() < twice.len() && text.starts_with(A), "{text}");
    assert_eq!(first["meta"]["src"], "x");
    assert_eq!(first["content"]["lang"], "nl");
    assert_eq!(
        written.lines().nth(1).unwrap(),
        rec(2, "iets heel anders dan de rest van de tekst")
    );
}
