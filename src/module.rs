//! A compiled module, and what can be read off its bytes without a runtime.

use std::any::Any;
use std::sync::Arc;

use crate::{wasi_p1, BackendId, ComponentInfo, Error, Signature, ValType};

/// A module compiled by one backend value, ready to run any number of times from any thread.
///
/// It holds the runtime's own compiled form (reached by adapters through
/// [`CompiledModule::native`]), the [`ModuleInfo`] read off its bytes and the [`BackendId`] of
/// the backend value that compiled it, the only one that runs it. Cloning is cheap.
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
    compiled_by: BackendId,
    info: Arc<ModuleInfo>,
    native: Arc<dyn Any + Send + Sync>,
}

impl std::fmt::Debug for CompiledModule {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CompiledModule")
            .field("compiled_by", &self.compiled_by)
            .field("info", &self.info)
            .finish_non_exhaustive()
    }
}

impl CompiledModule {
    /// Wraps a runtime's compiled module, compiled by the backend value `compiled_by`. For
    /// adapters.
    pub fn new<T: Any + Send + Sync>(compiled_by: BackendId, info: ModuleInfo, native: T) -> Self {
        CompiledModule {
            compiled_by,
            info: Arc::new(info),
            native: Arc::new(native),
        }
    }

    /// The name of the backend that compiled it.
    pub fn backend(&self) -> &'static str {
        self.compiled_by.name()
    }

    /// The backend value that compiled it.
    pub fn compiled_by(&self) -> BackendId {
        self.compiled_by
    }

    /// What the module imports, exports and needs, read off its bytes.
    pub fn info(&self) -> &ModuleInfo {
        &self.info
    }

    /// The runtime's compiled module, for the backend value `backend`. Fails with
    /// [`Error::BackendMismatch`] when another backend value compiled it, be it of another
    /// runtime or another engine of the same one.
    ///
    /// ```
    /// use wasiport::{BackendId, CompiledModule, Error, ModuleInfo};
    /// let (mine, theirs) = (BackendId::new("wasmi"), BackendId::new("wasmi"));
    /// let info = ModuleInfo::parse(&wat::parse_str("(module)")?)?;
    /// let module = CompiledModule::new(mine, info, 42u32);
    /// assert_eq!(module.native::<u32>(mine)?, &42);
    /// assert!(matches!(module.native::<u32>(theirs), Err(Error::BackendMismatch { .. })));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn native<T: Any>(&self, backend: BackendId) -> Result<&T, Error> {
        match self.native.downcast_ref::<T>() {
            Some(native) if self.compiled_by == backend => Ok(native),
            _ => Err(Error::BackendMismatch {
                backend,
                compiled_by: self.compiled_by,
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
    /// The signature, for a function (the other kinds are tables, memories, globals and tags).
    pub signature: Option<Signature>,
}

impl Import {
    /// Whether it is a function.
    pub fn is_function(&self) -> bool {
        self.signature.is_some()
    }

    /// The WASI preview-1 function it names, if any, whatever its signature.
    pub fn wasi_p1_function(&self) -> Option<&'static wasi_p1::Function> {
        match self.signature {
            Some(_) if self.module == wasi_p1::MODULE => wasi_p1::function(&self.name),
            _ => None,
        }
    }

    /// Whether this is a WASI preview-1 function with the specification's signature, which
    /// every backend provides.
    pub fn is_wasi_p1_function(&self) -> bool {
        match (self.wasi_p1_function(), &self.signature) {
            (Some(f), Some(sig)) => f.has_signature(sig),
            _ => false,
        }
    }
}

impl std::fmt::Display for Import {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}::{}", self.module, self.name)
    }
}

/// What can be read off a module's bytes without a runtime: its imports, exports and the
/// initial size of its linear memory. The bytes may also be a component (told apart by the
/// binary's header): then [`ModuleInfo::component`] says what it imports and exports, and the
/// core-module accessors are empty.
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
/// assert!(info.imports()[0].is_wasi_p1_function());
/// assert!(info.exported_function("_start").unwrap().is_nullary());
/// assert!(info.exports_memory("memory"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModuleInfo {
    imports: Vec<Import>,
    function_exports: Vec<(String, Signature)>,
    memory_exports: Vec<String>,
    initial_memory_bytes: u64,
    /// Every import is a WASI preview-1 function with its specification's signature.
    imports_only_wasi_p1: bool,
    /// For a component, its top-level imports and exports.
    component: Option<ComponentInfo>,
}

