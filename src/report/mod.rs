//! Report emitters, one per format, behind one trait ([`Emitter`]). Output is
//! deterministic: findings in stable order, no timestamps, paths as the user gave them.

/// `report.html` of an audit: charts, the findings' density over the zones, districts, the
/// worst features with their evidence.
pub mod audit_html;
/// A report built from evaluated sources.
pub mod build;
/// Comma-separated values for auditors.
pub mod csv;
/// GeoJSON findings layer (WGS 84, RFC 7946).
pub mod geojson;
/// GitHub Actions workflow commands (`::error file=...::`).
pub mod github;
/// GeoPackage findings layer (`gdal` feature).
pub mod gpkg;
/// A self-contained HTML report with an SVG map.
pub mod html;
/// `ironrule indicators`: text, JSON, CSV and an HTML page with charts.
pub mod indicators;
/// Machine-readable JSON.
pub mod json;
/// JSON Lines: one object per line.
pub mod jsonl;
/// JUnit XML for CI test reports.
pub mod junit;
/// SARIF 2.1.0 for code-scanning tools.
pub mod sarif;
/// Compiler-style text grouped by feature (the default).
pub mod text;

use crate::crs::{Crs, Transformer};
use crate::model::{Citation, Diagnostic, FeatureRef, Finding, Lang, Level, Severity};
use crate::rules::Rule;
use geo::{Geometry, LineString, Polygon, Rect};
use serde::Serialize;
use std::borrow::Cow;
use std::cell::RefCell;
use std::collections::BTreeMap;
use std::io::{self, Write};

/// Counts that reconcile: `read = checked + rejected`.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Summary {
    pub read: usize,
    pub checked: usize,
    pub rejected: usize,
    pub findings: usize,
    /// Of the findings, the active undetermined results: rules that could not be decided.
    pub undetermined: usize,
    pub by_severity: BTreeMap<Severity, usize>,
    pub by_rule: BTreeMap<String, usize>,
    /// Findings covered by a waiver, and findings already in the baseline: reported, but
    /// they do not fail the run.
    pub waived: usize,
    pub baselined: usize,
    /// Baseline entries no longer found.
    pub fixed: usize,
}

impl Summary {
    /// Adds the findings' counts.
    pub fn count(&mut self, findings: &[Finding]) {
        self.findings += findings.len();
        self.undetermined += findings.iter().filter(|f| f.is_open()).count();
        for f in findings {
            *self.by_severity.entry(f.severity).or_default() += 1;
            *self.by_rule.entry(f.code.clone()).or_default() += 1;
        }
    }

    /// Recounts waived and baselined findings after triage.
    pub fn recount_triage(&mut self, findings: &[Finding]) {
        use crate::model::Triage;
        self.waived = findings
            .iter()
            .filter(|f| matches!(f.triage, Triage::Waived { .. }))
            .count();
        self.baselined = findings
            .iter()
            .filter(|f| f.triage == Triage::Baselined)
            .count();
        self.undetermined = findings.iter().filter(|f| f.is_open()).count();
    }
}

/// What a report needs to say about a rule (SARIF's rule table, HTML's citations).
#[derive(Clone, Debug, PartialEq)]
pub struct RuleDoc {
    pub code: String,
    pub name: String,
    pub summary: String,
    pub severity: Severity,
    pub citation: Citation,
    pub test: String,
    /// The rule's README, Markdown (shared with the rule).
    pub help: Option<std::sync::Arc<str>>,
}

impl From<&Rule> for RuleDoc {
    fn from(r: &Rule) -> Self {
        RuleDoc::new(r, Lang::En)
    }
}

impl RuleDoc {
    /// The rule's documentation in `lang` (its `[zh]` summary and README.zh.md for Chinese,
    /// where it has them).
    pub fn new(r: &Rule, lang: Lang) -> Self {
        RuleDoc {
            code: r.code.clone(),
            name: r.name.clone(),
            summary: r.summary_in(lang).to_owned(),
            severity: r.severity,
            citation: (*r.citation).clone(),
            test: format!(
                "{} against {}: {}",
                r.test.kind(),
                r.test.against(),
                r.test.threshold()
            ),
            help: r.readme_in(lang),
        }
    }
}

/// One feature checked, and the rules that applied to it (JUnit's test cases).
#[derive(Clone, Debug, PartialEq)]
pub struct Case {
    pub feature: FeatureRef,
    pub name: Option<String>,
    pub rules: Vec<String>,
}

/// A zone layer as the HTML map draws it.
#[derive(Clone, Debug, Default)]
pub struct MapLayer {
    pub name: String,
    /// The layer's title in the project file, for the legend.
    pub title: Option<String>,
    pub areas: Vec<Polygon<f64>>,
    pub lines: Vec<LineString<f64>>,
}

