//! Other formats through GDAL (`gdal` feature): the demo proposals converted by `ogr2ogr`
//! (Debian's gdal-bin) into GeoPackage and Shapefile, in other CRSs, give the findings the
//! GeoJSON gives; a GBK-encoded Shapefile keeps its Chinese names.

use crate::common::*;
use std::process::Command;

fn ogr2ogr(args: &[&str]) {
    let out = Command::new("ogr2ogr")
        .args(args)
        .output()
        .expect("ogr2ogr (Debian gdal-bin) is installed");
    assert!(
        out.status.success(),
        "ogr2ogr {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn summary(json: &serde_json::Value) -> Vec<(String, String, i64)> {
    json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            let name = f["feature"]["name"].as_str().unwrap_or("").to_owned();
            // Values to the millimetre (mm²): the formats store the same coordinates.
            (
                name,
                f["code"].as_str().unwrap().to_owned(),
                (f["measure"]["value"].as_f64().unwrap() * 1000.0).round() as i64,
            )
        })
        .collect()
}

#[test]
fn geopackage_and_shapefile_give_the_geojson_findings() {
    let dir = tempfile::tempdir().unwrap();
    let (_, base, _) = check_json(&[&demo_proposals()], &["--id-field", "name"]);
    let base = summary(&base);
    let src = demo_proposals();
    let src = src.to_str().unwrap();
    let gpkg = dir.path().join("proposals.gpkg");
    ogr2ogr(&[
        "-f",
        "GPKG",
        gpkg.to_str().unwrap(),
        src,
        "-nln",
        "proposals",
    ]);
    let shp = dir.path().join("proposals_4546.shp");
    // Points, lines and polygons cannot share a Shapefile: keep the polygons.
    ogr2ogr(&[
        "-f",
        "ESRI Shapefile",
        shp.to_str().unwrap(),
        src,
        "-t_srs",
        "EPSG:4546",
        "-where",
        "OGR_GEOMETRY IN ('POLYGON', 'MULTIPOLYGON')",
        "-lco",
        "ENCODING=UTF-8",
    ]);
    let (code, json, err) = check_json(&[&gpkg], &["--id-field", "name"]);
    assert_eq!(code, 1, "{err}");
    assert_eq!(summary(&json), base, "GeoPackage");
    let (_, json, err) = check_json(&[&shp], &["--id-field", "name"]);
    let mut polygons: Vec<_> = base
        .iter()
        .filter(|(n, _, _)| {
            !n.contains("步道") && !n.contains("道路") && !n.contains("铁塔") && !n.contains("便道")
        })
        .cloned()
        .collect();
    // The trap this pins: DBF field names are cut to 10 characters, so `safety_upgrade`
    // arrives as `safety_upg`. The Yichang dictionary lists the cut name as an alias, so the
    // safety-rebuild exception still applies and the tailings pond rebuild (P22) is clean.
    let p22 = got_p22(&json);
    assert!(p22.is_empty(), "P22 from the Shapefile: {p22:?}");
    polygons.sort();
    let mut got = summary(&json);
    got.sort();
    assert_eq!(got.len(), polygons.len(), "{err}");
    for (a, b) in got.iter().zip(&polygons) {
        assert_eq!((&a.0, &a.1), (&b.0, &b.1));
        // Shapefile → EPSG:4546 reprojects through PROJ: metres agree to 1 mm (areas to 1 mm² per m of edge).
        assert!((a.2 - b.2).abs() <= 1 + b.2 / 1_000_000, "{a:?} vs {b:?}");
    }
}

fn got_p22(json: &serde_json::Value) -> Vec<(String, String, i64)> {
    summary(json)
        .into_iter()
        .filter(|(n, c, _)| n.contains("尾矿库安全改造") && c == "YC102")
        .collect()
}

