//! The library's seams used from outside: a `Source` of one's own, a
//! similarity method of one's own, and the errors the read planner's
//! guarantees rest on (a read-once source read twice; a source that changes
//! between reads).

use std::sync::atomic::{AtomicUsize, Ordering};

use neardup::error::{Error, Skip};
use neardup::ids::DocId;
use neardup::method::{
    Column, MethodPairs, PairInput, ScoredPair, Shingled, SimilarityMethod, column, column_mut,
};
use neardup::progress::NoProgress;
use neardup::report::model::{Pair, Stats};
use neardup::source::{Input, RawKind, RawRecord, Source, SourceOptions};
use neardup::{Config, Method, Options, scan_source, scan_with_methods};

use crate::util::data;

/// JSON lines held in memory; `once` marks it readable once, `shrink`
/// drops the last record from the second pass on.
struct Lines {
    lines: Vec<String>,
    options: SourceOptions,
    once: bool,
    shrink: bool,
    passes: AtomicUsize,
}

impl Lines {
    fn new(lines: Vec<String>) -> Lines {
        Lines {
            lines,
            options: SourceOptions::default(),
            once: false,
            shrink: false,
            passes: 0.into(),
        }
    }
}

impl Source for Lines {
    fn records(&self) -> Box<dyn Iterator<Item = Result<RawRecord, Skip>> + '_> {
        let pass = self.passes.fetch_add(1, Ordering::SeqCst);
        let n = if self.shrink && pass > 0 { self.lines.len() - 1 } else { self.lines.len() };
        Box::new(self.lines[..n].iter().enumerate().map(|(i, l)| {
            Ok(RawRecord {
                source: "memory".into(),
                line: Some(i as u64 + 1),
                kind: RawKind::JsonLine,
                bytes: l.clone().into_bytes(),
            })
        }))
    }
    fn options(&self) -> &SourceOptions {
        &self.options
    }
    fn read_once(&self) -> Vec<String> {
        if self.once { vec!["memory".into()] } else { Vec::new() }
    }
}

fn help_nl() -> Vec<String> {
    std::fs::read_to_string(data("labelled/help_nl.jsonl"))
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect()
}

fn config(edit: impl FnOnce(&mut Options)) -> Config {
    let mut o = Options::new(vec![Input::Path(data("labelled/help_nl.jsonl"))]);
    o.timing = false;
    edit(&mut o);
    o.build().unwrap()
}

fn json(r: &neardup::report::Report) -> String {
    serde_json::to_string(r).unwrap()
}

/// A source of one's own gives the same report as the file it holds.
#[test]
fn a_source_of_ones_own_gives_the_files_report() {
    let cfg = config(|_| {});
    let from_file = neardup::scan(&cfg, &NoProgress).unwrap();
    let source = Lines::new(help_nl());
    let from_memory = scan_source(&cfg, &source, &NoProgress).unwrap();
    // Every pass the plan makes (sketch, one fused re-read, passage texts).
    assert_eq!(source.passes.load(Ordering::SeqCst), 3);
    let (a, b) = (json(&from_file.report), json(&from_memory.report));
    // Skips and ids would name the file; this file has no skips and ids of
    // its own, so the reports are the same.
    assert_eq!(a, b);
}

/// A read-once source is refused when the plan reads more than once, and
/// read when it reads once.
#[test]
fn a_read_once_source_is_read_once_or_refused() {
    let mut source = Lines::new(help_nl());
    source.once = true;
    let Err(Error::ReadOnce { name }) = scan_source(&config(|_| {}), &source, &NoProgress) else {
        panic!("a read-once source was read twice")
    };
    assert_eq!(name, "memory");
    assert_eq!(source.passes.load(Ordering::SeqCst), 0, "refused before reading");
    let one_read = config(|o| (o.passages, o.exact_verify) = (None, false));
    let out = scan_source(&one_read, &source, &NoProgress).unwrap();
    assert_eq!(source.passes.load(Ordering::SeqCst), 1);
    assert_eq!(out.report.stats.documents, 294);
}

/// A source that loses a record between reads stops the run, naming the
/// pass that noticed and both counts.
#[test]
fn a_source_that_changes_between_reads_is_an_error() {
    let mut source = Lines::new(help_nl());
    source.shrink = true;
    let err = scan_source(&config(|_| {}), &source, &NoProgress).unwrap_err();
    let Error::InputChanged { purpose, before, after } = err else { panic!("{err}") };
    assert_eq!((before, after), (294, 293));
    assert!(["exact verification", "passages"].contains(&purpose), "{purpose}");
}

