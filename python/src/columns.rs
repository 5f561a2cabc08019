//! Findings as an Arrow batch whose columns are the JSON report's fields
//! (`ironrule::report::json::finding_json`), flattened: `feature`, `zone` and `measure` become
//! `feature_source`, `feature_index`..., `zone_layer`..., `measure_kind`...; the nested and
//! variable members (`nearest`, `citation`, `undetermined`, `triage`, `terrain`, `plan`) are JSON text;
//! `geometry` is WKB in `geometry_crs` (the source's CRS, as in the JSON report).
//!
//! A worker words each feature's results straight into a [`Chunk`] (its cells in one text
//! buffer and one WKB buffer, no string per cell), from the worded results as `audit` writes
//! its CSV rows, or from findings on the share pass's path; chunks then become batches on
//! every core.

use arrow_array::builder::{BinaryBuilder, Float64Builder, StringBuilder, UInt64Builder};
use arrow_array::{ArrayRef, RecordBatch};
use arrow_schema::{ArrowError, DataType, Field, Schema};
use ironrule::model::Severity;
use ironrule::report::{Cells, Report};
use rayon::prelude::*;
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;
use std::sync::Arc;

/// Which columns a batch has and which cells are made.
#[derive(Clone, Copy)]
pub struct Shape {
    /// audit's two columns too: the `findings.csv` line and the feature's district (Spark).
    pub audit: bool,
    /// Only what `findings.csv` and the Spark audit read is made: the offending part (placed
    /// in the source's CRS and encoded), the resolution, the fingerprint and the JSON members
    /// are left empty (Spark keeps `findings.csv`'s columns by default).
    pub lean: bool,
}

/// Each rule's citation as JSON, made once per call (every finding of a rule shares its
/// citation), by the citation's address.
#[derive(Default)]
pub struct Citations(HashMap<usize, String>);

impl Citations {
    pub fn of(checker: &ironrule::engine::Checker) -> Citations {
        Citations(
            checker
                .rules()
                .map(|r| (Arc::as_ptr(&r.citation) as usize, json(&*r.citation)))
                .collect(),
        )
    }
}

fn json<T: Serialize + ?Sized>(t: &T) -> String {
    serde_json::to_string(t).unwrap_or_default()
}

/// A cell's place in a chunk's text or WKB buffer; `NULL` for no value.
#[derive(Clone, Copy)]
struct Span {
    start: u32,
    len: u32,
}

const NULL: Span = Span {
    start: 0,
    len: u32::MAX,
};

/// One row's cells: spans of text, then the typed ones.
struct At {
    text: [Span; TEXTS],
    wkb: Span,
    index: u64,
    value: f64,
    limit: f64,
    share: Option<f64>,
    severity: Severity,
}

/// Rows made by one worker (one feature's results, or a run of findings): every text cell in
/// one buffer and every geometry in another, so that a row costs no allocation of its own.
/// Small (three vectors): a batch of features holds one each, empty for most.
#[derive(Default)]
pub struct Chunk {
    text: String,
    wkb: Vec<u8>,
    rows: Vec<At>,
}

/// What a worker keeps between rows: a report in the working CRS that knows the sources'
/// CRSs (it caches its transforms) and a line to write `findings.csv` rows in.
pub struct Scratch {
    pub place: Report,
    line: String,
}

impl Scratch {
    pub fn new(place: Report) -> Scratch {
        Scratch {
            place,
            line: String::new(),
        }
    }
}

/// serde_json into a `String`: it writes whole UTF-8 fragments.
struct Utf8Sink<'a>(&'a mut String);

