//! The [wasmer](https://wasmer.io) backend of [`wasiport`], with wasmer-wasix as its WASI.
//!
//! ```
//! use wasiport::{Backend, RunConfig};
//! let backend = wasiport_wasmer::Wasmer::new()?;
//! let wasm = wat::parse_str(r#"(module (memory (export "memory") 1) (func (export "_start")))"#)?;
//! let module = backend.compile(&wasm)?;
//! assert!(backend.run(&module, &RunConfig::default())?.success());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! What it normalizes, and what wasmer cannot do, is written down in the crate's README.
#![warn(missing_docs)]

mod exit;
mod fd_shift;
mod fs;
mod host;
mod instance;
mod modules;
mod stdio;
mod termination;
mod tunables;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use wasiport::kit::{InstanceKit, RunKit};
use wasiport::output::OutputStreams;
use wasiport::watchdog::Watchdog;
use wasiport::{
    Backend, BackendId, Capabilities, Capability, CompiledModule, Error, HostFunction, ModuleInfo,
    Outcome, RunConfig, Stdin, Termination, WasiImpl,
};
use wasmer::sys::NativeEngineExt;
use wasmer::{AsStoreMut, Instance, Module, Store};
use wasmer_middlewares::metering::{get_remaining_points, set_remaining_points, MeteringPoints};
use wasmer_wasix::runtime::task_manager::tokio::TokioTaskManager;
use wasmer_wasix::runtime::{InstantiationHook, InstantiationState, OverriddenRuntime};
use wasmer_wasix::virtual_fs::{MountFileSystem, StaticFile};
use wasmer_wasix::wasmer_wasix_types::wasi::{ExitCode, Signal};
use wasmer_wasix::{
    PluggableRuntime, UnsupportedVirtualNetworking, WasiEnv, WasiFunctionEnv, WasiRuntimeError,
};

use crate::exit::FullExitCodes;
use crate::fd_shift::ShiftedFds;
use crate::fs::CapFs;
use crate::host::HostImports;
use crate::modules::{Code, Compiled, Metering};
use crate::stdio::SinkFile;
use crate::termination::classify;
use crate::tunables::LimitingTunables;

/// The backend's name.
pub const NAME: &str = "wasmer";
/// The wasmer version this crate is built against (checked against Cargo.lock by a test).
pub const RUNTIME_VERSION: &str = "7.4.2";

/// How often a timed-out run is interrupted again while it sits in a host call.
const INTERRUPT_RETRY: Duration = Duration::from_millis(10);

/// Runs modules on wasmer (Cranelift) with wasmer-wasix's WASI.
///
/// It owns a small tokio runtime, which wasmer-wasix needs for its file system and clocks, and
/// enters it for each run: callers need no runtime of their own. A clone shares the runtime
/// and the identity (its modules run on either).
#[derive(Clone)]
pub struct Wasmer {
    /// This value's identity: its modules carry it.
    id: BackendId,
    /// Shared with the instances.
    tokio: instance::Tokio,
    wasix: Arc<dyn wasmer_wasix::Runtime + Send + Sync>,
    capabilities: Capabilities,
}

fn internal(e: impl std::fmt::Display) -> Error {
    Error::Internal {
        backend: NAME,
        message: e.to_string(),
    }
}

/// Runs `call` (into the guest), turning a panic inside wasmer into an error instead of letting
/// it unwind into the host: wasix has some (`path_rename` onto a target that vanished mid-call,
/// found by `wasiport fuzz`).
pub(crate) fn catching_panics<T>(call: impl FnOnce() -> T) -> Result<T, Error> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(call)).map_err(|panic| {
        internal(format!(
            "wasmer panicked: {}",
            wasiport::kit::panic_message(&*panic)
        ))
    })
}

/// Why instantiation failed, when the guest's start function trapped.
fn start_trap(error: &WasiRuntimeError) -> Option<&wasmer::RuntimeError> {
    use wasmer::InstantiationError;
    use wasmer_wasix::WasiThreadError;
    match error {
        WasiRuntimeError::Runtime(e) => Some(e),
        WasiRuntimeError::Instantiation(InstantiationError::Start(e)) => Some(e),
        WasiRuntimeError::Thread(WasiThreadError::InstanceCreateFailed(e)) => match e.as_ref() {
            InstantiationError::Start(e) => Some(e),
            _ => None,
        },
        _ => None,
    }
}

