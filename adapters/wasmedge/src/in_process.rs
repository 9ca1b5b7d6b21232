//! Runs and instances in the host process, with the portable WASI.
//!
//! The worker exists because WasmEdge's own WASI reads and writes the process's fds 0-2. The
//! portable WASI reads and writes the run's own streams, so a run with it needs no worker: it
//! happens here, on the caller's thread, which also lets the guest call the host's own
//! functions and lets an instance live between calls. What the worker gave is made here
//! another way:
//! - a timeout: WasmEdge's asynchronous call, cancelled when the time is up (the interpreter
//!   checks the executor's stop flag between instructions; AOT code is compiled to check it);
//! - a bound on recursion: the module counts its own call depth
//!   ([`limit_call_depth`](wasiport::rewrite::limit_call_depth)), since WasmEdge's interpreter
//!   keeps its frames on the heap without a limit;
//! - a start function that a timeout can stop: it is an export
//!   ([`START_EXPORT`](wasiport::rewrite::START_EXPORT)) called after instantiation.

use std::sync::PoisonError;
use std::time::{Duration, Instant};

use wasiport::kit::RunKit;
use wasiport::rewrite::{DEPTH_GLOBAL, START_EXPORT};
use wasiport::{
    CallEnd, CallLimits, Error, HostFunction, HostValue, NativeCall, NativeInstance, Outcome,
    RunConfig, Signature, Termination, Trap, TrapKind,
};

use crate::capi::{code, Configure, Executor, Function, ModuleInstance, Source, Statistics, Store};
use crate::host::{from_value, modules, to_value, Ended, HostModule};
use crate::termination::trap_kind;
use crate::{internal, Mode, NAME};

// How deep a guest's calls may nest: past it, a call traps as a stack overflow. WasmEdge 0.14
// has no limit of its own; the limit is about what wasmtime's default stack holds of small
// frames, and what an 8 MiB thread stack holds of AOT code's.
use crate::MAX_CALL_DEPTH;

/// Whether the call depth of the guest `instance` is at the limit: an `unreachable` trap there is
/// the limit's.
pub(crate) fn at_the_depth_limit(instance: &ModuleInstance) -> bool {
    instance
        .global_i32(DEPTH_GLOBAL)
        .is_some_and(|depth| depth as u32 >= MAX_CALL_DEPTH)
}

/// The trap of a call past the depth limit.
pub(crate) fn depth_limit_trap() -> Trap {
    Trap::new(
        TrapKind::StackOverflow,
        format!(
            "call stack exhausted: calls nested past wasiport's limit of {MAX_CALL_DEPTH} frames \
             (WasmEdge 0.14 has no limit of its own)"
        ),
    )
}

/// An instantiated guest and everything it needs, dropped in this order: the guest's instance,
/// the host modules it imports from, then the store, executor, statistics and configuration.
pub(crate) struct Guest {
    instance: ModuleInstance,
    _hosts: Vec<HostModule>,
    _store: Store,
    executor: Executor,
    stat: Statistics,
    _config: Configure,
    /// Where a host function that ended the guest (an exit, an error) leaves why.
    ended: Ended,
    /// AOT code runs on the stack of the thread that calls it: each call gets a thread of its
    /// own (WasmEdge's asynchronous call), with a full default stack, for the depth the limit
    /// allows.
    own_thread: bool,
    /// Whether WasmEdge counts the guest's cost (fuel).
    counted: bool,
}

// SAFETY: WasmEdge's contexts are not tied to the thread that made them, and a `Guest` is used
// by one thread at a time (its calls take `&mut self`); the host functions it holds are `Send`.
unsafe impl Send for Guest {}

