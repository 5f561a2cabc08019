//! FlatGeobuf, natively (no GDAL). The header gives the CRS and the feature count; features
//! are read in file order (Hilbert order when the file has a spatial index). A feature's id
//! is its position in the file, as GDAL numbers them.
//!
//! The framing is read here, not by the flatgeobuf crate, so that a hostile file cannot make
//! it panic, abort or pass silently:
//! - the header and every feature are FlatBuffers-verified before they are looked at, and
//!   their sizes are checked against what the file still holds (a feature that claims
//!   4 GB of an 8 KB file is refused before anything is allocated) and against
//!   [`super::Limits::feature_mb`];
//! - the index node size must be 0 (no index) or at least 2, and the index must fit in the
//!   file;
//! - a file that ends before the features its header declares, or goes on after them, is
//!   an error naming the byte where it ended;
//! - attributes are decoded with every length checked against the feature's bytes.

use super::{resolve_crs, RawFeature, RawStream, ReadOptions};
use crate::crs::Crs;
use crate::model::Properties;
use crate::{Error, Result};
use flatgeobuf::{ColumnType, GeometryType};
use geo::{Coord, Geometry, LineString, MultiLineString, MultiPoint, MultiPolygon, Point, Polygon};
use serde_json::Value;
use std::fs::File;
use std::io::{BufReader, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

/// The largest header the format allows (as the reference implementation).
const HEADER_MAX: u64 = 10 << 20;
/// The size of one packed R-tree node (four f64 and a u64 offset).
const NODE_ITEM: u64 = 40;

/// A FlatGeobuf file read feature by feature.
pub(crate) struct FgbStream {
    path: PathBuf,
    reader: BufReader<File>,
    /// The file's length and the position of the next byte to read.
    len: u64,
    pos: u64,
    geometry_type: GeometryType,
    /// The features the header declares (0 = not declared).
    declared: u64,
    index: usize,
    /// Whether a feature's id is its row number (no id field was named: with one, the id
    /// comes from that field and a row-number id would be made only to be dropped).
    row_ids: bool,
    /// The header's columns, in order (a feature omits its null values, GDAL lists them),
    /// and whether each is decoded ([`super::Projection`]).
    columns: Vec<(String, ColumnType, bool)>,
    max_feature: u64,
    buf: Vec<u8>,
    /// Verifier limits: a feature may have many parts (tables).
    verify: flatbuffers::VerifierOptions,
}

fn fgb_error(path: &Path, what: impl std::fmt::Display) -> Error {
    Error::parse(
        path,
        None,
        format!("not a readable FlatGeobuf file: {what}"),
    )
}

/// The bytes of a packed Hilbert R-tree over `n` items with nodes of `node_size`, or `None`
/// when it overflows 64 bits.
fn index_bytes(n: u64, node_size: u16) -> Option<u64> {
    let node = u64::from(node_size);
    let (mut level, mut nodes) = (n, n);
    while level > 1 {
        level = level.div_ceil(node);
        nodes = nodes.checked_add(level)?;
    }
    if n == 1 {
        // A single item still has its root above it.
        nodes = nodes.checked_add(1)?;
    }
    nodes.checked_mul(NODE_ITEM)
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
        let len = file.metadata().map_err(|e| Error::io(path, e))?.len();
        let mut reader = BufReader::with_capacity(1 << 20, file);
        let mut magic = [0u8; 8];
        reader
            .read_exact(&mut magic)
            .map_err(|_| fgb_error(path, format!("{len} bytes: too short for the magic bytes")))?;
        if &magic[..3] != b"fgb" || &magic[4..7] != b"fgb" || magic[3] > 3 {
            return Err(fgb_error(path, "no FlatGeobuf magic bytes at the start"));
        }
        let mut size = [0u8; 4];
        reader
            .read_exact(&mut size)
            .map_err(|_| fgb_error(path, "the file ends before its header (byte 8)"))?;
        let header_size = u64::from(u32::from_le_bytes(size));
        if !(8..=HEADER_MAX).contains(&header_size) {
            return Err(fgb_error(
                path,
                format!(
                    "header size {header_size} bytes (at byte 8) is not between 8 and {HEADER_MAX}"
                ),
            ));
        }
        if 12 + header_size > len {
            return Err(fgb_error(
                path,
                format!("the file ends at byte {len}, inside its {header_size}-byte header"),
            ));
        }
        let mut header_buf = vec![0u8; header_size as usize + 4];
        header_buf[..4].copy_from_slice(&size);
        reader
            .read_exact(&mut header_buf[4..])
            .map_err(|e| Error::io(path, e))?;
        let header = flatgeobuf::size_prefixed_root_as_header(&header_buf)
            .map_err(|e| fgb_error(path, format!("corrupt header: {e}")))?;
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
        let columns: Vec<(String, ColumnType, bool)> = header
            .columns()
            .map(|cs| {
                cs.iter()
                    .map(|c| {
                        let keep = super::wanted(opts, c.name());
                        (c.name().to_owned(), c.type_(), keep)
                    })
                    .collect()
            })
            .unwrap_or_default();
        let declared = header.features_count();
        let node_size = header.index_node_size();
        let mut pos = 12 + header_size;
        if declared > 0 && node_size > 0 {
            if node_size < 2 {
                return Err(fgb_error(
                    path,
                    format!("index node size {node_size}: a spatial index needs nodes of 2 or more (0 for no index)"),
                ));
            }
            let index = index_bytes(declared, node_size).unwrap_or(u64::MAX);
            if index > len - pos {
                return Err(fgb_error(
                    path,
                    format!(
                        "the file ends at byte {len}, inside the spatial index that {declared} features need ({index} bytes from byte {pos}): truncated, or the header's feature count is wrong"
                    ),
                ));
            }
            reader
                .seek(SeekFrom::Start(pos + index))
                .map_err(|e| Error::io(path, e))?;
            pos += index;
        }
        // Every feature takes at least its 4-byte size and a 4-byte root offset.
        if declared > (len - pos) / 8 {
            return Err(fgb_error(
                path,
                format!(
                    "the header declares {declared} features, but the {} bytes after byte {pos} can hold at most {}: truncated, or the count is wrong",
                    len - pos,
                    (len - pos) / 8
                ),
            ));
        }
        let crs = resolve_crs(path, in_file, None, opts)?;
        Ok((
            crs,
            FgbStream {
                path: path.to_owned(),
                reader,
                len,
                pos,
                geometry_type,
                declared,
                index: 0,
                row_ids: opts.id_field.is_none(),
                columns,
                max_feature: opts.limits.feature_bytes(),
                buf: Vec::new(),
                verify: flatbuffers::VerifierOptions {
                    max_tables: 1 << 26,
                    ..Default::default()
                },
            },
        ))
    }

    /// The number of features the header declares.
    pub fn total(&self) -> Option<u64> {
        (self.declared > 0).then_some(self.declared)
    }

    /// Reads the next feature's bytes into `buf` (size prefix included); `false` at the end.
    fn next_record(&mut self) -> Result<bool> {
        let remaining = self.len - self.pos;
        let all_read = self.declared > 0 && self.index as u64 >= self.declared;
        if remaining == 0 || all_read {
            if self.declared > 0 && (self.index as u64) < self.declared {
                return Err(fgb_error(
                    &self.path,
                    format!(
                        "the file ends at byte {} after {} of the {} features its header declares: truncated?",
                        self.pos, self.index, self.declared
                    ),
                ));
            }
            if remaining > 0 {
                return Err(fgb_error(
                    &self.path,
                    format!(
                        "{remaining} bytes follow the {} features the header declares (from byte {}): the count is wrong or the file was appended to",
                        self.declared, self.pos
                    ),
                ));
            }
            return Ok(false);
        }
        let mut size = [0u8; 4];
        if remaining < 4 {
            return Err(fgb_error(
                &self.path,
                format!(
                    "the file ends at byte {} inside the size of feature #{}",
                    self.len, self.index
                ),
            ));
        }
        self.reader
            .read_exact(&mut size)
            .map_err(|e| Error::io(&self.path, e))?;
        let n = u64::from(u32::from_le_bytes(size));
        if n > remaining - 4 {
            return Err(fgb_error(
                &self.path,
                format!(
                    "feature #{} (at byte {}) declares {n} bytes, but the file ends {} bytes later: truncated or corrupt",
                    self.index,
                    self.pos,
                    remaining - 4
                ),
            ));
        }
        if n > self.max_feature {
            return Err(Error::parse(
                &self.path,
                None,
                format!(
                    "feature #{} (at byte {}) is {n} bytes, over the limit of {} MB for one feature ([limits] feature_mb in ironrule.toml)",
                    self.index,
                    self.pos,
                    self.max_feature >> 20
                ),
            ));
        }
        self.buf.clear();
        self.buf.extend_from_slice(&size);
        self.buf.resize(4 + n as usize, 0);
        self.reader
            .read_exact(&mut self.buf[4..])
            .map_err(|e| Error::io(&self.path, e))?;
        self.pos += 4 + n;
        Ok(true)
    }

    /// The feature in `buf` as a raw feature (rejected, with the reason, if it is corrupt).
    fn decode(&self) -> RawFeature {
        let mut properties: Properties = self
            .columns
            .iter()
            .filter(|c| c.2)
            .map(|(c, _, _)| (c.clone(), Value::Null))
            .collect();
        let geometry = flatgeobuf::size_prefixed_root_as_feature_with_opts(&self.verify, &self.buf)
            .map_err(|e| format!("corrupt feature: {e}"))
            .and_then(|f| {
                if let Some(p) = f.properties() {
                    decode_properties(p.bytes(), &self.columns, &mut properties)?;
                }
                match f.geometry() {
                    Some(g) => to_geo(&g, self.geometry_type),
                    None => Err("the feature has no geometry".to_owned()),
                }
            });
        RawFeature {
            index: self.index,
            id: self.row_ids.then(|| self.index.to_string()),
            properties,
            geometry,
            repaired: None,
        }
    }
}

