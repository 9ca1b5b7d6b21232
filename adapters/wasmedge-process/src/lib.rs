//! WasmEdge for a program that does not link libwasmedge: the `wasmedge` backend of
//! [`wasiport`] with every run, and every compile, in a worker process
//! (`wasiport-wasmedge-worker`, of the crate `wasiport-wasmedge`) that links it.
//!
//! A program built with this crate starts on any machine; without the worker or the library,
//! [`WasmedgeProcess::new`] fails and says why, and the program's other backends work. With
//! them, runs have WasmEdge's own WASI or the portable one, fuel, a timeout, a memory cap,
//! captured output, preopened directories and sockets, as with `wasiport-wasmedge` in process;
//! what needs the host's own process (host functions, instances) is refused as
//! [`Error::Unsupported`].
//!
//! ```no_run
//! use wasiport::{Backend, RunConfig, Termination};
//! let backend = wasiport_wasmedge_process::WasmedgeProcess::new()?;
//! let wasm = wat::parse_str(r#"(module
//!     (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
//!     (memory (export "memory") 1)
//!     (func (export "_start") (call $exit (i32.const 7))))"#)?;
//! let module = backend.compile(&wasm)?;
//! let outcome = backend.run(&module, &RunConfig::default())?;
//! assert_eq!(outcome.termination, Termination::Exited(7));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! The worker program is found as [`locate::Worker::find`] says, and started through the
//! dynamic loader of the WasmEdge prefix the build used when that is still there
//! (`scripts/install-wasmedge` unpacks a libwasmedge that needs a newer C library than the
//! system's). The crate's README says more.
#![warn(missing_docs)]

pub mod locate;
pub mod protocol;
pub mod run;
mod service;

use std::io::Write;

use wasiport::kit::RunKit;
use wasiport::rewrite::{limit_call_depth, start_as_export};
use wasiport::{
    Backend, BackendId, Capabilities, Capability, CompiledModule, Error, Outcome, RunConfig,
};

use crate::locate::Worker;
use crate::protocol::{Reply, Request};
use crate::service::Service;

/// The backend's name.
pub const NAME: &str = "wasmedge";
/// The WasmEdge release this crate is built for; the worker's is checked against it.
pub const RUNTIME_VERSION: &str = "0.14.1";
/// The call depth past which a module rewritten for WasmEdge traps: WasmEdge 0.14's interpreter
/// keeps its frames on the heap with no limit of its own.
pub const MAX_CALL_DEPTH: u32 = 20_000;

/// How a module is prepared.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Validated, then interpreted at each run (WasmEdge's default).
    Interpreter,
    /// Compiled ahead of time by WasmEdge's LLVM compiler into a native shared library, which
    /// each run loads: slower to compile, much faster to run.
    Aot,
}

/// For adapters of WasmEdge: an [`Error::Internal`] of this backend.
pub fn internal(message: impl std::fmt::Display) -> Error {
    Error::Internal {
        backend: NAME,
        message: message.to_string(),
    }
}

/// The module as WasmEdge runs it: its start function an export, called where a timeout holds,
/// and its call depth limited to [`MAX_CALL_DEPTH`].
pub fn rewritten(wasm: &[u8]) -> Result<Vec<u8>, Error> {
    start_as_export(wasm)
        .and_then(|wasm| limit_call_depth(&wasm, MAX_CALL_DEPTH))
        .map_err(|message| Error::InvalidModule {
            backend: NAME,
            message,
        })
}

/// A temporary file for a prepared module, removed with the last clone of it.
pub fn temp(suffix: &str) -> Result<tempfile::NamedTempFile, Error> {
    tempfile::Builder::new()
        .prefix("wasiport-wasmedge-")
        .suffix(suffix)
        .tempfile()
        .map_err(|e| internal(format!("cannot make a temporary file: {e}")))
}

/// A temporary file holding `bytes`, removed with the returned path.
pub fn temp_with(suffix: &str, bytes: &[u8]) -> Result<tempfile::TempPath, Error> {
    let mut file = temp(suffix)?;
    file.write_all(bytes).map_err(|source| Error::Io {
        path: file.path().to_path_buf(),
        source,
    })?;
    Ok(file.into_temp_path())
}

/// Runs modules on WasmEdge in worker processes: see the [crate] documentation.
pub struct WasmedgeProcess {
    id: BackendId,
    mode: Mode,
    capabilities: Capabilities,
    worker: Worker,
    service: Service,
    version: &'static str,
}

/// A compiled module: the rewritten `.wasm` and, in [`Mode::Aot`], its library, in temporary
/// files that go away with the last clone of the [`CompiledModule`].
struct Prepared {
    wasm: tempfile::TempPath,
    aot: Option<tempfile::TempPath>,
}

impl WasmedgeProcess {
    /// A backend that interprets modules ([`Mode::Interpreter`]).
    ///
    /// Fails with [`Error::Unavailable`], saying why, when the worker program cannot be found
    /// or started (no libwasmedge), or loads another WasmEdge release than [`RUNTIME_VERSION`].
    pub fn new() -> Result<Self, Error> {
        WasmedgeProcess::with_mode(Mode::Interpreter)
    }

