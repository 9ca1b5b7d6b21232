//! The [wasmtime](https://wasmtime.dev) backend of [`wasiport`].
//!
//! ```
//! use wasiport::{Backend, RunConfig};
//! let backend = wasiport_wasmtime::Wasmtime::new()?;
//! let wasm = wat::parse_str(r#"(module (memory (export "memory") 1) (func (export "_start")))"#)?;
//! let module = backend.compile(&wasm)?;
//! assert!(backend.run(&module, &RunConfig::default())?.success());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! What it normalizes, and what wasmtime cannot do, is written down in the crate's README.
#![warn(missing_docs)]

mod component;
mod concurrent;
mod host;
mod instance;
mod limits;
mod modules;
mod outgoing;
mod serve;
mod stdio;
mod termination;

use std::sync::OnceLock;
use std::time::Instant;

use wasiport::kit::{InstanceKit, RunKit};
use wasiport::output::OutputStreams;
use wasiport::watchdog::Watchdog;
use wasiport::{
    Backend, BackendId, Capabilities, Capability, CompiledModule, DirAccess, Error, Instance,
    ModuleInfo, Network, Outcome, RunConfig, ServeSummary, Shutdown, Stdin, Termination, WasiImpl,
};
use wasmtime::component::Component;
use wasmtime::{Engine, PoolingAllocationConfig, Store, UpdateDeadline};
use wasmtime_wasi::p1::WasiP1Ctx;
use wasmtime_wasi::{FsPerms, WasiCtxBuilder};

use crate::concurrent::Concurrent;
use crate::limits::{Limited, RunLimits};
use crate::modules::{Compiled, CoreEngine, Metering};
use crate::stdio::SinkStream;
use crate::termination::{classify, TimedOut};

/// The backend's name.
pub const NAME: &str = "wasmtime";
/// The wasmtime version this crate is built against (checked against Cargo.lock by a test).
pub const RUNTIME_VERSION: &str = "48.0.0";

/// Runs modules on wasmtime with wasmtime-wasi's preview-1 implementation.
///
/// A run pays only for the limits it sets: a core module's code is compiled without fuel
/// metering or epoch checks for runs with no limit, with epoch checks for runs with a timeout,
/// and with both for runs with a fuel budget and for instances, each on an engine of its own,
/// the first time a run needs it (`modules`). Components always count fuel. The
/// engines and the WASI linkers are made once and shared by every run. Core modules and WASI
/// 0.2 commands run on engines without the component model's concurrency (faster to make a
/// store of); WASI 0.3 components and `wasi:http` handlers on another engine with it, made when
/// the first such component is compiled.
pub struct Wasmtime {
    /// This value's identity: its modules carry it.
    id: BackendId,
    /// Fuel metering and epoch checks, concurrency support off: core modules' runs with a fuel
    /// budget, instances, and WASI 0.2 components.
    metered: CoreEngine,
    /// Core modules' runs with no limit, and with a timeout only (no fuel metering, no epoch
    /// checks; epoch checks only): made on first need, from `core_config`.
    unmetered: [OnceLock<Result<CoreEngine, String>>; 2],
    /// The configuration of the core engines, before fuel and epochs are set.
    core_config: wasmtime::Config,
    /// wasmtime-wasi's WASI 0.2, for components (on `metered`'s engine).
    component_linker: wasmtime::component::Linker<component::State>,
    /// The first engine's configuration, from which the concurrent engine is made.
    config: wasmtime::Config,
    /// The engine for WASI 0.3 components and handlers, made on first need.
    concurrent: OnceLock<Result<Concurrent, String>>,
    capabilities: Capabilities,
    /// `on-demand` or `pooling`.
    allocation: &'static str,
}

struct State {
    wasi: WasiP1Ctx,
    limits: RunLimits,
}

impl Limited for State {
    fn limits(&mut self) -> &mut RunLimits {
        &mut self.limits
    }
}

