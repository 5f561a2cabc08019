use geo::{BooleanOps, BoundingRect, Coord, CoordsIter, LineString, Polygon, Rect};

/// Polygons with more vertices than this are tiled.
pub const TILE_MAX_VERTICES: usize = 256;
/// Lines and rings are cut into chunks of this many segments.
pub const CHUNK_SEGMENTS: usize = 16;

/// Cuts a polygon into pieces of at most `max_vertices` vertices by recursive bisection of
/// its bounding box. The pieces partition the polygon: their interiors are disjoint and their
/// union is the polygon, so areas of intersection with the pieces add up to the area of
/// intersection with the whole (to the precision of geo's boolean operations, which snap to a
/// fixed-point grid: about 1e-11 of the polygon's area).
///
/// ```
/// use geo::{Area, LineString, Polygon};
/// // A 1,000-vertex circle.
/// let ring: LineString = (0..1000).map(|i| {
///     let a = i as f64 / 1000.0 * std::f64::consts::TAU;
///     (100.0 * a.cos(), 100.0 * a.sin())
/// }).collect();
/// let circle = Polygon::new(ring, vec![]);
/// let pieces = ironrule::index::parts::tile(&circle, 256);
/// assert!(pieces.len() > 1);
/// let sum: f64 = pieces.iter().map(|p| p.unsigned_area()).sum();
/// assert!((sum - circle.unsigned_area()).abs() < 1e-9 * circle.unsigned_area());
/// ```
pub fn tile(polygon: &Polygon<f64>, max_vertices: usize) -> Vec<Polygon<f64>> {
    let mut out = Vec::new();
    split(polygon.clone(), max_vertices, 0, &mut out);
    if out.len() > 1 {
        snap_back(polygon, &mut out);
    }
    out
}

/// The boolean operations that cut the tiles snap every vertex to a fixed-point grid sized by
/// the whole polygon (micrometres for a city-wide boundary), which would move the zone's
/// edges and put a plot's overlap area 1e-4 m² off. Each tile vertex within a few grid steps
/// of an original vertex is put back on it exactly; only the vertices on the cuts stay new.
fn snap_back(original: &Polygon<f64>, tiles: &mut [Polygon<f64>]) {
    use geo::MapCoordsInPlace;
    let Some(bbox) = original.bounding_rect() else {
        return;
    };
    // i_overlay's grid: 2^(log2(half extent) - 29); four steps of slack.
    let half = bbox.width().max(bbox.height()) / 2.0;
    let tol = 4.0 * 2f64.powi(half.log2().floor() as i32 - 29);
    let cell = tol * 4.0;
    let key = |c: Coord<f64>| ((c.x / cell).floor() as i64, (c.y / cell).floor() as i64);
    let mut grid: std::collections::HashMap<(i64, i64), Vec<Coord<f64>>> = Default::default();
    for c in original
        .exterior()
        .0
        .iter()
        .chain(original.interiors().iter().flat_map(|r| r.0.iter()))
    {
        grid.entry(key(*c)).or_default().push(*c);
    }
    // The cut vertices: where a cut crosses an edge. They go back onto that edge (projected),
    // so the zone's outline is the original one everywhere.
    use rstar::primitives::{GeomWithData, Rectangle};
    type Segment = GeomWithData<Rectangle<[f64; 2]>, (Coord<f64>, Coord<f64>)>;
    let segments: Vec<Segment> = original
        .exterior()
        .lines()
        .chain(original.interiors().iter().flat_map(|r| r.lines()))
        .map(|l| {
            GeomWithData::new(
                Rectangle::from_corners([l.start.x, l.start.y], [l.end.x, l.end.y]),
                (l.start, l.end),
            )
        })
        .collect();
    let edges = rstar::RTree::bulk_load(segments);
    let on_edge = |c: Coord<f64>| -> Option<Coord<f64>> {
        let probe = rstar::AABB::from_corners([c.x - tol, c.y - tol], [c.x + tol, c.y + tol]);
        edges
            .locate_in_envelope_intersecting(&probe)
            .map(|e| crate::geom::nearest::point_segment(c, e.data.0, e.data.1))
            .filter(|n| n.distance <= tol)
            .min_by(|a, b| a.distance.total_cmp(&b.distance))
            .map(|n| n.b)
    };
    for t in tiles.iter_mut() {
        t.map_coords_in_place(|c| {
            let (kx, ky) = key(c);
            let mut best = (tol, c);
            for dx in -1..=1 {
                for dy in -1..=1 {
                    for o in grid.get(&(kx + dx, ky + dy)).into_iter().flatten() {
                        let d = (o.x - c.x).abs().max((o.y - c.y).abs());
                        if d <= best.0 {
                            best = (d, *o);
                        }
                    }
                }
            }
            if best.1 == c {
                return on_edge(c).unwrap_or(c);
            }
            best.1
        });
    }
}

fn split(polygon: Polygon<f64>, max_vertices: usize, depth: u32, out: &mut Vec<Polygon<f64>>) {
    let Some(bbox) = polygon.bounding_rect() else {
        return;
    };
    // The depth guard stops pathological inputs (thousands of vertices on one spot).
    if polygon.coords_count() <= max_vertices
        || depth >= 24
        || bbox.width().max(bbox.height()) == 0.0
    {
        out.push(polygon);
        return;
    }
    let (min, max) = (bbox.min(), bbox.max());
    let halves = if bbox.width() >= bbox.height() {
        let mid = (min.x + max.x) / 2.0;
        [
            Rect::new(min, Coord { x: mid, y: max.y }),
            Rect::new(Coord { x: mid, y: min.y }, max),
        ]
    } else {
        let mid = (min.y + max.y) / 2.0;
        [
            Rect::new(min, Coord { x: max.x, y: mid }),
            Rect::new(Coord { x: min.x, y: mid }, max),
        ]
    };
    for half in halves {
        for piece in polygon.intersection(&half.to_polygon()) {
            split(piece, max_vertices, depth + 1, out);
        }
    }
}

/// Cuts a chain of coordinates into overlapping chunks of at most `segments` segments (each
/// chunk starts where the previous ended), so every segment is in exactly one chunk.
pub fn chunks(line: &LineString<f64>, segments: usize) -> Vec<LineString<f64>> {
    let coords = &line.0;
    if coords.len() <= segments + 1 {
        return vec![line.clone()];
    }
    let mut out = Vec::with_capacity(coords.len() / segments + 1);
    let mut start = 0;
    while start + 1 < coords.len() {
        let end = (start + segments).min(coords.len() - 1);
        out.push(LineString(coords[start..=end].to_vec()));
        start = end;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::line_string;

    #[test]
    fn chunks_cover_every_segment_once() {
        let line: LineString<f64> = (0..40).map(|i| (i as f64, 0.0)).collect();
        let parts = chunks(&line, 16);
        assert_eq!(parts.len(), 3);
        let segs: usize = parts.iter().map(|p| p.0.len() - 1).sum();
        assert_eq!(segs, 39);
        assert_eq!(parts[0].0.last(), parts[1].0.first());
        let short = line_string![(x: 0., y: 0.), (x: 1., y: 1.)];
        assert_eq!(chunks(&short, 16), vec![short]);
    }
}
