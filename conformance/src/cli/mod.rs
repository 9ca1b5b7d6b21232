//! Argument parsing and the exit codes of the `wasiport` command line.

mod backends;
mod call;
mod conformance;
mod fuzz;
mod inspect;
mod reliability;
mod report;
mod run;
mod serve;
mod stdout;
mod suite;

use std::process::ExitCode;

use clap::{CommandFactory, Parser, Subcommand};

/// Exit codes of the command line itself. Guest exit codes pass through unchanged when a
/// module runs without `--json`; these are chosen from the BSD `sysexits.h` range so that they
/// rarely collide with a guest's own.
pub(crate) mod exit {
    /// A bad flag value: an unknown backend, a malformed `--dir` or `--env`.
    pub const USAGE: u8 = 64;
    /// The module is not WebAssembly, or the runtime rejects it.
    pub const DATA: u8 = 65;
    /// A file or directory named on the command line does not exist or cannot be read.
    pub const NO_INPUT: u8 = 66;
    /// The backend cannot do what was asked (an unsupported setting, missing imports).
    pub const UNAVAILABLE: u8 = 69;
    /// The runtime failed.
    pub const SOFTWARE: u8 = 70;
    /// The operating system refused (`serve`: the address cannot be listened on).
    pub const OS_ERROR: u8 = 71;
    /// An output file could not be written.
    pub const CANT_CREATE: u8 = 73;
    /// The guest trapped (like a process killed by SIGABRT).
    pub const TRAP: u8 = 134;
    /// The guest hit the wall-clock timeout (like `timeout(1)`).
    pub const TIMEOUT: u8 = 124;
    /// The guest ran out of fuel.
    pub const OUT_OF_FUEL: u8 = 125;
    /// The module's initial memory is larger than `--max-memory`.
    pub const MEMORY_LIMIT: u8 = 123;
    /// `--backend all`: the backends' outcomes differ; `conformance`: an unexpected failure or
    /// pass; `suite check`: the built suite is stale; `report diff`: a test regressed.
    pub const DIFFER: u8 = 1;
}

/// One failure of the command line: a message for stderr and an exit code.
#[derive(Debug)]
pub(crate) struct Failure {
    pub(crate) code: u8,
    pub(crate) message: String,
}

impl Failure {
    pub(crate) fn new(code: u8, message: impl Into<String>) -> Self {
        Failure {
            code,
            message: message.into(),
        }
    }
}

/// This command line as typed (`wasiport ...`), for the header of a generated report.
pub(crate) fn command_line() -> String {
    let args: Vec<String> = std::env::args().skip(1).collect();
    format!("wasiport {}", args.join(" "))
}

/// `wasiport manpage`: roff from the clap definition.
fn manpage() -> Result<u8, Failure> {
    let mut out = Vec::new();
    clap_mangen::Man::new(Cli::command())
        .render(&mut out)
        .map_err(|e| Failure::new(exit::SOFTWARE, format!("the man page: {e}")))?;
    print_report(&String::from_utf8_lossy(&out)).map(|()| 0)
}

/// Writes a report to stdout whole ([`stdout::write_all`]); failing that, says why.
pub(crate) fn print_report(text: &str) -> Result<(), Failure> {
    stdout::write_all(text.as_bytes())
        .map_err(|e| Failure::new(exit::CANT_CREATE, format!("writing to stdout: {e}")))
}

impl From<wasiport::Error> for Failure {
    fn from(e: wasiport::Error) -> Self {
        use wasiport::Error as E;
        let code = match &e {
            E::InvalidModule { .. } | E::Instantiation { .. } => exit::DATA,
            E::NoSuchExport { .. } | E::ArgumentMismatch { .. } => exit::USAGE,
            E::MissingImports { .. } | E::Unsupported { .. } | E::Unavailable { .. } => {
                exit::UNAVAILABLE
            }
            E::Io { .. } => exit::NO_INPUT,
            E::InvalidConfig(_) => exit::USAGE,
            _ => exit::SOFTWARE,
        };
        Failure::new(code, e.to_string())
    }
}

impl From<wasiport_conformance::backends::LookupError> for Failure {
    fn from(e: wasiport_conformance::backends::LookupError) -> Self {
        match e {
            wasiport_conformance::backends::LookupError::Failed(e) => e.into(),
            unknown => Failure::new(exit::USAGE, unknown.to_string()),
        }
    }
}

