//! Command-line arguments (clap derive). Validation happens in `config`.

use std::path::PathBuf;

use clap::{Args as ClapArgs, Parser, Subcommand, ValueEnum};

/// Find near-duplicate documents in text collections.
///
/// Documents come from folders of .txt files (walked recursively; the id is
/// the path relative to the folder), JSON Lines files (plain, .gz or .zst),
/// or JSON Lines on stdin (-). Bad records (invalid UTF-8, malformed JSON,
/// a missing text field, unreadable files) are skipped, counted and named with
/// file and line in the report; the run goes on unless --strict.
///
/// Outputs are checked before anything is read: one that is an input,
/// another output, or inside a scanned folder is refused.
///
/// Exit status: 0 when the run finished (duplicates found or not), 1 on an
/// error (also when every record was skipped), 2 on a usage error.
#[derive(Debug, Parser)]
#[command(name = "neardup", version, max_term_width = 100)]
pub struct Args {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Find near-duplicate clusters and print a summary or write a report.
    Scan(ScanArgs),
    /// Write the collection with one document per cluster kept.
    Dedup(DedupArgs),
    /// Find repeated passages only (no document clustering).
    Passages(ScanArgs),
    /// Print the collection's duplication profile: documents, bytes, share
    /// of documents in clusters, share removable by dedup, cluster sizes,
    /// share of text in repeated passages, top passages. (The same summary
    /// every scan prints; an alias of `scan`.)
    Stats(ScanArgs),
    /// Score a report against labelled clusters: pairwise precision, recall,
    /// F1 and the Adjusted Rand Index.
    Eval(EvalArgs),
    /// Generate a labelled, news-like collection of any size from real seed
    /// text, with near-duplicate variants made by realistic edits.
    Synth(SynthArgs),
}

/// `synth`.
#[derive(Debug, ClapArgs)]
pub struct SynthArgs {
    /// Seed text: any inputs `scan` reads (folders of .txt, JSON Lines).
    #[arg(long = "from", value_name = "PATH", required = true, num_args = 1..)]
    pub from: Vec<String>,
    /// Bytes of text to generate (suffixes k, M, G: 100M = 10^8).
    #[arg(long, default_value = "10M", value_parser = parse_size, allow_hyphen_values = true)]
    pub bytes: u64,
    /// Where to write the documents (JSON Lines {"id", "text"}).
    #[arg(short = 'o', long = "output", value_name = "OUT.jsonl")]
    pub output: PathBuf,
    /// Where to write the labels (JSON Lines {"id", "cluster"}).
    #[arg(long, value_name = "LABELS.jsonl")]
    pub labels: PathBuf,
    /// Share of documents that are edited copies of an earlier document.
    #[arg(long, default_value_t = 0.3, value_parser = parse_share, allow_negative_numbers = true)]
    pub dup_rate: f64,
    /// Share of original documents whose body is printed twice (glued).
    #[arg(long, default_value_t = 0.0, value_parser = parse_share, allow_negative_numbers = true)]
    pub repeat_rate: f64,
    /// Share of original documents that carry a shared wire paragraph.
    #[arg(long, default_value_t = 0.0, value_parser = parse_share, allow_negative_numbers = true)]
    pub wire_rate: f64,
    /// Random seed.
    #[arg(long, default_value_t = 1, allow_negative_numbers = true)]
    pub seed: u64,
}

/// Parses `100M`, `1G`, `500k` or a plain number of bytes: a finite,
/// non-negative size below 2^64 (negative, NaN and infinite sizes are
/// refused, not turned into 0 or the largest size).
pub fn parse_size(s: &str) -> Result<u64, String> {
    let (num, mul) = match s.char_indices().last() {
        Some((i, 'k' | 'K')) => (&s[..i], 1_000u32),
        Some((i, 'm' | 'M')) => (&s[..i], 1_000_000),
        Some((i, 'g' | 'G')) => (&s[..i], 1_000_000_000),
        _ => (s, 1),
    };
    let n: f64 = num.trim().parse().map_err(|_| format!("{s:?} is not a size like 100M"))?;
    let bytes = n * f64::from(mul);
    if !(0.0..18_446_744_073_709_551_616.0).contains(&bytes) {
        return Err(format!("{s:?} is not a size: it must be a finite number of bytes, 0 or more"));
    }
    Ok(bytes as u64)
}

