//! Regenerates the Yichang demo data and the rule fixtures:
//!
//! ```sh
//! cargo run --example make_demo_data
//! ```
//!
//! - `data/yichang/zones/*.geojson` (EPSG:4546): the Yangtze water surface and the blue line
//!   derived from the real WDBII centrelines in `data/rivers/`, the Qingjiang centreline, and
//!   illustrative red-line, farmland, urban-boundary, drinking-water and green-register zones.
//! - `data/yichang/proposals.geojson` (WGS 84): 22 proposals placed relative to those zones.
//! - `rules/yichang/*/fixtures/cases.geojson` (EPSG:4546): for every rule, features that fire,
//!   that do not, and that sit exactly on the rule's boundary, verified here with the engine.
//!
//! Every proposal's expected codes are asserted, so the demo cannot drift silently.

use anyhow::{bail, ensure, Context, Result};
use geo::unary_union;
use geo::{
    Area, BooleanOps, BoundingRect, Buffer, Coord, CoordsIter, Geometry, InteriorPoint, LineString,
    MapCoordsInPlace, MultiLineString, MultiPolygon, Point, Polygon, Rect, RemoveRepeatedPoints,
    Winding,
};
use ironrule::crs::{Crs, Transformer};
use ironrule::engine::{overlap::overlap, setback::setback, within::within, Checker};
use ironrule::geom::Footprint;
use ironrule::index::ZoneLayer;
use ironrule::io::{self, ReadOptions};
use ironrule::project::Project;
use ironrule::rules::Test;
use serde_json::{json, Map, Value};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// Half-width of the derived Yangtze water surface (the river is roughly 800–1,000 m wide at
/// Yichang): illustrative.
const YANGTZE_HALF_WIDTH_M: f64 = 400.0;
/// The derived blue line: 100 m beyond the water surface, and 100 m either side of the
/// Qingjiang centreline.
const BLUE_LINE_M: f64 = 500.0;
const QINGJIANG_BLUE_M: f64 = 100.0;
/// The demo window, lon/lat.
const WINDOW: [f64; 4] = [111.10, 30.35, 111.55, 30.85];

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

struct Ctx {
    fwd: Transformer,
    inv: Transformer,
}

impl Ctx {
    fn gk(&self, lon: f64, lat: f64) -> Coord<f64> {
        self.fwd
            .coord(Coord { x: lon, y: lat })
            .expect("inside the zone")
    }

    fn poly(&self, lonlat: &[(f64, f64)]) -> Polygon<f64> {
        let mut ring: Vec<Coord<f64>> = lonlat.iter().map(|(x, y)| self.gk(*x, *y)).collect();
        ring.push(ring[0]);
        Polygon::new(LineString(ring), vec![])
    }

    fn circle(&self, lon: f64, lat: f64, r: f64) -> MultiPolygon<f64> {
        Point(self.gk(lon, lat)).buffer(r)
    }
}

/// The buffer of line work as one valid MultiPolygon (the parts' buffers can overlap).
fn buffer(lines: &MultiLineString<f64>, d: f64) -> MultiPolygon<f64> {
    let parts = lines.buffer(d);
    unary_union(parts.0.iter())
}

/// Rounds to the centimetre, drops repeated points, orients rings: what is written is what
/// the engine will read back, exactly.
fn tidy(mut g: Geometry<f64>) -> Geometry<f64> {
    g.map_coords_in_place(|c| Coord {
        x: (c.x * 100.0).round() / 100.0,
        y: (c.y * 100.0).round() / 100.0,
    });
    let g = g.remove_repeated_points();
    match g {
        Geometry::MultiPolygon(mut mp) => {
            // Boolean operations leave centimetre slivers; they are not zones.
            mp.0.retain(|p| p.unsigned_area() > 1.0);
            for p in mp.0.iter_mut() {
                p.exterior_mut(|r| r.make_ccw_winding());
                p.interiors_mut(|rs| rs.iter_mut().for_each(|r| r.make_cw_winding()));
            }
            if mp.0.len() == 1 {
                Geometry::Polygon(mp.0.remove(0))
            } else {
                Geometry::MultiPolygon(mp)
            }
        }
        Geometry::Polygon(mut p) => {
            p.exterior_mut(|r| r.make_ccw_winding());
            p.interiors_mut(|rs| rs.iter_mut().for_each(|r| r.make_cw_winding()));
            Geometry::Polygon(p)
        }
        other => other,
    }
}

fn geometry_json(g: &Geometry<f64>) -> Value {
    serde_json::to_value(geojson::Geometry::new(geojson::GeometryValue::from(g)))
        .expect("serialisable")
}

/// A feature to write: id, properties, geometry.
type Case = (Option<String>, Map<String, Value>, Geometry<f64>);

/// Writes a FeatureCollection, one feature per line; `crs` names a legacy `crs` member
/// (omitted for WGS 84, RFC 7946's default).
fn write_collection(path: &Path, name: &str, crs: Option<&str>, features: &[Case]) -> Result<()> {
    let mut out = format!("{{\"type\":\"FeatureCollection\",\"name\":{}", json!(name));
    if let Some(crs) = crs {
        out.push_str(&format!(
            ",\"crs\":{{\"type\":\"name\",\"properties\":{{\"name\":{}}}}}",
            json!(crs)
        ));
    }
    out.push_str(",\"features\":[\n");
    let lines: Vec<String> = features
        .iter()
        .map(|(id, props, g)| {
            let mut f =
                json!({"type": "Feature", "properties": props, "geometry": geometry_json(g)});
            if let Some(id) = id {
                f["id"] = json!(id);
            }
            f.to_string()
        })
        .collect();
    out.push_str(&lines.join(",\n"));
    out.push_str("\n]}\n");
    std::fs::create_dir_all(path.parent().expect("a folder"))?;
    std::fs::write(path, out).with_context(|| path.display().to_string())
}

fn props(v: Value) -> Map<String, Value> {
    v.as_object().cloned().expect("an object")
}

fn zones(ctx: &Ctx) -> Result<()> {
    let text =
        std::fs::read_to_string(root().join("data/rivers/yichang_rivers_gshhg_wdbii.geojson"))?;
    let rivers: geojson::FeatureCollection = text.parse()?;
    let window = Rect::new(
        Coord {
            x: WINDOW[0],
            y: WINDOW[1],
        },
        Coord {
            x: WINDOW[2],
            y: WINDOW[3],
        },
    )
    .to_polygon();
    let mut yangtze = Vec::new();
    let mut qingjiang = None;
    for f in &rivers.features {
        let level = f
            .property("wdbii_level")
            .and_then(Value::as_i64)
            .unwrap_or(0);
        let Some(Ok(Geometry::LineString(line))) = f
            .geometry
            .as_ref()
            .map(|g| Geometry::<f64>::try_from(g.clone()))
        else {
            continue;
        };
        let clipped = window.clip(&MultiLineString(vec![line.clone()]), false);
        if clipped.0.is_empty() {
            continue;
        }
        let mut gk = Geometry::MultiLineString(clipped);
        gk.map_coords_in_place(|c| ctx.gk(c.x, c.y));
        let Geometry::MultiLineString(gk) = gk else {
            unreachable!()
        };
        // The Qingjiang is the level-4 river that ends at its confluence at Yidu.
        let end = line.0.last().copied().unwrap_or_default();
        if level == 1 {
            yangtze.extend(gk.0);
        } else if level == 4
            && (end.x - 111.445274).abs() < 1e-6
            && (end.y - 30.423606).abs() < 1e-6
        {
            qingjiang = Some(MultiLineString(gk.0));
        }
    }
    let yangtze = MultiLineString(yangtze);
    let qingjiang = qingjiang.context("the Qingjiang is in the WDBII file")?;
    let dir = root().join("data/yichang/zones");
    let gk = Some("urn:ogc:def:crs:EPSG::4546");
    let derived =
        "derived: WDBII centreline (GSHHG 2.3.7, public domain) buffered; not a legal shoreline";

    write_collection(
        &dir.join("yangtze.geojson"),
        "yangtze",
        gk,
        &[(
            Some("yangtze-mainstream".into()),
            props(
                json!({"name": "长江 Yangtze mainstream (water surface)", "source": derived, "half_width_m": YANGTZE_HALF_WIDTH_M}),
            ),
            tidy(Geometry::MultiPolygon(buffer(
                &yangtze,
                YANGTZE_HALF_WIDTH_M,
            ))),
        )],
    )?;
    write_collection(
        &dir.join("tributaries.geojson"),
        "tributaries",
        gk,
        &[(
            Some("qingjiang".into()),
            props(
                json!({"name": "清江 Qingjiang", "basin_km2": 17000, "source": "WDBII level-4 centreline; identified as the Qingjiang by its confluence at Yidu; basin area approximate"}),
            ),
            tidy(Geometry::MultiLineString(qingjiang.clone())),
        )],
    )?;
    write_collection(
        &dir.join("blue_line.geojson"),
        "blue_line",
        gk,
        &[
            (
                Some("blue-yangtze".into()),
                props(
                    json!({"name": "长江蓝线 Yangtze blue line", "source": derived, "illustrative": true}),
                ),
                tidy(Geometry::MultiPolygon(buffer(&yangtze, BLUE_LINE_M))),
            ),
            (
                Some("blue-qingjiang".into()),
                props(
                    json!({"name": "清江蓝线 Qingjiang blue line", "source": derived, "illustrative": true}),
                ),
                tidy(Geometry::MultiPolygon(buffer(&qingjiang, QINGJIANG_BLUE_M))),
            ),
        ],
    )?;
    let ill = |id: &str, name: &str, g: Geometry<f64>| {
        (
            Some(id.to_owned()),
            props(json!({"name": name, "illustrative": true})),
            tidy(g),
        )
    };
    write_collection(
        &dir.join("red_line.geojson"),
        "red_line",
        gk,
        &[
            ill(
                "RL-01",
                "南津关以北山地 hills north of Nanjinguan (illustrative)",
                Geometry::Polygon(ctx.poly(&[
                    (111.18, 30.785),
                    (111.25, 30.79),
                    (111.25, 30.83),
                    (111.19, 30.835),
                    (111.18, 30.81),
                ])),
            ),
            ill(
                "RL-02",
                "点军西部山地 mountains west of Dianjun (illustrative)",
                Geometry::Polygon(ctx.poly(&[
                    (111.20, 30.66),
                    (111.25, 30.665),
                    (111.25, 30.72),
                    (111.21, 30.72),
                    (111.20, 30.70),
                ])),
            ),
        ],
    )?;
    write_collection(
        &dir.join("farmland.geojson"),
        "farmland",
        gk,
        &[
            ill(
                "PBF-01",
                "猇亭以东永久基本农田 farmland east of Xiaoting (illustrative)",
                Geometry::Polygon(ctx.poly(&[
                    (111.475, 30.55),
                    (111.52, 30.55),
                    (111.52, 30.60),
                    (111.475, 30.60),
                ])),
            ),
            ill(
                "PBF-02",
                "点军南部永久基本农田 farmland south of Dianjun (illustrative)",
                Geometry::Polygon(ctx.poly(&[
                    (111.30, 30.58),
                    (111.34, 30.58),
                    (111.34, 30.62),
                    (111.30, 30.62),
                ])),
            ),
        ],
    )?;
    write_collection(
        &dir.join("urban_boundary.geojson"),
        "urban_boundary",
        gk,
        &[
            ill(
                "UDB-01",
                "中心城区 central city, left bank (illustrative)",
                Geometry::Polygon(ctx.poly(&[
                    (111.27, 30.76),
                    (111.36, 30.76),
                    (111.42, 30.70),
                    (111.42, 30.62),
                    (111.38, 30.60),
                    (111.33, 30.64),
                    (111.29, 30.67),
                ])),
            ),
            ill(
                "UDB-02",
                "点军 Dianjun, right bank (illustrative)",
                Geometry::Polygon(ctx.poly(&[
                    (111.25, 30.70),
                    (111.27, 30.70),
                    (111.285, 30.675),
                    (111.30, 30.655),
                    (111.27, 30.64),
                    (111.24, 30.66),
                ])),
            ),
            ill(
                "UDB-03",
                "猇亭 Xiaoting industrial area (illustrative)",
                Geometry::Polygon(ctx.poly(&[
                    (111.39, 30.49),
                    (111.47, 30.49),
                    (111.47, 30.58),
                    (111.39, 30.58),
                ])),
            ),
        ],
    )?;
    let (ix, iy) = INTAKE;
    let zone_i = ctx.circle(ix, iy, 300.0);
    let zone_ii = ctx.circle(ix, iy, 1500.0).difference(&zone_i);
    write_collection(
        &dir.join("drinking_water_i.geojson"),
        "drinking_water_i",
        gk,
        &[ill(
            "DW-I-01",
            "南津关水源一级保护区 Nanjinguan source, zone I (illustrative)",
            Geometry::MultiPolygon(zone_i),
        )],
    )?;
    write_collection(
        &dir.join("drinking_water_ii.geojson"),
        "drinking_water_ii",
        gk,
        &[ill(
            "DW-II-01",
            "南津关水源二级保护区 Nanjinguan source, zone II (illustrative)",
            Geometry::MultiPolygon(zone_ii),
        )],
    )?;
    write_collection(
        &dir.join("green_register.geojson"),
        "green_register",
        gk,
        &[
            ill(
                "G-01",
                "东山公园 Dongshan park (illustrative extent)",
                Geometry::MultiPolygon(ctx.circle(111.305, 30.712, 400.0)),
            ),
            ill(
                "G-02",
                "磨基山 Moji mountain (illustrative extent)",
                Geometry::MultiPolygon(ctx.circle(111.262, 30.690, 400.0)),
            ),
        ],
    )?;
    // Illustrative districts with illustrative landscape targets (S1). D-XL's target sits
    // between its share before and after the demo proposals, so the rule shows. Each edge
    // has a vertex every 0.01° (exact hundredths, the same numbers in every district), so
    // neighbours share their boundaries exactly: projected straight edges between different
    // corners would overlap in slivers, and the districts' areas would not add up to the
    // city's.
    let district = |id: &str, name: &str, w: [f64; 4], target: f64| {
        let hundredths = |a: f64, b: f64| -> Vec<f64> {
            let (i, j) = ((a * 100.0).round() as i64, (b * 100.0).round() as i64);
            let step = if j >= i { 1 } else { -1 };
            (0..=(j - i).abs())
                .map(|k| (i + step * k) as f64 / 100.0)
                .collect()
        };
        let mut ring: Vec<(f64, f64)> = Vec::new();
        for ((x0, y0), (x1, y1)) in [
            ((w[0], w[1]), (w[2], w[1])),
            ((w[2], w[1]), (w[2], w[3])),
            ((w[2], w[3]), (w[0], w[3])),
            ((w[0], w[3]), (w[0], w[1])),
        ] {
            let pts: Vec<(f64, f64)> = if y0 == y1 {
                hundredths(x0, x1).into_iter().map(|x| (x, y0)).collect()
            } else {
                hundredths(y0, y1).into_iter().map(|y| (x0, y)).collect()
            };
            ring.extend(&pts[..pts.len() - 1]);
        }
        let (i, mut p, g) = ill(id, name, Geometry::Polygon(ctx.poly(&ring)));
        p.insert("landscape_target".into(), json!(target));
        (i, p, g)
    };
    write_collection(
        &dir.join("districts.geojson"),
        "districts",
        gk,
        &[
            district(
                "D-XL",
                "西陵 Xiling (illustrative)",
                [111.22, 30.66, 111.34, 30.76],
                0.2315,
            ),
            district(
                "D-WJG",
                "伍家岗 Wujiagang (illustrative)",
                [111.34, 30.62, 111.45, 30.74],
                0.01,
            ),
            district(
                "D-DJ",
                "点军 Dianjun (illustrative)",
                [111.15, 30.55, 111.34, 30.66],
                0.01,
            ),
            district(
                "D-XT",
                "猇亭 Xiaoting (illustrative)",
                [111.34, 30.45, 111.50, 30.62],
                0.07,
            ),
            district(
                "D-YL",
                "夷陵 Yiling (illustrative)",
                [111.10, 30.66, 111.22, 30.85],
                0.18,
            ),
        ],
    )?;
    // Waterfront corridors running inland from the north bank (GB 50513 §5.4: view corridors
    // wider than 20 m, ecological corridors at least 60 m). Each declares its width; a corridor
    // drawn narrower would be reported when the project loads (tests/integration/check.rs).
    let corridor = |id: &str, name: &str, x_lon: f64, width: f64, declared: f64| {
        let sw = ctx.gk(x_lon, 30.668);
        let (i, mut p, g) = ill(
            id,
            name,
            rect_at(
                Coord {
                    x: sw.x + width / 2.0,
                    y: sw.y + 300.0,
                },
                width,
                600.0,
            ),
        );
        p.insert("declared_width_m".into(), json!(declared));
        (i, p, g)
    };
    write_collection(
        &dir.join("view_corridors.geojson"),
        "view_corridors",
        gk,
        &[
            corridor(
                "VC-01",
                "东山—长江 view corridor (illustrative)",
                111.318,
                20.0,
                20.0,
            ),
            corridor(
                "VC-02",
                "夷陵广场 ecological corridor (illustrative)",
                111.323,
                60.0,
                60.0,
            ),
            corridor(
                "VC-03",
                "滨江公园 view corridor (illustrative)",
                111.328,
                24.0,
                24.0,
            ),
        ],
    )?;
    // 湿地保护法 第二十条: temporary occupation of a wetland for at most two years.
    let (wid, wname, wgeom) = ill(
        "WL-01",
        "天龙湾湿地 Tianlong Bay wetland (illustrative)",
        Geometry::Polygon(ctx.poly(&[
            (111.400, 30.600),
            (111.425, 30.600),
            (111.425, 30.615),
            (111.400, 30.615),
        ])),
    );
    let mut wprops = wname;
    wprops.insert("max_temporary_years".into(), json!(2));
    write_collection(
        &dir.join("wetland.geojson"),
        "wetland",
        gk,
        &[(wid, wprops, wgeom)],
    )?;
    plan_zones(&dir)?;
    indicator_zones(ctx, &dir, &yangtze)?;
    terrain(ctx, &yangtze, &qingjiang)?;
    Ok(())
}

