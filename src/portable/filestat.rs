//! WASI's `filestat`, from the host's metadata.

use cap_std::fs::Metadata;

use super::abi::filetype;

/// A `filestat` (64 bytes in the guest).
pub(crate) struct Filestat {
    dev: u64,
    pub(super) ino: u64,
    filetype: u8,
    nlink: u64,
    size: u64,
    atim: u64,
    mtim: u64,
    ctim: u64,
}

fn nanos(time: std::io::Result<cap_std::time::SystemTime>) -> u64 {
    time.ok()
        .and_then(|t| {
            t.into_std()
                .duration_since(std::time::SystemTime::UNIX_EPOCH)
                .ok()
        })
        .and_then(|d| u64::try_from(d.as_nanos()).ok())
        .unwrap_or(0)
}

/// The `filetype` of a host file type.
pub(crate) fn filetype_of(ty: cap_std::fs::FileType) -> u8 {
    if ty.is_dir() {
        filetype::DIRECTORY
    } else if ty.is_file() {
        filetype::REGULAR_FILE
    } else if ty.is_symlink() {
        filetype::SYMBOLIC_LINK
    } else {
        filetype::UNKNOWN
    }
}

impl Filestat {
    /// The filestat of `meta`. The status-change time is the host's ctime where it has one.
    pub fn of(meta: &Metadata) -> Self {
        let (dev, ino, nlink, ctim) = ids(meta);
        Filestat {
            dev,
            ino,
            filetype: filetype_of(meta.file_type()),
            nlink,
            size: meta.len(),
            atim: nanos(meta.accessed()),
            mtim: nanos(meta.modified()),
            ctim,
        }
    }

    /// The filestat of a standard stream or a socket (`filetype`).
    pub fn stream(filetype: u8) -> Self {
        Filestat {
            dev: 0,
            ino: 0,
            filetype,
            nlink: 1,
            size: 0,
            atim: 0,
            mtim: 0,
            ctim: 0,
        }
    }

    pub fn to_bytes(&self) -> [u8; 64] {
        let mut b = [0u8; 64];
        b[0..8].copy_from_slice(&self.dev.to_le_bytes());
        b[8..16].copy_from_slice(&self.ino.to_le_bytes());
        b[16] = self.filetype;
        b[24..32].copy_from_slice(&self.nlink.to_le_bytes());
        b[32..40].copy_from_slice(&self.size.to_le_bytes());
        b[40..48].copy_from_slice(&self.atim.to_le_bytes());
        b[48..56].copy_from_slice(&self.mtim.to_le_bytes());
        b[56..64].copy_from_slice(&self.ctim.to_le_bytes());
        b
    }
}

/// Device, inode, link count and status-change time.
#[cfg(unix)]
fn ids(meta: &Metadata) -> (u64, u64, u64, u64) {
    use cap_std::fs::MetadataExt;
    let ctim = (meta.ctime().max(0) as u64)
        .saturating_mul(1_000_000_000)
        .saturating_add(meta.ctime_nsec().max(0) as u64);
    (meta.dev(), meta.ino(), meta.nlink(), ctim)
}

/// Device, inode, link count, and the modification time for the status-change time.
#[cfg(not(unix))]
fn ids(meta: &Metadata) -> (u64, u64, u64, u64) {
    use cap_fs_ext::MetadataExt;
    (meta.dev(), meta.ino(), meta.nlink(), nanos(meta.modified()))
}
