//! One data-driven suite: every case runs on every embedded backend, and every backend must
//! give the same, expected outcome.

mod common;

use std::time::Duration;

use common::{probe, probe_p2, Fixture};
use wasiport::{
    Backend, Capability, CompiledModule, Error, OutputMode, RunConfig, RunConfigBuilder, Stdin,
    Termination, Trap, TrapKind, WasiImpl,
};

/// Which guest a case runs.
#[derive(Clone, Copy)]
enum Guest {
    /// The Rust `probe` guest.
    Probe,
    /// `tests/guests/wat/NAME.wat`.
    Wat(&'static str),
}

/// What a captured stream must hold.
#[derive(Clone, Copy)]
enum Text {
    Exactly(&'static str),
    StartsWith(&'static str),
    Contains(&'static str),
    Anything,
}

impl Text {
    fn check(self, actual: &[u8]) -> bool {
        let actual = String::from_utf8_lossy(actual);
        match self {
            Text::Exactly(s) => actual == s,
            Text::StartsWith(s) => actual.starts_with(s),
            Text::Contains(s) => actual.contains(s),
            Text::Anything => true,
        }
    }
}

struct Case {
    name: &'static str,
    guest: Guest,
    config: fn(&Fixture) -> RunConfigBuilder,
    termination: Termination,
    stdout: Text,
    stderr: Text,
    /// A check of the host side after the run (e.g. a file was not written).
    host: fn(&Fixture) -> Result<(), String>,
}

fn no_host_check(_: &Fixture) -> Result<(), String> {
    Ok(())
}

fn trap(kind: TrapKind) -> Termination {
    Termination::Trap(Trap::new(kind, ""))
}

fn probe_args(args: &'static [&'static str]) -> RunConfigBuilder {
    RunConfig::builder()
        .program_name("probe.wasm")
        .args(args.iter().copied())
}

fn ro(f: &Fixture, args: &'static [&'static str]) -> RunConfigBuilder {
    probe_args(args).preopen_read_only(f.data(), "/data")
}

fn rw(f: &Fixture, args: &'static [&'static str]) -> RunConfigBuilder {
    probe_args(args).preopen_read_write(f.data(), "/data")
}

fn unchanged(f: &Fixture) -> Result<(), String> {
    match f.read("data/hello.txt").as_deref() {
        Some("hello from the host\n") => {}
        other => return Err(format!("data/hello.txt changed: {other:?}")),
    }
    for created in [
        "data/new.txt",
        "data/newdir",
        "data/moved.txt",
        "outside/new.txt",
    ] {
        if f.exists(created) {
            return Err(format!("{created} was created"));
        }
    }
    Ok(())
}

fn exited(code: i32) -> Termination {
    Termination::Exited(code)
}

macro_rules! case {
    ($name:literal, $guest:expr, $config:expr, $term:expr, $stdout:expr) => {
        case!(
            $name,
            $guest,
            $config,
            $term,
            $stdout,
            Text::Anything,
            no_host_check
        )
    };
    ($name:literal, $guest:expr, $config:expr, $term:expr, $stdout:expr, $stderr:expr) => {
        case!(
            $name,
            $guest,
            $config,
            $term,
            $stdout,
            $stderr,
            no_host_check
        )
    };
    ($name:literal, $guest:expr, $config:expr, $term:expr, $stdout:expr, $stderr:expr, $host:expr) => {
        Case {
            name: $name,
            guest: $guest,
            config: $config,
            termination: $term,
            stdout: $stdout,
            stderr: $stderr,
            host: $host,
        }
    };
}

fn cases() -> Vec<Case> {
    use Guest::*;
    use Text::*;
    vec![
        // argv, environment, stdio
        case!(
            "args reach the guest with argv[0]",
            Probe,
            |_| probe_args(&["args", "a", "b c", ""]),
            exited(0),
            Exactly("probe.wasm\nargs\na\nb c\n\n")
        ),
        case!(
            "only the configured environment reaches the guest",
            Probe,
            |_| probe_args(&["env"])
                .env("K", "V")
                .env("EMPTY", "")
                .env("X", "a=b"),
            exited(0),
            Exactly("EMPTY=\nK=V\nX=a=b\n")
        ),
        case!(
            "stdin bytes are read to the end",
            Probe,
            |_| probe_args(&["cat"]).stdin(Stdin::Bytes(b"line 1\nline 2\n".to_vec())),
            exited(0),
            Exactly("line 1\nline 2\n")
        ),
        case!(
            "empty stdin reads as end of file",
            Probe,
            |_| probe_args(&["cat"]),
            exited(0),
            Exactly("")
        ),
        case!(
            "stdout and stderr are captured apart",
            Probe,
            |_| probe_args(&["print", "out", "err"]),
            exited(0),
            Exactly("out"),
            Exactly("err")
        ),
        case!(
            "discarded output is not captured",
            Probe,
            |_| probe_args(&["print", "out", "err"])
                .stdout(OutputMode::Discard)
                .stderr(OutputMode::Discard),
            exited(0),
            Exactly(""),
            Exactly("")
        ),
        case!(
            "output past the capture limit is cut, not an error",
            Probe,
            |_| probe_args(&["flood", "100000"]).stdout(OutputMode::Capture { limit: 10 }),
            exited(0),
            Exactly("xxxxxxxxxx")
        ),
        case!(
            "fd_write from WAT",
            Wat("hello"),
            |_| RunConfig::builder(),
            exited(0),
            Exactly("hello, world\n")
        ),
        // exit codes
        case!(
            "_start returning is exit 0",
            Wat("return"),
            |_| RunConfig::builder(),
            exited(0),
            Exactly("")
        ),
        case!(
            "proc_exit sets the exit code",
            Wat("proc_exit"),
            |_| RunConfig::builder(),
            exited(3),
            Exactly("")
        ),
        case!(
            "a Rust exit code passes through",
            Probe,
            |_| probe_args(&["exit", "7"]),
            exited(7),
            Exactly("")
        ),
        case!(
            "a large exit code passes through",
            Probe,
            |_| probe_args(&["exit", "255"]),
            exited(255),
            Exactly("")
        ),
        case!(
            "an exit code past a byte is not reduced",
            Probe,
            |_| probe_args(&["exit", "256"]),
            exited(256),
            Exactly("")
        ),
        // traps
        case!(
            "a Rust panic is an unreachable trap",
            Probe,
            |_| probe_args(&["panic"]),
            trap(TrapKind::Unreachable),
            Exactly(""),
            Contains("probe asked to panic")
        ),
        case!(
            "unreachable",
            Wat("trap_unreachable"),
            |_| RunConfig::builder(),
            trap(TrapKind::Unreachable),
            Exactly("")
        ),
        case!(
            "out-of-bounds load",
            Wat("trap_memory_oob"),
            |_| RunConfig::builder(),
            trap(TrapKind::MemoryOutOfBounds),
            Exactly("")
        ),
        case!(
            "divide by zero",
            Wat("trap_divide_by_zero"),
            |_| RunConfig::builder(),
            trap(TrapKind::IntegerDivideByZero),
            Exactly("")
        ),
        case!(
            "integer overflow",
            Wat("trap_integer_overflow"),
            |_| RunConfig::builder(),
            trap(TrapKind::IntegerOverflow),
            Exactly("")
        ),
        case!(
            "stack overflow",
            Wat("trap_stack_overflow"),
            |_| RunConfig::builder(),
            trap(TrapKind::StackOverflow),
            Exactly("")
        ),
        case!(
            "call_indirect to null",
            Wat("trap_indirect_null"),
            |_| RunConfig::builder(),
            trap(TrapKind::IndirectCallToNull),
            Exactly("")
        ),
        case!(
            "call_indirect type mismatch",
            Wat("trap_indirect_mismatch"),
            |_| RunConfig::builder(),
            trap(TrapKind::IndirectCallTypeMismatch),
            Exactly("")
        ),
        case!(
            "call_indirect out of the table",
            Wat("trap_table_oob"),
            |_| RunConfig::builder(),
            trap(TrapKind::TableOutOfBounds),
            Exactly("")
        ),
        case!(
            "float to int of NaN",
            Wat("trap_bad_conversion"),
            |_| RunConfig::builder(),
            trap(TrapKind::InvalidConversionToInteger),
            Exactly("")
        ),
        // limits
        case!(
            "a timeout stops an endless loop",
            Wat("loop_forever"),
            |_| RunConfig::builder().timeout(Duration::from_millis(200)),
            Termination::Timeout,
            Exactly("")
        ),
        case!(
            "a timeout stops an endless Rust loop",
            Probe,
            |_| probe_args(&["spin"]).timeout(Duration::from_millis(200)),
            Termination::Timeout,
            Exactly("")
        ),
        case!(
            "fuel stops an endless loop",
            Wat("loop_forever"),
            |_| RunConfig::builder().fuel(100_000),
            Termination::OutOfFuel,
            Exactly("")
        ),
        case!(
            "fuel and a timeout together: fuel first",
            Wat("loop_forever"),
            |_| RunConfig::builder()
                .fuel(100_000)
                .timeout(Duration::from_secs(60)),
            Termination::OutOfFuel,
            Exactly("")
        ),
        case!(
            "enough fuel lets a guest finish",
            Probe,
            |_| probe_args(&["print", "done", ""]).fuel(1_000_000_000),
            exited(0),
            Exactly("done")
        ),
        case!(
            "memory.grow past the cap returns -1",
            Wat("memory_grow"),
            |_| RunConfig::builder().max_memory_bytes(1 << 20),
            exited(0),
            Exactly("")
        ),
        case!(
            "memory.grow under the cap succeeds",
            Wat("memory_grow"),
            |_| RunConfig::builder().max_memory_bytes(64 << 20),
            exited(1),
            Exactly("")
        ),
        case!(
            "initial memory over the cap never starts",
            Wat("big_memory"),
            |_| RunConfig::builder().max_memory_bytes(1 << 20),
            Termination::MemoryLimit,
            Exactly("")
        ),
        case!(
            "a Rust allocation past the cap aborts",
            Probe,
            |_| probe_args(&["alloc", "64"]).max_memory_bytes(16 << 20),
            trap(TrapKind::Unreachable),
            Exactly(""),
            StartsWith("memory allocation of")
        ),
        case!(
            "a Rust allocation under the cap succeeds",
            Probe,
            |_| probe_args(&["alloc", "4"]).max_memory_bytes(64 << 20),
            exited(0),
            Exactly("ok 4\n")
        ),
        // preopens
        case!(
            "a preopened file is readable",
            Probe,
            |f| ro(f, &["read", "/data/hello.txt"]),
            exited(0),
            Exactly("hello from the host\n")
        ),
        case!(
            "a preopened directory is listed",
            Probe,
            |f| ro(f, &["ls", "/data"]),
            exited(0),
            Exactly("escape\nhello.txt\nsub\n")
        ),
        case!(
            "a read-write preopen takes a new file",
            Probe,
            |f| rw(f, &["write", "/data/new.txt", "abc"]),
            exited(0),
            Exactly("ok\n"),
            Anything,
            |f| match f.read("data/new.txt").as_deref() {
                Some("abc") => Ok(()),
                other => Err(format!("new.txt: {other:?}")),
            }
        ),
        case!(
            "a read-write preopen allows rename",
            Probe,
            |f| rw(f, &["mv", "/data/hello.txt", "/data/moved.txt"]),
            exited(0),
            Exactly("ok\n"),
            Anything,
            |f| if f.exists("data/moved.txt") && !f.exists("data/hello.txt") {
                Ok(())
            } else {
                Err("not moved".into())
            }
        ),
        case!(
            "read-only: creating a file is refused",
            Probe,
            |f| ro(f, &["write", "/data/new.txt", "abc"]),
            exited(1),
            StartsWith("error: "),
            Anything,
            unchanged
        ),
        case!(
            "read-only: overwriting a file is refused",
            Probe,
            |f| ro(f, &["write", "/data/hello.txt", "abc"]),
            exited(1),
            StartsWith("error: "),
            Anything,
            unchanged
        ),
        case!(
            "read-only: mkdir is refused",
            Probe,
            |f| ro(f, &["mkdir", "/data/newdir"]),
            exited(1),
            StartsWith("error: "),
            Anything,
            unchanged
        ),
        case!(
            "read-only: unlink is refused",
            Probe,
            |f| ro(f, &["rm", "/data/hello.txt"]),
            exited(1),
            StartsWith("error: "),
            Anything,
            unchanged
        ),
        case!(
            "read-only: rename is refused",
            Probe,
            |f| ro(f, &["mv", "/data/hello.txt", "/data/moved.txt"]),
            exited(1),
            StartsWith("error: "),
            Anything,
            unchanged
        ),
        // escapes
        case!(
            "`..` out of a preopen is refused",
            Probe,
            |f| rw(f, &["read", "/data/../outside/secret.txt"]),
            exited(1),
            StartsWith("error: "),
            Anything,
            unchanged
        ),
        case!(
            "writing through `..` is refused",
            Probe,
            |f| rw(f, &["write", "/data/../outside/new.txt", "x"]),
            exited(1),
            StartsWith("error: "),
            Anything,
            unchanged
        ),
        case!(
            "an absolute path outside every preopen is refused",
            Probe,
            |f| rw(f, &["read", "/outside/secret.txt"]),
            exited(1),
            StartsWith("error: "),
            Anything,
            unchanged
        ),
        case!(
            "a symlink out of a preopen is refused",
            Probe,
            |f| rw(f, &["read", "/data/escape"]),
            exited(1),
            StartsWith("error: "),
            Anything,
            unchanged
        ),
        case!(
            "without preopens there is no filesystem",
            Probe,
            |_| probe_args(&["read", "/data/hello.txt"]),
            exited(1),
            StartsWith("error: ")
        ),
    ]
}

fn wat(name: &str) -> Vec<u8> {
    let path = format!("{}/tests/guests/wat/{name}.wat", env!("CARGO_MANIFEST_DIR"));
    wat::parse_file(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// Runs every case on `backend`; returns one line per mismatch.
fn run_cases(backend: &dyn Backend) -> Vec<String> {
    run_cases_with(backend, backend.name(), probe(), true)
}

/// Every case on `backend` (only those of the probe unless `wat`), with `probe_wasm` for the
/// probe, reported (and its known differences looked up) as `target`.
fn run_cases_with(
    backend: &dyn Backend,
    target: &str,
    probe_wasm: &[u8],
    wat_too: bool,
) -> Vec<String> {
    let mut compiled: Vec<(String, CompiledModule)> = Vec::new();
    let mut failures = Vec::new();
    for case in cases() {
        if !wat_too && matches!(case.guest, Guest::Wat(_)) {
            continue;
        }
        let key = match case.guest {
            Guest::Probe => "probe".to_string(),
            Guest::Wat(name) => name.to_string(),
        };
        let module = match compiled.iter().find(|(k, _)| *k == key) {
            Some((_, m)) => m.clone(),
            None => {
                let bytes = match case.guest {
                    Guest::Probe => probe_wasm.to_vec(),
                    Guest::Wat(name) => wat(name),
                };
                let m = backend.compile(&bytes).expect("compile");
                compiled.push((key, m.clone()));
                m
            }
        };
        let fixture = Fixture::new();
        let config = (case.config)(&fixture).build().expect("config");
        // What the backend does not declare, it must refuse, never ignore.
        let capabilities = match module.info().is_component() {
            true => backend.component_capabilities(),
            false => backend.capabilities(),
        };
        if let Err(expected) = config.check_supported(backend.name(), capabilities) {
            match backend.run(&module, &config) {
                Err(e) if e.to_string() == expected.to_string() => {}
                other => failures.push(format!(
                    "{}: {}: expected `{expected}`, got {other:?}",
                    target, case.name
                )),
            }
            continue;
        }
        let outcome = match backend.run(&module, &config) {
            Ok(o) => o,
            Err(e) => {
                failures.push(format!("{}: {}: run failed: {e}", target, case.name));
                continue;
            }
        };
        let mut problems = Vec::new();
        if !outcome.termination.same_as(&case.termination) {
            problems.push(format!(
                "termination {} (expected {})",
                outcome.termination, case.termination
            ));
        }
        if !case.stdout.check(&outcome.stdout) {
            problems.push(format!(
                "stdout {:?}",
                String::from_utf8_lossy(&outcome.stdout)
            ));
        }
        if !case.stderr.check(&outcome.stderr) {
            problems.push(format!(
                "stderr {:?}",
                String::from_utf8_lossy(&outcome.stderr)
            ));
        }
        if let Err(e) = (case.host)(&fixture) {
            problems.push(e);
        }
        let known = KNOWN_DIFFERENCES
            .iter()
            .find(|(targets, c, _)| targets.contains(&target) && *c == case.name);
        match (problems.is_empty(), known) {
            (true, None) | (false, Some(_)) => {}
            (true, Some((_, _, why))) => failures.push(format!(
                "{}: {}: passes, but is listed as a known difference ({why})",
                target, case.name
            )),
            (false, None) => failures.push(format!(
                "{}: {}: {}",
                target,
                case.name,
                problems.join("; ")
            )),
        }
    }
    failures
}

/// Why a WASI 0.2 command cannot exit with a code other than 0 or 1.
const EXIT_0_2: &str = "WASI 0.2's `wasi:cli/exit` has only `exit(result)` before 0.2.12: a \
    failure is exit code 1; neither wasmtime 48's preview-1 adapter nor Rust 1.95's wasip2 std \
    calls 0.2.12's `exit-with-code`";

const MUTATE_DIRECTORY: &str = "wasi-libc opens a file for writing with `mutate-directory` among \
    its descriptor flags, and preview2-shim 0.26.1's open-at refuses that flag as `unsupported` \
    (wasmtime ignores it): a wasm32-wasip2 program cannot create or write a file on node";

/// Cases an engine truly cannot pass, by targets and case, each with why: such a case must
/// fail on each of those targets (a pass is reported, so the list cannot go stale).
const KNOWN_DIFFERENCES: &[(&[&str], &str, &str)] = &[
    (
        &["node", "node-portable", "node-p2"],
        "call_indirect to null",
        V8_NULL_CALL,
    ),
    // WASI 0.2 itself: `wasi:cli/exit` has only `exit(result)` before 0.2.12, so any code but 0
    // arrives as failure (1). wasmtime-wasi 48 links 0.2.12's `exit-with-code`, but neither the
    // preview-1 adapter wasmtime 48 ships nor Rust 1.95's wasip2 std calls it.
    (P1_ON_P2, "proc_exit sets the exit code", EXIT_0_2),
    (P2_BUILDS, "a Rust exit code passes through", EXIT_0_2),
    (P2_BUILDS, "a large exit code passes through", EXIT_0_2),
    (
        P2_BUILDS,
        "an exit code past a byte is not reduced",
        EXIT_0_2,
    ),
    (
        &["node (wasm32-wasip2)"],
        "a read-write preopen takes a new file",
        MUTATE_DIRECTORY,
    ),
    (
        &["node-p2", "chromium-p2"],
        "only the configured environment reaches the guest",
        "jco lowers an empty string as (pointer 1, length 0) without calling the adapter's \
         cabi_realloc: the preview-1 adapter then runs `EMPTY=` into the next entry",
    ),
    (
        P1_ON_P2,
        "out-of-bounds load",
        "the preview-1 adapter grows the module's memory by a page for its own state before \
         `_start`, so the address just past the module's one page is in bounds",
    ),
    (
        &["chromium"],
        "a preopened directory is listed",
        "browser_wasi_shim's in-memory file system has no symbolic links: `escape` is not loaded \
         (preview2-shim's has, so components see it)",
    ),
];

/// The targets that run each preview-1 module wrapped as a component.
const P1_ON_P2: &[&str] = &["wasmtime-p2", "node-p2", "chromium-p2"];

/// Every target that runs a component: the wrapped modules and the probe built for wasip2.
const P2_BUILDS: &[&str] = &[
    "wasmtime-p2",
    "node-p2",
    "chromium-p2",
    "wasmtime (wasm32-wasip2)",
    "node (wasm32-wasip2)",
    "chromium (wasm32-wasip2)",
];

const V8_NULL_CALL: &str = "V8 11 (Node 20) says \"null function or function signature \
    mismatch\" for both, so a null entry is reported as a signature mismatch";

fn assert_all_cases(name: &str) {
    assert_no_failures(run_cases(common::backend(name).as_ref()));
}

/// Fails with every mismatch [`run_cases_with`] reported, one per line.
fn assert_no_failures(failures: Vec<String>) {
    assert!(
        failures.is_empty(),
        "{} case(s) failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn wasmtime_gives_the_expected_outcome_in_every_case() {
    assert_all_cases("wasmtime");
}

#[test]
fn wasmer_gives_the_expected_outcome_in_every_case() {
    assert_all_cases("wasmer");
}

#[test]
fn wasmi_gives_the_expected_outcome_in_every_case() {
    assert_all_cases("wasmi");
}

#[test]
fn wasmtime_with_the_portable_wasi_gives_the_expected_outcome_in_every_case() {
    assert_all_cases("wasmtime-portable");
}

#[test]
fn wasmer_with_the_portable_wasi_gives_the_expected_outcome_in_every_case() {
    assert_all_cases("wasmer-portable");
}

#[test]
fn wasmi_with_the_portable_wasi_gives_the_expected_outcome_in_every_case() {
    assert_all_cases("wasmi-portable");
}

/// Every case, as a module and wrapped as a component, on a pooling backend with so few slots
/// that runs reuse slots whose pages the pool has not yet handed back (it decommits in
/// batches, and must clean a pending slot itself when it would otherwise run out).
#[test]
fn wasmtime_with_a_small_instance_pool_gives_the_expected_outcome_in_every_case() {
    let pooled = || Box::new(wasiport_wasmtime::Wasmtime::pooling(8).unwrap());
    let mut failures = run_cases_with(pooled().as_ref(), "wasmtime", probe(), true);
    let as_component =
        wasiport_conformance::target::Target::as_component(pooled(), "wasmtime-p2").unwrap();
    failures.extend(run_cases_with(&as_component, "wasmtime-p2", probe(), true));
    assert_no_failures(failures);
}

#[test]
fn wasmtime_with_each_module_wrapped_as_a_wasi_0_2_component_gives_the_expected_outcome_in_every_case(
) {
    assert_all_cases("wasmtime-p2");
}

#[test]
fn node_with_each_module_wrapped_as_a_wasi_0_2_component_gives_the_expected_outcome_in_every_case()
{
    assert_all_cases("node-p2");
}

#[test]
fn chromium_with_each_module_wrapped_as_a_wasi_0_2_component_gives_the_expected_outcome_in_every_case(
) {
    assert_all_cases("chromium-p2");
}

#[test]
fn the_probe_built_as_a_wasi_0_2_component_gives_the_outcomes_of_its_preview1_build() {
    // The same source for wasm32-wasip2: rustc emits a component, run by each component host
    // with its own WASI 0.2 (wasmtime-wasi's p2; jco and preview2-shim on node).
    assert!(wasiport::ModuleInfo::parse(probe_p2())
        .unwrap()
        .component()
        .is_some_and(|c| c.is_command()));
    let mut failures = Vec::new();
    for backend in common::engines() {
        if !backend.capabilities().contains(Capability::Components) {
            continue;
        }
        let target = format!("{} (wasm32-wasip2)", backend.name());
        failures.extend(run_cases_with(backend.as_ref(), &target, probe_p2(), false));
    }
    assert!(
        failures.is_empty(),
        "{} case(s) failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn wasm3_gives_the_expected_outcome_in_every_case() {
    assert_all_cases("wasm3");
}

#[test]
fn node_gives_the_expected_outcome_in_every_case() {
    assert_all_cases("node");
}

#[test]
fn node_with_the_portable_wasi_gives_the_expected_outcome_in_every_case() {
    assert_all_cases("node-portable");
}

#[test]
fn chromium_gives_the_expected_outcome_in_every_case() {
    assert_all_cases("chromium");
}

#[test]
#[cfg_attr(
    not(feature = "wasmedge"),
    ignore = "built without WasmEdge (scripts/install-wasmedge, then --features wasmedge)"
)]
fn wasmedge_gives_the_expected_outcome_in_every_case() {
    assert_all_cases("wasmedge");
}

#[test]
#[cfg_attr(
    not(feature = "wasmedge"),
    ignore = "built without WasmEdge (scripts/install-wasmedge, then --features wasmedge)"
)]
fn wasmedge_with_the_portable_wasi_gives_the_expected_outcome_in_every_case() {
    assert_all_cases("wasmedge-portable");
}

#[test]
fn malformed_modules_are_invalid_module_errors_with_the_runtimes_message() {
    for backend in common::engines() {
        for bytes in [&b"not wasm at all"[..], b"\0asm\x01\0\0\0\x01\xff", b""] {
            match backend.compile(bytes) {
                Err(Error::InvalidModule {
                    backend: name,
                    message,
                }) => {
                    assert_eq!(name, backend.name());
                    assert!(!message.is_empty());
                }
                other => panic!("{}: {bytes:?}: {other:?}", backend.name()),
            }
        }
    }
}

#[test]
fn missing_imports_are_named() {
    for backend in common::backends() {
        let module = backend.compile(&wat("missing_import")).unwrap();
        match backend.run(&module, &RunConfig::default()) {
            Err(Error::MissingImports { imports, .. }) => assert_eq!(
                imports,
                [
                    "env::host_log",
                    "wasi_snapshot_preview1::fd_close as (i64) -> i32, not (i32) -> i32",
                    "wasi_snapshot_preview1::no_such_call",
                ]
            ),
            other => panic!("{}: {other:?}", backend.name()),
        }
    }
}

/// A module that imports every preview-1 function with the signature `wasiport::wasi_p1`
/// gives, and calls `sched_yield` (which every backend implements) to show it linked.
fn imports_all_of_wasi_p1() -> Vec<u8> {
    let mut text = String::from("(module\n");
    for f in wasiport::wasi_p1::FUNCTIONS {
        let list = |kw: &str, types: &[wasiport::ValType]| {
            let types: Vec<String> = types.iter().map(ToString::to_string).collect();
            format!("({kw} {})", types.join(" "))
        };
        text += &format!(
            "  (import \"wasi_snapshot_preview1\" \"{}\" (func ${} {} {}))\n",
            f.name,
            f.name,
            list("param", f.params),
            list("result", f.results)
        );
    }
    text += "  (memory (export \"memory\") 1)\n";
    text += "  (func (export \"_start\") (call $proc_exit (call $sched_yield))))";
    wat::parse_str(&text).unwrap()
}

#[test]
fn every_backend_links_all_46_wasi_functions_with_the_specs_signatures() {
    let wasm = imports_all_of_wasi_p1();
    for backend in common::backends() {
        let outcome = backend
            .compile_and_run(&wasm, &RunConfig::default())
            .unwrap_or_else(|e| panic!("{}: {e}", backend.name()));
        // sched_yield returns errno 0 (success), passed to proc_exit.
        assert_eq!(
            outcome.termination,
            Termination::Exited(0),
            "{}",
            backend.name()
        );
    }
}

#[test]
fn a_module_without_start_or_memory_is_not_a_command() {
    for backend in common::backends() {
        for (guest, says) in [("no_start", "`_start`"), ("no_memory", "`memory`")] {
            let module = backend.compile(&wat(guest)).unwrap();
            match backend.run(&module, &RunConfig::default()) {
                Err(Error::InvalidModule { message, .. }) if message.contains(says) => {}
                other => panic!("{} {guest}: {other:?}", backend.name()),
            }
        }
    }
}

#[test]
fn a_module_compiled_by_one_backend_is_refused_by_another() {
    let backends = common::engines();
    let module = backends[0].compile(&wat("return")).unwrap();
    for other in &backends[1..] {
        match other.run(&module, &RunConfig::default()) {
            Err(Error::BackendMismatch {
                backend,
                compiled_by,
            }) => {
                assert_eq!((backend, compiled_by), (other.id(), backends[0].id()))
            }
            res => panic!("{}: {res:?}", other.name()),
        }
    }
}

#[test]
fn a_module_compiled_by_one_engine_is_refused_by_another_of_the_same_runtime() {
    // Two values of one backend are two engines: the second must refuse the first's code
    // before its runtime sees it (it would trap late, or worse), and a clone shares the engine.
    let (first, second) = (common::engines(), common::engines());
    for (a, b) in first.iter().zip(&second) {
        let module = a.compile(&wat("return")).unwrap();
        assert_eq!(module.compiled_by(), a.id());
        match b.run(&module, &RunConfig::default()) {
            Err(e @ Error::BackendMismatch { .. }) => assert_eq!(
                e.to_string(),
                format!(
                    "a module compiled by {} cannot run on {}: compile it with the backend that runs it",
                    a.id(),
                    b.id()
                )
            ),
            res => panic!("{}: {res:?}", b.name()),
        }
        let outcome = a.run(&module, &RunConfig::default()).unwrap();
        assert!(outcome.success(), "{}: {}", a.name(), outcome.termination);
    }
}

#[test]
fn one_compiled_module_runs_from_many_threads_at_once() {
    for backend in common::backends() {
        let module = backend.compile(probe()).unwrap();
        std::thread::scope(|s| {
            let handles: Vec<_> = (0..4)
                .map(|i| {
                    let (backend, module) = (&backend, &module);
                    s.spawn(move || {
                        let config = probe_args(&["args"]).arg(i.to_string()).build().unwrap();
                        backend.run(module, &config).unwrap()
                    })
                })
                .collect();
            for (i, h) in handles.into_iter().enumerate() {
                let out = h.join().unwrap();
                assert_eq!(
                    String::from_utf8_lossy(&out.stdout),
                    format!("probe.wasm\nargs\n{i}\n"),
                    "{}",
                    backend.name()
                );
            }
        });
    }
}

#[test]
fn fuel_consumed_is_reported_and_grows_with_work() {
    for backend in common::backends_with(Capability::Fuel) {
        let module = backend.compile(probe()).unwrap();
        let run = |args| {
            let config = probe_args(args).fuel(1 << 40).build().unwrap();
            backend.run(&module, &config).unwrap().fuel_consumed
        };
        let (s, l) = (
            run(&["flood", "10"]).unwrap(),
            run(&["alloc", "8"]).unwrap(),
        );
        assert!(s > 0 && l > s, "{}: {s} vs {l}", backend.name());
    }
}

#[test]
fn one_compiled_module_runs_unmetered_and_metered_and_fuel_is_never_skipped() {
    // A backend may compile the code a fuel budget needs only when a run asks for one
    // (wasmtime does): runs without a budget before and after it must not make a budgeted run
    // go unmetered, nor a budget make a timeout go unchecked.
    for backend in common::backends_with(Capability::Fuel) {
        let name = backend.name();
        let module = backend.compile(probe()).unwrap();
        let spin = || probe_args(&["spin"]);
        let unlimited = backend
            .run(&module, &probe_args(&["print", "a", ""]).build().unwrap())
            .unwrap();
        assert!(unlimited.success(), "{name}: {}", unlimited.termination);
        let timed = spin().timeout(Duration::from_millis(200)).build().unwrap();
        assert_eq!(
            backend.run(&module, &timed).unwrap().termination,
            Termination::Timeout,
            "{name}"
        );
        let fueled = spin().fuel(1_000_000).build().unwrap();
        let out_of_fuel = backend.run(&module, &fueled).unwrap();
        assert_eq!(out_of_fuel.termination, Termination::OutOfFuel, "{name}");
        // All of the budget, or nearly (wasmi stops before an instruction it cannot pay for).
        let spent = out_of_fuel.fuel_consumed;
        assert!(
            spent.is_some_and(|f| f > 900_000 && f <= 1_000_000),
            "{name}: {spent:?}"
        );
        assert_eq!(
            backend.run(&module, &timed).unwrap().termination,
            Termination::Timeout,
            "{name}"
        );
        // The embedded engines run code without fuel metering when no limit needs it (WasmEdge's
        // interpreter without counting cost), and say they counted nothing.
        if ["wasmtime", "wasmer", "wasmi", "wasmedge"].contains(&name) {
            assert_eq!(unlimited.fuel_consumed, None);
        }
    }
}

#[test]
fn engines_that_run_the_metered_module_count_the_same_fuel() {
    // node, chromium and wasm3 have no fuel of their own: each runs the module metered by
    // wasiport::rewrite::meter (V8 trapping when it is spent, wasm3 refuelled a slice at a
    // time), so the same input costs the same on all three, exactly.
    let counts: Vec<(String, Option<u64>)> = ["node", "chromium", "wasm3"]
        .into_iter()
        .map(|name| {
            let backend = common::backend(name);
            let module = backend.compile(probe()).unwrap();
            let config = probe_args(&["alloc", "2"]).fuel(1 << 40).build().unwrap();
            let outcome = backend.run(&module, &config).unwrap();
            assert!(outcome.success(), "{name}: {}", outcome.termination);
            (name.to_string(), outcome.fuel_consumed)
        })
        .collect();
    assert!(counts[0].1.is_some_and(|n| n > 0), "{counts:?}");
    assert!(counts.iter().all(|c| c.1 == counts[0].1), "{counts:?}");
}

#[test]
fn a_timeout_on_one_run_does_not_stop_another_run_on_the_same_backend() {
    for backend in common::backends_with(Capability::Timeout) {
        let spin = backend.compile(&wat("loop_forever")).unwrap();
        let probe_module = backend.compile(probe()).unwrap();
        std::thread::scope(|s| {
            let timed = s.spawn(|| {
                backend.run(
                    &spin,
                    &RunConfig::builder()
                        .timeout(Duration::from_millis(300))
                        .build()
                        .unwrap(),
                )
            });
            // Runs while the other times out; must not be interrupted by its watchdog.
            for _ in 0..5 {
                let out = backend
                    .run(
                        &probe_module,
                        &probe_args(&["alloc", "16"]).build().unwrap(),
                    )
                    .unwrap();
                assert!(out.success(), "{}: {}", backend.name(), out.termination);
            }
            let timed = timed.join().unwrap().unwrap();
            assert_eq!(
                timed.termination,
                Termination::Timeout,
                "{}",
                backend.name()
            );
        });
    }
}

#[test]
fn runtime_versions_match_cargo_lock() {
    let lock = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/Cargo.lock")).unwrap();
    for backend in common::engines() {
        // WasmEdge is a C++ library, not a crate: its version is the loaded library's, and the
        // crate pinned is wasmedge-sys, whose bindings are generated from that library's header.
        let (krate, version) = match backend.name() {
            "wasmedge" => {
                assert_eq!(backend.runtime_version(), "0.14.1");
                ("wasmedge-sys", "0.19.4")
            }
            // The engines behind node and chromium are programs on the machine: their version is
            // what the program says, with V8's (node) or the shim's (chromium) after it.
            "node" | "chromium" => {
                let program = if backend.name() == "node" {
                    "node"
                } else {
                    "chromium"
                };
                let said = std::process::Command::new(program)
                    .arg("--version")
                    .output()
                    .unwrap();
                let said = String::from_utf8_lossy(&said.stdout);
                let version = said
                    .split_whitespace()
                    .map(|w| w.trim_start_matches('v'))
                    .find(|w| w.starts_with(|c: char| c.is_ascii_digit()))
                    .unwrap();
                assert!(
                    backend.runtime_version().starts_with(version),
                    "{}: {} is not {version}",
                    backend.name(),
                    backend.runtime_version()
                );
                let shim_lock = concat!(
                    env!("CARGO_MANIFEST_DIR"),
                    "/adapters/chromium/js/package-lock.json"
                );
                if backend.name() == "chromium" {
                    let lock: serde_json::Value =
                        serde_json::from_str(&std::fs::read_to_string(shim_lock).unwrap()).unwrap();
                    let pinned = lock["packages"]["node_modules/@bjorn3/browser_wasi_shim"]
                        ["version"]
                        .as_str()
                        .unwrap();
                    // preview2-shim, for components, as jco's lock file pins it.
                    let jco_lock = concat!(
                        env!("CARGO_MANIFEST_DIR"),
                        "/adapters/v8/jco/package-lock.json"
                    );
                    let jco_lock: serde_json::Value =
                        serde_json::from_str(&std::fs::read_to_string(jco_lock).unwrap()).unwrap();
                    let p2_pinned = jco_lock["packages"]
                        ["node_modules/@bytecodealliance/preview2-shim"]["version"]
                        .as_str()
                        .unwrap();
                    assert!(
                        backend.runtime_version().ends_with(&format!(
                            "(browser_wasi_shim {pinned}, preview2-shim {p2_pinned})"
                        )),
                        "{}",
                        backend.runtime_version()
                    );
                }
                continue;
            }
            // wasm3 is C vendored by wasm3x-sys: its version is that crate's wasm3.
            "wasm3" => {
                assert_eq!(backend.runtime_version(), "0.9.0");
                ("wasm3x-sys", "0.2.1")
            }
            name => (name, backend.runtime_version()),
        };
        let entry = format!("name = \"{krate}\"\nversion = \"{version}\"");
        assert!(lock.contains(&entry), "Cargo.lock has no `{entry}`");
    }
}

/// `env.add`, `env.upcase` and `env.fail` for the `host_call` guest, defined once; `env.fail`
/// returns an error (1), reads past the end of memory (2) or panics (3).
fn host_functions() -> Vec<wasiport::HostFunction> {
    use wasiport::{HostError, HostFunction, HostValue, Signature, ValType::I32};
    let add = HostFunction::new(
        "env",
        "add",
        Signature::new([I32, I32], [I32]),
        |_, args| {
            let sum = args[0].as_i32().unwrap() + args[1].as_i32().unwrap();
            Ok(vec![HostValue::I32(sum)])
        },
    );
    let upcase = HostFunction::new(
        "env",
        "upcase",
        Signature::new([I32, I32], []),
        |caller, args| {
            let (at, len) = (
                args[0].as_i32().unwrap() as u64,
                args[1].as_i32().unwrap() as usize,
            );
            let mut text = vec![0u8; len];
            caller.read(at, &mut text)?;
            text.make_ascii_uppercase();
            caller.write(at, &text)?;
            Ok(vec![])
        },
    );
    let fail = HostFunction::new(
        "env",
        "fail",
        Signature::new([I32], []),
        |caller, args| match args[0].as_i32() {
            Some(1) => Err(HostError::new("the host says no")),
            Some(3) => panic!("the host function broke"),
            _ => {
                let mut buf = [0u8; 8];
                caller.read(caller.memory_size() - 4, &mut buf)?;
                Ok(vec![])
            }
        },
    );
    vec![add.unwrap(), upcase.unwrap(), fail.unwrap()]
}

fn host_call_config(extra_args: &[&str]) -> RunConfig {
    host_functions()
        .into_iter()
        .fold(RunConfig::builder(), RunConfigBuilder::host_function)
        .args(extra_args.iter().copied())
        .build()
        .unwrap()
}

/// WebAssembly's instantiation runs the start function: one that traps leaves no instance, so a
/// run of it is an instantiation failure (an `Error`), not a termination, on every target (its
/// modules wrapped as components too).
#[test]
fn a_trapping_start_function_is_an_instantiation_failure_on_every_target() {
    for backend in common::backends() {
        let module = backend.compile(&wat("start_trap")).unwrap();
        match backend.run(&module, &RunConfig::default()) {
            Err(Error::Instantiation { message, .. }) => {
                assert!(message.contains("trap"), "{}: {message}", backend.name())
            }
            other => panic!("{}: {other:?}", backend.name()),
        }
    }
}

#[test]
fn a_host_function_defined_once_is_called_from_the_guest_on_every_backend() {
    for backend in common::backends() {
        let module = backend.compile(&wat("host_call")).unwrap();
        let result = backend.run(&module, &host_call_config(&[]));
        if !backend
            .capabilities()
            .contains(wasiport::Capability::HostFunctions)
        {
            assert!(
                matches!(
                    result,
                    Err(Error::Unsupported {
                        feature: wasiport::Capability::HostFunctions,
                        ..
                    })
                ),
                "{}: {result:?}",
                backend.name()
            );
            continue;
        }
        let outcome = result.unwrap_or_else(|e| panic!("{}: {e}", backend.name()));
        assert_eq!(outcome.termination, exited(42), "{}", backend.name());
        assert_eq!(outcome.stdout, b"HELLO", "{}", backend.name());
    }
}

#[test]
fn a_host_function_error_or_panic_traps_the_guest_with_its_message() {
    for backend in common::backends().into_iter().filter(|b| {
        b.capabilities()
            .contains(wasiport::Capability::HostFunctions)
    }) {
        let module = backend.compile(&wat("host_call")).unwrap();
        for (args, says) in [
            (&["fail"][..], "the host says no"),
            (
                &["fail", "past the end"][..],
                "memory access out of bounds: 8 bytes at 65532",
            ),
            // A panic is caught where every backend calls host functions: it never unwinds
            // out of `run`, and it traps with its message.
            (
                &["fail", "then", "panic"][..],
                "env::fail (i32) -> () panicked: the host function broke",
            ),
        ] {
            let outcome = backend.run(&module, &host_call_config(args)).unwrap();
            match &outcome.termination {
                Termination::Trap(trap) => {
                    assert_eq!(trap.kind, TrapKind::Other, "{}", backend.name());
                    assert!(
                        trap.message.contains(says),
                        "{}: {}",
                        backend.name(),
                        trap.message
                    );
                }
                other => panic!("{}: {other}", backend.name()),
            }
        }
    }
}

#[test]
fn a_host_import_of_another_signature_is_named_as_missing() {
    use wasiport::{HostFunction, Signature, ValType::I64};
    let wrong = HostFunction::new("env", "add", Signature::new([I64, I64], [I64]), |_, _| {
        Ok(vec![])
    })
    .unwrap();
    let config = RunConfig::builder().host_function(wrong).build().unwrap();
    for backend in common::backends().into_iter().filter(|b| {
        b.capabilities()
            .contains(wasiport::Capability::HostFunctions)
    }) {
        let module = backend.compile(&wat("host_call")).unwrap();
        match backend.run(&module, &config) {
            Err(Error::MissingImports { imports, .. }) => assert_eq!(
                imports,
                [
                    "env::add as (i32, i32) -> i32, not (i64, i64) -> i64",
                    "env::upcase",
                    "env::fail",
                ],
                "{}",
                backend.name()
            ),
            other => panic!("{}: {other:?}", backend.name()),
        }
    }
}

#[test]
fn a_traced_run_records_the_same_wasi_calls_on_every_engine() {
    let fixture = Fixture::new();
    let config = || {
        ro(&fixture, &["read", "/data/hello.txt"])
            .trace(true)
            .build()
            .expect("config")
    };
    let mut traces: Vec<(&str, Vec<String>)> = Vec::new();
    for backend in common::engines() {
        if !backend.capabilities().contains(Capability::PortableWasi) {
            let refused = backend.run(&backend.compile(probe()).unwrap(), &config());
            assert!(
                matches!(refused, Err(Error::Unsupported { .. })),
                "{}: {refused:?}",
                backend.name()
            );
            continue;
        }
        let module = backend.compile(probe()).unwrap();
        let outcome = backend.run(&module, &config()).unwrap();
        assert_eq!(
            outcome.stdout,
            b"hello from the host\n",
            "{}",
            backend.name()
        );
        let calls: Vec<String> = outcome.trace.iter().map(ToString::to_string).collect();
        assert!(
            calls.iter().any(|c| c.starts_with("path_open(")),
            "{}: {calls:#?}",
            backend.name()
        );
        // The guest returns from `_start` after writing what it read to stdout.
        assert!(
            calls.last().is_some_and(|c| c.starts_with("fd_write(1, ")),
            "{calls:#?}"
        );
        traces.push((backend.name(), calls));
    }
    let (first, expected) = &traces[0];
    for (name, calls) in &traces[1..] {
        assert_eq!(calls, expected, "{name} and {first} trace differently");
    }
}

#[test]
fn an_untraced_run_has_no_trace_and_native_wasi_cannot_be_traced() {
    let backend = common::backend("wasmtime");
    let module = backend.compile(probe()).unwrap();
    let outcome = backend
        .run(&module, &probe_args(&["print", "x", ""]).build().unwrap())
        .unwrap();
    assert!(outcome.trace.is_empty());
    let native_traced = probe_args(&[]).wasi(WasiImpl::Native).trace(true).build();
    assert!(
        matches!(native_traced, Err(Error::InvalidConfig(ref m)) if m.contains("native WASI cannot be traced")),
        "{native_traced:?}"
    );
}

#[test]
fn a_preopened_socket_serves_a_loopback_connection_with_the_portable_wasi() {
    use std::io::{Read, Write};
    for backend in common::engines() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let socket = wasiport::SocketPreopen::new(listener);
        let module = backend.compile(probe()).unwrap();
        let config = |wasi| {
            probe_args(&["echo-socket", "3"])
                .preopen_socket(socket.clone())
                .wasi(wasi)
                .build()
                .unwrap()
        };
        let name = backend.name();
        // Native WASI serves no socket here: refused, never ignored.
        if backend.capabilities().contains(Capability::WasiPreview1) {
            let native = backend.run(&module, &config(WasiImpl::Native));
            assert!(
                matches!(native, Err(Error::InvalidConfig(ref m)) if m.contains("portable WASI only")),
                "{name}: {native:?}"
            );
        }
        if !backend
            .capabilities()
            .contains(Capability::PreopenedSockets)
        {
            let refused = backend.run(&module, &config(WasiImpl::Portable));
            // What it lacks first: the portable WASI itself (chromium), or only the sockets.
            let lacks = if backend.capabilities().contains(Capability::PortableWasi) {
                Capability::PreopenedSockets
            } else {
                Capability::PortableWasi
            };
            assert!(
                matches!(refused, Err(Error::Unsupported { feature, .. }) if feature == lacks),
                "{name}: {refused:?}"
            );
            continue;
        }
        let client = std::thread::spawn(move || {
            let mut conn = std::net::TcpStream::connect(addr).unwrap();
            conn.write_all(b"hello, socket\n").unwrap();
            conn.shutdown(std::net::Shutdown::Write).unwrap();
            let mut reply = String::new();
            conn.read_to_string(&mut reply).unwrap();
            reply
        });
        let outcome = backend.run(&module, &config(WasiImpl::Portable)).unwrap();
        assert!(outcome.success(), "{name}: {}", outcome.termination);
        assert_eq!(outcome.stdout, b"echoed 14 bytes\n", "{name}");
        assert_eq!(client.join().unwrap(), "HELLO, SOCKET\n", "{name}");
    }
}