    /// A backend that compiles modules ahead of time ([`Mode::Aot`]).
    pub fn aot() -> Result<Self, Error> {
        WasmedgeProcess::with_mode(Mode::Aot)
    }

    /// A backend in the given mode.
    pub fn with_mode(mode: Mode) -> Result<Self, Error> {
        let unavailable = |reason: String| Error::Unavailable {
            backend: NAME,
            reason,
        };
        let worker = Worker::find().map_err(unavailable)?;
        let service = Service::new(worker.clone());
        let version = match service.ask(&Request::Version).map_err(unavailable)? {
            Reply::Version { version, protocol } if protocol == protocol::PROTOCOL => version,
            Reply::Version { protocol, .. } => {
                return Err(unavailable(format!(
                    "the worker {} speaks protocol {protocol}, this program {}: use the worker \
                     of the same wasiport release",
                    worker.program().display(),
                    protocol::PROTOCOL
                )))
            }
            other => return Err(internal(format!("the worker answered {other:?}"))),
        };
        if version != RUNTIME_VERSION {
            return Err(unavailable(format!(
                "built for libwasmedge {RUNTIME_VERSION}, but the worker {} loaded {version}",
                worker.program().display()
            )));
        }
        Ok(WasmedgeProcess {
            id: BackendId::new(NAME),
            mode,
            capabilities: Capability::FOR_MODULES
                .iter()
                .copied()
                // No backtraces in WasmEdge's errors; host functions and instances would need
                // the guest in this process; a saved module would be the worker's AOT library
                // without the `.wasm` a portable run reads its imports from.
                .filter(|c| {
                    !matches!(
                        c,
                        Capability::TrapBacktrace
                            | Capability::HostFunctions
                            | Capability::Instances
                            | Capability::SerializedModules
                    )
                })
                .collect(),
            worker,
            service,
            version: RUNTIME_VERSION,
        })
    }

    /// The mode this backend compiles in.
    pub fn mode(&self) -> Mode {
        self.mode
    }

    /// The worker program this backend starts.
    pub fn worker(&self) -> &std::path::Path {
        self.worker.program()
    }

    fn ask(&self, request: &Request) -> Result<(), Error> {
        match self.service.ask(request).map_err(internal)? {
            Reply::Done => Ok(()),
            Reply::Invalid { message } => Err(Error::InvalidModule {
                backend: NAME,
                message,
            }),
            Reply::Failed { message } => Err(internal(message)),
            other => Err(internal(format!("the worker answered {other:?}"))),
        }
    }
}

fn utf8(path: &std::path::Path) -> Result<String, Error> {
    path.to_str()
        .map(str::to_owned)
        .ok_or_else(|| internal("a temporary path is not UTF-8"))
}

impl Backend for WasmedgeProcess {
    fn id(&self) -> BackendId {
        self.id
    }

    fn runtime_version(&self) -> &'static str {
        self.version
    }

    fn capabilities(&self) -> &Capabilities {
        &self.capabilities
    }

    fn compile(&self, wasm: &[u8]) -> Result<CompiledModule, Error> {
        // A component this backend cannot run is refused before the runtime sees it.
        let info = wasiport::preflight::module_info(NAME, &self.capabilities, wasm)?;
        // WasmEdge's own verdict on the module as it was given, then the rewritten one.
        let given = temp_with(".wasm", wasm)?;
        self.ask(&Request::Validate {
            wasm: utf8(&given)?,
        })?;
        drop(given);
        let wasm = temp_with(".wasm", &rewritten(wasm)?)?;
        let aot = match self.mode {
            Mode::Interpreter => None,
            Mode::Aot => {
                let out = temp(".so")?.into_temp_path();
                self.ask(&Request::CompileAot {
                    wasm: utf8(&wasm)?,
                    out: utf8(&out)?,
                })?;
                Some(out)
            }
        };
        Ok(CompiledModule::new(self.id, info, Prepared { wasm, aot }))
    }

    fn engine_fingerprint(&self) -> String {
        match self.mode {
            Mode::Interpreter => "worker,interpreter".into(),
            Mode::Aot => format!("worker,aot,depth-{MAX_CALL_DEPTH}"),
        }
    }

    fn run(&self, compiled: &CompiledModule, config: &RunConfig) -> Result<Outcome, Error> {
        let prepared: &Prepared = compiled.native(self.id)?;
        let run = match RunKit::begin(self.id, &self.capabilities, compiled, config)? {
            Ok(run) => run,
            Err(early) => return Ok(early),
        };
        let module = run::Module {
            file: prepared.aot.as_deref().unwrap_or(&prepared.wasm),
            wasm: &prepared.wasm,
            aot: prepared.aot.is_some(),
        };
        run::run_in_worker(&self.worker, module, config, run)
    }
}
