//! TCP listeners handed to the guest as preopened sockets (WASI preview 1 cannot open or bind
//! one itself: it accepts on what it is given).

use std::fmt;
use std::net::TcpListener;
use std::sync::Arc;

/// A listening TCP socket the guest gets as an fd after the preopened directories, for
/// `sock_accept`. Only the [portable WASI](crate::portable) serves these
/// ([`Capability::PreopenedSockets`](crate::Capability::PreopenedSockets)).
///
/// ```
/// let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
/// let socket = wasiport::SocketPreopen::new(listener);
/// assert!(socket.local_addr()?.ip().is_loopback());
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Clone)]
pub struct SocketPreopen(Arc<TcpListener>);

impl SocketPreopen {
    /// Hands `listener` to runs (each gets its own handle to the same socket).
    pub fn new(listener: TcpListener) -> Self {
        SocketPreopen(Arc::new(listener))
    }

    /// The address the socket listens on.
    pub fn local_addr(&self) -> std::io::Result<std::net::SocketAddr> {
        self.0.local_addr()
    }

    /// A handle of the listener for one run.
    pub fn listener(&self) -> std::io::Result<TcpListener> {
        self.0.try_clone()
    }
}

impl fmt::Debug for SocketPreopen {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("SocketPreopen")
            .field(&self.0.local_addr().ok())
            .finish()
    }
}

/// The same socket.
impl PartialEq for SocketPreopen {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

impl Eq for SocketPreopen {}
