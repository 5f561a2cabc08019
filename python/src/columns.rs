//! Findings as an Arrow batch whose columns are the JSON report's fields
//! (`ironrule::report::json::finding_json`), flattened: `feature`, `zone` and `measure` become
//! `feature_source`, `feature_index`..., `zone_layer`..., `measure_kind`...; the nested and
//! variable members (`nearest`, `citation`, `undetermined`, `triage`, `terrain`, `plan`) are JSON text;
//! `geometry` is WKB in `geometry_crs` (the source's CRS, as in the JSON report).

use arrow_array::builder::{BinaryBuilder, Float64Builder, StringBuilder, UInt64Builder};
use arrow_array::{ArrayRef, RecordBatch};
use arrow_schema::{ArrowError, DataType, Field, Schema};
use ironrule::model::Finding;
use ironrule::report::Report;
use rayon::prelude::*;
use serde::Serialize;
use std::collections::BTreeMap;
use std::sync::Arc;

/// The text a value serializes to, for enums that serialize as strings (`"distance"`).
fn text<T: Serialize>(t: &T) -> String {
    match serde_json::to_value(t) {
        Ok(serde_json::Value::String(s)) => s,
        Ok(other) => other.to_string(),
        Err(_) => String::new(),
    }
}

fn json<T: Serialize>(t: &T) -> String {
    serde_json::to_string(t).unwrap_or_default()
}

/// One finding as the batch's cells, made on a worker thread (its geometry placed in the
/// source's CRS and encoded); the finding is consumed.
pub struct Row {
    code: String,
    name: String,
    severity: ironrule::model::Severity,
    status: &'static str,
    source: std::sync::Arc<str>,
    index: u64,
    feature_id: Option<String>,
    feature_name: Option<String>,
    zone_layer: String,
    zone_id: Option<String>,
    zone_name: Option<String>,
    kind: String,
    value: f64,
    unit: String,
    limit: f64,
    op: String,
    share: Option<f64>,
    nearest: Option<String>,
    message: String,
    resolution: Option<String>,
    citation: String,
    approval: Option<String>,
    exception: Option<String>,
    undetermined: Option<String>,
    triage: String,
    fingerprint: String,
    terrain: Option<String>,
    plan: Option<String>,
    wkb: Option<Vec<u8>>,
    crs: String,
    /// audit's `findings.csv` line and the feature's district (Spark).
    csv_row: Option<String>,
    district: Option<String>,
}

impl Row {
    /// `place` is a report in the working CRS that knows the source's CRS (one per thread:
    /// it caches its transforms).
    /// `lean`: only what `findings.csv` and the Spark audit read is made; the offending part
    /// (placed in the source's CRS and encoded), the resolution, the fingerprint and the JSON
    /// members are left empty (Spark keeps `findings.csv`'s columns by default).
    pub fn of(place: &Report, f: Finding, audit: bool, lean: bool, district: Option<&str>) -> Row {
        let csv_row = audit.then(|| {
            let mut line = String::new();
            ironrule::report::csv::write_row(&mut line, &ironrule::report::csv::Row::from(&f));
            line
        });
        if lean {
            return Row::lean(f, csv_row, district);
        }
        let placed = place.in_source_crs(&f);
        let wkb = placed.geometry.as_ref().map(|g| {
            let mut w = Vec::with_capacity(64);
            ironrule::io::wkb::encode(g, &mut w);
            w
        });
        let (resolution, fingerprint) = (
            ironrule::report::resolution(&f, place.lang),
            ironrule::report::fingerprint(&f),
        );
        let (nearest, citation, undetermined, triage, terrain, plan) = (
            placed.nearest.as_ref().map(json),
            json(&f.citation),
            f.undetermined.as_ref().map(json),
            json(&f.triage),
            f.terrain.as_ref().map(json),
            f.plan.as_ref().map(json),
        );
        Row {
            nearest,
            citation,
            undetermined,
            triage,
            terrain,
            plan,
            resolution,
            fingerprint,
            wkb,
            crs: placed.crs,
            ..Row::lean(f, csv_row, district)
        }
    }