#[test]
fn guest_lengths_near_4_gib_are_efault_in_the_portable_wasi_not_an_allocation() {
    let config = RunConfig::builder()
        .wasi(WasiImpl::Portable)
        .build()
        .unwrap();
    for backend in common::engines()
        .into_iter()
        .filter(|b| b.capabilities().contains(Capability::PortableWasi))
    {
        let module = backend.compile(&wat("huge_lengths")).unwrap();
        let outcome = backend.run(&module, &config).unwrap();
        assert_eq!(outcome.termination, exited(2121), "{}", backend.name());
    }
}

#[test]
fn a_backend_without_components_refuses_a_component_as_unsupported_not_as_malformed() {
    for backend in common::backends() {
        let compiled = backend.compile(probe_p2());
        if backend.capabilities().contains(Capability::Components) {
            let module = compiled.unwrap_or_else(|e| panic!("{}: {e}", backend.name()));
            assert!(module.info().is_component(), "{}", backend.name());
        } else {
            assert!(
                matches!(
                    compiled,
                    Err(Error::Unsupported {
                        feature: Capability::Components,
                        ..
                    })
                ),
                "{}: {compiled:?}",
                backend.name()
            );
        }
    }
}

#[test]
fn a_component_refuses_the_settings_only_a_core_module_takes() {
    for backend in common::engines() {
        if backend.capabilities().contains(Capability::Components) {
            refuses_the_settings_only_a_core_module_takes(backend.as_ref());
        }
    }
}

