//! Geometry helpers shared by readers, the index and the spatial tests.

/// A feature's geometry as the tests see it: areal, linear or puntal.
pub mod footprint;
/// Boolean operations in a local frame, for precise areas.
pub mod local;
/// Nearest points and distances between segments and line strings.
pub mod nearest;
/// Validity checks with messages that say what is wrong and where.
pub mod validate;

pub use footprint::Footprint;
pub use nearest::Nearest;

/// Areas below this (1 mm²) are floating-point residue of a boolean operation, not overlap.
pub const AREA_EPSILON_M2: f64 = 1e-6;
/// Lengths below this (1 µm) are floating-point residue.
pub const LENGTH_EPSILON_M: f64 = 1e-6;

/// The box around all the geometries; `None` when there are none (or all are empty).
pub fn bbox_of<'a>(
    geometries: impl IntoIterator<Item = &'a geo::Geometry<f64>>,
) -> Option<geo::Rect<f64>> {
    use geo::BoundingRect;
    geometries
        .into_iter()
        .filter_map(|g| g.bounding_rect())
        .reduce(union_rect)
}

/// The box around two boxes.
pub fn union_rect(a: geo::Rect<f64>, b: geo::Rect<f64>) -> geo::Rect<f64> {
    geo::Rect::new(
        geo::Coord {
            x: a.min().x.min(b.min().x),
            y: a.min().y.min(b.min().y),
        },
        geo::Coord {
            x: a.max().x.max(b.max().x),
            y: a.max().y.max(b.max().y),
        },
    )
}

/// `rect` grown by `by` on every side.
pub fn expand(rect: geo::Rect<f64>, by: f64) -> geo::Rect<f64> {
    geo::Rect::new(
        geo::Coord {
            x: rect.min().x - by,
            y: rect.min().y - by,
        },
        geo::Coord {
            x: rect.max().x + by,
            y: rect.max().y + by,
        },
    )
}
