//! A generator of labelled, news-like collections of any size, from real
//! seed text, for benchmarks and quality tests with known truth.
//!
//! The seed documents are cut into sentences (a sentence ends at `.`, `!` or
//! `?` followed by white space). Each generated *original* is a run of
//! random sentences in paragraphs, so two originals share almost nothing.
//! With probability [`SynthOptions::dup_rate`] a document is instead a
//! *variant* of an earlier original, made by one to three realistic edits:
//! a sentence deleted or inserted, words changed, whitespace reflowed,
//! boilerplate appended, sentences glued together ("ontmijnen.Ondertussen").
//! Variants share their original's label. Optionally, documents repeat their
//! own body (as news pages do) or carry a shared wire paragraph, for passage
//! tests.
//!
//! Deterministic: the same seed text and options give the same bytes.
//!
//! A tool, not part of the engine: the `synth` subcommand, the benchmarks
//! and the tests include this file (`#[path]`); the library does not export
//! it.

use std::io::{self, Write};

/// A small, fast, seeded generator (SplitMix64).
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    /// A generator from `seed`.
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }
    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        neardup::hash::splitmix64(&mut self.0)
    }
    /// Uniform in `0..n` (n > 0).
    pub fn below(&mut self, n: usize) -> usize {
        ((u128::from(self.next_u64()) * n as u128) >> 64) as usize
    }
    /// True with probability `p`.
    pub fn chance(&mut self, p: f64) -> bool {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64 <= p
    }
}

/// What to generate.
#[derive(Debug, Clone)]
pub struct SynthOptions {
    /// Stop after this many bytes of text.
    pub bytes: u64,
    /// Share of documents that are near-duplicate variants of an earlier one.
    pub dup_rate: f64,
    /// Share of originals whose body is printed twice, the second time glued.
    pub repeat_rate: f64,
    /// Share of originals that carry one of a few shared wire paragraphs.
    pub wire_rate: f64,
    /// Sentences per original, inclusive range.
    pub sentences: (usize, usize),
    /// Seed.
    pub seed: u64,
}

impl Default for SynthOptions {
    fn default() -> Self {
        SynthOptions {
            bytes: 10_000_000,
            dup_rate: 0.3,
            repeat_rate: 0.0,
            wire_rate: 0.0,
            sentences: (8, 40),
            seed: 1,
        }
    }
}

/// Counts of a generated collection.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SynthStats {
    /// Documents written.
    pub documents: u64,
    /// Of which variants.
    pub variants: u64,
    /// Bytes of text.
    pub bytes: u64,
}

const FOOTERS: [&str; 6] = [
    "Lees meer op onze website.",
    "© 2022 Redactie",
    "Volg ons ook op sociale media voor het laatste nieuws.",
    "Dit artikel werd automatisch vertaald.",
    "Bron: Belga",
    "Heeft u een tip voor de redactie? Mail ons.",
];

/// Cuts seed texts into sentences (trimmed, at least 4 words).
pub fn sentences(texts: &[String]) -> Vec<String> {
    let mut out = Vec::new();
    for t in texts {
        let mut start = 0;
        let b = t.as_bytes();
        for i in 0..b.len() {
            let end_mark = matches!(b[i], b'.' | b'!' | b'?');
            let next_space = b.get(i + 1).is_none_or(u8::is_ascii_whitespace);
            if end_mark && next_space {
                push_sentence(&t[start..=i], &mut out);
                start = i + 1;
            }
        }
        push_sentence(&t[start..], &mut out);
    }
    out
}

fn push_sentence(s: &str, out: &mut Vec<String>) {
    let s = s.split_whitespace().collect::<Vec<_>>().join(" ");
    if s.split(' ').count() >= 4 {
        out.push(s);
    }
}

