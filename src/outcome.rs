//! The normalized result of one run.

use std::fmt;
use std::time::Duration;

/// How a run ended, and what it wrote.
///
/// ```
/// use wasiport::{Outcome, Termination};
/// let outcome = Outcome::new(Termination::Exited(0));
/// assert!(outcome.success());
/// assert!(outcome.stdout.is_empty());
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    /// How the guest ended.
    pub termination: Termination,
    /// Captured stdout (empty unless captured).
    pub stdout: Vec<u8>,
    /// Captured stderr (empty unless captured).
    pub stderr: Vec<u8>,
    /// Whether stdout went past the capture limit and was cut.
    pub stdout_truncated: bool,
    /// Whether stderr went past the capture limit and was cut.
    pub stderr_truncated: bool,
    /// Wall-clock time of instantiation and run.
    pub elapsed: Duration,
    /// Fuel consumed, where the backend counts it.
    pub fuel_consumed: Option<u64>,
    /// Every WASI call, in order, when the run was traced
    /// ([`RunConfigBuilder::trace`](crate::RunConfigBuilder::trace)); empty otherwise.
    pub trace: Vec<crate::TraceEvent>,
}

impl Outcome {
    /// An outcome with the given termination and nothing else.
    pub fn new(termination: Termination) -> Self {
        Outcome {
            termination,
            stdout: Vec::new(),
            stderr: Vec::new(),
            stdout_truncated: false,
            stderr_truncated: false,
            elapsed: Duration::ZERO,
            fuel_consumed: None,
            trace: Vec::new(),
        }
    }

    /// Whether the guest exited with code 0.
    pub fn success(&self) -> bool {
        self.termination == Termination::Exited(0)
    }

    /// The exit code, if the guest exited.
    pub fn exit_code(&self) -> Option<i32> {
        match self.termination {
            Termination::Exited(code) => Some(code),
            _ => None,
        }
    }
}

/// How the guest ended.
///
/// ```
/// use wasiport::{Termination, Trap, TrapKind};
/// let t = Termination::Trap(Trap::new(TrapKind::Unreachable, "unreachable executed"));
/// assert_eq!(t.as_str(), "trap");
/// assert_eq!(Termination::Exited(0).to_string(), "exited with code 0");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Termination {
    /// `proc_exit(code)` was called, or `_start` returned (code 0).
    Exited(i32),
    /// The guest trapped.
    Trap(Trap),
    /// The wall-clock timeout ran out.
    Timeout,
    /// The fuel budget ran out.
    OutOfFuel,
    /// The module's initial linear memory is larger than the memory limit, so it never started.
    MemoryLimit,
}

impl Termination {
    /// The stable name: `exited`, `trap`, `timeout`, `out_of_fuel` or `memory_limit`.
    pub fn as_str(&self) -> &'static str {
        match self {
            Termination::Exited(_) => "exited",
            Termination::Trap(_) => "trap",
            Termination::Timeout => "timeout",
            Termination::OutOfFuel => "out_of_fuel",
            Termination::MemoryLimit => "memory_limit",
        }
    }

    /// Whether two terminations are the same once the runtimes' own words are set aside:
    /// equal exit codes, or traps of the same [`TrapKind`], or the same limit.
    ///
    /// ```
    /// use wasiport::{Termination, Trap, TrapKind};
    /// let a = Termination::Trap(Trap::new(TrapKind::StackOverflow, "call stack exhausted"));
    /// let b = Termination::Trap(Trap::new(TrapKind::StackOverflow, "stack overflow"));
    /// assert!(a.same_as(&b));
    /// assert!(!Termination::Exited(0).same_as(&Termination::Exited(1)));
    /// ```
    pub fn same_as(&self, other: &Termination) -> bool {
        match (self, other) {
            (Termination::Trap(a), Termination::Trap(b)) => a.kind == b.kind,
            (a, b) => a == b,
        }
    }

    /// The trap, if the guest trapped.
    pub fn trap(&self) -> Option<&Trap> {
        match self {
            Termination::Trap(trap) => Some(trap),
            _ => None,
        }
    }
}

