//! Finding construction: a compact result ([`Found`]) worded in the checker's language, with
//! its zone, its measure in a typed unit and comparison, its citation, exception and
//! approval, and, where the rule could not be decided, why.

use super::evaluate::Found;
use super::share::ShareHit;
use super::Checker;
use crate::model::{
    fmt_num, Comparison, FeatureRef, Finding, Lang, Measure, MeasureKind, Properties, Severity,
    Undetermined, ZoneRef,
};
use crate::rules::rule::Exception;
use crate::rules::template::Values;
use crate::rules::{Rule, Test};
use std::borrow::Cow;

/// A result worded, borrowing what it can: everything a finding says, before it is built
/// (`audit` writes its CSV row from this without building the finding).
#[derive(Debug)]
pub struct Worded<'a> {
    pub zone: Zone<'a>,
    pub measure: Measure,
    /// The rule's, or its exception's, capped for an undetermined result.
    pub severity: Severity,
    pub message: String,
    pub undetermined: Option<Undetermined>,
    pub exception: Option<&'a Exception>,
}

/// The zone of a worded result.
#[derive(Debug)]
pub struct Zone<'a> {
    pub layer: Cow<'a, str>,
    pub id: Option<&'a str>,
    /// The zone's name, or what set an attribute rule's limit (a band, a zone, the rule).
    pub name: Option<Cow<'a, str>>,
}

impl<'a> Worded<'a> {
    /// The status an active result has: `undetermined` or `active`.
    pub fn status(&self) -> &'static str {
        match self.undetermined {
            Some(_) => "undetermined",
            None => "active",
        }
    }

    /// Who must approve it (requires-approval): the exception's approver, else the rule's.
    pub fn approval(&self, rule: &'a Rule) -> Option<&'a str> {
        self.exception
            .and_then(|e| e.approval.as_deref())
            .or(rule.approval.as_deref())
    }

    /// The rule exception (whitelist) that set the severity, as its `when` and note.
    pub fn exception_text(&self) -> Option<Cow<'a, str>> {
        self.exception.map(|e| match &e.note {
            Some(n) => Cow::Owned(format!("{} ({n})", e.when_text)),
            None => Cow::Borrowed(e.when_text.as_str()),
        })
    }
}

impl Checker {
    /// Words one result for the feature `fref` with these attributes, as a finding.
    pub fn finding(&self, fref: &FeatureRef, properties: &Properties, x: Found<'_>) -> Finding {
        let w = self.word(fref, properties, &x);
        let rule = x.rule;
        let approval = w.approval(rule).map(str::to_owned);
        let exception = w.exception_text().map(Cow::into_owned);
        let zone = ZoneRef {
            layer: w.zone.layer.into_owned(),
            id: w.zone.id.map(str::to_owned),
            name: w.zone.name.map(Cow::into_owned),
        };
        let (undetermined, severity, message, measure) =
            (w.undetermined, w.severity, w.message, w.measure);
        let hit = x.hit;
        Finding {
            undetermined,
            approval,
            exception,
            code: rule.code.clone(),
            rule_name: rule.name.clone(),
            severity,
            feature: fref.clone(),
            feature_name: properties
                .get("name")
                .and_then(|v| v.as_str())
                .map(str::to_owned),
            zone,
            measure,
            share_of_footprint: hit.share,
            nearest: hit.nearest.map(|[a, b]| [[a.x, a.y], [b.x, b.y]]),
            message,
            citation: rule.citation.clone(),
            triage: Default::default(),
            terrain: x.terrain,
            plan: x.plan,
            geometry: hit.geometry,
        }
    }

