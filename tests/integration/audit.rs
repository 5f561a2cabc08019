//! `ironrule audit`: the streamed sweep gives what `check` gives, from every native format,
//! with counts that reconcile, bad features reported and not fatal, and no output when
//! interrupted.

use crate::common::*;
use std::collections::BTreeSet;
use std::path::Path;

/// (feature id, code, value in mm or mm², zone id) of a findings CSV (audit's or check's):
/// one key per finding (a proposal 0 m from two parcels' lines has two).
fn rows(csv: &str) -> BTreeSet<(String, String, i64, String)> {
    csv.lines()
        .skip(1)
        .filter(|l| !l.is_empty())
        .map(|l| {
            // code,severity,feature_id,zone_layer,zone_id,measure,value,...; the message may
            // hold commas, but only after `value`.
            let f: Vec<&str> = l.splitn(8, ',').collect();
            let value: f64 = f[6].parse().unwrap();
            (
                f[2].to_owned(),
                f[0].to_owned(),
                (value * 1000.0).round() as i64,
                f[4].to_owned(),
            )
        })
        .collect()
}

#[test]
fn audit_of_the_demo_gives_the_findings_check_gives() {
    let dir = tempfile::tempdir().unwrap();
    let out = audit_demo(dir.path(), &["data/yichang/proposals.geojson"]);
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    assert!(
        stdout(&out).contains("audited 38 features"),
        "{}",
        stdout(&out)
    );
    let check = check_demo(&["--format", "csv"]);
    // audit does not evaluate share rules (YC601), which judge a whole submission.
    let expected: BTreeSet<_> = rows(&stdout(&check))
        .into_iter()
        .filter(|r| r.1 != "YC601")
        .collect();
    assert!(expected.len() > 10);
    let got = rows(&std::fs::read_to_string(dir.path().join("findings.csv")).unwrap());
    assert_eq!(got, expected);
    let s = audit_summary(dir.path());
    assert_eq!(s["read"], 38);
    assert_eq!(s["checked"], 38);
    assert_eq!(s["rejected"], 0);
    assert_eq!(s["findings"].as_u64().unwrap() as usize, expected.len());
    let by_rule: u64 = s["by_rule"]
        .as_object()
        .unwrap()
        .values()
        .map(|r| r["findings"].as_u64().unwrap())
        .sum();
    assert_eq!(by_rule as usize, expected.len());
    // The findings layer: one GeoJSON feature per line, in WGS 84, per finding.
    let layer = std::fs::read_to_string(dir.path().join("findings.geojsonl")).unwrap();
    assert_eq!(layer.lines().count(), expected.len());
    for line in layer.lines() {
        let f: serde_json::Value = serde_json::from_str(line).unwrap();
        assert_eq!(f["type"], "Feature");
        let x = f["geometry"]["coordinates"].to_string();
        assert!(
            x.contains("111.") && x.contains("30."),
            "WGS 84 longitudes/latitudes: {x}"
        );
    }
    // Feature for feature what `check --format geojson` writes (share rules aside): the audit
    // words its lines from the compact results, `check` from findings.
    let check_layer = check_demo(&["--format", "geojson"]);
    let collection: serde_json::Value = serde_json::from_str(&stdout(&check_layer)).unwrap();
    let want: BTreeSet<String> = collection["features"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["properties"]["code"] != "YC601")
        .map(|f| f.to_string())
        .collect();
    let got: BTreeSet<String> = layer
        .lines()
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l)
                .unwrap()
                .to_string()
        })
        .collect();
    assert_eq!(got.len(), expected.len());
    assert_eq!(got, want);
    // No temporary files are left.
    let names: BTreeSet<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    let want: BTreeSet<String> = [
        "diagnostics.csv",
        "findings.csv",
        "findings.geojsonl",
        "report.html",
        "summary.json",
    ]
    .map(String::from)
    .into();
    assert_eq!(names, want);
    let diags = std::fs::read_to_string(dir.path().join("diagnostics.csv")).unwrap();
    assert!(
        diags.contains("YC601 judges a set of proposals together"),
        "{diags}"
    );
}