fn refuses_the_settings_only_a_core_module_takes(backend: &dyn Backend) {
    let name = backend.name();
    let module = backend.compile(probe_p2()).unwrap();
    let host = wasiport::HostFunction::new("env", "f", wasiport::Signature::new([], []), |_, _| {
        Ok(vec![])
    })
    .unwrap();
    for config in [
        RunConfig::builder().wasi(WasiImpl::Portable),
        RunConfig::builder().trace(true),
        RunConfig::builder().host_function(host),
    ] {
        let refused = backend.run(&module, &config.build().unwrap());
        assert!(
            matches!(&refused, Err(Error::InvalidConfig(m)) if m.contains("for core modules")),
            "{name}: {refused:?}"
        );
    }
    // A component that is no command (it exports no `wasi:cli/run`) is refused as such.
    let library = backend
        .compile(
            &wat::parse_str(r#"(component (core module $m) (core instance (instantiate $m)))"#)
                .unwrap(),
        )
        .unwrap();
    let refused = backend.run(&library, &RunConfig::default());
    assert!(
        matches!(&refused, Err(Error::InvalidModule { message, .. }) if message.contains("wasi:cli/run")),
        "{name}: {refused:?}"
    );
}

#[test]
fn a_component_runs_on_one_fuel_budget_on_every_component_host() {
    // wasmtime counts a component's fuel itself; node and chromium run jco's core modules
    // metered with one counter they all import (wasiport::rewrite::meter_sharing), so the
    // budget is the run's, not each core module's: the preview-1 adapter's code counts too.
    let hosts: Vec<_> = common::engines()
        .into_iter()
        .filter(|b| b.capabilities().contains(Capability::Components))
        .collect();
    assert!(
        hosts.len() >= 3,
        "wasmtime, node and chromium run components"
    );
    for backend in hosts {
        let name = backend.name();
        assert!(backend.component_capabilities().contains(Capability::Fuel));
        let component = backend.compile(probe_p2()).unwrap();
        let run = |args: &'static [&'static str], fuel: u64| {
            let config = probe_args(args).fuel(fuel).build().unwrap();
            backend.run(&component, &config).unwrap()
        };
        let (small, large) = (
            run(&["flood", "10"], 1 << 40),
            run(&["alloc", "8"], 1 << 40),
        );
        assert!(small.success() && large.success(), "{name}");
        let (s, l) = (small.fuel_consumed.unwrap(), large.fuel_consumed.unwrap());
        assert!(s > 0 && l > s, "{name}: {s} vs {l}");
        // The same run again costs the same; a budget a little short runs out.
        assert_eq!(
            run(&["flood", "10"], 1 << 40).fuel_consumed,
            Some(s),
            "{name}"
        );
        let short = run(&["flood", "10"], s - s / 100);
        assert_eq!(short.termination, Termination::OutOfFuel, "{name}");
    }
}

