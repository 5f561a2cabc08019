//! Arrow batches as a feature stream: the geometry column (WKB, or GeoArrow's native point,
//! line and polygon encodings) decoded per row, the attributes the rules read turned into
//! JSON values, handed to the pipeline in batches like any reader's.

use arrow_array::cast::AsArray;
use arrow_array::types::Float64Type;
use arrow_array::{Array, ArrayRef, RecordBatch};
use arrow_schema::DataType;
use geo::{Coord, Geometry, LineString, MultiLineString, MultiPoint, MultiPolygon, Point, Polygon};
use ironrule::crs::Crs;
use ironrule::engine::Checker;
use ironrule::io::{RawFeature, RawStream};
use ironrule::model::Properties;
use serde_json::Value;

/// Why a table cannot be read.
pub enum Problem {
    Crs(String),
    Input(String),
}

/// How the geometry column is encoded.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Encoding {
    Wkb,
    Point,
    LineString,
    Polygon,
    MultiPoint,
    MultiLineString,
    MultiPolygon,
}

/// The table, and how far through it the pipeline has read.
pub struct Input {
    pub crs: Crs,
    batches: Vec<RecordBatch>,
    geometry: usize,
    encoding: Encoding,
    /// (name, column) of the attributes the rules (or the id field) read.
    attributes: Vec<(String, usize)>,
    index: Option<usize>,
    offset: usize,
    batch: usize,
    row: usize,
    done: u64,
    rows: usize,
}

impl Input {
    pub fn new(
        checker: &Checker,
        batches: Vec<RecordBatch>,
        o: &super::Options,
    ) -> Result<Input, Problem> {
        let Some(first) = batches.first() else {
            return Err(Problem::Input(
                "the table has no batches (not even an empty one)".into(),
            ));
        };
        let schema = first.schema();
        let names = || {
            schema
                .fields()
                .iter()
                .map(|f| f.name().as_str())
                .collect::<Vec<_>>()
                .join(", ")
        };
        let geometry = match &o.geometry {
            Some(name) => schema.index_of(name).map_err(|_| {
                Problem::Input(format!("no column '{name}' (geometry=); the columns are {}", names()))
            })?,
            None => schema
                .fields()
                .iter()
                .position(|f| {
                    f.metadata()
                        .get("ARROW:extension:name")
                        .is_some_and(|n| n.starts_with("geoarrow."))
                })
                .or_else(|| schema.index_of("geometry").ok())
                .ok_or_else(|| {
                    Problem::Input(format!(
                        "no geometry column: none is a GeoArrow column or is named 'geometry'; name it with geometry= (the columns are {})",
                        names()
                    ))
                })?,
        };
        let field = schema.field(geometry);
        let extension = field
            .metadata()
            .get("ARROW:extension:name")
            .map(String::as_str);
        let encoding = match (extension, field.data_type()) {
            (Some("geoarrow.wkb") | None, DataType::Binary | DataType::LargeBinary | DataType::BinaryView) => {
                Encoding::Wkb
            }
            (Some("geoarrow.point"), _) => Encoding::Point,
            (Some("geoarrow.linestring"), _) => Encoding::LineString,
            (Some("geoarrow.polygon"), _) => Encoding::Polygon,
            (Some("geoarrow.multipoint"), _) => Encoding::MultiPoint,
            (Some("geoarrow.multilinestring"), _) => Encoding::MultiLineString,
            (Some("geoarrow.multipolygon"), _) => Encoding::MultiPolygon,
            (ext, t) => {
                return Err(Problem::Input(format!(
                    "column '{}' ({}{t}) is not a geometry ironrule reads: give WKB (binary) or a GeoArrow point, line or polygon column",
                    field.name(),
                    ext.map(|e| format!("{e}, ")).unwrap_or_default()
                )))
            }
        };
        let crs = match &o.crs {
            Some(text) if text.trim_start().starts_with('{') => {
                let v: Value = serde_json::from_str(text)
                    .map_err(|e| Problem::Crs(format!("crs= is not PROJJSON: {e}")))?;
                Crs::of_geo_column(&serde_json::json!({ "crs": v }))
                    .map_err(|e| Problem::Crs(format!("crs=: {e}")))?
                    .ok_or_else(|| Problem::Crs("crs= is null".into()))?
            }
            Some(text) => {
                Crs::parse(text).map_err(|e| Problem::Crs(format!("crs={text:?}: {e}")))?
            }
            None => {
                let meta = field
                    .metadata()
                    .get("ARROW:extension:metadata")
                    .and_then(|m| serde_json::from_str::<Value>(m).ok())
                    .filter(|m| m.get("crs").is_some_and(|c| !c.is_null()));
                match meta {
                    Some(m) => Crs::of_geo_column(&m)
                        .map_err(|e| Problem::Crs(format!("{e}; pass crs= (for example crs=\"EPSG:4546\")")))?
                        .ok_or_else(|| Problem::Crs("the geometry column's CRS is null".into()))?,
                    None => {
                        return Err(Problem::Crs(format!(
                            "the geometry column '{}' declares no CRS: pass crs= (for example crs=\"EPSG:4546\"); ironrule does not guess",
                            field.name()
                        )))
                    }
                }
            }
        };
        let id_field = o.id_field.as_deref();
        let mut attributes = Vec::new();
        for (i, f) in schema.fields().iter().enumerate() {
            let name = f.name();
            if i == geometry || !(checker.projection.keeps(name) || id_field == Some(name.as_str()))
            {
                continue;
            }
            if !readable(f.data_type()) {
                return Err(Problem::Input(format!(
                    "column '{name}' is read by the rules but its type ({}) is not one ironrule reads: give text, a number or a boolean",
                    f.data_type()
                )));
            }
            attributes.push((name.clone(), i));
        }
        if let Some(id) = id_field {
            if schema.index_of(id).is_err() {
                return Err(Problem::Input(format!(
                    "no column '{id}' (id_field=); the columns are {}",
                    names()
                )));
            }
        }
        let index = match &o.index_column {
            Some(name) => {
                let i = schema
                    .index_of(name)
                    .map_err(|_| Problem::Input(format!("no column '{name}' (index_column=)")))?;
                if !schema.field(i).data_type().is_integer() {
                    return Err(Problem::Input(format!(
                        "index_column '{name}' is not an integer column"
                    )));
                }
                Some(i)
            }
            None => None,
        };
        for b in &batches[1..] {
            if b.schema().fields() != schema.fields() {
                return Err(Problem::Input(
                    "the table's batches do not share one schema".into(),
                ));
            }
        }
        let rows = batches.iter().map(RecordBatch::num_rows).sum();
        Ok(Input {
            crs,
            batches,
            geometry,
            encoding,
            attributes,
            index,
            offset: o.index_offset,
            batch: 0,
            row: 0,
            done: 0,
            rows,
        })
    }

