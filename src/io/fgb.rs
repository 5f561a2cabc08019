//! FlatGeobuf, natively (no GDAL): the header gives the CRS and the feature count, features
//! are read in file order (Hilbert order when the file has a spatial index). A feature's id
//! is its position in the file, as GDAL numbers them.

use super::stream::{Batch, RawStream};
use super::{resolve_crs, Assembler, RawFeature, ReadOptions, Source};
use crate::crs::Crs;
use crate::model::Properties;
use crate::{Error, Result};
use flatgeobuf::geozero::{ColumnValue, PropertyProcessor};
use flatgeobuf::{FallibleStreamingIterator, FeatureProperties, FgbReader, GeometryType};
use geo::{Coord, Geometry, LineString, MultiLineString, MultiPoint, MultiPolygon, Point, Polygon};
use serde_json::Value;
use std::fs::File;
use std::io::BufReader;
use std::path::{Path, PathBuf};

type Iter = flatgeobuf::FeatureIter<BufReader<File>, flatgeobuf::NotSeekable>;

/// A FlatGeobuf file read feature by feature.
pub(crate) struct FgbStream {
    path: PathBuf,
    iter: Iter,
    geometry_type: GeometryType,
    count: Option<u64>,
    index: usize,
    /// The header's columns, in order: a feature omits its null values, GDAL lists them.
    columns: Vec<String>,
}

fn fgb_error(path: &Path, e: flatgeobuf::Error) -> Error {
    Error::parse(path, None, format!("not a readable FlatGeobuf file: {e}"))
}

impl FgbStream {
    pub fn open(path: &Path, opts: &ReadOptions<'_>) -> Result<(Crs, FgbStream)> {
        if let Some(layer) = opts.layer {
            return Err(Error::parse(
                path,
                None,
                format!("FlatGeobuf has one layer; --layer {layer} applies to multi-layer sources"),
            ));
        }
        let file = File::open(path).map_err(|e| Error::io(path, e))?;
        let reader = FgbReader::open(BufReader::with_capacity(1 << 20, file))
            .map_err(|e| fgb_error(path, e))?;
        let header = reader.header();
        let in_file = match header.crs() {
            Some(c) if c.code() > 0 && c.org().is_none_or(|o| o.eq_ignore_ascii_case("EPSG")) => {
                Some(Crs::from_epsg(c.code() as u32).map_err(|e| {
                    Error::parse(path, None, format!("the file's CRS EPSG:{}: {e}", c.code()))
                })?)
            }
            Some(c) => match c.wkt() {
                Some(wkt) => Some(
                    Crs::parse(wkt)
                        .map_err(|e| Error::parse(path, None, format!("the file's CRS: {e}")))?,
                ),
                None => None,
            },
            None => None,
        };
        let geometry_type = header.geometry_type();
        let columns = header
            .columns()
            .map(|cs| cs.iter().map(|c| c.name().to_owned()).collect())
            .unwrap_or_default();
        let count = match header.features_count() {
            0 => None,
            n => Some(n),
        };
        let crs = resolve_crs(path, in_file, None, opts)?;
        let iter = reader.select_all_seq().map_err(|e| fgb_error(path, e))?;
        Ok((
            crs,
            FgbStream {
                path: path.to_owned(),
                iter,
                geometry_type,
                count,
                index: 0,
                columns,
            },
        ))
    }

    /// The number of features the header declares.
    pub fn total(&self) -> Option<u64> {
        self.count
    }
}

impl RawStream for FgbStream {
    fn next_batch(&mut self, max: usize) -> Result<Option<Batch>> {
        let mut out = Vec::with_capacity(max.min(1 << 16));
        while out.len() < max.max(1) {
            let Some(feature) = self.iter.next().map_err(|e| fgb_error(&self.path, e))? else {
                break;
            };
            let mut properties: Properties = self
                .columns
                .iter()
                .map(|c| (c.clone(), Value::Null))
                .collect();
            let props = feature
                .process_properties(&mut Props(&mut properties))
                .map(|_| ())
                .map_err(|e| format!("unreadable attributes: {e}"));
            let geometry = props.and_then(|()| match feature.geometry() {
                Some(g) => to_geo(&g, self.geometry_type),
                None => Err("the feature has no geometry".to_owned()),
            });
            out.push(RawFeature {
                index: self.index,
                id: Some(self.index.to_string()),
                properties,
                geometry,
                repaired: None,
            });
            self.index += 1;
        }
        Ok((!out.is_empty()).then_some(Batch::Raw(out)))
    }

    fn done(&self) -> u64 {
        self.index as u64
    }
}

/// Reads a whole FlatGeobuf file (for `check`).
pub fn read(path: &Path, opts: ReadOptions<'_>) -> Result<Source> {
    let (crs, mut stream) = FgbStream::open(path, &opts)?;
    let mut asm = Assembler::new(path.display().to_string(), crs, &opts)?;
    while let Some(Batch::Raw(batch)) = stream.next_batch(1 << 16)? {
        batch.into_iter().for_each(|raw| asm.push(raw));
    }
    Ok(asm.finish())
}

struct Props<'a>(&'a mut Properties);

