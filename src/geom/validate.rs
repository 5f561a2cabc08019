use geo::{
    line_intersection::line_intersection, Coord, CoordsIter, Geometry, Line, LineIntersection,
    LineString, Polygon, Validation,
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
    // Most footprints are one small hole-free polygon: a direct check proves them valid
    // without geo's allocation-heavy validation; anything it is unsure of goes on below.
    if let Geometry::Polygon(p) = g {
        if simple_polygon(p) {
            return Ok(());
        }
    }
    if g.coords_iter().next().is_none() {
        return Err("empty geometry".into());
    }
    if let Some(c) = g
        .coords_iter()
        .find(|c| !(c.x.is_finite() && c.y.is_finite()))
    {
        return Err(format!("non-finite coordinate ({}, {})", c.x, c.y));
    }
    // geo's validation compares every pair of segments: a 16,000-vertex polygon takes a second,
    // a 10^6-vertex red line an hour. Big polygons go through an R-tree of segments instead.
    if g.coords_count() > BIG_VERTICES {
        if let Some(result) = big::check(g) {
            return result;
        }
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

/// Whether a polygon is certainly valid: every ring closed, of four or more finite
/// positions, with no zero-length or collinear-adjacent segments and a non-zero area; no two
/// non-adjacent segments of a ring meeting, no two rings meeting at all; every hole strictly
/// inside the shell and outside the other holes. `false` means "not proven", not "invalid".
fn simple_polygon(p: &Polygon<f64>) -> bool {
    use geo::coordinate_position::{coord_pos_relative_to_ring, CoordPos};
    let shell = p.exterior().0.as_slice();
    if p.interiors().is_empty() && shell.len() <= SMALL_RING + 1 {
        return small_simple_ring(shell);
    }
    let rings: Vec<&[Coord<f64>]> = std::iter::once(p.exterior())
        .chain(p.interiors())
        .map(|r| r.0.as_slice())
        .collect();
    let segments: usize = rings.iter().map(|c| c.len().saturating_sub(1)).sum();
    if segments > BIG_VERTICES
        || rings.len() > MAX_HOLES + 1
        || !rings.iter().all(|c| ring_shape(c))
    {
        return false;
    }
    let meet = |a0: Coord<f64>, a1: Coord<f64>, b0: Coord<f64>, b1: Coord<f64>| {
        a0.x.min(a1.x) <= b0.x.max(b1.x)
            && b0.x.min(b1.x) <= a0.x.max(a1.x)
            && a0.y.min(a1.y) <= b0.y.max(b1.y)
            && b0.y.min(b1.y) <= a0.y.max(a1.y)
            && segments_meet(a0, a1, b0, b1)
    };
    // Segments `i` and `j` of one ring of `segs` segments share a vertex by construction
    // (checked by `ring_shape`).
    let adjacent = |i: usize, j: usize, segs: usize| {
        let (lo, hi) = (i.min(j), i.max(j));
        hi == lo + 1 || (lo == 0 && hi == segs - 1)
    };
    // Sweep along x: segments sorted by their left end; each is compared only with those
    // whose x-range overlaps its own.
    let mut order: Vec<(f64, f64, usize, usize)> = rings
        .iter()
        .enumerate()
        .flat_map(|(r, c)| {
            c.windows(2)
                .enumerate()
                .map(move |(i, w)| (w[0].x.min(w[1].x), w[0].x.max(w[1].x), r, i))
        })
        .collect();
    order.sort_unstable_by(|a, b| a.0.total_cmp(&b.0));
    for (k, &(_, ax1, ra, i)) in order.iter().enumerate() {
        let a = rings[ra];
        for &(bx0, _, rb, j) in &order[k + 1..] {
            if bx0 > ax1 {
                break;
            }
            let b = rings[rb];
            if (ra != rb || !adjacent(i, j, a.len() - 1)) && meet(a[i], a[i + 1], b[j], b[j + 1]) {
                return false;
            }
        }
    }
    // No boundaries meet, so a hole lies wholly where its first vertex does.
    let shell = p.exterior();
    p.interiors().iter().enumerate().all(|(h, hole)| {
        let at = hole.0[0];
        coord_pos_relative_to_ring(at, shell) == CoordPos::Inside
            && p.interiors().iter().enumerate().all(|(o, other)| {
                o == h || coord_pos_relative_to_ring(at, other) == CoordPos::Outside
            })
    })
}

/// A hole-free polygon of at most [`SMALL_RING`] segments (a parcel): every pair of
/// segments compared, their boxes on the stack, no allocation.
fn small_simple_ring(c: &[Coord<f64>]) -> bool {
    if !ring_shape(c) {
        return false;
    }
    let segs = c.len() - 1;
    let mut boxes = [[0.0f64; 4]; SMALL_RING];
    for (b, w) in boxes.iter_mut().zip(c.windows(2)) {
        *b = [
            w[0].x.min(w[1].x),
            w[0].y.min(w[1].y),
            w[0].x.max(w[1].x),
            w[0].y.max(w[1].y),
        ];
    }
    for i in 0..segs {
        let a = boxes[i];
        // Segment i's neighbours share a vertex with it by construction (`ring_shape`); the
        // last segment is the first's neighbour.
        let last = if i == 0 { segs - 1 } else { segs };
        for j in i + 2..last {
            let b = boxes[j];
            if a[0] <= b[2]
                && b[0] <= a[2]
                && a[1] <= b[3]
                && b[1] <= a[3]
                && segments_meet(c[i], c[i + 1], c[j], c[j + 1])
            {
                return false;
            }
        }
    }
    true
}

/// Whether two segments share a point, by the signs of four exact orientations: one segment
/// wholly on one side of the other's line cannot meet it (the usual answer, often after two
/// orientations); a touch or collinear overlap goes to geo's `line_intersection`.
fn segments_meet(a0: Coord<f64>, a1: Coord<f64>, b0: Coord<f64>, b1: Coord<f64>) -> bool {
    use geo::kernels::{Kernel, Orientation};
    let turn =
        |a: Coord<f64>, b: Coord<f64>, d: Coord<f64>| <f64 as geo::GeoNum>::Ker::orient2d(a, b, d);
    let (o1, o2) = (turn(a0, a1, b0), turn(a0, a1, b1));
    if o1 == o2 && o1 != Orientation::Collinear {
        return false;
    }
    let (o3, o4) = (turn(b0, b1, a0), turn(b0, b1, a1));
    if o3 == o4 && o3 != Orientation::Collinear {
        return false;
    }
    if [o1, o2, o3, o4].contains(&Orientation::Collinear) {
        return line_intersection(Line::new(a0, a1), Line::new(b0, b1)).is_some();
    }
    true
}

/// A ring's own shape, before any pair of its segments is compared: closed, four or more
/// finite positions, no zero-length segment, every joint turning, a non-zero area.
fn ring_shape(c: &[Coord<f64>]) -> bool {
    use geo::kernels::{Kernel, Orientation};
    let n = c.len();
    if n < 4 || c[0] != c[n - 1] || c.iter().any(|p| !(p.x.is_finite() && p.y.is_finite())) {
        return false;
    }
    let turn =
        |a: Coord<f64>, b: Coord<f64>, d: Coord<f64>| <f64 as geo::GeoNum>::Ker::orient2d(a, b, d);
    for i in 0..n - 1 {
        let (a, b) = (c[i], c[i + 1]);
        if a == b {
            return false;
        }
        // The next segment must turn (a straight or backtracking joint goes to geo).
        let d = c[if i + 2 < n { i + 2 } else { 1 }];
        if turn(a, b, d) == Orientation::Collinear {
            return false;
        }
    }
    twice_area(c) != 0.0
}

/// Polygons with more holes than this go to geo's validation (holes are compared in pairs).
const MAX_HOLES: usize = 16;

/// Rings of at most this many segments are checked pair by pair, larger ones by a sweep.
const SMALL_RING: usize = 32;

/// Twice a closed ring's signed area, relative to its first vertex (shoelace).
fn twice_area(c: &[Coord<f64>]) -> f64 {
    c.windows(2)
        .map(|w| (w[0].x - c[0].x) * (w[1].y - c[0].y) - (w[1].x - c[0].x) * (w[0].y - c[0].y))
        .sum()
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
    use geo::{BoundingRect, MakeValid};
    // No real planning geometry spans 10^8 m; beyond that the triangulation loses precision
    // (the fuzzer found spade panicking on 1e40 coordinates), so such input is not repaired.
    let bbox = g.bounding_rect()?;
    if bbox.width().max(bbox.height()) > 1e8
        || bbox
            .min()
            .x
            .abs()
            .max(bbox.min().y.abs())
            .max(bbox.max().x.abs())
            .max(bbox.max().y.abs())
            > 1e9
    {
        return None;
    }
    // A panic inside the triangulation library is a failed repair, not a crash.
    let fixed = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| match g {
        Geometry::Polygon(p) => p.make_valid().ok(),
        Geometry::MultiPolygon(m) => m.make_valid().ok(),
        _ => None,
    }))
    .ok()??;
    let fixed = Geometry::MultiPolygon(fixed);
    (check(&fixed).is_ok()).then_some(fixed)
}

