//! `ironrule audit`: a whole dataset streamed through the checker. Features are read a batch
//! at a time, validated, transformed and checked in parallel, and their findings written out
//! before the next batch is read, so memory stays flat however many parcels there are.
//!
//! Output, in the output folder, each written to a temporary file and renamed into place only
//! when the audit completes (an interrupted audit leaves none of them half-written):
//! - `findings.csv`: one row per finding (the columns of `check --format csv`);
//! - `findings.geojsonl`: the findings layer, one GeoJSON feature per line (RFC 8142 text
//!   sequence, WGS 84), the offending part as geometry;
//! - `diagnostics.csv`: every rejected feature and every warning, with file, feature and reason;
//! - `summary.json`: counts by rule, severity and district, read/checked/rejected per source,
//!   wall time.

use crate::crs::{Crs, Transformer};
use crate::engine::{Checker, ReadRequest};
use crate::io::stream::{self, Pending, Unit};
use crate::io::IdBook;
use crate::model::Triage;
use crate::model::{Diagnostic, Feature, Level, Severity};
use crate::report::csv;
use crate::triage::{Approvals, Entry, Known};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

pub use crate::io::stream::DEFAULT_BATCH;

/// What the audit reports as it goes (a progress bar, or nothing).
pub trait Progress {
    /// A source was opened; `total` is in `unit`s when known.
    fn start(&mut self, source: &str, total: Option<u64>, unit: Unit);
    /// `done` units of the current source are through, `findings` found so far in it.
    fn advance(&mut self, done: u64, features: u64, findings: u64);
    /// The current source is finished.
    fn finish(&mut self);
}

/// No progress output.
pub struct Silent;

impl Progress for Silent {
    fn start(&mut self, _: &str, _: Option<u64>, _: Unit) {}
    fn advance(&mut self, _: u64, _: u64, _: u64) {}
    fn finish(&mut self) {}
}

/// Read, check and write counts for one source.
#[derive(Clone, Debug, Default)]
pub struct SourceCounts {
    pub name: String,
    pub crs: Option<String>,
    pub read: usize,
    pub checked: usize,
    pub rejected: usize,
    pub findings: usize,
    /// Why the source could not be read at all.
    pub error: Option<String>,
}

/// What an audit found, as `summary.json` says it.
#[derive(Debug, Default)]
pub struct Outcome {
    pub sources: Vec<SourceCounts>,
    pub read: usize,
    pub checked: usize,
    pub rejected: usize,
    pub findings: usize,
    /// Of the findings, the undetermined results (rules that could not be decided), not
    /// waived.
    pub undetermined: usize,
    /// Of the findings, those a valid waiver covers (`--waivers`): reported, not failing.
    pub waived: usize,
    /// Of the findings, those the baseline holds (`--baseline`) and no waiver covers.
    pub baselined: usize,
    /// Entries of the baseline no finding matched: fixed.
    pub fixed: usize,
    /// The waived and baselined findings by severity (the exit code counts the others).
    pub excused_by_severity: BTreeMap<Severity, usize>,
    pub by_rule: BTreeMap<String, (usize, usize)>,
    pub by_severity: BTreeMap<Severity, usize>,
    /// District id → rule code → findings (when the project sets `group_by`).
    pub by_district: BTreeMap<String, BTreeMap<String, usize>>,
    pub errors: usize,
    pub warnings: usize,
    pub seconds: f64,
    /// Findings counted at their feature's first vertex on a fine grid over the project's
    /// area (the report's density map).
    pub density: Option<Density>,
    /// The features with the most prohibited findings, then the most findings (at most
    /// [`WORST`]), worst first, with their findings.csv rows.
    pub worst: Vec<Worst>,
    /// Set when the audit was interrupted: nothing was written.
    pub interrupted: bool,
    /// A findings layer of an earlier run, removed because this run wrote none.
    pub removed: Option<PathBuf>,
}

/// How many of the worst features the report lists.
pub const WORST: usize = 20;

