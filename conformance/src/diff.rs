//! What changed between two conformance reports, backend by backend: for a CI job that gates a
//! runtime upgrade (a baseline report committed, the new runtime's report diffed against it).
//!
//! Any two reports in wasi-testsuite's JSON result schema can be compared, ours or upstream's
//! (whose tests have no `status`: it is derived from `failures`). A test is *good* when it
//! passed or differs (did another thing the specification allows), *bad* when it failed,
//! expectedly or not (an expectation added for a new failure does not hide it), and *skipped*
//! when it did not run.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde::Serialize;

use crate::results::{Report, Status, TestResult};

/// One test whose verdict changed, or that is in only one report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Change {
    /// `suite/test`.
    pub test: String,
    /// Its status in the base report, if it is there.
    pub base: Option<Status>,
    /// Its status in the new report, if it is there.
    pub new: Option<Status>,
    /// The new report's first failure or reason, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

/// What changed on one backend.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct BackendDiff {
    /// The backend.
    pub backend: String,
    /// The runtime's version in the base report (`None`: the backend is not in it).
    pub base_version: Option<String>,
    /// The runtime's version in the new report (`None`: the backend is not in it).
    pub new_version: Option<String>,
    /// Good (or skipped) before, bad now.
    pub regressed: Vec<Change>,
    /// Bad (or skipped) before, good now.
    pub fixed: Vec<Change>,
    /// Ran before, skipped now.
    pub now_skipped: Vec<Change>,
    /// Only in the new report.
    pub appeared: Vec<Change>,
    /// Only in the base report.
    pub vanished: Vec<Change>,
    /// In both, with the same verdict.
    pub unchanged: usize,
}

/// What changed between two reports, per backend (in name order).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Diff {
    /// One entry per backend in either report.
    pub backends: Vec<BackendDiff>,
}

/// How a gate sees a status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Verdict {
    Good,
    Bad,
    Skipped,
}

fn verdict(status: Status) -> Verdict {
    match status {
        Status::Pass | Status::XPass | Status::Differs => Verdict::Good,
        Status::Fail | Status::XFail => Verdict::Bad,
        Status::Skip => Verdict::Skipped,
    }
}

/// One of a backend's lists of changes.
type ListOf = fn(&BackendDiff) -> &Vec<Change>;

/// Each backend's tests of a report: backend → (version, `suite/test` → result).
type Indexed<'a> = BTreeMap<&'a str, (&'a str, BTreeMap<String, &'a TestResult>)>;

fn index(report: &Report) -> Indexed<'_> {
    let mut out: Indexed<'_> = BTreeMap::new();
    for suite in &report.results {
        let entry = out
            .entry(suite.runtime.name.as_str())
            .or_insert_with(|| (suite.runtime.version.as_str(), BTreeMap::new()));
        for test in &suite.tests {
            entry
                .1
                .insert(format!("{}/{}", suite.name, test.name), test);
        }
    }
    out
}

fn detail(test: &TestResult) -> Option<String> {
    test.failures
        .first()
        .or(test.reason.as_ref())
        .map(|s| s.split_whitespace().collect::<Vec<_>>().join(" "))
}

impl Diff {
    /// Compares `new` with `base`.
    ///
    /// ```
    /// use wasiport_conformance::diff::Diff;
    /// use wasiport_conformance::results::Report;
    /// let report = |failures: &str| -> Report { serde_json::from_str(&format!(r#"{{"results": [
    ///     {{"name": "io", "runtime": {{"name": "wasmtime", "version": "48"}}, "passed": 0,
    ///       "failed": 0, "skipped": 0, "tests": [{{"name": "write", "executed": true,
    ///       "duration_s": 0.1, "failures": [{failures}]}}]}}]}}"#)).unwrap() };
    /// let diff = Diff::new(&report(""), &report(r#""exit code 1""#));
    /// assert_eq!(diff.regressions(), 1);
    /// assert_eq!(diff.backends[0].regressed[0].test, "io/write");
    /// assert_eq!(Diff::new(&report(r#""exit code 1""#), &report("")).backends[0].fixed.len(), 1);
    /// ```
    pub fn new(base: &Report, new: &Report) -> Diff {
        let (base, new) = (index(base), index(new));
        let names: std::collections::BTreeSet<&str> =
            base.keys().chain(new.keys()).copied().collect();
        let empty = BTreeMap::new();
        let backends = names
            .into_iter()
            .map(|name| {
                let (base_version, base_tests) = base
                    .get(name)
                    .map_or((None, &empty), |(v, t)| (Some(v.to_string()), t));
                let (new_version, new_tests) = new
                    .get(name)
                    .map_or((None, &empty), |(v, t)| (Some(v.to_string()), t));
                let mut diff = BackendDiff {
                    backend: name.to_string(),
                    base_version,
                    new_version,
                    ..BackendDiff::default()
                };
                let tests: std::collections::BTreeSet<&String> =
                    base_tests.keys().chain(new_tests.keys()).collect();
                for test in tests {
                    let (b, n) = (base_tests.get(test), new_tests.get(test));
                    let change = Change {
                        test: test.clone(),
                        base: b.map(|t| t.status()),
                        new: n.map(|t| t.status()),
                        detail: n.and_then(|t| detail(t)),
                    };
                    let into = match (
                        b.map(|t| verdict(t.status())),
                        n.map(|t| verdict(t.status())),
                    ) {
                        (None, _) => &mut diff.appeared,
                        (_, None) => &mut diff.vanished,
                        (Some(b), Some(n)) if b == n => {
                            diff.unchanged += 1;
                            continue;
                        }
                        (Some(_), Some(Verdict::Bad)) => &mut diff.regressed,
                        (Some(_), Some(Verdict::Good)) => &mut diff.fixed,
                        (Some(_), Some(Verdict::Skipped)) => &mut diff.now_skipped,
                    };
                    into.push(change);
                }
                diff
            })
            .collect();
        Diff { backends }
    }

