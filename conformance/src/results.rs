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
//! from upstream runs read here without them (`status` is then derived from `failures`).
//! wasi-testsuite's own runner writes one runtime for the whole file (`runtime` and `execution`
//! at the top, `wasi_functions` for features); such a file is read as the same [`Report`], and
//! [`Report::imported`] marks it as a run made elsewhere. A test
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
    /// Set when the results were not measured here but read from another run's file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub imported: Option<Imported>,
}

impl Runtime {
    /// A runtime whose results were measured here.
    ///
    /// ```
    /// let r = wasiport_conformance::results::Runtime::new("wasmtime", "48.0.0");
    /// assert_eq!(r.label(), "wasmtime 48.0.0");
    /// ```
    pub fn new(name: impl Into<String>, version: impl Into<String>) -> Self {
        Runtime {
            name: name.into(),
            version: version.into(),
            imported: None,
        }
    }

    /// `name version`, with `(imported)` after it for results read from elsewhere.
    pub fn label(&self) -> String {
        match &self.imported {
            Some(_) => format!("{} {} (imported)", self.name, self.version),
            None => format!("{} {}", self.name, self.version),
        }
    }
}

/// Where imported results come from: never presented as measured here.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Imported {
    /// Where the file came from (a URL, a CI run), as the user said; else the file's path.
    pub source: String,
    /// When the run was made (its file's `execution.start_timestamp`), or as the user said.
    pub date: String,
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
#[serde(try_from = "ReportFile")]
pub struct Report {
    /// One entry per (backend, suite).
    pub results: Vec<SuiteResult>,
}

/// A report file as either runner writes it: wasiport's (a runtime per suite) or wasi-testsuite's
/// (one runtime, and the run's times, for the file).
#[derive(Deserialize)]
struct ReportFile {
    #[serde(default)]
    runtime: Option<Runtime>,
    #[serde(default)]
    execution: Option<Execution>,
    results: Vec<SuiteFile>,
}

#[derive(Deserialize)]
struct Execution {
    #[serde(default)]
    start_timestamp: Option<String>,
}

#[derive(Deserialize)]
struct SuiteFile {
    name: String,
    #[serde(default)]
    runtime: Option<Runtime>,
    tests: Vec<TestResult>,
}

impl TryFrom<ReportFile> for Report {
    type Error = String;

    fn try_from(file: ReportFile) -> Result<Self, String> {
        let results = file
            .results
            .into_iter()
            .map(|suite| {
                let runtime = suite
                    .runtime
                    .or_else(|| file.runtime.clone())
                    .ok_or_else(|| {
                        format!(
                            "suite `{}` names no runtime, and neither does the file",
                            suite.name
                        )
                    })?;
                Ok(SuiteResult::new(suite.name, runtime, suite.tests))
            })
            .collect::<Result<Vec<_>, String>>()?;
        let mut report = Report { results };
        // A file of wasi-testsuite's runner is another runner's run: imported, on its date.
        if let Some(start) = file.execution.and_then(|e| e.start_timestamp) {
            report.set_imported(None, Some(&start));
        }
        Ok(report)
    }
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

    /// Joins reports from separate runs (e.g. one CI job per backend). A test with no
    /// `features` (an upstream runner's) takes those of a test of the same suite and name in
    /// another report, so that imported columns fill the same rows.
    ///
    /// ```
    /// use wasiport_conformance::results::*;
    /// let test = |features: Vec<String>| TestResult {
    ///     name: "t".into(), executed: true, duration_s: 0.0, failures: vec![],
    ///     status: None, reason: None, features, mandated: None,
    /// };
    /// let ours = Report { results: vec![SuiteResult::new("s".into(),
    ///     Runtime::new("wasmtime", "48"), vec![test(vec!["fd_write".into()])])] };
    /// let theirs = Report { results: vec![SuiteResult::new("s".into(),
    ///     Runtime::new("wamr", "2"), vec![test(vec![])])] };
    /// let merged = Report::merge([ours, theirs]);
    /// assert_eq!(merged.results[1].tests[0].features, ["fd_write"]);
    /// ```
    pub fn merge(reports: impl IntoIterator<Item = Report>) -> Report {
        let mut merged = Report {
            results: reports.into_iter().flat_map(|r| r.results).collect(),
        };
        let known: std::collections::HashMap<(String, String), Vec<String>> = merged
            .results
            .iter()
            .flat_map(|s| {
                s.tests
                    .iter()
                    .filter(|t| !t.features.is_empty())
                    .map(move |t| ((s.name.clone(), t.name.clone()), t.features.clone()))
            })
            .collect();
        for suite in &mut merged.results {
            for test in suite.tests.iter_mut().filter(|t| t.features.is_empty()) {
                if let Some(features) = known.get(&(suite.name.clone(), test.name.clone())) {
                    test.features = features.clone();
                }
            }
        }
        merged
    }

    /// This report as results made elsewhere: every runtime in it marked imported from
    /// `source`, run on `date` (or on the date its file recorded, or "undated").
    ///
    /// ```
    /// use wasiport_conformance::results::Report;
    /// let upstream = r#"{"execution": {"start_timestamp": "2026-11-30T10:00:00.000Z"},
    ///     "runtime": {"name": "wamr", "version": "2.2.0"},
    ///     "results": [{"name": "c", "duration_s": 1.0, "failed": 0, "skipped": 0, "passed": 1,
    ///         "tests": [{"name": "fd_write", "executed": true, "duration_s": 0.1,
    ///                    "wasi_functions": ["fd_write"], "failures": []}]}]}"#;
    /// let report: Report = serde_json::from_str(upstream)?;
    /// let report = report.imported("https://example.org/wamr.json", None);
    /// let runtime = &report.results[0].runtime;
    /// assert_eq!(runtime.label(), "wamr 2.2.0 (imported)");
    /// assert_eq!(runtime.imported.as_ref().unwrap().date, "2026-11-30T10:00:00.000Z");
    /// # Ok::<(), serde_json::Error>(())
    /// ```
    pub fn imported(mut self, source: &str, date: Option<&str>) -> Report {
        self.set_imported(Some(source), date);
        self
    }

    /// Marks every runtime imported, recording `source` and `date` where given (what is not
    /// given stays as it was, or is empty and "undated").
    fn set_imported(&mut self, source: Option<&str>, date: Option<&str>) {
        for suite in &mut self.results {
            let imported = suite.runtime.imported.get_or_insert_with(|| Imported {
                source: String::new(),
                date: "undated".to_string(),
            });
            if let Some(source) = source {
                imported.source = source.to_string();
            }
            if let Some(date) = date {
                imported.date = date.to_string();
            }
        }
    }
}
