//! The command line: parse ([`args`]), validate into a library
//! [`neardup::Config`] ([`config`]), run, print ([`output`]).

mod args;
mod config;
mod output;
mod progress;

use std::io::Write;
use std::process::ExitCode;

use anyhow::Context;
use clap::Parser;

use args::{Args, Command, Format};
use neardup::report::{json, summary};

/// Exit statuses, mapped to numbers in one place.
#[derive(Debug, Clone, Copy)]
enum Exit {
    /// The run finished (duplicates found or not).
    Success,
    /// The run failed.
    Error,
}

impl From<Exit> for ExitCode {
    fn from(e: Exit) -> ExitCode {
        match e {
            Exit::Success => ExitCode::SUCCESS,
            Exit::Error => ExitCode::from(1),
        }
    }
}

/// Parses the arguments (exit 2 on a usage error, as clap does) and runs.
pub fn run() -> ExitCode {
    let args = Args::parse();
    match dispatch(args) {
        Ok(()) => Exit::Success.into(),
        Err(e) => {
            if output::is_broken_pipe(&e) {
                return Exit::Success.into();
            }
            eprintln!("neardup: error: {e:#}");
            Exit::Error.into()
        }
    }
}

fn dispatch(args: Args) -> anyhow::Result<()> {
    match args.command {
        Command::Scan(a) | Command::Stats(a) => scan(&a, true),
        Command::Passages(a) => scan(&a, false),
        Command::Synth(a) => {
            let inputs: Vec<_> = a.from.iter().map(|s| neardup::source::Input::parse(s)).collect();
            let (docs, skipped) = neardup::pipeline::read_all(&inputs, &Default::default());
            for s in &skipped {
                eprintln!("neardup: skipped {s}");
            }
            let texts: Vec<String> = docs.into_iter().map(|d| d.text).collect();
            let pool = neardup::synth::sentences(&texts);
            let opts = neardup::synth::SynthOptions {
                bytes: a.bytes,
                dup_rate: a.dup_rate,
                repeat_rate: a.repeat_rate,
                wire_rate: a.wire_rate,
                seed: a.seed,
                ..Default::default()
            };
            let stats = output::write_atomic(&a.output, |docs| {
                output::write_atomic(&a.labels, |labels| {
                    Ok(neardup::synth::generate(&pool, &opts, docs, labels)?)
                })
            })?;
            println!(
                "wrote {} documents ({} variants, {:.1} MB of text) to {} and labels to {}",
                stats.documents,
                stats.variants,
                stats.bytes as f64 / 1e6,
                a.output.display(),
                a.labels.display()
            );
            Ok(())
        }
        Command::Eval(a) => {
            let truth = neardup::eval::read_labels(&a.truth)?;
            let (clusters, n) = neardup::eval::read_report_clusters(&a.report)?;
            let m = neardup::eval::evaluate(&clusters, &truth, n);
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
            let (cfg, _spool) = config::build(&a.common, true)?;
            let display = progress_for(&a.common, &cfg);
            let outcome = neardup::scan(&cfg, &display)?;
            let written = output::write_atomic(&a.output, |w| {
                Ok(neardup::pipeline::write_deduplicated(
                    &cfg,
                    &outcome,
                    a.strip_repeats,
                    w,
                    &a.output,
                )?)
            })
            .with_context(|| format!("writing {}", a.output.display()))?;
            write_html(&a.common, &cfg, &outcome.report)?;
            if let Some(path) = &a.report {
                let format = a.common.format.unwrap_or(Format::Json);
                output::write_atomic(path, |w| Ok(write_report(&outcome.report, format, w)?))
                    .with_context(|| format!("writing the report {}", path.display()))?;
            }
            if !a.common.quiet {
                let mut out = std::io::stdout().lock();
                out.write_all(summary::render(&outcome.report).as_bytes())?;
                writeln!(out, "wrote {} documents to {}", written.written, a.output.display())?;
            }
            Ok(())
        }
    }
}

fn scan(a: &args::ScanArgs, near_duplicates: bool) -> anyhow::Result<()> {
    let (mut cfg, _spool) = config::build(&a.common, false)?;
    if !near_duplicates {
        cfg.method = neardup::pipeline::Method::None;
        cfg.validate()?;
    }
    let display = progress_for(&a.common, &cfg);
    let mut outcome = neardup::scan(&cfg, &display)?;
    if let Some(labels) = &a.truth {
        let truth = neardup::eval::read_labels(labels)?;
        let clusters: Vec<Vec<String>> = outcome
            .report
            .clusters
            .iter()
            .map(|c| c.members.iter().map(|m| m.doc.clone()).collect())
            .collect();
        let m = neardup::eval::evaluate(&clusters, &truth, outcome.report.stats.documents);
        outcome.report.evaluation = Some(m);
    }
    write_html(&a.common, &cfg, &outcome.report)?;
    emit_report(&outcome.report, a.common.format, a.output.as_deref(), a.common.quiet)
}

/// `--html FILE`: reads the shown documents' texts once more and writes
/// the page atomically.
fn write_html(
    a: &args::Common,
    cfg: &neardup::Config,
    report: &neardup::report::Report,
) -> anyhow::Result<()> {
    let Some(path) = &a.html else { return Ok(()) };
    let texts =
        neardup::pipeline::read_texts(cfg, &neardup::report::html::documents_shown(report))?;
    output::write_atomic(path, |w| {
        w.write_all(neardup::report::html::render(report, &texts).as_bytes())?;
        Ok(())
    })
    .with_context(|| format!("writing the HTML report {}", path.display()))
}

fn progress_for(a: &args::Common, cfg: &neardup::Config) -> progress::Display {
    progress::Display::new(a.progress, a.quiet, progress::input_size(&cfg.inputs))
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

/// `-o FILE`: the report goes to FILE and the summary to stdout; without it,
/// `--format` prints the report to stdout, and no format prints the summary.
fn emit_report(
    report: &neardup::report::Report,
    format: Option<Format>,
    path: Option<&std::path::Path>,
    quiet: bool,
) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    match (path, format) {
        (Some(p), f) => {
            output::write_atomic(p, |w| Ok(write_report(report, f.unwrap_or(Format::Json), w)?))
                .with_context(|| format!("writing the report {}", p.display()))?;
            if !quiet {
                out.write_all(summary::render(report).as_bytes())?;
            }
        }
        (None, Some(f)) => write_report(report, f, &mut out)?,
        (None, None) if !quiet => out.write_all(summary::render(report).as_bytes())?,
        (None, None) => {}
    }
    out.flush()?;
    Ok(())
}
