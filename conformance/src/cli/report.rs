//! `wasiport report merge`: one matrix from reports of separate runs; `wasiport report diff`:
//! what changed between two reports (exit 1 on a regression); `wasiport report performance`:
//! docs/performance.md from criterion's results.

use std::path::PathBuf;

use clap::{Args, Subcommand};
use wasiport_conformance::diff::Diff;
use wasiport_conformance::results::Report;

use super::conformance::{render, Format};
use super::{exit, Failure};

#[derive(Subcommand)]
pub(crate) enum ReportCommand {
    /// Merge JSON reports (e.g. one per CI job and backend) into one report or matrix.
    Merge(MergeArgs),
    /// What changed from a base report to a new one, per backend: regressed, fixed, now
    /// skipped, appeared, vanished. Exits 1 when a test regressed (a CI gate for an upgrade).
    Diff(DiffArgs),
    /// Write the performance report (tables and SVG charts) from `cargo bench`'s results.
    Performance(PerformanceArgs),
}

#[derive(Args)]
pub(crate) struct PerformanceArgs {
    /// criterion's output directory.
    #[arg(long, value_name = "DIR", default_value = "target/criterion")]
    criterion: PathBuf,
    /// Regenerate from saved results (`docs/perf/results.json`) instead.
    #[arg(long, value_name = "FILE", conflicts_with = "criterion")]
    from: Option<PathBuf>,
    /// The Markdown file to write; the charts go to `perf/` beside it.
    #[arg(long, value_name = "FILE", default_value = "docs/performance.md")]
    out: PathBuf,
}

fn performance(args: PerformanceArgs) -> Result<u8, Failure> {
    use wasiport_conformance::perf::{PerfError, Results};
    let failure = |e: PerfError| {
        let code = match e {
            PerfError::Io { .. } => exit::NO_INPUT,
            PerfError::Format { .. } => exit::DATA,
            PerfError::Chart { .. } => exit::SOFTWARE,
        };
        Failure::new(code, e.to_string())
    };
    let results = match &args.from {
        Some(json) => Results::from_json(json).map_err(failure)?,
        None if !args.criterion.is_dir() => {
            return Err(Failure::new(
                exit::NO_INPUT,
                format!(
                    "{}: no criterion results (run `cargo bench` first)",
                    args.criterion.display()
                ),
            ))
        }
        None => Results::from_criterion(&args.criterion).map_err(failure)?,
    };
    let charts = args
        .out
        .parent()
        .unwrap_or_else(|| std::path::Path::new("."))
        .join("perf");
    let cant_create = |path: &std::path::Path, e: std::io::Error| {
        Failure::new(exit::CANT_CREATE, format!("{}: {e}", path.display()))
    };
    std::fs::create_dir_all(&charts).map_err(|e| cant_create(&charts, e))?;
    let (text, svgs) = results.render("perf").map_err(failure)?;
    for (name, svg) in &svgs {
        let path = charts.join(name);
        std::fs::write(&path, svg).map_err(|e| cant_create(&path, e))?;
    }
    let data = charts.join("results.json");
    std::fs::write(&data, results.to_json()).map_err(|e| cant_create(&data, e))?;
    std::fs::write(&args.out, text).map_err(|e| cant_create(&args.out, e))?;
    println!(
        "{} charts, {} benchmarks: {}",
        svgs.len(),
        results.measurements.len(),
        args.out.display()
    );
    Ok(0)
}

#[derive(Args)]
pub(crate) struct MergeArgs {
    /// JSON reports written by `wasiport conformance --format json`.
    #[arg(required_unless_present = "imports")]
    reports: Vec<PathBuf>,
    /// A result file of a run made elsewhere (wasi-testsuite's runner's JSON, or ours), shown
    /// as its own columns marked imported, with where it came from and when it ran (by default
    /// the file's path, and the date the file records).
    #[arg(long = "import", value_name = "FILE[,source=TEXT][,date=TEXT]")]
    imports: Vec<String>,
    /// The output format.
    #[arg(long, value_enum, default_value = "markdown")]
    format: Format,
    /// Write here instead of stdout.
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,
}

#[derive(Args)]
pub(crate) struct DiffArgs {
    /// The base report (e.g. the committed baseline), in wasi-testsuite's JSON result schema.
    base: PathBuf,
    /// The new report.
    new: PathBuf,
    /// The output format.
    #[arg(long, value_enum, default_value = "console")]
    format: DiffFormat,
    /// Write here instead of stdout.
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,
}

/// How `report diff` writes.
#[derive(Clone, Copy, clap::ValueEnum)]
pub(crate) enum DiffFormat {
    /// A table of counts and a line per change.
    Console,
    /// The same in Markdown (e.g. for a CI job summary).
    Markdown,
    /// Every change as JSON.
    Json,
}

pub(crate) fn report(command: ReportCommand) -> Result<u8, Failure> {
    match command {
        ReportCommand::Merge(args) => merge(args),
        ReportCommand::Diff(args) => diff(args),
        ReportCommand::Performance(args) => performance(args),
    }
}

/// A JSON report, or the command line's failure to read it.
fn read_report(path: &std::path::Path) -> Result<Report, Failure> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| Failure::new(exit::NO_INPUT, format!("{}: {e}", path.display())))?;
    serde_json::from_str(&text).map_err(|e| {
        Failure::new(
            exit::DATA,
            format!("{}: not a conformance report: {e}", path.display()),
        )
    })
}

/// Writes `text` to `out`, or to stdout.
fn write_out(out: Option<&std::path::Path>, text: &str) -> Result<(), Failure> {
    match out {
        Some(path) => std::fs::write(path, text)
            .map_err(|e| Failure::new(exit::CANT_CREATE, format!("{}: {e}", path.display()))),
        None => super::print_report(text),
    }
}

/// An `--import` argument: the file, then `source=` and `date=` in any order.
fn read_import(arg: &str) -> Result<Report, Failure> {
    let mut parts = arg.split(',');
    let path = PathBuf::from(parts.next().unwrap_or_default());
    let (mut source, mut date) = (path.display().to_string(), None);
    for part in parts {
        match part.split_once('=') {
            Some(("source", value)) => source = value.to_string(),
            Some(("date", value)) => date = Some(value.to_string()),
            _ => {
                return Err(Failure::new(
                    exit::USAGE,
                    format!(
                        "--import {arg}: expected FILE[,source=TEXT][,date=TEXT], not `{part}`"
                    ),
                ))
            }
        }
    }
    Ok(read_report(&path)?.imported(&source, date.as_deref()))
}

fn merge(args: MergeArgs) -> Result<u8, Failure> {
    let mut reports = args
        .reports
        .iter()
        .map(|path| read_report(path))
        .collect::<Result<Vec<_>, _>>()?;
    for import in &args.imports {
        reports.push(read_import(import)?);
    }
    write_out(
        args.out.as_deref(),
        &render(&Report::merge(reports), args.format)?,
    )?;
    Ok(0)
}

fn diff(args: DiffArgs) -> Result<u8, Failure> {
    let diff = Diff::new(&read_report(&args.base)?, &read_report(&args.new)?);
    let text = match args.format {
        DiffFormat::Console => diff.console(),
        DiffFormat::Markdown => diff.markdown(),
        DiffFormat::Json => diff.json(),
    };
    write_out(args.out.as_deref(), &text)?;
    Ok(match diff.regressions() {
        0 => 0,
        _ => exit::DIFFER,
    })
}
