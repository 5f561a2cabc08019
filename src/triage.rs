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
pub use crate::model::{Date, Triage};
use crate::model::{Diagnostic, Finding};
use crate::{Error, Result};
use serde::{Deserialize, Serialize};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};

/// One approval.
#[derive(Clone, Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
struct WaiverSpec {
    /// The code of the rule it waives, such as "YC202".
    rule: String,
    /// The feature it covers: its id, else its name.
    feature: String,
    /// The approval document's number, such as "国函〔2026〕88号".
    document: String,
    /// The body that approved it, such as "State Council".
    body: String,
    /// What the approval covers, in its words.
    #[serde(default)]
    scope: Option<String>,
    /// The last day it is valid, "YYYY-MM-DD" (inclusive); absent: it does not expire.
    #[serde(default)]
    #[schemars(with = "Option<String>")]
    expires: Option<toml::Spanned<String>>,
    /// Why it was granted.
    #[serde(default)]
    reason: Option<String>,
    /// Only findings from this source file name.
    #[serde(default)]
    source: Option<String>,
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct WaiverFile {
    #[serde(default, rename = "waiver")]
    #[schemars(with = "Vec<WaiverSpec>")]
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
    crate::schema::refuse(crate::schema::File::Waivers, path, &text)?;
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

/// Waivers judged on one day, shared by the threads of an audit: which findings they cover,
/// and which of them covered none.
#[derive(Debug)]
pub struct Approvals {
    pub waivers: Vec<Waiver>,
    pub today: Date,
    used: Vec<AtomicBool>,
}

impl Approvals {
    pub fn new(waivers: Vec<Waiver>, today: Date) -> Approvals {
        let used = waivers.iter().map(|_| AtomicBool::new(false)).collect();
        Approvals {
            waivers,
            today,
            used,
        }
    }

    /// A finding of rule `code` on the feature (`index`, `id`, `name`) of `source`: the
    /// triage a valid waiver gives it, and a warning for each expired one that matches (the
    /// finding stays active). The last valid waiver that matches wins.
    pub fn judge(
        &self,
        code: &str,
        index: usize,
        id: Option<&str>,
        name: Option<&str>,
        source: &str,
    ) -> (Option<Triage>, Vec<Diagnostic>) {
        let mut triage = None;
        let mut warnings = Vec::new();
        // The source's file name, found once and only when a waiver names one.
        let file = std::cell::OnceCell::new();
        for (w, used) in self.waivers.iter().zip(&self.used) {
            let feature_matches =
                id == Some(w.feature.as_str()) || name == Some(w.feature.as_str());
            let source_matches = w
                .source
                .as_deref()
                .is_none_or(|s| s == file.get_or_init(|| file_name(source)));
            if !(code.eq_ignore_ascii_case(&w.rule) && feature_matches && source_matches) {
                continue;
            }
            used.store(true, Ordering::Relaxed);
            match w.expires {
                Some(e) if e < self.today => warnings.push(
                    Diagnostic::warning(
                        w.at.clone(),
                        format!(
                            "waiver {} ({}) for {} on {} expired on {e}; the finding stays active",
                            w.document, w.body, w.rule, w.feature
                        ),
                    )
                    .feature(index, id),
                ),
                _ => {
                    triage = Some(Triage::Waived {
                        document: w.document.clone(),
                        body: w.body.clone(),
                        expires: w.expires.map(|d| d.to_string()),
                        reason: w.reason.clone(),
                    })
                }
            }
        }
        (triage, warnings)
    }

    /// Warnings for the waivers that matched no finding, like a linter's unused suppression.
    pub fn unused(&self) -> Vec<Diagnostic> {
        self.waivers
            .iter()
            .zip(&self.used)
            .filter(|(_, used)| !used.load(Ordering::Relaxed))
            .map(|(w, _)| {
                Diagnostic::warning(
                    w.at.clone(),
                    format!(
                        "unused waiver: {} ({}) for rule {} on feature {} matches no finding",
                        w.document, w.body, w.rule, w.feature
                    ),
                )
            })
            .collect()
    }
}

/// Marks the findings the waivers cover (valid on `today`, expiry inclusive) and returns the
/// warnings: expired waivers that matched a finding, and waivers that matched none.
pub fn apply_waivers(findings: &mut [Finding], waivers: &[Waiver], today: Date) -> Vec<Diagnostic> {
    let approvals = Approvals::new(waivers.to_vec(), today);
    let mut warnings = Vec::new();
    for f in findings.iter_mut() {
        let (triage, mut expired) = approvals.judge(
            &f.code,
            f.feature.index,
            f.feature.id.as_deref(),
            f.feature_name.as_deref(),
            &f.feature.source,
        );
        if let Some(t) = triage {
            f.triage = t;
        }
        warnings.append(&mut expired);
    }
    warnings.extend(approvals.unused());
    warnings
}

/// An entry's rule, file, feature and zone layer and id.
type Key<'a> = (&'a str, &'a str, Option<&'a str>, &'a str, Option<&'a str>);

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
    /// The entry of a finding.
    pub fn of(f: &Finding) -> Entry {
        Entry::new(
            &f.code,
            &f.feature.source,
            f.feature.id.as_deref().or(f.feature_name.as_deref()),
            &f.zone.layer,
            f.zone.id.as_deref(),
            f.measure.value,
            f.geometry.as_ref(),
        )
    }