/// Findings counted on a square grid of [`Density::CELLS`]² cells over an area.
#[derive(Clone, Debug)]
pub struct Density {
    pub area: geo::Rect<f64>,
    /// Row-major from the area's south-west corner: findings per cell.
    pub counts: Vec<u32>,
}

impl Density {
    pub const CELLS: usize = 512;

    fn new(area: geo::Rect<f64>) -> Density {
        Density {
            area,
            counts: vec![0; Density::CELLS * Density::CELLS],
        }
    }

    fn add(&mut self, at: geo::Coord<f64>, n: usize) {
        let cell = |v: f64, min: f64, size: f64| {
            let i = ((v - min) / size * Density::CELLS as f64).floor();
            (i.max(0.0) as usize).min(Density::CELLS - 1)
        };
        let (a, b) = (self.area.min(), self.area);
        let i = cell(at.x, a.x, b.width().max(1e-9));
        let j = cell(at.y, a.y, b.height().max(1e-9));
        self.counts[j * Density::CELLS + i] += n as u32;
    }
}

/// One of the worst features: what it broke, and where to read it.
#[derive(Clone, Debug)]
pub struct Worst {
    pub prohibited: usize,
    pub findings: usize,
    pub source: String,
    pub index: usize,
    pub id: Option<String>,
    pub district: Option<String>,
    /// Its findings.csv rows.
    pub rows: String,
}

impl Outcome {
    /// Whether a feature with these counts would be among the [`WORST`] (earlier features
    /// win ties): asked before its entry is built.
    fn ranks(&self, prohibited: usize, findings: usize) -> bool {
        self.worst.len() < WORST
            || self
                .worst
                .last()
                .is_some_and(|l| (l.prohibited, l.findings) < (prohibited, findings))
    }

    /// Puts `w` in its place among the worst.
    fn rank(&mut self, w: Worst) {
        let key = |w: &Worst| (w.prohibited, w.findings);
        let at = self.worst.partition_point(|x| key(x) >= key(&w));
        self.worst.insert(at, w);
        self.worst.truncate(WORST);
    }

