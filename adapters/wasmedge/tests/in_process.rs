//! WasmEdge in this process, with the portable WASI: what the worker gave (a timeout, a bound on
//! recursion) holds here too, and what needs this process refuses WasmEdge's own WASI.

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;
use std::time::Duration;

use wasiport::{
    Backend, Error, HostFunction, RunConfig, Signature, Termination, TrapKind, ValType, WasiImpl,
};
use wasiport_wasmedge::Wasmedge;

fn backends() -> [Wasmedge; 2] {
    [Wasmedge::new().unwrap(), Wasmedge::aot().unwrap()]
}

/// A command whose wasm start function calls `env.tick` and then loops forever when its
/// argument is nonzero: `(import "env" "tick" (func (result i32)))`.
const START_LOOPS: &str = r#"(module
    (import "env" "tick" (func $tick (result i32)))
    (memory (export "memory") 1)
    (func $start (if (call $tick) (then (loop $l (br $l)))))
    (start $start)
    (func (export "_start")))"#;

/// `env.tick`: counts its calls in `ticks`, returns `loop_after` (nonzero: the guest loops).
fn tick(ticks: &Arc<AtomicU32>, loop_after: i32) -> HostFunction {
    let ticks = ticks.clone();
    HostFunction::new(
        "env",
        "tick",
        Signature::new([], [ValType::I32]),
        move |_, _| {
            ticks.fetch_add(1, Ordering::SeqCst);
            Ok(vec![wasiport::HostValue::I32(loop_after)])
        },
    )
    .unwrap()
}

#[test]
fn a_host_function_is_called_in_this_process_from_a_start_function() {
    for backend in backends() {
        let module = backend
            .compile(&wat::parse_str(START_LOOPS).unwrap())
            .unwrap();
        let ticks = Arc::new(AtomicU32::new(0));
        let config = RunConfig::builder()
            .host_function(tick(&ticks, 0))
            .build()
            .unwrap();
        let outcome = backend.run(&module, &config).unwrap();
        assert_eq!(outcome.termination, Termination::Exited(0));
        assert_eq!(ticks.load(Ordering::SeqCst), 1, "{:?}", backend.mode());
    }
}

#[test]
fn a_start_function_that_never_ends_is_stopped_at_the_timeout() {
    for backend in backends() {
        let module = backend
            .compile(&wat::parse_str(START_LOOPS).unwrap())
            .unwrap();
        let ticks = Arc::new(AtomicU32::new(0));
        let config = RunConfig::builder()
            .host_function(tick(&ticks, 1))
            .timeout(Duration::from_millis(200))
            .build()
            .unwrap();
        // No instance: neither a run nor an instance is made.
        match backend.run(&module, &config) {
            Err(Error::Instantiation { message, .. }) => {
                assert!(message.contains("timed out"), "{message}")
            }
            other => panic!("{:?}: {other:?}", backend.mode()),
        }
        match backend.instantiate(&module, &config) {
            Err(Error::Instantiation { message, .. }) => {
                assert!(message.contains("start function"), "{message}")
            }
            other => panic!("{:?}: {other:?}", backend.mode()),
        }
    }
}

#[test]
fn host_functions_and_instances_refuse_wasmedges_own_wasi_when_it_is_chosen() {
    let backend = Wasmedge::new().unwrap();
    let module = backend
        .compile(&wat::parse_str(START_LOOPS).unwrap())
        .unwrap();
    let ticks = Arc::new(AtomicU32::new(0));
    let native = RunConfig::builder()
        .host_function(tick(&ticks, 0))
        .wasi(WasiImpl::Native)
        .build()
        .unwrap();
    for refused in [
        backend.run(&module, &native).map(|_| ()),
        backend.instantiate(&module, &native).map(|_| ()),
    ] {
        match refused {
            Err(Error::InvalidConfig(message)) => {
                assert!(message.contains("--wasi portable"), "{message}")
            }
            other => panic!("{other:?}"),
        }
    }
    assert_eq!(ticks.load(Ordering::SeqCst), 0);
}

#[test]
fn a_call_recursing_without_end_overflows_at_the_depth_limit_and_the_instance_is_spent() {
    let wasm = wat::parse_str(
        r#"(module
            (func $down (export "down") (param i32) (result i32)
                (if (result i32) (local.get 0)
                    (then (i32.add (call $down (i32.sub (local.get 0) (i32.const 1))) (i32.const 1)))
                    (else (i32.const 0)))))"#,
    )
    .unwrap();
    for backend in backends() {
        let module = backend.compile(&wasm).unwrap();
        let mut instance = backend.instantiate(&module, &RunConfig::default()).unwrap();
        // Deep, within the limit: the depth counts back down after each call.
        for _ in 0..3 {
            assert_eq!(
                instance.call_typed::<i32, i32>("down", 10_000).unwrap(),
                10_000
            );
        }
        match instance.call_typed::<i32, i32>("down", i32::MAX) {
            Err(wasiport::CallError::Ended(Termination::Trap(trap))) => {
                assert_eq!(trap.kind, TrapKind::StackOverflow, "{}", trap.message)
            }
            other => panic!("{:?}: {other:?}", backend.mode()),
        }
        assert!(matches!(
            instance.call_typed::<i32, i32>("down", 1),
            Err(wasiport::CallError::Failed(Error::InstanceUnusable { .. }))
        ));
    }
}
