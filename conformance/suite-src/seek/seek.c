/* fd_seek, fd_tell on fs.dir/file.txt ("hello, file\n", 12 bytes). */
#include "check.h"

//! * {"dirs": ["fs.dir"]}

static __wasi_fd_t open_file(void) {
    __wasi_fd_t fd = BAD_FD;
    EXPECT_OK(open_at(fs(), "file.txt", 0, 0, &fd));
    return fd;
}

//! fd_seek_set_then_read {"mandated": "witx fd_seek: similar to lseek in POSIX; POSIX.1-2017 lseek(): SEEK_SET sets the offset to offset and returns it; read(): reads from that offset, no data past end-of-file"}
CASE(fd_seek_set_then_read, "fd_seek fd_read") {
    __wasi_fd_t fd = open_file();
    __wasi_filesize_t pos = 0;
    EXPECT_OK(__wasi_fd_seek(fd, 7, __WASI_WHENCE_SET, &pos));
    EXPECT_EQ(pos, 7);
    char buf[8] = {0};
    EXPECT_EQ(read_some(fd, buf, sizeof buf), 5);
    EXPECT_BYTES(buf, "file\n", 5);
}

//! fd_seek_cur_is_relative {"mandated": "witx fd_seek: similar to lseek in POSIX; POSIX.1-2017 lseek(): SEEK_CUR sets the offset to its current location plus offset (which may be negative) and returns the result"}
CASE(fd_seek_cur_is_relative, "fd_seek") {
    __wasi_fd_t fd = open_file();
    __wasi_filesize_t pos = 0;
    EXPECT_OK(__wasi_fd_seek(fd, 3, __WASI_WHENCE_SET, &pos));
    EXPECT_OK(__wasi_fd_seek(fd, 2, __WASI_WHENCE_CUR, &pos));
    EXPECT_EQ(pos, 5);
    EXPECT_OK(__wasi_fd_seek(fd, -4, __WASI_WHENCE_CUR, &pos));
    EXPECT_EQ(pos, 1);
}

//! fd_seek_end_gives_the_size {"mandated": "witx fd_seek: similar to lseek in POSIX; POSIX.1-2017 lseek(): SEEK_END sets the offset to the size of the file plus offset and returns the resulting offset"}
CASE(fd_seek_end_gives_the_size, "fd_seek") {
    __wasi_fd_t fd = open_file();
    __wasi_filesize_t pos = 0;
    EXPECT_OK(__wasi_fd_seek(fd, 0, __WASI_WHENCE_END, &pos));
    EXPECT_EQ(pos, 12);
    EXPECT_OK(__wasi_fd_seek(fd, -5, __WASI_WHENCE_END, &pos));
    EXPECT_EQ(pos, 7);
}

//! fd_seek_before_the_start_is_einval {"mandated": "witx fd_seek: similar to lseek in POSIX; POSIX.1-2017 lseek(): EINVAL when the resulting file offset would be negative for a regular file"}
CASE(fd_seek_before_the_start_is_einval, "fd_seek") {
    __wasi_fd_t fd = open_file();
    __wasi_filesize_t pos;
    EXPECT_ERRNO(__wasi_fd_seek(fd, -1, __WASI_WHENCE_SET, &pos), __WASI_ERRNO_INVAL);
}

//! fd_seek_bad_whence_is_einval {"mandated": "witx fd_seek: similar to lseek in POSIX (whence is set, cur or end; 7 is none); POSIX.1-2017 lseek(): EINVAL when the whence argument is not a proper value"}
CASE(fd_seek_bad_whence_is_einval, "fd_seek") {
    __wasi_fd_t fd = open_file();
    __wasi_filesize_t pos;
    EXPECT_ERRNO(__wasi_fd_seek(fd, 0, 7, &pos), __WASI_ERRNO_INVAL);
}

//! fd_seek_bad_fd_is_ebadf {"mandated": "witx fd_seek: similar to lseek in POSIX; POSIX.1-2017 lseek(): EBADF when fildes is not an open file descriptor"}
CASE(fd_seek_bad_fd_is_ebadf, "fd_seek") {
    __wasi_filesize_t pos;
    EXPECT_ERRNO(__wasi_fd_seek(BAD_FD, 0, __WASI_WHENCE_SET, &pos), __WASI_ERRNO_BADF);
}

//! fd_seek_past_the_end_then_write_extends {"mandated": "witx fd_seek: similar to lseek in POSIX; POSIX.1-2017 lseek(): the offset may be set beyond the end of the file; write(): writing there sets the file's length to the last byte's position plus one"}
CASE(fd_seek_past_the_end_then_write_extends, "fd_seek fd_write fd_filestat_get") {
    make_file(fs(), "sparse.txt", "ab");
    __wasi_fd_t fd;
    EXPECT_OK(open_at(fs(), "sparse.txt", 0, 0, &fd));
    __wasi_filesize_t pos;
    EXPECT_OK(__wasi_fd_seek(fd, 10, __WASI_WHENCE_SET, &pos));
    __wasi_ciovec_t iov = {(const uint8_t *)"z", 1};
    __wasi_size_t n;
    EXPECT_OK(__wasi_fd_write(fd, &iov, 1, &n));
    __wasi_filestat_t st;
    EXPECT_OK(__wasi_fd_filestat_get(fd, &st));
    EXPECT_EQ(st.size, 11);
}

//! fd_tell_follows_reads {"mandated": "witx fd_tell: similar to lseek(fd, 0, SEEK_CUR) in POSIX; POSIX.1-2017 read(): the file offset is incremented by the number of bytes actually read"}
CASE(fd_tell_follows_reads, "fd_tell fd_read") {
    __wasi_fd_t fd = open_file();
    char buf[4];
    read_some(fd, buf, 4);
    __wasi_filesize_t pos = 0;
    EXPECT_OK(__wasi_fd_tell(fd, &pos));
    EXPECT_EQ(pos, 4);
}

//! fd_tell_bad_fd_is_ebadf {"mandated": "witx fd_tell: similar to lseek(fd, 0, SEEK_CUR) in POSIX; POSIX.1-2017 lseek(): EBADF when fildes is not an open file descriptor"}
CASE(fd_tell_bad_fd_is_ebadf, "fd_tell") {
    __wasi_filesize_t pos;
    EXPECT_ERRNO(__wasi_fd_tell(BAD_FD, &pos), __WASI_ERRNO_BADF);
}

//! fd_seek_on_a_directory_is_an_error {"implementation_defined": {"why": "WASI preview 1 does not say what fd_seek of a directory does, and POSIX's lseek() allows it (Linux seeks a directory). An error (EBADF: the directory's fd has no fd_seek right in wasmtime's rights; EISDIR or ESPIPE) is preferred; another error, or success (the guest exits 3), is allowed", "also": ["errno", {"exit_code": 3}]}}
CASE(fd_seek_on_a_directory_is_an_error, "fd_seek") {
    __wasi_filesize_t pos;
    __wasi_errno_t e = __wasi_fd_seek(fs(), 0, __WASI_WHENCE_CUR, &pos);
    if (e == __WASI_ERRNO_SUCCESS)
        __wasi_proc_exit(3);
    if (e != __WASI_ERRNO_ISDIR && e != __WASI_ERRNO_SPIPE)
        EXPECT_ERRNO(e, __WASI_ERRNO_BADF);
}