/// A proposal as the HTML map draws it.
#[derive(Clone, Debug)]
pub struct MapFeature {
    pub label: String,
    pub geometry: Geometry<f64>,
    pub worst: Option<Severity>,
}

/// What the HTML map draws, in the working CRS.
#[derive(Clone, Debug, Default)]
pub struct MapData {
    pub view: Option<Rect<f64>>,
    pub layers: Vec<MapLayer>,
    pub footprints: Vec<MapFeature>,
    /// A hillshade of the terrain rules' DEM over the view, under the zones.
    pub relief: Option<Relief>,
}

/// A hillshade picture covering a map's whole view.
#[derive(Clone, Debug)]
pub struct Relief {
    /// The DEM's name and title.
    pub dem: String,
    pub title: Option<String>,
    /// A grey + alpha PNG.
    pub png: Vec<u8>,
}

/// The result of a check. Finding geometry is in the working CRS; [`Report::reproject`]
/// gives it in the CRS a format wants.
#[derive(Default)]
pub struct Report {
    pub findings: Vec<Finding>,
    pub summary: Summary,
    pub diagnostics: Vec<Diagnostic>,
    pub rules: Vec<RuleDoc>,
    pub cases: Vec<Case>,
    pub working_crs: Option<Crs>,
    /// The CRS of each proposal source, by source name.
    pub source_crs: BTreeMap<String, Crs>,
    /// Filled for the HTML format only.
    pub map: Option<MapData>,
    /// Baseline entries no longer found (with `--baseline`).
    pub fixed: Vec<crate::triage::Entry>,
    /// Whether a baseline was given (SARIF then says which results are new).
    pub baseline_used: bool,
    /// The language of the text and HTML reports' own words (`--lang`).
    pub lang: Lang,
    /// The project's name (the HTML report's title).
    pub project: Option<String>,
    pub(crate) transforms: RefCell<BTreeMap<String, Option<Transformer>>>,
}

impl Report {
    /// An empty report in `checker`'s working CRS and language, for a caller that fills in
    /// findings it worded itself (the Python package's streamed tables).
    pub fn of(checker: &crate::engine::Checker) -> Report {
        Report {
            working_crs: Some(checker.project.crs.clone()),
            lang: checker.lang,
            project: checker.project.name.clone(),
            ..Report::default()
        }
    }

    /// The run's exit code ([`exit_code`]): an error diagnostic is input at fault; waived
    /// and baselined findings do not fail the run.
    pub fn exit_code(&self, fail_on: Option<Severity>) -> u8 {
        exit_code(
            self.diagnostics.iter().any(|d| d.level == Level::Error),
            self.findings
                .iter()
                .filter(|f| f.triage.is_active())
                .map(|f| f.severity)
                .max(),
            fail_on,
        )
    }

    /// A working-CRS geometry in `to`; `None` where it cannot be transformed.
    pub fn reproject(&self, g: &Geometry<f64>, to: &Crs) -> Option<Geometry<f64>> {
        self.reproject_cow(g, to).map(Cow::into_owned)
    }

    /// [`Report::reproject`], borrowing `g` where the transform is the identity.
    fn reproject_cow<'g>(&self, g: &'g Geometry<f64>, to: &Crs) -> Option<Cow<'g, Geometry<f64>>> {
        let from = self.working_crs.as_ref()?;
        let mut cache = self.transforms.borrow_mut();
        let t = cache
            .entry(to.name.clone())
            .or_insert_with(|| Transformer::new(from, to).ok())
            .as_ref()?;
        if t.is_identity() {
            return Some(Cow::Borrowed(g));
        }
        let mut out = g.clone();
        t.geometry(&mut out).ok()?;
        Some(Cow::Owned(out))
    }

    /// The CRS a finding's source is in (the working CRS where unknown).
    pub fn source_crs_of(&self, f: &Finding) -> Option<&Crs> {
        self.crs_of_source(&f.feature.source)
    }

    /// The CRS of the source named `source` (the working CRS where unknown).
    fn crs_of_source(&self, source: &str) -> Option<&Crs> {
        self.source_crs.get(source).or(self.working_crs.as_ref())
    }

    /// A finding's geometry and nearest points in its source's CRS, with that CRS's name;
    /// in the working CRS where the transform fails.
    pub fn in_source_crs<'a>(&'a self, f: &'a Finding) -> Placed<'a> {
        self.place(&f.feature.source, f.geometry.as_ref(), f.nearest)
    }

    /// [`Report::in_source_crs`] from a result's parts (working CRS): the geometry of
    /// `source`'s feature and the nearest points. The geometry is borrowed where the source
    /// is in the working CRS.
    pub fn place<'a>(
        &'a self,
        source: &str,
        geometry: Option<&'a Geometry<f64>>,
        nearest: Option<[[f64; 2]; 2]>,
    ) -> Placed<'a> {
        let working = self.working_crs.as_ref().map_or("", |c| c.name.as_str());
        let unplaced = Placed {
            geometry: geometry.map(Cow::Borrowed),
            nearest,
            crs: working,
        };
        let Some(to) = self.crs_of_source(source) else {
            return unplaced;
        };
        let geometry = match geometry {
            Some(g) => match self.reproject_cow(g, to) {
                Some(g) => Some(g),
                None => return unplaced,
            },
            None => None,
        };
        let nearest = nearest.and_then(|[a, b]| {
            let pts = Geometry::MultiPoint(geo::MultiPoint(vec![
                geo::Point::new(a[0], a[1]),
                geo::Point::new(b[0], b[1]),
            ]));
            match self.reproject_cow(&pts, to)?.as_ref() {
                Geometry::MultiPoint(m) => {
                    Some([[m.0[0].x(), m.0[0].y()], [m.0[1].x(), m.0[1].y()]])
                }
                _ => None,
            }
        });
        Placed {
            geometry,
            nearest,
            crs: &to.name,
        }
    }
}

