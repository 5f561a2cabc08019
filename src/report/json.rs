use super::{Emitter, Report};
use crate::model::Finding;
use serde_json::{json, Value};
use std::io::{self, Write};

/// JSON: `{"findings": [...], "summary": {...}, "diagnostics": [...]}`. Each finding has
/// `code`, `name`, `severity`, `feature {source, index, id, name}`, `zone {layer, id, name}`,
/// `measure {kind, value, unit, limit, op}`, `share_of_footprint`, `nearest`, `message`,
/// `citation`, and `geometry` (GeoJSON, in `geometry_crs`, the input's CRS).
pub struct Json;

/// One finding as JSON.
pub fn finding_json(f: &Finding) -> Value {
    json!({
        "code": f.code,
        "name": f.rule_name,
        "severity": f.severity,
        "feature": {
            "source": f.feature.source,
            "index": f.feature.index,
            "id": f.feature.id,
            "name": f.feature_name,
        },
        "zone": f.zone,
        "measure": f.measure,
        "share_of_footprint": f.share_of_footprint,
        "nearest": f.nearest,
        "message": f.message,
        "citation": f.citation,
        "geometry": f.geometry.as_ref().map(|g| geojson::Geometry::new(geojson::GeometryValue::from(g))),
        "geometry_crs": f.geometry_crs,
    })
}

impl Emitter for Json {
    fn emit(&self, out: &mut dyn Write, report: &Report) -> io::Result<()> {
        let doc = json!({
            "findings": report.findings.iter().map(finding_json).collect::<Vec<_>>(),
            "summary": report.summary,
            "diagnostics": report.diagnostics,
        });
        serde_json::to_writer_pretty(&mut *out, &doc)?;
        writeln!(out)
    }
}
