//! The [Node.js](https://nodejs.org) backend of [`wasiport`]: V8 with `node:wasi` (uvwasi) as
//! its WASI preview 1, on a warm node runner.
//!
//! ```
//! use wasiport::{Backend, RunConfig, Termination};
//! let backend = wasiport_node::Node::new()?;
//! let wasm = wat::parse_str(r#"(module
//!     (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
//!     (memory (export "memory") 1)
//!     (func (export "_start") (call $exit (i32.const 7))))"#)?;
//! let module = backend.compile(&wasm)?;
//! assert_eq!(backend.run(&module, &RunConfig::default())?.termination, Termination::Exited(7));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! One `node` process (the runner, `js/runner.mjs`) serves every run of the host process: it
//! compiles each module once and runs each job in a worker thread (`js/worker.mjs`) with a fresh
//! WASI and a fresh instance; a run past its timeout has its worker terminated. The crate's
//! README lists what the adapter normalizes and what node:wasi cannot do.
#![warn(missing_docs)]

mod host;
mod protocol;
mod runner;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;
use wasiport::kit::RunKit;
use wasiport::{
    Backend, BackendId, Capabilities, Capability, CompiledModule, Error, Network, Outcome,
    OutputMode, RunConfig, Stdin, Termination, WasiImpl,
};

use wasiport::rewrite::{Variant, Variants};
use wasiport_v8::{CoreVariant, CoreVariants, PerProgram};

use crate::host::HostCalls;
use crate::protocol::{Job, OutputJob, PreopenJob, Reply, Request, StdinJob};
use crate::runner::{Failure, Runner};

/// The backend's name.
pub const NAME: &str = "node";
/// The oldest Node.js major release the runner is written for (`node:wasi` with `version`).
pub const MIN_NODE_MAJOR: u32 = 20;

/// The runner's scripts, shipped in the crate and written out once per content.
const SCRIPTS: [(&str, &str); 7] = [
    ("runner.mjs", include_str!("../js/runner.mjs")),
    ("worker.mjs", include_str!("../js/worker.mjs")),
    ("host.mjs", include_str!("../js/host.mjs")),
    ("component.mjs", include_str!("../js/component.mjs")),
    ("guest.mjs", wasiport_v8::GUEST_JS),
    ("command.mjs", wasiport_v8::COMMAND_JS),
    ("transpile.mjs", wasiport_v8::TRANSPILE_JS),
];

/// What a run of a module can ask for and a run of a component cannot: the settings that are for
/// core modules only. (Fuel and a memory cap a component's run has: its core modules, as jco
/// made them, are metered and capped as a module is.)
const COMPONENTS_CANNOT: [Capability; 3] = [
    Capability::HostFunctions,
    Capability::PortableWasi,
    Capability::PreopenedSockets,
];

/// How long after a run's timeout the runner may take to answer before it is killed.
const TIMEOUT_GRACE: Duration = Duration::from_secs(5);

/// Runs modules on V8 through Node.js's `node:wasi`.
///
/// Every `Node` of a host process that uses the same `node` program shares one warm runner.
pub struct Node {
    /// This value's identity: its modules carry it.
    id: BackendId,
    capabilities: Capabilities,
    component_capabilities: Capabilities,
    engine: Arc<Engine>,
}

/// One `node` program: its version and its runner.
struct Engine {
    /// The program (it transpiles components, too).
    node: PathBuf,
    version: &'static str,
    runner: Runner,
}

pub(crate) fn internal(message: impl std::fmt::Display) -> Error {
    Error::Internal {
        backend: NAME,
        message: message.to_string(),
    }
}

impl Node {
    /// The backend on the `node` named by `WASIPORT_NODE`, or else the one on `PATH`.
    ///
    /// Fails with [`Error::Internal`] when there is no such program or it is older than Node.js
    /// [`MIN_NODE_MAJOR`]; the runner itself starts with the first module compiled.
    pub fn new() -> Result<Self, Error> {
        Node::with_program(wasiport_v8::node_program())
    }

