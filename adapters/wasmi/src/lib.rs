//! The [wasmi](https://github.com/wasmi-labs/wasmi) backend of [`wasiport`]: an interpreter,
//! with `wasmi_wasi` (wasi-common) as its WASI.
//!
//! ```
//! use wasiport::{Backend, RunConfig};
//! let backend = wasiport_wasmi::Wasmi::new()?;
//! let wasm = wat::parse_str(r#"(module (memory (export "memory") 1) (func (export "_start")))"#)?;
//! let module = backend.compile(&wasm)?;
//! assert!(backend.run(&module, &RunConfig::default())?.success());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! What it normalizes, and what wasmi cannot do, is written down in the crate's README.
#![warn(missing_docs)]

mod host;
mod instance;
mod meter;
mod modules;
mod readonly;
mod stdio;
mod termination;

use wasi_common::pipe::ReadPipe;
use wasi_common::sync::{ambient_authority, Dir, WasiCtxBuilder};
use wasi_common::WasiCtx;
use wasiport::kit::{InstanceKit, RunKit};
use wasiport::output::OutputStreams;
use wasiport::{
    Backend, BackendId, Capabilities, Capability, CompiledModule, Error, Instance, Outcome,
    RunConfig, Stdin, Termination, WasiImpl,
};
use wasmi::{Linker, Store, StoreLimits, StoreLimitsBuilder};

use crate::instance::WasmiInstance;
use crate::meter::Meter;
use crate::modules::{Compiled, CoreEngine, Metering};
use crate::readonly::ReadOnlyDir;
use crate::stdio::SinkFile;
use crate::termination::classify;

/// The backend's name.
pub const NAME: &str = "wasmi";
/// The wasmi version this crate is built against (checked against Cargo.lock by a test).
pub const RUNTIME_VERSION: &str = "2.0.0";

/// Runs modules on the wasmi interpreter.
///
/// A run with neither a fuel budget nor a timeout runs code without fuel metering; the others,
/// and instances, run code that counts fuel (`modules`). A timeout is enforced by running in
/// fuel slices and checking the clock between them (wasmi has no epochs and no interrupt).
pub struct Wasmi {
    /// This value's identity: its modules carry it.
    id: BackendId,
    /// By [`Metering`]: without fuel, with it; each with wasmi_wasi's preview 1.
    engines: [CoreEngine; 2],
    capabilities: Capabilities,
}

struct State {
    wasi: WasiCtx,
    limits: StoreLimits,
}

fn internal(e: impl std::fmt::Display) -> Error {
    Error::Internal {
        backend: NAME,
        message: e.to_string(),
    }
}

impl Wasmi {
    /// A backend with its own engine.
    pub fn new() -> Result<Self, Error> {
        let capabilities = Capability::FOR_MODULES
            .iter()
            .copied()
            // No frames in wasmi's errors; it compiles lazily, with nothing to save.
            .filter(|c| !matches!(c, Capability::TrapBacktrace | Capability::SerializedModules))
            .collect();
        Ok(Wasmi {
            id: BackendId::new(NAME),
            engines: [
                CoreEngine::new(Metering::None)?,
                CoreEngine::new(Metering::Fuel)?,
            ],
            capabilities,
        })
    }

    fn wasi_ctx(&self, config: &RunConfig, streams: &OutputStreams) -> Result<WasiCtx, Error> {
        let mut b = WasiCtxBuilder::new();
        b.args(config.argv()).map_err(internal)?;
        b.envs(config.env()).map_err(internal)?;
        match config.stdin() {
            Stdin::Empty => {}
            Stdin::Bytes(bytes) => {
                b.stdin(Box::new(ReadPipe::from(bytes.clone())));
            }
            Stdin::Inherit => {
                b.inherit_stdin();
            }
        }
        b.stdout(Box::new(SinkFile(streams.stdout.clone())));
        b.stderr(Box::new(SinkFile(streams.stderr.clone())));
        let ctx = b.build();
        for p in config.preopens() {
            let io_error = |source| Error::Io {
                path: p.host_path().to_path_buf(),
                source,
            };
            let dir =
                Dir::open_ambient_dir(p.host_path(), ambient_authority()).map_err(io_error)?;
            let dir: Box<dyn wasi_common::WasiDir> =
                Box::new(wasi_common::sync::dir::Dir::from_cap_std(dir));
            let dir = if p.is_read_only() {
                Box::new(ReadOnlyDir(dir))
            } else {
                dir
            };
            ctx.push_preopened_dir(dir, p.guest_path())
                .map_err(internal)?;
        }
        Ok(ctx)
    }
}

