//! The checks every adapter makes before its runtime sees a module or a run: what the bytes
//! are ([`module_info`]), whether the backend can run them with a configuration
//! ([`preflight`], [`preflight_http_handler`], [`preflight_instance`]), and which imports
//! nothing provides
//! ([`unprovided_imports`]). For adapters; users of the library do not need this module.

use crate::{
    Capabilities, Capability, CompiledModule, ComponentInfo, Error, HostFunction, Import,
    ModuleInfo, Outcome, RunConfig, Termination, WasiImpl,
};

/// What every adapter's [`Backend::compile`](crate::Backend::compile) reads first: the
/// [`ModuleInfo`] of `wasm`, a module's or a component's. A component needs what
/// [`ComponentInfo::needs`] says: a backend that does not declare all of it refuses the component
/// here with [`Error::Unsupported`] naming the first missing capability, before its runtime
/// sees the bytes (to which a component would only be a parse error).
///
/// ```
/// use wasiport::{preflight::module_info, Capabilities, Capability, Error};
/// let modules_only: Capabilities = Capability::FOR_MODULES.iter().copied().collect();
/// let component = wat::parse_str(r#"(component (import "wasi:cli/stdout@0.2.6" (instance)))"#)?;
/// let refused = module_info("toy", &modules_only, &component).unwrap_err();
/// assert!(matches!(refused, Error::Unsupported { feature: Capability::Components, .. }));
/// let module = wat::parse_str("(module)")?;
/// assert!(!module_info("toy", &modules_only, &module)?.is_component());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn module_info(
    backend: &'static str,
    capabilities: &Capabilities,
    wasm: &[u8],
) -> Result<ModuleInfo, Error> {
    let info =
        ModuleInfo::parse(wasm).map_err(|message| Error::InvalidModule { backend, message })?;
    if let Some(component) = info.component() {
        if let Some(feature) = component
            .needs()
            .into_iter()
            .find(|c| !capabilities.contains(*c))
        {
            return Err(Error::Unsupported { backend, feature });
        }
    }
    Ok(info)
}

/// [`preflight`] for a component: the configuration within the backend's capabilities (the
/// component's WASI in place of preview 1's), no setting that only a core module can take, and
/// the component a command (it exports `wasi:cli/run`).
fn preflight_component(
    backend: &'static str,
    capabilities: &Capabilities,
    info: &ModuleInfo,
    component: &ComponentInfo,
    config: &RunConfig,
) -> Result<Option<Outcome>, Error> {
    check_component_config(backend, capabilities, component, config)?;
    if !component.is_command() {
        return Err(Error::InvalidModule {
            backend,
            message: format!(
                "the component exports no `wasi:cli/run`, so it is not a WASI command{}",
                component
                    .world()
                    .map_or_else(String::new, |w| format!(" (its world is {w})"))
            ),
        });
    }
    Ok(memory_over_the_cap(info, config))
}

/// [`Termination::MemoryLimit`] when the memory `info`'s module (or component) starts with is
/// already over `config`'s cap.
fn memory_over_the_cap(info: &ModuleInfo, config: &RunConfig) -> Option<Outcome> {
    match config.limits().max_memory_bytes {
        Some(cap) if info.initial_memory_bytes() > cap => {
            Some(Outcome::new(Termination::MemoryLimit))
        }
        _ => None,
    }
}

/// The configuration of a component's run is within `capabilities`, with what the component
/// itself needs; nothing in it is for core modules only.
fn check_component_config(
    backend: &'static str,
    capabilities: &Capabilities,
    component: &ComponentInfo,
    config: &RunConfig,
) -> Result<(), Error> {
    let wasi = config.wasi_for(capabilities);
    let only_for_modules = |what: &str| {
        Err(Error::InvalidConfig(format!(
            "{backend}: {what} are for core modules; a component imports WIT interfaces and \
             runs on the runtime's own WASI {}",
            component
                .wasi_version()
                .map_or_else(|| "0.2".to_string(), |v| v.to_string())
        )))
    };
    if wasi == WasiImpl::Portable || config.trace() {
        return only_for_modules("the portable WASI and its traces");
    }
    if !config.host_functions().is_empty() {
        return only_for_modules("host functions");
    }
    if !config.sockets().is_empty() {
        return only_for_modules("preopened sockets");
    }
    let mut needed = config.required_capabilities_with(wasi);
    needed.remove(Capability::WasiPreview1);
    for c in component.needs() {
        needed.insert(c);
    }
    if let Some(feature) = needed.iter().find(|c| !capabilities.contains(*c)) {
        return Err(Error::Unsupported { backend, feature });
    }
    Ok(())
}

