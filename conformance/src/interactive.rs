//! The operations of an interactive test (one that writes the guest's stdin, connects to it or
//! signals it while it runs), carried out against the guest in a process of its own: the
//! `wasiport run` of the target, its stdin, stdout and stderr piped to the runner, as upstream's
//! runner runs an engine's command line.
//!
//! Every wait has the test's deadline: a guest that never prints the line a `connect` needs,
//! never answers a `recv` or never exits fails the test, it never stalls the run. Connections
//! go to loopback addresses only.

use std::io::{Read, Write};
use std::net::{IpAddr, SocketAddr, TcpStream, UdpSocket};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::{Arc, Condvar, Mutex, PoisonError};
use std::time::{Duration, Instant};

use crate::http::Http;
use crate::spec::{Operation, Spec, SIGNALS};

/// How a guest is started for an interactive test: the `wasiport` program, the target, and
/// the run's settings as `wasiport run` flags.
#[derive(Debug, Clone)]
pub struct Launch {
    /// The `wasiport` program.
    pub engine: PathBuf,
    /// The target (`wasmtime`, `node-p2`, ...).
    pub target: String,
    /// The module or component.
    pub module: PathBuf,
    /// Preopens: host directory, guest path, read-only.
    pub preopens: Vec<(PathBuf, String, bool)>,
    /// The compiled-module cache the engine may use, if any.
    pub cache_dir: Option<PathBuf>,
    /// The test's wall-clock limit, from the start of the guest.
    pub timeout: Duration,
}

/// What a guest wrote to one of its streams so far, and whether the stream has ended.
#[derive(Default)]
struct Received {
    bytes: Vec<u8>,
    ended: bool,
}

/// A stream of the guest's output, read by a thread of its own.
#[derive(Clone, Default)]
struct Output(Arc<(Mutex<Received>, Condvar)>);

impl Output {
    fn start(mut from: impl Read + Send + 'static) -> Output {
        let output = Output::default();
        let shared = output.clone();
        std::thread::spawn(move || {
            let mut buf = [0u8; 4096];
            loop {
                let n = from.read(&mut buf).unwrap_or(0);
                let (lock, changed) = &*shared.0;
                let mut received = lock.lock().unwrap_or_else(PoisonError::into_inner);
                if n == 0 {
                    received.ended = true;
                } else {
                    received.bytes.extend_from_slice(&buf[..n]);
                }
                changed.notify_all();
                if n == 0 {
                    return;
                }
            }
        });
        output
    }

    /// The first bytes for which `take` says how many to take (given what has come and
    /// whether the stream ended), waiting until `deadline`; what came otherwise.
    fn take(
        &self,
        deadline: Instant,
        take: impl Fn(&[u8], bool) -> Option<usize>,
    ) -> Result<Vec<u8>, Vec<u8>> {
        let (lock, changed) = &*self.0;
        let mut received = lock.lock().unwrap_or_else(PoisonError::into_inner);
        loop {
            if let Some(n) = take(&received.bytes, received.ended) {
                return Ok(received.bytes.drain(..n).collect());
            }
            let now = Instant::now();
            if received.ended || now >= deadline {
                return Err(received.bytes.clone());
            }
            received = changed
                .wait_timeout(received, deadline - now)
                .unwrap_or_else(PoisonError::into_inner)
                .0;
        }
    }

    /// The next line, its newline included, waiting until `deadline`; what came otherwise.
    fn line(&self, deadline: Instant) -> Result<Vec<u8>, Vec<u8>> {
        self.take(deadline, |got, _| {
            got.iter().position(|b| *b == b'\n').map(|i| i + 1)
        })
    }

    /// What has come and not been taken.
    fn rest(&self) -> String {
        let received = self.0 .0.lock().unwrap_or_else(PoisonError::into_inner);
        String::from_utf8_lossy(&received.bytes).into_owned()
    }
}

/// A connection the runner made to the guest.
enum Connection {
    Tcp(TcpStream),
    Udp(UdpSocket),
}

