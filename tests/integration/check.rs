//! `ironrule check` end to end on the demo data: each spatial test, each exit code, the JSON
//! contract CI consumers rely on.

use crate::common::*;
use std::collections::BTreeSet;

#[test]
fn demo_fires_many_rules_and_exits_1() {
    let (code, json, _) = check_json(&[&demo_proposals()], &[]);
    assert_eq!(code, 1);
    let codes: BTreeSet<String> = keys(&json).into_iter().map(|(_, c)| c).collect();
    assert!(codes.len() >= 5, "{codes:?}");
    let s = &json["summary"];
    assert_eq!(s["read"], 38);
    assert_eq!(
        s["read"].as_u64().unwrap(),
        s["checked"].as_u64().unwrap() + s["rejected"].as_u64().unwrap()
    );
    assert_eq!(
        s["findings"].as_u64().unwrap() as usize,
        json["findings"].as_array().unwrap().len()
    );
}

#[test]
fn json_has_the_documented_keys() {
    let (_, json, _) = check_json(&[&demo_proposals()], &[]);
    for f in json["findings"].as_array().unwrap() {
        for key in [
            "code", "severity", "feature", "zone", "measure", "message", "citation",
        ] {
            assert!(!f[key].is_null(), "finding lacks {key}: {f}");
        }
        for key in ["source", "index", "id"] {
            assert!(f["feature"].get(key).is_some(), "feature lacks {key}");
        }
        assert!(f["zone"].get("layer").is_some() && f["zone"].get("id").is_some());
        for key in ["kind", "value", "unit", "limit"] {
            assert!(!f["measure"][key].is_null(), "measure lacks {key}");
        }
        assert!(f["citation"]["instrument"].is_string());
    }
    assert!(json["diagnostics"].is_array());
}

fn finding<'a>(json: &'a serde_json::Value, id: &str, code: &str) -> &'a serde_json::Value {
    json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["feature"]["id"] == id && f["code"] == code)
        .unwrap_or_else(|| panic!("no {code} for {id}"))
}

#[test]
fn each_test_kind_carries_its_evidence() {
    let (_, json, _) = check_json(&[&demo_proposals()], &[]);
    // setback: a chemical plant about 600 m from the Yangtze.
    let f = finding(&json, "P01", "YC101");
    assert_eq!(f["measure"]["kind"], "distance");
    let d = f["measure"]["value"].as_f64().unwrap();
    assert!((500.0..700.0).contains(&d), "{d}");
    assert_eq!(f["measure"]["limit"], 1000.0);
    assert_eq!(f["zone"]["layer"], "yangtze");
    assert_eq!(
        f["geometry"]["type"], "LineString",
        "nearest-points segment"
    );
    assert_eq!(
        f["geometry_crs"], "EPSG:4326",
        "offending part in the input's CRS"
    );
    // overlap: villas wholly inside the red line (300 m × 200 m).
    let f = finding(&json, "P06", "YC201");
    assert_eq!(f["measure"]["kind"], "overlap_area");
    assert!((f["measure"]["value"].as_f64().unwrap() - 60_000.0).abs() < 1.0);
    assert!((f["share_of_footprint"].as_f64().unwrap() - 1.0).abs() < 1e-6);
    // overlap by a line: the trail's length inside the red line.
    assert_eq!(
        finding(&json, "P07", "YC201")["measure"]["kind"],
        "overlap_length"
    );
    // overlap by a point: the tower.
    assert_eq!(finding(&json, "P18", "YC201")["measure"]["value"], 1.0);
    // within: housing wholly outside the urban development boundary.
    let f = finding(&json, "P09", "YC203");
    assert_eq!(f["measure"]["kind"], "outside_area");
    assert!((f["measure"]["value"].as_f64().unwrap() - 62_500.0).abs() < 1.0);
    assert_eq!(f["zone"]["layer"], "urban_boundary");
}

#[test]
fn filters_and_exceptions_hold_on_the_demo() {
    let (_, json, _) = check_json(&[&demo_proposals()], &[]);
    let keys = keys(&json);
    let ids: BTreeSet<String> = keys.iter().map(|(id, _)| id.clone()).collect();
    // A chemical rebuild (not covered by art. 26), a safety rebuild of a tailings pond, a
    // plot touching the boundary from inside, 45 m housing 420 m from the river.
    for clean in ["P02", "P03", "P15", "P16", "P20", "P22", "P25"] {
        assert!(!ids.contains(clean), "{clean} should be clean");
    }
    // The water-supply pump house is allowed in zone I (YC301's filter); it still takes
    // water surface in a district at its landscape target (YC601).
    let p12: Vec<&str> = keys
        .iter()
        .filter(|(id, _)| id == "P12")
        .map(|(_, c)| c.as_str())
        .collect();
    assert_eq!(p12, ["YC601"]);
    // The red line's exception: research is requires-approval, not prohibited.
    let p26 = finding(&json, "P26", "YC201");
    assert_eq!(p26["severity"], "requires-approval");
    assert!(p26["approval"].as_str().unwrap().contains("provincial"));
}

