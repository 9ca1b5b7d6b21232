//! The backends compiled into this build, one cargo feature each, and the targets the suite
//! runs on: each backend with its own WASI, and each that links host functions with the
//! portable WASI too (`wasmtime-portable`, ...).

use wasiport::{Backend, Error};

use crate::target::Target;

/// The names of the compiled-in backends, in a stable order.
///
/// ```
/// assert!(wasiport_conformance::backends::NAMES.contains(&"wasmi"));
/// ```
pub const NAMES: &[&str] = &[
    #[cfg(feature = "wasmtime")]
    "wasmtime",
    #[cfg(feature = "wasmer")]
    "wasmer",
    #[cfg(feature = "wasmi")]
    "wasmi",
    #[cfg(feature = "wasm3")]
    "wasm3",
    #[cfg(feature = "wasmedge")]
    "wasmedge",
    #[cfg(feature = "node")]
    "node",
    #[cfg(feature = "chromium")]
    "chromium",
];

/// The backends run with the [portable WASI](wasiport::portable) ([`Target::portable`]), by
/// target name; each is the backend of that name with `-portable` after it.
///
/// ```
/// use wasiport_conformance::backends::{AS_COMPONENT, NAMES, PORTABLE, TARGETS};
/// assert!(PORTABLE.contains(&"wasmi-portable"));
/// assert_eq!(TARGETS.len(), NAMES.len() + PORTABLE.len() + AS_COMPONENT.len());
/// ```
pub const PORTABLE: &[&str] = &[
    #[cfg(feature = "wasmtime")]
    "wasmtime-portable",
    #[cfg(feature = "wasmer")]
    "wasmer-portable",
    #[cfg(feature = "wasmi")]
    "wasmi-portable",
    #[cfg(feature = "wasmedge")]
    "wasmedge-portable",
    #[cfg(feature = "node")]
    "node-portable",
];

/// The component hosts run with each preview-1 test wrapped into a WASI 0.2 command component
/// ([`Target::as_component`]), by target name; each is the backend of that name with `-p2` after it.
///
/// ```
/// assert!(wasiport_conformance::backends::AS_COMPONENT.contains(&"wasmtime-p2"));
/// ```
pub const AS_COMPONENT: &[&str] = &[
    #[cfg(feature = "wasmtime")]
    "wasmtime-p2",
    #[cfg(feature = "node")]
    "node-p2",
    #[cfg(feature = "chromium")]
    "chromium-p2",
];

/// Every target `all` selects: each backend with its own WASI, then (where it links host
/// functions) with the portable one, then (where it runs components) with its WASI 0.2 under
/// the preview-1 adapter, side by side.
pub const TARGETS: &[&str] = &[
    #[cfg(feature = "wasmtime")]
    "wasmtime",
    #[cfg(feature = "wasmtime")]
    "wasmtime-portable",
    #[cfg(feature = "wasmtime")]
    "wasmtime-p2",
    #[cfg(feature = "wasmer")]
    "wasmer",
    #[cfg(feature = "wasmer")]
    "wasmer-portable",
    #[cfg(feature = "wasmi")]
    "wasmi",
    #[cfg(feature = "wasmi")]
    "wasmi-portable",
    // wasm3 has only the portable WASI.
    #[cfg(feature = "wasm3")]
    "wasm3",
    #[cfg(feature = "wasmedge")]
    "wasmedge",
    #[cfg(feature = "wasmedge")]
    "wasmedge-portable",
    #[cfg(feature = "node")]
    "node",
    #[cfg(feature = "node")]
    "node-portable",
    #[cfg(feature = "node")]
    "node-p2",
    #[cfg(feature = "chromium")]
    "chromium",
    #[cfg(feature = "chromium")]
    "chromium-p2",
];

/// Backends this build could have had, each with how to get it.
///
/// ```
/// for (name, how) in wasiport_conformance::backends::NOT_BUILT {
///     assert!(!wasiport_conformance::backends::NAMES.contains(name), "{how}");
/// }
/// ```
pub const NOT_BUILT: &[(&str, &str)] = &[
    #[cfg(not(feature = "wasmedge"))]
    (
        "wasmedge",
        "build with --features wasmedge (it runs in wasiport-wasmedge-worker, which needs \
         libwasmedge: scripts/install-wasmedge)",
    ),
    #[cfg(not(feature = "node"))]
    ("node", "build with --features node (it needs Node.js 20 or newer to run)"),
    #[cfg(not(feature = "chromium"))]
    (
        "chromium",
        "build with --features chromium (it needs Debian's chromium and the WASI shim: scripts/setup)",
    ),
];

/// Why a backend could not be had.
#[derive(Debug, thiserror::Error)]
pub enum LookupError {
    /// No compiled-in backend has that name.
    #[error("unknown backend `{name}` (compiled in: {}){}", NAMES.join(", "), not_built_hint(name))]
    Unknown {
        /// The name asked for.
        name: String,
    },
    /// The backend is compiled in but could not start.
    #[error(transparent)]
    Failed(#[from] Error),
}

fn not_built_hint(name: &str) -> String {
    NOT_BUILT
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(n, how)| format!("; {n} is not built in: it {how}"))
        .unwrap_or_default()
}

/// Creates the compiled-in backend called `name`.
///
/// ```
/// let backend = wasiport_conformance::backends::by_name("wasmi")?;
/// assert_eq!(backend.name(), "wasmi");
/// assert!(wasiport_conformance::backends::by_name("nope").is_err());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn by_name(name: &str) -> Result<Box<dyn Backend>, LookupError> {
    if let Some(&target) = PORTABLE.iter().find(|t| **t == name) {
        let engine = target.trim_end_matches("-portable");
        return Ok(Box::new(Target::portable(by_name(engine)?, target)?));
    }
    if let Some(&target) = AS_COMPONENT.iter().find(|t| **t == name) {
        let engine = target.trim_end_matches("-p2");
        return Ok(Box::new(Target::as_component(by_name(engine)?, target)?));
    }
    match name {
        #[cfg(feature = "wasmtime")]
        "wasmtime" => Ok(Box::new(wasiport_wasmtime::Wasmtime::new()?)),
        #[cfg(feature = "wasmer")]
        "wasmer" => Ok(Box::new(wasiport_wasmer::Wasmer::new()?)),
        #[cfg(feature = "wasmi")]
        "wasmi" => Ok(Box::new(wasiport_wasmi::Wasmi::new()?)),
        #[cfg(feature = "wasm3")]
        "wasm3" => Ok(Box::new(wasiport_wasm3::Wasm3::new())),
        #[cfg(feature = "wasmedge")]
        "wasmedge" => Ok(Box::new(wasiport_wasmedge_process::WasmedgeProcess::new()?)),
        #[cfg(feature = "node")]
        "node" => Ok(Box::new(wasiport_node::Node::new()?)),
        #[cfg(feature = "chromium")]
        "chromium" => Ok(Box::new(wasiport_chromium::Chromium::new()?)),
        _ => Err(LookupError::Unknown {
            name: name.to_string(),
        }),
    }
}

/// Creates every compiled-in target, or those named in a comma-separated list; `all` means
/// every one of [`TARGETS`].
///
/// ```
/// let backends = wasiport_conformance::backends::select("wasmi, wasmi-portable")?;
/// assert_eq!(backends[1].name(), "wasmi-portable");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn select(list: &str) -> Result<Vec<Box<dyn Backend>>, LookupError> {
    if list == "all" {
        return TARGETS.iter().map(|n| by_name(n)).collect();
    }
    list.split(',').map(|n| by_name(n.trim())).collect()
}