    /// Counts one feature's findings by rule, severity and district.
    fn count(&mut self, found: &[Found<'_>], district: Option<&str>) {
        for (code, severity, undetermined, excused) in found {
            match excused {
                Excused::No => self.undetermined += usize::from(*undetermined),
                Excused::Waived => self.waived += 1,
                Excused::Baselined => self.baselined += 1,
            }
            if *excused != Excused::No {
                *self.excused_by_severity.entry(*severity).or_default() += 1;
            }
            match self.by_rule.get_mut(*code) {
                Some(e) => e.0 += 1,
                None => {
                    self.by_rule.insert(code.to_string(), (1, 0));
                }
            }
            *self.by_severity.entry(*severity).or_default() += 1;
            if let Some(d) = district {
                let rules = match self.by_district.get_mut(d) {
                    Some(rules) => rules,
                    None => self.by_district.entry(d.to_owned()).or_default(),
                };
                *rules.entry(code.to_string()).or_default() += 1;
            }
        }
        // Features with at least one finding of the rule.
        let mut codes: Vec<&str> = found.iter().map(|(c, ..)| *c).collect();
        codes.sort_unstable();
        codes.dedup();
        for c in codes {
            if let Some(e) = self.by_rule.get_mut(c) {
                e.1 += 1;
            }
        }
    }

    /// Adds the writer thread's counts: findings by rule, severity and district, and the
    /// diagnostics it wrote.
    fn add(&mut self, other: Outcome) {
        for (code, (findings, features)) in other.by_rule {
            let e = self.by_rule.entry(code).or_default();
            e.0 += findings;
            e.1 += features;
        }
        for (severity, n) in other.by_severity {
            *self.by_severity.entry(severity).or_default() += n;
        }
        for (district, rules) in other.by_district {
            let d = self.by_district.entry(district).or_default();
            for (code, n) in rules {
                *d.entry(code).or_default() += n;
            }
        }
        for (severity, n) in other.excused_by_severity {
            *self.excused_by_severity.entry(severity).or_default() += n;
        }
        self.errors += other.errors;
        self.warnings += other.warnings;
        self.undetermined += other.undetermined;
        self.waived += other.waived;
        self.baselined += other.baselined;
        self.density = other.density;
        self.worst = other.worst;
    }

    /// The run's exit code ([`crate::report::exit_code`]): an error diagnostic is input at
    /// fault.
    pub fn exit_code(&self, fail_on: Option<Severity>) -> u8 {
        // Waived and baselined findings are reported, and fail nothing.
        let worst = self
            .by_severity
            .iter()
            .filter(|(s, n)| **n > self.excused_by_severity.get(s).copied().unwrap_or(0))
            .map(|(s, _)| *s)
            .max();
        crate::report::exit_code(self.errors > 0, worst, fail_on)
    }
}

/// One output file: written under a temporary name, renamed into place at the end.
struct Output {
    target: PathBuf,
    tmp: PathBuf,
    w: BufWriter<File>,
}

impl Output {
    fn create(dir: &Path, name: &str) -> std::io::Result<Output> {
        let (f, tmp) = crate::io::atomic::create_temp(dir, name)?;
        Ok(Output {
            target: dir.join(name),
            tmp,
            w: BufWriter::with_capacity(1 << 20, f),
        })
    }
}

/// The audit's output files, renamed together at the end; the findings layer is optional.
struct Outputs {
    dir: PathBuf,
    csv: Output,
    layer: Option<Output>,
    diagnostics: Output,
}

impl Outputs {
    fn create(dir: &Path, layer: bool) -> std::io::Result<Outputs> {
        std::fs::create_dir_all(dir)?;
        Ok(Outputs {
            dir: dir.to_owned(),
            csv: Output::create(dir, "findings.csv")?,
            layer: layer
                .then(|| Output::create(dir, "findings.geojsonl"))
                .transpose()?,
            diagnostics: Output::create(dir, "diagnostics.csv")?,
        })
    }

    fn all(self) -> impl Iterator<Item = Output> {
        [Some(self.csv), self.layer, Some(self.diagnostics)]
            .into_iter()
            .flatten()
    }

    /// Flushes, syncs and renames every file into place; `summary.json` last. A findings
    /// layer an earlier run left there, when this run writes none, is removed (it would
    /// otherwise sit beside a findings.csv it does not match); its name is returned.
    fn commit(self, summary: &Value, report: &str) -> std::io::Result<Option<PathBuf>> {
        let dir = self.dir.clone();
        let stale = dir.join("findings.geojsonl");
        let stale = (self.layer.is_none() && stale.is_file()).then_some(stale);
        let mut renames = Vec::new();
        for o in self.all() {
            o.w.into_inner().map_err(|e| e.into_error())?.sync_all()?;
            renames.push((o.tmp, o.target));
        }
        for (tmp, target) in renames {
            std::fs::rename(tmp, target)?;
        }
        if let Some(old) = &stale {
            std::fs::remove_file(old)?;
        }
        crate::io::atomic::write_atomic(&dir.join("report.html"), report.as_bytes())?;
        let text = serde_json::to_string_pretty(summary).map_err(std::io::Error::other)?;
        crate::io::atomic::write_atomic(&dir.join("summary.json"), text.as_bytes())?;
        Ok(stale)
    }

    /// Removes the temporary files (interrupted or failed audit).
    fn discard(self) {
        for o in self.all() {
            drop(o.w);
            let _ = std::fs::remove_file(o.tmp);
        }
    }
}

/// How to run an audit.
#[derive(Clone, Copy, Debug)]
pub struct Settings {
    /// Features per batch.
    pub batch: usize,
    /// Write the findings layer (`findings.geojsonl`).
    pub layer: bool,
    /// Start the CSV files with a UTF-8 byte-order mark.
    pub csv_bom: bool,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            batch: DEFAULT_BATCH,
            layer: true,
            csv_bom: false,
        }
    }
}

