//! The TOML files a project is written in, and their JSON Schemas: generated from the types
//! that read them (so they cannot drift), shipped in `schemas/` for editors (Taplo and Even
//! Better TOML honour a file's `#:schema` line), and checked against before a file is read,
//! so that every structural error of a file is reported at once, each at its key, in words a
//! planner reads.

use serde_json::Value;

/// A kind of TOML file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum File {
    /// `ironrule.toml`.
    Project,
    /// A pack's `pack.toml`.
    Pack,
    /// A rule's `rule.toml`.
    Rule,
    /// A pack's attribute dictionary, `attributes.toml`.
    Attributes,
    /// Approvals, `waivers.toml`.
    Waivers,
    /// A pack's land-use classification, `land-use.toml`.
    LandUse,
    /// A land-use rule's compatibility table.
    Compatibility,
    /// A pack's indicators, `indicators.toml`.
    Indicators,
}

impl File {
    pub const ALL: [File; 8] = [
        File::Project,
        File::Pack,
        File::Rule,
        File::Attributes,
        File::Waivers,
        File::LandUse,
        File::Compatibility,
        File::Indicators,
    ];

    /// The schema's file name in `schemas/`.
    pub fn schema_name(self) -> &'static str {
        match self {
            File::Project => "ironrule.schema.json",
            File::Pack => "pack.schema.json",
            File::Rule => "rule.schema.json",
            File::Attributes => "attributes.schema.json",
            File::Waivers => "waivers.schema.json",
            File::LandUse => "land-use.schema.json",
            File::Compatibility => "compatibility.schema.json",
            File::Indicators => "indicators.schema.json",
        }
    }

    /// [`File::schema`], generated once per process (every rule of every pack is checked
    /// against it).
    fn cached(self) -> &'static Value {
        static SCHEMAS: std::sync::OnceLock<Vec<Value>> = std::sync::OnceLock::new();
        let all = SCHEMAS.get_or_init(|| File::ALL.iter().map(|f| f.schema()).collect());
        &all[File::ALL
            .iter()
            .position(|f| *f == self)
            .expect("every kind is in ALL")]
    }

    /// The file's JSON Schema (draft 2020-12), generated from the type that reads it.
    pub fn schema(self) -> Value {
        let (schema, title) = match self {
            File::Project => (
                schemars::schema_for!(crate::project::ProjectFile),
                "ironrule project (ironrule.toml)",
            ),
            File::Pack => (
                schemars::schema_for!(crate::rules::pack::PackSpec),
                "ironrule rule pack (pack.toml)",
            ),
            File::Rule => (
                schemars::schema_for!(crate::rules::rule::RuleSpec),
                "ironrule rule (rule.toml)",
            ),
            File::Attributes => (
                schemars::schema_for!(crate::rules::dictionary::DictFile),
                "ironrule attribute dictionary (attributes.toml)",
            ),
            File::Waivers => (
                schemars::schema_for!(crate::triage::WaiverFile),
                "ironrule waivers (waivers.toml)",
            ),
            File::LandUse => (
                schemars::schema_for!(crate::rules::land_use::ClassFile),
                "ironrule land-use classification (land-use.toml)",
            ),
            File::Compatibility => (
                schemars::schema_for!(crate::rules::land_use::TableFile),
                "ironrule land-use compatibility table",
            ),
            File::Indicators => (
                schemars::schema_for!(crate::rules::indicators::IndicatorFile),
                "ironrule indicators (indicators.toml)",
            ),
        };
        let mut v = schema.to_value();
        if let Some(o) = v.as_object_mut() {
            o.insert("title".into(), Value::String(title.into()));
        }
        v
    }
}

/// One structural problem of a TOML file: the byte offset it is about, and what is wrong.
pub type Problem = (usize, String);

/// Every structural problem of `text` as a file of kind `file`: a syntax error (then only
/// that one), unknown keys (with the likely meant one), missing keys (at their table), values
/// of the wrong type or outside their choices, in a planner's words. Empty when the file's
/// structure is sound (its meaning is checked by its loader).
pub fn check(file: File, text: &str) -> Vec<Problem> {
    let doc = match toml_edit::ImDocument::parse(text) {
        Ok(d) => d,
        Err(e) => {
            let at = e.span().map_or(0, |s| s.start);
            return vec![(at, e.message().trim().to_owned())];
        }
    };
    let root = node_of_table(doc.as_table(), 0);
    let schema = file.cached();
    let mut v = Validator {
        root: schema,
        text,
        out: Vec::new(),
    };
    v.validate(schema, &root, &Path::default());
    v.out.sort_by_key(|(at, _)| *at);
    v.out
}

