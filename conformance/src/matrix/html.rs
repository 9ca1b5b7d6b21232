//! The matrix as one self-contained HTML page (no external resources), built with `maud`: a
//! heatmap per section with a column per backend (the failing tests in each cell's tooltip),
//! the per-test view, each failure linked to its line in the list below it, and the totals.

use maud::{html, Markup, PreEscaped, DOCTYPE};

use super::{anchor, why, Cell, Matrix, TOTALS};
use crate::results::{Report, Status};

const STYLE: &str = "body{font-family:system-ui,sans-serif;margin:2em}\
    table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:4px 8px}\
    td.pass{background:#2e7d32;color:#fff}td.partial{background:#f9a825}\
    td.fail{background:#c62828;color:#fff}td.none{background:#eee;color:#777}\
    td.differs{background:#1565c0;color:#fff}\
    td.unsupported{background:#cfd8dc;color:#37474f}\
    td.skip{background:#eee;color:#777}td.xfail{background:#ef9a9a}\
    td.xpass{background:#f9a825}td a{color:inherit}\
    code{font-size:90%}";

/// Shows how many backends and tests the page holds, and how many matrix cells have a verdict,
/// for a reader and for the browser test.
const SCRIPT: &str = "
document.body.dataset.backends = String(document.querySelectorAll('th.backend').length);
document.body.dataset.tests = String(document.querySelectorAll('#tests tbody tr').length);
document.body.dataset.filledCells = String(document.querySelectorAll('table[id^=matrix] td[class]:not(.none)').length);
";

impl Matrix {
    /// The matrix as one self-contained HTML page: a heatmap with a column per backend, the
    /// failing tests in each cell's tooltip, a per-test view and the totals.
    ///
    /// ```
    /// use wasiport_conformance::{matrix::Matrix, results::Report};
    /// let page = Matrix::new(&Report::default(), &["fd_write"]).html(&Report::default());
    /// assert!(page.starts_with("<!DOCTYPE html>"));
    /// assert!(page.contains("<table id=\"matrix\">"));
    /// ```
    pub fn html(&self, report: &Report) -> String {
        // The first table is `#matrix`, and its columns are those the page's script counts.
        let sections = self.sections();
        let page = html! {
            (DOCTYPE)
            html lang="en" {
                head {
                    meta charset="utf-8";
                    title { "WASI conformance matrix" }
                    style { (PreEscaped(STYLE)) }
                }
                body {
                    h1 { "WASI conformance" }
                    @for runtime in report.backends() {
                        @if let Some(imported) = &runtime.imported {
                            p.imported {
                                strong { "Imported, not measured here:" }
                                " " (runtime.label()) " — from " (imported.source)
                                ", run " (imported.date) "."
                            }
                        }
                    }
                    @for (n, (title, rows)) in sections.iter().enumerate() {
                        h2 { (title) }
                        table id=(if n == 0 { "matrix".to_string() } else { format!("matrix-{n}") }) {
                            thead {
                                tr {
                                    th { "function" }
                                    @for (b, v) in &self.backends {
                                        th class=(if n == 0 { "backend" } else { "backend-more" }) {
                                            (b) " " (v)
                                        }
                                    }
                                }
                            }
                            tbody {
                                @for (row, cells) in rows {
                                    tr {
                                        td { code { (row) } }
                                        @for cell in *cells { (cell_html(cell)) }
                                    }
                                }
                            }
                        }
                    }
                    (self.per_test_html(report))
                    h2 { "Totals" }
                    table id="totals" {
                        tr {
                            th { "backend" }
                            @for status in TOTALS { th { (status.as_str()) } }
                        }
                        @for (b, _) in &self.backends {
                            tr {
                                td { (b) }
                                @for status in TOTALS { td { (report.count(b, status)) } }
                            }
                        }
                    }
                    script { (PreEscaped(SCRIPT)) }
                }
            }
        };
        page.into_string()
    }

    /// The per-test view: every test's status on each backend, each failure (expected or not)
    /// and each test that differs linking to its line in the list below.
    fn per_test_html(&self, report: &Report) -> Markup {
        html! {
            h2 { "Per test" }
            table id="tests" {
                thead {
                    tr {
                        th { "test" }
                        @for (b, v) in &self.backends { th { (b) " " (v) } }
                    }
                }
                tbody {
                    @for (test, statuses) in self.per_test(report) {
                        tr {
                            td { code { (test) } }
                            @for (status, (b, _)) in statuses.iter().zip(&self.backends) {
                                @match status {
                                    None => td.none { "—" },
                                    Some(s) if s.passed() || *s == Status::Skip => {
                                        td class=(s.as_str()) { (s.as_str()) }
                                    }
                                    Some(s) => td class=(s.as_str()) {
                                        a href={ "#" (anchor(b, &test)) } { (s.as_str()) }
                                    },
                                }
                            }
                        }
                    }
                }
            }
            h2 { "Failing or differing" }
            ul id="failures" {
                @for suite in &report.results {
                    @for test in &suite.tests {
                        @let status = test.status();
                        @if !status.passed() && status != Status::Skip {
                            @let id = format!("{}/{}", suite.name, test.name);
                            li id=(anchor(&suite.runtime.name, &id)) {
                                code { (id) } " on " (suite.runtime.name) " ("
                                (status.as_str()) "): " (why(test))
                            }
                        }
                    }
                }
            }
        }
    }
}

/// A matrix cell: passed of run (or `unsupported`, or — when nothing ran), coloured by its
/// verdict, with the failing tests (or else the differing ones) as its tooltip.
fn cell_html(cell: &Cell) -> Markup {
    let total = cell.passed + cell.failing.len();
    let listed: Vec<&str> = cell
        .failing
        .iter()
        .chain(cell.differing.iter().filter(|_| cell.failing.is_empty()))
        .map(String::as_str)
        .collect();
    let text = match cell.verdict() {
        "unsupported" => "unsupported".to_string(),
        _ if total == 0 => "—".to_string(),
        _ => format!("{}/{}", cell.passed, total),
    };
    html! {
        td class=(cell.verdict()) title=(listed.join("\n")) { (text) }
    }
}
