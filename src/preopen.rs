//! Host directories made visible to the guest.

use std::path::{Path, PathBuf};

/// Whether the guest may change what is under a preopened directory.
///
/// ```
/// use wasiport::DirAccess;
/// assert_eq!(DirAccess::default(), DirAccess::ReadWrite);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DirAccess {
    /// The guest may read, but every write, create, truncate, rename, link and delete fails
    /// (with `EPERM`, `EACCES`, `EROFS` or `ENOTCAPABLE`, depending on the runtime).
    ReadOnly,
    /// The guest may read and write.
    #[default]
    ReadWrite,
}

/// A host directory preopened for the guest under `guest_path`.
///
/// ```
/// use wasiport::{DirAccess, Preopen};
/// let p = Preopen::read_only("/srv/data", "/data");
/// assert_eq!(p.guest_path(), "/data");
/// assert_eq!(p.access(), DirAccess::ReadOnly);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Preopen {
    host_path: PathBuf,
    guest_path: String,
    access: DirAccess,
}

impl Preopen {
    /// A preopen with the given access.
    pub fn new(
        host_path: impl Into<PathBuf>,
        guest_path: impl Into<String>,
        access: DirAccess,
    ) -> Self {
        Preopen {
            host_path: host_path.into(),
            guest_path: guest_path.into(),
            access,
        }
    }

    /// A preopen the guest can only read.
    pub fn read_only(host_path: impl Into<PathBuf>, guest_path: impl Into<String>) -> Self {
        Preopen::new(host_path, guest_path, DirAccess::ReadOnly)
    }

    /// A preopen the guest can read and write.
    pub fn read_write(host_path: impl Into<PathBuf>, guest_path: impl Into<String>) -> Self {
        Preopen::new(host_path, guest_path, DirAccess::ReadWrite)
    }

    /// The directory on the host. After [`RunConfigBuilder::build`](crate::RunConfigBuilder::build)
    /// it is canonical (absolute, no symlinks).
    pub fn host_path(&self) -> &Path {
        &self.host_path
    }

    /// The name the guest sees, e.g. `/` or `/data` or `.`.
    pub fn guest_path(&self) -> &str {
        &self.guest_path
    }

    /// Read-only or read-write.
    pub fn access(&self) -> DirAccess {
        self.access
    }

    /// Whether this preopen is read-only.
    pub fn is_read_only(&self) -> bool {
        self.access == DirAccess::ReadOnly
    }

    pub(crate) fn set_host_path(&mut self, path: PathBuf) {
        self.host_path = path;
    }
}
