//! A report as JUnit XML, for CI systems that show test results: a `<testsuite>` per (backend,
//! suite), named `backend.suite`, written by `quick-junit`.
//!
//! An unexpected result is a `<failure>` (a failure, or a pass that was expected to fail); a
//! skipped test and an expected failure are `<skipped>`, with the reason; a test that did
//! another thing the specification allows passes and says so in its `<system-out>`.

use std::time::Duration;

use quick_junit::{NonSuccessKind, TestCase, TestCaseStatus, TestSuite};

use crate::results::{Report, Status};

/// The report as JUnit XML.
///
/// ```
/// use wasiport_conformance::junit::junit;
/// use wasiport_conformance::results::Report;
///
/// let xml = junit(&Report::default()).unwrap();
/// assert!(xml.starts_with("<?xml"));
/// assert!(xml.contains("<testsuites name=\"wasiport\""));
/// ```
pub fn junit(report: &Report) -> Result<String, quick_junit::SerializeError> {
    let mut xml = quick_junit::Report::new("wasiport");
    for suite in &report.results {
        let classname = format!("{}.{}", suite.runtime.name, suite.name);
        let mut junit_suite = TestSuite::new(classname.as_str());
        let time: f64 = suite.tests.iter().map(|t| t.duration_s).sum();
        junit_suite.set_time(seconds(time));
        for test in &suite.tests {
            let reason = test.reason.as_deref().unwrap_or("");
            let mut system_out = None;
            let status = match test.status() {
                Status::Pass => TestCaseStatus::success(),
                // Conformant, though not what the test prefers: a pass that says what it did.
                Status::Differs => {
                    system_out = Some(format!("differs: {reason}"));
                    TestCaseStatus::success()
                }
                Status::Fail => {
                    let mut status = TestCaseStatus::non_success(NonSuccessKind::Failure);
                    status
                        .set_message("failed")
                        .set_description(test.failures.join("\n"));
                    status
                }
                Status::XPass => {
                    let mut status = TestCaseStatus::non_success(NonSuccessKind::Failure);
                    status.set_message(format!("passed, but expected to fail: {reason}"));
                    status
                }
                Status::Skip | Status::XFail => {
                    let mut status = TestCaseStatus::skipped();
                    status.set_message(format!("{} {reason}", test.status().as_str()));
                    status
                }
            };
            let mut case = TestCase::new(test.name.as_str(), status);
            case.set_classname(classname.as_str())
                .set_time(seconds(test.duration_s));
            if let Some(out) = system_out {
                case.set_system_out(out);
            }
            junit_suite.add_test_case(case);
        }
        xml.add_test_suite(junit_suite);
    }
    xml.to_string()
}

/// A duration in seconds as a `Duration`; a negative or non-finite one (a hand-edited report)
/// counts as zero.
fn seconds(s: f64) -> Duration {
    Duration::try_from_secs_f64(s).unwrap_or_default()
}