/// The exit code of every command that checks (`check`, `audit`, `baseline write`): 2 when
/// input was at fault, else 1 when the worst active finding is at or above `fail_on`
/// (`None`: never), else 0.
pub fn exit_code(input_at_fault: bool, worst: Option<Severity>, fail_on: Option<Severity>) -> u8 {
    if input_at_fault {
        2
    } else if fail_on.is_some_and(|min| worst.is_some_and(|w| w >= min)) {
        1
    } else {
        0
    }
}

/// A finding's geometry and nearest points placed in one CRS.
pub struct Placed<'a> {
    /// Borrowed where no transform was needed.
    pub geometry: Option<Cow<'a, Geometry<f64>>>,
    pub nearest: Option<[[f64; 2]; 2]>,
    /// The CRS's name.
    pub crs: &'a str,
}

/// One output format.
pub trait Emitter {
    /// Writes the whole report.
    fn emit(&self, out: &mut dyn Write, report: &Report) -> io::Result<()>;
}

/// The formats `--format` accepts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Compiler-style text, grouped by feature.
    Text,
    /// One JSON document: findings, summary, diagnostics.
    Json,
    /// JSON Lines: one finding, diagnostic or summary per line.
    Jsonl,
    /// CSV for auditors.
    Csv,
    /// SARIF 2.1.0 (GitHub code scanning and other SARIF consumers).
    Sarif,
    /// JUnit XML (GitLab, Jenkins and other CI test reports).
    Junit,
    /// GitHub Actions annotations (::error file=...::).
    Github,
    /// GeoJSON findings layer in WGS 84: one feature per finding, geometry = offending part.
    Geojson,
    /// GeoPackage findings layer in the working CRS (needs --output and the gdal feature).
    Gpkg,
    /// Self-contained HTML report with a map.
    Html,
}

/// Options that change how a format looks, not what it says.
#[derive(Clone, Copy, Debug, Default)]
pub struct Style {
    /// ANSI colours in text output.
    pub color: bool,
    /// A UTF-8 byte-order mark before CSV (for Excel on Chinese Windows).
    pub csv_bom: bool,
}

impl Format {
    /// The emitter for this format.
    pub fn emitter(self, style: Style) -> Box<dyn Emitter> {
        match self {
            Format::Text => Box::new(text::Text { color: style.color }),
            Format::Json => Box::new(json::Json),
            Format::Jsonl => Box::new(jsonl::JsonLines),
            Format::Csv => Box::new(csv::Csv { bom: style.csv_bom }),
            Format::Sarif => Box::new(sarif::Sarif),
            Format::Junit => Box::new(junit::Junit),
            Format::Github => Box::new(github::Github),
            Format::Geojson => Box::new(geojson::GeoJsonLayer),
            Format::Gpkg => Box::new(gpkg::GeoPackageLayer),
            Format::Html => Box::new(html::Html),
        }
    }
}

/// Text from the data (ids, names, file names, messages that quote them) made safe for a
/// terminal, a CSV cell or a CI log: every control character but newline and tab becomes
/// U+FFFD. That covers ESC, which starts terminal escape sequences (colours, OSC 8 links,
/// window titles, cursor moves that hide lines), CSI (U+009B), BEL, carriage return (which
/// overwrites a line) and NUL (which ends strings in many CSV and log tools).
pub fn clean(s: &str) -> std::borrow::Cow<'_, str> {
    let bad = |c: char| c.is_control() && c != '\n' && c != '\t';
    if !s.chars().any(bad) {
        return std::borrow::Cow::Borrowed(s);
    }
    std::borrow::Cow::Owned(
        s.chars()
            .map(|c| if bad(c) { '\u{FFFD}' } else { c })
            .collect(),
    )
}

/// [`clean`] in place.
fn clean_in(s: &mut String) {
    if let std::borrow::Cow::Owned(c) = clean(s) {
        *s = c;
    }
}

