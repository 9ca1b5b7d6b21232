//! Test suites in wasi-testsuite's directory layout.
//!
//! A suite is a directory of tests: `NAME.wasm` (or `NAME.wat`) with an optional `NAME.json`
//! spec beside it, an optional `manifest.json` (`{"name": ...}`) and the fixture directories the
//! specs name. A directory without tests of its own whose subdirectories are suites (the built-in
//! suite is one such, a suite per WASI area) is read as all of them.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::spec::{Spec, SpecError};

/// One test: its module and its spec.
#[derive(Debug, Clone)]
pub struct Test {
    /// The file name without its extension.
    pub name: String,
    /// The `.wasm` or `.wat` file.
    pub module: PathBuf,
    /// What to run and expect (the default spec when there is no `NAME.json`).
    pub spec: Spec,
}

/// One suite: a name and its tests, sorted by name.
#[derive(Debug, Clone)]
pub struct Suite {
    /// The manifest's name, or the directory's path when there is no manifest.
    pub name: String,
    /// The directory.
    pub dir: PathBuf,
    /// The tests.
    pub tests: Vec<Test>,
}

/// Why a suite could not be read.
#[derive(Debug, thiserror::Error)]
pub enum SuiteError {
    /// A spec or manifest is malformed or names something that is not there.
    #[error(transparent)]
    Spec(#[from] SpecError),
    /// A directory or file could not be read.
    #[error("{}: {source}", path.display())]
    Io {
        /// The path.
        path: PathBuf,
        /// The error.
        source: std::io::Error,
    },
    /// The directory holds no tests, and no suites either.
    #[error("{}: no tests here (no *.wasm or *.wat files, and no suites below)", path.display())]
    Empty {
        /// The directory.
        path: PathBuf,
    },
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> SuiteError + '_ {
    move |source| SuiteError::Io {
        path: path.to_path_buf(),
        source,
    }
}

fn is_module(path: &Path) -> bool {
    matches!(
        path.extension().and_then(|e| e.to_str()),
        Some("wasm") | Some("wat")
    )
}

impl Suite {
    /// Reads the suite, or the suites, in `dir`.
    ///
    /// ```
    /// let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/suite");
    /// let suites = wasiport_conformance::suite::Suite::discover(dir.as_ref())?;
    /// assert!(suites.iter().any(|s| s.name == "args_env"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn discover(dir: &Path) -> Result<Vec<Suite>, SuiteError> {
        let entries = sorted_entries(dir).map_err(io(dir))?;
        if entries.iter().any(|p| is_module(p) && p.is_file()) {
            return Ok(vec![Suite::load(dir)?]);
        }
        let mut suites = Vec::new();
        for sub in entries.iter().filter(|p| p.is_dir()) {
            match Suite::discover(sub) {
                Ok(mut found) => suites.append(&mut found),
                Err(SuiteError::Empty { .. }) => {}
                Err(e) => return Err(e),
            }
        }
        if suites.is_empty() {
            return Err(SuiteError::Empty {
                path: dir.to_path_buf(),
            });
        }
        Ok(suites)
    }

    /// Reads the suite in `dir` (its own tests only).
    pub fn load(dir: &Path) -> Result<Suite, SuiteError> {
        let manifest = dir.join("manifest.json");
        let name = if manifest.exists() {
            read_manifest(&manifest)?
        } else {
            dir.display().to_string()
        };
        let modules: Vec<PathBuf> = sorted_entries(dir)
            .map_err(io(dir))?
            .into_iter()
            .filter(|p| is_module(p) && p.is_file())
            .collect();
        let mut tests = Vec::new();
        for module in modules {
            let name = module
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default();
            let spec_path = module.with_extension("json");
            let mut spec = if spec_path.exists() {
                Spec::read(&spec_path)?
            } else {
                Spec::default()
            };
            // A suite written for another runner lists no features: the matrix's rows for its
            // tests are what their modules import.
            if spec.features.is_empty() {
                spec.features = features_from_imports(&module);
            }
            for (fixture, _, _) in spec.preopens() {
                if Path::new(&fixture).is_absolute()
                    || fixture.split('/').any(|c| c == "..")
                    || !dir.join(&fixture).is_dir()
                {
                    return Err(SpecError {
                        path: spec_path,
                        message: format!(
                            "names fixture directory `{fixture}`, which is not a directory beside the test"
                        ),
                    }
                    .into());
                }
            }
            tests.push(Test { name, module, spec });
        }
        if tests.is_empty() {
            return Err(SuiteError::Empty {
                path: dir.to_path_buf(),
            });
        }
        Ok(Suite {
            name,
            dir: dir.to_path_buf(),
            tests,
        })
    }
}

