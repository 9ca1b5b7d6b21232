//! The configuration of one run: argv, environment, preopens, stdio and limits.

use std::path::PathBuf;
use std::time::Duration;

use crate::{
    Capabilities, Capability, DirAccess, Error, HostFunction, Limits, Network, OutputMode, Preopen,
    SocketPreopen, Stdin, WasiImpl,
};

const TRACE_NEEDS_PORTABLE: &str =
    "a trace records the portable WASI's calls; native WASI cannot be traced";

/// How to run a module once: what the guest sees (argv, environment, preopened directories,
/// stdin), where its output goes, and its [`Limits`].
///
/// Built with [`RunConfig::builder`], which checks the settings; a `RunConfig` is immutable and
/// can be reused for any number of runs on any backend.
///
/// ```
/// use std::time::Duration;
/// use wasiport::{OutputMode, RunConfig, Stdin};
///
/// let dir = std::env::temp_dir();
/// let config = RunConfig::builder()
///     .program_name("tool.wasm")
///     .args(["--verbose", "input.txt"])
///     .env("LANG", "C")
///     .preopen_read_only(&dir, "/data")
///     .stdin(Stdin::Bytes(b"hello".to_vec()))
///     .stderr(OutputMode::Inherit)
///     .timeout(Duration::from_secs(10))
///     .build()?;
/// assert_eq!(config.argv(), ["tool.wasm", "--verbose", "input.txt"]);
/// # Ok::<(), wasiport::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunConfig {
    argv: Vec<String>,
    env: Vec<(String, String)>,
    preopens: Vec<Preopen>,
    stdin: Stdin,
    stdout: OutputMode,
    stderr: OutputMode,
    limits: Limits,
    host_functions: Vec<HostFunction>,
    sockets: Vec<SocketPreopen>,
    network: Network,
    wasi: Option<WasiImpl>,
    trace: bool,
}

impl Default for RunConfig {
    /// `argv` is `["main.wasm"]`, nothing else is given to the guest, output is captured, and
    /// there are no limits.
    fn default() -> Self {
        RunConfig {
            argv: vec![RunConfig::DEFAULT_PROGRAM_NAME.to_string()],
            env: Vec::new(),
            preopens: Vec::new(),
            stdin: Stdin::Empty,
            stdout: OutputMode::default(),
            stderr: OutputMode::default(),
            limits: Limits::default(),
            host_functions: Vec::new(),
            sockets: Vec::new(),
            network: Network::None,
            wasi: None,
            trace: false,
        }
    }
}

impl RunConfig {
    /// The `argv[0]` used when none is given.
    pub const DEFAULT_PROGRAM_NAME: &'static str = "main.wasm";

    /// A builder starting from [`RunConfig::default`].
    pub fn builder() -> RunConfigBuilder {
        RunConfigBuilder {
            config: RunConfig::default(),
        }
    }

    /// The full argument vector, `argv[0]` (the program name) first.
    pub fn argv(&self) -> &[String] {
        &self.argv
    }

    /// The environment, in the order given.
    pub fn env(&self) -> &[(String, String)] {
        &self.env
    }

    /// The preopened directories, in the order given (the guest sees them as fds 3, 4, ...).
    pub fn preopens(&self) -> &[Preopen] {
        &self.preopens
    }

    /// The guest's stdin.
    pub fn stdin(&self) -> &Stdin {
        &self.stdin
    }

    /// Where the guest's stdout goes.
    pub fn stdout(&self) -> OutputMode {
        self.stdout
    }

    /// Where the guest's stderr goes.
    pub fn stderr(&self) -> OutputMode {
        self.stderr
    }

    /// The resource limits.
    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    /// The host functions the guest may import, besides WASI.
    pub fn host_functions(&self) -> &[HostFunction] {
        &self.host_functions
    }

    /// The preopened sockets, in fd order after the preopened directories.
    pub fn sockets(&self) -> &[SocketPreopen] {
        &self.sockets
    }

    /// The network a component's `wasi:sockets` may reach.
    pub fn network(&self) -> Network {
        self.network
    }

    /// The WASI implementation asked for, `None` for the backend's default (see
    /// [`RunConfig::wasi_for`]).
    pub fn wasi(&self) -> Option<WasiImpl> {
        self.wasi
    }

