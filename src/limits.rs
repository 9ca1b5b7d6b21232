//! Resource limits of one run.

use std::time::Duration;

/// Resource limits of one run. `None` means unlimited.
///
/// ```
/// use std::time::Duration;
/// use wasiport::Limits;
/// let limits = Limits {
///     fuel: Some(1_000_000),
///     timeout: Some(Duration::from_secs(5)),
///     max_memory_bytes: Some(64 << 20),
/// };
/// assert!(!limits.is_unlimited());
/// assert!(Limits::default().is_unlimited());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Limits {
    /// Units of work the guest may do before it ends with
    /// [`Termination::OutOfFuel`](crate::Termination::OutOfFuel). A unit is roughly one Wasm
    /// instruction; what exactly is counted differs between runtimes and is written down in
    /// each adapter's README.
    pub fuel: Option<u64>,
    /// Wall-clock time the guest may run before it ends with
    /// [`Termination::Timeout`](crate::Termination::Timeout). Time spent blocked in a host call
    /// (reading stdin, sleeping in `poll_oneoff`) may only be noticed when the call returns.
    pub timeout: Option<Duration>,
    /// The largest total size of linear memory, in bytes. `memory.grow` past it returns -1; a
    /// module whose initial memory is already larger ends with
    /// [`Termination::MemoryLimit`](crate::Termination::MemoryLimit) before it starts.
    pub max_memory_bytes: Option<u64>,
}

impl Limits {
    /// What an instance's calls may set: any fuel budget and any timeout, as each call's limits
    /// can change ([`Instance::set_limits`](crate::Instance::set_limits)). For
    /// [`ModuleCache::get_or_compile_for`](crate::ModuleCache::get_or_compile_for) ahead of
    /// [`Backend::instantiate`](crate::Backend::instantiate).
    pub const FOR_INSTANCES: Limits = Limits {
        fuel: Some(u64::MAX),
        timeout: Some(Duration::MAX),
        max_memory_bytes: None,
    };

    /// Whether no limit is set.
    pub fn is_unlimited(&self) -> bool {
        self.fuel.is_none() && self.timeout.is_none() && self.max_memory_bytes.is_none()
    }
}
