//! What a V8 runner reports of one run, and the [`Outcome`] it makes.

use std::time::Duration;

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;
use serde::Deserialize;
use wasiport::{Error, Outcome, Termination};

/// How a run went, as the runner's JavaScript reports it.
#[derive(Debug, Deserialize)]
pub struct Report {
    /// How the guest ended.
    pub termination: Ended,
    /// Instantiation and run, as the runner timed them.
    pub elapsed_ms: f64,
    /// Captured stdout.
    pub stdout: Captured,
    /// Captured stderr.
    pub stderr: Captured,
    /// What was left of a metered run's fuel (a decimal `i64`; below zero, it ran out).
    #[serde(default)]
    pub fuel_left: Option<String>,
}

/// How the guest ended, as the runner saw it (`trapped()` of `js/guest.mjs`).
#[derive(Debug, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Ended {
    /// `proc_exit(code)`, or `_start` returned (0).
    Exited {
        /// The exit code.
        code: i32,
    },
    /// What `_start` threw: a `WebAssembly.RuntimeError`, a `RangeError` for the call stack,
    /// an uncaught Wasm exception, or what the WASI threw.
    Trap {
        /// The error's class.
        name: String,
        /// Its message.
        message: String,
        /// Its `stack`, for the backtrace.
        stack: String,
    },
    /// The runner stopped the guest at its timeout.
    Timeout,
    /// The worker died under the guest.
    Crash {
        /// What the runner saw.
        message: String,
    },
    /// The guest ended while it was instantiated (in a start function): there is no
    /// instance, and no run ([`Error::Instantiation`]).
    Instantiation {
        /// How it ended.
        ended: Box<Ended>,
    },
    /// The run could not start (a link error, a preopen that could not be opened, ...).
    Error {
        /// What the engine said.
        message: String,
    },
}

impl Ended {
    /// How the guest ended, given what was left of a metered run's fuel (`left`: a trap with
    /// it below zero ran out); an end before the guest ran is `backend`'s error.
    fn termination(self, backend: &'static str, left: Option<i64>) -> Result<Termination, Error> {
        let internal = |message: String| Error::Internal { backend, message };
        Ok(match self {
            Ended::Trap { .. } if left.is_some_and(|l| l < 0) => Termination::OutOfFuel,
            Ended::Exited { code } => Termination::Exited(code),
            Ended::Trap {
                name,
                message,
                stack,
            } => Termination::Trap(crate::trap(&name, &message, &stack)),
            Ended::Timeout => Termination::Timeout,
            Ended::Instantiation { ended } => {
                let ended = ended.termination(backend, left)?;
                return Err(Error::ended_in_instantiation(backend, &ended));
            }
            Ended::Crash { message } => {
                return Err(internal(format!("the guest's worker died: {message}")))
            }
            Ended::Error { message } => return Err(internal(message)),
        })
    }
}

/// A captured stream.
#[derive(Debug, Deserialize)]
pub struct Captured {
    /// The bytes kept, base64; empty unless captured.
    pub data: String,
    /// Whether more came than the capture limit kept.
    pub truncated: bool,
}

impl Report {
    /// The [`Outcome`] of a run given `fuel` (the budget of a metered run); a run that never
    /// started, or whose worker died, is an [`Error::Internal`] of `backend`. A metered run that
    /// trapped with its counter below zero ran out of fuel.
    ///
    /// ```
    /// let report: wasiport_v8::Report = serde_json::from_str(r#"{
    ///     "termination": {"kind": "exited", "code": 3}, "elapsed_ms": 1.5,
    ///     "stdout": {"data": "aGk=", "truncated": false}, "stderr": {"data": "", "truncated": true}}"#)?;
    /// let outcome = report.into_outcome("node", None)?;
    /// assert_eq!(outcome.exit_code(), Some(3));
    /// assert_eq!(outcome.stdout, b"hi");
    /// assert!(outcome.stderr_truncated);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn into_outcome(self, backend: &'static str, fuel: Option<u64>) -> Result<Outcome, Error> {
        let internal = |message: String| Error::Internal { backend, message };
        let left = match (&self.fuel_left, fuel) {
            (Some(left), Some(_)) => Some(left.parse::<i64>().map_err(|e| {
                internal(format!(
                    "the runner sent a fuel count that is not a number: {e}"
                ))
            })?),
            _ => None,
        };
        let termination = self.termination.termination(backend, left)?;
        let decode = |what: &str, data: &str| {
            BASE64
                .decode(data)
                .map_err(|e| internal(format!("the runner sent {what} that is not base64: {e}")))
        };
        let mut outcome = Outcome::new(termination);
        outcome.stdout = decode("stdout", &self.stdout.data)?;
        outcome.stdout_truncated = self.stdout.truncated;
        outcome.stderr = decode("stderr", &self.stderr.data)?;
        outcome.stderr_truncated = self.stderr.truncated;
        outcome.elapsed = Duration::from_secs_f64(self.elapsed_ms.max(0.0) / 1000.0);
        outcome.fuel_consumed = match (fuel, left) {
            (Some(budget), Some(left)) => Some(budget.saturating_sub(left.max(0) as u64)),
            _ => None,
        };
        Ok(outcome)
    }
}
