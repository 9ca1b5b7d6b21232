//! Owned handles over WasmEdge's C API (`wasmedge_sys::ffi`, the bindings wasmedge-sys generates
//! from libwasmedge's header), each freed on drop, and results turned into Rust.
//!
//! The adapter uses the C API under wasmedge-sys's wrappers because two of those wrappers do not
//! fit here: `Executor::create` takes its `Statistics` by value and drops it (freeing the C
//! context the executor goes on using), and every error loses WasmEdge's own message.

use std::ffi::{CStr, CString};
use std::ptr::{self, NonNull};
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use wasmedge_sys::ffi;

/// A failed WasmEdge call: its error code and WasmEdge's own message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Failure {
    pub code: u32,
    pub message: String,
}

impl Failure {
    pub(crate) fn new(message: impl Into<String>) -> Self {
        Failure {
            code: u32::MAX,
            message: message.into(),
        }
    }
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

/// WasmEdge's error codes that the adapter tells apart (`enum.inc`).
pub(crate) mod code {
    pub const TERMINATED: u32 = 0x01;
    pub const COST_LIMIT_EXCEEDED: u32 = 0x03;
    pub const INTERRUPTED: u32 = 0x07;
    pub const DIVIDE_BY_ZERO: u32 = 0x404;
    pub const INTEGER_OVERFLOW: u32 = 0x405;
    pub const INVALID_CONV_TO_INT: u32 = 0x406;
    pub const TABLE_OUT_OF_BOUNDS: u32 = 0x407;
    pub const MEMORY_OUT_OF_BOUNDS: u32 = 0x408;
    pub const UNREACHABLE: u32 = 0x40A;
    pub const UNINITIALIZED_ELEMENT: u32 = 0x40B;
    pub const UNDEFINED_ELEMENT: u32 = 0x40C;
    pub const INDIRECT_CALL_TYPE_MISMATCH: u32 = 0x40D;
}

/// The version of the loaded libwasmedge, e.g. `0.14.1`.
pub(crate) fn version() -> String {
    // SAFETY: returns a static NUL-terminated string.
    unsafe { CStr::from_ptr(ffi::WasmEdge_VersionGet()) }
        .to_string_lossy()
        .into_owned()
}

/// Turns WasmEdge's logging (to the process's stderr, which is the guest's) off.
pub(crate) fn log_off() {
    // SAFETY: no arguments; sets a global level.
    unsafe { ffi::WasmEdge_LogOff() }
}

fn check(result: ffi::WasmEdge_Result) -> Result<(), Failure> {
    // SAFETY: plain value functions of the C API.
    unsafe {
        if ffi::WasmEdge_ResultOK(result) {
            return Ok(());
        }
        let message = CStr::from_ptr(ffi::WasmEdge_ResultGetMessage(result))
            .to_string_lossy()
            .into_owned();
        Err(Failure {
            code: ffi::WasmEdge_ResultGetCode(result),
            message,
        })
    }
}

pub(crate) fn non_null<T>(ptr: *mut T, what: &str) -> Result<NonNull<T>, Failure> {
    NonNull::new(ptr).ok_or_else(|| Failure::new(format!("WasmEdge could not create {what}")))
}

pub(crate) fn c_string(s: &str) -> Result<CString, Failure> {
    CString::new(s).map_err(|_| Failure::new(format!("{s:?} holds a NUL byte")))
}

macro_rules! handle {
    ($name:ident, $ctx:ty, $delete:path) => {
        pub(crate) struct $name(NonNull<$ctx>);

        impl Drop for $name {
            fn drop(&mut self) {
                // SAFETY: the pointer came from the matching create call and is freed once.
                unsafe { $delete(self.0.as_ptr()) }
            }
        }
    };
}

handle!(
    Configure,
    ffi::WasmEdge_ConfigureContext,
    ffi::WasmEdge_ConfigureDelete
);
handle!(
    Statistics,
    ffi::WasmEdge_StatisticsContext,
    ffi::WasmEdge_StatisticsDelete
);
handle!(
    AstModule,
    ffi::WasmEdge_ASTModuleContext,
    ffi::WasmEdge_ASTModuleDelete
);
handle!(Store, ffi::WasmEdge_StoreContext, ffi::WasmEdge_StoreDelete);
handle!(
    ModuleInstance,
    ffi::WasmEdge_ModuleInstanceContext,
    ffi::WasmEdge_ModuleInstanceDelete
);
handle!(
    Executor,
    ffi::WasmEdge_ExecutorContext,
    ffi::WasmEdge_ExecutorDelete
);

/// The WebAssembly proposals WasmEdge 0.14 implements beyond its defaults (which are the
/// finished ones: mutable globals, non-trapping conversions, sign extension, multi-value, bulk
/// memory, reference types and SIMD). Component model and annotations are left out: the first is
/// not a core module, the second is text-format only.
const PROPOSALS: &[ffi::WasmEdge_Proposal] = &[
    ffi::WasmEdge_Proposal_TailCall,
    ffi::WasmEdge_Proposal_ExtendedConst,
    ffi::WasmEdge_Proposal_FunctionReferences,
    ffi::WasmEdge_Proposal_GC,
    ffi::WasmEdge_Proposal_MultiMemories,
    ffi::WasmEdge_Proposal_Threads,
    ffi::WasmEdge_Proposal_RelaxSIMD,
    ffi::WasmEdge_Proposal_Memory64,
    ffi::WasmEdge_Proposal_ExceptionHandling,
];

impl Configure {
    /// A configuration with every proposal of [`PROPOSALS`] on, and the given memory cap.
    pub(crate) fn new(max_memory_pages: Option<u32>) -> Result<Self, Failure> {
        // SAFETY: create returns an owned context or null.
        let ctx = non_null(
            unsafe { ffi::WasmEdge_ConfigureCreate() },
            "a configuration",
        )?;
        let config = Configure(ctx);
        for proposal in PROPOSALS {
            // SAFETY: a valid context and a proposal of the header's enum.
            unsafe { ffi::WasmEdge_ConfigureAddProposal(config.0.as_ptr(), *proposal) };
        }
        if let Some(pages) = max_memory_pages {
            // SAFETY: a valid context.
            unsafe { ffi::WasmEdge_ConfigureSetMaxMemoryPage(config.0.as_ptr(), pages) };
        }
        Ok(config)
    }

