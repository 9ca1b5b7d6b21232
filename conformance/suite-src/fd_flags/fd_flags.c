/* fd_fdstat_get, fd_fdstat_set_flags, fd_fdstat_set_rights, fd_advise, fd_allocate,
 * fd_datasync, fd_sync. */
#include "check.h"

//! * {"dirs": ["fs.dir"]}

static __wasi_fd_t open_file(const char *path) {
    __wasi_fd_t fd = BAD_FD;
    EXPECT_OK(open_at(fs(), path, 0, 0, &fd));
    return fd;
}

//! fd_fdstat_get_of_a_file {"mandated": "witx fd_fdstat_get: returns the fd's fdstat, whose fs_filetype is regular_file for a regular file; witx path_open: an fd may lack requested rights only if they do not apply to its file type, so fd_read (asked for via the directory's inheriting rights) stays"}
CASE(fd_fdstat_get_of_a_file, "fd_fdstat_get") {
    __wasi_fdstat_t st;
    EXPECT_OK(__wasi_fd_fdstat_get(open_file("file.txt"), &st));
    EXPECT_EQ(st.fs_filetype, __WASI_FILETYPE_REGULAR_FILE);
    EXPECT(st.fs_rights_base & __WASI_RIGHTS_FD_READ);
}

//! fd_fdstat_get_of_a_preopen {"mandated": "witx prestat: preopentype::dir is a pre-opened directory; witx fd_fdstat_get: its fdstat's fs_filetype is then filetype::directory"}
CASE(fd_fdstat_get_of_a_preopen, "fd_fdstat_get") {
    __wasi_fdstat_t st;
    EXPECT_OK(__wasi_fd_fdstat_get(fs(), &st));
    EXPECT_EQ(st.fs_filetype, __WASI_FILETYPE_DIRECTORY);
}

//! fd_fdstat_get_shows_append {"mandated": "witx fd_fdstat_get: returns flags similar to fcntl(fd, F_GETFL) in POSIX; POSIX.1-2017 fcntl(): F_GETFL returns the file status flags, including O_APPEND set at open (here path_open's fdflags::append)"}
CASE(fd_fdstat_get_shows_append, "fd_fdstat_get path_open") {
    __wasi_fd_t fd;
    EXPECT_OK(open_at(fs(), "file.txt", 0, __WASI_FDFLAGS_APPEND, &fd));
    __wasi_fdstat_t st;
    EXPECT_OK(__wasi_fd_fdstat_get(fd, &st));
    EXPECT(st.fs_flags & __WASI_FDFLAGS_APPEND);
}

//! fd_fdstat_get_bad_fd_is_ebadf {"mandated": "witx fd_fdstat_get: similar to fcntl(fd, F_GETFL) in POSIX; POSIX.1-2017 fcntl(): EBADF when fildes is not a valid open file descriptor"}
CASE(fd_fdstat_get_bad_fd_is_ebadf, "fd_fdstat_get") {
    __wasi_fdstat_t st;
    EXPECT_ERRNO(__wasi_fd_fdstat_get(BAD_FD, &st), __WASI_ERRNO_BADF);
}

//! fd_fdstat_set_flags_append_writes_at_the_end {"mandated": "witx fd_fdstat_set_flags: sets the fd's flags, similar to fcntl(fd, F_SETFL, flags) in POSIX; witx fdflags append: data written is always appended to the file's end, so Z lands after abc"}
CASE(fd_fdstat_set_flags_append_writes_at_the_end, "fd_fdstat_set_flags fd_write fd_pread") {
    make_file(fs(), "a.txt", "abc");
    __wasi_fd_t fd = open_file("a.txt");
    EXPECT_OK(__wasi_fd_fdstat_set_flags(fd, __WASI_FDFLAGS_APPEND));
    __wasi_ciovec_t iov = {(const uint8_t *)"Z", 1};
    __wasi_size_t n;
    EXPECT_OK(__wasi_fd_write(fd, &iov, 1, &n));
    char buf[8] = {0};
    __wasi_iovec_t r = {(uint8_t *)buf, sizeof buf};
    EXPECT_OK(__wasi_fd_pread(fd, &r, 1, 0, &n));
    EXPECT_EQ(n, 4);
    EXPECT_BYTES(buf, "abcZ", 4);
}

