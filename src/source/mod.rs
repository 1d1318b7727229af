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

pub use dir::{DEFAULT_GLOBS, WalkOptions, walk};

/// One input given on the command line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Input {
    /// A file or folder. Folders are walked recursively for the files
    /// [`WalkOptions`] take (default `.txt`, `.txt.gz`, `.txt.zst`), each one
    /// document, except `.jsonl` and `.ndjson` files, read as JSON Lines;
    /// a file named here ending in `.txt` (`.txt.gz`, `.txt.zst`) is one
    /// document, any other is read as JSON Lines. Names ending in `.gz` or
    /// `.zst` are decompressed.
    Path(PathBuf),
    /// JSON Lines on standard input (`-`).
    Stdin,
    /// Standard input or a pipe saved to a file (so it can be read twice):
    /// read from `path`, but named `name` in ids and skips (`-` for stdin),
    /// and decoded as `name` says (`.txt`, `.gz`, ...).
    Spooled {
        /// The name given on the command line.
        name: String,
        /// The saved copy.
        path: PathBuf,
    },
}

impl Input {
    /// `-` is standard input, anything else a path.
    pub fn parse(arg: &str) -> Input {
        if arg == "-" { Input::Stdin } else { Input::Path(PathBuf::from(arg)) }
    }

    /// Whether this input can be read only once (stdin, a pipe, a process
    /// substitution, a device), so a run that reads twice must save it.
    pub fn is_stream(&self) -> bool {
        match self {
            Input::Stdin => true,
            Input::Spooled { .. } => false,
            Input::Path(p) => std::fs::metadata(p).is_ok_and(|m| !m.is_file() && !m.is_dir()),
        }
    }
}

/// Checks that every named input exists and can be opened (folders
/// listed), before anything is read: a missing or unreadable input is an
/// error naming it, not a skip. Streams (pipes, devices) are not opened
/// here, as opening one can consume or block it.
pub fn check_inputs(inputs: &[Input]) -> crate::Result<()> {
    for input in inputs {
        let p = match input {
            Input::Path(p) | Input::Spooled { path: p, .. } => p,
            Input::Stdin => continue,
        };
        let io =
            |e: std::io::Error| crate::Error::Input { path: p.clone(), message: e.to_string() };
        let m = std::fs::metadata(p).map_err(io)?;
        if m.is_dir() {
            std::fs::read_dir(p).map_err(io)?;
        } else if m.is_file() {
            File::open(p).map_err(io)?;
        }
    }
    Ok(())
}

/// Checks the globs of `walk` (what [`walk`] would otherwise report as a
/// skip of each folder): the message names the glob that does not parse.
pub fn check_walk(walk: &WalkOptions) -> Result<(), String> {
    dir::Filter::new(walk).map(|_| ())
}

/// Default of [`SourceOptions::max_record_bytes`]: 64 MB, far above any
/// real document, far below what a batch of the pipeline can hold.
pub const DEFAULT_MAX_RECORD_BYTES: u64 = 64_000_000;

/// How JSON Lines records are read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceOptions {
    /// Field holding the document id (default `id`). A record without it is
    /// named `FILE:LINE`.
    pub id_field: String,
    /// Field holding the text (default `text`).
    pub text_field: String,
    /// Longest record read (a JSON line without its line break, or a whole
    /// `.txt` file), in bytes. A longer one is skipped as `too_large` as soon
    /// as the limit is passed, without being held in memory, and reading
    /// goes on at the next line. At most `u32::MAX`.
    pub max_record_bytes: u64,
    /// How folders are walked (`--glob`, `--no-ignore`, `--hidden`).
    pub walk: WalkOptions,
}

