use super::filter::Filter;
use super::template::Template;
use crate::model::{Citation, Severity};
use serde::Deserialize;
use std::path::PathBuf;
use toml::Spanned;

/// Whether a rule is in force. Codes are permanent: a retired rule stays, `deprecated`.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, serde::Serialize, schemars::JsonSchema,
)]
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
#[derive(Clone, Debug, PartialEq, Deserialize, schemars::JsonSchema)]
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
#[derive(Clone, Debug, Deserialize, schemars::JsonSchema)]
#[serde(tag = "kind", rename_all = "lowercase", deny_unknown_fields)]
pub enum TestSpec {
    /// The footprint's interior meets a zone's (touching is not overlap).
    Overlap {
        /// The zone layer (a `[[layer]]` name), or a list of them.
        layer: Layers,
        /// The least overlap that counts, square metres (default: any above 1 mm²).
        #[serde(default)]
        min_area_m2: Option<f64>,
    },
    /// The footprint is within `distance_m` of a zone (inclusive).
    Setback {
        /// The zone layer (a `[[layer]]` name), or a list of them.
        layer: Layers,
        /// The setback, metres: exactly this far fires.
        distance_m: f64,
    },
    /// Part of the footprint lies outside the union of the layers' zones.
    Within {
        /// The zone layer (a `[[layer]]` name), or a list of them.
        layer: Layers,
    },
    /// A rule on a pack's `area_share` indicator (indicators.toml): per district of `group`,
    /// the share after the proposals must stay at the indicator's target. The indicator's
    /// layers, target and `proposals` filter (as `applies_to`, unless the rule sets one) are
    /// the rule's: one definition for the report and the gate.
    Indicator {
        /// The indicator's id.
        indicator: String,
        /// The grouping layer (districts).
        group: String,
    },
    Share {
        /// The grouping layer (districts).
        group: String,
        /// The landscape layers.
        layer: Layers,
        #[serde(default)]
        min_share: Option<f64>,
        #[serde(default)]
        target_field: Option<String>,
    },
    /// The share of the footprint steeper than `max_slope_deg` on a DEM, at most
    /// `max_share_pct` percent (default 0: any steep cell).
    Slope {
        dem: String,
        max_slope_deg: f64,
        #[serde(default)]
        max_share_pct: f64,
    },
    /// The building's top (highest ground under it + its height) at most `max_top_m` metres
    /// above sea level, or the limit in `limit_field` of the zones of `layer` it lies in.
    Elevation {
        dem: String,
        #[serde(default)]
        max_top_m: Option<f64>,
        #[serde(default)]
        layer: Option<Layers>,
        #[serde(default)]
        limit_field: Option<String>,
        /// The attribute holding the building's height in metres (default `height_m`).
        #[serde(default)]
        height: Option<String>,
    },
    /// From each viewpoint of `layer` within `max_distance_m`, the building's top must stay
    /// under the ridgeline behind it.
    Skyline {
        dem: String,
        /// The viewpoints (a point layer).
        layer: String,
        max_distance_m: f64,
        /// The viewpoint attribute holding the eye height, metres (default `eye_height_m`;
        /// 1.6 m where a viewpoint has none).
        #[serde(default)]
        eye_height_field: Option<String>,
        /// Viewpoint attributes bounding where it looks: azimuths, degrees clockwise from north.
        #[serde(default)]
        azimuth_from_field: Option<String>,
        #[serde(default)]
        azimuth_to_field: Option<String>,
        /// The attribute holding the building's height in metres (default `height_m`).
        #[serde(default)]
        height: Option<String>,
    },
    /// The proposal's land use against the planned use of each planning parcel it stands
    /// on, by a compatibility table (planned use × proposed use → allowed, conditional,
    /// prohibited).
    #[serde(rename = "land_use")]
    LandUse {
        /// The planning-parcel layer (`kind = "planning_parcels"`).
        layer: String,
        /// The compatibility table: a TOML file beside rule.toml, its codes those of the
        /// pack's land-use.toml.
        table: String,
        /// The proposal attribute holding its land-use code or name (default
        /// `land_use_code`, which the dictionary keeps from the written land use).
        #[serde(default)]
        proposed: Option<String>,
        /// The severity of a conditional use (default requires-approval; the rule's
        /// `approval` names who approves).
        #[serde(default)]
        conditional_severity: Option<Severity>,
    },
    /// The proposal against the limits of each planning parcel it stands on: height,
    /// floor-area ratio, building coverage, green ratio and setback from the parcel line.
    #[serde(rename = "plan_limits")]
    PlanLimits {
        /// The planning-parcel layer (`kind = "planning_parcels"`).
        layer: String,
        /// Which limits to check (default: all five).
        #[serde(default)]
        limits: Option<Vec<PlanLimit>>,
        /// The proposal attribute holding its height in metres (default `height_m`).
        #[serde(default)]
        height: Option<String>,
        /// The proposal attribute holding its floor area in m² (default `floor_area_m2`).
        #[serde(default)]
        floor_area: Option<String>,
        /// The proposal attribute holding its green area in m² (default `green_area_m2`).
        #[serde(default)]
        green_area: Option<String>,
    },
    /// The proposal stands on the plan's parcels: `outside` reports the part outside every
    /// parcel, `straddle` a footprint across a parcel line.
    #[serde(rename = "parcel_fit")]
    ParcelFit {
        /// The planning-parcel layer (`kind = "planning_parcels"`).
        layer: String,
        /// `outside` or `straddle`.
        report: Fit,
        /// For `outside`: the area the plan covers (its units, 编制单元); only the part
        /// inside it and outside every parcel counts. Without it, only a proposal standing
        /// partly on a parcel is judged.
        #[serde(default)]
        within: Option<String>,
        /// For `straddle`: the least part on a second parcel that counts, m² (default 1).
        #[serde(default)]
        min_area_m2: Option<f64>,
    },
    Attribute {
        attribute: String,
        #[serde(default)]
        unit: Option<String>,
        #[serde(default)]
        max: Option<f64>,
        /// Baseline layer(s) the bands are measured from.
        #[serde(default)]
        from: Option<Layers>,
        #[serde(default)]
        band: Vec<BandSpec>,
        /// Zone layer(s) whose zones carry their own limit in `limit_field`.
        #[serde(default)]
        layer: Option<Layers>,
        #[serde(default)]
        limit_field: Option<String>,
    },
}

