//! Snapshot tests of the report formats on the demo data. Numbers in the JSON snapshot are
//! rounded to 6 significant decimals so that PROJ (the `proj` feature) and proj4rs, which
//! agree to 1e-9 m, give the same snapshot.

use crate::common::*;

fn round(v: &mut serde_json::Value) {
    match v {
        serde_json::Value::Number(n) if n.is_f64() => {
            let x = n.as_f64().unwrap();
            let r = if x.abs() >= 1000.0 {
                (x * 1e3).round() / 1e3
            } else {
                (x * 1e6).round() / 1e6
            };
            *v = serde_json::json!(r);
        }
        serde_json::Value::Array(a) => a.iter_mut().for_each(round),
        serde_json::Value::Object(o) => o.values_mut().for_each(round),
        _ => {}
    }
}

#[test]
fn text_report() {
    let out = check_demo(&[]);
    insta::assert_snapshot!("demo_text", stdout(&out));
}

#[test]
fn json_report() {
    let (_, mut json, _) = check_json(
        &[std::path::Path::new("data/yichang/proposals.geojson")],
        &[],
    );
    round(&mut json);
    insta::assert_json_snapshot!("demo_json", json);
}

fn report(format: &str) -> String {
    let out = check_demo(&["-f", format]);
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    stdout(&out)
}

#[test]
fn sarif_report() {
    let mut v: serde_json::Value = serde_json::from_str(&report("sarif")).unwrap();
    // The rules' help is their README, pinned by the rule tests; keep the snapshot on results.
    for rule in v["runs"][0]["tool"]["driver"]["rules"]
        .as_array_mut()
        .unwrap()
    {
        assert!(rule["help"]["markdown"]
            .as_str()
            .unwrap()
            .contains("## What it forbids"));
        rule["help"] = serde_json::json!("<README.md>");
    }
    round(&mut v);
    insta::assert_json_snapshot!("demo_sarif", v);
}

#[test]
fn jsonl_report() {
    let mut lines: Vec<serde_json::Value> = report("jsonl")
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    lines.iter_mut().for_each(round);
    insta::assert_json_snapshot!("demo_jsonl", lines);
}

#[test]
fn geojson_report() {
    let mut v: serde_json::Value = serde_json::from_str(&report("geojson")).unwrap();
    round(&mut v);
    insta::assert_json_snapshot!("demo_geojson", v);
}

#[test]
fn junit_report() {
    insta::assert_snapshot!("demo_junit", report("junit"));
}

#[test]
fn github_report() {
    insta::assert_snapshot!("demo_github", report("github"));
}

#[test]
fn csv_report() {
    insta::assert_snapshot!("demo_csv", report("csv"));
}

#[test]
fn html_report() {
    let html = report("html");
    assert!(html.contains("<svg"), "has a map");
    // Self-contained: one inline script (zoom and pan), nothing loaded, and the only URL is
    // the SVG namespace.
    assert_eq!(html.matches("<script").count(), 1);
    assert!(!html.contains("<script src"));
    // The legend gives the layers' titles, each layer its own colour; the project is named;
    // findings say what would resolve them.
    assert!(html.contains("Ecological protection red line (illustrative)</span>"));
    let colours: Vec<&str> = html
        .split(r#"<g class="layer""#)
        .skip(1)
        .filter_map(|g| g.find("=\"#").map(|at| &g[at + 2..at + 9]))
        .collect();
    let distinct: std::collections::BTreeSet<&&str> = colours.iter().collect();
    assert_eq!(distinct.len(), colours.len(), "{colours:?}");
    assert!(html.contains("ironrule report — Yichang demo"));
    assert!(html.contains("<dt>to resolve</dt>"));
    assert_eq!(
        html.matches("http").count(),
        html.matches("http://www.w3.org/2000/svg").count()
    );
    insta::assert_snapshot!("demo_html", html);
}

#[test]
fn rules_list_text() {
    let out = ironrule(&["rules", "list", "-p", "data/yichang/ironrule.toml"]);
    insta::assert_snapshot!("rules_list", stdout(&out));
}