/// `text` read as a file of kind `file` into `T`: every structural problem at once (see
/// [`check`]), else the one error the reader gives.
pub fn parse<T: serde::de::DeserializeOwned>(file: File, text: &str) -> Result<T, Vec<Problem>> {
    let problems = check(file, text);
    if !problems.is_empty() {
        return Err(problems);
    }
    toml::from_str(text).map_err(|e| {
        vec![(
            e.span().map_or(0, |s| s.start),
            e.message().trim().to_owned(),
        )]
    })
}

/// [`check`] as an error: every problem of the file at `path`, with its line and column.
pub fn refuse(file: File, path: &std::path::Path, text: &str) -> crate::Result<()> {
    let problems = check(file, text);
    if problems.is_empty() {
        return Ok(());
    }
    let shown = path.display().to_string();
    Err(crate::Error::Config(
        problems
            .into_iter()
            .map(|(at, message)| {
                let (line, col) = crate::error::line_col(text, at);
                crate::model::Diagnostic::error(shown.clone(), message).at(line, col)
            })
            .collect(),
    ))
}

/// A TOML value with the byte offset of its key (or of the value, where it has no key).
#[derive(Debug)]
enum Node {
    /// Entries (key, offset of the key, value); the table's own offset (its header).
    Table(Vec<(String, usize, Node)>, usize),
    Array(Vec<Node>, usize),
    Str(String, usize),
    Int(i64, usize),
    Float(f64, usize),
    Bool(bool, usize),
    Date(String, usize),
}

impl Node {
    fn at(&self) -> usize {
        match self {
            Node::Table(_, a)
            | Node::Array(_, a)
            | Node::Str(_, a)
            | Node::Int(_, a)
            | Node::Float(_, a)
            | Node::Bool(_, a)
            | Node::Date(_, a) => *a,
        }
    }

    /// What it is, as an error says it ("the text \"30m\"").
    fn described(&self) -> String {
        match self {
            Node::Table(..) => "a table".into(),
            Node::Array(..) => "a list".into(),
            Node::Str(s, _) => format!("the text {s:?}"),
            Node::Int(i, _) => format!("the number {i}"),
            Node::Float(f, _) => format!("the number {f}"),
            Node::Bool(b, _) => b.to_string(),
            Node::Date(d, _) => format!("the date {d} (write it in quotes: \"{d}\")"),
        }
    }
}

fn span_start(s: Option<std::ops::Range<usize>>) -> usize {
    s.map_or(0, |r| r.start)
}

fn node_of_table(t: &toml_edit::Table, at: usize) -> Node {
    let entries = t
        .iter()
        .map(|(k, item)| {
            let key_at = t
                .key(k)
                .and_then(toml_edit::Key::span)
                .map_or(at, |r| r.start);
            (k.to_owned(), key_at, node_of_item(item, key_at))
        })
        .collect();
    Node::Table(entries, span_start(t.span()).max(at))
}

fn node_of_item(item: &toml_edit::Item, at: usize) -> Node {
    match item {
        toml_edit::Item::Value(v) => node_of_value(v, at),
        toml_edit::Item::Table(t) => node_of_table(t, at),
        toml_edit::Item::ArrayOfTables(a) => Node::Array(
            a.iter()
                .map(|t| node_of_table(t, span_start(t.span()).max(at)))
                .collect(),
            at,
        ),
        toml_edit::Item::None => Node::Table(Vec::new(), at),
    }
}

fn node_of_value(v: &toml_edit::Value, key_at: usize) -> Node {
    use toml_edit::Value as V;
    let at = span_start(v.span()).max(key_at);
    match v {
        V::String(s) => Node::Str(s.value().clone(), at),
        V::Integer(i) => Node::Int(*i.value(), at),
        V::Float(f) => Node::Float(*f.value(), at),
        V::Boolean(b) => Node::Bool(*b.value(), at),
        V::Datetime(d) => Node::Date(d.value().to_string(), at),
        V::Array(a) => Node::Array(a.iter().map(|x| node_of_value(x, at)).collect(), at),
        V::InlineTable(t) => Node::Table(
            t.iter()
                .map(|(k, x)| {
                    let k_at = t
                        .key(k)
                        .and_then(toml_edit::Key::span)
                        .map_or(at, |r| r.start);
                    (k.to_owned(), k_at, node_of_value(x, k_at))
                })
                .collect(),
            at,
        ),
    }
}

