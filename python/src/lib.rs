//! `ironrule._ironrule`: the Python package's extension module. It holds no checking of its
//! own: Arrow batches become a feature stream ([`ironrule::io::RawStream`]) opened like a
//! file ([`ironrule::io::stream::from_stream`]), checked by [`ironrule::engine::Checker`]
//! through the same pipeline as `check` and `audit`, and the findings go back as an Arrow
//! batch whose columns are the JSON report's fields ([`columns`]).
//!
//! Arrow crosses the boundary through the Arrow C data interface: Python exports each batch
//! into an [`ArrowSlot`] (`RecordBatch._export_to_c`) and imports the result from one
//! (`RecordBatch._import_from_c`), so no feature becomes a Python object on the way.

mod arrow_in;
mod columns;

// Rust's own allocations only (Python objects keep Python's allocator); Arrow buffers handed to
// pyarrow are freed through their release callbacks, by this same allocator.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use arrow_array::ffi::{from_ffi, to_ffi, FFI_ArrowArray, FFI_ArrowSchema};
use arrow_array::{Array, RecordBatch, StructArray};
use ironrule::engine::{Checker, ReadRequest};
use ironrule::model::{Diagnostic, Lang, Level, Severity, Triage};
use ironrule::report::Report;
use pyo3::create_exception;
use pyo3::exceptions::PyException;
use pyo3::prelude::*;
use serde_json::json;
use std::path::PathBuf;

create_exception!(
    _ironrule,
    Error,
    PyException,
    "Anything ironrule refuses; the message is the command line's."
);
create_exception!(
    _ironrule,
    ProjectError,
    Error,
    "The project (ironrule.toml, its layers, DEMs or rule packs) does not load: the CLI's exit 2."
);
create_exception!(
    _ironrule,
    InputError,
    Error,
    "The input cannot be checked (no geometry column, an unreadable column, too many features, or features rejected): the CLI's exit 2."
);
create_exception!(
    _ironrule,
    CrsError,
    InputError,
    "The input's CRS is missing, unknown or cannot be transformed into the working CRS."
);

/// A library error as the Python exception of its kind; the message is the CLI's.
fn input_error(e: ironrule::Error) -> PyErr {
    match e {
        ironrule::Error::Crs(e) => CrsError::new_err(e.to_string()),
        other => InputError::new_err(other.to_string()),
    }
}

/// Room for one Arrow batch crossing the boundary (the C data interface's two structs).
#[pyclass(module = "ironrule._ironrule", unsendable)]
struct ArrowSlot {
    array: Box<FFI_ArrowArray>,
    schema: Box<FFI_ArrowSchema>,
}

#[pymethods]
impl ArrowSlot {
    #[new]
    fn new() -> ArrowSlot {
        ArrowSlot {
            array: Box::new(FFI_ArrowArray::empty()),
            schema: Box::new(FFI_ArrowSchema::empty()),
        }
    }

    /// The address of the `ArrowArray` struct (for `_export_to_c` / `_import_from_c`).
    #[getter]
    fn array_address(&mut self) -> usize {
        &mut *self.array as *mut FFI_ArrowArray as usize
    }

    /// The address of the `ArrowSchema` struct.
    #[getter]
    fn schema_address(&mut self) -> usize {
        &mut *self.schema as *mut FFI_ArrowSchema as usize
    }
}

impl ArrowSlot {
    /// Takes the batch a producer exported into the slot.
    fn take(&mut self) -> PyResult<RecordBatch> {
        let array = std::mem::replace(&mut *self.array, FFI_ArrowArray::empty());
        let schema = std::mem::replace(&mut *self.schema, FFI_ArrowSchema::empty());
        // SAFETY: the producer (pyarrow's `_export_to_c`) filled both structs per the C data
        // interface; they are moved out here and released when dropped.
        let data = unsafe { from_ffi(array, &schema) }
            .map_err(|e| InputError::new_err(format!("not an Arrow record batch: {e}")))?;
        let fields = arrow_schema::Schema::try_from(&schema)
            .map_err(|e| InputError::new_err(format!("not an Arrow record batch: {e}")))?;
        let array = StructArray::from(data);
        let (_, columns, nulls) = array.into_parts();
        if nulls.is_some_and(|n| n.null_count() > 0) {
            return Err(InputError::new_err("an Arrow batch with null rows"));
        }
        RecordBatch::try_new(std::sync::Arc::new(fields), columns)
            .map_err(|e| InputError::new_err(format!("not an Arrow record batch: {e}")))
    }

