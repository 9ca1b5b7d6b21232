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
mod fuel;
mod host;
mod instance;
mod stack;
mod termination;

use std::sync::Arc;

use wasiport::kit::{InstanceKit, RunKit};
use wasiport::rewrite::{Metering, Variants, FUEL_GLOBAL, REFUEL_IMPORT};
use wasiport::{
    Backend, BackendId, Capabilities, Capability, CompiledModule, Error, Instance, Outcome,
    RunConfig, WasiImpl,
};

use crate::ffi::{GlobalI64, Runtime};
use crate::fuel::Meter;
use crate::host::Failure;
use crate::instance::Wasm3Instance;
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
/// guest and no memory cap that its API sets: a run with a memory cap runs the module with its
/// memory's maximum lowered ([`wasiport::rewrite::limit_memory`]), and one with fuel or a
/// timeout runs it metered ([`wasiport::rewrite::meter`]), the host checking both each time the
/// guest asks for more fuel.
pub struct Wasm3 {
    /// This value's identity: its modules carry it.
    id: BackendId,
    capabilities: Capabilities,
    /// The big native stacks runs happen on (an instance's calls too).
    stacks: Arc<StackPool>,
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
            id: BackendId::new(NAME),
            // The portable WASI is its only WASI; it needs nothing but host functions.
            capabilities: [
                Capability::PortableWasi,
                Capability::HostFunctions,
                Capability::PreopenedSockets,
                Capability::Fuel,
                Capability::Timeout,
                Capability::MemoryLimit,
                Capability::Instances,
            ]
            .into_iter()
            .chain(Capability::SERVED_BY_PORTABLE_WASI.iter().copied())
            .collect(),
            stacks: Arc::default(),
        }
    }
}

/// A module: its bytes, and those of its capped and metered variants (wasm3 parses them again
/// for each run's runtime, and keeps pointers into them).
struct Compiled {
    variants: Variants,
}

fn invalid(message: String) -> Error {
    Error::InvalidModule {
        backend: NAME,
        message,
    }
}

impl Backend for Wasm3 {
    fn id(&self) -> BackendId {
        self.id
    }

