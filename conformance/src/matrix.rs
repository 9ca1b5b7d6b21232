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

use crate::results::{Report, Status};
use crate::runner::UNSUPPORTED;

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

    /// The column of `backend`.
    fn column(&self, backend: &str) -> Option<usize> {
        self.backends.iter().position(|(b, _)| b == backend)
    }

    /// Every test (as `suite/test`, in order) with its status on each backend (`None` where the
    /// backend did not run that suite).
    fn per_test(&self, report: &Report) -> BTreeMap<String, Vec<Option<Status>>> {
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

    /// The per-test view in HTML: a table of every test's status on each backend, each failure
    /// (expected or not) and each test that differs linking to its line in the list below.
    fn per_test_html(&self, report: &Report) -> String {
        let mut h = String::from("<h2>Per test</h2>\n<table id=\"tests\"><thead><tr><th>test</th>");
        for (b, v) in &self.backends {
            let _ = write!(h, "<th>{} {}</th>", esc(b), esc(v));
        }
        h.push_str("</tr></thead><tbody>\n");
        for (test, statuses) in self.per_test(report) {
            let _ = write!(h, "<tr><td><code>{}</code></td>", esc(&test));
            for (status, (b, _)) in statuses.iter().zip(&self.backends) {
                let _ = match status {
                    None => write!(h, "<td class=\"none\">—</td>"),
                    Some(s) if s.passed() || *s == Status::Skip => {
                        write!(h, "<td class=\"{0}\">{0}</td>", s.as_str())
                    }
                    Some(s) => write!(
                        h,
                        "<td class=\"{0}\"><a href=\"#{1}\">{0}</a></td>",
                        s.as_str(),
                        anchor(b, &test)
                    ),
                };
            }
            h.push_str("</tr>\n");
        }
        h.push_str("</tbody></table>\n<h2>Failing or differing</h2>\n<ul id=\"failures\">\n");
        for suite in &report.results {
            for test in &suite.tests {
                let status = test.status();
                if status.passed() || status == Status::Skip {
                    continue;
                }
                let id = format!("{}/{}", suite.name, test.name);
                let why = test
                    .reason
                    .clone()
                    .or_else(|| test.failures.first().cloned())
                    .unwrap_or_default();
                let _ = writeln!(
                    h,
                    "<li id=\"{}\"><code>{}</code> on {} ({}): {}</li>",
                    anchor(&suite.runtime.name, &id),
                    esc(&id),
                    esc(&suite.runtime.name),
                    status.as_str(),
                    esc(&why)
                );
            }
        }
        h.push_str("</ul>\n");
        h
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
        for (title, holds) in SECTIONS {
            let rows: Vec<_> = self.rows.iter().filter(|(r, _)| holds(r)).collect();
            if rows.is_empty() {
                continue;
            }
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
        md.push_str("\n## Totals\n\n| backend | pass | differs | fail | skip | xfail | xpass |\n| --- | --- | --- | --- | --- | --- | --- |\n");
        for (b, _) in &self.backends {
            let _ = writeln!(
                md,
                "| {b} | {} | {} | {} | {} | {} | {} |",
                report.count(b, Status::Pass),
                report.count(b, Status::Differs),
                report.count(b, Status::Fail),
                report.count(b, Status::Skip),
                report.count(b, Status::XFail),
                report.count(b, Status::XPass)
            );
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
                let mut why = test
                    .reason
                    .clone()
                    .or_else(|| test.failures.first().cloned())
                    .unwrap_or_default();
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

    /// The matrix as one self-contained HTML page (no external resources): a heatmap with a
    /// column per backend, the failing tests in each cell's tooltip and below the table.
    pub fn html(&self, report: &Report) -> String {
        let mut h = String::from(
            "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
             <title>WASI conformance matrix</title><style>\
             body{font-family:system-ui,sans-serif;margin:2em}\
             table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:4px 8px}\
             td.pass{background:#2e7d32;color:#fff}td.partial{background:#f9a825}\
             td.fail{background:#c62828;color:#fff}td.none{background:#eee;color:#777}\
             td.differs{background:#1565c0;color:#fff}\
             td.unsupported{background:#cfd8dc;color:#37474f}\
             td.skip{background:#eee;color:#777}td.xfail{background:#ef9a9a}\
             td.xpass{background:#f9a825}td a{color:inherit}\
             code{font-size:90%}</style></head><body>\n<h1>WASI conformance</h1>\n",
        );
        for runtime in report.backends() {
            if let Some(imported) = &runtime.imported {
                let _ = writeln!(
                    h,
                    "<p class=\"imported\"><strong>Imported, not measured here:</strong> {} — \
                     from {}, run {}.</p>",
                    esc(&runtime.label()),
                    esc(&imported.source),
                    esc(&imported.date)
                );
            }
        }
        // The first table is `#matrix`, and its columns are those counted below.
        let mut tables = 0;
        for (title, holds) in SECTIONS {
            let rows: Vec<_> = self.rows.iter().filter(|(r, _)| holds(r)).collect();
            if rows.is_empty() {
                continue;
            }
            if tables > 0 {
                h.push_str("</tbody></table>\n");
            }
            let id = match tables {
                0 => "matrix".to_string(),
                n => format!("matrix-{n}"),
            };
            let _ = write!(
                h,
                "<h2>{}</h2>\n<table id=\"{id}\"><thead><tr><th>function</th>",
                esc(title)
            );
            for (b, v) in &self.backends {
                let class = if tables == 0 {
                    "backend"
                } else {
                    "backend-more"
                };
                let _ = write!(h, "<th class=\"{class}\">{} {}</th>", esc(b), esc(v));
            }
            h.push_str("</tr></thead><tbody>\n");
            for (row, cells) in rows {
                let _ = write!(h, "<tr><td><code>{}</code></td>", esc(row));
                for cell in cells {
                    let total = cell.passed + cell.failing.len();
                    let text = match cell.verdict() {
                        "unsupported" => "unsupported".to_string(),
                        _ if total == 0 => "—".to_string(),
                        _ => format!("{}/{}", cell.passed, total),
                    };
                    let listed: Vec<&str> = cell
                        .failing
                        .iter()
                        .chain(cell.differing.iter().filter(|_| cell.failing.is_empty()))
                        .map(String::as_str)
                        .collect();
                    let _ = write!(
                        h,
                        "<td class=\"{}\" title=\"{}\">{text}</td>",
                        cell.verdict(),
                        esc(&listed.join("\n")),
                    );
                }
                h.push_str("</tr>\n");
            }
            tables += 1;
        }
        if tables > 0 {
            h.push_str("</tbody></table>\n");
        }
        h.push_str(&self.per_test_html(report));
        h.push_str("<h2>Totals</h2>\n<table id=\"totals\"><tr><th>backend</th><th>pass</th><th>differs</th><th>fail</th><th>skip</th><th>xfail</th><th>xpass</th></tr>\n");
        for (b, _) in &self.backends {
            let _ = writeln!(
                h,
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                esc(b),
                report.count(b, Status::Pass),
                report.count(b, Status::Differs),
                report.count(b, Status::Fail),
                report.count(b, Status::Skip),
                report.count(b, Status::XFail),
                report.count(b, Status::XPass)
            );
        }
        h.push_str("</table>\n<script>\n// Shows how many backends and tests the page holds, and how many matrix cells have a\n// verdict, for a reader and for the browser test.\ndocument.body.dataset.backends = String(document.querySelectorAll('th.backend').length);\ndocument.body.dataset.tests = String(document.querySelectorAll('#tests tbody tr').length);\ndocument.body.dataset.filledCells = String(document.querySelectorAll('table[id^=matrix] td[class]:not(.none)').length);\n</script>\n</body></html>\n");
        h
    }
}

fn anchor(backend: &str, test: &str) -> String {
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

fn one_line(s: &str) -> String {
    s.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .replace('|', "\\|")
}

/// Escapes text for HTML.
pub fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The report as JUnit XML: a `<testsuite>` per (backend, suite), named `backend.suite`.
pub fn junit(report: &Report) -> String {
    let mut x = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites>\n");
    for suite in &report.results {
        let failures = suite
            .tests
            .iter()
            .filter(|t| t.status().is_unexpected())
            .count();
        let skipped = suite
            .tests
            .iter()
            .filter(|t| matches!(t.status(), Status::Skip | Status::XFail))
            .count();
        let time: f64 = suite.tests.iter().map(|t| t.duration_s).sum();
        let _ = writeln!(
            x,
            "  <testsuite name=\"{}.{}\" tests=\"{}\" failures=\"{failures}\" skipped=\"{skipped}\" time=\"{time:.3}\">",
            esc(&suite.runtime.name),
            esc(&suite.name),
            suite.tests.len()
        );
        for test in &suite.tests {
            let _ = write!(
                x,
                "    <testcase classname=\"{}.{}\" name=\"{}\" time=\"{:.3}\"",
                esc(&suite.runtime.name),
                esc(&suite.name),
                esc(&test.name),
                test.duration_s
            );
            let detail = esc(&test.failures.join("\n"));
            let reason = esc(test.reason.as_deref().unwrap_or(""));
            match test.status() {
                Status::Pass => x.push_str("/>\n"),
                // Conformant, though not what the test prefers: a pass that says what it did.
                Status::Differs => {
                    let _ = write!(
                        x,
                        ">\n      <system-out>differs: {reason}</system-out>\n    </testcase>\n"
                    );
                }
                Status::Fail => {
                    let _ = write!(x, ">\n      <failure message=\"failed\">{detail}</failure>\n    </testcase>\n");
                }
                Status::XPass => {
                    let _ = write!(x, ">\n      <failure message=\"passed, but expected to fail: {reason}\"/>\n    </testcase>\n");
                }
                Status::Skip | Status::XFail => {
                    let _ = write!(
                        x,
                        ">\n      <skipped message=\"{} {reason}\"/>\n    </testcase>\n",
                        test.status().as_str()
                    );
                }
            }
        }
        x.push_str("  </testsuite>\n");
    }
    x.push_str("</testsuites>\n");
    x
}
