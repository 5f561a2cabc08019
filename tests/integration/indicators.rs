//! `ironrule indicators`: the Yichang pack's indicators per district, before and after the
//! proposals, against their targets, in text, JSON, CSV and HTML; totals that reconcile; a
//! proposal that takes landscape taking exactly its area; the errors a user meets.

use crate::common::*;
use serde_json::Value;

fn indicators(extra: &[&str]) -> (i32, Value) {
    let mut args = vec![
        "indicators",
        "-p",
        "data/yichang/ironrule.toml",
        "-f",
        "json",
    ];
    args.extend(extra);
    let out = ironrule(&args);
    let json = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}\n{}", stdout(&out), stderr(&out)));
    (code(&out), json)
}

fn by_id<'a>(json: &'a Value, id: &str) -> &'a Value {
    json["indicators"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["id"] == id)
        .unwrap_or_else(|| panic!("no indicator {id}"))
}

fn f(v: &Value) -> f64 {
    v.as_f64().unwrap_or_else(|| panic!("not a number: {v}"))
}

#[test]
fn the_city_as_it_is_passes_and_its_totals_reconcile() {
    let (code, json) = indicators(&[]);
    assert_eq!(code, 0, "{json}");
    assert_eq!(json["proposals"], 0);
    let ids: Vec<&str> = json["indicators"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        ids,
        [
            "landscape_share",
            "ecological_space_share",
            "natural_shoreline_share",
            "chemical_sites_near_yangtze",
            "key_green_space"
        ]
    );
    for i in json["indicators"].as_array().unwrap() {
        let districts = i["districts"].as_array().unwrap();
        assert_eq!(districts.len(), 5, "{}", i["id"]);
        let city = &i["city"];
        // Before = after without proposals.
        assert_eq!(city["before"], city["after"]);
        if i["unit"] == "%" {
            // The city's base and amount are the districts' sums; its share is their ratio.
            let base: f64 = districts.iter().map(|d| f(&d["base"])).sum();
            let amount: f64 = districts.iter().map(|d| f(&d["amount_before"])).sum();
            assert!((f(&city["base"]) - base).abs() <= 1e-9 * base);
            assert!((f(&city["amount_before"]) - amount).abs() <= 1e-9 * amount.max(1.0));
            assert!((f(&city["before"]) - amount / base * 100.0).abs() < 1e-9);
        } else {
            let sum: f64 = districts.iter().map(|d| f(&d["before"])).sum();
            assert!((f(&city["before"]) - sum).abs() <= 1e-9 * sum.max(1.0));
        }
    }
    // The landscape share's base is the districts' area: the same for the ecological space.
    let a = by_id(&json, "landscape_share");
    let b = by_id(&json, "ecological_space_share");
    assert_eq!(a["city"]["base"], b["city"]["base"]);
    // Each district's target is its own (the districts layer's landscape_target × 100).
    assert_eq!(a["districts"][0]["target"], 23.15);
    assert_eq!(
        by_id(&json, "chemical_sites_near_yangtze")["city"]["before"],
        2.0
    );
}

#[test]
fn proposals_change_the_indicators_and_breaking_a_target_fails_the_run() {
    let (code, json) = indicators(&["data/yichang/proposals.geojson"]);
    assert_eq!(code, 1, "{json}");
    assert_eq!(json["passed"], false);
    let chem = by_id(&json, "chemical_sites_near_yangtze");
    // P01, a new chemical plant 595 m from the Yangtze in Xiaoting, counts; P10, industrial
    // without an industry, cannot be decided: counted (the strict reading) and named.
    assert_eq!(chem["city"]["after"], 4.0);
    assert_eq!(chem["undetermined"], serde_json::json!(["P10"]));
    let xiaoting = chem["districts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["id"] == "D-XT")
        .unwrap();
    assert_eq!((f(&xiaoting["before"]), f(&xiaoting["after"])), (1.0, 2.0));
    // Xiling falls under its landscape target, as YC601 says of the same proposals.
    let land = by_id(&json, "landscape_share");
    let xiling = &land["districts"][0];
    assert_eq!(xiling["id"], "D-XL");
    assert_eq!(
        (&xiling["met_before"], &xiling["met_after"]),
        (&Value::Bool(true), &Value::Bool(false))
    );
    let check = check_demo(&["-f", "json"]);
    let report: Value = serde_json::from_slice(&check.stdout).unwrap();
    let yc601: Vec<&Value> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|x| x["code"] == "YC601" && x["zone"]["id"] == "D-XL")
        .collect();
    assert!(!yc601.is_empty());
    assert!((f(&yc601[0]["measure"]["value"]) - f(&xiling["after"])).abs() < 1e-9);
}

