//! The module cache: memory hits, disk hits across caches, and corrupt or stale entries
//! detected and rebuilt, on every backend (those that serialize their code use the disk).

mod common;

use common::probe;
use wasiport::{Capability, ModuleCache, RunConfig, Termination};

fn entries(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    files
}

fn hello(backend: &dyn wasiport::Backend, module: &wasiport::CompiledModule) -> String {
    let config = RunConfig::builder()
        .program_name("probe.wasm")
        .args(["print", "cached", ""])
        .build()
        .unwrap();
    let outcome = backend.run(module, &config).unwrap();
    assert!(
        outcome.success(),
        "{}: {}",
        backend.name(),
        outcome.termination
    );
    String::from_utf8_lossy(&outcome.stdout).into_owned()
}

#[test]
fn a_module_is_compiled_once_then_found_in_memory() {
    for backend in common::engines() {
        let cache = ModuleCache::in_memory();
        let a = cache.get_or_compile(backend.as_ref(), probe()).unwrap();
        let b = cache.get_or_compile(backend.as_ref(), probe()).unwrap();
        let stats = cache.stats();
        assert_eq!(
            (stats.compiled, stats.memory_hits),
            (1, 1),
            "{}",
            backend.name()
        );
        assert_eq!(hello(backend.as_ref(), &a), hello(backend.as_ref(), &b));
    }
}

#[test]
fn serialized_modules_are_loaded_from_disk_by_a_new_cache_and_run_alike() {
    for backend in common::engines() {
        let dir = tempfile::tempdir().unwrap();
        let first = ModuleCache::with_dir(dir.path()).unwrap();
        let compiled = first.get_or_compile(backend.as_ref(), probe()).unwrap();
        let second = ModuleCache::with_dir(dir.path()).unwrap();
        let loaded = second.get_or_compile(backend.as_ref(), probe()).unwrap();
        let serializes = backend
            .capabilities()
            .contains(Capability::SerializedModules);
        let stats = second.stats();
        if serializes {
            assert_eq!(
                (stats.disk_hits, stats.compiled),
                (1, 0),
                "{}",
                backend.name()
            );
            assert_eq!(entries(dir.path()).len(), 1, "{}", backend.name());
        } else {
            assert_eq!(
                (stats.disk_hits, stats.compiled),
                (0, 1),
                "{}",
                backend.name()
            );
            assert!(entries(dir.path()).is_empty(), "{}", backend.name());
        }
        assert_eq!(
            hello(backend.as_ref(), &compiled),
            hello(backend.as_ref(), &loaded)
        );
        // Fuel metering survives the trip through the disk.
        if backend.capabilities().contains(Capability::Fuel) {
            let spin = RunConfig::builder()
                .program_name("probe.wasm")
                .args(["spin"])
                .fuel(1_000_000)
                .build()
                .unwrap();
            let outcome = backend.run(&loaded, &spin).unwrap();
            assert_eq!(
                outcome.termination,
                Termination::OutOfFuel,
                "{}",
                backend.name()
            );
        }
    }
}

/// The probe's endless loop, with a fuel budget that ends it.
fn spin_on_a_budget() -> RunConfig {
    RunConfig::builder()
        .program_name("probe.wasm")
        .args(["spin"])
        .fuel(1_000_000)
        .build()
        .unwrap()
}