/// An instance and its wasix environment (none with the portable WASI).
type Instantiated = (Instance, Option<WasiFunctionEnv>);

/// One call into the guest (`_start`, or an instance's export) and its timeout: the watchdog
/// that interrupts it, and whether it did.
pub(crate) struct Call {
    timed_out: Arc<AtomicBool>,
    watchdog: Option<Watchdog>,
}

impl Call {
    /// Starts the watchdog of a call in `store` that must end within `timeout`. The interrupt
    /// is lost while the guest is in a host call, so it is repeated; SIGKILL to the WASI
    /// process of `wasi_env` (wasix's) wakes a guest blocked in a syscall.
    pub(crate) fn arm(
        store: &Store,
        wasi_env: Option<&WasiFunctionEnv>,
        timeout: Option<Duration>,
    ) -> Result<Call, Error> {
        let timed_out = Arc::new(AtomicBool::new(false));
        let watchdog = match timeout {
            Some(timeout) => {
                let interrupter = store.interrupter();
                let process = wasi_env.map(|env| env.data(store).process.clone());
                let flag = timed_out.clone();
                Some(
                    Watchdog::start_repeating(timeout, INTERRUPT_RETRY, move || {
                        flag.store(true, Ordering::SeqCst);
                        interrupter.interrupt();
                        if let Some(process) = &process {
                            process.signal_process(Signal::Sigkill);
                        }
                    })
                    .map_err(internal)?,
                )
            }
            None => None,
        };
        Ok(Call {
            timed_out,
            watchdog,
        })
    }

    /// How the call that returned `result` ended (`None`: it returned), and how much of
    /// `budget` it used (the metering points of `instance` were set to it before the call).
    pub(crate) fn end<T>(
        self,
        store: &mut Store,
        instance: &Instance,
        budget: u64,
        result: &Result<T, wasmer::RuntimeError>,
    ) -> (Option<Termination>, u64) {
        self.end_with(|| get_remaining_points(store, instance), budget, result)
    }

    /// [`Call::end`], the metering points read by `points` (once the watchdog is stopped).
    pub(crate) fn end_with<T>(
        mut self,
        points: impl FnOnce() -> MeteringPoints,
        budget: u64,
        result: &Result<T, wasmer::RuntimeError>,
    ) -> (Option<Termination>, u64) {
        drop(self.watchdog.take());
        let points = points();
        let termination = match result {
            _ if self.timed_out.load(Ordering::SeqCst) => Some(Termination::Timeout),
            Err(_) if points == MeteringPoints::Exhausted => Some(Termination::OutOfFuel),
            Err(error) => Some(classify(error)),
            Ok(_) => None,
        };
        let consumed = match points {
            MeteringPoints::Remaining(left) => budget - left,
            MeteringPoints::Exhausted => budget,
        };
        (termination, consumed)
    }
}

impl Wasmer {
    /// A backend with its own tokio runtime (one worker thread).
    pub fn new() -> Result<Self, Error> {
        let tokio = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .thread_name("wasiport-wasmer")
            .build()
            .map_err(internal)?;
        let wasix: Arc<dyn wasmer_wasix::Runtime + Send + Sync> = {
            let _entered = tokio.enter();
            let tasks = TokioTaskManager::new(tokio.handle().clone());
            let mut runtime = PluggableRuntime::new(Arc::new(tasks));
            runtime.set_engine(Metering::Fuel.engine());
            runtime.with_instantiation_hook(FullExitCodes);
            runtime.with_instantiation_hook(ShiftedFds);
            // No host sockets: WASI preview 1 has no socket creation, and this drops the
            // networking thread `PluggableRuntime::new` starts.
            runtime.set_networking_implementation(UnsupportedVirtualNetworking::default());
            Arc::new(runtime)
        };
        // All of a module's.
        let capabilities = Capability::FOR_MODULES.iter().copied().collect();
        Ok(Wasmer {
            id: BackendId::new(NAME),
            tokio: Arc::new(tokio),
            wasix,
            capabilities,
        })
    }

    /// The shared runtime, or, for a run with host functions, one over it that adds them.
    fn runtime_for(&self, config: &RunConfig) -> Arc<dyn wasmer_wasix::Runtime + Send + Sync> {
        if config.host_functions().is_empty() {
            return self.wasix.clone();
        }
        Arc::new(
            OverriddenRuntime::new(self.wasix.clone())
                .with_instantiation_hook(HostImports::new(config.host_functions())),
        )
    }

