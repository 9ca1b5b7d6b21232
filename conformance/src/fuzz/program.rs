//! A fuzz program: a sequence of WASI preview-1 filesystem calls with arbitrary arguments, made
//! from a seed, and its text as a Wasm module that reports what each call did.
//!
//! Each call's line on stdout is `II EEEE [VVVVVVVV ...] [DATA]`: the call's index, the errno it
//! returned, then the values it wrote (the fd, a count, a file type, a size: see
//! [`Op::values`]) and the bytes it read, all in hex. A call that traps ends the output, so the
//! last line tells how far the program got.

use std::fmt;

use wasiport::{wasi_p1, ValType};

use crate::fuzz::Rng;

/// How many fd slots a program has: each starts as the preopen (fd 3); `path_open` writes the
/// fd it opened into one of slots 1 to 3, so later calls use it whatever its number. The
/// standard streams are left alone: what they are is the host's business.
pub const SLOTS: u8 = 4;

/// An fd no program opens: numbers are given from 3 up, and a program opens at most a few.
pub const NOT_OPEN: u32 = 1000;

/// Paths the calls name, relative to the preopen (see [`crate::fuzz::tree`]): files,
/// directories and links that exist, names that do not, ways out of the preopen, and malformed
/// ones.
pub const PATHS: &[&str] = &[
    "file.txt",
    "dir",
    "dir/inner.txt",
    "link",
    "dir_link",
    "dir_link/inner.txt",
    "gone",
    "up_link",
    "abs_link",
    "new.txt",
    "dir/new.txt",
    "newdir",
    "newdir/x",
    "new_link",
    "..",
    "../outside.txt",
    "/fuzz.dir/file.txt",
    "",
    ".",
    "dir/../file.txt",
    "file.txt/",
    "dir/",
    "missing/x",
    "a\0b",
];

/// What the writes write.
pub const DATA: &[&str] = &["", "abc", "hello, fuzz\n"];

/// One argument that is text in the guest's memory: a pointer and a length.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Text {
    /// One of [`PATHS`].
    Path(u8),
    /// One of [`DATA`].
    Data(u8),
    /// A pointer past the end of memory (8 bytes at `0xffff_fff0`).
    OutOfBounds,
}

/// An fd argument.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fd {
    /// The fd in slot `k` (see [`SLOTS`]).
    Slot(u8),
    /// This number, whatever it is.
    Raw(u32),
}

/// One call and its arguments.
#[derive(Debug, Clone, PartialEq, Eq)]
#[allow(missing_docs)] // The fields are the function's arguments, named as in the specification.
pub enum Op {
    PathOpen {
        dir: Fd,
        lookup: u32,
        path: Text,
        oflags: u32,
        rights: u64,
        fdflags: u32,
        into: u8,
    },
    FdClose {
        fd: Fd,
    },
    FdRead {
        fd: Fd,
        len: u32,
    },
    FdPread {
        fd: Fd,
        len: u32,
        offset: u64,
    },
    FdWrite {
        fd: Fd,
        data: Text,
    },
    FdPwrite {
        fd: Fd,
        data: Text,
        offset: u64,
    },
    FdSeek {
        fd: Fd,
        offset: i64,
        whence: u32,
    },
    FdTell {
        fd: Fd,
    },
    FdFilestatGet {
        fd: Fd,
    },
    FdFilestatSetSize {
        fd: Fd,
        size: u64,
    },
    FdFdstatGet {
        fd: Fd,
    },
    FdFdstatSetFlags {
        fd: Fd,
        flags: u32,
    },
    FdReaddir {
        fd: Fd,
        len: u32,
        cookie: u64,
    },
    FdSync {
        fd: Fd,
    },
    FdDatasync {
        fd: Fd,
    },
    FdAllocate {
        fd: Fd,
        offset: u64,
        len: u64,
    },
    FdAdvise {
        fd: Fd,
        offset: u64,
        len: u64,
        advice: u32,
    },
    FdRenumber {
        fd: Fd,
        to: Fd,
    },
    FdPrestatGet {
        fd: Fd,
    },
    FdPrestatDirName {
        fd: Fd,
        len: u32,
    },
    PathFilestatGet {
        dir: Fd,
        lookup: u32,
        path: Text,
    },
    PathCreateDirectory {
        dir: Fd,
        path: Text,
    },
    PathRemoveDirectory {
        dir: Fd,
        path: Text,
    },
    PathUnlinkFile {
        dir: Fd,
        path: Text,
    },
    PathRename {
        dir: Fd,
        old: Text,
        new_dir: Fd,
        new: Text,
    },
    PathSymlink {
        target: Text,
        dir: Fd,
        new: Text,
    },
    PathReadlink {
        dir: Fd,
        path: Text,
        len: u32,
    },
    PathLink {
        dir: Fd,
        lookup: u32,
        old: Text,
        new_dir: Fd,
        new: Text,
    },
}

