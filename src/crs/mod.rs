//! Coordinate reference systems: naming one ([`Crs::parse`]), and moving geometry between two
//! ([`Transformer`]). Metres are measured only in the working CRS, which must be projected and
//! metric; [`Crs::check_working`] refuses the rest.

/// The CRS type and how a name becomes one.
pub mod definition;
/// The built-in table of CRSs the pure-Rust path knows.
pub mod registry;
/// Krüger's inverse transverse Mercator, the fast path of the findings layer's transform.
pub mod tmerc;
/// Transforms between two CRSs (proj4rs, or PROJ under the `proj` feature).
pub mod transform;
/// GCJ-02 and BD-09, the datums of Chinese web maps.
pub mod web_datum;
/// WKT (.prj, GeoPackage srs) identified without PROJ.
pub mod wkt;

pub use definition::Crs;
pub use transform::Transformer;
pub use web_datum::WebDatum;

/// Why a CRS could not be used.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum CrsError {
    #[error("unknown CRS '{name}': {hint}")]
    Unknown { name: String, hint: String },
    #[error("CRS {name} cannot be the working CRS: {reason}")]
    NotMetric { name: String, reason: String },
    #[error("cannot transform from {from} to {to}: {reason}")]
    Transform {
        from: String,
        to: String,
        reason: String,
    },
    #[error("coordinate ({x}, {y}) is not a longitude/latitude in {crs}: {hint}")]
    OutOfRange {
        crs: String,
        x: f64,
        y: f64,
        hint: String,
    },
}
