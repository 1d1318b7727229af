//! Output files: checked before the run (folder there and writable, no
//! output that is an input, another output, or inside a scanned folder),
//! then written atomically, compressed as their names say, and broken pipes.
//!
//! A regular file (or a new one) is written to a hidden temporary file in
//! its folder, renamed over the target only when everything is written: an
//! interrupted run leaves the old file or the complete new one. A symbolic
//! link is written through (the file it points to is replaced, the link
//! stays). Anything else that exists (a device such as `/dev/null`, a named
//! pipe) is written directly, never replaced. `-` is standard output.

use std::fs::Metadata;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};

use super::UsageError;

/// Compression of an output, from its name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Compression {
    None,
    Gzip,
    Zstd,
}

/// Extensions of compressed formats neardup cannot write: refused rather
/// than written as plain text under a compressed name.
const UNSUPPORTED: [&str; 9] = ["bz2", "xz", "lzma", "lz", "lz4", "br", "zip", "7z", "z"];

/// Where an output goes.
#[derive(Debug)]
enum Target {
    Stdout,
    /// An existing file that is not a regular file: written in place.
    Direct(PathBuf),
    /// A regular file (existing or new), after following links: replaced
    /// atomically.
    Atomic(PathBuf),
}

/// An output named on the command line, checked.
#[derive(Debug)]
pub struct Output {
    flag: &'static str,
    given: PathBuf,
    target: Target,
    compression: Compression,
}

impl Output {
    /// Checks the output `given` for `flag` before anything is read: the
    /// compression its name asks for can be written, and for a file, its
    /// folder exists and a file can be created there.
    pub fn check(flag: &'static str, given: &Path) -> anyhow::Result<Output> {
        let shown = given.display();
        if given.as_os_str().is_empty() {
            return Err(UsageError(format!("{flag} needs a file name (or - for stdout)")).into());
        }
        if given.as_os_str() == "-" {
            return Ok(Output {
                flag,
                given: given.into(),
                target: Target::Stdout,
                compression: Compression::None,
            });
        }
        let ext = given.extension().and_then(|e| e.to_str()).unwrap_or("").to_ascii_lowercase();
        let compression = match ext.as_str() {
            "gz" | "gzip" => Compression::Gzip,
            "zst" | "zstd" => Compression::Zstd,
            e if UNSUPPORTED.contains(&e) => {
                return Err(UsageError(format!(
                    "{flag} {shown}: cannot write .{e} files; name it .gz or .zst to compress, \
                     or use another extension for plain text"
                ))
                .into());
            }
            _ => Compression::None,
        };
        let resolved =
            resolve_links(given).with_context(|| format!("cannot write {flag} {shown}"))?;
        let target = match std::fs::metadata(&resolved) {
            Ok(m) if m.is_dir() => bail!("cannot write {flag} {shown}: it is a folder"),
            Ok(m) if !m.is_file() => Target::Direct(resolved),
            _ => {
                let dir = folder_of(&resolved);
                match std::fs::metadata(dir) {
                    Ok(m) if m.is_dir() => {}
                    Ok(_) => {
                        bail!("cannot write {flag} {shown}: {} is not a folder", dir.display())
                    }
                    Err(e) => {
                        bail!("cannot write {flag} {shown}: folder {}: {e}", dir.display())
                    }
                }
                // The only sure test of writability: make (and drop) a file.
                temp_in(dir).with_context(|| {
                    format!(
                        "cannot write {flag} {shown}: cannot create a file in {}",
                        dir.display()
                    )
                })?;
                Target::Atomic(resolved)
            }
        };
        Ok(Output { flag, given: given.into(), target, compression })
    }

    /// Whether this output is standard output.
    pub fn is_stdout(&self) -> bool {
        matches!(self.target, Target::Stdout)
    }

    /// Writes the output with `fill`; for a file, into a temporary file that
    /// [`Staged::commit`] renames into place.
    pub fn stage<T>(
        &self,
        fill: impl FnOnce(&mut dyn Write) -> anyhow::Result<T>,
    ) -> anyhow::Result<(T, Staged)> {
        self.stage_inner(fill)
            .with_context(|| format!("cannot write {} {}", self.flag, self.given.display()))
    }

