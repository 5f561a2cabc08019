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

/// One text field, quoted only when it must be (RFC 4180), made safe to open in a
/// spreadsheet (see [`put_text`]).
pub fn field(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    put_text(&mut out, s);
    out
}

/// Appends one text field (ids, names, messages: anything the data can say):
/// - control characters other than newline and tab become U+FFFD ([`super::clean`]): no NUL
///   or terminal escapes in the file;
/// - a cell that starts with `=`, `+`, `-`, `@`, a tab or a carriage return gets a leading
///   `'`, so that Excel, LibreOffice and Google Sheets show it as text instead of running it
///   as a formula (CSV injection, OWASP);
/// - quoted only when it must be (RFC 4180).
///
/// Numbers ironrule writes itself (values, limits, indexes) are written as they are.
pub fn put_text(out: &mut String, s: &str) {
    let s = super::clean(s);
    let formula = s.starts_with(['=', '+', '-', '@', '\t', '\r']);
    let quote = s.contains([',', '"', '\n', '\r']);
    if quote {
        out.push('"');
    }
    if formula {
        out.push('\'');
    }
    if quote {
        out.push_str(&s.replace('"', "\"\""));
        out.push('"');
    } else {
        out.push_str(&s);
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
    let put = |out: &mut String, s: &str, last: bool| {
        put_text(out, s);
        if !last {
            out.push(',');
        }
    };
    put(&mut out, &f.code, false);
    put(&mut out, f.severity.as_str(), false);
    put(&mut out, f.feature.id.as_deref().unwrap_or_default(), false);
    put(&mut out, &f.zone.layer, false);
    put(&mut out, f.zone.id.as_deref().unwrap_or_default(), false);
    put(&mut out, f.measure.kind.as_str(), false);
    // Numbers are ironrule's own: written as they are (a negative value is a number).
    let _ = write!(out, "{:.6},", f.measure.value);
    put(&mut out, f.measure.unit.code(), false);
    let _ = write!(out, "{:.6},", f.measure.limit);
    put(&mut out, &f.message, false);
    put(&mut out, &f.feature.source, false);
    let _ = write!(out, "{},", f.feature.index);
    put(&mut out, f.status(), true);
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

    /// Hostile input, class 13: a cell that a spreadsheet would run as a formula is written
    /// as text, and no NUL or escape reaches the file.
    #[test]
    fn formulas_and_control_characters_are_neutralised() {
        assert_eq!(
            field("=HYPERLINK(\"http://x\")"),
            "\"'=HYPERLINK(\"\"http://x\"\")\""
        );
        assert_eq!(field("+1"), "'+1");
        assert_eq!(field("-2+3"), "'-2+3");
        assert_eq!(field("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(field("P\0\x1b[31m"), "P\u{FFFD}\u{FFFD}[31m");
        assert_eq!(field("河道-1"), "河道-1");
    }
}
