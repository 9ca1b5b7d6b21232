//! Serving HTTP with a component's `wasi:http` handler: how a server is told to stop, and what
//! it did.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// Tells a running [`Backend::serve_http`](crate::Backend::serve_http) to stop. Clones share
/// one flag: a signal handler, another thread or a test keeps a clone and calls
/// [`Shutdown::trigger`]; the server stops accepting connections, lets the requests it has
/// begun end, and returns.
///
/// ```
/// use wasiport::Shutdown;
/// let shutdown = Shutdown::new();
/// let seen_by_the_server = shutdown.clone();
/// assert!(!seen_by_the_server.is_triggered());
/// shutdown.trigger();
/// assert!(seen_by_the_server.is_triggered());
/// ```
#[derive(Debug, Clone, Default)]
pub struct Shutdown(Arc<AtomicBool>);

impl Shutdown {
    /// How often a server looks at the flag: the most a triggered shutdown waits to be seen.
    pub const POLL_INTERVAL: Duration = Duration::from_millis(20);

    /// A flag not yet triggered.
    pub fn new() -> Self {
        Shutdown::default()
    }

    /// Asks every holder's server to stop.
    pub fn trigger(&self) {
        self.0.store(true, Ordering::SeqCst);
    }

    /// Whether [`Shutdown::trigger`] was called on this flag or a clone of it.
    pub fn is_triggered(&self) -> bool {
        self.0.load(Ordering::SeqCst)
    }

    /// The flag itself, for code that sets it from a signal handler (setting an atomic is
    /// async-signal-safe).
    ///
    /// ```
    /// use std::sync::atomic::Ordering;
    /// let shutdown = wasiport::Shutdown::new();
    /// shutdown.flag().store(true, Ordering::SeqCst);
    /// assert!(shutdown.is_triggered());
    /// ```
    pub fn flag(&self) -> &Arc<AtomicBool> {
        &self.0
    }
}

/// What an HTTP server did, once it stopped: the requests it answered and the output its
/// instances wrote, where the run's [`OutputMode`](crate::OutputMode) captures it.
///
/// ```
/// let summary = wasiport::ServeSummary::default();
/// assert_eq!(summary.requests, 0);
/// assert_eq!(summary.failed, 0);
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ServeSummary {
    /// Requests handed to the guest.
    pub requests: u64,
    /// Of those, the ones the guest failed (a trap, an `error-code`, no response, a request
    /// past the timeout): each was answered `500 Internal Server Error`.
    pub failed: u64,
    /// What every instance wrote to stdout, in order, when it is captured.
    pub stdout: Vec<u8>,
    /// What every instance wrote to stderr, when it is captured.
    pub stderr: Vec<u8>,
}
