//! Outputs never destroy data (issue 10, items 1–4, 9, 17): an output that
//! is an input, another output or inside a scanned folder is refused before
//! anything is read; links are written through, devices and pipes in place,
//! `-` is stdout; names ending in .gz/.zst are compressed; a failed run
//! touches no output; signals leave no temporary file.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::util::{neardup, write};

const A: &str = "de minister van financien maakte dinsdag bekend dat de begroting voor \
    het komende jaar een tekort laat zien van ruim twee miljard euro";

fn line(id: &str, text: &str) -> String {
    serde_json::json!({"id": id, "text": text}).to_string()
}

/// Three records, two of them near-duplicates.
fn collection(dir: &Path, name: &str) -> String {
    let text = [line("a", A), line("b", &format!("{A} vandaag")), line("c", "iets heel anders")]
        .join("\n");
    write(dir, name, text.as_bytes())
}

/// Runs neardup with stdin open and never written: a run that reads stdin
/// would hang, so exiting at all shows nothing was read. Returns the exit
/// code and stderr.
fn exits_before_reading_stdin(args: &[&str]) -> (Option<i32>, String) {
    let mut child = Command::new(assert_cmd::cargo::cargo_bin("neardup"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let start = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if start.elapsed() > Duration::from_secs(30) {
            let _ = child.kill();
            panic!("neardup {args:?} waited for stdin instead of refusing");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let mut err = String::new();
    child.stderr.take().unwrap().read_to_string(&mut err).unwrap();
    (child.wait().unwrap().code(), err)
}

/// Files in `dir` whose names start with `.neardup-` (temporary files).
fn temporaries(dir: &Path) -> Vec<PathBuf> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.file_name().unwrap().to_string_lossy().starts_with(".neardup-"))
        .collect()
}

/// Item 1: every way an output can be an input, another output, or inside
/// a scanned folder is refused with exit 2 naming both, before stdin (also
/// an input) is read, and the files are untouched.
#[test]
fn output_that_is_an_input_or_another_output_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let input = collection(d, "in.jsonl");
    let original = std::fs::read(&input).unwrap();
    let hard_link = d.join("same.jsonl");
    std::fs::hard_link(&input, &hard_link).unwrap();
    let hard_link = hard_link.to_str().unwrap();
    let folder = d.join("docs");
    write(&folder, "x.txt", A.as_bytes());
    let inside = folder.join("sub/../report.json");
    std::fs::create_dir(folder.join("sub")).unwrap();
    let inside = inside.to_str().unwrap();
    let docs = folder.to_str().unwrap();
    let o = d.join("o.jsonl");
    let o = o.to_str().unwrap();
    let labels = write(d, "labels.jsonl", br#"{"id": "a", "cluster": 1}"#);
    let cases: Vec<(Vec<&str>, [&str; 2])> = vec![
        (vec!["scan", "-", &input, "-o", &input], ["-o", "input"]),
        (vec!["dedup", "-", &input, "-o", &input], ["-o", "input"]),
        (vec!["dedup", "-", &input, "-o", o, "--report", &input], ["--report", "input"]),
        (vec!["scan", "-", &input, "--html", &input], ["--html", "input"]),
        (vec!["dedup", "-", &input, "-o", o, "--report", o], ["-o", "--report"]),
        (vec!["dedup", "-", &input, "-o", o, "--html", o], ["-o", "--html"]),
        (vec!["scan", "-", &input, "-o", "-", "--html", "-"], ["-o", "--html"]),
        // The same file under another name (a hard link): same device and inode.
        (vec!["dedup", "-", &input, "-o", hard_link], ["-o", "input"]),
        (vec!["scan", "-", docs, "-o", inside], ["-o", "input"]),
        (vec!["scan", "-", &input, "--truth", &labels, "-o", &labels], ["-o", "--truth"]),
    ];
    for (args, [flag_a, flag_b]) in cases {
        let (code, err) = exits_before_reading_stdin(&args);
        assert_eq!(code, Some(2), "{args:?}: {err}");
        assert!(err.contains(flag_a) && err.contains(flag_b), "{args:?}: {err}");
        assert_eq!(std::fs::read(&input).unwrap(), original, "{args:?} changed the input");
        assert!(!Path::new(o).exists(), "{args:?} wrote {o}");
        assert!(!Path::new(inside).exists(), "{args:?} wrote {inside}");
        assert!(temporaries(d).is_empty() && temporaries(&folder).is_empty());
    }
    // synth: its seed text is an input too.
    let (code, err) = exits_before_reading_stdin(&["synth", "--from", &input, "-o", &input]);
    assert_eq!(code, Some(2), "{err}");
    let (code, err) =
        exits_before_reading_stdin(&["synth", "--from", &input, "-o", o, "--labels", o]);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("--labels"), "{err}");
    assert_eq!(std::fs::read(&input).unwrap(), original);
}

