//! Terrain rules end to end: a project with a DEM, slope and elevation rules, proposals that
//! fire, pass, and cannot be decided (beyond the DEM, on nodata, over a corrupt tile); an
//! SRTM tile read strip by strip; DEM errors at load that name the file.

use super::common::*;
use ironrule::dem::tiff::{write, Sample, WriteOptions};
use std::path::{Path, PathBuf};

/// The DEM's corner (EPSG:4546) and cell.
const X0: f64 = 530_000.0;
const Y1: f64 = 3_400_000.0;
const CELL: f64 = 10.0;

/// A 200 × 100 DEM of 10 m cells: flat at 50 m west of x = 1000 m, then a plane rising east
/// at 30°; a nodata block of 10 × 10 cells at columns 20–29, rows 40–49.
fn dem(dir: &Path, tile: u32) -> PathBuf {
    let (w, h) = (200u32, 100u32);
    let rise = 30f64.to_radians().tan() * CELL;
    let mut z = Vec::new();
    for r in 0..h {
        for c in 0..w {
            let v = if (20..30).contains(&c) && (40..50).contains(&r) {
                -9999.0
            } else if c < 100 {
                50.0
            } else {
                50.0 + f64::from(c - 99) * rise
            };
            z.push(v);
        }
    }
    let p = dir.join("dem.tif");
    write(
        &p,
        w,
        h,
        &z,
        [X0, CELL, 0.0, Y1, 0.0, -CELL],
        WriteOptions {
            sample: Sample::F32,
            tile,
            epsg: 4546,
            projected: true,
            nodata: Some(-9999.0),
        },
    )
    .unwrap();
    p
}

fn project(dir: &Path, rules: &[(&str, &str)]) -> PathBuf {
    let pack = dir.join("pack");
    std::fs::create_dir_all(&pack).unwrap();
    std::fs::write(
        pack.join("pack.toml"),
        "id = \"t\"\ntitle = \"t\"\njurisdiction = \"t\"\nversion = \"1\"\ncode_prefix = \"T\"\n",
    )
    .unwrap();
    for (code, test) in rules {
        let d = pack.join(code);
        std::fs::create_dir_all(&d).unwrap();
        std::fs::write(
            d.join("rule.toml"),
            format!(
                "code = \"{code}\"\nname = \"r\"\nsummary = \"s\"\nseverity = \"prohibited\"\nmessage = \"{{value}} {{unit}}\"\n[citation]\ninstrument = \"i\"\n[test]\n{test}\n"
            ),
        )
        .unwrap();
    }
    let zone = square(X0 + 1500.0, Y1 - 600.0, 200.0);
    std::fs::write(
        dir.join("zone.geojson"),
        collection(
            Some("EPSG:4546"),
            &[feature("Z1", r#"{"max_top_m": 120}"#, &zone)],
        ),
    )
    .unwrap();
    let p = dir.join("ironrule.toml");
    std::fs::write(
        &p,
        "crs = \"EPSG:4546\"\nrules = [\"pack\"]\narea_margin_m = 5000\n[[layer]]\nname = \"view\"\npath = \"zone.geojson\"\n[[dem]]\nname = \"d\"\npath = \"dem.tif\"\ncache_mb = 1\n",
    )
    .unwrap();
    p
}

const SLOPE: &str = "kind = \"slope\"\ndem = \"d\"\nmax_slope_deg = 25\n";
const TOP: &str =
    "kind = \"elevation\"\ndem = \"d\"\nlayer = \"view\"\nlimit_field = \"max_top_m\"\n";

fn check(project: &Path, proposals: &[String]) -> (i32, serde_json::Value) {
    let input = project.parent().unwrap().join("p.geojson");
    std::fs::write(&input, collection(Some("EPSG:4546"), proposals)).unwrap();
    let out = ironrule(&[
        "check",
        "-p",
        project.to_str().unwrap(),
        "--format",
        "json",
        input.to_str().unwrap(),
    ]);
    let json = serde_json::from_str(&stdout(&out)).unwrap_or_else(|e| {
        panic!("{e}: {} {}", stdout(&out), stderr(&out));
    });
    (code(&out), json)
}

fn finding<'a>(json: &'a serde_json::Value, id: &str, code: &str) -> Option<&'a serde_json::Value> {
    json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["feature"]["id"] == id && f["code"] == code)
}