impl RawStream for FgbStream {
    fn next_batch(&mut self, max: usize) -> Result<Option<Vec<RawFeature>>> {
        let mut out = Vec::with_capacity(max.clamp(1, 1 << 16));
        while out.len() < max.max(1) && self.next_record()? {
            out.push(self.decode());
            self.index += 1;
        }
        Ok((!out.is_empty()).then_some(out))
    }

    fn done(&self) -> u64 {
        self.index as u64
    }
}

/// Decodes a feature's attributes: a column index (u16) and its value, repeated; strings,
/// JSON and binary values carry a u32 length. Every length is checked against the bytes.
fn decode_properties(
    bytes: &[u8],
    columns: &[(String, ColumnType, bool)],
    out: &mut Properties,
) -> std::result::Result<(), String> {
    let mut at = 0usize;
    let take = |at: &mut usize, n: usize| -> std::result::Result<&[u8], String> {
        let end = at
            .checked_add(n)
            .filter(|e| *e <= bytes.len())
            .ok_or_else(|| {
                format!(
                    "corrupt attributes: a value at byte {} of {} runs past their end",
                    *at,
                    bytes.len()
                )
            })?;
        let s = &bytes[*at..end];
        *at = end;
        Ok(s)
    };
    // A trailing byte after the last value occurs in the wild (GDAL reads past it too).
    while at + 1 < bytes.len() {
        let i = u16::from_le_bytes(take(&mut at, 2)?.try_into().expect("2 bytes")) as usize;
        let (name, kind, keep) = columns.get(i).ok_or_else(|| {
            format!(
                "corrupt attributes: column {i} does not exist (the header has {})",
                columns.len()
            )
        })?;
        let fixed = |at: &mut usize, n: usize| take(at, n);
        if !keep {
            // Not read by any rule: its bytes are skipped (and still bounds-checked).
            let n = match *kind {
                ColumnType::Byte | ColumnType::UByte | ColumnType::Bool => 1,
                ColumnType::Short | ColumnType::UShort => 2,
                ColumnType::Int | ColumnType::UInt | ColumnType::Float => 4,
                ColumnType::Long | ColumnType::ULong | ColumnType::Double => 8,
                ColumnType::String
                | ColumnType::Json
                | ColumnType::DateTime
                | ColumnType::Binary => {
                    u32::from_le_bytes(fixed(&mut at, 4)?.try_into().expect("4")) as usize
                }
                other => {
                    return Err(format!(
                        "attribute '{name}' has an unknown type {}",
                        other.0
                    ))
                }
            };
            take(&mut at, n)?;
            continue;
        }
        let v = match *kind {
            ColumnType::Byte => Value::from(fixed(&mut at, 1)?[0] as i8),
            ColumnType::UByte => Value::from(fixed(&mut at, 1)?[0]),
            ColumnType::Bool => Value::Bool(fixed(&mut at, 1)?[0] != 0),
            ColumnType::Short => Value::from(i16::from_le_bytes(
                fixed(&mut at, 2)?.try_into().expect("2"),
            )),
            ColumnType::UShort => Value::from(u16::from_le_bytes(
                fixed(&mut at, 2)?.try_into().expect("2"),
            )),
            ColumnType::Int => Value::from(i32::from_le_bytes(
                fixed(&mut at, 4)?.try_into().expect("4"),
            )),
            ColumnType::UInt => Value::from(u32::from_le_bytes(
                fixed(&mut at, 4)?.try_into().expect("4"),
            )),
            ColumnType::Long => Value::from(i64::from_le_bytes(
                fixed(&mut at, 8)?.try_into().expect("8"),
            )),
            ColumnType::ULong => Value::from(u64::from_le_bytes(
                fixed(&mut at, 8)?.try_into().expect("8"),
            )),
            ColumnType::Float => number(f64::from(f32::from_le_bytes(
                fixed(&mut at, 4)?.try_into().expect("4"),
            ))),
            ColumnType::Double => number(f64::from_le_bytes(
                fixed(&mut at, 8)?.try_into().expect("8"),
            )),
            ColumnType::String | ColumnType::Json | ColumnType::DateTime | ColumnType::Binary => {
                let n = u32::from_le_bytes(fixed(&mut at, 4)?.try_into().expect("4")) as usize;
                let raw = take(&mut at, n)?;
                if *kind == ColumnType::Binary {
                    Value::Null
                } else {
                    let s = std::str::from_utf8(raw)
                        .map_err(|_| format!("attribute '{name}' is not UTF-8 text"))?;
                    match *kind {
                        ColumnType::Json => {
                            serde_json::from_str(s).unwrap_or_else(|_| Value::String(s.to_owned()))
                        }
                        _ => Value::String(s.to_owned()),
                    }
                }
            }
            other => {
                return Err(format!(
                    "attribute '{name}' has an unknown type {}",
                    other.0
                ))
            }
        };
        // The decoder lists the kept columns up front (null): fill the slot in place rather
        // than insert a copy of its name, which the map would drop.
        match out.get_mut(name.as_str()) {
            Some(slot) => *slot = v,
            None => {
                out.insert(name.clone(), v);
            }
        }
    }
    Ok(())
}

