//! Builds the built-in suite (`conformance/suite`) from its sources (`conformance/suite-src`).
//!
//! Sources are grouped by WASI area, a directory each:
//!
//! * `*.c` files hold several cases each (`CASE(name, "wasi functions")`, see `check.h`); each
//!   case is compiled on its own with clang for `wasm32-wasi` against wasi-libc, so that it is
//!   one test in wasi-testsuite's layout. `//! name {json}` lines add to a case's spec, `//! *
//!   {json}` lines to every case of the file (a file-wide `mandated` is not given to a case
//!   that is `implementation_defined`).
//! * `*.wat` files are one test each, converted with the `wat` crate; `;;! {json}` lines give
//!   its spec.
//! * `*.rs` files are WASI 0.2 programs (the `rust/` crate's binaries, built once with cargo for
//!   `wasm32-wasip2`): each `case!(name, "features"` line is a test of its own, the program
//!   with the case's name as its argument (`"args": [name]`, or its `run` operation's in an
//!   operation-based spec), with `//! name {json}` and `//! * {json}` lines as in C. Every case of a program is the same component, stored once per test.
//! * `fixtures/` holds the fixture directories; each group gets a copy of those its specs name;
//!   `rust/` holds the crate of the WASI 0.2 programs.
//!
//! The built suite is committed, so that running it needs no C toolchain; a test rebuilds it and
//! checks that the result is byte for byte what is committed.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::{Map, Value};

use crate::suite::FixtureCopy;

/// How to compile C guests.
#[derive(Debug, Clone)]
pub struct Toolchain {
    /// The C compiler (`$WASI_CC`, default `clang`).
    pub cc: String,
    /// The wasi-libc sysroot (`$WASI_SYSROOT`, default `/usr`, where Debian's `wasi-libc` is).
    pub sysroot: PathBuf,
}

impl Default for Toolchain {
    fn default() -> Self {
        Toolchain {
            cc: std::env::var("WASI_CC").unwrap_or_else(|_| "clang".into()),
            sysroot: std::env::var_os("WASI_SYSROOT")
                .map(PathBuf::from)
                .unwrap_or_else(|| "/usr".into()),
        }
    }
}

/// Why the suite could not be built.
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    /// A file could not be read or written.
    #[error("{}: {source}", path.display())]
    Io {
        /// The path.
        path: PathBuf,
        /// The error.
        source: std::io::Error,
    },
    /// A source is malformed.
    #[error("{}: {message}", path.display())]
    Source {
        /// The source file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// The C compiler could not be run, or failed.
    #[error("{}: {message}", path.display())]
    Compile {
        /// The source file.
        path: PathBuf,
        /// The compiler's message.
        message: String,
    },
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> BuildError + '_ {
    move |source| BuildError::Io {
        path: path.to_path_buf(),
        source,
    }
}

fn sorted_entries(dir: &Path) -> Result<Vec<PathBuf>, BuildError> {
    crate::suite::sorted_entries(dir).map_err(io(dir))
}

/// One case found in a C source.
struct Case {
    name: String,
    spec: Map<String, Value>,
}

fn merge(into: &mut Map<String, Value>, from: &Map<String, Value>) {
    for (k, v) in from {
        into.insert(k.clone(), v.clone());
    }
}

fn parse_json(path: &Path, text: &str) -> Result<Map<String, Value>, BuildError> {
    match serde_json::from_str::<Value>(text) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(BuildError::Source {
            path: path.to_path_buf(),
            message: format!("`{text}` is not a JSON object"),
        }),
        Err(e) => Err(BuildError::Source {
            path: path.to_path_buf(),
            message: format!("`{text}`: {e}"),
        }),
    }
}

