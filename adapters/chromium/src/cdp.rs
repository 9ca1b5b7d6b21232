//! A small client of the Chrome DevTools protocol over `--remote-debugging-pipe`: messages are
//! JSON objects ended by a NUL byte, commands written to the browser's fd 3 and replies and
//! events read from its fd 4. Commands to a page carry its `sessionId` (flattened sessions).

use std::collections::HashMap;
use std::fs::File;
use std::io::{BufRead, BufReader, Write};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use serde_json::{json, Value};

/// Why a command got no result.
#[derive(Debug)]
pub(crate) enum CdpError {
    /// The pipe closed: the browser is gone.
    Closed,
    /// No reply within the time given.
    Overdue,
    /// The browser answered with an error.
    Protocol(String),
}

impl std::fmt::Display for CdpError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CdpError::Closed => f.write_str("the browser closed its DevTools pipe"),
            CdpError::Overdue => f.write_str("the browser did not answer in time"),
            CdpError::Protocol(message) => write!(f, "DevTools protocol error: {message}"),
        }
    }
}

type Reply = Result<Value, CdpError>;

/// One DevTools connection.
pub(crate) struct Connection {
    writer: Mutex<File>,
    waiting: Mutex<HashMap<u64, mpsc::Sender<Reply>>>,
    alive: AtomicBool,
    next_id: AtomicU64,
}

/// A command sent, whose reply can be waited for (more than once, with a deadline each time).
pub(crate) struct Pending<'a> {
    connection: &'a Connection,
    id: u64,
    reply: mpsc::Receiver<Reply>,
}

impl Pending<'_> {
    /// The reply, waiting at most `wait` when given.
    pub(crate) fn wait(&self, wait: Option<Duration>) -> Reply {
        match wait {
            None => self.reply.recv().unwrap_or(Err(CdpError::Closed)),
            Some(wait) => match self.reply.recv_timeout(wait) {
                Ok(reply) => reply,
                Err(RecvTimeoutError::Timeout) => Err(CdpError::Overdue),
                Err(RecvTimeoutError::Disconnected) => Err(CdpError::Closed),
            },
        }
    }
}

impl Drop for Pending<'_> {
    fn drop(&mut self) {
        lock(&self.connection.waiting).remove(&self.id);
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Connection {
    /// A connection over the browser's pipes; `on_event` sees every event (a message without an
    /// `id`) on the reader thread, and may send commands, but must not wait for replies.
    pub(crate) fn start(
        from_browser: File,
        to_browser: File,
        on_event: impl Fn(&Connection, &Value) + Send + 'static,
    ) -> std::io::Result<Arc<Connection>> {
        let connection = Arc::new(Connection {
            writer: Mutex::new(to_browser),
            waiting: Mutex::new(HashMap::new()),
            alive: AtomicBool::new(true),
            next_id: AtomicU64::new(1),
        });
        let reader = connection.clone();
        std::thread::Builder::new()
            .name("wasiport-cdp-reader".into())
            .spawn(move || reader.read(from_browser, on_event))?;
        Ok(connection)
    }

    /// Whether the browser is still there.
    pub(crate) fn alive(&self) -> bool {
        self.alive.load(Ordering::SeqCst)
    }

    fn read(&self, from_browser: File, on_event: impl Fn(&Connection, &Value)) {
        let mut reader = BufReader::with_capacity(1 << 16, from_browser);
        let mut message = Vec::new();
        loop {
            message.clear();
            match reader.read_until(0, &mut message) {
                Ok(0) | Err(_) => break,
                Ok(_) => {}
            }
            if message.last() == Some(&0) {
                message.pop();
            }
            let Ok(value) = serde_json::from_slice::<Value>(&message) else {
                continue;
            };
            match value.get("id").and_then(Value::as_u64) {
                Some(id) => {
                    let reply = match value.get("error") {
                        Some(error) => Err(CdpError::Protocol(
                            error
                                .get("message")
                                .and_then(Value::as_str)
                                .unwrap_or("unknown error")
                                .to_string(),
                        )),
                        None => Ok(value.get("result").cloned().unwrap_or(Value::Null)),
                    };
                    if let Some(tx) = lock(&self.waiting).remove(&id) {
                        let _ = tx.send(reply);
                    }
                }
                None => on_event(self, &value),
            }
        }
        let mut waiting = lock(&self.waiting);
        self.alive.store(false, Ordering::SeqCst);
        waiting.clear();
    }

    fn write(&self, id: u64, session: Option<&str>, method: &str, params: Value) -> Reply {
        let mut message = json!({"id": id, "method": method, "params": params});
        if let Some(session) = session {
            message["sessionId"] = Value::from(session);
        }
        let mut bytes = serde_json::to_vec(&message)
            .map_err(|e| CdpError::Protocol(format!("cannot encode {method}: {e}")))?;
        bytes.push(0);
        lock(&self.writer)
            .write_all(&bytes)
            .map_err(|_| CdpError::Closed)?;
        Ok(Value::Null)
    }

    /// Sends a command; its reply comes through the returned [`Pending`].
    pub(crate) fn send(
        &self,
        session: Option<&str>,
        method: &str,
        params: Value,
    ) -> Result<Pending<'_>, CdpError> {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let (tx, rx) = mpsc::channel();
        {
            let mut waiting = lock(&self.waiting);
            if !self.alive() {
                return Err(CdpError::Closed);
            }
            waiting.insert(id, tx);
        }
        let pending = Pending {
            connection: self,
            id,
            reply: rx,
        };
        self.write(id, session, method, params)?;
        Ok(pending)
    }

    /// Sends a command and waits for its result.
    pub(crate) fn call(
        &self,
        session: Option<&str>,
        method: &str,
        params: Value,
        wait: Option<Duration>,
    ) -> Reply {
        self.send(session, method, params)?.wait(wait)
    }

    /// Sends a command whose reply nobody waits for (from the reader thread, say).
    pub(crate) fn notify(&self, session: Option<&str>, method: &str, params: Value) {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let _ = self.write(id, session, method, params);
    }
}
