//! Normalization and tokenization: words with their byte spans in the
//! ORIGINAL text, each hashed from its normalized form.
//!
//! A word is a maximal run of alphanumeric characters (Unicode
//! `Alphabetic`/`Numeric`) and combining marks. Everything else (spaces,
//! punctuation, symbols) separates words, so glued sentences such as
//! `ontmijnen.Ondertussen` give two words, and `staakt-het-vuren` gives
//! three.
//!
//! Normalization is applied per word: Unicode NFKC, then (optionally)
//! accent folding, then full Unicode case folding (`caseless`, the
//! CaseFolding.txt C + F mappings: `ΤΗΣ` and `της` both give `τησ`, `straße`
//! gives `strasse`). Because each word is normalized on its own, its span in
//! the original text is exact: `&text[token.span.range()]` is the word as
//! written. ASCII words, the bulk of most text, take a fast path that
//! lowercases bytes without decoding characters (for ASCII, case folding is
//! lowercasing). `data/normalization.jsonl` lists worked cases.
//!
//! Cost: one pass over the bytes, no allocation per word (one reused buffer).

use caseless::Caseless;
use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

use crate::ids::Span;

/// How words are normalized before hashing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TextOptions {
    /// Apply Unicode NFKC (compatibility composition). Default on.
    pub nfkc: bool,
    /// Case folding (full Unicode case folding; lowercasing for ASCII).
    /// Default on.
    pub lowercase: bool,
    /// Remove accents (`é` → `e`). Default off.
    pub fold_accents: bool,
    /// Seed of the word hash.
    pub seed: u64,
}

impl Default for TextOptions {
    fn default() -> Self {
        TextOptions { nfkc: true, lowercase: true, fold_accents: false, seed: 0 }
    }
}

/// A word: the hash of its normalized form and its span in the original.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Token {
    /// [`word_hash`] of the normalized word, seeded with [`TextOptions::seed`].
    pub hash: u64,
    /// Byte span of the word in the original text.
    pub span: Span,
}

/// Splits text into normalized, hashed words. Holds reusable buffers; make
/// one per thread.
#[derive(Debug, Clone)]
pub struct Tokenizer {
    opts: TextOptions,
    word: String,
    scratch: String,
}

/// Which ASCII bytes are word characters.
const ASCII_WORD: [bool; 128] = {
    let mut t = [false; 128];
    let mut i = 0;
    while i < 128 {
        let c = i as u8;
        t[i] = c.is_ascii_alphanumeric();
        i += 1;
    }
    t
};

/// True for characters that belong to a word.
#[inline]
pub fn is_word_char(c: char) -> bool {
    if c.is_ascii() { ASCII_WORD[c as usize] } else { c.is_alphanumeric() || is_combining_mark(c) }
}

impl Tokenizer {
    /// A tokenizer with `opts`.
    pub fn new(opts: TextOptions) -> Tokenizer {
        Tokenizer { opts, word: String::new(), scratch: String::new() }
    }

    /// The options in use.
    pub fn options(&self) -> &TextOptions {
        &self.opts
    }

    /// Appends the words of `text` to `out`. If `normalized` is given, the
    /// normalized words are also appended to it, each followed by one space
    /// (for character shingles).
    pub fn tokenize_into(
        &mut self,
        text: &str,
        out: &mut Vec<Token>,
        mut normalized: Option<&mut String>,
    ) {
        let keep = normalized.is_some();
        self.each_word(text, keep, |tok, hash, start, end| {
            if let Some(n) = normalized.as_deref_mut() {
                n.push_str(&tok.word);
                n.push(' ');
            }
            out.push(Token { hash, span: Span::new(start, end) });
        });
    }

    /// Appends only the word hashes of `text` to `out` (the hot path of a
    /// scan, which needs no spans).
    pub fn hashes_into(&mut self, text: &str, out: &mut Vec<u64>) {
        self.each_word(text, false, |_, hash, _, _| out.push(hash));
    }