fn number(v: f64) -> Value {
    serde_json::Number::from_f64(v).map_or(Value::Null, Value::Number)
}

fn coords(g: &flatgeobuf::Geometry<'_>) -> std::result::Result<Vec<Coord<f64>>, String> {
    // The xy vector's little-endian bytes, read straight into coordinates: one allocation.
    let xy = g.xy().map(|v| v.bytes()).unwrap_or_default();
    if !xy.len().is_multiple_of(16) {
        return Err("odd number of xy values".into());
    }
    let f = |b: &[u8]| f64::from_le_bytes(b.try_into().expect("8 bytes"));
    let cs: Vec<Coord<f64>> = xy
        .chunks_exact(16)
        .map(|c| Coord {
            x: f(&c[..8]),
            y: f(&c[8..]),
        })
        .collect();
    if let Some(c) = cs.iter().find(|c| !c.x.is_finite() || !c.y.is_finite()) {
        return Err(format!("non-finite coordinate ({}, {})", c.x, c.y));
    }
    Ok(cs)
}

/// Splits coordinates at the `ends` offsets (rings of a polygon, lines of a multi-line).
/// The offsets must rise and end at the last position: positions no ring takes, or a ring
/// that runs past them, are a corrupt feature, not a shorter ring.
fn runs(g: &flatgeobuf::Geometry<'_>) -> std::result::Result<Vec<LineString<f64>>, String> {
    let cs = coords(g)?;
    let ends: Vec<usize> = match g.ends() {
        Some(e) if !e.is_empty() => e.iter().map(|x| x as usize).collect(),
        _ => vec![cs.len()],
    };
    if ends.last() != Some(&cs.len()) || ends.windows(2).any(|w| w[1] < w[0]) {
        return Err(format!(
            "ring offsets (ending at {}) do not divide the feature's {} positions",
            ends.last().copied().unwrap_or_default(),
            cs.len()
        ));
    }
    if ends.len() == 1 {
        // One run (a parcel's ring): the coordinates moved, not copied.
        return Ok(vec![LineString(cs)]);
    }
    let mut start = 0;
    Ok(ends
        .iter()
        .map(|&end| {
            let run = LineString(cs[start..end].to_vec());
            start = end;
            run
        })
        .collect())
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
