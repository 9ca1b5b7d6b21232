//! An instance kept between calls of its exports. wasmer 7's `Store` is not `Send`, and an
//! [`Instance`](wasiport::Instance) is: the store lives on a thread of the instance's own from
//! its instantiation to its end, and each call or memory access is a request to that thread.

use std::sync::mpsc;
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

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
use crate::termination::classify;
use crate::{internal, start_trap, Call, Compiled, Wasmer, NAME};

/// What the instance's thread is asked to do, each with where to answer.
enum Request {
    Call {
        name: String,
        args: Vec<HostValue>,
        limits: CallLimits,
        reply: mpsc::Sender<Result<NativeCall, Error>>,
    },
    MemorySize {
        name: String,
        reply: mpsc::Sender<Option<u64>>,
    },
    Read {
        name: String,
        offset: u64,
        len: usize,
        reply: mpsc::Sender<Result<Vec<u8>, Error>>,
    },
    Write {
        name: String,
        offset: u64,
        data: Vec<u8>,
        reply: mpsc::Sender<Result<(), Error>>,
    },
}

/// An instance on wasmer: the way to its thread.
pub(crate) struct WasmerInstance {
    requests: Option<mpsc::Sender<Request>>,
    thread: Option<JoinHandle<()>>,
}

impl WasmerInstance {
    /// Instantiates `module` with `config` (its output to `streams`) on a thread of its own,
    /// which keeps it until the instance is dropped.
    pub(crate) fn start(
        backend: Wasmer,
        module: CompiledModule,
        config: RunConfig,
        wasi: WasiImpl,
        streams: OutputStreams,
        functions: Vec<HostFunction>,
    ) -> Result<Self, Error> {
        let (ready, made) = mpsc::channel();
        let (requests, received) = mpsc::channel();
        let thread = std::thread::Builder::new()
            .name("wasiport-wasmer-instance".into())
            .spawn(move || {
                let made =
                    Owned::instantiate(&backend, &module, &config, wasi, &streams, &functions);
                let mut owned = match made {
                    Ok(owned) => owned,
                    Err(e) => {
                        let _ = ready.send(Err(e));
                        return;
                    }
                };
                let _ = ready.send(Ok(()));
                while let Ok(request) = receive(&received, SERVER_SPIN) {
                    owned.serve(request);
                }
            })
            .map_err(internal)?;
        match made.recv() {
            Ok(Ok(())) => Ok(WasmerInstance {
                requests: Some(requests),
                thread: Some(thread),
            }),
            Ok(Err(e)) => Err(e),
            Err(_) => Err(gone()),
        }
    }

    /// Sends what `request` makes of a fresh reply channel, and waits for the answer.
    fn ask<T>(&self, request: impl FnOnce(mpsc::Sender<T>) -> Request) -> Result<T, Error> {
        let (reply, answer) = mpsc::channel();
        self.requests
            .as_ref()
            .ok_or_else(gone)?
            .send(request(reply))
            .map_err(|_| gone())?;
        receive(&answer, CALLER_SPIN).map_err(|_| gone())
    }
}

/// How long the instance's thread keeps polling for the next request after serving one, before
/// it sleeps: a host calling in a loop then finds it awake (waking a sleeping thread took tens
/// of microseconds here, more than most calls).
const SERVER_SPIN: Duration = Duration::from_micros(50);

/// How long a caller polls for the answer before it sleeps until it comes.
const CALLER_SPIN: Duration = Duration::from_micros(200);

/// The next message of `receiver`: polled for `spin`, then waited for.
fn receive<T>(receiver: &mpsc::Receiver<T>, spin: Duration) -> Result<T, mpsc::RecvError> {
    let until = Instant::now() + spin;
    loop {
        match receiver.try_recv() {
            Ok(message) => return Ok(message),
            Err(mpsc::TryRecvError::Disconnected) => return Err(mpsc::RecvError),
            Err(mpsc::TryRecvError::Empty) if Instant::now() >= until => return receiver.recv(),
            Err(mpsc::TryRecvError::Empty) => std::hint::spin_loop(),
        }
    }
}

/// The instance's thread ended (wasmer panicked): nothing more can be asked of it.
fn gone() -> Error {
    internal("the instance's thread has ended")
}

impl NativeInstance for WasmerInstance {
    fn call(
        &mut self,
        name: &str,
        _signature: &Signature,
        args: &[HostValue],
        limits: CallLimits,
    ) -> Result<NativeCall, Error> {
        self.ask(|reply| Request::Call {
            name: name.to_string(),
            args: args.to_vec(),
            limits,
            reply,
        })?
    }

    fn memory_size(&mut self, name: &str) -> Option<u64> {
        self.ask(|reply| Request::MemorySize {
            name: name.to_string(),
            reply,
        })
        .ok()
        .flatten()
    }

    fn read_memory(&mut self, name: &str, offset: u64, buf: &mut [u8]) -> Result<(), Error> {
        let data = self.ask(|reply| Request::Read {
            name: name.to_string(),
            offset,
            len: buf.len(),
            reply,
        })??;
        buf.copy_from_slice(&data);
        Ok(())
    }

