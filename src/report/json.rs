//! JSON and JSON Lines writers with a stable key and element order.

use std::io::{self, Write};

use serde::Serialize;

use super::model::{Cluster, Params, Passage, Report, Stats};
use crate::error::Skip;

/// Writes the report as one pretty-printed JSON document.
pub fn write_json(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, report)?;
    out.write_all(b"\n")
}

#[derive(Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum Line<'a> {
    Header { version: u32, params: &'a Params, stats: &'a Stats },
    Cluster(&'a Cluster),
    Passage(&'a Passage),
    Skipped(&'a Skip),
}

/// Writes the report as JSON Lines: a `header` line (version, params,
/// stats), then one line per cluster, per passage, per skipped record; each line
/// has a `type` field.
pub fn write_jsonl(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    let mut line = |l: &Line<'_>| -> io::Result<()> {
        serde_json::to_writer(&mut *out, l)?;
        out.write_all(b"\n")
    };
    line(&Line::Header { version: report.version, params: &report.params, stats: &report.stats })?;
    for c in &report.clusters {
        line(&Line::Cluster(c))?;
    }
    for p in &report.passages {
        line(&Line::Passage(p))?;
    }
    for s in &report.skipped {
        line(&Line::Skipped(s))?;
    }
    Ok(())
}
