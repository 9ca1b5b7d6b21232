/* poll_oneoff. */
#include "check.h"

//! * {"dirs": ["fs.dir"]}

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

CASE(poll_oneoff_stdout_is_ready_to_write, "poll_oneoff") {
    expect_ready(1, __WASI_EVENTTYPE_FD_WRITE);
}

CASE(poll_oneoff_stderr_is_ready_to_write, "poll_oneoff") {
    expect_ready(2, __WASI_EVENTTYPE_FD_WRITE);
}

/* The runner gives an empty stdin: at its end, a read would not block. */
CASE(poll_oneoff_stdin_at_its_end_is_ready_to_read, "poll_oneoff") {
    expect_ready(0, __WASI_EVENTTYPE_FD_READ);
}

CASE(poll_oneoff_without_subscriptions_is_einval, "poll_oneoff") {
    __wasi_subscription_t sub = {0};
    __wasi_event_t ev;
    __wasi_size_t n;
    EXPECT_ERRNO(__wasi_poll_oneoff(&sub, &ev, 0, &n), __WASI_ERRNO_INVAL);
}

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
