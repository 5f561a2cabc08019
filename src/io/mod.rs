//! Feature readers. A source's format is told once ([`Format::of`]) and the source is opened
//! into a stream of raw feature batches ([`stream::open`]); every batch is validated and
//! transformed into the working CRS in parallel and settled in order in one place. [`read`]
//! is that stream collected into a [`Source`]: the features that passed, plus a diagnostic
//! for each one that did not, so that `read = accepted + rejected` always holds. Readers
//! decode only the attributes a [`Projection`] keeps.

/// Atomic file output (temporary file + rename).
pub mod atomic;
/// The native FlatGeobuf reader.
pub mod fgb;
/// GDAL/OGR reader for every other vector format (`gdal` feature).
#[cfg(feature = "gdal")]
pub mod gdal;
/// The native GeoJSON reader.
pub mod geojson;
/// The native GeoPackage reader.
pub mod gpkg;
/// The native GeoParquet reader.
pub mod parquet;
/// The native Shapefile reader.
pub mod shp;
/// Every source as a stream of batches: `audit` reads it batch by batch, [`read`] collects it.
pub mod stream;
/// Thrift compact-protocol checks for Parquet's footer and page headers.
pub(crate) mod thrift;
/// Well-known binary geometry.
pub mod wkb;

use crate::crs::{Crs, Transformer};
use crate::geom::validate;
use crate::model::{Diagnostic, Feature, FeatureRef, Properties};
use crate::{Error, Result};
use geo::Geometry;
use std::path::Path;

/// What a reader needs to know besides the path.
#[derive(Clone, Copy, Debug)]
pub struct ReadOptions<'a> {
    /// The attribute that holds a feature's id; else the format's feature id.
    pub id_field: Option<&'a str>,
    /// The CRS the data is in, from the project layer or `--assume-crs`: overrides a format's
    /// default (RFC 7946 GeoJSON is WGS 84) but must agree with a CRS the file declares.
    pub declared_crs: Option<&'a Crs>,
    /// The working CRS features are transformed into.
    pub target: &'a Crs,
    /// For a multi-layer source (GeoPackage, DXF...), the layer to read.
    pub layer: Option<&'a str>,
    /// Repair invalid polygons (and close unclosed rings) instead of rejecting them; each
    /// repair is a warning.
    pub repair: bool,
    /// The text encoding of a Shapefile's attributes (`GBK`, `GB18030`, `UTF-8`...), over
    /// its `.cpg`.
    pub encoding: Option<&'a str>,
    /// The datums the project accepts (`datums` in the project file, names as
    /// [`crate::crs::definition::datum_name`] gives them): a source on another datum, or
    /// on one that cannot be told, is refused.
    pub datums: Option<&'a [String]>,
    /// Sizes past which input is refused rather than read.
    pub limits: Limits,
    /// The attributes to decode (projection pushdown); `None`: all of them.
    pub attributes: Option<&'a Projection>,
}

/// Which attributes of a source are decoded: those the rules, the attribute dictionary, the
/// id field and the feature's label read. The others are skipped by the readers (FlatGeobuf
/// skips their bytes, GeoParquet does not read their columns, GeoJSON does not build their
/// values), so a cadastre with forty columns costs what its three useful ones cost.
#[derive(Clone)]
pub struct Projection {
    keep: std::sync::Arc<dyn Fn(&str) -> bool + Send + Sync>,
}

impl Projection {
    /// The attributes `keep` accepts by name.
    pub fn new(keep: impl Fn(&str) -> bool + Send + Sync + 'static) -> Projection {
        Projection {
            keep: std::sync::Arc::new(keep),
        }
    }

    /// Whether an attribute of this name is decoded.
    pub fn keeps(&self, name: &str) -> bool {
        (self.keep)(name)
    }
}

impl std::fmt::Debug for Projection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Projection")
    }
}

/// Whether a reader decodes the attribute `name` under these options.
pub(crate) fn wanted(opts: &ReadOptions<'_>, name: &str) -> bool {
    opts.id_field == Some(name) || opts.attributes.is_none_or(|p| p.keeps(name))
}