/// Runs an audit. `stop` is polled between batches (Ctrl-C): when set, the temporary files
/// are removed and the outcome says `interrupted`.
#[allow(clippy::too_many_arguments)]
pub fn run(
    checker: &Checker,
    datasets: &[PathBuf],
    request: &ReadRequest<'_>,
    out_dir: &Path,
    settings: Settings,
    progress: &mut dyn Progress,
    stop: &AtomicBool,
    excuses: Excuses<'_>,
) -> anyhow::Result<Outcome> {
    let started = Instant::now();
    let mut out = Outputs::create(out_dir, settings.layer)?;
    let result = sweep(
        checker, datasets, request, settings, progress, stop, excuses, &mut out,
    );
    let mut outcome = match result {
        Ok(o) => o,
        Err(e) => {
            out.discard();
            return Err(e);
        }
    };
    outcome.seconds = started.elapsed().as_secs_f64();
    if outcome.interrupted {
        out.discard();
        return Ok(outcome);
    }
    // Waivers that covered nothing, said last, as `check` says them; the baseline's fixed.
    if let Some(a) = excuses.approvals {
        let mut rows = Rows::default();
        diagnostic_rows(&mut rows, &mut outcome, a.unused());
        out.diagnostics.w.write_all(&rows.diagnostics)?;
    }
    if let Some(k) = excuses.baseline {
        outcome.fixed = k.fixed().len();
    }
    let summary = summary_json(checker, &outcome, out_dir, settings);
    let report = crate::report::audit_html::render(checker, &outcome, checker.lang);
    outcome.removed = out.commit(&summary, &report)?;
    Ok(outcome)
}

/// `diagnostics.csv` rows, formatted for the writer thread.
#[derive(Default)]
struct Rows {
    diagnostics: Vec<u8>,
}

/// One finding as counted: code, severity, undetermined, and what excuses it.
type Found<'c> = (&'c str, Severity, bool, Excused);

/// Why a finding fails nothing, if it does not.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Excused {
    No,
    Waived,
    Baselined,
}

impl Excused {
    fn of(t: &Triage) -> Excused {
        match t {
            Triage::Active => Excused::No,
            Triage::Waived { .. } => Excused::Waived,
            Triage::Baselined => Excused::Baselined,
        }
    }
}

/// What may excuse findings in an audit: approvals (`--waivers`) and a baseline
/// (`--baseline`), both shared by the worker threads.
#[derive(Clone, Copy, Debug, Default)]
pub struct Excuses<'a> {
    pub approvals: Option<&'a Approvals>,
    pub baseline: Option<&'a Known<'a>>,
}

/// One checked feature: its findings, its district, its output lines.
struct Lines<'c> {
    found: Vec<Found<'c>>,
    /// Where it is (its first vertex) and which it is, when it has findings.
    at: Option<(geo::Coord<f64>, crate::model::FeatureRef)>,
    /// Expired waivers that matched its findings.
    warnings: Vec<Diagnostic>,
    district: Option<String>,
    csv_rows: Vec<u8>,
    layer_rows: Vec<u8>,
    /// The error for a feature outside the project's area: it was not checked.
    outside: Option<Diagnostic>,
}

/// What the sweep hands the writer thread, in source order.
enum Msg<'c> {
    /// Diagnostics already formatted (notes, a source that cannot be read).
    Rows(Rows),
    /// A new source begins: duplicate ids are looked for within a source.
    Source(IdBook),
    /// A checked batch, to settle (duplicate ids, rejections), count and write.
    Batch(Pending<Lines<'c>>),
}

