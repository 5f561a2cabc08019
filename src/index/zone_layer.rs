use super::parts::{chunks, tile, CHUNK_SEGMENTS, TILE_MAX_VERTICES};
use crate::model::{Feature, Properties};
use geo::{BoundingRect, Coord, Geometry, LineString, Polygon, Rect};
use rstar::primitives::{GeomWithData, Rectangle};
use rstar::{RTree, AABB};

/// One zone feature of a layer.
#[derive(Clone, Debug)]
pub struct Zone {
    /// The zone's id (id field, else feature id, else `#<index>`).
    pub id: String,
    pub name: Option<String>,
    pub properties: Properties,
    /// Whether the zone has area (a polygon) or is line/point work.
    pub areal: bool,
    /// The zone's area, m² (0 for line and point work): a planning parcel's FAR and
    /// coverage are over it.
    pub area_m2: f64,
    /// The zone's whole geometry (working CRS), kept only for a layer built to be drawn
    /// ([`ZoneLayer::build_keeping`]; `serve`'s map): rules use the pieces and edges, and
    /// other commands let it go once tiled.
    pub geometry: Option<Geometry<f64>>,
}

impl Zone {
    /// The zone's attribute `field` as a finite number (a district's target), else `None`:
    /// missing, null, text or not finite.
    pub fn number(&self, field: &str) -> Option<f64> {
        self.properties
            .get(field)
            .and_then(|v| v.as_f64())
            .filter(|v| v.is_finite())
    }
}

/// A tile of an areal zone.
#[derive(Clone, Debug)]
pub struct Piece {
    pub zone: usize,
    pub polygon: Polygon<f64>,
}

/// Line work of a zone: a chunk of a line or ring, or a single point.
#[derive(Clone, Debug)]
pub struct Edge {
    pub zone: usize,
    pub coords: LineString<f64>,
    /// The chunk's bounding box.
    pub bbox: Rect<f64>,
}

impl Edge {
    fn new(zone: usize, coords: LineString<f64>) -> Option<Edge> {
        let bbox = coords.bounding_rect()?;
        Some(Edge { zone, coords, bbox })
    }
}

type Entry = GeomWithData<Rectangle<[f64; 2]>, usize>;

/// A zone layer with two R-trees: one over areal pieces (for overlap and containment), one
/// over line-work chunks (for distances). Both are bulk-loaded once.
pub struct ZoneLayer {
    pub name: String,
    pub zones: Vec<Zone>,
    pub pieces: Vec<Piece>,
    pub edges: Vec<Edge>,
    piece_tree: RTree<Entry>,
    edge_tree: RTree<Entry>,
}

impl std::fmt::Debug for ZoneLayer {
    /// The name and sizes (the trees and geometry would drown a finding's debug output).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ZoneLayer")
            .field("name", &self.name)
            .field("zones", &self.zones.len())
            .field("pieces", &self.pieces.len())
            .field("edges", &self.edges.len())
            .finish()
    }
}

fn entry(rect: Rect<f64>, index: usize) -> Entry {
    GeomWithData::new(
        Rectangle::from_corners([rect.min().x, rect.min().y], [rect.max().x, rect.max().y]),
        index,
    )
}

fn aabb(rect: Rect<f64>) -> AABB<[f64; 2]> {
    AABB::from_corners([rect.min().x, rect.min().y], [rect.max().x, rect.max().y])
}

impl ZoneLayer {
    /// Builds the layer from features already in the working CRS.
    pub fn build(name: &str, features: Vec<Feature>) -> ZoneLayer {
        Self::build_keeping(name, features, false)
    }