    /// A store for `config` (its memory cap in the engine's tunables) with `native`
    /// instantiated in it, its start function run (stopped after `start_timeout`, if given), on
    /// wasix's WASI or (portable) without it: the store, and the instance with its wasix
    /// environment, or wasix's error.
    fn instantiate_module(
        &self,
        native: &Code,
        config: &RunConfig,
        wasi: WasiImpl,
        streams: &OutputStreams,
        functions: &[HostFunction],
        start_timeout: Option<Duration>,
    ) -> Result<(Store, Result<Instantiated, WasiRuntimeError>), Error> {
        // A clone shares the compiled code but has its own tunables: the memory cap is per run.
        let mut engine = native.engine.clone();
        if let Some(bytes) = config.limits().max_memory_bytes {
            engine.set_tunables(LimitingTunables::new(bytes));
        }
        let mut store = Store::new(engine);
        // The interrupt is the store's own: armed once the store exists.
        let watchdog = Call::arm(&store, None, start_timeout)?;
        let instantiated = match wasi {
            WasiImpl::Native => self
                .env_builder(config, streams)?
                .instantiate(native.module.clone(), &mut store)
                .map(|(instance, env)| (instance, Some(env))),
            // The portable WASI needs no wasix: its functions are the module's only imports.
            WasiImpl::Portable => instantiate_plain(&native.module, &mut store, functions)
                .map(|instance| (instance, None)),
        };
        drop(watchdog);
        Ok((store, instantiated))
    }

    fn env_builder(
        &self,
        config: &RunConfig,
        streams: &OutputStreams,
    ) -> Result<wasmer_wasix::WasiEnvBuilder, Error> {
        let mut b = WasiEnv::builder(&config.argv()[0])
            .args(&config.argv()[1..])
            .envs(config.env().iter().map(|(k, v)| (k, v)))
            .runtime(self.runtime_for(config));
        match config.stdin() {
            Stdin::Empty => b.set_stdin(Box::new(StaticFile::new(Vec::new()))),
            Stdin::Bytes(bytes) => b.set_stdin(Box::new(StaticFile::new(bytes.clone()))),
            // wasix's default stdin is the host's.
            Stdin::Inherit => {}
        }
        b.set_stdout(Box::new(SinkFile(streams.stdout.clone())));
        b.set_stderr(Box::new(SinkFile(streams.stderr.clone())));
        let mount = MountFileSystem::new();
        for (i, p) in config.preopens().iter().enumerate() {
            let fs = CapFs::open(p.host_path(), p.is_read_only(), self.tokio.handle().clone())
                .map_err(|source| Error::Io {
                    path: p.host_path().to_path_buf(),
                    source,
                })?;
            // An absolute guest path is mounted where the guest sees it; a relative one (".")
            // is mounted out of the way and given its name as an alias.
            let guest = p.guest_path().to_string();
            let (mount_at, alias) = if guest.starts_with('/') {
                (guest, None)
            } else {
                (format!("/.wasiport/{i}"), Some(guest))
            };
            mount.mount(&mount_at, Arc::new(fs)).map_err(internal)?;
            let writable = !p.is_read_only();
            b.add_preopen_build(|d| {
                d.directory(&mount_at)
                    .read(true)
                    .write(writable)
                    .create(writable);
                if let Some(alias) = &alias {
                    d.alias(alias);
                }
                d
            })
            .map_err(internal)?;
        }
        b.set_mount_fs(mount);
        Ok(b)
    }
}

/// Instantiates `module` with `functions` as its imports and nothing else (no wasix), the way
/// wasix's instantiation hooks would. Its error is wasix's own type, so that both paths end in
/// the same `start_trap` handling.
#[allow(clippy::result_large_err)]
fn instantiate_plain(
    module: &Module,
    store: &mut Store,
    functions: &[HostFunction],
) -> Result<Instance, WasiRuntimeError> {
    let hook = HostImports::new(functions);
    let anyhow = |e: anyhow::Error| WasiRuntimeError::Anyhow(Arc::new(e));
    let (imports, _) = hook
        .additional_imports(module, &mut store.as_store_mut())
        .map_err(anyhow)?;
    let instance =
        Instance::new(store, module, &imports).map_err(WasiRuntimeError::Instantiation)?;
    hook.configure_new_instance(
        module,
        &mut store.as_store_mut(),
        &instance,
        None,
        InstantiationState::empty(),
    )
    .map_err(anyhow)?;
    Ok(instance)
}

