//! The `fd_*` functions: reading, writing, seeking and describing open fds.

use std::fs::FileTimes;
use std::io::{Read, Seek, SeekFrom, Write};
use std::time::{Duration, SystemTime};

use super::abi::{
    capacity, fdflags, fstflags, rights, whence, Memory, ADVICE_MAX, PREOPENTYPE_DIR,
};
use super::ctx::WasiCtx;
use super::errno::Errno;
use super::filestat::Filestat;
use super::table::Kind;

/// The largest buffer one read hands the guest: a bigger `iovec` gets a short read.
const MAX_READ: usize = super::abi::MAX_IO;

impl WasiCtx {
    pub(super) fn fd_advise(
        &mut self,
        fd: u32,
        _offset: u64,
        _len: u64,
        advice: u32,
    ) -> Result<(), Errno> {
        let entry = self.fds.get(fd)?;
        if advice > u32::from(ADVICE_MAX) {
            return Err(Errno::INVAL);
        }
        entry.require(rights::FD_ADVISE)?;
        // Advice is a hint; the host's page cache does without it.
        match entry.kind {
            Kind::File(_) => Ok(()),
            Kind::Dir(_) => Err(Errno::BADF),
            _ => Err(Errno::SPIPE),
        }
    }

    pub(super) fn fd_allocate(&mut self, fd: u32, offset: u64, len: u64) -> Result<(), Errno> {
        let entry = self.fds.get(fd)?;
        entry.require(rights::FD_ALLOCATE)?;
        let Kind::File(file) = &entry.kind else {
            return Err(Errno::BADF);
        };
        let end = offset.checked_add(len).ok_or(Errno::FBIG)?;
        if file.metadata()?.len() < end {
            file.set_len(end)?;
        }
        Ok(())
    }

    pub(super) fn fd_sync(&mut self, fd: u32, data_only: bool) -> Result<(), Errno> {
        let entry = self.fds.get(fd)?;
        match &entry.kind {
            Kind::File(file) if data_only => {
                entry.require(rights::FD_DATASYNC)?;
                Ok(file.sync_data()?)
            }
            Kind::File(file) => {
                entry.require(rights::FD_SYNC)?;
                Ok(file.sync_all()?)
            }
            Kind::Dir(_) => Ok(()),
            _ => Err(Errno::INVAL),
        }
    }

    pub(super) fn fd_fdstat_get(
        &mut self,
        m: &mut Memory<'_>,
        fd: u32,
        out: u32,
    ) -> Result<(), Errno> {
        let entry = self.fds.get(fd)?;
        let mut stat = [0u8; 24];
        stat[0] = entry.filetype();
        stat[2..4].copy_from_slice(&entry.flags.to_le_bytes());
        stat[8..16].copy_from_slice(&entry.base.to_le_bytes());
        stat[16..24].copy_from_slice(&entry.inheriting.to_le_bytes());
        m.write(out, &stat)
    }

    pub(super) fn fd_fdstat_set_flags(&mut self, fd: u32, flags: u32) -> Result<(), Errno> {
        let entry = self.fds.get_mut(fd)?;
        let flags = u16::try_from(flags).map_err(|_| Errno::INVAL)?;
        if flags & !fdflags::ALL != 0 {
            return Err(Errno::INVAL);
        }
        entry.require(rights::FD_FDSTAT_SET_FLAGS)?;
        // Appending is done here (each write goes to the end); the sync flags are kept for
        // fdstat, and each write of such an fd is synced; a socket is made non-blocking.
        // (A listener shares its blocking mode with the host's socket and every other run, so
        // its `NONBLOCK` is kept here and `sock_accept` honours it without touching the socket.)
        if let Kind::Stream(s) = &entry.kind {
            s.set_nonblocking(flags & fdflags::NONBLOCK != 0)?;
        }
        entry.flags = flags;
        Ok(())
    }

    pub(super) fn fd_fdstat_set_rights(
        &mut self,
        fd: u32,
        base: u64,
        inheriting: u64,
    ) -> Result<(), Errno> {
        let entry = self.fds.get_mut(fd)?;
        if base & !entry.base != 0 || inheriting & !entry.inheriting != 0 {
            return Err(Errno::NOTCAPABLE);
        }
        entry.base = base;
        entry.inheriting = inheriting;
        Ok(())
    }

    pub(super) fn fd_filestat_get(
        &mut self,
        m: &mut Memory<'_>,
        fd: u32,
        out: u32,
    ) -> Result<(), Errno> {
        let entry = self.fds.get(fd)?;
        entry.require(rights::FD_FILESTAT_GET)?;
        let stat = match &entry.kind {
            Kind::File(file) => Filestat::of(&cap_std::fs::Metadata::from_file(file)?),
            Kind::Dir(d) => Filestat::of(&d.dir.dir_metadata()?),
            _ => Filestat::stream(entry.filetype()),
        };
        m.write(out, &stat.to_bytes())
    }

