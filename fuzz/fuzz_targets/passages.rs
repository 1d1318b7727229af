//! Any texts: every passage span is inside its document, on character
//! boundaries, non-empty; occurrences in one document do not coincide.
#![no_main]

use libfuzzer_sys::fuzz_target;
use neardup::passage::{PassageOptions, find_in_texts};
use neardup::text::TextOptions;

fuzz_target!(|data: (String, String, u8)| {
    let (a, b, n) = data;
    // Let repeats happen: append a glued copy of the first text.
    let a = format!("{a} {} {a}", a.replace(' ', ""));
    let texts = [a.as_str(), b.as_str()];
    let opts = PassageOptions { min_words: 5 + usize::from(n % 20), k: 3 + usize::from(n % 3) };
    for g in find_in_texts(&texts, &opts, &TextOptions::default()) {
        assert!(g.occurrences.len() >= 2);
        for w in g.occurrences.windows(2) {
            assert!(w[0] < w[1]);
        }
        for (d, s) in g.occurrences {
            let t = texts[d.index()];
            assert!(s.start < s.end && s.end as usize <= t.len());
            assert!(t.is_char_boundary(s.start as usize) && t.is_char_boundary(s.end as usize));
        }
    }
});
