//! Undetermined results: when a rule cannot be decided for a feature (an attribute it needs
//! is missing, or holds a value the attribute dictionary could not read), what is wrong and
//! what would be accepted, in the checker's language. The checker runs such a rule's test as
//! if it applied and, where it would fire, reports the result undetermined instead of passing
//! it.

use super::Checker;
use crate::model::{Lang, Properties, Undetermined};
use crate::rules::dictionary;
use crate::rules::Rule;

impl Checker {
    /// Why a rule's `applies_to` is unknown for these properties.
    pub(super) fn why_unknown(&self, rule: &Rule, props: &Properties) -> Undetermined {
        let attributes = rule
            .applies_to
            .as_ref()
            .map(|f| f.unknowns(props))
            .unwrap_or_default();
        let reason = attributes
            .iter()
            .map(|a| self.describe(a, props))
            .collect::<Vec<_>>()
            .join("; ");
        let reason = match self.lang {
            Lang::En => format!("cannot tell whether {} applies: {reason}", rule.code),
            Lang::Zh => format!("不能确定 {} 是否适用：{reason}", rule.code),
        };
        Undetermined { attributes, reason }
    }

    /// What is wrong with one attribute of a feature, and what would be accepted.
    pub(super) fn describe(&self, attribute: &str, props: &Properties) -> String {
        if self.lang == Lang::Zh {
            return self.describe_zh(attribute, props);
        }
        let accepted = self
            .dictionary
            .accepted(attribute)
            .map(|a| format!(" (accepted: {a})"))
            .unwrap_or_default();
        let aliases = self
            .dictionary
            .get(attribute)
            .filter(|a| !a.aliases.is_empty())
            .map(|a| format!(", or as {}", a.aliases.join(", ")))
            .unwrap_or_default();
        match props.get(attribute) {
            None | Some(serde_json::Value::Null) => {
                format!("{attribute} is missing; give it as {attribute}{aliases}{accepted}")
            }
            Some(v) => match dictionary::invalid(v) {
                Some(m) => format!(
                    "{} = {}: {}{accepted}",
                    m.get("field").and_then(|f| f.as_str()).unwrap_or(attribute),
                    m.get("value").map(|v| v.to_string()).unwrap_or_default(),
                    m.get("reason").and_then(|r| r.as_str()).unwrap_or_default()
                ),
                None => format!("{attribute} = {v} cannot be compared{accepted}"),
            },
        }
    }

    /// [`Checker::describe`] in Chinese.
    fn describe_zh(&self, attribute: &str, props: &Properties) -> String {
        use dictionary::Problem;
        let accepted = self
            .dictionary
            .accepted_in(attribute, Lang::Zh)
            .map(|a| format!("；可接受：{a}"))
            .unwrap_or_default();
        let title = self
            .dictionary
            .get(attribute)
            .and_then(|a| a.aliases.first())
            .map(|t| format!("{t}（{attribute}）"))
            .unwrap_or_else(|| attribute.to_owned());
        match props.get(attribute) {
            None | Some(serde_json::Value::Null) => {
                let names = self
                    .dictionary
                    .get(attribute)
                    .map(|a| {
                        std::iter::once(a.name.as_str())
                            .chain(a.aliases.iter().map(String::as_str))
                            .collect::<Vec<_>>()
                            .join("、")
                    })
                    .unwrap_or_else(|| attribute.to_owned());
                format!("缺少{title}（字段名可为：{names}{accepted}）")
            }
            Some(v) => match dictionary::invalid(v) {
                Some(m) => {
                    let field = m.get("field").and_then(|f| f.as_str()).unwrap_or(attribute);
                    let value = m.get("value").map(|v| v.to_string()).unwrap_or_default();
                    let what = match Problem::of(m) {
                        Some(Problem::UnknownValue) => "不是已知取值",
                        Some(Problem::NotNumber) => "不是数字（单位已隐含，只填数字）",
                        Some(Problem::NotBoolean) => "不是“是/否”",
                        Some(Problem::NotDate) => "不是日期",
                        Some(Problem::Conflict) => "与同义字段的取值不一致",
                        Some(Problem::NotScalar) | None => "无法读取",
                    };
                    format!("{field} = {value}：{what}（{title}{accepted}）")
                }
                None => format!("{title} = {v} 无法比较{accepted}"),
            },
        }
    }

    /// Turns a finding into an undetermined result: the reason first, then what the finding
    /// would say if the rule applied (when it has a message: an attribute test without its
    /// value has none); at most the project's `undetermined_severity`.
    pub(super) fn undetermined(&self, x: &mut super::finding::Worded<'_>, why: Undetermined) {
        x.message = match (self.lang, x.message.is_empty()) {
            (Lang::En, true) => format!("undetermined: {}", why.reason),
            (Lang::Zh, true) => format!("无法判定：{}", why.reason),
            (Lang::En, false) => {
                format!("undetermined: {}; if it applies: {}", why.reason, x.message)
            }
            (Lang::Zh, false) => format!("无法判定：{}；若适用：{}", why.reason, x.message),
        };
        x.undetermined = Some(why);
        if let Some(cap) = self.project.undetermined_severity {
            x.severity = x.severity.min(cap);
        }
    }
}