impl Backend for Wasmi {
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
        self.compile_for(wasm, &wasiport::Limits::default())
    }

    /// `"fuel"` for runs with a fuel budget or a timeout: they run code translated for the
    /// engine that counts fuel.
    fn code_variant(&self, limits: &wasiport::Limits) -> &'static str {
        Metering::for_limits(limits).name()
    }

    fn compile_for(&self, wasm: &[u8], limits: &wasiport::Limits) -> Result<CompiledModule, Error> {
        // A component this backend cannot run is refused before the runtime sees it.
        let info = wasiport::preflight::module_info(NAME, &self.capabilities, wasm)?;
        let engine = self.engine(Metering::for_limits(limits));
        Ok(CompiledModule::new(
            self.id,
            info,
            Compiled::compile(engine, wasm)?,
        ))
    }

    fn run(&self, compiled: &CompiledModule, config: &RunConfig) -> Result<Outcome, Error> {
        let native: &Compiled = compiled.native(self.id)?;
        let run = match RunKit::begin(self.id, &self.capabilities, compiled, config)? {
            Ok(run) => run,
            Err(early) => return Ok(early),
        };
        let engine = self.engine(Metering::for_limits(config.limits()));
        let module = native.module(engine)?;
        let mut store = self.store(engine, config, run.wasi, &run.streams)?;
        let linker = self.linker(engine, run.wasi, &run.functions)?;
        // The start function, if any, runs on the first slice of the run's fuel.
        let mut meter = match engine.metering {
            Metering::Fuel => Some(Meter::start(&mut store, run.limits)?),
            Metering::None => None,
        };
        let start = linker
            .instantiate_and_start(&mut store, module)
            .map_err(|e| (e, true))
            .and_then(|instance| {
                instance
                    .get_typed_func::<(), ()>(&store, "_start")
                    .map(|start| *start.func())
                    .map_err(|e| (e, false))
            });
        let termination = match start {
            // A start function that does not return leaves no instance: no run.
            Err((error, trapped)) if trapped => {
                return Err(Error::ended_in_instantiation(NAME, &classify(&error)))
            }
            Err((error, _)) => {
                return Err(Error::InvalidModule {
                    backend: NAME,
                    message: error.to_string(),
                })
            }
            Ok(start) => match &mut meter {
                Some(meter) => meter.call(&mut store, start, &[], &mut [])?,
                None => start
                    .call(&mut store, &[], &mut [])
                    .err()
                    .map(|e| classify(&e)),
            }
            .unwrap_or(Termination::Exited(0)),
        };
        let consumed = meter.map(|m| m.consumed(&store)).transpose()?;
        Ok(run.end(termination, consumed))
    }

    fn instantiate(
        &self,
        compiled: &CompiledModule,
        config: &RunConfig,
    ) -> Result<Instance, Error> {
        let native: &Compiled = compiled.native(self.id)?;
        let kit = InstanceKit::begin(self.id, &self.capabilities, compiled, config)?;
        // An instance counts fuel whatever its configuration: its calls' limits can change.
        let engine = self.engine(Metering::Fuel);
        let module = native.module(engine)?;
        let mut store = self.store(engine, config, kit.wasi, &kit.streams)?;
        let linker = self.linker(engine, kit.wasi, &kit.functions)?;
        let failed = |message: String| Error::Instantiation {
            backend: NAME,
            message,
        };
        // The start function and `_initialize` get the fuel and time of one call.
        let mut meter = Meter::start(&mut store, kit.limits)?;
        let instance = linker
            .instantiate_and_start(&mut store, module)
            .map_err(|e| failed(e.to_string()))?;
        if let Some(initialize) = instance.get_func(&store, "_initialize") {
            if let Some(ended) = meter.call(&mut store, initialize, &[], &mut [])? {
                return Err(failed(format!("its `_initialize` ended: {ended}")));
            }
        }
        Ok(kit.end(
            compiled,
            config,
            Box::new(WasmiInstance { store, instance }),
        ))
    }
}

impl Wasmi {
    /// The engine of `metering`.
    fn engine(&self, metering: Metering) -> &CoreEngine {
        &self.engines[metering as usize]
    }

    /// A store on `engine` for a run or an instance of `config` with `wasi`, its WASI writing
    /// to `streams`.
    fn store(
        &self,
        engine: &CoreEngine,
        config: &RunConfig,
        wasi: WasiImpl,
        streams: &OutputStreams,
    ) -> Result<Store<State>, Error> {
        let mut limits = StoreLimitsBuilder::new();
        if let Some(bytes) = config.limits().max_memory_bytes {
            limits = limits.memory_size(usize::try_from(bytes).unwrap_or(usize::MAX));
        }
        let state = State {
            wasi: match wasi {
                WasiImpl::Native => self.wasi_ctx(config, streams)?,
                // Never called: the portable WASI's functions take the linker's WASI names.
                WasiImpl::Portable => WasiCtxBuilder::new().build(),
            },
            limits: limits.build(),
        };
        let mut store = Store::new(&engine.engine, state);
        if config.limits().max_memory_bytes.is_some() {
            // Asked on every memory creation and growth: only when there is a cap to enforce.
            store.limiter(|s| &mut s.limits);
        }
        Ok(store)
    }

    /// The linker with `functions` (the portable WASI's among them with `wasi`): the shared one,
    /// or a copy with the run's own functions in it.
    fn linker<'a>(
        &self,
        engine: &'a CoreEngine,
        wasi: WasiImpl,
        functions: &[wasiport::HostFunction],
    ) -> Result<std::borrow::Cow<'a, Linker<State>>, Error> {
        let base = match wasi {
            WasiImpl::Native => &engine.linker,
            WasiImpl::Portable => &engine.bare_linker,
        };
        if functions.is_empty() {
            return Ok(std::borrow::Cow::Borrowed(base));
        }
        let mut linker = base.clone();
        host::define(&mut linker, functions).map_err(internal)?;
        Ok(std::borrow::Cow::Owned(linker))
    }
}
