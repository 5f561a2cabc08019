//! Every source as a stream of feature batches: a source is opened, its CRS resolved, and
//! its features handed out in batches, so a city's million parcels never sit in memory at
//! once. `audit` reads a stream batch by batch; [`super::read`] (and so `check`) collects it.
//!
//! - GeoJSON FeatureCollections are split into features by a byte scanner (strings and
//!   escapes respected) and each feature is parsed on its own, in parallel; a malformed
//!   feature rejects that feature only.
//! - GeoJSON sequences are read line by line.
//! - FlatGeobuf and GeoParquet are read natively (see [`super::fgb`], [`super::parquet`]).
//! - Shapefile, GeoPackage, a single GeoJSON Feature and (with `gdal`) every OGR format are
//!   read whole into raw features ([`super::Whole`]), then handed out in batches.
//!
//! Every batch goes through the same two steps whatever the format: a parallel pass that
//! validates, transforms and runs the caller's per-feature work ([`Opened::next_pending`]),
//! and one in-order settle step ([`Pending::settle`]: duplicate ids, warnings, rejections).

use super::{
    geojson, Assembled, Collected, Format, IdBook, Prep, RawFeature, RawStream, ReadOptions, Source,
};
use crate::crs::{Crs, Transformer};
use crate::model::{Diagnostic, Feature};
use crate::{Error, Result};
use rayon::prelude::*;
use serde_json::Value;
use std::io::Read;
use std::path::{Path, PathBuf};

/// Features per batch: large enough to keep both cores busy, small enough that a batch of
/// parcels and their findings stay within about ten megabytes. Up to eight batches are in
/// flight (being read, read ahead, checked, four queued for the writer, being written); at
/// 16,384 the W1 1M audit peaked at 177 MB, and first touching that memory cost this VM more
/// than the larger batches saved (8,192: 107 MB, 5–10 % less time; README, W1).
pub const DEFAULT_BATCH: usize = 8_192;

/// How far through a source a stream is: features or bytes, whichever it can count.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Unit {
    Features,
    Bytes,
}

/// An opened source: its CRS is known before the first feature is read.
pub struct Opened<'a> {
    pub name: String,
    pub crs: Crs,
    /// The size of the source in `unit`s, when known (a progress bar's length).
    pub total: Option<u64>,
    pub unit: Unit,
    /// The stream until the first batch is asked for; then a reader thread owns it.
    stream: Option<Box<dyn RawStream>>,
    /// Batches the reader thread has read ahead, with its progress after each.
    #[allow(clippy::type_complexity)]
    ahead: Option<std::sync::mpsc::Receiver<(Result<Option<Vec<RawFeature>>>, u64)>>,
    done: u64,
    pub(crate) prep: Prep<'a>,
    /// Warnings and errors about the source as a whole (a ballpark datum transform, a
    /// Shapefile whose .shp and .dbf disagree).
    pub diagnostics: Vec<Diagnostic>,
    /// The box around the features accepted so far (working CRS).
    extent: Option<geo::Rect<f64>>,
    /// The working CRS.
    target: Crs,
    /// Read on the calling thread instead of one batch ahead on a reader thread: for
    /// [`collect`], which may run on a rayon worker (zone layers load in parallel), where
    /// waiting for a reader thread that waits for rayon would deadlock.
    inline: bool,
}

/// One batch through [`Opened::next_with`]: a result per accepted feature, in source order.
pub struct Processed<T> {
    pub results: Vec<T>,
    pub diagnostics: Vec<Diagnostic>,
    /// Features the batch held (accepted + rejected).
    pub read: usize,
    /// Features accepted (= `results.len()`).
    pub accepted: usize,
}

/// One batch after its parallel pass, before the in-order bookkeeping of
/// [`Pending::settle`]: per feature, how it was assembled, the per-feature work's result if
/// it was accepted, and the accepted feature's box (working CRS).
pub struct Pending<T> {
    source: String,
    items: Vec<(Assembled, Option<T>, Option<geo::Rect<f64>>)>,
}

impl<T> Pending<T> {
    /// Features the batch held (accepted + rejected).
    pub fn read(&self) -> usize {
        self.items.len()
    }

    /// The results of the accepted features, in source order.
    pub fn results(&self) -> impl Iterator<Item = &T> + '_ {
        self.items.iter().filter_map(|(_, r, _)| r.as_ref())
    }

    /// The box around the batch's accepted features (working CRS).
    pub fn bbox(&self) -> Option<geo::Rect<f64>> {
        self.items
            .iter()
            .filter_map(|(_, _, b)| *b)
            .reduce(crate::geom::union_rect)
    }

    /// The in-order half of a batch, the one place every path does it: duplicate ids
    /// (across batches, through `ids`), each feature's warnings, and one error per rejected
    /// feature.
    pub fn settle(self, ids: &mut IdBook) -> Processed<T> {
        let source = &self.source;
        let mut out = Processed {
            read: self.items.len(),
            accepted: 0,
            diagnostics: Vec::new(),
            results: Vec::with_capacity(self.items.len()),
        };
        for (a, result, _) in self.items {
            let diag = |d: Diagnostic| d.feature(a.index, a.id.as_deref());
            if let (true, Some(id)) = (a.parsed, &a.id) {
                if let Some(why) = ids.see(a.index, id) {
                    out.diagnostics.push(diag(Diagnostic::warning(source, why)));
                }
            }
            for w in a.warnings {
                out.diagnostics.push(diag(Diagnostic::warning(source, w)));
            }
            match result {
                Some(r) => out.results.push(r),
                None => {
                    let why = a.result.err().unwrap_or_default();
                    out.diagnostics
                        .push(Diagnostic::error(source, why).feature(a.index, a.id.as_deref()));
                }
            }
        }
        out.accepted = out.results.len();
        out
    }
}

