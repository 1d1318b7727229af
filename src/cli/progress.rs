//! Progress on stderr: an indicatif bar on a terminal, JSON lines for
//! machines, or nothing. Every stage shows its own progress: the first read
//! by input bytes (with ETA when the input size is known), later stages by
//! their own units (pairs refined, records read again, bytes written), and
//! stages without a count by their name and elapsed time, so nothing sits at
//! a finished bar's "ETA 0s".

use std::io::{IsTerminal, Write};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use neardup::progress::Progress;

use super::args::ProgressArg;

/// The CLI's progress display.
pub enum Display {
    /// Nothing.
    Hidden,
    /// A bar or spinner, restyled per stage.
    Bar(Bar),
    /// One JSON object a line, at most one a second plus one per stage.
    Json(JsonProgress),
}

/// What the bar shows now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// A stage with no count yet: its name and elapsed time.
    Spinner,
    /// Input bytes of the first read (bar if the size is known).
    Read,
    /// A count of `unit` with a known total.
    Counted,
    /// A count of `unit`, total unknown.
    Open,
}

/// State of the bar.
pub struct Bar {
    bar: ProgressBar,
    /// Input size in bytes, when known.
    total: Option<u64>,
    state: Mutex<BarState>,
}

struct BarState {
    stage: String,
    records: u64,
    mode: Mode,
    unit: String,
}

/// State of the JSON progress lines.
pub struct JsonProgress {
    start: Instant,
    state: Mutex<JsonState>,
}

#[derive(Default)]
struct JsonState {
    last: Option<Instant>,
    stage: String,
    records: u64,
    bytes: u64,
    /// Work within the stage: done, total, unit.
    work: Option<(u64, Option<u64>, String)>,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl Display {
    /// The display for `--progress` and `--quiet`; `total` is the input size
    /// in bytes when known (plain files only).
    pub fn new(choice: ProgressArg, quiet: bool, total: Option<u64>) -> Display {
        match choice {
            ProgressArg::None => Display::Hidden,
            // -q silences the bar; JSON progress asked for by name stays.
            ProgressArg::Auto | ProgressArg::Bar if quiet => Display::Hidden,
            ProgressArg::Auto if !std::io::stderr().is_terminal() => Display::Hidden,
            ProgressArg::Json => Display::Json(JsonProgress {
                start: Instant::now(),
                state: Mutex::new(JsonState::default()),
            }),
            ProgressArg::Auto | ProgressArg::Bar => {
                let bar = ProgressBar::with_draw_target(total, ProgressDrawTarget::stderr());
                bar.enable_steady_tick(Duration::from_millis(200));
                let b = Bar {
                    bar,
                    total,
                    state: Mutex::new(BarState {
                        stage: String::new(),
                        records: 0,
                        mode: Mode::Read,
                        unit: String::new(),
                    }),
                };
                b.restyle(&mut lock(&b.state), Mode::Spinner, "");
                Display::Bar(b)
            }
        }
    }

    /// Everything is done (the outputs too): clears the bar, or writes the
    /// last JSON line (`"stage": "done"`).
    pub fn close(&self) {
        match self {
            Display::Hidden => {}
            Display::Bar(b) => b.bar.finish_and_clear(),
            Display::Json(j) => {
                let mut s = lock(&j.state);
                s.stage = "done".to_owned();
                s.work = None;
                j.emit(&mut s, true);
            }
        }
    }
}

fn style(template: &str) -> ProgressStyle {
    ProgressStyle::with_template(template).expect("BUG: template").progress_chars("=> ")
}

impl Bar {
    /// Switches the bar to `mode` (counting `unit`), resetting its
    /// position, length, elapsed time and rate estimate.
    fn restyle(&self, s: &mut BarState, mode: Mode, unit: &str) {
        if s.mode == mode && s.unit == unit {
            return;
        }
        s.mode = mode;
        s.unit = unit.to_owned();
        self.bar.reset();
        let bytes = unit == "bytes";
        let (template, length) = match mode {
            Mode::Spinner => ("{spinner} {msg} {elapsed}".to_owned(), None),
            Mode::Read => match self.total {
                Some(t) => (
                    "{msg} [{bar:30}] {bytes}/{total_bytes} {binary_bytes_per_sec} ETA {eta}"
                        .to_owned(),
                    Some(t),
                ),
                None => {
                    ("{spinner} {msg} {bytes} {binary_bytes_per_sec} {elapsed}".to_owned(), None)
                }
            },
            // The length comes with the count (`work`).
            Mode::Counted if bytes => {
                ("{msg} [{bar:30}] {bytes}/{total_bytes} ETA {eta}".to_owned(), Some(u64::MAX))
            }
            Mode::Counted => {
                (format!("{{msg}} [{{bar:30}}] {{pos}}/{{len}} {unit} ETA {{eta}}"), Some(u64::MAX))
            }
            Mode::Open if bytes => ("{spinner} {msg}: {bytes} {elapsed}".to_owned(), None),
            Mode::Open => (format!("{{spinner}} {{msg}}: {{pos}} {unit} {{elapsed}}"), None),
        };
        self.bar.set_style(style(&template));
        match length {
            Some(u64::MAX) => {}
            Some(l) => self.bar.set_length(l),
            None => self.bar.unset_length(),
        }
    }
}

impl JsonProgress {
    fn emit(&self, s: &mut JsonState, force: bool) {
        let now = Instant::now();
        if !force && s.last.is_some_and(|l| now.duration_since(l) < Duration::from_secs(1)) {
            return;
        }
        s.last = Some(now);
        let mut line = serde_json::json!({
            "stage": s.stage,
            "records": s.records,
            "bytes": s.bytes,
            "elapsed_seconds": (now - self.start).as_secs_f64(),
        });
        if let Some((done, total, unit)) = &s.work {
            line["done"] = (*done).into();
            line["total"] = (*total).into();
            line["unit"] = unit.as_str().into();
        }
        let _ = writeln!(std::io::stderr().lock(), "{line}");
    }
}

impl Progress for Display {
    fn stage(&self, name: &str) {
        match self {
            Display::Hidden => {}
            Display::Bar(b) => {
                let mut s = lock(&b.state);
                s.stage = name.to_owned();
                let mode = if name == "read" { Mode::Read } else { Mode::Spinner };
                b.restyle(&mut s, mode, "");
                let msg = if name == "read" {
                    format!("read: {} records", s.records)
                } else {
                    name.to_owned()
                };
                b.bar.set_message(msg);
            }
            Display::Json(j) => {
                let mut s = lock(&j.state);
                s.stage = name.to_owned();
                s.work = None;
                j.emit(&mut s, true);
            }
        }
    }