impl Backend for Wasmer {
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
        let compiled = Compiled::compile(Metering::for_limits(limits), wasm)?;
        Ok(CompiledModule::new(self.id, info, compiled))
    }

    fn code_variant(&self, limits: &wasiport::Limits) -> &'static str {
        Metering::for_limits(limits).name()
    }

    fn engine_fingerprint(&self) -> String {
        // Cranelift, with the metering middleware (one unit per operator) for the code of runs
        // with a budget; wasmer checks its own version and target when it deserializes.
        "cranelift,metering-1-on-demand".into()
    }

    fn serialize(&self, module: &CompiledModule) -> Result<Option<Vec<u8>>, Error> {
        let compiled: &Compiled = module.native(self.id)?;
        compiled.serialize().map(Some)
    }

    unsafe fn deserialize(&self, bytes: &[u8], info: ModuleInfo) -> Result<CompiledModule, Error> {
        // SAFETY: the caller vouches that the bytes are `serialize`'s; wasmer checks that its
        // code was made by this wasmer for this target.
        let compiled = unsafe { Compiled::deserialize(bytes) }?;
        Ok(CompiledModule::new(self.id, info, compiled))
    }

    fn instantiate(
        &self,
        compiled: &CompiledModule,
        config: &RunConfig,
    ) -> Result<wasiport::Instance, Error> {
        let kit = InstanceKit::begin(self.id, &self.capabilities, compiled, config)?;
        let _: &Compiled = compiled.native(self.id)?;
        let native = instance::WasmerInstance::start(
            self,
            compiled,
            config,
            kit.wasi,
            &kit.streams,
            &kit.functions,
        )?;
        Ok(kit.end(compiled, config, Box::new(native)))
    }

    fn run(&self, compiled: &CompiledModule, config: &RunConfig) -> Result<Outcome, Error> {
        let native: &Compiled = compiled.native(self.id)?;
        let run = match RunKit::begin(self.id, &self.capabilities, compiled, config)? {
            Ok(run) => run,
            Err(early) => return Ok(early),
        };
        let code = native.code(Metering::for_limits(config.limits()))?;
        let _entered = self.tokio.enter();
        // The start function within the run's time: one that does not return leaves no
        // instance, and no run.
        let (mut store, instantiated) = self.instantiate_module(
            code,
            config,
            run.wasi,
            &run.streams,
            &run.functions,
            run.limits.timeout,
        )?;
        let (instance, wasi_env) = match instantiated {
            Ok(pair) => pair,
            Err(error) => {
                return Err(match start_trap(&error) {
                    Some(trap) => Error::ended_in_instantiation(NAME, &classify(trap)),
                    None => internal(error),
                })
            }
        };
        let budget = config.limits().fuel.unwrap_or(u64::MAX);
        let metered = code.metering == Metering::Fuel;
        if metered {
            set_remaining_points(&mut store, &instance, budget);
        }
        let start = instance
            .exports
            .get_function("_start")
            .map_err(internal)?
            .clone();

        let call = Call::arm(&store, wasi_env.as_ref(), config.limits().timeout)?;
        let result = catching_panics(|| start.call(&mut store, &[]))?;
        let (ended, fuel_consumed) = match metered {
            true => {
                let (ended, consumed) = call.end(&mut store, &instance, budget, &result);
                (ended, Some(consumed))
            }
            // Nothing counted: no points to read.
            false => (
                call.end_with(|| MeteringPoints::Remaining(budget), budget, &result)
                    .0,
                None,
            ),
        };
        let termination = ended.unwrap_or(Termination::Exited(0));
        let exit_code = match termination {
            Termination::Exited(code) => ExitCode::from(code),
            _ => ExitCode::from(1),
        };
        if let Some(env) = wasi_env {
            if config.preopens().is_empty() {
                // The guest's only files are its stdio, our sinks, which write through at once:
                // ending its WASI process is all the clean-up there is. (wasix's full clean-up
                // arms a 10-second timer on the tokio runtime first, which wakes its thread:
                // about 20 µs a run, an eighth of a hello's.)
                env.data(&store).process.terminate(exit_code);
                env.on_exit(&mut store, None);
                run.streams.flush();
            } else {
                // Flushes and closes the guest's files (wasix writes host files through tokio,
                // which may finish a write after returning) and ends its WASI process.
                env.on_exit(&mut store, Some(exit_code));
            }
        }
        Ok(run.end(termination, fuel_consumed))
    }
}