#[test]
fn gbk_shapefile_names_come_through() {
    let dir = tempfile::tempdir().unwrap();
    let shp = dir.path().join("gbk.shp");
    let src = demo_proposals();
    ogr2ogr(&[
        "-f",
        "ESRI Shapefile",
        shp.to_str().unwrap(),
        src.to_str().unwrap(),
        "-where",
        "OGR_GEOMETRY = 'POLYGON'",
        "-lco",
        "ENCODING=GBK",
    ]);
    let cpg = std::fs::read_to_string(dir.path().join("gbk.cpg")).unwrap();
    assert!(
        cpg.contains("936") || cpg.to_uppercase().contains("GBK"),
        "{cpg}"
    );
    let dbf = std::fs::read(dir.path().join("gbk.dbf")).unwrap();
    assert!(
        !String::from_utf8_lossy(&dbf).contains("猇亭"),
        "the DBF really is GBK, not UTF-8"
    );
    let project = demo_project();
    let out = ironrule(&[
        "check",
        "-p",
        project.to_str().unwrap(),
        shp.to_str().unwrap(),
    ]);
    assert!(
        stdout(&out).contains("猇亭化工新材料项目"),
        "{}",
        stdout(&out)
    );
}

#[test]
fn geopackage_findings_layer_opens_in_ogrinfo() {
    let dir = tempfile::tempdir().unwrap();
    let gpkg = dir.path().join("findings.gpkg");
    let out = check_demo(&["-f", "gpkg", "-o", gpkg.to_str().unwrap()]);
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    let info = Command::new("ogrinfo")
        .args(["-ro", "-al", "-so", gpkg.to_str().unwrap()])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&info.stdout);
    assert!(text.contains("Layer name: ironrule_findings"), "{text}");
    assert!(text.contains("Feature Count: 67"), "{text}");
    assert!(
        text.contains("CGCS2000") && text.contains("4546"),
        "in the working CRS: {text}"
    );
    for field in [
        "code: String",
        "value: Real",
        "limit: Real",
        "feature_index: Integer64",
        "message: String",
    ] {
        assert!(text.contains(field), "{field} in {text}");
    }
    // The overlap area is in the layer's attributes and its geometry agrees.
    let sql = Command::new("ogrinfo")
        .args(["-ro", "-q", gpkg.to_str().unwrap(), "-dialect", "SQLite", "-sql", "SELECT code, value, ST_Area(geom) AS area FROM ironrule_findings WHERE feature_id = 'P06' AND code = 'YC201'"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&sql.stdout);
    let area: f64 = text
        .lines()
        .find_map(|l| l.trim().strip_prefix("area (Real) = "))
        .expect("area")
        .trim()
        .parse()
        .unwrap();
    assert!((area - 60_000.0).abs() < 0.01, "{text}");
}

#[test]
fn multi_layer_sources_need_a_layer_name() {
    let dir = tempfile::tempdir().unwrap();
    let gpkg = dir.path().join("two.gpkg");
    let src = demo_proposals();
    ogr2ogr(&[
        "-f",
        "GPKG",
        gpkg.to_str().unwrap(),
        src.to_str().unwrap(),
        "-nln",
        "all_projects",
    ]);
    ogr2ogr(&[
        "-update",
        gpkg.to_str().unwrap(),
        src.to_str().unwrap(),
        "-nln",
        "p01_only",
        "-where",
        "id = 'P01'",
    ]);
    let (code, json, _) = check_json(&[&gpkg], &[]);
    assert_eq!(code, 2);
    let msg = first_message(&json);
    assert!(
        msg.contains("2 layers") && msg.contains("all_projects") && msg.contains("p01_only"),
        "{msg}"
    );
    let (code, json, _) = check_json(&[&gpkg], &["--layer", "p01_only"]);
    assert_eq!(code, 1);
    assert_eq!(json["summary"]["read"], 1);
}