/// A finding with every string that can come from the data [`clean`]ed (for the text
/// report and GitHub annotations).
pub(crate) fn cleaned(f: &Finding) -> Finding {
    let mut f = f.clone();
    let mut source = f.feature.source.to_string();
    clean_in(&mut source);
    f.feature.source = source.into();
    for s in [&mut f.message, &mut f.zone.layer, &mut f.rule_name] {
        clean_in(s);
    }
    for s in [
        &mut f.feature.id,
        &mut f.feature_name,
        &mut f.zone.id,
        &mut f.zone.name,
        &mut f.approval,
        &mut f.exception,
    ]
    .into_iter()
    .flatten()
    {
        clean_in(s);
    }
    if let crate::model::Triage::Waived {
        document,
        body,
        expires,
        reason,
    } = &mut f.triage
    {
        clean_in(document);
        clean_in(body);
        expires
            .iter_mut()
            .chain(reason.iter_mut())
            .for_each(clean_in);
    }
    f
}

/// Escapes text for XML and HTML.
pub(crate) fn xml_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            // XML 1.0 forbids most control characters even escaped.
            c if (c as u32) < 0x20 && !matches!(c, '\n' | '\r' | '\t') => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

/// What would resolve a finding, from its measure, for people (the map page, the HTML and
/// JSON reports): how far to move, how much to take out of a zone, how much lower to build,
/// which attribute to give. `None` where the measure says nothing to change.
pub fn resolution(f: &Finding, lang: Lang) -> Option<String> {
    let zone = ZoneNames {
        layer: &f.zone.layer,
        id: f.zone.id.as_deref(),
        name: f.zone.name.as_deref(),
    };
    resolution_of(
        f.undetermined.as_ref(),
        &f.measure,
        &zone,
        f.plan.as_deref(),
        lang,
    )
}

/// One result's fields, borrowed: from a [`Finding`] ([`Cells::of_finding`], `check`) or
/// from a result worded for writing only ([`Cells::of_worded`]: `audit`, the Python
/// package), without building the finding. The one view every row writer reads: the CSV
/// line ([`csv::write_row`]), the findings layer's line ([`geojson::write_feature`]) and the
/// Python package's Arrow columns. Geometry and nearest points are in the working CRS.
pub struct Cells<'a> {
    pub code: &'a str,
    pub name: &'a str,
    pub severity: Severity,
    /// `active`, `undetermined`, `waived`, `baselined`.
    pub status: &'a str,
    pub feature: &'a FeatureRef,
    pub feature_name: Option<&'a str>,
    pub zone: ZoneNames<'a>,
    pub measure: &'a crate::model::Measure,
    pub share: Option<f64>,
    pub nearest: Option<[[f64; 2]; 2]>,
    pub message: &'a str,
    pub citation: &'a std::sync::Arc<Citation>,
    pub approval: Option<&'a str>,
    pub exception: Option<Cow<'a, str>>,
    pub undetermined: Option<&'a crate::model::Undetermined>,
    pub triage: &'a crate::model::Triage,
    pub terrain: Option<&'a crate::model::Terrain>,
    pub plan: Option<&'a crate::model::Plan>,
    pub geometry: Option<&'a Geometry<f64>>,
}

impl<'a> Cells<'a> {
    pub fn of_finding(f: &'a Finding) -> Cells<'a> {
        Cells {
            code: &f.code,
            name: &f.rule_name,
            severity: f.severity,
            status: f.status(),
            feature: &f.feature,
            feature_name: f.feature_name.as_deref(),
            zone: ZoneNames {
                layer: &f.zone.layer,
                id: f.zone.id.as_deref(),
                name: f.zone.name.as_deref(),
            },
            measure: &f.measure,
            share: f.share_of_footprint,
            nearest: f.nearest,
            message: &f.message,
            citation: &f.citation,
            approval: f.approval.as_deref(),
            exception: f.exception.as_deref().map(Cow::Borrowed),
            undetermined: f.undetermined.as_ref(),
            triage: &f.triage,
            terrain: f.terrain.as_deref(),
            plan: f.plan.as_deref(),
            geometry: f.geometry.as_ref(),
        }
    }

    /// A result `x` of the feature `feature` (its `name` attribute `feature_name`), worded
    /// as `w`, with its triage (a waiver or the baseline; [`Triage::Active`] otherwise): the
    /// fields [`Checker::finding`] would give it, without building it.
    ///
    /// [`Triage::Active`]: crate::model::Triage::Active
    /// [`Checker::finding`]: crate::engine::Checker::finding
    pub fn of_worded(
        feature: &'a FeatureRef,
        feature_name: Option<&'a str>,
        x: &'a crate::engine::evaluate::Found<'a>,
        w: &'a crate::engine::finding::Worded<'a>,
        triage: &'a crate::model::Triage,
    ) -> Cells<'a> {
        Cells {
            code: &x.rule.code,
            name: &x.rule.name,
            severity: w.severity,
            // As Finding::status: an active result is undetermined or active.
            status: if triage.is_active() {
                w.status()
            } else {
                triage.as_str()
            },
            feature,
            feature_name,
            zone: ZoneNames {
                layer: &w.zone.layer,
                id: w.zone.id,
                name: w.zone.name.as_deref(),
            },
            measure: &w.measure,
            share: x.hit.share,
            nearest: x.hit.nearest.map(|[a, b]| [[a.x, a.y], [b.x, b.y]]),
            message: &w.message,
            citation: &x.rule.citation,
            approval: w.approval(x.rule),
            exception: w.exception_text(),
            undetermined: w.undetermined.as_ref(),
            triage,
            terrain: x.terrain.as_deref(),
            plan: x.plan.as_deref(),
            geometry: x.hit.geometry.as_ref(),
        }
    }
}