#[allow(clippy::too_many_arguments)]
fn sweep(
    checker: &Checker,
    datasets: &[PathBuf],
    request: &ReadRequest<'_>,
    settings: Settings,
    progress: &mut dyn Progress,
    stop: &AtomicBool,
    excuses: Excuses<'_>,
    out: &mut Outputs,
) -> anyhow::Result<Outcome> {
    // The workers check and format; the writer thread does the in-order rest (duplicate ids,
    // rejections, the counts by rule, severity and district) and writes, while the workers
    // check the next batch. The main thread only reads counts and moves batches along.
    std::thread::scope(|scope| {
        let (tx, rx) = std::sync::mpsc::sync_channel::<Msg>(4);
        let writer = scope.spawn(move || -> std::io::Result<Outcome> {
            let mut tally = Outcome {
                density: checker.area.map(Density::new),
                ..Outcome::default()
            };
            let mut ids = IdBook::default();
            if settings.csv_bom {
                out.csv.w.write_all(csv::BOM.as_bytes())?;
                out.diagnostics.w.write_all(csv::BOM.as_bytes())?;
            }
            write!(out.csv.w, "{}\r\n", csv::header())?;
            out.diagnostics.w.write_all(DIAGNOSTICS_HEADER.as_bytes())?;
            for msg in rx {
                match msg {
                    Msg::Rows(rows) => out.diagnostics.w.write_all(&rows.diagnostics)?,
                    Msg::Source(book) => ids = book,
                    Msg::Batch(pending) => {
                        let processed = pending.settle(&mut ids);
                        let mut rows = Rows::default();
                        diagnostic_rows(&mut rows, &mut tally, processed.diagnostics);
                        out.diagnostics.w.write_all(&rows.diagnostics)?;
                        for c in processed.results {
                            if let Some(d) = c.outside {
                                let mut rows = Rows::default();
                                diagnostic_rows(&mut rows, &mut tally, vec![d]);
                                out.diagnostics.w.write_all(&rows.diagnostics)?;
                                continue;
                            }
                            if !c.warnings.is_empty() {
                                let mut rows = Rows::default();
                                diagnostic_rows(&mut rows, &mut tally, c.warnings);
                                out.diagnostics.w.write_all(&rows.diagnostics)?;
                            }
                            if c.found.is_empty() {
                                continue;
                            }
                            out.csv.w.write_all(&c.csv_rows)?;
                            if let Some(layer) = &mut out.layer {
                                layer.w.write_all(&c.layer_rows)?;
                            }
                            tally.count(&c.found, c.district.as_deref());
                            if let Some((p, fref)) = &c.at {
                                if let Some(d) = &mut tally.density {
                                    d.add(*p, c.found.len());
                                }
                                let prohibited = c
                                    .found
                                    .iter()
                                    .filter(|f| f.1 == Severity::Prohibited && f.3 == Excused::No)
                                    .count();
                                if !tally.ranks(prohibited, c.found.len()) {
                                    continue;
                                }
                                tally.rank(Worst {
                                    prohibited,
                                    findings: c.found.len(),
                                    source: fref.source.to_string(),
                                    index: fref.index,
                                    id: fref.id.clone(),
                                    district: c.district.clone(),
                                    rows: String::from_utf8_lossy(&c.csv_rows).into_owned(),
                                });
                            }
                        }
                    }
                }
            }
            Ok(tally)
        });
        let result = sweep_sources(
            checker, datasets, request, settings, progress, stop, excuses, &tx,
        );
        drop(tx);
        let written = writer.join().expect("the writer thread does not panic");
        // A write error explains a stopped sweep better than the sweep's own error.
        let tally = written?;
        result.map(|mut outcome| {
            outcome.add(tally);
            outcome
        })
    })
}

