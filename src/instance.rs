//! An instance of a module, kept between calls of its exported functions: a plugin, a reactor
//! or a request handler instantiated once and called many times.

use std::cell::Cell;
use std::marker::PhantomData;
use std::time::{Duration, Instant};

use crate::output::OutputStreams;
use crate::{
    BackendId, CompiledModule, Error, HostValue, RunConfig, Signature, Termination, TraceEvent,
    ValType,
};

/// The limits of one call: each call gets the whole budget again.
///
/// ```
/// use std::time::Duration;
/// use wasiport::CallLimits;
/// let limits = CallLimits { fuel: Some(1_000_000), timeout: Some(Duration::from_millis(50)) };
/// assert_eq!(CallLimits::default().fuel, None);
/// # let _ = limits;
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CallLimits {
    /// Fuel the call may use before it ends with [`Termination::OutOfFuel`].
    pub fuel: Option<u64>,
    /// Wall-clock time the call may run before it ends with [`Termination::Timeout`].
    pub timeout: Option<Duration>,
}

/// How one call of an exported function ended.
#[derive(Debug, Clone, PartialEq)]
pub enum CallEnd {
    /// The function returned these values.
    Returned(Vec<HostValue>),
    /// The guest ended instead of returning: a trap, an exit (`proc_exit`), a timeout or fuel
    /// run out. The instance takes no further calls.
    Ended(Termination),
}

impl CallEnd {
    /// For adapters: the end of a call of `name` that returned the runtime's `values`, each
    /// made a [`HostValue`] by `number`; `backend`'s [`Error::Internal`] for a value that is
    /// none of the four numbers.
    ///
    /// ```
    /// use wasiport::{CallEnd, HostValue};
    /// let end = CallEnd::returned("toy", "f", &[7i32], |v| Some(HostValue::I32(*v)))?;
    /// assert_eq!(end, CallEnd::Returned(vec![HostValue::I32(7)]));
    /// assert!(CallEnd::returned("toy", "f", &["ref"], |_| None).is_err());
    /// # Ok::<(), wasiport::Error>(())
    /// ```
    pub fn returned<V: std::fmt::Debug>(
        backend: &'static str,
        name: &str,
        values: &[V],
        number: impl Fn(&V) -> Option<HostValue>,
    ) -> Result<CallEnd, Error> {
        let values = values.iter().map(|v| {
            number(v).ok_or_else(|| Error::Internal {
                backend,
                message: format!("`{name}` returned {v:?}, which is not a number"),
            })
        });
        Ok(CallEnd::Returned(values.collect::<Result<_, _>>()?))
    }
}

/// One call's result and what the guest wrote during it.
///
/// ```
/// use wasiport::{Backend, CallEnd, HostValue, RunConfig};
/// let backend = wasiport_wasmi::Wasmi::new()?;
/// let module = backend.compile(&wat::parse_str(
///     r#"(module (func (export "add") (param i32 i32) (result i32) local.get 0 local.get 1 i32.add))"#,
/// )?)?;
/// let mut instance = backend.instantiate(&module, &RunConfig::default())?;
/// let call = instance.call("add", &[HostValue::I32(40), HostValue::I32(2)])?;
/// assert_eq!(call.end, CallEnd::Returned(vec![HostValue::I32(42)]));
/// assert_eq!(call.returned(), Some(&[HostValue::I32(42)][..]));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct CallOutcome {
    /// How the call ended.
    pub end: CallEnd,
    /// What the guest wrote to stdout during this call (empty unless captured).
    pub stdout: Vec<u8>,
    /// What the guest wrote to stderr during this call (empty unless captured).
    pub stderr: Vec<u8>,
    /// Whether this call's stdout went past the capture limit and was cut.
    pub stdout_truncated: bool,
    /// Whether this call's stderr went past the capture limit and was cut.
    pub stderr_truncated: bool,
    /// Wall-clock time of the call.
    pub elapsed: Duration,
    /// Fuel the call consumed, where the backend counts it.
    pub fuel_consumed: Option<u64>,
    /// The WASI calls the call made, when the instance is traced.
    pub trace: Vec<TraceEvent>,
}

impl CallOutcome {
    /// The returned values, if the function returned.
    pub fn returned(&self) -> Option<&[HostValue]> {
        match &self.end {
            CallEnd::Returned(values) => Some(values),
            CallEnd::Ended(_) => None,
        }
    }
}

