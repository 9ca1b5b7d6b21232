//! Components: `wasi:cli/command`s run with wasmtime-wasi's WASI 0.2 (synchronously), and
//! those of WASI 0.3 with its p3 (asynchronously, on the concurrent engine, WASI 0.2 linked
//! beside it for what the guest's std imports).

use std::sync::OnceLock;
use std::time::Instant;

use wasiport::{ComponentInfo, Error, Network, WasiVersion};
use wasmtime::component::{Component, Linker, ResourceTable};
use wasmtime::Store;
use wasmtime_wasi::p2::bindings::sync::CommandPre;
use wasmtime_wasi::{I32Exit, WasiCtx, WasiCtxView, WasiView};
use wasmtime_wasi_http::{WasiHttpCtx, WasiHttpCtxView, WasiHttpView};

use crate::limits::{Limited, RunLimits};
use crate::outgoing::Hooks;
use crate::termination::TimedOut;

/// A component run's store state: its WASI context, the resources it opened, its limits, and
/// its `wasi:http` (outgoing requests held to the run's network grant).
pub(crate) struct State {
    ctx: WasiCtx,
    table: ResourceTable,
    limits: RunLimits,
    http: WasiHttpCtx,
    hooks: Hooks,
}

impl State {
    pub fn new(ctx: WasiCtx, limits: RunLimits, network: Network) -> Self {
        State {
            ctx,
            table: ResourceTable::new(),
            limits,
            http: WasiHttpCtx::new(),
            hooks: Hooks::new(network),
        }
    }
}

impl WasiHttpView for State {
    fn http(&mut self) -> WasiHttpCtxView<'_> {
        WasiHttpCtxView {
            ctx: &mut self.http,
            table: &mut self.table,
            hooks: &mut self.hooks,
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

/// The linker every component run shares: wasmtime-wasi's WASI 0.2 and wasmtime-wasi-http's
/// `wasi:http` 0.2, synchronous.
pub(crate) fn linker(engine: &wasmtime::Engine) -> Result<Linker<State>, Error> {
    let mut linker = Linker::new(engine);
    wasmtime_wasi::p2::add_to_linker_sync(&mut linker).map_err(crate::internal)?;
    wasmtime_wasi_http::p2::add_only_http_to_linker_sync(&mut linker).map_err(crate::internal)?;
    Ok(linker)
}

/// The asynchronous linker, for WASI 0.3 components and for every `wasi:http` handler a
/// server calls: wasmtime-wasi's p3 and its p2 beside it, and `wasi:http` of both.
pub(crate) fn linker_p3(engine: &wasmtime::Engine) -> Result<Linker<State>, Error> {
    let mut linker = Linker::new(engine);
    wasmtime_wasi::p2::add_to_linker_async(&mut linker).map_err(crate::internal)?;
    wasmtime_wasi::p3::add_to_linker(&mut linker).map_err(crate::internal)?;
    wasmtime_wasi_http::p2::add_only_http_to_linker_async(&mut linker).map_err(crate::internal)?;
    wasmtime_wasi_http::p3::add_to_linker(&mut linker).map_err(crate::internal)?;
    Ok(linker)
}

/// Which `wasi:http` handler a component exports, for a server to call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Handler {
    /// `wasi:http/incoming-handler@0.2.x` (the `wasi:http/proxy` world).
    P2,
    /// `wasi:http/handler@0.3.x` (the `wasi:http/service` world).
    P3,
}

pub(crate) fn handler(component: &ComponentInfo) -> Option<Handler> {
    component.exports().iter().find_map(|e| {
        if e.package() != Some("wasi:http") {
            return None;
        }
        match (e.interface(), e.wasi_version()) {
            ("incoming-handler", _) => Some(Handler::P2),
            ("handler", Some(WasiVersion::V0_3)) => Some(Handler::P3),
            _ => None,
        }
    })
}

/// Whether a component is run as WASI 0.3: it exports `wasi:cli/run@0.3.x` (a Rust program
/// built for wasm32-wasip2 may export 0.2's `run` beside it, from its std's `main`).
pub(crate) fn is_p3(component: &ComponentInfo) -> bool {
    component.exports().iter().any(|e| {
        e.package() == Some("wasi:cli")
            && e.interface() == "run"
            && e.wasi_version() == Some(WasiVersion::V0_3)
    })
}

/// A compiled component, and its imports resolved against the shared linker on its first run
/// (`CommandPre`): later runs only instantiate (a WASI 0.3 one is instantiated afresh).
pub(crate) struct Compiled {
    pub component: Component,
    /// Run as WASI 0.3 ([`is_p3`]).
    pub p3: bool,
    /// The `wasi:http` handler it exports, if any.
    pub handler: Option<Handler>,
    /// Compiled on the concurrent engine ([`crate::concurrent`]), not on the first one.
    pub concurrent: bool,
    pre: OnceLock<Result<CommandPre<State>, String>>,
}

impl Compiled {
    /// `component`, compiled (on the concurrent engine if `concurrent`), whose imports and
    /// exports are `info`.
    pub fn new(component: Component, info: &ComponentInfo, concurrent: bool) -> Self {
        Compiled {
            component,
            p3: is_p3(info),
            handler: handler(info),
            concurrent,
            pre: OnceLock::new(),
        }
    }

    /// Instantiates the WASI 0.3 command in `store` and calls its `wasi:cli/run` (an async
    /// export) on a current-thread tokio runtime, as [`Compiled::run`] says of 0.2's. A guest
    /// still running at `deadline` is stopped there ([`TimedOut`]), waiting on the host or not:
    /// epochs interrupt only Wasm code, and a 0.3 guest may wait in a host future.
    pub fn run_p3(
        &self,
        linker: &Linker<State>,
        store: &mut Store<State>,
        deadline: Option<Instant>,
    ) -> wasmtime::Result<()> {
        use wasmtime_wasi::p3::bindings::Command;
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        runtime.block_on(async {
            let run = async {
                let command =
                    Command::instantiate_async(&mut *store, &self.component, linker).await?;
                store.data_mut().limits.start();
                let ran = store
                    .run_concurrent(async move |store| command.wasi_cli_run().call_run(store).await)
                    .await??;
                match ran {
                    Ok(()) => Ok(()),
                    Err(()) => Err(I32Exit(1).into()),
                }
            };
            match deadline {
                None => run.await,
                Some(at) => match tokio::time::timeout_at(at.into(), run).await {
                    Ok(ended) => ended,
                    Err(_) => Err(TimedOut.into()),
                },
            }
        })
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
