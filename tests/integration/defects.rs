//! Issue 10 ("never lose the user's data, never fail quietly"), the items
//! left after outputs.rs and inputs.rs: each test is named after its case.

use crate::util::{PASSAGE, neardup, write};

const A: &str = "De Duitse minister van Buitenlandse Zaken Heiko Maas plant een reis naar \
    Israël en de Palestijnse gebieden om te praten over het conflict in het Midden-Oosten.";

fn line(id: &str, text: &str) -> String {
    serde_json::json!({ "id": id, "text": text }).to_string()
}

fn jsonl(lines: &[String]) -> Vec<u8> {
    lines.iter().flat_map(|l| format!("{l}\n").into_bytes()).collect()
}

/// Item 5: records with no words (empty text, only punctuation, only
/// emoji) are documents too short to compare: dedup keeps every one of
/// them (two empty texts are not duplicates of each other), the stats and
/// the summary count them, and only the real duplicate goes.
#[test]
fn dedup_keeps_records_with_no_words() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let lines = [
        line("a", A),
        line("e1", ""),
        line("p", "... !? --"),
        line("m", "😀😀"),
        line("a2", A),
        line("e2", ""),
    ];
    let f = write(d, "in.jsonl", &jsonl(&lines));
    let out = d.join("out.jsonl");
    let run = neardup().args(["dedup", &f, "--no-timing", "-o"]).arg(&out).assert().success();
    let summary = String::from_utf8_lossy(&run.get_output().stdout).into_owned();
    assert!(summary.contains("4 documents have no words"), "{summary}");
    assert!(
        summary.contains("6 records = 5 kept + 1 removed as duplicates + 0 skipped"),
        "{summary}"
    );
    assert!(summary.contains("wrote 5 documents"), "{summary}");
    let want = jsonl(&[&lines[..4], &lines[5..]].concat());
    assert_eq!(
        String::from_utf8(std::fs::read(&out).unwrap()).unwrap(),
        String::from_utf8(want).unwrap()
    );

    let r = crate::util::report(&["scan", &f]);
    let s = &r["stats"];
    assert_eq!((s["records"].as_u64(), s["documents"].as_u64()), (Some(6), Some(6)));
    assert_eq!(s["too_short_documents"], 4);
    assert_eq!(s["skipped"], 0);
    assert_eq!(s["kept_documents"], 5);
    assert_eq!(crate::util::clusters(&r), vec![vec!["a".to_owned(), "a2".to_owned()]]);
    // A collection of nothing but such records is still a run, not an error.
    let only = write(d, "only.jsonl", &jsonl(&lines[1..4]));
    neardup().args(["dedup", &only, "-q", "-o"]).arg(&out).assert().success();
    assert_eq!(std::fs::read(&out).unwrap(), jsonl(&lines[1..4]));
}

/// Item 6: `--strip-repeats` replaces the text's bytes and nothing else:
/// a lone surrogate and 200 levels of nesting in other fields neither
/// abort the run nor change; escapes, number formats and spacing stay.
#[test]
fn strip_repeats_copies_other_fields_byte_for_byte() {
    let dir = tempfile::tempdir().unwrap();
    let deep = format!("{}{}", "[".repeat(200), "]".repeat(200));
    let text = serde_json::to_string(&format!("{PASSAGE}\n\n{PASSAGE}")).unwrap();
    let head = format!(
        r#"{{ "id" : "x\u00e9" , "odd": "\ud800",  "deep": {deep}, "n": 1.50E+3, "t\u0065xt2": "\/", "text":"#
    );
    let tail = r#"  , "after": [1 ,2]	}"#;
    let plain = line("other", "een ander document zonder herhaling");
    let input = format!("{head}{text}{tail}\n{plain}\n");
    let f = write(dir.path(), "in.jsonl", input.as_bytes());
    let out = dir.path().join("out.jsonl");
    neardup().args(["dedup", &f, "--strip-repeats", "-q", "-o"]).arg(&out).assert().success();
    // The second copy of the passage (first to last word) is gone.
    let stripped = serde_json::to_string(&format!("{PASSAGE}\n\n")).unwrap();
    let want = format!("{head}{stripped}{tail}\n{plain}\n");
    assert_eq!(std::fs::read_to_string(&out).unwrap(), want);
}

