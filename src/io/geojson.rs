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
    match fast_feature(bytes) {
        Some(f) => finish(
            index,
            f.id,
            f.properties,
            Ok(Some(&f.geometry)),
            repair,
            keep,
        ),
        None => raw_from_value(index, bytes, repair, at, keep),
    }
}

/// [`raw_from_slice`] through a JSON value: any shape, and the words for what is wrong.
fn raw_from_value(
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
    let id = feature_id(value.get("id"));
    // Taken out, not copied (an empty object is left in its place); anything else is left
    // for the Feature's own validation below.
    let properties = match value.get_mut("properties") {
        Some(Value::Object(map)) => std::mem::take(map),
        _ => Default::default(),
    };
    let feature = <geojson::Feature as serde::Deserialize>::deserialize(&value)
        .map_err(|e| format!("malformed feature: {e}"));
    let geometry = match &feature {
        Ok(f) => Ok(f.geometry.as_ref().map(|g| &g.value)),
        Err(e) => Err(e.clone()),
    };
    finish(index, id, properties, geometry, repair, keep)
}

/// A feature's id member as ironrule keeps it: a string, or a number's text.
fn feature_id(v: Option<&Value>) -> Option<String> {
    match v {
        Some(Value::String(s)) => Some(s.clone()),
        Some(Value::Number(n)) => Some(n.to_string()),
        _ => None,
    }
}

