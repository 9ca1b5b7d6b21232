//! An instance kept between calls of its exports.

use std::time::Instant;

use wasiport::watchdog::Watchdog;
use wasiport::{CallEnd, CallLimits, Error, HostValue, NativeCall, NativeInstance, Signature};
use wasmtime::{Engine, Store, Val};

use crate::host::{from_val, to_val, val_type};
use crate::limits::Limited;
use crate::termination::classify;
use crate::{internal, State, NAME};

/// A wasmtime store and the instance in it, and the engine whose epoch a call's watchdog ticks.
pub(crate) struct WasmtimeInstance {
    pub store: Store<State>,
    pub instance: wasmtime::Instance,
    pub engine: Engine,
}

impl WasmtimeInstance {
    fn memory(&mut self, name: &str) -> Option<wasmtime::Memory> {
        self.instance.get_memory(&mut self.store, name)
    }

    /// Arms the store for one call within `limits`: its fuel, and its deadline, which the
    /// returned watchdog's epoch tick makes the store check.
    pub(crate) fn arm(
        store: &mut Store<State>,
        engine: &Engine,
        limits: CallLimits,
    ) -> Result<Option<Watchdog>, Error> {
        store
            .set_fuel(limits.fuel.unwrap_or(u64::MAX))
            .map_err(internal)?;
        store.data_mut().limits().deadline = limits.timeout.map(|t| Instant::now() + t);
        // The epoch may have moved on since the last call: the deadline is one tick from now.
        store.set_epoch_deadline(1);
        limits
            .timeout
            .map(|t| {
                let engine = engine.clone();
                Watchdog::start(t, move || engine.increment_epoch()).map_err(internal)
            })
            .transpose()
    }

    /// The fuel used of `limits`' budget since [`WasmtimeInstance::arm`].
    pub(crate) fn consumed(store: &Store<State>, limits: CallLimits) -> Result<u64, Error> {
        Ok(limits.fuel.unwrap_or(u64::MAX) - store.get_fuel().map_err(internal)?)
    }
}

impl NativeInstance for WasmtimeInstance {
    fn call(
        &mut self,
        name: &str,
        signature: &Signature,
        args: &[HostValue],
        limits: CallLimits,
    ) -> Result<NativeCall, Error> {
        let func = self
            .instance
            .get_func(&mut self.store, name)
            .ok_or_else(|| internal(format!("the instance has no function `{name}`")))?;
        let params: Vec<Val> = args.iter().copied().map(to_val).collect();
        let mut results: Vec<Val> = signature
            .results
            .iter()
            .map(|t| Val::default_for_ty(&val_type(*t)).unwrap_or(Val::I32(0)))
            .collect();
        let watchdog = WasmtimeInstance::arm(&mut self.store, &self.engine, limits)?;
        let result = func.call(&mut self.store, &params, &mut results);
        drop(watchdog);
        let end = match result {
            Err(error) => CallEnd::Ended(classify(Err(error))),
            Ok(()) => CallEnd::returned(NAME, name, &results, from_val)?,
        };
        Ok(NativeCall {
            end,
            fuel_consumed: Some(WasmtimeInstance::consumed(&self.store, limits)?),
        })
    }

    fn memory_size(&mut self, name: &str) -> Option<u64> {
        let memory = self.memory(name)?;
        Some(memory.data_size(&self.store) as u64)
    }

    fn read_memory(&mut self, name: &str, offset: u64, buf: &mut [u8]) -> Result<(), Error> {
        let memory = self
            .memory(name)
            .ok_or_else(|| Error::no_memory(NAME, name))?;
        let offset = usize::try_from(offset).map_err(|e| Error::memory_access(NAME, e))?;
        memory
            .read(&self.store, offset, buf)
            .map_err(|e| Error::memory_access(NAME, e))
    }

    fn write_memory(&mut self, name: &str, offset: u64, data: &[u8]) -> Result<(), Error> {
        let memory = self
            .memory(name)
            .ok_or_else(|| Error::no_memory(NAME, name))?;
        let offset = usize::try_from(offset).map_err(|e| Error::memory_access(NAME, e))?;
        memory
            .write(&mut self.store, offset, data)
            .map_err(|e| Error::memory_access(NAME, e))
    }
}