pub(crate) fn internal(e: impl std::fmt::Display) -> Error {
    Error::Internal {
        backend: NAME,
        message: format!("{e:#}"),
    }
}

/// How many freed regions (memories, tables, stacks) the pool collects before it decommits
/// them in one go. Keeping dirtied pages resident and zeroing them in place instead
/// (`linear_memory_keep_resident`, with or without the pagemap scan) made a component's run
/// slower here, not faster: its memory is grown by the preview-1 adapter on every run.
const POOL_DECOMMIT_BATCH: usize = 32;

/// A store with a module instantiated in it, the watchdog of its timeout, and what
/// instantiating returned.
type Instantiated = (
    Store<State>,
    Option<Watchdog>,
    wasmtime::Result<wasmtime::Instance>,
);

impl Wasmtime {
    /// A backend with its own engine; instances are allocated on demand.
    pub fn new() -> Result<Self, Error> {
        Self::with_config(wasmtime::Config::new(), "on-demand")
    }

    /// A backend whose engine allocates instances from a pool of `max_instances` slots made
    /// once (wasmtime's pooling allocator): the fastest instantiation, with memory reserved up
    /// front. More than `max_instances` runs at once fail to instantiate (`Error::Internal`).
    /// WASI 0.3 components and `wasi:http` handlers run on a second engine, made when the
    /// first of them is compiled, with a pool of its own of the same size.
    ///
    /// The pages a freed slot dirtied are handed back to the kernel in batches (one `madvise`
    /// pass for many slots), not one slot at a time; a slot whose pages are still pending is
    /// cleaned at once when the pool would otherwise be exhausted.
    pub fn pooling(max_instances: u32) -> Result<Self, Error> {
        let mut pool = PoolingAllocationConfig::default();
        pool.total_core_instances(max_instances)
            .total_memories(max_instances)
            .total_tables(max_instances)
            .decommit_batch_size(POOL_DECOMMIT_BATCH);
        let mut config = wasmtime::Config::new();
        config.allocation_strategy(pool);
        Self::with_config(config, "pooling")
    }

    fn with_config(mut config: wasmtime::Config, allocation: &'static str) -> Result<Self, Error> {
        // Modules that declare a shared memory load (the threads proposal is on by default);
        // no thread is ever spawned.
        config.shared_memory(true);
        // WASI 0.3 components use the component model's async ABI: they get an engine of their
        // own (`Concurrent`), made from this configuration, counting fuel.
        let mut concurrent_config = config.clone();
        concurrent_config
            .consume_fuel(true)
            .epoch_interruption(true);
        config
            .wasm_component_model_async(false)
            .concurrency_support(false);
        let metered = CoreEngine::new(&config, Metering::FuelAndEpochs)?;
        Ok(Wasmtime {
            id: BackendId::new(NAME),
            allocation,
            component_linker: component::linker(&metered.engine)?,
            config: concurrent_config,
            concurrent: OnceLock::new(),
            metered,
            unmetered: Default::default(),
            core_config: config,
            // Everything of a core module's, and components of WASI 0.2 and 0.3 with
            // wasmtime-wasi's p2 and p3 (their sockets among them), `wasi:http` of both with
            // wasmtime-wasi-http, and serving a `wasi:http` handler.
            capabilities: Capability::FOR_MODULES
                .iter()
                .copied()
                .chain([
                    Capability::Components,
                    Capability::Wasi0_2,
                    Capability::Wasi0_3,
                    Capability::WasiSockets,
                    Capability::LoopbackNetwork,
                    Capability::WasiHttp,
                    Capability::HttpService,
                ])
                .collect(),
        })
    }

    /// The engine of core modules whose code has `metering`.
    fn core(&self, metering: Metering) -> Result<&CoreEngine, Error> {
        match metering {
            Metering::FuelAndEpochs => Ok(&self.metered),
            other => self.unmetered[other.index()]
                .get_or_init(|| {
                    CoreEngine::new(&self.core_config, other).map_err(|e| e.to_string())
                })
                .as_ref()
                .map_err(internal),
        }
    }

