//! `poll_oneoff`: clocks sleep; files and the standard streams are always ready.

use std::time::Duration;

use super::abi::{eventtype, rights, Memory, SUBSCRIPTION_CLOCK_ABSTIME};
use super::ctx::WasiCtx;
use super::errno::Errno;
use super::table::Kind;

/// One `event` (32 bytes in the guest).
struct Event {
    userdata: u64,
    error: Errno,
    kind: u8,
    nbytes: u64,
}

impl WasiCtx {
    pub(super) fn poll_oneoff(
        &mut self,
        m: &mut Memory<'_>,
        subs: u32,
        events: u32,
        count: u32,
        out: u32,
    ) -> Result<(), Errno> {
        if count == 0 {
            return Err(Errno::INVAL);
        }
        let mut ready = Vec::new();
        // The clock subscription that ends first: (nanoseconds from now, userdata).
        let mut first_clock: Option<(u64, u64, Errno)> = None;
        for i in 0..count {
            let at = subs
                .checked_add(i.checked_mul(48).ok_or(Errno::FAULT)?)
                .ok_or(Errno::FAULT)?;
            // The whole 48-byte subscription is inside memory, so the offsets below cannot wrap.
            m.check(at, 48)?;
            let userdata = m.u64(at)?;
            let tag = m.u8(at + 8)?;
            match tag {
                eventtype::CLOCK => {
                    let id = m.u32(at + 16)?;
                    let timeout = m.u64(at + 24)?;
                    let flags = m.u16(at + 40)?;
                    let (wait, error) = match self.now(id) {
                        Ok(now) if flags & SUBSCRIPTION_CLOCK_ABSTIME != 0 => {
                            (timeout.saturating_sub(now), Errno::SUCCESS)
                        }
                        Ok(_) => (timeout, Errno::SUCCESS),
                        Err(e) => (0, e),
                    };
                    if first_clock.is_none_or(|(w, _, _)| wait < w) {
                        first_clock = Some((wait, userdata, error));
                    }
                }
                eventtype::FD_READ | eventtype::FD_WRITE => {
                    let fd = m.u32(at + 16)?;
                    let (error, nbytes) = self.readiness(fd, tag);
                    ready.push(Event {
                        userdata,
                        error,
                        kind: tag,
                        nbytes,
                    });
                }
                _ => return Err(Errno::INVAL),
            }
        }
        if ready.is_empty() {
            if let Some((wait, userdata, error)) = first_clock {
                // Never past the run's deadline: the engine stops the guest once it is back.
                let wait = match self.deadline {
                    Some(d) => Duration::from_nanos(wait)
                        .min(d.saturating_duration_since(std::time::Instant::now())),
                    None => Duration::from_nanos(wait),
                };
                std::thread::sleep(wait);
                ready.push(Event {
                    userdata,
                    error,
                    kind: eventtype::CLOCK,
                    nbytes: 0,
                });
            }
        } else if let Some((0, userdata, error)) = first_clock {
            ready.push(Event {
                userdata,
                error,
                kind: eventtype::CLOCK,
                nbytes: 0,
            });
        }
        for (i, e) in ready.iter().enumerate() {
            let mut bytes = [0u8; 32];
            bytes[0..8].copy_from_slice(&e.userdata.to_le_bytes());
            bytes[8..10].copy_from_slice(&e.error.0.to_le_bytes());
            bytes[10] = e.kind;
            bytes[16..24].copy_from_slice(&e.nbytes.to_le_bytes());
            m.write(
                events.checked_add(32 * i as u32).ok_or(Errno::FAULT)?,
                &bytes,
            )?;
        }
        m.write_u32(out, ready.len() as u32)
    }

    /// Whether `fd` is ready for `kind`, and how many bytes a read would find (files: those
    /// past the position; streams: unknown, 0).
    fn readiness(&mut self, fd: u32, kind: u8) -> (Errno, u64) {
        let entry = match self.fds.get_mut(fd) {
            Ok(e) => e,
            Err(e) => return (e, 0),
        };
        if entry.base & rights::POLL_FD_READWRITE == 0 {
            return (Errno::NOTCAPABLE, 0);
        }
        match &mut entry.kind {
            Kind::File(file) if kind == eventtype::FD_READ => {
                use std::io::Seek;
                let size = file.metadata().map(|m| m.len()).unwrap_or(0);
                let pos = file.stream_position().unwrap_or(size);
                (Errno::SUCCESS, size.saturating_sub(pos))
            }
            Kind::Dir(_) => (Errno::BADF, 0),
            _ => (Errno::SUCCESS, 0),
        }
    }
}
