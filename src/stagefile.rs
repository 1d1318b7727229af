//! Stage files: the compact on-disk form of intermediate results (MinHash
//! signatures with their band keys, verified edges, passage fingerprints),
//! written and read as a stream of typed records.
//!
//! A stage file is made by a [`StageWriter`] and read back by a
//! [`StageReader`] (or [`read_all`]). The writer streams: it never seeks,
//! and it writes to a hidden temporary file beside the target, renamed into
//! place only by [`StageWriter::finish`], so a file at the target path is
//! always complete. The reader checks everything it can before it yields a
//! record (the magic bytes, the kind, the version, the parameter hash and
//! the shape of the file), and the checksum (of the whole header and the
//! payload) and the record count when the payload ends. A damaged,
//! truncated or foreign file gives a [`StageFileError`] that names the
//! file; no input makes the reader panic or allocate more than the file's
//! length allows.
//!
//! The records are typed: a [`Record`] type says how it is encoded and to
//! which [`Kind`] it belongs, and its [`Layout`] holds what all records of a
//! file share (the kind fields of the header).
//!
//! ```
//! use neardup::DocId;
//! use neardup::stagefile::{StageReader, StageWriter, params_hash};
//! use neardup::verify::VerifiedPair;
//!
//! let dir = tempfile::tempdir()?;
//! let path = dir.path().join("edges.stage");
//! let hash = params_hash(&("minhash", 128, 0.8));
//!
//! let mut w = StageWriter::<VerifiedPair>::create(&path, hash, ())?;
//! w.push(&VerifiedPair { a: DocId(0), b: DocId(3), score: 0.9 })?;
//! w.finish()?;
//!
//! let mut edges = StageReader::<VerifiedPair>::open(&path, hash)?;
//! assert_eq!(edges.next().transpose()?.map(|e| e.b), Some(DocId(3)));
//! assert!(edges.next().is_none()); // checksum and count checked
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Format, version 1
//!
//! Every integer is little-endian. A file is a header, a payload of records
//! back to back, and a trailer; its length is `28 + F + L + 32` bytes.
//!
//! | offset       | size | field                                                        |
//! |--------------|------|--------------------------------------------------------------|
//! | 0            | 8    | magic: `4E 45 41 52 44 55 50 1A` (`NEARDUP` and byte 0x1A)   |
//! | 8            | 4    | kind tag, 4 ASCII bytes: `SIGS`, `EDGE` or `PFPS` (below)    |
//! | 12           | 4    | format version, u32: `1`                                     |
//! | 16           | 8    | parameter hash, u64 (see [`params_hash`])                    |
//! | 24           | 4    | F, the length in bytes of the kind fields, u32               |
//! | 28           | F    | kind fields (below)                                          |
//! | 28 + F       | L    | payload: the records, back to back, with no padding          |
//! | 28 + F + L   | 8    | record count, u64                                            |
//! | 36 + F + L   | 8    | L, the payload length in bytes, u64                          |
//! | 44 + F + L   | 8    | checksum: XXH3-64 (seed 0) of the header and payload, u64    |
//! | 52 + F + L   | 8    | end magic: `4E 45 41 52 44 55 50 04` (`NEARDUP`, byte 0x04)  |
//!
//! The kinds, their kind fields and their records:
//!
//! | kind tag | holds                | F | kind fields                    | one record                                                          |
//! |----------|----------------------|---|--------------------------------|---------------------------------------------------------------------|
//! | `SIGS`   | [`DocSignature`]     | 8 | num_perm P: u32, bands B: u32  | doc id: u32; P signature values: u32 each; B band keys: u64 each    |
//! | `EDGE`   | [`VerifiedPair`]     | 0 | none                           | a: u32; b: u32; score: u64, the bits of an IEEE 754 binary64 (f64)  |
//! | `PFPS`   | [`DocFingerprints`]  | 0 | none                           | doc id: u32; n: u32; n fingerprints, each hash: u64 then pos: u32   |
//!
//! A `SIGS` record is `4 + 4P + 8B` bytes, an `EDGE` record 16, a `PFPS`
//! record `8 + 12n`.
//!
//! A reader accepts a file only if all of these hold: it starts with the
//! magic; the kind tag and the parameter hash are the expected ones; the
//! version is 1; it ends with the end magic; `28 + F + L + 32` is the file's
//! length; the kind fields are those of the kind (F = 8 for `SIGS`, else 0);
//! the payload splits into exactly the stated number of whole records; and
//! the checksum matches.
//!
//! The checksum is the XXH3-64 (seed 0) of every byte before the trailer,
//! offsets 0 to `28 + F + L − 1`: the whole header (magic, kind tag,
//! version, parameter hash, F and the kind fields), then the payload. So a
//! change to the kind fields that keeps the length of a record (for `SIGS`,
//! P + 2 and B − 1) is caught, and so is a changed parameter hash even when
//! the reader is given the changed value. The writer computes it as it
//! streams, the reader as it reads. The trailer is not hashed: its record
//! count, payload length and end magic are checked against the file.
//!
//! The first 24 bytes (magic, kind tag, version, parameter hash) keep their
//! place and meaning in every version, so that any build can tell what a
//! file is and why it cannot read it. Any other change to the layout gets a
//! new version number. The end magic differs from the magic in its last
//! byte only. A new kind (a new tag) is not a new version: a build that
//! does not know the tag says so.

use std::fmt;
use std::fs::File;
use std::io::{self, BufWriter, Read, Seek, SeekFrom, Write};
use std::marker::PhantomData;
use std::path::{Path, PathBuf};

use xxhash_rust::xxh3::Xxh3;

use crate::ids::DocId;
use crate::minhash::Signature;
use crate::passage::fingerprint::Fingerprint;
use crate::verify::VerifiedPair;

/// The first 8 bytes of every stage file.
pub const MAGIC: [u8; 8] = *b"NEARDUP\x1a";
/// The last 8 bytes of every stage file.
pub const END_MAGIC: [u8; 8] = *b"NEARDUP\x04";
/// The format version this build writes, and the only one it reads.
pub const VERSION: u32 = 1;
/// Length of the header before the kind fields: magic, kind tag, version,
/// parameter hash and the length of the kind fields.
pub const FIXED_HEADER_LEN: u64 = 28;
/// Length of the trailer: record count, payload length, checksum, end magic.
pub const TRAILER_LEN: u64 = 32;

/// How far back from the end of a file without its end magic the reader
/// looks for a trailer followed by appended bytes (to tell such a file from
/// a truncated one).
const APPENDED_SCAN: u64 = 64 * 1024;
/// Size of the reader's buffer.
const READ_BUFFER: usize = 64 * 1024;
/// Size of the writer's buffer.
const WRITE_BUFFER: usize = 1 << 20;

/// The hash of the parameters that produced some data, stored in the
/// header of a stage file so that a later run does not use data made with
/// other parameters.
///
/// It is the XXH3-64 (seed 0) of the compact `serde_json` serialization of
/// `params` (the bytes `serde_json::to_vec(params)` gives), hashed as they
/// are produced. It is stable for a given serialization: the same bytes give
/// the same hash in every build and on every platform. Anything that changes
/// the bytes gives another hash (but for a chance collision, 1 in 2^64):
/// another value, a field renamed, added or moved, another type. So hash a struct or a `BTreeMap`, not a `HashMap`
/// (whose order of keys varies from run to run). JSON has no NaN or
/// infinity: `serde_json` writes them as `null`, so such floats hash alike.
///
/// # Panics
/// If `serde_json` cannot serialize `params` (a map whose keys are not
/// strings, or a `Serialize` implementation that fails): a bug of the
/// caller, not bad data.
pub fn params_hash<T: serde::Serialize + ?Sized>(params: &T) -> u64 {
    struct HashWriter(Xxh3);
    impl Write for HashWriter {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            self.0.update(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }
    let mut w = HashWriter(Xxh3::new());
    serde_json::to_writer(&mut w, params)
        .expect("BUG: parameters that serde_json cannot serialize");
    w.0.digest()
}

/// The kinds of stage file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Kind {
    /// MinHash signatures with their LSH band keys ([`DocSignature`]).
    Signatures,
    /// Verified candidate pairs with their scores ([`VerifiedPair`]).
    VerifiedEdges,
    /// Passage fingerprints by document ([`DocFingerprints`]).
    PassageFingerprints,
}

impl Kind {
    /// Every kind.
    pub const ALL: [Kind; 3] = [Kind::Signatures, Kind::VerifiedEdges, Kind::PassageFingerprints];

    /// The kind's 4-byte tag in the header.
    pub const fn tag(self) -> [u8; 4] {
        match self {
            Kind::Signatures => *b"SIGS",
            Kind::VerifiedEdges => *b"EDGE",
            Kind::PassageFingerprints => *b"PFPS",
        }
    }

    /// The kind's name in messages: `signatures`, `verified-edges`,
    /// `passage-fingerprints`.
    pub const fn name(self) -> &'static str {
        match self {
            Kind::Signatures => "signatures",
            Kind::VerifiedEdges => "verified-edges",
            Kind::PassageFingerprints => "passage-fingerprints",
        }
    }

    /// The kind with header tag `tag`, if any.
    pub fn from_tag(tag: [u8; 4]) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.tag() == tag)
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The kind fields of a file's header: what every record of the file has in
/// common (such as the number of values of a signature). Kinds without
/// kind fields use `()`.
pub trait Layout: Clone + fmt::Debug + PartialEq {
    /// Appends the kind fields, as they are stored in the header.
    fn encode(&self, out: &mut Vec<u8>);