#[derive(Parser)]
#[command(
    name = "wasiport",
    version,
    about = "Run WASI programs on any WebAssembly runtime, and compare them",
    after_help = "Exit codes: the guest's own exit code for `run` without --json (`call`: 0 when \
the function returned); 64 bad flag value (`call`: no such function, arguments of other types), \
65 invalid module or suite, 66 missing input, 69 unsupported by the backend (or unavailable here), 70 runtime failure, \
73 cannot write output, 123 memory limit, 124 timeout, 125 out of fuel, 134 trap; 1 when \
`--backend all` finds differences or `conformance` an unexpected result."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run a WASI command module (binary .wasm or text .wat).
    Run(run::RunArgs),
    /// Instantiate a module and call one exported function: wasiport call [flags] MODULE
    /// FUNCTION [ARGS...]; its results are printed on one line.
    Call(call::CallArgs),
    /// Say what a module is (imports, exports and their signatures) and which backends can
    /// run it (`run`) or instantiate it (`call`).
    Inspect(inspect::InspectArgs),
    /// Serve HTTP with a component's wasi:http handler (wasi:http/proxy or
    /// wasi:http/service), an instance per request, until SIGINT or SIGTERM.
    Serve(serve::ServeArgs),
    /// List the compiled-in backends with their runtime versions and capabilities.
    Backends(backends::BackendsArgs),
    /// Run the conformance suite (or any wasi-testsuite directory) on the backends.
    Conformance(conformance::ConformanceArgs),
    /// Differential fuzzing: random WASI call sequences on every target, compared with a
    /// reference; exit 1 on a mandated divergence not recorded as known.
    Fuzz(fuzz::FuzzArgs),
    /// docs/reliability.md from one run: differential fuzzing, a soak of every in-process
    /// backend, fault scenarios; exit 1 when any of them failed.
    Reliability(reliability::ReliabilityArgs),
    /// Work with conformance reports.
    #[command(subcommand)]
    Report(report::ReportCommand),
    /// Build or check the built-in suite from its sources.
    #[command(subcommand)]
    Suite(suite::SuiteCommand),
    /// Print a shell's completion script for wasiport (e.g. `wasiport completions bash >
    /// /etc/bash_completion.d/wasiport`).
    Completions {
        /// The shell.
        shell: clap_complete::Shell,
    },
    /// Print wasiport's man page (roff; `wasiport manpage | man -l -`).
    Manpage,
}

/// Where compiled modules are kept between runs (`wasiport run` and `conformance`).
#[derive(clap::Args, Clone)]
pub(crate) struct CacheArgs {
    /// Keep compiled modules in DIR (default: $XDG_CACHE_HOME/wasiport or ~/.cache/wasiport).
    #[arg(long, value_name = "DIR")]
    cache_dir: Option<std::path::PathBuf>,
    /// Compile every module afresh, keeping nothing on disk.
    #[arg(long, conflicts_with = "cache_dir")]
    no_cache: bool,
}

impl CacheArgs {
    /// The directory to use, if any: the one given, else the default (when there is a home).
    pub(crate) fn dir(&self) -> Option<std::path::PathBuf> {
        if self.no_cache {
            return None;
        }
        self.cache_dir
            .clone()
            .or_else(wasiport::ModuleCache::default_dir)
    }

    /// The cache: on disk in [`CacheArgs::dir`], else in memory. A directory given with
    /// `--cache-dir` that cannot be made or is not trusted is an error; the default one falls
    /// back, saying why.
    pub(crate) fn cache(&self) -> Result<wasiport::ModuleCache, Failure> {
        match (self.dir(), &self.cache_dir) {
            (Some(dir), Some(_)) => wasiport::ModuleCache::with_dir(&dir)
                .map_err(|e| Failure::new(exit::CANT_CREATE, format!("--cache-dir: {e}"))),
            (Some(dir), None) => Ok(wasiport::ModuleCache::with_dir(&dir).unwrap_or_else(|e| {
                eprintln!("wasiport: warning: compiled modules are kept in memory only: {e}");
                wasiport::ModuleCache::in_memory()
            })),
            (None, _) => Ok(wasiport::ModuleCache::in_memory()),
        }
    }
}

/// Parses the command line, runs the command, and turns every failure into one line on stderr.
pub(crate) fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Run(args) => run::run(args),
        Command::Call(args) => call::call(args),
        Command::Inspect(args) => inspect::inspect(args),
        Command::Serve(args) => serve::serve(args),
        Command::Backends(args) => backends::backends(args),
        Command::Conformance(args) => conformance::conformance(args),
        Command::Fuzz(args) => fuzz::fuzz(args),
        Command::Reliability(args) => reliability::reliability(args),
        Command::Report(command) => report::report(command),
        Command::Suite(command) => suite::suite(command),
        Command::Completions { shell } => {
            let mut out = Vec::new();
            clap_complete::generate(shell, &mut Cli::command(), "wasiport", &mut out);
            print_report(&String::from_utf8_lossy(&out)).map(|()| 0)
        }
        Command::Manpage => manpage(),
    };
    match result {
        Ok(code) => ExitCode::from(code),
        Err(failure) => {
            // One line, whatever the runtime's message looked like.
            let message: Vec<&str> = failure
                .message
                .lines()
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .collect();
            eprintln!("wasiport: {}", message.join(" "));
            ExitCode::from(failure.code)
        }
    }
}
