use super::json::finding_json;
use super::{Emitter, Report};
use serde_json::json;
use std::io::{self, Write};

/// JSON Lines: one object per line, each with a `type`: `"finding"` (the keys of a JSON
/// finding), `"diagnostic"`, and last a `"summary"`. Streams well into `jq`, log stores and
/// databases.
pub struct JsonLines;

impl Emitter for JsonLines {
    fn emit(&self, out: &mut dyn Write, report: &Report) -> io::Result<()> {
        for f in &report.findings {
            let mut v = finding_json(report, f);
            if let Some(o) = v.as_object_mut() {
                o.shift_insert(0, "type".into(), json!("finding"));
            }
            writeln!(out, "{v}")?;
        }
        for d in &report.diagnostics {
            let mut v = serde_json::to_value(d)?;
            if let Some(o) = v.as_object_mut() {
                o.shift_insert(0, "type".into(), json!("diagnostic"));
            }
            writeln!(out, "{v}")?;
        }
        let mut v = serde_json::to_value(&report.summary)?;
        if let Some(o) = v.as_object_mut() {
            o.shift_insert(0, "type".into(), json!("summary"));
        }
        writeln!(out, "{v}")
    }
}
