//! What a backend is expected to fail or skip, in wasi-testsuite's TOML format:
//!
//! ```toml
//! version = 1
//!
//! [[suite]]
//! name = "fd_io"
//!
//! [[suite.test]]
//! name = "fd_advise_bad_advice_is_einval"
//! expected = "fail"
//! reason = "wasmer-wasix accepts any advice value"
//!
//! [[suite.test]]
//! name = "poll_stdin"
//! action = "skip"
//! reason = "blocks forever on this runtime"
//! ```

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

/// What is expected of one test.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Expected {
    /// It fails today; a pass is reported as an unexpected pass.
    Fail {
        /// Why.
        reason: String,
    },
    /// Do not run it.
    Skip {
        /// Why.
        reason: String,
    },
}

/// A backend's expectations, by (suite, test).
#[derive(Debug, Clone, Default)]
pub struct Expectations {
    tests: BTreeMap<(String, String), Expected>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    version: u32,
    #[serde(default)]
    suite: Vec<SuiteEntry>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SuiteEntry {
    name: String,
    #[serde(default)]
    test: Vec<TestEntry>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TestEntry {
    name: String,
    #[serde(default)]
    expected: Option<String>,
    #[serde(default)]
    action: Option<String>,
    reason: String,
}

/// Why an expectations file could not be read.
#[derive(Debug, thiserror::Error)]
#[error("{}: {message}", path.display())]
pub struct ExpectationsError {
    /// The file.
    pub path: PathBuf,
    /// What is wrong.
    pub message: String,
}

impl Expectations {
    /// Reads `<dir>/<backend>.toml`; no file means every test is expected to pass.
    pub fn for_backend(dir: &Path, backend: &str) -> Result<Expectations, ExpectationsError> {
        let path = dir.join(format!("{backend}.toml"));
        match std::fs::read_to_string(&path) {
            Ok(text) => {
                Expectations::parse(&text).map_err(|message| ExpectationsError { path, message })
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Expectations::default()),
            Err(e) => Err(ExpectationsError {
                path,
                message: e.to_string(),
            }),
        }
    }

    /// Parses the TOML text.
    ///
    /// ```
    /// use wasiport_conformance::expectations::{Expectations, Expected};
    /// let e = Expectations::parse(r#"
    ///     version = 1
    ///     [[suite]]
    ///     name = "fd_io"
    ///     [[suite.test]]
    ///     name = "t"
    ///     expected = "fail"
    ///     reason = "not yet"
    /// "#)?;
    /// assert_eq!(e.get("fd_io", "t"), Some(&Expected::Fail { reason: "not yet".into() }));
    /// assert_eq!(e.get("fd_io", "other"), None);
    /// # Ok::<(), String>(())
    /// ```
    pub fn parse(text: &str) -> Result<Expectations, String> {
        let file: File = toml::from_str(text).map_err(|e| e.to_string())?;
        if file.version != 1 {
            return Err(format!(
                "version {} is not supported (only 1)",
                file.version
            ));
        }
        let mut tests = BTreeMap::new();
        for suite in file.suite {
            for test in suite.test {
                let expected = match (test.expected.as_deref(), test.action.as_deref()) {
                    (Some("fail"), None) => Expected::Fail {
                        reason: test.reason,
                    },
                    (None, Some("skip")) => Expected::Skip {
                        reason: test.reason,
                    },
                    _ => {
                        return Err(format!(
                            "test `{}` in suite `{}`: give either expected = \"fail\" or action = \"skip\"",
                            test.name, suite.name
                        ))
                    }
                };
                let key = (suite.name.clone(), test.name);
                if tests.insert(key.clone(), expected).is_some() {
                    return Err(format!(
                        "test `{}` in suite `{}` is listed twice",
                        key.1, key.0
                    ));
                }
            }
        }
        Ok(Expectations { tests })
    }

    /// The expectation for a test, if it has one.
    pub fn get(&self, suite: &str, test: &str) -> Option<&Expected> {
        self.tests.get(&(suite.to_string(), test.to_string()))
    }

    /// Every (suite, test) listed.
    pub fn listed(&self) -> impl Iterator<Item = (&str, &str)> {
        self.tests.keys().map(|(s, t)| (s.as_str(), t.as_str()))
    }
}