#[test]
fn flatgeobuf_geoparquet_and_geopackage_read_natively_give_the_geojson_findings() {
    // The demo proposals written by GeoPandas/pyogrio in EPSG:4546, with the GeoJSON's
    // feature ids in a `pid` column.
    let dir = tempfile::tempdir().unwrap();
    let check = check_demo(&["--format", "csv"]);
    let all = rows(&stdout(&check));
    let expected: BTreeSet<_> = all.iter().filter(|r| r.1 != "YC601").cloned().collect();
    for file in [
        "tests/data/proposals_4546.fgb",
        "tests/data/proposals_4546.parquet",
        "tests/data/proposals_4546.gpkg",
    ] {
        let out_dir = dir.path().join(Path::new(file).extension().unwrap());
        let out = audit_demo(&out_dir, &["--id-field", "pid", file]);
        assert_eq!(code(&out), 1, "{file}: {}", stderr(&out));
        let got = rows(&std::fs::read_to_string(out_dir.join("findings.csv")).unwrap());
        assert_eq!(got, expected, "{file}");
        assert_eq!(audit_summary(&out_dir)["sources"][0]["crs"], "EPSG:4546");
        // `check` reads them natively too.
        let out = ironrule(&[
            "check",
            "-p",
            "data/yichang/ironrule.toml",
            "--id-field",
            "pid",
            "--format",
            "csv",
            file,
        ]);
        assert_eq!(rows(&stdout(&out)), all, "check {file}");
    }
}

#[test]
fn a_malformed_feature_is_rejected_and_the_rest_audited() {
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(demo_proposals()).unwrap();
    // Break the second feature's JSON (a bare word) and add a non-feature element.
    let mut broken = text.replacen(
        "{\"type\":\"Feature\",\"properties\":{\"name\":\"化工厂扩建",
        "{\"type\":\"Feature\",\"bad\":nope,\"properties\":{\"name\":\"化工厂扩建",
        1,
    );
    assert_ne!(broken, text);
    broken = broken.replacen("\"features\":[", "\"features\":[42,", 1);
    let input = dir.path().join("broken.geojson");
    std::fs::write(&input, broken).unwrap();
    let out_dir = dir.path().join("out");
    let out = audit_demo(&out_dir, &[input.to_str().unwrap()]);
    assert_eq!(code(&out), 2, "input at fault: {}", stderr(&out));
    let s = audit_summary(&out_dir);
    assert_eq!(s["read"], 39);
    assert_eq!(s["rejected"], 2);
    assert_eq!(s["checked"], 37);
    let diags = std::fs::read_to_string(out_dir.join("diagnostics.csv")).unwrap();
    assert!(diags.contains(",0,,\"malformed feature"), "{diags}");
    assert!(
        diags.contains(",2,") && diags.contains("expected ident"),
        "{diags}"
    );
}

#[test]
fn a_truncated_file_is_an_error_that_names_the_byte() {
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(demo_proposals()).unwrap();
    let input = dir.path().join("cut.geojson");
    std::fs::write(&input, &text.as_bytes()[..text.len() / 2]).unwrap();
    let out_dir = dir.path().join("out");
    let out = audit_demo(&out_dir, &[input.to_str().unwrap()]);
    assert_eq!(code(&out), 2);
    assert!(stderr(&out).contains("truncated?"), "{}", stderr(&out));
    let s = audit_summary(&out_dir);
    assert!(s["sources"][0]["error"]
        .as_str()
        .unwrap()
        .contains("cut.geojson"));
}

#[test]
fn an_interrupted_audit_writes_nothing() {
    use std::sync::atomic::AtomicBool;
    let project = ironrule::project::Project::load(&demo_project()).unwrap();
    let checker = ironrule::engine::Checker::load(project).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let stop = AtomicBool::new(true);
    let outcome = ironrule::audit::run(
        &checker,
        &[demo_proposals()],
        &ironrule::engine::ReadRequest::default(),
        dir.path(),
        ironrule::audit::Settings::default(),
        &mut ironrule::audit::Silent,
        &stop,
        ironrule::audit::Excuses::default(),
    )
    .unwrap();
    assert!(outcome.interrupted);
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
}

#[test]
fn the_streamed_reader_gives_the_whole_file_reader_features() {
    use ironrule::io::{self, stream, IdBook, ReadOptions};
    let crs = ironrule::crs::Crs::parse("EPSG:4546").unwrap();
    for path in [
        demo_proposals(),
        root().join("tests/data/proposals_4546.fgb"),
        root().join("tests/data/proposals_4546.parquet"),
        root().join("tests/data/proposals_4546.gpkg"),
    ] {
        let whole = io::read(&path, ReadOptions::new(&crs)).unwrap();
        // Batches of 5: features cross batch boundaries.
        let mut opened = stream::open(&path, ReadOptions::new(&crs)).unwrap();
        let mut ids = IdBook::default();
        let mut streamed = Vec::new();
        while let Some(batch) = opened.next(5, &mut ids).unwrap() {
            streamed.extend(batch.results);
        }
        assert_eq!(streamed.len(), whole.features.len(), "{}", path.display());
        for (a, b) in streamed.iter().zip(&whole.features) {
            assert_eq!(a.fref, b.fref);
            assert_eq!(a.properties, b.properties);
            assert_eq!(a.geometry, b.geometry);
        }
    }
}