    /// Puts a batch into the slot for a consumer to import.
    fn put(batch: RecordBatch) -> PyResult<ArrowSlot> {
        let data = StructArray::from(batch).into_data();
        let (array, schema) =
            to_ffi(&data).map_err(|e| Error::new_err(format!("exporting the findings: {e}")))?;
        Ok(ArrowSlot {
            array: Box::new(array),
            schema: Box::new(schema),
        })
    }
}

/// A project loaded and indexed once: zone layers in R-trees, rule packs, DEMs.
#[pyclass(module = "ironrule._ironrule", frozen)]
struct Project {
    checker: Checker,
    path: PathBuf,
    lang: Lang,
}

/// How `_check` reads a table and what it returns.
#[derive(Clone, Debug)]
struct Options {
    geometry: Option<String>,
    crs: Option<String>,
    id_field: Option<String>,
    source: String,
    index_offset: usize,
    index_column: Option<String>,
    /// Judge the table as one submission (share rules' second pass), as `check` does;
    /// otherwise stream it as `audit` does.
    whole: bool,
    repair: bool,
    /// Add audit's columns: the `findings.csv` row and the district.
    audit_columns: bool,
    /// Make only the columns `findings.csv` and the Spark audit read ([`columns::Shape::lean`]).
    lean: bool,
    /// Look for duplicate ids within the call (off when the caller looks across calls).
    duplicate_ids: bool,
}

#[pymethods]
impl Project {
    #[new]
    #[pyo3(signature = (path, lang = "en"))]
    fn new(py: Python<'_>, path: PathBuf, lang: &str) -> PyResult<Project> {
        let lang = match lang {
            "en" => Lang::En,
            "zh" => Lang::Zh,
            other => {
                return Err(pyo3::exceptions::PyValueError::new_err(format!(
                    "lang must be \"en\" or \"zh\", not {other:?}"
                )))
            }
        };
        let checker = py.detach(|| -> Result<Checker, String> {
            let project = ironrule::project::Project::load(&path).map_err(|e| e.to_string())?;
            let mut checker = Checker::load(project).map_err(|e| e.to_string())?;
            checker.lang = lang;
            Ok(checker)
        });
        let checker = checker.map_err(ProjectError::new_err)?;
        Ok(Project {
            checker,
            path,
            lang,
        })
    }

    /// The project file this was loaded from.
    #[getter]
    fn path(&self) -> PathBuf {
        self.path.clone()
    }

