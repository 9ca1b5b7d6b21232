//! Which backend value a compiled module belongs to.

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};

/// A backend value's identity: its name and a number no other backend value made in this
/// process has.
///
/// Compiled code belongs to the engine of the backend value that compiled it, not to its
/// runtime: two `Wasmtime` values are two engines, and a module of one cannot run on the other.
/// So each backend value makes one `BackendId` when it is made (its clones share it, as they
/// share its engine), stamps it on every [`CompiledModule`](crate::CompiledModule) it compiles,
/// and refuses a module with another with [`Error::BackendMismatch`](crate::Error). The
/// [`ModuleCache`](crate::ModuleCache) keys its memory on it.
///
/// ```
/// use wasiport::BackendId;
/// let (a, b) = (BackendId::new("wasmi"), BackendId::new("wasmi"));
/// assert_ne!(a, b);
/// assert_eq!(a.name(), "wasmi");
/// assert!(a.to_string().starts_with("wasmi #"));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct BackendId {
    name: &'static str,
    serial: u64,
}

impl BackendId {
    /// A new identity for a backend value called `name`.
    pub fn new(name: &'static str) -> Self {
        static NEXT: AtomicU64 = AtomicU64::new(1);
        BackendId {
            name,
            serial: NEXT.fetch_add(1, Ordering::Relaxed),
        }
    }

    /// The backend's name, e.g. `"wasmtime"`.
    pub fn name(self) -> &'static str {
        self.name
    }

    /// The number that tells this backend value from the others of this process.
    pub fn serial(self) -> u64 {
        self.serial
    }
}

/// The name and the serial: `wasmtime #3`.
impl fmt::Display for BackendId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} #{}", self.name, self.serial)
    }
}