/// `--hamming`: `auto` or a number of bits (its range is checked with the
/// other options).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HammingArg {
    /// From the threshold.
    Auto,
    /// This many bits.
    Bits(u32),
}

/// Parses `auto` or a whole number of bits.
fn parse_hamming(s: &str) -> Result<HammingArg, String> {
    if s.trim().eq_ignore_ascii_case("auto") {
        return Ok(HammingArg::Auto);
    }
    s.trim()
        .parse()
        .map(HammingArg::Bits)
        .map_err(|_| format!("{s:?} is neither auto nor a number of bits (0 to 16)"))
}

/// Parses a share: a number from 0 to 1.
fn parse_share(s: &str) -> Result<f64, String> {
    let x: f64 = s.trim().parse().map_err(|_| format!("{s:?} is not a number"))?;
    if !(0.0..=1.0).contains(&x) {
        return Err(format!("{s} must be a share from 0 to 1"));
    }
    Ok(x)
}

/// `eval`.
#[derive(Debug, ClapArgs)]
pub struct EvalArgs {
    /// Labels as JSON Lines {"id": ..., "cluster": ...}. Documents absent
    /// from the labels are singletons.
    #[arg(long, value_name = "LABELS")]
    pub truth: PathBuf,
    /// A report written by `neardup scan -o` (json or jsonl); anything else,
    /// such as the collection itself, is refused.
    #[arg(value_name = "REPORT")]
    pub report: PathBuf,
    /// Output: text (one metric a line) or json (one object).
    #[arg(long, value_enum, default_value_t = EvalFormat::Text)]
    pub format: EvalFormat,
}

/// Output of `eval`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum EvalFormat {
    /// `precision 0.9731`, one metric a line.
    Text,
    /// One JSON object.
    Json,
}

/// `scan`.
#[derive(Debug, ClapArgs)]
pub struct ScanArgs {
    /// Shared options.
    #[command(flatten)]
    pub common: Common,
    /// Write the report to this file (atomically; `-` for stdout; a name
    /// ending in .gz or .zst is compressed) and print the summary.
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Score the clusters against labels (JSON Lines {"id", "cluster"}): the
    /// metrics are printed after the summary and put in the report.
    #[arg(long, value_name = "LABELS")]
    pub truth: Option<PathBuf>,
}

/// `dedup`.
#[derive(Debug, ClapArgs)]
pub struct DedupArgs {
    /// Shared options.
    #[command(flatten)]
    pub common: Common,
    /// Where to write the deduplicated collection (JSON Lines; `-` for
    /// stdout; a name ending in .gz or .zst is compressed). JSON input lines
    /// are copied verbatim; .txt files become {"id": ..., "text": ...}.
    #[arg(short = 'o', long = "output", value_name = "OUT.jsonl")]
    pub output: PathBuf,
    /// Also write the report to this file (format from --format, default json).
    #[arg(long, value_name = "FILE")]
    pub report: Option<PathBuf>,
    /// Also remove passages that repeat earlier text of the same document
    /// (keeping the first occurrence), e.g. a body printed twice.
    #[arg(long, conflicts_with = "no_passages")]
    pub strip_repeats: bool,
}

/// Report formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// One JSON document.
    Json,
    /// JSON Lines: a header line, then one line per cluster and per skip.
    Jsonl,
}

/// MinHash variants.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum MinHashVariant {
    /// One-permutation hashing with optimal densification: one hash per
    /// shingle (fast).
    OnePermutation,
    /// num-perm independent hash functions per shingle (the textbook scheme).
    Classic,
}

/// Progress display.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ProgressArg {
    /// A bar when stderr is a terminal, else nothing.
    Auto,
    /// Always a bar.
    Bar,
    /// JSON lines.
    Json,
    /// Nothing.
    None,
}

/// MinHash verification.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum VerifyArg {
    /// Exact Jaccard near the threshold.
    Exact,
    /// The estimate only.
    Estimate,
}

/// Detection methods.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum MethodArg {
    /// MinHash LSH.
    Minhash,
    /// SimHash tables.
    Simhash,
    /// Both.
    Both,
}

/// SimHash weights.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum WeightingArg {
    /// Term frequency in the document.
    Tf,
    /// Term frequency times inverse document frequency.
    Tfidf,
}