#[test]
fn a_module_kept_for_fuel_runs_loads_with_its_metered_code() {
    // A backend that compiles fuel metering only on demand (wasmtime) keeps the module for
    // runs with a budget apart, its metered code made before it is written; the others keep
    // one entry for both.
    let fueled = spin_on_a_budget();
    for backend in common::engines() {
        if !backend
            .capabilities()
            .contains(Capability::SerializedModules)
        {
            continue;
        }
        let name = backend.name();
        let dir = tempfile::tempdir().unwrap();
        ModuleCache::with_dir(dir.path())
            .unwrap()
            .get_or_compile_for(backend.as_ref(), probe(), fueled.limits())
            .unwrap();
        let second = ModuleCache::with_dir(dir.path()).unwrap();
        let metered = second
            .get_or_compile_for(backend.as_ref(), probe(), fueled.limits())
            .unwrap();
        assert_eq!(second.stats().disk_hits, 1, "{name}");
        let outcome = backend.run(&metered, &fueled).unwrap();
        assert_eq!(outcome.termination, Termination::OutOfFuel, "{name}");
        // The module for runs without a budget.
        let plain = second.get_or_compile(backend.as_ref(), probe()).unwrap();
        let apart = !backend.code_variant(fueled.limits()).is_empty();
        assert_eq!(entries(dir.path()).len(), 1 + usize::from(apart), "{name}");
        // Compiled when apart; else the same module, from memory.
        let stats = second.stats();
        assert_eq!(
            (stats.compiled, stats.memory_hits),
            (u64::from(apart), u64::from(!apart)),
            "{name}"
        );
        assert_eq!(hello(backend.as_ref(), &plain), "cached", "{name}");
        // and even it still counts fuel when a run asks.
        let outcome = backend.run(&plain, &fueled).unwrap();
        assert_eq!(outcome.termination, Termination::OutOfFuel, "{name}");
    }
    assert_eq!(
        common::backend("wasmtime").code_variant(fueled.limits()),
        "fuel"
    );
}

#[test]
fn a_portable_target_and_its_backend_share_their_entries() {
    // `wasmtime-portable` runs wasmtime's code as it is: what one compiled, the other loads,
    // the code for fuel budgets included; each then runs it with its own WASI.
    let fueled = spin_on_a_budget();
    for backend in common::engines() {
        let name = backend.name();
        if !backend
            .capabilities()
            .contains(Capability::SerializedModules)
        {
            continue;
        }
        let mut selected = wasiport_conformance::backends::select(&format!("{name}-portable"))
            .expect("the portable target starts");
        let portable = selected.remove(0);
        for limits in [&wasiport::Limits::default(), fueled.limits()] {
            let dir = tempfile::tempdir().unwrap();
            ModuleCache::with_dir(dir.path())
                .unwrap()
                .get_or_compile_for(backend.as_ref(), probe(), limits)
                .unwrap();
            let second = ModuleCache::with_dir(dir.path()).unwrap();
            let module = second
                .get_or_compile_for(portable.as_ref(), probe(), limits)
                .unwrap();
            assert_eq!(
                (second.stats().disk_hits, second.stats().compiled),
                (1, 0),
                "{name}-portable"
            );
            assert_eq!(entries(dir.path()).len(), 1, "{name}");
            assert_eq!(
                hello(portable.as_ref(), &module),
                "cached",
                "{name}-portable"
            );
            if limits.fuel.is_some() {
                let outcome = portable.run(&module, &fueled).unwrap();
                assert_eq!(
                    outcome.termination,
                    Termination::OutOfFuel,
                    "{name}-portable"
                );
            }
        }
        // A component the backend kept is no module the portable WASI runs: refused, as its
        // compilation is.
        if backend.capabilities().contains(Capability::Components) {
            let dir = tempfile::tempdir().unwrap();
            ModuleCache::with_dir(dir.path())
                .unwrap()
                .get_or_compile(backend.as_ref(), common::probe_p2())
                .unwrap();
            let refused = ModuleCache::with_dir(dir.path())
                .unwrap()
                .get_or_compile(portable.as_ref(), common::probe_p2());
            assert!(
                matches!(
                    refused,
                    Err(wasiport::Error::Unsupported {
                        feature: Capability::Components,
                        ..
                    })
                ),
                "{name}-portable: {refused:?}"
            );
        }
    }
}