    /// The backend on the given `node` program.
    pub fn with_program(node: impl Into<PathBuf>) -> Result<Self, Error> {
        let engine = engine(node.into())?;
        // Everything a module's run can ask for, but compiled code saved as bytes. Host
        // functions cross two named pipes to this process (src/host.rs); with them, the
        // portable WASI (and the listeners it serves) runs here too. WASI 0.2 components
        // through jco and preview2-shim.
        let capabilities: Capabilities = Capability::FOR_MODULES
            .iter()
            .copied()
            // Instances of a module are not implemented for this backend yet.
            .filter(|c| !matches!(c, Capability::SerializedModules | Capability::Instances))
            .chain([
                Capability::Components,
                Capability::Wasi0_2,
                Capability::WasiSockets,
                Capability::LoopbackNetwork,
            ])
            .collect();
        // A component's run has everything but the settings for core modules.
        let component_capabilities = capabilities
            .iter()
            .filter(|c| !COMPONENTS_CANNOT.contains(c))
            .collect();
        Ok(Node {
            id: BackendId::new(NAME),
            capabilities,
            component_capabilities,
            engine,
        })
    }
}

/// The engine of `node`, made once per program and host process.
fn engine(node: PathBuf) -> Result<Arc<Engine>, Error> {
    static ENGINES: PerProgram<Engine> = PerProgram::new();
    ENGINES.get_or_make(&node, || {
        let version = node_version(&node)?;
        Ok(Engine {
            node: node.clone(),
            version: Box::leak(version.into_boxed_str()),
            runner: Runner::new(node.clone(), scripts()?),
        })
    })
}

/// `"<node version> (V8 <v8 version>)"`, checked against [`MIN_NODE_MAJOR`].
fn node_version(node: &Path) -> Result<String, Error> {
    let output = Command::new(node)
        .args(["-p", "process.versions.node + ' ' + process.versions.v8"])
        .output()
        .map_err(|e| {
            internal(format!(
                "cannot run `{}` ({e}): install Node.js {MIN_NODE_MAJOR} or newer (scripts/setup \
                 does), or name one in WASIPORT_NODE",
                node.display()
            ))
        })?;
    let text = String::from_utf8_lossy(&output.stdout);
    let mut words = text.split_whitespace();
    let (Some(version), Some(v8)) = (words.next(), words.next()) else {
        return Err(internal(format!(
            "`{}` did not say its version: {}",
            node.display(),
            String::from_utf8_lossy(&output.stderr).trim()
        )));
    };
    let major: u32 = version
        .split('.')
        .next()
        .and_then(|m| m.parse().ok())
        .unwrap_or(0);
    if major < MIN_NODE_MAJOR {
        return Err(internal(format!(
            "`{}` is Node.js {version}; the runner needs {MIN_NODE_MAJOR} or newer",
            node.display()
        )));
    }
    Ok(format!("{version} (V8 {v8})"))
}

/// The runner's scripts on disk: a directory named after their contents under the temporary
/// directory, written once (atomically) and shared by every host process of this build.
fn scripts() -> Result<PathBuf, Error> {
    static SCRIPT: OnceLock<PathBuf> = OnceLock::new();
    if let Some(path) = SCRIPT.get() {
        return Ok(path.clone());
    }
    let hash = SCRIPTS
        .iter()
        .flat_map(|(name, text)| name.bytes().chain(text.bytes()))
        .fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
            (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
        });
    let parent = std::env::temp_dir();
    let dir = parent.join(format!("wasiport-node-runner-{hash:016x}"));
    let io = |path: &Path, source| Error::Io {
        path: path.to_path_buf(),
        source,
    };
    if !dir.join("runner.mjs").is_file() {
        let staging = tempfile::Builder::new()
            .prefix("wasiport-node-runner-")
            .tempdir_in(&parent)
            .map_err(|e| io(&parent, e))?;
        for (name, text) in SCRIPTS {
            let path = staging.path().join(name);
            std::fs::write(&path, text).map_err(|e| io(&path, e))?;
        }
        // Another process may have put the same scripts there first: theirs serve as well.
        if std::fs::rename(staging.path(), &dir).is_ok() {
            std::mem::forget(staging);
        }
    }
    Ok(SCRIPT.get_or_init(|| dir.join("runner.mjs")).clone())
}

/// A compiled module: its variants (sent again to a runner that was restarted). A component has
/// one, its own bytes, the directory its transpiled form is kept in, and its core modules
/// rewritten for the runs with a memory cap or fuel.
struct Prepared {
    variants: Variants,
    transpiled: Option<PathBuf>,
    cores: CoreVariants,
    engine: Arc<Engine>,
}

