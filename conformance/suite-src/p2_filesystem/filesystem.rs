// wasi:filesystem 0.2: the preopens and every method of a descriptor, each with what it does
// and with the error its WIT names for a case POSIX agrees on. `fs.dir` is a fresh read-write
// copy per test (file.txt "hello, file\n", dir/inner.txt, link -> file.txt); `ro.dir` is
// preopened read-only (file.txt, sub/inner.txt).
//! * {"dirs": ["fs.dir"]}
//! get_directories_lists_the_preopens {"readonly_dirs": ["ro.dir"]}
//! a_read_only_preopen_has_no_mutate_directory {"readonly_dirs": ["ro.dir"]}
//! a_read_only_preopen_refuses_create_directory_at {"readonly_dirs": ["ro.dir"]}
//! a_read_only_preopen_refuses_a_file_opened_for_writing {"readonly_dirs": ["ro.dir"]}
use guest::{case, check, check_eq, check_err, ok, preopen};
use wasip2::filesystem::preopens;
use wasip2::filesystem::types::{
    Advice, Descriptor, DescriptorFlags, DescriptorType, ErrorCode, NewTimestamp, OpenFlags,
    PathFlags,
};
use wasip2::clocks::wall_clock::Datetime;

const NONE: PathFlags = PathFlags::empty();
const FOLLOW: PathFlags = PathFlags::SYMLINK_FOLLOW;
const READ: DescriptorFlags = DescriptorFlags::READ;
const RW: DescriptorFlags = DescriptorFlags::READ.union(DescriptorFlags::WRITE);

fn fs() -> Option<Descriptor> {
    preopen("fs.dir")
}

/// `path` under `dir`, opened with `flags` (and `open`), or the case's failure.
fn open(dir: &Descriptor, path: &str, open: OpenFlags, flags: DescriptorFlags) -> Option<Descriptor> {
    match dir.open_at(NONE, path, open, flags) {
        Ok(d) => Some(d),
        Err(e) => {
            guest::fail(line!(), format_args!("open_at {path}: {e:?}"));
            None
        }
    }
}

/// What `file` holds from its start.
fn contents(file: &Descriptor) -> Vec<u8> {
    file.read(1 << 16, 0).map(|(bytes, _)| bytes).unwrap_or_default()
}