    fn runtime_version(&self) -> &'static str {
        RUNTIME_VERSION
    }

    fn capabilities(&self) -> &Capabilities {
        &self.capabilities
    }

    fn compile(&self, wasm: &[u8]) -> Result<CompiledModule, Error> {
        let info = wasiport::preflight::module_info(NAME, &self.capabilities, wasm)?;
        ffi::parse(wasm).map_err(invalid)?;
        Ok(CompiledModule::new(
            self.id,
            info,
            Compiled {
                variants: Variants::new(wasm),
            },
        ))
    }

    /// `"metered"` for runs with a fuel budget or a timeout: they run the module rewritten to
    /// count fuel (made on the first such run).
    fn code_variant(&self, limits: &wasiport::Limits) -> &'static str {
        match limits.fuel.is_some() || limits.timeout.is_some() {
            true => "metered",
            false => "",
        }
    }

    fn run(&self, compiled: &CompiledModule, config: &RunConfig) -> Result<Outcome, Error> {
        let native: &Compiled = compiled.native(self.id)?;
        let capabilities = &self.capabilities;
        let run = match RunKit::begin_with(self.id, capabilities, compiled, config, |config| {
            portable_only(config, capabilities)
        })? {
            Ok(run) => run,
            Err(early) => return Ok(early),
        };
        let limits = run.limits;
        let metering =
            (limits.fuel.is_some() || limits.timeout.is_some()).then_some(Metering::Refuel);
        let variant = native.variants.for_run(NAME, config, metering)?;
        let mut functions = run.functions.clone();
        let meter = metering.map(|_| Meter::new(limits.fuel, run.deadline()));
        if let Some(meter) = &meter {
            functions.push(meter.refuel_function()?);
        }
        let imports = compiled.info().imports();
        let imported = |m: &str, n: &str| {
            (meter.is_some() && (m, n) == REFUEL_IMPORT)
                || imports.iter().any(|i| i.module == m && i.name == n)
        };
        let go = || -> Result<(wasiport::Termination, Option<i64>), Error> {
            let runtime = Runtime::new(VALUE_STACK_BYTES).map_err(internal)?;
            let module = runtime.load(&variant.wasm).map_err(invalid)?;
            let failure = Failure::default();
            let _slots = host::link(module, &functions, imported, &failure).map_err(internal)?;
            let counter = match &meter {
                Some(_) => {
                    let counter =
                        GlobalI64::find(module, &ffi::c_string(FUEL_GLOBAL)).map_err(internal)?;
                    // Nothing handed out yet: the first charge asks for a slice.
                    counter.set(0).map_err(internal)?;
                    Some(counter)
                }
                None => None,
            };
            // The start function, if any, within the run's fuel and time (wasm3 instantiates
            // before it runs it, so the counter is set first). One that does not return leaves
            // no instance, and no run.
            if let Err(message) = runtime.run_start(module) {
                let ended = meter
                    .as_ref()
                    .and_then(Meter::ended)
                    .unwrap_or_else(|| classify(Err(message), &failure));
                return Err(Error::ended_in_instantiation(NAME, &ended));
            }
            let start = runtime.find_function(c"_start").map_err(invalid)?;
            let result = runtime.call(start);
            let termination = match meter.as_ref().and_then(Meter::ended) {
                Some(ended) => ended,
                None => classify(result, &failure),
            };
            let left = counter.map(|c| c.get()).transpose().map_err(internal)?;
            Ok((termination, left))
        };
        let (termination, left) = self.stacks.run(go).map_err(internal)??;
        let fuel_consumed = match (&meter, limits.fuel, left) {
            (Some(meter), Some(_), Some(left)) => Some(meter.consumed(left)),
            _ => None,
        };
        Ok(run.end(termination, fuel_consumed))
    }

    fn instantiate(
        &self,
        compiled: &CompiledModule,
        config: &RunConfig,
    ) -> Result<Instance, Error> {
        let native: &Compiled = compiled.native(self.id)?;
        let capabilities = &self.capabilities;
        let kit = InstanceKit::begin_with(self.id, capabilities, compiled, config, |config| {
            portable_only(config, capabilities)
        })?;
        // Always metered: each call's fuel and timeout can be set, and its fuel is counted.
        let variant = native
            .variants
            .for_run(NAME, config, Some(Metering::Refuel))?;
        let mut functions = kit.functions.clone();
        let meter = Meter::new(None, None);
        functions.push(meter.refuel_function()?);
        let imports = compiled.info().imports();
        let imported = |m: &str, n: &str| {
            (m, n) == REFUEL_IMPORT || imports.iter().any(|i| i.module == m && i.name == n)
        };
        let runtime = Runtime::new(VALUE_STACK_BYTES).map_err(internal)?;
        let module = runtime
            .load(&variant.wasm)
            .map_err(|message| Error::Instantiation {
                backend: NAME,
                message,
            })?;
        let failure = Failure::default();
        let slots = host::link(module, &functions, imported, &failure).map_err(internal)?;
        let counter = GlobalI64::find(module, &ffi::c_string(FUEL_GLOBAL)).map_err(internal)?;
        let mut instance = Wasm3Instance {
            runtime,
            module,
            _slots: slots,
            _wasm: variant.wasm,
            failure,
            meter,
            counter,
            stacks: self.stacks.clone(),
            memories: compiled
                .info()
                .exported_memories()
                .map(str::to_string)
                .collect(),
        };
        if let Some(message) = instance.start(kit.limits)? {
            return Err(Error::Instantiation {
                backend: NAME,
                message,
            });
        }
        Ok(kit.end(compiled, config, Box::new(instance)))
    }
}

/// The portable WASI, wasm3's only one: [`Error::Unsupported`] when the runtime's own is asked.
fn portable_only(config: &RunConfig, capabilities: &Capabilities) -> Result<WasiImpl, Error> {
    match config.wasi_for(capabilities) {
        WasiImpl::Portable => Ok(WasiImpl::Portable),
        WasiImpl::Native => Err(Error::Unsupported {
            backend: NAME,
            feature: Capability::WasiPreview1,
        }),
    }
}

fn internal(e: impl std::fmt::Display) -> Error {
    Error::Internal {
        backend: NAME,
        message: e.to_string(),
    }
}