/// Item 10: full Unicode case folding, not lowercasing: `της` and `ΤΗΣ`
/// (final sigma), `STRASSE` and `straße` give the same words. The cases are
/// in data/normalization.jsonl (input, expected words; worked out from
/// Unicode's CaseFolding.txt and cross-checked with Python's
/// `unicodedata.normalize("NFKC", w).casefold()`). Each word's hash is the
/// hash of its expected form, so the ASCII fast path agrees with the rest.
#[test]
fn normalization_cases_fold_final_sigma_and_sharp_s() {
    use neardup::text::{TextOptions, Tokenizer, word_hash};
    let cases = std::fs::read_to_string(crate::util::data("normalization.jsonl")).unwrap();
    let mut t = Tokenizer::new(TextOptions::default());
    let mut n = 0;
    for line in cases.lines() {
        let case: serde_json::Value = serde_json::from_str(line).unwrap();
        let input = case["input"].as_str().unwrap();
        let want: Vec<&str> =
            case["words"].as_array().unwrap().iter().map(|w| w.as_str().unwrap()).collect();
        let (mut tokens, mut normalized) = (Vec::new(), String::new());
        t.tokenize_into(input, &mut tokens, Some(&mut normalized));
        let got: Vec<&str> = normalized.split_whitespace().collect();
        assert_eq!(got, want, "{input:?}: {}", case["why"]);
        for (tok, w) in tokens.iter().zip(&want) {
            assert_eq!(tok.hash, word_hash(w.as_bytes(), false, 0), "{input:?}: hash of {w:?}");
        }
        n += 1;
    }
    assert!(n >= 15, "{n} cases");
    // The two cases of the issue, end to end: one cluster each.
    let dir = tempfile::tempdir().unwrap();
    let body = "woorden genoeg om een shingle van vijf woorden te maken in dit document";
    let lines = [
        line("g1", &format!("της {body}")),
        line("g2", &format!("ΤΗΣ {body}")),
        line("d1", &format!("STRASSE und {body} nog")),
        line("d2", &format!("straße und {body} nog")),
    ];
    let f = write(dir.path(), "fold.jsonl", &jsonl(&lines));
    let r = crate::util::report(&["scan", &f, "--threshold", "1", "--no-passages"]);
    let c = crate::util::clusters(&r);
    assert_eq!(
        c,
        vec![vec!["g1".to_owned(), "g2".to_owned()], vec!["d1".to_owned(), "d2".to_owned()]]
    );
}

/// Distinct 40-word texts.
fn text(n: usize) -> String {
    (0..40).map(|i| format!("w{n}x{i}")).collect::<Vec<_>>().join(" ")
}

/// Item 15: ids (and texts, and file names) holding terminal escape
/// sequences, newlines or bidi overrides are printed escaped in the
/// summary: they cannot clear the screen or forge summary lines.
#[test]
fn summary_escapes_control_characters_in_ids() {
    let dir = tempfile::tempdir().unwrap();
    let clear = "\u{1b}[2J\u{1b}[H";
    let forged = "b\nread 999 records: forged";
    let lines = [
        line(clear, &text(1)),
        line(forged, &text(1)),
        line("\u{202e}lave", &text(1)),
        line("\u{9b}31m", &text(1)),
    ];
    let f = write(dir.path(), "ids.jsonl", &jsonl(&lines));
    let out = neardup().args(["scan", &f, "--no-timing"]).output().unwrap();
    assert!(out.status.success());
    let summary = String::from_utf8(out.stdout).unwrap();
    assert!(!summary.contains(['\u{1b}', '\u{202e}', '\u{9b}']), "{summary:?}");
    assert!(!summary.lines().any(|l| l.starts_with("read 999")), "{summary}");
    assert!(
        summary.contains(
            r"#0 (4 docs): \x1b[2J\x1b[H (kept), b\nread 999 records: forged 1.00, \u{202e}lave 1.00, \x9b31m 1.00"
        ),
        "{summary}"
    );
    // The report keeps the ids as they are.
    let r = crate::util::report(&["scan", &f]);
    assert_eq!(r["clusters"][0]["members"][0]["doc"], clear);
    assert_eq!(r["clusters"][0]["members"][1]["doc"], forged);
}

