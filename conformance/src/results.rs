//! Results of a conformance run, in wasi-testsuite's JSON result schema.
//!
//! ```json
//! {"results": [{"name": "fd_io", "runtime": {"name": "wasmtime", "version": "48.0.0"},
//!               "passed": 30, "failed": 1, "skipped": 0,
//!               "tests": [{"name": "...", "executed": true, "duration_s": 0.01,
//!                          "failures": ["..."], "status": "fail", "features": ["fd_write"]}]}]}
//! ```
//!
//! One entry per (backend, suite). `status` (pass, fail, skip, xfail, xpass, differs), `reason`
//! and `features` are wasiport's additions; readers of upstream reports ignore them, and reports
//! from upstream runs read here without them (`status` is then derived from `failures`). A test
//! that *differs* did what the specification leaves to the runtime, not what the test prefers:
//! it has no `failures` (an upstream reader sees it pass, and counts it in `passed`), and its
//! `reason` says what it did and why that is allowed.

use serde::{Deserialize, Serialize};

/// How one test ended, after the backend's expectations are applied.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// Passed, as expected.
    Pass,
    /// Failed, unexpectedly.
    Fail,
    /// Not run (an expectation says skip).
    Skip,
    /// Failed, as its expectation says.
    XFail,
    /// Passed although expected to fail.
    XPass,
    /// Did not do what the test expects, but one of the other behaviours the specification
    /// allows (the test is implementation-defined): not a failure.
    Differs,
}

impl Status {
    /// Whether CI should fail on it: an unexpected failure or an unexpected pass.
    pub fn is_unexpected(self) -> bool {
        matches!(self, Status::Fail | Status::XPass)
    }

    /// Whether the test passed, expected or not.
    pub fn passed(self) -> bool {
        matches!(self, Status::Pass | Status::XPass)
    }

    /// The lowercase name.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Pass => "pass",
            Status::Fail => "fail",
            Status::Skip => "skip",
            Status::XFail => "xfail",
            Status::XPass => "xpass",
            Status::Differs => "differs",
        }
    }
}

/// The runtime a result was produced on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Runtime {
    /// The backend's name.
    pub name: String,
    /// The runtime's version.
    pub version: String,
}

/// One test's result.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TestResult {
    /// The test's name.
    pub name: String,
    /// Whether it ran.
    pub executed: bool,
    /// How long it took, in seconds.
    pub duration_s: f64,
    /// What went wrong (empty when it passed).
    #[serde(default)]
    pub failures: Vec<String>,
    /// The outcome with expectations applied.
    #[serde(default)]
    pub status: Option<Status>,
    /// The expectation's reason, for skip, xfail and xpass.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// The WASI functions it exercises.
    #[serde(default, alias = "wasi_functions")]
    pub features: Vec<String>,
    /// For a test that failed (expectedly or not): what mandates what it expected, from its
    /// spec, so a reader can check the verdict against the specification.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mandated: Option<String>,
}

impl TestResult {
    /// The status, derived from `executed` and `failures` when a report did not record one.
    pub fn status(&self) -> Status {
        self.status.unwrap_or(if !self.executed {
            Status::Skip
        } else if self.failures.is_empty() {
            Status::Pass
        } else {
            Status::Fail
        })
    }
}

/// The results of one suite on one backend.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SuiteResult {
    /// The suite's name.
    pub name: String,
    /// Where it ran.
    pub runtime: Runtime,
    /// Tests that passed (expected or not), and those that differ.
    pub passed: usize,
    /// Tests that failed (expected or not).
    pub failed: usize,
    /// Tests not run.
    pub skipped: usize,
    /// Each test.
    pub tests: Vec<TestResult>,
}

impl SuiteResult {
    /// A suite result with the counts computed from `tests`.
    pub fn new(name: String, runtime: Runtime, tests: Vec<TestResult>) -> Self {
        let count = |f: fn(Status) -> bool| tests.iter().filter(|t| f(t.status())).count();
        SuiteResult {
            passed: count(|s| s.passed() || s == Status::Differs),
            failed: count(|s| matches!(s, Status::Fail | Status::XFail)),
            skipped: count(|s| s == Status::Skip),
            name,
            runtime,
            tests,
        }
    }
}

/// A whole report: every (backend, suite).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Report {
    /// One entry per (backend, suite).
    pub results: Vec<SuiteResult>,
}

impl Report {
    /// The backends in the report, in order of first appearance.
    pub fn backends(&self) -> Vec<&Runtime> {
        let mut seen: Vec<&Runtime> = Vec::new();
        for r in &self.results {
            if !seen.iter().any(|s| s.name == r.runtime.name) {
                seen.push(&r.runtime);
            }
        }
        seen
    }

    /// How many tests of `backend` ended with each status.
    pub fn count(&self, backend: &str, status: Status) -> usize {
        self.results
            .iter()
            .filter(|r| r.runtime.name == backend)
            .flat_map(|r| &r.tests)
            .filter(|t| t.status() == status)
            .count()
    }

    /// Every unexpected result as `backend suite/test: status`.
    pub fn unexpected(&self) -> Vec<String> {
        self.results
            .iter()
            .flat_map(|r| {
                r.tests
                    .iter()
                    .filter(|t| t.status().is_unexpected())
                    .map(move |t| {
                        format!(
                            "{} {}/{}: {}",
                            r.runtime.name,
                            r.name,
                            t.name,
                            t.status().as_str()
                        )
                    })
            })
            .collect()
    }

    /// Joins reports from separate runs (e.g. one CI job per backend).
    pub fn merge(reports: impl IntoIterator<Item = Report>) -> Report {
        Report {
            results: reports.into_iter().flat_map(|r| r.results).collect(),
        }
    }
}
