//! Input readers: folders of `.txt` files, JSON Lines (plain, gzip, zstd) and
//! standard input, streamed record by record in a deterministic order.
//!
//! Reading is split in two steps so that the expensive one runs in parallel:
//! [`Reader`] walks the inputs on one thread and yields [`RawRecord`]s (the
//! bytes of one line or one file, with where they came from), and
//! [`RawRecord::parse`] turns one into a [`Document`] or a [`Skip`]; the
//! pipeline calls it on many records at once. Every bad record becomes a
//! `Skip` naming the file and line, never a panic and never a silent drop.

mod dir;
mod jsonl;

use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::error::{Skip, SkipReason};

pub use dir::walk;

/// One input given on the command line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Input {
    /// A file or folder. Folders are walked recursively for `.txt` files;
    /// files ending in `.txt` are one document each; any other file is read
    /// as JSON Lines, decompressed if it ends in `.gz` or `.zst`.
    Path(PathBuf),
    /// JSON Lines on standard input (`-`).
    Stdin,
    /// Standard input saved to this file (so it can be read twice); named
    /// `-` in ids and skips, as stdin itself.
    SavedStdin(PathBuf),
}

impl Input {
    /// `-` is standard input, anything else a path.
    pub fn parse(arg: &str) -> Input {
        if arg == "-" { Input::Stdin } else { Input::Path(PathBuf::from(arg)) }
    }
}

/// How JSON Lines records are read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceOptions {
    /// Field holding the document id (default `id`). A record without it is
    /// named `FILE:LINE`.
    pub id_field: String,
    /// Field holding the text (default `text`).
    pub text_field: String,
}

impl Default for SourceOptions {
    fn default() -> Self {
        SourceOptions { id_field: "id".into(), text_field: "text".into() }
    }
}

/// A document read from the input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Document {
    /// The id: the JSON id field, `FILE:LINE` when it is missing, or the
    /// path of a `.txt` file relative to the folder given.
    pub id: String,
    /// The original text, unchanged.
    pub text: String,
}

/// How a raw record is to be decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RawKind {
    /// One line of JSON Lines.
    JsonLine,
    /// A whole `.txt` file with this id.
    TextFile(String),
}

/// The undecoded bytes of one record and where they came from.
#[derive(Debug, Clone)]
pub struct RawRecord {
    /// The file the record came from (`-` for standard input).
    pub source: Arc<str>,
    /// 1-based line number for JSON Lines.
    pub line: Option<u64>,
    /// How to decode it.
    pub kind: RawKind,
    /// The bytes (line without its line break, or the whole file).
    pub bytes: Vec<u8>,
}

impl RawRecord {
    /// A skip for this record.
    pub fn skip(&self, reason: SkipReason) -> Skip {
        Skip { source: self.source.to_string(), line: self.line, reason }
    }

    /// Decodes the record into a document.
    pub fn parse(&self, opts: &SourceOptions) -> Result<Document, Skip> {
        if u32::try_from(self.bytes.len()).is_err() {
            return Err(self.skip(SkipReason::TooLarge(self.bytes.len() as u64)));
        }
        let text = std::str::from_utf8(&self.bytes)
            .map_err(|e| self.skip(SkipReason::InvalidUtf8 { offset: e.valid_up_to() }))?;
        match &self.kind {
            RawKind::TextFile(id) => Ok(Document { id: id.clone(), text: text.to_owned() }),
            RawKind::JsonLine => {
                let (id, text) = jsonl::parse_line(text, opts).map_err(|r| self.skip(r))?;
                let id = id.unwrap_or_else(|| {
                    format!("{}:{}", self.source, self.line.unwrap_or_default())
                });
                Ok(Document { id, text })
            }
        }
    }
}

/// One file to read, after folders were expanded.
#[derive(Debug, Clone)]
enum Unit {
    Text { path: PathBuf, id: String },
    Jsonl { path: PathBuf, name: String },
    Stdin,
    Failed(Skip),
}

