//! Fixtures for a new rule, drawn against the zones of a real layer (`ironrule init`,
//! `ironrule rules new`): a case that fires, one that does not, and one on the boundary, each
//! placed by measuring with the engine's own tests and checked by them before it is written.

use super::{overlap::overlap, setback::setback, within::within};
use crate::geom::Footprint;
use crate::index::ZoneLayer;
use geo::{Contains, Coord, Geometry, InteriorPoint, LineString, Polygon, Rect};

/// The spatial tests `rules new` draws fixtures for.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Kind {
    /// Within `distance_m` of a zone, inclusive.
    Setback { distance_m: f64 },
    /// Meets a zone's interior with at least `min_area_m2`.
    Overlap { min_area_m2: f64 },
    /// Outside the union of the zones.
    Within,
}

/// One drawn fixture feature.
#[derive(Clone, Debug)]
pub struct Case {
    pub name: String,
    pub fires: bool,
    pub boundary: bool,
    /// For a boundary case placed by measuring: how near the limit it means.
    pub tolerance: Option<f64>,
    pub polygon: Polygon<f64>,
}

/// How near a drawn boundary lands, in metres: floating point puts it nanometres off.
pub const TOLERANCE_M: f64 = 1e-6;

fn square(c: Coord<f64>, half: f64) -> Polygon<f64> {
    crate::geom::expand(Rect::new(c, c), half).to_polygon()
}

fn footprint(p: &Polygon<f64>) -> Footprint {
    Footprint::new(&Geometry::Polygon(p.clone())).expect("a drawn square is a valid footprint")
}

/// Whether the test fires on `p`, and what it measured.
fn judge(kind: Kind, layer: &ZoneLayer, p: &Polygon<f64>) -> (bool, Option<f64>) {
    let fp = footprint(p);
    match kind {
        Kind::Setback { distance_m } => {
            let d = setback(&fp, layer, distance_m.max(1.0) * 10.0)
                .into_iter()
                .map(|h| h.value)
                .fold(None, |m: Option<f64>, v| Some(m.map_or(v, |m| m.min(v))));
            (d.is_some_and(|d| d <= distance_m), d)
        }
        Kind::Overlap { min_area_m2 } => {
            let hits = overlap(&fp, layer, min_area_m2);
            (!hits.is_empty(), hits.first().map(|h| h.value))
        }
        Kind::Within => {
            let hit = within(&fp, &[layer]);
            (hit.is_some(), hit.map(|h| h.value))
        }
    }
}

/// A point on the layer's line work, and a unit normal there pointing away from its areal
/// zones (either side for lines); tried segment by segment.
fn anchors(layer: &ZoneLayer) -> impl Iterator<Item = (Coord<f64>, Coord<f64>, Coord<f64>)> + '_ {
    layer.edges.iter().flat_map(move |e| {
        e.coords.lines().filter_map(move |s| {
            let (dx, dy) = (s.end.x - s.start.x, s.end.y - s.start.y);
            let len = dx.hypot(dy);
            if len < 1.0 {
                return None;
            }
            let n = Coord {
                x: -dy / len,
                y: dx / len,
            };
            let mid = Coord {
                x: (s.start.x + s.end.x) / 2.0,
                y: (s.start.y + s.end.y) / 2.0,
            };
            let probe = |sign: f64| Coord {
                x: mid.x + sign * n.x * 0.01,
                y: mid.y + sign * n.y * 0.01,
            };
            let inside = |c: Coord<f64>| layer.pieces.iter().any(|p| p.polygon.contains(&c));
            let out = match (inside(probe(1.0)), inside(probe(-1.0))) {
                (false, _) => n,
                (true, false) => Coord { x: -n.x, y: -n.y },
                (true, true) => return None,
            };
            Some((s.start, s.end, out))
        })
    })
}

/// A 20 m square whose nearest edge is `target` metres from the zones, found by moving it
/// along the normal at `mid` until the engine measures `target` (within [`TOLERANCE_M`]).
fn at_distance(
    layer: &ZoneLayer,
    kind: Kind,
    mid: Coord<f64>,
    n: Coord<f64>,
    target: f64,
) -> Option<Polygon<f64>> {
    const HALF: f64 = 10.0;
    let place = |t: f64| {
        square(
            Coord {
                x: mid.x + n.x * (t + HALF),
                y: mid.y + n.y * (t + HALF),
            },
            HALF,
        )
    };
    let mut t = target;
    for _ in 0..30 {
        let p = place(t);
        let (_, measured) = judge(kind, layer, &p);
        let d = measured?;
        if (d - target).abs() <= TOLERANCE_M / 10.0 {
            return Some(p);
        }
        t += target - d;
    }
    None
}

