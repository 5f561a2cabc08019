//! Criterion benchmarks: building the zone index, checking one footprint against the Yichang
//! pack (target ≤ 1 ms warm), the audit's inner loop, and the cost of a huge zone against a
//! simple one.
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

criterion_group!(benches, index_build, check_one, audit_inner_loop, big_zone);
criterion_main!(benches);
