//! RAII handles over wasm3's C API, and its results as Rust values.

use std::ffi::{c_char, CStr};
use std::ptr;

use wasm3x_sys as sys;

/// A wasm3 result: `NULL` for success, else a static C string (a trap or an error).
pub(crate) fn result(r: sys::M3Result) -> Result<(), String> {
    if r.is_null() {
        Ok(())
    } else {
        // SAFETY: wasm3's results are NUL-terminated static strings (`m3Err_*`), or ours.
        Err(unsafe { CStr::from_ptr(r) }.to_string_lossy().into_owned())
    }
}

/// An environment with one runtime: freed together (the runtime first).
pub(crate) struct Runtime {
    env: sys::IM3Environment,
    runtime: sys::IM3Runtime,
}

impl Runtime {
    /// A runtime whose value stack holds `stack_bytes`.
    pub fn new(stack_bytes: u32) -> Result<Self, String> {
        // SAFETY: plain constructors; each result is checked before use.
        unsafe {
            let env = sys::m3_NewEnvironment();
            if env.is_null() {
                return Err("m3_NewEnvironment failed".into());
            }
            let runtime = sys::m3_NewRuntime(env, stack_bytes, ptr::null_mut());
            if runtime.is_null() {
                sys::m3_FreeEnvironment(env);
                return Err("m3_NewRuntime failed".into());
            }
            Ok(Runtime { env, runtime })
        }
    }

    /// Parses `wasm` and loads it into the runtime. `wasm` must outlive the runtime: wasm3
    /// keeps pointers into it.
    pub fn load(&self, wasm: &[u8]) -> Result<sys::IM3Module, String> {
        let len = u32::try_from(wasm.len()).map_err(|_| "module larger than 4 GiB".to_string())?;
        let mut module: sys::IM3Module = ptr::null_mut();
        // SAFETY: `wasm` is valid for `len` bytes; a module that fails to load is freed here,
        // one that loads belongs to the runtime.
        unsafe {
            result(sys::m3_ParseModule(
                self.env,
                &mut module,
                wasm.as_ptr(),
                len,
            ))?;
            if let Err(e) = result(sys::m3_LoadModule(self.runtime, module)) {
                sys::m3_FreeModule(module);
                return Err(e);
            }
        }
        Ok(module)
    }

    /// The exported function `name`.
    pub fn find_function(&self, name: &CStr) -> Result<sys::IM3Function, String> {
        let mut function: sys::IM3Function = ptr::null_mut();
        // SAFETY: the runtime is alive; `name` is NUL-terminated.
        result(unsafe { sys::m3_FindFunction(&mut function, self.runtime, name.as_ptr()) })?;
        Ok(function)
    }

    /// Calls a function of no arguments and no results.
    pub fn call(&self, function: sys::IM3Function) -> Result<(), String> {
        // SAFETY: `function` belongs to this runtime; no arguments are passed.
        result(unsafe { sys::m3_Call(function, 0, ptr::null_mut()) })
    }

    /// Calls `function` with `args`, each a value's bits as `HostValue::to_bits` makes them
    /// (wasm3 reads each argument at its address as its own type: the low bytes, on a
    /// little-endian machine), and returns its results' bits.
    pub fn call_with(&self, function: sys::IM3Function, args: &[u64]) -> Result<Vec<u64>, String> {
        // SAFETY: `function` belongs to this runtime; wasm3 checks the argument count.
        let results = unsafe { sys::m3_GetRetCount(function) } as usize;
        let mut arg_ptrs: Vec<*const std::ffi::c_void> =
            args.iter().map(|a| ptr::from_ref(a).cast()).collect();
        let argc = u32::try_from(args.len()).map_err(|_| "too many arguments".to_string())?;
        // SAFETY: each pointer points to 8 readable bytes, which live through the call.
        result(unsafe { sys::m3_Call(function, argc, arg_ptrs.as_mut_ptr()) })?;
        let mut values = vec![0u64; results];
        let mut ret_ptrs: Vec<*const std::ffi::c_void> = values
            .iter_mut()
            .map(|v| ptr::from_mut(v).cast_const().cast())
            .collect();
        // SAFETY: each pointer points to 8 writable bytes; wasm3 writes each result there.
        result(unsafe { sys::m3_GetResults(function, results as u32, ret_ptrs.as_mut_ptr()) })?;
        Ok(values)
    }

