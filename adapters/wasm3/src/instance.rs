//! An instance kept between calls of its exports: a wasm3 runtime of its own, its module always
//! metered (so that each call's fuel and timeout can be set, and its fuel counted), each call
//! on one of the backend's big native stacks.

use std::sync::{Arc, PoisonError};
use std::time::Instant;

use wasiport::{
    CallEnd, CallLimits, Error, HostValue, NativeCall, NativeInstance, Signature, Termination,
};
use wasm3x_sys as sys;

use crate::ffi::{c_string, GlobalI64, Runtime};
use crate::fuel::Meter;
use crate::host::{Failure, Slot};
use crate::stack::StackPool;
use crate::termination::classify;
use crate::{internal, NAME};

/// A loaded, linked module. Dropped in this order: the runtime (with the module), then the
/// host functions' slots and the bytes wasm3 points into.
pub(crate) struct Wasm3Instance {
    pub runtime: Runtime,
    pub module: sys::IM3Module,
    // Kept, not read: boxed because wasm3 holds each slot's address.
    #[allow(clippy::vec_box)]
    pub _slots: Vec<Box<Slot>>,
    /// Kept, not read: wasm3 points into these bytes.
    pub _wasm: Arc<[u8]>,
    pub failure: Failure,
    pub meter: Meter,
    pub counter: GlobalI64,
    pub stacks: Arc<StackPool>,
    /// The names the module exports its memory under (wasm3 has one memory).
    pub memories: Vec<String>,
}

// SAFETY: wasm3's runtime is not tied to the thread that made it, and an instance is used by one
// thread at a time (calls take `&mut self`); its host functions are `Send`.
unsafe impl Send for Wasm3Instance {}

impl Wasm3Instance {
    /// Runs the module's start function, then `_initialize` if it exports one, each within
    /// `limits`: how the guest ended, and where, when it did.
    pub(crate) fn start(&mut self, limits: CallLimits) -> Result<Option<String>, Error> {
        let module = self.module;
        if let Err(t) = self.metered(limits, |runtime| {
            runtime.run_start(module).map(|()| Vec::new())
        })? {
            return Ok(Some(format!("its start function ended: {t}")));
        }
        if let Ok(function) = self.runtime.find_function(c"_initialize") {
            if let Err(t) = self.metered(limits, |runtime| runtime.call_with(function, &[]))? {
                return Ok(Some(format!("its `_initialize` ended: {t}")));
            }
        }
        Ok(None)
    }

    /// Runs `f` on a big stack with the meter armed for `limits`: the bits of the values it
    /// returned, or how the guest ended.
    fn metered(
        &mut self,
        limits: CallLimits,
        f: impl FnOnce(&Runtime) -> Result<Vec<u64>, String>,
    ) -> Result<Result<Vec<u64>, Termination>, Error> {
        let deadline = limits.timeout.map(|t| Instant::now() + t);
        self.meter.rearm(limits.fuel, deadline);
        // Nothing handed out yet: the first charge asks for a slice.
        self.counter.set(0).map_err(internal)?;
        let runtime = &self.runtime;
        let result = self.stacks.run(|| f(runtime)).map_err(internal)?;
        if let Some(ended) = self.meter.ended() {
            // The refuel function ended the call, through the failure it left.
            self.failure
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .take();
            return Ok(Err(ended));
        }
        Ok(result.map_err(|message| classify(Err(message), &self.failure)))
    }

    /// The fuel the last call consumed.
    fn consumed(&self) -> Result<u64, Error> {
        Ok(self.meter.consumed(self.counter.get().map_err(internal)?))
    }
}

impl NativeInstance for Wasm3Instance {
    fn call(
        &mut self,
        name: &str,
        signature: &Signature,
        args: &[HostValue],
        limits: CallLimits,
    ) -> Result<NativeCall, Error> {
        let function = self
            .runtime
            .find_function(&c_string(name))
            .map_err(|e| internal(format!("`{name}`: {e}")))?;
        let bits: Vec<u64> = args.iter().map(|a| a.to_bits()).collect();
        let end = match self.metered(limits, |runtime| runtime.call_with(function, &bits))? {
            Ok(results) => {
                let values = signature.results.iter().zip(&results);
                CallEnd::Returned(values.map(|(t, b)| HostValue::from_bits(*t, *b)).collect())
            }
            Err(ended) => CallEnd::Ended(ended),
        };
        Ok(NativeCall {
            end,
            fuel_consumed: Some(self.consumed()?),
        })
    }

    fn memory_size(&mut self, name: &str) -> Option<u64> {
        self.memories
            .iter()
            .any(|m| m == name)
            .then(|| self.runtime.memory().len() as u64)
    }

    fn read_memory(&mut self, name: &str, offset: u64, buf: &mut [u8]) -> Result<(), Error> {
        let range = self.range(name, offset, buf.len())?;
        buf.copy_from_slice(&self.runtime.memory()[range]);
        Ok(())
    }

    fn write_memory(&mut self, name: &str, offset: u64, data: &[u8]) -> Result<(), Error> {
        let range = self.range(name, offset, data.len())?;
        self.runtime.memory()[range].copy_from_slice(data);
        Ok(())
    }
}

impl Wasm3Instance {
    /// The bytes `offset..offset + len` of the memory `name`, checked.
    fn range(
        &mut self,
        name: &str,
        offset: u64,
        len: usize,
    ) -> Result<std::ops::Range<usize>, Error> {
        let size = self
            .memory_size(name)
            .ok_or_else(|| Error::no_memory(NAME, name))?;
        match offset.checked_add(len as u64) {
            Some(end) if end <= size => Ok(offset as usize..end as usize),
            _ => Err(Error::memory_access(
                NAME,
                wasiport::host::out_of_bounds(offset, len, size),
            )),
        }
    }
}
