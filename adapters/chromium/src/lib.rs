//! The headless [Chromium](https://www.chromium.org) backend of [`wasiport`]: V8 in Debian's
//! `chromium`, with [`@bjorn3/browser_wasi_shim`](https://www.npmjs.com/package/@bjorn3/browser_wasi_shim)
//! as its WASI preview 1, driven over the DevTools protocol on `--remote-debugging-pipe`.
//!
//! ```
//! use wasiport::{Backend, RunConfig, Termination};
//! let backend = wasiport_chromium::Chromium::new()?;
//! let wasm = wat::parse_str(r#"(module
//!     (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
//!     (memory (export "memory") 1)
//!     (func (export "_start") (call $exit (i32.const 7))))"#)?;
//! let module = backend.compile(&wasm)?;
//! assert_eq!(backend.run(&module, &RunConfig::default())?.termination, Termination::Exited(7));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! One browser serves every run of the host process; each run happens in a page of it (a pool
//! of pages, one run at a time each) with a fresh WASI and a fresh instance. A preopened
//! directory is loaded into the shim's in-memory file system and, when it is read-write, written
//! back after the run. The crate's README lists what the adapter normalizes and what the browser
//! cannot do.
#![warn(missing_docs)]

mod browser;
mod cdp;
mod tree;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::time::Duration;

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;
use serde::Deserialize as _;
use serde_json::{json, Value};
use wasiport::preflight::preflight;
use wasiport::rewrite::{Variant, Variants};
use wasiport::{
    Backend, BackendId, Capabilities, Capability, CompiledModule, Error, Outcome, OutputMode,
    RunConfig, Stdin, Termination,
};
use wasiport_v8::{CoreVariant, CoreVariants, PerProgram, Report, Transpiled};

use crate::browser::{Browser, Browsers, Evaluated, Page, Site};
use crate::cdp::CdpError;
use crate::tree::{Links, Tree};

/// The backend's name.
pub const NAME: &str = "chromium";

/// The flags the backend starts Chromium with (before its DevTools pipe and profile): headless,
/// no sandbox (it runs as root here), and none of the background traffic a closed network
/// refuses. For anything else that starts the same browser the same way (the bench's
/// fresh-process baseline).
pub const HEADLESS_FLAGS: &[&str] = &[
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--disable-dev-shm-usage",
    "--disable-extensions",
    "--no-first-run",
    "--no-default-browser-check",
];

/// Where `scripts/setup` installs the shim (`npm ci` in the crate's `js/`); the variable
/// `WASIPORT_BROWSER_WASI_SHIM` names another copy of the package.
const SHIM_DIR: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/js/node_modules/@bjorn3/browser_wasi_shim"
);

/// How long after a run's timeout the browser may take to stop the guest before it is killed.
const TIMEOUT_GRACE: Duration = Duration::from_secs(5);

/// Runs modules on V8 in headless Chromium, with browser_wasi_shim as WASI.
///
/// Every `Chromium` of a host process that uses the same browser program shares one browser.
pub struct Chromium {
    /// This value's identity: its modules carry it.
    id: BackendId,
    capabilities: Capabilities,
    component_capabilities: Capabilities,
    engine: Arc<Engine>,
}

struct Engine {
    version: &'static str,
    browsers: Browsers,
    /// The `node` that transpiles components with jco, or why components do not run here.
    transpiler: Result<PathBuf, String>,
}

fn internal(message: impl std::fmt::Display) -> Error {
    Error::Internal {
        backend: NAME,
        message: message.to_string(),
    }
}

