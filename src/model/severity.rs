use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// How bad a finding is, from least to most severe; `Ord` follows that order so that
/// `--fail-on requires-approval` means "this or worse".
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    schemars::JsonSchema,
)]
#[serde(rename_all = "kebab-case")]
pub enum Severity {
    /// Worth knowing; never a violation by itself.
    Notice,
    /// Allowed only with an assessment (e.g. a flood impact assessment).
    RequiresAssessment,
    /// Allowed only with an approval from a named body.
    RequiresApproval,
    /// Not allowed.
    Prohibited,
}

impl Severity {
    /// All severities, least severe first.
    pub const ALL: [Severity; 4] = [
        Severity::Notice,
        Severity::RequiresAssessment,
        Severity::RequiresApproval,
        Severity::Prohibited,
    ];

    /// How a reader says it, in `lang` (the text and HTML reports).
    pub fn label(self, lang: super::Lang) -> &'static str {
        match (self, lang) {
            (_, super::Lang::En) => self.as_str(),
            (Severity::Notice, _) => "提示",
            (Severity::RequiresAssessment, _) => "需评估",
            (Severity::RequiresApproval, _) => "需审批",
            (Severity::Prohibited, _) => "禁止",
        }
    }

    /// The name used in rule files, reports and on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Notice => "notice",
            Severity::RequiresAssessment => "requires-assessment",
            Severity::RequiresApproval => "requires-approval",
            Severity::Prohibited => "prohibited",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Severity {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Severity::ALL
            .into_iter()
            .find(|sev| sev.as_str() == s)
            .ok_or_else(|| {
                format!(
                    "unknown severity '{s}' (expected one of: {})",
                    Severity::ALL.map(Severity::as_str).join(", ")
                )
            })
    }
}

#[cfg(test)]
mod tests {
    use super::Severity;

    #[test]
    fn order_is_by_strictness() {
        assert!(Severity::Prohibited > Severity::RequiresApproval);
        assert!(Severity::RequiresApproval > Severity::RequiresAssessment);
        assert!(Severity::RequiresAssessment > Severity::Notice);
    }

    #[test]
    fn parses_its_own_names_only() {
        for sev in Severity::ALL {
            assert_eq!(sev.as_str().parse::<Severity>(), Ok(sev));
        }
        assert!("forbidden"
            .parse::<Severity>()
            .unwrap_err()
            .contains("prohibited"));
    }
}
