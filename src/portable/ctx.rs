//! The state of one run of the portable WASI, and the dispatch of each call.

use std::time::{Instant, SystemTime};

use crate::output::OutputStreams;
use crate::wasi_p1::{self, FunctionId};
use crate::{
    Caller, DirAccess, Error, HostError, HostValue, RunConfig, Stdin, TraceEvent, TraceLog,
};

use super::abi::{clock, rights, Memory};
use super::errno::Errno;
use super::table::{Directory, Entry, FdTable, Kind, StdinSource};

/// How a function that does not return an errno ends.
enum Ended {
    /// With this errno for the guest.
    Errno(Errno),
    /// The run, with this exit code (`proc_exit`).
    Exit(i32),
}

impl From<Errno> for Ended {
    fn from(errno: Errno) -> Self {
        Ended::Errno(errno)
    }
}

/// One run's WASI: its arguments, environment, fds and clocks.
pub(crate) struct WasiCtx {
    pub args: Vec<String>,
    pub env: Vec<String>,
    pub fds: FdTable,
    started: Instant,
    /// When the run's timeout ends it: no host call waits past it.
    pub deadline: Option<Instant>,
    trace: Option<TraceLog>,
}

impl WasiCtx {
    /// The context `config` describes: fds 0-2 as configured, then each preopen in order.
    pub fn new(config: &RunConfig, streams: &OutputStreams) -> Result<Self, Error> {
        let mut fds = FdTable::default();
        let stdin = match config.stdin() {
            Stdin::Empty => StdinSource::Empty,
            Stdin::Bytes(b) => StdinSource::Bytes(std::io::Cursor::new(b.clone())),
            Stdin::Inherit => StdinSource::Inherit,
        };
        let stdio = [
            Kind::Stdin(stdin),
            Kind::Output(streams.stdout.clone()),
            Kind::Output(streams.stderr.clone()),
        ];
        for kind in stdio {
            fds.insert(Entry::new(kind, rights::STDIO, 0))
                .map_err(|_| Error::InvalidConfig("too many fds".into()))?;
        }
        for p in config.preopens() {
            let dir =
                cap_std::fs::Dir::open_ambient_dir(p.host_path(), cap_std::ambient_authority())
                    .map_err(|source| Error::Io {
                        path: p.host_path().to_path_buf(),
                        source,
                    })?;
            // A read-only preopen holds no right that changes anything, and rights only shrink
            // from a directory to what is opened under it.
            let allowed = match p.access() {
                DirAccess::ReadOnly => !rights::WRITING,
                DirAccess::ReadWrite => rights::ALL,
            };
            let directory = Directory {
                dir,
                preopen: Some(p.guest_path().to_string()),
            };
            let entry = Entry::new(
                Kind::Dir(directory),
                rights::DIRECTORY & allowed,
                (rights::DIRECTORY | rights::FILE) & allowed,
            );
            fds.insert(entry)
                .map_err(|_| Error::InvalidConfig("too many preopens".into()))?;
        }
        for socket in config.sockets() {
            let listener = socket.listener().map_err(|source| Error::Io {
                path: std::path::PathBuf::from(format!("{socket:?}")),
                source,
            })?;
            fds.insert(Entry::new(Kind::Listener(listener), rights::LISTENER, 0))
                .map_err(|_| Error::InvalidConfig("too many preopens".into()))?;
        }
        Ok(WasiCtx {
            args: config.argv().to_vec(),
            env: config
                .env()
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect(),
            fds,
            started: Instant::now(),
            deadline: config.limits().timeout.map(|t| Instant::now() + t),
            trace: streams.trace.clone(),
        })
    }

    /// Calls the preview-1 function `function` with the guest's `args`: an errno for the guest,
    /// or a [`HostError`] that ends it (`proc_exit`).
    pub fn call(
        &mut self,
        function: &'static wasi_p1::Function,
        caller: &mut dyn Caller,
        args: &[HostValue],
    ) -> Result<Vec<HostValue>, HostError> {
        let raw: Vec<u64> = args.iter().map(|v| v.to_bits()).collect();
        let ended = self.dispatch(function.id, &mut Memory(caller), &raw);
        let errno = match ended {
            Ok(()) => Errno::SUCCESS,
            Err(Ended::Errno(e)) => e,
            Err(Ended::Exit(code)) => {
                if let Some(trace) = &self.trace {
                    trace.push(TraceEvent::new(function.name, args, None));
                }
                return Err(HostError::exit(code));
            }
        };
        if let Some(trace) = &self.trace {
            trace.push(TraceEvent::new(
                function.name,
                args,
                Some((errno.0, errno.name())),
            ));
        }
        Ok(vec![HostValue::I32(i32::from(errno.0))])
    }