impl Chromium {
    /// The backend on the browser named by `WASIPORT_CHROMIUM`, or else `chromium` on `PATH`.
    ///
    /// Fails with [`Error::Internal`] when there is no such program, or the WASI shim is not
    /// installed; the browser itself starts with the first module compiled.
    pub fn new() -> Result<Self, Error> {
        let program = std::env::var_os("WASIPORT_CHROMIUM")
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from("chromium"));
        Chromium::with_program(program)
    }

    /// The backend on the given browser program.
    ///
    /// Components run when jco's packages are installed ([`wasiport_v8::jco_dir`]) and there is
    /// a `node` to transpile them (`WASIPORT_NODE`, or else `node` on `PATH`); without them the
    /// backend does not declare [`Capability::Components`].
    pub fn with_program(program: impl Into<PathBuf>) -> Result<Self, Error> {
        let engine = engine(program.into())?;
        // WASI 0.2 through preview2-shim's browser build, whose `wasi:sockets` reach nothing.
        let components = engine.transpiler.is_ok().then_some([
            Capability::Components,
            Capability::Wasi0_2,
            Capability::WasiSockets,
        ]);
        let capabilities: Capabilities = [
            Capability::WasiPreview1,
            Capability::Fuel,
            Capability::Timeout,
            Capability::MemoryLimit,
            Capability::StdinBytes,
            Capability::CaptureOutput,
            Capability::Preopens,
            Capability::ReadOnlyPreopens,
            Capability::TrapBacktrace,
        ]
        .into_iter()
        .chain(components.into_iter().flatten())
        .collect();
        // A component's run has the same: its core modules, as jco made them, are metered and
        // capped as a module is.
        let component_capabilities = capabilities;
        Ok(Chromium {
            id: BackendId::new(NAME),
            capabilities,
            component_capabilities,
            engine,
        })
    }
}

/// `program` as a command finds it: itself when it names a path, else the first on `PATH`.
fn find_program(program: &Path) -> Option<PathBuf> {
    if program.components().count() > 1 {
        return program.is_file().then(|| program.to_path_buf());
    }
    std::env::split_paths(&std::env::var_os("PATH")?)
        .map(|dir| dir.join(program))
        .find(|path| path.is_file())
}

/// The `node` that transpiles components, and preview2-shim's package directory.
fn transpiler() -> Result<(PathBuf, PathBuf), String> {
    let jco = wasiport_v8::jco_dir()?;
    let node = wasiport_v8::node_program();
    let found = find_program(&node).ok_or_else(|| {
        format!(
            "components on chromium are transpiled by jco in node, and there is no `{}`: \
             install Node.js, or name it in WASIPORT_NODE",
            node.display()
        )
    })?;
    Ok((found, jco.join("@bytecodealliance/preview2-shim")))
}

fn engine(program: PathBuf) -> Result<Arc<Engine>, Error> {
    static ENGINES: PerProgram<Engine> = PerProgram::new();
    ENGINES.get_or_make(&program, || {
        let shim = std::env::var_os("WASIPORT_BROWSER_WASI_SHIM")
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from(SHIM_DIR));
        let wasi_shim_version = shim_version(&shim)?;
        let transpiler = transpiler();
        let p2_shim = transpiler.as_ref().ok().map(|(_, p2)| p2.as_path());
        let site = Site::new(&shim.join("dist"), p2_shim)
            .map_err(|e| internal(format!("{}: {e}", shim.display())))?;
        let mut version = format!(
            "{} (browser_wasi_shim {wasi_shim_version}",
            browser_version(&program)?
        );
        if let Some(p2) = p2_shim {
            version.push_str(&format!(", preview2-shim {}", shim_version(p2)?));
        }
        version.push(')');
        Ok(Engine {
            version: Box::leak(version.into_boxed_str()),
            browsers: Browsers::new(program.clone(), site),
            transpiler: transpiler.map(|(node, _)| node),
        })
    })
}

/// The installed shim's version, from its `package.json`.
fn shim_version(shim: &Path) -> Result<String, Error> {
    let manifest = shim.join("package.json");
    let text = std::fs::read_to_string(&manifest).map_err(|e| {
        internal(format!(
            "the WASI shim is not installed ({}: {e}): run scripts/setup, or `npm ci` in \
             adapters/chromium/js, or name a copy in WASIPORT_BROWSER_WASI_SHIM",
            manifest.display()
        ))
    })?;
    let manifest: Value =
        serde_json::from_str(&text).map_err(|e| internal(format!("{}: {e}", shim.display())))?;
    Ok(manifest["version"]
        .as_str()
        .unwrap_or("unknown")
        .to_string())
}