//! fd_fdstat_set_flags_bad_fd_is_ebadf {"mandated": "witx fd_fdstat_set_flags: similar to fcntl(fd, F_SETFL, flags) in POSIX; POSIX.1-2017 fcntl(): EBADF when fildes is not a valid open file descriptor"}
CASE(fd_fdstat_set_flags_bad_fd_is_ebadf, "fd_fdstat_set_flags") {
    EXPECT_ERRNO(__wasi_fd_fdstat_set_flags(BAD_FD, 0), __WASI_ERRNO_BADF);
}

//! fd_fdstat_set_rights_drops_rights {"mandated": "witx fd_fdstat_set_rights: adjusts an fd's rights and can only remove them, so fd_fdstat_get no longer shows fd_write; witx rights fd_write: the right to invoke fd_write, so the write is refused"}
CASE(fd_fdstat_set_rights_drops_rights, "fd_fdstat_set_rights fd_fdstat_get") {
    __wasi_fd_t fd = open_file("file.txt");
    EXPECT_OK(__wasi_fd_fdstat_set_rights(fd, __WASI_RIGHTS_FD_READ, 0));
    __wasi_fdstat_t st;
    EXPECT_OK(__wasi_fd_fdstat_get(fd, &st));
    EXPECT_EQ(st.fs_rights_base & __WASI_RIGHTS_FD_WRITE, 0);
    __wasi_ciovec_t iov = {(const uint8_t *)"x", 1};
    __wasi_size_t n;
    EXPECT(__wasi_fd_write(fd, &iov, 1, &n) != 0);
}

//! fd_fdstat_set_rights_bad_fd_is_ebadf {"mandated": "witx errno badf: bad file descriptor; POSIX.1-2017 2.3 Error Numbers: EBADF when a file descriptor argument is out of range or refers to no open file"}
CASE(fd_fdstat_set_rights_bad_fd_is_ebadf, "fd_fdstat_set_rights") {
    EXPECT_ERRNO(__wasi_fd_fdstat_set_rights(BAD_FD, 0, 0), __WASI_ERRNO_BADF);
}

//! fd_advise_normal {"mandated": "witx fd_advise: similar to posix_fadvise in POSIX; POSIX.1-2017 posix_fadvise(): returns zero on success, POSIX_FADV_NORMAL (witx advice::normal) being a valid advice for a regular file"}
CASE(fd_advise_normal, "fd_advise") {
    EXPECT_OK(__wasi_fd_advise(open_file("file.txt"), 0, 12, __WASI_ADVICE_NORMAL));
}

//! fd_advise_bad_fd_is_ebadf {"mandated": "witx fd_advise: similar to posix_fadvise in POSIX; POSIX.1-2017 posix_fadvise(): EBADF when fd is not a valid file descriptor"}
CASE(fd_advise_bad_fd_is_ebadf, "fd_advise") {
    EXPECT_ERRNO(__wasi_fd_advise(BAD_FD, 0, 1, __WASI_ADVICE_NORMAL), __WASI_ERRNO_BADF);
}

//! fd_advise_unknown_advice_is_einval {"mandated": "witx advice: six values (normal to noreuse), 99 is none of them; witx fd_advise: similar to posix_fadvise in POSIX; POSIX.1-2017 posix_fadvise(): EINVAL when the value of advice is invalid"}
CASE(fd_advise_unknown_advice_is_einval, "fd_advise") {
    EXPECT_ERRNO(__wasi_fd_advise(open_file("file.txt"), 0, 1, 99), __WASI_ERRNO_INVAL);
}

