//! Reports are written atomically: a run killed with SIGKILL at any moment leaves the
//! previous report or a complete new one at the output path, never a partial file.

use crate::common::*;
use std::time::Duration;

/// A proposal file big enough that a check takes a while: the demo, repeated.
fn big_input(dir: &std::path::Path) -> std::path::PathBuf {
    let text = std::fs::read_to_string(demo_proposals()).unwrap();
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    let feats = v["features"].as_array().unwrap();
    let many: Vec<String> = (0..200)
        .flat_map(|_| feats.iter().map(|f| f.to_string()))
        .collect();
    let p = dir.join("many.geojson");
    std::fs::write(&p, collection(None, &many)).unwrap();
    p
}

#[test]
fn sigkill_never_leaves_a_partial_report() {
    let dir = tempfile::tempdir().unwrap();
    let input = big_input(dir.path());
    let out = dir.path().join("report.json");
    let old = "{\"previous\": true}\n";
    std::fs::write(&out, old).unwrap();
    let run = || {
        std::process::Command::new(env!("CARGO_BIN_EXE_ironrule"))
            .args([
                "check",
                "-p",
                demo_project().to_str().unwrap(),
                "-f",
                "json",
                "-o",
                out.to_str().unwrap(),
                input.to_str().unwrap(),
            ])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap()
    };
    let verify = |step: usize| {
        let text = std::fs::read_to_string(&out).expect("the report is always there: old or new");
        if text != old {
            let v: serde_json::Value = serde_json::from_str(&text).unwrap_or_else(|e| {
                panic!("step {step}: partial report ({e}), {} bytes", text.len())
            });
            assert_eq!(v["summary"]["read"], 200 * 38, "a complete new report");
        }
    };
    // Kill runs before any new report exists; then time a full run and kill later runs at
    // fractions of its duration, so the kills land around the moment the report is written.
    let mut killed = 0;
    for step in 0..4 {
        let mut child = run();
        std::thread::sleep(Duration::from_millis(20 * step as u64));
        if child.try_wait().unwrap().is_none() {
            child.kill().unwrap(); // SIGKILL
            killed += 1;
        }
        child.wait().unwrap();
        verify(step);
    }
    let started = std::time::Instant::now();
    assert_eq!(run().wait().unwrap().code(), Some(1));
    let full = started.elapsed();
    verify(99);
    assert_ne!(
        std::fs::read_to_string(&out).unwrap(),
        old,
        "a full run wrote its report"
    );
    for step in 0..16 {
        let mut child = run();
        std::thread::sleep(full.mul_f64(0.3 + 0.05 * step as f64));
        if child.try_wait().unwrap().is_none() {
            child.kill().unwrap();
            killed += 1;
        }
        child.wait().unwrap();
        verify(100 + step);
    }
    assert!(
        killed > 0,
        "no run was interrupted; the input is too small to test this"
    );
}
