//! What wasiport costs on top of each runtime, and each runtime's fastest paths, side by side in
//! one run. Groups (CI tooling reads these names):
//!
//! - `overhead`: `raw/<backend>` instantiates and runs a precompiled WASI hello with the
//!   runtime's own API, written here; `wasiport/<backend>` does the same through the trait.
//! - `warm_start`: a precompiled hello through the fastest path (wasmtime: its pooling
//!   allocator, and `InstancePre`).
//! - `cold_start`: compile + instantiate + run from bytes; and for node and chromium, the same
//!   hello in a fresh process per run (`fresh_process/<backend>`: `node` with node:wasi, or a
//!   headless browser with browser_wasi_shim), which their warm runners avoid.
//! - `throughput`: SHA-256 over 16 MiB in the probe guest, with no limit set: `raw/<backend>`
//!   with the runtime's own API (no fuel metering, no epoch checks), `wasiport/<backend>`
//!   through the trait; `throughput_fuel`: the same with fuel counted (a budget through
//!   wasiport, the runtime's metering in the raw baseline).
//! - `module_cache`: the probe guest compiled (`compile`) against loaded from a warm disk cache
//!   (`disk_load`), on the backends that serialize their code.
//! - `suite`: conformance tests in this process (`in_process`, as `wasiport conformance` runs
//!   them: its module cache warm from an earlier run) against one process per test
//!   (`subprocess`, compiling its module afresh, as wasi-testsuite's runner runs a runtime's
//!   CLI), per test.
//! - `suite_cold`: a suite of 12 large modules (the unoptimized probe, each made distinct) run
//!   by `wasiport conformance --no-cache` of the release build (`conformance`), against a
//!   process per test: `wasiport run --no-cache` (`subprocess`) and, where one is installed,
//!   the wasmtime CLI with its cache off (`runtime_cli`); `suite_warm`: the same command over
//!   a warm module cache.
//!
//! - `call`: the `token` guest's `check` (HMAC-SHA256 of a token in its memory, a plugin's
//!   exported function) called on a live instance: `raw/<backend>` with the runtime's own API,
//!   the fuel set again before each call as a per-call budget needs; `wasiport/<backend>` with
//!   `Instance::call_typed`; `fresh_instance/<backend>` instantiating, writing the token and
//!   calling for each request.
//!
//! Beside them, the resident memory of 1,000 live instances of the hello per backend is written
//! to `target/criterion/memory.json`, and the peak resident memory of whole `wasiport run`
//! processes (and the wasmtime CLI's) to `target/criterion/process_memory.json` (criterion
//! measures time only). Whole processes need the release build of `wasiport`: build it first
//! (`cargo build --release --workspace --all-features --bins`), or they are left out, saying so.
//!
//! `cargo bench --bench overhead -- --quick`; then `cargo run --bin wasiport -- report
//! performance`.

use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

use criterion::{BenchmarkId, Criterion};
use wasiport::{Backend, Capability, ModuleCache, RunConfig};
use wasiport_conformance::expectations::Expectations;
use wasiport_conformance::runner::{self, Options};
use wasiport_conformance::suite::Suite;

#[path = "../tests/common/mod.rs"]
mod common;

/// Set in a child started by the `suite` group: run this one test (`suite/test`) and exit.
const ONE_TEST: &str = "WASIPORT_BENCH_ONE_TEST";
/// The backend of that test.
const ONE_BACKEND: &str = "WASIPORT_BENCH_BACKEND";
/// Tests in the `suite` group.
const SUITE_TESTS: usize = 20;
/// Tests in the `suite_cold` group, each with a large module of its own.
const COLD_TESTS: usize = 12;
/// The backends of the `suite_cold` group: the embedded ones (WasmEdge's runs are a worker
/// process each already).
const COLD_BACKENDS: [&str; 4] = ["wasmtime", "wasmer", "wasmi", "wasm3"];
/// Live instances in the memory measurement.
const INSTANCES: usize = 1000;
/// Set in a child started by the memory measurement: measure this backend and print the bytes.
const MEMORY_OF: &str = "WASIPORT_BENCH_MEMORY_OF";

fn hello_wasm() -> Vec<u8> {
    wat::parse_file(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/guests/wat/hello.wat"
    ))
    .expect("hello.wat")
}

fn captured() -> RunConfig {
    RunConfig::builder().build().expect("config")
}

/// The runtimes' own APIs, as a host would use them without wasiport: the same work (fuel on,
/// stdout captured in memory, the exit code read), nothing more. wasm3 has no fuel (wasiport
/// meters it only for a run with fuel or a timeout, which this is not), and its baseline links only the hello's one import (`fd_write`) where wasiport's run makes a whole
/// WASI context: if anything, its ratio counts against wasiport.
mod raw {
    use super::*;

    pub struct Wasmtime {
        engine: wasmtime::Engine,
        pre: wasmtime::InstancePre<wasmtime_wasi::p1::WasiP1Ctx>,
        args: Vec<String>,
        fuel: bool,
    }

    impl Wasmtime {
        /// With fuel and epochs, `main.wasm` its only argument.
        pub fn new(wasm: &[u8]) -> Self {
            Self::with(wasm, &["main.wasm"], true)
        }

        /// With fuel metering and epoch checks, or with neither; `args` the guest's.
        pub fn with(wasm: &[u8], args: &[&str], fuel: bool) -> Self {
            let mut config = wasmtime::Config::new();
            config.consume_fuel(fuel).epoch_interruption(fuel);
            let engine = wasmtime::Engine::new(&config).unwrap();
            let mut linker = wasmtime::Linker::new(&engine);
            wasmtime_wasi::p1::add_to_linker_sync(&mut linker, |s| s).unwrap();
            let module = wasmtime::Module::new(&engine, wasm).unwrap();
            let pre = linker.instantiate_pre(&module).unwrap();
            Wasmtime {
                engine,
                pre,
                args: args.iter().map(|a| a.to_string()).collect(),
                fuel,
            }
        }

        pub fn instantiate(
            &self,
        ) -> (
            wasmtime::Store<wasmtime_wasi::p1::WasiP1Ctx>,
            wasmtime::Instance,
        ) {
            let stdout = wasmtime_wasi::p2::pipe::MemoryOutputPipe::new(1 << 20);
            let stderr = wasmtime_wasi::p2::pipe::MemoryOutputPipe::new(1 << 20);
            let wasi = wasmtime_wasi::WasiCtxBuilder::new()
                .args(&self.args)
                .stdout(stdout)
                .stderr(stderr)
                .build_p1();
            let mut store = wasmtime::Store::new(&self.engine, wasi);
            if self.fuel {
                store.set_fuel(u64::MAX).unwrap();
                store.set_epoch_deadline(u64::MAX);
            }
            let instance = self.pre.instantiate(&mut store).unwrap();
            (store, instance)
        }

        pub fn run(&self) {
            let (mut store, instance) = self.instantiate();
            let start = instance
                .get_typed_func::<(), ()>(&mut store, "_start")
                .unwrap();
            if let Err(e) = start.call(&mut store, ()) {
                let exit = e.downcast_ref::<wasmtime_wasi::I32Exit>().map(|e| e.0);
                assert_eq!(exit, Some(0), "{e:#}");
            }
        }
    }

    pub struct Wasmi {
        engine: wasmi::Engine,
        linker: wasmi::Linker<wasi_common::WasiCtx>,
        module: wasmi::Module,
        args: Vec<String>,
        fuel: bool,
    }

    impl Wasmi {
        /// With fuel, `main.wasm` its only argument.
        pub fn new(wasm: &[u8]) -> Self {
            Self::with(wasm, &["main.wasm"], true)
        }

        /// With fuel metering or without; `args` the guest's.
        pub fn with(wasm: &[u8], args: &[&str], fuel: bool) -> Self {
            let mut config = wasmi::Config::default();
            config.consume_fuel(fuel);
            let engine = wasmi::Engine::new(&config);
            let mut linker = wasmi::Linker::new(&engine);
            wasmi_wasi::add_to_linker(&mut linker, |s| s).unwrap();
            let module = wasmi::Module::new(&engine, wasm).unwrap();
            Wasmi {
                engine,
                linker,
                module,
                args: args.iter().map(|a| a.to_string()).collect(),
                fuel,
            }
        }

        pub fn instantiate(&self) -> (wasmi::Store<wasi_common::WasiCtx>, wasmi::Instance) {
            let mut b = wasi_common::sync::WasiCtxBuilder::new();
            b.args(&self.args).unwrap();
            b.stdout(Box::new(wasi_common::pipe::WritePipe::new_in_memory()));
            b.stderr(Box::new(wasi_common::pipe::WritePipe::new_in_memory()));
            let mut store = wasmi::Store::new(&self.engine, b.build());
            if self.fuel {
                store.set_fuel(u64::MAX).unwrap();
            }
            let instance = self
                .linker
                .instantiate_and_start(&mut store, &self.module)
                .unwrap();
            (store, instance)
        }

        pub fn run(&self) {
            let (mut store, instance) = self.instantiate();
            let start = instance.get_typed_func::<(), ()>(&store, "_start").unwrap();
            if let Err(e) = start.call(&mut store, ()) {
                assert_eq!(e.i32_exit_status(), Some(0), "{e}");
            }
        }
    }

    /// wasm3 through its C API (`wasm3x-sys`), on the calling thread. Its own WASI
    /// (`m3_LinkWASI`) writes to the host's fds and keeps one context per process, so the
    /// guests' WASI imports are raw functions here, as a host embedding wasm3 writes them:
    /// `fd_write` captures fds 1 and 2 in memory, the arguments are the guest's, the
    /// environment is empty, and `proc_exit` ends the call. wasm3 has no fuel of its own: a
    /// metered baseline runs the module as wasiport meters it
    /// ([`wasiport::rewrite::meter`], its counter left at `i64::MAX`, so it never traps).
    pub struct Wasm3 {
        wasm: Vec<u8>,
        args: Vec<std::ffi::CString>,
    }

