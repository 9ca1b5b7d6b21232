/* sock_accept, sock_recv, sock_send, sock_shutdown: without a preopened socket (RunConfig
 * grants none) only their error paths can be tested: a bad fd, and a file that is no socket. */
#include "check.h"

//! * {"dirs": ["fs.dir"]}

static __wasi_fd_t a_file(void) {
    __wasi_fd_t fd = BAD_FD;
    EXPECT_OK(open_at(fs(), "file.txt", 0, 0, &fd));
    return fd;
}

//! sock_accept_bad_fd_is_ebadf {"mandated": "witx sock_accept: similar to accept in POSIX; POSIX.1-2017 accept(): EBADF when the socket argument is not a valid file descriptor"}
CASE(sock_accept_bad_fd_is_ebadf, "sock_accept") {
    __wasi_fd_t fd;
    EXPECT_ERRNO(__wasi_sock_accept(BAD_FD, 0, &fd), __WASI_ERRNO_BADF);
}

//! sock_accept_on_a_file_is_enotsock {"mandated": "witx sock_accept: similar to accept in POSIX; POSIX.1-2017 accept(): ENOTSOCK when the socket argument does not refer to a socket (here a regular file)"}
CASE(sock_accept_on_a_file_is_enotsock, "sock_accept") {
    __wasi_fd_t fd;
    EXPECT_ERRNO(__wasi_sock_accept(a_file(), 0, &fd), __WASI_ERRNO_NOTSOCK);
}

//! sock_recv_bad_fd_is_ebadf {"mandated": "witx sock_recv: similar to recv in POSIX; POSIX.1-2017 recv(): EBADF when the socket argument is not a valid file descriptor"}
CASE(sock_recv_bad_fd_is_ebadf, "sock_recv") {
    char buf[4];
    __wasi_iovec_t iov = {(uint8_t *)buf, 4};
    __wasi_size_t n;
    __wasi_roflags_t flags;
    EXPECT_ERRNO(__wasi_sock_recv(BAD_FD, &iov, 1, 0, &n, &flags), __WASI_ERRNO_BADF);
}

//! sock_recv_on_a_file_is_enotsock {"mandated": "witx sock_recv: similar to recv in POSIX; POSIX.1-2017 recv(): ENOTSOCK when the socket argument does not refer to a socket (here a regular file)"}
CASE(sock_recv_on_a_file_is_enotsock, "sock_recv") {
    char buf[4];
    __wasi_iovec_t iov = {(uint8_t *)buf, 4};
    __wasi_size_t n;
    __wasi_roflags_t flags;
    EXPECT_ERRNO(__wasi_sock_recv(a_file(), &iov, 1, 0, &n, &flags), __WASI_ERRNO_NOTSOCK);
}

//! sock_send_bad_fd_is_ebadf {"mandated": "witx sock_send: similar to send in POSIX; POSIX.1-2017 send(): EBADF when the socket argument is not a valid file descriptor"}
CASE(sock_send_bad_fd_is_ebadf, "sock_send") {
    __wasi_ciovec_t iov = {(const uint8_t *)"x", 1};
    __wasi_size_t n;
    EXPECT_ERRNO(__wasi_sock_send(BAD_FD, &iov, 1, 0, &n), __WASI_ERRNO_BADF);
}

//! sock_send_on_a_file_is_enotsock {"mandated": "witx sock_send: similar to send in POSIX; POSIX.1-2017 send(): ENOTSOCK when the socket argument does not refer to a socket (here a regular file)"}
CASE(sock_send_on_a_file_is_enotsock, "sock_send") {
    __wasi_ciovec_t iov = {(const uint8_t *)"x", 1};
    __wasi_size_t n;
    EXPECT_ERRNO(__wasi_sock_send(a_file(), &iov, 1, 0, &n), __WASI_ERRNO_NOTSOCK);
}

//! sock_shutdown_bad_fd_is_ebadf {"mandated": "witx sock_shutdown: similar to shutdown in POSIX; POSIX.1-2017 shutdown(): EBADF when the socket argument is not a valid file descriptor"}
CASE(sock_shutdown_bad_fd_is_ebadf, "sock_shutdown") {
    EXPECT_ERRNO(__wasi_sock_shutdown(BAD_FD, __WASI_SDFLAGS_WR), __WASI_ERRNO_BADF);
}

//! sock_shutdown_on_a_file_is_enotsock {"mandated": "witx sock_shutdown: similar to shutdown in POSIX; POSIX.1-2017 shutdown(): ENOTSOCK when the socket argument does not refer to a socket (here a regular file)"}
CASE(sock_shutdown_on_a_file_is_enotsock, "sock_shutdown") {
    EXPECT_ERRNO(__wasi_sock_shutdown(a_file(), __WASI_SDFLAGS_WR), __WASI_ERRNO_NOTSOCK);
}
