//! GeoParquet 1.0/1.1 with WKB geometry, natively (no Arrow, no GDAL). The `geo` metadata
//! names the geometry column and its CRS (PROJJSON with an EPSG id; absent means OGC:CRS84,
//! i.e. WGS 84 longitude/latitude). Flat columns become attributes: booleans, integers,
//! floats and UTF-8 strings; other types (binary, nested, INT96) are left out. Rows are read
//! a batch at a time from each row group, so a million-row group never sits in memory whole.
//! A feature's id is its row number, as GDAL numbers them. Compression: snappy or none.

use super::stream::{Batch, RawStream};
use super::{resolve_crs, Assembler, RawFeature, ReadOptions, Source};
use crate::crs::Crs;
use crate::model::Properties;
use crate::{Error, Result};
use parquet::basic::{ConvertedType, LogicalType, Type as Physical};
use parquet::column::reader::{ColumnReader, ColumnReaderImpl};
use parquet::data_type::DataType;
use parquet::file::reader::{FileReader, SerializedFileReader};
use serde_json::Value;
use std::fs::File;
use std::path::{Path, PathBuf};

/// One flat column chosen for reading.
struct Column {
    index: usize,
    name: String,
    max_def: i16,
    text: bool,
}

/// A GeoParquet file read in batches of rows.
pub(crate) struct ParquetStream {
    path: PathBuf,
    reader: SerializedFileReader<File>,
    geometry: Column,
    columns: Vec<Column>,
    row_group: usize,
    /// Readers for the current row group: geometry first, then `columns`.
    current: Option<Vec<ColumnReader>>,
    rows_left: usize,
    total: u64,
    index: usize,
}

fn pq_error(path: &Path, e: impl std::fmt::Display) -> Error {
    Error::parse(path, None, format!("not a readable GeoParquet file: {e}"))
}

/// The CRS of a GeoParquet geometry column from its `crs` member.
fn column_crs(path: &Path, meta: &Value) -> Result<Option<Crs>> {
    match meta.get("crs") {
        // Absent: OGC:CRS84 by the specification.
        None => Ok(Some(Crs::wgs84())),
        // Explicit null: unknown.
        Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Crs::parse(s)
            .map(Some)
            .map_err(|e| Error::parse(path, None, format!("the geometry column's CRS: {e}"))),
        Some(projjson) => {
            let id = projjson.get("id");
            let auth = id.and_then(|i| i.get("authority")).and_then(Value::as_str);
            let code = id.and_then(|i| i.get("code")).and_then(|c| {
                c.as_u64()
                    .or_else(|| c.as_str().and_then(|s| s.parse().ok()))
            });
            match (auth, code) {
                (Some(a), Some(c)) if a.eq_ignore_ascii_case("EPSG") => {
                    Crs::from_epsg(c as u32).map(Some).map_err(|e| {
                        Error::parse(path, None, format!("the geometry column's CRS EPSG:{c}: {e}"))
                    })
                }
                (Some(a), Some(84)) if a.eq_ignore_ascii_case("OGC") => Ok(Some(Crs::wgs84())),
                _ => Err(Error::parse(
                    path,
                    None,
                    format!(
                        "the geometry column's CRS ({}) has no EPSG id; declare it with `crs = \"EPSG:...\"` on the project layer or --assume-crs",
                        projjson.get("name").and_then(Value::as_str).unwrap_or("PROJJSON without a name")
                    ),
                )),
            }
        }
    }
}

