//! The messages between the backend and the node runner (`js/runner.mjs`): one JSON object a
//! line each way over a Unix socket; byte strings are base64.

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

/// A request; each gets exactly one [`Reply`] with its `id`.
#[derive(Debug, Serialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub(crate) enum Request<'a> {
    /// Compile `wasm` (base64) and keep it as `module`.
    Compile { id: u64, module: u64, wasm: &'a str },
    /// Transpile the component `wasm` (base64) with jco into `dir` (unless it is there
    /// already), with the packages of the `node_modules` directory `jco`, and keep it as
    /// `module`, with `cores` (base64 by file name: rewritten for a memory cap or fuel) in place
    /// of the core modules jco made.
    CompileComponent {
        id: u64,
        module: u64,
        wasm: &'a str,
        dir: &'a Path,
        jco: &'a Path,
        #[serde(skip_serializing_if = "Option::is_none")]
        cores: Option<&'a BTreeMap<&'a str, String>>,
    },
    /// Drop `module`.
    Forget { id: u64, module: u64 },
    /// Run `module` as `job` says.
    Run { id: u64, module: u64, job: &'a Job },
}

/// One run, as the runner's worker needs it.
#[derive(Debug, Serialize)]
pub(crate) struct Job {
    /// argv, argv[0] first.
    pub args: Vec<String>,
    /// The environment, in order.
    pub env: Vec<(String, String)>,
    /// Preopened directories, numbered from fd 3 in this order.
    pub preopens: Vec<PreopenJob>,
    pub stdin: StdinJob,
    pub stdout: OutputJob,
    pub stderr: OutputJob,
    /// The wall-clock timeout, if any.
    pub timeout_ms: Option<u64>,
    /// The fuel budget of a metered run (a decimal `i64`, for JavaScript's `BigInt`).
    pub fuel: Option<String>,
    /// The host functions the guest imports, answered over two named pipes (`src/host.rs`).
    pub host: Option<HostJob>,
    /// The network a component's `wasi:sockets` may reach: `none` or `loopback`.
    pub network: &'static str,
}

/// Where the worker calls the host, and what.
#[derive(Debug, Serialize)]
pub(crate) struct HostJob {
    /// The pipe the worker writes calls to.
    pub to_host: String,
    /// The pipe it reads the host's answers from.
    pub to_guest: String,
    /// The functions, in the order calls name them.
    pub imports: Vec<HostImport>,
    /// The WASI itself is among them (the portable WASI): node:wasi is not used at all.
    pub portable_wasi: bool,
}

/// One host function as the worker imports it.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct HostImport {
    pub module: String,
    pub name: String,
    /// Parameter types (`i32`, `i64`, `f32`, `f64`).
    pub params: Vec<String>,
    pub results: Vec<String>,
}

#[derive(Debug, Serialize)]
pub(crate) struct PreopenJob {
    pub guest: String,
    pub host: String,
    pub read_only: bool,
}

#[derive(Debug, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub(crate) enum StdinJob {
    Empty,
    Inherit,
    Bytes { data: String },
}

#[derive(Debug, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub(crate) enum OutputJob {
    Capture { limit: usize },
    Inherit,
    Discard,
}

/// The runner's answer to one request.
#[derive(Debug, Deserialize)]
pub(crate) struct Reply {
    pub id: u64,
    /// What went wrong, in the engine's words.
    pub error: Option<String>,
    /// With `error`: the engine refused the module's bytes.
    #[serde(default)]
    pub invalid: bool,
    /// A run of a module this runner process has not compiled (it was restarted).
    #[serde(default)]
    pub unknown_module: bool,
    /// A run that happened.
    pub result: Option<wasiport_v8::Report>,
}