/// An illustrative mountain of the demo DEM: a smooth hill `peak_m` above the valley floor
/// at a place, `sigma_m` wide along `bearing_deg` and `sigma_across_m` across, and its
/// protection line where it stands more than [`MOUNTAIN_LINE_M`] above its surroundings.
struct Mountain {
    id: &'static str,
    name: &'static str,
    lon: f64,
    lat: f64,
    peak_m: f64,
    sigma_m: f64,
    sigma_across_m: f64,
    bearing_deg: f64,
}

/// The mountains of the demo: the two the key green-space register names (磨基山, 东山) at
/// their approximate places, the ridge west of Dianjun and the hills of the gorge mouth at
/// Nanjinguan. Heights and shapes are invented (illustrative).
const MOUNTAINS: &[Mountain] = &[
    Mountain {
        id: "MT-01",
        name: "磨基山 Moji mountain (illustrative shape)",
        lon: 111.262,
        lat: 30.690,
        peak_m: 220.0,
        sigma_m: 230.0,
        sigma_across_m: 230.0,
        bearing_deg: 0.0,
    },
    Mountain {
        id: "MT-02",
        name: "东山 Dongshan (illustrative shape)",
        lon: 111.305,
        lat: 30.712,
        peak_m: 90.0,
        sigma_m: 420.0,
        sigma_across_m: 420.0,
        bearing_deg: 0.0,
    },
    Mountain {
        id: "MT-03",
        name: "点军西部山脊 ridge west of Dianjun (illustrative)",
        lon: 111.218,
        lat: 30.690,
        peak_m: 330.0,
        sigma_m: 2000.0,
        sigma_across_m: 380.0,
        bearing_deg: 10.0,
    },
    Mountain {
        id: "MT-04",
        name: "南津关峡口山地 hills of the gorge mouth at Nanjinguan (illustrative)",
        lon: 111.212,
        lat: 30.805,
        peak_m: 520.0,
        sigma_m: 2200.0,
        sigma_across_m: 1300.0,
        bearing_deg: 60.0,
    },
];

/// A mountain's protection line (山体保护线) is drawn where it stands this much above the
/// valley floor (a mountain is commonly a peak at least 10 m above its surroundings; the line
/// takes in its foot).
const MOUNTAIN_LINE_M: f64 = 20.0;
/// The demo DEM's cell size, metres.
const DEM_CELL_M: f64 = 30.0;
/// The Yangtze's water level at Yichang, metres above sea level (about 40–50 m below the
/// Gezhouba dam's pool).
const WATER_LEVEL_M: f64 = 42.0;

impl Mountain {
    /// Metres above the valley floor at a point (working CRS).
    fn height(&self, ctx: &Ctx, p: Coord<f64>) -> f64 {
        let c = ctx.gk(self.lon, self.lat);
        let (s, co) = self.bearing_deg.to_radians().sin_cos();
        let (dx, dy) = (p.x - c.x, p.y - c.y);
        // Along the bearing (clockwise from north) and across it.
        let along = dx * s + dy * co;
        let across = dx * co - dy * s;
        self.peak_m
            * (-(along / self.sigma_m).powi(2) / 2.0 - (across / self.sigma_across_m).powi(2) / 2.0)
                .exp()
    }

    /// The protection line: the ellipse where the hill stands `MOUNTAIN_LINE_M` high.
    fn line(&self, ctx: &Ctx) -> Polygon<f64> {
        let c = ctx.gk(self.lon, self.lat);
        let k = (2.0 * (self.peak_m / MOUNTAIN_LINE_M).ln()).sqrt();
        let (s, co) = self.bearing_deg.to_radians().sin_cos();
        let ring: Vec<Coord<f64>> = (0..=96)
            .map(|i| {
                let a = f64::from(i % 96) / 96.0 * std::f64::consts::TAU;
                let (along, across) = (
                    k * self.sigma_m * a.cos(),
                    k * self.sigma_across_m * a.sin(),
                );
                let x = c.x + along * s + across * co;
                let y = c.y + along * co - across * s;
                Coord {
                    x: (x * 100.0).round() / 100.0,
                    y: (y * 100.0).round() / 100.0,
                }
            })
            .collect();
        Polygon::new(LineString(ring), vec![])
    }
}

