//! `wasiport conformance` and the built-in suite, run as a user and CI would.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

use serde_json::{json, Value};
use wasiport_conformance::backends;
use wasiport_conformance::results::{Report, Status};
use wasiport_conformance::suite::Suite;

fn wasiport(args: &[&str]) -> Output {
    common::wasiport_command()
        .args(args)
        .output()
        .expect("run wasiport")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// One run of the whole built-in suite on every backend, as JSON, shared by the tests.
fn full_run() -> &'static (Output, Report) {
    static RUN: OnceLock<(Output, Report)> = OnceLock::new();
    RUN.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("report.json");
        let output = wasiport(&[
            "conformance",
            "--format",
            "json",
            "--out",
            out.to_str().unwrap(),
        ]);
        let report = std::fs::read_to_string(&out)
            .map(|t| serde_json::from_str(&t).expect("a JSON report"))
            .unwrap_or_else(|e| panic!("no report ({e}); stderr: {}", text(&output.stderr)));
        (output, report)
    })
}

#[test]
fn the_suite_passes_on_every_backend_as_the_expectation_files_say() {
    let (output, report) = full_run();
    assert_eq!(
        output.status.code(),
        Some(0),
        "unexpected results:\n{}",
        text(&output.stderr)
    );
    let backends: Vec<&str> = report.backends().iter().map(|r| r.name.as_str()).collect();
    assert_eq!(backends, wasiport_conformance::backends::TARGETS);
    for backend in backends {
        assert!(
            report.count(backend, Status::Pass) >= 100,
            "{backend} passes only {}",
            report.count(backend, Status::Pass)
        );
    }
}

#[test]
fn the_report_is_in_wasi_testsuites_result_schema() {
    let (_, report) = full_run();
    let json: Value = serde_json::to_value(report).unwrap();
    let first = &json["results"][0];
    for key in ["name", "runtime", "passed", "failed", "skipped", "tests"] {
        assert!(first.get(key).is_some(), "no `{key}` in {first}");
    }
    assert!(first["runtime"]["version"].is_string());
    let test = &first["tests"][0];
    for key in ["name", "executed", "duration_s", "failures"] {
        assert!(test.get(key).is_some(), "no `{key}` in {test}");
    }
}

/// Error-path tests are named `..._is_e<errno>` or say what is refused.
fn is_error_path(name: &str) -> bool {
    name.contains("_is_e") || name.contains("refuse") || name.contains("_is_an_error")
}

#[test]
fn every_wasi_function_has_success_and_error_tests() {
    let suites = Suite::discover(&root().join("suite")).unwrap();
    let tests: Vec<_> = suites.iter().flat_map(|s| &s.tests).collect();
    assert!(tests.len() >= 120, "only {} tests", tests.len());
    // Functions whose one path cannot be reached from a WASI command: no error is defined for
    // sched_yield and proc_exit; proc_raise has no portable success; sockets need a preopened
    // socket, which RunConfig does not grant.
    let no_error_path = ["sched_yield", "proc_exit"];
    let no_success_path = [
        "proc_raise",
        "sock_accept",
        "sock_recv",
        "sock_send",
        "sock_shutdown",
    ];
    let mut missing = Vec::new();
    for f in wasiport::wasi_p1::FUNCTIONS {
        let of: Vec<&str> = tests
            .iter()
            .filter(|t| t.spec.features.iter().any(|x| x == f.name))
            .map(|t| t.name.as_str())
            .collect();
        if !no_success_path.contains(&f.name) && !of.iter().any(|n| !is_error_path(n)) {
            missing.push(format!("{}: no success-path test", f.name));
        }
        if !no_error_path.contains(&f.name) && !of.iter().any(|n| is_error_path(n)) {
            missing.push(format!("{}: no error-path test", f.name));
        }
    }
    assert!(missing.is_empty(), "{missing:#?}");
}

#[test]
fn every_built_in_test_says_what_mandates_its_expectation_or_that_it_is_implementation_defined() {
    let suites = Suite::discover(&root().join("suite")).unwrap();
    let uncited: Vec<String> = suites
        .iter()
        .flat_map(|s| s.tests.iter().map(move |t| (s, t)))
        .filter(|(_, t)| t.spec.mandated.is_none() && t.spec.implementation_defined.is_none())
        .map(|(s, t)| format!("{}/{}", s.name, t.name))
        .collect();
    assert!(
        uncited.is_empty(),
        "tests with neither `mandated` nor `implementation_defined`: {uncited:#?}"
    );
}

#[test]
fn the_limits_group_covers_every_limit_a_backend_declares() {
    let suites = Suite::discover(&root().join("suite")).unwrap();
    let limits = suites
        .iter()
        .find(|s| s.name == "limits")
        .expect("a limits group");
    for row in ["fuel", "timeout", "memory", "output", "stack"] {
        let feature = format!("limits:{row}");
        assert!(
            limits
                .tests
                .iter()
                .any(|t| t.spec.features.contains(&feature)),
            "no test of {feature}"
        );
    }
    // Each limit is seen both stopping a guest and letting one finish.
    let ends = |stopped: bool| {
        limits
            .tests
            .iter()
            .filter(|t| t.spec.terminated.is_some() == stopped)
            .count()
    };
    assert!(ends(true) >= 4 && ends(false) >= 4);
}

#[test]
fn the_committed_suite_is_built_from_its_sources() {
    let out = wasiport(&["suite", "check"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}{}",
        text(&out.stdout),
        text(&out.stderr)
    );
}

/// The full run's report rendered by `wasiport report merge` with extra arguments.
fn merged(extra: &[&str]) -> Output {
    let (_, report) = full_run();
    let dir = tempfile::tempdir().unwrap();
    let json = dir.path().join("report.json");
    std::fs::write(&json, serde_json::to_string(report).unwrap()).unwrap();
    let mut args = vec!["report", "merge", json.to_str().unwrap()];
    args.extend_from_slice(extra);
    wasiport(&args)
}