/// Opens a source as a stream: the one place a format is chosen. Errors are those of
/// [`super::read`]: unreadable file, unknown or conflicting CRS, unsupported format.
pub fn open<'a>(path: &Path, opts: ReadOptions<'a>) -> Result<Opened<'a>> {
    super::openable(path)?;
    super::guarded(path, || open_unguarded(path, opts))
}

fn open_unguarded<'a>(path: &Path, opts: ReadOptions<'a>) -> Result<Opened<'a>> {
    let name = super::shown(path).into_owned();
    let bytes = |len: u64| (Some(len), Unit::Bytes);
    let (crs, (total, unit), stream, diagnostics): (_, _, Box<dyn RawStream>, _) = match Format::of(
        path,
    )? {
        Format::GeoJson => match JsonStream::open(path, &opts)? {
            Some((crs, s)) => (crs, bytes(s.len), Box::new(s), Vec::new()),
            // Not a FeatureCollection (a single Feature or a bare geometry): small.
            None => return from_whole(path, geojson::read_whole(path, opts)?, opts),
        },
        Format::GeoJsonSeq => {
            if let Some(layer) = opts.layer {
                return Err(Error::parse(path, None, format!("a GeoJSON sequence has one layer; --layer {layer} applies to multi-layer sources")));
            }
            let crs = super::resolve_crs(path, None, Some(Crs::wgs84()), &opts)?;
            let s = SeqStream::open(path, &opts)?;
            (crs, bytes(s.len), Box::new(s), Vec::new())
        }
        Format::FlatGeobuf => {
            let (crs, s) = super::fgb::FgbStream::open(path, &opts)?;
            (crs, (s.total(), Unit::Features), Box::new(s), Vec::new())
        }
        Format::GeoParquet => {
            let (crs, s) = super::parquet::ParquetStream::open(path, &opts)?;
            (
                crs,
                (Some(s.total()), Unit::Features),
                Box::new(s),
                Vec::new(),
            )
        }
        Format::Shapefile => return from_whole(path, super::shp::read(path, opts)?, opts),
        Format::GeoPackage => return from_whole(path, super::gpkg::read(path, opts)?, opts),
        #[cfg(feature = "gdal")]
        Format::Ogr => return from_whole(path, super::gdal::read_whole(path, opts)?, opts),
    };
    Ok(opened(name, crs, total, unit, stream, diagnostics, opts))
}

/// A stream the caller built (features it holds in memory) opened like a file: the same
/// validation, transform, bookkeeping and batches. `total` is its feature count when known.
pub fn from_stream<'a>(
    name: &str,
    crs: Crs,
    total: Option<u64>,
    stream: Box<dyn RawStream>,
    opts: ReadOptions<'a>,
) -> Opened<'a> {
    opened(
        name.to_owned(),
        crs,
        total,
        Unit::Features,
        stream,
        Vec::new(),
        opts,
    )
}

/// A whole read as a stream.
fn from_whole<'a>(path: &Path, whole: super::Whole, opts: ReadOptions<'a>) -> Result<Opened<'a>> {
    let name = super::shown(path).into_owned();
    let total = Some(whole.raws.len() as u64);
    let stream = Box::new(super::WholeStream::new(whole.raws));
    Ok(opened(
        name,
        whole.crs,
        total,
        Unit::Features,
        stream,
        whole.diagnostics,
        opts,
    ))
}

fn opened<'a>(
    name: String,
    crs: Crs,
    total: Option<u64>,
    unit: Unit,
    stream: Box<dyn RawStream>,
    mut diagnostics: Vec<Diagnostic>,
    opts: ReadOptions<'a>,
) -> Opened<'a> {
    // The transform's caveat (a ballpark datum shift) is said once per source.
    if let Some(why) = crate::crs::transform::caveat(&crs, opts.target) {
        diagnostics.insert(0, Diagnostic::warning(&name, why));
    }
    Opened {
        prep: Prep {
            source: name.as_str().into(),
            id_field: opts.id_field,
            repair: opts.repair,
        },
        name,
        crs,
        total,
        unit,
        stream: Some(stream),
        ahead: None,
        done: 0,
        diagnostics,
        extent: None,
        target: opts.target.clone(),
        inline: false,
    }
}

