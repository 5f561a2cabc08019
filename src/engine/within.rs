use super::Hit;
use crate::geom::local::Frame;
use crate::geom::{Footprint, AREA_EPSILON_M2, LENGTH_EPSILON_M};
use crate::index::{Piece, ZoneLayer};
use crate::model::MeasureKind;
use geo::coordinate_position::CoordPos;
use geo::{
    BooleanOps, CoordinatePosition, Euclidean, Geometry, Intersects, Length, LineString,
    MultiLineString, MultiPoint,
};

/// Must lie within (P3): at most one hit per footprint, when part of it lies outside the
/// union of the layers' zones. **The footprint may touch the edge from inside**: a plot whose
/// edge runs along the urban development boundary is covered. Zones may overlap one another
/// and a footprint may straddle two adjacent zones.
///
/// Evidence: the area outside (m², above 1 mm²), the share of the footprint, and the part
/// outside; for lines the length outside, for points the number outside.
///
/// ```
/// use geo::{polygon, Geometry};
/// use ironrule::{engine::within::within, geom::Footprint, index::ZoneLayer};
/// let boundary = ZoneLayer::from_geometries("urban", vec![Geometry::Polygon(
///     polygon![(x: 0., y: 0.), (x: 100., y: 0.), (x: 100., y: 100.), (x: 0., y: 100.)])]);
/// let layers = [&boundary];
/// // Inside, touching the edge x = 100 from inside: covered.
/// let edge = Footprint::new(&Geometry::Polygon(
///     polygon![(x: 80., y: 10.), (x: 100., y: 10.), (x: 100., y: 30.), (x: 80., y: 30.)])).unwrap();
/// assert!(within(&edge, &layers).is_none());
/// // 10 m beyond the edge: 10 × 20 = 200 m² outside.
/// let over = Footprint::new(&Geometry::Polygon(
///     polygon![(x: 90., y: 10.), (x: 110., y: 10.), (x: 110., y: 30.), (x: 90., y: 30.)])).unwrap();
/// assert!((within(&over, &layers).unwrap().value - 200.0).abs() < 1e-9);
/// ```
pub fn within(fp: &Footprint, layers: &[&ZoneLayer]) -> Option<Hit> {
    let bbox = fp.bbox()?;
    let pieces: Vec<&Piece> = layers.iter().flat_map(|l| l.pieces_in(bbox)).collect();
    match fp {
        // No zone edge meets the footprint's box: one vertex tells inside from outside.
        Footprint::Areal(mp) if layers.iter().all(|l| l.boundaries_meeting(bbox).is_empty()) => {
            let inside = mp
                .iter()
                .filter_map(|p| p.exterior().0.first())
                .next()
                .is_some_and(|c| pieces.iter().any(|p| p.polygon.intersects(c)));
            let area = fp.area_m2();
            (!inside && area > AREA_EPSILON_M2).then(|| Hit {
                zone: None,
                kind: MeasureKind::OutsideArea,
                value: area,
                share: Some(1.0),
                nearest: None,
                geometry: Some(Geometry::MultiPolygon(mp.clone())),
            })
        }
        Footprint::Areal(mp) => {
            let zones: Vec<&geo::Polygon<f64>> = pieces.iter().map(|p| &p.polygon).collect();
            let (rest, area) = Frame::around(bbox).difference(mp, &zones);
            (area > AREA_EPSILON_M2).then(|| Hit {
                zone: None,
                kind: MeasureKind::OutsideArea,
                value: area,
                share: Some(area / fp.area_m2()),
                nearest: None,
                geometry: Some(Geometry::MultiPolygon(rest)),
            })
        }
        Footprint::Linear(ml) => {
            let mut rest = ml.clone();
            for p in &pieces {
                if rest.0.is_empty() {
                    break;
                }
                rest = p.polygon.clip(&rest, true);
            }
            // A road along the layer's edge is covered: keep only segments whose midpoint is
            // outside every piece.
            let rest = MultiLineString(
                rest.iter()
                    .flat_map(|l| l.lines())
                    .filter(|s| {
                        s.start != s.end
                            && pieces.iter().all(|p| {
                                p.polygon.coordinate_position(&super::overlap::midpoint(s))
                                    == CoordPos::Outside
                            })
                    })
                    .map(|s| LineString(vec![s.start, s.end]))
                    .collect(),
            );
            let length: f64 = rest.iter().map(|l| Euclidean.length(l)).sum();
            (length > LENGTH_EPSILON_M).then_some(Hit {
                zone: None,
                kind: MeasureKind::OutsideLength,
                value: length,
                share: None,
                nearest: None,
                geometry: Some(Geometry::MultiLineString(rest)),
            })
        }
        Footprint::Puntal(points) => {
            let outside: Vec<_> = points
                .iter()
                .filter(|p| {
                    pieces
                        .iter()
                        .all(|piece| piece.polygon.coordinate_position(&p.0) == CoordPos::Outside)
                })
                .copied()
                .collect();
            (!outside.is_empty()).then_some(Hit {
                zone: None,
                kind: MeasureKind::OutsidePoints,
                value: outside.len() as f64,
                share: None,
                nearest: None,
                geometry: Some(Geometry::MultiPoint(MultiPoint(outside))),
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::{line_string, point, polygon};

    fn halves() -> ZoneLayer {
        // Two adjacent zones sharing the edge x = 50.
        ZoneLayer::from_geometries(
            "u",
            vec![
                Geometry::Polygon(
                    polygon![(x: 0., y: 0.), (x: 50., y: 0.), (x: 50., y: 100.), (x: 0., y: 100.)],
                ),
                Geometry::Polygon(
                    polygon![(x: 50., y: 0.), (x: 100., y: 0.), (x: 100., y: 100.), (x: 50., y: 100.)],
                ),
            ],
        )
    }

    #[test]
    fn a_footprint_straddling_two_adjacent_zones_is_covered() {
        let layer = halves();
        let fp = Footprint::new(&Geometry::Polygon(
            polygon![(x: 40., y: 40.), (x: 60., y: 40.), (x: 60., y: 60.), (x: 40., y: 60.)],
        ))
        .unwrap();
        assert!(within(&fp, &[&layer]).is_none());
    }

    #[test]
    fn lines_and_points_outside() {
        let layer = halves();
        let road = Footprint::new(&Geometry::LineString(
            line_string![(x: 90., y: 50.), (x: 130., y: 50.)],
        ))
        .unwrap();
        assert!((within(&road, &[&layer]).unwrap().value - 30.0).abs() < 1e-9);
        let along = Footprint::new(&Geometry::LineString(
            line_string![(x: 100., y: 0.), (x: 100., y: 100.)],
        ))
        .unwrap();
        assert!(within(&along, &[&layer]).is_none());
        let on_edge = Footprint::new(&Geometry::Point(point!(x: 100., y: 50.))).unwrap();
        assert!(within(&on_edge, &[&layer]).is_none());
        let out = Footprint::new(&Geometry::Point(point!(x: 101., y: 50.))).unwrap();
        assert_eq!(within(&out, &[&layer]).unwrap().value, 1.0);
    }
}