impl PropertyProcessor for Props<'_> {
    fn property(
        &mut self,
        _index: usize,
        name: &str,
        value: &ColumnValue,
    ) -> flatgeobuf::geozero::error::Result<bool> {
        let v = match value {
            ColumnValue::Byte(v) => Value::from(*v),
            ColumnValue::UByte(v) => Value::from(*v),
            ColumnValue::Bool(v) => Value::Bool(*v),
            ColumnValue::Short(v) => Value::from(*v),
            ColumnValue::UShort(v) => Value::from(*v),
            ColumnValue::Int(v) => Value::from(*v),
            ColumnValue::UInt(v) => Value::from(*v),
            ColumnValue::Long(v) => Value::from(*v),
            ColumnValue::ULong(v) => Value::from(*v),
            ColumnValue::Float(v) => Value::from(f64::from(*v)),
            ColumnValue::Double(v) => Value::from(*v),
            ColumnValue::String(s) | ColumnValue::DateTime(s) => Value::String((*s).to_owned()),
            ColumnValue::Json(s) => {
                serde_json::from_str(s).unwrap_or(Value::String((*s).to_owned()))
            }
            ColumnValue::Binary(_) => Value::Null,
        };
        self.0.insert(name.to_owned(), v);
        Ok(false)
    }
}

fn coords(g: &flatgeobuf::Geometry<'_>) -> std::result::Result<Vec<Coord<f64>>, String> {
    let xy = g
        .xy()
        .map(|v| v.iter().collect::<Vec<f64>>())
        .unwrap_or_default();
    if !xy.len().is_multiple_of(2) {
        return Err("odd number of xy values".into());
    }
    let cs: Vec<Coord<f64>> = xy
        .chunks_exact(2)
        .map(|c| Coord { x: c[0], y: c[1] })
        .collect();
    if let Some(c) = cs.iter().find(|c| !c.x.is_finite() || !c.y.is_finite()) {
        return Err(format!("non-finite coordinate ({}, {})", c.x, c.y));
    }
    Ok(cs)
}

/// Splits coordinates at the `ends` offsets (rings of a polygon, lines of a multi-line).
fn runs(g: &flatgeobuf::Geometry<'_>) -> std::result::Result<Vec<LineString<f64>>, String> {
    let cs = coords(g)?;
    let ends: Vec<usize> = match g.ends() {
        Some(e) if !e.is_empty() => e.iter().map(|x| x as usize).collect(),
        _ => vec![cs.len()],
    };
    let mut out = Vec::with_capacity(ends.len());
    let mut start = 0;
    for end in ends {
        if end < start || end > cs.len() {
            return Err("ring offsets out of range".into());
        }
        out.push(LineString(cs[start..end].to_vec()));
        start = end;
    }
    Ok(out)
}

fn polygon(g: &flatgeobuf::Geometry<'_>) -> std::result::Result<Polygon<f64>, String> {
    let mut rings = runs(g)?.into_iter();
    let exterior = rings.next().ok_or("empty Polygon")?;
    for r in std::iter::once(&exterior).chain(rings.as_slice()) {
        if r.0.len() < 4 {
            return Err(format!(
                "a ring needs at least 4 positions, got {}",
                r.0.len()
            ));
        }
        if !r.is_closed() {
            return Err("ring is not closed".into());
        }
    }
    Ok(Polygon::new(exterior, rings.collect()))
}

fn line(l: LineString<f64>) -> std::result::Result<LineString<f64>, String> {
    if l.0.len() < 2 {
        return Err(format!(
            "a LineString needs at least 2 positions, got {}",
            l.0.len()
        ));
    }
    Ok(l)
}

fn to_geo(
    g: &flatgeobuf::Geometry<'_>,
    declared: GeometryType,
) -> std::result::Result<Geometry<f64>, String> {
    let kind = if declared == GeometryType::Unknown {
        g.type_()
    } else {
        declared
    };
    Ok(match kind {
        GeometryType::Point => match coords(g)?.first() {
            Some(c) => Geometry::Point(Point(*c)),
            None => return Err("empty geometry".into()),
        },
        GeometryType::MultiPoint => {
            let cs = coords(g)?;
            if cs.is_empty() {
                return Err("empty MultiPoint".into());
            }
            Geometry::MultiPoint(MultiPoint(cs.into_iter().map(Point).collect()))
        }
        GeometryType::LineString => Geometry::LineString(line(LineString(coords(g)?))?),
        GeometryType::MultiLineString => Geometry::MultiLineString(MultiLineString(
            runs(g)?
                .into_iter()
                .map(line)
                .collect::<std::result::Result<_, _>>()?,
        )),
        GeometryType::Polygon => Geometry::Polygon(polygon(g)?),
        GeometryType::MultiPolygon => {
            let parts = g.parts().ok_or("empty MultiPolygon")?;
            if parts.is_empty() {
                return Err("empty MultiPolygon".into());
            }
            Geometry::MultiPolygon(MultiPolygon(
                parts
                    .iter()
                    .map(|p| polygon(&p))
                    .collect::<std::result::Result<_, _>>()?,
            ))
        }
        other => return Err(format!("unsupported FlatGeobuf geometry type {other:?}")),
    })
}
