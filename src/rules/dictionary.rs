//! The attribute dictionary: what every attribute a pack's rules read is called, what type it
//! has, which values it may take, and the names submissions use for both. A pack declares it
//! in `attributes.toml`; a project adds its own departments' names under `[attributes.NAME]`
//! in `ironrule.toml`.
//!
//! [`Dictionary::normalize`] rewrites a feature's properties before any rule reads them:
//! - a field whose name is an attribute's name or alias (after trimming, case folding and
//!   full-width → half-width folding) is renamed to the attribute's name;
//! - a value is read as the attribute's type: an enumeration value or one of its aliases
//!   (folded the same way; a number such as a land-use code `1001` is read as its text), a
//!   number, a boolean (`true`/`false`, `1`/`0`, `是`/`否`...), a date (`2026-03-01`,
//!   `2026/3/1`, `2026年3月1日` → `2026-03-01`), or text;
//! - a value that cannot be read is replaced by a marker ([`invalid`]) that the filters treat
//!   as *unknown* (even `IS NULL`), so a rule that needs it is undetermined, never passed;
//! - a missing attribute with a `default` gets it.
//!
//! Fields the dictionary does not know are left as they are.
//!
//! ```
//! use ironrule::rules::dictionary::Dictionary;
//! let d = Dictionary::parse(r#"
//! [[attribute]]
//! name = "industry"
//! type = "enum"
//! aliases = ["行业类别"]
//! values = [{ value = "chemical", aliases = ["化工"] }, { value = "food" }]
//! "#).unwrap();
//! let mut props = serde_json::json!({"行业类别": " 化工 "}).as_object().unwrap().clone();
//! d.normalize(&mut props);
//! assert_eq!(props["industry"], "chemical");
//! let mut props = serde_json::json!({"industry": "Chemical"}).as_object().unwrap().clone();
//! d.normalize(&mut props);
//! assert_eq!(props["industry"], "chemical");
//! let mut props = serde_json::json!({"industry": "石化"}).as_object().unwrap().clone();
//! d.normalize(&mut props);
//! assert!(ironrule::rules::dictionary::invalid(&props["industry"]).is_some());
//! ```

use crate::model::Properties;
use serde::Deserialize;
use serde_json::Value;
use std::collections::BTreeMap;

/// The key of the marker object that stands for a value that could not be read.
pub const INVALID: &str = "$invalid";

/// The file in a pack's folder.
pub const FILE_NAME: &str = "attributes.toml";

/// An attribute's type.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum AttrType {
    /// Free text.
    Text,
    /// One of the declared `values`.
    Enum,
    /// A number, in `unit`.
    Number,
    /// true or false.
    Boolean,
    /// A calendar date, ISO 8601 (`YYYY-MM-DD`).
    Date,
}

impl AttrType {
    /// The name used in `attributes.toml`.
    pub fn as_str(self) -> &'static str {
        match self {
            AttrType::Text => "text",
            AttrType::Enum => "enum",
            AttrType::Number => "number",
            AttrType::Boolean => "boolean",
            AttrType::Date => "date",
        }
    }
}

/// One value of an enumeration, and the names submissions use for it.
#[derive(Clone, Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct EnumValue {
    pub value: String,
    #[serde(default)]
    pub aliases: Vec<String>,
    /// What the value means, for people (shown in "accepted" lists).
    #[serde(default)]
    pub title: Option<String>,
}

