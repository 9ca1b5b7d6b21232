//! `wasiport conformance`: the suite on the backends, with expectations and reports.
//!
//! Each backend's share runs in a child process of this same binary (`--worker`), so a backend
//! that crashes (a segfault, an abort) takes only its child down: the tests that were running
//! are recorded as crashed and a new child carries on with the rest.

use std::io::{BufRead, BufReader, IsTerminal, Write};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::mpsc::RecvTimeoutError;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use clap::{Args, ValueEnum};
use indicatif::{ProgressBar, ProgressStyle};
use serde::{Deserialize, Serialize};
use wasiport_conformance::expectations::Expectations;
use wasiport_conformance::junit::junit;
use wasiport_conformance::matrix::Matrix;
use wasiport_conformance::results::{Report, Status, TestResult};
use wasiport_conformance::runner::{self, Options, TestRef};
use wasiport_conformance::suite::Suite;
use wasiport_conformance::{backends, default_expectations_dir, default_suite_dir};

use super::{exit, Failure};

/// Report formats.
#[derive(Clone, Copy, ValueEnum, PartialEq, Eq)]
pub(crate) enum Format {
    /// A summary table (and each unexpected result).
    Console,
    /// wasi-testsuite's JSON result schema.
    Json,
    /// JUnit XML.
    Junit,
    /// The WASI function × backend matrix in Markdown.
    Markdown,
    /// The matrix as a self-contained HTML heatmap.
    Html,
}

#[derive(Args)]
pub(crate) struct ConformanceArgs {
    /// Backends to run on: a comma-separated list, or `all`.
    #[arg(long, short, default_value = "all")]
    backend: String,
    /// A suite directory in wasi-testsuite's layout (repeatable; default: the built-in suite).
    #[arg(long = "suite", value_name = "DIR")]
    suites: Vec<PathBuf>,
    /// Where `<backend>.toml` expectation files are (default: the built-in ones).
    #[arg(long, value_name = "DIR")]
    expectations: Option<PathBuf>,
    /// The report format.
    #[arg(long, value_enum, default_value = "console")]
    format: Format,
    /// Write the report here instead of stdout.
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,
    /// Tests run at once per backend (default: the number of cores).
    #[arg(long, value_name = "N")]
    jobs: Option<usize>,
    /// Only tests whose `suite/test` contains this.
    #[arg(long, value_name = "PATTERN")]
    filter: Option<String>,
    /// The wall-clock limit of one test, in seconds.
    #[arg(long, value_name = "SECONDS", default_value = "10")]
    timeout: f64,
    /// Run in this process instead of a child per backend (a crash then ends the run).
    #[arg(long)]
    in_process: bool,
    /// Internal: run the tests listed on stdin on one backend and print results as JSON lines.
    #[arg(long, hide = true)]
    worker: bool,
    #[command(flatten)]
    cache: super::CacheArgs,
}

/// A line a worker prints.
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
enum Event {
    Start(TestRef),
    Done(TestRef, TestResult),
}

fn options(args: &ConformanceArgs) -> Result<Options, Failure> {
    let timeout = Duration::try_from_secs_f64(args.timeout)
        .ok()
        .filter(|t| !t.is_zero())
        .ok_or_else(|| {
            Failure::new(
                exit::USAGE,
                format!(
                    "bad --timeout `{}`: expected a positive number of seconds",
                    args.timeout
                ),
            )
        })?;
    let mut options = Options {
        timeout,
        filter: args.filter.clone(),
        cache_dir: args.cache.dir(),
        // An interactive test's guest runs in `wasiport run` of this very program.
        engine: this_program().ok(),
        // A worker's parent ends a test that overruns (see `in_children`).
        watchdog: args.worker,
        ..Options::default()
    };
    if let Some(jobs) = args.jobs {
        if jobs == 0 {
            return Err(Failure::new(
                exit::USAGE,
                "bad --jobs `0`: expected at least 1",
            ));
        }
        options.jobs = jobs;
    }
    Ok(options)
}

fn load_suites(args: &ConformanceArgs) -> Result<Vec<Suite>, Failure> {
    let dirs = if args.suites.is_empty() {
        vec![default_suite_dir()]
    } else {
        args.suites.clone()
    };
    let mut suites = Vec::new();
    for dir in dirs {
        if !dir.is_dir() {
            return Err(Failure::new(
                exit::NO_INPUT,
                format!("{}: not a directory", dir.display()),
            ));
        }
        suites.extend(Suite::discover(&dir).map_err(|e| Failure::new(exit::DATA, e.to_string()))?);
    }
    Ok(suites)
}

