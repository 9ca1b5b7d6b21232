//! A module's code with and without wasmer's metering middleware, so that a run pays for fuel
//! only when it sets a budget.
//!
//! The middleware adds a counter to the compiled code (one point per operator); a run without
//! a budget runs code compiled without it. A timeout does not need it (the watchdog interrupts
//! the store). Instances always count (their calls' limits can change). Each code is compiled
//! the first time it is needed (or ahead, by `Backend::compile_for`) from the bytes the module
//! keeps; the module cache keeps the bytes and every code compiled so far.

use std::sync::{Arc, OnceLock};

use wasiport::{Error, Limits};
use wasmer::sys::{CompilerConfig, Cranelift, EngineBuilder};
use wasmer::{Engine, Module};
use wasmer_middlewares::Metering as MeteringMiddleware;

use crate::internal;

/// Whether code counts fuel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Metering {
    /// Without the metering middleware: runs without a fuel budget.
    None,
    /// With it: runs with a budget, and instances.
    Fuel,
}

impl Metering {
    /// Both, in the order of their index.
    pub const ALL: [Metering; 2] = [Metering::None, Metering::Fuel];

    /// What a run within `limits` needs.
    pub fn for_limits(limits: &Limits) -> Self {
        match limits.fuel {
            Some(_) => Metering::Fuel,
            None => Metering::None,
        }
    }

    /// The name of its code in the module cache's keys (`""` for the default, no budget).
    pub fn name(self) -> &'static str {
        match self {
            Metering::None => "",
            Metering::Fuel => "fuel",
        }
    }

    /// An engine for this code: Cranelift, with the metering middleware for `Fuel` (bound to
    /// the one module it compiles, so every metered module has an engine of its own).
    pub fn engine(self) -> Engine {
        let mut compiler = Cranelift::new();
        if self == Metering::Fuel {
            compiler.push_middleware(Arc::new(MeteringMiddleware::new(u64::MAX, operator_cost)));
        }
        EngineBuilder::new(compiler).engine().into()
    }
}

/// One unit of fuel per Wasm operator.
fn operator_cost(_: &wasmer::wasmparser::Operator) -> u64 {
    1
}

/// A module compiled by an engine, and that engine.
pub(crate) struct Code {
    pub engine: Engine,
    pub module: Module,
    pub metering: Metering,
}

/// A module: its bytes, and its code of each kind compiled so far.
pub(crate) struct Compiled {
    wasm: Arc<[u8]>,
    codes: [OnceLock<Result<Code, String>>; 2],
}

/// The tag of [`Compiled::serialize`]'s bytes (`wasiport::framed`): three parts, the module,
/// and its code without metering and with it (empty when not compiled).
const MAGIC: &[u8; 8] = b"wpwr-v1\0";

fn invalid(e: impl std::fmt::Display) -> Error {
    Error::InvalidModule {
        backend: crate::NAME,
        message: e.to_string(),
    }
}

impl Code {
    fn compile(metering: Metering, wasm: &[u8]) -> Result<Code, wasmer::CompileError> {
        let engine = metering.engine();
        let module = Module::from_binary(&engine, wasm)?;
        Ok(Code {
            engine,
            module,
            metering,
        })
    }
}

impl Compiled {
    /// `wasm` compiled with `metering` (and without it, or with it, when a run needs that).
    pub fn compile(metering: Metering, wasm: &[u8]) -> Result<Self, Error> {
        let code = Code::compile(metering, wasm).map_err(invalid)?;
        let compiled = Compiled {
            wasm: wasm.into(),
            codes: Default::default(),
        };
        let _ = compiled.codes[metering as usize].set(Ok(code));
        Ok(compiled)
    }

    /// The code with `metering`, compiled on first need.
    pub fn code(&self, metering: Metering) -> Result<&Code, Error> {
        self.codes[metering as usize]
            .get_or_init(|| Code::compile(metering, &self.wasm).map_err(|e| e.to_string()))
            .as_ref()
            .map_err(internal)
    }

    /// The module's bytes and its code compiled so far, for the module cache.
    pub fn serialize(&self) -> Result<Vec<u8>, Error> {
        let mut codes = Vec::new();
        for code in &self.codes {
            codes.push(match code.get() {
                Some(Ok(code)) => code.module.serialize().map_err(internal)?.to_vec(),
                _ => Vec::new(),
            });
        }
        let mut parts: Vec<&[u8]> = vec![&self.wasm];
        parts.extend(codes.iter().map(Vec::as_slice));
        Ok(wasiport::framed::frame(MAGIC, &parts))
    }

    /// A module [`Compiled::serialize`] wrote, each code it holds loaded on an engine of its
    /// kind.
    ///
    /// # Safety
    /// The code in `bytes` is run as it is: the caller vouches that `serialize` wrote them
    /// (wasmer checks that its code was made by this wasmer for this target).
    pub unsafe fn deserialize(bytes: &[u8]) -> Result<Self, Error> {
        let parts = wasiport::framed::unframe(MAGIC, bytes, 1 + Metering::ALL.len())
            .ok_or_else(|| invalid("not a module this backend serialized"))?;
        let compiled = Compiled {
            wasm: parts[0].into(),
            codes: Default::default(),
        };
        for (metering, bytes) in Metering::ALL.into_iter().zip(&parts[1..]) {
            if bytes.is_empty() {
                continue;
            }
            let engine = metering.engine();
            // SAFETY: as the caller vouches.
            let module =
                unsafe { Module::deserialize(&engine, bytes.to_vec()) }.map_err(invalid)?;
            let _ = compiled.codes[metering as usize].set(Ok(Code {
                engine,
                module,
                metering,
            }));
        }
        Ok(compiled)
    }
}
