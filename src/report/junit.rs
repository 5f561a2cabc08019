use super::{measure_text, xml_escape, Emitter, Report};
use crate::model::Level;
use std::collections::BTreeMap;
use std::io::{self, Write};

/// JUnit XML: one `<testsuite>` per proposal file, one `<testcase>` per (feature, rule)
/// pair checked — a rule whose `applies_to` matched the feature — named
/// `CODE rule-name` in class `source#index (id)`, unique and stable; a `<failure>` per
/// finding, typed by severity (an `<error>` for an undetermined result: the rule could not
/// reach a verdict). Rejected features and other input errors are `<error>`
/// test cases in an `ironrule input` suite.
pub struct Junit;

impl Emitter for Junit {
    fn emit(&self, out: &mut dyn Write, report: &Report) -> io::Result<()> {
        let mut findings: BTreeMap<(&str, usize, &str), Vec<&crate::model::Finding>> =
            BTreeMap::new();
        let mut skipped: BTreeMap<(&str, usize, &str), Vec<&crate::model::Finding>> =
            BTreeMap::new();
        for f in &report.findings {
            if !f.triage.is_active() {
                skipped
                    .entry((f.feature.source.as_ref(), f.feature.index, f.code.as_str()))
                    .or_default()
                    .push(f);
                continue;
            }
            findings
                .entry((f.feature.source.as_ref(), f.feature.index, f.code.as_str()))
                .or_default()
                .push(f);
        }
        let names: BTreeMap<&str, &str> = report
            .rules
            .iter()
            .map(|r| (r.code.as_str(), r.name.as_str()))
            .collect();
        let mut suites: BTreeMap<&str, Vec<&super::Case>> = BTreeMap::new();
        for c in &report.cases {
            suites.entry(c.feature.source.as_ref()).or_default().push(c);
        }
        let tests: usize =
            report.cases.iter().map(|c| c.rules.len()).sum::<usize>() + report.diagnostics.len();
        // A case whose findings are all undetermined is an error (no verdict), else a failure.
        let open = |fs: &Vec<&crate::model::Finding>| fs.iter().all(|f| f.undetermined.is_some());
        let failures = findings.values().filter(|fs| !open(fs)).count();
        let undetermined = findings.values().filter(|fs| open(fs)).count();
        let errors = report
            .diagnostics
            .iter()
            .filter(|d| d.level == Level::Error)
            .count()
            + undetermined;
        writeln!(out, r#"<?xml version="1.0" encoding="UTF-8"?>"#)?;
        writeln!(
            out,
            r#"<testsuites name="ironrule" tests="{tests}" failures="{failures}" errors="{errors}">"#
        )?;
        for (source, cases) in &suites {
            let n: usize = cases.iter().map(|c| c.rules.len()).sum();
            let mine = || findings.iter().filter(|((s, _, _), _)| s == source);
            let failed = mine().filter(|(_, fs)| !open(fs)).count();
            let unsure = mine().filter(|(_, fs)| open(fs)).count();
            writeln!(
                out,
                r#"  <testsuite name="{}" tests="{n}" failures="{failed}" errors="{unsure}">"#,
                xml_escape(source)
            )?;
            for c in cases {
                let class = match &c.feature.id {
                    Some(id) => format!("{}#{} ({id})", c.feature.source, c.feature.index),
                    None => format!("{}#{}", c.feature.source, c.feature.index),
                };
                for code in &c.rules {
                    let name =
                        format!("{code} {}", names.get(code.as_str()).copied().unwrap_or(""));
                    write!(
                        out,
                        r#"    <testcase classname="{}" name="{}""#,
                        xml_escape(&class),
                        xml_escape(&name)
                    )?;
                    let key = (c.feature.source.as_ref(), c.feature.index, code.as_str());
                    match findings.get(&key) {
                        // Waived or baselined only: skipped, with why.
                        None if skipped.contains_key(&key) => {
                            let why: Vec<String> = skipped[&key]
                                .iter()
                                .map(|f| match &f.triage {
                                    crate::model::Triage::Waived { document, body, .. } => {
                                        format!("waived by {document} ({body})")
                                    }
                                    _ => "in the baseline".to_owned(),
                                })
                                .collect();
                            writeln!(
                                out,
                                r#"><skipped message="{}"/></testcase>"#,
                                xml_escape(&why.join("; "))
                            )?
                        }
                        None => writeln!(out, "/>")?,
                        Some(fs) => {
                            writeln!(out, ">")?;
                            for f in fs {
                                let zone = f
                                    .zone
                                    .id
                                    .as_deref()
                                    .map(|z| format!(" {z}"))
                                    .unwrap_or_default();
                                let body = format!(
                                    "{}\n{}\nzone: {}{zone}\nlaw: {}",
                                    f.message,
                                    measure_text(f, report.lang),
                                    f.zone.layer,
                                    f.citation
                                );
                                // Undetermined: the check could not run to a verdict, which
                                // JUnit calls an error, not a failure.
                                let element = if f.undetermined.is_some() {
                                    "error"
                                } else {
                                    "failure"
                                };
                                writeln!(
                                    out,
                                    r#"      <{element} message="{}" type="{}">{}</{element}>"#,
                                    xml_escape(&f.message),
                                    f.severity,
                                    xml_escape(&body)
                                )?;
                            }
                            writeln!(out, "    </testcase>")?;
                        }
                    }
                }
            }
            writeln!(out, "  </testsuite>")?;
        }
        if !report.diagnostics.is_empty() {
            let warnings = report.diagnostics.len() - errors;
            writeln!(
                out,
                r#"  <testsuite name="ironrule input" tests="{}" failures="0" errors="{errors}" skipped="{warnings}">"#,
                report.diagnostics.len()
            )?;
            for (i, d) in report.diagnostics.iter().enumerate() {
                let what = if d.level == Level::Error {
                    "error"
                } else {
                    "skipped"
                };
                writeln!(
                    out,
                    r#"    <testcase classname="{}" name="input {}"><{what} message="{}"/></testcase>"#,
                    xml_escape(&d.source),
                    i + 1,
                    xml_escape(&d.to_string())
                )?;
            }
            writeln!(out, "  </testsuite>")?;
        }
        writeln!(out, "</testsuites>")
    }
}