    /// The concurrent engine and its linkers, made on the first call.
    fn concurrent(&self) -> Result<&Concurrent, Error> {
        self.concurrent
            .get_or_init(|| Concurrent::new(self.config.clone()).map_err(|e| e.to_string()))
            .as_ref()
            .map_err(internal)
    }

    /// The engine a component is compiled on, and whether it is the concurrent one.
    fn component_engine(&self, info: &wasiport::ComponentInfo) -> Result<(&Engine, bool), Error> {
        Ok(match concurrent::needs_concurrency(info) {
            true => (&self.concurrent()?.engine, true),
            false => (&self.metered.engine, false),
        })
    }

    /// `component`'s engine and its synchronous WASI 0.2 linker.
    fn component_linker(
        &self,
        component: &component::Compiled,
    ) -> Result<(&Engine, &wasmtime::component::Linker<component::State>), Error> {
        Ok(match component.concurrent {
            true => {
                let c = self.concurrent()?;
                (&c.engine, &c.component_linker)
            }
            false => (&self.metered.engine, &self.component_linker),
        })
    }

    /// wasmtime-wasi's context for a run, for preview 1 (`build_p1`) or WASI 0.2 (`build`).
    fn wasi_builder(config: &RunConfig, streams: &OutputStreams) -> Result<WasiCtxBuilder, Error> {
        let mut b = WasiCtxBuilder::new();
        // File I/O on the calling thread, not through tokio's blocking pool (must precede the
        // preopens, which capture it).
        b.allow_blocking_current_thread(true);
        b.args(config.argv()).envs(config.env());
        for p in config.preopens() {
            let perms = match p.access() {
                DirAccess::ReadOnly => FsPerms::ReadOnly,
                DirAccess::ReadWrite => FsPerms::ReadWrite,
            };
            b.preopened_dir(p.host_path(), p.guest_path(), perms)
                .map_err(|e| Error::Io {
                    path: p.host_path().to_path_buf(),
                    source: std::io::Error::other(format!("{e:#}")),
                })?;
        }
        match config.stdin() {
            Stdin::Empty => {}
            Stdin::Bytes(bytes) => {
                b.stdin(wasmtime_wasi::p2::pipe::MemoryInputPipe::new(bytes.clone()));
            }
            Stdin::Inherit => {
                b.inherit_stdin();
            }
        }
        b.stdout(SinkStream::new(streams.stdout.clone()));
        b.stderr(SinkStream::new(streams.stderr.clone()));
        Ok(b)
    }

    /// Runs a component's `wasi:cli/run` with wasmtime-wasi's WASI 0.2.
    fn run_component(
        &self,
        native: &component::Compiled,
        config: &RunConfig,
        run: RunKit,
    ) -> Result<Outcome, Error> {
        let mut wasi = Self::wasi_builder(config, &run.streams)?;
        match config.network() {
            // wasmtime-wasi's default: TCP and UDP off.
            Network::None => {}
            Network::Loopback => {
                wasi.allow_tcp(true)
                    .allow_udp(true)
                    .allow_ip_name_lookup(false)
                    .socket_addr_check(|addr, used| {
                        use wasmtime_wasi::sockets::SocketAddrUse;
                        // The unspecified address is checked for the bind a connect or a send
                        // makes implicitly; a listener on it (every interface) is refused, and
                        // every peer, accepted or received from, must be loopback.
                        let allowed = addr.ip().is_loopback()
                            || (addr.ip().is_unspecified()
                                && matches!(used, SocketAddrUse::TcpBind | SocketAddrUse::UdpBind));
                        Box::pin(async move { allowed })
                    });
            }
        }
        let state = component::State::new(wasi.build(), RunLimits::new(config), config.network());
        let started = run.started();
        let result = match native.p3 {
            true => {
                let concurrent = self.concurrent()?;
                let (mut store, _watchdog) = self.store(
                    &concurrent.engine,
                    Metering::FuelAndEpochs,
                    config,
                    state,
                    started,
                )?;
                let result = native.run_p3(
                    &concurrent.p3_linker,
                    &mut store,
                    config.limits().timeout.map(|t| started + t),
                );
                (result, store)
            }
            false => {
                let (engine, linker) = self.component_linker(native)?;
                let (mut store, _watchdog) =
                    self.store(engine, Metering::FuelAndEpochs, config, state, started)?;
                (native.run(linker, &mut store), store)
            }
        };
        let (result, mut store) = result;
        let termination = match result {
            // A memory over the cap from the start: what preflight says of a module.
            Err(_) if store.data_mut().limits().refused_before_start() => Termination::MemoryLimit,
            // Ended before `run` was called (a core module's start function): no instance.
            Err(e) if !store.data_mut().limits().started() => {
                return Err(Error::ended_in_instantiation(NAME, &classify(Err(e))))
            }
            result => classify(result),
        };
        let fuel = fuel_used(&store, Metering::FuelAndEpochs, config)?;
        Ok(run.end(termination, fuel))
    }

