//! The `wasiport` command line, run as a user would.

mod common;

use std::path::PathBuf;
use std::process::Output;

use serde_json::{json, Value};
use wasiport_conformance::backends;

fn wat(name: &str) -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/guests/wat"))
        .join(format!("{name}.wat"))
}

fn wasiport(args: &[&str]) -> Output {
    common::wasiport_command()
        .args(args)
        .output()
        .expect("run wasiport")
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// A failure of the command line itself: its exit code, and exactly one line on stderr with no
/// panic or backtrace in it.
fn assert_one_line_failure(out: &Output, code: i32, needle: &str) {
    let err = stderr(out);
    assert_eq!(out.status.code(), Some(code), "stderr: {err}");
    assert_eq!(err.lines().count(), 1, "stderr: {err}");
    assert!(err.starts_with("wasiport: "), "stderr: {err}");
    assert!(err.contains(needle), "stderr: {err}");
    assert!(!err.contains("panicked"), "stderr: {err}");
}

#[test]
fn json_output_is_the_same_on_every_backend() {
    let module = wat("hello");
    let mut seen = Vec::new();
    for &backend in backends::NAMES {
        let out = wasiport(&[
            "run",
            "--backend",
            backend,
            "--json",
            module.to_str().unwrap(),
        ]);
        assert_eq!(out.status.code(), Some(0), "{backend}: {}", stderr(&out));
        let v: Value = serde_json::from_slice(&out.stdout).expect("one JSON object");
        assert_eq!(v["backend"], backend);
        assert!(v["runtime_version"].as_str().is_some_and(|s| !s.is_empty()));
        assert!(v["elapsed_ms"].as_f64().is_some());
        seen.push((
            v["termination"].clone(),
            v["exit_code"].clone(),
            v["trap_kind"].clone(),
            v["stdout"].clone(),
            v["stderr"].clone(),
        ));
    }
    assert_eq!(seen[0].0, "exited");
    assert_eq!(seen[0].3, "hello, world\n");
    assert!(seen.iter().all(|s| *s == seen[0]), "{seen:?}");
}

#[test]
fn json_reports_traps_and_limits_alike_on_every_backend() {
    let cases: &[(&str, &[&str], &str, Value)] = &[
        (
            "trap_divide_by_zero",
            &[],
            "trap",
            Value::from("integer_divide_by_zero"),
        ),
        (
            "loop_forever",
            &["--timeout", "0.2"],
            "timeout",
            Value::Null,
        ),
        (
            "loop_forever",
            &["--fuel", "10000"],
            "out_of_fuel",
            Value::Null,
        ),
        (
            "big_memory",
            &["--max-memory", "65536"],
            "memory_limit",
            Value::Null,
        ),
        (
            "memory_grow",
            &["--max-memory", "1048576"],
            "exited",
            Value::Null,
        ),
    ];
    for (guest, flags, termination, trap_kind) in cases {
        for &backend in backends::TARGETS {
            let module = wat(guest);
            let mut args = vec!["run", "--backend", backend, "--json"];
            args.extend_from_slice(flags);
            args.push(module.to_str().unwrap());
            let out = wasiport(&args);
            // A limit the backend cannot enforce is refused (69), never ignored.
            let needs = match flags.first() {
                Some(&"--timeout") => Some(wasiport::Capability::Timeout),
                Some(&"--fuel") => Some(wasiport::Capability::Fuel),
                Some(&"--max-memory") => Some(wasiport::Capability::MemoryLimit),
                _ => None,
            };
            let capabilities = *backends::by_name(backend).unwrap().capabilities();
            if let Some(missing) = needs.filter(|c| !capabilities.contains(*c)) {
                assert_one_line_failure(&out, 69, &format!("does not support {missing}"));
                continue;
            }
            assert_eq!(
                out.status.code(),
                Some(0),
                "{backend} {guest}: {}",
                stderr(&out)
            );
            let v: Value = serde_json::from_slice(&out.stdout).unwrap();
            assert_eq!(v["termination"], *termination, "{backend} {guest}: {v}");
            assert_eq!(v["trap_kind"], *trap_kind, "{backend} {guest}: {v}");
        }
    }
}

#[test]
fn without_json_the_guests_exit_code_and_stdout_pass_through() {
    for &backend in backends::NAMES {
        let out = wasiport(&[
            "run",
            "--backend",
            backend,
            wat("proc_exit").to_str().unwrap(),
        ]);
        assert_eq!(out.status.code(), Some(3), "{backend}");
        let out = wasiport(&["run", "--backend", backend, wat("hello").to_str().unwrap()]);
        assert_eq!(out.status.code(), Some(0), "{backend}");
        assert_eq!(String::from_utf8_lossy(&out.stdout), "hello, world\n");
        let out = wasiport(&[
            "run",
            "--backend",
            backend,
            wat("trap_unreachable").to_str().unwrap(),
        ]);
        assert_eq!(out.status.code(), Some(134), "{backend}");
        assert!(
            stderr(&out).contains("unreachable"),
            "{backend}: {}",
            stderr(&out)
        );
    }
}

#[test]
fn backend_all_says_whether_backends_agree() {
    let out = wasiport(&["run", "--backend", "all", wat("hello").to_str().unwrap()]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{text}{}", stderr(&out));
    let agree = format!("all {} backends agree", backends::TARGETS.len());
    assert!(text.contains(&agree), "{text}");
    for &backend in backends::TARGETS {
        assert!(text.contains(backend), "{text}");
    }
}

/// A JSON array of strings.
fn strings(v: &Value) -> Vec<&str> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap())
        .collect()
}

