//! Quality against labelled ground truth: pairwise precision, recall, F1 and
//! the Adjusted Rand Index (Hubert & Arabie 1985) of predicted clusters.
//!
//! Both sides are partitions of the same `n` documents: documents in no
//! predicted cluster are predicted singletons, documents absent from the
//! labels are true singletons. Everything is computed from the contingency
//! table (the sizes of every predicted ∩ true cluster intersection), so the
//! cost is linear in the number of clustered documents, never in pairs.
//!
//! Conventions for the degenerate cases: with no predicted pair, precision is
//! 1 (nothing wrong was claimed); with no true pair, recall is 1; ARI is 1
//! when the two partitions are identical and the formula's denominator is 0
//! (all singletons on both sides, or one cluster on both sides).

use std::collections::{BTreeMap, HashMap};
use std::io::BufRead;
use std::path::Path;

use serde::Serialize;

use crate::error::{Error, Result};

/// Quality metrics of one prediction.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, serde::Deserialize)]
pub struct Metrics {
    /// Documents in the universe.
    pub documents: u64,
    /// Pairs in the same true cluster.
    pub true_pairs: u64,
    /// Pairs in the same predicted cluster.
    pub predicted_pairs: u64,
    /// Pairs in the same cluster on both sides.
    pub correct_pairs: u64,
    /// correct / predicted.
    pub precision: f64,
    /// correct / true.
    pub recall: f64,
    /// Harmonic mean of precision and recall.
    pub f1: f64,
    /// Adjusted Rand Index.
    pub ari: f64,
}

fn pairs(n: u64) -> u64 {
    n * n.saturating_sub(1) / 2
}

/// Evaluates `predicted` clusters (lists of document ids; documents may be
/// missing, then they are singletons) against `truth` (id → label) over a
/// universe of at least `documents` documents (raised to the number of
/// distinct ids seen if that is larger).
pub fn evaluate(
    predicted: &[Vec<String>],
    truth: &HashMap<String, String>,
    documents: u64,
) -> Metrics {
    // Assign every id a predicted cluster index; unclustered ids get none.
    let mut pred_of: HashMap<&str, usize> = HashMap::new();
    for (i, c) in predicted.iter().enumerate() {
        for d in c {
            pred_of.insert(d.as_str(), i);
        }
    }
    // Dense indices for true labels.
    let mut label_index: HashMap<&str, usize> = HashMap::new();
    for l in truth.values() {
        let next = label_index.len();
        label_index.entry(l.as_str()).or_insert(next);
    }
    let mut true_size = vec![0u64; label_index.len()];
    for l in truth.values() {
        true_size[label_index[l.as_str()]] += 1;
    }
    let mut pred_size = vec![0u64; predicted.len()];
    for &i in pred_of.values() {
        pred_size[i] += 1;
    }
    // Intersections: only ids that are in a predicted cluster AND labelled
    // can share a pair on both sides.
    let mut cell: HashMap<(usize, usize), u64> = HashMap::new();
    for (id, &p) in &pred_of {
        if let Some(l) = truth.get(*id) {
            *cell.entry((p, label_index[l.as_str()])).or_default() += 1;
        }
    }
    let mut universe: std::collections::HashSet<&str> = pred_of.keys().copied().collect();
    universe.extend(truth.keys().map(String::as_str));
    let n = documents.max(universe.len() as u64);

    let correct: u64 = cell.values().map(|&c| pairs(c)).sum();
    let predicted_pairs: u64 = pred_size.iter().map(|&c| pairs(c)).sum();
    let true_pairs: u64 = true_size.iter().map(|&c| pairs(c)).sum();
    let precision =
        if predicted_pairs == 0 { 1.0 } else { correct as f64 / predicted_pairs as f64 };
    let recall = if true_pairs == 0 { 1.0 } else { correct as f64 / true_pairs as f64 };
    let f1 = if precision + recall == 0.0 {
        0.0
    } else {
        2.0 * precision * recall / (precision + recall)
    };
    let total = pairs(n) as f64;
    let expected =
        if total == 0.0 { 0.0 } else { predicted_pairs as f64 * true_pairs as f64 / total };
    let max = 0.5 * (predicted_pairs as f64 + true_pairs as f64);
    let ari = if (max - expected).abs() < 1e-12 {
        // Denominator 0: identical trivial partitions (all singletons or one
        // cluster on both sides) agree perfectly; otherwise chance level.
        if correct == predicted_pairs && correct == true_pairs { 1.0 } else { 0.0 }
    } else {
        (correct as f64 - expected) / (max - expected)
    };
    Metrics {
        documents: n,
        true_pairs,
        predicted_pairs,
        correct_pairs: correct,
        precision,
        recall,
        f1,
        ari,
    }
}