/// The message of the one streaming error a whole read avoids (see [`collect`]).
const CRS_AFTER_FEATURES: &str = "the `crs` member comes after `features`";

/// Reads a whole source through its stream, as `check` does: the same features, diagnostics
/// and counts as `audit` sees, `each` run on every accepted feature in the same parallel
/// pass, held in memory within [`super::Limits`] (`bytes` estimates a result's size).
pub(crate) fn collect<T: Send>(
    path: &Path,
    opts: ReadOptions<'_>,
    each: &(impl Fn(Feature) -> T + Sync + Send),
    bytes: &impl Fn(&T) -> u64,
) -> Result<Collected<T>> {
    match collect_opened(path, open_unguarded(path, opts)?, opts, each, bytes) {
        // A FeatureCollection with its `crs` after the features: read whole instead.
        Err(Error::Parse { message, .. }) if message.starts_with(CRS_AFTER_FEATURES) => {
            let whole = from_whole(path, geojson::read_whole(path, opts)?, opts)?;
            collect_opened(path, whole, opts, each, bytes)
        }
        other => other,
    }
}

/// [`collect`] for a source opened with [`from_stream`]: errors name it by its name.
pub fn collect_stream<T: Send>(
    opened: Opened<'_>,
    opts: ReadOptions<'_>,
    each: &(impl Fn(Feature) -> T + Sync + Send),
    bytes: &impl Fn(&T) -> u64,
) -> Result<Collected<T>> {
    let name = opened.name.clone();
    collect_opened(Path::new(&name), opened, opts, each, bytes)
}

/// [`collect`] for features a reader already read whole.
pub(crate) fn collect_whole(
    path: &Path,
    whole: super::Whole,
    opts: ReadOptions<'_>,
) -> Result<Source> {
    let opened = from_whole(path, whole, opts)?;
    let c = collect_opened(path, opened, opts, &|f| f, &|f: &Feature| {
        super::memory_estimate(&f.properties, Some(&f.geometry))
    })?;
    Ok(c.into())
}

fn collect_opened<T: Send>(
    path: &Path,
    mut opened: Opened<'_>,
    opts: ReadOptions<'_>,
    each: &(impl Fn(Feature) -> T + Sync + Send),
    bytes: &impl Fn(&T) -> u64,
) -> Result<Collected<T>> {
    let limits = opts.limits;
    opened.inline = true;
    let mut ids = IdBook::default();
    let mut out = Collected {
        name: opened.name.clone(),
        crs: opened.crs.clone(),
        read: 0,
        items: Vec::new(),
        diagnostics: std::mem::take(&mut opened.diagnostics),
    };
    let mut memory = 0u64;
    while let Some(pending) = opened.next_pending(DEFAULT_BATCH, || (), |_, f| each(f))? {
        let batch = pending.settle(&mut ids);
        out.read += batch.read;
        memory += batch.results.iter().map(bytes).sum::<u64>();
        out.items.extend(batch.results);
        out.diagnostics.extend(batch.diagnostics);
        if out.read as u64 > limits.check_features {
            return Err(Error::parse(
                path,
                None,
                format!(
                    "holds more than {} features, the most `check` reads into memory ([limits] check_features in ironrule.toml); sweep it with `ironrule audit`, which streams any number",
                    limits.check_features
                ),
            ));
        }
        if memory > limits.check_memory_mb.saturating_mul(1 << 20) {
            return Err(Error::parse(
                path,
                None,
                format!(
                    "its features would take more than {} MB of memory after {} of them ([limits] check_memory_mb in ironrule.toml); sweep it with `ironrule audit`, which streams",
                    limits.check_memory_mb, out.read
                ),
            ));
        }
    }
    out.diagnostics.extend(opened.closing());
    Ok(out)
}

impl<'a> Opened<'a> {
    /// Reads, validates and transforms the next batch (the per-feature work in parallel);
    /// `ids` carries duplicate-id bookkeeping across batches. `None` at the end.
    pub fn next(&mut self, max: usize, ids: &mut IdBook) -> Result<Option<Processed<Feature>>> {
        self.next_with(max, ids, || (), |_, f| f)
    }

    /// Like [`Opened::next`], and runs `each` on every accepted feature in the same parallel
    /// pass (with per-thread state from `init`), so that a batch is read, validated,
    /// transformed and checked without a sequential step in between.
    pub fn next_with<S, T: Send>(
        &mut self,
        max: usize,
        ids: &mut IdBook,
        init: impl Fn() -> S + Sync + Send,
        each: impl Fn(&mut S, Feature) -> T + Sync + Send,
    ) -> Result<Option<Processed<T>>> {
        Ok(self.next_pending(max, init, each)?.map(|p| p.settle(ids)))
    }