#[test]
fn backends_lists_each_backend_with_version_and_capabilities() {
    let out = wasiport(&["backends", "--json"]);
    assert_eq!(out.status.code(), Some(0));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let names: Vec<&str> = v
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["name"].as_str().unwrap())
        .collect();
    let built: Vec<&str> = backends::NAMES
        .iter()
        .copied()
        .chain(backends::NOT_BUILT.iter().map(|(name, _)| *name))
        .collect();
    assert_eq!(names, built);
    // A component's run on node has fuel and a memory cap, but no host functions (those are
    // a core module's imports): the JSON says so.
    let node = v.as_array().unwrap().iter().find(|b| b["name"] == "node");
    if let Some(node) = node.filter(|b| b["available"] == true) {
        let component = strings(&node["component_capabilities"]);
        assert!(component.contains(&"components") && component.contains(&"fuel"));
        assert!(component.contains(&"memory-limit") && !component.contains(&"host-functions"));
        assert!(strings(&node["capabilities"]).contains(&"host-functions"));
    }
    for b in v.as_array().unwrap().iter().filter(|b| b["built"] == true) {
        let caps = strings(&b["capabilities"]);
        // Each has a WASI: its own, or (wasm3) only the portable one.
        assert!(
            caps.contains(&"wasi-preview1") || caps.contains(&"portable-wasi"),
            "{b}"
        );
    }
}

