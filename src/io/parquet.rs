//! GeoParquet 1.0/1.1 with WKB geometry, natively (no Arrow, no GDAL). The `geo` metadata
//! names the geometry column and its CRS (PROJJSON with an EPSG id; absent means OGC:CRS84,
//! i.e. WGS 84 longitude/latitude). Flat columns become attributes: booleans, integers,
//! floats, UTF-8 strings, and dates and timestamps as ISO text (`2026-03-01`, or
//! `2026-03-01T08:30:00` where the time is not midnight: GeoPandas writes date columns as
//! timestamps); other types (binary, nested, INT96) are left out. Rows are read
//! a batch at a time from each row group, so a million-row group never sits in memory whole.
//! A feature's id is its row number, as GDAL numbers them. Compression: snappy or none.

use super::{resolve_crs, RawFeature, RawStream, ReadOptions};
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
    time: Time,
}

/// What an integer column holds.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Time {
    /// A plain number.
    No,
    /// Days since 1970-01-01 (DATE).
    Days,
    /// Units since 1970-01-01T00:00 (TIMESTAMP), this many per second.
    PerSecond(i64),
}

/// A date or time as ISO text: the date alone at midnight.
fn iso(t: Time, v: i64) -> Value {
    match t {
        Time::No => Value::from(v),
        Time::Days => Value::String(crate::model::Date::from_days(v).to_string()),
        Time::PerSecond(per) => Value::String(crate::model::iso_of_seconds(v.div_euclid(per))),
    }
}

/// A GeoParquet file read in batches of rows.
pub(crate) struct ParquetStream {
    path: PathBuf,
    reader: SerializedFileReader<GuardedFile>,
    /// The file, opened once, for checking page headers ([`check_pages`]).
    file: File,
    geometry: Column,
    columns: Vec<Column>,
    row_group: usize,
    /// Readers for the current row group: geometry first, then `columns`.
    current: Option<Vec<ColumnReader>>,
    rows_left: usize,
    total: u64,
    index: usize,
    /// Whether a row's id is its row number (as [`super::fgb`]'s: not when an id field is
    /// named).
    row_ids: bool,
    /// Rows per batch, adapted to the bytes a row expands to (see [`BATCH_BYTES`]).
    rows_per_batch: usize,
    max_feature: u64,
}

/// About this many bytes of decoded rows per batch. A dictionary-encoded column can expand a
/// few hundred kilobytes of file into gigabytes of text; batches shrink to keep each within
/// this, however the rows are encoded.
const BATCH_BYTES: usize = 64 << 20;
/// Rows in the first batch, before the size of a row is known.
const FIRST_BATCH: usize = 64;
/// The most bytes one batch of one column may decode to; no real file comes near it once
/// batches adapt to [`BATCH_BYTES`].
const EXPANSION_LIMIT: usize = 1 << 30;

fn pq_error(path: &Path, e: impl std::fmt::Display) -> Error {
    Error::parse(path, None, format!("not a readable GeoParquet file: {e}"))
}

