/* fd_filestat_get, fd_filestat_set_size, fd_filestat_set_times, path_filestat_get,
 * path_filestat_set_times. fs.dir: file.txt (12 bytes), dir/, link -> file.txt. */
#include "check.h"

//! * {"dirs": ["fs.dir"]}

#define SECOND 1000000000ull
#define FOLLOW __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW

static __wasi_fd_t open_file(const char *path) {
    __wasi_fd_t fd = BAD_FD;
    EXPECT_OK(open_at(fs(), path, 0, 0, &fd));
    return fd;
}

//! fd_filestat_get_of_a_file {"mandated": "witx fd_filestat_get: the attributes of an open file; typenames filestat: filetype (regular_file for a regular file), nlink (number of hard links), size (bytes of a regular file)"}
CASE(fd_filestat_get_of_a_file, "fd_filestat_get") {
    __wasi_filestat_t st;
    EXPECT_OK(__wasi_fd_filestat_get(open_file("file.txt"), &st));
    EXPECT_EQ(st.filetype, __WASI_FILETYPE_REGULAR_FILE);
    EXPECT_EQ(st.size, 12);
    EXPECT_EQ(st.nlink, 1);
}

//! fd_filestat_get_bad_fd_is_ebadf {"mandated": "witx fd_filestat_get: takes an open fd (no POSIX note); typenames errno badf: bad file descriptor; POSIX.1-2017 XSH 2.3: EBADF is the error for a file descriptor argument that refers to no open file"}
CASE(fd_filestat_get_bad_fd_is_ebadf, "fd_filestat_get") {
    __wasi_filestat_t st;
    EXPECT_ERRNO(__wasi_fd_filestat_get(BAD_FD, &st), __WASI_ERRNO_BADF);
}

//! fd_filestat_set_size_truncates {"mandated": "witx fd_filestat_set_size: adjusts the size of an open file, similar to ftruncate in POSIX; POSIX.1-2017 ftruncate(): a regular file is truncated to length, the extra data no longer available"}
CASE(fd_filestat_set_size_truncates, "fd_filestat_set_size fd_filestat_get") {
    __wasi_fd_t fd = open_file("file.txt");
    EXPECT_OK(__wasi_fd_filestat_set_size(fd, 5));
    __wasi_filestat_t st;
    EXPECT_OK(__wasi_fd_filestat_get(fd, &st));
    EXPECT_EQ(st.size, 5);
}

//! fd_filestat_set_size_extends_with_zeros {"mandated": "witx fd_filestat_set_size: if the size increases, the extra bytes are filled with zeros; POSIX.1-2017 ftruncate(): the extended area appears zero-filled; pread(): returns the bytes up to end-of-file"}
CASE(fd_filestat_set_size_extends_with_zeros, "fd_filestat_set_size fd_pread") {
    __wasi_fd_t fd = open_file("file.txt");
    EXPECT_OK(__wasi_fd_filestat_set_size(fd, 20));
    char buf[8] = {1};
    __wasi_iovec_t iov = {(uint8_t *)buf, 8};
    __wasi_size_t n;
    EXPECT_OK(__wasi_fd_pread(fd, &iov, 1, 12, &n));
    EXPECT_EQ(n, 8);
    EXPECT_BYTES(buf, "\0\0\0\0\0\0\0\0", 8);
}

//! fd_filestat_set_size_bad_fd_is_ebadf {"mandated": "witx fd_filestat_set_size: similar to ftruncate in POSIX; typenames errno badf: bad file descriptor; POSIX.1-2017 XSH 2.3: EBADF for an fd that refers to no open file (ftruncate() lists EBADF, or EINVAL, for an fd not open for writing)"}
CASE(fd_filestat_set_size_bad_fd_is_ebadf, "fd_filestat_set_size") {
    EXPECT_ERRNO(__wasi_fd_filestat_set_size(BAD_FD, 0), __WASI_ERRNO_BADF);
}

//! fd_filestat_set_times_sets_mtime {"mandated": "witx fd_filestat_set_times: similar to futimens in POSIX; typenames fstflags mtim: set the modification time to the given value; POSIX.1-2017 futimens(): sets the timestamp to the given time (to the file system's resolution)"}
CASE(fd_filestat_set_times_sets_mtime, "fd_filestat_set_times fd_filestat_get") {
    __wasi_fd_t fd = open_file("file.txt");
    EXPECT_OK(__wasi_fd_filestat_set_times(fd, 0, 1000000 * SECOND, __WASI_FSTFLAGS_MTIM));
    __wasi_filestat_t st;
    EXPECT_OK(__wasi_fd_filestat_get(fd, &st));
    EXPECT_EQ(st.mtim, 1000000 * SECOND);
}

//! fd_filestat_set_times_now_and_a_time_is_einval {"implementation_defined": {"why": "WASI preview 1's fstflags has atim (set the time given) and atim_now (set the current time) but does not say what asking for both does, and POSIX's futimens() cannot express it. EINVAL (wasmtime) is preferred; another error is allowed", "also": ["errno"]}}
CASE(fd_filestat_set_times_now_and_a_time_is_einval, "fd_filestat_set_times") {
    EXPECT_ERRNO(__wasi_fd_filestat_set_times(open_file("file.txt"), SECOND, 0,
                                              __WASI_FSTFLAGS_ATIM | __WASI_FSTFLAGS_ATIM_NOW),
                 __WASI_ERRNO_INVAL);
}

//! fd_filestat_set_times_bad_fd_is_ebadf {"mandated": "witx fd_filestat_set_times: similar to futimens in POSIX; POSIX.1-2017 futimens(): EBADF when fd is not a valid file descriptor"}
CASE(fd_filestat_set_times_bad_fd_is_ebadf, "fd_filestat_set_times") {
    EXPECT_ERRNO(__wasi_fd_filestat_set_times(BAD_FD, 0, 0, __WASI_FSTFLAGS_MTIM_NOW),
                 __WASI_ERRNO_BADF);
}

