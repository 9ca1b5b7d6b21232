//! Whether a run that missed its test's expectation did something else the WASI specification
//! allows: the test is then *implementation-defined* ([`ImplementationDefined`]) and the run
//! [`Status::Differs`](crate::results::Status::Differs) rather than fails.

use wasiport::Termination;

use crate::spec::{Behaviour, ImplementationDefined};

/// Which of `defined`'s other behaviours a run that ended with `termination` and wrote
/// `stderr` showed, in words; `None` when it showed none of them (a real failure).
///
/// ```
/// use wasiport::{Termination, Trap, TrapKind};
/// use wasiport_conformance::spec::{Behaviour, ImplementationDefined};
/// use wasiport_conformance::verdict::differs;
///
/// let defined = ImplementationDefined {
///     why: "preview 1 does not say".into(),
///     also: vec![Behaviour::Trap, Behaviour::Errno],
/// };
/// let trap = Termination::Trap(Trap::new(TrapKind::MemoryOutOfBounds, "out of bounds"));
/// assert!(differs(&defined, &trap, "").unwrap().contains("out of bounds"));
/// let other = "line 42: __wasi_args_get(argv, past_end()): expected errno 21, got 78\n";
/// assert_eq!(differs(&defined, &Termination::Exited(1), other).unwrap(), "returned errno 78");
/// // Success where an error was expected, or another failed check, is no other behaviour.
/// let success = "line 42: __wasi_args_get(argv, past_end()): expected errno 21, got 0\n";
/// assert_eq!(differs(&defined, &Termination::Exited(1), success), None);
/// assert_eq!(differs(&defined, &Termination::Exited(1), "line 7: n == 3\n"), None);
/// let told = ImplementationDefined { why: "".into(), also: vec![Behaviour::ExitCode(3)] };
/// assert!(differs(&told, &Termination::Exited(3), "").is_some());
/// assert_eq!(differs(&told, &Termination::Exited(1), ""), None);
/// let failing = ImplementationDefined { why: "".into(), also: vec![Behaviour::Failure] };
/// assert!(differs(&failing, &Termination::Exited(2), "").is_some());
/// assert_eq!(differs(&failing, &Termination::Exited(0), ""), None);
/// ```
pub fn differs(
    defined: &ImplementationDefined,
    termination: &Termination,
    stderr: &str,
) -> Option<String> {
    defined
        .also
        .iter()
        .find_map(|behaviour| match (behaviour, termination) {
            (Behaviour::Trap, Termination::Trap(_)) => Some(termination.to_string()),
            (Behaviour::Errno, Termination::Exited(code)) if *code != 0 => {
                let errnos: Option<Vec<&str>> = stderr
                    .lines()
                    .filter(|line| !line.trim().is_empty())
                    .map(other_errno)
                    .collect();
                errnos
                    .filter(|e| !e.is_empty())
                    .map(|e| format!("returned errno {}", e.join(", ")))
            }
            (Behaviour::Failure, Termination::Exited(code)) if *code != 0 => {
                Some(format!("exited with {code}, another failing status"))
            }
            (Behaviour::ExitCode(allowed), Termination::Exited(code)) if code == allowed => Some(
                format!("exited with {code}, the guest's sign of the other behaviour"),
            ),
            _ => None,
        })
}

/// The errno `G` of the harness's line `line N: CALL: expected errno E, got G` (see
/// `conformance/suite-src/check.h`), when it is an error (not 0).
fn other_errno(line: &str) -> Option<&str> {
    let (_, rest) = line.split_once(": expected errno ")?;
    let (_, got) = rest.rsplit_once(", got ")?;
    let got = got.trim();
    (got.parse::<u32>().ok()? != 0).then_some(got)
}
