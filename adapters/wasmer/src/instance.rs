//! An instance kept between calls of its exports: the store, the instance in it and its wasix
//! environment, called on the caller's thread.
//!
//! wasmer 7's `Store` is not `Send`, and an [`Instance`](wasiport::Instance) is. The store is
//! not `Send` only because raw pointers make up its object tables (the compiler's auto trait,
//! not a thread affinity): see the safety note on [`WasmerInstance`]. An earlier design kept the store on
//! a thread of its own and made each call a round trip to it, which cost about 3.4 µs a call,
//! nearly doubling a 4 µs export's (`cargo bench --bench overhead -- call`).

use std::collections::HashMap;

use wasiport::output::OutputStreams;
use wasiport::{
    CallEnd, CallLimits, CompiledModule, Error, HostFunction, HostValue, NativeCall,
    NativeInstance, RunConfig, Signature, WasiImpl,
};
use wasmer::{Store, Value};
use wasmer_middlewares::metering::{get_remaining_points, set_remaining_points, MeteringPoints};
use wasmer_wasix::wasmer_wasix_types::wasi::ExitCode;
use wasmer_wasix::WasiFunctionEnv;

use crate::host::{from_value, to_value};
use crate::modules::{Compiled, Metering};
use crate::termination::classify;
use crate::{catching_panics, internal, start_trap, Call, Wasmer, NAME};

/// An instance on wasmer: the store, the instance in it and its wasix environment (none with
/// the portable WASI), and the backend, whose tokio runtime each call enters.
pub(crate) struct WasmerInstance {
    store: Store,
    instance: wasmer::Instance,
    wasi_env: Option<WasiFunctionEnv>,
    backend: Wasmer,
    meter: Meter,
    /// The exports called so far, by name: looked up once.
    functions: HashMap<String, wasmer::Function>,
}

/// The metering middleware's two globals, found once rather than by name before and after
/// every call (as `set_remaining_points` and `get_remaining_points` do).
struct Meter {
    remaining: wasmer::Global,
    exhausted: wasmer::Global,
}

impl Meter {
    fn of(instance: &wasmer::Instance) -> Result<Meter, Error> {
        let global = |name: &str| {
            instance
                .exports
                .get_global(name)
                .cloned()
                .map_err(|e| internal(format!("the metering global {name}: {e}")))
        };
        Ok(Meter {
            remaining: global("wasmer_metering_remaining_points")?,
            exhausted: global("wasmer_metering_points_exhausted")?,
        })
    }

    /// What `set_remaining_points` does.
    fn set(&self, store: &mut Store, points: u64) -> Result<(), Error> {
        self.remaining
            .set(store, Value::I64(points as i64))
            .and_then(|()| self.exhausted.set(store, Value::I32(0)))
            .map_err(internal)
    }

    /// What `get_remaining_points` reads.
    fn get(&self, store: &mut Store) -> MeteringPoints {
        match (self.exhausted.get(store), self.remaining.get(store)) {
            (Value::I32(0), Value::I64(left)) => MeteringPoints::Remaining(left as u64),
            _ => MeteringPoints::Exhausted,
        }
    }
}

// SAFETY: a `WasmerInstance` is moved between threads only between calls (every use is
// through `&mut` or `&` of it, and it is not `Sync`), never while wasm or a host function of it
// runs. What makes wasmer's `Store` not `Send` is raw pointers in its object tables (into
// the instance's own heap allocations, which move with it) and a boxed `on_called` handler whose
// type lacks the bound, though `StoreMut::on_called` accepts only `Send` handlers (we set none).
// Everything put into the store through wasmer's API is `Send` (`FunctionEnv<T: Send>`, host
// functions `Send + Sync`, wasix's `WasiEnv`). wasmer's per-thread state lives for one call
// only: the store-context stack (pushed and popped around `Function::call`), the trap handler's
// and the interrupt registry's entries (installed per call with the calling thread, removed at
// its end, so `interrupt` signals the thread that runs the call). The test
// `an_instance_called_from_thread_after_thread_keeps_its_state` calls one instance from a new
// thread each time: WASI state, memory, a timeout and fuel.
unsafe impl Send for WasmerInstance {}

