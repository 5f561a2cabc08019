//! GeoJSON (RFC 7946) reader. Coordinates are longitude, latitude unless the legacy `crs`
//! member (GeoJSON 2008) or the project names another CRS. A malformed feature is rejected
//! with a diagnostic and the rest of the file is still read.

use super::{resolve_crs, Keep, RawFeature, ReadOptions, Source, Whole};
use crate::crs::Crs;
use crate::{Error, Result};
use geo::{Coord, Geometry, LineString, MultiLineString, MultiPoint, MultiPolygon, Point, Polygon};
use geojson::{GeometryValue, Position};
use serde_json::Value;
use std::path::Path;

/// Reads a GeoJSON file whole: a FeatureCollection, a single Feature or a bare Geometry (a
/// FeatureCollection is streamed instead, unless its `crs` comes after its features).
pub(crate) fn read_whole(path: &Path, opts: ReadOptions<'_>) -> Result<Whole> {
    // Read whole (a single Feature or geometry, or a collection whose `crs` comes last):
    // the parsed tree takes several times the text, so the text is capped.
    let cap = opts.limits.check_memory_mb.saturating_mul(1 << 20) / 8;
    let len = std::fs::metadata(path)
        .map_err(|e| Error::io(path, e))?
        .len();
    if len > cap {
        return Err(Error::parse(
            path,
            None,
            format!(
                "is {} MB; GeoJSON that is not a FeatureCollection with `crs` (if any) before `features` is read whole, up to {} MB ([limits] check_memory_mb / 8): write it as a FeatureCollection or a GeoJSON sequence",
                len >> 20,
                cap >> 20
            ),
        ));
    }
    let text = std::fs::read_to_string(path).map_err(|e| match e.kind() {
        std::io::ErrorKind::InvalidData => Error::parse(
            path,
            None,
            "not UTF-8 text (GeoJSON must be UTF-8, RFC 7946 §11)",
        ),
        _ => Error::io(path, e),
    })?;
    parse_whole(path, &text, opts)
}

/// Parses GeoJSON text into features in the working CRS, as [`super::read`] reads a file;
/// `name` is what diagnostics call the source.
pub fn parse_str(name: &str, text: &str, opts: ReadOptions<'_>) -> Result<Source> {
    let whole = parse_whole(Path::new(name), text, opts)?;
    super::stream::collect_whole(Path::new(name), whole, opts)
}

/// The raw features of GeoJSON text.
fn parse_whole(path: &Path, text: &str, opts: ReadOptions<'_>) -> Result<Whole> {
    if let Some(layer) = opts.layer {
        return Err(Error::parse(path, None, format!("GeoJSON has one layer; --layer {layer} applies to GeoPackage, FileGDB, DXF and other multi-layer sources")));
    }
    // Windows tools often start UTF-8 files with a byte-order mark; it is not JSON.
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let root: Value = parse_value(text.as_bytes()).map_err(|e| {
        Error::parse(
            path,
            Some((e.line(), e.column())),
            format!("malformed JSON: {e}"),
        )
    })?;
    let Value::Object(obj) = &root else {
        return Err(Error::parse(path, None, "GeoJSON must be a JSON object"));
    };
    let kind = obj.get("type").and_then(Value::as_str).unwrap_or("");
    let in_file = legacy_crs(path, obj.get("crs"))?;
    let crs = resolve_crs(path, in_file, Some(Crs::wgs84()), &opts)?;
    let keep = Keep::of(&opts);
    let mut raws = Vec::new();
    match kind {
        "FeatureCollection" => {
            let Some(features) = obj.get("features").and_then(Value::as_array) else {
                return Err(Error::parse(
                    path,
                    None,
                    "FeatureCollection without a `features` array",
                ));
            };
            for (index, value) in features.iter().enumerate() {
                raws.push(raw_feature(index, value.clone(), opts.repair, &keep));
            }
        }
        "Feature" => raws.push(raw_feature(0, root.clone(), opts.repair, &keep)),
        "Point" | "MultiPoint" | "LineString" | "MultiLineString" | "Polygon" | "MultiPolygon"
        | "GeometryCollection" => {
            let wrapped =
                serde_json::json!({"type": "Feature", "properties": {}, "geometry": root});
            raws.push(raw_feature(0, wrapped, opts.repair, &keep));
        }
        "" => {
            return Err(Error::parse(
                path,
                None,
                "not GeoJSON: the top-level object has no `type`",
            ))
        }
        other => {
            return Err(Error::parse(
                path,
                None,
                format!("not GeoJSON: unknown top-level type '{other}'"),
            ))
        }
    }
    Ok(Whole {
        crs,
        raws,
        diagnostics: Vec::new(),
    })
}

