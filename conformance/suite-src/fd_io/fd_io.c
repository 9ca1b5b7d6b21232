/* fd_read, fd_write, fd_pread, fd_pwrite, fd_close, fd_renumber on files of fs.dir
 * (file.txt holds "hello, file\n") and on stdio. */
#include "check.h"

//! * {"dirs": ["fs.dir"]}

static __wasi_fd_t open_file(const char *path) {
    __wasi_fd_t fd = BAD_FD;
    EXPECT_OK(open_at(fs(), path, 0, 0, &fd));
    return fd;
}

//! fd_write_to_stdout {"stdout": "hello\n"}
CASE(fd_write_to_stdout, "fd_write") {
    __wasi_ciovec_t iov = {(const uint8_t *)"hello\n", 6};
    __wasi_size_t n = 0;
    EXPECT_OK(__wasi_fd_write(1, &iov, 1, &n));
    EXPECT_EQ(n, 6);
}

/* A write may be short (POSIX allows it, and some runtimes write one iovec at a time): what is
 * written must be a prefix of the gathered bytes, and writing the rest must finish the job. */
//! fd_write_gathers_iovecs {"stdout": "abcdef"}
CASE(fd_write_gathers_iovecs, "fd_write") {
    const char *all = "abcdef";
    __wasi_ciovec_t iov[3] = {{(const uint8_t *)"ab", 2}, {(const uint8_t *)"", 0},
                              {(const uint8_t *)"cdef", 4}};
    __wasi_size_t n = 0;
    EXPECT_OK(__wasi_fd_write(1, iov, 3, &n));
    EXPECT(n >= 1 && n <= 6);
    if (n < 6) {
        __wasi_ciovec_t rest = {(const uint8_t *)all + n, 6 - n};
        __wasi_size_t m = 0;
        EXPECT_OK(__wasi_fd_write(1, &rest, 1, &m));
        EXPECT_EQ(n + m, 6);
    }
}

//! fd_write_to_stderr {"stderr": "to stderr\n"}
CASE(fd_write_to_stderr, "fd_write") {
    __wasi_ciovec_t iov = {(const uint8_t *)"to stderr\n", 10};
    __wasi_size_t n = 0;
    EXPECT_OK(__wasi_fd_write(2, &iov, 1, &n));
    EXPECT_EQ(n, 10);
}

CASE(fd_write_to_a_file_then_read_back, "fd_write fd_read") {
    make_file(fs(), "new.txt", "written");
    __wasi_fd_t fd = open_file("new.txt");
    char buf[16] = {0};
    EXPECT_EQ(read_some(fd, buf, sizeof buf), 7);
    EXPECT_BYTES(buf, "written", 7);
}

CASE(fd_write_bad_fd_is_ebadf, "fd_write") {
    __wasi_ciovec_t iov = {(const uint8_t *)"x", 1};
    __wasi_size_t n;
    EXPECT_ERRNO(__wasi_fd_write(BAD_FD, &iov, 1, &n), __WASI_ERRNO_BADF);
}

CASE(fd_write_without_the_right_is_ebadf, "fd_write path_open") {
    __wasi_fd_t fd;
    EXPECT_OK(__wasi_path_open(fs(), 0, "file.txt", 0, __WASI_RIGHTS_FD_READ, 0, 0, &fd));
    __wasi_ciovec_t iov = {(const uint8_t *)"x", 1};
    __wasi_size_t n;
    EXPECT_ERRNO(__wasi_fd_write(fd, &iov, 1, &n), __WASI_ERRNO_BADF);
}

CASE(fd_read_reads_a_file, "fd_read") {
    __wasi_fd_t fd = open_file("file.txt");
    char buf[32] = {0};
    EXPECT_EQ(read_some(fd, buf, sizeof buf), 12);
    EXPECT_BYTES(buf, "hello, file\n", 12);
}

/* A read may be short: the first iovec is filled first, and what is left comes next. */
CASE(fd_read_scatters_iovecs, "fd_read") {
    __wasi_fd_t fd = open_file("file.txt");
    char a[5] = {0}, b[32] = {0};
    __wasi_iovec_t iov[2] = {{(uint8_t *)a, 5}, {(uint8_t *)b, sizeof b}};
    __wasi_size_t n = 0;
    EXPECT_OK(__wasi_fd_read(fd, iov, 2, &n));
    EXPECT(n == 5 || n == 12);
    EXPECT_BYTES(a, "hello", 5);
    if (n == 5) EXPECT_EQ(read_some(fd, b, sizeof b), 7);
    EXPECT_BYTES(b, ", file\n", 7);
}

CASE(fd_read_at_end_of_file_reads_nothing, "fd_read") {
    __wasi_fd_t fd = open_file("file.txt");
    char buf[32];
    read_some(fd, buf, sizeof buf);
    EXPECT_EQ(read_some(fd, buf, sizeof buf), 0);
}

CASE(fd_read_of_empty_stdin_is_end_of_file, "fd_read") {
    char buf[8];
    EXPECT_EQ(read_some(0, buf, sizeof buf), 0);
}

CASE(fd_read_bad_fd_is_ebadf, "fd_read") {
    char buf[4];
    __wasi_iovec_t iov = {(uint8_t *)buf, 4};
    __wasi_size_t n;
    EXPECT_ERRNO(__wasi_fd_read(BAD_FD, &iov, 1, &n), __WASI_ERRNO_BADF);
}

CASE(fd_read_without_the_right_is_ebadf, "fd_read path_open") {
    __wasi_fd_t fd;
    EXPECT_OK(__wasi_path_open(fs(), 0, "file.txt", 0, __WASI_RIGHTS_FD_WRITE, 0, 0, &fd));
    char buf[4];
    __wasi_iovec_t iov = {(uint8_t *)buf, 4};
    __wasi_size_t n;
    EXPECT_ERRNO(__wasi_fd_read(fd, &iov, 1, &n), __WASI_ERRNO_BADF);
}

