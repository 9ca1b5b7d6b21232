//! The portable WASI against each runtime's own, side by side in one run, on a syscall-heavy
//! guest: `probe syscalls 100 /data` (100 rounds of creating a file with 8 small writes, a
//! stat of it and a listing of its directory: about 2,000 WASI calls a run).
//!
//! `cargo bench --bench portable_wasi`; `wasiport report performance` turns the results into
//! docs/performance.md.

use criterion::{criterion_group, BenchmarkId, Criterion};
use wasiport::{Backend, RunConfig, WasiImpl};

#[path = "../tests/common/mod.rs"]
mod common;

/// Rounds of the guest's loop per run.
const ROUNDS: &str = "100";

fn portable_vs_native(c: &mut Criterion) {
    let wasm = common::probe();
    let mut group = c.benchmark_group("portable_wasi");
    for backend in common::engines() {
        let module = backend.compile(wasm).expect("compile the probe");
        for wasi in WasiImpl::ALL {
            let dir = tempfile::tempdir().expect("a scratch directory");
            let config = RunConfig::builder()
                .program_name("probe.wasm")
                .args(["syscalls", ROUNDS, "/data"])
                .preopen_read_write(dir.path(), "/data")
                .wasi(wasi)
                .build()
                .expect("config");
            // wasm3 has no WASI of its own, WasmEdge runs no host functions: each is measured
            // with what it has.
            if config
                .check_supported(backend.name(), backend.capabilities())
                .is_err()
            {
                continue;
            }
            let run = |backend: &dyn Backend| {
                let outcome = backend.run(&module, &config).expect("run");
                assert!(
                    outcome.success(),
                    "{}: {}",
                    backend.name(),
                    outcome.termination
                );
            };
            run(backend.as_ref());
            group.bench_function(BenchmarkId::new(wasi.as_str(), backend.name()), |b| {
                b.iter(|| run(backend.as_ref()))
            });
        }
    }
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(20);
    targets = portable_vs_native
}
fn main() {
    // WasmEdge's own WASI runs in a copy of this program.
    benches();
    Criterion::default().configure_from_args().final_summary();
}
