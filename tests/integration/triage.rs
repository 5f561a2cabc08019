//! Waivers and baselines: approved and already-known findings are reported with their status
//! and do not fail the run; expired, unused and malformed waivers are reported; a baseline
//! survives reordering and centimetre re-digitising, and catches a finding that grows.

use crate::common::*;
use serde_json::Value;

fn check(extra: &[&str], file: &str) -> (i32, Value, String) {
    let mut args = vec![
        "check",
        "-p",
        "data/yichang/ironrule.toml",
        "--format",
        "json",
    ];
    args.extend(extra);
    args.push(file);
    let out = ironrule(&args);
    let json = serde_json::from_str(&stdout(&out)).unwrap_or(Value::Null);
    (code(&out), json, stderr(&out))
}

fn status(json: &Value, feature: &str, code: &str) -> String {
    json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["feature"]["id"] == feature && f["code"] == code)
        .map(|f| f["triage"]["status"].as_str().unwrap().to_owned())
        .unwrap_or_else(|| "absent".into())
}

fn diagnostics(json: &Value) -> Vec<String> {
    json["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["message"].as_str().unwrap().to_owned())
        .collect()
}

const WAIVERS: &str = "data/yichang/waivers.toml";
const DEMO: &str = "data/yichang/proposals.geojson";

#[test]
fn a_waived_finding_is_reported_as_waived_and_expired_and_unused_waivers_are_warnings() {
    let (code, json, _) = check(&["--waivers", WAIVERS, "--as-of", "2026-11-30"], DEMO);
    assert_eq!(code, 1, "other prohibited findings remain");
    assert_eq!(status(&json, "P08", "YC202"), "waived");
    assert_eq!(
        json["findings"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["feature"]["id"] == "P08" && f["code"] == "YC202")
            .unwrap()["triage"]["body"],
        "State Council"
    );
    // Expired on 2025-12-31: active, and said so.
    assert_eq!(status(&json, "P07", "YC201"), "active");
    let diags = diagnostics(&json);
    assert!(
        diags.iter().any(|d| d.contains("expired on 2025-12-31")),
        "{diags:?}"
    );
    assert!(
        diags
            .iter()
            .any(|d| d.contains("unused waiver") && d.contains("P99")),
        "{diags:?}"
    );
    assert_eq!(json["summary"]["waived"], 1);
    assert_eq!(
        json["summary"]["findings"], 67,
        "waived findings are not dropped"
    );
}

#[test]
fn a_waiver_is_valid_through_its_expiry_day_and_not_the_day_after() {
    let (_, on, _) = check(&["--waivers", WAIVERS, "--as-of", "2027-06-30"], DEMO);
    assert_eq!(status(&on, "P08", "YC202"), "waived");
    let (_, after, _) = check(&["--waivers", WAIVERS, "--as-of", "2027-07-01"], DEMO);
    assert_eq!(status(&after, "P08", "YC202"), "active");
    assert!(diagnostics(&after)
        .iter()
        .any(|d| d.contains("P08") && d.contains("expired on 2027-06-30")));
}

#[test]
fn waivers_alone_can_make_a_run_pass() {
    // Only P08 submitted: its two prohibited findings, YC202 waived, YC203 not.
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(demo_proposals()).unwrap();
    let p08: Vec<&str> = text
        .lines()
        .filter(|l| l.contains("\"id\":\"P08\""))
        .collect();
    assert_eq!(p08.len(), 1);
    let one = format!(
        "{{\"type\":\"FeatureCollection\",\"features\":[{}]}}",
        p08[0].trim_end_matches(',')
    );
    let file = dir.path().join("p08.geojson");
    std::fs::write(&file, one).unwrap();
    let waivers = dir.path().join("w.toml");
    std::fs::write(
        &waivers,
        r#"
[[waiver]]
rule = "YC202"
feature = "P08"
document = "A-1"
body = "State Council"
[[waiver]]
rule = "YC203"
feature = "P08"
document = "A-2"
body = "Hubei Provincial Government"
"#,
    )
    .unwrap();
    let (code, json, err) = check(
        &["--waivers", waivers.to_str().unwrap()],
        file.to_str().unwrap(),
    );
    assert_eq!(code, 0, "{err}");
    assert_eq!(json["summary"]["waived"], 2);
    // SARIF records them as accepted external suppressions.
    let out = ironrule(&[
        "check",
        "-p",
        "data/yichang/ironrule.toml",
        "--format",
        "sarif",
        "--waivers",
        waivers.to_str().unwrap(),
        file.to_str().unwrap(),
    ]);
    let sarif: Value = serde_json::from_str(&stdout(&out)).unwrap();
    let s = &sarif["runs"][0]["results"][0]["suppressions"][0];
    assert_eq!(s["kind"], "external");
    assert_eq!(s["status"], "accepted");
}

#[test]
fn malformed_waivers_are_errors_with_their_location() {
    let dir = tempfile::tempdir().unwrap();
    let w = dir.path().join("w.toml");
    std::fs::write(&w, "[[waiver]]\nrule = \"YC202\"\nfeature = \"P08\"\ndocument = \"A\"\nbody = \"B\"\nexpires = \"2027-02-30\"\n\n[[waiver]]\nrule = \"YC999\"\nfeature = \"P01\"\ndocument = \"A\"\nbody = \"B\"\n").unwrap();
    let out = ironrule(&[
        "check",
        "-p",
        "data/yichang/ironrule.toml",
        "--waivers",
        w.to_str().unwrap(),
        DEMO,
    ]);
    assert_eq!(code(&out), 2);
    let err = stderr(&out);
    assert!(
        err.contains("w.toml:6:11") && err.contains("2027-02-30"),
        "{err}"
    );
    assert!(
        err.contains("w.toml:8:1") && err.contains("unknown rule 'YC999'"),
        "{err}"
    );
    std::fs::write(&w, "[[waiver]]\nrule = \"YC202\"\nfeature = \"P08\"\n").unwrap();
    let out = ironrule(&[
        "check",
        "-p",
        "data/yichang/ironrule.toml",
        "--waivers",
        w.to_str().unwrap(),
        DEMO,
    ]);
    assert_eq!(code(&out), 2);
    // Both missing keys at once, at their table, with what they are.
    let err = stderr(&out);
    assert!(
        err.contains(
            "w.toml:1:1: missing `document` in [[waiver]] #1 (The approval document's number"
        ) && err.contains("w.toml:1:1: missing `body` in [[waiver]] #1 (The body that approved it"),
        "{err}"
    );
}

/// The demo without P20 (it touches the urban boundary from inside: any move can push it
/// across), written as `proposals.geojson` in `dir`; with `moved`, its features reversed and
/// every coordinate moved by 1e-7° (about 1 cm); with `grow_p14`, P14 grown 1.5 times about
/// its first vertex.
fn variant(dir: &std::path::Path, moved: bool, grow_p14: bool) -> std::path::PathBuf {
    let text = std::fs::read_to_string(demo_proposals()).unwrap();
    let mut doc: Value = serde_json::from_str(&text).unwrap();
    let features = doc["features"].as_array_mut().unwrap();
    features.retain(|f| f["id"] != "P20");
    if moved {
        features.reverse();
    }
    fn shift(v: &mut Value, by: f64, origin: Option<(f64, f64)>) {
        match v {
            Value::Array(a) if a.len() >= 2 && a.iter().all(Value::is_number) => {
                let (x, y) = (a[0].as_f64().unwrap(), a[1].as_f64().unwrap());
                let (x, y) = match origin {
                    Some((ox, oy)) => (ox + (x - ox) * 1.5, oy + (y - oy) * 1.5),
                    None => (x, y),
                };
                a[0] = Value::from(x + by);
                a[1] = Value::from(y + by);
            }
            Value::Array(a) => a.iter_mut().for_each(|x| shift(x, by, origin)),
            _ => {}
        }
    }
    for f in features.iter_mut() {
        let origin = (grow_p14 && f["id"] == "P14").then(|| {
            let c = &f["geometry"]["coordinates"][0][0];
            (c[0].as_f64().unwrap(), c[1].as_f64().unwrap())
        });
        shift(
            &mut f["geometry"]["coordinates"],
            if moved { 1e-7 } else { 0.0 },
            origin,
        );
    }
    std::fs::create_dir_all(dir).unwrap();
    let p = dir.join("proposals.geojson");
    std::fs::write(&p, doc.to_string()).unwrap();
    p
}

#[test]
fn a_baseline_survives_reordering_and_centimetre_moves_and_catches_growth() {
    let dir = tempfile::tempdir().unwrap();
    let original = variant(&dir.path().join("a"), false, false);
    let baseline = dir.path().join("baseline.json");
    let out = ironrule(&[
        "baseline",
        "write",
        "-p",
        "data/yichang/ironrule.toml",
        "-o",
        baseline.to_str().unwrap(),
        original.to_str().unwrap(),
    ]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let b: Value = serde_json::from_str(&std::fs::read_to_string(&baseline).unwrap()).unwrap();
    let recorded = b["findings"].as_array().unwrap().len();
    assert_eq!(recorded, 67);
    let base = baseline.to_str().unwrap();

    // The same file: everything known, the run passes.
    let (code0, json, _) = check(&["--baseline", base], original.to_str().unwrap());
    assert_eq!(code0, 0);
    assert_eq!(json["summary"]["baselined"], recorded);
    assert_eq!(json["summary"]["fixed"], 0);

    // Reordered, every vertex moved by about 1 cm: still all known.
    let moved = variant(&dir.path().join("b"), true, false);
    let (code1, json, _) = check(&["--baseline", base], moved.to_str().unwrap());
    assert_eq!(code1, 0, "{}", json["findings"]);
    assert_eq!(json["summary"]["baselined"], recorded);

    // P14 grown 1.5 times: its green-space overlap is far beyond the recorded value, so it
    // is a new finding and fails the run; the recorded one is reported fixed.
    let grown = variant(&dir.path().join("c"), true, true);
    let (code2, json, _) = check(&["--baseline", base], grown.to_str().unwrap());
    assert_eq!(code2, 1);
    assert_eq!(status(&json, "P14", "YC402"), "active");
    assert!(
        json["fixed"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["feature"] == "P14"),
        "{}",
        json["fixed"]
    );

    // Without P01, its finding is reported fixed.
    let mut doc: Value =
        serde_json::from_str(&std::fs::read_to_string(&original).unwrap()).unwrap();
    doc["features"]
        .as_array_mut()
        .unwrap()
        .retain(|f| f["id"] != "P01");
    std::fs::create_dir_all(dir.path().join("d")).unwrap();
    let without = dir.path().join("d/proposals.geojson");
    std::fs::write(&without, doc.to_string()).unwrap();
    let (code3, json, _) = check(&["--baseline", base], without.to_str().unwrap());
    assert_eq!(code3, 0);
    assert_eq!(json["summary"]["fixed"], 1);
    assert_eq!(json["fixed"][0]["code"], "YC101");
    assert_eq!(json["fixed"][0]["feature"], "P01");
}

/// A CSV report's rows, sorted.
fn sorted_rows(csv: &str) -> Vec<String> {
    let mut rows: Vec<String> = csv.lines().skip(1).map(str::to_owned).collect();
    rows.sort();
    rows
}

/// `check --format csv`'s rows that `audit` writes too (the share rule judges a submission
/// together: `audit` does not evaluate it), sorted.
fn audited_rows(csv: &str) -> Vec<String> {
    let mut rows = sorted_rows(csv);
    rows.retain(|l| !l.starts_with("YC601,"));
    rows
}

/// `audit --waivers` judges findings as `check --waivers` does: the same statuses in the same
/// CSV columns, the same warnings, waived findings failing nothing; with and without the
/// findings layer (two code paths).
#[test]
fn audit_takes_the_same_waivers_as_check() {
    let out = ironrule(&[
        "check",
        "-p",
        "data/yichang/ironrule.toml",
        "--format",
        "csv",
        "--waivers",
        WAIVERS,
        "--as-of",
        "2026-11-30",
        DEMO,
    ]);
    assert_eq!(code(&out), 1);
    let expected = audited_rows(&stdout(&out));
    assert!(expected
        .iter()
        .any(|l| l.starts_with("YC202,") && l.ends_with(",waived")));
    for layer in ["geojsonl", "none"] {
        let dir = tempfile::tempdir().unwrap();
        let o = dir.path().to_str().unwrap();
        let out = ironrule(&[
            "audit",
            "-p",
            "data/yichang/ironrule.toml",
            "-o",
            o,
            "--quiet",
            "--waivers",
            WAIVERS,
            "--as-of",
            "2026-11-30",
            "--findings-layer",
            layer,
            DEMO,
        ]);
        assert_eq!(code(&out), 1, "{}", stderr(&out));
        let csv = std::fs::read_to_string(dir.path().join("findings.csv")).unwrap();
        let got = sorted_rows(&csv);
        assert_eq!(got, expected, "--findings-layer {layer}");
        let diags = std::fs::read_to_string(dir.path().join("diagnostics.csv")).unwrap();
        assert!(diags.contains("expired on 2025-12-31"), "{diags}");
        assert!(
            diags.contains("unused waiver") && diags.contains("P99"),
            "{diags}"
        );
        let summary: Value = serde_json::from_str(
            &std::fs::read_to_string(dir.path().join("summary.json")).unwrap(),
        )
        .unwrap();
        assert_eq!(summary["waived"], 1);
        if layer == "geojsonl" {
            let layer = std::fs::read_to_string(dir.path().join("findings.geojsonl")).unwrap();
            assert!(
                layer.contains("\"waived\""),
                "the layer carries the status too"
            );
        }
    }

    // Waive every prohibited finding of the demo but the share rule's: the audit passes.
    let json: Value = serde_json::from_str(&stdout(&ironrule(&[
        "check",
        "-p",
        "data/yichang/ironrule.toml",
        "--format",
        "json",
        DEMO,
    ])))
    .unwrap();
    let mut all = String::new();
    for f in json["findings"].as_array().unwrap() {
        if f["severity"] == "prohibited" && f["code"] != "YC601" {
            all.push_str(&format!(
                "[[waiver]]\nrule = {}\nfeature = {}\ndocument = \"test\"\nbody = \"test\"\n\n",
                f["code"], f["feature"]["id"]
            ));
        }
    }
    let dir = tempfile::tempdir().unwrap();
    let waivers = dir.path().join("all.toml");
    std::fs::write(&waivers, all).unwrap();
    let o = dir.path().join("out");
    let out = ironrule(&[
        "audit",
        "-p",
        "data/yichang/ironrule.toml",
        "-o",
        o.to_str().unwrap(),
        "--waivers",
        waivers.to_str().unwrap(),
        DEMO,
    ]);
    assert_eq!(code(&out), 0, "{}", stdout(&out));
    assert!(
        stdout(&out).contains("covered by a valid waiver"),
        "{}",
        stdout(&out)
    );
}

/// `audit --baseline` marks what `check --baseline` marks, with and without the findings
/// layer; the share rule's entries, which an audit never evaluates, come back as fixed.
#[test]
fn audit_takes_the_same_baseline_as_check() {
    let dir = tempfile::tempdir().unwrap();
    let baseline = dir.path().join("baseline.json");
    let b = baseline.to_str().unwrap();
    let out = ironrule(&[
        "baseline",
        "write",
        "-p",
        "data/yichang/ironrule.toml",
        "--output",
        b,
        DEMO,
    ]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let out = ironrule(&[
        "check",
        "-p",
        "data/yichang/ironrule.toml",
        "--format",
        "csv",
        "--baseline",
        b,
        DEMO,
    ]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let share_rows = stdout(&out)
        .lines()
        .filter(|l| l.starts_with("YC601,"))
        .count();
    assert!(share_rows > 0);
    let expected = audited_rows(&stdout(&out));
    assert!(
        expected.iter().all(|l| l.ends_with(",baselined")),
        "{expected:?}"
    );
    for layer in ["geojsonl", "none"] {
        let o = dir.path().join(layer);
        let out = ironrule(&[
            "audit",
            "-p",
            "data/yichang/ironrule.toml",
            "-o",
            o.to_str().unwrap(),
            "--baseline",
            b,
            "--findings-layer",
            layer,
            DEMO,
        ]);
        assert_eq!(code(&out), 0, "{}", stdout(&out));
        assert!(
            stdout(&out).contains("are in the baseline"),
            "{}",
            stdout(&out)
        );
        let csv = std::fs::read_to_string(o.join("findings.csv")).unwrap();
        let got = sorted_rows(&csv);
        assert_eq!(got, expected, "--findings-layer {layer}");
        let summary: Value =
            serde_json::from_str(&std::fs::read_to_string(o.join("summary.json")).unwrap())
                .unwrap();
        assert_eq!(summary["baselined"], expected.len());
        assert_eq!(summary["fixed"], share_rows);
    }
}