/// Item 21: a big cluster's summary line names its first members (and the
/// kept one) and says how many more; dedup's hint names --report, scan's -o.
#[test]
fn summary_shortens_big_clusters_and_names_the_report_flag() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // 30 copies of one text (the 20th a little longer), and 11 pairs.
    let mut lines: Vec<String> = (0..30)
        .map(|i| {
            let t = if i == 19 { format!("{} extra", text(0)) } else { text(0) };
            line(&format!("big{i:02}"), &t)
        })
        .collect();
    for p in 1..=11 {
        lines.push(line(&format!("p{p}a"), &text(p)));
        lines.push(line(&format!("p{p}b"), &text(p)));
    }
    let f = write(d, "big.jsonl", &jsonl(&lines));
    let out = neardup().args(["scan", &f, "--no-passages", "--keep", "longest"]).output().unwrap();
    let summary = String::from_utf8(out.stdout).unwrap();
    let big = summary.lines().find(|l| l.starts_with("  #0 ")).unwrap();
    // Six members in input order, the kept one, the rest counted (the
    // similarities are estimates, so only the names are compared).
    let names: Vec<&str> =
        big["  #0 (30 docs): ".len()..].split(", ").map(|m| m.split(' ').next().unwrap()).collect();
    assert_eq!(names, ["big00", "big01", "big02", "big03", "big04", "big05", "big19", "and"]);
    assert!(big.starts_with("  #0 (30 docs): big00 "), "{big}");
    assert!(big.ends_with(", big19 (kept), and 23 more"), "{big}");
    assert!(summary.contains("  ... 2 more in the report (-o)"), "{summary}");
    let o = d.join("o.jsonl");
    let out = neardup().args(["dedup", &f, "--no-passages", "-o"]).arg(&o).output().unwrap();
    let summary = String::from_utf8(out.stdout).unwrap();
    assert!(summary.contains("  ... 2 more in the report (--report)"), "{summary}");
    assert!(summary.contains("big05 1.00, and 24 more"), "{summary}");
}

/// Item 16: `eval` refuses a file that is not a report (a collection
/// passed by mistake: exit 1, saying so), and counts and warns about ids
/// the labels and the report do not share.
#[test]
fn eval_refuses_a_collection_and_warns_about_missing_ids() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let docs = [line("a", &text(1)), line("b", &text(1)), line("x", &text(1)), line("s", &text(2))];
    let collection = write(d, "c.jsonl", &jsonl(&docs));
    let one_line = write(d, "one.jsonl", &jsonl(&docs[..1]));
    let labels = [("a", "1"), ("b", "1"), ("s", "2"), ("c", "3"), ("d", "3"), ("e", "4")]
        .map(|(id, c)| serde_json::json!({"id": id, "cluster": c}).to_string());
    let labels = write(d, "l.jsonl", &jsonl(&labels));
    for not_a_report in [&collection, &one_line] {
        neardup()
            .args(["eval", "--truth", &labels, not_a_report])
            .assert()
            .code(1)
            .stdout("")
            .stderr(predicates::str::contains("not a neardup report"));
    }
    for format in ["json", "jsonl"] {
        let report = d.join(format!("r.{format}"));
        neardup()
            .args(["scan", &collection, "-q", "--no-passages", "--format", format, "-o"])
            .arg(&report)
            .assert()
            .success();
        let out = neardup().args(["eval", "--truth", &labels]).arg(&report).output().unwrap();
        assert!(out.status.success());
        let err = String::from_utf8(out.stderr).unwrap();
        // x is clustered but unlabelled; of the 6 labels only a, b (in the
        // cluster) can be matched, and the report has no unnamed documents
        // but s: at least 6 - 2 - 1 = 3 labelled ids are not in it.
        assert!(
            err.contains(
                "warning: 1 documents in the report's clusters have no label (scored as \
                 singletons), e.g. \"x\""
            ),
            "{err}"
        );
        assert!(
            err.contains("warning: at least 3 labelled ids are not documents of the report (6 labels, 4 documents)"),
            "{err}"
        );
        // The metrics: predicted pairs ab ax bx, true pairs ab cd: 1 correct.
        let stdout = String::from_utf8(out.stdout).unwrap();
        assert!(
            stdout.contains("predicted_pairs 3\ncorrect_pairs 1\nprecision 0.3333"),
            "{stdout}"
        );
    }
    // Labels that match the collection: no warning.
    let exact = [("a", "1"), ("b", "1"), ("x", "1"), ("s", "2")]
        .map(|(id, c)| serde_json::json!({"id": id, "cluster": c}).to_string());
    let exact = write(d, "exact.jsonl", &jsonl(&exact));
    neardup()
        .args(["eval", "--truth", &exact])
        .arg(d.join("r.json"))
        .assert()
        .success()
        .stderr("")
        .stdout(predicates::str::contains("precision 1.0000\nrecall 1.0000"));
    // scan --truth warns the same way.
    neardup()
        .args(["scan", &collection, "--no-passages", "--truth", &labels])
        .assert()
        .success()
        .stderr(predicates::str::contains("at least 3 labelled ids are not documents"));
}