/// Item 2: `-o LINK` writes the file the link points to and keeps the link.
#[cfg(unix)]
#[test]
fn output_through_a_symlink_keeps_the_link() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let input = collection(d, "in.jsonl");
    std::fs::create_dir(d.join("real")).unwrap();
    std::fs::write(d.join("real/out.jsonl"), "OLD").unwrap();
    let link = d.join("link.jsonl");
    std::os::unix::fs::symlink("real/out.jsonl", &link).unwrap();
    neardup().args(["dedup", "-q", &input, "-o"]).arg(&link).assert().success();
    assert!(std::fs::symlink_metadata(&link).unwrap().file_type().is_symlink());
    let written = std::fs::read_to_string(d.join("real/out.jsonl")).unwrap();
    assert_eq!(written.lines().count(), 2, "{written}"); // a and c kept, b removed
    // A dangling link: the file it names is made, the link stays.
    let dangling = d.join("dangling.json");
    std::os::unix::fs::symlink("real/new.json", &dangling).unwrap();
    neardup().args(["scan", "-q", &input, "-o"]).arg(&dangling).assert().success();
    assert!(std::fs::symlink_metadata(&dangling).unwrap().file_type().is_symlink());
    let report: serde_json::Value =
        serde_json::from_slice(&std::fs::read(d.join("real/new.json")).unwrap()).unwrap();
    assert_eq!(report["stats"]["documents"], 3);
    assert!(temporaries(d).is_empty() && temporaries(&d.join("real")).is_empty());
}

/// A character device of our own in `dir` (`mknod`, so root only): a
/// regression would replace it, not the system's /dev/null. `None` where it
/// cannot be made.
#[cfg(unix)]
fn device(dir: &Path, name: &str, minor: u32) -> Option<PathBuf> {
    let path = dir.join(name);
    let made = Command::new("mknod")
        .arg(&path)
        .args(["c", "1", &minor.to_string()])
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    made.then_some(path)
}

/// Item 2: a named pipe and a device (a null device) are written in place,
/// never replaced.
#[cfg(unix)]
#[test]
fn output_to_a_pipe_or_device_is_written_in_place() {
    use std::os::unix::fs::FileTypeExt;
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let input = collection(d, "in.jsonl");
    match device(d, "null", 3) {
        Some(null) => {
            neardup().args(["dedup", "-q", &input, "-o"]).arg(&null).assert().success();
            assert!(std::fs::metadata(&null).unwrap().file_type().is_char_device());
        }
        None => eprintln!("SKIPPED the device part: mknod needs root"),
    }
    let fifo = d.join("out.fifo");
    assert!(Command::new("mkfifo").arg(&fifo).status().unwrap().success());
    let reader = {
        let fifo = fifo.clone();
        std::thread::spawn(move || std::fs::read_to_string(fifo).unwrap())
    };
    neardup().args(["dedup", "-q", &input, "-o"]).arg(&fifo).assert().success();
    let got = reader.join().unwrap();
    assert_eq!(got.lines().count(), 2, "{got}");
    assert!(std::fs::metadata(&fifo).unwrap().file_type().is_fifo());
    assert!(temporaries(d).is_empty());
}

