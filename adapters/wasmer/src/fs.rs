//! Preopened host directories for wasix, on cap-std.
//!
//! wasmer-wasix's own `host_fs::FileSystem` joins guest paths under its root lexically and
//! follows symlinks that point out of it, and its rights do not make a preopen read-only
//! (wasmer#5575). [`CapFs`] resolves every path inside a `cap_std::fs::Dir` instead, so neither
//! `..` nor a symlink can leave the directory, and when read-only it refuses every change with
//! `PermissionDenied` (which wasix reports as `EPERM`/`EACCES`). Symlink and hard-link creation
//! stay unsupported, as in wasmer's own host filesystem.

use std::future::Future;
use std::path::{Component, Path, PathBuf};
use std::pin::Pin;
use std::time::SystemTime;

use cap_std::ambient_authority;
use cap_std::fs::{Dir, Metadata as CapMetadata};
use wasmer_wasix::virtual_fs::{
    self, host_fs, DirEntry, FileOpener, FileSystem, FileType, FsError, Metadata, OpenOptions,
    OpenOptionsConfig, ReadDir, VirtualFile,
};

#[derive(Debug)]
pub(crate) struct CapFs {
    dir: Dir,
    host_root: PathBuf,
    read_only: bool,
    handle: tokio::runtime::Handle,
}

impl CapFs {
    pub(crate) fn open(
        host_root: &Path,
        read_only: bool,
        handle: tokio::runtime::Handle,
    ) -> std::io::Result<Self> {
        Ok(CapFs {
            dir: Dir::open_ambient_dir(host_root, ambient_authority())?,
            host_root: host_root.to_path_buf(),
            read_only,
            handle,
        })
    }

    fn writable(&self) -> virtual_fs::Result<()> {
        if self.read_only {
            Err(FsError::PermissionDenied)
        } else {
            Ok(())
        }
    }
}

/// The path below the directory's root: `/a/./b` is `a/b`. A `..` that would leave the root is
/// refused here already; cap-std refuses the ones hidden in symlinks.
fn relative(path: &Path) -> virtual_fs::Result<PathBuf> {
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            Component::Normal(part) => out.push(part),
            Component::ParentDir => {
                if !out.pop() {
                    return Err(FsError::PermissionDenied);
                }
            }
            Component::RootDir | Component::CurDir => {}
            Component::Prefix(_) => return Err(FsError::InvalidInput),
        }
    }
    if out.as_os_str().is_empty() {
        out.push(".");
    }
    Ok(out)
}

/// The `FsError` for a host error. virtual-fs's own conversion turns `ENOTEMPTY` and `ENOTDIR`
/// into an unknown error (reported as `EIO`); they have variants of their own.
fn fs_err(error: std::io::Error) -> FsError {
    match error.kind() {
        std::io::ErrorKind::DirectoryNotEmpty => FsError::DirectoryNotEmpty,
        std::io::ErrorKind::NotADirectory => FsError::BaseNotDirectory,
        _ => FsError::from(error),
    }
}

fn nanos(time: std::io::Result<SystemTime>) -> u64 {
    time.ok()
        .and_then(|t| t.duration_since(SystemTime::UNIX_EPOCH).ok())
        .map_or(0, |d| d.as_nanos() as u64)
}

fn metadata(m: CapMetadata) -> Metadata {
    use cap_std::fs::FileTypeExt;
    let ft = m.file_type();
    Metadata {
        ft: FileType {
            dir: ft.is_dir(),
            file: ft.is_file(),
            symlink: ft.is_symlink(),
            char_device: ft.is_char_device(),
            block_device: ft.is_block_device(),
            socket: ft.is_socket(),
            fifo: ft.is_fifo(),
        },
        accessed: nanos(m.accessed().map(|t| t.into_std())),
        created: nanos(m.created().map(|t| t.into_std())),
        modified: nanos(m.modified().map(|t| t.into_std())),
        len: m.len(),
    }
}

impl FileSystem for CapFs {
    fn readlink(&self, path: &Path) -> virtual_fs::Result<PathBuf> {
        self.dir.read_link(relative(path)?).map_err(fs_err)
    }

    fn read_dir(&self, path: &Path) -> virtual_fs::Result<ReadDir> {
        let rel = relative(path)?;
        let base = Path::new("/").join(&rel);
        let mut entries = Vec::new();
        for entry in self.dir.read_dir(&rel).map_err(fs_err)? {
            let entry = entry.map_err(fs_err)?;
            entries.push(DirEntry {
                path: base.join(entry.file_name()),
                metadata: entry.metadata().map(metadata).map_err(FsError::from),
            });
        }
        entries.sort_by(|a, b| a.path.file_name().cmp(&b.path.file_name()));
        Ok(ReadDir::new(entries))
    }

    fn create_dir(&self, path: &Path) -> virtual_fs::Result<()> {
        self.writable()?;
        self.dir.create_dir(relative(path)?).map_err(fs_err)
    }

    fn remove_dir(&self, path: &Path) -> virtual_fs::Result<()> {
        self.writable()?;
        self.dir.remove_dir(relative(path)?).map_err(fs_err)
    }

    fn rename<'a>(
        &'a self,
        from: &'a Path,
        to: &'a Path,
    ) -> Pin<Box<dyn Future<Output = virtual_fs::Result<()>> + Send + 'a>> {
        Box::pin(async move {
            self.writable()?;
            self.dir
                .rename(relative(from)?, &self.dir, relative(to)?)
                .map_err(fs_err)
        })
    }

    fn metadata(&self, path: &Path) -> virtual_fs::Result<Metadata> {
        self.dir
            .metadata(relative(path)?)
            .map(metadata)
            .map_err(fs_err)
    }

    fn symlink_metadata(&self, path: &Path) -> virtual_fs::Result<Metadata> {
        self.dir
            .symlink_metadata(relative(path)?)
            .map(metadata)
            .map_err(fs_err)
    }

    fn remove_file(&self, path: &Path) -> virtual_fs::Result<()> {
        self.writable()?;
        self.dir.remove_file(relative(path)?).map_err(fs_err)
    }

    fn new_open_options(&self) -> OpenOptions<'_> {
        OpenOptions::new(self)
    }
}

impl FileOpener for CapFs {
    fn open(
        &self,
        path: &Path,
        conf: &OpenOptionsConfig,
    ) -> virtual_fs::Result<Box<dyn VirtualFile + Send + Sync + 'static>> {
        if conf.would_mutate() || conf.write() {
            self.writable()?;
        }
        let rel = relative(path)?;
        let mut options = cap_std::fs::OpenOptions::new();
        options
            .read(conf.read())
            .write(conf.write())
            .append(conf.append())
            .truncate(conf.truncate())
            .create(conf.create())
            .create_new(conf.create_new());
        let file = self
            .dir
            .open_with(&rel, &options)
            .map_err(fs_err)?
            .into_std();
        Ok(Box::new(host_fs::File::new(
            self.handle.clone(),
            file,
            self.host_root.join(&rel),
            conf.read(),
            conf.write(),
            conf.append(),
        )))
    }
}