/// What a typed call ([`Instance::call_typed`]) failed with: it could not happen, or the guest
/// ended instead of returning.
#[derive(Debug, thiserror::Error)]
pub enum CallError {
    /// The call could not happen (no such export, other types, an unusable instance).
    #[error(transparent)]
    Failed(#[from] Error),
    /// The guest ended (a trap, an exit, a timeout, fuel run out) instead of returning.
    #[error("the call ended: {0}")]
    Ended(Termination),
}

/// An export of an instance.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Export {
    /// A function, with its signature.
    Function {
        /// The export name.
        name: String,
        /// Its core Wasm signature.
        signature: Signature,
    },
    /// A linear memory.
    Memory {
        /// The export name.
        name: String,
    },
}

/// One value a typed call passes or returns: `i32`, `i64`, `f32` or `f64`.
pub trait WasmValue: Sized {
    /// Its Wasm type.
    const TYPE: ValType;
    /// As a [`HostValue`].
    fn into_value(self) -> HostValue;
    /// From a [`HostValue`] of its type.
    fn from_value(value: HostValue) -> Option<Self>;
}

macro_rules! wasm_value {
    ($($ty:ty => $variant:ident, $as:ident;)*) => {$(
        impl WasmValue for $ty {
            const TYPE: ValType = ValType::$variant;
            fn into_value(self) -> HostValue {
                HostValue::$variant(self)
            }
            fn from_value(value: HostValue) -> Option<Self> {
                value.$as()
            }
        }
    )*};
}

wasm_value! {
    i32 => I32, as_i32;
    i64 => I64, as_i64;
    f32 => F32, as_f32;
    f64 => F64, as_f64;
}

/// The parameters or results of a typed call: `()`, one [`WasmValue`], or a tuple of up to four.
pub trait WasmValues: Sized {
    /// Their Wasm types, in order.
    fn types() -> Vec<ValType>;
    /// As [`HostValue`]s.
    fn into_values(self) -> Vec<HostValue>;
    /// From [`HostValue`]s of their types.
    fn from_values(values: &[HostValue]) -> Option<Self>;
}

impl<T: WasmValue> WasmValues for T {
    fn types() -> Vec<ValType> {
        vec![T::TYPE]
    }
    fn into_values(self) -> Vec<HostValue> {
        vec![self.into_value()]
    }
    fn from_values(values: &[HostValue]) -> Option<Self> {
        match values {
            [one] => T::from_value(*one),
            _ => None,
        }
    }
}

macro_rules! wasm_tuple {
    ($($name:ident),*) => {
        impl<$($name: WasmValue),*> WasmValues for ($($name,)*) {
            fn types() -> Vec<ValType> {
                vec![$($name::TYPE),*]
            }
            #[allow(non_snake_case)]
            fn into_values(self) -> Vec<HostValue> {
                let ($($name,)*) = self;
                vec![$($name.into_value()),*]
            }
            #[allow(non_snake_case, unused_mut, unused_variables)]
            fn from_values(values: &[HostValue]) -> Option<Self> {
                let mut values = values.iter().copied();
                let tuple = ($($name::from_value(values.next()?)?,)*);
                values.next().is_none().then_some(tuple)
            }
        }
    };
}

wasm_tuple!();
wasm_tuple!(A);
wasm_tuple!(A, B);
wasm_tuple!(A, B, C);
wasm_tuple!(A, B, C, D);

/// What an adapter gives for an instance of its runtime: calls and memory access. The
/// [`Instance`] around it checks names and types, keeps the limits, collects each call's
/// output and refuses calls once one has ended the guest.
pub trait NativeInstance: Send {
    /// Calls the exported function `name`, whose signature is `signature` (the arguments are
    /// of its types), within `limits`: fuel and deadline armed again for this call.
    fn call(
        &mut self,
        name: &str,
        signature: &Signature,
        args: &[HostValue],
        limits: CallLimits,
    ) -> Result<NativeCall, Error>;

    /// The size in bytes of the exported memory `name`, if there is one.
    fn memory_size(&mut self, name: &str) -> Option<u64>;

    /// Reads `buf.len()` bytes of the memory `name` at `offset` (within its size: checked).
    fn read_memory(&mut self, name: &str, offset: u64, buf: &mut [u8]) -> Result<(), Error>;

    /// Writes `data` into the memory `name` at `offset` (within its size: checked).
    fn write_memory(&mut self, name: &str, offset: u64, data: &[u8]) -> Result<(), Error>;
}

/// What a [`NativeInstance::call`] ended with.
#[derive(Debug, Clone, PartialEq)]
pub struct NativeCall {
    /// How it ended.
    pub end: CallEnd,
    /// Fuel it consumed, where the backend counts it.
    pub fuel_consumed: Option<u64>,
}