/// Draws the three cases for `kind` against `layer`, each checked by the engine; an error
/// says why the layer gave no place for one.
pub fn draw(layer: &ZoneLayer, kind: Kind) -> Result<Vec<Case>, String> {
    let bbox = layer
        .edges
        .iter()
        .map(|e| e.bbox)
        .reduce(crate::geom::union_rect)
        .ok_or_else(|| {
            format!(
                "layer '{}' has no zones to draw fixtures against",
                layer.name
            )
        })?;
    // Beyond every zone: 200 m past the layer's north-east corner.
    let far = square(
        Coord {
            x: bbox.max().x + 210.0,
            y: bbox.max().y + 210.0,
        },
        10.0,
    );
    let case = |name: String, fires, boundary, tolerance, polygon| Case {
        name,
        fires,
        boundary,
        tolerance,
        polygon,
    };
    let mut cases = Vec::new();
    match kind {
        Kind::Setback { distance_m } => {
            let d = distance_m;
            let (a, b, n) = anchors(layer).next().ok_or_else(|| {
                format!("layer '{}' has no line work to measure from", layer.name)
            })?;
            let mid = Coord {
                x: (a.x + b.x) / 2.0,
                y: (a.y + b.y) / 2.0,
            };
            let draw = |target: f64| {
                at_distance(layer, kind, mid, n, target).ok_or_else(|| {
                    format!(
                        "no place {target} m from layer '{}' near ({:.2}, {:.2}): draw this fixture by hand",
                        layer.name, mid.x, mid.y
                    )
                })
            };
            let half = d / 2.0;
            cases.push(case(
                format!(
                    "{} m from the zone: inside the limit",
                    crate::model::fmt_num(half)
                ),
                true,
                false,
                None,
                draw(half)?,
            ));
            cases.push(case(
                format!(
                    "{} m: on the limit, which is inclusive",
                    crate::model::fmt_num(d)
                ),
                true,
                true,
                Some(TOLERANCE_M),
                draw(d)?,
            ));
            cases.push(case(
                format!(
                    "{} m away: beyond the limit",
                    crate::model::fmt_num(3.0 * d)
                ),
                false,
                false,
                None,
                draw(3.0 * d)?,
            ));
        }
        Kind::Overlap { .. } | Kind::Within => {
            // Inside a zone: a square around an interior point, halved until it fits.
            let piece = layer
                .pieces
                .first()
                .ok_or_else(|| format!("layer '{}' has no areal zones: overlap and within rules need polygons (a line layer takes --kind setback)", layer.name))?;
            let c = piece
                .polygon
                .interior_point()
                .ok_or_else(|| format!("a zone of layer '{}' has no interior", layer.name))?;
            let mut half = 10.0;
            let mut inside = square(c.0, half);
            while !piece.polygon.contains(&inside) && half > 0.01 {
                half /= 2.0;
                inside = square(c.0, half);
            }
            // On the edge: a triangle on a zone's edge, outside it for overlap (touching is
            // not overlap), inside it for within (touching the edge from inside is within).
            let outward = kind != Kind::Within;
            let edge = anchors(layer)
                .map(|(a, b, n)| {
                    let len = (b.x - a.x).hypot(b.y - a.y) / 2.0;
                    let s = if outward { len } else { -len };
                    let apex = Coord {
                        x: (a.x + b.x) / 2.0 + n.x * s,
                        y: (a.y + b.y) / 2.0 + n.y * s,
                    };
                    Polygon::new(LineString::from(vec![a, b, apex, a]), vec![])
                })
                .find(|t| !judge(kind, layer, t).0)
                .ok_or_else(|| {
                    format!(
                        "no zone edge of layer '{}' to draw a boundary case on: draw it by hand",
                        layer.name
                    )
                })?;
            if kind == Kind::Within {
                cases.push(case("outside every zone".into(), true, false, None, far));
                cases.push(case("inside a zone".into(), false, false, None, inside));
                cases.push(case(
                    "inside a zone, touching its edge: within".into(),
                    false,
                    true,
                    None,
                    edge,
                ));
            } else {
                cases.push(case("inside a zone".into(), true, false, None, inside));
                cases.push(case("away from every zone".into(), false, false, None, far));
                cases.push(case(
                    "touching a zone's edge from outside: touching is not overlap".into(),
                    false,
                    true,
                    None,
                    edge,
                ));
            }
        }
    }
    // Each case as the engine judges it; a boundary case placed by measuring may land either
    // side of the limit (its tolerance says so).
    for c in &cases {
        let (fires, measured) = judge(kind, layer, &c.polygon);
        if fires != c.fires && c.tolerance.is_none() {
            return Err(format!(
                "the drawn case '{}' {} (measured {measured:?}): draw it by hand",
                c.name,
                if fires { "fires" } else { "does not fire" }
            ));
        }
    }
    Ok(cases)
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::line_string;

    #[test]
    fn setback_cases_land_where_they_say() {
        let river = ZoneLayer::from_geometries(
            "river",
            vec![Geometry::LineString(
                line_string![(x: 0., y: 0.), (x: 1000., y: 300.), (x: 2000., y: 0.)],
            )],
        );
        let kind = Kind::Setback { distance_m: 30.0 };
        let cases = draw(&river, kind).unwrap();
        assert_eq!(cases.len(), 3);
        let measured: Vec<f64> = cases
            .iter()
            .map(|c| judge(kind, &river, &c.polygon).1.unwrap())
            .collect();
        assert!((measured[0] - 15.0).abs() < 1e-6, "{measured:?}");
        assert!((measured[1] - 30.0).abs() <= TOLERANCE_M, "{measured:?}");
        assert!((measured[2] - 90.0).abs() < 1e-6, "{measured:?}");
        assert_eq!(
            cases
                .iter()
                .map(|c| (c.fires, c.boundary))
                .collect::<Vec<_>>(),
            [(true, false), (true, true), (false, false)]
        );
    }

    #[test]
    fn overlap_and_within_cases_are_judged_as_named() {
        let zone = Geometry::Polygon(square(Coord { x: 0.0, y: 0.0 }, 500.0));
        let layer = ZoneLayer::from_geometries("red_line", vec![zone]);
        for kind in [Kind::Overlap { min_area_m2: 1e-6 }, Kind::Within] {
            let cases = draw(&layer, kind).unwrap();
            for c in &cases {
                assert_eq!(
                    judge(kind, &layer, &c.polygon).0,
                    c.fires,
                    "{kind:?} {}",
                    c.name
                );
            }
            assert_eq!(cases.iter().filter(|c| c.boundary).count(), 1);
        }
    }
}