/// Where a value is: its keys from the root (`test.distance_m`, `exception[2].when`).
#[derive(Clone, Debug, Default)]
struct Path(Vec<String>);

impl Path {
    fn key(&self, k: &str) -> Path {
        let mut p = self.0.clone();
        p.push(k.to_owned());
        Path(p)
    }

    fn index(&self, i: usize) -> Path {
        let mut p = self.0.clone();
        match p.last_mut() {
            Some(last) => last.push_str(&format!("[{}]", i + 1)),
            None => p.push(format!("[{}]", i + 1)),
        }
        Path(p)
    }

    fn last(&self) -> &str {
        self.0
            .last()
            .map_or("", |s| s.split('[').next().unwrap_or(s))
    }
}

impl std::fmt::Display for Path {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.0.is_empty() {
            return f.write_str("the file");
        }
        write!(f, "`{}`", self.0.join("."))
    }
}

struct Validator<'s> {
    root: &'s Value,
    text: &'s str,
    out: Vec<Problem>,
}

/// The types a schema allows, `null` left out (TOML has none).
fn types(s: &Value) -> Vec<&str> {
    match s.get("type") {
        Some(Value::String(t)) => vec![t.as_str()],
        Some(Value::Array(a)) => a
            .iter()
            .filter_map(Value::as_str)
            .filter(|t| *t != "null")
            .collect(),
        _ => Vec::new(),
    }
}

/// The constants of an enum-like schema (`enum`, or `oneOf`/`anyOf` of `const`s).
fn choices(s: &Value) -> Option<Vec<&str>> {
    if let Some(e) = s.get("enum").and_then(Value::as_array) {
        return Some(e.iter().filter_map(Value::as_str).collect());
    }
    let branches = s.get("oneOf").or_else(|| s.get("anyOf"))?.as_array()?;
    let consts: Vec<&str> = branches
        .iter()
        .filter_map(|b| b.get("const").and_then(Value::as_str))
        .collect();
    (!consts.is_empty() && consts.len() == branches.len()).then_some(consts)
}

/// What a value of this schema is, in words, for the key `key` ("a number of metres, such as
/// 30").
fn expected(s: &Value, key: &str) -> String {
    if let Some(c) = choices(s) {
        return format!("one of {}", c.join(", "));
    }
    let ts = types(s);
    let words: Vec<String> = ts
        .iter()
        .map(|t| match *t {
            "number" | "integer" => {
                let whole = *t == "integer";
                if key.ends_with("_m2") {
                    "a number of square metres, such as 100".into()
                } else if key.ends_with("_m") {
                    "a number of metres, such as 30".into()
                } else if key.ends_with("_deg") {
                    "a number of degrees, such as 25".into()
                } else if key.ends_with("_pct") {
                    "a percentage, such as 10".into()
                } else if key.ends_with("_mb") {
                    "a whole number of megabytes, such as 64".into()
                } else if key == "min_share" {
                    "a fraction from 0 to 1, such as 0.3".into()
                } else if whole {
                    "a whole number, such as 3".into()
                } else {
                    "a number, such as 1.5".into()
                }
            }
            "string" => match key {
                "crs" => "a CRS in quotes, such as \"EPSG:4546\"".into(),
                "effective" | "expires" => "a date in quotes, such as \"2026-01-01\"".into(),
                _ => "text in quotes".into(),
            },
            "boolean" => "true or false".into(),
            "array" => match s.get("items").map(types).as_deref() {
                Some(["string"]) => "a list of text, such as [\"a\", \"b\"]".into(),
                _ => "a list in [brackets]".into(),
            },
            "object" => "a table".into(),
            other => other.to_owned(),
        })
        .collect();
    words.join(" or ")
}

/// The first sentence of a schema's description, for a missing key's message.
fn about(s: &Value) -> Option<String> {
    let d = s.get("description")?.as_str()?;
    let d = d.replace('\n', " ");
    let first = d.split(". ").next().unwrap_or(&d).trim_end_matches('.');
    Some(first.to_owned())
}

