// wasi:clocks 0.2: the monotonic clock (and its pollables) and the wall clock.
//! monotonic_now_does_not_go_back {"mandated": "WIT wasi:clocks/monotonic-clock@0.2.12 now: the clock is monotonic, so calling it repeatedly gives a sequence of non-decreasing values"}
//! subscribe_duration_waits_that_long {"mandated": "WIT wasi:clocks/monotonic-clock@0.2.12 subscribe-duration: resolves after the duration has elapsed from the call; wasi:io/poll@0.2.12 pollable.block: blocks until ready, so 5 ms have passed"}
//! subscribe_duration_of_zero_is_ready {"mandated": "WIT wasi:clocks/monotonic-clock@0.2.12 subscribe-duration: resolves after the duration (here none) has elapsed; wasi:io/poll@0.2.12 block returns once it is ready, and ready then returns true"}
//! subscribe_instant_waits_until_then {"mandated": "WIT wasi:clocks/monotonic-clock@0.2.12 subscribe-instant: resolves once the instant has occurred; wasi:io/poll@0.2.12 pollable.block: blocks until ready, so now is at least that instant"}
//! subscribe_instant_in_the_past_is_ready_at_once {"mandated": "WIT wasi:clocks/monotonic-clock@0.2.12 subscribe-instant: resolves once the instant has occurred, and instant 0 has; wasi:io/poll@0.2.12 block returns immediately if ready, and ready is then true"}
//! subscribe_far_ahead_is_not_ready {"mandated": "WIT wasi:clocks/monotonic-clock@0.2.12 subscribe-duration: resolves only after the duration (an hour) has elapsed; wasi:io/poll@0.2.12 pollable.ready: never blocks, false while not ready"}
//! wall_now_is_a_date {"mandated": "WIT wasi:clocks/wall-clock@0.2.12 now: the current date and time as seconds since 1970-01-01T00:00:00Z (POSIX Seconds Since the Epoch), so after 2020; its nanoseconds are always below 1000000000"}
//! monotonic_resolution_is_positive {"mandated": "WIT wasi:clocks/monotonic-clock@0.2 resolution: the duration of a clock tick (a tick that takes no time is no tick; preview 1's witx clock_res_get says outright that the resolution of a supported clock is non-zero)"}
//! wall_resolution_is_under_a_second_and_positive {"mandated": "WIT wasi:clocks/wall-clock@0.2 resolution: the nanoseconds field is always less than 1 000 000 000; a resolution is the duration of a tick, so not zero (preview 1's witx clock_res_get: non-zero for a supported clock)"}
use guest::{case, check};
use wasip2::clocks::{monotonic_clock, wall_clock};

/// 2020-01-01T00:00:00Z: a wall clock before it is not telling the time.
const Y2020: u64 = 1_577_836_800;

fn main() {
    guest::main(&[
        case!(monotonic_now_does_not_go_back, "wasi:clocks/monotonic-clock#now", {
            let a = monotonic_clock::now();
            let b = monotonic_clock::now();
            check!(a <= b);
        }),
        case!(monotonic_resolution_is_positive, "wasi:clocks/monotonic-clock#resolution", {
            check!(monotonic_clock::resolution() > 0);
        }),
        case!(subscribe_duration_waits_that_long, "wasi:clocks/monotonic-clock#subscribe-duration wasi:io/poll#[method]pollable.block", {
            let start = monotonic_clock::now();
            monotonic_clock::subscribe_duration(5_000_000).block();
            check!(monotonic_clock::now() - start >= 5_000_000);
        }),
        case!(subscribe_duration_of_zero_is_ready, "wasi:clocks/monotonic-clock#subscribe-duration wasi:io/poll#[method]pollable.ready", {
            let p = monotonic_clock::subscribe_duration(0);
            p.block();
            check!(p.ready());
        }),
        case!(subscribe_instant_waits_until_then, "wasi:clocks/monotonic-clock#subscribe-instant wasi:io/poll#[method]pollable.block", {
            let until = monotonic_clock::now() + 5_000_000;
            monotonic_clock::subscribe_instant(until).block();
            check!(monotonic_clock::now() >= until);
        }),
        case!(subscribe_instant_in_the_past_is_ready_at_once, "wasi:clocks/monotonic-clock#subscribe-instant wasi:io/poll#[method]pollable.ready", {
            // (Readiness seen without blocking may lag; after `block` it may not.)
            let start = monotonic_clock::now();
            let p = monotonic_clock::subscribe_instant(0);
            p.block();
            check!(p.ready());
            check!(monotonic_clock::now() - start < 1_000_000_000);
        }),
        case!(subscribe_far_ahead_is_not_ready, "wasi:clocks/monotonic-clock#subscribe-duration wasi:io/poll#[method]pollable.ready", {
            let p = monotonic_clock::subscribe_duration(3_600_000_000_000);
            check!(!p.ready());
        }),
        case!(wall_now_is_a_date, "wasi:clocks/wall-clock#now", {
            let now = wall_clock::now();
            check!(now.seconds > Y2020);
            check!(now.nanoseconds < 1_000_000_000);
        }),
        case!(wall_resolution_is_under_a_second_and_positive, "wasi:clocks/wall-clock#resolution", {
            let r = wall_clock::resolution();
            check!(r.nanoseconds < 1_000_000_000);
            check!(r.seconds > 0 || r.nanoseconds > 0);
        }),
    ])
}
