//! The host's side of a run in a worker: the job written, the worker started with the run's
//! stdio (and its listening sockets), its output collected, the timeout enforced, the report
//! read.

use std::io::{Read, Write};
use std::os::fd::{AsRawFd, OwnedFd};
use std::path::Path;
use std::process::{Child, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;

use wasiport::kit::RunKit;
use wasiport::output::OutputSink;
use wasiport::watchdog::Watchdog;
use wasiport::{
    Error, Network, Outcome, OutputMode, RunConfig, Stdin, Termination, Trap, TrapKind, WasiImpl,
};

use crate::locate::Worker;
use crate::protocol::{End, Job, JobPreopen, JobWasi, Report, JOB_VAR, WORKER_FAILED};
use crate::{internal, NAME};

/// A prepared module as a run loads it.
#[derive(Debug, Clone, Copy)]
pub struct Module<'a> {
    /// What WasmEdge loads: the rewritten `.wasm`, or the AOT library.
    pub file: &'a Path,
    /// The rewritten `.wasm` (the same as `file` unless that is an AOT library).
    pub wasm: &'a Path,
    /// Whether `file` is an AOT library.
    pub aot: bool,
}

fn utf8(path: &Path) -> Result<String, Error> {
    path.to_str().map(str::to_owned).ok_or_else(|| {
        Error::InvalidConfig(format!(
            "{NAME} takes only UTF-8 paths, not {}",
            path.display()
        ))
    })
}

/// The job for `config`.
fn job(
    module: Module<'_>,
    wasi: WasiImpl,
    config: &RunConfig,
    sockets: &[OwnedFd],
    report: &Path,
) -> Result<Job, Error> {
    let mut preopens = Vec::new();
    for p in config.preopens() {
        let host = utf8(p.host_path())?;
        // WasmEdge reads a preopen as `GUEST:HOST[:readonly]`, so a colon in either is
        // ambiguous to its own WASI.
        if wasi == WasiImpl::Native && (host.contains(':') || p.guest_path().contains(':')) {
            return Err(Error::InvalidConfig(format!(
                "{NAME} cannot preopen a path holding `:` ({host} as {})",
                p.guest_path()
            )));
        }
        preopens.push(JobPreopen {
            host,
            guest: p.guest_path().to_string(),
            read_only: p.is_read_only(),
        });
    }
    let limits = config.limits();
    Ok(Job {
        module: utf8(module.file)?,
        wasm: utf8(module.wasm)?,
        aot: module.aot,
        wasi: match wasi {
            WasiImpl::Native => JobWasi::Native,
            WasiImpl::Portable => JobWasi::Portable,
        },
        argv: config.argv().to_vec(),
        env: config.env().to_vec(),
        preopens,
        sockets: sockets.iter().map(AsRawFd::as_raw_fd).collect(),
        loopback: config.network() == Network::Loopback,
        trace: config.trace(),
        fuel: limits.fuel,
        max_memory_bytes: limits.max_memory_bytes,
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

/// Runs `module` as `config` says in a worker started by `worker`, with the WASI `run` chose:
/// WasmEdge's own, or the portable one served in the worker.
pub fn run_in_worker(
    worker: &Worker,
    module: Module<'_>,
    config: &RunConfig,
    run: RunKit,
) -> Result<Outcome, Error> {
    let dir = tempfile::Builder::new()
        .prefix("wasiport-wasmedge-")
        .tempdir()
        .map_err(|e| internal(format!("cannot make a temporary directory: {e}")))?;
    let report_path = dir.path().join("report.json");
    let job_path = dir.path().join("job.json");
    // Each listening socket as a descriptor of its own, which the worker inherits.
    let sockets = config
        .sockets()
        .iter()
        .map(|s| s.listener().map(OwnedFd::from))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| internal(format!("cannot pass a listening socket on: {e}")))?;
    let job = job(module, run.wasi, config, &sockets, &report_path)?;
    let json = serde_json::to_vec(&job).map_err(internal)?;
    std::fs::write(&job_path, json).map_err(|source| Error::Io {
        path: job_path.clone(),
        source,
    })?;

    let streams = &run.streams;
    let mut command = worker.command();
    command
        .env(JOB_VAR, &job_path)
        .stdin(match config.stdin() {
            // An empty stdin is a pipe closed at once, not /dev/null: WasmEdge polls stdin
            // through epoll, which refuses /dev/null (EPERM), and its poll_oneoff then waits
            // for ever; a pipe at its end is ready to read.
            Stdin::Empty | Stdin::Bytes(_) => Stdio::piped(),
            Stdin::Inherit => Stdio::inherit(),
        })
        .stdout(stdio_for(config.stdout()))
        .stderr(stdio_for(config.stderr()));
    if !job.sockets.is_empty() {
        let fds = job.sockets.clone();
        use std::os::unix::process::CommandExt;
        // SAFETY: between fork and exec only fcntl runs, which is async-signal-safe; it keeps
        // the sockets open across the exec, at the numbers the job names.
        unsafe {
            command.pre_exec(move || {
                for &fd in &fds {
                    if libc::fcntl(fd, libc::F_SETFD, 0) != 0 {
                        return Err(std::io::Error::last_os_error());
                    }
                }
                Ok(())
            });
        }
    }
    let mut child = command.spawn().map_err(|e| {
        internal(format!(
            "cannot start a worker ({}): {e}",
            worker.program().display()
        ))
    })?;
    drop(sockets);

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
        End::Trap { kind, message } => Termination::Trap(Trap::new(
            TrapKind::from_name(&kind).unwrap_or(TrapKind::Other),
            message,
        )),
        End::OutOfFuel => Termination::OutOfFuel,
        End::NotInstantiated { message } => {
            return Err(Error::Instantiation {
                backend: NAME,
                message,
            })
        }
        End::Failed { message } => return Err(internal(message)),
    };
    if report.in_start {
        return Err(Error::ended_in_instantiation(NAME, &termination));
    }
    if let Some(log) = &run.streams.trace {
        for record in &report.trace {
            if let Some(event) = record.event() {
                log.push(event);
            }
        }
    }
    Ok(run.end(termination, report.fuel_consumed))
}
