//! The worker: the child process in which one run with WasmEdge's own WASI happens, and the
//! worker program `wasiport-wasmedge-worker` ([`worker_main`]) that serves hosts which do not
//! link libwasmedge (`wasiport-wasmedge-process`).
//!
//! WasmEdge's WASI reads and writes the process's own file descriptors 0, 1 and 2, with no way
//! to give it others. Redirecting those in the host process would capture every thread's output
//! and is not sound in a library, so each run happens in a child process whose 0, 1 and 2 are
//! the run's own pipes (or the host's, or `/dev/null`). The child is the host's own executable
//! started again with [`JOB_VAR`] set: its `main` calls [`serve_if_asked`] first, which runs the
//! job and ends the process. (A test binary, whose `main` is libtest's, gets the same call from a
//! constructor: the `worker-constructor` feature.) A program that has not called it is not
//! started as a worker: its `main` would run again. The worker program runs the same jobs, and
//! portable-WASI ones too (a host without libwasmedge has no other place to run them), and
//! with [`SERVICE_ARG`] it validates and compiles modules for such a host, one line each.

use std::ffi::{CString, OsStr};
use std::io::{BufRead, Write};
use std::os::fd::FromRawFd;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::OnceLock;

use wasiport::rewrite::START_EXPORT;
use wasiport::{
    Backend, Error, ModuleInfo, Network, OutputMode, Preopen, RunConfig, SocketPreopen, Stdin,
    Termination, Trap, TrapKind, WasiImpl,
};
use wasiport_wasmedge_process::protocol::{
    End, Job, JobWasi, Reply, Report, Request, TraceRecord, JOB_VAR, PROTOCOL, SERVICE_ARG,
    WORKER_FAILED,
};

use crate::capi::{code, Configure, Executor, ModuleInstance, Source, Statistics, Store};
use crate::in_process::{at_the_depth_limit, depth_limit_trap};
use crate::termination::trap_kind;
use crate::{Mode, Wasmedge};

/// Whether this program serves worker jobs: it called [`serve_if_asked`].
static SERVES_JOBS: AtomicBool = AtomicBool::new(false);

/// Makes this program able to run WasmEdge's own WASI: call it first in `main`. In a worker (a
/// copy of this program the backend started, with the job variable set), it runs the job and
/// ends the process; anywhere else it returns at once, and the backend may start this program
/// as its workers from then on.
///
/// ```
/// fn main() {
///     wasiport_wasmedge::serve_if_asked();
///     // ... the program, which may run guests with WasmEdge's own WASI.
/// }
/// # main();
/// ```
pub fn serve_if_asked() {
    let Some(job) = std::env::var_os(JOB_VAR) else {
        SERVES_JOBS.store(true, Ordering::SeqCst);
        return;
    };
    let status = match serve(&job) {
        Ok(()) => 0,
        Err(message) => {
            eprintln!("wasiport-wasmedge worker: {message}");
            WORKER_FAILED
        }
    };
    // `_exit`: nothing more of the host program (its destructors) runs in a worker.
    // SAFETY: ends the process.
    unsafe { libc::_exit(status) }
}

/// Whether this program can be started as a worker.
pub(crate) fn serves_jobs() -> bool {
    SERVES_JOBS.load(Ordering::SeqCst)
}

/// The worker program's `main`: serves the job it was started for, or with [`SERVICE_ARG`]
/// validates and compiles modules, one request a line on stdin, until stdin ends.
pub fn worker_main() {
    serve_if_asked();
    if std::env::args().nth(1).as_deref() == Some(SERVICE_ARG) {
        serve_compiles();
        return;
    }
    eprintln!(
        "wasiport-wasmedge-worker: runs WasmEdge for a wasiport host (started with {JOB_VAR} \
         or {SERVICE_ARG}); not a program to run by hand"
    );
    std::process::exit(2);
}