    /// A guest's arguments as C strings, as wasm3's and WasmEdge's C APIs take them.
    fn c_strings(args: &[&str]) -> Vec<std::ffi::CString> {
        args.iter()
            .map(|a| std::ffi::CString::new(*a).unwrap())
            .collect()
    }

    /// What a wasm3 instance's raw functions reach through their userdata.
    struct Wasm3Host {
        /// stdout and stderr.
        output: [Vec<u8>; 2],
        /// The guest's arguments.
        args: Vec<std::ffi::CString>,
    }

    /// One live wasm3 instance: its environment, runtime and host side.
    pub struct Wasm3Instance {
        env: wasm3x_sys::IM3Environment,
        runtime: wasm3x_sys::IM3Runtime,
        /// From `Box::into_raw`: wasm3 holds the pointer as userdata.
        host: *mut Wasm3Host,
    }

    impl Drop for Wasm3Instance {
        fn drop(&mut self) {
            // SAFETY: made in `instantiate`, freed once, the runtime first; the host side
            // after it, as nothing can call its functions any more.
            unsafe {
                wasm3x_sys::m3_FreeRuntime(self.runtime);
                wasm3x_sys::m3_FreeEnvironment(self.env);
                drop(Box::from_raw(self.host));
            }
        }
    }

    pub fn m3(result: wasm3x_sys::M3Result) {
        if !result.is_null() {
            // SAFETY: wasm3's results are static C strings.
            panic!("{:?}", unsafe { std::ffi::CStr::from_ptr(result) });
        }
    }

    const EBADF: u64 = 8;
    const EFAULT: u64 = 21;

    /// `fd_write(fd, iovs, iovs_len, nwritten) -> errno` into the instance's buffers (no panic:
    /// this is called from C).
    unsafe extern "C" fn fd_write(
        runtime: wasm3x_sys::IM3Runtime,
        ctx: wasm3x_sys::IM3ImportContext,
        sp: *mut u64,
        mem: *mut std::ffi::c_void,
    ) -> *const std::ffi::c_void {
        // SAFETY: the userdata is the instance's output, alive while its runtime is; `mem` is
        // the guest's memory of `m3_GetMemorySize` bytes; the result slot comes first, then
        // the four arguments.
        unsafe {
            let output = &mut (*(*ctx).userdata.cast::<Wasm3Host>()).output;
            let memory = guest_memory(runtime, mem);
            let arg = |i: usize| *sp.add(1 + i) as u32 as usize;
            let (fd, iovs, count, nwritten) = (arg(0), arg(1), arg(2), arg(3));
            *sp = (|| {
                let word = |at: usize| {
                    let bytes = memory.get(at..at.checked_add(4)?)?;
                    Some(u32::from_le_bytes(bytes.try_into().ok()?) as usize)
                };
                let sink = match fd {
                    1 | 2 => &mut output[fd - 1],
                    _ => return EBADF,
                };
                let mut total = 0usize;
                for k in 0..count {
                    let iov = iovs + 8 * k;
                    let (Some(base), Some(len)) = (word(iov), word(iov + 4)) else {
                        return EFAULT;
                    };
                    let Some(data) = memory.get(base..base + len) else {
                        return EFAULT;
                    };
                    sink.extend_from_slice(data);
                    total += len;
                }
                match memory.get_mut(nwritten..nwritten + 4) {
                    Some(out) => out.copy_from_slice(&(total as u32).to_le_bytes()),
                    None => return EFAULT,
                }
                0
            })();
        }
        std::ptr::null()
    }

