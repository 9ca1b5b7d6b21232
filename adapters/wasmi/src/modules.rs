//! Modules on two engines, so that a run pays for fuel metering only when it needs it.
//!
//! wasmi counts fuel in the code it translates to (an extra instruction per block), about a
//! tenth of an interpreted guest's time (the probe's SHA-256 over 16 MiB: 1.90 s without, 2.07 s
//! with, side by side in the `throughput` bench). A timeout needs fuel too (wasmi has no
//! interrupt: a run with one goes in fuel slices, the clock read between them). So a module has
//! code for an engine without fuel, for runs with neither a budget nor a timeout, and for one
//! with it, for the rest and for instances; each is made the first time it is needed (or
//! ahead, by `Backend::compile_for`) from the bytes the module keeps.

use std::sync::{Arc, OnceLock};

use wasiport::{Error, Limits};
use wasmi::{Engine, Linker, Module};

use crate::{internal, State};

/// Whether an engine counts fuel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Metering {
    /// No fuel: runs with neither a fuel budget nor a timeout.
    None,
    /// Fuel: runs with a budget or a timeout, and instances.
    Fuel,
}

impl Metering {
    /// Its name in the module cache's keys (`Backend::code_variant`).
    pub fn name(self) -> &'static str {
        match self {
            Metering::None => "",
            Metering::Fuel => "fuel",
        }
    }

    /// What a run within `limits` needs.
    pub fn for_limits(limits: &Limits) -> Self {
        match limits.fuel.is_some() || limits.timeout.is_some() {
            true => Metering::Fuel,
            false => Metering::None,
        }
    }
}

/// An engine and its linkers: wasmi_wasi's preview 1, and a bare one the portable WASI's runs
/// add its functions to.
pub(crate) struct CoreEngine {
    pub engine: Engine,
    pub linker: Linker<State>,
    pub bare_linker: Linker<State>,
    pub metering: Metering,
}

impl CoreEngine {
    /// An engine that counts fuel or not.
    pub fn new(metering: Metering) -> Result<Self, Error> {
        let mut config = wasmi::Config::default();
        config.consume_fuel(metering == Metering::Fuel);
        let engine = Engine::new(&config);
        let mut linker = Linker::new(&engine);
        wasmi_wasi::add_to_linker(&mut linker, |s: &mut State| &mut s.wasi).map_err(internal)?;
        // wasi-common refuses exit codes of 126 and above with a trap (they mean something else
        // to a POSIX shell); a library passes every code through, as the other backends do.
        linker.allow_shadowing(true);
        linker
            .func_wrap(
                wasiport::wasi_p1::MODULE,
                "proc_exit",
                |code: i32| -> Result<(), wasmi::Error> { Err(wasmi::Error::i32_exit(code)) },
            )
            .map_err(internal)?;
        linker.allow_shadowing(false);
        Ok(CoreEngine {
            bare_linker: Linker::new(&engine),
            engine,
            linker,
            metering,
        })
    }
}

/// A module: its bytes, and its code for each engine a run needed so far.
pub(crate) struct Compiled {
    wasm: Arc<[u8]>,
    /// By [`Metering`]: without fuel, with it.
    modules: [OnceLock<Result<Module, String>>; 2],
}

impl Compiled {
    /// `wasm` validated and compiled for `engine` (and for the other when a run needs it).
    pub fn compile(engine: &CoreEngine, wasm: &[u8]) -> Result<Self, Error> {
        let module = Module::new(&engine.engine, wasm).map_err(|e| Error::InvalidModule {
            backend: crate::NAME,
            message: e.to_string(),
        })?;
        let compiled = Compiled {
            wasm: wasm.into(),
            modules: Default::default(),
        };
        let _ = compiled.modules[engine.metering as usize].set(Ok(module));
        Ok(compiled)
    }

    /// The module for `engine`, compiled on first need.
    pub fn module(&self, engine: &CoreEngine) -> Result<&Module, Error> {
        self.modules[engine.metering as usize]
            .get_or_init(|| Module::new(&engine.engine, &self.wasm).map_err(|e| e.to_string()))
            .as_ref()
            .map_err(internal)
    }
}