    /// The parallel half of [`Opened::next_with`]: the batch read, validated, transformed
    /// and run through `each`. The in-order half ([`Pending::settle`]: duplicate ids,
    /// warnings, rejections) can then run on another thread while the next batch's parallel
    /// pass runs.
    pub fn next_pending<S, T: Send>(
        &mut self,
        max: usize,
        init: impl Fn() -> S + Sync + Send,
        each: impl Fn(&mut S, Feature) -> T + Sync + Send,
    ) -> Result<Option<Pending<T>>> {
        let (batch, done) = if self.inline {
            let Some(stream) = self.stream.as_mut() else {
                return Ok(None);
            };
            let batch = super::guarded(Path::new(&self.name), || stream.next_batch(max));
            let done = stream.done();
            if !matches!(batch, Ok(Some(_))) {
                self.stream = None;
            }
            (batch, done)
        } else {
            self.read_ahead(max)?
        };
        self.done = done;
        let Some(raws) = batch? else {
            self.ahead = None;
            return Ok(None);
        };
        let (from, target, prep) = (&self.crs, &self.target, &self.prep);
        let work = |(t, state): &mut (Result<Transformer, _>, _), raw: RawFeature| {
            let mut a = match t {
                Ok(t) => prep.assemble(raw, t),
                Err(e) => Assembled {
                    index: raw.index,
                    id: raw.id,
                    parsed: false,
                    warnings: Vec::new(),
                    result: Err(format!("{e}; rejected")),
                },
            };
            let (result, bbox) = match std::mem::replace(&mut a.result, Err(String::new())) {
                Ok(f) => {
                    let bbox = crate::geom::bbox_of([&f.geometry]);
                    match caught(|| each(state, f)) {
                        Ok(r) => (Some(r), bbox),
                        Err(why) => {
                            a.result = Err(why);
                            (None, None)
                        }
                    }
                }
                Err(why) => {
                    a.result = Err(why);
                    (None, None)
                }
            };
            (a, result, bbox)
        };
        // As [`map_vec`], with a transformer and the caller's state per thread.
        let items = if raws.len() <= SMALL_BATCH {
            let mut state = (Transformer::new(from, target), init());
            raws.into_iter().map(|raw| work(&mut state, raw)).collect()
        } else {
            raws.into_par_iter()
                .map_init(|| (Transformer::new(from, target), init()), work)
                .collect()
        };
        let pending = Pending {
            source: self.name.clone(),
            items,
        };
        if let Some(b) = pending.bbox() {
            self.extent = Some(self.extent.map_or(b, |e| crate::geom::union_rect(e, b)));
        }
        Ok(Some(pending))
    }

    /// What there is to say about the source once it has been read: a warning when its
    /// features reach far from the working CRS's central meridian.
    pub fn closing(&self) -> Option<Diagnostic> {
        let why = super::meridian_warning(&self.target, self.extent?)?;
        Some(Diagnostic::warning(&self.name, why))
    }

    /// Progress so far, in [`Opened::unit`]s.
    pub fn done(&self) -> u64 {
        self.done
    }

    /// The next batch from the reader thread, which reads (and decodes) one batch ahead so
    /// that the next batch is being read while this one is checked; started on first use.
    #[allow(clippy::type_complexity)]
    fn read_ahead(&mut self, max: usize) -> Result<(Result<Option<Vec<RawFeature>>>, u64)> {
        if let Some(mut stream) = self.stream.take() {
            let (tx, rx) = std::sync::mpsc::sync_channel(1);
            let path = PathBuf::from(&self.name);
            std::thread::Builder::new()
                .name("ironrule-read".into())
                .spawn(move || loop {
                    // A panic in a reader is an error of this source, not a silent end.
                    let batch = super::guarded(&path, || stream.next_batch(max));
                    let go_on = matches!(batch, Ok(Some(_)));
                    // The receiver is gone when the audit stopped early: stop reading.
                    if tx.send((batch, stream.done())).is_err() || !go_on {
                        break;
                    }
                })
                .map_err(|e| Error::io(Path::new(&self.name), e))?;
            self.ahead = Some(rx);
        }
        let Some(rx) = &self.ahead else {
            return Ok((Ok(None), self.done));
        };
        match rx.recv() {
            Ok(got) => Ok(got),
            // The reader thread ends only after sending the end or an error: gone without
            // either, it died, and what it had not read must not pass as read.
            Err(_) => {
                self.ahead = None;
                Err(Error::parse(
                    Path::new(&self.name),
                    None,
                    format!(
                        "reading stopped unexpectedly after {} {} (the reader thread died)",
                        self.done,
                        if self.unit == Unit::Bytes {
                            "bytes"
                        } else {
                            "features"
                        }
                    ),
                ))
            }
        }
    }
}

/// Runs the per-feature work and turns a panic in it (a defect reached by one feature's
/// geometry, say in a boolean operation) into that feature's error: it is counted as not
/// checked and fails the run, and the other features are still checked.
fn caught<T>(f: impl FnOnce() -> T) -> std::result::Result<T, String> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)).map_err(|p| {
        format!(
            "checking this feature failed ({}); it was not checked: please report it",
            super::panic_message(&*p)
        )
    })
}

