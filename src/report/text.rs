use super::{measure_text, Emitter, Report};
use crate::model::{count, FeatureRef, Finding, Lang, MeasureKind, Severity};
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

    fn severity(&self, s: Severity, lang: Lang) -> String {
        let code = match s {
            Severity::Prohibited => "1;31",
            Severity::RequiresApproval | Severity::RequiresAssessment => "1;33",
            Severity::Notice => "1;34",
        };
        self.paint(s.label(lang), code)
    }
}

/// A feature's heading: `file: feature #0 (id "P01")`, `file：要素 #0（编号 "P01"）`.
fn feature_head(r: &FeatureRef, lang: Lang) -> String {
    match (lang, &r.id) {
        (Lang::En, _) => r.to_string(),
        (Lang::Zh, Some(id)) => format!("{}：要素 #{}（编号 {id:?}）", r.source, r.index),
        (Lang::Zh, None) => format!("{}：要素 #{}", r.source, r.index),
    }
}

fn zone_line(f: &Finding, lang: Lang) -> String {
    let t = |en, zh| lang.pick(en, zh);
    if matches!(
        f.measure.kind,
        MeasureKind::AttributeExcess | MeasureKind::AttributeMissing
    ) {
        return format!(
            "{}{}",
            t("limit set by: ", "限值来源："),
            f.zone.name.as_deref().unwrap_or(t("the rule", "规则本身"))
        );
    }
    let label = if f.measure.kind == MeasureKind::Distance {
        t("baseline: ", "基线：")
    } else {
        t("zone: ", "区域：")
    };
    match (&f.zone.id, &f.zone.name) {
        (Some(id), Some(name)) => format!("{label}{} {id} ({name})", f.zone.layer),
        (Some(id), None) => format!("{label}{} {id}", f.zone.layer),
        _ => format!("{label}{}{}", t("layer ", "图层 "), f.zone.layer),
    }
}

impl Emitter for Text {
    fn emit(&self, out: &mut dyn Write, report: &Report) -> io::Result<()> {
        let lang = report.lang;
        let t = |en, zh| lang.pick(en, zh);
        let mut current: Option<&FeatureRef> = None;
        // Ids, names and file names come from the data: no terminal escapes from them.
        let findings: Vec<Finding> = report.findings.iter().map(super::cleaned).collect();
        for f in &findings {
            if current != Some(&f.feature) {
                if current.is_some() {
                    writeln!(out)?;
                }
                let mut head = feature_head(&f.feature, lang);
                if let Some(name) = &f.feature_name {
                    head.push(' ');
                    head.push_str(name);
                }
                writeln!(out, "{}", self.paint(&head, "1"))?;
                current = Some(&f.feature);
            }
            let status = if f.undetermined.is_some() {
                self.paint(t(" undetermined", " 无法判定"), "1;35")
            } else {
                String::new()
            };
            let message = f
                .message
                .strip_prefix(t("undetermined: ", "无法判定："))
                .unwrap_or(&f.message);
            writeln!(
                out,
                "  {}[{}]{status} {message}",
                self.severity(f.severity, lang),
                self.paint(&f.code, "1"),
            )?;
            writeln!(
                out,
                "    = {}{}",
                t("measured: ", "实测："),
                measure_text(f, lang)
            )?;
            writeln!(out, "    = {}", zone_line(f, lang))?;
            writeln!(out, "    = {}{}", t("law: ", "法律依据："), f.citation)?;
            if let Some(e) = &f.exception {
                writeln!(out, "    = {}{e}", t("exception: ", "例外："))?;
            }
            if let Some(a) = &f.approval {
                writeln!(out, "    = {}{a}", t("approval by: ", "审批机关："))?;
            }
            match &f.triage {
                crate::model::Triage::Waived {
                    document,
                    body,
                    expires,
                    ..
                } => {
                    let until = expires
                        .as_ref()
                        .map(|e| format!(", valid through {e}"))
                        .unwrap_or_default();
                    let until = match (lang, expires) {
                        (Lang::Zh, Some(e)) => format!("，有效期至 {e}"),
                        _ => until,
                    };
                    writeln!(
                        out,
                        "    = {}: {document} ({body}){until}{}",
                        self.paint(t("waived", "已豁免"), "1;32"),
                        t("; does not fail the run", "；不导致失败")
                    )?
                }
                crate::model::Triage::Baselined => writeln!(
                    out,
                    "    = {}",
                    self.paint(
                        t(
                            "baselined: already in the baseline; does not fail the run",
                            "已在基线中：不导致失败"
                        ),
                        "1;32"
                    )
                )?,
                crate::model::Triage::Active => {}
            }
        }
        if !report.fixed.is_empty() {
            writeln!(
                out,
                "{}",
                t("fixed since the baseline:", "自基线以来已整改：")
            )?;
            for e in &report.fixed {
                let feature = e.feature.as_deref().unwrap_or("(no id)");
                let zone = e.zone_id.as_deref().unwrap_or("");
                let line = format!(
                    "  {} {} feature {feature}: {} {zone}",
                    e.code, e.file, e.zone_layer
                );
                writeln!(out, "{}", super::clean(&line))?;
            }
            writeln!(out)?;
        }
        if !report.findings.is_empty() {
            writeln!(out)?;
        }
        for d in &report.diagnostics {
            writeln!(out, "{}", super::clean(&d.to_string()))?;
        }
        let s = &report.summary;
        let by_sev: Vec<String> = s
            .by_severity
            .iter()
            .rev()
            .map(|(k, v)| match lang {
                Lang::En => format!("{v} {k}"),
                Lang::Zh => format!("{v} 项{}", k.label(lang)),
            })
            .collect();
        match lang {
            Lang::En => write!(
                out,
                "{} read, {} checked, {} rejected; {}",
                count(s.read, "feature", "features"),
                s.checked,
                s.rejected,
                count(s.findings, "finding", "findings")
            )?,
            Lang::Zh => write!(
                out,
                "读取 {} 个要素，审查 {} 个，拒收 {} 个；发现 {} 项",
                s.read, s.checked, s.rejected, s.findings
            )?,
        }
        if !by_sev.is_empty() {
            match lang {
                Lang::En => write!(
                    out,
                    " ({}) from {}",
                    by_sev.join(", "),
                    count(s.by_rule.len(), "rule", "rules")
                )?,
                Lang::Zh => write!(
                    out,
                    "（{}），涉及 {} 条规则",
                    by_sev.join("，"),
                    s.by_rule.len()
                )?,
            }
        }
        let triaged: Vec<String> = [
            (
                s.undetermined,
                t(
                    "undetermined (a rule could not be decided: fix the attributes)",
                    "项无法判定（规则无法判定：请补正属性）",
                ),
            ),
            (s.waived, t("waived", "项已豁免")),
            (s.baselined, t("baselined", "项已在基线中")),
            (s.fixed, t("fixed since the baseline", "项自基线以来已整改")),
        ]
        .iter()
        .filter(|(n, _)| *n > 0)
        .map(|(n, what)| format!("{n} {what}"))
        .collect();
        if !triaged.is_empty() {
            write!(out, "{}{}", t("; ", "；"), triaged.join(t(", ", "，")))?;
        }
        writeln!(out)
    }
}
