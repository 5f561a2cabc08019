use super::{Emitter, Report};
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

fn field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_owned()
    }
}

impl Emitter for Csv {
    fn emit(&self, out: &mut dyn Write, report: &Report) -> io::Result<()> {
        write!(out, "{}\r\n", COLUMNS.join(","))?;
        for f in &report.findings {
            let kind = serde_json::to_value(f.measure.kind)?
                .as_str()
                .unwrap_or_default()
                .to_owned();
            let row = [
                f.code.clone(),
                f.severity.to_string(),
                f.feature.id.clone().unwrap_or_default(),
                f.zone.layer.clone(),
                f.zone.id.clone().unwrap_or_default(),
                kind,
                format!("{:.6}", f.measure.value),
                f.measure.unit.to_owned(),
                format!("{:.6}", f.measure.limit),
                f.message.clone(),
                f.feature.source.clone(),
                f.feature.index.to_string(),
            ];
            let row: Vec<String> = row.iter().map(|s| field(s)).collect();
            write!(out, "{}\r\n", row.join(","))?;
        }
        Ok(())
    }
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