impl std::io::Write for Utf8Sink<'_> {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        let s = std::str::from_utf8(b).map_err(std::io::Error::other)?;
        self.0.push_str(s);
        Ok(b.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Chunk {
    /// The rows, as the counts read them: code, severity, status.
    pub fn rows(&self) -> impl Iterator<Item = (&str, Severity, &str)> + '_ {
        self.rows.iter().map(|r| {
            (
                self.cell(r.text[0]).unwrap_or(""),
                r.severity,
                self.cell(r.text[3]).unwrap_or(""),
            )
        })
    }

    pub fn len(&self) -> usize {
        self.rows.len()
    }

    fn cell(&self, s: Span) -> Option<&str> {
        (s.len != u32::MAX).then(|| &self.text[s.start as usize..(s.start + s.len) as usize])
    }

    fn span(&self, start: usize) -> Span {
        Span {
            start: start as u32,
            len: (self.text.len() - start) as u32,
        }
    }

    fn put(&mut self, s: Option<&str>) -> Span {
        match s {
            Some(s) => {
                let start = self.text.len();
                self.text.push_str(s);
                self.span(start)
            }
            None => NULL,
        }
    }

    fn put_json<T: Serialize + ?Sized>(&mut self, t: Option<&T>) -> Span {
        match t {
            Some(t) => {
                let start = self.text.len();
                // Into memory: only a map with non-string keys could fail, and none is here.
                serde_json::to_writer(Utf8Sink(&mut self.text), t)
                    .expect("a finding's member serialises into memory");
                self.span(start)
            }
            None => NULL,
        }
    }

    /// Appends one result's row, with the help of a worker's [`Scratch`].
    pub fn push(
        &mut self,
        w: &mut Scratch,
        citations: &Citations,
        c: &Cells<'_>,
        shape: Shape,
        district: Option<&str>,
    ) {
        let place = &w.place;
        let csv_row = match shape.audit {
            true => {
                let mut line = std::mem::take(&mut w.line);
                line.clear();
                ironrule::report::csv::write_row(&mut line, c);
                let span = self.put(Some(&line));
                w.line = line;
                span
            }
            false => NULL,
        };
        let district = match shape.audit {
            true => self.put(district),
            false => NULL,
        };
        let m = c.measure;
        let [code, name, severity, status, source, feature_id, feature_name, zone_layer, zone_id, zone_name, kind, unit, op] = [
            self.put(Some(c.code)),
            self.put(Some(c.name)),
            self.put(Some(c.severity.as_str())),
            self.put(Some(c.status)),
            self.put(Some(&c.feature.source)),
            self.put(c.feature.id.as_deref()),
            self.put(c.feature_name),
            self.put(Some(c.zone.layer)),
            self.put(c.zone.id),
            self.put(c.zone.name),
            self.put(Some(m.kind.as_str())),
            self.put(Some(m.unit.code())),
            self.put(Some(m.op.as_str())),
        ];
        let (
            nearest,
            resolution,
            citation,
            undetermined,
            triage,
            fingerprint,
            terrain,
            plan,
            wkb,
            crs,
        );
        let message = self.put(Some(c.message));
        let (approval, exception) = (self.put(c.approval), self.put(c.exception.as_deref()));
        if shape.lean {
            let empty = self.put(Some(""));
            (nearest, resolution, citation, undetermined) = (NULL, NULL, empty, NULL);
            (triage, fingerprint, terrain, plan) = (empty, empty, NULL, NULL);
            (wkb, crs) = (NULL, empty);
        } else {
            let placed = place.place(&c.feature.source, c.geometry, c.nearest);
            nearest = self.put_json(placed.nearest.as_ref());
            resolution = match ironrule::report::resolution_of(
                c.undetermined,
                m,
                &c.zone,
                c.plan,
                place.lang,
            ) {
                Some(r) => self.put(Some(&r)),
                None => NULL,
            };
            citation = match citations.0.get(&(Arc::as_ptr(c.citation) as usize)) {
                Some(j) => self.put(Some(j)),
                None => self.put_json(Some(&**c.citation)),
            };
            undetermined = self.put_json(c.undetermined);
            triage = self.put_json(Some(c.triage));
            let start = self.text.len();
            let h = ironrule::report::fingerprint_of(c.code, c.feature, &c.zone);
            let _ = write!(self.text, "{h:016x}");
            fingerprint = self.span(start);
            terrain = self.put_json(c.terrain);
            plan = self.put_json(c.plan);
            wkb = match &placed.geometry {
                Some(g) => {
                    let start = self.wkb.len();
                    ironrule::io::wkb::encode(g, &mut self.wkb);
                    Span {
                        start: start as u32,
                        len: (self.wkb.len() - start) as u32,
                    }
                }
                None => NULL,
            };
            crs = self.put(Some(placed.crs));
        }
        let text = [
            code,
            name,
            severity,
            status,
            source,
            feature_id,
            feature_name,
            zone_layer,
            zone_id,
            zone_name,
            kind,
            unit,
            op,
            nearest,
            message,
            resolution,
            citation,
            approval,
            exception,
            undetermined,
            triage,
            fingerprint,
            terrain,
            plan,
            crs,
            csv_row,
            district,
        ];
        self.rows.push(At {
            text,
            wkb,
            index: c.feature.index as u64,
            value: m.value,
            limit: m.limit,
            share: c.share,
            severity: c.severity,
        });
    }
}

/// The batch being built, chunk by chunk.
pub struct Columns {
    audit: bool,
    strings: Vec<StringBuilder>,
    index: UInt64Builder,
    numbers: [Float64Builder; 3],
    geometry: BinaryBuilder,
}

