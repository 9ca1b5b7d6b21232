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

//! dotdot_out_of_a_preopen_is_refused {"mandated": "witx path_open: path relative to the fd directory; WASI docs/WASI-overview.md: a directory fd is the capability to open files within it; wasi-filesystem path-resolution.md: a `..` step above the base directory is refused"}
CASE(dotdot_out_of_a_preopen_is_refused, "path_open") {
    __wasi_fd_t fd;
    EXPECT_ESCAPE_REFUSED(open_at(fs(), "../ro.dir/file.txt", 0, 0, &fd));
}

//! dotdot_through_a_subdirectory_is_refused {"mandated": "witx path_open: path relative to the fd directory; WASI docs/WASI-overview.md: a directory fd is the capability to open files within it; wasi-filesystem path-resolution.md: a path that steps outside the base directory is refused, even where it would lead back in"}
CASE(dotdot_through_a_subdirectory_is_refused, "path_open") {
    __wasi_fd_t fd;
    EXPECT_ESCAPE_REFUSED(open_at(fs(), "dir/../../x", __WASI_OFLAGS_CREAT, 0, &fd));
}

//! dotdot_that_stays_inside_is_allowed {"mandated": "witx path_open: similar to openat in POSIX; POSIX.1-2017 XBD 4.13 pathname resolution: `..` names the parent, so dir/../file.txt is file.txt; wasi-filesystem path-resolution.md: a `..` that stays within the base directory resolves normally"}
CASE(dotdot_that_stays_inside_is_allowed, "path_open") {
    __wasi_fd_t fd;
    EXPECT_OK(open_at(fs(), "dir/../file.txt", 0, 0, &fd));
}

//! an_absolute_path_is_refused {"mandated": "witx path_open: the path is a relative path, relative to the fd directory; wasi-filesystem path-resolution.md: absolute paths are not permitted and there is no global namespace"}
CASE(an_absolute_path_is_refused, "path_open") {
    __wasi_fd_t fd;
    EXPECT_ESCAPE_REFUSED(open_at(fs(), "/etc/passwd", 0, 0, &fd));
}

//! a_symlink_to_an_absolute_path_is_refused {"mandated": "witx path_open: path relative to the fd directory; WASI docs/WASI-overview.md: a directory fd is the capability to open files within it; wasi-filesystem path-resolution.md: a symlink whose contents start with / is an attempt to leave the sandbox and fails"}
CASE(a_symlink_to_an_absolute_path_is_refused, "path_open") {
    __wasi_fd_t fd;
    EXPECT_ESCAPE_REFUSED(open_at(fs(), "abs_link", 0, 0, &fd));
}

//! a_symlink_out_of_the_preopen_is_refused {"mandated": "witx path_open: path relative to the fd directory; WASI docs/WASI-overview.md: a directory fd is the capability to open files within it; wasi-filesystem path-resolution.md: a symlink whose `..` steps lead above the base directory is refused when it is resolved"}
CASE(a_symlink_out_of_the_preopen_is_refused, "path_open") {
    __wasi_fd_t fd;
    EXPECT_ESCAPE_REFUSED(open_at(fs(), "up_link", __WASI_OFLAGS_DIRECTORY, 0, &fd));
}

//! stat_through_a_symlink_out_is_refused {"mandated": "witx path_filestat_get: path resolved from the fd directory per lookupflags; WASI docs/WASI-overview.md: no access to the outside world without a capability; wasi-filesystem path-resolution.md: following a symlink to an absolute path fails"}
CASE(stat_through_a_symlink_out_is_refused, "path_filestat_get") {
    __wasi_filestat_t st;
    EXPECT_ESCAPE_REFUSED(__wasi_path_filestat_get(fs(), FOLLOW, "abs_link", &st));
}

//! creating_a_symlink_out_then_following_it_is_refused {"mandated": "witx path_open: path relative to the fd directory; WASI docs/WASI-overview.md: a directory fd is the capability to open files within it; wasi-filesystem path-resolution.md: symlink contents are checked when a path is resolved, not when the link is made, so following one that leads out is refused"}
CASE(creating_a_symlink_out_then_following_it_is_refused, "path_symlink path_open") {
    __wasi_errno_t made = __wasi_path_symlink("../../../../../../etc/passwd", fs(), "out");
    if (made == 0) {
        __wasi_fd_t fd;
        EXPECT_ESCAPE_REFUSED(open_at(fs(), "out", 0, 0, &fd));
    }
}

