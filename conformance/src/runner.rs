//! Runs suites on a backend: each module compiled once, tests in parallel, each on a fresh copy
//! of its fixture directories, each with a timeout.

use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use wasiport::{Backend, Capability, CompiledModule, OutputMode, RunConfig, Stdin, Termination};

use crate::expectations::{Expectations, Expected};
use crate::results::{Runtime, Status, SuiteResult, TestResult};
use crate::spec::Operation;
use crate::suite::{copy_fixture, FixtureCopy, Suite, Test};

/// How to run.
#[derive(Debug, Clone)]
pub struct Options {
    /// Tests run at once.
    pub jobs: usize,
    /// The wall-clock limit of one test; past it the test fails as timed out.
    pub timeout: Duration,
    /// Only tests whose `suite/test` contains this.
    pub filter: Option<String>,
    /// Where compiled modules are kept between runs (see [`wasiport::ModuleCache`]); `None`
    /// keeps them in memory for this run only.
    pub cache_dir: Option<std::path::PathBuf>,
    /// The `wasiport` program an interactive test's guest runs in (`wasiport run`, its stdio
    /// piped to the runner: see [`crate::interactive`]); without one such tests fail saying so.
    pub engine: Option<std::path::PathBuf>,
    /// The caller ends a test that runs past [`watchdog_limit`], as `wasiport conformance` does
    /// by ending its worker process (and as wasi-testsuite's runner ends a runtime's CLI): then
    /// a run gets `timeout` only where it costs the backend nothing compiled in (see
    /// [`run_timeout`]).
    pub watchdog: bool,
}

impl Default for Options {
    /// As many jobs as cores, 10 seconds per test, no filter.
    fn default() -> Self {
        Options {
            jobs: std::thread::available_parallelism().map_or(1, |n| n.get()),
            timeout: Duration::from_secs(10),
            filter: None,
            cache_dir: None,
            engine: None,
            watchdog: false,
        }
    }
}

/// The timeout `test`'s run gets on `backend`: the test's own, else the runner's
/// (`options.timeout`) where the backend can stop a guest. Under a watchdog
/// ([`Options::watchdog`]), the runner's is left out where a timeout costs the backend code
/// ([`Backend::code_variant`]: wasmtime's epoch checks, wasmi's and wasm3's fuel counting), so
/// such a run pays for no limit it was not asked for; the watchdog ends it instead.
///
/// ```
/// use wasiport_conformance::runner::{run_timeout, Options};
/// use wasiport_conformance::suite::Suite;
/// let suites = Suite::discover(&wasiport_conformance::default_suite_dir())?;
/// let test = &suites[0].tests[0];
/// let backend = &wasiport_conformance::backends::select("wasmtime")?[0];
/// let options = Options::default();
/// assert_eq!(run_timeout(backend.as_ref(), test, &options), Some(options.timeout));
/// let watched = Options { watchdog: true, ..Options::default() };
/// assert_eq!(run_timeout(backend.as_ref(), test, &watched), None);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn run_timeout(backend: &dyn Backend, test: &Test, options: &Options) -> Option<Duration> {
    if let Some(ms) = test.spec.limits.timeout_ms {
        return Some(Duration::from_millis(ms));
    }
    if !backend.capabilities().contains(Capability::Timeout) {
        return None;
    }
    let costs_code = || {
        let limits = wasiport::Limits {
            timeout: Some(options.timeout),
            ..wasiport::Limits::default()
        };
        !backend.code_variant(&limits).is_empty()
    };
    match options.watchdog && costs_code() {
        true => None,
        false => Some(options.timeout),
    }
}

/// How long a watchdog lets `test` run before it ends it: the runner's timeout, or the
/// test's own where that is longer.
pub fn watchdog_limit(test: &Test, options: &Options) -> Duration {
    let own = test.spec.limits.timeout_ms.map(Duration::from_millis);
    own.map_or(options.timeout, |own| own.max(options.timeout))
}

