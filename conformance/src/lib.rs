//! The wasiport conformance crate: the registry of compiled-in backends and the pieces of the
//! `wasiport` command line. The suite and its runner grow here.
#![warn(missing_docs)]

pub mod backends;
pub mod report;
