//! Running a fuzz program on one target, and what it did: each call's line, how the run ended,
//! and the tree it left.

use std::time::Duration;

use wasiport::{Backend, Capability, OutputMode, RunConfig, Stdin, Termination};

use crate::fuzz::tree::{Scratch, PREOPEN};

/// What one run of a program did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Observation {
    /// The line of each call that returned, in order (`II EEEE ...`, see
    /// [`crate::fuzz::program`]).
    pub lines: Vec<String>,
    /// How the run ended.
    pub end: End,
    /// The scratch directory afterwards ([`Scratch::snapshot`]).
    pub tree: Vec<String>,
}

/// How a run ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum End {
    /// `_start` returned, or the guest exited with this code.
    Exited(i32),
    /// The guest trapped; the trap's kind (`out_of_bounds`, ...).
    Trapped(String),
    /// A limit stopped it (`timeout`, ...).
    Stopped(String),
    /// It could not be compiled or run at all: the error.
    Failed(String),
}

impl End {
    /// Short words for reports: `exit 0`, `trap (out_of_bounds)`, `timeout`, `error: ...`.
    pub fn describe(&self) -> String {
        match self {
            End::Exited(code) => format!("exit {code}"),
            End::Trapped(kind) => format!("trap ({kind})"),
            End::Stopped(what) => what.clone(),
            End::Failed(message) => format!("error: {message}"),
        }
    }
}

/// Runs `wasm` on `backend` once, on a fresh [`Scratch`] tree, with `timeout` where the backend
/// can stop a guest.
pub fn observe(backend: &dyn Backend, wasm: &[u8], timeout: Duration) -> Observation {
    let failed = |message: String| Observation {
        lines: Vec::new(),
        end: End::Failed(message),
        tree: Vec::new(),
    };
    let scratch = match Scratch::new() {
        Ok(scratch) => scratch,
        Err(e) => return failed(format!("the scratch tree: {e}")),
    };
    let mut config = RunConfig::builder()
        .program_name("fuzz.wasm")
        .stdin(Stdin::Empty)
        .stdout(OutputMode::default())
        .stderr(OutputMode::default())
        .preopen_read_write(scratch.preopen(), PREOPEN);
    if backend.capabilities().contains(Capability::Timeout) {
        config = config.timeout(timeout);
    }
    // A backend that panics is a finding of its own, not the end of the fuzz run.
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        config
            .build()
            .and_then(|config| Ok((backend.compile(wasm)?, config)))
            .and_then(|(module, config)| backend.run(&module, &config))
    }));
    let outcome = match outcome {
        Ok(outcome) => outcome,
        Err(panic) => {
            let message = wasiport::kit::panic_message(&*panic);
            return failed(format!("{} panicked: {message}", backend.name()));
        }
    };
    let outcome = match outcome {
        Ok(outcome) => outcome,
        // The scratch directory's name differs from run to run; the same failure should not.
        Err(e) => return failed(scratch.hide_path(&e.to_string())),
    };
    let end = match &outcome.termination {
        Termination::Exited(code) => End::Exited(*code),
        Termination::Trap(trap) => End::Trapped(trap.kind.as_str().to_string()),
        other => End::Stopped(other.as_str().to_string()),
    };
    let tree = match scratch.snapshot() {
        Ok(tree) => tree,
        Err(e) => {
            let message = scratch.hide_path(&e.to_string());
            return failed(format!("reading the tree the run left: {message}"));
        }
    };
    Observation {
        lines: String::from_utf8_lossy(&outcome.stdout)
            .lines()
            .map(str::to_string)
            .collect(),
        end,
        tree,
    }
}