/// Every right of preview 1 (bits 0 to 29).
pub const ALL_RIGHTS: u64 = (1 << 30) - 1;
/// `fd_read`, `fd_seek`, `fd_tell`, `fd_readdir`, `fd_filestat_get`.
pub const READ_RIGHTS: u64 = (1 << 1) | (1 << 2) | (1 << 5) | (1 << 14) | (1 << 21);
/// `fd_seek`, `fd_tell`, `fd_write`, `fd_filestat_get`, `fd_filestat_set_size`.
pub const WRITE_RIGHTS: u64 = (1 << 2) | (1 << 5) | (1 << 6) | (1 << 21) | (1 << 22);

// The guest's memory (one page).
const SLOT_BASE: u32 = 0x40;
const OUT: u32 = 0x100;
const OUT_LEN: u32 = 64;
const IOV: u32 = 0x200;
const BUF: u32 = 0x300;
const BUF_LEN: u32 = 256;
const HEX: u32 = 0x600;
const POOL: u32 = 0x1000;
const OUT_IOV: u32 = 0x3000;
const OUT_NWRITTEN: u32 = 0x3010;
const LINE: u32 = 0x3100;
const OUT_OF_BOUNDS: u32 = 0xffff_fff0;
/// At most this many bytes of what a call read are shown.
const DATA_SHOWN: u32 = 32;

