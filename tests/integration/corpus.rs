//! The bad-input corpus: every case is a file a planner might really send, with the exact
//! outcome expected — exit code, `read / checked / rejected`, and the diagnostic that names
//! the problem. Feature-level cases carry one good feature inside the red line too, which
//! must still be checked and reported. Nothing panics; nothing vanishes.

use crate::common::*;

/// A plot well inside red line RL-01, in EPSG:4546.
fn good() -> String {
    let c = zone_coords("red_line.geojson");
    let (x, y) = (
        c.iter().map(|p| p[0]).sum::<f64>() / c.len() as f64,
        c.iter().map(|p| p[1]).sum::<f64>() / c.len() as f64,
    );
    feature("good", PLOT, &square(x.round(), y.round(), 40.0))
}

fn origin() -> (f64, f64) {
    let c = zone_coords("red_line.geojson");
    (
        (c.iter().map(|p| p[0]).sum::<f64>() / c.len() as f64).round() + 200.0,
        (c.iter().map(|p| p[1]).sum::<f64>() / c.len() as f64).round(),
    )
}

/// A polygon from (dx, dy) offsets around the origin, in EPSG:4546.
fn poly(rings: &[&[(f64, f64)]]) -> String {
    let (x0, y0) = origin();
    let rings: Vec<String> = rings
        .iter()
        .map(|r| {
            format!(
                "[{}]",
                r.iter()
                    .map(|(dx, dy)| format!("[{},{}]", x0 + dx, y0 + dy))
                    .collect::<Vec<_>>()
                    .join(",")
            )
        })
        .collect();
    format!(
        r#"{{"type":"Polygon","coordinates":[{}]}}"#,
        rings.join(",")
    )
}

const SQ: &[(f64, f64)] = &[(0., 0.), (10., 0.), (10., 10.), (0., 10.), (0., 0.)];

enum Body {
    /// Features (JSON text) next to the good one, in a FeatureCollection in EPSG:4546.
    Features(Vec<String>),
    /// The whole file, as text.
    Text(String),
    /// The whole file, as bytes.
    Bytes(Vec<u8>),
}

struct Case {
    name: &'static str,
    body: Body,
    args: &'static [&'static str],
    exit: i32,
    /// read, checked, rejected.
    counts: (u64, u64, u64),
    /// Substrings that must appear in the diagnostics (each in one diagnostic line).
    expect: &'static [&'static str],
}

fn case(
    name: &'static str,
    body: Body,
    exit: i32,
    counts: (u64, u64, u64),
    expect: &'static [&'static str],
) -> Case {
    Case {
        name,
        body,
        args: &[],
        exit,
        counts,
        expect,
    }
}

fn f(id: &str, geometry: &str) -> String {
    feature(id, PLOT, geometry)
}

