/* path_create_directory, path_remove_directory, fd_readdir. fs.dir: file.txt, dir/inner.txt,
 * link, abs_link, up_link. */
#include "check.h"

//! * {"dirs": ["fs.dir"]}

#define FOLLOW __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW

//! path_create_directory_makes_a_directory {"mandated": "witx path_create_directory: creates a directory, similar to mkdirat in POSIX; POSIX.1-2017 mkdirat(): creates a new directory at path relative to fd, which witx path_filestat_get then reports as filetype directory"}
CASE(path_create_directory_makes_a_directory, "path_create_directory path_filestat_get") {
    EXPECT_OK(__wasi_path_create_directory(fs(), "made"));
    __wasi_filestat_t st;
    EXPECT_OK(__wasi_path_filestat_get(fs(), FOLLOW, "made", &st));
    EXPECT_EQ(st.filetype, __WASI_FILETYPE_DIRECTORY);
}

//! path_create_directory_existing_is_eexist {"mandated": "witx path_create_directory: similar to mkdirat in POSIX; POSIX.1-2017 mkdirat(): EEXIST when the named file exists (here a directory)"}
CASE(path_create_directory_existing_is_eexist, "path_create_directory") {
    EXPECT_ERRNO(__wasi_path_create_directory(fs(), "dir"), __WASI_ERRNO_EXIST);
}

//! path_create_directory_over_a_file_is_eexist {"mandated": "witx path_create_directory: similar to mkdirat in POSIX; POSIX.1-2017 mkdirat(): EEXIST when the named file exists (here a regular file)"}
CASE(path_create_directory_over_a_file_is_eexist, "path_create_directory") {
    EXPECT_ERRNO(__wasi_path_create_directory(fs(), "file.txt"), __WASI_ERRNO_EXIST);
}

//! path_create_directory_missing_parent_is_enoent {"mandated": "witx path_create_directory: similar to mkdirat in POSIX; POSIX.1-2017 mkdirat(): ENOENT when a component of the path prefix does not name an existing directory (no/ is missing)"}
CASE(path_create_directory_missing_parent_is_enoent, "path_create_directory") {
    EXPECT_ERRNO(__wasi_path_create_directory(fs(), "no/such"), __WASI_ERRNO_NOENT);
}

//! path_create_directory_bad_fd_is_ebadf {"mandated": "witx path_create_directory: similar to mkdirat in POSIX; POSIX.1-2017 mkdirat(): EBADF when path is relative and fd is neither AT_FDCWD nor a valid descriptor open for reading or searching"}
CASE(path_create_directory_bad_fd_is_ebadf, "path_create_directory") {
    EXPECT_ERRNO(__wasi_path_create_directory(BAD_FD, "x"), __WASI_ERRNO_BADF);
}

//! path_remove_directory_removes_an_empty_directory {"mandated": "witx path_remove_directory: similar to unlinkat(fd, path, AT_REMOVEDIR) in POSIX; POSIX.1-2017 rmdir()/unlinkat(): an empty directory is removed, so witx path_filestat_get (similar to stat) then finds nothing: ENOENT"}
CASE(path_remove_directory_removes_an_empty_directory, "path_remove_directory") {
    EXPECT_OK(__wasi_path_create_directory(fs(), "gone"));
    EXPECT_OK(__wasi_path_remove_directory(fs(), "gone"));
    __wasi_filestat_t st;
    EXPECT_ERRNO(__wasi_path_filestat_get(fs(), FOLLOW, "gone", &st), __WASI_ERRNO_NOENT);
}

//! path_remove_directory_not_empty_is_enotempty {"mandated": "witx path_remove_directory: return errno::notempty if the directory is not empty (POSIX.1-2017 unlinkat() with AT_REMOVEDIR allows EEXIST or ENOTEMPTY; the witx picks ENOTEMPTY)"}
CASE(path_remove_directory_not_empty_is_enotempty, "path_remove_directory") {
    EXPECT_ERRNO(__wasi_path_remove_directory(fs(), "dir"), __WASI_ERRNO_NOTEMPTY);
}

//! path_remove_directory_on_a_file_is_enotdir {"mandated": "witx path_remove_directory: similar to unlinkat(fd, path, AT_REMOVEDIR) in POSIX; POSIX.1-2017 unlinkat(): ENOTDIR when AT_REMOVEDIR is set and path does not name a directory"}
CASE(path_remove_directory_on_a_file_is_enotdir, "path_remove_directory") {
    EXPECT_ERRNO(__wasi_path_remove_directory(fs(), "file.txt"), __WASI_ERRNO_NOTDIR);
}

//! path_remove_directory_missing_is_enoent {"mandated": "witx path_remove_directory: similar to unlinkat(fd, path, AT_REMOVEDIR) in POSIX; POSIX.1-2017 unlinkat(): ENOENT when a component of path does not name an existing file"}
CASE(path_remove_directory_missing_is_enoent, "path_remove_directory") {
    EXPECT_ERRNO(__wasi_path_remove_directory(fs(), "missing"), __WASI_ERRNO_NOENT);
}

/* Calls fd_readdir from `cookie` into buf; returns the bytes used. */
static size_t readdir_at(__wasi_fd_t fd, uint8_t *buf, size_t len, __wasi_dircookie_t cookie) {
    __wasi_size_t used = 0;
    EXPECT_OK(__wasi_fd_readdir(fd, buf, len, cookie, &used));
    return used;
}

/* Whether the entries in buf[..used] include `name` with type `type`; sets *next to the
 * cookie after it. */