    /// This configuration with `wasi` as its WASI implementation. Fails with
    /// [`Error::InvalidConfig`] for native WASI on a traced configuration.
    ///
    /// ```
    /// use wasiport::{RunConfig, WasiImpl};
    /// let config = RunConfig::default().with_wasi(WasiImpl::Portable)?;
    /// assert_eq!(config.wasi(), Some(WasiImpl::Portable));
    /// # Ok::<(), wasiport::Error>(())
    /// ```
    pub fn with_wasi(mut self, wasi: WasiImpl) -> Result<Self, Error> {
        if self.trace && wasi == WasiImpl::Native {
            return Err(Error::InvalidConfig(TRACE_NEEDS_PORTABLE.into()));
        }
        self.wasi = Some(wasi);
        Ok(self)
    }

    /// The WASI implementation a backend with `capabilities` uses for this run: the one asked
    /// for, else its own WASI where it has one ([`Capability::WasiPreview1`]), else the portable
    /// one.
    ///
    /// ```
    /// use wasiport::{Capabilities, Capability, RunConfig, WasiImpl};
    /// let native: Capabilities = [Capability::WasiPreview1, Capability::PortableWasi].into_iter().collect();
    /// let portable_only: Capabilities = [Capability::PortableWasi].into_iter().collect();
    /// let config = RunConfig::default();
    /// assert_eq!(config.wasi_for(&native), WasiImpl::Native);
    /// assert_eq!(config.wasi_for(&portable_only), WasiImpl::Portable);
    /// ```
    pub fn wasi_for(&self, capabilities: &Capabilities) -> WasiImpl {
        match self.wasi {
            Some(chosen) => chosen,
            None if capabilities.contains(Capability::WasiPreview1) => WasiImpl::Native,
            None => WasiImpl::Portable,
        }
    }

    /// Whether every WASI call is recorded ([`Outcome::trace`](crate::Outcome::trace)).
    pub fn trace(&self) -> bool {
        self.trace
    }

    /// The capabilities this configuration needs of a backend whose WASI is `wasi`. With the
    /// portable WASI, the standard streams and preopens are its own, not the runtime's.
    ///
    /// ```
    /// use wasiport::{Capability, RunConfig, WasiImpl};
    /// let config = RunConfig::builder().fuel(1000).build()?;
    /// let needed = config.required_capabilities_with(WasiImpl::Portable);
    /// assert!(needed.contains(Capability::PortableWasi) && needed.contains(Capability::Fuel));
    /// assert!(!needed.contains(Capability::CaptureOutput));
    /// # Ok::<(), wasiport::Error>(())
    /// ```
    pub fn required_capabilities_with(&self, wasi: WasiImpl) -> Capabilities {
        let mut needed = self.required_capabilities();
        if wasi == WasiImpl::Portable {
            needed.remove(Capability::WasiPreview1);
            for served in Capability::SERVED_BY_PORTABLE_WASI {
                needed.remove(*served);
            }
            needed.insert(Capability::PortableWasi);
        }
        needed
    }

    /// The capabilities a backend needs to honour every setting of this configuration, with
    /// its own WASI.
    ///
    /// ```
    /// use wasiport::{Capability, RunConfig};
    /// let config = RunConfig::builder().fuel(1000).build()?;
    /// assert!(config.required_capabilities().contains(Capability::Fuel));
    /// # Ok::<(), wasiport::Error>(())
    /// ```
    pub fn required_capabilities(&self) -> Capabilities {
        let mut needed = Capabilities::empty();
        needed.insert(Capability::WasiPreview1);
        match self.stdin {
            Stdin::Empty => {}
            Stdin::Bytes(_) => needed.insert(Capability::StdinBytes),
            Stdin::Inherit => needed.insert(Capability::StdinInherit),
        }
        for mode in [self.stdout, self.stderr] {
            match mode {
                OutputMode::Capture { .. } => needed.insert(Capability::CaptureOutput),
                OutputMode::Inherit => needed.insert(Capability::InheritOutput),
                OutputMode::Discard => {}
            }
        }
        if !self.preopens.is_empty() {
            needed.insert(Capability::Preopens);
        }
        if self.preopens.iter().any(Preopen::is_read_only) {
            needed.insert(Capability::ReadOnlyPreopens);
        }
        if self.limits.fuel.is_some() {
            needed.insert(Capability::Fuel);
        }
        if self.limits.timeout.is_some() {
            needed.insert(Capability::Timeout);
        }
        if self.limits.max_memory_bytes.is_some() {
            needed.insert(Capability::MemoryLimit);
        }
        if !self.sockets.is_empty() {
            needed.insert(Capability::PreopenedSockets);
        }
        if !self.host_functions.is_empty() {
            needed.insert(Capability::HostFunctions);
        }
        if self.network != Network::None {
            needed.insert(Capability::LoopbackNetwork);
        }
        needed
    }

