//! Turning what wasm3 returned from `_start` into a [`Termination`].

use std::sync::PoisonError;

use wasiport::{Termination, Trap, TrapKind};

use crate::host::Failure;

/// wasm3's trap messages (its `m3Err_trap*` strings) and what they mean.
const TRAPS: &[(&str, TrapKind)] = &[
    (
        "[trap] out of bounds memory access",
        TrapKind::MemoryOutOfBounds,
    ),
    (
        "[trap] integer divide by zero",
        TrapKind::IntegerDivideByZero,
    ),
    ("[trap] integer overflow", TrapKind::IntegerOverflow),
    (
        "[trap] invalid conversion to integer",
        TrapKind::InvalidConversionToInteger,
    ),
    (
        "[trap] indirect call type mismatch",
        TrapKind::IndirectCallTypeMismatch,
    ),
    ("[trap] undefined element", TrapKind::TableOutOfBounds),
    ("[trap] uninitialized element", TrapKind::IndirectCallToNull),
    (
        "[trap] null function reference",
        TrapKind::IndirectCallToNull,
    ),
    (
        "[trap] out of bounds table access",
        TrapKind::TableOutOfBounds,
    ),
    ("[trap] unreachable executed", TrapKind::Unreachable),
    ("[trap] stack overflow", TrapKind::StackOverflow),
];

/// How the guest ended: a host function's exit or error (left in `failure`), else wasm3's own
/// trap.
pub(crate) fn classify(result: Result<(), String>, failure: &Failure) -> Termination {
    let message = match result {
        Ok(()) => return Termination::Exited(0),
        Err(message) => message,
    };
    if let Some(e) = failure
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .take()
    {
        return e.termination();
    }
    let kind = TRAPS
        .iter()
        .find(|(m, _)| *m == message)
        .map_or(TrapKind::Other, |(_, kind)| *kind);
    Termination::Trap(Trap::new(kind, message))
}