/// Above this many vertices, polygons are validated by [`big::check`].
pub const BIG_VERTICES: usize = 2_000;

/// Validation of big polygons in O(n log n): every ring's segments in one R-tree, each
/// segment tested only against the segments whose boxes it meets. It checks what matters for
/// measuring: rings closed and long enough, no ring crossing or touching itself, rings of one
/// polygon not crossing each other, holes inside their shell, parts of a multipolygon not
/// overlapping. Messages name the place.
mod big {
    use geo::coordinate_position::CoordPos;
    use geo::{
        line_intersection::line_intersection, Coord, CoordinatePosition, Geometry, Line,
        LineIntersection, Polygon,
    };
    use rstar::primitives::{GeomWithData, Rectangle};
    use rstar::RTreeObject;
    use rstar::{RTree, AABB};

    type Seg = GeomWithData<Rectangle<[f64; 2]>, (usize, usize, usize)>;

    /// A ring with its segments in an R-tree: where a point lies against it in
    /// O(log n + k), k the segments a horizontal ray from the point meets.
    struct Ring {
        tree: RTree<GeomWithData<Rectangle<[f64; 2]>, Line<f64>>>,
    }

    impl Ring {
        fn new(ring: &geo::LineString<f64>) -> Ring {
            Ring {
                tree: RTree::bulk_load(
                    ring.lines()
                        .map(|l| {
                            GeomWithData::new(
                                Rectangle::from_corners(
                                    [l.start.x.min(l.end.x), l.start.y.min(l.end.y)],
                                    [l.start.x.max(l.end.x), l.start.y.max(l.end.y)],
                                ),
                                l,
                            )
                        })
                        .collect(),
                ),
            }
        }

