//! A whole run, wired from the stage drivers ([`crate::stage`]): the
//! sketches of the first read, the near-duplicate pairs of every method,
//! clusters and the report, and the passages.
//!
//! Determinism: batches are processed with indexed parallel iterators that
//! keep input order, candidate pairs are sorted, and union-find output is
//! sorted, so the report is the same byte for byte on any thread count.

use std::collections::BTreeMap;
use std::time::Instant;

use bitvec::vec::BitVec;

use crate::config::Config;
use crate::error::Result;
use crate::ids::Span;
use crate::method::{self, SimilarityMethod};
use crate::plan::{Later, Pass, ReadPlan};
use crate::progress::Progress;
use crate::report::model::{self, Report, Timing};
use crate::source::Source;
use crate::stage::read::{self, Reread};
use crate::stage::{candidates, files, passages, report, sketch};

pub use crate::stage::passages::PASSAGE_TEXT_MAX;

/// The result of [`scan`]: the report, and which input records a dedup keeps.
#[derive(Debug)]
pub struct Outcome {
    /// The report.
    pub report: Report,
    /// One bit per input record (in reading order, skips included): set if a
    /// dedup writes it.
    pub keep_record: BitVec,
    /// Per input record: byte spans of passages that repeat earlier text of
    /// the same document (what `--strip-repeats` removes), sorted.
    pub repeats: BTreeMap<usize, Vec<Span>>,
}

/// Runs a scan of `cfg`'s inputs: near-duplicate clusters, passages and
/// the report. Inputs that can be read only once must have been saved
/// first when the run reads more than once ([`crate::plan::prepare`]).
pub fn scan(cfg: &Config, progress: &dyn Progress) -> Result<Outcome> {
    crate::source::check_inputs(&cfg.inputs)?;
    scan_source(cfg, &cfg.source(), progress)
}

/// [`scan`] over any [`Source`] (`cfg.inputs` and `cfg.source` are not
/// used: the source says what it reads and how it parses; the report's
/// field names are the source's).
pub fn scan_source(cfg: &Config, source: &dyn Source, progress: &dyn Progress) -> Result<Outcome> {
    scan_with_methods(cfg, source, &method::registered(cfg), progress)
}

/// [`scan_source`] with the similarity methods given (for a method of a
/// library user's own: see [`crate::method::SimilarityMethod`]) instead of
/// those `cfg.method` registers. Pairs are merged and reported in the
/// order of `methods`; the report's `params.method` still names
/// `cfg.method`.
pub fn scan_with_methods(
    cfg: &Config,
    source: &dyn Source,
    methods: &[Box<dyn SimilarityMethod>],
    progress: &dyn Progress,
) -> Result<Outcome> {
    let clock = StageClock::new(progress);
    let mut outcome = run(cfg, source, methods, &clock)?;
    if let Some(t) = &mut outcome.report.stats.timing {
        t.stages = clock.stages();
    }
    Ok(outcome)
}

/// Progress that also clocks each stage (for `stats.timing.stages`) and
/// passes everything on.
struct StageClock<'a> {
    inner: &'a dyn Progress,
    /// Stage names with their start.
    starts: std::sync::Mutex<Vec<(String, Instant)>>,
    start: Instant,
}

impl<'a> StageClock<'a> {
    fn new(inner: &'a dyn Progress) -> StageClock<'a> {
        StageClock { inner, starts: std::sync::Mutex::new(Vec::new()), start: Instant::now() }
    }

    /// Each stage's wall time, to the start of the next (the last: to now).
    fn stages(&self) -> Vec<model::StageTime> {
        let starts = self.starts.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let now = Instant::now();
        let mut out = Vec::with_capacity(starts.len() + 1);
        // Before the first stage: planning, the thread pool.
        let first = starts.first().map_or(now, |s| s.1);
        let setup = first.duration_since(self.start).as_secs_f64();
        out.push(model::StageTime { stage: "setup".into(), seconds: model::round4(setup) });
        for (i, (name, at)) in starts.iter().enumerate() {
            let end = starts.get(i + 1).map_or(now, |s| s.1);
            let seconds = model::round4(end.duration_since(*at).as_secs_f64());
            out.push(model::StageTime { stage: name.clone(), seconds });
        }
        out
    }
}

impl Progress for StageClock<'_> {
    fn stage(&self, name: &str) {
        self.starts
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .push((name.to_owned(), Instant::now()));
        self.inner.stage(name);
    }
    fn advance(&self, docs: u64, bytes: u64) {
        self.inner.advance(docs, bytes);
    }
    fn work(&self, done: u64, total: Option<u64>, unit: &str) {
        self.inner.work(done, total, unit);
    }
    fn finish(&self) {
        self.inner.finish();
    }
}