/// The guest's process and its streams.
struct Guest {
    child: Child,
    stdin: Option<ChildStdin>,
    stdout: Output,
    stderr: Output,
}

impl Guest {
    fn start(launch: &Launch, spec: &Spec, http: &Http) -> Result<Guest, String> {
        let mut command = Command::new(&launch.engine);
        if spec.is_served() {
            // Any free port: the first line of its stderr says which.
            command.args(["serve", "--addr=127.0.0.1:0"]);
        } else {
            command.arg("run");
        }
        command.args(["--backend", &launch.target]);
        // The guest's own deadline is a little past the test's, so that the test's checks
        // fail first and say which.
        let timeout = launch.timeout + Duration::from_secs(1);
        command.arg(format!("--timeout={}", timeout.as_secs_f64()));
        if spec.network_loopback {
            command.arg("--network=loopback");
        }
        match &launch.cache_dir {
            Some(dir) => command.arg("--cache-dir").arg(dir),
            None => command.arg("--no-cache"),
        };
        for (host, guest, read_only) in &launch.preopens {
            let ro = if *read_only { ":ro" } else { "" };
            command.arg(format!("--dir={}::{guest}{ro}", host.display()));
        }
        // The upstream servers' addresses win over the spec's own variables of those names.
        let mut env = spec.env.clone();
        env.extend(http.env().iter().cloned());
        for (k, v) in &env {
            command.arg(format!("--env={k}={v}"));
        }
        command.arg(&launch.module).args(&spec.args);
        let mut child = command
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| format!("cannot start {}: {e}", launch.engine.display()))?;
        let (Some(stdout), Some(stderr)) = (child.stdout.take(), child.stderr.take()) else {
            return Err("the guest's process has no stdout or stderr".into());
        };
        Ok(Guest {
            stdin: child.stdin.take(),
            stdout: Output::start(stdout),
            stderr: Output::start(stderr),
            child,
        })
    }

    fn stream(&self, stderr: bool) -> &Output {
        if stderr {
            &self.stderr
        } else {
            &self.stdout
        }
    }

    /// Both streams' rest, for a failure's message.
    fn rests(&self) -> String {
        let (out, err) = (self.stdout.rest(), self.stderr.rest());
        format!(
            "; stdout: {:?}; stderr: {:?}",
            out.trim_end(),
            err.trim_end()
        )
    }
}

