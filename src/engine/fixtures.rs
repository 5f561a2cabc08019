//! `ironrule rules test`: every rule ships fixtures — features annotated with the codes they
//! must fire (`expect`), known gaps (`todo_expect`), and whether they sit exactly on the
//! rule's boundary (`boundary`). Fixtures are drawn against the zone layers of the pack's
//! `fixtures_project`. A rule fails when a fixture fires unexpectedly, misses, or when the
//! rule lacks a README section or a fixture that fires, one that does not, or a boundary one.
//! A boundary fixture may declare a `tolerance` (the measure's unit): a measure within it of
//! the limit passes either way. Failures carry the measure, the limit and the tolerance.

use super::{Checked, Checker, Found};
use crate::model::{Comparison, Unit};
use crate::project::Project;
use crate::rules::{load_pack, Pack, Rule};
use crate::{Error, Result};
use serde_json::Value;
use std::collections::BTreeSet;
use std::path::PathBuf;

/// The sections every rule README must have.
pub const README_SECTIONS: [&str; 6] = [
    "What it forbids",
    "Why",
    "Legal basis",
    "Spatial test",
    "Example",
    "Known limits",
];

/// The result of one fixture feature for one code.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    Pass,
    Fail,
    /// A `todo_expect` that still does not fire: a documented gap.
    KnownGap,
}

/// One fixture feature checked for one code.
#[derive(Clone, Debug)]
pub struct Outcome {
    pub rule: String,
    pub code: String,
    pub file: String,
    pub index: usize,
    pub label: String,
    pub verdict: Verdict,
    pub detail: String,
}

/// All outcomes of a pack, plus rule-level problems.
#[derive(Clone, Debug, Default)]
pub struct FixtureReport {
    pub outcomes: Vec<Outcome>,
    /// Problems that are not one fixture's: missing README sections, missing fixture kinds,
    /// unreadable fixture files.
    pub problems: Vec<String>,
}

impl FixtureReport {
    pub fn passed(&self) -> usize {
        self.outcomes
            .iter()
            .filter(|o| o.verdict == Verdict::Pass)
            .count()
    }

    pub fn failed(&self) -> usize {
        self.outcomes
            .iter()
            .filter(|o| o.verdict == Verdict::Fail)
            .count()
            + self.problems.len()
    }

    pub fn gaps(&self) -> usize {
        self.outcomes
            .iter()
            .filter(|o| o.verdict == Verdict::KnownGap)
            .count()
    }
}

fn codes(
    props: &crate::model::Properties,
    key: &str,
) -> std::result::Result<BTreeSet<String>, String> {
    match props.get(key) {
        None => Ok(BTreeSet::new()),
        Some(Value::Array(a)) => a
            .iter()
            .map(|v| {
                v.as_str()
                    .map(str::to_owned)
                    .ok_or_else(|| format!("`{key}` must be an array of codes"))
            })
            .collect(),
        Some(_) => Err(format!("`{key}` must be an array of codes")),
    }
}

/// Runs a pack's fixtures against its fixtures project.
pub fn run_pack(pack: &Pack) -> Result<FixtureReport> {
    let project_path: PathBuf = pack.fixtures_project.clone().ok_or_else(|| {
        Error::Usage(format!(
            "{}: pack.toml has no `fixtures_project`, so its fixtures have no zones to run against",
            pack.dir.join("pack.toml").display()
        ))
    })?;
    let project = Project::load(&project_path)?;
    // Re-load the pack against the fixture project's layers, so unknown layers are caught.
    let pack = load_pack(&pack.dir, Some(&project.input_names())).map_err(Error::Config)?;
    let checker = Checker::with_packs(project, vec![pack.clone()])?;
    let mut report = FixtureReport::default();
    for d in checker
        .diagnostics
        .iter()
        .filter(|d| d.level == crate::model::Level::Error)
    {
        report.problems.push(format!("fixtures project: {d}"));
    }
    for rule in &pack.rules {
        check_readme(rule, &mut report);
        run_rule(&checker, rule, &mut report);
    }
    Ok(report)
}

/// The README sections (of [`README_SECTIONS`]) that `text` lacks as `## ` headings.
pub(crate) fn missing_sections(text: &str) -> Vec<&'static str> {
    README_SECTIONS
        .into_iter()
        .filter(|section| {
            !text
                .lines()
                .any(|l| l.starts_with("##") && l.trim_start_matches('#').trim() == *section)
        })
        .collect()
}

/// A rule's fixture files (`fixtures/*.geojson`), sorted; none when the folder is missing.
pub(crate) fn fixture_files(rule_dir: &std::path::Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(rule_dir.join("fixtures"))
        .map(|rd| {
            rd.filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|e| e == "geojson"))
                .collect()
        })
        .unwrap_or_default();
    files.sort();
    files
}

