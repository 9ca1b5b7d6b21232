//! A target of the suite that is a backend run another way: with the portable WASI
//! (`wasmtime-portable`), or with each preview-1 module wrapped into a WASI 0.2 component
//! (`wasmtime-p2`). Each has its own name, expectations and column in the matrix.

use wasiport::preflight::preflight;
use wasiport::{
    Backend, BackendId, Capabilities, Capability, CompiledModule, ComponentInfo, Error, ModuleInfo,
    Outcome, RunConfig, WasiImpl,
};

/// How a [`Target`] runs its backend.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Way {
    /// Every run with the portable WASI.
    Portable,
    /// Every preview-1 module wrapped into a `wasi:cli/command` component first.
    AsComponent,
}

/// A backend run another way, under a target name of its own.
pub struct Target {
    /// Its own identity (the modules it wraps itself carry it; the inner backend's carry the
    /// inner one's).
    id: BackendId,
    inner: Box<dyn Backend>,
    name: &'static str,
    way: Way,
    capabilities: Capabilities,
}

impl Target {
    /// `inner` with the portable WASI, named `name`. Fails with [`Error::Unsupported`] when the
    /// backend cannot run it. The portable WASI is preview 1's: the target runs no components.
    pub fn portable(inner: Box<dyn Backend>, name: &'static str) -> Result<Self, Error> {
        let capabilities = inner
            .capabilities()
            .iter()
            .filter(|c| !Capability::FOR_COMPONENTS.contains(c))
            .collect();
        Target::new(
            inner,
            name,
            Way::Portable,
            &[Capability::PortableWasi],
            capabilities,
        )
    }

    /// `inner`, given each preview-1 module as a WASI 0.2 command component
    /// ([`wasiport::rewrite::preview1_to_component`]), named `name`: the preview-1 suite then
    /// measures the host's WASI 0.2 through the adapter. Fails with [`Error::Unsupported`] when
    /// the backend runs no WASI 0.2 components.
    pub fn as_component(inner: Box<dyn Backend>, name: &'static str) -> Result<Self, Error> {
        // What a component run cannot take: the preview-1 WASI and the core-module settings;
        // and the module cache reads a module's info off the bytes it is given, here the
        // preview-1 module's, not the component's.
        let capabilities = inner
            .component_capabilities()
            .iter()
            .filter(|c| {
                !matches!(
                    c,
                    Capability::PortableWasi
                        | Capability::HostFunctions
                        | Capability::PreopenedSockets
                        | Capability::SerializedModules
                        | Capability::Instances
                )
            })
            .collect();
        let needs = [Capability::Components, Capability::Wasi0_2];
        Target::new(inner, name, Way::AsComponent, &needs, capabilities)
    }

    fn new(
        inner: Box<dyn Backend>,
        name: &'static str,
        way: Way,
        needs: &[Capability],
        capabilities: Capabilities,
    ) -> Result<Self, Error> {
        if let Some(feature) = needs
            .iter()
            .copied()
            .find(|c| !inner.capabilities().contains(*c))
        {
            return Err(Error::Unsupported {
                backend: inner.name(),
                feature,
            });
        }
        Ok(Target {
            id: BackendId::new(name),
            inner,
            name,
            way,
            capabilities,
        })
    }

    /// A module wrapped into a component, or, when it is no preview-1 command and cannot be,
    /// kept to fail its runs with the words a module's would (a command the adapter cannot
    /// take is refused now).
    fn compile_as_component(&self, wasm: &[u8]) -> Result<CompiledModule, Error> {
        if ComponentInfo::is_component(wasm) {
            return self.inner.compile(wasm);
        }
        match wasiport::rewrite::preview1_to_component(wasm) {
            Ok(component) => self.inner.compile(&component),
            Err(message) => {
                let module = self.inner.compile(wasm)?;
                let config = RunConfig::default();
                if preflight(self.name, &self.capabilities, &module, &config).is_ok() {
                    return Err(Error::InvalidModule {
                        backend: self.name,
                        message,
                    });
                }
                let info = module.info().clone();
                Ok(CompiledModule::new(self.id, info, NotACommand(module)))
            }
        }
    }
}

/// A module [`Target::as_component`] could not wrap, kept to say why when it is run.
struct NotACommand(CompiledModule);

