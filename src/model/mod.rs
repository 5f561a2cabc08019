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

/// Appends `v` with `decimals` (at most 9) digits after the point: exactly what
/// `format!("{v:.N$}")` writes (the binary value rounded half to even, a sign on every
/// negative), without the general formatter's cost. Reports write two numbers per finding.
///
/// ```
/// let mut s = String::new();
/// ironrule::model::push_fixed(&mut s, 0.0078125, 6); // a tie: to even
/// assert_eq!(s, format!("{:.6}", 0.0078125));
/// ```
pub fn push_fixed(out: &mut String, v: f64, decimals: u32) {
    use std::fmt::Write as _;
    // |v| < 2^53: v·10^decimals·2^k fits in 128 bits below.
    if decimals > 9 || !v.is_finite() || v.abs() >= 9.0e15 {
        let _ = write!(out, "{v:.*}", decimals as usize);
        return;
    }
    let bits = v.to_bits();
    let exponent = ((bits >> 52) & 0x7ff) as i32;
    let fraction = bits & ((1 << 52) - 1);
    // v = m · 2^e exactly.
    let (m, e) = match exponent {
        0 => (fraction, -1074),
        _ => (fraction | (1 << 52), exponent - 1075),
    };
    let scale = 10u128.pow(decimals);
    let scaled = u128::from(m) * scale;
    let q = if e >= 0 {
        scaled << e
    } else if e <= -127 {
        // Below 2^-54 · 10^decimals: less than half of the last digit.
        0
    } else {
        let k = e.unsigned_abs();
        let (q, r) = (scaled >> k, scaled & ((1u128 << k) - 1));
        let half = 1u128 << (k - 1);
        if r > half || (r == half && q & 1 == 1) {
            q + 1
        } else {
            q
        }
    };
    if bits >> 63 == 1 {
        out.push('-');
    }
    let Ok(q) = u64::try_from(q) else {
        let _ = write!(out, "{}", q / scale);
        if decimals > 0 {
            let _ = write!(out, ".{:0width$}", q % scale, width = decimals as usize);
        }
        return;
    };
    // Digits written from the right: the fraction's `decimals`, the point, the integer part
    // (at least one digit).
    let mut buf = [0u8; 32];
    let mut at = buf.len();
    let mut rest = q;
    for _ in 0..decimals {
        at -= 1;
        buf[at] = b'0' + (rest % 10) as u8;
        rest /= 10;
    }
    if decimals > 0 {
        at -= 1;
        buf[at] = b'.';
    }
    loop {
        at -= 1;
        buf[at] = b'0' + (rest % 10) as u8;
        rest /= 10;
        if rest == 0 {
            break;
        }
    }
    // ASCII digits and a point.
    out.push_str(std::str::from_utf8(&buf[at..]).unwrap_or_default());
}

/// Formats a measured number for messages: at most two decimals, no trailing zeros.
pub fn fmt_num(v: f64) -> String {
    let mut s = String::with_capacity(24);
    push_fixed(&mut s, v, 2);
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

    /// `push_fixed` is `format!("{v:.N$}")`, ties, signs and extremes included.
    #[test]
    fn fixed_point_matches_the_formatter() {
        let fixed = |v: f64, d: u32| {
            let mut s = String::new();
            super::push_fixed(&mut s, v, d);
            s
        };
        let odd_128ths = (0..2000).map(|k| f64::from(2 * k + 1) / 128.0);
        let specials = [
            0.0,
            -0.0,
            1e-9,
            -1e-9,
            5e-7,
            0.5,
            1.5,
            2.5,
            0.125,
            0.375,
            1e15,
            8.9e15,
            9.1e15,
            f64::MIN_POSITIVE,
            5e-324,
            -5e-324,
            f64::MAX,
            f64::NAN,
            f64::INFINITY,
            f64::NEG_INFINITY,
            612.4321,
            1_021_280_081.0,
            0.1 + 0.2,
        ];
        for v in odd_128ths.chain(specials) {
            for d in [0, 1, 2, 6, 9] {
                assert_eq!(fixed(v, d), format!("{v:.*}", d as usize), "{v:e} .{d}");
                assert_eq!(
                    fixed(-v, d),
                    format!("{:.*}", d as usize, -v),
                    "{:e} .{d}",
                    -v
                );
            }
        }
    }

    proptest::proptest! {
        #[test]
        fn fixed_point_matches_the_formatter_anywhere(bits in proptest::num::u64::ANY, d in 0u32..10) {
            let v = f64::from_bits(bits);
            let mut s = String::new();
            super::push_fixed(&mut s, v, d);
            proptest::prop_assert_eq!(s, format!("{v:.*}", d as usize));
        }

        #[test]
        fn fixed_point_matches_the_formatter_on_measures(v in -1e12f64..1e12, d in 0u32..10) {
            let mut s = String::new();
            super::push_fixed(&mut s, v, d);
            proptest::prop_assert_eq!(s, format!("{v:.*}", d as usize));
        }
    }

    #[test]
    fn numbers_read_cleanly() {
        assert_eq!(fmt_num(1000.0), "1000");
        assert_eq!(fmt_num(612.4321), "612.43");
        assert_eq!(fmt_num(0.5), "0.5");
        assert_eq!(fmt_num(-0.0001), "0");
    }
}
