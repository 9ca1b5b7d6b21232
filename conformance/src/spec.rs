//! A test's JSON specification, in wasi-testsuite's formats.
//!
//! Two formats are read:
//!
//! * the **legacy** spec: `{"args", "dirs", "env", "exit_code", "stdout", "stderr"}`, every
//!   field optional (`exit_code` defaults to 0; `stdout` and `stderr` are checked only when
//!   given), plus `"root"` (a directory preopened as `/`);
//! * the **operation-based** spec: `{"proposals", "world", "servers", "operations"}`, the
//!   operations in order: `run` (`args`, `env`, `root`, `dirs`), `read` of `stdout` or `stderr`
//!   (exactly `payload`), `write` of `payload` to `stdin`, `connect` (`id`, `protocol_type`
//!   `tcp` or `udp`: the runner reads the address the guest prints as a line of its stdout and
//!   connects to it), `send` and `recv` (`payload`) on a connection, `request` (an HTTP request
//!   to a `wasi:http/service` guest and the `response` expected), `kill` (`signal`), and `wait`
//!   (`exit_code`). `proposals` are `sockets` (the run is granted loopback) and `http`; `world`
//!   is `wasi:cli/command` (the default), `wasi:http/service` or (wasiport's, for a WASI 0.2
//!   handler) `wasi:http/proxy`, a served guest; `servers` are upstream HTTP
//!   servers for a guest's outgoing requests. Mixing these keys with the legacy ones is an
//!   error, as upstream's runner says.
//!
//! wasiport adds `"features"` (the `wasi_snapshot_preview1` functions a test exercises; upstream's
//! older name `"wasi_functions"` is read too), `"readonly_dirs"` (directories preopened
//! read-only), `"network": "loopback"` (a component's `wasi:sockets` may reach loopback
//! addresses; without it, no network) and `"implementation_defined"` (the specification leaves
//! the behaviour to the runtime: why, and which other behaviours it accepts; see
//! [`ImplementationDefined`]), `"mandated"` (the document and line that mandate the expectation:
//! every built-in test has this or `implementation_defined`), `"limits"` (fuel, timeout, memory
//! cap, capture caps of the run: see [`RunLimits`]) and `"terminated"` (how the run must end when
//! not by exiting: see [`Ending`]). Unknown fields are an error naming the file, so a typo never
//! turns a check off.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::http_spec::{Endpoint, ExpectedResponse};

/// What to run and what to expect of one test.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Spec {
    /// Arguments after `argv[0]` (which is the module's file name).
    pub args: Vec<String>,
    /// The guest's whole environment.
    pub env: BTreeMap<String, String>,
    /// Directories beside the test, preopened read-write under their own names.
    pub dirs: Vec<String>,
    /// Directories beside the test, preopened read-only under their own names.
    pub readonly_dirs: Vec<String>,
    /// A directory beside the test preopened as `/`.
    pub root: Option<String>,
    /// The expected exit code.
    pub exit_code: i32,
    /// The expected stdout, when checked.
    pub stdout: Option<String>,
    /// The expected stderr, when checked.
    pub stderr: Option<String>,
    /// The WASI preview-1 functions the test exercises.
    pub features: Vec<String>,
    /// WASI proposals the test needs (operation-based specs): `sockets`, `http`.
    pub proposals: Vec<String>,
    /// The network the run grants a component (`"network": "loopback"`, or the `sockets`
    /// proposal), if any.
    pub network_loopback: bool,
    /// The world the guest is run as (operation-based specs): `wasi:cli/command` when `None`.
    pub world: Option<String>,
    /// Upstream HTTP servers the runner starts for the guest (operation-based specs).
    pub servers: Vec<Server>,
    /// What happens after the guest starts, in order (operation-based specs; empty for a
    /// legacy spec, whose `stdout`, `stderr` and `exit_code` are checked after the run). The
    /// `run` itself is the fields above.
    pub operations: Vec<Operation>,
    /// Whether the WASI specification leaves the behaviour checked to the runtime, and what
    /// else it accepts; `None`: the expectation is the specification's.
    pub implementation_defined: Option<ImplementationDefined>,
    /// What mandates the expectation (`"mandated": "witx path_open: similar to openat in
    /// POSIX; POSIX.1-2017 openat(): ENOENT ..."`): the document and the line that backs it.
    /// Every test of the built-in suite has this or [`Spec::implementation_defined`], never
    /// both.
    pub mandated: Option<String>,
    /// The limits the run sets (`"limits": {...}`); none by default.
    pub limits: RunLimits,
    /// How the run must end when not by exiting (`"terminated"`); `None`: it exits with
    /// [`Spec::exit_code`].
    pub terminated: Option<Ending>,
}

