//! The spatial tests, one per file, and the checker that runs a project's rules over
//! features. Each test returns [`Hit`]s: what was measured against which zone, and the
//! offending part; the checker turns hits into cited findings.

/// Where proposals may lie: a footprint outside the project's area is refused.
pub mod area;
/// P4: an attribute (height, floors...) within a limit set by the rule, a distance band or a zone.
pub mod attribute;
/// The checker: packs loaded, zone layers indexed, proposal sources read and evaluated.
pub mod checker;
/// The one evaluation entry point: a feature in, compact results out; the share pass.
pub mod evaluate;
/// Findings worded from compact results.
pub mod finding;
/// `ironrule rules test`: every rule's fixtures must fire exactly where they say.
pub mod fixtures;
/// Indicators per district, before and after the proposals.
pub mod indicators;
/// `ironrule rules lint`: every problem of a pack, with its location.
pub mod lint;
/// P1: the footprint's interior meets a zone's interior.
pub mod overlap;
/// P4 on the regulatory plan: land use, plan limits and fit against planning parcels.
pub mod plan;
/// Fixtures for a new rule, drawn against a real layer (`init`, `rules new`).
pub mod scaffold;
/// P2: the footprint is within a distance of a zone.
pub mod setback;
/// P5: a district's landscape share after a set of proposals.
pub mod share;
/// P6: the building under the ridgeline seen from viewpoints.
pub mod skyline;
/// P6: slope share and top elevation on a DEM.
pub mod terrain;
/// Undetermined results: why a rule could not be decided, in the checker's language.
pub mod undetermined;
/// P3: the footprint must lie within a layer.
pub mod within;
/// Zone layers read, filtered and indexed.
pub mod zones;

pub use checker::{CheckedSource, Checker, ReadRequest};
pub use evaluate::{Checked, Found};

use crate::model::MeasureKind;
use geo::{Coord, Geometry};

/// One measured violation of a spatial test, before it becomes a [`crate::model::Finding`].
#[derive(Clone, Debug, PartialEq)]
pub struct Hit {
    /// Index of the zone in its layer; `None` for tests against a whole layer.
    pub zone: Option<usize>,
    pub kind: MeasureKind,
    pub value: f64,
    /// Measured part ÷ footprint, for areal footprints.
    pub share: Option<f64>,
    /// Nearest points (footprint, zone) for a setback.
    pub nearest: Option<[Coord<f64>; 2]>,
    /// The offending part.
    pub geometry: Option<Geometry<f64>>,
}