impl Options {
    /// Whether the filter lets `suite/test` through.
    pub fn selects(&self, suite: &str, test: &str) -> bool {
        match &self.filter {
            Some(f) => format!("{suite}/{test}").contains(f.as_str()),
            None => true,
        }
    }
}

/// One test to run: a suite index and a test index.
pub type TestRef = (usize, usize);

/// Every test of `suites` the filter selects, in order.
pub fn selected(suites: &[Suite], options: &Options) -> Vec<TestRef> {
    suites
        .iter()
        .enumerate()
        .flat_map(|(s, suite)| {
            suite
                .tests
                .iter()
                .enumerate()
                .filter(|(_, t)| options.selects(&suite.name, &t.name))
                .map(move |(t, _)| (s, t))
        })
        .collect()
}

/// Runs the selected tests of `suites` on `backend`, and groups the results by suite.
/// `on_result` sees each result as it comes (for progress and for a parent process).
pub fn run(
    backend: &dyn Backend,
    suites: &[Suite],
    expectations: &Expectations,
    options: &Options,
    on_result: &(dyn Fn(TestRef, &TestResult) + Sync),
) -> Vec<SuiteResult> {
    let tests = selected(suites, options);
    let results = run_tests(
        backend,
        suites,
        &tests,
        expectations,
        options,
        &|_| {},
        on_result,
    );
    group(backend, suites, &tests, results)
}

/// Groups results (in the order of `tests`) into one [`SuiteResult`] per suite.
pub fn group(
    backend: &dyn Backend,
    suites: &[Suite],
    tests: &[TestRef],
    results: Vec<TestResult>,
) -> Vec<SuiteResult> {
    let runtime = Runtime::new(backend.name(), backend.runtime_version());
    let mut by_suite: Vec<Vec<TestResult>> = vec![Vec::new(); suites.len()];
    for ((s, _), result) in tests.iter().zip(results) {
        by_suite[*s].push(result);
    }
    suites
        .iter()
        .zip(by_suite)
        .filter(|(_, tests)| !tests.is_empty())
        .map(|(suite, tests)| SuiteResult::new(suite.name.clone(), runtime.clone(), tests))
        .collect()
}

/// Runs `tests` on `backend` with `options.jobs` threads; the results are in the order of
/// `tests`. `on_start` sees each test as a thread takes it up (its module is compiled then,
/// once for all the tests that share it), `on_result` each result as it comes.
///
/// A thread takes the next test as soon as it is done with one, so a slow test holds up no
/// other; the compiled modules are kept for the whole call.
pub fn run_tests(
    backend: &dyn Backend,
    suites: &[Suite],
    tests: &[TestRef],
    expectations: &Expectations,
    options: &Options,
    on_start: &(dyn Fn(TestRef) + Sync),
    on_result: &(dyn Fn(TestRef, &TestResult) + Sync),
) -> Vec<TestResult> {
    let next = AtomicUsize::new(0);
    let slots: Vec<Mutex<Option<TestResult>>> = tests.iter().map(|_| Mutex::new(None)).collect();
    let modules = ModuleCache::new(options.cache_dir.as_deref());
    std::thread::scope(|scope| {
        for _ in 0..options.jobs.max(1) {
            scope.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::SeqCst);
                let Some(&(s, t)) = tests.get(i) else { break };
                let (suite, test) = (&suites[s], &suites[s].tests[t]);
                on_start((s, t));
                let result = run_one(
                    backend,
                    suite,
                    test,
                    expectations.get(&suite.name, &test.name),
                    &modules,
                    options,
                );
                on_result((s, t), &result);
                if let Ok(mut slot) = slots[i].lock() {
                    *slot = Some(result);
                }
            });
        }
    });
    slots
        .into_iter()
        .zip(tests)
        .map(|(slot, &(s, t))| {
            slot.into_inner()
                .ok()
                .flatten()
                .unwrap_or_else(|| TestResult {
                    name: suites[s].tests[t].name.clone(),
                    executed: false,
                    duration_s: 0.0,
                    failures: vec!["the runner lost this result (a worker thread panicked)".into()],
                    status: Some(Status::Fail),
                    reason: None,
                    features: suites[s].tests[t].spec.features.clone(),
                    mandated: None,
                })
        })
        .collect()
}