    fn stage_inner<T>(
        &self,
        fill: impl FnOnce(&mut dyn Write) -> anyhow::Result<T>,
    ) -> anyhow::Result<(T, Staged)> {
        match &self.target {
            Target::Stdout => {
                let w = BufWriter::with_capacity(1 << 16, std::io::stdout().lock());
                let mut enc = Encoder::new(w, self.compression)?;
                let value = fill(&mut enc)?;
                enc.finish()?.flush()?;
                Ok((value, Staged(None)))
            }
            Target::Direct(path) => {
                let f = std::fs::OpenOptions::new().write(true).open(path)?;
                let mut enc = Encoder::new(BufWriter::with_capacity(1 << 16, f), self.compression)?;
                let value = fill(&mut enc)?;
                enc.finish()?.flush()?;
                Ok((value, Staged(None)))
            }
            Target::Atomic(path) => {
                let tmp = temp_in(folder_of(path))?;
                let registered = neardup::tempfiles::register(tmp.path());
                let w = BufWriter::with_capacity(1 << 20, tmp);
                let mut enc = Encoder::new(w, self.compression)?;
                let value = fill(&mut enc)?;
                let tmp = enc.finish()?.into_inner().map_err(|e| e.into_error())?;
                // Temporary files are private (0600); give the result the
                // permissions of the file it replaces, or the usual 0644.
                let perms = match std::fs::metadata(path) {
                    Ok(m) => m.permissions(),
                    Err(_) => default_permissions(tmp.as_file())?,
                };
                tmp.as_file().set_permissions(perms)?;
                tmp.as_file().sync_all()?;
                let pending = Pending { tmp, target: path.clone(), _registered: registered };
                Ok((value, Staged(Some(pending))))
            }
        }
    }

    /// The identity of the file written, if it exists or will be made: the
    /// device and inode of an existing file, else its folder's and its name.
    fn key(&self) -> Option<Key> {
        match &self.target {
            Target::Stdout => None,
            Target::Direct(p) | Target::Atomic(p) => match std::fs::metadata(p) {
                Ok(m) => Some(Key::File(file_key(&m, p))),
                Err(_) => {
                    let dir = std::fs::metadata(folder_of(p)).ok()?;
                    Some(Key::New(file_key(&dir, folder_of(p)), p.file_name()?.to_owned()))
                }
            },
        }
    }
}

/// An output written but not yet in place.
#[derive(Debug)]
pub struct Staged(Option<Pending>);

#[derive(Debug)]
struct Pending {
    // Dropped in this order: the file is removed, then unregistered.
    tmp: tempfile::NamedTempFile,
    target: PathBuf,
    _registered: neardup::tempfiles::Registered,
}

impl Staged {
    /// Renames the output into place.
    pub fn commit(self) -> anyhow::Result<()> {
        if let Some(p) = self.0 {
            p.tmp
                .persist(&p.target)
                .map_err(|e| e.error)
                .with_context(|| format!("cannot rename into {}", p.target.display()))?;
        }
        Ok(())
    }
}

/// Puts every staged output in place, once all were written.
pub fn commit_all(staged: Vec<Staged>) -> anyhow::Result<()> {
    staged.into_iter().try_for_each(Staged::commit)
}

/// Where a file's temporary sibling goes.
fn folder_of(path: &Path) -> &Path {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    }
}

fn temp_in(dir: &Path) -> std::io::Result<tempfile::NamedTempFile> {
    tempfile::Builder::new().prefix(".neardup-").suffix(".tmp").tempfile_in(dir).map_err(|e| {
        // Without the random name of the file it tried (of no use to anyone).
        match e.raw_os_error() {
            Some(code) => std::io::Error::from_raw_os_error(code),
            None => std::io::Error::new(e.kind(), e.kind().to_string()),
        }
    })
}

/// Follows symbolic links from `path` to the file they lead to (which may
/// not exist yet, for a dangling link).
fn resolve_links(path: &Path) -> std::io::Result<PathBuf> {
    let mut p = path.to_path_buf();
    for _ in 0..40 {
        match std::fs::symlink_metadata(&p) {
            Ok(m) if m.file_type().is_symlink() => {
                let to = std::fs::read_link(&p)?;
                p = if to.is_absolute() { to } else { folder_of(&p).join(to) };
            }
            _ => return Ok(p),
        }
    }
    Err(std::io::Error::other("too many levels of symbolic links"))
}

/// What identifies a file: device and inode where there are such.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Key {
    File(FileKey),
    /// A file not made yet: its folder and name.
    New(FileKey, std::ffi::OsString),
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum FileKey {
    #[cfg_attr(not(unix), allow(dead_code))]
    Inode(u64, u64),
    #[cfg_attr(unix, allow(dead_code))]
    Path(PathBuf),
}

#[cfg(unix)]
fn file_key(m: &Metadata, _: &Path) -> FileKey {
    use std::os::unix::fs::MetadataExt;
    FileKey::Inode(m.dev(), m.ino())
}

#[cfg(not(unix))]
fn file_key(_: &Metadata, p: &Path) -> FileKey {
    FileKey::Path(std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf()))
}