/// Item 2: `-o -` is standard output (the summary goes to stderr), and no
/// file named `-` appears.
#[test]
fn output_dash_is_stdout() {
    let dir = tempfile::tempdir().unwrap();
    let input = collection(dir.path(), "in.jsonl");
    let out =
        neardup().current_dir(dir.path()).args(["dedup", &input, "-o", "-"]).output().unwrap();
    assert!(out.status.success());
    let ids: Vec<String> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap()["id"].to_string())
        .collect();
    assert_eq!(ids, ["\"a\"", "\"c\""]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("wrote 2 documents to -"));
    let out = neardup().current_dir(dir.path()).args(["scan", &input, "-o", "-"]).output().unwrap();
    assert!(out.status.success());
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["stats"]["documents"], 3);
    assert!(!dir.path().join("-").exists());
}

/// Item 3: outputs named .gz or .zst are compressed (and read back by
/// neardup); compressed formats it cannot write are refused.
#[test]
fn compressed_outputs_by_extension() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let input = collection(d, "in.jsonl");
    let plain = d.join("plain.jsonl");
    neardup().args(["dedup", "-q", &input, "-o"]).arg(&plain).assert().success();
    let plain = std::fs::read(plain).unwrap();
    let gz = d.join("x.jsonl.gz");
    let zst = d.join("x.jsonl.zst");
    for out in [&gz, &zst] {
        neardup().args(["dedup", "-q", &input, "-o"]).arg(out).assert().success();
    }
    let mut unzipped = Vec::new();
    flate2::read::GzDecoder::new(std::fs::File::open(&gz).unwrap())
        .read_to_end(&mut unzipped)
        .unwrap();
    assert_eq!(unzipped, plain);
    assert_eq!(zstd::decode_all(std::fs::File::open(&zst).unwrap()).unwrap(), plain);
    // A report and an HTML page compress the same way.
    let report = d.join("r.json.gz");
    neardup().args(["scan", "-q", &input, "-o"]).arg(&report).assert().success();
    let mut json = Vec::new();
    flate2::read::GzDecoder::new(std::fs::File::open(&report).unwrap())
        .read_to_end(&mut json)
        .unwrap();
    let parsed: serde_json::Value = serde_json::from_slice(&json).unwrap();
    assert_eq!(parsed["stats"]["documents"], 3);
    // Compressed labels and reports are read back by scan --truth and eval.
    let labels = d.join("labels.jsonl.zst");
    let plain_labels = "{\"id\": \"a\", \"cluster\": 1}\n{\"id\": \"b\", \"cluster\": 1}\n";
    std::fs::write(&labels, zstd::encode_all(plain_labels.as_bytes(), 3).unwrap()).unwrap();
    let scored = crate::util::report(&["scan", &input, "--truth", labels.to_str().unwrap()]);
    assert_eq!(scored["evaluation"]["recall"], 1.0, "{}", scored["evaluation"]);
    let eval = neardup()
        .args(["eval", "--format", "json", "--truth"])
        .arg(&labels)
        .arg(&report)
        .output()
        .unwrap();
    assert!(eval.status.success(), "{}", String::from_utf8_lossy(&eval.stderr));
    let m: serde_json::Value = serde_json::from_slice(&eval.stdout).unwrap();
    assert_eq!(m["recall"], 1.0, "{m}");
    // dedup x.jsonl.gz -o x.jsonl.gz is refused; dedup of a .gz to a .gz works.
    let gz_in = gz.to_str().unwrap();
    neardup().args(["dedup", gz_in, "-o", gz_in]).assert().code(2);
    let again = d.join("again.jsonl.gz");
    neardup().args(["dedup", "-q", gz_in, "-o"]).arg(&again).assert().success();
    let r = crate::util::report(&["scan", again.to_str().unwrap()]);
    assert_eq!(r["stats"]["documents"], 2);
    for ext in ["bz2", "xz"] {
        let out = d.join(format!("x.jsonl.{ext}"));
        let assert = neardup().args(["dedup", &input, "-o"]).arg(&out).assert().code(2);
        let err = String::from_utf8_lossy(&assert.get_output().stderr).into_owned();
        assert!(err.contains(&format!(".{ext}")), "{err}");
        assert!(!out.exists());
    }
}

