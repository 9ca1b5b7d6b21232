//! For adapters: the steps of a run and of an instantiation that are the same on every backend,
//! in one place, so that an adapter only instantiates, calls and classifies.
//!
//! A run ([`RunKit`]): the preflight of the module and the configuration against the backend's
//! capabilities (what it imports, its memory against the cap), the choice of WASI, the output
//! sinks and the trace, the host functions (the configuration's, and the portable WASI's when
//! that is the WASI), the clock, and at the end the [`Outcome`]. An instantiation
//! ([`InstanceKit`]): the same preflight for an instance, the same parts, and at the end the
//! [`Instance`] around the adapter's [`NativeInstance`].
//!
//! What stays the adapter's: compiling, instantiating (a start function that does not return is
//! [`Error::ended_in_instantiation`]), enforcing fuel and time in its runtime's way, calling,
//! and classifying how the guest ended.

use std::time::{Duration, Instant};

use crate::output::OutputStreams;
use crate::portable::host_functions;
use crate::preflight::{preflight, preflight_instance};
use crate::{
    BackendId, CallLimits, Capabilities, CompiledModule, Error, HostFunction, Instance,
    NativeInstance, Outcome, RunConfig, Termination, WasiImpl,
};

/// The parts of one run of `_start` that every adapter makes alike.
///
/// ```
/// use wasiport::kit::RunKit;
/// use wasiport::{Backend, RunConfig, Termination, WasiImpl};
/// let backend = wasiport_wasmi::Wasmi::new()?;
/// let module = backend.compile(&wat::parse_str(
///     r#"(module (memory (export "memory") 1) (func (export "_start")))"#,
/// )?)?;
/// let config = RunConfig::builder().wasi(WasiImpl::Portable).build()?;
/// let Ok(run) = RunKit::begin(backend.id(), backend.capabilities(), &module, &config)? else {
///     unreachable!("preflight ends only a run whose memory is over the cap");
/// };
/// assert_eq!(run.wasi, WasiImpl::Portable);
/// assert_eq!(run.functions.len(), 46);
/// let outcome = run.end(Termination::Exited(0), None);
/// assert!(outcome.success());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct RunKit {
    /// The WASI the run uses: the configuration's choice, or the backend's default.
    pub wasi: WasiImpl,
    /// Where the guest's output (and the trace) goes.
    pub streams: OutputStreams,
    /// The host functions to link: the configuration's, with the portable WASI's 46 when it is
    /// the run's WASI (writing to `streams`).
    pub functions: Vec<HostFunction>,
    /// The run's fuel and timeout, as the limits of its one call.
    pub limits: CallLimits,
    started: Instant,
}

impl RunKit {
    /// Checks the run (the shared [`preflight`]) and makes its parts, starting its clock.
    /// `Err(outcome)` inside the `Ok` when the preflight ended it before it started (an initial
    /// memory over the cap); an `Err` when it cannot happen.
    pub fn begin(
        backend: BackendId,
        capabilities: &Capabilities,
        module: &CompiledModule,
        config: &RunConfig,
    ) -> Result<Result<RunKit, Outcome>, Error> {
        RunKit::begin_with(backend, capabilities, module, config, |config| {
            Ok(config.wasi_for(capabilities))
        })
    }

    /// [`RunKit::begin`] for a backend that chooses the WASI of a run another way (`wasi`,
    /// called after the preflight, fails for a choice it refuses).
    pub fn begin_with(
        backend: BackendId,
        capabilities: &Capabilities,
        module: &CompiledModule,
        config: &RunConfig,
        wasi: impl FnOnce(&RunConfig) -> Result<WasiImpl, Error>,
    ) -> Result<Result<RunKit, Outcome>, Error> {
        if let Some(outcome) = preflight(backend.name(), capabilities, module, config)? {
            return Ok(Err(outcome));
        }
        let (wasi, streams, functions) = parts(config, wasi(config)?)?;
        Ok(Ok(RunKit {
            wasi,
            streams,
            functions,
            limits: call_limits(config),
            started: Instant::now(),
        }))
    }

    /// When the run began.
    pub fn started(&self) -> Instant {
        self.started
    }

    /// When the run must end, if it has a timeout.
    pub fn deadline(&self) -> Option<Instant> {
        self.limits.timeout.map(|t| self.started + t)
    }