#[test]
fn a_proposal_inside_the_red_line_takes_exactly_its_area_of_landscape() {
    // P06, the hillside villas: 60,000 m², wholly inside the red line (YC201).
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(demo_proposals()).unwrap();
    let doc: Value = serde_json::from_str(&text).unwrap();
    let p06: Vec<Value> = doc["features"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|x| x["id"] == "P06")
        .cloned()
        .collect();
    let path = dir.path().join("p06.geojson");
    std::fs::write(
        &path,
        serde_json::json!({"type": "FeatureCollection", "features": p06}).to_string(),
    )
    .unwrap();
    let (_, json) = indicators(&[path.to_str().unwrap()]);
    let check = check_json(&[&path], &[]).1;
    let taken = check["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["code"] == "YC201")
        .map(|x| f(&x["measure"]["value"]))
        .unwrap();
    let land = &by_id(&json, "landscape_share")["city"];
    let lost = f(&land["amount_before"]) - f(&land["amount_after"]);
    assert!(
        (lost - taken).abs() < 1e-3,
        "{lost} m² vs YC201's {taken} m²"
    );
}

#[test]
fn csv_html_and_chinese_say_the_same() {
    let (_, json) = indicators(&["data/yichang/proposals.geojson"]);
    let csv = stdout(&ironrule(&[
        "indicators",
        "-p",
        "data/yichang/ironrule.toml",
        "-f",
        "csv",
        "data/yichang/proposals.geojson",
    ]));
    // One row per indicator and district, and the city.
    assert_eq!(csv.lines().count(), 1 + 5 * 6);
    assert!(csv.starts_with("indicator,unit,direction,district,"));
    let dir = tempfile::tempdir().unwrap();
    let page = dir.path().join("indicators.html");
    let out = ironrule(&[
        "indicators",
        "-p",
        "data/yichang/ironrule.toml",
        "-f",
        "html",
        "-o",
        page.to_str().unwrap(),
        "data/yichang/proposals.geojson",
        "--lang",
        "zh",
    ]);
    assert_eq!(code(&out), 1);
    let html = std::fs::read_to_string(&page).unwrap();
    assert!(html.contains("山水占比") && html.contains("示意目标值"));
    assert!(!html.contains("http://") && !html.contains("https://") && !html.contains("<script"));
    // Each indicator's chart: two bars per district carrying the JSON's values.
    for (k, i) in json["indicators"].as_array().unwrap().iter().enumerate() {
        let svg = &html[html.find(&format!("id=\"chart-{k}\"")).unwrap()..];
        let svg = &svg[..svg.find("</svg>").unwrap()];
        let afters: Vec<f64> = svg
            .split("class=\"after\" data-value=\"")
            .skip(1)
            .map(|x| x[..x.find('"').unwrap()].parse().unwrap())
            .collect();
        let want: Vec<f64> = i["districts"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| f(&d["after"]))
            .collect();
        assert_eq!(afters.len(), want.len());
        for (a, b) in afters.iter().zip(&want) {
            assert!(
                (a - b).abs() <= 1e-12 * b.abs().max(1.0),
                "{}: {a} vs {b}",
                i["id"]
            );
        }
        assert_eq!(svg.matches("<rect").count(), 10);
    }
    let text = stdout(&ironrule(&[
        "indicators",
        "-p",
        "data/yichang/ironrule.toml",
        "--lang",
        "zh",
    ]));
    assert!(
        text.contains("长江自然岸线保有率") && text.contains("全市"),
        "{text}"
    );
}

#[test]
fn indicators_need_districts_and_a_pack_that_declares_them() {
    let dir = tempfile::tempdir().unwrap();
    let project = dir.path().join("ironrule.toml");
    std::fs::write(
        &project,
        demo_project_text().replace("group_by = \"districts\"\n", ""),
    )
    .unwrap();
    let out = ironrule(&["indicators", "-p", project.to_str().unwrap()]);
    assert_eq!(code(&out), 2);
    assert!(stderr(&out).contains("group_by"), "{}", stderr(&out));
    // A pack without indicators.toml: said, not an empty report.
    let pack = dir.path().join("pack");
    std::fs::create_dir_all(&pack).unwrap();
    std::fs::write(
        pack.join("pack.toml"),
        "id = \"t\"\ntitle = \"t\"\njurisdiction = \"t\"\nversion = \"0\"\ncode_prefix = \"T\"\n",
    )
    .unwrap();
    let text = demo_project_text();
    let rules_line = text.lines().find(|l| l.starts_with("rules = ")).unwrap();
    std::fs::write(
        &project,
        text.replace(
            rules_line,
            &format!("rules = [{:?}]", pack.display().to_string()),
        ),
    )
    .unwrap();
    let out = ironrule(&["indicators", "-p", project.to_str().unwrap()]);
    assert_eq!(code(&out), 2, "{}", stdout(&out));
    assert!(
        stderr(&out).contains("declare no indicators"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn overlapping_districts_are_said_to_count_twice() {
    let dir = tempfile::tempdir().unwrap();
    // Two districts of the demo's window that overlap by 100 × 1000 m.
    let districts = dir.path().join("districts.geojson");
    let square = |x: f64| {
        format!(
            r#"{{"type":"Polygon","coordinates":[[[{x},3390000],[{x1},3390000],[{x1},3391000],[{x},3391000],[{x},3390000]]]}}"#,
            x1 = x + 1000.0
        )
    };
    std::fs::write(
        &districts,
        collection(
            Some("EPSG:4546"),
            &[
                feature("A", r#"{"landscape_target":0.1}"#, &square(530_000.0)),
                feature("B", r#"{"landscape_target":0.1}"#, &square(530_900.0)),
            ],
        ),
    )
    .unwrap();
    let text = demo_project_text();
    let line = text
        .lines()
        .find(|l| l.contains("zones/districts.geojson"))
        .unwrap();
    let project = dir.path().join("ironrule.toml");
    std::fs::write(
        &project,
        text.replace(
            line,
            &format!("path = {:?}", districts.display().to_string()),
        ),
    )
    .unwrap();
    let out = ironrule(&["indicators", "-p", project.to_str().unwrap()]);
    let err = stderr(&out);
    assert!(
        err.contains("districts A and B overlap by 100000 m²"),
        "{err}"
    );
    // The JSON report carries it too, for a job that reads only the report.
    let out = ironrule(&["indicators", "-p", project.to_str().unwrap(), "-f", "json"]);
    let json: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(
        json["diagnostics"][0]["message"]
            .as_str()
            .unwrap()
            .contains("overlap by 100000 m²"),
        "{json}"
    );
}

#[test]
fn a_rule_goes_only_on_a_share_indicator_that_exists() {
    let dir = tempfile::tempdir().unwrap();
    let pack = copy_yichang_pack(dir.path());
    let rule = pack.join("YC601-landscape-share-of-district/rule.toml");
    let text = std::fs::read_to_string(&rule).unwrap();
    for (id, says) in [
        (
            "chemical_sites_near_yangtze",
            "is not a share to keep at least at its target",
        ),
        ("landscape_shares", "no indicator 'landscape_shares'"),
    ] {
        std::fs::write(
            &rule,
            text.replace("\"landscape_share\"", &format!("{id:?}")),
        )
        .unwrap();
        let all = lint_refuses(&pack);
        assert!(
            all.contains("YC601-landscape-share-of-district/rule.toml:") && all.contains(says),
            "{all}"
        );
    }
}

/// The demo project in `dir` with `replace` applied to its text (layer paths are absolute).
fn project_with(dir: &std::path::Path, replace: &[(&str, String)]) -> std::path::PathBuf {
    let mut text = demo_project_text();
    for (from, to) in replace {
        assert!(text.contains(from), "{from}");
        text = text.replace(from, to);
    }
    let p = dir.join("ironrule.toml");
    std::fs::write(&p, text).unwrap();
    p
}

#[test]
fn what_an_indicator_cannot_judge_fails_the_run() {
    let dir = tempfile::tempdir().unwrap();
    // A count whose `where` reads the sites' industry, and a site that does not say it.
    let pack = copy_yichang_pack(dir.path());
    let ind = pack.join("indicators.toml");
    let text = std::fs::read_to_string(&ind).unwrap();
    std::fs::write(
        &ind,
        text.replace(
            r#"layer = "chemical_sites", distance_m"#,
            r#"layer = "chemical_sites", where = "industry = 'chemical'", distance_m"#,
        ),
    )
    .unwrap();
    let sites = dir.path().join("chemical_sites.geojson");
    let demo_sites = root().join("data/yichang/zones/chemical_sites.geojson");
    std::fs::write(
        &sites,
        std::fs::read_to_string(&demo_sites)
            .unwrap()
            .replacen(r#""industry":"chemical","#, "", 1),
    )
    .unwrap();
    // A new chemical plant in the Yangtze south of every district.
    let south = zone_coords("yangtze.geojson")
        .into_iter()
        .find(|c| c[1] < 3_369_000.0)
        .unwrap();
    let proposals = dir.path().join("p.geojson");
    std::fs::write(
        &proposals,
        collection(
            Some("EPSG:4546"),
            &[feature(
                "SOUTH",
                r#"{"land_use":"industrial","industry":"chemical","kind":"new"}"#,
                &square(south[0], south[1], 20.0),
            )],
        ),
    )
    .unwrap();
    let rules_line = demo_project_text()
        .lines()
        .find(|l| l.starts_with("rules = "))
        .unwrap()
        .to_owned();
    let project = project_with(
        dir.path(),
        &[
            (
                &rules_line,
                format!("rules = [{:?}]", pack.display().to_string()),
            ),
            (
                &format!("path = \"{}\"", demo_sites.display()),
                format!("path = {:?}", sites.display().to_string()),
            ),
        ],
    );
    let out = ironrule(&[
        "indicators",
        "-p",
        project.to_str().unwrap(),
        "-f",
        "json",
        proposals.to_str().unwrap(),
    ]);
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    let json: Value = serde_json::from_slice(&out.stdout).unwrap();
    let chem = by_id(&json, "chemical_sites_near_yangtze");
    let said: Vec<&str> = chem["undetermined"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert_eq!(
        said,
        [
            "CS-1 of chemical_sites",
            "SOUTH (in no district of districts)"
        ]
    );
    // The undecided site still counts (the strict reading): 2 within 1 km, as in the demo.
    assert_eq!(chem["city"]["before"], 2.0);
    assert_eq!(json["passed"], false);
}

#[test]
fn a_district_without_its_own_target_is_an_input_error() {
    let dir = tempfile::tempdir().unwrap();
    let districts = dir.path().join("districts.geojson");
    let demo = root().join("data/yichang/zones/districts.geojson");
    let text = std::fs::read_to_string(&demo).unwrap();
    let broken = text.replacen(
        r#""landscape_target":0.01"#,
        r#""landscape_target":"tbd""#,
        1,
    );
    assert_ne!(broken, text);
    std::fs::write(&districts, broken).unwrap();
    let project = project_with(
        dir.path(),
        &[(
            &format!("path = \"{}\"", demo.display()),
            format!("path = {:?}", districts.display().to_string()),
        )],
    );
    // YC601 cannot judge proposals there: the gate does not pass (input at fault).
    let out = check_with_project(&project);
    assert_eq!(code(&out), 2, "{}", stdout(&out));
    // The text report says it with the findings.
    let all = format!("{}{}", stdout(&out), stderr(&out));
    assert!(
        all.contains("district D-WJG has no number in landscape_target: YC601"),
        "{all}"
    );
    // The indicators say it per indicator too.
    let out = ironrule(&["indicators", "-p", project.to_str().unwrap(), "-f", "json"]);
    assert_eq!(code(&out), 2);
    let json: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        by_id(&json, "landscape_share")["no_target"],
        serde_json::json!(["D-WJG"])
    );
}
