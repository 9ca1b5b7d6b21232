//! The `sock_*` functions, on the listeners the configuration preopens and the connections
//! accepted on them.

use std::io::{Read, Write};
use std::net::Shutdown;

use super::abi::{capacity, fdflags, rights, Memory};
use super::ctx::WasiCtx;
use super::errno::Errno;
use super::table::{Entry, Kind};

/// `riflags`: look without taking.
const RECV_PEEK: u16 = 1;
/// `riflags`: wait for the whole buffer.
const RECV_WAITALL: u16 = 2;
/// `sdflags`.
const SHUT_RD: u8 = 1;
const SHUT_WR: u8 = 2;

impl WasiCtx {
    /// The connection behind `fd` (`ENOTSOCK` for anything else that is open).
    fn stream(&mut self, fd: u32, needed: u64) -> Result<&mut std::net::TcpStream, Errno> {
        let entry = self.fds.get_mut(fd)?;
        match &mut entry.kind {
            Kind::Stream(s) => {
                if entry.base & needed != needed {
                    return Err(Errno::NOTCAPABLE);
                }
                Ok(s)
            }
            _ => Err(Errno::NOTSOCK),
        }
    }

    pub(super) fn sock_accept(
        &mut self,
        m: &mut Memory<'_>,
        fd: u32,
        flags: u32,
        out: u32,
    ) -> Result<(), Errno> {
        let flags = u16::try_from(flags).map_err(|_| Errno::INVAL)?;
        if flags & !fdflags::NONBLOCK != 0 {
            return Err(Errno::INVAL);
        }
        let entry = self.fds.get(fd)?;
        let Kind::Listener(listener) = &entry.kind else {
            return Err(Errno::NOTSOCK);
        };
        entry.require(rights::SOCK_ACCEPT)?;
        if entry.flags & fdflags::NONBLOCK != 0 && !pending(listener)? {
            return Err(Errno::AGAIN);
        }
        let (stream, _) = listener.accept()?;
        stream.set_nonblocking(flags & fdflags::NONBLOCK != 0)?;
        let mut conn = Entry::new(Kind::Stream(stream), rights::CONNECTION, 0);
        conn.flags = flags;
        let new_fd = self.fds.insert(conn)?;
        m.write_u32(out, new_fd)
    }

    #[allow(clippy::too_many_arguments)]
    pub(super) fn sock_recv(
        &mut self,
        m: &mut Memory<'_>,
        fd: u32,
        iovs: u32,
        count: u32,
        flags: u32,
        out_len: u32,
        out_flags: u32,
    ) -> Result<(), Errno> {
        let iovs = m.iovecs(iovs, count)?;
        let flags = u16::try_from(flags).map_err(|_| Errno::INVAL)?;
        let stream = self.stream(fd, rights::FD_READ)?;
        let mut buf = vec![0; capacity(&iovs).min(super::abi::MAX_IO)];
        let n = if flags & RECV_PEEK != 0 {
            stream.peek(&mut buf)?
        } else if flags & RECV_WAITALL != 0 {
            super::fd::fill(stream, &mut buf)?
        } else {
            stream.read(&mut buf)?
        };
        m.scatter(&iovs, &buf[..n])?;
        m.write_u32(out_len, n as u32)?;
        m.write(out_flags, &0u16.to_le_bytes())
    }

    pub(super) fn sock_send(
        &mut self,
        m: &mut Memory<'_>,
        fd: u32,
        iovs: u32,
        count: u32,
        _flags: u32,
        out_len: u32,
    ) -> Result<(), Errno> {
        let data = m.gather(iovs, count)?;
        self.stream(fd, rights::FD_WRITE)?.write_all(&data)?;
        m.write_u32(out_len, data.len() as u32)
    }

    pub(super) fn sock_shutdown(&mut self, fd: u32, how: u32) -> Result<(), Errno> {
        let how = match u8::try_from(how).map_err(|_| Errno::INVAL)? {
            SHUT_RD => Shutdown::Read,
            SHUT_WR => Shutdown::Write,
            h if h == SHUT_RD | SHUT_WR => Shutdown::Both,
            _ => return Err(Errno::INVAL),
        };
        Ok(self.stream(fd, rights::SOCK_SHUTDOWN)?.shutdown(how)?)
    }
}

/// Whether a connection waits on `listener`, without waiting (nor changing the socket's
/// blocking mode, which it shares with the host's).
#[cfg(unix)]
fn pending(listener: &std::net::TcpListener) -> Result<bool, Errno> {
    use std::os::fd::AsRawFd;
    let mut fds = libc::pollfd {
        fd: listener.as_raw_fd(),
        events: libc::POLLIN,
        revents: 0,
    };
    // SAFETY: one valid pollfd, a zero timeout.
    match unsafe { libc::poll(&mut fds, 1, 0) } {
        n if n < 0 => Err(std::io::Error::last_os_error().into()),
        n => Ok(n > 0),
    }
}

/// Elsewhere a non-blocking accept is refused rather than allowed to block.
#[cfg(not(unix))]
fn pending(_: &std::net::TcpListener) -> Result<bool, Errno> {
    Err(Errno::NOTSUP)
}