    pub fn rows(&self) -> usize {
        self.rows
    }

    fn feature(&self, b: &RecordBatch, row: usize, position: usize) -> RawFeature {
        let index = match self.index {
            Some(c) => integer(b.column(c), row).map_or(position, |i| i as usize),
            None => position,
        };
        let mut properties = Properties::new();
        for (name, c) in &self.attributes {
            properties.insert(name.clone(), value(b.column(*c), row));
        }
        let geometry = geometry(b.column(self.geometry), row, self.encoding);
        RawFeature::new(index, None, properties, geometry)
    }
}

impl RawStream for Input {
    fn next_batch(&mut self, max: usize) -> ironrule::Result<Option<Vec<RawFeature>>> {
        let mut out = Vec::with_capacity(max.min(self.rows));
        while out.len() < max.max(1) {
            let Some(b) = self.batches.get(self.batch) else {
                break;
            };
            if self.row >= b.num_rows() {
                self.batch += 1;
                self.row = 0;
                continue;
            }
            let position = self.offset + self.done as usize;
            out.push(self.feature(b, self.row, position));
            self.row += 1;
            self.done += 1;
        }
        if self.batch < self.batches.len() && self.row >= self.batches[self.batch].num_rows() {
            // Free what has been read.
            self.batches[self.batch] = RecordBatch::new_empty(self.batches[self.batch].schema());
        }
        Ok((!out.is_empty()).then_some(out))
    }

    fn done(&self) -> u64 {
        self.done
    }
}

fn readable(t: &DataType) -> bool {
    match t {
        DataType::Dictionary(_, v) => matches!(**v, DataType::Utf8 | DataType::LargeUtf8),
        t => {
            t.is_integer()
                || t.is_floating()
                || matches!(
                    t,
                    DataType::Utf8
                        | DataType::LargeUtf8
                        | DataType::Utf8View
                        | DataType::Boolean
                        | DataType::Null
                        | DataType::Date32
                        | DataType::Date64
                        | DataType::Timestamp(_, _)
                )
        }
    }
}

