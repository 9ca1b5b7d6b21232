//! The [wasm3](https://github.com/wasm3/wasm3) backend of [`wasiport`]: the wasm3 0.9.0
//! interpreter (vendored C, through `wasm3x-sys`) with wasiport's
//! [portable WASI](wasiport::portable).
//!
//! ```
//! use wasiport::{Backend, RunConfig, Termination};
//! let backend = wasiport_wasm3::Wasm3::new();
//! let wasm = wat::parse_str(r#"(module
//!     (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
//!     (memory (export "memory") 1)
//!     (func (export "_start") (call $exit (i32.const 3))))"#)?;
//! let module = backend.compile(&wasm)?;
//! assert_eq!(backend.run(&module, &RunConfig::default())?.termination, Termination::Exited(3));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! What it normalizes, and what wasm3 cannot do, is written down in the crate's README.
#![warn(missing_docs)]

mod ffi;
mod host;
mod stack;
mod termination;

use std::sync::Arc;
use std::time::Instant;

use wasiport::support::{host_functions, preflight, OutputStreams};
use wasiport::{
    Backend, Capabilities, Capability, CompiledModule, Error, ModuleInfo, Outcome, RunConfig,
    WasiImpl,
};

use crate::ffi::Runtime;
use crate::host::Failure;
use crate::stack::StackPool;
use crate::termination::classify;

/// The backend's name.
pub const NAME: &str = "wasm3";
/// The wasm3 version vendored by `wasm3x-sys` 0.2.1.
pub const RUNTIME_VERSION: &str = "0.9.0";

/// wasm3's value stack per run: deep enough for what Rust and C guests recurse.
const VALUE_STACK_BYTES: u32 = 8 << 20;

/// Runs modules on the wasm3 interpreter, with the portable WASI.
///
/// wasm3's own WASI is not used: it writes to the host process's fds 0-2, keeps one context
/// per process, and lacks much of preview 1. wasm3 has no fuel, no way to interrupt a running
/// guest and no memory cap that its API sets, so those capabilities are not declared.
pub struct Wasm3 {
    capabilities: Capabilities,
    /// The big native stacks runs happen on.
    stacks: StackPool,
}

impl Default for Wasm3 {
    fn default() -> Self {
        Wasm3::new()
    }
}

impl Wasm3 {
    /// A backend. Each run gets an environment and a runtime of its own.
    pub fn new() -> Self {
        Wasm3 {
            // The portable WASI is its only WASI; it needs nothing but host functions.
            capabilities: [
                Capability::PortableWasi,
                Capability::HostFunctions,
                Capability::PreopenedSockets,
            ]
            .into_iter()
            .chain(Capability::SERVED_BY_PORTABLE_WASI.iter().copied())
            .collect(),
            stacks: StackPool::default(),
        }
    }
}

/// A module: its bytes (wasm3 parses them again for each run's runtime, and keeps pointers
/// into them).
struct Compiled {
    wasm: Arc<[u8]>,
}

fn invalid(message: String) -> Error {
    Error::InvalidModule {
        backend: NAME,
        message,
    }
}

impl Backend for Wasm3 {
    fn name(&self) -> &'static str {
        NAME
    }

    fn runtime_version(&self) -> &'static str {
        RUNTIME_VERSION
    }

    fn capabilities(&self) -> &Capabilities {
        &self.capabilities
    }

    fn compile(&self, wasm: &[u8]) -> Result<CompiledModule, Error> {
        let info = ModuleInfo::parse(wasm).map_err(invalid)?;
        ffi::parse(wasm).map_err(invalid)?;
        Ok(CompiledModule::new(
            NAME,
            info,
            Compiled {
                wasm: Arc::from(wasm),
            },
        ))
    }

    fn run(&self, compiled: &CompiledModule, config: &RunConfig) -> Result<Outcome, Error> {
        let native: &Compiled = compiled.native(NAME)?;
        if let Some(outcome) = preflight(NAME, &self.capabilities, compiled, config)? {
            return Ok(outcome);
        }
        let wasi = config.wasi_for(&self.capabilities);
        if wasi != WasiImpl::Portable {
            return Err(Error::Unsupported {
                backend: NAME,
                feature: Capability::WasiPreview1,
            });
        }
        let streams = OutputStreams::new(config);
        let functions = host_functions(config, wasi, &streams)?;
        let imports = compiled.info().imports();
        let imported = |m: &str, n: &str| imports.iter().any(|i| i.module == m && i.name == n);
        let started = Instant::now();
        let run = || -> Result<wasiport::Termination, Error> {
            let runtime = Runtime::new(VALUE_STACK_BYTES).map_err(internal)?;
            let module = runtime.load(&native.wasm).map_err(invalid)?;
            let failure = Failure::default();
            let _slots = host::link(module, &functions, imported, &failure).map_err(internal)?;
            let start = runtime.find_function(c"_start").map_err(invalid)?;
            let result = runtime.call(start);
            Ok(classify(result, &failure))
        };
        let termination = self.stacks.run(run).map_err(internal)??;
        Ok(streams.outcome(termination, started.elapsed(), None))
    }
}

fn internal(e: impl std::fmt::Display) -> Error {
    Error::Internal {
        backend: NAME,
        message: e.to_string(),
    }
}
