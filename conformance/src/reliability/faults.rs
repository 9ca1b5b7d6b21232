//! Faults: what a run does when something around it breaks — an output flood past the capture
//! cap, a host function that panics, a module cache that is full, corrupt or read-only, a
//! worker process killed mid-run. Each scenario runs for real on each backend it applies to.

use std::path::Path;
use std::time::{Duration, Instant};

use serde::Serialize;
use wasiport::{
    Backend, Capability, HostFunction, ModuleCache, OutputMode, RunConfig, Signature, Termination,
};

/// What a scenario found on one backend.
#[derive(Debug, Clone, Serialize)]
pub struct Fault {
    /// The scenario.
    pub scenario: &'static str,
    /// The target.
    pub target: String,
    /// What should happen.
    pub expected: &'static str,
    /// What did.
    pub observed: String,
    /// Whether it held.
    pub verdict: Verdict,
}

/// Whether a scenario held.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// What should happen did.
    Held,
    /// It did not.
    Broke,
    /// It could not be set up here (said in `observed`).
    NotMeasured,
}

const HELLO: &str = r#"(module
  (import "wasi_snapshot_preview1" "fd_write" (func $w (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 16) "hello\n")
  (func (export "_start")
    (i32.store (i32.const 0) (i32.const 16)) (i32.store (i32.const 4) (i32.const 6))
    (drop (call $w (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))))"#;

/// 160 writes of 64 KiB: 10 MiB.
const FLOOD: &str = r#"(module
  (import "wasi_snapshot_preview1" "fd_write" (func $w (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 3)
  (func (export "_start") (local $i i32)
    (i32.store (i32.const 0) (i32.const 65536)) (i32.store (i32.const 4) (i32.const 65536))
    (loop $again
      (drop (call $w (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $again (i32.lt_u (local.get $i) (i32.const 160))))))"#;

const HOST_CALL: &str = r#"(module
  (import "env" "boom" (func $boom))
  (memory (export "memory") 1)
  (func (export "_start") (call $boom)))"#;

const SPIN: &str = r#"(module
  (memory (export "memory") 1)
  (func (export "_start") (loop $ever (br $ever))))"#;

/// The capture cap of the flood.
const CAP: usize = 1 << 20;

/// Every scenario on each of `backends` it applies to.
pub fn faults(backends: &[Box<dyn Backend>]) -> Vec<Fault> {
    let mut found = Vec::new();
    for backend in backends {
        let backend = backend.as_ref();
        found.push(output_flood(backend));
        if backend.capabilities().contains(Capability::HostFunctions) {
            found.push(host_function_panics(backend));
        }
        if backend
            .capabilities()
            .contains(Capability::SerializedModules)
        {
            found.push(cache_full(backend));
            found.push(cache_corrupt(backend));
            found.push(cache_read_only(backend));
        }
        if backend.name() == "wasmedge" {
            found.push(worker_killed(backend));
        }
    }
    found
}

fn fault(
    scenario: &'static str,
    backend: &dyn Backend,
    expected: &'static str,
    observed: String,
    verdict: Verdict,
) -> Fault {
    Fault {
        scenario,
        target: backend.name().to_string(),
        expected,
        observed,
        verdict,
    }
}

fn held(ok: bool) -> Verdict {
    if ok {
        Verdict::Held
    } else {
        Verdict::Broke
    }
}

fn module(text: &str) -> Vec<u8> {
    wat::parse_str(text).unwrap_or_default()
}

fn run(backend: &dyn Backend, wasm: &[u8], config: RunConfig) -> Result<wasiport::Outcome, String> {
    backend
        .compile(wasm)
        .and_then(|m| backend.run(&m, &config))
        .map_err(|e| e.to_string())
}

fn output_flood(backend: &dyn Backend) -> Fault {
    let expected = "10 MiB to stdout, captured up to 1 MiB: exits 0 with 1 MiB kept, marked cut";
    let config = RunConfig::builder()
        .stdout(OutputMode::Capture { limit: CAP })
        .timeout(Duration::from_secs(60))
        .build();
    let began = Instant::now();
    let outcome = config
        .map_err(|e| e.to_string())
        .and_then(|c| run(backend, &module(FLOOD), c));
    let (observed, ok) = match outcome {
        Ok(o) => (
            format!(
                "{}, {} bytes kept, cut: {}, {:.2} s",
                o.termination,
                o.stdout.len(),
                o.stdout_truncated,
                began.elapsed().as_secs_f64()
            ),
            o.termination == Termination::Exited(0) && o.stdout.len() == CAP && o.stdout_truncated,
        ),
        Err(e) => (e, false),
    };
    fault("output flood", backend, expected, observed, held(ok))
}

fn host_function_panics(backend: &dyn Backend) -> Fault {
    let expected = "a trap with the panic's message; the host goes on";
    let boom = HostFunction::new("env", "boom", Signature::new([], []), |_, _| {
        panic!("the host function broke")
    });
    // The panic is the point: the default hook would print it and its backtrace.
    let hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let outcome = boom
        .and_then(|boom| RunConfig::builder().host_function(boom).build())
        .map_err(|e| e.to_string())
        .and_then(|config| run(backend, &module(HOST_CALL), config));
    std::panic::set_hook(hook);
    let (observed, ok) = match outcome {
        Ok(o) => {
            let ok = matches!(&o.termination, Termination::Trap(t) if t.message.contains("the host function broke"));
            (o.termination.to_string(), ok)
        }
        Err(e) => (e, false),
    };
    fault(
        "host function panics",
        backend,
        expected,
        observed,
        held(ok),
    )
}

/// Compiles `HELLO` through a cache in `dir` (with `around` wrapped around the compile only),
/// then runs it: what happened, and whether it said hello.
fn through_cache(
    backend: &dyn Backend,
    dir: &Path,
    around: impl FnOnce(&mut dyn FnMut()),
) -> (String, bool) {
    let cache = match ModuleCache::with_dir(dir) {
        Ok(cache) => cache,
        Err(e) => return (e.to_string(), false),
    };
    let mut compiled = None;
    around(&mut || compiled = Some(cache.get_or_compile(backend, &module(HELLO))));
    let outcome = compiled
        .unwrap_or_else(|| Err(wasiport::Error::InvalidConfig("not compiled".into())))
        .and_then(|m| {
            let config = RunConfig::builder().stdout(OutputMode::default()).build()?;
            backend.run(&m, &config)
        });
    match outcome {
        Ok(o) => (
            format!(
                "{}, {:?}",
                o.termination,
                String::from_utf8_lossy(&o.stdout)
            ),
            o.termination == Termination::Exited(0) && o.stdout == b"hello\n",
        ),
        Err(e) => (e.to_string(), false),
    }
}

/// Runs `f` as it is.
fn plainly(f: &mut dyn FnMut()) {
    f()
}

/// Regular files under `dir`, recursively.
fn files(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        match entry.file_type() {
            Ok(t) if t.is_dir() => out.extend(files(&path)),
            Ok(t) if t.is_file() => out.push(path),
            _ => {}
        }
    }
    out
}

fn cache_full(backend: &dyn Backend) -> Fault {
    let expected = "every write to the cache fails (RLIMIT_FSIZE 0): the module is compiled, runs, and nothing is kept";
    let Ok(dir) = tempfile::tempdir() else {
        return fault(
            "cache full",
            backend,
            expected,
            "no temporary directory".into(),
            Verdict::NotMeasured,
        );
    };
    let cache = dir.path().join("cache");
    // SAFETY: SIGXFSZ ignored makes a write past the limit fail with EFBIG instead of ending
    // the process; the limit is this process's, restored before anything else runs.
    let (observed, ok) = unsafe {
        libc::signal(libc::SIGXFSZ, libc::SIG_IGN);
        let mut old = std::mem::zeroed::<libc::rlimit>();
        libc::getrlimit(libc::RLIMIT_FSIZE, &mut old);
        let zero = libc::rlimit {
            rlim_cur: 0,
            rlim_max: old.rlim_max,
        };
        // Only the compile (and the cache's write) under the limit: wasmtime's instances write
        // their memory image to a memfd, which the limit would refuse too.
        through_cache(backend, &cache, |compile| {
            libc::setrlimit(libc::RLIMIT_FSIZE, &zero);
            compile();
            libc::setrlimit(libc::RLIMIT_FSIZE, &old);
        })
    };
    let kept: Vec<_> = files(&cache)
        .into_iter()
        .filter(|f| std::fs::metadata(f).is_ok_and(|m| m.len() > 0))
        .collect();
    let observed = format!("{observed}; {} entries kept", kept.len());
    fault(
        "cache full",
        backend,
        expected,
        observed,
        held(ok && kept.is_empty()),
    )
}

fn cache_corrupt(backend: &dyn Backend) -> Fault {
    let expected =
        "every entry's bytes inverted: it is not loaded but compiled again, runs, and is rewritten";
    let Ok(dir) = tempfile::tempdir() else {
        return fault(
            "cache corrupt",
            backend,
            expected,
            "no temporary directory".into(),
            Verdict::NotMeasured,
        );
    };
    let cache = dir.path().join("cache");
    let (_, first) = through_cache(backend, &cache, plainly);
    let entries = files(&cache);
    for entry in &entries {
        if let Ok(bytes) = std::fs::read(entry) {
            let _ = std::fs::write(entry, bytes.iter().map(|b| !b).collect::<Vec<u8>>());
        }
    }
    let corrupted: Vec<Vec<u8>> = entries
        .iter()
        .map(|e| std::fs::read(e).unwrap_or_default())
        .collect();
    let (observed, ok) = through_cache(backend, &cache, plainly);
    let rewritten = entries
        .iter()
        .zip(&corrupted)
        .any(|(e, bad)| std::fs::read(e).is_ok_and(|now| now != *bad));
    let observed = format!(
        "{observed}; {} entries, rewritten: {rewritten}",
        entries.len()
    );
    fault(
        "cache corrupt",
        backend,
        expected,
        observed,
        held(first && ok && !entries.is_empty() && rewritten),
    )
}

fn cache_read_only(backend: &dyn Backend) -> Fault {
    let expected = "a cache directory the user cannot write: the module is compiled and runs";
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } == 0 {
        let why = "not measurable as root, whom permission bits do not bind (`cache full` makes every write fail instead)";
        return fault(
            "cache read-only",
            backend,
            expected,
            why.into(),
            Verdict::NotMeasured,
        );
    }
    let Ok(dir) = tempfile::tempdir() else {
        return fault(
            "cache read-only",
            backend,
            expected,
            "no temporary directory".into(),
            Verdict::NotMeasured,
        );
    };
    let cache = dir.path().join("cache");
    let _ = std::fs::create_dir(&cache);
    use std::os::unix::fs::PermissionsExt as _;
    let _ = std::fs::set_permissions(&cache, std::fs::Permissions::from_mode(0o500));
    let (observed, ok) = through_cache(backend, &cache, plainly);
    let _ = std::fs::set_permissions(&cache, std::fs::Permissions::from_mode(0o700));
    fault("cache read-only", backend, expected, observed, held(ok))
}

