//! WasmEdge's execution error codes as [`TrapKind`]s.

use wasiport::TrapKind;

use crate::capi::code;

/// The kind of a trap from WasmEdge's error code.
pub(crate) fn trap_kind(error_code: u32) -> TrapKind {
    match error_code {
        code::UNREACHABLE => TrapKind::Unreachable,
        code::MEMORY_OUT_OF_BOUNDS => TrapKind::MemoryOutOfBounds,
        code::TABLE_OUT_OF_BOUNDS | code::UNDEFINED_ELEMENT => TrapKind::TableOutOfBounds,
        code::UNINITIALIZED_ELEMENT => TrapKind::IndirectCallToNull,
        code::INDIRECT_CALL_TYPE_MISMATCH => TrapKind::IndirectCallTypeMismatch,
        code::DIVIDE_BY_ZERO => TrapKind::IntegerDivideByZero,
        code::INTEGER_OVERFLOW => TrapKind::IntegerOverflow,
        code::INVALID_CONV_TO_INT => TrapKind::InvalidConversionToInteger,
        _ => TrapKind::Other,
    }
}
