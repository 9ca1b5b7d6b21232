//! The module rewrites of `wasiport::rewrite` (the fuel and memory limits of engines that have
//! none), checked on real engines through their own APIs: the rewritten module must do what the
//! engine's own limit would, and count the same wherever it runs.

use wasiport::rewrite::{limit_memory, meter, Metering, FUEL_GLOBAL, REFUEL_IMPORT};

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
        let metered = meter(&counting(n), Metering::Trap).unwrap();
        let budget = 1 << 40;
        let (wasmtime, _) = run_on_wasmtime(&metered, budget);
        let (wasmi, _) = run_on_wasmi(&metered, budget);
        let used = budget - wasmtime.expect("finishes on wasmtime");
        assert_eq!(Some(budget - used), wasmi, "n = {n}");
        // The loop body (8 instructions, up to and with its `br_if`) is charged once an
        // iteration.
        let again = budget
            - run_on_wasmtime(&meter(&counting(n + 1), Metering::Trap).unwrap(), budget)
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
    let metered = meter(&endless, Metering::Trap).unwrap();
    for run in [run_on_wasmtime, run_on_wasmi] {
        let (finished, left) = run(&metered, 100_000);
        assert_eq!(finished, None);
        assert!(left < 0, "{left}");
    }
    // Enough fuel: a counting guest finishes with fuel left.
    let (finished, _) = run_on_wasmtime(&meter(&counting(100), Metering::Trap).unwrap(), 100_000);
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
    let metered = meter(&probe, Metering::Trap).unwrap();
    let validate = |wasm: &[u8]| {
        wasmparser::Validator::new_with_features(wasmparser::WasmFeatures::all())
            .validate_all(wasm)
            .unwrap();
    };
    validate(&metered);
    let imports = |wasm: &[u8]| {
        wasiport::ModuleInfo::parse(wasm)
            .unwrap()
            .imports()
            .to_vec()
    };
    assert_eq!(imports(&metered), imports(&probe));
    assert!(meter(&metered, Metering::Trap)
        .unwrap_err()
        .contains(FUEL_GLOBAL));
    // Refuelled: the same imports and one more, last.
    let refuelled = meter(&probe, Metering::Refuel).unwrap();
    validate(&refuelled);
    let (before, after) = (imports(&probe), imports(&refuelled));
    assert_eq!(after.len(), before.len() + 1);
    assert_eq!(after[..before.len()], before[..]);
    let last = &after[before.len()];
    assert_eq!((last.module.as_str(), last.name.as_str()), REFUEL_IMPORT);
    assert!(meter(&refuelled, Metering::Refuel)
        .unwrap_err()
        .contains(REFUEL_IMPORT.1));
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

/// Runs a module metered with [`Metering::Refuel`] on wasmtime, handing out `budget` in slices
/// of `slice`: the fuel it consumed, or `None` once it needed more than `budget`; and how many
/// times it asked.
fn run_refuelled_on_wasmtime(wasm: &[u8], budget: i64, slice: i64) -> (Option<i64>, u32) {
    use wasmtime::{Engine, Linker, Module, Store, Val};
    struct Granted {
        total: i64,
        calls: u32,
    }
    let engine = Engine::default();
    let module = Module::new(&engine, wasm).unwrap();
    let mut store = Store::new(&engine, Granted { total: 0, calls: 0 });
    let mut linker = Linker::new(&engine);
    let (m, n) = REFUEL_IMPORT;
    linker
        .func_wrap(
            m,
            n,
            move |mut caller: wasmtime::Caller<'_, Granted>, counter: i64| {
                let granted = caller.data_mut();
                granted.calls += 1;
                let consumed = granted.total - counter;
                if consumed > budget {
                    return Err(wasmtime::Error::msg("out of fuel"));
                }
                let next = slice.min(budget - consumed);
                granted.total = consumed + next;
                Ok(next)
            },
        )
        .unwrap();
    let instance = linker.instantiate(&mut store, &module).unwrap();
    let fuel = instance.get_global(&mut store, FUEL_GLOBAL).unwrap();
    // Nothing granted yet: the first charge asks.
    fuel.set(&mut store, Val::I64(0)).unwrap();
    let start = instance
        .get_typed_func::<(), ()>(&mut store, "_start")
        .unwrap();
    let ok = start.call(&mut store, ()).is_ok();
    let left = fuel.get(&mut store).unwrap_i64();
    let granted = store.data();
    (ok.then_some(granted.total - left), granted.calls)
}

