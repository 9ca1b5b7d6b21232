//! Host functions on node: the guest runs in a worker of the runner, in another process, so a
//! call to an import the host provides crosses two named pipes (FIFOs), synchronously.
//!
//! The worker writes `{"call": i, "args": [...], "size": bytes}` (values as the decimal of
//! their 64-bit pattern, `HostValue::to_bits`; `size` the guest memory's) and reads the host's
//! answers until the call ends: `{"read": [offset, len]}` is answered with `{"data": base64}`,
//! `{"write": [offset, base64]}` with `{"done": true}`, and the call ends with
//! `{"return": [...]}`, `{"exit": code}` (`HostError::exit`) or `{"trap": message}`. Each
//! access to the guest's memory is a round trip: correct, not fast.

use std::cell::RefCell;
use std::ffi::CString;
use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Write};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;
use serde::Deserialize;
use serde_json::{json, Value};
use wasiport::host::out_of_bounds;
use wasiport::{Caller, Error, HostError, HostFunction, HostValue, ModuleInfo};

use crate::protocol::{HostImport, HostJob};

/// The pipes of one run's host calls, and the thread that answers them.
pub(crate) struct HostCalls {
    dir: tempfile::TempDir,
    server: Option<JoinHandle<()>>,
    /// Set when the run is over: the server stops at its next message.
    stop: Arc<AtomicBool>,
    imports: Vec<HostImport>,
}

/// One call, as the worker sends it.
#[derive(Deserialize)]
struct Call {
    call: usize,
    args: Vec<String>,
    size: u64,
}

fn type_name(t: &wasiport::ValType) -> String {
    t.to_string()
}

fn mkfifo(path: &Path) -> std::io::Result<()> {
    let c = CString::new(path.as_os_str().as_bytes())
        .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidInput, e))?;
    // SAFETY: a NUL-terminated path that lives across the call.
    if unsafe { libc::mkfifo(c.as_ptr(), 0o600) } != 0 {
        return Err(std::io::Error::last_os_error());
    }
    Ok(())
}

impl HostCalls {
    /// Serves those of `functions` that the module imports; `None` when it imports none.
    pub(crate) fn start(
        functions: Vec<HostFunction>,
        info: &ModuleInfo,
    ) -> Result<Option<HostCalls>, Error> {
        let imported: Vec<HostFunction> = functions
            .into_iter()
            .filter(|f| {
                info.imports()
                    .iter()
                    .any(|i| i.module == f.module() && i.name == f.name())
            })
            .collect();
        if imported.is_empty() {
            return Ok(None);
        }
        let io = |path: &Path, source| Error::Io {
            path: path.to_path_buf(),
            source,
        };
        let dir = tempfile::Builder::new()
            .prefix("wasiport-node-host-")
            .tempdir()
            .map_err(|e| io(&std::env::temp_dir(), e))?;
        let (to_host, to_guest) = (dir.path().join("to-host"), dir.path().join("to-guest"));
        for fifo in [&to_host, &to_guest] {
            mkfifo(fifo).map_err(|e| io(fifo, e))?;
        }
        let imports = imported
            .iter()
            .map(|f| HostImport {
                module: f.module().to_string(),
                name: f.name().to_string(),
                params: f.signature().params.iter().map(type_name).collect(),
                results: f.signature().results.iter().map(type_name).collect(),
            })
            .collect();
        let stop = Arc::new(AtomicBool::new(false));
        let stopped = stop.clone();
        let server = std::thread::Builder::new()
            .name("wasiport-node-host".into())
            .spawn(move || serve(&imported, &to_host, &to_guest, &stopped))
            .map_err(|e| crate::internal(format!("cannot start a thread: {e}")))?;
        Ok(Some(HostCalls {
            dir,
            server: Some(server),
            stop,
            imports,
        }))
    }

    /// The run's part of the job.
    pub(crate) fn job(&self, portable_wasi: bool) -> Result<HostJob, Error> {
        let path = |name: &str| {
            let p: PathBuf = self.dir.path().join(name);
            p.to_str()
                .map(str::to_string)
                .ok_or_else(|| crate::internal("a temporary path is not UTF-8"))
        };
        Ok(HostJob {
            to_host: path("to-host")?,
            to_guest: path("to-guest")?,
            imports: self.imports.clone(),
            portable_wasi,
        })
    }
}

impl Drop for HostCalls {
    fn drop(&mut self) {
        // The run is over, but the worker's ends may stay open (a worker terminated at its
        // timeout closes nothing), or never have been opened. The server is told to stop, and
        // woken wherever it waits: opening the answer pipe for reading lets it open its end;
        // a line on the call pipe wakes it when it waits to open that pipe or reads it. Neither
        // open blocks; until the server is gone (at most a few seconds: it may be in the middle
        // of a host function) the line is written again, since a server that had not opened
        // the call pipe yet misses it.
        self.stop.store(true, Ordering::SeqCst);
        let pipe = |name: &str, write: bool| {
            OpenOptions::new()
                .read(!write)
                .write(write)
                .custom_flags(libc::O_NONBLOCK)
                .open(self.dir.path().join(name))
        };
        let Some(server) = self.server.take() else {
            return;
        };
        let _answers = pipe("to-guest", false);
        let deadline = Instant::now() + Duration::from_secs(10);
        while !server.is_finished() && Instant::now() < deadline {
            if let Ok(mut calls) = pipe("to-host", true) {
                let _ = calls.write_all(b"{\"stop\": true}\n");
            }
            std::thread::sleep(Duration::from_millis(1));
        }
        if server.is_finished() {
            let _ = server.join();
        }
    }
}