/// The legacy `crs` member: `{"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::4546"}}`.
fn legacy_crs(path: &Path, member: Option<&Value>) -> Result<Option<Crs>> {
    let Some(member) = member else {
        return Ok(None);
    };
    if member.is_null() {
        return Ok(None);
    }
    let name = member
        .get("properties")
        .and_then(|p| p.get("name"))
        .and_then(Value::as_str)
        .filter(|_| member.get("type").and_then(Value::as_str) == Some("name"))
        .ok_or_else(|| {
            Error::parse(path, None, "the `crs` member must be {\"type\": \"name\", \"properties\": {\"name\": \"EPSG:...\"}} (linked CRSs are not supported)")
        })?;
    Crs::parse(name)
        .map(Some)
        .map_err(|e| Error::parse(path, None, format!("the `crs` member: {e}")))
}

/// A sequence record without its record separator and surrounding white space.
pub(crate) fn seq_record(line: &[u8]) -> &[u8] {
    let skip = |b: &u8| *b == 0x1e || b.is_ascii_whitespace();
    let start = line.iter().position(|b| !skip(b)).unwrap_or(line.len());
    let end = line.iter().rposition(|b| !skip(b)).map_or(start, |e| e + 1);
    &line[start..end.max(start)]
}

/// One record of a GeoJSON sequence (line `line`, 1-based) as a raw feature.
pub(crate) fn raw_from_seq_line(
    index: usize,
    line: usize,
    text: &[u8],
    repair: bool,
    keep: &Keep,
) -> RawFeature {
    let bad = |why: String| RawFeature {
        index,
        id: None,
        properties: Default::default(),
        geometry: Err(why),
        repaired: None,
    };
    match parse_value(text) {
        Ok(v) if v.get("type").and_then(Value::as_str) == Some("Feature") => {
            raw_feature(index, v, repair, keep)
        }
        Ok(_) => bad(format!("line {line}: expected a Feature")),
        Err(e) => bad(format!("line {line}: malformed JSON: {e}")),
    }
}

/// One element of a FeatureCollection's `features` array, as bytes, as a raw feature; `at`
/// is the line and column (1-based) where it starts in the file, for error messages.
pub(crate) fn raw_from_slice(
    index: usize,
    bytes: &[u8],
    repair: bool,
    at: (usize, usize),
    keep: &Keep,
) -> RawFeature {
    match parse_value(bytes) {
        Ok(v) => raw_feature(index, v, repair, keep),
        Err(e) => RawFeature {
            index,
            id: None,
            properties: Default::default(),
            geometry: Err(if std::str::from_utf8(bytes).is_err() {
                "not UTF-8 text (GeoJSON must be UTF-8, RFC 7946 §11)".to_owned()
            } else {
                malformed(&e, at)
            }),
            repaired: None,
        },
    }
}

/// A JSON error inside a feature, placed in the file: `at` is where the feature starts.
fn malformed(e: &serde_json::Error, at: (usize, usize)) -> String {
    let (line, column) = match e.line() {
        1 => (at.0, at.1 + e.column().saturating_sub(1)),
        l => (at.0 + l - 1, e.column()),
    };
    let text = e.to_string();
    let what = text
        .rfind(" at line ")
        .map_or(text.as_str(), |i| &text[..i]);
    format!("malformed JSON at line {line}, column {column}: {what}")
}

/// Parses JSON into a [`Value`], refusing an object that repeats a member name. JSON says
/// names should be unique (RFC 8259 §4) and readers disagree on which of two counts (the
/// first, the last, either): two `features`, `geometry`, `coordinates` or `height_m` members
/// would let a file say one thing to one tool and another to the next.
pub(crate) fn parse_value(bytes: &[u8]) -> serde_json::Result<Value> {
    use serde::Deserialize;
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let v = Strict::deserialize(&mut de)?;
    de.end()?;
    Ok(v.0)
}