/// A module instantiated once, whose exported functions are called any number of times with
/// its state (globals, memory, WASI's open files) kept between calls. Made by
/// [`Backend::instantiate`](crate::Backend::instantiate).
///
/// A call that ends the guest instead of returning — a trap, an exit, a timeout, fuel run out
/// — leaves its state half-done, so the instance refuses every later call with
/// [`Error::InstanceUnusable`]; make a new one. A call that fails before it runs (no such
/// export, arguments of other types) changes nothing.
///
/// `Instance` is `Send` (move it to another thread) but not `Sync`: calls take `&mut self`,
/// one at a time.
///
/// ```
/// use wasiport::{Backend, RunConfig};
/// let backend = wasiport_wasmi::Wasmi::new()?;
/// let module = backend.compile(&wat::parse_str(r#"(module
///     (global $n (mut i32) (i32.const 0))
///     (func (export "next") (result i32)
///         (global.set $n (i32.add (global.get $n) (i32.const 1)))
///         (global.get $n)))"#)?)?;
/// let mut counter = backend.instantiate(&module, &RunConfig::default())?;
/// assert_eq!(counter.call_typed::<(), i32>("next", ())?, 1);
/// assert_eq!(counter.call_typed::<(), i32>("next", ())?, 2);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct Instance {
    module: CompiledModule,
    native: Box<dyn NativeInstance>,
    streams: OutputStreams,
    limits: CallLimits,
    /// How the call that ended the guest ended, once one has.
    ended: Option<Termination>,
    _not_sync: PhantomData<Cell<()>>,
}

impl std::fmt::Debug for Instance {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Instance")
            .field("compiled_by", &self.module.compiled_by())
            .field("limits", &self.limits)
            .field("ended", &self.ended)
            .finish_non_exhaustive()
    }
}

impl Instance {
    /// Wraps an adapter's instance of `module`, made with `config`, whose output goes to
    /// `streams`. For adapters.
    pub fn new(
        module: &CompiledModule,
        config: &RunConfig,
        streams: OutputStreams,
        native: Box<dyn NativeInstance>,
    ) -> Self {
        Instance {
            module: module.clone(),
            native,
            streams,
            limits: CallLimits {
                fuel: config.limits().fuel,
                timeout: config.limits().timeout,
            },
            ended: None,
            _not_sync: PhantomData,
        }
    }

    /// The backend value that made it.
    pub fn backend(&self) -> BackendId {
        self.module.compiled_by()
    }

    /// Its exported functions (with their signatures) and memories.
    pub fn exports(&self) -> Vec<Export> {
        let info = self.module.info();
        let functions = info
            .exported_functions()
            .map(|(name, signature)| Export::Function {
                name: name.to_string(),
                signature: signature.clone(),
            });
        let memories = info.exported_memories().map(|name| Export::Memory {
            name: name.to_string(),
        });
        functions.chain(memories).collect()
    }

    /// The limits each call gets: the [`RunConfig`]'s fuel and timeout until changed.
    pub fn limits(&self) -> CallLimits {
        self.limits
    }

    /// Sets the limits of the calls to come.
    pub fn set_limits(&mut self, limits: CallLimits) {
        self.limits = limits;
    }

    /// How the call that made the instance unusable ended, if one did.
    pub fn ended(&self) -> Option<&Termination> {
        self.ended.as_ref()
    }