impl Guest {
    /// Loads the prepared module at `file` (rewritten by `compile`) with `config`'s memory cap,
    /// links `functions` (the portable WASI's and the run's own) and instantiates it. Its start
    /// function is not run: it is the export [`START_EXPORT`], if there is one. Its cost is
    /// `counted` (always in [`Mode::Aot`]).
    pub(crate) fn new(
        file: &str,
        mode: Mode,
        config: &RunConfig,
        functions: &[HostFunction],
        counted: bool,
    ) -> Result<Guest, Error> {
        let max_memory_pages = config
            .limits()
            .max_memory_bytes
            .map(|bytes| u32::try_from(bytes / 65536).unwrap_or(u32::MAX));
        let mut wasm_config = Configure::new(max_memory_pages).map_err(internal)?;
        // Cost is counted when a budget needs it (counting slows WasmEdge's interpreter
        // down a great deal), and always for AOT code, compiled with the counting in it.
        let counted = counted || mode == Mode::Aot;
        if counted {
            wasm_config.measure_cost();
        }
        let module = wasm_config.load(Source::File(file)).map_err(internal)?;
        let stat = Statistics::new().map_err(internal)?;
        let executor = Executor::new(&wasm_config, &stat).map_err(internal)?;
        let store = Store::new().map_err(internal)?;
        let ended = Ended::default();
        let hosts = modules(functions, &ended).map_err(internal)?;
        for host in &hosts {
            executor
                .register_import(&store, &host.module)
                .map_err(internal)?;
        }
        let instance = executor
            .instantiate(&store, &module)
            .map_err(|e| Error::Instantiation {
                backend: NAME,
                message: e.message,
            })?;
        Ok(Guest {
            instance,
            _hosts: hosts,
            _store: store,
            executor,
            stat,
            _config: wasm_config,
            ended,
            own_thread: mode == Mode::Aot,
            counted,
        })
    }

    /// The exported function `name`.
    pub(crate) fn function(&self, name: &str) -> Option<Function> {
        self.instance.function(name)
    }

    /// Starts counting cost again from zero, with `fuel` as the limit (none: no limit).
    pub(crate) fn arm(&mut self, fuel: Option<u64>) {
        self.stat.clear();
        self.stat.set_cost_limit(fuel.unwrap_or(u64::MAX));
    }

    /// The cost counted since [`Guest::arm`], if it is counted.
    pub(crate) fn consumed(&self) -> Option<u64> {
        self.counted.then(|| self.stat.total_cost())
    }

    /// Calls `func` (exported as `name`, of `signature`) with `args`, stopped after `timeout`.
    pub(crate) fn call(
        &mut self,
        func: Function,
        name: &str,
        signature: &Signature,
        args: &[HostValue],
        timeout: Option<Duration>,
    ) -> Result<CallEnd, Error> {
        let params: Vec<_> = args.iter().copied().map(to_value).collect();
        let mut returns: Vec<_> = signature
            .results
            .iter()
            .map(|_| to_value(HostValue::I32(0)))
            .collect();
        let result = self
            .executor
            .invoke(func, &params, &mut returns, timeout, self.own_thread);
        let ended = self
            .ended
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        let failure = match (result, ended) {
            // A host function's exit or error, whatever WasmEdge made of it.
            (_, Some(e)) => return Ok(CallEnd::Ended(e.termination())),
            (Ok(()), None) => {
                let values: Vec<HostValue> = signature
                    .results
                    .iter()
                    .zip(&returns)
                    .map(|(ty, v)| from_value(*ty, *v))
                    .collect();
                return Ok(CallEnd::Returned(values));
            }
            (Err(failure), None) => failure,
        };
        let termination = match failure.code {
            code::COST_LIMIT_EXCEEDED => Termination::OutOfFuel,
            code::INTERRUPTED => Termination::Timeout,
            code::UNREACHABLE if at_the_depth_limit(&self.instance) => {
                Termination::Trap(depth_limit_trap())
            }
            // Errors of the execution phase (0x4xx) are traps.
            c if c & 0xF00 == 0x400 => Termination::Trap(Trap::new(trap_kind(c), failure.message)),
            _ => {
                return Err(internal(format!(
                    "calling `{name}` failed: {}",
                    failure.message
                )))
            }
        };
        Ok(CallEnd::Ended(termination))
    }

