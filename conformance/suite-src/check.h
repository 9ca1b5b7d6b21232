/*
 * The harness of the conformance guests: raw WASI preview-1 calls (wasi/api.h), checks that
 * report to stderr and count failures, and no libc stdio, so that each guest calls little
 * beyond what it tests.
 *
 * A source file holds several cases:
 *
 *     CASE(fd_close_twice_is_ebadf, "fd_close") { ... }
 *
 * The suite builder compiles the file once per case with -DRUN_CASE=case_<name>, so each case is
 * a wasm module of its own, and writes <name>.json beside it from the feature list and from
 * `//! <name> {json}` lines (or `//! * {json}` for every case of the file).
 */
#include <stdint.h>
#include <string.h>
#include <wasi/api.h>

static int failures;

#define CASE(name, features) static void case_##name(void)

static void put(int fd, const char *s, size_t len) {
    __wasi_ciovec_t iov = {(const uint8_t *)s, len};
    __wasi_size_t n;
    (void)__wasi_fd_write(fd, &iov, 1, &n);
}

static void say(const char *s) { put(2, s, strlen(s)); }

static void say_num(long long v) {
    char buf[24];
    int i = sizeof buf;
    unsigned long long u = v < 0 ? -(unsigned long long)v : (unsigned long long)v;
    do {
        buf[--i] = '0' + (u % 10);
        u /= 10;
    } while (u);
    if (v < 0) buf[--i] = '-';
    put(2, buf + i, sizeof buf - i);
}

static void fail_at(int line, const char *what) {
    failures++;
    say("line ");
    say_num(line);
    say(": ");
    say(what);
}

/* The call must return this errno (0 for success). */
#define EXPECT_ERRNO(call, expected)                                                          \
    do {                                                                                      \
        __wasi_errno_t e_ = (call);                                                           \
        if (e_ != (expected)) {                                                               \
            fail_at(__LINE__, #call ": expected errno ");                                     \
            say_num(expected);                                                                \
            say(", got ");                                                                    \
            say_num(e_);                                                                      \
            say("\n");                                                                        \
        }                                                                                     \
    } while (0)

#define EXPECT_OK(call) EXPECT_ERRNO(call, 0)

/* The call must be refused as a read-only preopen refuses a change: EPERM, EACCES, EROFS or
 * ENOTCAPABLE all count; which one is a runtime's choice. */
#define EXPECT_REFUSED(call)                                                                  \
    do {                                                                                      \
        __wasi_errno_t e_ = (call);                                                           \
        if (e_ != __WASI_ERRNO_PERM && e_ != __WASI_ERRNO_ACCES && e_ != __WASI_ERRNO_ROFS && \
            e_ != __WASI_ERRNO_NOTCAPABLE) {                                                  \
            fail_at(__LINE__, #call ": expected a refusal (EPERM, EACCES, EROFS, ENOTCAPABLE), got "); \
            say_num(e_);                                                                      \
            say("\n");                                                                        \
        }                                                                                     \
    } while (0)

#define EXPECT_EQ(actual, expected)                                                           \
    do {                                                                                      \
        long long a_ = (long long)(actual), x_ = (long long)(expected);                       \
        if (a_ != x_) {                                                                       \
            fail_at(__LINE__, #actual ": expected ");                                         \
            say_num(x_);                                                                      \
            say(", got ");                                                                    \
            say_num(a_);                                                                      \
            say("\n");                                                                        \
        }                                                                                     \
    } while (0)

#define EXPECT(cond)                                                                          \
    do {                                                                                      \
        if (!(cond)) {                                                                        \
            fail_at(__LINE__, "expected " #cond "\n");                                        \
        }                                                                                     \
    } while (0)

#define EXPECT_BYTES(actual, expected, len)                                                   \
    do {                                                                                      \
        if (memcmp((actual), (expected), (len)) != 0) {                                       \
            fail_at(__LINE__, #actual " differs from " #expected "\n");                       \
        }                                                                                     \
    } while (0)

/* The fd of the preopened directory whose guest path is `name`, or -1 (after a failure). */
static __wasi_fd_t preopen(const char *name) {
    size_t len = strlen(name);
    for (__wasi_fd_t fd = 3; fd < 64; fd++) {
        __wasi_prestat_t st;
        if (__wasi_fd_prestat_get(fd, &st) != 0) continue;
        if (st.tag != __WASI_PREOPENTYPE_DIR || st.u.dir.pr_name_len != len) continue;
        char buf[256];
        if (len > sizeof buf) continue;
        if (__wasi_fd_prestat_dir_name(fd, (uint8_t *)buf, len) != 0) continue;
        if (memcmp(buf, name, len) == 0) return fd;
    }
    fail_at(__LINE__, "no preopened directory named ");
    say(name);
    say("\n");
    return (__wasi_fd_t)-1;
}

/* The read-write fixture directory (`fs.dir`) and the read-only one (`ro.dir`). */
static __wasi_fd_t fs(void) { return preopen("fs.dir"); }
static __wasi_fd_t ro(void) { return preopen("ro.dir"); }

/* Every right preview 1 defines (bits 0 to 29); runtimes reject undefined bits. */
static const __wasi_rights_t ALL_RIGHTS = ((__wasi_rights_t)1 << 30) - 1;

/* Opens `path` under `dir` with every right `dir` can hand on (its inheriting rights, as
   wasi-libc's `openat` asks for), or every right where `dir` has no fdstat; `oflags` as given.
   A runtime that checks rights (WasmEdge) refuses more than the directory can hand on with
   ENOTCAPABLE, which is not what the tests that open files are about. */
static __wasi_errno_t open_at(__wasi_fd_t dir, const char *path, __wasi_oflags_t oflags,
                              __wasi_fdflags_t fdflags, __wasi_fd_t *fd) {
    __wasi_fdstat_t st;
    __wasi_rights_t rights = ALL_RIGHTS;
    if (__wasi_fd_fdstat_get(dir, &st) == __WASI_ERRNO_SUCCESS) {
        rights = st.fs_rights_inheriting;
    }
    return __wasi_path_open(dir, __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW, path, oflags, rights, rights,
                            fdflags, fd);
}

/* Writes `text` to a new file `path` under `dir`, replacing it. */
static void make_file(__wasi_fd_t dir, const char *path, const char *text) {
    __wasi_fd_t fd;
    EXPECT_OK(open_at(dir, path, __WASI_OFLAGS_CREAT | __WASI_OFLAGS_TRUNC, 0, &fd));
    __wasi_ciovec_t iov = {(const uint8_t *)text, strlen(text)};
    __wasi_size_t n;
    EXPECT_OK(__wasi_fd_write(fd, &iov, 1, &n));
    EXPECT_EQ(n, strlen(text));
    EXPECT_OK(__wasi_fd_close(fd));
}

/* Reads up to `cap` bytes of `fd` from its current offset; returns how many. */
static size_t read_some(__wasi_fd_t fd, char *buf, size_t cap) {
    __wasi_iovec_t iov = {(uint8_t *)buf, cap};
    __wasi_size_t n = 0;
    EXPECT_OK(__wasi_fd_read(fd, &iov, 1, &n));
    return n;
}

/* An fd number nothing is open on. */
#define BAD_FD ((__wasi_fd_t)1234)

#ifndef RUN_CASE
#error "compile with -DRUN_CASE=case_<name>"
#endif

/* The case this module runs, named by the builder; the file defines it further down. */
static void RUN_CASE(void);

int main(void) {
    RUN_CASE();
    return failures ? 1 : 0;
}
