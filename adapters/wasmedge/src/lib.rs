//! The [WasmEdge](https://wasmedge.org) backend of [`wasiport`], on libwasmedge 0.14 through
//! wasmedge-sys's bindings of its C API, with WasmEdge's own WASI preview 1.
//!
//! ```
//! use wasiport::{Backend, RunConfig, Termination};
//! // WasmEdge's own WASI runs in a copy of this program: it serves that copy's job here.
//! wasiport_wasmedge::serve_if_asked();
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
//! A run with WasmEdge's own WASI happens in a worker process (this program, started again),
//! because that WASI can only use the process's own stdin, stdout and stderr: the program calls
//! [`serve_if_asked`] first in its `main` to be able to (see `worker.rs`).
//! With the portable WASI, runs and instances happen in this process (`in_process.rs`), and
//! call the host's own functions:
//!
//! ```
//! use wasiport::{Backend, RunConfig, WasiImpl};
//! let backend = wasiport_wasmedge::Wasmedge::new()?;
//! let module = backend.compile(&wat::parse_str(
//!     r#"(module (func (export "square") (param i64) (result i64) local.get 0 local.get 0 i64.mul))"#,
//! )?)?;
//! let mut instance = backend.instantiate(&module, &RunConfig::default())?;
//! assert_eq!(instance.call_typed::<i64, i64>("square", 12)?, 144);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! The crate's README lists what the adapter normalizes and what WasmEdge cannot do.
#![warn(missing_docs)]

mod capi;
mod host;
mod in_process;
mod termination;
mod worker;

pub use wasiport_wasmedge_process::{Mode, MAX_CALL_DEPTH, NAME, RUNTIME_VERSION};
pub use worker::{serve_if_asked, worker_main};

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use wasiport::kit::{InstanceKit, RunKit};
use wasiport::{
    Backend, BackendId, Capabilities, Capability, CompiledModule, Error, Instance, ModuleInfo,
    Outcome, RunConfig, WasiImpl,
};

use wasiport_wasmedge_process::locate::Worker;
use wasiport_wasmedge_process::{rewritten, temp, temp_with};

use crate::capi::{Configure, Source};
use crate::in_process::{Guest, WasmedgeInstance};

pub(crate) use wasiport_wasmedge_process::internal;

/// Runs modules on WasmEdge: with its own WASI preview-1 implementation, each run in a worker
/// process of this program; with the portable WASI, in this process, where host functions and
/// instances are too.
///
/// A run with host functions, and an instance, need this process, so they get the portable
/// WASI unless WasmEdge's own is chosen ([`RunConfig::wasi`]); with it chosen, they are refused
/// ([`Error::InvalidConfig`]).
pub struct Wasmedge {
    /// This value's identity: its modules carry it.
    id: BackendId,
    mode: Mode,
    capabilities: Capabilities,
}

/// A compiled module: the validated `.wasm`, or the AOT shared library, in a temporary file
/// that runs load and that goes away with the last clone of the [`CompiledModule`]. Either is
/// of the module rewritten for WasmEdge: its call depth limited, its start function an export
/// (see `in_process.rs`).
struct Prepared {
    file: PreparedFile,
    /// How it was prepared: only an AOT library is worth saving.
    mode: Mode,
}

/// A prepared module's file: this process's own temporary file, or (in a worker) the host's.
enum PreparedFile {
    Owned(tempfile::TempPath),
    Borrowed(PathBuf),
}

impl std::ops::Deref for PreparedFile {
    type Target = Path;

    fn deref(&self) -> &Path {
        match self {
            PreparedFile::Owned(temp) => temp,
            PreparedFile::Borrowed(path) => path,
        }
    }
}

