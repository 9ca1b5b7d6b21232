//! The one error type.

use std::path::PathBuf;

use crate::{BackendId, Capability};

/// Why a module could not be compiled or a run could not happen.
///
/// How a guest *ended* — an exit code, a trap, a timeout — is not an error: it is the
/// [`Termination`](crate::Termination) of an [`Outcome`](crate::Outcome).
///
/// ```
/// use wasiport::Error;
/// let err = Error::MissingImports {
///     backend: "wasmi",
///     imports: vec!["env::host_log".into()],
/// };
/// assert_eq!(err.to_string(), "wasmi: the module imports what the host does not provide: env::host_log");
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The bytes are not a module the runtime accepts; `message` is the runtime's own.
    #[error("{backend}: invalid module: {message}")]
    InvalidModule {
        /// The backend's name.
        backend: &'static str,
        /// The runtime's message.
        message: String,
    },
    /// The module imports functions (or other items) the host does not provide.
    #[error("{backend}: the module imports what the host does not provide: {}", imports.join(", "))]
    MissingImports {
        /// The backend's name.
        backend: &'static str,
        /// Each missing import as `module::name`.
        imports: Vec<String>,
    },
    /// The backend cannot start on this machine: its runtime (a library, a program, a worker
    /// it runs in) is missing or broken; `reason` says which, in the runtime's words where it
    /// has any.
    #[error("{backend} is unavailable here: {reason}")]
    Unavailable {
        /// The backend's name.
        backend: &'static str,
        /// Why, and how to get it.
        reason: String,
    },
    /// The configuration needs a capability the backend does not have.
    #[error("{backend} does not support {feature}")]
    Unsupported {
        /// The backend's name.
        backend: &'static str,
        /// What it lacks.
        feature: Capability,
    },
    /// A host file or directory could not be used.
    #[error("{}: {source}", path.display())]
    Io {
        /// The host path.
        path: PathBuf,
        /// The operating system's error.
        source: std::io::Error,
    },
    /// A [`RunConfig`](crate::RunConfig) setting is malformed.
    #[error("invalid run configuration: {0}")]
    InvalidConfig(String),
    /// A module compiled by one backend value was given to another (of another runtime, or
    /// another engine of the same runtime).
    #[error("a module compiled by {compiled_by} cannot run on {backend}: compile it with the backend that runs it")]
    BackendMismatch {
        /// The backend value asked to run it.
        backend: BackendId,
        /// The backend value that compiled it.
        compiled_by: BackendId,
    },
    /// A module could not be instantiated: its start function trapped (or exited, or ran out of
    /// time or fuel), a data or element segment does not fit, its initial memory is over the
    /// memory limit. For [`Backend::run`](crate::Backend::run) too: the guest's `_start` never
    /// began. `message` is the
    /// runtime's own, or says which limit.
    #[error("{backend}: the module cannot be instantiated: {message}")]
    Instantiation {
        /// The backend's name.
        backend: &'static str,
        /// Why.
        message: String,
    },
    /// An [`Instance`](crate::Instance) has no export of that name and kind.
    #[error("{backend}: the instance exports no {kind} named `{name}`")]
    NoSuchExport {
        /// The backend's name.
        backend: &'static str,
        /// The name asked for.
        name: String,
        /// `"function"` or `"memory"`.
        kind: &'static str,
    },
    /// A call's arguments (or a typed call's result types) are not the function's.
    #[error("{backend}: {message}")]
    ArgumentMismatch {
        /// The backend's name.
        backend: &'static str,
        /// Which types were expected and given.
        message: String,
    },
    /// An earlier call of this [`Instance`](crate::Instance) ended the guest (a trap, an exit,
    /// a timeout, fuel run out), which may have left its state half-updated: it takes no more
    /// calls.
    #[error("{backend}: the instance takes no more calls: an earlier call ended it ({ended})")]
    InstanceUnusable {
        /// The backend's name.
        backend: &'static str,
        /// How that call ended.
        ended: crate::Termination,
    },
    /// A read or write of an instance's memory past its end.
    #[error("{backend}: {message}")]
    MemoryAccess {
        /// The backend's name.
        backend: &'static str,
        /// Which bytes, and the memory's size.
        message: String,
    },
    /// A module cache directory that others could write to: compiled code loaded from it runs
    /// as this program, so [`ModuleCache::with_dir`](crate::ModuleCache::with_dir) refuses it.
    #[error("{}: not used as a module cache: {reason} (code loaded from it runs as this program)", path.display())]
    UntrustedCacheDir {
        /// The directory.
        path: PathBuf,
        /// What makes it untrusted.
        reason: String,
    },
    /// The runtime failed in a way that is neither the guest's nor the caller's fault.
    #[error("{backend}: internal error: {message}")]
    Internal {
        /// The backend's name.
        backend: &'static str,
        /// The runtime's message.
        message: String,
    },
}

impl Error {
    /// For adapters: the guest ended (`ended`: a trap, an exit, a timeout, fuel run out) while
    /// the module was being instantiated — in its start function, or a segment that does not
    /// fit — so there is no instance: [`Error::Instantiation`], for [`Backend::run`] as for
    /// [`Backend::instantiate`]. (WebAssembly's instantiation runs the start function and fails
    /// when it traps; only the called function's end is a [`Termination`].)
    ///
    /// [`Backend::run`]: crate::Backend::run
    /// [`Backend::instantiate`]: crate::Backend::instantiate
    /// [`Termination`]: crate::Termination
    ///
    /// ```
    /// use wasiport::{Termination, Trap, TrapKind};
    /// let trap = Termination::Trap(Trap::new(TrapKind::Unreachable, "unreachable executed"));
    /// let e = wasiport::Error::ended_in_instantiation("toy", &trap);
    /// assert!(matches!(e, wasiport::Error::Instantiation { .. }));
    /// assert!(e.to_string().starts_with("toy: the module cannot be instantiated: the guest ended"));
    /// ```
    pub fn ended_in_instantiation(backend: &'static str, ended: &crate::Termination) -> Error {
        Error::Instantiation {
            backend,
            message: format!("the guest ended while it was instantiated: {ended}"),
        }
    }

    /// For adapters: an instance has no memory export named `name`.
    ///
    /// ```
    /// let e = wasiport::Error::no_memory("toy", "heap");
    /// assert_eq!(e.to_string(), "toy: the instance exports no memory named `heap`");
    /// ```
    pub fn no_memory(backend: &'static str, name: &str) -> Error {
        Error::NoSuchExport {
            backend,
            name: name.to_string(),
            kind: "memory",
        }
    }

    /// For adapters: the runtime refused a read or write of an instance's memory, with its
    /// message.
    pub fn memory_access(backend: &'static str, message: impl std::fmt::Display) -> Error {
        Error::MemoryAccess {
            backend,
            message: message.to_string(),
        }
    }
}