/// Refuses (a usage error, before anything is read) outputs that would
/// destroy data or be read as input: an output that is an input file,
/// that is another output, or that lies inside a folder being scanned.
/// `inputs` pairs each input path with the flag that named it.
pub fn check_conflicts(outputs: &[&Output], inputs: &[(&str, &Path)]) -> anyhow::Result<()> {
    let keys: Vec<Option<Key>> = outputs.iter().map(|o| o.key()).collect();
    for (i, a) in outputs.iter().enumerate() {
        for (j, b) in outputs.iter().enumerate().skip(i + 1) {
            // Devices (one terminal, /dev/null) can take several outputs.
            let direct = matches!(a.target, Target::Direct(_));
            let same = match (&keys[i], &keys[j]) {
                (Some(x), Some(y)) => x == y && !direct,
                _ => a.is_stdout() && b.is_stdout(),
            };
            if same {
                return Err(UsageError(format!(
                    "{} {} and {} {} are the same file: give each output a file of its own",
                    a.flag,
                    a.given.display(),
                    b.flag,
                    b.given.display()
                ))
                .into());
            }
        }
    }
    for &(in_flag, input) in inputs {
        if input.as_os_str() == "-" {
            continue;
        }
        let Ok(m) = std::fs::metadata(input) else { continue };
        let in_key = file_key(&m, input);
        for (o, key) in outputs.iter().zip(&keys) {
            // "the input docs/" for a positional input, "--truth l.jsonl" else.
            let named = match in_flag {
                "input" => format!("the input {}", input.display()),
                flag => format!("{flag} {}", input.display()),
            };
            if key.as_ref() == Some(&Key::File(in_key.clone())) {
                return Err(UsageError(format!(
                    "{} {} is also {named}: it would be overwritten; choose another output",
                    o.flag,
                    o.given.display(),
                ))
                .into());
            }
            if m.is_dir() && o.inside(&in_key) {
                return Err(UsageError(format!(
                    "{} {} is inside {named}, a folder being scanned: write it elsewhere",
                    o.flag,
                    o.given.display(),
                ))
                .into());
            }
        }
    }
    Ok(())
}

impl Output {
    /// Whether the file written lies in the folder `dir`, at any depth.
    fn inside(&self, dir: &FileKey) -> bool {
        let (Target::Atomic(p) | Target::Direct(p)) = &self.target else { return false };
        let Ok(mut folder) = std::fs::canonicalize(folder_of(p)) else { return false };
        loop {
            if std::fs::metadata(&folder).is_ok_and(|m| file_key(&m, &folder) == *dir) {
                return true;
            }
            if !folder.pop() {
                return false;
            }
        }
    }
}

/// A writer compressing as the output's name says.
enum Encoder<W: Write> {
    Plain(W),
    Gzip(flate2::write::GzEncoder<W>),
    Zstd(zstd::stream::write::Encoder<'static, W>),
}

impl<W: Write> Encoder<W> {
    fn new(w: W, c: Compression) -> std::io::Result<Encoder<W>> {
        Ok(match c {
            Compression::None => Encoder::Plain(w),
            Compression::Gzip => {
                Encoder::Gzip(flate2::write::GzEncoder::new(w, flate2::Compression::default()))
            }
            Compression::Zstd => Encoder::Zstd(zstd::stream::write::Encoder::new(w, 3)?),
        })
    }

    fn finish(self) -> std::io::Result<W> {
        match self {
            Encoder::Plain(w) => Ok(w),
            Encoder::Gzip(e) => e.finish(),
            Encoder::Zstd(e) => e.finish(),
        }
    }
}

impl<W: Write> Write for Encoder<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        match self {
            Encoder::Plain(w) => w.write(buf),
            Encoder::Gzip(w) => w.write(buf),
            Encoder::Zstd(w) => w.write(buf),
        }
    }

    fn write_all(&mut self, buf: &[u8]) -> std::io::Result<()> {
        match self {
            Encoder::Plain(w) => w.write_all(buf),
            Encoder::Gzip(w) => w.write_all(buf),
            Encoder::Zstd(w) => w.write_all(buf),
        }
    }

    fn flush(&mut self) -> std::io::Result<()> {
        match self {
            Encoder::Plain(w) => w.flush(),
            Encoder::Gzip(w) => w.flush(),
            Encoder::Zstd(w) => w.flush(),
        }
    }
}

/// True if the error chain holds a broken pipe (stdout closed by `head`).
pub fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

#[cfg(unix)]
fn default_permissions(_: &std::fs::File) -> std::io::Result<std::fs::Permissions> {
    use std::os::unix::fs::PermissionsExt;
    Ok(std::fs::Permissions::from_mode(0o644))
}

#[cfg(not(unix))]
fn default_permissions(f: &std::fs::File) -> std::io::Result<std::fs::Permissions> {
    Ok(f.metadata()?.permissions())
}