/// Answers calls until the worker closes its end, or the host says stop (anything that is not a
/// call).
fn serve(functions: &[HostFunction], to_host: &Path, to_guest: &Path, stop: &AtomicBool) {
    // Both opens wait for the worker, which opens them in the same order.
    let Ok(input) = File::open(to_host) else {
        return;
    };
    let Ok(output) = OpenOptions::new().write(true).open(to_guest) else {
        return;
    };
    let pipes = RefCell::new((BufReader::new(input), output));
    loop {
        let Some(message) = receive(&pipes) else {
            return;
        };
        if stop.load(Ordering::SeqCst) {
            return;
        }
        let Ok(call) = serde_json::from_value::<Call>(message) else {
            return;
        };
        let reply = match functions.get(call.call) {
            None => json!({"trap": format!("no host function {}", call.call)}),
            Some(function) => answer(function, &call, &pipes),
        };
        if send(&pipes, &reply).is_err() {
            return;
        }
    }
}

type Pipes = RefCell<(BufReader<File>, File)>;

fn receive(pipes: &Pipes) -> Option<Value> {
    let mut line = String::new();
    match pipes.borrow_mut().0.read_line(&mut line) {
        Ok(0) | Err(_) => None,
        Ok(_) => serde_json::from_str(&line).ok(),
    }
}

fn send(pipes: &Pipes, message: &Value) -> std::io::Result<()> {
    let mut line = message.to_string();
    line.push('\n');
    pipes.borrow_mut().1.write_all(line.as_bytes())
}

/// Calls `function` with the guest's memory behind the pipes.
fn answer(function: &HostFunction, call: &Call, pipes: &Pipes) -> Value {
    let params = &function.signature().params;
    let args: Option<Vec<HostValue>> = params
        .iter()
        .zip(&call.args)
        .map(|(ty, bits)| {
            bits.parse::<u64>()
                .ok()
                .map(|b| HostValue::from_bits(*ty, b))
        })
        .collect();
    let Some(args) = args.filter(|a| a.len() == params.len()) else {
        return json!({"trap": format!("{function}: the worker sent arguments {:?}", call.args)});
    };
    let mut caller = PipeCaller {
        pipes,
        size: call.size,
    };
    // `call` catches a panic of the host's closure (and of the pipe's reads in it).
    match function.call(&mut caller, &args) {
        Ok(values) => {
            let bits: Vec<String> = values
                .into_iter()
                .map(|v| v.to_bits().to_string())
                .collect();
            json!({"return": bits})
        }
        Err(e) => match e.exit_code() {
            Some(code) => json!({"exit": code}),
            None => json!({"trap": e.to_string()}),
        },
    }
}

/// The guest's memory, read and written through the worker.
struct PipeCaller<'a> {
    pipes: &'a Pipes,
    size: u64,
}

impl PipeCaller<'_> {
    fn check(&self, offset: u64, len: usize) -> Result<(), HostError> {
        match offset.checked_add(len as u64) {
            Some(end) if end <= self.size => Ok(()),
            _ => Err(out_of_bounds(offset, len, self.size)),
        }
    }

    fn lost() -> HostError {
        HostError::new("the guest's worker stopped answering")
    }
}

impl Caller for PipeCaller<'_> {
    fn memory_size(&self) -> u64 {
        self.size
    }

    fn read(&self, offset: u64, buf: &mut [u8]) -> Result<(), HostError> {
        self.check(offset, buf.len())?;
        if buf.is_empty() {
            return Ok(());
        }
        send(self.pipes, &json!({"read": [offset, buf.len()]})).map_err(|_| Self::lost())?;
        let reply = receive(self.pipes).ok_or_else(Self::lost)?;
        let data = reply["data"]
            .as_str()
            .and_then(|d| BASE64.decode(d).ok())
            .filter(|d| d.len() == buf.len())
            .ok_or_else(Self::lost)?;
        buf.copy_from_slice(&data);
        Ok(())
    }

    fn write(&mut self, offset: u64, data: &[u8]) -> Result<(), HostError> {
        self.check(offset, data.len())?;
        if data.is_empty() {
            return Ok(());
        }
        send(self.pipes, &json!({"write": [offset, BASE64.encode(data)]}))
            .map_err(|_| Self::lost())?;
        match receive(self.pipes) {
            Some(reply) if reply["done"] == true => Ok(()),
            _ => Err(Self::lost()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_calls_that_no_worker_ever_opened_stop_when_dropped() {
        let wasm = wat::parse_str(
            r#"(module (import "env" "f" (func)) (memory (export "memory") 1)
                (func (export "_start") (call 0)))"#,
        )
        .unwrap();
        let info = ModuleInfo::parse(&wasm).unwrap();
        let f = HostFunction::new("env", "f", wasiport::Signature::new([], []), |_, _| {
            Ok(vec![])
        })
        .unwrap();
        for _ in 0..3 {
            let calls = HostCalls::start(vec![f.clone()], &info).unwrap().unwrap();
            assert_eq!(calls.job(false).unwrap().imports.len(), 1);
            drop(calls);
        }
    }
}