#[test]
fn exit_0_when_clean_and_fail_on_moves_the_threshold() {
    let dir = tempfile::tempdir().unwrap();
    // A plot in the blue line only (requires-approval): P13 alone.
    let text = std::fs::read_to_string(demo_proposals()).unwrap();
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    let only = |ids: &[&str]| {
        let feats: Vec<String> = v["features"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| ids.contains(&f["id"].as_str().unwrap()))
            .map(|f| f.to_string())
            .collect();
        collection(None, &feats)
    };
    let clean = dir.path().join("clean.geojson");
    std::fs::write(&clean, only(&["P15", "P16"])).unwrap();
    let (code, json, _) = check_json(&[&clean], &[]);
    assert_eq!((code, json["findings"].as_array().unwrap().len()), (0, 0));

    // P13 as a riverside park pavilion, not a building: YC401 (blue line) alone.
    let blue = dir.path().join("blue.geojson");
    let p13 = only(&["P13"])
        .replace(r#""land_use":"commercial""#, r#""land_use":"park""#)
        .replace(r#","height_m":36.0"#, "");
    std::fs::write(&blue, p13).unwrap();
    assert_eq!(
        check_json(&[&blue], &[]).0,
        0,
        "requires-approval does not fail by default"
    );
    assert_eq!(
        check_json(&[&blue], &["--fail-on", "requires-approval"]).0,
        1
    );
    assert_eq!(
        check_json(&[&demo_proposals()], &["--fail-on", "never"]).0,
        0
    );
}

#[test]
fn text_report_reads_like_compiler_diagnostics() {
    let out = check_demo(&[]);
    assert_eq!(code(&out), 1);
    let text = stdout(&out);
    assert!(
        text.contains("data/yichang/proposals.geojson: feature #0 (id \"P01\")"),
        "{text}"
    );
    assert!(text.contains("prohibited[YC101]"));
    assert!(text.contains("= measured: distance"));
    assert!(text.contains("= law: 中华人民共和国长江保护法"));
    assert!(text
        .trim_end()
        .lines()
        .last()
        .unwrap()
        .starts_with("38 features read, 38 checked, 0 rejected"));
}

#[test]
fn output_file_is_written_and_stdout_is_empty() {
    let dir = tempfile::tempdir().unwrap();
    let out_file = dir.path().join("report.json");
    let out = check_demo(&["-f", "json", "-o", out_file.to_str().unwrap()]);
    assert_eq!(code(&out), 1);
    assert!(out.stdout.is_empty());
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&out_file).unwrap()).unwrap();
    assert!(v["findings"].as_array().unwrap().len() > 5);
    assert_eq!(
        std::fs::read_dir(dir.path()).unwrap().count(),
        1,
        "no temporary file left behind"
    );
}

#[test]
fn project_is_found_by_walking_up() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_ironrule"))
        .args(["check", "../proposals.geojson"])
        .current_dir(root().join("data/yichang/zones"))
        .output()
        .unwrap();
    assert_eq!(code(&out), 1, "{}", stderr(&out));
}