/// The compile service: a [`Reply`] for each [`Request`] line.
fn serve_compiles() {
    crate::capi::log_off();
    let stdin = std::io::stdin();
    let mut stdout = std::io::stdout().lock();
    for line in stdin.lock().lines() {
        let Ok(line) = line else { break };
        let reply = match serde_json::from_str::<Request>(&line) {
            Ok(Request::Version) => Reply::Version {
                version: crate::capi::version(),
                protocol: PROTOCOL,
            },
            Ok(Request::Validate { wasm }) => validate(&wasm),
            Ok(Request::CompileAot { wasm, out }) => compile_aot(&wasm, &out),
            Err(e) => Reply::Failed {
                message: format!("bad request: {e}"),
            },
        };
        let Ok(json) = serde_json::to_string(&reply) else {
            break;
        };
        if writeln!(stdout, "{json}")
            .and_then(|()| stdout.flush())
            .is_err()
        {
            break;
        }
    }
}

fn validate(wasm: &str) -> Reply {
    let config = match Configure::new(None) {
        Ok(config) => config,
        Err(e) => return Reply::Failed { message: e.message },
    };
    match config.load(Source::File(wasm)) {
        Ok(_) => Reply::Done,
        Err(e) => Reply::Invalid { message: e.message },
    }
}

fn compile_aot(wasm: &str, out: &str) -> Reply {
    let bytes = match std::fs::read(wasm) {
        Ok(bytes) => bytes,
        Err(e) => {
            return Reply::Failed {
                message: format!("{wasm}: {e}"),
            }
        }
    };
    let mut config = match Configure::new(None) {
        Ok(config) => config,
        Err(e) => return Reply::Failed { message: e.message },
    };
    // Compiled-in counting, so that a fuel budget holds for native code too.
    config.measure_cost();
    match config.compile_aot(&bytes, out) {
        Ok(()) => Reply::Done,
        Err(e) => Reply::Invalid { message: e.message },
    }
}

#[cfg(feature = "worker-constructor")]
#[ctor::ctor(unsafe)]
fn serve_before_main() {
    serve_if_asked();
}

/// What the worker's heap may hold besides the guest's linear memory: WasmEdge itself and the
/// interpreter's stacks.
const HEAP_HEADROOM: u64 = 1 << 30;

/// The largest linear memory of a wasm32 module.
const MAX_MEMORY_BYTES: u64 = 4 << 30;

/// The report written when the heap runs out, and where: prepared before the run, because the
/// moment it is needed nothing can be allocated.
static HEAP_EXHAUSTED: OnceLock<(CString, Vec<u8>)> = OnceLock::new();

/// Called by C++'s `operator new` when an allocation fails: writes the prepared report with
/// plain system calls and ends the worker.
extern "C" fn heap_exhausted() {
    if let Some((path, report)) = HEAP_EXHAUSTED.get() {
        // SAFETY: open/write/close on a NUL-terminated path and a live buffer; nothing allocates.
        unsafe {
            let fd = libc::open(
                path.as_ptr(),
                libc::O_WRONLY | libc::O_CREAT | libc::O_TRUNC,
                0o600,
            );
            if fd >= 0 {
                libc::write(fd, report.as_ptr().cast(), report.len());
                libc::close(fd);
            }
        }
    }
    // SAFETY: ends the process.
    unsafe { libc::_exit(0) }
}