#[test]
fn slope_and_elevation_measure_on_the_dem_and_fail_closed_where_it_says_nothing() {
    let dir = tempfile::tempdir().unwrap();
    dem(dir.path(), 32);
    let p = project(dir.path(), &[("T1", SLOPE), ("T2", TOP)]);
    let props = r#"{"height_m": 30}"#;
    let (exit, json) = check(
        &p,
        &[
            // On the 30° plane (x 1500–1600 m), inside the view zone.
            feature("steep", props, &square(X0 + 1500.0, Y1 - 500.0, 100.0)),
            // On the flat west half.
            feature("flat", props, &square(X0 + 300.0, Y1 - 300.0, 100.0)),
            // Over the nodata block only (x 200–300 m, y 400–500 m down).
            feature("hole", props, &square(X0 + 225.0, Y1 - 475.0, 50.0)),
            // Beyond the DEM's east edge (x 2000 m), within the project's area.
            feature("beyond", props, &square(X0 + 2500.0, Y1 - 300.0, 50.0)),
        ],
    );
    assert_eq!(exit, 1);
    let steep = finding(&json, "steep", "T1").expect("the steep plot fires");
    assert_eq!(steep["measure"]["kind"], "steep_share");
    assert_eq!(steep["measure"]["value"], 100.0);
    assert_eq!(steep["measure"]["unit"], "%");
    let t = &steep["terrain"];
    assert_eq!(t["cells"], 100, "{t}");
    assert!(
        (t["steepest_deg"].as_f64().unwrap() - 30.0).abs() < 1e-3,
        "{t}"
    );
    assert!(
        (t["steep_area_m2"].as_f64().unwrap() - 10_000.0).abs() < 1e-6,
        "{t}"
    );
    assert!(finding(&json, "flat", "T1").is_none());
    // The top: the highest ground under the plot (the east column of cells, 50 m + 60 cells
    // up the plane) plus 30 m, against the zone's 120 m.
    let top = finding(&json, "steep", "T2").expect("the top is above 120 m");
    let ground = 50.0 + 60.0 * CELL * 30f64.to_radians().tan();
    let t = &top["terrain"];
    assert!(
        (t["ground_m"].as_f64().unwrap() - ground).abs() < 1e-3,
        "{t}"
    );
    assert!((top["measure"]["value"].as_f64().unwrap() - (ground + 30.0)).abs() < 1e-3);
    assert_eq!(top["measure"]["limit"], 120.0);
    for (id, why) in [("hole", "nodata"), ("beyond", "beyond the DEM")] {
        let f = finding(&json, id, "T1").unwrap_or_else(|| panic!("{id} is undetermined"));
        assert_eq!(f["status"], "undetermined", "{f}");
        let reason = f["undetermined"]["reason"].as_str().unwrap();
        assert!(reason.contains(why) && reason.contains("'d'"), "{reason}");
    }
    // Outside the view zone no elevation limit applies: nothing to decide.
    assert!(finding(&json, "beyond", "T2").is_none());
}

#[test]
fn a_building_without_a_height_is_undetermined_for_the_top() {
    let dir = tempfile::tempdir().unwrap();
    dem(dir.path(), 32);
    let p = project(dir.path(), &[("T2", TOP)]);
    let (exit, json) = check(
        &p,
        &[feature(
            "plot",
            "{}",
            &square(X0 + 1500.0, Y1 - 500.0, 100.0),
        )],
    );
    assert_eq!(exit, 1, "never a silent pass");
    let f = finding(&json, "plot", "T2").unwrap();
    assert_eq!(f["status"], "undetermined");
    assert_eq!(f["undetermined"]["attributes"][0], "height_m");
}