/// One `[[attribute]]`.
#[derive(Clone, Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Attribute {
    pub name: String,
    #[serde(rename = "type")]
    pub kind: AttrType,
    /// What it is, for people (e.g. "行业类别 industry").
    #[serde(default)]
    pub title: Option<String>,
    /// The unit of a number (`m`, `m2`, `years`...).
    #[serde(default)]
    pub unit: Option<String>,
    /// Other field names that mean this attribute.
    #[serde(default)]
    pub aliases: Vec<String>,
    /// The values of an enumeration.
    #[serde(default)]
    pub values: Vec<EnumValue>,
    /// The value a feature without the attribute gets.
    #[serde(default)]
    #[schemars(with = "Option<serde_json::Value>")]
    pub default: Option<toml::Value>,
    /// Also keep the value as written (trimmed text) under this name, for rules that read
    /// finer codes than the enumeration's values: `land_use` keeps `0701` as
    /// `land_use_code` while its value becomes `residential`.
    #[serde(default)]
    pub keep_written: Option<String>,
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct DictFile {
    /// What proposals carry.
    #[serde(default, rename = "attribute")]
    #[schemars(with = "Vec<Attribute>")]
    attributes: Vec<toml::Spanned<Attribute>>,
    /// What planning parcels (layers of `kind = "planning_parcels"`) carry: the plan's
    /// planned use and limits (容积率 is a parcel's maximum, not a proposal's value).
    #[serde(default, rename = "parcel_attribute")]
    #[schemars(with = "Vec<Attribute>")]
    parcel_attributes: Vec<toml::Spanned<Attribute>>,
}

/// A project's additions for one attribute (`[attributes.NAME]` in `ironrule.toml`).
#[derive(Clone, Debug, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Mapping {
    /// More field names for the attribute.
    #[serde(default)]
    pub aliases: Vec<String>,
    /// More names for values: `{ chemical = ["化工类"] }`.
    #[serde(default)]
    pub values: BTreeMap<String, Vec<String>>,
}

/// The attribute dictionary: the declared attributes, with lookup tables from folded names.
#[derive(Clone, Debug, Default)]
pub struct Dictionary {
    attributes: Vec<Attribute>,
    /// Folded field name or alias → attribute index.
    fields: BTreeMap<String, usize>,
    /// (attribute index, folded value or alias) → canonical value.
    values: BTreeMap<(usize, String), String>,
}

/// A value as written, as trimmed text (a dBase numeric field's `1001.0` is `1001`); `None`
/// for what is not text or a number.
pub(crate) fn written(v: &Value) -> Option<String> {
    match v {
        Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_owned()),
        Value::Number(n) => Some(match n.as_f64() {
            Some(x) if x.fract() == 0.0 && x.abs() < 1e15 => format!("{}", x as i64),
            _ => n.to_string(),
        }),
        _ => None,
    }
}

/// Folds text for matching: trims, maps full-width ASCII and the ideographic space to their
/// half-width forms, collapses inner whitespace, and lower-cases.
///
/// ```
/// use ironrule::rules::dictionary::fold;
/// assert_eq!(fold("  ＣＨＥＭＩＣＡＬ　"), "chemical");
/// assert_eq!(fold("Tailings  Pond"), "tailings pond");
/// ```
pub fn fold(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut space = false;
    for c in s.chars() {
        let c = match c {
            '\u{3000}' => ' ',
            '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
            c => c,
        };
        if c.is_whitespace() {
            space = !out.is_empty();
            continue;
        }
        if space {
            out.push(' ');
            space = false;
        }
        out.extend(c.to_lowercase());
    }
    out
}

/// Whether [`fold`] leaves `s` as it is (so a lookup needs no folded copy).
fn is_folded(s: &str) -> bool {
    s.trim() == s
        && !s.contains("  ")
        && s.chars().all(|c| {
            !matches!(c, '\u{3000}' | '\u{FF01}'..='\u{FF5E}')
                && (c == ' ' || !c.is_whitespace())
                && c.to_lowercase().eq(std::iter::once(c))
        })
}

/// The marker's content when `v` is the marker of a value that could not be read: the field
/// it came from, the value as written, and why it was not accepted.
pub fn invalid(v: &Value) -> Option<&serde_json::Map<String, Value>> {
    v.as_object()?.get(INVALID)?.as_object()
}