/// Streams [`RawRecord`]s from a list of inputs, in order: inputs as given,
/// folders in sorted path order, lines in file order.
pub struct Reader {
    units: std::vec::IntoIter<Unit>,
    current: Option<LineSource>,
}

struct LineSource {
    name: Arc<str>,
    reader: Box<dyn BufRead + Send>,
    line: u64,
}

impl Reader {
    /// A reader over `inputs`. Folders are listed now (names only); files are
    /// opened as they are reached.
    pub fn new(inputs: &[Input]) -> Reader {
        let mut units = Vec::new();
        for input in inputs {
            match input {
                Input::Stdin => units.push(Unit::Stdin),
                Input::Path(p) => expand(p, &mut units),
                Input::SavedStdin(p) => {
                    units.push(Unit::Jsonl { path: p.clone(), name: "-".into() });
                }
            }
        }
        Reader { units: units.into_iter(), current: None }
    }
}

fn expand(path: &Path, units: &mut Vec<Unit>) {
    let name = path.display().to_string();
    match std::fs::metadata(path) {
        Err(e) => units.push(Unit::Failed(Skip {
            source: name,
            line: None,
            reason: SkipReason::Unreadable(e.to_string()),
        })),
        Ok(m) if m.is_dir() => {
            for entry in walk(path) {
                units.push(match entry {
                    Ok((file, id)) => Unit::Text { path: file, id },
                    Err(skip) => Unit::Failed(skip),
                });
            }
        }
        Ok(_) => {
            if is_txt(path) {
                units.push(Unit::Text { path: path.to_path_buf(), id: name });
            } else {
                units.push(Unit::Jsonl { path: path.to_path_buf(), name });
            }
        }
    }
}

fn is_txt(path: &Path) -> bool {
    path.extension().is_some_and(|e| e.eq_ignore_ascii_case("txt"))
}

fn unreadable(source: &str, line: Option<u64>, e: &std::io::Error) -> Skip {
    Skip { source: source.to_owned(), line, reason: SkipReason::Unreadable(e.to_string()) }
}

/// Opens a JSON Lines file, decompressing by extension.
fn open_lines(path: &Path) -> std::io::Result<Box<dyn BufRead + Send>> {
    let file = File::open(path)?;
    let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("").to_ascii_lowercase();
    let reader: Box<dyn BufRead + Send> = match ext.as_str() {
        "gz" | "gzip" => Box::new(BufReader::with_capacity(
            1 << 20,
            flate2::read::MultiGzDecoder::new(BufReader::with_capacity(1 << 16, file)),
        )),
        "zst" | "zstd" => Box::new(BufReader::with_capacity(1 << 20, zstd::Decoder::new(file)?)),
        _ => Box::new(BufReader::with_capacity(1 << 20, file)),
    };
    Ok(reader)
}