    /// Fails with [`Error::Unsupported`] naming the first setting `capabilities` cannot honour.
    /// Every adapter calls this first in [`Backend::run`](crate::Backend::run).
    ///
    /// ```
    /// use wasiport::{Capabilities, Capability, Error, RunConfig};
    /// let caps = Capabilities::from_iter([Capability::WasiPreview1, Capability::CaptureOutput]);
    /// let config = RunConfig::builder().fuel(10).build()?;
    /// let err = config.check_supported("toy", &caps).unwrap_err();
    /// assert!(matches!(err, Error::Unsupported { feature: Capability::Fuel, .. }));
    /// # Ok::<(), wasiport::Error>(())
    /// ```
    pub fn check_supported(
        &self,
        backend: &'static str,
        capabilities: &Capabilities,
    ) -> Result<(), Error> {
        let wasi = self.wasi_for(capabilities);
        if wasi == WasiImpl::Native && !self.sockets.is_empty() {
            return Err(Error::InvalidConfig(format!(
                "{backend}: preopened sockets are served by the portable WASI only \
                 (WasiImpl::Portable, --wasi portable)"
            )));
        }
        match self
            .required_capabilities_with(wasi)
            .iter()
            .find(|c| !capabilities.contains(*c))
        {
            Some(feature) => Err(Error::Unsupported { backend, feature }),
            None => Ok(()),
        }
    }
}

/// Builds a [`RunConfig`]; [`RunConfigBuilder::build`] checks the settings.
///
/// ```
/// use wasiport::RunConfig;
/// let err = RunConfig::builder().env("A=B", "c").build().unwrap_err();
/// assert!(err.to_string().contains("A=B"));
/// ```
#[derive(Debug, Clone)]
pub struct RunConfigBuilder {
    config: RunConfig,
}

impl RunConfigBuilder {
    /// Sets `argv[0]`, the name the guest sees itself called by.
    pub fn program_name(mut self, name: impl Into<String>) -> Self {
        self.config.argv[0] = name.into();
        self
    }

    /// Appends one argument.
    pub fn arg(mut self, arg: impl Into<String>) -> Self {
        self.config.argv.push(arg.into());
        self
    }

    /// Appends arguments.
    pub fn args<I, S>(mut self, args: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.config.argv.extend(args.into_iter().map(Into::into));
        self
    }

    /// Sets an environment variable; a later value for the same key replaces an earlier one.
    pub fn env(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        let (key, value) = (key.into(), value.into());
        self.config.env.retain(|(k, _)| *k != key);
        self.config.env.push((key, value));
        self
    }

    /// Preopens `host` as `guest` with the given access.
    pub fn preopen(mut self, preopen: Preopen) -> Self {
        self.config.preopens.push(preopen);
        self
    }

    /// Preopens `host` as `guest`, read-only.
    pub fn preopen_read_only(self, host: impl Into<PathBuf>, guest: impl Into<String>) -> Self {
        self.preopen(Preopen::new(host, guest, DirAccess::ReadOnly))
    }

    /// Preopens `host` as `guest`, read-write.
    pub fn preopen_read_write(self, host: impl Into<PathBuf>, guest: impl Into<String>) -> Self {
        self.preopen(Preopen::new(host, guest, DirAccess::ReadWrite))
    }

    /// Sets the guest's stdin.
    pub fn stdin(mut self, stdin: Stdin) -> Self {
        self.config.stdin = stdin;
        self
    }

    /// Sets where the guest's stdout goes.
    pub fn stdout(mut self, mode: OutputMode) -> Self {
        self.config.stdout = mode;
        self
    }

    /// Sets where the guest's stderr goes.
    pub fn stderr(mut self, mode: OutputMode) -> Self {
        self.config.stderr = mode;
        self
    }

    /// Sets all limits at once.
    pub fn limits(mut self, limits: Limits) -> Self {
        self.config.limits = limits;
        self
    }

    /// Sets the fuel budget.
    pub fn fuel(mut self, fuel: u64) -> Self {
        self.config.limits.fuel = Some(fuel);
        self
    }