/// The browser's version, from `--version` (`Chromium 156.0.8078.114 built on ...`).
fn browser_version(program: &Path) -> Result<String, Error> {
    let output = Command::new(program)
        .arg("--version")
        .output()
        .map_err(|e| {
            internal(format!(
                "cannot run `{}` ({e}): install Chromium (Debian: chromium; scripts/setup does), \
             or name a browser in WASIPORT_CHROMIUM",
                program.display()
            ))
        })?;
    let text = String::from_utf8_lossy(&output.stdout);
    text.split_whitespace()
        .find(|w| w.chars().next().is_some_and(|c| c.is_ascii_digit()))
        .map(str::to_string)
        .ok_or_else(|| {
            internal(format!(
                "`{}` did not say its version: {}",
                program.display(),
                text.trim()
            ))
        })
}

/// A compiled module: its variants, compiled by each page the first time it runs one. A
/// component has one, its own bytes, with its transpiled form, and its core modules rewritten
/// for the runs with a memory cap or fuel.
struct Prepared {
    variants: Variants,
    /// A component, as jco transpiled it.
    component: Option<Transpiled>,
    cores: CoreVariants,
    engine: Arc<Engine>,
}

impl Drop for Prepared {
    fn drop(&mut self) {
        // Pages in use compile what they miss; the idle ones are told to forget.
        if let Some(browser) = self.engine.browsers.existing() {
            let mut ids = self.variants.ids();
            ids.extend(self.cores.ids());
            browser.each_idle_page(|page| {
                for id in &ids {
                    browser.tell(page, &format!("wasiport.forget({id})"));
                }
            });
        }
    }
}

/// Compiles `variant` (or the transpiled component, with `cores` in place of jco's core modules,
/// under their id) in `page`; the engine's message when V8 refuses it.
fn compile_in(
    browser: &Browser,
    page: &Page,
    variant: &Variant,
    prepared: &Prepared,
    cores: Option<&CoreVariant>,
) -> Result<(), Error> {
    let expression = match &prepared.component {
        Some(transpiled) => {
            let (id, cores) = match cores {
                Some(rewritten) => (rewritten.id, &rewritten.cores[..]),
                None => (variant.id, &transpiled.cores[..]),
            };
            format!(
                "wasiport.compileComponent({id}, {})",
                component_arguments(&transpiled.glue, cores)
            )
        }
        None => format!(
            "wasiport.compile({}, \"{}\")",
            variant.id,
            BASE64.encode(&variant.wasm)
        ),
    };
    match browser.evaluate(page, &expression, true, None) {
        Ok(_) => Ok(()),
        Err(Evaluated::Threw(message)) => Err(Error::InvalidModule {
            backend: NAME,
            message,
        }),
        Err(e) => Err(internal(browser.failure(e))),
    }
}

/// A transpiled component's glue and core modules as the page's `compileComponent` takes them
/// after the id: the glue's source and the core modules (base64, by name), as JavaScript (JSON)
/// values.
fn component_arguments(glue: &str, cores: &[(String, Vec<u8>)]) -> String {
    let cores: serde_json::Map<String, Value> = cores
        .iter()
        .map(|(name, wasm)| (name.clone(), Value::String(BASE64.encode(wasm))))
        .collect();
    format!(
        "{}, {}",
        Value::String(glue.to_string()),
        Value::Object(cores)
    )
}

/// A preopen as the page loads it, and what is needed to write it back.
struct LoadedPreopen {
    host: PathBuf,
    read_only: bool,
    tree: Tree,
}

