//! Repeated passages: the sample articles (spans worked out by searching the
//! text for the first and last words of each copy), a generated collection
//! with planted passages, and the CLI.

use crate::synth::Rng;
use neardup::DocId;
use neardup::passage::{PassageOptions, find_in_texts};
use neardup::text::TextOptions;

use crate::util::{data, neardup, report};

fn seed(name: &str) -> String {
    std::fs::read_to_string(data(&format!("seeds/{name}"))).unwrap()
}

/// Byte offset of the `n`-th (0-based) occurrence of `needle`.
fn nth(text: &str, needle: &str, n: usize) -> usize {
    text.match_indices(needle).nth(n).unwrap_or_else(|| panic!("{needle:?} #{n}")).0
}

/// Each article prints its body twice: in paragraphs, then glued without
/// spaces between sentences. The lead paragraph is NOT repeated, so the
/// repeated body starts at the first word of the second paragraph.
#[test]
fn seed_articles_body_found_once_with_exact_spans() {
    let cases = [
        ("000_28471f2968b74307.txt", "Die de-escalatie", "Palestina"),
        ("004_7159a99515a8db4b.txt", "Biden en Macron bespraken", "NAVO"),
    ];
    for (name, first_words, last_word) in cases {
        let text = seed(name);
        let groups = find_in_texts(&[&text], &PassageOptions::default(), &TextOptions::default());
        let body =
            groups.iter().max_by_key(|g| g.words).unwrap_or_else(|| panic!("{name}: no passage"));
        assert_eq!(body.occurrences.len(), 2, "{name}");
        let (a, b) = (body.occurrences[0].1, body.occurrences[1].1);
        // Expected spans, by plain string search.
        let a_start = nth(&text, first_words, 0);
        let b_start = nth(&text, first_words, 1);
        let copy_two_end = text.trim_end().len();
        let a_end = text[..b_start].rfind(last_word).unwrap() + last_word.len();
        let b_end = text.rfind(last_word).unwrap() + last_word.len();
        assert_eq!((a.start as usize, a.end as usize), (a_start, a_end), "{name} first copy");
        assert_eq!((b.start as usize, b.end as usize), (b_start, b_end), "{name} second copy");
        // At least 90 % of the second copy is covered (here: all of it).
        let covered = f64::from(b.end - b.start) / (copy_two_end - b_start) as f64;
        assert!(covered >= 0.9, "{name}: {covered}");
        // Offsets slice the original text on word boundaries.
        assert!(text[a.range()].starts_with(first_words) && text[b.range()].ends_with(last_word));
    }
}

/// Across the two articles: only short phrases are shared, no passage.
#[test]
fn seed_articles_share_no_passage() {
    let (a, b) = (seed("000_28471f2968b74307.txt"), seed("004_7159a99515a8db4b.txt"));
    let groups = find_in_texts(&[&a, &b], &PassageOptions::default(), &TextOptions::default());
    for g in &groups {
        let docs: std::collections::BTreeSet<DocId> = g.occurrences.iter().map(|o| o.0).collect();
        assert_eq!(docs.len(), 1, "passage across the two articles: {g:?}");
    }
}

