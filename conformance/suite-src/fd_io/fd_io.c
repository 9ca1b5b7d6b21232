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
//! fd_write_to_stdout {"mandated": "witx fd_write: similar to writev in POSIX; POSIX.1-2017 <unistd.h>: STDOUT_FILENO is 1; POSIX.1-2017 write(): a blocking write is short only when out of room or interrupted (to a pipe it returns nbyte), and it returns the bytes written"}
CASE(fd_write_to_stdout, "fd_write") {
    __wasi_ciovec_t iov = {(const uint8_t *)"hello\n", 6};
    __wasi_size_t n = 0;
    EXPECT_OK(__wasi_fd_write(1, &iov, 1, &n));
    EXPECT_EQ(n, 6);
}

/* A write may be short (POSIX allows it, and some runtimes write one iovec at a time): what is
 * written must be a prefix of the gathered bytes, and writing the rest must finish the job. */
//! fd_write_gathers_iovecs {"stdout": "abcdef"}
//! fd_write_gathers_iovecs {"mandated": "witx fd_write: similar to writev in POSIX; POSIX.1-2017 writev(): gathers the iov buffers in order, writing each area completely before the next, and returns the bytes written, so what is written is a prefix of the gathered bytes"}
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
//! fd_write_to_stderr {"mandated": "witx fd_write: similar to writev in POSIX; POSIX.1-2017 <unistd.h>: STDERR_FILENO is 2; POSIX.1-2017 write(): a blocking write is short only when out of room or interrupted (to a pipe it returns nbyte), and it returns the bytes written"}
CASE(fd_write_to_stderr, "fd_write") {
    __wasi_ciovec_t iov = {(const uint8_t *)"to stderr\n", 10};
    __wasi_size_t n = 0;
    EXPECT_OK(__wasi_fd_write(2, &iov, 1, &n));
    EXPECT_EQ(n, 10);
}

//! fd_write_to_a_file_then_read_back {"mandated": "witx fd_write / fd_read: similar to writev / readv in POSIX; POSIX.1-2017 write(): once a write to a regular file returns, reads of those positions return the written data; read(): short only when fewer bytes are left"}
CASE(fd_write_to_a_file_then_read_back, "fd_write fd_read") {
    make_file(fs(), "new.txt", "written");
    __wasi_fd_t fd = open_file("new.txt");
    char buf[16] = {0};
    EXPECT_EQ(read_some(fd, buf, sizeof buf), 7);
    EXPECT_BYTES(buf, "written", 7);
}

//! fd_write_bad_fd_is_ebadf {"mandated": "witx fd_write: similar to writev in POSIX; POSIX.1-2017 write(): EBADF when fildes is not a valid file descriptor open for writing"}
CASE(fd_write_bad_fd_is_ebadf, "fd_write") {
    __wasi_ciovec_t iov = {(const uint8_t *)"x", 1};
    __wasi_size_t n;
    EXPECT_ERRNO(__wasi_fd_write(BAD_FD, &iov, 1, &n), __WASI_ERRNO_BADF);
}

//! fd_write_without_the_right_is_ebadf {"implementation_defined": {"why": "WASI preview 1 gives two answers: fd_write is similar to writev in POSIX, whose EBADF covers an fd not open for writing, and its rights model names errno `notcapable` (\"capabilities insufficient\") for a missing right. EBADF (POSIX, wasmtime) is preferred; notcapable or another error is allowed", "also": ["errno"]}}
CASE(fd_write_without_the_right_is_ebadf, "fd_write path_open") {
    __wasi_fd_t fd;
    EXPECT_OK(__wasi_path_open(fs(), 0, "file.txt", 0, __WASI_RIGHTS_FD_READ, 0, 0, &fd));
    __wasi_ciovec_t iov = {(const uint8_t *)"x", 1};
    __wasi_size_t n;
    EXPECT_ERRNO(__wasi_fd_write(fd, &iov, 1, &n), __WASI_ERRNO_BADF);
}

//! fd_read_reads_a_file {"mandated": "witx fd_read: similar to readv in POSIX; POSIX.1-2017 read(): reads from the file offset (the start after open) and returns fewer than nbyte bytes of a regular file only when fewer are left"}
CASE(fd_read_reads_a_file, "fd_read") {
    __wasi_fd_t fd = open_file("file.txt");
    char buf[32] = {0};
    EXPECT_EQ(read_some(fd, buf, sizeof buf), 12);
    EXPECT_BYTES(buf, "hello, file\n", 12);
}

/* A read may be short: the first iovec is filled first, and what is left comes next. */
//! fd_read_scatters_iovecs {"mandated": "witx fd_read: similar to readv in POSIX; POSIX.1-2017 readv(): places the data into the iov buffers in order, filling each area completely before the next; read(): the offset advances by the bytes read"}
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