    /// The guest's memory, for a host function called with `runtime` and `mem`.
    ///
    /// # Safety
    /// `mem` is the memory of `runtime`'s guest, as wasm3 passes it to a host function.
    unsafe fn guest_memory<'a>(
        runtime: wasm3x_sys::IM3Runtime,
        mem: *mut std::ffi::c_void,
    ) -> &'a mut [u8] {
        // SAFETY: the guest's memory is `m3_GetMemorySize` bytes at `mem`.
        unsafe {
            let size = wasm3x_sys::m3_GetMemorySize(runtime) as usize;
            std::slice::from_raw_parts_mut(mem.cast::<u8>(), size)
        }
    }

    /// Returns from a `*_sizes_get(count, size) -> errno` call: `values` written where its two
    /// arguments point.
    ///
    /// # Safety
    /// As for [`guest_memory`], and `sp` is the call's stack: the result slot, then the two
    /// arguments.
    unsafe fn two_sizes(
        runtime: wasm3x_sys::IM3Runtime,
        sp: *mut u64,
        mem: *mut std::ffi::c_void,
        values: [u32; 2],
    ) -> *const std::ffi::c_void {
        // SAFETY: as the caller promises.
        unsafe {
            let memory = guest_memory(runtime, mem);
            let mut errno = 0;
            for (i, value) in [(1, values[0]), (2, values[1])] {
                let at = *sp.add(i) as u32 as usize;
                match memory.get_mut(at..at + 4) {
                    Some(out) => out.copy_from_slice(&value.to_le_bytes()),
                    None => errno = EFAULT,
                }
            }
            *sp = errno;
        }
        std::ptr::null()
    }

    /// `environ_sizes_get(count, size) -> errno`: no variables. (`environ_get` has then
    /// nothing to write, and returns 0 by the same function.)
    unsafe extern "C" fn environ_empty(
        runtime: wasm3x_sys::IM3Runtime,
        _ctx: wasm3x_sys::IM3ImportContext,
        sp: *mut u64,
        mem: *mut std::ffi::c_void,
    ) -> *const std::ffi::c_void {
        // SAFETY: wasm3 calls it with its guest's stack and memory.
        unsafe { two_sizes(runtime, sp, mem, [0, 0]) }
    }

    /// `args_sizes_get(count, size) -> errno`: the guest's arguments, each with its NUL.
    unsafe extern "C" fn args_sizes_get(
        runtime: wasm3x_sys::IM3Runtime,
        ctx: wasm3x_sys::IM3ImportContext,
        sp: *mut u64,
        mem: *mut std::ffi::c_void,
    ) -> *const std::ffi::c_void {
        // SAFETY: wasm3 calls it with its guest's stack and memory; the userdata is the
        // instance's host state, alive while its runtime is.
        unsafe {
            let args = &(*(*ctx).userdata.cast::<Wasm3Host>()).args;
            let bytes: usize = args.iter().map(|a| a.as_bytes_with_nul().len()).sum();
            two_sizes(runtime, sp, mem, [args.len() as u32, bytes as u32])
        }
    }

    /// `args_get(argv, argv_buf) -> errno`: a pointer per argument, and the arguments.
    unsafe extern "C" fn args_get(
        runtime: wasm3x_sys::IM3Runtime,
        ctx: wasm3x_sys::IM3ImportContext,
        sp: *mut u64,
        mem: *mut std::ffi::c_void,
    ) -> *const std::ffi::c_void {
        // SAFETY: as for `args_sizes_get`.
        unsafe {
            let args = &(*(*ctx).userdata.cast::<Wasm3Host>()).args;
            let memory = guest_memory(runtime, mem);
            let (mut argv, mut buf) = (*sp.add(1) as u32 as usize, *sp.add(2) as u32 as usize);
            *sp = (|| {
                for arg in args {
                    let bytes = arg.as_bytes_with_nul();
                    memory
                        .get_mut(argv..argv + 4)?
                        .copy_from_slice(&(buf as u32).to_le_bytes());
                    memory
                        .get_mut(buf..buf + bytes.len())?
                        .copy_from_slice(bytes);
                    argv += 4;
                    buf += bytes.len();
                }
                Some(0)
            })()
            .unwrap_or(EFAULT);
        }
        std::ptr::null()
    }

    /// `proc_exit(code)`: ends the call with an error (the bench's guests never exit).
    unsafe extern "C" fn proc_exit(
        _runtime: wasm3x_sys::IM3Runtime,
        _ctx: wasm3x_sys::IM3ImportContext,
        _sp: *mut u64,
        _mem: *mut std::ffi::c_void,
    ) -> *const std::ffi::c_void {
        c"proc_exit".as_ptr().cast()
    }

    impl Wasm3Instance {
        /// The exported function `name` (wasm3 compiles it on first lookup).
        pub fn function(&self, name: &std::ffi::CStr) -> wasm3x_sys::IM3Function {
            let mut function: wasm3x_sys::IM3Function = std::ptr::null_mut();
            // SAFETY: the runtime is alive; `name` is NUL-terminated.
            m3(unsafe { wasm3x_sys::m3_FindFunction(&mut function, self.runtime, name.as_ptr()) });
            function
        }

        /// The guest's memory, valid until it runs again.
        pub fn memory(&mut self) -> &mut [u8] {
            let mut size = 0u32;
            // SAFETY: the runtime is alive; the pointer covers `size` bytes, and `&mut self`
            // keeps the guest from running while the slice lives.
            unsafe {
                let base = wasm3x_sys::m3_GetMemory(self.runtime, &mut size, 0);
                std::slice::from_raw_parts_mut(base, size as usize)
            }
        }
    }

    impl Wasm3 {
        /// Unmetered, `main.wasm` its only argument.
        pub fn new(wasm: &[u8]) -> Self {
            Self::with(wasm, &["main.wasm"], false)
        }

        /// Metered as wasiport meters it for a fuel budget, or not; `args` the guest's.
        pub fn with(wasm: &[u8], args: &[&str], fuel: bool) -> Self {
            let wasm = if fuel {
                wasiport::rewrite::meter(wasm, wasiport::rewrite::Metering::Trap).unwrap()
            } else {
                wasm.to_vec()
            };
            Wasm3 {
                wasm,
                args: c_strings(args),
            }
        }

        /// Parsed, loaded and linked: a wasm3 module belongs to one runtime, so each instance
        /// parses the bytes again (as wasiport's adapter does).
        pub fn instantiate(&self) -> Wasm3Instance {
            use wasm3x_sys as sys;
            // SAFETY: each handle is checked before use; the bytes outlive the runtime (the
            // instance borrows nothing, but `self` outlives every instance in the bench).
            unsafe {
                let env = sys::m3_NewEnvironment();
                // The value stack wasiport gives a run.
                let runtime = sys::m3_NewRuntime(env, 8 << 20, std::ptr::null_mut());
                assert!(!env.is_null() && !runtime.is_null());
                let mut module: sys::IM3Module = std::ptr::null_mut();
                m3(sys::m3_ParseModule(
                    env,
                    &mut module,
                    self.wasm.as_ptr(),
                    self.wasm.len() as u32,
                ));
                m3(sys::m3_LoadModule(runtime, module));
                let host = Box::into_raw(Box::new(Wasm3Host {
                    output: [Vec::new(), Vec::new()],
                    args: self.args.clone(),
                }));
                let wasi: [(&std::ffi::CStr, &std::ffi::CStr, sys::M3RawCall); 6] = [
                    (c"fd_write", c"i(iiii)", Some(fd_write)),
                    (c"args_sizes_get", c"i(ii)", Some(args_sizes_get)),
                    (c"args_get", c"i(ii)", Some(args_get)),
                    (c"environ_sizes_get", c"i(ii)", Some(environ_empty)),
                    (c"environ_get", c"i(ii)", Some(environ_empty)),
                    (c"proc_exit", c"v(i)", Some(proc_exit)),
                ];
                for (name, signature, function) in wasi {
                    let linked = sys::m3_LinkRawFunctionEx(
                        module,
                        c"wasi_snapshot_preview1".as_ptr(),
                        name.as_ptr(),
                        signature.as_ptr(),
                        function,
                        host.cast(),
                    );
                    // A guest need not import them all.
                    if linked != sys::m3Err_functionLookupFailed {
                        m3(linked);
                    }
                }
                Wasm3Instance { env, runtime, host }
            }
        }

        pub fn run(&self) {
            let instance = self.instantiate();
            let start = instance.function(c"_start");
            // SAFETY: `_start` of a live runtime, no arguments.
            m3(unsafe { wasm3x_sys::m3_Call(start, 0, std::ptr::null_mut()) });
        }
    }

    pub struct Wasmer {
        tokio: tokio::runtime::Runtime,
        runtime: Arc<dyn wasmer_wasix::Runtime + Send + Sync>,
        engine: wasmer::Engine,
        module: wasmer::Module,
        args: Vec<String>,
    }

    /// Cranelift, with the metering middleware when `fuel`.
    fn engine(fuel: bool) -> wasmer::Engine {
        use wasmer::sys::{CompilerConfig, Cranelift, EngineBuilder};
        let mut compiler = Cranelift::new();
        if fuel {
            compiler.push_middleware(Arc::new(wasmer_middlewares::Metering::new(
                u64::MAX,
                |_: &wasmer::wasmparser::Operator| 1,
            )));
        }
        EngineBuilder::new(compiler).engine().into()
    }

    impl Wasmer {
        /// Metered, `main.wasm` its only argument.
        pub fn new(wasm: &[u8]) -> Self {
            Self::with(wasm, &["main.wasm"], true)
        }

        /// With the metering middleware or without; `args` the guest's (the first its name).
        pub fn with(wasm: &[u8], args: &[&str], fuel: bool) -> Self {
            let tokio = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(1)
                .enable_all()
                .build()
                .unwrap();
            let engine = engine(fuel);
            let runtime: Arc<dyn wasmer_wasix::Runtime + Send + Sync> = {
                let _entered = tokio.enter();
                let tasks = wasmer_wasix::runtime::task_manager::tokio::TokioTaskManager::new(
                    tokio.handle().clone(),
                );
                let mut rt = wasmer_wasix::PluggableRuntime::new(Arc::new(tasks));
                rt.set_engine(engine.clone());
                rt.set_networking_implementation(
                    wasmer_wasix::UnsupportedVirtualNetworking::default(),
                );
                Arc::new(rt)
            };
            let module = wasmer::Module::new(&engine, wasm).unwrap();
            Wasmer {
                tokio,
                runtime,
                engine,
                module,
                args: args.iter().map(|a| a.to_string()).collect(),
            }
        }

        /// The tokio runtime wasix works on, entered.
        pub fn enter(&self) -> tokio::runtime::EnterGuard<'_> {
            self.tokio.enter()
        }

        /// A live instance with its store and WASI environment.
        pub fn instantiate(
            &self,
        ) -> (
            wasmer::Store,
            wasmer::Instance,
            wasmer_wasix::WasiFunctionEnv,
        ) {
            let _entered = self.tokio.enter();
            let mut store = wasmer::Store::new(self.engine.clone());
            let mut builder = wasmer_wasix::WasiEnv::builder("main.wasm")
                .runtime(self.runtime.clone())
                .stdout(Box::new(wasmer_wasix::Pipe::channel().0))
                .stderr(Box::new(wasmer_wasix::Pipe::channel().0));
            builder.set_mount_fs(wasmer_wasix::virtual_fs::MountFileSystem::new());
            let (instance, env) = builder
                .instantiate(self.module.clone(), &mut store)
                .unwrap();
            (store, instance, env)
        }

        pub fn run(&self) {
            let _entered = self.tokio.enter();
            let mut store = wasmer::Store::new(self.engine.clone());
            let (stdout, _out) = wasmer_wasix::Pipe::channel();
            let (stderr, _err) = wasmer_wasix::Pipe::channel();
            // An empty file system: wasix's default is the host's root.
            let mut builder = wasmer_wasix::WasiEnv::builder(&self.args[0])
                .args(&self.args[1..])
                .runtime(self.runtime.clone())
                .stdout(Box::new(stdout))
                .stderr(Box::new(stderr));
            builder.set_mount_fs(wasmer_wasix::virtual_fs::MountFileSystem::new());
            let (instance, env) = builder
                .instantiate(self.module.clone(), &mut store)
                .unwrap();
            let start = instance.exports.get_function("_start").unwrap();
            let result = start.call(&mut store, &[]);
            let code = match &result {
                Ok(_) => 0,
                Err(e) => match e.downcast_ref::<wasmer_wasix::WasiError>() {
                    Some(wasmer_wasix::WasiError::Exit(code)) => code.raw(),
                    _ => panic!("{e}"),
                },
            };
            assert_eq!(code, 0);
            env.on_exit(&mut store, None);
        }
    }

    /// WasmEdge's interpreter through its C API (`wasmedge-sys`'s bindings), on the calling
    /// thread, as its worker runs a job: the module parsed and validated once; per run an
    /// executor, a store and its own WASI module with the guest's arguments, then `_start`.
    /// Cost measuring (WasmEdge's fuel) only when `fuel`. Its WASI writes to this process's
    /// fds, as the worker's does to the worker's. Only with the `wasmedge` feature.
    #[cfg(feature = "wasmedge")]
    pub struct Wasmedge {
        config: *mut ffi::WasmEdge_ConfigureContext,
        ast: *mut ffi::WasmEdge_ASTModuleContext,
        args: Vec<std::ffi::CString>,
        fuel: bool,
    }

    #[cfg(feature = "wasmedge")]
    use wasmedge_sys::ffi;

    #[cfg(feature = "wasmedge")]
    pub fn edge(result: ffi::WasmEdge_Result) {
        // SAFETY: plain value functions; the message is a static C string.
        unsafe {
            if !ffi::WasmEdge_ResultOK(result) {
                panic!(
                    "{:?}",
                    std::ffi::CStr::from_ptr(ffi::WasmEdge_ResultGetMessage(result))
                );
            }
        }
    }

    /// WasmEdge's interpreter configuration (its log off), counting cost as the adapter does
    /// when `counted`, and `wasm` loaded and validated with it. The caller frees both.
    #[cfg(feature = "wasmedge")]
    pub fn wasmedge_load(
        wasm: &[u8],
        counted: bool,
    ) -> (
        *mut ffi::WasmEdge_ConfigureContext,
        *mut ffi::WasmEdge_ASTModuleContext,
    ) {
        // SAFETY: each context is checked or used as WasmEdge made it; the loader and validator
        // are freed here, the rest by the caller.
        unsafe {
            ffi::WasmEdge_LogOff();
            let config = ffi::WasmEdge_ConfigureCreate();
            assert!(!config.is_null());
            if counted {
                ffi::WasmEdge_ConfigureStatisticsSetInstructionCounting(config, true);
                ffi::WasmEdge_ConfigureStatisticsSetCostMeasuring(config, true);
            }
            let loader = ffi::WasmEdge_LoaderCreate(config);
            let mut ast = std::ptr::null_mut();
            let bytes = ffi::WasmEdge_BytesWrap(wasm.as_ptr(), wasm.len() as u32);
            edge(ffi::WasmEdge_LoaderParseFromBytes(loader, &mut ast, bytes));
            ffi::WasmEdge_LoaderDelete(loader);
            let validator = ffi::WasmEdge_ValidatorCreate(config);
            edge(ffi::WasmEdge_ValidatorValidate(validator, ast));
            ffi::WasmEdge_ValidatorDelete(validator);
            (config, ast)
        }
    }

    #[cfg(feature = "wasmedge")]
    impl Wasmedge {
        pub fn with(wasm: &[u8], args: &[&str], fuel: bool) -> Self {
            // Freed once in `drop`.
            let (config, ast) = wasmedge_load(wasm, fuel);
            Wasmedge {
                config,
                ast,
                args: c_strings(args),
                fuel,
            }
        }

        pub fn run(&self) {
            // SAFETY: each context is checked, used as WasmEdge made it and freed once, the
            // instance before the store, executor and WASI module it lives in.
            unsafe {
                let stat = ffi::WasmEdge_StatisticsCreate();
                let executor = ffi::WasmEdge_ExecutorCreate(self.config, stat);
                if self.fuel {
                    ffi::WasmEdge_StatisticsSetCostLimit(stat, u64::MAX);
                }
                let store = ffi::WasmEdge_StoreCreate();
                let argv: Vec<_> = self.args.iter().map(|a| a.as_ptr()).collect();
                let wasi = ffi::WasmEdge_ModuleInstanceCreateWASI(
                    argv.as_ptr(),
                    argv.len() as u32,
                    std::ptr::null(),
                    0,
                    std::ptr::null(),
                    0,
                );
                assert!(!stat.is_null() && !executor.is_null());
                assert!(!store.is_null() && !wasi.is_null());
                edge(ffi::WasmEdge_ExecutorRegisterImport(executor, store, wasi));
                let mut instance = std::ptr::null_mut();
                edge(ffi::WasmEdge_ExecutorInstantiate(
                    executor,
                    &mut instance,
                    store,
                    self.ast,
                ));
                let name = ffi::WasmEdge_StringCreateByCString(c"_start".as_ptr());
                let start = ffi::WasmEdge_ModuleInstanceFindFunction(instance, name);
                ffi::WasmEdge_StringDelete(name);
                assert!(!start.is_null());
                let result = ffi::WasmEdge_ExecutorInvoke(
                    executor,
                    start,
                    std::ptr::null(),
                    0,
                    std::ptr::null_mut(),
                    0,
                );
                // A guest that calls `proc_exit` ends with WasmEdge's "terminated".
                if !ffi::WasmEdge_ResultOK(result) {
                    assert_eq!(ffi::WasmEdge_ModuleInstanceWASIGetExitCode(wasi), 0);
                }
                ffi::WasmEdge_ModuleInstanceDelete(instance);
                ffi::WasmEdge_StoreDelete(store);
                ffi::WasmEdge_ExecutorDelete(executor);
                ffi::WasmEdge_ModuleInstanceDelete(wasi);
                ffi::WasmEdge_StatisticsDelete(stat);
            }
        }
    }

    #[cfg(feature = "wasmedge")]
    impl Drop for Wasmedge {
        fn drop(&mut self) {
            // SAFETY: made in `with`, each freed once.
            unsafe {
                ffi::WasmEdge_ASTModuleDelete(self.ast);
                ffi::WasmEdge_ConfigureDelete(self.config);
            }
        }
    }
}

