//! Progress on stderr: an indicatif bar on a terminal, JSON lines for
//! machines, or nothing.

use std::io::{IsTerminal, Write};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use neardup::progress::Progress;

use super::args::ProgressArg;

/// The CLI's progress display.
pub enum Display {
    /// Nothing.
    Hidden,
    /// A bar (with ETA when the input size is known), the stage and the
    /// records read so far in its message.
    Bar(ProgressBar, Mutex<String>, AtomicU64),
    /// One JSON object a line, at most one a second plus one per stage.
    Json(JsonProgress),
}

/// State of the JSON progress lines.
pub struct JsonProgress {
    start: Instant,
    last: Mutex<Instant>,
    stage: Mutex<String>,
    docs: AtomicU64,
    bytes: AtomicU64,
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
                last: Mutex::new(Instant::now()),
                stage: Mutex::new(String::new()),
                docs: AtomicU64::new(0),
                bytes: AtomicU64::new(0),
            }),
            ProgressArg::Auto | ProgressArg::Bar => {
                let bar = match total {
                    Some(t) => ProgressBar::with_draw_target(Some(t), ProgressDrawTarget::stderr())
                        .with_style(
                            ProgressStyle::with_template(
                                "{msg} [{bar:30}] {bytes}/{total_bytes} {binary_bytes_per_sec} ETA {eta}",
                            )
                            .expect("BUG: template")
                            .progress_chars("=> "),
                        ),
                    None => ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr()).with_style(
                        ProgressStyle::with_template("{spinner} {msg} {bytes} {binary_bytes_per_sec} {elapsed}")
                            .expect("BUG: template"),
                    ),
                };
                bar.enable_steady_tick(Duration::from_millis(200));
                Display::Bar(bar, Mutex::new(String::new()), AtomicU64::new(0))
            }
        }
    }
}

impl JsonProgress {
    fn emit(&self, force: bool) {
        let now = Instant::now();
        {
            let mut last = self.last.lock().unwrap_or_else(|e| e.into_inner());
            if !force && now.duration_since(*last) < Duration::from_secs(1) {
                return;
            }
            *last = now;
        }
        let stage = self.stage.lock().unwrap_or_else(|e| e.into_inner()).clone();
        let line = serde_json::json!({
            "stage": stage,
            "records": self.docs.load(Ordering::Relaxed),
            "bytes": self.bytes.load(Ordering::Relaxed),
            "elapsed_seconds": (now - self.start).as_secs_f64(),
        });
        let _ = writeln!(std::io::stderr().lock(), "{line}");
    }
}

impl Progress for Display {
    fn stage(&self, name: &str) {
        match self {
            Display::Hidden => {}
            Display::Bar(b, stage, docs) => {
                *stage.lock().unwrap_or_else(|e| e.into_inner()) = name.to_owned();
                b.set_message(format!("{name}: {} records", docs.load(Ordering::Relaxed)));
            }
            Display::Json(j) => {
                *j.stage.lock().unwrap_or_else(|e| e.into_inner()) = name.to_owned();
                j.emit(true);
            }
        }
    }

    fn advance(&self, docs: u64, bytes: u64) {
        match self {
            Display::Hidden => {}
            Display::Bar(b, stage, n) => {
                let total = n.fetch_add(docs, Ordering::Relaxed) + docs;
                let stage = stage.lock().unwrap_or_else(|e| e.into_inner()).clone();
                b.set_message(format!("{stage}: {total} records"));
                b.inc(bytes);
            }
            Display::Json(j) => {
                j.docs.fetch_add(docs, Ordering::Relaxed);
                j.bytes.fetch_add(bytes, Ordering::Relaxed);
                j.emit(false);
            }
        }
    }

    fn finish(&self) {
        match self {
            Display::Hidden => {}
            Display::Bar(b, ..) => b.finish_and_clear(),
            Display::Json(j) => {
                *j.stage.lock().unwrap_or_else(|e| e.into_inner()) = "done".to_owned();
                j.emit(true);
            }
        }
    }
}

/// Total bytes of the inputs if all are plain (uncompressed) files or
/// folders of .txt files; `None` otherwise (no ETA then).
pub fn input_size(inputs: &[neardup::source::Input]) -> Option<u64> {
    use neardup::source::Input;
    let mut total = 0;
    for i in inputs {
        let (Input::Path(p) | Input::Spooled { path: p, .. }) = i else { return None };
        let m = std::fs::metadata(p).ok()?;
        if !m.is_dir() && !m.is_file() {
            return None; // a pipe: no size known
        }
        if m.is_dir() {
            for (path, _) in neardup::source::walk(p).into_iter().flatten() {
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
