// wasi:clocks 0.3: the monotonic clock (waits are async functions now) and the system clock.
//! monotonic_now_does_not_go_back {"mandated": "WIT wasi:clocks/monotonic-clock@0.3.0 now: the clock is monotonic, so calling it repeatedly gives non-decreasing values"}
//! monotonic_resolution_is_positive {"mandated": "WIT wasi:clocks/monotonic-clock@0.3.0 get-resolution: the duration of one clock tick, which for a clock that advances is more than zero (witx clock_res_get, its preview-1 form, requires a non-zero value)"}
//! wait_for_waits_that_long {"mandated": "WIT wasi:clocks/monotonic-clock@0.3.0 wait-for: waits for the given duration to elapse, so the clock reads at least 5 ms later after it"}
//! wait_until_waits_until_then {"mandated": "WIT wasi:clocks/monotonic-clock@0.3.0 wait-until: waits until the given mark has occurred, so the clock then reads at least that mark"}
//! wait_until_the_past_returns_at_once {"mandated": "WIT wasi:clocks/monotonic-clock@0.3.0 wait-until: waits until the mark has occurred; mark 0 is no later than any reading (marks are u64 from an unspecified start), so it has occurred and there is nothing to wait for (under the 1 s allowed)"}
//! system_now_is_a_date {"mandated": "WIT wasi:clocks/system-clock@0.3.0 now: the current instant as seconds since 1970-01-01T00:00:00Z (POSIX's Seconds Since the Epoch) with nanoseconds always below 1000000000, so now is past 2020-01-01 (1577836800 s)"}
//! system_resolution_is_positive {"mandated": "WIT wasi:clocks/system-clock@0.3.0 get-resolution: the smallest duration the implementation permits distinguishing, which is more than zero (a zero duration tells no two times apart)"}
use guest::{case, check};
use wasip3::clocks::{monotonic_clock, system_clock};

/// 2020-01-01T00:00:00Z.
const Y2020: i64 = 1_577_836_800;

struct Clocks;
wasip3::cli::command::export!(Clocks);

impl wasip3::exports::cli::run::Guest for Clocks {
    async fn run() -> Result<(), ()> {
        // Not a test: `sleep NANOSECONDS` only waits (tests/backends.rs stops it at a timeout).
        let args: Vec<String> = std::env::args().collect();
        if args.get(1).map(String::as_str) == Some("sleep") {
            let ns = args.get(2).and_then(|n| n.parse().ok()).unwrap_or(0);
            monotonic_clock::wait_for(ns).await;
            return Ok(());
        }
        guest::run_p3(&[
            case!(monotonic_now_does_not_go_back, "wasi:clocks/monotonic-clock@0.3#now", async {
                let a = monotonic_clock::now();
                let b = monotonic_clock::now();
                check!(a <= b);
            }),
            case!(monotonic_resolution_is_positive, "wasi:clocks/monotonic-clock@0.3#get-resolution", async {
                check!(monotonic_clock::get_resolution() > 0);
            }),
            case!(wait_for_waits_that_long, "wasi:clocks/monotonic-clock@0.3#wait-for", async {
                let start = monotonic_clock::now();
                monotonic_clock::wait_for(5_000_000).await;
                check!(monotonic_clock::now() - start >= 5_000_000);
            }),
            case!(wait_until_waits_until_then, "wasi:clocks/monotonic-clock@0.3#wait-until", async {
                let until = monotonic_clock::now() + 5_000_000;
                monotonic_clock::wait_until(until).await;
                check!(monotonic_clock::now() >= until);
            }),
            case!(wait_until_the_past_returns_at_once, "wasi:clocks/monotonic-clock@0.3#wait-until", async {
                let start = monotonic_clock::now();
                monotonic_clock::wait_until(0).await;
                check!(monotonic_clock::now() - start < 1_000_000_000);
            }),
            case!(system_now_is_a_date, "wasi:clocks/system-clock@0.3#now", async {
                let now = system_clock::now();
                check!(now.seconds > Y2020);
                check!(now.nanoseconds < 1_000_000_000);
            }),
            case!(system_resolution_is_positive, "wasi:clocks/system-clock@0.3#get-resolution", async {
                check!(system_clock::get_resolution() > 0);
            }),
        ])
        .await
    }
}

fn main() {}
