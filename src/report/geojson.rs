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
/// a JSON tree first: the audit writes one per finding. The geometry is written by hand
/// ([`write_geometry`]): a million findings carry some 16 million positions.
pub fn write_feature(
    out: &mut Vec<u8>,
    r: &Cells<'_>,
    geometry: Option<&Geometry<f64>>,
) -> serde_json::Result<()> {
    out.extend_from_slice(b"{\"type\":\"Feature\",\"properties\":");
    serde_json::to_writer(
        &mut *out,
        &Properties {
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
            citation: Text(r.citation),
            status: r.status,
        },
    )?;
    out.extend_from_slice(b",\"geometry\":");
    match geometry {
        Some(g) => write_geometry(out, g),
        None => out.extend_from_slice(b"null"),
    }
    out.push(b'}');
    Ok(())
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
    citation: Text<'a, std::sync::Arc<super::Citation>>,
    status: &'a str,
}

/// A value serialised as its `Display` text, without a `String` in between.
struct Text<'a, T>(&'a T);

impl<T: std::fmt::Display> Serialize for Text<'_, T> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self.0)
    }
}

/// A geometry as a GeoJSON object, byte for byte as serde_json writes the `geojson` crate's
/// (`{"type":...,"coordinates":...}`, numbers in their shortest round-trip form, `null` for a
/// number that is not finite).
pub fn write_geometry(out: &mut Vec<u8>, g: &Geometry<f64>) {
    let head = |out: &mut Vec<u8>, kind: &str| {
        out.extend_from_slice(b"{\"type\":\"");
        out.extend_from_slice(kind.as_bytes());
        out.extend_from_slice(b"\",\"coordinates\":");
    };
    match g {
        Geometry::Point(p) => {
            head(out, "Point");
            position(out, p.0);
        }
        Geometry::LineString(l) => {
            head(out, "LineString");
            positions(out, &l.0);
        }
        Geometry::Polygon(p) => {
            head(out, "Polygon");
            rings(out, p);
        }
        Geometry::MultiPoint(mp) => {
            head(out, "MultiPoint");
            list(out, &mp.0, |out, p| position(out, p.0));
        }
        Geometry::MultiLineString(ml) => {
            head(out, "MultiLineString");
            list(out, &ml.0, |out, l| positions(out, &l.0));
        }
        Geometry::MultiPolygon(mp) => {
            head(out, "MultiPolygon");
            list(out, &mp.0, rings);
        }
        Geometry::Line(l) => {
            head(out, "LineString");
            positions(out, &[l.start, l.end]);
        }
        Geometry::Rect(r) => {
            head(out, "Polygon");
            rings(out, &r.to_polygon());
        }
        Geometry::Triangle(t) => {
            head(out, "Polygon");
            rings(out, &t.to_polygon());
        }
        Geometry::GeometryCollection(gc) => {
            out.extend_from_slice(b"{\"type\":\"GeometryCollection\",\"geometries\":");
            list(out, &gc.0, write_geometry);
        }
    }
    out.push(b'}');
}

/// `[a,b,...]`, each item written by `item`.
fn list<T>(out: &mut Vec<u8>, items: &[T], item: impl Fn(&mut Vec<u8>, &T)) {
    out.push(b'[');
    for (i, x) in items.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        item(out, x);
    }
    out.push(b']');
}

/// A polygon's rings, exterior first; `[]` for an empty exterior, holes and all (as the
/// `geojson` crate writes it, rather than `[[]]`).
fn rings(out: &mut Vec<u8>, p: &geo::Polygon<f64>) {
    if p.exterior().0.is_empty() {
        out.extend_from_slice(b"[]");
        return;
    }
    out.push(b'[');
    positions(out, &p.exterior().0);
    for r in p.interiors() {
        out.push(b',');
        positions(out, &r.0);
    }
    out.push(b']');
}

fn positions(out: &mut Vec<u8>, cs: &[geo::Coord<f64>]) {
    list(out, cs, |out, c| position(out, *c));
}

/// `[x,y]`.
fn position(out: &mut Vec<u8>, c: geo::Coord<f64>) {
    out.push(b'[');
    number(out, c.x);
    out.push(b',');
    number(out, c.y);
    out.push(b']');
}

fn number(out: &mut Vec<u8>, v: f64) {
    if v.is_finite() {
        out.extend_from_slice(zmij::Buffer::new().format_finite(v).as_bytes());
    } else {
        out.extend_from_slice(b"null");
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
            Geometry::MultiLineString(geo::MultiLineString(vec![
                line_string![(x: 1.0, y: 2.0), (x: 3.5, y: 4.25)],
                line_string![],
            ])),
            Geometry::MultiPolygon(geo::MultiPolygon(vec![])),
            Geometry::Polygon(geo::Polygon::new(geo::LineString(vec![]), vec![])),
            Geometry::MultiPolygon(geo::MultiPolygon(vec![
                geo::Polygon::new(
                    geo::LineString(vec![]),
                    vec![line_string![(x: 1.0, y: 1.0), (x: 2.0, y: 1.0), (x: 2.0, y: 2.0)]],
                ),
                polygon![(x: 0., y: 0.), (x: 1., y: 0.), (x: 1., y: 1.)],
            ])),
            Geometry::Point(point!(x: f64::NAN, y: f64::INFINITY)),
            Geometry::GeometryCollection(geo::GeometryCollection(vec![])),
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