/// A [`Value`] deserialized with duplicate member names refused.
struct Strict(Value);

impl<'de> serde::Deserialize<'de> for Strict {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        d.deserialize_any(StrictVisitor).map(Strict)
    }
}

struct StrictVisitor;

impl<'de> serde::de::Visitor<'de> for StrictVisitor {
    type Value = Value;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_bool<E>(self, v: bool) -> std::result::Result<Value, E> {
        Ok(Value::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> std::result::Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_u64<E>(self, v: u64) -> std::result::Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_f64<E>(self, v: f64) -> std::result::Result<Value, E> {
        Ok(serde_json::Number::from_f64(v).map_or(Value::Null, Value::Number))
    }
    fn visit_str<E>(self, v: &str) -> std::result::Result<Value, E> {
        Ok(Value::String(v.to_owned()))
    }
    fn visit_string<E>(self, v: String) -> std::result::Result<Value, E> {
        Ok(Value::String(v))
    }
    fn visit_unit<E>(self) -> std::result::Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_none<E>(self) -> std::result::Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_seq<A: serde::de::SeqAccess<'de>>(
        self,
        mut seq: A,
    ) -> std::result::Result<Value, A::Error> {
        let mut out = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(4096));
        while let Some(Strict(v)) = seq.next_element()? {
            out.push(v);
        }
        Ok(Value::Array(out))
    }
    fn visit_map<A: serde::de::MapAccess<'de>>(
        self,
        mut map: A,
    ) -> std::result::Result<Value, A::Error> {
        let mut out = serde_json::Map::new();
        while let Some(key) = map.next_key::<std::borrow::Cow<'de, str>>()? {
            let Strict(v) = map.next_value()?;
            if let Some(_first) = out.insert(key.clone().into_owned(), v) {
                return Err(serde::de::Error::custom(format!(
                    "duplicate member `{key}` (JSON names must be unique here: readers disagree on which one counts)"
                )));
            }
        }
        Ok(Value::Object(out))
    }
}

/// The CRS a legacy `crs` member names (for the streaming reader).
pub(crate) fn crs_member(path: &Path, member: &Value) -> Result<Option<Crs>> {
    legacy_crs(path, Some(member))
}

fn raw_feature(index: usize, value: Value, repair: bool, keep: &Keep) -> RawFeature {
    let mut value = value;
    let id = match value.get("id") {
        Some(Value::String(s)) => Some(s.clone()),
        Some(Value::Number(n)) => Some(n.to_string()),
        _ => None,
    };
    // Taken out, not copied (an empty object is left in its place); anything else is left
    // for the Feature's own validation below.
    let mut properties = match value.get_mut("properties") {
        Some(Value::Object(map)) => std::mem::take(map),
        _ => Default::default(),
    };
    keep.apply(&mut properties);
    let mut repaired = None;
    let geometry = <geojson::Feature as serde::Deserialize>::deserialize(&value)
        .map_err(|e| format!("malformed feature: {e}"))
        .and_then(|f| match f.geometry {
            Some(g) => match to_geo(&g.value, false) {
                Err(why) if repair && why.contains("not closed") => {
                    repaired = Some(why);
                    to_geo(&g.value, true)
                }
                other => other,
            },
            None => Err("the feature has no geometry".to_owned()),
        });
    RawFeature {
        index,
        id,
        properties,
        geometry,
        repaired,
    }
}

