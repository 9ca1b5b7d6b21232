/* fd_seek, fd_tell on fs.dir/file.txt ("hello, file\n", 12 bytes). */
#include "check.h"

//! * {"dirs": ["fs.dir"]}

static __wasi_fd_t open_file(void) {
    __wasi_fd_t fd = BAD_FD;
    EXPECT_OK(open_at(fs(), "file.txt", 0, 0, &fd));
    return fd;
}

CASE(fd_seek_set_then_read, "fd_seek fd_read") {
    __wasi_fd_t fd = open_file();
    __wasi_filesize_t pos = 0;
    EXPECT_OK(__wasi_fd_seek(fd, 7, __WASI_WHENCE_SET, &pos));
    EXPECT_EQ(pos, 7);
    char buf[8] = {0};
    EXPECT_EQ(read_some(fd, buf, sizeof buf), 5);
    EXPECT_BYTES(buf, "file\n", 5);
}

CASE(fd_seek_cur_is_relative, "fd_seek") {
    __wasi_fd_t fd = open_file();
    __wasi_filesize_t pos = 0;
    EXPECT_OK(__wasi_fd_seek(fd, 3, __WASI_WHENCE_SET, &pos));
    EXPECT_OK(__wasi_fd_seek(fd, 2, __WASI_WHENCE_CUR, &pos));
    EXPECT_EQ(pos, 5);
    EXPECT_OK(__wasi_fd_seek(fd, -4, __WASI_WHENCE_CUR, &pos));
    EXPECT_EQ(pos, 1);
}

CASE(fd_seek_end_gives_the_size, "fd_seek") {
    __wasi_fd_t fd = open_file();
    __wasi_filesize_t pos = 0;
    EXPECT_OK(__wasi_fd_seek(fd, 0, __WASI_WHENCE_END, &pos));
    EXPECT_EQ(pos, 12);
    EXPECT_OK(__wasi_fd_seek(fd, -5, __WASI_WHENCE_END, &pos));
    EXPECT_EQ(pos, 7);
}

CASE(fd_seek_before_the_start_is_einval, "fd_seek") {
    __wasi_fd_t fd = open_file();
    __wasi_filesize_t pos;
    EXPECT_ERRNO(__wasi_fd_seek(fd, -1, __WASI_WHENCE_SET, &pos), __WASI_ERRNO_INVAL);
}

CASE(fd_seek_bad_whence_is_einval, "fd_seek") {
    __wasi_fd_t fd = open_file();
    __wasi_filesize_t pos;
    EXPECT_ERRNO(__wasi_fd_seek(fd, 0, 7, &pos), __WASI_ERRNO_INVAL);
}

CASE(fd_seek_bad_fd_is_ebadf, "fd_seek") {
    __wasi_filesize_t pos;
    EXPECT_ERRNO(__wasi_fd_seek(BAD_FD, 0, __WASI_WHENCE_SET, &pos), __WASI_ERRNO_BADF);
}

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

CASE(fd_tell_follows_reads, "fd_tell fd_read") {
    __wasi_fd_t fd = open_file();
    char buf[4];
    read_some(fd, buf, 4);
    __wasi_filesize_t pos = 0;
    EXPECT_OK(__wasi_fd_tell(fd, &pos));
    EXPECT_EQ(pos, 4);
}

CASE(fd_tell_bad_fd_is_ebadf, "fd_tell") {
    __wasi_filesize_t pos;
    EXPECT_ERRNO(__wasi_fd_tell(BAD_FD, &pos), __WASI_ERRNO_BADF);
}

CASE(fd_seek_on_a_directory_is_an_error, "fd_seek") {
    __wasi_filesize_t pos;
    __wasi_errno_t e = __wasi_fd_seek(fs(), 0, __WASI_WHENCE_CUR, &pos);
    EXPECT(e == __WASI_ERRNO_BADF || e == __WASI_ERRNO_ISDIR || e == __WASI_ERRNO_SPIPE);
}
