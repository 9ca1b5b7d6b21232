//! [`wasiport::HostFunction`]s (the portable WASI's among them) as wasm3 raw functions.

use std::ffi::CString;
use std::sync::{Arc, Mutex, PoisonError};

use wasiport::host::SliceCaller;
use wasiport::{HostError, HostFunction, HostValue, ValType};
use wasm3x_sys as sys;

use crate::ffi::{c_string, result, trap_result};

/// What a host function that ended the guest left behind: wasm3 only carries a static string
/// out of a call, so the error itself waits here.
pub(crate) type Failure = Arc<Mutex<Option<HostError>>>;

/// The trap a host function's error raises; the error is in the run's [`Failure`].
const HOST_TRAP: &std::ffi::CStr = c"[trap] host function failed";

/// One linked function: what the trampoline finds behind wasm3's userdata pointer.
pub(crate) struct Slot {
    function: HostFunction,
    failure: Failure,
}

/// wasm3's signature string: the result (`v` for none), then the parameters in parentheses.
fn signature(function: &HostFunction) -> Result<CString, String> {
    let code = |t: &ValType| match t {
        ValType::I32 => 'i',
        ValType::I64 => 'I',
        ValType::F32 => 'f',
        _ => 'F',
    };
    let sig = function.signature();
    let result = match sig.results.as_slice() {
        [] => 'v',
        [one] => code(one),
        _ => {
            return Err(format!(
                "{function}: wasm3 links functions of at most one result"
            ))
        }
    };
    let params: String = sig.params.iter().map(code).collect();
    Ok(c_string(&format!("{result}({params})")))
}

/// Links each of `functions` that `module` imports (`imported`), each behind a [`Slot`] that
/// must outlive the runtime.
// Boxed: wasm3 holds each slot's address, which must not move when the vector grows.
#[allow(clippy::vec_box)]
pub(crate) fn link(
    module: sys::IM3Module,
    functions: &[HostFunction],
    imported: impl Fn(&str, &str) -> bool,
    failure: &Failure,
) -> Result<Vec<Box<Slot>>, String> {
    let mut slots = Vec::new();
    for function in functions {
        if !imported(function.module(), function.name()) {
            continue;
        }
        let slot = Box::new(Slot {
            function: function.clone(),
            failure: failure.clone(),
        });
        let (m, n, sig) = (
            c_string(function.module()),
            c_string(function.name()),
            signature(function)?,
        );
        // SAFETY: the strings live through the call (wasm3 copies what it keeps); the slot is
        // boxed, so its address is stable, and the caller keeps it alive with the runtime.
        result(unsafe {
            sys::m3_LinkRawFunctionEx(
                module,
                m.as_ptr(),
                n.as_ptr(),
                sig.as_ptr(),
                Some(trampoline),
                std::ptr::from_ref::<Slot>(&slot).cast(),
            )
        })
        .map_err(|e| format!("linking {function}: {e}"))?;
        slots.push(slot);
    }
    Ok(slots)
}

/// Calls a [`Slot`]'s function: arguments from wasm3's stack (results first, then arguments,
/// one 64-bit slot each), memory as a slice.
unsafe extern "C" fn trampoline(
    runtime: sys::IM3Runtime,
    ctx: sys::IM3ImportContext,
    sp: *mut u64,
    mem: *mut std::ffi::c_void,
) -> *const std::ffi::c_void {
    // SAFETY: wasm3 passes the userdata given to `m3_LinkRawFunctionEx`: a live `Slot`.
    let slot = unsafe { &*(*ctx).userdata.cast::<Slot>() };
    let sig = slot.function.signature();
    let results = sig.results.len();
    let args: Vec<HostValue> = sig
        .params
        .iter()
        .enumerate()
        .map(|(i, t)| {
            // SAFETY: wasm3 reserves a slot per result and per parameter of the signature.
            HostValue::from_bits(*t, unsafe { *sp.add(results + i) })
        })
        .collect();
    let memory: &mut [u8] = if mem.is_null() {
        &mut []
    } else {
        // SAFETY: `mem` is the guest's memory of `m3_GetMemorySize` bytes, which nothing else
        // touches during the call.
        unsafe {
            let size = sys::m3_GetMemorySize(runtime) as usize;
            std::slice::from_raw_parts_mut(mem.cast::<u8>(), size)
        }
    };
    // `call` catches a panic of the host's closure: nothing unwinds into the runtime's C.
    let called = slot.function.call(&mut SliceCaller(memory), &args);
    match called {
        Ok(values) => {
            for (i, v) in values.into_iter().enumerate() {
                let raw = v.to_bits();
                // SAFETY: the result slots come first on the stack.
                unsafe { *sp.add(i) = raw };
            }
            std::ptr::null()
        }
        Err(e) => {
            *slot.failure.lock().unwrap_or_else(PoisonError::into_inner) = Some(e);
            trap_result(HOST_TRAP)
        }
    }
}
