//! Which WASI implementation a run uses: the runtime's own, or wasiport's portable one.

use std::fmt;
use std::str::FromStr;

/// The WASI implementation of a run.
///
/// ```
/// use wasiport::WasiImpl;
/// assert_eq!("portable".parse::<WasiImpl>(), Ok(WasiImpl::Portable));
/// assert_eq!(WasiImpl::Native.to_string(), "native");
/// assert!("posix".parse::<WasiImpl>().is_err());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum WasiImpl {
    /// The runtime's own WASI preview 1
    /// ([`Capability::WasiPreview1`](crate::Capability::WasiPreview1)).
    Native,
    /// wasiport's [portable WASI](crate::portable), the same on every engine
    /// ([`Capability::PortableWasi`](crate::Capability::PortableWasi)).
    Portable,
}

impl WasiImpl {
    /// Both, native first.
    pub const ALL: [WasiImpl; 2] = [WasiImpl::Native, WasiImpl::Portable];

    /// `"native"` or `"portable"`.
    pub fn as_str(self) -> &'static str {
        match self {
            WasiImpl::Native => "native",
            WasiImpl::Portable => "portable",
        }
    }
}

impl fmt::Display for WasiImpl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for WasiImpl {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "native" => Ok(WasiImpl::Native),
            "portable" => Ok(WasiImpl::Portable),
            other => Err(format!(
                "unknown WASI implementation {other:?}: expected native or portable"
            )),
        }
    }
}