//! fd_allocate_grows_a_file {"mandated": "witx fd_allocate: similar to posix_fallocate in POSIX; POSIX.1-2017 posix_fallocate(): when offset+len is beyond the file size, the size becomes offset+len (2 bytes grown to 100)"}
CASE(fd_allocate_grows_a_file, "fd_allocate fd_filestat_get") {
    make_file(fs(), "alloc.txt", "ab");
    __wasi_fd_t fd = open_file("alloc.txt");
    EXPECT_OK(__wasi_fd_allocate(fd, 0, 100));
    __wasi_filestat_t st;
    EXPECT_OK(__wasi_fd_filestat_get(fd, &st));
    EXPECT_EQ(st.size, 100);
}

//! fd_allocate_bad_fd_is_ebadf {"mandated": "witx fd_allocate: similar to posix_fallocate in POSIX; POSIX.1-2017 posix_fallocate(): EBADF when fd is not a valid file descriptor"}
CASE(fd_allocate_bad_fd_is_ebadf, "fd_allocate") {
    EXPECT_ERRNO(__wasi_fd_allocate(BAD_FD, 0, 1), __WASI_ERRNO_BADF);
}

//! fd_datasync_after_a_write {"mandated": "witx fd_datasync: similar to fdatasync in POSIX; POSIX.1-2017 fdatasync(): forces the file's queued I/O to synchronized completion and returns 0 on success"}
CASE(fd_datasync_after_a_write, "fd_datasync") {
    make_file(fs(), "d.txt", "data");
    EXPECT_OK(__wasi_fd_datasync(open_file("d.txt")));
}

//! fd_datasync_bad_fd_is_ebadf {"mandated": "witx fd_datasync: similar to fdatasync in POSIX; POSIX.1-2017 fdatasync(): EBADF when fildes is not a valid file descriptor"}
CASE(fd_datasync_bad_fd_is_ebadf, "fd_datasync") {
    EXPECT_ERRNO(__wasi_fd_datasync(BAD_FD), __WASI_ERRNO_BADF);
}

//! fd_sync_after_a_write {"mandated": "witx fd_sync: similar to fsync in POSIX; POSIX.1-2017 fsync(): transfers the file's data to its storage device and returns 0 on success"}
CASE(fd_sync_after_a_write, "fd_sync") {
    make_file(fs(), "s.txt", "data");
    EXPECT_OK(__wasi_fd_sync(open_file("s.txt")));
}

//! fd_sync_bad_fd_is_ebadf {"mandated": "witx fd_sync: similar to fsync in POSIX; POSIX.1-2017 fsync(): EBADF when fildes is not a valid descriptor"}
CASE(fd_sync_bad_fd_is_ebadf, "fd_sync") {
    EXPECT_ERRNO(__wasi_fd_sync(BAD_FD), __WASI_ERRNO_BADF);
}

/* Found by `wasiport fuzz` (node's uvwasi passed on Linux's O_LARGEFILE, 0x8000). Preview 1's
   fdflags are five bits: append, dsync, nonblock, rsync, sync. */
//! fd_fdstat_get_shows_only_preview_1_fdflags {"mandated": "witx fdflags: defines five flags only, append, dsync, nonblock, rsync and sync (bits 0 to 4); witx fdstat.fs_flags is of that type, so fd_fdstat_get reports no other bit (such as a host's O_LARGEFILE)"}
CASE(fd_fdstat_get_shows_only_preview_1_fdflags, "fd_fdstat_get") {
    __wasi_fdstat_t st;
    EXPECT_OK(__wasi_fd_fdstat_get(fs(), &st));
    EXPECT_EQ(st.fs_flags & ~0x1f, 0);
    EXPECT_OK(__wasi_fd_fdstat_get(open_file("file.txt"), &st));
    EXPECT_EQ(st.fs_flags & ~0x1f, 0);
}