/// Item 4: a missing input named on the command line stops the run before
/// it starts (exit 1, naming it), and existing outputs are untouched.
#[test]
fn missing_input_is_an_error_and_outputs_are_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let ok = collection(d, "ok.jsonl");
    let nope = d.join("nope.jsonl");
    let nope = nope.to_str().unwrap();
    let out = write(d, "out.jsonl", b"OLD");
    let report = write(d, "report.json", b"OLD");
    for args in [
        vec!["scan", nope, &ok],
        vec!["scan", &ok, nope, "-o", &report],
        vec!["dedup", nope, "-o", &out],
        vec!["dedup", &ok, nope, "-o", &out, "--report", &report],
        vec!["synth", "--from", nope, "-o", &out, "--labels", &report],
    ] {
        let assert = neardup().args(&args).assert().code(1);
        let err = String::from_utf8_lossy(&assert.get_output().stderr).into_owned();
        assert!(err.contains(nope), "{args:?}: {err}");
        assert_eq!(std::fs::read(&out).unwrap(), b"OLD");
        assert_eq!(std::fs::read(&report).unwrap(), b"OLD");
    }
    // A dangling link named as input is missing too.
    #[cfg(unix)]
    {
        let link = d.join("dangling.jsonl");
        std::os::unix::fs::symlink("nowhere.jsonl", &link).unwrap();
        neardup().args(["scan", &ok]).arg(&link).assert().code(1);
    }
    assert!(temporaries(d).is_empty());
}

/// Item 4: a run in which every record was skipped fails (exit 1, with the
/// reasons and the first skip) and writes nothing; an input with no record
/// at all says so.
#[test]
fn run_where_every_record_was_skipped_fails() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let bad = write(d, "bad.jsonl", b"not json\n{\"body\": \"wrong field\"}\n");
    let out = write(d, "out.jsonl", b"OLD");
    for args in [vec!["scan", &bad], vec!["dedup", &bad, "-o", &out]] {
        let assert = neardup().args(&args).assert().code(1);
        let err = String::from_utf8_lossy(&assert.get_output().stderr).into_owned();
        assert!(err.contains("every record was skipped (2 of 2"), "{err}");
        assert!(err.contains("bad.jsonl:1: malformed JSON"), "{err}");
        assert!(err.contains("missing_text 1"), "{err}");
    }
    assert_eq!(std::fs::read(&out).unwrap(), b"OLD");
    let empty = write(d, "empty.jsonl", b"");
    neardup()
        .args(["scan", &empty])
        .assert()
        .success()
        .stderr(predicates::str::contains("the inputs hold no records"));
}

/// Item 4: when a run fails after the scan (bad labels, an output that
/// cannot be written), no output is touched, including those it could have
/// written already.
#[test]
fn failed_run_touches_no_output() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let input = collection(d, "in.jsonl");
    let labels = write(d, "labels.jsonl", b"not labels\n");
    let report = write(d, "report.json", b"OLD");
    let page = write(d, "page.html", b"OLD");
    // Bad labels are found before the run (stdin, also an input, is not read).
    let (code, err) = exits_before_reading_stdin(&[
        "scan", "-", &input, "--truth", &labels, "-o", &report, "--html", &page,
    ]);
    assert_eq!(code, Some(1), "{err}");
    assert!(err.contains("labels.jsonl:1"), "{err}");
    assert_eq!(std::fs::read(&report).unwrap(), b"OLD");
    assert_eq!(std::fs::read(&page).unwrap(), b"OLD");
    // A later output fails to write (a full device): the collection
    // written before it is not put in place either.
    let out = write(d, "out.jsonl", b"OLD");
    #[cfg(unix)]
    match device(d, "full", 7) {
        Some(full) => {
            let full = full.to_str().unwrap();
            for flag in ["--html", "--report"] {
                let assert =
                    neardup().args(["dedup", &input, "-o", &out, flag, full]).assert().code(1);
                let err = String::from_utf8_lossy(&assert.get_output().stderr).into_owned();
                assert!(err.contains(full), "{err}");
                assert_eq!(std::fs::read(&out).unwrap(), b"OLD", "{flag}");
            }
        }
        None => eprintln!("SKIPPED the full-device part: mknod needs root"),
    }
    assert!(temporaries(d).is_empty());
}

