//! Building blocks shared by backend adapters, so that each adapter only translates.
//!
//! Users of the library do not need this module.

use std::io::{self, Write};
use std::sync::mpsc;
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::JoinHandle;
use std::time::Duration;

use crate::{
    Capabilities, Capability, CompiledModule, ComponentInfo, Error, HostFunction, Import,
    ModuleInfo, Outcome, OutputMode, RunConfig, Termination, TraceLog, WasiImpl,
};

/// What every adapter's [`Backend::compile`](crate::Backend::compile) reads first: the
/// [`ModuleInfo`] of `wasm`, a module's or a component's. A component needs what
/// [`ComponentInfo::needs`] says: a backend that does not declare all of it refuses the component
/// here with [`Error::Unsupported`] naming the first missing capability, before its runtime
/// sees the bytes (to which a component would only be a parse error).
///
/// ```
/// use wasiport::{support::module_info, Capabilities, Capability, Error};
/// let modules_only: Capabilities = Capability::FOR_MODULES.iter().copied().collect();
/// let component = wat::parse_str(r#"(component (import "wasi:cli/stdout@0.2.6" (instance)))"#)?;
/// let refused = module_info("toy", &modules_only, &component).unwrap_err();
/// assert!(matches!(refused, Error::Unsupported { feature: Capability::Components, .. }));
/// let module = wat::parse_str("(module)")?;
/// assert!(!module_info("toy", &modules_only, &module)?.is_component());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn module_info(
    backend: &'static str,
    capabilities: &Capabilities,
    wasm: &[u8],
) -> Result<ModuleInfo, Error> {
    let info =
        ModuleInfo::parse(wasm).map_err(|message| Error::InvalidModule { backend, message })?;
    if let Some(component) = info.component() {
        if let Some(feature) = component
            .needs()
            .into_iter()
            .find(|c| !capabilities.contains(*c))
        {
            return Err(Error::Unsupported { backend, feature });
        }
    }
    Ok(info)
}

/// [`preflight`] for a component: the configuration within the backend's capabilities (the
/// component's WASI in place of preview 1's), no setting that only a core module can take, and
/// the component a command (it exports `wasi:cli/run`).
fn preflight_component(
    backend: &'static str,
    capabilities: &Capabilities,
    component: &ComponentInfo,
    config: &RunConfig,
) -> Result<Option<Outcome>, Error> {
    check_component_config(backend, capabilities, component, config)?;
    if !component.is_command() {
        return Err(Error::InvalidModule {
            backend,
            message: format!(
                "the component exports no `wasi:cli/run`, so it is not a WASI command{}",
                component
                    .world()
                    .map_or_else(String::new, |w| format!(" (its world is {w})"))
            ),
        });
    }
    Ok(None)
}

/// The configuration of a component's run is within `capabilities`, with what the component
/// itself needs; nothing in it is for core modules only.
fn check_component_config(
    backend: &'static str,
    capabilities: &Capabilities,
    component: &ComponentInfo,
    config: &RunConfig,
) -> Result<(), Error> {
    let wasi = config.wasi_for(capabilities);
    let only_for_modules = |what: &str| {
        Err(Error::InvalidConfig(format!(
            "{backend}: {what} are for core modules; a component imports WIT interfaces and \
             runs on the runtime's own WASI {}",
            component
                .wasi_version()
                .map_or_else(|| "0.2".to_string(), |v| v.to_string())
        )))
    };
    if wasi == WasiImpl::Portable || config.trace() {
        return only_for_modules("the portable WASI and its traces");
    }
    if !config.host_functions().is_empty() {
        return only_for_modules("host functions");
    }
    if !config.sockets().is_empty() {
        return only_for_modules("preopened sockets");
    }
    let mut needed = config.required_capabilities_with(wasi);
    needed.remove(Capability::WasiPreview1);
    for c in component.needs() {
        needed.insert(c);
    }
    if let Some(feature) = needed.iter().find(|c| !capabilities.contains(*c)) {
        return Err(Error::Unsupported { backend, feature });
    }
    Ok(())
}

