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
    let out = ironrule(&[
        "check",
        "-p",
        "data/yichang/ironrule.toml",
        "data/yichang/proposals.geojson",
    ]);
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

#[test]
fn rules_list_text() {
    let out = ironrule(&["rules", "list", "-p", "data/yichang/ironrule.toml"]);
    insta::assert_snapshot!("rules_list", stdout(&out));
}
