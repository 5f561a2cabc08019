use super::Hit;
use crate::geom::local::Frame;
use crate::geom::{Footprint, AREA_EPSILON_M2, LENGTH_EPSILON_M};
use crate::index::{Piece, ZoneLayer};
use crate::model::MeasureKind;
use geo::coordinate_position::CoordPos;
use geo::{
    BooleanOps, Coord, CoordinatePosition, Euclidean, Geometry, Intersects, Length, Line,
    LineString, MultiLineString, MultiPoint, Rect,
};
use std::collections::BTreeMap;

/// Forbidden overlap (P1): one hit per zone whose interior meets the footprint's interior.
///
/// - Areal footprints: the overlap area must exceed 1 mm² ([`AREA_EPSILON_M2`]) and be at
///   least `min_area_m2`. **Touching is not overlap**: a plot sharing an edge or a corner
///   with the red line has 0 m² inside it.
/// - Linear footprints (roads, pipelines): the length inside must exceed 1 µm; a road along
///   the zone's edge is not inside. `min_area_m2` does not apply.
/// - Point footprints: a point strictly inside; a point on the edge is not.
///
/// Evidence: the area (m²), length (m) or number of points inside, the share of the
/// footprint, and the overlapping geometry.
///
/// ```
/// use geo::{polygon, Geometry};
/// use ironrule::{engine::overlap::overlap, geom::Footprint, index::ZoneLayer};
/// let zone = ZoneLayer::from_geometries("red_line", vec![Geometry::Polygon(
///     polygon![(x: 0., y: 0.), (x: 100., y: 0.), (x: 100., y: 100.), (x: 0., y: 100.)])]);
/// // Touching along the edge x = 100: not an overlap.
/// let touching = Footprint::new(&Geometry::Polygon(
///     polygon![(x: 100., y: 10.), (x: 120., y: 10.), (x: 120., y: 30.), (x: 100., y: 30.)])).unwrap();
/// assert!(overlap(&touching, &zone, 0.0).is_empty());
/// // 5 m across the edge: 5 × 20 = 100 m² inside, a quarter of the footprint.
/// let across = Footprint::new(&Geometry::Polygon(
///     polygon![(x: 95., y: 10.), (x: 115., y: 10.), (x: 115., y: 30.), (x: 95., y: 30.)])).unwrap();
/// let hits = overlap(&across, &zone, 0.0);
/// assert_eq!(hits.len(), 1);
/// assert!((hits[0].value - 100.0).abs() < 1e-9);
/// assert!((hits[0].share.unwrap() - 0.25).abs() < 1e-12);
/// // The same footprint against a 150 m² threshold does not fire.
/// assert!(overlap(&across, &zone, 150.0).is_empty());
/// ```
pub fn overlap(fp: &Footprint, layer: &ZoneLayer, min_area_m2: f64) -> Vec<Hit> {
    let Some(bbox) = fp.bbox() else {
        return Vec::new();
    };
    let mut by_zone: BTreeMap<usize, Vec<&Piece>> = BTreeMap::new();
    for p in layer.pieces_in(bbox) {
        by_zone.entry(p.zone).or_default().push(p);
    }
    let mut hits = Vec::new();
    // Zones whose edges come nowhere near the footprint's box contain it wholly or not at all.
    let crossing = if by_zone.is_empty() {
        Vec::new()
    } else {
        layer.boundaries_meeting(bbox)
    };
    for (zone, pieces) in by_zone {
        let hit = match fp {
            Footprint::Areal(mp) if crossing.binary_search(&zone).is_err() => {
                let area = fp.area_m2();
                let inside = mp
                    .iter()
                    .filter_map(|p| p.exterior().0.first())
                    .next()
                    .is_some_and(|c| pieces.iter().any(|p| p.polygon.intersects(c)));
                (inside && area > AREA_EPSILON_M2 && area >= min_area_m2).then(|| Hit {
                    zone: Some(zone),
                    kind: MeasureKind::OverlapArea,
                    value: area,
                    share: Some(1.0),
                    nearest: None,
                    geometry: Some(Geometry::MultiPolygon(mp.clone())),
                })
            }
            Footprint::Areal(mp) => {
                let zones: Vec<&geo::Polygon<f64>> = pieces.iter().map(|p| &p.polygon).collect();
                let (inside, area) = Frame::around(bbox).intersection(mp, &zones);
                (area > AREA_EPSILON_M2 && area >= min_area_m2).then(|| Hit {
                    zone: Some(zone),
                    kind: MeasureKind::OverlapArea,
                    value: area,
                    share: Some(area / fp.area_m2()),
                    nearest: None,
                    geometry: Some(Geometry::MultiPolygon(inside)),
                })
            }
            Footprint::Linear(ml) => {
                // Clipping keeps line work that runs along the zone's edge; only segments
                // whose midpoint is in the interior are inside.
                let mut parts = Vec::new();
                for p in &pieces {
                    for l in p.polygon.clip(ml, false) {
                        parts.extend(
                            l.lines()
                                .filter(|s| {
                                    s.start != s.end
                                        && strictly_inside(layer, zone, &pieces, midpoint(s))
                                })
                                .map(|s| LineString(vec![s.start, s.end])),
                        );
                    }
                }
                let inside = MultiLineString(parts);
                let length: f64 = inside.iter().map(|l| Euclidean.length(l)).sum();
                (length > LENGTH_EPSILON_M).then_some(Hit {
                    zone: Some(zone),
                    kind: MeasureKind::OverlapLength,
                    value: length,
                    share: None,
                    nearest: None,
                    geometry: Some(Geometry::MultiLineString(inside)),
                })
            }
            Footprint::Puntal(points) => {
                let inside: Vec<_> = points
                    .iter()
                    .filter(|p| strictly_inside(layer, zone, &pieces, p.0))
                    .copied()
                    .collect();
                (!inside.is_empty()).then_some(Hit {
                    zone: Some(zone),
                    kind: MeasureKind::OverlapPoints,
                    value: inside.len() as f64,
                    share: None,
                    nearest: None,
                    geometry: Some(Geometry::MultiPoint(MultiPoint(inside))),
                })
            }
        };
        hits.extend(hit);
    }
    hits
}