/// The checks before [`Backend::serve_http`](crate::Backend::serve_http) serves anything:
/// the backend declares [`Capability::HttpService`], the module is a component whose world is
/// a `wasi:http` handler ([`ComponentInfo::is_http_handler`]), and the configuration is within
/// the backend's capabilities as for a component's run.
///
/// ```
/// use wasiport::{support::preflight_http_handler, Backend, Capability, RunConfig};
/// let backend = wasiport_wasmtime::Wasmtime::new()?;
/// let module = backend.compile(&wat::parse_str(r#"(module (memory (export "memory") 1) (func (export "_start")))"#)?)?;
/// let refused = preflight_http_handler("wasmtime", backend.capabilities(), &module, &RunConfig::default());
/// assert!(matches!(refused, Err(wasiport::Error::InvalidModule { .. })));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn preflight_http_handler(
    backend: &'static str,
    capabilities: &Capabilities,
    module: &CompiledModule,
    config: &RunConfig,
) -> Result<(), Error> {
    if !capabilities.contains(Capability::HttpService) {
        return Err(Error::Unsupported {
            backend,
            feature: Capability::HttpService,
        });
    }
    let Some(component) = module.info().component() else {
        return Err(Error::InvalidModule {
            backend,
            message: "a core module is not a wasi:http handler (serving takes a component \
                      exporting wasi:http/incoming-handler or wasi:http/handler)"
                .into(),
        });
    };
    check_component_config(backend, capabilities, component, config)?;
    if !component.is_http_handler() {
        return Err(Error::InvalidModule {
            backend,
            message: format!(
                "the component exports neither `wasi:http/incoming-handler` nor \
                 `wasi:http/handler`, so it serves no HTTP{}",
                component
                    .world()
                    .map_or_else(String::new, |w| format!(" (its world is {w})"))
            ),
        });
    }
    Ok(())
}

/// The checks every adapter makes before it instantiates anything: the configuration is within
/// the backend's capabilities; the module is a WASI command (exports `_start` as `() -> ()` and
/// a memory named `memory`); it imports nothing but WASI preview-1 functions with their
/// specification's signatures; and its initial memory fits the memory limit. For a component:
/// the configuration within the backend's capabilities for that component, and the component a
/// `wasi:cli/command`.
///
/// Returns `Some(outcome)` when the run ends before it starts
/// ([`Termination::MemoryLimit`]).
///
/// ```
/// use wasiport::{support::preflight, Backend, RunConfig, Termination};
/// let backend = wasiport_wasmi::Wasmi::new()?;
/// let module = backend.compile(&wat::parse_str(r#"(module (memory (export "memory") 4) (func (export "_start")))"#)?)?;
/// let config = RunConfig::builder().max_memory_bytes(65536).build()?;
/// let early = preflight("wasmi", backend.capabilities(), &module, &config)?;
/// assert_eq!(early.map(|o| o.termination), Some(Termination::MemoryLimit));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn preflight(
    backend: &'static str,
    capabilities: &Capabilities,
    module: &CompiledModule,
    config: &RunConfig,
) -> Result<Option<Outcome>, Error> {
    let info = module.info();
    if let Some(component) = info.component() {
        return preflight_component(backend, capabilities, component, config);
    }
    config.check_supported(backend, capabilities)?;
    if config.network() != crate::Network::None {
        return Err(Error::InvalidConfig(format!(
            "{backend}: a network grant is for a component's wasi:sockets; a preview-1 module \
             opens no sockets (preopen one instead)"
        )));
    }
    let not_a_command = |message: &str| {
        Err(Error::InvalidModule {
            backend,
            message: message.to_string(),
        })
    };
    match info.exported_function("_start") {
        None => {
            return not_a_command(
                "the module exports no `_start` function, so it is not a WASI command",
            )
        }
        Some(sig) if !sig.is_nullary() => {
            return not_a_command(&format!("`_start` has the signature {sig}, not () -> ()"))
        }
        Some(_) => {}
    }
    if !info.exports_memory("memory") {
        return not_a_command(
            "the module exports no memory named `memory`, which the WASI application ABI \
             requires of a command",
        );
    }
    if !info.imports_only_wasi_p1() {
        let missing = unprovided_imports_given(info, config.host_functions());
        if !missing.is_empty() {
            return Err(Error::MissingImports {
                backend,
                imports: missing,
            });
        }
    }
    match config.limits().max_memory_bytes {
        Some(cap) if module.info().initial_memory_bytes() > cap => {
            Ok(Some(Outcome::new(Termination::MemoryLimit)))
        }
        _ => Ok(None),
    }
}