/// A value a call wrote, shown on its line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Value {
    /// A `u32` (an fd, a count, a length).
    U32(&'static str, u32),
    /// A `u8` (a file type, a tag).
    U8(&'static str, u32),
    /// A `u16` (flags).
    U16(&'static str, u32),
    /// The low 32 bits of a `u64` (a size, an offset).
    U64(&'static str, u32),
}

impl Value {
    /// What the value is.
    pub fn name(self) -> &'static str {
        match self {
            Value::U32(n, _) | Value::U8(n, _) | Value::U16(n, _) | Value::U64(n, _) => n,
        }
    }

    fn load(self) -> String {
        match self {
            Value::U32(_, at) => format!("(i32.load (i32.const {at}))"),
            Value::U8(_, at) => format!("(i32.load8_u (i32.const {at}))"),
            Value::U16(_, at) => format!("(i32.load16_u (i32.const {at}))"),
            Value::U64(_, at) => format!("(i32.wrap_i64 (i64.load (i32.const {at})))"),
        }
    }
}

/// Bytes a call read, shown on its line after its values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Data {
    /// As many as the `u32` at `OUT` says.
    Counted,
    /// This many.
    Fixed(u32),
}

impl Op {
    /// The preview-1 function it calls.
    pub fn function(&self) -> &'static str {
        match self {
            Op::PathOpen { .. } => "path_open",
            Op::FdClose { .. } => "fd_close",
            Op::FdRead { .. } => "fd_read",
            Op::FdPread { .. } => "fd_pread",
            Op::FdWrite { .. } => "fd_write",
            Op::FdPwrite { .. } => "fd_pwrite",
            Op::FdSeek { .. } => "fd_seek",
            Op::FdTell { .. } => "fd_tell",
            Op::FdFilestatGet { .. } => "fd_filestat_get",
            Op::FdFilestatSetSize { .. } => "fd_filestat_set_size",
            Op::FdFdstatGet { .. } => "fd_fdstat_get",
            Op::FdFdstatSetFlags { .. } => "fd_fdstat_set_flags",
            Op::FdReaddir { .. } => "fd_readdir",
            Op::FdSync { .. } => "fd_sync",
            Op::FdDatasync { .. } => "fd_datasync",
            Op::FdAllocate { .. } => "fd_allocate",
            Op::FdAdvise { .. } => "fd_advise",
            Op::FdRenumber { .. } => "fd_renumber",
            Op::FdPrestatGet { .. } => "fd_prestat_get",
            Op::FdPrestatDirName { .. } => "fd_prestat_dir_name",
            Op::PathFilestatGet { .. } => "path_filestat_get",
            Op::PathCreateDirectory { .. } => "path_create_directory",
            Op::PathRemoveDirectory { .. } => "path_remove_directory",
            Op::PathUnlinkFile { .. } => "path_unlink_file",
            Op::PathRename { .. } => "path_rename",
            Op::PathSymlink { .. } => "path_symlink",
            Op::PathReadlink { .. } => "path_readlink",
            Op::PathLink { .. } => "path_link",
        }
    }

    /// A random call.
    pub fn random(rng: &mut Rng) -> Op {
        let fd = |rng: &mut Rng| match rng.below(4) {
            0 => Fd::Raw(rng.pick(&[3, NOT_OPEN, u32::MAX])),
            _ => Fd::Slot(rng.below(SLOTS as usize) as u8),
        };
        let path = |rng: &mut Rng| match rng.below(12) {
            0 => Text::OutOfBounds,
            _ => Text::Path(rng.below(PATHS.len()) as u8),
        };
        let data = |rng: &mut Rng| match rng.below(12) {
            0 => Text::OutOfBounds,
            _ => Text::Data(rng.below(DATA.len()) as u8),
        };
        let lookup = |rng: &mut Rng| rng.pick(&[0, 1]);
        let len = |rng: &mut Rng| rng.pick(&[0, 5, 64, BUF_LEN]);
        let offset = |rng: &mut Rng| rng.pick(&[0, 3, 100, 4096]);
        match rng.below(32) {
            0..=5 => Op::PathOpen {
                dir: fd(rng),
                lookup: lookup(rng),
                path: path(rng),
                oflags: rng.pick(&[0, 0, 1, 1, 2, 4 | 1, 8, 8 | 1, 2 | 1, 15]),
                rights: rng.pick(&[
                    ALL_RIGHTS,
                    ALL_RIGHTS,
                    ALL_RIGHTS,
                    READ_RIGHTS,
                    WRITE_RIGHTS,
                    0,
                ]),
                fdflags: rng.pick(&[0, 0, 0, 1, 4, 16]),
                into: 1 + rng.below(SLOTS as usize - 1) as u8,
            },
            6 => Op::FdClose { fd: fd(rng) },
            7 => Op::FdRead {
                fd: fd(rng),
                len: len(rng),
            },
            8 => Op::FdPread {
                fd: fd(rng),
                len: len(rng),
                offset: offset(rng),
            },
            9 | 10 => Op::FdWrite {
                fd: fd(rng),
                data: data(rng),
            },
            11 => Op::FdPwrite {
                fd: fd(rng),
                data: data(rng),
                offset: offset(rng),
            },
            12 => Op::FdSeek {
                fd: fd(rng),
                offset: rng.pick(&[0, 2, -1, -100, 1000]),
                whence: rng.pick(&[0, 1, 2, 7]),
            },
            13 => Op::FdTell { fd: fd(rng) },
            14 => Op::FdFilestatGet { fd: fd(rng) },
            15 => Op::FdFilestatSetSize {
                fd: fd(rng),
                size: rng.pick(&[0, 5, 100, 1 << 20]),
            },
            16 => Op::FdFdstatGet { fd: fd(rng) },
            17 => Op::FdFdstatSetFlags {
                fd: fd(rng),
                flags: rng.pick(&[0, 1, 4, 16]),
            },
            18 => Op::FdReaddir {
                fd: fd(rng),
                len: rng.pick(&[0, 24, BUF_LEN]),
                cookie: rng.pick(&[0, 1, 2, 1000]),
            },
            19 => Op::FdSync { fd: fd(rng) },
            20 => Op::FdDatasync { fd: fd(rng) },
            21 => Op::FdAllocate {
                fd: fd(rng),
                offset: offset(rng),
                len: rng.pick(&[0, 10, 4096]),
            },
            22 => Op::FdAdvise {
                fd: fd(rng),
                offset: offset(rng),
                len: rng.pick(&[0, 10]),
                advice: rng.pick(&[0, 1, 4, 5, 9]),
            },
            23 => Op::FdRenumber {
                fd: fd(rng),
                to: fd(rng),
            },
            24 => Op::FdPrestatGet { fd: fd(rng) },
            25 => Op::FdPrestatDirName {
                fd: fd(rng),
                len: rng.pick(&[0, 4, 8, 64]),
            },
            26 => Op::PathFilestatGet {
                dir: fd(rng),
                lookup: lookup(rng),
                path: path(rng),
            },
            27 => Op::PathCreateDirectory {
                dir: fd(rng),
                path: path(rng),
            },
            28 => Op::PathRemoveDirectory {
                dir: fd(rng),
                path: path(rng),
            },
            29 => Op::PathUnlinkFile {
                dir: fd(rng),
                path: path(rng),
            },
            30 => match rng.below(4) {
                0 => Op::PathSymlink {
                    target: path(rng),
                    dir: fd(rng),
                    new: path(rng),
                },
                1 => Op::PathReadlink {
                    dir: fd(rng),
                    path: path(rng),
                    len: len(rng),
                },
                _ => Op::PathRename {
                    dir: fd(rng),
                    old: path(rng),
                    new_dir: fd(rng),
                    new: path(rng),
                },
            },
            _ => Op::PathLink {
                dir: fd(rng),
                lookup: lookup(rng),
                old: path(rng),
                new_dir: fd(rng),
                new: path(rng),
            },
        }
    }

    /// Whether the call's only fd argument is one no program opens ([`NOT_OPEN`], or -1); a
    /// call with two fds may fail for the other one first.
    pub fn names_only_an_fd_never_opened(&self) -> bool {
        let fds: Vec<Fd> = self
            .arguments()
            .iter()
            .filter_map(|a| match a {
                Arg::Fd(fd) => Some(*fd),
                _ => None,
            })
            .collect();
        matches!(fds[..], [Fd::Raw(n)] if n == NOT_OPEN || n == u32::MAX)
    }

    /// Whether an enum argument is out of its range (`whence` past 2, `advice` past 5).
    pub fn has_an_enum_out_of_range(&self) -> bool {
        match self {
            Op::FdSeek { whence, .. } => *whence > 2,
            Op::FdAdvise { advice, .. } => *advice > 5,
            _ => false,
        }
    }

    /// Whether an argument points outside the guest's memory (where preview 1 does not say
    /// whether the call fails with `fault` or the guest traps).
    pub fn points_out_of_bounds(&self) -> bool {
        self.texts().contains(&Text::OutOfBounds)
    }

    fn texts(&self) -> Vec<Text> {
        match *self {
            Op::PathOpen { path, .. }
            | Op::PathFilestatGet { path, .. }
            | Op::PathCreateDirectory { path, .. }
            | Op::PathRemoveDirectory { path, .. }
            | Op::PathUnlinkFile { path, .. }
            | Op::PathReadlink { path, .. } => vec![path],
            Op::FdWrite { data, .. } | Op::FdPwrite { data, .. } => vec![data],
            Op::PathRename { old, new, .. } | Op::PathLink { old, new, .. } => vec![old, new],
            Op::PathSymlink { target, new, .. } => vec![target, new],
            _ => Vec::new(),
        }
    }

    /// The values the call's line shows after its errno, each named.
    pub fn values(&self) -> Vec<Value> {
        match self {
            Op::FdRead { .. } | Op::FdPread { .. } => vec![Value::U32("nread", OUT)],
            Op::FdWrite { .. } | Op::FdPwrite { .. } => vec![Value::U32("nwritten", OUT)],
            Op::FdSeek { .. } | Op::FdTell { .. } => vec![Value::U64("offset", OUT)],
            Op::FdFilestatGet { .. } | Op::PathFilestatGet { .. } => {
                vec![
                    Value::U8("filetype", OUT + 16),
                    Value::U64("size", OUT + 32),
                ]
            }
            Op::FdFdstatGet { .. } => {
                vec![Value::U8("filetype", OUT), Value::U16("flags", OUT + 2)]
            }
            Op::FdPrestatGet { .. } => {
                vec![Value::U8("tag", OUT), Value::U32("name_len", OUT + 4)]
            }
            Op::PathReadlink { .. } => vec![Value::U32("bufused", OUT)],
            _ => Vec::new(),
        }
    }

    fn data(&self) -> Option<Data> {
        match self {
            Op::FdRead { .. } | Op::FdPread { .. } | Op::PathReadlink { .. } => Some(Data::Counted),
            Op::FdPrestatDirName { len, .. } => Some(Data::Fixed(*len)),
            _ => None,
        }
    }

    /// The call's arguments, in the function's parameter order.
    fn arguments(&self) -> Vec<Arg> {
        use Arg::{Fixed, Int, Len, Ptr};
        let fd = |fd: &Fd| Arg::Fd(*fd);
        let at = |address: u32| Fixed(address as i64);
        let iov = [at(IOV), Fixed(1)];
        let mut args = Vec::new();
        match self {
            Op::PathOpen {
                dir,
                lookup,
                path,
                oflags,
                rights,
                fdflags,
                ..
            } => args.extend([
                fd(dir),
                Int("lookup", *lookup as i64),
                Ptr(*path),
                Len(*path),
                Int("oflags", *oflags as i64),
                Int("rights", *rights as i64),
                Fixed(ALL_RIGHTS as i64),
                Int("fdflags", *fdflags as i64),
                at(OUT),
            ]),
            Op::FdClose { fd: f } | Op::FdSync { fd: f } | Op::FdDatasync { fd: f } => {
                args.push(fd(f))
            }
            Op::FdRead { fd: f, .. } | Op::FdWrite { fd: f, .. } => {
                args.push(fd(f));
                args.extend(iov);
                args.push(at(OUT));
            }
            Op::FdPread { fd: f, offset, .. } | Op::FdPwrite { fd: f, offset, .. } => {
                args.push(fd(f));
                args.extend(iov);
                args.extend([Int("offset", *offset as i64), at(OUT)]);
            }
            Op::FdSeek {
                fd: f,
                offset,
                whence,
            } => args.extend([
                fd(f),
                Int("offset", *offset),
                Int("whence", *whence as i64),
                at(OUT),
            ]),
            Op::FdTell { fd: f }
            | Op::FdFilestatGet { fd: f }
            | Op::FdFdstatGet { fd: f }
            | Op::FdPrestatGet { fd: f } => args.extend([fd(f), at(OUT)]),
            Op::FdFilestatSetSize { fd: f, size } => {
                args.extend([fd(f), Int("size", *size as i64)])
            }
            Op::FdFdstatSetFlags { fd: f, flags } => {
                args.extend([fd(f), Int("fdflags", *flags as i64)])
            }
            Op::FdReaddir { fd: f, len, cookie } => args.extend([
                fd(f),
                at(BUF),
                Int("len", *len as i64),
                Int("cookie", *cookie as i64),
                at(OUT),
            ]),
            Op::FdAllocate { fd: f, offset, len } => args.extend([
                fd(f),
                Int("offset", *offset as i64),
                Int("len", *len as i64),
            ]),
            Op::FdAdvise {
                fd: f,
                offset,
                len,
                advice,
            } => args.extend([
                fd(f),
                Int("offset", *offset as i64),
                Int("len", *len as i64),
                Int("advice", *advice as i64),
            ]),
            Op::FdRenumber { fd: f, to } => args.extend([fd(f), fd(to)]),
            Op::FdPrestatDirName { fd: f, len } => {
                args.extend([fd(f), at(BUF), Int("len", *len as i64)])
            }
            Op::PathFilestatGet { dir, lookup, path } => args.extend([
                fd(dir),
                Int("lookup", *lookup as i64),
                Ptr(*path),
                Len(*path),
                at(OUT),
            ]),
            Op::PathCreateDirectory { dir, path }
            | Op::PathRemoveDirectory { dir, path }
            | Op::PathUnlinkFile { dir, path } => args.extend([fd(dir), Ptr(*path), Len(*path)]),
            Op::PathRename {
                dir,
                old,
                new_dir,
                new,
            } => args.extend([
                fd(dir),
                Ptr(*old),
                Len(*old),
                fd(new_dir),
                Ptr(*new),
                Len(*new),
            ]),
            Op::PathSymlink { target, dir, new } => {
                args.extend([Ptr(*target), Len(*target), fd(dir), Ptr(*new), Len(*new)])
            }
            Op::PathReadlink { dir, path, len } => args.extend([
                fd(dir),
                Ptr(*path),
                Len(*path),
                at(BUF),
                Int("len", *len as i64),
                at(OUT),
            ]),
            Op::PathLink {
                dir,
                lookup,
                old,
                new_dir,
                new,
            } => args.extend([
                fd(dir),
                Int("lookup", *lookup as i64),
                Ptr(*old),
                Len(*old),
                fd(new_dir),
                Ptr(*new),
                Len(*new),
            ]),
        }
        args
    }

    /// What the call does with the iovec at `IOV` before it is made, if it takes one.
    fn iovec(&self) -> Option<(u32, u32)> {
        match self {
            Op::FdRead { len, .. } | Op::FdPread { len, .. } => Some((BUF, *len)),
            Op::FdWrite { data, .. } | Op::FdPwrite { data, .. } => Some(text_at(*data)),
            _ => None,
        }
    }
}

