//! Repeated passages: seeds and chains from the fingerprints the first
//! read made; a second read tokenizes the documents that take part in a
//! chain and refines each chain as soon as both its documents are read;
//! then grouping, byte spans, and a third read for the text of each
//! passage's first occurrence (see [`crate::passage`]).

use std::collections::{BTreeMap, HashMap};

use rayon::prelude::*;

use super::read::{Reread, RereadJob, read_batches};
use super::sketch::Sketches;
use super::sketch::Worker;
use crate::config::Config;
use crate::error::Result;
use crate::ids::{DocId, Span};
use crate::passage::{
    CanonicalOrder, DocWords, PassageOptions, Refined, align, fingerprint::Fingerprint,
};
use crate::progress::Progress;
use crate::report::model::{self, Stats};
use crate::source::{RawRecord, Source};

/// The passages of a run, for the report, and what `--strip-repeats`
/// removes.
pub(crate) struct Passages {
    /// The report entries.
    pub passages: Vec<model::Passage>,
    /// Per input record: byte spans of passages that repeat earlier text of
    /// the same document, sorted.
    pub repeats: BTreeMap<usize, Vec<Span>>,
}

/// Passages between the sketch read and the re-read: the chains to refine,
/// in the order the documents are read.
pub(crate) struct Pending<'p> {
    popts: &'p PassageOptions,
    order: CanonicalOrder,
    /// Chains sorted by their later document, then ranks and first seed.
    by_b: Vec<align::Chain>,
    /// Per chain, its documents (raw indices, `a ≤ b`), for the re-read.
    keys: Vec<(u32, u32)>,
    refined: Refined,
}

/// Seeds and chains from the fingerprints the first read made (taken out
/// of `sketches`).
pub(crate) fn prepare<'p>(
    popts: &'p PassageOptions,
    sketches: &mut Sketches,
    progress: &dyn Progress,
) -> Pending<'p> {
    progress.stage("passages");
    let docs = &mut sketches.docs;
    let fps: Vec<Box<[Fingerprint]>> =
        docs.iter_mut().map(|d| std::mem::take(&mut d.fingerprints)).collect();
    let hashes: Vec<u64> = docs.iter().map(|d| d.words_hash).collect();
    let order = CanonicalOrder::new(&fps, &hashes);
    let seeds = align::seeds(&order.permute(fps));
    let candidates = order.spread(align::chains(&seeds, popts));
    drop(seeds);
    // The re-read gives the words of involved documents, refined as soon
    // as both documents of a candidate are read. Candidates are in ranks
    // (see `CanonicalOrder`); reading goes by document.
    let docs = |c: &align::Chain| {
        let (x, y) = (order.doc(c.a), order.doc(c.b));
        (x.min(y), x.max(y))
    };
    let mut by_b = candidates;
    by_b.sort_by_key(|c| (docs(c).1, c.a, c.b, c.first));
    // The re-read takes raw document indices.
    let keys: Vec<(u32, u32)> = by_b
        .iter()
        .map(|c| {
            let (x, y) = docs(c);
            // A copy takes only the member's words (`Refined::refine`).
            if c.is_copy() { (y.0, y.0) } else { (x.0, y.0) }
        })
        .collect();
    let refined = Refined::new(&order);
    Pending { popts, order, by_b, keys, refined }
}

impl Pending<'_> {
    /// The re-read pass: the words of the documents in a chain, each chain
    /// refined as soon as both its documents are read.
    pub fn pass(&mut self) -> impl Reread + '_ {
        let (by_b, order, popts, refined) =
            (&self.by_b, &self.order, self.popts, &mut self.refined);
        RereadJob::new(
            std::mem::take(&mut self.keys),
            "passages",
            |w: &mut Worker<'_>, text: &str| DocWords::new(&mut w.tokenizer, text),
            move |range, _: &[(u32, u32)], live: &HashMap<u32, DocWords>| {
                refined.refine(&by_b[range], popts, |r| live.get(&order.doc(r).0))
            },
        )
    }

    /// After the re-read: groups, byte spans, the text of each passage's
    /// first occurrence (one more read), and the passage counts of `stats`
    /// (whose `bytes` must already be the total).
    pub fn finish(
        self,
        cfg: &Config,
        source: &dyn Source,
        sketches: &Sketches,
        progress: &dyn Progress,
        stats: &mut Stats,
    ) -> Result<Passages> {
        let found = self.groups(cfg, source, &sketches.record_doc, progress)?;
        let docs = &sketches.docs;
        stats.repeated_passages = found.groups.len() as u64;
        stats.passage_occurrences = found.groups.iter().map(|g| g.occurrences.len() as u64).sum();
        let (within, across) = (found.within, found.across);
        stats.repeated_bytes_within = covered_bytes(&within);
        stats.repeated_bytes_across = covered_bytes(&across);
        stats.repeated_share_within =
            model::round4(stats.repeated_bytes_within as f64 / stats.bytes.max(1) as f64);
        stats.repeated_share_across =
            model::round4(stats.repeated_bytes_across as f64 / stats.bytes.max(1) as f64);
        // What --strip-repeats removes is exactly the within-document repeats.
        let repeats =
            within.into_iter().map(|(d, spans)| (found.record_of[d.index()], spans)).collect();
        let passages = found
            .groups
            .into_iter()
            .enumerate()
            .map(|(i, g)| model::Passage {
                id: i,
                words: g.words,
                documents: {
                    let mut d: Vec<DocId> = g.occurrences.iter().map(|o| o.doc).collect();
                    d.dedup();
                    d.len()
                },
                text: g.text,
                occurrences: g
                    .occurrences
                    .iter()
                    .map(|o| model::Occurrence {
                        doc: docs[o.doc.index()].id.clone(),
                        start: o.span.start,
                        end: o.span.end,
                    })
                    .collect(),
            })
            .collect();
        Ok(Passages { passages, repeats })
    }
}

