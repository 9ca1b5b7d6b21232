//! What a host tells a WasmEdge worker, and what the worker answers: the contract between
//! [`WasmedgeProcess`](crate::WasmedgeProcess) (or `wasiport-wasmedge` starting a copy of its
//! own program) and the worker that links libwasmedge (`wasiport-wasmedge-worker`).
//!
//! A run is one [`Job`], written as a JSON file whose path the worker finds in [`JOB_VAR`]; the
//! worker writes its [`Report`] where the job says and ends. The compile service is a long-lived
//! worker started with the argument [`SERVICE_ARG`]: one [`Request`] a line on its stdin, one
//! [`Reply`] a line on its stdout.

use serde::{Deserialize, Serialize};
use wasiport::{HostValue, TraceEvent};

/// The variable naming the job file of a worker.
pub const JOB_VAR: &str = "WASIPORT_WASMEDGE_JOB";

/// The argument that starts a worker as the compile service.
pub const SERVICE_ARG: &str = "--service";

/// The protocol's revision: a worker and a host of different revisions refuse each other (the
/// worker says its revision in [`Reply::Version`]).
pub const PROTOCOL: u32 = 1;

/// The exit status of a worker that could not read its job or write its report.
pub const WORKER_FAILED: i32 = 121;

/// Which WASI a run gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum JobWasi {
    /// WasmEdge's own WASI preview 1.
    Native,
    /// wasiport's portable WASI, served in the worker.
    Portable,
}

/// A preopened directory.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct JobPreopen {
    /// The directory on the host.
    pub host: String,
    /// Its name in the guest.
    pub guest: String,
    /// Whether the guest may only read it.
    pub read_only: bool,
}

/// One run, as the worker needs it.
#[derive(Debug, Serialize, Deserialize)]
pub struct Job {
    /// The module: a `.wasm` file, or a shared library made by WasmEdge's AOT compiler.
    pub module: String,
    /// The module's (rewritten) `.wasm` file, what a portable run reads the module's imports
    /// from (the same file as `module` unless that is an AOT library).
    pub wasm: String,
    /// Whether `module` is an AOT library.
    pub aot: bool,
    /// The WASI of the run.
    pub wasi: JobWasi,
    /// argv, program name first.
    pub argv: Vec<String>,
    /// The environment, in order.
    pub env: Vec<(String, String)>,
    /// The preopened directories, in order.
    pub preopens: Vec<JobPreopen>,
    /// Listening sockets the worker inherited, by file descriptor (portable WASI only).
    pub sockets: Vec<i32>,
    /// Whether the guest may reach loopback addresses (portable WASI only).
    pub loopback: bool,
    /// Whether to record the WASI calls (portable WASI only).
    pub trace: bool,
    /// The fuel budget (one unit per instruction), if any.
    pub fuel: Option<u64>,
    /// The largest linear memory in bytes, if any.
    pub max_memory_bytes: Option<u64>,
    /// Where the worker writes its [`Report`].
    pub report: String,
}

/// How the run ended, as the worker saw it.
#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "end", rename_all = "snake_case")]
pub enum End {
    /// `_start` returned, or the guest called `proc_exit`.
    Exited {
        /// The exit code.
        code: i32,
    },
    /// A WebAssembly trap, classified by the worker.
    Trap {
        /// A [`wasiport::TrapKind`]'s name.
        kind: String,
        /// WasmEdge's message (or wasiport's, for its own limits).
        message: String,
    },
    /// The fuel budget ran out.
    OutOfFuel,
    /// The guest ended before `_start`, in its start function (a portable run's report of it).
    NotInstantiated {
        /// Why.
        message: String,
    },
    /// The run could not start: loading, linking or instantiating failed.
    Failed {
        /// WasmEdge's (or the worker's) message.
        message: String,
    },
}

impl End {
    /// The end of a run that trapped with `trap`.
    pub fn trap(trap: wasiport::Trap) -> End {
        End::Trap {
            kind: trap.kind.as_str().into(),
            message: trap.message,
        }
    }
}

/// A WASI call of a traced run, as [`TraceEvent`] but owning its names.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TraceRecord {
    /// The function's name.
    pub function: String,
    /// Its arguments.
    pub args: Vec<Value>,
    /// The errno it returned, `None` for `proc_exit`.
    pub errno: Option<u16>,
}

/// A [`HostValue`] as the protocol carries it.
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Value {
    /// An `i32`.
    I32(i32),
    /// An `i64`.
    I64(i64),
    /// An `f32`.
    F32(f32),
    /// An `f64`.
    F64(f64),
}

impl From<&TraceEvent> for TraceRecord {
    fn from(event: &TraceEvent) -> Self {
        TraceRecord {
            function: event.function.to_string(),
            args: event
                .args
                .iter()
                .map(|v| match *v {
                    HostValue::I32(v) => Value::I32(v),
                    HostValue::I64(v) => Value::I64(v),
                    HostValue::F32(v) => Value::F32(v),
                    HostValue::F64(v) => Value::F64(v),
                })
                .collect(),
            errno: event.errno.map(|(code, _)| code),
        }
    }
}

impl TraceRecord {
    /// The event again, its names those of the preview-1 function and errno it names; `None`
    /// for a function preview 1 does not have.
    pub fn event(&self) -> Option<TraceEvent> {
        let function = wasiport::wasi_p1::function(&self.function)?.name;
        let args: Vec<HostValue> = self
            .args
            .iter()
            .map(|v| match *v {
                Value::I32(v) => HostValue::I32(v),
                Value::I64(v) => HostValue::I64(v),
                Value::F32(v) => HostValue::F32(v),
                Value::F64(v) => HostValue::F64(v),
            })
            .collect();
        let errno = self
            .errno
            .map(|code| (code, wasiport::portable::errno_name(code)));
        Some(TraceEvent::new(function, &args, errno))
    }
}

/// The worker's report of a run.
#[derive(Debug, Serialize, Deserialize)]
pub struct Report {
    /// How it ended.
    pub end: End,
    /// The total cost counted (none when the run failed before it started).
    pub fuel_consumed: Option<u64>,
    /// Whether the guest ended in its start function, before `_start`: then there was no
    /// instance, and no run.
    #[serde(default)]
    pub in_start: bool,
    /// The WASI calls, when the job asked for them.
    #[serde(default)]
    pub trace: Vec<TraceRecord>,
}

impl Report {
    /// A report of a run that ended as `end`, with nothing counted or traced.
    pub fn ended(end: End) -> Report {
        Report {
            end,
            fuel_consumed: None,
            in_start: false,
            trace: Vec::new(),
        }
    }
}

/// A request to the compile service.
#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum Request {
    /// The release of the libwasmedge the worker loaded.
    Version,
    /// Load and validate the module in `wasm`.
    Validate {
        /// The `.wasm` file.
        wasm: String,
    },
    /// Compile the module in `wasm` ahead of time (with cost counting and stop checks) into the
    /// shared library `out`.
    CompileAot {
        /// The `.wasm` file, as WasmEdge runs it (its start function an export, its depth
        /// limited).
        wasm: String,
        /// Where to write the library.
        out: String,
    },
}

/// The compile service's answer.
#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "reply", rename_all = "snake_case")]
pub enum Reply {
    /// The libwasmedge release.
    Version {
        /// e.g. `0.14.1`.
        version: String,
        /// The worker's [`PROTOCOL`].
        protocol: u32,
    },
    /// The module is valid, or compiled.
    Done,
    /// WasmEdge refused the module.
    Invalid {
        /// WasmEdge's message.
        message: String,
    },
    /// Something else failed.
    Failed {
        /// What.
        message: String,
    },
}
