//! The `wasiport` command line: run a module on any compiled-in backend, list the backends.

mod cli;

use std::process::ExitCode;

fn main() -> ExitCode {
    cli::main()
}
