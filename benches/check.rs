//! Criterion benchmarks: building the zone index, checking one footprint against the Yichang
//! pack (target ≤ 1 ms warm), the audit's inner loop, the cost of a huge zone against a
//! simple one, and the findings layer's reprojection to WGS 84 against proj4rs' pipeline.
//!
//! ```sh
//! cargo bench --bench check
//! ```

use criterion::{black_box, criterion_group, criterion_main, BenchmarkId, Criterion};
use geo::{Coord, Geometry, LineString, Polygon, Rect};
use ironrule::engine::{overlap::overlap, setback::setback, Checker};
use ironrule::geom::Footprint;
use ironrule::index::ZoneLayer;
use ironrule::io::{self, ReadOptions};
use ironrule::project::Project;
use std::path::PathBuf;

fn demo() -> Checker {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    Checker::load(Project::load(&root.join("data/yichang/ironrule.toml")).expect("demo project"))
        .expect("demo loads")
}

fn index_build(c: &mut Criterion) {
    let checker = demo();
    let features: Vec<_> = checker
        .project
        .layers
        .iter()
        .map(|l| {
            let src = io::read(&l.path, ReadOptions::new(&checker.project.crs)).expect("zones");
            (l.name.clone(), src.features)
        })
        .collect();
    c.bench_function("index_build/yichang_demo_zones", |b| {
        b.iter(|| {
            features
                .iter()
                .map(|(n, f)| ZoneLayer::build(n, f.clone()).part_count())
                .sum::<usize>()
        })
    });
}

/// The findings of one feature, through the one evaluation entry point (the feature is
/// copied in, as a reader hands it over).
fn findings(checker: &Checker, f: &ironrule::model::Feature) -> usize {
    checker
        .evaluate(f.clone())
        .map_or(0, |c| checker.findings(c).len())
}

fn check_one(c: &mut Criterion) {
    let checker = demo();
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let src = io::read(
        &root.join("data/yichang/proposals.geojson"),
        ReadOptions::new(&checker.project.crs),
    )
    .expect("proposals");
    let p01 = src
        .features
        .iter()
        .find(|f| f.fref.id.as_deref() == Some("P01"))
        .expect("P01")
        .clone();
    c.bench_function("check/one_footprint_yichang_pack", |b| {
        b.iter(|| findings(&checker, black_box(&p01)))
    });
    c.bench_function("check/all_22_demo_proposals", |b| {
        b.iter(|| {
            src.features
                .iter()
                .map(|f| findings(&checker, f))
                .sum::<usize>()
        })
    });
}

/// The audit's inner loop: a batch of 4,096 parcels (the 22 demo proposals, repeated and
/// shifted on a 100 m grid around Yichang) read from a GeoJSON sequence, validated and
/// checked on all cores, as `ironrule audit` does per batch; against the same batch checked
/// one feature at a time (the baseline in the same run).
fn audit_inner_loop(c: &mut Criterion) {
    use rayon::prelude::*;
    let checker = demo();
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let src = io::read(
        &root.join("data/yichang/proposals.geojson"),
        ReadOptions::new(&checker.project.crs),
    )
    .expect("proposals");
    let mut batch = Vec::with_capacity(4096);
    for i in 0..4096 {
        let mut f = src.features[i % src.features.len()].clone();
        let (dx, dy) = ((i % 64) as f64 * 100.0, (i / 64) as f64 * 100.0);
        geo::MapCoordsInPlace::map_coords_in_place(&mut f.geometry, |c| Coord {
            x: c.x + dx - 3200.0,
            y: c.y + dy - 3200.0,
        });
        batch.push(f);
    }
    let mut group = c.benchmark_group("audit_inner_loop_4096");
    group.sample_size(20);
    group.bench_function("parallel", |b| {
        b.iter(|| {
            batch
                .par_iter()
                .map(|f| findings(&checker, f))
                .sum::<usize>()
        })
    });
    group.bench_function("sequential_baseline", |b| {
        b.iter(|| batch.iter().map(|f| findings(&checker, f)).sum::<usize>())
    });
    group.finish();
}

/// A star polygon with `n` vertices around (0, 0), radius about 10 km.
fn star(n: usize) -> Polygon<f64> {
    let ring: LineString<f64> = (0..n)
        .map(|i| {
            let a = i as f64 / n as f64 * std::f64::consts::TAU;
            let r = 10_000.0 + 50.0 * ((i * 7919) % 13) as f64;
            (r * a.cos(), r * a.sin())
        })
        .collect();
    Polygon::new(ring, vec![])
}

/// 1,000 small plots on a grid across the zone's edge and inside it.
fn plots() -> Vec<Footprint> {
    (0..1000)
        .map(|i| {
            let (x, y) = (
                -12_000.0 + (i % 40) as f64 * 600.0,
                -12_000.0 + (i / 40) as f64 * 960.0,
            );
            Footprint::new(&Geometry::Polygon(
                Rect::new(
                    Coord { x, y },
                    Coord {
                        x: x + 80.0,
                        y: y + 60.0,
                    },
                )
                .to_polygon(),
            ))
            .expect("valid")
        })
        .collect()
}

fn big_zone(c: &mut Criterion) {
    let plots = plots();
    let mut group = c.benchmark_group("big_zone_1000_plots");
    group.sample_size(10);
    for n in [4usize, 500_000] {
        let layer = ZoneLayer::from_geometries("z", vec![Geometry::Polygon(star(n))]);
        group.bench_with_input(
            BenchmarkId::new("overlap_and_setback_500m", n),
            &layer,
            |b, layer| {
                b.iter(|| {
                    plots
                        .iter()
                        .map(|p| overlap(p, layer, 0.0).len() + setback(p, layer, 500.0).len())
                        .sum::<usize>()
                })
            },
        );
    }
    group.finish();
}

/// 1,000 vertices around Yichang from CGCS2000 / 3-degree Gauss-Kruger CM 111E to WGS 84: the
/// transformer the findings layer uses (Krüger's series, `crs::tmerc`) against proj4rs'
/// pipeline, the baseline measured in the same run.
fn to_wgs84(c: &mut Criterion) {
    use ironrule::crs::{Crs, Transformer};
    let from = Crs::parse("EPSG:4546").expect("4546");
    let t = Transformer::new(&from, &Crs::wgs84()).expect("transformer");
    let src = proj4rs::Proj::from_proj_string(from.proj4.as_deref().expect("proj4")).unwrap();
    let dst = proj4rs::Proj::from_proj_string("+proj=longlat +datum=WGS84 +no_defs").unwrap();
    let points: Vec<Coord> = (0..1000)
        .map(|i| Coord {
            x: 440_000.0 + f64::from(i % 40) * 3_000.0,
            y: 3_300_000.0 + f64::from(i / 40) * 4_000.0,
        })
        .collect();
    let mut group = c.benchmark_group("to_wgs84_1000_vertices");
    group.bench_function("transformer", |b| {
        b.iter(|| {
            points
                .iter()
                .map(|p| t.coord(black_box(*p)).expect("in zone").x)
                .sum::<f64>()
        })
    });
    group.bench_function("proj4rs_pipeline_baseline", |b| {
        b.iter(|| {
            points
                .iter()
                .map(|p| {
                    let mut q = (black_box(p.x), p.y);
                    proj4rs::transform::transform(&src, &dst, &mut q).expect("in zone");
                    q.0.to_degrees()
                })
                .sum::<f64>()
        })
    });
    group.finish();
}

criterion_group!(
    benches,
    index_build,
    check_one,
    audit_inner_loop,
    big_zone,
    to_wgs84
);
criterion_main!(benches);