/// The pids of this process's children that are WasmEdge workers.
fn wasmedge_workers() -> Vec<libc::pid_t> {
    let me = std::process::id().to_string();
    let mut pids = Vec::new();
    for entry in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<libc::pid_t>() else {
            continue;
        };
        let stat = std::fs::read_to_string(entry.path().join("stat")).unwrap_or_default();
        // pid (comm) state ppid ...: the comm may hold spaces, so split after its ')'.
        let ppid = stat
            .rsplit_once(')')
            .and_then(|(_, rest)| rest.split_whitespace().nth(1));
        let environ = std::fs::read(entry.path().join("environ")).unwrap_or_default();
        let worker = environ
            .split(|b| *b == 0)
            .any(|v| v.starts_with(b"WASIPORT_WASMEDGE_JOB="));
        if ppid == Some(me.as_str()) && worker {
            pids.push(pid);
        }
    }
    pids
}

fn worker_killed(backend: &dyn Backend) -> Fault {
    let expected = "the worker SIGKILLed mid-run: the run fails at once with an error saying so, and the next run works";
    let config = RunConfig::builder()
        .timeout(Duration::from_secs(60))
        .build();
    let began = Instant::now();
    let killer = std::thread::spawn(|| {
        for _ in 0..100 {
            std::thread::sleep(Duration::from_millis(50));
            let workers = wasmedge_workers();
            if !workers.is_empty() {
                std::thread::sleep(Duration::from_millis(200));
                for pid in workers {
                    // SAFETY: a child of this process, found a moment ago.
                    unsafe { libc::kill(pid, libc::SIGKILL) };
                }
                return true;
            }
        }
        false
    });
    let outcome = config
        .map_err(|e| e.to_string())
        .and_then(|c| run(backend, &module(SPIN), c));
    let killed = killer.join().unwrap_or(false);
    let elapsed = began.elapsed().as_secs_f64();
    let config = RunConfig::builder().stdout(OutputMode::default()).build();
    let next = config
        .map_err(|e| e.to_string())
        .and_then(|c| run(backend, &module(HELLO), c));
    let next_ok = next.as_ref().is_ok_and(|o| o.stdout == b"hello\n");
    let next = match next {
        Ok(o) => o.termination.to_string(),
        Err(e) => e,
    };
    let (observed, ok) = match outcome {
        Err(e) => (
            format!("error after {elapsed:.1} s: {e}; the next run: {next}"),
            killed && e.contains("killed") && elapsed < 10.0 && next_ok,
        ),
        Ok(o) => (format!("{} after {elapsed:.1} s", o.termination), false),
    };
    fault("worker killed", backend, expected, observed, held(ok))
}
