//! Components: `wasi:cli/command`s run with wasmtime-wasi's WASI 0.2.

use std::sync::OnceLock;

use wasiport::Error;
use wasmtime::component::{Component, Linker, ResourceTable};
use wasmtime::Store;
use wasmtime_wasi::p2::bindings::sync::CommandPre;
use wasmtime_wasi::{I32Exit, WasiCtx, WasiCtxView, WasiView};

use crate::limits::{Limited, RunLimits};

/// A component run's store state: its WASI 0.2 context, the resources it opened, its limits.
pub(crate) struct State {
    ctx: WasiCtx,
    table: ResourceTable,
    limits: RunLimits,
}

impl State {
    pub fn new(ctx: WasiCtx, limits: RunLimits) -> Self {
        State {
            ctx,
            table: ResourceTable::new(),
            limits,
        }
    }
}

impl WasiView for State {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.ctx,
            table: &mut self.table,
        }
    }
}

impl Limited for State {
    fn limits(&mut self) -> &mut RunLimits {
        &mut self.limits
    }
}

/// The linker every component run shares: wasmtime-wasi's WASI 0.2, synchronous.
pub(crate) fn linker(engine: &wasmtime::Engine) -> Result<Linker<State>, Error> {
    let mut linker = Linker::new(engine);
    wasmtime_wasi::p2::add_to_linker_sync(&mut linker).map_err(|e| Error::Internal {
        backend: crate::NAME,
        message: format!("{e:#}"),
    })?;
    Ok(linker)
}

/// A compiled component, and its imports resolved against the shared linker on its first run
/// (`CommandPre`): later runs only instantiate.
pub(crate) struct Compiled {
    pub component: Component,
    pre: OnceLock<Result<CommandPre<State>, String>>,
}

impl Compiled {
    pub fn new(component: Component) -> Self {
        Compiled {
            component,
            pre: OnceLock::new(),
        }
    }

    /// Instantiates the command in `store` and calls its `wasi:cli/run`: `Ok` when it returned
    /// `ok`, an [`I32Exit`] of 1 when it returned `err` (as `wasi:cli/exit` with an error does),
    /// or the error that ended it.
    pub fn run(&self, linker: &Linker<State>, store: &mut Store<State>) -> wasmtime::Result<()> {
        let pre = self.pre.get_or_init(|| {
            linker
                .instantiate_pre(&self.component)
                .and_then(CommandPre::new)
                .map_err(|e| format!("{e:#}"))
        });
        let pre = pre.as_ref().map_err(|e| wasmtime::Error::msg(e.clone()))?;
        let command = pre.instantiate(&mut *store)?;
        store.data_mut().limits.start();
        match command.wasi_cli_run().call_run(&mut *store)? {
            Ok(()) => Ok(()),
            Err(()) => Err(I32Exit(1).into()),
        }
    }
}