#[test]
fn bad_input_gets_one_line_and_its_own_exit_code() {
    let dir = tempfile::tempdir().unwrap();
    let text = dir.path().join("notes.txt");
    std::fs::write(&text, "this is not wasm").unwrap();
    let broken = dir.path().join("broken.wasm");
    std::fs::write(&broken, b"\0asm\x01\0\0\0\x01\xff\xff").unwrap();
    let hello = wat("hello");
    let hello = hello.to_str().unwrap();

    assert_one_line_failure(
        &wasiport(&["run", "/no/such/module.wasm"]),
        66,
        "/no/such/module.wasm",
    );
    assert_one_line_failure(
        &wasiport(&["run", text.to_str().unwrap()]),
        65,
        "not a WebAssembly module",
    );
    for &backend in backends::NAMES {
        assert_one_line_failure(
            &wasiport(&["run", "--backend", backend, broken.to_str().unwrap()]),
            65,
            "invalid module",
        );
    }
    assert_one_line_failure(
        &wasiport(&["run", "--backend", "nope", hello]),
        64,
        "unknown backend `nope`",
    );
    assert_one_line_failure(&wasiport(&["run", "--dir", "::/x", hello]), 64, "bad --dir");
    assert_one_line_failure(
        &wasiport(&["run", "--wasi", "posix", hello]),
        64,
        "bad --wasi: unknown WASI implementation \"posix\"",
    );
    assert_one_line_failure(
        &wasiport(&["run", "--wasi", "native", "--trace", hello]),
        64,
        "native WASI cannot be traced",
    );
    assert_one_line_failure(
        &wasiport(&["run", "--dir", "/no/such/dir::/x", hello]),
        66,
        "/no/such/dir",
    );
    assert_one_line_failure(
        &wasiport(&["run", "--env", "NOEQUALS", hello]),
        64,
        "bad --env",
    );
    assert_one_line_failure(
        &wasiport(&["run", "--timeout=-1", hello]),
        64,
        "bad --timeout",
    );
    assert_one_line_failure(
        &wasiport(&["run", "--stdin", "/no/such/input", hello]),
        66,
        "/no/such/input",
    );
    assert_one_line_failure(
        &wasiport(&["run", wat("missing_import").to_str().unwrap()]),
        69,
        "env::host_log",
    );
    // A start function that traps: the module cannot be instantiated, so there is no run.
    assert_one_line_failure(
        &wasiport(&["run", wat("start_trap").to_str().unwrap()]),
        65,
        "cannot be instantiated",
    );
    // The same failure on every backend is one failure, not a difference.
    assert_one_line_failure(
        &wasiport(&["run", "--backend", "all", broken.to_str().unwrap()]),
        65,
        "invalid module",
    );
    // A cache directory others may write: its code would run as this program.
    let shared = dir.path().join("shared-cache");
    std::fs::create_dir(&shared).unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&shared, std::fs::Permissions::from_mode(0o777)).unwrap();
    assert_one_line_failure(
        &wasiport(&["run", "--cache-dir", shared.to_str().unwrap(), hello]),
        73,
        "not used as a module cache: its group or others may write to it",
    );
    // clap's own usage errors: exit 2, no panic.
    let out = wasiport(&["run", "--fuel", "lots", hello]);
    assert_eq!(out.status.code(), Some(2));
    assert!(!stderr(&out).contains("panicked"));
}

#[test]
fn portable_wasi_gives_the_same_outcome_as_native_on_every_backend() {
    let guests = ["hello", "proc_exit", "trap_unreachable", "memory_grow"];
    for &backend in backends::NAMES {
        for guest in guests {
            let module = wat(guest);
            let json = |wasi: &str| -> Value {
                let out = wasiport(&[
                    "run",
                    "--backend",
                    backend,
                    "--wasi",
                    wasi,
                    "--json",
                    module.to_str().unwrap(),
                ]);
                serde_json::from_slice(&out.stdout)
                    .unwrap_or_else(|_| json!({ "error": stderr(&out) }))
            };
            let (native, portable) = (json("native"), json("portable"));
            if !links_host_functions(backend) {
                // chromium runs the guest in a browser: no portable WASI there,
                // and asking for it is refused, not ignored.
                assert!(
                    portable["error"]
                        .as_str()
                        .unwrap_or("")
                        .contains("portable-wasi"),
                    "{backend} {guest}: {portable}"
                );
                assert!(
                    native["termination"].is_string(),
                    "{backend} {guest}: {native}"
                );
                continue;
            }
            if backend == "wasm3" {
                // wasm3 has the portable WASI only: native is refused, not ignored.
                assert!(native["error"]
                    .as_str()
                    .unwrap_or("")
                    .contains("wasi-preview1"));
                assert!(portable["termination"].is_string(), "{guest}: {portable}");
                continue;
            }
            for field in ["termination", "exit_code", "trap_kind", "stdout", "stderr"] {
                assert_eq!(native[field], portable[field], "{backend} {guest} {field}");
            }
        }
    }
}

