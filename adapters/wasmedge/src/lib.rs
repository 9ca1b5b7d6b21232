//! The [WasmEdge](https://wasmedge.org) backend of [`wasiport`], on libwasmedge 0.14 through
//! wasmedge-sys's bindings of its C API, with WasmEdge's own WASI preview 1.
//!
//! ```
//! use wasiport::{Backend, RunConfig, Termination};
//! let backend = wasiport_wasmedge::Wasmedge::new()?;
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
//! Each run happens in a worker process (this program, started again), because WasmEdge's WASI
//! can only use the process's own stdin, stdout and stderr: see `worker.rs` and the crate's
//! README, which also lists what the adapter normalizes and what WasmEdge cannot do.
#![warn(missing_docs)]

mod capi;
mod host;
mod job;
mod process;
mod termination;
mod worker;

use std::io::Write;
use std::sync::OnceLock;

use wasiport::support::preflight;
use wasiport::{
    Backend, Capabilities, Capability, CompiledModule, Error, ModuleInfo, Outcome, RunConfig,
};

use crate::capi::{Configure, Source};

/// The backend's name.
pub const NAME: &str = "wasmedge";
/// The WasmEdge release this crate is built for; [`Wasmedge::new`] checks the loaded library.
pub const RUNTIME_VERSION: &str = "0.14.1";

/// How [`Backend::compile`] prepares a module.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Validated, then interpreted at each run (WasmEdge's default).
    Interpreter,
    /// Compiled ahead of time by WasmEdge's LLVM compiler into a native shared library, which
    /// each run loads: slower to compile, much faster to run.
    Aot,
}

/// Runs modules on WasmEdge with its own WASI preview-1 implementation, each run in a worker
/// process of this program.
pub struct Wasmedge {
    mode: Mode,
    capabilities: Capabilities,
}

/// A compiled module: the validated `.wasm`, or the AOT shared library, in a temporary file
/// that the workers load and that goes away with the last clone of the [`CompiledModule`].
struct Prepared {
    file: tempfile::TempPath,
}

fn invalid(e: capi::Failure) -> Error {
    Error::InvalidModule {
        backend: NAME,
        message: e.message,
    }
}

pub(crate) fn internal(message: impl std::fmt::Display) -> Error {
    Error::Internal {
        backend: NAME,
        message: message.to_string(),
    }
}

impl Wasmedge {
    /// A backend that interprets modules ([`Mode::Interpreter`]).
    ///
    /// Fails when the loaded libwasmedge is not the release this crate was built for.
    pub fn new() -> Result<Self, Error> {
        Wasmedge::with_mode(Mode::Interpreter)
    }

    /// A backend that compiles modules ahead of time ([`Mode::Aot`]).
    pub fn aot() -> Result<Self, Error> {
        Wasmedge::with_mode(Mode::Aot)
    }

    /// A backend in the given mode.
    pub fn with_mode(mode: Mode) -> Result<Self, Error> {
        // Keep the worker's constructor in every program that can reach this.
        std::hint::black_box(worker::linked());
        capi::log_off();
        let loaded = loaded_version();
        if loaded != RUNTIME_VERSION {
            return Err(internal(format!(
                "built for libwasmedge {RUNTIME_VERSION}, but {loaded} was loaded"
            )));
        }
        Ok(Wasmedge {
            mode,
            capabilities: Capability::ALL
                .iter()
                .copied()
                // No backtraces in WasmEdge's errors; a user's host closures live in the host
                // process, not in the worker where the guest runs. (The portable WASI is made
                // again in the worker, so it is declared.)
                // Its AOT libraries are files of their own, not (yet) serialized modules.
                .filter(|c| {
                    !matches!(
                        c,
                        Capability::TrapBacktrace
                            | Capability::HostFunctions
                            | Capability::SerializedModules
                            // A listener of the host's does not reach the worker.
                            | Capability::PreopenedSockets
                    )
                })
                .collect(),
        })
    }

    /// The mode this backend compiles in.
    pub fn mode(&self) -> Mode {
        self.mode
    }
}

fn loaded_version() -> &'static str {
    static VERSION: OnceLock<String> = OnceLock::new();
    VERSION.get_or_init(capi::version)
}

impl Backend for Wasmedge {
    fn name(&self) -> &'static str {
        NAME
    }

    fn runtime_version(&self) -> &'static str {
        loaded_version()
    }

    fn capabilities(&self) -> &Capabilities {
        &self.capabilities
    }

    fn compile(&self, wasm: &[u8]) -> Result<CompiledModule, Error> {
        let mut config = Configure::new(None).map_err(internal)?;
        config.load(Source::Bytes(wasm)).map_err(invalid)?;
        let info = ModuleInfo::parse(wasm).map_err(|message| Error::InvalidModule {
            backend: NAME,
            message,
        })?;
        let temp = |suffix: &str| {
            tempfile::Builder::new()
                .prefix("wasiport-wasmedge-")
                .suffix(suffix)
                .tempfile()
                .map_err(|e| internal(format!("cannot make a temporary file: {e}")))
        };
        let file = match self.mode {
            Mode::Interpreter => {
                let mut file = temp(".wasm")?;
                file.write_all(wasm).map_err(|source| Error::Io {
                    path: file.path().to_path_buf(),
                    source,
                })?;
                file.into_temp_path()
            }
            Mode::Aot => {
                // Compiled-in counting, so that a fuel budget holds for native code too.
                config.measure_cost();
                let path = temp(".so")?.into_temp_path();
                let out = path
                    .to_str()
                    .ok_or_else(|| internal("a temporary path is not UTF-8"))?;
                config.compile_aot(wasm, out).map_err(invalid)?;
                path
            }
        };
        Ok(CompiledModule::new(NAME, info, Prepared { file }))
    }

    fn run(&self, compiled: &CompiledModule, config: &RunConfig) -> Result<Outcome, Error> {
        let prepared: &Prepared = compiled.native(NAME)?;
        if let Some(outcome) = preflight(NAME, &self.capabilities, compiled, config)? {
            return Ok(outcome);
        }
        process::run_in_worker(&prepared.file, config, config.wasi_for(&self.capabilities))
    }
}
