//! Differential fuzzing of WASI preview 1 across engines: programs made from a seed call
//! filesystem functions with arbitrary arguments on a scratch tree ([`Program`], [`Scratch`]);
//! each runs on a reference target and on every other; what a target does differently (an errno,
//! a value, bytes read, a trap, the tree it leaves, anything outside the preopen) is a
//! [`Divergence`], classified as mandated by the specification or implementation-defined, counted,
//! and shrunk to a small program ([`minimize`]) that can become a suite test.
//!
//! ```no_run
//! use wasiport_conformance::{backends, fuzz};
//! let reference = backends::by_name("wasmtime")?;
//! let targets = backends::select("wasmi,wasmer")?;
//! let report = fuzz::run(reference.as_ref(), &targets, &fuzz::Options::default(), &fuzz::Known::default());
//! println!("{} programs, {} findings", report.programs, report.findings.len());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod compare;
mod known;
mod minimize;
mod observe;
mod program;
mod report;
mod rng;
mod tree;

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use serde::Serialize;
use wasiport::Backend;

pub use compare::{
    compare, Class, Divergence, Kind, ENUM_OUT_OF_RANGE, ERRNO_CHOICE, OUT_OF_BOUNDS,
};
pub use known::{Known, KnownError};
pub use minimize::minimize;
pub use observe::{observe, End, Observation};
pub use program::{Fd, Op, Program, Text, Value, DATA, NOT_OPEN, PATHS, SLOTS};
pub use report::{console, markdown, suite_test};
pub use rng::Rng;
pub use tree::{Entry, Scratch, ENTRIES, OUTSIDE, PREOPEN};

/// How to fuzz.
#[derive(Debug, Clone)]
pub struct Options {
    /// The first program's seed; program `i` has seed `seed + i`.
    pub seed: u64,
    /// How many programs.
    pub programs: usize,
    /// Calls per program.
    pub calls: usize,
    /// Programs run at once.
    pub jobs: usize,
    /// The wall-clock limit of one run.
    pub timeout: Duration,
    /// Whether to shrink each mandated finding's first program.
    pub minimize: bool,
}

impl Default for Options {
    /// Seed 1, 100 programs of 16 calls, as many jobs as cores, 10 s a run, shrunk.
    fn default() -> Self {
        Options {
            seed: 1,
            programs: 100,
            calls: 16,
            jobs: std::thread::available_parallelism().map_or(1, |n| n.get()),
            timeout: Duration::from_secs(10),
            minimize: true,
        }
    }
}

/// What a fuzz run found.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// The reference target.
    pub reference: Runtime,
    /// The first seed.
    pub seed: u64,
    /// Programs run.
    pub programs: usize,
    /// Calls per program.
    pub calls: usize,
    /// Wall-clock seconds of the whole run.
    pub elapsed_s: f64,
    /// Each target's figures, in the order given.
    pub targets: Vec<TargetSummary>,
    /// Each distinct divergence of each target (by [`Divergence::signature`]), in the order of
    /// the targets, then first seen.
    pub findings: Vec<Finding>,
    /// Programs the reference itself could not run (a fault of the fuzzer), with why.
    pub reference_errors: Vec<String>,
}

/// A target's name and runtime version.
#[derive(Debug, Clone, Serialize)]
pub struct Runtime {
    /// The target's name.
    pub name: String,
    /// Its runtime's version.
    pub version: String,
}

/// One target's figures.
#[derive(Debug, Clone, Serialize)]
pub struct TargetSummary {
    /// Which target.
    #[serde(flatten)]
    pub runtime: Runtime,
    /// Programs that ran the same as on the reference.
    pub agreed: usize,
    /// Programs that diverged (each counted once, at its first divergence).
    pub diverged: usize,
    /// Of those, the ones whose divergence is implementation-defined.
    pub implementation_defined: usize,
    /// Of those, mandated ones recorded as known runtime facts.
    pub known: usize,
    /// Of those, mandated ones nobody has recorded: what the run is for.
    pub new: usize,
}

/// A distinct divergence of one target.
#[derive(Debug, Clone, Serialize)]
pub struct Finding {
    /// The target.
    pub target: String,
    /// What diverged.
    #[serde(flatten)]
    pub divergence: Divergence,
    /// How many programs showed it.
    pub occurrences: usize,
    /// The seed of the first program that showed it.
    pub seed: u64,
    /// The shrunk program's calls (mandated findings; the others, and all with minimizing off,
    /// show the first program as it is).
    pub program: Vec<String>,
    /// The known runtime fact it is, with why, if it is one.
    pub known: Option<String>,
    /// The shrunk program itself, to save as a test.
    #[serde(skip)]
    pub shrunk: Program,
}

impl Finding {
    /// Whether it is a mandated divergence nobody has recorded.
    pub fn is_new(&self) -> bool {
        self.divergence.class == Class::Mandated && self.known.is_none()
    }
}

/// Runs the program of `program` on `reference` and `target` and compares them.
pub fn check(
    reference: &dyn Backend,
    target: &dyn Backend,
    program: &Program,
    timeout: Duration,
) -> Option<Divergence> {
    let wasm = match wat::parse_str(program.to_wat()) {
        Ok(wasm) => wasm,
        Err(e) => {
            return Some(Divergence {
                call: None,
                function: "-",
                kind: Kind::Error,
                reference: "the program".into(),
                observed: format!("is not a module: {e}"),
                class: Class::Mandated,
            })
        }
    };
    let expected = observe(reference, &wasm, timeout);
    compare(program, &expected, &observe(target, &wasm, timeout))
}

