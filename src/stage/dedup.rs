//! Dedup writing: one more read of the input, writing the records the scan
//! keeps as JSON Lines (JSON lines verbatim, `.txt` files as objects), with
//! within-document repeats removed on request.

use std::io::Write;

use super::read::{read_batches, refuse_read_once, same_records};
use crate::config::Config;
use crate::error::{Error, Result};
use crate::ids::Span;
use crate::pipeline::Outcome;
use crate::source::RawKind;

/// Counts of a dedup write.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WriteStats {
    /// Documents written.
    pub written: u64,
    /// Bytes of text removed by `strip_repeats`.
    pub stripped_bytes: u64,
}

/// `text` without the byte ranges `spans` (sorted; overlaps allowed).
pub fn remove_spans(text: &str, spans: &[Span]) -> String {
    let mut out = String::with_capacity(text.len());
    let mut at = 0usize;
    for s in spans {
        let r = s.range();
        if r.start > at {
            out.push_str(&text[at..r.start]);
        }
        at = at.max(r.end);
    }
    out.push_str(&text[at.min(text.len())..]);
    out
}

/// Writes the records `outcome` keeps to `out` as JSON Lines: JSON input
/// lines verbatim, `.txt` files as `{"id": ..., "text": ...}`. Reads the
/// inputs a second time, so they must not change in between (stdin must be
/// saved to a file first).
pub fn write_deduplicated(
    cfg: &Config,
    outcome: &Outcome,
    strip_repeats: bool,
    out: &mut dyn Write,
    io_name: &std::path::Path,
) -> Result<WriteStats> {
    let mut ws = WriteStats::default();
    let mut index = 0usize;
    let io = |e| Error::io(io_name, e);
    let source = cfg.source();
    refuse_read_once(&source)?;
    read_batches(&source, cfg.batch_bytes, |batch| {
        for item in batch {
            let keep = outcome.keep_record.get(index).is_some_and(|b| *b);
            index += 1;
            let Ok(raw) = item else { continue };
            if !keep {
                continue;
            }
            let strip = if strip_repeats { outcome.repeats.get(&(index - 1)) } else { None };
            if let Some(spans) = strip {
                let doc = raw.parse(&cfg.source).map_err(Error::Strict)?;
                let text = remove_spans(&doc.text, spans);
                let text_len = text.len();
                match &raw.kind {
                    // Only the text's bytes change: every other field (its
                    // escapes, number formats, spacing, depth) is copied as
                    // it is.
                    RawKind::JsonLine => {
                        let r = raw.text_value_range(&cfg.source).ok_or_else(|| {
                            Error::Bug(format!(
                                "{}:{}: text field not found again",
                                raw.source,
                                raw.line.unwrap_or_default()
                            ))
                        })?;
                        let text_json = serde_json::to_string(&text).map_err(|e| io(e.into()))?;
                        out.write_all(&raw.bytes[..r.start]).map_err(io)?;
                        out.write_all(text_json.as_bytes()).map_err(io)?;
                        out.write_all(&raw.bytes[r.end..]).map_err(io)?;
                    }
                    RawKind::TextFile(_) => {
                        let mut m = serde_json::Map::new();
                        m.insert(cfg.source.id_field.clone(), doc.id.into());
                        m.insert(cfg.source.text_field.clone(), text.into());
                        serde_json::to_writer(&mut *out, &m).map_err(|e| io(e.into()))?;
                    }
                }
                out.write_all(b"\n").map_err(io)?;
                ws.written += 1;
                ws.stripped_bytes += (doc.text.len() - text_len) as u64;
                continue;
            }
            match &raw.kind {
                RawKind::JsonLine => {
                    out.write_all(&raw.bytes).map_err(io)?;
                }
                RawKind::TextFile(_) => {
                    let doc = raw.parse(&cfg.source).map_err(Error::Strict)?;
                    let line = serde_json::json!({
                        cfg.source.id_field.as_str(): doc.id,
                        cfg.source.text_field.as_str(): doc.text,
                    });
                    serde_json::to_writer(&mut *out, &line).map_err(|e| io(e.into()))?;
                }
            }
            out.write_all(b"\n").map_err(io)?;
            ws.written += 1;
        }
        Ok(())
    })?;
    same_records("dedup", outcome.keep_record.len(), index)?;
    Ok(ws)
}
