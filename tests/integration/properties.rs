//! Property tests of the spatial tests' invariants, against brute force and geo's own
//! algorithms.

use geo::{
    Area, BooleanOps, Coord, Distance, Euclidean, Geometry, LineString, Polygon, Rect, Translate,
};
use ironrule::engine::{overlap::overlap, setback::setback, within::within};
use ironrule::geom::Footprint;
use ironrule::index::ZoneLayer;
use proptest::prelude::*;

/// A star-shaped (so simple, valid) polygon around (cx, cy) with `radii` at even angles.
fn star(cx: f64, cy: f64, radii: &[f64], phase: f64) -> Polygon<f64> {
    let n = radii.len();
    let mut ring: Vec<Coord<f64>> = radii
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let a = phase + i as f64 / n as f64 * std::f64::consts::TAU;
            Coord {
                x: cx + r * a.cos(),
                y: cy + r * a.sin(),
            }
        })
        .collect();
    ring.push(ring[0]);
    Polygon::new(LineString(ring), vec![])
}

fn polygon_strategy(span: f64) -> impl Strategy<Value = Polygon<f64>> {
    (
        -span..span,
        -span..span,
        prop::collection::vec(20.0..400.0f64, 3..40),
        0.0..1.0f64,
    )
        .prop_map(|(x, y, r, p)| star(x, y, &r, p))
}