/// One limit of a planning parcel.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum PlanLimit {
    /// The building's height against the parcel's `max_height_m`.
    Height,
    /// Floor area on the parcel ÷ its area against its `max_far`.
    Far,
    /// Footprint on the parcel ÷ its area against its `max_coverage_pct`.
    Coverage,
    /// Green area on the parcel ÷ its area against its `min_green_pct`.
    Green,
    /// Distance from the footprint to the parcel's line against its `setback_m`.
    Setback,
}

impl PlanLimit {
    pub const ALL: [PlanLimit; 5] = [
        PlanLimit::Height,
        PlanLimit::Far,
        PlanLimit::Coverage,
        PlanLimit::Green,
        PlanLimit::Setback,
    ];

    /// The parcel attribute holding the limit.
    pub fn field(self) -> &'static str {
        match self {
            PlanLimit::Height => "max_height_m",
            PlanLimit::Far => "max_far",
            PlanLimit::Coverage => "max_coverage_pct",
            PlanLimit::Green => "min_green_pct",
            PlanLimit::Setback => "setback_m",
        }
    }

    /// The name in rule files.
    pub fn as_str(self) -> &'static str {
        match self {
            PlanLimit::Height => "height",
            PlanLimit::Far => "far",
            PlanLimit::Coverage => "coverage",
            PlanLimit::Green => "green",
            PlanLimit::Setback => "setback",
        }
    }
}

/// What a `parcel_fit` test reports.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Fit {
    /// The part of the footprint outside every parcel.
    Outside,
    /// A footprint across a parcel line.
    Straddle,
}