/// The job for the page, and the preopens it loaded (with their symbolic links as `links`
/// says: a module's page has no links, a component's has).
fn job(config: &RunConfig, links: Links) -> Result<(Value, Vec<LoadedPreopen>), Error> {
    let mut loaded = Vec::new();
    let mut preopens = Vec::new();
    for p in config.preopens() {
        let io = |source| Error::Io {
            path: p.host_path().to_path_buf(),
            source,
        };
        let tree = Tree::load(p.host_path(), links).map_err(io)?;
        preopens.push(json!({
            "guest": p.guest_path(),
            "read_only": p.is_read_only(),
            "tree": tree.to_json(),
        }));
        loaded.push(LoadedPreopen {
            host: p.host_path().to_path_buf(),
            read_only: p.is_read_only(),
            tree,
        });
    }
    let output = |mode: OutputMode| match mode {
        OutputMode::Capture { limit } => json!({"kind": "capture", "limit": limit}),
        // Inheriting is not declared: the preflight refuses it before this.
        OutputMode::Inherit | OutputMode::Discard => json!({"kind": "discard"}),
    };
    let stdin = match config.stdin() {
        Stdin::Bytes(bytes) => json!({"kind": "bytes", "data": BASE64.encode(bytes)}),
        Stdin::Empty | Stdin::Inherit => json!({"kind": "empty"}),
    };
    let job = json!({
        "args": config.argv(),
        "env": config.env(),
        "preopens": preopens,
        "stdin": stdin,
        "stdout": output(config.stdout()),
        "stderr": output(config.stderr()),
        "fuel": wasiport_v8::fuel_budget(config),
    });
    Ok((job, loaded))
}

/// The outcome of the page's `{result}`, with each read-write preopen written back.
fn finish(value: &Value, preopens: &[LoadedPreopen], fuel: Option<u64>) -> Result<Outcome, Error> {
    let result = &value["result"];
    if let Some(trees) = result.get("trees").and_then(Value::as_array) {
        for (preopen, after) in preopens.iter().zip(trees) {
            if preopen.read_only || after.is_null() {
                continue;
            }
            let after = Tree::from_json(after).map_err(internal)?;
            preopen
                .tree
                .write_back(&preopen.host, &after)
                .map_err(|source| Error::Io {
                    path: preopen.host.clone(),
                    source,
                })?;
        }
    }
    let report =
        Report::deserialize(result).map_err(|e| internal(format!("the page's report: {e}")))?;
    report.into_outcome(NAME, fuel)
}

impl Chromium {
    /// Runs `job` on the module the page knows as `module` in `page`; `Ok(None)` when the page
    /// does not have it yet.
    fn run_in(
        &self,
        browser: &Browser,
        page: &Page,
        module: u64,
        job: &str,
        timeout: Option<Duration>,
    ) -> Result<Option<Value>, RunFailure> {
        let expression = format!("wasiport.run({module}, {job})");
        let pending = browser
            .send_evaluate(page, &expression)
            .map_err(RunFailure::Cdp)?;
        let value = match browser::evaluated(pending.wait(timeout)) {
            Err(Evaluated::Cdp(CdpError::Overdue)) => {
                // Past the timeout: stop the guest, then read what it had written.
                browser.interrupt(page);
                match pending.wait(Some(TIMEOUT_GRACE)) {
                    Err(CdpError::Overdue) => return Err(RunFailure::Stuck),
                    Err(CdpError::Closed) => return Err(RunFailure::Cdp(CdpError::Closed)),
                    // Stopped: the evaluation ends with "Execution was terminated".
                    Ok(_) | Err(CdpError::Protocol(_)) => {}
                }
                browser
                    .evaluate(page, "wasiport.interrupted()", false, Some(TIMEOUT_GRACE))
                    .map_err(RunFailure::Evaluate)?
            }
            Err(e) => return Err(RunFailure::Evaluate(e)),
            Ok(value) => value,
        };
        if value.get("unknown_module").is_some() {
            return Ok(None);
        }
        Ok(Some(value))
    }
}

enum RunFailure {
    Cdp(CdpError),
    Evaluate(Evaluated),
    /// The page did not stop after its timeout.
    Stuck,
}