    /// The cells every row has, all that a lean row holds ([`Row::of`] adds the rest).
    fn lean(f: Finding, csv_row: Option<String>, district: Option<&str>) -> Row {
        Row {
            severity: f.severity,
            status: f.status(),
            kind: text(&f.measure.kind),
            unit: text(&f.measure.unit),
            op: text(&f.measure.op),
            nearest: None,
            citation: String::new(),
            undetermined: None,
            triage: String::new(),
            terrain: None,
            plan: None,
            value: f.measure.value,
            limit: f.measure.limit,
            share: f.share_of_footprint,
            index: f.feature.index as u64,
            source: f.feature.source,
            feature_id: f.feature.id,
            feature_name: f.feature_name,
            zone_layer: f.zone.layer,
            zone_id: f.zone.id,
            zone_name: f.zone.name,
            code: f.code,
            name: f.rule_name,
            message: f.message,
            approval: f.approval,
            exception: f.exception,
            resolution: None,
            fingerprint: String::new(),
            wkb: None,
            crs: String::new(),
            csv_row,
            district: district.map(str::to_owned),
        }
    }

    /// The text cells, in [`LAYOUT`]'s order of text columns.
    fn texts(&self) -> [Option<&str>; TEXTS] {
        [
            Some(&self.code),
            Some(&self.name),
            Some(self.severity.as_str()),
            Some(self.status),
            Some(&self.source),
            self.feature_id.as_deref(),
            self.feature_name.as_deref(),
            Some(&self.zone_layer),
            self.zone_id.as_deref(),
            self.zone_name.as_deref(),
            Some(&self.kind),
            Some(&self.unit),
            Some(&self.op),
            self.nearest.as_deref(),
            Some(&self.message),
            self.resolution.as_deref(),
            Some(&self.citation),
            self.approval.as_deref(),
            self.exception.as_deref(),
            self.undetermined.as_deref(),
            Some(&self.triage),
            Some(&self.fingerprint),
            self.terrain.as_deref(),
            self.plan.as_deref(),
            Some(&self.crs),
            self.csv_row.as_deref(),
            self.district.as_deref(),
        ]
    }

    pub fn code(&self) -> &str {
        &self.code
    }

    pub fn severity(&self) -> ironrule::model::Severity {
        self.severity
    }

    pub fn status(&self) -> &'static str {
        self.status
    }
}

/// The batch being built, row by row.
pub struct Columns {
    audit: bool,
    strings: Vec<StringBuilder>,
    index: UInt64Builder,
    numbers: [Float64Builder; 3],
    geometry: BinaryBuilder,
}

/// A column of the batch: text (filled from [`Row`]'s strings in this order) or one of the
/// typed ones.
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
        Columns::for_rows(audit, &[])
    }

    /// Columns with room for `rows`: every text column's bytes counted first, so that no
    /// buffer grows (and is copied) while the rows go in.
    fn for_rows(audit: bool, rows: &[Row]) -> Columns {
        let mut bytes = [0usize; TEXTS];
        for r in rows {
            for (n, t) in bytes.iter_mut().zip(r.texts()) {
                *n += t.map_or(0, str::len);
            }
        }
        let wkb: usize = rows
            .iter()
            .map(|r| r.wkb.as_ref().map_or(0, Vec::len))
            .sum();
        let n = rows.len();
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

    pub fn push(&mut self, r: &Row) {
        for (b, v) in self.strings.iter_mut().zip(r.texts()) {
            b.append_option(v);
        }
        self.index.append_value(r.index);
        self.numbers[0].append_value(r.value);
        self.numbers[1].append_value(r.limit);
        self.numbers[2].append_option(r.share);
        match &r.wkb {
            Some(w) => self.geometry.append_value(w),
            None => self.geometry.append_null(),
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

/// Rows as batches in their order, each built by one worker from a contiguous run of rows
/// (the rows are dropped there too): appending 27 text columns row by row on one thread was
/// a fifth of a million-parcel check.
pub fn batches(rows: Vec<Row>, audit: bool) -> Result<Vec<RecordBatch>, ArrowError> {
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let run = rows
        .len()
        .div_ceil(rayon::current_num_threads())
        .max(MIN_RUN);
    rows.into_par_iter()
        .chunks(run)
        .map(|run| {
            let mut columns = Columns::for_rows(audit, &run);
            for r in &run {
                columns.push(r);
            }
            columns.finish()
        })
        .collect()
}

/// Fewer rows than this are not worth a batch of their own.
const MIN_RUN: usize = 1024;

/// A whole report's findings (the share pass's path) as rows, worded in parallel with a
/// transform cache per chunk.
pub fn rows_of(report: &mut Report) -> Vec<Row> {
    let (working, sources, lang) = (
        report.working_crs.clone(),
        report.source_crs.clone(),
        report.lang,
    );
    let findings = std::mem::take(&mut report.findings);
    findings
        .into_par_iter()
        .with_min_len(1024)
        .map_init(
            || {
                let mut place = Report::default();
                place.working_crs = working.clone();
                place.source_crs = sources.clone();
                place.lang = lang;
                place
            },
            |place, f| Row::of(place, f, false, false, None),
        )
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