#[test]
#[cfg_attr(
    not(feature = "wasmedge"),
    ignore = "docs/matrix.md has WasmEdge's columns: build with --features wasmedge"
)]
fn docs_matrix_is_up_to_date() {
    let out = merged(&["--format", "markdown"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let committed = std::fs::read_to_string(root().join("../docs/matrix.md")).unwrap_or_default();
    assert!(
        text(&out.stdout) == committed,
        "docs/matrix.md is stale: regenerate it with \
         `cargo build --workspace --all-features --bins && target/debug/wasiport conformance \
         --format markdown --out docs/matrix.md`"
    );
}

#[test]
fn docs_performance_is_generated_from_its_saved_results() {
    use wasiport_conformance::perf::Results;
    let docs = root().join("../docs");
    let results = Results::from_json(&docs.join("perf/results.json")).unwrap();
    assert!(!results.measurements.is_empty());
    let (report, charts) = results.render("perf").unwrap();
    let stale = "docs/performance.md or its charts are stale: regenerate them with \
                 `cargo run --bin wasiport -- report performance` after `cargo bench` (or \
                 `--from docs/perf/results.json` to redraw the same results)";
    let committed = std::fs::read_to_string(docs.join("performance.md")).unwrap_or_default();
    assert!(report == committed, "{stale}");
    for (name, svg) in charts {
        let committed = std::fs::read_to_string(docs.join("perf").join(&name)).unwrap_or_default();
        assert!(svg == committed, "{name}: {stale}");
    }
}

/// A suite in wasi-testsuite's own layout: manifest, a test with a legacy spec and a fixture
/// directory holding a `*.cleanup` left over from an earlier run.
fn upstream_layout(dir: &Path) {
    std::fs::write(dir.join("manifest.json"), r#"{"name": "upstream"}"#).unwrap();
    let fixture = dir.join("fs-tests.dir");
    std::fs::create_dir_all(&fixture).unwrap();
    std::fs::write(fixture.join("keep.txt"), "kept").unwrap();
    std::fs::write(fixture.join("old.cleanup"), "stale").unwrap();
    // Writes "ok" to stdout and creates fs-tests.dir/new.txt (in its copy).
    let wasm = wat::parse_str(
        r#"(module
        (import "wasi_snapshot_preview1" "fd_write" (func $write (param i32 i32 i32 i32) (result i32)))
        (import "wasi_snapshot_preview1" "path_open" (func $open (param i32 i32 i32 i32 i32 i64 i64 i32 i32) (result i32)))
        (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
        (memory (export "memory") 1)
        (data (i32.const 16) "ok")
        (data (i32.const 32) "new.txt")
        (func $preopen (result i32) (local $fd i32)
          ;; the first fd from 3 that path_open accepts as a directory, asking for the rights
          ;; the file needs (fd_read, fd_write), which every preopen can hand on
          (local.set $fd (i32.const 3))
          (block $done (loop $try
            (br_if $done (i32.eqz (call $open (local.get $fd) (i32.const 0) (i32.const 32) (i32.const 7)
              (i32.const 1) (i64.const 0x42) (i64.const 0) (i32.const 0) (i32.const 64))))
            (local.set $fd (i32.add (local.get $fd) (i32.const 1)))
            (br_if $try (i32.lt_u (local.get $fd) (i32.const 10)))))
          (local.get $fd))
        (func (export "_start")
          (i32.store (i32.const 0) (i32.const 16))
          (i32.store (i32.const 4) (i32.const 2))
          (drop (call $write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))
          (call $exit (i32.ge_u (call $preopen) (i32.const 10)))))"#,
    )
    .unwrap();
    std::fs::write(dir.join("creates.wasm"), wasm).unwrap();
    std::fs::write(
        dir.join("creates.json"),
        r#"{"dirs": ["fs-tests.dir"], "args": ["fs-tests.dir"], "exit_code": 0, "stdout": "ok"}"#,
    )
    .unwrap();
    std::fs::write(dir.join("broken.wasm"), "not wasm at all").unwrap();
}

#[test]
fn a_wasi_testsuite_directory_runs_unchanged() {
    let dir = tempfile::tempdir().unwrap();
    upstream_layout(dir.path());
    let before = wasiport_conformance::build::tree(dir.path()).unwrap();
    let out = wasiport(&[
        "conformance",
        "--suite",
        dir.path().to_str().unwrap(),
        "--format",
        "json",
        "--expectations",
        dir.path().to_str().unwrap(),
    ]);
    // broken.wasm fails, unexpectedly: exit 1, and the report says why.
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let report: Report = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        report.results.len(),
        backends::TARGETS.len(),
        "one entry per backend"
    );
    for suite in &report.results {
        assert_eq!(suite.name, "upstream");
        let creates = suite.tests.iter().find(|t| t.name == "creates").unwrap();
        assert_eq!(
            creates.status(),
            Status::Pass,
            "{}: {:?}",
            suite.runtime.name,
            creates.failures
        );
        let broken = suite.tests.iter().find(|t| t.name == "broken").unwrap();
        assert_eq!(broken.status(), Status::Fail);
        assert!(
            broken.failures[0].contains("invalid module")
                || broken.failures[0].contains("not WebAssembly"),
            "{:?}",
            broken.failures
        );
    }
    // The source tree is untouched: no new.txt, the *.cleanup file still there.
    assert_eq!(
        wasiport_conformance::build::tree(dir.path()).unwrap(),
        before
    );
}

#[test]
fn a_runaway_guest_is_ended_by_the_watchdog_and_the_test_beside_it_runs_again() {
    // wasmtime runs the suite's tests without a timeout of their own (epoch checks would cost
    // compiled code); the parent ends the worker of one that overruns. `endless` loops;
    // `sleeps` (its own 10 s timeout, so a longer limit) sleeps 3 s beside it, is running when
    // the worker is ended, and runs again in the next one.
    let dir = tempfile::tempdir().unwrap();
    let suite = dir.path().join("watchdog");
    std::fs::create_dir_all(&suite).unwrap();
    let endless = r#"(module (memory (export "memory") 1) (func (export "_start") (loop (br 0))))"#;
    // poll_oneoff on one relative monotonic-clock subscription of 3 s (preview 1's layout:
    // userdata, tag 0 at 8, clock id 1 at 16, timeout in ns at 24).
    let sleeps = r#"(module
        (import "wasi_snapshot_preview1" "poll_oneoff"
            (func $poll (param i32 i32 i32 i32) (result i32)))
        (memory (export "memory") 1)
        (data (i32.const 16) "\01\00\00\00\00\00\00\00\00\5e\d0\b2\00\00\00\00")
        (func (export "_start")
            (drop (call $poll (i32.const 0) (i32.const 64) (i32.const 1) (i32.const 128)))))"#;
    for (name, wat, spec) in [
        ("endless", endless, json!({})),
        (
            "sleeps",
            sleeps,
            json!({ "limits": { "timeout_ms": 10_000 } }),
        ),
    ] {
        std::fs::write(
            suite.join(format!("{name}.wasm")),
            wat::parse_str(wat).unwrap(),
        )
        .unwrap();
        std::fs::write(suite.join(format!("{name}.json")), spec.to_string()).unwrap();
    }
    let out = wasiport(&[
        "conformance",
        "--backend",
        "wasmtime",
        "--suite",
        dir.path().to_str().unwrap(),
        "--timeout",
        "1",
        "--jobs",
        "2",
        "--no-cache",
        "--format",
        "json",
    ]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let report: Report = serde_json::from_slice(&out.stdout).unwrap();
    let tests = &report.results[0].tests;
    let test = |name: &str| tests.iter().find(|t| t.name == name).unwrap();
    assert_eq!(test("endless").status(), Status::Fail);
    assert!(
        test("endless").failures[0].starts_with("timed out: ran past the 1.0 s timeout"),
        "{:?}",
        test("endless").failures
    );
    assert_eq!(
        test("sleeps").status(),
        Status::Pass,
        "{:?}",
        test("sleeps").failures
    );
}

/// `wasiport conformance` of the suite in `dir` (its expectations there too) on `backends`, as
/// JSON.
fn json_run(dir: &Path, backends: &str) -> Output {
    let dir = dir.to_str().unwrap();
    wasiport(&[
        "conformance",
        "--backend",
        backends,
        "--suite",
        dir,
        "--expectations",
        dir,
        "--format",
        "json",
    ])
}

#[test]
fn an_operation_based_directory_runs_unchanged() {
    // wasi-testsuite's wasm32-wasip3 layout: specs of operations, upstream's own words (the
    // guests are the built-in suite's, which take their case as an argument).
    let dir = tempfile::tempdir().unwrap();
    let suite = root().join("suite");
    let tcp_echo = "p2_sockets/tcp_echo_server_answers_the_runner.wasm";
    let stdin_echo = "p2_cli/stdin_written_while_running_reaches_the_guest.wasm";
    let http_echo = "p3_http/service3_echoes_a_request_body.wasm";
    std::fs::write(
        dir.path().join("manifest.json"),
        r#"{"name": "wasm32-wasip3"}"#,
    )
    .unwrap();
    // (sockets-echo-twice: the guest echoes once and exits, so a second exchange finds it gone)
    for (from, to, spec) in [
        (
            tcp_echo,
            "sockets-echo",
            r#"{"proposals": ["sockets"], "operations": [
                {"type": "run", "args": ["tcp_echo_server_answers_the_runner"]},
                {"type": "connect", "id": "echo-server", "protocol_type": "tcp"},
                {"type": "send", "id": "echo-server", "payload": "Hello, world"},
                {"type": "recv", "id": "echo-server", "payload": "Hello, world"},
                {"type": "wait"}]}"#,
        ),
        (
            stdin_echo,
            "cli-stdio-roundtrip",
            r#"{"operations": [
                {"type": "run", "args": ["stdin_written_while_running_reaches_the_guest"]},
                {"type": "write", "id": "stdin", "payload": "Hello, world!"},
                {"type": "read", "id": "stdout", "payload": "Hello, world!"},
                {"type": "read", "id": "stderr", "payload": "Hello, world!"},
                {"type": "wait"}]}"#,
        ),
        (
            tcp_echo,
            "sockets-echo-twice",
            r#"{"proposals": ["sockets"], "operations": [
                {"type": "run", "args": ["tcp_echo_server_answers_the_runner"]},
                {"type": "connect", "id": "s"},
                {"type": "send", "id": "s", "payload": "one"},
                {"type": "recv", "id": "s", "payload": "one"},
                {"type": "send", "id": "s", "payload": "two"},
                {"type": "recv", "id": "s", "payload": "two"},
                {"type": "wait"}]}"#,
        ),
        (
            http_echo,
            "http-service-echo",
            r#"{"proposals": ["http"], "world": "wasi:http/service", "operations": [
                {"type": "run"},
                {"type": "request", "method": "POST", "path": "/echo", "body": "hello, echo",
                 "response": {"status": 200,
                              "headers": {"content-type": "application/octet-stream"},
                              "body": "hello, echo"}},
                {"type": "request", "method": "GET", "path": "/whatever",
                 "response": {"status": 404}},
                {"type": "kill", "signal": "SIGINT"},
                {"type": "wait"}]}"#,
        ),
        (
            // A command is not a handler: the server refuses it, and the request finds none.
            stdin_echo,
            "http-service-of-a-command",
            r#"{"proposals": ["http"], "world": "wasi:http/service", "operations": [
                {"type": "run"},
                {"type": "request", "response": {"status": 200}},
                {"type": "kill", "signal": "SIGINT"},
                {"type": "wait"}]}"#,
        ),
    ] {
        std::fs::copy(suite.join(from), dir.path().join(format!("{to}.wasm"))).unwrap();
        std::fs::write(dir.path().join(format!("{to}.json")), spec).unwrap();
    }
    let out = json_run(dir.path(), "wasmtime,node,chromium,wasmi");
    let report: Report = serde_json::from_slice(&out.stdout).unwrap();
    for suite in &report.results {
        let name = suite.runtime.name.as_str();
        let test = |t: &str| suite.tests.iter().find(|x| x.name == t).unwrap();
        // Interactive tests need the guest's stdio as pipes and components: chromium's page
        // has no host streams, wasmi runs no components.
        let runs = matches!(name, "wasmtime" | "node");
        for t in ["sockets-echo", "cli-stdio-roundtrip"] {
            let expected = if runs { Status::Pass } else { Status::Skip };
            assert_eq!(
                test(t).status(),
                expected,
                "{name} {t}: {:?}",
                test(t).failures
            );
        }
        if runs {
            let twice = test("sockets-echo-twice");
            assert_eq!(twice.status(), Status::Fail, "{name}");
            assert!(
                twice.failures[0].contains("operation 6 (recv)"),
                "{name}: {:?}",
                twice.failures
            );
        }
        // Only wasmtime serves a wasi:http handler; elsewhere the test is unsupported.
        let serves = name == "wasmtime";
        let http = test("http-service-echo");
        let expected = if serves { Status::Pass } else { Status::Skip };
        assert_eq!(http.status(), expected, "{name}: {:?}", http.failures);
        let command = test("http-service-of-a-command");
        if serves {
            assert_eq!(command.status(), Status::Fail, "{name}");
            assert!(
                command.failures[0].contains("serves no HTTP"),
                "{name}: {:?}",
                command.failures
            );
        } else {
            assert_eq!(command.status(), Status::Skip, "{name}");
        }
    }
    assert_eq!(
        out.status.code(),
        Some(1),
        "sockets-echo-twice and http-service-of-a-command fail: {}",
        text(&out.stderr)
    );
}

