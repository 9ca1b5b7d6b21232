//! A compiled module, and what can be read off its bytes without a runtime.

use std::any::Any;
use std::sync::Arc;

use crate::Error;

/// A module compiled by one backend, ready to run any number of times from any thread.
///
/// It holds the runtime's own compiled form (reached by adapters through
/// [`CompiledModule::native`]) and the [`ModuleInfo`] read off its bytes. Cloning is cheap.
///
/// ```
/// use wasiport::Backend;
/// let backend = wasiport_wasmi::Wasmi::new()?;
/// let module = backend.compile(&wat::parse_str("(module (memory (export \"memory\") 1) (func (export \"_start\")))")?)?;
/// assert_eq!(module.backend(), "wasmi");
/// assert!(module.info().exports_function("_start"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone)]
pub struct CompiledModule {
    backend: &'static str,
    info: Arc<ModuleInfo>,
    native: Arc<dyn Any + Send + Sync>,
}

impl std::fmt::Debug for CompiledModule {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CompiledModule")
            .field("backend", &self.backend)
            .field("info", &self.info)
            .finish_non_exhaustive()
    }
}

impl CompiledModule {
    /// Wraps a runtime's compiled module. For adapters.
    pub fn new<T: Any + Send + Sync>(backend: &'static str, info: ModuleInfo, native: T) -> Self {
        CompiledModule {
            backend,
            info: Arc::new(info),
            native: Arc::new(native),
        }
    }

    /// The name of the backend that compiled it.
    pub fn backend(&self) -> &'static str {
        self.backend
    }

    /// What the module imports, exports and needs, read off its bytes.
    pub fn info(&self) -> &ModuleInfo {
        &self.info
    }

    /// The runtime's compiled module, for the adapter of `backend`. Fails with
    /// [`Error::BackendMismatch`] when another backend compiled it.
    pub fn native<T: Any>(&self, backend: &'static str) -> Result<&T, Error> {
        match self.native.downcast_ref::<T>() {
            Some(native) if self.backend == backend => Ok(native),
            _ => Err(Error::BackendMismatch {
                backend,
                compiled_by: self.backend,
            }),
        }
    }
}

/// One import of a module.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Import {
    /// The module name, e.g. `wasi_snapshot_preview1`.
    pub module: String,
    /// The item name, e.g. `fd_write`.
    pub name: String,
    /// Whether it is a function (the other kinds are tables, memories, globals and tags).
    pub is_function: bool,
}

impl Import {
    /// Whether this is a WASI preview-1 function, which every backend provides.
    pub fn is_wasi_p1_function(&self) -> bool {
        self.is_function
            && self.module == crate::wasi_p1::MODULE
            && crate::wasi_p1::is_function(&self.name)
    }
}

impl std::fmt::Display for Import {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}::{}", self.module, self.name)
    }
}

/// What can be read off a module's bytes without a runtime: its imports, exports and the
/// initial size of its linear memory.
///
/// ```
/// use wasiport::ModuleInfo;
/// let wasm = wat::parse_str(r#"(module
///     (import "wasi_snapshot_preview1" "fd_write" (func (param i32 i32 i32 i32) (result i32)))
///     (memory (export "memory") 2)
///     (func (export "_start")))"#)?;
/// let info = ModuleInfo::parse(&wasm).map_err(|e| e.to_string())?;
/// assert_eq!(info.initial_memory_bytes(), 2 * 65536);
/// assert_eq!(info.imports()[0].to_string(), "wasi_snapshot_preview1::fd_write");
/// assert!(info.exports_function("_start"));
/// assert!(info.exports_memory("memory"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ModuleInfo {
    imports: Vec<Import>,
    function_exports: Vec<String>,
    memory_exports: Vec<String>,
    initial_memory_bytes: u64,
}

impl ModuleInfo {
    /// Reads the import, memory and export sections. Does not validate the module: that is
    /// the runtime's job.
    pub fn parse(wasm: &[u8]) -> Result<ModuleInfo, String> {
        use wasmparser::{ExternalKind, Parser, Payload, TypeRef};
        let mut info = ModuleInfo::default();
        let add_memory = |info: &mut ModuleInfo, ty: wasmparser::MemoryType| {
            let page = 1u64 << ty.page_size_log2.unwrap_or(16);
            info.initial_memory_bytes = info
                .initial_memory_bytes
                .saturating_add(ty.initial.saturating_mul(page));
        };
        for payload in Parser::new(0).parse_all(wasm) {
            match payload.map_err(|e| e.to_string())? {
                Payload::ImportSection(reader) => {
                    for import in reader {
                        let import = import.map_err(|e| e.to_string())?;
                        if let TypeRef::Memory(ty) = import.ty {
                            add_memory(&mut info, ty);
                        }
                        info.imports.push(Import {
                            module: import.module.to_string(),
                            name: import.name.to_string(),
                            is_function: matches!(import.ty, TypeRef::Func(_)),
                        });
                    }
                }
                Payload::MemorySection(reader) => {
                    for ty in reader {
                        add_memory(&mut info, ty.map_err(|e| e.to_string())?);
                    }
                }
                Payload::ExportSection(reader) => {
                    for export in reader {
                        let export = export.map_err(|e| e.to_string())?;
                        match export.kind {
                            ExternalKind::Func => {
                                info.function_exports.push(export.name.to_string())
                            }
                            ExternalKind::Memory => {
                                info.memory_exports.push(export.name.to_string())
                            }
                            _ => {}
                        }
                    }
                }
                _ => {}
            }
        }
        Ok(info)
    }

    /// Every import, in order.
    pub fn imports(&self) -> &[Import] {
        &self.imports
    }

    /// Whether a function of that name is exported.
    pub fn exports_function(&self, name: &str) -> bool {
        self.function_exports.iter().any(|e| e == name)
    }

    /// Whether a linear memory of that name is exported.
    pub fn exports_memory(&self, name: &str) -> bool {
        self.memory_exports.iter().any(|e| e == name)
    }

    /// The sum of the initial sizes of all linear memories, defined or imported, in bytes.
    pub fn initial_memory_bytes(&self) -> u64 {
        self.initial_memory_bytes
    }
}
