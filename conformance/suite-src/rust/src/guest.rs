//! The harness of the WASI 0.2 conformance guests: checks that report to stderr and count
//! failures, and a `main` that runs the one case its argument names.
//!
//! A group's program lists its cases:
//!
//! ```ignore
//! guest::main(&[
//!     guest::case!(now_is_monotonic, "wasi:clocks/monotonic-clock#now", {
//!         guest::check!(a <= b);
//!     }),
//! ]);
//! ```
//!
//! The suite builder reads each `case!(name, "features"` line for the test's name and its
//! `features`, and `//! name {json}` (or `//! * {json}`) lines for the rest of its spec; the
//! test runs the program with the case's name as its one argument. A case passes when it
//! returns with no failed check: the program exits 0, else 1.

use std::sync::atomic::{AtomicUsize, Ordering};

static FAILURES: AtomicUsize = AtomicUsize::new(0);

/// Notes a failed check (the line and what was expected) on stderr.
pub fn fail(line: u32, what: std::fmt::Arguments<'_>) {
    FAILURES.fetch_add(1, Ordering::Relaxed);
    eprintln!("line {line}: {what}");
}

/// `cond` holds, or the check fails.
#[macro_export]
macro_rules! check {
    ($cond:expr) => {
        if !$cond {
            $crate::fail(line!(), format_args!("expected {}", stringify!($cond)));
        }
    };
}

/// `a == b`, or the check fails with both values.
#[macro_export]
macro_rules! check_eq {
    ($a:expr, $b:expr) => {{
        let (a, b) = (&$a, &$b);
        if a != b {
            $crate::fail(
                line!(),
                format_args!("{}: expected {:?}, got {:?}", stringify!($a), b, a),
            );
        }
    }};
}

/// `value` matches `pattern`, or the check fails with what it was.
#[macro_export]
macro_rules! check_matches {
    ($value:expr, $pattern:pat) => {{
        match $value {
            $pattern => {}
            other => $crate::fail(
                line!(),
                format_args!(
                    "{}: expected {}, got {:?}",
                    stringify!($value),
                    stringify!($pattern),
                    other
                ),
            ),
        }
    }};
}

/// `made`'s `Ok` value, or, when it is an error matching `denied` (a host may refuse there),
/// the case ends there; any other error fails the check and ends the case.
#[macro_export]
macro_rules! made_or {
    ($made:expr, $denied:pat) => {
        match $made {
            Ok(made) => made,
            Err(e) => {
                $crate::check_matches!(e, $denied);
                return;
            }
        }
    };
}

/// `result` is `Err(expected)`, or the check fails with what it was.
#[macro_export]
macro_rules! check_err {
    ($result:expr, $expected:expr) => {{
        match $result {
            Err(e) if e == $expected => {}
            other => $crate::fail(
                line!(),
                format_args!(
                    "{}: expected Err({:?}), got {:?}",
                    stringify!($result),
                    $expected,
                    other.map(|_| ())
                ),
            ),
        }
    }};
}

/// `result`'s `Ok` value, or the check fails (with the error) and the case ends.
#[macro_export]
macro_rules! ok {
    ($result:expr) => {
        match $result {
            Ok(v) => v,
            Err(e) => {
                $crate::fail(
                    line!(),
                    format_args!("{}: expected Ok, got Err({:?})", stringify!($result), e),
                );
                return;
            }
        }
    };
}

/// One case: its name and its body (`async { ... }` for a WASI 0.3 program's, see [`run_p3`]).
#[macro_export]
macro_rules! case {
    ($name:ident, $features:literal, async $body:block) => {
        (stringify!($name), {
            fn case() -> ::std::pin::Pin<Box<dyn ::std::future::Future<Output = ()>>> {
                Box::pin(async move $body)
            }
            case as $crate::AsyncCase
        })
    };
    ($name:ident, $features:literal, $body:block) => {
        (stringify!($name), {
            fn case() $body
            case as fn()
        })
    };
}

/// The body of a WASI 0.3 program's case.
pub type AsyncCase = fn() -> std::pin::Pin<Box<dyn std::future::Future<Output = ()>>>;

/// What a WASI 0.3 program's `wasi:cli/run` returns: runs the case named by the program's one
/// argument; `ok` when no check failed, `err` (exit code 1) when one did or no case has that
/// name.
pub async fn run_p3(cases: &[(&str, AsyncCase)]) -> Result<(), ()> {
    let name = std::env::args().nth(1).unwrap_or_default();
    let Some((_, run)) = cases.iter().find(|(n, _)| *n == name) else {
        eprintln!("no case `{name}`");
        return Err(());
    };
    run().await;
    if FAILURES.load(Ordering::Relaxed) == 0 {
        Ok(())
    } else {
        Err(())
    }
}

/// Runs the case named by the program's one argument and exits: 0 when no check failed, 1
/// when one did, 2 when no case has that name.
pub fn main(cases: &[(&str, fn())]) -> ! {
    let name = std::env::args().nth(1).unwrap_or_default();
    let Some((_, run)) = cases.iter().find(|(n, _)| *n == name) else {
        eprintln!("no case `{name}`");
        std::process::exit(2)
    };
    run();
    std::process::exit(if FAILURES.load(Ordering::Relaxed) == 0 { 0 } else { 1 })
}

/// The descriptor of the preopen named `name` among `dirs`, or the case's failure.
fn named<D>(dirs: Vec<(D, String)>, name: &str) -> Option<D> {
    let found = dirs.into_iter().find(|(_, n)| n == name).map(|(d, _)| d);
    if found.is_none() {
        fail(line!(), format_args!("no preopen `{name}`"));
    }
    found
}

/// The preopened directory named `name`, or the case's failure.
pub fn preopen(name: &str) -> Option<wasip2::filesystem::types::Descriptor> {
    named(wasip2::filesystem::preopens::get_directories(), name)
}

/// The WASI 0.3 preopened directory named `name`, or the case's failure.
pub fn preopen_p3(name: &str) -> Option<wasip3::filesystem::types::Descriptor> {
    named(wasip3::filesystem::preopens::get_directories(), name)
}

/// `pairs` as an environment, sorted (what `get-environment` answers, sorted, should be).
pub fn environment(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    let mut env: Vec<(String, String)> = pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    env.sort();
    env
}

/// A WASI 0.3 program: a `wasi:cli/run@0.3.0` whose async `run` runs the case its argument
/// names ([`run_p3`]), and the empty `main` a Rust binary needs.
#[macro_export]
macro_rules! p3_main {
    ($($case:expr),* $(,)?) => {
        struct Program;
        wasip3::cli::command::export!(Program);
        impl wasip3::exports::cli::run::Guest for Program {
            async fn run() -> Result<(), ()> {
                $crate::run_p3(&[$($case),*]).await
            }
        }
        fn main() {}
    };
}