/// What was wrong with a value, for messages in any language.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Problem {
    /// Not one of an enumeration's values or aliases.
    UnknownValue,
    /// Not a number (a number attribute).
    NotNumber,
    /// Not true or false.
    NotBoolean,
    /// Not a date.
    NotDate,
    /// Two fields give the attribute different values.
    Conflict,
    /// An array or object where a value was expected.
    NotScalar,
}

impl Problem {
    fn as_str(self) -> &'static str {
        match self {
            Problem::UnknownValue => "unknown_value",
            Problem::NotNumber => "not_number",
            Problem::NotBoolean => "not_boolean",
            Problem::NotDate => "not_date",
            Problem::Conflict => "conflict",
            Problem::NotScalar => "not_scalar",
        }
    }

    /// The problem recorded in a marker.
    pub fn of(marker: &serde_json::Map<String, Value>) -> Option<Problem> {
        let p = marker.get("problem")?.as_str()?;
        [
            Problem::UnknownValue,
            Problem::NotNumber,
            Problem::NotBoolean,
            Problem::NotDate,
            Problem::Conflict,
            Problem::NotScalar,
        ]
        .into_iter()
        .find(|x| x.as_str() == p)
    }
}

fn marker(field: &str, raw: &Value, problem: Problem, why: String) -> Value {
    serde_json::json!({ INVALID: { "field": field, "value": raw, "problem": problem.as_str(), "reason": why } })
}

impl Dictionary {
    /// Parses an `attributes.toml`; errors carry the byte offset of what is wrong.
    pub fn parse(text: &str) -> Result<Dictionary, Vec<(usize, String)>> {
        Ok(Dictionary::parse_both(text)?.0)
    }

    /// Parses an `attributes.toml` into its proposals' dictionary (`[[attribute]]`) and its
    /// planning parcels' (`[[parcel_attribute]]`).
    pub fn parse_both(text: &str) -> Result<(Dictionary, Dictionary), Vec<(usize, String)>> {
        let file: DictFile = crate::schema::parse(crate::schema::File::Attributes, text)?;
        let mut errors = Vec::new();
        let mut build = |list: Vec<toml::Spanned<Attribute>>| {
            let mut d = Dictionary::default();
            for spanned in list {
                let at = spanned.span().start;
                if let Err(why) = d.add(spanned.into_inner()) {
                    errors.push((at, why));
                }
            }
            d
        };
        let both = (build(file.attributes), build(file.parcel_attributes));
        if errors.is_empty() {
            Ok(both)
        } else {
            Err(errors)
        }
    }

    /// True when no attribute is declared (normalising is then a no-op).
    pub fn is_empty(&self) -> bool {
        self.attributes.is_empty()
    }

    /// The declared attributes, in declaration order.
    pub fn attributes(&self) -> &[Attribute] {
        &self.attributes
    }

    /// The attribute of this name (not alias).
    pub fn get(&self, name: &str) -> Option<&Attribute> {
        self.attributes.iter().find(|a| a.name == name)
    }

    /// The attribute a field name (or alias) stands for.
    pub fn resolve_field(&self, field: &str) -> Option<&Attribute> {
        self.fields.get(&fold(field)).map(|i| &self.attributes[*i])
    }

    /// The canonical value of an enumeration attribute for a written value or alias.
    pub fn resolve_value(&self, attribute: &str, written: &str) -> Option<&str> {
        let i = self.attributes.iter().position(|a| a.name == attribute)?;
        self.values.get(&(i, fold(written))).map(String::as_str)
    }

