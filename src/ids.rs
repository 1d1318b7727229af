//! Newtypes for document ids, document ranks and byte spans, with checked
//! conversions.

use serde::Serialize;

/// The index of a document in input order (0-based), among the documents
/// that were read successfully.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct DocId(pub u32);

impl DocId {
    /// The id as an index into per-document vectors.
    #[inline]
    pub fn index(self) -> usize {
        self.0 as usize
    }

    /// The id for index `i`, or `None` past `u32::MAX` documents.
    #[inline]
    pub fn from_index(i: usize) -> Option<DocId> {
        u32::try_from(i).ok().map(DocId)
    }
}

/// The place of a document in the passage stage's canonical order
/// ([`crate::passage::CanonicalOrder`]): documents ranked by their content,
/// so that passage results do not depend on the order of the input.
/// `CanonicalOrder::doc` maps a rank back to its [`DocId`]; the two are
/// different numbers for the same document and must not be mixed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Rank(pub u32);

impl Rank {
    /// The rank as an index into per-rank vectors.
    #[inline]
    pub fn index(self) -> usize {
        self.0 as usize
    }

    /// The rank for index `i`, or `None` past `u32::MAX` documents.
    #[inline]
    pub fn from_index(i: usize) -> Option<Rank> {
        u32::try_from(i).ok().map(Rank)
    }
}

/// A byte range `start..end` into the ORIGINAL text of a document, always on
/// character boundaries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize)]
pub struct Span {
    /// First byte.
    pub start: u32,
    /// One past the last byte.
    pub end: u32,
}

impl Span {
    /// A span from `start..end`.
    ///
    /// # Panics
    /// If `start > end` or either does not fit in `u32` (documents are limited
    /// to 4 GiB by the sources, so this is a bug).
    #[inline]
    pub fn new(start: usize, end: usize) -> Span {
        assert!(start <= end, "BUG: span start {start} after end {end}");
        Span {
            start: u32::try_from(start).expect("BUG: span past 4 GiB"),
            end: u32::try_from(end).expect("BUG: span past 4 GiB"),
        }
    }

    /// The span as a `usize` range, for slicing.
    #[inline]
    pub fn range(self) -> std::ops::Range<usize> {
        self.start as usize..self.end as usize
    }

    /// Length in bytes.
    #[inline]
    pub fn len(self) -> usize {
        (self.end - self.start) as usize
    }

    /// True if the span holds no bytes.
    #[inline]
    pub fn is_empty(self) -> bool {
        self.start == self.end
    }
}