/// The CRS of a GeoParquet geometry column from its `crs` member.
fn column_crs(path: &Path, meta: &Value) -> Result<Option<Crs>> {
    Crs::of_geo_column(meta).map_err(|e| {
        let hint = "declare it with `crs = \"EPSG:...\"` on the project layer or --assume-crs";
        Error::parse(path, None, format!("{e}; {hint}"))
    })
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
        let mut file = File::open(path).map_err(|e| Error::io(path, e))?;
        check_footer(path, &mut file)?;
        let pages = file.try_clone().map_err(|e| Error::io(path, e))?;
        let reader = SerializedFileReader::new(GuardedFile(file)).map_err(|e| pq_error(path, e))?;
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
            let time = match c.logical_type_ref() {
                Some(LogicalType::Date) => Time::Days,
                Some(LogicalType::Timestamp(t)) => Time::PerSecond(match t.unit {
                    parquet::basic::TimeUnit::MILLIS => 1_000,
                    parquet::basic::TimeUnit::MICROS => 1_000_000,
                    parquet::basic::TimeUnit::NANOS => 1_000_000_000,
                }),
                _ => match c.converted_type() {
                    ConvertedType::DATE => Time::Days,
                    ConvertedType::TIMESTAMP_MILLIS => Time::PerSecond(1_000),
                    ConvertedType::TIMESTAMP_MICROS => Time::PerSecond(1_000_000),
                    _ => Time::No,
                },
            };
            let col = Column {
                index,
                name: c.name().to_owned(),
                max_def: c.max_def_level(),
                text,
                time,
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
            } else if super::wanted(opts, &col.name) {
                // A column no rule reads is not read at all ([`super::Projection`]).
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
        // The file's row count is a claim the row groups must add up to.
        let declared = meta.num_rows();
        let mut sum: i64 = 0;
        let file_len = std::fs::metadata(path)
            .map_err(|e| Error::io(path, e))?
            .len();
        for (i, rg) in reader.metadata().row_groups().iter().enumerate() {
            if rg.num_rows() < 0 {
                return Err(pq_error(
                    path,
                    format!("row group {i} declares {} rows", rg.num_rows()),
                ));
            }
            // Column chunks must lie inside the file (the library asserts on negative ones).
            for c in rg.columns() {
                let start = c.dictionary_page_offset().unwrap_or(c.data_page_offset());
                let len = c.compressed_size();
                if start < 0 || len < 0 || (start as u64).saturating_add(len as u64) > file_len {
                    return Err(pq_error(
                        path,
                        format!(
                            "row group {i}, column '{}': its data ({len} bytes at byte {start}) lies outside the file's {file_len} bytes",
                            c.column_path()
                        ),
                    ));
                }
            }
            sum = sum.saturating_add(rg.num_rows());
        }
        if declared != sum {
            return Err(pq_error(
                path,
                format!("the file declares {declared} rows but its row groups hold {sum}: corrupt or truncated"),
            ));
        }
        let total = declared as u64;
        Ok((
            crs,
            ParquetStream {
                path: path.to_owned(),
                reader,
                file: pages,
                geometry,
                columns,
                row_group: 0,
                current: None,
                rows_left: 0,
                total,
                index: 0,
                row_ids: opts.id_field.is_none(),
                rows_per_batch: FIRST_BATCH,
                max_feature: opts.limits.feature_bytes(),
            },
        ))
    }

    /// Rows in the file.
    pub fn total(&self) -> u64 {
        self.total
    }
}

/// Checks the footer's Thrift structure before the library decodes it (see
/// [`super::thrift`]): a few bytes declaring billions of list elements kept it busy for
/// minutes.
fn check_footer(path: &Path, file: &mut File) -> Result<()> {
    use std::io::{Read, Seek, SeekFrom};
    let len = file.metadata().map_err(|e| Error::io(path, e))?.len();
    if len < 12 {
        return Err(pq_error(
            path,
            format!("{len} bytes: too short for a Parquet file"),
        ));
    }
    let mut tail = [0u8; 8];
    file.seek(SeekFrom::Start(len - 8))
        .and_then(|_| file.read_exact(&mut tail))
        .map_err(|e| Error::io(path, e))?;
    if &tail[4..] != b"PAR1" {
        return Err(pq_error(
            path,
            "it does not end with PAR1: not a Parquet file, or truncated",
        ));
    }
    let n = u64::from(u32::from_le_bytes(tail[..4].try_into().expect("4 bytes")));
    if n > len - 12 {
        return Err(pq_error(
            path,
            format!("its metadata ({n} bytes) is longer than the file"),
        ));
    }
    let mut meta = vec![0u8; n as usize];
    file.seek(SeekFrom::Start(len - 8 - n))
        .and_then(|_| file.read_exact(&mut meta))
        .and_then(|_| file.seek(SeekFrom::Start(0)).map(|_| ()))
        .map_err(|e| Error::io(path, e))?;
    super::thrift::file_metadata(&meta).map_err(|why| pq_error(path, why))
}

