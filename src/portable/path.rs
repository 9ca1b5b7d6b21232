//! The `path_*` functions and `fd_readdir`: everything that names a file under a directory fd.
//! Every path is resolved by cap-std under that directory, so none leaves it, `..`, absolute
//! paths and symlinks included.

use cap_fs_ext::{
    DirExt, FollowSymlinks, OpenOptionsFollowExt, OpenOptionsMaybeDirExt, SystemTimeSpec,
};
use cap_std::fs::{Dir, OpenOptions};

use super::abi::{fdflags, filetype, oflags, rights, Memory, LOOKUP_SYMLINK_FOLLOW};
use super::ctx::WasiCtx;
use super::errno::Errno;
use super::fd::{requested_times, Requested};
use super::filestat::{filetype_of, Filestat};
use super::table::{Directory, Entry, Kind};

fn time_spec(r: Option<Requested>) -> Option<SystemTimeSpec> {
    r.map(|r| match r {
        Requested::Now => SystemTimeSpec::SymbolicNow,
        Requested::At(t) => SystemTimeSpec::Absolute(cap_std::time::SystemTime::from_std(t)),
    })
}

impl WasiCtx {
    /// The directory `fd` and the path at `ptr`, if the fd holds `needed`.
    fn dir_and_path(
        &self,
        m: &Memory<'_>,
        fd: u32,
        needed: u64,
        ptr: u32,
        len: u32,
    ) -> Result<(&Dir, String), Errno> {
        let entry = self.fds.get(fd)?;
        let dir = &entry.dir(needed)?.dir;
        Ok((dir, m.string(ptr, len)?))
    }

    pub(super) fn path_create_directory(
        &mut self,
        m: &mut Memory<'_>,
        fd: u32,
        ptr: u32,
        len: u32,
    ) -> Result<(), Errno> {
        let (dir, path) = self.dir_and_path(m, fd, rights::PATH_CREATE_DIRECTORY, ptr, len)?;
        Ok(dir.create_dir(path)?)
    }

    pub(super) fn path_filestat_get(
        &mut self,
        m: &mut Memory<'_>,
        fd: u32,
        flags: u32,
        ptr: u32,
        len: u32,
        out: u32,
    ) -> Result<(), Errno> {
        let (dir, path) = self.dir_and_path(m, fd, rights::PATH_FILESTAT_GET, ptr, len)?;
        let meta = if flags & LOOKUP_SYMLINK_FOLLOW != 0 {
            dir.metadata(path)?
        } else {
            dir.symlink_metadata(path)?
        };
        m.write(out, &Filestat::of(&meta).to_bytes())
    }

    #[allow(clippy::too_many_arguments)]
    pub(super) fn path_filestat_set_times(
        &mut self,
        m: &mut Memory<'_>,
        fd: u32,
        flags: u32,
        ptr: u32,
        len: u32,
        atim: u64,
        mtim: u64,
        fst: u32,
    ) -> Result<(), Errno> {
        let [access, modify] = requested_times(atim, mtim, fst)?;
        let (dir, path) = self.dir_and_path(m, fd, rights::PATH_FILESTAT_SET_TIMES, ptr, len)?;
        if flags & LOOKUP_SYMLINK_FOLLOW != 0 {
            dir.set_times(path, time_spec(access), time_spec(modify))?;
        } else {
            dir.set_symlink_times(path, time_spec(access), time_spec(modify))?;
        }
        Ok(())
    }

    #[allow(clippy::too_many_arguments)]
    pub(super) fn path_link(
        &mut self,
        m: &mut Memory<'_>,
        old_fd: u32,
        flags: u32,
        old_ptr: u32,
        old_len: u32,
        new_fd: u32,
        new_ptr: u32,
        new_len: u32,
    ) -> Result<(), Errno> {
        let (old_dir, old) =
            self.dir_and_path(m, old_fd, rights::PATH_LINK_SOURCE, old_ptr, old_len)?;
        let (new_dir, new) =
            self.dir_and_path(m, new_fd, rights::PATH_LINK_TARGET, new_ptr, new_len)?;
        // With SYMLINK_FOLLOW the link is to what a symlink names, as POSIX's linkat with
        // AT_SYMLINK_FOLLOW makes it (wasmtime refuses the flag with EINVAL).
        let old = if flags & LOOKUP_SYMLINK_FOLLOW != 0 {
            followed(old_dir, old.into())?
        } else {
            old.into()
        };
        Ok(old_dir.hard_link(old, new_dir, new)?)
    }