fn val_type(ty: wasmparser::ValType) -> ValType {
    match ty {
        wasmparser::ValType::I32 => ValType::I32,
        wasmparser::ValType::I64 => ValType::I64,
        wasmparser::ValType::F32 => ValType::F32,
        wasmparser::ValType::F64 => ValType::F64,
        wasmparser::ValType::V128 => ValType::V128,
        wasmparser::ValType::Ref(_) => ValType::Ref,
    }
}

impl ModuleInfo {
    /// Reads the type, import, function, memory and export sections (of a component, its
    /// top-level imports and exports). Does not validate the module: that is the runtime's job.
    pub fn parse(wasm: &[u8]) -> Result<ModuleInfo, String> {
        use wasmparser::{CompositeInnerType, ExternalKind, Parser, Payload, TypeRef};
        let mut info = ModuleInfo {
            imports: Vec::new(),
            function_exports: Vec::new(),
            memory_exports: Vec::new(),
            initial_memory_bytes: 0,
            imports_only_wasi_p1: true,
            component: None,
        };
        if wasmparser::Parser::is_component(wasm) {
            let (component, memory) = parse_component(wasm)?;
            info.component = Some(component);
            info.initial_memory_bytes = memory;
            info.imports_only_wasi_p1 = false;
            return Ok(info);
        }
        // Every type (None for GC struct and array types), and the type of every function,
        // imported ones first.
        let mut types: Vec<Option<Signature>> = Vec::new();
        let mut functions: Vec<u32> = Vec::new();
        let mut exports: Vec<(String, u32)> = Vec::new();
        let add_memory = |info: &mut ModuleInfo, ty: wasmparser::MemoryType| {
            info.initial_memory_bytes = info.initial_memory_bytes.saturating_add(memory_bytes(ty));
        };
        let signature = |types: &[Option<Signature>], index: u32| {
            types
                .get(index as usize)
                .cloned()
                .flatten()
                .ok_or_else(|| format!("function type index {index} is not a function type"))
        };
        for payload in Parser::new(0).parse_all(wasm) {
            match payload.map_err(|e| e.to_string())? {
                Payload::TypeSection(reader) => {
                    for group in reader {
                        for sub in group.map_err(|e| e.to_string())?.into_types() {
                            types.push(match &sub.composite_type.inner {
                                CompositeInnerType::Func(f) => Some(Signature::new(
                                    f.params().iter().copied().map(val_type),
                                    f.results().iter().copied().map(val_type),
                                )),
                                _ => None,
                            });
                        }
                    }
                }
                Payload::ImportSection(reader) => {
                    for import in reader {
                        let import = import.map_err(|e| e.to_string())?;
                        let signature = match import.ty {
                            TypeRef::Func(index) => {
                                functions.push(index);
                                Some(signature(&types, index)?)
                            }
                            TypeRef::Memory(ty) => {
                                add_memory(&mut info, ty);
                                None
                            }
                            _ => None,
                        };
                        info.imports.push(Import {
                            module: import.module.to_string(),
                            name: import.name.to_string(),
                            signature,
                        });
                    }
                }
                Payload::FunctionSection(reader) => {
                    for index in reader {
                        functions.push(index.map_err(|e| e.to_string())?);
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
                                exports.push((export.name.to_string(), export.index))
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
        for (name, index) in exports {
            let ty = functions.get(index as usize).ok_or_else(|| {
                format!("export `{name}` names function {index}, which is not defined")
            })?;
            info.function_exports.push((name, signature(&types, *ty)?));
        }
        info.imports_only_wasi_p1 = info.imports.iter().all(Import::is_wasi_p1_function);
        Ok(info)
    }

    /// Every import, in order.
    pub fn imports(&self) -> &[Import] {
        &self.imports
    }

    /// Whether every import is a WASI preview-1 function with the specification's signature
    /// (which every backend provides): worked out once, when the module is parsed.
    ///
    /// ```
    /// use wasiport::ModuleInfo;
    /// let wasi = ModuleInfo::parse(&wat::parse_str(r#"(module
    ///     (import "wasi_snapshot_preview1" "sched_yield" (func (result i32))))"#)?)?;
    /// let env = ModuleInfo::parse(&wat::parse_str(r#"(module (import "env" "f" (func)))"#)?)?;
    /// assert!(wasi.imports_only_wasi_p1() && !env.imports_only_wasi_p1());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn imports_only_wasi_p1(&self) -> bool {
        self.imports_only_wasi_p1
    }

    /// The signature of the exported function `name`, if there is one.
    pub fn exported_function(&self, name: &str) -> Option<&Signature> {
        self.function_exports
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, sig)| sig)
    }

    /// Every exported function, with its signature, in the order of the export section.
    pub fn exported_functions(&self) -> impl Iterator<Item = (&str, &Signature)> {
        self.function_exports
            .iter()
            .map(|(n, sig)| (n.as_str(), sig))
    }

    /// The name of every exported linear memory.
    pub fn exported_memories(&self) -> impl Iterator<Item = &str> {
        self.memory_exports.iter().map(String::as_str)
    }

    /// Whether a function of that name is exported.
    pub fn exports_function(&self, name: &str) -> bool {
        self.exported_function(name).is_some()
    }

    /// Whether a linear memory of that name is exported.
    pub fn exports_memory(&self, name: &str) -> bool {
        self.memory_exports.iter().any(|e| e == name)
    }

    /// The sum of the initial sizes of all linear memories, defined or imported, in bytes. For a
    /// component, the sum of those its core modules define (each core module instantiated once,
    /// as a command's are), which a memory cap must admit for the component to start.
    ///
    /// ```
    /// let component = wat::parse_str(r#"(component
    ///     (core module $a (memory 3))
    ///     (core module $b (import "a" "m" (memory 1)) (memory 2)))"#)?;
    /// let info = wasiport::ModuleInfo::parse(&component)?;
    /// assert_eq!(info.initial_memory_bytes(), 5 * 65536);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn initial_memory_bytes(&self) -> u64 {
        self.initial_memory_bytes
    }

