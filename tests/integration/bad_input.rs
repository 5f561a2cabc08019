//! Bad input never crashes and never vanishes: a clear diagnostic naming the file, the
//! feature or line, and the reason; the good features are still checked; exit code 2.

use crate::common::*;

/// A point in the red line (RL-01) in EPSG:4546, and a plot inside it.
fn red_line_plot() -> String {
    let c = zone_coords("red_line.geojson");
    let (x, y) = (
        c.iter().map(|p| p[0]).sum::<f64>() / c.len() as f64,
        c.iter().map(|p| p[1]).sum::<f64>() / c.len() as f64,
    );
    square(x.round(), y.round(), 40.0)
}

#[test]
fn malformed_json_names_line_and_column_and_exits_2() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("broken.geojson");
    std::fs::write(
        &p,
        "{\"type\": \"FeatureCollection\",\n \"features\": [\n  {\"type\": \"Feature\",, }\n]}",
    )
    .unwrap();
    let (code, json, err) = check_json(&[&p], &[]);
    assert_eq!(code, 2);
    let d = &json["diagnostics"][0];
    assert_eq!(d["source"], p.display().to_string());
    // The feature is rejected where it breaks (`check` and `audit` read alike, one feature
    // at a time), placed in the file.
    assert!(
        d["message"]
            .as_str()
            .unwrap()
            .contains("malformed JSON at line 3, column "),
        "{d}"
    );
    assert!(err.contains("broken.geojson"), "{err}");
}

#[test]
fn truncated_file_is_reported_not_panicked() {
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(demo_proposals()).unwrap();
    let p = dir.path().join("truncated.geojson");
    let mut half = text.len() / 2;
    while !text.is_char_boundary(half) {
        half -= 1;
    }
    std::fs::write(&p, &text[..half]).unwrap();
    let (code, json, _) = check_json(&[&p], &[]);
    assert_eq!(code, 2);
    assert!(
        first_message(&json).contains("the file ends inside the features array"),
        "{json}"
    );
}

#[test]
fn invalid_features_are_rejected_by_name_and_the_rest_still_checked() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("mixed.geojson");
    let bowtie = r#"{"type":"Polygon","coordinates":[[[520000,3409000],[520100,3409100],[520100,3409000],[520000,3409100],[520000,3409000]]]}"#;
    let unclosed = r#"{"type":"Polygon","coordinates":[[[520000,3409000],[520100,3409000],[520100,3409100],[520000,3409100]]]}"#;
    let empty = r#"{"type":"MultiPolygon","coordinates":[]}"#;
    let collection_geom = r#"{"type":"GeometryCollection","geometries":[]}"#;
    let text = collection(
        Some("EPSG:4546"),
        &[
            feature("good", r#"{"land_use":"residential"}"#, &red_line_plot()),
            feature("bowtie", PLOT, bowtie),
            feature("unclosed", PLOT, unclosed),
            feature("empty", PLOT, empty),
            feature("gc", PLOT, collection_geom),
            r#"{"type":"Feature","id":"nogeom","properties":{},"geometry":null}"#.to_owned(),
            r#"{"type":"Feature","id":"short","properties":{},"geometry":{"type":"LineString","coordinates":[[520000,3409000]]}}"#.to_owned(),
        ],
    );
    std::fs::write(&p, text).unwrap();
    let (code, json, err) = check_json(&[&p], &[]);
    assert_eq!(code, 2, "input at fault");
    let s = &json["summary"];
    assert_eq!(
        (
            s["read"].as_u64(),
            s["checked"].as_u64(),
            s["rejected"].as_u64()
        ),
        (Some(7), Some(1), Some(6))
    );
    assert!(
        keys(&json).contains(&("good".into(), "YC201".into())),
        "the good feature is still checked: {json}"
    );
    let messages: Vec<String> = json["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| format!("{} {}", d["feature_id"], d["message"]))
        .collect();
    let expect = [
        ("bowtie", "self-intersection"),
        ("unclosed", "not closed"),
        ("empty", "empty MultiPolygon"),
        ("gc", "GeometryCollection"),
        ("nogeom", "no geometry"),
        ("short", "at least 2 positions"),
    ];
    for (id, why) in expect {
        assert!(
            messages.iter().any(|m| m.contains(id) && m.contains(why)),
            "{id}: {why} not in {messages:#?}"
        );
    }
    assert!(messages.iter().all(|m| m.contains("rejected")));
    assert!(err.contains("feature #1 (id \"bowtie\")"), "{err}");
    assert!(
        err.contains("at (520050, 3409050)"),
        "where the ring crosses itself: {err}"
    );
}

#[test]
fn missing_crs_is_refused_not_measured_in_the_wrong_units() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("no_crs.geojson");
    // Gauss-Kruger metres in a file that does not say so: RFC 7946 says WGS 84.
    std::fs::write(
        &p,
        collection(None, &[feature("a", PLOT, &red_line_plot())]),
    )
    .unwrap();
    let (code, json, _) = check_json(&[&p], &[]);
    assert_eq!(code, 2);
    let msg = first_message(&json);
    assert!(
        msg.contains("not a longitude/latitude") && msg.contains("--assume-crs"),
        "{msg}"
    );
    // Declared on the command line, the same file is read and checked.
    let (code, json, _) = check_json(&[&p], &["--assume-crs", "EPSG:4546"]);
    assert_eq!(code, 1);
    // The red line's corner lies on the Nanjinguan hills: their mountain line too.
    assert_eq!(
        keys(&json),
        vec![("a".into(), "YC201".into()), ("a".into(), "YC701".into())]
    );
}

