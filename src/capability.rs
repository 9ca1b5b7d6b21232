//! What a backend declares it can do.

use std::collections::BTreeSet;
use std::fmt;

/// One thing a backend can do. A [`RunConfig`](crate::RunConfig) that needs a capability the
/// backend does not declare is refused with [`Error::Unsupported`](crate::Error::Unsupported).
///
/// ```
/// use wasiport::Capability;
/// assert_eq!(Capability::Fuel.as_str(), "fuel");
/// assert_eq!("timeout".parse::<Capability>(), Ok(Capability::Timeout));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum Capability {
    /// Runs `wasi_snapshot_preview1` command modules with the runtime's own WASI
    /// ([`WasiImpl::Native`](crate::WasiImpl::Native)).
    WasiPreview1,
    /// Counts executed work in fuel units and stops the guest when a budget runs out.
    Fuel,
    /// Stops a running guest after a wall-clock timeout.
    Timeout,
    /// Caps linear memory: `memory.grow` past the cap returns -1.
    MemoryLimit,
    /// Feeds the guest's stdin from bytes given in the configuration.
    StdinBytes,
    /// Gives the guest the host process's stdin.
    StdinInherit,
    /// Captures stdout and stderr into the [`Outcome`](crate::Outcome).
    CaptureOutput,
    /// Lets the guest write to the host process's stdout and stderr.
    InheritOutput,
    /// Preopens host directories.
    Preopens,
    /// Preopens directories read-only, refusing every write, create, rename and delete.
    ReadOnlyPreopens,
    /// Reports the Wasm call stack of a trap.
    TrapBacktrace,
    /// Links [`HostFunction`](crate::HostFunction)s given in the configuration.
    HostFunctions,
    /// Runs the [portable WASI](crate::portable) ([`WasiImpl::Portable`](crate::WasiImpl)),
    /// which needs nothing of the runtime but host functions.
    PortableWasi,
    /// Saves compiled code as bytes and loads it again ([`Backend::serialize`](crate::Backend::serialize)):
    /// the [`ModuleCache`](crate::ModuleCache) keeps it on disk.
    SerializedModules,
    /// Hands preopened TCP listeners ([`SocketPreopen`](crate::SocketPreopen)) to the guest,
    /// through the portable WASI (no runtime's own WASI does here).
    PreopenedSockets,
}

impl Capability {
    /// Every capability, in a stable order.
    pub const ALL: &'static [Capability] = &[
        Capability::WasiPreview1,
        Capability::Fuel,
        Capability::Timeout,
        Capability::MemoryLimit,
        Capability::StdinBytes,
        Capability::StdinInherit,
        Capability::CaptureOutput,
        Capability::InheritOutput,
        Capability::Preopens,
        Capability::ReadOnlyPreopens,
        Capability::TrapBacktrace,
        Capability::HostFunctions,
        Capability::PortableWasi,
        Capability::SerializedModules,
        Capability::PreopenedSockets,
    ];

    /// The capability's stable name, as printed by `wasiport backends`.
    pub fn as_str(self) -> &'static str {
        match self {
            Capability::WasiPreview1 => "wasi-preview1",
            Capability::Fuel => "fuel",
            Capability::Timeout => "timeout",
            Capability::MemoryLimit => "memory-limit",
            Capability::StdinBytes => "stdin-bytes",
            Capability::StdinInherit => "stdin-inherit",
            Capability::CaptureOutput => "capture-output",
            Capability::InheritOutput => "inherit-output",
            Capability::Preopens => "preopens",
            Capability::ReadOnlyPreopens => "read-only-preopens",
            Capability::TrapBacktrace => "trap-backtrace",
            Capability::HostFunctions => "host-functions",
            Capability::PortableWasi => "portable-wasi",
            Capability::SerializedModules => "serialized-modules",
            Capability::PreopenedSockets => "preopened-sockets",
        }
    }
}

impl fmt::Display for Capability {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for Capability {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Capability::ALL
            .iter()
            .copied()
            .find(|c| c.as_str() == s)
            .ok_or_else(|| format!("unknown capability `{s}`"))
    }
}

/// The set of [`Capability`]s a backend declares.
///
/// ```
/// use wasiport::{Capabilities, Capability};
/// let caps = Capabilities::from_iter([Capability::WasiPreview1, Capability::Fuel]);
/// assert!(caps.contains(Capability::Fuel));
/// assert!(!caps.contains(Capability::Timeout));
/// assert_eq!(caps.to_string(), "wasi-preview1, fuel");
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Capabilities(BTreeSet<Capability>);

impl Capabilities {
    /// Whether `capability` is declared.
    pub fn contains(&self, capability: Capability) -> bool {
        self.0.contains(&capability)
    }

    /// The declared capabilities, in [`Capability::ALL`] order.
    pub fn iter(&self) -> impl Iterator<Item = Capability> + '_ {
        self.0.iter().copied()
    }
}

impl FromIterator<Capability> for Capabilities {
    fn from_iter<I: IntoIterator<Item = Capability>>(iter: I) -> Self {
        Capabilities(iter.into_iter().collect())
    }
}

impl fmt::Display for Capabilities {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<&str> = self.iter().map(Capability::as_str).collect();
        f.write_str(&names.join(", "))
    }
}