pub(crate) fn conformance(args: ConformanceArgs) -> Result<u8, Failure> {
    let options = options(&args)?;
    let suites = load_suites(&args)?;
    let expectations_dir = args
        .expectations
        .clone()
        .unwrap_or_else(default_expectations_dir);
    let backends = backends::select(&args.backend)?;
    if args.worker {
        let [backend] = backends.as_slice() else {
            return Err(Failure::new(exit::USAGE, "--worker takes one backend"));
        };
        return worker(backend.as_ref(), &suites, &expectations_dir, &options);
    }
    let selected = runner::selected(&suites, &options);
    if selected.is_empty() {
        return Err(Failure::new(
            exit::USAGE,
            "no test matches (check --filter and --suite)",
        ));
    }
    let total = selected.len() * backends.len();
    let progress = std::io::stderr().is_terminal() && args.out.is_some()
        || std::io::stderr().is_terminal() && args.format == Format::Console;
    let bar = if progress {
        ProgressBar::new(total as u64)
    } else {
        ProgressBar::hidden()
    };
    bar.set_style(
        ProgressStyle::with_template("{bar:30} {pos}/{len} {wide_msg}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let tick = |backend: &str, name: &str| {
        bar.inc(1);
        bar.set_message(format!("{backend} {name}"));
    };
    let mut report = Report::default();
    for backend in &backends {
        let expectations = Expectations::for_backend(&expectations_dir, backend.name())
            .map_err(|e| Failure::new(exit::DATA, e.to_string()))?;
        let results = if args.in_process {
            runner::run_tests(
                backend.as_ref(),
                &suites,
                &selected,
                &expectations,
                &options,
                &|_| {},
                &|(s, t), _| tick(backend.name(), &suites[s].tests[t].name),
            )
        } else {
            in_children(
                &args,
                backend.as_ref(),
                &options,
                &suites,
                &selected,
                &expectations,
                &|r| tick(backend.name(), &r.name),
            )?
        };
        report
            .results
            .extend(runner::group(backend.as_ref(), &suites, &selected, results));
    }
    bar.finish_and_clear();
    let text = render(&report, args.format)?;
    match &args.out {
        Some(path) => std::fs::write(path, text)
            .map_err(|e| Failure::new(exit::CANT_CREATE, format!("{}: {e}", path.display())))?,
        None => super::print_report(&text)?,
    }
    let unexpected = report.unexpected();
    if args.out.is_some() || args.format != Format::Console {
        for line in &unexpected {
            eprintln!("unexpected: {line}");
        }
    }
    Ok(if unexpected.is_empty() {
        0
    } else {
        exit::DIFFER
    })
}

/// Renders a report in a format (an error only if a serializer fails, which a report read or
/// made here does not make it do).
pub(crate) fn render(report: &Report, format: Format) -> Result<String, Failure> {
    let rows = wasiport::wasi_p1::FUNCTIONS
        .iter()
        .map(|f| f.name)
        .collect::<Vec<_>>();
    let failed = |what: &str, e: &dyn std::fmt::Display| {
        Failure::new(exit::SOFTWARE, format!("writing the report as {what}: {e}"))
    };
    Ok(match format {
        Format::Console => console(report),
        Format::Json => {
            let mut s = serde_json::to_string_pretty(report).map_err(|e| failed("JSON", &e))?;
            s.push('\n');
            s
        }
        Format::Junit => junit(report).map_err(|e| failed("JUnit XML", &e))?,
        Format::Markdown => Matrix::new(report, &rows).markdown(report),
        Format::Html => Matrix::new(report, &rows).html(report),
    })
}

fn console(report: &Report) -> String {
    let mut out = String::new();
    let width = report
        .backends()
        .iter()
        .map(|b| b.name.len())
        .chain([10])
        .max()
        .unwrap_or(10);
    out.push_str(&format!(
        "{:<width$} {:>6} {:>7} {:>6} {:>6} {:>6} {:>6}\n",
        "backend", "pass", "differs", "fail", "skip", "xfail", "xpass"
    ));
    for runtime in report.backends() {
        let n = |s| report.count(&runtime.name, s);
        out.push_str(&format!(
            "{:<width$} {:>6} {:>7} {:>6} {:>6} {:>6} {:>6}\n",
            runtime.name,
            n(Status::Pass),
            n(Status::Differs),
            n(Status::Fail),
            n(Status::Skip),
            n(Status::XFail),
            n(Status::XPass)
        ));
    }
    for suite in &report.results {
        for test in suite.tests.iter().filter(|t| t.status().is_unexpected()) {
            out.push_str(&format!(
                "{} {}/{}: {}",
                suite.runtime.name,
                suite.name,
                test.name,
                test.status().as_str()
            ));
            match test.status() {
                Status::XPass => out.push_str(&format!(
                    " (expected to fail: {})",
                    test.reason.as_deref().unwrap_or("")
                )),
                _ => out.push_str(&format!(": {}", test.failures.join("; "))),
            }
            out.push('\n');
        }
    }
    out
}

/// The worker: reads the tests to run from stdin (JSON), prints an event per line.
fn worker(
    backend: &dyn wasiport::Backend,
    suites: &[Suite],
    expectations_dir: &std::path::Path,
    options: &Options,
) -> Result<u8, Failure> {
    let expectations = Expectations::for_backend(expectations_dir, backend.name())
        .map_err(|e| Failure::new(exit::DATA, e.to_string()))?;
    let tests: Vec<TestRef> = serde_json::from_reader(std::io::stdin())
        .map_err(|e| Failure::new(exit::USAGE, format!("worker input: {e}")))?;
    // One line at a time, whole (a node runner shares this worker's stdout: see `stdout`).
    let stdout = std::sync::Mutex::new(());
    let emit = |event: &Event| {
        if let (Ok(line), Ok(_one)) = (serde_json::to_string(event), stdout.lock()) {
            let _ = super::stdout::write_all(format!("{line}\n").as_bytes());
        }
    };
    // One call for all the tests: each module is compiled once for the worker, and a thread
    // that is done takes the next test at once.
    let results = runner::run_tests(
        backend,
        suites,
        &tests,
        &expectations,
        options,
        &|test| emit(&Event::Start(test)),
        &|test, result| emit(&Event::Done(test, result.clone())),
    );
    drop(results);
    Ok(0)
}

/// How far past its timeout a test whose backend enforces it may run before its worker is
/// killed.
const OVERRUN_GRACE: Duration = Duration::from_secs(5);
/// How far past it a test the worker runs without a timeout (its parent's watchdog ends it:
/// `runner::run_timeout`) may run.
const WATCHDOG_SLACK: Duration = Duration::from_millis(500);
/// How often the overseer looks at the running tests.
const OVERSEER_PERIOD: Duration = Duration::from_millis(200);

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// This very program, even when its file was replaced since it started (cargo's runner
/// patches binaries in place): Linux keeps the running image reachable as /proc/self/exe.
fn this_program() -> Result<std::path::PathBuf, Failure> {
    match std::path::Path::new("/proc/self/exe") {
        linux if linux.exists() => Ok(linux.to_path_buf()),
        _ => std::env::current_exe()
            .map_err(|e| Failure::new(exit::SOFTWARE, format!("this program's path: {e}"))),
    }
}

/// Runs `tests` on `backend` in child processes, restarting after a crash. A test that runs
/// past its timeout (by [`OVERRUN_GRACE`] where the backend should have stopped it, by
/// [`WATCHDOG_SLACK`] where the worker runs it without one) ends its worker: it is recorded as
/// timed out, and the tests that were running beside it run again in the next worker.
fn in_children(
    args: &ConformanceArgs,
    engine: &dyn wasiport::Backend,
    options: &Options,
    suites: &[Suite],
    tests: &[TestRef],
    expectations: &Expectations,
    on_result: &dyn Fn(&TestResult),
) -> Result<Vec<TestResult>, Failure> {
    let backend = engine.name();
    let exe = this_program()?;
    let mut results: Vec<Option<TestResult>> = vec![None; tests.len()];
    // What the worker's runs get, and so how long each test may take.
    let watched = Options {
        watchdog: true,
        ..options.clone()
    };
    let limit_of = |(s, t): TestRef| {
        let test = &suites[s].tests[t];
        let slack = match runner::run_timeout(engine, test, &watched) {
            Some(_) => OVERRUN_GRACE,
            None => WATCHDOG_SLACK,
        };
        runner::watchdog_limit(test, &watched) + slack
    };
    loop {
        let remaining: Vec<TestRef> = tests
            .iter()
            .zip(&results)
            .filter(|(_, r)| r.is_none())
            .map(|(t, _)| *t)
            .collect();
        if remaining.is_empty() {
            break;
        }
        let mut cmd = Command::new(&exe);
        cmd.args(["conformance", "--worker", "--backend", backend]);
        let suite_dirs = if args.suites.is_empty() {
            vec![default_suite_dir()]
        } else {
            args.suites.clone()
        };
        for dir in suite_dirs {
            cmd.arg("--suite").arg(dir);
        }
        if let Some(dir) = &args.expectations {
            cmd.arg("--expectations").arg(dir);
        }
        if let Some(jobs) = args.jobs {
            cmd.arg("--jobs").arg(jobs.to_string());
        }
        cmd.arg("--timeout").arg(args.timeout.to_string());
        match args.cache.dir() {
            Some(dir) => cmd.arg("--cache-dir").arg(dir),
            None => cmd.arg("--no-cache"),
        };
        let mut child = cmd
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .map_err(|e| Failure::new(exit::SOFTWARE, format!("starting a worker: {e}")))?;
        if let Some(mut stdin) = child.stdin.take() {
            let list = serde_json::to_vec(&remaining).unwrap_or_default();
            let _ = stdin.write_all(&list);
        }
        let stdout = child.stdout.take();
        let child = Mutex::new(child);
        // The tests running now, with when they started; the overseer kills the worker when
        // one overruns its limit (`limit_of`).
        let running: Mutex<Vec<(TestRef, Instant)>> = Mutex::new(Vec::new());
        // The tests that overran, when the overseer killed the worker for them.
        let overran: Mutex<Vec<TestRef>> = Mutex::new(Vec::new());
        // Dropped when the worker's output ends, which wakes the overseer at once (a sleep
        // would hold every worker's end up by up to a period).
        let (finished, overseer_wakes) = std::sync::mpsc::channel::<()>();
        std::thread::scope(|scope| {
            let (running, overran, child, limit_of) = (&running, &overran, &child, &limit_of);
            scope.spawn(move || {
                while let Err(RecvTimeoutError::Timeout) =
                    overseer_wakes.recv_timeout(OVERSEER_PERIOD)
                {
                    let late: Vec<TestRef> = lock(running)
                        .iter()
                        .filter(|(t, at)| at.elapsed() > limit_of(*t))
                        .map(|(t, _)| *t)
                        .collect();
                    if !late.is_empty() {
                        *lock(overran) = late;
                        let _ = lock(child).kill();
                        return;
                    }
                }
            });
            if let Some(stdout) = stdout {
                for line in BufReader::new(stdout).lines() {
                    let Ok(line) = line else { break };
                    match serde_json::from_str::<Event>(&line) {
                        Ok(Event::Start(t)) => lock(running).push((t, Instant::now())),
                        Ok(Event::Done(t, result)) => {
                            lock(running).retain(|(r, _)| *r != t);
                            if let Some(i) = tests.iter().position(|x| *x == t) {
                                on_result(&result);
                                results[i] = Some(result);
                            }
                        }
                        Err(_) => {}
                    }
                }
            }
            drop(finished);
        });
        let running: Vec<TestRef> = lock(&running).iter().map(|(t, _)| *t).collect();
        let status = lock(&child)
            .wait()
            .map_err(|e| Failure::new(exit::SOFTWARE, format!("waiting for a worker: {e}")))?;
        if running.is_empty() && !status.success() {
            return Err(Failure::new(
                exit::SOFTWARE,
                format!("the {backend} worker failed ({status}) before running any test"),
            ));
        }
        // Killed for overrunning: those tests timed out, and the rest run again. Else whatever
        // was running when the worker died is recorded as crashed.
        let overran = std::mem::take(&mut *lock(&overran));
        let killed = !overran.is_empty();
        let recorded = match killed {
            true => overran,
            false => running,
        };
        for t in recorded {
            let Some(i) = tests.iter().position(|x| *x == t) else {
                continue;
            };
            let (suite, test) = (&suites[t.0], &suites[t.0].tests[t.1]);
            let limit = runner::watchdog_limit(test, &watched).as_secs_f64();
            let failure = match (killed, runner::run_timeout(engine, test, &watched)) {
                (true, None) => format!(
                    "timed out: ran past the {limit:.1} s timeout, and the runner's watchdog \
                     ended its worker"
                ),
                (true, Some(_)) => format!(
                    "killed: ran {:.0} s past its {limit:.1} s timeout, which the {backend} \
                     backend did not enforce",
                    OVERRUN_GRACE.as_secs_f64()
                ),
                (false, _) => format!(
                    "the {backend} backend crashed ({}) while this test (or one run beside it) \
                     was running",
                    describe(status)
                ),
            };
            let expected = expectations.get(&suite.name, &test.name);
            let (status, reason) = match expected {
                Some(wasiport_conformance::expectations::Expected::Fail { reason }) => {
                    (Status::XFail, Some(reason.clone()))
                }
                _ => (Status::Fail, None),
            };
            let result = TestResult {
                name: test.name.clone(),
                executed: true,
                duration_s: if killed { limit } else { 0.0 },
                failures: vec![failure],
                status: Some(status),
                reason,
                features: test.spec.features.clone(),
                // A crash or a runaway guest is the backend's failure, not a missed
                // expectation.
                mandated: None,
            };
            on_result(&result);
            results[i] = Some(result);
        }
    }
    Ok(results.into_iter().flatten().collect())
}

fn describe(status: std::process::ExitStatus) -> String {
    use std::os::unix::process::ExitStatusExt;
    match (status.code(), status.signal()) {
        (_, Some(sig)) => format!("signal {sig}"),
        (Some(code), _) => format!("exit code {code}"),
        _ => status.to_string(),
    }
}