        /// Inside, outside or on the ring (robust on the boundary; crossings of the ray to
        /// +x counted with the half-open rule).
        fn position(&self, c: Coord<f64>) -> CoordPos {
            let ray = AABB::from_corners([c.x, c.y], [f64::INFINITY, c.y]);
            let mut inside = false;
            for s in self.tree.locate_in_envelope_intersecting(&ray) {
                let l = s.data;
                if geo::Intersects::intersects(&l, &c) {
                    return CoordPos::OnBoundary;
                }
                let (a, b) = (l.start, l.end);
                if (a.y > c.y) != (b.y > c.y) {
                    let x = a.x + (c.y - a.y) * (b.x - a.x) / (b.y - a.y);
                    if x > c.x {
                        inside = !inside;
                    }
                }
            }
            if inside {
                CoordPos::Inside
            } else {
                CoordPos::Outside
            }
        }
    }

    /// `None` for geometries it does not handle (not polygonal).
    pub fn check(g: &Geometry<f64>) -> Option<Result<(), String>> {
        let polygons: Vec<&Polygon<f64>> = match g {
            Geometry::Polygon(p) => vec![p],
            Geometry::MultiPolygon(m) => m.iter().collect(),
            _ => return None,
        };
        Some(check_polygons(&polygons))
    }

    fn rings(p: &Polygon<f64>) -> Vec<&geo::LineString<f64>> {
        std::iter::once(p.exterior()).chain(p.interiors()).collect()
    }

