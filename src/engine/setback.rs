use super::Hit;
use crate::geom::nearest::{chains, Nearest};
use crate::geom::Footprint;
use crate::index::zone_layer::{box_distance, expand};
use crate::index::{Edge, ZoneLayer};
use crate::model::MeasureKind;
use geo::{Geometry, Intersects, LineString, Point};
use std::collections::BTreeMap;

/// Setback (P2): one hit per zone whose minimum Euclidean distance to the footprint is at
/// most `distance_m`. **The limit is inclusive**: "within 1 km" includes exactly 1,000.0 m.
/// A footprint that touches, crosses or lies inside the zone is at distance 0.
///
/// Only the zone's line-work chunks near the footprint are measured (the R-tree is queried
/// with the footprint's box grown by the limit), so a long river costs a few chunks.
///
/// Evidence: the minimum distance (m), the nearest points on footprint and zone, and the
/// segment between them as the offending geometry.
///
/// ```
/// use geo::{line_string, polygon, Geometry};
/// use ironrule::{engine::setback::setback, geom::Footprint, index::ZoneLayer};
/// let river = ZoneLayer::from_geometries("river", vec![Geometry::LineString(
///     line_string![(x: 0., y: 0.), (x: 5000., y: 0.)])]);
/// // A plot whose nearest edge is exactly 1,000 m north of the river.
/// let plot = Footprint::new(&Geometry::Polygon(
///     polygon![(x: 100., y: 1000.), (x: 200., y: 1000.), (x: 200., y: 1100.), (x: 100., y: 1100.)])).unwrap();
/// let hits = setback(&plot, &river, 1000.0);
/// assert_eq!(hits[0].value, 1000.0); // on the limit: fires
/// assert!(setback(&plot, &river, 999.99).is_empty());
/// ```
pub fn setback(fp: &Footprint, layer: &ZoneLayer, distance_m: f64) -> Vec<Hit> {
    let Some(bbox) = fp.bbox() else {
        return Vec::new();
    };
    let lines = fp.linework();
    let points: Vec<_> = match fp {
        Footprint::Puntal(m) => m.iter().map(|p| p.0).collect(),
        _ => Vec::new(),
    };
    let mut best: BTreeMap<usize, Nearest> = BTreeMap::new();
    // Only distances up to the limit matter: segment pairs whose boxes lie farther apart are
    // never measured (a zone that stays at `start` is filtered out below).
    let start = Nearest::beyond(distance_m);
    // A footprint wholly inside an areal zone is at 0; cheap, so first.
    let reps = fp.representative_coords();
    for piece in layer.pieces_in(bbox) {
        let b = best.entry(piece.zone).or_insert(start);
        if b.distance == 0.0 {
            continue;
        }
        if let Some(c) = reps.iter().find(|c| piece.polygon.intersects(*c)) {
            *b = Nearest {
                distance: 0.0,
                a: *c,
                b: *c,
            };
        }
    }
    // Then the line work near the footprint, nearest boxes first: once a zone's best distance
    // is below a chunk's box distance, that chunk cannot improve it (branch and bound).
    let mut candidates: Vec<(f64, &Edge)> = layer
        .edges_in(expand(bbox, distance_m))
        .map(|e| (box_distance(bbox, e.bbox), e))
        .collect();
    candidates.sort_by(|a, b| a.0.total_cmp(&b.0));
    for (box_d, edge) in candidates {
        let b = best.entry(edge.zone).or_insert(start);
        if b.distance <= box_d || box_d > distance_m {
            continue;
        }
        for line in &lines {
            chains(&line.0, &edge.coords.0, b);
        }
        for p in &points {
            chains(std::slice::from_ref(p), &edge.coords.0, b);
        }
        // Zone line work lying wholly inside an areal footprint.
        if let (Footprint::Areal(mp), Some(c), true) = (fp, edge.coords.0.first(), box_d == 0.0) {
            if b.distance > 0.0 && mp.intersects(c) {
                *b = Nearest {
                    distance: 0.0,
                    a: *c,
                    b: *c,
                };
            }
        }
    }
    best.into_iter()
        .filter(|(_, n)| n.distance <= distance_m)
        .map(|(zone, n)| Hit {
            zone: Some(zone),
            kind: MeasureKind::Distance,
            value: n.distance,
            share: None,
            nearest: Some([n.a, n.b]),
            geometry: Some(if n.a == n.b {
                Geometry::Point(Point(n.a))
            } else {
                Geometry::LineString(LineString(vec![n.a, n.b]))
            }),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::{line_string, point, polygon};

    fn river() -> ZoneLayer {
        ZoneLayer::from_geometries(
            "river",
            vec![Geometry::LineString(
                line_string![(x: 0., y: 0.), (x: 5000., y: 0.)],
            )],
        )
    }

    #[test]
    fn footprint_inside_an_areal_zone_is_at_zero() {
        let zone = ZoneLayer::from_geometries(
            "lake",
            vec![Geometry::Polygon(
                polygon![(x: 0., y: 0.), (x: 10000., y: 0.), (x: 10000., y: 10000.), (x: 0., y: 10000.)],
            )],
        );
        let plot = Footprint::new(&Geometry::Polygon(
            polygon![(x: 5000., y: 5000.), (x: 5010., y: 5000.), (x: 5010., y: 5010.)],
        ))
        .unwrap();
        let hits = setback(&plot, &zone, 10.0);
        assert_eq!(hits.len(), 1);
        assert_eq!(hits[0].value, 0.0);
    }

    #[test]
    fn river_crossing_a_plot_without_touching_its_edges_is_at_zero() {
        let short = ZoneLayer::from_geometries(
            "r",
            vec![Geometry::LineString(
                line_string![(x: 10., y: 10.), (x: 20., y: 10.)],
            )],
        );
        let plot = Footprint::new(&Geometry::Polygon(
            polygon![(x: 0., y: 0.), (x: 100., y: 0.), (x: 100., y: 100.), (x: 0., y: 100.)],
        ))
        .unwrap();
        assert_eq!(setback(&plot, &short, 1.0)[0].value, 0.0);
    }

    #[test]
    fn points_and_lines_measure_too() {
        let well = Footprint::new(&Geometry::Point(point!(x: 2500., y: -300.))).unwrap();
        let hits = setback(&well, &river(), 300.0);
        assert_eq!(hits[0].value, 300.0);
        assert_eq!(hits[0].nearest.unwrap()[1], geo::coord! {x: 2500., y: 0.});
        let road = Footprint::new(&Geometry::LineString(
            line_string![(x: 6000., y: 0.), (x: 7000., y: 0.)],
        ))
        .unwrap();
        assert_eq!(setback(&road, &river(), 1000.0)[0].value, 1000.0);
        assert!(setback(&road, &river(), 999.0).is_empty());
    }
}