#[test]
fn a_corrupt_tile_under_a_plot_is_undetermined_and_a_corrupt_dem_is_refused_at_load() {
    let dir = tempfile::tempdir().unwrap();
    let path = dem(dir.path(), 16);
    let p = project(dir.path(), &[("T1", SLOPE)]);
    // Overwrite the first tile's compressed bytes (tiles follow the 8-byte header).
    let mut bytes = std::fs::read(&path).unwrap();
    for b in &mut bytes[8..40] {
        *b = 0xff;
    }
    std::fs::write(&path, &bytes).unwrap();
    let (exit, json) = check(
        &p,
        &[
            feature("corner", "{}", &square(X0 + 20.0, Y1 - 60.0, 40.0)),
            feature("elsewhere", "{}", &square(X0 + 1500.0, Y1 - 500.0, 100.0)),
        ],
    );
    assert_eq!(exit, 1);
    let f = finding(&json, "corner", "T1").unwrap();
    assert_eq!(f["status"], "undetermined");
    let reason = f["undetermined"]["reason"].as_str().unwrap();
    assert!(
        reason.contains("tile 0") && reason.contains("Deflate"),
        "{reason}"
    );
    assert_eq!(
        finding(&json, "elsewhere", "T1").unwrap()["status"],
        "active"
    );
    // A file that is not a raster at all: the project does not load (exit 2), naming it.
    std::fs::write(&path, b"not a tiff").unwrap();
    let out = ironrule(&["check", "-p", p.to_str().unwrap(), p.to_str().unwrap()]);
    assert_eq!(code(&out), 2);
    let err = stderr(&out);
    assert!(
        err.contains("dem.tif") && err.contains("DEM 'd'") && err.contains("not a TIFF"),
        "{err}"
    );
    // A missing one likewise.
    std::fs::remove_file(&path).unwrap();
    let out = ironrule(&["dem", "info", "--project", p.to_str().unwrap()]);
    assert_eq!(code(&out), 2);
    assert!(stderr(&out).contains("dem.tif"), "{}", stderr(&out));
}

#[test]
fn rules_must_name_a_dem_the_project_has() {
    let dir = tempfile::tempdir().unwrap();
    dem(dir.path(), 32);
    let p = project(
        dir.path(),
        &[
            (
                "T1",
                "kind = \"slope\"\ndem = \"nowhere\"\nmax_slope_deg = 25\n",
            ),
            (
                "T2",
                "kind = \"slope\"\ndem = \"view\"\nmax_slope_deg = 25\n",
            ),
            ("T3", "kind = \"overlap\"\nlayer = \"d\"\n"),
            ("T4", "kind = \"slope\"\ndem = \"d\"\nmax_slope_deg = 95\n"),
        ],
    );
    let out = ironrule(&["rules", "lint", "--project", p.to_str().unwrap()]);
    let text = format!("{}{}", stdout(&out), stderr(&out));
    assert!(text.contains("unknown DEM 'nowhere'"), "{text}");
    assert!(text.contains("max_slope_deg is an angle"), "{text}");
    let out = ironrule(&["check", "-p", p.to_str().unwrap(), p.to_str().unwrap()]);
    assert_eq!(code(&out), 2);
    let err = stderr(&out);
    assert!(err.contains("unknown DEM 'nowhere'"), "{err}");
    // Fix the first and the last: what remains names a layer as a DEM and a DEM as a layer.
    let fix = |code: &str, test: &str| {
        std::fs::write(
            dir.path().join("pack").join(code).join("rule.toml"),
            format!("code = \"{code}\"\nname = \"r\"\nsummary = \"s\"\nseverity = \"prohibited\"\nmessage = \"m\"\n[citation]\ninstrument = \"i\"\n[test]\n{test}"),
        )
        .unwrap();
    };
    fix("T1", SLOPE);
    fix("T4", SLOPE);
    let out = ironrule(&["check", "-p", p.to_str().unwrap(), p.to_str().unwrap()]);
    assert_eq!(code(&out), 2);
    let err = stderr(&out);
    assert!(
        err.contains("'view' is a zone layer, not a [[dem]]"),
        "{err}"
    );
    assert!(err.contains("'d' is a [[dem]], not a zone layer"), "{err}");
}

