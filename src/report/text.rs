use super::{measure_text, Emitter, Report};
use crate::model::{FeatureRef, Finding, MeasureKind, Severity};
use std::io::{self, Write};

/// Compiler-style text: findings grouped per feature, each with code, severity, message,
/// measured value against the limit, the zone and the citation; diagnostics; a one-line
/// summary. ANSI colour when `color` is set.
pub struct Text {
    pub color: bool,
}

impl Text {
    fn paint(&self, s: &str, code: &str) -> String {
        if self.color {
            format!("\x1b[{code}m{s}\x1b[0m")
        } else {
            s.to_owned()
        }
    }

    fn severity(&self, s: Severity) -> String {
        let code = match s {
            Severity::Prohibited => "1;31",
            Severity::RequiresApproval | Severity::RequiresAssessment => "1;33",
            Severity::Notice => "1;34",
        };
        self.paint(s.as_str(), code)
    }
}

fn zone_line(f: &Finding) -> String {
    if matches!(
        f.measure.kind,
        MeasureKind::AttributeExcess | MeasureKind::AttributeMissing
    ) {
        return format!(
            "limit set by: {}",
            f.zone.name.as_deref().unwrap_or("the rule")
        );
    }
    let label = if f.measure.kind == MeasureKind::Distance {
        "baseline"
    } else {
        "zone"
    };
    match (&f.zone.id, &f.zone.name) {
        (Some(id), Some(name)) => format!("{label}: {} {id} ({name})", f.zone.layer),
        (Some(id), None) => format!("{label}: {} {id}", f.zone.layer),
        _ => format!("{label}: layer {}", f.zone.layer),
    }
}

impl Emitter for Text {
    fn emit(&self, out: &mut dyn Write, report: &Report) -> io::Result<()> {
        let mut current: Option<&FeatureRef> = None;
        for f in &report.findings {
            if current != Some(&f.feature) {
                if current.is_some() {
                    writeln!(out)?;
                }
                let mut head = f.feature.to_string();
                if let Some(name) = &f.feature_name {
                    head.push(' ');
                    head.push_str(name);
                }
                writeln!(out, "{}", self.paint(&head, "1"))?;
                current = Some(&f.feature);
            }
            let status = if f.undetermined.is_some() {
                self.paint(" undetermined", "1;35")
            } else {
                String::new()
            };
            writeln!(
                out,
                "  {}[{}]{status} {}",
                self.severity(f.severity),
                self.paint(&f.code, "1"),
                f.message
                    .strip_prefix("undetermined: ")
                    .unwrap_or(&f.message)
            )?;
            writeln!(out, "    = measured: {}", measure_text(f))?;
            writeln!(out, "    = {}", zone_line(f))?;
            writeln!(out, "    = law: {}", f.citation)?;
            if let Some(e) = &f.exception {
                writeln!(out, "    = exception: {e}")?;
            }
            if let Some(a) = &f.approval {
                writeln!(out, "    = approval by: {a}")?;
            }
            match &f.triage {
                crate::triage::Triage::Waived {
                    document,
                    body,
                    expires,
                    ..
                } => {
                    let until = expires
                        .as_ref()
                        .map(|e| format!(", valid through {e}"))
                        .unwrap_or_default();
                    writeln!(
                        out,
                        "    = {}: {document} ({body}){until}; does not fail the run",
                        self.paint("waived", "1;32")
                    )?
                }
                crate::triage::Triage::Baselined => writeln!(
                    out,
                    "    = {}: already in the baseline; does not fail the run",
                    self.paint("baselined", "1;32")
                )?,
                crate::triage::Triage::Active => {}
            }
        }
        if !report.fixed.is_empty() {
            writeln!(out, "fixed since the baseline:")?;
            for e in &report.fixed {
                let feature = e.feature.as_deref().unwrap_or("(no id)");
                let zone = e.zone_id.as_deref().unwrap_or("");
                writeln!(
                    out,
                    "  {} {} feature {feature}: {} {zone}",
                    e.code, e.file, e.zone_layer
                )?;
            }
            writeln!(out)?;
        }
        if !report.findings.is_empty() {
            writeln!(out)?;
        }
        for d in &report.diagnostics {
            writeln!(out, "{d}")?;
        }
        let s = &report.summary;
        let by_sev: Vec<String> = s
            .by_severity
            .iter()
            .rev()
            .map(|(k, v)| format!("{v} {k}"))
            .collect();
        write!(
            out,
            "{} feature(s) read, {} checked, {} rejected; {} finding(s)",
            s.read, s.checked, s.rejected, s.findings
        )?;
        if !by_sev.is_empty() {
            write!(
                out,
                " ({}) from {} rule(s)",
                by_sev.join(", "),
                s.by_rule.len()
            )?;
        }
        let triaged: Vec<String> = [
            (
                s.undetermined,
                "undetermined (a rule could not be decided: fix the attributes)",
            ),
            (s.waived, "waived"),
            (s.baselined, "baselined"),
            (s.fixed, "fixed since the baseline"),
        ]
        .iter()
        .filter(|(n, _)| *n > 0)
        .map(|(n, what)| format!("{n} {what}"))
        .collect();
        if !triaged.is_empty() {
            write!(out, "; {}", triaged.join(", "))?;
        }
        writeln!(out)
    }
}