/// Every import that is not a WASI preview-1 function with the specification's signature, as
/// `module::name`, with the expected signature for a WASI name imported with another one.
///
/// ```
/// use wasiport::{support::unprovided_imports, ModuleInfo};
/// let info = ModuleInfo::parse(&wat::parse_str(r#"(module
///     (import "wasi_snapshot_preview1" "fd_close" (func (param i64) (result i32)))
///     (import "env" "log" (func (param i32))))"#)?).map_err(|e| e.to_string())?;
/// assert_eq!(unprovided_imports(&info), [
///     "wasi_snapshot_preview1::fd_close as (i64) -> i32, not (i32) -> i32",
///     "env::log",
/// ]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn unprovided_imports(info: &ModuleInfo) -> Vec<String> {
    unprovided_imports_given(info, &[])
}

/// [`unprovided_imports`], where `host` functions also provide imports (of their signature).
///
/// ```
/// use wasiport::{support::unprovided_imports_given, HostFunction, ModuleInfo, Signature, ValType};
/// let info = ModuleInfo::parse(&wat::parse_str(r#"(module
///     (import "env" "log" (func (param i32)))
///     (import "env" "now" (func (result i64))))"#)?).map_err(|e| e.to_string())?;
/// let log = HostFunction::new("env", "log", Signature::new([ValType::I32], []), |_, _| Ok(vec![]))?;
/// let now = HostFunction::new("env", "now", Signature::new([], [ValType::I32]), |_, _| Ok(vec![]))?;
/// assert_eq!(unprovided_imports_given(&info, &[log, now]), ["env::now as () -> i64, not () -> i32"]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn unprovided_imports_given(info: &ModuleInfo, host: &[HostFunction]) -> Vec<String> {
    let host_function = |i: &Import| {
        host.iter()
            .find(|f| f.module() == i.module && f.name() == i.name)
    };
    info.imports()
        .iter()
        .filter(|i| !i.is_wasi_p1_function())
        .filter_map(
            |i| match (i.wasi_p1_function(), host_function(i), &i.signature) {
                (Some(wasi), _, Some(sig)) => {
                    Some(format!("{i} as {sig}, not {}", wasi.signature()))
                }
                (None, Some(f), Some(sig)) if sig == f.signature() => None,
                (None, Some(f), Some(sig)) => Some(format!("{i} as {sig}, not {}", f.signature())),
                _ => Some(i.to_string()),
            },
        )
        .collect()
}

/// The host functions a run links: the configuration's own, and with the portable WASI its 46
/// functions (sharing `streams`).
///
/// ```
/// use wasiport::{support::{host_functions, OutputStreams}, RunConfig, WasiImpl};
/// let config = RunConfig::default();
/// let streams = OutputStreams::new(&config);
/// assert_eq!(host_functions(&config, WasiImpl::Native, &streams)?.len(), 0);
/// assert_eq!(host_functions(&config, WasiImpl::Portable, &streams)?.len(), 46);
/// # Ok::<(), wasiport::Error>(())
/// ```
pub fn host_functions(
    config: &RunConfig,
    wasi: WasiImpl,
    streams: &OutputStreams,
) -> Result<Vec<HostFunction>, Error> {
    let mut functions = config.host_functions().to_vec();
    if wasi == WasiImpl::Portable {
        functions.extend(crate::portable::functions(config, streams)?);
    }
    Ok(functions)
}

#[derive(Debug, Default)]
struct Captured {
    bytes: Vec<u8>,
    limit: usize,
    truncated: bool,
}

/// A shared in-memory buffer that keeps the first `limit` bytes written to it and notes whether
/// more came. Writes always succeed in full, so a guest is never told its output failed.
///
/// ```
/// use std::io::Write;
/// use wasiport::support::CaptureBuffer;
/// let buf = CaptureBuffer::new(4);
/// let mut writer = buf.clone();
/// writer.write_all(b"hello")?;
/// assert_eq!(buf.contents(), (b"hell".to_vec(), true));
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Debug, Clone, Default)]
pub struct CaptureBuffer(Arc<Mutex<Captured>>);

impl CaptureBuffer {
    /// An empty buffer that keeps at most `limit` bytes.
    pub fn new(limit: usize) -> Self {
        CaptureBuffer(Arc::new(Mutex::new(Captured {
            bytes: Vec::new(),
            limit,
            truncated: false,
        })))
    }

    /// Appends what fits under the limit.
    pub fn push(&self, data: &[u8]) {
        let mut c = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        let room = c.limit.saturating_sub(c.bytes.len());
        if data.len() > room {
            c.truncated = true;
        }
        let keep = data.len().min(room);
        c.bytes.extend_from_slice(&data[..keep]);
    }

    /// The bytes kept so far, and whether any were dropped.
    pub fn contents(&self) -> (Vec<u8>, bool) {
        let c = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        (c.bytes.clone(), c.truncated)
    }