/// The limits a test's run sets (`"limits": {"fuel": 100000, "timeout_ms": 200,
/// "max_memory_bytes": 1048576, "stdout_bytes": 10, "stderr_bytes": 10}`, each optional): a
/// backend without the capability a limit needs skips the test as unsupported, and one that
/// declares it must enforce it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RunLimits {
    /// The fuel budget ([`wasiport::Capability::Fuel`]).
    pub fuel: Option<u64>,
    /// The wall-clock timeout in milliseconds ([`wasiport::Capability::Timeout`]), instead of
    /// the runner's own per-test timeout.
    pub timeout_ms: Option<u64>,
    /// The cap on linear memory ([`wasiport::Capability::MemoryLimit`]).
    pub max_memory_bytes: Option<u64>,
    /// The most bytes of stdout captured (the rest is dropped, not an error).
    pub stdout_bytes: Option<usize>,
    /// The most bytes of stderr captured.
    pub stderr_bytes: Option<usize>,
}

impl RunLimits {
    /// The capability each limit set needs, with the limit's name.
    ///
    /// ```
    /// use wasiport::Capability;
    /// use wasiport_conformance::spec::RunLimits;
    /// let limits = RunLimits { fuel: Some(10), ..RunLimits::default() };
    /// assert_eq!(limits.needs().collect::<Vec<_>>(), [(Capability::Fuel, "fuel")]);
    /// ```
    pub fn needs(&self) -> impl Iterator<Item = (wasiport::Capability, &'static str)> {
        use wasiport::Capability;
        let capture = self.stdout_bytes.is_some() || self.stderr_bytes.is_some();
        [
            (self.fuel.is_some(), Capability::Fuel, "fuel"),
            (self.timeout_ms.is_some(), Capability::Timeout, "timeout"),
            (
                self.max_memory_bytes.is_some(),
                Capability::MemoryLimit,
                "memory cap",
            ),
            (capture, Capability::CaptureOutput, "capture cap"),
        ]
        .into_iter()
        .filter(|(set, _, _)| *set)
        .map(|(_, capability, name)| (capability, name))
    }
}

/// How a run ends other than by exiting (`"terminated"`): `"out_of_fuel"`, `"timeout"`,
/// `"memory_limit"`, `"trap"` (any trap) or `"trap:KIND"` (a trap of that
/// [`wasiport::TrapKind`], by its stable name).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ending {
    /// The fuel budget ran out.
    OutOfFuel,
    /// The timeout ran out.
    Timeout,
    /// The initial memory is over the cap: the module never started.
    MemoryLimit,
    /// A trap, of this kind if given.
    Trap(Option<wasiport::TrapKind>),
}

impl Ending {
    /// Reads `"out_of_fuel"`, `"timeout"`, `"memory_limit"`, `"trap"` or `"trap:KIND"`.
    ///
    /// ```
    /// use wasiport::TrapKind;
    /// use wasiport_conformance::spec::Ending;
    /// assert_eq!(Ending::parse("trap:stack_overflow"), Ok(Ending::Trap(Some(TrapKind::StackOverflow))));
    /// assert_eq!(Ending::parse("out_of_fuel"), Ok(Ending::OutOfFuel));
    /// assert!(Ending::parse("trap:sideways").is_err());
    /// ```
    pub fn parse(text: &str) -> Result<Ending, String> {
        Ok(match text {
            "out_of_fuel" => Ending::OutOfFuel,
            "timeout" => Ending::Timeout,
            "memory_limit" => Ending::MemoryLimit,
            "trap" => Ending::Trap(None),
            _ => {
                let kind = text
                    .strip_prefix("trap:")
                    .and_then(wasiport::TrapKind::from_name);
                match kind {
                    Some(kind) => Ending::Trap(Some(kind)),
                    None => {
                        return Err(format!(
                            "`terminated: {text}`: expected out_of_fuel, timeout, \
                             memory_limit, trap or trap:KIND"
                        ))
                    }
                }
            }
        })
    }