//! read_only_allows_reading {"mandated": "witx path_open: similar to openat in POSIX; witx fd_read: similar to readv in POSIX; POSIX.1-2017 read(): a regular file gives its bytes up to end-of-file (10 here); opening for reading asks only the fd_read right"}
CASE(read_only_allows_reading, "path_open fd_read") {
    __wasi_fd_t fd;
    EXPECT_OK(__wasi_path_open(ro(), 0, "file.txt", 0, __WASI_RIGHTS_FD_READ, 0, 0, &fd));
    char buf[16] = {0};
    EXPECT_EQ(read_some(fd, buf, sizeof buf), 10);
}

//! read_only_refuses_creating_a_file {"mandated": "witx rights: path_create_file is needed for path_open with oflags::creat (errno notcapable: capabilities insufficient); POSIX.1-2017 openat(): EROFS for O_CREAT of a new file on a read-only file system"}
CASE(read_only_refuses_creating_a_file, "path_open") {
    __wasi_fd_t fd;
    EXPECT_REFUSED(open_at(ro(), "new.txt", __WASI_OFLAGS_CREAT, 0, &fd));
}

//! read_only_refuses_opening_for_writing {"mandated": "witx rights: fd_write is the right to invoke fd_write (errno notcapable: capabilities insufficient); POSIX.1-2017 openat(): EROFS for O_WRONLY or O_RDWR on a read-only file system; write(): EBADF when the fd is not open for writing"}
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

//! read_only_refuses_truncating {"mandated": "witx rights: path_filestat_set_size is needed for path_open with oflags::trunc (errno notcapable: capabilities insufficient); POSIX.1-2017 openat(): EROFS for O_TRUNC on a read-only file system"}
CASE(read_only_refuses_truncating, "path_open") {
    __wasi_fd_t fd;
    EXPECT_REFUSED(open_at(ro(), "file.txt", __WASI_OFLAGS_TRUNC, 0, &fd));
}

//! read_only_refuses_mkdir {"mandated": "witx rights: path_create_directory is the right to invoke it (errno notcapable: capabilities insufficient); witx path_create_directory: similar to mkdirat; POSIX.1-2017 mkdirat(): EROFS when the parent directory is on a read-only file system"}
CASE(read_only_refuses_mkdir, "path_create_directory") {
    EXPECT_REFUSED(__wasi_path_create_directory(ro(), "newdir"));
}

//! read_only_refuses_rmdir {"mandated": "witx path_remove_directory: returns errno::notempty if the directory is not empty (ro.dir/sub holds inner.txt); witx rights: path_remove_directory is the right to invoke it; POSIX.1-2017 unlinkat(): EROFS on a read-only file system"}
CASE(read_only_refuses_rmdir, "path_remove_directory") {
    __wasi_errno_t e = __wasi_path_remove_directory(ro(), "sub");
    EXPECT(e != 0);
}

//! read_only_refuses_unlink {"mandated": "witx rights: path_unlink_file is the right to invoke it (errno notcapable: capabilities insufficient); witx path_unlink_file: similar to unlinkat; POSIX.1-2017 unlinkat(): EROFS when the entry is part of a read-only file system"}
CASE(read_only_refuses_unlink, "path_unlink_file") {
    EXPECT_REFUSED(__wasi_path_unlink_file(ro(), "file.txt"));
}

//! read_only_refuses_rename {"mandated": "witx rights: path_rename_source and path_rename_target are the rights to rename from and to a directory (errno notcapable: capabilities insufficient); POSIX.1-2017 renameat(): EROFS when writing in a directory on a read-only file system"}
CASE(read_only_refuses_rename, "path_rename") {
    EXPECT_REFUSED(__wasi_path_rename(ro(), "file.txt", ro(), "moved.txt"));
}

/* A rename out of a read-only preopen into a writable one is a change of the read-only one:
 * refused (EXDEV, for two directories a host keeps apart, counts too), and nothing moves. */