#[test]
fn a_corrupt_or_stale_entry_is_never_loaded_but_rebuilt() {
    type Damage = fn(&mut Vec<u8>);
    let damages: [(&str, Damage); 5] = [
        ("truncated", |b| b.truncate(b.len() / 2)),
        // `wasiport-cache1`: a SHA-256 where a CRC-32 is now.
        ("the earlier format's magic", |b| b[14] = b'1'),
        ("a flipped byte in the code", |b| {
            let i = b.len() - 100;
            b[i] ^= 0xff
        }),
        ("another key", |b| b[20] ^= 0x01),
        ("not an entry", |b| *b = b"garbage".to_vec()),
    ];
    for backend in common::engines()
        .into_iter()
        .filter(|b| b.capabilities().contains(Capability::SerializedModules))
    {
        for (damage, apply) in damages {
            let dir = tempfile::tempdir().unwrap();
            ModuleCache::with_dir(dir.path())
                .unwrap()
                .get_or_compile(backend.as_ref(), probe())
                .unwrap();
            let [entry] = entries(dir.path()).try_into().unwrap();
            let mut bytes = std::fs::read(&entry).unwrap();
            apply(&mut bytes);
            std::fs::write(&entry, bytes).unwrap();

            let cache = ModuleCache::with_dir(dir.path()).unwrap();
            let module = cache.get_or_compile(backend.as_ref(), probe()).unwrap();
            let stats = cache.stats();
            let what = format!("{} with {damage}", backend.name());
            assert_eq!(
                (stats.rejected, stats.disk_hits, stats.compiled),
                (1, 0, 1),
                "{what}"
            );
            assert_eq!(hello(backend.as_ref(), &module), "cached", "{what}");
            // Rebuilt in place: the next cache loads it.
            let next = ModuleCache::with_dir(dir.path()).unwrap();
            next.get_or_compile(backend.as_ref(), probe()).unwrap();
            assert_eq!(next.stats().disk_hits, 1, "{what}");
        }
    }
}

#[test]
fn the_same_bytes_on_another_backend_are_another_entry() {
    let dir = tempfile::tempdir().unwrap();
    let cache = ModuleCache::with_dir(dir.path()).unwrap();
    for backend in common::engines() {
        let module = cache.get_or_compile(backend.as_ref(), probe()).unwrap();
        assert_eq!(module.backend(), backend.name());
    }
    assert_eq!(cache.stats().memory_hits, 0);
}

#[test]
fn a_component_is_loaded_from_disk_as_a_component_and_runs_alike() {
    for backend in common::backends_with(Capability::Components) {
        if !backend
            .capabilities()
            .contains(Capability::SerializedModules)
        {
            continue;
        }
        let dir = tempfile::tempdir().unwrap();
        let compiled = ModuleCache::with_dir(dir.path())
            .unwrap()
            .get_or_compile(backend.as_ref(), common::probe_p2())
            .unwrap();
        let second = ModuleCache::with_dir(dir.path()).unwrap();
        let loaded = second
            .get_or_compile(backend.as_ref(), common::probe_p2())
            .unwrap();
        assert_eq!(second.stats().disk_hits, 1, "{}", backend.name());
        assert!(loaded.info().is_component(), "{}", backend.name());
        assert_eq!(
            hello(backend.as_ref(), &compiled),
            hello(backend.as_ref(), &loaded)
        );
    }
}

/// A committed guest of the conformance suite.
fn suite_guest(rel: &str) -> Vec<u8> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("conformance/suite")
        .join(rel);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Compiles `wasm` through one cache on `dir`, then gets it from a second cache on the same
/// directory: from the disk when the backend serializes its code (checked), compiled again
/// when it does not.
fn compiled_then_loaded_by_a_second_cache(
    backend: &dyn wasiport::Backend,
    wasm: &[u8],
    dir: &std::path::Path,
) -> wasiport::CompiledModule {
    ModuleCache::with_dir(dir)
        .unwrap()
        .get_or_compile(backend, wasm)
        .unwrap();
    let second = ModuleCache::with_dir(dir).unwrap();
    let loaded = second.get_or_compile(backend, wasm).unwrap();
    let serializes = backend
        .capabilities()
        .contains(Capability::SerializedModules);
    assert_eq!(
        second.stats().disk_hits,
        u64::from(serializes),
        "{}",
        backend.name()
    );
    loaded
}

