//! Esri Shapefile, natively (no GDAL): `.shp` geometry, `.dbf` attributes, `.prj` CRS (WKT,
//! identified by [`crate::crs::wkt`]), `.cpg` encoding. Attributes are typed as GDAL types
//! them, so both paths give the same features: numeric fields without decimals (up to 18
//! digits) are integers, others reals; logicals are booleans; dates are `YYYY-MM-DD`.
//!
//! The encoding of the `.dbf` comes from `--encoding`, else the `.cpg` file (`GBK`, `936`,
//! `GB18030`, `UTF-8`, `BIG5`, `1252`...), else the dBase language-driver byte (0x4D: GBK),
//! else UTF-8 (with a warning when a name does not decode). A feature's id is its record
//! number, as GDAL numbers them. A field name is at most 10 bytes, so a writer cuts a UTF-8
//! Chinese name mid-character (`项目名称` becomes `项目名` and a stray byte): the stray
//! byte is dropped, and the dictionaries list the three-character names as aliases.

use super::{resolve_crs, RawFeature, ReadOptions, Whole};
use crate::crs::Crs;
use crate::model::{Diagnostic, Properties};
use crate::{Error, Result};
use geo::{Coord, Geometry, LineString, MultiLineString, MultiPoint, MultiPolygon, Point, Polygon};
use serde_json::Value;
use shapefile::dbase::{self, FieldType, FieldValue};
use shapefile::Shape;
use std::io::Read;
use std::path::{Path, PathBuf};

/// A sidecar file (`.dbf`, `.prj`, `.cpg`), in either letter case.
fn sidecar(path: &Path, ext: &str) -> Option<PathBuf> {
    [ext.to_owned(), ext.to_ascii_uppercase()]
        .into_iter()
        .map(|e| path.with_extension(e))
        .find(|p| p.is_file())
}

/// An encoding by the names `.cpg` files and users give it.
pub fn encoding_named(label: &str) -> Option<&'static encoding_rs::Encoding> {
    let l = label
        .trim()
        .trim_start_matches('\u{feff}')
        .to_ascii_uppercase()
        .replace(['-', '_', ' '], "");
    Some(match l.as_str() {
        "UTF8" | "65001" => encoding_rs::UTF_8,
        "GBK" | "936" | "CP936" | "GB2312" | "EUCCN" => encoding_rs::GBK,
        "GB18030" | "54936" => encoding_rs::GB18030,
        "BIG5" | "950" | "CP950" => encoding_rs::BIG5,
        "SHIFTJIS" | "SJIS" | "932" | "CP932" => encoding_rs::SHIFT_JIS,
        "EUCKR" | "949" | "CP949" => encoding_rs::EUC_KR,
        "LATIN1" | "ISO88591" | "88591" | "1252" | "CP1252" | "WINDOWS1252" => {
            encoding_rs::WINDOWS_1252
        }
        _ => encoding_rs::Encoding::for_label(label.trim().as_bytes())?,
    })
}

/// Field name, type, width and decimals from the `.dbf` header (dbase does not expose the
/// decimals, which decide integer or real as GDAL sees it), and the language-driver byte.
/// Also the header's last-update date (year since 1900, month, day).
#[allow(clippy::type_complexity)]
fn dbf_layout(dbf: &Path) -> Result<(Vec<(usize, u8)>, u8, [u8; 3])> {
    let mut head = Vec::new();
    std::fs::File::open(dbf)
        .and_then(|f| f.take(65_536).read_to_end(&mut head))
        .map_err(|e| Error::io(dbf, e))?;
    if head.len() < 32 {
        return Err(Error::parse(
            dbf,
            None,
            "not a dBase file: shorter than its header",
        ));
    }
    let ldid = head[29];
    let mut fields = Vec::new();
    let mut at = 32;
    while at + 32 <= head.len() && head[at] != 0x0d {
        fields.push((head[at + 16] as usize, head[at + 17]));
        at += 32;
    }
    Ok((fields, ldid, [head[1], head[2], head[3]]))
}

/// A `.dbf` read with an impossible last-update date in its header (`00 00 00`, as some
/// writers leave it) read as 1 January 1900 instead: the date is bookkeeping, never data,
/// and GDAL reads such files. Every other byte passes unchanged.
struct FixedDate<R> {
    inner: R,
    pos: u64,
    patch: Option<[u8; 3]>,
}

impl<R> FixedDate<R> {
    fn new(inner: R, date: [u8; 3]) -> Self {
        let valid = (1..=12).contains(&date[1]) && (1..=31).contains(&date[2]);
        FixedDate {
            inner,
            pos: 0,
            patch: (!valid).then_some([0, 1, 1]),
        }
    }
}

