//! The trait every runtime adapter implements.

use std::net::TcpListener;

use crate::{
    BackendId, Capabilities, Capability, CompiledModule, Error, Instance, ModuleInfo, Outcome,
    RunConfig, ServeSummary, Shutdown,
};

/// A WebAssembly runtime that can run WASI preview-1 command modules.
///
/// Compiling is separate from running: [`Backend::compile`] returns a [`CompiledModule`] that is
/// `Send + Sync` and can be run any number of times, from any thread, with different
/// [`RunConfig`]s.
///
/// A backend asked for something its [`Capabilities`] do not include returns
/// [`Error::Unsupported`]; it never ignores a setting.
///
/// ```
/// use wasiport::{Backend, RunConfig};
///
/// fn run_everywhere(backends: &[&dyn Backend], wasm: &[u8]) -> Result<(), wasiport::Error> {
///     let config = RunConfig::builder().arg("hello").build()?;
///     for backend in backends {
///         let module = backend.compile(wasm)?;
///         let outcome = backend.run(&module, &config)?;
///         println!("{} {}: {}", backend.name(), backend.runtime_version(), outcome.termination);
///     }
///     Ok(())
/// }
/// ```
pub trait Backend: Send + Sync {
    /// This backend value's identity, made when it was: the modules it compiles carry it, and
    /// it runs no module with another ([`Error::BackendMismatch`]).
    fn id(&self) -> BackendId;