    /// Reads the kind fields from exactly the bytes the header holds for
    /// them; the error says what is wrong with them.
    fn decode(fields: &[u8]) -> Result<Self, String>;
}

impl Layout for () {
    fn encode(&self, _: &mut Vec<u8>) {}

    fn decode(fields: &[u8]) -> Result<(), String> {
        if fields.is_empty() {
            Ok(())
        } else {
            Err(format!("{} bytes of kind fields, where this kind has none", fields.len()))
        }
    }
}

/// The kind fields of a signatures file: every record has `num_perm`
/// signature values and `bands` band keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SignatureLayout {
    /// Values per signature (MinHash permutations).
    pub num_perm: u32,
    /// Band keys per signature (LSH bands).
    pub bands: u32,
}

impl SignatureLayout {
    /// The length of one record in bytes: `4 + 4 · num_perm + 8 · bands`.
    pub fn record_len(&self) -> u64 {
        4 + 4 * u64::from(self.num_perm) + 8 * u64::from(self.bands)
    }
}

impl Layout for SignatureLayout {
    fn encode(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.num_perm.to_le_bytes());
        out.extend_from_slice(&self.bands.to_le_bytes());
    }

    fn decode(fields: &[u8]) -> Result<SignatureLayout, String> {
        match fields {
            [p0, p1, p2, p3, b0, b1, b2, b3] => Ok(SignatureLayout {
                num_perm: u32::from_le_bytes([*p0, *p1, *p2, *p3]),
                bands: u32::from_le_bytes([*b0, *b1, *b2, *b3]),
            }),
            _ => Err(format!(
                "{} bytes of kind fields, where a signatures file has 8 (num_perm, bands)",
                fields.len()
            )),
        }
    }
}

/// A record of a stage file: how it is written to and read from the
/// payload. Each record type belongs to one [`Kind`].
pub trait Record: Sized {
    /// The kind of file that holds these records.
    const KIND: Kind;

    /// The kind fields of the file's header.
    type Layout: Layout;

    /// The fewest bytes a record can take in a file of this layout; at
    /// least 1. The reader rejects a trailer that gives more records than
    /// the payload can hold at this length.
    fn min_len(layout: &Self::Layout) -> u64;

    /// Appends the record's bytes to `out`, or says why the record does not
    /// fit the layout (then `out` may hold part of the record: the writer
    /// discards it).
    fn encode(&self, layout: &Self::Layout, out: &mut Vec<u8>) -> Result<(), String>;

    /// Reads one record. Before allocating for a length the record states,
    /// check it against [`Decoder::remaining`] (or with [`Decoder::need`]).
    fn decode(layout: &Self::Layout, input: &mut Decoder<'_>) -> Result<Self, StageFileError>;
}

/// A document's MinHash signature and its LSH band keys: a record of a
/// signatures file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocSignature {
    /// The document.
    pub doc: DocId,
    /// Its signature: [`SignatureLayout::num_perm`] values.
    pub signature: Signature,
    /// Its band keys: [`SignatureLayout::bands`] values.
    pub band_keys: Vec<u64>,
}

impl Record for DocSignature {
    const KIND: Kind = Kind::Signatures;
    type Layout = SignatureLayout;

    fn min_len(layout: &SignatureLayout) -> u64 {
        layout.record_len()
    }

    fn encode(&self, layout: &SignatureLayout, out: &mut Vec<u8>) -> Result<(), String> {
        let fits = usize::try_from(layout.num_perm).is_ok_and(|p| p == self.signature.len())
            && usize::try_from(layout.bands).is_ok_and(|b| b == self.band_keys.len());
        if !fits {
            return Err(format!(
                "document {} has {} signature values and {} band keys, the file holds {} and {} \
                 per record",
                self.doc.0,
                self.signature.len(),
                self.band_keys.len(),
                layout.num_perm,
                layout.bands
            ));
        }
        out.extend_from_slice(&self.doc.0.to_le_bytes());
        for v in self.signature.iter() {
            out.extend_from_slice(&v.to_le_bytes());
        }
        for k in &self.band_keys {
            out.extend_from_slice(&k.to_le_bytes());
        }
        Ok(())
    }

    fn decode(layout: &SignatureLayout, input: &mut Decoder<'_>) -> Result<Self, StageFileError> {
        // The record's length is checked before allocating for it.
        input.need(layout.record_len())?;
        let doc = DocId(input.u32()?);
        let mut signature = Vec::with_capacity(layout.num_perm as usize);
        for _ in 0..layout.num_perm {
            signature.push(input.u32()?);
        }
        let mut band_keys = Vec::with_capacity(layout.bands as usize);
        for _ in 0..layout.bands {
            band_keys.push(input.u64()?);
        }
        Ok(DocSignature { doc, signature: signature.into_boxed_slice(), band_keys })
    }
}

/// A verified pair is a record of a verified-edges file. Its score is
/// stored as the bits of the `f64`, so every value (NaN too) reads back
/// bit for bit.
impl Record for VerifiedPair {
    const KIND: Kind = Kind::VerifiedEdges;
    type Layout = ();

    fn min_len(_: &()) -> u64 {
        16
    }

    fn encode(&self, _: &(), out: &mut Vec<u8>) -> Result<(), String> {
        out.extend_from_slice(&self.a.0.to_le_bytes());
        out.extend_from_slice(&self.b.0.to_le_bytes());
        out.extend_from_slice(&self.score.to_bits().to_le_bytes());
        Ok(())
    }

    fn decode(_: &(), input: &mut Decoder<'_>) -> Result<Self, StageFileError> {
        let a = DocId(input.u32()?);
        let b = DocId(input.u32()?);
        let score = f64::from_bits(input.u64()?);
        Ok(VerifiedPair { a, b, score })
    }
}

/// A document's passage fingerprints, any number of them: a record of a
/// passage-fingerprints file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocFingerprints {
    /// The document.
    pub doc: DocId,
    /// Its fingerprints, in the order given (at most `u32::MAX`).
    pub fingerprints: Vec<Fingerprint>,
}

impl Record for DocFingerprints {
    const KIND: Kind = Kind::PassageFingerprints;
    type Layout = ();

    fn min_len(_: &()) -> u64 {
        8
    }

    fn encode(&self, _: &(), out: &mut Vec<u8>) -> Result<(), String> {
        let n = u32::try_from(self.fingerprints.len()).map_err(|_| {
            format!(
                "document {} has {} fingerprints, more than a record holds ({})",
                self.doc.0,
                self.fingerprints.len(),
                u32::MAX
            )
        })?;
        out.extend_from_slice(&self.doc.0.to_le_bytes());
        out.extend_from_slice(&n.to_le_bytes());
        for f in &self.fingerprints {
            out.extend_from_slice(&f.hash.to_le_bytes());
            out.extend_from_slice(&f.pos.to_le_bytes());
        }
        Ok(())
    }

    fn decode(_: &(), input: &mut Decoder<'_>) -> Result<Self, StageFileError> {
        let doc = DocId(input.u32()?);
        let n = input.u32()?;
        input.need(12 * u64::from(n))?;
        let mut fingerprints = Vec::with_capacity(n as usize);
        for _ in 0..n {
            let hash = input.u64()?;
            let pos = input.u32()?;
            fingerprints.push(Fingerprint { hash, pos });
        }
        Ok(DocFingerprints { doc, fingerprints })
    }
}

/// What the trailer of a stage file says (and what [`StageWriter::finish`]
/// wrote): worth keeping in a manifest that lists stage files.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Trailer {
    /// Number of records.
    pub records: u64,
    /// Length of the payload in bytes.
    pub payload_len: u64,
    /// XXH3-64 (seed 0) of every byte before the trailer: the header,
    /// kind fields included, then the payload.
    pub checksum: u64,
}

/// Why a stage file cannot be written or read. Every message names the
/// file and says what to do.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StageFileError {
    /// Reading, writing, renaming or syncing failed. The message names the
    /// file and what was being done; the I/O error is its source (`{:#}`
    /// with anyhow prints both).
    #[error("{}: {action}", path.display())]
    Io {
        /// The file (or, for a folder sync, the folder).
        path: PathBuf,
        /// What failed, such as "cannot read the stage file".
        action: &'static str,
        /// The underlying error.
        #[source]
        source: io::Error,
    },
    /// The file does not start with the magic bytes.
    #[error("{}: not a neardup stage file ({why})", path.display())]
    NotStageFile {
        /// The file.
        path: PathBuf,
        /// What is wrong, such as "it is empty".
        why: &'static str,
    },
    /// The file is a stage file of another kind.
    #[error("{}: is a {found} file, expected {expected}", path.display())]
    WrongKind {
        /// The file.
        path: PathBuf,
        /// The kind the file is.
        found: Kind,
        /// The kind the caller asked for.
        expected: Kind,
    },
    /// The kind tag is not one this build knows.
    #[error(
        "{}: is a stage file of unknown kind \"{tag}\" (written by a newer neardup?), expected \
         {expected}",
        path.display()
    )]
    UnknownKind {
        /// The file.
        path: PathBuf,
        /// The tag, printable (non-ASCII bytes escaped).
        tag: String,
        /// The kind the caller asked for.
        expected: Kind,
    },
    /// The file has a format version this build does not read.
    #[error(
        "{}: format version {found}, this build reads version {VERSION}{}",
        path.display(),
        if *found > VERSION { " (written by a newer neardup: rerun the stage with this one)" } else { "" }
    )]
    Version {
        /// The file.
        path: PathBuf,
        /// Its version.
        found: u32,
    },
    /// The file was made with other parameters than the caller's.
    #[error(
        "{}: written with other parameters (hash {found:#018x}, expected {expected:#018x}): \
         rerun the stage",
        path.display()
    )]
    Params {
        /// The file.
        path: PathBuf,
        /// The parameter hash in the file.
        found: u64,
        /// The parameter hash the caller expected.
        expected: u64,
    },
    /// The file ends early: it was cut short.
    #[error("{}: truncated: {detail}; rerun the stage", path.display())]
    Truncated {
        /// The file.
        path: PathBuf,
        /// Where it ends.
        detail: String,
    },
    /// The header and payload do not hash to the trailer's checksum.
    #[error(
        "{}: checksum mismatch: the file is damaged (its header and payload hash to \
         {found:#018x}, its trailer says {expected:#018x}); rerun the stage",
        path.display()
    )]
    Checksum {
        /// The file.
        path: PathBuf,
        /// The checksum of the header and payload as read.
        found: u64,
        /// The checksum in the trailer.
        expected: u64,
    },
    /// The file's parts do not agree with each other.
    #[error("{}: damaged: {detail}; rerun the stage", path.display())]
    Damaged {
        /// The file.
        path: PathBuf,
        /// What does not agree.
        detail: String,
    },
    /// A record given to a writer does not fit the file's layout. Nothing
    /// of it was written: the writer can go on.
    #[error("{}: record {record} cannot be written: {why}", path.display())]
    Unfit {
        /// The file being written.
        path: PathBuf,
        /// The 0-based number of the record.
        record: u64,
        /// Why it does not fit.
        why: String,
    },
    /// A writer was used after one of its writes failed.
    #[error("{}: not written: an earlier write to it failed", path.display())]
    WriterFailed {
        /// The file being written.
        path: PathBuf,
    },
}

