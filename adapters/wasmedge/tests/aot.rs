//! WasmEdge's AOT path: a module compiled ahead of time into a native library behaves as the
//! interpreted one does.

use std::time::Duration;

use wasiport::{
    Backend, Capability, ModuleCache, RunConfig, Termination, Trap, TrapKind, WasiImpl,
};
use wasiport_wasmedge::{Mode, Wasmedge};

fn wat(name: &str) -> Vec<u8> {
    let path = format!(
        "{}/../../tests/guests/wat/{name}.wat",
        env!("CARGO_MANIFEST_DIR")
    );
    wat::parse_file(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn outcome(backend: &Wasmedge, guest: &str, config: &RunConfig) -> (Termination, Vec<u8>) {
    let module = backend.compile(&wat(guest)).expect("compiles");
    let outcome = backend.run(&module, config).expect("runs");
    (outcome.termination, outcome.stdout)
}

fn trap(kind: TrapKind) -> Termination {
    Termination::Trap(Trap::new(kind, ""))
}

#[test]
fn aot_modules_end_as_interpreted_ones_do() {
    let interpreter = Wasmedge::new().unwrap();
    let aot = Wasmedge::aot().unwrap();
    assert_eq!(
        (interpreter.mode(), aot.mode()),
        (Mode::Interpreter, Mode::Aot)
    );
    // With WasmEdge's own WASI in a worker, and with the portable one in this process.
    for wasi in WasiImpl::ALL {
        let config = || RunConfig::builder().wasi(wasi);
        let plain = config().build().unwrap();
        let fuel = config().fuel(100_000).build().unwrap();
        let timeout = config()
            .timeout(Duration::from_millis(300))
            .build()
            .unwrap();
        for (guest, config, expected) in [
            ("hello", &plain, Termination::Exited(0)),
            ("proc_exit", &plain, Termination::Exited(3)),
            ("trap_unreachable", &plain, trap(TrapKind::Unreachable)),
            ("trap_memory_oob", &plain, trap(TrapKind::MemoryOutOfBounds)),
            (
                "trap_divide_by_zero",
                &plain,
                trap(TrapKind::IntegerDivideByZero),
            ),
            // AOT code recurses on a thread's stack: the depth limit ends it first.
            ("trap_stack_overflow", &plain, trap(TrapKind::StackOverflow)),
            ("loop_forever", &fuel, Termination::OutOfFuel),
            ("loop_forever", &timeout, Termination::Timeout),
        ] {
            let (a, a_out) = outcome(&interpreter, guest, config);
            let (b, b_out) = outcome(&aot, guest, config);
            assert!(a.same_as(&expected), "{guest}, {wasi}: interpreted {a}");
            assert!(a.same_as(&b), "{guest}, {wasi}: interpreted {a}, AOT {b}");
            assert_eq!(a_out, b_out, "{guest}, {wasi}");
        }
    }
}

#[test]
fn aot_traps_are_classified() {
    let aot = Wasmedge::aot().unwrap();
    let (end, _) = outcome(&aot, "trap_unreachable", &RunConfig::default());
    assert_eq!(
        end.trap().map(|t| t.kind),
        Some(TrapKind::Unreachable),
        "{end}"
    );
}

#[test]
fn a_module_aot_cannot_compile_is_an_invalid_module() {
    let aot = Wasmedge::aot().unwrap();
    match aot.compile(b"\0asm\x01\0\0\0\x01\xff") {
        Err(wasiport::Error::InvalidModule { backend, message }) => {
            assert_eq!(backend, "wasmedge");
            assert!(!message.is_empty());
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn an_aot_library_saved_by_the_module_cache_is_loaded_from_disk_by_a_new_cache_and_runs_alike() {
    let aot = Wasmedge::aot().unwrap();
    assert!(aot.capabilities().contains(Capability::SerializedModules));
    assert!(!Wasmedge::new()
        .unwrap()
        .capabilities()
        .contains(Capability::SerializedModules));
    let dir = tempfile::tempdir().unwrap();
    let hello = wat("hello");

    let first = ModuleCache::with_dir(dir.path()).unwrap();
    let compiled = first.get_or_compile(&aot, &hello).unwrap();
    assert_eq!(first.stats().compiled, 1);
    let second = ModuleCache::with_dir(dir.path()).unwrap();
    let loaded = second.get_or_compile(&aot, &hello).unwrap();
    assert_eq!((second.stats().disk_hits, second.stats().compiled), (1, 0));

    for module in [&compiled, &loaded] {
        let outcome = aot.run(module, &RunConfig::default()).unwrap();
        assert_eq!(outcome.termination, Termination::Exited(0));
        assert_eq!(outcome.stdout, b"hello, world\n");
    }
}

#[test]
fn an_interpreted_module_is_not_saved() {
    let interpreter = Wasmedge::new().unwrap();
    let module = interpreter.compile(&wat("hello")).unwrap();
    assert_eq!(interpreter.serialize(&module).unwrap(), None);
    // Another backend value does not take it at all: the module is that value's own.
    assert!(matches!(
        Wasmedge::aot().unwrap().serialize(&module),
        Err(wasiport::Error::BackendMismatch { .. })
    ));
}
