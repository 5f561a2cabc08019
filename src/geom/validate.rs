use geo::{
    line_intersection::line_intersection, Coord, CoordsIter, Geometry, Line, LineIntersection,
    LineString, Validation,
};

/// Checks a geometry against the OGC Simple Features validity rules (through geo's
/// `Validation`), and says where a ring crosses itself.
///
/// ```
/// use geo::{polygon, Geometry};
/// let bowtie = Geometry::Polygon(polygon![(x: 0., y: 0.), (x: 2., y: 2.), (x: 2., y: 0.), (x: 0., y: 2.)]);
/// let err = ironrule::geom::validate::check(&bowtie).unwrap_err();
/// assert!(err.contains("self-intersection") && err.contains("at (1, 1)"), "{err}");
/// ```
pub fn check(g: &Geometry<f64>) -> Result<(), String> {
    if g.coords_iter().next().is_none() {
        return Err("empty geometry".into());
    }
    if let Some(c) = g
        .coords_iter()
        .find(|c| !(c.x.is_finite() && c.y.is_finite()))
    {
        return Err(format!("non-finite coordinate ({}, {})", c.x, c.y));
    }
    let errors = g.validation_errors();
    if errors.is_empty() {
        return Ok(());
    }
    let mut text: Vec<String> = errors.iter().map(|e| e.to_string()).collect();
    text.dedup();
    let mut message = text.join("; ");
    if message.contains("self-intersection")
        || message.contains("self intersection")
        || message.contains("intersect")
    {
        if let Some(at) = rings(g).into_iter().find_map(first_self_crossing) {
            message.push_str(&format!(" at ({}, {})", at.x, at.y));
        }
    }
    Err(message)
}

/// Repairs an invalid polygon or multipolygon with geo's `MakeValid` (constrained Delaunay
/// triangulation, odd-even rule: a bowtie becomes its two triangles). `None` for other kinds
/// of geometry, or when the result is empty or still invalid.
///
/// ```
/// use geo::{polygon, Area, Geometry};
/// let bowtie = Geometry::Polygon(polygon![(x: 0., y: 0.), (x: 2., y: 2.), (x: 2., y: 0.), (x: 0., y: 2.)]);
/// let fixed = ironrule::geom::validate::repair(&bowtie).unwrap();
/// assert!(ironrule::geom::validate::check(&fixed).is_ok());
/// assert!((fixed.unsigned_area() - 2.0).abs() < 1e-12); // two triangles of 1 m²
/// ```
pub fn repair(g: &Geometry<f64>) -> Option<Geometry<f64>> {
    use geo::MakeValid;
    let fixed = match g {
        Geometry::Polygon(p) => p.make_valid().ok()?,
        Geometry::MultiPolygon(m) => m.make_valid().ok()?,
        _ => return None,
    };
    let fixed = Geometry::MultiPolygon(fixed);
    (check(&fixed).is_ok()).then_some(fixed)
}

fn rings(g: &Geometry<f64>) -> Vec<&LineString<f64>> {
    match g {
        Geometry::Polygon(p) => std::iter::once(p.exterior()).chain(p.interiors()).collect(),
        Geometry::MultiPolygon(m) => m
            .iter()
            .flat_map(|p| std::iter::once(p.exterior()).chain(p.interiors()))
            .collect(),
        Geometry::LineString(l) => vec![l],
        Geometry::MultiLineString(m) => m.iter().collect(),
        _ => Vec::new(),
    }
}

/// Where a ring first crosses itself (non-adjacent segments meeting). Quadratic, so only
/// run on rings already known to be invalid, and on at most 4,000 segments.
fn first_self_crossing(ring: &LineString<f64>) -> Option<Coord<f64>> {
    let segs: Vec<Line<f64>> = ring.lines().collect();
    let n = segs.len();
    if n > 4000 {
        return None;
    }
    let closed = ring.is_closed();
    for i in 0..n {
        for j in i + 1..n {
            let adjacent = j == i + 1 || (closed && i == 0 && j == n - 1);
            match line_intersection(segs[i], segs[j]) {
                Some(LineIntersection::SinglePoint {
                    intersection,
                    is_proper,
                }) if is_proper || !adjacent => return Some(intersection),
                Some(LineIntersection::Collinear { intersection })
                    if !adjacent || intersection.start != intersection.end =>
                {
                    return Some(intersection.start)
                }
                _ => {}
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::polygon;

    #[test]
    fn valid_polygon_passes() {
        let sq = Geometry::Polygon(
            polygon![(x: 0., y: 0.), (x: 1., y: 0.), (x: 1., y: 1.), (x: 0., y: 1.)],
        );
        assert_eq!(check(&sq), Ok(()));
    }

    #[test]
    fn hole_outside_shell_is_named() {
        let p = Geometry::Polygon(polygon!(
            exterior: [(x: 0., y: 0.), (x: 1., y: 0.), (x: 1., y: 1.), (x: 0., y: 1.)],
            interiors: [[(x: 5., y: 5.), (x: 6., y: 5.), (x: 6., y: 6.)]],
        ));
        let err = check(&p).unwrap_err();
        assert!(err.contains("interior ring"), "{err}");
    }
}