/// Which cluster member dedup keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum KeepArg {
    /// The first in input order.
    First,
    /// The longest text; equal lengths go to the smallest id (then the
    /// first) with --cluster leader, to the first with components.
    Longest,
}

/// How verified pairs become clusters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ClusterArg {
    /// Leaders by number of near-duplicates (most first, ties in --keep
    /// order): each kept document takes its near-duplicates not yet in a
    /// cluster.
    Star,
    /// Leaders in --keep order: each kept document takes its near-duplicates
    /// not yet in a cluster.
    Leader,
    /// Connected components: chains of pairs join documents that may be
    /// unrelated.
    Components,
}

/// Options shared by all subcommands.
#[derive(Debug, ClapArgs)]
pub struct Common {
    /// Inputs: folders (their .txt files, or those --glob takes), .txt files
    /// (.txt.gz and .txt.zst decompressed), JSON Lines files (any other
    /// file, .gz and .zst decompressed), or - for JSON Lines on stdin.
    #[arg(value_name = "PATH", required = true)]
    pub inputs: Vec<String>,

    /// Report format. With -o, the format of the report file (default json);
    /// without -o, print the report itself to stdout instead of the summary.
    #[arg(long, value_enum)]
    pub format: Option<Format>,

    /// How near-duplicate documents are found: minhash (Jaccard of shingle
    /// sets, LSH), simhash (Hamming distance of 64-bit fingerprints,
    /// multi-index hashing), or both (a pair found by either joins a cluster; the
    /// report lists which method found each pair).
    #[arg(long, value_enum, default_value_t = MethodArg::Minhash)]
    pub method: MethodArg,

    /// SimHash: largest Hamming distance (bits of 64) of a candidate pair.
    /// With --verify exact (the default) every candidate is then decided by
    /// the exact Jaccard of its shingle sets (one more read of those
    /// documents), and auto is the distance a pair at --threshold stays
    /// within with probability 0.95: 15 at 0.8, 11 at 0.9, 16 at 0.75.
    /// With --verify estimate the distance decides, and auto is the distance
    /// expected at --threshold for tf weights, 64/pi x arccos(2J/(1+J))
    /// rounded: 10 at 0.8, 7 at 0.9, 12 at 0.7. At most 16. Or a number of
    /// bits from 0 to 16 (3 is the classic choice for long web pages at web
    /// scale, Manku et al. 2007).
    #[arg(long, default_value = "auto", value_parser = parse_hamming, value_name = "K|auto", allow_negative_numbers = true)]
    pub hamming: HammingArg,

    /// Leave passages whose every shingle occurs in at least N documents
    /// (runs spanning --boilerplate-words words or more) out of document
    /// similarity (MinHash and SimHash): a shared licence header, cookie
    /// banner or agency footer then neither makes distinct documents
    /// near-duplicates nor hides a real pair, while a common line on its own
    /// stays. Counts each shingle's documents exactly in one more read of
    /// the input (memory: about 16 bytes per distinct shingle). A document
    /// left with no shingle is reported as boilerplate-only: kept by dedup,
    /// in no cluster. Passages are found as without it.
    #[arg(long, value_name = "N")]
    pub ignore_boilerplate: Option<u32>,

    /// With --ignore-boilerplate: the fewest words a run of frequent
    /// shingles must span to be left out (for --char-ngram, 6 characters a
    /// word). 1: every shingle in N documents, however alone.
    #[arg(long, default_value_t = 20, value_name = "WORDS")]
    pub boilerplate_words: usize,

    /// SimHash: shingle weights. tfidf reads the input once more to count
    /// document frequencies, so shingles common to the whole collection
    /// (boilerplate) weigh less.
    #[arg(long, value_enum, default_value_t = WeightingArg::Tf)]
    pub weighting: WeightingArg,

    /// Verification. exact: MinHash pairs whose estimate is within 4
    /// standard errors of --threshold, and every SimHash pair, are decided by
    /// the exact Jaccard of their shingle sets (those documents are read once
    /// more). estimate: the signature estimate (the Hamming distance for
    /// SimHash) decides every pair (one read). Either way, two MinHash
    /// documents with fewer distinct shingles than --num-perm are compared
    /// by their exact shingle sets, kept in memory.
    #[arg(long, value_enum, default_value_t = VerifyArg::Exact)]
    pub verify: VerifyArg,

