//! Findings as an Arrow batch whose columns are the JSON report's fields
//! (`ironrule::report::json::finding_json`), flattened: `feature`, `zone` and `measure` become
//! `feature_source`, `feature_index`..., `zone_layer`..., `measure_kind`...; the nested and
//! variable members (`nearest`, `citation`, `undetermined`, `triage`, `terrain`) are JSON text;
//! `geometry` is WKB in `geometry_crs` (the source's CRS, as in the JSON report).

use arrow_array::builder::{BinaryBuilder, Float64Builder, StringBuilder, UInt64Builder};
use arrow_array::{ArrayRef, RecordBatch};
use arrow_schema::{ArrowError, DataType, Field, Schema};
use ironrule::report::Report;
use rayon::prelude::*;
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};
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

/// The cells of one finding that take work to make (the rest are borrowed as they are).
struct Cells {
    kind: String,
    unit: String,
    op: String,
    nearest: Option<String>,
    resolution: Option<String>,
    citation: String,
    undetermined: Option<String>,
    triage: String,
    fingerprint: String,
    terrain: Option<String>,
    wkb: Option<Vec<u8>>,
    crs: String,
}

impl Cells {
    fn of(
        place: &Report,
        f: &ironrule::model::Finding,
        citations: &mut HashMap<*const ironrule::model::Citation, String>,
    ) -> Cells {
        let placed = place.in_source_crs(f);
        let citation = citations
            .entry(std::sync::Arc::as_ptr(&f.citation))
            .or_insert_with(|| json(&f.citation))
            .clone();
        Cells {
            kind: text(&f.measure.kind),
            unit: text(&f.measure.unit),
            op: text(&f.measure.op),
            nearest: placed.nearest.as_ref().map(json),
            resolution: ironrule::report::resolution(f, place.lang),
            citation,
            undetermined: f.undetermined.as_ref().map(json),
            triage: json(&f.triage),
            fingerprint: ironrule::report::fingerprint(f),
            terrain: f.terrain.as_ref().map(json),
            wkb: placed.geometry.as_ref().map(|g| {
                let mut w = Vec::with_capacity(64);
                ironrule::io::wkb::encode(g, &mut w);
                w
            }),
            crs: placed.crs,
        }
    }
}

