//! SimHash: a 64-bit fingerprint per document (shingles weighted by
//! frequency, optionally tf-idf), pairs within a Hamming distance found
//! with multi-index hashing ([`crate::simindex`]); exact in the distance,
//! so no verification follows.

use super::{
    Column, MethodPairs, PairInput, ScoredPair, Shingled, SimilarityMethod, column, column_mut,
};
use crate::config::Config;
use crate::error::Result;
use crate::ids::DocId;
use crate::report::model::{Pair, Stats};
use crate::simhash::{self, Weighting};
use crate::simindex::{self, SimIndexParams};

/// SimHash (see the module doc).
#[derive(Debug)]
pub struct SimHashMethod {
    k: u32,
    tfidf: bool,
}

impl SimHashMethod {
    /// The method with `cfg`'s Hamming distance and weighting.
    pub fn new(cfg: &Config) -> SimHashMethod {
        SimHashMethod { k: cfg.hamming_bits(), tfidf: cfg.weighting == Weighting::TfIdf }
    }

    /// The index for `fingerprints` documents with `cfg`'s distance (as
    /// [`SimHashMethod::pairs`] builds it, and the report states it).
    pub fn index(cfg: &Config, fingerprints: usize) -> SimIndexParams {
        SimIndexParams::new(cfg.hamming_bits(), fingerprints)
    }
}

impl SimilarityMethod for SimHashMethod {
    fn name(&self) -> &'static str {
        "simhash"
    }

    fn needs_document_frequencies(&self) -> bool {
        self.tfidf
    }

    fn column(&self) -> Box<dyn Column> {
        Box::new(Vec::<u64>::new())
    }

    fn sketch(&self, doc: Shingled<'_>, scratch: &mut Vec<u64>, out: &mut dyn Column) {
        let fp = match doc.df {
            Some(df) if self.tfidf => simhash::fingerprint(doc.shingles, |h| df.idf(h), scratch),
            _ => simhash::fingerprint(doc.shingles, |_| 1.0, scratch),
        };
        column_mut(out).push(fp);
    }

    fn pairs<'m>(&'m self, input: &PairInput<'_>, stats: &mut Stats) -> Result<MethodPairs<'m>> {
        let fps: &[u64] = column(input.sketches);
        // Documents left out are not indexed at all.
        let kept: Vec<u32> =
            (0..fps.len() as u32).filter(|&d| !input.is_left_out(d as usize)).collect();
        let index = SimIndexParams::new(self.k, kept.len()); // as `SimHashMethod::index`
        let pairs = if kept.len() == fps.len() {
            simindex::near_pairs(fps, input.rank, &index)
        } else {
            let some: Vec<u64> = kept.iter().map(|&d| fps[d as usize]).collect();
            let rank: Option<Vec<u32>> =
                input.rank.map(|r| kept.iter().map(|&d| r[d as usize]).collect());
            simindex::near_pairs(&some, rank.as_deref(), &index)
                .into_iter()
                .map(|(a, b, d)| (DocId(kept[a.index()]), DocId(kept[b.index()]), d))
                .collect()
        };
        stats.simhash_pairs = pairs.len() as u64;
        stats.simhash_table_bytes = index.table_bytes(kept.len());
        Ok(MethodPairs::Done(
            pairs.into_iter().map(|(a, b, d)| ScoredPair { a, b, score: f64::from(d) }).collect(),
        ))
    }

    fn similarity(&self, sketches: &dyn Column, a: DocId, b: DocId) -> f64 {
        let fps: &[u64] = column(sketches);
        1.0 - f64::from(simhash::hamming(fps[a.index()], fps[b.index()])) / 64.0
    }

    fn certain(&self, sketches: &dyn Column, a: DocId, b: DocId) -> Option<f64> {
        let fps: &[u64] = column(sketches);
        let d = simhash::hamming(fps[a.index()], fps[b.index()]);
        (d <= self.k).then(|| 1.0 - f64::from(d) / 64.0)
    }

    fn score_similarity(&self, score: f64) -> f64 {
        1.0 - score / 64.0
    }

    fn describe(&self, score: f64, pair: &mut Pair) {
        // The score is the distance, a whole number of bits.
        pair.hamming = Some(score as u32);
    }
}