fn overhead(c: &mut Criterion) {
    let wasm = hello_wasm();
    let config = captured();
    let mut group = c.benchmark_group("overhead");
    let raw_wasmtime = raw::Wasmtime::new(&wasm);
    let raw_wasmer = raw::Wasmer::new(&wasm);
    let raw_wasmi = raw::Wasmi::new(&wasm);
    let raw_wasm3 = raw::Wasm3::new(&wasm);
    let raws: [(&str, &dyn Fn()); 4] = [
        ("wasmtime", &|| raw_wasmtime.run()),
        ("wasmer", &|| raw_wasmer.run()),
        ("wasmi", &|| raw_wasmi.run()),
        ("wasm3", &|| raw_wasm3.run()),
    ];
    for (name, raw_run) in raws {
        let backend = common::backend(name);
        let module = backend.compile(&wasm).unwrap();
        group.bench_function(BenchmarkId::new("raw", name), |b| b.iter(raw_run));
        group.bench_function(BenchmarkId::new("wasiport", name), |b| {
            b.iter(|| assert!(backend.run(&module, &config).unwrap().success()))
        });
    }
    group.finish();
}

/// The fastest path of each backend.
fn fastest(name: &str) -> Box<dyn Backend> {
    match name {
        "wasmtime" => Box::new(wasiport_wasmtime::Wasmtime::pooling(64).unwrap()),
        other => common::backend(other),
    }
}

fn warm_start(c: &mut Criterion) {
    let wasm = hello_wasm();
    let config = captured();
    let mut group = c.benchmark_group("warm_start");
    for name in wasiport_conformance::backends::NAMES {
        let backend = fastest(name);
        let module = backend.compile(&wasm).unwrap();
        group.bench_function(BenchmarkId::new("wasiport", *name), |b| {
            b.iter(|| assert!(backend.run(&module, &config).unwrap().success()))
        });
    }
    group.finish();
}

/// The hello as a WASI 0.2 command component: `hello.wat` wrapped by the preview-1 adapter.
fn hello_component() -> Vec<u8> {
    wasiport::rewrite::preview1_to_component(&hello_wasm()).expect("hello as a component")
}

/// A precompiled hello component instantiated and run, on each backend that runs components,
/// by its fastest path (wasmtime: `CommandPre` and the pooling allocator).
fn component_start(c: &mut Criterion) {
    let wasm = hello_component();
    let config = captured();
    let mut group = c.benchmark_group("component_start");
    for name in wasiport_conformance::backends::NAMES {
        let backend = fastest(name);
        if !backend.capabilities().contains(Capability::Components) {
            continue;
        }
        let module = backend.compile(&wasm).unwrap();
        group.bench_function(BenchmarkId::new("wasiport", *name), |b| {
            b.iter(|| assert!(backend.run(&module, &config).unwrap().success()))
        });
    }
    group.finish();
}

/// The same hello as a preview-1 module and as a component, side by side on wasmtime (pooling):
/// what the component model and the preview-1 adapter cost a run.
fn component_vs_module(c: &mut Criterion) {
    let config = captured();
    let mut group = c.benchmark_group("component_vs_module");
    let backend = fastest("wasmtime");
    for (column, wasm) in [("module", hello_wasm()), ("component", hello_component())] {
        let module = backend.compile(&wasm).unwrap();
        group.bench_function(BenchmarkId::new(column, "wasmtime"), |b| {
            b.iter(|| assert!(backend.run(&module, &config).unwrap().success()))
        });
    }
    group.finish();
}

fn cold_start(c: &mut Criterion) {
    let wasm = hello_wasm();
    let config = captured();
    let mut group = c.benchmark_group("cold_start");
    for backend in common::engines() {
        group.bench_function(BenchmarkId::new("wasiport", backend.name()), |b| {
            b.iter(|| {
                let module = backend.compile(&wasm).unwrap();
                assert!(backend.run(&module, &config).unwrap().success())
            })
        });
    }
    // What the warm runners of node and chromium save: the same hello in a fresh process.
    group.sample_size(10);
    let dir = tempfile::tempdir().unwrap();
    let module = dir.path().join("hello.wasm");
    std::fs::write(&module, &wasm).unwrap();
    group.bench_function(BenchmarkId::new("fresh_process", "node"), |b| {
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/benches/fresh/node.mjs");
        b.iter(|| {
            let status = Command::new("node")
                .args(["--no-warnings", script])
                .arg(&module)
                .stdout(std::process::Stdio::null())
                .status()
                .unwrap();
            assert!(status.success());
        })
    });
    let page = dir.path().join("fresh.html");
    let shim = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/adapters/chromium/js/node_modules/@bjorn3/browser_wasi_shim/dist/index.js"
    );
    let html = include_str!("fresh/chromium.html")
        .replace("SHIM_URL", &format!("file://{shim}"))
        .replace("WASM_BASE64", &base64_of(&wasm));
    std::fs::write(&page, html).unwrap();
    group.bench_function(BenchmarkId::new("fresh_process", "chromium"), |b| {
        b.iter(|| {
            let profile = tempfile::tempdir().unwrap();
            let output = Command::new("chromium")
                .args(wasiport_chromium::HEADLESS_FLAGS)
                .args(["--allow-file-access-from-files", "--dump-dom"])
                .arg(format!("--user-data-dir={}", profile.path().display()))
                .arg(format!("file://{}", page.display()))
                .stderr(std::process::Stdio::null())
                .output()
                .unwrap();
            let dom = String::from_utf8_lossy(&output.stdout);
            assert!(dom.contains("exit 0 hello"), "{dom}");
        })
    });
    group.finish();
}