/// Bytes read from a file per refill.
#[cfg(not(test))]
const BLOCK: usize = 4 << 20;
/// Small in unit tests, so that every token is cut by a block's end somewhere.
#[cfg(test)]
const BLOCK: usize = 61;

/// The bytes that change the scanner's state inside a feature (outside strings).
const IN_FEATURE: [bool; 256] = {
    let mut t = [false; 256];
    let mut i = 0;
    let special = *b"\"{}[]\n";
    while i < special.len() {
        t[special[i] as usize] = true;
        i += 1;
    }
    t
};
/// Batches of at most this many features are worked on the calling thread: handing a
/// handful (one footprint from `serve`, a small `check`) to the rayon pool costs more than
/// the work.
pub(crate) const SMALL_BATCH: usize = 8;

/// `f` over `items` with their indices: on the rayon pool, or on this thread for a
/// [`SMALL_BATCH`].
pub(crate) fn map_slice<I: Sync, T: Send>(
    items: &[I],
    f: impl Fn(usize, &I) -> T + Sync + Send,
) -> Vec<T> {
    if items.len() <= SMALL_BATCH {
        items.iter().enumerate().map(|(i, x)| f(i, x)).collect()
    } else {
        items.par_iter().enumerate().map(|(i, x)| f(i, x)).collect()
    }
}

/// `f` over owned `items`: on the rayon pool, or on this thread for a [`SMALL_BATCH`].
pub(crate) fn map_vec<I: Send, T: Send>(items: Vec<I>, f: impl Fn(I) -> T + Sync + Send) -> Vec<T> {
    if items.len() <= SMALL_BATCH {
        items.into_iter().map(f).collect()
    } else {
        items.into_par_iter().map(f).collect()
    }
}
/// At most about this many bytes of GeoJSON per batch.
const BATCH_BYTES: usize = 48 << 20;

/// A GeoJSON FeatureCollection split into its features by a byte scanner.
struct JsonStream {
    path: PathBuf,
    file: std::fs::File,
    len: u64,
    /// Bytes read from the file so far.
    consumed: u64,
    buf: Vec<u8>,
    /// Scan position in `buf`.
    pos: usize,
    /// Start of the current array element in `buf`, once its first byte is seen.
    start: Option<usize>,
    depth: usize,
    in_string: bool,
    escaped: bool,
    /// Whether the scan has left the `features` array.
    finished: bool,
    eof: bool,
    /// Features handed out so far (the next feature's index).
    index: usize,
    repair: bool,
    /// The attributes kept ([`super::Projection`]).
    keep: super::Keep,
    /// Bytes of `buf` already dropped (for error positions).
    dropped: u64,
    /// Whether what follows the features array was checked.
    tail_checked: bool,
    /// The longest feature text accepted, bytes.
    max_feature: u64,
    /// The line (1-based) at the scan position, and the absolute offset where it starts.
    line: usize,
    line_start: u64,
    /// Where the current array element starts: line and column, 1-based.
    start_at: (usize, usize),
}

impl JsonStream {
    /// Opens the file and scans to the start of its `features` array; `None` when the file is
    /// not a FeatureCollection with a `features` array (read it whole instead).
    fn open(path: &Path, opts: &ReadOptions<'_>) -> Result<Option<(Crs, JsonStream)>> {
        if let Some(layer) = opts.layer {
            return Err(Error::parse(path, None, format!("GeoJSON has one layer; --layer {layer} applies to GeoPackage, FileGDB, DXF and other multi-layer sources")));
        }
        let file = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
        let len = file.metadata().map_err(|e| Error::io(path, e))?.len();
        let mut s = JsonStream {
            path: path.to_owned(),
            file,
            len,
            consumed: 0,
            buf: Vec::with_capacity(BLOCK.min(len as usize + 1)),
            pos: 0,
            start: None,
            depth: 0,
            in_string: false,
            escaped: false,
            finished: false,
            eof: false,
            index: 0,
            repair: opts.repair,
            keep: super::Keep::of(opts),
            dropped: 0,
            tail_checked: false,
            max_feature: opts.limits.feature_bytes(),
            line: 1,
            line_start: 0,
            start_at: (1, 1),
        };
        // Find `"features"` followed by `[` at depth 1, remembering the keys on the way.
        let mut key_start = None;
        let mut last_key: Vec<u8> = Vec::new();
        loop {
            if s.pos == s.buf.len() {
                if s.eof || s.buf.len() > 64 << 20 {
                    return Ok(None);
                }
                s.fill()?;
                continue;
            }
            let b = s.buf[s.pos];
            if s.pos == 0 && s.buf.starts_with("\u{feff}".as_bytes()) {
                s.pos = 3;
                continue;
            }
            s.pos += 1;
            if b == b'\n' {
                s.line += 1;
                s.line_start = s.dropped + s.pos as u64;
            }
            if s.in_string {
                if s.escaped {
                    s.escaped = false;
                } else if b == b'\\' {
                    s.escaped = true;
                } else if b == b'"' {
                    s.in_string = false;
                    if let Some(k) = key_start.take() {
                        last_key = s.buf[k..s.pos - 1].to_vec();
                    }
                }
                continue;
            }
            match b {
                b'"' => {
                    s.in_string = true;
                    if s.depth == 1 {
                        key_start = Some(s.pos);
                    }
                }
                b'{' | b'[' => {
                    if s.depth == 1 && b == b'[' && last_key == b"features" {
                        s.depth = 2;
                        break;
                    }
                    s.depth += 1;
                }
                b'}' | b']' => {
                    if s.depth <= 1 {
                        return Ok(None);
                    }
                    s.depth -= 1;
                }
                _ => {}
            }
        }
        // The members before the array: `type` and the legacy `crs`.
        let mut head = s.buf[..s.pos - 1].to_vec();
        head.extend_from_slice(b"[]}");
        let head = head.strip_prefix("\u{feff}".as_bytes()).unwrap_or(&head);
        let top: Value = match geojson::parse_value(head) {
            Ok(v) => v,
            Err(_) => return Ok(None),
        };
        if top.get("type").and_then(Value::as_str) != Some("FeatureCollection") {
            return Ok(None);
        }
        let in_file = match top.get("crs") {
            Some(member) => Some(geojson::crs_member(path, member)?),
            None => None,
        }
        .flatten();
        let crs = super::resolve_crs(path, in_file, Some(Crs::wgs84()), opts)?;
        Ok(Some((crs, s)))
    }