/// Hosts of random real words (no natural repeats), passages from the
/// sample articles planted with small edits at known places; controls get
/// nothing. Recall of planted occurrences ≥ 0.95 with both ends within 3
/// words, and no passage in a control document.
#[test]
fn planted_passages_are_found_and_controls_stay_clean() {
    let (a, b) = (seed("000_28471f2968b74307.txt"), seed("004_7159a99515a8db4b.txt"));
    let vocab: Vec<&str> =
        a.split_whitespace().chain(b.split_whitespace()).filter(|w| w.len() > 3).collect();
    // Passages: paragraphs of 25+ words from the first copies.
    let passages: Vec<&str> = a
        .split("\n\n")
        .chain(b.split("\n\n"))
        .filter(|p| (25..90).contains(&p.split_whitespace().count()))
        .take(8)
        .collect();
    assert!(passages.len() >= 6);
    let mut rng = Rng::new(7);
    let words = |rng: &mut Rng, n: usize| -> String {
        (0..n).map(|_| vocab[rng.below(vocab.len())]).collect::<Vec<_>>().join(" ")
    };
    let mut docs: Vec<String> = Vec::new();
    // planted: (doc, start, end, passage index)
    let mut planted: Vec<(usize, usize, usize)> = Vec::new();
    for d in 0..60 {
        let n = 40 + rng.below(100);
        let mut text = words(&mut rng, n);
        if d < 45 {
            for _ in 0..1 + rng.below(2) {
                let p = passages[rng.below(passages.len())];
                let mut ws: Vec<String> = p.split(' ').map(str::to_owned).collect();
                // A small edit inside: change one interior word, or upper-case
                // one, or glue two sentences.
                let i = 3 + rng.below(ws.len() - 6);
                match rng.below(3) {
                    0 => ws[i] = "gewijzigd".into(),
                    1 => ws[i] = ws[i].to_uppercase(),
                    _ => {
                        let next = ws.remove(i + 1);
                        ws[i] = format!("{}.{next}", ws[i]);
                    }
                }
                let edited = ws.join(" ");
                text.push_str(". ");
                let start = text.len();
                text.push_str(&edited);
                planted.push((d, start, text.len()));
                text.push_str(". ");
                let n = 20 + rng.below(60);
                text.push_str(&words(&mut rng, n));
            }
        }
        docs.push(text);
    }
    let refs: Vec<&str> = docs.iter().map(String::as_str).collect();
    let groups = find_in_texts(&refs, &PassageOptions::default(), &TextOptions::default());
    let found: Vec<(usize, neardup::Span)> =
        groups.iter().flat_map(|g| g.occurrences.iter().map(|&(d, s)| (d.index(), s))).collect();
    // Word index of a byte offset: words starting before it.
    let word_at = |d: usize, off: usize| docs[d][..off].split_whitespace().count();
    let mut hit = 0;
    for &(d, start, end) in &planted {
        let ok = found.iter().any(|&(fd, s)| {
            fd == d
                && word_at(d, s.start as usize).abs_diff(word_at(d, start)) <= 3
                && word_at(d, s.end as usize).abs_diff(word_at(d, end)) <= 3
        });
        hit += usize::from(ok);
    }
    let recall = hit as f64 / planted.len() as f64;
    assert!(recall >= 0.95, "recall {recall} ({hit} of {})", planted.len());
    for &(d, _) in &found {
        assert!(d < 45, "passage reported in control document {d}");
    }
}

#[test]
fn cli_passages_and_strip_repeats() {
    let r = report(&["passages", data("seeds").to_str().unwrap()]);
    assert_eq!(r["params"]["method"], "none");
    assert!(r["clusters"].as_array().unwrap().is_empty());
    let body =
        &r["passages"].as_array().unwrap().iter().max_by_key(|p| p["words"].as_u64()).unwrap();
    assert_eq!(body["occurrences"].as_array().unwrap().len(), 2);
    let within = r["stats"]["repeated_share_within"].as_f64().unwrap();
    assert!(within > 0.4 && within < 0.5, "{within}");
    assert_eq!(r["stats"]["repeated_bytes_across"], 0);

    // dedup --strip-repeats writes each article with its body once.
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out.jsonl");
    neardup()
        .args(["dedup", "data/seeds", "--strip-repeats", "-q", "-o"])
        .arg(&out)
        .assert()
        .success();
    let lines: Vec<serde_json::Value> = std::fs::read_to_string(&out)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 2);
    for l in &lines {
        let text = l["text"].as_str().unwrap();
        let original = seed(l["id"].as_str().unwrap());
        assert!(text.len() < original.len() * 6 / 10, "{}", l["id"]);
        assert_eq!(
            text.matches("Biden en Macron bespraken").count()
                + text.matches("Die de-escalatie").count(),
            1
        );
    }
}