impl Backend for Target {
    fn id(&self) -> BackendId {
        self.id
    }

    fn runtime_version(&self) -> &'static str {
        self.inner.runtime_version()
    }

    fn capabilities(&self) -> &Capabilities {
        &self.capabilities
    }

    fn compile(&self, wasm: &[u8]) -> Result<CompiledModule, Error> {
        match self.way {
            // The portable WASI is preview 1's: the header says enough to refuse a component.
            Way::Portable if ComponentInfo::is_component(wasm) => Err(Error::Unsupported {
                backend: self.name,
                feature: Capability::Components,
            }),
            Way::Portable => self.inner.compile(wasm),
            Way::AsComponent => self.compile_as_component(wasm),
        }
    }

    fn code_variant(&self, limits: &wasiport::Limits) -> &'static str {
        match self.way {
            Way::Portable => self.inner.code_variant(limits),
            Way::AsComponent => "",
        }
    }

    fn compile_for(&self, wasm: &[u8], limits: &wasiport::Limits) -> Result<CompiledModule, Error> {
        match self.way {
            Way::Portable if !ComponentInfo::is_component(wasm) => {
                self.inner.compile_for(wasm, limits)
            }
            _ => self.compile(wasm),
        }
    }

    /// The portable target runs its backend's code as it is: the two share the module cache's
    /// entries.
    fn code_name(&self) -> &'static str {
        match self.way {
            Way::Portable => self.inner.code_name(),
            Way::AsComponent => self.name,
        }
    }

    fn engine_fingerprint(&self) -> String {
        match self.way {
            Way::Portable => self.inner.engine_fingerprint(),
            Way::AsComponent => format!("{},as-component", self.inner.engine_fingerprint()),
        }
    }

    fn serialize(&self, module: &CompiledModule) -> Result<Option<Vec<u8>>, Error> {
        match self.way {
            Way::Portable => self.inner.serialize(module),
            Way::AsComponent => Ok(None),
        }
    }

    unsafe fn deserialize(&self, bytes: &[u8], info: ModuleInfo) -> Result<CompiledModule, Error> {
        match self.way {
            // A component its backend compiled is in the shared cache too: refused here as
            // `compile` refuses it.
            Way::Portable if info.is_component() => Err(Error::Unsupported {
                backend: self.name,
                feature: Capability::Components,
            }),
            // SAFETY: the caller's promise about the bytes holds for the backend inside.
            Way::Portable => unsafe { self.inner.deserialize(bytes, info) },
            Way::AsComponent => Err(Error::Unsupported {
                backend: self.name,
                feature: Capability::SerializedModules,
            }),
        }
    }

    fn serve_http(
        &self,
        module: &CompiledModule,
        config: &RunConfig,
        listener: std::net::TcpListener,
        shutdown: &wasiport::Shutdown,
    ) -> Result<wasiport::ServeSummary, Error> {
        match self.way {
            // A handler is a component already: the backend inside serves it.
            Way::AsComponent => self.inner.serve_http(module, config, listener, shutdown),
            Way::Portable => Err(Error::Unsupported {
                backend: self.name,
                feature: Capability::HttpService,
            }),
        }
    }

    fn instantiate(
        &self,
        module: &CompiledModule,
        config: &RunConfig,
    ) -> Result<wasiport::Instance, Error> {
        match self.way {
            Way::Portable => self
                .inner
                .instantiate(module, &config.clone().with_wasi(WasiImpl::Portable)?),
            Way::AsComponent => Err(Error::Unsupported {
                backend: self.name,
                feature: Capability::Instances,
            }),
        }
    }

    fn run(&self, module: &CompiledModule, config: &RunConfig) -> Result<Outcome, Error> {
        match self.way {
            Way::Portable => self
                .inner
                .run(module, &config.clone().with_wasi(WasiImpl::Portable)?),
            Way::AsComponent => {
                // What this target does not declare (the core-module settings) it refuses.
                config.check_supported(self.name, &self.capabilities)?;
                if let Ok(NotACommand(module)) = module.native::<NotACommand>(self.id) {
                    preflight(self.name, &self.capabilities, module, config)?;
                    return Err(Error::InvalidModule {
                        backend: self.name,
                        message: "the module is not a preview-1 command, so it has no component"
                            .into(),
                    });
                }
                self.inner.run(module, config)
            }
        }
    }
}