    /// Runs one function. The `match` has an arm for each of the 46, and no other: a
    /// function left out does not compile.
    fn dispatch(&mut self, id: FunctionId, m: &mut Memory<'_>, a: &[u64]) -> Result<(), Ended> {
        // Every argument but the 64-bit ones (offsets, sizes, times, rights) is an i32.
        let p = |i: usize| a.get(i).copied().unwrap_or(0) as u32;
        let w = |i: usize| a.get(i).copied().unwrap_or(0);
        use FunctionId as F;
        let done = match id {
            F::ArgsGet => write_strings(m, &self.args, p(0), p(1)),
            F::ArgsSizesGet => write_sizes(m, &self.args, p(0), p(1)),
            F::EnvironGet => write_strings(m, &self.env, p(0), p(1)),
            F::EnvironSizesGet => write_sizes(m, &self.env, p(0), p(1)),
            F::ClockResGet => {
                let res = self.clock_res(p(0))?;
                m.write_u64(p(1), res)
            }
            F::ClockTimeGet => {
                let now = self.now(p(0))?;
                m.write_u64(p(2), now)
            }
            F::FdAdvise => self.fd_advise(p(0), w(1), w(2), p(3)),
            F::FdAllocate => self.fd_allocate(p(0), w(1), w(2)),
            F::FdClose => self.fds.remove(p(0)).map(drop),
            F::FdDatasync => self.fd_sync(p(0), true),
            F::FdFdstatGet => self.fd_fdstat_get(m, p(0), p(1)),
            F::FdFdstatSetFlags => self.fd_fdstat_set_flags(p(0), p(1)),
            F::FdFdstatSetRights => self.fd_fdstat_set_rights(p(0), w(1), w(2)),
            F::FdFilestatGet => self.fd_filestat_get(m, p(0), p(1)),
            F::FdFilestatSetSize => self.fd_filestat_set_size(p(0), w(1)),
            F::FdFilestatSetTimes => self.fd_filestat_set_times(p(0), w(1), w(2), p(3)),
            F::FdPread => self.fd_pread(m, p(0), p(1), p(2), w(3), p(4)),
            F::FdPrestatGet => self.fd_prestat_get(m, p(0), p(1)),
            F::FdPrestatDirName => self.fd_prestat_dir_name(m, p(0), p(1), p(2)),
            F::FdPwrite => self.fd_pwrite(m, p(0), p(1), p(2), w(3), p(4)),
            F::FdRead => self.fd_read(m, p(0), p(1), p(2), p(3)),
            F::FdReaddir => self.fd_readdir(m, p(0), p(1), p(2), w(3), p(4)),
            F::FdRenumber => self.fds.renumber(p(0), p(1)),
            F::FdSeek => self.fd_seek(m, p(0), w(1) as i64, p(2), p(3)),
            F::FdSync => self.fd_sync(p(0), false),
            F::FdTell => self.fd_seek(m, p(0), 0, u32::from(super::abi::whence::CUR), p(1)),
            F::FdWrite => self.fd_write(m, p(0), p(1), p(2), p(3)),
            F::PathCreateDirectory => self.path_create_directory(m, p(0), p(1), p(2)),
            F::PathFilestatGet => self.path_filestat_get(m, p(0), p(1), p(2), p(3), p(4)),
            F::PathFilestatSetTimes => {
                self.path_filestat_set_times(m, p(0), p(1), p(2), p(3), w(4), w(5), p(6))
            }
            F::PathLink => self.path_link(m, p(0), p(1), p(2), p(3), p(4), p(5), p(6)),
            F::PathOpen => {
                self.path_open(m, [p(0), p(1), p(2), p(3), p(4)], w(5), w(6), p(7), p(8))
            }
            F::PathReadlink => self.path_readlink(m, p(0), p(1), p(2), p(3), p(4), p(5)),
            F::PathRemoveDirectory => self.path_remove_directory(m, p(0), p(1), p(2)),
            F::PathRename => self.path_rename(m, p(0), p(1), p(2), p(3), p(4), p(5)),
            F::PathSymlink => self.path_symlink(m, p(0), p(1), p(2), p(3), p(4)),
            F::PathUnlinkFile => self.path_unlink_file(m, p(0), p(1), p(2)),
            F::PollOneoff => self.poll_oneoff(m, p(0), p(1), p(2), p(3)),
            F::ProcExit => return Err(Ended::Exit(p(0) as i32)),
            // Raising a signal in the guest would end the host: refused, as the spec allows.
            F::ProcRaise => Err(Errno::NOSYS),
            F::SchedYield => {
                std::thread::yield_now();
                Ok(())
            }
            F::RandomGet => {
                // Checked first, then filled a piece at a time: no guest length is allocated.
                m.check(p(0), p(1))?;
                let mut chunk = [0u8; 4096];
                let (mut at, end) = (p(0), p(0) + p(1));
                while at < end {
                    let n = (end - at).min(chunk.len() as u32);
                    getrandom::fill(&mut chunk[..n as usize]).map_err(|_| Errno::IO)?;
                    m.write(at, &chunk[..n as usize])?;
                    at += n;
                }
                Ok(())
            }
            F::SockAccept => self.sock_accept(m, p(0), p(1), p(2)),
            F::SockRecv => self.sock_recv(m, p(0), p(1), p(2), p(3), p(4), p(5)),
            F::SockSend => self.sock_send(m, p(0), p(1), p(2), p(3), p(4)),
            F::SockShutdown => self.sock_shutdown(p(0), p(1)),
        };
        done.map_err(Ended::Errno)
    }

