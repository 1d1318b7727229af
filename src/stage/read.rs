//! Reading: every pass over the input goes through here. One thread walks
//! the [`Source`] and hands batches of raw records (about
//! [`crate::Options::batch_bytes`] each) to the caller, who parses and
//! works on them in parallel while the next batch is read.
//!
//! Reads after the first (`reread`, [`read_texts`]) match records
//! to documents by their place in the input, so the input must not change
//! between reads; a change in the record count is an error.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::mpsc;

use rayon::prelude::*;

use super::sketch::Worker;
use crate::config::Config;
use crate::error::{Error, Result, Skip};
use crate::ids::DocId;
use crate::progress::Progress;
use crate::source::{Document, Input, Inputs, RawRecord, Source, SourceOptions};

/// A batch of raw records, in input order.
pub(crate) type Batch = Vec<Result<RawRecord, Skip>>;

/// Reads `source` on a separate thread and hands batches of about
/// `batch_bytes` to `each`, in order. An error from `each` stops the
/// reading.
pub(crate) fn read_batches(
    source: &dyn Source,
    batch_bytes: usize,
    mut each: impl FnMut(Batch) -> Result<()>,
) -> Result<()> {
    let (tx, rx) = mpsc::sync_channel::<Batch>(2);
    std::thread::scope(|s| {
        s.spawn(move || {
            let mut batch = Vec::new();
            let mut size = 0;
            for item in source.records() {
                size += item.as_ref().map_or(0, |r| r.bytes.len()) + 64;
                batch.push(item);
                if size >= batch_bytes {
                    if tx.send(std::mem::take(&mut batch)).is_err() {
                        return; // the consumer stopped (an error)
                    }
                    size = 0;
                }
            }
            if !batch.is_empty() {
                let _ = tx.send(batch);
            }
        });
        // On an error, dropping the receiver makes the reader's next send
        // fail, so it stops instead of reading the rest of the input.
        for batch in rx {
            each(batch)?;
        }
        Ok(())
    })
}

/// A pass over some documents again, by pairs: `pairs` (document indices,
/// sorted by their later document, `a ≤ b`) are handed to `each(range,
/// pairs, live)` in consecutive ranges as soon as both documents of every
/// pair in the range have been read; `live` maps each needed document to
/// `make(worker, text)`. A document's value is dropped after the last pair
/// that needs it, so memory holds only the documents still waiting for a
/// partner. Run alone or with others in one read ([`reread`]).
pub(crate) struct RereadJob<T, M, E> {
    pairs: Vec<(u32, u32)>,
    purpose: &'static str,
    make: M,
    each: E,
    last_use: Vec<Option<u32>>,
    live: HashMap<u32, T>,
    next: usize,
}

