//! A test's JSON specification, in wasi-testsuite's formats.
//!
//! Two formats are read:
//!
//! * the **legacy** spec: `{"args", "dirs", "env", "exit_code", "stdout", "stderr"}`, every
//!   field optional (`exit_code` defaults to 0; `stdout` and `stderr` are checked only when
//!   given), plus `"root"` (a directory preopened as `/`);
//! * the **operation-based** spec: `{"proposals": [...], "operations": [{"type": "run", "args",
//!   "env", "dirs", "root"}, {"type": "wait", "exit_code"}]}`.
//!
//! wasiport adds `"features"` (the `wasi_snapshot_preview1` functions a test exercises; upstream's
//! older name `"wasi_functions"` is read too), `"readonly_dirs"` (directories preopened
//! read-only) and `"network": "loopback"` (a component's `wasi:sockets` may reach loopback
//! addresses; without it, no network). Unknown fields are an error naming the file, so a typo
//! never turns a check off.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

/// What to run and what to expect of one test.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Spec {
    /// Arguments after `argv[0]` (which is the module's file name).
    pub args: Vec<String>,
    /// The guest's whole environment.
    pub env: BTreeMap<String, String>,
    /// Directories beside the test, preopened read-write under their own names.
    pub dirs: Vec<String>,
    /// Directories beside the test, preopened read-only under their own names.
    pub readonly_dirs: Vec<String>,
    /// A directory beside the test preopened as `/`.
    pub root: Option<String>,
    /// The expected exit code.
    pub exit_code: i32,
    /// The expected stdout, when checked.
    pub stdout: Option<String>,
    /// The expected stderr, when checked.
    pub stderr: Option<String>,
    /// The WASI preview-1 functions the test exercises.
    pub features: Vec<String>,
    /// WASI proposals the test needs (operation-based specs).
    pub proposals: Vec<String>,
    /// The network the run grants a component (`"network": "loopback"`), if any.
    pub network_loopback: bool,
}

/// Why a spec could not be read.
#[derive(Debug, thiserror::Error)]
#[error("{}: {message}", path.display())]
pub struct SpecError {
    /// The spec file.
    pub path: PathBuf,
    /// What is wrong with it.
    pub message: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Legacy {
    #[serde(default)]
    args: Vec<String>,
    #[serde(default)]
    dirs: Vec<String>,
    #[serde(default)]
    readonly_dirs: Vec<String>,
    #[serde(default)]
    root: Option<String>,
    #[serde(default)]
    env: BTreeMap<String, String>,
    #[serde(default)]
    exit_code: i32,
    #[serde(default)]
    stdout: Option<String>,
    #[serde(default)]
    stderr: Option<String>,
    #[serde(default, alias = "wasi_functions")]
    features: Vec<String>,
    #[serde(default)]
    proposals: Vec<String>,
    #[serde(default)]
    network: Option<Network>,
    #[serde(default)]
    operations: Option<Vec<Operation>>,
}

/// The network a spec grants: only loopback is.
#[derive(Deserialize)]
#[serde(rename_all = "lowercase")]
enum Network {
    Loopback,
}

#[derive(Deserialize)]
#[serde(tag = "type", rename_all = "lowercase", deny_unknown_fields)]
enum Operation {
    Run {
        #[serde(default)]
        args: Vec<String>,
        #[serde(default)]
        env: BTreeMap<String, String>,
        #[serde(default)]
        dirs: Vec<String>,
        #[serde(default)]
        root: Option<String>,
    },
    Wait {
        #[serde(default)]
        exit_code: i32,
    },
}

impl Spec {
    /// Reads the spec at `path`.
    pub fn read(path: &Path) -> Result<Spec, SpecError> {
        let error = |message: String| SpecError {
            path: path.to_path_buf(),
            message,
        };
        let text = std::fs::read_to_string(path).map_err(|e| error(e.to_string()))?;
        Spec::parse(&text).map_err(error)
    }

    /// Parses a spec from JSON text.
    ///
    /// ```
    /// use wasiport_conformance::spec::Spec;
    /// let spec = Spec::parse(r#"{"args": ["a"], "exit_code": 3, "features": ["fd_write"]}"#)?;
    /// assert_eq!(spec.exit_code, 3);
    /// assert_eq!(spec.stdout, None);
    /// let ops = Spec::parse(r#"{"operations": [{"type": "run", "args": ["x"]}, {"type": "wait", "exit_code": 1}]}"#)?;
    /// assert_eq!((ops.args.as_slice(), ops.exit_code), (&["x".to_string()][..], 1));
    /// assert!(Spec::parse(r#"{"exitcode": 1}"#).unwrap_err().contains("exitcode"));
    /// assert!(Spec::parse(r#"{"network": "loopback"}"#)?.network_loopback);
    /// assert!(Spec::parse(r#"{"network": "everywhere"}"#).is_err());
    /// # Ok::<(), String>(())
    /// ```
    pub fn parse(text: &str) -> Result<Spec, String> {
        let raw: Legacy = serde_json::from_str(text).map_err(|e| e.to_string())?;
        let mut spec = Spec {
            args: raw.args,
            env: raw.env,
            dirs: raw.dirs,
            readonly_dirs: raw.readonly_dirs,
            root: raw.root,
            exit_code: raw.exit_code,
            stdout: raw.stdout,
            stderr: raw.stderr,
            features: raw.features,
            proposals: raw.proposals,
            network_loopback: matches!(raw.network, Some(Network::Loopback)),
        };
        let Some(operations) = raw.operations else {
            return Ok(spec);
        };
        let mut ran = false;
        for op in operations {
            match op {
                Operation::Run {
                    args,
                    env,
                    dirs,
                    root,
                } if !ran => {
                    ran = true;
                    spec.args = args;
                    spec.env = env;
                    spec.dirs = dirs;
                    spec.root = root;
                }
                Operation::Run { .. } => {
                    return Err("more than one `run` operation is not supported".into())
                }
                Operation::Wait { exit_code } => spec.exit_code = exit_code,
            }
        }
        if !ran {
            return Err("the operations have no `run`".into());
        }
        Ok(spec)
    }

    /// Every directory the test preopens: `(name beside the test, guest path, read-only)`.
    pub fn preopens(&self) -> Vec<(String, String, bool)> {
        let mut all: Vec<(String, String, bool)> = Vec::new();
        if let Some(root) = &self.root {
            all.push((root.clone(), "/".into(), false));
        }
        all.extend(self.dirs.iter().map(|d| (d.clone(), d.clone(), false)));
        all.extend(
            self.readonly_dirs
                .iter()
                .map(|d| (d.clone(), d.clone(), true)),
        );
        all
    }
}
