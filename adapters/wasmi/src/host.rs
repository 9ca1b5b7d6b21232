//! [`wasiport::HostFunction`]s as wasmi host functions.

use wasiport::host::SliceCaller;
use wasiport::{HostFunction, HostValue, ValType};
use wasmi::{FuncType, Linker, Val, F32, F64};

pub(crate) fn val_type(ty: ValType) -> wasmi::ValType {
    match ty {
        ValType::I32 => wasmi::ValType::I32,
        ValType::I64 => wasmi::ValType::I64,
        ValType::F32 => wasmi::ValType::F32,
        // HostFunction::new admits nothing but the four numeric types.
        _ => wasmi::ValType::F64,
    }
}

pub(crate) fn from_val(val: &Val) -> Option<HostValue> {
    match val {
        Val::I32(v) => Some(HostValue::I32(*v)),
        Val::I64(v) => Some(HostValue::I64(*v)),
        Val::F32(v) => Some(HostValue::F32(f32::from_bits(v.to_bits()))),
        Val::F64(v) => Some(HostValue::F64(f64::from_bits(v.to_bits()))),
        _ => None,
    }
}

pub(crate) fn to_val(value: HostValue) -> Val {
    match value {
        HostValue::I32(v) => Val::I32(v),
        HostValue::I64(v) => Val::I64(v),
        HostValue::F32(v) => Val::F32(F32::from_bits(v.to_bits())),
        HostValue::F64(v) => Val::F64(F64::from_bits(v.to_bits())),
    }
}

/// Defines each of `functions` in `linker`; a [`wasiport::HostError`] unwinds the guest as a
/// trap with its message.
pub(crate) fn define<T: 'static>(
    linker: &mut Linker<T>,
    functions: &[HostFunction],
) -> Result<(), String> {
    for function in functions {
        let sig = function.signature();
        let ty = FuncType::new(
            sig.params.iter().copied().map(val_type),
            sig.results.iter().copied().map(val_type),
        );
        let function = function.clone();
        let (module, name) = (function.module().to_string(), function.name().to_string());
        linker
            .func_new(&module, &name, ty, move |mut caller, params, results| {
                let args: Vec<HostValue> = params.iter().filter_map(from_val).collect();
                let memory = caller
                    .get_export("memory")
                    .and_then(wasmi::Extern::into_memory);
                let mut empty = [];
                let bytes = match &memory {
                    Some(memory) => memory.data_mut(&mut caller),
                    None => &mut empty[..],
                };
                let values = function
                    .call(&mut SliceCaller(bytes), &args)
                    .map_err(|e| match e.exit_code() {
                        Some(code) => wasmi::Error::i32_exit(code),
                        None => wasmi::Error::new(e.to_string()),
                    })?;
                for (slot, value) in results.iter_mut().zip(values) {
                    *slot = to_val(value);
                }
                Ok(())
            })
            .map_err(|e| e.to_string())?;
    }
    Ok(())
}