fn io_error(path: &Path, action: &'static str) -> impl FnOnce(io::Error) -> StageFileError {
    let path = path.to_path_buf();
    move |source| StageFileError::Io { path, action, source }
}

/// The folder a file is in (`.` for a bare name).
fn folder_of(path: &Path) -> &Path {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    }
}

/// Writes a stage file of records `R`, streaming, to a hidden temporary
/// file beside the target; [`finish`](StageWriter::finish) puts it in place.
///
/// Dropping the writer without `finish` (on an error, a panic, or by
/// choice) removes the temporary file and leaves any file at the target
/// untouched. While it exists the temporary file is registered with
/// [`crate::tempfiles`], so a signal handler can remove it too.
pub struct StageWriter<R: Record> {
    // Fields drop in this order: the temporary file is removed, then
    // unregistered.
    out: BufWriter<tempfile::NamedTempFile>,
    _registered: crate::tempfiles::Registered,
    path: PathBuf,
    layout: R::Layout,
    scratch: Vec<u8>,
    /// The hash of every byte written so far: the header, then the
    /// records.
    hasher: Xxh3,
    records: u64,
    payload_len: u64,
    failed: bool,
    _record: PhantomData<fn(&R)>,
}

impl<R: Record> fmt::Debug for StageWriter<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StageWriter")
            .field("path", &self.path)
            .field("kind", &R::KIND)
            .field("layout", &self.layout)
            .field("records", &self.records)
            .finish_non_exhaustive()
    }
}

impl<R: Record> StageWriter<R> {
    /// Starts a stage file for `path`: creates its temporary file (named
    /// `.NAME.tmp-XXXXXX`, in the same folder, so that the final rename
    /// stays on one file system) and writes the header, with `params_hash`
    /// (see [`params_hash`]) and the kind fields `layout`. The folder must
    /// exist. A file or symbolic link at `path` is replaced by `finish`;
    /// the new file has the permissions of any newly created file.
    pub fn create(
        path: impl AsRef<Path>,
        params_hash: u64,
        layout: R::Layout,
    ) -> Result<StageWriter<R>, StageFileError> {
        let path = path.as_ref().to_path_buf();
        let Some(name) = path.file_name() else {
            return Err(StageFileError::Io {
                action: "cannot write a stage file there",
                source: io::Error::new(io::ErrorKind::InvalidInput, "the path names no file"),
                path,
            });
        };
        // The name only helps a person see whose file it is: keep it short
        // enough that the temporary name stays within file name limits.
        let name: String = name.to_string_lossy().chars().take(100).collect();
        let prefix = format!(".{name}.tmp-");
        let mut builder = tempfile::Builder::new();
        builder.prefix(&prefix).rand_bytes(6);
        #[cfg(unix)]
        {
            // The permissions of a file made with `File::create` (the umask
            // applies), not the private 0600 of temporary files.
            use std::os::unix::fs::PermissionsExt;
            builder.permissions(std::fs::Permissions::from_mode(0o666));
        }
        let tmp = builder
            .tempfile_in(folder_of(&path))
            .map_err(io_error(&path, "cannot create a temporary file beside the stage file"))?;
        let registered = crate::tempfiles::register(tmp.path());

        let mut header = Vec::with_capacity(FIXED_HEADER_LEN as usize + 8);
        header.extend_from_slice(&MAGIC);
        header.extend_from_slice(&R::KIND.tag());
        header.extend_from_slice(&VERSION.to_le_bytes());
        header.extend_from_slice(&params_hash.to_le_bytes());
        let mut fields = Vec::new();
        layout.encode(&mut fields);
        let fields_len = u32::try_from(fields.len()).expect("BUG: kind fields past 4 GiB");
        header.extend_from_slice(&fields_len.to_le_bytes());
        header.extend_from_slice(&fields);

        let mut out = BufWriter::with_capacity(WRITE_BUFFER, tmp);
        out.write_all(&header).map_err(io_error(&path, "cannot write the stage file"))?;
        // The checksum covers the header too.
        let mut hasher = Xxh3::new();
        hasher.update(&header);
        Ok(StageWriter {
            out,
            _registered: registered,
            path,
            layout,
            scratch: Vec::new(),
            hasher,
            records: 0,
            payload_len: 0,
            failed: false,
            _record: PhantomData,
        })
    }

    /// The target path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The kind fields of the file.
    pub fn layout(&self) -> &R::Layout {
        &self.layout
    }

    /// Records written so far.
    pub fn records(&self) -> u64 {
        self.records
    }

    /// Appends a record. A record that does not fit the layout gives
    /// [`StageFileError::Unfit`] and is not written (the writer can go
    /// on); after an I/O error the file cannot be finished.
    pub fn push(&mut self, record: &R) -> Result<(), StageFileError> {
        if self.failed {
            return Err(StageFileError::WriterFailed { path: self.path.clone() });
        }
        self.scratch.clear();
        if let Err(why) = record.encode(&self.layout, &mut self.scratch) {
            return Err(StageFileError::Unfit {
                path: self.path.clone(),
                record: self.records,
                why,
            });
        }
        if let Err(e) = self.out.write_all(&self.scratch) {
            self.failed = true;
            return Err(io_error(&self.path, "cannot write the stage file")(e));
        }
        self.hasher.update(&self.scratch);
        self.payload_len += self.scratch.len() as u64;
        self.records += 1;
        Ok(())
    }

    /// Writes the trailer, flushes and syncs the file, renames it into
    /// place (replacing any file at the target, atomically), and syncs the
    /// folder (on unix) so that the rename survives a crash. Returns what
    /// the trailer says.
    pub fn finish(self) -> Result<Trailer, StageFileError> {
        let StageWriter {
            out,
            _registered: registered,
            path,
            hasher,
            records,
            payload_len,
            failed,
            ..
        } = self;
        let trailer = Trailer { records, payload_len, checksum: hasher.digest() };
        // `out` is consumed (so the temporary file is removed on an error)
        // before the file is unregistered.
        let placed = if failed {
            drop(out);
            Err(StageFileError::WriterFailed { path: path.clone() })
        } else {
            put_in_place(out, &path, &trailer)
        };
        drop(registered);
        placed?;
        #[cfg(unix)]
        {
            let folder = folder_of(&path);
            let synced = File::open(folder).and_then(|d| d.sync_all());
            // Some file systems cannot sync a folder; the rename is done.
            if let Err(e) = synced {
                if !matches!(e.kind(), io::ErrorKind::InvalidInput | io::ErrorKind::Unsupported) {
                    return Err(io_error(folder, "cannot sync the folder of a new stage file")(e));
                }
            }
        }
        Ok(trailer)
    }
}

/// Writes the trailer, flushes and syncs the temporary file, and renames it
/// to `path`.
fn put_in_place(
    mut out: BufWriter<tempfile::NamedTempFile>,
    path: &Path,
    trailer: &Trailer,
) -> Result<(), StageFileError> {
    let mut bytes = [0u8; TRAILER_LEN as usize];
    bytes[0..8].copy_from_slice(&trailer.records.to_le_bytes());
    bytes[8..16].copy_from_slice(&trailer.payload_len.to_le_bytes());
    bytes[16..24].copy_from_slice(&trailer.checksum.to_le_bytes());
    bytes[24..32].copy_from_slice(&END_MAGIC);
    out.write_all(&bytes).map_err(io_error(path, "cannot write the stage file"))?;
    let tmp = out
        .into_inner()
        .map_err(|e| io_error(path, "cannot write the stage file")(e.into_error()))?;
    tmp.as_file().sync_all().map_err(io_error(path, "cannot sync the stage file to disk"))?;
    tmp.persist(path)
        .map_err(|e| io_error(path, "cannot rename the finished stage file into place")(e.error))?;
    Ok(())
}

/// The payload of an open stage file, read through a buffer that is hashed
/// as it is filled (after the header, which the hash starts with).
struct Source {
    file: File,
    buf: Vec<u8>,
    pos: usize,
    end: usize,
    /// Payload bytes not yet read from the file.
    unread: u64,
    /// The file offset just past `buf[..end]`.
    offset: u64,
    /// The hash of every byte read so far: the header, then the payload.
    hasher: Xxh3,
}