impl Metrics {
    /// One metric a line: `precision 0.9731`.
    pub fn render(&self) -> String {
        format!(
            "documents {}\ntrue_pairs {}\npredicted_pairs {}\ncorrect_pairs {}\nprecision {:.4}\nrecall {:.4}\nf1 {:.4}\nARI {:.4}\n",
            self.documents,
            self.true_pairs,
            self.predicted_pairs,
            self.correct_pairs,
            self.precision,
            self.recall,
            self.f1,
            self.ari
        )
    }
}

fn label_string(v: &serde_json::Value) -> Option<String> {
    match v {
        serde_json::Value::String(s) => Some(s.clone()),
        serde_json::Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// Reads labels as JSON Lines `{"id": ..., "cluster": ...}` (string or
/// number values). Any bad line is an error naming file and line: labels
/// must be clean for the metrics to mean anything.
pub fn read_labels(path: &Path) -> Result<HashMap<String, String>> {
    let file = crate::source::open_decompressed(path).map_err(|e| Error::io(path, e))?;
    let mut out = HashMap::new();
    for (i, line) in file.lines().enumerate() {
        let line = line.map_err(|e| Error::io(path, e))?;
        if line.trim().is_empty() {
            continue;
        }
        let bad = |m: &str| Error::BadFile {
            path: path.to_path_buf(),
            line: Some(i as u64 + 1),
            message: m.to_owned(),
        };
        let v: serde_json::Value =
            serde_json::from_str(&line).map_err(|e| bad(&format!("malformed JSON: {e}")))?;
        let id = v.get("id").and_then(label_string).ok_or_else(|| bad("no \"id\""))?;
        let cluster =
            v.get("cluster").and_then(label_string).ok_or_else(|| bad("no \"cluster\""))?;
        if out.insert(id.clone(), cluster).is_some() {
            return Err(bad(&format!("id {id:?} labelled twice")));
        }
    }
    Ok(out)
}

/// Reads the clusters and document count of a report written by neardup
/// (JSON or JSON Lines). Anything else is refused: a JSON document must be
/// an object with `version`, `stats` and `clusters`, a JSON Lines report
/// must start with its `header` line (so a collection passed by mistake is
/// an error, not a score of nothing).
pub fn read_report_clusters(path: &Path) -> Result<(Vec<Vec<String>>, u64)> {
    let r = read_report_ids(path)?;
    Ok((r.clusters, r.documents))
}

/// The document ids a report names: its clusters' members, and every
/// other document it names (passage places), with its document count.
#[derive(Debug, Clone, Default)]
pub struct ReportIds {
    /// Clusters as lists of member ids.
    pub clusters: Vec<Vec<String>>,
    /// `stats.documents`.
    pub documents: u64,
    /// Ids named elsewhere in the report (passages), sorted, deduplicated.
    pub others: Vec<String>,
}

impl ReportIds {
    /// The ids named in `report` (for `scan --truth`).
    pub fn of(report: &crate::report::Report) -> ReportIds {
        let mut others: Vec<String> = report
            .passages
            .iter()
            .flat_map(|p| p.occurrences.iter().map(|o| o.doc.clone()))
            .collect();
        others.sort_unstable();
        others.dedup();
        ReportIds {
            clusters: report
                .clusters
                .iter()
                .map(|c| c.members.iter().map(|m| m.doc.clone()).collect())
                .collect(),
            documents: report.stats.documents,
            others,
        }
    }
}

/// See [`read_report_clusters`].
pub fn read_report_ids(path: &Path) -> Result<ReportIds> {
    let text = crate::source::open_decompressed(path)
        .and_then(std::io::read_to_string)
        .map_err(|e| Error::io(path, e))?;
    let bad = |m: String| Error::BadFile {
        path: path.to_path_buf(),
        line: None,
        message: format!(
            "not a neardup report: {m} (give the report written by `neardup scan -o`, not the \
             collection)"
        ),
    };
    let members = |c: &serde_json::Value| -> Result<Vec<String>> {
        c.get("members")
            .and_then(|m| m.as_array())
            .ok_or_else(|| bad("a cluster has no members".into()))?
            .iter()
            .map(|m| {
                m.get("doc")
                    .and_then(|d| d.as_str())
                    .map(str::to_owned)
                    .ok_or_else(|| bad("a member has no doc".into()))
            })
            .collect()
    };
    let documents = |stats: Option<&serde_json::Value>| {
        stats.and_then(|s| s.get("documents")).and_then(serde_json::Value::as_u64)
    };
    let places = |p: &serde_json::Value, out: &mut Vec<String>| {
        for o in p.get("occurrences").and_then(|o| o.as_array()).into_iter().flatten() {
            if let Some(d) = o.get("doc").and_then(|d| d.as_str()) {
                out.push(d.to_owned());
            }
        }
    };
    let is_report = |v: &serde_json::Value| {
        v.get("version").is_some_and(serde_json::Value::is_u64)
            && documents(v.get("stats")).is_some()
    };
    let mut out = ReportIds::default();
    if let Ok(v) = serde_json::from_str::<serde_json::Value>(&text) {
        if !is_report(&v) {
            return Err(bad("a JSON object with version, stats and clusters expected".into()));
        }
        out.clusters = v
            .get("clusters")
            .and_then(|c| c.as_array())
            .ok_or_else(|| bad("no clusters array".into()))?
            .iter()
            .map(members)
            .collect::<Result<Vec<_>>>()?;
        for p in v.get("passages").and_then(|p| p.as_array()).into_iter().flatten() {
            places(p, &mut out.others);
        }
        out.documents = documents(v.get("stats")).unwrap_or(0);
    } else {
        let mut header = false;
        for (i, line) in text.lines().enumerate().filter(|(_, l)| !l.trim().is_empty()) {
            let v: serde_json::Value =
                serde_json::from_str(line).map_err(|e| bad(format!("line {}: {e}", i + 1)))?;
            match v.get("type").and_then(|t| t.as_str()) {
                Some("header") if is_report(&v) => {
                    header = true;
                    out.documents = documents(v.get("stats")).unwrap_or(0);
                }
                _ if !header => {
                    return Err(bad(format!(
                        "line {}: a JSON Lines report starts with its header line",
                        i + 1
                    )));
                }
                Some("cluster") => out.clusters.push(members(&v)?),
                Some("passage") => places(&v, &mut out.others),
                _ => {}
            }
        }
        if !header {
            return Err(bad("empty".into()));
        }
    }
    out.others.sort_unstable();
    out.others.dedup();
    Ok(out)
}

/// How well labels and a report cover each other.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Coverage {
    /// Ids in the report's clusters without a label (scored as singletons).
    pub unlabelled: u64,
    /// The first few of them.
    pub unlabelled_examples: Vec<String>,
    /// Labelled ids that cannot all be documents of the report: the report
    /// names only clustered documents (and passage places), so this is the
    /// least number there must be: labelled ids it does not name, less the
    /// documents it does not name.
    pub labels_not_in_report: u64,
    /// Labelled ids.
    pub labels: u64,
}

/// Checks labels against a report's ids (see [`Coverage`]).
pub fn coverage(report: &ReportIds, truth: &HashMap<String, String>) -> Coverage {
    let mut named: std::collections::HashSet<&str> =
        report.clusters.iter().flatten().map(String::as_str).collect();
    let mut unlabelled: Vec<&str> =
        named.iter().copied().filter(|id| !truth.contains_key(*id)).collect();
    unlabelled.sort_unstable();
    named.extend(report.others.iter().map(String::as_str));
    let labelled_named = truth.keys().filter(|id| named.contains(id.as_str())).count() as u64;
    let unnamed_labels = truth.len() as u64 - labelled_named;
    let unnamed_documents = report.documents.saturating_sub(named.len() as u64);
    Coverage {
        unlabelled: unlabelled.len() as u64,
        unlabelled_examples: unlabelled.iter().take(3).map(|s| (*s).to_owned()).collect(),
        labels_not_in_report: unnamed_labels.saturating_sub(unnamed_documents),
        labels: truth.len() as u64,
    }
}

impl Coverage {
    /// Warnings for people, one a line (none when labels and report agree).
    pub fn warnings(&self, documents: u64) -> Vec<String> {
        let mut out = Vec::new();
        if self.unlabelled > 0 {
            out.push(format!(
                "{} documents in the report's clusters have no label (scored as singletons), \
                 e.g. {:?}",
                self.unlabelled,
                self.unlabelled_examples.join("\", \"")
            ));
        }
        if self.labels_not_in_report > 0 {
            out.push(format!(
                "at least {} labelled ids are not documents of the report ({} labels, {} \
                 documents): are the labels for this collection?",
                self.labels_not_in_report, self.labels, documents
            ));
        }
        out
    }
}

/// Labels grouped into clusters (for tests and tools): label → sorted ids.
pub fn clusters_of(truth: &HashMap<String, String>) -> BTreeMap<&str, Vec<&str>> {
    let mut out: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for (id, l) in truth {
        out.entry(l.as_str()).or_default().push(id.as_str());
    }
    for v in out.values_mut() {
        v.sort_unstable();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn truth(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs.iter().map(|(a, b)| (a.to_string(), b.to_string())).collect()
    }
    fn pred(c: &[&[&str]]) -> Vec<Vec<String>> {
        c.iter().map(|c| c.iter().map(|s| s.to_string()).collect()).collect()
    }
    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-9
    }

    /// Hand-worked: truth {a,b,c} {d,e} {f}; predicted {a,b} {c,d} {e} {f}.
    /// True pairs: ab ac bc de = 4. Predicted pairs: ab cd = 2. Correct: ab = 1.
    /// P = 1/2, R = 1/4, F1 = 1/3. n = 6, C(6,2) = 15; expected = 2·4/15 = 8/15;
    /// max = (2+4)/2 = 3; ARI = (1 − 8/15) / (3 − 8/15) = (7/15)/(37/15) = 7/37.
    #[test]
    fn hand_computed_example() {
        let t = truth(&[("a", "1"), ("b", "1"), ("c", "1"), ("d", "2"), ("e", "2"), ("f", "3")]);
        let m = evaluate(&pred(&[&["a", "b"], &["c", "d"]]), &t, 6);
        assert_eq!((m.true_pairs, m.predicted_pairs, m.correct_pairs), (4, 2, 1));
        assert!(close(m.precision, 0.5) && close(m.recall, 0.25));
        assert!(close(m.f1, 1.0 / 3.0));
        assert!(close(m.ari, 7.0 / 37.0), "{}", m.ari);
    }

    #[test]
    fn perfect_and_degenerate_cases() {
        let t = truth(&[("a", "1"), ("b", "1"), ("c", "2"), ("d", "2")]);
        let m = evaluate(&pred(&[&["a", "b"], &["c", "d"]]), &t, 4);
        assert!(close(m.precision, 1.0) && close(m.recall, 1.0) && close(m.ari, 1.0));
        // All singletons on both sides.
        let s = truth(&[("a", "1"), ("b", "2"), ("c", "3")]);
        let m = evaluate(&[], &s, 3);
        assert_eq!(m.predicted_pairs, 0);
        assert!(close(m.precision, 1.0) && close(m.recall, 1.0) && close(m.ari, 1.0));
        // One big predicted cluster against all-singleton truth: P = 0, ARI = 0.
        let m = evaluate(&pred(&[&["a", "b", "c"]]), &s, 3);
        assert!(close(m.precision, 0.0) && close(m.recall, 1.0) && close(m.f1, 0.0));
        assert!(close(m.ari, 0.0), "{}", m.ari);
        // One big cluster on both sides.
        let one = truth(&[("a", "x"), ("b", "x"), ("c", "x")]);
        let m = evaluate(&pred(&[&["a", "b", "c"]]), &one, 3);
        assert!(close(m.ari, 1.0) && close(m.f1, 1.0));
        // Nothing predicted against a real cluster: R = 0, ARI = 0.
        let m = evaluate(&[], &one, 3);
        assert!(close(m.recall, 0.0) && close(m.ari, 0.0));
    }

    /// Hand-worked: truth {a,b} {c,d}, predicted {a,b,c}; extra unlabelled
    /// documents raise n to 10. Pairs: true 2, predicted 3, correct 1.
    /// expected = 3·2/45 = 2/15; max = 2.5; ARI = (1 − 2/15)/(2.5 − 2/15) = 26/71.
    #[test]
    fn universe_includes_unlabelled_documents() {
        let t = truth(&[("a", "1"), ("b", "1"), ("c", "2"), ("d", "2")]);
        let m = evaluate(&pred(&[&["a", "b", "c"]]), &t, 10);
        assert_eq!(m.documents, 10);
        assert!(close(m.ari, 26.0 / 71.0), "{}", m.ari);
    }
}
