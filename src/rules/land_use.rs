//! Land use: the national classification (`land-use.toml` in a pack) and a rule's
//! compatibility table (planned use × proposed use → allowed, conditional, prohibited).
//!
//! Codes are hierarchical: `07` 居住用地 is the parent of `0701` 城镇住宅用地, which is the
//! parent of `070101`. Both lookups walk up that hierarchy:
//!
//! - the **row** for a planned use is its own row, else its parent's (a level-2 code
//!   inherits its level-1 parent's row unless it has its own);
//! - within a row, a **proposed use** is decided by its own entry, else its parent's.
//!
//! A table is reviewed against the classification when it loads: every code must be a class,
//! no code may be in two lists of one row, and every row must decide every class (through
//! the hierarchy), so that a proposal with a known code is never left undecided.

use super::dictionary::fold;
use serde::Deserialize;
use std::collections::BTreeMap;
use toml::Spanned;

/// The pack's classification file.
pub const FILE_NAME: &str = "land-use.toml";

/// One `[[class]]` as written.
#[derive(Clone, Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ClassSpec {
    /// The code: 2 digits for level 1 (`07`), 4 for level 2 (`0701`), 6 for level 3.
    pub code: String,
    /// The classification's name, e.g. 城镇住宅用地.
    pub name: String,
    /// An English name, for people.
    #[serde(default)]
    pub en: Option<String>,
    /// Other names submissions use for it: old plans' GB 50137-2011 letter codes (`R2`),
    /// local names.
    #[serde(default)]
    pub aliases: Vec<String>,
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct ClassFile {
    /// Which edition of which classification this is, for people.
    #[serde(default)]
    #[allow(dead_code)]
    source: Option<String>,
    #[serde(rename = "class")]
    #[schemars(with = "Vec<ClassSpec>")]
    classes: Vec<Spanned<ClassSpec>>,
}

/// One class of the classification.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Class {
    pub code: String,
    pub name: String,
    pub en: Option<String>,
}

/// The classification: classes by code, and every folded code, name and alias.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Classification {
    classes: BTreeMap<String, Class>,
    names: BTreeMap<String, String>,
}

/// The parent of a code (`0701` → `07`); `None` for a level-1 code.
pub fn parent(code: &str) -> Option<&str> {
    (code.len() > 2).then(|| &code[..code.len() - 2])
}

impl Classification {
    /// Parses a `land-use.toml`; errors carry the byte offset of what is wrong.
    pub fn parse(text: &str) -> Result<Classification, Vec<(usize, String)>> {
        let file: ClassFile = crate::schema::parse(crate::schema::File::LandUse, text)?;
        let mut c = Classification::default();
        let mut errors = Vec::new();
        for s in file.classes {
            let at = s.span().start;
            let spec = s.into_inner();
            let code = spec.code.trim().to_owned();
            if code.is_empty() || code.len() % 2 != 0 || !code.bytes().all(|b| b.is_ascii_digit()) {
                errors.push((
                    at,
                    format!("class code '{code}' must be 2, 4 or 6 digits (07, 0701, 070101)"),
                ));
                continue;
            }
            if let Some(p) = parent(&code) {
                if !c.classes.contains_key(p) {
                    errors.push((
                        at,
                        format!("class {code} comes before its parent {p}: declare {p} first"),
                    ));
                }
            }
            for written in std::iter::once(&code)
                .chain(std::iter::once(&spec.name))
                .chain(&spec.aliases)
                .chain(&spec.en)
            {
                if let Some(other) = c.names.insert(fold(written), code.clone()) {
                    if other != code {
                        errors.push((at, format!("'{written}' names both {other} and {code}")));
                    }
                }
            }
            if c.classes
                .insert(
                    code.clone(),
                    Class {
                        code: code.clone(),
                        name: spec.name,
                        en: spec.en,
                    },
                )
                .is_some()
            {
                errors.push((at, format!("class {code} is declared twice")));
            }
        }
        if errors.is_empty() {
            Ok(c)
        } else {
            Err(errors)
        }
    }

    /// The class a written value stands for: its code (a numeric field's `701` is `0701`),
    /// name or alias, matched after folding.
    ///
    /// ```
    /// let c = ironrule::rules::land_use::Classification::parse(r#"
    /// [[class]]
    /// code = "07"
    /// name = "居住用地"
    /// [[class]]
    /// code = "0701"
    /// name = "城镇住宅用地"
    /// aliases = ["R2"]
    /// "#).unwrap();
    /// for written in ["0701", "701", "城镇住宅用地", "r2", " ０７０１ "] {
    ///     assert_eq!(c.resolve(written).unwrap().code, "0701");
    /// }
    /// assert!(c.resolve("0799").is_none());
    /// ```
    pub fn resolve(&self, written: &str) -> Option<&Class> {
        let f = fold(written);
        let padded;
        let key = if !f.is_empty() && f.len() % 2 == 1 && f.bytes().all(|b| b.is_ascii_digit()) {
            padded = format!("0{f}");
            &padded
        } else {
            &f
        };
        self.names.get(key).and_then(|c| self.classes.get(c))
    }