    /// Whether `termination` is this ending.
    pub fn matches(self, termination: &wasiport::Termination) -> bool {
        use wasiport::Termination as T;
        match (self, termination) {
            (Ending::OutOfFuel, T::OutOfFuel)
            | (Ending::Timeout, T::Timeout)
            | (Ending::MemoryLimit, T::MemoryLimit)
            | (Ending::Trap(None), T::Trap(_)) => true,
            (Ending::Trap(Some(kind)), T::Trap(trap)) => trap.kind == kind,
            _ => false,
        }
    }
}

impl std::fmt::Display for Ending {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Ending::OutOfFuel => f.write_str("out_of_fuel"),
            Ending::Timeout => f.write_str("timeout"),
            Ending::MemoryLimit => f.write_str("memory_limit"),
            Ending::Trap(None) => f.write_str("trap"),
            Ending::Trap(Some(kind)) => write!(f, "trap:{kind}"),
        }
    }
}

/// A test whose expectation the WASI specification does not mandate (`"implementation_defined":
/// {"why": "...", "also": ["trap", "errno"]}`): the spec's own expectation is the preferred
/// behaviour, and a run that instead shows one of `also` *differs* rather than fails.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ImplementationDefined {
    /// Why the specification leaves it open (citing what it says, and what it does not).
    pub why: String,
    /// The other behaviours it accepts.
    pub also: Vec<Behaviour>,
}

/// A behaviour an implementation-defined test accepts besides its expectation: `"trap"`,
/// `"errno"`, `"failure"` or `{"exit_code": N}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Behaviour {
    /// The guest traps.
    Trap,
    /// The call returns an error other than the one expected: the guest's only failed checks
    /// are the harness's `expected errno E, got G` with `G` not 0 (success).
    Errno,
    /// The run ends with another failing status than the one expected: any exit code but 0
    /// (for a status the specification calls a failure without numbering it).
    Failure,
    /// The guest saw the other allowed behaviour itself, and says so by exiting with this code
    /// (for what only the guest can tell apart, e.g. a listing without `.` and `..`).
    ExitCode(i32),
}

/// One step of an operation-based spec after its `run`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Operation {
    /// The next bytes of the guest's stdout (`stderr: false`) or stderr are exactly `payload`.
    Read {
        /// Whether the stream is stderr.
        stderr: bool,
        /// What must come next.
        payload: String,
    },
    /// `payload` written to the guest's stdin (which stays open).
    Write {
        /// The bytes written.
        payload: String,
    },
    /// The next line of the guest's stdout is a `host:port` the runner connects to.
    Connect {
        /// The connection's name for `send` and `recv`.
        id: String,
        /// UDP rather than TCP.
        udp: bool,
    },
    /// `payload` sent on a connection.
    Send {
        /// The connection.
        id: String,
        /// The bytes sent.
        payload: String,
    },
    /// What comes on a connection is exactly `payload`.
    Recv {
        /// The connection.
        id: String,
        /// The bytes expected.
        payload: String,
    },
    /// An HTTP request to the guest's own server (a `wasi:http/service`), and its response.
    Request(Request),
    /// The guest's process is sent this signal (`SIGTERM`, `SIGINT`, ...).
    Kill {
        /// The signal's name.
        signal: String,
    },
    /// The guest exits with this code.
    Wait {
        /// The expected exit code.
        exit_code: i32,
    },
}

/// An HTTP request of a `request` operation, and the response expected (`status`, default
/// 200; `headers` that must be there; `body`, default empty).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    /// `GET` unless given.
    pub method: String,
    /// The path and query, `/` unless given.
    pub path: String,
    /// Request headers.
    pub headers: BTreeMap<String, String>,
    /// The request body.
    pub body: String,
    /// The expected response.
    pub response: ExpectedResponse,
}