/// A column of the batch: text (filled from a row's text spans in this order) or one of
/// the typed ones.
#[derive(Clone, Copy)]
enum Col {
    Text(&'static str),
    Index,
    Value,
    Limit,
    Share,
    Geometry,
}

/// The columns, in the JSON report's order; the last two (`csv_row`, `district`) only with
/// `audit`.
const LAYOUT: [Col; 32] = [
    Col::Text("code"),
    Col::Text("name"),
    Col::Text("severity"),
    Col::Text("status"),
    Col::Text("feature_source"),
    Col::Index,
    Col::Text("feature_id"),
    Col::Text("feature_name"),
    Col::Text("zone_layer"),
    Col::Text("zone_id"),
    Col::Text("zone_name"),
    Col::Text("measure_kind"),
    Col::Value,
    Col::Text("measure_unit"),
    Col::Limit,
    Col::Text("measure_op"),
    Col::Share,
    Col::Text("nearest"),
    Col::Text("message"),
    Col::Text("resolution"),
    Col::Text("citation"),
    Col::Text("approval"),
    Col::Text("exception"),
    Col::Text("undetermined"),
    Col::Text("triage"),
    Col::Text("fingerprint"),
    Col::Text("terrain"),
    Col::Text("plan"),
    Col::Geometry,
    Col::Text("geometry_crs"),
    Col::Text("csv_row"),
    Col::Text("district"),
];

/// How many of [`LAYOUT`]'s columns are text.
const TEXTS: usize = 27;
const _: () = {
    let (mut i, mut n) = (0, 0);
    while i < LAYOUT.len() {
        if let Col::Text(_) = LAYOUT[i] {
            n += 1;
        }
        i += 1;
    }
    assert!(n == TEXTS, "TEXTS must count LAYOUT's text columns");
};

impl Columns {
    pub fn new(audit: bool) -> Columns {
        Columns::for_chunks(audit, &[])
    }

    /// Columns with room for these chunks' rows: every text column's bytes are counted
    /// first, so that no buffer grows (and is copied) while the rows go in.
    fn for_chunks(audit: bool, chunks: &[Chunk]) -> Columns {
        let mut bytes = [0usize; TEXTS];
        let (mut n, mut wkb) = (0, 0);
        for c in chunks {
            for r in &c.rows {
                for (b, s) in bytes.iter_mut().zip(&r.text) {
                    if s.len != u32::MAX {
                        *b += s.len as usize;
                    }
                }
            }
            n += c.rows.len();
            wkb += c.wkb.len();
        }
        Columns {
            audit,
            strings: bytes
                .iter()
                .map(|&b| StringBuilder::with_capacity(n, b))
                .collect(),
            index: UInt64Builder::with_capacity(n),
            numbers: [
                Float64Builder::with_capacity(n),
                Float64Builder::with_capacity(n),
                Float64Builder::with_capacity(n),
            ],
            geometry: BinaryBuilder::with_capacity(n, wkb),
        }
    }

    fn push(&mut self, c: &Chunk) {
        for r in &c.rows {
            for (b, s) in self.strings.iter_mut().zip(&r.text) {
                b.append_option(c.cell(*s));
            }
            self.index.append_value(r.index);
            self.numbers[0].append_value(r.value);
            self.numbers[1].append_value(r.limit);
            self.numbers[2].append_option(r.share);
            match r.wkb.len {
                u32::MAX => self.geometry.append_null(),
                len => self
                    .geometry
                    .append_value(&c.wkb[r.wkb.start as usize..(r.wkb.start + len) as usize]),
            }
        }
    }