#[test]
fn dxf_closed_polylines_are_plots_and_layer_picks_the_cad_layer() {
    let dir = tempfile::tempdir().unwrap();
    let dxf = dir.path().join("drawing.dxf");
    let src = demo_proposals();
    // Plot outlines drawn as closed polylines, P06 and P08 on CAD layer PLOTS, the rest on OTHER.
    ogr2ogr(&[
        "-f", "DXF", dxf.to_str().unwrap(), src.to_str().unwrap(), "-t_srs", "EPSG:4546", "-nlt", "LINESTRING",
        "-dialect", "SQLite", "-sql",
        "SELECT ST_ExteriorRing(geometry) AS geometry, CASE WHEN id IN ('P06', 'P08') THEN 'PLOTS' ELSE 'OTHER' END AS Layer FROM \"yichang-demo-proposals\" WHERE ST_GeometryType(geometry) = 'POLYGON'",
    ]);
    // DXF carries no CRS: it must be declared.
    let (code, json, _) = check_json(&[&dxf], &["--layer", "PLOTS"]);
    assert_eq!(code, 2, "{json}");
    let (code, json, err) = check_json(&[&dxf], &["--layer", "PLOTS", "--assume-crs", "EPSG:4546"]);
    assert_eq!(code, 1, "{err}");
    assert_eq!(json["summary"]["read"], 2, "only the PLOTS layer");
    let findings = json["findings"].as_array().unwrap();
    assert!(
        findings.iter().any(|f| f["code"] == "YC201"
            && (f["measure"]["value"].as_f64().unwrap() - 60_000.0).abs() < 0.01),
        "closed polyline read as a 300 × 200 m plot: {json}"
    );
    assert!(
        findings
            .iter()
            .any(|f| f["code"] == "YC202" && f["measure"]["kind"] == "overlap_area"),
        "{json}"
    );
}

/// (feature id, code, zone, value) for every finding, sorted: formats may reorder features
/// (FlatGeobuf writes them in spatial-index order).
fn by_id(json: &serde_json::Value) -> Vec<(String, String, String, f64)> {
    let mut v: Vec<_> = json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["feature"]["id"].as_str().unwrap_or("").to_owned(),
                f["code"].as_str().unwrap().to_owned(),
                f["zone"]["id"].to_string(),
                f["measure"]["value"].as_f64().unwrap(),
            )
        })
        .collect();
    v.sort_by(|a, b| (&a.0, &a.1, &a.2).cmp(&(&b.0, &b.1, &b.2)));
    v
}

#[test]
fn kml_gml_flatgeobuf_csv_and_geopackage_in_four_crss_give_the_same_findings() {
    let dir = tempfile::tempdir().unwrap();
    let src = demo_proposals();
    // GeoJSON feature ids become an `id` attribute in the other formats.
    let (_, base, _) = check_json(&[&src], &[]);
    let base = by_id(&base);
    assert_eq!(base.len(), 67);
    // (file, ogr2ogr arguments, extra check arguments)
    let cases: [(&str, Vec<&str>, Vec<&str>); 5] = [
        ("p.kml", vec!["-f", "KML"], vec![]),
        (
            "p_4490.gml",
            vec!["-f", "GML", "-t_srs", "EPSG:4490"],
            vec![],
        ),
        (
            "p_4525.fgb",
            vec!["-f", "FlatGeobuf", "-t_srs", "EPSG:4525"],
            vec![],
        ),
        // CSV keeps no CRS: it is declared; CREATE_CSVT keeps the attribute types.
        (
            "p_4546.csv",
            vec![
                "-f",
                "CSV",
                "-t_srs",
                "EPSG:4546",
                "-lco",
                "GEOMETRY=AS_WKT",
                "-lco",
                "CREATE_CSVT=YES",
            ],
            vec!["--assume-crs", "EPSG:4546"],
        ),
        (
            "p_4326.gpkg",
            vec!["-f", "GPKG", "-t_srs", "EPSG:4326"],
            vec![],
        ),
    ];
    for (file, convert, extra) in cases {
        let out = dir.path().join(file);
        let mut args = convert.clone();
        args.push(out.to_str().unwrap());
        args.push(src.to_str().unwrap());
        ogr2ogr(&args);
        let mut check = vec!["--id-field", "id"];
        check.extend(extra);
        let (code, json, err) = check_json(&[&out], &check);
        assert_eq!(code, 1, "{file}: {err}");
        let got = by_id(&json);
        assert_eq!(got.len(), base.len(), "{file}: {got:?}");
        for (a, b) in base.iter().zip(&got) {
            assert_eq!((&a.0, &a.1, &a.2), (&b.0, &b.1, &b.2), "{file}");
            // Each format stores the coordinates it was given, reprojected by PROJ in ogr2ogr:
            // metres and m² agree to 1e-6 relative.
            assert!(
                (a.3 - b.3).abs() <= 1e-6 * a.3.abs().max(1.0),
                "{file} {} {}: {} vs {}",
                a.0,
                a.1,
                a.3,
                b.3
            );
        }
    }
}

