//! `wasiport report merge`: one matrix from reports of separate runs; `wasiport report
//! performance`: docs/performance.md from criterion's results.

use std::path::PathBuf;

use clap::{Args, Subcommand};
use wasiport_conformance::results::Report;

use super::conformance::{render, Format};
use super::{exit, Failure};

#[derive(Subcommand)]
pub(crate) enum ReportCommand {
    /// Merge JSON reports (e.g. one per CI job and backend) into one report or matrix.
    Merge(MergeArgs),
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
    let (text, svgs) = results.render("perf");
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
    #[arg(required = true)]
    reports: Vec<PathBuf>,
    /// The output format.
    #[arg(long, value_enum, default_value = "markdown")]
    format: Format,
    /// Write here instead of stdout.
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,
}

pub(crate) fn report(command: ReportCommand) -> Result<u8, Failure> {
    let args = match command {
        ReportCommand::Merge(args) => args,
        ReportCommand::Performance(args) => return performance(args),
    };
    let mut reports = Vec::new();
    for path in &args.reports {
        let text = std::fs::read_to_string(path)
            .map_err(|e| Failure::new(exit::NO_INPUT, format!("{}: {e}", path.display())))?;
        let report: Report = serde_json::from_str(&text).map_err(|e| {
            Failure::new(
                exit::DATA,
                format!("{}: not a conformance report: {e}", path.display()),
            )
        })?;
        reports.push(report);
    }
    let text = render(&Report::merge(reports), args.format);
    match &args.out {
        Some(path) => std::fs::write(path, text)
            .map_err(|e| Failure::new(exit::CANT_CREATE, format!("{}: {e}", path.display())))?,
        None => super::print_report(&text)?,
    }
    Ok(0)
}
