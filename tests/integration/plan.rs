//! The regulatory plan end to end: the demo's planning parcels (Chinese fields read through the
//! parcel dictionary), the land-use, plan-limit and fit rules with their evidence, in English
//! and Chinese, and the errors a planner meets: a rule on a layer that is not a plan, a
//! compatibility table that leaves a use undecided.

use crate::common::*;
use serde_json::Value;

/// The demo's findings of one proposal and one rule.
fn of<'a>(json: &'a Value, id: &str, code: &str) -> Vec<&'a Value> {
    json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["feature"]["id"] == id && f["code"] == code)
        .collect()
}

fn demo_json(extra: &[&str]) -> Value {
    let mut args = vec!["--format", "json"];
    args.extend(extra);
    let out = check_demo(&args);
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn land_use_is_judged_by_the_compatibility_table_through_the_hierarchy() {
    let json = demo_json(&[]);
    // P33: 1001 on a 070102 parcel: row 07 (its grandparent), entry 10 (1001's parent).
    let p33 = of(&json, "P33", "YC801");
    assert_eq!(p33.len(), 1);
    let plan = &p33[0]["plan"];
    assert_eq!(p33[0]["severity"], "prohibited");
    assert_eq!(plan["verdict"], "prohibited");
    assert_eq!(plan["decided_by"], serde_json::json!(["07", "10"]));
    assert_eq!(plan["planned_use"]["code"], "070102");
    assert_eq!(plan["proposed_use"]["name"], "工业用地");
    assert_eq!(plan["parcel"], "WJG03-01");
    assert_eq!(plan["parcel_area_m2"], 36100.0);
    // The demo's proposals are stored in WGS 84: their areas come back to the nanometre.
    assert!((p33[0]["measure"]["value"].as_f64().unwrap() - 3600.0).abs() < 1e-6);
    // P34: shops (written 商业用地) on housing land: conditional, so requires-approval,
    // with the planning authority as approver.
    let p34 = of(&json, "P34", "YC801");
    assert_eq!(p34[0]["severity"], "requires-approval");
    assert_eq!(p34[0]["plan"]["verdict"], "conditional");
    assert!(p34[0]["approval"]
        .as_str()
        .unwrap()
        .contains("城乡规划主管部门"));
    // P36's school on the M1 (old letter code) parcel: prohibited there only; the part on the
    // education parcel is allowed.
    let p36 = of(&json, "P36", "YC801");
    assert_eq!(p36.len(), 1);
    assert_eq!(p36[0]["zone"]["id"], "WJG03-05");
    assert_eq!(p36[0]["plan"]["planned_use"]["code"], "100101");
}

#[test]
fn plan_limits_measure_far_coverage_green_height_and_setback_per_parcel() {
    let json = demo_json(&[]);
    let p35 = of(&json, "P35", "YC802");
    let by_kind = |k: &str| {
        p35.iter()
            .find(|f| f["measure"]["kind"] == k)
            .unwrap_or_else(|| panic!("no {k}: {p35:?}"))
    };
    // 167 × 150 m on WJG03-02 (180 × 190 m): 150,000 m² of floor area, 3,000 m² of green.
    let (fp, parcel) = (167.0 * 150.0, 180.0 * 190.0);
    // The demo's proposals are stored in WGS 84: 1e-6 relative.
    let near = |v: &Value, want: f64| (v.as_f64().unwrap() - want).abs() < 1e-6 * want.max(1.0);
    assert!(near(
        &by_kind("floor_area_ratio")["measure"]["value"],
        150_000.0 / parcel
    ));
    assert_eq!(by_kind("floor_area_ratio")["measure"]["limit"], 4.0);
    assert_eq!(by_kind("floor_area_ratio")["measure"]["op"], ">");
    assert!(near(
        &by_kind("coverage")["measure"]["value"],
        fp / parcel * 100.0
    ));
    assert!(near(
        &by_kind("green_ratio")["measure"]["value"],
        3000.0 / parcel * 100.0
    ));
    assert_eq!(by_kind("green_ratio")["measure"]["op"], "<");
    assert_eq!(by_kind("plan_height")["measure"]["value"], 120.0);
    assert_eq!(by_kind("plan_height")["measure"]["limit"], 100.0);
    assert!(near(&by_kind("parcel_setback")["measure"]["value"], 3.0));
    assert_eq!(by_kind("parcel_setback")["measure"]["limit"], 8.0);
    assert!(near(
        &by_kind("floor_area_ratio")["plan"]["floor_area_m2"],
        150_000.0
    ));
    // What would resolve it: the floor area to take off the parcel.
    let res = by_kind("floor_area_ratio")["resolution"].as_str().unwrap();
    assert!(res.contains("13200 m² of floor area"), "{res}");
    // P38 stands where the plan's FAR is 待定: undetermined, naming the parcel and the value;
    // its coverage, green ratio and height are decided and within their limits.
    let p38 = of(&json, "P38", "YC802");
    assert_eq!(p38.len(), 1);
    let why = p38[0]["undetermined"]["reason"].as_str().unwrap();
    assert!(why.contains("WJG03-06") && why.contains("待定"), "{why}");
}

#[test]
fn a_proposal_across_parcels_and_roads_is_reported_and_its_parts_reconcile() {
    let json = demo_json(&[]);
    // P36: 100 × 70 m from x 539450 to 539550 across the 20 m road at x 539490–539510.
    let straddle = of(&json, "P36", "YC804");
    assert_eq!(straddle[0]["measure"]["value"], 2.0);
    let parts = straddle[0]["plan"]["parcels"].as_array().unwrap();
    let on: f64 = parts.iter().map(|p| p["part"].as_f64().unwrap()).sum();
    let off = of(&json, "P36", "YC803")[0]["measure"]["value"]
        .as_f64()
        .unwrap();
    assert!((on - 5600.0).abs() < 1e-6 && (off - 1400.0).abs() < 1e-6);
    assert!(
        (on + off - 7000.0).abs() < 1e-6,
        "the parts add up to the footprint"
    );
    // Standing across the line, it is 0 m from both parcels' lines.
    let setbacks: Vec<_> = of(&json, "P36", "YC802")
        .into_iter()
        .filter(|f| f["measure"]["kind"] == "parcel_setback")
        .map(|f| f["zone"]["id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(setbacks, ["WJG03-04", "WJG03-05"]);
    // P37, wholly on the road: off the parcels, and no parcel to judge its use on.
    let road = of(&json, "P37", "YC803")[0]["measure"]["value"]
        .as_f64()
        .unwrap();
    assert!((road - 800.0).abs() < 1e-6, "{road}");
    assert!(of(&json, "P37", "YC801").is_empty());
}

#[test]
fn the_plan_reads_in_chinese() {
    let out = check_demo(&["--lang", "zh"]);
    let text = stdout(&out);
    assert!(
        text.contains("拟建 1001 工业用地：禁止"),
        "{}",
        text.lines()
            .filter(|l| l.contains("YC801"))
            .collect::<Vec<_>>()
            .join("\n")
    );
    assert!(
        text.contains("容积率（max_far）\"待定\" 不是数字"),
        "{text}"
    );
    assert!(text.contains("跨越 2 个地块"), "{text}");
}

#[test]
fn a_plan_rule_on_a_layer_that_is_not_a_plan_is_a_project_error() {
    let dir = tempfile::tempdir().unwrap();
    let project = dir.path().join("ironrule.toml");
    let text = demo_project_text().replace("kind = \"planning_parcels\"\n", "");
    std::fs::write(&project, text).unwrap();
    let out = check_with_project(&project);
    assert_eq!(code(&out), 2, "{}", stdout(&out));
    let err = stderr(&out);
    assert!(
        err.contains("YC801: layer 'planning_parcels' is not a planning-parcel layer")
            && err.contains("kind = \"planning_parcels\""),
        "{err}"
    );
}

#[test]
fn a_compatibility_table_that_leaves_a_use_undecided_is_refused_with_its_line() {
    let dir = tempfile::tempdir().unwrap();
    // A copy of the Yichang pack whose YC801 table forgets 16 (留白用地) in row 07.
    let pack = copy_yichang_pack(dir.path());
    let table = pack.join("YC801-land-use-not-allowed-by-the-regulatory-plan/compatibility.toml");
    let text = std::fs::read_to_string(&table).unwrap();
    let broken = text.replacen("\"15\", \"16\", ", "\"15\", ", 1);
    assert_ne!(broken, text);
    std::fs::write(&table, broken).unwrap();
    let all = lint_refuses(&pack);
    assert!(
        all.contains("compatibility.toml:12:1")
            && all.contains("row 07 (居住用地) does not decide 16 留白用地"),
        "{all}"
    );
}

#[test]
fn a_planning_parcel_that_is_not_a_polygon_is_an_input_error() {
    let dir = tempfile::tempdir().unwrap();
    let demo = root().join("data/yichang/zones/planning_parcels.geojson");
    let text = std::fs::read_to_string(&demo).unwrap();
    // WJG03-03 drawn as its outline's first edge: a line, not a parcel.
    let start = text.find(r#""地块编号":"WJG03-03""#).unwrap();
    let geom = start + text[start..].find(r#""geometry":"#).unwrap();
    let end = geom + text[geom..].find("]]]}").unwrap() + 4;
    let broken = format!(
        "{}\"geometry\":{{\"type\":\"LineString\",\"coordinates\":[[539710,3397510],[539900,3397510]]}}{}",
        &text[..geom],
        &text[end..]
    );
    let parcels = dir.path().join("planning_parcels.geojson");
    std::fs::write(&parcels, broken).unwrap();
    let project = dir.path().join("ironrule.toml");
    std::fs::write(
        &project,
        demo_project_text().replace(
            &format!("path = \"{}\"", demo.display()),
            &format!("path = {:?}", parcels.display().to_string()),
        ),
    )
    .unwrap();
    let out = check_with_project(&project);
    assert_eq!(code(&out), 2, "{}", stdout(&out));
    // The text report says it with the findings.
    let all = format!("{}{}", stdout(&out), stderr(&out));
    assert!(all.contains("a planning parcel must be a polygon"), "{all}");
}
