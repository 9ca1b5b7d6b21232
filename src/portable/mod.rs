//! The portable WASI: all 46 functions of WASI preview 1, written once over the
//! [`HostFunction`] API, so that they run the same on every engine that links host functions.
//!
//! The filesystem is cap-std's: each preopen is a [`cap_std::fs::Dir`], every path is resolved
//! under its directory fd (no `..`, absolute path or symlink leads out), and a read-only preopen
//! holds no right that changes anything — rights only shrink from a directory to what is opened
//! under it. Clocks and randomness come from the host; the standard streams are the
//! [`RunConfig`]'s. Sockets: the listeners the configuration preopens
//! ([`RunConfigBuilder::preopen_socket`](crate::RunConfigBuilder::preopen_socket)) are fds
//! after the directories; `sock_accept` takes connections on them, which `sock_recv`,
//! `sock_send`, `sock_shutdown`, `fd_read` and `fd_write` serve.
//!
//! Adapters link [`functions`] instead of their runtime's own WASI when
//! [`RunConfig::wasi`](crate::RunConfig::wasi) is [`WasiImpl::Portable`](crate::WasiImpl)
//! ([`host_functions`] is a run's whole table: the configuration's functions, and these);
//! `proc_exit` ends the guest with a [`HostError::exit_code`](crate::HostError::exit_code).
//!
//! ```
//! use wasiport::{output::OutputStreams, RunConfig};
//! let config = RunConfig::default();
//! let functions = wasiport::portable::functions(&config, &OutputStreams::new(&config))?;
//! assert_eq!(functions.len(), 46);
//! # Ok::<(), wasiport::Error>(())
//! ```

mod abi;
mod ctx;
mod errno;
mod fd;
mod filestat;
mod path;
mod poll;
mod sock;
mod table;

use std::sync::{Arc, Mutex, PoisonError};

use crate::host::Caller;
use crate::output::OutputStreams;
use crate::{wasi_p1, Error, HostError, HostFunction, HostValue, RunConfig, WasiImpl};

/// The name of WASI errno `code` as the specification spells it (`"badf"`), `"unknown"` past
/// the last.
///
/// ```
/// assert_eq!(wasiport::portable::errno_name(8), "badf");
/// ```
pub fn errno_name(code: u16) -> &'static str {
    errno::Errno(code).name()
}

/// The 46 `wasi_snapshot_preview1` functions for one run of `config`, sharing one state (its
/// fds, preopens, arguments and clocks). Output goes to `streams`, and each call to its trace
/// log when the run is traced.
///
/// Fails with [`Error::Io`] when a preopened directory cannot be opened.
pub fn functions(config: &RunConfig, streams: &OutputStreams) -> Result<Vec<HostFunction>, Error> {
    let ctx = Mutex::new(ctx::WasiCtx::new(config, streams)?);
    // One closure for all 46, told which function by its index in `wasi_p1::FUNCTIONS`.
    Ok(HostFunction::wasi_preview1(Arc::new(
        move |index: usize, caller: &mut dyn Caller, args: &[HostValue]| {
            let function = wasi_p1::FUNCTIONS
                .get(index)
                .ok_or_else(|| HostError::new(format!("no WASI function number {index}")))?;
            ctx.lock()
                .unwrap_or_else(PoisonError::into_inner)
                .call(function, caller, args)
        },
    )))
}

/// The host functions a run links: the configuration's own, and with the portable WASI its 46
/// functions (sharing `streams`).
///
/// ```
/// use wasiport::{output::OutputStreams, portable::host_functions, RunConfig, WasiImpl};
/// let config = RunConfig::default();
/// let streams = OutputStreams::new(&config);
/// assert_eq!(host_functions(&config, WasiImpl::Native, &streams)?.len(), 0);
/// assert_eq!(host_functions(&config, WasiImpl::Portable, &streams)?.len(), 46);
/// # Ok::<(), wasiport::Error>(())
/// ```
pub fn host_functions(
    config: &RunConfig,
    wasi: WasiImpl,
    streams: &OutputStreams,
) -> Result<Vec<HostFunction>, Error> {
    let mut linked = config.host_functions().to_vec();
    if wasi == WasiImpl::Portable {
        linked.extend(functions(config, streams)?);
    }
    Ok(linked)
}
