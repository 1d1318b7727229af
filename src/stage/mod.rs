//! Stage drivers, one file each, in data-flow order. Each drives one
//! stage over the whole input (in parallel, streaming) and hands a typed
//! result to the next; [`crate::pipeline`] only wires them.
//!
//! | stage | reads | makes |
//! |---|---|---|
//! | [`read`] | the [`crate::source::Source`] | batches of raw records |
//! | `sketch` | every record once | per document: id, length, each method's sketch, passage fingerprints |
//! | `candidates` | the sketches (MinHash: some documents again) | verified pairs of all methods |
//! | `report` | pairs and sketches | clusters, representatives, counts |
//! | `passages` | fingerprints, then the documents in a chain again | passage groups with byte spans |
//! | [`dedup`] | every record again | the deduplicated collection |
//! | [`files`] | sketches, pairs, fingerprints | stage files (`--save-stages`) |

pub(crate) mod candidates;
pub mod dedup;
pub mod files;
pub(crate) mod passages;
pub mod read;
pub(crate) mod report;
pub(crate) mod sketch;
