//! The numbers of WASI preview 1's ABI (from its witx files) and typed access to the guest's
//! memory in its layout. A pointer past the end of memory is `EFAULT`, never a trap.

use crate::Caller;

use super::errno::Errno;

/// `filetype`.
pub(crate) mod filetype {
    pub const UNKNOWN: u8 = 0;
    pub const CHARACTER_DEVICE: u8 = 2;
    pub const DIRECTORY: u8 = 3;
    pub const REGULAR_FILE: u8 = 4;
    pub const SOCKET_STREAM: u8 = 6;
    pub const SYMBOLIC_LINK: u8 = 7;
}

/// `rights` bits.
pub(crate) mod rights {
    pub const FD_DATASYNC: u64 = 1 << 0;
    pub const FD_READ: u64 = 1 << 1;
    pub const FD_SEEK: u64 = 1 << 2;
    pub const FD_FDSTAT_SET_FLAGS: u64 = 1 << 3;
    pub const FD_SYNC: u64 = 1 << 4;
    pub const FD_TELL: u64 = 1 << 5;
    pub const FD_WRITE: u64 = 1 << 6;
    pub const FD_ADVISE: u64 = 1 << 7;
    pub const FD_ALLOCATE: u64 = 1 << 8;
    pub const PATH_CREATE_DIRECTORY: u64 = 1 << 9;
    pub const PATH_CREATE_FILE: u64 = 1 << 10;
    pub const PATH_LINK_SOURCE: u64 = 1 << 11;
    pub const PATH_LINK_TARGET: u64 = 1 << 12;
    pub const PATH_OPEN: u64 = 1 << 13;
    pub const FD_READDIR: u64 = 1 << 14;
    pub const PATH_READLINK: u64 = 1 << 15;
    pub const PATH_RENAME_SOURCE: u64 = 1 << 16;
    pub const PATH_RENAME_TARGET: u64 = 1 << 17;
    pub const PATH_FILESTAT_GET: u64 = 1 << 18;
    pub const PATH_FILESTAT_SET_SIZE: u64 = 1 << 19;
    pub const PATH_FILESTAT_SET_TIMES: u64 = 1 << 20;
    pub const FD_FILESTAT_GET: u64 = 1 << 21;
    pub const FD_FILESTAT_SET_SIZE: u64 = 1 << 22;
    pub const FD_FILESTAT_SET_TIMES: u64 = 1 << 23;
    pub const PATH_SYMLINK: u64 = 1 << 24;
    pub const PATH_REMOVE_DIRECTORY: u64 = 1 << 25;
    pub const PATH_UNLINK_FILE: u64 = 1 << 26;
    pub const POLL_FD_READWRITE: u64 = 1 << 27;
    pub const SOCK_SHUTDOWN: u64 = 1 << 28;
    pub const SOCK_ACCEPT: u64 = 1 << 29;
    /// Every right preview 1 defines.
    pub const ALL: u64 = (1 << 30) - 1;

    /// The rights that change something: a read-only preopen never holds them.
    pub const WRITING: u64 = FD_DATASYNC
        | FD_FDSTAT_SET_FLAGS
        | FD_WRITE
        | FD_ALLOCATE
        | PATH_CREATE_DIRECTORY
        | PATH_CREATE_FILE
        | PATH_LINK_SOURCE
        | PATH_LINK_TARGET
        | PATH_RENAME_SOURCE
        | PATH_RENAME_TARGET
        | PATH_FILESTAT_SET_SIZE
        | PATH_FILESTAT_SET_TIMES
        | FD_FILESTAT_SET_SIZE
        | FD_FILESTAT_SET_TIMES
        | PATH_SYMLINK
        | PATH_REMOVE_DIRECTORY
        | PATH_UNLINK_FILE;

    /// The rights that make sense on a regular file.
    pub const FILE: u64 = FD_DATASYNC
        | FD_READ
        | FD_SEEK
        | FD_FDSTAT_SET_FLAGS
        | FD_SYNC
        | FD_TELL
        | FD_WRITE
        | FD_ADVISE
        | FD_ALLOCATE
        | FD_FILESTAT_GET
        | FD_FILESTAT_SET_SIZE
        | FD_FILESTAT_SET_TIMES
        | POLL_FD_READWRITE;

