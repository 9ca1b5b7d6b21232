//! Outcomes as JSON, and how outcomes on several backends differ.

use serde_json::{json, Value};
use wasiport::{Backend, Outcome, Termination};

/// One run's outcome as the JSON object `wasiport run --json` prints.
///
/// ```
/// use wasiport::{Outcome, Termination};
/// let backend = wasiport_conformance::backends::by_name("wasmi")?;
/// let v = wasiport_conformance::report::outcome_json(backend.as_ref(), &Outcome::new(Termination::Exited(2)));
/// assert_eq!(v["termination"], "exited");
/// assert_eq!(v["exit_code"], 2);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn outcome_json(backend: &dyn Backend, outcome: &Outcome) -> Value {
    let trap = outcome.termination.trap();
    json!({
        "backend": backend.name(),
        "runtime_version": backend.runtime_version(),
        "termination": outcome.termination.as_str(),
        "exit_code": outcome.exit_code(),
        "trap_kind": trap.map(|t| t.kind.as_str()),
        "message": match &outcome.termination {
            Termination::Exited(_) => None,
            Termination::Trap(t) => Some(t.message.clone()),
            other => Some(other.to_string()),
        },
        "backtrace": trap.and_then(|t| t.backtrace.clone()),
        "stdout": String::from_utf8_lossy(&outcome.stdout),
        "stderr": String::from_utf8_lossy(&outcome.stderr),
        "stdout_truncated": outcome.stdout_truncated,
        "stderr_truncated": outcome.stderr_truncated,
        "elapsed_ms": outcome.elapsed.as_secs_f64() * 1000.0,
        "fuel_consumed": outcome.fuel_consumed,
        "trace": outcome.trace.iter().map(ToString::to_string).collect::<Vec<_>>(),
    })
}

/// Where the outcomes of the same run on several backends differ: one line per difference,
/// comparing each backend with the first. Empty when they all agree. Trap messages, timings
/// and fuel counts are the runtimes' own and are not compared.
///
/// ```
/// use wasiport::{Outcome, Termination};
/// let a = Outcome::new(Termination::Exited(0));
/// let b = Outcome::new(Termination::Exited(1));
/// let diffs = wasiport_conformance::report::differences(&[("x", &a), ("y", &b)]);
/// assert_eq!(diffs, ["y: exited with code 1, x: exited with code 0"]);
/// ```
pub fn differences(outcomes: &[(&str, &Outcome)]) -> Vec<String> {
    let mut diffs = Vec::new();
    let Some(((first_name, first), rest)) = outcomes.split_first() else {
        return diffs;
    };
    for (name, outcome) in rest {
        if !outcome.termination.same_as(&first.termination) {
            diffs.push(format!(
                "{name}: {}, {first_name}: {}",
                outcome.termination, first.termination
            ));
        }
        for (stream, a, b) in [
            ("stdout", &outcome.stdout, &first.stdout),
            ("stderr", &outcome.stderr, &first.stderr),
        ] {
            if a != b {
                diffs.push(format!(
                    "{name}: {stream} {:?}, {first_name}: {stream} {:?}",
                    String::from_utf8_lossy(a),
                    String::from_utf8_lossy(b)
                ));
            }
        }
        // Traced runs: the first call where the traces part.
        let calls = outcome.trace.len().max(first.trace.len());
        if let Some(i) = (0..calls).find(|&i| outcome.trace.get(i) != first.trace.get(i)) {
            let call = |o: &Outcome| {
                o.trace
                    .get(i)
                    .map_or_else(|| "(no more calls)".to_string(), ToString::to_string)
            };
            diffs.push(format!(
                "{name}: WASI call {} {}, {first_name}: {}",
                i + 1,
                call(outcome),
                call(first)
            ));
        }
    }
    diffs
}
