use super::{FeatureRef, Severity};
use geo::Geometry;
use serde::{Deserialize, Serialize};

/// The zone a finding is measured against. `id` is absent for a test that measures against a
/// whole layer (`within`).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct ZoneRef {
    pub layer: String,
    pub id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

/// What was measured.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MeasureKind {
    /// Area of footprint ∩ zone, m².
    OverlapArea,
    /// Length of a linear footprint inside the zone, m.
    OverlapLength,
    /// Number of a point footprint's points inside the zone.
    OverlapPoints,
    /// Minimum distance between footprint and zone, m.
    Distance,
    /// Area of the footprint outside the layer, m².
    OutsideArea,
    /// Length of a linear footprint outside the layer, m.
    OutsideLength,
    /// Number of a point footprint's points outside the layer.
    OutsidePoints,
    /// An attribute of the feature above its allowed value (unit from the rule).
    AttributeExcess,
    /// The attribute a limit applies to is missing or not a number.
    AttributeMissing,
    /// A district's landscape share after the proposals, %.
    ShareAfter,
}

impl MeasureKind {
    /// The unit of the measured value.
    pub fn unit(self) -> &'static str {
        match self {
            MeasureKind::OverlapArea | MeasureKind::OutsideArea => "m2",
            MeasureKind::OverlapLength | MeasureKind::OutsideLength | MeasureKind::Distance => "m",
            MeasureKind::OverlapPoints | MeasureKind::OutsidePoints => "points",
            MeasureKind::AttributeExcess | MeasureKind::AttributeMissing => "",
            MeasureKind::ShareAfter => "%",
        }
    }

    /// The serialised name (`overlap_area`, `distance`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            MeasureKind::OverlapArea => "overlap_area",
            MeasureKind::OverlapLength => "overlap_length",
            MeasureKind::OverlapPoints => "overlap_points",
            MeasureKind::Distance => "distance",
            MeasureKind::OutsideArea => "outside_area",
            MeasureKind::OutsideLength => "outside_length",
            MeasureKind::OutsidePoints => "outside_points",
            MeasureKind::AttributeExcess => "attribute_excess",
            MeasureKind::AttributeMissing => "attribute_missing",
            MeasureKind::ShareAfter => "share_after",
        }
    }

    /// How a reader says it, in `lang`.
    pub fn label_in(self, lang: super::Lang) -> &'static str {
        if lang == super::Lang::En {
            return self.label();
        }
        match self {
            MeasureKind::OverlapArea => "重叠面积",
            MeasureKind::OverlapLength => "范围内长度",
            MeasureKind::OverlapPoints => "范围内点数",
            MeasureKind::Distance => "距离",
            MeasureKind::OutsideArea => "范围外面积",
            MeasureKind::OutsideLength => "范围外长度",
            MeasureKind::OutsidePoints => "范围外点数",
            MeasureKind::AttributeExcess => "数值",
            MeasureKind::AttributeMissing => "缺失值",
            MeasureKind::ShareAfter => "调整后山水占比",
        }
    }

    /// How a reader says it.
    pub fn label(self) -> &'static str {
        match self {
            MeasureKind::OverlapArea => "overlap area",
            MeasureKind::OverlapLength => "length inside",
            MeasureKind::OverlapPoints => "points inside",
            MeasureKind::Distance => "distance",
            MeasureKind::OutsideArea => "area outside",
            MeasureKind::OutsideLength => "length outside",
            MeasureKind::OutsidePoints => "points outside",
            MeasureKind::AttributeExcess => "value",
            MeasureKind::AttributeMissing => "missing value",
            MeasureKind::ShareAfter => "landscape share after",
        }
    }
}

/// Measured evidence: the value, its unit, the rule's limit and how the two compare for the
/// finding to fire (`value <op> limit`).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Measure {
    pub kind: MeasureKind,
    pub value: f64,
    pub unit: &'static str,
    pub limit: f64,
    /// The comparison that fired: `<=` for a setback, `>` or `>=` for areas.
    pub op: &'static str,
}

/// Where a rule comes from in law.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Citation {
    /// The instrument, e.g. "中华人民共和国长江保护法 (Yangtze River Protection Law)".
    pub instrument: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub article: Option<String>,
    /// The date the instrument took effect, ISO 8601.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub effective: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// How sure we are of the text: "read in the law text" or "secondary source".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub confidence: Option<String>,
}

impl std::fmt::Display for Citation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.instrument)?;
        if let Some(article) = &self.article {
            write!(f, " {article}")?;
        }
        if let Some(date) = &self.effective {
            write!(f, " (effective {date})")?;
        }
        Ok(())
    }
}

/// Why a rule could not be decided for a feature: the attributes it needed and, in words,
/// what was found and what would be accepted. An undetermined result is reported like a
/// finding (with the evidence the spatial test measured, as if the rule applied) and fails
/// the run at its severity: a gate never passes what it cannot judge.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Undetermined {
    /// The attributes (the dictionary's names) that were missing or could not be read.
    pub attributes: Vec<String>,
    /// What was found and what would be accepted, for people.
    pub reason: String,
}

/// One violation of one rule by one feature (against one zone, for overlap and setback), or
/// one rule that could not be decided for it ([`Finding::undetermined`]).
#[derive(Clone, Debug)]
pub struct Finding {
    pub code: String,
    pub rule_name: String,
    pub severity: Severity,
    pub feature: FeatureRef,
    pub feature_name: Option<String>,
    pub zone: ZoneRef,
    pub measure: Measure,
    /// Overlap area ÷ footprint area, for areal overlaps.
    pub share_of_footprint: Option<f64>,
    /// For a setback: the nearest point on the footprint and on the zone, working CRS.
    pub nearest: Option<[[f64; 2]; 2]>,
    pub message: String,
    pub citation: std::sync::Arc<Citation>,
    /// Who must approve it (requires-approval), from the rule or the exception that applied.
    pub approval: Option<String>,
    /// The rule exception (whitelist) that set the severity, as its `when` and note.
    pub exception: Option<String>,
    /// Set when the rule could not be decided: the feature lacks an attribute it needs, or
    /// holds a value that could not be read.
    pub undetermined: Option<Undetermined>,
    /// Active, waived (by which approval) or baselined.
    pub triage: crate::triage::Triage,
    /// The offending part (overlap, part outside, nearest-points segment), working CRS.
    /// Reports give it back in the CRS each format wants ([`crate::report::Report::reproject`]).
    pub geometry: Option<Geometry<f64>>,
}

impl Finding {
    /// The result as reports name it: `undetermined` for an active undetermined result, else
    /// the triage status (`active`, `waived`, `baselined`).
    pub fn status(&self) -> &'static str {
        if self.is_open() {
            "undetermined"
        } else {
            self.triage.as_str()
        }
    }

    /// An active undetermined result: a rule that could not be decided, neither waived nor
    /// in the baseline.
    pub fn is_open(&self) -> bool {
        self.undetermined.is_some() && self.triage.is_active()
    }

    /// The order reports use: by source, feature position, code, zone.
    pub fn sort_key(&self) -> (&str, usize, &str, &ZoneRef) {
        (
            &self.feature.source,
            self.feature.index,
            &self.code,
            &self.zone,
        )
    }
}