pub(crate) fn midpoint(s: &Line<f64>) -> Coord<f64> {
    Coord {
        x: (s.start.x + s.end.x) / 2.0,
        y: (s.start.y + s.end.y) / 2.0,
    }
}

/// Whether `c` is in the interior of zone `zone`. A point on a cut between two tiles of the
/// zone is on both tiles' boundaries but inside the zone, so the boundary case is settled
/// against the zone's real edges.
pub(crate) fn strictly_inside(
    layer: &ZoneLayer,
    zone: usize,
    pieces: &[&Piece],
    c: Coord<f64>,
) -> bool {
    let mut on_piece_edge = false;
    for p in pieces {
        match p.polygon.coordinate_position(&c) {
            CoordPos::Inside => return true,
            CoordPos::OnBoundary => on_piece_edge = true,
            CoordPos::Outside => {}
        }
    }
    on_piece_edge
        && !layer
            .edges_in(Rect::new(c, c))
            .filter(|e| e.zone == zone)
            .any(|e| {
                e.coords
                    .0
                    .windows(2)
                    .any(|s| crate::geom::nearest::point_segment(c, s[0], s[1]).distance == 0.0)
            })
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::Area;
    use geo::{line_string, point, polygon};

    fn square_zone() -> ZoneLayer {
        ZoneLayer::from_geometries(
            "z",
            vec![Geometry::Polygon(
                polygon![(x: 0., y: 0.), (x: 100., y: 0.), (x: 100., y: 100.), (x: 0., y: 100.)],
            )],
        )
    }

    #[test]
    fn corner_touch_is_not_overlap() {
        let fp = Footprint::new(&Geometry::Polygon(polygon![(x: 100., y: 100.), (x: 110., y: 100.), (x: 110., y: 110.), (x: 100., y: 110.)])).unwrap();
        assert!(overlap(&fp, &square_zone(), 0.0).is_empty());
    }

    #[test]
    fn road_along_the_edge_is_not_inside_but_across_it_is() {
        let along = Footprint::new(&Geometry::LineString(
            line_string![(x: 0., y: 0.), (x: 100., y: 0.)],
        ))
        .unwrap();
        assert!(overlap(&along, &square_zone(), 0.0).is_empty());
        let across = Footprint::new(&Geometry::LineString(
            line_string![(x: 50., y: -10.), (x: 50., y: 30.)],
        ))
        .unwrap();
        let hits = overlap(&across, &square_zone(), 0.0);
        assert_eq!(hits.len(), 1);
        assert!((hits[0].value - 30.0).abs() < 1e-9, "{hits:?}");
    }

    #[test]
    fn points_on_the_edge_are_not_inside() {
        let on_edge = Footprint::new(&Geometry::Point(point!(x: 100., y: 50.))).unwrap();
        assert!(overlap(&on_edge, &square_zone(), 0.0).is_empty());
        let inside = Footprint::new(&Geometry::Point(point!(x: 99., y: 50.))).unwrap();
        assert_eq!(overlap(&inside, &square_zone(), 0.0)[0].value, 1.0);
    }

    #[test]
    fn tiled_zone_gives_the_same_area_and_cut_lines_are_inside() {
        // A 2,000-vertex circle is tiled; the overlap with a square across several tiles
        // equals the overlap with the untiled polygon.
        let ring: geo::LineString<f64> = (0..2000)
            .map(|i| {
                let a = i as f64 / 2000.0 * std::f64::consts::TAU;
                (1000.0 * a.cos(), 1000.0 * a.sin())
            })
            .collect();
        let circle = geo::Polygon::new(ring, vec![]);
        let layer = ZoneLayer::from_geometries("c", vec![Geometry::Polygon(circle.clone())]);
        assert!(layer.pieces.len() > 4);
        let sq = polygon![(x: -300., y: -300.), (x: 900., y: -300.), (x: 900., y: 900.), (x: -300., y: 900.)];
        let fp = Footprint::new(&Geometry::Polygon(sq.clone())).unwrap();
        let hits = overlap(&fp, &layer, 0.0);
        assert_eq!(hits.len(), 1);
        let expected = sq.intersection(&circle).unsigned_area();
        assert!(
            (hits[0].value - expected).abs() < 1e-6 * expected,
            "{} vs {expected}",
            hits[0].value
        );
        // The centre is on tile cuts but inside the circle.
        let centre = Footprint::new(&Geometry::Point(point!(x: 0., y: 0.))).unwrap();
        assert_eq!(overlap(&centre, &layer, 0.0).len(), 1);
    }
}