/// A result's zone as [`resolution_of`] and [`fingerprint_of`] read it.
pub struct ZoneNames<'a> {
    pub layer: &'a str,
    pub id: Option<&'a str>,
    pub name: Option<&'a str>,
}

/// [`resolution`] from a result's parts (a worded result has no [`Finding`]).
pub fn resolution_of(
    undetermined: Option<&crate::model::Undetermined>,
    m: &crate::model::Measure,
    zone: &ZoneNames<'_>,
    plan: Option<&crate::model::Plan>,
    lang: Lang,
) -> Option<String> {
    use crate::model::{fmt_num, MeasureKind};
    if let Some(u) = undetermined {
        return Some(match lang {
            Lang::En => format!(
                "give {}, so that the rule can be decided",
                u.attributes.join(", ")
            ),
            Lang::Zh => format!("补充属性 {}，以便判定", u.attributes.join("、")),
        });
    }
    let layer = zone.layer;
    let zone = zone.name.or(zone.id).unwrap_or(layer);
    let unit = m.unit.text_in(lang);
    // Rounded up to the centimetre (or the hundredth): the change that is enough.
    // (less a hair, so that 60000.0000003 m² stays 60000 and does not become 60000.01).
    let up = |v: f64| fmt_num(((v.max(0.0) * 100.0) - 1e-3).ceil().max(0.0) / 100.0);
    let amount = format!("{} {unit}", up(m.value));
    Some(match (m.kind, lang) {
        (MeasureKind::Distance, Lang::En) => format!(
            "move it more than {} m farther from {zone} (the limit is {} m)",
            up(m.limit - m.value),
            fmt_num(m.limit)
        ),
        (MeasureKind::Distance, Lang::Zh) => format!(
            "向远离{zone}方向移动超过 {} 米（限值 {} 米）",
            up(m.limit - m.value),
            fmt_num(m.limit)
        ),
        (
            MeasureKind::OverlapArea | MeasureKind::OverlapLength | MeasureKind::OverlapPoints,
            Lang::En,
        ) => format!("take the {amount} inside {zone} out of it"),
        (
            MeasureKind::OverlapArea | MeasureKind::OverlapLength | MeasureKind::OverlapPoints,
            Lang::Zh,
        ) => format!("将位于{zone}内的 {amount} 移出"),
        (
            MeasureKind::OutsideArea | MeasureKind::OutsideLength | MeasureKind::OutsidePoints,
            Lang::En,
        ) => format!("bring the {amount} outside the layer {layer} inside it"),
        (
            MeasureKind::OutsideArea | MeasureKind::OutsideLength | MeasureKind::OutsidePoints,
            Lang::Zh,
        ) => format!("将位于 {layer} 以外的 {amount} 移入范围内"),
        (MeasureKind::AttributeExcess, _) => {
            let by = format!("{} {unit}", up(m.value - m.limit));
            match (m.unit, lang) {
                (crate::model::Unit::Metre, Lang::En) => format!("lower it by {by}, to {} {unit}", fmt_num(m.limit)),
                (crate::model::Unit::Metre, Lang::Zh) => format!("降低 {by}，至 {} {unit}", fmt_num(m.limit)),
                (_, Lang::En) => format!("bring it down by {by}, to {} {unit}", fmt_num(m.limit)),
                (_, Lang::Zh) => format!("减少 {by}，至 {} {unit}", fmt_num(m.limit)),
            }
        }
        (MeasureKind::ShareAfter, Lang::En) => format!(
            "keep {} percentage points more of the district's landscape (take less of it), so that its share stays at {} %",
            up(m.limit - m.value),
            fmt_num(m.limit)
        ),
        (MeasureKind::ShareAfter, Lang::Zh) => format!(
            "少占用山水空间，使本区山水占比多保留 {} 个百分点，不低于 {} %",
            up(m.limit - m.value),
            fmt_num(m.limit)
        ),
        (MeasureKind::SteepShare, Lang::En) => format!(
            "move it off the cells of {zone}, to no more than {} % of the footprint (now {})",
            fmt_num(m.limit),
            amount
        ),
        (MeasureKind::SteepShare, Lang::Zh) => format!(
            "避开{zone}的像元，使其不超过用地的 {} %（现为 {amount}）",
            fmt_num(m.limit)
        ),
        (MeasureKind::TopElevation, Lang::En) => format!(
            "lower its top by {} m, to {} m above sea level",
            up(m.value - m.limit),
            fmt_num(m.limit)
        ),
        (MeasureKind::TopElevation, Lang::Zh) => format!(
            "将建筑顶部降低 {} 米，至海拔 {} 米",
            up(m.value - m.limit),
            fmt_num(m.limit)
        ),
        (MeasureKind::SkylineExcess, Lang::En) => format!(
            "lower its top by more than {} m, under the ridgeline seen from {zone}",
            up(m.value)
        ),
        (MeasureKind::SkylineExcess, Lang::Zh) => format!(
            "将建筑顶部降低 {} 米以上，使其低于从{zone}望去的山脊线",
            up(m.value)
        ),
        (MeasureKind::UseConflict, Lang::En) => format!(
            "change the use to one the plan allows on {zone}, or have the plan amended first"
        ),
        (MeasureKind::UseConflict, Lang::Zh) => {
            format!("改为{zone}规划允许的用途，或先依法调整规划")
        }
        (MeasureKind::PlanHeight, Lang::En) => format!(
            "lower it by {} m, to the {} m of {zone}",
            up(m.value - m.limit),
            fmt_num(m.limit)
        ),
        (MeasureKind::PlanHeight, Lang::Zh) => format!(
            "降低 {} 米，至{zone}限高 {} 米",
            up(m.value - m.limit),
            fmt_num(m.limit)
        ),
        (MeasureKind::FloorAreaRatio | MeasureKind::Coverage | MeasureKind::GreenRatio, _) => {
            // Back to areas on the parcel: what to take off, or what to add.
            let parcel = plan.and_then(|p| p.parcel_area_m2).unwrap_or(0.0);
            let per = if m.kind == MeasureKind::FloorAreaRatio {
                parcel
            } else {
                parcel / 100.0
            };
            let by = up((m.value - m.limit).abs() * per);
            match (m.kind, lang) {
                (MeasureKind::FloorAreaRatio, Lang::En) => format!(
                    "take more than {by} m² of floor area off {zone}, to its FAR of {}",
                    fmt_num(m.limit)
                ),
                (MeasureKind::FloorAreaRatio, Lang::Zh) => format!(
                    "减少{zone}上的建筑面积 {by} 平方米以上，至容积率 {}",
                    fmt_num(m.limit)
                ),
                (MeasureKind::Coverage, Lang::En) => format!(
                    "take more than {by} m² of footprint off {zone}, to its {} % coverage",
                    fmt_num(m.limit)
                ),
                (MeasureKind::Coverage, Lang::Zh) => format!(
                    "减少{zone}上的建筑基底面积 {by} 平方米以上，至建筑密度 {} %",
                    fmt_num(m.limit)
                ),
                (_, Lang::En) => format!(
                    "add more than {by} m² of green space on {zone}, to its {} % green ratio",
                    fmt_num(m.limit)
                ),
                (_, Lang::Zh) => format!(
                    "在{zone}上增加绿地 {by} 平方米以上，至绿地率 {} %",
                    fmt_num(m.limit)
                ),
            }
        }
        (MeasureKind::ParcelSetback, Lang::En) => format!(
            "move it more than {} m back from the line of {zone} (its setback is {} m)",
            up(m.limit - m.value),
            fmt_num(m.limit)
        ),
        (MeasureKind::ParcelSetback, Lang::Zh) => format!(
            "自{zone}边界后退 {} 米以上（退线 {} 米）",
            up(m.limit - m.value),
            fmt_num(m.limit)
        ),
        (MeasureKind::ParcelsSpanned, Lang::En) => {
            format!("keep it on one parcel of {zone}, or have the parcels merged in the plan first")
        }
        (MeasureKind::ParcelsSpanned, Lang::Zh) => {
            format!("使其位于{zone}中的一个地块内，或先依法调整规划合并地块")
        }
        (MeasureKind::AttributeMissing | MeasureKind::TerrainMissing, _) => return None,
    })
}

