//! What a finding's status is beyond "found": waived by an approval document, or already
//! known from a baseline. Neither drops a finding: it is reported with its status, and only
//! active findings decide the exit code.
//!
//! **Waivers** are a data file (TOML) of approvals: rule code, feature id, document number,
//! approving body, scope, expiry, reason. An expired waiver does not apply (the finding stays
//! active, with a warning); a waiver that matches no finding is reported, like a linter's
//! unused suppression; a malformed file is an error with file:line:col.
//!
//! **Baselines** record the findings of a run so that a CI job can adopt a legacy dataset:
//! `ironrule baseline write` saves them; `check --baseline FILE` marks the findings it already
//! holds as `baselined`, fails only on new ones, and lists the fixed ones (in the baseline,
//! no longer found). A finding matches a baseline entry by rule, source file name, feature key
//! (the id, else the name, else the position of the offending part within 1 m), zone, and a
//! value within 10 % (or 1 m / 1 m²) of the recorded one: reordering the file or moving its
//! vertices by centimetres keeps the match, growing into a new zone or far deeper does not.

use crate::error::line_col;
use crate::model::{Diagnostic, Finding};
use crate::{Error, Result};
use serde::{Deserialize, Serialize};
use std::path::Path;

/// A finding's status.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
#[serde(rename_all = "snake_case", tag = "status")]
pub enum Triage {
    /// Counts toward the exit code.
    #[default]
    Active,
    /// Covered by an approval in the waivers file.
    Waived {
        document: String,
        body: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        expires: Option<String>,
        #[serde(skip_serializing_if = "Option::is_none")]
        reason: Option<String>,
    },
    /// Already in the baseline.
    Baselined,
}

impl Triage {
    pub fn is_active(&self) -> bool {
        matches!(self, Triage::Active)
    }

    /// `active`, `waived` or `baselined`.
    pub fn as_str(&self) -> &'static str {
        match self {
            Triage::Active => "active",
            Triage::Waived { .. } => "waived",
            Triage::Baselined => "baselined",
        }
    }
}

/// A calendar date (proleptic Gregorian), as `YYYY-MM-DD`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Date {
    pub year: i32,
    pub month: u32,
    pub day: u32,
}