/// The demo DEM (`data/yichang/terrain/dem.tif`): a plausible terrain made from the real
/// river courses and the named mountains' places, labelled illustrative. The valley floor
/// rises from the water level away from the Yangtze and the Qingjiang; the mountains stand on
/// it. Int16 metres, 30 m cells in EPSG:4546, tiled and Deflate-compressed with predictor 2,
/// written by ironrule's own GeoTIFF writer. Also writes the `mountains` layer (their
/// protection lines) and the `landmarks` layer (H4's view-protection zone).
fn terrain(
    ctx: &Ctx,
    yangtze: &MultiLineString<f64>,
    qingjiang: &MultiLineString<f64>,
) -> Result<()> {
    use geo::{Distance, Euclidean};
    let sw = ctx.gk(WINDOW[0], WINDOW[1]);
    let ne = ctx.gk(WINDOW[2], WINDOW[3]);
    let nw = ctx.gk(WINDOW[0], WINDOW[3]);
    let se = ctx.gk(WINDOW[2], WINDOW[1]);
    let snap = |v: f64, up: bool| {
        let k = v / DEM_CELL_M;
        (if up { k.ceil() } else { k.floor() }) * DEM_CELL_M
    };
    let x0 = snap(sw.x.min(nw.x), false);
    let x1 = snap(ne.x.max(se.x), true);
    let y0 = snap(sw.y.min(se.y), false);
    let y1 = snap(ne.y.max(nw.y), true);
    let (w, h) = (
        ((x1 - x0) / DEM_CELL_M) as usize,
        ((y1 - y0) / DEM_CELL_M) as usize,
    );
    // Distances to the rivers on a coarse grid (every 10th cell), interpolated between: the
    // valley floor is smooth, and the exact distance for 3 million cells would be slow.
    const K: usize = 10;
    let (cw, ch) = (w / K + 2, h / K + 2);
    let mut coarse = vec![0.0f64; cw * ch];
    for j in 0..ch {
        for i in 0..cw {
            let p = Point::new(
                x0 + (i * K) as f64 * DEM_CELL_M,
                y1 - (j * K) as f64 * DEM_CELL_M,
            );
            let dy = Euclidean.distance(&p, yangtze);
            let dq = Euclidean.distance(&p, qingjiang);
            // Metres above the water: the bank, then a gentle rise inland.
            let rise = |d: f64, bank: f64| {
                let t = ((d - bank) / 300.0).clamp(0.0, 1.0);
                8.0 * t * t * (3.0 - 2.0 * t) + 0.012 * (d - bank - 300.0).max(0.0)
            };
            coarse[j * cw + i] = rise(dy, YANGTZE_HALF_WIDTH_M).min(rise(dq, 60.0) + 3.0);
        }
    }
    let mut z = vec![0.0f64; w * h];
    for r in 0..h {
        for c in 0..w {
            let (fi, fj) = (c as f64 / K as f64, r as f64 / K as f64);
            let (i, j) = (fi.floor() as usize, fj.floor() as usize);
            let (tx, ty) = (fi - i as f64, fj - j as f64);
            let v = |a: usize, b: usize| coarse[(j + b) * cw + i + a];
            let floor = v(0, 0) * (1.0 - tx) * (1.0 - ty)
                + v(1, 0) * tx * (1.0 - ty)
                + v(0, 1) * (1.0 - tx) * ty
                + v(1, 1) * tx * ty;
            let p = Coord {
                x: x0 + (c as f64 + 0.5) * DEM_CELL_M,
                y: y1 - (r as f64 + 0.5) * DEM_CELL_M,
            };
            let hills: f64 = MOUNTAINS.iter().map(|m| m.height(ctx, p)).sum();
            // No hill stands in the river: it fades out towards the bank.
            let fade = ((floor - 8.0) / 6.0).clamp(0.0, 1.0);
            z[r * w + c] = (WATER_LEVEL_M + floor + hills * fade).round();
        }
    }
    let dir = root().join("data/yichang/terrain");
    std::fs::create_dir_all(&dir)?;
    ironrule::dem::tiff::write(
        &dir.join("dem.tif"),
        w as u32,
        h as u32,
        &z,
        [x0, DEM_CELL_M, 0.0, y1, 0.0, -DEM_CELL_M],
        ironrule::dem::tiff::WriteOptions {
            sample: ironrule::dem::tiff::Sample::I16,
            tile: 256,
            epsg: 4546,
            projected: true,
            nodata: Some(-32768.0),
        },
    )?;
    println!("terrain: {w} × {h} cells of {DEM_CELL_M} m");
    let gk = Some("urn:ogc:def:crs:EPSG::4546");
    let zones = root().join("data/yichang/zones");
    let lines: Vec<Case> = MOUNTAINS
        .iter()
        .map(|m| {
            (
                Some(m.id.to_owned()),
                props(
                    json!({"name": m.name, "illustrative": true, "peak_above_floor_m": m.peak_m}),
                ),
                Geometry::Polygon(m.line(ctx)),
            )
        })
        .collect();
    write_collection(&zones.join("mountains.geojson"), "mountains", gk, &lines)?;
    // H4: the view of a landmark kept clear: within 500 m of it, no building top above a set
    // height above sea level (Wuhan's 黄鹤楼 precedent: 500 m, 61.7 m). The pagoda is real;
    // its place here is approximate and the limit illustrative.
    let (lid, mut lprops, lgeom) = (
        Some("LM-01".to_owned()),
        props(
            json!({"name": "天然塔 Tianran pagoda view zone (approximate place, illustrative limit)", "illustrative": true}),
        ),
        Geometry::MultiPolygon(ctx.circle(LANDMARK.0, LANDMARK.1, 500.0)),
    );
    lprops.insert("max_top_m".into(), json!(LANDMARK_MAX_TOP_M));
    write_collection(
        &zones.join("landmarks.geojson"),
        "landmarks",
        gk,
        &[(lid, lprops, lgeom)],
    )?;
    // The skyline's viewpoints: on the far bank of the Yangtze from a mountain, 50 m back
    // from the water, looking across at it (±60°): 江南城在山中, seen from the river.
    let views: Vec<Case> = [
        (
            &MOUNTAINS[0],
            "VP-01",
            "滨江公园观景点 riverside viewpoint facing 磨基山 (illustrative)",
        ),
        (
            &MOUNTAINS[2],
            "VP-02",
            "北岸观景点 north-bank viewpoint facing the ridge west of Dianjun (illustrative)",
        ),
    ]
    .into_iter()
    .map(|(m, id, name)| {
        use geo::{Closest, ClosestPoint};
        let c = ctx.gk(m.lon, m.lat);
        let (Closest::SinglePoint(q) | Closest::Intersection(q)) = yangtze.closest_point(&Point(c))
        else {
            panic!("the Yangtze has a closest point")
        };
        let (dx, dy) = (q.x() - c.x, q.y() - c.y);
        let d = dx.hypot(dy);
        let at = Coord {
            x: ((q.x() + dx / d * (YANGTZE_HALF_WIDTH_M + 50.0)) * 100.0).round() / 100.0,
            y: ((q.y() + dy / d * (YANGTZE_HALF_WIDTH_M + 50.0)) * 100.0).round() / 100.0,
        };
        let facing = ironrule::engine::skyline::azimuth(at, c);
        (
            Some(id.to_owned()),
            props(
                json!({"name": name, "illustrative": true, "eye_height_m": 1.6,
                    "azimuth_from": (facing - 60.0).rem_euclid(360.0).round(),
                    "azimuth_to": (facing + 60.0).rem_euclid(360.0).round()}),
            ),
            Geometry::Point(Point(at)),
        )
    })
    .collect();
    write_collection(&zones.join("viewpoints.geojson"), "viewpoints", gk, &views)?;
    Ok(())
}

/// The illustrative regulatory plan (控规) unit WJG-03 in Wujiagang, EPSG:4546: 3 × 2 parcels
/// of about 190 m with 20 m roads between (the roads are in the unit but on no parcel).
const PLAN_X: [(f64, f64); 3] = [
    (539_300.0, 539_490.0),
    (539_510.0, 539_690.0),
    (539_710.0, 539_900.0),
];
const PLAN_Y: [(f64, f64); 2] = [(3_397_300.0, 3_397_490.0), (3_397_510.0, 3_397_700.0)];

/// One parcel of the demo plan: (id, column, row, 用地代码, 用地名称, 容积率, 建筑密度, 绿地率,
/// 建筑限高, 退线距离).
#[allow(clippy::type_complexity)]
fn plan_parcels() -> Vec<(
    &'static str,
    usize,
    usize,
    &'static str,
    &'static str,
    Value,
    f64,
    f64,
    f64,
    f64,
)> {
    vec![
        (
            "WJG03-01",
            0,
            1,
            "070102",
            "二类城镇住宅用地",
            json!(2.5),
            30.0,
            35.0,
            80.0,
            5.0,
        ),
        (
            "WJG03-02",
            1,
            1,
            "0901",
            "商业用地",
            json!(4.0),
            45.0,
            20.0,
            100.0,
            8.0,
        ),
        (
            "WJG03-03",
            2,
            1,
            "1401",
            "公园绿地",
            Value::Null,
            5.0,
            70.0,
            12.0,
            5.0,
        ),
        (
            "WJG03-04",
            0,
            0,
            "0804",
            "教育用地",
            json!(1.2),
            30.0,
            35.0,
            24.0,
            10.0,
        ),
        // An old plan's letter code: M1, the first class of industry (100101).
        (
            "WJG03-05",
            1,
            0,
            "M1",
            "一类工业用地",
            json!(1.5),
            50.0,
            15.0,
            30.0,
            5.0,
        ),
        // 待定: the plan has not set the FAR yet; a FAR check here is undetermined.
        (
            "WJG03-06",
            2,
            0,
            "0702",
            "城镇社区服务设施用地",
            json!("待定"),
            35.0,
            30.0,
            24.0,
            5.0,
        ),
    ]
}

/// A parcel's rectangle.
fn parcel_rect(col: usize, row: usize) -> Geometry<f64> {
    rect(PLAN_X[col].0, PLAN_Y[row].0, PLAN_X[col].1, PLAN_Y[row].1)
}

/// The demo's regulatory plan: its unit and its parcels, with the field names a planning
/// bureau's GIS uses (地块编号, 用地代码, 容积率...).
fn plan_zones(dir: &Path) -> Result<()> {
    let gk = Some("urn:ogc:def:crs:EPSG::4546");
    write_collection(
        &dir.join("plan_units.geojson"),
        "plan_units",
        gk,
        &[(
            Some("WJG-03".into()),
            props(
                json!({"name": "伍家岗 WJG-03 控规编制单元 regulatory plan unit (illustrative)", "illustrative": true}),
            ),
            rect(PLAN_X[0].0, PLAN_Y[0].0, PLAN_X[2].1, PLAN_Y[1].1),
        )],
    )?;
    let parcels: Vec<Case> = plan_parcels()
        .into_iter()
        .map(
            |(id, col, row, code, name, far, cover, green, height, setback)| {
                (
                    None,
                    props(json!({
                        "地块编号": id, "用地代码": code, "用地名称": name, "容积率": far,
                        "建筑密度": cover, "绿地率": green, "建筑限高": height, "退线距离": setback,
                        "illustrative": true
                    })),
                    parcel_rect(col, row),
                )
            },
        )
        .collect();
    write_collection(
        &dir.join("planning_parcels.geojson"),
        "planning_parcels",
        gk,
        &parcels,
    )
}

/// The layers the indicators read beyond the zones: works on the Yangtze's shore (ports and
/// wharves, 港口码头: the shoreline they occupy is not natural) and existing chemical sites,
/// placed by the river's real course. Both illustrative.
fn indicator_zones(ctx: &Ctx, dir: &Path, yangtze: &MultiLineString<f64>) -> Result<()> {
    let gk = Some("urn:ogc:def:crs:EPSG::4546");
    let centre = yangtze
        .iter()
        .max_by(|a, b| a.0.len().cmp(&b.0.len()))
        .context("the Yangtze centreline")?;
    // A point `off` metres from the left bank's water edge (negative: towards the water).
    let from_edge = |lon: f64, lat: f64, off: f64| {
        let (v, n) = river_frame(ctx, centre, lon, lat);
        let d = YANGTZE_HALF_WIDTH_M + off;
        Coord {
            x: v.x + n.x * d,
            y: v.y + n.y * d,
        }
    };
    let works: Vec<Case> = [
        (
            "SW-1",
            "宜昌港区码头 city wharves (illustrative)",
            111.300,
            30.700,
        ),
        (
            "SW-2",
            "伍家岗港区 Wujiagang port (illustrative)",
            111.380,
            30.660,
        ),
        (
            "SW-3",
            "猇亭云池港区 Yunchi port (illustrative)",
            111.440,
            30.520,
        ),
    ]
    .into_iter()
    .map(|(id, name, lon, lat)| {
        // 600 m along the shore, from 100 m into the water to 100 m inland.
        let c = from_edge(lon, lat, 0.0);
        (
            Some(id.to_owned()),
            props(json!({"name": name, "illustrative": true})),
            rect_at(c, 600.0, 200.0),
        )
    })
    .collect();
    write_collection(
        &dir.join("shoreline_works.geojson"),
        "shoreline_works",
        gk,
        &works,
    )?;
    let sites: Vec<Case> = [
        (
            "CS-1",
            "猇亭化工企业甲 chemical works A (illustrative)",
            111.455,
            30.500,
            700.0,
        ),
        (
            "CS-2",
            "猇亭化工企业乙 chemical works B (illustrative)",
            111.470,
            30.480,
            2600.0,
        ),
        (
            "CS-3",
            "伍家岗化工企业丙 chemical works C (illustrative)",
            111.390,
            30.650,
            850.0,
        ),
        (
            "CS-4",
            "点军化工企业丁 chemical works D, relocated inland (illustrative)",
            111.300,
            30.690,
            3200.0,
        ),
    ]
    .into_iter()
    .map(|(id, name, lon, lat, off)| {
        (
            Some(id.to_owned()),
            props(json!({"name": name, "industry": "chemical", "illustrative": true})),
            Geometry::Point(Point(from_edge(lon, lat, off))),
        )
    })
    .collect();
    write_collection(
        &dir.join("chemical_sites.geojson"),
        "chemical_sites",
        gk,
        &sites,
    )
}

/// The landmark of H4 (approximate place) and the highest top allowed within 500 m of it
/// (illustrative), metres above sea level.
const LANDMARK: (f64, f64) = (111.322, 30.676);
const LANDMARK_MAX_TOP_M: f64 = 90.0;

/// The illustrative drinking-water intake: a vertex of the Yangtze centreline below Nanjinguan.
const INTAKE: (f64, f64) = (111.274449, 30.74583);

/// The Yangtze centreline near (lon, lat): the nearest vertex and the unit normal pointing to
/// the left bank (left of the direction of flow).
fn river_frame(
    ctx: &Ctx,
    centre: &LineString<f64>,
    lon: f64,
    lat: f64,
) -> (Coord<f64>, Coord<f64>) {
    let target = ctx.gk(lon, lat);
    let i = (1..centre.0.len() - 1)
        .min_by(|a, b| {
            let d = |k: &usize| (centre.0[*k].x - target.x).hypot(centre.0[*k].y - target.y);
            d(a).total_cmp(&d(b))
        })
        .expect("a long line");
    let (a, b) = (centre.0[i - 1], centre.0[i + 1]);
    let (dx, dy) = (b.x - a.x, b.y - a.y);
    let len = dx.hypot(dy);
    (
        centre.0[i],
        Coord {
            x: -dy / len,
            y: dx / len,
        },
    )
}

fn rect_at(c: Coord<f64>, w: f64, h: f64) -> Geometry<f64> {
    Geometry::Polygon(
        Rect::new(
            Coord {
                x: c.x - w / 2.0,
                y: c.y - h / 2.0,
            },
            Coord {
                x: c.x + w / 2.0,
                y: c.y + h / 2.0,
            },
        )
        .to_polygon(),
    )
}

struct Proposal {
    id: &'static str,
    props: Value,
    geometry: Geometry<f64>,
    expect: &'static [&'static str],
}

