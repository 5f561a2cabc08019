//! Finding construction: a compact result ([`Found`]) worded in the checker's language, with
//! its zone, its measure in a typed unit and comparison, its citation, exception and
//! approval, and, where the rule could not be decided, why.

use super::evaluate::Found;
use super::share::ShareHit;
use super::Checker;
use crate::model::{
    fmt_num, Comparison, FeatureRef, Finding, Lang, Measure, MeasureKind, Properties, Undetermined,
    ZoneRef,
};
use crate::rules::template::Values;
use crate::rules::Test;

impl Checker {
    /// Words one result for the feature `fref` with these attributes.
    pub fn finding(&self, fref: &FeatureRef, properties: &Properties, x: Found<'_>) -> Finding {
        let Found {
            rule,
            layer,
            hit,
            limit,
            label,
            unknown,
            note,
        } = x;
        let layer_name = match (layer, &rule.test) {
            (Some(l), _) => l.name.clone(),
            (None, Test::Within { layers }) => layers.join("+"),
            (None, _) => "(rule)".to_owned(),
        };
        let mut zone = match (layer, hit.zone) {
            (Some(l), Some(z)) => ZoneRef {
                layer: layer_name,
                id: Some(l.zones[z].id.clone()),
                name: l.zones[z].name.clone(),
            },
            _ => ZoneRef {
                layer: layer_name,
                id: None,
                name: None,
            },
        };
        let op = match hit.kind {
            MeasureKind::Distance => Comparison::AtMost,
            MeasureKind::OverlapArea if limit > 0.0 => Comparison::AtLeast,
            _ => Comparison::Above,
        };
        let unit = match &rule.test {
            Test::Attribute { unit, .. } => *unit,
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
        let zone_label = label
            .clone()
            .or_else(|| zone.name.clone())
            .or_else(|| zone.id.clone())
            .unwrap_or_else(|| zone.layer.clone());
        let name = properties.get("name").and_then(|v| v.as_str());
        let feature_label = name
            .map(str::to_owned)
            .or_else(|| fref.id.clone())
            .unwrap_or_else(|| format!("#{}", fref.index));
        let unit_s = unit.text_in(self.lang);
        let missing = match (&rule.test, hit.kind) {
            (Test::Attribute { measured, .. }, MeasureKind::AttributeMissing) => {
                let attributes: Vec<String> =
                    measured.fields().into_iter().map(str::to_owned).collect();
                let reason = attributes
                    .iter()
                    .map(|a| self.describe(a, properties))
                    .collect::<Vec<_>>()
                    .join("; ");
                let reason = match self.lang {
                    Lang::En => format!(
                        "{}: the limit of {limit_s} {unit_s} ({zone_label}) cannot be checked: {reason}",
                        rule.code
                    ),
                    Lang::Zh => format!(
                        "{}：无法核查 {limit_s} {unit_s} 的限值（{zone_label}）：{reason}",
                        rule.code
                    ),
                };
                Some(Undetermined { reason, attributes })
            }
            _ => None,
        };
        let mut message = match &missing {
            // Said by `mark_undetermined` below.
            Some(_) => String::new(),
            None => rule.message_in(self.lang).render(&Values {
                value: &fmt_num(hit.value),
                limit: &limit_s,
                unit: unit_s,
                layer: &zone.layer,
                zone: &zone_label,
                feature: &feature_label,
                code: &rule.code,
            }),
        };
        if let Some(note) = note {
            message.push_str(&note);
        }
        let exception = rule.exceptions.iter().find(|e| e.when.matches(properties));
        // The zone's name says what set an attribute rule's limit: a band, a zone, the rule.
        if label.is_some() {
            zone.name = label;
        }
        let mut finding = Finding {
            undetermined: None,
            approval: exception
                .and_then(|e| e.approval.clone())
                .or_else(|| rule.approval.clone()),
            exception: exception.map(|e| match &e.note {
                Some(n) => format!("{} ({n})", e.when_text),
                None => e.when_text.clone(),
            }),
            code: rule.code.clone(),
            rule_name: rule.name.clone(),
            severity: exception.map_or(rule.severity, |e| e.severity),
            feature: fref.clone(),
            feature_name: name.map(str::to_owned),
            zone,
            measure,
            share_of_footprint: hit.share,
            nearest: hit.nearest.map(|[a, b]| [[a.x, a.y], [b.x, b.y]]),
            message,
            citation: rule.citation.clone(),
            triage: Default::default(),
            geometry: hit.geometry,
        };
        match missing {
            Some(why) => self.mark_undetermined(&mut finding, why),
            None if unknown => {
                let why = self.why_unknown(rule, properties);
                self.mark_undetermined(&mut finding, why);
            }
            None => {}
        }
        finding
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
                "; together with {n} other proposal(s) of this submission that take landscape there: {}",
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