#[test]
fn missing_project_is_a_usage_error() {
    let dir = tempfile::tempdir().unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_ironrule"))
        .args(["check", "x.geojson"])
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert_eq!(code(&out), 2);
    assert!(
        stderr(&out).contains("no ironrule.toml"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn no_arguments_is_a_usage_error() {
    assert_eq!(code(&ironrule(&["check"])), 2);
    assert_eq!(code(&ironrule(&["--help"])), 0);
}

#[test]
fn quiet_prints_nothing_and_color_is_opt_in_off_a_terminal() {
    let args = [
        "check",
        "-p",
        "data/yichang/ironrule.toml",
        "data/yichang/proposals.geojson",
    ];
    let out = ironrule(&[&args[..], &["--quiet"]].concat());
    assert_eq!(code(&out), 1);
    assert!(out.stdout.is_empty());
    // Not a terminal: no colour unless asked.
    assert!(!stdout(&ironrule(&args)).contains('\x1b'));
    let coloured = stdout(&ironrule(&[&args[..], &["--color", "always"]].concat()));
    assert!(
        coloured.contains("\x1b[1;31mprohibited\x1b[0m"),
        "{coloured}"
    );
}

#[test]
fn every_format_writes_and_exits_like_text() {
    let dir = tempfile::tempdir().unwrap();
    for format in [
        "text", "json", "jsonl", "csv", "sarif", "junit", "github", "geojson", "html",
    ] {
        let file = dir.path().join(format!("report.{format}"));
        let out = check_demo(&["-f", format, "-o", file.to_str().unwrap()]);
        assert_eq!(code(&out), 1, "{format}: {}", stderr(&out));
        assert!(std::fs::metadata(&file).unwrap().len() > 1000, "{format}");
    }
}

#[test]
fn csv_has_the_auditors_columns_and_one_row_per_finding() {
    let out = check_demo(&["-f", "csv"]);
    let text = stdout(&out);
    let mut lines = text.lines();
    assert_eq!(lines.next().unwrap(), "code,severity,feature_id,zone_layer,zone_id,measure,value,unit,limit,message,source,feature_index,status");
    assert_eq!(lines.count(), 67);
}

#[test]
fn gpkg_needs_an_output_file_and_the_gdal_feature() {
    let out = check_demo(&["-f", "gpkg"]);
    assert_eq!(code(&out), 2);
    assert!(stderr(&out).contains("--output"), "{}", stderr(&out));
    if !cfg!(feature = "gdal") {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("f.gpkg");
        let out = check_demo(&["-f", "gpkg", "-o", file.to_str().unwrap()]);
        assert_eq!(code(&out), 2);
        assert!(stderr(&out).contains("--features gdal"), "{}", stderr(&out));
        assert!(!file.exists(), "nothing half-written");
    }
}

#[test]
fn findings_do_not_depend_on_feature_order() {
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(demo_proposals()).unwrap();
    let mut v: serde_json::Value = serde_json::from_str(&text).unwrap();
    v["features"].as_array_mut().unwrap().reverse();
    let reversed = dir.path().join("reversed.geojson");
    std::fs::write(&reversed, v.to_string()).unwrap();
    let key = |j: &serde_json::Value| {
        let mut k: Vec<(String, String, String, String)> = j["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| {
                (
                    f["feature"]["id"].to_string(),
                    f["code"].to_string(),
                    f["zone"]["id"].to_string(),
                    format!("{:.9}", f["measure"]["value"].as_f64().unwrap()),
                )
            })
            .collect();
        k.sort();
        k
    };
    let (_, a, _) = check_json(&[&demo_proposals()], &[]);
    let (_, b, _) = check_json(&[&reversed], &[]);
    assert_eq!(key(&a), key(&b));
}

#[test]
fn layer_on_a_geojson_says_what_it_is_for() {
    let (code, json, _) = check_json(&[&demo_proposals()], &["--layer", "x"]);
    assert_eq!(code, 2);
    assert!(first_message(&json).contains("multi-layer"));
}

#[test]
fn a_corridor_drawn_narrower_than_declared_is_a_data_problem() {
    let dir = tempfile::tempdir().unwrap();
    // Two corridors in EPSG:4546: 20 m declared and drawn; 20 m declared, 15 m drawn.
    let corridors = r#"{"type":"FeatureCollection","crs":{"type":"name","properties":{"name":"EPSG:4546"}},"features":[
{"type":"Feature","id":"OK","properties":{"w":20},"geometry":{"type":"Polygon","coordinates":[[[531000,3397000],[531020,3397000],[531020,3397600],[531000,3397600],[531000,3397000]]]}},
{"type":"Feature","id":"THIN","properties":{"w":20},"geometry":{"type":"Polygon","coordinates":[[[532000,3397000],[532015,3397000],[532015,3397600],[532000,3397600],[532000,3397000]]]}}]}"#;
    std::fs::write(dir.path().join("corridors.geojson"), corridors).unwrap();
    let pack = root().join("rules/yichang");
    std::fs::write(
        dir.path().join("ironrule.toml"),
        format!(
            "crs = \"EPSG:4546\"\nrules = []\n# The demo proposals lie up to 25 km from these two corridors.\narea_margin_m = 50000\n[[layer]]\nname = \"view_corridors\"\npath = \"corridors.geojson\"\ndeclared_width_field = \"w\"\n# {}\n",
            pack.display()
        ),
    )
    .unwrap();
    let out = ironrule(&[
        "check",
        "-p",
        dir.path().join("ironrule.toml").to_str().unwrap(),
        "data/yichang/proposals.geojson",
    ]);
    assert_eq!(
        code(&out),
        0,
        "a warning, not an input error: {}",
        stderr(&out)
    );
    let text = stdout(&out);
    assert!(
        text.contains(
            "(id \"THIN\"): zone is about 15 m wide, narrower than its declared 20 m (w)"
        ),
        "{text}"
    );
    assert!(!text.contains("\"OK\""), "{text}");
}