impl Iterator for Reader {
    type Item = Result<RawRecord, Skip>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if let Some(src) = &mut self.current {
                let mut bytes = Vec::new();
                match src.reader.read_until(b'\n', &mut bytes) {
                    Ok(0) => self.current = None,
                    Ok(_) => {
                        src.line += 1;
                        while bytes.last().is_some_and(|&b| b == b'\n' || b == b'\r') {
                            bytes.pop();
                        }
                        if src.line == 1 && bytes.starts_with(b"\xEF\xBB\xBF") {
                            bytes.drain(..3); // a UTF-8 byte-order mark is not data
                        }
                        if bytes.iter().all(u8::is_ascii_whitespace) {
                            continue; // a blank line holds no record
                        }
                        return Some(Ok(RawRecord {
                            source: src.name.clone(),
                            line: Some(src.line),
                            kind: RawKind::JsonLine,
                            bytes,
                        }));
                    }
                    Err(e) => {
                        // A truncated or corrupt stream: report where, then
                        // go on with the next input.
                        let skip = unreadable(&src.name, Some(src.line + 1), &e);
                        self.current = None;
                        return Some(Err(skip));
                    }
                }
                continue;
            }
            let unit = self.units.next()?;
            match unit {
                Unit::Failed(skip) => return Some(Err(skip)),
                Unit::Text { path, id } => {
                    let name = path.display().to_string();
                    let mut bytes = Vec::new();
                    let read = File::open(&path).and_then(|mut f| f.read_to_end(&mut bytes));
                    return Some(match read {
                        Ok(_) => Ok(RawRecord {
                            source: name.into(),
                            line: None,
                            kind: RawKind::TextFile(id),
                            bytes,
                        }),
                        Err(e) => Err(unreadable(&name, None, &e)),
                    });
                }
                Unit::Jsonl { path, name } => match open_lines(&path) {
                    Ok(reader) => {
                        self.current = Some(LineSource { name: name.into(), reader, line: 0 })
                    }
                    Err(e) => return Some(Err(unreadable(&name, None, &e))),
                },
                Unit::Stdin => {
                    let reader = Box::new(BufReader::with_capacity(1 << 20, std::io::stdin()));
                    self.current = Some(LineSource { name: "-".into(), reader, line: 0 });
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw(bytes: &[u8]) -> RawRecord {
        RawRecord {
            source: "f.jsonl".into(),
            line: Some(7),
            kind: RawKind::JsonLine,
            bytes: bytes.to_vec(),
        }
    }

    #[test]
    fn parses_json_lines_and_names_bad_ones() {
        let o = SourceOptions::default();
        let d = raw(br#"{"id": 3, "text": "a b", "x": [1, {"y": 2}]}"#).parse(&o).unwrap();
        assert_eq!(d, Document { id: "3".into(), text: "a b".into() });
        let d = raw(br#"{"text": "no id"}"#).parse(&o).unwrap();
        assert_eq!(d.id, "f.jsonl:7");
        let cases: [(&[u8], &str); 6] = [
            (b"[1, 2]", "f.jsonl:7: malformed JSON"),
            (br#"{"id": 1}"#, "f.jsonl:7: no \"text\" field"),
            (br#"{"text": 5}"#, "f.jsonl:7: the \"text\" field is not a string"),
            (b"{\"text\": \"a\xff\"}", "f.jsonl:7: invalid UTF-8 at byte 11"),
            (br#"{"text": "a"} x"#, "f.jsonl:7: malformed JSON"),
            (br#"{"text": "a"#, "f.jsonl:7: malformed JSON"),
        ];
        for (bytes, want) in cases {
            let got = raw(bytes).parse(&o).unwrap_err().to_string();
            assert!(got.starts_with(want), "{got:?} should start with {want:?}");
        }
    }

    mod props {
        use super::*;
        use proptest::prelude::*;

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(256))]
            /// Any bytes as a JSON line: a document or a named skip, no panic.
            #[test]
            fn any_line_is_a_document_or_a_skip(bytes in prop::collection::vec(any::<u8>(), 0..200)) {
                match raw(&bytes).parse(&SourceOptions::default()) {
                    // A document needs valid UTF-8 and a JSON object.
                    Ok(_) => {
                        let is_object = bytes.contains(&b'{');
                        prop_assert!(std::str::from_utf8(&bytes).is_ok() && is_object);
                    }
                    Err(skip) => prop_assert_eq!(skip.line, Some(7)),
                }
            }

            /// JSON objects with a text field always parse to that text.
            #[test]
            fn objects_with_text_parse(text in "\\PC{0,50}", id in "[a-z0-9]{1,8}") {
                let line = serde_json::json!({"id": id, "text": text, "extra": [1, {"a": null}]}).to_string();
                let d = raw(line.as_bytes()).parse(&SourceOptions::default()).unwrap();
                prop_assert_eq!(d.text, text);
                prop_assert_eq!(d.id, id);
            }
        }
    }

    #[test]
    fn custom_fields() {
        let o = SourceOptions { id_field: "key".into(), text_field: "body".into() };
        let d = raw(br#"{"key": "k1", "id": "no", "body": "t", "text": "no"}"#).parse(&o).unwrap();
        assert_eq!(d, Document { id: "k1".into(), text: "t".into() });
    }
}