/// Caps the worker's heap, so that a guest recursing without end fails an allocation within
/// seconds instead of taking the machine's memory, and reports that failure as
/// a stack-overflow trap through C++'s new-handler (looked up at run time in the libstdc++ that
/// libwasmedge loaded, so nothing links against it).
fn bound_the_heap(job: &Job) -> Result<(), String> {
    let memory = job.max_memory_bytes.unwrap_or(MAX_MEMORY_BYTES);
    let limit = libc::rlimit {
        rlim_cur: memory + HEAP_HEADROOM,
        rlim_max: memory + HEAP_HEADROOM,
    };
    let report = Report::ended(End::trap(Trap::new(
        TrapKind::StackOverflow,
        "the interpreter's stacks exhausted the worker's heap (WasmEdge 0.14 has no call-depth \
         limit)",
    )));
    let json = serde_json::to_vec(&report).map_err(|e| e.to_string())?;
    let path = CString::new(job.report.as_str()).map_err(|e| e.to_string())?;
    let _ = HEAP_EXHAUSTED.set((path, json));
    // SAFETY: setrlimit on this process; dlsym with a NUL-terminated name; the symbol found is
    // libstdc++'s `std::set_new_handler(void (*)())`, called with a function of that type.
    unsafe {
        if libc::setrlimit(libc::RLIMIT_DATA, &limit) != 0 {
            return Err(format!("setrlimit: {}", std::io::Error::last_os_error()));
        }
        let symbol = libc::dlsym(libc::RTLD_DEFAULT, c"_ZSt15set_new_handlerPFvvE".as_ptr());
        if !symbol.is_null() {
            let set_new_handler: extern "C" fn(extern "C" fn()) -> *const libc::c_void =
                std::mem::transmute(symbol);
            set_new_handler(heap_exhausted);
        }
    }
    Ok(())
}

fn serve(job_path: &OsStr) -> Result<(), String> {
    let text =
        std::fs::read(job_path).map_err(|e| format!("{}: {e}", job_path.to_string_lossy()))?;
    let job: Job = serde_json::from_slice(&text).map_err(|e| format!("bad job: {e}"))?;
    bound_the_heap(&job)?;
    let report = match job.wasi {
        JobWasi::Native => run(&job),
        JobWasi::Portable => run_portable(&job),
    };
    // What the portable WASI wrote to this process's stdout, before `_exit`.
    let _ = std::io::stdout().flush();
    let json = serde_json::to_vec(&report).map_err(|e| e.to_string())?;
    std::fs::write(&job.report, json).map_err(|e| format!("{}: {e}", job.report))
}

fn run(job: &Job) -> Report {
    crate::capi::log_off();
    // Whole pages: a cap between two page counts allows the lower one.
    let pages = job
        .max_memory_bytes
        .map(|bytes| u32::try_from(bytes / 65536).unwrap_or(u32::MAX));
    let mut config = match Configure::new(pages) {
        Ok(config) => config,
        Err(e) => return failed(e.message),
    };
    // Cost is counted when a budget needs it (counting slows WasmEdge's interpreter down a great
    // deal), and always for AOT code, which `compile_aot` compiled with the counting in it.
    let counted = job.fuel.is_some() || job.aot;
    if counted {
        config.measure_cost();
    }
    let stat = match Statistics::new() {
        Ok(stat) => stat,
        Err(e) => return failed(e.message),
    };
    let setup = || -> Result<_, crate::capi::Failure> {
        let module = config.load(Source::File(&job.module))?;
        let executor = Executor::new(&config, &stat)?;
        // After the executor: creating one resets the limit to its configuration's.
        stat.set_cost_limit(job.fuel.unwrap_or(u64::MAX));
        let store = Store::new()?;
        let env: Vec<String> = job.env.iter().map(|(k, v)| format!("{k}={v}")).collect();
        // WasmEdge's own preopen strings: `GUEST:HOST` or `GUEST:HOST:readonly`.
        let preopens: Vec<String> = job
            .preopens
            .iter()
            .map(|p| {
                let access = if p.read_only { ":readonly" } else { "" };
                format!("{}:{}{access}", p.guest, p.host)
            })
            .collect();
        let wasi = ModuleInstance::wasi(&job.argv, &env, &preopens)?;
        executor.register_import(&store, &wasi)?;
        let instance = executor.instantiate(&store, &module)?;
        Ok((module, executor, store, wasi, instance))
    };
    let (module, executor, store, wasi, instance) = match setup() {
        Ok(parts) => parts,
        Err(e) => return failed(e.message),
    };
    // The start function (an export since `compile`), then `_start`.
    let call = |name| match instance.function(name) {
        Some(func) => executor.invoke(func, &[], &mut [], None, false),
        None => Ok(()),
    };
    let start = call(START_EXPORT);
    let in_start = start.is_err();
    let result = start.and_then(|()| call("_start"));
    let end = match result {
        Err(e) if e.code == code::COST_LIMIT_EXCEEDED => End::OutOfFuel,
        Err(e) if e.code == code::UNREACHABLE && at_the_depth_limit(&instance) => {
            End::trap(depth_limit_trap())
        }
        // Errors of the execution phase (0x4xx) are traps.
        Err(e) if e.code & 0xF00 == 0x400 => End::trap(Trap::new(trap_kind(e.code), e.message)),
        Err(e) if e.code != code::TERMINATED => End::Failed { message: e.message },
        // `proc_exit` unwinds the guest with "terminated", which the executor may already have
        // turned into success: either way the WASI module holds the code (0 unless it was
        // called).
        _ => End::Exited {
            code: wasi.wasi_exit_code() as i32,
        },
    };
    let report = Report {
        end,
        fuel_consumed: counted.then(|| stat.total_cost()),
        in_start,
        trace: Vec::new(),
    };
    // The process ends right after the report is written: WasmEdge's contexts are left to it
    // rather than torn down one by one.
    std::mem::forget((instance, module, executor, store, wasi, stat));
    report
}

