//! Core modules on three engines, so that a run pays only for the limits it sets.
//!
//! wasmtime compiles its limits into the code: fuel metering is a counter decremented in every
//! block, epoch interruption (what a timeout needs) a check at every function entry and loop
//! header. Both cost a compute-bound guest much of its speed where its loops are tight (the
//! primes below 40 million: ~1.6x the time with epoch checks, ~1.9x with fuel too, measured
//! side by side with `scripts/measure-start`). So a module's code is compiled for one of three
//! engines — none of them, epoch checks, or fuel and epoch checks — each the first time a run
//! needs it (or ahead, by `Backend::compile_for`), from the bytes the module keeps. It is never
//! run unmetered when fuel was asked for, nor unchecked when a timeout was.

use std::sync::{Arc, OnceLock};

use wasiport::{Error, Limits};
use wasmtime::{Engine, InstancePre, Linker, Module};
use wasmtime_wasi::I32Exit;

use crate::{internal, invalid, State};

/// What an engine compiles into the code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Metering {
    /// Nothing: runs with neither a fuel budget nor a timeout.
    None,
    /// Epoch checks (a timeout): runs with a timeout and no fuel budget.
    Epochs,
    /// Fuel metering and epoch checks: runs with a fuel budget, instances and components.
    FuelAndEpochs,
}

impl Metering {
    /// Every kind, in the order of [`Metering::index`].
    pub const ALL: [Metering; 3] = [Metering::None, Metering::Epochs, Metering::FuelAndEpochs];

    /// What a run within `limits` needs.
    pub fn for_limits(limits: &Limits) -> Self {
        match (limits.fuel, limits.timeout) {
            (Some(_), _) => Metering::FuelAndEpochs,
            (None, Some(_)) => Metering::Epochs,
            (None, None) => Metering::None,
        }
    }

    /// Its place in [`Metering::ALL`].
    pub fn index(self) -> usize {
        self as usize
    }

    /// Whether the engine counts fuel.
    pub fn counts_fuel(self) -> bool {
        self == Metering::FuelAndEpochs
    }

    /// Whether the engine's code checks the epoch (so a timeout can stop it).
    pub fn checks_epochs(self) -> bool {
        self != Metering::None
    }

    /// The name of its code in the module cache's keys (`""` for the default, no limits).
    pub fn name(self) -> &'static str {
        match self {
            Metering::None => "",
            Metering::Epochs => "epochs",
            Metering::FuelAndEpochs => "fuel",
        }
    }
}

/// An engine for core modules, and its linkers: wasmtime-wasi's preview 1, and a bare one the
/// portable WASI's runs add its functions to.
pub(crate) struct CoreEngine {
    pub engine: Engine,
    pub linker: Linker<State>,
    pub bare_linker: Linker<State>,
    pub metering: Metering,
}

impl CoreEngine {
    /// `config` (without fuel or epochs set) made into an engine with `metering`.
    pub fn new(config: &wasmtime::Config, metering: Metering) -> Result<Self, Error> {
        let mut config = config.clone();
        config
            .consume_fuel(metering.counts_fuel())
            .epoch_interruption(metering.checks_epochs());
        let engine = Engine::new(&config).map_err(internal)?;
        let mut linker = Linker::new(&engine);
        wasmtime_wasi::p1::add_to_linker_sync(&mut linker, |s: &mut State| &mut s.wasi)
            .map_err(internal)?;
        // wasmtime-wasi refuses exit codes of 126 and above with a trap (they mean something
        // else to a POSIX shell); a library passes every code through, as the other backends do.
        linker.allow_shadowing(true);
        linker
            .func_wrap(
                wasiport::wasi_p1::MODULE,
                "proc_exit",
                |code: i32| -> wasmtime::Result<()> { Err(I32Exit(code).into()) },
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

/// A module compiled for one engine, and its imports resolved against that engine's WASI
/// linker once, on its first native run without host functions (`InstancePre`): later such
/// runs only instantiate.
pub(crate) struct Variant {
    pub module: Module,
    pub pre: OnceLock<Result<InstancePre<State>, String>>,
}

/// A core module: its bytes, and its code for each engine a run needed so far.
pub(crate) struct Compiled {
    wasm: Arc<[u8]>,
    variants: [OnceLock<Result<Variant, String>>; 3],
}

/// The tag of [`Compiled::serialize`]'s bytes (`wasiport::framed`): four parts, the module, and
/// its code for each engine of [`Metering::ALL`] (empty when it was not compiled).
const MAGIC: &[u8; 8] = b"wpwt-v3\0";

impl Compiled {
    /// `wasm` compiled for `engine` (and for the others when a run needs them).
    pub fn compile(engine: &CoreEngine, wasm: &[u8]) -> Result<Self, Error> {
        let module = Module::new(&engine.engine, wasm).map_err(invalid)?;
        let compiled = Compiled {
            wasm: wasm.into(),
            variants: Default::default(),
        };
        compiled.keep(engine.metering, module);
        Ok(compiled)
    }

    fn keep(&self, metering: Metering, module: Module) {
        let _ = self.variants[metering.index()].set(Ok(Variant {
            module,
            pre: OnceLock::new(),
        }));
    }

    /// The code for `engine`, compiled on first need.
    pub fn variant(&self, engine: &CoreEngine) -> Result<&Variant, Error> {
        self.variants[engine.metering.index()]
            .get_or_init(|| {
                Module::new(&engine.engine, &self.wasm)
                    .map(|module| Variant {
                        module,
                        pre: OnceLock::new(),
                    })
                    .map_err(|e| format!("{e:#}"))
            })
            .as_ref()
            .map_err(internal)
    }

    /// The module's bytes and the code compiled so far, for the module cache.
    pub fn serialize(&self) -> Result<Vec<u8>, Error> {
        let mut codes = Vec::new();
        for variant in &self.variants {
            codes.push(match variant.get() {
                Some(Ok(variant)) => variant.module.serialize().map_err(internal)?,
                _ => Vec::new(),
            });
        }
        let mut parts: Vec<&[u8]> = vec![&self.wasm];
        parts.extend(codes.iter().map(Vec::as_slice));
        Ok(wasiport::framed::frame(MAGIC, &parts))
    }

    /// A module [`Compiled::serialize`] wrote, each code it holds loaded on the engine
    /// `engine` gives for its kind.
    ///
    /// # Safety
    /// The code in `bytes` is run as it is: the caller vouches that `serialize` wrote them
    /// (wasmtime checks that its code was made by this wasmtime with compatible settings).
    pub unsafe fn deserialize<'a>(
        engine: impl Fn(Metering) -> Result<&'a CoreEngine, Error>,
        bytes: &[u8],
    ) -> Result<Self, Error> {
        let parts = wasiport::framed::unframe(MAGIC, bytes, 1 + Metering::ALL.len())
            .ok_or_else(|| invalid("not a module this backend serialized"))?;
        let compiled = Compiled {
            wasm: parts[0].into(),
            variants: Default::default(),
        };
        for (metering, code) in Metering::ALL.into_iter().zip(&parts[1..]) {
            if !code.is_empty() {
                // SAFETY: as the caller vouches.
                let module = unsafe { Module::deserialize(&engine(metering)?.engine, code) }
                    .map_err(invalid)?;
                compiled.keep(metering, module);
            }
        }
        Ok(compiled)
    }
}