fn check_readme(rule: &Rule, report: &mut FixtureReport) {
    let Some(text) = rule.readme() else {
        report.problems.push(format!(
            "{}: {} has no README.md",
            rule.code,
            rule.dir.display()
        ));
        return;
    };
    for section in missing_sections(&text) {
        report.problems.push(format!(
            "{}: README.md has no '## {section}' section",
            rule.code
        ));
    }
}

fn run_rule(checker: &Checker, rule: &Rule, report: &mut FixtureReport) {
    let files = fixture_files(&rule.dir);
    let (mut fires, mut quiet, mut boundary) = (0, 0, 0);
    for file in files {
        let source = match checker.check_source(
            &file,
            &super::ReadRequest {
                all_attributes: true,
                ..Default::default()
            },
        ) {
            Ok(s) => s,
            Err(e) => {
                report.problems.push(format!("{}: {e}", rule.code));
                continue;
            }
        };
        for d in &source.diagnostics {
            report.problems.push(format!("{}: {d}", rule.code));
        }
        // A share rule judges the file's features together (the second pass, as `check`).
        let shared = matches!(rule.test, crate::rules::Test::Share { .. }).then(|| {
            let all: Vec<&Checked<'_>> = source.items.iter().collect();
            checker.share_pass(&all)
        });
        for (i, c) in source.items.iter().enumerate() {
            let word = |x: &Found<'_>| checker.finding(&c.fref, &c.properties, x.clone());
            let findings = match &shared {
                Some(all) => all
                    .iter()
                    .filter(|(j, _)| *j == i)
                    .map(|(_, x)| word(x))
                    .collect(),
                None => c.found.iter().map(word).collect(),
            };
            match run_feature(checker, rule, c, findings, report) {
                Ok((fire, on_boundary)) => {
                    if fire {
                        fires += 1;
                    } else {
                        quiet += 1;
                    }
                    boundary += usize::from(on_boundary);
                }
                Err(why) => report
                    .problems
                    .push(format!("{}: {}: {why}", rule.code, c.fref)),
            }
        }
    }
    if fires == 0 {
        report.problems.push(format!(
            "{}: no fixture that fires (expect = [\"{}\"])",
            rule.code, rule.code
        ));
    }
    if quiet == 0 {
        report
            .problems
            .push(format!("{}: no fixture that must not fire", rule.code));
    }
    if boundary == 0 {
        report.problems.push(format!(
            "{}: no fixture on the boundary (boundary = true)",
            rule.code
        ));
    }
}

/// What a rule measured on a fixture, for a failure's words: the value, the limit and the
/// comparison that fires (`value op limit`).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Evidence {
    pub value: f64,
    pub limit: f64,
    pub op: Comparison,
    pub unit: Unit,
}

impl Evidence {
    fn of(m: &crate::model::Measure) -> Evidence {
        Evidence {
            value: m.value,
            limit: m.limit,
            op: m.op,
            unit: m.unit,
        }
    }

    /// `measured 30.000000000931323 m, fires when <= 30 m, tolerance 0 m`: the value in full
    /// (a boundary drawn in floating point misses by nanometres), the limit and the tolerance.
    fn words(&self, tolerance: Option<f64>) -> String {
        let unit = match self.unit.symbol() {
            "" => String::new(),
            u => format!(" {u}"),
        };
        format!(
            "measured {}{unit}, fires when {} {}{unit}, tolerance {}{unit}",
            self.value,
            self.op.as_str(),
            self.limit,
            tolerance.unwrap_or(0.0)
        )
    }
}

/// The rule's measure on a fixture that it did not fire on: its test run again with the
/// limit loosened (a setback looks ten times as far, an overlap counts any area), reported
/// against the real limit. `None` for tests whose value says nothing when they do not fire.
fn probe(checker: &Checker, rule: &Rule, c: &Checked<'_>) -> Option<Evidence> {
    use crate::rules::Test;
    let mut loose = rule.clone();
    let limit = match &mut loose.test {
        Test::Setback { distance_m, .. } => {
            let limit = *distance_m;
            *distance_m = limit.max(1.0) * 10.0;
            limit
        }
        Test::Overlap { min_area_m2, .. } => {
            let limit = *min_area_m2;
            *min_area_m2 = 0.0;
            limit
        }
        _ => return None,
    };
    let mut out = Vec::new();
    checker.apply(
        &loose,
        &c.properties,
        &c.footprint,
        &mut Default::default(),
        &mut out,
    );
    let x = out
        .into_iter()
        .min_by(|a, b| a.hit.value.total_cmp(&b.hit.value))?;
    let f = checker.finding(&c.fref, &c.properties, x);
    Some(Evidence {
        limit,
        ..Evidence::of(&f.measure)
    })
}

