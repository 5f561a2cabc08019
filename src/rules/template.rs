//! Message templates. `{name}` inserts a value, `{{` and `}}` are literal braces.

use std::fmt::Write;

/// The placeholders a message may use.
pub const PLACEHOLDERS: [&str; 7] = ["value", "limit", "unit", "layer", "zone", "feature", "code"];

/// The values a message is rendered with, one per placeholder.
#[derive(Clone, Copy, Debug, Default)]
pub struct Values<'a> {
    /// `{value}`: the measured value.
    pub value: &'a str,
    /// `{limit}`: the rule's limit.
    pub limit: &'a str,
    /// `{unit}`: their unit, in the message's language.
    pub unit: &'a str,
    /// `{layer}`: the zone layer.
    pub layer: &'a str,
    /// `{zone}`: the zone's name (or id), or what set the limit.
    pub zone: &'a str,
    /// `{feature}`: the feature's name, id or `#index`.
    pub feature: &'a str,
    /// `{code}`: the rule's code.
    pub code: &'a str,
}

impl Values<'_> {
    /// The value of placeholder `i` of [`PLACEHOLDERS`].
    fn get(&self, i: usize) -> &str {
        [
            self.value,
            self.limit,
            self.unit,
            self.layer,
            self.zone,
            self.feature,
            self.code,
        ][i]
    }
}

#[derive(Clone, Debug, PartialEq)]
enum Seg {
    Text(String),
    Var(usize),
}

/// A parsed message template.
///
/// ```
/// use ironrule::rules::template::{Template, Values};
/// let t = Template::parse("{value} {unit} from {layer}; limit {limit} {{m}}").unwrap();
/// let values = Values { value: "612.4", limit: "1000", unit: "m", layer: "yangtze", ..Values::default() };
/// assert_eq!(t.render(&values), "612.4 m from yangtze; limit 1000 {m}");
/// assert!(Template::parse("{nope}").is_err());
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Template {
    segs: Vec<Seg>,
}

impl Template {
    /// Parses a template; the error names the bad placeholder and its character offset.
    pub fn parse(text: &str) -> Result<Template, (usize, String)> {
        let mut segs = Vec::new();
        let mut buf = String::new();
        let chars: Vec<char> = text.chars().collect();
        let mut i = 0;
        while i < chars.len() {
            match (chars[i], chars.get(i + 1)) {
                ('{', Some('{')) | ('}', Some('}')) => {
                    buf.push(chars[i]);
                    i += 2;
                }
                ('{', _) => {
                    let close = chars[i..]
                        .iter()
                        .position(|c| *c == '}')
                        .ok_or((i, "unclosed '{' in message".to_owned()))?;
                    let name: String = chars[i + 1..i + close].iter().collect();
                    let var = PLACEHOLDERS
                        .iter()
                        .position(|p| *p == name)
                        .ok_or_else(|| {
                            (
                                i,
                                format!(
                                    "unknown placeholder {{{name}}} in message (known: {})",
                                    PLACEHOLDERS.map(|p| format!("{{{p}}}")).join(", ")
                                ),
                            )
                        })?;
                    if !buf.is_empty() {
                        segs.push(Seg::Text(std::mem::take(&mut buf)));
                    }
                    segs.push(Seg::Var(var));
                    i += close + 1;
                }
                ('}', _) => {
                    return Err((
                        i,
                        "unmatched '}' in message (write '}}' for a brace)".into(),
                    ))
                }
                (c, _) => {
                    buf.push(c);
                    i += 1;
                }
            }
        }
        if !buf.is_empty() {
            segs.push(Seg::Text(buf));
        }
        Ok(Template { segs })
    }

    /// The placeholders the template uses, each once, in [`PLACEHOLDERS`] order.
    pub fn placeholders(&self) -> Vec<&'static str> {
        let mut used = [false; PLACEHOLDERS.len()];
        for seg in &self.segs {
            if let Seg::Var(i) = seg {
                used[*i] = true;
            }
        }
        PLACEHOLDERS
            .iter()
            .zip(used)
            .filter(|(_, u)| *u)
            .map(|(p, _)| *p)
            .collect()
    }

    /// Renders with these values.
    pub fn render(&self, values: &Values<'_>) -> String {
        let mut out = String::new();
        for seg in &self.segs {
            match seg {
                Seg::Text(t) => out.push_str(t),
                Seg::Var(i) => {
                    let v = values.get(*i);
                    // An empty value (a ratio has no unit) takes its space with it:
                    // "4.39 {unit}, ..." reads "4.39, ...".
                    if v.is_empty() && out.ends_with(' ') {
                        out.pop();
                    }
                    let _ = write!(out, "{v}");
                }
            }
        }
        out
    }
}