    pub(super) fn fd_filestat_set_size(&mut self, fd: u32, size: u64) -> Result<(), Errno> {
        let entry = self.fds.get(fd)?;
        entry.require(rights::FD_FILESTAT_SET_SIZE)?;
        match &entry.kind {
            Kind::File(file) => Ok(file.set_len(size)?),
            Kind::Dir(_) => Err(Errno::ISDIR),
            _ => Err(Errno::INVAL),
        }
    }

    pub(super) fn fd_filestat_set_times(
        &mut self,
        fd: u32,
        atim: u64,
        mtim: u64,
        flags: u32,
    ) -> Result<(), Errno> {
        let entry = self.fds.get(fd)?;
        let times = file_times(atim, mtim, flags)?;
        entry.require(rights::FD_FILESTAT_SET_TIMES)?;
        match &entry.kind {
            Kind::File(file) => Ok(file.set_times(times)?),
            Kind::Dir(d) => {
                let dir = d.dir.try_clone()?.into_std_file();
                Ok(dir.set_times(times)?)
            }
            _ => Err(Errno::INVAL),
        }
    }

    /// The file behind `fd` for reading or writing at an offset (`access`: `FD_READ` or
    /// `FD_WRITE`): a directory is `EISDIR`, a stream `ESPIPE`.
    fn positioned(&self, fd: u32, access: u64) -> Result<&std::fs::File, Errno> {
        let entry = self.fds.get(fd)?;
        entry.require(access | rights::FD_SEEK)?;
        match &entry.kind {
            Kind::File(file) => Ok(file),
            Kind::Dir(_) => Err(Errno::ISDIR),
            _ => Err(Errno::SPIPE),
        }
    }

    pub(super) fn fd_pread(
        &mut self,
        m: &mut Memory<'_>,
        fd: u32,
        iovs: u32,
        count: u32,
        offset: u64,
        out: u32,
    ) -> Result<(), Errno> {
        let iovs = m.iovecs(iovs, count)?;
        let file = self.positioned(fd, rights::FD_READ)?;
        let mut buf = vec![0; capacity(&iovs).min(MAX_READ)];
        let mut filled = 0;
        while filled < buf.len() {
            let n = read_at(file, &mut buf[filled..], offset + filled as u64)?;
            if n == 0 {
                break;
            }
            filled += n;
        }
        m.scatter(&iovs, &buf[..filled])?;
        m.write_u32(out, filled as u32)
    }

    pub(super) fn fd_pwrite(
        &mut self,
        m: &mut Memory<'_>,
        fd: u32,
        iovs: u32,
        count: u32,
        offset: u64,
        out: u32,
    ) -> Result<(), Errno> {
        let data = m.gather(iovs, count)?;
        let file = self.positioned(fd, rights::FD_WRITE)?;
        write_all_at(file, &data, offset)?;
        m.write_u32(out, data.len() as u32)
    }

    pub(super) fn fd_prestat_get(
        &mut self,
        m: &mut Memory<'_>,
        fd: u32,
        out: u32,
    ) -> Result<(), Errno> {
        let name = self.preopen_name(fd)?;
        let mut prestat = [0u8; 8];
        prestat[0] = PREOPENTYPE_DIR;
        prestat[4..8].copy_from_slice(&(name.len() as u32).to_le_bytes());
        m.write(out, &prestat)
    }

    pub(super) fn fd_prestat_dir_name(
        &mut self,
        m: &mut Memory<'_>,
        fd: u32,
        path: u32,
        len: u32,
    ) -> Result<(), Errno> {
        let name = self.preopen_name(fd)?.as_bytes().to_vec();
        if (len as usize) < name.len() {
            return Err(Errno::NAMETOOLONG);
        }
        m.write(path, &name)
    }

    fn preopen_name(&self, fd: u32) -> Result<&str, Errno> {
        match &self.fds.get(fd)?.kind {
            Kind::Dir(d) => d.preopen.as_deref().ok_or(Errno::BADF),
            _ => Err(Errno::BADF),
        }
    }

    pub(super) fn fd_read(
        &mut self,
        m: &mut Memory<'_>,
        fd: u32,
        iovs: u32,
        count: u32,
        out: u32,
    ) -> Result<(), Errno> {
        let iovs = m.iovecs(iovs, count)?;
        let entry = self.fds.get_mut(fd)?;
        entry.require(rights::FD_READ)?;
        let mut buf = vec![0; capacity(&iovs).min(MAX_READ)];
        let n = match &mut entry.kind {
            Kind::Stdin(stdin) => stdin.read(&mut buf)?,
            Kind::File(file) => fill(file, &mut buf)?,
            Kind::Stream(stream) => stream.read(&mut buf)?,
            Kind::Dir(_) => return Err(Errno::ISDIR),
            Kind::Output(_) | Kind::Listener(_) => return Err(Errno::BADF),
        };
        m.scatter(&iovs, &buf[..n])?;
        m.write_u32(out, n as u32)
    }

