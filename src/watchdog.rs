//! A timer thread that calls a function when a run's time is up. For adapters.

use std::io;
use std::sync::mpsc;
use std::thread::JoinHandle;
use std::time::Duration;

/// Calls a function once after a timeout, unless dropped first. Dropping it cancels the call
/// and joins the thread, so nothing outlives the run it guards.
///
/// ```
/// use std::sync::{atomic::{AtomicBool, Ordering}, Arc};
/// use std::time::Duration;
/// use wasiport::watchdog::Watchdog;
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
