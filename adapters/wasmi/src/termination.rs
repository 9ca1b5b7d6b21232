//! Turning a wasmi error into a [`Termination`].

use wasiport::{Termination, Trap, TrapKind};
use wasmi::TrapCode;

fn trap_kind(code: TrapCode) -> TrapKind {
    match code {
        TrapCode::UnreachableCodeReached => TrapKind::Unreachable,
        TrapCode::MemoryOutOfBounds => TrapKind::MemoryOutOfBounds,
        TrapCode::TableOutOfBounds => TrapKind::TableOutOfBounds,
        TrapCode::IndirectCallToNull => TrapKind::IndirectCallToNull,
        TrapCode::IntegerDivisionByZero => TrapKind::IntegerDivideByZero,
        TrapCode::IntegerOverflow => TrapKind::IntegerOverflow,
        TrapCode::BadConversionToInteger => TrapKind::InvalidConversionToInteger,
        TrapCode::StackOverflow => TrapKind::StackOverflow,
        TrapCode::BadSignature => TrapKind::IndirectCallTypeMismatch,
        _ => TrapKind::Other,
    }
}

/// How the guest ended, from the error that stopped it.
pub(crate) fn classify(error: &wasmi::Error) -> Termination {
    if let Some(code) = error.i32_exit_status() {
        return Termination::Exited(code);
    }
    match error.as_trap_code() {
        Some(TrapCode::OutOfFuel) => Termination::OutOfFuel,
        Some(code) => Termination::Trap(Trap::new(trap_kind(code), error.to_string())),
        // Raised by a host function (WASI) and unwound the guest.
        None => Termination::Trap(Trap::new(TrapKind::Other, error.to_string())),
    }
}