    /// `"en"` or `"zh"`: the language of messages.
    #[getter]
    fn lang(&self) -> &'static str {
        match self.lang {
            Lang::En => "en",
            Lang::Zh => "zh",
        }
    }

    /// The working CRS's name (`EPSG:4546` for Yichang).
    #[getter]
    fn working_crs(&self) -> String {
        self.checker.project.crs.name.clone()
    }

    /// The project's name.
    #[getter]
    fn name(&self) -> Option<String> {
        self.checker.project.name.clone()
    }

    /// The rules as JSON: code, name, severity, summary, citation (the report's rule docs).
    fn _rules_json(&self) -> PyResult<String> {
        let docs: Vec<_> = self
            .checker
            .rules()
            .map(|r| {
                let doc = ironrule::report::RuleDoc::new(r, self.lang);
                json!({
                    "code": r.code,
                    "name": r.name,
                    "severity": r.severity,
                    "summary": doc.summary,
                    "citation": r.citation,
                    "approval": r.approval,
                })
            })
            .collect();
        serde_json::to_string(&docs).map_err(|e| Error::new_err(e.to_string()))
    }

    /// Whether a rule reads this attribute (or one of its dictionary aliases): the columns
    /// worth sending.
    fn reads(&self, attribute: &str) -> bool {
        self.checker.projection.keeps(attribute)
    }

    /// The audit's notes (zone-layer warnings, share rules not evaluated), as JSON.
    fn _audit_notes_json(&self) -> String {
        let notes: Vec<_> = ironrule::audit::notes(&self.checker)
            .iter()
            .map(|d| json!({"diagnostic": d, "row": ironrule::audit::diagnostic_row(d)}))
            .collect();
        json!(notes).to_string()
    }

    /// Checks the batches exported into `slots` as one source. Returns the findings (slots
    /// to import, at least one: the batches of one table, built in parallel) and a JSON object: `read`, `checked`, `rejected`, `diagnostics`,
    /// `summary` and `exit_code`.
    #[allow(clippy::too_many_arguments)]
    #[pyo3(signature = (slots, *, geometry=None, crs=None, id_field=None, source="<arrow>".to_owned(), index_offset=0, index_column=None, whole=true, repair=false, audit_columns=false, lean=false, duplicate_ids=true))]
    fn _check(
        &self,
        py: Python<'_>,
        slots: Vec<PyRefMut<'_, ArrowSlot>>,
        geometry: Option<String>,
        crs: Option<String>,
        id_field: Option<String>,
        source: String,
        index_offset: usize,
        index_column: Option<String>,
        whole: bool,
        repair: bool,
        audit_columns: bool,
        lean: bool,
        duplicate_ids: bool,
    ) -> PyResult<(Vec<ArrowSlot>, String)> {
        let mut batches = Vec::with_capacity(slots.len());
        for mut s in slots {
            batches.push(s.take()?);
        }
        let options = Options {
            geometry,
            crs,
            id_field,
            source,
            index_offset,
            index_column,
            whole,
            repair,
            audit_columns,
            lean,
            duplicate_ids,
        };
        let (found, meta) = py.detach(|| check(&self.checker, batches, &options))?;
        let slots = found
            .into_iter()
            .map(ArrowSlot::put)
            .collect::<PyResult<Vec<_>>>()?;
        Ok((slots, meta))
    }

    /// `summary.json` for counts gathered elsewhere (the Spark audit), shaped by the same
    /// function as `ironrule audit`'s. `counts` is a JSON object with `sources`, `by_rule`
    /// (code → [findings, features]), `by_severity`, `by_district`, `errors`, `warnings`,
    /// `undetermined`, `seconds`.
    fn _summary_json(&self, counts: &str, out_dir: PathBuf) -> PyResult<String> {
        let outcome = columns::outcome(counts).map_err(Error::new_err)?;
        let settings = ironrule::audit::Settings {
            layer: false,
            ..Default::default()
        };
        let v = ironrule::audit::summary_json(&self.checker, &outcome, &out_dir, settings);
        serde_json::to_string_pretty(&v).map_err(|e| Error::new_err(e.to_string()))
    }

    /// The warning for a source whose accepted features span `extent` (working CRS), far
    /// from the working CRS's central meridian; as JSON, `null` when there is none.
    fn _closing_json(&self, source: &str, extent: [f64; 4]) -> String {
        let rect = geo::Rect::new(
            geo::coord! { x: extent[0], y: extent[1] },
            geo::coord! { x: extent[2], y: extent[3] },
        );
        let d = ironrule::io::meridian_warning(&self.checker.project.crs, rect)
            .map(|why| Diagnostic::warning(source, why));
        json!(d.map(|d| json!({"diagnostic": d, "row": ironrule::audit::diagnostic_row(&d)})))
            .to_string()
    }

    /// Rebuilt from its path and language on unpickling (Spark ships it to executors so).
    fn __reduce__(slf: &Bound<'_, Self>) -> PyResult<(Py<PyAny>, (PathBuf, &'static str))> {
        let py = slf.py();
        let me = slf.get();
        let cls = py.get_type::<Project>().into_any().unbind();
        Ok((cls, (me.path.clone(), me.lang())))
    }

    fn __repr__(&self) -> String {
        format!(
            "Project({:?}, lang={:?}: {} rules, working CRS {})",
            self.path.display().to_string(),
            self.lang(),
            self.checker.rules().count(),
            self.checker.project.crs.name
        )
    }
}

