//! The human-readable summary of a report.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use super::model::Report;

/// How many clusters, passages and skips the summary lists by name.
const LIST: usize = 10;

/// How many members of a cluster the summary names (the kept one always).
const MEMBERS: usize = 6;

/// Whether `c` must not reach a terminal as it is: control characters (C0
/// such as ESC and newline, DEL, C1), line and paragraph separators, and
/// the bidirectional overrides and isolates that reorder what follows.
fn unprintable(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{2028}' | '\u{2029}' | '\u{061c}' | '\u{200e}' | '\u{200f}')
        || ('\u{202a}'..='\u{202e}').contains(&c)
        || ('\u{2066}'..='\u{2069}').contains(&c)
}

/// `s` safe to print on a terminal: every control character (C0, DEL, C1),
/// line or paragraph separator and bidirectional override or isolate
/// is written as an escape (`\x1b`, `\n`, `\u{202e}`), so an id or a text
/// cannot move the cursor, clear the screen or forge summary lines.
pub fn printable(s: &str) -> std::borrow::Cow<'_, str> {
    if !s.chars().any(unprintable) {
        return std::borrow::Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if unprintable(c) && (c as u32) < 0x100 => {
                let _ = write!(out, "\\x{:02x}", c as u32);
            }
            c if unprintable(c) => {
                let _ = write!(out, "\\u{{{:04x}}}", c as u32);
            }
            c => out.push(c),
        }
    }
    std::borrow::Cow::Owned(out)
}

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

/// The summary as text, ending in a newline. Ids, texts and file names in
/// it are [`printable`]. `report_flag` is the option that writes the full
/// report (`-o` for scan, `--report` for dedup), named where the summary
/// lists only the first items.
pub fn render(report: &Report, report_flag: &str) -> String {
    render_with(report, report_flag, &Shown::default())
}

/// Which passages the summary lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shown {
    /// The most passages listed (`--top`).
    pub top: usize,
    /// Only passages in at least this many documents (`--min-docs`).
    pub min_docs: usize,
}

impl Default for Shown {
    fn default() -> Shown {
        Shown { top: LIST, min_docs: 1 }
    }
}

impl Shown {
    /// Every passage.
    pub fn all() -> Shown {
        Shown { top: usize::MAX, min_docs: 1 }
    }
}

/// Bytes of a passage's text that repeat: every occurrence but the first
/// (what removing all copies but one would save).
pub fn repeated_bytes(p: &crate::report::model::Passage) -> u64 {
    p.occurrences.iter().skip(1).map(|o| u64::from(o.end - o.start)).sum()
}

