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
    /// The part of the footprint inside a planning parcel whose planned use does not allow
    /// the proposed use (area m², or length or points for line and point work).
    UseConflict,
    /// The building's height against its planning parcel's height limit, metres.
    PlanHeight,
    /// Floor-area ratio (容积率) on a planning parcel: the floor area standing on it ÷ its
    /// area.
    FloorAreaRatio,
    /// Building coverage (建筑密度) of a planning parcel: the footprint on it ÷ its area, %.
    Coverage,
    /// Green ratio (绿地率) of a planning parcel: the green area on it ÷ its area, %.
    GreenRatio,
    /// Distance from the footprint to its planning parcel's line, metres.
    ParcelSetback,
    /// How many planning parcels the footprint stands on.
    ParcelsSpanned,
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
    #[serde(rename = "parcels")]
    Parcels,
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
            Unit::Parcels => "parcels",
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

    /// The symbol in a measure line (`m²` for square metres, none for a ratio, else the
    /// code).
    pub fn symbol(self) -> &'static str {
        match self {
            Unit::SquareMetre => "m²",
            Unit::Ratio => "",
            u => u.code(),
        }
    }

    /// How a message says it in `lang` (a ratio, such as a FAR, says no unit).
    pub fn text_in(self, lang: super::Lang) -> &'static str {
        match (lang, self) {
            (_, Unit::Ratio) => "",
            (super::Lang::En, u) => u.symbol(),
            (super::Lang::Zh, Unit::SquareMetre) => "平方米",
            (super::Lang::Zh, Unit::Metre) => "米",
            (super::Lang::Zh, Unit::Years) => "年",
            (super::Lang::Zh, Unit::Floors) => "层",
            (super::Lang::Zh, Unit::Points) => "个点",
            (super::Lang::Zh, Unit::Parcels) => "个地块",
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
    /// Below the limit (a minimum: a green ratio, a setback from a parcel line).
    #[serde(rename = "<")]
    Below,
}

impl Comparison {
    /// `<=`, `>=` or `>`.
    pub fn as_str(self) -> &'static str {
        match self {
            Comparison::AtMost => "<=",
            Comparison::AtLeast => ">=",
            Comparison::Above => ">",
            Comparison::Below => "<",
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
            MeasureKind::UseConflict => Unit::SquareMetre,
            MeasureKind::PlanHeight | MeasureKind::ParcelSetback => Unit::Metre,
            MeasureKind::FloorAreaRatio => Unit::Ratio,
            MeasureKind::Coverage | MeasureKind::GreenRatio => Unit::Percent,
            MeasureKind::ParcelsSpanned => Unit::Parcels,
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
            MeasureKind::UseConflict => "use_conflict",
            MeasureKind::PlanHeight => "plan_height",
            MeasureKind::FloorAreaRatio => "floor_area_ratio",
            MeasureKind::Coverage => "coverage",
            MeasureKind::GreenRatio => "green_ratio",
            MeasureKind::ParcelSetback => "parcel_setback",
            MeasureKind::ParcelsSpanned => "parcels_spanned",
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
            MeasureKind::UseConflict => "用地性质不符面积",
            MeasureKind::PlanHeight => "建筑高度",
            MeasureKind::FloorAreaRatio => "容积率",
            MeasureKind::Coverage => "建筑密度",
            MeasureKind::GreenRatio => "绿地率",
            MeasureKind::ParcelSetback => "距地块边界",
            MeasureKind::ParcelsSpanned => "跨越地块数",
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
            MeasureKind::UseConflict => "area of the use the plan does not allow",
            MeasureKind::PlanHeight => "height",
            MeasureKind::FloorAreaRatio => "floor-area ratio",
            MeasureKind::Coverage => "building coverage",
            MeasureKind::GreenRatio => "green ratio",
            MeasureKind::ParcelSetback => "distance to the parcel line",
            MeasureKind::ParcelsSpanned => "parcels stood on",
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

/// What a compatibility table says of a proposed use on a planned one.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    Allowed,
    /// Allowed with an approval (the rule's `approval`).
    Conditional,
    Prohibited,
}

impl Verdict {
    /// The word a finding says, in `lang`.
    pub fn text_in(self, lang: super::Lang) -> &'static str {
        match self {
            Verdict::Allowed => lang.pick("allowed", "允许"),
            Verdict::Conditional => {
                lang.pick("conditional, needs approval", "有条件允许，须经批准")
            }
            Verdict::Prohibited => lang.pick("prohibited", "禁止"),
        }
    }

    /// `allowed`, `conditional` or `prohibited`.
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Allowed => "allowed",
            Verdict::Conditional => "conditional",
            Verdict::Prohibited => "prohibited",
        }
    }
}

/// A land use by its class of the national classification.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct UseRef {
    pub code: String,
    pub name: String,
}

/// One planning parcel a footprint stands on, and the part on it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ParcelPart {
    pub parcel: String,
    pub parcel_area_m2: f64,
    /// The footprint's part on the parcel: m² (length in m, or points, for line and point
    /// work).
    pub part: f64,
}

/// What a regulatory-plan rule measured: the parcel, its area and the footprint's part on it;
/// the planned and proposed uses and the table's verdict (land use); the floor and green
/// area counted on the parcel (plan limits); every parcel stood on (a straddle).
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Plan {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parcel: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parcel_area_m2: Option<f64>,
    /// The footprint's part on the parcel (m², or m / points for line and point work).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub part: Option<f64>,
    /// The footprint's area, m² (0 for line and point work).
    pub footprint_area_m2: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub planned_use: Option<UseRef>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub proposed_use: Option<UseRef>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub verdict: Option<Verdict>,
    /// The compatibility table's row (the planned code or its ancestor) and entry (the
    /// proposed code or its ancestor) that decided.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub decided_by: Option<[String; 2]>,
    /// The proposal's floor area counted on this parcel (its share of the footprint).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub floor_area_m2: Option<f64>,
    /// The proposal's green area counted on this parcel.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub green_area_m2: Option<f64>,
    /// Every parcel stood on, for a straddle.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub parcels: Vec<ParcelPart>,
    /// Why the rule could not be decided (reports say it as `undetermined`).
    #[serde(skip)]
    pub gap: Option<PlanGap>,
}

/// Why a regulatory-plan rule could not be decided.
#[derive(Clone, Debug, PartialEq)]
pub enum PlanGap {
    /// The proposal's land use is missing, or is not a class of the classification.
    ProposedUse { field: String },
    /// The parcel's planned use is missing or is not a class.
    PlannedUse {
        parcel: String,
        written: Option<String>,
    },
    /// The compatibility table has no row for the planned use.
    Table { planned: String },
    /// A parcel's limit could not be read as a number.
    ParcelLimit {
        parcel: String,
        field: String,
        written: String,
    },
    /// The proposal lacks a value a parcel's limit needs (height, floor or green area).
    ProposalValue { field: String, limit: String },
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
    /// What a regulatory-plan rule measured: the parcel, the uses, the floor area counted.
    pub plan: Option<Box<Plan>>,
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
