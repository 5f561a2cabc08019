use super::{Emitter, Report};
use crate::model::Finding;
use std::io::{self, Write};

/// CSV (RFC 4180) for auditors: one row per finding with the columns `code, severity,
/// feature_id, zone_layer, zone_id, measure, value, unit, limit, message, source,
/// feature_index, status` (`active`, `undetermined`, `waived`, `baselined`). Values in metres or m², to the
/// micrometre.
pub struct Csv {
    /// Start with a UTF-8 byte-order mark (`--csv-bom`): Excel on Chinese Windows reads a
    /// CSV without one as GBK.
    pub bom: bool,
}

/// The UTF-8 byte-order mark.
pub const BOM: &str = "\u{feff}";

/// The header row.
pub const COLUMNS: [&str; 13] = [
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
    "status",
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
        if self.bom {
            out.write_all(BOM.as_bytes())?;
        }
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

/// One finding's line, without its line end (the audit streams these; one allocation).
pub fn row(f: &Finding) -> String {
    use std::fmt::Write as _;
    let mut out = String::with_capacity(192);
    let mut put = |s: &str, last: bool| {
        if s.contains([',', '"', '\n', '\r']) {
            out.push('"');
            out.push_str(&s.replace('"', "\"\""));
            out.push('"');
        } else {
            out.push_str(s);
        }
        if !last {
            out.push(',');
        }
    };
    put(&f.code, false);
    put(f.severity.as_str(), false);
    put(f.feature.id.as_deref().unwrap_or_default(), false);
    put(&f.zone.layer, false);
    put(f.zone.id.as_deref().unwrap_or_default(), false);
    put(f.measure.kind.as_str(), false);
    let mut num = String::with_capacity(24);
    let _ = write!(num, "{:.6}", f.measure.value);
    put(&num, false);
    put(f.measure.unit, false);
    num.clear();
    let _ = write!(num, "{:.6}", f.measure.limit);
    put(&num, false);
    put(&f.message, false);
    put(&f.feature.source, false);
    num.clear();
    let _ = write!(num, "{}", f.feature.index);
    put(&num, false);
    put(f.status(), true);
    out
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