fn invalid(e: capi::Failure) -> Error {
    Error::InvalidModule {
        backend: NAME,
        message: e.message,
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
        capi::log_off();
        let loaded = loaded_version();
        if loaded != RUNTIME_VERSION {
            return Err(internal(format!(
                "built for libwasmedge {RUNTIME_VERSION}, but {loaded} was loaded"
            )));
        }
        Ok(Wasmedge {
            id: BackendId::new(NAME),
            mode,
            capabilities: Capability::FOR_MODULES
                .iter()
                .copied()
                // No backtraces in WasmEdge's errors. Host functions, preopened sockets and
                // instances are the portable WASI's, in this process.
                .filter(|c| *c != Capability::TrapBacktrace)
                // The AOT library is saved as it is; an interpreted module is only validated,
                // which is what compiling it again does.
                .filter(|c| *c != Capability::SerializedModules || mode == Mode::Aot)
                .collect(),
        })
    }

    /// The mode this backend compiles in.
    pub fn mode(&self) -> Mode {
        self.mode
    }

    /// The module prepared at `file` (by a host this worker serves, which keeps the file), as
    /// this backend's own.
    fn prepared_elsewhere(&self, file: PathBuf, info: ModuleInfo) -> CompiledModule {
        let file = PreparedFile::Borrowed(file);
        CompiledModule::new(
            self.id,
            info,
            Prepared {
                file,
                mode: self.mode,
            },
        )
    }

    /// The WASI of a run (or an instance: `in_process`) of `config`: the one chosen, or by
    /// default WasmEdge's own, unless the run needs this process.
    fn wasi(config: &RunConfig, in_process: bool) -> Result<WasiImpl, Error> {
        match (config.wasi(), in_process) {
            (Some(WasiImpl::Native), true) => Err(Error::InvalidConfig(format!(
                "{NAME}: host functions and instances are served with the portable WASI only \
                 (WasiImpl::Portable, --wasi portable): WasmEdge's own WASI runs in a worker \
                 process, which cannot call the host's functions"
            ))),
            (Some(chosen), _) => Ok(chosen),
            (None, true) => Ok(WasiImpl::Portable),
            (None, false) => Ok(WasiImpl::Native),
        }
    }
}

/// A prepared module's file as the UTF-8 path WasmEdge takes.
fn path(prepared: &Prepared) -> Result<&str, Error> {
    prepared
        .file
        .to_str()
        .ok_or_else(|| internal("a temporary path is not UTF-8"))
}

/// This machine's CPU as AOT code depends on it: a hash (FNV-1a) of the first processor's model
/// name and feature flags in `/proc/cpuinfo`, so that a library compiled for one CPU is never
/// taken from a cache another one shares.
fn host_cpu() -> &'static str {
    static CPU: OnceLock<String> = OnceLock::new();
    CPU.get_or_init(|| {
        let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
        let field = |name: &str| {
            cpuinfo
                .lines()
                .find(|l| l.split(':').next().map(str::trim) == Some(name))
                .unwrap_or_default()
                .to_string()
        };
        let identity = format!(
            "{}\n{}\n{}",
            std::env::consts::ARCH,
            field("model name"),
            field("flags")
        );
        let hash = identity.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
            (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
        });
        format!("{hash:016x}")
    })
}

/// This very program as a worker, even when its file was replaced since it started (cargo's
/// runner patches binaries in place): Linux keeps the running image reachable as /proc/self/exe.
fn this_program() -> Result<Worker, Error> {
    let exe = match Path::new("/proc/self/exe") {
        linux if linux.exists() => linux.to_path_buf(),
        _ => std::env::current_exe()
            .map_err(|e| internal(format!("cannot find this program to start a worker: {e}")))?,
    };
    Ok(Worker::at(exe))
}

fn loaded_version() -> &'static str {
    static VERSION: OnceLock<String> = OnceLock::new();
    VERSION.get_or_init(capi::version)
}

impl Backend for Wasmedge {
    fn id(&self) -> BackendId {
        self.id
    }

