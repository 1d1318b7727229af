//! Whole-run throughput: `scan --no-passages --verify estimate` (one read:
//! parse, normalize, shingle, MinHash 128, LSH, verify, cluster, report),
//! `scan --no-passages` (plus the exact check of pairs near the threshold,
//! a partial second read) and `scan` with passages (more reads) over a generated news-like JSON Lines
//! collection of 100 MB, side by side with `wc -w` reading the same file
//! (the floor of touching every word).
//!
//! The collection is made once by the `synth` generator (src/cli/synth.rs) from the bundled Dutch
//! text into `target/bench-data/news-100M.jsonl` (set NEARDUP_BENCH_MB to
//! change the size). All cores are used.
#![allow(missing_docs, reason = "criterion_group! defines an undocumented function")]

use std::hint::black_box;
use std::path::PathBuf;
use std::process::Command;

#[allow(dead_code)] // the generator is shared with the CLI and the tests
#[path = "../src/cli/synth.rs"]
mod synth;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use neardup::Options;
use neardup::progress::NoProgress;
use neardup::source::{Input, SourceOptions};
use neardup::stage::read::read_all;
use synth::{SynthOptions, generate, sentences};

fn collection() -> PathBuf {
    let mb: u64 =
        std::env::var("NEARDUP_BENCH_MB").ok().and_then(|s| s.parse().ok()).unwrap_or(100);
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let dir = root.join("target/bench-data");
    let path = dir.join(format!("news-{mb}M.jsonl"));
    if !path.exists() {
        std::fs::create_dir_all(&dir).unwrap();
        let seeds = [
            Input::Path(root.join("data/labelled/help_nl.jsonl")),
            Input::Path(root.join("data/seeds")),
        ];
        let (docs, _) = read_all(&seeds, &SourceOptions::default());
        let pool = sentences(&docs.into_iter().map(|d| d.text).collect::<Vec<_>>());
        let opts = SynthOptions { bytes: mb * 1_000_000, ..SynthOptions::default() };
        let mut out = std::io::BufWriter::new(std::fs::File::create(&path).unwrap());
        generate(&pool, &opts, &mut out, &mut std::io::sink()).unwrap();
    }
    path
}

fn whole_run(c: &mut Criterion) {
    let path = collection();
    let bytes = std::fs::metadata(&path).unwrap().len();
    let mut g = c.benchmark_group("whole-run");
    g.sample_size(10).throughput(Throughput::Bytes(bytes));
    g.bench_function("wc -w", |b| {
        b.iter(|| {
            let out = Command::new("wc").arg("-w").arg(&path).output().unwrap();
            assert!(out.status.success());
            black_box(out.stdout)
        })
    });
    let mut one_read = Options::new(vec![Input::Path(path.clone())]);
    one_read.passages = None;
    one_read.exact_verify = false;
    let one_read = one_read.build().unwrap();
    g.bench_function("neardup scan --no-passages --verify estimate", |b| {
        b.iter(|| black_box(neardup::scan(&one_read, &NoProgress).unwrap().report.stats.clusters))
    });
    let mut cfg = Options::new(vec![Input::Path(path.clone())]);
    cfg.passages = None;
    let cfg = cfg.build().unwrap();
    g.bench_function("neardup scan --no-passages", |b| {
        b.iter(|| black_box(neardup::scan(&cfg, &NoProgress).unwrap().report.stats.clusters))
    });
    let with_passages = Options::new(vec![Input::Path(path.clone())]).build().unwrap();
    g.bench_function("neardup scan (with passages)", |b| {
        b.iter(|| {
            black_box(neardup::scan(&with_passages, &NoProgress).unwrap().report.stats.clusters)
        })
    });
    g.finish();
}

criterion_group!(benches, whole_run);
criterion_main!(benches);
