//! Differential fuzzing on real engines: the short run CI gates on, divergences found, classified
//! and shrunk, and the command line's bad input.

mod common;

use std::process::Output;
use std::time::Duration;

use serde_json::Value;
use wasiport_conformance::backends;
use wasiport_conformance::fuzz::{self, Class, Fd, Kind, Op, Program, Text, PATHS};

const TIMEOUT: Duration = Duration::from_secs(10);

fn wasiport(args: &[&str]) -> Output {
    common::wasiport_command()
        .args(args)
        .output()
        .expect("run wasiport")
}

fn path(name: &str) -> Text {
    Text::Path(
        PATHS
            .iter()
            .position(|p| *p == name)
            .expect("a path of the pool") as u8,
    )
}

#[test]
fn a_short_fuzz_run_on_every_target_finds_no_mandated_divergence_nobody_has_recorded() {
    let out = wasiport(&[
        "fuzz",
        "--programs",
        "40",
        "--no-minimize",
        "--format",
        "json",
    ]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    let report: Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("a JSON report: {e}; {:?}; stderr: {stderr}", out.status));
    let new: Vec<String> = report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter(|f| f["class"] == "mandated" && f["known"].is_null())
        .map(|f| {
            format!(
                "{}: {} {} (seed {})",
                f["target"], f["function"], f["kind"], f["seed"]
            )
        })
        .collect();
    assert_eq!(
        out.status.code(),
        Some(0),
        "new divergences: {new:#?}\n{stderr}"
    );
    assert!(report["reference_errors"]
        .as_array()
        .is_some_and(|e| e.is_empty()));
    let targets = report["targets"].as_array().expect("targets");
    assert_eq!(
        targets.len(),
        backends::TARGETS.len() - 1,
        "every target but the reference"
    );
    for t in targets {
        let (agreed, diverged) = (
            t["agreed"].as_u64().unwrap(),
            t["diverged"].as_u64().unwrap(),
        );
        assert_eq!(
            agreed + diverged,
            40,
            "each program counts once on {}",
            t["name"]
        );
    }
}

#[test]
fn a_call_the_spec_leaves_open_is_an_implementation_defined_divergence() {
    // wasmtime traps on a path out of bounds; the portable WASI returns `fault`.
    let reference = backends::by_name("wasmtime").unwrap();
    let portable = backends::by_name("wasmtime-portable").unwrap();
    let program = Program {
        seed: 0,
        calls: vec![Op::PathFilestatGet {
            dir: Fd::Slot(0),
            lookup: 0,
            path: Text::OutOfBounds,
        }],
    };
    let divergence = fuzz::check(reference.as_ref(), portable.as_ref(), &program, TIMEOUT)
        .expect("the two differ");
    assert_eq!(divergence.kind, Kind::Stopped);
    assert_eq!(divergence.observed, "fault");
    assert!(divergence.reference.starts_with("trap"), "{divergence:?}");
    assert_eq!(
        divergence.class,
        Class::ImplementationDefined(fuzz::OUT_OF_BOUNDS)
    );
}

#[test]
fn a_mandated_divergence_is_found_and_shrunk_to_the_call_that_makes_it() {
    // wasmer makes a directory where a symbolic link already is (POSIX mkdir: EEXIST).
    let reference = backends::by_name("wasmtime").unwrap();
    let wasmer = backends::by_name("wasmer").unwrap();
    let mkdir = Op::PathCreateDirectory {
        dir: Fd::Slot(0),
        path: path("link"),
    };
    let program = Program {
        seed: 0,
        calls: vec![
            Op::FdPrestatGet { fd: Fd::Slot(0) },
            Op::PathFilestatGet {
                dir: Fd::Slot(0),
                lookup: 0,
                path: path("file.txt"),
            },
            mkdir.clone(),
            Op::FdSync {
                fd: Fd::Raw(fuzz::NOT_OPEN),
            },
        ],
    };
    let divergence = fuzz::check(reference.as_ref(), wasmer.as_ref(), &program, TIMEOUT)
        .expect("wasmer differs");
    assert_eq!(
        divergence.signature(),
        "path_create_directory errno: exist / success"
    );
    assert_eq!(divergence.call, Some(2));
    assert_eq!(divergence.class, Class::Mandated);
    let small = fuzz::minimize(&program, divergence.call, |p| {
        fuzz::check(reference.as_ref(), wasmer.as_ref(), p, TIMEOUT)
            .is_some_and(|d| d.signature() == divergence.signature())
    });
    assert_eq!(small.calls, vec![mkdir]);
    // And the shrunk program runs the same on a target that gets it right.
    let portable = backends::by_name("wasmtime-portable").unwrap();
    assert_eq!(
        fuzz::check(reference.as_ref(), portable.as_ref(), &small, TIMEOUT),
        None
    );
}

#[test]
fn bad_fuzz_flags_and_files_are_one_line_and_a_distinct_exit_code() {
    let dir = tempfile::tempdir().unwrap();
    let malformed = dir.path().join("known.json");
    std::fs::write(&malformed, r#"[{"target": "wasmer", "signature": "x"}]"#).unwrap();
    let missing = dir.path().join("missing.json");
    let cases: [(&[&str], i32, &str); 5] = [
        (&["fuzz", "--programs", "0"], 64, "at least 1"),
        (&["fuzz", "--timeout", "0"], 64, "--timeout"),
        (&["fuzz", "--backend", "nope"], 64, "unknown backend `nope`"),
        (
            &["fuzz", "--known", missing.to_str().unwrap()],
            66,
            "missing.json",
        ),
        (&["fuzz", "--known", malformed.to_str().unwrap()], 65, "why"),
    ];
    for (args, code, needle) in cases {
        let out = wasiport(args);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(code), "{args:?}: {err}");
        assert_eq!(err.lines().count(), 1, "{args:?}: {err}");
        assert!(
            err.contains(needle) && !err.contains("panicked"),
            "{args:?}: {err}"
        );
    }
}

#[test]
fn saved_findings_are_suite_tests_that_expect_the_references_output() {
    let dir = tempfile::tempdir().unwrap();
    let out = wasiport(&[
        "fuzz",
        "--backend",
        "wasmer",
        "--programs",
        "4",
        "--save",
        dir.path().to_str().unwrap(),
    ]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let saved: Vec<_> = std::fs::read_dir(dir.path()).unwrap().flatten().collect();
    assert!(!saved.is_empty(), "wasmer diverges within 4 programs");
    for file in saved {
        let text = std::fs::read_to_string(file.path()).unwrap();
        wat::parse_str(&text).unwrap_or_else(|e| panic!("{}: {e}", file.path().display()));
        let spec = text
            .lines()
            .find_map(|l| l.strip_prefix(";;! "))
            .expect("a spec line");
        let spec: Value = serde_json::from_str(spec).unwrap();
        assert_eq!(spec["dirs"], serde_json::json!(["fuzz.dir"]));
        assert!(spec["stdout"]
            .as_str()
            .is_some_and(|s| s.starts_with("00 ")));
    }
}