fn cases() -> Vec<Case> {
    use Body::*;
    let (x0, y0) = origin();
    let big: String = {
        // A valid 1,000,000-vertex circle of 30 m radius.
        let n = 1_000_000;
        let pts: Vec<String> = (0..=n)
            .map(|i| {
                let a = (i % n) as f64 / n as f64 * std::f64::consts::TAU;
                format!("[{},{}]", x0 + 30.0 * a.cos(), y0 + 30.0 * a.sin())
            })
            .collect();
        format!(
            r#"{{"type":"Polygon","coordinates":[[{}]]}}"#,
            pts.join(",")
        )
    };
    let fc = |body: &str| {
        format!(
            r#"{{"type":"FeatureCollection","crs":{{"type":"name","properties":{{"name":"EPSG:4546"}}}},"features":[{body}]}}"#
        )
    };
    vec![
        case("bowtie", Features(vec![f("bad", &poly(&[&[(0., 0.), (10., 10.), (10., 0.), (0., 10.), (0., 0.)]]))]), 2, (2, 1, 1), &["bad", "self-intersection", "at ("]),
        case("unclosed ring", Features(vec![f("bad", &poly(&[&[(0., 0.), (10., 0.), (10., 10.), (0., 10.)]]))]), 2, (2, 1, 1), &["not closed"]),
        case("ring of three positions", Features(vec![f("bad", &poly(&[&[(0., 0.), (10., 0.), (0., 0.)]]))]), 2, (2, 1, 1), &["at least 4"]),
        case("degenerate ring, all one point", Features(vec![f("bad", &poly(&[&[(0., 0.), (0., 0.), (0., 0.), (0., 0.)]]))]), 2, (2, 1, 1), &["invalid geometry"]),
        case("spike", Features(vec![f("bad", &poly(&[&[(0., 0.), (10., 0.), (10., 5.), (20., 5.), (10., 5.), (10., 10.), (0., 10.), (0., 0.)]]))]), 2, (2, 1, 1), &["invalid geometry"]),
        case("duplicate consecutive points are fine", Features(vec![f("dup", &poly(&[&[(0., 0.), (10., 0.), (10., 0.), (10., 10.), (0., 10.), (0., 0.)]]))]), 1, (2, 2, 0), &[]),
        case("hole outside its shell", Features(vec![f("bad", &poly(&[SQ, &[(20., 20.), (30., 20.), (30., 30.), (20., 20.)]]))]), 2, (2, 1, 1), &["interior ring"]),
        case("hole touching the shell at a point is valid", Features(vec![f("ok", &poly(&[SQ, &[(0., 0.), (5., 2.), (2., 5.), (0., 0.)]]))]), 1, (2, 2, 0), &[]),
        case(
            "nested shells",
            Features(vec![format!(
                r#"{{"type":"Feature","id":"bad","properties":{{}},"geometry":{{"type":"MultiPolygon","coordinates":[[[[{x0},{y0}],[{a},{y0}],[{a},{a2}],[{x0},{a2}],[{x0},{y0}]]],[[[{b},{b2}],[{c},{b2}],[{c},{c2}],[{b},{c2}],[{b},{b2}]]]]}}}}"#,
                a = x0 + 10.0, a2 = y0 + 10.0, b = x0 + 2.0, b2 = y0 + 2.0, c = x0 + 4.0, c2 = y0 + 4.0
            )]),
            2,
            (2, 1, 1),
            &["invalid geometry"],
        ),
        case("clockwise exterior ring is accepted", Features(vec![f("cw", &poly(&[&[(0., 0.), (0., 10.), (10., 10.), (10., 0.), (0., 0.)]]))]), 1, (2, 2, 0), &[]),
        case("NaN is not JSON", Text(fc(r#"{"type":"Feature","properties":{},"geometry":{"type":"Point","coordinates":[NaN,1]}}"#)), 2, (1, 0, 1), &["malformed JSON"]),
        case("Infinity is not JSON", Text(fc(r#"{"type":"Feature","properties":{},"geometry":{"type":"Point","coordinates":[Infinity,1]}}"#)), 2, (1, 0, 1), &["malformed JSON"]),
        case("1e309 overflows", Text(fc(r#"{"type":"Feature","properties":{},"geometry":{"type":"Point","coordinates":[1e309,1]}}"#)), 2, (1, 0, 1), &["malformed JSON"]),
        case(
            "1e308 in WGS 84 is not a longitude",
            Text(r#"{"type":"FeatureCollection","features":[{"type":"Feature","id":"far","properties":{},"geometry":{"type":"Point","coordinates":[1e308,30]}}]}"#.into()),
            2,
            (1, 0, 1),
            &["far", "not a longitude/latitude"],
        ),
        case("empty Polygon", Features(vec![f("bad", r#"{"type":"Polygon","coordinates":[]}"#)]), 2, (2, 1, 1), &["empty Polygon"]),
        case("empty MultiPolygon", Features(vec![f("bad", r#"{"type":"MultiPolygon","coordinates":[]}"#)]), 2, (2, 1, 1), &["empty MultiPolygon"]),
        case("empty LineString", Features(vec![f("bad", r#"{"type":"LineString","coordinates":[]}"#)]), 2, (2, 1, 1), &["at least 2 positions"]),
        case("empty MultiPoint", Features(vec![f("bad", r#"{"type":"MultiPoint","coordinates":[]}"#)]), 2, (2, 1, 1), &["empty MultiPoint"]),
        case("empty MultiLineString", Features(vec![f("bad", r#"{"type":"MultiLineString","coordinates":[]}"#)]), 2, (2, 1, 1), &["empty MultiLineString"]),
        case("Point without numbers", Features(vec![f("bad", r#"{"type":"Point","coordinates":[]}"#)]), 2, (2, 1, 1), &["bad", "rejected"]),
        case("GeometryCollection", Features(vec![f("bad", r#"{"type":"GeometryCollection","geometries":[]}"#)]), 2, (2, 1, 1), &["GeometryCollection"]),
        case("null geometry", Features(vec![r#"{"type":"Feature","id":"bad","properties":{},"geometry":null}"#.into()]), 2, (2, 1, 1), &["no geometry"]),
        case("unknown geometry type", Features(vec![f("bad", r#"{"type":"Circle","coordinates":[1,2]}"#)]), 2, (2, 1, 1), &["malformed"]),
        case("coordinates as a string", Features(vec![f("bad", r#"{"type":"Point","coordinates":"1,2"}"#)]), 2, (2, 1, 1), &["malformed"]),
        case("a feature that is a number", Features(vec!["42".into()]), 2, (2, 1, 1), &["malformed feature"]),
        case("id that is an object", Features(vec![r#"{"type":"Feature","id":{"a":1},"properties":{},"geometry":{"type":"Point","coordinates":[1,2]}}"#.into()]), 2, (2, 1, 1), &["malformed feature"]),
        case("Z values are dropped", Features(vec![f("z", &format!(r#"{{"type":"Point","coordinates":[{},{},55.5]}}"#, x0, y0))]), 1, (2, 2, 0), &[]),
        case("Z and M values are dropped", Features(vec![f("zm", &format!(r#"{{"type":"Point","coordinates":[{},{},55.5,7]}}"#, x0, y0))]), 1, (2, 2, 0), &[]),
        case("mixed 2-D and 3-D positions", Features(vec![f("mixed", &format!(r#"{{"type":"LineString","coordinates":[[{},{}],[{},{},3]]}}"#, x0, y0, x0 + 10.0, y0))]), 1, (2, 2, 0), &[]),
        case("a 1,000,000-vertex polygon", Features(vec![f("big", &big)]), 1, (2, 2, 0), &[]),
        case("duplicate feature ids", Features(vec![f("good", &poly(&[SQ]))]), 1, (2, 2, 0), &["duplicate id"]),
        case("truncated file", Text(fc(&good())[..60].to_owned()), 2, (0, 0, 0), &["malformed JSON"]),
        case("empty file", Text(String::new()), 2, (0, 0, 0), &["malformed JSON"]),
        case("invalid UTF-8", Bytes(b"{\"type\":\"FeatureCollection\",\"features\":[{\"type\":\"Feature\",\"properties\":{\"name\":\"\xff\xfe\"}}]}".to_vec()), 2, (1, 0, 1), &["not UTF-8"]),
        case("GBK attributes in GeoJSON", Bytes([b"{\"type\":\"Feature\",\"properties\":{\"name\":\"".as_slice(), &[0xd2, 0xcb, 0xb2, 0xfd], b"\"},\"geometry\":null}"].concat()), 2, (0, 0, 0), &["not UTF-8"]),
        case("a UTF-8 byte-order mark is accepted", Text(format!("\u{feff}{}", fc(&good()))), 1, (1, 1, 0), &[]),
        case("top-level array", Text("[1,2]".into()), 2, (0, 0, 0), &["must be a JSON object"]),
        case("TopoJSON", Text(r#"{"type":"Topology","objects":{}}"#.into()), 2, (0, 0, 0), &["unknown top-level type 'Topology'"]),
        case("FeatureCollection without features", Text(r#"{"type":"FeatureCollection"}"#.into()), 2, (0, 0, 0), &["without a `features` array"]),
        case("empty FeatureCollection", Text(r#"{"type":"FeatureCollection","features":[]}"#.into()), 0, (0, 0, 0), &[]),
        case("linked legacy CRS", Text(r#"{"type":"FeatureCollection","crs":{"type":"link","properties":{"href":"x"}},"features":[]}"#.into()), 2, (0, 0, 0), &["linked CRSs are not supported"]),
        case("two features members", Text(r#"{"type":"FeatureCollection","features":[],"features":[{"type":"Feature","properties":{},"geometry":{"type":"Point","coordinates":[111.3,30.7]}}]}"#.into()), 2, (0, 0, 0), &["duplicate member `features`"]),
        case("two geometry members", Features(vec![format!(r#"{{"type":"Feature","id":"bad","properties":{{}},"geometry":{{"type":"Point","coordinates":[0,0]}},"geometry":{{"type":"Point","coordinates":[1,1]}}}}"#)]), 2, (2, 1, 1), &["duplicate member `geometry`"]),
        case("two height_m attributes", Features(vec![format!(r#"{{"type":"Feature","id":"bad","properties":{{"height_m":10,"height_m":300}},"geometry":{{"type":"Point","coordinates":[0,0]}}}}"#)]), 2, (2, 1, 1), &["duplicate member `height_m`"]),
        case("unknown legacy CRS", Text(r#"{"type":"FeatureCollection","crs":{"type":"name","properties":{"name":"EPSG:123456"}},"features":[]}"#.into()), 2, (0, 0, 0), &["EPSG:123456"]),
        case(
            // Shanghai, 1,000 km from the project's area: refused, with the likely causes.
            "far outside the working CRS's zone and the project's area",
            Text(r#"{"type":"FeatureCollection","features":[{"type":"Feature","id":"shanghai","properties":{},"geometry":{"type":"Point","coordinates":[121.47,31.23]}}]}"#.into()),
            2,
            (1, 0, 1),
            &["central meridian", "outside the project's area", "GCJ-02"],
        ),
        case(
            // Documented as undetectable: GCJ-02 coordinates look like WGS 84. The file is read
            // without complaint (see README and tests/integration/crs.rs for the fix).
            "GCJ-02 data declared as WGS 84 is not detected",
            Text(r#"{"type":"FeatureCollection","features":[{"type":"Feature","id":"gcj","properties":{"land_use":"tourism","kind":"new","discharges":false},"geometry":{"type":"Point","coordinates":[111.2947,30.6977]}}]}"#.into()),
            0,
            (1, 1, 0),
            &[],
        ),
        Case {
            name: "id field missing",
            body: Features(vec![f("x", &poly(&[SQ]))]),
            args: &["--id-field", "parcel_no"],
            exit: 2,
            counts: (2, 0, 2),
            expect: &["id field 'parcel_no' is missing"],
        },
    ]
}

fn run(c: &Case, dir: &std::path::Path) -> (i32, serde_json::Value) {
    let path = dir.join(format!(
        "{}.geojson",
        c.name.replace([' ', ',', '\'', '/'], "_")
    ));
    match &c.body {
        Body::Features(fs) => {
            let mut all = vec![good()];
            all.extend(fs.iter().cloned());
            std::fs::write(&path, collection(Some("EPSG:4546"), &all)).unwrap();
        }
        Body::Text(t) => std::fs::write(&path, t).unwrap(),
        Body::Bytes(b) => std::fs::write(&path, b).unwrap(),
    }
    let (code, json, _) = check_json(&[&path], c.args);
    (code, json)
}

#[test]
fn every_case_has_its_exact_outcome() {
    let dir = tempfile::tempdir().unwrap();
    let all = cases();
    assert!(all.len() >= 40, "{} cases", all.len());
    let mut failures = Vec::new();
    for c in &all {
        let (code, json) = run(c, dir.path());
        let s = &json["summary"];
        let counts = (
            s["read"].as_u64().unwrap(),
            s["checked"].as_u64().unwrap(),
            s["rejected"].as_u64().unwrap(),
        );
        let diags: Vec<String> = json["diagnostics"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| format!("{} {}", d["feature_id"], d["message"]))
            .collect();
        let mut why = Vec::new();
        if code != c.exit {
            why.push(format!("exit {code}, expected {}", c.exit));
        }
        if counts != c.counts {
            why.push(format!("counts {counts:?}, expected {:?}", c.counts));
        }
        if counts.0 != counts.1 + counts.2 {
            why.push("read != checked + rejected".into());
        }
        for e in c.expect {
            if !diags.iter().any(|d| d.contains(e)) {
                why.push(format!("no diagnostic with '{e}'"));
            }
        }
        if c.expect.is_empty() && c.exit != 2 && diags.iter().any(|d| d.contains("error")) {
            why.push("unexpected error".into());
        }
        // The good feature in the red line is still checked and reported.
        if matches!(c.body, Body::Features(_))
            && counts.1 > 0
            && !keys(&json).contains(&("good".into(), "YC201".into()))
        {
            why.push("the good feature's finding is missing".into());
        }
        if !why.is_empty() {
            failures.push(format!(
                "{}: {} — diagnostics: {diags:?}",
                c.name,
                why.join("; ")
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n{}",
        failures.len(),
        all.len(),
        failures.join("\n")
    );
}