    /// The entry of a finding given by its parts (the audit words none): rule, source, the
    /// feature's key (id, else name), zone, value and offending part.
    pub fn new(
        code: &str,
        source: &str,
        feature: Option<&str>,
        zone_layer: &str,
        zone_id: Option<&str>,
        value: f64,
        geometry: Option<&geo::Geometry<f64>>,
    ) -> Entry {
        use geo::BoundingRect;
        Entry {
            code: code.to_owned(),
            file: file_name(source),
            feature: feature.map(str::to_owned),
            zone_layer: zone_layer.to_owned(),
            zone_id: zone_id.map(str::to_owned),
            value,
            at: geometry
                .and_then(|g| g.bounding_rect())
                .map(|r| [r.center().x, r.center().y]),
        }
    }

    /// What must be equal for two entries to match (the value and place may differ a little).
    fn key(&self) -> Key<'_> {
        (
            &self.code,
            &self.file,
            self.feature.as_deref(),
            &self.zone_layer,
            self.zone_id.as_deref(),
        )
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
        let book = Known::new(self);
        for f in findings.iter_mut() {
            if book.take(&Entry::of(f)) && f.triage.is_active() {
                f.triage = Triage::Baselined;
            }
        }
        book.fixed()
    }
}

/// A baseline indexed by key, shared by the threads of an audit: each entry is taken by at
/// most one finding.
#[derive(Debug)]
pub struct Known<'b> {
    baseline: &'b Baseline,
    by_key: std::collections::HashMap<Key<'b>, Vec<usize>>,
    taken: Vec<AtomicBool>,
}

impl<'b> Known<'b> {
    pub fn new(baseline: &'b Baseline) -> Known<'b> {
        let mut by_key: std::collections::HashMap<_, Vec<usize>> = Default::default();
        for (i, e) in baseline.findings.iter().enumerate() {
            by_key.entry(e.key()).or_default().push(i);
        }
        let taken = baseline
            .findings
            .iter()
            .map(|_| AtomicBool::new(false))
            .collect();
        Known {
            baseline,
            by_key,
            taken,
        }
    }

    /// Whether the finding `e` is in the baseline: the first entry not yet taken that it
    /// matches is taken.
    pub fn take(&self, e: &Entry) -> bool {
        let Some(candidates) = self.by_key.get(&e.key()) else {
            return false;
        };
        candidates.iter().any(|&i| {
            e.matches(&self.baseline.findings[i])
                && self.taken[i]
                    .compare_exchange(false, true, Ordering::Relaxed, Ordering::Relaxed)
                    .is_ok()
        })
    }

    /// The entries no finding took: fixed.
    pub fn fixed(&self) -> Vec<Entry> {
        self.baseline
            .findings
            .iter()
            .zip(&self.taken)
            .filter(|(_, t)| !t.load(Ordering::Relaxed))
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