impl ParquetStream {
    pub fn open(path: &Path, opts: &ReadOptions<'_>) -> Result<(Crs, ParquetStream)> {
        if let Some(layer) = opts.layer {
            return Err(Error::parse(
                path,
                None,
                format!("GeoParquet has one layer; --layer {layer} applies to multi-layer sources"),
            ));
        }
        let file = File::open(path).map_err(|e| Error::io(path, e))?;
        let reader = SerializedFileReader::new(file).map_err(|e| pq_error(path, e))?;
        let meta = reader.metadata().file_metadata();
        let geo: Value = meta
            .key_value_metadata()
            .and_then(|kv| kv.iter().find(|k| k.key == "geo"))
            .and_then(|k| k.value.as_deref())
            .ok_or_else(|| {
                Error::parse(
                    path,
                    None,
                    "a Parquet file without GeoParquet `geo` metadata",
                )
            })
            .and_then(|s| {
                serde_json::from_str(s)
                    .map_err(|e| Error::parse(path, None, format!("the `geo` metadata: {e}")))
            })?;
        let primary = geo
            .get("primary_column")
            .and_then(Value::as_str)
            .ok_or_else(|| Error::parse(path, None, "the `geo` metadata has no primary_column"))?
            .to_owned();
        let gmeta = geo
            .get("columns")
            .and_then(|c| c.get(&primary))
            .ok_or_else(|| {
                Error::parse(
                    path,
                    None,
                    format!("the `geo` metadata does not describe column '{primary}'"),
                )
            })?;
        let encoding = gmeta.get("encoding").and_then(Value::as_str).unwrap_or("");
        if !encoding.eq_ignore_ascii_case("WKB") {
            return Err(Error::parse(
                path,
                None,
                format!("geometry encoding '{encoding}' is not supported; write GeoParquet with WKB (GeoPandas: to_parquet(..., geometry_encoding=\"WKB\"))"),
            ));
        }
        let in_file = column_crs(path, gmeta)?;
        let crs = resolve_crs(path, in_file, None, opts)?;
        let schema = meta.schema_descr();
        let mut geometry = None;
        let mut columns = Vec::new();
        for (index, c) in schema.columns().iter().enumerate() {
            // Flat top-level columns only: the path is the column name itself.
            if c.max_rep_level() > 0 || c.path().parts().len() != 1 {
                continue;
            }
            let text = matches!(c.logical_type_ref(), Some(LogicalType::String))
                || c.converted_type() == ConvertedType::UTF8;
            let col = Column {
                index,
                name: c.name().to_owned(),
                max_def: c.max_def_level(),
                text,
            };
            if col.name == primary {
                if c.physical_type() != Physical::BYTE_ARRAY {
                    return Err(Error::parse(
                        path,
                        None,
                        format!("geometry column '{primary}' is not binary (WKB)"),
                    ));
                }
                geometry = Some(col);
            } else {
                columns.push(col);
            }
        }
        let geometry = geometry.ok_or_else(|| {
            Error::parse(
                path,
                None,
                format!("no flat column '{primary}' for the geometry"),
            )
        })?;
        let total = meta.num_rows().max(0) as u64;
        Ok((
            crs,
            ParquetStream {
                path: path.to_owned(),
                reader,
                geometry,
                columns,
                row_group: 0,
                current: None,
                rows_left: 0,
                total,
                index: 0,
            },
        ))
    }

    /// Rows in the file.
    pub fn total(&self) -> u64 {
        self.total
    }
}

/// Reads up to `n` records of one column as optional values.
fn read_typed<T: DataType>(
    r: &mut ColumnReaderImpl<T>,
    n: usize,
    max_def: i16,
) -> parquet::errors::Result<Vec<Option<T::T>>> {
    let mut values = Vec::with_capacity(n);
    let mut defs = Vec::with_capacity(n);
    let mut records = 0;
    while records < n {
        let (got, _, _) = r.read_records(
            n - records,
            (max_def > 0).then_some(&mut defs),
            None,
            &mut values,
        )?;
        if got == 0 {
            break;
        }
        records += got;
    }
    if max_def == 0 {
        return Ok(values.into_iter().map(Some).collect());
    }
    let mut it = values.into_iter();
    Ok(defs
        .iter()
        .map(|d| if *d == max_def { it.next() } else { None })
        .collect())
}

/// A column's next `n` values as JSON (the geometry column as raw bytes instead).
enum Values {
    Json(Vec<Value>),
    Bytes(Vec<Option<Vec<u8>>>),
}