impl<R: Read> Read for FixedDate<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        if let Some(p) = self.patch {
            for (i, b) in buf[..n].iter_mut().enumerate() {
                let at = self.pos + i as u64;
                if (1..4).contains(&at) {
                    *b = p[at as usize - 1];
                }
            }
        }
        self.pos += n as u64;
        Ok(n)
    }
}

impl<R: std::io::Seek> std::io::Seek for FixedDate<R> {
    fn seek(&mut self, to: std::io::SeekFrom) -> std::io::Result<u64> {
        self.pos = self.inner.seek(to)?;
        Ok(self.pos)
    }
}

fn value(v: FieldValue, width: usize, decimals: u8) -> Value {
    let num = |x: f64| serde_json::Number::from_f64(x).map_or(Value::Null, Value::Number);
    match v {
        FieldValue::Character(s) => s.map_or(Value::Null, Value::String),
        FieldValue::Numeric(Some(x)) if decimals == 0 && width <= 18 && x.fract() == 0.0 => {
            Value::from(x as i64)
        }
        FieldValue::Numeric(x) => x.map_or(Value::Null, num),
        FieldValue::Float(x) => x.map_or(Value::Null, |x| num(f64::from(x))),
        FieldValue::Logical(b) => b.map_or(Value::Null, Value::Bool),
        FieldValue::Date(d) => d.map_or(Value::Null, |d| {
            Value::String(format!("{:04}-{:02}-{:02}", d.year(), d.month(), d.day()))
        }),
        FieldValue::Integer(i) => Value::from(i),
        FieldValue::Currency(x) | FieldValue::Double(x) => num(x),
        FieldValue::DateTime(_) => Value::Null,
        FieldValue::Memo(s) => Value::String(s),
    }
}

/// A record read field by field: a value that does not parse (a zero date `00000000`, a
/// number that is not one) reads as `None` — null, as GDAL reads it — instead of failing the
/// whole record; only I/O errors fail it.
struct Lenient(Vec<Option<FieldValue>>);

impl dbase::ReadableRecord for Lenient {
    fn read_using<S, M>(
        it: &mut dbase::FieldIterator<S, M>,
    ) -> std::result::Result<Self, dbase::FieldError>
    where
        S: std::io::Read + std::io::Seek,
        M: std::io::Read + std::io::Seek,
    {
        let mut values = Vec::new();
        loop {
            match it.read_next_field() {
                Ok(v) => values.push(Some(v.value)),
                Err(e) => match e.kind() {
                    dbase::ErrorKind::EndOfRecord => break,
                    dbase::ErrorKind::IoError(_) => return Err(e),
                    // GDAL writes an empty date as 00000000 and reads it back as null.
                    dbase::ErrorKind::InvalidDate(_) => values.push(Some(FieldValue::Date(None))),
                    _ => values.push(None),
                },
            }
        }
        Ok(Lenient(values))
    }
}

fn points<P: Copy>(ps: &[P], xy: impl Fn(P) -> (f64, f64)) -> Vec<Coord<f64>> {
    ps.iter()
        .map(|p| {
            let (x, y) = xy(*p);
            Coord { x, y }
        })
        .collect()
}

fn finite(cs: &[Coord<f64>]) -> std::result::Result<(), String> {
    match cs.iter().find(|c| !(c.x.is_finite() && c.y.is_finite())) {
        Some(c) => Err(format!("non-finite coordinate ({}, {})", c.x, c.y)),
        None => Ok(()),
    }
}

/// Rings of a shapefile polygon into polygons: outer rings (clockwise) start a polygon, and
/// each hole goes to the first polygon whose outer ring holds it (GDAL's rule).
fn polygons(rings: Vec<(bool, Vec<Coord<f64>>)>) -> std::result::Result<Geometry<f64>, String> {
    use geo::Contains;
    let mut outers: Vec<Polygon<f64>> = Vec::new();
    let mut holes = Vec::new();
    for (outer, cs) in rings {
        finite(&cs)?;
        if cs.len() < 4 {
            return Err(format!(
                "a ring needs at least 4 positions, got {}",
                cs.len()
            ));
        }
        if cs.first() != cs.last() {
            return Err("ring is not closed (first and last positions differ)".into());
        }
        if outer {
            outers.push(Polygon::new(LineString(cs), vec![]));
        } else {
            holes.push(LineString(cs));
        }
    }
    for h in holes {
        let probe = h.0[0];
        match outers
            .iter_mut()
            .find(|p| p.contains(&probe) || p.exterior().0.contains(&probe))
        {
            Some(p) => p.interiors_push(h),
            // A hole in no outer ring: GDAL makes it a polygon of its own.
            None => outers.push(Polygon::new(h, vec![])),
        }
    }
    match outers.len() {
        0 => Err("empty Polygon".into()),
        1 => Ok(Geometry::Polygon(outers.remove(0))),
        _ => Ok(Geometry::MultiPolygon(MultiPolygon(outers))),
    }
}

