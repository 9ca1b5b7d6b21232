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

CASE(fd_filestat_get_of_a_file, "fd_filestat_get") {
    __wasi_filestat_t st;
    EXPECT_OK(__wasi_fd_filestat_get(open_file("file.txt"), &st));
    EXPECT_EQ(st.filetype, __WASI_FILETYPE_REGULAR_FILE);
    EXPECT_EQ(st.size, 12);
    EXPECT_EQ(st.nlink, 1);
}

CASE(fd_filestat_get_bad_fd_is_ebadf, "fd_filestat_get") {
    __wasi_filestat_t st;
    EXPECT_ERRNO(__wasi_fd_filestat_get(BAD_FD, &st), __WASI_ERRNO_BADF);
}

CASE(fd_filestat_set_size_truncates, "fd_filestat_set_size fd_filestat_get") {
    __wasi_fd_t fd = open_file("file.txt");
    EXPECT_OK(__wasi_fd_filestat_set_size(fd, 5));
    __wasi_filestat_t st;
    EXPECT_OK(__wasi_fd_filestat_get(fd, &st));
    EXPECT_EQ(st.size, 5);
}

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

CASE(fd_filestat_set_size_bad_fd_is_ebadf, "fd_filestat_set_size") {
    EXPECT_ERRNO(__wasi_fd_filestat_set_size(BAD_FD, 0), __WASI_ERRNO_BADF);
}

CASE(fd_filestat_set_times_sets_mtime, "fd_filestat_set_times fd_filestat_get") {
    __wasi_fd_t fd = open_file("file.txt");
    EXPECT_OK(__wasi_fd_filestat_set_times(fd, 0, 1000000 * SECOND, __WASI_FSTFLAGS_MTIM));
    __wasi_filestat_t st;
    EXPECT_OK(__wasi_fd_filestat_get(fd, &st));
    EXPECT_EQ(st.mtim, 1000000 * SECOND);
}

CASE(fd_filestat_set_times_now_and_a_time_is_einval, "fd_filestat_set_times") {
    EXPECT_ERRNO(__wasi_fd_filestat_set_times(open_file("file.txt"), SECOND, 0,
                                              __WASI_FSTFLAGS_ATIM | __WASI_FSTFLAGS_ATIM_NOW),
                 __WASI_ERRNO_INVAL);
}

CASE(fd_filestat_set_times_bad_fd_is_ebadf, "fd_filestat_set_times") {
    EXPECT_ERRNO(__wasi_fd_filestat_set_times(BAD_FD, 0, 0, __WASI_FSTFLAGS_MTIM_NOW),
                 __WASI_ERRNO_BADF);
}

CASE(path_filestat_get_of_a_file, "path_filestat_get") {
    __wasi_filestat_t st;
    EXPECT_OK(__wasi_path_filestat_get(fs(), FOLLOW, "file.txt", &st));
    EXPECT_EQ(st.filetype, __WASI_FILETYPE_REGULAR_FILE);
    EXPECT_EQ(st.size, 12);
}

CASE(path_filestat_get_of_a_directory, "path_filestat_get") {
    __wasi_filestat_t st;
    EXPECT_OK(__wasi_path_filestat_get(fs(), FOLLOW, "dir", &st));
    EXPECT_EQ(st.filetype, __WASI_FILETYPE_DIRECTORY);
}

CASE(path_filestat_get_of_a_symlink_without_follow, "path_filestat_get") {
    __wasi_filestat_t st;
    EXPECT_OK(__wasi_path_filestat_get(fs(), 0, "link", &st));
    EXPECT_EQ(st.filetype, __WASI_FILETYPE_SYMBOLIC_LINK);
}

CASE(path_filestat_get_follows_a_symlink, "path_filestat_get") {
    __wasi_filestat_t st;
    EXPECT_OK(__wasi_path_filestat_get(fs(), FOLLOW, "link", &st));
    EXPECT_EQ(st.filetype, __WASI_FILETYPE_REGULAR_FILE);
    EXPECT_EQ(st.size, 12);
}

CASE(path_filestat_get_missing_is_enoent, "path_filestat_get") {
    __wasi_filestat_t st;
    EXPECT_ERRNO(__wasi_path_filestat_get(fs(), FOLLOW, "missing", &st), __WASI_ERRNO_NOENT);
}

CASE(path_filestat_get_through_a_file_is_enotdir, "path_filestat_get") {
    __wasi_filestat_t st;
    EXPECT_ERRNO(__wasi_path_filestat_get(fs(), FOLLOW, "file.txt/x", &st), __WASI_ERRNO_NOTDIR);
}

CASE(path_filestat_set_times_sets_mtime, "path_filestat_set_times path_filestat_get") {
    EXPECT_OK(__wasi_path_filestat_set_times(fs(), FOLLOW, "file.txt", 0, 2000000 * SECOND,
                                             __WASI_FSTFLAGS_MTIM));
    __wasi_filestat_t st;
    EXPECT_OK(__wasi_path_filestat_get(fs(), FOLLOW, "file.txt", &st));
    EXPECT_EQ(st.mtim, 2000000 * SECOND);
}

CASE(path_filestat_set_times_missing_is_enoent, "path_filestat_set_times") {
    EXPECT_ERRNO(__wasi_path_filestat_set_times(fs(), FOLLOW, "missing", 0, 0,
                                                __WASI_FSTFLAGS_MTIM_NOW),
                 __WASI_ERRNO_NOENT);
}

CASE(path_filestat_set_times_now_and_a_time_is_einval, "path_filestat_set_times") {
    EXPECT_ERRNO(__wasi_path_filestat_set_times(fs(), FOLLOW, "file.txt", 0, SECOND,
                                                __WASI_FSTFLAGS_MTIM | __WASI_FSTFLAGS_MTIM_NOW),
                 __WASI_ERRNO_INVAL);
}
