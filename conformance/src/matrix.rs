//! The WASI function × backend matrix, as Markdown and as a self-contained HTML heatmap.
//!
//! A cell says how the backend does on the tests that exercise the function (their `features`):
//! **pass** (every test run passed), **differs** (none failed, and some did another thing the
//! specification allows: implementation-defined tests), **partial** (some passed), **fail** (none
//! passed), or **—** (no test ran). Failing and differing tests are listed under the table and
//! linked from the cells. A per-test view (test × backend) follows, each failure linked to its
//! line; columns imported from another run's result file are marked so, with where they came
//! from and when they ran.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use crate::results::{Report, Status, TestResult};
use crate::runner::UNSUPPORTED;

mod html;

/// One cell of the matrix.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Cell {
    /// Tests that passed.
    pub passed: usize,
    /// Tests that ran and failed, as `suite/test`.
    pub failing: Vec<String>,
    /// Tests that did another thing than expected that the specification allows, as
    /// `suite/test` (they count as passed too).
    pub differing: Vec<String>,
    /// Tests skipped because the backend lacks a capability they need, for such a component or
    /// a limit (their reason starts with [`UNSUPPORTED`]).
    pub unsupported: usize,
}

impl Cell {
    /// `pass`, `differs` (no test failed, some differ), `partial`, `fail`, `unsupported` (no
    /// test ran: the backend lacks a capability the tests need) or `none` (no test ran).
    pub fn verdict(&self) -> &'static str {
        match (self.passed, self.failing.len()) {
            (0, 0) if self.unsupported > 0 => "unsupported",
            (0, 0) => "none",
            (_, 0) if !self.differing.is_empty() => "differs",
            (_, 0) => "pass",
            (0, _) => "fail",
            _ => "partial",
        }
    }
}

/// Whether a row (a feature) belongs to a section.
pub type Holds = fn(&str) -> bool;

/// A section's title and its rows (name and cells).
type Section<'a> = (&'static str, Vec<(&'a String, &'a Vec<Cell>)>);

/// The matrix's sections, each a table: a title and which rows (features) it holds.
pub const SECTIONS: [(&str, Holds); 4] = [
    ("WASI preview 1 and core Wasm", |row| {
        !row.starts_with("wasi:") && !row.starts_with("limits:")
    }),
    (
        "Limits (fuel, timeout, memory cap, capture cap, call stack)",
        |row| row.starts_with("limits:"),
    ),
    ("WASI 0.2 (components)", |row| {
        row.starts_with("wasi:") && !row.contains("@0.3#")
    }),
    ("WASI 0.3 (async components)", |row| {
        row.starts_with("wasi:") && row.contains("@0.3#")
    }),
];

/// The columns of the totals tables.
pub(crate) const TOTALS: [Status; 6] = [
    Status::Pass,
    Status::Differs,
    Status::Fail,
    Status::Skip,
    Status::XFail,
    Status::XPass,
];

/// The matrix: for each WASI function (rows) and backend (columns), a [`Cell`].
#[derive(Debug, Clone, Default)]
pub struct Matrix {
    /// The backends, in report order, with their versions.
    pub backends: Vec<(String, String)>,
    /// Row name → one cell per backend.
    pub rows: BTreeMap<String, Vec<Cell>>,
}

