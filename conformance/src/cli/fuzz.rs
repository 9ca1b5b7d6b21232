//! `wasiport fuzz`: differential fuzzing of the targets against a reference.

use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, ValueEnum};
use wasiport_conformance::fuzz::{self, Known, Options};
use wasiport_conformance::{backends, default_fuzz_known};

use super::{exit, Failure};

/// Report formats.
#[derive(Clone, Copy, ValueEnum, PartialEq, Eq)]
pub(crate) enum Format {
    /// A line per target, then each finding.
    Console,
    /// The whole report as JSON.
    Json,
    /// A Markdown section (docs/reliability.md).
    Markdown,
}

#[derive(Args)]
pub(crate) struct FuzzArgs {
    /// Targets to compare with the reference: a comma-separated list, or `all` (every target
    /// but the reference).
    #[arg(long, short, default_value = "all")]
    backend: String,
    /// The target whose behaviour the others are compared with.
    #[arg(long, default_value = "wasmtime")]
    reference: String,
    /// The first program's seed (program i has seed + i).
    #[arg(long, default_value = "1")]
    seed: u64,
    /// How many programs.
    #[arg(long, default_value = "100")]
    programs: usize,
    /// Calls per program.
    #[arg(long, default_value = "16")]
    calls: usize,
    /// Programs run at once (default: the number of cores).
    #[arg(long, value_name = "N")]
    jobs: Option<usize>,
    /// The wall-clock limit of one run, in seconds.
    #[arg(long, value_name = "SECONDS", default_value = "10")]
    timeout: f64,
    /// Report each finding's first program as it is, without shrinking it.
    #[arg(long)]
    no_minimize: bool,
    /// Known divergences, recorded as runtime facts (default: the built-in file).
    #[arg(long, value_name = "FILE")]
    known: Option<PathBuf>,
    /// Write each mandated finding's shrunk program here as a suite test (`*.wat`).
    #[arg(long, value_name = "DIR")]
    save: Option<PathBuf>,
    /// The report format.
    #[arg(long, value_enum, default_value = "console")]
    format: Format,
    /// Write the report here instead of stdout.
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,
}

pub(crate) fn fuzz(args: FuzzArgs) -> Result<u8, Failure> {
    let usage = |message: String| Failure::new(exit::USAGE, message);
    let timeout = Duration::try_from_secs_f64(args.timeout)
        .ok()
        .filter(|t| !t.is_zero())
        .ok_or_else(|| {
            usage(format!(
                "bad --timeout `{}`: expected a positive number of seconds",
                args.timeout
            ))
        })?;
    if args.programs == 0 || args.calls == 0 || args.jobs == Some(0) {
        return Err(usage(
            "--programs, --calls and --jobs must be at least 1".into(),
        ));
    }
    let known_path = args.known.clone().unwrap_or_else(default_fuzz_known);
    let known = Known::load(&known_path).map_err(|e| match e {
        fuzz::KnownError::Io { .. } => Failure::new(exit::NO_INPUT, e.to_string()),
        fuzz::KnownError::Malformed(_) => Failure::new(exit::DATA, e.to_string()),
    })?;
    let reference = backends::by_name(&args.reference)?;
    let targets = match args.backend.as_str() {
        "all" => backends::TARGETS
            .iter()
            .filter(|t| **t != args.reference)
            .map(|t| backends::by_name(t))
            .collect::<Result<Vec<_>, _>>()?,
        list => backends::select(list)?,
    };
    let mut options = Options {
        seed: args.seed,
        programs: args.programs,
        calls: args.calls,
        timeout,
        minimize: !args.no_minimize,
        ..Options::default()
    };
    if let Some(jobs) = args.jobs {
        options.jobs = jobs;
    }
    let report = fuzz::run(reference.as_ref(), &targets, &options, &known);
    let text = match args.format {
        Format::Console => fuzz::console(&report),
        Format::Json => {
            serde_json::to_string_pretty(&report)
                .map_err(|e| Failure::new(exit::SOFTWARE, e.to_string()))?
                + "\n"
        }
        Format::Markdown => fuzz::markdown(&report, &super::command_line()),
    };
    match &args.out {
        Some(path) => std::fs::write(path, text)
            .map_err(|e| Failure::new(exit::CANT_CREATE, format!("{}: {e}", path.display())))?,
        None => super::print_report(&text)?,
    }
    if let Some(dir) = &args.save {
        save(dir, &report, reference.as_ref(), timeout)?;
    }
    if !report.reference_errors.is_empty() {
        return Err(Failure::new(
            exit::SOFTWARE,
            format!(
                "the reference could not run {}",
                report.reference_errors.join("; ")
            ),
        ));
    }
    let new = report.findings.iter().filter(|f| f.is_new()).count();
    if new > 0 {
        eprintln!(
            "wasiport: {new} new mandated divergence(s): fix them, or record them in {} with why",
            known_path.display()
        );
        return Ok(exit::DIFFER);
    }
    Ok(0)
}

/// Writes each mandated finding as `<target>-<function>-<n>.wat`, expecting the reference's
/// output.
fn save(
    dir: &std::path::Path,
    report: &fuzz::Report,
    reference: &dyn wasiport::Backend,
    timeout: Duration,
) -> Result<(), Failure> {
    let cant =
        |e: std::io::Error| Failure::new(exit::CANT_CREATE, format!("{}: {e}", dir.display()));
    std::fs::create_dir_all(dir).map_err(cant)?;
    let mandated = report
        .findings
        .iter()
        .filter(|f| f.divergence.class == fuzz::Class::Mandated);
    for (n, finding) in mandated.enumerate() {
        let wasm = wat::parse_str(finding.shrunk.to_wat())
            .map_err(|e| Failure::new(exit::SOFTWARE, e.to_string()))?;
        let expected = fuzz::observe(reference, &wasm, timeout);
        let stdout: String = expected.lines.iter().map(|l| format!("{l}\n")).collect();
        let name = format!(
            "{}-{}-{n}.wat",
            finding.target,
            finding.divergence.function.trim_start_matches('-')
        );
        std::fs::write(dir.join(name), fuzz::suite_test(finding, &stdout)).map_err(cant)?;
    }
    Ok(())
}