#[test]
fn a_wasi_0_3_command_is_loaded_from_disk_and_keeps_its_exit_code() {
    let wasm = suite_guest("p3_cli/exit_with_code_keeps_its_code.wasm");
    for backend in common::backends_with(Capability::Wasi0_3) {
        let dir = tempfile::tempdir().unwrap();
        let loaded = compiled_then_loaded_by_a_second_cache(backend.as_ref(), &wasm, dir.path());
        let config = RunConfig::builder()
            .args(["exit_with_code_keeps_its_code"])
            .build()
            .unwrap();
        let outcome = backend.run(&loaded, &config).unwrap();
        assert_eq!(
            outcome.termination,
            Termination::Exited(7),
            "{}",
            backend.name()
        );
    }
}

#[test]
fn a_wasi_http_handler_is_loaded_from_disk_and_serves_a_request() {
    use std::io::{Read, Write};
    let wasm = suite_guest("p2_http/service_answers_a_get.wasm");
    for backend in common::backends_with(Capability::HttpService) {
        let dir = tempfile::tempdir().unwrap();
        let loaded = compiled_then_loaded_by_a_second_cache(backend.as_ref(), &wasm, dir.path());
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let shutdown = wasiport::Shutdown::new();
        let config = RunConfig::builder()
            .args(["service_answers_a_get"])
            .build()
            .unwrap();
        let response = std::thread::scope(|s| {
            let server = s.spawn(|| backend.serve_http(&loaded, &config, listener, &shutdown));
            let mut stream = std::net::TcpStream::connect(addr).unwrap();
            stream
                .set_read_timeout(Some(std::time::Duration::from_secs(30)))
                .unwrap();
            stream
                .write_all(b"GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
                .unwrap();
            let mut response = String::new();
            stream.read_to_string(&mut response).unwrap();
            shutdown.trigger();
            let summary = server.join().unwrap().unwrap();
            assert_eq!(
                (summary.requests, summary.failed),
                (1, 0),
                "{}",
                backend.name()
            );
            response
        });
        assert!(
            // The body is chunked: its one chunk holds the handler's text.
            response.starts_with("HTTP/1.1 200") && response.contains("hello from the handler\n"),
            "{}: {response}",
            backend.name()
        );
    }
}

#[cfg(unix)]
#[test]
fn a_cache_directory_others_could_write_is_refused_and_a_new_one_is_private() {
    use std::os::unix::fs::{MetadataExt, PermissionsExt};
    let root = tempfile::tempdir().unwrap();
    let fresh = root.path().join("a/new/cache");
    ModuleCache::with_dir(&fresh).unwrap();
    assert_eq!(std::fs::metadata(&fresh).unwrap().mode() & 0o777, 0o700);
    for mode in [0o777, 0o770, 0o722] {
        let dir = root.path().join(format!("shared-{mode:o}"));
        std::fs::create_dir(&dir).unwrap();
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(mode)).unwrap();
        match ModuleCache::with_dir(&dir) {
            Err(wasiport::Error::UntrustedCacheDir { reason, .. }) => {
                assert!(reason.contains("may write"), "{reason}")
            }
            other => panic!("mode {mode:o}: {other:?}"),
        }
    }
    // One that belongs to another user (only root can make one here).
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } == 0 {
        let theirs = root.path().join("theirs");
        std::fs::create_dir(&theirs).unwrap();
        std::os::unix::fs::chown(&theirs, Some(65534), Some(65534)).unwrap();
        match ModuleCache::with_dir(&theirs) {
            Err(wasiport::Error::UntrustedCacheDir { reason, .. }) => {
                assert!(reason.contains("belongs to user 65534"), "{reason}")
            }
            other => panic!("{other:?}"),
        }
    }
}