#[test]
fn a_component_on_a_v8_backend_counts_its_adapter_code_too() {
    // The same preview-1 program as a module and wrapped as a component: the component runs
    // the preview-1 adapter's core module as well, on the same budget, so it costs more.
    for name in ["node", "chromium"] {
        let backend = common::backend(name);
        let module = backend.compile(probe()).unwrap();
        let wrapped = wasiport::rewrite::preview1_to_component(probe()).unwrap();
        let component = backend.compile(&wrapped).unwrap();
        let config = probe_args(&["flood", "10"]).fuel(1 << 40).build().unwrap();
        let (m, c) = (
            backend.run(&module, &config).unwrap(),
            backend.run(&component, &config).unwrap(),
        );
        assert_eq!(m.stdout, c.stdout, "{name}");
        let (m, c) = (m.fuel_consumed.unwrap(), c.fuel_consumed.unwrap());
        assert!(c > m, "{name}: component {c}, module {m}");
    }
}

#[test]
fn a_component_that_exits_through_exit_with_code_keeps_its_code() {
    // WASI 0.2.12's `wasi:cli/exit#exit-with-code`: the one way a component's code other than
    // 0 and 1 reaches the host.
    for backend in common::backends_with(Capability::Components) {
        let module = backend.compile(&wat("exit_with_code_component")).unwrap();
        let outcome = backend.run(&module, &RunConfig::default()).unwrap();
        assert_eq!(
            outcome.termination,
            Termination::Exited(7),
            "{}",
            backend.name()
        );
    }
}

