//! The guest's preopens from fd 3, as on every other backend.
//!
//! wasix keeps fd 3 for a virtual root of its own (`VIRTUAL_ROOT_FD`, hard-wired in its file
//! system: `fd_prestat_get(3)` is `/`, and a path relative to fd 3 resolves from that root), so
//! the host's first preopen is fd 4, and a program that takes the first preopen gets the root
//! instead of its directory. wasix's fd table is private to it, so this hook renumbers at the
//! import boundary instead: the guest's fd `g` ≥ 3 is wasix's `g + 1` in every argument that is
//! an fd (and in `poll_oneoff`'s subscriptions, for the call), and an fd wasix hands out
//! (`path_open`, `sock_accept`) is written back as the guest's. wasix's root is out of reach.

use std::sync::PoisonError;

use wasmer::{
    AsStoreMut, AsStoreRef, Extern, Function, FunctionEnv, FunctionEnvMut, Imports, Instance,
    Memory, MemoryAccessError, Module, RuntimeError, StoreMut, Value,
};
use wasmer_wasix::runtime::{InstantiationHook, InstantiationState};

use wasiport::wasi_p1::MODULE;

use crate::host::{fill, MemorySlot};

/// The first fd wasix keeps for itself.
const RESERVED: u32 = 3;

/// Where a function has fds: the parameters that are one, and the parameter (if any) that
/// points to where the call writes a new one.
struct Shape {
    name: &'static str,
    fds: &'static [usize],
    out: Option<usize>,
}

const fn shape(name: &'static str, fds: &'static [usize], out: Option<usize>) -> Shape {
    Shape { name, fds, out }
}

/// Every preview-1 function with an fd (the others pass through; `poll_oneoff` has its own
/// wrapper). A test checks that every function of `wasi_p1::FUNCTIONS` is here or without one.
const SHAPES: &[Shape] = &[
    shape("fd_advise", &[0], None),
    shape("fd_allocate", &[0], None),
    shape("fd_close", &[0], None),
    shape("fd_datasync", &[0], None),
    shape("fd_fdstat_get", &[0], None),
    shape("fd_fdstat_set_flags", &[0], None),
    shape("fd_fdstat_set_rights", &[0], None),
    shape("fd_filestat_get", &[0], None),
    shape("fd_filestat_set_size", &[0], None),
    shape("fd_filestat_set_times", &[0], None),
    shape("fd_pread", &[0], None),
    shape("fd_prestat_get", &[0], None),
    shape("fd_prestat_dir_name", &[0], None),
    shape("fd_pwrite", &[0], None),
    shape("fd_read", &[0], None),
    shape("fd_readdir", &[0], None),
    shape("fd_renumber", &[0, 1], None),
    shape("fd_seek", &[0], None),
    shape("fd_sync", &[0], None),
    shape("fd_tell", &[0], None),
    shape("fd_write", &[0], None),
    shape("path_create_directory", &[0], None),
    shape("path_filestat_get", &[0], None),
    shape("path_filestat_set_times", &[0], None),
    // (old_fd, old_flags, old_path, old_len, new_fd, new_path, new_len)
    shape("path_link", &[0, 4], None),
    // (fd, dirflags, path, len, oflags, base, inheriting, fdflags, opened_fd)
    shape("path_open", &[0], Some(8)),
    shape("path_readlink", &[0], None),
    shape("path_remove_directory", &[0], None),
    // (fd, old_path, old_len, new_fd, new_path, new_len)
    shape("path_rename", &[0, 3], None),
    // (old_path, old_len, fd, new_path, new_len)
    shape("path_symlink", &[2], None),
    shape("path_unlink_file", &[0], None),
    // (fd, flags, accepted_fd)
    shape("sock_accept", &[0], Some(2)),
    shape("sock_recv", &[0], None),
    shape("sock_send", &[0], None),
    shape("sock_shutdown", &[0], None),
];

/// The guest's fd as wasix numbers it.
fn to_wasix(fd: u32) -> u32 {
    if (RESERVED..u32::MAX).contains(&fd) {
        fd + 1
    } else {
        fd
    }
}

/// An fd wasix handed out, as the guest numbers it.
fn to_guest(fd: u32) -> u32 {
    if fd > RESERVED {
        fd - 1
    } else {
        fd
    }
}

/// Renumbers the fds of every instance the runtime creates with wasix's WASI.
#[derive(Debug)]
pub(crate) struct ShiftedFds;