fn integer(a: &ArrayRef, row: usize) -> Option<i64> {
    if a.is_null(row) {
        return None;
    }
    match value(a, row) {
        Value::Number(n) => n.as_i64(),
        _ => None,
    }
}

/// One cell as a JSON value: text, a number (NaN and infinities are missing, as pandas
/// writes missing numbers), a boolean, or null.
fn value(a: &ArrayRef, row: usize) -> Value {
    use arrow_array::types::*;
    if a.is_null(row) {
        return Value::Null;
    }
    macro_rules! int {
        ($t:ty) => {
            Value::from(a.as_primitive::<$t>().value(row))
        };
    }
    match a.data_type() {
        DataType::Utf8 => Value::String(a.as_string::<i32>().value(row).to_owned()),
        DataType::LargeUtf8 => Value::String(a.as_string::<i64>().value(row).to_owned()),
        DataType::Utf8View => Value::String(a.as_string_view().value(row).to_owned()),
        DataType::Boolean => Value::Bool(a.as_boolean().value(row)),
        // Dates and times as ISO text, as the GeoParquet reader gives them (GeoPandas keeps
        // date columns as timestamps).
        DataType::Date32 => Value::String(
            ironrule::model::Date::from_days(i64::from(a.as_primitive::<Date32Type>().value(row)))
                .to_string(),
        ),
        DataType::Date64 => Value::String(ironrule::model::iso_of_seconds(
            a.as_primitive::<Date64Type>().value(row).div_euclid(1000),
        )),
        DataType::Timestamp(unit, _) => {
            use arrow_schema::TimeUnit;
            let (v, per) = match unit {
                TimeUnit::Second => (a.as_primitive::<TimestampSecondType>().value(row), 1),
                TimeUnit::Millisecond => (
                    a.as_primitive::<TimestampMillisecondType>().value(row),
                    1_000,
                ),
                TimeUnit::Microsecond => (
                    a.as_primitive::<TimestampMicrosecondType>().value(row),
                    1_000_000,
                ),
                TimeUnit::Nanosecond => (
                    a.as_primitive::<TimestampNanosecondType>().value(row),
                    1_000_000_000,
                ),
            };
            Value::String(ironrule::model::iso_of_seconds(v.div_euclid(per)))
        }
        DataType::Int8 => int!(Int8Type),
        DataType::Int16 => int!(Int16Type),
        DataType::Int32 => int!(Int32Type),
        DataType::Int64 => int!(Int64Type),
        DataType::UInt8 => int!(UInt8Type),
        DataType::UInt16 => int!(UInt16Type),
        DataType::UInt32 => int!(UInt32Type),
        DataType::UInt64 => int!(UInt64Type),
        DataType::Float16 => number(a.as_primitive::<Float16Type>().value(row).to_f64()),
        DataType::Float32 => number(a.as_primitive::<Float32Type>().value(row) as f64),
        DataType::Float64 => number(a.as_primitive::<Float64Type>().value(row)),
        DataType::Dictionary(_, _) => {
            let d = a.as_any_dictionary();
            let key = d.normalized_keys()[row];
            value(d.values(), key)
        }
        _ => Value::Null,
    }
}

fn number(x: f64) -> Value {
    serde_json::Number::from_f64(x).map_or(Value::Null, Value::Number)
}