    /// Calls the exported function `name` with `args`.
    ///
    /// Fails without calling when there is no such function ([`Error::NoSuchExport`]), when
    /// the arguments are not of its parameter types ([`Error::ArgumentMismatch`]), or when an
    /// earlier call ended the guest ([`Error::InstanceUnusable`]). How the call itself ended —
    /// returned values, or a trap, exit, timeout or fuel run out — is in the [`CallOutcome`].
    pub fn call(&mut self, name: &str, args: &[HostValue]) -> Result<CallOutcome, Error> {
        let backend = self.backend().name();
        if let Some(ended) = &self.ended {
            return Err(Error::InstanceUnusable {
                backend,
                ended: ended.clone(),
            });
        }
        // The module's signature, borrowed beside the native instance (no copy per call).
        let signature =
            self.module
                .info()
                .exported_function(name)
                .ok_or_else(|| Error::NoSuchExport {
                    backend,
                    name: name.to_string(),
                    kind: "function",
                })?;
        let same_types = args.len() == signature.params.len()
            && args
                .iter()
                .zip(&signature.params)
                .all(|(a, t)| a.ty() == *t);
        if !same_types {
            let types: Vec<ValType> = args.iter().map(HostValue::ty).collect();
            return Err(Error::ArgumentMismatch {
                backend,
                message: format!(
                    "`{name}` takes {}, not {}",
                    types_text(&signature.params),
                    types_text(&types),
                ),
            });
        }
        let started = Instant::now();
        let call = self.native.call(name, signature, args, self.limits)?;
        let elapsed = started.elapsed();
        if let CallEnd::Ended(termination) = &call.end {
            self.ended = Some(termination.clone());
        }
        self.streams.flush();
        let (stdout, stdout_truncated) = self.streams.stdout.take_captured();
        let (stderr, stderr_truncated) = self.streams.stderr.take_captured();
        Ok(CallOutcome {
            end: call.end,
            stdout,
            stderr,
            stdout_truncated,
            stderr_truncated,
            elapsed,
            fuel_consumed: call.fuel_consumed,
            trace: self
                .streams
                .trace
                .as_ref()
                .map(crate::TraceLog::take)
                .unwrap_or_default(),
        })
    }

    /// [`Instance::call`] with Rust types: `P` and `R` are `()`, one of `i32`, `i64`, `f32`,
    /// `f64`, or a tuple of them, and must be the function's parameter and result types.
    /// The guest's output of the call is dropped; use [`Instance::call`] to see it.
    pub fn call_typed<P: WasmValues, R: WasmValues>(
        &mut self,
        name: &str,
        params: P,
    ) -> Result<R, CallError> {
        let signature = self.signature(name)?;
        if signature.results != R::types() {
            return Err(CallError::Failed(Error::ArgumentMismatch {
                backend: self.backend().name(),
                message: format!(
                    "`{name}` returns {}, not {}",
                    types_text(&signature.results),
                    types_text(&R::types()),
                ),
            }));
        }
        match self.call(name, &params.into_values())?.end {
            CallEnd::Returned(values) => R::from_values(&values).ok_or_else(|| {
                CallError::Failed(Error::Internal {
                    backend: self.backend().name(),
                    message: format!("`{name}` returned {values:?}, not of its result types"),
                })
            }),
            CallEnd::Ended(termination) => Err(CallError::Ended(termination)),
        }
    }

    /// The size in bytes of the exported memory `name`; [`Error::NoSuchExport`] without one.
    pub fn memory_size(&mut self, name: &str) -> Result<u64, Error> {
        let backend = self.backend().name();
        self.native
            .memory_size(name)
            .ok_or_else(|| Error::NoSuchExport {
                backend,
                name: name.to_string(),
                kind: "memory",
            })
    }

    /// Reads `buf.len()` bytes of the exported memory `name` at `offset`; fails without
    /// reading when any is out of bounds ([`Error::MemoryAccess`]).
    pub fn read_memory(&mut self, name: &str, offset: u64, buf: &mut [u8]) -> Result<(), Error> {
        self.check_bounds(name, offset, buf.len())?;
        self.native.read_memory(name, offset, buf)
    }

    /// Writes `data` into the exported memory `name` at `offset`; fails without writing when
    /// any byte is out of bounds ([`Error::MemoryAccess`]).
    pub fn write_memory(&mut self, name: &str, offset: u64, data: &[u8]) -> Result<(), Error> {
        self.check_bounds(name, offset, data.len())?;
        self.native.write_memory(name, offset, data)
    }

    fn check_bounds(&mut self, name: &str, offset: u64, len: usize) -> Result<(), Error> {
        let size = self.memory_size(name)?;
        match offset.checked_add(len as u64) {
            Some(end) if end <= size => Ok(()),
            _ => Err(Error::MemoryAccess {
                backend: self.backend().name(),
                message: crate::host::out_of_bounds(offset, len, size).to_string(),
            }),
        }
    }

    fn signature(&self, name: &str) -> Result<&Signature, Error> {
        self.module
            .info()
            .exported_function(name)
            .ok_or_else(|| Error::NoSuchExport {
                backend: self.module.backend(),
                name: name.to_string(),
                kind: "function",
            })
    }
}

impl Drop for Instance {
    fn drop(&mut self) {
        self.streams.flush();
    }
}

/// Types as a parenthesized list: `(i32, i64)`.
fn types_text(types: &[ValType]) -> String {
    let names: Vec<String> = types.iter().map(ToString::to_string).collect();
    format!("({})", names.join(", "))
}