/// One argument of a call.
#[derive(Debug, Clone, Copy)]
enum Arg {
    /// A number the fuzzer chose, and what it is.
    Int(&'static str, i64),
    /// A number every such call passes (an address in the guest's memory, a count of one).
    Fixed(i64),
    /// An fd.
    Fd(Fd),
    /// A text's address.
    Ptr(Text),
    /// A text's length.
    Len(Text),
}

impl Arg {
    fn wat(self, ty: ValType) -> String {
        match (self, ty) {
            (Arg::Int(_, v) | Arg::Fixed(v), ValType::I64) => format!("(i64.const {v})"),
            (Arg::Int(_, v) | Arg::Fixed(v), _) => format!("(i32.const {})", v as i32),
            (Arg::Fd(Fd::Raw(n)), _) => format!("(i32.const {})", n as i32),
            (Arg::Fd(Fd::Slot(k)), _) => {
                format!("(i32.load (i32.const {}))", SLOT_BASE + 4 * k as u32)
            }
            (Arg::Ptr(t), _) => format!("(i32.const {})", text_at(t).0 as i32),
            (Arg::Len(t), _) => format!("(i32.const {})", text_at(t).1 as i32),
        }
    }

    /// How the call's description shows it, if at all: fds and texts as they are, numbers
    /// named (flags and rights in hex).
    fn shown(self) -> Option<String> {
        match self {
            Arg::Fd(fd) => Some(fd.to_string()),
            Arg::Ptr(text) => Some(text.to_string()),
            Arg::Int(name, v) if name.ends_with("flags") || name == "rights" => {
                Some(format!("{name}={v:#x}"))
            }
            Arg::Int(name, v) => Some(format!("{name}={v}")),
            Arg::Fixed(_) | Arg::Len(_) => None,
        }
    }
}

/// Where a text argument is in the guest's memory, and its length.
fn text_at(text: Text) -> (u32, u32) {
    let strings: Vec<&str> = PATHS.iter().chain(DATA).copied().collect();
    let index = match text {
        Text::Path(i) => i as usize,
        Text::Data(i) => PATHS.len() + i as usize,
        Text::OutOfBounds => return (OUT_OF_BOUNDS, 8),
    };
    let at = POOL + strings[..index].iter().map(|s| s.len() as u32).sum::<u32>();
    (at, strings[index].len() as u32)
}

impl fmt::Display for Fd {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Fd::Slot(k) => write!(f, "slot{k}"),
            Fd::Raw(n) => write!(f, "{}", *n as i32),
        }
    }
}

