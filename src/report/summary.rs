//! The human-readable summary of a report.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use super::model::Report;

/// How many clusters and skips the summary lists by name.
const LIST: usize = 10;

fn pct(part: u64, whole: u64) -> f64 {
    if whole == 0 { 0.0 } else { 100.0 * part as f64 / whole as f64 }
}

/// Bytes in a readable unit (decimal: kB, MB, GB).
pub fn human_bytes(b: u64) -> String {
    let b = b as f64;
    if b >= 1e9 {
        format!("{:.2} GB", b / 1e9)
    } else if b >= 1e6 {
        format!("{:.1} MB", b / 1e6)
    } else if b >= 1e3 {
        format!("{:.1} kB", b / 1e3)
    } else {
        format!("{b} B")
    }
}

/// The summary as text, ending in a newline.
pub fn render(report: &Report) -> String {
    let s = &report.stats;
    let p = &report.params;
    let mut o = String::new();
    let _ = writeln!(
        o,
        "read {} records: {} documents ({}, {} words), {} skipped",
        s.records,
        s.documents,
        human_bytes(s.bytes),
        s.words,
        s.skipped
    );
    let shingle =
        format!("{}-{} shingles", p.ngram, if p.shingle == "chars" { "char" } else { "word" });
    let _ = writeln!(
        o,
        "near-duplicates: MinHash ({}, {} values), Jaccard >= {}, {} bands x {} rows, {shingle}",
        p.minhash_variant, p.num_perm, p.threshold, p.bands, p.rows
    );
    let _ = writeln!(
        o,
        "  {} clusters holding {} documents; {} candidate pairs, {} verified",
        s.clusters, s.clustered_documents, s.candidate_pairs, s.verified_pairs
    );
    let _ = writeln!(
        o,
        "  dedup keeps {} and removes {} documents ({:.1} % of documents, {} = {:.1} % of bytes)",
        s.kept_documents,
        s.duplicate_documents,
        pct(s.duplicate_documents, s.documents),
        human_bytes(s.duplicate_bytes),
        pct(s.duplicate_bytes, s.bytes)
    );
    if !report.clusters.is_empty() {
        let mut hist: BTreeMap<usize, usize> = BTreeMap::new();
        for c in &report.clusters {
            *hist.entry(c.size).or_default() += 1;
        }
        let h: Vec<String> = hist.iter().map(|(size, n)| format!("{size}: {n}")).collect();
        let _ = writeln!(o, "  cluster sizes (size: count): {}", h.join(", "));
        let _ = writeln!(o, "largest clusters:");
        for c in report.clusters.iter().take(LIST) {
            let members: Vec<String> = c
                .members
                .iter()
                .map(|m| {
                    if m.doc == c.representative {
                        format!("{} (kept)", m.doc)
                    } else {
                        format!("{} {:.2}", m.doc, m.similarity)
                    }
                })
                .collect();
            let _ = writeln!(o, "  #{} ({} docs): {}", c.id, c.size, members.join(", "));
        }
        if report.clusters.len() > LIST {
            let _ = writeln!(o, "  ... {} more in the report (-o)", report.clusters.len() - LIST);
        }
    }
    if s.duplicate_ids > 0 {
        let _ = writeln!(
            o,
            "warning: {} documents reuse an earlier document's id; ids in the report are ambiguous",
            s.duplicate_ids
        );
    }
    if !report.skipped.is_empty() {
        let _ = writeln!(o, "skipped:");
        for k in report.skipped.iter().take(LIST) {
            let _ = writeln!(o, "  {k}");
        }
        if report.skipped.len() > LIST {
            let _ = writeln!(o, "  ... {} more in the report (-o)", report.skipped.len() - LIST);
        }
    }
    if let Some(m) = &report.evaluation {
        let _ = writeln!(
            o,
            "against the labels: precision {:.4}, recall {:.4}, F1 {:.4}, ARI {:.4} ({} true pairs, {} predicted, {} correct)",
            m.precision, m.recall, m.f1, m.ari, m.true_pairs, m.predicted_pairs, m.correct_pairs
        );
    }
    if let Some(t) = &s.timing {
        let _ = writeln!(o, "time: {:.2} s, {:.1} MB/s", t.elapsed_seconds, t.mb_per_second);
    }
    o
}
