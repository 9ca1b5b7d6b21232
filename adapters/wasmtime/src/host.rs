//! [`wasiport::HostFunction`]s as wasmtime host functions.

use wasiport::host::SliceCaller;
use wasiport::{HostFunction, HostValue, ValType};
use wasmtime::{Engine, FuncType, Linker, Val};

pub(crate) fn val_type(ty: ValType) -> wasmtime::ValType {
    match ty {
        ValType::I32 => wasmtime::ValType::I32,
        ValType::I64 => wasmtime::ValType::I64,
        ValType::F32 => wasmtime::ValType::F32,
        // HostFunction::new admits nothing but the four numeric types.
        _ => wasmtime::ValType::F64,
    }
}

pub(crate) fn from_val(val: &Val) -> Option<HostValue> {
    match val {
        Val::I32(v) => Some(HostValue::I32(*v)),
        Val::I64(v) => Some(HostValue::I64(*v)),
        Val::F32(bits) => Some(HostValue::F32(f32::from_bits(*bits))),
        Val::F64(bits) => Some(HostValue::F64(f64::from_bits(*bits))),
        _ => None,
    }
}

pub(crate) fn to_val(value: HostValue) -> Val {
    match value {
        HostValue::I32(v) => Val::I32(v),
        HostValue::I64(v) => Val::I64(v),
        HostValue::F32(v) => Val::F32(v.to_bits()),
        HostValue::F64(v) => Val::F64(v.to_bits()),
    }
}

/// Defines each of `functions` in `linker`; a [`wasiport::HostError`] unwinds the guest as a
/// trap with its message.
pub(crate) fn define<T: 'static>(
    linker: &mut Linker<T>,
    engine: &Engine,
    functions: &[HostFunction],
) -> wasmtime::Result<()> {
    for function in functions {
        let sig = function.signature();
        let ty = FuncType::new(
            engine,
            sig.params.iter().copied().map(val_type),
            sig.results.iter().copied().map(val_type),
        );
        let function = function.clone();
        linker.func_new(
            function.module().to_string().as_str(),
            function.name().to_string().as_str(),
            ty,
            move |mut caller, params, results| {
                let args: Vec<HostValue> = params.iter().filter_map(from_val).collect();
                let memory = caller
                    .get_export("memory")
                    .and_then(wasmtime::Extern::into_memory);
                let mut empty = [];
                let bytes = match &memory {
                    Some(memory) => memory.data_mut(&mut caller),
                    None => &mut empty[..],
                };
                let values = function.call(&mut SliceCaller(bytes), &args)?;
                for (slot, value) in results.iter_mut().zip(values) {
                    *slot = to_val(value);
                }
                Ok(())
            },
        )?;
    }
    Ok(())
}
