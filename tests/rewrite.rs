//! The module rewrites of `wasiport::rewrite` (the fuel and memory limits of engines that have
//! none), checked on real engines through their own APIs: the rewritten module must do what the
//! engine's own limit would, and count the same wherever it runs.

use wasiport::rewrite::{limit_memory, meter, FUEL_GLOBAL};

/// Sums 1..=n in a loop, then returns: a guest whose exact cost is known.
fn counting(n: i32) -> Vec<u8> {
    wat::parse_str(format!(
        r#"(module (memory (export "memory") 1)
             (func (export "_start") (local $i i32)
               (loop $l
                 (local.set $i (i32.add (local.get $i) (i32.const 1)))
                 (br_if $l (i32.lt_s (local.get $i) (i32.const {n}))))))"#
    ))
    .unwrap()
}

/// What a metered `_start` leaves of `budget` on wasmtime (no fuel of its own), or `None` when
/// it trapped; and whether the counter went below zero.
fn run_on_wasmtime(wasm: &[u8], budget: i64) -> (Option<i64>, i64) {
    use wasmtime::{Engine, Instance, Module, Store, Val};
    let engine = Engine::default();
    let module = Module::new(&engine, wasm).unwrap();
    let mut store = Store::new(&engine, ());
    let instance = Instance::new(&mut store, &module, &[]).unwrap();
    let fuel = instance.get_global(&mut store, FUEL_GLOBAL).unwrap();
    fuel.set(&mut store, Val::I64(budget)).unwrap();
    let start = instance
        .get_typed_func::<(), ()>(&mut store, "_start")
        .unwrap();
    let ok = start.call(&mut store, ()).is_ok();
    let left = fuel.get(&mut store).unwrap_i64();
    (ok.then_some(left), left)
}

/// The same on wasmi, an interpreter.
fn run_on_wasmi(wasm: &[u8], budget: i64) -> (Option<i64>, i64) {
    use wasmi::{Engine, Linker, Module, Store, Val};
    let engine = Engine::default();
    let module = Module::new(&engine, wasm).unwrap();
    let mut store = Store::new(&engine, ());
    let instance = Linker::<()>::new(&engine)
        .instantiate_and_start(&mut store, &module)
        .unwrap();
    let fuel = instance.get_global(&store, FUEL_GLOBAL).unwrap();
    fuel.set(&mut store, Val::I64(budget)).unwrap();
    let start = instance.get_typed_func::<(), ()>(&store, "_start").unwrap();
    let ok = start.call(&mut store, ()).is_ok();
    let left = fuel.get(&store).i64().unwrap();
    (ok.then_some(left), left)
}

#[test]
fn a_metered_module_consumes_the_same_fuel_on_every_engine() {
    for n in [1, 10, 1000] {
        let metered = meter(&counting(n)).unwrap();
        let budget = 1 << 40;
        let (wasmtime, _) = run_on_wasmtime(&metered, budget);
        let (wasmi, _) = run_on_wasmi(&metered, budget);
        let used = budget - wasmtime.expect("finishes on wasmtime");
        assert_eq!(Some(budget - used), wasmi, "n = {n}");
        // The loop body (8 instructions, up to and with its `br_if`) is charged once an
        // iteration.
        let again = budget
            - run_on_wasmtime(&meter(&counting(n + 1)).unwrap(), budget)
                .0
                .unwrap();
        assert_eq!(again - used, 8, "n = {n}");
    }
}

#[test]
fn a_metered_module_traps_with_its_counter_below_zero_when_the_budget_runs_out() {
    let endless = wat::parse_str(
        r#"(module (memory (export "memory") 1) (func (export "_start") (loop $l (br $l))))"#,
    )
    .unwrap();
    let metered = meter(&endless).unwrap();
    for run in [run_on_wasmtime, run_on_wasmi] {
        let (finished, left) = run(&metered, 100_000);
        assert_eq!(finished, None);
        assert!(left < 0, "{left}");
    }
    // Enough fuel: a counting guest finishes with fuel left.
    let (finished, _) = run_on_wasmtime(&meter(&counting(100)).unwrap(), 100_000);
    assert!(finished.is_some_and(|left| left > 0));
}

#[test]
fn metering_a_real_program_keeps_it_valid_and_refuses_a_second_meter() {
    // A C guest of the suite: wasi-libc, many functions, a data section, an indirect table.
    let probe = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/conformance/suite/fd_io/fd_close_bad_fd_is_ebadf.wasm"
    ))
    .unwrap();
    let metered = meter(&probe).unwrap();
    wasmparser::Validator::new_with_features(wasmparser::WasmFeatures::all())
        .validate_all(&metered)
        .unwrap();
    assert_eq!(
        wasiport::ModuleInfo::parse(&metered).unwrap().imports(),
        wasiport::ModuleInfo::parse(&probe).unwrap().imports()
    );
    assert!(meter(&metered).unwrap_err().contains(FUEL_GLOBAL));
}

#[test]
fn a_lowered_memory_maximum_makes_grow_past_the_cap_fail() {
    let grow = wat::parse_str(
        r#"(module (memory (export "memory") 1)
             (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0))))"#,
    )
    .unwrap();
    let capped = limit_memory(&grow, 4 * 65536).unwrap();
    let engine = wasmtime::Engine::default();
    let module = wasmtime::Module::new(&engine, &capped).unwrap();
    let mut store = wasmtime::Store::new(&engine, ());
    let instance = wasmtime::Instance::new(&mut store, &module, &[]).unwrap();
    let grow = instance
        .get_typed_func::<i32, i32>(&mut store, "grow")
        .unwrap();
    assert_eq!(grow.call(&mut store, 3).unwrap(), 1);
    assert_eq!(grow.call(&mut store, 1).unwrap(), -1);
    assert!(limit_memory(&wat::parse_str("(module (memory 8))").unwrap(), 65536).is_err());
}
