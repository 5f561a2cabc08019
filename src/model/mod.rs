//! The data every stage passes on.

/// Diagnostics: problems with input that do not stop the run.
pub mod diagnostic;
/// Features read from a source, and references back to them.
pub mod feature;
/// Findings and their measured evidence.
pub mod finding;
/// The language of human text (`--lang`).
pub mod lang;
/// How bad a finding is.
pub mod severity;
/// A finding's triage status, and calendar dates.
pub mod triage;

pub use diagnostic::{Diagnostic, Level};
pub use feature::{Feature, FeatureRef, Properties};
pub use finding::{
    Citation, Comparison, Finding, Measure, MeasureKind, ParcelPart, Plan, PlanGap, Terrain,
    Undetermined, Unit, UseRef, Verdict, ZoneRef,
};
pub use lang::Lang;
pub use severity::Severity;
pub use triage::{iso_of_seconds, Date, Triage};

/// The noun for `n` things: `one` for one, else `many`.
pub fn noun<'a>(n: usize, one: &'a str, many: &'a str) -> &'a str {
    if n == 1 {
        one
    } else {
        many
    }
}

/// `n` and its noun, in the singular for one: "1 finding", "3 findings".
pub fn count(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", noun(n, one, many))
}

/// A count with thousands separators: 1,000,000.
pub fn thousands(n: usize) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Formats a measured number for messages: at most two decimals, no trailing zeros.
pub fn fmt_num(v: f64) -> String {
    let s = format!("{v:.2}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s == "-0" {
        "0".into()
    } else {
        s.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::fmt_num;

    #[test]
    fn numbers_read_cleanly() {
        assert_eq!(fmt_num(1000.0), "1000");
        assert_eq!(fmt_num(612.4321), "612.43");
        assert_eq!(fmt_num(0.5), "0.5");
        assert_eq!(fmt_num(-0.0001), "0");
    }
}