/// One `[[test.band]]`: up to `to_m` metres from the baseline (inclusive), at most `max`.
#[derive(Clone, Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct BandSpec {
    pub to_m: f64,
    pub max: f64,
}

/// What an attribute test measures: a numeric field, or the calendar years between two date
/// fields (`years_between(start_date, end_date)`, ISO dates).
#[derive(Clone, Debug, PartialEq)]
pub enum Measured {
    Field(String),
    YearsBetween(String, String),
}

impl Measured {
    /// Parses `field` or `years_between(a, b)`.
    pub fn parse(text: &str) -> Result<Measured, String> {
        let t = text.trim();
        match t
            .strip_prefix("years_between(")
            .and_then(|r| r.strip_suffix(')'))
        {
            Some(args) => match args.split(',').map(str::trim).collect::<Vec<_>>()[..] {
                [a, b] if !a.is_empty() && !b.is_empty() => {
                    Ok(Measured::YearsBetween(a.to_owned(), b.to_owned()))
                }
                _ => Err(format!("'{t}': years_between takes two date fields")),
            },
            None if t.contains('(') => Err(format!(
                "'{t}': the only function is years_between(start, end)"
            )),
            None if t.is_empty() => Err("an empty attribute name".into()),
            None => Ok(Measured::Field(t.to_owned())),
        }
    }

    /// The fields it reads.
    pub fn fields(&self) -> Vec<&str> {
        match self {
            Measured::Field(f) => vec![f],
            Measured::YearsBetween(a, b) => vec![a, b],
        }
    }

    /// The value for a feature, if it has one.
    pub fn value(&self, props: &crate::model::Properties) -> Option<f64> {
        match self {
            Measured::Field(f) => props.get(f).and_then(|v| v.as_f64()),
            Measured::YearsBetween(a, b) => {
                // ISO dates, or GDAL's YYYY/MM/DD; a time after the date is ignored.
                let date = |k: &str| {
                    let s = props.get(k).and_then(|v| v.as_str())?;
                    let day = s.get(..10).unwrap_or(s).replace('/', "-");
                    crate::model::Date::parse(&day).ok()
                };
                Some(date(a)?.years_until(date(b)?))
            }
        }
        .filter(|v| v.is_finite())
    }
}

/// `rule.toml` as written.
#[derive(Clone, Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RuleSpec {
    /// The rule's permanent code: the pack's prefix and digits, such as "YC101".
    #[schemars(with = "String")]
    pub code: Spanned<String>,
    /// What is prohibited, as a slug: `river-setback`, or in Chinese `河道退让`.
    #[schemars(with = "String")]
    pub name: Spanned<String>,
    /// One line that says what is prohibited, for listings.
    pub summary: String,
    /// How bad a finding is: prohibited, requires-approval, requires-assessment or notice.
    pub severity: Severity,
    /// stable (the default), preview, or deprecated (kept so its code is never reused).
    #[serde(default)]
    pub status: Status,
    /// Which proposals it applies to, in CQL2 over their attributes; absent: every one.
    #[serde(default)]
    #[schemars(with = "Option<String>")]
    pub applies_to: Option<Spanned<String>>,
    /// What a finding says: {feature}, {value}, {limit}, {unit}, {zone}, {layer}, {code}.
    #[schemars(with = "String")]
    pub message: Spanned<String>,
    /// The law the rule enforces, quoted by every finding.
    pub citation: Citation,
    /// The spatial test: its kind, the layers it measures against and its limits.
    #[schemars(with = "TestSpec")]
    pub test: Spanned<TestSpec>,
    /// Who must approve, for `requires-approval` (e.g. "State Council").
    #[serde(default)]
    pub approval: Option<String>,
    /// Whitelisted cases: a feature matching `when` gets this severity instead.
    #[serde(default, rename = "exception")]
    #[schemars(with = "Vec<ExceptionSpec>")]
    pub exceptions: Vec<Spanned<ExceptionSpec>>,
    /// The summary and message in Chinese (`--lang zh`).
    #[serde(default)]
    pub zh: Option<TextSpec>,
}