/// The cases of a C source (`CASE(name, "features")`, or `case!(name, "features"` in a Rust
/// one) and their specs.
fn c_cases(path: &Path, source: &str) -> Result<Vec<Case>, BuildError> {
    let bad = |message: String| BuildError::Source {
        path: path.to_path_buf(),
        message,
    };
    let mut file_wide = Map::new();
    let mut extra: Vec<(String, Map<String, Value>)> = Vec::new();
    let mut cases = Vec::new();
    for line in source.lines() {
        let line = line.trim();
        if let Some(rest) = line.strip_prefix("//!") {
            let rest = rest.trim();
            let (who, json) = rest
                .split_once(' ')
                .ok_or_else(|| bad(format!("`{line}`: expected `//! NAME {{json}}`")))?;
            let json = parse_json(path, json.trim())?;
            if who == "*" {
                merge(&mut file_wide, &json);
            } else {
                extra.push((who.to_string(), json));
            }
        } else if let Some(rest) = line
            .strip_prefix("CASE(")
            .or_else(|| line.strip_prefix("case!("))
        {
            let (name, rest) = rest
                .split_once(',')
                .ok_or_else(|| bad(format!("`{line}`: expected CASE(name, \"features\")")))?;
            let features = rest
                .split('"')
                .nth(1)
                .ok_or_else(|| bad(format!("`{line}`: the features are not a string")))?;
            let mut spec = Map::new();
            spec.insert(
                "features".into(),
                Value::from(features.split_whitespace().collect::<Vec<_>>()),
            );
            cases.push(Case {
                name: name.trim().to_string(),
                spec,
            });
        }
    }
    for (who, json) in extra {
        let case = cases
            .iter_mut()
            .find(|c| c.name == who)
            .ok_or_else(|| bad(format!("`//! {who}` names no case of this file")))?;
        merge(&mut case.spec, &json);
    }
    for case in &mut cases {
        let mut spec = Map::new();
        merge(&mut spec, &file_wide);
        // A file's `mandated` is its cases' default; an implementation-defined case has none.
        if case.spec.contains_key("implementation_defined") {
            spec.remove("mandated");
        }
        merge(&mut spec, &case.spec);
        // A legacy spec checks that nothing else is printed; an operation-based one says what
        // it reads itself.
        if !spec.contains_key("operations") {
            spec.entry("stdout").or_insert_with(|| Value::from(""));
        }
        case.spec = spec;
    }
    Ok(cases)
}

fn write(path: &Path, bytes: &[u8]) -> Result<(), BuildError> {
    std::fs::write(path, bytes).map_err(io(path))
}

fn write_spec(path: &Path, spec: &Map<String, Value>) -> Result<(), BuildError> {
    let mut text = serde_json::to_string_pretty(spec).unwrap_or_default();
    text.push('\n');
    write(path, text.as_bytes())
}

fn compile_c(
    toolchain: &Toolchain,
    src_root: &Path,
    source: &Path,
    case: &str,
    out: &Path,
) -> Result<(), BuildError> {
    let output = Command::new(&toolchain.cc)
        .arg("--target=wasm32-wasi")
        .arg(format!("--sysroot={}", toolchain.sysroot.display()))
        .args(["-Os", "-std=c11", "-Wall", "-Wno-unused-function"])
        .args(["-Wl,--strip-all", "-ffile-prefix-map=/=/"])
        .arg("-I")
        .arg(src_root)
        .arg(format!("-DRUN_CASE=case_{case}"))
        .arg("-o")
        .arg(out)
        .arg(source)
        .output()
        .map_err(|e| BuildError::Compile {
            path: source.to_path_buf(),
            message: format!(
                "cannot run `{}` ({e}); install clang, lld, wasi-libc and libclang-rt-dev-wasm32, \
                 or set WASI_CC",
                toolchain.cc
            ),
        })?;
    if !output.status.success() {
        return Err(BuildError::Compile {
            path: source.to_path_buf(),
            message: format!(
                "case {case}: {}",
                String::from_utf8_lossy(&output.stderr).trim()
            ),
        });
    }
    Ok(())
}

/// Builds the WASI 0.2 programs of `src/rust` (all at once, with cargo, for `wasm32-wasip2`)
/// and returns where the components are. Paths are remapped so that the bytes do not depend on
/// where the crate and cargo's registry are.
fn build_rust(src: &Path) -> Result<PathBuf, BuildError> {
    let manifest = src.join("rust/Cargo.toml");
    let target_dir = src.join("rust/target");
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let cargo_home = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo")));
    let mut flags = format!("--remap-path-prefix={}=/src", src.display());
    if let Some(home) = cargo_home {
        flags.push_str(&format!(
            "\x1f--remap-path-prefix={}=/cargo",
            home.display()
        ));
    }
    let compile = |message: String| BuildError::Compile {
        path: manifest.clone(),
        message,
    };
    let output = Command::new(&cargo)
        .args(["build", "--release", "--locked", "--quiet"])
        .args(["--target", "wasm32-wasip2"])
        .arg("--manifest-path")
        .arg(&manifest)
        .arg("--target-dir")
        .arg(&target_dir)
        .env_remove("RUSTFLAGS")
        .env("CARGO_ENCODED_RUSTFLAGS", flags)
        .output()
        .map_err(|e| compile(format!("cannot run cargo ({e})")))?;
    if !output.status.success() {
        return Err(compile(format!(
            "{} (is the target installed? rustup target add wasm32-wasip2)",
            String::from_utf8_lossy(&output.stderr).trim()
        )));
    }
    Ok(target_dir.join("wasm32-wasip2/release"))
}

