//! Indicators (指标体系): what a pack measures per district, before and after a set of
//! proposals, against a target — declared as data in `indicators.toml` beside `pack.toml`.
//! [`crate::engine::indicators`] computes them; `ironrule indicators` reports them.

use super::rule::Layers;
use serde::Deserialize;
use toml::Spanned;

/// The pack's indicator file.
pub const FILE_NAME: &str = "indicators.toml";

/// Which way is better.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Deserialize, serde::Serialize, schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    /// The value must reach the target (a share of landscape).
    AtLeast,
    /// The value must not exceed the target (chemical sites near the river).
    AtMost,
}

impl Direction {
    /// Whether `value` meets `target`.
    pub fn met(self, value: f64, target: f64) -> bool {
        match self {
            Direction::AtLeast => value >= target,
            Direction::AtMost => value <= target,
        }
    }

    /// `≥` or `≤`.
    pub fn symbol(self) -> &'static str {
        match self {
            Direction::AtLeast => "≥",
            Direction::AtMost => "≤",
        }
    }

    /// `at_least` or `at_most`.
    pub fn as_str(self) -> &'static str {
        match self {
            Direction::AtLeast => "at_least",
            Direction::AtMost => "at_most",
        }
    }
}

/// How an indicator is measured in a district.
#[derive(Clone, Debug, PartialEq, Deserialize, schemars::JsonSchema)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Formula {
    /// The union of the layers' zones within the district ÷ the district's area, %. The
    /// proposals' footprints take from it.
    AreaShare {
        /// The zone layers (their union counts once where they overlap).
        layers: Layers,
    },
    /// The area of the union of the layers' zones within the district (m², or ha with
    /// `unit = "ha"`). The proposals' footprints take from it.
    Area { layers: Layers },
    /// The zones of `layer` (matching `where`) within `distance_m` of the `from` layers,
    /// counted in the district their first vertex lies in; after, plus the proposals within
    /// the distance.
    CountWithin {
        layer: String,
        /// A CQL2 filter on the counted zones' attributes (absent: all).
        #[serde(default, rename = "where")]
        filter: Option<String>,
        distance_m: f64,
        from: Layers,
    },
    /// Natural shoreline: the length of the `shore` layer's line (a water polygon's edge, or
    /// a line) within the district that is farther than `band_m` from the `built` layers (and,
    /// after, from every proposal), ÷ the shoreline's length in the district, %.
    ShorelineShare {
        shore: String,
        built: Layers,
        band_m: f64,
    },
}

impl Formula {
    /// Every layer it reads.
    pub fn layers(&self) -> Vec<String> {
        match self {
            Formula::AreaShare { layers } | Formula::Area { layers } => layers.to_vec(),
            Formula::CountWithin { layer, from, .. } => std::iter::once(layer.clone())
                .chain(from.to_vec())
                .collect(),
            Formula::ShorelineShare { shore, built, .. } => std::iter::once(shore.clone())
                .chain(built.to_vec())
                .collect(),
        }
    }
}

/// One `[[indicator]]` as written.
#[derive(Clone, Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct IndicatorSpec {
    /// A permanent id, such as `landscape_share`.
    pub id: String,
    /// What it is, for people.
    pub name: String,
    /// Its name in Chinese (`--lang zh`).
    #[serde(default)]
    pub name_zh: Option<String>,
    /// `%`, `m2`, `ha` or `count`.
    pub unit: String,
    /// at_least or at_most.
    pub direction: Direction,
    /// The target, in `unit` (every district's, unless `target_field` gives its own).
    #[serde(default)]
    pub target: Option<f64>,
    /// The grouping layer's attribute holding each district's target.
    #[serde(default)]
    pub target_field: Option<String>,
    /// What `target_field`'s values are multiplied by (100 for fractions of a % indicator).
    #[serde(default)]
    pub target_scale: Option<f64>,
    /// The target is illustrative, not the city's adopted one (reports say so).
    #[serde(default)]
    pub illustrative: bool,
    /// Where it comes from, for people.
    #[serde(default)]
    pub note: Option<String>,
    /// The proposals that act on it, in CQL2 over their attributes (absent: every one):
    /// those that take landscape, build on the shore, or are counted. One the filter cannot
    /// decide acts (the strict reading) and is reported undetermined.
    #[serde(default)]
    pub proposals: Option<String>,
    pub formula: Formula,
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct IndicatorFile {
    #[serde(rename = "indicator")]
    #[schemars(with = "Vec<IndicatorSpec>")]
    indicators: Vec<Spanned<IndicatorSpec>>,
}

/// A loaded indicator.
#[derive(Clone, Debug, PartialEq)]
pub struct Indicator {
    pub id: String,
    pub name: String,
    pub name_zh: Option<String>,
    pub unit: String,
    pub direction: Direction,
    pub target: Option<f64>,
    pub target_field: Option<String>,
    pub target_scale: f64,
    pub illustrative: bool,
    pub note: Option<String>,
    pub formula: Formula,
    /// The compiled `proposals` filter, and its text.
    pub proposals: Option<super::filter::Filter>,
    pub proposals_text: Option<String>,
    /// A compiled `where` filter of a count.
    pub filter: Option<super::filter::Filter>,
}

