//! `wasiport reliability` on real engines: fuzzing, a soak and every fault scenario, small.

mod common;

#[test]
fn a_small_reliability_run_finds_no_leak_and_no_broken_fault_scenario() {
    let dir = tempfile::tempdir().unwrap();
    let (doc, json) = (dir.path().join("reliability.md"), dir.path().join("r.json"));
    let out = common::wasiport_command()
        .args([
            "reliability",
            "--programs",
            "5",
            "--mangle-cases",
            "20",
            "--soak-runs",
            "40",
            "--soak-threads",
            "2",
        ])
        .arg("--out")
        .arg(&doc)
        .arg("--json")
        .arg(&json)
        .output()
        .expect("run wasiport");
    let report: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&json).expect("the JSON report")).unwrap();
    let broke: Vec<&serde_json::Value> = report["faults"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["verdict"] == "broke")
        .collect();
    assert!(broke.is_empty(), "{broke:#?}");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = std::fs::read_to_string(&doc).unwrap();
    for section in ["## Differential fuzzing", "## Soak", "## Faults"] {
        assert!(text.contains(section), "{section} missing");
    }
    // Every scenario ran somewhere, and the worker was really killed.
    for scenario in [
        "output flood",
        "host function panics",
        "cache full",
        "cache corrupt",
    ] {
        assert!(
            report["faults"]
                .as_array()
                .unwrap()
                .iter()
                .any(|f| f["scenario"] == scenario && f["verdict"] == "held"),
            "{scenario}"
        );
    }
    let mangled = report["mangled"].as_array().unwrap();
    assert!(
        mangled.iter().all(|m| m["panicked"] == 0 && m["hung"] == 0),
        "{mangled:#?}"
    );
    assert!(mangled
        .iter()
        .any(|m| m["target"] == "spec parser" && m["refused"].as_u64() > Some(0)));
    let soaks = report["soaks"].as_array().unwrap();
    assert!(!soaks.is_empty());
    assert!(soaks.iter().all(|s| s["failed"] == 0 && s["runs"] == 40));
}
