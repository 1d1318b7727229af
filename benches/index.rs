//! Index throughput: SimHash fingerprints per second (from real shingles),
//! the multi-index near-pair search over 1M random fingerprints (with
//! planted neighbours at distance 1..=K) at K = 3, 8 and 12, beside a
//! brute-force scan of all pairs on 20k fingerprints, and over 1M clustered
//! fingerprints (1,000 templates, members within 6 bits: templated pages);
//! each group prints the index's bytes per fingerprint. And MinHash LSH
//! candidates when most
//! documents fall into the same buckets (templated near-copies, and
//! unrelated documents sharing one band, as a common header makes them), at
//! 10k, 100k and 400k documents: the time should grow linearly.

#![allow(missing_docs, reason = "criterion_group! defines an undocumented function")]

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use neardup::hash::fmix64;
use neardup::ids::DocId;
use neardup::lsh::{self, LargeBuckets, Link, LshParams};
use neardup::minhash::jaccard_estimate;
use neardup::shingle::{token_hashes, word_shingles};
use neardup::simhash::{self, hamming};
use neardup::simindex::{SimIndexParams, near_fingerprint_pairs};
use neardup::source::{Input, SourceOptions};
use neardup::stage::read::read_all;
use neardup::text::{TextOptions, Tokenizer};

fn shingle_sets() -> Vec<Vec<u64>> {
    let input =
        Input::Path(concat!(env!("CARGO_MANIFEST_DIR"), "/data/labelled/help_nl.jsonl").into());
    let (docs, _) = read_all(&[input], &SourceOptions::default());
    let mut tok = Tokenizer::new(TextOptions::default());
    docs.iter()
        .map(|d| {
            let (mut t, mut w, mut s) = (Vec::new(), Vec::new(), Vec::new());
            tok.tokenize_into(&d.text, &mut t, None);
            token_hashes(&t, &mut w);
            word_shingles(&w, 5, 0, &mut s);
            s
        })
        .collect()
}

/// `n` random fingerprints, every tenth followed by a neighbour 1..=k bits
/// away; sorted, distinct.
fn fingerprints(n: usize, k: u32) -> Vec<u64> {
    let mut out = Vec::with_capacity(n);
    let mut i = 0u64;
    while out.len() < n {
        let fp = fmix64(i);
        out.push(fp);
        if i % 10 == 0 && out.len() < n {
            let mut near = fp;
            for j in 0..1 + (i / 10) % u64::from(k.max(1)) {
                near ^= 1 << ((i.wrapping_mul(7) + j * 13) % 64);
            }
            out.push(near);
        }
        i += 1;
    }
    out.sort_unstable();
    out.dedup();
    out
}

/// `n` fingerprints of 1,000 templates, each within 0..=6 random bits of
/// its template; sorted, distinct (about 760k of 1M).
fn clustered(n: usize) -> Vec<u64> {
    let mut out: Vec<u64> = (0..n as u64)
        .map(|i| {
            let mut fp = fmix64(1_000_000 + i % 1000);
            let mut s = i;
            for _ in 0..fmix64(i) % 7 {
                s = fmix64(s + 1);
                fp ^= 1 << (s % 64);
            }
            fp
        })
        .collect();
    out.sort_unstable();
    out.dedup();
    out
}

/// Prints the index's parameters and bytes per fingerprint.
fn describe(what: &str, fps: &[u64], p: &SimIndexParams) {
    println!(
        "{what}: {} fingerprints, {} substrings, {} tables, {:.1} bytes per fingerprint",
        fps.len(),
        p.substrings,
        p.tables(),
        p.table_bytes(fps.len()) as f64 / fps.len() as f64
    );
}