/// One row's geometry, or why it cannot be read (the readers' words).
fn geometry(a: &ArrayRef, row: usize, encoding: Encoding) -> Result<Geometry<f64>, String> {
    if a.is_null(row) {
        return Err("the feature has no geometry".to_owned());
    }
    match encoding {
        Encoding::Wkb => {
            let bytes = match a.data_type() {
                DataType::Binary => a.as_binary::<i32>().value(row),
                DataType::LargeBinary => a.as_binary::<i64>().value(row),
                _ => a.as_binary_view().value(row),
            };
            ironrule::io::wkb::decode(bytes).map_err(|e| format!("unreadable WKB: {e}"))
        }
        Encoding::Point => Ok(Geometry::Point(Point(coords(a, row..row + 1)?[0]))),
        Encoding::LineString => Ok(Geometry::LineString(line(a, row)?)),
        Encoding::Polygon => Ok(Geometry::Polygon(polygon(a, row)?)),
        Encoding::MultiPoint => {
            let (values, r) = list(a, row)?;
            Ok(Geometry::MultiPoint(MultiPoint(
                coords(&values, r)?.into_iter().map(Point).collect(),
            )))
        }
        Encoding::MultiLineString => {
            let (values, r) = list(a, row)?;
            Ok(Geometry::MultiLineString(MultiLineString(
                r.map(|i| line(&values, i)).collect::<Result<_, _>>()?,
            )))
        }
        Encoding::MultiPolygon => {
            let (values, r) = list(a, row)?;
            Ok(Geometry::MultiPolygon(MultiPolygon(
                r.map(|i| polygon(&values, i)).collect::<Result<_, _>>()?,
            )))
        }
    }
}

/// A list cell: the child values and the range of this row.
fn list(a: &ArrayRef, row: usize) -> Result<(ArrayRef, std::ops::Range<usize>), String> {
    match a.data_type() {
        DataType::List(_) => {
            let l = a.as_list::<i32>();
            let o = l.value_offsets();
            Ok((l.values().clone(), o[row] as usize..o[row + 1] as usize))
        }
        DataType::LargeList(_) => {
            let l = a.as_list::<i64>();
            let o = l.value_offsets();
            Ok((l.values().clone(), o[row] as usize..o[row + 1] as usize))
        }
        t => Err(format!(
            "a GeoArrow column whose storage is {t}, not a list"
        )),
    }
}

fn line(a: &ArrayRef, row: usize) -> Result<LineString<f64>, String> {
    let (values, r) = list(a, row)?;
    let line = LineString(coords(&values, r)?);
    if line.0.len() < 2 {
        return Err("a line with fewer than 2 positions".into());
    }
    Ok(line)
}

fn polygon(a: &ArrayRef, row: usize) -> Result<Polygon<f64>, String> {
    let (rings, r) = list(a, row)?;
    let mut rings: Vec<LineString<f64>> = r
        .map(|i| {
            let (values, r) = list(&rings, i)?;
            let ring = LineString(coords(&values, r)?);
            if ring.0.len() < 4 || ring.0.first() != ring.0.last() {
                return Err("a polygon ring must be closed with four or more positions".to_owned());
            }
            Ok(ring)
        })
        .collect::<Result<_, String>>()?;
    if rings.is_empty() {
        return Err("empty Polygon".into());
    }
    let exterior = rings.remove(0);
    Ok(Polygon::new(exterior, rings))
}

/// Coordinates `r` of a GeoArrow coordinate array: separated (a struct of x, y[, z, m]) or
/// interleaved (a fixed-size list of 2 to 4 numbers); x and y are read, finite.
fn coords(a: &ArrayRef, r: std::ops::Range<usize>) -> Result<Vec<Coord<f64>>, String> {
    let finite = |c: Coord<f64>| {
        if c.x.is_finite() && c.y.is_finite() {
            Ok(c)
        } else {
            Err(format!(
                "a coordinate is not a finite number ({}, {})",
                c.x, c.y
            ))
        }
    };
    match a.data_type() {
        DataType::Struct(_) => {
            let s = a.as_struct();
            let (Some(x), Some(y)) = (s.column_by_name("x"), s.column_by_name("y")) else {
                return Err("a GeoArrow coordinate struct without x and y".into());
            };
            let (Some(x), Some(y)) = (
                x.as_primitive_opt::<Float64Type>(),
                y.as_primitive_opt::<Float64Type>(),
            ) else {
                return Err("GeoArrow coordinates that are not float64".into());
            };
            r.map(|i| {
                finite(Coord {
                    x: x.value(i),
                    y: y.value(i),
                })
            })
            .collect()
        }
        DataType::FixedSizeList(_, n) if (2..=4).contains(n) => {
            let l = a.as_fixed_size_list();
            let Some(v) = l.values().as_primitive_opt::<Float64Type>() else {
                return Err("GeoArrow coordinates that are not float64".into());
            };
            let n = *n as usize;
            r.map(|i| {
                finite(Coord {
                    x: v.value(i * n),
                    y: v.value(i * n + 1),
                })
            })
            .collect()
        }
        t => Err(format!("GeoArrow coordinates stored as {t}")),
    }
}
