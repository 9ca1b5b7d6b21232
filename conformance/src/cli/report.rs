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
    /// The Markdown file to write; the charts go to `perf/` beside it.
    #[arg(long, value_name = "FILE", default_value = "docs/performance.md")]
    out: PathBuf,
}

fn performance(args: PerformanceArgs) -> Result<u8, Failure> {
    use wasiport_conformance::perf;
    if !args.criterion.is_dir() {
        return Err(Failure::new(
            exit::NO_INPUT,
            format!(
                "{}: no criterion results (run `cargo bench` first)",
                args.criterion.display()
            ),
        ));
    }
    let measurements = perf::read_criterion(&args.criterion).map_err(|e| {
        let code = match e {
            perf::PerfError::Io { .. } => exit::NO_INPUT,
            perf::PerfError::Format { .. } => exit::DATA,
        };
        Failure::new(code, e.to_string())
    })?;
    let tables = perf::Table::group_all(
        &measurements,
        &[
            "native",
            "portable",
            "raw",
            "wasiport",
            "in_process",
            "subprocess",
        ],
    );
    let charts = args
        .out
        .parent()
        .unwrap_or_else(|| std::path::Path::new("."))
        .join("perf");
    let cant_create = |path: &std::path::Path, e: std::io::Error| {
        Failure::new(exit::CANT_CREATE, format!("{}: {e}", path.display()))
    };
    std::fs::create_dir_all(&charts).map_err(|e| cant_create(&charts, e))?;
    for table in &tables {
        let path = charts.join(format!("{}.svg", table.group));
        std::fs::write(&path, table.svg()).map_err(|e| cant_create(&path, e))?;
    }
    let memory =
        perf::read_memory(&args.criterion).map_err(|e| Failure::new(exit::DATA, e.to_string()))?;
    let text = perf::markdown(&tables, &memory, &perf::this_machine(), "perf");
    std::fs::write(&args.out, text).map_err(|e| cant_create(&args.out, e))?;
    println!(
        "{} groups, {} benchmarks: {}",
        tables.len(),
        measurements.len(),
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
        None => print!("{text}"),
    }
    Ok(0)
}