impl Date {
    /// Parses `YYYY-MM-DD`, checking the day exists.
    pub fn parse(s: &str) -> std::result::Result<Date, String> {
        let bad = || format!("'{s}' is not a date (YYYY-MM-DD)");
        let mut it = s.trim().splitn(3, '-');
        let (y, m, d) = (it.next(), it.next(), it.next());
        let (Some(y), Some(m), Some(d)) = (y, m, d) else {
            return Err(bad());
        };
        if y.len() != 4 || m.len() != 2 || d.len() != 2 {
            return Err(bad());
        }
        let date = Date {
            year: y.parse().map_err(|_| bad())?,
            month: m.parse().map_err(|_| bad())?,
            day: d.parse().map_err(|_| bad())?,
        };
        let leap = |y: i32| (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
        let days = match date.month {
            1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
            4 | 6 | 9 | 11 => 30,
            2 if leap(date.year) => 29,
            2 => 28,
            _ => return Err(bad()),
        };
        if date.day == 0 || date.day > days {
            return Err(bad());
        }
        Ok(date)
    }

    /// Today in UTC, from the system clock.
    pub fn today() -> Date {
        let secs = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        Date::from_days((secs / 86_400) as i64)
    }

    /// Days since 1970-01-01 (Howard Hinnant's days-from-civil).
    pub fn days(self) -> i64 {
        let y = i64::from(self.year) - i64::from(self.month <= 2);
        let era = y.div_euclid(400);
        let yoe = y.rem_euclid(400);
        let m = i64::from(self.month);
        let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(self.day) - 1;
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        era * 146_097 + doe - 719_468
    }

    /// The same day `n` years later (29 February becomes 28 February in a common year).
    pub fn plus_years(self, n: i32) -> Date {
        let year = self.year + n;
        let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
        let day = if self.month == 2 && self.day == 29 && !leap {
            28
        } else {
            self.day
        };
        Date {
            year,
            month: self.month,
            day,
        }
    }

    /// Calendar years from `self` to `end`: whole years, plus the elapsed fraction of the
    /// next one. Exactly two calendar years is 2.0 whatever the leap days; negative when `end`
    /// is earlier.
    pub fn years_until(self, end: Date) -> f64 {
        if end < self {
            return -end.years_until(self);
        }
        let mut k = end.year - self.year;
        while self.plus_years(k) > end {
            k -= 1;
        }
        let (a, b) = (self.plus_years(k), self.plus_years(k + 1));
        f64::from(k) + (end.days() - a.days()) as f64 / (b.days() - a.days()) as f64
    }

    /// The date `days` after 1970-01-01 (Howard Hinnant's civil-from-days).
    pub fn from_days(days: i64) -> Date {
        let z = days + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z.rem_euclid(146_097);
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
        let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
        let year = (yoe + era * 400 + i64::from(month <= 2)) as i32;
        Date { year, month, day }
    }
}

impl std::fmt::Display for Date {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

/// One approval.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct WaiverSpec {
    rule: String,
    feature: String,
    document: String,
    body: String,
    #[serde(default)]
    scope: Option<String>,
    #[serde(default)]
    expires: Option<toml::Spanned<String>>,
    #[serde(default)]
    reason: Option<String>,
    /// Only findings from this source file name.
    #[serde(default)]
    source: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct WaiverFile {
    #[serde(default, rename = "waiver")]
    waivers: Vec<toml::Spanned<WaiverSpec>>,
}

/// A loaded waiver, with where it is written.
#[derive(Clone, Debug)]
pub struct Waiver {
    pub rule: String,
    pub feature: String,
    pub document: String,
    pub body: String,
    pub scope: Option<String>,
    pub expires: Option<Date>,
    pub reason: Option<String>,
    pub source: Option<String>,
    /// `file:line:col` of its `[[waiver]]`.
    pub at: String,
}

/// Loads a waivers file; every error (syntax, unknown rule code, bad date) is collected.
pub fn load_waivers(path: &Path, known_codes: &[String]) -> Result<Vec<Waiver>> {
    let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
    let file: WaiverFile = toml::from_str(&text).map_err(|e| {
        let loc = e.span().map(|s| line_col(&text, s.start));
        Error::parse(path, loc, e.message().trim().to_owned())
    })?;
    let mut out = Vec::new();
    let mut errors = Vec::new();
    for spanned in file.waivers {
        let (l, c) = line_col(&text, spanned.span().start);
        let at = format!("{}:{l}:{c}", path.display());
        let w = spanned.into_inner();
        if !known_codes.iter().any(|k| k.eq_ignore_ascii_case(&w.rule)) {
            errors.push(
                Diagnostic::error(
                    path.display().to_string(),
                    format!(
                        "waiver for unknown rule '{}' (no loaded pack defines it)",
                        w.rule
                    ),
                )
                .at(l, c),
            );
            continue;
        }
        let expires = match &w.expires {
            Some(e) => match Date::parse(e.get_ref()) {
                Ok(d) => Some(d),
                Err(why) => {
                    let (l, c) = line_col(&text, e.span().start);
                    errors.push(
                        Diagnostic::error(path.display().to_string(), format!("expires: {why}"))
                            .at(l, c),
                    );
                    continue;
                }
            },
            None => None,
        };
        out.push(Waiver {
            rule: w.rule,
            feature: w.feature,
            document: w.document,
            body: w.body,
            scope: w.scope,
            expires,
            reason: w.reason,
            source: w.source,
            at,
        });
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(Error::Config(errors))
    }
}

fn file_name(source: &str) -> String {
    Path::new(source)
        .file_name()
        .map_or_else(|| source.to_owned(), |n| n.to_string_lossy().into_owned())
}

/// Marks the findings the waivers cover (valid on `today`, expiry inclusive) and returns the
/// warnings: expired waivers that matched a finding, and waivers that matched none.
pub fn apply_waivers(findings: &mut [Finding], waivers: &[Waiver], today: Date) -> Vec<Diagnostic> {
    let mut used = vec![false; waivers.len()];
    let mut warnings = Vec::new();
    for f in findings.iter_mut() {
        for (i, w) in waivers.iter().enumerate() {
            let feature_matches = f.feature.id.as_deref() == Some(w.feature.as_str())
                || f.feature_name.as_deref() == Some(w.feature.as_str());
            let source_matches = w
                .source
                .as_deref()
                .is_none_or(|s| s == file_name(&f.feature.source));
            if !(f.code.eq_ignore_ascii_case(&w.rule) && feature_matches && source_matches) {
                continue;
            }
            used[i] = true;
            match w.expires {
                Some(e) if e < today => warnings.push(
                    Diagnostic::warning(
                        w.at.clone(),
                        format!(
                            "waiver {} ({}) for {} on {} expired on {e}; the finding stays active",
                            w.document, w.body, w.rule, w.feature
                        ),
                    )
                    .feature(f.feature.index, f.feature.id.as_deref()),
                ),
                _ => {
                    f.triage = Triage::Waived {
                        document: w.document.clone(),
                        body: w.body.clone(),
                        expires: w.expires.map(|d| d.to_string()),
                        reason: w.reason.clone(),
                    };
                }
            }
        }
    }
    for (w, used) in waivers.iter().zip(used) {
        if !used {
            warnings.push(Diagnostic::warning(
                w.at.clone(),
                format!(
                    "unused waiver: {} ({}) for rule {} on feature {} matches no finding",
                    w.document, w.body, w.rule, w.feature
                ),
            ));
        }
    }
    warnings
}

/// One recorded finding.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Entry {
    pub code: String,
    /// The source's file name (not its path: the baseline survives moving the checkout).
    pub file: String,
    /// The feature's id, else its name; `None` when it has neither.
    pub feature: Option<String>,
    pub zone_layer: String,
    pub zone_id: Option<String>,
    pub value: f64,
    /// The centre of the offending part's box (working CRS), for features without a key.
    pub at: Option<[f64; 2]>,
}

impl Entry {
    fn of(f: &Finding) -> Entry {
        use geo::BoundingRect;
        Entry {
            code: f.code.clone(),
            file: file_name(&f.feature.source),
            feature: f.feature.id.clone().or_else(|| f.feature_name.clone()),
            zone_layer: f.zone.layer.clone(),
            zone_id: f.zone.id.clone(),
            value: f.measure.value,
            at: f
                .geometry
                .as_ref()
                .and_then(|g| g.bounding_rect())
                .map(|r| [r.center().x, r.center().y]),
        }
    }