impl fmt::Display for Text {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Text::Path(i) => write!(f, "{:?}", PATHS[*i as usize]),
            Text::Data(i) => write!(f, "{:?}", DATA[*i as usize]),
            Text::OutOfBounds => f.write_str("<out of bounds>"),
        }
    }
}

impl fmt::Display for Op {
    /// The call as `function(arguments)`: fds as slots or numbers, texts quoted, numbers named;
    /// `-> slotK` where `path_open` keeps the fd it opened.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut shown: Vec<String> = self
            .arguments()
            .into_iter()
            .filter_map(Arg::shown)
            .collect();
        // What the iovec holds: how much to read, or what to write.
        match self {
            Op::FdRead { len, .. } | Op::FdPread { len, .. } => shown.push(format!("len={len}")),
            Op::FdWrite { data, .. } | Op::FdPwrite { data, .. } => {
                shown.insert(1, data.to_string())
            }
            _ => {}
        }
        write!(f, "{}({})", self.function(), shown.join(", "))?;
        match self {
            Op::PathOpen { into, .. } => write!(f, " -> slot{into}"),
            _ => Ok(()),
        }
    }
}

/// A sequence of calls, run in order by the module's `_start`.
///
/// ```
/// use wasiport_conformance::fuzz::Program;
/// let program = Program::generate(42, 10);
/// assert_eq!(program.calls.len(), 10);
/// assert_eq!(program, Program::generate(42, 10));
/// assert!(wat::parse_str(program.to_wat()).is_ok());
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Program {
    /// The seed it was made from.
    pub seed: u64,
    /// The calls.
    pub calls: Vec<Op>,
}

