//! What [`wasiport`]'s backends on V8 (`wasiport-node`, `wasiport-chromium`) share, so that each
//! only translates: [`GUEST_JS`], the JavaScript module both run a guest with (how a guest
//! ended, read-only preopens over a JavaScript WASI); the [`Report`] both runners send back and
//! its [`Outcome`](wasiport::Outcome); V8's words for a trap ([`trap`]); how a run is metered
//! ([`metering`]: V8 has no fuel); jco's transpiled components ([`transpile`]) and their core
//! modules rewritten for a memory cap and fuel ([`CoreVariants`]); and [`PerProgram`], the one
//! engine (runner, browser) a host process keeps per program.
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

/// `js/command.mjs`: `runCommand(glue, cores, imports)` (how a WASI 0.2 command component that
/// jco transpiled ended) and `guardDescriptors(Descriptor)` (read-only preopens over either
/// preview2-shim build). Each backend serves it beside `guest.mjs`.
pub const COMMAND_JS: &str = include_str!("../js/command.mjs");

/// `js/transpile.mjs`: `transpiled(jco, wasm, dir)`, a component transpiled by jco into its
/// [`transpiled_dir`], in node. The node runner imports it; [`transpile`] runs it.
pub const TRANSPILE_JS: &str = include_str!("../js/transpile.mjs");

mod per_program;
mod report;
mod trap;

pub use per_program::PerProgram;
pub use report::{Captured, Ended, Report};
pub use trap::{trap, trap_kind, wasm_frames};

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

/// How a run on V8 is metered: with a fuel budget, by the module counting its own fuel and
/// trapping when it is spent ([`Metering::Trap`](wasiport::rewrite::Metering::Trap): V8 has no
/// fuel, but the runners stop a guest at its timeout themselves); without one, not at all.
///
/// ```
/// use wasiport::rewrite::Metering;
/// let config = wasiport::RunConfig::builder().fuel(10).build()?;
/// assert_eq!(wasiport_v8::metering(&config), Some(Metering::Trap));
/// assert_eq!(wasiport_v8::metering(&wasiport::RunConfig::default()), None);
/// # Ok::<(), wasiport::Error>(())
/// ```
pub fn metering(config: &wasiport::RunConfig) -> Option<wasiport::rewrite::Metering> {
    config
        .limits()
        .fuel
        .map(|_| wasiport::rewrite::Metering::Trap)
}

/// The `node` program both V8 backends use: the one `WASIPORT_NODE` names, or else `node`
/// (found on `PATH` when run).
///
/// ```
/// let node = wasiport_v8::node_program();
/// assert!(!node.as_os_str().is_empty());
/// ```
pub fn node_program() -> std::path::PathBuf {
    std::env::var_os("WASIPORT_NODE")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| std::path::PathBuf::from("node"))
}

mod cores;
mod jco;
pub use cores::{run_variant, CoreVariant, CoreVariants, RunVariant};
pub use jco::{jco_dir, transpile, transpiled_dir, Transpiled, JCO_PACKAGES};