#[test]
fn the_runner_tells_each_test_as_it_starts_then_as_it_ends() {
    // What a worker prints for its parent, which records a crash against the tests running.
    use std::sync::Mutex;
    use wasiport_conformance::expectations::Expectations;
    use wasiport_conformance::runner::{self, Options};
    let suites = Suite::discover(&root().join("suite")).unwrap();
    let options = Options {
        jobs: 2,
        filter: Some("args_env/".into()),
        ..Options::default()
    };
    let tests = runner::selected(&suites, &options);
    assert!(tests.len() > 4);
    let backend = backends::select("wasmi").unwrap().remove(0);
    let events = Mutex::new(Vec::new());
    let results = runner::run_tests(
        backend.as_ref(),
        &suites,
        &tests,
        &Expectations::default(),
        &options,
        &|test| events.lock().unwrap().push(("start", test)),
        &|test, _| events.lock().unwrap().push(("done", test)),
    );
    assert_eq!(results.len(), tests.len());
    let events = events.into_inner().unwrap();
    assert_eq!(events.len(), 2 * tests.len());
    for test in &tests {
        let at = |what| events.iter().position(|e| *e == (what, *test));
        let (start, done) = (at("start"), at("done"));
        assert!(start.is_some() && start < done, "{test:?}: {events:?}");
    }
    // Never more tests under way than jobs.
    let mut running = 0usize;
    for (what, _) in &events {
        running = if *what == "start" {
            running + 1
        } else {
            running - 1
        };
        assert!(running <= 2, "{events:?}");
    }
}