impl Program {
    /// `calls` random calls from `seed`; the same seed makes the same program.
    pub fn generate(seed: u64, calls: usize) -> Program {
        let mut rng = Rng::new(seed);
        Program {
            seed,
            calls: (0..calls).map(|_| Op::random(&mut rng)).collect(),
        }
    }

    /// The functions it calls, each once, in the order of the specification.
    pub fn functions(&self) -> Vec<&'static str> {
        wasi_p1::FUNCTIONS
            .iter()
            .map(|f| f.name)
            .filter(|name| self.calls.iter().any(|op| op.function() == *name))
            .collect()
    }

    /// The program as a WebAssembly text module: a command whose `_start` makes the calls and
    /// writes a line for each (see the module's documentation).
    pub fn to_wat(&self) -> String {
        let mut imports: Vec<&str> = self.functions();
        if !imports.contains(&"fd_write") {
            imports.push("fd_write");
        }
        let mut wat = String::from("(module\n");
        for name in &imports {
            let Some(function) = wasi_p1::function(name) else {
                continue;
            };
            let params: Vec<&str> = function.params.iter().map(|t| wat_type(*t)).collect();
            wat += &format!(
                "  (import \"{}\" \"{name}\" (func ${name} (param {}) (result i32)))\n",
                wasi_p1::MODULE,
                params.join(" ")
            );
        }
        wat += "  (memory (export \"memory\") 1)\n";
        wat += &format!(
            "  (data (i32.const {SLOT_BASE}) \"{}\")\n",
            "\\03\\00\\00\\00".repeat(SLOTS as usize)
        );
        wat += &format!("  (data (i32.const {HEX}) \"0123456789abcdef\")\n");
        let pool: String = PATHS.iter().chain(DATA).map(|s| wat_string(s)).collect();
        wat += &format!("  (data (i32.const {POOL}) \"{pool}\")\n");
        wat += &helpers();
        wat += "  (func (export \"_start\") (local $e i32)\n";
        for (i, op) in self.calls.iter().enumerate() {
            wat += &format!("    ;; {i}: {}\n", op.to_string().replace('\0', "\\0"));
            wat += "    (call $zero)\n";
            if let Some((ptr, len)) = op.iovec() {
                wat += &format!(
                    "    (i32.store (i32.const {IOV}) (i32.const {}))\n",
                    ptr as i32
                );
                wat += &format!(
                    "    (i32.store (i32.const {}) (i32.const {len}))\n",
                    IOV + 4
                );
            }
            let params = wasi_p1::function(op.function()).map_or(&[][..], |f| f.params);
            let args: Vec<String> = op
                .arguments()
                .into_iter()
                .zip(params)
                .map(|(arg, ty)| arg.wat(*ty))
                .collect();
            wat += &format!(
                "    (local.set $e (call ${} {}))\n",
                op.function(),
                args.join(" ")
            );
            wat += &format!("    (call $begin (i32.const {i}) (local.get $e))\n");
            for value in op.values() {
                wat += &format!("    (call $value {})\n", value.load());
            }
            match op.data() {
                Some(Data::Counted) => {
                    wat += &format!("    (call $data (i32.load (i32.const {OUT})))\n");
                }
                Some(Data::Fixed(n)) => wat += &format!("    (call $data (i32.const {n}))\n"),
                None => {}
            }
            wat += "    (call $end)\n";
            match op {
                Op::PathOpen { into, .. } => wat += &format!(
                    "    (if (i32.eqz (local.get $e)) (then (i32.store (i32.const {}) (i32.load (i32.const {OUT})))))\n",
                    SLOT_BASE + 4 * *into as u32
                ),
                // The slot now names the fd's new number.
                Op::FdRenumber { fd: Fd::Slot(k), to } => wat += &format!(
                    "    (if (i32.eqz (local.get $e)) (then (i32.store (i32.const {}) {})))\n",
                    SLOT_BASE + 4 * *k as u32,
                    Arg::Fd(*to).wat(ValType::I32)
                ),
                _ => {}
            }
        }
        wat += "  )\n)\n";
        wat
    }
}