fn proposals(ctx: &Ctx) -> Result<Vec<Proposal>> {
    // The Yangtze centreline through the city, for placing projects by distance from the bank.
    let text =
        std::fs::read_to_string(root().join("data/rivers/yichang_rivers_gshhg_wdbii.geojson"))?;
    let rivers: geojson::FeatureCollection = text.parse()?;
    let first = rivers.features[0].geometry.clone().context("geometry")?;
    let Geometry::LineString(mut centre) = Geometry::<f64>::try_from(first)? else {
        bail!("the Yangtze is a LineString")
    };
    centre.map_coords_in_place(|c| ctx.gk(c.x, c.y));
    let beside = |lon: f64, lat: f64, side: f64, from_edge_m: f64, size_m: f64| {
        let (v, n) = river_frame(ctx, &centre, lon, lat);
        let off = YANGTZE_HALF_WIDTH_M + from_edge_m + size_m / 2.0 * std::f64::consts::SQRT_2;
        rect_at(
            Coord {
                x: v.x + side * n.x * off,
                y: v.y + side * n.y * off,
            },
            size_m,
            size_m,
        )
    };
    let at = |lon: f64, lat: f64, w: f64, h: f64| rect_at(ctx.gk(lon, lat), w, h);
    let line = |pts: &[(f64, f64)]| {
        Geometry::LineString(LineString(
            pts.iter().map(|(x, y)| ctx.gk(*x, *y)).collect(),
        ))
    };
    // Qingjiang placements: the vertex nearest lon 111.30, offset north.
    let qj = |from_m: f64, size: f64| -> Result<Geometry<f64>> {
        let src = io::read(
            &root().join("data/yichang/zones/tributaries.geojson"),
            ReadOptions::new(ctx.fwd.to()),
        )?;
        let target = ctx.gk(111.30, 30.43);
        let v = src.features[0]
            .geometry
            .coords_iter()
            .min_by(|a, b| {
                (a.x - target.x)
                    .hypot(a.y - target.y)
                    .total_cmp(&(b.x - target.x).hypot(b.y - target.y))
            })
            .context("vertices")?;
        Ok(rect_at(
            Coord {
                x: v.x,
                y: v.y + from_m + size / 2.0 + 150.0,
            },
            size,
            size,
        ))
    };
    let (ix, iy) = INTAKE;
    let intake = ctx.gk(ix, iy);
    Ok(vec![
        Proposal {
            id: "P01",
            props: json!({"name": "猇亭化工新材料项目 Xiaoting new-materials chemical plant", "kind": "new", "industry": "chemical", "land_use": "industrial", "height_m": 24.0}),
            geometry: beside(111.4222, 30.5103, 1.0, 600.0, 200.0),
            expect: &["YC101"],
        },
        Proposal {
            id: "P02",
            props: json!({"name": "化工厂扩建 chemical plant expansion, 1.5 km back", "kind": "expansion", "industry": "chemical", "land_use": "industrial", "height_m": 24.0}),
            geometry: beside(111.4031, 30.5350, 1.0, 1500.0, 200.0),
            expect: &[],
        },
        Proposal {
            id: "P03",
            props: json!({"name": "化工厂原址改建 chemical plant rebuild on its site", "kind": "rebuild", "industry": "chemical", "land_use": "industrial", "height_m": 24.0}),
            geometry: beside(111.4317, 30.4978, 1.0, 500.0, 150.0),
            expect: &[],
        },
        Proposal {
            id: "P04",
            props: json!({"name": "新建尾矿库 new tailings pond", "kind": "new", "industry": "tailings_pond", "land_use": "mining"}),
            geometry: beside(111.3881, 30.5828, -1.0, 2000.0, 300.0),
            expect: &["YC102"],
        },
        Proposal {
            id: "P05",
            props: json!({"name": "新建磷石膏库 new phosphogypsum stack by the Qingjiang", "kind": "new", "industry": "phosphogypsum_stack", "land_use": "mining"}),
            geometry: qj(800.0, 300.0)?,
            expect: &["YC105"],
        },
        Proposal {
            id: "P06",
            props: json!({"name": "山地别墅区 hillside villas", "kind": "new", "land_use": "residential", "height_m": 12.0}),
            geometry: at(111.215, 30.80, 300.0, 200.0),
            expect: &["YC201", "YC203", "YC701"],
        },
        Proposal {
            id: "P07",
            props: json!({"name": "生态旅游步道 eco-tourism trail", "kind": "new", "land_use": "tourism"}),
            geometry: line(&[(111.19, 30.69), (111.215, 30.695), (111.235, 30.69)]),
            expect: &["YC201", "YC701"],
        },
        Proposal {
            id: "P08",
            props: json!({"name": "物流仓储中心 logistics warehouse", "kind": "new", "land_use": "logistics", "height_m": 15.0}),
            geometry: at(111.49, 30.575, 300.0, 200.0),
            expect: &["YC202", "YC203"],
        },
        Proposal {
            id: "P09",
            props: json!({"name": "点军南部住宅小区 housing south of Dianjun", "kind": "new", "land_use": "residential", "height_m": 54.0}),
            geometry: at(111.26, 30.62, 250.0, 250.0),
            expect: &["YC203"],
        },
        Proposal {
            id: "P10",
            props: json!({"name": "饮料厂 beverage factory with effluent", "kind": "new", "land_use": "industrial", "discharges": true, "height_m": 12.0}),
            geometry: rect_at(
                Coord {
                    x: intake.x + 900.0,
                    y: intake.y,
                },
                120.0,
                100.0,
            ),
            expect: &["YC302"],
        },
        Proposal {
            id: "P11",
            props: json!({"name": "江边餐厅 riverside restaurant", "kind": "new", "land_use": "commercial", "purpose": "catering", "discharges": false, "height_m": 8.0}),
            geometry: rect_at(
                Coord {
                    x: intake.x + 280.0,
                    y: intake.y,
                },
                40.0,
                30.0,
            ),
            expect: &["YC301", "YC401", "YC504", "YC601"],
        },
        Proposal {
            id: "P12",
            props: json!({"name": "取水泵站 water-supply pump station", "kind": "new", "land_use": "public_service", "purpose": "water_supply", "height_m": 6.0}),
            geometry: rect_at(
                Coord {
                    x: intake.x + 150.0,
                    y: intake.y,
                },
                30.0,
                30.0,
            ),
            expect: &["YC601"],
        },
        Proposal {
            id: "P13",
            props: json!({"name": "滨江酒店 riverfront hotel", "kind": "new", "land_use": "commercial", "purpose": "hotel", "height_m": 36.0}),
            geometry: beside(111.3092, 30.6606, 1.0, 50.0, 150.0),
            expect: &["YC401", "YC504"],
        },
        Proposal {
            id: "P14",
            props: json!({"name": "磨基山脚住宅 housing on the flank of Moji mountain", "kind": "new", "land_use": "residential", "height_m": 18.0}),
            geometry: at(111.262, 30.687, 200.0, 150.0),
            expect: &["YC402", "YC601", "YC701", "YC702", "YC703"],
        },
        Proposal {
            id: "P15",
            props: json!({"name": "伍家岗住宅 Wujiagang housing", "kind": "new", "land_use": "residential", "height_m": 33.0}),
            geometry: at(111.33, 30.70, 200.0, 150.0),
            expect: &[],
        },
        Proposal {
            id: "P16",
            props: json!({"name": "新建小学 new primary school", "kind": "new", "land_use": "public_service", "height_m": 18.0}),
            geometry: at(111.36, 30.68, 150.0, 120.0),
            expect: &[],
        },
        Proposal {
            id: "P17",
            props: json!({"name": "乡村道路 rural road", "kind": "new", "land_use": "transport"}),
            geometry: line(&[(111.29, 30.60), (111.35, 30.601)]),
            expect: &["YC202"],
        },
        Proposal {
            id: "P18",
            props: json!({"name": "通信铁塔 telecom tower", "kind": "new", "land_use": "utility"}),
            geometry: Geometry::Point(Point(ctx.gk(111.22, 30.81))),
            expect: &["YC201", "YC701"],
        },
        Proposal {
            id: "P19",
            props: json!({"name": "清江边化工项目 chemical project by the Qingjiang", "kind": "new", "industry": "chemical", "land_use": "industrial", "height_m": 24.0}),
            geometry: qj(400.0, 200.0)?,
            expect: &["YC101", "YC203"],
        },
        Proposal {
            id: "P20",
            props: json!({"name": "商业综合体 commercial complex on the boundary's edge", "kind": "new", "land_use": "commercial", "height_m": 40.0}),
            geometry: edge_plot(ctx)?,
            expect: &[],
        },
        Proposal {
            id: "P21",
            props: json!({"name": "磷石膏库扩容 phosphogypsum stack expansion", "kind": "expansion", "industry": "phosphogypsum_stack", "land_use": "mining"}),
            geometry: beside(111.3969, 30.5500, -1.0, 2500.0, 300.0),
            expect: &["YC104"],
        },
        Proposal {
            id: "P22",
            props: json!({"name": "尾矿库安全改造 tailings pond safety rebuild", "kind": "rebuild", "industry": "tailings_pond", "safety_upgrade": true, "land_use": "mining"}),
            geometry: beside(111.4458, 30.4689, 1.0, 1500.0, 300.0),
            expect: &[],
        },
        Proposal {
            id: "P23",
            props: json!({"name": "滨江超高层 riverside tower, 180 m", "kind": "new", "land_use": "commercial", "height_m": 180.0}),
            geometry: beside(111.3092, 30.6606, 1.0, 350.0, 40.0),
            expect: &["YC501", "YC503", "YC504"],
        },
        Proposal {
            id: "P24",
            props: json!({"name": "城市地标塔 city landmark tower, 260 m", "kind": "new", "land_use": "commercial", "height_m": 260.0}),
            geometry: at(111.345, 30.705, 60.0, 60.0),
            expect: &["YC501", "YC502"],
        },
        Proposal {
            id: "P25",
            props: json!({"name": "滨江住宅 riverside housing, 45 m, 400 m back", "kind": "new", "land_use": "residential", "height_m": 45.0}),
            geometry: beside(111.3092, 30.6606, 1.0, 420.0, 40.0),
            expect: &[],
        },
        Proposal {
            id: "P26",
            props: json!({"name": "红线内科研监测站 research station in the red line", "kind": "new", "land_use": "public_service", "activity": "scientific_research", "height_m": 6.0}),
            geometry: at(111.215, 30.80, 30.0, 30.0),
            expect: &["YC201", "YC203", "YC701"],
        },
        Proposal {
            id: "P27",
            props: json!({"name": "湿地临时施工便道 temporary haul road across the wetland, 3 years", "kind": "temporary", "land_use": "transport", "start_date": "2026-03-01", "end_date": "2029-03-01"}),
            geometry: line(&[(111.398, 30.607), (111.427, 30.608)]),
            expect: &["YC205"],
        },
        Proposal {
            id: "P28",
            props: json!({"name": "滨江商业楼 riverside office block across a view corridor", "kind": "new", "land_use": "commercial", "height_m": 36.0}),
            geometry: {
                let sw = ctx.gk(111.318, 30.668);
                rect_at(
                    Coord {
                        x: sw.x + 10.0,
                        y: sw.y + 300.0,
                    },
                    40.0,
                    30.0,
                )
            },
            expect: &["YC403"],
        },
        // The mountain half (issue 15): the terrain rules on the illustrative DEM.
        Proposal {
            id: "P29",
            props: json!({"name": "磨基山西坡酒店 hotel on the steep west flank of Moji mountain", "kind": "new", "land_use": "commercial", "height_m": 15.0}),
            geometry: at(111.2596, 30.6900, 60.0, 60.0),
            expect: &["YC402", "YC601", "YC701", "YC702", "YC703"],
        },
        Proposal {
            id: "P30",
            props: json!({"name": "东山脚超高层 180 m tower at the foot of Dongshan", "kind": "new", "land_use": "commercial", "height_m": 180.0}),
            geometry: at(111.3158, 30.712, 50.0, 50.0),
            expect: &["YC501", "YC704"],
        },
        Proposal {
            id: "P31",
            props: json!({"name": "天然塔旁办公楼 office block by the Tianran pagoda, 60 m", "kind": "new", "land_use": "commercial", "height_m": 60.0}),
            geometry: {
                let c = ctx.gk(LANDMARK.0, LANDMARK.1);
                rect_at(
                    Coord {
                        x: c.x + 150.0,
                        y: c.y + 250.0,
                    },
                    40.0,
                    30.0,
                )
            },
            expect: &["YC705"],
        },
        Proposal {
            id: "P32",
            props: json!({"name": "磨基山前高层 120 m tower in front of Moji mountain, seen from the river", "kind": "new", "land_use": "residential", "height_m": 120.0}),
            geometry: {
                // On the line of sight from the viewpoint facing Moji, 60 m outside its
                // protection line: outside every zone, but above the ridgeline.
                let m = &MOUNTAINS[0];
                let peak = ctx.gk(m.lon, m.lat);
                let text =
                    std::fs::read_to_string(root().join("data/yichang/zones/viewpoints.geojson"))?;
                let vp: geojson::FeatureCollection = text.parse()?;
                let Some(Ok(Geometry::Point(at))) = vp.features[0]
                    .geometry
                    .as_ref()
                    .map(|g| Geometry::<f64>::try_from(g.clone()))
                else {
                    bail!("VP-01 is a point")
                };
                let (dx, dy) = (peak.x - at.x(), peak.y - at.y());
                let d = dx.hypot(dy);
                let r = m.sigma_m * (2.0 * (m.peak_m / MOUNTAIN_LINE_M).ln()).sqrt() + 60.0;
                rect_at(
                    Coord {
                        x: peak.x - dx / d * r,
                        y: peak.y - dy / d * r,
                    },
                    30.0,
                    30.0,
                )
            },
            expect: &["YC504", "YC703"],
        },
        // The regulatory plan (issue 19): proposals on the parcels of unit WJG-03, their
        // fields (but the name, which the format tests use as an id) in a planning
        // submission's Chinese.
        Proposal {
            id: "P33",
            props: json!({"name": "住宅地块上的标准厂房 factory on a housing parcel", "建设性质": "新建", "用地性质": "1001", "行业类别": "装备制造", "建筑高度": 18.0, "建筑面积": 7200.0, "绿地面积": 13000.0}),
            geometry: rect(539_340.0, 3_397_560.0, 539_400.0, 3_397_620.0),
            expect: &["YC801"],
        },
        Proposal {
            id: "P34",
            props: json!({"name": "住宅地块上的商业楼 shops on a housing parcel", "建设性质": "新建", "用地性质": "商业用地", "建筑高度": 12.0, "建筑面积": 3200.0, "绿地面积": 13000.0}),
            geometry: rect(539_420.0, 3_397_560.0, 539_460.0, 3_397_600.0),
            expect: &["YC801"],
        },
        Proposal {
            id: "P35",
            props: json!({"name": "超强度商业综合体 commercial complex over every limit of its parcel", "建设性质": "新建", "用地性质": "0901", "建筑高度": 120.0, "建筑面积": 150000.0, "绿地面积": 3000.0}),
            geometry: rect(539_513.0, 3_397_530.0, 539_680.0, 3_397_680.0),
            expect: &["YC802"],
        },
        Proposal {
            id: "P36",
            props: json!({"name": "跨路教学楼 school building across the road onto the industrial parcel", "建设性质": "扩建", "用地性质": "教育用地", "建筑高度": 20.0, "建筑面积": 8400.0, "绿地面积": 40000.0}),
            geometry: rect(539_450.0, 3_397_350.0, 539_550.0, 3_397_420.0),
            expect: &["YC801", "YC802", "YC803", "YC804"],
        },
        Proposal {
            id: "P37",
            props: json!({"name": "占路售货亭 kiosk on the road", "建设性质": "新建", "用地性质": "0901", "建筑高度": 4.0, "建筑面积": 200.0}),
            geometry: rect(539_692.0, 3_397_550.0, 539_708.0, 3_397_600.0),
            expect: &["YC803"],
        },
        Proposal {
            id: "P38",
            props: json!({"name": "社区服务中心 community centre where the plan has not set the FAR", "建设性质": "新建", "用地性质": "0702", "建筑高度": 15.0, "建筑面积": 2000.0, "绿地面积": 12000.0}),
            geometry: rect(539_760.0, 3_397_350.0, 539_820.0, 3_397_400.0),
            expect: &[],
        },
    ])
}