    /// The class of a code.
    pub fn get(&self, code: &str) -> Option<&Class> {
        self.classes.get(code)
    }

    /// Every class, in code order.
    pub fn classes(&self) -> impl Iterator<Item = &Class> {
        self.classes.values()
    }
}

pub use crate::model::Verdict;

/// One `[[row]]` as written.
#[derive(Clone, Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RowSpec {
    /// The planned use (a class code) this row is for; its children inherit it.
    pub planned: String,
    /// Proposed uses allowed on it (a code covers its children unless they are listed).
    #[serde(default)]
    pub allowed: Vec<String>,
    /// Proposed uses allowed with approval.
    #[serde(default)]
    pub conditional: Vec<String>,
    /// Proposed uses prohibited on it.
    #[serde(default)]
    pub prohibited: Vec<String>,
    /// Why, for people.
    #[serde(default)]
    pub note: Option<String>,
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct TableFile {
    #[serde(rename = "row")]
    #[schemars(with = "Vec<RowSpec>")]
    rows: Vec<Spanned<RowSpec>>,
}

/// A compatibility table, reviewed against a classification.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Compatibility {
    /// Planned code → (proposed code → verdict).
    rows: BTreeMap<String, BTreeMap<String, Verdict>>,
}

/// How a compatibility table decided: the verdict, the row used (the planned code or an
/// ancestor) and the entry used (the proposed code or an ancestor).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Decision {
    pub verdict: Verdict,
    pub row: String,
    pub entry: String,
}

