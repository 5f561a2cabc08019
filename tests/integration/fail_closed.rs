//! Fail closed: what a rule cannot decide is undetermined and fails the gate; submissions
//! written the Chinese way are understood through the pack's attribute dictionary; a
//! footprint far from the project is refused. One test per case of the fail-closed issue.

use crate::common::*;
use serde_json::Value;
use std::path::Path;

/// The demo proposal `id`, with its properties replaced by `props` (JSON text).
fn demo_feature(id: &str, props: &str) -> String {
    let text = std::fs::read_to_string(demo_proposals()).unwrap();
    let v: Value = serde_json::from_str(&text).unwrap();
    let f = v["features"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["id"] == id)
        .unwrap();
    feature(id, props, &f["geometry"].to_string())
}

/// Writes the demo proposal `id` with `props` as a one-feature file in `dir`.
fn write_one(dir: &Path, id: &str, props: &str) -> std::path::PathBuf {
    let p = dir.join(format!("{id}.geojson"));
    std::fs::write(&p, collection(None, &[demo_feature(id, props)])).unwrap();
    p
}

fn check_one(dir: &Path, id: &str, props: &str, extra: &[&str]) -> (i32, Value) {
    let p = write_one(dir, id, props);
    let (code, json, err) = check_json(&[&p], extra);
    assert!(code != 2, "{err}\n{json}");
    (code, json)
}

/// The demo project with `head` before its first line and `tail` after its last, in `dir`.
fn project_with(dir: &Path, head: &str, tail: &str) -> String {
    let project = dir.join("ironrule.toml");
    std::fs::write(&project, format!("{head}{}{tail}", demo_project_text())).unwrap();
    project.to_str().unwrap().to_owned()
}

/// `check -p project ARGS...` (JSON when `-f json` is among them).
fn run_check(project: &str, args: &[&str]) -> std::process::Output {
    ironrule(&[&["check", "-p", project][..], args].concat())
}

fn result<'a>(json: &'a Value, code: &str) -> Option<&'a Value> {
    json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["code"] == code)
}

#[test]
fn p01_written_the_chinese_way_gives_the_same_finding_as_in_english() {
    let dir = tempfile::tempdir().unwrap();
    let (code_en, en) = check_one(
        dir.path(),
        "P01",
        r#"{"name":"猇亭化工新材料项目","industry":"chemical","kind":"new","land_use":"industrial","height_m":24}"#,
        &[],
    );
    let (code_zh, zh) = check_one(
        dir.path(),
        "P01",
        r#"{"项目名称":"猇亭化工新材料项目","行业类别":"化工","建设性质":"新建","用地性质":"工业用地","建筑高度":"24"}"#,
        &[],
    );
    assert_eq!((code_en, code_zh), (1, 1));
    let (a, b) = (result(&en, "YC101").unwrap(), result(&zh, "YC101").unwrap());
    assert_eq!(a["status"], "active");
    assert_eq!(b["status"], "active");
    assert_eq!(a["measure"], b["measure"], "the same distance");
    // The label comes from 项目名称, through the dictionary's `name`.
    assert_eq!(b["feature"]["name"], "猇亭化工新材料项目");
    assert_eq!(keys(&en), keys(&zh));
    // A land-use code of the national classification (1001 工业用地), as a number.
    let (_, coded) = check_one(
        dir.path(),
        "P01",
        r#"{"行业":"化工","建设性质":"扩建","用地类型":1001,"建筑高度":24}"#,
        &[],
    );
    assert_eq!(result(&coded, "YC101").unwrap()["status"], "active");
}

#[test]
fn capitalised_and_full_width_values_are_the_same_values() {
    let dir = tempfile::tempdir().unwrap();
    let (code, json) = check_one(
        dir.path(),
        "P01",
        r#"{"industry":"Chemical","kind":"New","land_use":" ＩＮＤＵＳＴＲＩＡＬ ","height_m":24}"#,
        &[],
    );
    assert_eq!(code, 1);
    assert_eq!(result(&json, "YC101").unwrap()["status"], "active");
}

