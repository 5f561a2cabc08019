//! The same proposals in every CRS planners use give the same findings.

use crate::common::*;
use ironrule::crs::{Crs, Transformer};

/// The demo proposals (WGS 84) rewritten in `crs`, with the legacy `crs` member.
fn proposals_in(crs: &str, dir: &std::path::Path) -> std::path::PathBuf {
    let text = std::fs::read_to_string(demo_proposals()).unwrap();
    let mut v: serde_json::Value = serde_json::from_str(&text).unwrap();
    let t = Transformer::new(&Crs::wgs84(), &Crs::parse(crs).unwrap()).unwrap();
    fn walk(v: &mut serde_json::Value, t: &Transformer) {
        if let serde_json::Value::Array(a) = v {
            if a.len() >= 2 && a[0].is_number() {
                let c = t
                    .coord(geo::coord! { x: a[0].as_f64().unwrap(), y: a[1].as_f64().unwrap() })
                    .unwrap();
                a[0] = serde_json::json!(c.x);
                a[1] = serde_json::json!(c.y);
            } else {
                a.iter_mut().for_each(|x| walk(x, t));
            }
        }
    }
    for f in v["features"].as_array_mut().unwrap() {
        walk(&mut f["geometry"]["coordinates"], &t);
    }
    v["crs"] = serde_json::json!({"type": "name", "properties": {"name": format!("urn:ogc:def:crs:{}", crs.replace(':', "::"))}});
    let p = dir.join(format!("proposals_{}.geojson", crs.replace(':', "_")));
    std::fs::write(&p, v.to_string()).unwrap();
    p
}

fn measures(json: &serde_json::Value) -> Vec<(String, String, Option<String>, f64)> {
    json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["feature"]["id"].as_str().unwrap().to_owned(),
                f["code"].as_str().unwrap().to_owned(),
                f["zone"]["id"].as_str().map(str::to_owned),
                f["measure"]["value"].as_f64().unwrap(),
            )
        })
        .collect()
}

#[test]
fn identical_findings_in_4326_4490_4546_and_4525() {
    let dir = tempfile::tempdir().unwrap();
    let (_, base, _) = check_json(&[&demo_proposals()], &[]);
    let base = measures(&base);
    assert!(base.len() > 10);
    for crs in ["EPSG:4490", "EPSG:4546", "EPSG:4525"] {
        let p = proposals_in(crs, dir.path());
        let (code, json, err) = check_json(&[&p], &[]);
        assert_eq!(code, 1, "{crs}: {err}");
        let got = measures(&json);
        assert_eq!(got.len(), base.len(), "{crs}");
        for (a, b) in base.iter().zip(&got) {
            assert_eq!((&a.0, &a.1, &a.2), (&b.0, &b.1, &b.2), "{crs}");
            // Areas are m², up to 60,000: 1e-6 relative; distances and lengths 1e-6 m.
            let tol = 1e-6 * a.3.abs().max(1.0);
            assert!(
                (a.3 - b.3).abs() <= tol,
                "{crs} {} {}: {} vs {}",
                a.0,
                a.1,
                a.3,
                b.3
            );
        }
        // The offending geometry comes back in the file's own CRS.
        assert_eq!(json["findings"][0]["geometry_crs"], crs);
    }
}

/// The demo proposals as a planner would copy them from a Chinese web map (GCJ-02).
fn proposals_in_gcj02(dir: &std::path::Path) -> std::path::PathBuf {
    let text = std::fs::read_to_string(demo_proposals()).unwrap();
    let mut v: serde_json::Value = serde_json::from_str(&text).unwrap();
    fn walk(v: &mut serde_json::Value) {
        if let serde_json::Value::Array(a) = v {
            if a.len() >= 2 && a[0].is_number() {
                let c = ironrule::crs::web_datum::wgs84_to_gcj02(
                    geo::coord! { x: a[0].as_f64().unwrap(), y: a[1].as_f64().unwrap() },
                );
                a[0] = serde_json::json!(c.x);
                a[1] = serde_json::json!(c.y);
            } else {
                a.iter_mut().for_each(walk);
            }
        }
    }
    for f in v["features"].as_array_mut().unwrap() {
        walk(&mut f["geometry"]["coordinates"]);
    }
    let p = dir.join("proposals_gcj02.geojson");
    std::fs::write(&p, v.to_string()).unwrap();
    p
}