impl Matrix {
    /// Builds the matrix of `report`; every function of `rows` gets a row even without tests.
    ///
    /// ```
    /// use wasiport_conformance::{matrix::Matrix, results::*};
    /// let test = |name: &str, ok: bool| TestResult {
    ///     name: name.into(), executed: true, duration_s: 0.0,
    ///     failures: if ok { vec![] } else { vec!["no".into()] },
    ///     status: None, reason: None, features: vec!["fd_write".into()], mandated: None,
    /// };
    /// let report = Report { results: vec![SuiteResult::new("io".into(),
    ///     Runtime::new("x", "1"),
    ///     vec![test("a", true), test("b", false)])] };
    /// let m = Matrix::new(&report, &["fd_write", "fd_read"]);
    /// assert_eq!(m.rows["fd_write"][0].verdict(), "partial");
    /// assert_eq!(m.rows["fd_read"][0].verdict(), "none");
    /// ```
    pub fn new(report: &Report, rows: &[&str]) -> Matrix {
        let backends: Vec<(String, String)> = report
            .backends()
            .into_iter()
            .map(|r| match r.imported {
                // Never shown as measured here.
                Some(_) => (r.name.clone(), format!("{} (imported)", r.version)),
                None => (r.name.clone(), r.version.clone()),
            })
            .collect();
        let mut matrix = Matrix {
            rows: rows
                .iter()
                .map(|r| (r.to_string(), vec![Cell::default(); backends.len()]))
                .collect(),
            backends,
        };
        for suite in &report.results {
            let Some(col) = matrix.column(&suite.runtime.name) else {
                continue;
            };
            for test in &suite.tests {
                let status = test.status();
                let unsupported = status == Status::Skip
                    && test
                        .reason
                        .as_deref()
                        .is_some_and(|r| r.starts_with(UNSUPPORTED));
                // Any other skip says nothing of the backend.
                if status == Status::Skip && !unsupported {
                    continue;
                }
                for feature in &test.features {
                    let cell = &mut matrix
                        .rows
                        .entry(feature.clone())
                        .or_insert_with(|| vec![Cell::default(); matrix.backends.len()])[col];
                    if unsupported {
                        cell.unsupported += 1;
                    } else if status == Status::Differs {
                        cell.passed += 1;
                        cell.differing.push(format!("{}/{}", suite.name, test.name));
                    } else if status.passed() {
                        cell.passed += 1;
                    } else {
                        cell.failing.push(format!("{}/{}", suite.name, test.name));
                    }
                }
            }
        }

        matrix
    }