impl<'s> Validator<'s> {
    fn resolve(&self, s: &'s Value) -> &'s Value {
        match s.get("$ref").and_then(Value::as_str) {
            Some(r) => r
                .strip_prefix("#/$defs/")
                .and_then(|name| self.root.get("$defs")?.get(name))
                .map_or(s, |d| self.resolve(d)),
            None => s,
        }
    }

    fn say(&mut self, at: usize, message: String) {
        self.out.push((at, message));
    }

    fn validate(&mut self, s: &'s Value, node: &Node, path: &Path) {
        let s = self.resolve(s);
        if let Some(c) = choices(s) {
            match node {
                Node::Str(v, _) if c.contains(&v.as_str()) => {}
                Node::Str(v, at) => {
                    let hint = crate::rules::pack::closest(v, c.iter().copied())
                        .map(|m| format!("; did you mean '{m}'?"))
                        .unwrap_or_default();
                    self.say(
                        *at,
                        format!("{path} must be one of {}, not '{v}'{hint}", c.join(", ")),
                    );
                }
                other => self.say(
                    other.at(),
                    format!(
                        "{path} must be one of {}, not {}",
                        c.join(", "),
                        other.described()
                    ),
                ),
            }
            return;
        }
        for word in ["oneOf", "anyOf"] {
            if let Some(branches) = s.get(word).and_then(Value::as_array) {
                self.branches(branches, node, path);
                return;
            }
        }
        let ts = types(s);
        let fits = ts.iter().any(|t| {
            matches!(
                (*t, node),
                ("object", Node::Table(..))
                    | ("array", Node::Array(..))
                    | ("string", Node::Str(..))
                    | ("boolean", Node::Bool(..))
                    | ("integer", Node::Int(..))
                    | ("number", Node::Int(..) | Node::Float(..))
            )
        });
        if !ts.is_empty() && !fits {
            self.say(
                node.at(),
                format!(
                    "{path} must be {}, not {}",
                    expected(s, path.last()),
                    node.described()
                ),
            );
            return;
        }
        match node {
            Node::Table(entries, at) => self.table(s, entries, *at, path),
            Node::Array(items, at) => {
                let n = items.len() as u64;
                let min = s.get("minItems").and_then(Value::as_u64);
                let max = s.get("maxItems").and_then(Value::as_u64);
                if min.is_some_and(|m| n < m) || max.is_some_and(|m| n > m) {
                    let want = match (min, max) {
                        (Some(a), Some(b)) if a == b => format!("exactly {a}"),
                        (Some(a), Some(b)) => format!("{a} to {b}"),
                        (Some(a), None) => format!("at least {a}"),
                        (None, Some(b)) => format!("at most {b}"),
                        (None, None) => unreachable!(),
                    };
                    self.say(*at, format!("{path} must hold {want} items, not {n}"));
                }
                if let Some(item) = s.get("items") {
                    for (i, x) in items.iter().enumerate() {
                        self.validate(item, x, &path.index(i));
                    }
                }
            }
            Node::Int(v, at) => {
                if let Some(m) = s.get("minimum").and_then(Value::as_f64) {
                    if (*v as f64) < m {
                        self.say(*at, format!("{path} must be at least {m}, not {v}"));
                    }
                }
            }
            _ => {}
        }
    }

    /// `oneOf`/`anyOf`: a tagged choice (every branch a table with a constant `kind`) is
    /// judged by its tag, anything else by the first branch that fits.
    fn branches(&mut self, branches: &'s [Value], node: &Node, path: &Path) {
        let branches: Vec<&'s Value> = branches
            .iter()
            .map(|b| self.resolve(b))
            // `null` (an absent Option): TOML has no null to match it.
            .filter(|b| match b.get("type") {
                Some(Value::String(t)) => t != "null",
                Some(Value::Array(_)) => !types(b).is_empty(),
                _ => true,
            })
            .collect();
        if let [only] = branches.as_slice() {
            return self.validate(only, node, path);
        }
        // A tag: the property every branch holds a constant for.
        let tag = branches.first().and_then(|b| {
            b.get("properties")?.as_object()?.iter().find_map(|(k, p)| {
                let all = branches.iter().all(|b| {
                    b.get("properties")
                        .and_then(|ps| ps.get(k))
                        .and_then(|p| p.get("const"))
                        .is_some()
                });
                (p.get("const").is_some() && all).then_some(k.as_str())
            })
        });
        if let (Some(tag), Node::Table(entries, at)) = (tag, node) {
            let tags: Vec<&str> = branches
                .iter()
                .filter_map(|b| b.get("properties")?.get(tag)?.get("const")?.as_str())
                .collect();
            match entries.iter().find(|(k, ..)| k == tag) {
                None => self.say(
                    *at,
                    format!("{} is missing `{tag}`: one of {}", path, tags.join(", ")),
                ),
                Some((_, _, Node::Str(v, v_at))) => {
                    match branches.iter().zip(&tags).find(|(_, t)| **t == v) {
                        Some((b, _)) => self.validate(b, node, path),
                        None => {
                            let hint = crate::rules::pack::closest(v, tags.iter().copied())
                                .map(|m| format!("; did you mean '{m}'?"))
                                .unwrap_or_default();
                            self.say(
                                *v_at,
                                format!(
                                    "{} must be one of {}, not '{v}'{hint}",
                                    path.key(tag),
                                    tags.join(", ")
                                ),
                            );
                        }
                    }
                }
                Some((_, _, other)) => self.say(
                    other.at(),
                    format!(
                        "{} must be one of {}, not {}",
                        path.key(tag),
                        tags.join(", "),
                        other.described()
                    ),
                ),
            }
            return;
        }
        // Untagged: fine if any branch takes it whole.
        for b in &branches {
            let mut trial = Validator {
                root: self.root,
                text: self.text,
                out: Vec::new(),
            };
            trial.validate(b, node, path);
            if trial.out.is_empty() {
                return;
            }
        }
        let words: Vec<String> = branches.iter().map(|b| expected(b, path.last())).collect();
        self.say(
            node.at(),
            format!(
                "{path} must be {}, not {}",
                words.join(", or "),
                node.described()
            ),
        );
    }

    fn table(&mut self, s: &'s Value, entries: &[(String, usize, Node)], at: usize, path: &Path) {
        let props = s.get("properties").and_then(Value::as_object);
        let extra = s.get("additionalProperties");
        for (k, k_at, v) in entries {
            let child = path.key(k);
            match (props.and_then(|p| p.get(k)), extra) {
                (Some(p), _) => self.validate(p, v, &child),
                (None, Some(x)) if x.is_object() => self.validate(x, v, &child),
                (None, Some(Value::Bool(false))) => {
                    let known: Vec<&str> = props
                        .map(|p| p.keys().map(String::as_str).collect())
                        .unwrap_or_default();
                    let hint = match crate::rules::pack::closest(k, known.iter().copied()) {
                        Some(m) => format!("; did you mean `{m}`?"),
                        None => {
                            // A top-level key written below a [table] header belongs to it.
                            let top = self
                                .resolve(self.root)
                                .get("properties")
                                .and_then(|p| p.get(k))
                                .is_some();
                            if top && path.0.len() == 1 {
                                format!(
                                    "; `{k}` is a key of the top of the file: move it above [{}] (keys below a [table] header belong to that table)",
                                    path.0[0]
                                )
                            } else {
                                format!(" (the keys here: {})", known.join(", "))
                            }
                        }
                    };
                    let place = if path.0.is_empty() {
                        "at the top of the file".to_owned()
                    } else {
                        format!("in [{}]", path.0.join("."))
                    };
                    self.say(*k_at, format!("unknown key `{k}` {place}{hint}"));
                }
                _ => {}
            }
        }
        let required = s.get("required").and_then(Value::as_array);
        for r in required.into_iter().flatten().filter_map(Value::as_str) {
            if entries.iter().any(|(k, ..)| k == r) {
                continue;
            }
            let about = props
                .and_then(|p| p.get(r))
                .map(|p| self.resolve(p))
                .and_then(about)
                .map(|a| format!(" ({a})"))
                .unwrap_or_default();
            let place = if path.0.is_empty() {
                "at the top of the file".to_owned()
            } else {
                format!("in {}", Path(path.0.clone()).table_of())
            };
            // At the start of the table's header line.
            let line = self.text[..at.min(self.text.len())]
                .rfind('\n')
                .map_or(0, |nl| nl + 1);
            self.say(line, format!("missing `{r}` {place}{about}"));
        }
    }
}

impl Path {
    /// This table's header (`[test]`; `[[exception]] #2` for the second of an array).
    fn table_of(&self) -> String {
        match self.0.last().and_then(|l| l.split_once('[')) {
            Some((name, n)) if self.0.len() == 1 => {
                format!("[[{name}]] #{}", n.trim_end_matches(']'))
            }
            _ => format!("[{}]", self.0.join(".")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn problems(file: File, text: &str) -> Vec<String> {
        check(file, text)
            .into_iter()
            .map(|(at, m)| {
                let (l, c) = crate::error::line_col(text, at);
                format!("{l}:{c}: {m}")
            })
            .collect()
    }

    #[test]
    fn every_error_of_a_rule_at_once_each_at_its_key() {
        let text = r#"code = "MT02"
name = "河道退让"
severity = "forbidden"
aproval = "city"
message = "too near"

[citation]
instrument = "河道管理条例"
approval = "city"

[test]
kind = "setback"
layer = "river"
distance_m = "30m"
"#;
        let p = problems(File::Rule, text);
        assert_eq!(
            p,
            [
                "1:1: missing `summary` at the top of the file (One line that says what is prohibited, for listings)",
                "3:12: `severity` must be one of notice, requires-assessment, requires-approval, prohibited, not 'forbidden'",
                "4:1: unknown key `aproval` at the top of the file; did you mean `approval`?",
                "9:1: unknown key `approval` in [citation]; `approval` is a key of the top of the file: move it above [citation] (keys below a [table] header belong to that table)",
                "14:14: `test.distance_m` must be a number of metres, such as 30, not the text \"30m\"",
            ],
            "{p:#?}"
        );
    }

    #[test]
    fn a_tagged_test_is_judged_by_its_kind() {
        let p = problems(File::Rule, "[test]\nkind = \"buffer\"\nlayer = \"river\"\n");
        assert!(
            p.iter()
                .any(|m| m.starts_with("2:8: `test.kind` must be one of overlap, setback")),
            "{p:#?}"
        );
        let p = problems(
            File::Rule,
            "[test]\nkind = \"setback\"\nlayer = [\"river\", 3]\n",
        );
        assert!(
            p.iter()
                .any(|m| m.contains("`test.layer` must be text in quotes, or a list of text")),
            "{p:#?}"
        );
        assert!(
            p.iter()
                .any(|m| m.contains("missing `distance_m` in [test]")),
            "{p:#?}"
        );
    }

    /// `schemas/` holds what the types generate: regenerate with
    /// `IRONRULE_UPDATE_SCHEMAS=1 cargo test --lib schema`.
    #[test]
    fn the_shipped_schemas_are_the_types_schemas() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("schemas");
        for f in File::ALL {
            let text = format!("{}\n", serde_json::to_string_pretty(&f.schema()).unwrap());
            let path = dir.join(f.schema_name());
            if std::env::var_os("IRONRULE_UPDATE_SCHEMAS").is_some() {
                std::fs::create_dir_all(&dir).unwrap();
                std::fs::write(&path, &text).unwrap();
            }
            let shipped = std::fs::read_to_string(&path).unwrap_or_default();
            assert!(
                shipped == text,
                "schemas/{} is not what the types generate: run IRONRULE_UPDATE_SCHEMAS=1 cargo test --lib schema",
                f.schema_name()
            );
        }
    }

    #[test]
    fn shipped_files_have_no_structural_problems() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut n = 0;
        for (file, path) in [
            (File::Project, "data/yichang/ironrule.toml"),
            (File::Pack, "rules/yichang/pack.toml"),
            (File::Attributes, "rules/yichang/attributes.toml"),
            (File::Waivers, "data/yichang/waivers.toml"),
            (File::LandUse, "rules/yichang/land-use.toml"),
            (
                File::Compatibility,
                "rules/yichang/YC801-land-use-not-allowed-by-the-regulatory-plan/compatibility.toml",
            ),
            (File::Indicators, "rules/yichang/indicators.toml"),
        ] {
            let text = std::fs::read_to_string(root.join(path)).unwrap();
            assert_eq!(check(file, &text), [], "{path}");
            n += 1;
        }
        for rule in std::fs::read_dir(root.join("rules/yichang")).unwrap() {
            let p = rule.unwrap().path().join("rule.toml");
            if let Ok(text) = std::fs::read_to_string(&p) {
                assert_eq!(check(File::Rule, &text), [], "{}", p.display());
                n += 1;
            }
        }
        assert!(n > 20);
    }
}
