//! Shared by the command-line tests.

use std::path::PathBuf;
use std::process::Command;

/// The `wasiport` binary, started as `cargo run` starts it: through the workspace's target runner
/// (`scripts/wasmedge-runner`, named in `.cargo/config.toml`), which points a build with WasmEdge
/// at the libraries it needs and runs any other build unchanged.
pub fn wasiport_command() -> Command {
    let runner = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../scripts/wasmedge-runner");
    let mut cmd = Command::new(runner);
    cmd.arg(env!("CARGO_BIN_EXE_wasiport"));
    // The module cache's default directory is the build's, not the user's.
    cmd.env(
        "XDG_CACHE_HOME",
        PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("cache"),
    );
    cmd
}