    /// Calls `f(self, hash, start, end)` for every word; with `keep`,
    /// `self.word` holds the normalized word during the call.
    #[inline]
    fn each_word(&mut self, text: &str, keep: bool, mut f: impl FnMut(&Self, u64, usize, usize)) {
        let bytes = text.as_bytes();
        let mut i = 0;
        while i < bytes.len() {
            // Skip separators.
            let b = bytes[i];
            if b < 0x80 {
                if !ASCII_WORD[b as usize] {
                    i += 1;
                    continue;
                }
            } else {
                let c = text[i..].chars().next().expect("BUG: index on a char boundary");
                if !is_word_char(c) {
                    i += c.len_utf8();
                    continue;
                }
            }
            // A word starts at i; find its end and whether it is ASCII. Runs
            // of ASCII letters and digits are skipped 8 bytes at a time.
            let start = i;
            let mut ascii = true;
            while i < bytes.len() {
                if i + 8 <= bytes.len() {
                    let v = u64::from_le_bytes(bytes[i..i + 8].try_into().expect("BUG: 8 bytes"));
                    let n = ascii_word_prefix(v);
                    i += n;
                    if n == 8 {
                        continue;
                    }
                }
                let b = bytes[i];
                if b < 0x80 {
                    if !ASCII_WORD[b as usize] {
                        break;
                    }
                    i += 1;
                } else {
                    let c = text[i..].chars().next().expect("BUG: index on a char boundary");
                    if !is_word_char(c) {
                        break;
                    }
                    ascii = false;
                    i += c.len_utf8();
                }
            }
            let hash = self.hash_word(text, start, i, ascii, keep);
            f(self, hash, start, i);
        }
    }

    /// Normalizes the word `text[start..end]` and hashes it. ASCII words are
    /// hashed straight from the original bytes (lowercased on the fly);
    /// `self.word` is filled only when the normalized text is wanted or the
    /// word is not ASCII.
    #[inline]
    fn hash_word(&mut self, text: &str, start: usize, end: usize, ascii: bool, keep: bool) -> u64 {
        if ascii {
            if keep {
                self.word.clear();
                self.word.push_str(&text[start..end]);
                if self.opts.lowercase {
                    self.word.make_ascii_lowercase();
                }
            }
            word_hash_at(text.as_bytes(), start, end, self.opts.lowercase, self.opts.seed)
        } else {
            self.hash_unicode(&text[start..end])
        }
    }

    #[inline(never)]
    fn hash_unicode(&mut self, word: &str) -> u64 {
        self.word.clear();
        self.normalize_unicode(word);
        word_hash(self.word.as_bytes(), false, self.opts.seed)
    }

    fn normalize_unicode(&mut self, word: &str) {
        self.scratch.clear();
        if self.opts.nfkc {
            self.scratch.extend(word.nfkc());
        } else {
            self.scratch.push_str(word);
        }
        if self.opts.fold_accents {
            let folded: String = self.scratch.nfd().filter(|&c| !is_combining_mark(c)).collect();
            self.scratch = folded;
        }
        if self.opts.lowercase {
            self.word.extend(self.scratch.chars().default_case_fold());
        } else {
            self.word.push_str(&self.scratch);
        }
    }

    /// The normalized form of one word, as it is hashed (for tests and
    /// display).
    pub fn normalize_word(&mut self, word: &str) -> String {
        self.hash_word(word, 0, word.len(), word.is_ascii(), true);
        self.word.clone()
    }
}

const HIGH: u64 = 0x8080_8080_8080_8080;
const ONES: u64 = 0x0101_0101_0101_0101;

/// How many leading bytes (in text order) of the 8 little-endian bytes `v`
/// are ASCII letters or digits. SWAR range tests: for a byte `x < 0x80`,
/// `x + (0x80 − lo)` has its high bit set exactly when `x ≥ lo`, and no
/// carry crosses into the next byte.
#[inline]
fn ascii_word_prefix(v: u64) -> usize {
    let ascii = !v & HIGH; // high bit set where the byte is ASCII
    let low7 = v & !HIGH; // every byte below 0x80, so additions never carry
    let ge = |x: u64, lo: u8| x + ONES * u64::from(0x80 - lo);
    let digit = ge(low7, b'0') & !ge(low7, b'9' + 1);
    let folded = low7 | (ONES * 0x20);
    let alpha = ge(folded, b'a') & !ge(folded, b'z' + 1);
    let word = (digit | alpha) & ascii & HIGH;
    ((!word & HIGH).trailing_zeros() / 8) as usize
}

