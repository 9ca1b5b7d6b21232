//! Host functions written once: a neutral signature, a closure, and a [`Caller`] that gives
//! bounds-checked access to the guest's linear memory. Every backend that declares
//! [`Capability::HostFunctions`](crate::Capability::HostFunctions) links them.

use std::borrow::Cow;
use std::fmt;
use std::sync::{Arc, OnceLock};

use crate::kit::panic_message;
use crate::{wasi_p1, Error, Signature, ValType};

/// A value passed to or returned from a host function.
///
/// ```
/// use wasiport::{HostValue, ValType};
/// assert_eq!(HostValue::I32(7).ty(), ValType::I32);
/// assert_eq!(HostValue::I64(7).as_i64(), Some(7));
/// assert_eq!(HostValue::F32(1.5).as_i32(), None);
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum HostValue {
    /// A 32-bit integer.
    I32(i32),
    /// A 64-bit integer.
    I64(i64),
    /// A 32-bit float.
    F32(f32),
    /// A 64-bit float.
    F64(f64),
}

impl HostValue {
    /// Its type.
    pub fn ty(&self) -> ValType {
        match self {
            HostValue::I32(_) => ValType::I32,
            HostValue::I64(_) => ValType::I64,
            HostValue::F32(_) => ValType::F32,
            HostValue::F64(_) => ValType::F64,
        }
    }

    /// The value's bits in 64 bits, as engines keep values in stack slots: an `i32` or `f32`
    /// zero-extended.
    ///
    /// ```
    /// use wasiport::{HostValue, ValType};
    /// assert_eq!(HostValue::I32(-1).to_bits(), 0xFFFF_FFFF);
    /// assert_eq!(HostValue::from_bits(ValType::I32, 0xFFFF_FFFF), HostValue::I32(-1));
    /// assert_eq!(HostValue::from_bits(ValType::F64, 1.5f64.to_bits()), HostValue::F64(1.5));
    /// ```
    pub fn to_bits(self) -> u64 {
        match self {
            HostValue::I32(v) => u64::from(v as u32),
            HostValue::I64(v) => v as u64,
            HostValue::F32(v) => u64::from(v.to_bits()),
            HostValue::F64(v) => v.to_bits(),
        }
    }

    /// A value of type `ty` from bits [`HostValue::to_bits`] made (the low 32 for `i32` and
    /// `f32`); a type other than the four numeric ones reads as `f64`.
    pub fn from_bits(ty: ValType, bits: u64) -> Self {
        match ty {
            ValType::I32 => HostValue::I32(bits as u32 as i32),
            ValType::I64 => HostValue::I64(bits as i64),
            ValType::F32 => HostValue::F32(f32::from_bits(bits as u32)),
            _ => HostValue::F64(f64::from_bits(bits)),
        }
    }

    /// The value, if it is an `i32`.
    pub fn as_i32(&self) -> Option<i32> {
        match self {
            HostValue::I32(v) => Some(*v),
            _ => None,
        }
    }

    /// The value, if it is an `i64`.
    pub fn as_i64(&self) -> Option<i64> {
        match self {
            HostValue::I64(v) => Some(*v),
            _ => None,
        }
    }

    /// The value, if it is an `f32`.
    pub fn as_f32(&self) -> Option<f32> {
        match self {
            HostValue::F32(v) => Some(*v),
            _ => None,
        }
    }

    /// The value, if it is an `f64`.
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            HostValue::F64(v) => Some(*v),
            _ => None,
        }
    }
}

/// Why a host function ended the guest: an error, which traps with this message
/// ([`TrapKind::Other`](crate::TrapKind::Other)), or an exit (WASI's `proc_exit`), which ends
/// the run with [`Termination::Exited`](crate::Termination::Exited).
///
/// ```
/// use wasiport::HostError;
/// let e = HostError::new("no such key");
/// assert_eq!((e.to_string().as_str(), e.exit_code()), ("no such key", None));
/// assert_eq!(HostError::exit(3).exit_code(), Some(3));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct HostError {
    message: String,
    exit: Option<i32>,
}

impl HostError {
    /// An error with this message.
    pub fn new(message: impl Into<String>) -> Self {
        HostError {
            message: message.into(),
            exit: None,
        }
    }

    /// Ends the guest as if it returned from `_start` with exit code `code`.
    pub fn exit(code: i32) -> Self {
        HostError {
            message: format!("exit with code {code}"),
            exit: Some(code),
        }
    }

    /// The exit code, when this error is an exit.
    pub fn exit_code(&self) -> Option<i32> {
        self.exit
    }

    /// How the guest ends when a host function fails with this error: it exits with the code
    /// of an exit, and traps (of kind `other`, with the message) otherwise. For adapters whose
    /// runtime carries only a code out of a host call, so that the error itself waits aside.
    ///
    /// ```
    /// use wasiport::{HostError, Termination, TrapKind};
    /// assert_eq!(HostError::exit(3).termination(), Termination::Exited(3));
    /// let trap = HostError::new("no such key").termination();
    /// assert_eq!(trap.trap().map(|t| (t.kind, t.message.as_str())), Some((TrapKind::Other, "no such key")));
    /// ```
    pub fn termination(&self) -> crate::Termination {
        match self.exit {
            Some(code) => crate::Termination::Exited(code),
            None => crate::Termination::Trap(crate::Trap::new(
                crate::TrapKind::Other,
                self.message.clone(),
            )),
        }
    }
}