#[test]
fn a_component_reaches_loopback_only_when_the_run_grants_it() {
    use std::io::{Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    let hosts: Vec<_> = common::engines()
        .into_iter()
        .filter(|b| b.capabilities().contains(Capability::LoopbackNetwork))
        .collect();
    assert!(hosts.len() >= 2, "wasmtime and node run wasi:sockets");
    let connections = hosts.len();
    let server = std::thread::spawn(move || {
        let mut received = Vec::new();
        for _ in 0..connections {
            let (mut conn, _) = listener.accept().unwrap();
            let mut text = String::new();
            conn.read_to_string(&mut text).unwrap();
            // A peer that closed its side entirely is gone: nothing to answer.
            let _ = conn.write_all(text.to_uppercase().as_bytes());
            received.push(text);
        }
        received
    });
    let connect = || {
        RunConfig::builder()
            .program_name("probe.wasm")
            .args(["connect", addr.as_str(), "hello"])
    };
    // Another host's address: loopback is all a grant reaches.
    let elsewhere = || {
        RunConfig::builder()
            .program_name("probe.wasm")
            .args(["connect", "192.0.2.1:9", "hello"])
            .network(wasiport::Network::Loopback)
    };
    for backend in &hosts {
        let name = backend.name();
        let component = backend.compile(probe_p2()).unwrap();
        // Without a grant the host refuses the address; the guest sees an error, not a peer.
        for config in [connect(), elsewhere()] {
            let denied = backend.run(&component, &config.build().unwrap()).unwrap();
            assert_eq!(
                denied.exit_code(),
                Some(1),
                "{name}: {}",
                denied.termination
            );
            assert!(
                String::from_utf8_lossy(&denied.stdout).starts_with("error:"),
                "{name}: {denied:?}"
            );
        }
        let granted = backend
            .run(
                &component,
                &connect()
                    .network(wasiport::Network::Loopback)
                    .build()
                    .unwrap(),
            )
            .unwrap();
        assert!(granted.success(), "{name}: {granted:?}");
        // preview2-shim 0.26.1's `shutdown` ignores its type and destroys the socket: the
        // guest's half-close (send) closes its receiving side too, so it reads no reply.
        let reply = if name == "node" { "\n" } else { "HELLO\n" };
        assert_eq!(String::from_utf8_lossy(&granted.stdout), reply, "{name}");
    }
    assert_eq!(server.join().unwrap(), vec!["hello"; connections]);
    let backend = common::backend("wasmtime");
    // A grant is a component's: a module is refused, a backend without wasi:sockets too.
    let grant = RunConfig::builder()
        .network(wasiport::Network::Loopback)
        .build()
        .unwrap();
    let module = backend.compile(&wat("hello")).unwrap();
    assert!(matches!(
        backend.run(&module, &grant),
        Err(Error::InvalidConfig(_))
    ));
    let wasmi = common::backend("wasmi");
    let module = wasmi.compile(&wat("hello")).unwrap();
    assert!(matches!(
        wasmi.run(&module, &grant),
        Err(Error::Unsupported {
            feature: Capability::LoopbackNetwork,
            ..
        })
    ));
}

#[test]
fn a_wasi_0_3_component_runs_on_wasmtime_and_is_unsupported_where_0_3_is_not() {
    // The suite's WASI 0.3 cli program (wasip3 0.7.1, an async `wasi:cli/run@0.3.0`): the case
    // is its argument.
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("conformance/suite/p3_cli/stdout_write_via_stream_takes_a_write.wasm");
    let wasm = std::fs::read(&path).unwrap();
    let info = wasiport::ModuleInfo::parse(&wasm).unwrap();
    let component = info.component().unwrap();
    assert_eq!(component.wasi_version(), Some(wasiport::WasiVersion::V0_3));
    let case = |name: &str| {
        RunConfig::builder()
            .program_name("cli3.wasm")
            .args([name])
            .build()
            .unwrap()
    };
    let mut ran = 0;
    for backend in common::engines() {
        let name = backend.name();
        if !backend.capabilities().contains(Capability::Wasi0_3) {
            let refused = backend.compile(&wasm).err();
            assert!(
                matches!(
                    refused,
                    Some(Error::Unsupported {
                        feature: Capability::Wasi0_3 | Capability::Components,
                        ..
                    })
                ),
                "{name}: {refused:?}"
            );
            continue;
        }
        ran += 1;
        let module = backend.compile(&wasm).unwrap();
        let out = backend
            .run(&module, &case("stdout_write_via_stream_takes_a_write"))
            .unwrap();
        assert!(out.success(), "{name}: {out:?}");
        assert_eq!(out.stdout, b"to stdout\n", "{name}");
        let exit = backend
            .run(&module, &case("exit_with_code_keeps_its_code"))
            .unwrap();
        assert_eq!(exit.termination, Termination::Exited(7), "{name}");
        let timeout = RunConfig::builder()
            .program_name("cli3.wasm")
            .args(["no_such_case"])
            .timeout(Duration::from_secs(5))
            .build()
            .unwrap();
        assert_eq!(
            backend.run(&module, &timeout).unwrap().exit_code(),
            Some(1),
            "{name}"
        );
    }
    assert!(ran >= 1, "wasmtime runs WASI 0.3");
}

#[test]
fn a_wasi_0_3_component_waiting_on_the_host_stops_at_its_timeout() {
    // The suite's WASI 0.3 clocks program waits in `wait-for` (a host future, where no epoch
    // reaches it) when asked to `sleep`.
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("conformance/suite/p3_clocks/wait_for_waits_that_long.wasm");
    let wasm = std::fs::read(&path).unwrap();
    for backend in common::engines() {
        if !backend.capabilities().contains(Capability::Wasi0_3) {
            continue;
        }
        let module = backend.compile(&wasm).unwrap();
        let config = RunConfig::builder()
            .program_name("clocks3.wasm")
            .args(["sleep", "3600000000000"])
            .timeout(Duration::from_millis(300))
            .build()
            .unwrap();
        let outcome = backend.run(&module, &config).unwrap();
        assert_eq!(
            outcome.termination,
            Termination::Timeout,
            "{}",
            backend.name()
        );
        assert!(
            outcome.elapsed < Duration::from_secs(5),
            "{:?}",
            outcome.elapsed
        );
    }
}
