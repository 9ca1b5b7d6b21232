//! The native stacks runs happen on, kept for the next run.
//!
//! wasm3 recurses on the native stack for every Wasm call and stops a guest with its own
//! stack-overflow trap once a call has used `d_m3MaxNativeStack` (8 MiB less 128 KiB in the
//! vendored wasm3) of it. A run therefore switches, on the calling thread, to a stack of
//! [`NATIVE_STACK_BYTES`] (`corosensei::on_stack`): eight times that budget, so wasm3's trap
//! and the host functions' frames always fit, whatever stack the caller has. Only pages a run
//! touches are committed. Making such a stack (or a thread with one) for each run costs more
//! than a hello's whole run, so stacks are kept in a small pool and reused.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::{Mutex, PoisonError};

use corosensei::stack::DefaultStack;

/// The native stack of each run.
pub(crate) const NATIVE_STACK_BYTES: usize = 64 << 20;

/// Stacks not in use. An idle stack keeps committed the pages its deepest run touched (at most
/// about wasm3's 8 MiB budget), so at most [`StackPool::KEEP`] are kept: what the pool holds
/// is bounded by about 32 MiB however deep the guests recursed.
#[derive(Default)]
pub(crate) struct StackPool {
    idle: Mutex<Vec<DefaultStack>>,
}

impl StackPool {
    /// Idle stacks kept at most: more runs at once make stacks of their own, unmapped after.
    const KEEP: usize = 4;

    /// Runs `f` on a stack of [`NATIVE_STACK_BYTES`] on this thread. Fails when no stack can
    /// be mapped, or when `f` panics (the panic stops at the stack's edge).
    pub(crate) fn run<R>(&self, f: impl FnOnce() -> R) -> Result<R, String> {
        let idle = self
            .idle
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .pop();
        let mut stack = match idle {
            Some(stack) => stack,
            None => DefaultStack::new(NATIVE_STACK_BYTES)
                .map_err(|e| format!("mapping a {NATIVE_STACK_BYTES}-byte stack: {e}"))?,
        };
        let result = corosensei::on_stack(&mut stack, || catch_unwind(AssertUnwindSafe(f)));
        let mut idle = self.idle.lock().unwrap_or_else(PoisonError::into_inner);
        if idle.len() < StackPool::KEEP {
            idle.push(stack);
        }
        result.map_err(|_| "the run panicked".to_string())
    }
}
