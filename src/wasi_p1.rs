//! WASI preview 1 (`wasi_snapshot_preview1`): its functions and their core Wasm signatures.

use crate::{Signature, ValType};
use ValType::{I32, I64};

/// The import module name of WASI preview 1.
pub const MODULE: &str = "wasi_snapshot_preview1";

/// One preview-1 function: its name and its core Wasm signature (every function but
/// `proc_exit` returns an `errno` as `i32`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Function {
    /// Which function it is, for a `match`.
    pub id: FunctionId,
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

/// Defines [`FunctionId`] and [`FUNCTIONS`] from one list, so that the two cannot disagree.
macro_rules! preview1 {
    ($($id:ident $name:ident($($param:ident),*) -> ($($result:ident),*);)*) => {
        /// A preview-1 function as a value a `match` can cover: code that handles every
        /// function (the [portable WASI](crate::portable)) matches on it without a catch-all,
        /// so a function it leaves out does not compile.
        ///
        /// ```
        /// use wasiport::wasi_p1::{self, FunctionId};
        /// assert_eq!(FunctionId::FdWrite.function().name, "fd_write");
        /// assert_eq!(wasi_p1::function("fd_write").unwrap().id, FunctionId::FdWrite);
        /// ```
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum FunctionId {
            $(
                #[doc = concat!("`", stringify!($name), "`")]
                $id,
            )*
        }

        /// The 46 functions of WASI preview 1, in the order of the specification's witx file's
        /// sections (args, environ, clocks, fd, path, poll, proc, sched, random, sock); each
        /// one's [`FunctionId`] is its index here.
        ///
        /// ```
        /// use wasiport::wasi_p1;
        /// assert_eq!(wasi_p1::FUNCTIONS.len(), 46);
        /// assert_eq!(wasi_p1::function("fd_write").unwrap().signature().to_string(), "(i32, i32, i32, i32) -> i32");
        /// ```
        pub const FUNCTIONS: &[Function] = &[
            $(
                Function {
                    id: FunctionId::$id,
                    name: stringify!($name),
                    params: &[$($param),*],
                    results: &[$($result),*],
                },
            )*
        ];
    };
}

preview1! {
    ArgsGet args_get(I32, I32) -> (I32);
    ArgsSizesGet args_sizes_get(I32, I32) -> (I32);
    EnvironGet environ_get(I32, I32) -> (I32);
    EnvironSizesGet environ_sizes_get(I32, I32) -> (I32);
    ClockResGet clock_res_get(I32, I32) -> (I32);
    ClockTimeGet clock_time_get(I32, I64, I32) -> (I32);
    FdAdvise fd_advise(I32, I64, I64, I32) -> (I32);
    FdAllocate fd_allocate(I32, I64, I64) -> (I32);
    FdClose fd_close(I32) -> (I32);
    FdDatasync fd_datasync(I32) -> (I32);
    FdFdstatGet fd_fdstat_get(I32, I32) -> (I32);
    FdFdstatSetFlags fd_fdstat_set_flags(I32, I32) -> (I32);
    FdFdstatSetRights fd_fdstat_set_rights(I32, I64, I64) -> (I32);
    FdFilestatGet fd_filestat_get(I32, I32) -> (I32);
    FdFilestatSetSize fd_filestat_set_size(I32, I64) -> (I32);
    FdFilestatSetTimes fd_filestat_set_times(I32, I64, I64, I32) -> (I32);
    FdPread fd_pread(I32, I32, I32, I64, I32) -> (I32);
    FdPrestatGet fd_prestat_get(I32, I32) -> (I32);
    FdPrestatDirName fd_prestat_dir_name(I32, I32, I32) -> (I32);
    FdPwrite fd_pwrite(I32, I32, I32, I64, I32) -> (I32);
    FdRead fd_read(I32, I32, I32, I32) -> (I32);
    FdReaddir fd_readdir(I32, I32, I32, I64, I32) -> (I32);
    FdRenumber fd_renumber(I32, I32) -> (I32);
    FdSeek fd_seek(I32, I64, I32, I32) -> (I32);
    FdSync fd_sync(I32) -> (I32);
    FdTell fd_tell(I32, I32) -> (I32);
    FdWrite fd_write(I32, I32, I32, I32) -> (I32);
    PathCreateDirectory path_create_directory(I32, I32, I32) -> (I32);
    PathFilestatGet path_filestat_get(I32, I32, I32, I32, I32) -> (I32);
    PathFilestatSetTimes path_filestat_set_times(I32, I32, I32, I32, I64, I64, I32) -> (I32);
    PathLink path_link(I32, I32, I32, I32, I32, I32, I32) -> (I32);
    PathOpen path_open(I32, I32, I32, I32, I32, I64, I64, I32, I32) -> (I32);
    PathReadlink path_readlink(I32, I32, I32, I32, I32, I32) -> (I32);
    PathRemoveDirectory path_remove_directory(I32, I32, I32) -> (I32);
    PathRename path_rename(I32, I32, I32, I32, I32, I32) -> (I32);
    PathSymlink path_symlink(I32, I32, I32, I32, I32) -> (I32);
    PathUnlinkFile path_unlink_file(I32, I32, I32) -> (I32);
    PollOneoff poll_oneoff(I32, I32, I32, I32) -> (I32);
    ProcExit proc_exit(I32) -> ();
    ProcRaise proc_raise(I32) -> (I32);
    SchedYield sched_yield() -> (I32);
    RandomGet random_get(I32, I32) -> (I32);
    SockAccept sock_accept(I32, I32, I32) -> (I32);
    SockRecv sock_recv(I32, I32, I32, I32, I32, I32) -> (I32);
    SockSend sock_send(I32, I32, I32, I32, I32) -> (I32);
    SockShutdown sock_shutdown(I32, I32) -> (I32);
}

impl FunctionId {
    /// Its entry in [`FUNCTIONS`].
    pub fn function(self) -> &'static Function {
        &FUNCTIONS[self as usize]
    }
}

/// The preview-1 function called `name`.
pub fn function(name: &str) -> Option<&'static Function> {
    FUNCTIONS.iter().find(|f| f.name == name)
}

/// Whether `name` is a preview-1 function.
pub fn is_function(name: &str) -> bool {
    function(name).is_some()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_function_id_is_its_index_in_the_table() {
        for (index, f) in FUNCTIONS.iter().enumerate() {
            assert_eq!(f.id as usize, index, "{}", f.name);
            assert_eq!(f.id.function(), f);
        }
    }
}
