use super::{Emitter, Report};
use crate::model::Finding;
use std::io::{self, Write};

/// CSV (RFC 4180) for auditors: one row per finding with the columns `code, severity,
/// feature_id, zone_layer, zone_id, measure, value, unit, limit, message, source,
/// feature_index`. Values in metres or m², to the micrometre.
pub struct Csv;

/// The header row.
pub const COLUMNS: [&str; 12] = [
    "code",
    "severity",
    "feature_id",
    "zone_layer",
    "zone_id",
    "measure",
    "value",
    "unit",
    "limit",
    "message",
    "source",
    "feature_index",
];

/// One CSV field, quoted only when it must be (RFC 4180).
pub fn field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_owned()
    }
}

impl Emitter for Csv {
    fn emit(&self, out: &mut dyn Write, report: &Report) -> io::Result<()> {
        write!(out, "{}\r\n", header())?;
        for f in &report.findings {
            write!(out, "{}\r\n", row(f))?;
        }
        Ok(())
    }
}

/// The header line, without its line end.
pub fn header() -> String {
    COLUMNS.join(",")
}

/// One finding's line, without its line end (the audit streams these).
pub fn row(f: &Finding) -> String {
    let row = [
        f.code.as_str(),
        f.severity.as_str(),
        f.feature.id.as_deref().unwrap_or_default(),
        &f.zone.layer,
        f.zone.id.as_deref().unwrap_or_default(),
        f.measure.kind.as_str(),
        &format!("{:.6}", f.measure.value),
        f.measure.unit,
        &format!("{:.6}", f.measure.limit),
        &f.message,
        &f.feature.source,
        &f.feature.index.to_string(),
    ];
    let row: Vec<String> = row.iter().map(|s| field(s)).collect();
    row.join(",")
}

#[cfg(test)]
mod tests {
    use super::field;

    #[test]
    fn quotes_only_when_needed() {
        assert_eq!(field("plain"), "plain");
        assert_eq!(field("a, b"), "\"a, b\"");
        assert_eq!(field("say \"hi\""), "\"say \"\"hi\"\"\"");
    }
}