#[test]
fn the_runner_caches_the_code_its_runs_use() {
    // Its runs have a timeout: the cache holds each module with the code a timeout needs, so a
    // warm run compiles nothing, and a cold one compiles each module once.
    use wasiport_conformance::expectations::Expectations;
    use wasiport_conformance::runner::{self, Options};
    let suites = Suite::discover(&root().join("suite")).unwrap();
    let cache = tempfile::tempdir().unwrap();
    let options = Options {
        filter: Some("args_env/args_get_values".into()),
        cache_dir: Some(cache.path().to_path_buf()),
        ..Options::default()
    };
    let tests = runner::selected(&suites, &options);
    assert_eq!(tests.len(), 1);
    let (s, t) = tests[0];
    let wasm = std::fs::read(&suites[s].tests[t].module).unwrap();
    for name in ["wasmtime", "wasmer", "wasmi"] {
        let backend = backends::select(name).unwrap().remove(0);
        let results = runner::run_tests(
            backend.as_ref(),
            &suites,
            &tests,
            &Expectations::default(),
            &options,
            &|_| {},
            &|_, _| {},
        );
        assert!(results[0].failures.is_empty(), "{name}: {:?}", results[0]);
        let limits = wasiport::Limits {
            timeout: Some(options.timeout),
            ..wasiport::Limits::default()
        };
        let again = wasiport::ModuleCache::with_dir(cache.path()).unwrap();
        again
            .get_or_compile_for(backend.as_ref(), &wasm, &limits)
            .unwrap();
        let serialized = backend
            .capabilities()
            .contains(wasiport::Capability::SerializedModules);
        assert_eq!(
            (again.stats().disk_hits, again.stats().compiled),
            (u64::from(serialized), u64::from(!serialized)),
            "{name}"
        );
    }
}