impl Default for SourceOptions {
    fn default() -> Self {
        SourceOptions {
            id_field: "id".into(),
            text_field: "text".into(),
            max_record_bytes: DEFAULT_MAX_RECORD_BYTES,
            walk: WalkOptions::default(),
        }
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

    /// For a JSON line, the byte range of its text field's value (the JSON
    /// string, quotes included) in [`RawRecord::bytes`]: what a rewrite of
    /// the text replaces, leaving every other byte of the line as it is.
    /// `None` for `.txt` files and lines [`RawRecord::parse`] rejects.
    pub fn text_value_range(&self, opts: &SourceOptions) -> Option<std::ops::Range<usize>> {
        match self.kind {
            RawKind::JsonLine => {
                jsonl::text_value_range(std::str::from_utf8(&self.bytes).ok()?, opts)
            }
            RawKind::TextFile(_) => None,
        }
    }

    /// Decodes the record into a document.
    pub fn parse(&self, opts: &SourceOptions) -> Result<Document, Skip> {
        if u32::try_from(self.bytes.len()).is_err() {
            return Err(self.skip(SkipReason::TooLarge(u64::from(u32::MAX))));
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
    Text { path: PathBuf, name: String, id: String },
    Jsonl { path: PathBuf, name: String },
    Stdin,
    Failed(Skip),
}

/// Where a run's records come from: the seam every reading stage goes
/// through. A source yields the same records in the same order on every
/// pass ([`Source::records`]); a stage that needs the input again simply
/// starts another pass, and the read planner ([`crate::plan`]) makes sure
/// that is possible before the run starts.
///
/// Today's source is [`Inputs`] (folders, JSON Lines files, stdin); a
/// Parquet reader or a persisted index plugs in here, yielding
/// [`RawRecord`]s that [`RawRecord::parse`] turns into documents.
pub trait Source: Sync {
    /// A new pass over every record, from the start, in the source's order.
    fn records(&self) -> Box<dyn Iterator<Item = Result<RawRecord, Skip>> + '_>;

    /// How records are parsed (field names, the record size limit).
    fn options(&self) -> &SourceOptions;

    /// The parts of the source that can be read only once (stdin, pipes),
    /// by name. A run that reads more than once must first save them (the
    /// planner does), or fail naming them.
    fn read_once(&self) -> Vec<String> {
        Vec::new()
    }
}

/// Files, folders and stdin, as named on a command line: the [`Source`]
/// of a run over [`Input`]s.
#[derive(Debug, Clone, Copy)]
pub struct Inputs<'a> {
    /// The inputs, read in this order.
    pub inputs: &'a [Input],
    /// How records are parsed.
    pub options: &'a SourceOptions,
}

impl Source for Inputs<'_> {
    fn records(&self) -> Box<dyn Iterator<Item = Result<RawRecord, Skip>> + '_> {
        Box::new(Reader::new(self.inputs, self.options))
    }

    fn options(&self) -> &SourceOptions {
        self.options
    }

    fn read_once(&self) -> Vec<String> {
        self.inputs
            .iter()
            .filter(|i| i.is_stream())
            .map(|i| match i {
                Input::Path(p) => p.display().to_string(),
                _ => "- (stdin)".to_owned(),
            })
            .collect()
    }
}

/// Streams [`RawRecord`]s from a list of inputs, in order: inputs as given,
/// folders in sorted path order, lines in file order.
pub struct Reader {
    units: std::vec::IntoIter<Unit>,
    current: Option<LineSource>,
    limit: usize,
}

struct LineSource {
    name: Arc<str>,
    reader: Box<dyn BufRead + Send>,
    line: u64,
    /// The rest of a too long line is still to be passed over.
    discarding: bool,
}

impl Reader {
    /// A reader over `inputs`. Folders are listed now (names only); files are
    /// opened as they are reached. Records longer than
    /// `opts.max_record_bytes` become `too_large` skips.
    pub fn new(inputs: &[Input], opts: &SourceOptions) -> Reader {
        let mut units = Vec::new();
        for input in inputs {
            match input {
                Input::Stdin => units.push(Unit::Stdin),
                Input::Path(p) => expand(p, &opts.walk, &mut units),
                Input::Spooled { name, path } => units.push(if is_txt(Path::new(name)) {
                    Unit::Text { path: path.clone(), name: name.clone(), id: name.clone() }
                } else {
                    Unit::Jsonl { path: path.clone(), name: name.clone() }
                }),
            }
        }
        let limit =
            usize::try_from(opts.max_record_bytes.min(u64::from(u32::MAX))).unwrap_or(usize::MAX);
        Reader { units: units.into_iter(), current: None, limit }
    }
}

