//! The backend's second engine, with the component model's concurrency on
//! (`wasm_component_model_async`): WASI 0.3 components, and every component that exports a
//! `wasi:http` handler (a server calls each through the asynchronous linker), are compiled and
//! run on it. Everything else (core modules, WASI 0.2 commands) runs on the first engine, which
//! has concurrency support off: a store of an engine with it on sets up the concurrent state
//! on every run, and a WASI 0.2 hello ran 10–15% faster without it (`component_vs_module`,
//! release, side by side).
//!
//! The engine is made on first need, from the same `Config` as the first one plus concurrency,
//! so a backend that never meets a WASI 0.3 component or a handler never reserves its memory (a
//! pooling backend's second engine has a pool of its own, of the same size).

use wasiport::{ComponentInfo, Error};
use wasmtime::component::Linker;
use wasmtime::Engine;

use crate::component::{self, State};
use crate::internal;

/// The concurrent engine and the component linkers made for it.
pub(crate) struct Concurrent {
    pub engine: Engine,
    /// WASI 0.2, synchronous: for a component of this engine's run as a 0.2 command (a
    /// handler that exports `wasi:cli/run@0.2.x` as well).
    pub component_linker: Linker<State>,
    /// WASI 0.3 with 0.2 beside it, asynchronous: WASI 0.3 commands and every served handler.
    pub p3_linker: Linker<State>,
}

impl Concurrent {
    /// The engine of `config` with the component model's concurrency turned on.
    pub fn new(mut config: wasmtime::Config) -> Result<Self, Error> {
        config
            .concurrency_support(true)
            .wasm_component_model_async(true);
        let engine = Engine::new(&config).map_err(internal)?;
        Ok(Concurrent {
            component_linker: component::linker(&engine)?,
            p3_linker: component::linker_p3(&engine)?,
            engine,
        })
    }
}

/// Whether a component is compiled on the concurrent engine: a WASI 0.3 command, or one that
/// exports a `wasi:http` handler.
pub(crate) fn needs_concurrency(info: &ComponentInfo) -> bool {
    component::is_p3(info) || component::handler(info).is_some()
}
