//! # wasiport
//!
//! Run WASI WebAssembly programs (preview-1 modules, WASI 0.2 components) through one API over
//! every major runtime.
//!
//! The crate holds only the runtime-neutral parts:
//!
//! * [`Backend`] — the trait every runtime adapter implements: a name, the runtime's version,
//!   the declared [`Capabilities`], [`Backend::compile`] and [`Backend::run`];
//! * [`RunConfig`] (built with [`RunConfig::builder`]) — argv, environment, [`Preopen`]ed
//!   directories, [`Stdin`], [`OutputMode`] for stdout and stderr, and [`Limits`];
//! * [`Outcome`] — the normalized result: a [`Termination`] (exit code, [`Trap`] with its
//!   [`TrapKind`], timeout, out of fuel, memory limit), captured output, elapsed time, fuel used;
//! * [`HostFunction`] — a function the host gives the guest, written once for every backend,
//!   with a [`Caller`] that reads and writes the guest's memory;
//! * [`portable`] — WASI preview 1 written once on host functions, chosen per run with
//!   [`WasiImpl`]; a traced run records each call as a [`TraceEvent`];
//! * [`rewrite`] — changes to a module's bytes that give a limit to engines without one;
//! * [`ModuleInfo`] — what a module's or a component's bytes say ([`ComponentInfo`]: its WIT
//!   interfaces, [`WasiVersion`] and world), before any runtime sees them;
//! * [`Backend::instantiate`] — an [`Instance`] kept between calls of its exported functions
//!   ([`Instance::call`], [`Instance::call_typed`]), each call with its own [`CallLimits`]
//!   and its own [`CallOutcome`];
//! * [`Backend::serve_http`] — a `wasi:http` handler component serving HTTP until a
//!   [`Shutdown`], an instance per request, and its [`ServeSummary`];
//! * [`ModuleCache`] — compiled modules kept in memory and on disk, keyed by what the code
//!   depends on;
//! * [`Error`] — the one error type.
//!
//! Adapters live in their own crates (`wasiport-wasmtime`, `wasiport-wasmer`, `wasiport-wasmi`,
//! ...); code written against [`Backend`] never names a runtime.
//!
//! ```
//! use wasiport::{Backend, RunConfig, Termination};
//!
//! let backend = wasiport_wasmi::Wasmi::new()?;
//! let wasm = wat::parse_str(r#"(module
//!     (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
//!     (memory (export "memory") 1)
//!     (func (export "_start") (call $exit (i32.const 3))))"#)?;
//! let module = backend.compile(&wasm)?;
//! let outcome = backend.run(&module, &RunConfig::builder().build()?)?;
//! assert_eq!(outcome.termination, Termination::Exited(3));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![warn(missing_docs)]

mod backend;
mod backend_id;
mod cache;
mod capability;
mod component;
mod config;
mod error;
pub mod framed;
pub mod host;
mod http;
mod instance;
pub mod kit;
mod limits;
mod module;
mod network;
mod outcome;
pub mod output;
pub mod portable;
pub mod preflight;
mod preopen;
pub mod rewrite;
mod signature;
mod socket;
mod stdio;
mod trace;
mod wasi_impl;
pub mod wasi_p1;
pub mod watchdog;

pub use backend::Backend;
pub use backend_id::BackendId;
pub use cache::{CacheStats, ModuleCache};
pub use capability::{Capabilities, Capability};
pub use component::{ComponentInfo, InterfaceName, WasiVersion};
pub use config::{RunConfig, RunConfigBuilder};
pub use error::Error;
pub use host::{Caller, HostError, HostFunction, HostValue};
pub use http::{ServeSummary, Shutdown};
pub use instance::{
    CallEnd, CallError, CallLimits, CallOutcome, Export, Instance, NativeCall, NativeInstance,
    WasmValue, WasmValues,
};
pub use limits::Limits;
pub use module::{CompiledModule, Import, ModuleInfo};
pub use network::Network;
pub use outcome::{Outcome, Termination, Trap, TrapKind};
pub use preopen::{DirAccess, Preopen};
pub use signature::{Signature, ValType};
pub use socket::SocketPreopen;
pub use stdio::{OutputMode, Stdin};
pub use trace::{TraceEvent, TraceLog};
pub use wasi_impl::WasiImpl;

/// The code in `docs/guide.md`, compiled as doctests so the guide cannot go stale.
#[cfg(doctest)]
#[doc = include_str!("../docs/guide.md")]
pub struct GuideDoctests;