impl<T, M, E> RereadJob<T, M, E>
where
    T: Send,
    M: Fn(&mut Worker<'_>, &str) -> T + Sync,
    E: FnMut(std::ops::Range<usize>, &[(u32, u32)], &HashMap<u32, T>),
{
    /// A job over `pairs` (see the type's doc); `purpose` names it in the
    /// error raised when the input changed between reads.
    pub(crate) fn new(
        pairs: Vec<(u32, u32)>,
        purpose: &'static str,
        make: M,
        each: E,
    ) -> RereadJob<T, M, E> {
        debug_assert!(pairs.windows(2).all(|w| w[0].1 <= w[1].1));
        RereadJob {
            pairs,
            purpose,
            make,
            each,
            last_use: Vec::new(),
            live: HashMap::new(),
            next: 0,
        }
    }
}

/// A [`RereadJob`] as the fused reader drives it.
pub(crate) trait Reread: Send {
    /// Pairs in all, and pairs handed over so far.
    fn progress(&self) -> (usize, usize);
    /// What the pass is for (in errors).
    fn purpose(&self) -> &'static str;
    /// Before the read: `n_docs` documents in the input.
    fn start(&mut self, n_docs: usize);
    /// One batch, whose first record is record `index`; `last_doc` is the
    /// last document read so far (none if every record so far was a skip).
    fn batch(&mut self, ctx: &BatchContext<'_>);
}

/// What every pass sees of one batch.
pub(crate) struct BatchContext<'a> {
    cfg: &'a Config,
    opts: &'a SourceOptions,
    record_doc: &'a [Option<DocId>],
    index: usize,
    batch: &'a Batch,
    last_doc: Option<u32>,
}

impl<T, M, E> Reread for RereadJob<T, M, E>
where
    T: Send,
    M: Fn(&mut Worker<'_>, &str) -> T + Sync + Send,
    E: FnMut(std::ops::Range<usize>, &[(u32, u32)], &HashMap<u32, T>) + Send,
{
    fn progress(&self) -> (usize, usize) {
        (self.pairs.len(), self.next)
    }

    fn purpose(&self) -> &'static str {
        self.purpose
    }

    fn start(&mut self, n_docs: usize) {
        self.last_use = vec![None; n_docs];
        for &(a, b) in &self.pairs {
            for d in [a, b] {
                let slot = &mut self.last_use[d as usize];
                *slot = Some(slot.map_or(b, |x| x.max(b)));
            }
        }
    }

    fn batch(&mut self, ctx: &BatchContext<'_>) {
        if self.next == self.pairs.len() {
            return;
        }
        let last_use = &self.last_use;
        let wanted: Vec<(u32, &RawRecord)> = ctx
            .batch
            .iter()
            .enumerate()
            .filter_map(|(i, item)| {
                let doc = ctx.record_doc.get(ctx.index + i).copied().flatten()?;
                let raw = item.as_ref().ok()?;
                last_use[doc.index()].is_some().then_some((doc.0, raw))
            })
            .collect();
        let make = &self.make;
        let done: Vec<(u32, Option<T>)> = wanted
            .par_iter()
            .map_init(
                || Worker::new(ctx.cfg, ctx.opts, &[], None),
                |w, &(d, raw)| (d, raw.parse(ctx.opts).ok().map(|doc| make(w, &doc.text))),
            )
            .collect();
        self.live.extend(done.into_iter().filter_map(|(d, v)| v.map(|v| (d, v))));
        let Some(last_doc) = ctx.last_doc else { return };
        let next = self.next;
        let end = next + self.pairs[next..].partition_point(|p| p.1 <= last_doc);
        if end > next {
            (self.each)(next..end, &self.pairs[next..end], &self.live);
        }
        self.next = end;
        self.live.retain(|&d, _| last_use[d as usize].is_some_and(|l| l > last_doc));
    }
}

/// Reads the input once for all `passes` (fused: each batch goes to every
/// pass), as the progress stage `stage`; its `pairs` count all passes'
/// pairs. Reads nothing when no pass has a pair.
pub(crate) fn reread(
    cfg: &Config,
    source: &dyn Source,
    record_doc: &[Option<DocId>],
    stage: &str,
    progress: &dyn Progress,
    passes: &mut [&mut dyn Reread],
) -> Result<()> {
    let Some(purpose) = passes.iter().find(|p| p.progress().0 > 0).map(|p| p.purpose()) else {
        return Ok(());
    };
    progress.stage(stage);
    let n_docs = record_doc.iter().filter(|d| d.is_some()).count();
    for p in passes.iter_mut() {
        p.start(n_docs);
    }
    let total: usize = passes.iter().map(|p| p.progress().0).sum();
    let opts = source.options();
    let mut index = 0usize;
    read_batches(source, cfg.batch_bytes, |batch| {
        let last_doc = record_doc[..(index + batch.len()).min(record_doc.len())]
            .iter()
            .rev()
            .find_map(|d| *d)
            .map(|d| d.0);
        let ctx = BatchContext { cfg, opts, record_doc, index, batch: &batch, last_doc };
        for p in passes.iter_mut() {
            p.batch(&ctx);
        }
        index += batch.len();
        let done: usize = passes.iter().map(|p| p.progress().1).sum();
        progress.work(done as u64, Some(total as u64), "pairs");
        Ok(())
    })?;
    same_records(purpose, record_doc.len(), index)
}

/// A source with parts that can be read only once, where a run reads it
/// more than once (or again after the scan): an error naming the first.
pub(crate) fn refuse_read_once(source: &dyn Source) -> Result<()> {
    match source.read_once().into_iter().next() {
        Some(name) => Err(Error::ReadOnce { name }),
        None => Ok(()),
    }
}

/// The error for a second read that found another number of records.
pub(crate) fn same_records(purpose: &'static str, before: usize, after: usize) -> Result<()> {
    if before == after { Ok(()) } else { Err(Error::InputChanged { purpose, before, after }) }
}

/// Reads every document of `inputs` into memory, with the skips (for small
/// inputs such as seed text; a scan streams instead).
pub fn read_all(inputs: &[Input], opts: &SourceOptions) -> (Vec<Document>, Vec<Skip>) {
    let mut docs = Vec::new();
    let mut skips = Vec::new();
    for item in (Inputs { inputs, options: opts }).records() {
        match item.and_then(|raw| raw.parse(opts)) {
            Ok(d) => docs.push(d),
            Err(s) => skips.push(s),
        }
    }
    (docs, skips)
}

/// The texts of the documents named in `ids` (by id; with duplicate ids,
/// the first document wins), read again from the inputs of `cfg`.
pub fn read_texts(
    cfg: &Config,
    ids: &[String],
    progress: &dyn Progress,
) -> Result<BTreeMap<String, String>> {
    let source = cfg.source();
    refuse_read_once(&source)?;
    let wanted: HashSet<&str> = ids.iter().map(String::as_str).collect();
    let mut out = BTreeMap::new();
    if wanted.is_empty() {
        return Ok(out);
    }
    let mut records = 0u64;
    read_batches(&source, cfg.batch_bytes, |batch| {
        records += batch.len() as u64;
        progress.work(records, None, "records");
        for raw in batch.iter().filter_map(|r| r.as_ref().ok()) {
            if let Ok(d) = raw.parse(&cfg.source) {
                if wanted.contains(d.id.as_str()) && !out.contains_key(&d.id) {
                    out.insert(d.id, d.text);
                }
            }
        }
        Ok(())
    })?;
    Ok(out)
}