#[test]
fn an_srtm_tile_is_read_strip_by_strip_where_footprints_lie() {
    use ironrule::crs::Crs;
    use ironrule::dem::{Dem, DemSpec};
    let dir = tempfile::tempdir().unwrap();
    // A 1″ tile (3601 × 3601, 26 MB): z = (row + col) mod 1000, big-endian Int16.
    let n = 3601usize;
    let mut bytes = Vec::with_capacity(n * n * 2);
    for r in 0..n {
        for c in 0..n {
            let z = ((r + c) % 1000) as i16;
            bytes.extend(z.to_be_bytes());
        }
    }
    let path = dir.path().join("N30E111.hgt");
    std::fs::write(&path, &bytes).unwrap();
    let spec = DemSpec {
        name: "srtm".into(),
        path: path.clone(),
        crs: None,
        title: None,
        cache_mb: None,
    };
    let dem = Dem::open(&spec, &Crs::parse("EPSG:4546").unwrap()).unwrap();
    assert!(dem.geographic());
    // The south-west cell is centred on 30° N 111° E.
    let sw = dem.centre(0, 3600);
    assert!(
        (sw.x - 111.0).abs() < 1e-12 && (sw.y - 30.0).abs() < 1e-12,
        "{sw:?}"
    );
    // A 60 m plot near 111.3° E 30.7° N, given in the working CRS.
    let to_gk =
        ironrule::crs::Transformer::new(&Crs::wgs84(), &Crs::parse("EPSG:4546").unwrap()).unwrap();
    let c = to_gk.coord(geo::Coord { x: 111.3, y: 30.7 }).unwrap();
    let plot =
        geo::Geometry::Polygon(geo::Rect::new((c.x, c.y), (c.x + 60.0, c.y + 60.0)).to_polygon());
    let g = dem.from_working(&plot).unwrap();
    let cells = dem.cells(&g);
    // About 2 × 2 cells of 1″ (31 × 26 m at this latitude) … 3 × 3.
    assert!((4..=9).contains(&cells.inside.len()), "{cells:?}");
    let (cmin, rmin) = cells
        .inside
        .iter()
        .fold((i64::MAX, i64::MAX), |a, &(c, r)| (a.0.min(c), a.1.min(r)));
    let win = dem.window(cmin, rmin, cmin + 3, rmin + 3).unwrap();
    for &(c, r) in &cells.inside {
        assert_eq!(win.at(c, r), ((r + c) % 1000) as f64);
    }
    // The cell holding 111.3° E 30.7° N: column 0.3 × 3600, row 0.3 × 3600 from the top.
    assert!(cells
        .inside
        .iter()
        .any(|&(c, r)| (c - 1080).abs() <= 1 && (r - 1080).abs() <= 1));
    // Only the strips (of 32 rows) the plot lies in were decoded, not the 113 of the file.
    assert!(dem.chunks_decoded() <= 2, "{}", dem.chunks_decoded());
    let (ew, ns) = dem.cell_metres(1080);
    assert!(
        (ew - 26.6).abs() < 0.2 && (ns - 30.8).abs() < 0.2,
        "{ew} × {ns}"
    );
}