#[test]
fn a_refuelled_module_consumes_what_a_trapping_one_does_and_stops_when_the_host_refuses() {
    let budget = 1 << 40;
    for n in [1, 10, 1000] {
        let trapping = budget
            - run_on_wasmtime(&meter(&counting(n), Metering::Trap).unwrap(), budget)
                .0
                .unwrap();
        let refuelled = meter(&counting(n), Metering::Refuel).unwrap();
        let (consumed, calls) = run_refuelled_on_wasmtime(&refuelled, budget, 100);
        assert_eq!(consumed, Some(trapping), "n = {n}");
        // A slice of 100 and the overshoot of the charge that asked for it (under 100 here).
        let calls = i64::from(calls);
        assert!(
            (trapping / 200..=trapping / 100 + 1).contains(&calls),
            "n = {n}: {calls} calls for {trapping}"
        );
        // A budget one short of what it needs: the host refuses, the run ends.
        let (short, _) = run_refuelled_on_wasmtime(&refuelled, trapping - 1, 100);
        assert_eq!(short, None, "n = {n}");
        let (exact, _) = run_refuelled_on_wasmtime(&refuelled, trapping, 100);
        assert_eq!(exact, Some(trapping), "n = {n}");
    }
}

#[test]
fn refuelling_renumbers_calls_tables_and_exports_past_the_new_import() {
    // An imported function, a direct call, a call through a table and a `ref.func`: each must
    // still reach the function it named.
    let wasm = wat::parse_str(
        r#"(module
             (import "host" "seven" (func $seven (result i32)))
             (table 1 funcref) (elem (i32.const 0) $double)
             (global $f funcref (ref.func $double))
             (type $t (func (param i32) (result i32)))
             (func $double (param i32) (result i32) (i32.mul (local.get 0) (i32.const 2)))
             (func (export "run") (result i32)
               (i32.add
                 (call $double (call $seven))
                 (call_indirect (type $t) (i32.const 100) (i32.const 0)))))"#,
    )
    .unwrap();
    use wasmtime::{Engine, Linker, Module, Store, Val};
    let engine = Engine::default();
    let module = Module::new(&engine, meter(&wasm, Metering::Refuel).unwrap()).unwrap();
    let mut store = Store::new(&engine, ());
    let mut linker = Linker::new(&engine);
    linker.func_wrap("host", "seven", || 7i32).unwrap();
    let (m, n) = REFUEL_IMPORT;
    linker.func_wrap(m, n, |_: i64| 1_000_000i64).unwrap();
    let instance = linker.instantiate(&mut store, &module).unwrap();
    let fuel = instance.get_global(&mut store, FUEL_GLOBAL).unwrap();
    fuel.set(&mut store, Val::I64(0)).unwrap();
    let run = instance
        .get_typed_func::<(), i32>(&mut store, "run")
        .unwrap();
    assert_eq!(run.call(&mut store, ()).unwrap(), 214);
}

