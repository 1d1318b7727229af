//! Any bytes as a JSON Lines file: every line is a document or a skip,
//! never a panic; ids and texts come back as valid strings; a line over the
//! record limit is one skip; a saved copy (`spool`) reads back the same.
#![no_main]

use libfuzzer_sys::fuzz_target;
use neardup::source::{Input, Reader, SourceOptions};

fuzz_target!(|data: &[u8]| {
    let dir = std::env::temp_dir().join(format!("neardup-fuzz-{}", std::process::id()));
    let _ = std::fs::create_dir_all(&dir);
    let path = dir.join("in.jsonl");
    if std::fs::write(&path, data).is_err() {
        return;
    }
    // A small limit, so that some lines pass it.
    let opts = SourceOptions { max_record_bytes: 64, ..SourceOptions::default() };
    // A line counts if it is over the limit (raw bytes, a byte-order mark and
    // \r included), or else if it is not blank once a leading byte-order mark
    // (first line only) is set aside.
    let lines = data
        .split(|&b| b == b'\n')
        .enumerate()
        .filter(|(i, raw)| {
            let l = if *i == 0 { raw.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(raw) } else { raw };
            raw.len() > 64 || !l.iter().all(u8::is_ascii_whitespace)
        })
        .count();
    let read = |path: &std::path::Path| -> Vec<Result<Vec<u8>, neardup::Skip>> {
        Reader::new(&[Input::Path(path.to_path_buf())], &opts)
            .map(|item| {
                item.map(|raw| {
                    let _ = raw.parse(&opts);
                    raw.bytes
                })
            })
            .collect()
    };
    let direct = read(&path);
    assert_eq!(direct.len(), lines, "records read must equal counted lines");
    let mut saved = Vec::new();
    neardup::source::spool("in.jsonl", &mut &data[..], &mut saved, 64).unwrap();
    let copy = dir.join("copy.jsonl");
    if std::fs::write(&copy, &saved).is_err() {
        return;
    }
    let from_copy = read(&copy);
    let strip = |v: Vec<Result<Vec<u8>, neardup::Skip>>| {
        v.into_iter().map(|r| r.map_err(|s| (s.line, s.reason))).collect::<Vec<_>>()
    };
    assert_eq!(strip(from_copy), strip(direct), "a spooled copy reads back the same");
});