    /// The rights that make sense on a directory.
    pub const DIRECTORY: u64 = FD_FDSTAT_SET_FLAGS
        | FD_SYNC
        | FD_ADVISE
        | PATH_CREATE_DIRECTORY
        | PATH_CREATE_FILE
        | PATH_LINK_SOURCE
        | PATH_LINK_TARGET
        | PATH_OPEN
        | FD_READDIR
        | PATH_READLINK
        | PATH_RENAME_SOURCE
        | PATH_RENAME_TARGET
        | PATH_FILESTAT_GET
        | PATH_FILESTAT_SET_SIZE
        | PATH_FILESTAT_SET_TIMES
        | FD_FILESTAT_GET
        | FD_FILESTAT_SET_TIMES
        | PATH_SYMLINK
        | PATH_REMOVE_DIRECTORY
        | PATH_UNLINK_FILE
        | POLL_FD_READWRITE;

    /// The rights of a preopened listening socket.
    pub const LISTENER: u64 =
        SOCK_ACCEPT | FD_FDSTAT_SET_FLAGS | FD_FILESTAT_GET | POLL_FD_READWRITE;

    /// The rights of an accepted connection.
    pub const CONNECTION: u64 = FD_READ
        | FD_WRITE
        | SOCK_SHUTDOWN
        | FD_FDSTAT_SET_FLAGS
        | FD_FILESTAT_GET
        | POLL_FD_READWRITE;

    /// The rights of the standard streams.
    pub const STDIO: u64 =
        FD_READ | FD_WRITE | FD_FDSTAT_SET_FLAGS | FD_FILESTAT_GET | POLL_FD_READWRITE;
}

/// `fdflags` bits.
pub(crate) mod fdflags {
    pub const APPEND: u16 = 1 << 0;
    pub const DSYNC: u16 = 1 << 1;
    pub const NONBLOCK: u16 = 1 << 2;
    pub const RSYNC: u16 = 1 << 3;
    pub const SYNC: u16 = 1 << 4;
    pub const ALL: u16 = APPEND | DSYNC | NONBLOCK | RSYNC | SYNC;
}

/// `oflags` bits.
pub(crate) mod oflags {
    pub const CREAT: u16 = 1 << 0;
    pub const DIRECTORY: u16 = 1 << 1;
    pub const EXCL: u16 = 1 << 2;
    pub const TRUNC: u16 = 1 << 3;
    pub const ALL: u16 = CREAT | DIRECTORY | EXCL | TRUNC;
}

/// `lookupflags`: follow a final symlink.
pub(crate) const LOOKUP_SYMLINK_FOLLOW: u32 = 1;

/// `fstflags` bits.
pub(crate) mod fstflags {
    pub const ATIM: u16 = 1 << 0;
    pub const ATIM_NOW: u16 = 1 << 1;
    pub const MTIM: u16 = 1 << 2;
    pub const MTIM_NOW: u16 = 1 << 3;
}

/// `whence`.
pub(crate) mod whence {
    pub const SET: u8 = 0;
    pub const CUR: u8 = 1;
    pub const END: u8 = 2;
}

/// `clockid`.
pub(crate) mod clock {
    pub const REALTIME: u32 = 0;
    pub const MONOTONIC: u32 = 1;
    pub const PROCESS_CPUTIME: u32 = 2;
    pub const THREAD_CPUTIME: u32 = 3;
}

/// `eventtype`.
pub(crate) mod eventtype {
    pub const CLOCK: u8 = 0;
    pub const FD_READ: u8 = 1;
    pub const FD_WRITE: u8 = 2;
}

/// `subclockflags`: the timeout is an absolute time.
pub(crate) const SUBSCRIPTION_CLOCK_ABSTIME: u16 = 1;

/// `advice`: the largest valid value (`noreuse`).
pub(crate) const ADVICE_MAX: u8 = 5;

/// `preopentype`: a directory.
pub(crate) const PREOPENTYPE_DIR: u8 = 0;

/// The guest's memory in WASI's layout: little-endian integers at byte offsets.
pub(crate) struct Memory<'a>(pub &'a mut dyn Caller);

/// The most one call gathers or hands out: a longer write or read is short, as POSIX allows.
pub(crate) const MAX_IO: usize = 16 << 20;