    /// Moves the bytes kept so far out of the buffer (leaving it empty, with room for `limit`
    /// bytes again), and whether any were dropped.
    ///
    /// ```
    /// use wasiport::support::CaptureBuffer;
    /// let buf = CaptureBuffer::new(4);
    /// buf.push(b"hi");
    /// assert_eq!(buf.take(), (b"hi".to_vec(), false));
    /// assert_eq!(buf.contents(), (Vec::new(), false));
    /// ```
    pub fn take(&self) -> (Vec<u8>, bool) {
        let mut c = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        (
            std::mem::take(&mut c.bytes),
            std::mem::replace(&mut c.truncated, false),
        )
    }
}

impl Write for CaptureBuffer {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.push(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// Which standard stream an [`OutputSink`] stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StdStream {
    /// Standard output.
    Stdout,
    /// Standard error.
    Stderr,
}

/// A writer for one of the guest's output streams, made from its [`OutputMode`]: a
/// [`CaptureBuffer`], the host's own stream, or nowhere.
///
/// ```
/// use std::io::Write;
/// use wasiport::{support::{OutputSink, StdStream}, OutputMode};
/// let sink = OutputSink::new(OutputMode::Capture { limit: 10 }, StdStream::Stdout);
/// sink.clone().write_all(b"hi")?;
/// // Through a shared reference too, every buffer of a vectored write at once.
/// let parts = [std::io::IoSlice::new(b", "), std::io::IoSlice::new(b"you")];
/// assert_eq!((&sink).write_vectored(&parts)?, 5);
/// assert_eq!(sink.captured(), (b"hi, you".to_vec(), false));
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Debug, Clone)]
pub enum OutputSink {
    /// Kept in memory.
    Capture(CaptureBuffer),
    /// Written to the host's stream.
    Inherit(StdStream),
    /// Thrown away.
    Discard,
}

impl OutputSink {
    /// The sink for `mode` on `stream`.
    pub fn new(mode: OutputMode, stream: StdStream) -> Self {
        match mode {
            OutputMode::Capture { limit } => OutputSink::Capture(CaptureBuffer::new(limit)),
            OutputMode::Inherit => OutputSink::Inherit(stream),
            OutputMode::Discard => OutputSink::Discard,
        }
    }

    /// What was captured (empty unless capturing), and whether it was cut.
    pub fn captured(&self) -> (Vec<u8>, bool) {
        match self {
            OutputSink::Capture(buf) => buf.contents(),
            _ => (Vec::new(), false),
        }
    }

    /// [`captured`](OutputSink::captured), moved out of the sink rather than copied.
    pub fn take_captured(&self) -> (Vec<u8>, bool) {
        match self {
            OutputSink::Capture(buf) => buf.take(),
            _ => (Vec::new(), false),
        }
    }
}

/// Written through a shared reference, as `&File` is: every kind of sink can be.
impl Write for &OutputSink {
    /// Writes every buffer (the default would write only the first).
    fn write_vectored(&mut self, bufs: &[io::IoSlice<'_>]) -> io::Result<usize> {
        let total = bufs.iter().map(|b| b.len()).sum();
        match self {
            OutputSink::Capture(c) => {
                for buf in bufs {
                    c.push(buf);
                }
                Ok(total)
            }
            OutputSink::Inherit(StdStream::Stdout) => io::stdout().write_vectored(bufs),
            OutputSink::Inherit(StdStream::Stderr) => io::stderr().write_vectored(bufs),
            OutputSink::Discard => Ok(total),
        }
    }

    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            OutputSink::Capture(c) => {
                c.push(buf);
                Ok(buf.len())
            }
            OutputSink::Inherit(StdStream::Stdout) => io::stdout().write(buf),
            OutputSink::Inherit(StdStream::Stderr) => io::stderr().write(buf),
            OutputSink::Discard => Ok(buf.len()),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match self {
            OutputSink::Inherit(StdStream::Stdout) => io::stdout().flush(),
            OutputSink::Inherit(StdStream::Stderr) => io::stderr().flush(),
            _ => Ok(()),
        }
    }
}

impl Write for OutputSink {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        (&*self).write(buf)
    }

    fn write_vectored(&mut self, bufs: &[io::IoSlice<'_>]) -> io::Result<usize> {
        (&*self).write_vectored(bufs)
    }

    fn flush(&mut self) -> io::Result<()> {
        (&*self).flush()
    }
}