#[test]
fn modules_metered_with_a_shared_counter_draw_on_one_budget() {
    // Two modules of one run (as a component's core modules are): the second calls the first's
    // export and has a global of its own, which the imported counter moves one index on. Each
    // charges the one counter the host gives both; nothing of its own is exported.
    use wasiport::rewrite::{meter_sharing, FUEL_IMPORT};
    use wasmtime::{Engine, Global, GlobalType, Linker, Module, Mutability, Store, Val, ValType};
    let callee = wat::parse_str(
        r#"(module (import "env" "base" (global $base i32))
             (func (export "count") (param $n i32) (result i32) (local $i i32)
               (loop $l
                 (local.set $i (i32.add (local.get $i) (i32.const 1)))
                 (br_if $l (i32.lt_s (local.get $i) (local.get $n))))
               (i32.add (global.get $base) (local.get $i))))"#,
    )
    .unwrap();
    let caller = wat::parse_str(
        r#"(module (import "callee" "count" (func $count (param i32) (result i32)))
             (global $calls (mut i32) (i32.const 0))
             (func (export "run") (param i32) (result i32)
               (global.set $calls (i32.add (global.get $calls) (i32.const 1)))
               (i32.add (global.get $calls) (call $count (local.get 0)))))"#,
    )
    .unwrap();
    let (callee, caller) = (
        meter_sharing(&callee).unwrap(),
        meter_sharing(&caller).unwrap(),
    );
    let engine = Engine::default();
    let run = |n: i32, budget: i64| -> (Option<i32>, i64) {
        let mut store = Store::new(&engine, ());
        let counter = Global::new(
            &mut store,
            GlobalType::new(ValType::I64, Mutability::Var),
            Val::I64(budget),
        )
        .unwrap();
        let base = Global::new(
            &mut store,
            GlobalType::new(ValType::I32, Mutability::Const),
            Val::I32(100),
        )
        .unwrap();
        let mut linker = Linker::new(&engine);
        let (m, name) = FUEL_IMPORT;
        linker.define(&store, m, name, counter).unwrap();
        linker.define(&store, "env", "base", base).unwrap();
        let first = linker
            .instantiate(&mut store, &Module::new(&engine, &callee).unwrap())
            .unwrap();
        linker.instance(&mut store, "callee", first).unwrap();
        let second = linker
            .instantiate(&mut store, &Module::new(&engine, &caller).unwrap())
            .unwrap();
        let f = second
            .get_typed_func::<i32, i32>(&mut store, "run")
            .unwrap();
        let result = f.call(&mut store, n).ok();
        (result, counter.get(&mut store).unwrap_i64())
    };
    let budget = 1 << 40;
    let (result, left) = run(10, budget);
    // The imported `base` and the caller's own `calls` are read where they were.
    assert_eq!(result, Some(100 + 10 + 1));
    let used = budget - left;
    // Both modules charged the one counter: each loop iteration (8 instructions) on top.
    let (_, left_11) = run(11, budget);
    assert_eq!(budget - left_11 - used, 8);
    // The budget is the run's: exactly enough finishes, one less runs out in whichever module.
    assert_eq!(run(10, used).0, Some(111));
    let (short, below) = run(10, used - 1);
    assert_eq!(short, None);
    assert!(below < 0, "{below}");
}

/// A module with a start function, a table, `call_indirect`, a tail call and recursion: after
/// [`start_as_export`] and [`limit_call_depth`], wasmtime computes what it computed before, and a
/// recursion past the limit traps at it.
#[test]
fn a_depth_limited_module_with_its_start_exported_computes_the_same_on_wasmtime() {
    use wasiport::rewrite::{limit_call_depth, start_as_export, DEPTH_GLOBAL, START_EXPORT};
    use wasmtime::{Engine, Instance, Module, Store};
    let wasm = wat::parse_str(
        r#"(module
            (global $started (mut i32) (i32.const 0))
            (table 2 funcref)
            (elem (i32.const 0) $sum $count)
            (type $unary (func (param i32) (result i32)))
            (func $init (global.set $started (i32.const 40)))
            (start $init)
            (func $sum (param i32) (result i32)
                (if (result i32) (local.get 0)
                    (then (i32.add (local.get 0)
                        (call_indirect (type $unary) (i32.sub (local.get 0) (i32.const 1)) (i32.const 0))))
                    (else (global.get $started))))
            (func $count (param i32) (result i32)
                (if (result i32) (local.get 0)
                    (then (return_call $count (i32.sub (local.get 0) (i32.const 1))))
                    (else (i32.const 2))))
            (func (export "sum") (param i32) (result i32) (call $sum (local.get 0)))
            (func (export "count") (param i32) (result i32)
                (call_indirect (type $unary) (local.get 0) (i32.const 1))))"#,
    )
    .unwrap();
    let limited = limit_call_depth(&start_as_export(&wasm).unwrap(), 1000).unwrap();
    let engine = Engine::default();
    let run = |wasm: &[u8], start: bool, name: &str, arg: i32| {
        let module = Module::new(&engine, wasm).unwrap();
        let mut store = Store::new(&engine, ());
        let instance = Instance::new(&mut store, &module, &[]).unwrap();
        if start {
            let start = instance.get_typed_func::<(), ()>(&mut store, START_EXPORT);
            start.unwrap().call(&mut store, ()).unwrap();
        }
        let f = instance
            .get_typed_func::<i32, i32>(&mut store, name)
            .unwrap();
        let result = f.call(&mut store, arg).ok();
        let depth = instance.get_global(&mut store, DEPTH_GLOBAL);
        (result, depth.map(|g| g.get(&mut store).unwrap_i32()))
    };
    // Within the limit: the same values, and every frame counted back off.
    assert_eq!(run(&wasm, false, "sum", 100), (Some(5050 + 40), None));
    assert_eq!(run(&limited, true, "sum", 100), (Some(5050 + 40), Some(0)));
    // Tail calls add no frame: a million of them stay within a limit of 1,000.
    assert_eq!(run(&limited, true, "count", 1_000_000), (Some(2), Some(0)));
    // Past it: a trap, with the counter at the limit.
    assert_eq!(run(&limited, true, "sum", 5000), (None, Some(1000)));
}

