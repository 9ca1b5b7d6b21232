//! The compile service: one long-lived worker that validates modules (and compiles them ahead of
//! time) for a [`WasmedgeProcess`](crate::WasmedgeProcess), so that compiling costs a line on a
//! pipe, not a process start. Started again when it has died.

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdin, ChildStdout, Stdio};
use std::sync::{Mutex, PoisonError};

use crate::locate::Worker;
use crate::protocol::{Reply, Request, SERVICE_ARG};

/// A running service worker.
struct Running {
    child: Child,
    to: ChildStdin,
    from: BufReader<ChildStdout>,
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The compile service of one backend: requests are answered one at a time.
pub(crate) struct Service {
    worker: Worker,
    running: Mutex<Option<Running>>,
}

impl Service {
    pub(crate) fn new(worker: Worker) -> Self {
        Service {
            worker,
            running: Mutex::new(None),
        }
    }

    fn start(&self) -> Result<Running, String> {
        let mut child = self
            .worker
            .command()
            .arg(SERVICE_ARG)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| format!("cannot start {}: {e}", self.worker.program().display()))?;
        let (Some(to), Some(from)) = (child.stdin.take(), child.stdout.take()) else {
            return Err("the worker has no pipes".into());
        };
        // What the worker says on stderr (the dynamic loader's "cannot open shared object
        // file", say) is read when it has ended, to say why.
        Ok(Running {
            child,
            to,
            from: BufReader::new(from),
        })
    }

    /// The worker's answer to `request`; one attempt more with a new worker when the one
    /// running has died (a crash in WasmEdge ends only that worker).
    pub(crate) fn ask(&self, request: &Request) -> Result<Reply, String> {
        let mut line = serde_json::to_string(request).map_err(|e| e.to_string())?;
        line.push('\n');
        let mut running = self.running.lock().unwrap_or_else(PoisonError::into_inner);
        let mut last = String::new();
        for _ in 0..2 {
            let service = match running.as_mut() {
                Some(service) => service,
                None => running.insert(self.start()?),
            };
            match exchange(service, &line) {
                Ok(reply) => return Ok(reply),
                Err(e) => {
                    last = e;
                    if let Some(mut dead) = running.take() {
                        last = why_it_ended(&mut dead).unwrap_or(last);
                    }
                }
            }
        }
        Err(last)
    }
}

fn exchange(service: &mut Running, line: &str) -> Result<Reply, String> {
    service
        .to
        .write_all(line.as_bytes())
        .and_then(|()| service.to.flush())
        .map_err(|e| format!("the worker does not listen: {e}"))?;
    let mut answer = String::new();
    match service.from.read_line(&mut answer) {
        Ok(0) => Err("the worker ended".into()),
        Ok(_) => serde_json::from_str(&answer)
            .map_err(|e| format!("the worker answered {answer:?}: {e}")),
        Err(e) => Err(format!("cannot read the worker's answer: {e}")),
    }
}

/// The first line the ended worker wrote to stderr, with its status: the dynamic loader's or
/// the worker's own reason.
fn why_it_ended(dead: &mut Running) -> Option<String> {
    use std::io::Read;
    let _ = dead.child.kill();
    let status = dead.child.wait().ok()?;
    let mut stderr = String::new();
    if let Some(mut pipe) = dead.child.stderr.take() {
        let _ = pipe.read_to_string(&mut stderr);
    }
    let said = stderr.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
    Some(if said.is_empty() {
        format!("the worker ended ({status})")
    } else {
        format!("the worker ended ({status}): {said}")
    })
}