/// An upstream HTTP server of an operation-based spec: the guest learns its address from the
/// environment variable `HTTP_SERVER_<NAME>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Server {
    /// Its name (`[A-Za-z0-9_]+`).
    pub name: String,
    /// `closed`: an address with nothing listening.
    pub closed: bool,
    /// What it answers.
    pub endpoints: Vec<Endpoint>,
}

/// The signals a `kill` operation may send, by name.
pub const SIGNALS: &[(&str, i32)] = &[
    ("SIGHUP", 1),
    ("SIGINT", 2),
    ("SIGQUIT", 3),
    ("SIGKILL", 9),
    ("SIGUSR1", 10),
    ("SIGUSR2", 12),
    ("SIGTERM", 15),
];

/// Why a spec could not be read.
#[derive(Debug, thiserror::Error)]
#[error("{}: {message}", path.display())]
pub struct SpecError {
    /// The spec file.
    pub path: PathBuf,
    /// What is wrong with it.
    pub message: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Raw {
    #[serde(default)]
    args: Vec<String>,
    #[serde(default)]
    dirs: Vec<String>,
    #[serde(default)]
    readonly_dirs: Vec<String>,
    #[serde(default)]
    root: Option<String>,
    #[serde(default)]
    env: BTreeMap<String, String>,
    #[serde(default)]
    exit_code: i32,
    #[serde(default)]
    stdout: Option<String>,
    #[serde(default)]
    stderr: Option<String>,
    #[serde(default, alias = "wasi_functions")]
    features: Vec<String>,
    #[serde(default)]
    proposals: Vec<String>,
    #[serde(default)]
    network: Option<Network>,
    #[serde(default)]
    operations: Option<Vec<RawOperation>>,
    #[serde(default)]
    world: Option<String>,
    #[serde(default)]
    servers: Option<Vec<RawServer>>,
    #[serde(default)]
    implementation_defined: Option<ImplementationDefined>,
    #[serde(default)]
    mandated: Option<String>,
    #[serde(default)]
    limits: RunLimits,
    #[serde(default)]
    terminated: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawServer {
    name: String,
    #[serde(default)]
    kind: Option<String>,
    #[serde(default)]
    endpoints: Vec<serde_json::Value>,
}

/// The network a spec grants: only loopback is.
#[derive(Deserialize)]
#[serde(rename_all = "lowercase")]
enum Network {
    Loopback,
}

#[derive(Deserialize)]
#[serde(tag = "type", rename_all = "lowercase", deny_unknown_fields)]
enum RawOperation {
    Run {
        #[serde(default)]
        args: Vec<String>,
        #[serde(default)]
        env: BTreeMap<String, String>,
        #[serde(default)]
        dirs: Vec<String>,
        #[serde(default)]
        root: Option<String>,
    },
    Wait {
        #[serde(default)]
        exit_code: i32,
    },
    Read {
        #[serde(default = "stdout")]
        id: String,
        #[serde(default)]
        payload: String,
    },
    Write {
        #[serde(default)]
        id: String,
        #[serde(default)]
        payload: String,
    },
    Connect {
        #[serde(default = "server")]
        id: String,
        #[serde(default = "tcp")]
        protocol_type: String,
    },
    Send {
        id: String,
        #[serde(default)]
        payload: String,
    },
    Recv {
        id: String,
        #[serde(default)]
        payload: String,
    },
    Request {
        #[serde(default = "get")]
        method: String,
        #[serde(default = "slash")]
        path: String,
        #[serde(default)]
        headers: BTreeMap<String, String>,
        #[serde(default)]
        body: String,
        #[serde(default)]
        response: Option<serde_json::Value>,
    },
    Kill {
        #[serde(default = "sigterm")]
        signal: String,
    },
}

fn stdout() -> String {
    "stdout".into()
}
fn server() -> String {
    "server".into()
}
fn tcp() -> String {
    "tcp".into()
}
fn get() -> String {
    "GET".into()
}
fn slash() -> String {
    "/".into()
}
fn sigterm() -> String {
    "SIGTERM".into()
}

/// The proposals an operation-based spec may name.
const PROPOSALS: &[&str] = &["http", "sockets"];
/// The worlds it may run a guest as.
const WORLDS: &[&str] = &["wasi:cli/command", "wasi:http/service", "wasi:http/proxy"];
/// The streams a `run` opens, which no connection may be named.
const STREAMS: &[&str] = &["stdin", "stdout", "stderr"];

impl Spec {
    /// Reads the spec at `path`.
    pub fn read(path: &Path) -> Result<Spec, SpecError> {
        let error = |message: String| SpecError {
            path: path.to_path_buf(),
            message,
        };
        let text = std::fs::read_to_string(path).map_err(|e| error(e.to_string()))?;
        Spec::parse(&text).map_err(error)
    }

    /// Parses a spec from JSON text.
    ///
    /// ```
    /// use wasiport_conformance::spec::{Operation, Spec};
    /// let spec = Spec::parse(r#"{"args": ["a"], "exit_code": 3, "features": ["fd_write"]}"#)?;
    /// assert_eq!(spec.exit_code, 3);
    /// assert_eq!(spec.stdout, None);
    /// let ops = Spec::parse(r#"{"operations": [{"type": "run", "args": ["x"]}, {"type": "wait", "exit_code": 1}]}"#)?;
    /// assert_eq!(ops.args, ["x"]);
    /// assert_eq!(ops.operations, [Operation::Wait { exit_code: 1 }]);
    /// assert!(!ops.is_interactive());
    /// let echo = Spec::parse(r#"{"proposals": ["sockets"], "operations": [{"type": "run"},
    ///     {"type": "connect", "id": "echo"}, {"type": "send", "id": "echo", "payload": "hi"},
    ///     {"type": "recv", "id": "echo", "payload": "hi"}, {"type": "wait"}]}"#)?;
    /// assert!(echo.is_interactive() && echo.network_loopback);
    /// assert!(Spec::parse(r#"{"operations": [{"type": "run"}, {"type": "send", "id": "x"}]}"#).is_err());
    /// assert!(Spec::parse(r#"{"args": ["a"], "operations": [{"type": "run"}]}"#).unwrap_err().contains("mix"));
    /// assert!(Spec::parse(r#"{"exitcode": 1}"#).unwrap_err().contains("exitcode"));
    /// assert!(Spec::parse(r#"{"network": "loopback"}"#)?.network_loopback);
    /// assert!(Spec::parse(r#"{"network": "everywhere"}"#).is_err());
    /// let fuel = r#""limits": {"fuel": 10}, "terminated": "out_of_fuel""#;
    /// assert!(Spec::parse(&format!("{{{fuel}}}")).is_ok());
    /// assert!(Spec::parse(&format!(r#"{{{fuel}, "exit_code": 1}}"#)).is_err());
    /// assert!(Spec::parse(&format!(r#"{{{fuel}, "proposals": ["sockets"], "operations": [{{"type": "run"}},
    ///     {{"type": "connect"}}]}}"#)).unwrap_err().contains("limits"));
    /// # Ok::<(), String>(())
    /// ```
    pub fn parse(text: &str) -> Result<Spec, String> {
        let raw: Raw = serde_json::from_str(text).map_err(|e| e.to_string())?;
        let operation_based =
            raw.operations.is_some() || !raw.proposals.is_empty() || raw.servers.is_some();
        let legacy = !raw.args.is_empty()
            || !raw.env.is_empty()
            || !raw.dirs.is_empty()
            || raw.root.is_some()
            || raw.exit_code != 0
            || raw.stdout.is_some()
            || raw.stderr.is_some();
        if operation_based && legacy {
            return Err(
                "cannot mix the operation-based keys (operations, proposals, servers) \
                        with the legacy ones (args, env, dirs, root, exit_code, stdout, stderr)"
                    .into(),
            );
        }
        if let Some(p) = raw
            .proposals
            .iter()
            .find(|p| !PROPOSALS.contains(&p.as_str()))
        {
            return Err(format!(
                "unknown proposal `{p}` (known: {})",
                PROPOSALS.join(", ")
            ));
        }
        if let Some(w) = raw.world.as_deref().filter(|w| !WORLDS.contains(w)) {
            return Err(format!(
                "unknown world `{w}` (known: {})",
                WORLDS.join(", ")
            ));
        }
        let mut spec = Spec {
            args: raw.args,
            env: raw.env,
            dirs: raw.dirs,
            readonly_dirs: raw.readonly_dirs,
            root: raw.root,
            exit_code: raw.exit_code,
            stdout: raw.stdout,
            stderr: raw.stderr,
            features: raw.features,
            network_loopback: matches!(raw.network, Some(Network::Loopback))
                || raw.proposals.iter().any(|p| p == "sockets"),
            proposals: raw.proposals,
            world: raw.world,
            servers: servers(raw.servers.unwrap_or_default())?,
            operations: Vec::new(),
            implementation_defined: raw.implementation_defined,
            mandated: raw.mandated,
            limits: raw.limits,
            terminated: raw.terminated.as_deref().map(Ending::parse).transpose()?,
        };
        if spec.mandated.as_ref().is_some_and(|m| m.trim().is_empty()) {
            return Err("`mandated` is empty: cite what mandates the expectation".into());
        }
        if spec.mandated.is_some() && spec.implementation_defined.is_some() {
            return Err(
                "both `mandated` and `implementation_defined`: an expectation is one or the other"
                    .into(),
            );
        }
        if spec.terminated.is_some() && spec.exit_code != 0 {
            return Err("both `terminated` and an `exit_code`: a run ends one way".into());
        }
        if spec
            .implementation_defined
            .as_ref()
            .is_some_and(|d| d.also.is_empty() || d.why.trim().is_empty())
        {
            return Err("`implementation_defined` needs a `why` and at least one `also`".into());
        }
        if let Some(operations) = raw.operations {
            spec.operations = spec.take_run(operations)?;
        }
        // A guest the runner talks to runs in a process of its own, under the runner's timeout
        // only: its limits would be ignored, so they are refused.
        if spec.is_interactive()
            && (spec.limits != RunLimits::default() || spec.terminated.is_some())
        {
            return Err(
                "`limits` and `terminated` apply only to a run checked after it ends, \
                        not to one the runner talks to (write, connect, send, request, kill)"
                    .into(),
            );
        }
        if spec.terminated.is_some()
            && spec
                .operations
                .iter()
                .any(|op| matches!(op, Operation::Wait { exit_code } if *exit_code != 0))
        {
            return Err(
                "both `terminated` and a `wait` with an exit code: a run ends one way".into(),
            );
        }
        Ok(spec)
    }

    /// The operations after the one `run` (whose fields become the spec's), checked as
    /// upstream's runner checks them.
    fn take_run(&mut self, operations: Vec<RawOperation>) -> Result<Vec<Operation>, String> {
        let mut operations = operations.into_iter();
        match operations.next() {
            Some(RawOperation::Run {
                args,
                env,
                dirs,
                root,
            }) => {
                self.args = args;
                self.env = env;
                self.dirs = dirs;
                self.root = root;
            }
            _ => return Err("the operations do not begin with a `run`".into()),
        }
        let mut connections: Vec<String> = Vec::new();
        let mut waited = false;
        let mut out = Vec::new();
        for op in operations {
            if waited {
                return Err("an operation after the `wait` (one run per test)".into());
            }
            let connected = |id: &str| {
                if connections.iter().any(|c| c == id) {
                    Ok(id.to_string())
                } else {
                    Err(format!("`{id}` is not a connection a `connect` made"))
                }
            };
            out.push(match op {
                RawOperation::Run { .. } => {
                    return Err("a second `run` while the first is running".into())
                }
                RawOperation::Wait { exit_code } => {
                    waited = true;
                    Operation::Wait { exit_code }
                }
                RawOperation::Read { id, payload } => match id.as_str() {
                    "stdout" | "stderr" => Operation::Read {
                        stderr: id == "stderr",
                        payload,
                    },
                    other => return Err(format!("`read` of `{other}`: only stdout or stderr")),
                },
                RawOperation::Write { id, payload } if id == "stdin" => {
                    Operation::Write { payload }
                }
                RawOperation::Write { id, .. } => {
                    return Err(format!("`write` to `{id}`: only stdin"))
                }
                RawOperation::Connect { id, protocol_type } => {
                    if STREAMS.contains(&id.as_str()) || connections.contains(&id) {
                        return Err(format!("`connect` reuses the name `{id}`"));
                    }
                    let udp = match protocol_type.as_str() {
                        "tcp" => false,
                        "udp" => true,
                        other => return Err(format!("`connect` over `{other}`: only tcp or udp")),
                    };
                    connections.push(id.clone());
                    Operation::Connect { id, udp }
                }
                RawOperation::Send { id, payload } => Operation::Send {
                    id: connected(&id)?,
                    payload,
                },
                RawOperation::Recv { id, payload } => Operation::Recv {
                    id: connected(&id)?,
                    payload,
                },
                RawOperation::Request {
                    method,
                    path,
                    headers,
                    body,
                    response,
                } => Operation::Request(Request {
                    method,
                    path,
                    headers,
                    body,
                    response: ExpectedResponse::parse(
                        &response.unwrap_or(serde_json::Value::Null),
                    )?,
                }),
                RawOperation::Kill { signal } => {
                    if !SIGNALS.iter().any(|(name, _)| *name == signal) {
                        return Err(format!("`kill` with an unknown signal `{signal}`"));
                    }
                    Operation::Kill { signal }
                }
            });
        }
        Ok(out)
    }

    /// Whether the test talks to the guest while it runs (writes its stdin, connects to it,
    /// signals it): the runner then runs the guest in a process of its own, its stdio piped.
    /// A spec of only reads and a wait is checked after the run.
    ///
    /// A served guest (see [`Spec::is_served`]) and one with upstream `servers` are run that way
    /// too: the runner's servers live as long as the guest's process.
    pub fn is_interactive(&self) -> bool {
        self.is_served()
            || !self.servers.is_empty()
            || self
                .operations
                .iter()
                .any(|op| !matches!(op, Operation::Read { .. } | Operation::Wait { .. }))
    }

    /// Whether the guest is an HTTP handler the runner sends requests to (world
    /// `wasi:http/service`, or wasiport's `wasi:http/proxy` for a WASI 0.2 handler): it is
    /// served (`wasiport serve`), not run.
    pub fn is_served(&self) -> bool {
        matches!(
            self.world.as_deref(),
            Some("wasi:http/service" | "wasi:http/proxy")
        )
    }

    /// Whether the test needs `wasi:http` (the `http` proposal, or a served world).
    pub fn needs_http(&self) -> bool {
        self.proposals.iter().any(|p| p == "http") || self.is_served()
    }

    /// Every directory the test preopens: `(name beside the test, guest path, read-only)`.
    pub fn preopens(&self) -> Vec<(String, String, bool)> {
        let mut all: Vec<(String, String, bool)> = Vec::new();
        if let Some(root) = &self.root {
            all.push((root.clone(), "/".into(), false));
        }
        all.extend(self.dirs.iter().map(|d| (d.clone(), d.clone(), false)));
        all.extend(
            self.readonly_dirs
                .iter()
                .map(|d| (d.clone(), d.clone(), true)),
        );
        all
    }
}

/// The servers of a spec, checked: names of `[A-Za-z0-9_]+`, unique ignoring case; a closed one
/// has no endpoints.
fn servers(raw: Vec<RawServer>) -> Result<Vec<Server>, String> {
    let mut out: Vec<Server> = Vec::new();
    for server in raw {
        let name = server.name;
        if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            return Err(format!("server name `{name}`: only letters, digits and _"));
        }
        if out.iter().any(|s| s.name.eq_ignore_ascii_case(&name)) {
            return Err(format!("two servers named `{name}`"));
        }
        let closed = match server.kind.as_deref() {
            None | Some("listening") => false,
            Some("closed") if server.endpoints.is_empty() => true,
            Some("closed") => return Err(format!("server `{name}` is closed but has endpoints")),
            Some(other) => return Err(format!("server `{name}`: unknown kind `{other}`")),
        };
        let endpoints = server
            .endpoints
            .iter()
            .map(Endpoint::parse)
            .collect::<Result<_, _>>()
            .map_err(|e| format!("server `{name}`: {e}"))?;
        out.push(Server {
            name,
            closed,
            endpoints,
        });
    }
    Ok(out)
}
