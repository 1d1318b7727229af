//! The read planner: the one place that knows how often a run reads its
//! input, and so the one place that decides when inputs that can be read
//! only once (stdin, pipes, process substitutions) are saved to temporary
//! files first.
//!
//! Each stage declares its reads: the sketch stage reads every record once;
//! a method may ask for a read before it ([`SimilarityMethod::needs_document_frequencies`])
//! and for a re-read of some documents ([`SimilarityMethod::rereads`]);
//! passages re-read the documents in a chain and then the documents of
//! each passage's first occurrence; and the caller may read again after
//! the scan ([`Later`]: a dedup write, the texts of an HTML page). The
//! plan lists the reads in order, fusing passes that can share one
//! ([`ReadPlan::reads`]); a pass that is not needed at run time (no pair to
//! check, no passage) reads nothing.
//!
//! [`SimilarityMethod::needs_document_frequencies`]: crate::method::SimilarityMethod::needs_document_frequencies
//! [`SimilarityMethod::rereads`]: crate::method::SimilarityMethod::rereads

use crate::config::Config;
use crate::error::{Error, Result};
use crate::method::SimilarityMethod;
use crate::source::Input;

/// Reads the caller makes after the scan.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Later {
    /// A dedup write (every record again).
    pub dedup: bool,
    /// The texts of some documents (an HTML page).
    pub texts: bool,
}

/// One pass over the input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pass {
    /// Document frequencies of shingles, before sketching (SimHash tf-idf,
    /// `--ignore-boilerplate`).
    DocumentFrequencies,
    /// The first read: every record parsed and sketched.
    Sketch,
    /// The documents of pairs near the threshold, for their exact
    /// similarity (MinHash exact verification).
    ExactCheck,
    /// The documents that take part in a passage chain.
    Passages,
    /// The documents holding each passage's first occurrence.
    PassageTexts,
    /// Every record, written by a dedup.
    Dedup,
    /// The documents an HTML page shows.
    Texts,
}

/// The reads of a run, in order, each serving one or more passes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadPlan {
    reads: Vec<Vec<Pass>>,
}

impl ReadPlan {
    /// The passes `cfg` makes, then those of `later`, fused into reads.
    ///
    /// Fused: MinHash's exact check and the passage re-read both need some
    /// documents again after the sketch read and neither needs the other's
    /// result, so they share one read. The other passes each get a read of
    /// their own: the sketch needs the document frequencies, the passage
    /// texts need the passages, and the reads after the scan (dedup, page
    /// texts) are the caller's, made one after the other.
    pub fn of(cfg: &Config, later: Later) -> ReadPlan {
        ReadPlan::of_methods(cfg, &crate::method::registered(cfg), later)
    }

    /// [`ReadPlan::of`] with the methods given instead of those
    /// `cfg.method` registers.
    pub fn of_methods(
        cfg: &Config,
        methods: &[Box<dyn SimilarityMethod>],
        later: Later,
    ) -> ReadPlan {
        let mut reads = Vec::new();
        let boilerplate = cfg.ignore_boilerplate.is_some() && !methods.is_empty();
        if boilerplate || methods.iter().any(|m| m.needs_document_frequencies()) {
            reads.push(vec![Pass::DocumentFrequencies]);
        }
        reads.push(vec![Pass::Sketch]);
        let mut again = Vec::new();
        if methods.iter().any(|m| m.rereads()) {
            again.push(Pass::ExactCheck);
        }
        if cfg.passages.is_some() {
            again.push(Pass::Passages);
        }
        if !again.is_empty() {
            reads.push(again);
        }
        if cfg.passages.is_some() {
            reads.push(vec![Pass::PassageTexts]);
        }
        if later.dedup {
            reads.push(vec![Pass::Dedup]);
        }
        if later.texts {
            reads.push(vec![Pass::Texts]);
        }
        ReadPlan { reads }
    }

    /// The reads, each with the passes it serves.
    pub fn reads(&self) -> &[Vec<Pass>] {
        &self.reads
    }

    /// Whether the plan makes pass `p`.
    pub fn has(&self, p: Pass) -> bool {
        self.reads.iter().any(|r| r.contains(&p))
    }

    /// Whether passes `a` and `b` share one read.
    pub fn fused(&self, a: Pass, b: Pass) -> bool {
        self.reads.iter().any(|r| r.contains(&a) && r.contains(&b))
    }
}

/// A run made ready to read its input as often as its plan says. Keep it
/// for as long as the run reads: the saved copies of streams are removed
/// when it is dropped.
#[derive(Debug)]
pub struct Prepared {
    config: Config,
    plan: ReadPlan,
    _spools: Vec<Spool>,
}

impl Prepared {
    /// The configuration to run: streams replaced by their saved copies.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// The reads it makes.
    pub fn plan(&self) -> &ReadPlan {
        &self.plan
    }
}