    /// [`ZoneLayer::build`], keeping each zone's whole geometry when `keep_geometry`.
    pub fn build_keeping(name: &str, features: Vec<Feature>, keep_geometry: bool) -> ZoneLayer {
        let mut zones = Vec::with_capacity(features.len());
        let mut pieces = Vec::new();
        let mut edges = Vec::new();
        for (zi, f) in features.into_iter().enumerate() {
            let id = f
                .fref
                .id
                .clone()
                .unwrap_or_else(|| format!("#{}", f.fref.index));
            let name = f.name().map(str::to_owned);
            let area_m2 = match &f.geometry {
                g @ (Geometry::Polygon(_)
                | Geometry::MultiPolygon(_)
                | Geometry::Rect(_)
                | Geometry::Triangle(_)) => geo::Area::unsigned_area(g),
                _ => 0.0,
            };
            let mut areal = false;
            let mut add_polygon =
                |p: &Polygon<f64>, pieces: &mut Vec<Piece>, edges: &mut Vec<Edge>| {
                    areal = true;
                    for ring in std::iter::once(p.exterior()).chain(p.interiors()) {
                        edges.extend(
                            chunks(ring, CHUNK_SEGMENTS)
                                .into_iter()
                                .filter_map(|coords| Edge::new(zi, coords)),
                        );
                    }
                    pieces.extend(
                        tile(p, TILE_MAX_VERTICES)
                            .into_iter()
                            .map(|polygon| Piece { zone: zi, polygon }),
                    );
                };
            let add_line = |l: &LineString<f64>, edges: &mut Vec<Edge>| {
                edges.extend(
                    chunks(l, CHUNK_SEGMENTS)
                        .into_iter()
                        .filter_map(|coords| Edge::new(zi, coords)),
                );
            };
            match &f.geometry {
                Geometry::Polygon(p) => add_polygon(p, &mut pieces, &mut edges),
                Geometry::MultiPolygon(m) => m
                    .iter()
                    .for_each(|p| add_polygon(p, &mut pieces, &mut edges)),
                Geometry::Rect(r) => add_polygon(&r.to_polygon(), &mut pieces, &mut edges),
                Geometry::Triangle(t) => add_polygon(&t.to_polygon(), &mut pieces, &mut edges),
                Geometry::LineString(l) => add_line(l, &mut edges),
                Geometry::MultiLineString(m) => m.iter().for_each(|l| add_line(l, &mut edges)),
                Geometry::Line(l) => add_line(&LineString(vec![l.start, l.end]), &mut edges),
                Geometry::Point(p) => edges.extend(Edge::new(zi, LineString(vec![p.0]))),
                Geometry::MultiPoint(m) => edges.extend(
                    m.iter()
                        .filter_map(|p| Edge::new(zi, LineString(vec![p.0]))),
                ),
                Geometry::GeometryCollection(_) => {}
            }
            zones.push(Zone {
                id,
                name,
                properties: f.properties,
                areal,
                area_m2,
                geometry: keep_geometry.then_some(f.geometry),
            });
        }
        let piece_tree = RTree::bulk_load(
            pieces
                .iter()
                .enumerate()
                .filter_map(|(i, p)| p.polygon.bounding_rect().map(|r| entry(r, i)))
                .collect(),
        );
        let edge_tree = RTree::bulk_load(
            edges
                .iter()
                .enumerate()
                .map(|(i, e)| entry(e.bbox, i))
                .collect(),
        );
        ZoneLayer {
            name: name.to_owned(),
            zones,
            pieces,
            edges,
            piece_tree,
            edge_tree,
        }
    }

    /// Builds a layer from bare geometries (ids `z0`, `z1`, ...), for tests and examples.
    pub fn from_geometries(name: &str, geometries: Vec<Geometry<f64>>) -> ZoneLayer {
        let features = geometries
            .into_iter()
            .enumerate()
            .map(|(i, geometry)| Feature {
                fref: crate::model::FeatureRef {
                    source: name.into(),
                    index: i,
                    id: Some(format!("z{i}")),
                },
                properties: Default::default(),
                geometry,
            })
            .collect();
        ZoneLayer::build(name, features)
    }

    /// The areal zone holding a point (boundary included), if any: the first found where
    /// zones overlap.
    pub fn zone_at(&self, c: Coord<f64>) -> Option<usize> {
        use geo::Intersects;
        self.pieces_in(Rect::new(c, c))
            .find(|p| p.polygon.intersects(&c))
            .map(|p| p.zone)
    }