    /// A store for `config` (its WASI, `wasi`, writing to `streams`, its limits counted from
    /// `started`) with `native` instantiated in it on the engine of `metering`, `functions`
    /// linked, its start function run: the store, the watchdog of its timeout, and what
    /// instantiating returned.
    #[allow(clippy::too_many_arguments)]
    fn instantiate_module(
        &self,
        native: &Compiled,
        metering: Metering,
        config: &RunConfig,
        wasi: WasiImpl,
        streams: &OutputStreams,
        functions: &[wasiport::HostFunction],
        started: Instant,
    ) -> Result<Instantiated, Error> {
        let core = self.core(metering)?;
        let variant = native.variant(core)?;
        let module = &variant.module;
        let state = State {
            wasi: match wasi {
                WasiImpl::Native => Self::wasi_builder(config, streams)?.build_p1(),
                // Never called: the portable WASI's functions take the linker's WASI names.
                WasiImpl::Portable => WasiCtxBuilder::new().build_p1(),
            },
            limits: RunLimits::new(config),
        };
        let (mut store, watchdog) = self.store(&core.engine, metering, config, state, started)?;

        // Host functions (the portable WASI's among them) are the run's own: they go into a
        // copy of the shared linker.
        let base = match wasi {
            WasiImpl::Native => &core.linker,
            WasiImpl::Portable => &core.bare_linker,
        };
        let with_host_functions;
        let linker = if functions.is_empty() {
            base
        } else {
            let mut linker = base.clone();
            host::define(&mut linker, &core.engine, functions).map_err(internal)?;
            with_host_functions = linker;
            &with_host_functions
        };
        let instance = if wasi == WasiImpl::Native && functions.is_empty() {
            let pre = variant
                .pre
                .get_or_init(|| linker.instantiate_pre(module).map_err(|e| format!("{e:#}")));
            match pre {
                Ok(pre) => pre.instantiate(&mut store),
                Err(e) => Err(wasmtime::Error::msg(e.clone())),
            }
        } else {
            linker.instantiate(&mut store, module)
        };
        Ok((store, watchdog, instance))
    }

    /// A store for one run: its memory cap, its fuel budget and its deadline, checked by the
    /// epoch callback and ticked by the returned watchdog.
    fn store<T: Limited>(
        &self,
        engine: &Engine,
        metering: Metering,
        config: &RunConfig,
        state: T,
        started: Instant,
    ) -> Result<(Store<T>, Option<Watchdog>), Error> {
        let store = self.store_without_watchdog(engine, metering, config, state, started)?;
        let watchdog = match config.limits().timeout {
            Some(t) => {
                let engine = engine.clone();
                Some(Watchdog::start(t, move || engine.increment_epoch()).map_err(internal)?)
            }
            None => None,
        };
        Ok((store, watchdog))
    }

