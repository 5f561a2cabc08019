use super::{Emitter, Report};
use crate::engine::checker::fmt_num;
use crate::model::{FeatureRef, Finding, MeasureKind};
use std::io::{self, Write};

/// Compiler-style text: findings grouped per feature, each with code, severity, message,
/// measured value against the limit, the zone and the citation; diagnostics; a summary line.
pub struct Text;

fn measure_line(f: &Finding) -> String {
    let m = &f.measure;
    let unit = if m.unit == "m2" { "m²" } else { m.unit };
    let mut line = format!("{} {} {unit}", m.kind.label(), fmt_num(m.value));
    match m.kind {
        MeasureKind::Distance => line.push_str(&format!(" ≤ limit {} m", fmt_num(m.limit))),
        MeasureKind::OverlapArea if m.limit > 0.0 => {
            line.push_str(&format!(" ≥ threshold {} m²", fmt_num(m.limit)))
        }
        _ => line.push_str(&format!(" (allowed: 0 {unit})")),
    }
    if let Some(share) = f.share_of_footprint {
        line.push_str(&format!(", {:.1}% of the footprint", share * 100.0));
    }
    line
}

fn zone_line(f: &Finding) -> String {
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
                write!(out, "{}", f.feature)?;
                if let Some(name) = &f.feature_name {
                    write!(out, " {name}")?;
                }
                writeln!(out)?;
                current = Some(&f.feature);
            }
            writeln!(out, "  {}[{}] {}", f.severity, f.code, f.message)?;
            writeln!(out, "    = measured: {}", measure_line(f))?;
            writeln!(out, "    = {}", zone_line(f))?;
            writeln!(out, "    = law: {}", f.citation)?;
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
        writeln!(out)
    }
}