/// [`wanted`] owned, for a stream that decides per feature (GeoJSON).
#[derive(Clone, Debug, Default)]
pub(crate) struct Keep {
    projection: Option<Projection>,
    id_field: Option<String>,
}

impl Keep {
    pub fn of(opts: &ReadOptions<'_>) -> Keep {
        Keep {
            projection: opts.attributes.cloned(),
            id_field: opts.id_field.map(str::to_owned),
        }
    }

    /// Keeps the wanted attributes of `properties` (all of them without a projection).
    pub fn apply(&self, properties: &mut Properties) {
        if let Some(p) = &self.projection {
            properties.retain(|k, _| self.id_field.as_deref() == Some(k) || p.keeps(k));
        }
    }
}

/// Sizes past which input is refused (exit 2, naming the limit) rather than read: a file
/// that claims more than any real planning file holds gets an error, not an out-of-memory
/// abort. Set in `ironrule.toml`'s `[limits]` table.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Deserialize, schemars::JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct Limits {
    /// The largest single feature, in MB of its encoding: a GeoJSON feature's text, a line
    /// of a GeoJSON sequence, a FlatGeobuf record, a GeoParquet row. Default 256.
    pub feature_mb: u64,
    /// The most features `check` reads into memory from one source; `audit` streams any
    /// number. Default 1,000,000.
    pub check_features: u64,
    /// The memory `check` may use for one source's features, in MB (estimated from their
    /// vertices and attribute text). Default 2,048.
    pub check_memory_mb: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            feature_mb: 256,
            check_features: 1_000_000,
            check_memory_mb: 2048,
        }
    }
}

impl Limits {
    /// [`Limits::feature_mb`] in bytes.
    pub fn feature_bytes(&self) -> u64 {
        self.feature_mb.saturating_mul(1 << 20)
    }
}

impl<'a> ReadOptions<'a> {
    /// Options that read into `target` with every other choice left at its default: the
    /// format's ids and CRS, the only layer, no repair.
    pub fn new(target: &'a Crs) -> Self {
        ReadOptions {
            id_field: None,
            declared_crs: None,
            target,
            layer: None,
            repair: false,
            encoding: None,
            datums: None,
            limits: Limits::default(),
            attributes: None,
        }
    }
}

/// The features read from one source.
#[derive(Debug)]
pub struct Source {
    /// The source as the user named it.
    pub name: String,
    /// The CRS the source is in.
    pub crs: Crs,
    /// How many features the source holds.
    pub read: usize,
    /// Those that were accepted, in source order, geometry in the working CRS.
    pub features: Vec<Feature>,
    /// One error per rejected feature, and warnings.
    pub diagnostics: Vec<Diagnostic>,
}

impl Source {
    /// Number of features rejected.
    pub fn rejected(&self) -> usize {
        self.read - self.features.len()
    }
}

/// The formats ironrule reads, told by a source's extension (once, here).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// `.geojson`, `.json`: a FeatureCollection (streamed), a Feature or a geometry.
    GeoJson,
    /// `.geojsons`, `.geojsonl`, `.geojsonseq`, `.ndjson`: one feature per line (RFC 8142).
    GeoJsonSeq,
    /// `.fgb`.
    FlatGeobuf,
    /// `.parquet`, `.geoparquet`.
    GeoParquet,
    /// `.shp` with its `.dbf` (and `.prj`, `.cpg`).
    Shapefile,
    /// `.gpkg`.
    GeoPackage,
    /// Anything else, and `PG:` connections, through GDAL/OGR.
    #[cfg(feature = "gdal")]
    Ogr,
}