    /// A store as [`Wasmtime::store`] makes it, whose deadline something else ticks: a
    /// server's one epoch ticker for all its requests.
    fn store_without_watchdog<T: Limited>(
        &self,
        engine: &Engine,
        metering: Metering,
        config: &RunConfig,
        state: T,
        started: Instant,
    ) -> Result<Store<T>, Error> {
        let mut store = Store::new(engine, state);
        store.limiter(|s| s.limits());
        if metering.counts_fuel() {
            store
                .set_fuel(config.limits().fuel.unwrap_or(u64::MAX))
                .map_err(internal)?;
        }
        // Epochs are engine-wide: another run's watchdog may tick them too, so the callback
        // checks this run's own deadline (in the store: an instance's changes per call) and
        // lets everything else continue.
        store.data_mut().limits().deadline = config.limits().timeout.map(|t| started + t);
        if metering.checks_epochs() {
            store.set_epoch_deadline(1);
            store.epoch_deadline_callback(|mut store| match store.data_mut().limits().deadline {
                Some(d) if Instant::now() >= d => Err(TimedOut.into()),
                _ => Ok(UpdateDeadline::Continue(1)),
            });
        }
        Ok(store)
    }
}

pub(crate) fn invalid(e: impl std::fmt::Display) -> Error {
    Error::InvalidModule {
        backend: NAME,
        message: format!("{e:#}"),
    }
}

/// The fuel a run in `store` has used of `config`'s budget (of `u64::MAX` without one), where
/// its engine counts fuel.
fn fuel_used<T>(
    store: &Store<T>,
    metering: Metering,
    config: &RunConfig,
) -> Result<Option<u64>, Error> {
    if !metering.counts_fuel() {
        return Ok(None);
    }
    let budget = config.limits().fuel.unwrap_or(u64::MAX);
    Ok(Some(budget - store.get_fuel().map_err(internal)?))
}

impl Backend for Wasmtime {
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

    fn compile_for(&self, wasm: &[u8], limits: &wasiport::Limits) -> Result<CompiledModule, Error> {
        // A component this backend cannot run is refused before the runtime sees it.
        let info = wasiport::preflight::module_info(NAME, &self.capabilities, wasm)?;
        if let Some(c) = info.component() {
            let (engine, concurrent) = self.component_engine(c)?;
            let (component, concurrent) = match Component::new(engine, wasm) {
                Ok(component) => (component, concurrent),
                // A WASI 0.2 component may use the component model's async ABI inside (an
                // async lift of its own): the concurrent engine takes it.
                Err(e) if !concurrent => match Component::new(&self.concurrent()?.engine, wasm) {
                    Ok(component) => (component, true),
                    Err(_) => return Err(invalid(e)),
                },
                Err(e) => return Err(invalid(e)),
            };
            let compiled = component::Compiled::new(component, c, concurrent);
            return Ok(CompiledModule::new(self.id, info, compiled));
        }
        // The code the limits call for now, the rest when a run needs it.
        let compiled = Compiled::compile(self.core(Metering::for_limits(limits))?, wasm)?;
        Ok(CompiledModule::new(self.id, info, compiled))
    }

    fn engine_fingerprint(&self) -> String {
        // The engine's other settings are checked by wasmtime itself when it deserializes.
        format!(
            "modules-metered-on-demand,components-fuel-and-epochs,shared-memory,\
             concurrency-for-p3-and-handlers,{}",
            self.allocation
        )
    }

