use super::dictionary::{self, Dictionary};
use super::filter::{Compared, Filter};
use super::rule::{Rule, RuleSpec, Test, TestSpec};
use super::template::Template;
use crate::error::line_col;
use crate::model::Diagnostic;
use crate::model::Unit;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// `pack.toml` as written.
#[derive(Clone, Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct PackSpec {
    /// The pack's id, such as "yichang".
    id: String,
    /// What the pack is, for people.
    title: String,
    /// Where its rules hold, such as "宜昌市, 湖北省, 中国".
    jurisdiction: String,
    /// The pack's version, such as "0.1.0".
    version: String,
    /// Every rule code is this prefix (ASCII capitals) and digits, such as "YC".
    code_prefix: String,
    /// The date the pack takes effect, "YYYY-MM-DD".
    #[serde(default)]
    effective: Option<String>,
    /// What the pack protects, and how its codes are numbered.
    #[serde(default)]
    description: Option<String>,
    /// The project whose zone layers the fixtures are drawn against.
    #[serde(default)]
    fixtures_project: Option<String>,
}

/// A loaded rule pack.
#[derive(Clone, Debug)]
pub struct Pack {
    pub id: String,
    pub title: String,
    pub jurisdiction: String,
    pub version: String,
    pub code_prefix: String,
    pub effective: Option<String>,
    pub description: Option<String>,
    pub dir: PathBuf,
    pub fixtures_project: Option<PathBuf>,
    /// Rules in code order.
    pub rules: Vec<Rule>,
    /// The attribute dictionary (`attributes.toml`), when the pack has one: every attribute
    /// its rules read, their types, values and aliases.
    pub dictionary: Option<Dictionary>,
    /// The attributes of planning parcels (`[[parcel_attribute]]`), when declared.
    pub parcel_dictionary: Option<Dictionary>,
    /// The land-use classification (`land-use.toml`), when the pack has one: the codes
    /// `land_use` rules and their compatibility tables use.
    pub classification: Option<std::sync::Arc<super::land_use::Classification>>,
    /// What the pack measures per district (`indicators.toml`), when it has one.
    pub indicators: Vec<super::indicators::Indicator>,
}

/// Collects diagnostics for one file, turning byte spans into line and column.
struct Sink<'a> {
    file: String,
    text: &'a str,
    out: &'a mut Vec<Diagnostic>,
}

impl Sink<'_> {
    fn at(&mut self, offset: usize, message: impl Into<String>) {
        let (line, col) = line_col(self.text, offset);
        self.out
            .push(Diagnostic::error(&self.file, message).at(line, col));
    }
}

/// Loads a pack: `pack.toml` and every sub-folder with a `rule.toml`. Every error in every
/// file is collected (not just the first), each with file, line and column. When
/// `known_layers` is given, rules that name other layers are errors.
pub fn load_pack(dir: &Path, known_layers: Option<&[String]>) -> Result<Pack, Vec<Diagnostic>> {
    let mut errors = Vec::new();
    let pack_file = dir.join("pack.toml");
    let pack_name = pack_file.display().to_string();
    let text = match std::fs::read_to_string(&pack_file) {
        Ok(t) => t,
        Err(e) => {
            let why = if dir.is_dir() {
                format!("cannot read pack.toml: {e}")
            } else {
                "rule pack folder not found".to_owned()
            };
            return Err(vec![Diagnostic::error(
                if dir.is_dir() {
                    pack_name
                } else {
                    dir.display().to_string()
                },
                why,
            )]);
        }
    };
    let problems = crate::schema::check(crate::schema::File::Pack, &text);
    if !problems.is_empty() {
        return Err(problems
            .into_iter()
            .map(|(at, message)| {
                let (line, col) = line_col(&text, at);
                Diagnostic::error(pack_name.clone(), message).at(line, col)
            })
            .collect());
    }
    let spec: PackSpec = match toml::from_str(&text) {
        Ok(s) => s,
        Err(e) => {
            let (line, col) = line_col(&text, e.span().map_or(0, |s| s.start));
            return Err(vec![
                Diagnostic::error(pack_name, e.message().to_owned()).at(line, col)
            ]);
        }
    };

    let mut rule_dirs: Vec<PathBuf> = match std::fs::read_dir(dir) {
        Ok(rd) => rd
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.is_dir())
            .collect(),
        Err(e) => {
            return Err(vec![Diagnostic::error(
                dir.display().to_string(),
                format!("cannot list: {e}"),
            )])
        }
    };
    rule_dirs.sort();

    let (dictionary, parcel_dictionary) = match load_dictionary(dir, &mut errors) {
        Some((d, p)) => (Some(d), (!p.is_empty()).then_some(p)),
        None => (None, None),
    };
    let classification = load_classification(dir, &mut errors).map(std::sync::Arc::new);
    let indicators = load_indicators(dir, known_layers, dictionary.as_ref(), &mut errors);
    let mut rules = Vec::new();
    let mut seen: BTreeMap<String, String> = BTreeMap::new();
    for rule_dir in rule_dirs {
        let file = rule_dir.join("rule.toml");
        let name = file.display().to_string();
        let Ok(text) = std::fs::read_to_string(&file) else {
            errors.push(Diagnostic::error(
                rule_dir.display().to_string(),
                "folder has no readable rule.toml",
            ));
            continue;
        };
        if let Some(rule) = parse_rule(
            &name,
            &text,
            &spec,
            &rule_dir,
            Context {
                known_layers,
                dictionary: dictionary.as_ref(),
                classification: classification.as_ref(),
                indicators: &indicators,
            },
            &mut seen,
            &mut errors,
        ) {
            rules.push(rule);
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    rules.sort_by(|a, b| a.code.cmp(&b.code));
    Ok(Pack {
        fixtures_project: spec.fixtures_project.as_ref().map(|p| dir.join(p)),
        id: spec.id,
        title: spec.title,
        jurisdiction: spec.jurisdiction,
        version: spec.version,
        code_prefix: spec.code_prefix,
        effective: spec.effective,
        description: spec.description,
        dir: dir.to_owned(),
        rules,
        dictionary,
        parcel_dictionary,
        classification,
        indicators,
    })
}

/// What a rule is checked against beyond its own file: the project's layers and the pack's
/// attribute dictionary.
#[derive(Clone, Copy, Default)]
struct Context<'a> {
    known_layers: Option<&'a [String]>,
    dictionary: Option<&'a Dictionary>,
    classification: Option<&'a std::sync::Arc<super::land_use::Classification>>,
    /// The pack's indicators, for rules on them.
    indicators: &'a [super::indicators::Indicator],
}