/// Converts a GeoJSON geometry, checking what GeoJSON itself requires (closed rings of four
/// or more positions, two or more positions per line). Z and M values are dropped. With
/// `close_rings`, an unclosed ring is closed by repeating its first position (`--repair`).
pub(crate) fn to_geo(
    value: &GeometryValue,
    close_rings: bool,
) -> std::result::Result<Geometry<f64>, String> {
    let polygon = |rings: &[Vec<Position>]| polygon(rings, close_rings);
    Ok(match value {
        GeometryValue::Point { coordinates } => Geometry::Point(Point(coord(coordinates)?)),
        GeometryValue::MultiPoint { coordinates } => {
            if coordinates.is_empty() {
                return Err("empty MultiPoint".into());
            }
            Geometry::MultiPoint(MultiPoint(
                coordinates
                    .iter()
                    .map(|p| coord(p).map(Point))
                    .collect::<std::result::Result<_, _>>()?,
            ))
        }
        GeometryValue::LineString { coordinates } => Geometry::LineString(line(coordinates)?),
        GeometryValue::MultiLineString { coordinates } => {
            if coordinates.is_empty() {
                return Err("empty MultiLineString".into());
            }
            Geometry::MultiLineString(MultiLineString(
                coordinates
                    .iter()
                    .map(|l| line(l))
                    .collect::<std::result::Result<_, _>>()?,
            ))
        }
        GeometryValue::Polygon { coordinates } => Geometry::Polygon(polygon(coordinates)?),
        GeometryValue::MultiPolygon { coordinates } => {
            if coordinates.is_empty() {
                return Err("empty MultiPolygon".into());
            }
            Geometry::MultiPolygon(MultiPolygon(
                coordinates
                    .iter()
                    .map(|p| polygon(p))
                    .collect::<std::result::Result<_, _>>()?,
            ))
        }
        GeometryValue::GeometryCollection { .. } => {
            return Err(
                "GeometryCollection is not supported: split it into one feature per part".into(),
            )
        }
    })
}

fn coord(p: &Position) -> std::result::Result<Coord<f64>, String> {
    match p.as_slice() {
        [x, y, ..] if x.is_finite() && y.is_finite() => Ok(Coord { x: *x, y: *y }),
        [x, y, ..] => Err(format!("non-finite coordinate ({x}, {y})")),
        other => Err(format!(
            "a position needs at least 2 numbers, got {}",
            other.len()
        )),
    }
}

fn line(positions: &[Position]) -> std::result::Result<LineString<f64>, String> {
    if positions.len() < 2 {
        return Err(format!(
            "a LineString needs at least 2 positions, got {}",
            positions.len()
        ));
    }
    Ok(LineString(
        positions
            .iter()
            .map(coord)
            .collect::<std::result::Result<_, _>>()?,
    ))
}

fn polygon(rings: &[Vec<Position>], close: bool) -> std::result::Result<Polygon<f64>, String> {
    let mut rings = rings.iter().enumerate().map(|(i, r)| ring(i, r, close));
    let exterior = rings.next().ok_or("empty Polygon (no rings)")??;
    let interiors = rings.collect::<std::result::Result<Vec<_>, _>>()?;
    Ok(Polygon::new(exterior, interiors))
}