/// `bytes` in standard base64, for the page of the fresh-browser baseline.
fn base64_of(bytes: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// How long the pairs of one backend's throughput should take together.
const PAIRS_TIME: Duration = Duration::from_secs(30);
/// Fewest and most pairs of runs per backend.
const PAIRS: (usize, usize) = (3, 15);
/// A warm-up pair longer than this is counted: at that length there is nothing to warm.
const COUNTED_WARM_UP: Duration = Duration::from_secs(10);

/// `throughput` and `throughput_fuel`: each backend's runs interleaved with its raw baseline's
/// (not criterion's two benchmarks a minute apart, whose ratio this shared machine's drift
/// moved by ±10%), their medians written to `target/criterion/throughput.json`.
fn throughput() {
    let mut rows = Vec::new();
    for (group, fuel) in [("throughput", false), ("throughput_fuel", true)] {
        let mut config = RunConfig::builder();
        config = config.program_name("probe.wasm").args(["sha256", "16"]);
        if fuel {
            config = config.fuel(u64::MAX / 2);
        }
        let config = config.build().unwrap();
        for backend in common::engines() {
            let name = backend.name();
            if !wanted(&format!("{group}/{name}")) {
                continue;
            }
            let raw = raw_throughput(name, fuel);
            // With fuel, only where both sides count it.
            if fuel && (raw.is_none() || !backend.capabilities().contains(Capability::Fuel)) {
                continue;
            }
            let module = backend.compile(common::probe()).unwrap();
            let ours = || assert!(backend.run(&module, &config).unwrap().success());
            let (raw_times, our_times) = interleaved(raw.as_deref(), &ours);
            eprintln!(
                "{group}/{name}: {} pairs, raw {:?}, wasiport {:?}",
                our_times.len(),
                raw_times.iter().min(),
                our_times.iter().min()
            );
            for (column, times) in [("raw", raw_times), ("wasiport", our_times)] {
                if let Some(row) = interleaved_row(group, column, name, times) {
                    rows.push(row);
                }
            }
        }
    }
    write_criterion_side_file("throughput.json", &serde_json::to_value(rows).unwrap());
}

/// Runs of `raw` (when there is one) and `ours` in pairs, which of the two goes first
/// alternating: after a warm-up pair, as many pairs as fit in [`PAIRS_TIME`], within [`PAIRS`].
fn interleaved(raw: Option<&dyn Fn()>, ours: &dyn Fn()) -> (Vec<Duration>, Vec<Duration>) {
    let time = |f: &dyn Fn()| {
        let start = Instant::now();
        f();
        start.elapsed()
    };
    let pair = |raw_first: bool| {
        let before = if raw_first { raw.map(time) } else { None };
        let o = time(ours);
        let r = if raw_first { before } else { raw.map(time) };
        (r, o)
    };
    let (mut raw_times, mut our_times) = (Vec::new(), Vec::new());
    let (r, o) = pair(true);
    let warm_up = r.unwrap_or_default() + o;
    if warm_up >= COUNTED_WARM_UP {
        raw_times.extend(r);
        our_times.push(o);
    }
    let pairs = (PAIRS_TIME.as_secs_f64() / warm_up.as_secs_f64().max(1e-6)).ceil() as usize;
    let pairs = pairs.clamp(PAIRS.0, PAIRS.1);
    for i in our_times.len()..pairs {
        let (r, o) = pair(i % 2 == 1);
        raw_times.extend(r);
        our_times.push(o);
    }
    (raw_times, our_times)
}

/// The row of `throughput.json` for one column's runs (`None` for no runs).
fn interleaved_row(
    group: &str,
    column: &str,
    backend: &str,
    mut times: Vec<Duration>,
) -> Option<wasiport_conformance::perf::InterleavedRow> {
    times.sort();
    let ns = |d: &Duration| d.as_nanos() as u64;
    let n = times.len();
    let median = match n {
        0 => return None,
        n if n % 2 == 1 => ns(&times[n / 2]),
        n => (ns(&times[n / 2 - 1]) + ns(&times[n / 2])) / 2,
    };
    Some(wasiport_conformance::perf::InterleavedRow {
        group: group.into(),
        column: column.into(),
        backend: backend.into(),
        runs: n as u64,
        median_ns: median,
        min_ns: ns(&times[0]),
        max_ns: ns(&times[n - 1]),
    })
}

/// Whether the command line's filter (criterion's: the word after `--` that is neither a flag
/// nor a flag's value) lets `id` (a group, or `group/backend`) run, for what this bench
/// measures without criterion.
fn wanted(id: &str) -> bool {
    // criterion's options that take a value.
    const WITH_VALUE: [&str; 15] = [
        "--color",
        "--output-format",
        "--plotting-backend",
        "--save-baseline",
        "--baseline",
        "--baseline-lenient",
        "--load-baseline",
        "--sample-size",
        "--warm-up-time",
        "--measurement-time",
        "--nresamples",
        "--noise-threshold",
        "--confidence-level",
        "--significance-level",
        "--profile-time",
    ];
    let args: Vec<String> = std::env::args().skip(1).collect();
    let filter = args.iter().enumerate().find(|(i, a)| {
        !a.starts_with('-') && (*i == 0 || !WITH_VALUE.contains(&args[i - 1].as_str()))
    });
    filter.is_none_or(|(_, f)| id.contains(f.as_str()))
}

/// The probe's SHA-256 over 16 MiB with `name`'s own API (`None` for a backend without a raw
/// baseline here), with fuel metering or without.
fn raw_throughput(name: &str, fuel: bool) -> Option<Box<dyn Fn()>> {
    let args = ["probe.wasm", "sha256", "16"];
    let wasm = common::probe();
    Some(match name {
        "wasmtime" => {
            let raw = raw::Wasmtime::with(wasm, &args, fuel);
            Box::new(move || raw.run())
        }
        "wasmer" => {
            let raw = raw::Wasmer::with(wasm, &args, fuel);
            Box::new(move || raw.run())
        }
        "wasmi" => {
            let raw = raw::Wasmi::with(wasm, &args, fuel);
            Box::new(move || raw.run())
        }
        "wasm3" => {
            let raw = raw::Wasm3::with(wasm, &args, fuel);
            Box::new(move || raw.run())
        }
        #[cfg(feature = "wasmedge")]
        "wasmedge" => {
            let raw = raw::Wasmedge::with(wasm, &args, fuel);
            Box::new(move || raw.run())
        }
        _ => return None,
    })
}

fn module_cache(c: &mut Criterion) {
    let mut group = c.benchmark_group("module_cache");
    group.sample_size(10);
    for backend in common::engines()
        .into_iter()
        .filter(|b| b.capabilities().contains(Capability::SerializedModules))
    {
        let dir = tempfile::tempdir().unwrap();
        ModuleCache::with_dir(dir.path())
            .unwrap()
            .get_or_compile(backend.as_ref(), common::probe())
            .unwrap();
        group.bench_function(BenchmarkId::new("compile", backend.name()), |b| {
            b.iter(|| backend.compile(common::probe()).unwrap())
        });
        // A new cache each time: the module comes from the disk, not from memory.
        group.bench_function(BenchmarkId::new("disk_load", backend.name()), |b| {
            b.iter(|| {
                let cache = ModuleCache::with_dir(dir.path()).unwrap();
                let module = cache
                    .get_or_compile(backend.as_ref(), common::probe())
                    .unwrap();
                assert_eq!(cache.stats().disk_hits, 1);
                module
            })
        });
    }
    group.finish();
}

/// The first WASI tests of the built-in suite.
fn suite_sample() -> (Vec<Suite>, Vec<runner::TestRef>) {
    let suites = Suite::discover(&wasiport_conformance::default_suite_dir()).unwrap();
    let tests: Vec<runner::TestRef> = runner::selected(&suites, &Options::default())
        .into_iter()
        .filter(|&(s, _)| suites[s].name != "core")
        .take(SUITE_TESTS)
        .collect();
    (suites, tests)
}

fn one_test_options() -> Options {
    Options {
        jobs: 1,
        ..Options::default()
    }
}

/// In a child: runs the one test named in the environment on its backend, from nothing (the
/// module compiled afresh, as a runtime's CLI would), and exits with 0 when it ran (pass or
/// fail: some are expected failures).
fn child_runs_one_test(name: &str) -> ! {
    let (suites, tests) = suite_sample();
    let backend = std::env::var(ONE_BACKEND).unwrap_or_default();
    let backend = common::backend(&backend);
    let test = tests
        .into_iter()
        .find(|&(s, t)| format!("{}/{}", suites[s].name, suites[s].tests[t].name) == name)
        .expect("a test of the sample");
    let results = runner::run_tests(
        backend.as_ref(),
        &suites,
        &[test],
        &Expectations::default(),
        &one_test_options(),
        &|_| {},
        &|_, _| {},
    );
    std::process::exit(i32::from(!results.iter().all(|r| r.executed)))
}

fn suite(c: &mut Criterion) {
    let (suites, tests) = suite_sample();
    let names: Vec<String> = tests
        .iter()
        .map(|&(s, t)| format!("{}/{}", suites[s].name, suites[s].tests[t].name))
        .collect();
    let exe = std::env::current_exe().unwrap();
    let cache = tempfile::tempdir().unwrap();
    let cached = Options {
        jobs: 1,
        cache_dir: Some(cache.path().to_path_buf()),
        ..Options::default()
    };
    let mut group = c.benchmark_group("suite");
    group.sample_size(10);
    for backend in common::engines() {
        let name = backend.name();
        // Per test: the whole sample, divided by its size. The cache is warmed first, as by an
        // earlier `wasiport conformance`.
        let run_sample = || {
            runner::run_tests(
                backend.as_ref(),
                &suites,
                &tests,
                &Expectations::default(),
                &cached,
                &|_| {},
                &|_, _| {},
            )
        };
        run_sample();
        group.bench_function(BenchmarkId::new("in_process", name), |b| {
            b.iter_custom(|iters| {
                let started = Instant::now();
                for _ in 0..iters {
                    run_sample();
                }
                started.elapsed() / SUITE_TESTS as u32
            })
        });
        group.bench_function(BenchmarkId::new("subprocess", name), |b| {
            b.iter_custom(|iters| {
                let started = Instant::now();
                for _ in 0..iters {
                    for test in &names {
                        let status = Command::new(&exe)
                            .env(ONE_TEST, test)
                            .env(ONE_BACKEND, name)
                            .status()
                            .unwrap();
                        assert!(status.success(), "{name} {test} did not run in a child");
                    }
                }
                started.elapsed() / SUITE_TESTS as u32
            })
        });
    }
    group.finish();
}

/// A suite of `COLD_TESTS` tests in wasi-testsuite's layout (`<dir>/cold/<test>.{wasm,json}`),
/// each with a module of its own, as wasi-testsuite's Rust tests are: the unoptimized probe
/// (about 3 MB: 190 KB of code, the rest debug information), made distinct by a custom section
/// naming its test, run as `probe exit 0`.
/// Returns the modules' paths.
fn large_module_suite(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    use wasm_encoder::Encode as _;
    let suite = dir.join("cold");
    std::fs::create_dir_all(&suite).unwrap();
    (0..COLD_TESTS)
        .map(|i| {
            let name = format!("large_module_{i:02}");
            let mut wasm = common::probe_unoptimized().to_vec();
            wasm.push(wasm_encoder::SectionId::Custom as u8);
            wasm_encoder::CustomSection {
                name: "wasiport-bench-test".into(),
                data: name.as_bytes().into(),
            }
            .encode(&mut wasm);
            let module = suite.join(format!("{name}.wasm"));
            std::fs::write(&module, wasm).unwrap();
            let spec = serde_json::json!({ "args": ["exit", "0"], "exit_code": 0 });
            std::fs::write(suite.join(format!("{name}.json")), spec.to_string()).unwrap();
            module
        })
        .collect()
}

/// The `wasiport` program of a release build (`WASIPORT_BIN`, else `target/release/wasiport`:
/// `cargo build --release --workspace --all-features --bins`), if there is one.
fn wasiport_program() -> Option<std::path::PathBuf> {
    let path = std::env::var_os("WASIPORT_BIN")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| {
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/release/wasiport")
        });
    let found = path.is_file();
    if !found {
        println!(
            "not measured: whole wasiport processes: no {} (cargo build --release --workspace \
             --all-features --bins)",
            path.display()
        );
    }
    found.then_some(path)
}

