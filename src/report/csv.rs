use super::{Cells, Emitter, Report};
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
    if plain(s.as_bytes()) {
        // Nothing to clean or quote (most cells): the same bytes, without the scans below.
        if s.starts_with(['=', '+', '-', '@']) {
            out.push('\'');
        }
        out.push_str(s);
        return;
    }
    put_any_text(out, s);
}

/// [`put_text`] without its shortcut for plain cells: clean, guard, quote.
fn put_any_text(out: &mut String, s: &str) {
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

/// A cell with no control character (C0, DEL or C1), comma or quote: written as it is.
fn plain(s: &[u8]) -> bool {
    // Printable ASCII without comma or quote, the usual cell: one pass with no early exit,
    // which the compiler vectorises.
    let ascii = s.iter().fold(true, |ok, &b| {
        ok & ((0x20..0x7f).contains(&b) & (b != b',') & (b != b'"'))
    });
    ascii
        || s.iter().enumerate().all(|(i, &b)| {
            // C1 controls (U+0080-U+009F) are 0xC2 0x80-0x9F in UTF-8.
            b >= 0x20
                && b != 0x7f
                && b != b','
                && b != b'"'
                && !(b == 0xc2 && s.get(i + 1).is_some_and(|&n| n < 0xa0))
        })
}

impl Emitter for Csv {
    fn emit(&self, out: &mut dyn Write, report: &Report) -> io::Result<()> {
        if self.bom {
            out.write_all(BOM.as_bytes())?;
        }
        write!(out, "{}\r\n", header())?;
        let mut line = String::with_capacity(256);
        for f in &report.findings {
            line.clear();
            write_row(&mut line, &Cells::of_finding(f));
            out.write_all(line.as_bytes())?;
        }
        Ok(())
    }
}

/// The fields of one CSV line as [`write_row`] writes it (quoted fields, `""` for a quote).
pub fn split_row(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    let mut chars = line.trim_end_matches(['\r', '\n']).chars().peekable();
    while let Some(c) = chars.next() {
        match (c, quoted) {
            ('"', true) if chars.peek() == Some(&'"') => {
                cur.push('"');
                chars.next();
            }
            ('"', _) => quoted = !quoted,
            (',', false) => out.push(std::mem::take(&mut cur)),
            (c, _) => cur.push(c),
        }
    }
    out.push(cur);
    out
}

/// The header line, without its line end.
pub fn header() -> String {
    COLUMNS.join(",")
}

/// One finding's line, without its line end.
pub fn row(f: &Finding) -> String {
    let mut out = String::with_capacity(192);
    write_row(&mut out, &Cells::of_finding(f));
    out.truncate(out.len() - 2);
    out
}

/// Appends one row, with its line end (CRLF, RFC 4180): the one place the columns are written.
pub fn write_row(out: &mut String, r: &Cells<'_>) {
    use std::fmt::Write as _;
    let put = |out: &mut String, s: &str| {
        put_text(out, s);
        out.push(',');
    };
    put(out, r.code);
    put(out, r.severity.as_str());
    put(out, r.feature.id.as_deref().unwrap_or_default());
    put(out, r.zone.layer);
    put(out, r.zone.id.unwrap_or_default());
    put(out, r.measure.kind.as_str());
    // Numbers are ironrule's own: written as they are (a negative value is a number).
    crate::model::push_fixed(out, r.measure.value, 6);
    out.push(',');
    put(out, r.measure.unit.code());
    crate::model::push_fixed(out, r.measure.limit, 6);
    out.push(',');
    put(out, r.message);
    put(out, &r.feature.source);
    let _ = write!(out, "{},", r.feature.index);
    put_text(out, r.status);
    out.push_str("\r\n");
}

#[cfg(test)]
mod tests {
    use super::field;

    proptest::proptest! {
        /// The plain-cell shortcut writes what the full path (clean, formula guard, quotes)
        /// writes, for any text.
        #[test]
        fn the_shortcut_changes_no_cell(s in "(?s).{0,12}", t in "[-=+@,\"a-z\u{80}-\u{a0}°河\t\r\n\u{1b}]{0,8}") {
            for s in [s.as_str(), t.as_str(), &format!("{t}{s}")] {
                let mut want = String::new();
                super::put_any_text(&mut want, s);
                proptest::prop_assert_eq!(field(s), want);
            }
        }
    }

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