fn lines(parts: Vec<Vec<Coord<f64>>>) -> std::result::Result<Geometry<f64>, String> {
    let mut ls = Vec::with_capacity(parts.len());
    for cs in parts {
        finite(&cs)?;
        if cs.len() < 2 {
            return Err(format!(
                "a LineString needs at least 2 positions, got {}",
                cs.len()
            ));
        }
        ls.push(LineString(cs));
    }
    match ls.len() {
        0 => Err("empty MultiLineString".into()),
        1 => Ok(Geometry::LineString(ls.remove(0))),
        _ => Ok(Geometry::MultiLineString(MultiLineString(ls))),
    }
}

fn to_geo(shape: Shape) -> std::result::Result<Geometry<f64>, String> {
    use shapefile::record::PolygonRing;
    macro_rules! rings {
        ($p:expr) => {
            polygons(
                $p.into_inner()
                    .into_iter()
                    .map(|r| match r {
                        PolygonRing::Outer(v) => (true, points(&v, |p| (p.x, p.y))),
                        PolygonRing::Inner(v) => (false, points(&v, |p| (p.x, p.y))),
                    })
                    .collect(),
            )
        };
    }
    macro_rules! parts {
        ($l:expr) => {
            lines(
                $l.into_inner()
                    .into_iter()
                    .map(|part| points(&part, |p| (p.x, p.y)))
                    .collect(),
            )
        };
    }
    macro_rules! multipoint {
        ($m:expr) => {{
            let cs = points($m.points(), |p| (p.x, p.y));
            finite(&cs)?;
            match cs.len() {
                0 => Err("empty MultiPoint".into()),
                1 => Ok(Geometry::Point(Point(cs[0]))),
                _ => Ok(Geometry::MultiPoint(MultiPoint(
                    cs.into_iter().map(Point).collect(),
                ))),
            }
        }};
    }
    let point = |x: f64, y: f64| {
        let c = Coord { x, y };
        finite(&[c]).map(|()| Geometry::Point(Point(c)))
    };
    match shape {
        Shape::NullShape => Err("the feature has no geometry".into()),
        Shape::Point(p) => point(p.x, p.y),
        Shape::PointM(p) => point(p.x, p.y),
        Shape::PointZ(p) => point(p.x, p.y),
        Shape::Polyline(l) => parts!(l),
        Shape::PolylineM(l) => parts!(l),
        Shape::PolylineZ(l) => parts!(l),
        Shape::Polygon(p) => rings!(p),
        Shape::PolygonM(p) => rings!(p),
        Shape::PolygonZ(p) => rings!(p),
        Shape::Multipoint(m) => multipoint!(m),
        Shape::MultipointM(m) => multipoint!(m),
        Shape::MultipointZ(m) => multipoint!(m),
        Shape::Multipatch(_) => Err("Multipatch (3-D surfaces) is not supported".into()),
    }
}