impl Drop for Prepared {
    fn drop(&mut self) {
        let Some(process) = self.engine.runner.existing() else {
            return;
        };
        for module in self.variants.ids().into_iter().chain(self.cores.ids()) {
            process.tell(move |id| Request::Forget { id, module });
        }
    }
}

/// Has the runner's current process compile `variant` (a component: transpile it into
/// `transpiled`, unless it is there already, and keep it with `cores` in place of jco's core
/// modules, under their id); the engine's message when it refuses.
fn compile_on(
    process: &runner::Process,
    variant: &Variant,
    transpiled: Option<&Path>,
    cores: Option<&CoreVariant>,
) -> Result<(), Error> {
    let wasm = BASE64.encode(&variant.wasm);
    // A component: where to transpile it, and with which jco.
    let component = match transpiled {
        Some(dir) => Some((dir, wasiport_v8::jco_dir().map_err(internal)?)),
        None => None,
    };
    let rewritten = cores.map(|c| {
        c.cores
            .iter()
            .map(|(name, wasm)| (name.as_str(), BASE64.encode(wasm)))
            .collect::<BTreeMap<_, _>>()
    });
    let reply = process
        .request(
            |id| match &component {
                Some((dir, jco)) => Request::CompileComponent {
                    id,
                    module: cores.map_or(variant.id, |c| c.id),
                    wasm: &wasm,
                    dir,
                    jco,
                    cores: rewritten.as_ref(),
                },
                None => Request::Compile {
                    id,
                    module: variant.id,
                    wasm: &wasm,
                },
            },
            None,
        )
        .map_err(internal)?;
    match reply.error {
        Some(message) if reply.invalid => Err(Error::InvalidModule {
            backend: NAME,
            message,
        }),
        Some(message) => Err(internal(message)),
        None => Ok(()),
    }
}

/// The job `config` describes, for the runner's worker.
fn job(config: &RunConfig) -> Result<Job, Error> {
    let mut preopens: Vec<PreopenJob> = Vec::new();
    for p in config.preopens() {
        let guest = p.guest_path().to_string();
        // node:wasi takes preopens as an object: a name JavaScript orders as an array index
        // would move, and one named twice would be lost.
        if !guest.is_empty() && guest.bytes().all(|b| b.is_ascii_digit()) {
            return Err(Error::InvalidConfig(format!(
                "node cannot preopen a directory as `{guest}` (a name of digits only)"
            )));
        }
        if preopens.iter().any(|q| q.guest == guest) {
            return Err(Error::InvalidConfig(format!(
                "node cannot preopen two directories as `{guest}`"
            )));
        }
        let host = std::fs::canonicalize(p.host_path()).map_err(|source| Error::Io {
            path: p.host_path().to_path_buf(),
            source,
        })?;
        if !host.is_dir() {
            return Err(Error::Io {
                path: p.host_path().to_path_buf(),
                source: std::io::Error::new(std::io::ErrorKind::NotADirectory, "not a directory"),
            });
        }
        let host = host
            .to_str()
            .ok_or_else(|| Error::InvalidConfig(format!("{}: not UTF-8", p.host_path().display())))?
            .to_string();
        preopens.push(PreopenJob {
            guest,
            host,
            read_only: p.is_read_only(),
        });
    }
    let output = |mode: OutputMode| match mode {
        OutputMode::Capture { limit } => OutputJob::Capture { limit },
        OutputMode::Inherit => OutputJob::Inherit,
        OutputMode::Discard => OutputJob::Discard,
    };
    Ok(Job {
        args: config.argv().to_vec(),
        env: config.env().to_vec(),
        preopens,
        stdin: match config.stdin() {
            Stdin::Empty => StdinJob::Empty,
            Stdin::Inherit => StdinJob::Inherit,
            Stdin::Bytes(bytes) => StdinJob::Bytes {
                data: BASE64.encode(bytes),
            },
        },
        stdout: output(config.stdout()),
        stderr: output(config.stderr()),
        // A timer of whole milliseconds, never shorter than asked.
        timeout_ms: config
            .limits()
            .timeout
            .map(|t| t.as_nanos().div_ceil(1_000_000).max(1) as u64),
        fuel: wasiport_v8::fuel_budget(config),
        host: None,
        network: match config.network() {
            Network::None => "none",
            Network::Loopback => "loopback",
        },
    })
}

impl Backend for Node {
    fn id(&self) -> BackendId {
        self.id
    }