static int has_entry(const uint8_t *buf, size_t used, const char *name, __wasi_filetype_t type,
                     __wasi_dircookie_t *next) {
    size_t off = 0, len = strlen(name);
    while (off + sizeof(__wasi_dirent_t) <= used) {
        __wasi_dirent_t d;
        memcpy(&d, buf + off, sizeof d);
        const uint8_t *n = buf + off + sizeof d;
        if (off + sizeof d + d.d_namlen > used) break;
        if (d.d_namlen == len && memcmp(n, name, len) == 0 && d.d_type == type) {
            if (next) *next = d.d_next;
            return 1;
        }
        off += sizeof d + d.d_namlen;
    }
    return 0;
}

//! fd_readdir_lists_names_and_types {"mandated": "witx fd_readdir: the buffer holds a dirent per entry followed by d_namlen name bytes; witx dirent.d_type: the type of the file the entry refers to (filetype regular_file, directory, and symbolic_link for the link itself)"}
CASE(fd_readdir_lists_names_and_types, "fd_readdir") {
    static uint8_t buf[4096];
    size_t used = readdir_at(fs(), buf, sizeof buf, __WASI_DIRCOOKIE_START);
    EXPECT(has_entry(buf, used, "file.txt", __WASI_FILETYPE_REGULAR_FILE, 0));
    EXPECT(has_entry(buf, used, "dir", __WASI_FILETYPE_DIRECTORY, 0));
    EXPECT(has_entry(buf, used, "link", __WASI_FILETYPE_SYMBOLIC_LINK, 0));
}

/* Whether a listing has `.` and `..` is left open; POSIX's readdir and the reference host list
 * them. A listing that is right but for them exits 3, the allowed other behaviour. */
//! fd_readdir_lists_dot_and_dot_dot {"implementation_defined": {"why": "WASI preview 1 says of `fd_readdir` only that it reads directory entries, not whether `.` and `..` are among them; POSIX's readdir and wasmtime list them, which is preferred; a listing without both is allowed", "also": [{"exit_code": 3}]}}
CASE(fd_readdir_lists_dot_and_dot_dot, "fd_readdir") {
    static uint8_t buf[4096];
    size_t used = readdir_at(fs(), buf, sizeof buf, __WASI_DIRCOOKIE_START);
    int dot = has_entry(buf, used, ".", __WASI_FILETYPE_DIRECTORY, 0);
    int dotdot = has_entry(buf, used, "..", __WASI_FILETYPE_DIRECTORY, 0);
    if (!dot && !dotdot && has_entry(buf, used, "file.txt", __WASI_FILETYPE_REGULAR_FILE, 0))
        __wasi_proc_exit(3);
    EXPECT(dot);
    EXPECT(dotdot);
}

//! fd_readdir_resumes_from_a_cookie {"mandated": "witx fd_readdir: cookie is the location in the directory to start reading; witx dirent.d_next: the offset of the next entry, so reading from an entry's d_next does not list that entry again"}
CASE(fd_readdir_resumes_from_a_cookie, "fd_readdir") {
    static uint8_t buf[4096], rest[4096];
    size_t used = readdir_at(fs(), buf, sizeof buf, __WASI_DIRCOOKIE_START);
    __wasi_dircookie_t next = 0;
    EXPECT(has_entry(buf, used, "file.txt", __WASI_FILETYPE_REGULAR_FILE, &next));
    size_t more = readdir_at(fs(), rest, sizeof rest, next);
    EXPECT(!has_entry(rest, more, "file.txt", __WASI_FILETYPE_REGULAR_FILE, 0));
}

//! fd_readdir_fills_a_small_buffer {"mandated": "witx fd_readdir: fills the output buffer as much as possible, truncating the last entry if need be, and a count below the buffer size means the end was reached; so an 8-byte buffer over a non-empty directory comes back full (8)"}
CASE(fd_readdir_fills_a_small_buffer, "fd_readdir") {
    uint8_t buf[8];
    EXPECT_EQ(readdir_at(fs(), buf, sizeof buf, __WASI_DIRCOOKIE_START), sizeof buf);
}

//! fd_readdir_bad_fd_is_ebadf {"mandated": "witx errno badf: bad file descriptor; POSIX.1-2017 2.3 Error Numbers: EBADF when a file descriptor argument refers to no open file (as fdopendir(), the POSIX way to read a directory through an fd)"}
CASE(fd_readdir_bad_fd_is_ebadf, "fd_readdir") {
    uint8_t buf[64];
    __wasi_size_t used;
    EXPECT_ERRNO(__wasi_fd_readdir(BAD_FD, buf, sizeof buf, 0, &used), __WASI_ERRNO_BADF);
}

/* POSIX says ENOTDIR, the rights model EBADF (a file has no FD_READDIR right): either. */
//! fd_readdir_of_a_file_is_an_error {"mandated": "witx fd_readdir: reads directory entries from a directory; POSIX.1-2017 fdopendir(): ENOTDIR when fd is not associated with a directory (the test accepts ENOTDIR, or EBADF for a file's fd lacking the fd_readdir right)"}
CASE(fd_readdir_of_a_file_is_an_error, "fd_readdir") {
    __wasi_fd_t fd;
    EXPECT_OK(open_at(fs(), "file.txt", 0, 0, &fd));
    uint8_t buf[64];
    __wasi_size_t used;
    __wasi_errno_t e = __wasi_fd_readdir(fd, buf, sizeof buf, 0, &used);
    EXPECT(e == __WASI_ERRNO_NOTDIR || e == __WASI_ERRNO_BADF);
}