    /// For a component, what it imports and exports; `None` for a core module.
    pub fn component(&self) -> Option<&ComponentInfo> {
        self.component.as_ref()
    }

    /// Whether the bytes are a component.
    pub fn is_component(&self) -> bool {
        self.component.is_some()
    }
}

/// A component's top-level import and export names (those of the modules and components nested
/// in it are skipped).
/// A memory's initial size in bytes.
fn memory_bytes(ty: wasmparser::MemoryType) -> u64 {
    ty.initial
        .saturating_mul(1u64 << ty.page_size_log2.unwrap_or(16))
}

/// A component's top-level imports and exports, and the initial size of the memories its core
/// modules define, in bytes.
fn parse_component(wasm: &[u8]) -> Result<(ComponentInfo, u64), String> {
    use wasmparser::{Parser, Payload};
    let (mut imports, mut exports) = (Vec::new(), Vec::new());
    let mut memory = 0u64;
    // Each nested module or component opens with a `Version` and closes with an `End`.
    let mut depth = 0usize;
    for payload in Parser::new(0).parse_all(wasm) {
        match payload.map_err(|e| e.to_string())? {
            Payload::Version { .. } => depth += 1,
            Payload::End(_) => depth = depth.saturating_sub(1),
            Payload::ComponentImportSection(reader) if depth == 1 => {
                for import in reader {
                    imports.push(import.map_err(|e| e.to_string())?.name.0.to_string());
                }
            }
            Payload::ComponentExportSection(reader) if depth == 1 => {
                for export in reader {
                    exports.push(export.map_err(|e| e.to_string())?.name.0.to_string());
                }
            }
            // Only a core module has memories of its own.
            Payload::MemorySection(reader) => {
                for ty in reader {
                    memory = memory.saturating_add(memory_bytes(ty.map_err(|e| e.to_string())?));
                }
            }
            _ => {}
        }
    }
    Ok((ComponentInfo::new(imports, exports), memory))
}