#[test]
fn a_chemical_plant_without_its_industry_is_undetermined_and_fails() {
    let dir = tempfile::tempdir().unwrap();
    let (code, json) = check_one(
        dir.path(),
        "P01",
        r#"{"kind":"new","land_use":"industrial","height_m":24}"#,
        &[],
    );
    assert_eq!(code, 1, "never a silent pass");
    let r = result(&json, "YC101").expect("YC101 undetermined");
    assert_eq!(r["status"], "undetermined");
    assert_eq!(
        r["undetermined"]["attributes"],
        serde_json::json!(["industry"])
    );
    let why = r["undetermined"]["reason"].as_str().unwrap();
    assert!(
        why.contains("industry is missing")
            && why.contains("行业类别")
            && why.contains("chemical (化工)"),
        "names the attribute, its aliases and what is accepted: {why}"
    );
    // The evidence is measured as if the rule applied.
    assert_eq!(r["measure"]["kind"], "distance");
    assert!((r["measure"]["value"].as_f64().unwrap() - 595.51).abs() < 0.01);
    assert_eq!(json["summary"]["undetermined"], 3, "YC101, YC102, YC104");
    // An industry outside the vocabulary is undetermined too, naming the value.
    let (code, json) = check_one(
        dir.path(),
        "P01",
        r#"{"industry":"精细化学品","kind":"new","land_use":"industrial","height_m":24}"#,
        &[],
    );
    assert_eq!(code, 1);
    let why = result(&json, "YC101").unwrap()["undetermined"]["reason"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        why.contains("精细化学品") && why.contains("not a known value"),
        "{why}"
    );
}

#[test]
fn a_riverside_tower_without_its_height_is_undetermined_and_fails() {
    let dir = tempfile::tempdir().unwrap();
    let (code, json) = check_one(
        dir.path(),
        "P23",
        r#"{"name":"滨江超高层","kind":"new","land_use":"commercial"}"#,
        &[],
    );
    assert_eq!(code, 1);
    for rule in ["YC501", "YC502", "YC503", "YC504"] {
        let r = result(&json, rule).unwrap_or_else(|| panic!("{rule}: {json}"));
        assert_eq!(r["status"], "undetermined", "{rule}");
    }
    // A height in the wrong type: "180m" is text, not a number of metres.
    let (code, json) = check_one(
        dir.path(),
        "P23",
        r#"{"kind":"new","land_use":"commercial","建筑高度":"180m"}"#,
        &[],
    );
    assert_eq!(code, 1);
    let why = result(&json, "YC501").unwrap()["undetermined"]["reason"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        why.contains("建筑高度") && why.contains("such as 180"),
        "{why}"
    );
}

#[test]
fn housing_without_an_industry_field_is_decided_not_undetermined() {
    let dir = tempfile::tempdir().unwrap();
    // P15 is clean in the demo: housing inland, with a height.
    let (code, json) = check_one(
        dir.path(),
        "P15",
        r#"{"kind":"new","land_use":"residential","height_m":33}"#,
        &[],
    );
    assert_eq!((code, keys(&json)), (0, vec![]));
    assert_eq!(json["summary"]["undetermined"], 0);
}