/// Compiled modules: each module is compiled once per backend (and, with a cache directory,
/// loaded from it on later runs), even when several threads ask for it at once.
struct ModuleCache(wasiport::ModuleCache);

impl ModuleCache {
    /// In memory, and in `dir` if given and usable (a cache that cannot be made only makes the
    /// run slower).
    fn new(dir: Option<&Path>) -> Self {
        let disk = dir.and_then(|d| wasiport::ModuleCache::with_dir(d).ok());
        ModuleCache(disk.unwrap_or_else(wasiport::ModuleCache::in_memory))
    }

    fn get(
        &self,
        backend: &dyn Backend,
        path: &Path,
        limits: &wasiport::Limits,
    ) -> Result<CompiledModule, NotRun> {
        let bytes = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
        let wasm = if bytes.starts_with(b"\0asm") {
            bytes
        } else {
            wat::parse_bytes(&bytes)
                .map_err(|e| format!("{}: not WebAssembly: {e}", path.display()))?
                .into_owned()
        };
        self.0
            .get_or_compile_for(backend, &wasm, limits)
            .map_err(NotRun::from)
    }
}

/// Why a test has no outcome to check.
enum NotRun {
    /// The backend lacks a capability the test needs (one of [`Capability::FOR_COMPONENTS`] for
    /// its component, or one a limit of its spec needs): the test is skipped, its reason
    /// starting with [`UNSUPPORTED`].
    Unsupported(String),
    /// It could not be run.
    Failed(String),
}

/// How the reason of a test skipped because its backend lacks a capability it needs starts; the
/// matrix shows those cells as unsupported.
pub const UNSUPPORTED: &str = "unsupported: ";

impl From<String> for NotRun {
    fn from(message: String) -> Self {
        NotRun::Failed(message)
    }
}

impl From<wasiport::Error> for NotRun {
    fn from(e: wasiport::Error) -> Self {
        match e {
            wasiport::Error::Unsupported { feature, .. }
                if Capability::FOR_COMPONENTS.contains(&feature) =>
            {
                NotRun::Unsupported(format!("{UNSUPPORTED}{e}"))
            }
            e => NotRun::Failed(e.to_string()),
        }
    }
}

fn run_one(
    backend: &dyn Backend,
    suite: &Suite,
    test: &Test,
    expected: Option<&Expected>,
    modules: &ModuleCache,
    options: &Options,
) -> TestResult {
    let started = Instant::now();
    let mut result = TestResult {
        name: test.name.clone(),
        executed: false,
        duration_s: 0.0,
        failures: Vec::new(),
        status: None,
        reason: None,
        features: test.spec.features.clone(),
        mandated: None,
    };
    if let Some(Expected::Skip { reason }) = expected {
        result.status = Some(Status::Skip);
        result.reason = Some(reason.clone());
        return result;
    }
    let differs = match execute(backend, suite, test, modules, options) {
        Ok(Checked::Failures(failures)) => {
            result.failures = failures;
            None
        }
        Ok(Checked::Differs(what)) => Some(what),
        Err(NotRun::Failed(failure)) => {
            result.failures = vec![failure];
            None
        }
        Err(NotRun::Unsupported(reason)) => {
            result.status = Some(Status::Skip);
            result.reason = Some(reason);
            return result;
        }
    };
    result.executed = true;
    result.duration_s = started.elapsed().as_secs_f64();
    let passed = result.failures.is_empty();
    result.status = Some(match (expected, passed, differs) {
        // A run the specification allows is no failure: an expectation that it fails is stale.
        (Some(Expected::Fail { reason }), true, _) => {
            result.reason = Some(reason.clone());
            Status::XPass
        }
        (Some(Expected::Fail { reason }), false, _) => {
            result.reason = Some(reason.clone());
            Status::XFail
        }
        (_, _, Some(reason)) => {
            result.reason = Some(reason);
            Status::Differs
        }
        (_, true, None) => Status::Pass,
        (_, false, None) => Status::Fail,
    });
    if matches!(result.status, Some(Status::Fail | Status::XFail)) {
        result.mandated = test.spec.mandated.clone();
    }
    result
}