    /// The batch, its columns in the JSON report's order (audit's two last, with `audit`).
    pub fn finish(mut self) -> Result<RecordBatch, ArrowError> {
        let columns = if self.audit {
            LAYOUT.len()
        } else {
            LAYOUT.len() - 2
        };
        let mut fields = Vec::with_capacity(columns);
        let mut arrays: Vec<ArrayRef> = Vec::with_capacity(columns);
        let mut strings = self.strings.iter_mut();
        for col in &LAYOUT[..columns] {
            let (name, t, a): (&str, DataType, ArrayRef) = match *col {
                Col::Text(name) => {
                    let b = strings.next().expect("one builder per text column");
                    (name, DataType::Utf8, Arc::new(b.finish()))
                }
                Col::Index => (
                    "feature_index",
                    DataType::UInt64,
                    Arc::new(self.index.finish()),
                ),
                Col::Value => (
                    "measure_value",
                    DataType::Float64,
                    Arc::new(self.numbers[0].finish()),
                ),
                Col::Limit => (
                    "measure_limit",
                    DataType::Float64,
                    Arc::new(self.numbers[1].finish()),
                ),
                Col::Share => (
                    "share_of_footprint",
                    DataType::Float64,
                    Arc::new(self.numbers[2].finish()),
                ),
                Col::Geometry => (
                    "geometry",
                    DataType::Binary,
                    Arc::new(self.geometry.finish()),
                ),
            };
            fields.push(Field::new(name, t, true));
            arrays.push(a);
        }
        RecordBatch::try_new(Arc::new(Schema::new(fields)), arrays)
    }
}

/// Chunks as batches in their order, each built by one worker from a contiguous run of
/// chunks holding about an equal share of the rows (the chunks are dropped there too):
/// appending 27 text columns row by row on one thread was a fifth of a million-parcel check.
pub fn batches(mut chunks: Vec<Chunk>, audit: bool) -> Result<Vec<RecordBatch>, ArrowError> {
    let total: usize = chunks.iter().map(Chunk::len).sum();
    if total == 0 {
        return Ok(Vec::new());
    }
    let run = total.div_ceil(rayon::current_num_threads()).max(MIN_RUN);
    // Cut from the back, so that each cut is a `split_off` of the tail.
    let mut runs = Vec::new();
    let mut rows = 0;
    for i in (1..chunks.len()).rev() {
        rows += chunks[i].len();
        if rows >= run {
            runs.push(chunks.split_off(i));
            rows = 0;
        }
    }
    runs.push(chunks);
    runs.reverse();
    runs.into_par_iter()
        .map(|run| {
            let mut columns = Columns::for_chunks(audit, &run);
            for c in &run {
                columns.push(c);
            }
            columns.finish()
        })
        .collect()
}

/// Fewer rows than this are not worth a batch of their own.
const MIN_RUN: usize = 1024;

/// A whole report's findings (the share pass's path) as chunks, worded in parallel with a
/// transform cache per chunk.
pub fn chunks_of(report: &mut Report, citations: &Citations) -> Vec<Chunk> {
    let (working, sources, lang) = (
        report.working_crs.clone(),
        report.source_crs.clone(),
        report.lang,
    );
    let findings = std::mem::take(&mut report.findings);
    let shape = Shape {
        audit: false,
        lean: false,
    };
    findings
        .par_chunks(MIN_RUN)
        .map(|run| {
            let mut place = Report::default();
            place.working_crs = working.clone();
            place.source_crs = sources.clone();
            place.lang = lang;
            let mut scratch = Scratch::new(place);
            let mut chunk = Chunk::default();
            for f in run {
                chunk.push(&mut scratch, citations, &Cells::of_finding(f), shape, None);
            }
            chunk
        })
        .collect()
}

/// An audit's outcome from counts gathered elsewhere (JSON; see `Project._summary_json`).
pub fn outcome(counts: &str) -> Result<ironrule::audit::Outcome, String> {
    use ironrule::audit::{Outcome, SourceCounts};
    use ironrule::model::Severity;
    #[derive(serde::Deserialize)]
    struct Source {
        name: String,
        crs: Option<String>,
        read: usize,
        checked: usize,
        rejected: usize,
        findings: usize,
        error: Option<String>,
    }
    #[derive(serde::Deserialize)]
    struct Counts {
        sources: Vec<Source>,
        by_rule: BTreeMap<String, (usize, usize)>,
        by_severity: BTreeMap<String, usize>,
        #[serde(default)]
        by_district: BTreeMap<String, BTreeMap<String, usize>>,
        errors: usize,
        warnings: usize,
        undetermined: usize,
        seconds: f64,
    }
    let c: Counts = serde_json::from_str(counts).map_err(|e| format!("counts: {e}"))?;
    let mut o = Outcome {
        by_rule: c.by_rule,
        by_district: c.by_district,
        errors: c.errors,
        warnings: c.warnings,
        undetermined: c.undetermined,
        seconds: c.seconds,
        ..Outcome::default()
    };
    for (name, n) in c.by_severity {
        let s = Severity::ALL
            .iter()
            .find(|s| s.as_str() == name)
            .ok_or_else(|| format!("counts: unknown severity {name:?}"))?;
        o.by_severity.insert(*s, n);
    }
    for s in c.sources {
        o.read += s.read;
        o.checked += s.checked;
        o.rejected += s.rejected;
        o.findings += s.findings;
        o.sources.push(SourceCounts {
            name: s.name,
            crs: s.crs,
            read: s.read,
            checked: s.checked,
            rejected: s.rejected,
            findings: s.findings,
            error: s.error,
        });
    }
    Ok(o)
}
