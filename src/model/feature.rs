use geo::Geometry;
use serde::Serialize;
use std::fmt;

/// A feature's attributes, as JSON values.
pub type Properties = serde_json::Map<String, serde_json::Value>;

/// Where a feature came from: the source as the user named it, its 0-based position in that
/// source, and its id (from the id field, else the feature id) when it has one.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct FeatureRef {
    /// Shared by every feature of the source (one allocation per source, not per feature).
    pub source: std::sync::Arc<str>,
    pub index: usize,
    pub id: Option<String>,
}

impl fmt::Display for FeatureRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: feature #{}", self.source, self.index)?;
        if let Some(id) = &self.id {
            write!(f, " (id {id:?})")?;
        }
        Ok(())
    }
}

/// One feature, its geometry in the project's working CRS.
#[derive(Clone, Debug)]
pub struct Feature {
    pub fref: FeatureRef,
    pub properties: Properties,
    pub geometry: Geometry<f64>,
}

impl Feature {
    /// A human label: the `name` attribute when there is one.
    pub fn name(&self) -> Option<&str> {
        self.properties.get("name").and_then(|v| v.as_str())
    }
}