fn expand(path: &Path, walk_opts: &WalkOptions, units: &mut Vec<Unit>) {
    let name = path.display().to_string();
    match std::fs::metadata(path) {
        Err(e) => units.push(Unit::Failed(Skip {
            source: name,
            line: None,
            reason: SkipReason::Unreadable(e.to_string()),
        })),
        Ok(m) if m.is_dir() => {
            for entry in walk(path, walk_opts) {
                units.push(match entry {
                    Ok((file, _)) if is_jsonl_name(&file) => {
                        Unit::Jsonl { name: file.display().to_string(), path: file }
                    }
                    Ok((file, id)) => {
                        Unit::Text { name: file.display().to_string(), path: file, id }
                    }
                    Err(skip) => Unit::Failed(skip),
                });
            }
        }
        Ok(_) => {
            if is_txt(path) {
                units.push(Unit::Text { path: path.to_path_buf(), name: name.clone(), id: name });
            } else {
                units.push(Unit::Jsonl { path: path.to_path_buf(), name });
            }
        }
    }
}

/// Whether a file so named is one text document: `.txt`, or `.txt.gz` or
/// `.txt.zst` (decompressed).
fn is_txt(path: &Path) -> bool {
    let name =
        path.file_name().map(|n| n.to_string_lossy().to_ascii_lowercase()).unwrap_or_default();
    [".txt", ".txt.gz", ".txt.gzip", ".txt.zst", ".txt.zstd"].iter().any(|e| name.ends_with(e))
}

/// Whether a file found in a folder is JSON Lines (`.jsonl`, `.ndjson`,
/// compressed or not) rather than one document.
fn is_jsonl_name(path: &Path) -> bool {
    let name =
        path.file_name().map(|n| n.to_string_lossy().to_ascii_lowercase()).unwrap_or_default();
    let base = [".gz", ".gzip", ".zst", ".zstd"]
        .iter()
        .find_map(|e| name.strip_suffix(e))
        .unwrap_or(&name);
    base.ends_with(".jsonl") || base.ends_with(".ndjson")
}

/// The compression a name's extension announces.
fn compression(name: &str) -> Option<&'static str> {
    let ext = Path::new(name).extension().and_then(|e| e.to_str()).unwrap_or("");
    match ext.to_ascii_lowercase().as_str() {
        "gz" | "gzip" => Some("gzip"),
        "zst" | "zstd" => Some("zstd"),
        _ => None,
    }
}

fn unreadable(source: &str, line: Option<u64>, e: &std::io::Error) -> Skip {
    Skip { source: source.to_owned(), line, reason: SkipReason::Unreadable(e.to_string()) }
}

/// Opens a JSON Lines file, decompressing as its name says.
fn open_lines(path: &Path, name: &str) -> std::io::Result<Box<dyn BufRead + Send>> {
    let file = File::open(path)?;
    let reader: Box<dyn BufRead + Send> = match compression(name) {
        Some("gzip") => Box::new(BufReader::with_capacity(
            1 << 20,
            flate2::read::MultiGzDecoder::new(BufReader::with_capacity(1 << 16, file)),
        )),
        Some(_) => Box::new(BufReader::with_capacity(1 << 20, zstd::Decoder::new(file)?)),
        None => Box::new(BufReader::with_capacity(1 << 20, file)),
    };
    Ok(reader)
}

/// Opens a file for reading, decompressed if its name ends in `.gz` or
/// `.zst` (as neardup writes outputs so named: reports, labels).
pub fn open_decompressed(path: &Path) -> std::io::Result<Box<dyn BufRead + Send>> {
    open_lines(path, &path.to_string_lossy())
}

/// What [`read_line`] found.
enum Line {
    /// The end of the input.
    End,
    /// A line, in the buffer (without its line break).
    Read,
    /// A line longer than the limit: the buffer holds nothing of it, and
    /// the rest of the line is still unread.
    TooLong,
}