    /// Adds an attribute, or merges a second pack's declaration of the same name (same type
    /// required; aliases and values are united).
    pub fn add(&mut self, a: Attribute) -> Result<(), String> {
        if a.name.trim().is_empty() {
            return Err("an attribute needs a name".into());
        }
        if a.kind == AttrType::Enum && a.values.is_empty() {
            return Err(format!(
                "attribute '{}' is an enumeration without values: add values = [{{ value = \"...\" }}]",
                a.name
            ));
        }
        if a.kind != AttrType::Enum && !a.values.is_empty() {
            return Err(format!(
                "attribute '{}' has values but is of type {}: only an enum has values",
                a.name,
                a.kind.as_str()
            ));
        }
        if let Some(unit) = &a.unit {
            if crate::model::Unit::for_limit(unit).is_none() {
                return Err(format!(
                    "attribute '{}': unit '{unit}' is not one of {}",
                    a.name,
                    crate::model::Unit::limit_codes()
                ));
            }
        }
        let index = match self.attributes.iter().position(|x| x.name == a.name) {
            Some(i) if self.attributes[i].kind != a.kind => {
                return Err(format!(
                    "attribute '{}' is declared as {} elsewhere and as {} here",
                    a.name,
                    self.attributes[i].kind.as_str(),
                    a.kind.as_str()
                ))
            }
            Some(i) => {
                let mut more = a.clone();
                let have = &mut self.attributes[i];
                have.aliases.append(&mut more.aliases);
                if have.keep_written.is_none() {
                    have.keep_written = more.keep_written.take();
                }
                for v in more.values {
                    match have.values.iter_mut().find(|x| x.value == v.value) {
                        Some(x) => x.aliases.extend(v.aliases),
                        None => have.values.push(v),
                    }
                }
                i
            }
            None => {
                self.attributes.push(a.clone());
                self.attributes.len() - 1
            }
        };
        for name in std::iter::once(&a.name).chain(&a.aliases) {
            if let Some(other) = self.fields.insert(fold(name), index) {
                if other != index {
                    return Err(format!(
                        "field name '{name}' is given to '{}' and to '{}'",
                        self.attributes[other].name, a.name
                    ));
                }
            }
        }
        for v in &a.values {
            for written in std::iter::once(&v.value).chain(&v.aliases) {
                let key = (index, fold(written));
                if let Some(other) = self.values.insert(key, v.value.clone()) {
                    if other != v.value {
                        return Err(format!(
                            "attribute '{}': '{written}' names both '{other}' and '{}'",
                            a.name, v.value
                        ));
                    }
                }
            }
        }
        if let Some(d) = &a.default {
            let raw = toml_to_json(d);
            if invalid(&self.read(index, &a.name, &raw)).is_some() {
                return Err(format!(
                    "attribute '{}': default {d} is not a valid {}",
                    a.name,
                    a.kind.as_str()
                ));
            }
        }
        Ok(())
    }

