//! The warm node runner: one `node` process per host process, started on first use and again
//! after it dies, that compiles and runs modules for every thread at once.
//!
//! Requests go over a Unix socket (the runner's stdin, stdout and stderr stay the host's, for
//! guests whose streams are inherited); a reader thread hands each reply to the request that is
//! waiting for it.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use crate::protocol::{Reply, Request};

/// How long a fresh node process may take to connect.
const START_TIMEOUT: Duration = Duration::from_secs(20);

/// Why a request got no reply.
#[derive(Debug)]
pub(crate) enum Failure {
    /// The runner could not be started, or it died: the message says which.
    Runner(String),
    /// The process had died before the request could be sent: it never ran.
    Unsent,
    /// No reply within the time the request was given (the process is then killed).
    Overdue,
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Failure::Runner(message) => f.write_str(message),
            Failure::Unsent => f.write_str("the node runner had exited"),
            Failure::Overdue => f.write_str("the node runner did not answer in time"),
        }
    }
}

/// What the reader thread and the requesters share.
struct Shared {
    writer: Mutex<UnixStream>,
    waiting: Mutex<HashMap<u64, mpsc::Sender<Reply>>>,
    alive: AtomicBool,
}

/// One node process.
pub(crate) struct Process {
    shared: Arc<Shared>,
    child: Mutex<Child>,
}

impl Process {
    fn start(node: &Path, script: &Path) -> Result<Process, Failure> {
        let dir = tempfile::Builder::new()
            .prefix("wasiport-node-")
            .tempdir()
            .map_err(|e| Failure::Runner(format!("cannot make a directory for the socket: {e}")))?;
        let socket = dir.path().join("runner.sock");
        let listener = UnixListener::bind(&socket)
            .map_err(|e| Failure::Runner(format!("{}: {e}", socket.display())))?;
        let mut child = Command::new(node)
            .arg("--no-warnings")
            .arg(script)
            .arg(&socket)
            .stdin(Stdio::inherit())
            .stdout(Stdio::inherit())
            .stderr(Stdio::inherit())
            .spawn()
            .map_err(|e| Failure::Runner(format!("cannot start {}: {e}", node.display())))?;
        let stream = match accept(&listener, &mut child) {
            Ok(stream) => stream,
            Err(e) => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(e);
            }
        };
        // Connected: the socket's name is no longer needed.
        drop(dir);
        let reader = stream
            .try_clone()
            .map_err(|e| Failure::Runner(format!("the runner's socket: {e}")))?;
        let shared = Arc::new(Shared {
            writer: Mutex::new(stream),
            waiting: Mutex::new(HashMap::new()),
            alive: AtomicBool::new(true),
        });
        let for_reader = shared.clone();
        std::thread::Builder::new()
            .name("wasiport-node-reader".into())
            .spawn(move || read_replies(reader, &for_reader))
            .map_err(|e| Failure::Runner(format!("cannot start a thread: {e}")))?;
        Ok(Process {
            shared,
            child: Mutex::new(child),
        })
    }

    pub(crate) fn alive(&self) -> bool {
        self.shared.alive.load(Ordering::SeqCst)
    }

    /// Sends `request(id)` and waits for its reply, at most `wait` when given.
    pub(crate) fn request<'a>(
        &self,
        request: impl FnOnce(u64) -> Request<'a>,
        wait: Option<Duration>,
    ) -> Result<Reply, Failure> {
        static NEXT_ID: AtomicU64 = AtomicU64::new(1);
        let id = NEXT_ID.fetch_add(1, Ordering::Relaxed);
        let (tx, rx) = mpsc::channel();
        {
            let mut waiting = lock(&self.shared.waiting);
            if !self.alive() {
                return Err(Failure::Unsent);
            }
            waiting.insert(id, tx);
        }
        let mut line = serde_json::to_vec(&request(id))
            .map_err(|e| Failure::Runner(format!("cannot encode a request: {e}")))?;
        line.push(b'\n');
        if lock(&self.shared.writer).write_all(&line).is_err() {
            // The runner is gone (a closed socket): nothing of the request reached it.
            lock(&self.shared.waiting).remove(&id);
            return Err(Failure::Unsent);
        }
        let reply = match wait {
            None => rx.recv().map_err(|_| died()),
            Some(wait) => rx.recv_timeout(wait).map_err(|e| match e {
                RecvTimeoutError::Timeout => Failure::Overdue,
                RecvTimeoutError::Disconnected => died(),
            }),
        };
        if reply.is_err() {
            lock(&self.shared.waiting).remove(&id);
        }
        reply
    }

    /// Sends `request(id)` and does not wait for the reply.
    pub(crate) fn tell(&self, request: impl FnOnce(u64) -> Request<'static>) {
        if let Ok(mut line) = serde_json::to_vec(&request(0)) {
            line.push(b'\n');
            let _ = lock(&self.shared.writer).write_all(&line);
        }
    }

    fn kill(&self) {
        let _ = lock(&self.child).kill();
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        // Closing the socket ends the runner; a hung one is killed.
        let _ = lock(&self.shared.writer).shutdown(std::net::Shutdown::Both);
        let mut child = lock(&self.child);
        let deadline = Instant::now() + Duration::from_secs(2);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        let _ = child.kill();
        let _ = child.wait();
    }
}