/// The raw feature from its parts: the attributes kept, the geometry converted (an unclosed
/// ring closed with `repair`).
fn finish(
    index: usize,
    id: Option<String>,
    mut properties: super::Properties,
    geometry: std::result::Result<Option<&GeometryValue>, String>,
    repair: bool,
    keep: &Keep,
) -> RawFeature {
    keep.apply(&mut properties);
    let mut repaired = None;
    let geometry = geometry.and_then(|g| match g {
        Some(g) => match to_geo(g, false) {
            Err(why) if repair && why.contains("not closed") => {
                repaired = Some(why);
                to_geo(g, true)
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

/// A feature of the common shape, read straight from its bytes: members `type`
/// (`"Feature"`), `properties` (an object or null), `geometry` (an object whose `type`, one of
/// the six simple types, comes before its `coordinates`, with no empty array and no position
/// of fewer than two numbers) and optionally `id`, each once, nothing else. Coordinates go
/// into positions without a JSON value per number. `None` for anything else, valid or not:
/// the full path ([`parse_value`], geojson's own checks) then decides and words any error,
/// so both paths give the same feature or the same diagnostic.
fn fast_feature(bytes: &[u8]) -> Option<FastFeature> {
    use serde::Deserialize;
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let f = FastFeature::deserialize(&mut de).ok()?;
    de.end().ok()?;
    Some(f)
}

struct FastFeature {
    id: Option<String>,
    properties: super::Properties,
    geometry: GeometryValue,
}

/// Not the common shape: the fast path gives way (the message is never shown).
fn not_common<E: serde::de::Error>() -> E {
    E::custom("not the common shape")
}

impl<'de> serde::Deserialize<'de> for FastFeature {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = FastFeature;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a GeoJSON Feature")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> std::result::Result<FastFeature, A::Error> {
                let (mut kind, mut id, mut properties, mut geometry) = (None, None, None, None);
                while let Some(key) = map.next_key::<std::borrow::Cow<'de, str>>()? {
                    match &*key {
                        "type" if kind.is_none() => kind = Some(map.next_value::<Strict>()?.0),
                        "id" if id.is_none() => id = Some(map.next_value::<Strict>()?.0),
                        "properties" if properties.is_none() => {
                            properties = Some(map.next_value::<Strict>()?.0)
                        }
                        "geometry" if geometry.is_none() => {
                            geometry = Some(map.next_value::<FastGeometry>()?.0)
                        }
                        _ => return Err(not_common()),
                    }
                }
                if kind.as_ref().and_then(Value::as_str) != Some("Feature") {
                    return Err(not_common());
                }
                let properties = match properties {
                    Some(Value::Object(m)) => m,
                    Some(Value::Null) => Default::default(),
                    _ => return Err(not_common()),
                };
                let id = match id {
                    None | Some(Value::Null) => None,
                    Some(v @ (Value::String(_) | Value::Number(_))) => feature_id(Some(&v)),
                    Some(_) => return Err(not_common()),
                };
                Ok(FastFeature {
                    id,
                    properties,
                    geometry: geometry.ok_or_else(not_common)?,
                })
            }
        }
        d.deserialize_map(V)
    }
}

struct FastGeometry(GeometryValue);

impl<'de> serde::Deserialize<'de> for FastGeometry {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = FastGeometry;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a GeoJSON geometry")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> std::result::Result<FastGeometry, A::Error> {
                if map.next_key::<std::borrow::Cow<'de, str>>()?.as_deref() != Some("type") {
                    return Err(not_common());
                }
                let kind = map.next_value::<std::borrow::Cow<'de, str>>()?;
                if map.next_key::<std::borrow::Cow<'de, str>>()?.as_deref() != Some("coordinates") {
                    return Err(not_common());
                }
                fn plain(p: &[Position]) -> bool {
                    !p.is_empty() && p.iter().all(|p| p.as_slice().len() >= 2)
                }
                let value = match &*kind {
                    "Point" => {
                        let coordinates: Position = map.next_value()?;
                        (coordinates.as_slice().len() >= 2)
                            .then_some(GeometryValue::Point { coordinates })
                    }
                    "MultiPoint" => {
                        let coordinates: Vec<Position> = map.next_value()?;
                        plain(&coordinates).then_some(GeometryValue::MultiPoint { coordinates })
                    }
                    "LineString" => {
                        let coordinates: Vec<Position> = map.next_value()?;
                        plain(&coordinates).then_some(GeometryValue::LineString { coordinates })
                    }
                    "MultiLineString" => {
                        let coordinates: Vec<Vec<Position>> = map.next_value()?;
                        (!coordinates.is_empty() && coordinates.iter().all(|l| plain(l)))
                            .then_some(GeometryValue::MultiLineString { coordinates })
                    }
                    "Polygon" => {
                        let coordinates: Vec<Vec<Position>> = map.next_value()?;
                        (!coordinates.is_empty() && coordinates.iter().all(|r| plain(r)))
                            .then_some(GeometryValue::Polygon { coordinates })
                    }
                    "MultiPolygon" => {
                        let coordinates: Vec<Vec<Vec<Position>>> = map.next_value()?;
                        (!coordinates.is_empty()
                            && coordinates
                                .iter()
                                .all(|p| !p.is_empty() && p.iter().all(|r| plain(r))))
                        .then_some(GeometryValue::MultiPolygon { coordinates })
                    }
                    _ => None,
                };
                match (value, map.next_key::<std::borrow::Cow<'de, str>>()?) {
                    (Some(v), None) => Ok(FastGeometry(v)),
                    _ => Err(not_common()),
                }
            }
        }
        d.deserialize_map(V)
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

    /// A JSON text for a feature of random shape: mostly the common one, often not (members
    /// missing, repeated, reordered or foreign; ids of every JSON kind; coordinates nested
    /// too deep or not enough, empty arrays, short positions; unknown geometry types).
    fn any_feature() -> impl proptest::strategy::Strategy<Value = String> {
        use proptest::prelude::*;
        let number = prop_oneof![
            (-1000i32..1000).prop_map(|n| n.to_string()),
            (-1e6f64..1e6).prop_map(|x| format!("{x}")),
            Just("1e2".to_owned()),
        ];
        let position =
            proptest::collection::vec(number, 0..4).prop_map(|v| format!("[{}]", v.join(",")));
        let coords = position.prop_recursive(3, 40, 5, |inner| {
            proptest::collection::vec(inner, 0..5).prop_map(|v| format!("[{}]", v.join(", ")))
        });
        let kind = prop_oneof![
            Just("Point"),
            Just("MultiPoint"),
            Just("LineString"),
            Just("MultiLineString"),
            Just("Polygon"),
            Just("Polygon"),
            Just("MultiPolygon"),
            Just("GeometryCollection"),
            Just("Circle"),
        ];
        let geometry = (kind, coords, 0..6u8).prop_map(|(k, c, how)| match how {
            0 => "null".to_owned(),
            1 => format!("{{\"coordinates\": {c}, \"type\": \"{k}\"}}"),
            2 => format!("{{\"type\": \"{k}\", \"coordinates\": {c}, \"bbox\": [0, 0, 1, 1]}}"),
            3 => format!("{{\"type\": \"{k}\", \"coordinates\": {c}, \"type\": \"{k}\"}}"),
            _ => format!("{{\"type\": \"{k}\", \"coordinates\": {c}}}"),
        });
        let id = prop_oneof![
            Just(None),
            Just(Some("\"a\"".to_owned())),
            Just(Some("7".to_owned())),
            Just(Some("7.5".to_owned())),
            Just(Some("null".to_owned())),
            Just(Some("true".to_owned())),
            Just(Some("[1]".to_owned())),
        ];
        let properties = prop_oneof![
            Just("{\"name\": \"a\", \"h\": 3}".to_owned()),
            Just("{\"name\": \"a\", \"name\": \"b\"}".to_owned()),
            Just("{\"deep\": {\"x\": [1, {\"y\": null}]}}".to_owned()),
            Just("null".to_owned()),
            Just("[1, 2]".to_owned()),
            Just("{}".to_owned()),
        ];
        let kind = prop_oneof![
            Just("\"Feature\""),
            Just("\"Feature\""),
            Just("\"feature\""),
            Just("3")
        ];
        (
            kind,
            id,
            properties,
            geometry,
            proptest::collection::vec(0..8u8, 0..6),
        )
            .prop_map(|(kind, id, properties, geometry, order)| {
                // The members in a random order, some missing, repeated or foreign.
                let mut members = vec![
                    format!("\"type\": {kind}"),
                    format!("\"properties\": {properties}"),
                    format!("\"geometry\": {geometry}"),
                ];
                if let Some(id) = id {
                    members.push(format!("\"id\": {id}"));
                }
                for o in order {
                    match o {
                        0 => members.rotate_left(1),
                        1 if members.len() > 1 => {
                            members.pop();
                        }
                        2 => members.push("\"bbox\": [0, 0, 1, 1]".to_owned()),
                        3 => members.push(members[0].clone()),
                        _ => {
                            let last = members.len() - 1;
                            members.swap(0, last);
                        }
                    }
                }
                format!("{{{}}}", members.join(", "))
            })
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(2048))]

        /// The fast path reads a feature exactly as the full path does (id, attributes,
        /// geometry or the words of why not, repairs), and gives way on everything else.
        #[test]
        fn the_fast_path_reads_features_as_the_full_path_does(text in any_feature(), repair: bool) {
            let keep = Keep::default();
            let fast = raw_from_slice(3, text.as_bytes(), repair, (1, 1), &keep);
            let full = raw_from_value(3, text.as_bytes(), repair, (1, 1), &keep);
            proptest::prop_assert_eq!(&fast.id, &full.id, "{}", text);
            proptest::prop_assert_eq!(&fast.properties, &full.properties, "{}", text);
            proptest::prop_assert_eq!(&fast.geometry, &full.geometry, "{}", text);
            proptest::prop_assert_eq!(&fast.repaired, &full.repaired, "{}", text);
        }
    }

    /// The common shape does take the fast path (the property above would pass if it never
    /// did).
    #[test]
    fn common_features_take_the_fast_path() {
        let f = r#"{ "type": "Feature", "properties": { "id": 1, "land_use": "residential" }, "geometry": { "type": "Polygon", "coordinates": [ [ [ 460936.63, 3452578.02 ], [ 460954.65, 3452569.34 ], [ 460973.55, 3452608.59 ], [ 460936.63, 3452578.02 ] ] ] } }"#;
        assert!(fast_feature(f.as_bytes()).is_some());
        let with_id = r#"{"type":"Feature","id":"P1","properties":null,"geometry":{"type":"Point","coordinates":[111.3,30.7,5]}}"#;
        assert_eq!(
            fast_feature(with_id.as_bytes()).unwrap().id.as_deref(),
            Some("P1")
        );
        for not in [
            r#"{"type":"Feature","properties":{},"geometry":{"coordinates":[1,2],"type":"Point"}}"#,
            r#"{"type":"Feature","properties":{},"geometry":{"type":"Point","coordinates":[1]}}"#,
            r#"{"type":"Feature","properties":{},"geometry":null}"#,
            r#"{"type":"Feature","properties":{},"bbox":[0,0,1,1],"geometry":{"type":"Point","coordinates":[1,2]}}"#,
        ] {
            assert!(fast_feature(not.as_bytes()).is_none(), "{not}");
        }
    }
}
