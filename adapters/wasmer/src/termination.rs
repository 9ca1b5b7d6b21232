//! Turning what `_start` returned into a [`Termination`].

use wasiport::{Termination, Trap, TrapKind};
use wasmer::RuntimeError;
use wasmer_types::TrapCode;
use wasmer_wasix::WasiError;

use crate::exit::GuestExit;

fn trap_kind(code: TrapCode) -> TrapKind {
    match code {
        TrapCode::UnreachableCodeReached => TrapKind::Unreachable,
        TrapCode::HeapAccessOutOfBounds | TrapCode::UnalignedAtomic => TrapKind::MemoryOutOfBounds,
        TrapCode::TableAccessOutOfBounds => TrapKind::TableOutOfBounds,
        TrapCode::IndirectCallToNull => TrapKind::IndirectCallToNull,
        TrapCode::BadSignature => TrapKind::IndirectCallTypeMismatch,
        TrapCode::StackOverflow => TrapKind::StackOverflow,
        TrapCode::IntegerDivisionByZero => TrapKind::IntegerDivideByZero,
        TrapCode::IntegerOverflow => TrapKind::IntegerOverflow,
        TrapCode::BadConversionToInteger => TrapKind::InvalidConversionToInteger,
        _ => TrapKind::Other,
    }
}

/// How the guest ended, from the error that stopped it. Metering exhaustion and the timeout
/// are decided by the caller, which knows about them, before this is asked.
pub(crate) fn classify(error: &RuntimeError) -> Termination {
    if let Some(GuestExit(code)) = error.downcast_ref::<GuestExit>() {
        return Termination::Exited(*code);
    }
    match error.downcast_ref::<WasiError>() {
        Some(WasiError::Exit(code)) => return Termination::Exited(code.raw()),
        Some(WasiError::ThreadExit) => return Termination::Exited(0),
        _ => {}
    }
    let backtrace: Vec<String> = error
        .trace()
        .iter()
        .map(|frame| match frame.function_name() {
            Some(name) => name.to_string(),
            None => format!("func[{}]", frame.func_index()),
        })
        .collect();
    let kind = match error.clone().to_trap() {
        Some(TrapCode::HostInterrupt) => return Termination::Timeout,
        Some(code) => trap_kind(code),
        // Raised by a host function (WASI) and unwound the guest.
        None => TrapKind::Other,
    };
    Termination::Trap(Trap {
        kind,
        message: error.message(),
        backtrace: (!backtrace.is_empty()).then_some(backtrace),
    })
}
