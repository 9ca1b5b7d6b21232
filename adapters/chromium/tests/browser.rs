//! The chromium backend's browser under bad conditions: no browser, a browser that dies, a module
//! V8 refuses. Each gets one clear error, and the next run works.

use std::sync::Mutex;
use std::time::Duration;

use wasiport::{Backend, Error, RunConfig, Termination};
use wasiport_chromium::Chromium;

/// The tests share one warm runner per program, and one of them kills it: they take turns.
static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

fn hello() -> Vec<u8> {
    wat::parse_str(
        r#"(module
        (import "wasi_snapshot_preview1" "fd_write" (func $w (param i32 i32 i32 i32) (result i32)))
        (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
        (memory (export "memory") 1)
        (data (i32.const 16) "hi\n")
        (func (export "_start")
          (i32.store (i32.const 0) (i32.const 16))
          (i32.store (i32.const 4) (i32.const 3))
          (call $exit (call $w (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))))"#,
    )
    .unwrap()
}

/// The pids of this process's children whose program is `name`.
fn children_named(name: &str) -> Vec<i32> {
    let me = std::process::id().to_string();
    std::fs::read_dir("/proc")
        .unwrap()
        .filter_map(|e| e.ok()?.file_name().into_string().ok()?.parse::<i32>().ok())
        .filter(|pid| {
            let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
            // pid (comm) state ppid ...
            let Some((comm, rest)) = stat.split_once(") ") else {
                return false;
            };
            comm.ends_with(&format!("({name}"))
                && rest.split_whitespace().nth(1) == Some(me.as_str())
        })
        .collect()
}

#[test]
fn a_missing_browser_is_one_clear_error() {
    let _turn = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    match Chromium::with_program("/nonexistent/bin/chromium") {
        Err(Error::Internal { backend, message }) => {
            assert_eq!(backend, "chromium");
            assert!(
                message.contains("cannot run `/nonexistent/bin/chromium`"),
                "{message}"
            );
            assert!(message.contains("WASIPORT_CHROMIUM"), "{message}");
        }
        Err(other) => panic!("{other}"),
        Ok(_) => panic!("a backend on a missing program"),
    }
}

#[test]
fn a_browser_that_dies_is_started_again_and_the_next_run_works() {
    let _turn = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let backend = Chromium::new().unwrap();
    let module = backend.compile(&hello()).unwrap();
    let config = RunConfig::default();
    assert_eq!(backend.run(&module, &config).unwrap().stdout, b"hi\n");
    let runners = children_named("chromium");
    assert!(
        !runners.is_empty(),
        "no browser among this process's children"
    );
    for pid in runners {
        // SAFETY: kill(2) with a pid read from /proc; at worst it names a process gone already.
        unsafe { libc::kill(pid, libc::SIGKILL) };
    }
    std::thread::sleep(Duration::from_millis(100));
    // The module was compiled in the dead browser: a page of the new one compiles it again.
    let outcome = backend.run(&module, &config).unwrap();
    assert_eq!(outcome.termination, Termination::Exited(0));
    assert_eq!(outcome.stdout, b"hi\n");
    // And compiling works in the new browser too.
    assert!(backend.compile(&hello()).is_ok());
}

#[test]
fn a_module_v8_refuses_is_invalid_with_v8s_words_and_the_browser_goes_on() {
    let _turn = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let backend = Chromium::new().unwrap();
    // Well-formed sections (the text parser validates nothing), but a body V8's validator
    // refuses: no i32 for the result.
    let bad = wat::parse_str(r#"(module (func (result i32) (nop)))"#).unwrap();
    match backend.compile(&bad) {
        Err(Error::InvalidModule { backend, message }) => {
            assert_eq!(backend, "chromium");
            assert!(message.starts_with("CompileError"), "{message}");
        }
        other => panic!("{other:?}"),
    }
    // The browser is still fine.
    let module = backend.compile(&hello()).unwrap();
    assert!(backend
        .run(&module, &RunConfig::default())
        .unwrap()
        .success());
}