#[test]
fn an_audit_of_a_gdal_source_reconciles_its_counts() {
    // A GeoPackage with one good plot and one bowtie: read whole through GDAL, audited in
    // batches, read = checked + rejected.
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("two.geojson");
    std::fs::write(
        &src,
        r#"{"type":"FeatureCollection","features":[
{"type":"Feature","properties":{"pid":"ok","land_use":"residential"},"geometry":{"type":"Polygon","coordinates":[[[111.30,30.70],[111.301,30.70],[111.301,30.701],[111.30,30.701],[111.30,30.70]]]}},
{"type":"Feature","properties":{"pid":"bowtie","land_use":"residential"},"geometry":{"type":"Polygon","coordinates":[[[111.30,30.70],[111.301,30.701],[111.301,30.70],[111.30,30.701],[111.30,30.70]]]}}]}"#,
    )
    .unwrap();
    let gpkg = dir.path().join("two.gpkg");
    ogr2ogr(&["-f", "GPKG", gpkg.to_str().unwrap(), src.to_str().unwrap()]);
    let out_dir = dir.path().join("out");
    let out = audit_demo(&out_dir, &["--id-field", "pid", gpkg.to_str().unwrap()]);
    assert_eq!(code(&out), 2, "{}", stderr(&out));
    let s = audit_summary(&out_dir);
    assert_eq!(s["read"], 2);
    assert_eq!(s["checked"], 1);
    assert_eq!(s["rejected"], 1);
    let diags = std::fs::read_to_string(out_dir.join("diagnostics.csv")).unwrap();
    assert!(
        diags.contains("bowtie") && diags.contains("self-intersection"),
        "{diags}"
    );
}

#[test]
fn native_readers_give_the_features_gdal_gives() {
    // The same files through GDAL and through ironrule's own readers: same ids, same
    // attributes (numbers compared as numbers), same coordinates.
    use ironrule::io::{self, ReadOptions};
    let crs = ironrule::crs::Crs::parse("EPSG:4546").unwrap();
    for file in [
        "tests/data/proposals_polygons_gbk.shp",
        "tests/data/proposals_4546.fgb",
        "tests/data/proposals_4546.gpkg",
    ] {
        let path = root().join(file);
        let native = io::read(&path, ReadOptions::new(&crs)).unwrap();
        let gdal = io::gdal::read(&path, ReadOptions::new(&crs)).unwrap();
        assert_eq!(native.read, gdal.read, "{file}");
        assert_eq!(native.crs.name, gdal.crs.name, "{file}");
        for (a, b) in native.features.iter().zip(&gdal.features) {
            assert_eq!(a.fref, b.fref, "{file}");
            assert_eq!(a.geometry, b.geometry, "{file} {:?}", a.fref);
            assert_eq!(a.properties.len(), b.properties.len(), "{file}");
            for (k, v) in &a.properties {
                let w = &b.properties[k];
                // GDAL 3.6 reads a dBase logical as the text T/F/? (3.7+ as a boolean);
                // the native reader gives the boolean, so `discharges = TRUE` matches.
                let gdal_logical = match w.as_str() {
                    Some("T") => Some(serde_json::Value::Bool(true)),
                    Some("F") => Some(serde_json::Value::Bool(false)),
                    Some("?") => Some(serde_json::Value::Null),
                    _ => None,
                };
                match (v.as_f64(), w.as_f64(), gdal_logical) {
                    (Some(x), Some(y), _) => assert_eq!(x, y, "{file} {k}"),
                    (_, _, Some(b)) if file.ends_with(".shp") => assert_eq!(v, &b, "{file} {k}"),
                    _ => assert_eq!(v, w, "{file} {k}"),
                }
            }
        }
    }
}