/// The checks before [`Backend::serve_http`](crate::Backend::serve_http) serves anything:
/// the backend declares [`Capability::HttpService`], the module is a component whose world is
/// a `wasi:http` handler ([`ComponentInfo::is_http_handler`]), and the configuration is within
/// the backend's capabilities as for a component's run.
///
/// ```
/// use wasiport::{preflight::preflight_http_handler, Backend, Capability, RunConfig};
/// let backend = wasiport_wasmtime::Wasmtime::new()?;
/// let module = backend.compile(&wat::parse_str(r#"(module (memory (export "memory") 1) (func (export "_start")))"#)?)?;
/// let refused = preflight_http_handler("wasmtime", backend.capabilities(), &module, &RunConfig::default());
/// assert!(matches!(refused, Err(wasiport::Error::InvalidModule { .. })));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn preflight_http_handler(
    backend: &'static str,
    capabilities: &Capabilities,
    module: &CompiledModule,
    config: &RunConfig,
) -> Result<(), Error> {
    require(backend, capabilities, Capability::HttpService)?;
    let Some(component) = module.info().component() else {
        return Err(Error::InvalidModule {
            backend,
            message: "a core module is not a wasi:http handler (serving takes a component \
                      exporting wasi:http/incoming-handler or wasi:http/handler)"
                .into(),
        });
    };
    check_component_config(backend, capabilities, component, config)?;
    if !component.is_http_handler() {
        return Err(Error::InvalidModule {
            backend,
            message: format!(
                "the component exports neither `wasi:http/incoming-handler` nor \
                 `wasi:http/handler`, so it serves no HTTP{}",
                component
                    .world()
                    .map_or_else(String::new, |w| format!(" (its world is {w})"))
            ),
        });
    }
    Ok(())
}

/// The checks every adapter makes before it instantiates anything: the configuration is within
/// the backend's capabilities; the module is a WASI command (exports `_start` as `() -> ()` and
/// a memory named `memory`); it imports nothing but WASI preview-1 functions with their
/// specification's signatures; and its initial memory fits the memory limit. For a component:
/// the configuration within the backend's capabilities for that component, the component a
/// `wasi:cli/command`, and the memories its core modules define within the memory limit.
///
/// Returns `Some(outcome)` when the run ends before it starts
/// ([`Termination::MemoryLimit`]).
///
/// ```
/// use wasiport::{preflight::preflight, Backend, RunConfig, Termination};
/// let backend = wasiport_wasmi::Wasmi::new()?;
/// let module = backend.compile(&wat::parse_str(r#"(module (memory (export "memory") 4) (func (export "_start")))"#)?)?;
/// let config = RunConfig::builder().max_memory_bytes(65536).build()?;
/// let early = preflight("wasmi", backend.capabilities(), &module, &config)?;
/// assert_eq!(early.map(|o| o.termination), Some(Termination::MemoryLimit));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn preflight(
    backend: &'static str,
    capabilities: &Capabilities,
    module: &CompiledModule,
    config: &RunConfig,
) -> Result<Option<Outcome>, Error> {
    let info = module.info();
    if let Some(component) = info.component() {
        return preflight_component(backend, capabilities, info, component, config);
    }
    config.check_supported(backend, capabilities)?;
    if config.network() != crate::Network::None {
        return Err(Error::InvalidConfig(format!(
            "{backend}: a network grant is for a component's wasi:sockets; a preview-1 module \
             opens no sockets (preopen one instead)"
        )));
    }
    let not_a_command = |message: &str| {
        Err(Error::InvalidModule {
            backend,
            message: message.to_string(),
        })
    };
    match info.exported_function("_start") {
        None => {
            return not_a_command(
                "the module exports no `_start` function, so it is not a WASI command",
            )
        }
        Some(sig) if !sig.is_nullary() => {
            return not_a_command(&format!("`_start` has the signature {sig}, not () -> ()"))
        }
        Some(_) => {}
    }
    if !info.exports_memory("memory") {
        return not_a_command(
            "the module exports no memory named `memory`, which the WASI application ABI \
             requires of a command",
        );
    }
    check_imports(backend, info, config)?;
    Ok(memory_over_the_cap(info, config))
}

/// [`Error::MissingImports`] when anything `info` imports is neither a WASI preview-1 function
/// nor one of `config`'s host functions (of the signature imported).
fn check_imports(
    backend: &'static str,
    info: &ModuleInfo,
    config: &RunConfig,
) -> Result<(), Error> {
    if info.imports_only_wasi_p1() {
        return Ok(());
    }
    let missing = unprovided_imports_given(info, config.host_functions());
    if missing.is_empty() {
        Ok(())
    } else {
        Err(Error::MissingImports {
            backend,
            imports: missing,
        })
    }
}