/// A plot with one side on the urban boundary's north-east edge, inside.
fn edge_plot(ctx: &Ctx) -> Result<Geometry<f64>> {
    let (a, b) = (ctx.gk(111.36, 30.76), ctx.gk(111.42, 30.70));
    let p = |t: f64| Coord {
        x: a.x + (b.x - a.x) * t,
        y: a.y + (b.y - a.y) * t,
    };
    let (p0, p1) = (p(0.40), p(0.43));
    // Inward is to the south-west.
    let (dx, dy) = (b.x - a.x, b.y - a.y);
    let len = dx.hypot(dy);
    let inward = Coord {
        x: -dy / len * 150.0,
        y: dx / len * 150.0,
    };
    let inward = if inward.x < 0.0 {
        inward
    } else {
        Coord {
            x: -inward.x,
            y: -inward.y,
        }
    };
    Ok(Geometry::Polygon(Polygon::new(
        LineString(vec![p0, p1, p1 + inward, p0 + inward, p0]),
        vec![],
    )))
}

fn write_proposals(ctx: &Ctx, list: &[Proposal]) -> Result<()> {
    let features: Vec<_> = list
        .iter()
        .map(|p| {
            let mut g = p.geometry.clone();
            ctx.inv.geometry(&mut g).expect("back to WGS 84");
            (Some(p.id.to_owned()), props(p.props.clone()), g)
        })
        .collect();
    write_collection(
        &root().join("data/yichang/proposals.geojson"),
        "yichang-demo-proposals",
        None,
        &features,
    )
}

/// The demo proposals whose data cannot decide a rule, and those rules (listed in the README):
/// P10 is an industrial project that does not say its industry, 437 m from the Yangtze;
/// P38 stands on a parcel whose FAR the plan has not set (待定).
const UNDETERMINED: &[(&str, &[&str])] =
    &[("P10", &["YC101", "YC102", "YC104"]), ("P38", &["YC802"])];

fn check_proposals(checker: &Checker, list: &[Proposal]) -> Result<()> {
    let src = checker.check_source(
        &root().join("data/yichang/proposals.geojson"),
        &Default::default(),
    )?;
    ensure!(
        src.diagnostics.is_empty(),
        "proposals: {:?}",
        src.diagnostics
    );
    // The whole set, so that the aggregate (share) rules are judged too.
    let frefs: Vec<_> = src.items.iter().map(|c| c.fref.clone()).collect();
    let report = ironrule::report::build::build(checker, vec![src], false);
    let mut bad = Vec::new();
    for (fref, p) in frefs.iter().zip(list) {
        let findings: Vec<_> = report
            .findings
            .iter()
            .filter(|x| x.feature == *fref)
            .collect();
        let got: BTreeSet<&str> = findings
            .iter()
            .filter(|x| x.undetermined.is_none())
            .map(|x| x.code.as_str())
            .collect();
        let want: BTreeSet<&str> = p.expect.iter().copied().collect();
        let open: BTreeSet<&str> = findings
            .iter()
            .filter(|x| x.undetermined.is_some())
            .map(|x| x.code.as_str())
            .collect();
        let open_want: BTreeSet<&str> = UNDETERMINED
            .iter()
            .filter(|(id, _)| *id == p.id)
            .flat_map(|(_, codes)| codes.iter().copied())
            .collect();
        if open != open_want {
            bad.push(format!(
                "{}: expected undetermined {open_want:?}, got {open:?}",
                p.id
            ));
        }
        let detail: Vec<String> = findings
            .iter()
            .map(|x| format!("{} {:.1} {}", x.code, x.measure.value, x.measure.unit))
            .collect();
        println!(
            "{} {:<60} {:?}",
            p.id,
            p.props["name"].as_str().unwrap_or(""),
            detail
        );
        if got != want {
            bad.push(format!("{}: expected {want:?}, got {got:?}", p.id));
        }
    }
    ensure!(
        bad.is_empty(),
        "demo proposals drifted:\n{}",
        bad.join("\n")
    );
    Ok(())
}

/// Attributes that make a rule apply, and (where the rule has a filter) attributes that do not.
fn rule_props(code: &str) -> (Value, Option<Value>) {
    match code {
        "YC101" => (
            json!({"land_use": "industrial", "industry": "chemical", "kind": "new"}),
            Some(json!({"land_use": "industrial", "industry": "chemical", "kind": "rebuild"})),
        ),
        "YC102" | "YC103" => (
            json!({"land_use": "mining", "industry": "tailings_pond", "kind": "new"}),
            Some(
                json!({"land_use": "mining", "industry": "tailings_pond", "kind": "rebuild", "safety_upgrade": true}),
            ),
        ),
        "YC104" | "YC105" => (
            json!({"land_use": "industrial", "industry": "phosphogypsum_stack", "kind": "expansion"}),
            Some(
                json!({"land_use": "industrial", "industry": "building_materials", "kind": "new"}),
            ),
        ),
        "YC202" => (
            json!({"land_use": "logistics", "kind": "new"}),
            Some(json!({"land_use": "agriculture", "kind": "new"})),
        ),
        "YC203" => (
            json!({"land_use": "residential", "kind": "new"}),
            Some(json!({"land_use": "park", "kind": "new"})),
        ),
        "YC301" => (
            json!({"purpose": "catering", "kind": "new"}),
            Some(json!({"purpose": "water_supply", "kind": "new"})),
        ),
        "YC302" => (
            json!({"discharges": true, "kind": "new"}),
            Some(json!({"discharges": false, "kind": "new"})),
        ),
        "YC401" => (
            json!({"purpose": "housing", "kind": "new"}),
            Some(json!({"purpose": "flood_control", "kind": "new"})),
        ),
        "YC205" => (
            json!({"kind": "temporary", "land_use": "transport"}),
            Some(json!({"kind": "new", "land_use": "transport"})),
        ),
        "YC702" => (
            json!({"land_use": "residential", "kind": "new", "height_m": 12.0}),
            Some(json!({"land_use": "transport", "kind": "new"})),
        ),
        "YC704" => (
            json!({"land_use": "commercial", "kind": "new", "height_m": 180.0}),
            Some(json!({"land_use": "commercial", "kind": "new", "height_m": 150.0})),
        ),
        "YC703" => (
            json!({"land_use": "commercial", "kind": "new", "height_m": 60.0}),
            Some(json!({"land_use": "park", "kind": "new", "height_m": 300.0})),
        ),
        "YC705" => (
            json!({"land_use": "commercial", "kind": "new"}),
            Some(json!({"land_use": "park", "kind": "new", "height_m": 300.0})),
        ),
        "YC503" => (
            json!({"land_use": "commercial", "kind": "new", "height_m": 180.0}),
            Some(json!({"land_use": "commercial", "kind": "new", "height_m": 150.0})),
        ),
        _ => (json!({"land_use": "residential", "kind": "new"}), None),
    }
}

fn case(name: &str, base: &Value, expect: &[&str], boundary: bool, g: Geometry<f64>) -> Case {
    let mut p = props(base.clone());
    p.insert("name".into(), json!(name));
    p.insert("expect".into(), json!(expect));
    if boundary {
        p.insert("boundary".into(), json!(true));
    }
    (None, p, g)
}

/// A fixture the rule cannot decide: it must come out undetermined, never passed.
fn open_case(name: &str, base: &Value, code: &str, g: Geometry<f64>) -> Case {
    let mut c = case(name, base, &[], false, g);
    c.1.insert("undetermined".into(), json!([code]));
    c
}

fn square(c: Coord<f64>, size: f64) -> Geometry<f64> {
    Geometry::Polygon(Polygon::new(
        LineString(vec![
            c,
            Coord {
                x: c.x + size,
                y: c.y,
            },
            Coord {
                x: c.x + size,
                y: c.y + size,
            },
            Coord {
                x: c.x,
                y: c.y + size,
            },
            c,
        ]),
        vec![],
    ))
}

/// A rectangle between two corners.
fn rect(x0: f64, y0: f64, x1: f64, y1: f64) -> Geometry<f64> {
    Geometry::Polygon(Rect::new((x0, y0), (x1, y1)).to_polygon())
}

/// Slope fixtures on the demo DEM, found by scanning the flanks of 磨基山 with the library's
/// own Horn slope: a plot all steeper than the limit; a flat plot; a row of ten cell centres
/// of which exactly one (on the plot's edge: boundary included) is steep, 10 % = the limit,
/// which does not fire, and the same row less its last cell, 1 of 9, which does; a plot too
/// small to hold a cell centre (its centroid's cell counts); a plot beyond the DEM
/// (undetermined); and a road over the steep plot, which the rule does not apply to.
fn slope_cases(code: &str, dem: &ironrule::dem::Dem) -> Result<Vec<Case>> {
    use ironrule::dem::slope::slope_deg;
    let (fire, pass) = rule_props(code);
    let pass = pass.context("YC702 has an applies_to")?;
    let cell = dem.transform[1];
    let m = &MOUNTAINS[0];
    let wgs = Crs::wgs84();
    let fwd = Transformer::new(&wgs, &dem.crs)?;
    let c = fwd.coord(Coord { x: m.lon, y: m.lat })?;
    let (cc, cr) = dem.to_grid(c);
    let (c0, r0) = (cc as i64 - 60, cr as i64 - 60);
    let win = dem
        .window(c0 - 1, r0 - 1, c0 + 122, r0 + 122)
        .map_err(anyhow::Error::msg)?;
    let s = |col: i64, row: i64| slope_deg(dem, &win, col, row).unwrap_or(0.0);
    let mut cases = Vec::new();
    // All nine cells of a 3 × 3 block steeper than 27°.
    let block = (r0 + 1..r0 + 119)
        .flat_map(|r| (c0 + 1..c0 + 119).map(move |c| (c, r)))
        .find(|&(c, r)| (-1..=1).all(|dr| (-1..=1).all(|dc| s(c + dc, r + dr) > 27.0)))
        .context("a steep block on Moji mountain")?;
    let centre = dem.centre(block.0, block.1);
    let steep = rect(
        centre.x - 1.4 * cell,
        centre.y - 1.4 * cell,
        centre.x + 1.4 * cell,
        centre.y + 1.4 * cell,
    );
    cases.push(case(
        "plot on a 27°+ flank of Moji mountain",
        &fire,
        &[code],
        false,
        steep.clone(),
    ));
    cases.push(case(
        "road over the same flank (not a building)",
        &pass,
        &[],
        false,
        steep,
    ));
    // A steep cell followed by nine gentle ones along its row.
    let run = (r0 + 1..r0 + 119)
        .flat_map(|r| (c0 + 1..c0 + 110).map(move |c| (c, r)))
        .find(|&(c, r)| s(c, r) > 25.0 && (1..10).all(|k| s(c + k, r) <= 25.0))
        .context("a row where the slope falls under 25°")?;
    let (a, b) = (dem.centre(run.0, run.1), dem.centre(run.0 + 9, run.1));
    let q = cell / 4.0;
    // The steep cell's centre lies on the left edge: it counts (boundary included).
    cases.push(case(
        "ten cell centres, one steep on the edge: 10 % = the limit",
        &fire,
        &[],
        true,
        rect(a.x, a.y - q, b.x + q, a.y + q),
    ));
    let b8 = dem.centre(run.0 + 8, run.1);
    cases.push(case(
        "nine cell centres, one steep on the edge: 11.1 %",
        &fire,
        &[code],
        true,
        rect(a.x, a.y - q, b8.x + q, a.y + q),
    ));
    // Smaller than a cell and off its centre: measured at the cell under its centroid.
    cases.push(case(
        "kiosk between cell centres on the steep flank",
        &fire,
        &[code],
        false,
        rect(
            centre.x + 0.1 * cell,
            centre.y + 0.1 * cell,
            centre.x + 0.3 * cell,
            centre.y + 0.3 * cell,
        ),
    ));
    // Flat ground in the city, east of Dongshan.
    let flat = fwd.coord(Coord {
        x: 111.40,
        y: 30.70,
    })?;
    cases.push(case(
        "plot on flat ground in Wujiagang",
        &fire,
        &[],
        false,
        rect(flat.x, flat.y, flat.x + 80.0, flat.y + 60.0),
    ));
    // Beyond the DEM's west edge, still within the project's area: nothing to measure.
    let ext = dem.extent();
    let west = ext.min().x - 3000.0;
    let mid = (ext.min().y + ext.max().y) / 2.0;
    cases.push(open_case(
        "plot beyond the DEM",
        &fire,
        code,
        rect(west, mid, west + 50.0, mid + 50.0),
    ));
    Ok(cases)
}