/// The pack's `attributes.toml`, if it has one; its errors (with line and column) go to
/// `errors`.
fn load_dictionary(dir: &Path, errors: &mut Vec<Diagnostic>) -> Option<(Dictionary, Dictionary)> {
    let path = dir.join(dictionary::FILE_NAME);
    let text = std::fs::read_to_string(&path).ok()?;
    match Dictionary::parse_both(&text) {
        Ok(d) => Some(d),
        Err(found) => {
            report_at(&path, &text, found, errors);
            None
        }
    }
}

/// A share test over `group`'s districts and the `landscape` layers.
fn share_test(
    group: String,
    landscape: Vec<String>,
    min_share: Option<f64>,
    target_field: Option<String>,
) -> Test {
    let all_layers = std::iter::once(group.clone())
        .chain(landscape.clone())
        .collect();
    Test::Share {
        group,
        landscape,
        min_share,
        target_field,
        all_layers,
    }
}

/// Reports problems found in the file at `path` (byte offset, why) into `errors`, each at
/// its line and column.
fn report_at(path: &Path, text: &str, found: Vec<(usize, String)>, errors: &mut Vec<Diagnostic>) {
    let mut sink = Sink {
        file: path.display().to_string(),
        text,
        out: errors,
    };
    for (at, why) in found {
        sink.at(at, why);
    }
}

/// The pack's `indicators.toml` (none without one); its errors (with line and column) go to
/// `errors`, and its proposal filters are checked against the dictionary.
fn load_indicators(
    dir: &Path,
    known_layers: Option<&[String]>,
    dictionary: Option<&Dictionary>,
    errors: &mut Vec<Diagnostic>,
) -> Vec<super::indicators::Indicator> {
    let path = dir.join(super::indicators::FILE_NAME);
    let Ok(text) = std::fs::read_to_string(&path) else {
        return Vec::new();
    };
    let mut sink = Sink {
        file: path.display().to_string(),
        text: &text,
        out: errors,
    };
    match super::indicators::parse(&text, known_layers) {
        Ok(list) => {
            if let Some(d) = dictionary {
                for i in &list {
                    if let Some(f) = &i.proposals {
                        for why in
                            check_vocabulary(d, &format!("indicator '{}' proposals", i.id), f)
                        {
                            sink.at(0, why);
                        }
                    }
                }
            }
            list
        }
        Err(found) => {
            for (at, why) in found {
                sink.at(at, why);
            }
            Vec::new()
        }
    }
}

/// The pack's `land-use.toml`, if it has one; its errors (with line and column) go to
/// `errors`.
fn load_classification(
    dir: &Path,
    errors: &mut Vec<Diagnostic>,
) -> Option<super::land_use::Classification> {
    let path = dir.join(super::land_use::FILE_NAME);
    let text = std::fs::read_to_string(&path).ok()?;
    match super::land_use::Classification::parse(&text) {
        Ok(c) => Some(c),
        Err(found) => {
            report_at(&path, &text, found, errors);
            None
        }
    }
}

