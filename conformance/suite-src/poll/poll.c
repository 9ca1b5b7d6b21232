/* poll_oneoff. */
#include "check.h"

//! * {"dirs": ["fs.dir"]}

//! poll_oneoff_relative_clock_sleeps {"mandated": "typenames subclockflags: without abstime the timeout is relative to the clock's current time; eventtype clock: occurs once the clock reaches the timeout; event: carries the subscription's userdata and type, error non-zero only on a failure"}
CASE(poll_oneoff_relative_clock_sleeps, "poll_oneoff clock_time_get") {
    __wasi_subscription_t sub = {0};
    sub.userdata = 42;
    sub.u.tag = __WASI_EVENTTYPE_CLOCK;
    sub.u.u.clock.id = __WASI_CLOCKID_MONOTONIC;
    sub.u.u.clock.timeout = 20000000; /* 20 ms */
    __wasi_event_t ev = {0};
    __wasi_size_t n = 0;
    __wasi_timestamp_t before = 0, after = 0;
    EXPECT_OK(__wasi_clock_time_get(__WASI_CLOCKID_MONOTONIC, 1, &before));
    EXPECT_OK(__wasi_poll_oneoff(&sub, &ev, 1, &n));
    EXPECT_OK(__wasi_clock_time_get(__WASI_CLOCKID_MONOTONIC, 1, &after));
    EXPECT_EQ(n, 1);
    EXPECT_EQ(ev.userdata, 42);
    EXPECT_EQ(ev.type, __WASI_EVENTTYPE_CLOCK);
    EXPECT_EQ(ev.error, 0);
    EXPECT(after - before >= 20000000);
}

//! poll_oneoff_file_is_ready_to_read {"mandated": "typenames eventtype fd_read: always triggers for regular files; event: carries the subscription's userdata and type, error non-zero only on a failure; POSIX.1-2017 poll(): regular files always poll true for reading"}
CASE(poll_oneoff_file_is_ready_to_read, "poll_oneoff") {
    __wasi_fd_t fd;
    EXPECT_OK(open_at(fs(), "file.txt", 0, 0, &fd));
    __wasi_subscription_t sub = {0};
    sub.userdata = 7;
    sub.u.tag = __WASI_EVENTTYPE_FD_READ;
    sub.u.u.fd_read.file_descriptor = fd;
    __wasi_event_t ev = {0};
    __wasi_size_t n = 0;
    EXPECT_OK(__wasi_poll_oneoff(&sub, &ev, 1, &n));
    EXPECT_EQ(n, 1);
    EXPECT_EQ(ev.userdata, 7);
    EXPECT_EQ(ev.type, __WASI_EVENTTYPE_FD_READ);
    EXPECT_EQ(ev.error, 0);
}

/* A standard stream's event: ready, without an error. */
static void expect_ready(__wasi_fd_t fd, __wasi_eventtype_t type) {
    __wasi_subscription_t sub = {0};
    sub.userdata = 5;
    sub.u.tag = type;
    sub.u.u.fd_read.file_descriptor = fd;
    __wasi_event_t ev = {0};
    __wasi_size_t n = 0;
    EXPECT_OK(__wasi_poll_oneoff(&sub, &ev, 1, &n));
    EXPECT_EQ(n, 1);
    EXPECT_EQ(ev.userdata, 5);
    EXPECT_EQ(ev.type, type);
    EXPECT_EQ(ev.error, 0);
}

//! poll_oneoff_stdout_is_ready_to_write {"mandated": "typenames eventtype fd_write: occurs when the fd has capacity for writing (stdout, POSIX STDOUT_FILENO 1, takes writes); event: carries userdata and type, error non-zero only on a failure; POSIX.1-2017 poll(): POLLOUT when data may be written without blocking"}
CASE(poll_oneoff_stdout_is_ready_to_write, "poll_oneoff") {
    expect_ready(1, __WASI_EVENTTYPE_FD_WRITE);
}

//! poll_oneoff_stderr_is_ready_to_write {"mandated": "typenames eventtype fd_write: occurs when the fd has capacity for writing (stderr, POSIX STDERR_FILENO 2, takes writes); event: carries userdata and type, error non-zero only on a failure; POSIX.1-2017 poll(): POLLOUT when data may be written without blocking"}
CASE(poll_oneoff_stderr_is_ready_to_write, "poll_oneoff") {
    expect_ready(2, __WASI_EVENTTYPE_FD_WRITE);
}

/* The runner gives an empty stdin: at its end, a read would not block. */
//! poll_oneoff_stdin_at_its_end_is_ready_to_read {"mandated": "witx eventtype fd_read: the fd has data available for reading (nbytes may be 0); POSIX.1-2017 pselect(): a descriptor is ready for reading when an input call would not block, whether or not it would transfer data (at end of file read returns 0 at once)"}
CASE(poll_oneoff_stdin_at_its_end_is_ready_to_read, "poll_oneoff") {
    expect_ready(0, __WASI_EVENTTYPE_FD_READ);
}

//! poll_oneoff_without_subscriptions_is_einval {"mandated": "witx poll_oneoff: if nsubscriptions is 0, returns errno::inval"}
CASE(poll_oneoff_without_subscriptions_is_einval, "poll_oneoff") {
    __wasi_subscription_t sub = {0};
    __wasi_event_t ev;
    __wasi_size_t n;
    EXPECT_ERRNO(__wasi_poll_oneoff(&sub, &ev, 0, &n), __WASI_ERRNO_INVAL);
}

//! poll_oneoff_bad_fd_is_ebadf_in_the_event {"mandated": "typenames event error: an error from processing a subscription is reported in its event; errno badf: bad file descriptor; POSIX.1-2017 poll(): an invalid fd is flagged (POLLNVAL) in its own entry rather than failing the call"}
CASE(poll_oneoff_bad_fd_is_ebadf_in_the_event, "poll_oneoff") {
    __wasi_subscription_t sub = {0};
    sub.userdata = 9;
    sub.u.tag = __WASI_EVENTTYPE_FD_READ;
    sub.u.u.fd_read.file_descriptor = BAD_FD;
    __wasi_event_t ev = {0};
    __wasi_size_t n = 0;
    __wasi_errno_t e = __wasi_poll_oneoff(&sub, &ev, 1, &n);
    /* Either the call fails with EBADF or the event carries it. */
    EXPECT(e == __WASI_ERRNO_BADF || (e == 0 && n == 1 && ev.error == __WASI_ERRNO_BADF));
}