CASE(fd_pread_reads_at_an_offset_without_moving, "fd_pread fd_tell") {
    __wasi_fd_t fd = open_file("file.txt");
    char buf[16] = {0};
    __wasi_iovec_t iov = {(uint8_t *)buf, sizeof buf};
    __wasi_size_t n = 0;
    EXPECT_OK(__wasi_fd_pread(fd, &iov, 1, 7, &n));
    EXPECT_EQ(n, 5);
    EXPECT_BYTES(buf, "file\n", 5);
    __wasi_filesize_t pos = 99;
    EXPECT_OK(__wasi_fd_tell(fd, &pos));
    EXPECT_EQ(pos, 0);
}

CASE(fd_pread_bad_fd_is_ebadf, "fd_pread") {
    char buf[4];
    __wasi_iovec_t iov = {(uint8_t *)buf, 4};
    __wasi_size_t n;
    EXPECT_ERRNO(__wasi_fd_pread(BAD_FD, &iov, 1, 0, &n), __WASI_ERRNO_BADF);
}

CASE(fd_pread_on_a_directory_is_an_error, "fd_pread") {
    char buf[4];
    __wasi_iovec_t iov = {(uint8_t *)buf, 4};
    __wasi_size_t n;
    __wasi_errno_t e = __wasi_fd_pread(fs(), &iov, 1, 0, &n);
    EXPECT(e == __WASI_ERRNO_BADF || e == __WASI_ERRNO_ISDIR);
}

CASE(fd_pwrite_writes_at_an_offset, "fd_pwrite fd_read") {
    make_file(fs(), "p.txt", "abcdef");
    __wasi_fd_t fd = open_file("p.txt");
    __wasi_ciovec_t iov = {(const uint8_t *)"XY", 2};
    __wasi_size_t n = 0;
    EXPECT_OK(__wasi_fd_pwrite(fd, &iov, 1, 2, &n));
    EXPECT_EQ(n, 2);
    char buf[16] = {0};
    EXPECT_EQ(read_some(fd, buf, sizeof buf), 6);
    EXPECT_BYTES(buf, "abXYef", 6);
}

CASE(fd_pwrite_bad_fd_is_ebadf, "fd_pwrite") {
    __wasi_ciovec_t iov = {(const uint8_t *)"x", 1};
    __wasi_size_t n;
    EXPECT_ERRNO(__wasi_fd_pwrite(BAD_FD, &iov, 1, 0, &n), __WASI_ERRNO_BADF);
}

CASE(fd_close_then_the_fd_is_ebadf, "fd_close fd_read") {
    __wasi_fd_t fd = open_file("file.txt");
    EXPECT_OK(__wasi_fd_close(fd));
    char buf[4];
    __wasi_iovec_t iov = {(uint8_t *)buf, 4};
    __wasi_size_t n;
    EXPECT_ERRNO(__wasi_fd_read(fd, &iov, 1, &n), __WASI_ERRNO_BADF);
    EXPECT_ERRNO(__wasi_fd_close(fd), __WASI_ERRNO_BADF);
}

CASE(fd_close_bad_fd_is_ebadf, "fd_close") {
    EXPECT_ERRNO(__wasi_fd_close(BAD_FD), __WASI_ERRNO_BADF);
}

CASE(fd_renumber_moves_an_fd, "fd_renumber") {
    make_file(fs(), "b.txt", "bbb");
    __wasi_fd_t a = open_file("file.txt"), b = open_file("b.txt");
    EXPECT_OK(__wasi_fd_renumber(a, b));
    char buf[16] = {0};
    EXPECT_EQ(read_some(b, buf, sizeof buf), 12);
    EXPECT_BYTES(buf, "hello, file\n", 12);
    EXPECT_ERRNO(__wasi_fd_close(a), __WASI_ERRNO_BADF);
}

CASE(fd_renumber_bad_fd_is_ebadf, "fd_renumber") {
    __wasi_fd_t b = open_file("file.txt");
    EXPECT_ERRNO(__wasi_fd_renumber(BAD_FD, b), __WASI_ERRNO_BADF);
}

/* Found by `wasiport fuzz` (browser_wasi_shim closed the fd). Preview 1's `fd_renumber`
   replaces `to` with `fd`: onto itself that changes nothing, as POSIX's dup2(fd, fd). */
CASE(fd_renumber_onto_itself_keeps_the_fd_open, "fd_renumber fd_read") {
    __wasi_fd_t fd = open_file("file.txt");
    EXPECT_OK(__wasi_fd_renumber(fd, fd));
    char buf[16] = {0};
    EXPECT_EQ(read_some(fd, buf, sizeof buf), 12);
}

/* Found by `wasiport fuzz` (wasmer and node's uvwasi renumber onto any number). Preview 1
   "does not provide a mechanism to ... renumber a file descriptor to an arbitrary number,
   like dup2()": `to` must be open. */
CASE(fd_renumber_onto_an_fd_not_open_is_ebadf, "fd_renumber") {
    __wasi_fd_t fd = open_file("file.txt");
    EXPECT_ERRNO(__wasi_fd_renumber(fd, BAD_FD), __WASI_ERRNO_BADF);
}

/* Found by `wasiport fuzz` (node's WASI took a negative fd for an argument error). An fd is
   a u32; the largest is as closed as any other. */
CASE(fd_close_of_fd_u32_max_is_ebadf, "fd_close") {
    EXPECT_ERRNO(__wasi_fd_close((__wasi_fd_t)-1), __WASI_ERRNO_BADF);
}