/// Why a read from the payload failed.
enum Short {
    /// The record goes past the end of the payload.
    PastPayload {
        wanted: u64,
        remaining: u64,
    },
    /// The file ended early, at this offset.
    Eof(u64),
    Io(io::Error),
}

impl Source {
    fn remaining(&self) -> u64 {
        self.unread + (self.end - self.pos) as u64
    }

    fn read_exact(&mut self, mut out: &mut [u8]) -> Result<(), Short> {
        let remaining = self.remaining();
        if out.len() as u64 > remaining {
            return Err(Short::PastPayload { wanted: out.len() as u64, remaining });
        }
        while !out.is_empty() {
            if self.pos == self.end {
                self.refill()?;
            }
            let n = out.len().min(self.end - self.pos);
            out[..n].copy_from_slice(&self.buf[self.pos..self.pos + n]);
            self.pos += n;
            out = &mut out[n..];
        }
        Ok(())
    }

    /// Reads more of the payload into the (empty) buffer; `unread > 0`.
    fn refill(&mut self) -> Result<(), Short> {
        let want = usize::try_from(self.unread).map_or(self.buf.len(), |u| u.min(self.buf.len()));
        loop {
            match self.file.read(&mut self.buf[..want]) {
                Ok(0) => return Err(Short::Eof(self.offset)),
                Ok(n) => {
                    self.hasher.update(&self.buf[..n]);
                    self.pos = 0;
                    self.end = n;
                    self.unread -= n as u64;
                    self.offset += n as u64;
                    return Ok(());
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(Short::Io(e)),
            }
        }
    }
}

/// Reads the payload for [`Record::decode`]: the bytes of the current
/// record, checked against the end of the payload. Its errors name the
/// file and the record.
pub struct Decoder<'a> {
    source: &'a mut Source,
    path: &'a Path,
    record: u64,
}

impl Decoder<'_> {
    fn bytes<const N: usize>(&mut self) -> Result<[u8; N], StageFileError> {
        let mut b = [0u8; N];
        self.source.read_exact(&mut b).map_err(|e| self.short(e))?;
        Ok(b)
    }

    fn short(&self, e: Short) -> StageFileError {
        match e {
            Short::PastPayload { wanted, remaining } => self.damaged(format!(
                "it needs {wanted} more bytes, where the payload has {remaining} left"
            )),
            Short::Eof(at) => StageFileError::Truncated {
                path: self.path.to_path_buf(),
                detail: format!(
                    "the file ends inside record {}, at byte {at}, though it was whole when \
                     opened (was it cut short while being read?)",
                    self.record
                ),
            },
            Short::Io(source) => StageFileError::Io {
                path: self.path.to_path_buf(),
                action: "cannot read the stage file",
                source,
            },
        }
    }

    /// Reads a little-endian `u32`.
    pub fn u32(&mut self) -> Result<u32, StageFileError> {
        self.bytes().map(u32::from_le_bytes)
    }

    /// Reads a little-endian `u64`.
    pub fn u64(&mut self) -> Result<u64, StageFileError> {
        self.bytes().map(u64::from_le_bytes)
    }

    /// Bytes left in the payload (of this record and those after it).
    pub fn remaining(&self) -> u64 {
        self.source.remaining()
    }

    /// Checks that `bytes` more bytes are left in the payload: call it
    /// before allocating for a length the record states.
    pub fn need(&self, bytes: u64) -> Result<(), StageFileError> {
        let remaining = self.remaining();
        if bytes > remaining {
            return Err(self.short(Short::PastPayload { wanted: bytes, remaining }));
        }
        Ok(())
    }

    /// A [`StageFileError::Damaged`] for the current record, saying `what`
    /// is wrong with it.
    pub fn damaged(&self, what: impl fmt::Display) -> StageFileError {
        StageFileError::Damaged {
            path: self.path.to_path_buf(),
            detail: format!("record {}: {what}", self.record),
        }
    }
}

/// Reads a stage file of records `R`: an iterator of records.
///
/// [`open`](StageReader::open) checks the header and the trailer's place
/// and shape. The iterator then yields the records one by one as they are
/// read, and checks the checksum (of the header and the payload) and the
/// record count when the payload ends: a damaged payload, or damaged kind
/// fields that still give records of the same length, shows as an `Err`
/// item after the records read before it (the last item; the iterator ends
/// after an error). Use [`read_all`](StageReader::read_all) to get records
/// only once all of them are checked.
pub struct StageReader<R: Record> {
    path: PathBuf,
    source: Source,
    layout: R::Layout,
    trailer: Trailer,
    decoded: u64,
    done: bool,
    _record: PhantomData<fn() -> R>,
}

impl<R: Record> fmt::Debug for StageReader<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StageReader")
            .field("path", &self.path)
            .field("kind", &R::KIND)
            .field("layout", &self.layout)
            .field("trailer", &self.trailer)
            .field("decoded", &self.decoded)
            .finish_non_exhaustive()
    }
}

/// Reads `buf.len()` bytes at `offset`; a file that ends first is
/// truncated.
fn read_at(
    file: &mut File,
    path: &Path,
    offset: u64,
    buf: &mut [u8],
) -> Result<(), StageFileError> {
    file.seek(SeekFrom::Start(offset)).and_then(|_| file.read_exact(buf)).map_err(|e| {
        match e.kind() {
            io::ErrorKind::UnexpectedEof => StageFileError::Truncated {
                path: path.to_path_buf(),
                detail: format!("the file ends before byte {}", offset + buf.len() as u64),
            },
            _ => io_error(path, "cannot read the stage file")(e),
        }
    })
}

fn u32_at(bytes: &[u8], at: usize) -> u32 {
    u32::from_le_bytes(bytes[at..at + 4].try_into().expect("BUG: 4 bytes"))
}

fn u64_at(bytes: &[u8], at: usize) -> u64 {
    u64::from_le_bytes(bytes[at..at + 8].try_into().expect("BUG: 8 bytes"))
}

fn trailer_of(bytes: &[u8]) -> Trailer {
    Trailer {
        records: u64_at(bytes, 0),
        payload_len: u64_at(bytes, 8),
        checksum: u64_at(bytes, 16),
    }
}

impl<R: Record> StageReader<R> {
    /// Opens the stage file `path` of kind `R::KIND` written with the
    /// parameters of hash `params_hash`, and checks, in this order: the
    /// magic bytes, the kind, the version, the parameter hash, the end
    /// magic, the kind fields, and that the header, the payload length and
    /// the trailer add up to the file's length.
    pub fn open(
        path: impl AsRef<Path>,
        params_hash: u64,
    ) -> Result<StageReader<R>, StageFileError> {
        let path = path.as_ref().to_path_buf();
        let p = path.as_path();
        let mut file = File::open(p).map_err(io_error(p, "cannot open the stage file"))?;
        let len = file.metadata().map_err(io_error(p, "cannot read the stage file"))?.len();
        let truncated =
            |detail: String| StageFileError::Truncated { path: p.to_path_buf(), detail };
        let damaged = |detail: String| StageFileError::Damaged { path: p.to_path_buf(), detail };

        let mut head = [0u8; FIXED_HEADER_LEN as usize];
        let got = usize::try_from(len).map_or(head.len(), |l| l.min(head.len()));
        read_at(&mut file, p, 0, &mut head[..got])?;
        let magic_len = got.min(MAGIC.len());
        if head[..magic_len] != MAGIC[..magic_len] {
            let why = "it does not start with the stage-file magic bytes";
            return Err(StageFileError::NotStageFile { path, why });
        }
        if got == 0 {
            return Err(StageFileError::NotStageFile { path, why: "it is empty" });
        }
        // Kind, version and parameter hash (the first 24 bytes, the same in
        // every version) are checked before anything of version 1.
        let short_header = || {
            truncated(format!(
                "{len} bytes, shorter than the {FIXED_HEADER_LEN}-byte start of a header"
            ))
        };
        if got < 24 {
            return Err(short_header());
        }
        let tag: [u8; 4] = head[8..12].try_into().expect("BUG: 4 bytes");
        match Kind::from_tag(tag) {
            Some(k) if k == R::KIND => {}
            Some(found) => {
                return Err(StageFileError::WrongKind { path, found, expected: R::KIND });
            }
            None => {
                let tag = tag.escape_ascii().to_string();
                return Err(StageFileError::UnknownKind { path, tag, expected: R::KIND });
            }
        }
        let version = u32_at(&head, 12);
        if version != VERSION {
            return Err(StageFileError::Version { path, found: version });
        }
        let found = u64_at(&head, 16);
        if found != params_hash {
            return Err(StageFileError::Params { path, found, expected: params_hash });
        }
        if got < head.len() {
            return Err(short_header());
        }
        let fields_len = u64::from(u32_at(&head, 24));
        let payload_start = FIXED_HEADER_LEN + fields_len;

        if len < FIXED_HEADER_LEN + TRAILER_LEN {
            return Err(truncated(format!("{len} bytes, too short to hold a trailer")));
        }
        let mut tail = [0u8; TRAILER_LEN as usize];
        read_at(&mut file, p, len - TRAILER_LEN, &mut tail)?;
        if tail[24..] != END_MAGIC {
            if payload_start + TRAILER_LEN <= len {
                if let Some(end) = find_trailer_end(&mut file, p, payload_start, len)? {
                    return Err(damaged(format!(
                        "{} bytes follow its end magic at byte {end} (bytes appended to it)",
                        len - end
                    )));
                }
            }
            return Err(truncated(format!(
                "it does not end with the stage-file end magic ({len} bytes; cut short, or \
                 damaged at its end)"
            )));
        }
        if payload_start + TRAILER_LEN > len {
            return Err(damaged(format!(
                "its header gives {fields_len} bytes of kind fields, more than its {len} bytes \
                 hold"
            )));
        }
        let mut fields = vec![0u8; fields_len as usize];
        read_at(&mut file, p, FIXED_HEADER_LEN, &mut fields)?;
        let layout = R::Layout::decode(&fields)
            .map_err(|why| damaged(format!("its header's kind fields are wrong: {why}")))?;
        let trailer = trailer_of(&tail);
        let room = len - payload_start - TRAILER_LEN;
        if trailer.payload_len != room {
            return Err(damaged(format!(
                "its trailer gives a payload of {} bytes, but {room} bytes lie between its header \
                 and its trailer",
                trailer.payload_len
            )));
        }
        let min_len = R::min_len(&layout).max(1);
        if trailer.records > room / min_len {
            return Err(damaged(format!(
                "its trailer gives {} records, more than its {room} payload bytes can hold",
                trailer.records
            )));
        }
        file.seek(SeekFrom::Start(payload_start))
            .map_err(io_error(p, "cannot read the stage file"))?;
        let buf_len = usize::try_from(room).map_or(READ_BUFFER, |r| r.clamp(1, READ_BUFFER));
        // The checksum covers the whole header, as read from the file, then
        // the payload.
        let mut hasher = Xxh3::new();
        hasher.update(&head);
        hasher.update(&fields);
        let source = Source {
            file,
            buf: vec![0; buf_len],
            pos: 0,
            end: 0,
            unread: room,
            offset: payload_start,
            hasher,
        };
        Ok(StageReader {
            path,
            source,
            layout,
            trailer,
            decoded: 0,
            done: false,
            _record: PhantomData,
        })
    }

