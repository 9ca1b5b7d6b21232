//! WASI preview 1 (`wasi_snapshot_preview1`): its functions and their core Wasm signatures.

use crate::{Signature, ValType};
use ValType::{I32, I64};

/// The import module name of WASI preview 1.
pub const MODULE: &str = "wasi_snapshot_preview1";

/// One preview-1 function: its name and its core Wasm signature (every function but
/// `proc_exit` returns an `errno` as `i32`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Function {
    /// The import name, e.g. `fd_write`.
    pub name: &'static str,
    /// Parameter types.
    pub params: &'static [ValType],
    /// Result types.
    pub results: &'static [ValType],
}

impl Function {
    /// The signature as a [`Signature`].
    pub fn signature(&self) -> Signature {
        Signature::new(self.params.iter().copied(), self.results.iter().copied())
    }

    /// Whether `signature` is this function's (compared in place, nothing allocated).
    ///
    /// ```
    /// use wasiport::{wasi_p1, Signature, ValType};
    /// let fd_close = wasi_p1::function("fd_close").unwrap();
    /// assert!(fd_close.has_signature(&Signature::new([ValType::I32], [ValType::I32])));
    /// assert!(!fd_close.has_signature(&Signature::new([ValType::I64], [ValType::I32])));
    /// ```
    pub fn has_signature(&self, signature: &Signature) -> bool {
        signature.params == self.params && signature.results == self.results
    }
}

/// The 46 functions of WASI preview 1, in the order of the specification's witx file's
/// sections (args, environ, clocks, fd, path, poll, proc, sched, random, sock).
///
/// ```
/// use wasiport::wasi_p1;
/// assert_eq!(wasi_p1::FUNCTIONS.len(), 46);
/// assert_eq!(wasi_p1::function("fd_write").unwrap().signature().to_string(), "(i32, i32, i32, i32) -> i32");
/// ```
#[rustfmt::skip]
pub const FUNCTIONS: &[Function] = &[
    Function { name: "args_get", params: &[I32, I32], results: &[I32] },
    Function { name: "args_sizes_get", params: &[I32, I32], results: &[I32] },
    Function { name: "environ_get", params: &[I32, I32], results: &[I32] },
    Function { name: "environ_sizes_get", params: &[I32, I32], results: &[I32] },
    Function { name: "clock_res_get", params: &[I32, I32], results: &[I32] },
    Function { name: "clock_time_get", params: &[I32, I64, I32], results: &[I32] },
    Function { name: "fd_advise", params: &[I32, I64, I64, I32], results: &[I32] },
    Function { name: "fd_allocate", params: &[I32, I64, I64], results: &[I32] },
    Function { name: "fd_close", params: &[I32], results: &[I32] },
    Function { name: "fd_datasync", params: &[I32], results: &[I32] },
    Function { name: "fd_fdstat_get", params: &[I32, I32], results: &[I32] },
    Function { name: "fd_fdstat_set_flags", params: &[I32, I32], results: &[I32] },
    Function { name: "fd_fdstat_set_rights", params: &[I32, I64, I64], results: &[I32] },
    Function { name: "fd_filestat_get", params: &[I32, I32], results: &[I32] },
    Function { name: "fd_filestat_set_size", params: &[I32, I64], results: &[I32] },
    Function { name: "fd_filestat_set_times", params: &[I32, I64, I64, I32], results: &[I32] },
    Function { name: "fd_pread", params: &[I32, I32, I32, I64, I32], results: &[I32] },
    Function { name: "fd_prestat_get", params: &[I32, I32], results: &[I32] },
    Function { name: "fd_prestat_dir_name", params: &[I32, I32, I32], results: &[I32] },
    Function { name: "fd_pwrite", params: &[I32, I32, I32, I64, I32], results: &[I32] },
    Function { name: "fd_read", params: &[I32, I32, I32, I32], results: &[I32] },
    Function { name: "fd_readdir", params: &[I32, I32, I32, I64, I32], results: &[I32] },
    Function { name: "fd_renumber", params: &[I32, I32], results: &[I32] },
    Function { name: "fd_seek", params: &[I32, I64, I32, I32], results: &[I32] },
    Function { name: "fd_sync", params: &[I32], results: &[I32] },
    Function { name: "fd_tell", params: &[I32, I32], results: &[I32] },
    Function { name: "fd_write", params: &[I32, I32, I32, I32], results: &[I32] },
    Function { name: "path_create_directory", params: &[I32, I32, I32], results: &[I32] },
    Function { name: "path_filestat_get", params: &[I32, I32, I32, I32, I32], results: &[I32] },
    Function { name: "path_filestat_set_times", params: &[I32, I32, I32, I32, I64, I64, I32], results: &[I32] },
    Function { name: "path_link", params: &[I32, I32, I32, I32, I32, I32, I32], results: &[I32] },
    Function { name: "path_open", params: &[I32, I32, I32, I32, I32, I64, I64, I32, I32], results: &[I32] },
    Function { name: "path_readlink", params: &[I32, I32, I32, I32, I32, I32], results: &[I32] },
    Function { name: "path_remove_directory", params: &[I32, I32, I32], results: &[I32] },
    Function { name: "path_rename", params: &[I32, I32, I32, I32, I32, I32], results: &[I32] },
    Function { name: "path_symlink", params: &[I32, I32, I32, I32, I32], results: &[I32] },
    Function { name: "path_unlink_file", params: &[I32, I32, I32], results: &[I32] },
    Function { name: "poll_oneoff", params: &[I32, I32, I32, I32], results: &[I32] },
    Function { name: "proc_exit", params: &[I32], results: &[] },
    Function { name: "proc_raise", params: &[I32], results: &[I32] },
    Function { name: "sched_yield", params: &[], results: &[I32] },
    Function { name: "random_get", params: &[I32, I32], results: &[I32] },
    Function { name: "sock_accept", params: &[I32, I32, I32], results: &[I32] },
    Function { name: "sock_recv", params: &[I32, I32, I32, I32, I32, I32], results: &[I32] },
    Function { name: "sock_send", params: &[I32, I32, I32, I32, I32], results: &[I32] },
    Function { name: "sock_shutdown", params: &[I32, I32], results: &[I32] },
];

/// The preview-1 function called `name`.
pub fn function(name: &str) -> Option<&'static Function> {
    FUNCTIONS.iter().find(|f| f.name == name)
}

/// Whether `name` is a preview-1 function.
pub fn is_function(name: &str) -> bool {
    function(name).is_some()
}
