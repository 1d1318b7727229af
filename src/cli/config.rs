//! Arguments → a validated library [`Config`], made ready to read its
//! inputs as often as it needs ([`neardup::plan`]). The library never sees
//! clap.

use neardup::cluster::{Clustering, Keep};
use neardup::config::Hamming;
use neardup::lsh::LshParams;
use neardup::minhash::Variant;
use neardup::passage::PassageOptions;
use neardup::plan::{Later, Prepared};
use neardup::shingle::ShingleKind;
use neardup::source::{Input, SourceOptions, WalkOptions};
use neardup::text::TextOptions;
use neardup::{Config, Method, Options};

use super::args::{
    ClusterArg, Common, HammingArg, KeepArg, MethodArg, MinHashVariant, VerifyArg, WeightingArg,
};
use neardup::simhash::Weighting;

/// The most worker threads a run starts: 4 per available core, at most
/// 1024 (more only cost memory and start-up time).
pub fn max_threads() -> usize {
    let cores = std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get);
    (4 * cores).min(1024)
}

/// A library error, its complaints about options (a value out of range,
/// options that do not go together) being usage errors (exit 2).
fn usage(e: neardup::Error) -> anyhow::Error {
    match e {
        neardup::Error::InvalidOption(m) => super::UsageError(m).into(),
        e => anyhow::Error::from(e),
    }
}

/// Builds and freezes the configuration and plans its reads: where the run
/// reads its input more than once (`later`: the reads the caller makes
/// after the scan), stdin and pipes are first saved to temporary files
/// that live as long as the returned value. Repeated passages are searched
/// only when an output uses them (`passages_used`; a dedup without
/// `--strip-repeats`, report or page does not) and `--no-passages` is not
/// given. `near_duplicates: false` finds passages only.
pub fn build(
    a: &Common,
    later: Later,
    passages_used: bool,
    near_duplicates: bool,
) -> anyhow::Result<Prepared> {
    let mut cfg = Options::new(a.inputs.iter().map(|s| Input::parse(s)).collect());
    cfg.source = SourceOptions {
        id_field: a.id_field.clone(),
        text_field: a.text_field.clone(),
        max_record_bytes: a.max_doc_bytes,
        walk: WalkOptions { globs: a.globs.clone(), ignore_files: !a.no_ignore, hidden: a.hidden },
    };
    // A glob that does not parse is a usage error, before anything is read.
    neardup::source::check_walk(&cfg.source.walk).map_err(super::UsageError)?;
    cfg.text = TextOptions {
        nfkc: !a.no_nfkc,
        lowercase: !a.no_lowercase,
        fold_accents: a.fold_accents,
        seed: 0,
    };
    cfg.shingle = match a.char_ngram {
        Some(k) => ShingleKind::Chars(k),
        None => ShingleKind::Words(a.ngram),
    };
    cfg.num_perm = a.num_perm;
    cfg.variant = match a.variant {
        MinHashVariant::OnePermutation => Variant::OnePermutation,
        MinHashVariant::Classic => Variant::Classic,
    };
    cfg.threshold = a.threshold;
    cfg.method = match a.method {
        MethodArg::Minhash => Method::MinHash,
        MethodArg::Simhash => Method::SimHash,
        MethodArg::Both => Method::Both,
    };
    cfg.hamming = match a.hamming {
        HammingArg::Auto => Hamming::Auto,
        HammingArg::Bits(k) => Hamming::Bits(k),
    };
    cfg.ignore_boilerplate = a.ignore_boilerplate;
    cfg.boilerplate_words = a.boilerplate_words;
    cfg.exact_verify = a.verify == VerifyArg::Exact;
    // After --verify: the distance auto takes depends on it.
    if let (true, Some(wanted), false) = (cfg.method.simhash(), cfg.hamming_capped(), a.quiet) {
        eprintln!(
            "neardup: warning: --hamming auto: --threshold {} asks for {wanted} bits, more than \
             the SimHash index searches: using {}",
            cfg.threshold,
            cfg.hamming_bits()
        );
    }
    cfg.weighting = match a.weighting {
        WeightingArg::Tf => Weighting::Tf,
        WeightingArg::Tfidf => Weighting::TfIdf,
    };
    cfg.lsh = match (a.bands, a.rows) {
        (Some(bands), Some(rows)) => Some(LshParams { bands, rows }),
        _ => None,
    };
    cfg.seed = a.seed;
    cfg.keep = match a.keep {
        KeepArg::First => Keep::First,
        KeepArg::Longest => Keep::Longest,
    };
    cfg.clustering = match a.cluster {
        ClusterArg::Star => Clustering::Star,
        ClusterArg::Leader => Clustering::Leader,
        ClusterArg::Components => Clustering::Components,
    };
    cfg.threads = a.threads;
    let most = max_threads();
    if a.threads > most {
        if !a.quiet {
            eprintln!(
                "neardup: warning: --threads {} is more than this machine can use: running {most} \
                 (4 per core); the output is the same for any number",
                a.threads
            );
        }
        cfg.threads = most;
    }
    cfg.strict = a.strict;
    cfg.max_skips = a.max_skips;
    cfg.timing = !a.no_timing;
    cfg.passages = (!a.no_passages).then_some(PassageOptions { min_words: a.min_passage, k: 5 });
    if let Some(dir) = &a.save_stages {
        std::fs::create_dir_all(dir)
            .map_err(|e| anyhow::anyhow!("--save-stages {}: {e}", dir.display()))?;
        cfg.save_stages = Some(dir.clone());
    }
    if !near_duplicates {
        cfg.method = Method::None;
    }
    cfg.validate().map_err(usage)?; // --min-passage is checked even where it is not used
    if !passages_used {
        cfg.passages = None;
    }
    let cfg: Config = cfg.build().map_err(usage)?;
    let later = Later { texts: later.texts || a.html.is_some(), ..later };
    Ok(neardup::plan::prepare(cfg, later)?)
}
