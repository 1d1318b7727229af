//! The command line: parse ([`args`]), validate into a library
//! [`neardup::Config`] ([`config`]), run, print ([`output`]).

mod args;
mod config;
mod output;
mod progress;
pub mod synth;

use std::io::Write;
use std::process::ExitCode;

use anyhow::bail;

use args::{Args, Command, Format};
use neardup::progress::Progress;
use neardup::report::{json, summary};

/// Exit statuses, mapped to numbers in one place.
#[derive(Debug, Clone, Copy)]
enum Exit {
    /// The run finished (duplicates found or not).
    Success,
    /// The run failed.
    Error,
    /// The command line asks for something impossible (clap's status too).
    Usage,
}

impl From<Exit> for ExitCode {
    fn from(e: Exit) -> ExitCode {
        match e {
            Exit::Success => ExitCode::SUCCESS,
            Exit::Error => ExitCode::from(1),
            Exit::Usage => ExitCode::from(2),
        }
    }
}

/// A usage error found after parsing (an option value out of range, flags
/// that do not go together, outputs that would destroy data): exit status
/// 2, like clap's own.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct UsageError(pub String);

/// Options of `scan` that `passages` (no document clustering) would
/// ignore: given to `passages`, they are a usage error.
const CLUSTERING_OPTIONS: [&str; 15] = [
    "method",
    "hamming",
    "ignore_boilerplate",
    "weighting",
    "verify",
    "threshold",
    "num_perm",
    "ngram",
    "char_ngram",
    "bands",
    "rows",
    "variant",
    "keep",
    "cluster",
    "truth",
];

/// Refuses options the subcommand would ignore: clustering options given to
/// `passages` (see [`CLUSTERING_OPTIONS`]), `dedup --format` without
/// `--report`.
fn check_ignored_options(matches: &clap::ArgMatches) -> Result<(), UsageError> {
    use clap::CommandFactory;
    use clap::parser::ValueSource;
    if let Some(("dedup", sub)) = matches.subcommand() {
        if sub.value_source("format") == Some(ValueSource::CommandLine)
            && sub.value_source("report").is_none()
        {
            return Err(UsageError(
                "dedup writes JSON Lines; --format is the format of the --report file, and no \
                 --report was given"
                    .into(),
            ));
        }
    }
    let Some(("passages", sub)) = matches.subcommand() else { return Ok(()) };
    let cmd = Args::command();
    let passages = cmd.find_subcommand("passages").expect("BUG: passages subcommand");
    for id in CLUSTERING_OPTIONS {
        if sub.value_source(id) == Some(ValueSource::CommandLine) {
            let flag = passages
                .get_arguments()
                .find(|a| a.get_id() == id)
                .and_then(|a| a.get_long())
                .unwrap_or(id);
            return Err(UsageError(format!(
                "passages finds repeated passages only and does not cluster documents, so \
                 --{flag} has no effect there; use scan, which does both"
            )));
        }
    }
    Ok(())
}

/// Parses the arguments (exit 2 on a usage error, as clap does) and runs.
pub fn run() -> ExitCode {
    use clap::{CommandFactory, FromArgMatches};
    let matches = Args::command().get_matches();
    let args = Args::from_arg_matches(&matches).unwrap_or_else(|e| e.exit());
    if let Err(e) = check_ignored_options(&matches) {
        eprintln!("neardup: error: {e}");
        return Exit::Usage.into();
    }
    remove_temporary_files_on_signals();
    match dispatch(args) {
        Ok(()) => Exit::Success.into(),
        Err(e) => {
            if output::is_broken_pipe(&e) {
                return Exit::Success.into();
            }
            eprintln!("neardup: error: {}", summary::printable(&format!("{e:#}")));
            if e.downcast_ref::<UsageError>().is_some() {
                Exit::Usage.into()
            } else {
                Exit::Error.into()
            }
        }
    }
}