    /// Sets the wall-clock timeout.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.config.limits.timeout = Some(timeout);
        self
    }

    /// Sets the cap on linear memory, in bytes.
    pub fn max_memory_bytes(mut self, bytes: u64) -> Self {
        self.config.limits.max_memory_bytes = Some(bytes);
        self
    }

    /// Hands the guest a listening TCP socket (an fd after the preopened directories) for
    /// `sock_accept`. Only the portable WASI serves sockets, on backends that declare
    /// [`Capability::PreopenedSockets`]; a run with native WASI is `Error::InvalidConfig`.
    pub fn preopen_socket(mut self, socket: SocketPreopen) -> Self {
        self.config.sockets.push(socket);
        self
    }

    /// Grants a component's `wasi:sockets` this network ([`Network::None`] by default), on
    /// backends that declare [`Capability::LoopbackNetwork`].
    pub fn network(mut self, network: Network) -> Self {
        self.config.network = network;
        self
    }

    /// Adds a host function the guest may import.
    pub fn host_function(mut self, function: HostFunction) -> Self {
        self.config.host_functions.push(function);
        self
    }

    /// Chooses the WASI implementation (by default, the backend's own where it has one).
    pub fn wasi(mut self, wasi: WasiImpl) -> Self {
        self.config.wasi = Some(wasi);
        self
    }

    /// Records every WASI call of the run in [`Outcome::trace`](crate::Outcome::trace). The
    /// trace is the portable WASI's: a traced run uses it unless native WASI is asked for,
    /// which [`build`](Self::build) refuses.
    pub fn trace(mut self, trace: bool) -> Self {
        self.config.trace = trace;
        self
    }

    /// Checks the settings and returns the configuration.
    ///
    /// Fails with [`Error::InvalidConfig`] for an empty program name, an argument or variable
    /// holding a NUL byte, an empty variable name or one holding `=`, an empty or duplicate guest
    /// path, a zero timeout, two host functions of the same name, or a trace with native WASI; and with [`Error::Io`] when a preopened host directory does not
    /// exist or is not a directory. Preopened host paths are made canonical.
    pub fn build(self) -> Result<RunConfig, Error> {
        let mut config = self.config;
        let invalid = |msg: String| Err(Error::InvalidConfig(msg));
        if config.argv[0].is_empty() {
            return invalid("the program name (argv[0]) is empty".into());
        }
        if let Some(a) = config.argv.iter().find(|a| a.contains('\0')) {
            return invalid(format!("argument {a:?} contains a NUL byte"));
        }
        for (k, v) in &config.env {
            if k.is_empty() {
                return invalid("an environment variable has an empty name".into());
            }
            if k.contains('=') || k.contains('\0') || v.contains('\0') {
                return invalid(format!(
                    "environment variable {k:?} has `=` or a NUL byte in its name, or a NUL in its value"
                ));
            }
        }
        if config.trace {
            match config.wasi {
                Some(WasiImpl::Native) => return invalid(TRACE_NEEDS_PORTABLE.into()),
                _ => config.wasi = Some(WasiImpl::Portable),
            }
        }
        if config.limits.timeout == Some(Duration::ZERO) {
            return invalid("the timeout is zero".into());
        }
        let mut names = std::collections::HashSet::new();
        for f in &config.host_functions {
            if !names.insert((f.module(), f.name())) {
                return invalid(format!(
                    "host function {}::{} is given twice",
                    f.module(),
                    f.name()
                ));
            }
        }
        let mut seen = std::collections::HashSet::new();
        for preopen in &mut config.preopens {
            if preopen.guest_path().is_empty() {
                return invalid(format!(
                    "the guest path for {} is empty",
                    preopen.host_path().display()
                ));
            }
            if !seen.insert(preopen.guest_path().to_string()) {
                return invalid(format!(
                    "guest path {:?} is preopened twice",
                    preopen.guest_path()
                ));
            }
            let host = preopen.host_path().to_path_buf();
            let canonical = std::fs::canonicalize(&host).map_err(|source| Error::Io {
                path: host.clone(),
                source,
            })?;
            if !canonical.is_dir() {
                return Err(Error::Io {
                    path: host,
                    source: std::io::Error::new(
                        std::io::ErrorKind::NotADirectory,
                        "a preopen must be a directory",
                    ),
                });
            }
            preopen.set_host_path(canonical);
        }
        Ok(config)
    }
}
