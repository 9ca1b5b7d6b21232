//! Shrinking a program that diverges to a small one that still diverges the same way.

use crate::fuzz::program::Program;

/// The smallest program found by dropping calls from `program` one at a time (the last first,
/// again while any drop succeeds) for which `diverges` still holds. The calls after `first`
/// (the index of the diverging call, when a call diverged) go at once: they ran after the
/// divergence.
///
/// ```
/// use wasiport_conformance::fuzz::{minimize, Program};
/// let program = Program::generate(3, 12);
/// let keep = program.calls[4].clone();
/// let small = minimize(&program, None, |p| p.calls.contains(&keep));
/// assert_eq!(small.calls, vec![keep]);
/// ```
pub fn minimize(
    program: &Program,
    first: Option<usize>,
    mut diverges: impl FnMut(&Program) -> bool,
) -> Program {
    let mut best = program.clone();
    if let Some(first) = first {
        let mut cut = best.clone();
        cut.calls.truncate(first + 1);
        if diverges(&cut) {
            best = cut;
        }
    }
    loop {
        let mut dropped = false;
        for i in (0..best.calls.len()).rev() {
            if best.calls.len() == 1 {
                break;
            }
            let mut candidate = best.clone();
            candidate.calls.remove(i.min(candidate.calls.len() - 1));
            if diverges(&candidate) {
                best = candidate;
                dropped = true;
            }
        }
        if !dropped {
            return best;
        }
    }
}