/// [`render`] listing the passages `shown` asks for: those in at least
/// `min_docs` documents, the `top` that cost most first (bytes that repeat,
/// [`repeated_bytes`]; ties by report order).
pub fn render_with(report: &Report, report_flag: &str, shown: &Shown) -> String {
    let s = &report.stats;
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
    if s.too_short_documents > 0 {
        let _ = writeln!(
            o,
            "  {} documents have no words (empty, only punctuation or symbols): too short to \
             compare, kept",
            s.too_short_documents
        );
    }
    if s.boilerplate_only_documents > 0 {
        let _ = writeln!(
            o,
            "  {} documents are boilerplate only (every shingle in at least {} documents, \
             --ignore-boilerplate): compared with none, in no cluster, kept",
            s.boilerplate_only_documents,
            report.params.ignore_boilerplate.unwrap_or(0)
        );
    }
    let _ = writeln!(
        o,
        "accounting: {} records = {} kept + {} removed as duplicates + {} skipped",
        s.records, s.kept_documents, s.duplicate_documents, s.skipped
    );
    if report.params.method != "none" {
        near_duplicates(report, report_flag, &mut o);
    }
    if let Some(min) = report.params.min_passage_words {
        passages(report, min, report_flag, shown, &mut o);
    }
    if s.duplicate_ids > 0 {
        let _ = writeln!(
            o,
            "warning: {} documents reuse an earlier document's id; ids in the report are ambiguous",
            s.duplicate_ids
        );
    }
    if !report.skipped.is_empty() {
        let kinds: Vec<String> =
            s.skipped_by_reason.iter().map(|(k, n)| format!("{k} {n}")).collect();
        let _ = writeln!(o, "skipped ({}):", kinds.join(", "));
        for k in report.skipped.iter().take(LIST) {
            let _ = writeln!(o, "  {}", printable(&k.to_string()));
        }
        if s.skipped as usize > LIST {
            let _ = writeln!(
                o,
                "  ... {} more (listed in the report up to --max-skips)",
                s.skipped as usize - LIST
            );
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
        let stages: Vec<String> =
            t.stages.iter().map(|st| format!("{} {:.2} s", st.stage, st.seconds)).collect();
        if !stages.is_empty() {
            let _ = writeln!(o, "  by stage: {}", stages.join(", "));
        }
    }
    o
}

/// What the clusters mean, by the report's `cluster` parameter.
pub(crate) fn clustering_note(report: &Report) -> String {
    if report.params.cluster == "leader" {
        return "leaders: every member is a near-duplicate of the kept document".into();
    }
    if report.params.cluster == "star" {
        return "stars: every member is a near-duplicate of the kept document, the one with the \
                most near-duplicates"
            .into();
    }
    let lowest = report
        .clusters
        .iter()
        .flat_map(|c| c.members.iter().filter(|m| m.doc != c.representative))
        .map(|m| m.similarity)
        .fold(f64::INFINITY, f64::min);
    let mut note = "connected components: chains of pairs, a member may be far from the kept \
                    document"
        .to_owned();
    if lowest.is_finite() {
        let _ = write!(note, "; lowest similarity to it {lowest:.2}");
    }
    note
}

fn near_duplicates(report: &Report, report_flag: &str, o: &mut String) {
    let s = &report.stats;
    let p = &report.params;
    let unit = if p.shingle == "chars" { "char" } else { "word" };
    if p.method != "simhash" {
        let _ = writeln!(
            o,
            "near-duplicates: MinHash ({}, {} values), Jaccard >= {}, {} bands x {} rows, {}-{unit} shingles",
            p.minhash_variant, p.num_perm, p.threshold, p.bands, p.rows, p.ngram
        );
        if let Some(c) = &p.s_curve {
            let _ = writeln!(
                o,
                "  a pair at {} becomes a candidate with probability {:.3}{} (0.5 at {:.3}, 0.95 at {:.3})",
                p.threshold,
                c.candidate_probability_at_threshold,
                if c.floor_reached {
                    ""
                } else {
                    ", below the 0.95 that no bands x rows reach here"
                },
                c.similarity_at_p50,
                c.similarity_at_p95
            );
        }
    }
    if let (Some(k), Some(w), Some(t)) = (p.hamming, &p.weighting, p.simhash_tables) {
        let exact = p.verify != "estimate";
        let wanted = crate::simhash::hamming_for_threshold(p.threshold, exact);
        let auto = match (p.hamming_auto == Some(true), exact) {
            (true, _) if wanted > k => format!(
                " (auto: capped at the index's {k}; Jaccard {} asks for {wanted})",
                p.threshold
            ),
            (true, true) => format!(" (auto: 95 % of pairs at Jaccard {} within it)", p.threshold),
            (true, false) => format!(" (auto: expected at Jaccard {})", p.threshold),
            (false, _) => String::new(),
        };
        let decided = if exact {
            format!("; each decided by its exact Jaccard (>= {})", p.threshold)
        } else {
            String::new()
        };
        let _ = writeln!(
            o,
            "near-duplicates: SimHash (64 bits, {w} weights, {}-{unit} shingles), Hamming <= {k}{auto}, {t} tables of {}; {} pairs{decided}",
            p.ngram,
            human_bytes(s.simhash_table_bytes),
            s.simhash_pairs
        );
    }
    let _ = writeln!(
        o,
        "  {} clusters holding {} documents ({:.1} % of documents); {} candidate pairs, {} verified",
        s.clusters,
        s.clustered_documents,
        pct(s.clustered_documents, s.documents),
        s.candidate_pairs,
        s.verified_pairs
    );
    let _ = writeln!(o, "  clusters: {}", clustering_note(report));
    let _ = writeln!(
        o,
        "  dedup keeps {} and removes {} documents ({:.1} % of documents, {} = {:.1} % of bytes)",
        s.kept_documents,
        s.duplicate_documents,
        pct(s.duplicate_documents, s.documents),
        human_bytes(s.duplicate_bytes),
        pct(s.duplicate_bytes, s.bytes)
    );
    if report.clusters.is_empty() {
        return;
    }
    let mut hist: BTreeMap<usize, usize> = BTreeMap::new();
    for c in &report.clusters {
        *hist.entry(c.size).or_default() += 1;
    }
    let h: Vec<String> = hist.iter().map(|(size, n)| format!("{size}: {n}")).collect();
    let _ = writeln!(o, "  cluster sizes (size: count): {}", h.join(", "));
    let _ = writeln!(o, "largest clusters:");
    for c in report.clusters.iter().take(LIST) {
        // The first members, and the kept one wherever it is.
        let mut members: Vec<String> = c
            .members
            .iter()
            .enumerate()
            .filter(|(i, m)| *i < MEMBERS || m.doc == c.representative)
            .map(|(_, m)| {
                if m.doc == c.representative {
                    format!("{} (kept)", printable(&m.doc))
                } else {
                    format!("{} {:.2}", printable(&m.doc), m.similarity)
                }
            })
            .collect();
        if c.members.len() > members.len() {
            members.push(format!("and {} more", c.members.len() - members.len()));
        }
        let _ = writeln!(o, "  #{} ({} docs): {}", c.id, c.size, members.join(", "));
    }
    if report.clusters.len() > LIST {
        let _ = writeln!(
            o,
            "  ... {} more in the report ({report_flag})",
            report.clusters.len() - LIST
        );
    }
}

fn passages(report: &Report, min: usize, report_flag: &str, shown: &Shown, o: &mut String) {
    let s = &report.stats;
    let _ = writeln!(
        o,
        "repeated passages (>= {min} words): {} passages in {} places",
        s.repeated_passages, s.passage_occurrences
    );
    let _ = writeln!(
        o,
        "  {:.1} % of the text repeats earlier text of the same document ({}), {:.1} % repeats an earlier document ({})",
        100.0 * s.repeated_share_within,
        human_bytes(s.repeated_bytes_within),
        100.0 * s.repeated_share_across,
        human_bytes(s.repeated_bytes_across)
    );
    let mut listed: Vec<&crate::report::model::Passage> =
        report.passages.iter().filter(|p| p.documents >= shown.min_docs).collect();
    let eligible = listed.len();
    // Stable: equal costs keep the report's order.
    listed.sort_by_key(|p| std::cmp::Reverse(repeated_bytes(p)));
    listed.truncate(shown.top);
    if !listed.is_empty() {
        let filter = if shown.min_docs > 1 {
            format!(" in at least {} documents", shown.min_docs)
        } else {
            String::new()
        };
        let _ =
            writeln!(o, "  costliest passages{filter} (bytes that repeat: all copies but one):");
    }
    for p in listed.iter().copied() {
        let mut preview: String = p.text.split_whitespace().collect::<Vec<_>>().join(" ");
        if preview.chars().count() > 70 {
            preview = preview.chars().take(70).collect::<String>() + "…";
        }
        let preview = printable(&preview);
        let places: Vec<String> = p
            .occurrences
            .iter()
            .take(4)
            .map(|x| format!("{}:{}-{}", printable(&x.doc), x.start, x.end))
            .collect();
        let more = if p.occurrences.len() > 4 {
            format!(" +{}", p.occurrences.len() - 4)
        } else {
            String::new()
        };
        let _ = writeln!(
            o,
            "  #{} ({} words, {} places in {} docs, {} repeat) \"{preview}\" at {}{more}",
            p.id,
            p.words,
            p.occurrences.len(),
            p.documents,
            human_bytes(repeated_bytes(p)),
            places.join(", ")
        );
    }
    let left = report.passages.len() - listed.len();
    if left > 0 {
        let not_eligible = report.passages.len() - eligible;
        let why = if not_eligible > 0 {
            format!("; {not_eligible} of them in fewer than {} documents", shown.min_docs)
        } else {
            String::new()
        };
        let _ = writeln!(o, "  ... {left} more in the report ({report_flag}){why}");
    }
}