fn read_column(
    r: &mut ColumnReader,
    n: usize,
    col: &Column,
    raw: bool,
) -> parquet::errors::Result<Values> {
    use parquet::column::reader::ColumnReader as C;
    let num = |v: Option<f64>| {
        v.and_then(serde_json::Number::from_f64)
            .map_or(Value::Null, Value::Number)
    };
    Ok(match r {
        C::BoolColumnReader(r) => Values::Json(
            read_typed(r, n, col.max_def)?
                .into_iter()
                .map(|v| v.map_or(Value::Null, Value::Bool))
                .collect(),
        ),
        C::Int32ColumnReader(r) => Values::Json(
            read_typed(r, n, col.max_def)?
                .into_iter()
                .map(|v| v.map_or(Value::Null, Value::from))
                .collect(),
        ),
        C::Int64ColumnReader(r) => Values::Json(
            read_typed(r, n, col.max_def)?
                .into_iter()
                .map(|v| v.map_or(Value::Null, Value::from))
                .collect(),
        ),
        C::FloatColumnReader(r) => Values::Json(
            read_typed(r, n, col.max_def)?
                .into_iter()
                .map(|v| num(v.map(f64::from)))
                .collect(),
        ),
        C::DoubleColumnReader(r) => Values::Json(
            read_typed(r, n, col.max_def)?
                .into_iter()
                .map(num)
                .collect(),
        ),
        C::ByteArrayColumnReader(r) => {
            let vs = read_typed(r, n, col.max_def)?;
            if raw {
                Values::Bytes(
                    vs.into_iter()
                        .map(|v| v.map(|b| b.data().to_vec()))
                        .collect(),
                )
            } else {
                Values::Json(
                    vs.into_iter()
                        .map(|v| match v {
                            Some(b) if col.text => b
                                .as_utf8()
                                .map_or(Value::Null, |s| Value::String(s.to_owned())),
                            _ => Value::Null,
                        })
                        .collect(),
                )
            }
        }
        C::Int96ColumnReader(r) => {
            Values::Json(vec![Value::Null; read_typed(r, n, col.max_def)?.len()])
        }
        C::FixedLenByteArrayColumnReader(r) => {
            Values::Json(vec![Value::Null; read_typed(r, n, col.max_def)?.len()])
        }
    })
}

impl RawStream for ParquetStream {
    fn next_batch(&mut self, max: usize) -> Result<Option<Batch>> {
        while self.rows_left == 0 {
            if self.row_group >= self.reader.num_row_groups() {
                return Ok(None);
            }
            let rg = self
                .reader
                .get_row_group(self.row_group)
                .map_err(|e| pq_error(&self.path, e))?;
            self.rows_left = rg.metadata().num_rows().max(0) as usize;
            let readers = std::iter::once(&self.geometry)
                .chain(&self.columns)
                .map(|c| rg.get_column_reader(c.index))
                .collect::<parquet::errors::Result<Vec<_>>>()
                .map_err(|e| pq_error(&self.path, e))?;
            self.current = Some(readers);
            self.row_group += 1;
        }
        let n = max.max(1).min(self.rows_left);
        let readers = self.current.as_mut().expect("row group open");
        let path = &self.path;
        let geoms = match read_column(&mut readers[0], n, &self.geometry, true)
            .map_err(|e| pq_error(path, e))?
        {
            Values::Bytes(b) => b,
            Values::Json(_) => unreachable!("the geometry column is binary"),
        };
        let mut attrs = Vec::with_capacity(self.columns.len());
        for (r, c) in readers[1..].iter_mut().zip(&self.columns) {
            match read_column(r, n, c, false).map_err(|e| pq_error(path, e))? {
                Values::Json(v) => attrs.push(v),
                Values::Bytes(_) => unreachable!("attributes are JSON"),
            }
        }
        if geoms.len() != n || attrs.iter().any(|a| a.len() != n) {
            return Err(pq_error(
                path,
                "a column has fewer rows than its row group declares",
            ));
        }
        let mut attrs: Vec<_> = attrs.into_iter().map(Vec::into_iter).collect();
        let first = self.index;
        let raws = geoms
            .into_iter()
            .enumerate()
            .map(|(i, wkb)| {
                let mut properties = Properties::new();
                for (c, vals) in self.columns.iter().zip(attrs.iter_mut()) {
                    properties.insert(c.name.clone(), vals.next().unwrap_or(Value::Null));
                }
                let index = first + i;
                RawFeature {
                    index,
                    id: Some(index.to_string()),
                    properties,
                    geometry: match wkb {
                        Some(b) => super::wkb::decode(&b),
                        None => Err("the feature has no geometry".to_owned()),
                    },
                    repaired: None,
                }
            })
            .collect();
        self.index += n;
        self.rows_left -= n;
        Ok(Some(Batch::Raw(raws)))
    }

    fn done(&self) -> u64 {
        self.index as u64
    }
}

/// Reads a whole GeoParquet file (for `check`).
pub fn read(path: &Path, opts: ReadOptions<'_>) -> Result<Source> {
    let (crs, mut stream) = ParquetStream::open(path, &opts)?;
    let mut asm = Assembler::new(path.display().to_string(), crs, &opts)?;
    while let Some(Batch::Raw(batch)) = stream.next_batch(1 << 16)? {
        batch.into_iter().for_each(|raw| asm.push(raw));
    }
    Ok(asm.finish())
}
