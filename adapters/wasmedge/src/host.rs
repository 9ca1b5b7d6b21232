//! [`wasiport::HostFunction`]s as WasmEdge host modules: how the portable WASI and a run's own
//! host functions reach a guest WasmEdge runs in the host process (and, in the worker, how the
//! portable WASI did before runs with it moved into the host process).

use std::ptr::NonNull;
use std::sync::{Arc, Mutex, PoisonError};

use wasiport::host::SliceCaller;
use wasiport::{HostError, HostFunction, HostValue, ValType};
use wasmedge_sys::ffi;

use crate::capi::{c_string, non_null, Failure, ModuleInstance};

/// What a host function that ended the guest left behind: WasmEdge carries only a code out of
/// a host call, so the error itself waits here.
pub(crate) type Ended = Arc<Mutex<Option<HostError>>>;

/// One function: what the callback finds behind WasmEdge's data pointer.
struct Slot {
    function: HostFunction,
    ended: Ended,
}

fn val_type(ty: ValType) -> ffi::WasmEdge_ValType {
    // SAFETY: value constructors of the C API.
    unsafe {
        match ty {
            ValType::I32 => ffi::WasmEdge_ValTypeGenI32(),
            ValType::I64 => ffi::WasmEdge_ValTypeGenI64(),
            ValType::F32 => ffi::WasmEdge_ValTypeGenF32(),
            _ => ffi::WasmEdge_ValTypeGenF64(),
        }
    }
}

/// A host module and the slots its functions' callbacks read: dropped together, the module
/// first.
pub(crate) struct HostModule {
    pub module: ModuleInstance,
    // Boxed: each slot's address is a callback's data, which must not move as the list grows.
    #[allow(clippy::vec_box)]
    _slots: Vec<Box<Slot>>,
}

/// A WasmEdge value of a [`HostValue`].
pub(crate) fn to_value(value: HostValue) -> ffi::WasmEdge_Value {
    // SAFETY: value constructors of the C API.
    unsafe {
        match value {
            HostValue::I32(x) => ffi::WasmEdge_ValueGenI32(x),
            HostValue::I64(x) => ffi::WasmEdge_ValueGenI64(x),
            HostValue::F32(x) => ffi::WasmEdge_ValueGenF32(x),
            HostValue::F64(x) => ffi::WasmEdge_ValueGenF64(x),
        }
    }
}

/// The [`HostValue`] of a WasmEdge value of type `ty`.
pub(crate) fn from_value(ty: ValType, v: ffi::WasmEdge_Value) -> HostValue {
    // SAFETY: value accessors of the C API, on a value of that type.
    unsafe {
        match ty {
            ValType::I32 => HostValue::I32(ffi::WasmEdge_ValueGetI32(v)),
            ValType::I64 => HostValue::I64(ffi::WasmEdge_ValueGetI64(v)),
            ValType::F32 => HostValue::F32(ffi::WasmEdge_ValueGetF32(v)),
            _ => HostValue::F64(ffi::WasmEdge_ValueGetF64(v)),
        }
    }
}

/// The host modules of `functions`, one per module name they are imported from.
pub(crate) fn modules(
    functions: &[HostFunction],
    ended: &Ended,
) -> Result<Vec<HostModule>, Failure> {
    let mut names: Vec<&str> = functions.iter().map(HostFunction::module).collect();
    names.sort_unstable();
    names.dedup();
    names
        .into_iter()
        .map(|name| {
            let of_module: Vec<HostFunction> = functions
                .iter()
                .filter(|f| f.module() == name)
                .cloned()
                .collect();
            module(name, &of_module, ended)
        })
        .collect()
}