#[test]
fn gcj02_declared_gives_the_original_findings_and_undeclared_is_the_trap() {
    let dir = tempfile::tempdir().unwrap();
    let (_, base, _) = check_json(&[&demo_proposals()], &[]);
    let base = measures(&base);
    let p = proposals_in_gcj02(dir.path());
    let (code, json, err) = check_json(&[&p], &["--assume-crs", "GCJ-02"]);
    assert_eq!(code, 1, "{err}");
    let got = measures(&json);
    assert_eq!(got.len(), base.len());
    for (a, b) in base.iter().zip(&got) {
        assert_eq!((&a.0, &a.1, &a.2), (&b.0, &b.1, &b.2));
        assert!(
            (a.3 - b.3).abs() <= 1e-6 * a.3.abs().max(1.0),
            "{} {}: {} vs {}",
            a.0,
            a.1,
            a.3,
            b.3
        );
    }
    assert_eq!(
        json["findings"][0]["geometry_crs"], "GCJ-02",
        "offending parts overlay the web map"
    );

    // Read as WGS 84 (what RFC 7946 says, and what a careless tool does), every proposal sits
    // about half a kilometre from where it is: the findings change.
    let (_, json, _) = check_json(&[&p], &[]);
    let wrong = measures(&json);
    let p01 = |m: &[(String, String, Option<String>, f64)]| {
        m.iter()
            .find(|x| x.0 == "P01" && x.1 == "YC101")
            .map(|x| x.3)
    };
    let (right, shifted) = (p01(&base).unwrap(), p01(&wrong));
    assert!(
        shifted.is_none_or(|d| (d - right).abs() > 100.0),
        "P01: {right} vs {shifted:?}"
    );
    assert_ne!(
        base.iter().map(|x| (&x.0, &x.1)).collect::<Vec<_>>(),
        wrong.iter().map(|x| (&x.0, &x.1)).collect::<Vec<_>>()
    );
}

/// The demo project with `datums = [...]` added, written into `dir`.
fn project_with_datums(dir: &std::path::Path, datums: &str) -> std::path::PathBuf {
    let text = demo_project_text().replace(
        "crs = \"EPSG:4546\"",
        &format!("crs = \"EPSG:4546\"\ndatums = {datums}"),
    );
    let p = dir.join("ironrule.toml");
    std::fs::write(&p, text).unwrap();
    p
}

#[test]
fn a_project_that_declares_its_datums_refuses_inputs_on_others() {
    let dir = tempfile::tempdir().unwrap();
    // The demo's GeoJSON is WGS 84 (RFC 7946) and its working CRS CGCS2000: both listed,
    // spelled as people and PROJ spell them.
    let project = project_with_datums(dir.path(), r#"["China 2000", "wgs84"]"#);
    let p = project.to_str().unwrap();
    let out = ironrule(&["check", "-p", p, "data/yichang/proposals.geojson"]);
    assert_eq!(code(&out), 1, "{}", stdout(&out));

    // Coordinates copied from a web map, declared as such: GCJ-02 is not on the list.
    let gcj = proposals_in_gcj02(dir.path());
    let out = ironrule(&[
        "check",
        "-p",
        p,
        "--assume-crs",
        "GCJ-02",
        gcj.to_str().unwrap(),
    ]);
    assert_eq!(code(&out), 2);
    let text = stdout(&out);
    assert!(
        text.contains("is on the GCJ-02 datum") && text.contains("accepts only CGCS2000, WGS 84"),
        "{text}"
    );
    // The audit refuses it the same way, and says so in its diagnostics.
    let out_dir = dir.path().join("audit");
    let out = audit_with(
        &project,
        &out_dir,
        &["--assume-crs", "GCJ-02", gcj.to_str().unwrap()],
    );
    assert_eq!(code(&out), 2, "{}", stderr(&out));
    let diags = std::fs::read_to_string(out_dir.join("diagnostics.csv")).unwrap();
    assert!(diags.contains("GCJ-02 datum"), "{diags}");

    // Only CGCS2000: the zones (EPSG:4546) pass, the WGS 84 proposals are refused by name.
    let project = project_with_datums(dir.path(), r#"["CGCS2000"]"#);
    let out = check_with_project(&project);
    assert_eq!(code(&out), 2);
    assert!(
        stdout(&out).contains(
            "proposals.geojson: its CRS EPSG:4326 is on the WGS 84 datum, and the project accepts only CGCS2000"
        ),
        "{}",
        stdout(&out)
    );

    // A list that leaves out the working CRS's own datum is a project error.
    let project = project_with_datums(dir.path(), r#"["WGS 84"]"#);
    let out = check_with_project(&project);
    assert_eq!(code(&out), 2);
    assert!(
        stderr(&out).contains("leaves out CGCS2000, the datum of the working CRS EPSG:4546"),
        "{}",
        stderr(&out)
    );
}