fn simhash_bench(c: &mut Criterion) {
    let sets = shingle_sets();
    let mut g = c.benchmark_group("simhash");
    g.throughput(Throughput::Elements(sets.len() as u64));
    let mut scratch = Vec::new();
    g.bench_function("fingerprint (tf) per document", |b| {
        b.iter(|| sets.iter().fold(0u64, |x, s| x ^ simhash::fingerprint(s, |_| 1.0, &mut scratch)))
    });
    g.finish();

    for k in [3, 8, 12] {
        let mut g = c.benchmark_group(format!("simindex k={k}"));
        g.sample_size(10);
        let million = fingerprints(1_000_000, k);
        let p = SimIndexParams::new(k, million.len());
        describe(&format!("k={k} random"), &million, &p);
        g.throughput(Throughput::Elements(million.len() as u64));
        g.bench_function("tables, 1M fingerprints", |b| {
            b.iter(|| black_box(near_fingerprint_pairs(&million, &p).len()))
        });
        if k == 3 {
            let small = fingerprints(20_000, k);
            let p = SimIndexParams::new(k, small.len());
            g.throughput(Throughput::Elements(small.len() as u64));
            g.bench_function("tables, 20k fingerprints", |b| {
                b.iter(|| black_box(near_fingerprint_pairs(&small, &p).len()))
            });
            g.bench_function("brute force, 20k fingerprints", |b| {
                b.iter(|| {
                    let mut n = 0usize;
                    for i in 0..small.len() {
                        for j in i + 1..small.len() {
                            n += usize::from(hamming(small[i], small[j]) <= k);
                        }
                    }
                    black_box(n)
                })
            });
        }
        if k <= 8 {
            let templated = clustered(1_000_000);
            let p = SimIndexParams::new(k, templated.len());
            describe(&format!("k={k} clustered"), &templated, &p);
            g.throughput(Throughput::Elements(templated.len() as u64));
            g.bench_function("tables, 1M clustered fingerprints", |b| {
                b.iter(|| black_box(near_fingerprint_pairs(&templated, &p).len()))
            });
        }
        g.finish();
    }
}

/// `n` signatures of 128 values: near-copies of one template (each differs
/// in two positions outside the first two bands), or documents that share
/// only band 0 and are random elsewhere.
fn bucket_signatures(n: u32, near_copies: bool) -> Vec<Box<[u32]>> {
    (0..n)
        .map(|d| {
            let mut s: Vec<u32> = (0..128u32).collect();
            if near_copies {
                s[20 + (d % 100) as usize] = 1000 + d;
                s[21 + (d / 100 % 100) as usize] = 2000 + d;
            } else {
                for (i, v) in s.iter_mut().enumerate().skip(10) {
                    *v = fmix64(u64::from(d) << 8 | i as u64) as u32;
                }
            }
            s.into_boxed_slice()
        })
        .collect()
}

fn lsh_bench(c: &mut Criterion) {
    let p = LshParams::optimal(0.8, 128);
    let mut g = c.benchmark_group("lsh large buckets");
    g.sample_size(10);
    for near_copies in [true, false] {
        for n in [10_000u32, 100_000, 400_000] {
            let sigs = bucket_signatures(n, near_copies);
            let keys: Vec<Box<[u64]>> = sigs
                .iter()
                .map(|s| {
                    let mut k = Vec::new();
                    p.band_keys(s, &mut k);
                    k.into_boxed_slice()
                })
                .collect();
            let content: Vec<u64> =
                sigs.iter().map(|s| s.iter().fold(0, |h, &v| fmix64(h ^ u64::from(v)))).collect();
            let large = LargeBuckets {
                signatures: &sigs,
                content: &content,
                link: |a: DocId, b: DocId| {
                    if jaccard_estimate(&sigs[a.index()], &sigs[b.index()]) >= 0.8 {
                        Link::Certain
                    } else {
                        Link::No
                    }
                },
                threshold: 0.8,
                rank: None,
                defer: false,
            };
            let what = if near_copies { "near-copies" } else { "shared header" };
            g.throughput(Throughput::Elements(u64::from(n)));
            g.bench_function(format!("{what}, {n} documents"), |b| {
                b.iter(|| black_box(lsh::candidates(&keys, &p, &large).pairs.len()))
            });
        }
    }
    g.finish();
}

criterion_group!(benches, simhash_bench, lsh_bench);
criterion_main!(benches);
