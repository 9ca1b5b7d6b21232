//! An instance kept between calls of its exports.

use wasiport::{CallEnd, CallLimits, Error, HostValue, NativeCall, NativeInstance, Signature};
use wasmi::{Store, Val};

use crate::host::{from_val, to_val, val_type};
use crate::meter::Meter;
use crate::{internal, State, NAME};

/// A wasmi store and the instance in it.
pub(crate) struct WasmiInstance {
    pub store: Store<State>,
    pub instance: wasmi::Instance,
}

impl WasmiInstance {
    fn memory(&self, name: &str) -> Option<wasmi::Memory> {
        self.instance.get_memory(&self.store, name)
    }
}

impl NativeInstance for WasmiInstance {
    fn call(
        &mut self,
        name: &str,
        signature: &Signature,
        args: &[HostValue],
        limits: CallLimits,
    ) -> Result<NativeCall, Error> {
        let func = self
            .instance
            .get_func(&self.store, name)
            .ok_or_else(|| internal(format!("the instance has no function `{name}`")))?;
        let params: Vec<Val> = args.iter().copied().map(to_val).collect();
        let mut results: Vec<Val> = signature
            .results
            .iter()
            .map(|t| Val::default_for_ty(val_type(*t)))
            .collect();
        let mut meter = Meter::start(&mut self.store, limits)?;
        let ended = meter.call(&mut self.store, func, &params, &mut results)?;
        let end = match ended {
            Some(termination) => CallEnd::Ended(termination),
            None => CallEnd::returned(NAME, name, &results, from_val)?,
        };
        Ok(NativeCall {
            end,
            fuel_consumed: Some(meter.consumed(&self.store)?),
        })
    }

    fn memory_size(&mut self, name: &str) -> Option<u64> {
        self.memory(name).map(|m| m.data_size(&self.store) as u64)
    }

    fn read_memory(&mut self, name: &str, offset: u64, buf: &mut [u8]) -> Result<(), Error> {
        let memory = self
            .memory(name)
            .ok_or_else(|| Error::no_memory(NAME, name))?;
        memory
            .read(&self.store, offset as usize, buf)
            .map_err(|e| Error::memory_access(NAME, e))
    }

    fn write_memory(&mut self, name: &str, offset: u64, data: &[u8]) -> Result<(), Error> {
        let memory = self
            .memory(name)
            .ok_or_else(|| Error::no_memory(NAME, name))?;
        memory
            .write(&mut self.store, offset as usize, data)
            .map_err(|e| Error::memory_access(NAME, e))
    }
}