    /// Runs `module`'s start function, if it has one and it has not run yet.
    pub fn run_start(&self, module: sys::IM3Module) -> Result<(), String> {
        // SAFETY: the module is loaded in this runtime.
        result(unsafe { sys::m3_RunStart(module) })
    }

    /// The linear memory (wasm3 has one), as a slice: valid until the guest runs again (a
    /// `memory.grow` may move it).
    pub fn memory(&mut self) -> &mut [u8] {
        let mut size = 0u32;
        // SAFETY: the runtime is alive; the pointer covers `size` bytes, and the `&mut self`
        // borrow keeps the guest from running while the slice lives.
        unsafe {
            let data = sys::m3_GetMemory(self.runtime, &mut size, 0);
            if data.is_null() {
                &mut []
            } else {
                std::slice::from_raw_parts_mut(data, size as usize)
            }
        }
    }
}

/// A module's exported mutable `i64` global, read and set by the host between calls.
pub(crate) struct GlobalI64(sys::IM3Global);

impl GlobalI64 {
    /// The exported global `name` of `module` (a module of a live runtime).
    pub fn find(module: sys::IM3Module, name: &CStr) -> Result<Self, String> {
        // SAFETY: the module is loaded in a live runtime; `name` is NUL-terminated.
        let global = unsafe { sys::m3_FindGlobal(module, name.as_ptr()) };
        if global.is_null() {
            return Err(format!("the module exports no global {name:?}"));
        }
        // SAFETY: a global of the module, found above.
        if unsafe { sys::m3_GetGlobalType(global) } != sys::M3ValueType::c_m3Type_i64 {
            return Err(format!("the global {name:?} is not an i64"));
        }
        Ok(GlobalI64(global))
    }

    /// Its value.
    pub fn get(&self) -> Result<i64, String> {
        let mut value = sys::M3TaggedValue {
            type_: sys::M3ValueType::c_m3Type_i64,
            value: sys::M3TaggedValue_M3ValueUnion { i64_: 0 },
        };
        // SAFETY: the global is alive with its runtime and is an i64 (checked in `find`), so
        // wasm3 writes the union's `i64_`, which is read back.
        unsafe {
            result(sys::m3_GetGlobal(self.0, &mut value))?;
            Ok(value.value.i64_ as i64)
        }
    }

    /// Sets it (wasm3 refuses an immutable global).
    pub fn set(&self, v: i64) -> Result<(), String> {
        let mut value = sys::M3TaggedValue {
            type_: sys::M3ValueType::c_m3Type_i64,
            value: sys::M3TaggedValue_M3ValueUnion { i64_: v as u64 },
        };
        // SAFETY: as in `get`; wasm3 only reads the value.
        result(unsafe { sys::m3_SetGlobal(self.0, &mut value) })
    }
}

impl Drop for Runtime {
    fn drop(&mut self) {
        // SAFETY: both were made in `new` and are freed once, the runtime (and its modules)
        // first.
        unsafe {
            sys::m3_FreeRuntime(self.runtime);
            sys::m3_FreeEnvironment(self.env);
        }
    }
}

/// Only parses `wasm` (wasm3 compiles each function when it is first called).
pub(crate) fn parse(wasm: &[u8]) -> Result<(), String> {
    let len = u32::try_from(wasm.len()).map_err(|_| "module larger than 4 GiB".to_string())?;
    // SAFETY: as in `Runtime::load`; the module is never loaded, so it is freed here.
    unsafe {
        let env = sys::m3_NewEnvironment();
        if env.is_null() {
            return Err("m3_NewEnvironment failed".into());
        }
        let mut module: sys::IM3Module = ptr::null_mut();
        let parsed = result(sys::m3_ParseModule(env, &mut module, wasm.as_ptr(), len));
        if parsed.is_ok() {
            sys::m3_FreeModule(module);
        }
        sys::m3_FreeEnvironment(env);
        parsed
    }
}

/// A C string for wasm3 (names and signatures never hold NUL: they come from a valid module
/// or from `HostFunction`, whose names are checked against the module's imports).
pub(crate) fn c_string(s: &str) -> std::ffi::CString {
    std::ffi::CString::new(s.replace('\0', "")).unwrap_or_default()
}

/// A static C string usable as a wasm3 trap result.
pub(crate) fn trap_result(message: &'static CStr) -> *const std::ffi::c_void {
    message.as_ptr().cast::<c_char>().cast()
}