/// Item 20: usage errors exit 2 everywhere, with a message naming the
/// option: values out of range (also negative ones, which are values, not
/// flags), impossible sizes and shares, and clustering options given to
/// `passages`, which would ignore them.
#[test]
fn usage_errors_exit_2_with_the_option_named() {
    let cases: &[(&[&str], &str)] = &[
        (&["scan", "data/seeds", "--threshold", "1.5"], "--threshold 1.5 must be in (0, 1]"),
        (&["scan", "data/seeds", "--threshold", "-0.1"], "--threshold -0.1 must be in (0, 1]"),
        (&["scan", "data/seeds", "--threshold", "0"], "--threshold 0 must be in (0, 1]"),
        (&["scan", "data/seeds", "--num-perm", "0"], "--num-perm 0 must be between 1 and 4096"),
        (&["scan", "data/seeds", "--num-perm", "-3"], "invalid value '-3' for '--num-perm <N>'"),
        (&["dedup", "data/seeds", "-o", "-", "--min-passage", "1"], "--min-passage 1 must be"),
        (&["scan", "data/seeds", "--max-doc-bytes", "0"], "--max-doc-bytes 0 must be between"),
        (&["scan", "data/seeds", "--max-doc-bytes", "-1k"], "\"-1k\" is not a size"),
        (&["scan", "-", "-"], "- (stdin) can be given only once"),
        (&["passages", "data/seeds", "--method", "simhash"], "--method has no effect there"),
        (&["passages", "data/seeds", "--threshold", "0.5"], "--threshold has no effect there"),
        (&["passages", "data/seeds", "--keep", "longest"], "--keep has no effect there"),
        (&["passages", "data/seeds", "--truth", "l.jsonl"], "--truth has no effect there"),
        (&["passages", "data/seeds", "--no-passages"], "nothing to do"),
        (&["dedup", "data/seeds", "-o", "-", "--format", "jsonl"], "no --report was given"),
    ];
    let synth = |bytes: &str| -> Vec<String> {
        ["synth", "--from", "data/seeds", "-o", "/nonexistent/x", "--labels", "/nonexistent/l"]
            .iter()
            .map(|s| s.to_string())
            .chain(["--bytes".to_owned(), bytes.to_owned()])
            .collect()
    };
    for (args, message) in cases {
        neardup()
            .args(*args)
            .assert()
            .code(2)
            .stderr(predicates::str::contains(*message))
            .stdout("");
    }
    for bytes in ["-5", "-1M", "NaN", "inf", "-inf", "1e30G", "lots"] {
        neardup()
            .args(synth(bytes))
            .assert()
            .code(2)
            .stderr(predicates::str::contains(format!("{bytes:?} is not a size")));
    }
    for share in ["-0.1", "1.5", "NaN"] {
        neardup()
            .args(synth("1k"))
            .args(["--dup-rate", share])
            .assert()
            .code(2)
            .stderr(predicates::str::contains("--dup-rate"));
    }
}

/// Item 20: `--threads` far beyond the machine is capped, with a message,
/// and gives the same report.
#[test]
fn threads_beyond_the_machine_are_capped_with_a_message() {
    let cores = std::thread::available_parallelism().unwrap().get();
    let most = (4 * cores).min(1024);
    let run = |threads: &str| {
        neardup()
            .args(["scan", "data/seeds", "--no-timing", "--format", "json", "--threads", threads])
            .output()
            .unwrap()
    };
    let capped = run("100000");
    assert!(capped.status.success());
    let err = String::from_utf8(capped.stderr).unwrap();
    assert!(
        err.contains(&format!(
            "--threads 100000 is more than this machine can use: running {most} (4 per core)"
        )),
        "{err}"
    );
    assert_eq!(capped.stdout, run("1").stdout);
}

/// The stages a run announces in `--progress json`.
fn stages(stderr: &[u8]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for l in String::from_utf8_lossy(stderr).lines().filter(|l| l.starts_with('{')) {
        let v: serde_json::Value = serde_json::from_str(l).unwrap();
        let s = v["stage"].as_str().unwrap().to_owned();
        if out.last() != Some(&s) {
            out.push(s);
        }
    }
    out
}

