//! Shared by the command-line tests.

use std::path::PathBuf;
use std::process::Command;

/// The `wasiport` binary, started as it is: it links no runtime library that needs a loader of
/// its own (WasmEdge runs in its worker program), so it is never patched or wrapped.
pub fn wasiport_command() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_wasiport"));
    // The module cache's default directory is the build's, not the user's.
    cmd.env(
        "XDG_CACHE_HOME",
        PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("cache"),
    );
    cmd
}