    fn write_memory(&mut self, name: &str, offset: u64, data: &[u8]) -> Result<(), Error> {
        self.ask(|reply| Request::Write {
            name: name.to_string(),
            offset,
            data: data.to_vec(),
            reply,
        })?
    }
}

impl Drop for WasmerInstance {
    fn drop(&mut self) {
        // The thread ends (and cleans up) once it has no more requests to wait for.
        drop(self.requests.take());
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// What the instance's thread owns: the store, the instance in it and its wasix environment
/// (none with the portable WASI), and the backend, whose tokio runtime each call enters.
struct Owned {
    store: Store,
    instance: wasmer::Instance,
    wasi_env: Option<WasiFunctionEnv>,
    backend: Wasmer,
}

impl Owned {
    /// `module` instantiated as a run would instantiate it, its start function and
    /// `_initialize` on the configuration's fuel and time, as one call's.
    fn instantiate(
        backend: &Wasmer,
        module: &CompiledModule,
        config: &RunConfig,
        wasi: WasiImpl,
        streams: &OutputStreams,
        functions: &[HostFunction],
    ) -> Result<Owned, Error> {
        let native: &Compiled = module.native(backend.id)?;
        let _entered = backend.tokio.enter();
        let failed = |message: String| Error::Instantiation {
            backend: NAME,
            message,
        };
        let timeout = config.limits().timeout;
        let budget = config.limits().fuel.unwrap_or(u64::MAX);
        // The start function (and wasix's `_initialize`) within the time of one call.
        let (mut store, instantiated) =
            backend.instantiate_module(native, config, wasi, streams, functions, timeout)?;
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
                let result = initialize.call(&mut store, &[]);
                if let (Some(ended), _) = call.end(&mut store, &instance, budget, &result) {
                    return Err(failed(format!("its `_initialize` ended: {ended}")));
                }
            }
            (_, None) => {}
        }
        Ok(Owned {
            store,
            instance,
            wasi_env,
            backend: backend.clone(),
        })
    }

    fn serve(&mut self, request: Request) {
        // An answer nobody waits for any more is dropped.
        match request {
            Request::Call {
                name,
                args,
                limits,
                reply,
            } => {
                let _ = reply.send(self.call(&name, &args, limits));
            }
            Request::MemorySize { name, reply } => {
                let size = self.memory(&name).map(|m| m.view(&self.store).data_size());
                let _ = reply.send(size);
            }
            Request::Read {
                name,
                offset,
                len,
                reply,
            } => {
                let _ = reply.send(self.read(&name, offset, len));
            }
            Request::Write {
                name,
                offset,
                data,
                reply,
            } => {
                let _ = reply.send(self.write(&name, offset, &data));
            }
        }
    }

    fn memory(&self, name: &str) -> Option<wasmer::Memory> {
        self.instance.exports.get_memory(name).ok().cloned()
    }

    fn call(
        &mut self,
        name: &str,
        args: &[HostValue],
        limits: CallLimits,
    ) -> Result<NativeCall, Error> {
        let _entered = self.backend.tokio.enter();
        let func = self
            .instance
            .exports
            .get_function(name)
            .map_err(internal)?
            .clone();
        let params: Vec<Value> = args.iter().copied().map(to_value).collect();
        let budget = limits.fuel.unwrap_or(u64::MAX);
        set_remaining_points(&mut self.store, &self.instance, budget);
        let call = Call::arm(&self.store, self.wasi_env.as_ref(), limits.timeout)?;
        let result = func.call(&mut self.store, &params);
        let (ended, fuel_consumed) = call.end(&mut self.store, &self.instance, budget, &result);
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

    fn read(&self, name: &str, offset: u64, len: usize) -> Result<Vec<u8>, Error> {
        let memory = self
            .memory(name)
            .ok_or_else(|| Error::no_memory(NAME, name))?;
        let mut data = vec![0; len];
        memory
            .view(&self.store)
            .read(offset, &mut data)
            .map_err(|e| Error::memory_access(NAME, e))?;
        Ok(data)
    }

    fn write(&self, name: &str, offset: u64, data: &[u8]) -> Result<(), Error> {
        let memory = self
            .memory(name)
            .ok_or_else(|| Error::no_memory(NAME, name))?;
        memory
            .view(&self.store)
            .write(offset, data)
            .map_err(|e| Error::memory_access(NAME, e))
    }
}

impl Drop for Owned {
    fn drop(&mut self) {
        // Flushes and closes the guest's files, and ends its WASI process.
        let _entered = self.backend.tokio.enter();
        if let Some(env) = self.wasi_env.take() {
            env.on_exit(&mut self.store, Some(ExitCode::from(0)));
        }
    }
}

/// The tokio runtime is shared with the instances' threads (`Arc`), so that an instance outlives
/// nothing it needs.
pub(crate) type Tokio = Arc<tokio::runtime::Runtime>;