/// What a test module exercises, read off its imports: the WASI preview-1 functions of a core
/// module, or each WASI interface of a component as `package/interface#*` (`@0.3#*` for WASI
/// 0.3: the rows of the matrix's sections). Empty for a module that cannot be read (the run
/// will say why).
///
/// ```
/// let dir = tempfile::tempdir()?;
/// let module = dir.path().join("t.wat");
/// std::fs::write(&module, r#"(module
///     (import "wasi_snapshot_preview1" "fd_write" (func (param i32 i32 i32 i32) (result i32)))
///     (import "env" "log" (func)))"#)?;
/// assert_eq!(wasiport_conformance::suite::features_from_imports(&module), ["fd_write"]);
/// # Ok::<(), std::io::Error>(())
/// ```
pub fn features_from_imports(module: &Path) -> Vec<String> {
    let bytes = match module.extension().and_then(|e| e.to_str()) {
        Some("wat") => wat::parse_file(module).ok(),
        _ => std::fs::read(module).ok(),
    };
    let Some(info) = bytes.and_then(|b| wasiport::ModuleInfo::parse(&b).ok()) else {
        return Vec::new();
    };
    let mut features: Vec<String> = match info.component() {
        Some(component) => component
            .imports()
            .iter()
            .filter(|i| i.package().is_some_and(|p| p.starts_with("wasi:")))
            .map(|i| {
                let base = format!("{}/{}", i.package().unwrap_or_default(), i.interface());
                match i.wasi_version() {
                    Some(wasiport::WasiVersion::V0_3) => format!("{base}@0.3#*"),
                    _ => format!("{base}#*"),
                }
            })
            .collect(),
        None => info
            .imports()
            .iter()
            .filter_map(|i| i.wasi_p1_function())
            .map(|f| f.name.to_string())
            .collect(),
    };
    features.sort();
    features.dedup();
    features
}

fn read_manifest(path: &Path) -> Result<String, SuiteError> {
    #[derive(serde::Deserialize)]
    struct Manifest {
        name: String,
        #[allow(dead_code)]
        #[serde(default)]
        version: Option<serde_json::Value>,
    }
    let text = std::fs::read_to_string(path).map_err(io(path))?;
    let manifest: Manifest = serde_json::from_str(&text).map_err(|e| SpecError {
        path: path.to_path_buf(),
        message: e.to_string(),
    })?;
    Ok(manifest.name)
}

/// The paths in `dir`, sorted.
pub fn sorted_entries(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut entries = std::fs::read_dir(dir)?
        .map(|e| e.map(|e| e.path()))
        .collect::<std::io::Result<Vec<_>>>()?;
    entries.sort();
    Ok(entries)
}

/// The file of a fixture directory that lists the symlinks its copies get: a JSON object of
/// link name → target (`{"link": "file.txt", "up_link": "../.."}`). A `.crate` archive cannot
/// hold a symlink (cargo follows them, and one that loops or dangles stops the packaging), so
/// the built-in fixtures describe theirs here, and each test's copy has them made.
pub const SYMLINKS_FILE: &str = ".symlinks.json";

/// How [`copy_fixture`] treats a [`SYMLINKS_FILE`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FixtureCopy {
    /// A copy a test runs on: the links the file lists are made, and the file is left out.
    ForRun,
    /// A copy as it is (the suite build): the file is copied like any other.
    Verbatim,
}

/// Copies the directory tree `from` to `to`, keeping symlinks as symlinks, making those a
/// [`SYMLINKS_FILE`] lists (for [`FixtureCopy::ForRun`]) and leaving out `*.cleanup` files
/// (artifacts of earlier runs).
///
/// ```
/// use wasiport_conformance::suite::{copy_fixture, FixtureCopy, SYMLINKS_FILE};
/// let dir = tempfile::tempdir().unwrap();
/// let (from, to) = (dir.path().join("from"), dir.path().join("to"));
/// std::fs::create_dir(&from).unwrap();
/// std::fs::write(from.join("file.txt"), "x").unwrap();
/// std::fs::write(from.join(SYMLINKS_FILE), r#"{"link": "file.txt"}"#).unwrap();
/// copy_fixture(&from, &to, FixtureCopy::ForRun).unwrap();
/// assert_eq!(std::fs::read_link(to.join("link")).unwrap().to_str(), Some("file.txt"));
/// assert!(!to.join(SYMLINKS_FILE).exists());
/// ```
pub fn copy_fixture(from: &Path, to: &Path, how: FixtureCopy) -> std::io::Result<()> {
    std::fs::create_dir_all(to)?;
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        let name = entry.file_name();
        if name.to_string_lossy().ends_with(".cleanup") {
            continue;
        }
        let (src, dst) = (entry.path(), to.join(&name));
        let ty = entry.file_type()?;
        if how == FixtureCopy::ForRun && name == SYMLINKS_FILE {
            for (link, target) in read_symlinks(&src)? {
                std::os::unix::fs::symlink(target, to.join(link))?;
            }
        } else if ty.is_symlink() {
            std::os::unix::fs::symlink(std::fs::read_link(&src)?, &dst)?;
        } else if ty.is_dir() {
            copy_fixture(&src, &dst, how)?;
        } else {
            std::fs::copy(&src, &dst)?;
        }
    }
    Ok(())
}

/// The links a [`SYMLINKS_FILE`] lists; each must be a plain name (a link in that directory).
fn read_symlinks(path: &Path) -> std::io::Result<BTreeMap<String, String>> {
    let bad = |message: String| {
        std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!("{}: {message}", path.display()),
        )
    };
    let links: BTreeMap<String, String> =
        serde_json::from_slice(&std::fs::read(path)?).map_err(|e| bad(e.to_string()))?;
    if let Some(link) = links
        .keys()
        .find(|l| l.is_empty() || l.contains('/') || *l == "." || *l == "..")
    {
        return Err(bad(format!("`{link}` is not a name in this directory")));
    }
    Ok(links)
}