    /// The file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The kind fields of the file.
    pub fn layout(&self) -> &R::Layout {
        &self.layout
    }

    /// What the trailer says (checked against the payload only when the
    /// payload ends).
    pub fn trailer(&self) -> Trailer {
        self.trailer
    }

    /// Every record, once all are read and the checksum and count are
    /// checked.
    pub fn read_all(self) -> Result<Vec<R>, StageFileError> {
        // The count is at most the payload's length over the least record
        // length (checked by `open`), so bounded by the file's length; the
        // vector grows past 2^20 records only as they are read.
        let cap = usize::try_from(self.trailer.records).unwrap_or(0).min(1 << 20);
        let mut all = Vec::with_capacity(cap);
        for r in self {
            all.push(r?);
        }
        Ok(all)
    }

    fn step(&mut self) -> Result<Option<R>, StageFileError> {
        if self.source.remaining() == 0 {
            let found = self.source.hasher.digest();
            if found != self.trailer.checksum {
                return Err(StageFileError::Checksum {
                    path: self.path.clone(),
                    found,
                    expected: self.trailer.checksum,
                });
            }
            if self.decoded != self.trailer.records {
                return Err(StageFileError::Damaged {
                    path: self.path.clone(),
                    detail: format!(
                        "its payload holds {} records, its trailer gives {}",
                        self.decoded, self.trailer.records
                    ),
                });
            }
            return Ok(None);
        }
        if self.decoded == self.trailer.records {
            return Err(StageFileError::Damaged {
                path: self.path.clone(),
                detail: format!(
                    "its payload holds more than the {} records its trailer gives",
                    self.trailer.records
                ),
            });
        }
        let mut input =
            Decoder { source: &mut self.source, path: &self.path, record: self.decoded };
        let record = R::decode(&self.layout, &mut input)?;
        self.decoded += 1;
        Ok(Some(record))
    }
}

impl<R: Record> Iterator for StageReader<R> {
    type Item = Result<R, StageFileError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        match self.step() {
            Ok(Some(r)) => Some(Ok(r)),
            Ok(None) => {
                self.done = true;
                None
            }
            Err(e) => {
                self.done = true;
                Some(Err(e))
            }
        }
    }
}

impl<R: Record> std::iter::FusedIterator for StageReader<R> {}

/// Looks, in the last [`APPENDED_SCAN`] bytes of a file that does not end
/// with the end magic, for the end of a trailer that agrees with the header
/// (its payload length reaches exactly to it). Returns the offset just past
/// its end magic.
fn find_trailer_end(
    file: &mut File,
    path: &Path,
    payload_start: u64,
    len: u64,
) -> Result<Option<u64>, StageFileError> {
    let start = payload_start.max(len.saturating_sub(APPENDED_SCAN));
    let mut window = vec![0u8; (len - start) as usize];
    read_at(file, path, start, &mut window)?;
    let first_end = payload_start + TRAILER_LEN;
    for end in (first_end.max(start + TRAILER_LEN)..len).rev() {
        let at = (end - start) as usize;
        let trailer = &window[at - TRAILER_LEN as usize..at];
        if trailer[24..] == END_MAGIC && u64_at(trailer, 8) == end - TRAILER_LEN - payload_start {
            return Ok(Some(end));
        }
    }
    Ok(None)
}