/// The wasmtime CLI (`WASMTIME`, else `wasmtime` on PATH), if there is one.
fn wasmtime_cli() -> Option<std::path::PathBuf> {
    let found = std::env::var_os("WASMTIME")
        .map(std::path::PathBuf::from)
        .or_else(|| {
            let path = std::env::var_os("PATH")?;
            std::env::split_paths(&path)
                .map(|d| d.join("wasmtime"))
                .find(|p| p.is_file())
        });
    if found.is_none() {
        println!("not measured: the wasmtime CLI (none in WASMTIME or on PATH)");
    }
    found
}

/// Runs `command` and asserts that it succeeded.
fn succeeds(command: &mut Command) {
    let status = command
        .stdout(std::process::Stdio::null())
        .status()
        .unwrap_or_else(|e| panic!("{command:?}: {e}"));
    assert!(status.success(), "{command:?}: {status}");
}

/// The first run of a suite of large modules, as a CI job's first `wasiport conformance` pays
/// it, against a process per test: `wasiport run --no-cache` (and, on wasmtime, the wasmtime
/// CLI with its cache off). Each iteration is the whole suite, each column whole processes.
fn suite_cold(c: &mut Criterion) {
    let Some(wasiport) = wasiport_program() else {
        return;
    };
    let wasmtime = wasmtime_cli();
    let dir = tempfile::tempdir().unwrap();
    let modules = large_module_suite(dir.path());
    let cache = tempfile::tempdir().unwrap();
    // The whole command, its report thrown away: exit 0 is every test as expected.
    let conformance = |backend: &str, cache: Option<&std::path::Path>| {
        let mut command = Command::new(&wasiport);
        command
            .args(["conformance", "--format", "json", "--out", "/dev/null"])
            .args(["--backend", backend, "--suite"])
            .arg(dir.path());
        match cache {
            Some(cache) => command.arg("--cache-dir").arg(cache),
            None => command.arg("--no-cache"),
        };
        succeeds(&mut command);
    };
    let mut group = c.benchmark_group("suite_cold");
    group.sample_size(10);
    for name in COLD_BACKENDS {
        group.bench_function(BenchmarkId::new("conformance", name), |b| {
            b.iter(|| conformance(name, None))
        });
        // The runner's settings: a 10 s timeout per test.
        group.bench_function(BenchmarkId::new("subprocess", name), |b| {
            b.iter(|| {
                for module in &modules {
                    succeeds(
                        Command::new(&wasiport)
                            .args(["run", "--no-cache", "--timeout", "10", "--backend", name])
                            .arg(module)
                            .args(["--", "exit", "0"]),
                    );
                }
            })
        });
        if let (Some(cli), "wasmtime") = (&wasmtime, name) {
            group.bench_function(BenchmarkId::new("runtime_cli", name), |b| {
                b.iter(|| {
                    for module in &modules {
                        succeeds(
                            Command::new(cli)
                                .args(["run", "-C", "cache=n"])
                                .arg(module)
                                .args(["exit", "0"]),
                        );
                    }
                })
            });
        }
    }
    group.finish();
    // The same command again, its modules loaded from the cache an earlier run filled.
    let mut group = c.benchmark_group("suite_warm");
    group.sample_size(10);
    for name in COLD_BACKENDS {
        conformance(name, Some(cache.path()));
        group.bench_function(BenchmarkId::new("conformance", name), |b| {
            b.iter(|| conformance(name, Some(cache.path())))
        });
    }
    group.finish();
}

/// This process's resident set, in bytes.
fn rss() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .map_or(0, |kb| kb * 1024)
}

/// In a child (a fresh heap, so nothing freed earlier is reused): the resident memory
/// `INSTANCES` live instances of the hello add on `name`, printed in bytes.
fn child_measures_memory(name: &str) -> ! {
    let wasm = hello_wasm();
    let keep_alive = |make: &dyn Fn() -> Box<dyn std::any::Any>| {
        let warm: Vec<_> = (0..10).map(|_| make()).collect();
        drop(warm);
        let before = rss();
        let keep: Vec<Box<dyn std::any::Any>> = (0..INSTANCES).map(|_| make()).collect();
        let after = rss();
        drop(keep);
        after.saturating_sub(before)
    };
    let bytes = match name {
        "wasmtime" => {
            let raw = raw::Wasmtime::new(&wasm);
            keep_alive(&|| Box::new(raw.instantiate()))
        }
        "wasmi" => {
            let raw = raw::Wasmi::new(&wasm);
            keep_alive(&|| Box::new(raw.instantiate()))
        }
        "wasmer" => {
            let raw = raw::Wasmer::new(&wasm);
            keep_alive(&|| Box::new(raw.instantiate()))
        }
        "wasm3" => {
            let raw = raw::Wasm3::new(&wasm);
            keep_alive(&|| {
                // Compiled as far as a run needs (wasm3 compiles a function on lookup).
                let instance = raw.instantiate();
                instance.function(c"_start");
                Box::new(instance)
            })
        }
        other => panic!("no memory measurement for {other}"),
    };
    println!("{bytes}");
    std::process::exit(0)
}

/// The resident memory `INSTANCES` live instances of the hello add, per backend that can keep
/// instances alive through its own API (wasiport's runs end their instance), each measured in
/// a child process of its own.
fn memory() {
    if !wanted("memory") {
        return;
    }
    let exe = std::env::current_exe().unwrap();
    let mut json = Vec::new();
    for name in ["wasmtime", "wasmer", "wasmi", "wasm3"] {
        let out = Command::new(&exe).env(MEMORY_OF, name).output().unwrap();
        let bytes: u64 = String::from_utf8_lossy(&out.stdout)
            .trim()
            .parse()
            .unwrap_or_else(|_| panic!("{name}: {}", String::from_utf8_lossy(&out.stderr)));
        println!(
            "memory: {INSTANCES} live hello instances on {name}: {:.1} MiB resident ({} KiB each)",
            bytes as f64 / (1 << 20) as f64,
            bytes / INSTANCES as u64 / 1024
        );
        json.push(serde_json::json!({
            "backend": name,
            "instances": INSTANCES,
            "rss_bytes": bytes,
        }));
    }
    write_criterion_side_file("memory.json", &serde_json::Value::Array(json));
}

/// Runs of each command in [`process_memory`], after one that warms the module cache.
const PROCESS_RUNS: usize = 5;

/// GNU time, which reports a child's peak resident memory (Debian's `time`).
const GNU_TIME: &str = "/usr/bin/time";

/// The peak resident memory of a whole process running `command` to a successful end, in
/// bytes: its `ru_maxrss` as GNU time reports it. Not read from this process's own `wait4`: a
/// child this large process spawns inherits its high-water mark (Linux keeps the larger of the
/// two across `exec`); GNU time is a small process to fork from.
fn peak_rss(command: &Command) -> u64 {
    let mut timed = Command::new(GNU_TIME);
    timed.args(["-f", "%M"]).arg(command.get_program());
    timed.args(command.get_args());
    for (key, value) in command.get_envs() {
        match value {
            Some(value) => timed.env(key, value),
            None => timed.env_remove(key),
        };
    }
    let out = timed
        .stdout(std::process::Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("{timed:?}: {e}"));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{command:?}: {stderr}");
    let kib: u64 = stderr
        .lines()
        .last()
        .and_then(|l| l.trim().parse().ok())
        .unwrap_or_else(|| panic!("{timed:?}: no peak memory in {stderr:?}"));
    kib * 1024
}