/// Elevation fixtures around the landmark: the highest ground under a plot, read from the
/// DEM as the rule reads it, plus heights that put the top above, below and exactly at the
/// zone's limit; a tall building outside the zone; a plot without a height (undetermined).
fn elevation_cases(
    code: &str,
    dem: &ironrule::dem::Dem,
    layers: &[&ZoneLayer],
) -> Result<Vec<Case>> {
    let (fire, pass) = rule_props(code);
    let pass = pass.context("YC705 has an applies_to")?;
    let zone = &layers[0].zones[0];
    let limit = zone
        .properties
        .get("max_top_m")
        .and_then(Value::as_f64)
        .context("max_top_m")?;
    let wgs = Crs::wgs84();
    let fwd = Transformer::new(&wgs, &dem.crs)?;
    let c = fwd.coord(Coord {
        x: LANDMARK.0,
        y: LANDMARK.1,
    })?;
    let plot = rect(c.x + 100.0, c.y + 100.0, c.x + 160.0, c.y + 150.0);
    let cells = dem.cells(&plot);
    let win = dem
        .window(0, 0, i64::from(dem.width), i64::from(dem.height))
        .map_err(anyhow::Error::msg)?;
    let ground = cells
        .inside
        .iter()
        .map(|&(c, r)| win.at(c, r))
        .fold(f64::NEG_INFINITY, f64::max);
    ensure!(ground.is_finite(), "ground under the landmark plot");
    let with_height = |h: f64| {
        let mut p = fire.clone();
        p["height_m"] = json!(h);
        p
    };
    let room = limit - ground;
    Ok(vec![
        case(
            "tower whose top is 10 m above the limit",
            &with_height(room + 10.0),
            &[code],
            false,
            plot.clone(),
        ),
        case(
            "building whose top is 10 m below the limit",
            &with_height(room - 10.0),
            &[],
            false,
            plot.clone(),
        ),
        case(
            "building whose top is exactly at the limit",
            &with_height(room),
            &[],
            true,
            plot.clone(),
        ),
        case(
            "park pavilion (not a building use)",
            &pass,
            &[],
            false,
            plot.clone(),
        ),
        case(
            "tall building 1 km from the landmark (outside the zone)",
            &with_height(room + 100.0),
            &[],
            false,
            rect(c.x + 1000.0, c.y + 1000.0, c.x + 1060.0, c.y + 1050.0),
        ),
        open_case("building without a height in the zone", &fire, code, plot),
    ])
}

/// Skyline fixtures from the viewpoint facing 磨基山: a tower at the mountain's foot on the
/// line of sight, tall enough to rise above the ridge, and the same tower exactly at the
/// ridgeline (the excess is linear in the height: measured once, solved for 0) and 1 cm
/// above it; a low building; a tower behind the mountain, hidden by it; a tower beyond the
/// viewpoints' reach; and one without a height (undetermined).
fn skyline_cases(code: &str, checker: &Checker, rule: &ironrule::rules::Rule) -> Result<Vec<Case>> {
    let (fire, _) = rule_props(code);
    let eval = |g: &Geometry<f64>, h: Option<f64>| -> Result<Option<f64>> {
        let mut p = props(fire.clone());
        match h {
            Some(h) => p.insert("height_m".into(), json!(h)),
            None => p.remove("height_m"),
        };
        let f = ironrule::model::Feature {
            fref: ironrule::model::FeatureRef {
                source: "fixture".into(),
                index: 0,
                id: None,
            },
            properties: p,
            geometry: g.clone(),
        };
        let c = checker.evaluate(f).map_err(|d| anyhow::anyhow!("{d}"))?;
        Ok(c.found
            .iter()
            .find(|x| x.rule.code == rule.code)
            .map(|x| x.hit.value))
    };
    let vp = &checker.layers["viewpoints"];
    let at = vp
        .edges
        .iter()
        .find(|e| e.zone == 0)
        .context("VP-01")?
        .coords
        .0[0];
    let m = &MOUNTAINS[0];
    let wgs = Crs::wgs84();
    let fwd = Transformer::new(&wgs, &checker.project.crs)?;
    let peak = fwd.coord(Coord { x: m.lon, y: m.lat })?;
    let (dx, dy) = (peak.x - at.x, peak.y - at.y);
    let d = dx.hypot(dy);
    let along = |s: f64| Coord {
        x: at.x + dx / d * s,
        y: at.y + dy / d * s,
    };
    // At the foot: 60 m inside the mountain's line on the line of sight (YC701 fires there too).
    let foot = along(d - m.sigma_m * (2.0 * (m.peak_m / MOUNTAIN_LINE_M).ln()).sqrt() + 60.0);
    let tower = rect(foot.x - 20.0, foot.y - 20.0, foot.x + 20.0, foot.y + 20.0);
    let h0 = 300.0;
    let e0 =
        eval(&tower, Some(h0))?.context("a 300 m tower at Moji's foot breaks its ridgeline")?;
    let at_ridge = h0 - e0;
    ensure!(
        at_ridge > 20.0,
        "the ridge is only {at_ridge} m above the foot"
    );
    ensure!(
        eval(&tower, Some(at_ridge))?.is_none(),
        "exactly at the ridgeline must not fire"
    );
    ensure!(
        eval(&tower, Some(at_ridge + 0.01))?.is_some(),
        "1 cm above it must"
    );
    let behind = along(d + 900.0);
    let hidden = rect(
        behind.x - 20.0,
        behind.y - 20.0,
        behind.x + 20.0,
        behind.y + 20.0,
    );
    ensure!(
        eval(&hidden, Some(60.0))?.is_none(),
        "a 60 m tower behind Moji is hidden"
    );
    let far = along(-9000.0);
    let far = rect(far.x - 20.0, far.y - 20.0, far.x + 20.0, far.y + 20.0);
    let with_height = |h: f64| {
        let mut p = fire.clone();
        p["height_m"] = json!(h);
        p
    };
    let mut no_height = fire.clone();
    no_height
        .as_object_mut()
        .expect("object")
        .remove("height_m");
    Ok(vec![
        case(
            "300 m tower at the foot of Moji mountain, above its ridgeline",
            &with_height(h0),
            &[code],
            false,
            tower.clone(),
        ),
        case(
            "tower exactly at the ridgeline",
            &with_height(at_ridge),
            &[],
            true,
            tower.clone(),
        ),
        case(
            "tower 1 cm above the ridgeline",
            &with_height(at_ridge + 0.01),
            &[code],
            true,
            tower.clone(),
        ),
        case(
            "low building at the foot (under the ridgeline)",
            &with_height(12.0),
            &[],
            false,
            tower.clone(),
        ),
        case(
            "60 m tower behind the mountain, hidden by it",
            &with_height(60.0),
            &[],
            false,
            hidden,
        ),
        case(
            "tower 9 km from the viewpoints (beyond their reach)",
            &with_height(h0),
            &[],
            false,
            far,
        ),
        open_case(
            "tower without a height at the foot",
            &no_height,
            code,
            tower,
        ),
    ])
}

fn min_distance(layers: &[&ZoneLayer], g: &Geometry<f64>, limit: f64) -> Option<f64> {
    let fp = Footprint::new(g).expect("valid");
    layers
        .iter()
        .flat_map(|l| setback(&fp, l, limit * 10.0))
        .map(|h| h.value)
        .min_by(f64::total_cmp)
}

/// Setback fixtures: a vertex of the first layer with clear ground due north, so that a
/// square placed exactly `limit` north of it measures exactly `limit`.
fn setback_cases(code: &str, layers: &[&ZoneLayer], limit: f64) -> Result<Vec<Case>> {
    let (fire, pass) = rule_props(code);
    let mut vertices: Vec<Coord<f64>> = layers[0]
        .edges
        .iter()
        .flat_map(|e| e.coords.0.iter().copied())
        .collect();
    vertices.sort_by(|a, b| b.y.total_cmp(&a.y));
    for v in vertices.iter().take(200) {
        let at = |d: f64| square(Coord { x: v.x, y: v.y + d }, 50.0);
        if min_distance(layers, &at(limit), limit) != Some(limit) {
            continue;
        }
        if min_distance(layers, &at(limit + 0.01), limit).is_some_and(|d| d <= limit) {
            continue;
        }
        let far = at(limit * 2.5);
        if min_distance(layers, &far, limit).is_some_and(|d| d <= limit) {
            continue;
        }
        let mut cases = vec![
            case(
                &format!("{} m from the zone: inside the limit", limit / 2.0),
                &fire,
                &[code],
                false,
                at(limit / 2.0),
            ),
            case(
                &format!("exactly {limit} m: on the limit, which is inclusive"),
                &fire,
                &[code],
                true,
                at(limit),
            ),
            case(
                &format!("{limit}.01 m: 1 cm beyond the limit"),
                &fire,
                &[],
                true,
                at(limit + 0.01),
            ),
            case(&format!("{} m away", limit * 2.5), &fire, &[], false, far),
            case(
                "a point footprint inside the limit",
                &fire,
                &[code],
                false,
                Geometry::Point(Point(Coord {
                    x: v.x,
                    y: v.y + limit / 3.0,
                })),
            ),
        ];
        if let Some(pass) = pass {
            cases.push(case(
                "inside the limit, but the rule does not apply to it",
                &pass,
                &[],
                false,
                at(limit / 2.0),
            ));
        }
        return Ok(cases);
    }
    bail!("{code}: no vertex with clear ground to the north")
}

/// Share fixtures: one scenario, judged together. Two plots on Moji mountain's green space in
/// D-XL take more landscape together than the district can spare above its target, so both
/// fire; a plot on the city part of D-XL takes none; one touching the green space from outside
/// takes none (the boundary); one on landscape in a district with room to spare does not fire.
fn share_cases(code: &str, layers: &[&ZoneLayer]) -> Result<Vec<Case>> {
    let green = layers
        .iter()
        .find(|l| l.name == "green_register")
        .context("green_register")?;
    let moji = green
        .zones
        .iter()
        .position(|z| z.id == "G-02")
        .context("G-02")?;
    let piece = green
        .pieces
        .iter()
        .find(|p| p.zone == moji)
        .context("G-02 polygon")?;
    let c = piece.polygon.interior_point().context("interior")?.0;
    let east = piece
        .polygon
        .exterior()
        .0
        .iter()
        .copied()
        .max_by(|a, b| a.x.total_cmp(&b.x))
        .context("vertices")?;
    let base = json!({"land_use": "residential", "kind": "new"});
    let at = |dx: f64, dy: f64, s: f64| {
        square(
            Coord {
                x: c.x + dx,
                y: c.y + dy,
            },
            s,
        )
    };
    Ok(vec![
        case(
            "70 × 70 m on Moji mountain: together with the next plot, below D-XL's target",
            &base,
            &[code],
            false,
            at(-200.0, -30.0, 70.0),
        ),
        case(
            "80 × 80 m on Moji mountain: together with the previous plot, below the target",
            &base,
            &[code],
            false,
            at(100.0, -35.0, 80.0),
        ),
        case(
            "on the city part of D-XL: takes no landscape",
            &base,
            &[],
            false,
            square(
                Coord {
                    x: 531_800.0,
                    y: 3_397_900.0,
                },
                50.0,
            ),
        ),
        case(
            "touching Moji mountain's green space from outside: takes 0 m²",
            &base,
            &[],
            true,
            square(east, 40.0),
        ),
    ])
}

