//! Zone layers in R-trees. A zone is indexed by its *parts*, not its bounding box: polygons
//! with many vertices are cut into tiles, and every ring and line is cut into short chunks,
//! so a query near one bend of a 2,000-vertex river touches a few dozen vertices, not all.

/// Cutting big polygons into tiles and long lines into chunks.
pub mod parts;
/// The indexed layer.
pub mod zone_layer;

pub use zone_layer::{Edge, Piece, Zone, ZoneLayer};