#[test]
fn an_esri_file_geodatabase_gives_the_geojson_findings() {
    // OpenFileGDB (GDAL 3.6 writes it), the polygons only (one geometry type per feature
    // class), in CGCS2000 geographic. Unlike a Shapefile, long field names survive.
    let dir = tempfile::tempdir().unwrap();
    let gdb = dir.path().join("proposals.gdb");
    ogr2ogr(&[
        "-f",
        "OpenFileGDB",
        gdb.to_str().unwrap(),
        demo_proposals().to_str().unwrap(),
        "-where",
        "OGR_GEOMETRY = 'POLYGON'",
        "-nlt",
        "MULTIPOLYGON",
        "-nln",
        "proposals",
        "-t_srs",
        "EPSG:4490",
    ]);
    let (_, base, _) = check_json(&[&demo_proposals()], &["--id-field", "name"]);
    let mut want: Vec<_> = summary(&base)
        .into_iter()
        .filter(|(n, _, _)| {
            !n.contains("步道") && !n.contains("道路") && !n.contains("铁塔") && !n.contains("便道")
        })
        .collect();
    want.sort();
    let (code, json, err) = check_json(&[&gdb], &["--id-field", "name"]);
    assert_eq!(code, 1, "{err}");
    assert_eq!(json["summary"]["read"], 34);
    let mut got = summary(&json);
    got.sort();
    assert_eq!(got.len(), want.len(), "{got:?}");
    for (a, b) in got.iter().zip(&want) {
        assert_eq!((&a.0, &a.1), (&b.0, &b.1));
        // FileGDB snaps EPSG:4490 coordinates to its 1e-9° grid (about 0.1 mm): a 40 m plot's
        // area moves by a few mm², so values agree to 1e-5 relative (and 1 mm).
        assert!((a.2 - b.2).abs() <= 1 + b.2 / 100_000, "{a:?} vs {b:?}");
    }
}

/// The PostGIS database the `PG:` test writes to, as a libpq connection string, from
/// IRONRULE_TEST_PG: `.ci/run` starts `tests/postgis/cluster.sh` and sets it, and sets
/// IRONRULE_REQUIRE_PG so that a CI run without the server fails instead of skipping.
fn postgis() -> Option<String> {
    match std::env::var("IRONRULE_TEST_PG") {
        Ok(conn) if !conn.is_empty() => Some(conn),
        _ if std::env::var_os("IRONRULE_REQUIRE_PG").is_some() => {
            panic!("IRONRULE_REQUIRE_PG is set but IRONRULE_TEST_PG is not: start tests/postgis/cluster.sh and export its connection string")
        }
        _ => {
            eprintln!("skipped: set IRONRULE_TEST_PG=\"$(tests/postgis/cluster.sh start)\" to run the PostGIS test");
            None
        }
    }
}

/// Drops the test's tables when it ends, passed or not.
struct DropTables(String, Vec<String>);

impl Drop for DropTables {
    fn drop(&mut self) {
        for table in &self.1 {
            let _ = Command::new("ogrinfo")
                .args([&self.0, "-sql", &format!("DROP TABLE IF EXISTS {table}")])
                .output();
        }
    }
}

