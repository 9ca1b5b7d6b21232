// wasi:clocks 0.2: the monotonic clock (and its pollables) and the wall clock.
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