//! path_filestat_get_of_a_file {"mandated": "witx path_filestat_get: similar to stat in POSIX; typenames filestat: filetype regular_file, size in bytes of a regular file; POSIX.1-2017 stat(): information about the named file"}
CASE(path_filestat_get_of_a_file, "path_filestat_get") {
    __wasi_filestat_t st;
    EXPECT_OK(__wasi_path_filestat_get(fs(), FOLLOW, "file.txt", &st));
    EXPECT_EQ(st.filetype, __WASI_FILETYPE_REGULAR_FILE);
    EXPECT_EQ(st.size, 12);
}

//! path_filestat_get_of_a_directory {"mandated": "witx path_filestat_get: similar to stat in POSIX; typenames filetype directory: the file is a directory inode"}
CASE(path_filestat_get_of_a_directory, "path_filestat_get") {
    __wasi_filestat_t st;
    EXPECT_OK(__wasi_path_filestat_get(fs(), FOLLOW, "dir", &st));
    EXPECT_EQ(st.filetype, __WASI_FILETYPE_DIRECTORY);
}

//! path_filestat_get_of_a_symlink_without_follow {"mandated": "witx path_filestat_get: similar to stat in POSIX; typenames lookupflags: a symlink is expanded only with symlink_follow; POSIX.1-2017 fstatat(): with AT_SYMLINK_NOFOLLOW a symlink's own status is returned (typenames filetype symbolic_link)"}
CASE(path_filestat_get_of_a_symlink_without_follow, "path_filestat_get") {
    __wasi_filestat_t st;
    EXPECT_OK(__wasi_path_filestat_get(fs(), 0, "link", &st));
    EXPECT_EQ(st.filetype, __WASI_FILETYPE_SYMBOLIC_LINK);
}

//! path_filestat_get_follows_a_symlink {"mandated": "witx path_filestat_get: similar to stat in POSIX; typenames lookupflags symlink_follow: a symlink is expanded; POSIX.1-2017 stat(): a symlink is followed and the information of the file it names is returned"}
CASE(path_filestat_get_follows_a_symlink, "path_filestat_get") {
    __wasi_filestat_t st;
    EXPECT_OK(__wasi_path_filestat_get(fs(), FOLLOW, "link", &st));
    EXPECT_EQ(st.filetype, __WASI_FILETYPE_REGULAR_FILE);
    EXPECT_EQ(st.size, 12);
}

//! path_filestat_get_missing_is_enoent {"mandated": "witx path_filestat_get: similar to stat in POSIX; POSIX.1-2017 stat(): ENOENT when a component of path does not name an existing file"}
CASE(path_filestat_get_missing_is_enoent, "path_filestat_get") {
    __wasi_filestat_t st;
    EXPECT_ERRNO(__wasi_path_filestat_get(fs(), FOLLOW, "missing", &st), __WASI_ERRNO_NOENT);
}

//! path_filestat_get_through_a_file_is_enotdir {"mandated": "witx path_filestat_get: similar to stat in POSIX; POSIX.1-2017 stat(): ENOTDIR when a component of the path prefix names an existing file that is neither a directory nor a symlink to one"}
CASE(path_filestat_get_through_a_file_is_enotdir, "path_filestat_get") {
    __wasi_filestat_t st;
    EXPECT_ERRNO(__wasi_path_filestat_get(fs(), FOLLOW, "file.txt/x", &st), __WASI_ERRNO_NOTDIR);
}

//! path_filestat_set_times_sets_mtime {"mandated": "witx path_filestat_set_times: similar to utimensat in POSIX; typenames fstflags mtim: set the modification time to the given value; POSIX.1-2017 utimensat(): sets the timestamp to the given time (to the file system's resolution)"}
CASE(path_filestat_set_times_sets_mtime, "path_filestat_set_times path_filestat_get") {
    EXPECT_OK(__wasi_path_filestat_set_times(fs(), FOLLOW, "file.txt", 0, 2000000 * SECOND,
                                             __WASI_FSTFLAGS_MTIM));
    __wasi_filestat_t st;
    EXPECT_OK(__wasi_path_filestat_get(fs(), FOLLOW, "file.txt", &st));
    EXPECT_EQ(st.mtim, 2000000 * SECOND);
}

//! path_filestat_set_times_missing_is_enoent {"mandated": "witx path_filestat_set_times: similar to utimensat in POSIX; POSIX.1-2017 utimensat(): ENOENT when a component of path does not name an existing file"}
CASE(path_filestat_set_times_missing_is_enoent, "path_filestat_set_times") {
    EXPECT_ERRNO(__wasi_path_filestat_set_times(fs(), FOLLOW, "missing", 0, 0,
                                                __WASI_FSTFLAGS_MTIM_NOW),
                 __WASI_ERRNO_NOENT);
}

//! path_filestat_set_times_now_and_a_time_is_einval {"implementation_defined": {"why": "WASI preview 1's fstflags has atim (set the time given) and atim_now (set the current time) but does not say what asking for both does, and POSIX's utimensat() cannot express it. EINVAL (wasmtime) is preferred; another error is allowed", "also": ["errno"]}}
CASE(path_filestat_set_times_now_and_a_time_is_einval, "path_filestat_set_times") {
    EXPECT_ERRNO(__wasi_path_filestat_set_times(fs(), FOLLOW, "file.txt", 0, SECOND,
                                                __WASI_FSTFLAGS_MTIM | __WASI_FSTFLAGS_MTIM_NOW),
                 __WASI_ERRNO_INVAL);
}