#[test]
fn declared_and_assumed_crs_must_agree() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("gk.geojson");
    std::fs::write(
        &p,
        collection(Some("EPSG:4546"), &[feature("a", PLOT, &red_line_plot())]),
    )
    .unwrap();
    let (code, json, _) = check_json(&[&p], &["--assume-crs", "EPSG:4490"]);
    assert_eq!(code, 2);
    assert!(first_message(&json).contains("declares EPSG:4546"));
}

#[test]
fn unknown_crs_names_what_would_help() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("xian.geojson");
    std::fs::write(
        &p,
        collection(Some("EPSG:999999"), &[feature("a", PLOT, &red_line_plot())]),
    )
    .unwrap();
    let (code, json, _) = check_json(&[&p], &[]);
    assert_eq!(code, 2);
    let msg = first_message(&json);
    assert!(msg.contains("EPSG:999999"), "{msg}");
}

#[test]
fn an_unreadable_file_does_not_stop_the_others() {
    let (code, json, _) = check_json(
        &[
            std::path::Path::new("no/such/file.geojson"),
            &demo_proposals(),
        ],
        &[],
    );
    assert_eq!(code, 2);
    assert_eq!(json["summary"]["read"], 38, "the demo was still checked");
    assert!(json["diagnostics"][0]["source"]
        .as_str()
        .unwrap()
        .contains("no/such/file.geojson"));
}

#[test]
fn unsupported_format_names_the_feature_flag() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("plots.kml");
    std::fs::write(&p, b"not really").unwrap();
    let (code, json, _) = check_json(&[&p], &[]);
    assert_eq!(code, 2);
    let msg = first_message(&json);
    if cfg!(feature = "gdal") {
        assert!(msg.contains("GDAL"), "{msg}");
    } else {
        assert!(msg.contains("--features gdal"), "{msg}");
    }
}

#[test]
fn a_database_connection_is_refused_or_reported_without_its_password() {
    // Port 1: nothing listens there, so the gdal build cannot connect either.
    let conn = std::path::PathBuf::from("PG:host=127.0.0.1 port=1 dbname=plan password=s3cret");
    let (code, json, _) = check_json(&[&conn], &[]);
    assert_eq!(code, 2);
    let msg = first_message(&json);
    if cfg!(feature = "gdal") {
        assert!(msg.contains("GDAL cannot open it"), "{msg}");
    } else {
        assert!(
            msg.contains("--features gdal") && msg.contains("PG:"),
            "{msg}"
        );
    }
    let source = json["diagnostics"][0]["source"].as_str().unwrap();
    assert!(source.ends_with("password=***"), "{source}");
    assert!(!json.to_string().contains("s3cret"), "{json}");
}