/// Checks one fixture feature; returns whether it expects the rule to fire and whether it is
/// a boundary case.
fn run_feature(
    checker: &Checker,
    rule: &Rule,
    f: &Checked<'_>,
    findings: Vec<crate::model::Finding>,
    report: &mut FixtureReport,
) -> std::result::Result<(bool, bool), String> {
    if !f.properties.contains_key("expect") {
        return Err(
            "fixture feature has no `expect` (an array of the codes it must fire, possibly empty)"
                .into(),
        );
    }
    let expect = codes(&f.properties, "expect")?;
    let todo = codes(&f.properties, "todo_expect")?;
    // Codes that must come out undetermined (the feature lacks what the rule needs).
    let unsure = codes(&f.properties, "undetermined")?;
    let on_boundary = f
        .properties
        .get("boundary")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    // How far from the limit a boundary fixture's measure may land and still count as on it,
    // in the measure's unit.
    let tolerance = match f.properties.get("tolerance") {
        None | Some(Value::Null) => None,
        Some(v) => match v.as_f64() {
            Some(t) if t >= 0.0 && t.is_finite() && on_boundary => Some(t),
            Some(t) if t >= 0.0 && t.is_finite() => {
                return Err(format!(
                    "`tolerance = {t}` is for fixtures on the boundary: add `boundary = true`, or remove it"
                ))
            }
            _ => {
                return Err(format!(
                    "`tolerance` must be a number, at least 0, in the measure's unit (such as 0.000001), not {v}"
                ))
            }
        },
    };
    // The measure behind a verdict on `code`: the finding's, else the rule's own test run
    // again with a loosened limit.
    let evidence = |code: &str| -> Option<Evidence> {
        match findings.iter().find(|x| x.code == code) {
            Some(x) => Some(Evidence::of(&x.measure)),
            None if code == rule.code => probe(checker, rule, f),
            None => None,
        }
    };
    let said = |code: &str| match evidence(code) {
        Some(e) => format!(" ({})", e.words(tolerance)),
        None if code == rule.code => format!(
            " (no measure: the {} test gives none when it does not fire)",
            rule.test.kind()
        ),
        None => String::new(),
    };
    let fired: BTreeSet<&str> = findings
        .iter()
        .filter(|x| x.undetermined.is_none())
        .map(|x| x.code.as_str())
        .collect();
    let open: BTreeSet<&str> = findings
        .iter()
        .filter(|x| x.undetermined.is_some())
        .map(|x| x.code.as_str())
        .collect();
    let message = |code: &str| {
        findings
            .iter()
            .find(|x| x.code == code)
            .map(|x| x.message.clone())
            .unwrap_or_default()
    };
    let mut scope: BTreeSet<String> = expect.union(&todo).chain(&unsure).cloned().collect();
    scope.insert(rule.code.clone());
    let label = f
        .name()
        .map(str::to_owned)
        .unwrap_or_else(|| format!("#{}", f.fref.index));
    for code in scope {
        let did = fired.contains(code.as_str());
        let unsure_now = open.contains(code.as_str());
        let (verdict, detail) = if unsure.contains(&code) {
            match (unsure_now, did) {
                (true, _) => (Verdict::Pass, format!("{code} undetermined")),
                (false, true) => (
                    Verdict::Fail,
                    format!(
                        "expected {code} undetermined, but it was decided: {}",
                        message(&code)
                    ),
                ),
                (false, false) => (
                    Verdict::Fail,
                    format!("expected {code} undetermined, but it did not fire"),
                ),
            }
        } else if unsure_now {
            (
                Verdict::Fail,
                format!(
                    "{code} came out undetermined{}: {}",
                    if expect.contains(&code) {
                        ", not as the decided finding expected"
                    } else {
                        " but was not expected (list it in `undetermined`)"
                    },
                    message(&code)
                ),
            )
        } else if todo.contains(&code) {
            if did {
                (
                    Verdict::Fail,
                    format!("{code} is a todo_expect but now fires: move it to expect"),
                )
            } else {
                (Verdict::KnownGap, format!("{code} known gap"))
            }
        } else if expect.contains(&code) == did {
            (
                Verdict::Pass,
                if did {
                    format!("{code} fires")
                } else {
                    format!("{code} quiet")
                },
            )
        } else if let Some(e) = tolerance
            .zip(evidence(&code))
            .filter(|(t, e)| (e.value - e.limit).abs() <= *t)
            .map(|(_, e)| e)
        {
            // On the boundary as the fixture means it: either side of the limit is right.
            (
                Verdict::Pass,
                format!(
                    "{code} on the boundary within tolerance ({})",
                    e.words(tolerance)
                ),
            )
        } else if did {
            (
                Verdict::Fail,
                format!(
                    "{code} fired but was not expected{}: {}",
                    said(&code),
                    message(&code)
                ),
            )
        } else {
            (
                Verdict::Fail,
                format!("expected {code}, but it did not fire{}", said(&code)),
            )
        };
        report.outcomes.push(Outcome {
            rule: rule.code.clone(),
            code,
            file: f.fref.source.to_string(),
            index: f.fref.index,
            label: label.clone(),
            verdict,
            detail,
        });
    }
    Ok((
        expect.contains(&rule.code) || todo.contains(&rule.code) || unsure.contains(&rule.code),
        on_boundary,
    ))
}
