//! What [`wasiport`]'s backends on V8 (`wasiport-node`, `wasiport-chromium`) share, so that each
//! only translates: [`GUEST_JS`], the JavaScript module both run a guest with (how a guest
//! ended, read-only preopens over a JavaScript WASI); the [`Report`] both runners send back and
//! its [`Outcome`](wasiport::Outcome); V8's words for a trap ([`trap`]); a module's
//! [`Variants`], one per memory cap and metering, each with the id the runner knows it by; and
//! [`PerProgram`], the one engine (runner, browser) a host process keeps per program.
//!
//! ```
//! use wasiport::TrapKind;
//! let trap = wasiport_v8::trap("RangeError", "Maximum call stack size exceeded", "");
//! assert_eq!(trap.kind, TrapKind::StackOverflow);
//! assert!(wasiport_v8::GUEST_JS.contains("export function guarded("));
//! ```
#![warn(missing_docs)]

/// `js/guest.mjs`: `trapped(e)` (how a guest ended that threw `e`) and `guarded(...)` (a
/// `wasi_snapshot_preview1` import object with read-only preopens enforced, and the guest's fds
/// noted). Each backend serves it beside its own scripts.
pub const GUEST_JS: &str = include_str!("../js/guest.mjs");

mod per_program;
mod report;
mod trap;
mod variants;

pub use per_program::PerProgram;
pub use report::{Captured, Ended, Report};
pub use trap::{trap, trap_kind, wasm_frames};
pub use variants::{Variant, Variants};

/// A run's fuel budget as the runners' JavaScript takes it (a decimal string for a `BigInt`, at
/// most `i64::MAX`, the counter's type), or `None` for a run without one.
///
/// ```
/// let config = wasiport::RunConfig::builder().fuel(u64::MAX).build()?;
/// assert_eq!(wasiport_v8::fuel_budget(&config).as_deref(), Some("9223372036854775807"));
/// # Ok::<(), wasiport::Error>(())
/// ```
pub fn fuel_budget(config: &wasiport::RunConfig) -> Option<String> {
    config
        .limits()
        .fuel
        .map(|f| f.min(i64::MAX as u64).to_string())
}