/// The peak resident memory of a whole `wasiport run` of the hello and of a compute-bound
/// guest (the probe's `sieve 40`: a 40 MB array), beside the wasmtime CLI's own run of the
/// same where one is found (`WASMTIME`, else `wasmtime` on PATH): the median of
/// [`PROCESS_RUNS`] runs each through GNU time ([`peak_rss`]), the module cache warm. `wasiport` is `WASIPORT_BIN`, else the
/// release build's (`cargo build --release --workspace --all-features --bins`); written to
/// `target/criterion/process_memory.json`.
fn process_memory() {
    if !wanted("process_memory") {
        return;
    }
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let Some(wasiport) = wasiport_program() else {
        return;
    };
    if !std::path::Path::new(GNU_TIME).is_file() {
        println!("not measured: whole processes' peak memory: no {GNU_TIME} (Debian's time)");
        return;
    }
    let wasmtime = wasmtime_cli();
    let cache = tempfile::tempdir().unwrap();
    let hello = root.join("tests/guests/wat/hello.wat");
    let probe = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(probe.path(), common::probe()).unwrap();
    // No guest at all first: what each program costs before it runs one (`--version`).
    let guests: [(&str, Vec<std::ffi::OsString>); 3] = [
        ("none (--version)", Vec::new()),
        ("hello", vec![hello.into_os_string()]),
        (
            "sieve 40",
            vec![
                probe.path().as_os_str().to_owned(),
                "sieve".into(),
                "40".into(),
            ],
        ),
    ];
    let mut json = Vec::new();
    for (guest, module_and_args) in &guests {
        let mut commands: Vec<(String, Command)> = Vec::new();
        if module_and_args.is_empty() {
            let mut command = Command::new(&wasiport);
            command.arg("--version");
            commands.push(("wasiport --version".to_string(), command));
            if let Some(cli) = &wasmtime {
                let mut command = Command::new(cli);
                command.arg("--version");
                commands.push(("wasmtime --version (its CLI)".to_string(), command));
            }
        }
        for backend in ["wasmtime", "wasmer"] {
            if module_and_args.is_empty() {
                break;
            }
            let mut command = Command::new(&wasiport);
            command.args(["run", "--backend", backend]);
            command.arg(&module_and_args[0]);
            if module_and_args.len() > 1 {
                command.arg("--").args(&module_and_args[1..]);
            }
            commands.push((format!("wasiport run --backend {backend}"), command));
        }
        if let (Some(cli), false) = (&wasmtime, module_and_args.is_empty()) {
            let mut command = Command::new(cli);
            command.arg("run").args(module_and_args);
            commands.push(("wasmtime run (its CLI)".to_string(), command));
        }
        for (program, mut command) in commands {
            command.env("XDG_CACHE_HOME", cache.path());
            peak_rss(&command);
            let mut peaks: Vec<u64> = (0..PROCESS_RUNS).map(|_| peak_rss(&command)).collect();
            peaks.sort_unstable();
            let median = peaks[PROCESS_RUNS / 2];
            println!(
                "process memory: {guest}: {program}: {:.1} MiB peak resident",
                median as f64 / f64::from(1 << 20)
            );
            json.push(serde_json::json!({
                "guest": guest,
                "program": program,
                "peak_rss_bytes": median,
                "runs": PROCESS_RUNS,
            }));
        }
    }
    write_criterion_side_file("process_memory.json", &serde_json::Value::Array(json));
}

/// Calls of the `token` guest's `check` timed one by one, for the mean and the 99th
/// percentile per call (criterion reports means of batches): written to
/// `target/criterion/call_latency.json`.
const LATENCY_CALLS: usize = 20_000;

/// A live raw instance of the token guest on each runtime: `check` once, as a host would call it.
mod raw_call {
    use super::raw;

    pub struct Wasmtime {
        store: wasmtime::Store<wasmtime_wasi::p1::WasiP1Ctx>,
        check: wasmtime::TypedFunc<(i32, i32), i32>,
        args: (i32, i32),
    }

    impl Wasmtime {
        pub fn new(runtime: &raw::Wasmtime, token: &[u8]) -> Self {
            let (mut store, instance) = runtime.instantiate();
            let alloc = instance
                .get_typed_func::<i32, i32>(&mut store, "alloc")
                .unwrap();
            let ptr = alloc.call(&mut store, token.len() as i32).unwrap();
            let memory = instance.get_memory(&mut store, "memory").unwrap();
            memory.write(&mut store, ptr as usize, token).unwrap();
            let check = instance.get_typed_func(&mut store, "check").unwrap();
            Wasmtime {
                store,
                check,
                args: (ptr, token.len() as i32),
            }
        }

        pub fn check(&mut self) -> i32 {
            self.store.set_fuel(u64::MAX).unwrap();
            self.check.call(&mut self.store, self.args).unwrap()
        }
    }

    pub struct Wasmi {
        store: wasmi::Store<wasi_common::WasiCtx>,
        check: wasmi::TypedFunc<(i32, i32), i32>,
        args: (i32, i32),
    }

    impl Wasmi {
        pub fn new(runtime: &raw::Wasmi, token: &[u8]) -> Self {
            let (mut store, instance) = runtime.instantiate();
            let alloc = instance
                .get_typed_func::<i32, i32>(&store, "alloc")
                .unwrap();
            let ptr = alloc.call(&mut store, token.len() as i32).unwrap();
            let memory = instance.get_memory(&store, "memory").unwrap();
            memory.write(&mut store, ptr as usize, token).unwrap();
            let check = instance.get_typed_func(&store, "check").unwrap();
            Wasmi {
                store,
                check,
                args: (ptr, token.len() as i32),
            }
        }

        pub fn check(&mut self) -> i32 {
            self.store.set_fuel(u64::MAX).unwrap();
            self.check.call(&mut self.store, self.args).unwrap()
        }
    }

    pub struct Wasm3 {
        /// Owns the runtime `check` belongs to: kept alive, never read.
        _instance: raw::Wasm3Instance,
        check: wasm3x_sys::IM3Function,
        args: [u64; 2],
    }

    impl Wasm3 {
        pub fn new(runtime: &raw::Wasm3, token: &[u8]) -> Self {
            let mut instance = runtime.instantiate();
            let alloc = instance.function(c"alloc");
            let ptr = call(alloc, &[token.len() as u64]) as usize;
            instance.memory()[ptr..ptr + token.len()].copy_from_slice(token);
            let check = instance.function(c"check");
            Wasm3 {
                _instance: instance,
                check,
                args: [ptr as u64, token.len() as u64],
            }
        }

        pub fn check(&mut self) -> i32 {
            call(self.check, &self.args) as i32
        }
    }

    /// WasmEdge's interpreter through its C API (`wasmedge-sys`'s bindings), on the calling
    /// thread: its own WASI module registered for the imports, cost measuring on (WasmEdge's
    /// fuel), the cost limit set again before each call. Only with the `wasmedge` feature.
    #[cfg(feature = "wasmedge")]
    pub struct Wasmedge {
        config: *mut ffi::WasmEdge_ConfigureContext,
        stat: *mut ffi::WasmEdge_StatisticsContext,
        executor: *mut ffi::WasmEdge_ExecutorContext,
        store: *mut ffi::WasmEdge_StoreContext,
        wasi: *mut ffi::WasmEdge_ModuleInstanceContext,
        instance: *mut ffi::WasmEdge_ModuleInstanceContext,
        check: *mut ffi::WasmEdge_FunctionInstanceContext,
        args: [ffi::WasmEdge_Value; 2],
    }

    #[cfg(feature = "wasmedge")]
    use wasmedge_sys::ffi;

    #[cfg(feature = "wasmedge")]
    use super::raw::{edge, wasmedge_load};

    #[cfg(feature = "wasmedge")]
    impl Wasmedge {
        pub fn new(wasm: &[u8], token: &[u8]) -> Self {
            // Cost counted, as the adapter's instances count it (a call may ask for fuel).
            let (config, ast) = wasmedge_load(wasm, true);
            // SAFETY: each context is checked or used as WasmEdge made it, and freed once in
            // `drop` (the instance before the store, executor and WASI module it lives in).
            unsafe {
                let stat = ffi::WasmEdge_StatisticsCreate();
                let executor = ffi::WasmEdge_ExecutorCreate(config, stat);
                let store = ffi::WasmEdge_StoreCreate();
                let wasi = ffi::WasmEdge_ModuleInstanceCreateWASI(
                    std::ptr::null(),
                    0,
                    std::ptr::null(),
                    0,
                    std::ptr::null(),
                    0,
                );
                assert!(!executor.is_null() && !store.is_null() && !wasi.is_null());
                edge(ffi::WasmEdge_ExecutorRegisterImport(executor, store, wasi));
                let mut instance = std::ptr::null_mut();
                edge(ffi::WasmEdge_ExecutorInstantiate(
                    executor,
                    &mut instance,
                    store,
                    ast,
                ));
                ffi::WasmEdge_ASTModuleDelete(ast);
                let find = |name: &std::ffi::CStr| {
                    let name = ffi::WasmEdge_StringCreateByCString(name.as_ptr());
                    let function = ffi::WasmEdge_ModuleInstanceFindFunction(instance, name);
                    ffi::WasmEdge_StringDelete(name);
                    assert!(!function.is_null());
                    function
                };
                let (alloc, check) = (find(c"alloc"), find(c"check"));
                let mut ptr = [ffi::WasmEdge_ValueGenI32(0)];
                let len = ffi::WasmEdge_ValueGenI32(token.len() as i32);
                edge(ffi::WasmEdge_ExecutorInvoke(
                    executor,
                    alloc,
                    &len,
                    1,
                    ptr.as_mut_ptr(),
                    1,
                ));
                let ptr = ffi::WasmEdge_ValueGetI32(ptr[0]);
                let name = ffi::WasmEdge_StringCreateByCString(c"memory".as_ptr());
                let memory = ffi::WasmEdge_ModuleInstanceFindMemory(instance, name);
                ffi::WasmEdge_StringDelete(name);
                assert!(!memory.is_null());
                edge(ffi::WasmEdge_MemoryInstanceSetData(
                    memory,
                    token.as_ptr(),
                    ptr as u32,
                    token.len() as u32,
                ));
                Wasmedge {
                    config,
                    stat,
                    executor,
                    store,
                    wasi,
                    instance,
                    check,
                    args: [
                        ffi::WasmEdge_ValueGenI32(ptr),
                        ffi::WasmEdge_ValueGenI32(token.len() as i32),
                    ],
                }
            }
        }