/// A rule's human text in another language (`[zh]`).
#[derive(Clone, Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TextSpec {
    pub summary: String,
    /// The message template, with the same placeholders as the rule's.
    #[schemars(with = "String")]
    pub message: Spanned<String>,
}

/// One `[[exception]]` as written.
#[derive(Clone, Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ExceptionSpec {
    pub when: String,
    pub severity: Severity,
    #[serde(default)]
    pub approval: Option<String>,
    #[serde(default)]
    pub note: Option<String>,
}

/// A loaded exception: features matching `when` are judged at `severity`.
#[derive(Clone, Debug)]
pub struct Exception {
    pub when: Filter,
    pub when_text: String,
    pub severity: Severity,
    pub approval: Option<String>,
    pub note: Option<String>,
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
    /// Per district of `group`, the landscape share (the union of `landscape` zones ÷ district
    /// area) after all the proposals are built stays at or above the district's
    /// `target_field` (else `min_share`), fractions 0–1. Judged over a set of proposals.
    Share {
        group: String,
        landscape: Vec<String>,
        min_share: Option<f64>,
        target_field: Option<String>,
        /// `group` then `landscape`.
        all_layers: Vec<String>,
    },
    /// Per planning parcel the footprint stands on, the proposed use against the planned
    /// one by `table` (see [`crate::rules::land_use`]).
    LandUse {
        /// The planning-parcel layer (one name).
        layers: Vec<String>,
        table: std::sync::Arc<super::land_use::Compatibility>,
        classes: std::sync::Arc<super::land_use::Classification>,
        /// The table's file, for people.
        table_file: String,
        proposed: String,
        conditional: Severity,
    },
    /// Per planning parcel the footprint stands on, its `limits` (see
    /// [`crate::engine::plan`]).
    PlanLimits {
        /// The planning-parcel layer (one name).
        layers: Vec<String>,
        limits: Vec<PlanLimit>,
        height: String,
        floor_area: String,
        green_area: String,
    },
    /// The footprint outside every parcel, or across a parcel line.
    ParcelFit {
        /// The planning-parcel layer, then the coverage layer if any.
        layers: Vec<String>,
        fit: Fit,
        min_area_m2: f64,
    },
    /// An attribute of the feature (height, floors, FAR...) is at most a limit: a flat `max`,
    /// the limit of the distance band from the `from` layers the footprint falls in (upper
    /// edges inclusive), and the limit each overlapped zone of `zones` carries in
    /// `limit_field`. The strictest one applies.
    Attribute {
        attribute: String,
        measured: Measured,
        unit: crate::model::Unit,
        max: Option<f64>,
        from: Vec<String>,
        /// (up to metres, inclusive; at most), ascending.
        bands: Vec<(f64, f64)>,
        zones: Vec<String>,
        limit_field: Option<String>,
        /// `from` then `zones`.
        all_layers: Vec<String>,
    },
    /// The share of the footprint's DEM cells steeper than `max_slope_deg` (Horn's slope,
    /// as gdaldem computes it) is above `max_share_pct` percent.
    Slope {
        dem: String,
        max_slope_deg: f64,
        max_share_pct: f64,
    },
    /// The building's top, the highest ground under the footprint plus its `height`
    /// attribute (metres), is above `max_top_m` metres above sea level, or above the limit in
    /// `limit_field` of a zone of `zones` the footprint meets. The strictest one applies.
    Elevation {
        dem: String,
        max_top_m: Option<f64>,
        zones: Vec<String>,
        limit_field: Option<String>,
        height: String,
    },
    /// Seen from a viewpoint of `viewpoints[0]` within `max_distance_m`, the building's top
    /// (highest ground + `height`) rises above the ridgeline behind it (see
    /// [`crate::engine::skyline`]).
    Skyline {
        dem: String,
        /// The viewpoint layer (one name).
        viewpoints: Vec<String>,
        max_distance_m: f64,
        eye_height_field: String,
        azimuth_fields: Option<(String, String)>,
        height: String,
    },
}

