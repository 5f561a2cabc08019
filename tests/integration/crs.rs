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