/// Checks the page headers of one column chunk before the library reads them (see
/// [`super::thrift`]): each is well-formed and its page lies inside the chunk.
fn check_pages(
    path: &Path,
    file: &File,
    c: &parquet::file::metadata::ColumnChunkMetaData,
) -> Result<()> {
    use super::thrift::Problem;
    use std::os::unix::fs::FileExt;
    let start = c
        .dictionary_page_offset()
        .unwrap_or(c.data_page_offset())
        .max(0) as u64;
    let end = start + c.compressed_size().max(0) as u64;
    let name = c.column_path().to_string();
    let bad = |why: String| pq_error(path, format!("column '{name}': {why}"));
    let mut at = start;
    let mut buf = Vec::new();
    while at < end {
        // Headers are small; one that carries large statistics is read in a growing window.
        let mut window = 256u64;
        let (used, size) = loop {
            let want = window.min(end - at) as usize;
            buf.resize(want, 0);
            file.read_exact_at(&mut buf, at)
                .map_err(|e| Error::io(path, e))?;
            match super::thrift::page_header(&buf) {
                Ok(got) => break got,
                Err(Problem::Short) if (want as u64) < end - at => window *= 4,
                Err(Problem::Short) => {
                    return Err(bad(format!(
                        "the page header at byte {at} runs past the column's data (which ends at byte {end})"
                    )))
                }
                Err(Problem::Bad(why)) => {
                    return Err(bad(format!("the page header at byte {at} is malformed: {why}")))
                }
            }
        };
        if size < 0 || at + used as u64 + size as u64 > end {
            return Err(bad(format!(
                "the page at byte {at} declares {size} bytes, past the column's data (which ends at byte {end})"
            )));
        }
        at += used as u64 + size as u64;
    }
    Ok(())
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

/// A column's next `n` values as JSON (the geometry column as raw bytes instead, still in
/// the page they were read from: decoded from there, not copied out first).
enum Values {
    Json(Vec<Value>),
    Bytes(Vec<Option<parquet::data_type::ByteArray>>),
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
                .map(|v| v.map_or(Value::Null, |x| iso(col.time, i64::from(x))))
                .collect(),
        ),
        C::Int64ColumnReader(r) => Values::Json(
            read_typed(r, n, col.max_def)?
                .into_iter()
                .map(|v| v.map_or(Value::Null, |x| iso(col.time, x)))
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
            // Dictionary values are shared until they are copied out: count first.
            let total: usize = vs.iter().flatten().map(|b| b.len()).sum();
            if total > EXPANSION_LIMIT {
                return Err(parquet::errors::ParquetError::General(format!(
                    "{n} rows of column '{}' decode to {} MB, over the {} MB a batch may take: a dictionary that expands far beyond the file",
                    col.name,
                    total >> 20,
                    EXPANSION_LIMIT >> 20
                )));
            }
            if raw {
                Values::Bytes(vs)
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

/// The file as the parquet library reads it, with two guards: no read of bytes beyond the
/// file is sized up front, and a reader that keeps hitting the end of the file fails instead
/// of looping (a page header whose lists claim elements that are not there made the library
/// read the end of the file over and over, for over a minute on an 18 KB file: a hang, found
/// by the fuzz target).
pub(crate) struct GuardedFile(File);

impl parquet::file::reader::Length for GuardedFile {
    fn len(&self) -> u64 {
        parquet::file::reader::Length::len(&self.0)
    }
}

impl parquet::file::reader::ChunkReader for GuardedFile {
    type T = EofGuard<std::io::BufReader<File>>;

    fn get_read(&self, start: u64) -> parquet::errors::Result<Self::T> {
        Ok(EofGuard {
            inner: parquet::file::reader::ChunkReader::get_read(&self.0, start)?,
            ends: 0,
        })
    }

    fn get_bytes(&self, start: u64, length: usize) -> parquet::errors::Result<bytes::Bytes> {
        let len = parquet::file::reader::Length::len(&self.0);
        if start.saturating_add(length as u64) > len {
            return Err(parquet::errors::ParquetError::EOF(format!(
                "{length} bytes at byte {start} lie beyond the file's {len} bytes"
            )));
        }
        parquet::file::reader::ChunkReader::get_bytes(&self.0, start, length)
    }
}

/// A reader that fails on the 64th read in a row that finds the end of the file.
pub(crate) struct EofGuard<R> {
    inner: R,
    ends: u32,
}

impl<R: std::io::Read> std::io::Read for EofGuard<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        if n == 0 && !buf.is_empty() {
            self.ends += 1;
            if self.ends >= 64 {
                return Err(std::io::Error::new(
                    std::io::ErrorKind::UnexpectedEof,
                    "read past the end of the file again and again: a corrupt page header",
                ));
            }
        } else if n > 0 {
            self.ends = 0;
        }
        Ok(n)
    }
}

/// A column's pages with the counts their headers claim checked before the library sizes
/// anything by them: a dictionary page claiming far more values than its bytes hold made it allocate
/// 52 GB and abort (found by the `parquet` fuzz target).
struct CheckedPages(Box<dyn parquet::column::page::PageReader>);

impl CheckedPages {
    fn check(
        page: parquet::column::page::Page,
    ) -> parquet::errors::Result<parquet::column::page::Page> {
        use parquet::column::page::Page;
        if let Page::DictionaryPage {
            buf, num_values, ..
        } = &page
        {
            // A dictionary value takes at least one bit (booleans), a byte in practice.
            if *num_values as usize > buf.len().saturating_mul(8) {
                return Err(parquet::errors::ParquetError::General(format!(
                    "a dictionary page declares {num_values} values in {} bytes",
                    buf.len()
                )));
            }
        }
        Ok(page)
    }
}

impl Iterator for CheckedPages {
    type Item = parquet::errors::Result<parquet::column::page::Page>;
    fn next(&mut self) -> Option<Self::Item> {
        parquet::column::page::PageReader::get_next_page(self).transpose()
    }
}

impl parquet::column::page::PageReader for CheckedPages {
    fn get_next_page(&mut self) -> parquet::errors::Result<Option<parquet::column::page::Page>> {
        self.0.get_next_page()?.map(Self::check).transpose()
    }
    fn peek_next_page(
        &mut self,
    ) -> parquet::errors::Result<Option<parquet::column::page::PageMetadata>> {
        self.0.peek_next_page()
    }
    fn skip_next_page(&mut self) -> parquet::errors::Result<()> {
        self.0.skip_next_page()
    }
    fn at_record_boundary(&mut self) -> parquet::errors::Result<bool> {
        self.0.at_record_boundary()
    }
}

/// The bytes a decoded attribute value holds (text; other values count a word).
fn value_bytes(v: &Value) -> usize {
    match v {
        Value::String(s) => s.len() + 24,
        _ => 8,
    }
}

impl RawStream for ParquetStream {
    fn next_batch(&mut self, max: usize) -> Result<Option<Vec<RawFeature>>> {
        while self.rows_left == 0 {
            if let Some(readers) = self.current.as_mut() {
                // A row group's pages must hold exactly the rows it declares: rows past them
                // would be dropped without a word.
                for (r, c) in readers
                    .iter_mut()
                    .zip(std::iter::once(&self.geometry).chain(&self.columns))
                {
                    let extra = read_column(r, 1, c, true).map_err(|e| pq_error(&self.path, e))?;
                    let more = match extra {
                        Values::Bytes(b) => b.len(),
                        Values::Json(v) => v.len(),
                    };
                    if more > 0 {
                        return Err(pq_error(
                            &self.path,
                            format!(
                                "row group {} holds more values in column '{}' than the rows it declares: corrupt",
                                self.row_group - 1,
                                c.name
                            ),
                        ));
                    }
                }
                self.current = None;
            }
            if self.row_group >= self.reader.num_row_groups() {
                return Ok(None);
            }
            let rg = self
                .reader
                .get_row_group(self.row_group)
                .map_err(|e| pq_error(&self.path, e))?;
            for c in std::iter::once(&self.geometry).chain(&self.columns) {
                check_pages(&self.path, &self.file, rg.metadata().column(c.index))?;
            }
            self.rows_left = rg.metadata().num_rows().max(0) as usize;
            let schema = self.reader.metadata().file_metadata().schema_descr_ptr();
            let readers = std::iter::once(&self.geometry)
                .chain(&self.columns)
                .map(|c| {
                    let pages = rg.get_column_page_reader(c.index)?;
                    Ok(parquet::column::reader::get_column_reader(
                        schema.column(c.index),
                        Box::new(CheckedPages(pages)),
                    ))
                })
                .collect::<parquet::errors::Result<Vec<_>>>()
                .map_err(|e| pq_error(&self.path, e))?;
            self.current = Some(readers);
            self.row_group += 1;
        }
        let n = max.max(1).min(self.rows_left).min(self.rows_per_batch);
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
                format!(
                    "row group {} ends after row {} of the rows it declares: a column has fewer values (truncated or corrupt)",
                    self.row_group - 1,
                    self.index + geoms.len().min(attrs.iter().map(Vec::len).min().unwrap_or(n))
                ),
            ));
        }
        // What the rows decode to: the limit on one row, and the next batch's size.
        let mut bytes = 0usize;
        for (i, g) in geoms.iter().enumerate() {
            let row = g.as_ref().map_or(0, |b| b.len())
                + attrs.iter().map(|a| value_bytes(&a[i])).sum::<usize>();
            if row as u64 > self.max_feature {
                return Err(Error::parse(
                    path,
                    None,
                    format!(
                        "row {} decodes to {row} bytes, over the limit of {} MB for one feature ([limits] feature_mb in ironrule.toml)",
                        self.index + i,
                        self.max_feature >> 20
                    ),
                ));
            }
            bytes += row + 64;
        }
        self.rows_per_batch = (BATCH_BYTES / (bytes / n).max(1)).clamp(1, max.max(1));
        let mut attrs: Vec<_> = attrs.into_iter().map(Vec::into_iter).collect();
        let first = self.index;
        let raws = geoms
            .into_iter()
            .enumerate()
            .map(|(i, wkb)| {
                let mut properties = Properties::with_capacity(self.columns.len());
                for (c, vals) in self.columns.iter().zip(attrs.iter_mut()) {
                    properties.insert(c.name.clone(), vals.next().unwrap_or(Value::Null));
                }
                let index = first + i;
                RawFeature {
                    index,
                    id: self.row_ids.then(|| index.to_string()),
                    properties,
                    geometry: match wkb {
                        Some(b) => super::wkb::decode(b.data()),
                        None => Err("the feature has no geometry".to_owned()),
                    },
                    repaired: None,
                }
            })
            .collect();
        self.index += n;
        self.rows_left -= n;
        Ok(Some(raws))
    }

    fn done(&self) -> u64 {
        self.index as u64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_and_timestamps_read_as_iso_text() {
        use super::{iso, Time};
        assert_eq!(iso(Time::Days, 20_513), "2026-03-01");
        // 2026-03-01T00:00 and 08:30:05 in milliseconds; before 1970 too.
        assert_eq!(iso(Time::PerSecond(1_000), 1_772_323_200_000), "2026-03-01");
        assert_eq!(
            iso(Time::PerSecond(1_000), 1_772_323_200_000 + 30_605_000),
            "2026-03-01T08:30:05"
        );
        assert_eq!(iso(Time::PerSecond(1), -1), "1969-12-31T23:59:59");
        assert_eq!(iso(Time::No, 42), 42);
    }

    #[test]
    fn a_crs_without_an_epsg_id_names_the_file_and_how_to_declare_one() {
        let meta = serde_json::json!({ "crs": { "name": "Local grid", "type": "ProjectedCRS" } });
        let e = column_crs(Path::new("parcels.parquet"), &meta)
            .unwrap_err()
            .to_string();
        assert!(e.contains("parcels.parquet"), "{e}");
        assert!(
            e.contains("(Local grid) has no EPSG id; declare it with `crs = \"EPSG:...\"`"),
            "{e}"
        );
    }
}