impl Format {
    /// The format of a source, or why this build cannot read it.
    pub fn of(path: &Path) -> Result<Format> {
        let ext = path
            .extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase)
            .unwrap_or_default();
        #[cfg(feature = "gdal")]
        if is_connection(path) {
            return Ok(Format::Ogr);
        }
        #[cfg(not(feature = "gdal"))]
        if is_connection(path) {
            return Err(Error::Usage(format!(
                "{}: database connections are read through GDAL; build with `--no-default-features --features gdal` to read `PG:` sources",
                shown(path)
            )));
        }
        Ok(match ext.as_str() {
            "geojson" | "json" => Format::GeoJson,
            "geojsons" | "geojsonl" | "geojsonseq" | "ndjson" => Format::GeoJsonSeq,
            "fgb" => Format::FlatGeobuf,
            "parquet" | "geoparquet" => Format::GeoParquet,
            "shp" => Format::Shapefile,
            "gpkg" => Format::GeoPackage,
            #[cfg(feature = "gdal")]
            _ => Format::Ogr,
            #[cfg(not(feature = "gdal"))]
            "" => return Err(Error::Usage(format!(
                "{}: the file name has no extension, and ironrule tells a format by it (.geojson, .geojsonl, .fgb, .parquet, .shp, .gpkg)",
                path.display()
            ))),
            #[cfg(not(feature = "gdal"))]
            _ => return Err(Error::Usage(format!(
                "{}: cannot read '.{ext}' files in this build; the default build reads GeoJSON (.geojson, .json), GeoJSON sequences (.geojsons, .geojsonl, .ndjson), FlatGeobuf (.fgb), GeoParquet (.parquet), Shapefile (.shp) and GeoPackage (.gpkg). Build with `--no-default-features --features gdal` to read FileGDB, KML, DXF, GML, CSV, PG: and every other OGR format",
                path.display()
            ))),
        })
    }
}

/// Reads any supported source whole: the source's stream ([`stream::open`]) collected, so
/// that `check` sees the same features, diagnostics and counts as `audit`, held in memory
/// within [`Limits`].
pub fn read(path: &Path, opts: ReadOptions<'_>) -> Result<Source> {
    let c = read_with(
        path,
        opts,
        |f| f,
        |f| memory_estimate(&f.properties, Some(&f.geometry)),
    )?;
    Ok(c.into())
}

impl From<Collected<Feature>> for Source {
    fn from(c: Collected<Feature>) -> Source {
        Source {
            name: c.name,
            crs: c.crs,
            read: c.read,
            features: c.items,
            diagnostics: c.diagnostics,
        }
    }
}

/// A whole source read, with `each` run on every accepted feature in the reading's parallel
/// pass; `bytes` estimates what a result holds in memory (for [`Limits::check_memory_mb`]).
pub fn read_with<T: Send>(
    path: &Path,
    opts: ReadOptions<'_>,
    each: impl Fn(Feature) -> T + Sync + Send,
    bytes: impl Fn(&T) -> u64,
) -> Result<Collected<T>> {
    openable(path)?;
    guarded(path, || stream::collect(path, opts, &each, &bytes))
}

/// A whole source read through [`read_with`]: a result per accepted feature, in source order.
#[derive(Debug)]
pub struct Collected<T> {
    /// The source as the user named it.
    pub name: String,
    /// The CRS the source is in.
    pub crs: Crs,
    /// How many features the source holds (accepted + rejected).
    pub read: usize,
    /// One result per accepted feature.
    pub items: Vec<T>,
    /// One error per rejected feature, and warnings.
    pub diagnostics: Vec<Diagnostic>,
}

impl<T> Collected<T> {
    /// Number of features rejected.
    pub fn rejected(&self) -> usize {
        self.read - self.items.len()
    }
}

/// A source's raw features in batches, in source order: every reader is one (a reader that
/// reads its file whole hands out what it read, see [`Whole`]). Callers that hold features in
/// memory (the Python package's GeoDataFrames and Arrow batches) implement it too and open it
/// with [`stream::from_stream`], so their features go through the same pipeline.
pub trait RawStream: Send + 'static {
    /// The next batch of at most about `max` features; `None` at the end.
    fn next_batch(&mut self, max: usize) -> Result<Option<Vec<RawFeature>>>;
    /// Progress so far, in features or bytes (see [`stream::Unit`]).
    fn done(&self) -> u64;
}

/// What a reader that reads its file whole found (Shapefile, GeoPackage, GDAL, a GeoJSON
/// Feature): raw features, still to be validated and transformed like any stream's, and what
/// it has to say about the source as a whole.
pub(crate) struct Whole {
    pub crs: Crs,
    pub raws: Vec<RawFeature>,
    pub diagnostics: Vec<Diagnostic>,
}