    fn check_polygons(polygons: &[&Polygon<f64>]) -> Result<(), String> {
        let mut entries = Vec::new();
        for (pi, p) in polygons.iter().enumerate() {
            for (ri, ring) in rings(p).into_iter().enumerate() {
                let which = if ri == 0 {
                    "exterior ring".to_owned()
                } else {
                    format!("interior ring {}", ri - 1)
                };
                let distinct = ring.0.windows(2).filter(|w| w[0] != w[1]).count();
                if distinct < 3 {
                    return Err(format!("{which} must have at least 3 distinct points"));
                }
                for (si, l) in ring.lines().enumerate() {
                    if l.start == l.end {
                        continue;
                    }
                    let bb = Rectangle::from_corners(
                        [l.start.x.min(l.end.x), l.start.y.min(l.end.y)],
                        [l.start.x.max(l.end.x), l.start.y.max(l.end.y)],
                    );
                    entries.push(GeomWithData::new(bb, (pi, ri, si)));
                }
            }
        }
        let seg = |&(pi, ri, si): &(usize, usize, usize)| -> Line<f64> {
            let ring = if ri == 0 {
                polygons[pi].exterior()
            } else {
                &polygons[pi].interiors()[ri - 1]
            };
            Line::new(ring.0[si], ring.0[si + 1])
        };
        let ring_len = |pi: usize, ri: usize| {
            if ri == 0 {
                polygons[pi].exterior().0.len() - 1
            } else {
                polygons[pi].interiors()[ri - 1].0.len() - 1
            }
        };
        let tree: RTree<Seg> = RTree::bulk_load(entries);
        for a in tree.iter() {
            let (pa, ra, sa) = a.data;
            let env = a.geom().envelope();
            let la = seg(&a.data);
            for b in
                tree.locate_in_envelope_intersecting(&AABB::from_corners(env.lower(), env.upper()))
            {
                let (pb, rb, sb) = b.data;
                if (pb, rb, sb) <= (pa, ra, sa) {
                    continue;
                }
                let lb = seg(&b.data);
                let Some(hit) = line_intersection(la, lb) else {
                    continue;
                };
                let at = |c: Coord<f64>| format!("at ({}, {})", c.x, c.y);
                if (pa, ra) == (pb, rb) {
                    let n = ring_len(pa, ra);
                    let adjacent = sb == sa + 1 || (sa == 0 && sb == n - 1);
                    match hit {
                        LineIntersection::SinglePoint {
                            is_proper: false, ..
                        } if adjacent => {}
                        LineIntersection::SinglePoint { intersection, .. } => {
                            return Err(format!(
                                "ring has a self-intersection {}",
                                at(intersection)
                            ))
                        }
                        LineIntersection::Collinear { intersection } => {
                            return Err(format!(
                                "ring has a self-intersection (overlapping segments) {}",
                                at(intersection.start)
                            ))
                        }
                    }
                } else if pa == pb {
                    // Rings of one polygon may touch at points, not cross or share edges.
                    match hit {
                        LineIntersection::SinglePoint {
                            is_proper: true,
                            intersection,
                        } => {
                            return Err(format!(
                                "rings {ra} and {rb} of polygon {pa} cross {}",
                                at(intersection)
                            ))
                        }
                        LineIntersection::Collinear { intersection }
                            if intersection.start != intersection.end =>
                        {
                            return Err(format!(
                                "rings {ra} and {rb} of polygon {pa} share an edge {}",
                                at(intersection.start)
                            ))
                        }
                        _ => {}
                    }
                } else if let LineIntersection::SinglePoint {
                    is_proper: true,
                    intersection,
                } = hit
                {
                    return Err(format!(
                        "polygons at indices {pa} and {pb} overlap (their boundaries cross {})",
                        at(intersection)
                    ));
                }
            }
        }
        // Holes inside their shell; parts not inside one another. Each ring that is asked
        // about many points is indexed ([`Ring`]), and a part is tested only against the
        // parts whose boxes hold its first vertex: O(n log n), where every pair was tested
        // before (100,000 parts: over two minutes).
        for (pi, p) in polygons.iter().enumerate() {
            if p.interiors().is_empty() {
                continue;
            }
            let shell = Ring::new(p.exterior());
            for (hi, hole) in p.interiors().iter().enumerate() {
                if hole
                    .0
                    .iter()
                    .any(|c| shell.position(*c) == CoordPos::Outside)
                {
                    return Err(format!("interior ring at index {hi} of polygon {pi} is not contained within the polygon's exterior"));
                }
            }
        }
        if polygons.len() > 1 {
            let boxes: RTree<GeomWithData<Rectangle<[f64; 2]>, usize>> = RTree::bulk_load(
                polygons
                    .iter()
                    .enumerate()
                    .filter_map(|(i, p)| {
                        let r = geo::BoundingRect::bounding_rect(*p)?;
                        Some(GeomWithData::new(
                            Rectangle::from_corners([r.min().x, r.min().y], [r.max().x, r.max().y]),
                            i,
                        ))
                    })
                    .collect(),
            );
            let mut shells: std::collections::HashMap<usize, Ring> = Default::default();
            let mut first: Option<(usize, usize)> = None;
            for (j, q) in polygons.iter().enumerate() {
                let Some(c) = q.exterior().0.first() else {
                    continue;
                };
                for cand in boxes.locate_all_at_point(&[c.x, c.y]) {
                    let i = cand.data;
                    if i == j || first.is_some_and(|f| f <= (i, j)) {
                        continue;
                    }
                    let p = polygons[i];
                    let inside = if p.exterior().0.len() <= 64 {
                        p.coordinate_position(c) == CoordPos::Inside
                    } else {
                        let shell = shells.entry(i).or_insert_with(|| Ring::new(p.exterior()));
                        shell.position(*c) == CoordPos::Inside
                            && p.interiors().iter().all(|h| {
                                geo::BoundingRect::bounding_rect(h).is_none_or(|r| {
                                    !geo::Intersects::intersects(&r, c)
                                        || Polygon::new(h.clone(), vec![]).coordinate_position(c)
                                            == CoordPos::Outside
                                })
                            })
                    };
                    if inside {
                        first = Some((i, j));
                    }
                }
            }
            if let Some((i, j)) = first {
                return Err(format!("polygons at indices {i} and {j} overlap"));
            }
        }
        Ok(())
    }
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
    use geo::{polygon, Polygon};