/// The checks before [`Backend::instantiate`](crate::Backend::instantiate): the backend
/// declares [`Capability::Instances`]; the module is a core module (a component's exports are
/// its world's, not core functions); the configuration is within the backend's capabilities
/// and grants no network; every import is provided; the initial memory fits the memory limit
/// ([`Error::Instantiation`] when not). Unlike [`preflight`], neither `_start` nor a `memory`
/// export is asked for: a reactor or a plugin has its own exports.
///
/// ```
/// use wasiport::{preflight::preflight_instance, Backend, Error, RunConfig};
/// let backend = wasiport_wasmi::Wasmi::new()?;
/// let module = backend.compile(&wat::parse_str(r#"(module (memory 4) (func (export "f")))"#)?)?;
/// preflight_instance("wasmi", backend.capabilities(), &module, &RunConfig::default())?;
/// let capped = RunConfig::builder().max_memory_bytes(65536).build()?;
/// let refused = preflight_instance("wasmi", backend.capabilities(), &module, &capped);
/// assert!(matches!(refused, Err(Error::Instantiation { .. })));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn preflight_instance(
    backend: &'static str,
    capabilities: &Capabilities,
    module: &CompiledModule,
    config: &RunConfig,
) -> Result<(), Error> {
    require(backend, capabilities, Capability::Instances)?;
    let info = module.info();
    if info.is_component() {
        return Err(Error::InvalidModule {
            backend,
            message: "a component's exports are its world's functions, not core ones: \
                      instances are of core modules"
                .into(),
        });
    }
    config.check_supported(backend, capabilities)?;
    if config.network() != crate::Network::None {
        return Err(Error::InvalidConfig(format!(
            "{backend}: a network grant is for a component's wasi:sockets; a core module \
             opens no sockets (preopen one instead)"
        )));
    }
    check_imports(backend, info, config)?;
    match config.limits().max_memory_bytes {
        Some(cap) if info.initial_memory_bytes() > cap => Err(Error::Instantiation {
            backend,
            message: format!(
                "its initial memory of {} bytes is over the memory limit of {cap}",
                info.initial_memory_bytes()
            ),
        }),
        _ => Ok(()),
    }
}

/// Every import that is not a WASI preview-1 function with the specification's signature, as
/// `module::name`, with the expected signature for a WASI name imported with another one.
///
/// ```
/// use wasiport::{preflight::unprovided_imports, ModuleInfo};
/// let info = ModuleInfo::parse(&wat::parse_str(r#"(module
///     (import "wasi_snapshot_preview1" "fd_close" (func (param i64) (result i32)))
///     (import "env" "log" (func (param i32))))"#)?).map_err(|e| e.to_string())?;
/// assert_eq!(unprovided_imports(&info), [
///     "wasi_snapshot_preview1::fd_close as (i64) -> i32, not (i32) -> i32",
///     "env::log",
/// ]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn unprovided_imports(info: &ModuleInfo) -> Vec<String> {
    unprovided_imports_given(info, &[])
}

/// [`unprovided_imports`], where `host` functions also provide imports (of their signature).
///
/// ```
/// use wasiport::{preflight::unprovided_imports_given, HostFunction, ModuleInfo, Signature, ValType};
/// let info = ModuleInfo::parse(&wat::parse_str(r#"(module
///     (import "env" "log" (func (param i32)))
///     (import "env" "now" (func (result i64))))"#)?).map_err(|e| e.to_string())?;
/// let log = HostFunction::new("env", "log", Signature::new([ValType::I32], []), |_, _| Ok(vec![]))?;
/// let now = HostFunction::new("env", "now", Signature::new([], [ValType::I32]), |_, _| Ok(vec![]))?;
/// assert_eq!(unprovided_imports_given(&info, &[log, now]), ["env::now as () -> i64, not () -> i32"]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn unprovided_imports_given(info: &ModuleInfo, host: &[HostFunction]) -> Vec<String> {
    let host_function = |i: &Import| {
        host.iter()
            .find(|f| f.module() == i.module && f.name() == i.name)
    };
    info.imports()
        .iter()
        .filter(|i| !i.is_wasi_p1_function())
        .filter_map(
            |i| match (i.wasi_p1_function(), host_function(i), &i.signature) {
                (Some(wasi), _, Some(sig)) => {
                    Some(format!("{i} as {sig}, not {}", wasi.signature()))
                }
                (None, Some(f), Some(sig)) if sig == f.signature() => None,
                (None, Some(f), Some(sig)) => Some(format!("{i} as {sig}, not {}", f.signature())),
                _ => Some(i.to_string()),
            },
        )
        .collect()
}

/// [`Error::Unsupported`] of `feature` unless `capabilities` has it.
fn require(
    backend: &'static str,
    capabilities: &Capabilities,
    feature: Capability,
) -> Result<(), Error> {
    if capabilities.contains(feature) {
        Ok(())
    } else {
        Err(Error::Unsupported { backend, feature })
    }
}