#[allow(clippy::too_many_arguments)]
fn sweep_sources<'c>(
    checker: &'c Checker,
    datasets: &[PathBuf],
    request: &ReadRequest<'_>,
    settings: Settings,
    progress: &mut dyn Progress,
    stop: &AtomicBool,
    excuses: Excuses<'_>,
    tx: &std::sync::mpsc::SyncSender<Msg<'c>>,
) -> anyhow::Result<Outcome> {
    let working = &checker.project.crs;
    let wgs84 = Crs::wgs84();
    let mut outcome = Outcome::default();
    let send = |msg: Msg<'c>| {
        tx.send(msg)
            .map_err(|_| anyhow::anyhow!("the output writer stopped"))
    };
    let mut rows = Rows::default();
    diagnostic_rows(&mut rows, &mut outcome, notes(checker));
    send(Msg::Rows(rows))?;
    for path in datasets {
        let mut counts = SourceCounts {
            name: crate::io::shown(path).into_owned(),
            ..SourceCounts::default()
        };
        let mut opened = match stream::open(path, checker.read_options(request)) {
            Ok(o) => o,
            Err(e) => {
                // A source that cannot be opened is reported; the others are still audited.
                send(Msg::Rows(source_error(&mut outcome, &mut counts, e)))?;
                outcome.sources.push(counts);
                continue;
            }
        };
        counts.crs = Some(opened.crs.name.clone());
        // Warnings about the source as a whole (a ballpark datum transform).
        if !opened.diagnostics.is_empty() {
            let mut rows = Rows::default();
            diagnostic_rows(
                &mut rows,
                &mut outcome,
                std::mem::take(&mut opened.diagnostics),
            );
            send(Msg::Rows(rows))?;
        }
        progress.start(&counts.name, opened.total, opened.unit);
        // Sized up front where the feature count is known: no rehashing a million ids.
        send(Msg::Source(match (opened.unit, opened.total) {
            // A header's count is a claim, not a size: capped (2^40 would ask for 72 TB).
            (Unit::Features, Some(n)) => IdBook::with_capacity(n.min(1 << 20) as usize),
            _ => IdBook::default(),
        }))?;
        loop {
            if stop.load(Ordering::Relaxed) {
                outcome.interrupted = true;
                progress.finish();
                return Ok(outcome);
            }
            // Read, validate, transform and check in one parallel pass.
            let batch = opened.next_pending(
                settings.batch,
                || Transformer::new(working, &wgs84).ok(),
                |to_wgs84, f| check_one(checker, to_wgs84.as_ref(), f, settings.layer, excuses),
            );
            let pending = match batch {
                Ok(Some(p)) => p,
                Ok(None) => break,
                Err(e) => {
                    // The rest of the source is unreadable: say where, keep what was done.
                    send(Msg::Rows(source_error(&mut outcome, &mut counts, e)))?;
                    break;
                }
            };
            let read = pending.read();
            // A feature outside the project's area counts as rejected, as in `check`.
            let (accepted, findings) = pending
                .results()
                .filter(|r| r.outside.is_none())
                .fold((0, 0), |(n, f), r| (n + 1, f + r.found.len()));
            counts.read += read;
            counts.checked += accepted;
            counts.rejected += read - accepted;
            counts.findings += findings;
            send(Msg::Batch(pending))?;
            progress.advance(opened.done(), counts.read as u64, counts.findings as u64);
        }
        progress.finish();
        if let Some(d) = opened.closing() {
            let mut rows = Rows::default();
            diagnostic_rows(&mut rows, &mut outcome, vec![d]);
            send(Msg::Rows(rows))?;
        }
        outcome.read += counts.read;
        outcome.checked += counts.checked;
        outcome.rejected += counts.rejected;
        outcome.findings += counts.findings;
        outcome.sources.push(counts);
    }
    Ok(outcome)
}

/// What an audit says before its first source: the zone layers' warnings, and that share
/// rules judge a whole submission together, which a stream never is.
pub fn notes(checker: &Checker) -> Vec<Diagnostic> {
    let mut notes = checker.diagnostics.clone();
    for rule in checker.rules() {
        if matches!(rule.test, crate::rules::Test::Share { .. }) {
            notes.push(Diagnostic::warning(
                rule.dir.join("rule.toml").display().to_string(),
                format!(
                    "{} judges a set of proposals together (a district's landscape share): `check` evaluates it, `audit` does not",
                    rule.code
                ),
            ));
        }
    }
    notes
}

