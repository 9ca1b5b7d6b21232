//! Where the V8 backends find jco (`@bytecodealliance/jco-transpile`, which turns a component
//! into JavaScript and core modules, and `@bytecodealliance/preview2-shim`, its WASI 0.2), and
//! where a component's transpiled form is kept.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use sha2::{Digest, Sha256};

/// The npm packages, `name@version`, pinned by `jco/package-lock.json` of this crate.
pub const JCO_PACKAGES: [&str; 2] = [
    "@bytecodealliance/jco-transpile@0.15.0",
    "@bytecodealliance/preview2-shim@0.26.1",
];

/// Where `scripts/setup` installs them (`npm ci` in this crate's `jco/`).
const INSTALLED: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/jco/node_modules");

/// The `node_modules` directory that holds jco's packages: the one the variable `WASIPORT_JCO`
/// names, or else the one `scripts/setup` installs into. Fails, saying how to install them, when
/// the packages are not there.
///
/// ```
/// let dir = wasiport_v8::jco_dir()?;
/// assert!(dir.join("@bytecodealliance/preview2-shim/package.json").is_file());
/// # Ok::<(), String>(())
/// ```
pub fn jco_dir() -> Result<PathBuf, String> {
    let dir = std::env::var_os("WASIPORT_JCO")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(INSTALLED));
    for package in JCO_PACKAGES {
        let name = package.rsplit_once('@').map_or(package, |(name, _)| name);
        if !dir.join(name).join("package.json").is_file() {
            return Err(format!(
                "{name} is not installed in {}: components on V8 need {} (scripts/setup runs \
                 `npm ci` in adapters/v8/jco), or name another node_modules in WASIPORT_JCO",
                dir.display(),
                JCO_PACKAGES.join(" and ")
            ));
        }
    }
    Ok(dir)
}

/// The directory a component's transpiled form is kept in: under the temporary directory,
/// named after the component's bytes and jco's version, so that every host process transpiles
/// each component once.
///
/// ```
/// let a = wasiport_v8::transpiled_dir(b"\0asm\x0d\0\x01\0");
/// assert_eq!(a, wasiport_v8::transpiled_dir(b"\0asm\x0d\0\x01\0"));
/// assert_ne!(a, wasiport_v8::transpiled_dir(b"\0asm\x0d\0\x01\0\x00"));
/// ```
pub fn transpiled_dir(component: &[u8]) -> PathBuf {
    let mut hash = Sha256::new();
    for package in JCO_PACKAGES {
        hash.update(package.as_bytes());
        hash.update([0]);
    }
    hash.update(component);
    let digest = hash.finalize();
    let name: String = digest[..16].iter().map(|b| format!("{b:02x}")).collect();
    std::env::temp_dir().join(format!("wasiport-jco-{name}"))
}

/// A component as jco transpiled it: its glue (an ES module that exports `instantiate`) and
/// its core modules, by file name.
#[derive(Debug, Clone)]
pub struct Transpiled {
    /// The glue's source, `component.mjs` (sync instantiation mode: it imports nothing).
    pub glue: String,
    /// The core modules the glue instantiates, `(file name, bytes)`, in jco's order.
    pub cores: Vec<(String, Vec<u8>)>,
}

/// `component` transpiled by jco (from [`jco_dir`]) with the `node` program given, or read from
/// its [`transpiled_dir`] when a process transpiled it before; node is not started then.
///
/// Fails with jco's or node's message, e.g. for bytes that are not a component.
///
/// ```no_run
/// let component = std::fs::read("hello-p2.wasm").unwrap();
/// let transpiled = wasiport_v8::transpile("node".as_ref(), &component)?;
/// assert!(transpiled.glue.contains("export function instantiate"));
/// # Ok::<(), String>(())
/// ```
pub fn transpile(node: &Path, component: &[u8]) -> Result<Transpiled, String> {
    let dir = transpiled_dir(component);
    let list = dir.join("cores.json");
    if !list.is_file() {
        run_transpiler(node, component, &dir)?;
    }
    let read = |path: &Path| std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()));
    let names: Vec<String> =
        serde_json::from_slice(&read(&list)?).map_err(|e| format!("{}: {e}", list.display()))?;
    let glue = String::from_utf8(read(&dir.join("component.mjs"))?)
        .map_err(|e| format!("{}: {e}", dir.display()))?;
    let mut cores = Vec::new();
    for name in names {
        let bytes = read(&dir.join(&name))?;
        cores.push((name, bytes));
    }
    Ok(Transpiled { glue, cores })
}

/// Runs `js/transpile.mjs` in `node`, the component on its stdin, into `dir`.
fn run_transpiler(node: &Path, component: &[u8], dir: &Path) -> Result<(), String> {
    let jco = jco_dir()?;
    let script = format!("{}\nawait main();\n", crate::TRANSPILE_JS);
    let mut child = Command::new(node)
        .args(["--input-type=module", "-e", &script, "--"])
        .arg(&jco)
        .arg(dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| {
            format!(
                "cannot run `{}` to transpile the component ({e}): install Node.js, or name \
                 it in WASIPORT_NODE",
                node.display()
            )
        })?;
    let written = child
        .stdin
        .take()
        .map(|mut stdin| stdin.write_all(component));
    let output = child
        .wait_with_output()
        .map_err(|e| format!("{}: {e}", node.display()))?;
    if !output.status.success() {
        let message = String::from_utf8_lossy(&output.stderr);
        return Err(format!(
            "jco could not transpile the component: {}",
            message.trim()
        ));
    }
    match written {
        Some(Err(e)) => Err(format!("the component could not be sent to node: {e}")),
        _ => Ok(()),
    }
}