fn main() {
    guest::main(&[
        case!(get_directories_lists_the_preopens, "wasi:filesystem/preopens#get-directories", {
            let names: Vec<String> = preopens::get_directories().into_iter().map(|(_, n)| n).collect();
            check_eq!(names, ["fs.dir", "ro.dir"]);
        }),
        case!(open_at_opens_a_file, "wasi:filesystem/types#[method]descriptor.open-at wasi:filesystem/types#[method]descriptor.get-type", {
            let Some(dir) = fs() else { return };
            let Some(file) = open(&dir, "file.txt", OpenFlags::empty(), READ) else { return };
            check_eq!(ok!(file.get_type()), DescriptorType::RegularFile);
            check_eq!(ok!(dir.get_type()), DescriptorType::Directory);
        }),
        case!(open_at_a_missing_file_is_no_entry, "wasi:filesystem/types#[method]descriptor.open-at", {
            let Some(dir) = fs() else { return };
            check_err!(dir.open_at(NONE, "missing.txt", OpenFlags::empty(), READ), ErrorCode::NoEntry);
        }),
        case!(open_at_exclusive_of_an_existing_file_is_exist, "wasi:filesystem/types#[method]descriptor.open-at", {
            let Some(dir) = fs() else { return };
            check_err!(dir.open_at(NONE, "file.txt", OpenFlags::CREATE | OpenFlags::EXCLUSIVE, RW), ErrorCode::Exist);
        }),
        case!(open_at_directory_of_a_file_is_not_directory, "wasi:filesystem/types#[method]descriptor.open-at", {
            let Some(dir) = fs() else { return };
            check_err!(dir.open_at(NONE, "file.txt", OpenFlags::DIRECTORY, READ), ErrorCode::NotDirectory);
        }),
        case!(open_at_creates_and_truncates, "wasi:filesystem/types#[method]descriptor.open-at wasi:filesystem/types#[method]descriptor.write", {
            let Some(dir) = fs() else { return };
            let Some(new) = open(&dir, "new.txt", OpenFlags::CREATE, RW) else { return };
            check_eq!(ok!(new.write(b"abc", 0)), 3);
            let Some(old) = open(&dir, "file.txt", OpenFlags::TRUNCATE, RW) else { return };
            check_eq!(ok!(old.stat()).size, 0);
            check_eq!(contents(&new), b"abc".to_vec());
        }),
        case!(get_flags_are_those_opened_with, "wasi:filesystem/types#[method]descriptor.get-flags", {
            let Some(dir) = fs() else { return };
            let Some(file) = open(&dir, "file.txt", OpenFlags::empty(), READ) else { return };
            let flags = ok!(file.get_flags());
            check!(flags.contains(DescriptorFlags::READ));
            check!(!flags.contains(DescriptorFlags::WRITE));
        }),
        case!(read_gives_bytes_and_the_end, "wasi:filesystem/types#[method]descriptor.read", {
            let Some(dir) = fs() else { return };
            let Some(file) = open(&dir, "file.txt", OpenFlags::empty(), READ) else { return };
            check_eq!(ok!(file.read(5, 0)), (b"hello".to_vec(), false));
            // Fewer bytes than asked may or may not say the end yet; at the end it must.
            check_eq!(ok!(file.read(100, 7)).0, b"file\n".to_vec());
            check_eq!(ok!(file.read(100, 12)), (Vec::new(), true));
        }),
        case!(read_of_a_directory_is_an_error, "wasi:filesystem/types#[method]descriptor.read", {
            // pread(2) says is-directory; the WIT names no error for it, and wasmtime answers
            // bad-descriptor: either will do.
            let Some(dir) = fs() else { return };
            let Some(sub) = open(&dir, "dir", OpenFlags::DIRECTORY, READ) else { return };
            check!(matches!(sub.read(1, 0), Err(ErrorCode::IsDirectory | ErrorCode::BadDescriptor)));
        }),
        case!(write_at_an_offset, "wasi:filesystem/types#[method]descriptor.write", {
            let Some(dir) = fs() else { return };
            let Some(file) = open(&dir, "file.txt", OpenFlags::empty(), RW) else { return };
            check_eq!(ok!(file.write(b"J", 0)), 1);
            check_eq!(contents(&file), b"Jello, file\n".to_vec());
        }),
        case!(write_to_a_directory_is_bad_descriptor, "wasi:filesystem/types#[method]descriptor.write", {
            let Some(dir) = fs() else { return };
            check_err!(dir.write(b"x", 0), ErrorCode::BadDescriptor);
        }),
        case!(read_via_stream_reads_from_an_offset, "wasi:filesystem/types#[method]descriptor.read-via-stream", {
            let Some(dir) = fs() else { return };
            let Some(file) = open(&dir, "file.txt", OpenFlags::empty(), READ) else { return };
            let input = ok!(file.read_via_stream(7));
            check_eq!(ok!(input.blocking_read(100)), b"file\n".to_vec());
        }),
        case!(write_via_stream_writes_at_an_offset, "wasi:filesystem/types#[method]descriptor.write-via-stream", {
            let Some(dir) = fs() else { return };
            let Some(file) = open(&dir, "file.txt", OpenFlags::empty(), RW) else { return };
            {
                let out = ok!(file.write_via_stream(7));
                ok!(out.blocking_write_and_flush(b"FILE"));
            }
            check_eq!(contents(&file), b"hello, FILE\n".to_vec());
        }),
        case!(append_via_stream_writes_at_the_end, "wasi:filesystem/types#[method]descriptor.append-via-stream", {
            let Some(dir) = fs() else { return };
            let Some(file) = open(&dir, "file.txt", OpenFlags::empty(), RW) else { return };
            {
                let out = ok!(file.append_via_stream());
                ok!(out.blocking_write_and_flush(b"more\n"));
            }
            check_eq!(contents(&file), b"hello, file\nmore\n".to_vec());
        }),
        case!(advise_is_accepted, "wasi:filesystem/types#[method]descriptor.advise", {
            let Some(dir) = fs() else { return };
            let Some(file) = open(&dir, "file.txt", OpenFlags::empty(), READ) else { return };
            ok!(file.advise(0, 12, Advice::Sequential));
        }),
        case!(sync_and_sync_data_of_a_written_file, "wasi:filesystem/types#[method]descriptor.sync wasi:filesystem/types#[method]descriptor.sync-data", {
            let Some(dir) = fs() else { return };
            let Some(file) = open(&dir, "file.txt", OpenFlags::empty(), RW) else { return };
            ok!(file.write(b"x", 0));
            ok!(file.sync_data());
            ok!(file.sync());
        }),
        case!(set_size_truncates_and_extends, "wasi:filesystem/types#[method]descriptor.set-size wasi:filesystem/types#[method]descriptor.stat", {
            let Some(dir) = fs() else { return };
            let Some(file) = open(&dir, "file.txt", OpenFlags::empty(), RW) else { return };
            ok!(file.set_size(5));
            check_eq!(ok!(file.stat()).size, 5);
            ok!(file.set_size(100));
            check_eq!(ok!(file.stat()).size, 100);
        }),
        case!(set_size_of_a_directory_is_an_error, "wasi:filesystem/types#[method]descriptor.set-size", {
            let Some(dir) = fs() else { return };
            check!(dir.set_size(0).is_err());
        }),
        case!(set_times_sets_the_modification_time, "wasi:filesystem/types#[method]descriptor.set-times", {
            let Some(dir) = fs() else { return };
            let Some(file) = open(&dir, "file.txt", OpenFlags::empty(), RW) else { return };
            let at = Datetime { seconds: 1_000_000, nanoseconds: 0 };
            ok!(file.set_times(NewTimestamp::NoChange, NewTimestamp::Timestamp(at)));
            check_eq!(ok!(file.stat()).data_modification_timestamp.map(|t| t.seconds), Some(1_000_000));
        }),
        case!(stat_says_type_size_and_links, "wasi:filesystem/types#[method]descriptor.stat", {
            let Some(dir) = fs() else { return };
            let Some(file) = open(&dir, "file.txt", OpenFlags::empty(), READ) else { return };
            let stat = ok!(file.stat());
            check_eq!(stat.type_, DescriptorType::RegularFile);
            check_eq!(stat.size, 12);
            check_eq!(stat.link_count, 1);
        }),
        case!(stat_at_follows_a_symlink_only_when_asked, "wasi:filesystem/types#[method]descriptor.stat-at", {
            let Some(dir) = fs() else { return };
            check_eq!(ok!(dir.stat_at(NONE, "link")).type_, DescriptorType::SymbolicLink);
            check_eq!(ok!(dir.stat_at(FOLLOW, "link")).type_, DescriptorType::RegularFile);
        }),
        case!(stat_at_a_missing_path_is_no_entry, "wasi:filesystem/types#[method]descriptor.stat-at", {
            let Some(dir) = fs() else { return };
            check_err!(dir.stat_at(NONE, "missing"), ErrorCode::NoEntry);
        }),
        case!(set_times_at_sets_the_modification_time, "wasi:filesystem/types#[method]descriptor.set-times-at", {
            let Some(dir) = fs() else { return };
            let at = Datetime { seconds: 2_000_000, nanoseconds: 0 };
            ok!(dir.set_times_at(FOLLOW, "file.txt", NewTimestamp::NoChange, NewTimestamp::Timestamp(at)));
            check_eq!(ok!(dir.stat_at(FOLLOW, "file.txt")).data_modification_timestamp.map(|t| t.seconds), Some(2_000_000));
        }),
        case!(set_times_at_a_missing_path_is_no_entry, "wasi:filesystem/types#[method]descriptor.set-times-at", {
            let Some(dir) = fs() else { return };
            check_err!(dir.set_times_at(FOLLOW, "missing", NewTimestamp::Now, NewTimestamp::Now), ErrorCode::NoEntry);
        }),
        case!(read_directory_lists_the_entries, "wasi:filesystem/types#[method]descriptor.read-directory wasi:filesystem/types#[method]directory-entry-stream.read-directory-entry", {
            let Some(dir) = fs() else { return };
            let entries = ok!(dir.read_directory());
            let mut names = Vec::new();
            while let Some(entry) = ok!(entries.read_directory_entry()) {
                names.push((entry.name, entry.type_));
            }
            names.sort_by(|a, b| a.0.cmp(&b.0));
            // No `.` or `..`: the WIT's read-directory lists neither.
            check_eq!(names.iter().map(|(n, _)| n.as_str()).collect::<Vec<_>>(), ["abs_link", "dir", "file.txt", "link", "up_link"]);
            check!(names.contains(&("dir".to_string(), DescriptorType::Directory)));
            check!(names.contains(&("link".to_string(), DescriptorType::SymbolicLink)));
        }),
        case!(read_directory_of_a_file_is_not_directory, "wasi:filesystem/types#[method]descriptor.read-directory", {
            let Some(dir) = fs() else { return };
            let Some(file) = open(&dir, "file.txt", OpenFlags::empty(), READ) else { return };
            check_err!(file.read_directory().map(|_| ()), ErrorCode::NotDirectory);
        }),
        case!(create_directory_at_makes_one, "wasi:filesystem/types#[method]descriptor.create-directory-at", {
            let Some(dir) = fs() else { return };
            ok!(dir.create_directory_at("made"));
            check_eq!(ok!(dir.stat_at(NONE, "made")).type_, DescriptorType::Directory);
        }),
        case!(create_directory_at_an_existing_path_is_exist, "wasi:filesystem/types#[method]descriptor.create-directory-at", {
            let Some(dir) = fs() else { return };
            check_err!(dir.create_directory_at("dir"), ErrorCode::Exist);
        }),
        case!(remove_directory_at_removes_an_empty_one, "wasi:filesystem/types#[method]descriptor.remove-directory-at", {
            let Some(dir) = fs() else { return };
            ok!(dir.create_directory_at("empty"));
            ok!(dir.remove_directory_at("empty"));
            check_err!(dir.stat_at(NONE, "empty"), ErrorCode::NoEntry);
        }),
        case!(remove_directory_at_of_a_full_one_is_not_empty, "wasi:filesystem/types#[method]descriptor.remove-directory-at", {
            let Some(dir) = fs() else { return };
            check_err!(dir.remove_directory_at("dir"), ErrorCode::NotEmpty);
        }),
        case!(remove_directory_at_of_a_file_is_not_directory, "wasi:filesystem/types#[method]descriptor.remove-directory-at", {
            let Some(dir) = fs() else { return };
            check_err!(dir.remove_directory_at("file.txt"), ErrorCode::NotDirectory);
        }),
        case!(unlink_file_at_removes_a_file, "wasi:filesystem/types#[method]descriptor.unlink-file-at", {
            let Some(dir) = fs() else { return };
            ok!(dir.unlink_file_at("file.txt"));
            check_err!(dir.stat_at(NONE, "file.txt"), ErrorCode::NoEntry);
        }),
        case!(unlink_file_at_a_missing_path_is_no_entry, "wasi:filesystem/types#[method]descriptor.unlink-file-at", {
            let Some(dir) = fs() else { return };
            check_err!(dir.unlink_file_at("missing"), ErrorCode::NoEntry);
        }),
        case!(rename_at_moves_a_file, "wasi:filesystem/types#[method]descriptor.rename-at", {
            let Some(dir) = fs() else { return };
            ok!(dir.rename_at("file.txt", &dir, "dir/moved.txt"));
            check_err!(dir.stat_at(NONE, "file.txt"), ErrorCode::NoEntry);
            check_eq!(ok!(dir.stat_at(NONE, "dir/moved.txt")).size, 12);
        }),
        case!(rename_at_a_missing_path_is_no_entry, "wasi:filesystem/types#[method]descriptor.rename-at", {
            let Some(dir) = fs() else { return };
            check_err!(dir.rename_at("missing", &dir, "other"), ErrorCode::NoEntry);
        }),
        case!(link_at_makes_a_hard_link, "wasi:filesystem/types#[method]descriptor.link-at", {
            let Some(dir) = fs() else { return };
            ok!(dir.link_at(NONE, "file.txt", &dir, "hard.txt"));
            check_eq!(ok!(dir.stat_at(NONE, "file.txt")).link_count, 2);
        }),
        case!(link_at_onto_an_existing_path_is_exist, "wasi:filesystem/types#[method]descriptor.link-at", {
            let Some(dir) = fs() else { return };
            check_err!(dir.link_at(NONE, "file.txt", &dir, "link"), ErrorCode::Exist);
        }),
        case!(symlink_at_makes_a_link_readlink_at_reads, "wasi:filesystem/types#[method]descriptor.symlink-at wasi:filesystem/types#[method]descriptor.readlink-at", {
            let Some(dir) = fs() else { return };
            ok!(dir.symlink_at("dir/inner.txt", "soft"));
            check_eq!(ok!(dir.readlink_at("soft")), "dir/inner.txt");
            check_eq!(ok!(dir.readlink_at("link")), "file.txt");
        }),
        case!(symlink_at_onto_an_existing_path_is_exist, "wasi:filesystem/types#[method]descriptor.symlink-at", {
            let Some(dir) = fs() else { return };
            check_err!(dir.symlink_at("file.txt", "dir"), ErrorCode::Exist);
        }),
        case!(readlink_at_of_a_file_is_invalid, "wasi:filesystem/types#[method]descriptor.readlink-at", {
            let Some(dir) = fs() else { return };
            check_err!(dir.readlink_at("file.txt"), ErrorCode::Invalid);
        }),
        case!(is_same_object_tells_one_file_from_another, "wasi:filesystem/types#[method]descriptor.is-same-object", {
            let Some(dir) = fs() else { return };
            let (Some(a), Some(b), Some(c)) = (
                open(&dir, "file.txt", OpenFlags::empty(), READ),
                open(&dir, "file.txt", OpenFlags::empty(), READ),
                open(&dir, "dir/inner.txt", OpenFlags::empty(), READ),
            ) else { return };
            check!(a.is_same_object(&b));
            check!(!a.is_same_object(&c));
        }),
        case!(metadata_hash_is_the_same_for_the_same_file, "wasi:filesystem/types#[method]descriptor.metadata-hash wasi:filesystem/types#[method]descriptor.metadata-hash-at", {
            let Some(dir) = fs() else { return };
            let Some(file) = open(&dir, "file.txt", OpenFlags::empty(), READ) else { return };
            let pair = |h: wasip2::filesystem::types::MetadataHashValue| (h.lower, h.upper);
            let a = pair(ok!(file.metadata_hash()));
            check_eq!(pair(ok!(dir.metadata_hash_at(NONE, "file.txt"))), a);
            check!(pair(ok!(dir.metadata_hash_at(NONE, "dir"))) != a);
        }),
        case!(metadata_hash_at_a_missing_path_is_no_entry, "wasi:filesystem/types#[method]descriptor.metadata-hash-at", {
            let Some(dir) = fs() else { return };
            check_err!(dir.metadata_hash_at(NONE, "missing"), ErrorCode::NoEntry);
        }),
        case!(a_path_out_of_the_preopen_is_refused, "wasi:filesystem/types#[method]descriptor.open-at", {
            // The WIT leaves the error to the host (wasmtime: not-permitted); any error will do.
            let Some(dir) = fs() else { return };
            check!(dir.open_at(NONE, "../outside", OpenFlags::empty(), READ).is_err());
            check!(dir.open_at(FOLLOW, "up_link/x", OpenFlags::empty(), READ).is_err());
        }),
        case!(a_read_only_preopen_has_no_mutate_directory, "wasi:filesystem/types#[method]descriptor.get-flags", {
            let Some(ro) = preopen("ro.dir") else { return };
            check!(!ok!(ro.get_flags()).contains(DescriptorFlags::MUTATE_DIRECTORY));
        }),
        case!(a_read_only_preopen_refuses_create_directory_at, "wasi:filesystem/types#[method]descriptor.create-directory-at", {
            // The WIT: without mutate-directory, an operation that would change the tree
            // "shall fail with error-code::read-only".
            let Some(ro) = preopen("ro.dir") else { return };
            check_err!(ro.create_directory_at("new"), ErrorCode::ReadOnly);
        }),
        case!(a_read_only_preopen_refuses_a_file_opened_for_writing, "wasi:filesystem/types#[method]descriptor.open-at", {
            let Some(ro) = preopen("ro.dir") else { return };
            check_err!(ro.open_at(NONE, "file.txt", OpenFlags::empty(), RW), ErrorCode::ReadOnly);
        }),
    ])
}