/// Checks one feature (on a worker thread) and formats its findings' output lines there;
/// the feature is dropped there too, not on the main thread.
fn check_one<'c>(
    checker: &'c Checker,
    to_wgs84: Option<&Transformer>,
    f: Feature,
    layer: bool,
    excuses: Excuses<'_>,
) -> Lines<'c> {
    let c = match checker.evaluate(f) {
        Ok(c) => c,
        Err(d) => {
            return Lines {
                found: Vec::new(),
                at: None,
                warnings: Vec::new(),
                district: None,
                csv_rows: Vec::new(),
                layer_rows: Vec::new(),
                outside: Some(*d),
            }
        }
    };
    let district = checker.district_of(&c.footprint).map(str::to_owned);
    let mut found = Vec::with_capacity(c.found.len());
    // Room for the usual row (W1's CSV rows average 160 bytes, its layer lines 900), so that
    // a feature's rows are not regrown from empty as they are written.
    let mut csv_rows = String::with_capacity(256 * c.found.len());
    let mut layer_rows = Vec::with_capacity(if layer { 1024 * c.found.len() } else { 0 });
    let mut warnings = Vec::new();
    // A finding's waiver (and the warnings of expired ones), else its baseline entry; as in
    // `check`, a waived finding takes its baseline entry too.
    let mut excuse = |code: &str,
                      fref: &crate::model::FeatureRef,
                      name: Option<&str>,
                      entry: &dyn Fn() -> Entry|
     -> Triage {
        let waived = excuses.approvals.and_then(|a| {
            let (t, mut expired) =
                a.judge(code, fref.index, fref.id.as_deref(), name, &fref.source);
            warnings.append(&mut expired);
            t
        });
        let known = excuses.baseline.is_some_and(|k| k.take(&entry()));
        match (waived, known) {
            (Some(t), _) => t,
            (None, true) => Triage::Baselined,
            (None, false) => Triage::Active,
        }
    };
    // The CSV rows (and the findings layer's lines) straight from the worded results, without
    // building findings: the same words (`Checker::word`) and the same writers
    // (`csv::write_row`, `geojson::write_feature`) as `check`.
    for x in &c.found {
        let w = checker.word(&c.fref, &c.properties, x);
        let triage = excuse(&x.rule.code, &c.fref, c.name(), &|| {
            Entry::new(
                &x.rule.code,
                &c.fref.source,
                c.fref.id.as_deref().or(c.name()),
                &w.zone.layer,
                w.zone.id,
                w.measure.value,
                x.hit.geometry.as_ref(),
            )
        });
        let cells = crate::report::Cells::of_worded(&c.fref, c.name(), x, &w, &triage);
        csv::write_row(&mut csv_rows, &cells);
        if layer {
            let geometry = x.hit.geometry.as_ref().and_then(|g| {
                let mut g = g.clone();
                to_wgs84?.geometry(&mut g).ok()?;
                Some(g)
            });
            // Infallible into a vector (its numbers are JSON numbers or null); were it not,
            // the panic is caught and the feature rejected, never a half line kept.
            crate::report::geojson::write_feature(&mut layer_rows, &cells, geometry.as_ref())
                .expect("a finding serialises into memory");
            layer_rows.push(b'\n');
        }
        found.push((
            x.rule.code.as_str(),
            w.severity,
            w.undetermined.is_some(),
            Excused::of(&triage),
        ));
    }
    let csv_rows = csv_rows.into_bytes();
    // Where it is and which it is, moved (not copied) out of the checked feature.
    let at = match c.found.is_empty() {
        true => None,
        false => c.footprint.first_coord().map(|p| (p, c.fref)),
    };
    Lines {
        found,
        at,
        warnings,
        district,
        csv_rows,
        layer_rows,
        outside: None,
    }
}