/// Reads one line into `buf`, holding at most `limit` bytes of it.
fn read_line(r: &mut dyn BufRead, buf: &mut Vec<u8>, limit: usize) -> std::io::Result<Line> {
    buf.clear();
    let mut any = false;
    loop {
        let avail = match r.fill_buf() {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        if avail.is_empty() {
            return Ok(if any { Line::Read } else { Line::End });
        }
        any = true;
        let newline = avail.iter().position(|&b| b == b'\n');
        let chunk = &avail[..newline.unwrap_or(avail.len())];
        if buf.len() + chunk.len() > limit {
            let used = limit - buf.len();
            r.consume(used);
            *buf = Vec::new(); // give the memory back
            return Ok(Line::TooLong);
        }
        buf.extend_from_slice(chunk);
        let used = newline.map_or(avail.len(), |i| i + 1);
        r.consume(used);
        if newline.is_some() {
            return Ok(Line::Read);
        }
    }
}

/// Passes over the rest of a line (up to and with its line break).
fn skip_line(r: &mut dyn BufRead) -> std::io::Result<()> {
    loop {
        let avail = match r.fill_buf() {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        if avail.is_empty() {
            return Ok(());
        }
        match avail.iter().position(|&b| b == b'\n') {
            Some(i) => {
                r.consume(i + 1);
                return Ok(());
            }
            None => {
                let n = avail.len();
                r.consume(n);
            }
        }
    }
}

/// Copies `r` to `w` as the [`Reader`] will see it with records of at most
/// `limit` bytes: every line (or, for a whole `.txt` file, the whole) cut
/// just after its first `limit + 1` bytes, so the copy is bounded even when
/// the stream never ends a line, and reads back with the same records and
/// skips. Compressed streams are copied whole.
pub fn spool(
    name: &str,
    r: &mut dyn Read,
    w: &mut dyn std::io::Write,
    limit: u64,
) -> std::io::Result<()> {
    if compression(name).is_some() {
        std::io::copy(r, w)?;
        return Ok(());
    }
    let keep = limit.saturating_add(1);
    let whole = is_txt(Path::new(name));
    let mut line_len = 0u64;
    let mut buf = vec![0u8; 1 << 16];
    loop {
        let n = match r.read(&mut buf) {
            Ok(0) => return Ok(()),
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        let mut chunk = &buf[..n];
        while !chunk.is_empty() {
            let end = if whole { None } else { chunk.iter().position(|&b| b == b'\n') };
            let part = &chunk[..end.unwrap_or(chunk.len())];
            let room = keep.saturating_sub(line_len);
            let take = part.len().min(usize::try_from(room).unwrap_or(usize::MAX));
            w.write_all(&part[..take])?;
            line_len += part.len() as u64;
            match end {
                Some(i) => {
                    w.write_all(b"\n")?;
                    line_len = 0;
                    chunk = &chunk[i + 1..];
                }
                None => chunk = &[],
            }
        }
    }
}

impl Iterator for Reader {
    type Item = Result<RawRecord, Skip>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if let Some(src) = &mut self.current {
                if src.discarding {
                    src.discarding = false;
                    if let Err(e) = skip_line(&mut src.reader) {
                        let skip = unreadable(&src.name, Some(src.line), &e);
                        self.current = None;
                        return Some(Err(skip));
                    }
                }
                let mut bytes = Vec::new();
                match read_line(&mut src.reader, &mut bytes, self.limit) {
                    Ok(Line::End) => self.current = None,
                    Ok(Line::TooLong) => {
                        // Skipped now, without holding the line: the rest is
                        // passed over on the next call (never, for a stream
                        // that does not end the line).
                        src.line += 1;
                        src.discarding = true;
                        return Some(Err(Skip {
                            source: src.name.to_string(),
                            line: Some(src.line),
                            reason: SkipReason::TooLarge(self.limit as u64),
                        }));
                    }
                    Ok(Line::Read) => {
                        src.line += 1;
                        while bytes.last().is_some_and(|&b| b == b'\r') {
                            bytes.pop();
                        }
                        if src.line == 1 && bytes.starts_with(BOM) {
                            bytes.drain(..BOM.len()); // a UTF-8 byte-order mark is not data
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
                Unit::Text { path, name, id } => {
                    return Some(read_text(&path, name, id, self.limit));
                }
                Unit::Jsonl { path, name } => match open_lines(&path, &name) {
                    Ok(reader) => {
                        self.current = Some(LineSource {
                            name: name.into(),
                            reader,
                            line: 0,
                            discarding: false,
                        })
                    }
                    Err(e) => return Some(Err(unreadable(&name, None, &e))),
                },
                Unit::Stdin => {
                    let reader = Box::new(BufReader::with_capacity(1 << 20, std::io::stdin()));
                    self.current =
                        Some(LineSource { name: "-".into(), reader, line: 0, discarding: false });
                }
            }
        }
    }
}

/// A UTF-8 byte-order mark.
const BOM: &[u8] = b"\xEF\xBB\xBF";

/// Reads a whole `.txt` file of at most `limit` bytes, without its
/// byte-order mark.
fn read_text(path: &Path, name: String, id: String, limit: usize) -> Result<RawRecord, Skip> {
    let too_large = |name: &str| Skip {
        source: name.to_owned(),
        line: None,
        reason: SkipReason::TooLarge(limit as u64),
    };
    let mut bytes = Vec::new();
    let read = File::open(path).and_then(|f| {
        if compression(&name).is_none() && f.metadata()?.len() > limit as u64 {
            return Ok(false);
        }
        // The file may grow while it is read (or decompress to far more):
        // never take more than allowed.
        let mut r = open_lines(path, &name)?;
        r.by_ref().take(limit as u64 + 1).read_to_end(&mut bytes)?;
        Ok(bytes.len() <= limit)
    });
    match read {
        Ok(true) => {
            if bytes.starts_with(BOM) {
                bytes.drain(..BOM.len()); // a UTF-8 byte-order mark is not data
            }
            Ok(RawRecord { source: name.into(), line: None, kind: RawKind::TextFile(id), bytes })
        }
        Ok(false) => Err(too_large(&name)),
        Err(e) => Err(unreadable(&name, None, &e)),
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

    /// Dotted names reach into nested objects; a key of that very name
    /// wins; every value found is where `text_value_range` says.
    #[test]
    fn dotted_fields_reach_into_nested_objects() {
        let o = SourceOptions {
            text_field: "content.text".into(),
            id_field: "meta.id".into(),
            ..SourceOptions::default()
        };
        // A line, and its (id, text) or the start of its skip.
        type Case<'a> = (&'a [u8], Result<(&'a str, &'a str), &'a str>);
        let cases: [Case<'_>; 7] = [
            (br#"{"content": {"lang": "nl", "text": "a b"}, "meta": {"id": 7}}"#, Ok(("7", "a b"))),
            (
                br#"{"content.text": "lit", "content": {"text": "no"}, "meta": {"id": "x"}}"#,
                Ok(("x", "lit")),
            ),
            (
                br#"{"content": {"text": "\u00e9 \"q\""}, "meta": {"id": null}}"#,
                Ok(("f.jsonl:7", "\u{e9} \"q\"")),
            ),
            (
                br#"{"content": {"text": "one"}, "content": {"text": "last"}}"#,
                Ok(("f.jsonl:7", "last")),
            ),
            (
                br#"{"content": {"text": 5}}"#,
                Err("f.jsonl:7: the \"content.text\" field is not a string"),
            ),
            (br#"{"content": "flat", "text": "t"}"#, Err("f.jsonl:7: no \"content.text\" field")),
            (br#"{"content": {"text": "a"}} trailing"#, Err("f.jsonl:7: malformed JSON")),
        ];
        for (line, want) in cases {
            let got = raw(line).parse(&o);
            match want {
                Ok((id, text)) => {
                    let d = got.unwrap();
                    assert_eq!((d.id.as_str(), d.text.as_str()), (id, text));
                    let r = raw(line).text_value_range(&o).unwrap();
                    let value: String = serde_json::from_slice(&line[r]).unwrap();
                    assert_eq!(value, text);
                }
                Err(start) => {
                    let e = got.unwrap_err().to_string();
                    assert!(e.starts_with(start), "{e}");
                }
            }
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

            /// Lines over the limit are one skip each and the rest read as
            /// before; a spooled copy reads back the same records and skips.
            #[test]
            fn limited_reads_and_spooled_copies(
                parts in prop::collection::vec(
                    prop::sample::select(vec![&b"a"[..], b"bcd", b" ", b"\n", b"\r\n", b"\xEF\xBB\xBF", b"xxxxxxxx"]),
                    0..40,
                ),
                limit in 1u64..12,
            ) {
                let data: Vec<u8> = parts.concat();
                let direct = read_back("in.jsonl", &data, limit);
                let counted = data
                    .split(|&b| b == b'\n')
                    .enumerate()
                    .filter(|(i, raw)| {
                        let l = if *i == 0 { raw.strip_prefix(BOM).unwrap_or(raw) } else { raw };
                        raw.len() as u64 > limit || !l.iter().all(u8::is_ascii_whitespace)
                    })
                    .count();
                prop_assert_eq!(direct.len(), counted);
                let mut saved = Vec::new();
                spool("in.jsonl", &mut &data[..], &mut saved, limit).unwrap();
                prop_assert_eq!(read_back("in.jsonl", &saved, limit), direct);
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

    /// Records and skips of `bytes` read as JSON Lines named `name`.
    fn read_back(name: &str, bytes: &[u8], limit: u64) -> Vec<Result<Vec<u8>, (u64, String)>> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(name);
        std::fs::write(&path, bytes).unwrap();
        let opts = SourceOptions { max_record_bytes: limit, ..SourceOptions::default() };
        Reader::new(&[Input::Path(path)], &opts)
            .map(|r| match r {
                Ok(raw) => Ok(raw.bytes),
                Err(s) => Err((s.line.unwrap_or(0), s.reason.kind().to_owned())),
            })
            .collect()
    }

    /// Lines over the limit are skipped at their line, the lines after them
    /// read; a saved copy (`spool`) reads back the same, and is bounded.
    #[test]
    fn record_limit_and_spooled_copies_agree() {
        let cases: [&[u8]; 6] = [
            b"\xEF\xBB\xBFa\r\nabcdef\nabc\n\nabcde",
            b"abcdefghij\nab",
            b"abcdefghijklmnopqrstuvwxyz",
            b"abcde\nabcdef\n\n  \nx\n",
            b"",
            b"\n\n\n",
        ];
        for bytes in cases {
            let direct = read_back("in.jsonl", bytes, 5);
            let mut saved = Vec::new();
            spool("in.jsonl", &mut &bytes[..], &mut saved, 5).unwrap();
            assert_eq!(read_back("in.jsonl", &saved, 5), direct, "{bytes:?}");
            assert!(saved.split(|&b| b == b'\n').all(|l| l.len() <= 6), "{saved:?}");
        }
        let got = read_back("in.jsonl", b"\xEF\xBB\xBFa\r\nabcdef\nabc\n\nabcde", 5);
        let want: Vec<Result<Vec<u8>, (u64, String)>> = vec![
            Ok(b"a".to_vec()), // the limit counts the raw bytes, mark and \r too
            Err((2, "too_large".into())),
            Ok(b"abc".to_vec()),
            Ok(b"abcde".to_vec()),
        ];
        assert_eq!(got, want);
        // A whole .txt file is cut once, after limit + 1 bytes.
        let mut saved = Vec::new();
        spool("x.txt", &mut &b"ab\ncdefgh"[..], &mut saved, 5).unwrap();
        assert_eq!(saved, b"ab\ncde");
        assert_eq!(read_back("x.txt", &saved, 5), [Err((0, "too_large".to_owned()))]);
        assert_eq!(read_back("x.txt", b"\xEF\xBB\xBFab\ncd", 8), [Ok(b"ab\ncd".to_vec())]);
    }

    #[test]
    fn custom_fields() {
        let o = SourceOptions {
            id_field: "key".into(),
            text_field: "body".into(),
            ..SourceOptions::default()
        };
        let d = raw(br#"{"key": "k1", "id": "no", "body": "t", "text": "no"}"#).parse(&o).unwrap();
        assert_eq!(d, Document { id: "k1".into(), text: "t".into() });
    }
}
