//! Mangled input: valid modules, spec files and expectation files with random bytes flipped,
//! inserted, removed or cut off, fed to every backend's compile and run and to the parsers. What
//! must hold: no panic, no hang past the run's timeout, and one clear error for what is refused.

use std::time::{Duration, Instant};

use serde::Serialize;
use wasiport::{Backend, Error, OutputMode, RunConfig};

use crate::fuzz::{Program, Rng};

/// What mangled modules did on one backend.
#[derive(Debug, Clone, Serialize)]
pub struct Mangled {
    /// The target, or the parser.
    pub target: String,
    /// Inputs tried.
    pub cases: usize,
    /// Modules that compiled and ran (to any end: an exit, a trap, the timeout), or texts that
    /// parsed.
    pub accepted: usize,
    /// Refused as invalid (`InvalidModule`, a parse error).
    pub refused: usize,
    /// Refused otherwise (missing imports, an instantiation error, ...), each one error.
    pub other_errors: usize,
    /// Panics: each one a defect.
    pub panicked: usize,
    /// Runs that went past their timeout by more than 5 s: each one a defect.
    pub hung: usize,
    /// The longest case, seconds.
    pub longest_s: f64,
    /// The first few panics and hangs, to reproduce them.
    pub defects: Vec<String>,
}

impl Mangled {
    fn new(target: &str) -> Self {
        Mangled {
            target: target.to_string(),
            cases: 0,
            accepted: 0,
            refused: 0,
            other_errors: 0,
            panicked: 0,
            hung: 0,
            longest_s: 0.0,
            defects: Vec::new(),
        }
    }

    /// Whether nothing panicked or hung.
    pub fn held(&self) -> bool {
        self.panicked == 0 && self.hung == 0
    }

    fn defect(&mut self, what: String) {
        if self.defects.len() < 5 {
            self.defects.push(what);
        }
    }
}

/// `bytes` with 1 to 8 random changes: a byte flipped, set to a boundary value, inserted or
/// removed, or the end cut off.
pub fn mangle(bytes: &[u8], rng: &mut Rng) -> Vec<u8> {
    let mut out = bytes.to_vec();
    for _ in 0..1 + rng.below(8) {
        let at = rng.below(out.len().max(1));
        match rng.below(5) {
            0 if !out.is_empty() => out[at] ^= 1 << rng.below(8),
            1 if !out.is_empty() => out[at] = rng.pick(&[0x00, 0x01, 0x7f, 0x80, 0xff]),
            2 => out.insert(at, rng.next_u64() as u8),
            3 if !out.is_empty() => {
                out.remove(at);
            }
            _ => out.truncate(at),
        }
    }
    out
}

/// The modules mangled: fuzz programs (WASI calls, data, loops, globals and helper functions).
fn originals() -> Vec<Vec<u8>> {
    (1..=16)
        .filter_map(|seed| wat::parse_str(Program::generate(seed, 8).to_wat()).ok())
        .collect()
}

/// `cases` mangled modules compiled and run on `backend`, each run within `timeout`.
pub fn modules(backend: &dyn Backend, cases: usize, seed: u64, timeout: Duration) -> Mangled {
    let originals = originals();
    let mut rng = Rng::new(seed);
    let mut found = Mangled::new(backend.name());
    for case in 0..cases {
        let bytes = mangle(&originals[case % originals.len()], &mut rng);
        let began = Instant::now();
        let ran = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            let config = RunConfig::builder()
                .stdout(OutputMode::default())
                .stderr(OutputMode::default())
                .timeout(timeout)
                .build()?;
            let module = backend.compile(&bytes)?;
            backend.run(&module, &config)
        }));
        let took = began.elapsed();
        found.cases += 1;
        found.longest_s = found.longest_s.max(took.as_secs_f64());
        match ran {
            Ok(Ok(_)) => found.accepted += 1,
            Ok(Err(Error::InvalidModule { .. })) => found.refused += 1,
            Ok(Err(_)) => found.other_errors += 1,
            Err(panic) => {
                found.panicked += 1;
                let message = wasiport::kit::panic_message(&*panic).to_string();
                found.defect(format!("case {case} (seed {seed}): panicked: {message}"));
            }
        }
        if took > timeout + Duration::from_secs(5) {
            found.hung += 1;
            found.defect(format!(
                "case {case} (seed {seed}): took {:.1} s",
                took.as_secs_f64()
            ));
        }
    }
    found
}

/// `cases` mangled copies of `text` given to `parse` (a spec's or an expectations file's).
pub fn parser<T, E>(
    name: &str,
    text: &str,
    parse: impl Fn(&str) -> Result<T, E>,
    cases: usize,
    seed: u64,
) -> Mangled {
    let mut rng = Rng::new(seed);
    let mut found = Mangled::new(name);
    for case in 0..cases {
        let bytes = mangle(text.as_bytes(), &mut rng);
        let text = String::from_utf8_lossy(&bytes);
        let began = Instant::now();
        let parsed =
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| parse(&text).is_ok()));
        found.cases += 1;
        found.longest_s = found.longest_s.max(began.elapsed().as_secs_f64());
        match parsed {
            Ok(true) => found.accepted += 1,
            Ok(false) => found.refused += 1,
            Err(panic) => {
                found.panicked += 1;
                let message = wasiport::kit::panic_message(&*panic).to_string();
                found.defect(format!("case {case} (seed {seed}): panicked: {message}"));
            }
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mangling_changes_the_bytes_and_the_same_seed_mangles_alike() {
        let original = b"\0asm\x01\0\0\0".to_vec();
        let (mut a, mut b) = (Rng::new(9), Rng::new(9));
        let once = mangle(&original, &mut a);
        assert_eq!(once, mangle(&original, &mut b));
        assert!((0..50).any(|_| mangle(&original, &mut a) != original));
    }
}
