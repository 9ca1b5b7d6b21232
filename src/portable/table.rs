//! The guest's file descriptors: what each number refers to, with its rights and flags.

use std::io::Read;

use crate::output::OutputSink;

use super::abi::{filetype, rights};
use super::errno::Errno;

/// Where fd 0 reads from.
pub(crate) enum StdinSource {
    Empty,
    Bytes(std::io::Cursor<Vec<u8>>),
    Inherit,
}

impl StdinSource {
    pub fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        match self {
            StdinSource::Empty => Ok(0),
            StdinSource::Bytes(cursor) => cursor.read(buf),
            StdinSource::Inherit => std::io::stdin().read(buf),
        }
    }
}

/// A directory the guest holds: a capability, it never reaches above itself.
pub(crate) struct Directory {
    pub dir: cap_std::fs::Dir,
    /// The guest path it was preopened as (preopens only).
    pub preopen: Option<String>,
}

/// What an fd refers to.
pub(crate) enum Kind {
    Stdin(StdinSource),
    Output(OutputSink),
    File(std::fs::File),
    Dir(Directory),
    /// A preopened listening socket.
    Listener(std::net::TcpListener),
    /// A connection accepted on one.
    Stream(std::net::TcpStream),
}

/// One open fd.
pub(crate) struct Entry {
    pub kind: Kind,
    pub base: u64,
    pub inheriting: u64,
    pub flags: u16,
}

impl Entry {
    pub fn new(kind: Kind, base: u64, inheriting: u64) -> Self {
        Entry {
            kind,
            base,
            inheriting,
            flags: 0,
        }
    }

    /// The fd's `filetype`.
    pub fn filetype(&self) -> u8 {
        match self.kind {
            Kind::Stdin(_) | Kind::Output(_) => filetype::CHARACTER_DEVICE,
            Kind::File(_) => filetype::REGULAR_FILE,
            Kind::Dir(_) => filetype::DIRECTORY,
            Kind::Listener(_) | Kind::Stream(_) => filetype::SOCKET_STREAM,
        }
    }

    /// Fails with `ENOTCAPABLE` unless the fd holds every right in `needed`; reading and
    /// writing without the right are `EBADF`, as on a POSIX fd opened the other way.
    pub fn require(&self, needed: u64) -> Result<(), Errno> {
        if self.base & needed == needed {
            Ok(())
        } else if needed & (rights::FD_READ | rights::FD_WRITE) != 0 {
            Err(Errno::BADF)
        } else {
            Err(Errno::NOTCAPABLE)
        }
    }

    /// The directory, or `ENOTDIR` for anything else.
    pub fn dir(&self, needed: u64) -> Result<&Directory, Errno> {
        match &self.kind {
            Kind::Dir(d) => {
                self.require(needed)?;
                Ok(d)
            }
            _ => Err(Errno::NOTDIR),
        }
    }
}

/// The table of open fds; a closed number is reused lowest first, as POSIX does.
#[derive(Default)]
pub(crate) struct FdTable {
    entries: Vec<Option<Entry>>,
}

impl FdTable {
    pub fn get(&self, fd: u32) -> Result<&Entry, Errno> {
        self.entries
            .get(fd as usize)
            .and_then(Option::as_ref)
            .ok_or(Errno::BADF)
    }

    pub fn get_mut(&mut self, fd: u32) -> Result<&mut Entry, Errno> {
        self.entries
            .get_mut(fd as usize)
            .and_then(Option::as_mut)
            .ok_or(Errno::BADF)
    }

    pub fn insert(&mut self, entry: Entry) -> Result<u32, Errno> {
        let slot = match self.entries.iter().position(Option::is_none) {
            Some(i) => i,
            None => {
                self.entries.push(None);
                self.entries.len() - 1
            }
        };
        let fd = u32::try_from(slot).map_err(|_| Errno::NOMEM)?;
        self.entries[slot] = Some(entry);
        Ok(fd)
    }

    pub fn remove(&mut self, fd: u32) -> Result<Entry, Errno> {
        self.entries
            .get_mut(fd as usize)
            .and_then(Option::take)
            .ok_or(Errno::BADF)
    }

    /// Moves `from` onto `to`, closing what `to` was.
    pub fn renumber(&mut self, from: u32, to: u32) -> Result<(), Errno> {
        self.get(from)?;
        self.get(to)?;
        if from != to {
            let entry = self.remove(from)?;
            self.entries[to as usize] = Some(entry);
        }
        Ok(())
    }
}
