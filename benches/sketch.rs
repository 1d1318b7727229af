//! Signature throughput: MB/s of text through normalize + tokenize, + word
//! shingles, + MinHash (one-permutation and classic), on the bundled Dutch
//! collection (data/labelled/help_nl.jsonl, 0.77 MB). One thread.
#![allow(missing_docs, reason = "criterion_group! defines an undocumented function")]

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use neardup::minhash::{MinHasher, Variant};
use neardup::shingle::word_shingles;
use neardup::source::{Input, SourceOptions};
use neardup::stage::read::read_all;
use neardup::text::{TextOptions, Tokenizer};

fn texts() -> Vec<String> {
    let input =
        Input::Path(concat!(env!("CARGO_MANIFEST_DIR"), "/data/labelled/help_nl.jsonl").into());
    let (docs, skipped) = read_all(&[input], &SourceOptions::default());
    assert!(skipped.is_empty() && !docs.is_empty());
    docs.into_iter().map(|d| d.text).collect()
}

fn sketch(c: &mut Criterion) {
    let texts = texts();
    let bytes: usize = texts.iter().map(String::len).sum();
    let mut g = c.benchmark_group("sketch");
    g.throughput(Throughput::Bytes(bytes as u64));
    let mut tok = Tokenizer::new(TextOptions::default());
    let (mut tokens, mut words, mut shingles) = (Vec::new(), Vec::new(), Vec::new());
    g.bench_function("tokenize (words with spans)", |b| {
        b.iter(|| {
            let mut n = 0;
            for t in &texts {
                tokens.clear();
                tok.tokenize_into(t, &mut tokens, None);
                n += tokens.len();
            }
            black_box(n)
        })
    });
    // The scan's path: word hashes (no spans), 5-word shingles, then `last`.
    let mut run = |b: &mut criterion::Bencher<'_>, last: &dyn Fn(&[u64]) -> u32| {
        b.iter(|| {
            let mut x = 0u32;
            for t in &texts {
                words.clear();
                shingles.clear();
                tok.hashes_into(t, &mut words);
                word_shingles(&words, 5, 0, &mut shingles);
                x ^= last(&shingles);
            }
            black_box(x)
        })
    };
    g.bench_function("word hashes+shingle", |b| run(b, &|s| s.len() as u32));
    for variant in [Variant::OnePermutation, Variant::Classic] {
        let hasher = MinHasher::new(128, 0, variant);
        g.bench_function(format!("word hashes+shingle+minhash128/{}", variant.name()), |b| {
            run(b, &|s| hasher.sign(s)[0])
        });
    }
    g.finish();
}

criterion_group!(benches, sketch);
criterion_main!(benches);