impl Memory<'_> {
    /// Fails with `EFAULT` unless `len` bytes at `ptr` are inside memory (checked before
    /// anything is allocated for them).
    pub fn check(&self, ptr: u32, len: u32) -> Result<(), Errno> {
        if u64::from(ptr) + u64::from(len) <= self.0.memory_size() {
            Ok(())
        } else {
            Err(Errno::FAULT)
        }
    }

    pub fn bytes(&self, ptr: u32, len: u32) -> Result<Vec<u8>, Errno> {
        self.check(ptr, len)?;
        let mut buf = vec![0; len as usize];
        self.0
            .read(u64::from(ptr), &mut buf)
            .map_err(|_| Errno::FAULT)?;
        Ok(buf)
    }

    fn array<const N: usize>(&self, ptr: u32) -> Result<[u8; N], Errno> {
        let mut buf = [0; N];
        self.0
            .read(u64::from(ptr), &mut buf)
            .map_err(|_| Errno::FAULT)?;
        Ok(buf)
    }

    pub fn u8(&self, ptr: u32) -> Result<u8, Errno> {
        Ok(self.array::<1>(ptr)?[0])
    }

    pub fn u16(&self, ptr: u32) -> Result<u16, Errno> {
        Ok(u16::from_le_bytes(self.array(ptr)?))
    }

    pub fn u32(&self, ptr: u32) -> Result<u32, Errno> {
        Ok(u32::from_le_bytes(self.array(ptr)?))
    }

    pub fn u64(&self, ptr: u32) -> Result<u64, Errno> {
        Ok(u64::from_le_bytes(self.array(ptr)?))
    }

    /// A path or name: UTF-8, or `EILSEQ`.
    pub fn string(&self, ptr: u32, len: u32) -> Result<String, Errno> {
        String::from_utf8(self.bytes(ptr, len)?).map_err(|_| Errno::ILSEQ)
    }

    pub fn write(&mut self, ptr: u32, data: &[u8]) -> Result<(), Errno> {
        self.0.write(u64::from(ptr), data).map_err(|_| Errno::FAULT)
    }

    pub fn write_u32(&mut self, ptr: u32, v: u32) -> Result<(), Errno> {
        self.write(ptr, &v.to_le_bytes())
    }

    pub fn write_u64(&mut self, ptr: u32, v: u64) -> Result<(), Errno> {
        self.write(ptr, &v.to_le_bytes())
    }

    /// An array of `iovec`/`ciovec` (`{ buf: u32, len: u32 }`), as (pointer, length) pairs.
    pub fn iovecs(&self, ptr: u32, count: u32) -> Result<Vec<(u32, u32)>, Errno> {
        let raw = self.bytes(ptr, count.checked_mul(8).ok_or(Errno::FAULT)?)?;
        // (`bytes` checked the whole array is inside memory before allocating it.)
        Ok(raw
            .chunks_exact(8)
            .map(|c| {
                let word = |i: usize| u32::from_le_bytes([c[i], c[i + 1], c[i + 2], c[i + 3]]);
                (word(0), word(4))
            })
            .collect())
    }

    /// The bytes of a list of `ciovec`s, concatenated, up to [`MAX_IO`] (the rest is left for
    /// another call: a short write).
    pub fn gather(&self, ptr: u32, count: u32) -> Result<Vec<u8>, Errno> {
        let mut data = Vec::new();
        for (buf, len) in self.iovecs(ptr, count)? {
            self.check(buf, len)?;
            let room = MAX_IO - data.len();
            let take = (len as usize).min(room) as u32;
            data.extend(self.bytes(buf, take)?);
            if data.len() == MAX_IO {
                break;
            }
        }
        Ok(data)
    }

    /// Spreads `data` over a list of `iovec`s, in order.
    pub fn scatter(&mut self, iovs: &[(u32, u32)], mut data: &[u8]) -> Result<(), Errno> {
        for &(buf, len) in iovs {
            if data.is_empty() {
                break;
            }
            let n = data.len().min(len as usize);
            self.write(buf, &data[..n])?;
            data = &data[n..];
        }
        Ok(())
    }
}

/// The room a list of `iovec`s offers, in bytes (capped at what one call may return).
pub(crate) fn capacity(iovs: &[(u32, u32)]) -> usize {
    iovs.iter()
        .map(|&(_, len)| len as usize)
        .fold(0usize, usize::saturating_add)
        .min(u32::MAX as usize)
}
