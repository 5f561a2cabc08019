use super::{Cells, Emitter, Report};
use crate::crs::Crs;
use geo::Geometry;
use serde::{Serialize, Serializer};
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
        let mut line = Vec::with_capacity(1024);
        for f in &report.findings {
            let geometry = f
                .geometry
                .as_ref()
                .and_then(|g| report.reproject(g, &wgs84));
            line.clear();
            write_feature(&mut line, &Cells::of_finding(f), geometry.as_ref())
                .map_err(io::Error::other)?;
            if !first {
                writeln!(out, ",")?;
            }
            first = false;
            out.write_all(&line)?;
        }
        writeln!(out, "\n]}}")
    }
}

/// Writes one finding as a GeoJSON feature (one line, no newline); `geometry` is the
/// offending part in WGS 84. Serialised straight from the finding's parts, without building
/// a JSON tree first: the audit writes one per finding.
pub fn write_feature(
    out: &mut Vec<u8>,
    r: &Cells<'_>,
    geometry: Option<&Geometry<f64>>,
) -> serde_json::Result<()> {
    serde_json::to_writer(
        out,
        &LayerFeature {
            r#type: "Feature",
            properties: Properties {
                code: r.code,
                severity: r.severity,
                feature_id: r.feature.id.as_deref(),
                feature_name: r.feature_name,
                source: &r.feature.source,
                feature_index: r.feature.index,
                zone_layer: r.zone.layer,
                zone_id: r.zone.id,
                measure: r.measure.kind,
                value: r.measure.value,
                unit: r.measure.unit,
                limit: r.measure.limit,
                message: r.message,
                citation: r.citation.to_string(),
                status: r.status,
            },
            geometry: geometry.map(Shape),
        },
    )
}

/// A findings-layer feature, its fields in the layer's order.
#[derive(Serialize)]
struct LayerFeature<'a> {
    r#type: &'static str,
    properties: Properties<'a>,
    geometry: Option<Shape<'a>>,
}

#[derive(Serialize)]
struct Properties<'a> {
    code: &'a str,
    severity: crate::model::Severity,
    feature_id: Option<&'a str>,
    feature_name: Option<&'a str>,
    source: &'a str,
    feature_index: usize,
    zone_layer: &'a str,
    zone_id: Option<&'a str>,
    measure: crate::model::MeasureKind,
    value: f64,
    unit: crate::model::Unit,
    limit: f64,
    message: &'a str,
    citation: String,
    status: &'a str,
}

/// A geometry as a GeoJSON object, its coordinates written from geo's own (as the `geojson`
/// crate writes them, without its nested vectors of positions).
struct Shape<'a>(&'a Geometry<f64>);

/// Positions: `[x, y]`.
struct Position(geo::Coord<f64>);
/// A sequence of positions (a line string or a ring).
struct Positions<'a>(&'a [geo::Coord<f64>]);
/// A polygon's rings, exterior first.
struct Rings<'a>(&'a geo::Polygon<f64>);

impl Serialize for Position {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        [self.0.x, self.0.y].serialize(s)
    }
}

impl Serialize for Positions<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.0.iter().map(|c| Position(*c)))
    }
}

impl Serialize for Rings<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(
            std::iter::once(self.0.exterior())
                .chain(self.0.interiors())
                .map(|r| Positions(&r.0)),
        )
    }
}

