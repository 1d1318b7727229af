//! Any UTF-8 text: tokens are in order, non-empty, inside the text, on
//! character boundaries, and start and end with word characters.
#![no_main]

use libfuzzer_sys::fuzz_target;
use neardup::text::{TextOptions, Tokenizer, is_word_char};

fuzz_target!(|text: &str| {
    for opts in [TextOptions::default(), TextOptions { fold_accents: true, nfkc: false, ..TextOptions::default() }] {
        let mut t = Tokenizer::new(opts);
        let (mut out, mut norm) = (Vec::new(), String::new());
        t.tokenize_into(text, &mut out, Some(&mut norm));
        let mut prev = 0;
        for tok in &out {
            let r = tok.span.range();
            assert!(r.start >= prev && r.start < r.end && r.end <= text.len());
            assert!(text.is_char_boundary(r.start) && text.is_char_boundary(r.end));
            let w = &text[r.clone()];
            assert!(w.chars().all(is_word_char));
            prev = r.end;
        }
    }
});