    /// The backend's short name, e.g. `"wasmtime"`; also the name of its expectations file.
    /// Its [`BackendId`]'s name.
    fn name(&self) -> &'static str {
        self.id().name()
    }

    /// The version of the runtime this backend was built against, e.g. `"48.0.0"`.
    fn runtime_version(&self) -> &'static str;

    /// What this backend can do; settings outside it make [`Backend::run`] fail with
    /// [`Error::Unsupported`].
    fn capabilities(&self) -> &Capabilities;

    /// What a run of a component can ask of this backend: a subset of
    /// [`Backend::capabilities`], those of [`Capability::FOR_COMPONENTS`](crate::Capability)
    /// among them when it runs components at all. By default, [`Backend::capabilities`]
    /// itself; a backend whose components get less than its modules (no fuel, say) says so here.
    ///
    /// ```
    /// use wasiport::{Backend, Capability};
    /// let backend = wasiport_wasmtime::Wasmtime::new()?;
    /// assert!(backend.component_capabilities().contains(Capability::Fuel));
    /// # Ok::<(), wasiport::Error>(())
    /// ```
    fn component_capabilities(&self) -> &Capabilities {
        self.capabilities()
    }

    /// Validates and compiles a binary WebAssembly module.
    ///
    /// Fails with [`Error::InvalidModule`] (carrying the runtime's own message) when the bytes
    /// are not a module this runtime accepts.
    fn compile(&self, wasm: &[u8]) -> Result<CompiledModule, Error>;

    /// Instantiates `module` with WASI preview 1 configured by `config` and runs its `_start`.
    ///
    /// How the guest ended (exit code, trap, timeout, ...) is in the returned [`Outcome`]; an
    /// `Err` means the run could not happen at all (missing imports, unsupported settings, a
    /// module compiled by another backend, a host I/O error), or the module could not be
    /// instantiated: a start function that traps (or exits, or runs out of time or fuel) is
    /// [`Error::Instantiation`], as in [`Backend::instantiate`], since WebAssembly's
    /// instantiation runs it and `_start` never begins.
    fn run(&self, module: &CompiledModule, config: &RunConfig) -> Result<Outcome, Error>;

    /// The settings of this backend's engine that its compiled code depends on, for the
    /// [`ModuleCache`](crate::ModuleCache)'s keys (e.g. `"fuel,epochs"`). Empty by default.
    fn engine_fingerprint(&self) -> String {
        String::new()
    }

    /// The name the [`ModuleCache`](crate::ModuleCache) keeps this backend's compiled code
    /// under on disk: [`Backend::name`] by default. A backend that compiles with another and
    /// runs that one's code as it is (the same runtime with another WASI, say) gives the
    /// other's name, so that each finds what the other compiled.
    fn code_name(&self) -> &'static str {
        self.name()
    }

    /// The name of the code a run within `limits` needs beyond what [`Backend::compile`] made,
    /// or `""` when the compiled module runs any limits as it is (the default).
    ///
    /// A backend whose limits cost speed compiled in (fuel metering) may compile that code
    /// only when a run asks for it; the [`ModuleCache`](crate::ModuleCache) keeps such a
    /// module under a key of its own ([`ModuleCache::get_or_compile_for`](crate::ModuleCache::get_or_compile_for)),
    /// with that code compiled by [`Backend::compile_for`] before it is written to disk.
    fn code_variant(&self, limits: &crate::Limits) -> &'static str {
        let _ = limits;
        ""
    }

    /// Compiles `wasm` as [`Backend::compile`] does, with the code runs within `limits` need
    /// made now rather than on the first such run (see [`Backend::code_variant`]), so that
    /// [`Backend::serialize`] includes it; a backend may leave out code such runs do not
    /// need. The module still runs any limits. By default [`Backend::compile`].
    fn compile_for(&self, wasm: &[u8], limits: &crate::Limits) -> Result<CompiledModule, Error> {
        let _ = limits;
        self.compile(wasm)
    }

    /// `module`'s compiled code as bytes for the [`ModuleCache`](crate::ModuleCache)'s disk,
    /// or `None` where the backend has no such form (an interpreter that compiles lazily,
    /// say). `None` by default.
    fn serialize(&self, module: &CompiledModule) -> Result<Option<Vec<u8>>, Error> {
        let _ = module;
        Ok(None)
    }

    /// A module from bytes [`Backend::serialize`] made, with `info` read off its Wasm bytes.
    /// Fails with [`Error::Unsupported`] by default.
    ///
    /// # Safety
    /// The bytes are loaded as the runtime's compiled code: they must be what `serialize` of
    /// this backend (same runtime version, same engine settings) returned, unchanged. The
    /// module cache checks both (its key and a checksum) before it calls this.
    unsafe fn deserialize(&self, bytes: &[u8], info: ModuleInfo) -> Result<CompiledModule, Error> {
        let _ = (bytes, info);
        Err(Error::Unsupported {
            backend: self.name(),
            feature: crate::Capability::SerializedModules,
        })
    }

    /// Instantiates `module` once, with WASI (native or portable), host functions and limits
    /// configured by `config` as for a run, for its exported functions to be called any number
    /// of times ([`Instance::call`]); a reactor's `_initialize` runs here. The fuel and timeout
    /// of `config` are each call's; its memory cap is the instance's.
    ///
    /// Fails with [`Error::Instantiation`] when the module cannot be instantiated (its start
    /// function or `_initialize` traps, its initial memory is over the cap), and as
    /// [`Backend::run`] does for a module or configuration the backend cannot take. By default
    /// [`Error::Unsupported`] of [`Capability::Instances`].
    ///
    /// ```
    /// use wasiport::{Backend, RunConfig};
    /// let backend = wasiport_wasmi::Wasmi::new()?;
    /// let module = backend.compile(&wat::parse_str(
    ///     r#"(module (func (export "double") (param i64) (result i64) local.get 0 i64.const 2 i64.mul))"#,
    /// )?)?;
    /// let mut instance = backend.instantiate(&module, &RunConfig::default())?;
    /// for n in 0..1000i64 {
    ///     assert_eq!(instance.call_typed::<i64, i64>("double", n)?, 2 * n);
    /// }
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    fn instantiate(&self, module: &CompiledModule, config: &RunConfig) -> Result<Instance, Error> {
        let _ = (module, config);
        Err(Error::Unsupported {
            backend: self.name(),
            feature: Capability::Instances,
        })
    }

    /// Serves HTTP on `listener` with `module`'s `wasi:http` handler (a component exporting
    /// `wasi:http/incoming-handler@0.2.x` or `wasi:http/handler@0.3.x`, see
    /// [`ComponentInfo::is_http_handler`](crate::ComponentInfo::is_http_handler)) until
    /// `shutdown` is triggered, then returns what it served.
    ///
    /// Each request gets an instance of its own, made with `config` (its env, preopens,
    /// output, network grant for the guest's own requests); `config`'s limits are per request:
    /// a request past the timeout or out of fuel fails with `500`, and so does one whose
    /// guest traps. Only the listener's failure, or a module the backend cannot serve, is an
    /// `Err`.
    ///
    /// By default [`Error::Unsupported`] of [`Capability::HttpService`]; a backend that
    /// declares that capability serves.
    ///
    /// ```
    /// use wasiport::{Backend, Capability, RunConfig, Shutdown};
    /// let backend = wasiport_wasmi::Wasmi::new()?;
    /// let module = backend.compile(&wat::parse_str("(module)")?)?;
    /// let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    /// let refused = backend.serve_http(&module, &RunConfig::default(), listener, &Shutdown::new());
    /// assert!(matches!(
    ///     refused,
    ///     Err(wasiport::Error::Unsupported { feature: Capability::HttpService, .. })
    /// ));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    fn serve_http(
        &self,
        module: &CompiledModule,
        config: &RunConfig,
        listener: TcpListener,
        shutdown: &Shutdown,
    ) -> Result<ServeSummary, Error> {
        let _ = (module, config, listener, shutdown);
        Err(Error::Unsupported {
            backend: self.name(),
            feature: Capability::HttpService,
        })
    }

    /// [`Backend::compile`] followed by one [`Backend::run`].
    fn compile_and_run(&self, wasm: &[u8], config: &RunConfig) -> Result<Outcome, Error> {
        let module = self.compile(wasm)?;
        self.run(&module, config)
    }
}