impl WasmerInstance {
    /// `module` instantiated as a run would instantiate it (with `config`, its output to
    /// `streams`), its start function and `_initialize` on the configuration's fuel and time,
    /// as one call's.
    pub(crate) fn start(
        backend: &Wasmer,
        module: &CompiledModule,
        config: &RunConfig,
        wasi: WasiImpl,
        streams: &OutputStreams,
        functions: &[HostFunction],
    ) -> Result<WasmerInstance, Error> {
        let native: &Compiled = module.native(backend.id)?;
        let _entered = backend.tokio.enter();
        let failed = |message: String| Error::Instantiation {
            backend: NAME,
            message,
        };
        let timeout = config.limits().timeout;
        let budget = config.limits().fuel.unwrap_or(u64::MAX);
        // The start function (and wasix's `_initialize`) within the time of one call.
        // An instance counts fuel whatever its configuration: its calls' limits can change.
        let code = native.code(Metering::Fuel)?;
        let (mut store, instantiated) =
            backend.instantiate_module(code, config, wasi, streams, functions, timeout)?;
        let (instance, wasi_env) = instantiated.map_err(|e| {
            failed(match start_trap(&e) {
                Some(trap) => format!("its start function ended: {}", classify(trap)),
                None => e.to_string(),
            })
        })?;
        let initialize = instance.exports.get_function("_initialize").ok().cloned();
        match (&wasi_env, initialize) {
            // wasix ran `_initialize` while instantiating, before a budget could be set: what
            // it used is held against the budget now.
            (Some(_), Some(_)) => {
                let used = match get_remaining_points(&mut store, &instance) {
                    MeteringPoints::Remaining(left) => u64::MAX - left,
                    MeteringPoints::Exhausted => u64::MAX,
                };
                if used > budget {
                    return Err(failed(format!(
                        "its `_initialize` used {used} fuel, over the budget of {budget}"
                    )));
                }
            }
            (None, Some(initialize)) => {
                set_remaining_points(&mut store, &instance, budget);
                let call = Call::arm(&store, None, timeout)?;
                let result = catching_panics(|| initialize.call(&mut store, &[]))?;
                if let (Some(ended), _) = call.end(&mut store, &instance, budget, &result) {
                    return Err(failed(format!("its `_initialize` ended: {ended}")));
                }
            }
            (_, None) => {}
        }
        Ok(WasmerInstance {
            meter: Meter::of(&instance)?,
            store,
            instance,
            wasi_env,
            backend: backend.clone(),
            functions: HashMap::new(),
        })
    }

    fn memory(&self, name: &str) -> Option<wasmer::Memory> {
        self.instance.exports.get_memory(name).ok().cloned()
    }
}

impl NativeInstance for WasmerInstance {
    fn call(
        &mut self,
        name: &str,
        _signature: &Signature,
        args: &[HostValue],
        limits: CallLimits,
    ) -> Result<NativeCall, Error> {
        let _entered = self.backend.tokio.enter();
        let func = match self.functions.get(name) {
            Some(func) => func,
            None => {
                let func = self
                    .instance
                    .exports
                    .get_function(name)
                    .map_err(internal)?
                    .clone();
                self.functions.entry(name.to_string()).or_insert(func)
            }
        };
        let params: Vec<Value> = args.iter().copied().map(to_value).collect();
        let budget = limits.fuel.unwrap_or(u64::MAX);
        self.meter.set(&mut self.store, budget)?;
        let call = Call::arm(&self.store, self.wasi_env.as_ref(), limits.timeout)?;
        let result = catching_panics(|| func.call(&mut self.store, &params))?;
        let (meter, store) = (&self.meter, &mut self.store);
        let (ended, fuel_consumed) = call.end_with(|| meter.get(store), budget, &result);
        let end = match (ended, result) {
            (Some(termination), _) => CallEnd::Ended(termination),
            (None, Ok(values)) => CallEnd::returned(NAME, name, &values, from_value)?,
            (None, Err(e)) => return Err(internal(e)),
        };
        Ok(NativeCall {
            end,
            fuel_consumed: Some(fuel_consumed),
        })
    }

    fn memory_size(&mut self, name: &str) -> Option<u64> {
        self.memory(name).map(|m| m.view(&self.store).data_size())
    }

    fn read_memory(&mut self, name: &str, offset: u64, buf: &mut [u8]) -> Result<(), Error> {
        let memory = self
            .memory(name)
            .ok_or_else(|| Error::no_memory(NAME, name))?;
        memory
            .view(&self.store)
            .read(offset, buf)
            .map_err(|e| Error::memory_access(NAME, e))
    }

    fn write_memory(&mut self, name: &str, offset: u64, data: &[u8]) -> Result<(), Error> {
        let memory = self
            .memory(name)
            .ok_or_else(|| Error::no_memory(NAME, name))?;
        memory
            .view(&self.store)
            .write(offset, data)
            .map_err(|e| Error::memory_access(NAME, e))
    }
}

impl Drop for WasmerInstance {
    fn drop(&mut self) {
        // Flushes and closes the guest's files, and ends its WASI process.
        let _entered = self.backend.tokio.enter();
        if let Some(env) = self.wasi_env.take() {
            env.on_exit(&mut self.store, Some(ExitCode::from(0)));
        }
    }
}

/// The tokio runtime is shared with the instances (`Arc`), so that an instance outlives nothing
/// it needs.
pub(crate) type Tokio = std::sync::Arc<tokio::runtime::Runtime>;
