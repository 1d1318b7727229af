//! A run's parameters: [`Options`] is the builder (public fields with
//! defaults), [`Options::build`] checks them and freezes them into a
//! [`Config`], the immutable value every stage reads. A `Config` always
//! holds valid options; to change one, take the options back
//! ([`Config::into_options`]) and build again.

use crate::cluster::{Clustering, Keep};
use crate::error::{Error, Result};
use crate::lsh::LshParams;
use crate::minhash::Variant;
use crate::passage::PassageOptions;
use crate::shingle::ShingleKind;
use crate::simhash::Weighting;
use crate::simindex::MAX_K;
use crate::source::{Input, SourceOptions};
use crate::text::TextOptions;

/// Every parameter of a run, before it is checked (see [`Options::build`]).
#[derive(Debug, Clone)]
pub struct Options {
    /// Files, folders or stdin, read in this order.
    pub inputs: Vec<Input>,
    /// JSON field names.
    pub source: SourceOptions,
    /// Normalization.
    pub text: TextOptions,
    /// Word or character shingles and their size.
    pub shingle: ShingleKind,
    /// MinHash signature length.
    pub num_perm: usize,
    /// MinHash variant.
    pub variant: Variant,
    /// Jaccard threshold.
    pub threshold: f64,
    /// Bands × rows; `None` chooses them from the threshold.
    pub lsh: Option<LshParams>,
    /// Seed of every hash.
    pub seed: u64,
    /// Representative choice for dedup.
    pub keep: Keep,
    /// How verified pairs become clusters: leaders in keep priority (every
    /// member a near-duplicate of the kept document) or connected
    /// components (see [`crate::cluster`]).
    pub clustering: Clustering,
    /// Worker threads; 0 uses all cores.
    pub threads: usize,
    /// Stop at the first bad record instead of skipping it.
    pub strict: bool,
    /// Put timing in the report.
    pub timing: bool,
    /// Raw bytes per batch handed to the workers.
    pub batch_bytes: usize,
    /// Skips listed one by one in the report; all are counted by reason.
    pub max_skips: usize,
    /// How near-duplicate documents are found (`None` for passages alone).
    pub method: Method,
    /// SimHash: largest Hamming distance between near-duplicates, or from
    /// the threshold (see [`Options::hamming_bits`]).
    pub hamming: Hamming,
    /// SimHash: shingle weights.
    pub weighting: Weighting,
    /// Leave shingles found in at least this many documents out of the
    /// sets document similarity compares (MinHash and SimHash alike):
    /// shared headers, licences and footers. Counted exactly in one more
    /// read of the input (see [`crate::boilerplate`]). `None`: every
    /// shingle counts.
    pub ignore_boilerplate: Option<u32>,
    /// `--ignore-boilerplate` leaves out only shingles in a run of
    /// boilerplate shingles that spans at least this many words (a shared
    /// passage, as `--min-passage` counts them; for character shingles, 6
    /// characters a word); 0 or 1: every boilerplate shingle.
    pub boilerplate_words: usize,
    /// MinHash: decide pairs whose estimate is within 4σ of the threshold by
    /// the exact Jaccard of their shingle sets (one more read of the input,
    /// only of those documents). Off: the estimate decides every pair.
    pub exact_verify: bool,
    /// Find repeated passages; `None` turns them off. Passages read the
    /// input again (see [`crate::plan`]).
    pub passages: Option<PassageOptions>,
    /// Write the run's stage files (signatures with band keys, each
    /// method's verified edges, passage fingerprints) into this folder,
    /// which must exist (see [`crate::stage::files`]).
    pub save_stages: Option<std::path::PathBuf>,
}

impl Options {
    /// Defaults for `inputs`: 5-word shingles, 128 one-permutation MinHash
    /// values, Jaccard 0.8, automatic bands × rows, seed 0.
    pub fn new(inputs: Vec<Input>) -> Options {
        Options {
            inputs,
            source: SourceOptions::default(),
            text: TextOptions::default(),
            shingle: ShingleKind::Words(5),
            num_perm: 128,
            variant: Variant::OnePermutation,
            threshold: 0.8,
            lsh: None,
            seed: 0,
            keep: Keep::First,
            clustering: Clustering::Star,
            threads: 0,
            strict: false,
            timing: true,
            batch_bytes: 16 << 20,
            max_skips: 10_000,
            method: Method::MinHash,
            hamming: Hamming::Auto,
            weighting: Weighting::Tf,
            ignore_boilerplate: None,
            boilerplate_words: 20,
            exact_verify: true,
            passages: Some(PassageOptions::default()),
            save_stages: None,
        }
    }