//! fd_read_at_end_of_file_reads_nothing {"mandated": "witx fd_read: similar to readv in POSIX; POSIX.1-2017 read(): if the starting position is at or after end-of-file, 0 is returned"}
CASE(fd_read_at_end_of_file_reads_nothing, "fd_read") {
    __wasi_fd_t fd = open_file("file.txt");
    char buf[32];
    read_some(fd, buf, sizeof buf);
    EXPECT_EQ(read_some(fd, buf, sizeof buf), 0);
}

//! fd_read_of_empty_stdin_is_end_of_file {"mandated": "witx fd_read: similar to readv in POSIX; POSIX.1-2017 <unistd.h>: STDIN_FILENO is 0; POSIX.1-2017 read(): returns 0 at end-of-file (at or past the end of a file, or an empty pipe that no one has open for writing)"}
CASE(fd_read_of_empty_stdin_is_end_of_file, "fd_read") {
    char buf[8];
    EXPECT_EQ(read_some(0, buf, sizeof buf), 0);
}

//! fd_read_bad_fd_is_ebadf {"mandated": "witx fd_read: similar to readv in POSIX; POSIX.1-2017 read(): EBADF when fildes is not a valid file descriptor open for reading"}
CASE(fd_read_bad_fd_is_ebadf, "fd_read") {
    char buf[4];
    __wasi_iovec_t iov = {(uint8_t *)buf, 4};
    __wasi_size_t n;
    EXPECT_ERRNO(__wasi_fd_read(BAD_FD, &iov, 1, &n), __WASI_ERRNO_BADF);
}

//! fd_read_without_the_right_is_ebadf {"implementation_defined": {"why": "WASI preview 1 gives two answers: fd_read is similar to readv in POSIX, whose EBADF covers an fd not open for reading, and its rights model names errno `notcapable` (\"capabilities insufficient\") for a missing right. EBADF (POSIX, wasmtime) is preferred; notcapable or another error is allowed", "also": ["errno"]}}
CASE(fd_read_without_the_right_is_ebadf, "fd_read path_open") {
    __wasi_fd_t fd;
    EXPECT_OK(__wasi_path_open(fs(), 0, "file.txt", 0, __WASI_RIGHTS_FD_WRITE, 0, 0, &fd));
    char buf[4];
    __wasi_iovec_t iov = {(uint8_t *)buf, 4};
    __wasi_size_t n;
    EXPECT_ERRNO(__wasi_fd_read(fd, &iov, 1, &n), __WASI_ERRNO_BADF);
}

//! fd_pread_reads_at_an_offset_without_moving {"mandated": "witx fd_pread: reads without using or updating the fd's offset (similar to preadv); POSIX.1-2017 pread(): reads from the given position without changing the file offset, short only when fewer bytes are left; witx fd_tell: the current offset"}
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

//! fd_pread_bad_fd_is_ebadf {"mandated": "witx fd_pread: similar to preadv (POSIX pread() with iovecs); POSIX.1-2017 pread(): EBADF when fildes is not a valid file descriptor open for reading"}
CASE(fd_pread_bad_fd_is_ebadf, "fd_pread") {
    char buf[4];
    __wasi_iovec_t iov = {(uint8_t *)buf, 4};
    __wasi_size_t n;
    EXPECT_ERRNO(__wasi_fd_pread(BAD_FD, &iov, 1, 0, &n), __WASI_ERRNO_BADF);
}

//! fd_pread_on_a_directory_is_an_error {"implementation_defined": {"why": "WASI preview 1 does not say what fd_pread of a directory does, and POSIX's pread() gives EISDIR only where the implementation does not allow reading a directory. EISDIR, or EBADF for a directory fd without the read right, is preferred; another error is allowed", "also": ["errno"]}}
CASE(fd_pread_on_a_directory_is_an_error, "fd_pread") {
    char buf[4];
    __wasi_iovec_t iov = {(uint8_t *)buf, 4};
    __wasi_size_t n;
    __wasi_errno_t e = __wasi_fd_pread(fs(), &iov, 1, 0, &n);
    if (e != __WASI_ERRNO_BADF)
        EXPECT_ERRNO(e, __WASI_ERRNO_ISDIR);
}

//! fd_pwrite_writes_at_an_offset {"mandated": "witx fd_pwrite: writes without using or updating the fd's offset (similar to pwritev); POSIX.1-2017 pwrite(): writes at the given position without changing the file offset; write(): later reads of those bytes return the written data"}
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

//! fd_pwrite_bad_fd_is_ebadf {"mandated": "witx fd_pwrite: similar to pwritev (POSIX pwrite() with iovecs); POSIX.1-2017 pwrite(): EBADF when fildes is not a valid file descriptor open for writing"}
CASE(fd_pwrite_bad_fd_is_ebadf, "fd_pwrite") {
    __wasi_ciovec_t iov = {(const uint8_t *)"x", 1};
    __wasi_size_t n;
    EXPECT_ERRNO(__wasi_fd_pwrite(BAD_FD, &iov, 1, 0, &n), __WASI_ERRNO_BADF);
}