#[test]
fn undetermined_results_are_in_every_format() {
    let dir = tempfile::tempdir().unwrap();
    let p = write_one(
        dir.path(),
        "P01",
        r#"{"kind":"new","land_use":"industrial","height_m":24}"#,
    );
    let file = p.to_str().unwrap();
    let run = |format: &str| {
        let out = ironrule(&[
            "check",
            "-p",
            "data/yichang/ironrule.toml",
            "-f",
            format,
            file,
        ]);
        assert_eq!(code(&out), 1, "{format}: {}", stderr(&out));
        stdout(&out)
    };
    assert!(
        run("text").contains("prohibited[YC101] undetermined cannot tell whether YC101 applies")
    );
    assert!(run("csv").contains(",undetermined\r\n"));
    let sarif: Value = serde_json::from_str(&run("sarif")).unwrap();
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    assert!(results
        .iter()
        .any(|r| r["ruleId"] == "YC101" && r["kind"] == "open"));
    assert!(run("junit").contains(r#"<error message="undetermined: cannot tell whether YC101"#));
    // In a workflow command's title a comma is %2C.
    assert!(run("github").contains("undetermined%2C feature P01"));
    assert!(run("geojson").contains(r#""status":"undetermined""#));
    assert!(run("html").contains(r#"<span class="undetermined">undetermined</span>"#));
    assert!(run("jsonl").contains(r#""status":"undetermined""#));
}

#[test]
fn a_project_may_lower_undetermined_results_but_never_drop_them() {
    let dir = tempfile::tempdir().unwrap();
    let project = project_with(dir.path(), "undetermined_severity = \"notice\"\n", "");
    let p = write_one(
        dir.path(),
        "P01",
        r#"{"kind":"new","land_use":"industrial","height_m":24}"#,
    );
    let file = p.to_str().unwrap();
    let out = run_check(&project, &["-f", "json", file]);
    assert_eq!(
        code(&out),
        0,
        "notices do not fail by default: {}",
        stderr(&out)
    );
    let json: Value = serde_json::from_slice(&out.stdout).unwrap();
    let r = result(&json, "YC101").expect("still reported");
    assert_eq!(
        (r["severity"].as_str(), r["status"].as_str()),
        (Some("notice"), Some("undetermined"))
    );
    assert_eq!(
        code(&run_check(&project, &["--fail-on", "notice", file])),
        1
    );
}

#[test]
fn a_project_adds_its_own_field_and_value_names() {
    let dir = tempfile::tempdir().unwrap();
    let mapping =
        "\n[attributes.industry]\naliases = [\"HYLB\"]\nvalues = { chemical = [\"化工类\"] }\n";
    let project = project_with(dir.path(), "", mapping);
    let p = write_one(
        dir.path(),
        "P01",
        r#"{"HYLB":"化工类","kind":"new","land_use":"industrial","height_m":24}"#,
    );
    let file = p.to_str().unwrap();
    let out = run_check(&project, &["-f", "json", file]);
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    let json: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(result(&json, "YC101").unwrap()["status"], "active");
    // A mapping for an attribute no pack declares is a project error.
    let project = project_with(
        dir.path(),
        "",
        "\n[attributes.industri]\naliases = [\"HYLB\"]\n",
    );
    let out = run_check(&project, &[file]);
    assert_eq!(code(&out), 2);
    assert!(
        stderr(&out).contains("declare no attribute 'industri'"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn rules_lint_knows_the_dictionary() {
    let dir = tempfile::tempdir().unwrap();
    let pack = dir.path().join("yichang");
    let copy = std::process::Command::new("cp")
        .args([
            "-r",
            root().join("rules/yichang").to_str().unwrap(),
            pack.to_str().unwrap(),
        ])
        .status()
        .unwrap();
    assert!(copy.success());
    let rule = std::fs::read_dir(&pack)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.to_string_lossy().contains("YC403"))
        .unwrap()
        .join("rule.toml");
    let text = std::fs::read_to_string(&rule).unwrap();
    let start = text.find("applies_to = ").unwrap();
    let end = start + text[start..].find('\n').unwrap();
    let text = format!(
        "{}applies_to = \"用地性质 = 居住 OR land_use = 'villa' OR industri = 'chemical'\"{}",
        &text[..start],
        &text[end..]
    );
    std::fs::write(&rule, text).unwrap();
    let out = ironrule(&["rules", "lint", "--pack", pack.to_str().unwrap()]);
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    let err = stdout(&out) + &stderr(&out);
    for needle in [
        "did you mean the text 'residential'",
        "'用地性质' is an alias of the attribute 'land_use'",
        "'villa' is not a value of land_use",
        "did you mean 'industry'?",
        "rule.toml:6:14",
    ] {
        assert!(err.contains(needle), "{needle}: {err}");
    }
}

#[test]
fn a_footprint_read_in_the_wrong_crs_is_refused_with_the_likely_causes() {
    // Gauss-Kruger metres of the CM 111E zone (EPSG:4546) declared as the CM 108E zone
    // (EPSG:4545): the plot lands about 290 km west of Yichang, where no rule fires.
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("metres.geojson");
    let shifted = collection(
        Some("EPSG:4545"),
        &[feature("far", PLOT, &square(531_000.0, 3_397_000.0, 40.0))],
    );
    std::fs::write(&p, shifted).unwrap();
    let (code, json, _) = check_json(&[&p], &[]);
    assert_eq!(code, 2);
    assert_eq!(json["summary"]["rejected"], 1);
    let msg = first_message(&json);
    for needle in [
        "outside the project's area",
        "wrong or missing CRS",
        "GCJ-02",
        "swapped",
    ] {
        assert!(msg.contains(needle), "{needle}: {msg}");
    }
    // Axes swapped in the right CRS: refused too.
    let swapped = collection(
        Some("EPSG:4546"),
        &[feature("xy", PLOT, &square(3_397_000.0, 531_000.0, 40.0))],
    );
    std::fs::write(&p, swapped).unwrap();
    let (code, _, _) = check_json(&[&p], &[]);
    assert_eq!(code, 2);
}

#[test]
fn audit_counts_undetermined_results_and_says_share_rules_are_not_evaluated() {
    let dir = tempfile::tempdir().unwrap();
    let out_dir = dir.path().join("out");
    let out = audit_demo(&out_dir, &["data/yichang/proposals.geojson"]);
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    let summary = audit_summary(&out_dir);
    assert_eq!(
        summary["undetermined"], 4,
        "P10: YC101, YC102, YC104; P38: YC802 (its parcel's FAR is 待定)"
    );
    let csv = std::fs::read_to_string(out_dir.join("findings.csv")).unwrap();
    assert_eq!(csv.matches(",undetermined\r\n").count(), 4);
    let console = stdout(&out);
    assert!(
        console.contains("YC601") && console.contains("not evaluated"),
        "{console}"
    );
    assert!(console.contains("undetermined: 4"), "{console}");
}

#[test]
fn csv_bom_is_one_flag_away_for_excel_on_chinese_windows() {
    let plain = stdout(&check_demo(&["-f", "csv"]));
    assert!(plain.starts_with("code,"));
    let out = check_demo(&["-f", "csv", "--csv-bom"]);
    assert_eq!(code(&out), 1);
    assert_eq!(stdout(&out), format!("\u{feff}{plain}"));
    let dir = tempfile::tempdir().unwrap();
    let out = audit_demo(
        &dir.path().join("a"),
        &["--csv-bom", "--quiet", "data/yichang/proposals.geojson"],
    );
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    for file in ["findings.csv", "diagnostics.csv"] {
        let bytes = std::fs::read(dir.path().join("a").join(file)).unwrap();
        assert!(bytes.starts_with("\u{feff}".as_bytes()), "{file}");
    }
}

#[test]
fn a_share_rule_counts_an_undecidable_proposal_and_says_it_is_undetermined() {
    // P14 (housing on Moji mountain) takes green space in Xiling; with a land use outside the
    // vocabulary, YC601 cannot tell whether it applies: it still counts, undetermined.
    let dir = tempfile::tempdir().unwrap();
    let (code, json) = check_one(
        dir.path(),
        "P14",
        r#"{"kind":"new","land_use":"别墅用地","height_m":18}"#,
        &[],
    );
    assert_eq!(code, 1);
    let r = result(&json, "YC601").expect("YC601");
    assert_eq!(r["status"], "undetermined", "{r}");
    assert!(r["message"].as_str().unwrap().contains("别墅用地"), "{r}");
}

#[test]
fn a_far_decoy_part_of_a_multipolygon_is_refused_not_measured() {
    // A 40 m plot inside red line RL-01 with a 1 m² part 10^7 m to the east: before, the far
    // part made the local-frame overlay lose the plot (no finding, exit 0).
    let c = zone_coords("red_line.geojson");
    let n = c.len() as f64;
    let (x, y) = (
        (c.iter().map(|p| p[0]).sum::<f64>() / n).round(),
        (c.iter().map(|p| p[1]).sum::<f64>() / n).round(),
    );
    let ring = |x: f64, y: f64, s: f64| {
        format!(
            "[[[{x},{y}],[{},{y}],[{},{}],[{x},{}],[{x},{y}]]]",
            x + s,
            x + s,
            y + s,
            y + s
        )
    };
    let geometry = format!(
        r#"{{"type":"MultiPolygon","coordinates":[{},{}]}}"#,
        ring(x, y, 40.0),
        ring(x + 1e7, y, 1.0)
    );
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("decoy.geojson");
    std::fs::write(
        &p,
        collection(Some("EPSG:4546"), &[feature("decoy", PLOT, &geometry)]),
    )
    .unwrap();
    let (code, json, _) = check_json(&[&p], &[]);
    assert_eq!(code, 2, "{json}");
    assert_eq!(json["summary"]["rejected"], 1);
    assert!(
        json["diagnostics"]
            .as_array()
            .unwrap()
            .iter()
            .any(|d| d["level"] == "error"
                && d["message"]
                    .as_str()
                    .unwrap()
                    .contains("outside the project's area")),
        "{json}"
    );
    // Without the decoy, the plot is found inside the red line.
    let plot = format!(r#"{{"type":"Polygon","coordinates":{}}}"#, ring(x, y, 40.0));
    std::fs::write(
        &p,
        collection(Some("EPSG:4546"), &[feature("plot", PLOT, &plot)]),
    )
    .unwrap();
    let (code, json, _) = check_json(&[&p], &[]);
    assert_eq!(
        (code, keys(&json)),
        (
            1,
            vec![
                ("plot".to_owned(), "YC201".to_owned()),
                ("plot".to_owned(), "YC701".to_owned())
            ]
        )
    );
}

#[test]
fn a_zone_its_layer_filter_cannot_decide_is_kept_not_dropped() {
    // The Qingjiang without its basin_km2: `major_tributaries` (basin_km2 >= 10000) used to
    // leave it out, and the phosphogypsum stack 931 m from it (P05) passed YC105.
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(root().join("data/yichang/zones/tributaries.geojson"))
        .unwrap()
        .replace("\"basin_km2\":17000", "\"basin_km2\":null");
    assert!(text.contains("\"basin_km2\":null"), "the fixture edit took");
    std::fs::write(dir.path().join("tributaries.geojson"), text).unwrap();
    let project = demo_project_text().replace(
        &format!(
            "{}/zones/tributaries.geojson",
            root().join("data/yichang").display()
        ),
        &dir.path().join("tributaries.geojson").display().to_string(),
    );
    std::fs::write(dir.path().join("ironrule.toml"), project).unwrap();
    let p = write_one(
        dir.path(),
        "P05",
        r#"{"kind":"new","industry":"phosphogypsum_stack","land_use":"mining"}"#,
    );
    let out = ironrule(&[
        "check",
        "-p",
        dir.path().join("ironrule.toml").to_str().unwrap(),
        "-f",
        "json",
        p.to_str().unwrap(),
    ]);
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    let json: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        result(&json, "YC105").unwrap()["zone"]["layer"],
        "major_tributaries"
    );
    let warned = json["diagnostics"].as_array().unwrap().iter().any(|d| {
        d["level"] == "warning"
            && d["message"]
                .as_str()
                .unwrap()
                .contains("cannot be decided for this zone (basin_km2")
    });
    assert!(warned, "{}", json["diagnostics"]);
}
