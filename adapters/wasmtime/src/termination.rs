//! Turning the result of `_start` into a [`Termination`].

use wasiport::{Termination, Trap as Trapped, TrapKind};
use wasmtime::{Trap, WasmBacktrace};
use wasmtime_wasi::I32Exit;

/// Raised by the epoch callback when this run's deadline has passed.
#[derive(Debug)]
pub(crate) struct TimedOut;

impl std::fmt::Display for TimedOut {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("wall-clock timeout")
    }
}

impl std::error::Error for TimedOut {}

fn trap_kind(trap: Trap) -> TrapKind {
    match trap {
        Trap::UnreachableCodeReached => TrapKind::Unreachable,
        Trap::MemoryOutOfBounds | Trap::HeapMisaligned => TrapKind::MemoryOutOfBounds,
        Trap::TableOutOfBounds => TrapKind::TableOutOfBounds,
        Trap::IndirectCallToNull => TrapKind::IndirectCallToNull,
        Trap::BadSignature => TrapKind::IndirectCallTypeMismatch,
        Trap::StackOverflow => TrapKind::StackOverflow,
        Trap::IntegerDivisionByZero => TrapKind::IntegerDivideByZero,
        Trap::IntegerOverflow => TrapKind::IntegerOverflow,
        Trap::BadConversionToInteger => TrapKind::InvalidConversionToInteger,
        _ => TrapKind::Other,
    }
}

fn backtrace(error: &wasmtime::Error) -> Option<Vec<String>> {
    let bt = error.downcast_ref::<WasmBacktrace>()?;
    Some(
        bt.frames()
            .iter()
            .map(|f| match f.func_name() {
                Some(name) => name.to_string(),
                None => format!("func[{}]", f.func_index()),
            })
            .collect(),
    )
}

/// How the guest ended, from what instantiating and calling `_start` returned.
pub(crate) fn classify(result: wasmtime::Result<()>) -> Termination {
    let error = match result {
        Ok(()) => return Termination::Exited(0),
        Err(error) => error,
    };
    if let Some(exit) = error.downcast_ref::<I32Exit>() {
        return Termination::Exited(exit.0);
    }
    if let Some(code) = error
        .downcast_ref::<wasiport::HostError>()
        .and_then(wasiport::HostError::exit_code)
    {
        return Termination::Exited(code);
    }
    if error.downcast_ref::<TimedOut>().is_some() {
        return Termination::Timeout;
    }
    if let Some(trap) = error.downcast_ref::<Trap>() {
        return match trap {
            Trap::OutOfFuel => Termination::OutOfFuel,
            Trap::Interrupt => Termination::Timeout,
            trap => Termination::Trap(Trapped {
                kind: trap_kind(*trap),
                message: trap.to_string(),
                backtrace: backtrace(&error),
            }),
        };
    }
    // Any other error was raised by a host function (WASI) and unwound the guest: a trap. Its
    // message is the chain of causes without the backtrace, which goes to its own field.
    let message = error
        .chain()
        .map(ToString::to_string)
        .filter(|cause| !cause.starts_with("error while executing at wasm backtrace"))
        .collect::<Vec<_>>()
        .join(": ");
    Termination::Trap(Trapped {
        kind: TrapKind::Other,
        message,
        backtrace: backtrace(&error),
    })
}