/// A whole read handed out in batches.
pub(crate) struct WholeStream {
    raws: std::vec::IntoIter<RawFeature>,
    done: u64,
}

impl WholeStream {
    pub fn new(raws: Vec<RawFeature>) -> WholeStream {
        WholeStream {
            raws: raws.into_iter(),
            done: 0,
        }
    }
}

impl RawStream for WholeStream {
    fn next_batch(&mut self, max: usize) -> Result<Option<Vec<RawFeature>>> {
        let batch: Vec<RawFeature> = self.raws.by_ref().take(max.max(1)).collect();
        self.done += batch.len() as u64;
        Ok((!batch.is_empty()).then_some(batch))
    }

    fn done(&self) -> u64 {
        self.done
    }
}

/// About the bytes a feature holds in memory (its coordinates and its attribute text), for
/// [`Limits::check_memory_mb`]: one estimate for every reader that holds a source whole.
pub fn memory_estimate(properties: &Properties, geometry: Option<&Geometry<f64>>) -> u64 {
    use geo::CoordsIter;
    let coords = geometry.map_or(0, |g| g.coords_count() as u64 * 16);
    let attrs: u64 = properties
        .iter()
        .map(|(k, v)| {
            80 + k.len() as u64
                + match v {
                    serde_json::Value::String(s) => s.len() as u64,
                    serde_json::Value::Array(_) | serde_json::Value::Object(_) => {
                        v.to_string().len() as u64 * 2
                    }
                    _ => 0,
                }
        })
        .sum();
    256 + coords + attrs
}

/// Refuses a path that is not a file or a folder (a FIFO, a device, a socket) before any
/// reader opens it: a FIFO would block and `/dev/zero` would never end. Connections and
/// paths that do not exist are left to the readers (which name what is wrong).
pub(crate) fn openable(path: &Path) -> Result<()> {
    use std::os::unix::fs::FileTypeExt;
    if is_connection(path) {
        return Ok(());
    }
    let Ok(meta) = std::fs::metadata(path) else {
        return Ok(());
    };
    let t = meta.file_type();
    let what = if t.is_file() || t.is_dir() {
        return Ok(());
    } else if t.is_fifo() {
        "a FIFO (named pipe)"
    } else if t.is_char_device() {
        "a character device"
    } else if t.is_block_device() {
        "a block device"
    } else if t.is_socket() {
        "a socket"
    } else {
        "not a regular file"
    };
    Err(Error::parse(
        path,
        None,
        format!("is {what}, not a data file: ironrule reads regular files (and folders that hold a dataset); save the data to a file first"),
    ))
}

/// Runs a reader and turns a panic inside it (a defect in ironrule or in a format library,
/// reached by a malformed file) into an error naming the file: the run fails with exit 2
/// and the reason instead of aborting or, on a reader thread, vanishing.
pub(crate) fn guarded<T>(path: &Path, f: impl FnOnce() -> Result<T>) -> Result<T> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)).unwrap_or_else(|payload| {
        Err(Error::parse(
            path,
            None,
            format!(
                "the reader failed on this file ({}); the file is malformed in a way ironrule does not yet name: please report it",
                panic_message(&*payload)
            ),
        ))
    })
}

/// The text of a panic's payload.
pub(crate) fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "panic".to_owned())
}

/// The error for a layer name a multi-layer source does not hold; it lists those it does.
pub(crate) fn no_such_layer(path: &Path, name: &str, layers: &[String]) -> Error {
    Error::parse(
        path,
        None,
        format!("no layer '{name}' (layers: {})", layers.join(", ")),
    )
}

/// The error for a multi-layer source read without naming a layer.
pub(crate) fn layer_needed(path: &Path, layers: &[String]) -> Error {
    Error::parse(
        path,
        None,
        format!(
            "the source has {} layers ({}); name one with `source_layer` or --layer",
            layers.len(),
            layers.join(", ")
        ),
    )
}

/// Whether a source is a database connection string (`PG:...`) rather than a file.
pub fn is_connection(path: &Path) -> bool {
    path.to_string_lossy().starts_with("PG:")
}

