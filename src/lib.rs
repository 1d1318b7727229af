//! neardup finds near-duplicate documents and repeated passages in large
//! text collections.
//!
//! Data flows one way, stage by stage, each stage a module with a small,
//! typed interface:
//!
//! [`source`] → [`text`] → [`shingle`] → [`method`] ([`minhash`] → [`lsh`]
//! → [`verify`]; [`simhash`] → [`simindex`]) → [`cluster`] → [`report`],
//! and [`text`] → [`passage`]; each stage driven over the whole input by
//! [`stage`], its reads planned by [`plan`], all wired together (in
//! parallel, streaming) by [`pipeline`]. Options are checked and frozen in
//! [`config`]; intermediate results have a versioned on-disk form in
//! [`stagefile`]. ARCHITECTURE.md walks the stages in data-flow order.
//!
//! # Example
//!
//! ```
//! use neardup::minhash::{MinHasher, Variant, jaccard_estimate};
//! use neardup::shingle::word_shingles;
//! use neardup::text::{TextOptions, Tokenizer};
//!
//! let sketch = |text: &str| {
//!     let mut tokens = Vec::new();
//!     Tokenizer::new(TextOptions::default()).tokenize_into(text, &mut tokens, None);
//!     let words: Vec<u64> = tokens.iter().map(|t| t.hash).collect();
//!     let mut shingles = Vec::new();
//!     word_shingles(&words, 3, 0, &mut shingles);
//!     MinHasher::new(128, 0, Variant::OnePermutation).sign(&shingles)
//! };
//! let a = sketch("De VS zijn de belangrijkste bondgenoot van Israël en hebben gezegd");
//! let b = sketch("de VS zijn de belangrijkste bondgenoot van Israël, en hebben gezegd!");
//! assert_eq!(jaccard_estimate(&a, &b), 1.0); // case and punctuation do not count
//! ```

pub mod boilerplate;
pub mod cluster;
pub mod config;
pub mod error;
pub mod eval;
pub mod hash;
pub mod ids;
pub mod lsh;
pub mod method;
pub mod minhash;
pub mod passage;
pub mod pipeline;
pub mod plan;
pub mod progress;
pub mod report;
pub mod shingle;
pub mod simhash;
pub mod simindex;
pub mod source;
pub mod stage;
pub mod stagefile;
pub mod tempfiles;
pub mod text;
pub mod verify;

pub use config::{Config, Method, Options};
pub use error::{Error, Result, Skip, SkipReason};
pub use ids::{DocId, Span};
pub use pipeline::{Outcome, scan, scan_source, scan_with_methods};
pub use stage::dedup::write_deduplicated;
pub use stage::read::read_texts;