    /// Areal pieces whose bounding box meets `rect`.
    pub fn pieces_in(&self, rect: Rect<f64>) -> impl Iterator<Item = &Piece> + '_ {
        self.piece_tree
            .locate_in_envelope_intersecting(&aabb(rect))
            .map(|e| &self.pieces[e.data])
    }

    /// Line-work chunks whose bounding box meets `rect`.
    pub fn edges_in(&self, rect: Rect<f64>) -> impl Iterator<Item = &Edge> + '_ {
        self.edge_tree
            .locate_in_envelope_intersecting(&aabb(rect))
            .map(|e| &self.edges[e.data])
    }

    /// The zones whose line work (rings, lines, points) meets `rect`, sorted and deduplicated.
    ///
    /// A connected region that no zone boundary meets lies wholly inside or wholly outside
    /// each zone, so one point of it decides containment: the prepared-geometry shortcut that
    /// spares a footprint far from every edge the boolean operations.
    pub fn boundaries_meeting(&self, rect: Rect<f64>) -> Vec<usize> {
        let mut zones: Vec<usize> = self
            .edges_in(rect)
            .filter(|e| edge_meets(e, rect))
            .map(|e| e.zone)
            .collect();
        zones.sort_unstable();
        zones.dedup();
        zones
    }

    /// Number of indexed parts (pieces + edges), for statistics.
    pub fn part_count(&self) -> usize {
        self.pieces.len() + self.edges.len()
    }
}

/// Whether any segment (or the point) of the chunk meets the closed box.
fn edge_meets(e: &Edge, rect: Rect<f64>) -> bool {
    let (lo, hi) = (rect.min(), rect.max());
    if e.bbox.min().x >= lo.x
        && e.bbox.max().x <= hi.x
        && e.bbox.min().y >= lo.y
        && e.bbox.max().y <= hi.y
    {
        return true;
    }
    match e.coords.0.as_slice() {
        [c] => outcode(*c, lo, hi) == 0,
        cs => cs.windows(2).any(|w| segment_meets_box(w[0], w[1], lo, hi)),
    }
}

/// Cohen–Sutherland region code of a point against a box (0 inside or on its edge).
fn outcode(c: Coord<f64>, lo: Coord<f64>, hi: Coord<f64>) -> u8 {
    u8::from(c.x < lo.x)
        | u8::from(c.x > hi.x) << 1
        | u8::from(c.y < lo.y) << 2
        | u8::from(c.y > hi.y) << 3
}

/// Whether a segment meets a closed box: trivially by region codes, else by the signs of
/// the box corners against the segment's line (exact orientation from geo's robust kernel).
fn segment_meets_box(a: Coord<f64>, b: Coord<f64>, lo: Coord<f64>, hi: Coord<f64>) -> bool {
    use geo::kernels::{Kernel, Orientation};
    let (ca, cb) = (outcode(a, lo, hi), outcode(b, lo, hi));
    if ca == 0 || cb == 0 {
        return true;
    }
    if ca & cb != 0 {
        return false;
    }
    // Both outside, not on one side: the segment meets the box iff its line separates or
    // touches the corners (the bounding boxes already overlap in this case or the codes
    // would share a bit).
    let corners = [
        lo,
        Coord { x: hi.x, y: lo.y },
        hi,
        Coord { x: lo.x, y: hi.y },
    ];
    let mut left = false;
    let mut right = false;
    for c in corners {
        match <f64 as geo::GeoNum>::Ker::orient2d(a, b, c) {
            Orientation::Collinear => return true,
            Orientation::CounterClockwise => left = true,
            Orientation::Clockwise => right = true,
        }
    }
    left && right
}

/// The distance between two boxes (0 when they meet): a lower bound of the distance between
/// anything inside them.
pub fn box_distance(a: Rect<f64>, b: Rect<f64>) -> f64 {
    let dx = (a.min().x - b.max().x).max(b.min().x - a.max().x).max(0.0);
    let dy = (a.min().y - b.max().y).max(b.min().y - a.max().y).max(0.0);
    (dx * dx + dy * dy).sqrt()
}

pub use crate::geom::expand;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::FeatureRef;

    fn feature(i: usize, g: Geometry<f64>) -> Feature {
        Feature {
            fref: FeatureRef {
                source: "z".into(),
                index: i,
                id: Some(format!("z{i}")),
            },
            properties: Default::default(),
            geometry: g,
        }
    }

    #[test]
    fn a_long_river_is_found_by_its_nearby_chunk_only() {
        let river: LineString<f64> = (0..2000).map(|i| (i as f64 * 10.0, 0.0)).collect();
        let layer = ZoneLayer::build("river", vec![feature(0, Geometry::LineString(river))]);
        assert!(layer.edges.len() > 100);
        let near = Rect::new(Coord { x: 5000.0, y: 5.0 }, Coord { x: 5010.0, y: 15.0 });
        let hits: Vec<_> = layer.edges_in(expand(near, 20.0)).collect();
        assert_eq!(hits.len(), 1);
        assert!(hits[0].coords.0.len() <= CHUNK_SEGMENTS + 1);
    }
}
