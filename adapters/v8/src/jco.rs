//! Where the V8 backends find jco (`@bytecodealliance/jco-transpile`, which turns a component
//! into JavaScript and core modules, and `@bytecodealliance/preview2-shim`, its WASI 0.2), and
//! where a component's transpiled form is kept.

use std::path::PathBuf;

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