    fn runtime_version(&self) -> &'static str {
        self.engine.version
    }

    fn capabilities(&self) -> &Capabilities {
        &self.capabilities
    }

    fn component_capabilities(&self) -> &Capabilities {
        &self.component_capabilities
    }

    fn compile(&self, wasm: &[u8]) -> Result<CompiledModule, Error> {
        let info = wasiport::preflight::module_info(NAME, &self.capabilities, wasm)?;
        let prepared = Prepared {
            variants: Variants::new(wasm),
            transpiled: info
                .is_component()
                .then(|| wasiport_v8::transpiled_dir(wasm)),
            cores: CoreVariants::default(),
            engine: self.engine.clone(),
        };
        // V8 validates and compiles it now, so that a module it refuses is refused here.
        let variant = prepared
            .variants
            .for_run(NAME, &RunConfig::default(), None)?;
        let runner = &self.engine.runner;
        let mut tries = 0;
        loop {
            let process = runner.process().map_err(internal)?;
            match compile_on(&process, &variant, prepared.transpiled.as_deref(), None) {
                // The runner had died since the last request: once more, on a new one.
                Err(Error::Internal { .. }) if !process.alive() && tries == 0 => {
                    runner.kill(&process);
                    tries += 1;
                }
                Err(e) => return Err(e),
                Ok(()) => return Ok(CompiledModule::new(self.id, info, prepared)),
            }
        }
    }

    fn run(&self, compiled: &CompiledModule, config: &RunConfig) -> Result<Outcome, Error> {
        let prepared: &Prepared = compiled.native(self.id)?;
        let capabilities = match prepared.transpiled {
            Some(_) => &self.component_capabilities,
            None => &self.capabilities,
        };
        let mut run = match RunKit::begin_with(self.id, capabilities, compiled, config, |c| {
            Ok(c.wasi_for(&self.capabilities))
        })? {
            Ok(run) => run,
            Err(early) => return Ok(early),
        };
        let wasi = run.wasi;
        let host = HostCalls::start(std::mem::take(&mut run.functions), compiled.info())?;
        let mut job = job(config)?;
        job.host = host
            .as_ref()
            .map(|h| h.job(wasi == WasiImpl::Portable))
            .transpose()?;
        // A module's memory cap and fuel are its own variant's; a component's, its core modules'.
        let node = &self.engine.node;
        let chosen = wasiport_v8::run_variant(
            NAME,
            &prepared.variants,
            prepared.transpiled.as_ref().map(|_| &prepared.cores),
            |wasm| wasiport_v8::transpile(node, wasm),
            config,
        )?;
        let (variant, cores, module) = (&chosen.variant, chosen.cores.as_ref(), chosen.id());
        let wait = config.limits().timeout.map(|t| t + TIMEOUT_GRACE);
        let runner = &self.engine.runner;
        // A runner started since the module was compiled does not know it: compile, run again.
        // One that died since the last run is started again.
        for _ in 0..3 {
            let process = runner.process().map_err(internal)?;
            let request = |id| Request::Run {
                id,
                module,
                job: &job,
            };
            let reply: Reply = match process.request(request, wait) {
                Ok(reply) => reply,
                Err(Failure::Overdue) => {
                    // The runner itself is stuck: no run outlives its timeout.
                    runner.kill(&process);
                    let mut outcome = Outcome::new(Termination::Timeout);
                    outcome.elapsed = wait.unwrap_or_default();
                    return Ok(outcome);
                }
                Err(Failure::Unsent) => {
                    runner.kill(&process);
                    continue;
                }
                Err(e) => return Err(internal(e)),
            };
            if reply.unknown_module {
                compile_on(&process, variant, prepared.transpiled.as_deref(), cores)?;
                continue;
            }
            drop(host);
            return match (reply.result, reply.error) {
                // The portable WASI wrote the guest's output, and its trace, here.
                (Some(report), _) if wasi == WasiImpl::Portable => {
                    let o = report.into_outcome(NAME, config.limits().fuel)?;
                    Ok(run
                        .streams
                        .outcome(o.termination, o.elapsed, o.fuel_consumed))
                }
                (Some(report), _) => report.into_outcome(NAME, config.limits().fuel),
                (None, Some(message)) => Err(internal(message)),
                (None, None) => Err(internal("the runner answered a run with nothing")),
            };
        }
        Err(internal(
            "the runner lost the module, or died, run after run",
        ))
    }
}
