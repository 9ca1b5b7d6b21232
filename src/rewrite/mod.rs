//! Rewrites of a module's bytes that give a limit to engines that have no setting for it.
//!
//! * [`limit_memory`]: an engine that cannot be told "at most this much linear memory" (a
//!   JavaScript engine's `WebAssembly` API, say) still honours the maximum a module declares;
//!   lowering it makes `memory.grow` past the cap return -1 there as it does on every engine
//!   with a limit of its own. Every other byte of the module is copied as it is.
//! * [`meter`]: an engine that counts nothing runs a module that counts itself: a fuel counter
//!   in a global the host sets and reads ([`FUEL_GLOBAL`]), charged at the start of every
//!   straight run of code, which traps when it goes below zero, or asks the host for more
//!   ([`Metering::Refuel`]: a timeout for an engine that cannot interrupt a guest). The same
//!   module and input consume the same fuel on every engine. [`meter_sharing`] meters several
//!   modules of one run (a component's core modules, instantiated one by one by a JavaScript
//!   host) with one counter they all import ([`FUEL_IMPORT`]).
//! * [`limit_call_depth`]: an engine whose frames live on its heap without a limit (WasmEdge's
//!   interpreter) runs a module that counts its own call depth and traps past a limit, as a
//!   stack overflow does on the other engines.
//! * [`start_as_export`]: a start function the host calls after instantiation, where its limits
//!   hold, for an engine whose instantiation cannot be interrupted.
//! * [`Variants`]: the rewritten modules a backend runs, made once per cap and metering.
//! * [`preview1_to_component`]: a preview-1 command as a WASI 0.2 command component (through
//!   the preview-1 adapter), for measuring a component host's WASI 0.2 with preview-1 programs.

mod component;
mod depth;
mod fuel;
mod memory;
mod start;
mod variants;

pub use component::preview1_to_component;
pub use depth::{limit_call_depth, DEPTH_GLOBAL};
pub use fuel::{meter, meter_sharing, Metering, FUEL_GLOBAL, FUEL_IMPORT, REFUEL_IMPORT};
pub use memory::limit_memory;
pub use start::{start_as_export, START_EXPORT};
pub use variants::{Variant, Variants};