/// The checking itself, without the GIL.
fn check(
    checker: &Checker,
    batches: Vec<RecordBatch>,
    o: &Options,
) -> PyResult<(Vec<RecordBatch>, String)> {
    let input = arrow_in::Input::new(checker, batches, o).map_err(|e| match e {
        arrow_in::Problem::Crs(m) => CrsError::new_err(m),
        arrow_in::Problem::Input(m) => InputError::new_err(m),
    })?;
    let crs = input.crs.clone();
    let crs_name = crs.name.clone();
    let total = input.rows() as u64;
    let request = ReadRequest {
        assume_crs: None,
        id_field: o.id_field.as_deref(),
        layer: None,
        repair: o.repair,
        encoding: None,
        all_attributes: false,
    };
    let opened = ironrule::io::stream::from_stream(
        &o.source,
        crs,
        Some(total),
        Box::new(input),
        checker.read_options(&request),
    );
    let citations = columns::Citations::of(checker);
    let has_share = checker
        .rules()
        .any(|r| matches!(r.test, ironrule::rules::Test::Share { .. }));
    let out = if o.whole && has_share {
        let source = checker
            .check_opened(opened, &request)
            .map_err(input_error)?;
        let mut report = ironrule::report::build::build(checker, vec![source], false);
        let found = columns::batches(columns::chunks_of(&mut report, &citations), o.audit_columns)
            .map_err(|e| Error::new_err(format!("building the findings batch: {e}")))?;
        Checked {
            found,
            summary: report.summary,
            diagnostics: report.diagnostics,
            extent: None,
        }
    } else {
        stream(checker, opened, o, &citations)?
    };
    let mut found = out.found;
    if found.is_empty() {
        // No finding: one empty batch carries the schema.
        found.push(
            columns::Columns::new(o.audit_columns)
                .finish()
                .map_err(|e| Error::new_err(format!("building the findings batch: {e}")))?,
        );
    }
    let errors = out
        .diagnostics
        .iter()
        .filter(|d| d.level == Level::Error)
        .count();
    let worst = out.summary.by_severity.keys().max().copied();
    let exit_code = ironrule::report::exit_code(errors > 0, worst, Some(Severity::Prohibited));
    let meta = json!({
        "crs": crs_name,
        "extent": out.extent,
        "diagnostic_lines": out.diagnostics.iter().map(|d| d.to_string()).collect::<Vec<_>>(),
        "diagnostic_rows": out.diagnostics.iter().map(ironrule::audit::diagnostic_row).collect::<Vec<_>>(),
        "read": out.summary.read,
        "checked": out.summary.checked,
        "rejected": out.summary.rejected,
        "errors": errors,
        "summary": out.summary,
        "diagnostics": out.diagnostics,
        "exit_code": exit_code,
    });
    Ok((found, meta.to_string()))
}

/// A table checked: its findings' columns, counts and diagnostics, and (streamed) the box
/// around its accepted features (working CRS).
struct Checked {
    /// The findings, in order, as batches.
    found: Vec<RecordBatch>,
    summary: ironrule::report::Summary,
    diagnostics: Vec<Diagnostic>,
    extent: Option<[f64; 4]>,
}

/// The table streamed batch by batch as `audit` does: each feature evaluated, worded and
/// made into its rows in the parallel pass, settled in order and appended, so no finding
/// outlives its batch. No share pass (the audit's notes say so).
fn stream(
    checker: &Checker,
    mut opened: ironrule::io::stream::Opened<'_>,
    o: &Options,
    citations: &columns::Citations,
) -> PyResult<Checked> {
    let shape = columns::Shape {
        audit: o.audit_columns,
        lean: o.lean,
    };
    let mut place = Report::of(checker);
    place
        .source_crs
        .insert(opened.name.clone(), opened.crs.clone());
    let (working, sources, lang) = (
        place.working_crs.clone(),
        place.source_crs.clone(),
        place.lang,
    );
    // A Spark task is one slice of a source: the driver says the notes, and the closing
    // warning from the whole extent, once.
    let slice = o.audit_columns;
    let mut diagnostics: Vec<Diagnostic> = match slice {
        true => Vec::new(),
        false => ironrule::audit::notes(checker),
    };
    diagnostics.append(&mut opened.diagnostics);
    let mut extent: Option<geo::Rect<f64>> = None;
    // Sized up front (the table's rows are known): no rehashing a million ids. Off when the
    // caller looks across calls (Spark's tasks: the driver looks across the whole source).
    let mut ids = match o.duplicate_ids {
        true => {
            ironrule::io::IdBook::with_capacity(opened.total.unwrap_or(0).min(1 << 20) as usize)
        }
        false => ironrule::io::IdBook::off(),
    };
    let mut found = Vec::new();
    let mut summary = ironrule::report::Summary::default();
    loop {
        let pending = opened
            .next_pending(
                ironrule::io::stream::DEFAULT_BATCH,
                || {
                    // A transform cache per thread.
                    let mut p = Report::default();
                    p.working_crs = working.clone();
                    p.source_crs = sources.clone();
                    p.lang = lang;
                    columns::Scratch::new(p)
                },
                |scratch, f| match checker.evaluate(f) {
                    Ok(c) => {
                        let district = checker.district_of(&c.footprint);
                        let mut worded: Vec<_> = c
                            .found
                            .iter()
                            .map(|x| (x, checker.word(&c.fref, &c.properties, x)))
                            .collect();
                        if o.whole {
                            // `check`'s order within a feature (code, then zone; audit's is
                            // rule by rule); features come in source order.
                            worded.sort_by(|(a, v), (b, w)| {
                                (&a.rule.code, &v.zone.layer, v.zone.id, &v.zone.name).cmp(&(
                                    &b.rule.code,
                                    &w.zone.layer,
                                    w.zone.id,
                                    &w.zone.name,
                                ))
                            });
                        }
                        let mut chunk = columns::Chunk::default();
                        for (x, w) in &worded {
                            let cells = ironrule::report::Cells::of_worded(
                                &c.fref,
                                c.name(),
                                x,
                                w,
                                &Triage::Active,
                            );
                            chunk.push(scratch, citations, &cells, shape, district);
                        }
                        Ok(chunk)
                    }
                    Err(d) => Err(d),
                },
            )
            .map_err(input_error)?;
        let Some(pending) = pending else { break };
        if let Some(b) = pending.bbox() {
            extent = Some(extent.map_or(b, |e| ironrule::geom::union_rect(e, b)));
        }
        let processed = pending.settle(&mut ids);
        summary.read += processed.read;
        diagnostics.extend(processed.diagnostics);
        let mut batch = Vec::with_capacity(processed.results.len());
        for r in processed.results {
            match r {
                Ok(chunk) => {
                    summary.checked += 1;
                    for (code, severity, status) in chunk.rows() {
                        summary.findings += 1;
                        summary.undetermined += usize::from(status == "undetermined");
                        *summary.by_severity.entry(severity).or_default() += 1;
                        match summary.by_rule.get_mut(code) {
                            Some(n) => *n += 1,
                            None => {
                                summary.by_rule.insert(code.to_owned(), 1);
                            }
                        }
                    }
                    batch.push(chunk);
                }
                Err(d) => diagnostics.push(*d),
            }
        }
        // The batch's columns, built on every core.
        found.extend(
            columns::batches(batch, o.audit_columns)
                .map_err(|e| Error::new_err(format!("building the findings batch: {e}")))?,
        );
    }
    if !slice {
        diagnostics.extend(opened.closing());
    }
    summary.rejected = summary.read - summary.checked;
    Ok(Checked {
        found,
        summary,
        diagnostics,
        extent: extent.map(|r| [r.min().x, r.min().y, r.max().x, r.max().y]),
    })
}

