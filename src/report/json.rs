use super::{Emitter, Report};
use crate::model::Finding;
use serde_json::{json, Value};
use std::io::{self, Write};

/// JSON: `{"findings": [...], "summary": {...}, "diagnostics": [...]}`. Each finding has
/// `code`, `name`, `severity`, `feature {source, index, id, name}`, `zone {layer, id, name}`,
/// `measure {kind, value, unit, limit, op}`, `share_of_footprint`, `nearest`, `message`,
/// `resolution` (what would resolve it, in the report's language), `citation`, `status` (`active`, `undetermined`, `waived`, `baselined`), `undetermined`
/// (`terrain` too, for a terrain rule: the DEM, cells counted and left out, steepest slope
/// and steep area, or ground, height, top and excess; `plan` for a regulatory-plan rule: the
/// parcel, its area and the part on it, the planned and proposed uses and the verdict, the
/// floor and green area counted on it, or every parcel stood on),
/// (`{attributes, reason}` when the rule could not be decided), `fingerprint`, and `geometry` (GeoJSON) with `nearest` in `geometry_crs`,
/// the CRS of the proposal file.
pub struct Json;

/// One finding as JSON, geometry in its source's CRS.
pub fn finding_json(report: &Report, f: &Finding) -> Value {
    let placed = report.in_source_crs(f);
    let (geometry, nearest, crs) = (placed.geometry, placed.nearest, placed.crs);
    let mut v = json!({
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
        "nearest": nearest,
        "message": f.message,
        "resolution": super::resolution(f, report.lang),
        "citation": f.citation,
        "approval": f.approval,
        "exception": f.exception,
        "status": f.status(),
        "undetermined": f.undetermined,
        "triage": f.triage,
        "fingerprint": super::fingerprint(f),
        "geometry": geometry.as_ref().map(|g| geojson::Geometry::new(geojson::GeometryValue::from(&**g))),
        "geometry_crs": crs,
    });
    // Only terrain rules measure on a DEM; other findings keep their shape.
    if let (Some(t), Some(o)) = (&f.terrain, v.as_object_mut()) {
        o.insert("terrain".into(), json!(t));
    }
    if let (Some(p), Some(o)) = (&f.plan, v.as_object_mut()) {
        o.insert("plan".into(), json!(p));
    }
    v
}

impl Emitter for Json {
    fn emit(&self, out: &mut dyn Write, report: &Report) -> io::Result<()> {
        let doc = json!({
            "findings": report.findings.iter().map(|f| finding_json(report, f)).collect::<Vec<_>>(),
            "summary": report.summary,
            "fixed": report.fixed,
            "diagnostics": report.diagnostics,
        });
        serde_json::to_writer_pretty(&mut *out, &doc)?;
        writeln!(out)
    }
}
