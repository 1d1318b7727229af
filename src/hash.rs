//! Hash primitives shared by every stage: one place, so that no stage takes
//! a primitive from another (the tokenizer from the shingler, MinHash from
//! the shingler, and so on).
//!
//! Every hash here is seeded explicitly and gives the same value on every
//! machine, process and run (never `RandomState`): signatures, band keys
//! and fingerprints made on two hosts, or today and next year, compare.

use xxhash_rust::xxh3::xxh3_64_with_seed;

/// 2^64 / φ, odd: the increment of SplitMix64 and a multiplier that spreads
/// small integers (Fibonacci hashing).
pub const GOLDEN: u64 = 0x9E37_79B9_7F4A_7C15;

/// The MurmurHash3 64-bit finalizer: a bijection that spreads every input
/// bit over the output.
#[inline]
pub fn fmix64(mut h: u64) -> u64 {
    h ^= h >> 33;
    h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
    h ^= h >> 33;
    h = h.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    h ^= h >> 33;
    h
}

/// One step of SplitMix64: advances `state` and returns the next value of
/// the sequence (a fast, well-mixed stream for seeded parameters).
#[inline]
pub fn splitmix64(state: &mut u64) -> u64 {
    *state = state.wrapping_add(GOLDEN);
    fmix64(*state)
}

/// XXH3 (64 bits) of `bytes` with `seed`.
#[inline]
pub fn bytes(bytes: &[u8], seed: u64) -> u64 {
    xxh3_64_with_seed(bytes, seed)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Pinned values: signatures and stage files written by one build are
    /// read by another, so these must never change.
    #[test]
    fn values_are_pinned() {
        assert_eq!(fmix64(0), 0);
        assert_eq!(fmix64(1), 0xb456_bcfc_34c2_cb2c);
        let mut s = 0;
        assert_eq!(splitmix64(&mut s), fmix64(GOLDEN));
        assert_eq!(s, GOLDEN);
        // XXH3-64 of the empty input with seed 0 (the reference value).
        assert_eq!(bytes(b"", 0), 0x2d06_8005_38d3_94c2);
    }

    #[test]
    fn fmix64_is_a_bijection_on_a_sample() {
        let mut out: Vec<u64> = (0..10_000u64).map(fmix64).collect();
        out.sort_unstable();
        out.dedup();
        assert_eq!(out.len(), 10_000);
    }
}