fn wat_type(ty: ValType) -> &'static str {
    match ty {
        ValType::I64 => "i64",
        ValType::F32 => "f32",
        ValType::F64 => "f64",
        _ => "i32",
    }
}

/// `s` inside a WAT string literal: every byte that is not a plain printable one escaped.
fn wat_string(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'"' | b'\\' => format!("\\{}", b as char),
            0x20..=0x7e => (b as char).to_string(),
            _ => format!("\\{b:02x}"),
        })
        .collect()
}

/// The module's helpers: `$zero` clears the out area and the buffer before each call; `$begin`,
/// `$value`, `$data` and `$end` make a call's line and write it to fd 1.
fn helpers() -> String {
    format!(
        r#"  (global $p (mut i32) (i32.const 0))
  (func $zero (local $i i32)
    (local.set $i (i32.const 0))
    (block $done (loop $next
      (br_if $done (i32.ge_u (local.get $i) (i32.const {OUT_LEN})))
      (i32.store (i32.add (i32.const {OUT}) (local.get $i)) (i32.const 0))
      (local.set $i (i32.add (local.get $i) (i32.const 4)))
      (br $next)))
    (local.set $i (i32.const 0))
    (block $done (loop $next
      (br_if $done (i32.ge_u (local.get $i) (i32.const {BUF_LEN})))
      (i32.store (i32.add (i32.const {BUF}) (local.get $i)) (i32.const 0))
      (local.set $i (i32.add (local.get $i) (i32.const 4)))
      (br $next))))
  (func $byte (param $b i32)
    (i32.store8 (global.get $p) (local.get $b))
    (global.set $p (i32.add (global.get $p) (i32.const 1))))
  (func $hex (param $v i32) (param $digits i32)
    (block $done (loop $next
      (br_if $done (i32.eqz (local.get $digits)))
      (local.set $digits (i32.sub (local.get $digits) (i32.const 1)))
      (call $byte (i32.load8_u (i32.add (i32.const {HEX})
        (i32.and (i32.shr_u (local.get $v) (i32.shl (local.get $digits) (i32.const 2))) (i32.const 15)))))
      (br $next))))
  (func $begin (param $i i32) (param $e i32)
    (global.set $p (i32.const {LINE}))
    (call $hex (local.get $i) (i32.const 2))
    (call $byte (i32.const 32))
    (call $hex (local.get $e) (i32.const 4)))
  (func $value (param $v i32)
    (call $byte (i32.const 32))
    (call $hex (local.get $v) (i32.const 8)))
  (func $data (param $n i32) (local $i i32)
    (if (i32.gt_u (local.get $n) (i32.const {DATA_SHOWN})) (then (local.set $n (i32.const {DATA_SHOWN}))))
    (call $byte (i32.const 32))
    (block $done (loop $next
      (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
      (call $hex (i32.load8_u (i32.add (i32.const {BUF}) (local.get $i))) (i32.const 2))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $next))))
  (func $end
    (call $byte (i32.const 10))
    (i32.store (i32.const {OUT_IOV}) (i32.const {LINE}))
    (i32.store (i32.const {}) (i32.sub (global.get $p) (i32.const {LINE})))
    (drop (call $fd_write (i32.const 1) (i32.const {OUT_IOV}) (i32.const 1) (i32.const {OUT_NWRITTEN}))))
"#,
        OUT_IOV + 4
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_call_passes_as_many_arguments_as_its_function_takes() {
        let mut rng = Rng::new(1);
        for _ in 0..5000 {
            let op = Op::random(&mut rng);
            let function = wasi_p1::function(op.function()).expect("a preview-1 function");
            assert_eq!(op.arguments().len(), function.params.len(), "{op}");
        }
    }

    #[test]
    fn generated_programs_are_valid_modules() {
        for seed in 0..50 {
            let wat = Program::generate(seed, 30).to_wat();
            wat::parse_str(&wat).unwrap_or_else(|e| panic!("seed {seed}: {e}\n{wat}"));
        }
    }
}