/// A source as messages and reports show it: a connection string's `password=` value is
/// masked, so a CI log or a SARIF file never carries a database password.
pub fn shown(path: &Path) -> std::borrow::Cow<'_, str> {
    let s = path.to_string_lossy();
    if !is_connection(path) || !s.contains("password") {
        return s;
    }
    // libpq keyword/value pairs: `password=secret` or `password = 'sec ret'`.
    let mut out = String::with_capacity(s.len());
    let mut rest: &str = &s;
    while let Some(at) = rest.find("password") {
        out.push_str(&rest[..at + "password".len()]);
        rest = &rest[at + "password".len()..];
        let after_eq = rest.trim_start();
        let Some(value) = after_eq.strip_prefix('=') else {
            continue;
        };
        out.push_str("=***");
        let value = value.trim_start();
        rest = if let Some(quoted) = value.strip_prefix('\'') {
            // Up to the closing quote; a backslash escapes the next character.
            let mut end = quoted.len();
            let mut escaped = false;
            for (i, c) in quoted.char_indices() {
                match c {
                    _ if escaped => escaped = false,
                    '\\' => escaped = true,
                    '\'' => {
                        end = i + 1;
                        break;
                    }
                    _ => {}
                }
            }
            &quoted[end.min(quoted.len())..]
        } else {
            &value[value.find(char::is_whitespace).unwrap_or(value.len())..]
        };
    }
    out.push_str(rest);
    std::borrow::Cow::Owned(out)
}

/// A feature as a reader found it, before transform and validation.
pub struct RawFeature {
    pub index: usize,
    pub id: Option<String>,
    pub properties: Properties,
    /// The geometry in the source CRS, or why it could not be read.
    pub geometry: std::result::Result<Geometry<f64>, String>,
    /// Repairs the reader already made (reported as warnings).
    pub repaired: Option<String>,
}

impl RawFeature {
    /// A feature at `index` of its source, with its id (when the source has one besides the
    /// id field), its attributes, and its geometry in the source's CRS or why it could not be
    /// read.
    pub fn new(
        index: usize,
        id: Option<String>,
        properties: Properties,
        geometry: std::result::Result<Geometry<f64>, String>,
    ) -> RawFeature {
        RawFeature {
            index,
            id,
            properties,
            geometry,
            repaired: None,
        }
    }
}

/// What happened to one raw feature: accepted (with warnings) or rejected.
pub(crate) struct Assembled {
    pub index: usize,
    pub id: Option<String>,
    /// Whether the geometry could be read (duplicate ids are reported only then).
    pub parsed: bool,
    pub warnings: Vec<String>,
    pub result: std::result::Result<Feature, String>,
}

/// The per-feature half of reading, free of shared state so it can run in parallel: picks
/// the id, validates (and repairs), transforms into the working CRS.
#[derive(Clone, Debug)]
pub(crate) struct Prep<'a> {
    pub source: std::sync::Arc<str>,
    pub id_field: Option<&'a str>,
    pub repair: bool,
}

impl Prep<'_> {
    pub fn assemble(&self, raw: RawFeature, transformer: &Transformer) -> Assembled {
        let RawFeature {
            index,
            id: raw_id,
            properties,
            geometry,
            repaired,
        } = raw;
        let mut out = Assembled {
            index,
            id: raw_id,
            parsed: false,
            warnings: Vec::new(),
            result: Err(String::new()),
        };
        if let Some(field) = self.id_field {
            match properties.get(field) {
                Some(serde_json::Value::String(s)) => out.id = Some(s.clone()),
                Some(serde_json::Value::Number(n)) => out.id = Some(n.to_string()),
                _ => {
                    out.result = Err(format!(
                        "id field '{field}' is missing or not a string/number"
                    ));
                    return out;
                }
            }
        }
        let mut geometry = match geometry {
            Ok(g) => g,
            Err(why) => {
                out.result = Err(format!("{why}; rejected"));
                return out;
            }
        };
        out.parsed = true;
        if let Some(what) = &repaired {
            out.warnings.push(format!("{what}; repaired (--repair)"));
        }
        if let Err(why) = validate::check(&geometry) {
            match self.repair.then(|| validate::repair(&geometry)).flatten() {
                Some(fixed) => {
                    out.warnings
                        .push(format!("invalid geometry: {why}; repaired (--repair)"));
                    geometry = fixed;
                }
                None => {
                    let hint = if self.repair {
                        " (--repair could not fix it)"
                    } else {
                        ""
                    };
                    out.result = Err(format!("invalid geometry: {why}; rejected{hint}"));
                    return out;
                }
            }
        }
        if let Err(e) = transformer.geometry(&mut geometry) {
            out.result = Err(format!("{e}; rejected"));
            return out;
        }
        out.result = Ok(Feature {
            fref: FeatureRef {
                source: self.source.clone(),
                index,
                id: out.id.clone(),
            },
            properties,
            geometry,
        });
        out
    }
}