#[test]
fn an_unexpected_pass_and_an_expected_failure_are_told_apart() {
    let dir = tempfile::tempdir().unwrap();
    upstream_layout(dir.path());
    std::fs::write(
        dir.path().join("wasmi.toml"),
        r#"version = 1
[[suite]]
name = "upstream"
[[suite.test]]
name = "creates"
expected = "fail"
reason = "pretend it fails"
[[suite.test]]
name = "broken"
expected = "fail"
reason = "not a module"
"#,
    )
    .unwrap();
    let out = json_run(dir.path(), "wasmi");
    assert_eq!(out.status.code(), Some(1), "an xpass must fail the run");
    let report: Report = serde_json::from_slice(&out.stdout).unwrap();
    let status = |name: &str| {
        report.results[0]
            .tests
            .iter()
            .find(|t| t.name == name)
            .unwrap()
            .status()
    };
    assert_eq!(status("creates"), Status::XPass);
    assert_eq!(status("broken"), Status::XFail);
}

/// A guest that writes `line` to stderr and exits with `code`.
fn says_and_exits(line: &str, code: i32) -> Vec<u8> {
    wat::parse_str(format!(
        r#"(module
        (import "wasi_snapshot_preview1" "fd_write" (func $write (param i32 i32 i32 i32) (result i32)))
        (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
        (memory (export "memory") 1)
        (data (i32.const 16) "{line}\n")
        (func (export "_start")
          (i32.store (i32.const 0) (i32.const 16))
          (i32.store (i32.const 4) (i32.const {len}))
          (drop (call $write (i32.const 2) (i32.const 0) (i32.const 1) (i32.const 8)))
          (call $exit (i32.const {code}))))"#,
        len = line.len() + 1
    ))
    .unwrap()
}

