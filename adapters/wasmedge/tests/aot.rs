//! WasmEdge's AOT path: a module compiled ahead of time into a native library behaves as the
//! interpreted one does.

use std::time::Duration;

use wasiport::{Backend, RunConfig, Termination, TrapKind};
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

#[test]
fn aot_modules_end_as_interpreted_ones_do() {
    let interpreter = Wasmedge::new().unwrap();
    let aot = Wasmedge::aot().unwrap();
    assert_eq!(
        (interpreter.mode(), aot.mode()),
        (Mode::Interpreter, Mode::Aot)
    );
    let plain = RunConfig::default();
    let fuel = RunConfig::builder().fuel(100_000).build().unwrap();
    let timeout = RunConfig::builder()
        .timeout(Duration::from_millis(300))
        .build()
        .unwrap();
    for (guest, config) in [
        ("hello", &plain),
        ("proc_exit", &plain),
        ("trap_unreachable", &plain),
        ("trap_memory_oob", &plain),
        ("trap_divide_by_zero", &plain),
        ("loop_forever", &fuel),
        ("loop_forever", &timeout),
    ] {
        let (a, a_out) = outcome(&interpreter, guest, config);
        let (b, b_out) = outcome(&aot, guest, config);
        assert!(a.same_as(&b), "{guest}: interpreted {a}, AOT {b}");
        assert_eq!(a_out, b_out, "{guest}");
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
