//! Reports are written atomically: a run killed with SIGKILL at any moment leaves the
//! previous report or a complete new one at the output path, never a partial file.

use crate::common::*;
use std::time::Duration;

/// A proposal file big enough that a check takes a while: the demo, repeated.
fn big_input(dir: &std::path::Path) -> std::path::PathBuf {
    let text = std::fs::read_to_string(demo_proposals()).unwrap();
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    let feats = v["features"].as_array().unwrap();
    let many: Vec<String> = (0..400)
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
    let mut saw_new = false;
    let mut killed = 0;
    for step in 0..24u64 {
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_ironrule"))
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
            .unwrap();
        std::thread::sleep(Duration::from_millis(step * step * 5));
        if child.try_wait().unwrap().is_none() {
            child.kill().unwrap(); // SIGKILL
            killed += 1;
        }
        child.wait().unwrap();
        let text = std::fs::read_to_string(&out).expect("the report is always there: old or new");
        if text != old {
            let v: serde_json::Value = serde_json::from_str(&text).unwrap_or_else(|e| {
                panic!("step {step}: partial report ({e}), {} bytes", text.len())
            });
            assert_eq!(v["summary"]["read"], 8800, "a complete new report");
            saw_new = true;
        }
    }
    assert!(
        killed > 0,
        "no run was interrupted; the input is too small to test this"
    );
    assert!(
        saw_new,
        "no run finished; the delays are too short to test this"
    );
}
