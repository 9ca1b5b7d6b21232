//! Where the worker program is, and how it is started: through the dynamic loader of the WasmEdge
//! prefix the build used, when there is one (libwasmedge from another distribution needs its own
//! C library), or as it is.

use std::path::{Path, PathBuf};
use std::process::Command;

/// The worker program's file name.
pub const WORKER_PROGRAM: &str = "wasiport-wasmedge-worker";

/// The variable that names the worker program, before any other place is tried.
pub const WORKER_VAR: &str = "WASIPORT_WASMEDGE_WORKER";

/// How to start a worker.
#[derive(Debug, Clone)]
pub struct Worker {
    program: PathBuf,
    /// The prefix's dynamic loader and the library path it is given, when the worker runs
    /// through it.
    loader: Option<(PathBuf, String)>,
}

impl Worker {
    /// The worker program: [`WORKER_VAR`]'s, else the one beside this program (or beside the
    /// directory it is in, for cargo's test binaries in `target/*/deps`), else the first on
    /// `PATH`.
    pub fn find() -> Result<Worker, String> {
        let program = match std::env::var_os(WORKER_VAR) {
            Some(named) => {
                let named = PathBuf::from(named);
                if !named.is_file() {
                    return Err(format!(
                        "{WORKER_VAR} names {}, which is not a file",
                        named.display()
                    ));
                }
                named
            }
            None => candidates()
                .into_iter()
                .find(|p| p.is_file())
                .ok_or_else(|| {
                    format!(
                        "its worker program {WORKER_PROGRAM} is neither beside this program nor \
                         on PATH (build it with `cargo build -p wasiport-wasmedge --bin \
                         {WORKER_PROGRAM}`, install it with `cargo install wasiport-wasmedge`, or \
                         name it in {WORKER_VAR})"
                    )
                })?,
        };
        Ok(Worker {
            program,
            loader: prefix_loader(),
        })
    }

    /// A worker for `program`, started as it is: for a program that links libwasmedge and
    /// starts copies of itself.
    pub fn at(program: PathBuf) -> Worker {
        Worker {
            program,
            loader: None,
        }
    }

    /// The worker program.
    pub fn program(&self) -> &Path {
        &self.program
    }

    /// A command that starts the worker.
    pub fn command(&self) -> Command {
        match &self.loader {
            Some((loader, library_path)) => {
                let mut command = Command::new(loader);
                command
                    .arg("--library-path")
                    .arg(library_path)
                    .arg(&self.program);
                command
            }
            None => Command::new(&self.program),
        }
    }
}

/// Where a worker is looked for when no variable names it.
fn candidates() -> Vec<PathBuf> {
    let mut places = Vec::new();
    if let Ok(exe) = std::env::current_exe() {
        let exe = exe.canonicalize().unwrap_or(exe);
        if let Some(dir) = exe.parent() {
            places.push(dir.join(WORKER_PROGRAM));
            if dir.file_name().is_some_and(|n| n == "deps") {
                if let Some(up) = dir.parent() {
                    places.push(up.join(WORKER_PROGRAM));
                }
            }
        }
    }
    if let Some(path) = std::env::var_os("PATH") {
        places.extend(std::env::split_paths(&path).map(|dir| dir.join(WORKER_PROGRAM)));
    }
    places
}

/// The dynamic loader of the WasmEdge prefix this crate was built against
/// (`scripts/install-wasmedge`'s `.wasmedge/root`, found from the build's `WASMEDGE_LIB_DIR`),
/// with its library path, if that prefix is still there.
fn prefix_loader() -> Option<(PathBuf, String)> {
    let lib_dir = Path::new(option_env!("WASMEDGE_LIB_DIR")?);
    let root = lib_dir.parent()?.join("root");
    let libs = root.join("usr/lib/x86_64-linux-gnu");
    let loader = libs.join("ld-linux-x86-64.so.2");
    if !loader.is_file() {
        return None;
    }
    let library_path = format!(
        "{}:{}",
        libs.display(),
        root.join("lib/x86_64-linux-gnu").display()
    );
    Some((loader, library_path))
}
