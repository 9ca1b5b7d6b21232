// wasi:filesystem 0.3: descriptors whose methods are async and whose data moves in streams.
// `fs.dir` is a fresh read-write copy per test (file.txt "hello, file\n", dir/inner.txt,
// link -> file.txt); `ro.dir` is preopened read-only.
//! * {"dirs": ["fs.dir"]}
//! get_directories_lists_the_preopens {"readonly_dirs": ["ro.dir"]}
//! a_read_only_preopen_refuses_create_directory_at {"readonly_dirs": ["ro.dir"]}
//! open_at_and_read_via_stream_read_a_file {"mandated": "WIT wasi:filesystem/types@0.3.0 descriptor.open-at (like openat) and read-via-stream (like pread): the stream gives the file from the offset, file\\n from 7, and with no error it closes and its future resolves to ok"}
//! open_at_a_missing_file_is_no_entry {"mandated": "WIT wasi:filesystem/types@0.3.0 descriptor.open-at: similar to openat in POSIX, no-entry is ENOENT; POSIX.1-2017 openat(): ENOENT when O_CREAT is not set and the path names no existing file"}
//! open_at_exclusive_of_an_existing_file_is_exist {"mandated": "WIT wasi:filesystem/types@0.3.0 open-flags create and exclusive: like O_CREAT and O_EXCL, fail if the file already exists (exist is EEXIST); POSIX.1-2017 openat(): EEXIST when O_CREAT and O_EXCL are set and the named file exists"}
//! write_via_stream_writes_at_an_offset {"mandated": "WIT wasi:filesystem/types@0.3.0 descriptor.write-via-stream: like pwrite, writes the stream's contents from the offset and resolves once all are written, so FILE at 7 gives hello, FILE\\n"}
//! stat_says_type_and_size {"mandated": "WIT wasi:filesystem/types@0.3.0 descriptor.stat: like fstat, the type (regular-file) and a regular file's size in bytes (hello, file\\n is 12); get-type: the preopen is a directory"}
//! stat_at_a_missing_path_is_no_entry {"mandated": "WIT wasi:filesystem/types@0.3.0 descriptor.stat-at: similar to fstatat in POSIX, no-entry is ENOENT; POSIX.1-2017 fstatat(): ENOENT when a component of path does not name an existing file"}
//! read_directory_lists_the_entries {"mandated": "WIT wasi:filesystem/types@0.3.0 descriptor.read-directory: a stream of the directory's entries from its beginning, . and .. omitted, its future resolving to ok when all were read"}
//! create_directory_at_makes_one_and_then_exist {"mandated": "WIT wasi:filesystem/types@0.3.0 descriptor.create-directory-at: similar to mkdirat in POSIX, exist is EEXIST; POSIX.1-2017 mkdirat(): creates the directory, then EEXIST once the named file exists"}
//! unlink_file_at_removes_a_file_then_no_entry {"mandated": "WIT wasi:filesystem/types@0.3.0 descriptor.unlink-file-at: like unlinkat(fd, path, 0), its errors as POSIX specifies; POSIX.1-2017 unlinkat(): removes the link, then ENOENT when path names no existing file"}
//! rename_at_moves_a_file {"mandated": "WIT wasi:filesystem/types@0.3.0 descriptor.rename-at: similar to renameat in POSIX; POSIX.1-2017 renameat(): afterwards the old name no longer exists, so stat-at of it is no-entry (ENOENT)"}
//! a_read_only_preopen_refuses_create_directory_at {"mandated": "WIT wasi:filesystem/types@0.3.0 descriptor-flags mutate-directory: without it, an operation that would create, rename or delete shall fail with read-only (EROFS); a read-only preopen (wasiport DirAccess::ReadOnly) lacks it"}
//! get_directories_lists_the_preopens {"mandated": "WIT wasi:filesystem/preopens@0.3.0 get-directories: the preopened directories with their names (fs.dir, ro.dir as the run names them); wasiport RunConfig: preopens are given in the order configured"}
use guest::{case, check, check_eq, check_matches, ok, preopen_p3 as preopen};
use wasip3::filesystem::preopens;
use wasip3::filesystem::types::{
    Descriptor, DescriptorFlags, DescriptorType, ErrorCode, OpenFlags, PathFlags,
};

const NONE: PathFlags = PathFlags::empty();
const READ: DescriptorFlags = DescriptorFlags::READ;
const RW: DescriptorFlags = DescriptorFlags::READ.union(DescriptorFlags::WRITE);

fn fs() -> Option<Descriptor> {
    preopen("fs.dir")
}

async fn open(dir: &Descriptor, path: &str, open: OpenFlags, flags: DescriptorFlags) -> Result<Descriptor, ErrorCode> {
    dir.open_at(NONE, path.to_string(), open, flags).await
}

/// All of `file` from `offset`, and how the read ended.
async fn contents(file: &Descriptor, offset: u64) -> (Vec<u8>, Result<(), ErrorCode>) {
    let (data, done) = file.read_via_stream(offset);
    let bytes = data.collect().await;
    (bytes, done.await)
}

