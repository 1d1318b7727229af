//! Passage detection throughput (MB/s): the in-memory passage stage
//! (`find_in_texts`: tokenize, fingerprint, seeds, chains, refine, group) on
//! a generated collection of 10 MB in which documents repeat their body and
//! share wire paragraphs; and the whole `passages` run from a file.

#![allow(missing_docs, reason = "criterion_group! defines an undocumented function")]

use std::hint::black_box;

#[allow(dead_code)] // the generator is shared with the CLI and the tests
#[path = "../src/cli/synth.rs"]
mod synth;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use neardup::passage::{PassageOptions, find_in_texts};
use neardup::progress::NoProgress;
use neardup::source::{Input, SourceOptions};
use neardup::stage::read::read_all;
use neardup::text::TextOptions;
use neardup::{Method, Options};
use synth::{SynthOptions, generate, sentences};

fn passage_bench(c: &mut Criterion) {
    let root = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let seeds = [
        Input::Path(root.join("data/labelled/help_nl.jsonl")),
        Input::Path(root.join("data/seeds")),
    ];
    let (docs, _) = read_all(&seeds, &SourceOptions::default());
    let pool = sentences(&docs.into_iter().map(|d| d.text).collect::<Vec<_>>());
    let opts = SynthOptions {
        bytes: 10_000_000,
        repeat_rate: 0.2,
        wire_rate: 0.3,
        ..SynthOptions::default()
    };
    let dir = root.join("target/bench-data");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("passages-10M.jsonl");
    let mut bytes = Vec::new();
    generate(&pool, &opts, &mut bytes, &mut std::io::sink()).unwrap();
    std::fs::write(&path, &bytes).unwrap();
    let (docs, _) = read_all(&[Input::Path(path.clone())], &SourceOptions::default());
    let texts: Vec<&str> = docs.iter().map(|d| d.text.as_str()).collect();
    let total: usize = texts.iter().map(|t| t.len()).sum();

    let mut g = c.benchmark_group("passages");
    g.sample_size(10).throughput(Throughput::Bytes(total as u64));
    g.bench_function("find_in_texts 10MB (1 read, in memory)", |b| {
        b.iter(|| {
            black_box(
                find_in_texts(&texts, &PassageOptions::default(), &TextOptions::default()).len(),
            )
        })
    });
    let mut cfg = Options::new(vec![Input::Path(path)]);
    cfg.method = Method::None;
    let cfg = cfg.build().unwrap();
    g.bench_function("passages run 10MB (file, 2 reads)", |b| {
        b.iter(|| {
            black_box(neardup::scan(&cfg, &NoProgress).unwrap().report.stats.repeated_passages)
        })
    });
    g.finish();
}

/// Words `w0 w1 ...` from a simple generator (no natural repeats).
fn words(seed: u64, n: usize) -> String {
    let mut rng = synth::Rng::new(seed);
    (0..n).map(|_| format!("w{}", rng.below(1_000_000))).collect::<Vec<_>>().join(" ")
}

/// How the passage stage grows with repetition: one 25-word footer shared
/// by 10k, 100k and 1M short documents (each 10 words of its own), and one
/// 25-word sentence pasted 1k, 10k and 100k times into one document. The
/// time per document (or per copy) should stay flat.
fn scale_bench(c: &mut Criterion) {
    let footer = words(1, 25);
    let mut g = c.benchmark_group("passages at scale");
    g.sample_size(10);
    for n in [10_000usize, 100_000, 1_000_000] {
        let docs: Vec<String> =
            (0..n).map(|d| format!("{}. {footer}", words(10 + d as u64, 10))).collect();
        let texts: Vec<&str> = docs.iter().map(String::as_str).collect();
        g.throughput(Throughput::Elements(n as u64));
        g.bench_function(format!("footer in {n} documents"), |b| {
            b.iter(|| {
                let groups =
                    find_in_texts(&texts, &PassageOptions::default(), &TextOptions::default());
                assert_eq!(groups[0].occurrences.len(), n);
                black_box(groups.len())
            })
        });
    }
    let sentence = words(2, 25);
    for n in [1_000usize, 10_000, 100_000] {
        let text = format!("Begin. {}", vec![sentence.as_str(); n].join(". "));
        g.throughput(Throughput::Elements(n as u64));
        g.bench_function(format!("sentence {n} times in one document"), |b| {
            b.iter(|| {
                let groups =
                    find_in_texts(&[&text], &PassageOptions::default(), &TextOptions::default());
                assert_eq!(groups[0].occurrences.len(), n);
                black_box(groups.len())
            })
        });
    }
    // Two editions of one long text, two words in a row changed every 40
    // (too dense to step over): one chain of seeds whose runs are refined
    // one after another; the time per word should stay flat.
    for n in [100_000usize, 1_000_000] {
        let a: Vec<String> = words(3, n).split(' ').map(str::to_owned).collect();
        let b: Vec<String> = a
            .iter()
            .enumerate()
            .map(|(i, w)| if i % 40 >= 38 { format!("x{i}") } else { w.clone() })
            .collect();
        let (a, b) = (a.join(" "), b.join(" "));
        g.throughput(Throughput::Elements(n as u64));
        g.bench_function(format!("two editions of {n} words, dense edits"), |bench| {
            bench.iter(|| {
                let groups =
                    find_in_texts(&[&a, &b], &PassageOptions::default(), &TextOptions::default());
                black_box(groups.len())
            })
        });
    }
    g.finish();
}

criterion_group!(benches, passage_bench, scale_bench);
criterion_main!(benches);