#[test]
fn an_implementation_defined_test_differs_only_by_a_behaviour_its_spec_allows() {
    let dir = tempfile::tempdir().unwrap();
    let traps = wat::parse_str(
        r#"(module (memory (export "memory") 1) (func (export "_start") unreachable))"#,
    )
    .unwrap();
    let other_errno = says_and_exits("line 9: f(p): expected errno 21, got 78", 1);
    let success = says_and_exits("line 9: f(p): expected errno 21, got 0", 1);
    // The matrix's `proc_raise` row has only a test that differs; `fd_write`'s has failures too.
    let defined = |also: &str, feature: &str| {
        format!(
            r#"{{"features": ["{feature}"], "implementation_defined": {{"why": "the spec is silent", "also": [{also}]}}}}"#
        )
    };
    let cases: [(&str, &[u8], String, Status); 6] = [
        (
            "trap_allowed",
            &traps,
            defined(r#""trap""#, "proc_raise"),
            Status::Differs,
        ),
        (
            "trap_not_allowed",
            &traps,
            defined(r#""errno""#, "fd_write"),
            Status::Fail,
        ),
        (
            "other_errno",
            &other_errno,
            defined(r#""errno", "trap""#, "fd_write"),
            Status::Differs,
        ),
        (
            "success_is_no_error",
            &success,
            defined(r#""errno""#, "fd_write"),
            Status::Fail,
        ),
        (
            "mandated",
            &traps,
            r#"{"features": ["fd_write"]}"#.to_string(),
            Status::Fail,
        ),
        // Expected to fail, but allowed: the expectation is stale.
        (
            "stale_expectation",
            &traps,
            defined(r#""trap""#, "fd_write"),
            Status::XPass,
        ),
    ];
    std::fs::write(dir.path().join("manifest.json"), r#"{"name": "defined"}"#).unwrap();
    for (name, wasm, spec, _) in &cases {
        std::fs::write(dir.path().join(format!("{name}.wasm")), wasm).unwrap();
        std::fs::write(dir.path().join(format!("{name}.json")), spec).unwrap();
    }
    std::fs::write(
        dir.path().join("wasmtime.toml"),
        "version = 1\n[[suite]]\nname = \"defined\"\n[[suite.test]]\nname = \"stale_expectation\"\nexpected = \"fail\"\nreason = \"traps\"\n",
    )
    .unwrap();
    let out = json_run(dir.path(), "wasmtime");
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let report: Report = serde_json::from_slice(&out.stdout).unwrap();
    let suite = &report.results[0];
    for (name, _, _, expected) in &cases {
        let test = suite.tests.iter().find(|t| t.name == *name).unwrap();
        assert_eq!(test.status(), *expected, "{name}: {test:?}");
        if *expected == Status::Differs {
            // No failures, so upstream's readers count it passed; the reason says what it did.
            assert!(test.failures.is_empty(), "{name}: {test:?}");
            let reason = test.reason.as_deref().unwrap_or_default();
            assert!(
                reason.ends_with("implementation-defined: the spec is silent"),
                "{reason}"
            );
        }
    }
    let other = suite
        .tests
        .iter()
        .find(|t| t.name == "other_errno")
        .unwrap();
    assert!(other
        .reason
        .as_deref()
        .unwrap()
        .starts_with("returned errno 78"));
    assert_eq!(
        suite.passed, 3,
        "the two that differ and the stale one pass"
    );
    // Every format shows it as its own outcome.
    let json = dir.path().join("report.json");
    std::fs::write(&json, &out.stdout).unwrap();
    for (format, shows) in [
        ("markdown", "`defined/trap_allowed` (differs): trap"),
        ("html", "<td class=\"differs\""),
        ("junit", "<system-out>differs: "),
        ("console", "differs"),
    ] {
        let rendered = render(&json, format);
        assert!(rendered.contains(shows), "{format}: {rendered}");
    }
}

#[test]
fn bad_specs_are_one_line_naming_the_file() {
    let cases: &[(&str, &str)] = &[
        ("{not json", "bad.json"),
        (r#"{"exitcode": 1}"#, "unknown field"),
        (r#"{"dirs": ["missing.dir"]}"#, "missing.dir"),
        (
            r#"{"args": ["a"], "operations": [{"type": "run"}]}"#,
            "cannot mix",
        ),
        (r#"{"proposals": ["teleport"]}"#, "unknown proposal"),
        (
            r#"{"operations": [{"type": "run"}, {"type": "recv", "id": "nobody"}]}"#,
            "nobody",
        ),
        // HTTP parts are checked when the spec loads, not when a test reaches them.
        (
            r#"{"servers": [{"name": "up", "endpoints": [{"mode": "teapot"}]}], "operations": [{"type": "run"}]}"#,
            "teapot",
        ),
        (
            r#"{"operations": [{"type": "run"}, {"type": "request", "response": {"status": "fine"}}]}"#,
            "fine",
        ),
    ];
    for (spec, needle) in cases {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("bad.wasm"),
            wat::parse_str("(module (memory (export \"memory\") 1) (func (export \"_start\")))")
                .unwrap(),
        )
        .unwrap();
        std::fs::write(dir.path().join("bad.json"), spec).unwrap();
        let out = wasiport(&["conformance", "--suite", dir.path().to_str().unwrap()]);
        let err = text(&out.stderr);
        assert_eq!(out.status.code(), Some(65), "{spec}: {err}");
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(
            err.contains("bad.json") && err.contains(needle),
            "{spec}: {err}"
        );
    }
}

/// The processes under `pid` (its children, theirs, ...), from `/proc`.
fn descendants(pid: u32) -> Vec<u32> {
    let parent_of = |p: u32| -> Option<u32> {
        let stat = std::fs::read_to_string(format!("/proc/{p}/stat")).ok()?;
        // `pid (comm) state ppid ...`: the command may hold spaces and parentheses.
        stat.rsplit_once(')')?
            .1
            .split_whitespace()
            .nth(1)?
            .parse()
            .ok()
    };
    let all: Vec<u32> = std::fs::read_dir("/proc")
        .map(|dir| {
            dir.flatten()
                .filter_map(|e| e.file_name().to_str()?.parse().ok())
                .collect()
        })
        .unwrap_or_default();
    let mut found = vec![pid];
    let mut i = 0;
    while i < found.len() {
        let parent = found[i];
        found.extend(all.iter().filter(|p| parent_of(**p) == Some(parent)));
        i += 1;
    }
    found.split_off(1)
}

/// The CPU time (user + system, in clock ticks) `pid` has used.
fn cpu_ticks(pid: u32) -> u64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .map(|(_, rest)| rest.split_whitespace().collect())
        .unwrap_or_default();
    // utime and stime are the 14th and 15th fields, the 12th and 13th after the command.
    [11, 12]
        .iter()
        .filter_map(|&i| fields.get(i)?.parse::<u64>().ok())
        .sum()
}

#[test]
fn a_worker_killed_mid_test_is_recorded_against_the_test_and_the_run_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    upstream_layout(dir.path());
    // First in order: a test that spins until its worker is killed (its timeout is far off).
    std::fs::write(
        dir.path().join("a_spinning.wasm"),
        wat::parse_str(
            r#"(module (memory (export "memory") 1) (func (export "_start") (loop $l (br $l))))"#,
        )
        .unwrap(),
    )
    .unwrap();
    let child = common::wasiport_command()
        .args([
            "conformance",
            "--backend",
            "wasmtime",
            "--jobs",
            "1",
            "--suite",
            dir.path().to_str().unwrap(),
            "--format",
            "json",
        ])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // The worker, once it has spun for a fifth of a second of CPU: it is in the test.
    let started = std::time::Instant::now();
    let worker = loop {
        let spinning = descendants(child.id()).into_iter().find(|p| {
            let cmdline = std::fs::read(format!("/proc/{p}/cmdline")).unwrap_or_default();
            String::from_utf8_lossy(&cmdline).contains("--worker") && cpu_ticks(*p) >= 20
        });
        if let Some(worker) = spinning {
            break worker;
        }
        assert!(
            started.elapsed() < std::time::Duration::from_secs(120),
            "no worker spun"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    };
    // SAFETY: a signal to a process of this test's own.
    assert_eq!(unsafe { libc::kill(worker as i32, libc::SIGKILL) }, 0);
    let out = child.wait_with_output().unwrap();
    let report: Report = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", text(&out.stderr)));
    let tests = &report.results[0].tests;
    let killed = tests.iter().find(|t| t.name == "a_spinning").unwrap();
    assert!(
        killed.failures[0].contains("crashed"),
        "{:?}",
        killed.failures
    );
    let creates = tests.iter().find(|t| t.name == "creates").unwrap();
    assert_eq!(
        creates.status(),
        Status::Pass,
        "the run went on after the crash"
    );
}

/// The JSON report at `json` rendered in `format` by `wasiport report merge`.
fn render(json: &Path, format: &str) -> String {
    let out = wasiport(&[
        "report",
        "merge",
        json.to_str().unwrap(),
        "--format",
        format,
    ]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{format}: {}",
        text(&out.stderr)
    );
    text(&out.stdout)
}

#[test]
fn every_format_renders_the_same_report() {
    let (_, report) = full_run();
    let dir = tempfile::tempdir().unwrap();
    let json = dir.path().join("report.json");
    std::fs::write(&json, serde_json::to_string(report).unwrap()).unwrap();
    let render = |format: &str| render(&json, format);
    let junit = render("junit");
    assert!(junit.starts_with("<?xml") && junit.contains("<testsuite name=\"wasmer."));
    // Well-formed JUnit that a reader counts as the report does.
    let parsed = quick_junit::Report::deserialize_from_str(&junit).unwrap();
    let tests = report.results.iter().flat_map(|s| &s.tests);
    assert_eq!(parsed.tests, tests.clone().count());
    assert_eq!(
        parsed.failures,
        tests.filter(|t| t.status().is_unexpected()).count()
    );
    let md = render("markdown");
    for f in wasiport::wasi_p1::FUNCTIONS {
        assert!(
            md.contains(&format!("| `{}` |", f.name)),
            "no row for {}",
            f.name
        );
    }
    let html = render("html");
    assert!(html.contains("<table id=\"matrix\">"));
}

/// The DOM of the HTML page `html` after its script ran in headless Chromium, and Chromium's
/// log.
fn dom_in_chromium(html: &Path) -> (String, String) {
    let chromium = ["/usr/bin/chromium", "/usr/bin/chromium-browser"]
        .into_iter()
        .find(|p| Path::new(p).exists())
        .expect("Debian's chromium is needed for this test: apt-get install chromium");
    let profile = tempfile::tempdir().unwrap();
    let out = Command::new(chromium)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--enable-logging=stderr",
            "--v=0",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .arg("--dump-dom")
        .arg(format!("file://{}", html.display()))
        .output()
        .expect("run chromium");
    let log = text(&out.stderr);
    let console_errors: Vec<&str> = log
        .lines()
        .filter(|l| l.contains("CONSOLE") && (l.contains("Uncaught") || l.contains("rror")))
        .collect();
    assert!(console_errors.is_empty(), "{console_errors:#?}");
    (text(&out.stdout), log)
}

/// The HTML page in a real headless browser: it loads, its script runs without an error, and
/// it shows a column for every backend.
#[test]
fn the_html_matrix_loads_in_a_headless_browser() {
    let dir = tempfile::tempdir().unwrap();
    let html = dir.path().join("matrix.html");
    let out = merged(&["--format", "html", "--out", html.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0));
    let (dom, log) = dom_in_chromium(&html);
    assert!(
        dom.contains(&format!("data-backends=\"{}\"", backends::TARGETS.len())),
        "the page's script did not run to the end; log:\n{log}"
    );
    for &backend in backends::TARGETS {
        assert!(dom.contains(&format!("<th class=\"backend\">{backend} ")));
    }
}

/// A suite written for another runner, without `features` in its specs (as an external
/// wasi-testsuite directory is): the matrix's rows come from what the modules import, every
/// report lists each test, and the HTML page shows filled cells and the per-test view in
/// Chromium.
#[test]
fn a_suite_without_features_gets_rows_from_its_imports_and_a_per_test_view() {
    let dir = tempfile::tempdir().unwrap();
    let suite = dir.path().join("external");
    copy_dir(&root().join("suite/seek"), &suite);
    let mut names = Vec::new();
    for entry in std::fs::read_dir(&suite).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "json")
            && path.file_name().unwrap() != "manifest.json"
        {
            let mut spec: Value =
                serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
            spec.as_object_mut().unwrap().remove("features");
            std::fs::write(&path, spec.to_string()).unwrap();
            names.push(path.file_stem().unwrap().to_string_lossy().into_owned());
        }
    }
    let report = dir.path().join("report.json");
    report_of(&suite, "wasmtime,wasmi", &report);
    let json: Value = serde_json::from_str(&std::fs::read_to_string(&report).unwrap()).unwrap();
    assert!(
        json["results"][0]["tests"]
            .as_array()
            .unwrap()
            .iter()
            .all(|t| t["features"].as_array().is_some_and(|f| !f.is_empty())),
        "{json}"
    );

    let out = wasiport(&[
        "report",
        "merge",
        report.to_str().unwrap(),
        "--format",
        "markdown",
    ]);
    let md = text(&out.stdout);
    let row = md
        .lines()
        .find(|l| l.starts_with("| `fd_seek` |"))
        .expect("an fd_seek row");
    assert!(
        row.contains("pass (") || row.contains("partial") || row.contains("fail"),
        "{row}"
    );
    assert!(md.contains("## Per test"), "{md}");
    for name in &names {
        assert!(
            md.contains(&format!(
                "`{}/{name}`",
                json["results"][0]["name"].as_str().unwrap()
            )),
            "no row for {name}"
        );
    }

    let html = dir.path().join("matrix.html");
    let out = wasiport(&[
        "report",
        "merge",
        report.to_str().unwrap(),
        "--format",
        "html",
        "--out",
        html.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let (dom, log) = dom_in_chromium(&html);
    assert!(
        dom.contains(&format!("data-tests=\"{}\"", names.len())),
        "log:\n{log}"
    );
    let filled: usize = dom
        .split("data-filled-cells=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .and_then(|n| n.parse().ok())
        .expect("the page counted its cells");
    assert!(filled > 0, "no matrix cell has a verdict");
}

/// A result file of wasi-testsuite's own runner, for a runtime not built here, merged beside
/// our run: its own column, marked imported with its source and date, filling the same rows.
#[test]
fn an_upstream_result_file_is_an_imported_column_beside_ours() {
    let dir = tempfile::tempdir().unwrap();
    let suite = dir.path().join("seek");
    copy_dir(&root().join("suite/seek"), &suite);
    let ours = dir.path().join("ours.json");
    report_of(&suite, "wasmtime", &ours);
    let ours_json: Value = serde_json::from_str(&std::fs::read_to_string(&ours).unwrap()).unwrap();
    let suite_name = ours_json["results"][0]["name"]
        .as_str()
        .unwrap()
        .to_string();
    // As wasi-testsuite's runner writes it (its JSON reporter): one runtime for the file, the
    // run's times, `wasi_functions`, no statuses.
    let tests: Vec<Value> = ours_json["results"][0]["tests"]
        .as_array()
        .unwrap()
        .iter()
        .enumerate()
        .map(|(i, t)| {
            json!({"name": t["name"], "executed": true, "duration_s": 0.01,
                   "wasi_functions": [],
                   "failures": if i == 0 { vec!["expected 0, got 8"] } else { vec![] }})
        })
        .collect();
    let upstream = dir.path().join("wamr.json");
    std::fs::write(
        &upstream,
        json!({"execution": {"start_timestamp": "2026-11-30T10:00:00.000Z",
                             "finish_timestamp": "2026-11-30T10:01:00.000Z"},
               "runtime": {"name": "wamr", "version": "2.2.0"},
               "results": [{"name": suite_name, "duration_s": 1.0, "failed": 1, "skipped": 0,
                            "passed": tests.len() - 1, "tests": tests}]})
        .to_string(),
    )
    .unwrap();
    let import = format!(
        "{},source=https://example.org/wamr-ci/123",
        upstream.display()
    );
    let out = wasiport(&[
        "report",
        "merge",
        ours.to_str().unwrap(),
        "--import",
        &import,
        "--format",
        "markdown",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let md = text(&out.stdout);
    assert!(
        md.contains("| wasmtime 48.0.0 | wamr 2.2.0 (imported) |"),
        "{md}"
    );
    assert!(
        md.contains("**Imported, not measured here:** wamr 2.2.0 (imported) — from https://example.org/wamr-ci/123, run 2026-11-30T10:00:00.000Z."),
        "{md}"
    );
    // Its tests took our features: the imported column fills the same rows.
    let row = md
        .lines()
        .find(|l| l.starts_with("| `fd_tell` |"))
        .expect("an fd_tell row");
    let cells: Vec<&str> = row
        .split('|')
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .collect();
    assert_eq!(cells.len(), 3, "{row}");
    assert!(cells[1..].iter().all(|c| *c != "—"), "{row}");

    // A bad --import is one line, exit 64.
    let out = wasiport(&[
        "report",
        "merge",
        "--import",
        &format!("{},when=now", upstream.display()),
    ]);
    assert_eq!(out.status.code(), Some(64), "{}", text(&out.stderr));
    assert_eq!(text(&out.stderr).lines().count(), 1);
}

/// A JSON report of `backend` on `suite`.
fn report_of(suite: &Path, backend: &str, out: &Path) {
    let output = wasiport(&[
        "conformance",
        "--backend",
        backend,
        "--suite",
        suite.to_str().unwrap(),
        "--format",
        "json",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(out.exists(), "no report: {}", text(&output.stderr));
}

#[test]
fn report_diff_gates_a_regression_and_shows_a_fix() {
    // Two real runs of the seek group on wasmtime: as built, and with one test's expected
    // stdout changed, so that it fails as a regression in the runtime would.
    let dir = tempfile::tempdir().unwrap();
    let suite = dir.path().join("seek");
    copy_dir(&root().join("suite/seek"), &suite);
    let (base, new) = (dir.path().join("base.json"), dir.path().join("new.json"));
    report_of(&suite, "wasmtime", &base);
    let spec = suite.join("fd_tell_follows_reads.json");
    let mut json: Value = serde_json::from_str(&std::fs::read_to_string(&spec).unwrap()).unwrap();
    json["stdout"] = "something else".into();
    std::fs::write(&spec, json.to_string()).unwrap();
    report_of(&suite, "wasmtime", &new);

    let out = wasiport(&[
        "report",
        "diff",
        base.to_str().unwrap(),
        new.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let console = text(&out.stdout);
    assert!(
        console.contains("regressed wasmtime seek/fd_tell_follows_reads: pass → fail"),
        "{console}"
    );
    let out = wasiport(&[
        "report",
        "diff",
        new.to_str().unwrap(),
        base.to_str().unwrap(),
        "--format",
        "json",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let json: Value = serde_json::from_slice(&out.stdout).unwrap();
    let wasmtime = &json["backends"][0];
    assert_eq!(wasmtime["backend"], "wasmtime");
    assert_eq!(wasmtime["fixed"][0]["test"], "seek/fd_tell_follows_reads");
    assert_eq!(wasmtime["regressed"].as_array().map(Vec::len), Some(0));
    let out = wasiport(&[
        "report",
        "diff",
        base.to_str().unwrap(),
        new.to_str().unwrap(),
        "--format",
        "markdown",
    ]);
    assert!(text(&out.stdout).contains("## Regressed on wasmtime"));

    // A backend in only one report: its tests appeared; a file that is no report: one line.
    let other = dir.path().join("other.json");
    report_of(&suite, "wasmi", &other);
    let out = wasiport(&[
        "report",
        "diff",
        base.to_str().unwrap(),
        other.to_str().unwrap(),
        "--format",
        "json",
    ]);
    let json: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(json["backends"]
        .as_array()
        .unwrap()
        .iter()
        .any(|b| b["backend"] == "wasmi"
            && b["base_version"].is_null()
            && !b["appeared"].as_array().unwrap().is_empty()));
    let out = wasiport(&[
        "report",
        "diff",
        spec.to_str().unwrap(),
        new.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(65), "{}", text(&out.stderr));
    assert_eq!(text(&out.stderr).lines().count(), 1);
    let out = wasiport(&["report", "diff", "/nonexistent.json", new.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(66), "{}", text(&out.stderr));
}

fn copy_dir(from: &Path, to: &Path) {
    // `cp -a`: the fixture holds links, which must stay links.
    let status = Command::new("cp")
        .arg("-a")
        .arg(from)
        .arg(to)
        .status()
        .unwrap();
    assert!(status.success());
}

/// The CI workflow runs a job for every target a full build has, each built with its engine's
/// feature.
#[test]
fn the_ci_workflow_has_a_job_for_every_target() {
    let workflow =
        std::fs::read_to_string(root().join("../.github/workflows/conformance.yml")).unwrap();
    for target in backends::TARGETS {
        let engine = backends::NAMES
            .iter()
            .find(|engine| {
                *target == **engine
                    || ["-portable", "-p2"]
                        .iter()
                        .any(|suffix| target.strip_suffix(suffix) == Some(**engine))
            })
            .unwrap();
        let job = format!("- {{ target: {target}, features: {engine} }}");
        assert!(workflow.contains(&job), "the workflow has no `{job}`");
    }
}
