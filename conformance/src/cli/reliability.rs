//! `wasiport reliability`: docs/reliability.md from one run of fuzzing, soak and faults.

use std::path::PathBuf;
use std::time::Duration;

use clap::Args;
use wasiport_conformance::expectations::Expectations;
use wasiport_conformance::reliability::{self, SoakOptions};
use wasiport_conformance::spec::Spec;
use wasiport_conformance::{backends, default_expectations_dir, default_fuzz_known, fuzz};

use super::{exit, Failure};

/// The targets soaked: those whose engine runs in this process.
const IN_PROCESS: &[&str] = &[
    "wasmtime",
    "wasmtime-portable",
    "wasmer",
    "wasmer-portable",
    "wasmi",
    "wasmi-portable",
    "wasm3",
    "wasmedge-portable",
];

#[derive(Args)]
pub(crate) struct ReliabilityArgs {
    /// Fuzz programs.
    #[arg(long, default_value = "500")]
    programs: usize,
    /// Mangled modules per target (and 20 times as many mangled files per parser).
    #[arg(long, default_value = "300")]
    mangle_cases: usize,
    /// Soak runs per backend after the warm-up.
    #[arg(long, default_value = "2000")]
    soak_runs: usize,
    /// Soak threads at once.
    #[arg(long, default_value = "4")]
    soak_threads: usize,
    /// Write the Markdown here instead of stdout.
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,
    /// Write the whole report as JSON here too.
    #[arg(long, value_name = "FILE")]
    json: Option<PathBuf>,
}

pub(crate) fn reliability(args: ReliabilityArgs) -> Result<u8, Failure> {
    if [
        args.programs,
        args.mangle_cases,
        args.soak_runs,
        args.soak_threads,
    ]
    .contains(&0)
    {
        return Err(Failure::new(
            exit::USAGE,
            "--programs, --mangle-cases, --soak-runs and --soak-threads must be at least 1",
        ));
    }
    let known = fuzz::Known::load(&default_fuzz_known())
        .map_err(|e| Failure::new(exit::DATA, e.to_string()))?;
    let reference = backends::by_name("wasmtime")?;
    let targets = backends::TARGETS
        .iter()
        .filter(|t| **t != "wasmtime")
        .map(|t| backends::by_name(t))
        .collect::<Result<Vec<_>, _>>()?;
    let options = fuzz::Options {
        programs: args.programs,
        ..fuzz::Options::default()
    };
    eprintln!("wasiport: fuzzing {} programs", args.programs);
    let fuzzed = fuzz::run(reference.as_ref(), &targets, &options, &known);
    let mut all = vec![reference];
    all.extend(targets);
    let mut mangled = Vec::new();
    for backend in &all {
        eprintln!("wasiport: mangled modules on {}", backend.name());
        let timeout = Duration::from_millis(500);
        mangled.push(reliability::modules(
            backend.as_ref(),
            args.mangle_cases,
            1,
            timeout,
        ));
    }
    let cases = args.mangle_cases * 20;
    let spec = r#"{"args": ["a"], "dirs": ["fs.dir"], "env": {"K": "V"}, "exit_code": 3, "stdout": "x", "features": ["fd_write"], "implementation_defined": {"why": "w", "also": ["errno", {"exit_code": 3}]}}"#;
    mangled.push(reliability::parser(
        "spec parser",
        spec,
        Spec::parse,
        cases,
        1,
    ));
    let expectations = std::fs::read_to_string(default_expectations_dir().join("wasmer.toml"))
        .map_err(|e| Failure::new(exit::NO_INPUT, format!("the wasmer expectations: {e}")))?;
    mangled.push(reliability::parser(
        "expectations parser",
        &expectations,
        Expectations::parse,
        cases,
        1,
    ));
    let soak_options = SoakOptions {
        threads: args.soak_threads,
        runs: args.soak_runs,
        warmup: (args.soak_runs / 10).max(1),
        timeout: Duration::from_secs(10),
    };
    let mut soaks = Vec::new();
    for name in IN_PROCESS.iter().filter(|n| backends::TARGETS.contains(n)) {
        eprintln!("wasiport: soaking {name}");
        let backend = backends::by_name(name)?;
        let soaked = reliability::soak(backend.as_ref(), &soak_options)
            .map_err(|e| Failure::new(exit::SOFTWARE, format!("soak of {name}: {e}")))?;
        soaks.push(soaked);
    }
    eprintln!("wasiport: fault scenarios");
    let faults = reliability::faults(&all);
    let report = reliability::Report {
        fuzz: fuzzed,
        mangled,
        soaks,
        faults,
    };
    let text = reliability::markdown(&report, &super::command_line());
    let cant = |path: &PathBuf, e: std::io::Error| {
        Failure::new(exit::CANT_CREATE, format!("{}: {e}", path.display()))
    };
    match &args.out {
        Some(path) => std::fs::write(path, text).map_err(|e| cant(path, e))?,
        None => super::print_report(&text)?,
    }
    if let Some(path) = &args.json {
        let json = serde_json::to_string_pretty(&report)
            .map_err(|e| Failure::new(exit::SOFTWARE, e.to_string()))?;
        std::fs::write(path, json + "\n").map_err(|e| cant(path, e))?;
    }
    Ok(if report.failed() { exit::DIFFER } else { 0 })
}