    /// Words one result: its zone, measure, severity and message, and, where the rule could
    /// not be decided, why.
    pub fn word<'a>(
        &'a self,
        fref: &FeatureRef,
        properties: &Properties,
        x: &'a Found<'a>,
    ) -> Worded<'a> {
        let Found {
            rule,
            layer,
            hit,
            limit,
            label,
            unknown,
            note,
            terrain,
            terrain_missing,
            plan,
            severity,
        } = x;
        let (rule, limit) = (*rule, *limit);
        let layer_name: Cow<'a, str> = match (layer, &rule.test) {
            (Some(l), _) => Cow::Borrowed(&l.name),
            (None, Test::Within { layers }) => Cow::Owned(layers.join("+")),
            (
                None,
                Test::Slope { dem, .. } | Test::Elevation { dem, .. } | Test::Skyline { dem, .. },
            ) => Cow::Borrowed(dem),
            (None, _) => Cow::Borrowed("(rule)"),
        };
        let (zone_id, zone_name) = match (layer, hit.zone) {
            (Some(l), Some(z)) => (Some(l.zones[z].id.as_str()), l.zones[z].name.as_deref()),
            _ => (None, None),
        };
        let op = match hit.kind {
            MeasureKind::Distance => Comparison::AtMost,
            MeasureKind::GreenRatio | MeasureKind::ParcelSetback => Comparison::Below,
            MeasureKind::OverlapArea if limit > 0.0 => Comparison::AtLeast,
            _ => Comparison::Above,
        };
        let unit = match &rule.test {
            Test::Attribute { unit, .. } => *unit,
            Test::Elevation { .. } | Test::Skyline { .. } => crate::model::Unit::Metre,
            _ => hit.kind.unit(),
        };
        let measure = Measure {
            kind: hit.kind,
            value: hit.value,
            unit,
            limit,
            op,
        };
        let limit_s = fmt_num(limit);
        let zone_label: &str = label
            .as_deref()
            .or(zone_name)
            .or(zone_id)
            .unwrap_or(&layer_name);
        let unit_s = unit.text_in(self.lang);
        let plan_gap = plan.as_ref().and_then(|p| p.gap.as_ref()).map(|g| {
            let classes = match &rule.test {
                Test::LandUse { .. } => crate::rules::land_use::FILE_NAME,
                _ => "",
            };
            let (why, attributes) = super::plan::gap_text(g, classes, self.lang);
            let sep = self.lang.pick(": ", "：");
            let at = match (&zone_id, self.lang) {
                (Some(z), Lang::En) => format!(" (parcel {z})"),
                (Some(z), Lang::Zh) => format!("（地块 {z}）"),
                (None, _) => String::new(),
            };
            Undetermined {
                reason: format!("{}{at}{sep}{why}", rule.code),
                attributes,
            }
        });
        let missing = match (&rule.test, hit.kind) {
            _ if plan_gap.is_some() => plan_gap,
            // A value a limit needs is missing: what cannot be checked, and why.
            (_, MeasureKind::AttributeMissing) => {
                let (attributes, what): (Vec<String>, String) = match (&rule.test, self.lang) {
                    (Test::Attribute { measured, .. }, Lang::En) => (
                        measured.fields().into_iter().map(str::to_owned).collect(),
                        format!("the limit of {limit_s} {unit_s} ({zone_label}) cannot be checked"),
                    ),
                    (Test::Attribute { measured, .. }, Lang::Zh) => (
                        measured.fields().into_iter().map(str::to_owned).collect(),
                        format!("无法核查 {limit_s} {unit_s} 的限值（{zone_label}）"),
                    ),
                    (Test::Elevation { height, .. }, Lang::En) => (
                        vec![height.clone()],
                        format!("the top cannot be checked against {limit_s} m ({zone_label})"),
                    ),
                    (Test::Elevation { height, .. }, Lang::Zh) => (
                        vec![height.clone()],
                        format!("无法核查建筑顶部高程是否超过 {limit_s} 米（{zone_label}）"),
                    ),
                    (Test::Skyline { height, .. }, Lang::En) => (
                        vec![height.clone()],
                        format!("the top cannot be checked against the ridgeline seen from {zone_label}"),
                    ),
                    (Test::Skyline { height, .. }, Lang::Zh) => (
                        vec![height.clone()],
                        format!("无法核查从{zone_label}望去建筑顶部是否高出山脊线"),
                    ),
                    _ => (Vec::new(), String::new()),
                };
                let reason = attributes
                    .iter()
                    .map(|a| self.describe(a, properties))
                    .collect::<Vec<_>>()
                    .join("; ");
                let sep = self.lang.pick(": ", "：");
                Some(Undetermined {
                    reason: format!("{}{sep}{what}{sep}{reason}", rule.code),
                    attributes,
                })
            }
            (
                Test::Slope { dem, .. } | Test::Elevation { dem, .. } | Test::Skyline { dem, .. },
                MeasureKind::TerrainMissing,
            ) => {
                let why = terrain_missing
                    .as_ref()
                    .map(|m| m.text(dem, self.lang))
                    .unwrap_or_default();
                let reason = match self.lang {
                    Lang::En => format!("{}: {why}", rule.code),
                    Lang::Zh => format!("{}：{why}", rule.code),
                };
                Some(Undetermined {
                    reason,
                    attributes: Vec::new(),
                })
            }
            _ => None,
        };
        let mut message = match &missing {
            // Said by `undetermined` below.
            Some(_) => String::new(),
            None => {
                let name = properties.get("name").and_then(|v| v.as_str());
                let index;
                let feature_label = match (name, &fref.id) {
                    (Some(n), _) => n,
                    (None, Some(id)) => id,
                    (None, None) => {
                        index = format!("#{}", fref.index);
                        &index
                    }
                };
                rule.message_in(self.lang).render(&Values {
                    value: &fmt_num(hit.value),
                    limit: &limit_s,
                    unit: unit_s,
                    layer: &layer_name,
                    zone: zone_label,
                    feature: feature_label,
                    code: &rule.code,
                })
            }
        };
        if let Some(note) = note {
            message.push_str(note);
        }
        if let (Some(t), None) = (terrain, &missing) {
            message.push_str(&super::terrain::evidence_text(t, self.lang));
        }
        if let (Some(p), None) = (plan, &missing) {
            message.push_str(&super::plan::evidence_text(p, self.lang));
        }
        let exception = rule.exceptions.iter().find(|e| e.when.matches(properties));
        let zone = Zone {
            // The zone's name says what set an attribute rule's limit: a band, a zone, the rule.
            name: match label {
                Some(l) => Some(Cow::Borrowed(l.as_str())),
                None => zone_name.map(Cow::Borrowed),
            },
            layer: layer_name,
            id: zone_id,
        };
        let mut worded = Worded {
            zone,
            measure,
            severity: exception.map_or(severity.unwrap_or(rule.severity), |e| e.severity),
            message,
            undetermined: None,
            exception,
        };
        match missing {
            Some(why) => self.undetermined(&mut worded, why),
            None if *unknown => {
                let why = self.why_unknown(rule, properties);
                self.undetermined(&mut worded, why);
            }
            None => {}
        }
        worded
    }

    /// What a share rule's finding adds: the share before, this proposal's part, and the other
    /// proposals of the submission that take landscape in the same district.
    pub(super) fn share_note(&self, h: &ShareHit, others: &[String]) -> String {
        let points = format!("{:.4}", h.marginal * 100.0);
        let points = points.trim_end_matches('0').trim_end_matches('.');
        let (before, taken) = (fmt_num(h.before * 100.0), fmt_num(h.taken_m2));
        let mut note = match self.lang {
            Lang::En => format!(
                " (before: {before} %; this proposal takes {taken} m² of landscape, {points} percentage points)"
            ),
            Lang::Zh => format!(
                "（此前：{before} %；本项目占用山水用地 {taken} 平方米，{points} 个百分点）"
            ),
        };
        note.push_str(&match (others.len(), self.lang) {
            (0, Lang::En) => "; it alone takes landscape there in this submission".into(),
            (0, Lang::Zh) => "；本次提交中仅此项目占用该区山水用地".into(),
            (n, Lang::En) => format!(
                "; together with {} of this submission that take landscape there: {}",
                crate::model::count(n, "other proposal", "other proposals"),
                others.join(", ")
            ),
            (n, Lang::Zh) => format!(
                "；与本次提交中另外 {n} 个占用该区山水用地的项目共同导致：{}",
                others.join("、")
            ),
        });
        note
    }
}