impl Serialize for Shape<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut m = s.serialize_map(Some(2))?;
        match self.0 {
            Geometry::Point(p) => {
                m.serialize_entry("type", "Point")?;
                m.serialize_entry("coordinates", &Position(p.0))?;
            }
            Geometry::LineString(l) => {
                m.serialize_entry("type", "LineString")?;
                m.serialize_entry("coordinates", &Positions(&l.0))?;
            }
            Geometry::Polygon(p) => {
                m.serialize_entry("type", "Polygon")?;
                m.serialize_entry("coordinates", &Rings(p))?;
            }
            Geometry::MultiPoint(mp) => {
                m.serialize_entry("type", "MultiPoint")?;
                let points: Vec<Position> = mp.iter().map(|p| Position(p.0)).collect();
                m.serialize_entry("coordinates", &points)?;
            }
            Geometry::MultiLineString(ml) => {
                m.serialize_entry("type", "MultiLineString")?;
                let lines: Vec<Positions> = ml.iter().map(|l| Positions(&l.0)).collect();
                m.serialize_entry("coordinates", &lines)?;
            }
            Geometry::MultiPolygon(mp) => {
                m.serialize_entry("type", "MultiPolygon")?;
                let polygons: Vec<Rings> = mp.iter().map(Rings).collect();
                m.serialize_entry("coordinates", &polygons)?;
            }
            Geometry::Line(l) => {
                m.serialize_entry("type", "LineString")?;
                m.serialize_entry("coordinates", &Positions(&[l.start, l.end]))?;
            }
            Geometry::Rect(r) => {
                m.serialize_entry("type", "Polygon")?;
                m.serialize_entry("coordinates", &Rings(&r.to_polygon()))?;
            }
            Geometry::Triangle(t) => {
                m.serialize_entry("type", "Polygon")?;
                m.serialize_entry("coordinates", &Rings(&t.to_polygon()))?;
            }
            Geometry::GeometryCollection(gc) => {
                m.serialize_entry("type", "GeometryCollection")?;
                let parts: Vec<Shape> = gc.iter().map(Shape).collect();
                m.serialize_entry("geometries", &parts)?;
            }
        }
        m.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Finding;
    use geo::{line_string, point, polygon, Coord, Line, Rect, Triangle};

    /// The feature as a JSON tree, the way the layer was written before `write_feature`:
    /// the reference the direct writer must match byte for byte.
    fn tree(f: &Finding, geometry: Option<&Geometry<f64>>) -> String {
        serde_json::json!({
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
            "geometry": geometry.map_or(serde_json::Value::Null, |g| serde_json::json!(geojson::Geometry::new(geojson::GeometryValue::from(g)))),
        })
        .to_string()
    }

    #[test]
    fn written_directly_as_the_json_tree_writes_it() {
        let project = crate::project::Project::load(std::path::Path::new(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/data/yichang/ironrule.toml"
        )))
        .unwrap();
        let checker = crate::engine::Checker::load(project).unwrap();
        let request = crate::engine::ReadRequest::default();
        let source = checker
            .check_source(
                std::path::Path::new(concat!(
                    env!("CARGO_MANIFEST_DIR"),
                    "/data/yichang/proposals.geojson"
                )),
                &request,
            )
            .unwrap();
        let report = crate::report::build::build(&checker, vec![source], false);
        assert!(report.findings.len() > 50);
        let tri = Triangle::new(
            Coord { x: 0.5, y: 0.25 },
            Coord { x: 1e-7, y: 3.0 },
            Coord { x: -2.0, y: 1e22 },
        );
        let shapes: Vec<Geometry<f64>> = vec![
            Geometry::Point(point!(x: 111.3, y: 30.7)),
            Geometry::Line(Line::new(
                Coord { x: 0.1, y: 0.2 },
                Coord {
                    x: 1.0 / 3.0,
                    y: -0.0,
                },
            )),
            Geometry::LineString(line_string![(x: 1.0, y: 2.0), (x: 3.5, y: 4.25)]),
            Geometry::Polygon(polygon!(
                exterior: [(x: 0., y: 0.), (x: 10., y: 0.), (x: 10., y: 10.)],
                interiors: [[(x: 1., y: 1.), (x: 2., y: 1.), (x: 2., y: 2.)]],
            )),
            Geometry::Rect(Rect::new(
                Coord { x: 0.0, y: 1.0 },
                Coord { x: 2.0, y: 3.0 },
            )),
            Geometry::Triangle(tri),
            Geometry::MultiPoint(
                vec![point!(x: 1.0, y: 1.0), point!(x: f64::MAX, y: 5e-324)].into(),
            ),
            Geometry::GeometryCollection(geo::GeometryCollection(vec![
                Geometry::Point(point!(x: 1.0, y: 1.0)),
                Geometry::Triangle(tri),
            ])),
        ];
        let wgs84 = Crs::wgs84();
        for (i, f) in report.findings.iter().enumerate() {
            let own = f
                .geometry
                .as_ref()
                .and_then(|g| report.reproject(g, &wgs84));
            for g in [own.as_ref(), shapes.get(i % shapes.len()), None] {
                let mut line = Vec::new();
                write_feature(&mut line, &Cells::of_finding(f), g).unwrap();
                assert_eq!(String::from_utf8(line).unwrap(), tree(f, g), "{}", f.code);
            }
        }
    }
}