    /// How many tests regressed, on every backend together.
    pub fn regressions(&self) -> usize {
        self.backends.iter().map(|b| b.regressed.len()).sum()
    }

    /// The diff as JSON.
    pub fn json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_default() + "\n"
    }

    /// The diff as Markdown: a table of counts per backend, then each change.
    pub fn markdown(&self) -> String {
        let mut md = String::from(
            "# Conformance report diff\n\n| backend | base | new | regressed | fixed | now \
             skipped | appeared | vanished | unchanged |\n| --- | --- | --- | --- | --- | --- | \
             --- | --- | --- |\n",
        );
        for b in &self.backends {
            let _ = writeln!(
                md,
                "| {} | {} | {} | {} | {} | {} | {} | {} | {} |",
                b.backend,
                b.base_version.as_deref().unwrap_or("—"),
                b.new_version.as_deref().unwrap_or("—"),
                b.regressed.len(),
                b.fixed.len(),
                b.now_skipped.len(),
                b.appeared.len(),
                b.vanished.len(),
                b.unchanged
            );
        }
        for (b, title, changes) in self.sections() {
            let _ = writeln!(md, "\n## {title} on {}\n", b.backend);
            for c in changes {
                let _ = writeln!(md, "- `{}`: {}", c.test, c.line().replace('|', "\\|"));
            }
        }
        md
    }

    /// The diff for a terminal: one line of counts per backend, then each change.
    pub fn console(&self) -> String {
        let mut out = format!(
            "{:<20}{:>10}{:>7}{:>9}{:>9}{:>10}\n",
            "backend", "regressed", "fixed", "skipped", "appeared", "vanished"
        );
        for b in &self.backends {
            let _ = writeln!(
                out,
                "{:<20}{:>10}{:>7}{:>9}{:>9}{:>10}",
                b.backend,
                b.regressed.len(),
                b.fixed.len(),
                b.now_skipped.len(),
                b.appeared.len(),
                b.vanished.len()
            );
        }
        for (b, title, changes) in self.sections() {
            for c in changes {
                let _ = writeln!(
                    out,
                    "{} {} {}: {}",
                    title.to_lowercase(),
                    b.backend,
                    c.test,
                    c.line()
                );
            }
        }
        out
    }

    /// The non-empty lists of changes with their titles: every backend's regressions first,
    /// then the fixes, and so on.
    fn sections(&self) -> impl Iterator<Item = (&BackendDiff, &'static str, &Vec<Change>)> {
        let lists: [(&'static str, ListOf); 5] = [
            ("Regressed", |b| &b.regressed),
            ("Fixed", |b| &b.fixed),
            ("Now skipped", |b| &b.now_skipped),
            ("Appeared", |b| &b.appeared),
            ("Vanished", |b| &b.vanished),
        ];
        lists.into_iter().flat_map(move |(title, list)| {
            self.backends
                .iter()
                .map(move |b| (b, title, list(b)))
                .filter(|(_, _, changes)| !changes.is_empty())
        })
    }
}

impl Change {
    /// `base → new` (`—` for a report without the test), and the detail.
    fn line(&self) -> String {
        let name = |s: Option<Status>| s.map_or("—", Status::as_str);
        let mut line = format!("{} → {}", name(self.base), name(self.new));
        if let Some(detail) = &self.detail {
            let _ = write!(line, " ({detail})");
        }
        line
    }
}