fn died() -> Failure {
    Failure::Runner("the node runner exited during the request".into())
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Waits for the runner to connect, or to die first.
fn accept(listener: &UnixListener, child: &mut Child) -> Result<UnixStream, Failure> {
    listener
        .set_nonblocking(true)
        .map_err(|e| Failure::Runner(e.to_string()))?;
    let started = Instant::now();
    loop {
        match listener.accept() {
            Ok((stream, _)) => {
                stream
                    .set_nonblocking(false)
                    .map_err(|e| Failure::Runner(e.to_string()))?;
                return Ok(stream);
            }
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
            Err(e) => return Err(Failure::Runner(format!("the runner's socket: {e}"))),
        }
        if let Ok(Some(status)) = child.try_wait() {
            return Err(Failure::Runner(format!(
                "the node runner exited before it connected ({status})"
            )));
        }
        if started.elapsed() > START_TIMEOUT {
            return Err(Failure::Runner(format!(
                "the node runner did not connect within {START_TIMEOUT:?}"
            )));
        }
        std::thread::sleep(Duration::from_millis(2));
    }
}

/// The reader thread: replies to their requesters until the socket closes, then the process is
/// dead and every request still waiting is told so.
fn read_replies(stream: UnixStream, shared: &Shared) {
    for line in BufReader::new(stream).lines() {
        let Ok(line) = line else { break };
        let Ok(reply) = serde_json::from_str::<Reply>(&line) else {
            continue;
        };
        if let Some(tx) = lock(&shared.waiting).remove(&reply.id) {
            let _ = tx.send(reply);
        }
    }
    let mut waiting = lock(&shared.waiting);
    shared.alive.store(false, Ordering::SeqCst);
    waiting.clear();
}

/// The runner of this host process: the node program, the scripts, and the current process.
pub(crate) struct Runner {
    node: PathBuf,
    script: PathBuf,
    current: Mutex<Option<Arc<Process>>>,
}

impl Runner {
    pub(crate) fn new(node: PathBuf, script: PathBuf) -> Runner {
        Runner {
            node,
            script,
            current: Mutex::new(None),
        }
    }

    /// The live process, started now if there is none.
    pub(crate) fn process(&self) -> Result<Arc<Process>, Failure> {
        let mut current = lock(&self.current);
        if let Some(process) = current.as_ref().filter(|p| p.alive()) {
            return Ok(process.clone());
        }
        *current = None;
        let process = Arc::new(Process::start(&self.node, &self.script)?);
        *current = Some(process.clone());
        Ok(process)
    }

    /// The live process, if there is one (nothing is started).
    pub(crate) fn existing(&self) -> Option<Arc<Process>> {
        lock(&self.current).as_ref().filter(|p| p.alive()).cloned()
    }

    /// Kills `process` and takes it out of service: the next request starts another.
    pub(crate) fn kill(&self, process: &Arc<Process>) {
        let mut current = lock(&self.current);
        if current.as_ref().is_some_and(|p| Arc::ptr_eq(p, process)) {
            *current = None;
        }
        process.kill();
    }
}
