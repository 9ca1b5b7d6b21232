//! `--trace`: every WASI call of a run, with its arguments and its errno, in one format on
//! every engine.

use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};

use crate::HostValue;

/// One WASI call of a traced run.
///
/// Displayed as `name(arguments) = errno (its name)`, or `name(code)` for `proc_exit`, which
/// does not return; `i32` arguments (pointers, fds, lengths) show unsigned, `i64` signed.
///
/// ```
/// use wasiport::{HostValue, TraceEvent};
/// let e = TraceEvent::new("fd_close", &[HostValue::I32(9)], Some((8, "badf")));
/// assert_eq!(e.to_string(), "fd_close(9) = 8 (badf)");
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct TraceEvent {
    /// The function, e.g. `fd_write`.
    pub function: &'static str,
    /// Its arguments as the guest passed them.
    pub args: Vec<HostValue>,
    /// The errno it returned (number and name), `None` for `proc_exit`.
    pub errno: Option<(u16, &'static str)>,
}

impl TraceEvent {
    /// A call of `function` with `args` that returned `errno`.
    pub fn new(
        function: &'static str,
        args: &[HostValue],
        errno: Option<(u16, &'static str)>,
    ) -> Self {
        TraceEvent {
            function,
            args: args.to_vec(),
            errno,
        }
    }
}

impl fmt::Display for TraceEvent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}(", self.function)?;
        for (i, arg) in self.args.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            match arg {
                HostValue::I32(v) => write!(f, "{}", *v as u32)?,
                HostValue::I64(v) => write!(f, "{v}")?,
                HostValue::F32(v) => write!(f, "{v}")?,
                HostValue::F64(v) => write!(f, "{v}")?,
            }
        }
        f.write_str(")")?;
        if let Some((code, name)) = self.errno {
            write!(f, " = {code} ({name})")?;
        }
        Ok(())
    }
}

/// Where a run's [`TraceEvent`]s are collected: shared by its WASI and its outcome.
///
/// ```
/// use wasiport::{TraceEvent, TraceLog};
/// let log = TraceLog::new();
/// log.push(TraceEvent::new("sched_yield", &[], Some((0, "success"))));
/// assert_eq!(log.events().len(), 1);
/// ```
#[derive(Debug, Clone, Default)]
pub struct TraceLog(Arc<Mutex<Vec<TraceEvent>>>);

impl TraceLog {
    /// An empty log.
    pub fn new() -> Self {
        TraceLog::default()
    }

    /// Appends one call.
    pub fn push(&self, event: TraceEvent) {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(event);
    }

    /// Everything logged so far.
    pub fn events(&self) -> Vec<TraceEvent> {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Everything logged so far, moved out of the log (which is left empty).
    pub fn take(&self) -> Vec<TraceEvent> {
        std::mem::take(&mut *self.0.lock().unwrap_or_else(PoisonError::into_inner))
    }
}