    fn clock_res(&self, id: u32) -> Result<u64, Errno> {
        match id {
            clock::REALTIME | clock::MONOTONIC | clock::PROCESS_CPUTIME | clock::THREAD_CPUTIME => {
                Ok(1)
            }
            _ => Err(Errno::INVAL),
        }
    }

    /// The time on clock `id`, in nanoseconds. The CPU-time clocks are the time since the run
    /// started (the guest has one thread, which runs or waits in a host call).
    pub fn now(&self, id: u32) -> Result<u64, Errno> {
        match id {
            clock::REALTIME => {
                let since = SystemTime::now()
                    .duration_since(SystemTime::UNIX_EPOCH)
                    .map_err(|_| Errno::OVERFLOW)?;
                u64::try_from(since.as_nanos()).map_err(|_| Errno::OVERFLOW)
            }
            clock::MONOTONIC | clock::PROCESS_CPUTIME | clock::THREAD_CPUTIME => {
                u64::try_from(self.started.elapsed().as_nanos()).map_err(|_| Errno::OVERFLOW)
            }
            _ => Err(Errno::INVAL),
        }
    }
}

/// `args_get` / `environ_get`: a pointer per string, and the NUL-terminated strings.
fn write_strings(m: &mut Memory<'_>, strings: &[String], ptrs: u32, buf: u32) -> Result<(), Errno> {
    let mut at = buf;
    for (i, s) in strings.iter().enumerate() {
        let slot = ptrs.checked_add(4 * i as u32).ok_or(Errno::FAULT)?;
        m.write_u32(slot, at)?;
        let mut bytes = s.as_bytes().to_vec();
        bytes.push(0);
        m.write(at, &bytes)?;
        at = at.checked_add(bytes.len() as u32).ok_or(Errno::FAULT)?;
    }
    Ok(())
}

/// `args_sizes_get` / `environ_sizes_get`: the count, and the bytes with their NULs.
fn write_sizes(m: &mut Memory<'_>, strings: &[String], count: u32, size: u32) -> Result<(), Errno> {
    let bytes: usize = strings.iter().map(|s| s.len() + 1).sum();
    m.write_u32(count, strings.len() as u32)?;
    m.write_u32(size, bytes as u32)
}