#[test]
fn postgis_tables_give_the_geojson_findings_as_proposals_and_as_zones() {
    let Some(conn) = postgis() else { return };
    let pg = format!("PG:{conn}");
    // Table names unique to this run: parallel runs share the server.
    let suffix = std::process::id();
    let proposals = format!("proposals_4546_{suffix}");
    let red_line = format!("red_line_4490_{suffix}");
    let yangtze = format!("yangtze_4546_{suffix}");
    let _drop = DropTables(
        pg.clone(),
        vec![proposals.clone(), red_line.clone(), yangtze.clone()],
    );
    let src = demo_proposals();
    // The proposals in CGCS2000 Gauss-Kruger (4546); two zone layers, one in CGCS2000
    // geographic (4490), so the zones are reprojected on reading too.
    ogr2ogr(&[
        "-f",
        "PostgreSQL",
        &pg,
        src.to_str().unwrap(),
        "-nln",
        &proposals,
        "-t_srs",
        "EPSG:4546",
        "-overwrite",
    ]);
    let zones = root().join("data/yichang/zones");
    for (table, file, crs) in [
        (&red_line, "red_line.geojson", "EPSG:4490"),
        (&yangtze, "yangtze.geojson", "EPSG:4546"),
    ] {
        ogr2ogr(&[
            "-f",
            "PostgreSQL",
            &pg,
            zones.join(file).to_str().unwrap(),
            "-nln",
            table,
            "-t_srs",
            crs,
            "-overwrite",
        ]);
    }

    let (_, base, _) = check_json(&[&src], &[]);
    let base = by_id(&base);
    let same = |what: &str, json: &serde_json::Value| {
        let got = by_id(json);
        assert_eq!(got.len(), base.len(), "{what}: {got:?}");
        for (a, b) in base.iter().zip(&got) {
            assert_eq!((&a.0, &a.1, &a.2), (&b.0, &b.1, &b.2), "{what}");
            assert!(
                (a.3 - b.3).abs() <= 1e-6 * a.3.abs().max(1.0),
                "{what} {} {}: {} vs {}",
                a.0,
                a.1,
                a.3,
                b.3
            );
        }
    };

    // Proposals from a table: the GeoJSON ids became an `id` column.
    let pg_source = std::path::PathBuf::from(&pg);
    let (status, json, err) =
        check_json(&[&pg_source], &["--layer", &proposals, "--id-field", "id"]);
    assert_eq!(status, 1, "{err}");
    assert_eq!(json["summary"]["read"], 38, "{err}");
    same("proposals from PostGIS", &json);

    // Zone layers from tables: a copy of the demo project with red_line and yangtze in PostGIS.
    let dir = tempfile::tempdir().unwrap();
    let mut project = demo_project_text();
    let demo_dir = root().join("data/yichang");
    for (layer, table) in [("red_line", &red_line), ("yangtze", &yangtze)] {
        let file = format!("path = \"{}/zones/{layer}.geojson\"", demo_dir.display());
        assert!(project.contains(&file), "{layer}");
        project = project.replace(
            &file,
            &format!("path = {pg:?}\nsource_layer = {table:?}\nid_field = \"id\""),
        );
    }
    let project_file = dir.path().join("ironrule.toml");
    std::fs::write(&project_file, project).unwrap();
    let out = ironrule(&[
        "check",
        "-p",
        project_file.to_str().unwrap(),
        "--format",
        "json",
        src.to_str().unwrap(),
    ]);
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    same("zones from PostGIS", &json);

    // An audit of the table reconciles its counts, and a wrong table name is an input error
    // that lists the tables there are.
    let out_dir = dir.path().join("audit");
    let out = audit_demo(&out_dir, &["--layer", &proposals, &pg]);
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    let s = audit_summary(&out_dir);
    assert_eq!(
        (&s["read"], &s["checked"], &s["rejected"]),
        (&38.into(), &38.into(), &0.into())
    );
    let out = ironrule(&[
        "check",
        "-p",
        "data/yichang/ironrule.toml",
        "--layer",
        "no_such_table",
        &pg,
    ]);
    assert_eq!(code(&out), 2);
    assert!(
        stdout(&out).contains("no layer 'no_such_table'") && stdout(&out).contains(&proposals),
        "{}",
        stdout(&out)
    );
    // A password in the connection string never reaches a report.
    let secret = format!("{pg} password=not-printed");
    let out = ironrule(&[
        "check",
        "-p",
        "data/yichang/ironrule.toml",
        "--layer",
        &proposals,
        "-f",
        "sarif",
        &secret,
    ]);
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    assert!(stdout(&out).contains("password=***") && !stdout(&out).contains("not-printed"));
    let out_dir = dir.path().join("audit-secret");
    let out = audit_demo(&out_dir, &["--layer", &proposals, &secret]);
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    for file in ["summary.json", "findings.csv", "diagnostics.csv"] {
        let text = std::fs::read_to_string(out_dir.join(file)).unwrap();
        assert!(!text.contains("not-printed"), "{file}: {text}");
    }
    assert!(!stderr(&out).contains("not-printed"), "{}", stderr(&out));
}

