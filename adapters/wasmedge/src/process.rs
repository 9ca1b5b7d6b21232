//! The host's side of a run: the job written, the worker started with the run's stdio, its
//! output collected, the timeout enforced, the report read.

use std::io::{Read, Write};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;

use wasiport::kit::RunKit;
use wasiport::output::OutputSink;
use wasiport::watchdog::Watchdog;
use wasiport::{Error, Outcome, OutputMode, RunConfig, Stdin, Termination, Trap, TrapKind};

use crate::job::{End, Job, Report};
use crate::termination::trap_kind;
use crate::worker::{JOB_VAR, WORKER_FAILED};
use crate::{internal, NAME};

/// The job for `config`, in WasmEdge's own terms.
fn job(module: &Path, config: &RunConfig, report: &Path) -> Result<Job, Error> {
    let utf8 = |path: &Path| {
        path.to_str().map(str::to_owned).ok_or_else(|| {
            Error::InvalidConfig(format!(
                "{NAME} takes only UTF-8 paths, not {}",
                path.display()
            ))
        })
    };
    let mut preopens = Vec::new();
    for p in config.preopens() {
        let host = utf8(p.host_path())?;
        // WasmEdge reads a preopen as `GUEST:HOST[:readonly]`, so a colon in either is
        // ambiguous.
        if host.contains(':') || p.guest_path().contains(':') {
            return Err(Error::InvalidConfig(format!(
                "{NAME} cannot preopen a path holding `:` ({host} as {})",
                p.guest_path()
            )));
        }
        let access = if p.is_read_only() { ":readonly" } else { "" };
        preopens.push(format!("{}:{host}{access}", p.guest_path()));
    }
    let limits = config.limits();
    Ok(Job {
        module: utf8(module)?,
        argv: config.argv().to_vec(),
        env: config
            .env()
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect(),
        preopens,
        fuel: limits.fuel,
        // Whole pages: a cap between two page counts allows the lower one.
        max_memory_pages: limits
            .max_memory_bytes
            .map(|bytes| u32::try_from(bytes / 65536).unwrap_or(u32::MAX)),
        report: utf8(report)?,
    })
}

fn stdio_for(mode: OutputMode) -> Stdio {
    match mode {
        OutputMode::Capture { .. } => Stdio::piped(),
        OutputMode::Inherit => Stdio::inherit(),
        OutputMode::Discard => Stdio::null(),
    }
}

/// Copies everything the worker writes to a pipe into the run's sink, to the end.
fn drain(pipe: Option<impl Read + Send + 'static>, mut sink: OutputSink) -> Option<JoinHandle<()>> {
    let mut pipe = pipe?;
    Some(std::thread::spawn(move || {
        let mut buf = [0u8; 16 * 1024];
        while let Ok(n @ 1..) = pipe.read(&mut buf) {
            let _ = sink.write_all(&buf[..n]);
        }
    }))
}

/// Waits until `child` has ended, without reaping it, so that its pid stays its own while a
/// watchdog may still signal it.
fn wait_unreaped(child: &Child) -> std::io::Result<()> {
    let pid = libc::id_t::from(child.id());
    loop {
        // SAFETY: waitid fills the zeroed siginfo; WNOWAIT leaves the child a zombie.
        let mut info: libc::siginfo_t = unsafe { std::mem::zeroed() };
        let rc =
            unsafe { libc::waitid(libc::P_PID, pid, &mut info, libc::WEXITED | libc::WNOWAIT) };
        if rc == 0 {
            return Ok(());
        }
        let err = std::io::Error::last_os_error();
        if err.kind() != std::io::ErrorKind::Interrupted {
            return Err(err);
        }
    }
}