/// Item 19: a dedup without --strip-repeats, --report or --html does not
/// search passages (no `passages` stage) and writes the same collection
/// as one that does; those that need passages still search them.
#[test]
fn dedup_searches_passages_only_when_an_output_needs_them() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let twice = format!("{PASSAGE}\n\n{PASSAGE}");
    let lines = [line("a", &text(1)), line("b", &text(1)), line("t", &twice), line("u", &text(2))];
    let f = write(d, "in.jsonl", &jsonl(&lines));
    let run = |extra: &[&str]| {
        let out = d.join("out.jsonl");
        let o = neardup()
            .args(["dedup", &f, "-q", "--progress", "json", "-o"])
            .arg(&out)
            .args(extra)
            .output()
            .unwrap();
        assert!(o.status.success(), "{extra:?}: {}", String::from_utf8_lossy(&o.stderr));
        (stages(&o.stderr), std::fs::read(&out).unwrap())
    };
    let (plain_stages, plain) = run(&[]);
    assert!(!plain_stages.iter().any(|s| s.starts_with("passages")), "{plain_stages:?}");
    let report = d.join("r.json");
    let (report_stages, with_report) = run(&["--report", report.to_str().unwrap()]);
    assert!(report_stages.iter().any(|s| s == "passages"), "{report_stages:?}");
    let r: serde_json::Value = serde_json::from_slice(&std::fs::read(&report).unwrap()).unwrap();
    // The body printed twice in t, and the whole text a and b share.
    assert_eq!(r["stats"]["repeated_passages"], 2);
    assert_eq!(
        (&plain, &with_report),
        (&with_report, &jsonl(&[&lines[..1], &lines[2..]].concat()))
    );
    let (strip_stages, stripped) = run(&["--strip-repeats"]);
    assert!(strip_stages.iter().any(|s| s == "passages"), "{strip_stages:?}");
    assert_ne!(stripped, plain);
}

/// Item 18: `--progress json` reports every stage with its own count:
/// pairs refined on the re-read (which the exact verification shares) and
/// groups for passages, records read again for their texts, bytes written
/// for each output (ending at the file's size), so no stage is silent.
#[test]
fn progress_json_shows_every_stage_with_its_own_count() {
    let dir = tempfile::tempdir().unwrap();
    let (report, page) = (dir.path().join("r.json"), dir.path().join("p.html"));
    let out = neardup()
        .args(["scan", "data/seeds", "data/labelled/help_nl.jsonl", "-q", "--progress", "json"])
        .arg("-o")
        .arg(&report)
        .arg("--html")
        .arg(&page)
        .output()
        .unwrap();
    assert!(out.status.success());
    let lines: Vec<serde_json::Value> = String::from_utf8(out.stderr)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let seen = stages(&lines.iter().map(|l| l.to_string() + "\n").collect::<String>().into_bytes());
    let want = [
        "read",
        "index",
        "passages",
        "exact verification and passages",
        "cluster",
        "passage groups",
        "passage texts",
        "scan done",
        "html: read texts",
        "write --html",
        "write -o",
        "done",
    ];
    let mut at = seen.iter();
    for w in want {
        assert!(at.any(|s| s == w), "stage {w} missing or out of order: {seen:?}");
    }
    // The last count of a stage in a unit.
    let last = |stage: &str, unit: &str| {
        lines
            .iter()
            .rev()
            .find(|l| l["stage"] == stage && l["unit"] == unit)
            .map(|l| (l["done"].as_u64().unwrap(), l["total"].as_u64()))
            .unwrap_or_else(|| panic!("no {unit} count in stage {stage}: {lines:?}"))
    };
    let r: serde_json::Value = serde_json::from_slice(&std::fs::read(&report).unwrap()).unwrap();
    let (pairs, total) = last("exact verification and passages", "pairs");
    assert!(pairs > 0 && Some(pairs) == total, "{pairs} of {total:?}");
    let groups = r["stats"]["repeated_passages"].as_u64().unwrap();
    assert_eq!(last("passage groups", "groups"), (groups, Some(groups)));
    assert_eq!(last("passage texts", "records"), (296, Some(296)));
    let size = |p: &std::path::Path| std::fs::metadata(p).unwrap().len();
    assert_eq!(last("write -o", "bytes"), (size(&report), Some(size(&report))));
    assert_eq!(last("write --html", "bytes"), (size(&page), Some(size(&page))));
}

/// Item 22: the README says how to put `neardup` on the PATH and what the
/// browser tests print when Chromium is missing.
#[test]
fn readme_tells_how_to_install_and_how_a_browser_skip_shows() {
    let readme = std::fs::read_to_string(crate::util::root().join("README.md")).unwrap();
    assert!(readme.contains("cargo install --locked --path ."));
    assert!(readme.contains("SKIPPED: browser test of the HTML page: no chromium found"));
}