/// What a test's checks found.
enum Checked {
    /// Each check that failed (none: the test passed).
    Failures(Vec<String>),
    /// The run missed the expectation of an implementation-defined test, doing another thing
    /// the specification allows: what it did, and why that is allowed.
    Differs(String),
}

/// Runs one test; `Ok` holds what its checks found, `Err` a failure to run.
fn execute(
    backend: &dyn Backend,
    suite: &Suite,
    test: &Test,
    modules: &ModuleCache,
    options: &Options,
) -> Result<Checked, NotRun> {
    let timeout = options.timeout;
    let run_timeout = run_timeout(backend, test, options);
    // The module with the code the run's limits need (a timeout's epoch checks, a budget's
    // fuel metering, where a backend compiles them only on demand), kept so in the cache: one
    // compilation, not one without them and another on the first run.
    let needs = wasiport::Limits {
        fuel: test.spec.limits.fuel,
        timeout: run_timeout,
        ..wasiport::Limits::default()
    };
    let module = modules.get(backend, &test.module, &needs)?;
    let capabilities = match module.info().is_component() {
        true => backend.component_capabilities(),
        false => backend.capabilities(),
    };
    let spec = &test.spec;
    if spec.needs_http() && !capabilities.contains(Capability::WasiHttp) {
        return Err(NotRun::Unsupported(format!(
            "{UNSUPPORTED}{} does not give a component wasi:http (the test's {})",
            backend.name(),
            spec.world.as_deref().unwrap_or("http proposal")
        )));
    }
    if spec.is_served() && !capabilities.contains(Capability::HttpService) {
        return Err(NotRun::Unsupported(format!(
            "{UNSUPPORTED}{} does not serve a wasi:http handler (the test's {})",
            backend.name(),
            spec.world.as_deref().unwrap_or_default()
        )));
    }
    if spec.is_interactive() {
        // The guest's stdio are the pipes of its process, and a `connect` reaches it on
        // loopback.
        let mut needs = vec![Capability::StdinInherit, Capability::InheritOutput];
        if spec.network_loopback {
            needs.push(Capability::LoopbackNetwork);
        }
        if let Some(missing) = needs.iter().find(|c| !capabilities.contains(**c)) {
            return Err(NotRun::Unsupported(format!(
                "{UNSUPPORTED}{} has no {missing}, which a test that talks to its guest while \
                 it runs needs",
                backend.name()
            )));
        }
    }
    if let Some((capability, limit)) = spec
        .limits
        .needs()
        .find(|(c, _)| !capabilities.contains(*c))
    {
        return Err(NotRun::Unsupported(format!(
            "{UNSUPPORTED}{} has no {capability}, which the test's {limit} needs",
            backend.name()
        )));
    }
    let scratch = tempfile::tempdir().map_err(|e| format!("a scratch directory: {e}"))?;
    let program = test
        .module
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "test.wasm".into());
    let capture = |bytes: Option<usize>| OutputMode::Capture {
        limit: bytes.unwrap_or(OutputMode::DEFAULT_CAPTURE_LIMIT),
    };
    let limits = &spec.limits;
    let mut config = RunConfig::builder()
        .program_name(program)
        .args(test.spec.args.iter().cloned())
        .stdin(Stdin::Empty)
        .stdout(capture(limits.stdout_bytes))
        .stderr(capture(limits.stderr_bytes));
    if let Some(run_timeout) = run_timeout {
        config = config.timeout(run_timeout);
    }
    if let Some(fuel) = limits.fuel {
        config = config.fuel(fuel);
    }
    if let Some(bytes) = limits.max_memory_bytes {
        config = config.max_memory_bytes(bytes);
    }
    if test.spec.network_loopback {
        config = config.network(wasiport::Network::Loopback);
    }
    for (k, v) in &test.spec.env {
        config = config.env(k, v);
    }
    let mut copies = Vec::new();
    for (i, (fixture, guest, read_only)) in test.spec.preopens().into_iter().enumerate() {
        // Each test gets a fresh copy: the source tree is never changed.
        let copy = scratch.path().join(i.to_string()).join(&fixture);
        copy_fixture(&suite.dir.join(&fixture), &copy, FixtureCopy::ForRun)
            .map_err(|e| format!("copying fixture {fixture}: {e}"))?;
        config = if read_only {
            config.preopen_read_only(&copy, &guest)
        } else {
            config.preopen_read_write(&copy, &guest)
        };
        copies.push((copy, guest, read_only));
    }
    if spec.is_interactive() {
        let engine = options.engine.clone().ok_or_else(|| {
            NotRun::Failed(
                "a test that talks to its guest while it runs needs the wasiport program to \
                 run it in (runner::Options::engine)"
                    .to_string(),
            )
        })?;
        let launch = crate::interactive::Launch {
            engine,
            target: backend.name().to_string(),
            module: crate::interactive::absolute(&test.module),
            preopens: copies,
            cache_dir: options.cache_dir.clone(),
            timeout,
        };
        return crate::interactive::run(&launch, spec)
            .map(Checked::Failures)
            .map_err(NotRun::Failed);
    }
    let config = config.build().map_err(|e| e.to_string())?;
    let outcome = backend.run(&module, &config)?;
    let mut failures = Vec::new();
    let stderr = String::from_utf8_lossy(&outcome.stderr);
    // An operation-based spec: its `wait`'s code, and its reads, in order, the beginning of
    // each stream.
    let exit_code = match spec.operations.iter().rev().find_map(|op| match op {
        Operation::Wait { exit_code } => Some(*exit_code),
        _ => None,
    }) {
        Some(code) => code,
        None => spec.exit_code,
    };
    let and_stderr = match stderr.is_empty() {
        true => String::new(),
        false => format!("; stderr: {}", stderr.trim_end()),
    };
    match (&outcome.termination, spec.terminated) {
        (ended, Some(expected)) if expected.matches(ended) => {}
        (ended, Some(expected)) => {
            failures.push(format!("{ended}, expected {expected}{and_stderr}"))
        }
        (Termination::Exited(code), None) if *code == exit_code => {}
        (Termination::Exited(code), None) => failures.push(format!(
            "exit code {code}, expected {exit_code}{and_stderr}"
        )),
        (other, None) => failures.push(format!("{other}; stderr: {}", stderr.trim_end())),
    }
    for (stream, actual) in [("stdout", &outcome.stdout), ("stderr", &outcome.stderr)] {
        let read: String = spec
            .operations
            .iter()
            .filter_map(|op| match op {
                Operation::Read { stderr, payload } if *stderr == (stream == "stderr") => {
                    Some(payload.as_str())
                }
                _ => None,
            })
            .collect();
        if !actual.starts_with(read.as_bytes()) {
            failures.push(format!(
                "{stream} {:?}, expected it to begin with {read:?}",
                String::from_utf8_lossy(actual)
            ));
        }
    }
    for (stream, expected, actual) in [
        ("stdout", &test.spec.stdout, &outcome.stdout),
        ("stderr", &test.spec.stderr, &outcome.stderr),
    ] {
        if let Some(expected) = expected {
            if expected.as_bytes() != actual.as_slice() {
                failures.push(format!(
                    "{stream} {:?}, expected {expected:?}",
                    String::from_utf8_lossy(actual)
                ));
            }
        }
    }
    let other = match (&spec.implementation_defined, failures.is_empty()) {
        (Some(defined), false) => crate::verdict::differs(defined, &outcome.termination, &stderr)
            .map(|what| format!("{what}; implementation-defined: {}", defined.why)),
        _ => None,
    };
    Ok(match other {
        Some(reason) => Checked::Differs(reason),
        None => Checked::Failures(failures),
    })
}