    /// Checks every parameter and freezes them.
    ///
    /// # Errors
    /// [`Error::InvalidOption`], whose message names the flag to change.
    pub fn build(self) -> Result<Config> {
        self.validate()?;
        let lsh = self.lsh.unwrap_or_else(|| LshParams::optimal(self.threshold, self.num_perm));
        Ok(Config { options: self, lsh })
    }

    /// Checks every parameter without freezing them (for a caller that
    /// changes some afterwards); the message names the flag to change.
    pub fn validate(&self) -> Result<()> {
        let bad = |m: String| Err(Error::InvalidOption(m));
        if self.inputs.is_empty() {
            return bad("no input given: name files, folders or - for stdin".into());
        }
        if !(self.threshold > 0.0 && self.threshold <= 1.0) {
            return bad(format!("--threshold {} must be in (0, 1]", self.threshold));
        }
        if !(1..=4096).contains(&self.num_perm) {
            return bad(format!("--num-perm {} must be between 1 and 4096", self.num_perm));
        }
        let k = self.shingle.size();
        if !(1..=64).contains(&k) {
            return bad(format!("--ngram/--char-ngram {k} must be between 1 and 64"));
        }
        if let Some(p) = self.lsh {
            if p.bands == 0 || p.rows == 0 || p.bands * p.rows > self.num_perm {
                return bad(format!(
                    "--bands {} x --rows {} must be at least 1 x 1 and at most --num-perm {}",
                    p.bands, p.rows, self.num_perm
                ));
            }
        }
        let stdin = |i: &&Input| match i {
            Input::Stdin => true,
            Input::Spooled { name, .. } => name == "-",
            Input::Path(_) => false,
        };
        if self.inputs.iter().filter(stdin).count() > 1 {
            return bad("- (stdin) can be given only once".into());
        }
        if !(1..=u64::from(u32::MAX)).contains(&self.source.max_record_bytes) {
            return bad(format!(
                "--max-doc-bytes {} must be between 1 and {} (4 GiB)",
                self.source.max_record_bytes,
                u32::MAX
            ));
        }
        if let Some(p) = self.passages {
            if !(2..=100_000).contains(&p.min_words) {
                return bad(format!("--min-passage {} must be between 2 and 100000", p.min_words));
            }
            if p.min_words < p.k {
                return bad(format!(
                    "--min-passage {} must be at least {} words",
                    p.min_words, p.k
                ));
            }
        }
        if let (true, Hamming::Bits(k)) = (self.method.simhash(), self.hamming) {
            if k > MAX_K {
                return bad(format!(
                    "--hamming {k} is too large: the SimHash index searches at most {MAX_K} bits"
                ));
            }
        }
        if let Some(n) = self.ignore_boilerplate {
            if n < 2 {
                return bad(format!(
                    "--ignore-boilerplate {n} must be at least 2 (documents sharing a shingle)"
                ));
            }
            if self.method == Method::None {
                return bad("--ignore-boilerplate changes document similarity, which is off: drop one of them".into());
            }
        }
        if self.method == Method::None && self.passages.is_none() {
            return bad("nothing to do: both near-duplicates and passages are off".into());
        }
        Ok(())
    }
}

impl Options {
    /// SimHash's largest Hamming distance: `Bits(k)` as given, `Auto` from
    /// the Jaccard threshold and the verification
    /// ([`crate::simhash::hamming_for_threshold`]: 15 for 0.8 with exact
    /// verification, 10 with the estimate), at most [`MAX_K`] (thresholds
    /// below 0.75, or 0.55 with the estimate, would ask for more).
    pub fn hamming_bits(&self) -> u32 {
        match self.hamming {
            Hamming::Bits(k) => k,
            Hamming::Auto => self.hamming_wanted().min(MAX_K),
        }
    }

    /// With `--hamming auto`, the distance the threshold asks for when the
    /// index cannot search that far ([`Options::hamming_bits`] gives
    /// [`MAX_K`] instead); `None` otherwise.
    pub fn hamming_capped(&self) -> Option<u32> {
        let wanted = self.hamming_wanted();
        (self.hamming == Hamming::Auto && wanted > MAX_K).then_some(wanted)
    }

    /// The fewest boilerplate shingles in a row that `--ignore-boilerplate`
    /// leaves out: a run of `r` shingles of `k` words spans `r + k − 1`
    /// words, so `boilerplate_words − k + 1` (character shingles: of
    /// `6 · boilerplate_words` characters), at least 1.
    pub fn boilerplate_run(&self) -> usize {
        let span = match self.shingle {
            crate::shingle::ShingleKind::Words(_) => self.boilerplate_words,
            crate::shingle::ShingleKind::Chars(_) => self.boilerplate_words.saturating_mul(6),
        };
        (span + 1).saturating_sub(self.shingle.size()).max(1)
    }