#[test]
fn a_crs_after_the_features_is_refused_by_the_streamed_reader() {
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(demo_proposals()).unwrap();
    let body = text.trim_end().strip_suffix('}').unwrap();
    let late =
        format!("{body},\"crs\":{{\"type\":\"name\",\"properties\":{{\"name\":\"EPSG:4546\"}}}}}}");
    let input = dir.path().join("late_crs.geojson");
    std::fs::write(&input, late).unwrap();
    let out_dir = dir.path().join("out");
    let out = audit_demo(&out_dir, &[input.to_str().unwrap()]);
    assert_eq!(code(&out), 2);
    assert!(
        stderr(&out).contains("comes after `features`"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn a_gbk_shapefile_is_read_natively_with_its_chinese_names_and_prj() {
    // Written by pyogrio with `encoding="GBK"`: a .cpg saying GBK and an Esri .prj naming
    // "CGCS2000_3_Degree_GK_CM_111E" (no EPSG code in it).
    let shp = "tests/data/proposals_polygons_gbk.shp";
    let dbf = std::fs::read(root().join("tests/data/proposals_polygons_gbk.dbf")).unwrap();
    assert!(
        std::str::from_utf8(&dbf).is_err(),
        "the fixture really is GBK"
    );
    let out = ironrule(&[
        "check",
        "-p",
        "data/yichang/ironrule.toml",
        "--id-field",
        "pid",
        "--format",
        "json",
        shp,
    ]);
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    let json: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    let names: Vec<&str> = json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|f| f["feature"]["name"].as_str())
        .collect();
    assert!(names.iter().any(|n| n.contains("猇亭化工")), "{names:?}");
    // The .prj was identified: findings are placed in the file's own CRS.
    assert_eq!(json["findings"][0]["geometry_crs"], "EPSG:4546");
    // The same findings as the GeoJSON's polygons. The Shapefile trap (`safety_upgrade` cut to
    // `safety_upg`) is caught by the dictionary's alias: the tailings-pond rebuild P22 stays
    // clean.
    let csv = ironrule(&[
        "check",
        "-p",
        "data/yichang/ironrule.toml",
        "--id-field",
        "pid",
        "--format",
        "csv",
        shp,
    ]);
    let got = rows(&stdout(&csv));
    let polygon_ids: BTreeSet<String> = got.iter().map(|r| r.0.clone()).collect();
    let expected: BTreeSet<_> = rows(&stdout(&check_demo(&["--format", "csv"])))
        .into_iter()
        .filter(|r| polygon_ids.contains(&r.0))
        .collect();
    let extra: Vec<_> = got.difference(&expected).collect();
    assert!(extra.is_empty(), "{extra:?}");
    let missing: Vec<_> = expected.difference(&got).collect();
    assert!(missing.is_empty(), "{missing:?}");
    // A wrong --encoding is visible, not silent: Latin-1 garbles the names.
    let garbled = ironrule(&[
        "check",
        "-p",
        "data/yichang/ironrule.toml",
        "--encoding",
        "latin1",
        "--format",
        "csv",
        shp,
    ]);
    assert!(!stdout(&garbled).contains("猇亭化工"));
}

#[test]
fn the_demo_audit_counts_findings_by_district() {
    let dir = tempfile::tempdir().unwrap();
    let out = audit_demo(dir.path(), &["data/yichang/proposals.geojson"]);
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    let s = audit_summary(dir.path());
    assert_eq!(s["by_district"]["layer"], "districts");
    let d = &s["by_district"]["districts"];
    // P14 and P29 build on Moji mountain in D-XL; P06 in the red line in D-YL.
    assert_eq!(d["D-XL"]["YC402"], 2, "{d}");
    assert!(d["D-YL"]["YC201"].as_u64().unwrap() >= 1, "{d}");
}

#[test]
fn without_the_findings_layer_no_layer_file_and_no_temporary_is_left() {
    let dir = tempfile::tempdir().unwrap();
    let out = audit_demo(
        dir.path(),
        &["--findings-layer", "none", "data/yichang/proposals.geojson"],
    );
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    let names: BTreeSet<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    let want: BTreeSet<String> = [
        "diagnostics.csv",
        "findings.csv",
        "report.html",
        "summary.json",
    ]
    .map(String::from)
    .into();
    assert_eq!(names, want);
    assert!(audit_summary(dir.path())["files"]["findings_layer"].is_null());
}

#[test]
fn duplicate_ids_are_found_across_batches_and_per_source() {
    // Seven plots in batches of 3: the repeated id "a" sits in batches 1 and 3; a bowtie is
    // rejected in batch 2. A second file reuses the ids: duplicates are per source.
    let dir = tempfile::tempdir().unwrap();
    let plot = |id: &str, x: f64| {
        feature(
            id,
            r#"{"land_use":"residential"}"#,
            &square(111.30 + x, 30.70, 0.0005),
        )
    };
    let bowtie = feature(
        "bow",
        r#"{"land_use":"residential"}"#,
        r#"{"type":"Polygon","coordinates":[[[111.3,30.7],[111.301,30.701],[111.301,30.7],[111.3,30.701],[111.3,30.7]]]}"#,
    );
    let features = vec![
        plot("a", 0.000),
        plot("b", 0.001),
        plot("c", 0.002),
        plot("d", 0.003),
        bowtie,
        plot("e", 0.004),
        plot("a", 0.005),
    ];
    let first = dir.path().join("first.geojson");
    let second = dir.path().join("second.geojson");
    std::fs::write(&first, collection(None, &features)).unwrap();
    std::fs::write(&second, collection(None, &features[..3])).unwrap();
    let out_dir = dir.path().join("out");
    let out = audit_demo(
        &out_dir,
        &[
            "--batch-size",
            "3",
            first.to_str().unwrap(),
            second.to_str().unwrap(),
        ],
    );
    assert_eq!(code(&out), 2, "{}", stderr(&out));
    let (diags, duplicates) = audit_diagnostics(&out_dir, "duplicate id");
    assert_eq!(duplicates.len(), 1, "{diags}");
    assert!(
        duplicates[0].contains("first.geojson,6,a,") && duplicates[0].contains("also feature #0"),
        "{diags}"
    );
    let s = audit_summary(&out_dir);
    assert_eq!(
        (&s["read"], &s["checked"], &s["rejected"]),
        (&10.into(), &9.into(), &1.into())
    );
    // The summary's counts are the diagnostics file's rows.
    let count = |level: &str| diags.lines().filter(|l| l.starts_with(level)).count();
    let d = &s["diagnostics"];
    assert_eq!(
        d["errors"].as_u64().unwrap() as usize,
        count("error,"),
        "{diags}"
    );
    assert_eq!(
        d["warnings"].as_u64().unwrap() as usize,
        count("warning,"),
        "{diags}"
    );
    assert_eq!(count("error,"), 1, "{diags}");
}

#[test]
fn numeric_ids_repeat_as_their_strings_do() {
    // Ids that are plain numbers are looked up by value, the rest by hash: `7` repeats,
    // `07` and `7.0` are other ids, and an id field naming a number (`pid`) repeats too.
    let dir = tempfile::tempdir().unwrap();
    let plot = |id: &str, pid: &str, x: f64| {
        feature(
            id,
            &format!(r#"{{"land_use":"residential","pid":{pid}}}"#),
            &square(111.30 + x, 30.70, 0.0005),
        )
    };
    let features = vec![
        plot("7", "1", 0.000),
        plot("07", "2", 0.001),
        plot("7.0", "3", 0.002),
        plot("7", "1", 0.003),
        plot("1048577", "\"x\"", 0.004),
        plot("1048577", "\"x\"", 0.005),
    ];
    let file = dir.path().join("ids.geojson");
    std::fs::write(&file, collection(None, &features)).unwrap();
    let duplicates = |extra: &[&str]| {
        let out_dir = dir.path().join(format!("out{}", extra.len()));
        let mut args = extra.to_vec();
        args.push(file.to_str().unwrap());
        let out = audit_demo(&out_dir, &args);
        assert_eq!(code(&out), 1, "{}", stderr(&out));
        let diags = std::fs::read_to_string(out_dir.join("diagnostics.csv")).unwrap();
        diags
            .lines()
            .filter(|l| l.contains("duplicate id"))
            .map(|l| {
                let f: Vec<&str> = l.split(',').collect();
                (
                    f[2].to_owned(),
                    f[3].to_owned(),
                    l.contains("also feature #0"),
                )
            })
            .collect::<Vec<_>>()
    };
    assert_eq!(
        duplicates(&[]),
        [
            ("3".to_owned(), "7".to_owned(), true),
            ("5".to_owned(), "1048577".to_owned(), false),
        ]
    );
    assert_eq!(
        duplicates(&["--id-field", "pid"]),
        [
            ("3".to_owned(), "1".to_owned(), true),
            ("5".to_owned(), "x".to_owned(), false),
        ]
    );
}

#[test]
fn a_missing_id_field_names_the_row_not_a_made_up_id() {
    // FlatGeobuf and GeoParquet features are known by their row number unless an id field is
    // named; a named field that a feature lacks rejects it, known by its index alone.
    let dir = tempfile::tempdir().unwrap();
    for file in [
        "tests/data/proposals_4546.fgb",
        "tests/data/proposals_4546.parquet",
    ] {
        let ext = Path::new(file).extension().unwrap().to_str().unwrap();
        let out_dir = dir.path().join(format!("{ext}-rows"));
        let out = audit_demo(&out_dir, &[file]);
        assert_eq!(code(&out), 1, "{file}: {}", stderr(&out));
        let csv = std::fs::read_to_string(out_dir.join("findings.csv")).unwrap();
        for l in csv.lines().skip(1) {
            // code,severity,feature_id,...,feature_index,status: the id is the row number.
            let f: Vec<&str> = l.split(',').collect();
            assert_eq!(f[2], f[f.len() - 2], "{file}: {l}");
        }
        let out_dir = dir.path().join(format!("{ext}-missing"));
        let out = audit_demo(&out_dir, &["--id-field", "nope", file]);
        assert_eq!(code(&out), 2, "{file}: {}", stderr(&out));
        let (diags, rejected) = audit_diagnostics(
            &out_dir,
            "id field 'nope' is missing or not a string/number",
        );
        let s = audit_summary(&out_dir);
        assert_eq!(
            rejected.len() as u64,
            s["read"].as_u64().unwrap(),
            "{diags}"
        );
        assert_eq!(s["rejected"], s["read"], "{file}");
        for (i, l) in rejected.iter().enumerate() {
            assert!(l.starts_with(&format!("error,{file},{i},,")), "{l}");
        }
    }
}

#[test]
fn a_streamed_source_far_from_the_central_meridian_gets_the_warning_check_gives() {
    // Plots near 117.5°E, 6.5° from EPSG:4546's central meridian (111°E): distances there
    // are stretched by about 0.5 %. `check` reads the file whole; `audit` streams it.
    let dir = tempfile::tempdir().unwrap();
    let far = dir.path().join("far.geojson");
    let plots: Vec<String> = (0..5)
        .map(|i| {
            feature(
                &format!("f{i}"),
                r#"{"land_use":"residential"}"#,
                &square(117.5 + f64::from(i) * 0.001, 30.7, 0.0005),
            )
        })
        .collect();
    std::fs::write(&far, collection(None, &plots)).unwrap();
    let (_, json, _) = check_json(&[&far], &[]);
    let from_check = json["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["message"].as_str().unwrap().contains("central meridian"))
        .unwrap_or_else(|| panic!("{}", json["diagnostics"]))["message"]
        .as_str()
        .unwrap()
        .to_owned();
    let out_dir = dir.path().join("out");
    let out = audit_demo(&out_dir, &["--batch-size", "2", far.to_str().unwrap()]);
    // 600 km from the demo's zones: outside the project's area too, and so refused (exit 2),
    // by the audit as by `check`.
    assert_eq!(code(&out), 2, "{}", stderr(&out));
    let diags = std::fs::read_to_string(out_dir.join("diagnostics.csv")).unwrap();
    assert_eq!(
        diags.matches("outside the project's area").count(),
        5,
        "{diags}"
    );
    assert_eq!(audit_summary(&out_dir)["rejected"], 5);
    let warnings: Vec<&str> = diags
        .lines()
        .filter(|l| l.contains("central meridian"))
        .collect();
    assert_eq!(warnings.len(), 1, "{diags}");
    assert!(warnings[0].contains(&from_check), "{diags}\n{from_check}");
    assert!(
        audit_summary(&out_dir)["diagnostics"]["warnings"]
            .as_u64()
            .unwrap()
            >= 1
    );

    // The demo, inside its zone, gets none.
    let out_dir = dir.path().join("demo");
    audit_demo(&out_dir, &["data/yichang/proposals.geojson"]);
    let diags = std::fs::read_to_string(out_dir.join("diagnostics.csv")).unwrap();
    assert!(!diags.contains("central meridian"), "{diags}");
}

/// `report.html`: self-contained, a bar per rule with findings, the districts by name in
/// rank order, and every worst feature linked to its evidence.
#[test]
fn the_audit_report_is_a_page_with_charts_districts_and_evidence() {
    let dir = tempfile::tempdir().unwrap();
    let out = ironrule(&[
        "audit",
        "-p",
        "data/yichang/ironrule.toml",
        "-o",
        dir.path().to_str().unwrap(),
        "--quiet",
        demo_proposals().to_str().unwrap(),
    ]);
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    let html = std::fs::read_to_string(dir.path().join("report.html")).unwrap();
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("summary.json")).unwrap())
            .unwrap();
    // Nothing from the network: the only URL is SVG's namespace.
    assert_eq!(html.matches("https://").count(), 0);
    assert_eq!(
        html.matches("http://").count(),
        html.matches("http://www.w3.org/2000/svg").count()
    );
    assert!(!html.contains("src=") && !html.contains("<link"));
    // One bar per rule with findings, each with its count.
    let rules = summary["by_rule"].as_object().unwrap();
    let with_findings: Vec<(&String, u64)> = rules
        .iter()
        .filter(|(_, v)| v["findings"].as_u64().unwrap_or(0) > 0)
        .map(|(k, v)| (k, v["findings"].as_u64().unwrap()))
        .collect();
    let chart = &html[html.find(r#"id="by-rule""#).unwrap()..];
    let chart = &chart[..chart.find("</svg>").unwrap()];
    assert_eq!(chart.matches(r#"class="bar""#).count(), with_findings.len());
    for (code, n) in &with_findings {
        assert!(
            chart.contains(&format!(r#"data-key="{code}" data-value="{n}""#)),
            "{code}"
        );
    }
    // Districts by name, most findings first, agreeing with summary.json.
    let names = summary["by_district"]["names"].as_object().unwrap();
    assert_eq!(names["D-XL"], "西陵 Xiling (illustrative)");
    let table = &html[html.find(r#"id="districts""#).unwrap()..];
    let table = &table[..table.find("</table>").unwrap()];
    let mut totals: Vec<(u64, &String)> = summary["by_district"]["districts"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(d, rules)| {
            let n = rules
                .as_object()
                .unwrap()
                .values()
                .map(|v| v.as_u64().unwrap())
                .sum();
            (n, d)
        })
        .collect();
    totals.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(b.1)));
    let mut last = 0;
    for (_, d) in &totals {
        let at = table
            .find(&format!("({d})"))
            .unwrap_or_else(|| panic!("{d} missing"));
        assert!(at > last, "{d} out of order");
        last = at;
        assert!(table.contains(names[*d].as_str().unwrap()));
    }
    // The worst features, each linked to its evidence, which quotes its findings.csv rows.
    let links = html.matches(r##"<a href="#w"##).count();
    assert!(links > 0 && links <= 20, "{links}");
    for i in 1..=links {
        assert!(
            html.contains(&format!(r#"id="w{i}""#)),
            "no evidence for #w{i}"
        );
    }
    let csv = std::fs::read_to_string(dir.path().join("findings.csv")).unwrap();
    let worst_id = {
        let at = html.find(r##"<a href="#w1">"##).unwrap() + r##"<a href="#w1">"##.len();
        html[at..at + html[at..].find('<').unwrap()].to_owned()
    };
    let rows = csv
        .lines()
        .filter(|l| l.split(',').nth(2) == Some(worst_id.as_str()))
        .count();
    let evidence = &html[html.find(r#"id="w1""#).unwrap()..];
    let evidence = &evidence[..evidence.find("</table>").unwrap()];
    assert_eq!(
        evidence.matches("<tr>").count() - 1,
        rows,
        "{worst_id}'s rows"
    );
    // The density map counts every finding once.
    let cells: u64 = html
        .split(r#"class="cell" data-n=""#)
        .skip(1)
        .map(|s| s[..s.find('"').unwrap()].parse::<u64>().unwrap())
        .sum();
    assert_eq!(cells, summary["findings"].as_u64().unwrap());
}