/// Duplicate-id bookkeeping, in source order.
///
/// An id that is a plain decimal number (`0`, `17`, `815759`: digits only, no leading zero),
/// the usual OBJECTID or FID, up to a bound fixed when the book is made, is looked up by its
/// value in a table of first indexes: 8 bytes per value up to the largest seen, and one
/// memory access per feature. Any other id is kept as its 128-bit XXH3 hash, not as a
/// string: no allocation per feature, and a table of about 64 MB for a million. Two distinct ids
/// share a hash with probability about n²/2¹²⁹ (1e-27 for a million), far below any chance of
/// a false warning in practice. Which of the two holds an id depends on the id alone, and two
/// different strings never have the same number, so the two never need to be compared.
pub struct IdBook {
    /// First feature index + 1 of each numeric id below `dense_limit`, by value (0: unseen).
    dense: Vec<u64>,
    /// Numeric ids at or above this go to `first`.
    dense_limit: u64,
    /// First feature index of each other id's hash.
    first: std::collections::HashMap<u128, usize, std::hash::BuildHasherDefault<KeyHasher>>,
    /// The room `first` takes at its first id (none is taken while every id is numeric).
    room: usize,
    /// Looks for nothing: a caller that looks across calls itself (the Spark audit's tasks).
    off: bool,
}

/// The numeric ids a book made without a size looks up by value: below 2²⁰ (a table of at
/// most 8 MB).
const DENSE_DEFAULT: u64 = 1 << 20;

impl Default for IdBook {
    /// A book for a source of unknown size.
    fn default() -> IdBook {
        IdBook::with_capacity(0)
    }
}

impl IdBook {
    /// A book that finds no duplicate: for a slice of a source whose caller looks for
    /// duplicate ids across all the slices (a per-slice look would warn of the wrong first
    /// feature, or twice).
    pub fn off() -> IdBook {
        IdBook {
            off: true,
            ..IdBook::default()
        }
    }

    /// A book with room for `n` ids (the source's feature count, where known): numeric ids
    /// below about twice the count are looked up by value.
    pub fn with_capacity(n: usize) -> IdBook {
        IdBook {
            dense: Vec::new(),
            dense_limit: (2 * n as u64).max(DENSE_DEFAULT),
            first: Default::default(),
            room: n,
            off: false,
        }
    }

    /// The warning for a repeated id, if `id` was seen before.
    pub fn see(&mut self, index: usize, id: &str) -> Option<String> {
        use std::collections::hash_map::Entry;
        if self.off {
            return None;
        }
        if let Some(v) = plain_number(id).filter(|&v| v < self.dense_limit) {
            let v = v as usize;
            if v >= self.dense.len() {
                // Grown to the largest value seen (at least doubling), never past the limit.
                let len = (v + 1)
                    .max(2 * self.dense.len())
                    .min(self.dense_limit as usize);
                self.dense.resize(len, 0);
            }
            return match self.dense[v] {
                0 => {
                    self.dense[v] = index as u64 + 1;
                    None
                }
                first => Some(duplicate_id(first as usize - 1)),
            };
        }
        if self.first.is_empty() {
            self.first.reserve(std::mem::take(&mut self.room));
        }
        match self
            .first
            .entry(twox_hash::XxHash3_128::oneshot(id.as_bytes()))
        {
            Entry::Occupied(first) => Some(duplicate_id(*first.get())),
            Entry::Vacant(slot) => {
                slot.insert(index);
                None
            }
        }
    }
}