impl fmt::Display for Termination {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Termination::Exited(code) => write!(f, "exited with code {code}"),
            Termination::Trap(trap) => write!(f, "trap: {}: {}", trap.kind, trap.message),
            Termination::Timeout => f.write_str("timed out"),
            Termination::OutOfFuel => f.write_str("ran out of fuel"),
            Termination::MemoryLimit => f.write_str("initial memory exceeds the memory limit"),
        }
    }
}

/// A trap: what kind, the runtime's message, and the Wasm call stack where the runtime gives one.
///
/// Messages and backtraces are the runtime's own words and differ between runtimes; compare
/// terminations across runtimes with [`Termination::same_as`].
///
/// ```
/// use wasiport::{Trap, TrapKind};
/// let trap = Trap::new(TrapKind::StackOverflow, "call stack exhausted");
/// assert_eq!(trap.kind, TrapKind::StackOverflow);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Trap {
    /// The normalized kind.
    pub kind: TrapKind,
    /// The runtime's message.
    pub message: String,
    /// Wasm frames, innermost first, where the runtime reports them.
    pub backtrace: Option<Vec<String>>,
}

impl Trap {
    /// A trap with no backtrace.
    pub fn new(kind: TrapKind, message: impl Into<String>) -> Self {
        Trap {
            kind,
            message: message.into(),
            backtrace: None,
        }
    }
}

/// The normalized kind of a trap.
///
/// ```
/// use wasiport::TrapKind;
/// assert_eq!(TrapKind::IntegerDivideByZero.as_str(), "integer_divide_by_zero");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TrapKind {
    /// An `unreachable` instruction ran (Rust's `panic = "abort"` and `abort()` end here).
    Unreachable,
    /// A load or store outside linear memory.
    MemoryOutOfBounds,
    /// A table access, or `call_indirect` index, outside the table.
    TableOutOfBounds,
    /// `call_indirect` on a null table entry.
    IndirectCallToNull,
    /// `call_indirect` whose target has another signature.
    IndirectCallTypeMismatch,
    /// The call stack was exhausted.
    StackOverflow,
    /// Integer division or remainder by zero.
    IntegerDivideByZero,
    /// Integer overflow (`i32.div_s` of `i32::MIN` by -1).
    IntegerOverflow,
    /// A float-to-int truncation of NaN or of a value out of range.
    InvalidConversionToInteger,
    /// Anything else, including errors raised by host functions.
    Other,
}

impl TrapKind {
    /// Every kind, in declaration order.
    ///
    /// ```
    /// use wasiport::TrapKind;
    /// assert!(TrapKind::ALL.contains(&TrapKind::StackOverflow));
    /// ```
    pub const ALL: &'static [TrapKind] = &[
        TrapKind::Unreachable,
        TrapKind::MemoryOutOfBounds,
        TrapKind::TableOutOfBounds,
        TrapKind::IndirectCallToNull,
        TrapKind::IndirectCallTypeMismatch,
        TrapKind::StackOverflow,
        TrapKind::IntegerDivideByZero,
        TrapKind::IntegerOverflow,
        TrapKind::InvalidConversionToInteger,
        TrapKind::Other,
    ];

    /// The kind whose [`TrapKind::as_str`] is `name`.
    ///
    /// ```
    /// use wasiport::TrapKind;
    /// assert_eq!(TrapKind::from_name("unreachable"), Some(TrapKind::Unreachable));
    /// assert_eq!(TrapKind::from_name("nothing"), None);
    /// ```
    pub fn from_name(name: &str) -> Option<TrapKind> {
        TrapKind::ALL.iter().copied().find(|k| k.as_str() == name)
    }

    /// The stable snake_case name.
    pub fn as_str(self) -> &'static str {
        match self {
            TrapKind::Unreachable => "unreachable",
            TrapKind::MemoryOutOfBounds => "memory_out_of_bounds",
            TrapKind::TableOutOfBounds => "table_out_of_bounds",
            TrapKind::IndirectCallToNull => "indirect_call_to_null",
            TrapKind::IndirectCallTypeMismatch => "indirect_call_type_mismatch",
            TrapKind::StackOverflow => "stack_overflow",
            TrapKind::IntegerDivideByZero => "integer_divide_by_zero",
            TrapKind::IntegerOverflow => "integer_overflow",
            TrapKind::InvalidConversionToInteger => "invalid_conversion_to_integer",
            TrapKind::Other => "other",
        }
    }
}

impl fmt::Display for TrapKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