/// A passage group with byte spans, before it becomes a report entry.
struct FoundGroup {
    words: usize,
    text: String,
    occurrences: Vec<FoundOccurrence>,
}

#[derive(Clone, Copy)]
struct FoundOccurrence {
    doc: DocId,
    span: Span,
    /// Where the next word starts (see `PassageGroup::next_word`).
    next_word: u32,
}

struct Found {
    groups: Vec<FoundGroup>,
    /// Record index of every document (by [`DocId`] index).
    record_of: Vec<usize>,
    /// Later copies that repeat earlier text of their document word for
    /// word (see [`repeated_spans`]).
    within: SpansByDoc,
    /// Text shared with an earlier document (see [`repeated_spans`]).
    across: SpansByDoc,
}

/// Longest passage text put in the report (bytes, cut on a char boundary).
pub const PASSAGE_TEXT_MAX: usize = 400;

fn preview(text: &str) -> String {
    if text.len() <= PASSAGE_TEXT_MAX {
        return text.to_owned();
    }
    let mut end = PASSAGE_TEXT_MAX;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &text[..end])
}

impl Pending<'_> {
    /// Grouping and byte spans of the refined chains, and a read for the
    /// text of each passage's first occurrence.
    fn groups(
        self,
        cfg: &Config,
        source: &dyn Source,
        record_doc: &[Option<DocId>],
        progress: &dyn Progress,
    ) -> Result<Found> {
        progress.stage("passage groups");
        let (popts, order, refined) = (self.popts, self.order, self.refined);
        let record_of: Vec<usize> =
            record_doc.iter().enumerate().filter_map(|(r, d)| d.map(|_| r)).collect();
        let groups = refined.into_groups(popts, &order);
        progress.work(groups.len() as u64, Some(groups.len() as u64), "groups");
        let mut groups: Vec<FoundGroup> = groups
            .into_iter()
            .map(|g| FoundGroup {
                words: g.words,
                text: String::new(),
                occurrences: g
                    .occurrences
                    .into_iter()
                    .zip(g.next_word)
                    .map(|((doc, span), next_word)| FoundOccurrence { doc, span, next_word })
                    .collect(),
            })
            .collect();
        let (candidates, across) = repeated_spans(&groups);

        // Third read: the text of each group's first occurrence, for the
        // report, and the words of every later copy inside one document and
        // of the first copy, for `within`.
        let mut wanted: HashMap<DocId, Wanted> = HashMap::new();
        for (i, g) in groups.iter().enumerate() {
            let o = &g.occurrences[0];
            wanted.entry(o.doc).or_default().previews.push((i, o.span));
        }
        for (d, copies) in candidates {
            wanted.entry(d).or_default().copies = copies;
        }
        let mut within = SpansByDoc::new();
        if !wanted.is_empty() {
            progress.stage("passage texts");
            let mut index = 0usize;
            read_batches(source, cfg.batch_bytes, |batch| {
                let needed: Vec<(DocId, &RawRecord, &Wanted)> = batch
                    .iter()
                    .enumerate()
                    .filter_map(|(i, item)| {
                        let doc = record_doc.get(index + i).copied().flatten()?;
                        Some((doc, item.as_ref().ok()?, wanted.get(&doc)?))
                    })
                    .collect();
                index += batch.len();
                // Parsed in parallel; each group's text has one place.
                type Texts = (Vec<(usize, String)>, Vec<Span>);
                let texts: Vec<(DocId, Texts)> = needed
                    .par_iter()
                    .map(|&(doc, raw, w)| {
                        let Ok(d) = raw.parse(source.options()) else {
                            return (doc, (Vec::new(), Vec::new()));
                        };
                        let previews = w
                            .previews
                            .iter()
                            .filter_map(|&(g, span)| Some((g, preview(d.text.get(span.range())?))))
                            .collect();
                        (doc, (previews, repeats_of_earlier_words(&d.text, &w.copies, cfg)))
                    })
                    .collect();
                for (doc, (previews, copies)) in texts {
                    for (g, text) in previews {
                        groups[g].text = text;
                    }
                    if !copies.is_empty() {
                        within.insert(doc, copies);
                    }
                }
                progress.work(index as u64, Some(record_doc.len() as u64), "records");
                Ok(())
            })?;
        }
        Ok(Found { groups, record_of, within, across })
    }
}

