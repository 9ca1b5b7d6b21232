/* proc_exit, proc_raise. */
#include "check.h"

//! proc_exit_sets_the_exit_code {"exit_code": 42}
//! proc_exit_sets_the_exit_code {"mandated": "witx proc_exit: terminates the process normally, rval being the exit code returned by the process (42)"}
CASE(proc_exit_sets_the_exit_code, "proc_exit") {
    __wasi_proc_exit(42);
}

//! proc_exit_zero {"mandated": "witx proc_exit: terminates the process normally; an exit code of 0 indicates successful termination"}
CASE(proc_exit_zero, "proc_exit") {
    __wasi_proc_exit(0);
}

//! proc_exit_does_not_return {"exit_code": 7}
//! proc_exit_does_not_return {"mandated": "witx proc_exit: terminates the process and is marked noreturn, so nothing after it runs and the exit code is its argument (7)"}
CASE(proc_exit_does_not_return, "proc_exit") {
    __wasi_proc_exit(7);
    say("proc_exit returned\n");
    failures++;
}

/* wasi-libc no longer declares proc_raise. */
__attribute__((import_module("wasi_snapshot_preview1"), import_name("proc_raise")))
int32_t raw_proc_raise(int32_t signal);

/* SIGUSR1 in WASI's numbering. */
#define WASI_SIGUSR1 10

/* proc_raise is gone from later WASI versions and no sandboxed runtime delivers signals: the
 * portable answer is "not supported", ENOSYS or ENOTSUP. */
//! proc_raise_is_not_supported_is_enosys {"implementation_defined": {"why": "WASI preview 1 says of `proc_raise` only \"Send a signal to the process of the calling thread\", and later WASI versions dropped it. Not supported (ENOSYS or ENOTSUP) is preferred; another error, or a trap, is allowed", "also": ["errno", "trap"]}}
CASE(proc_raise_is_not_supported_is_enosys, "proc_raise") {
    int32_t e = raw_proc_raise(WASI_SIGUSR1);
    if (e != __WASI_ERRNO_NOSYS && e != __WASI_ERRNO_NOTSUP) {
        fail_at(__LINE__, "raw_proc_raise(WASI_SIGUSR1): expected errno 52 (or 58), got ");
        say_num(e);
        say("\n");
    }
}
