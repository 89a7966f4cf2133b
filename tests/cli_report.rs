//! `priority-line report`, run as an operator would: the fixed JSON, CSV,
//! text, the chart file, and exit status 2 with what to write instead.

use std::process::{Command, Output};

const BIN: &str = env!("CARGO_BIN_EXE_priority-line");

/// The example configuration on an empty SQLite file in `dir`.
fn config(dir: &std::path::Path) -> std::path::PathBuf {
    let example = std::fs::read_to_string("config/example.toml").unwrap();
    let storage = format!("url = \"sqlite://{}/report.db\"", dir.display());
    let text = example.replace("url = \"sqlite://data/priority-line.db\"", &storage);
    assert!(text.contains(&storage), "the example's storage line moved: update this test");
    let path = dir.join("report.toml");
    std::fs::write(&path, text).unwrap();
    path
}

fn report(config: &std::path::Path, args: &[&str]) -> Output {
    Command::new(BIN).arg("report").arg("--config").arg(config).args(args).output().unwrap()
}

#[test]
fn a_week_as_json_csv_text_and_a_chart() {
    let dir = tempfile::tempdir().unwrap();
    let config = config(dir.path());
    let json = report(&config, &["--week", "2026-W48", "--customer", "ACME", "--format", "json"]);
    assert!(json.status.success(), "{}", String::from_utf8_lossy(&json.stderr));
    let value: serde_json::Value = serde_json::from_slice(&json.stdout).expect("JSON");
    assert_eq!((value["week"].as_str(), value["zone"].as_str()), (Some("2026-W48"), Some("Europe/Madrid")));
    assert_eq!(value["by_severity"]["4"]["median_first_response_s"], serde_json::Value::Null);
    let keys: Vec<&str> = value.as_object().unwrap().keys().map(String::as_str).collect();
    let fixed = ["week", "zone", "customer", "by_severity", "breaches", "low_ratings", "open", "signatures"];
    assert_eq!(keys.iter().collect::<std::collections::BTreeSet<_>>(), fixed.iter().collect(), "SPEC.md's keys");
    let l1: Vec<&str> = value["by_severity"]["1"].as_object().unwrap().keys().map(String::as_str).collect();
    assert!(l1.contains(&"rated") && l1.contains(&"satisfaction_avg"), "{l1:?}");

    let csv = report(&config, &["--week", "2026-W48", "--format", "csv", "--zone", "America/New_York"]);
    let csv = String::from_utf8(csv.stdout).unwrap();
    assert_eq!(csv.lines().count(), 9, "a header and four severities of two weeks: {csv}");
    assert!(csv.lines().any(|l| l == "2026-W47,4,0,0,0,0,,,0,0,0,0,"), "{csv}");

    let chart = dir.path().join("chart.png");
    let text = report(&config, &["--week", "2026-W48", "--language", "es", "--chart", chart.to_str().unwrap()]);
    let text = String::from_utf8(text.stdout).unwrap();
    assert!(text.starts_with("Resumen semanal 2026-W48 · todos los clientes"), "{text}");
    assert_eq!(&std::fs::read(&chart).unwrap()[..4], b"\x89PNG");
}

#[test]
fn a_bad_week_customer_or_zone_exits_2_saying_what_to_write() {
    let dir = tempfile::tempdir().unwrap();
    let config = config(dir.path());
    for (args, says) in [
        (&["--week", "2026-48"][..], "YYYY-Www"),
        (&["--week", "2025-W53"][..], "52 or 53"),
        (&["--week", "2026-W48", "--customer", "NOPE"][..], "ACME, GLOBEX"),
        (&["--week", "2026-W48", "--zone", "Mars/Olympus"][..], "Europe/Madrid"),
    ] {
        let out = report(&config, args);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains(says), "{args:?}: {stderr}");
        assert!(out.stdout.is_empty());
    }
}