    /// The sections that have rows, each with its rows in order.
    fn sections(&self) -> Vec<Section<'_>> {
        SECTIONS
            .iter()
            .map(|(title, holds)| {
                let rows: Vec<_> = self.rows.iter().filter(|(r, _)| holds(r)).collect();
                (*title, rows)
            })
            .filter(|(_, rows)| !rows.is_empty())
            .collect()
    }

    /// The column of `backend`.
    fn column(&self, backend: &str) -> Option<usize> {
        self.backends.iter().position(|(b, _)| b == backend)
    }

    /// Every test (as `suite/test`, in order) with its status on each backend (`None` where the
    /// backend did not run that suite).
    pub(crate) fn per_test(&self, report: &Report) -> BTreeMap<String, Vec<Option<Status>>> {
        let mut tests: BTreeMap<String, Vec<Option<Status>>> = BTreeMap::new();
        for suite in &report.results {
            let Some(col) = self.column(&suite.runtime.name) else {
                continue;
            };
            for test in &suite.tests {
                tests
                    .entry(format!("{}/{}", suite.name, test.name))
                    .or_insert_with(|| vec![None; self.backends.len()])[col] = Some(test.status());
            }
        }
        tests
    }

    /// The per-test view in Markdown: a row per test, its status on each backend; a failure,
    /// expected or not, and a test that differs link to the test's line under the table.
    fn per_test_markdown(&self, report: &Report) -> String {
        let mut md = String::from("\n## Per test\n\n| test |");
        for (b, _) in &self.backends {
            let _ = write!(md, " {b} |");
        }
        md.push_str("\n| --- |");
        for _ in &self.backends {
            md.push_str(" --- |");
        }
        md.push('\n');
        for (test, statuses) in self.per_test(report) {
            let _ = write!(md, "| `{test}` |");
            for (status, (b, _)) in statuses.iter().zip(&self.backends) {
                let text = match status {
                    None => "—".to_string(),
                    Some(s) if s.passed() || *s == Status::Skip => s.as_str().to_string(),
                    Some(s) => format!("[{}](#{})", s.as_str(), anchor(b, &test)),
                };
                let _ = write!(md, " {text} |");
            }
            md.push('\n');
        }
        md
    }

    /// The matrix as a Markdown document: the table, then each backend's failing tests with
    /// their first failure, as anchors the cells link to.
    pub fn markdown(&self, report: &Report) -> String {
        let mut md = String::from("# WASI conformance matrix\n\n");
        md.push_str(
            "Generated by `wasiport conformance --format markdown`; do not edit by hand. A cell \
             counts the tests that exercise the function: **pass** (all passed), **differs** \
             (k/n: none failed, and k of the n tests run did another thing that the \
             specification allows, as each one's spec says: implementation-defined), \
             **partial** (some passed), **fail** (none), **unsupported** (the backend lacks \
             a capability the tests need: such components, or a limit), — (no test ran).\n",
        );
        for runtime in report.backends() {
            if let Some(imported) = &runtime.imported {
                let _ = writeln!(
                    md,
                    "\n**Imported, not measured here:** {} — from {}, run {}.",
                    runtime.label(),
                    one_line(&imported.source),
                    one_line(&imported.date)
                );
            }
        }
        for (title, rows) in self.sections() {
            let _ = write!(md, "\n## {title}\n\n| function |");
            for (b, v) in &self.backends {
                let _ = write!(md, " {b} {v} |");
            }
            md.push_str("\n| --- |");
            for _ in &self.backends {
                md.push_str(" --- |");
            }
            md.push('\n');
            for (row, cells) in rows {
                let _ = write!(md, "| `{row}` |");
                for (cell, (b, _)) in cells.iter().zip(&self.backends) {
                    let text = match cell.verdict() {
                        "none" => "—".to_string(),
                        "unsupported" => "unsupported".to_string(),
                        "pass" => format!("pass ({})", cell.passed),
                        "differs" => format!(
                            "[differs](#{}) ({}/{})",
                            anchor(b, &cell.differing[0]),
                            cell.differing.len(),
                            cell.passed
                        ),
                        verdict => format!(
                            "[{verdict}](#{}) ({}/{})",
                            anchor(b, &cell.failing[0]),
                            cell.passed,
                            cell.passed + cell.failing.len()
                        ),
                    };
                    let _ = write!(md, " {text} |");
                }
                md.push('\n');
            }
        }
        md.push_str(&self.per_test_markdown(report));
        md.push_str("\n## Totals\n\n| backend |");
        for status in TOTALS {
            let _ = write!(md, " {} |", status.as_str());
        }
        md.push_str("\n| --- |");
        for _ in TOTALS {
            md.push_str(" --- |");
        }
        md.push('\n');
        for (b, _) in &self.backends {
            let _ = write!(md, "| {b} |");
            for status in TOTALS {
                let _ = write!(md, " {} |", report.count(b, status));
            }
            md.push('\n');
        }
        for (b, _) in &self.backends {
            let failing: Vec<_> = report
                .results
                .iter()
                .filter(|s| s.runtime.name == *b)
                .flat_map(|s| s.tests.iter().map(move |t| (s, t)))
                .filter(|(_, t)| !t.status().passed() && t.status() != Status::Skip)
                .collect();
            if failing.is_empty() {
                continue;
            }
            let _ = writeln!(md, "\n## Failing or differing on {b}\n");
            for (suite, test) in failing {
                let id = format!("{}/{}", suite.name, test.name);
                let mut why = why(test);
                if let Some(mandated) = &test.mandated {
                    let _ = write!(why, " (mandated: {mandated})");
                }
                let _ = writeln!(
                    md,
                    "- <a id=\"{}\"></a>`{id}` ({}): {}",
                    anchor(b, &id),
                    test.status().as_str(),
                    one_line(&why)
                );
            }
        }
        md
    }
}

/// The id of a test's line (`suite/test`) in a backend's list of failures, for links.
pub(crate) fn anchor(backend: &str, test: &str) -> String {
    format!("{backend}-{test}")
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect()
}

/// Why a test did not pass: its reason, or else its first failure.
pub(crate) fn why(test: &TestResult) -> String {
    test.reason
        .clone()
        .or_else(|| test.failures.first().cloned())
        .unwrap_or_default()
}

fn one_line(s: &str) -> String {
    s.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .replace('|', "\\|")
}