/// A `diagnostics.csv` row (audit's emitter) for a diagnostic the Spark driver makes: a
/// note, or a duplicate id found across partitions.
#[pyfunction]
#[pyo3(signature = (level, source, message, feature_index=None, feature_id=None))]
fn diagnostic_row(
    level: &str,
    source: &str,
    message: &str,
    feature_index: Option<usize>,
    feature_id: Option<&str>,
) -> PyResult<String> {
    let d = match level {
        "error" => Diagnostic::error(source, message),
        "warning" => Diagnostic::warning(source, message),
        other => return Err(Error::new_err(format!("no diagnostic level {other:?}"))),
    };
    let d = match feature_index {
        Some(i) => d.feature(i, feature_id),
        None => d,
    };
    Ok(ironrule::audit::diagnostic_row(&d))
}

/// The warning for a feature whose id feature `first` of its source already has.
#[pyfunction]
fn duplicate_id(first: usize) -> String {
    ironrule::io::duplicate_id(first)
}

/// `mi_option_purge_delay` (mimalloc.h), as in src/main.rs.
const MI_OPTION_PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

#[pymodule]
fn _ironrule(m: &Bound<'_, PyModule>) -> PyResult<()> {
    // A check frees each batch's memory and allocates the next's a moment later; returned to
    // the OS after mimalloc's default 10 ms, it comes back as fresh pages the kernel zeroes
    // (half of a 1M-parcel check's profile; with a 1 s delay still 11-15 s in Rust, kept
    // 8.3-8.7 s). Kept, as the binary keeps it: the process's peak stays its peak, as
    // pyarrow's own allocator does.
    // SAFETY: an option set before this module allocates anything.
    unsafe { libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, -1) };
    let py = m.py();
    m.add_class::<Project>()?;
    m.add_class::<ArrowSlot>()?;
    m.add("Error", py.get_type::<Error>())?;
    m.add("ProjectError", py.get_type::<ProjectError>())?;
    m.add("InputError", py.get_type::<InputError>())?;
    m.add("CrsError", py.get_type::<CrsError>())?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add_function(wrap_pyfunction!(duplicate_id, m)?)?;
    m.add_function(wrap_pyfunction!(diagnostic_row, m)?)?;
    m.add(
        "CSV_HEADER",
        format!("{}\r\n", ironrule::report::csv::header()),
    )?;
    m.add("DIAGNOSTICS_HEADER", ironrule::audit::DIAGNOSTICS_HEADER)?;
    Ok(())
}
