//! Any bytes as a JSON Lines file: every line is a document or a skip,
//! never a panic; ids and texts come back as valid strings.
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
    let opts = SourceOptions::default();
    // A UTF-8 byte-order mark at the very start is not data.
    let text = data.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(data);
    let lines = text.split(|&b| b == b'\n').filter(|l| !l.iter().all(u8::is_ascii_whitespace)).count();
    let mut seen = 0;
    for item in Reader::new(&[Input::Path(path)]) {
        seen += 1;
        if let Ok(raw) = item {
            let _ = raw.parse(&opts);
        }
    }
    assert_eq!(seen, lines, "records read must equal non-blank lines");
});
