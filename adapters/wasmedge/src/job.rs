//! What the host process tells a worker to run, and what the worker reports back: written as
//! JSON files in the run's own temporary directory.

use serde::{Deserialize, Serialize};

/// One run, as the worker needs it.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct Job {
    /// The module: a `.wasm` file, or a shared library made by WasmEdge's AOT compiler.
    pub module: String,
    /// argv, program name first.
    pub argv: Vec<String>,
    /// `KEY=VALUE` entries.
    pub env: Vec<String>,
    /// WasmEdge's own preopen strings: `GUEST:HOST` or `GUEST:HOST:readonly`.
    pub preopens: Vec<String>,
    /// The cost limit (one unit per instruction), if any.
    pub fuel: Option<u64>,
    /// The largest memory in 64 KiB pages, if any.
    pub max_memory_pages: Option<u32>,
    /// Where the worker writes its [`Report`].
    pub report: String,
}

/// How the run ended, as the worker saw it.
#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "end", rename_all = "snake_case")]
pub(crate) enum End {
    /// `_start` returned, or the guest called `proc_exit`.
    Exited { code: i32 },
    /// A WebAssembly trap: WasmEdge's error code and message.
    Trap { code: u32, message: String },
    /// A call went past the call-depth limit the module was rewritten with: a stack overflow.
    DepthLimit,
    /// The cost limit ran out.
    OutOfFuel,
    /// The worker's heap ran out: WasmEdge 0.14's interpreter has no call-depth limit and keeps
    /// its call and value stacks on the heap, so unbounded recursion ends here.
    HeapExhausted,
    /// The run could not start: loading, linking or instantiating failed.
    Failed { message: String },
}

/// The worker's report.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct Report {
    /// How it ended.
    pub end: End,
    /// The total cost counted (none when the run failed before it started).
    pub fuel_consumed: Option<u64>,
    /// Whether the guest ended in its start function, before `_start`: then there was no
    /// instance, and no run.
    #[serde(default)]
    pub in_start: bool,
}