impl InstantiationHook for ShiftedFds {
    fn prepare_imports(
        &self,
        _module: &Module,
        store: &mut StoreMut,
        imports: &mut Imports,
    ) -> anyhow::Result<InstantiationState> {
        let slot = MemorySlot::default();
        let env = FunctionEnv::new(store, slot.clone());
        for shape in SHAPES {
            let Some(Extern::Function(wasix)) = imports.get_export(MODULE, shape.name) else {
                continue;
            };
            let ty = wasix.ty(store);
            let (fds, out) = (shape.fds, shape.out);
            let shifted = Function::new_with_env(
                store,
                &env,
                ty,
                move |mut env: FunctionEnvMut<MemorySlot>, args: &[Value]| {
                    let mut args = args.to_vec();
                    for &i in fds {
                        if let Some(Value::I32(fd)) = args.get(i) {
                            args[i] = Value::I32(to_wasix(*fd as u32) as i32);
                        }
                    }
                    let results = wasix.call(&mut env.as_store_mut(), &args)?;
                    let succeeded = matches!(results.first(), Some(Value::I32(0)));
                    if let (true, Some(Value::I32(at))) = (succeeded, out.and_then(|i| args.get(i)))
                    {
                        let (slot, store) = env.data_and_store_mut();
                        let memory = memory_of(slot)?;
                        let view = memory.view(&store);
                        let mut fd = [0u8; 4];
                        let at = u64::from(*at as u32);
                        view.read(at, &mut fd).map_err(memory_error)?;
                        let guest = to_guest(u32::from_le_bytes(fd));
                        view.write(at, &guest.to_le_bytes()).map_err(memory_error)?;
                    }
                    Ok(results.to_vec())
                },
            );
            imports.define(MODULE, shape.name, shifted);
        }
        if let Some(Extern::Function(wasix)) = imports.get_export(MODULE, "poll_oneoff") {
            let ty = wasix.ty(store);
            let shifted = Function::new_with_env(
                store,
                &env,
                ty,
                move |mut env: FunctionEnvMut<MemorySlot>, args: &[Value]| {
                    let (Some(Value::I32(subscriptions)), Some(Value::I32(count))) =
                        (args.first(), args.get(2))
                    else {
                        return wasix.call(&mut env.as_store_mut(), args).map(Vec::from);
                    };
                    let (at, count) = (u64::from(*subscriptions as u32), *count as u32);
                    let memory = memory_of(env.data())?;
                    let shifted = shift_subscriptions(&memory, &env.as_store_ref(), at, count)?;
                    let results = wasix.call(&mut env.as_store_mut(), args);
                    // The guest's subscriptions as it wrote them, whatever the call did.
                    for (offset, fd) in shifted {
                        memory
                            .view(&env.as_store_ref())
                            .write(offset, &fd.to_le_bytes())
                            .map_err(memory_error)?;
                    }
                    results.map(Vec::from)
                },
            );
            imports.define(MODULE, "poll_oneoff", shifted);
        }
        Ok(InstantiationState::new(slot))
    }

    fn configure_new_instance(
        &self,
        _module: &Module,
        _store: &mut StoreMut,
        instance: &Instance,
        imported_memory: Option<&Memory>,
        state: InstantiationState,
    ) -> anyhow::Result<()> {
        let slot: MemorySlot = state.take()?;
        fill(&slot, instance, imported_memory);
        Ok(())
    }
}

/// The guest's memory, once its instance exists (a start function that opens a file before
/// then finds none: the call traps rather than hand the guest a wrong fd).
fn memory_of(slot: &MemorySlot) -> Result<Memory, RuntimeError> {
    slot.lock()
        .unwrap_or_else(PoisonError::into_inner)
        .clone()
        .ok_or_else(|| {
            RuntimeError::new("wasiport: an fd was handed out before the instance had a memory")
        })
}

fn memory_error(e: MemoryAccessError) -> RuntimeError {
    RuntimeError::new(e.to_string())
}

/// `poll_oneoff`'s subscriptions (48 bytes each; an `fd_read` or `fd_write` one, tag 1 or 2 at
/// byte 8, has its fd at byte 16) with their fds made wasix's: where each was, and what the
/// guest had written there.
fn shift_subscriptions(
    memory: &Memory,
    store: &impl AsStoreRef,
    at: u64,
    count: u32,
) -> Result<Vec<(u64, u32)>, RuntimeError> {
    let view = memory.view(store);
    let mut shifted = Vec::new();
    for i in 0..u64::from(count) {
        let base = at + 48 * i;
        let mut tag = [0u8; 1];
        if view.read(base + 8, &mut tag).is_err() {
            // wasix reports the bad pointer itself.
            break;
        }
        if tag[0] == 1 || tag[0] == 2 {
            let mut fd = [0u8; 4];
            view.read(base + 16, &mut fd).map_err(memory_error)?;
            let fd = u32::from_le_bytes(fd);
            view.write(base + 16, &to_wasix(fd).to_le_bytes())
                .map_err(memory_error)?;
            shifted.push((base + 16, fd));
        }
    }
    Ok(shifted)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The preview-1 functions without an fd anywhere, and `poll_oneoff` (fds in memory).
    const WITHOUT_FDS: &[&str] = &[
        "args_get",
        "args_sizes_get",
        "environ_get",
        "environ_sizes_get",
        "clock_res_get",
        "clock_time_get",
        "proc_exit",
        "proc_raise",
        "sched_yield",
        "random_get",
        "poll_oneoff",
    ];

    #[test]
    fn every_preview_1_function_is_classified() {
        for f in wasiport::wasi_p1::FUNCTIONS {
            let shaped = SHAPES.iter().any(|s| s.name == f.name);
            assert!(shaped != WITHOUT_FDS.contains(&f.name), "{}", f.name);
            if let Some(s) = SHAPES.iter().find(|s| s.name == f.name) {
                for &i in s.fds.iter().chain(s.out.iter()) {
                    assert_eq!(
                        f.params.get(i),
                        Some(&wasiport::ValType::I32),
                        "{} param {i}",
                        f.name
                    );
                }
            }
        }
    }

    #[test]
    fn the_guests_fds_skip_wasixs_root() {
        assert_eq!([0, 1, 2, 3, 4].map(to_wasix), [0, 1, 2, 4, 5]);
        assert_eq!([4, 5].map(to_guest), [3, 4]);
        assert_eq!(to_wasix(u32::MAX), u32::MAX);
        for fd in 0..100 {
            assert_eq!(to_guest(to_wasix(fd)), fd);
        }
    }
}