//! read_only_refuses_renaming_out_into_a_writable_preopen {"mandated": "witx rights: path_rename_source is needed on the source directory (errno notcapable: capabilities insufficient); POSIX.1-2017 renameat(): EROFS (read-only directory) or EXDEV (other file system), and on failure neither old nor new is changed"}
CASE(read_only_refuses_renaming_out_into_a_writable_preopen, "path_rename path_filestat_get") {
    __wasi_errno_t e = __wasi_path_rename(ro(), "file.txt", fs(), "moved.txt");
    if (e != __WASI_ERRNO_XDEV) EXPECT_REFUSED(e);
    __wasi_filestat_t st;
    EXPECT_OK(__wasi_path_filestat_get(ro(), 0, "file.txt", &st));
    EXPECT_ERRNO(__wasi_path_filestat_get(fs(), 0, "moved.txt", &st), __WASI_ERRNO_NOENT);
}

//! read_only_refuses_renaming_in_from_a_writable_preopen {"mandated": "witx rights: path_rename_target is needed on the target directory (errno notcapable: capabilities insufficient); POSIX.1-2017 renameat(): EROFS (read-only directory) or EXDEV (other file system), and on failure neither old nor new is changed"}
CASE(read_only_refuses_renaming_in_from_a_writable_preopen, "path_rename path_filestat_get") {
    make_file(fs(), "in.txt", "x");
    __wasi_errno_t e = __wasi_path_rename(fs(), "in.txt", ro(), "in.txt");
    if (e != __WASI_ERRNO_XDEV) EXPECT_REFUSED(e);
    __wasi_filestat_t st;
    EXPECT_OK(__wasi_path_filestat_get(fs(), 0, "in.txt", &st));
    EXPECT_ERRNO(__wasi_path_filestat_get(ro(), 0, "in.txt", &st), __WASI_ERRNO_NOENT);
}

//! read_only_refuses_symlink {"mandated": "witx rights: path_symlink is the right to invoke it (errno notcapable: capabilities insufficient); witx path_symlink: similar to symlinkat; POSIX.1-2017 symlinkat(): EROFS when the new link would reside on a read-only file system"}
CASE(read_only_refuses_symlink, "path_symlink") {
    EXPECT_REFUSED(__wasi_path_symlink("file.txt", ro(), "link"));
}

//! read_only_refuses_set_times {"mandated": "witx rights: path_filestat_set_times is the right to invoke it (errno notcapable: capabilities insufficient); witx path_filestat_set_times: similar to utimensat; POSIX.1-2017 utimensat(): EROFS when the file's file system is read-only"}
CASE(read_only_refuses_set_times, "path_filestat_set_times") {
    EXPECT_REFUSED(__wasi_path_filestat_set_times(ro(), FOLLOW, "file.txt", 0, 0,
                                                  __WASI_FSTFLAGS_MTIM_NOW));
}

//! read_only_refuses_set_size {"mandated": "witx rights: fd_filestat_set_size is the right to invoke it, and the fd was opened without it; witx fd_filestat_set_size: similar to ftruncate; POSIX.1-2017 ftruncate(): EBADF or EINVAL when the fd is not open for writing"}
CASE(read_only_refuses_set_size, "fd_filestat_set_size") {
    __wasi_fd_t fd;
    EXPECT_OK(__wasi_path_open(ro(), 0, "file.txt", 0, __WASI_RIGHTS_FD_READ |
                               __WASI_RIGHTS_FD_FILESTAT_GET, 0, 0, &fd));
    EXPECT(__wasi_fd_filestat_set_size(fd, 0) != 0);
}

//! a_closed_fd_stays_closed {"mandated": "witx fd_close: similar to close in POSIX; POSIX.1-2017 close(): deallocates the file descriptor; read(): EBADF when fildes is not a valid file descriptor open for reading"}
CASE(a_closed_fd_stays_closed, "fd_close fd_read path_open") {
    __wasi_fd_t fd;
    EXPECT_OK(open_at(fs(), "file.txt", 0, 0, &fd));
    EXPECT_OK(__wasi_fd_close(fd));
    char buf[4];
    __wasi_iovec_t iov = {(uint8_t *)buf, 4};
    __wasi_size_t n;
    EXPECT_ERRNO(__wasi_fd_read(fd, &iov, 1, &n), __WASI_ERRNO_BADF);
}

//! a_reused_fd_number_reaches_the_new_file {"mandated": "witx path_open: returns the fd of the file that has been opened (not necessarily the lowest free number); POSIX.1-2017 close(): a deallocated fd may be returned by a later open, then naming the new file"}
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