/// The guest's side of a host call: its exported linear memory (`memory`), bounds-checked.
///
/// Adapters implement it over their runtime's caller; a guest that exports no memory has size 0
/// and every access fails.
pub trait Caller {
    /// The size of the guest's linear memory, in bytes.
    fn memory_size(&self) -> u64;

    /// Reads `buf.len()` bytes at `offset`, or fails without reading when any is out of bounds.
    fn read(&self, offset: u64, buf: &mut [u8]) -> Result<(), HostError>;

    /// Writes `data` at `offset`, or fails without writing when any byte is out of bounds.
    fn write(&mut self, offset: u64, data: &[u8]) -> Result<(), HostError>;
}

/// The error of an access past the end of memory, in the same words on every backend.
///
/// ```
/// let e = wasiport::host::out_of_bounds(65530, 10, 65536);
/// assert_eq!(e.to_string(), "memory access out of bounds: 10 bytes at 65530, memory is 65536 bytes");
/// ```
pub fn out_of_bounds(offset: u64, len: usize, size: u64) -> HostError {
    HostError::new(format!(
        "memory access out of bounds: {len} bytes at {offset}, memory is {size} bytes"
    ))
}

/// A host function's code: called with the index of the function among those sharing it (0
/// for one made by [`HostFunction::new`]), the guest's memory and the arguments.
type HostFn =
    dyn Fn(usize, &mut dyn Caller, &[HostValue]) -> Result<Vec<HostValue>, HostError> + Send + Sync;

/// Who a host function is: its import name and its signature.
#[derive(Debug, PartialEq)]
struct Identity {
    module: Cow<'static, str>,
    name: Cow<'static, str>,
    signature: Signature,
}

/// A function the host gives the guest under an import name, written once for every backend.
///
/// ```
/// use wasiport::{HostFunction, HostValue, Signature, ValType};
/// // env.add(i32, i32) -> i32
/// let add = HostFunction::new(
///     "env",
///     "add",
///     Signature::new([ValType::I32, ValType::I32], [ValType::I32]),
///     |_caller, args| {
///         let (a, b) = (args[0].as_i32().unwrap_or(0), args[1].as_i32().unwrap_or(0));
///         Ok(vec![HostValue::I32(a.wrapping_add(b))])
///     },
/// )?;
/// assert_eq!(add.to_string(), "env::add (i32, i32) -> i32");
/// # Ok::<(), wasiport::Error>(())
/// ```
#[derive(Clone)]
pub struct HostFunction {
    identity: Arc<Identity>,
    func: Arc<HostFn>,
    /// Which of the functions sharing `func` this is.
    index: usize,
}

impl HostFunction {
    /// A host function `module::name` of type `signature` (only `i32`, `i64`, `f32` and `f64`),
    /// calling `func` with the guest's memory and the arguments.
    ///
    /// Fails with [`Error::InvalidConfig`] for another value type, or for a name in
    /// `wasi_snapshot_preview1`, which is the backend's WASI.
    pub fn new(
        module: impl Into<String>,
        name: impl Into<String>,
        signature: Signature,
        func: impl Fn(&mut dyn Caller, &[HostValue]) -> Result<Vec<HostValue>, HostError>
            + Send
            + Sync
            + 'static,
    ) -> Result<Self, Error> {
        let (module, name) = (module.into(), name.into());
        if module == crate::wasi_p1::MODULE {
            return Err(Error::InvalidConfig(format!(
                "host function {module}::{name}: that module is WASI's own"
            )));
        }
        let numeric =
            |t: &ValType| matches!(t, ValType::I32 | ValType::I64 | ValType::F32 | ValType::F64);
        if !signature
            .params
            .iter()
            .chain(&signature.results)
            .all(numeric)
        {
            return Err(Error::InvalidConfig(format!(
                "host function {module}::{name}: {signature} has a type other than i32, i64, f32, f64"
            )));
        }
        Ok(HostFunction {
            identity: Arc::new(Identity {
                module: module.into(),
                name: name.into(),
                signature,
            }),
            func: Arc::new(move |_, caller, args| func(caller, args)),
            index: 0,
        })
    }

    /// The 46 functions of WASI preview 1 itself, in [`wasi_p1::FUNCTIONS`] order, all calling
    /// `func` with their index there: only the [portable WASI](crate::portable) makes them, once
    /// per run. Their names and signatures are made once per process, so this costs a vector and
    /// 46 reference counts.
    pub(crate) fn wasi_preview1(func: Arc<HostFn>) -> Vec<Self> {
        static IDENTITIES: OnceLock<Vec<Arc<Identity>>> = OnceLock::new();
        IDENTITIES
            .get_or_init(|| {
                wasi_p1::FUNCTIONS
                    .iter()
                    .map(|f| {
                        Arc::new(Identity {
                            module: Cow::Borrowed(wasi_p1::MODULE),
                            name: Cow::Borrowed(f.name),
                            signature: f.signature(),
                        })
                    })
                    .collect()
            })
            .iter()
            .enumerate()
            .map(|(index, identity)| HostFunction {
                identity: Arc::clone(identity),
                func: Arc::clone(&func),
                index,
            })
            .collect()
    }