/// Fixtures for a duration limited by the zone it falls in (YC205: temporary occupation of
/// a wetland): durations on and just past the zone's limit, inside and outside the zone.
fn duration_cases(code: &str, layers: &[&ZoneLayer]) -> Result<Vec<Case>> {
    let zone = &layers[0].zones[0];
    let years = zone
        .properties
        .get("max_temporary_years")
        .and_then(Value::as_f64)
        .context("max_temporary_years")?;
    let poly = layers[0].pieces.first().context("a wetland polygon")?;
    let inside = poly.polygon.interior_point().context("interior")?.0;
    let outside = Coord {
        x: inside.x,
        y: inside.y + 20_000.0,
    };
    let span = |start: &str, end: &str| json!({"kind": "temporary", "land_use": "transport", "start_date": start, "end_date": end});
    let y = years as i32;
    let end_exact = format!("{}-03-01", 2024 + y);
    let end_over = format!("{}-03-02", 2024 + y);
    Ok(vec![
        case(
            &format!("exactly {y} calendar years: allowed"),
            &span("2024-03-01", &end_exact),
            &[],
            true,
            square(inside, 30.0),
        ),
        case(
            &format!("{y} years and a day: over"),
            &span("2024-03-01", &end_over),
            &[code],
            true,
            square(inside, 30.0),
        ),
        case(
            &format!(
                "{y} years across a leap day (2024-01-01 to {}-01-01): allowed",
                2024 + y
            ),
            &span("2024-01-01", &format!("{}-01-01", 2024 + y)),
            &[],
            true,
            square(inside, 30.0),
        ),
        case(
            "one year: allowed",
            &span("2025-01-01", "2026-01-01"),
            &[],
            false,
            square(inside, 30.0),
        ),
        case(
            "five years, but outside every wetland",
            &span("2025-01-01", "2030-01-01"),
            &[],
            false,
            square(outside, 30.0),
        ),
        open_case(
            "no end date: undetermined, never passed",
            &json!({"kind": "temporary", "land_use": "transport", "start_date": "2025-01-01"}),
            code,
            square(inside, 30.0),
        ),
        case(
            "permanent, not temporary: another rule's business",
            &json!({"kind": "new", "land_use": "transport", "start_date": "2025-01-01", "end_date": "2035-01-01"}),
            &[],
            false,
            square(inside, 30.0),
        ),
    ])
}

/// Attribute fixtures: around a flat `max` (at, just above, well below, not a number), and for
/// distance bands, squares due north of a clear baseline vertex at distances on and just past
/// each band's inclusive edge.
fn attribute_cases(
    code: &str,
    max: Option<f64>,
    bands: &[(f64, f64)],
    layers: &[&ZoneLayer],
) -> Result<Vec<Case>> {
    let h = |v: Value| json!({"land_use": "commercial", "kind": "new", "height_m": v});
    if let Some(m) = max {
        // Placed in the city, far from the river: only the flat limit applies.
        let c = Coord {
            x: 531_800.0,
            y: 3_397_900.0,
        };
        return Ok(vec![
            case(
                &format!("exactly {m} m: at the limit, allowed"),
                &h(json!(m)),
                &[],
                true,
                square(c, 40.0),
            ),
            case(
                &format!("{} m: 10 cm over", m + 0.1),
                &h(json!(m + 0.1)),
                &[code],
                true,
                square(c, 40.0),
            ),
            case(
                &format!("{} m: well below", m / 2.0),
                &h(json!(m / 2.0)),
                &[],
                false,
                square(c, 40.0),
            ),
            open_case(
                "a height that is not a number: undetermined, never passed",
                &h(json!("very tall")),
                code,
                square(c, 40.0),
            ),
            open_case(
                "no height declared: undetermined, never passed",
                &json!({"land_use": "commercial", "kind": "new"}),
                code,
                square(c, 40.0),
            ),
        ]);
    }
    let mut vertices: Vec<Coord<f64>> = layers[0]
        .edges
        .iter()
        .flat_map(|e| e.coords.0.iter().copied())
        .collect();
    vertices.sort_by(|a, b| b.y.total_cmp(&a.y));
    let reach = bands.last().context("bands")?.0;
    for v in vertices.iter().take(200) {
        let at = |d: f64| square(Coord { x: v.x, y: v.y + d }, 30.0);
        // Exact distances, and no other part of the baseline nearer.
        if bands
            .iter()
            .any(|(to, _)| min_distance(layers, &at(*to), reach) != Some(*to))
        {
            continue;
        }
        let mut cases = Vec::new();
        let mut lo = 0.0;
        for (i, &(to, allowed)) in bands.iter().enumerate() {
            let mid = (lo + to) / 2.0;
            cases.push(case(&format!("{mid} m from the river, {} m tall: over the {allowed} m of the {lo}–{to} m band", allowed + 10.0), &h(json!(allowed + 10.0)), &[code], false, at(mid)));
            cases.push(case(
                &format!("{mid} m, exactly {allowed} m tall: allowed"),
                &h(json!(allowed)),
                &[],
                false,
                at(mid),
            ));
            cases.push(case(
                &format!(
                    "exactly {to} m: still the {lo}–{to} m band (edges inclusive), {} m tall fires",
                    allowed + 0.5
                ),
                &h(json!(allowed + 0.5)),
                &[code],
                true,
                at(to),
            ));
            if let Some(&(_, next)) = bands.get(i + 1) {
                cases.push(case(
                    &format!("{to}.01 m: the next band allows {next} m"),
                    &h(json!(next)),
                    &[],
                    true,
                    at(to + 0.01),
                ));
            }
            lo = to;
        }
        cases.push(case(
            &format!(
                "{} m: beyond the last band, no height limit here",
                reach * 1.5
            ),
            &h(json!(500.0)),
            &[],
            false,
            at(reach * 1.5),
        ));
        cases.push(open_case(
            "a height that is not a number near the river: undetermined, never passed",
            &h(json!("tall")),
            code,
            at(bands[0].0 / 2.0),
        ));
        return Ok(cases);
    }
    bail!("{code}: no baseline vertex with clear ground to the north")
}

/// An edge of the zone at least `min_len` long, with the unit normal pointing out of it.
fn edges(poly: &Polygon<f64>, min_len: f64) -> Vec<(Coord<f64>, Coord<f64>, Coord<f64>)> {
    let ccw = poly.signed_area() > 0.0;
    poly.exterior()
        .lines()
        .filter_map(|l| {
            let (dx, dy) = (l.end.x - l.start.x, l.end.y - l.start.y);
            let len = dx.hypot(dy);
            let out = if ccw {
                Coord {
                    x: dy / len,
                    y: -dx / len,
                }
            } else {
                Coord {
                    x: -dy / len,
                    y: dx / len,
                }
            };
            (len >= min_len).then_some((l.start, l.end, out))
        })
        .collect()
}

fn first_polygon(g: &Geometry<f64>) -> Option<Polygon<f64>> {
    match g {
        Geometry::Polygon(p) => Some(p.clone()),
        Geometry::MultiPolygon(m) => m.0.first().cloned(),
        _ => None,
    }
}

fn tri(a: Coord<f64>, b: Coord<f64>, c: Coord<f64>) -> Geometry<f64> {
    Geometry::Polygon(Polygon::new(LineString(vec![a, b, c, a]), vec![]))
}

/// Overlap and within fixtures, drawn on an edge of the layer's first zone.
fn area_cases(
    code: &str,
    test: &Test,
    layers: &[&ZoneLayer],
    zone_file: &Path,
    target: &Crs,
) -> Result<Vec<Case>> {
    let (fire, pass) = rule_props(code);
    let src = io::read(zone_file, ReadOptions::new(target))?;
    let zone = first_polygon(&src.features[0].geometry).context("an areal zone")?;
    let inside = zone.interior_point().context("interior point")?.0;
    let fires = |g: &Geometry<f64>| -> bool {
        let fp = Footprint::new(g).expect("valid");
        match test {
            Test::Overlap { .. } => layers.iter().any(|l| !overlap(&fp, l, 0.0).is_empty()),
            Test::Within { .. } => within(&fp, layers).is_some(),
            Test::Setback { .. }
            | Test::Attribute { .. }
            | Test::Share { .. }
            | Test::Slope { .. }
            | Test::Elevation { .. }
            | Test::Skyline { .. }
            | Test::LandUse { .. }
            | Test::PlanLimits { .. }
            | Test::ParcelFit { .. } => unreachable!(),
        }
    };
    let bbox = zone.bounding_rect().context("bbox")?;
    let far = square(
        Coord {
            x: bbox.max().x + 3000.0,
            y: bbox.max().y + 3000.0,
        },
        50.0,
    );
    for (a, b, out) in edges(&zone, 10.0) {
        let m = Coord {
            x: (a.x + b.x) / 2.0,
            y: (a.y + b.y) / 2.0,
        };
        let h = 20.0_f64.min((a.x - b.x).hypot(a.y - b.y) / 2.0);
        let outside_tri = tri(
            a,
            b,
            Coord {
                x: m.x + out.x * h,
                y: m.y + out.y * h,
            },
        );
        let inside_tri = tri(
            a,
            b,
            Coord {
                x: m.x - out.x * h,
                y: m.y - out.y * h,
            },
        );
        let across = Geometry::LineString(LineString(vec![
            Coord {
                x: m.x + out.x * 30.0,
                y: m.y + out.y * 30.0,
            },
            Coord {
                x: m.x - out.x * 30.0,
                y: m.y - out.y * 30.0,
            },
        ]));
        let centre = square(
            Coord {
                x: inside.x - 10.0,
                y: inside.y - 10.0,
            },
            20.0,
        );
        let cases = match test {
            Test::Overlap { .. } => vec![
                case("a plot inside the zone", &fire, &[code], false, centre),
                case(
                    "a plot touching the zone's edge from outside: touching is not overlap",
                    &fire,
                    &[],
                    true,
                    outside_tri.clone(),
                ),
                case(
                    "the mirror plot just inside the same edge",
                    &fire,
                    &[code],
                    true,
                    inside_tri.clone(),
                ),
                case(
                    "a point exactly on the edge: not inside",
                    &fire,
                    &[],
                    true,
                    Geometry::Point(Point(m)),
                ),
                case(
                    "a road crossing the edge: 30 m inside",
                    &fire,
                    &[code],
                    false,
                    across.clone(),
                ),
                case("a plot 3 km away", &fire, &[], false, far.clone()),
            ],
            Test::Within { .. } => vec![
                case("a plot well inside", &fire, &[], false, centre),
                case(
                    "a plot touching the edge from inside: covered",
                    &fire,
                    &[],
                    true,
                    inside_tri.clone(),
                ),
                case(
                    "a plot touching the edge from outside: wholly outside",
                    &fire,
                    &[code],
                    true,
                    outside_tri.clone(),
                ),
                case(
                    "a road crossing the edge: 30 m outside",
                    &fire,
                    &[code],
                    false,
                    across.clone(),
                ),
                case("a plot 3 km away", &fire, &[code], false, far.clone()),
            ],
            Test::Setback { .. }
            | Test::Attribute { .. }
            | Test::Share { .. }
            | Test::Slope { .. }
            | Test::Elevation { .. }
            | Test::Skyline { .. }
            | Test::LandUse { .. }
            | Test::PlanLimits { .. }
            | Test::ParcelFit { .. } => unreachable!(),
        };
        // Keep this edge only if the cases the engine sees agree with what they claim: the
        // edge may be next to another zone of the layer.
        let agree = cases.iter().all(|(_, p, g)| {
            let want = p["expect"].as_array().is_some_and(|a| !a.is_empty());
            fires(g) == want
        });
        if !agree {
            continue;
        }
        let mut cases = cases;
        if let Some(pass) = pass {
            let g = match test {
                Test::Within { .. } => far,
                _ => inside_tri,
            };
            cases.push(case(
                "where the rule would fire, but it does not apply to this proposal",
                &pass,
                &[],
                false,
                g,
            ));
        }
        return Ok(cases);
    }
    bail!(
        "{code}: no edge of {} gives clean fixtures",
        zone_file.display()
    )
}

