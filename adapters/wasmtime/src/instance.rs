//! An instance kept between calls of its exports.

use std::collections::HashMap;
use std::time::Instant;

use wasiport::watchdog::Watchdog;
use wasiport::{
    CallEnd, CallLimits, Error, HostValue, NativeCall, NativeInstance, Signature, ValType,
};
use wasmtime::{Engine, Func, Store, Val, ValRaw};

use crate::host::{from_val, to_val, val_type};
use crate::limits::Limited;
use crate::termination::classify;
use crate::{internal, State, NAME};

/// A wasmtime store and the instance in it, and the engine whose epoch a call's watchdog ticks.
pub(crate) struct WasmtimeInstance {
    pub store: Store<State>,
    pub instance: wasmtime::Instance,
    pub engine: Engine,
    /// The exported functions called so far, by name: looked up once.
    pub functions: HashMap<String, Func>,
}

/// Whether a value of type `t` passes as a number in one [`ValRaw`].
fn numeric(t: &ValType) -> bool {
    matches!(t, ValType::I32 | ValType::I64 | ValType::F32 | ValType::F64)
}

fn to_raw(value: HostValue) -> ValRaw {
    match value {
        HostValue::I32(v) => ValRaw::i32(v),
        HostValue::I64(v) => ValRaw::i64(v),
        HostValue::F32(v) => ValRaw::f32(v.to_bits()),
        HostValue::F64(v) => ValRaw::f64(v.to_bits()),
    }
}

fn from_raw(ty: ValType, raw: &ValRaw) -> HostValue {
    match ty {
        ValType::I32 => HostValue::I32(raw.get_i32()),
        ValType::I64 => HostValue::I64(raw.get_i64()),
        ValType::F32 => HostValue::F32(f32::from_bits(raw.get_f32())),
        _ => HostValue::F64(f64::from_bits(raw.get_f64())),
    }
}

impl WasmtimeInstance {
    /// The exported function `name`, looked up the first time only.
    fn function(&mut self, name: &str) -> Result<Func, Error> {
        if let Some(func) = self.functions.get(name) {
            return Ok(*func);
        }
        let func = self
            .instance
            .get_func(&mut self.store, name)
            .ok_or_else(|| internal(format!("the instance has no function `{name}`")))?;
        self.functions.insert(name.to_string(), func);
        Ok(func)
    }

    /// Calls `func` of `signature`, all of whose types are numbers, without wasmtime's dynamic
    /// type checks: its arguments and results in one buffer of raw values.
    fn call_numeric(
        &mut self,
        func: Func,
        signature: &Signature,
        args: &[HostValue],
    ) -> wasmtime::Result<Vec<HostValue>> {
        let len = signature.params.len().max(signature.results.len());
        let mut raw = vec![ValRaw::i32(0); len];
        for (slot, arg) in raw.iter_mut().zip(args) {
            *slot = to_raw(*arg);
        }
        // SAFETY: `signature` is the export's type as the module declares it (read from the
        // same bytes wasmtime compiled), every type in it is a number, `args` are of its
        // parameter types (`Instance::call` checked them), and the buffer holds as many values
        // as the larger of its parameter and result lists; `func` belongs to this store.
        unsafe { func.call_unchecked(&mut self.store, &mut raw[..] as *mut [ValRaw])? };
        Ok(signature
            .results
            .iter()
            .zip(&raw)
            .map(|(t, r)| from_raw(*t, r))
            .collect())
    }

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
        let func = self.function(name)?;
        let watchdog = WasmtimeInstance::arm(&mut self.store, &self.engine, limits)?;
        let end = if signature
            .params
            .iter()
            .chain(&signature.results)
            .all(numeric)
        {
            let result = self.call_numeric(func, signature, args);
            drop(watchdog);
            match result {
                Err(error) => CallEnd::Ended(classify(Err(error))),
                Ok(values) => CallEnd::Returned(values),
            }
        } else {
            // A reference or a vector among its types: wasmtime's checked call.
            let params: Vec<Val> = args.iter().copied().map(to_val).collect();
            let mut results: Vec<Val> = signature
                .results
                .iter()
                .map(|t| Val::default_for_ty(&val_type(*t)).unwrap_or(Val::I32(0)))
                .collect();
            let result = func.call(&mut self.store, &params, &mut results);
            drop(watchdog);
            match result {
                Err(error) => CallEnd::Ended(classify(Err(error))),
                Ok(()) => CallEnd::returned(NAME, name, &results, from_val)?,
            }
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