    pub(super) fn path_open(
        &mut self,
        m: &mut Memory<'_>,
        [fd, dirflags, ptr, len, oflags]: [u32; 5],
        base: u64,
        inheriting: u64,
        flags: u32,
        out: u32,
    ) -> Result<(), Errno> {
        let oflags = u16::try_from(oflags).map_err(|_| Errno::INVAL)?;
        let flags = u16::try_from(flags).map_err(|_| Errno::INVAL)?;
        if oflags & !oflags::ALL != 0 || flags & !fdflags::ALL != 0 {
            return Err(Errno::INVAL);
        }
        let parent = self.fds.get(fd)?;
        let mut needed = rights::PATH_OPEN;
        if oflags & oflags::CREAT != 0 {
            needed |= rights::PATH_CREATE_FILE;
        }
        if oflags & oflags::TRUNC != 0 {
            needed |= rights::PATH_FILESTAT_SET_SIZE;
        }
        let dir = &parent.dir(needed)?.dir;
        let path = m.string(ptr, len)?;
        // What is opened holds at most what its directory hands on.
        let (base, inheriting) = (base & parent.inheriting, inheriting & parent.inheriting);
        let follow = if dirflags & LOOKUP_SYMLINK_FOLLOW != 0 {
            FollowSymlinks::Yes
        } else {
            FollowSymlinks::No
        };
        let kind = if oflags & oflags::DIRECTORY != 0 {
            if oflags & (oflags::CREAT | oflags::TRUNC) != 0 {
                return Err(Errno::INVAL);
            }
            let opened = match follow {
                FollowSymlinks::Yes => dir.open_dir(&path)?,
                FollowSymlinks::No => dir.open_dir_nofollow(&path)?,
            };
            // A directory asked for with the write right: EISDIR, as POSIX's open of one for
            // writing and the reference host (wasmtime) answer, with O_DIRECTORY or without.
            if base & rights::FD_WRITE != 0 {
                return Err(Errno::ISDIR);
            }
            Kind::Dir(Directory {
                dir: opened,
                preopen: None,
            })
        } else {
            let write =
                base & (rights::FD_WRITE | rights::FD_ALLOCATE | rights::FD_FILESTAT_SET_SIZE) != 0;
            let read = base & (rights::FD_READ | rights::FD_READDIR) != 0 || !write;
            let mut options = OpenOptions::new();
            options.read(read).write(write);
            // Creating or truncating needs a writable open on the host; the fd's rights still
            // decide whether the guest may write.
            if oflags & (oflags::CREAT | oflags::TRUNC) != 0 {
                options.write(true);
            }
            if oflags & oflags::CREAT != 0 {
                if oflags & oflags::EXCL != 0 {
                    options.create_new(true);
                } else {
                    options.create(true);
                }
            }
            options.truncate(oflags & oflags::TRUNC != 0);
            options.follow(follow).maybe_dir(true);
            let file = dir.open_with(&path, &options)?.into_std();
            if file.metadata()?.is_dir() {
                Kind::Dir(Directory {
                    dir: Dir::from_std_file(file),
                    preopen: None,
                })
            } else {
                Kind::File(file)
            }
        };
        let allowed = match kind {
            Kind::Dir(_) => rights::DIRECTORY,
            _ => rights::FILE,
        };
        let mut entry = Entry::new(kind, base & allowed, inheriting);
        entry.flags = flags;
        let new_fd = self.fds.insert(entry)?;
        m.write_u32(out, new_fd)
    }

    #[allow(clippy::too_many_arguments)]
    pub(super) fn path_readlink(
        &mut self,
        m: &mut Memory<'_>,
        fd: u32,
        ptr: u32,
        len: u32,
        buf: u32,
        buf_len: u32,
        out: u32,
    ) -> Result<(), Errno> {
        let (dir, path) = self.dir_and_path(m, fd, rights::PATH_READLINK, ptr, len)?;
        let target = dir
            .read_link_contents(path)?
            .into_os_string()
            .into_encoded_bytes();
        let n = target.len().min(buf_len as usize);
        m.write(buf, &target[..n])?;
        m.write_u32(out, n as u32)
    }

    pub(super) fn path_remove_directory(
        &mut self,
        m: &mut Memory<'_>,
        fd: u32,
        ptr: u32,
        len: u32,
    ) -> Result<(), Errno> {
        let (dir, path) = self.dir_and_path(m, fd, rights::PATH_REMOVE_DIRECTORY, ptr, len)?;
        Ok(dir.remove_dir(path)?)
    }

    #[allow(clippy::too_many_arguments)]
    pub(super) fn path_rename(
        &mut self,
        m: &mut Memory<'_>,
        old_fd: u32,
        old_ptr: u32,
        old_len: u32,
        new_fd: u32,
        new_ptr: u32,
        new_len: u32,
    ) -> Result<(), Errno> {
        let (old_dir, old) =
            self.dir_and_path(m, old_fd, rights::PATH_RENAME_SOURCE, old_ptr, old_len)?;
        let (new_dir, new) =
            self.dir_and_path(m, new_fd, rights::PATH_RENAME_TARGET, new_ptr, new_len)?;
        // A trailing slash on either name says "a directory": POSIX's pathname resolution
        // fails with ENOTDIR for anything else, where cap-std would drop the slash of the new
        // name and replace the file there (found by `wasiport fuzz`).
        if old.ends_with('/') || new.ends_with('/') {
            let source = old_dir.symlink_metadata(old.trim_end_matches('/'))?;
            if !source.is_dir() {
                return Err(Errno::NOTDIR);
            }
        }
        Ok(old_dir.rename(old, new_dir, new)?)
    }