/// The measured evidence in one line, in `lang`: "distance 595.51 m ≤ limit 1000 m",
/// "距离 595.51 m ≤ 限值 1000 m".
pub fn measure_text(f: &Finding, lang: Lang) -> String {
    use crate::model::{fmt_num, MeasureKind};
    let m = &f.measure;
    let unit = m.unit.symbol();
    let t = |en, zh| lang.pick(en, zh);
    let (value, limit) = (fmt_num(m.value), fmt_num(m.limit));
    // A number with its unit, if it has one (a ratio has none).
    let with = |n: &str| match unit {
        "" => n.to_owned(),
        u => format!("{n} {u}"),
    };
    let mut line = format!("{} {}", m.kind.label_in(lang), with(&value));
    let plan_limit = matches!(
        m.kind,
        MeasureKind::PlanHeight
            | MeasureKind::FloorAreaRatio
            | MeasureKind::Coverage
            | MeasureKind::GreenRatio
    );
    match m.kind {
        // A parcel's limit that could not be checked: nothing was measured.
        _ if plan_limit && f.undetermined.is_some() => {
            line = format!(
                "{}{}{}",
                m.kind.label_in(lang),
                t(": ", "："),
                t("not measured (undetermined)", "未能测算（无法判定）")
            )
        }
        MeasureKind::PlanHeight | MeasureKind::FloorAreaRatio | MeasureKind::Coverage => {
            line.push_str(&format!(" > {} {}", t("allowed", "允许"), with(&limit)))
        }
        MeasureKind::GreenRatio | MeasureKind::ParcelSetback => {
            line.push_str(&format!(" < {} {}", t("required", "要求"), with(&limit)))
        }
        MeasureKind::ParcelsSpanned => {
            line.push_str(&format!(" > {} {}", t("allowed", "允许"), with(&limit)))
        }
        MeasureKind::Distance => line.push_str(&format!(" ≤ {} {limit} m", t("limit", "限值"))),
        MeasureKind::OverlapArea if m.limit > 0.0 => {
            line.push_str(&format!(" ≥ {} {limit} m²", t("threshold", "阈值")))
        }
        MeasureKind::AttributeExcess => {
            line.push_str(&format!(" > {} {limit} {unit}", t("allowed", "允许")))
        }
        MeasureKind::ShareAfter => line.push_str(&format!(" < {} {limit} %", t("target", "目标"))),
        MeasureKind::SteepShare | MeasureKind::TopElevation => {
            line.push_str(&format!(" > {} {limit} {unit}", t("allowed", "允许")))
        }
        MeasureKind::SkylineExcess => line.push_str(&match lang {
            Lang::En => " (allowed: 0 m)".to_owned(),
            Lang::Zh => "（允许：0 米）".to_owned(),
        }),
        MeasureKind::TerrainMissing => {
            line = t("no DEM value under the footprint", "用地范围内无高程数据").to_owned()
        }
        MeasureKind::AttributeMissing => {
            line = match lang {
                Lang::En => format!("no value (allowed: {limit} {unit})"),
                Lang::Zh => format!("无值（允许：{limit} {unit}）"),
            }
        }
        _ => line.push_str(&match lang {
            Lang::En => format!(" (allowed: 0 {unit})"),
            Lang::Zh => format!("（允许：0 {unit}）"),
        }),
    }
    if let Some(share) = f.share_of_footprint {
        line.push_str(&match lang {
            Lang::En => format!(", {:.1}% of the footprint", share * 100.0),
            Lang::Zh => format!("，占用地 {:.1}%", share * 100.0),
        });
    }
    line
}