#[test]
fn a_broken_shapefile_is_an_error_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("plots.shp");
    std::fs::write(&p, b"not really").unwrap();
    // No .dbf next to it.
    let (code, json, _) = check_json(&[&p], &["--assume-crs", "EPSG:4546"]);
    assert_eq!(code, 2);
    let msg = first_message(&json);
    assert!(msg.contains(".dbf"), "{msg}");
    // A .dbf that is not one.
    std::fs::write(dir.path().join("plots.dbf"), b"x").unwrap();
    let (code, json, _) = check_json(&[&p], &["--assume-crs", "EPSG:4546"]);
    assert_eq!(code, 2);
    let msg = first_message(&json);
    assert!(msg.contains("dBase"), "{msg}");
    // A .prj the pure-Rust build cannot identify says which feature would.
    std::fs::write(
        dir.path().join("plots.prj"),
        r#"PROJCS["Xian_1980_3_Degree_GK_CM_111E",GEOGCS["GCS_Xian_1980"]]"#,
    )
    .unwrap();
    let (code, json, _) = check_json(&[&p], &[]);
    assert_eq!(code, 2);
    let msg = first_message(&json);
    assert!(
        msg.contains("plots.prj") && msg.contains("--features proj"),
        "{msg}"
    );
}

#[test]
fn projected_working_crs_is_required() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("ironrule.toml");
    std::fs::write(&p, "crs = \"EPSG:4326\"\nrules = []\n").unwrap();
    let out = check_with_project(&p);
    assert_eq!(code(&out), 2);
    assert!(stderr(&out).contains("geographic"), "{}", stderr(&out));
}

#[test]
fn repair_fixes_bowties_and_unclosed_rings_and_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("fixable.geojson");
    let c = zone_coords("red_line.geojson");
    let (x, y) = (
        c.iter().map(|p| p[0]).sum::<f64>() / c.len() as f64,
        c.iter().map(|p| p[1]).sum::<f64>() / c.len() as f64,
    );
    let (x, y) = (x.round(), y.round());
    // A 100 m bowtie (two 2,500 m² triangles) and an unclosed 40 m square, both in the red line.
    let bowtie = format!(
        r#"{{"type":"Polygon","coordinates":[[[{x},{y}],[{},{}],[{},{y}],[{x},{}],[{x},{y}]]]}}"#,
        x + 100.0,
        y + 100.0,
        x + 100.0,
        y + 100.0
    );
    let unclosed = format!(
        r#"{{"type":"Polygon","coordinates":[[[{x},{y}],[{},{y}],[{},{}],[{x},{}]]]}}"#,
        x + 40.0,
        x + 40.0,
        y + 40.0,
        y + 40.0
    );
    std::fs::write(
        &p,
        collection(
            Some("EPSG:4546"),
            &[
                feature("bowtie", PLOT, &bowtie),
                feature("unclosed", PLOT, &unclosed),
            ],
        ),
    )
    .unwrap();
    let (code, json, _) = check_json(&[&p], &[]);
    assert_eq!(
        (code, json["summary"]["rejected"].as_u64()),
        (2, Some(2)),
        "rejected by default"
    );
    let (code, json, _) = check_json(&[&p], &["--repair"]);
    assert_eq!(code, 1, "repaired features are checked: {json}");
    assert_eq!(json["summary"]["checked"], 2);
    let warnings: Vec<&str> = json["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["level"] == "warning")
        .map(|d| d["message"].as_str().unwrap())
        .collect();
    assert!(
        warnings
            .iter()
            .any(|w| w.contains("self-intersection") && w.contains("repaired")),
        "{warnings:?}"
    );
    assert!(
        warnings
            .iter()
            .any(|w| w.contains("not closed") && w.contains("repaired")),
        "{warnings:?}"
    );
    let area = |id: &str| {
        json["findings"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["feature"]["id"] == id)
            .unwrap()["measure"]["value"]
            .as_f64()
            .unwrap()
    };
    assert!(
        (area("bowtie") - 5000.0).abs() < 1e-6,
        "the bowtie's two triangles"
    );
    assert!(
        (area("unclosed") - 1600.0).abs() < 1e-6,
        "the closed square"
    );
}

#[test]
fn a_broken_or_multi_layer_geopackage_is_an_error_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("plots.gpkg");
    std::fs::write(&p, b"not a database").unwrap();
    let (code, json, _) = check_json(&[&p], &[]);
    assert_eq!(code, 2);
    let msg = first_message(&json);
    assert!(msg.contains("not a readable GeoPackage"), "{msg}");
    // A layer that is not there names the ones that are.
    let (code, json, _) = check_json(
        &[&root().join("tests/data/proposals_4546.gpkg")],
        &["--layer", "roads"],
    );
    assert_eq!(code, 2);
    let msg = first_message(&json);
    assert!(
        msg.contains("no layer 'roads' (layers: proposals)"),
        "{msg}"
    );
}