#[test]
fn skyline_fires_above_the_ridge_and_not_when_hidden_or_out_of_sight() {
    // A flat plain at 0 m with a wall 100 m high at x 2000–2100 m, 10 m cells, 300 × 100.
    let dir = tempfile::tempdir().unwrap();
    let (w, h) = (300u32, 100u32);
    let z: Vec<f64> = (0..w * h)
        .map(|i| {
            if (200..210).contains(&(i % w)) {
                100.0
            } else {
                0.0
            }
        })
        .collect();
    write(
        &dir.path().join("dem.tif"),
        w,
        h,
        &z,
        [X0, CELL, 0.0, Y1, 0.0, -CELL],
        WriteOptions {
            sample: Sample::F32,
            tile: 64,
            epsg: 4546,
            projected: true,
            nodata: None,
        },
    )
    .unwrap();
    let p = project(
        dir.path(),
        &[(
            "T5",
            "kind = \"skyline\"\ndem = \"d\"\nlayer = \"view\"\nmax_distance_m = 2800\nazimuth_from_field = \"from\"\nazimuth_to_field = \"to\"\n",
        )],
    );
    // The viewpoint at the west end, looking east (45°–135°), eye 1.6 m by default.
    let (vx, vy) = (X0 + 5.0, Y1 - 505.0);
    std::fs::write(
        dir.path().join("zone.geojson"),
        collection(
            Some("EPSG:4546"),
            &[feature(
                "V1",
                r#"{"name": "west end", "from": 45, "to": 135}"#,
                &format!(r#"{{"type":"Point","coordinates":[{vx},{vy}]}}"#),
            )],
        ),
    )
    .unwrap();
    let plot = |id: &str, x: f64, props: &str| feature(id, props, &square(vx + x, vy - 10.0, 20.0));
    let (exit, json) = check(
        &p,
        &[
            // 80 m tall, 1 km out: above the wall seen 2 km out.
            plot("tall", 1000.0, r#"{"height_m": 80}"#),
            plot("low", 1000.0, r#"{"height_m": 30}"#),
            // 50 m tall, behind the wall: hidden by it.
            plot("hidden", 2400.0, r#"{"height_m": 50}"#),
            // Due west is out of the viewpoint's 45°–135°: not looked at.
            feature(
                "west",
                r#"{"height_m": 500}"#,
                &square(vx - 1000.0, vy - 10.0, 20.0),
            ),
            plot("no-height", 1000.0, "{}"),
        ],
    );
    assert_eq!(exit, 1);
    let f = finding(&json, "tall", "T5").expect("the tall building breaks the ridgeline");
    assert_eq!(f["measure"]["kind"], "skyline_excess");
    assert_eq!(f["zone"]["id"], "V1");
    // The top at 80 m, 1,000 m away, against the wall's near edge (100 m, 2,000 m away),
    // both lowered for curvature and refraction as gdal_viewshed does.
    let drop = |d: f64| 0.85714 * d * d / (2.0 * 6_378_137.0);
    let ridge = (100.0 - drop(2000.0) - 1.6) / 2000.0;
    let want = (80.0 - drop(1000.0) - 1.6) / 1000.0 - ridge;
    let got = f["measure"]["value"].as_f64().unwrap();
    // The nearest vertex is 1,000 m out on the axis; the wall's first full-height sample lies
    // within a cell of 2,000 m.
    assert!(
        (got - want * 1000.0).abs() < 1.0,
        "{got} vs {}",
        want * 1000.0
    );
    assert_eq!(f["terrain"]["top_m"], 80.0);
    assert_eq!(f["geometry"]["type"], "LineString");
    assert!(
        finding(&json, "low", "T5").is_none(),
        "30 m stays under the wall's line"
    );
    assert!(
        finding(&json, "hidden", "T5").is_none(),
        "hidden behind the wall"
    );
    assert!(
        finding(&json, "west", "T5").is_none(),
        "outside the viewpoint's azimuths"
    );
    let open = finding(&json, "no-height", "T5").unwrap();
    assert_eq!(open["status"], "undetermined");
    let reason = open["undetermined"]["reason"].as_str().unwrap();
    assert!(reason.contains("ridgeline seen from west end"), "{reason}");
    // A viewpoint whose eye height is not a number is not quietly given the default.
    std::fs::write(
        dir.path().join("zone.geojson"),
        collection(
            Some("EPSG:4546"),
            &[feature(
                "V1",
                r#"{"name": "west end", "from": 45, "to": 135, "eye_height_m": "tall"}"#,
                &format!(r#"{{"type":"Point","coordinates":[{vx},{vy}]}}"#),
            )],
        ),
    )
    .unwrap();
    let (exit, json) = check(&p, &[plot("low", 1000.0, r#"{"height_m": 30}"#)]);
    assert_eq!(exit, 1);
    let f = finding(&json, "low", "T5").expect("undetermined, not passed");
    assert_eq!(f["status"], "undetermined");
    let reason = f["undetermined"]["reason"].as_str().unwrap();
    assert!(
        reason.contains("eye_height_m = \"tall\" is not a number"),
        "{reason}"
    );
}