/// Builds every group of `src` into `out` (created if needed). Returns the number of tests.
pub fn build_suite(src: &Path, out: &Path, toolchain: &Toolchain) -> Result<usize, BuildError> {
    let fixtures = src.join("fixtures");
    let rust = src.join("rust");
    let mut programs: Option<PathBuf> = None;
    let mut count = 0;
    for group in sorted_entries(src)? {
        if !group.is_dir() || group == fixtures || group == rust {
            continue;
        }
        let name = group
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let dest = out.join(&name);
        if dest.exists() {
            std::fs::remove_dir_all(&dest).map_err(io(&dest))?;
        }
        std::fs::create_dir_all(&dest).map_err(io(&dest))?;
        let mut manifest = Map::new();
        manifest.insert("name".into(), Value::from(name.as_str()));
        write_spec(&dest.join("manifest.json"), &manifest)?;
        let mut used_fixtures: Vec<String> = Vec::new();
        for source in sorted_entries(&group)? {
            let text = || std::fs::read_to_string(&source).map_err(io(&source));
            let specs: Vec<(String, Map<String, Value>)> =
                match source.extension().and_then(|e| e.to_str()) {
                    Some("c") => {
                        let cases = c_cases(&source, &text()?)?;
                        for case in &cases {
                            let wasm = dest.join(format!("{}.wasm", case.name));
                            compile_c(toolchain, src, &source, &case.name, &wasm)?;
                        }
                        cases.into_iter().map(|c| (c.name, c.spec)).collect()
                    }
                    Some("rs") => {
                        let built = match &programs {
                            Some(dir) => dir.clone(),
                            None => programs.insert(build_rust(src)?).clone(),
                        };
                        let stem = source
                            .file_stem()
                            .map(|s| s.to_string_lossy().into_owned())
                            .unwrap_or_default();
                        let component = built.join(format!("{stem}.wasm"));
                        let bytes = std::fs::read(&component).map_err(io(&component))?;
                        let mut cases = c_cases(&source, &text()?)?;
                        for case in &mut cases {
                            write(&dest.join(format!("{}.wasm", case.name)), &bytes)?;
                            let args = Value::from(vec![case.name.clone()]);
                            // The case's name is its program's argument: the run's, in an
                            // operation-based spec.
                            match case.spec.get_mut("operations") {
                                Some(Value::Array(operations)) => {
                                    if let Some(Value::Object(run)) = operations.first_mut() {
                                        run.entry("args").or_insert(args);
                                    }
                                }
                                _ => {
                                    case.spec.entry("args").or_insert(args);
                                }
                            }
                        }
                        cases.into_iter().map(|c| (c.name, c.spec)).collect()
                    }
                    Some("wat") => {
                        let text = text()?;
                        let stem = source
                            .file_stem()
                            .map(|s| s.to_string_lossy().into_owned())
                            .unwrap_or_default();
                        let mut spec = Map::new();
                        for line in text.lines().filter_map(|l| l.trim().strip_prefix(";;!")) {
                            merge(&mut spec, &parse_json(&source, line.trim())?);
                        }
                        let wasm = wat::parse_str(&text).map_err(|e| BuildError::Source {
                            path: source.clone(),
                            message: e.to_string(),
                        })?;
                        write(&dest.join(format!("{stem}.wasm")), &wasm)?;
                        vec![(stem, spec)]
                    }
                    _ => continue,
                };
            for (case, spec) in specs {
                for key in ["dirs", "readonly_dirs"] {
                    for dir in spec
                        .get(key)
                        .and_then(Value::as_array)
                        .into_iter()
                        .flatten()
                    {
                        if let Some(dir) = dir.as_str() {
                            if !used_fixtures.iter().any(|d| d == dir) {
                                used_fixtures.push(dir.to_string());
                            }
                        }
                    }
                }
                write_spec(&dest.join(format!("{case}.json")), &spec)?;
                count += 1;
            }
        }
        for fixture in used_fixtures {
            let from = fixtures.join(&fixture);
            crate::suite::copy_fixture(&from, &dest.join(&fixture), FixtureCopy::Verbatim)
                .map_err(io(&from))?;
        }
    }
    Ok(count)
}

/// Every file below `dir`, as paths relative to it, sorted; symlinks are listed, not followed.
pub fn tree(dir: &Path) -> Result<Vec<PathBuf>, BuildError> {
    fn walk(root: &Path, dir: &Path, out: &mut Vec<PathBuf>) -> Result<(), BuildError> {
        for path in sorted_entries(dir)? {
            let meta = std::fs::symlink_metadata(&path).map_err(io(&path))?;
            if meta.is_dir() {
                walk(root, &path, out)?;
            } else if let Ok(rel) = path.strip_prefix(root) {
                out.push(rel.to_path_buf());
            }
        }
        Ok(())
    }
    let mut out = Vec::new();
    walk(dir, dir, &mut out)?;
    Ok(out)
}