/// The findings of `report` (in its order) as one batch; with `audit`, the `csv_row` and
/// `district` of each finding from `extra`.
pub fn findings(
    report: &Report,
    extra: Option<&super::Extra>,
    audit: bool,
) -> Result<RecordBatch, ArrowError> {
    // Each finding's cells, worded in parallel (chunks with their own transform cache), then
    // appended in order.
    let (working, sources, lang) = (&report.working_crs, &report.source_crs, report.lang);
    let cells: Vec<Cells> = report
        .findings
        .par_chunks(2048)
        .flat_map_iter(|chunk| {
            let mut place = Report::default();
            place.working_crs = working.clone();
            place.source_crs = sources.clone();
            place.lang = lang;
            let mut citations: HashMap<*const ironrule::model::Citation, String> = HashMap::new();
            chunk
                .iter()
                .map(|f| Cells::of(&place, f, &mut citations))
                .collect::<Vec<_>>()
        })
        .collect();
    let n = report.findings.len();
    // Room for the longest text column (the messages), so that no column grows by copying.
    let bytes = report
        .findings
        .iter()
        .map(|f| f.message.len())
        .sum::<usize>()
        + n;
    let strings = |names: &[&str]| -> Vec<(String, StringBuilder)> {
        names
            .iter()
            .map(|s| (s.to_string(), StringBuilder::with_capacity(n, bytes)))
            .collect()
    };
    let mut head = strings(&["code", "name", "severity", "status", "feature_source"]);
    let mut feature_index = UInt64Builder::with_capacity(n);
    let mut mid = strings(&[
        "feature_id",
        "feature_name",
        "zone_layer",
        "zone_id",
        "zone_name",
        "measure_kind",
    ]);
    let mut value = Float64Builder::with_capacity(n);
    let mut unit = StringBuilder::with_capacity(n, n * 2);
    let mut limit = Float64Builder::with_capacity(n);
    let mut op = StringBuilder::with_capacity(n, n * 2);
    let mut share = Float64Builder::with_capacity(n);
    let mut tail = strings(&[
        "nearest",
        "message",
        "resolution",
        "citation",
        "approval",
        "exception",
        "undetermined",
        "triage",
        "fingerprint",
        "terrain",
    ]);
    let mut geometry = BinaryBuilder::with_capacity(
        n,
        cells
            .iter()
            .map(|c| c.wkb.as_ref().map_or(0, Vec::len))
            .sum(),
    );
    let mut geometry_crs = StringBuilder::with_capacity(n, n * 9);
    let mut csv_row = StringBuilder::new();
    let mut district = StringBuilder::new();
    for (i, (f, c)) in report.findings.iter().zip(cells).enumerate() {
        let h = [
            Some(f.code.as_str()),
            Some(f.rule_name.as_str()),
            Some(f.severity.as_str()),
            Some(f.status()),
            Some(&*f.feature.source),
        ];
        for ((_, b), v) in head.iter_mut().zip(h) {
            b.append_option(v);
        }
        feature_index.append_value(f.feature.index as u64);
        let m = [
            f.feature.id.as_deref(),
            f.feature_name.as_deref(),
            Some(f.zone.layer.as_str()),
            f.zone.id.as_deref(),
            f.zone.name.as_deref(),
            Some(c.kind.as_str()),
        ];
        for ((_, b), v) in mid.iter_mut().zip(m) {
            b.append_option(v);
        }
        value.append_value(f.measure.value);
        unit.append_value(&c.unit);
        limit.append_value(f.measure.limit);
        op.append_value(&c.op);
        share.append_option(f.share_of_footprint);
        let t = [
            c.nearest.as_deref(),
            Some(f.message.as_str()),
            c.resolution.as_deref(),
            Some(c.citation.as_str()),
            f.approval.as_deref(),
            f.exception.as_deref(),
            c.undetermined.as_deref(),
            Some(c.triage.as_str()),
            Some(c.fingerprint.as_str()),
            c.terrain.as_deref(),
        ];
        for ((_, b), v) in tail.iter_mut().zip(t) {
            b.append_option(v);
        }
        match &c.wkb {
            Some(w) => geometry.append_value(w),
            None => geometry.append_null(),
        }
        geometry_crs.append_value(&c.crs);
        if audit {
            let (row, d) = extra
                .and_then(|e| e.rows.get(i))
                .map(|(r, d)| (Some(r.as_str()), d.as_deref()))
                .unwrap_or((None, None));
            csv_row.append_option(row);
            district.append_option(d);
        }
    }
    let mut fields = Vec::new();
    let mut arrays: Vec<ArrayRef> = Vec::new();
    let mut put = |name: &str, t: DataType, a: ArrayRef| {
        fields.push(Field::new(name, t, true));
        arrays.push(a);
    };
    for (name, mut b) in head {
        put(&name, DataType::Utf8, Arc::new(b.finish()));
    }
    put(
        "feature_index",
        DataType::UInt64,
        Arc::new(feature_index.finish()),
    );
    for (name, mut b) in mid {
        put(&name, DataType::Utf8, Arc::new(b.finish()));
    }
    put("measure_value", DataType::Float64, Arc::new(value.finish()));
    put("measure_unit", DataType::Utf8, Arc::new(unit.finish()));
    put("measure_limit", DataType::Float64, Arc::new(limit.finish()));
    put("measure_op", DataType::Utf8, Arc::new(op.finish()));
    put(
        "share_of_footprint",
        DataType::Float64,
        Arc::new(share.finish()),
    );
    for (name, mut b) in tail {
        put(&name, DataType::Utf8, Arc::new(b.finish()));
    }
    put("geometry", DataType::Binary, Arc::new(geometry.finish()));
    put(
        "geometry_crs",
        DataType::Utf8,
        Arc::new(geometry_crs.finish()),
    );
    if audit {
        put("csv_row", DataType::Utf8, Arc::new(csv_row.finish()));
        put("district", DataType::Utf8, Arc::new(district.finish()));
    }
    RecordBatch::try_new(Arc::new(Schema::new(fields)), arrays)
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