impl Compatibility {
    /// Parses a compatibility table and reviews it against `classes`; errors carry the byte
    /// offset of the row that is wrong.
    pub fn parse(
        text: &str,
        classes: &Classification,
    ) -> Result<Compatibility, Vec<(usize, String)>> {
        let file: TableFile = crate::schema::parse(crate::schema::File::Compatibility, text)?;
        let mut t = Compatibility::default();
        let mut errors = Vec::new();
        let mut at_of = BTreeMap::new();
        for s in file.rows {
            let at = s.span().start;
            let row = s.into_inner();
            let known = |code: &str, errors: &mut Vec<(usize, String)>| {
                let ok = classes.get(code).is_some();
                if !ok {
                    errors.push((
                        at,
                        format!(
                            "'{code}' is not a code of the classification ({FILE_NAME}){}",
                            classes
                                .resolve(code)
                                .map(|c| format!(": write its code, {}", c.code))
                                .unwrap_or_default()
                        ),
                    ));
                }
                ok
            };
            let planned = row.planned.trim().to_owned();
            if !known(&planned, &mut errors) {
                continue;
            }
            if at_of.insert(planned.clone(), at).is_some() {
                errors.push((at, format!("planned use {planned} has two rows")));
                continue;
            }
            let mut entries = BTreeMap::new();
            for (list, verdict) in [
                (&row.allowed, Verdict::Allowed),
                (&row.conditional, Verdict::Conditional),
                (&row.prohibited, Verdict::Prohibited),
            ] {
                for code in list {
                    let code = code.trim();
                    if !known(code, &mut errors) {
                        continue;
                    }
                    if let Some(was) = entries.insert(code.to_owned(), verdict) {
                        errors.push((
                            at,
                            format!(
                                "row {planned}: {code} is both {} and {}",
                                was.as_str(),
                                verdict.as_str()
                            ),
                        ));
                    }
                }
            }
            t.rows.insert(planned, entries);
        }
        // Every row decides every class, through the hierarchy; only the topmost undecided
        // codes are named.
        for (planned, entries) in &t.rows {
            let undecided: Vec<&Class> = classes
                .classes()
                .filter(|c| lookup(entries, &c.code).is_none())
                .filter(|c| parent(&c.code).is_none_or(|p| lookup(entries, p).is_some()))
                .collect();
            if !undecided.is_empty() {
                errors.push((
                    at_of[planned],
                    format!(
                        "row {planned} ({}) does not decide {}: list each under allowed, conditional or prohibited",
                        classes.get(planned).map_or("", |c| &c.name),
                        undecided
                            .iter()
                            .map(|c| format!("{} {}", c.code, c.name))
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                ));
            }
        }
        errors.sort();
        if errors.is_empty() {
            Ok(t)
        } else {
            Err(errors)
        }
    }

    /// The verdict on `proposed` where `planned` is planned (both class codes), walking up
    /// both hierarchies; `None` when no row covers the planned use.
    pub fn decide(&self, planned: &str, proposed: &str) -> Option<Decision> {
        let mut p = Some(planned);
        while let Some(code) = p {
            if let Some(entries) = self.rows.get(code) {
                let (entry, verdict) = lookup(entries, proposed)?;
                return Some(Decision {
                    verdict,
                    row: code.to_owned(),
                    entry: entry.to_owned(),
                });
            }
            p = parent(code);
        }
        None
    }

    /// The planned codes that have rows.
    pub fn rows(&self) -> impl Iterator<Item = &str> {
        self.rows.keys().map(String::as_str)
    }
}

/// A row's entry for a code or its nearest listed ancestor.
fn lookup<'a>(entries: &'a BTreeMap<String, Verdict>, code: &'a str) -> Option<(&'a str, Verdict)> {
    let mut c = Some(code);
    while let Some(k) = c {
        if let Some(v) = entries.get(k) {
            return Some((k, *v));
        }
        c = parent(k);
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    const CLASSES: &str = r#"
[[class]]
code = "07"
name = "居住用地"
[[class]]
code = "0701"
name = "城镇住宅用地"
aliases = ["R2"]
[[class]]
code = "0702"
name = "城镇社区服务设施用地"
[[class]]
code = "09"
name = "商业服务业用地"
[[class]]
code = "10"
name = "工矿用地"
[[class]]
code = "1001"
name = "工业用地"
[[class]]
code = "100101"
name = "一类工业用地"
"#;

    fn classes() -> Classification {
        Classification::parse(CLASSES).unwrap()
    }

    #[test]
    fn rows_and_entries_walk_up_the_hierarchy() {
        let t = Compatibility::parse(
            r#"
[[row]]
planned = "07"
allowed = ["07"]
conditional = ["09"]
prohibited = ["10"]
[[row]]
planned = "0702"
allowed = ["07", "09"]
prohibited = ["10"]
[[row]]
planned = "10"
allowed = ["10"]
prohibited = ["07", "09"]
conditional = ["100101"]
"#,
            &classes(),
        )
        .unwrap();
        let v = |a, b| t.decide(a, b).map(|d| d.verdict);
        // 0701 has no row: it inherits 07's. 100101 is decided by its ancestor 10.
        assert_eq!(v("0701", "100101"), Some(Verdict::Prohibited));
        assert_eq!(v("0701", "09"), Some(Verdict::Conditional));
        // 0702 has its own row, which replaces 07's.
        assert_eq!(v("0702", "09"), Some(Verdict::Allowed));
        // The most specific entry wins.
        assert_eq!(v("10", "1001"), Some(Verdict::Allowed));
        assert_eq!(v("10", "100101"), Some(Verdict::Conditional));
        let d = t.decide("070101", "0701").unwrap();
        assert_eq!((d.row.as_str(), d.entry.as_str()), ("07", "07"));
        // No row for 09: undecided.
        assert_eq!(t.decide("09", "07"), None);
    }

    #[test]
    fn a_table_is_reviewed_against_the_classification() {
        let errs = Compatibility::parse(
            r#"
[[row]]
planned = "07"
allowed = ["07", "0799", "城镇住宅用地"]
prohibited = ["1001", "07"]
[[row]]
planned = "07"
allowed = ["07"]
"#,
            &classes(),
        )
        .unwrap_err();
        let text: Vec<&str> = errs.iter().map(|(_, s)| s.as_str()).collect();
        assert!(
            text.iter().any(|s| s.contains("'0799' is not a code")),
            "{text:?}"
        );
        assert!(
            text.iter().any(|s| s.contains("write its code, 0701")),
            "{text:?}"
        );
        assert!(text
            .iter()
            .any(|s| s.contains("07 is both allowed and prohibited")));
        assert!(text.iter().any(|s| s.contains("has two rows")));
        // 09 and 10 (but 1001 is listed) are undecided: 09 and 10 are named, not 100101.
        let undecided = text.iter().find(|s| s.contains("does not decide")).unwrap();
        assert!(
            undecided.contains("09 商业服务业用地, 10 工矿用地"),
            "{undecided}"
        );
        assert!(!undecided.contains("100101"));
    }

    #[test]
    fn classes_must_be_well_formed() {
        let errs = Classification::parse(
            r#"
[[class]]
code = "0701"
name = "城镇住宅用地"
[[class]]
code = "7"
name = "x"
[[class]]
code = "09"
name = "城镇住宅用地"
"#,
        )
        .unwrap_err();
        let text: Vec<&str> = errs.iter().map(|(_, s)| s.as_str()).collect();
        assert!(text
            .iter()
            .any(|s| s.contains("comes before its parent 07")));
        assert!(text.iter().any(|s| s.contains("must be 2, 4 or 6 digits")));
        assert!(text.iter().any(|s| s.contains("names both 0701 and 09")));
    }
}