impl Indicator {
    /// The name in `lang`.
    pub fn name_in(&self, lang: crate::model::Lang) -> &str {
        match (lang, &self.name_zh) {
            (crate::model::Lang::Zh, Some(n)) => n,
            _ => &self.name,
        }
    }
}

/// The units an indicator may be in.
pub const UNITS: [&str; 4] = ["%", "m2", "ha", "count"];

/// Parses an `indicators.toml`, checking every layer against `known` (when given); errors
/// carry the byte offset of the indicator that is wrong.
pub fn parse(text: &str, known: Option<&[String]>) -> Result<Vec<Indicator>, Vec<(usize, String)>> {
    let file: IndicatorFile = crate::schema::parse(crate::schema::File::Indicators, text)?;
    let mut out = Vec::new();
    let mut errors = Vec::new();
    let mut seen = std::collections::BTreeSet::new();
    for s in file.indicators {
        let at = s.span().start;
        let spec = s.into_inner();
        let mut err = |why: String| errors.push((at, format!("indicator '{}': {why}", spec.id)));
        if !seen.insert(spec.id.clone()) {
            err("the id is used twice".into());
        }
        if !UNITS.contains(&spec.unit.as_str()) {
            err(format!(
                "unit '{}' is not one of {}",
                spec.unit,
                UNITS.join(", ")
            ));
        }
        let fits = match &spec.formula {
            Formula::AreaShare { .. } | Formula::ShorelineShare { .. } => spec.unit == "%",
            Formula::Area { .. } => spec.unit == "m2" || spec.unit == "ha",
            Formula::CountWithin { .. } => spec.unit == "count",
        };
        if !fits {
            err(format!(
                "unit '{}' does not fit its formula (a share is %, an area m2 or ha, a count count)",
                spec.unit
            ));
        }
        if spec.target.is_none() && spec.target_field.is_none() {
            err("a target is needed: `target`, or `target_field` on the districts".into());
        }
        if let Some(known) = known {
            for l in spec.formula.layers() {
                if !known.contains(&l) {
                    err(format!(
                        "unknown layer '{l}' (the project has: {})",
                        known.join(", ")
                    ));
                }
            }
        }
        let (mut filter, mut proposals) = (None, None);
        let zone_filter = match &spec.formula {
            Formula::CountWithin { filter: f, .. } => f.as_ref(),
            _ => None,
        };
        for (text, into, what) in [
            (zone_filter, &mut filter, "where"),
            (spec.proposals.as_ref(), &mut proposals, "proposals"),
        ] {
            if let Some(t) = text {
                match super::filter::Filter::parse(t) {
                    Ok(x) => *into = Some(x),
                    Err(e) => err(format!("{what}: {}", e.message)),
                }
            }
        }
        match &spec.formula {
            Formula::CountWithin { distance_m, .. }
                if !(distance_m.is_finite() && *distance_m >= 0.0) =>
            {
                err(format!("distance_m must be a number ≥ 0, not {distance_m}"));
            }
            Formula::ShorelineShare { band_m, .. } if !(band_m.is_finite() && *band_m >= 0.0) => {
                err(format!("band_m must be a number ≥ 0, not {band_m}"));
            }
            _ => {}
        }
        out.push(Indicator {
            target_scale: spec.target_scale.unwrap_or(1.0),
            id: spec.id,
            name: spec.name,
            name_zh: spec.name_zh,
            unit: spec.unit,
            direction: spec.direction,
            target: spec.target,
            target_field: spec.target_field,
            illustrative: spec.illustrative,
            note: spec.note,
            formula: spec.formula,
            proposals,
            proposals_text: spec.proposals,
            filter,
        });
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(errors)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn indicators_are_checked_for_units_targets_layers_and_filters() {
        let known = ["districts".to_owned(), "red_line".to_owned()];
        let ok = parse(
            r#"
[[indicator]]
id = "eco"
name = "Ecological space share"
unit = "%"
direction = "at_least"
target = 40
formula = { kind = "area_share", layers = ["red_line"] }
"#,
            Some(&known),
        )
        .unwrap();
        assert_eq!(ok[0].formula.layers(), ["red_line"]);
        let errs = parse(
            r#"
[[indicator]]
id = "x"
name = "x"
unit = "m2"
direction = "at_most"
proposals = "industry = "
formula = { kind = "count_within", layer = "sites", distance_m = -1, from = "river" }
"#,
            Some(&known),
        )
        .unwrap_err();
        let text: Vec<&str> = errs.iter().map(|(_, s)| s.as_str()).collect();
        for want in [
            "does not fit its formula",
            "a target is needed",
            "unknown layer 'sites'",
            "unknown layer 'river'",
            "distance_m must be",
            "proposals:",
        ] {
            assert!(text.iter().any(|s| s.contains(want)), "{want}: {text:?}");
        }
    }
}
