//! `wasiport report merge`: one matrix from reports of separate runs.

use std::path::PathBuf;

use clap::{Args, Subcommand};
use wasiport_conformance::results::Report;

use super::conformance::{render, Format};
use super::{exit, Failure};

#[derive(Subcommand)]
pub(crate) enum ReportCommand {
    /// Merge JSON reports (e.g. one per CI job and backend) into one report or matrix.
    Merge(MergeArgs),
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
    let ReportCommand::Merge(args) = command;
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