/// The stages of a scan, in order (see [`scan_with_methods`]).
fn run(
    cfg: &Config,
    source: &dyn Source,
    methods: &[Box<dyn SimilarityMethod>],
    progress: &dyn Progress,
) -> Result<Outcome> {
    let plan = ReadPlan::of_methods(cfg, methods, Later::default());
    if plan.reads().len() > 1 {
        read::refuse_read_once(source)?;
    }
    let start = Instant::now();
    let pool = cfg.pool()?;

    // The reads follow the plan.
    let sketch::Frequencies { df, boilerplate } = if plan.has(Pass::DocumentFrequencies) {
        progress.stage("document frequencies");
        let want_df = methods.iter().any(|m| m.needs_document_frequencies());
        sketch::document_frequencies(cfg, source, &pool, progress, want_df)?
    } else {
        sketch::Frequencies { df: None, boilerplate: None }
    };
    let mut sketches = sketch::sketch_all(
        cfg,
        source,
        methods,
        df.as_ref(),
        boilerplate.as_ref(),
        &pool,
        progress,
    )?;
    drop(df);
    let mut stats = std::mem::take(&mut sketches.stats);
    if let Some(dir) = &cfg.save_stages {
        for (m, column) in methods.iter().zip(&sketches.by_method) {
            m.save_sketches(&**column, dir, cfg)?;
        }
        if cfg.passages.is_some() {
            files::save_fingerprints(cfg, dir, &sketches.docs)?;
        }
    }

    progress.stage("index");
    let mut pending = pool.install(|| candidates::find(cfg, methods, &sketches, &mut stats))?;
    let mut passages = cfg
        .passages
        .as_ref()
        .map(|popts| pool.install(|| passages::prepare(popts, &mut sketches, progress)));
    // The exact check and the passage re-read: one read where the plan
    // fuses them, else one each.
    let fused = plan.fused(Pass::ExactCheck, Pass::Passages);
    {
        let mut checks = pending.passes(boilerplate.as_ref());
        let mut passage = passages.as_mut().map(|p| p.pass());
        let mut first: Vec<&mut dyn Reread> =
            checks.iter_mut().map(|p| p as &mut dyn Reread).collect();
        let mut second: Vec<&mut dyn Reread> = Vec::new();
        if let Some(p) = passage.as_mut() {
            if fused { first.push(p) } else { second.push(p) }
        }
        // Stages are named after the plan's reads, whatever has pairs.
        let (one, two) = if fused {
            ("exact verification and passages", "")
        } else if plan.has(Pass::ExactCheck) {
            ("exact verification", "passages: re-read")
        } else {
            ("", "passages: re-read")
        };
        let record_doc = &sketches.record_doc;
        pool.install(|| read::reread(cfg, source, record_doc, one, progress, &mut first))?;
        pool.install(|| read::reread(cfg, source, record_doc, two, progress, &mut second))?;
    }
    let found = pool.install(|| pending.finish(cfg, methods, &mut stats))?;
    progress.stage("cluster");
    let (clusters, removed) = report::clusters(cfg, methods, &sketches, &found, &mut stats);
    drop(found);

    let (mut passages_found, mut repeats) = (Vec::new(), BTreeMap::new());
    if let Some(p) = passages {
        let found = pool.install(|| p.finish(cfg, source, &sketches, progress, &mut stats))?;
        (passages_found, repeats) = (found.passages, found.repeats);
    }
    if cfg.timing {
        let secs = start.elapsed().as_secs_f64();
        stats.timing = Some(Timing {
            elapsed_seconds: model::round4(secs),
            mb_per_second: model::round4(stats.bytes as f64 / 1e6 / secs.max(1e-9)),
            stages: Vec::new(), // filled by the caller's clock
        });
    }
    let keep_record: BitVec = sketches
        .record_doc
        .iter()
        .zip(sketches.no_words.iter())
        .map(|(d, no_words)| *no_words || d.is_some_and(|d| !removed[d.index()]))
        .collect();
    progress.finish();
    Ok(Outcome {
        report: Report {
            version: model::REPORT_VERSION,
            params: report::params(cfg, source.options(), sketches.docs.len()),
            stats,
            clusters,
            passages: passages_found,
            skipped: std::mem::take(&mut sketches.skipped),
            boilerplate_only: sketches
                .docs
                .iter()
                .filter(|d| d.boilerplate_only)
                .map(|d| d.id.clone())
                .collect(),
            evaluation: None,
        },
        keep_record,
        repeats,
    })
}