    pub(super) fn path_symlink(
        &mut self,
        m: &mut Memory<'_>,
        old_ptr: u32,
        old_len: u32,
        fd: u32,
        new_ptr: u32,
        new_len: u32,
    ) -> Result<(), Errno> {
        let target = m.string(old_ptr, old_len)?;
        let (dir, link) = self.dir_and_path(m, fd, rights::PATH_SYMLINK, new_ptr, new_len)?;
        // An absolute target is refused: it could only ever point outside the sandbox.
        Ok(dir.symlink(target, link)?)
    }

    pub(super) fn path_unlink_file(
        &mut self,
        m: &mut Memory<'_>,
        fd: u32,
        ptr: u32,
        len: u32,
    ) -> Result<(), Errno> {
        let (dir, path) = self.dir_and_path(m, fd, rights::PATH_UNLINK_FILE, ptr, len)?;
        Ok(dir.remove_file(path)?)
    }

    /// Lists a directory: its entries sorted by name (so that a cookie means the same entry on
    /// every call), each a 24-byte `dirent` and the name; the last may be cut at the end of
    /// the buffer, as the specification allows. `.` and `..` are not listed.
    pub(super) fn fd_readdir(
        &mut self,
        m: &mut Memory<'_>,
        fd: u32,
        buf: u32,
        buf_len: u32,
        cookie: u64,
        out: u32,
    ) -> Result<(), Errno> {
        let entry = self.fds.get(fd)?;
        let dir = match &entry.kind {
            Kind::Dir(d) => &d.dir,
            Kind::File(_) => return Err(Errno::NOTDIR),
            _ => return Err(Errno::BADF),
        };
        entry.require(rights::FD_READDIR)?;
        let mut listed = Vec::new();
        for e in dir.entries()? {
            let e = e?;
            let ty = e.file_type().map(filetype_of).unwrap_or(0);
            #[cfg(unix)]
            let ino = std::os::unix::fs::DirEntryExt::ino(&e);
            #[cfg(not(unix))]
            let ino = 0;
            listed.push((e.file_name().into_encoded_bytes(), ty, ino));
        }
        listed.sort();
        // `.` and `..` first, as POSIX's readdir and the reference host (wasmtime) list them.
        // A preopen's parent is out of the guest's reach: `..` has the directory's own inode,
        // as on wasmtime.
        let own = Filestat::of(&dir.dir_metadata()?).ino;
        let mut entries = vec![
            (b".".to_vec(), filetype::DIRECTORY, own),
            (b"..".to_vec(), filetype::DIRECTORY, own),
        ];
        entries.extend(listed);
        let mut bytes = Vec::new();
        let start = usize::try_from(cookie).unwrap_or(usize::MAX);
        for (i, (name, ty, ino)) in entries.iter().enumerate().skip(start) {
            if bytes.len() >= buf_len as usize {
                break;
            }
            bytes.extend_from_slice(&(i as u64 + 1).to_le_bytes());
            bytes.extend_from_slice(&ino.to_le_bytes());
            bytes.extend_from_slice(&(name.len() as u32).to_le_bytes());
            bytes.extend_from_slice(&[*ty, 0, 0, 0]);
            bytes.extend_from_slice(name);
        }
        let n = bytes.len().min(buf_len as usize);
        m.write(buf, &bytes[..n])?;
        m.write_u32(out, n as u32)
    }
}

/// `path` in `dir` with the symlinks it ends in followed, each target taken relative to the
/// link's own directory (an absolute one, or one that leaves `dir`, is refused as every other
/// path is); ELOOP after 32 of them.
fn followed(dir: &Dir, mut path: std::path::PathBuf) -> Result<std::path::PathBuf, Errno> {
    for _ in 0..32 {
        match dir.read_link(&path) {
            Ok(target) if target.is_absolute() => return Err(Errno::PERM),
            Ok(target) => {
                path = path
                    .parent()
                    .map(|parent| parent.join(&target))
                    .unwrap_or(target);
            }
            // Not a symlink (EINVAL from readlink): this is what it names.
            Err(e) if e.kind() == std::io::ErrorKind::InvalidInput => return Ok(path),
            Err(e) => return Err(e.into()),
        }
    }
    Err(Errno::LOOP)
}