const K1: u64 = crate::hash::GOLDEN;
const K2: u64 = 0xC2B2_AE3D_27D4_EB4F;

/// The hash of a normalized word: 8-byte little-endian chunks (the last one
/// padded with zero bytes) folded with a multiply-rotate mix, length and seed
/// mixed in, finished by `fmix64`.
///
/// With `ascii_lower`, every byte is OR-ed with `0x20` first: for ASCII
/// letters and digits (the only bytes of an ASCII word) that is exactly
/// lowercasing, since digits and lowercase letters already have that bit.
/// So an ASCII word hashes the same as its lowercased bytes, with no copy.
#[inline]
pub fn word_hash(bytes: &[u8], ascii_lower: bool, seed: u64) -> u64 {
    word_hash_at(bytes, 0, bytes.len(), ascii_lower, seed)
}

#[inline]
fn mix_chunk(h: u64, v: u64) -> u64 {
    (h ^ v).wrapping_mul(K2).rotate_left(29).wrapping_mul(K1)
}

/// [`word_hash`] of `text[start..end]`, reading the last chunk straight
/// from `text` (masked) when 8 bytes are there, to avoid a copy.
#[inline]
fn word_hash_at(text: &[u8], start: usize, end: usize, ascii_lower: bool, seed: u64) -> u64 {
    let mask = if ascii_lower { 0x2020_2020_2020_2020u64 } else { 0 };
    let mut h = seed ^ ((end - start) as u64).wrapping_mul(K1);
    let mut i = start;
    while i + 8 <= end {
        let v = u64::from_le_bytes(text[i..i + 8].try_into().expect("BUG: chunk of 8"));
        h = mix_chunk(h, v | mask);
        i += 8;
    }
    let rest = end - i;
    if rest > 0 {
        let keep = u64::MAX >> (64 - 8 * rest);
        let v = if i + 8 <= text.len() {
            u64::from_le_bytes(text[i..i + 8].try_into().expect("BUG: chunk of 8")) & keep
        } else {
            let mut buf = [0u8; 8];
            buf[..rest].copy_from_slice(&text[i..end]);
            u64::from_le_bytes(buf)
        };
        // Only the word's own bytes get the case bit, not the padding.
        h = mix_chunk(h, v | (mask & keep));
    }
    crate::hash::fmix64(h)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(text: &str) -> Vec<&str> {
        let mut t = Tokenizer::new(TextOptions::default());
        let mut out = Vec::new();
        t.tokenize_into(text, &mut out, None);
        out.iter().map(|tok| &text[tok.span.range()]).collect()
    }

    #[test]
    fn spans_slice_the_original_words() {
        let cases: &[(&str, &[&str])] = &[
            ("ontmijnen.Ondertussen plant", &["ontmijnen", "Ondertussen", "plant"]),
            ("staakt-het-vuren", &["staakt", "het", "vuren"]),
            ("  Israëlische   premier\n\n'Mijn plan'", &["Israëlische", "premier", "Mijn", "plan"]),
            ("100.000 militairen", &["100", "000", "militairen"]),
            ("e\u{301}e\u{301}n", &["e\u{301}e\u{301}n"]),
            ("", &[]),
            ("... !? ", &[]),
            ("ﬁets™ Ωmega", &["ﬁets", "Ωmega"]),
        ];
        for (text, want) in cases {
            assert_eq!(&words(text), want, "text {text:?}");
        }
    }

    #[test]
    fn normalization_equates_case_width_and_composition() {
        let mut t = Tokenizer::new(TextOptions::default());
        let same = [
            ("Israëlische", "israëlische"),
            ("ISRAE\u{308}LISCHE", "israëlische"),
            ("ﬁets", "fiets"),
            ("ＡＢＣ", "abc"),
            ("Ondertussen", "ondertussen"),
        ];
        for (a, b) in same {
            assert_eq!(t.normalize_word(a), t.normalize_word(b), "{a} vs {b}");
        }
        assert_ne!(t.normalize_word("één"), t.normalize_word("een"));
        let mut f = Tokenizer::new(TextOptions { fold_accents: true, ..TextOptions::default() });
        assert_eq!(f.normalize_word("één"), "een");
        assert_eq!(f.normalize_word("Israëlische"), "israelische");
    }

    #[test]
    fn ascii_fast_path_hashes_the_lowercased_bytes() {
        for w in ["Ondertussen", "VS", "a1B2c3D4e5F6g7H8i9", "x", "0123456789"] {
            let lower = w.to_ascii_lowercase();
            assert_eq!(word_hash(w.as_bytes(), true, 7), word_hash(lower.as_bytes(), false, 7));
        }
        // Unicode words take the slow path to the same hash as ASCII ones.
        let mut t = Tokenizer::new(TextOptions::default());
        let (mut a, mut b) = (Vec::new(), Vec::new());
        t.tokenize_into("ＶＳ", &mut a, None);
        t.tokenize_into("vs", &mut b, None);
        assert_eq!(a[0].hash, b[0].hash);
        assert_ne!(word_hash(b"ab", false, 0), word_hash(b"ab\0", false, 0));
        // Reading the tail from the surrounding text gives the same hash.
        let text = b"xx Hello there";
        assert_eq!(word_hash_at(text, 3, 8, true, 1), word_hash(b"hello", false, 1));
    }

    mod props {
        use super::*;
        use proptest::prelude::*;

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(256))]
            /// Any text: tokens in order, non-empty, on char boundaries, made
            /// of word characters only, and every word character is in a token.
            #[test]
            fn tokens_cover_exactly_the_word_characters(text in "\\PC{0,200}") {
                let mut t = Tokenizer::new(TextOptions::default());
                let mut out = Vec::new();
                t.tokenize_into(&text, &mut out, None);
                let mut prev = 0;
                let mut covered = 0;
                for tok in &out {
                    let r = tok.span.range();
                    prop_assert!(r.start >= prev && r.start < r.end && r.end <= text.len());
                    prop_assert!(text.is_char_boundary(r.start) && text.is_char_boundary(r.end));
                    prop_assert!(text[r.clone()].chars().all(is_word_char));
                    covered += text[r.clone()].chars().count();
                    prev = r.end;
                }
                prop_assert_eq!(covered, text.chars().filter(|&c| is_word_char(c)).count());
            }
        }
    }

    #[test]
    fn ascii_word_prefix_matches_byte_by_byte() {
        let naive = |b: &[u8]| b.iter().take_while(|c| c.is_ascii_alphanumeric()).count();
        let mut x = 12345u64;
        for _ in 0..20_000 {
            x = crate::hash::fmix64(x);
            // Bytes biased toward the interesting ranges.
            let bytes: [u8; 8] = std::array::from_fn(|i| {
                let r = (x >> (8 * i)) as u8;
                match r % 4 {
                    0 => b'0' + r % 12,
                    1 => b'A' + r % 28,
                    2 => b'`' + r % 30,
                    _ => r,
                }
            });
            assert_eq!(ascii_word_prefix(u64::from_le_bytes(bytes)), naive(&bytes), "{bytes:?}");
        }
        for b in 0..=255u8 {
            let v = u64::from_le_bytes([b, b'a', b'a', b'a', b'a', b'a', b'a', b'a']);
            assert_eq!(ascii_word_prefix(v) > 0, b.is_ascii_alphanumeric(), "byte {b}");
        }
    }

    #[test]
    fn hashes_into_equals_token_hashes() {
        let text = "De VS,zijn.Israëlische ﬁets 100.000";
        let mut t = Tokenizer::new(TextOptions::default());
        let (mut toks, mut hashes) = (Vec::new(), Vec::new());
        t.tokenize_into(text, &mut toks, None);
        t.hashes_into(text, &mut hashes);
        assert_eq!(toks.iter().map(|x| x.hash).collect::<Vec<_>>(), hashes);
    }

    #[test]
    fn normalized_text_joins_words() {
        let mut t = Tokenizer::new(TextOptions::default());
        let (mut out, mut norm) = (Vec::new(), String::new());
        t.tokenize_into("De VS,zijn.", &mut out, Some(&mut norm));
        assert_eq!(norm, "de vs zijn ");
    }
}