/// The value of an id written as a plain decimal number: digits only, no sign, no leading
/// zero (so that `7` and `07`, different ids, never share a value), at most 18 digits.
fn plain_number(id: &str) -> Option<u64> {
    let b = id.as_bytes();
    if b.is_empty() || b.len() > 18 || (b[0] == b'0' && b.len() > 1) {
        return None;
    }
    b.iter().try_fold(0u64, |v, &c| {
        c.is_ascii_digit().then(|| v * 10 + u64::from(c - b'0'))
    })
}

/// The warning for a feature whose id an earlier feature (`first`) of its source has: the
/// words of every path (a stream's [`IdBook`], the Spark audit's look across partitions).
pub fn duplicate_id(first: usize) -> String {
    format!("duplicate id (also feature #{first}); findings name both by index")
}

/// Keys that are already hashes: their low 64 bits are the table hash.
#[derive(Default, Clone, Copy)]
pub struct KeyHasher(u64);

impl std::hash::Hasher for KeyHasher {
    fn write(&mut self, bytes: &[u8]) {
        // Only u128 keys reach this hasher; fold anything else in, 8 bytes at a time.
        for c in bytes.chunks(8) {
            let mut w = [0u8; 8];
            w[..c.len()].copy_from_slice(c);
            self.0 = self.0.rotate_left(17) ^ u64::from_le_bytes(w);
        }
    }

