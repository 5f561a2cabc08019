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
    /// The share of the footprint's DEM cells steeper than the rule's slope, %.
    SteepShare,
    /// The building's top: the highest ground under it plus its height, metres above sea
    /// level.
    TopElevation,
    /// The DEM has no value under the footprint (nodata, outside it, or unreadable).
    TerrainMissing,
    /// How far the building's top rises above the ridgeline seen from a viewpoint, metres.
    SkylineExcess,
}

/// The unit of a measured value or a limit. Machine fields (JSON, CSV, SARIF) carry its
/// code (`m2`); people read [`Unit::text_in`] (`m²`, `平方米`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum Unit {
    #[serde(rename = "m")]
    Metre,
    #[serde(rename = "m2")]
    SquareMetre,
    #[serde(rename = "points")]
    Points,
    #[serde(rename = "floors")]
    Floors,
    #[serde(rename = "ratio")]
    Ratio,
    #[serde(rename = "%")]
    Percent,
    #[serde(rename = "years")]
    Years,
    /// A count or value without a unit.
    #[serde(rename = "")]
    None,
}

impl Unit {
    /// The units an attribute limit may be in (`unit = "..."` in a rule), by code.
    pub const FOR_LIMITS: [Unit; 6] = [
        Unit::Metre,
        Unit::SquareMetre,
        Unit::Floors,
        Unit::Ratio,
        Unit::Percent,
        Unit::Years,
    ];

    /// The code machine fields carry: `m`, `m2`, `points`, `floors`, `ratio`, `%`, `years`.
    pub fn code(self) -> &'static str {
        match self {
            Unit::Metre => "m",
            Unit::SquareMetre => "m2",
            Unit::Points => "points",
            Unit::Floors => "floors",
            Unit::Ratio => "ratio",
            Unit::Percent => "%",
            Unit::Years => "years",
            Unit::None => "",
        }
    }

    /// A limit's unit by its code; `None` for a code no limit may use.
    pub fn for_limit(code: &str) -> Option<Unit> {
        Unit::FOR_LIMITS.into_iter().find(|u| u.code() == code)
    }

    /// The codes of [`Unit::FOR_LIMITS`], for messages.
    pub fn limit_codes() -> String {
        Unit::FOR_LIMITS.map(Unit::code).join(", ")
    }

    /// The symbol in a measure line (`m²` for square metres, else the code).
    pub fn symbol(self) -> &'static str {
        match self {
            Unit::SquareMetre => "m²",
            u => u.code(),
        }
    }

    /// How a message says it in `lang`.
    pub fn text_in(self, lang: super::Lang) -> &'static str {
        match (lang, self) {
            (super::Lang::En, u) => u.symbol(),
            (super::Lang::Zh, Unit::SquareMetre) => "平方米",
            (super::Lang::Zh, Unit::Metre) => "米",
            (super::Lang::Zh, Unit::Years) => "年",
            (super::Lang::Zh, Unit::Floors) => "层",
            (super::Lang::Zh, Unit::Points) => "个点",
            (super::Lang::Zh, u) => u.code(),
        }
    }
}

impl std::fmt::Display for Unit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.code())
    }
}

/// How a measured value compares with its limit for a finding to fire (`value <op> limit`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum Comparison {
    /// A setback: the distance is at most the limit.
    #[serde(rename = "<=")]
    AtMost,
    /// An overlap with a threshold: at least the limit.
    #[serde(rename = ">=")]
    AtLeast,
    /// Above the limit (an attribute, any overlap at all).
    #[serde(rename = ">")]
    Above,
}

impl Comparison {
    /// `<=`, `>=` or `>`.
    pub fn as_str(self) -> &'static str {
        match self {
            Comparison::AtMost => "<=",
            Comparison::AtLeast => ">=",
            Comparison::Above => ">",
        }
    }
}

impl MeasureKind {
    /// The unit of the measured value (an attribute's comes from its rule).
    pub fn unit(self) -> Unit {
        match self {
            MeasureKind::OverlapArea | MeasureKind::OutsideArea => Unit::SquareMetre,
            MeasureKind::OverlapLength | MeasureKind::OutsideLength | MeasureKind::Distance => {
                Unit::Metre
            }
            MeasureKind::OverlapPoints | MeasureKind::OutsidePoints => Unit::Points,
            MeasureKind::AttributeExcess | MeasureKind::AttributeMissing => Unit::None,
            MeasureKind::ShareAfter | MeasureKind::SteepShare => Unit::Percent,
            MeasureKind::TopElevation | MeasureKind::SkylineExcess => Unit::Metre,
            MeasureKind::TerrainMissing => Unit::None,
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
            MeasureKind::SteepShare => "steep_share",
            MeasureKind::TopElevation => "top_elevation",
            MeasureKind::TerrainMissing => "terrain_missing",
            MeasureKind::SkylineExcess => "skyline_excess",
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
            MeasureKind::SteepShare => "陡坡占比",
            MeasureKind::TopElevation => "建筑顶部高程",
            MeasureKind::TerrainMissing => "缺少高程数据",
            MeasureKind::SkylineExcess => "高出山脊线",
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
            MeasureKind::SteepShare => "share steeper than the limit",
            MeasureKind::TopElevation => "top elevation",
            MeasureKind::TerrainMissing => "no terrain value",
            MeasureKind::SkylineExcess => "above the ridgeline by",
        }
    }
}

/// Measured evidence: the value, its unit, the rule's limit and how the two compare for the
/// finding to fire (`value <op> limit`).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Measure {
    pub kind: MeasureKind,
    pub value: f64,
    pub unit: Unit,
    pub limit: f64,
    /// The comparison that fired: `<=` for a setback, `>` or `>=` for areas.
    pub op: Comparison,
}

/// What a terrain rule measured on its DEM: the cells counted and left out, and for a slope
/// rule the steepest slope and the steep area, for an elevation rule the ground, height, top
/// and excess.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Terrain {
    /// The `[[dem]]` measured.
    pub dem: String,
    /// Cells under the footprint with a value (a cell counts when its centre lies in the
    /// footprint, boundary included).
    pub cells: usize,
    /// Cells under the footprint left out: nodata.
    pub nodata_cells: usize,
    /// Cells under the footprint beyond the DEM's edge.
    pub outside_cells: usize,
    /// The footprint holds no cell centre: the cell under its centroid stands for it.
    pub by_centroid: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub steepest_deg: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub steep_cells: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub steep_area_m2: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ground_m: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub height_m: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub top_m: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub excess_m: Option<f64>,
}

/// Where a rule comes from in law.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Citation {
    /// The instrument, e.g. "中华人民共和国长江保护法 (Yangtze River Protection Law)".
    pub instrument: String,
    /// The article, e.g. "第二十六条 (Article 26)".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub article: Option<String>,
    /// The date the instrument took effect, ISO 8601.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub effective: Option<String>,
    /// Where the text can be read.
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
    pub triage: super::Triage,
    /// What a terrain rule measured on its DEM.
    pub terrain: Option<Box<Terrain>>,
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