impl Test {
    /// The layers the test reads.
    pub fn layers(&self) -> &[String] {
        match self {
            Test::Overlap { layers, .. }
            | Test::Setback { layers, .. }
            | Test::Within { layers } => layers,
            Test::Attribute { all_layers, .. } | Test::Share { all_layers, .. } => all_layers,
            Test::Elevation { zones, .. } => zones,
            Test::LandUse { layers, .. }
            | Test::PlanLimits { layers, .. }
            | Test::ParcelFit { layers, .. } => layers,
            Test::Skyline { viewpoints, .. } => viewpoints,
            Test::Slope { .. } => &[],
        }
    }

    /// The planning-parcel layer a regulatory-plan test reads.
    pub fn parcels(&self) -> Option<&str> {
        match self {
            Test::LandUse { layers, .. }
            | Test::PlanLimits { layers, .. }
            | Test::ParcelFit { layers, .. } => layers.first().map(String::as_str),
            _ => None,
        }
    }

    /// What the test reads, for people: its layers, then its DEM (`DEM terrain`).
    pub fn against(&self) -> String {
        self.layers()
            .iter()
            .cloned()
            .chain(self.dem().map(|d| format!("DEM {d}")))
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// The DEM the test reads, if it reads one.
    pub fn dem(&self) -> Option<&str> {
        match self {
            Test::Slope { dem, .. } | Test::Elevation { dem, .. } | Test::Skyline { dem, .. } => {
                Some(dem)
            }
            _ => None,
        }
    }

    /// The test's name as in rule files.
    pub fn kind(&self) -> &'static str {
        match self {
            Test::Overlap { .. } => "overlap",
            Test::Setback { .. } => "setback",
            Test::Within { .. } => "within",
            Test::Attribute { .. } => "attribute",
            Test::Share { .. } => "share",
            Test::Slope { .. } => "slope",
            Test::Elevation { .. } => "elevation",
            Test::Skyline { .. } => "skyline",
            Test::LandUse { .. } => "land_use",
            Test::PlanLimits { .. } => "plan_limits",
            Test::ParcelFit { .. } => "parcel_fit",
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
            Test::Share {
                group,
                landscape,
                min_share,
                target_field,
                ..
            } => {
                let target = match (target_field, min_share) {
                    (Some(f), Some(m)) => format!("the district's {f} (else {:.1} %)", m * 100.0),
                    (Some(f), None) => format!("the district's {f}"),
                    (None, Some(m)) => format!("{:.1} %", m * 100.0),
                    (None, None) => "a target".into(),
                };
                format!(
                    "landscape ({}) share of each {group} district ≥ {target} after the proposals",
                    landscape.join(" + ")
                )
            }
            Test::Attribute {
                attribute,
                unit,
                max,
                from,
                bands,
                zones,
                limit_field,
                ..
            } => {
                let mut parts = Vec::new();
                if let Some(m) = max {
                    parts.push(format!("{attribute} ≤ {m} {unit}"));
                }
                let mut lo = 0.0;
                for (to, m) in bands {
                    parts.push(format!(
                        "{attribute} ≤ {m} {unit} at {lo}–{to} m from {}",
                        from.join("+")
                    ));
                    lo = *to;
                }
                if let Some(f) = limit_field {
                    parts.push(format!(
                        "{attribute} ≤ the zone's {f} in {}",
                        zones.join("+")
                    ));
                }
                parts.join("; ")
            }
            Test::Slope {
                dem,
                max_slope_deg,
                max_share_pct,
            } => format!(
                "share of the footprint steeper than {max_slope_deg}° (on {dem}) ≤ {max_share_pct} %"
            ),
            Test::Elevation {
                dem,
                max_top_m,
                zones,
                limit_field,
                height,
            } => {
                let mut parts = Vec::new();
                if let Some(m) = max_top_m {
                    parts.push(format!("top (ground on {dem} + {height}) ≤ {m} m above sea level"));
                }
                if let Some(f) = limit_field {
                    parts.push(format!(
                        "top (ground on {dem} + {height}) ≤ the zone's {f} in {}",
                        zones.join("+")
                    ));
                }
                parts.join("; ")
            }
            Test::LandUse {
                layers, table_file, ..
            } => format!(
                "the proposed use allowed on the planned use of each parcel of {} by {table_file}",
                layers.join("+")
            ),
            Test::PlanLimits { layers, limits, .. } => format!(
                "within each {} parcel's {}",
                layers.join("+"),
                limits
                    .iter()
                    .map(|l| l.field())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            Test::ParcelFit {
                layers,
                fit: Fit::Outside,
                ..
            } => match layers.get(1) {
                Some(cover) => format!(
                    "0 m² inside {cover} and outside every parcel of {}",
                    layers[0]
                ),
                None => format!("0 m² outside every parcel of {}", layers[0]),
            },
            Test::ParcelFit {
                layers,
                min_area_m2,
                ..
            } => format!(
                "on one parcel of {} (a part of {min_area_m2} m² or more on another counts)",
                layers[0]
            ),
            Test::Skyline {
                dem,
                viewpoints,
                max_distance_m,
                height,
                ..
            } => format!(
                "top (ground on {dem} + {height}) under the ridgeline seen from each viewpoint of {} within {max_distance_m} m",
                viewpoints.join("+")
            ),
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
    /// Who must approve a `requires-approval` finding.
    pub approval: Option<String>,
    /// Whitelisted cases, first match wins.
    pub exceptions: Vec<Exception>,
    /// The summary and message template in Chinese, where the rule has them (`[zh]`).
    pub summary_zh: Option<String>,
    pub message_zh: Option<Template>,
    /// The rule's folder (README.md, README.zh.md and fixtures/ live there).
    pub dir: PathBuf,
    /// The pack's id.
    pub pack: String,
    /// README.md and README.zh.md as they were when the rule loaded (a report quotes them,
    /// and a server's reports must not change before it reloads).
    pub readmes: Readmes,
}

/// A rule's READMEs, read once.
#[derive(Clone, Debug, Default)]
pub struct Readmes {
    pub en: Option<std::sync::Arc<str>>,
    pub zh: Option<std::sync::Arc<str>>,
}

impl Readmes {
    /// Reads `dir`'s README.md and README.zh.md (either may be missing).
    pub fn read(dir: &std::path::Path) -> Readmes {
        let read = |name: &str| std::fs::read_to_string(dir.join(name)).ok().map(Into::into);
        Readmes {
            en: read("README.md"),
            zh: read("README.zh.md"),
        }
    }
}

impl Rule {
    /// Whether the rule applies: `None` when its `applies_to` is unknown for these
    /// properties (an attribute it needs is missing or could not be read). There is no
    /// boolean shortcut on purpose: reading unknown as "does not apply" is a silent pass.
    pub fn decide(&self, props: &crate::model::Properties) -> Option<bool> {
        if self.status == Status::Deprecated {
            return Some(false);
        }
        match &self.applies_to {
            None => Some(true),
            Some(f) => f.decide(props),
        }
    }

    /// The rule's README, if it has one.
    pub fn readme(&self) -> Option<String> {
        self.readmes.en.as_deref().map(str::to_owned)
    }

    /// The README in `lang` (`README.zh.md` for Chinese), else the English one.
    pub fn readme_in(&self, lang: crate::model::Lang) -> Option<std::sync::Arc<str>> {
        match lang {
            crate::model::Lang::Zh => self.readmes.zh.clone().or_else(|| self.readmes.en.clone()),
            crate::model::Lang::En => self.readmes.en.clone(),
        }
    }

    /// The summary in `lang`, else the English one.
    pub fn summary_in(&self, lang: crate::model::Lang) -> &str {
        match (lang, &self.summary_zh) {
            (crate::model::Lang::Zh, Some(s)) => s,
            _ => &self.summary,
        }
    }

    /// The message template in `lang`, else the English one.
    pub fn message_in(&self, lang: crate::model::Lang) -> &Template {
        match (lang, &self.message_zh) {
            (crate::model::Lang::Zh, Some(t)) => t,
            _ => &self.message,
        }
    }
}
