//! Soak: many runs on one backend from several threads at once, with this process's resident
//! memory, open fds and threads measured after a warm-up and at the end.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use serde::Serialize;
use wasiport::Backend;

use crate::fuzz::{observe, End, Program};

/// How to soak.
#[derive(Debug, Clone)]
pub struct SoakOptions {
    /// Threads running at once.
    pub threads: usize,
    /// Runs before the first measurement (caches filled, pools grown).
    pub warmup: usize,
    /// Runs measured.
    pub runs: usize,
    /// The wall-clock limit of one run.
    pub timeout: Duration,
}

impl Default for SoakOptions {
    /// 4 threads, 200 runs of warm-up, 2000 measured, 10 s a run.
    fn default() -> Self {
        SoakOptions {
            threads: 4,
            warmup: 200,
            runs: 2000,
            timeout: Duration::from_secs(10),
        }
    }
}

/// This process's resident memory, open fds and threads at one moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Gauges {
    /// Resident memory (`VmRSS`), KiB.
    pub rss_kib: u64,
    /// Open file descriptors.
    pub fds: usize,
    /// Threads.
    pub threads: usize,
}

impl Gauges {
    /// Reads them once things settled: the fewest fds and threads of 5 readings 100 ms apart
    /// (a watchdog or reader thread of the last run may still be ending), and the last memory.
    pub fn settled() -> std::io::Result<Gauges> {
        let mut least = Gauges::now()?;
        for _ in 0..4 {
            std::thread::sleep(std::time::Duration::from_millis(100));
            let now = Gauges::now()?;
            least = Gauges {
                rss_kib: now.rss_kib,
                fds: least.fds.min(now.fds),
                threads: least.threads.min(now.threads),
            };
        }
        Ok(least)
    }

    /// Reads them from `/proc/self`.
    pub fn now() -> std::io::Result<Gauges> {
        let status = std::fs::read_to_string("/proc/self/status")?;
        let field = |name: &str| {
            status
                .lines()
                .find_map(|l| l.strip_prefix(name))
                .and_then(|v| v.split_whitespace().next())
                .and_then(|v| v.parse::<u64>().ok())
                .unwrap_or(0)
        };
        Ok(Gauges {
            rss_kib: field("VmRSS:"),
            fds: std::fs::read_dir("/proc/self/fd")?.count(),
            threads: field("Threads:") as usize,
        })
    }
}

/// What a soak of one backend measured.
#[derive(Debug, Clone, Serialize)]
pub struct Soak {
    /// The target.
    pub target: String,
    /// Runs of the warm-up.
    pub warmup: usize,
    /// Runs after the warm-up.
    pub runs: usize,
    /// Runs that could not run at all (an error, not a guest's failure).
    pub failed: usize,
    /// Threads running at once.
    pub threads: usize,
    /// Wall-clock seconds of the measured runs.
    pub elapsed_s: f64,
    /// Before the first run.
    pub start: Gauges,
    /// After the warm-up.
    pub warm: Gauges,
    /// After the last run.
    pub end: Gauges,
    /// The most threads seen during the warm-up (readings every 50 ms).
    pub warm_peak_threads: usize,
    /// The most threads seen during the measured runs.
    pub peak_threads: usize,
}

impl Soak {
    /// Resident memory grown from the warm-up to the end, KiB (negative: it shrank).
    pub fn rss_growth_kib(&self) -> i64 {
        self.end.rss_kib as i64 - self.warm.rss_kib as i64
    }

    /// Whether nothing leaked: no fd more than after the warm-up, no more threads at the end
    /// than at the warm-up's peak (a pool that keeps idle threads a while grows to it there),
    /// and resident memory within 10% (or 16 MiB) of the warm-up's.
    pub fn is_flat(&self) -> bool {
        let allowed = (self.warm.rss_kib / 10).max(16 * 1024) as i64;
        self.end.fds <= self.warm.fds
            && self.end.threads <= self.warm_peak_threads
            && self.rss_growth_kib() <= allowed
    }
}

/// Runs fuzz programs (seeds 1 on, 16 calls each: files opened, written, renamed, removed)
/// on `backend` from `options.threads` threads, `options.warmup` runs and then `options.runs`,
/// each on a fresh scratch tree, measuring this process before, between and after.
pub fn soak(backend: &dyn Backend, options: &SoakOptions) -> std::io::Result<Soak> {
    let start = Gauges::settled()?;
    let failed = AtomicUsize::new(0);
    // Runs `runs` programs; the most threads seen meanwhile.
    let batch = |runs: usize| {
        let next = AtomicUsize::new(0);
        let running = std::sync::atomic::AtomicBool::new(true);
        std::thread::scope(|scope| {
            let monitor = scope.spawn(|| {
                let mut peak = 0;
                while running.load(Ordering::SeqCst) {
                    // (less this monitor thread itself)
                    peak = peak.max(Gauges::now().map_or(0, |g| g.threads.saturating_sub(1)));
                    std::thread::sleep(Duration::from_millis(50));
                }
                peak
            });
            let workers: Vec<_> = (0..options.threads.max(1))
                .map(|_| {
                    scope.spawn(|| loop {
                        let i = next.fetch_add(1, Ordering::SeqCst);
                        if i >= runs {
                            break;
                        }
                        // 64 programs over and over: the same work, so growth is a leak.
                        let program = Program::generate(1 + i as u64 % 64, 16);
                        let ran = wat::parse_str(program.to_wat())
                            .map(|wasm| observe(backend, &wasm, options.timeout).end);
                        if !matches!(ran, Ok(End::Exited(_) | End::Trapped(_))) {
                            failed.fetch_add(1, Ordering::Relaxed);
                        }
                    })
                })
                .collect();
            for worker in workers {
                let _ = worker.join();
            }
            running.store(false, Ordering::SeqCst);
            monitor.join().unwrap_or(0)
        })
    };
    let warm_peak_threads = batch(options.warmup);
    let warm = Gauges::settled()?;
    failed.store(0, Ordering::Relaxed);
    let began = Instant::now();
    let peak_threads = batch(options.runs);
    let elapsed_s = began.elapsed().as_secs_f64();
    Ok(Soak {
        target: backend.name().to_string(),
        warmup: options.warmup,
        runs: options.runs,
        failed: failed.into_inner(),
        threads: options.threads.max(1),
        elapsed_s,
        start,
        warm,
        end: Gauges::settled()?,
        warm_peak_threads,
        peak_threads,
    })
}