impl Drop for Guest {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Carries out `spec`'s operations against its guest started as `launch` says: the failed
/// checks (none when it passed), the first failure ending the test, as upstream's runner does;
/// `Err` when the guest could not be started.
pub fn run(launch: &Launch, spec: &Spec) -> Result<Vec<String>, String> {
    let http = Http::start(&spec.servers)?;
    let mut guest = Guest::start(launch, spec, &http)?;
    // Where a served guest listens, once its first line of stderr has said it.
    let mut served_at: Option<String> = None;
    let deadline = Instant::now() + launch.timeout;
    let mut connections: Vec<(String, Connection)> = Vec::new();
    let mut waited = false;
    for (i, op) in spec.operations.iter().enumerate() {
        let step = |message: String| vec![format!("operation {} ({}): {message}", i + 2, name(op))];
        let done = match op {
            Operation::Read { stderr, payload } => {
                let want = payload.as_bytes();
                match guest.stream(*stderr).take(deadline, |got, _| {
                    (got.len() >= want.len()).then_some(want.len())
                }) {
                    Ok(got) if got == want => Ok(()),
                    Ok(got) | Err(got) => Err(format!(
                        "read {:?}, expected {payload:?}{}",
                        String::from_utf8_lossy(&got),
                        guest.rests()
                    )),
                }
            }
            Operation::Write { payload } => match guest.stdin.as_mut() {
                Some(stdin) => stdin
                    .write_all(payload.as_bytes())
                    .and_then(|()| stdin.flush())
                    .map_err(|e| format!("writing the guest's stdin: {e}{}", guest.rests())),
                None => Err("the guest's stdin is closed".into()),
            },
            Operation::Connect { id, udp } => connect(&guest, *udp, deadline)
                .map(|c| connections.push((id.clone(), c)))
                .map_err(|e| format!("{e}{}", guest.rests())),
            Operation::Send { id, payload } => {
                let connection = find(&mut connections, id);
                send(connection, payload.as_bytes()).map_err(|e| format!("send on `{id}`: {e}"))
            }
            Operation::Recv { id, payload } => {
                let connection = find(&mut connections, id);
                match recv(connection, payload.len(), deadline) {
                    Ok(got) if got == payload.as_bytes() => Ok(()),
                    Ok(got) => Err(format!(
                        "received {:?} on `{id}`, expected {payload:?}",
                        String::from_utf8_lossy(&got)
                    )),
                    Err(e) => Err(format!("recv on `{id}`: {e}{}", guest.rests())),
                }
            }
            Operation::Request(request) => {
                let at = match &served_at {
                    Some(at) => Ok(at.clone()),
                    None => server_address(&guest, deadline),
                };
                at.and_then(|at| {
                    served_at = Some(at.clone());
                    http.request(&at, request, deadline).map_err(|e| {
                        format!("{} {}: {e}{}", request.method, request.path, guest.rests())
                    })
                })
            }
            Operation::Kill { signal } => {
                let number = SIGNALS
                    .iter()
                    .find(|(n, _)| n == signal)
                    .map_or(libc::SIGTERM, |(_, number)| *number);
                // SAFETY: kill(2) on our own child's pid, which it has until we wait for it.
                match unsafe { libc::kill(guest.child.id() as libc::pid_t, number) } {
                    0 => Ok(()),
                    _ => Err(format!("{signal}: {}", std::io::Error::last_os_error())),
                }
            }
            Operation::Wait { exit_code } => {
                waited = true;
                wait(&mut guest, *exit_code, deadline)
            }
        };
        if let Err(message) = done {
            return Ok(step(message));
        }
    }
    if !waited {
        if let Ok(None) = guest.child.try_wait() {
            return Ok(vec![format!(
                "the guest was still running after the last operation (a spec ends with a \
                 `wait`){}",
                guest.rests()
            )]);
        }
    }
    Ok(Vec::new())
}

fn name(op: &Operation) -> &'static str {
    match op {
        Operation::Read { .. } => "read",
        Operation::Write { .. } => "write",
        Operation::Connect { .. } => "connect",
        Operation::Send { .. } => "send",
        Operation::Recv { .. } => "recv",
        Operation::Request(_) => "request",
        Operation::Kill { .. } => "kill",
        Operation::Wait { .. } => "wait",
    }
}

/// The connection named `id` (the spec's checks made sure a `connect` made it, but one that
/// failed ended the test before this).
fn find<'a>(connections: &'a mut [(String, Connection)], id: &str) -> Option<&'a mut Connection> {
    connections
        .iter_mut()
        .find(|(name, _)| name == id)
        .map(|(_, c)| c)
}

/// The `host:port` a served guest listens on, from the first line of its stderr
/// (`... http://HOST:PORT/ ...`, as `wasmtime serve` and `wasiport serve` say it).
fn server_address(guest: &Guest, deadline: Instant) -> Result<String, String> {
    let line = guest.stderr.line(deadline).map_err(|got| {
        format!(
            "the served guest said no address on stderr (got {:?}){}",
            String::from_utf8_lossy(&got),
            guest.rests()
        )
    })?;
    let line = String::from_utf8_lossy(&line);
    let url = line
        .split_whitespace()
        .find_map(|word| word.strip_prefix("http://"))
        .ok_or_else(|| format!("expected `http://` in the first line of stderr, got {line:?}"))?;
    Ok(url.trim_end_matches('/').to_string())
}