fn config() -> ProptestConfig {
    ProptestConfig {
        cases: 128,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn overlap_area_is_at_most_the_footprint_and_matches_a_direct_intersection(zone in polygon_strategy(300.0), fp in polygon_strategy(300.0)) {
        let layer = ZoneLayer::from_geometries("z", vec![Geometry::Polygon(zone.clone())]);
        let foot = Footprint::new(&Geometry::Polygon(fp.clone())).unwrap();
        let direct = fp.intersection(&zone).unsigned_area();
        match overlap(&foot, &layer, 0.0).as_slice() {
            [] => prop_assert!(direct <= 1e-6, "missed an overlap of {direct}"),
            [hit] => {
                prop_assert!(hit.value <= fp.unsigned_area() * (1.0 + 1e-9));
                // geo's own intersection snaps to a grid sized by both polygons; overlap() is
                // the more precise of the two (GEOS agrees with it), so the bound is the grid's.
                prop_assert!((hit.value - direct).abs() <= 1e-6 * fp.unsigned_area().max(1.0));
                let share = hit.share.unwrap();
                prop_assert!((0.0..=1.0 + 1e-9).contains(&share));
            }
            more => prop_assert!(false, "one zone gave {} hits", more.len()),
        }
    }

    #[test]
    fn setback_distance_equals_geo_and_is_monotone_in_the_limit(zone in polygon_strategy(2000.0), fp in polygon_strategy(2000.0), limit in 1.0..3000.0f64) {
        let layer = ZoneLayer::from_geometries("z", vec![Geometry::Polygon(zone.clone())]);
        let foot = Footprint::new(&Geometry::Polygon(fp.clone())).unwrap();
        let truth = Euclidean.distance(&fp, &zone);
        let hits = setback(&foot, &layer, limit);
        prop_assert_eq!(hits.len(), usize::from(truth <= limit), "truth {} limit {}", truth, limit);
        if let Some(h) = hits.first() {
            prop_assert!((h.value - truth).abs() < 1e-6, "{} vs {}", h.value, truth);
            // A larger limit still fires; the measured value does not change.
            let wider = setback(&foot, &layer, limit * 1.5);
            prop_assert_eq!(wider.len(), 1);
            prop_assert_eq!(wider[0].value, h.value);
        }
    }

    #[test]
    fn findings_are_invariant_under_translation(zone in polygon_strategy(300.0), fp in polygon_strategy(300.0), dx in -1e5..1e5f64, dy in -1e5..1e5f64) {
        let run = |z: &Polygon<f64>, f: &Polygon<f64>| {
            let layer = ZoneLayer::from_geometries("z", vec![Geometry::Polygon(z.clone())]);
            let foot = Footprint::new(&Geometry::Polygon(f.clone())).unwrap();
            (overlap(&foot, &layer, 0.0).first().map(|h| h.value), within(&foot, &[&layer]).map(|h| h.value), setback(&foot, &layer, 100.0).first().map(|h| h.value))
        };
        // Planning coordinates are around 500,000 / 3,400,000.
        let (ox, oy) = (500_000.0 + dx, 3_400_000.0 + dy);
        let a = run(&zone, &fp);
        let b = run(&zone.translate(ox, oy), &fp.translate(ox, oy));
        let close = |p: Option<f64>, q: Option<f64>| match (p, q) {
            (None, None) => true,
            (Some(p), Some(q)) => (p - q).abs() <= 1e-5 * p.abs().max(1.0),
            // Borderline cases within numerical noise of 0 may flip.
            (Some(p), None) | (None, Some(p)) => p.abs() < 1e-4,
        };
        prop_assert!(close(a.0, b.0) && close(a.1, b.1) && close(a.2, b.2), "{:?} vs {:?}", a, b);
    }

    #[test]
    fn outside_plus_inside_is_the_whole_footprint(zone in polygon_strategy(300.0), fp in polygon_strategy(300.0)) {
        let layer = ZoneLayer::from_geometries("z", vec![Geometry::Polygon(zone.clone())]);
        let foot = Footprint::new(&Geometry::Polygon(fp.clone())).unwrap();
        let inside = overlap(&foot, &layer, 0.0).first().map_or(0.0, |h| h.value);
        let outside = within(&foot, &[&layer]).map_or(0.0, |h| h.value);
        let total = fp.unsigned_area();
        prop_assert!((inside + outside - total).abs() <= 1e-6 * total, "{inside} + {outside} != {total}");
    }

    #[test]
    fn index_candidates_include_every_brute_force_match(lines in prop::collection::vec((-5e3..5e3f64, -5e3..5e3f64, -300.0..300.0f64, -300.0..300.0f64), 1..60), q in (-5e3..5e3f64, -5e3..5e3f64, 1.0..800.0f64)) {
        let geoms: Vec<Geometry<f64>> = lines.iter().map(|(x, y, dx, dy)| Geometry::LineString(LineString::from(vec![(*x, *y), (x + dx, y + dy), (x + 2.0 * dx, *y)]))).collect();
        let layer = ZoneLayer::from_geometries("l", geoms);
        let rect = Rect::new(Coord { x: q.0, y: q.1 }, Coord { x: q.0 + q.2, y: q.1 + q.2 });
        let found: std::collections::BTreeSet<usize> = layer.edges_in(rect).map(|e| e.zone).collect();
        for (i, e) in layer.edges.iter().enumerate() {
            let bb = geo::BoundingRect::bounding_rect(&e.coords).unwrap();
            let meets = bb.min().x <= rect.max().x && rect.min().x <= bb.max().x && bb.min().y <= rect.max().y && rect.min().y <= bb.max().y;
            prop_assert!(!meets || found.contains(&e.zone), "edge {i} of zone {} missed", e.zone);
        }
    }

    #[test]
    fn reversing_ring_orientation_changes_nothing(zone in polygon_strategy(300.0), fp in polygon_strategy(300.0)) {
        let reversed = |p: &Polygon<f64>| Polygon::new(LineString(p.exterior().0.iter().rev().copied().collect()), vec![]);
        let run = |f: &Polygon<f64>| {
            let layer = ZoneLayer::from_geometries("z", vec![Geometry::Polygon(zone.clone())]);
            let foot = Footprint::new(&Geometry::Polygon(f.clone())).unwrap();
            (overlap(&foot, &layer, 0.0).first().map(|h| h.value), setback(&foot, &layer, 50.0).first().map(|h| h.value))
        };
        let (a, b) = (run(&fp), run(&reversed(&fp)));
        prop_assert_eq!(a.0.is_some(), b.0.is_some());
        if let (Some(x), Some(y)) = (a.0, b.0) { prop_assert!((x - y).abs() <= 1e-6 * x.max(1.0)); }
        // The same segments in the other order: equal to the last bit or two.
        prop_assert_eq!(a.1.is_some(), b.1.is_some());
        if let (Some(x), Some(y)) = (a.1, b.1) { prop_assert!((x - y).abs() <= 1e-9 * x.max(1.0)); }
    }
}
