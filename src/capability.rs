//! What a backend declares it can do.

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
    /// Instantiates a module once and calls its exported functions many times, its state kept
    /// between calls ([`Backend::instantiate`](crate::Backend::instantiate)).
    Instances,
    /// Runs components (the component model), not only core modules.
    Components,
    /// Runs components of WASI 0.2 (`wasi:*@0.2.x`), `wasi:cli/command` among them.
    Wasi0_2,
    /// Runs components of WASI 0.3 (`wasi:*@0.3.x`, async).
    Wasi0_3,
    /// Gives a component `wasi:sockets`.
    WasiSockets,
    /// Gives a component `wasi:http`.
    WasiHttp,
    /// Lets a component's `wasi:sockets` reach loopback when the run grants it
    /// ([`Network::Loopback`](crate::Network::Loopback)); without it a backend may still give a
    /// component `wasi:sockets` ([`Capability::WasiSockets`]) that reaches nothing.
    LoopbackNetwork,
    /// Serves HTTP with a component's `wasi:http` handler (a `wasi:http/proxy` or
    /// `wasi:http/service`), each request in an instance of its own
    /// ([`Backend::serve_http`](crate::Backend::serve_http)).
    HttpService,
}

/// Every capability, in declaration order (a capability's bit is its place here): those of a
/// core module's run, then, from [`Capability::Components`] on, those only a component needs.
const ALL: [Capability; 23] = [
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
    Capability::Instances,
    Capability::Components,
    Capability::Wasi0_2,
    Capability::Wasi0_3,
    Capability::WasiSockets,
    Capability::WasiHttp,
    Capability::LoopbackNetwork,
    Capability::HttpService,
];

/// [`ALL`] split where the component capabilities begin.
const BY_KIND: (&[Capability], &[Capability]) = ALL.split_at(Capability::Components as usize);

impl Capability {
    /// Every capability, in a stable order: those of [`Capability::FOR_MODULES`], then those of
    /// [`Capability::FOR_COMPONENTS`].
    pub const ALL: &'static [Capability] = &ALL;

    /// Every capability of a run of a core module (WASI preview 1, limits, streams, host
    /// functions, ...): what a runtime without the component model can declare at most.
    ///
    /// ```
    /// use wasiport::Capability;
    /// assert!(!Capability::FOR_MODULES.contains(&Capability::Components));
    /// assert_eq!(Capability::FOR_MODULES, &Capability::ALL[..Capability::FOR_MODULES.len()]);
    /// ```
    pub const FOR_MODULES: &'static [Capability] = BY_KIND.0;

    /// What only a run of a component needs: the component model itself, a WASI line, and the
    /// WASI 0.2+ interfaces a backend may lack.
    pub const FOR_COMPONENTS: &'static [Capability] = BY_KIND.1;

    /// What the [portable WASI](crate::portable) does by itself for a run, over any runtime
    /// that links host functions: the standard streams and preopened directories. With it, a
    /// run needs none of these of the runtime.
    pub const SERVED_BY_PORTABLE_WASI: &'static [Capability] = &[
        Capability::StdinBytes,
        Capability::StdinInherit,
        Capability::CaptureOutput,
        Capability::InheritOutput,
        Capability::Preopens,
        Capability::ReadOnlyPreopens,
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
            Capability::Instances => "instances",
            Capability::Components => "components",
            Capability::Wasi0_2 => "wasi-0.2",
            Capability::Wasi0_3 => "wasi-0.3",
            Capability::WasiSockets => "wasi-sockets",
            Capability::WasiHttp => "wasi-http",
            Capability::LoopbackNetwork => "loopback-network",
            Capability::HttpService => "http-service",
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

/// The set of [`Capability`]s a backend declares (one bit per capability: asking whether a
/// run is supported costs no allocation).
///
/// ```
/// use wasiport::{Capabilities, Capability};
/// let caps = Capabilities::from_iter([Capability::WasiPreview1, Capability::Fuel]);
/// assert!(caps.contains(Capability::Fuel));
/// assert!(!caps.contains(Capability::Timeout));
/// assert_eq!(caps.to_string(), "wasi-preview1, fuel");
/// ```
#[derive(Clone, Copy, Default, PartialEq, Eq)]
pub struct Capabilities(u32);

impl Capabilities {
    /// No capability.
    pub const fn empty() -> Self {
        Capabilities(0)
    }

    fn bit(capability: Capability) -> u32 {
        1 << capability as u32
    }

    /// Whether `capability` is declared.
    pub fn contains(&self, capability: Capability) -> bool {
        self.0 & Capabilities::bit(capability) != 0
    }

    /// Adds `capability`.
    pub fn insert(&mut self, capability: Capability) {
        self.0 |= Capabilities::bit(capability);
    }

    /// Removes `capability`.
    pub fn remove(&mut self, capability: Capability) {
        self.0 &= !Capabilities::bit(capability);
    }

    /// Whether no capability is declared.
    pub fn is_empty(&self) -> bool {
        self.0 == 0
    }

    /// The declared capabilities, in [`Capability::ALL`] order.
    pub fn iter(&self) -> impl Iterator<Item = Capability> + '_ {
        Capability::ALL
            .iter()
            .copied()
            .filter(|c| self.contains(*c))
    }
}

impl FromIterator<Capability> for Capabilities {
    fn from_iter<I: IntoIterator<Item = Capability>>(iter: I) -> Self {
        let mut set = Capabilities::empty();
        for c in iter {
            set.insert(c);
        }
        set
    }
}

impl fmt::Debug for Capabilities {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set().entries(self.iter()).finish()
    }
}

impl fmt::Display for Capabilities {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<&str> = self.iter().map(Capability::as_str).collect();
        f.write_str(&names.join(", "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_capability_has_its_own_bit_and_iterates_in_declared_order() {
        assert!(Capability::ALL.len() <= 32);
        let all: Capabilities = Capability::ALL.iter().copied().collect();
        assert_eq!(all.iter().collect::<Vec<_>>(), Capability::ALL);
        // FOR_MODULES and FOR_COMPONENTS are split off ALL by a variant's number.
        for (i, c) in Capability::ALL.iter().enumerate() {
            assert_eq!(*c as usize, i, "{c}");
        }
        for c in Capability::ALL {
            let mut set = all;
            set.remove(*c);
            assert!(!set.contains(*c));
            assert_eq!(set.iter().count(), Capability::ALL.len() - 1, "{c}");
        }
    }
}