    /// After the features: the rest of the top-level object must be well-formed, and must
    /// not declare a `crs` (the features were already read in the CRS known before them).
    fn check_tail(&mut self) -> Result<()> {
        if self.tail_checked {
            return Ok(());
        }
        self.tail_checked = true;
        while !self.eof && self.buf.len() - self.pos < 64 << 20 {
            self.fill()?;
        }
        let mut text = b"{\"features\":[]".to_vec();
        text.extend_from_slice(&self.buf[self.pos..]);
        let tail: Value = geojson::parse_value(&text).map_err(|e| {
            Error::parse(
                &self.path,
                None,
                format!(
                    "malformed JSON after the features array (from byte {}): {e}",
                    self.dropped + self.pos as u64
                ),
            )
        })?;
        if tail.get("crs").is_some_and(|c| !c.is_null()) {
            return Err(Error::parse(
                &self.path,
                None,
                format!("{CRS_AFTER_FEATURES}: a streamed read needs it first (move it before `features`, or use `check`, which reads the file whole)"),
            ));
        }
        self.pos = self.buf.len();
        Ok(())
    }

    /// An error when the element that starts at `start` in `buf` (feature #`index`) is
    /// already longer than the limit for one feature.
    fn check_length(&self, start: usize, index: usize) -> Result<()> {
        if (self.pos - start) as u64 <= self.max_feature {
            return Ok(());
        }
        Err(Error::parse(
            &self.path,
            None,
            format!(
                "feature #{index} (from byte {}) is longer than {} MB, the limit for one feature ([limits] feature_mb in ironrule.toml)",
                self.dropped + start as u64,
                self.max_feature >> 20
            ),
        ))
    }

    fn fill(&mut self) -> Result<()> {
        let old = self.buf.len();
        // A block, or what the file has left (and a little more, to see its end): a small
        // file costs a small buffer.
        let left = self.len.saturating_sub(self.consumed) as usize;
        let want = BLOCK.min(left.max(4096) + 1);
        // Into the vector's spare room (not zeroed first, as a resize would).
        self.buf.reserve(want);
        let n = (&mut self.file)
            .take(want as u64)
            .read_to_end(&mut self.buf)
            .map_err(|e| Error::io(&self.path, e))?;
        debug_assert_eq!(self.buf.len(), old + n);
        self.consumed += n as u64;
        if n == 0 {
            self.eof = true;
        }
        Ok(())
    }

