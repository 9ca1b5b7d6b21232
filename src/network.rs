//! What network a component may reach through `wasi:sockets`.

/// The network a run grants a component's `wasi:sockets`: none by default.
///
/// A grant is for components: a preview-1 module opens no sockets of its own (give it a
/// [`SocketPreopen`](crate::SocketPreopen) instead), so a module run with a grant is
/// [`Error::InvalidConfig`](crate::Error::InvalidConfig).
///
/// ```
/// use wasiport::{Capability, Network, RunConfig};
/// let config = RunConfig::builder().network(Network::Loopback).build()?;
/// assert_eq!(config.network(), Network::Loopback);
/// assert!(config.required_capabilities().contains(Capability::LoopbackNetwork));
/// assert_eq!(RunConfig::default().network(), Network::None);
/// # Ok::<(), wasiport::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Network {
    /// No network: every socket address is refused.
    #[default]
    None,
    /// TCP and UDP to and from loopback addresses only (`127.0.0.0/8`, `::1`); no name lookup.
    Loopback,
}