/// Only functions that can recurse are counted: mutual recursion (`$even` and `$odd`) and a
/// function that reaches itself through a table, which only a global's `ref.func` fills
/// (`$down`), trap at the limit; a leaf function and an export that calls one of them directly
/// get no thunk.
#[test]
fn a_depth_limit_counts_the_functions_on_a_cycle_of_calls_and_only_those() {
    use wasiport::rewrite::{limit_call_depth, DEPTH_GLOBAL};
    use wasmtime::{Engine, Instance, Module, Store};
    let wasm = wat::parse_str(
        r#"(module
            (type $unary (func (param i32) (result i32)))
            (table 1 funcref)
            (global $held funcref (ref.func $down))
            (func $leaf (param i32) (result i32) (i32.sub (local.get 0) (i32.const 1)))
            (func $even (export "even") (param i32) (result i32)
                (if (result i32) (local.get 0)
                    (then (call $odd (call $leaf (local.get 0))))
                    (else (i32.const 1))))
            (func $odd (param i32) (result i32)
                (if (result i32) (local.get 0)
                    (then (call $even (call $leaf (local.get 0))))
                    (else (i32.const 0))))
            (func $down (param i32) (result i32)
                (if (result i32) (local.get 0)
                    (then
                        (table.set (i32.const 0) (global.get $held))
                        (call_indirect (type $unary) (call $leaf (local.get 0)) (i32.const 0)))
                    (else (i32.const 7))))
            (func (export "down") (param i32) (result i32) (call $down (local.get 0))))"#,
    )
    .unwrap();
    let limited = limit_call_depth(&wasm, 1000).unwrap();
    let functions = |wasm: &[u8]| {
        wasmparser::Parser::new(0)
            .parse_all(wasm)
            .find_map(|p| match p.unwrap() {
                wasmparser::Payload::FunctionSection(reader) => Some(reader.count()),
                _ => None,
            })
            .unwrap()
    };
    // Five functions, and a thunk each for $even, $odd and $down.
    assert_eq!((functions(&wasm), functions(&limited)), (5, 8));
    let engine = Engine::default();
    let module = Module::new(&engine, &limited).unwrap();
    let run = |name: &str, arg: i32| {
        let mut store = Store::new(&engine, ());
        let instance = Instance::new(&mut store, &module, &[]).unwrap();
        let f = instance
            .get_typed_func::<i32, i32>(&mut store, name)
            .unwrap();
        let result = f.call(&mut store, arg).ok();
        let depth = instance.get_global(&mut store, DEPTH_GLOBAL).unwrap();
        (result, depth.get(&mut store).unwrap_i32())
    };
    assert_eq!(run("even", 100), (Some(1), 0));
    assert_eq!(run("even", 101), (Some(0), 0));
    assert_eq!(run("down", 100), (Some(7), 0));
    assert_eq!(run("even", 5000), (None, 1000));
    assert_eq!(run("down", 5000), (None, 1000));
}