/// A stream input saved to a temporary file, removed when this is dropped.
#[derive(Debug)]
struct Spool {
    // Removed first, then unregistered (fields drop in this order).
    _path: tempfile::TempPath,
    _registered: crate::tempfiles::Registered,
}

/// Plans the reads of `cfg` and `later` and, when there is more than one,
/// saves the inputs that can be read only once ([`Input::is_stream`]) to
/// temporary files, which live as long as the returned value. Lines longer
/// than the record limit are cut just past it (they are skipped all the
/// same), so a stream that never ends a line does not fill the disk.
pub fn prepare(cfg: Config, later: Later) -> Result<Prepared> {
    let plan = ReadPlan::of(&cfg, later);
    if plan.reads().len() <= 1 || !cfg.inputs.iter().any(Input::is_stream) {
        return Ok(Prepared { config: cfg, plan, _spools: Vec::new() });
    }
    let mut spools = Vec::new();
    let mut inputs = cfg.inputs.clone();
    for input in &mut inputs {
        if !input.is_stream() {
            continue;
        }
        let name = match input {
            Input::Path(p) => p.display().to_string(),
            _ => "-".to_owned(),
        };
        let tmp = tempfile::Builder::new()
            .prefix(".neardup-")
            .suffix(".tmp")
            .tempfile()
            .map_err(|e| Error::io(std::env::temp_dir(), e))?;
        let registered = crate::tempfiles::register(tmp.path());
        let save_err = |source| Error::Spool { name: name.clone(), source };
        let mut w = std::io::BufWriter::with_capacity(1 << 20, tmp);
        let limit = cfg.source.max_record_bytes;
        match input {
            Input::Path(p) => {
                let mut r = std::fs::File::open(&*p).map_err(|e| Error::io(&*p, e))?;
                crate::source::spool(&name, &mut r, &mut w, limit)
            }
            _ => crate::source::spool(&name, &mut std::io::stdin().lock(), &mut w, limit),
        }
        .map_err(save_err)?;
        let tmp = w.into_inner().map_err(|e| save_err(e.into_error()))?;
        let path = tmp.into_temp_path();
        *input = Input::Spooled { name, path: path.to_path_buf() };
        spools.push(Spool { _path: path, _registered: registered });
    }
    Ok(Prepared { config: cfg.with_inputs(inputs), plan, _spools: spools })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{Method, Options};
    use crate::simhash::Weighting;

    fn plan(edit: impl FnOnce(&mut Options), later: Later) -> Vec<Vec<Pass>> {
        let mut o = Options::new(vec![Input::Stdin]);
        edit(&mut o);
        ReadPlan::of(&o.build().unwrap(), later).reads().to_vec()
    }

    /// Each stage's reads, as the module doc lists them, fused where
    /// neither pass needs the other's result.
    #[test]
    fn passes_follow_the_stages() {
        use Pass::*;
        let all = Later { dedup: true, texts: true };
        let no_more = |o: &mut Options| (o.passages, o.exact_verify) = (None, false);
        assert_eq!(
            plan(|_| {}, Later::default()),
            [vec![Sketch], vec![ExactCheck, Passages], vec![PassageTexts]]
        );
        assert_eq!(
            plan(|_| {}, all),
            [
                vec![Sketch],
                vec![ExactCheck, Passages],
                vec![PassageTexts],
                vec![Dedup],
                vec![Texts]
            ]
        );
        assert_eq!(plan(no_more, Later::default()), [vec![Sketch]]);
        assert_eq!(plan(no_more, all), [vec![Sketch], vec![Dedup], vec![Texts]]);
        assert_eq!(plan(|o| o.passages = None, Later::default()), [vec![Sketch], vec![ExactCheck]]);
        // SimHash tf-idf reads once before sketching; with exact
        // verification it re-reads the documents of its pairs, with the
        // estimate it does not.
        let simhash = |w, exact| {
            move |o: &mut Options| {
                (o.method, o.weighting, o.passages) = (Method::SimHash, w, None);
                o.exact_verify = exact;
            }
        };
        assert_eq!(
            plan(simhash(Weighting::TfIdf, false), Later::default()),
            [vec![DocumentFrequencies], vec![Sketch]]
        );
        assert_eq!(
            plan(simhash(Weighting::TfIdf, true), Later::default()),
            [vec![DocumentFrequencies], vec![Sketch], vec![ExactCheck]]
        );
        assert_eq!(plan(simhash(Weighting::Tf, false), Later::default()), [vec![Sketch]]);
        assert_eq!(
            plan(simhash(Weighting::Tf, true), Later::default()),
            [vec![Sketch], vec![ExactCheck]]
        );
        // --ignore-boilerplate counts shingles before sketching too.
        assert_eq!(
            plan(|o| (o.passages, o.ignore_boilerplate) = (None, Some(5)), Later::default()),
            [vec![DocumentFrequencies], vec![Sketch], vec![ExactCheck]]
        );
        assert_eq!(
            plan(|o| o.method = Method::None, Later::default()),
            [vec![Sketch], vec![Passages], vec![PassageTexts]]
        );
    }
}