/// A fingerprint of a finding that survives reordering the input: rule, source file name,
/// feature id (index where there is none), zone. FNV-1a, 64 bits, hex.
pub fn fingerprint(f: &Finding) -> String {
    let zone = ZoneNames {
        layer: &f.zone.layer,
        id: f.zone.id.as_deref(),
        name: None,
    };
    format!("{:016x}", fingerprint_of(&f.code, &f.feature, &zone))
}

/// [`fingerprint`]'s number from a result's parts: FNV-1a of
/// `code|file name|feature id (or #index)|zone layer|zone id`, hashed as it is read.
pub fn fingerprint_of(code: &str, feature: &FeatureRef, zone: &ZoneNames<'_>) -> u64 {
    let file = std::path::Path::new(&*feature.source)
        .file_name()
        .map_or(&[][..], |n| n.as_encoded_bytes());
    let mut index = [0u8; 24];
    let id = match &feature.id {
        Some(id) => id.as_bytes(),
        None => {
            let mut w = &mut index[..];
            let _ = write!(w, "#{}", feature.index);
            let n = 24 - w.len();
            &index[..n]
        }
    };
    let parts: [&[u8]; 5] = [
        code.as_bytes(),
        file,
        id,
        zone.layer.as_bytes(),
        zone.id.unwrap_or("").as_bytes(),
    ];
    let mut h: u64 = 0xcbf29ce484222325;
    for (i, part) in parts.iter().enumerate() {
        if i > 0 {
            h ^= u64::from(b'|');
            h = h.wrapping_mul(0x100000001b3);
        }
        for &b in *part {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x100000001b3);
        }
    }
    h
}

#[cfg(test)]
mod tests {
    use super::{fingerprint_of, xml_escape, FeatureRef, ZoneNames};

