//! Shared by the integration tests: the backends under test, the guests, and fixtures.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use wasiport::Backend;

/// Every target compiled into the conformance crate, each created fresh: the backends
/// (wasmtime, wasmer and wasmi; WasmEdge too with `--all-features`) with their own WASI, and
/// those that link host functions with the portable WASI (`wasmtime-portable`, ...).
pub fn backends() -> Vec<Box<dyn Backend>> {
    wasiport_conformance::backends::select("all").expect("every compiled-in backend starts")
}

/// The targets that declare `capability`.
pub fn backends_with(capability: wasiport::Capability) -> Vec<Box<dyn Backend>> {
    backends()
        .into_iter()
        .filter(|b| b.capabilities().contains(capability))
        .collect()
}

/// The backends themselves, each once (no portable-WASI targets).
pub fn engines() -> Vec<Box<dyn Backend>> {
    wasiport_conformance::backends::select(&wasiport_conformance::backends::NAMES.join(","))
        .expect("every compiled-in backend starts")
}

/// The backend called `name`.
pub fn backend(name: &str) -> Box<dyn Backend> {
    backends()
        .into_iter()
        .find(|b| b.name() == name)
        .unwrap_or_else(|| panic!("no backend {name}"))
}

fn workspace_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The `probe` guest (tests/guests/src/probe.rs), built for wasm32-wasip1 on first use.
pub fn probe() -> &'static [u8] {
    static PROBE: OnceLock<Vec<u8>> = OnceLock::new();
    PROBE.get_or_init(|| build_guests("wasm32-wasip1", Profile::Release))
}

/// The same `probe` built without optimization, as wasi-testsuite builds its Rust tests: a
/// large module (about 3 MB: 190 KB of unoptimized code, the rest debug information) whose
/// compilation costs more than a short run.
#[allow(dead_code)]
pub fn probe_unoptimized() -> &'static [u8] {
    static PROBE: OnceLock<Vec<u8>> = OnceLock::new();
    PROBE.get_or_init(|| build_guests("wasm32-wasip1", Profile::Unoptimized))
}

/// The same `probe` built for wasm32-wasip2: a WASI 0.2 command component, from the same source.
#[allow(dead_code)]
pub fn probe_p2() -> &'static [u8] {
    static PROBE: OnceLock<Vec<u8>> = OnceLock::new();
    PROBE.get_or_init(|| build_guests("wasm32-wasip2", Profile::Release))
}

/// The `token` guest (tests/guests/src/token.rs), a reactor exporting `alloc` and `check`, built
/// for wasm32-wasip1 on first use.
pub fn token() -> &'static [u8] {
    static TOKEN: OnceLock<Vec<u8>> = OnceLock::new();
    TOKEN.get_or_init(|| {
        probe();
        let path = workspace_root().join("target/guests/wasm32-wasip1/release/token.wasm");
        std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
    })
}

/// `PAYLOAD.SIGNATURE` with the signature the `token` guest accepts: the lowercase hex of
/// HMAC-SHA256 (RFC 2104) of the payload under its key.
pub fn signed_token(payload: &str) -> Vec<u8> {
    use sha2::{Digest, Sha256};
    let mut block = [0u8; 64];
    let key = b"wasiport test key";
    block[..key.len()].copy_from_slice(key);
    let pad = |byte: u8| block.map(|k| k ^ byte);
    let inner = Sha256::new()
        .chain_update(pad(0x36))
        .chain_update(payload)
        .finalize();
    let mac = Sha256::new()
        .chain_update(pad(0x5c))
        .chain_update(inner)
        .finalize();
    let hex: String = mac.iter().map(|b| format!("{b:02x}")).collect();
    format!("{payload}.{hex}").into_bytes()
}

/// How the guests are built.
#[derive(Clone, Copy, PartialEq)]
enum Profile {
    /// cargo's `release` (the guests' manifest: opt-level s, stripped).
    Release,
    /// cargo's `dev`: no optimization, with debug information.
    Unoptimized,
}

/// Builds the guests for `target` and reads the probe.
///
/// They are built by cargo into `target/guests`, a target directory of its own, so this works
/// while the outer `cargo test` holds its own build lock.
fn build_guests(target: &str, profile: Profile) -> Vec<u8> {
    let root = workspace_root();
    let target_dir = root.join("target").join("guests");
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut command = Command::new(cargo);
    command.arg("build");
    if profile == Profile::Release {
        command.arg("--release");
    }
    let status = command
        .args(["--quiet", "--target", target])
        .arg("--manifest-path")
        .arg(root.join("tests/guests/Cargo.toml"))
        .arg("--target-dir")
        .arg(&target_dir)
        .env_remove("RUSTFLAGS")
        .env_remove("CARGO_ENCODED_RUSTFLAGS")
        .status()
        .expect("run cargo to build the guests");
    assert!(
        status.success(),
        "building the Rust guests for {target} failed; is the target installed? (rustup target add {target})"
    );
    let dir = match profile {
        Profile::Release => "release",
        Profile::Unoptimized => "debug",
    };
    let path = target_dir.join(target).join(dir).join("probe.wasm");
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// A fresh fixture directory:
///
/// ```text
/// data/hello.txt          "hello from the host\n"
/// data/sub/               an empty directory
/// data/escape -> ../outside/secret.txt
/// outside/secret.txt      "secret\n"
/// ```
pub struct Fixture {
    pub dir: tempfile::TempDir,
}

impl Fixture {
    pub fn new() -> Fixture {
        let dir = tempfile::tempdir().expect("tempdir");
        let data = dir.path().join("data");
        std::fs::create_dir_all(data.join("sub")).unwrap();
        std::fs::create_dir_all(dir.path().join("outside")).unwrap();
        std::fs::write(data.join("hello.txt"), "hello from the host\n").unwrap();
        std::fs::write(dir.path().join("outside/secret.txt"), "secret\n").unwrap();
        std::os::unix::fs::symlink("../outside/secret.txt", data.join("escape")).unwrap();
        Fixture { dir }
    }

    pub fn data(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    pub fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    pub fn read(&self, rel: &str) -> Option<String> {
        std::fs::read_to_string(self.path(rel)).ok()
    }

    pub fn exists(&self, rel: &str) -> bool {
        Path::new(&self.path(rel)).symlink_metadata().is_ok()
    }
}