    /// Scans for complete array elements; returns their byte ranges in `buf`.
    #[allow(clippy::type_complexity)]
    fn scan(&mut self, max: usize) -> Result<Vec<(usize, usize, (usize, usize))>> {
        let mut found: Vec<(usize, usize, (usize, usize))> = Vec::new();
        while !self.finished && found.len() < max {
            // Keep a batch's bytes bounded too (features can be large).
            if !found.is_empty() && self.pos - found[0].0 > BATCH_BYTES {
                break;
            }
            if self.pos == self.buf.len() {
                if self.eof {
                    return Err(Error::parse(
                        &self.path,
                        None,
                        format!(
                            "the file ends inside the features array (byte {}): truncated?",
                            self.dropped + self.pos as u64
                        ),
                    ));
                }
                if let Some(s) = self.start {
                    self.check_length(s, self.index + found.len())?;
                }
                self.fill()?;
                continue;
            }
            // Runs of bytes that change nothing are skipped at once: inside a string, all
            // but a quote, a backslash and a line end; inside a feature (depth > 2), all but
            // quotes, brackets, braces and line ends (commas count at depth 2 only).
            if self.in_string && !self.escaped {
                let rest = &self.buf[self.pos..];
                match memchr::memchr3(b'"', b'\\', b'\n', rest) {
                    Some(k) => self.pos += k,
                    None => {
                        self.pos = self.buf.len();
                        continue;
                    }
                }
            } else if !self.in_string && self.depth > 2 {
                let rest = &self.buf[self.pos..];
                match rest.iter().position(|&c| IN_FEATURE[usize::from(c)]) {
                    Some(k) => self.pos += k,
                    None => {
                        self.pos = self.buf.len();
                        continue;
                    }
                }
            }
            let b = self.buf[self.pos];
            self.pos += 1;
            if b == b'\n' {
                self.line += 1;
                self.line_start = self.dropped + self.pos as u64;
            }
            if self.in_string {
                if self.escaped {
                    self.escaped = false;
                } else if b == b'\\' {
                    self.escaped = true;
                } else if b == b'"' {
                    self.in_string = false;
                }
                continue;
            }
            if self.depth == 2
                && self.start.is_none()
                && !matches!(b, b' ' | b'\t' | b'\r' | b'\n' | b',' | b']')
            {
                self.start = Some(self.pos - 1);
                let column = self.dropped + self.pos as u64 - self.line_start;
                self.start_at = (self.line, column as usize);
            }
            match b {
                b'"' => self.in_string = true,
                b'{' | b'[' => self.depth += 1,
                b'}' | b']' if self.depth > 2 => self.depth -= 1,
                b',' | b']' if self.depth == 2 => {
                    if let Some(s) = self.start.take() {
                        self.check_length(s, self.index + found.len())?;
                        found.push((s, self.pos - 1, self.start_at));
                    }
                    if b == b']' {
                        self.finished = true;
                    }
                }
                b'}' => {
                    return Err(Error::parse(
                        &self.path,
                        None,
                        format!(
                            "unbalanced '}}' in the features array at byte {}",
                            self.dropped + self.pos as u64 - 1
                        ),
                    ))
                }
                _ => {}
            }
        }
        Ok(found)
    }
}

impl RawStream for JsonStream {
    fn next_batch(&mut self, max: usize) -> Result<Option<Vec<RawFeature>>> {
        if self.finished && self.start.is_none() {
            self.check_tail()?;
            return Ok(None);
        }
        let ranges = self.scan(max.max(1))?;
        if ranges.is_empty() {
            self.check_tail()?;
            return Ok(None);
        }
        let first = self.index;
        self.index += ranges.len();
        let (buf, repair, keep) = (&self.buf, self.repair, &self.keep);
        let raws: Vec<RawFeature> = map_slice(&ranges, |i, &(s, e, at)| {
            geojson::raw_from_slice(first + i, &buf[s..e], repair, at, keep)
        });
        // Everything up to the last element handed out can go.
        let end = ranges.last().map_or(0, |r| r.1);
        let cut = self.start.map_or(end, |s| s.min(end)).min(self.pos);
        self.buf.drain(..cut);
        self.dropped += cut as u64;
        self.pos -= cut;
        self.start = self.start.map(|s| s - cut);
        Ok(Some(raws))
    }

    fn done(&self) -> u64 {
        self.consumed - (self.buf.len() - self.pos) as u64
    }
}

/// A GeoJSON text sequence, line by line.
struct SeqStream {
    path: PathBuf,
    reader: std::io::BufReader<std::fs::File>,
    len: u64,
    consumed: u64,
    line: usize,
    index: usize,
    repair: bool,
    keep: super::Keep,
    /// The longest line accepted, bytes.
    max_line: u64,
}

impl SeqStream {
    fn open(path: &Path, opts: &ReadOptions<'_>) -> Result<SeqStream> {
        let file = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
        let len = file.metadata().map_err(|e| Error::io(path, e))?.len();
        Ok(SeqStream {
            path: path.to_owned(),
            reader: std::io::BufReader::with_capacity(1 << 20, file),
            len,
            consumed: 0,
            line: 0,
            index: 0,
            repair: opts.repair,
            keep: super::Keep::of(opts),
            max_line: opts.limits.feature_bytes(),
        })
    }
}

impl RawStream for SeqStream {
    fn next_batch(&mut self, max: usize) -> Result<Option<Vec<RawFeature>>> {
        use std::io::BufRead;
        let mut lines = Vec::new();
        let mut text = Vec::new();
        while lines.len() < max.max(1) {
            text.clear();
            // A line is read up to the limit, never further: a file without newlines is
            // not one 4 GB line in memory.
            let n = (&mut self.reader)
                .take(self.max_line + 1)
                .read_until(b'\n', &mut text)
                .map_err(|e| Error::io(&self.path, e))?;
            if n == 0 {
                break;
            }
            if n as u64 > self.max_line && text.last() != Some(&b'\n') {
                return Err(Error::parse(
                    &self.path,
                    Some((self.line + 1, 1)),
                    format!(
                        "line {} is longer than {} MB, the limit for one feature ([limits] feature_mb in ironrule.toml): is the file newline-delimited?",
                        self.line + 1,
                        self.max_line >> 20
                    ),
                ));
            }
            self.consumed += n as u64;
            self.line += 1;
            let trimmed = geojson::seq_record(&text);
            if trimmed.is_empty() {
                continue;
            }
            lines.push((self.index, self.line, trimmed.to_vec()));
            self.index += 1;
        }
        if lines.is_empty() {
            return Ok(None);
        }
        let (repair, keep) = (self.repair, &self.keep);
        let raws = map_slice(&lines, |_, (index, line, bytes)| {
            geojson::raw_from_seq_line(*index, *line, bytes, repair, keep)
        });
        Ok(Some(raws))
    }