/// A host module `name` holding `functions`.
pub(crate) fn module(
    name: &str,
    functions: &[HostFunction],
    ended: &Ended,
) -> Result<HostModule, Failure> {
    let name = c_string(name)?;
    // SAFETY: the WasmEdge string is deleted after the call, which copies it.
    let module = unsafe {
        let wname = ffi::WasmEdge_StringCreateByCString(name.as_ptr());
        let module = ffi::WasmEdge_ModuleInstanceCreate(wname);
        ffi::WasmEdge_StringDelete(wname);
        module
    };
    let module: NonNull<_> = non_null(module, "a host module")?;
    // Owned from here, so that an error below frees it.
    let module = ModuleInstance::from_raw(module);
    let mut slots = Vec::with_capacity(functions.len());
    for function in functions {
        let sig = function.signature();
        let params: Vec<_> = sig.params.iter().copied().map(val_type).collect();
        let results: Vec<_> = sig.results.iter().copied().map(val_type).collect();
        let mut slot = Box::new(Slot {
            function: function.clone(),
            ended: ended.clone(),
        });
        let fname = c_string(function.name())?;
        // SAFETY: the type lists outlive the calls that copy them; the function instance is
        // moved into the module, which owns it; the slot is boxed (its address stays put) and
        // kept beside the module, which is dropped first.
        unsafe {
            let ty = ffi::WasmEdge_FunctionTypeCreate(
                params.as_ptr(),
                params.len() as u32,
                results.as_ptr(),
                results.len() as u32,
            );
            let ty = non_null(ty, "a function type")?;
            let instance = ffi::WasmEdge_FunctionInstanceCreate(
                ty.as_ptr(),
                Some(call),
                std::ptr::from_mut::<Slot>(&mut slot).cast(),
                0,
            );
            ffi::WasmEdge_FunctionTypeDelete(ty.as_ptr());
            let instance = non_null(instance, "a host function")?;
            let wname = ffi::WasmEdge_StringCreateByCString(fname.as_ptr());
            ffi::WasmEdge_ModuleInstanceAddFunction(module.as_ptr(), wname, instance.as_ptr());
            ffi::WasmEdge_StringDelete(wname);
        }
        slots.push(slot);
    }
    Ok(HostModule {
        module,
        _slots: slots,
    })
}

/// The callback of every host function: arguments and results as WasmEdge values, memory 0 of
/// the calling frame as a slice. An exit ends the guest with "terminated"; an error with a
/// user-level error; either way the [`Ended`] slot says which.
unsafe extern "C" fn call(
    data: *mut std::ffi::c_void,
    frame: *const ffi::WasmEdge_CallingFrameContext,
    params: *const ffi::WasmEdge_Value,
    returns: *mut ffi::WasmEdge_Value,
) -> ffi::WasmEdge_Result {
    // SAFETY: the data pointer is the slot given at creation, alive as long as its module.
    let slot = unsafe { &*data.cast::<Slot>() };
    let sig = slot.function.signature();
    let args: Vec<HostValue> = sig
        .params
        .iter()
        .enumerate()
        .map(|(i, t)| {
            // SAFETY: WasmEdge passes as many parameters as the function type has.
            from_value(*t, unsafe { *params.add(i) })
        })
        .collect();
    // SAFETY: the frame is valid during the call; the pointer covers the memory's pages, which
    // nothing else touches while the guest waits for this call.
    let memory: &mut [u8] = unsafe {
        let mem = ffi::WasmEdge_CallingFrameGetMemoryInstance(frame, 0);
        let size = if mem.is_null() {
            0
        } else {
            ffi::WasmEdge_MemoryInstanceGetPageSize(mem) as usize * 65536
        };
        let ptr = if size == 0 {
            std::ptr::null_mut()
        } else {
            ffi::WasmEdge_MemoryInstanceGetPointer(mem, 0, size as u32)
        };
        if ptr.is_null() {
            &mut []
        } else {
            std::slice::from_raw_parts_mut(ptr, size)
        }
    };
    // `call` catches a panic of the host's closure: nothing unwinds into the runtime's C.
    let called = slot.function.call(&mut SliceCaller(memory), &args);
    match called {
        Ok(values) => {
            for (i, v) in values.into_iter().enumerate() {
                // SAFETY: WasmEdge reserves as many results as the function type has.
                unsafe { *returns.add(i) = to_value(v) };
            }
            ffi::WasmEdge_Result { Code: 0 }
        }
        Err(e) => {
            let exit = e.exit_code().is_some();
            *slot.ended.lock().unwrap_or_else(PoisonError::into_inner) = Some(e);
            if exit {
                // WasmEdge_Result_Terminate.
                ffi::WasmEdge_Result { Code: 1 }
            } else {
                // SAFETY: a value constructor of the C API.
                unsafe { ffi::WasmEdge_ResultGen(ffi::WasmEdge_ErrCategory_UserLevelError, 1) }
            }
        }
    }
}