/// Runs `options.programs` programs on `reference` and each of `targets`, and reports what
/// differs; `known` says which mandated divergences are recorded runtime facts.
pub fn run(
    reference: &dyn Backend,
    targets: &[Box<dyn Backend>],
    options: &Options,
    known: &Known,
) -> Report {
    let started = Instant::now();
    let next = AtomicUsize::new(0);
    // Per target: each signature's finding, and per-class program counts.
    let found: Mutex<Vec<HashMap<String, Finding>>> =
        Mutex::new(targets.iter().map(|_| HashMap::new()).collect());
    let agreed: Vec<AtomicUsize> = targets.iter().map(|_| AtomicUsize::new(0)).collect();
    let reference_errors = Mutex::new(Vec::new());
    std::thread::scope(|scope| {
        for _ in 0..options.jobs.max(1) {
            scope.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::SeqCst);
                if i >= options.programs {
                    break;
                }
                let seed = options.seed.wrapping_add(i as u64);
                let program = Program::generate(seed, options.calls);
                let wasm = match wat::parse_str(program.to_wat()) {
                    Ok(wasm) => wasm,
                    Err(e) => {
                        lock(&reference_errors).push(format!("seed {seed}: not a module: {e}"));
                        continue;
                    }
                };
                let expected = observe(reference, &wasm, options.timeout);
                if let End::Failed(message) = &expected.end {
                    lock(&reference_errors).push(format!("seed {seed}: {message}"));
                    continue;
                }
                for (t, target) in targets.iter().enumerate() {
                    let observed = observe(target.as_ref(), &wasm, options.timeout);
                    let Some(divergence) = compare(&program, &expected, &observed) else {
                        agreed[t].fetch_add(1, Ordering::Relaxed);
                        continue;
                    };
                    let mut found = lock(&found);
                    let finding =
                        found[t]
                            .entry(divergence.signature())
                            .or_insert_with(|| Finding {
                                target: target.name().to_string(),
                                known: known.why(target.name(), &divergence).map(str::to_string),
                                divergence,
                                occurrences: 0,
                                seed,
                                program: Vec::new(),
                                shrunk: program.clone(),
                            });
                    finding.occurrences += 1;
                    // The smallest seed first, whatever order the jobs ran in.
                    if seed < finding.seed {
                        finding.seed = seed;
                        finding.shrunk = program.clone();
                    }
                }
            });
        }
    });
    let found = found.into_inner().unwrap_or_else(|e| e.into_inner());
    let mut targets_summary = Vec::new();
    let mut findings: Vec<(usize, Finding)> = Vec::new();
    for (t, ((target, by_signature), agreed)) in targets.iter().zip(found).zip(agreed).enumerate() {
        let mut summary = TargetSummary {
            runtime: Runtime {
                name: target.name().to_string(),
                version: target.runtime_version().to_string(),
            },
            agreed: agreed.into_inner(),
            diverged: 0,
            implementation_defined: 0,
            known: 0,
            new: 0,
        };
        let mut mine: Vec<Finding> = by_signature.into_values().collect();
        mine.sort_by_key(|f| f.seed);
        for finding in &mine {
            summary.diverged += finding.occurrences;
            match (&finding.divergence.class, &finding.known) {
                (Class::ImplementationDefined(_), _) => {
                    summary.implementation_defined += finding.occurrences
                }
                (Class::Mandated, Some(_)) => summary.known += finding.occurrences,
                (Class::Mandated, None) => summary.new += finding.occurrences,
            }
        }
        targets_summary.push(summary);
        findings.extend(mine.into_iter().map(|f| (t, f)));
    }
    // Shrink the mandated findings (a rule explains the others), `jobs` at a time.
    if options.minimize {
        let next = AtomicUsize::new(0);
        let slots: Vec<Mutex<&mut (usize, Finding)>> =
            findings.iter_mut().map(Mutex::new).collect();
        std::thread::scope(|scope| {
            for _ in 0..options.jobs.max(1) {
                scope.spawn(|| {
                    while let Some(slot) = slots.get(next.fetch_add(1, Ordering::SeqCst)) {
                        let mut slot = lock(slot);
                        let (t, finding) = &mut **slot;
                        if finding.divergence.class != Class::Mandated {
                            continue;
                        }
                        let (target, signature) =
                            (targets[*t].as_ref(), finding.divergence.signature());
                        finding.shrunk =
                            minimize(&finding.shrunk, finding.divergence.call, |candidate| {
                                check(reference, target, candidate, options.timeout)
                                    .is_some_and(|d| d.signature() == signature)
                            });
                    }
                });
            }
        });
    }
    let findings = findings
        .into_iter()
        .map(|(_, mut finding)| {
            finding.program = finding.shrunk.calls.iter().map(Op::to_string).collect();
            finding
        })
        .collect();
    Report {
        reference: Runtime {
            name: reference.name().to_string(),
            version: reference.runtime_version().to_string(),
        },
        seed: options.seed,
        programs: options.programs,
        calls: options.calls,
        elapsed_s: started.elapsed().as_secs_f64(),
        targets: targets_summary,
        findings,
        reference_errors: reference_errors
            .into_inner()
            .unwrap_or_else(|e| e.into_inner()),
    }
}

/// A lock that a panicked job did not make unusable.
fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}