/// An I/O error names its file and says what happened once (it once
/// printed the cause twice: "x: No such file ...: No such file ...").
#[test]
fn io_errors_say_their_cause_once() {
    let dir = tempfile::tempdir().unwrap();
    let nope = dir.path().join("nope.jsonl");
    let assert = neardup().args(["eval", "--truth"]).arg(&nope).arg(&nope).assert().code(1);
    let err = String::from_utf8_lossy(&assert.get_output().stderr).into_owned();
    assert!(err.contains("nope.jsonl"), "{err}");
    assert_eq!(err.matches("No such file").count(), 1, "{err}");
}

/// Item 17: an output folder that is missing, not a folder or not writable
/// is an error naming it before anything is read.
#[test]
fn output_folder_checked_before_the_run() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let input = collection(d, "in.jsonl");
    let missing = d.join("nodir/out.json");
    let under_file = format!("{input}/out.json");
    let cases = [
        (vec!["scan", "-", &input, "-o", missing.to_str().unwrap()], "nodir"),
        (vec!["dedup", "-", &input, "-o", &under_file], "in.jsonl is not a folder"),
        // Nobody, root included, can create files in /proc.
        (vec!["scan", "-", &input, "--html", "/proc/neardup-test.html"], "/proc"),
        (vec!["dedup", "-", &input, "-o", d.to_str().unwrap()], "is a folder"),
    ];
    for (args, named) in cases {
        let (code, err) = exits_before_reading_stdin(&args);
        assert_eq!(code, Some(1), "{args:?}: {err}");
        assert!(err.contains(named), "{args:?}: {err}");
        assert!(!err.contains(".neardup-"), "{args:?} names a temporary file: {err}");
    }
}

/// Item 9: SIGINT and SIGTERM remove the run's temporary files (the output
/// being written, saved stdin) and the process dies of the signal.
#[cfg(unix)]
#[test]
fn signals_remove_temporary_files() {
    use std::os::unix::process::ExitStatusExt;
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let wait_for_temporary = |where_: &Path, child: &mut std::process::Child| {
        let start = Instant::now();
        while temporaries(where_).is_empty() {
            assert!(child.try_wait().unwrap().is_none(), "finished before writing");
            assert!(start.elapsed() < Duration::from_secs(60), "no temporary file appeared");
            std::thread::sleep(Duration::from_millis(10));
        }
    };
    let send = |signal: &str, child: &std::process::Child| {
        let status = Command::new("kill")
            .arg(format!("-{signal}"))
            .arg(child.id().to_string())
            .status()
            .unwrap();
        assert!(status.success());
    };
    for signal in ["INT", "TERM"] {
        // A big synth: the outputs are written for seconds.
        let mut child = Command::new(assert_cmd::cargo::cargo_bin("neardup"))
            .current_dir(crate::util::root())
            .args(["synth", "--from", "data/seeds", "--bytes", "2G", "-o"])
            .arg(d.join("docs.jsonl"))
            .arg("--labels")
            .arg(d.join("labels.jsonl"))
            .stdout(Stdio::null())
            .spawn()
            .unwrap();
        wait_for_temporary(d, &mut child);
        send(signal, &child);
        let status = child.wait().unwrap();
        let expected = if signal == "INT" { 2 } else { 15 };
        assert_eq!(status.signal(), Some(expected), "{status:?}");
        assert_eq!(temporaries(d), Vec::<PathBuf>::new(), "after SIG{signal}");
        assert!(!d.join("docs.jsonl").exists());

        // stdin being saved (for the second read of passages).
        let spool_dir = d.join("tmp");
        std::fs::create_dir_all(&spool_dir).unwrap();
        let mut child = Command::new(assert_cmd::cargo::cargo_bin("neardup"))
            .args(["scan", "-", "-q"])
            .env("TMPDIR", &spool_dir)
            .stdin(Stdio::piped())
            .spawn()
            .unwrap();
        let mut stdin = child.stdin.take().unwrap();
        std::io::Write::write_all(&mut stdin, line("a", A).as_bytes()).unwrap();
        wait_for_temporary(&spool_dir, &mut child);
        send(signal, &child);
        let status = child.wait().unwrap();
        assert_eq!(status.signal(), Some(expected), "{status:?}");
        assert_eq!(temporaries(&spool_dir), Vec::<PathBuf>::new(), "stdin after SIG{signal}");
        drop(stdin);
    }
}