/// On Ctrl-C (SIGINT), SIGTERM or SIGHUP, removes the temporary files of
/// the run (outputs being written, saved stdin), then dies of the signal as
/// it would have without a handler.
#[cfg(unix)]
fn remove_temporary_files_on_signals() {
    use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
    let Ok(mut signals) = signal_hook::iterator::Signals::new([SIGINT, SIGTERM, SIGHUP]) else {
        return; // no handler: temporary files may be left, as before
    };
    std::thread::spawn(move || {
        if let Some(signal) = signals.forever().next() {
            neardup::tempfiles::remove_all_and_hold();
            let _ = signal_hook::low_level::emulate_default_handler(signal);
            std::process::exit(128 + signal);
        }
    });
}

#[cfg(not(unix))]
fn remove_temporary_files_on_signals() {}

/// Checks the outputs (see [`output::check_conflicts`]) before anything is
/// read.
fn check_outputs<const N: usize>(
    outputs: [(&'static str, Option<&std::path::Path>); N],
    inputs: &[(&str, &std::path::Path)],
) -> anyhow::Result<[Option<output::Output>; N]> {
    let mut checked = Vec::with_capacity(N);
    for (flag, path) in outputs {
        checked.push(path.map(|p| output::Output::check(flag, p)).transpose()?);
    }
    let all: Vec<&output::Output> = checked.iter().flatten().collect();
    output::check_conflicts(&all, inputs)?;
    Ok(checked.try_into().expect("N outputs"))
}

/// The positional inputs, for [`check_outputs`].
fn named_inputs(inputs: &[String]) -> Vec<(&str, &std::path::Path)> {
    inputs.iter().map(|i| ("input", std::path::Path::new(i))).collect()
}

/// A run that read records but kept none did nothing: an error, not a
/// report of nothing. A run that read no record at all gets a warning.
fn check_something_read(report: &neardup::report::Report, quiet: bool) -> anyhow::Result<()> {
    let s = &report.stats;
    if s.records > 0 && s.documents == 0 {
        let reasons: Vec<String> =
            s.skipped_by_reason.iter().map(|(k, n)| format!("{k} {n}")).collect();
        let first = report.skipped.first().map(|k| format!("; first: {k}")).unwrap_or_default();
        bail!(
            "every record was skipped ({} of {}: {}){first}; nothing written",
            s.skipped,
            s.records,
            reasons.join(", ")
        );
    }
    if s.records == 0 && !quiet {
        eprintln!("neardup: warning: the inputs hold no records");
    }
    Ok(())
}

fn dispatch(args: Args) -> anyhow::Result<()> {
    match args.command {
        Command::Scan(a) | Command::Stats(a) => scan(&a, true),
        Command::Passages(a) => scan(&a, false),
        Command::Synth(a) => {
            let inputs: Vec<(&str, &std::path::Path)> =
                a.from.iter().map(|f| ("--from", std::path::Path::new(f))).collect();
            let [Some(docs_out), Some(labels_out)] = check_outputs(
                [("-o", Some(a.output.as_path())), ("--labels", Some(a.labels.as_path()))],
                &inputs,
            )?
            else {
                unreachable!("both outputs are required")
            };
            let inputs: Vec<_> = a.from.iter().map(|s| neardup::source::Input::parse(s)).collect();
            neardup::source::check_inputs(&inputs)?;
            let opts = neardup::source::SourceOptions::default();
            let (docs, skipped) = neardup::stage::read::read_all(&inputs, &opts);
            for s in &skipped {
                eprintln!("neardup: skipped {}", summary::printable(&s.to_string()));
            }
            if docs.is_empty() {
                bail!(
                    "no seed text in --from ({} records skipped); nothing written",
                    skipped.len()
                );
            }
            let texts: Vec<String> = docs.into_iter().map(|d| d.text).collect();
            let pool = synth::sentences(&texts);
            let opts = synth::SynthOptions {
                bytes: a.bytes,
                dup_rate: a.dup_rate,
                repeat_rate: a.repeat_rate,
                wire_rate: a.wire_rate,
                seed: a.seed,
                ..Default::default()
            };
            let ((stats, labels_staged), docs_staged) = docs_out.stage(|docs| {
                labels_out.stage(|labels| Ok(synth::generate(&pool, &opts, docs, labels)?))
            })?;
            output::commit_all(vec![docs_staged, labels_staged])?;
            let mut out: Box<dyn Write> = if docs_out.is_stdout() || labels_out.is_stdout() {
                Box::new(std::io::stderr())
            } else {
                Box::new(std::io::stdout())
            };
            writeln!(
                out,
                "wrote {} documents ({} variants, {:.1} MB of text) to {} and labels to {}",
                stats.documents,
                stats.variants,
                stats.bytes as f64 / 1e6,
                a.output.display(),
                a.labels.display()
            )?;
            Ok(())
        }
        Command::Eval(a) => {
            let truth = neardup::eval::read_labels(&a.truth)?;
            let ids = neardup::eval::read_report_ids(&a.report)?;
            warn_coverage(&ids, &truth);
            let m = neardup::eval::evaluate(&ids.clusters, &truth, ids.documents);
            let mut out = std::io::stdout().lock();
            match a.format {
                args::EvalFormat::Text => out.write_all(m.render().as_bytes())?,
                args::EvalFormat::Json => {
                    serde_json::to_writer(&mut out, &m)?;
                    out.write_all(b"\n")?;
                }
            }
            Ok(())
        }
        Command::Dedup(a) => {
            let [Some(out), report_out, html_out] = check_outputs(
                [
                    ("-o", Some(a.output.as_path())),
                    ("--report", a.report.as_deref()),
                    ("--html", a.common.html.as_deref()),
                ],
                &named_inputs(&a.common.inputs),
            )?
            else {
                unreachable!("-o is required")
            };
            // Passages only where an output shows or uses them: a plain
            // dedup writes the same collection without them.
            let passages_used = a.strip_repeats || a.report.is_some() || a.common.html.is_some();
            let later = neardup::plan::Later { dedup: true, texts: false };
            let prepared = config::build(&a.common, later, passages_used, true)?;
            let cfg = prepared.config();
            let display = progress_for(&a.common, cfg);
            let outcome = neardup::scan(cfg, &display)?;
            check_something_read(&outcome.report, a.common.quiet)?;
            let mut staged = Vec::new();
            display.stage("write -o");
            let (written, s) = out.stage(|w| {
                let mut w = progress::Counting::new(w, &display);
                Ok(neardup::stage::dedup::write_deduplicated(
                    cfg,
                    &outcome,
                    a.strip_repeats,
                    &mut w,
                    &a.output,
                )?)
            })?;
            staged.push(s);
            if let Some(html) = &html_out {
                let page = shown_on_page(&a.common);
                staged.push(stage_html(html, cfg, &outcome.report, &page, &display)?);
            }
            if let Some(r) = &report_out {
                let format = a.common.format.unwrap_or(Format::Json);
                display.stage("write --report");
                staged.push(
                    r.stage(|w| {
                        Ok(write_report(
                            &outcome.report,
                            format,
                            &mut progress::Counting::new(w, &display),
                        )?)
                    })?
                    .1,
                );
            }
            output::commit_all(staged)?;
            display.close();
            if !a.common.quiet {
                let mut sink = summary_sink([Some(&out), report_out.as_ref(), html_out.as_ref()]);
                sink.write_all(
                    summary::render_with(&outcome.report, "--report", &shown(&a.common)).as_bytes(),
                )?;
                writeln!(sink, "wrote {} documents to {}", written.written, a.output.display())?;
                sink.flush()?;
            }
            Ok(())
        }
    }
}

/// Warns (on stderr) about labels and a report that do not cover each
/// other (see [`neardup::eval::Coverage`]).
fn warn_coverage(
    ids: &neardup::eval::ReportIds,
    truth: &std::collections::HashMap<String, String>,
) {
    for w in neardup::eval::coverage(ids, truth).warnings(ids.documents) {
        eprintln!("neardup: warning: {}", summary::printable(&w));
    }
}

/// Where the summary goes: stdout, unless an output is written there.
fn summary_sink<const N: usize>(outputs: [Option<&output::Output>; N]) -> Box<dyn Write> {
    if outputs.iter().flatten().any(|o| o.is_stdout()) {
        Box::new(std::io::stderr())
    } else {
        Box::new(std::io::stdout().lock())
    }
}

fn scan(a: &args::ScanArgs, near_duplicates: bool) -> anyhow::Result<()> {
    let mut inputs = named_inputs(&a.common.inputs);
    if let Some(t) = &a.truth {
        inputs.push(("--truth", t));
    }
    let [report_out, html_out] = check_outputs(
        [("-o", a.output.as_deref()), ("--html", a.common.html.as_deref())],
        &inputs,
    )?;
    // Labels are read before the run: a missing or bad file fails at once.
    let truth = a.truth.as_deref().map(neardup::eval::read_labels).transpose()?;
    let prepared =
        config::build(&a.common, neardup::plan::Later::default(), true, near_duplicates)?;
    let cfg = prepared.config();
    let display = progress_for(&a.common, cfg);
    let mut outcome = neardup::scan(cfg, &display)?;
    check_something_read(&outcome.report, a.common.quiet)?;
    if let Some(truth) = &truth {
        let ids = neardup::eval::ReportIds::of(&outcome.report);
        if !a.common.quiet {
            warn_coverage(&ids, truth);
        }
        let m = neardup::eval::evaluate(&ids.clusters, truth, ids.documents);
        outcome.report.evaluation = Some(m);
    }
    let mut staged = Vec::new();
    if let Some(html) = &html_out {
        staged.push(stage_html(html, cfg, &outcome.report, &shown_on_page(&a.common), &display)?);
    }
    let report = &outcome.report;
    match (&report_out, a.common.format) {
        (Some(o), f) => {
            let f = f.unwrap_or(Format::Json);
            display.stage("write -o");
            staged.push(
                o.stage(|w| {
                    Ok(write_report(report, f, &mut progress::Counting::new(w, &display))?)
                })?
                .1,
            );
            output::commit_all(staged)?;
            display.close();
            if !a.common.quiet {
                let mut sink = summary_sink([Some(o), html_out.as_ref()]);
                sink.write_all(summary::render_with(report, "-o", &shown(&a.common)).as_bytes())?;
                sink.flush()?;
            }
        }
        (None, format) => {
            output::commit_all(staged)?;
            display.close();
            let mut out = std::io::stdout().lock();
            match format {
                Some(f) => write_report(report, f, &mut out)?,
                None if !a.common.quiet => {
                    out.write_all(summary::render_with(report, "-o", &shown(&a.common)).as_bytes())?
                }
                None => {}
            }
            out.flush()?;
        }
    }
    Ok(())
}

/// `--html FILE`: reads the shown documents' texts once more and writes
/// the page (not yet in place).
fn stage_html(
    out: &output::Output,
    cfg: &neardup::Config,
    report: &neardup::report::Report,
    page: &summary::Shown,
    display: &progress::Display,
) -> anyhow::Result<output::Staged> {
    display.stage("html: read texts");
    let shown = neardup::report::html::documents_shown(report, page);
    let texts = neardup::stage::read::read_texts(cfg, &shown, display)?;
    display.stage("write --html");
    let ((), staged) = out.stage(|w| {
        let mut w = progress::Counting::new(w, display);
        w.write_all(neardup::report::html::render(report, &texts, page).as_bytes())?;
        Ok(())
    })?;
    Ok(staged)
}

/// The passages the summary lists (`--top`, default 10; `--min-docs`).
fn shown(a: &args::Common) -> summary::Shown {
    summary::Shown { top: a.top.unwrap_or(summary::Shown::default().top), min_docs: a.min_docs }
}

/// The shared passages the HTML page lists (`--top`, default all;
/// `--min-docs`).
fn shown_on_page(a: &args::Common) -> summary::Shown {
    summary::Shown { top: a.top.unwrap_or(usize::MAX), min_docs: a.min_docs }
}

fn progress_for(a: &args::Common, cfg: &neardup::Config) -> progress::Display {
    progress::Display::new(a.progress, a.quiet, progress::input_size(&cfg.inputs, &cfg.source.walk))
}

fn write_report(
    report: &neardup::report::Report,
    format: Format,
    w: &mut dyn Write,
) -> std::io::Result<()> {
    match format {
        Format::Json => json::write_json(report, w),
        Format::Jsonl => json::write_jsonl(report, w),
    }
}