    /// Counts instructions and their cost, so that a cost limit applies.
    pub(crate) fn measure_cost(&mut self) {
        // SAFETY: a valid context.
        unsafe {
            ffi::WasmEdge_ConfigureStatisticsSetInstructionCounting(self.0.as_ptr(), true);
            ffi::WasmEdge_ConfigureStatisticsSetCostMeasuring(self.0.as_ptr(), true);
        }
    }

    /// Parses a module from bytes, or from a file (a `.wasm`, or a shared library made by the
    /// AOT compiler), and validates it.
    pub(crate) fn load(&self, source: Source<'_>) -> Result<AstModule, Failure> {
        // SAFETY: the loader and validator live only in this call; the module pointer is set
        // by the loader on success and owned by the returned handle.
        unsafe {
            let loader = ffi::WasmEdge_LoaderCreate(self.0.as_ptr());
            let loader = non_null(loader, "a loader")?;
            let mut module = ptr::null_mut();
            let parsed = match source {
                Source::Bytes(bytes) => {
                    let len = u32::try_from(bytes.len())
                        .map_err(|_| Failure::new("the module is larger than 4 GiB"))?;
                    let wrapped = ffi::WasmEdge_BytesWrap(bytes.as_ptr(), len);
                    ffi::WasmEdge_LoaderParseFromBytes(loader.as_ptr(), &mut module, wrapped)
                }
                Source::File(path) => {
                    let path = c_string(path)?;
                    ffi::WasmEdge_LoaderParseFromFile(loader.as_ptr(), &mut module, path.as_ptr())
                }
            };
            ffi::WasmEdge_LoaderDelete(loader.as_ptr());
            check(parsed)?;
            let module = AstModule(non_null(module, "a module")?);
            let validator = non_null(
                ffi::WasmEdge_ValidatorCreate(self.0.as_ptr()),
                "a validator",
            )?;
            let validated = ffi::WasmEdge_ValidatorValidate(validator.as_ptr(), module.0.as_ptr());
            ffi::WasmEdge_ValidatorDelete(validator.as_ptr());
            check(validated)?;
            Ok(module)
        }
    }

