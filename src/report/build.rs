//! A report built from evaluated sources: the share pass over the whole submission, findings
//! worded (in parallel) and in stable order, the (feature, rule) cases, counts that
//! reconcile, and, when asked, the map.

use super::{Case, MapData, MapFeature, MapLayer, Report, RuleDoc, Summary};
use crate::engine::{CheckedSource, Checker};
use crate::model::{FeatureRef, Finding, Severity};
use std::collections::BTreeMap;

/// Reads and checks proposal files and builds their report (`check`, `serve`): a file that
/// cannot be read is an error diagnostic naming it, and the other files are still checked.
pub fn check_files(
    checker: &Checker,
    paths: &[std::path::PathBuf],
    request: &crate::engine::ReadRequest<'_>,
    map: bool,
) -> Report {
    let mut sources = Vec::new();
    let mut file_errors = Vec::new();
    for path in paths {
        match checker.check_source(path, request) {
            Ok(s) => sources.push(s),
            Err(e) => file_errors.push(crate::model::Diagnostic::error(
                crate::io::shown(path).into_owned(),
                strip_path(&e.to_string(), path),
            )),
        }
    }
    let mut report = build(checker, sources, map);
    report.diagnostics.extend(file_errors);
    report
}

/// Error messages already start with the path; the diagnostic names it once.
fn strip_path(message: &str, path: &std::path::Path) -> String {
    let p = crate::io::shown(path);
    message
        .strip_prefix(p.as_ref())
        .map(|rest| rest.trim_start_matches(':').trim_start().to_owned())
        .unwrap_or_else(|| message.to_owned())
}

/// Builds the report of `check` (and of the library's callers) from the checked sources:
/// findings in stable order, the (feature, rule) pairs checked, diagnostics from the zone
/// layers and the sources, and counts that reconcile (`read = checked + rejected`). With
/// `map`, the HTML report's map too.
pub fn build(checker: &Checker, sources: Vec<CheckedSource<'_>>, map: bool) -> Report {
    let mut summary = Summary::default();
    let mut diagnostics = checker.diagnostics.clone();
    let mut source_crs = BTreeMap::new();
    let mut checked = Vec::new();
    for s in sources {
        summary.read += s.read;
        summary.checked += s.items.len();
        summary.rejected += s.rejected();
        diagnostics.extend(s.diagnostics);
        source_crs.insert(s.name, s.crs);
        checked.extend(s.items);
    }
    // The second pass: share rules judge the whole submission together.
    let all: Vec<&crate::engine::Checked<'_>> = checked.iter().collect();
    let mut findings: Vec<Finding> = checker
        .share_pass(&all)
        .into_iter()
        .map(|(i, x)| checker.finding(&all[i].fref, &all[i].properties, x))
        .collect();
    let cases: Vec<Case> = checked
        .iter()
        .map(|c| Case {
            feature: c.fref.clone(),
            name: c.name().map(str::to_owned),
            rules: checker.applied(c).into_iter().map(str::to_owned).collect(),
        })
        .collect();
    let footprints: Vec<(FeatureRef, String, geo::Geometry<f64>)> = match map {
        true => checked
            .iter()
            .map(|c| (c.fref.clone(), c.label(), c.footprint.to_geometry()))
            .collect(),
        false => Vec::new(),
    };
    // Each feature's findings, worded in parallel.
    let worded: Vec<Vec<Finding>> = crate::io::stream::map_vec(checked, |c| checker.findings(c));
    findings.extend(worded.into_iter().flatten());
    findings.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
    summary.count(&findings);
    let map = map.then(|| map_data(checker, footprints, &findings));
    Report {
        findings,
        summary,
        diagnostics,
        rules: checker
            .rules()
            .map(|r| RuleDoc::new(r, checker.lang))
            .collect(),
        lang: checker.lang,
        project: checker.project.name.clone(),
        cases,
        working_crs: Some(checker.project.crs.clone()),
        source_crs,
        map,
        ..Report::default()
    }
}

/// What an HTML map draws, in the working CRS: the zones in view of the features (with a
/// margin), and the features coloured by their worst finding.
fn map_data(
    checker: &Checker,
    features: Vec<(FeatureRef, String, geo::Geometry<f64>)>,
    findings: &[Finding],
) -> MapData {
    let mut worst: BTreeMap<&FeatureRef, Severity> = BTreeMap::new();
    for f in findings {
        let w = worst.entry(&f.feature).or_insert(f.severity);
        *w = (*w).max(f.severity);
    }
    let footprints: Vec<MapFeature> = features
        .into_iter()
        .map(|(fref, label, geometry)| MapFeature {
            worst: worst.get(&fref).copied(),
            label,
            geometry,
        })
        .collect();
    let view = crate::geom::bbox_of(footprints.iter().map(|f| &f.geometry))
        .map(|r| crate::geom::expand(r, (r.width().max(r.height()) * 0.1).max(500.0)));
    let layers = view.map_or_else(Vec::new, |v| map_layers(checker, v));
    let relief = view.and_then(|v| relief(checker, v));
    MapData {
        view,
        layers,
        footprints,
        relief,
    }
}

/// The zone layers the rules read, as a map draws them within `view`.
pub(crate) fn map_layers(checker: &Checker, view: geo::Rect<f64>) -> Vec<MapLayer> {
    let used: std::collections::BTreeSet<&String> =
        checker.rules().flat_map(|r| r.test.layers()).collect();
    checker
        .layers
        .iter()
        .filter(|(name, _)| used.contains(name))
        .map(|(name, layer)| MapLayer {
            name: name.clone(),
            title: checker
                .project
                .layers
                .iter()
                .find(|s| &s.name == name)
                .and_then(|s| s.title.clone()),
            areas: layer.pieces_in(view).map(|p| p.polygon.clone()).collect(),
            lines: layer
                .edges_in(view)
                .filter(|e| !layer.zones[e.zone].areal)
                .map(|e| e.coords.clone())
                .collect(),
        })
        .collect()
}

/// The hillshade of the DEM the terrain rules read (else the project's first), over the map's
/// view, 480 pixels wide.
fn relief(checker: &Checker, view: geo::Rect<f64>) -> Option<crate::report::Relief> {
    let name = checker
        .rules()
        .find_map(|r| r.test.dem())
        .or_else(|| checker.dems.keys().next().map(String::as_str))?;
    let dem = checker.dems.get(name)?;
    let w = 480usize;
    let h = ((w as f64 * view.height() / view.width()).round() as usize).clamp(1, 1400);
    // Nothing of the DEM in view (or only flat ground): no picture.
    let png = crate::dem::relief::picture(dem, view, &checker.project.crs, w, h)?;
    Some(crate::report::Relief {
        dem: dem.name.clone(),
        title: dem.title.clone(),
        png,
    })
}