/// Every record of the stage file `path` (see [`StageReader::open`]),
/// once all are read and checked.
pub fn read_all<R: Record>(
    path: impl AsRef<Path>,
    params_hash: u64,
) -> Result<Vec<R>, StageFileError> {
    StageReader::<R>::open(path, params_hash)?.read_all()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use xxhash_rust::xxh3::xxh3_64;

    /// Bytes from hex pairs separated by white space.
    fn hex(s: &str) -> Vec<u8> {
        s.split_whitespace().map(|b| u8::from_str_radix(b, 16).expect("two hex digits")).collect()
    }

    fn write<R: Record>(path: &Path, hash: u64, layout: R::Layout, records: &[R]) -> Trailer {
        let mut w = StageWriter::<R>::create(path, hash, layout).unwrap();
        for r in records {
            w.push(r).unwrap();
        }
        w.finish().unwrap()
    }

    fn edge(a: u32, b: u32, score: f64) -> VerifiedPair {
        VerifiedPair { a: DocId(a), b: DocId(b), score }
    }

    /// Edges as plain values, the score as its bits (so NaN compares).
    fn edge_bits(edges: &[VerifiedPair]) -> Vec<(u32, u32, u64)> {
        edges.iter().map(|e| (e.a.0, e.b.0, e.score.to_bits())).collect()
    }

    fn sig(doc: u32, signature: &[u32], band_keys: &[u64]) -> DocSignature {
        DocSignature { doc: DocId(doc), signature: signature.into(), band_keys: band_keys.to_vec() }
    }

    fn fps(doc: u32, f: &[(u64, u32)]) -> DocFingerprints {
        DocFingerprints {
            doc: DocId(doc),
            fingerprints: f.iter().map(|&(hash, pos)| Fingerprint { hash, pos }).collect(),
        }
    }

    /// The two edges of the pinned edges file.
    fn pinned_edges() -> Vec<VerifiedPair> {
        vec![edge(1, 2, 0.5), edge(0x0A0B_0C0D, 7, 1.0)]
    }

    /// The error reading `path` as `R` gives (at open or while iterating),
    /// after checking that its message names the file.
    fn error_of<R: Record + fmt::Debug>(path: &Path, hash: u64) -> StageFileError {
        let e = read_all::<R>(path, hash).expect_err("the file should be refused");
        let msg = e.to_string();
        assert!(msg.contains(&path.display().to_string()), "no path in {msg:?}");
        e
    }

    fn edges_file(dir: &Path) -> (PathBuf, Vec<u8>) {
        let path = dir.join("edges.stage");
        write(&path, 42, (), &pinned_edges());
        let bytes = std::fs::read(&path).unwrap();
        (path, bytes)
    }

    #[test]
    fn signatures_round_trip() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sigs.stage");
        let layout = SignatureLayout { num_perm: 4, bands: 2 };
        let records = vec![
            sig(0, &[1, 2, 3, 4], &[10, 20]),
            sig(3, &[u32::MAX, 0, 7, 8], &[u64::MAX, 0]),
            sig(u32::MAX, &[5, 5, 5, 5], &[1, 2]),
        ];
        let trailer = write(&path, 7, layout, &records);
        assert_eq!(trailer.records, 3);
        assert_eq!(trailer.payload_len, 3 * (4 + 16 + 16));
        let reader = StageReader::<DocSignature>::open(&path, 7).unwrap();
        assert_eq!(*reader.layout(), layout);
        assert_eq!(reader.trailer(), trailer);
        assert_eq!(reader.read_all().unwrap(), records);
        assert_eq!(std::fs::metadata(&path).unwrap().len(), 36 + 108 + 32);

        write::<DocSignature>(&path, 7, layout, &[]);
        assert_eq!(std::fs::metadata(&path).unwrap().len(), 36 + 32);
        assert_eq!(read_all::<DocSignature>(&path, 7).unwrap(), vec![]);
    }

    #[test]
    fn edges_round_trip_bit_for_bit() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("edges.stage");
        let records = vec![
            edge(0, 1, 0.8),
            edge(2, 3, -0.0),
            edge(4, 5, f64::NAN),
            edge(6, 7, f64::from_bits(0x7FF0_0000_0000_0001)),
            edge(u32::MAX, u32::MAX, f64::INFINITY),
        ];
        write(&path, 1, (), &records);
        let back = read_all::<VerifiedPair>(&path, 1).unwrap();
        assert_eq!(edge_bits(&back), edge_bits(&records));

        write::<VerifiedPair>(&path, 1, (), &[]);
        assert!(read_all::<VerifiedPair>(&path, 1).unwrap().is_empty());
    }

    #[test]
    fn fingerprints_round_trip_with_an_empty_document() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("fps.stage");
        let records = vec![
            fps(0, &[(1, 0), (u64::MAX, u32::MAX)]),
            fps(1, &[]),
            fps(2, &[(3, 4)]),
            fps(3, &[]),
        ];
        let trailer = write(&path, 9, (), &records);
        assert_eq!(trailer.payload_len, 8 * 4 + 12 * 3);
        assert_eq!(read_all::<DocFingerprints>(&path, 9).unwrap(), records);
        // Iterating yields the same records, then ends for good.
        let mut reader = StageReader::<DocFingerprints>::open(&path, 9).unwrap();
        let iterated: Vec<DocFingerprints> = reader.by_ref().map(Result::unwrap).collect();
        assert_eq!(iterated, records);
        assert!(reader.next().is_none());

        write::<DocFingerprints>(&path, 9, (), &[]);
        assert!(read_all::<DocFingerprints>(&path, 9).unwrap().is_empty());
    }

    // The pinned files below were worked out by hand from the format table
    // in the module doc. The checksums were computed with the reference C
    // implementation of XXH3-64 (libxxhash 0.8.1, `XXH3_64bits` called from
    // Python through ctypes), not with this crate, on the exact bytes of
    // each file before its trailer: the header with its kind fields, then
    // the payload.

    #[test]
    fn pinned_format_verified_edges() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("edges.stage");
        write(&path, 0x0123_4567_89AB_CDEF, (), &pinned_edges());
        let expected = hex("
            4E 45 41 52 44 55 50 1A  45 44 47 45  01 00 00 00
            EF CD AB 89 67 45 23 01  00 00 00 00
            01 00 00 00 02 00 00 00  00 00 00 00 00 00 E0 3F
            0D 0C 0B 0A 07 00 00 00  00 00 00 00 00 00 F0 3F
            02 00 00 00 00 00 00 00  20 00 00 00 00 00 00 00
            41 F2 BC 75 71 07 2B A9  4E 45 41 52 44 55 50 04
        ");
        assert_eq!(std::fs::read(&path).unwrap(), expected);
        let back = read_all::<VerifiedPair>(&path, 0x0123_4567_89AB_CDEF).unwrap();
        assert_eq!(edge_bits(&back), edge_bits(&pinned_edges()));
    }

    #[test]
    fn pinned_format_empty_verified_edges() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("edges.stage");
        write::<VerifiedPair>(&path, 0, (), &[]);
        let expected = hex("
            4E 45 41 52 44 55 50 1A  45 44 47 45  01 00 00 00
            00 00 00 00 00 00 00 00  00 00 00 00
            00 00 00 00 00 00 00 00  00 00 00 00 00 00 00 00
            FC D4 2F ED 93 E6 58 D3  4E 45 41 52 44 55 50 04
        ");
        assert_eq!(std::fs::read(&path).unwrap(), expected);
    }

    #[test]
    fn pinned_format_signatures() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sigs.stage");
        let layout = SignatureLayout { num_perm: 3, bands: 2 };
        let records = vec![sig(5, &[1, 2, u32::MAX], &[0x0102_0304_0506_0708, 9])];
        write(&path, 0xFEDC_BA98_7654_3210, layout, &records);
        let expected = hex("
            4E 45 41 52 44 55 50 1A  53 49 47 53  01 00 00 00
            10 32 54 76 98 BA DC FE  08 00 00 00  03 00 00 00  02 00 00 00
            05 00 00 00  01 00 00 00  02 00 00 00  FF FF FF FF
            08 07 06 05 04 03 02 01  09 00 00 00 00 00 00 00
            01 00 00 00 00 00 00 00  20 00 00 00 00 00 00 00
            63 59 ED E5 55 E4 1F 43  4E 45 41 52 44 55 50 04
        ");
        assert_eq!(std::fs::read(&path).unwrap(), expected);
        assert_eq!(read_all::<DocSignature>(&path, 0xFEDC_BA98_7654_3210).unwrap(), records);
    }

    #[test]
    fn pinned_format_passage_fingerprints() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("fps.stage");
        let records = vec![fps(9, &[(0xAABB_CCDD_EEFF_0011, 3), (1, 0x100)]), fps(10, &[])];
        write(&path, 0, (), &records);
        let expected = hex("
            4E 45 41 52 44 55 50 1A  50 46 50 53  01 00 00 00
            00 00 00 00 00 00 00 00  00 00 00 00
            09 00 00 00  02 00 00 00
            11 00 FF EE DD CC BB AA  03 00 00 00
            01 00 00 00 00 00 00 00  00 01 00 00
            0A 00 00 00  00 00 00 00
            02 00 00 00 00 00 00 00  28 00 00 00 00 00 00 00
            F3 F9 58 71 DE 2D 49 77  4E 45 41 52 44 55 50 04
        ");
        assert_eq!(std::fs::read(&path).unwrap(), expected);
        assert_eq!(read_all::<DocFingerprints>(&path, 0).unwrap(), records);
    }

    #[test]
    fn params_hash_is_xxh3_of_compact_json() {
        #[derive(serde::Serialize)]
        struct Params<'a> {
            k: u32,
            name: &'a str,
            threshold: f64,
        }
        let p = Params { k: 5, name: "x", threshold: 0.8 };
        // XXH3-64 of `{"k":5,"name":"x","threshold":0.8}`, by libxxhash.
        assert_eq!(params_hash(&p), 0x0AB3_5B9B_FA33_F301);
        assert_eq!(params_hash(&p), xxh3_64(br#"{"k":5,"name":"x","threshold":0.8}"#));
        assert_ne!(params_hash(&Params { k: 6, ..p }), params_hash(&p));
        assert_ne!(params_hash(&Params { threshold: 0.81, ..p }), params_hash(&p));
    }

    #[test]
    fn rejects_files_without_the_magic() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.jsonl");
        std::fs::write(&path, b"{\"text\": \"not a stage file at all, but long enough\"}\n")
            .unwrap();
        let e = error_of::<VerifiedPair>(&path, 0);
        assert!(matches!(e, StageFileError::NotStageFile { .. }), "{e:?}");
        assert!(e.to_string().contains("not a neardup stage file"), "{e}");

        std::fs::write(&path, b"").unwrap();
        let e = error_of::<VerifiedPair>(&path, 0);
        assert!(e.to_string().contains("not a neardup stage file (it is empty)"), "{e}");

        std::fs::write(&path, b"NEAR").unwrap(); // a magic cut short
        let e = error_of::<VerifiedPair>(&path, 0);
        assert!(matches!(e, StageFileError::Truncated { .. }), "{e:?}");

        std::fs::write(&path, b"NEARDUQ").unwrap(); // short, and not the magic
        let e = error_of::<VerifiedPair>(&path, 0);
        assert!(matches!(e, StageFileError::NotStageFile { .. }), "{e:?}");
    }

    #[test]
    fn rejects_a_file_of_another_kind() {
        let dir = tempfile::tempdir().unwrap();
        let (path, mut bytes) = edges_file(dir.path());
        let e = error_of::<DocSignature>(&path, 42);
        let msg = format!("{}: is a verified-edges file, expected signatures", path.display());
        assert_eq!(e.to_string(), msg);

        bytes[8..12].copy_from_slice(b"Z\xffZZ");
        std::fs::write(&path, &bytes).unwrap();
        let e = error_of::<VerifiedPair>(&path, 42);
        assert!(matches!(e, StageFileError::UnknownKind { .. }), "{e:?}");
        assert!(e.to_string().contains("unknown kind \"Z\\xffZZ\""), "{e}");
    }

    #[test]
    fn rejects_a_newer_version() {
        let dir = tempfile::tempdir().unwrap();
        let (path, mut bytes) = edges_file(dir.path());
        bytes[12..16].copy_from_slice(&7u32.to_le_bytes());
        std::fs::write(&path, &bytes).unwrap();
        let e = error_of::<VerifiedPair>(&path, 42);
        assert!(
            e.to_string().starts_with(&format!(
                "{}: format version 7, this build reads version 1 (written by a newer",
                path.display()
            )),
            "{e}"
        );
        // The version is checked before anything version 1 defines: here the
        // kind fields' length and the trailer are nonsense for version 1.
        bytes.truncate(30);
        std::fs::write(&path, &bytes).unwrap();
        assert!(matches!(error_of::<VerifiedPair>(&path, 42), StageFileError::Version { .. }));
    }

    #[test]
    fn rejects_other_parameters() {
        let dir = tempfile::tempdir().unwrap();
        let (path, _) = edges_file(dir.path());
        let e = error_of::<VerifiedPair>(&path, 43);
        let msg = format!(
            "{}: written with other parameters (hash 0x000000000000002a, expected \
             0x000000000000002b): rerun the stage",
            path.display()
        );
        assert_eq!(e.to_string(), msg);
    }

    #[test]
    fn rejects_a_flipped_payload_byte_by_its_checksum() {
        let dir = tempfile::tempdir().unwrap();
        let (path, mut bytes) = edges_file(dir.path());
        bytes[28 + 16 + 9] ^= 0x04; // in the score of the second edge
        std::fs::write(&path, &bytes).unwrap();
        let e = error_of::<VerifiedPair>(&path, 42);
        assert!(matches!(e, StageFileError::Checksum { .. }), "{e:?}");
        assert!(e.to_string().contains("checksum mismatch: the file is damaged"), "{e}");
        // The iterator yields both records as read, then the error, then
        // nothing.
        let mut reader = StageReader::<VerifiedPair>::open(&path, 42).unwrap();
        assert_eq!(reader.next().unwrap().unwrap().score, 0.5);
        assert_eq!(reader.next().unwrap().unwrap().b, DocId(7));
        assert!(matches!(reader.next(), Some(Err(StageFileError::Checksum { .. }))));
        assert!(reader.next().is_none());
    }

    #[test]
    fn the_checksum_covers_every_byte_before_the_trailer() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("edges.stage");
        // 348 bytes before the trailer, hashed as the writer streams them
        // (the header, then each record) and as the reader reads them.
        let records: Vec<VerifiedPair> =
            (0..20).map(|i| edge(i, i + 1, f64::from(i) / 16.0)).collect();
        let trailer = write(&path, 42, (), &records);
        // By libxxhash (through ctypes) on the bytes built from the format
        // table: the 28-byte header of an edges file of parameter hash 42,
        // then the 20 records.
        assert_eq!(trailer.checksum, 0xFBEC_451F_DE63_BB5E);
        let bytes = std::fs::read(&path).unwrap();
        let end = bytes.len() - TRAILER_LEN as usize;
        assert_eq!(end, 28 + 20 * 16);
        assert_eq!(trailer.checksum, xxh3_64(&bytes[..end]));
        assert_ne!(trailer.checksum, xxh3_64(&bytes[28..end]), "the header is not covered");
        assert_eq!(edge_bits(&read_all::<VerifiedPair>(&path, 42).unwrap()), edge_bits(&records));
    }

    #[test]
    fn a_kind_field_change_that_keeps_the_record_length_is_refused_as_damaged() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sigs.stage");
        let layout = SignatureLayout { num_perm: 3, bands: 2 };
        let records = vec![sig(5, &[1, 2, 3], &[4, 5]), sig(6, &[7, 8, 9], &[10, 11])];
        write(&path, 3, layout, &records);
        let mut bytes = std::fs::read(&path).unwrap();
        // num_perm + 2 and bands − 1: 4 + 4 · 5 + 8 · 1 = 4 + 4 · 3 + 8 · 2
        // bytes a record, so the header, the payload and the trailer still
        // agree.
        let changed = SignatureLayout { num_perm: 5, bands: 1 };
        assert_eq!(changed.record_len(), layout.record_len());
        bytes[28..32].copy_from_slice(&5u32.to_le_bytes());
        bytes[32..36].copy_from_slice(&1u32.to_le_bytes());
        std::fs::write(&path, &bytes).unwrap();
        // Only the checksum can tell.
        let reader = StageReader::<DocSignature>::open(&path, 3).unwrap();
        assert_eq!(*reader.layout(), changed);
        let e = error_of::<DocSignature>(&path, 3);
        assert!(matches!(e, StageFileError::Checksum { .. }), "{e:?}");
        assert!(e.to_string().contains("checksum mismatch: the file is damaged"), "{e}");
    }

    #[test]
    fn a_changed_parameter_hash_is_refused_even_when_it_is_the_one_expected() {
        let dir = tempfile::tempdir().unwrap();
        let (path, bytes) = edges_file(dir.path());
        for i in 16..24 {
            let mut changed = bytes.clone();
            changed[i] ^= 0x01;
            std::fs::write(&path, &changed).unwrap();
            // With the hash it was written with, the parameters differ.
            let e = error_of::<VerifiedPair>(&path, 42);
            assert!(matches!(e, StageFileError::Params { .. }), "byte {i}: {e:?}");
            // With the changed hash, the checksum does not match.
            let stored = u64_at(&changed, 16);
            assert_ne!(stored, 42);
            let e = error_of::<VerifiedPair>(&path, stored);
            assert!(matches!(e, StageFileError::Checksum { .. }), "byte {i}: {e:?}");
            assert!(e.to_string().contains("checksum mismatch: the file is damaged"), "{e}");
        }
    }

    #[test]
    fn a_changed_kind_tag_whose_records_still_read_is_refused_as_damaged() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("fps.stage");
        // Records of 8, 20 and 20 bytes: as edges, 3 records of 16 bytes.
        write(&path, 4, (), &[fps(1, &[]), fps(2, &[(3, 4)]), fps(5, &[(6, 7)])]);
        let mut bytes = std::fs::read(&path).unwrap();
        bytes[8..12].copy_from_slice(&Kind::VerifiedEdges.tag());
        std::fs::write(&path, &bytes).unwrap();
        assert!(StageReader::<VerifiedPair>::open(&path, 4).is_ok());
        let e = error_of::<VerifiedPair>(&path, 4);
        assert!(matches!(e, StageFileError::Checksum { .. }), "{e:?}");
    }

    #[test]
    fn rejects_truncated_files() {
        let dir = tempfile::tempdir().unwrap();
        let (path, bytes) = edges_file(dir.path());
        assert_eq!(bytes.len(), 28 + 32 + 32);
        // In the magic, the kind, the parameter hash, the kind fields'
        // length, at the payload's start, inside a record, at a record's
        // end, in the trailer, and one byte short.
        for cut in [3, 10, 20, 26, 28, 35, 44, 60, 70, 91] {
            std::fs::write(&path, &bytes[..cut]).unwrap();
            let e = error_of::<VerifiedPair>(&path, 42);
            assert!(matches!(e, StageFileError::Truncated { .. }), "cut at {cut}: {e:?}");
            assert!(e.to_string().contains(": truncated: "), "{e}");
        }
    }

    #[test]
    fn a_file_cut_while_it_is_read_is_truncated() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("fps.stage");
        let records: Vec<DocFingerprints> =
            (0..20_000).map(|d| fps(d, &[(u64::from(d), d)])).collect();
        write(&path, 1, (), &records);
        let mut reader = StageReader::<DocFingerprints>::open(&path, 1).unwrap();
        assert_eq!(reader.next().unwrap().unwrap(), records[0]);
        // The reader has buffered 64 KiB of the 400 KB payload.
        std::fs::OpenOptions::new().write(true).open(&path).unwrap().set_len(200_000).unwrap();
        let last = reader.last().unwrap();
        let e = last.expect_err("the cut should be noticed");
        assert!(matches!(e, StageFileError::Truncated { .. }), "{e:?}");
        assert!(e.to_string().contains(&path.display().to_string()), "{e}");
    }

    #[test]
    fn rejects_trailing_garbage() {
        let dir = tempfile::tempdir().unwrap();
        let (path, bytes) = edges_file(dir.path());
        for extra in [&b"\n"[..], b"garbage", &[0u8; 100], &bytes[60..]] {
            let mut longer = bytes.clone();
            longer.extend_from_slice(extra);
            std::fs::write(&path, &longer).unwrap();
            let e = error_of::<VerifiedPair>(&path, 42);
            assert!(matches!(e, StageFileError::Damaged { .. }), "{e:?}");
            let msg = e.to_string();
            if extra.ends_with(&END_MAGIC) {
                // A second trailer: the first trailer's length no longer
                // reaches the end.
                assert!(msg.contains("its trailer gives a payload of 32 bytes, but 64"), "{msg}");
            } else {
                let expect = format!("{} bytes follow its end magic at byte 92", extra.len());
                assert!(msg.contains(&expect), "{msg}");
            }
        }
    }

    /// Recomputes the payload length and checksum of a file whose payload
    /// starts at `start`, keeping its record count. The checksum is that of
    /// every byte before the trailer.
    fn reseal(bytes: &mut [u8], start: usize) {
        let end = bytes.len() - TRAILER_LEN as usize;
        let len = (end - start) as u64;
        let sum = xxh3_64(&bytes[..end]);
        bytes[end + 8..end + 16].copy_from_slice(&len.to_le_bytes());
        bytes[end + 16..end + 24].copy_from_slice(&sum.to_le_bytes());
    }

    #[test]
    fn rejects_a_record_count_that_disagrees_with_the_payload() {
        let dir = tempfile::tempdir().unwrap();
        let (path, mut bytes) = edges_file(dir.path());
        let count_at = bytes.len() - 32;
        for count in [0u64, 1, 3] {
            bytes[count_at..count_at + 8].copy_from_slice(&count.to_le_bytes());
            std::fs::write(&path, &bytes).unwrap();
            let e = error_of::<VerifiedPair>(&path, 42);
            assert!(matches!(e, StageFileError::Damaged { .. }), "count {count}: {e:?}");
        }
        bytes[count_at..count_at + 8].copy_from_slice(&u64::MAX.to_le_bytes());
        std::fs::write(&path, &bytes).unwrap();
        let e = error_of::<VerifiedPair>(&path, 42);
        assert!(e.to_string().contains("more than its 32 payload bytes can hold"), "{e}");
    }

    #[test]
    fn huge_stated_lengths_give_errors_not_allocations() {
        let dir = tempfile::tempdir().unwrap();
        // A fingerprint count of u32::MAX (48 GiB of fingerprints) in a
        // file whose trailer and checksum agree with its 16-byte payload.
        let path = dir.path().join("fps.stage");
        write(&path, 0, (), &[fps(1, &[]), fps(2, &[])]);
        let mut bytes = std::fs::read(&path).unwrap();
        bytes[28 + 4..28 + 8].copy_from_slice(&u32::MAX.to_le_bytes());
        reseal(&mut bytes, 28);
        std::fs::write(&path, &bytes).unwrap();
        let e = error_of::<DocFingerprints>(&path, 0);
        assert!(matches!(e, StageFileError::Damaged { .. }), "{e:?}");
        assert!(e.to_string().contains("record 0: it needs 51539607540 more bytes"), "{e}");

        // Signatures of u32::MAX values: the trailer's one record cannot fit.
        let path = dir.path().join("sigs.stage");
        let layout = SignatureLayout { num_perm: 1, bands: 0 };
        write(&path, 0, layout, &[sig(1, &[2], &[])]);
        let mut bytes = std::fs::read(&path).unwrap();
        bytes[28..32].copy_from_slice(&u32::MAX.to_le_bytes());
        std::fs::write(&path, &bytes).unwrap();
        let e = error_of::<DocSignature>(&path, 0);
        assert!(e.to_string().contains("gives 1 records, more than its 8 payload bytes"), "{e}");

        // Kind fields of 4 GiB.
        let (path, mut bytes) = edges_file(dir.path());
        bytes[24..28].copy_from_slice(&u32::MAX.to_le_bytes());
        std::fs::write(&path, &bytes).unwrap();
        let e = error_of::<VerifiedPair>(&path, 42);
        assert!(e.to_string().contains("4294967295 bytes of kind fields"), "{e}");
    }

    #[test]
    fn rejects_kind_fields_of_the_wrong_length() {
        let dir = tempfile::tempdir().unwrap();
        // An edges file with 4 bytes of kind fields.
        let path = dir.path().join("edges.stage");
        let mut bytes = hex("
            4E 45 41 52 44 55 50 1A  45 44 47 45  01 00 00 00
            00 00 00 00 00 00 00 00  04 00 00 00  00 00 00 00
            00 00 00 00 00 00 00 00  00 00 00 00 00 00 00 00
            00 00 00 00 00 00 00 00  4E 45 41 52 44 55 50 04
        ");
        reseal(&mut bytes, 32);
        std::fs::write(&path, &bytes).unwrap();
        let e = error_of::<VerifiedPair>(&path, 0);
        assert!(e.to_string().contains("4 bytes of kind fields, where this kind has none"), "{e}");
    }

    /// The names in `dir`.
    fn names(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    #[test]
    fn a_dropped_writer_leaves_the_old_file_and_no_temporary_file() {
        let dir = tempfile::tempdir().unwrap();
        let (path, before) = edges_file(dir.path());
        let mut w = StageWriter::<VerifiedPair>::create(&path, 42, ()).unwrap();
        for i in 0..200_000 {
            w.push(&edge(i, i + 1, 0.9)).unwrap(); // 3.2 MB: more than the write buffer
        }
        let all = names(dir.path());
        assert_eq!(all.len(), 2, "{all:?}");
        let tmp = all.iter().find(|n| n.starts_with(".edges.stage.tmp-")).expect("temporary file");
        let tmp = dir.path().join(tmp);
        assert!(crate::tempfiles::registered().contains(&tmp));
        assert!(std::fs::metadata(&tmp).unwrap().len() > 1 << 20);
        drop(w);
        assert_eq!(std::fs::read(&path).unwrap(), before);
        assert_eq!(names(dir.path()), ["edges.stage"]);
        assert!(!crate::tempfiles::registered().contains(&tmp));
    }

    #[test]
    fn finish_replaces_an_existing_file() {
        let dir = tempfile::tempdir().unwrap();
        let (path, before) = edges_file(dir.path());
        let records = vec![edge(8, 9, 0.25)];
        let mut w = StageWriter::<VerifiedPair>::create(&path, 43, ()).unwrap();
        w.push(&records[0]).unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), before, "replaced before finish");
        let trailer = w.finish().unwrap();
        assert_eq!(trailer.records, 1);
        assert_eq!(names(dir.path()), ["edges.stage"]);
        assert_eq!(edge_bits(&read_all::<VerifiedPair>(&path, 43).unwrap()), edge_bits(&records));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_ne!(mode & 0o777, 0o600, "kept the private mode of a temporary file");
        }
    }

    #[test]
    fn creating_in_a_missing_folder_names_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("no such folder").join("edges.stage");
        let e = StageWriter::<VerifiedPair>::create(&path, 0, ()).unwrap_err();
        assert!(matches!(e, StageFileError::Io { .. }), "{e:?}");
        assert!(e.to_string().starts_with(&path.display().to_string()), "{e}");
        let e = read_all::<VerifiedPair>(&path, 0).unwrap_err();
        assert!(e.to_string().starts_with(&path.display().to_string()), "{e}");
        // As a crate error, the message is the same.
        assert_eq!(crate::Error::from(e).to_string().split(':').next(), path.to_str());
    }

    #[test]
    fn a_record_that_does_not_fit_is_refused_and_the_writer_goes_on() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sigs.stage");
        let layout = SignatureLayout { num_perm: 2, bands: 1 };
        let mut w = StageWriter::<DocSignature>::create(&path, 0, layout).unwrap();
        w.push(&sig(0, &[1, 2], &[3])).unwrap();
        let e = w.push(&sig(1, &[1, 2, 3], &[3])).unwrap_err();
        let msg = format!(
            "{}: record 1 cannot be written: document 1 has 3 signature values and 1 band keys, \
             the file holds 2 and 1 per record",
            path.display()
        );
        assert_eq!(e.to_string(), msg);
        w.push(&sig(2, &[4, 5], &[6])).unwrap();
        assert_eq!(w.records(), 2);
        w.finish().unwrap();
        let back = read_all::<DocSignature>(&path, 0).unwrap();
        assert_eq!(back, vec![sig(0, &[1, 2], &[3]), sig(2, &[4, 5], &[6])]);
    }

    /// Flips every bit pattern of `flips` in every byte of the file at
    /// `path` in turn: each damaged file is refused with its name.
    fn every_flip_is_refused<R: Record + fmt::Debug>(path: &Path, hash: u64) {
        let bytes = std::fs::read(path).unwrap();
        for i in 0..bytes.len() {
            for flip in [0x01, 0x80, 0xFF] {
                let mut damaged = bytes.clone();
                damaged[i] ^= flip;
                std::fs::write(path, &damaged).unwrap();
                let e = error_of::<R>(path, hash);
                assert!(!matches!(e, StageFileError::Io { .. }), "byte {i} ^ {flip:#x}: {e}");
            }
        }
    }

    #[test]
    fn every_single_byte_change_of_a_small_file_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let (path, _) = edges_file(dir.path());
        every_flip_is_refused::<VerifiedPair>(&path, 42);

        let path = dir.path().join("sigs.stage");
        let layout = SignatureLayout { num_perm: 2, bands: 1 };
        write(&path, 3, layout, &[sig(1, &[2, 3], &[4]), sig(5, &[6, 7], &[8])]);
        every_flip_is_refused::<DocSignature>(&path, 3);

        let path = dir.path().join("fps.stage");
        write(&path, 4, (), &[fps(1, &[(2, 3)]), fps(4, &[]), fps(5, &[(6, 7), (8, 9)])]);
        every_flip_is_refused::<DocFingerprints>(&path, 4);
    }

    fn arb_edges() -> impl Strategy<Value = Vec<VerifiedPair>> {
        prop::collection::vec((any::<u32>(), any::<u32>(), any::<u64>()), 0..12)
            .prop_map(|v| v.into_iter().map(|(a, b, s)| edge(a, b, f64::from_bits(s))).collect())
    }

    fn arb_signatures() -> impl Strategy<Value = (SignatureLayout, Vec<DocSignature>)> {
        (0u32..5, 0u32..3).prop_flat_map(|(p, b)| {
            let record = (
                any::<u32>(),
                prop::collection::vec(any::<u32>(), p as usize),
                prop::collection::vec(any::<u64>(), b as usize),
            );
            prop::collection::vec(record, 0..8).prop_map(move |v| {
                let records = v.into_iter().map(|(d, s, k)| sig(d, &s, &k)).collect();
                (SignatureLayout { num_perm: p, bands: b }, records)
            })
        })
    }

    fn arb_fingerprints() -> impl Strategy<Value = Vec<DocFingerprints>> {
        let doc = (any::<u32>(), prop::collection::vec((any::<u64>(), any::<u32>()), 0..5));
        prop::collection::vec(doc, 0..8)
            .prop_map(|v| v.into_iter().map(|(d, f)| fps(d, &f)).collect())
    }

    /// Writes `records`, reads them back, then flips one byte and reads
    /// again: the result is an error naming the file, or the same records.
    fn check_kind<R: Record + fmt::Debug, K: PartialEq + fmt::Debug>(
        dir: &Path,
        layout: R::Layout,
        records: &[R],
        key: impl Fn(&[R]) -> K,
        at: prop::sample::Index,
        flip: u8,
    ) -> Result<(), TestCaseError> {
        let path = dir.join(format!("{}.stage", R::KIND));
        write(&path, 5, layout, records);
        prop_assert_eq!(key(&read_all::<R>(&path, 5).unwrap()), key(records));
        let mut bytes = std::fs::read(&path).unwrap();
        let i = at.index(bytes.len());
        bytes[i] ^= flip;
        std::fs::write(&path, &bytes).unwrap();
        match read_all::<R>(&path, 5) {
            Ok(back) => prop_assert_eq!(key(&back), key(records), "byte {} undetected", i),
            Err(e) => prop_assert!(e.to_string().contains(&path.display().to_string())),
        }
        Ok(())
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        #[test]
        fn records_round_trip_and_corruption_is_detected(
            edges in arb_edges(),
            (layout, signatures) in arb_signatures(),
            fingerprints in arb_fingerprints(),
            at in any::<prop::sample::Index>(),
            flip in 1u8..=255,
        ) {
            let dir = tempfile::tempdir().unwrap();
            check_kind(dir.path(), (), &edges, edge_bits, at, flip)?;
            check_kind(dir.path(), layout, &signatures, <[DocSignature]>::to_vec, at, flip)?;
            check_kind(dir.path(), (), &fingerprints, <[DocFingerprints]>::to_vec, at, flip)?;
        }
    }
}
