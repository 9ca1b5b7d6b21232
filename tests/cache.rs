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

#[test]
fn a_corrupt_or_stale_entry_is_never_loaded_but_rebuilt() {
    type Damage = fn(&mut Vec<u8>);
    let damages: [(&str, Damage); 4] = [
        ("truncated", |b| b.truncate(b.len() / 2)),
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