fn ring(
    index: usize,
    positions: &[Position],
    close: bool,
) -> std::result::Result<LineString<f64>, String> {
    let which = if index == 0 {
        "exterior ring".to_owned()
    } else {
        format!("interior ring {index}")
    };
    let mut coords: Vec<Coord<f64>> = positions
        .iter()
        .map(coord)
        .collect::<std::result::Result<_, _>>()?;
    let unclosed = coords.first() != coords.last();
    if unclosed && !close {
        return Err(format!(
            "{which} is not closed: its first and last positions differ (RFC 7946 §3.1.6)"
        ));
    }
    if unclosed {
        coords.push(coords[0]);
    }
    if coords.len() < 4 {
        return Err(format!(
            "{which} has {} positions; a ring needs at least 4 (RFC 7946 §3.1.6)",
            positions.len()
        ));
    }
    Ok(LineString(coords))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn opts(target: &Crs) -> ReadOptions<'_> {
        ReadOptions::new(target)
    }

    #[test]
    fn a_bad_feature_is_rejected_and_the_rest_read() {
        let target = Crs::parse("EPSG:4546").unwrap();
        let text = r#"{"type":"FeatureCollection","features":[
            {"type":"Feature","id":"a","properties":{},"geometry":{"type":"Point","coordinates":[111.3,30.7]}},
            {"type":"Feature","id":"b","properties":{},"geometry":{"type":"Polygon","coordinates":[[[111.3,30.7],[111.4,30.7],[111.4,30.8],[111.3,30.8]]]}},
            {"type":"Feature","id":"c","properties":{},"geometry":null},
            {"type":"Feature","id":"d","properties":{},"geometry":{"type":"Point","coordinates":[111.3]}}
        ]}"#;
        let src = parse_str("t.geojson", text, opts(&target)).unwrap();
        assert_eq!(src.read, 4);
        assert_eq!(src.features.len(), 1);
        assert_eq!(src.rejected(), 3);
        let messages: Vec<String> = src.diagnostics.iter().map(|d| d.to_string()).collect();
        assert!(
            messages[0].contains("feature #1 (id \"b\")") && messages[0].contains("not closed"),
            "{messages:?}"
        );
        assert!(messages[1].contains("no geometry"), "{messages:?}");
        assert!(messages[2].contains("two or more elements"), "{messages:?}");
    }

    #[test]
    fn malformed_json_names_line_and_column() {
        let target = Crs::parse("EPSG:4546").unwrap();
        let err = parse_str(
            "t.geojson",
            "{\"type\":\n  \"FeatureCollection\",,}",
            opts(&target),
        )
        .unwrap_err();
        assert!(err.to_string().starts_with("t.geojson:2:"), "{err}");
    }

    #[test]
    fn legacy_crs_member_is_honoured() {
        let target = Crs::parse("EPSG:4546").unwrap();
        let text = r#"{"type":"FeatureCollection","crs":{"type":"name","properties":{"name":"urn:ogc:def:crs:EPSG::4546"}},
            "features":[{"type":"Feature","properties":{},"geometry":{"type":"Point","coordinates":[527000.5,3397000.25]}}]}"#;
        let src = parse_str("t.geojson", text, opts(&target)).unwrap();
        assert_eq!(src.crs.name, "EPSG:4546");
        assert_eq!(
            src.features[0].geometry,
            Geometry::Point(Point::new(527000.5, 3397000.25))
        );
    }

    #[test]
    fn sequences_reject_a_bad_line_and_keep_the_rest() {
        let target = Crs::parse("EPSG:4546").unwrap();
        let tmp = tempfile::tempdir().unwrap();
        let p = tmp.path().join("s.geojsons");
        let good = r#"{"type":"Feature","id":"a","properties":{},"geometry":{"type":"Point","coordinates":[111.3,30.7]}}"#;
        std::fs::write(
            &p,
            format!("\u{1e}{good}\n{{\"type\": \"Feature\",\n\n{good}\n"),
        )
        .unwrap();
        let src = crate::io::read(&p, opts(&target)).unwrap();
        assert_eq!((src.read, src.features.len()), (3, 2));
        assert!(
            src.diagnostics[0]
                .message
                .contains("line 2: malformed JSON"),
            "{:?}",
            src.diagnostics
        );
    }

    #[test]
    fn data_far_from_the_central_meridian_gets_a_warning() {
        let target = Crs::parse("EPSG:4546").unwrap();
        let near = r#"{"type":"Feature","properties":{},"geometry":{"type":"Point","coordinates":[111.3,30.7]}}"#;
        assert!(parse_str("t.geojson", near, opts(&target))
            .unwrap()
            .diagnostics
            .is_empty());
        // Shanghai is 10 degrees east of 111E.
        let far = r#"{"type":"Feature","properties":{},"geometry":{"type":"Point","coordinates":[121.47,31.23]}}"#;
        let src = parse_str("t.geojson", far, opts(&target)).unwrap();
        assert_eq!(src.features.len(), 1, "a warning, not a rejection");
        assert!(
            src.diagnostics[0].message.contains("central meridian"),
            "{:?}",
            src.diagnostics
        );
        assert_eq!(src.diagnostics[0].level, crate::model::Level::Warning);
    }

    #[test]
    fn projected_coordinates_without_crs_are_refused_not_measured() {
        let target = Crs::parse("EPSG:4546").unwrap();
        let text = r#"{"type":"Feature","properties":{},"geometry":{"type":"Point","coordinates":[527000,3397000]}}"#;
        let src = parse_str("t.geojson", text, opts(&target)).unwrap();
        assert_eq!(src.features.len(), 0);
        assert!(
            src.diagnostics[0]
                .message
                .contains("not a longitude/latitude"),
            "{:?}",
            src.diagnostics
        );
    }
}