    /// The distance `--hamming auto` asks for, uncapped.
    fn hamming_wanted(&self) -> u32 {
        crate::simhash::hamming_for_threshold(self.threshold, self.exact_verify)
    }
}

/// SimHash's largest Hamming distance between near-duplicates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Hamming {
    /// The distance expected at the Jaccard threshold (see
    /// [`Options::hamming_bits`]).
    #[default]
    Auto,
    /// At most this many bits of 64 (0 to [`MAX_K`]).
    Bits(u32),
}

/// Checked, frozen options (see [`Options::build`]); read through `Deref`.
#[derive(Debug, Clone)]
pub struct Config {
    options: Options,
    lsh: LshParams,
}

impl std::ops::Deref for Config {
    type Target = Options;
    fn deref(&self) -> &Options {
        &self.options
    }
}

impl Config {
    /// The options, to change some and build again.
    pub fn into_options(self) -> Options {
        self.options
    }

    /// The inputs as a [`crate::source::Source`].
    pub fn source(&self) -> crate::source::Inputs<'_> {
        crate::source::Inputs { inputs: &self.inputs, options: &self.source }
    }

    /// The bands × rows in effect.
    pub fn lsh_params(&self) -> LshParams {
        self.lsh
    }

    /// The same options reading other inputs (the read planner's saved
    /// copies of streams: the inputs it replaces name the same records).
    pub(crate) fn with_inputs(&self, inputs: Vec<Input>) -> Config {
        Config { options: Options { inputs, ..self.options.clone() }, lsh: self.lsh }
    }

    /// The worker threads of the run.
    pub(crate) fn pool(&self) -> Result<rayon::ThreadPool> {
        rayon::ThreadPoolBuilder::new()
            .num_threads(self.threads)
            .build()
            .map_err(|source| Error::ThreadPool { threads: self.threads, source })
    }
}

/// How near-duplicate documents are found: which of the registered
/// similarity methods run (see [`crate::method`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Method {
    /// Not at all (passages alone).
    None,
    /// MinHash LSH, verified by the Jaccard estimate.
    #[default]
    MinHash,
    /// SimHash with multi-index hashing, verified by Hamming distance.
    SimHash,
    /// Both; a pair found by either joins a cluster, and the report says
    /// which method found each pair.
    Both,
}

impl Method {
    /// Whether MinHash runs.
    pub fn minhash(self) -> bool {
        matches!(self, Method::MinHash | Method::Both)
    }
    /// Whether SimHash runs.
    pub fn simhash(self) -> bool {
        matches!(self, Method::SimHash | Method::Both)
    }
    /// The name in options and reports.
    pub fn name(self) -> &'static str {
        match self {
            Method::None => "none",
            Method::MinHash => "minhash",
            Method::SimHash => "simhash",
            Method::Both => "both",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hamming_auto_follows_the_threshold_and_numbers_are_checked() {
        let mut o = Options::new(vec![Input::Stdin]);
        o.method = Method::SimHash;
        assert_eq!(o.hamming, Hamming::Auto);
        // Exact verification (the default): the 95th percentile of the
        // distance at the threshold (worked out in the function's doc).
        assert!(o.exact_verify);
        for (t, k) in [(0.9, 11), (0.8, 15), (0.75, 16), (1.0, 0)] {
            o.threshold = t;
            assert_eq!((o.hamming_bits(), o.hamming_capped()), (k, None), "{t}");
        }
        // 0.7 asks for 18: capped at the index's 16, and said so.
        o.threshold = 0.7;
        assert_eq!((o.hamming_bits(), o.hamming_capped()), (16, Some(18)));
        // The estimate decides: the distance expected at the threshold.
        o.exact_verify = false;
        for (t, k) in [(0.9, 7), (0.8, 10), (0.7, 12), (0.55, 16)] {
            o.threshold = t;
            assert_eq!((o.hamming_bits(), o.hamming_capped()), (k, None), "{t}");
        }
        // 0.5 asks for 17: capped at the index's 16, and said so.
        o.threshold = 0.5;
        assert_eq!((o.hamming_bits(), o.hamming_capped()), (16, Some(17)));
        o.hamming = Hamming::Bits(3);
        assert_eq!((o.hamming_bits(), o.hamming_capped()), (3, None));
        o.hamming = Hamming::Bits(MAX_K);
        assert!(o.validate().is_ok());
        o.hamming = Hamming::Bits(MAX_K + 1);
        let Err(Error::InvalidOption(m)) = o.validate() else { panic!("17 bits accepted") };
        assert!(m.contains("--hamming 17 is too large"), "{m}");
        // Not checked when SimHash does not run.
        o.method = Method::MinHash;
        assert!(o.validate().is_ok());
    }
}