    /// Hostile input, class 13: terminal escapes, NUL and carriage returns from the data
    /// never reach a terminal, a CSV file or a CI log raw.
    #[test]
    fn control_characters_from_the_data_are_neutralised() {
        use super::clean;
        assert_eq!(
            clean("P1\x1b]8;;http://x\x07link\x1b[2J\0\r\u{9b}"),
            "P1\u{FFFD}]8;;http://x\u{FFFD}link\u{FFFD}[2J\u{FFFD}\u{FFFD}\u{FFFD}"
        );
        assert_eq!(clean("名称\tline\nnext"), "名称\tline\nnext");
        assert!(matches!(clean("plain"), std::borrow::Cow::Borrowed(_)));
    }

    fn finding(
        kind: crate::model::MeasureKind,
        unit: crate::model::Unit,
        value: f64,
        limit: f64,
    ) -> crate::model::Finding {
        use crate::model::*;
        Finding {
            code: "X1".into(),
            rule_name: "x".into(),
            severity: Severity::Prohibited,
            feature: FeatureRef {
                source: "p.geojson".into(),
                index: 0,
                id: None,
            },
            feature_name: None,
            zone: ZoneRef {
                layer: "red_line".into(),
                id: Some("RL-01".into()),
                name: Some("南津关".into()),
            },
            measure: Measure {
                kind,
                value,
                unit,
                limit,
                op: Comparison::Above,
            },
            share_of_footprint: None,
            nearest: None,
            message: String::new(),
            citation: Default::default(),
            approval: None,
            exception: None,
            undetermined: None,
            triage: Default::default(),
            terrain: None,
            plan: None,
            geometry: None,
        }
    }

    #[test]
    fn a_resolution_says_how_much_to_change() {
        use super::resolution;
        use crate::model::{Lang, MeasureKind as K, Unit as U};
        let r = |k, u, v, l, lang| resolution(&finding(k, u, v, l), lang).unwrap();
        // Rounded up to the centimetre, but not for a float's last bits.
        assert_eq!(
            r(K::Distance, U::Metre, 595.514, 1000.0, Lang::En),
            "move it more than 404.49 m farther from 南津关 (the limit is 1000 m)"
        );
        assert_eq!(
            r(
                K::OverlapArea,
                U::SquareMetre,
                60000.00000031,
                0.0,
                Lang::En
            ),
            "take the 60000 m² inside 南津关 out of it"
        );
        assert_eq!(
            r(K::AttributeExcess, U::Metre, 180.0, 150.0, Lang::Zh),
            "降低 30 米，至 150 米"
        );
        assert_eq!(
            r(K::ShareAfter, U::Percent, 48.2, 50.0, Lang::En),
            "keep 1.8 percentage points more of the district's landscape (take less of it), so that its share stays at 50 %"
        );
        let mut undetermined = finding(K::Distance, U::Metre, 10.0, 1000.0);
        undetermined.undetermined = Some(crate::model::Undetermined {
            attributes: vec!["industry".into()],
            reason: String::new(),
        });
        assert_eq!(
            resolution(&undetermined, Lang::Zh).unwrap(),
            "补充属性 industry，以便判定"
        );
    }

    #[test]
    fn escapes_markup_and_control_characters() {
        assert_eq!(
            xml_escape("a<b & \"c\" 'd'\u{1}"),
            "a&lt;b &amp; &quot;c&quot; &#39;d&#39;\u{FFFD}"
        );
    }

    proptest::proptest! {
        /// The fingerprint hashed part by part is FNV-1a of the key written out
        /// (`code|file|feature|layer|zone id`), as it was made before.
        #[test]
        fn fingerprint_of_parts_is_the_hash_of_the_key(
            code in "[A-Z0-9]{1,6}",
            dir in "(/[a-z]{1,5}){0,2}",
            file in "[a-z<>.\u{4e00}-\u{4e10}]{0,8}",
            id in proptest::option::of("[a-z0-9#|]{0,6}"),
            index in 0usize..10_000_000,
            layer in "[a-z_]{1,8}",
            zone in proptest::option::of("[A-Z0-9-]{0,5}"),
        ) {
            let source = format!("{dir}/{file}");
            let feature = FeatureRef { source: source.as_str().into(), index, id: id.clone() };
            let names = ZoneNames { layer: &layer, id: zone.as_deref(), name: None };
            let name = std::path::Path::new(&source)
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            let key = format!(
                "{code}|{name}|{}|{layer}|{}",
                id.clone().unwrap_or_else(|| format!("#{index}")),
                zone.as_deref().unwrap_or("")
            );
            let mut h: u64 = 0xcbf29ce484222325;
            for b in key.bytes() {
                h ^= u64::from(b);
                h = h.wrapping_mul(0x100000001b3);
            }
            proptest::prop_assert_eq!(fingerprint_of(&code, &feature, &names), h);
        }
    }
}
