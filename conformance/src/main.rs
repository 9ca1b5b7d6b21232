//! The `wasiport` command line: run a module on any compiled-in backend, list the backends.

mod cli;

use std::process::ExitCode;

fn main() -> ExitCode {
    // WasmEdge's own WASI runs in a copy of this program: serve the job if this is one.
    wasiport_conformance::backends::serve_worker_if_asked();
    cli::main()
}
