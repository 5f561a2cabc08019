use super::{Emitter, Report};
use crate::crs::Crs;
use crate::model::Finding;
use geo::Geometry;
use serde_json::{json, Value};
use std::io::{self, Write};

/// A GeoJSON findings layer (RFC 7946, so WGS 84 longitude/latitude): one feature per
/// finding whose geometry is the offending part — the overlap, the part outside, the
/// nearest-points segment of a setback — with `code`, `severity`, `feature_id`, `source`,
/// `zone_layer`, `zone_id`, `measure`, `value`, `unit`, `limit`, `message` as properties.
/// Opens in QGIS and ogrinfo.
pub struct GeoJsonLayer;

impl Emitter for GeoJsonLayer {
    fn emit(&self, out: &mut dyn Write, report: &Report) -> io::Result<()> {
        let wgs84 = Crs::wgs84();
        writeln!(
            out,
            "{{\"type\":\"FeatureCollection\",\"name\":\"ironrule_findings\",\"features\":["
        )?;
        let mut first = true;
        for f in &report.findings {
            let geometry = f
                .geometry
                .as_ref()
                .and_then(|g| report.reproject(g, &wgs84));
            let feature = feature(f, geometry.as_ref());
            if !first {
                writeln!(out, ",")?;
            }
            first = false;
            write!(out, "{feature}")?;
        }
        writeln!(out, "\n]}}")
    }
}

/// One finding as a GeoJSON feature; `geometry` is the offending part in WGS 84.
pub fn feature(f: &Finding, geometry: Option<&Geometry<f64>>) -> Value {
    json!({
        "type": "Feature",
        "properties": {
            "code": f.code,
            "severity": f.severity,
            "feature_id": f.feature.id,
            "feature_name": f.feature_name,
            "source": f.feature.source,
            "feature_index": f.feature.index,
            "zone_layer": f.zone.layer,
            "zone_id": f.zone.id,
            "measure": f.measure.kind,
            "value": f.measure.value,
            "unit": f.measure.unit,
            "limit": f.measure.limit,
            "message": f.message,
            "citation": f.citation.to_string(),
            "status": f.status(),
        },
        "geometry": geometry.map_or(Value::Null, |g| json!(geojson::Geometry::new(geojson::GeometryValue::from(g)))),
    })
}