/// Runs the module at `module` (a `.wasm` file or an AOT shared library) as `config` says, in a
/// worker process, with WasmEdge's own WASI.
pub(crate) fn run_in_worker(
    module: &Path,
    config: &RunConfig,
    run: RunKit,
) -> Result<Outcome, Error> {
    if !crate::worker::serves_jobs() {
        return Err(Error::InvalidConfig(format!(
            "{NAME}: WasmEdge's own WASI runs in a worker process, a copy of this program, which \
             must call wasiport_wasmedge::serve_if_asked() first in main (or be built with the \
             crate's feature worker-constructor); the portable WASI (--wasi portable) needs no \
             worker"
        )));
    }
    let dir = tempfile::Builder::new()
        .prefix("wasiport-wasmedge-")
        .tempdir()
        .map_err(|e| internal(format!("cannot make a temporary directory: {e}")))?;
    let report_path = dir.path().join("report.json");
    let job_path = dir.path().join("job.json");
    let job = job(module, config, &report_path)?;
    let json = serde_json::to_vec(&job).map_err(internal)?;
    std::fs::write(&job_path, json).map_err(|source| Error::Io {
        path: job_path.clone(),
        source,
    })?;
    // This very program, even when its file was replaced since it started (cargo's runner
    // patches binaries in place): Linux keeps the running image reachable as /proc/self/exe.
    let exe = match Path::new("/proc/self/exe") {
        linux if linux.exists() => linux.to_path_buf(),
        _ => std::env::current_exe()
            .map_err(|e| internal(format!("cannot find this program to start a worker: {e}")))?,
    };

    let streams = &run.streams;
    let mut child = Command::new(&exe)
        .env(JOB_VAR, &job_path)
        .stdin(match config.stdin() {
            // An empty stdin is a pipe closed at once, not /dev/null: WasmEdge polls stdin
            // through epoll, which refuses /dev/null (EPERM), and its poll_oneoff then waits
            // for ever; a pipe at its end is ready to read.
            Stdin::Empty | Stdin::Bytes(_) => Stdio::piped(),
            Stdin::Inherit => Stdio::inherit(),
        })
        .stdout(stdio_for(config.stdout()))
        .stderr(stdio_for(config.stderr()))
        .spawn()
        .map_err(|e| internal(format!("cannot start a worker ({}): {e}", exe.display())))?;

    let feeder = match (child.stdin.take(), config.stdin()) {
        (Some(mut pipe), Stdin::Bytes(bytes)) => {
            let bytes = bytes.clone();
            // A guest that stops reading closes the pipe: the rest is not wanted.
            Some(std::thread::spawn(move || drop(pipe.write_all(&bytes))))
        }
        // Stdin::Empty: the pipe's end is dropped here, so the guest reads its end at once.
        _ => None,
    };
    let readers = [
        drain(child.stdout.take(), streams.stdout.clone()),
        drain(child.stderr.take(), streams.stderr.clone()),
    ];

    let timed_out = Arc::new(AtomicBool::new(false));
    let watchdog = match config.limits().timeout {
        Some(timeout) => {
            let pid = child.id() as libc::pid_t;
            let flag = timed_out.clone();
            Some(
                Watchdog::start(timeout, move || {
                    flag.store(true, Ordering::SeqCst);
                    // SAFETY: the child is not reaped until the watchdog is dropped, so the
                    // pid is still the worker's (at worst a zombie).
                    unsafe { libc::kill(pid, libc::SIGKILL) };
                })
                .map_err(internal)?,
            )
        }
        None => None,
    };
    let waited = wait_unreaped(&child);
    drop(watchdog);
    let status = child.wait().map_err(internal)?;
    waited.map_err(internal)?;
    for thread in readers.into_iter().flatten().chain(feeder) {
        let _ = thread.join();
    }

    if timed_out.load(Ordering::SeqCst) {
        return Ok(run.end(Termination::Timeout, None));
    }
    let report: Report = match std::fs::read(&report_path) {
        Ok(bytes) => serde_json::from_slice(&bytes)
            .map_err(|e| internal(format!("unreadable worker report: {e}")))?,
        Err(_) => {
            use std::os::unix::process::ExitStatusExt;
            let why = match (status.signal(), status.code()) {
                (Some(signal), _) => format!("the worker was killed by signal {signal}"),
                (None, Some(WORKER_FAILED)) => {
                    "the worker could not read its job or write its report".to_string()
                }
                _ => format!("the worker ended ({status}) without a report"),
            };
            return Err(internal(why));
        }
    };
    let termination = match report.end {
        End::Exited { code } => Termination::Exited(code),
        End::Trap { code, message } => Termination::Trap(Trap::new(trap_kind(code), message)),
        End::OutOfFuel => Termination::OutOfFuel,
        End::DepthLimit => Termination::Trap(crate::in_process::depth_limit_trap()),
        End::HeapExhausted => Termination::Trap(Trap::new(
            TrapKind::StackOverflow,
            "the interpreter's stacks exhausted the worker's heap (WasmEdge 0.14 has no \
             call-depth limit)",
        )),
        End::Failed { message } => return Err(internal(message)),
    };
    if report.in_start {
        return Err(Error::ended_in_instantiation(NAME, &termination));
    }
    Ok(run.end(termination, report.fuel_consumed))
}