/// The name among `names` within two edits of `word` (a typo's likely meaning), if any.
pub(crate) fn closest<'a>(word: &str, names: impl Iterator<Item = &'a str>) -> Option<&'a str> {
    let distance = |a: &str, b: &str| {
        let b: Vec<char> = b.chars().collect();
        let mut row: Vec<usize> = (0..=b.len()).collect();
        for (i, ca) in a.chars().enumerate() {
            let mut prev = row[0];
            row[0] = i + 1;
            for (j, cb) in b.iter().enumerate() {
                let cur = row[j + 1];
                row[j + 1] = (prev + usize::from(ca != *cb)).min(row[j] + 1).min(cur + 1);
                prev = cur;
            }
        }
        row[b.len()]
    };
    names
        .map(|n| (distance(word, n), n))
        .filter(|(d, _)| *d <= 2)
        .min()
        .map(|(_, n)| n)
}

/// Checks a filter's attributes and values against the dictionary: every attribute is
/// declared (an alias gets its name, an unquoted word compared with an attribute gets "did
/// you mean the text"), and every text compared with an enumeration is one of its values.
fn check_vocabulary(d: &Dictionary, what: &str, filter: &Filter) -> Vec<String> {
    let mut out = Vec::new();
    let undeclared = |name: &str, out: &mut Vec<String>| {
        let msg = match d.resolve_field(name) {
            Some(a) => format!(
                "{what}: '{name}' is an alias of the attribute '{}'; rules use its name",
                a.name
            ),
            None => format!(
                "{what}: '{name}' is not an attribute of the dictionary{} ({}); declare it in {}",
                closest(name, d.attributes().iter().map(|a| a.name.as_str()))
                    .map(|c| format!("; did you mean '{c}'?"))
                    .unwrap_or_default(),
                d.attributes()
                    .iter()
                    .map(|a| a.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
                dictionary::FILE_NAME
            ),
        };
        if !out.contains(&msg) {
            out.push(msg);
        }
    };
    for (prop, other) in filter.comparisons() {
        let declared = d.get(&prop);
        match (&other, declared) {
            // `用地性质 = 居住`: two identifiers; one of them is meant as text.
            (Compared::Property(word), _)
                if d.get(word).is_none() && d.resolve_field(word).is_none() =>
            {
                let attr = declared.map_or(prop.as_str(), |a| a.name.as_str());
                let hint = d
                    .resolve_field(&prop)
                    .and_then(|a| d.resolve_value(&a.name, word).map(|v| (a.name.clone(), v)));
                let msg = match hint {
                    Some((a, v)) => format!(
                        "{what}: {word} is not an attribute; did you mean the text '{v}' (the value of {a} that '{word}' names)? Quote text: '{v}'"
                    ),
                    None => format!(
                        "{what}: {word} is not an attribute; did you mean the text '{word}'? Quote text in single quotes ({attr} = '{word}')"
                    ),
                };
                out.push(msg);
                if declared.is_none() {
                    undeclared(&prop, &mut out);
                }
                continue;
            }
            (Compared::Property(p2), _) if d.get(p2).is_none() => undeclared(p2, &mut out),
            _ => {}
        }
        let Some(a) = declared else {
            undeclared(&prop, &mut out);
            continue;
        };
        if let (Compared::Text(t), dictionary::AttrType::Enum) = (&other, a.kind) {
            if !a.values.iter().any(|v| &v.value == t) {
                let msg = match d.resolve_value(&a.name, t) {
                    Some(v) => format!(
                        "{what}: '{t}' is an alias; compare {} with its value '{v}'",
                        a.name
                    ),
                    None => format!(
                        "{what}: '{t}' is not a value of {} ({})",
                        a.name,
                        d.accepted(&a.name).unwrap_or_default()
                    ),
                };
                out.push(msg);
            }
        }
    }
    out
}

/// A rule name: letters of any script (Latin in lowercase) and digits, in words joined by
/// single hyphens.
fn is_rule_name(name: &str) -> bool {
    !name.is_empty()
        && name.split('-').all(|word| {
            !word.is_empty()
                && word
                    .chars()
                    .all(|c| c.is_alphanumeric() && !c.is_uppercase())
        })
}

/// The byte offset of the `chars`-th character of `s`.
fn char_to_byte(s: &str, chars: usize) -> usize {
    s.char_indices().nth(chars).map_or(s.len(), |(b, _)| b)
}

/// Parses and checks one rule file's text; errors go to `errors` with line and column.
fn parse_rule(
    name: &str,
    text: &str,
    spec: &PackSpec,
    dir: &Path,
    cx: Context<'_>,
    seen: &mut BTreeMap<String, String>,
    errors: &mut Vec<Diagnostic>,
) -> Option<Rule> {
    let mut sink = Sink {
        file: name.to_owned(),
        text,
        out: errors,
    };
    // Every structural error at once, each at its key; then the meaning.
    let problems = crate::schema::check(crate::schema::File::Rule, text);
    if !problems.is_empty() {
        for (at, message) in problems {
            sink.at(at, message);
        }
        return None;
    }
    match toml::from_str::<RuleSpec>(text) {
        Ok(parsed) => compile(parsed, spec, dir, cx, seen, &mut sink),
        Err(e) => {
            sink.at(
                e.span().map_or(0, |s| s.start),
                e.message().trim().to_owned(),
            );
            None
        }
    }
}

/// Checks a rule file's text on its own, as a pack with code prefix `prefix` would: the rule,
/// or every error with its line and column. (The fuzz target and editors' checks use it.)
pub fn check_rule_text(
    text: &str,
    prefix: &str,
    known_layers: Option<&[String]>,
) -> Result<Rule, Vec<Diagnostic>> {
    let spec = PackSpec {
        id: "check".into(),
        title: String::new(),
        jurisdiction: String::new(),
        version: String::new(),
        code_prefix: prefix.into(),
        effective: None,
        description: None,
        fixtures_project: None,
    };
    let mut errors = Vec::new();
    let rule = parse_rule(
        "rule.toml",
        text,
        &spec,
        Path::new("."),
        Context {
            known_layers,
            dictionary: None,
            classification: None,
            indicators: &[],
        },
        &mut BTreeMap::new(),
        &mut errors,
    );
    match rule {
        Some(r) if errors.is_empty() => Ok(r),
        _ => Err(errors),
    }
}

fn compile(
    spec: RuleSpec,
    pack: &PackSpec,
    dir: &Path,
    cx: Context<'_>,
    seen: &mut BTreeMap<String, String>,
    sink: &mut Sink<'_>,
) -> Option<Rule> {
    let known_layers = cx.known_layers;
    let before = sink.out.len();
    let code = spec.code.get_ref().clone();
    let code_at = spec.code.span().start;
    if !code.starts_with(&pack.code_prefix)
        || !code[pack.code_prefix.len()..]
            .chars()
            .all(|c| c.is_ascii_digit())
        || code.len() == pack.code_prefix.len()
    {
        sink.at(
            code_at,
            format!(
                "code '{code}' must be the pack prefix '{}' followed by digits",
                pack.code_prefix
            ),
        );
    }
    if let Some(other) = seen.insert(code.clone(), sink.file.clone()) {
        sink.at(
            code_at,
            format!("duplicate code '{code}' (also in {other}); codes are permanent and unique"),
        );
    }
    if !is_rule_name(spec.name.get_ref()) {
        sink.at(
            spec.name.span().start,
            format!(
                "name '{}' must be words joined by '-': letters (Chinese too; Latin in lowercase) and digits, such as 'river-setback' or '河道退让'",
                spec.name.get_ref()
            ),
        );
    }
    let mut applies_to =
        spec.applies_to
            .as_ref()
            .and_then(|text| match Filter::parse(text.get_ref()) {
                Ok(f) => Some(f),
                Err(e) => {
                    // +1 skips the opening quote of the TOML string; the filter counts characters.
                    sink.at(
                        text.span().start + 1 + char_to_byte(text.get_ref(), e.offset),
                        format!("applies_to: {}", e.message),
                    );
                    None
                }
            });
    // A rule on an indicator picks the indicator's proposals unless it says otherwise.
    let mut applies_to_text = spec.applies_to.as_ref().map(|t| t.get_ref().clone());
    if let (None, TestSpec::Indicator { indicator, .. }) = (&spec.applies_to, spec.test.get_ref()) {
        if let Some(ind) = cx.indicators.iter().find(|i| &i.id == indicator) {
            applies_to = ind.proposals.clone();
            applies_to_text = ind.proposals_text.clone();
        }
    }
    if let (Some(d), Some(f), Some(text)) = (cx.dictionary, &applies_to, &spec.applies_to) {
        for why in check_vocabulary(d, "applies_to", f) {
            sink.at(text.span().start, why);
        }
    }
    let template =
        |text: &toml::Spanned<String>, sink: &mut Sink<'_>| match Template::parse(text.get_ref()) {
            Ok(t) => Some(t),
            Err((offset, why)) => {
                let bytes = char_to_byte(text.get_ref(), offset);
                sink.at(text.span().start + 1 + bytes, why);
                None
            }
        };
    let message = template(&spec.message, sink);
    let message_zh = spec.zh.as_ref().and_then(|zh| {
        let t = template(&zh.message, sink)?;
        if let Some(en) = &message {
            if en.placeholders() != t.placeholders() {
                sink.at(
                    zh.message.span().start,
                    format!(
                        "[zh] message uses {{{}}}, the message uses {{{}}}: translations must carry the same values",
                        t.placeholders().join("}, {"),
                        en.placeholders().join("}, {")
                    ),
                );
            }
        }
        Some(t)
    });
    let test_at = spec.test.span().start;
    // Spans do not survive serde's buffering of internally tagged enums, so layer errors
    // point at the [test] table.
    let check_layers = |layers: &super::rule::Layers, sink: &mut Sink<'_>| -> Vec<String> {
        let names = layers.to_vec();
        if names.is_empty() {
            sink.at(test_at, "a test needs at least one layer");
        }
        if let Some(known) = known_layers {
            for n in &names {
                if !known.contains(n) {
                    sink.at(
                        test_at,
                        format!(
                            "unknown layer '{n}' (the project has: {})",
                            known.join(", ")
                        ),
                    );
                }
            }
        }
        names
    };
    // Zone layers that carry their own limit go with the field that holds it.
    let zone_limits = |layer: &Option<super::rule::Layers>,
                       limit_field: &Option<String>,
                       what: &str,
                       sink: &mut Sink<'_>| match (layer, limit_field) {
        (Some(l), Some(_)) => check_layers(l, sink),
        (Some(_), None) => {
            sink.at(
                test_at,
                format!("zone layers need `limit_field`: the zone attribute holding {what}"),
            );
            Vec::new()
        }
        (None, Some(_)) => {
            sink.at(test_at, "`limit_field` without `layer`");
            Vec::new()
        }
        (None, None) => Vec::new(),
    };
    // An attribute a test reads must be in the pack's dictionary, where it has one.
    let declared = |field: &str, sink: &mut Sink<'_>| {
        if cx.dictionary.is_some_and(|d| d.get(field).is_none()) {
            sink.at(
                test_at,
                format!(
                    "attribute '{field}' is not declared in {}",
                    dictionary::FILE_NAME
                ),
            );
        }
    };
    let check_dem = |dem: &str, sink: &mut Sink<'_>| {
        if let Some(known) = known_layers {
            if !known.iter().any(|k| k == dem) {
                sink.at(
                    test_at,
                    format!(
                        "unknown DEM '{dem}' (the project has: {}); declare it with [[dem]] in ironrule.toml",
                        known.join(", ")
                    ),
                );
            }
        }
    };
    let test = match spec.test.into_inner() {
        TestSpec::Overlap { layer, min_area_m2 } => {
            let min = min_area_m2.unwrap_or(0.0);
            if !(min.is_finite() && min >= 0.0) {
                sink.at(
                    test_at,
                    format!("min_area_m2 must be a finite number ≥ 0, got {min}"),
                );
            }
            Test::Overlap {
                layers: check_layers(&layer, sink),
                min_area_m2: min,
            }
        }
        TestSpec::Setback { layer, distance_m } => {
            if !(distance_m.is_finite() && distance_m > 0.0) {
                sink.at(
                    test_at,
                    format!("distance_m must be a finite number > 0, got {distance_m}"),
                );
            }
            Test::Setback {
                layers: check_layers(&layer, sink),
                distance_m,
            }
        }
        TestSpec::Within { layer } => Test::Within {
            layers: check_layers(&layer, sink),
        },
        TestSpec::Indicator { indicator, group } => {
            let group = check_layers(&super::rule::Layers::One(group), sink)
                .pop()
                .unwrap_or_default();
            let found = cx.indicators.iter().find(|i| i.id == indicator);
            let (landscape, min_share, target_field) = match found {
                None => {
                    sink.at(
                        test_at,
                        format!(
                            "no indicator '{indicator}' in the pack's {} (it has: {})",
                            super::indicators::FILE_NAME,
                            cx.indicators
                                .iter()
                                .map(|i| i.id.as_str())
                                .collect::<Vec<_>>()
                                .join(", ")
                        ),
                    );
                    (Vec::new(), None, None)
                }
                Some(i) => match &i.formula {
                    // Shares in %, targets as fractions (what the share test reads).
                    super::indicators::Formula::AreaShare { layers }
                        if i.direction == super::indicators::Direction::AtLeast
                            && (i.target_field.is_none() || i.target_scale == 100.0) =>
                    {
                        (
                            layers.to_vec(),
                            i.target.map(|t| t / 100.0),
                            i.target_field.clone(),
                        )
                    }
                    _ => {
                        sink.at(
                            test_at,
                            format!(
                                "indicator '{indicator}' is not a share to keep at least at its target (kind = \"area_share\", direction = \"at_least\", a target_field of fractions with target_scale = 100): a rule can be put only on such an indicator"
                            ),
                        );
                        (Vec::new(), None, None)
                    }
                },
            };
            share_test(group, landscape, min_share, target_field)
        }
        TestSpec::Share {
            group,
            layer,
            min_share,
            target_field,
        } => {
            let group = check_layers(&super::rule::Layers::One(group), sink)
                .pop()
                .unwrap_or_default();
            let landscape = check_layers(&layer, sink);
            if min_share.is_some_and(|m| !(0.0..=1.0).contains(&m)) {
                sink.at(
                    test_at,
                    "min_share is a fraction between 0 and 1 (0.5 for half)",
                );
            }
            if min_share.is_none() && target_field.is_none() {
                sink.at(
                    test_at,
                    "a share test needs a target: `min_share` or `target_field`",
                );
            }
            share_test(group, landscape, min_share, target_field)
        }
        TestSpec::Slope {
            dem,
            max_slope_deg,
            max_share_pct,
        } => {
            check_dem(&dem, sink);
            if !(max_slope_deg.is_finite() && max_slope_deg > 0.0 && max_slope_deg < 90.0) {
                sink.at(
                    test_at,
                    format!("max_slope_deg is an angle in degrees between 0 and 90, such as 25, got {max_slope_deg}"),
                );
            }
            if !(0.0..100.0).contains(&max_share_pct) {
                sink.at(
                    test_at,
                    format!("max_share_pct is a percentage from 0 (any steep cell) up to, not including, 100, got {max_share_pct}"),
                );
            }
            Test::Slope {
                dem,
                max_slope_deg,
                max_share_pct,
            }
        }
        TestSpec::Elevation {
            dem,
            max_top_m,
            layer,
            limit_field,
            height,
        } => {
            check_dem(&dem, sink);
            if max_top_m.is_some_and(|m| !m.is_finite()) {
                sink.at(
                    test_at,
                    "max_top_m must be a number of metres above sea level",
                );
            }
            let zones = zone_limits(&layer, &limit_field, "the highest top allowed", sink);
            if max_top_m.is_none() && zones.is_empty() {
                sink.at(
                    test_at,
                    "an elevation test needs a limit: `max_top_m`, or `layer` + `limit_field`",
                );
            }
            let height = height.unwrap_or_else(|| "height_m".to_owned());
            declared(&height, sink);
            Test::Elevation {
                dem,
                max_top_m,
                zones,
                limit_field,
                height,
            }
        }
        TestSpec::Skyline {
            dem,
            layer,
            max_distance_m,
            eye_height_field,
            azimuth_from_field,
            azimuth_to_field,
            height,
        } => {
            check_dem(&dem, sink);
            let viewpoints = check_layers(&super::rule::Layers::One(layer), sink);
            if !(max_distance_m.is_finite() && max_distance_m > 0.0 && max_distance_m <= 100_000.0)
            {
                sink.at(
                    test_at,
                    format!("max_distance_m is how far a viewpoint sees, metres (up to 100 km), such as 5000; got {max_distance_m}"),
                );
            }
            let azimuth_fields = match (azimuth_from_field, azimuth_to_field) {
                (Some(a), Some(b)) => Some((a, b)),
                (None, None) => None,
                _ => {
                    sink.at(
                        test_at,
                        "azimuth_from_field and azimuth_to_field go together",
                    );
                    None
                }
            };
            let height = height.unwrap_or_else(|| "height_m".to_owned());
            declared(&height, sink);
            Test::Skyline {
                dem,
                viewpoints,
                max_distance_m,
                eye_height_field: eye_height_field.unwrap_or_else(|| "eye_height_m".to_owned()),
                azimuth_fields,
                height,
            }
        }
        TestSpec::LandUse {
            layer,
            table,
            proposed,
            conditional_severity,
        } => {
            let layers = check_layers(&super::rule::Layers::One(layer), sink);
            let proposed = proposed.unwrap_or_else(|| "land_use_code".to_owned());
            let conditional =
                conditional_severity.unwrap_or(crate::model::Severity::RequiresApproval);
            if conditional > spec.severity {
                sink.at(
                    test_at,
                    format!(
                        "conditional_severity {conditional} is above the rule's {}: a conditional use is the milder case",
                        spec.severity
                    ),
                );
            }
            // The written land use is kept as `land_use_code` by the dictionary attribute
            // that declares `keep_written`; any other name must be an attribute.
            if let Some(d) = cx.dictionary {
                let kept = d
                    .attributes()
                    .iter()
                    .any(|a| a.keep_written.as_deref() == Some(proposed.as_str()));
                if !kept {
                    declared(&proposed, sink);
                }
            }
            let classes = match cx.classification {
                Some(c) => c.clone(),
                None => {
                    sink.at(
                        test_at,
                        format!(
                            "a land_use test needs the pack's land-use classification: add {} beside pack.toml",
                            super::land_use::FILE_NAME
                        ),
                    );
                    Default::default()
                }
            };
            let path = dir.join(&table);
            let table_text = std::fs::read_to_string(&path);
            let table_ok = match (&table_text, cx.classification) {
                (Err(e), _) => {
                    sink.at(
                        test_at,
                        format!("table '{table}': cannot read {}: {e}", path.display()),
                    );
                    None
                }
                (Ok(text), Some(_)) => {
                    match super::land_use::Compatibility::parse(text, &classes) {
                        Ok(t) => Some(t),
                        Err(found) => {
                            let file = path.display().to_string();
                            for (at, why) in found {
                                let (line, col) = line_col(text, at);
                                sink.out.push(Diagnostic::error(&file, why).at(line, col));
                            }
                            None
                        }
                    }
                }
                (Ok(_), None) => None,
            };
            Test::LandUse {
                layers,
                table: std::sync::Arc::new(table_ok.unwrap_or_default()),
                classes,
                table_file: table,
                proposed,
                conditional,
            }
        }
        TestSpec::PlanLimits {
            layer,
            limits,
            height,
            floor_area,
            green_area,
        } => {
            let layers = check_layers(&super::rule::Layers::One(layer), sink);
            let mut limits = limits.unwrap_or_else(|| super::rule::PlanLimit::ALL.to_vec());
            if limits.is_empty() {
                sink.at(test_at, "`limits` is empty: name at least one of height, far, coverage, green, setback (or leave it out for all)");
            }
            limits.sort();
            limits.dedup();
            let field = |f: Option<String>, default: &str, used: bool, sink: &mut Sink<'_>| {
                let f = f.unwrap_or_else(|| default.to_owned());
                if used {
                    declared(&f, sink);
                }
                f
            };
            use super::rule::PlanLimit as L;
            let has = |l: L| limits.contains(&l);
            Test::PlanLimits {
                height: field(height, "height_m", has(L::Height), sink),
                floor_area: field(floor_area, "floor_area_m2", has(L::Far), sink),
                green_area: field(green_area, "green_area_m2", has(L::Green), sink),
                layers,
                limits,
            }
        }
        TestSpec::ParcelFit {
            layer,
            report,
            within,
            min_area_m2,
        } => {
            let mut layers = check_layers(&super::rule::Layers::One(layer), sink);
            if let Some(w) = within {
                if report == super::rule::Fit::Straddle {
                    sink.at(test_at, "`within` is for report = \"outside\"");
                }
                layers.extend(check_layers(&super::rule::Layers::One(w), sink));
            }
            let min = min_area_m2.unwrap_or(1.0);
            if !(min.is_finite() && min >= 0.0) {
                sink.at(
                    test_at,
                    format!("min_area_m2 must be a finite number ≥ 0, got {min}"),
                );
            }
            if min_area_m2.is_some() && report == super::rule::Fit::Outside {
                sink.at(test_at, "`min_area_m2` is for report = \"straddle\"");
            }
            Test::ParcelFit {
                layers,
                fit: report,
                min_area_m2: min,
            }
        }
        TestSpec::Attribute {
            attribute,
            unit,
            max,
            from,
            band,
            layer,
            limit_field,
        } => {
            let unit = match unit.as_deref().map(|u| (u, Unit::for_limit(u))) {
                Some((_, Some(u))) => u,
                Some((u, None)) => {
                    sink.at(
                        test_at,
                        format!("unit '{u}' is not one of {}", Unit::limit_codes()),
                    );
                    Unit::None
                }
                None => {
                    sink.at(
                        test_at,
                        format!(
                            "a threshold without a unit: add `unit = \"...\"` ({})",
                            Unit::limit_codes()
                        ),
                    );
                    Unit::None
                }
            };
            let finite = |v: f64| v.is_finite() && v >= 0.0;
            if max.is_some_and(|m| !finite(m)) {
                sink.at(test_at, "max must be a finite number ≥ 0");
            }
            let mut bands = Vec::new();
            let mut last = 0.0;
            for b in &band {
                if !(finite(b.to_m) && finite(b.max)) || b.to_m <= last {
                    sink.at(
                        test_at,
                        format!(
                            "bands must have ascending to_m > 0 and max ≥ 0 (band up to {} m)",
                            b.to_m
                        ),
                    );
                }
                last = b.to_m;
                bands.push((b.to_m, b.max));
            }
            let from = match (&from, bands.is_empty()) {
                (Some(l), false) => check_layers(l, sink),
                (None, false) => {
                    sink.at(
                        test_at,
                        "bands need `from`: the layer they are measured from",
                    );
                    Vec::new()
                }
                (Some(_), true) => {
                    sink.at(test_at, "`from` without any [[test.band]]");
                    Vec::new()
                }
                (None, true) => Vec::new(),
            };
            let zones = zone_limits(&layer, &limit_field, "the limit", sink);
            if max.is_none() && bands.is_empty() && zones.is_empty() {
                sink.at(test_at, "an attribute test needs a limit: `max`, [[test.band]] or `layer` + `limit_field`");
            }
            let all_layers = from.iter().chain(&zones).cloned().collect();
            let measured = super::rule::Measured::parse(&attribute).unwrap_or_else(|why| {
                sink.at(test_at, format!("attribute: {why}"));
                super::rule::Measured::Field(attribute.clone())
            });
            for field in measured.fields() {
                declared(field, sink);
            }
            Test::Attribute {
                measured,
                attribute,
                unit,
                max,
                from,
                bands,
                zones,
                limit_field,
                all_layers,
            }
        }
    };
    let mut exceptions = Vec::new();
    for e in &spec.exceptions {
        let at = e.span().start;
        let e = e.get_ref();
        match Filter::parse(&e.when) {
            Ok(when) => exceptions.push(super::rule::Exception {
                when: {
                    if let Some(d) = cx.dictionary {
                        for why in check_vocabulary(d, "exception when", &when) {
                            sink.at(at, why);
                        }
                    }
                    when
                },
                when_text: e.when.clone(),
                severity: e.severity,
                approval: e.approval.clone(),
                note: e.note.clone(),
            }),
            Err(err) => sink.at(at, format!("exception when: {}", err.message)),
        }
        if e.severity > spec.severity {
            sink.at(
                at,
                format!(
                    "an exception may only lower the severity ({} is above the rule's {})",
                    e.severity, spec.severity
                ),
            );
        }
    }
    if sink.out.len() > before {
        return None;
    }
    Some(Rule {
        approval: spec.approval,
        exceptions,
        code,
        name: spec.name.into_inner(),
        summary: spec.summary,
        severity: spec.severity,
        status: spec.status,
        applies_to_text,
        applies_to,
        message: message?,
        summary_zh: spec.zh.map(|z| z.summary),
        message_zh,
        citation: std::sync::Arc::new(spec.citation),
        test,
        readmes: crate::rules::rule::Readmes::read(dir),
        dir: dir.to_owned(),
        pack: pack.id.clone(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &Path, rel: &str, text: &str) {
        let p = dir.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }

    const PACK: &str =
        "id = \"t\"\ntitle = \"T\"\njurisdiction = \"X\"\nversion = \"1\"\ncode_prefix = \"T\"\n";

    const GOOD: &str = r#"code = "T1"
name = "no-building-in-zone"
summary = "No building in the zone"
severity = "prohibited"
message = "{value} {unit} inside {layer}"
[citation]
instrument = "Law"
[test]
kind = "overlap"
layer = "zone"
"#;

    #[test]
    fn rule_names_are_slugs_in_any_script() {
        for good in ["river-setback", "河道退让", "yc-101-河道", "a1"] {
            assert!(is_rule_name(good), "{good}");
        }
        for bad in [
            "",
            "River-Setback",
            "river setback",
            "river--setback",
            "-river",
            "河道/退让",
        ] {
            assert!(!is_rule_name(bad), "{bad}");
        }
    }

    #[test]
    fn loads_a_good_pack() {
        let tmp = tempfile::tempdir().unwrap();
        write(tmp.path(), "pack.toml", PACK);
        write(tmp.path(), "T1-x/rule.toml", GOOD);
        let pack = load_pack(tmp.path(), Some(&["zone".to_owned()])).unwrap();
        assert_eq!(pack.rules.len(), 1);
        assert_eq!(
            pack.rules[0].test,
            Test::Overlap {
                layers: vec!["zone".into()],
                min_area_m2: 0.0
            }
        );
    }

    #[test]
    fn collects_every_error_with_its_line() {
        let tmp = tempfile::tempdir().unwrap();
        write(tmp.path(), "pack.toml", PACK);
        write(tmp.path(), "T1-x/rule.toml", GOOD);
        // Same code again, a bad filter on line 6 and an unknown layer.
        let bad = GOOD
            .replace("severity", "applies_to = \"kind = \"\nseverity")
            .replace("layer = \"zone\"", "layer = \"nowhere\"");
        write(tmp.path(), "T1-y/rule.toml", &bad);
        write(
            tmp.path(),
            "T2-z/rule.toml",
            "code = \"T2\"\nname = \"x\"\nbogus = 1\n",
        );
        let errs = load_pack(tmp.path(), Some(&["zone".to_owned()])).unwrap_err();
        let text: Vec<String> = errs.iter().map(|d| d.to_string()).collect();
        // T2-z: every structural error of the file at once.
        assert_eq!(errs.len(), 9, "{text:#?}");
        assert!(
            text[0].contains("T1-y/rule.toml:1:8") && text[0].contains("duplicate code"),
            "{text:#?}"
        );
        assert!(
            text[1].contains("T1-y/rule.toml:4:22") && text[1].contains("unexpected end"),
            "{text:#?}"
        );
        assert!(
            text[2].contains("T1-y/rule.toml:9:1") && text[2].contains("unknown layer 'nowhere'"),
            "{text:#?}"
        );
        let t2: Vec<&String> = text[3..].iter().collect();
        for (i, key) in ["summary", "severity", "message", "citation", "test"]
            .iter()
            .enumerate()
        {
            assert!(
                t2[i].contains("T2-z/rule.toml:1:1") && t2[i].contains(&format!("missing `{key}`")),
                "{t2:#?}"
            );
        }
        assert!(
            t2[5].contains("T2-z/rule.toml:3:1") && t2[5].contains("unknown key `bogus`"),
            "{t2:#?}"
        );
    }
}
