use super::{fingerprint, measure_text, Emitter, Report};
use crate::model::{Level, Severity};
use serde_json::{json, Value};
use std::io::{self, Write};

/// SARIF 2.1.0 (OASIS): one run; the rules with their READMEs as `help`; one result per
/// finding, its level from the severity (prohibited → error; requires-approval and
/// requires-assessment → warning; notice → note), a physical location at the proposal file
/// and a logical location naming the feature, the measured evidence in `properties`, and a
/// stable `partialFingerprints` entry. Input errors become `toolExecutionNotifications`.
pub struct Sarif;

fn level(s: Severity) -> &'static str {
    match s {
        Severity::Prohibited => "error",
        Severity::RequiresApproval | Severity::RequiresAssessment => "warning",
        Severity::Notice => "note",
    }
}

/// A relative path as a SARIF URI reference (forward slashes, spaces escaped).
fn uri(path: &str) -> String {
    path.replace('\\', "/")
        .replace('%', "%25")
        .replace(' ', "%20")
}

impl Emitter for Sarif {
    fn emit(&self, out: &mut dyn Write, report: &Report) -> io::Result<()> {
        let rules: Vec<Value> = report
            .rules
            .iter()
            .map(|r| {
                let mut rule = json!({
                    "id": r.code,
                    "name": r.name,
                    "shortDescription": {"text": r.summary},
                    "fullDescription": {"text": format!("{}. Test: {}. Law: {}.", r.summary, r.test, r.citation)},
                    "defaultConfiguration": {"level": level(r.severity)},
                    "properties": {"severity": r.severity, "citation": r.citation, "tags": ["ironrule", r.severity.as_str()]},
                });
                if let Some(help) = &r.help {
                    rule["help"] = json!({"text": help, "markdown": help});
                }
                rule
            })
            .collect();
        let index: std::collections::BTreeMap<&str, usize> = report
            .rules
            .iter()
            .enumerate()
            .map(|(i, r)| (r.code.as_str(), i))
            .collect();
        let results: Vec<Value> = report
            .findings
            .iter()
            .map(|f| {
                let feature = f.feature.id.clone().unwrap_or_else(|| format!("#{}", f.feature.index));
                let mut result = json!({
                    "ruleId": f.code,
                    "level": level(f.severity),
                    "message": {"text": format!("{} ({})", f.message, measure_text(f, report.lang))},
                    "locations": [{
                        "physicalLocation": {
                            "artifactLocation": {"uri": uri(&f.feature.source)},
                            "region": {"startLine": 1}
                        },
                        "logicalLocations": [{
                            "name": feature,
                            "fullyQualifiedName": format!("{}#{}", f.feature.source, f.feature.index),
                            "kind": "object"
                        }]
                    }],
                    "partialFingerprints": {"ironruleFinding/v1": fingerprint(f)},
                    "properties": {
                        "severity": f.severity,
                        "feature": {"source": f.feature.source, "index": f.feature.index, "id": f.feature.id, "name": f.feature_name},
                        "zone": f.zone,
                        "measure": f.measure,
                        "shareOfFootprint": f.share_of_footprint,
                        "citation": f.citation,
                    }
                });
                if let Some(i) = index.get(f.code.as_str()) {
                    result["ruleIndex"] = json!(i);
                }
                // SARIF's "open": the tool could not tell whether the result is a pass or a
                // fail (the rule needs an attribute the feature lacks).
                if let Some(u) = &f.undetermined {
                    result["kind"] = json!("open");
                    result["properties"]["undetermined"] = json!(u);
                }
                // A waiver is an external, accepted suppression; a baseline says which
                // results are new.
                if let crate::model::Triage::Waived { document, body, expires, reason } = &f.triage {
                    let mut why = format!("waived by {document} ({body})");
                    if let Some(e) = expires {
                        why.push_str(&format!(", valid through {e}"));
                    }
                    if let Some(r) = reason {
                        why.push_str(&format!(": {r}"));
                    }
                    result["suppressions"] = json!([{"kind": "external", "status": "accepted", "justification": why}]);
                }
                if report.baseline_used {
                    result["baselineState"] = json!(if f.triage == crate::model::Triage::Baselined { "unchanged" } else { "new" });
                }
                result
            })
            .collect();
        let notifications: Vec<Value> = report
            .diagnostics
            .iter()
            .map(|d| {
                json!({
                    "level": if d.level == Level::Error { "error" } else { "warning" },
                    "message": {"text": d.to_string()},
                    "locations": [{"physicalLocation": {"artifactLocation": {"uri": uri(&d.source)}}}],
                })
            })
            .collect();
        let doc = json!({
            "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
            "version": "2.1.0",
            "runs": [{
                "tool": {"driver": {
                    "name": "ironrule",
                    "version": env!("CARGO_PKG_VERSION"),
                    "semanticVersion": env!("CARGO_PKG_VERSION"),
                    "rules": rules,
                }},
                "invocations": [{
                    "executionSuccessful": !report.diagnostics.iter().any(|d| d.level == Level::Error),
                    "toolExecutionNotifications": notifications,
                }],
                "results": results,
            }]
        });
        serde_json::to_writer_pretty(&mut *out, &doc)?;
        writeln!(out)
    }
}