    /// The import module name.
    pub fn module(&self) -> &str {
        &self.identity.module
    }

    /// The import item name.
    pub fn name(&self) -> &str {
        &self.identity.name
    }

    /// The signature.
    pub fn signature(&self) -> &Signature {
        &self.identity.signature
    }

    /// Calls the function. Adapters call this; it checks the arguments against the signature and
    /// the results the closure returns, so a wrong result is an error, not a corrupt stack.
    ///
    /// A closure that panics does not unwind into the runtime: the panic is caught here and
    /// becomes an error carrying its message, which traps the guest
    /// ([`TrapKind::Other`](crate::TrapKind::Other)) on every backend alike.
    ///
    /// ```
    /// use wasiport::{host::SliceCaller, HostFunction, Signature};
    /// let broken = HostFunction::new("env", "broken", Signature::new([], []), |_, _| {
    ///     panic!("the cache is gone")
    /// })?;
    /// # std::panic::set_hook(Box::new(|_| {}));
    /// let error = broken.call(&mut SliceCaller(&mut []), &[]).unwrap_err();
    /// assert_eq!(error.to_string(), "env::broken () -> () panicked: the cache is gone");
    /// # Ok::<(), wasiport::Error>(())
    /// ```
    pub fn call(
        &self,
        caller: &mut dyn Caller,
        args: &[HostValue],
    ) -> Result<Vec<HostValue>, HostError> {
        let types = |values: &[HostValue]| values.iter().map(HostValue::ty).collect::<Vec<_>>();
        let signature = self.signature();
        if types(args) != signature.params {
            return Err(HostError::new(format!(
                "{self}: called with ({})",
                display_types(&types(args))
            )));
        }
        // The closure's state is the host's own: after a panic the guest traps and its run
        // ends, so nothing observes a half-updated state but the host that panicked.
        let results = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            (self.func)(self.index, caller, args)
        }))
        .unwrap_or_else(|panic| {
            Err(HostError::new(format!(
                "{self} panicked: {}",
                panic_message(&*panic)
            )))
        })?;
        if types(&results) != signature.results {
            return Err(HostError::new(format!(
                "{self}: returned ({})",
                display_types(&types(&results))
            )));
        }
        Ok(results)
    }
}

fn display_types(types: &[ValType]) -> String {
    types
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

impl fmt::Display for HostFunction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}::{} {}", self.module(), self.name(), self.signature())
    }
}

impl fmt::Debug for HostFunction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HostFunction")
            .field("module", &self.module())
            .field("name", &self.name())
            .field("signature", self.signature())
            .finish_non_exhaustive()
    }
}

/// Two host functions are equal when they have the same name, signature and closure.
impl PartialEq for HostFunction {
    fn eq(&self, other: &Self) -> bool {
        self.identity == other.identity
            && Arc::ptr_eq(&self.func, &other.func)
            && self.index == other.index
    }
}

impl Eq for HostFunction {}

/// A [`Caller`] over a byte slice: for adapters whose runtime hands out the memory as a slice,
/// and for tests.
///
/// ```
/// use wasiport::host::{Caller, SliceCaller};
/// let mut memory = vec![0u8; 8];
/// let mut caller = SliceCaller(&mut memory);
/// caller.write(2, b"hi")?;
/// let mut buf = [0u8; 2];
/// caller.read(2, &mut buf)?;
/// assert_eq!(&buf, b"hi");
/// assert!(caller.write(7, b"no").is_err());
/// # Ok::<(), wasiport::HostError>(())
/// ```
pub struct SliceCaller<'a>(pub &'a mut [u8]);

impl SliceCaller<'_> {
    fn range(&self, offset: u64, len: usize) -> Result<std::ops::Range<usize>, HostError> {
        let size = self.0.len() as u64;
        let end = offset.checked_add(len as u64).filter(|end| *end <= size);
        match end {
            Some(end) => Ok(offset as usize..end as usize),
            None => Err(out_of_bounds(offset, len, size)),
        }
    }
}

impl Caller for SliceCaller<'_> {
    fn memory_size(&self) -> u64 {
        self.0.len() as u64
    }

    fn read(&self, offset: u64, buf: &mut [u8]) -> Result<(), HostError> {
        let range = self.range(offset, buf.len())?;
        buf.copy_from_slice(&self.0[range]);
        Ok(())
    }

    fn write(&mut self, offset: u64, data: &[u8]) -> Result<(), HostError> {
        let range = self.range(offset, data.len())?;
        self.0[range].copy_from_slice(data);
        Ok(())
    }
}
