//! [`wasiport::HostFunction`]s as wasmer host functions, added to an instance's imports by an
//! instantiation hook of the run's own runtime.

use std::sync::{Arc, Mutex, PoisonError};

use wasiport::host::out_of_bounds;
use wasiport::{Caller, HostError, HostFunction, HostValue, ValType};
use wasmer::{
    Function, FunctionEnv, FunctionEnvMut, FunctionType, Imports, Instance, Memory, MemoryView,
    Module, RuntimeError, StoreMut, Type, Value,
};
use wasmer_wasix::runtime::{InstantiationHook, InstantiationState};

use crate::exit::GuestExit;

/// The guest's exported memory, known once the instance exists.
pub(crate) type MemorySlot = Arc<Mutex<Option<Memory>>>;

/// Puts the new `instance`'s memory (its `memory` export, or the one it imports) in `slot`.
pub(crate) fn fill(slot: &MemorySlot, instance: &Instance, imported_memory: Option<&Memory>) {
    let memory = instance
        .exports
        .get_memory("memory")
        .ok()
        .or(imported_memory)
        .cloned();
    *slot.lock().unwrap_or_else(PoisonError::into_inner) = memory;
}

fn val_type(ty: ValType) -> Type {
    match ty {
        ValType::I32 => Type::I32,
        ValType::I64 => Type::I64,
        ValType::F32 => Type::F32,
        // HostFunction::new admits nothing but the four numeric types.
        _ => Type::F64,
    }
}

pub(crate) fn from_value(value: &Value) -> Option<HostValue> {
    match value {
        Value::I32(v) => Some(HostValue::I32(*v)),
        Value::I64(v) => Some(HostValue::I64(*v)),
        Value::F32(v) => Some(HostValue::F32(*v)),
        Value::F64(v) => Some(HostValue::F64(*v)),
        _ => None,
    }
}

pub(crate) fn to_value(value: HostValue) -> Value {
    match value {
        HostValue::I32(v) => Value::I32(v),
        HostValue::I64(v) => Value::I64(v),
        HostValue::F32(v) => Value::F32(v),
        HostValue::F64(v) => Value::F64(v),
    }
}

/// A [`Caller`] over a view of the guest's memory (none when it exports none).
struct ViewCaller<'a>(Option<MemoryView<'a>>);

impl Caller for ViewCaller<'_> {
    fn memory_size(&self) -> u64 {
        self.0.as_ref().map_or(0, MemoryView::data_size)
    }

    fn read(&self, offset: u64, buf: &mut [u8]) -> Result<(), HostError> {
        match &self.0 {
            Some(view) => view.read(offset, buf),
            None => return Err(out_of_bounds(offset, buf.len(), 0)),
        }
        .map_err(|_| out_of_bounds(offset, buf.len(), self.memory_size()))
    }

    fn write(&mut self, offset: u64, data: &[u8]) -> Result<(), HostError> {
        match &self.0 {
            Some(view) => view.write(offset, data),
            None => return Err(out_of_bounds(offset, data.len(), 0)),
        }
        .map_err(|_| out_of_bounds(offset, data.len(), self.memory_size()))
    }
}

/// Adds the run's host functions to the imports of every instance the run's runtime creates.
#[derive(Debug)]
pub(crate) struct HostImports {
    functions: Vec<HostFunction>,
    memory: MemorySlot,
}

impl HostImports {
    pub(crate) fn new(functions: &[HostFunction]) -> Self {
        HostImports {
            functions: functions.to_vec(),
            memory: MemorySlot::default(),
        }
    }
}

impl InstantiationHook for HostImports {
    fn additional_imports(
        &self,
        _module: &Module,
        store: &mut StoreMut,
    ) -> anyhow::Result<(Imports, InstantiationState)> {
        let env = FunctionEnv::new(store, self.memory.clone());
        let mut imports = Imports::new();
        for function in &self.functions {
            let sig = function.signature();
            let ty = FunctionType::new(
                sig.params.iter().copied().map(val_type).collect::<Vec<_>>(),
                sig.results
                    .iter()
                    .copied()
                    .map(val_type)
                    .collect::<Vec<_>>(),
            );
            let f = function.clone();
            let host = Function::new_with_env(
                store,
                &env,
                ty,
                move |mut env: FunctionEnvMut<MemorySlot>, params: &[Value]| {
                    let args: Vec<HostValue> = params.iter().filter_map(from_value).collect();
                    let (slot, store) = env.data_and_store_mut();
                    let memory = slot.lock().unwrap_or_else(PoisonError::into_inner).clone();
                    let mut caller = ViewCaller(memory.as_ref().map(|m| m.view(&store)));
                    let values = f
                        .call(&mut caller, &args)
                        .map_err(|e| match e.exit_code() {
                            Some(code) => RuntimeError::user(Box::new(GuestExit(code))),
                            None => RuntimeError::new(e.to_string()),
                        })?;
                    Ok(values.into_iter().map(to_value).collect())
                },
            );
            imports.define(function.module(), function.name(), host);
        }
        Ok((imports, InstantiationState::empty()))
    }

    fn configure_new_instance(
        &self,
        _module: &Module,
        _store: &mut StoreMut,
        instance: &Instance,
        imported_memory: Option<&Memory>,
        _state: InstantiationState,
    ) -> anyhow::Result<()> {
        fill(&self.memory, instance, imported_memory);
        Ok(())
    }
}
