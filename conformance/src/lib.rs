//! The wasiport conformance crate: the registry of compiled-in backends, the conformance suite's
//! format, builder, runner, expectations and reports, and the pieces of the `wasiport` command
//! line.
#![warn(missing_docs)]

use std::path::PathBuf;

pub mod backends;
pub mod build;
pub mod diff;
pub mod expectations;
pub mod fuzz;
pub mod http;
pub mod http_spec;
pub mod interactive;
pub mod junit;
pub mod matrix;
pub mod perf;
pub mod reliability;
pub mod report;
pub mod results;
pub mod runner;
pub mod spec;
pub mod suite;
pub mod target;
pub mod verdict;

/// The built-in suite (`conformance/suite` in the source tree).
pub fn default_suite_dir() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/suite"))
}

/// The sources of the built-in suite (`conformance/suite-src`).
pub fn default_suite_src_dir() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/suite-src"))
}

/// The built-in expectation files (`conformance/expectations`).
pub fn default_expectations_dir() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/expectations"))
}

/// The built-in record of known fuzz divergences (`conformance/fuzz-known.json`, see
/// [`fuzz::Known`]).
pub fn default_fuzz_known() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/fuzz-known.json"))
}