    /// Compiles `wasm` ahead of time (with checks of the executor's stop flag, so that a
    /// timeout can stop the code) into a shared library at `out` (WasmEdge's AOT compiler,
    /// LLVM, optimization level O2), which [`Configure::load`] can load instead of the bytes.
    pub(crate) fn compile_aot(&self, wasm: &[u8], out: &str) -> Result<(), Failure> {
        let out = c_string(out)?;
        let len = u32::try_from(wasm.len())
            .map_err(|_| Failure::new("the module is larger than 4 GiB"))?;
        // WasmEdge's compiler sets up LLVM's process-wide state on first use and is not said to
        // be thread-safe; a host process crashed when three threads compiled at once, so one
        // compilation runs at a time.
        static COMPILING: Mutex<()> = Mutex::new(());
        let _one_at_a_time = COMPILING.lock().unwrap_or_else(PoisonError::into_inner);
        // SAFETY: the compiler lives only in this call; the bytes outlive it.
        unsafe {
            ffi::WasmEdge_ConfigureCompilerSetOptimizationLevel(
                self.0.as_ptr(),
                ffi::WasmEdge_CompilerOptimizationLevel_O2,
            );
            ffi::WasmEdge_ConfigureCompilerSetOutputFormat(
                self.0.as_ptr(),
                ffi::WasmEdge_CompilerOutputFormat_Native,
            );
            ffi::WasmEdge_ConfigureCompilerSetInterruptible(self.0.as_ptr(), true);
            let compiler = non_null(ffi::WasmEdge_CompilerCreate(self.0.as_ptr()), "a compiler")?;
            let compiled = ffi::WasmEdge_CompilerCompileFromBytes(
                compiler.as_ptr(),
                ffi::WasmEdge_BytesWrap(wasm.as_ptr(), len),
                out.as_ptr(),
            );
            ffi::WasmEdge_CompilerDelete(compiler.as_ptr());
            check(compiled)
        }
    }
}

/// Where [`Configure::load`] reads a module from.
pub(crate) enum Source<'a> {
    /// Binary WebAssembly in memory.
    Bytes(&'a [u8]),
    /// A file.
    File(&'a str),
}

impl Statistics {
    /// Statistics with WasmEdge's default cost table (one unit per instruction).
    pub(crate) fn new() -> Result<Self, Failure> {
        // SAFETY: create returns an owned context or null.
        let stat = unsafe { ffi::WasmEdge_StatisticsCreate() };
        Ok(Statistics(non_null(stat, "statistics")?))
    }

    /// Sets the cost past which execution stops with "cost limit exceeded". Creating an
    /// [`Executor`] with these statistics resets it, so it is set afterwards.
    pub(crate) fn set_cost_limit(&self, limit: u64) {
        // SAFETY: a valid context.
        unsafe { ffi::WasmEdge_StatisticsSetCostLimit(self.0.as_ptr(), limit) };
    }

    /// Counts from zero again (the limit stays).
    pub(crate) fn clear(&mut self) {
        // SAFETY: a valid context.
        unsafe { ffi::WasmEdge_StatisticsClear(self.0.as_ptr()) };
    }

    /// The cost counted so far.
    pub(crate) fn total_cost(&self) -> u64 {
        // SAFETY: a valid context.
        unsafe { ffi::WasmEdge_StatisticsGetTotalCost(self.0.as_ptr()) }
    }
}

impl ModuleInstance {
    /// The C context, for calls that add to it.
    pub(crate) fn as_ptr(&self) -> *mut ffi::WasmEdge_ModuleInstanceContext {
        self.0.as_ptr()
    }

    /// Takes ownership of a module instance made by a create call.
    pub(crate) fn from_raw(ctx: NonNull<ffi::WasmEdge_ModuleInstanceContext>) -> Self {
        ModuleInstance(ctx)
    }

    /// WasmEdge's own WASI preview-1 module, over the process's stdin, stdout and stderr.
    pub(crate) fn wasi(
        argv: &[String],
        env: &[String],
        preopens: &[String],
    ) -> Result<Self, Failure> {
        let strings = |list: &[String]| {
            list.iter()
                .map(|s| c_string(s))
                .collect::<Result<Vec<_>, _>>()
        };
        let (argv, env, preopens) = (strings(argv)?, strings(env)?, strings(preopens)?);
        let pointers = |list: &[CString]| list.iter().map(|s| s.as_ptr()).collect::<Vec<_>>();
        let (p_argv, p_env, p_preopens) = (pointers(&argv), pointers(&env), pointers(&preopens));
        let len = |list: &[*const std::os::raw::c_char]| {
            u32::try_from(list.len()).map_err(|_| Failure::new("too many WASI arguments"))
        };
        // SAFETY: the arrays and the strings they point to outlive the call, which copies them.
        let ctx = unsafe {
            ffi::WasmEdge_ModuleInstanceCreateWASI(
                p_argv.as_ptr(),
                len(&p_argv)?,
                p_env.as_ptr(),
                len(&p_env)?,
                p_preopens.as_ptr(),
                len(&p_preopens)?,
            )
        };
        Ok(ModuleInstance(non_null(ctx, "the WASI module")?))
    }

    /// The export `name` that `find` (one of WasmEdge's `ModuleInstanceFind*`) looks up, if
    /// there is one: valid while this instance lives.
    fn find<T>(
        &self,
        name: &str,
        find: unsafe extern "C" fn(
            *const ffi::WasmEdge_ModuleInstanceContext,
            ffi::WasmEdge_String,
        ) -> *mut T,
    ) -> Option<NonNull<T>> {
        let name = c_string(name).ok()?;
        // SAFETY: the WasmEdge string is freed after the lookup, which does not keep it.
        let found = unsafe {
            let wname = ffi::WasmEdge_StringCreateByCString(name.as_ptr());
            let found = find(self.0.as_ptr(), wname);
            ffi::WasmEdge_StringDelete(wname);
            found
        };
        NonNull::new(found)
    }

    /// The exported function `name`, if there is one: valid while this instance lives.
    pub(crate) fn function(&self, name: &str) -> Option<Function> {
        self.find(name, ffi::WasmEdge_ModuleInstanceFindFunction)
            .map(Function)
    }

    /// The exported memory `name`, if there is one: valid while this instance lives.
    pub(crate) fn memory(&self, name: &str) -> Option<Memory> {
        self.find(name, ffi::WasmEdge_ModuleInstanceFindMemory)
            .map(Memory)
    }

    /// The value of the exported `i32` global `name`, if there is one.
    pub(crate) fn global_i32(&self, name: &str) -> Option<i32> {
        let global = self.find(name, ffi::WasmEdge_ModuleInstanceFindGlobal)?;
        // SAFETY: a global of this live instance, read as the `i32` the caller says it is.
        Some(unsafe {
            ffi::WasmEdge_ValueGetI32(ffi::WasmEdge_GlobalInstanceGetValue(global.as_ptr()))
        })
    }

    /// The code the guest passed to `proc_exit` (0 when `_start` returned).
    pub(crate) fn wasi_exit_code(&self) -> u32 {
        // SAFETY: a valid WASI module instance.
        unsafe { ffi::WasmEdge_ModuleInstanceWASIGetExitCode(self.0.as_ptr()) }
    }
}

impl Executor {
    /// An executor with `config` and `stat` (which must outlive it).
    pub(crate) fn new(config: &Configure, stat: &Statistics) -> Result<Self, Failure> {
        // SAFETY: both contexts are valid; the caller keeps `stat` alive.
        let ctx = unsafe { ffi::WasmEdge_ExecutorCreate(config.0.as_ptr(), stat.0.as_ptr()) };
        Ok(Executor(non_null(ctx, "an executor")?))
    }

    /// Registers a host module (WASI) in `store` for imports to resolve against.
    pub(crate) fn register_import(
        &self,
        store: &Store,
        module: &ModuleInstance,
    ) -> Result<(), Failure> {
        // SAFETY: valid contexts; the store does not take ownership of the module.
        check(unsafe {
            ffi::WasmEdge_ExecutorRegisterImport(
                self.0.as_ptr(),
                store.0.as_ptr(),
                module.0.as_ptr(),
            )
        })
    }

    /// Instantiates `module` (links its imports, runs its start function) in `store`.
    pub(crate) fn instantiate(
        &self,
        store: &Store,
        module: &AstModule,
    ) -> Result<ModuleInstance, Failure> {
        let mut instance = ptr::null_mut();
        // SAFETY: valid contexts; on success the instance is owned by the returned handle.
        check(unsafe {
            ffi::WasmEdge_ExecutorInstantiate(
                self.0.as_ptr(),
                &mut instance,
                store.0.as_ptr(),
                module.0.as_ptr(),
            )
        })?;
        Ok(ModuleInstance(non_null(instance, "a module instance")?))
    }
}

/// A function of a module instance (not owned: it lives as long as its instance).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Function(NonNull<ffi::WasmEdge_FunctionInstanceContext>);

/// A memory of a module instance (not owned: it lives as long as its instance).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Memory(NonNull<ffi::WasmEdge_MemoryInstanceContext>);

impl Memory {
    /// Its size in bytes.
    pub(crate) fn size(&self) -> u64 {
        // SAFETY: a live memory instance.
        u64::from(unsafe { ffi::WasmEdge_MemoryInstanceGetPageSize(self.0.as_ptr()) }) * 65536
    }

    /// Reads `buf.len()` bytes at `offset`; WasmEdge checks the bounds.
    pub(crate) fn read(&self, offset: u64, buf: &mut [u8]) -> Result<(), Failure> {
        let (offset, len) = range(offset, buf.len())?;
        // SAFETY: a live memory instance; the buffer holds `len` bytes.
        check(unsafe {
            ffi::WasmEdge_MemoryInstanceGetData(self.0.as_ptr(), buf.as_mut_ptr(), offset, len)
        })
    }

    /// Writes `data` at `offset`; WasmEdge checks the bounds.
    pub(crate) fn write(&self, offset: u64, data: &[u8]) -> Result<(), Failure> {
        let (offset, len) = range(offset, data.len())?;
        // SAFETY: a live memory instance; the data holds `len` bytes.
        check(unsafe {
            ffi::WasmEdge_MemoryInstanceSetData(self.0.as_ptr(), data.as_ptr(), offset, len)
        })
    }
}

/// An offset and a length as WasmEdge's 32-bit ones.
fn range(offset: u64, len: usize) -> Result<(u32, u32), Failure> {
    match (u32::try_from(offset), u32::try_from(len)) {
        (Ok(offset), Ok(len)) => Ok((offset, len)),
        _ => Err(Failure::new(format!(
            "{len} bytes at {offset} are past a 32-bit memory"
        ))),
    }
}

impl Executor {
    /// Calls `func` with `params`, its results written to `returns`. With a `timeout`, or
    /// `on_a_thread_of_its_own`, the call runs on a thread WasmEdge starts for it (its
    /// asynchronous invocation), which the timeout stops: the call then fails with
    /// [`code::INTERRUPTED`].
    pub(crate) fn invoke(
        &self,
        func: Function,
        params: &[ffi::WasmEdge_Value],
        returns: &mut [ffi::WasmEdge_Value],
        timeout: Option<Duration>,
        on_a_thread_of_its_own: bool,
    ) -> Result<(), Failure> {
        let count = |n: usize| u32::try_from(n).map_err(|_| Failure::new("too many values"));
        let (params_len, returns_len) = (count(params.len())?, count(returns.len())?);
        if timeout.is_none() && !on_a_thread_of_its_own {
            // SAFETY: valid contexts; the buffers hold the counts given.
            return check(unsafe {
                ffi::WasmEdge_ExecutorInvoke(
                    self.0.as_ptr(),
                    func.0.as_ptr(),
                    params.as_ptr(),
                    params_len,
                    returns.as_mut_ptr(),
                    returns_len,
                )
            });
        }
        // SAFETY: valid contexts; the parameters are copied; the asynchronous call is waited
        // for (and cancelled when the time is up) before it is deleted.
        unsafe {
            let call = ffi::WasmEdge_ExecutorAsyncInvoke(
                self.0.as_ptr(),
                func.0.as_ptr(),
                params.as_ptr(),
                params_len,
            );
            let call = non_null(call, "an asynchronous call")?;
            if let Some(timeout) = timeout {
                // Whole milliseconds, rounded up: never less than the time asked for.
                let ms = timeout.as_nanos().div_ceil(1_000_000);
                if !ffi::WasmEdge_AsyncWaitFor(call.as_ptr(), u64::try_from(ms).unwrap_or(u64::MAX))
                {
                    ffi::WasmEdge_AsyncCancel(call.as_ptr());
                }
            }
            let result = ffi::WasmEdge_AsyncGet(call.as_ptr(), returns.as_mut_ptr(), returns_len);
            ffi::WasmEdge_AsyncDelete(call.as_ptr());
            check(result)
        }
    }
}

impl Store {
    pub(crate) fn new() -> Result<Self, Failure> {
        // SAFETY: create returns an owned context or null.
        Ok(Store(non_null(
            unsafe { ffi::WasmEdge_StoreCreate() },
            "a store",
        )?))
    }
}