/// What the third read takes from one document.
#[derive(Default)]
struct Wanted {
    /// `(group, span)` of the groups whose first occurrence is here.
    previews: Vec<(usize, Span)>,
    /// Per passage with two or more places in this document, those places
    /// in order (see [`repeated_spans`]).
    copies: Vec<Vec<Place>>,
}

/// An occurrence of a passage in a document that holds it twice or more.
#[derive(Clone, Copy, Debug)]
struct Place {
    /// First to last word.
    span: Span,
    /// With the spaces and punctuation after it, up to the next word: what
    /// `--strip-repeats` removes of a later copy.
    remove: Span,
}

/// The `remove` spans of the later places of each passage in `text` (the
/// lists of `copies`) that repeat earlier text word for word: the same words
/// as an earlier place, a run of the words of the first, or the first with
/// words left out (at most a tenth of them: a site's second copy of a body
/// that lost a phrase). A place with a changed or an added word (found as
/// the same passage) is kept, so stripping never removes a word that does
/// not occur before it. Sorted.
fn repeats_of_earlier_words(text: &str, copies: &[Vec<Place>], cfg: &Config) -> Vec<Span> {
    let mut tok = crate::text::Tokenizer::new(cfg.text);
    let mut out: Vec<Span> = Vec::new();
    for places in copies {
        let words: Vec<Vec<u64>> = places
            .iter()
            .map(|p| {
                let mut w = Vec::new();
                if let Some(t) = text.get(p.span.range()) {
                    tok.hashes_into(t, &mut w);
                }
                w
            })
            .collect();
        let mut seen: std::collections::HashSet<&[u64]> = std::collections::HashSet::new();
        seen.insert(&words[0]);
        for (p, w) in places.iter().zip(&words).skip(1) {
            if !w.is_empty()
                && (seen.contains(&w[..]) || contains_run(&words[0], w) || shortened(&words[0], w))
            {
                out.push(p.remove);
            }
            seen.insert(w);
        }
    }
    out.sort();
    out
}

/// Whether `copy` is `first` with at most a tenth of its words left out
/// (the rest in order).
fn shortened(first: &[u64], copy: &[u64]) -> bool {
    if copy.len() > first.len() || 10 * (first.len() - copy.len()) > first.len() {
        return false;
    }
    let mut rest = first.iter();
    copy.iter().all(|w| rest.any(|f| f == w))
}

/// Whether `needle` occurs in `hay` as a contiguous run (Knuth–Morris–Pratt,
/// linear in both).
fn contains_run(hay: &[u64], needle: &[u64]) -> bool {
    if needle.len() > hay.len() {
        return false;
    }
    let mut fail = vec![0usize; needle.len()];
    let mut k = 0;
    for i in 1..needle.len() {
        while k > 0 && needle[i] != needle[k] {
            k = fail[k - 1];
        }
        if needle[i] == needle[k] {
            k += 1;
        }
        fail[i] = k;
    }
    let mut k = 0;
    for &h in hay {
        while k > 0 && h != needle[k] {
            k = fail[k - 1];
        }
        if h == needle[k] {
            k += 1;
            if k == needle.len() {
                return true;
            }
        }
    }
    false
}

/// Spans of repeated text per document, sorted.
type SpansByDoc = BTreeMap<DocId, Vec<Span>>;

/// Repeated text per document: per passage with two or more places in a
/// document, those places (checked word for word in the third read: the
/// later ones are what `--strip-repeats` removes), and `across`: in every
/// document but the group's first, the first occurrence of the group there
/// (text the document shares with an earlier one).
fn repeated_spans(groups: &[FoundGroup]) -> (BTreeMap<DocId, Vec<Vec<Place>>>, SpansByDoc) {
    let mut within: BTreeMap<DocId, Vec<Vec<Place>>> = BTreeMap::new();
    let mut across = SpansByDoc::new();
    for g in groups {
        let first_doc = g.occurrences[0].doc;
        // Occurrences come by document, then offset.
        for here in g.occurrences.chunk_by(|x, y| x.doc == y.doc) {
            let doc = here[0].doc;
            if doc != first_doc {
                across.entry(doc).or_default().push(here[0].span);
            }
            if here.len() > 1 {
                let places = here
                    .iter()
                    .map(|o| Place {
                        span: o.span,
                        remove: Span { start: o.span.start, end: o.next_word.max(o.span.end) },
                    })
                    .collect();
                within.entry(doc).or_default().push(places);
            }
        }
    }
    for spans in across.values_mut() {
        spans.sort();
    }
    (within, across)
}

/// Bytes covered by the spans, overlapping spans counted once per document.
fn covered_bytes(spans: &SpansByDoc) -> u64 {
    spans
        .values()
        .map(|spans| {
            let mut total = 0u64;
            let mut end = 0u32;
            for s in spans {
                let start = s.start.max(end);
                if s.end > start {
                    total += u64::from(s.end - start);
                    end = s.end;
                }
            }
            total
        })
        .sum()
}