/// A method of one's own: documents with the same shingle set, scored 1.
struct SameShingles;

impl SimilarityMethod for SameShingles {
    fn name(&self) -> &'static str {
        "same-shingles"
    }
    fn column(&self) -> Box<dyn Column> {
        Box::new(Vec::<Vec<u64>>::new())
    }
    fn sketch(&self, doc: Shingled<'_>, _: &mut Vec<u64>, out: &mut dyn Column) {
        let mut set = doc.shingles.to_vec();
        set.sort_unstable();
        set.dedup();
        column_mut::<Vec<u64>>(out).push(set);
    }
    fn pairs<'m>(
        &'m self,
        input: &PairInput<'_>,
        _: &mut Stats,
    ) -> neardup::Result<MethodPairs<'m>> {
        let sets: &[Vec<u64>] = column(input.sketches);
        let mut pairs = Vec::new();
        for b in 0..sets.len() {
            for a in 0..b {
                if sets[a] == sets[b] {
                    pairs.push(ScoredPair { a: DocId(a as u32), b: DocId(b as u32), score: 1.0 });
                }
            }
        }
        Ok(MethodPairs::Done(pairs))
    }
    fn similarity(&self, c: &dyn Column, a: DocId, b: DocId) -> f64 {
        let sets: &[Vec<u64>] = column(c);
        if sets[a.index()] == sets[b.index()] { 1.0 } else { 0.0 }
    }
    fn describe(&self, _: &dyn Column, _: DocId, _: DocId, score: f64, pair: &mut Pair) {
        pair.jaccard = Some(score);
    }
}

#[test]
fn a_method_of_ones_own_clusters_what_it_finds() {
    let cfg = config(|o| (o.method, o.passages) = (Method::MinHash, None));
    let methods: Vec<Box<dyn SimilarityMethod>> = vec![Box::new(SameShingles)];
    let source = Lines::new(help_nl());
    let out = scan_with_methods(&cfg, &source, &methods, &NoProgress).unwrap();
    // Worked out here from the texts: groups of documents with the same
    // words (the default tokenizer: lowercase words), whose 5-word shingle
    // sets are then equal too.
    let input = [Input::Path(data("labelled/help_nl.jsonl"))];
    let (docs, _) = neardup::stage::read::read_all(&input, &SourceOptions::default());
    let mut groups: std::collections::BTreeMap<Vec<String>, Vec<String>> = Default::default();
    for d in &docs {
        let words: Vec<String> = d
            .text
            .split(|c: char| !c.is_alphanumeric())
            .filter(|w| !w.is_empty())
            .map(str::to_lowercase)
            .collect();
        groups.entry(words).or_default().push(d.id.clone());
    }
    let mut expected: Vec<Vec<String>> = groups.into_values().filter(|g| g.len() > 1).collect();
    expected.sort();
    let mut found: Vec<Vec<String>> = out
        .report
        .clusters
        .iter()
        .map(|c| {
            assert!(c.members.iter().all(|m| m.similarity == 1.0));
            c.members.iter().map(|m| m.doc.clone()).collect()
        })
        .collect();
    found.sort();
    assert!(!expected.is_empty(), "the collection holds exact copies");
    assert_eq!(found, expected);
}

/// `stats.timing.stages`: every stage of the run in the order it ran (the
/// plan's reads among them), adding up to the run's time.
#[test]
fn timing_gives_each_stages_time() {
    let cfg = {
        let mut o = Options::new(vec![Input::Path(data("labelled/help_nl.jsonl"))]);
        o.timing = true;
        o.build().unwrap()
    };
    let out = neardup::scan(&cfg, &NoProgress).unwrap();
    let t = out.report.stats.timing.expect("timing on");
    let names: Vec<&str> = t.stages.iter().map(|s| s.stage.as_str()).collect();
    assert_eq!(
        names,
        [
            "setup",
            "read",
            "index",
            "passages",
            "exact verification and passages",
            "cluster",
            "passage groups",
            "passage texts"
        ]
    );
    let sum: f64 = t.stages.iter().map(|s| s.seconds).sum();
    assert!(t.stages.iter().all(|s| s.seconds >= 0.0));
    // The stages cover the run: from just before its clock starts to just
    // after it stops (rounding to 0.1 ms per stage).
    assert!(sum + 0.001 >= t.elapsed_seconds && sum <= t.elapsed_seconds + 0.5, "{sum} {t:?}");
}
