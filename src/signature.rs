//! Core Wasm value types and function signatures, as far as a host needs them.

use std::fmt;

/// A core WebAssembly value type.
///
/// ```
/// use wasiport::ValType;
/// assert_eq!(ValType::I64.to_string(), "i64");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ValType {
    /// 32-bit integer.
    I32,
    /// 64-bit integer.
    I64,
    /// 32-bit float.
    F32,
    /// 64-bit float.
    F64,
    /// 128-bit vector.
    V128,
    /// Any reference type (`funcref`, `externref`, GC references).
    Ref,
}

impl fmt::Display for ValType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ValType::I32 => "i32",
            ValType::I64 => "i64",
            ValType::F32 => "f32",
            ValType::F64 => "f64",
            ValType::V128 => "v128",
            ValType::Ref => "ref",
        })
    }
}

/// A function signature: parameter and result types.
///
/// ```
/// use wasiport::{Signature, ValType::*};
/// let sig = Signature::new([I32, I64], [I32]);
/// assert_eq!(sig.to_string(), "(i32, i64) -> i32");
/// assert_eq!(Signature::new([], []).to_string(), "() -> ()");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Signature {
    /// Parameter types, in order.
    pub params: Vec<ValType>,
    /// Result types, in order.
    pub results: Vec<ValType>,
}

impl Signature {
    /// A signature from its parameter and result types.
    pub fn new(
        params: impl IntoIterator<Item = ValType>,
        results: impl IntoIterator<Item = ValType>,
    ) -> Self {
        Signature {
            params: params.into_iter().collect(),
            results: results.into_iter().collect(),
        }
    }

    /// Whether this is `() -> ()`, the signature of a command's `_start`.
    pub fn is_nullary(&self) -> bool {
        self.params.is_empty() && self.results.is_empty()
    }
}

impl fmt::Display for Signature {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let list = |types: &[ValType]| {
            types
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        };
        write!(f, "({}) -> ", list(&self.params))?;
        match self.results.as_slice() {
            [one] => write!(f, "{one}"),
            many => write!(f, "({})", list(many)),
        }
    }
}