/// Reads a Shapefile whole.
pub(crate) fn read(path: &Path, opts: ReadOptions<'_>) -> Result<Whole> {
    if let Some(layer) = opts.layer {
        return Err(Error::parse(
            path,
            None,
            format!("a Shapefile has one layer; --layer {layer} applies to multi-layer sources"),
        ));
    }
    let in_file = match sidecar(path, "prj") {
        Some(prj) => {
            let text = std::fs::read_to_string(&prj).map_err(|e| Error::io(&prj, e))?;
            Some(Crs::parse(&text).map_err(|e| Error::parse(&prj, None, e.to_string()))?)
        }
        None => None,
    };
    let crs = resolve_crs(path, in_file, None, &opts)?;
    let dbf = sidecar(path, "dbf").ok_or_else(|| {
        Error::parse(
            path,
            None,
            "the .dbf file (the attributes) is missing next to the .shp",
        )
    })?;
    let (layout, ldid, header_date) = dbf_layout(&dbf)?;
    let mut warnings = Vec::new();
    let encoding = match (opts.encoding, sidecar(path, "cpg")) {
        (Some(label), _) => encoding_named(label).ok_or_else(|| {
            Error::Usage(format!(
                "--encoding {label}: not an encoding name (try GBK, GB18030, UTF-8)"
            ))
        })?,
        (None, Some(cpg)) => {
            let mut label = String::new();
            std::fs::File::open(&cpg)
                .and_then(|f| f.take(256).read_to_string(&mut label))
                .map_err(|e| Error::io(&cpg, e))?;
            let enc = encoding_named(&label).ok_or_else(|| {
                Error::parse(
                    &cpg,
                    None,
                    format!("unknown encoding '{}'; pass --encoding", label.trim()),
                )
            })?;
            // dBase text is ASCII-compatible: field terminators, padding and numbers are
            // ASCII bytes. UTF-16 or UTF-32 cannot be right, and reading with it garbles
            // every value.
            if !enc.is_ascii_compatible() {
                return Err(Error::parse(
                    &cpg,
                    None,
                    format!(
                        "names {}, which a dBase file cannot be written in (its text is ASCII-compatible: GBK, GB18030, UTF-8...); correct the .cpg or pass --encoding",
                        enc.name()
                    ),
                ));
            }
            enc
        }
        (None, None) if ldid == 0x4d || ldid == 0x7a => encoding_rs::GBK,
        (None, None) => {
            warnings.push(
                "no .cpg file: attributes read as UTF-8 (pass --encoding GBK for GBK text)"
                    .to_owned(),
            );
            encoding_rs::UTF_8
        }
    };
    let shp_error =
        |e: shapefile::Error| Error::parse(path, None, format!("not a readable Shapefile: {e}"));
    let mut shapes = shapefile::ShapeReader::from_path(path).map_err(shp_error)?;
    let file = std::fs::File::open(&dbf).map_err(|e| Error::io(&dbf, e))?;
    let mut records = dbase::ReaderBuilder::new()
        .with_encoding(dbase::encoding::EncodingRs::from(encoding))
        .build(std::io::BufReader::new(FixedDate::new(file, header_date)))
        .map_err(|e| Error::parse(&dbf, None, format!("not a readable dBase file: {e}")))?;
    let fields: Vec<(String, FieldType, usize, u8)> = records
        .fields()
        .iter()
        .zip(layout.iter().chain(std::iter::repeat(&(0, 0))))
        .map(|(f, (w, d))| {
            // A name cut mid-character by the 10-byte limit ends in an undecodable byte.
            let name = f.name().trim_end_matches(['\u{FFFD}', '\0']);
            (name.to_owned(), f.field_type(), *w, *d)
        })
        .collect();
    let mut raws = Vec::new();
    let mut diagnostics = Vec::new();
    let mut shape_iter = shapes.iter_shapes();
    let mut record_iter = records.iter_records_as::<Lenient>();
    // Values that do not parse, by field: (count, first record).
    let mut unparsed: std::collections::BTreeMap<String, (usize, usize)> = Default::default();
    let mut index = 0;
    loop {
        let (shape, record) = match (shape_iter.next(), record_iter.next()) {
            (None, None) => break,
            (Some(s), Some(r)) => (s, r),
            (s, _) => {
                diagnostics.push(Diagnostic::error(
                    super::shown(path).into_owned(),
                    format!(
                        "the .shp and the .dbf hold different numbers of records (the {} ends at record {index}); the rest is not read",
                        if s.is_some() { ".dbf" } else { ".shp" }
                    ),
                ));
                break;
            }
        };
        let mut properties = Properties::new();
        let geometry = match record {
            Ok(Lenient(values)) => {
                let mut values = values.into_iter();
                for (name, _, width, decimals) in &fields {
                    let read = values.next().flatten();
                    // Only the fields the rules read are kept ([`super::Projection`]).
                    if !super::wanted(&opts, name) {
                        continue;
                    }
                    let v = match read {
                        Some(v) => value(v, *width, *decimals),
                        None => {
                            unparsed.entry(name.clone()).or_insert((0, index)).0 += 1;
                            Value::Null
                        }
                    };
                    properties.insert(name.clone(), v);
                }
                shape
                    .map_err(|e| format!("unreadable shape: {e}"))
                    .and_then(to_geo)
            }
            Err(e) => Err(format!("unreadable attributes: {e}")),
        };
        raws.push(RawFeature {
            index,
            id: Some(index.to_string()),
            properties,
            geometry,
            repaired: None,
        });
        index += 1;
    }
    for (field, (n, first)) in &unparsed {
        let (values, verb) = (
            crate::model::count(*n, "value", "values"),
            crate::model::noun(*n, "does", "do"),
        );
        warnings.push(format!(
            "{values} of field '{field}' {verb} not parse as its dBase type (first: record {first}) and read as missing: rules that need '{field}' report those features as undetermined"
        ));
    }
    for w in warnings {
        diagnostics.push(Diagnostic::warning(super::shown(path).into_owned(), w));
    }
    Ok(Whole {
        crs,
        raws,
        diagnostics,
    })
}
