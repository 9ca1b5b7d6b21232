//! The backends compiled into this build, one cargo feature each.

use wasiport::{Backend, Error};

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
    #[cfg(feature = "wasmedge")]
    "wasmedge",
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
        "needs libwasmedge: run scripts/install-wasmedge, then build with --features wasmedge",
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
    match name {
        #[cfg(feature = "wasmtime")]
        "wasmtime" => Ok(Box::new(wasiport_wasmtime::Wasmtime::new()?)),
        #[cfg(feature = "wasmer")]
        "wasmer" => Ok(Box::new(wasiport_wasmer::Wasmer::new()?)),
        #[cfg(feature = "wasmi")]
        "wasmi" => Ok(Box::new(wasiport_wasmi::Wasmi::new()?)),
        #[cfg(feature = "wasmedge")]
        "wasmedge" => Ok(Box::new(wasiport_wasmedge::Wasmedge::new()?)),
        _ => Err(LookupError::Unknown {
            name: name.to_string(),
        }),
    }
}

/// Creates every compiled-in backend, or those named in a comma-separated list; `all` means
/// every one.
///
/// ```
/// let backends = wasiport_conformance::backends::select("all")?;
/// assert_eq!(backends.len(), wasiport_conformance::backends::NAMES.len());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn select(list: &str) -> Result<Vec<Box<dyn Backend>>, LookupError> {
    if list == "all" {
        return NAMES.iter().map(|n| by_name(n)).collect();
    }
    list.split(',').map(|n| by_name(n.trim())).collect()
}