    /// Jaccard similarity two documents must reach to be near-duplicates,
    /// estimated from their MinHash signatures.
    #[arg(long, default_value_t = 0.8, value_name = "J", allow_negative_numbers = true)]
    pub threshold: f64,

    /// MinHash signature length: more values, smaller estimation error
    /// (standard error √(J(1−J)/N): 0.035 at J = 0.8, N = 128), more memory
    /// (4 bytes per value per document).
    #[arg(long, default_value_t = 128, value_name = "N", allow_negative_numbers = true)]
    pub num_perm: usize,

    /// Word shingle size: documents are compared as sets of N consecutive
    /// words. Documents shorter than N words form one shingle of all their
    /// words.
    #[arg(
        long,
        default_value_t = 5,
        value_name = "N",
        conflicts_with = "char_ngram",
        allow_negative_numbers = true
    )]
    pub ngram: usize,

    /// Use shingles of N characters of the normalized text instead of words
    /// (better for very short texts and languages without spaces).
    #[arg(long, value_name = "N", allow_negative_numbers = true)]
    pub char_ngram: Option<usize>,

    /// LSH bands. Default: chosen with --rows from the threshold so that a
    /// pair at the threshold becomes a candidate with probability at least
    /// 0.95, with the fewest false candidates (13 x 7 for 0.8 and 128); see
    /// params.s_curve in the report.
    #[arg(long, requires = "rows", value_name = "B", allow_negative_numbers = true)]
    pub bands: Option<usize>,

    /// LSH rows per band (with --bands; bands x rows ≤ --num-perm).
    #[arg(long, requires = "bands", value_name = "R", allow_negative_numbers = true)]
    pub rows: Option<usize>,

    /// MinHash variant.
    #[arg(long = "minhash", value_enum, default_value_t = MinHashVariant::OnePermutation)]
    pub variant: MinHashVariant,

    /// Which member of a cluster is kept by dedup (and named representative):
    /// with --cluster leader and components, the first or longest member;
    /// with star (the default), the order in which documents with equally
    /// many near-duplicates are taken.
    #[arg(long, value_enum, default_value_t = KeepArg::First)]
    pub keep: KeepArg,

    /// How near-duplicate pairs become clusters. star: documents are taken
    /// by how many near-duplicates were found for them (most first; equal
    /// numbers in --keep order; inside a large bucket of near-copies only
    /// the pairs to its leaders are found, so the counts there are lower), and each one not yet in a cluster keeps its
    /// near-duplicates not yet in one, so every document dedup removes is
    /// within --threshold of the one kept in its place, and that one is
    /// the centre of its cluster (a page, not one of its variants). leader:
    /// the same in plain --keep order (dedup keeps the first or longest of
    /// each cluster; a variant that comes first splits its siblings off).
    /// components: the transitive closure, where A ~ B ~ C puts A and C
    /// together even if they are unrelated (order-free, but dedup may
    /// remove documents far from the kept one).
    #[arg(long, value_enum, default_value_t = ClusterArg::Star)]
    pub cluster: ClusterArg,

    /// Worker threads (default: all cores). The output is the same for any
    /// number.
    #[arg(long, default_value_t = 0, value_name = "N", allow_negative_numbers = true)]
    pub threads: usize,

    /// Seed of every hash. Runs with the same seed give the same report.
    #[arg(long, default_value_t = 0, allow_negative_numbers = true)]
    pub seed: u64,

    /// JSON field holding the document id (missing ids become FILE:LINE).
    /// A dotted name reaches into nested objects (meta.id), unless the
    /// record has a key of that very name.
    #[arg(long, default_value = "id", value_name = "NAME")]
    pub id_field: String,

    /// Folders: which files to read (repeatable; !GLOB leaves out what it
    /// matches). A glob without / matches file names at any depth (*.h);
    /// one with / the path inside the folder, where * stays in one folder
    /// and ** crosses them (src/**/*.c). Default: *.txt (any case). Every
    /// file taken is one document (.gz and .zst decompressed), except
    /// .jsonl and .ndjson files, read as JSON Lines.
    #[arg(long = "glob", value_name = "GLOB")]
    pub globs: Vec<String>,

    /// Folders: also read files that ignore files leave out. By default
    /// they are respected as ripgrep respects them: .ignore anywhere,
    /// .gitignore and .git/info/exclude inside a git repository.
    #[arg(long)]
    pub no_ignore: bool,

    /// Folders: also walk hidden files and folders (names starting with a
    /// dot).
    #[arg(long)]
    pub hidden: bool,

    /// JSON field holding the text. A dotted name reaches into nested
    /// objects (content.text), unless the record has a key of that very
    /// name.
    #[arg(long, default_value = "text", value_name = "NAME")]
    pub text_field: String,

    /// Shortest repeated passage reported, in words. 20 words is about one
    /// long sentence: shorter runs are mostly stock phrases ("volgens de
    /// Amerikaanse president", dates, bylines) that every news text shares.
    #[arg(long, default_value_t = 20, value_name = "WORDS", allow_negative_numbers = true)]
    pub min_passage: usize,

    /// Skip the repeated-passage search (one read of the input instead of
    /// two). dedup skips it anyway unless --strip-repeats, --report or --html
    /// needs it.
    #[arg(long)]
    pub no_passages: bool,

    /// Do not case-fold words before comparing. Case folding is full
    /// Unicode case folding, not lowercasing: ΤΗΣ = της (final sigma),
    /// STRASSE = straße.
    #[arg(long, visible_alias = "no-case-fold")]
    pub no_lowercase: bool,

    /// Do not apply Unicode NFKC normalization to words.
    #[arg(long)]
    pub no_nfkc: bool,

    /// Remove accents before comparing (é = e).
    #[arg(long)]
    pub fold_accents: bool,

    /// Skipped records listed one by one in the report (all are counted by
    /// reason in stats.skipped_by_reason).
    #[arg(long, default_value_t = 10_000, value_name = "N", allow_negative_numbers = true)]
    pub max_skips: usize,

    /// Longest record read, in bytes (suffixes k, M, G: 64M = 64·10^6): a
    /// JSON line or .txt file over it is skipped as too_large without being
    /// held in memory (a compressed text file is decompressed up to the
    /// limit first), and reading goes on at the next line. At most 4G.
    #[arg(long, default_value = "64M", value_parser = parse_size, value_name = "BYTES", allow_hyphen_values = true)]
    pub max_doc_bytes: u64,

    /// Stop with an error at the first bad record instead of skipping it.
    #[arg(long)]
    pub strict: bool,

    /// Leave timing out of the report, so identical runs give identical bytes.
    #[arg(long)]
    pub no_timing: bool,

    /// Print nothing but errors (the report file is still written).
    #[arg(short, long)]
    pub quiet: bool,

    /// Also write a self-contained HTML page (no network): summary, charts,
    /// searchable clusters with members side by side and shared passages
    /// highlighted, repeated passages highlighted in place.
    #[arg(long, value_name = "FILE")]
    pub html: Option<PathBuf>,

    /// Also write the run's intermediate results into DIR (made if missing)
    /// as versioned stage files, for a later run or another tool:
    /// signatures.stage (MinHash signatures with band keys),
    /// edges-METHOD.stage (each method's verified pairs with their scores),
    /// fingerprints.stage (passage fingerprints). Documents are numbered in
    /// input order among the records with words. Each file carries a hash
    /// of the parameters that made it; a reader with other parameters
    /// refuses it. Existing files of these names are replaced.
    #[arg(long, value_name = "DIR")]
    pub save_stages: Option<PathBuf>,

    /// How many repeated passages the summary lists, costliest first (the
    /// bytes that repeat: all copies but one; default 10), and how many
    /// passages shared across documents the --html page lists (default
    /// all). Both say how many they left out; the report always holds all.
    #[arg(long, value_name = "N")]
    pub top: Option<usize>,

    /// The summary and the --html page's shared passages list only
    /// passages found in at least N documents (2: text shared across
    /// documents, such as boilerplate; 1: also text repeated inside one
    /// document; the page's shared passages are always in 2 or more). The
    /// report always holds all.
    #[arg(long, default_value_t = 1, value_name = "N")]
    pub min_docs: usize,

    /// Progress on stderr: auto (a bar when stderr is a terminal), bar,
    /// json (one JSON object a line: stage, records, bytes, elapsed
    /// seconds), or none. -q hides the bar but not json.
    #[arg(long, value_enum, default_value_t = ProgressArg::Auto)]
    pub progress: ProgressArg,
}