    /// Runs the start function, if the module has one, then `then` (if it exports it), on one
    /// budget of `fuel` and one `deadline`: how a run starts (`_start`) and how an instance
    /// does (`_initialize`). `None` when both returned; otherwise where the guest ended (in the
    /// start function, or in `then`) and how.
    pub(crate) fn start(
        &mut self,
        then: &str,
        fuel: Option<u64>,
        deadline: Option<Instant>,
    ) -> Result<Option<(Stage, Termination)>, Error> {
        self.arm(fuel);
        let nullary = Signature::new([], []);
        for (name, stage) in [(START_EXPORT, Stage::StartFunction), (then, Stage::Then)] {
            let Some(func) = self.function(name) else {
                continue;
            };
            let timeout = deadline.map(|d| d.saturating_duration_since(Instant::now()));
            if let CallEnd::Ended(t) = self.call(func, name, &nullary, &[], timeout)? {
                return Ok(Some((stage, t)));
            }
        }
        Ok(None)
    }
}

/// Where a guest that [`Guest::start`] ran ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Stage {
    /// In its start function: it was never instantiated.
    StartFunction,
    /// In the function called after it (`_start`, `_initialize`).
    Then,
}

/// A run of `_start` in this process: the guest's start function and `_start` on one budget.
pub(crate) fn run(
    file: &str,
    mode: Mode,
    config: &RunConfig,
    run: RunKit,
) -> Result<Outcome, Error> {
    let counted = run.limits.fuel.is_some();
    let mut guest = Guest::new(file, mode, config, &run.functions, counted)?;
    let termination = match guest.start("_start", run.limits.fuel, run.deadline())? {
        // No instance, and no run.
        Some((Stage::StartFunction, ended)) => {
            return Err(Error::ended_in_instantiation(NAME, &ended))
        }
        Some((Stage::Then, ended)) => ended,
        None => Termination::Exited(0),
    };
    let consumed = guest.consumed();
    // The guest (and the host functions writing to the streams) goes before the output is
    // collected.
    drop(guest);
    Ok(run.end(termination, consumed))
}

/// An instance in this process, for [`wasiport::Instance`].
pub(crate) struct WasmedgeInstance {
    pub guest: Guest,
}

impl WasmedgeInstance {
    fn memory(&self, name: &str) -> Result<crate::capi::Memory, Error> {
        self.guest
            .instance
            .memory(name)
            .ok_or_else(|| Error::no_memory(NAME, name))
    }
}

impl NativeInstance for WasmedgeInstance {
    fn call(
        &mut self,
        name: &str,
        signature: &Signature,
        args: &[HostValue],
        limits: CallLimits,
    ) -> Result<NativeCall, Error> {
        let func = self
            .guest
            .function(name)
            .ok_or_else(|| internal(format!("the instance has no function `{name}`")))?;
        self.guest.arm(limits.fuel);
        let end = self
            .guest
            .call(func, name, signature, args, limits.timeout)?;
        Ok(NativeCall {
            end,
            fuel_consumed: self.guest.consumed(),
        })
    }

    fn memory_size(&mut self, name: &str) -> Option<u64> {
        self.guest.instance.memory(name).map(|m| m.size())
    }

    fn read_memory(&mut self, name: &str, offset: u64, buf: &mut [u8]) -> Result<(), Error> {
        self.memory(name)?
            .read(offset, buf)
            .map_err(|e| Error::memory_access(NAME, e))
    }

    fn write_memory(&mut self, name: &str, offset: u64, data: &[u8]) -> Result<(), Error> {
        self.memory(name)?
            .write(offset, data)
            .map_err(|e| Error::memory_access(NAME, e))
    }
}
