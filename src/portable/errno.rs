//! WASI's `errno`, and the host's I/O errors translated into it.

use std::io;

/// A WASI preview-1 error number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Errno(pub u16);

impl Errno {
    pub const SUCCESS: Errno = Errno(0);
    pub const ACCES: Errno = Errno(2);
    pub const AGAIN: Errno = Errno(6);
    pub const BADF: Errno = Errno(8);
    pub const BUSY: Errno = Errno(10);
    pub const EXIST: Errno = Errno(20);
    pub const FAULT: Errno = Errno(21);
    pub const FBIG: Errno = Errno(22);
    pub const ILSEQ: Errno = Errno(25);
    pub const INTR: Errno = Errno(27);
    pub const INVAL: Errno = Errno(28);
    pub const IO: Errno = Errno(29);
    pub const ISDIR: Errno = Errno(31);
    pub const LOOP: Errno = Errno(32);
    pub const MLINK: Errno = Errno(34);
    pub const NAMETOOLONG: Errno = Errno(37);
    pub const NOENT: Errno = Errno(44);
    pub const NOMEM: Errno = Errno(48);
    pub const NOSPC: Errno = Errno(51);
    pub const NOSYS: Errno = Errno(52);
    pub const NOTDIR: Errno = Errno(54);
    pub const NOTEMPTY: Errno = Errno(55);
    pub const NOTSOCK: Errno = Errno(57);
    pub const NOTSUP: Errno = Errno(58);
    pub const OVERFLOW: Errno = Errno(61);
    pub const PERM: Errno = Errno(63);
    pub const PIPE: Errno = Errno(64);
    pub const ROFS: Errno = Errno(69);
    pub const SPIPE: Errno = Errno(70);
    pub const XDEV: Errno = Errno(75);
    pub const NOTCAPABLE: Errno = Errno(76);
    pub const ADDRINUSE: Errno = Errno(3);
    pub const CONNABORTED: Errno = Errno(13);
    pub const CONNREFUSED: Errno = Errno(14);
    pub const CONNRESET: Errno = Errno(15);
    pub const MFILE: Errno = Errno(33);
    pub const NFILE: Errno = Errno(41);
    pub const NOTCONN: Errno = Errno(53);
    pub const TIMEDOUT: Errno = Errno(73);

    /// The errno's name as in the specification (`"badf"`), for traces.
    pub fn name(self) -> &'static str {
        const NAMES: [&str; 77] = [
            "success",
            "2big",
            "acces",
            "addrinuse",
            "addrnotavail",
            "afnosupport",
            "again",
            "already",
            "badf",
            "badmsg",
            "busy",
            "canceled",
            "child",
            "connaborted",
            "connrefused",
            "connreset",
            "deadlk",
            "destaddrreq",
            "dom",
            "dquot",
            "exist",
            "fault",
            "fbig",
            "hostunreach",
            "idrm",
            "ilseq",
            "inprogress",
            "intr",
            "inval",
            "io",
            "isconn",
            "isdir",
            "loop",
            "mfile",
            "mlink",
            "msgsize",
            "multihop",
            "nametoolong",
            "netdown",
            "netreset",
            "netunreach",
            "nfile",
            "nobufs",
            "nodev",
            "noent",
            "noexec",
            "nolck",
            "nolink",
            "nomem",
            "nomsg",
            "noprotoopt",
            "nospc",
            "nosys",
            "notconn",
            "notdir",
            "notempty",
            "notrecoverable",
            "notsock",
            "notsup",
            "notty",
            "nxio",
            "overflow",
            "ownerdead",
            "perm",
            "pipe",
            "proto",
            "protonosupport",
            "prototype",
            "range",
            "rofs",
            "spipe",
            "srch",
            "stale",
            "timedout",
            "txtbsy",
            "xdev",
            "notcapable",
        ];
        NAMES.get(usize::from(self.0)).copied().unwrap_or("unknown")
    }
}

impl From<io::Error> for Errno {
    fn from(e: io::Error) -> Self {
        #[cfg(unix)]
        if let Some(code) = e.raw_os_error() {
            if let Some(errno) = from_os(code) {
                return errno;
            }
        }
        use io::ErrorKind as K;
        match e.kind() {
            K::NotFound => Errno::NOENT,
            // cap-std refuses a path that leaves its directory with PermissionDenied.
            K::PermissionDenied => Errno::PERM,
            K::AlreadyExists => Errno::EXIST,
            K::InvalidInput => Errno::INVAL,
            K::NotADirectory => Errno::NOTDIR,
            K::IsADirectory => Errno::ISDIR,
            K::DirectoryNotEmpty => Errno::NOTEMPTY,
            K::ReadOnlyFilesystem => Errno::ROFS,
            K::StorageFull => Errno::NOSPC,
            K::NotSeekable => Errno::SPIPE,
            K::FileTooLarge => Errno::FBIG,
            K::ResourceBusy => Errno::BUSY,
            K::CrossesDevices => Errno::XDEV,
            K::TooManyLinks => Errno::MLINK,
            K::InvalidFilename => Errno::NAMETOOLONG,
            K::Interrupted => Errno::INTR,
            K::WouldBlock => Errno::AGAIN,
            K::Unsupported => Errno::NOTSUP,
            K::OutOfMemory => Errno::NOMEM,
            K::BrokenPipe => Errno::PIPE,
            _ => Errno::IO,
        }
    }
}

#[cfg(unix)]
fn from_os(code: i32) -> Option<Errno> {
    Some(match code {
        libc::EPERM => Errno::PERM,
        libc::ENOENT => Errno::NOENT,
        libc::EIO => Errno::IO,
        libc::EBADF => Errno::BADF,
        libc::EAGAIN => Errno::AGAIN,
        libc::ENOMEM => Errno::NOMEM,
        libc::EACCES => Errno::ACCES,
        libc::EFAULT => Errno::FAULT,
        libc::EBUSY => Errno::BUSY,
        libc::EEXIST => Errno::EXIST,
        libc::EXDEV => Errno::XDEV,
        libc::ENOTDIR => Errno::NOTDIR,
        libc::EISDIR => Errno::ISDIR,
        libc::EINVAL => Errno::INVAL,
        libc::EFBIG => Errno::FBIG,
        libc::ENOSPC => Errno::NOSPC,
        libc::ESPIPE => Errno::SPIPE,
        libc::EROFS => Errno::ROFS,
        libc::EMLINK => Errno::MLINK,
        libc::EPIPE => Errno::PIPE,
        libc::ENAMETOOLONG => Errno::NAMETOOLONG,
        libc::ENOSYS => Errno::NOSYS,
        libc::ENOTEMPTY => Errno::NOTEMPTY,
        libc::ELOOP => Errno::LOOP,
        libc::EOVERFLOW => Errno::OVERFLOW,
        libc::EILSEQ => Errno::ILSEQ,
        libc::ENOTSOCK => Errno::NOTSOCK,
        libc::EOPNOTSUPP => Errno::NOTSUP,
        libc::EINTR => Errno::INTR,
        libc::EADDRINUSE => Errno::ADDRINUSE,
        libc::ECONNABORTED => Errno::CONNABORTED,
        libc::ECONNREFUSED => Errno::CONNREFUSED,
        libc::ECONNRESET => Errno::CONNRESET,
        libc::EMFILE => Errno::MFILE,
        libc::ENFILE => Errno::NFILE,
        libc::ENOTCONN => Errno::NOTCONN,
        libc::ETIMEDOUT => Errno::TIMEDOUT,
        _ => return None,
    })
}