/// Xian 1980 data: PROJ 9.1 has no published Xian 1980 → CGCS2000 transformation and bridges
/// the datums with a "ballpark" offset. ironrule reads it, and says so on every source; a
/// project that lists its datums refuses it.
#[cfg(feature = "proj")]
#[test]
fn xian_1980_data_carries_the_ballpark_warning_and_a_datum_list_refuses_it() {
    let dir = tempfile::tempdir().unwrap();
    let src = demo_proposals();
    // Xian 1980 / 3-degree Gauss-Kruger CM 111E.
    let gpkg = dir.path().join("p_2382.gpkg");
    let fgb = dir.path().join("p_2382.fgb");
    for (out, format) in [(&gpkg, "GPKG"), (&fgb, "FlatGeobuf")] {
        ogr2ogr(&[
            "-f",
            format,
            "-t_srs",
            "EPSG:2382",
            out.to_str().unwrap(),
            src.to_str().unwrap(),
        ]);
    }
    let (status, json, err) = check_json(&[&gpkg], &["--id-field", "id"]);
    assert_eq!(status, 1, "{err}");
    let warning = json["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["message"].as_str().unwrap_or("").contains("ballpark"))
        .unwrap_or_else(|| panic!("no ballpark warning: {}", json["diagnostics"]));
    assert_eq!(warning["level"], "warning", "{warning}");
    assert!(
        warning["message"]
            .as_str()
            .unwrap()
            .contains("EPSG:2382 (Xian 1980)"),
        "{warning}"
    );
    assert_eq!(json["summary"]["checked"], 38);

    // The streamed audit says it too (FlatGeobuf is read in batches).
    let out_dir = dir.path().join("audit");
    let out = audit_demo(&out_dir, &[fgb.to_str().unwrap()]);
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    let diags = std::fs::read_to_string(out_dir.join("diagnostics.csv")).unwrap();
    assert!(
        diags.contains("ballpark") && diags.contains("Xian 1980"),
        "{diags}"
    );

    // A project that accepts CGCS2000 and WGS 84 only refuses it.
    let project = dir.path().join("ironrule.toml");
    std::fs::write(
        &project,
        demo_project_text().replace(
            "crs = \"EPSG:4546\"",
            "crs = \"EPSG:4546\"\ndatums = [\"CGCS2000\", \"WGS 84\"]",
        ),
    )
    .unwrap();
    let out = ironrule(&[
        "check",
        "-p",
        project.to_str().unwrap(),
        gpkg.to_str().unwrap(),
    ]);
    assert_eq!(code(&out), 2);
    assert!(
        stdout(&out).contains("its CRS EPSG:2382 is on the Xian 1980 datum"),
        "{}",
        stdout(&out)
    );
}