/// Generates a collection into `docs` (JSON Lines `{"id", "text"}`) and
/// `labels` (JSON Lines `{"id", "cluster"}`).
pub fn generate(
    pool: &[String],
    opts: &SynthOptions,
    docs: &mut dyn Write,
    labels: &mut dyn Write,
) -> io::Result<SynthStats> {
    if pool.len() < 50 {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("synth needs seed text of at least 50 sentences, got {}", pool.len()),
        ));
    }
    let io = |e: io::Error| io::Error::new(e.kind(), format!("synth output: {e}"));
    let mut rng = Rng::new(opts.seed);
    let words: Vec<&str> = pool.iter().flat_map(|s| s.split(' ')).filter(|w| w.len() > 3).collect();
    let wires: Vec<String> = (0..8).map(|_| paragraph(&mut rng, pool, 5)).collect();
    // Originals kept for variants: (label, text). A bounded reservoir keeps
    // memory flat for any size.
    let mut recent: Vec<(u64, String)> = Vec::new();
    let mut stats = SynthStats::default();
    let mut next_label = 0u64;
    while stats.bytes < opts.bytes {
        let (label, text) = if !recent.is_empty() && rng.chance(opts.dup_rate) {
            let (label, base) = &recent[rng.below(recent.len())];
            stats.variants += 1;
            (*label, edit(&mut rng, base, pool, &words))
        } else {
            let label = next_label;
            next_label += 1;
            let n = opts.sentences.0 + rng.below(opts.sentences.1 - opts.sentences.0 + 1);
            let mut paras = Vec::new();
            let mut left = n;
            while left > 0 {
                let k = left.min(1 + rng.below(4));
                paras.push(paragraph(&mut rng, pool, k));
                left -= k;
            }
            if rng.chance(opts.wire_rate) {
                let at = rng.below(paras.len() + 1);
                paras.insert(at, wires[rng.below(wires.len())].clone());
            }
            let mut text = paras.join("\n\n");
            if rng.chance(opts.repeat_rate) {
                text.push_str("\n\n");
                text.push_str(&paras.concat());
            }
            if recent.len() < 4096 {
                recent.push((label, text.clone()));
            } else {
                let i = rng.below(recent.len());
                recent[i] = (label, text.clone());
            }
            (label, text)
        };
        let id = format!("d{:08}", stats.documents);
        serde_json::to_writer(&mut *docs, &serde_json::json!({"id": id, "text": text}))
            .map_err(|e| io(e.into()))?;
        docs.write_all(b"\n").map_err(io)?;
        writeln!(labels, "{{\"id\":\"{id}\",\"cluster\":\"c{label}\"}}").map_err(io)?;
        stats.documents += 1;
        stats.bytes += text.len() as u64;
    }
    Ok(stats)
}

fn paragraph(rng: &mut Rng, pool: &[String], k: usize) -> String {
    (0..k).map(|_| pool[rng.below(pool.len())].as_str()).collect::<Vec<_>>().join(" ")
}

/// One to three realistic edits of `base`.
fn edit(rng: &mut Rng, base: &str, pool: &[String], words: &[&str]) -> String {
    let mut text = base.to_owned();
    for _ in 0..1 + rng.below(3) {
        text = match rng.below(6) {
            0 => {
                // Delete one sentence (not the only one).
                let s = sentence_bounds(&text);
                if s.len() > 3 {
                    let (a, b) = s[rng.below(s.len())];
                    format!("{}{}", &text[..a], &text[b..])
                } else {
                    text
                }
            }
            1 => {
                // Insert a sentence from elsewhere.
                let s = sentence_bounds(&text);
                let at = s[rng.below(s.len())].0;
                format!("{}{} {}", &text[..at], pool[rng.below(pool.len())], &text[at..])
            }
            2 => {
                // Change one to three words.
                let mut ws: Vec<String> = text.split(' ').map(str::to_owned).collect();
                for _ in 0..1 + rng.below(3) {
                    let i = rng.below(ws.len());
                    ws[i] = words[rng.below(words.len())].to_owned();
                }
                ws.join(" ")
            }
            3 => text.replace("\n\n", "\n").replace(". ", ".  "),
            4 => format!("{text}\n\n{}", FOOTERS[rng.below(FOOTERS.len())]),
            _ => text.replacen(". ", ".", 3),
        };
    }
    text
}

/// Byte ranges of the sentences of `text` (each ending after its mark and
/// the following space).
fn sentence_bounds(text: &str) -> Vec<(usize, usize)> {
    let b = text.as_bytes();
    let mut out = Vec::new();
    let mut start = 0;
    for i in 0..b.len() {
        if matches!(b[i], b'.' | b'!' | b'?') && b.get(i + 1).is_some_and(|c| *c == b' ') {
            out.push((start, i + 2));
            start = i + 2;
        }
    }
    if start < b.len() {
        out.push((start, b.len()));
    }
    if out.is_empty() {
        out.push((0, b.len()));
    }
    out
}

#[cfg(test)]
mod tests {
    // Unused where a bench without the test harness includes this file.
    #[allow(unused_imports)]
    use super::*;

    #[test]
    fn deterministic_and_labelled() {
        let texts: Vec<String> = (0..60)
            .map(|i| {
                format!("Zin nummer {i} gaat over iets. Nog een zin {i} met meer woorden hier!")
            })
            .collect();
        let pool = sentences(&texts);
        assert_eq!(pool.len(), 120);
        let opts = SynthOptions { bytes: 20_000, ..SynthOptions::default() };
        let run = || {
            let (mut d, mut l) = (Vec::new(), Vec::new());
            let s = generate(&pool, &opts, &mut d, &mut l).unwrap();
            (d, l, s)
        };
        let (d1, l1, s1) = run();
        let (d2, l2, _) = run();
        assert_eq!((d1.clone(), l1.clone()), (d2, l2));
        assert!(s1.bytes >= 20_000 && s1.variants > 0);
        assert_eq!(
            d1.split(|&b| b == b'\n').filter(|l| !l.is_empty()).count() as u64,
            s1.documents
        );
        assert_eq!(
            l1.split(|&b| b == b'\n').filter(|l| !l.is_empty()).count() as u64,
            s1.documents
        );
    }
}