    fn matches(&self, other: &Entry) -> bool {
        let same_key = self.code == other.code
            && self.file == other.file
            && self.feature == other.feature
            && self.zone_layer == other.zone_layer
            && self.zone_id == other.zone_id;
        let near = match (self.feature.is_some(), self.at, other.at) {
            (true, _, _) => true,
            (false, Some(a), Some(b)) => (a[0] - b[0]).hypot(a[1] - b[1]) <= 1.0,
            (false, _, _) => false,
        };
        let band = (self.value - other.value).abs() <= (0.1 * other.value.abs()).max(1.0);
        same_key && near && band
    }
}

/// A baseline file.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Baseline {
    /// Format version (1).
    pub ironrule_baseline: u32,
    pub findings: Vec<Entry>,
}

impl Baseline {
    /// The baseline of these findings (active and waived alike), in their order.
    pub fn of(findings: &[Finding]) -> Baseline {
        Baseline {
            ironrule_baseline: 1,
            findings: findings.iter().map(Entry::of).collect(),
        }
    }

    pub fn load(path: &Path) -> Result<Baseline> {
        let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
        let b: Baseline = serde_json::from_str(&text).map_err(|e| {
            Error::parse(
                path,
                Some((e.line(), e.column())),
                format!("not an ironrule baseline: {e}"),
            )
        })?;
        if b.ironrule_baseline != 1 {
            return Err(Error::parse(
                path,
                None,
                format!(
                    "baseline format {} is not supported (1 is)",
                    b.ironrule_baseline
                ),
            ));
        }
        Ok(b)
    }

    /// Marks active findings the baseline holds as baselined (each entry matches at most
    /// one finding) and returns the entries no finding matched: the fixed ones.
    pub fn apply(&self, findings: &mut [Finding]) -> Vec<Entry> {
        let mut taken = vec![false; self.findings.len()];
        for f in findings.iter_mut() {
            let e = Entry::of(f);
            if let Some(i) =
                (0..self.findings.len()).find(|&i| !taken[i] && e.matches(&self.findings[i]))
            {
                taken[i] = true;
                if f.triage.is_active() {
                    f.triage = Triage::Baselined;
                }
            }
        }
        self.findings
            .iter()
            .zip(taken)
            .filter(|(_, t)| !t)
            .map(|(e, _)| e.clone())
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::Date;

    #[test]
    fn dates_parse_check_and_count() {
        assert_eq!(Date::parse("2028-02-29").unwrap().to_string(), "2028-02-29");
        assert!(Date::parse("2027-02-29").is_err());
        assert!(Date::parse("2027-13-01").is_err());
        assert!(Date::parse("27-01-01").is_err());
        assert_eq!(Date::from_days(0).to_string(), "1970-01-01");
        assert_eq!(Date::from_days(20_787).to_string(), "2026-11-30");
        assert!(Date::parse("2026-11-30").unwrap() < Date::parse("2026-12-01").unwrap());
        for d in ["1970-01-01", "2000-02-29", "2026-11-30", "1969-12-31"] {
            let date = Date::parse(d).unwrap();
            assert_eq!(Date::from_days(date.days()), date);
        }
        let y = |a: &str, b: &str| Date::parse(a).unwrap().years_until(Date::parse(b).unwrap());
        assert_eq!(y("2024-01-01", "2026-01-01"), 2.0, "across a leap day");
        assert_eq!(y("2024-02-29", "2026-02-28"), 2.0);
        assert!(y("2024-03-01", "2026-03-02") > 2.0);
        assert!((y("2025-01-01", "2025-07-02") - 0.5).abs() < 0.01);
    }
}