    fn runtime_version(&self) -> &'static str {
        loaded_version()
    }

    fn capabilities(&self) -> &Capabilities {
        &self.capabilities
    }

    fn compile(&self, wasm: &[u8]) -> Result<CompiledModule, Error> {
        // A component this backend cannot run is refused before the runtime sees it.
        let info = wasiport::preflight::module_info(NAME, &self.capabilities, wasm)?;
        let mut config = Configure::new(None).map_err(internal)?;
        config.load(Source::Bytes(wasm)).map_err(invalid)?;
        let wasm = &rewritten(wasm)?;
        let file = match self.mode {
            Mode::Interpreter => PreparedFile::Owned(temp_with(".wasm", wasm)?),
            Mode::Aot => {
                // Compiled-in counting, so that a fuel budget holds for native code too.
                config.measure_cost();
                let path = temp(".so")?.into_temp_path();
                let out = path
                    .to_str()
                    .ok_or_else(|| internal("a temporary path is not UTF-8"))?;
                config.compile_aot(wasm, out).map_err(invalid)?;
                PreparedFile::Owned(path)
            }
        };
        let mode = self.mode;
        Ok(CompiledModule::new(self.id, info, Prepared { file, mode }))
    }

    fn engine_fingerprint(&self) -> String {
        match self.mode {
            Mode::Interpreter => "interpreter".into(),
            // Native code for this machine's CPU, with cost counting and stop checks compiled
            // in, of the module rewritten with its depth limit.
            Mode::Aot => format!(
                "aot,cost,interruptible,cyclic-depth-{MAX_CALL_DEPTH},cpu-{}",
                host_cpu()
            ),
        }
    }

    fn serialize(&self, module: &CompiledModule) -> Result<Option<Vec<u8>>, Error> {
        let prepared: &Prepared = module.native(self.id)?;
        if prepared.mode != Mode::Aot || self.mode != Mode::Aot {
            return Ok(None);
        }
        std::fs::read(&*prepared.file)
            .map(Some)
            .map_err(|source| Error::Io {
                path: prepared.file.to_path_buf(),
                source,
            })
    }

    unsafe fn deserialize(&self, bytes: &[u8], info: ModuleInfo) -> Result<CompiledModule, Error> {
        if self.mode != Mode::Aot {
            return Err(internal("only an AOT backend loads saved modules"));
        }
        // The library is written back to a file of its own for the workers to load; WasmEdge
        // checks its own version and format when one does.
        let file = temp_with(".so", bytes)?;
        Ok(CompiledModule::new(
            self.id,
            info,
            Prepared {
                file: PreparedFile::Owned(file),
                mode: Mode::Aot,
            },
        ))
    }

    fn run(&self, compiled: &CompiledModule, config: &RunConfig) -> Result<Outcome, Error> {
        let prepared: &Prepared = compiled.native(self.id)?;
        let in_process = !config.host_functions().is_empty();
        let run = match RunKit::begin_with(self.id, &self.capabilities, compiled, config, |c| {
            Wasmedge::wasi(c, in_process)
        })? {
            Ok(run) => run,
            Err(early) => return Ok(early),
        };
        match run.wasi {
            WasiImpl::Native => {
                if !worker::serves_jobs() {
                    return Err(Error::InvalidConfig(format!(
                        "{NAME}: WasmEdge's own WASI runs in a worker process, a copy of this \
                         program, which must call wasiport_wasmedge::serve_if_asked() first in \
                         main (or be built with the crate's feature worker-constructor); the \
                         portable WASI (--wasi portable) needs no worker"
                    )));
                }
                let module = wasiport_wasmedge_process::run::Module {
                    file: &prepared.file,
                    wasm: &prepared.file,
                    aot: prepared.mode == Mode::Aot,
                };
                wasiport_wasmedge_process::run::run_in_worker(&this_program()?, module, config, run)
            }
            WasiImpl::Portable => in_process::run(path(prepared)?, self.mode, config, run),
        }
    }

    fn instantiate(
        &self,
        compiled: &CompiledModule,
        config: &RunConfig,
    ) -> Result<Instance, Error> {
        let prepared: &Prepared = compiled.native(self.id)?;
        let kit = InstanceKit::begin_with(self.id, &self.capabilities, compiled, config, |c| {
            Wasmedge::wasi(c, true)
        })?;
        // Counted: any call may ask for fuel.
        let mut guest = Guest::new(path(prepared)?, self.mode, config, &kit.functions, true)?;
        // The start function and `_initialize` get the fuel and time of one call.
        let deadline = kit.limits.timeout.map(|t| std::time::Instant::now() + t);
        if let Some((stage, ended)) = guest.start("_initialize", kit.limits.fuel, deadline)? {
            let what = match stage {
                in_process::Stage::StartFunction => "start function",
                in_process::Stage::Then => "`_initialize`",
            };
            return Err(Error::Instantiation {
                backend: NAME,
                message: format!("its {what} ended: {ended}"),
            });
        }
        Ok(kit.end(compiled, config, Box::new(WasmedgeInstance { guest })))
    }
}