    #[test]
    fn valid_polygon_passes() {
        let sq = Geometry::Polygon(
            polygon![(x: 0., y: 0.), (x: 1., y: 0.), (x: 1., y: 1.), (x: 0., y: 1.)],
        );
        assert_eq!(check(&sq), Ok(()));
    }

    /// A big polygon is validated fast and agrees with geo's validation.
    /// The shortcut only ever proves what geo's validation agrees with: random polygons
    /// with holes, valid and not (holes crossing, touching, nested, outside; spikes, bowties).
    #[test]
    fn the_shortcut_never_passes_what_geo_refuses() {
        use proptest::prelude::*;
        let ring = |cx: f64, cy: f64, r: f64, n: usize, wobble: Vec<f64>| -> LineString<f64> {
            let mut c: Vec<(f64, f64)> = (0..n)
                .map(|i| {
                    let a = i as f64 / n as f64 * std::f64::consts::TAU;
                    let r = r * (1.0 + wobble[i % wobble.len()]);
                    ((cx + r * a.cos()).round(), (cy + r * a.sin()).round())
                })
                .collect();
            c.push(c[0]);
            LineString::from(c)
        };
        let mut runner = proptest::test_runner::TestRunner::deterministic();
        let shape = (3usize..40, proptest::collection::vec(-0.9f64..1.5, 1..6));
        let holes = proptest::collection::vec(
            (
                -60.0f64..60.0,
                -60.0f64..60.0,
                2.0f64..50.0,
                3usize..12,
                proptest::collection::vec(-0.5f64..0.8, 1..4),
            ),
            0..4,
        );
        let (proven, refused) = (std::cell::Cell::new(0), std::cell::Cell::new(0));
        runner
            .run(&(shape, holes), |((n, wobble), holes)| {
                let shell = ring(0.0, 0.0, 80.0, n, wobble);
                let holes = holes
                    .into_iter()
                    .map(|(x, y, r, n, w)| ring(x, y, r, n, w))
                    .collect();
                let p = Polygon::new(shell, holes);
                if simple_polygon(&p) {
                    proven.set(proven.get() + 1);
                    prop_assert!(p.is_valid(), "{p:?}");
                } else {
                    refused.set(refused.get() + 1);
                }
                Ok(())
            })
            .unwrap();
        // Both sides were exercised.
        let (proven, refused) = (proven.get(), refused.get());
        assert!(proven > 0 && refused > 0, "{proven} proven, {refused} not");
    }

