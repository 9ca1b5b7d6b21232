//! Instances: a reactor instantiated once and its exports called many times, on every target
//! that declares `instances` (its native WASI and the portable one); the others refuse.

mod common;

use std::time::Duration;

use wasiport::{
    Backend, CallEnd, CallError, CallLimits, Capability, Error, Export, HostError, HostFunction,
    HostValue, Instance, RunConfig, RunConfigBuilder, Signature, Termination, TrapKind,
    ValType::I32,
};

fn reactor() -> Vec<u8> {
    let path = format!(
        "{}/tests/guests/wat/reactor.wat",
        env!("CARGO_MANIFEST_DIR")
    );
    wat::parse_file(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// `env.triple` (x -> 3x) and `env.boom`, which panics.
fn with_host_functions(builder: RunConfigBuilder) -> RunConfigBuilder {
    let triple = HostFunction::new("env", "triple", Signature::new([I32], [I32]), |_, args| {
        let x = args[0]
            .as_i32()
            .ok_or_else(|| HostError::new("not an i32"))?;
        Ok(vec![HostValue::I32(x * 3)])
    })
    .unwrap();
    let boom = HostFunction::new("env", "boom", Signature::new([], []), |_, _| {
        panic!("the plugin's host is broken")
    })
    .unwrap();
    builder.host_function(triple).host_function(boom)
}

fn config() -> RunConfig {
    with_host_functions(RunConfig::builder()).build().unwrap()
}

/// Each target that declares instances, with an instance of the reactor made with `config`.
fn instances(config: &RunConfig) -> Vec<(Box<dyn Backend>, Instance)> {
    let targets = common::backends_with(Capability::Instances);
    assert!(!targets.is_empty(), "no target declares instances");
    targets
        .into_iter()
        .map(|backend| {
            let module = backend.compile(&reactor()).unwrap();
            let instance = backend
                .instantiate(&module, config)
                .unwrap_or_else(|e| panic!("{}: {e}", backend.name()));
            (backend, instance)
        })
        .collect()
}

fn returned(backend: &dyn Backend, call: Result<wasiport::CallOutcome, Error>) -> Vec<HostValue> {
    let call = call.unwrap_or_else(|e| panic!("{}: {e}", backend.name()));
    match call.end {
        CallEnd::Returned(values) => values,
        CallEnd::Ended(t) => panic!("{}: {t}", backend.name()),
    }
}

fn ended(backend: &dyn Backend, call: Result<wasiport::CallOutcome, Error>) -> Termination {
    let call = call.unwrap_or_else(|e| panic!("{}: {e}", backend.name()));
    match call.end {
        CallEnd::Ended(t) => t,
        CallEnd::Returned(values) => panic!("{}: returned {values:?}", backend.name()),
    }
}

#[test]
fn a_backend_without_instances_refuses_with_unsupported() {
    for backend in common::backends()
        .into_iter()
        .filter(|b| !b.capabilities().contains(Capability::Instances))
    {
        let Ok(module) = backend.compile(&reactor()) else {
            continue;
        };
        match backend.instantiate(&module, &config()) {
            Err(Error::Unsupported {
                feature: Capability::Instances,
                ..
            }) => {}
            other => panic!("{}: {other:?}", backend.name()),
        }
    }
}

#[test]
fn every_value_type_is_passed_and_returned() {
    use HostValue::{F32, F64, I64};
    for (backend, mut instance) in instances(&config()) {
        let b = backend.as_ref();
        let cases: [(&str, Vec<HostValue>, Vec<HostValue>); 5] = [
            (
                "add",
                vec![HostValue::I32(-5), HostValue::I32(47)],
                vec![HostValue::I32(42)],
            ),
            (
                "add64",
                vec![I64(i64::MAX), I64(-1)],
                vec![I64(i64::MAX - 1)],
            ),
            ("mul32", vec![F32(1.5), F32(-4.0)], vec![F32(-6.0)]),
            ("mul64", vec![F64(0.25), F64(1e300)], vec![F64(2.5e299)]),
            ("pair", vec![], vec![HostValue::I32(7), I64(-7)]),
        ];
        for (name, args, results) in cases {
            assert_eq!(
                returned(b, instance.call(name, &args)),
                results,
                "{} {name}",
                b.name()
            );
        }
        let typed: (i32, i64) = instance.call_typed("pair", ()).unwrap();
        assert_eq!(typed, (7, -7), "{}", b.name());
        assert_eq!(
            instance
                .call_typed::<(f64, f64), f64>("mul64", (3.0, 0.5))
                .unwrap(),
            1.5
        );
    }
}

#[test]
fn state_is_kept_across_thousands_of_calls_after_initialize() {
    for (backend, mut instance) in instances(&config()) {
        for expected in 101..=5100 {
            let next: i32 = instance.call_typed("next", ()).unwrap();
            assert_eq!(next, expected, "{}", backend.name());
        }
        for n in 0..2000 {
            let sum: i32 = instance.call_typed("add", (n, n)).unwrap();
            assert_eq!(sum, 2 * n, "{}", backend.name());
        }
    }
}

#[test]
fn exported_memory_is_read_and_written_within_bounds() {
    for (backend, mut instance) in instances(&config()) {
        let b = backend.name();
        assert_eq!(instance.memory_size("memory").unwrap(), 65536, "{b}");
        instance
            .write_memory("memory", 1000, &[1, 2, 3, 250])
            .unwrap();
        let sum: i32 = instance.call_typed("sum", (1000, 4)).unwrap();
        assert_eq!(sum, 256, "{b}");
        let mut back = [0u8; 4];
        instance.read_memory("memory", 1000, &mut back).unwrap();
        assert_eq!(back, [1, 2, 3, 250], "{b}");
        // Past the end: refused whole, nothing written.
        match instance.write_memory("memory", 65534, b"abc") {
            Err(e @ Error::MemoryAccess { .. }) => assert!(
                e.to_string()
                    .contains("3 bytes at 65534, memory is 65536 bytes"),
                "{b}: {e}"
            ),
            other => panic!("{b}: {other:?}"),
        }
        let mut tail = [9u8; 2];
        instance.read_memory("memory", 65534, &mut tail).unwrap();
        assert_eq!(tail, [0, 0], "{b}");
        assert!(matches!(
            instance.read_memory("memory", u64::MAX, &mut tail),
            Err(Error::MemoryAccess { .. })
        ));
        assert!(matches!(
            instance.memory_size("heap"),
            Err(Error::NoSuchExport { kind: "memory", .. })
        ));
    }
}

#[test]
fn each_call_has_the_output_it_wrote_and_only_that() {
    for (backend, mut instance) in instances(&config()) {
        let b = backend.as_ref();
        for word in ["hello, ", "plugin"] {
            instance
                .write_memory("memory", 100, word.as_bytes())
                .unwrap();
            let call = instance
                .call(
                    "say",
                    &[HostValue::I32(100), HostValue::I32(word.len() as i32)],
                )
                .unwrap();
            // fd_write's errno, then what this call wrote.
            assert_eq!(
                call.returned(),
                Some(&[HostValue::I32(0)][..]),
                "{}",
                b.name()
            );
            assert_eq!(call.stdout, word.as_bytes(), "{}", b.name());
        }
        let quiet = instance
            .call("add", &[HostValue::I32(1), HostValue::I32(1)])
            .unwrap();
        assert!(quiet.stdout.is_empty(), "{}", b.name());
    }
}

#[test]
fn a_trap_ends_the_call_and_the_instance_refuses_further_calls() {
    for (backend, mut instance) in instances(&config()) {
        let b = backend.as_ref();
        match ended(b, instance.call("trap", &[])) {
            Termination::Trap(trap) => assert_eq!(trap.kind, TrapKind::Unreachable, "{}", b.name()),
            other => panic!("{}: {other}", b.name()),
        }
        match instance.call("next", &[]) {
            Err(Error::InstanceUnusable {
                ended: Termination::Trap(_),
                ..
            }) => {}
            other => panic!("{}: {other:?}", b.name()),
        }
        assert!(matches!(instance.ended(), Some(Termination::Trap(_))));
        match instance.call_typed::<(), i32>("next", ()) {
            Err(CallError::Failed(Error::InstanceUnusable { .. })) => {}
            other => panic!("{}: {other:?}", b.name()),
        }
    }
}

#[test]
fn an_exit_ends_the_instance_with_its_code() {
    for (backend, mut instance) in instances(&config()) {
        let b = backend.as_ref();
        assert_eq!(
            ended(b, instance.call("quit", &[HostValue::I32(3)])),
            Termination::Exited(3),
            "{}",
            b.name()
        );
        assert!(matches!(
            instance.call("next", &[]),
            Err(Error::InstanceUnusable {
                ended: Termination::Exited(3),
                ..
            })
        ));
    }
}

#[test]
fn fuel_is_a_budget_per_call() {
    for (backend, mut instance) in instances(&config()) {
        let b = backend.as_ref();
        // What one call costs here (fuel units are the runtime's own; the first call may
        // also pay for compiling the function, as wasmi's lazy compilation does)...
        instance.call("work", &[HostValue::I32(30_000)]).unwrap();
        let second = instance.call("work", &[HostValue::I32(30_000)]).unwrap();
        let cost = second.fuel_consumed.unwrap_or_default();
        assert!(cost > 0, "{}: {second:?}", b.name());
        // ...then a budget of twice that: each call fits it, the three together would not.
        instance.set_limits(CallLimits {
            fuel: Some(2 * cost),
            timeout: None,
        });
        for _ in 0..3 {
            let call = instance.call("work", &[HostValue::I32(30_000)]).unwrap();
            assert_eq!(call.returned(), Some(&[][..]), "{}", b.name());
            assert_eq!(call.fuel_consumed, Some(cost), "{}", b.name());
        }
        assert_eq!(
            ended(b, instance.call("spin", &[])),
            Termination::OutOfFuel,
            "{}",
            b.name()
        );
    }
}

#[test]
fn a_timeout_is_per_call_and_can_be_changed_between_calls() {
    for (backend, mut instance) in instances(&config()) {
        let b = backend.as_ref();
        assert_eq!(instance.limits(), CallLimits::default());
        // A call that returns is not cut short by a timeout set later.
        returned(b, instance.call("work", &[HostValue::I32(1000)]));
        instance.set_limits(CallLimits {
            fuel: None,
            timeout: Some(Duration::from_millis(100)),
        });
        returned(b, instance.call("work", &[HostValue::I32(1000)]));
        assert_eq!(
            ended(b, instance.call("spin", &[])),
            Termination::Timeout,
            "{}",
            b.name()
        );
    }
}

#[test]
fn an_export_calls_host_functions_and_a_panicking_one_traps() {
    for (backend, mut instance) in instances(&config()) {
        let b = backend.as_ref();
        let tripled: i32 = instance.call_typed("host_triple", 14).unwrap();
        assert_eq!(tripled, 42, "{}", b.name());
        match ended(b, instance.call("host_boom", &[])) {
            Termination::Trap(trap) => {
                assert_eq!(trap.kind, TrapKind::Other, "{}", b.name());
                assert!(
                    trap.message
                        .contains("panicked: the plugin's host is broken"),
                    "{}: {}",
                    b.name(),
                    trap.message
                );
            }
            other => panic!("{}: {other}", b.name()),
        }
    }
}

#[test]
fn a_call_of_the_wrong_name_or_types_fails_and_changes_nothing() {
    for (_, mut instance) in instances(&config()) {
        // Errors name the backend value that made the instance.
        let b = instance.backend().name();
        match instance.call("missing", &[]) {
            Err(e @ Error::NoSuchExport { .. }) => assert_eq!(
                e.to_string(),
                format!("{b}: the instance exports no function named `missing`")
            ),
            other => panic!("{b}: {other:?}"),
        }
        match instance.call("add", &[HostValue::I64(1), HostValue::I32(2)]) {
            Err(e @ Error::ArgumentMismatch { .. }) => assert_eq!(
                e.to_string(),
                format!("{b}: `add` takes (i32, i32), not (i64, i32)")
            ),
            other => panic!("{b}: {other:?}"),
        }
        match instance.call_typed::<(i32, i32), i64>("add", (1, 2)) {
            Err(CallError::Failed(e @ Error::ArgumentMismatch { .. })) => {
                assert_eq!(
                    e.to_string(),
                    format!("{b}: `add` returns (i32), not (i64)")
                )
            }
            other => panic!("{b}: {other:?}"),
        }
        // None of that was a call: the instance goes on.
        assert_eq!(
            instance.call_typed::<(), i32>("next", ()).unwrap(),
            101,
            "{b}"
        );
    }
}

#[test]
fn exports_list_functions_with_signatures_and_memories() {
    for (backend, instance) in instances(&config()) {
        let exports = instance.exports();
        assert!(
            exports.contains(&Export::Function {
                name: "add".into(),
                signature: Signature::new([I32, I32], [I32]),
            }),
            "{}: {exports:?}",
            backend.name()
        );
        assert!(exports.contains(&Export::Memory {
            name: "memory".into()
        }));
    }
}

/// Runs `step` on `instance` on a thread of its own, and gives the instance back.
fn on_a_new_thread<T: Send + 'static>(
    mut instance: Instance,
    step: impl FnOnce(&mut Instance) -> T + Send + 'static,
) -> (Instance, T) {
    std::thread::spawn(move || {
        let result = step(&mut instance);
        (instance, result)
    })
    .join()
    .unwrap()
}

#[test]
fn an_instance_called_from_thread_after_thread_keeps_its_state() {
    fn is_send<T: Send>(_: &T) {}
    for (backend, instance) in instances(&config()) {
        let b = backend.name();
        is_send(&instance);
        let (instance, first) = on_a_new_thread(instance, |i| i.call_typed::<(), i32>("next", ()));
        let (instance, second) = on_a_new_thread(instance, |i| i.call_typed::<(), i32>("next", ()));
        assert_eq!((first.unwrap(), second.unwrap()), (101, 102), "{b}");
        // Memory written on one thread is read on the next, and the guest's WASI writes it
        // to this instance's stdout there.
        let (instance, written) =
            on_a_new_thread(instance, |i| i.write_memory("memory", 100, b"moved"));
        written.unwrap();
        let (instance, said) = on_a_new_thread(instance, |i| {
            i.call("say", &[HostValue::I32(100), HostValue::I32(5)])
        });
        assert_eq!(said.unwrap().stdout, b"moved", "{b}");
        let (instance, tripled) =
            on_a_new_thread(instance, |i| i.call_typed::<i32, i32>("host_triple", 14));
        assert_eq!(tripled.unwrap(), 42, "{b}");
        // Fuel and a timeout are armed for the thread each call runs on.
        let (instance, cost) = on_a_new_thread(instance, |i| {
            i.set_limits(CallLimits {
                fuel: Some(u64::MAX / 2),
                timeout: Some(Duration::from_millis(100)),
            });
            // The first call may also pay for compiling the function (wasmi compiles lazily).
            i.call("work", &[HostValue::I32(30_000)]).unwrap();
            i.call("work", &[HostValue::I32(30_000)])
                .unwrap()
                .fuel_consumed
        });
        let (_, spun) = on_a_new_thread(instance, |i| {
            let work = i.call("work", &[HostValue::I32(30_000)]).unwrap();
            (work.fuel_consumed, i.call("spin", &[]))
        });
        assert_eq!(cost, spun.0, "{b}: fuel of one call on another thread");
        assert_eq!(ended(backend.as_ref(), spun.1), Termination::Timeout, "{b}");
    }
}

#[test]
fn an_instantiation_failure_is_an_error_not_a_termination() {
    let start_traps =
        wat::parse_str(r#"(module (func $s unreachable) (start $s) (func (export "f")))"#).unwrap();
    let initialize_traps =
        wat::parse_str(r#"(module (func (export "_initialize") unreachable))"#).unwrap();
    let big = wat::parse_str(r#"(module (memory 4) (func (export "f")))"#).unwrap();
    let capped = RunConfig::builder()
        .max_memory_bytes(65536)
        .build()
        .unwrap();
    let missing = wat::parse_str(r#"(module (import "env" "nope" (func)))"#).unwrap();
    for backend in common::backends_with(Capability::Instances) {
        let b = backend.name();
        for (wasm, config) in [
            (&start_traps, RunConfig::default()),
            (&initialize_traps, RunConfig::default()),
            (&big, capped.clone()),
        ] {
            let module = backend.compile(wasm).unwrap();
            match backend.instantiate(&module, &config) {
                Err(Error::Instantiation { .. }) => {}
                other => panic!("{b}: {other:?}"),
            }
        }
        let module = backend.compile(&missing).unwrap();
        assert!(matches!(
            backend.instantiate(&module, &RunConfig::default()),
            Err(Error::MissingImports { .. })
        ));
    }
}

#[test]
fn an_initialize_past_the_fuel_budget_is_an_instantiation_failure() {
    // `_initialize` counts to a million: far past a budget of 10,000 on every runtime, well
    // within one of 10^9. (wasix runs it itself, before a budget can be set: wasmer holds what
    // it used against the budget afterwards.)
    let wasm = wat::parse_str(
        r#"(module (memory (export "memory") 1)
             (func (export "_initialize") (local $i i32)
               (loop $l
                 (local.set $i (i32.add (local.get $i) (i32.const 1)))
                 (br_if $l (i32.lt_s (local.get $i) (i32.const 1000000)))))
             (func (export "f")))"#,
    )
    .unwrap();
    let budget = |fuel| RunConfig::builder().fuel(fuel).build().unwrap();
    for backend in common::backends_with(Capability::Instances) {
        let module = backend.compile(&wasm).unwrap();
        match backend.instantiate(&module, &budget(10_000)) {
            Err(Error::Instantiation { message, .. }) => {
                assert!(
                    message.contains("_initialize"),
                    "{}: {message}",
                    backend.name()
                )
            }
            other => panic!("{}: {other:?}", backend.name()),
        }
        let mut instance = backend
            .instantiate(&module, &budget(1_000_000_000))
            .unwrap_or_else(|e| panic!("{}: {e}", backend.name()));
        returned(backend.as_ref(), instance.call("f", &[]));
    }
}

#[test]
fn a_plugin_checks_auth_tokens_in_its_memory_call_after_call() {
    // The `token` guest (Rust, wasm32-wasip1 cdylib): HMAC-SHA256 over a token the host writes
    // into its memory. The same answers on every target that declares instances, the buffer
    // reused call after call.
    let good = common::signed_token("user=alice;exp=2000000000");
    let mut forged = good.clone();
    let last = forged.len() - 1;
    forged[last] = if forged[last] == b'0' { b'1' } else { b'0' };
    let tampered = common::signed_token("user=alice;exp=2000000000")
        .iter()
        .map(|&b| if b == b'a' { b'A' } else { b })
        .collect::<Vec<u8>>();
    for backend in common::backends_with(Capability::Instances) {
        let b = backend.name();
        let module = backend.compile(common::token()).unwrap();
        let mut plugin = backend
            .instantiate(&module, &RunConfig::default())
            .unwrap_or_else(|e| panic!("{b}: {e}"));
        let len = good.len() as i32;
        let buffer: i32 = plugin.call_typed("alloc", len).unwrap();
        for round in 0..50 {
            for (token, valid) in [(&good, 1), (&forged, 0), (&tampered, 0)] {
                plugin.write_memory("memory", buffer as u64, token).unwrap();
                let answer: i32 = plugin.call_typed("check", (buffer, len)).unwrap();
                assert_eq!(
                    answer,
                    valid,
                    "{b}: round {round}, {:?}",
                    String::from_utf8_lossy(token)
                );
            }
        }
        let short: i32 = plugin.call_typed("check", (buffer, 10)).unwrap();
        assert_eq!(short, 0, "{b}");
    }
}

#[test]
fn an_initialize_that_never_ends_is_stopped_at_the_timeout() {
    // wasix runs `_initialize` itself while instantiating: the timeout must reach it there too.
    let wasm = wat::parse_str(
        r#"(module (memory (export "memory") 1)
             (func (export "_initialize") (loop $l (br $l)))
             (func (export "f")))"#,
    )
    .unwrap();
    let config = RunConfig::builder()
        .timeout(Duration::from_millis(200))
        .build()
        .unwrap();
    for backend in common::backends_with(Capability::Instances) {
        let module = backend.compile(&wasm).unwrap();
        match backend.instantiate(&module, &config) {
            Err(Error::Instantiation { .. }) => {}
            other => panic!("{}: {other:?}", backend.name()),
        }
    }
}