    fn advance(&self, docs: u64, bytes: u64) {
        match self {
            Display::Hidden => {}
            Display::Bar(b) => {
                let mut s = lock(&b.state);
                s.records += docs;
                b.bar.set_message(format!("{}: {} records", s.stage, s.records));
                b.bar.inc(bytes);
            }
            Display::Json(j) => {
                let mut s = lock(&j.state);
                s.records += docs;
                s.bytes += bytes;
                j.emit(&mut s, false);
            }
        }
    }

    fn work(&self, done: u64, total: Option<u64>, unit: &str) {
        match self {
            Display::Hidden => {}
            Display::Bar(b) => {
                let mut s = lock(&b.state);
                let mode = if total.is_some() { Mode::Counted } else { Mode::Open };
                b.restyle(&mut s, mode, unit);
                if let Some(t) = total {
                    b.bar.set_length(t);
                }
                b.bar.set_position(done);
                b.bar.set_message(s.stage.clone());
            }
            Display::Json(j) => {
                let mut s = lock(&j.state);
                let new_unit = s.work.as_ref().is_none_or(|w| w.2 != unit);
                s.work = Some((done, total, unit.to_owned()));
                // A new count, and a finished one, are always shown.
                j.emit(&mut s, new_unit || total == Some(done));
            }
        }
    }

    fn finish(&self) {
        // The scan is over; the outputs are still to be written (see
        // `Display::close`).
        self.stage("scan done");
    }
}

impl Drop for Bar {
    /// A run that stops early (an error) leaves no bar behind its message.
    fn drop(&mut self) {
        self.bar.finish_and_clear();
    }
}

/// A writer that reports the bytes written through it as work of the
/// current stage (at most every 1 MB, and at the end as done of a total).
pub struct Counting<'a> {
    inner: &'a mut dyn Write,
    progress: &'a dyn Progress,
    written: u64,
    shown: u64,
}

impl<'a> Counting<'a> {
    /// Counts what goes to `inner`.
    pub fn new(inner: &'a mut dyn Write, progress: &'a dyn Progress) -> Counting<'a> {
        progress.work(0, None, "bytes");
        Counting { inner, progress, written: 0, shown: 0 }
    }
}

impl Write for Counting<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.written += n as u64;
        if self.written - self.shown >= 1 << 20 {
            self.shown = self.written;
            self.progress.work(self.written, None, "bytes");
        }
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.progress.work(self.written, None, "bytes");
        self.inner.flush()
    }
}

impl Drop for Counting<'_> {
    /// The output is complete: its size is the total.
    fn drop(&mut self) {
        self.progress.work(self.written, Some(self.written), "bytes");
    }
}

/// Total bytes of the inputs if all are plain (uncompressed) files or
/// folders of .txt files; `None` otherwise (no ETA then).
pub fn input_size(
    inputs: &[neardup::source::Input],
    walk: &neardup::source::WalkOptions,
) -> Option<u64> {
    use neardup::source::Input;
    let mut total = 0;
    for i in inputs {
        let (Input::Path(p) | Input::Spooled { path: p, .. }) = i else { return None };
        let m = std::fs::metadata(p).ok()?;
        if !m.is_dir() && !m.is_file() {
            return None; // a pipe: no size known
        }
        if m.is_dir() {
            for (path, _) in neardup::source::walk(p, walk).into_iter().flatten() {
                let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("");
                if matches!(ext, "gz" | "gzip" | "zst" | "zstd") {
                    return None; // compressed: the text is larger than the file
                }
                total += std::fs::metadata(path).map_or(0, |m| m.len());
            }
        } else {
            let ext = p.extension().and_then(|e| e.to_str()).unwrap_or("");
            if matches!(ext, "gz" | "gzip" | "zst" | "zstd") {
                return None;
            }
            total += m.len();
        }
    }
    Some(total)
}
