/* clock_res_get, clock_time_get. */
#include "check.h"

//! clock_res_get_realtime {"mandated": "witx clock_res_get: a non-zero resolution for supported clocks, similar to clock_getres in POSIX; POSIX.1-2017 clock_getres(): every implementation supports CLOCK_REALTIME, and limits.h's _POSIX_CLOCKRES_MIN caps its resolution at 20 ms"}
CASE(clock_res_get_realtime, "clock_res_get") {
    __wasi_timestamp_t res = 0;
    EXPECT_OK(__wasi_clock_res_get(__WASI_CLOCKID_REALTIME, &res));
    EXPECT(res > 0 && res <= 1000000000ull);
}

//! clock_res_get_monotonic {"mandated": "witx clockid monotonic: the store-wide monotonic clock; witx clock_res_get: a non-zero resolution for supported clocks (similar to clock_getres); POSIX.1-2017 limits.h: CLOCK_MONOTONIC's resolution is at most _POSIX_CLOCKRES_MIN, 20 ms"}
CASE(clock_res_get_monotonic, "clock_res_get") {
    __wasi_timestamp_t res = 0;
    EXPECT_OK(__wasi_clock_res_get(__WASI_CLOCKID_MONOTONIC, &res));
    EXPECT(res > 0 && res <= 1000000000ull);
}

//! clock_res_get_unknown_clock_is_einval {"mandated": "witx clock_res_get: for unsupported clocks, return errno::inval (99 is no clockid); POSIX.1-2017 clock_getres(): EINVAL when clock_id does not specify a known clock"}
CASE(clock_res_get_unknown_clock_is_einval, "clock_res_get") {
    __wasi_timestamp_t res;
    EXPECT_ERRNO(__wasi_clock_res_get(99, &res), __WASI_ERRNO_INVAL);
}

//! clock_time_get_realtime_is_after_2020 {"mandated": "witx clockid realtime: the clock measuring real time, value zero being 1970-01-01T00:00:00Z, so now reads past 2020-01-01 (1577836800 s); witx clock_time_get: similar to clock_gettime in POSIX, where CLOCK_REALTIME is time since the Epoch"}
CASE(clock_time_get_realtime_is_after_2020, "clock_time_get") {
    __wasi_timestamp_t t = 0;
    EXPECT_OK(__wasi_clock_time_get(__WASI_CLOCKID_REALTIME, 1, &t));
    EXPECT(t > 1577836800ull * 1000000000ull);
}

//! clock_time_get_monotonic_does_not_go_back {"mandated": "witx clockid monotonic: measures real time, cannot be adjusted and cannot have negative clock jumps, so a later reading is never smaller"}
CASE(clock_time_get_monotonic_does_not_go_back, "clock_time_get") {
    __wasi_timestamp_t a = 0, b = 0;
    EXPECT_OK(__wasi_clock_time_get(__WASI_CLOCKID_MONOTONIC, 1, &a));
    for (volatile int i = 0; i < 100000; i++) {
    }
    EXPECT_OK(__wasi_clock_time_get(__WASI_CLOCKID_MONOTONIC, 1, &b));
    EXPECT(b >= a);
}

//! clock_time_get_unknown_clock_is_einval {"mandated": "witx clock_time_get: similar to clock_gettime in POSIX; POSIX.1-2017 clock_gettime(): EINVAL when clock_id does not specify a known clock (99 is no witx clockid)"}
CASE(clock_time_get_unknown_clock_is_einval, "clock_time_get") {
    __wasi_timestamp_t t;
    EXPECT_ERRNO(__wasi_clock_time_get(99, 1, &t), __WASI_ERRNO_INVAL);
}

//! clock_time_get_out_of_bounds_is_efault {"implementation_defined": {"why": "WASI preview 1 does not say what a function does with a guest pointer outside memory: its `errno` list has `fault` (\"Bad address.\") but says not every code is returned by its functions, and no function names it. EFAULT is preferred; another error, or a trap, is allowed", "also": ["errno", "trap"]}}
CASE(clock_time_get_out_of_bounds_is_efault, "clock_time_get") {
    __wasi_timestamp_t *p = (__wasi_timestamp_t *)(__builtin_wasm_memory_size(0) * 65536 - 4);
    EXPECT_ERRNO(__wasi_clock_time_get(__WASI_CLOCKID_REALTIME, 1, p), __WASI_ERRNO_FAULT);
}