impl Backend for Chromium {
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
        let component = match (info.is_component(), &self.engine.transpiler) {
            (false, _) => None,
            // (in node, or from an earlier process's transpiled directory)
            (true, Ok(node)) => Some(wasiport_v8::transpile(node, wasm).map_err(|message| {
                Error::InvalidModule {
                    backend: NAME,
                    message,
                }
            })?),
            // (module_info refused it: components are not declared without a transpiler)
            (true, Err(why)) => return Err(internal(why)),
        };
        let prepared = Prepared {
            variants: Variants::new(wasm),
            component,
            cores: CoreVariants::default(),
            engine: self.engine.clone(),
        };
        // V8 validates it now, in a page that keeps it for the first run (on a browser started
        // again if the last one died).
        let variant = prepared
            .variants
            .for_run(NAME, &RunConfig::default(), None)?;
        let browsers = &self.engine.browsers;
        let mut restarted = false;
        loop {
            let browser = browsers.browser().map_err(internal)?;
            let compiled = browser
                .page()
                .map_err(|e| internal(browser.failure(e)))
                .and_then(|page| {
                    let compiled = compile_in(&browser, &page, &variant, &prepared, None);
                    browser.give_back(page);
                    compiled
                });
            match compiled {
                Err(Error::Internal { .. }) if !browser.alive() && !restarted => {
                    browsers.kill(&browser);
                    restarted = true;
                }
                Err(e) => return Err(e),
                Ok(()) => return Ok(CompiledModule::new(self.id, info, prepared)),
            }
        }
    }

    fn run(&self, compiled: &CompiledModule, config: &RunConfig) -> Result<Outcome, Error> {
        let prepared: &Prepared = compiled.native(self.id)?;
        let capabilities = match prepared.component {
            Some(_) => &self.component_capabilities,
            None => &self.capabilities,
        };
        if let Some(outcome) = preflight(NAME, capabilities, compiled, config)? {
            return Ok(outcome);
        }
        let links = match prepared.component {
            Some(_) => Links::Load,
            None => Links::Skip,
        };
        let (job, preopens) = job(config, links)?;
        let job = job.to_string();
        // A module's memory cap and fuel are its own variant's; a component's, its core modules'.
        let component = prepared.component.as_ref();
        let chosen = wasiport_v8::run_variant(
            NAME,
            &prepared.variants,
            component.map(|_| &prepared.cores),
            |_| {
                component
                    .cloned()
                    .ok_or_else(|| "not a component".to_string())
            },
            config,
        )?;
        let (variant, cores, module) = (&chosen.variant, chosen.cores.as_ref(), chosen.id());
        let timeout = config.limits().timeout;
        let browsers = &self.engine.browsers;
        // A browser that died since the last run is started again, once.
        let mut restarted = false;
        'browser: loop {
            let browser = browsers.browser().map_err(internal)?;
            let page = match browser.page() {
                Ok(page) => page,
                Err(_) if !browser.alive() && !restarted => {
                    browsers.kill(&browser);
                    restarted = true;
                    continue 'browser;
                }
                Err(e) => return Err(internal(browser.failure(e))),
            };
            // A page that does not have the module yet compiles it and runs again.
            for _ in 0..2 {
                let failure = match self.run_in(&browser, &page, module, &job, timeout) {
                    Ok(Some(value)) => {
                        browser.give_back(page);
                        return finish(&value, &preopens, config.limits().fuel);
                    }
                    Ok(None) => match compile_in(&browser, &page, variant, prepared, cores) {
                        Ok(()) => continue,
                        Err(e) => e,
                    },
                    Err(RunFailure::Cdp(CdpError::Closed)) if !restarted => {
                        // Gone before the run was sent, or during it: a run leaves nothing on
                        // the host until its preopens are written back, so it runs again.
                        browsers.kill(&browser);
                        restarted = true;
                        continue 'browser;
                    }
                    Err(RunFailure::Stuck) => {
                        // The browser itself is stuck: no run outlives its timeout.
                        browsers.kill(&browser);
                        let mut outcome = Outcome::new(Termination::Timeout);
                        outcome.elapsed = timeout.unwrap_or_default() + TIMEOUT_GRACE;
                        return Ok(outcome);
                    }
                    Err(RunFailure::Cdp(e)) => internal(browser.failure(e)),
                    Err(RunFailure::Evaluate(e)) => internal(browser.failure(e)),
                };
                browser.close(page);
                return Err(failure);
            }
            browser.close(page);
            return Err(internal("the page lost the module twice"));
        }
    }
}