    fn code_variant(&self, limits: &wasiport::Limits) -> &'static str {
        Metering::for_limits(limits).name()
    }

    fn serialize(&self, module: &CompiledModule) -> Result<Option<Vec<u8>>, Error> {
        if module.info().is_component() {
            let compiled: &component::Compiled = module.native(self.id)?;
            return compiled.component.serialize().map(Some).map_err(internal);
        }
        let compiled: &Compiled = module.native(self.id)?;
        compiled.serialize().map(Some)
    }

    unsafe fn deserialize(&self, bytes: &[u8], info: ModuleInfo) -> Result<CompiledModule, Error> {
        // SAFETY: the caller vouches that the bytes are `serialize`'s; wasmtime checks that they
        // were made by this wasmtime with compatible settings (a component's as a component).
        // Bytes of either engine are checked against it (its concurrency support among the
        // settings): a component `compile` moved to the concurrent engine loads there.
        if let Some(c) = info.component() {
            let (engine, concurrent) = self.component_engine(c)?;
            let (component, concurrent) = match unsafe { Component::deserialize(engine, bytes) } {
                Ok(component) => (component, concurrent),
                Err(e) if !concurrent => {
                    let engine = &self.concurrent()?.engine;
                    match unsafe { Component::deserialize(engine, bytes) } {
                        Ok(component) => (component, true),
                        Err(_) => return Err(invalid(e)),
                    }
                }
                Err(e) => return Err(invalid(e)),
            };
            let compiled = component::Compiled::new(component, c, concurrent);
            return Ok(CompiledModule::new(self.id, info, compiled));
        }
        // SAFETY: as above.
        let compiled = unsafe { Compiled::deserialize(|m| self.core(m), bytes) }?;
        Ok(CompiledModule::new(self.id, info, compiled))
    }

    fn serve_http(
        &self,
        module: &CompiledModule,
        config: &RunConfig,
        listener: std::net::TcpListener,
        shutdown: &Shutdown,
    ) -> Result<ServeSummary, Error> {
        wasiport::preflight::preflight_http_handler(NAME, &self.capabilities, module, config)?;
        self.serve(module.native(self.id)?, config, listener, shutdown)
    }

    fn instantiate(
        &self,
        compiled: &CompiledModule,
        config: &RunConfig,
    ) -> Result<Instance, Error> {
        let kit = InstanceKit::begin(self.id, &self.capabilities, compiled, config)?;
        let native: &Compiled = compiled.native(self.id)?;
        let failed = |message: String| Error::Instantiation {
            backend: NAME,
            message,
        };
        // The start function and `_initialize` get the fuel and time of one call: the store is
        // armed with the configuration's.
        // An instance counts fuel whatever its configuration: its calls' limits can change.
        let (mut store, watchdog, instance) = self.instantiate_module(
            native,
            Metering::FuelAndEpochs,
            config,
            kit.wasi,
            &kit.streams,
            &kit.functions,
            Instant::now(),
        )?;
        let instance = instance.map_err(|e| failed(classify(Err(e)).to_string()))?;
        if let Some(initialize) = instance.get_func(&mut store, "_initialize") {
            if let Err(e) = initialize.call(&mut store, &[], &mut []) {
                return Err(failed(format!(
                    "its `_initialize` ended: {}",
                    classify(Err(e))
                )));
            }
        }
        drop(watchdog);
        let native = instance::WasmtimeInstance {
            store,
            instance,
            engine: self.metered.engine.clone(),
            functions: Default::default(),
        };
        Ok(kit.end(compiled, config, Box::new(native)))
    }

    fn run(&self, compiled: &CompiledModule, config: &RunConfig) -> Result<Outcome, Error> {
        let run = match RunKit::begin(self.id, &self.capabilities, compiled, config)? {
            Ok(run) => run,
            Err(early) => return Ok(early),
        };
        if compiled.info().is_component() {
            return self.run_component(compiled.native(self.id)?, config, run);
        }
        let native: &Compiled = compiled.native(self.id)?;
        let metering = Metering::for_limits(config.limits());
        let (mut store, _watchdog, instance) = self.instantiate_module(
            native,
            metering,
            config,
            run.wasi,
            &run.streams,
            &run.functions,
            run.started(),
        )?;
        // A start function that does not return leaves no instance: no run.
        let instance =
            instance.map_err(|e| Error::ended_in_instantiation(NAME, &classify(Err(e))))?;
        let result = instance
            .get_typed_func::<(), ()>(&mut store, "_start")
            .and_then(|start| start.call(&mut store, ()));
        let termination = classify(result);
        let fuel = fuel_used(&store, metering, config)?;
        Ok(run.end(termination, fuel))
    }
}