/// YC101 read through the attribute dictionary, on the first fixture's footprint (inside the
/// limit): written the Chinese way, capitalised, without its industry, with an industry
/// outside the vocabulary, and housing without an industry field (decided by the guard).
fn dictionary_cases(g: &Geometry<f64>) -> Vec<Case> {
    vec![
        case(
            "written the Chinese way (项目名称, 行业类别 化工, 建设性质 新建, 用地性质 工业用地): the same finding",
            &json!({"项目名称": "猇亭化工新材料项目", "行业类别": "化工", "建设性质": "新建", "用地性质": "工业用地"}),
            &["YC101"],
            false,
            g.clone(),
        ),
        open_case(
            "an industrial project whose industry is not given, inside the limit: undetermined, never passed",
            &json!({"land_use": "industrial", "kind": "new"}),
            "YC101",
            g.clone(),
        ),
        open_case(
            "an industry outside the vocabulary (纺织印染): undetermined, never passed",
            &json!({"land_use": "industrial", "industry": "纺织印染", "kind": "new"}),
            "YC101",
            g.clone(),
        ),
        case(
            "capitalised values (Chemical, New) are the same values",
            &json!({"land_use": "industrial", "industry": "Chemical", "kind": "New"}),
            &["YC101"],
            false,
            g.clone(),
        ),
        case(
            "housing without an industry field, inside the limit: decided (the land-use guard), not undetermined",
            &json!({"land_use": "residential", "kind": "new"}),
            &[],
            false,
            g.clone(),
        ),
    ]
}

/// Fixtures of the regulatory-plan rules, on the demo plan's parcels (see [`plan_parcels`]):
/// WJG03-01 is housing (070102: FAR 2.5, coverage 30 %, green 35 %, 80 m, setback 5 m) at
/// x 539300–539490, y 3397510–3397700; WJG03-02 commerce east of it across a 20 m road;
/// WJG03-05 industry (M1) and WJG03-06 community services (FAR 待定) in the row below.
fn plan_cases(code: &str, checker: &Checker) -> Result<Vec<Case>> {
    let parcels = &checker.layers["planning_parcels"];
    let area = |id: &str| {
        parcels
            .zones
            .iter()
            .find(|z| z.id == id)
            .map(|z| z.area_m2)
            .context("a demo parcel")
    };
    let a1 = area("WJG03-01")?;
    let on_01 = rect(539_340.0, 3_397_560.0, 539_400.0, 3_397_620.0);
    let base = |extra: Value| {
        let mut b = json!({"kind": "new", "land_use": "0701", "height_m": 30.0, "floor_area_m2": 30000.0, "green_area_m2": 13000.0});
        for (k, v) in extra.as_object().expect("an object") {
            b[k] = v.clone();
        }
        b
    };
    let me = [code];
    let cases = match code {
        "YC801" => vec![
            case(
                "1001 industry on housing parcel WJG03-01 (070102, row 07): prohibited",
                &base(json!({"land_use": "1001", "industry": "manufacturing"})),
                &me,
                false,
                on_01.clone(),
            ),
            case(
                "0901 commerce on housing parcel WJG03-01: conditional, requires approval",
                &base(json!({"land_use": "0901"})),
                &me,
                false,
                on_01.clone(),
            ),
            case(
                "0701 housing on WJG03-01: allowed",
                &base(json!({})),
                &[],
                false,
                on_01.clone(),
            ),
            case(
                "R2, an old plan's letter code for 070102, on WJG03-01: allowed",
                &base(json!({"land_use": "R2"})),
                &[],
                false,
                on_01.clone(),
            ),
            case(
                "1001 industry on WJG03-05 (M1, row 10): allowed",
                &base(json!({"land_use": "1001", "industry": "manufacturing"})),
                &[],
                false,
                rect(539_560.0, 3_397_360.0, 539_600.0, 3_397_400.0),
            ),
            case(
                "0804 school on WJG03-06 (0702 has its own row: 08 allowed)",
                &base(json!({"land_use": "0804"})),
                &[],
                false,
                rect(539_760.0, 3_397_360.0, 539_800.0, 3_397_400.0),
            ),
            case(
                "0701 housing on WJG03-06 (0702's own row: conditional)",
                &base(json!({"land_use": "0701"})),
                &me,
                false,
                rect(539_760.0, 3_397_360.0, 539_800.0, 3_397_400.0),
            ),
            case(
                "1001 in the road with one edge on WJG03-01's line: touching is not standing on it",
                &base(json!({"land_use": "1001", "industry": "manufacturing"})),
                &[],
                true,
                rect(539_490.0, 3_397_560.0, 539_500.0, 3_397_600.0),
            ),
            case(
                "1001 1 cm across WJG03-01's line: 0.4 m² on it fires",
                &base(json!({"land_use": "1001", "industry": "manufacturing"})),
                &me,
                true,
                rect(539_489.99, 3_397_560.0, 539_500.0, 3_397_600.0),
            ),
            open_case(
                "no land use on WJG03-01: undetermined",
                &json!({"kind": "new"}),
                code,
                on_01.clone(),
            ),
            open_case(
                "land use 0799, no class of the classification: undetermined",
                &base(json!({"land_use": "0799"})),
                code,
                on_01.clone(),
            ),
        ],
        "YC802" => {
            let far_at = 2.5 * a1;
            let green_at = 0.35 * a1;
            let mut c = vec![
                case(
                    "60 × 60 m housing within every limit of WJG03-01",
                    &base(json!({})),
                    &[],
                    false,
                    on_01.clone(),
                ),
                case(
                    "exactly the 80 m height limit: allowed",
                    &base(json!({"height_m": 80.0})),
                    &[],
                    true,
                    on_01.clone(),
                ),
                case(
                    "80.01 m: over the 80 m limit",
                    &base(json!({"height_m": 80.01})),
                    &me,
                    true,
                    on_01.clone(),
                ),
                case(
                    "floor area of exactly FAR 2.5 on WJG03-01: allowed",
                    &base(json!({"floor_area_m2": far_at})),
                    &[],
                    true,
                    on_01.clone(),
                ),
                case(
                    "1 m² more floor area than FAR 2.5 allows",
                    &base(json!({"floor_area_m2": far_at + 1.0})),
                    &me,
                    true,
                    on_01.clone(),
                ),
                case(
                    "footprint of exactly 30 % of WJG03-01 (114 × 95 m): allowed",
                    &base(json!({})),
                    &[],
                    true,
                    rect(539_340.0, 3_397_560.0, 539_454.0, 3_397_655.0),
                ),
                case(
                    "footprint of 30.3 % (114 × 96 m): over the coverage",
                    &base(json!({})),
                    &me,
                    false,
                    rect(539_340.0, 3_397_560.0, 539_454.0, 3_397_656.0),
                ),
                case(
                    "green area of exactly 35 %: allowed",
                    &base(json!({"green_area_m2": green_at})),
                    &[],
                    true,
                    on_01.clone(),
                ),
                case(
                    "1 m² less green than 35 %",
                    &base(json!({"green_area_m2": green_at - 1.0})),
                    &me,
                    true,
                    on_01.clone(),
                ),
                case(
                    "exactly the 5 m setback from the parcel line: allowed",
                    &base(json!({})),
                    &[],
                    true,
                    rect(539_305.0, 3_397_560.0, 539_345.0, 3_397_600.0),
                ),
                case(
                    "4.99 m from the parcel line: inside the setback",
                    &base(json!({})),
                    &me,
                    true,
                    rect(539_304.99, 3_397_560.0, 539_345.0, 3_397_600.0),
                ),
                case(
                    "a pavilion on park WJG03-03, which sets no FAR: no floor area needed",
                    &json!({"kind": "new", "land_use": "1401", "height_m": 6.0, "green_area_m2": 26000.0}),
                    &[],
                    false,
                    rect(539_760.0, 3_397_560.0, 539_780.0, 3_397_580.0),
                ),
                open_case(
                    "no floor area where WJG03-01 sets a FAR: undetermined",
                    &json!({"kind": "new", "land_use": "0701", "height_m": 30.0, "green_area_m2": 13000.0}),
                    code,
                    on_01.clone(),
                ),
                open_case(
                    "on WJG03-06, whose FAR is 待定 (not set): undetermined",
                    &base(json!({"land_use": "0702", "green_area_m2": 12000.0, "height_m": 15.0})),
                    code,
                    rect(539_760.0, 3_397_350.0, 539_820.0, 3_397_400.0),
                ),
            ];
            // Boundaries drawn in floating point: 1e-9 of the limit either way passes.
            for (i, t) in [(3, 1e-9), (5, 1e-9), (7, 1e-9)] {
                c[i].1.insert("tolerance".into(), json!(t));
            }
            c
        }
        "YC803" => vec![
            case(
                "a kiosk in the road between WJG03-01 and WJG03-02",
                &base(json!({})),
                &me,
                false,
                rect(539_492.0, 3_397_550.0, 539_508.0, 3_397_600.0),
            ),
            case(
                "wholly on WJG03-01",
                &base(json!({})),
                &[],
                false,
                on_01.clone(),
            ),
            case(
                "on WJG03-01 with one edge on its line: 0 m² off it",
                &base(json!({})),
                &[],
                true,
                rect(539_480.0, 3_397_560.0, 539_490.0, 3_397_600.0),
            ),
            case(
                "1 cm over WJG03-01's line into the road: 0.4 m² off every parcel",
                &base(json!({})),
                &me,
                true,
                rect(539_480.0, 3_397_560.0, 539_490.01, 3_397_600.0),
            ),
            case(
                "beyond the plan unit: the plan does not reach it",
                &base(json!({})),
                &[],
                false,
                rect(540_000.0, 3_397_560.0, 540_040.0, 3_397_600.0),
            ),
            case(
                "on WJG03-03 and beyond the unit's east edge: the part beyond is not the plan's",
                &base(json!({"land_use": "1401", "height_m": 6.0})),
                &[],
                false,
                rect(539_880.0, 3_397_560.0, 539_920.0, 3_397_580.0),
            ),
        ],
        "YC804" => vec![
            case(
                "across the road from WJG03-01 onto WJG03-02",
                &base(json!({})),
                &me,
                false,
                rect(539_480.0, 3_397_560.0, 539_520.0, 3_397_600.0),
            ),
            case(
                "wholly on WJG03-01",
                &base(json!({})),
                &[],
                false,
                on_01.clone(),
            ),
            case(
                "1.01 m² on WJG03-02 (0.0101 × 100 m): counts",
                &base(json!({})),
                &me,
                true,
                rect(539_480.0, 3_397_550.0, 539_510.010_1, 3_397_650.0),
            ),
            case(
                "0.99 m² on WJG03-02 (0.0099 × 100 m): a sliver that does not count",
                &base(json!({})),
                &[],
                true,
                rect(539_480.0, 3_397_550.0, 539_510.009_9, 3_397_650.0),
            ),
        ],
        other => bail!("no plan fixtures for {other}"),
    };
    Ok(cases)
}

fn fixtures(checker: &Checker) -> Result<()> {
    for rule in checker.rules() {
        let layers: Vec<&ZoneLayer> = rule
            .test
            .layers()
            .iter()
            .map(|l| &checker.layers[l])
            .collect();
        let cases = match &rule.test {
            Test::Setback { distance_m, .. } => setback_cases(&rule.code, &layers, *distance_m)?,
            Test::Share { .. } => share_cases(&rule.code, &layers)?,
            Test::Attribute {
                max: None,
                bands,
                zones,
                ..
            } if bands.is_empty() && !zones.is_empty() => duration_cases(&rule.code, &layers)?,
            Test::Attribute { max, bands, .. } => {
                attribute_cases(&rule.code, *max, bands, &layers)?
            }
            Test::Slope { dem, .. } => slope_cases(&rule.code, &checker.dems[dem])?,
            Test::Elevation { dem, .. } => {
                elevation_cases(&rule.code, &checker.dems[dem], &layers)?
            }
            Test::Skyline { .. } => skyline_cases(&rule.code, checker, rule)?,
            Test::LandUse { .. } | Test::PlanLimits { .. } | Test::ParcelFit { .. } => {
                plan_cases(&rule.code, checker)?
            }
            test => {
                let spec = checker
                    .project
                    .layers
                    .iter()
                    .find(|l| l.name == rule.test.layers()[0])
                    .context("layer")?;
                area_cases(&rule.code, test, &layers, &spec.path, &checker.project.crs)?
            }
        };
        let mut cases = cases;
        if rule.code == "YC101" {
            cases.extend(dictionary_cases(&cases[0].2));
        }
        let path = rule.dir.join("fixtures/cases.geojson");
        write_collection(
            &path,
            &format!("{} fixtures", rule.code),
            Some("urn:ogc:def:crs:EPSG::4546"),
            &cases,
        )?;
        println!("{}: {} fixtures", rule.code, cases.len());
    }
    Ok(())
}

fn main() -> Result<()> {
    let wgs = Crs::wgs84();
    let gk = Crs::parse("EPSG:4546")?;
    let ctx = Ctx {
        fwd: Transformer::new(&wgs, &gk)?,
        inv: Transformer::new(&gk, &wgs)?,
    };
    zones(&ctx)?;
    let list = proposals(&ctx)?;
    write_proposals(&ctx, &list)?;
    let project = Project::load(&root().join("data/yichang/ironrule.toml"))?;
    let checker = Checker::load(project)?;
    ensure!(
        checker.diagnostics.is_empty(),
        "zones: {:?}",
        checker.diagnostics
    );
    for (name, layer) in checker.layers.iter() {
        println!(
            "layer {name}: {} zones, {} indexed parts",
            layer.zones.len(),
            layer.part_count()
        );
    }
    check_proposals(&checker, &list)?;
    fixtures(&checker)?;
    Ok(())
}