    fn done(&self) -> u64 {
        self.consumed
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A reader that reads one batch, then panics (as a format library can on a malformed
    /// file).
    struct Dies(u64);

    impl RawStream for Dies {
        fn next_batch(&mut self, _max: usize) -> Result<Option<Vec<RawFeature>>> {
            self.0 += 1;
            if self.0 > 1 {
                panic!("index out of bounds in a format library");
            }
            Ok(Some(Vec::new()))
        }
        fn done(&self) -> u64 {
            self.0
        }
    }

    fn opened(inline: bool) -> Opened<'static> {
        Opened {
            name: "dies.fgb".into(),
            crs: Crs::wgs84(),
            total: None,
            unit: Unit::Features,
            stream: Some(Box::new(Dies(0))),
            ahead: None,
            done: 0,
            prep: Prep {
                source: "dies.fgb".into(),
                id_field: None,
                repair: false,
            },
            diagnostics: Vec::new(),
            extent: None,
            target: Crs::parse("EPSG:4546").unwrap(),
            inline,
        }
    }

    /// Hostile input, class 1: a reader that panics fails the read with the reason, on the
    /// audit's reader thread and on the calling thread alike; it never ends the stream as
    /// if the file were done.
    #[test]
    fn a_reader_that_panics_is_an_error_not_the_end() {
        for inline in [false, true] {
            let mut o = opened(inline);
            let mut ids = IdBook::default();
            assert!(o.next(10, &mut ids).unwrap().is_some());
            let err = match o.next(10, &mut ids) {
                Err(e) => e.to_string(),
                Ok(_) => panic!("a dead reader passed as the end of the file"),
            };
            assert!(
                err.contains("the reader failed") && err.contains("index out of bounds"),
                "{err}"
            );
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(64))]

        /// The features array is split where its elements end, whatever their strings hold
        /// (quotes, backslashes, brackets, braces, commas, escaped line ends), however the
        /// file is laid out, wherever a block ends (61 bytes in tests); a malformed feature
        /// is named by the line it starts on.
        #[test]
        fn the_scanner_splits_features_where_they_end(
            names in proptest::collection::vec("[a-z\"\\\\\\[\\]{},\n\u{6c5f}\u{1f30a} ]{0,12}", 1..24),
            gaps in proptest::collection::vec("[ \n\t]{0,3}", 24),
            bad in proptest::option::of(0usize..24),
        ) {
            let target = Crs::wgs84();
            let mut text = String::from("{\"type\": \"FeatureCollection\",\n\"features\": [");
            let mut lines = Vec::new();
            for (i, name) in names.iter().enumerate() {
                if i > 0 {
                    text.push(',');
                }
                text.push_str(&gaps[i]);
                lines.push(text.matches('\n').count() + 1);
                let coords = if bad == Some(i) { "[111.3, @]" } else { "[111.3, 30.7]" };
                text.push_str(&format!(
                    "{{\"type\": \"Feature\", \"properties\": {{\"name\": {}, \"n\": [{i}, {{\"k\": \"]}}\"}}]}},\n \"geometry\": {{\"type\": \"Point\", \"coordinates\": {coords}}}}}",
                    serde_json::to_string(name).unwrap()
                ));
            }
            text.push_str("\n]}\n");
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join("t.geojson");
            std::fs::write(&path, &text).unwrap();
            let src = crate::io::read(&path, ReadOptions::new(&target)).unwrap();
            proptest::prop_assert_eq!(src.read, names.len());
            let kept: Vec<(usize, &str)> = src
                .features
                .iter()
                .map(|f| (f.fref.index, f.properties["name"].as_str().unwrap()))
                .collect();
            let want: Vec<(usize, &str)> = names
                .iter()
                .enumerate()
                .filter(|(i, _)| bad != Some(*i))
                .map(|(i, n)| (i, n.as_str()))
                .collect();
            proptest::prop_assert_eq!(kept, want);
            if let Some(i) = bad.filter(|&i| i < names.len()) {
                let d = &src.diagnostics[0];
                let line = lines[i] + 1;
                proptest::prop_assert!(
                    d.message.contains(&format!("line {line}")),
                    "feature {} on line {}: {}", i, line, d.message
                );
            }
        }
    }
}
