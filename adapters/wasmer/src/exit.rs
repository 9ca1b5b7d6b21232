//! `proc_exit` with every exit code passed through.
//!
//! wasmer-wasix keeps an exit code in 16 bits and reduces it modulo 256, so `proc_exit(256)`
//! would read as 0; the other backends report the code the guest passed. This hook replaces
//! the import so that the code reaches the caller unchanged; the adapter then ends the WASI
//! process itself (`WasiFunctionEnv::on_exit`).

use std::fmt;

use wasmer::{Function, Imports, Module, StoreMut};
use wasmer_wasix::runtime::{InstantiationHook, InstantiationState};

/// Raised by the replacement `proc_exit` to unwind the guest.
#[derive(Debug)]
pub(crate) struct GuestExit(pub(crate) i32);

impl fmt::Display for GuestExit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "proc_exit({})", self.0)
    }
}

impl std::error::Error for GuestExit {}

/// Installs the replacement `proc_exit` in every instance the runtime creates.
#[derive(Debug)]
pub(crate) struct FullExitCodes;

impl InstantiationHook for FullExitCodes {
    fn prepare_imports(
        &self,
        _module: &Module,
        store: &mut StoreMut,
        imports: &mut Imports,
    ) -> anyhow::Result<InstantiationState> {
        let proc_exit = Function::new_typed(store, |code: i32| -> Result<(), GuestExit> {
            Err(GuestExit(code))
        });
        imports.define(wasiport::wasi_p1::MODULE, "proc_exit", proc_exit);
        Ok(InstantiationState::empty())
    }
}
