use super::filter::Filter;
use super::template::Template;
use crate::model::{Citation, Severity};
use serde::Deserialize;
use std::path::PathBuf;
use toml::Spanned;

/// Whether a rule is in force. Codes are permanent: a retired rule stays, `deprecated`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    #[default]
    Stable,
    /// Reported, but not yet relied on.
    Preview,
    /// Kept so that its code is never reused; not evaluated.
    Deprecated,
}

impl Status {
    /// The name used in rule files.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Stable => "stable",
            Status::Preview => "preview",
            Status::Deprecated => "deprecated",
        }
    }
}

/// One layer name or several.
#[derive(Clone, Debug, Deserialize)]
#[serde(untagged)]
pub enum Layers {
    One(String),
    Many(Vec<String>),
}

impl Layers {
    pub fn to_vec(&self) -> Vec<String> {
        match self {
            Layers::One(l) => vec![l.clone()],
            Layers::Many(v) => v.clone(),
        }
    }
}

/// The `[test]` table as written.
#[derive(Clone, Debug, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase", deny_unknown_fields)]
pub enum TestSpec {
    Overlap {
        layer: Layers,
        #[serde(default)]
        min_area_m2: Option<f64>,
    },
    Setback {
        layer: Layers,
        distance_m: f64,
    },
    Within {
        layer: Layers,
    },
}

/// `rule.toml` as written.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleSpec {
    pub code: Spanned<String>,
    pub name: String,
    /// One line that says what is prohibited, for listings.
    pub summary: String,
    pub severity: Severity,
    #[serde(default)]
    pub status: Status,
    #[serde(default)]
    pub applies_to: Option<Spanned<String>>,
    pub message: Spanned<String>,
    pub citation: Citation,
    pub test: Spanned<TestSpec>,
}

/// The spatial test a rule runs, with its thresholds in metres.
#[derive(Clone, Debug, PartialEq)]
pub enum Test {
    /// The footprint's interior meets a zone's interior, with at least `min_area_m2` of
    /// overlap for areal footprints.
    Overlap {
        layers: Vec<String>,
        min_area_m2: f64,
    },
    /// The footprint is within `distance_m` of a zone (inclusive).
    Setback {
        layers: Vec<String>,
        distance_m: f64,
    },
    /// The footprint is covered by the union of the layers' zones.
    Within { layers: Vec<String> },
}

impl Test {
    /// The layers the test reads.
    pub fn layers(&self) -> &[String] {
        match self {
            Test::Overlap { layers, .. }
            | Test::Setback { layers, .. }
            | Test::Within { layers } => layers,
        }
    }

    /// The test's name as in rule files.
    pub fn kind(&self) -> &'static str {
        match self {
            Test::Overlap { .. } => "overlap",
            Test::Setback { .. } => "setback",
            Test::Within { .. } => "within",
        }
    }

    /// The threshold, with its unit, as a reader says it.
    pub fn threshold(&self) -> String {
        match self {
            Test::Overlap { min_area_m2, .. } if *min_area_m2 > 0.0 => {
                format!("overlap ≥ {min_area_m2} m²")
            }
            Test::Overlap { .. } => "any overlap (0 m²)".into(),
            Test::Setback { distance_m, .. } => format!("within {distance_m} m (inclusive)"),
            Test::Within { .. } => "0 m² outside".into(),
        }
    }
}

/// A loaded, checked rule.
#[derive(Clone, Debug)]
pub struct Rule {
    pub code: String,
    pub name: String,
    pub summary: String,
    pub severity: Severity,
    pub status: Status,
    pub applies_to: Option<Filter>,
    pub applies_to_text: Option<String>,
    pub message: Template,
    /// Shared with every finding of the rule.
    pub citation: std::sync::Arc<Citation>,
    pub test: Test,
    /// The rule's folder (README.md and fixtures/ live there).
    pub dir: PathBuf,
    /// The pack's id.
    pub pack: String,
}

impl Rule {
    /// Whether the rule applies to a feature with these properties.
    pub fn applies(&self, props: &crate::model::Properties) -> bool {
        self.status != Status::Deprecated
            && self.applies_to.as_ref().is_none_or(|f| f.matches(props))
    }

    /// The rule's README, if it has one.
    pub fn readme(&self) -> Option<String> {
        std::fs::read_to_string(self.dir.join("README.md")).ok()
    }
}