fn failed(message: String) -> Report {
    Report::ended(End::Failed { message })
}

/// A run with the portable WASI, here as `Wasmedge` runs one in process, its stdio this
/// process's own (the host's pipes).
fn run_portable(job: &Job) -> Report {
    let ran = || -> Result<wasiport::Outcome, Error> {
        let mode = if job.aot {
            Mode::Aot
        } else {
            Mode::Interpreter
        };
        let backend = Wasmedge::with_mode(mode)?;
        let wasm = std::fs::read(&job.wasm).map_err(|source| Error::Io {
            path: job.wasm.clone().into(),
            source,
        })?;
        let info = ModuleInfo::parse(&wasm).map_err(crate::internal)?;
        let module = backend.prepared_elsewhere(job.module.clone().into(), info);
        let mut config = RunConfig::builder()
            .wasi(WasiImpl::Portable)
            .stdin(Stdin::Inherit)
            .stdout(OutputMode::Inherit)
            .stderr(OutputMode::Inherit)
            .trace(job.trace);
        if let Some((program, args)) = job.argv.split_first() {
            config = config
                .program_name(program.clone())
                .args(args.iter().cloned());
        }
        for (key, value) in &job.env {
            config = config.env(key.clone(), value.clone());
        }
        for p in &job.preopens {
            config = config.preopen(if p.read_only {
                Preopen::read_only(&p.host, p.guest.clone())
            } else {
                Preopen::read_write(&p.host, p.guest.clone())
            });
        }
        for &fd in &job.sockets {
            // SAFETY: the host passed this listening socket on at this number, for this run.
            let listener = unsafe { std::net::TcpListener::from_raw_fd(fd) };
            config = config.preopen_socket(SocketPreopen::new(listener));
        }
        if job.loopback {
            config = config.network(Network::Loopback);
        }
        if let Some(fuel) = job.fuel {
            config = config.fuel(fuel);
        }
        if let Some(bytes) = job.max_memory_bytes {
            config = config.max_memory_bytes(bytes);
        }
        backend.run(&module, &config.build()?)
    };
    match ran() {
        Ok(outcome) => Report {
            end: match outcome.termination {
                Termination::Exited(code) => End::Exited { code },
                Termination::Trap(trap) => End::trap(trap),
                Termination::OutOfFuel => End::OutOfFuel,
                // The host keeps the time, and checked the memory before.
                other => End::Failed {
                    message: format!("the worker's run ended: {other}"),
                },
            },
            fuel_consumed: outcome.fuel_consumed,
            in_start: false,
            trace: outcome.trace.iter().map(TraceRecord::from).collect(),
        },
        Err(Error::Instantiation { message, .. }) => {
            Report::ended(End::NotInstantiated { message })
        }
        Err(Error::Internal { message, .. }) => failed(message),
        Err(e) => failed(e.to_string()),
    }
}
