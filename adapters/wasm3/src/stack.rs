//! The big native stacks runs happen on, kept for the next run.
//!
//! wasm3 recurses on the native stack for every Wasm call, and must reach its own value-stack
//! limit (a stack-overflow trap) before the native stack runs out. A run therefore switches to
//! a stack of [`NATIVE_STACK_BYTES`] (reserved; only what is touched is committed) on the
//! calling thread, with `corosensei::on_stack`. Making such a stack (or a thread with one)
//! costs more than a hello's whole run, so stacks are kept in a pool and reused.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::{Mutex, PoisonError};

use corosensei::stack::DefaultStack;

/// The native stack of each run.
pub(crate) const NATIVE_STACK_BYTES: usize = 1 << 30;

/// Stacks not in use. A stack keeps the pages a run touched committed, as a thread's stack
/// does; at most [`StackPool::KEEP`] are kept.
#[derive(Default)]
pub(crate) struct StackPool {
    idle: Mutex<Vec<DefaultStack>>,
}

impl StackPool {
    /// Idle stacks kept at most: more runs at once make stacks of their own, dropped after.
    const KEEP: usize = 16;

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