    proptest::proptest! {
        /// The orientation test says what `line_intersection` says, touches and collinear
        /// overlaps included (small integer grids make those common).
        #[test]
        fn segments_meet_as_geo_says(c in proptest::array::uniform8(-4i8..5)) {
            let p = |i: usize| Coord { x: f64::from(c[i]), y: f64::from(c[i + 1]) };
            let (a0, a1, b0, b1) = (p(0), p(2), p(4), p(6));
            proptest::prop_assert_eq!(
                segments_meet(a0, a1, b0, b1),
                line_intersection(Line::new(a0, a1), Line::new(b0, b1)).is_some()
            );
        }
    }

    #[test]
    fn a_polygon_with_holes_is_proven_without_geo() {
        let shell = LineString::from(vec![
            (0., 0.),
            (100., 0.),
            (100., 100.),
            (0., 100.),
            (0., 0.),
        ]);
        let hole =
            |x: f64| LineString::from(vec![(x, 10.), (x + 10., 10.), (x + 10., 20.), (x, 10.)]);
        assert!(simple_polygon(&Polygon::new(
            shell.clone(),
            vec![hole(10.), hole(40.)]
        )));
        // Holes touching each other, or the shell: left to geo.
        assert!(!simple_polygon(&Polygon::new(
            shell.clone(),
            vec![hole(10.), hole(20.)]
        )));
        assert!(!simple_polygon(&Polygon::new(
            shell.clone(),
            vec![hole(0.)]
        )));
        // A hole outside, or inside another: refused by the shortcut, and geo says why.
        let outside = Polygon::new(shell.clone(), vec![hole(200.)]);
        assert!(!simple_polygon(&outside));
        assert!(check(&Geometry::Polygon(outside)).is_err());
        let big = LineString::from(vec![(5., 5.), (60., 5.), (60., 60.), (5., 5.)]);
        let nested = Polygon::new(shell, vec![big, hole(40.)]);
        assert!(!simple_polygon(&nested));
        assert!(check(&Geometry::Polygon(nested)).is_err());
    }

    #[test]
    fn big_polygons_agree_with_geo() {
        let n = 5_000;
        let circle: LineString<f64> = (0..=n)
            .map(|i| {
                let a = (i % n) as f64 / n as f64 * std::f64::consts::TAU;
                (100.0 * a.cos(), 100.0 * a.sin())
            })
            .collect();
        let ok = Geometry::Polygon(Polygon::new(circle.clone(), vec![]));
        assert_eq!(check(&ok), Ok(()));
        // Swap two far-apart vertices: the ring now crosses itself.
        let mut bad = circle.clone();
        bad.0.swap(10, 2_500);
        let bad = Geometry::Polygon(Polygon::new(bad, vec![]));
        assert!(!bad.is_valid());
        let err = check(&bad).unwrap_err();
        assert!(err.contains("self-intersection at ("), "{err}");
        // A hole outside the shell.
        let hole = LineString::from(vec![(500., 500.), (510., 500.), (510., 510.), (500., 500.)]);
        let outside = Geometry::Polygon(Polygon::new(circle.clone(), vec![hole]));
        assert!(check(&outside).unwrap_err().contains("interior ring"));
        // A hole inside is fine.
        let hole = LineString::from(vec![(0., 0.), (10., 0.), (10., 10.), (0., 0.)]);
        assert_eq!(
            check(&Geometry::Polygon(Polygon::new(circle, vec![hole]))),
            Ok(())
        );
    }

    /// Found by the geojson fuzz target: `--repair` on a ring with 1e40 coordinates made the
    /// triangulation library (spade, through geo's MakeValid) panic.
    #[test]
    fn regression_repair_refuses_absurd_coordinates_instead_of_panicking() {
        let g = Geometry::Polygon(
            polygon![(x: 0., y: 0.), (x: 2., y: 3.3e40), (x: 2., y: 0.), (x: 0., y: 3.3e40)],
        );
        assert!(check(&g).is_err());
        assert_eq!(repair(&g), None);
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
