//! V8's words for a trap, turned into a [`Trap`].

use wasiport::{Trap, TrapKind};

/// The kind of a trap V8 reported as `name: message` (a `WebAssembly.RuntimeError` for Wasm
/// traps, a `RangeError` for an exhausted call stack).
///
/// V8 11 says "null function or function signature mismatch" both for a `call_indirect` of a
/// null entry and for one of another signature: that message is reported as
/// [`TrapKind::IndirectCallTypeMismatch`] unless it names only one of the two.
pub fn trap_kind(name: &str, message: &str) -> TrapKind {
    // A host function's error: its words are the host's, whatever they say.
    if name == "HostError" {
        return TrapKind::Other;
    }
    if name == "RangeError" {
        return if message.contains("Maximum call stack size exceeded") {
            TrapKind::StackOverflow
        } else {
            TrapKind::Other
        };
    }
    // jco's glue (a transpiled component) rewrites V8's words for a core trap into wasmtime's.
    if let Some(m) = message.strip_prefix("wasm trap: ") {
        let kind = match m {
            "integer divide by zero" => Some(TrapKind::IntegerDivideByZero),
            "integer overflow" => Some(TrapKind::IntegerOverflow),
            "invalid conversion to integer" => Some(TrapKind::InvalidConversionToInteger),
            "undefined element: out of bounds table access" => Some(TrapKind::TableOutOfBounds),
            "indirect call type mismatch" => Some(TrapKind::IndirectCallTypeMismatch),
            "out of bounds memory access" => Some(TrapKind::MemoryOutOfBounds),
            "call stack exhausted" => Some(TrapKind::StackOverflow),
            _ => None,
        };
        if let Some(kind) = kind {
            return kind;
        }
    }
    let m = message;
    if m.contains("unreachable") {
        TrapKind::Unreachable
    } else if m.contains("memory access out of bounds") || m.contains("operation does not fit") {
        TrapKind::MemoryOutOfBounds
    } else if m.contains("table index is out of bounds") || m.contains("table access out of bounds")
    {
        TrapKind::TableOutOfBounds
    } else if m == "null function or function signature mismatch" {
        TrapKind::IndirectCallTypeMismatch
    } else if m.contains("null function") {
        TrapKind::IndirectCallToNull
    } else if m.contains("signature mismatch") {
        TrapKind::IndirectCallTypeMismatch
    } else if m.contains("divide by zero") || m.contains("remainder by zero") {
        TrapKind::IntegerDivideByZero
    } else if m.contains("divide result unrepresentable") {
        TrapKind::IntegerOverflow
    } else if m.contains("float unrepresentable in integer range") {
        TrapKind::InvalidConversionToInteger
    } else {
        TrapKind::Other
    }
}

/// The Wasm frames of a V8 stack trace (`Error.stack`) (`at f (wasm://wasm/<hash>:wasm-function[3]:0x5a)`),
/// innermost first: each frame's function as V8 names it.
pub fn wasm_frames(stack: &str) -> Option<Vec<String>> {
    let frames: Vec<String> = stack
        .lines()
        .map(str::trim)
        .filter(|l| l.starts_with("at ") && l.contains("wasm://"))
        .map(|l| {
            let frame = &l[3..];
            match frame.find(" (wasm://") {
                Some(end) => frame[..end].to_string(),
                None => frame.to_string(),
            }
        })
        .collect();
    (!frames.is_empty()).then_some(frames)
}

/// The trap V8 reported: `name` (`RuntimeError`, `RangeError`, ...), `message`, and the
/// error's `stack`, which gives the backtrace.
pub fn trap(name: &str, message: &str, stack: &str) -> Trap {
    Trap {
        kind: trap_kind(name, message),
        message: format!("{name}: {message}"),
        backtrace: wasm_frames(stack),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn v8_messages_map_to_their_kinds() {
        let cases = [
            ("RuntimeError", "unreachable", TrapKind::Unreachable),
            (
                "RuntimeError",
                "memory access out of bounds",
                TrapKind::MemoryOutOfBounds,
            ),
            (
                "RuntimeError",
                "divide by zero",
                TrapKind::IntegerDivideByZero,
            ),
            (
                "RuntimeError",
                "remainder by zero",
                TrapKind::IntegerDivideByZero,
            ),
            (
                "RuntimeError",
                "divide result unrepresentable",
                TrapKind::IntegerOverflow,
            ),
            (
                "RuntimeError",
                "float unrepresentable in integer range",
                TrapKind::InvalidConversionToInteger,
            ),
            (
                "RuntimeError",
                "table index is out of bounds",
                TrapKind::TableOutOfBounds,
            ),
            (
                "RangeError",
                "Maximum call stack size exceeded",
                TrapKind::StackOverflow,
            ),
            ("RangeError", "Invalid array length", TrapKind::Other),
            // As jco's glue rewrites them (wasmtime's words).
            (
                "RuntimeError",
                "wasm trap: integer overflow",
                TrapKind::IntegerOverflow,
            ),
            (
                "RuntimeError",
                "wasm trap: undefined element: out of bounds table access",
                TrapKind::TableOutOfBounds,
            ),
            (
                "RuntimeError",
                "wasm trap: invalid conversion to integer",
                TrapKind::InvalidConversionToInteger,
            ),
            (
                "RuntimeError",
                "wasm trap: wasm `unreachable` instruction executed",
                TrapKind::Unreachable,
            ),
        ];
        for (name, message, kind) in cases {
            assert_eq!(trap_kind(name, message), kind, "{name}: {message}");
        }
    }

    #[test]
    fn wasm_frames_are_read_off_a_v8_stack() {
        let stack = "RuntimeError: unreachable\n    at probe.wasm.abort (wasm://wasm/00a1b2c3:wasm-function[12]:0x1a2b)\n    at wasm://wasm/00a1b2c3:wasm-function[3]:0x10\n    at WASI.start (node:wasi:136:7)";
        assert_eq!(
            wasm_frames(stack),
            Some(vec![
                "probe.wasm.abort".to_string(),
                "wasm://wasm/00a1b2c3:wasm-function[3]:0x10".to_string()
            ])
        );
        assert_eq!(wasm_frames("Error: x\n    at f (file.js:1:1)"), None);
    }
}