/// A source that cannot be read (any further): its error, counted and as a row.
fn source_error(outcome: &mut Outcome, counts: &mut SourceCounts, e: crate::Error) -> Rows {
    let why = e.to_string();
    let mut rows = Rows::default();
    let d = vec![Diagnostic::error(counts.name.clone(), why.clone())];
    diagnostic_rows(&mut rows, outcome, d);
    counts.error = Some(why);
    rows
}

/// Diagnostics as `diagnostics.csv` rows, counted.
fn diagnostic_rows(rows: &mut Rows, outcome: &mut Outcome, diags: Vec<Diagnostic>) {
    for d in diags {
        match d.level {
            Level::Error => outcome.errors += 1,
            Level::Warning => outcome.warnings += 1,
        }
        rows.diagnostics
            .extend_from_slice(diagnostic_row(&d).as_bytes());
    }
}

/// `diagnostics.csv`'s header line.
pub const DIAGNOSTICS_HEADER: &str = "level,source,feature_index,feature_id,message\r\n";

/// One `diagnostics.csv` row, CRLF-terminated.
pub fn diagnostic_row(d: &Diagnostic) -> String {
    let level = match d.level {
        Level::Error => "error",
        Level::Warning => "warning",
    };
    let index = d.feature_index.map(|i| i.to_string()).unwrap_or_default();
    let row = [
        level,
        &d.source,
        &index,
        d.feature_id.as_deref().unwrap_or_default(),
        &d.message,
    ];
    let row: Vec<String> = row.iter().map(|s| csv::field(s)).collect();
    format!("{}\r\n", row.join(","))
}

/// `summary.json`'s content: the one place it is shaped (`audit`, and the Python package's
/// Spark audit, which counts with Spark and writes it through here).
pub fn summary_json(checker: &Checker, o: &Outcome, dir: &Path, settings: Settings) -> Value {
    let rules: serde_json::Map<String, Value> = checker
        .rules()
        .map(|r| {
            let (findings, features) = o.by_rule.get(&r.code).copied().unwrap_or_default();
            (
                r.code.clone(),
                json!({
                    "name": r.name,
                    "severity": r.severity,
                    "findings": findings,
                    "features": features,
                }),
            )
        })
        .collect();
    let severities: serde_json::Map<String, Value> = Severity::ALL
        .iter()
        .rev()
        .map(|s| {
            (
                s.as_str().to_owned(),
                json!(o.by_severity.get(s).copied().unwrap_or(0)),
            )
        })
        .collect();
    json!({
        "ironrule": env!("CARGO_PKG_VERSION"),
        "project": checker.project.path.display().to_string(),
        "working_crs": checker.project.crs.name,
        "sources": o.sources.iter().map(|s| json!({
            "name": s.name,
            "crs": s.crs,
            "read": s.read,
            "checked": s.checked,
            "rejected": s.rejected,
            "findings": s.findings,
            "error": s.error,
        })).collect::<Vec<_>>(),
        "read": o.read,
        "checked": o.checked,
        "rejected": o.rejected,
        "findings": o.findings,
        "undetermined": o.undetermined,
        "waived": o.waived,
        "baselined": o.baselined,
        "fixed": o.fixed,
        "by_rule": rules,
        "by_severity": severities,
        "by_district": checker.project.group_by.as_ref().map(|layer| json!({
            "layer": layer,
            "districts": o.by_district,
            "names": o.by_district
                .keys()
                .map(|id| (id.clone(), json!(checker.district_name(id))))
                .collect::<serde_json::Map<String, Value>>(),
        })),
        "diagnostics": {"errors": o.errors, "warnings": o.warnings},
        "wall_seconds": (o.seconds * 1000.0).round() / 1000.0,
        "files": {
            "findings": dir.join("findings.csv").display().to_string(),
            "findings_layer": settings.layer.then(|| dir.join("findings.geojsonl").display().to_string()),
            "diagnostics": dir.join("diagnostics.csv").display().to_string(),
        },
    })
}