//! fd_close_then_the_fd_is_ebadf {"mandated": "witx fd_close: similar to close in POSIX; POSIX.1-2017 close(): deallocates the fd, and EBADF when fildes is not an open file descriptor; read(): EBADF when fildes is not a valid file descriptor open for reading"}
CASE(fd_close_then_the_fd_is_ebadf, "fd_close fd_read") {
    __wasi_fd_t fd = open_file("file.txt");
    EXPECT_OK(__wasi_fd_close(fd));
    char buf[4];
    __wasi_iovec_t iov = {(uint8_t *)buf, 4};
    __wasi_size_t n;
    EXPECT_ERRNO(__wasi_fd_read(fd, &iov, 1, &n), __WASI_ERRNO_BADF);
    EXPECT_ERRNO(__wasi_fd_close(fd), __WASI_ERRNO_BADF);
}

//! fd_close_bad_fd_is_ebadf {"mandated": "witx fd_close: similar to close in POSIX; POSIX.1-2017 close(): EBADF when fildes is not an open file descriptor"}
CASE(fd_close_bad_fd_is_ebadf, "fd_close") {
    EXPECT_ERRNO(__wasi_fd_close(BAD_FD), __WASI_ERRNO_BADF);
}

//! fd_renumber_moves_an_fd {"mandated": "witx fd_renumber: atomically replaces `to` by renumbering `fd`, so `to` then refers to fd's file and `fd` is no longer open; POSIX.1-2017 close(): EBADF when fildes is not an open file descriptor"}
CASE(fd_renumber_moves_an_fd, "fd_renumber") {
    make_file(fs(), "b.txt", "bbb");
    __wasi_fd_t a = open_file("file.txt"), b = open_file("b.txt");
    EXPECT_OK(__wasi_fd_renumber(a, b));
    char buf[16] = {0};
    EXPECT_EQ(read_some(b, buf, sizeof buf), 12);
    EXPECT_BYTES(buf, "hello, file\n", 12);
    EXPECT_ERRNO(__wasi_fd_close(a), __WASI_ERRNO_BADF);
}

//! fd_renumber_bad_fd_is_ebadf {"mandated": "witx fd_renumber: renumbers an existing fd onto `to` (its text sets it against dup2()); POSIX.1-2017 dup2(): EBADF when fildes is not a valid open file descriptor; typenames errno badf: bad file descriptor"}
CASE(fd_renumber_bad_fd_is_ebadf, "fd_renumber") {
    __wasi_fd_t b = open_file("file.txt");
    EXPECT_ERRNO(__wasi_fd_renumber(BAD_FD, b), __WASI_ERRNO_BADF);
}

/* Found by `wasiport fuzz` (browser_wasi_shim closed the fd). Preview 1's `fd_renumber`
   replaces `to` with `fd`: onto itself that changes nothing, as POSIX's dup2(fd, fd). */
//! fd_renumber_onto_itself_keeps_the_fd_open {"mandated": "witx fd_renumber: replaces `to` by `fd`, which onto itself changes nothing; POSIX.1-2017 dup2(): when fildes equals fildes2 it returns fildes2 without closing it"}
CASE(fd_renumber_onto_itself_keeps_the_fd_open, "fd_renumber fd_read") {
    __wasi_fd_t fd = open_file("file.txt");
    EXPECT_OK(__wasi_fd_renumber(fd, fd));
    char buf[16] = {0};
    EXPECT_EQ(read_some(fd, buf, sizeof buf), 12);
}

/* Found by `wasiport fuzz` (wasmer and node's uvwasi renumber onto any number). Preview 1
   "does not provide a mechanism to ... renumber a file descriptor to an arbitrary number,
   like dup2()": `to` must be open. */
//! fd_renumber_onto_an_fd_not_open_is_ebadf {"mandated": "witx fd_renumber: `to` is the file descriptor to overwrite, and preview 1 gives no way to renumber onto an arbitrary number as dup2() does, so `to` must be open; typenames errno badf: bad file descriptor"}
CASE(fd_renumber_onto_an_fd_not_open_is_ebadf, "fd_renumber") {
    __wasi_fd_t fd = open_file("file.txt");
    EXPECT_ERRNO(__wasi_fd_renumber(fd, BAD_FD), __WASI_ERRNO_BADF);
}

/* Found by `wasiport fuzz` (node's WASI took a negative fd for an argument error). An fd is
   a u32; the largest is as closed as any other. */
//! fd_close_of_fd_u32_max_is_ebadf {"mandated": "witx fd_close: similar to close in POSIX; POSIX.1-2017 close(): EBADF when fildes is not an open file descriptor, whatever its value (here 0xFFFFFFFF, the largest fd)"}
CASE(fd_close_of_fd_u32_max_is_ebadf, "fd_close") {
    EXPECT_ERRNO(__wasi_fd_close((__wasi_fd_t)-1), __WASI_ERRNO_BADF);
}