#[test]
fn a_trace_is_printed_after_the_run_and_is_the_same_on_every_engine() {
    let hello = wat("hello");
    let out = wasiport(&[
        "run",
        "--backend",
        "all",
        "--trace",
        hello.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(String::from_utf8_lossy(&out.stdout).contains("backends agree"));
    let mut traces = Vec::new();
    for &engine in backends::NAMES {
        let out = wasiport(&[
            "run",
            "--backend",
            engine,
            "--trace",
            hello.to_str().unwrap(),
        ]);
        if !links_host_functions(engine) {
            // A trace is the portable WASI's, which chromium cannot run: exit 69.
            assert_eq!(out.status.code(), Some(69), "{engine}: {}", stderr(&out));
            assert!(
                stderr(&out).contains("portable-wasi"),
                "{engine}: {}",
                stderr(&out)
            );
            continue;
        }
        assert_eq!(String::from_utf8_lossy(&out.stdout), "hello, world\n");
        let trace = stderr(&out);
        assert!(trace.starts_with("fd_write(1, "), "{engine}: {trace}");
        assert!(trace.contains(") = 0 (success)\n"), "{engine}: {trace}");
        traces.push(trace);
    }
    assert!(traces.windows(2).all(|w| w[0] == w[1]), "{traces:#?}");
}

/// Whether the backend links host functions, and so runs the portable WASI (not chromium, whose
/// guests run in a browser page).
fn links_host_functions(backend: &str) -> bool {
    backends::by_name(backend)
        .unwrap()
        .capabilities()
        .contains(wasiport::Capability::PortableWasi)
}

/// A `wasi:http` handler of the built-in suite (WASI 0.2 or 0.3).
fn handler(group: &str, test: &str) -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/suite"))
        .join(group)
        .join(format!("{test}.wasm"))
}

/// One HTTP/1.1 request on a connection of its own: the status line's code and the body (a
/// panic when no answer comes within 30 s).
fn http(address: &str, method: &str, path: &str, body: &str) -> (u16, String) {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(address).unwrap();
    // A server that never answers (a handler not stopped at its timeout) fails the test.
    stream
        .set_read_timeout(Some(std::time::Duration::from_secs(30)))
        .unwrap();
    write!(
        stream,
        "{method} {path} HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n\
         Content-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    let code = response
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let (head, rest) = response.split_once("\r\n\r\n").unwrap_or((&response, ""));
    // A chunked body (the 0.2 handler streams it): the chunks' data only.
    let body = if head
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked")
    {
        let mut data = String::new();
        let mut rest = rest;
        while let Some((size, after)) = rest.split_once("\r\n") {
            let size = usize::from_str_radix(size.trim(), 16).unwrap_or(0);
            if size == 0 {
                break;
            }
            data.push_str(&after[..size]);
            rest = &after[size + 2..];
        }
        data
    } else {
        rest.to_string()
    };
    (code, body)
}

/// Starts `wasiport serve` on a free loopback port with the wasmtime backend, and returns the
/// child, its stderr (after the first line) and the address that first line names.
fn serve(
    module: &std::path::Path,
    extra: &[&str],
) -> (
    std::process::Child,
    std::io::BufReader<std::process::ChildStderr>,
    String,
) {
    use std::io::BufRead;
    let mut child = common::wasiport_command()
        .args([
            "serve",
            "--addr",
            "127.0.0.1:0",
            "--backend",
            "wasmtime",
            "--no-cache",
        ])
        .args(extra)
        .arg(module)
        .stdin(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = std::io::BufReader::new(child.stderr.take().unwrap());
    let mut first = String::new();
    stderr.read_line(&mut first).unwrap();
    let address = first
        .trim()
        .strip_prefix("Serving HTTP on http://")
        .and_then(|a| a.strip_suffix('/'))
        .unwrap_or_else(|| panic!("{}: first line {first:?}", module.display()))
        .to_string();
    (child, stderr, address)
}

/// Stops a server started by [`serve`] with SIGINT; returns its exit status and the rest of its
/// stderr.
fn stop(
    mut child: std::process::Child,
    mut stderr: std::io::BufReader<std::process::ChildStderr>,
) -> (std::process::ExitStatus, String) {
    // SAFETY: kill(2) on our own child, which we have not waited for yet.
    assert_eq!(
        unsafe { libc::kill(child.id() as libc::pid_t, libc::SIGINT) },
        0
    );
    let status = child.wait().unwrap();
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut stderr, &mut rest).unwrap();
    (status, rest)
}

#[test]
fn serve_answers_each_request_in_a_fresh_instance_until_sigint_then_exits_0() {
    for (group, test, hello) in [
        (
            "p2_http",
            "service_answers_a_get",
            "hello from the handler\n",
        ),
        (
            "p3_http",
            "service3_answers_a_get",
            "hello from the 0.3 handler\n",
        ),
    ] {
        let (child, stderr, address) = serve(&handler(group, test), &[]);
        assert_eq!(
            http(&address, "GET", "/", ""),
            (200, hello.into()),
            "{test}"
        );
        assert_eq!(
            http(&address, "POST", "/echo", "hello, echo"),
            (200, "hello, echo".into()),
            "{test}"
        );
        assert_eq!(http(&address, "GET", "/nowhere", "").0, 404, "{test}");
        let (status, rest) = stop(child, stderr);
        assert_eq!(status.code(), Some(0), "{test}: {rest}");
        assert!(
            rest.contains("served 3 requests (0 failed)"),
            "{test}: {rest}"
        );
    }
}

#[test]
fn serve_stops_a_request_at_the_timeout_and_answers_the_next() {
    let module = handler("p2_http", "service_answers_a_get");
    let (child, stderr, address) = serve(&module, &["--timeout", "0.3"]);
    assert_eq!(http(&address, "GET", "/spin", ""), (500, String::new()));
    assert_eq!(
        http(&address, "GET", "/", ""),
        (200, "hello from the handler\n".into())
    );
    let (status, rest) = stop(child, stderr);
    assert_eq!(status.code(), Some(0), "{rest}");
    assert!(rest.contains("served 2 requests (1 failed)"), "{rest}");
    assert!(rest.contains("time"), "{rest}");
}

#[test]
fn serve_refuses_what_it_cannot_serve_with_one_line_and_its_own_exit_code() {
    let module = handler("p2_http", "service_answers_a_get");
    let module = module.to_str().unwrap();
    assert_one_line_failure(
        &wasiport(&["serve", "/no/such/handler.wasm"]),
        66,
        "/no/such/handler.wasm",
    );
    // A command is no handler; a backend without components or serving says which it lacks.
    let hello = wat("hello");
    assert_one_line_failure(
        &wasiport(&["serve", "--addr", "127.0.0.1:0", hello.to_str().unwrap()]),
        65,
        "not a wasi:http handler",
    );
    assert_one_line_failure(
        &wasiport(&[
            "serve",
            "--addr",
            "127.0.0.1:0",
            "--backend",
            "wasmi",
            module,
        ]),
        69,
        "wasmi does not support",
    );
    assert_one_line_failure(
        &wasiport(&["serve", "--addr", "no-address", module]),
        64,
        "no-address",
    );
    let busy = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let taken = busy.local_addr().unwrap().to_string();
    assert_one_line_failure(&wasiport(&["serve", "--addr", &taken, module]), 71, &taken);
}

/// The targets that instantiate modules (`call`).
fn instance_targets() -> Vec<String> {
    backends::select("all")
        .unwrap()
        .iter()
        .filter(|b| b.capabilities().contains(wasiport::Capability::Instances))
        .map(|b| b.name().to_string())
        .collect()
}

#[test]
fn call_prints_a_functions_results_and_exits_as_run_does() {
    let module = wat("calculator");
    let m = module.to_str().unwrap();
    let targets = instance_targets();
    assert!(!targets.is_empty());
    for backend in &targets {
        let b = backend.as_str();
        let out = wasiport(&["call", "--backend", b, m, "add", "40", "2"]);
        assert_eq!(out.status.code(), Some(0), "{b}: {}", stderr(&out));
        assert_eq!(String::from_utf8_lossy(&out.stdout), "42\n", "{b}");
        let out = wasiport(&["call", "--backend", b, m, "half", "5"]);
        assert_eq!(String::from_utf8_lossy(&out.stdout), "2.5\n", "{b}");
        // The guest's own output goes to ours; nothing is returned.
        let out = wasiport(&["call", "--backend", b, m, "greet"]);
        assert_eq!(
            (
                out.status.code(),
                String::from_utf8_lossy(&out.stdout).as_ref()
            ),
            (Some(0), "hi\n"),
            "{b}"
        );
        let out = wasiport(&["call", "--backend", b, "--json", m, "div", "7", "0"]);
        assert_eq!(out.status.code(), Some(134), "{b}: {}", stderr(&out));
        let v: Value = serde_json::from_slice(&out.stdout).expect("one JSON object");
        assert_eq!(
            (&v["termination"], &v["trap_kind"], &v["returned"]),
            (
                &json!("trap"),
                &json!("integer_divide_by_zero"),
                &Value::Null
            ),
            "{b}: {v}"
        );
        let out = wasiport(&["call", "--backend", b, "--json", m, "div", "-9", "3"]);
        let v: Value = serde_json::from_slice(&out.stdout).expect("one JSON object");
        assert_eq!(v["returned"], json!(["-3"]), "{b}: {v}");
    }
}

#[test]
fn call_refuses_bad_functions_and_arguments_with_one_line() {
    let module = wat("calculator");
    let m = module.to_str().unwrap();
    let Some(backend) = instance_targets().into_iter().next() else {
        panic!("no target instantiates modules");
    };
    let b = backend.as_str();
    for (args, code, says) in [
        (vec!["missing"], 64, "exports no function `missing`"),
        (vec!["add", "1"], 64, "takes 2 arguments, not 1"),
        (vec!["add", "1", "x"], 64, "`x` is not an i32"),
        (vec![], 64, "no FUNCTION"),
    ] {
        let mut argv = vec!["call", "--backend", b, m];
        argv.extend(args);
        assert_one_line_failure(&wasiport(&argv), code, says);
    }
    // A backend without instances says so.
    if let Some(other) = backends::select("all")
        .unwrap()
        .iter()
        .find(|t| !t.capabilities().contains(wasiport::Capability::Instances))
    {
        let out = wasiport(&["call", "--backend", other.name(), m, "add", "1", "2"]);
        assert_one_line_failure(&out, 69, "does not support instances");
    }
}

#[test]
fn inspect_lists_exports_with_signatures_and_who_can_call_them() {
    let module = wat("calculator");
    let out = wasiport(&["inspect", "--json", module.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let v: Value = serde_json::from_slice(&out.stdout).expect("one JSON object");
    assert_eq!(v["kind"], "core module");
    assert_eq!(
        v["exported_functions"],
        json!([
            "add (i32, i32) -> i32",
            "div (i32, i32) -> i32",
            "half (f64) -> f64",
            "greet () -> ()"
        ])
    );
    assert_eq!(v["exported_memories"], json!(["memory"]));
    for backend in instance_targets() {
        assert_eq!(
            v["backends"][&backend]["can"],
            json!(["call"]),
            "{backend}: {v}"
        );
    }
    // A command: every target runs it.
    let out = wasiport(&["inspect", "--json", wat("hello").to_str().unwrap()]);
    let v: Value = serde_json::from_slice(&out.stdout).expect("one JSON object");
    assert!(v["backends"]["wasmtime"]["can"]
        .as_array()
        .is_some_and(|ways| ways.contains(&json!("run"))));
}

/// A copy of the `wasiport` binary alone in a directory of its own, started with a `PATH` of the
/// system's directories only: what a user gets from `cargo install` or a copied release binary.
fn a_lone_copy() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let copy = dir.path().join("wasiport");
    std::fs::copy(env!("CARGO_BIN_EXE_wasiport"), &copy).unwrap();
    (dir, copy)
}

fn run_lone(copy: &std::path::Path, args: &[&str]) -> Output {
    std::process::Command::new(copy)
        .args(args)
        .env("PATH", "/usr/bin:/bin")
        .env_remove("WASIPORT_WASMEDGE_WORKER")
        .env("XDG_CACHE_HOME", copy.parent().unwrap().join("cache"))
        .output()
        .expect("start the copy")
}

#[test]
fn a_copy_of_the_binary_alone_lists_the_backends_and_runs_a_guest() {
    let (_dir, copy) = a_lone_copy();
    let out = run_lone(&copy, &["--version"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let out = run_lone(&copy, &["backends", "--json"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let listed: Value = serde_json::from_slice(&out.stdout).unwrap();
    let hello = wat("hello");
    let started = listed
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["available"] == true && b["name"] != "chromium")
        .expect("some backend starts from a lone copy");
    let name = started["name"].as_str().unwrap();
    let out = run_lone(&copy, &["run", "--backend", name, hello.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(String::from_utf8_lossy(&out.stdout), "hello, world\n");

    // WasmEdge, built in, is unavailable without its worker, and says why and how to get it.
    if backends::NAMES.contains(&"wasmedge") {
        let wasmedge = listed
            .as_array()
            .unwrap()
            .iter()
            .find(|b| b["name"] == "wasmedge")
            .unwrap();
        assert_eq!(wasmedge["available"], false, "{wasmedge}");
        assert!(
            wasmedge["why"]
                .as_str()
                .unwrap()
                .contains("wasiport-wasmedge-worker"),
            "{wasmedge}"
        );
        let out = run_lone(
            &copy,
            &["run", "--backend", "wasmedge", hello.to_str().unwrap()],
        );
        assert_one_line_failure(&out, 69, "wasmedge is unavailable here");
    }
}

#[test]
#[cfg_attr(
    not(feature = "wasmedge"),
    ignore = "built without WasmEdge (scripts/install-wasmedge, then --features wasmedge)"
)]
fn a_copy_of_the_binary_beside_the_wasmedge_worker_runs_guests_on_wasmedge() {
    let (dir, copy) = a_lone_copy();
    // The worker cargo built beside the binary (`cargo test --workspace` builds it).
    let built =
        PathBuf::from(env!("CARGO_BIN_EXE_wasiport")).with_file_name("wasiport-wasmedge-worker");
    assert!(
        built.is_file(),
        "{} is not built: cargo build -p wasiport-wasmedge --bin wasiport-wasmedge-worker",
        built.display()
    );
    std::fs::copy(&built, dir.path().join("wasiport-wasmedge-worker")).unwrap();
    let hello = wat("hello");
    for wasi in ["native", "portable"] {
        let out = run_lone(
            &copy,
            &[
                "run",
                "--backend",
                "wasmedge",
                "--wasi",
                wasi,
                hello.to_str().unwrap(),
            ],
        );
        assert_eq!(
            out.status.code(),
            Some(0),
            "--wasi {wasi}: {}",
            stderr(&out)
        );
        assert_eq!(String::from_utf8_lossy(&out.stdout), "hello, world\n");
    }
    // What needs the guest in this process is refused, in one line.
    let calculator = wat("calculator");
    let out = run_lone(
        &copy,
        &[
            "call",
            "--backend",
            "wasmedge",
            calculator.to_str().unwrap(),
            "add",
            "1",
            "2",
        ],
    );
    assert_one_line_failure(&out, 69, "wasmedge does not support instances");
}

#[test]
fn stdin_dash_gives_the_hosts_stdin_to_the_guest_in_json_mode() {
    let dir = tempfile::tempdir().unwrap();
    let echo = dir.path().join("echo.wat");
    std::fs::write(
        &echo,
        r#"(module
          (import "wasi_snapshot_preview1" "fd_read" (func $read (param i32 i32 i32 i32) (result i32)))
          (import "wasi_snapshot_preview1" "fd_write" (func $write (param i32 i32 i32 i32) (result i32)))
          (memory (export "memory") 1)
          (func (export "_start")
            (i32.store (i32.const 0) (i32.const 64))
            (i32.store (i32.const 4) (i32.const 1024))
            (drop (call $read (i32.const 0) (i32.const 0) (i32.const 1) (i32.const 16)))
            (i32.store (i32.const 4) (i32.load (i32.const 16)))
            (drop (call $write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 20)))))"#,
    )
    .unwrap();
    let backend = backends::NAMES[0];
    let mut child = common::wasiport_command()
        .args(["run", "--json", "--backend", backend, "--stdin", "-"])
        .arg(&echo)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    let mut pipe = child.stdin.take().unwrap();
    pipe.write_all(b"from the host").unwrap();
    drop(pipe);
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["stdout"], "from the host", "{v}");
}

#[test]
fn completions_and_the_man_page_come_from_the_command_line_definition() {
    for shell in ["bash", "zsh", "fish"] {
        let out = wasiport(&["completions", shell]);
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        let script = String::from_utf8_lossy(&out.stdout);
        // Every subcommand is offered.
        for command in ["run", "conformance", "report", "completions"] {
            assert!(script.contains(command), "{shell}: no {command}");
        }
    }
    let out = wasiport(&["completions", "tcsh"]);
    assert_eq!(out.status.code(), Some(2), "clap refuses an unknown shell");
    let out = wasiport(&["manpage"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let page = String::from_utf8_lossy(&out.stdout);
    assert!(
        page.starts_with(".ie") || page.contains(".TH wasiport"),
        "{page}"
    );
    assert!(page.contains("conformance"), "{page}");
}