        pub fn check(&mut self) -> i32 {
            // SAFETY: live contexts; the buffers hold the counts given.
            unsafe {
                let mut result = [ffi::WasmEdge_ValueGenI32(0)];
                ffi::WasmEdge_StatisticsClear(self.stat);
                ffi::WasmEdge_StatisticsSetCostLimit(self.stat, u64::MAX);
                edge(ffi::WasmEdge_ExecutorInvoke(
                    self.executor,
                    self.check,
                    self.args.as_ptr(),
                    2,
                    result.as_mut_ptr(),
                    1,
                ));
                ffi::WasmEdge_ValueGetI32(result[0])
            }
        }
    }

    #[cfg(feature = "wasmedge")]
    impl Drop for Wasmedge {
        fn drop(&mut self) {
            // SAFETY: made in `new`, each freed once, the instance first.
            unsafe {
                ffi::WasmEdge_ModuleInstanceDelete(self.instance);
                ffi::WasmEdge_StoreDelete(self.store);
                ffi::WasmEdge_ExecutorDelete(self.executor);
                ffi::WasmEdge_ModuleInstanceDelete(self.wasi);
                ffi::WasmEdge_StatisticsDelete(self.stat);
                ffi::WasmEdge_ConfigureDelete(self.config);
            }
        }
    }

    /// Calls `function` (one result) with `args`, each at its own address, as wasm3's
    /// `m3_Call` takes them.
    fn call(function: wasm3x_sys::IM3Function, args: &[u64]) -> u64 {
        let argv: Vec<*const std::ffi::c_void> =
            args.iter().map(|a| (a as *const u64).cast()).collect();
        let mut result = 0u64;
        let retv = [(&mut result as *mut u64)
            .cast_const()
            .cast::<std::ffi::c_void>()];
        // SAFETY: a function of a live runtime; each pointer points to 8 bytes that live
        // through the call; wasm3 checks the counts.
        unsafe {
            raw::m3(wasm3x_sys::m3_Call(
                function,
                args.len() as u32,
                argv.as_ptr().cast_mut(),
            ));
            raw::m3(wasm3x_sys::m3_GetResults(
                function,
                1,
                retv.as_ptr().cast_mut(),
            ));
        }
        result
    }

    pub struct Wasmer<'a> {
        runtime: &'a raw::Wasmer,
        store: wasmer::Store,
        instance: wasmer::Instance,
        check: wasmer::TypedFunction<(i32, i32), i32>,
        args: (i32, i32),
        _env: wasmer_wasix::WasiFunctionEnv,
    }

    impl<'a> Wasmer<'a> {
        pub fn new(runtime: &'a raw::Wasmer, token: &[u8]) -> Self {
            let (mut store, instance, env) = runtime.instantiate();
            let _entered = runtime.enter();
            let alloc = instance
                .exports
                .get_typed_function::<i32, i32>(&store, "alloc")
                .unwrap();
            let ptr = alloc.call(&mut store, token.len() as i32).unwrap();
            let memory = instance.exports.get_memory("memory").unwrap();
            memory.view(&store).write(ptr as u64, token).unwrap();
            let check = instance
                .exports
                .get_typed_function(&store, "check")
                .unwrap();
            Wasmer {
                runtime,
                store,
                instance,
                check,
                args: (ptr, token.len() as i32),
                _env: env,
            }
        }

        pub fn check(&mut self) -> i32 {
            let _entered = self.runtime.enter();
            wasmer_middlewares::metering::set_remaining_points(
                &mut self.store,
                &self.instance,
                u64::MAX,
            );
            self.check
                .call(&mut self.store, self.args.0, self.args.1)
                .unwrap()
        }
    }
}

/// A wasiport instance of the token guest with the token written into it: the instance and
/// `check`'s arguments.
fn token_instance(
    backend: &dyn Backend,
    module: &wasiport::CompiledModule,
    token: &[u8],
) -> (wasiport::Instance, (i32, i32)) {
    let mut instance = backend
        .instantiate(module, &RunConfig::default())
        .expect("instantiate the token guest");
    let len = token.len() as i32;
    let ptr: i32 = instance.call_typed("alloc", len).expect("alloc");
    instance
        .write_memory("memory", ptr as u64, token)
        .expect("write the token");
    (instance, (ptr, len))
}

/// A raw baseline's `check` call.
type RawCheck<'a> = &'a mut dyn FnMut() -> i32;

fn call(c: &mut Criterion) {
    let wasm = common::token();
    let token = common::signed_token("user=alice;exp=2000000000");
    let raw_wasmtime = raw::Wasmtime::new(wasm);
    let raw_wasmer = raw::Wasmer::new(wasm);
    let raw_wasmi = raw::Wasmi::new(wasm);
    let mut wasmtime_call = raw_call::Wasmtime::new(&raw_wasmtime, &token);
    let mut wasmer_call = raw_call::Wasmer::new(&raw_wasmer, &token);
    let mut wasmi_call = raw_call::Wasmi::new(&raw_wasmi, &token);
    let mut wasmtime_raw = || wasmtime_call.check();
    let mut wasmer_raw = || wasmer_call.check();
    let mut wasmi_raw = || wasmi_call.check();
    let raw_wasm3 = raw::Wasm3::new(wasm);
    let mut wasm3_call = raw_call::Wasm3::new(&raw_wasm3, &token);
    let mut wasm3_raw = || wasm3_call.check();
    let mut raws: Vec<(&str, Option<RawCheck<'_>>)> = vec![
        ("wasmtime", Some(&mut wasmtime_raw)),
        ("wasmer", Some(&mut wasmer_raw)),
        ("wasmi", Some(&mut wasmi_raw)),
        ("wasm3", Some(&mut wasm3_raw)),
    ];
    #[cfg(feature = "wasmedge")]
    let mut wasmedge_call = raw_call::Wasmedge::new(wasm, &token);
    #[cfg(feature = "wasmedge")]
    let mut wasmedge_raw = || wasmedge_call.check();
    #[cfg(feature = "wasmedge")]
    raws.push(("wasmedge", Some(&mut wasmedge_raw)));
    #[cfg(not(feature = "wasmedge"))]
    raws.push(("wasmedge", None));
    let mut latency = Vec::new();
    let mut group = c.benchmark_group("call");
    for (name, raw_check) in raws.iter_mut() {
        if !wasiport_conformance::backends::NAMES.contains(name) {
            continue;
        }
        let backend = common::backend(name);
        // `wasiport`'s WasmEdge backend runs each guest in a worker process: no instances (the
        // in-process `wasiport-wasmedge` has them, but this crate cannot depend on it).
        if !backend.capabilities().contains(Capability::Instances) {
            continue;
        }
        let module = backend.compile(wasm).unwrap();
        let (mut instance, args) = token_instance(backend.as_ref(), &module, &token);
        let mut wasiport_check = || -> i32 { instance.call_typed("check", args).expect("check") };
        assert_eq!(wasiport_check(), 1, "{name}");
        if let Some(raw_check) = raw_check.as_mut() {
            assert_eq!(raw_check(), 1, "{name}");
            group.bench_function(BenchmarkId::new("raw", *name), |b| {
                b.iter(|| assert_eq!(raw_check(), 1))
            });
        }
        group.bench_function(BenchmarkId::new("wasiport", *name), |b| {
            b.iter(|| assert_eq!(wasiport_check(), 1))
        });
        group.bench_function(BenchmarkId::new("fresh_instance", *name), |b| {
            b.iter(|| {
                let (mut fresh, args) = token_instance(backend.as_ref(), &module, &token);
                assert_eq!(
                    fresh.call_typed::<(i32, i32), i32>("check", args).unwrap(),
                    1
                )
            })
        });
        let mut columns: Vec<(&str, &mut dyn FnMut() -> i32)> = Vec::new();
        if let Some(raw_check) = raw_check.as_mut() {
            columns.push(("raw", &mut **raw_check));
        }
        columns.push(("wasiport", &mut wasiport_check));
        for (column, f) in columns {
            latency.push(serde_json::json!({
                "backend": name,
                "column": column,
                "calls": LATENCY_CALLS,
                "nanoseconds": percentiles(f),
            }));
        }
    }
    group.finish();
    write_criterion_side_file("call_latency.json", &serde_json::Value::Array(latency));
}

/// The mean and the 50th and 99th percentiles, in nanoseconds, of [`LATENCY_CALLS`] calls of
/// `f` timed one by one (after as many unrecorded, to warm up).
fn percentiles(f: &mut dyn FnMut() -> i32) -> serde_json::Value {
    for _ in 0..LATENCY_CALLS {
        std::hint::black_box(f());
    }
    let mut times: Vec<u128> = (0..LATENCY_CALLS)
        .map(|_| {
            let started = Instant::now();
            std::hint::black_box(f());
            started.elapsed().as_nanos()
        })
        .collect();
    times.sort_unstable();
    let at = |q: f64| times[((times.len() as f64 * q) as usize).min(times.len() - 1)];
    let mean = times.iter().sum::<u128>() / times.len() as u128;
    serde_json::json!({"mean": mean, "p50": at(0.50), "p99": at(0.99)})
}

/// Writes `json` to `target/criterion/NAME` beside criterion's own results.
fn write_criterion_side_file(name: &str, json: &serde_json::Value) {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/criterion");
    let _ = std::fs::create_dir_all(&dir);
    let _ = std::fs::write(
        dir.join(name),
        serde_json::to_string_pretty(json).unwrap_or_default(),
    );
}

fn main() {
    if let Ok(test) = std::env::var(ONE_TEST) {
        child_runs_one_test(&test);
    }
    if let Ok(name) = std::env::var(MEMORY_OF) {
        child_measures_memory(&name);
    }
    let mut c = Criterion::default()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2))
        .configure_from_args();
    overhead(&mut c);
    warm_start(&mut c);
    component_start(&mut c);
    component_vs_module(&mut c);
    cold_start(&mut c);
    throughput();
    module_cache(&mut c);
    call(&mut c);
    suite(&mut c);
    suite_cold(&mut c);
    memory();
    process_memory();
    c.final_summary();
}