    fn write_u128(&mut self, key: u128) {
        self.0 = key as u64;
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

/// A warning when the box around a source's features (working CRS) reaches far from the
/// working CRS's central meridian, where its scale error grows: about (Δλ·cos φ)²/2, 0.1 % at
/// 3° from the meridian near Yichang.
pub fn meridian_warning(working: &Crs, bbox: geo::Rect<f64>) -> Option<String> {
    let lon0: f64 = working
        .proj4
        .as_deref()?
        .split_whitespace()
        .find_map(|p| p.strip_prefix("+lon_0="))?
        .parse()
        .ok()?;
    let back = Transformer::new(working, &Crs::wgs84()).ok()?;
    let (mut worst, mut lat) = (0.0_f64, 0.0);
    for c in [
        bbox.min(),
        bbox.max(),
        geo::Coord {
            x: bbox.min().x,
            y: bbox.max().y,
        },
        geo::Coord {
            x: bbox.max().x,
            y: bbox.min().y,
        },
    ] {
        let ll = back.coord(c).ok()?;
        if (ll.x - lon0).abs() > worst {
            worst = (ll.x - lon0).abs();
            lat = ll.y;
        }
    }
    if worst <= 3.0 {
        return None;
    }
    let scale = (worst.to_radians() * lat.to_radians().cos()).powi(2) / 2.0 * 100.0;
    Some(format!(
        "features reach {worst:.1}° from the working CRS's central meridian ({lon0}°E), where {} stretches distances by about {scale:.2}%; use the Gauss-Kruger zone that contains the data",
        working.name
    ))
}

/// Resolves the CRS of a source from what the file declares and what the user declared.
pub(crate) fn resolve_crs(
    path: &Path,
    in_file: Option<Crs>,
    format_default: Option<Crs>,
    opts: &ReadOptions<'_>,
) -> Result<Crs> {
    let crs = source_crs(path, in_file, format_default, opts)?;
    if let Some(allowed) = opts.datums {
        let why = match crs.datum() {
            Some(d) if allowed.contains(&d) => return Ok(crs),
            Some(d) => format!("its CRS {} is on the {d} datum", crs.name),
            None => format!("the datum of its CRS {} cannot be told", crs.name),
        };
        return Err(Error::parse(
            path,
            None,
            format!(
                "{why}, and the project accepts only {} (`datums` in the project file); convert it to one of them first",
                allowed.join(", ")
            ),
        ));
    }
    Ok(crs)
}

/// The CRS a source is in: the file's, the declared one, or the format's default.
fn source_crs(
    path: &Path,
    in_file: Option<Crs>,
    format_default: Option<Crs>,
    opts: &ReadOptions<'_>,
) -> Result<Crs> {
    match (in_file, opts.declared_crs) {
        (Some(file), Some(declared)) if file.name != declared.name => Err(Error::parse(
            path,
            None,
            format!(
                "the file declares {} but the project/--assume-crs says {}; remove one of the two",
                file.name, declared.name
            ),
        )),
        (Some(file), _) => Ok(file),
        (None, Some(declared)) => Ok(declared.clone()),
        (None, None) => format_default.ok_or_else(|| {
            Error::parse(
                path,
                None,
                "the source has no CRS; declare it with `crs = \"EPSG:...\"` on the project layer or --assume-crs (never measured in unknown units)",
            )
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every id through a set of strings, as the book did before numeric ids were looked up
    /// by value: the reference.
    fn hashed_only(ids: &[String]) -> Vec<Option<String>> {
        let mut first = std::collections::HashMap::new();
        ids.iter()
            .enumerate()
            .map(|(i, id)| match first.get(id) {
                Some(&f) => Some(duplicate_id(f)),
                None => {
                    first.insert(id.clone(), i);
                    None
                }
            })
            .collect()
    }

    #[test]
    fn numeric_ids_are_told_apart_from_their_look_alikes() {
        assert_eq!(plain_number("0"), Some(0));
        assert_eq!(plain_number("815759"), Some(815_759));
        assert_eq!(
            plain_number("999999999999999999"),
            Some(999_999_999_999_999_999)
        );
        for other in [
            "",
            "07",
            "00",
            "-1",
            "+1",
            "1.0",
            "1e3",
            " 1",
            "1 ",
            "١",
            "1234567890123456789",
        ] {
            assert_eq!(plain_number(other), None, "{other:?}");
        }
        let ids: Vec<String> = ["7", "07", "7", "007", "07", "1048576", "1048576", "x", "7"]
            .map(str::to_owned)
            .to_vec();
        for mut book in [IdBook::default(), IdBook::with_capacity(3)] {
            let got: Vec<_> = ids
                .iter()
                .enumerate()
                .map(|(i, id)| book.see(i, id))
                .collect();
            assert_eq!(got, hashed_only(&ids));
        }
        assert_eq!(IdBook::off().see(1, "7"), None);
    }

    use proptest::prelude::*;

    proptest::proptest! {
        /// Whatever mix of numeric, zero-padded, huge and other ids, in whatever order, the
        /// book warns exactly where a set of strings would, naming the same first feature.
        #[test]
        fn the_book_warns_as_a_string_set_would(
            ids in proptest::collection::vec(
                proptest::prop_oneof![
                    (0u64..64).prop_map(|v| v.to_string()),
                    (0u64..64).prop_map(|v| format!("0{v}")),
                    (0u64..4).prop_map(|v| ((1u64 << 20) - 2 + v).to_string()),
                    (0u64..4).prop_map(|v| (u64::MAX - v).to_string()),
                    "[a-c0-2]{1,3}",
                ],
                0..200,
            ),
            capacity in 0usize..2_000_000,
        ) {
            let want = hashed_only(&ids);
            for mut book in [IdBook::default(), IdBook::with_capacity(capacity)] {
                let got: Vec<_> = ids.iter().enumerate().map(|(i, id)| book.see(i, id)).collect();
                prop_assert_eq!(&got, &want);
            }
        }
    }

    #[test]
    fn connection_passwords_are_masked() {
        let shown = |s: &str| shown(Path::new(s)).into_owned();
        assert_eq!(
            shown("PG:host=db dbname=plan user=gis password=s3cret port=5432"),
            "PG:host=db dbname=plan user=gis password=*** port=5432"
        );
        assert_eq!(
            shown("PG:dbname=plan password = 'a b\\'c' user=gis"),
            "PG:dbname=plan password=*** user=gis"
        );
        assert_eq!(
            shown("PG:dbname=plan password=x"),
            "PG:dbname=plan password=***"
        );
        assert_eq!(shown("PG:dbname=plan"), "PG:dbname=plan");
        // Files are shown as they are, even with 'password' in their name.
        assert_eq!(shown("data/password=1.geojson"), "data/password=1.geojson");
        assert!(is_connection(Path::new("PG:dbname=plan")));
        assert!(!is_connection(Path::new("pg.geojson")));
    }
}
