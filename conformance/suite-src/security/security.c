/* The sandbox: no path leaves a preopen (`..`, absolute paths, symlinks), a read-only preopen
 * refuses every change, and a closed fd is dead. fs.dir is read-write, ro.dir read-only
 * (file.txt, sub/inner.txt). */
#include "check.h"

//! * {"dirs": ["fs.dir"], "readonly_dirs": ["ro.dir"]}

#define FOLLOW __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW

/* Leaving the preopen must fail; which errno is the runtime's choice, but it must not be
 * success, and must not say the file is missing only after looking outside. */
#define EXPECT_ESCAPE_REFUSED(call)                                                          \
    do {                                                                                     \
        __wasi_errno_t e_ = (call);                                                          \
        if (e_ != __WASI_ERRNO_NOTCAPABLE && e_ != __WASI_ERRNO_PERM &&                      \
            e_ != __WASI_ERRNO_ACCES && e_ != __WASI_ERRNO_NOENT) {                          \
            fail_at(__LINE__, #call ": expected a refusal, got ");                           \
            say_num(e_);                                                                     \
            say("\n");                                                                       \
        }                                                                                    \
    } while (0)

CASE(dotdot_out_of_a_preopen_is_refused, "path_open") {
    __wasi_fd_t fd;
    EXPECT_ESCAPE_REFUSED(open_at(fs(), "../ro.dir/file.txt", 0, 0, &fd));
}

CASE(dotdot_through_a_subdirectory_is_refused, "path_open") {
    __wasi_fd_t fd;
    EXPECT_ESCAPE_REFUSED(open_at(fs(), "dir/../../x", __WASI_OFLAGS_CREAT, 0, &fd));
}

CASE(dotdot_that_stays_inside_is_allowed, "path_open") {
    __wasi_fd_t fd;
    EXPECT_OK(open_at(fs(), "dir/../file.txt", 0, 0, &fd));
}

CASE(an_absolute_path_is_refused, "path_open") {
    __wasi_fd_t fd;
    EXPECT_ESCAPE_REFUSED(open_at(fs(), "/etc/passwd", 0, 0, &fd));
}

CASE(a_symlink_to_an_absolute_path_is_refused, "path_open") {
    __wasi_fd_t fd;
    EXPECT_ESCAPE_REFUSED(open_at(fs(), "abs_link", 0, 0, &fd));
}

CASE(a_symlink_out_of_the_preopen_is_refused, "path_open") {
    __wasi_fd_t fd;
    EXPECT_ESCAPE_REFUSED(open_at(fs(), "up_link", __WASI_OFLAGS_DIRECTORY, 0, &fd));
}

CASE(stat_through_a_symlink_out_is_refused, "path_filestat_get") {
    __wasi_filestat_t st;
    EXPECT_ESCAPE_REFUSED(__wasi_path_filestat_get(fs(), FOLLOW, "abs_link", &st));
}

CASE(creating_a_symlink_out_then_following_it_is_refused, "path_symlink path_open") {
    __wasi_errno_t made = __wasi_path_symlink("../../../../../../etc/passwd", fs(), "out");
    if (made == 0) {
        __wasi_fd_t fd;
        EXPECT_ESCAPE_REFUSED(open_at(fs(), "out", 0, 0, &fd));
    }
}

CASE(read_only_allows_reading, "path_open fd_read") {
    __wasi_fd_t fd;
    EXPECT_OK(__wasi_path_open(ro(), 0, "file.txt", 0, __WASI_RIGHTS_FD_READ, 0, 0, &fd));
    char buf[16] = {0};
    EXPECT_EQ(read_some(fd, buf, sizeof buf), 10);
}

CASE(read_only_refuses_creating_a_file, "path_open") {
    __wasi_fd_t fd;
    EXPECT_REFUSED(open_at(ro(), "new.txt", __WASI_OFLAGS_CREAT, 0, &fd));
}

CASE(read_only_refuses_opening_for_writing, "path_open fd_write") {
    __wasi_fd_t fd;
    __wasi_errno_t e = __wasi_path_open(ro(), 0, "file.txt", 0,
                                        __WASI_RIGHTS_FD_READ | __WASI_RIGHTS_FD_WRITE, 0, 0, &fd);
    if (e == 0) {
        /* Some runtimes hand out the fd and refuse the write itself. */
        __wasi_ciovec_t iov = {(const uint8_t *)"x", 1};
        __wasi_size_t n;
        EXPECT(__wasi_fd_write(fd, &iov, 1, &n) != 0);
    }
}

CASE(read_only_refuses_truncating, "path_open") {
    __wasi_fd_t fd;
    EXPECT_REFUSED(open_at(ro(), "file.txt", __WASI_OFLAGS_TRUNC, 0, &fd));
}

CASE(read_only_refuses_mkdir, "path_create_directory") {
    EXPECT_REFUSED(__wasi_path_create_directory(ro(), "newdir"));
}

CASE(read_only_refuses_rmdir, "path_remove_directory") {
    __wasi_errno_t e = __wasi_path_remove_directory(ro(), "sub");
    EXPECT(e != 0);
}

CASE(read_only_refuses_unlink, "path_unlink_file") {
    EXPECT_REFUSED(__wasi_path_unlink_file(ro(), "file.txt"));
}

CASE(read_only_refuses_rename, "path_rename") {
    EXPECT_REFUSED(__wasi_path_rename(ro(), "file.txt", ro(), "moved.txt"));
}

/* A rename out of a read-only preopen into a writable one is a change of the read-only one:
 * refused (EXDEV, for two directories a host keeps apart, counts too), and nothing moves. */
CASE(read_only_refuses_renaming_out_into_a_writable_preopen, "path_rename path_filestat_get") {
    __wasi_errno_t e = __wasi_path_rename(ro(), "file.txt", fs(), "moved.txt");
    if (e != __WASI_ERRNO_XDEV) EXPECT_REFUSED(e);
    __wasi_filestat_t st;
    EXPECT_OK(__wasi_path_filestat_get(ro(), 0, "file.txt", &st));
    EXPECT_ERRNO(__wasi_path_filestat_get(fs(), 0, "moved.txt", &st), __WASI_ERRNO_NOENT);
}

CASE(read_only_refuses_renaming_in_from_a_writable_preopen, "path_rename path_filestat_get") {
    make_file(fs(), "in.txt", "x");
    __wasi_errno_t e = __wasi_path_rename(fs(), "in.txt", ro(), "in.txt");
    if (e != __WASI_ERRNO_XDEV) EXPECT_REFUSED(e);
    __wasi_filestat_t st;
    EXPECT_OK(__wasi_path_filestat_get(fs(), 0, "in.txt", &st));
    EXPECT_ERRNO(__wasi_path_filestat_get(ro(), 0, "in.txt", &st), __WASI_ERRNO_NOENT);
}

CASE(read_only_refuses_symlink, "path_symlink") {
    EXPECT_REFUSED(__wasi_path_symlink("file.txt", ro(), "link"));
}

CASE(read_only_refuses_set_times, "path_filestat_set_times") {
    EXPECT_REFUSED(__wasi_path_filestat_set_times(ro(), FOLLOW, "file.txt", 0, 0,
                                                  __WASI_FSTFLAGS_MTIM_NOW));
}

CASE(read_only_refuses_set_size, "fd_filestat_set_size") {
    __wasi_fd_t fd;
    EXPECT_OK(__wasi_path_open(ro(), 0, "file.txt", 0, __WASI_RIGHTS_FD_READ |
                               __WASI_RIGHTS_FD_FILESTAT_GET, 0, 0, &fd));
    EXPECT(__wasi_fd_filestat_set_size(fd, 0) != 0);
}

CASE(a_closed_fd_stays_closed, "fd_close fd_read path_open") {
    __wasi_fd_t fd;
    EXPECT_OK(open_at(fs(), "file.txt", 0, 0, &fd));
    EXPECT_OK(__wasi_fd_close(fd));
    char buf[4];
    __wasi_iovec_t iov = {(uint8_t *)buf, 4};
    __wasi_size_t n;
    EXPECT_ERRNO(__wasi_fd_read(fd, &iov, 1, &n), __WASI_ERRNO_BADF);
}

CASE(a_reused_fd_number_reaches_the_new_file, "fd_close path_open fd_read") {
    __wasi_fd_t a, b;
    EXPECT_OK(open_at(fs(), "file.txt", 0, 0, &a));
    EXPECT_OK(__wasi_fd_close(a));
    EXPECT_OK(open_at(fs(), "dir/inner.txt", 0, 0, &b));
    if (a == b) {
        char buf[16] = {0};
        EXPECT_EQ(read_some(a, buf, sizeof buf), 6);
        EXPECT_BYTES(buf, "inner\n", 6);
    }
}