/// The guest's stdout and stderr for one run, made from a [`RunConfig`]; at the end of the run
/// they give the [`Outcome`].
///
/// ```
/// use std::{io::Write, time::Duration};
/// use wasiport::{support::OutputStreams, RunConfig, Termination};
/// let streams = OutputStreams::new(&RunConfig::default());
/// streams.stdout.clone().write_all(b"hi")?;
/// let outcome = streams.outcome(Termination::Exited(0), Duration::from_millis(1), Some(10));
/// assert_eq!(outcome.stdout, b"hi");
/// assert_eq!(outcome.fuel_consumed, Some(10));
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct OutputStreams {
    /// The guest's stdout.
    pub stdout: OutputSink,
    /// The guest's stderr.
    pub stderr: OutputSink,
    /// Where the WASI calls go when the run is traced.
    pub trace: Option<TraceLog>,
}

impl OutputStreams {
    /// The sinks `config` asks for.
    pub fn new(config: &RunConfig) -> Self {
        OutputStreams {
            stdout: OutputSink::new(config.stdout(), StdStream::Stdout),
            stderr: OutputSink::new(config.stderr(), StdStream::Stderr),
            trace: config.trace().then(TraceLog::new),
        }
    }

    /// Flushes the streams that go to the host's own stdout and stderr.
    pub fn flush(&self) {
        for mut sink in [&self.stdout, &self.stderr] {
            if let OutputSink::Inherit(_) = sink {
                // A host stream that cannot be flushed has nowhere to report it either.
                let _ = sink.flush();
            }
        }
    }

    /// The outcome of the run, with what was captured: the captured bytes and the trace move
    /// into it (the run is over, so nothing is copied).
    pub fn outcome(
        self,
        termination: Termination,
        elapsed: Duration,
        fuel_consumed: Option<u64>,
    ) -> Outcome {
        let (stdout, stdout_truncated) = self.stdout.take_captured();
        let (stderr, stderr_truncated) = self.stderr.take_captured();
        Outcome {
            termination,
            stdout,
            stderr,
            stdout_truncated,
            stderr_truncated,
            elapsed,
            fuel_consumed,
            trace: self.trace.as_ref().map(TraceLog::take).unwrap_or_default(),
        }
    }
}

/// Calls a function once after a timeout, unless dropped first. Dropping it cancels the call
/// and joins the thread, so nothing outlives the run it guards.
///
/// ```
/// use std::sync::{atomic::{AtomicBool, Ordering}, Arc};
/// use std::time::Duration;
/// use wasiport::support::Watchdog;
/// let fired = Arc::new(AtomicBool::new(false));
/// let flag = fired.clone();
/// drop(Watchdog::start(Duration::from_secs(60), move || flag.store(true, Ordering::SeqCst))?);
/// assert!(!fired.load(Ordering::SeqCst));
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Debug)]
pub struct Watchdog {
    cancel: Option<mpsc::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl Watchdog {
    /// Starts a thread that calls `on_expiry` after `timeout`. Fails only when the operating
    /// system refuses a thread.
    pub fn start(timeout: Duration, on_expiry: impl FnOnce() + Send + 'static) -> io::Result<Self> {
        let mut on_expiry = Some(on_expiry);
        Watchdog::spawn(timeout, None, move || {
            if let Some(f) = on_expiry.take() {
                f()
            }
        })
    }

    /// Starts a thread that calls `on_tick` after `timeout`, then again every `period` until the
    /// watchdog is dropped: for runtimes whose interrupt is best effort (lost when the guest is
    /// in a host call).
    pub fn start_repeating(
        timeout: Duration,
        period: Duration,
        on_tick: impl FnMut() + Send + 'static,
    ) -> io::Result<Self> {
        Watchdog::spawn(timeout, Some(period), on_tick)
    }

    fn spawn(
        timeout: Duration,
        period: Option<Duration>,
        mut on_tick: impl FnMut() + Send + 'static,
    ) -> io::Result<Self> {
        let (cancel, cancelled) = mpsc::channel::<()>();
        let thread = std::thread::Builder::new()
            .name("wasiport-watchdog".into())
            .spawn(move || {
                let mut wait = timeout;
                while let Err(mpsc::RecvTimeoutError::Timeout) = cancelled.recv_timeout(wait) {
                    on_tick();
                    match period {
                        Some(p) => wait = p,
                        None => return,
                    }
                }
            })?;
        Ok(Watchdog {
            cancel: Some(cancel),
            thread: Some(thread),
        })
    }
}

impl Drop for Watchdog {
    fn drop(&mut self) {
        drop(self.cancel.take());
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}