    /// Adds a project's names for an attribute the packs declare.
    pub fn map(&mut self, name: &str, m: &Mapping) -> Result<(), String> {
        let Some(have) = self.get(name) else {
            let known: Vec<&str> = self.attributes.iter().map(|a| a.name.as_str()).collect();
            return Err(format!(
                "[attributes.{name}]: the rule packs declare no attribute '{name}' (they declare: {})",
                known.join(", ")
            ));
        };
        let mut more = have.clone();
        more.aliases = m.aliases.clone();
        more.default = None;
        more.values = Vec::new();
        for (value, aliases) in &m.values {
            if have.kind != AttrType::Enum {
                return Err(format!(
                    "[attributes.{name}]: values are for enumerations; '{name}' is {}",
                    have.kind.as_str()
                ));
            }
            if !have.values.iter().any(|v| &v.value == value) {
                return Err(format!(
                    "[attributes.{name}]: '{value}' is not a value of '{name}' (values: {})",
                    have.values
                        .iter()
                        .map(|v| v.value.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ));
            }
            more.values.push(EnumValue {
                value: value.clone(),
                aliases: aliases.clone(),
                title: None,
            });
        }
        self.add(more)
    }

    /// What an attribute accepts, for messages: "one of chemical (化工), food" or "a number of
    /// m".
    pub fn accepted(&self, name: &str) -> Option<String> {
        self.accepted_in(name, crate::model::Lang::En)
    }

    /// [`Dictionary::accepted`] in `lang`.
    pub fn accepted_in(&self, name: &str, lang: crate::model::Lang) -> Option<String> {
        use crate::model::Lang;
        let a = self.get(name)?;
        let t = |en: &str, zh: &str| lang.pick(en, zh).to_owned();
        Some(match a.kind {
            AttrType::Enum => {
                // A value with its first alias: "chemical (化工)", "化工（chemical）".
                let vals: Vec<String> = a
                    .values
                    .iter()
                    .map(|v| match (v.aliases.first(), lang) {
                        (Some(alias), Lang::En) => format!("{} ({alias})", v.value),
                        (Some(alias), Lang::Zh) => format!("{alias}（{}）", v.value),
                        (None, _) => v.value.clone(),
                    })
                    .collect();
                match lang {
                    Lang::En => format!("one of {}", vals.join(", ")),
                    Lang::Zh => format!("以下之一：{}", vals.join("、")),
                }
            }
            AttrType::Number => match a.unit.as_deref() {
                Some("m") => t("a number of metres", "以米计的数字"),
                Some("m2") => t("a number of square metres", "以平方米计的数字"),
                Some("years") => t("a number of years", "以年计的数字"),
                Some("%") => t("a number, in percent", "以百分比计的数字"),
                Some("ratio") => t("a number (a ratio)", "数字（比值）"),
                Some(u) => format!("{} {u}", t("a number of", "数字，单位")),
                None => t("a number", "数字"),
            },
            AttrType::Boolean => t("true or false (是/否, 1/0)", "是或否（true/false、1/0）"),
            AttrType::Date => t("a date, YYYY-MM-DD", "日期，YYYY-MM-DD"),
            AttrType::Text => t("text", "文本"),
        })
    }

    /// Rewrites properties to the dictionary's names, values and types (see the module docs).
    pub fn normalize(&self, props: &mut Properties) {
        if self.attributes.is_empty() {
            return;
        }
        // Fields to rename or read, and their attribute; a field that already has the
        // attribute's name and a value of its type (a clean file) is left alone, without an
        // allocation. Done in two steps to keep the order of the other fields.
        let mut found: Vec<(usize, String)> = Vec::new();
        let mut done: Vec<usize> = Vec::new();
        for (key, value) in props.iter() {
            let i = match self.fields.get(key.as_str()) {
                Some(i) => *i,
                None if is_folded(key) => continue,
                None => match self.fields.get(&fold(key)) {
                    Some(i) => *i,
                    None => continue,
                },
            };
            if *key == self.attributes[i].name && self.is_canonical(i, value) {
                done.push(i);
            } else {
                found.push((i, key.clone()));
            }
        }
        // Values kept as written (`keep_written`), for rules that read finer codes.
        let mut keeps: Vec<(&str, String)> = done
            .iter()
            .filter_map(|i| {
                let a = &self.attributes[*i];
                Some((a.keep_written.as_deref()?, written(props.get(&a.name)?)?))
            })
            .collect();
        for (i, key) in &found {
            let Some(raw) = props.remove(key) else {
                continue;
            };
            if let (Some(k), Some(t)) = (&self.attributes[*i].keep_written, written(&raw)) {
                keeps.push((k, t));
            }
            let name = self.attributes[*i].name.clone();
            // A blank is how CSV and dBase write a missing value: missing, not a value (it
            // must not contradict another field that gives the attribute).
            let blank = raw.as_str().is_some_and(|s| s.trim().is_empty());
            let value = if raw.is_null() || blank {
                Value::Null
            } else {
                self.read(*i, key, &raw)
            };
            if done.contains(i) {
                // Two fields for one attribute: they must agree.
                match props.get(&name) {
                    Some(v) if v == &value || value.is_null() => {}
                    Some(v) if v.is_null() => {
                        props.insert(name, value);
                    }
                    Some(v) => {
                        let why =
                            format!("two fields give {name}: {} and {}", shown(v), shown(&value));
                        props.insert(name, marker(key, &raw, Problem::Conflict, why));
                    }
                    None => {
                        props.insert(name, value);
                    }
                }
            } else {
                props.insert(name, value);
                done.push(*i);
            }
        }
        for (k, t) in keeps {
            if props.get(k).is_none_or(Value::is_null) {
                props.insert(k.to_owned(), Value::String(t));
            }
        }
        for (i, a) in self.attributes.iter().enumerate() {
            if let Some(d) = &a.default {
                if props.get(&a.name).is_none_or(Value::is_null) {
                    let v = self.read(i, &a.name, &toml_to_json(d));
                    props.insert(a.name.clone(), v);
                }
            }
        }
    }

    /// Whether `v` is already what reading it as attribute `i` gives (or null).
    fn is_canonical(&self, i: usize, v: &Value) -> bool {
        let a = &self.attributes[i];
        match (a.kind, v) {
            (_, Value::Null) => true,
            (AttrType::Enum, Value::String(s)) => a.values.iter().any(|x| x.value == *s),
            (AttrType::Number, Value::Number(n)) => n.as_f64().is_some_and(f64::is_finite),
            (AttrType::Boolean, Value::Bool(_)) => true,
            (AttrType::Text, Value::String(s)) => s.trim() == s,
            (AttrType::Date, Value::String(s)) => {
                s.len() == 10 && parse_date(s).as_deref() == Some(s.as_str())
            }
            _ => false,
        }
    }

    /// A written value read as attribute `i`'s type, or the marker saying why it cannot be.
    fn read(&self, i: usize, field: &str, raw: &Value) -> Value {
        let a = &self.attributes[i];
        let text = match raw {
            Value::String(s) => Some(s.clone()),
            // 1001.0 from a dBase numeric field is the code 1001.
            Value::Number(n) => Some(match n.as_f64() {
                Some(x) if x.fract() == 0.0 && x.abs() < 1e15 => format!("{}", x as i64),
                _ => n.to_string(),
            }),
            Value::Bool(b) => Some(b.to_string()),
            _ => None,
        };
        let bad = |problem: Problem, what: String| marker(field, raw, problem, what);
        let Some(text) = text else {
            return bad(
                Problem::NotScalar,
                format!(
                    "{} is not {}",
                    shown(raw),
                    self.accepted(&a.name).unwrap_or_default()
                ),
            );
        };
        let folded = fold(&text);
        match a.kind {
            AttrType::Text => Value::String(text.trim().to_owned()),
            AttrType::Enum => match self.values.get(&(i, folded.clone())).or_else(|| {
                // A code with a leading zero (0701) stored in a numeric field reads 701.
                let digits = folded.bytes().all(|b| b.is_ascii_digit());
                (digits && folded.len() % 2 == 1)
                    .then(|| self.values.get(&(i, format!("0{folded}"))))
                    .flatten()
            }) {
                Some(v) => Value::String(v.clone()),
                None => bad(
                    Problem::UnknownValue,
                    format!("'{}' is not a known value of {}", text.trim(), a.name),
                ),
            },
            AttrType::Number => match raw {
                Value::Number(n) if n.as_f64().is_some_and(f64::is_finite) => raw.clone(),
                _ => match folded.parse::<f64>() {
                    Ok(x) if x.is_finite() && !folded.is_empty() => serde_json::Number::from_f64(x)
                        .map_or_else(
                            || bad(Problem::NotNumber, "not a finite number".into()),
                            Value::Number,
                        ),
                    _ => bad(
                        Problem::NotNumber,
                        format!(
                            "'{}' is not {}{}",
                            text.trim(),
                            self.accepted(&a.name).unwrap_or_default(),
                            number_hint(&folded, a.unit.as_deref())
                        ),
                    ),
                },
            },
            AttrType::Boolean => match folded.as_str() {
                "true" | "t" | "yes" | "y" | "1" | "是" | "有" | "真" => Value::Bool(true),
                "false" | "f" | "no" | "n" | "0" | "否" | "无" | "假" => Value::Bool(false),
                _ => bad(
                    Problem::NotBoolean,
                    format!("'{}' is not true or false (是/否, 1/0)", text.trim()),
                ),
            },
            AttrType::Date => match parse_date(&folded) {
                Some(d) => Value::String(d),
                None => bad(
                    Problem::NotDate,
                    format!("'{}' is not a date (YYYY-MM-DD)", text.trim()),
                ),
            },
        }
    }
}

/// "such as 30" when a number was written with its unit.
fn number_hint(folded: &str, unit: Option<&str>) -> String {
    let digits: String = folded
        .chars()
        .take_while(|c| c.is_ascii_digit() || *c == '.' || *c == '-')
        .collect();
    match (digits.parse::<f64>(), unit) {
        (Ok(x), Some(u)) if !digits.is_empty() => {
            let u = if u == "m2" { "m²" } else { u };
            format!(", such as {x}, not the text \"{folded}\" (the unit, {u}, is implied)")
        }
        _ => String::new(),
    }
}

/// `2026-03-01`, `2026/3/1`, `2026.3.1`, `2026年3月1日` (a time after the date is ignored) →
/// `2026-03-01`, checked to be a real day.
fn parse_date(s: &str) -> Option<String> {
    let s = s.split(['t', ' ']).next()?;
    let s = s.replace(['年', '月', '/', '.'], "-").replace('日', "");
    let mut it = s.split('-');
    let (y, m, d) = (it.next()?, it.next()?, it.next()?);
    if it.next().is_some() || y.len() != 4 {
        return None;
    }
    let iso = format!(
        "{y}-{:02}-{:02}",
        m.parse::<u32>().ok()?,
        d.parse::<u32>().ok()?
    );
    crate::model::Date::parse(&iso).ok().map(|_| iso)
}

fn shown(v: &Value) -> String {
    match invalid(v) {
        Some(m) => shown(m.get("value").unwrap_or(&Value::Null)),
        None => match v {
            Value::String(s) => format!("'{s}'"),
            v => v.to_string(),
        },
    }
}

fn toml_to_json(v: &toml::Value) -> Value {
    match v {
        toml::Value::String(s) => Value::String(s.clone()),
        toml::Value::Integer(i) => Value::from(*i),
        toml::Value::Float(f) => {
            serde_json::Number::from_f64(*f).map_or(Value::Null, Value::Number)
        }
        toml::Value::Boolean(b) => Value::Bool(*b),
        other => Value::String(other.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const DICT: &str = r#"
[[attribute]]
name = "industry"
type = "enum"
aliases = ["行业类别", "行业"]
values = [{ value = "chemical", aliases = ["化工"] }, { value = "food", aliases = ["食品"] }]

[[attribute]]
name = "land_use"
type = "enum"
aliases = ["用地性质"]
values = [{ value = "industrial", aliases = ["工业用地", "1001"] }]

[[attribute]]
name = "height_m"
type = "number"
unit = "m"
aliases = ["建筑高度"]

[[attribute]]
name = "discharges"
type = "boolean"
default = false

[[attribute]]
name = "start_date"
type = "date"
"#;

    fn norm(props: serde_json::Value) -> Properties {
        let d = Dictionary::parse(DICT).unwrap();
        let mut p = props.as_object().unwrap().clone();
        d.normalize(&mut p);
        p
    }

    #[test]
    fn a_blank_field_is_missing_and_does_not_contradict_another() {
        let d = Dictionary::parse(
            r#"
[[attribute]]
name = "land_use"
type = "enum"
aliases = ["用地性质"]
values = [{ value = "industrial", aliases = ["1001"] }]
"#,
        )
        .unwrap();
        // CSV and dBase write a missing value as an empty text.
        for (a, b) in [("industrial", ""), ("", "1001"), ("1001", "  ")] {
            let mut p = serde_json::json!({"land_use": a, "用地性质": b})
                .as_object()
                .unwrap()
                .clone();
            d.normalize(&mut p);
            assert_eq!(p["land_use"], "industrial", "{a:?} and {b:?}");
        }
        let mut p = serde_json::json!({"用地性质": ""})
            .as_object()
            .unwrap()
            .clone();
        d.normalize(&mut p);
        assert!(p["land_use"].is_null());
    }

    #[test]
    fn names_and_values_are_folded_and_mapped() {
        let p =
            norm(json!({"行业类别": "化工", "用地性质": 1001, "建筑高度": "１８０", "other": "x"}));
        assert_eq!(p["industry"], "chemical");
        assert_eq!(p["land_use"], "industrial");
        assert_eq!(p["height_m"], 180.0);
        assert_eq!(p["other"], "x");
        assert_eq!(p["discharges"], false, "the default");
        let p = norm(json!({" INDUSTRY ": "ＣＨＥＭＩＣＡＬ", "start_date": "2026年3月1日"}));
        assert_eq!(p["industry"], "chemical");
        assert_eq!(p["start_date"], "2026-03-01");
    }

    #[test]
    fn folded_names_need_no_folded_copy() {
        for (name, folded) in [
            ("land_use", true),
            ("行业类别", true),
            ("Land_use", false),
            (" x", false),
            ("ＡＢ", false),
            ("a  b", false),
        ] {
            assert_eq!(is_folded(name), folded, "{name}");
            assert_eq!(fold(name) == name, folded, "{name}");
        }
    }

    #[test]
    fn what_cannot_be_read_is_marked_not_dropped() {
        let p = norm(json!({"industry": "石化", "height_m": "30m", "start_date": "2026-02-30"}));
        let m = invalid(&p["industry"]).unwrap();
        assert_eq!(m["value"], "石化");
        assert!(m["reason"].as_str().unwrap().contains("not a known value"));
        let why = invalid(&p["height_m"]).unwrap()["reason"]
            .as_str()
            .unwrap()
            .to_owned();
        assert!(
            why.contains("a number of metres") && why.contains("such as 30"),
            "{why}"
        );
        assert!(invalid(&p["start_date"]).is_some());
        // Two fields that disagree.
        let p = norm(json!({"industry": "food", "行业": "化工"}));
        assert!(invalid(&p["industry"]).is_some());
        let p = norm(json!({"industry": "food", "行业": "食品"}));
        assert_eq!(p["industry"], "food");
    }

    #[test]
    fn declarations_that_contradict_are_errors() {
        let errs = Dictionary::parse(
            "[[attribute]]\nname = \"a\"\ntype = \"enum\"\n[[attribute]]\nname = \"b\"\ntype = \"number\"\naliases = [\"B\"]\nunit = \"furlong\"\n",
        )
        .unwrap_err();
        assert_eq!(errs.len(), 2, "{errs:?}");
        assert!(errs[0].1.contains("without values"));
        assert!(errs[1].1.contains("furlong"));
        let mut d = Dictionary::parse(DICT).unwrap();
        let e = d
            .map(
                "industry",
                &Mapping {
                    aliases: vec![],
                    values: [("petro".to_owned(), vec!["x".to_owned()])].into(),
                },
            )
            .unwrap_err();
        assert!(e.contains("not a value"), "{e}");
        d.map(
            "industry",
            &Mapping {
                aliases: vec!["HYLB".into()],
                values: [("chemical".to_owned(), vec!["化工类".to_owned()])].into(),
            },
        )
        .unwrap();
        let mut p = json!({"hylb": "化工类"}).as_object().unwrap().clone();
        d.normalize(&mut p);
        assert_eq!(p["industry"], "chemical");
    }
}