/// Connects to the `host:port` the guest prints as its next line of stdout: loopback only.
fn connect(guest: &Guest, udp: bool, deadline: Instant) -> Result<Connection, String> {
    let line = guest.stdout.line(deadline).map_err(|got| {
        format!(
            "no line with the address to connect to came on stdout (got {:?})",
            String::from_utf8_lossy(&got)
        )
    })?;
    let text = String::from_utf8_lossy(&line);
    let address: SocketAddr = text
        .trim()
        .parse()
        .map_err(|e| format!("the guest printed {:?}, not host:port ({e})", text.trim()))?;
    if !address.ip().is_loopback() {
        return Err(format!(
            "{address} is not a loopback address: the runner connects to loopback only"
        ));
    }
    let left = deadline
        .saturating_duration_since(Instant::now())
        .max(Duration::from_millis(1));
    if udp {
        let any: IpAddr = match address {
            SocketAddr::V4(_) => [127, 0, 0, 1].into(),
            SocketAddr::V6(_) => std::net::Ipv6Addr::LOCALHOST.into(),
        };
        let socket = UdpSocket::bind((any, 0)).map_err(|e| e.to_string())?;
        socket
            .connect(address)
            .map_err(|e| format!("{address}: {e}"))?;
        return Ok(Connection::Udp(socket));
    }
    TcpStream::connect_timeout(&address, left)
        .map(Connection::Tcp)
        .map_err(|e| format!("connecting to {address}: {e}"))
}

fn send(connection: Option<&mut Connection>, payload: &[u8]) -> Result<(), String> {
    match connection {
        Some(Connection::Tcp(stream)) => stream.write_all(payload).map_err(|e| e.to_string()),
        Some(Connection::Udp(socket)) => {
            socket.send(payload).map(|_| ()).map_err(|e| e.to_string())
        }
        None => Err("no such connection".into()),
    }
}

/// `len` bytes from the connection (TCP: as many reads as that takes; UDP: one datagram).
fn recv(
    connection: Option<&mut Connection>,
    len: usize,
    deadline: Instant,
) -> Result<Vec<u8>, String> {
    let left = || {
        let left = deadline.saturating_duration_since(Instant::now());
        (!left.is_zero())
            .then_some(left)
            .ok_or("the test's time ran out")
    };
    match connection {
        Some(Connection::Tcp(stream)) => {
            let mut got = Vec::new();
            let mut buf = vec![0u8; len.max(1)];
            while got.len() < len {
                stream
                    .set_read_timeout(Some(left()?))
                    .map_err(|e| e.to_string())?;
                match stream.read(&mut buf[..len - got.len()]) {
                    Ok(0) => break,
                    Ok(n) => got.extend_from_slice(&buf[..n]),
                    Err(e) => return Err(e.to_string()),
                }
            }
            Ok(got)
        }
        Some(Connection::Udp(socket)) => {
            socket
                .set_read_timeout(Some(left()?))
                .map_err(|e| e.to_string())?;
            let mut buf = vec![0u8; 65536];
            let n = socket.recv(&mut buf).map_err(|e| e.to_string())?;
            buf.truncate(n);
            Ok(buf)
        }
        None => Err("no such connection".into()),
    }
}

/// Waits for the guest to exit with `expected`: its stdin is closed first (nothing more comes).
fn wait(guest: &mut Guest, expected: i32, deadline: Instant) -> Result<(), String> {
    drop(guest.stdin.take());
    loop {
        match guest.child.try_wait() {
            Ok(Some(status)) => {
                // The streams' last bytes, for the message.
                let settle = Instant::now() + Duration::from_millis(200);
                let _ = guest.stdout.take(settle, |_, ended| ended.then_some(0));
                let _ = guest.stderr.take(settle, |_, ended| ended.then_some(0));
                return match status.code() {
                    Some(code) if code == expected => Ok(()),
                    Some(code) => Err(format!(
                        "exit code {code}, expected {expected}{}",
                        guest.rests()
                    )),
                    None => Err(format!(
                        "killed by a signal ({status}), expected exit code {expected}{}",
                        guest.rests()
                    )),
                };
            }
            Ok(None) if Instant::now() >= deadline => {
                return Err(format!("the guest did not exit in time{}", guest.rests()))
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(5)),
            Err(e) => return Err(e.to_string()),
        }
    }
}

/// `path` as the engine takes it: absolute.
pub fn absolute(path: &Path) -> PathBuf {
    std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf())
}
