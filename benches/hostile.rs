//! The three paths the hostile-input probe found quadratic, each at two sizes four times
//! apart: O(n log n) shows as a ratio of about 4–5, O(n²) as 16.
//!
//! - `restore`: a footprint with many holes straddling a zone edge (the overlay's vertices
//!   put back on the inputs; 128,000 holes took 92 s).
//! - `validate_parts`: a multipolygon of many parts (every pair was tested; 100,000 parts
//!   took over two minutes).
//! - `share_union`: the union of many parcels for the landscape-share rule (folded one at a
//!   time; 5,000 parcels took 17.6 s in `check`).
//!
//! `cargo bench --bench hostile`

use criterion::{black_box, criterion_group, criterion_main, BenchmarkId, Criterion};
use geo::{coord, LineString, MultiPolygon, Polygon, Rect};
use ironrule::geom::local::Frame;

fn square(x: f64, y: f64, s: f64) -> LineString<f64> {
    LineString::from(vec![(x, y), (x + s, y), (x + s, y + s), (x, y + s), (x, y)])
}

/// A 10 m-per-cell square with an n×n grid of 4 m holes.
fn holey(n: usize) -> MultiPolygon<f64> {
    let side = 10.0 * n as f64;
    let holes = (0..n * n)
        .map(|i| {
            let (cx, cy) = ((i % n) as f64 * 10.0, (i / n) as f64 * 10.0);
            let mut r = square(cx + 3.0, cy + 3.0, 4.0);
            r.0.reverse();
            r
        })
        .collect();
    MultiPolygon(vec![Polygon::new(square(0.0, 0.0, side), holes)])
}

fn restore(c: &mut Criterion) {
    let mut g = c.benchmark_group("restore");
    g.sample_size(10);
    for n in [40, 80] {
        let fp = holey(n);
        let side = 10.0 * n as f64;
        // A zone covering the left half, its edge through a column of holes.
        let zone = Rect::new(
            coord! { x: -5.0, y: -5.0 },
            coord! { x: side / 2.0 + 5.0, y: side + 5.0 },
        )
        .to_polygon();
        let frame = Frame::around(Rect::new(
            coord! { x: 0.0, y: 0.0 },
            coord! { x: side, y: side },
        ));
        g.bench_with_input(BenchmarkId::from_parameter(n * n), &n, |b, _| {
            b.iter(|| black_box(frame.intersection(&fp, &[&zone])))
        });
    }
    g.finish();
}

fn validate_parts(c: &mut Criterion) {
    let mut g = c.benchmark_group("validate_parts");
    g.sample_size(10);
    for n in [70, 140] {
        let parts = (0..n * n)
            .map(|i| {
                Polygon::new(
                    square((i % n) as f64 * 10.0, (i / n) as f64 * 10.0, 8.0),
                    vec![],
                )
            })
            .collect();
        let g2 = geo::Geometry::MultiPolygon(MultiPolygon(parts));
        g.bench_with_input(BenchmarkId::from_parameter(n * n), &n, |b, _| {
            b.iter(|| black_box(ironrule::geom::validate::check(&g2)).unwrap())
        });
    }
    g.finish();
}

fn share_union(c: &mut Criterion) {
    let mut g = c.benchmark_group("share_union");
    g.sample_size(10);
    for n in [25, 50] {
        // Touching 10 m parcels, slightly rotated so edges are not all axis-aligned.
        let parcels: Vec<Polygon<f64>> = (0..n * n)
            .map(|i| {
                let (x, y) = ((i % n) as f64 * 10.0, (i / n) as f64 * 10.0);
                Polygon::new(
                    LineString::from(vec![
                        (x, y),
                        (x + 10.0, y + 0.01),
                        (x + 10.0, y + 10.0),
                        (x, y + 10.01),
                        (x, y),
                    ]),
                    vec![],
                )
            })
            .collect();
        g.bench_with_input(BenchmarkId::from_parameter(n * n), &n, |b, _| {
            b.iter(|| black_box(ironrule::engine::share::union_all(parcels.clone())))
        });
    }
    g.finish();
}

criterion_group!(benches, restore, validate_parts, share_union);
criterion_main!(benches);