    /// The time since the run began.
    pub fn elapsed(&self) -> Duration {
        self.started.elapsed()
    }

    /// The run's outcome: how the guest ended, what it wrote, the time since [`RunKit::begin`]
    /// and the fuel it consumed (where the backend counts it).
    pub fn end(self, termination: Termination, fuel_consumed: Option<u64>) -> Outcome {
        let elapsed = self.started.elapsed();
        self.streams.outcome(termination, elapsed, fuel_consumed)
    }
}

/// The parts of one instantiation that every adapter makes alike.
///
/// ```
/// use wasiport::kit::InstanceKit;
/// use wasiport::{Backend, RunConfig, WasiImpl};
/// let backend = wasiport_wasmi::Wasmi::new()?;
/// let module = backend.compile(&wat::parse_str(r#"(module (func (export "f")))"#)?)?;
/// let kit = InstanceKit::begin(backend.id(), backend.capabilities(), &module, &RunConfig::default())?;
/// assert_eq!(kit.wasi, WasiImpl::Native);
/// assert!(kit.functions.is_empty());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct InstanceKit {
    /// The WASI the instance uses: the configuration's choice, or the backend's default.
    pub wasi: WasiImpl,
    /// Where the guest's output (and the trace) goes, call by call.
    pub streams: OutputStreams,
    /// The host functions to link, as for a run ([`RunKit::functions`]).
    pub functions: Vec<HostFunction>,
    /// The limits of the start function and `_initialize`: those of one call.
    pub limits: CallLimits,
}

impl InstanceKit {
    /// Checks the instantiation (the shared [`preflight_instance`]) and makes its parts.
    pub fn begin(
        backend: BackendId,
        capabilities: &Capabilities,
        module: &CompiledModule,
        config: &RunConfig,
    ) -> Result<InstanceKit, Error> {
        InstanceKit::begin_with(backend, capabilities, module, config, |config| {
            Ok(config.wasi_for(capabilities))
        })
    }

    /// [`InstanceKit::begin`] for a backend that chooses the WASI of an instance another way
    /// (`wasi`, called after the preflight, fails for a choice it refuses).
    pub fn begin_with(
        backend: BackendId,
        capabilities: &Capabilities,
        module: &CompiledModule,
        config: &RunConfig,
        wasi: impl FnOnce(&RunConfig) -> Result<WasiImpl, Error>,
    ) -> Result<InstanceKit, Error> {
        preflight_instance(backend.name(), capabilities, module, config)?;
        let (wasi, streams, functions) = parts(config, wasi(config)?)?;
        Ok(InstanceKit {
            wasi,
            streams,
            functions,
            limits: call_limits(config),
        })
    }

    /// The [`Instance`] of `module` made with `config`, around the adapter's `native` one.
    pub fn end(
        self,
        module: &CompiledModule,
        config: &RunConfig,
        native: Box<dyn NativeInstance>,
    ) -> Instance {
        Instance::new(module, config, self.streams, native)
    }
}

/// The output streams and the host functions of a run or an instance of `config` with `wasi`.
fn parts(
    config: &RunConfig,
    wasi: WasiImpl,
) -> Result<(WasiImpl, OutputStreams, Vec<HostFunction>), Error> {
    let streams = OutputStreams::new(config);
    let functions = host_functions(config, wasi, &streams)?;
    Ok((wasi, streams, functions))
}

/// `config`'s fuel and timeout, as the limits of one call.
fn call_limits(config: &RunConfig) -> CallLimits {
    CallLimits {
        fuel: config.limits().fuel,
        timeout: config.limits().timeout,
    }
}

/// The text a panic was raised with (`panic!("...")`'s message), or a placeholder for a panic
/// with another payload: for an adapter that catches a panic of its runtime (or of a host
/// function) and reports it as an error.
///
/// ```
/// let payload = std::panic::catch_unwind(|| panic!("it broke")).unwrap_err();
/// assert_eq!(wasiport::kit::panic_message(&*payload), "it broke");
/// ```
pub fn panic_message(payload: &(dyn std::any::Any + Send)) -> &str {
    payload
        .downcast_ref::<&'static str>()
        .copied()
        .or_else(|| payload.downcast_ref::<String>().map(String::as_str))
        .unwrap_or("a payload that is not text")
}