guest::p3_main!(
    case!(get_directories_lists_the_preopens, "wasi:filesystem/preopens@0.3#get-directories", async {
        let names: Vec<String> = preopens::get_directories().into_iter().map(|(_, n)| n).collect();
        check_eq!(names, ["fs.dir", "ro.dir"]);
    }),
    case!(open_at_and_read_via_stream_read_a_file, "wasi:filesystem/types@0.3#[method]descriptor.open-at wasi:filesystem/types@0.3#[method]descriptor.read-via-stream", async {
        let Some(dir) = fs() else { return };
        let file = ok!(open(&dir, "file.txt", OpenFlags::empty(), READ).await);
        let (bytes, end) = contents(&file, 7).await;
        check_eq!(bytes, b"file\n".to_vec());
        check!(end.is_ok());
    }),
    case!(open_at_a_missing_file_is_no_entry, "wasi:filesystem/types@0.3#[method]descriptor.open-at", async {
        let Some(dir) = fs() else { return };
        check_matches!(open(&dir, "missing.txt", OpenFlags::empty(), READ).await, Err(ErrorCode::NoEntry));
    }),
    case!(open_at_exclusive_of_an_existing_file_is_exist, "wasi:filesystem/types@0.3#[method]descriptor.open-at", async {
        let Some(dir) = fs() else { return };
        check_matches!(open(&dir, "file.txt", OpenFlags::CREATE | OpenFlags::EXCLUSIVE, RW).await, Err(ErrorCode::Exist));
    }),
    case!(write_via_stream_writes_at_an_offset, "wasi:filesystem/types@0.3#[method]descriptor.write-via-stream", async {
        let Some(dir) = fs() else { return };
        let file = ok!(open(&dir, "file.txt", OpenFlags::empty(), RW).await);
        let (mut tx, rx) = wasip3::wit_stream::new();
        let done = file.write_via_stream(rx, 7);
        check!(tx.write_all(b"FILE".to_vec()).await.is_empty());
        drop(tx);
        check!(done.await.is_ok());
        check_eq!(contents(&file, 0).await.0, b"hello, FILE\n".to_vec());
    }),
    case!(stat_says_type_and_size, "wasi:filesystem/types@0.3#[method]descriptor.stat wasi:filesystem/types@0.3#[method]descriptor.get-type", async {
        let Some(dir) = fs() else { return };
        let file = ok!(open(&dir, "file.txt", OpenFlags::empty(), READ).await);
        let stat = ok!(file.stat().await);
        check_matches!(stat.type_, DescriptorType::RegularFile);
        check_eq!(stat.size, 12);
        check_matches!(ok!(dir.get_type().await), DescriptorType::Directory);
    }),
    case!(stat_at_a_missing_path_is_no_entry, "wasi:filesystem/types@0.3#[method]descriptor.stat-at", async {
        let Some(dir) = fs() else { return };
        check_matches!(dir.stat_at(NONE, "missing".to_string()).await, Err(ErrorCode::NoEntry));
    }),
    case!(read_directory_lists_the_entries, "wasi:filesystem/types@0.3#[method]descriptor.read-directory", async {
        let Some(dir) = fs() else { return };
        let (entries, done) = dir.read_directory();
        let mut names: Vec<String> = entries.collect().await.into_iter().map(|e| e.name).collect();
        check!(done.await.is_ok());
        names.sort();
        check_eq!(names, ["abs_link", "dir", "file.txt", "link", "up_link"]);
    }),
    case!(create_directory_at_makes_one_and_then_exist, "wasi:filesystem/types@0.3#[method]descriptor.create-directory-at", async {
        let Some(dir) = fs() else { return };
        ok!(dir.create_directory_at("made".to_string()).await);
        check_matches!(dir.create_directory_at("made".to_string()).await, Err(ErrorCode::Exist));
    }),
    case!(unlink_file_at_removes_a_file_then_no_entry, "wasi:filesystem/types@0.3#[method]descriptor.unlink-file-at", async {
        let Some(dir) = fs() else { return };
        ok!(dir.unlink_file_at("file.txt".to_string()).await);
        check_matches!(dir.unlink_file_at("file.txt".to_string()).await, Err(ErrorCode::NoEntry));
    }),
    case!(rename_at_moves_a_file, "wasi:filesystem/types@0.3#[method]descriptor.rename-at", async {
        let Some(dir) = fs() else { return };
        ok!(dir.rename_at("file.txt".to_string(), &dir, "moved.txt".to_string()).await);
        check_matches!(dir.stat_at(NONE, "file.txt".to_string()).await, Err(ErrorCode::NoEntry));
    }),
    case!(a_read_only_preopen_refuses_create_directory_at, "wasi:filesystem/types@0.3#[method]descriptor.create-directory-at", async {
        // As in 0.2: without mutate-directory, a change "shall fail with
        // error-code::read-only".
        let Some(ro) = preopen("ro.dir") else { return };
        check_matches!(ro.create_directory_at("new".to_string()).await, Err(ErrorCode::ReadOnly));
    }),
);
