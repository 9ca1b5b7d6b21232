//! Writing this process's stdout whole, whoever else shares it.
//!
//! The node backend's runner shares this process's standard streams (a guest may inherit them),
//! and libuv makes a pipe it is given non-blocking. The flag belongs to the open pipe, not to
//! node, so our own writes to it then fail with `EAGAIN` whenever the reader is slower — a large
//! report read through a pipe panicked `print!`. Here a write that would block clears the flag
//! and is made again.

use std::io::{self, Write};
use std::mem::ManuallyDrop;
use std::os::fd::FromRawFd;

/// Writes `bytes` to stdout (fd 1), all of them, after what `print!` has buffered.
pub(crate) fn write_all(bytes: &[u8]) -> io::Result<()> {
    io::stdout().flush()?;
    // SAFETY: fd 1 is this process's stdout, open for its whole life; the `File` is never
    // dropped, so it is not closed here.
    let mut out = ManuallyDrop::new(unsafe { std::fs::File::from_raw_fd(1) });
    let mut rest = bytes;
    while !rest.is_empty() {
        match out.write(rest) {
            Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
            Ok(n) => rest = &rest[n..],
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => make_blocking(1)?,
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// Clears `O_NONBLOCK` on `fd`.
fn make_blocking(fd: i32) -> io::Result<()> {
    // SAFETY: fcntl on an fd this process holds open, with the flags it just read.
    unsafe {
        let flags = libc::fcntl(fd, libc::F_GETFL);
        if flags < 0 || libc::fcntl(fd, libc::F_SETFL, flags & !libc::O_NONBLOCK) < 0 {
            return Err(io::Error::last_os_error());
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_write_that_would_block_makes_the_fd_blocking_again() {
        let (mut read, write) = std::io::pipe().unwrap();
        let fd = std::os::fd::AsRawFd::as_raw_fd(&write);
        // SAFETY: the test's own pipe.
        unsafe {
            let flags = libc::fcntl(fd, libc::F_GETFL);
            libc::fcntl(fd, libc::F_SETFL, flags | libc::O_NONBLOCK);
        }
        make_blocking(fd).unwrap();
        // SAFETY: likewise.
        let flags = unsafe { libc::fcntl(fd, libc::F_GETFL) };
        assert_eq!(flags & libc::O_NONBLOCK, 0);
        drop(write);
        let mut buf = Vec::new();
        io::Read::read_to_end(&mut read, &mut buf).unwrap();
    }
}