    pub(super) fn fd_seek(
        &mut self,
        m: &mut Memory<'_>,
        fd: u32,
        offset: i64,
        how: u32,
        out: u32,
    ) -> Result<(), Errno> {
        let entry = self.fds.get_mut(fd)?;
        let needed = if how == u32::from(whence::CUR) && offset == 0 {
            rights::FD_TELL
        } else {
            rights::FD_SEEK
        };
        let pos = match how {
            h if h == u32::from(whence::SET) => {
                SeekFrom::Start(u64::try_from(offset).map_err(|_| Errno::INVAL)?)
            }
            h if h == u32::from(whence::CUR) => SeekFrom::Current(offset),
            h if h == u32::from(whence::END) => SeekFrom::End(offset),
            _ => return Err(Errno::INVAL),
        };
        let file = match &mut entry.kind {
            Kind::File(file) => file,
            Kind::Dir(_) => return Err(Errno::BADF),
            _ => return Err(Errno::SPIPE),
        };
        if entry.base & needed != needed {
            return Err(Errno::NOTCAPABLE);
        }
        let at = file.seek(pos)?;
        m.write_u64(out, at)
    }

    pub(super) fn fd_write(
        &mut self,
        m: &mut Memory<'_>,
        fd: u32,
        iovs: u32,
        count: u32,
        out: u32,
    ) -> Result<(), Errno> {
        let data = m.gather(iovs, count)?;
        let entry = self.fds.get_mut(fd)?;
        entry.require(rights::FD_WRITE)?;
        let flags = entry.flags;
        match &mut entry.kind {
            // Flushed at once: an inherited stream is the host's, which buffers by line; the
            // guest's write must reach the fd as a native one does.
            Kind::Output(sink) => {
                sink.write_all(&data)?;
                sink.flush()?;
            }
            Kind::File(file) => {
                if flags & fdflags::APPEND != 0 {
                    file.seek(SeekFrom::End(0))?;
                }
                file.write_all(&data)?;
                if flags & (fdflags::SYNC | fdflags::DSYNC | fdflags::RSYNC) != 0 {
                    file.sync_data()?;
                }
            }
            Kind::Stream(stream) => stream.write_all(&data)?,
            Kind::Dir(_) => return Err(Errno::ISDIR),
            Kind::Stdin(_) | Kind::Listener(_) => return Err(Errno::BADF),
        }
        m.write_u32(out, data.len() as u32)
    }
}

/// A time `fd/path_filestat_set_times` asks to set.
#[derive(Clone, Copy)]
pub(super) enum Requested {
    Now,
    At(SystemTime),
}

/// The access and modification times a `fd/path_filestat_set_times` request asks for (`None`:
/// leave as it is); a time and `now` together are `EINVAL`.
pub(super) fn requested_times(
    atim: u64,
    mtim: u64,
    flags: u32,
) -> Result<[Option<Requested>; 2], Errno> {
    let flags = u16::try_from(flags).map_err(|_| Errno::INVAL)?;
    let pick = |set: u16, now: u16, time: u64| match (flags & set != 0, flags & now != 0) {
        (true, true) => Err(Errno::INVAL),
        (true, false) => Ok(Some(Requested::At(
            SystemTime::UNIX_EPOCH + Duration::from_nanos(time),
        ))),
        (false, true) => Ok(Some(Requested::Now)),
        (false, false) => Ok(None),
    };
    Ok([
        pick(fstflags::ATIM, fstflags::ATIM_NOW, atim)?,
        pick(fstflags::MTIM, fstflags::MTIM_NOW, mtim)?,
    ])
}

/// Reads until `buf` is full or the reader is at its end: what a regular file would give in one
/// `read(2)`, and what `RECV_WAITALL` asks of a socket. Returns how many bytes were read.
pub(super) fn fill(reader: &mut impl Read, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match reader.read(&mut buf[filled..])? {
            0 => break,
            n => filled += n,
        }
    }
    Ok(filled)
}

fn file_times(atim: u64, mtim: u64, flags: u32) -> Result<FileTimes, Errno> {
    let at = |r: Requested| match r {
        Requested::Now => SystemTime::now(),
        Requested::At(t) => t,
    };
    let [access, modify] = requested_times(atim, mtim, flags)?;
    let mut times = FileTimes::new();
    if let Some(t) = access {
        times = times.set_accessed(at(t));
    }
    if let Some(t) = modify {
        times = times.set_modified(at(t));
    }
    Ok(times)
}

#[cfg(unix)]
fn read_at(file: &std::fs::File, buf: &mut [u8], offset: u64) -> std::io::Result<usize> {
    std::os::unix::fs::FileExt::read_at(file, buf, offset)
}

#[cfg(windows)]
fn read_at(file: &std::fs::File, buf: &mut [u8], offset: u64) -> std::io::Result<usize> {
    std::os::windows::fs::FileExt::seek_read(file, buf, offset)
}

#[cfg(unix)]
fn write_all_at(file: &std::fs::File, data: &[u8], offset: u64) -> std::io::Result<()> {
    std::os::unix::fs::FileExt::write_all_at(file, data, offset)
}

#[cfg(windows)]
fn write_all_at(file: &std::fs::File, mut data: &[u8], mut offset: u64) -> std::io::Result<()> {
    while !data.is_empty() {
        let n = std::os::windows::fs::FileExt::seek_write(file, data, offset)?;
        data = &data[n..];
        offset += n as u64;
    }
    Ok(())
}
