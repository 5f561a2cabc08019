//! A documented subset of OGC CQL2 text (OGC 21-065) for `applies_to`: comparisons
//! (`=`, `<>`, `<`, `<=`, `>`, `>=`), `[NOT] IN (...)`, `[NOT] LIKE` (`%` and `_`
//! wildcards, `\` escapes), `[NOT] BETWEEN ... AND ...`, `IS [NOT] NULL`, `AND`, `OR`, `NOT`,
//! parentheses, `TRUE`/`FALSE`. Property names are identifiers or `"double quoted"`;
//! strings are `'single quoted'` (`''` for a quote). Everything else in CQL2 (functions,
//! spatial and temporal predicates, arithmetic) is rejected with its position.
//!
//! Evaluation uses SQL's three-valued logic: a missing or null property, or a comparison
//! between a string and a number, is *unknown*; a rule applies only when its filter is true.
//! One coercion: the numbers 0 and 1 compare equal to FALSE and TRUE, because Shapefiles have
//! no boolean type and store flags as 0/1.
//!
//! ```
//! use ironrule::rules::filter::Filter;
//! let f = Filter::parse("industry = 'chemical' AND kind IN ('new', 'expansion')").unwrap();
//! let props = serde_json::json!({"industry": "chemical", "kind": "new"});
//! assert!(f.matches(props.as_object().unwrap()));
//! let props = serde_json::json!({"kind": "new"}); // industry missing: unknown, so not applied
//! assert!(!f.matches(props.as_object().unwrap()));
//! assert!(Filter::parse("S_INTERSECTS(geom, POINT(1 1))").is_err());
//! ```

use crate::model::Properties;
use serde_json::Value;
use std::cmp::Ordering;
use std::fmt;

/// A parsed filter.
#[derive(Clone, Debug, PartialEq)]
pub struct Filter {
    expr: Expr,
}

/// Why a filter did not parse: the message and the 0-based character offset.
#[derive(Clone, Debug, PartialEq)]
pub struct FilterError {
    pub offset: usize,
    pub message: String,
}

impl fmt::Display for FilterError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} (at character {})", self.message, self.offset + 1)
    }
}

#[derive(Clone, Debug, PartialEq)]
enum Lit {
    Str(String),
    Num(f64),
    Bool(bool),
}

#[derive(Clone, Debug, PartialEq)]
enum Operand {
    Prop(String),
    Lit(Lit),
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum CmpOp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

#[derive(Clone, Debug, PartialEq)]
enum Expr {
    // n-ary, so that a long chain of ANDs is flat, not a deep tree.
    And(Vec<Expr>),
    Or(Vec<Expr>),
    Not(Box<Expr>),
    Cmp(Operand, CmpOp, Operand),
    In(Operand, Vec<Operand>, bool),
    Like(Operand, String, bool),
    Between(Operand, Operand, Operand, bool),
    IsNull(Operand, bool),
    Const(bool),
}

#[derive(Clone, Debug, PartialEq)]
enum Tok {
    Ident(String),
    Quoted(String),
    Str(String),
    Num(f64),
    Op(&'static str),
    LParen,
    RParen,
    Comma,
}

fn lex(text: &str) -> Result<Vec<(usize, Tok)>, FilterError> {
    let chars: Vec<char> = text.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    let err = |offset: usize, message: String| FilterError { offset, message };
    while i < chars.len() {
        let c = chars[i];
        let start = i;
        match c {
            c if c.is_whitespace() => {
                i += 1;
                continue;
            }
            '(' => {
                out.push((start, Tok::LParen));
                i += 1;
            }
            ')' => {
                out.push((start, Tok::RParen));
                i += 1;
            }
            ',' => {
                out.push((start, Tok::Comma));
                i += 1;
            }
            '=' => {
                out.push((start, Tok::Op("=")));
                i += 1;
            }
            '<' | '>' => {
                let next = chars.get(i + 1).copied();
                let op = match (c, next) {
                    ('<', Some('>')) => "<>",
                    ('<', Some('=')) => "<=",
                    ('>', Some('=')) => ">=",
                    ('<', _) => "<",
                    _ => ">",
                };
                i += op.len();
                out.push((start, Tok::Op(op)));
            }
            '\'' => {
                let mut s = String::new();
                i += 1;
                loop {
                    match chars.get(i) {
                        None => return Err(err(start, "unterminated string literal".into())),
                        Some('\'') if chars.get(i + 1) == Some(&'\'') => {
                            s.push('\'');
                            i += 2;
                        }
                        Some('\'') => {
                            i += 1;
                            break;
                        }
                        Some(ch) => {
                            s.push(*ch);
                            i += 1;
                        }
                    }
                }
                out.push((start, Tok::Str(s)));
            }
            '"' => {
                let mut s = String::new();
                i += 1;
                loop {
                    match chars.get(i) {
                        None => return Err(err(start, "unterminated quoted property name".into())),
                        Some('"') if chars.get(i + 1) == Some(&'"') => {
                            s.push('"');
                            i += 2;
                        }
                        Some('"') => {
                            i += 1;
                            break;
                        }
                        Some(ch) => {
                            s.push(*ch);
                            i += 1;
                        }
                    }
                }
                out.push((start, Tok::Quoted(s)));
            }
            c if c.is_ascii_digit()
                || c == '.'
                || (c == '-'
                    && chars
                        .get(i + 1)
                        .is_some_and(|n| n.is_ascii_digit() || *n == '.')) =>
            {
                i += 1;
                while i < chars.len()
                    && (chars[i].is_ascii_alphanumeric()
                        || chars[i] == '.'
                        || ((chars[i] == '-' || chars[i] == '+')
                            && matches!(chars[i - 1], 'e' | 'E')))
                {
                    i += 1;
                }
                let s: String = chars[start..i].iter().collect();
                let n = s
                    .parse::<f64>()
                    .map_err(|_| err(start, format!("bad number '{s}'")))?;
                out.push((start, Tok::Num(n)));
            }
            c if c.is_alphabetic() || c == '_' => {
                while i < chars.len()
                    && (chars[i].is_alphanumeric()
                        || chars[i] == '_'
                        || chars[i] == '.'
                        || chars[i] == ':')
                {
                    i += 1;
                }
                out.push((start, Tok::Ident(chars[start..i].iter().collect())));
            }
            '+' | '-' | '*' | '/' | '%' | '^' => {
                return Err(err(
                    start,
                    format!("arithmetic ('{c}') is not in ironrule's CQL2 subset"),
                ));
            }
            _ => return Err(err(start, format!("unexpected character '{c}'"))),
        }
    }
    Ok(out)
}

struct Parser {
    toks: Vec<(usize, Tok)>,
    pos: usize,
    end: usize,
    depth: usize,
}

/// How deeply parentheses and NOTs may nest: far beyond any real filter, well within the
/// stack (the fuzzer found that unbounded nesting overflows it).
const MAX_DEPTH: usize = 64;

const SUBSET: &str =
    "ironrule's CQL2 subset has comparisons, IN, LIKE, BETWEEN, IS NULL, AND/OR/NOT";

impl Parser {
    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.pos).map(|(_, t)| t)
    }

    fn offset(&self) -> usize {
        self.toks.get(self.pos).map_or(self.end, |(o, _)| *o)
    }

    fn err<T>(&self, message: impl Into<String>) -> Result<T, FilterError> {
        Err(FilterError {
            offset: self.offset(),
            message: message.into(),
        })
    }

    fn keyword(&self, kw: &str) -> bool {
        matches!(self.peek(), Some(Tok::Ident(s)) if s.eq_ignore_ascii_case(kw))
    }

    fn eat_keyword(&mut self, kw: &str) -> bool {
        let yes = self.keyword(kw);
        if yes {
            self.pos += 1;
        }
        yes
    }

    fn expect(&mut self, tok: Tok, what: &str) -> Result<(), FilterError> {
        if self.peek() == Some(&tok) {
            self.pos += 1;
            Ok(())
        } else {
            self.err(format!("expected {what}"))
        }
    }

    fn or(&mut self) -> Result<Expr, FilterError> {
        let mut terms = vec![self.and()?];
        while self.eat_keyword("OR") {
            terms.push(self.and()?);
        }
        Ok(if terms.len() == 1 {
            terms.remove(0)
        } else {
            Expr::Or(terms)
        })
    }

    fn and(&mut self) -> Result<Expr, FilterError> {
        let mut terms = vec![self.not()?];
        while self.eat_keyword("AND") {
            terms.push(self.not()?);
        }
        Ok(if terms.len() == 1 {
            terms.remove(0)
        } else {
            Expr::And(terms)
        })
    }

    fn nested<T>(
        &mut self,
        f: impl FnOnce(&mut Self) -> Result<T, FilterError>,
    ) -> Result<T, FilterError> {
        if self.depth >= MAX_DEPTH {
            return self.err(format!("nested deeper than {MAX_DEPTH} levels"));
        }
        self.depth += 1;
        let out = f(self);
        self.depth -= 1;
        out
    }

    fn not(&mut self) -> Result<Expr, FilterError> {
        if self.eat_keyword("NOT") {
            return self.nested(|p| Ok(Expr::Not(Box::new(p.not()?))));
        }
        self.predicate()
    }

    fn operand(&mut self) -> Result<Operand, FilterError> {
        let tok = self.peek().cloned();
        let op = match tok {
            Some(Tok::Str(s)) => Operand::Lit(Lit::Str(s)),
            Some(Tok::Num(n)) => Operand::Lit(Lit::Num(n)),
            Some(Tok::Quoted(s)) => Operand::Prop(s),
            Some(Tok::Ident(s)) => {
                if s.eq_ignore_ascii_case("TRUE") {
                    Operand::Lit(Lit::Bool(true))
                } else if s.eq_ignore_ascii_case("FALSE") {
                    Operand::Lit(Lit::Bool(false))
                } else if ["AND", "OR", "NOT", "IN", "LIKE", "BETWEEN", "IS", "NULL"]
                    .iter()
                    .any(|k| s.eq_ignore_ascii_case(k))
                {
                    return self.err(format!(
                        "expected a property or a literal, found keyword {s}"
                    ));
                } else if self.toks.get(self.pos + 1).map(|(_, t)| t) == Some(&Tok::LParen) {
                    return self.err(format!("function '{s}' is not supported: {SUBSET}"));
                } else {
                    Operand::Prop(s)
                }
            }
            Some(_) => return self.err("expected a property or a literal"),
            None => return self.err("unexpected end of filter"),
        };
        self.pos += 1;
        Ok(op)
    }

    fn predicate(&mut self) -> Result<Expr, FilterError> {
        if self.peek() == Some(&Tok::LParen) {
            self.pos += 1;
            let e = self.nested(|p| p.or())?;
            self.expect(Tok::RParen, "')'")?;
            return Ok(e);
        }
        let left = self.operand()?;
        if let Some(Tok::Op(op)) = self.peek().cloned() {
            self.pos += 1;
            let right = self.operand()?;
            let op = match op {
                "=" => CmpOp::Eq,
                "<>" => CmpOp::Ne,
                "<" => CmpOp::Lt,
                "<=" => CmpOp::Le,
                ">" => CmpOp::Gt,
                _ => CmpOp::Ge,
            };
            return Ok(Expr::Cmp(left, op, right));
        }
        if self.eat_keyword("IS") {
            let negated = self.eat_keyword("NOT");
            if !self.eat_keyword("NULL") {
                return self.err("expected NULL after IS [NOT]");
            }
            return Ok(Expr::IsNull(left, negated));
        }
        let negated = self.eat_keyword("NOT");
        if self.eat_keyword("IN") {
            self.expect(Tok::LParen, "'(' after IN")?;
            let mut list = vec![self.operand()?];
            while self.peek() == Some(&Tok::Comma) {
                self.pos += 1;
                list.push(self.operand()?);
            }
            self.expect(Tok::RParen, "')' to close the IN list")?;
            return Ok(Expr::In(left, list, negated));
        }
        if self.eat_keyword("LIKE") {
            return match self.peek().cloned() {
                Some(Tok::Str(p)) => {
                    self.pos += 1;
                    Ok(Expr::Like(left, p, negated))
                }
                _ => self.err("LIKE needs a 'quoted' pattern"),
            };
        }
        if self.eat_keyword("BETWEEN") {
            let lo = self.operand()?;
            if !self.eat_keyword("AND") {
                return self.err("expected AND in BETWEEN ... AND ...");
            }
            let hi = self.operand()?;
            return Ok(Expr::Between(left, lo, hi, negated));
        }
        if negated {
            return self.err("expected IN, LIKE or BETWEEN after NOT");
        }
        if let Operand::Lit(Lit::Bool(b)) = left {
            return Ok(Expr::Const(b));
        }
        match self.peek() {
            Some(Tok::Ident(s)) => {
                let s = s.clone();
                self.err(format!("'{s}' is not supported here: {SUBSET}"))
            }
            Some(_) => {
                self.err("expected an operator (=, <>, <, <=, >, >=, IN, LIKE, BETWEEN, IS NULL)")
            }
            None => self.err("unexpected end of filter: expected an operator"),
        }
    }
}

impl Filter {
    /// Parses CQL2 text.
    pub fn parse(text: &str) -> Result<Filter, FilterError> {
        let toks = lex(text)?;
        let end = text.chars().count();
        let mut p = Parser {
            toks,
            pos: 0,
            end,
            depth: 0,
        };
        if p.toks.is_empty() {
            return p.err("empty filter");
        }
        let expr = p.or()?;
        if p.pos < p.toks.len() {
            return p.err("unexpected text after the end of the filter (missing AND/OR?)");
        }
        Ok(Filter { expr })
    }

    /// True when the filter is true for these properties (unknown counts as false).
    pub fn matches(&self, props: &Properties) -> bool {
        eval(&self.expr, props) == Some(true)
    }

    /// The filter's value: `Some(true)`, `Some(false)`, or `None` for unknown (a property it
    /// needs is missing, null, unreadable, or of a type it cannot be compared as).
    pub fn decide(&self, props: &Properties) -> Option<bool> {
        eval(&self.expr, props)
    }

    /// What makes the filter unknown for these properties: the properties of its unknown
    /// terms (not those of terms that are decided either way) that are missing, null, or hold
    /// a value that could not be read; for a term whose properties are all there (a
    /// comparison between types), all its properties.
    pub fn unknowns(&self, props: &Properties) -> Vec<String> {
        let mut out = Vec::new();
        culprits(&self.expr, props, &mut out);
        let mut seen = std::collections::HashSet::new();
        out.retain(|p| seen.insert(p.clone()));
        out
    }

    /// Each comparison the filter makes: a property and what it is compared with (for
    /// `rules lint`, which checks them against the attribute dictionary).
    pub fn comparisons(&self) -> Vec<(String, Compared)> {
        let mut out = Vec::new();
        collect_cmps(&self.expr, &mut out);
        out
    }

    /// The property names the filter reads.
    pub fn properties(&self) -> Vec<String> {
        let mut out = Vec::new();
        collect_props(&self.expr, &mut out);
        out.sort();
        out.dedup();
        out
    }
}

/// What a property is compared with.
#[derive(Clone, Debug, PartialEq)]
pub enum Compared {
    Text(String),
    Number(f64),
    Bool(bool),
    /// Another property (`a = b`): rare, and often a string written without its quotes.
    Property(String),
    /// `IS [NOT] NULL` or `LIKE`: no value to check.
    Nothing,
}

fn collect_cmps(e: &Expr, out: &mut Vec<(String, Compared)>) {
    let as_compared = |o: &Operand| match o {
        Operand::Prop(p) => Compared::Property(p.clone()),
        Operand::Lit(Lit::Str(s)) => Compared::Text(s.clone()),
        Operand::Lit(Lit::Num(n)) => Compared::Number(*n),
        Operand::Lit(Lit::Bool(b)) => Compared::Bool(*b),
    };
    let mut pair = |a: &Operand, b: &Operand| match (a, b) {
        (Operand::Prop(p), other) => out.push((p.clone(), as_compared(other))),
        (Operand::Lit(_), Operand::Prop(p)) => out.push((p.clone(), as_compared(a))),
        _ => {}
    };
    match e {
        Expr::And(terms) | Expr::Or(terms) => terms.iter().for_each(|t| collect_cmps(t, out)),
        Expr::Not(a) => collect_cmps(a, out),
        Expr::Cmp(a, _, b) => pair(a, b),
        Expr::In(a, list, _) => list.iter().for_each(|b| pair(a, b)),
        Expr::Between(a, b, c, _) => {
            pair(a, b);
            pair(a, c);
        }
        Expr::Like(Operand::Prop(p), _, _) | Expr::IsNull(Operand::Prop(p), _) => {
            out.push((p.clone(), Compared::Nothing))
        }
        Expr::Like(..) | Expr::IsNull(..) | Expr::Const(_) => {}
    }
}

fn culprits(e: &Expr, props: &Properties, out: &mut Vec<String>) {
    if eval(e, props).is_some() {
        return;
    }
    match e {
        Expr::And(terms) | Expr::Or(terms) => terms.iter().for_each(|t| culprits(t, props, out)),
        Expr::Not(a) => culprits(a, props, out),
        leaf => {
            let mut all = Vec::new();
            collect_props(leaf, &mut all);
            let absent: Vec<String> = all
                .iter()
                .filter(|p| {
                    props
                        .get(p.as_str())
                        .is_none_or(|v| v.is_null() || v.is_object() || v.is_array())
                })
                .cloned()
                .collect();
            out.extend(if absent.is_empty() { all } else { absent });
        }
    }
}

fn collect_props(e: &Expr, out: &mut Vec<String>) {
    let mut op = |o: &Operand| {
        if let Operand::Prop(p) = o {
            out.push(p.clone());
        }
    };
    match e {
        Expr::And(terms) | Expr::Or(terms) => terms.iter().for_each(|t| collect_props(t, out)),
        Expr::Not(a) => collect_props(a, out),
        Expr::Cmp(a, _, b) => {
            op(a);
            op(b);
        }
        Expr::In(a, list, _) => {
            op(a);
            list.iter().for_each(op);
        }
        Expr::Like(a, _, _) | Expr::IsNull(a, _) => op(a),
        Expr::Between(a, b, c, _) => {
            op(a);
            op(b);
            op(c);
        }
        Expr::Const(_) => {}
    }
}

fn value(o: &Operand, props: &Properties) -> Option<Lit> {
    match o {
        Operand::Lit(l) => Some(l.clone()),
        Operand::Prop(p) => match props.get(p)? {
            Value::String(s) => Some(Lit::Str(s.clone())),
            Value::Number(n) => n.as_f64().map(Lit::Num),
            Value::Bool(b) => Some(Lit::Bool(*b)),
            _ => None,
        },
    }
}

fn compare(a: &Lit, b: &Lit) -> Option<Ordering> {
    match (a, b) {
        (Lit::Str(x), Lit::Str(y)) => Some(x.cmp(y)),
        (Lit::Num(x), Lit::Num(y)) => x.partial_cmp(y),
        (Lit::Bool(x), Lit::Bool(y)) => Some(x.cmp(y)),
        // Formats without a boolean type (Shapefile/DBF) store flags as 0/1.
        (Lit::Bool(x), Lit::Num(n)) if *n == 0.0 || *n == 1.0 => Some(x.cmp(&(*n == 1.0))),
        (Lit::Num(n), Lit::Bool(y)) if *n == 0.0 || *n == 1.0 => Some((*n == 1.0).cmp(y)),
        _ => None,
    }
}

/// SQL LIKE by dynamic programming over (pattern position, text position): linear memory,
/// O(pattern × text) time, no recursion (a backtracking matcher is exponential on `%%%…`).
fn like(text: &[char], pat: &[char]) -> bool {
    // Tokens: Some(c) a literal (after `\` escapes), None for `_`; `%` marks.
    enum P {
        Any,
        One,
        Lit(char),
    }
    let mut toks = Vec::with_capacity(pat.len());
    let mut i = 0;
    while i < pat.len() {
        match pat[i] {
            '%' => toks.push(P::Any),
            '_' => toks.push(P::One),
            '\\' if i + 1 < pat.len() => {
                i += 1;
                toks.push(P::Lit(pat[i]));
            }
            c => toks.push(P::Lit(c)),
        }
        i += 1;
    }
    // reach[j]: the first j characters of text are matched by the tokens seen so far.
    let mut reach = vec![false; text.len() + 1];
    reach[0] = true;
    for t in &toks {
        let mut next = vec![false; text.len() + 1];
        match t {
            P::Any => {
                let mut on = false;
                for j in 0..=text.len() {
                    on |= reach[j];
                    next[j] = on;
                }
            }
            P::One => {
                next[1..].copy_from_slice(&reach[..text.len()]);
            }
            P::Lit(c) => {
                for j in 0..text.len() {
                    next[j + 1] = reach[j] && text[j] == *c;
                }
            }
        }
        reach = next;
    }
    reach[text.len()]
}

fn eval(e: &Expr, props: &Properties) -> Option<bool> {
    let negate = |b: Option<bool>, neg: bool| b.map(|v| v != neg);
    match e {
        Expr::Const(b) => Some(*b),
        Expr::And(terms) => {
            // false wins, then unknown, then true.
            let mut out = Some(true);
            for t in terms {
                match eval(t, props) {
                    Some(false) => return Some(false),
                    None => out = None,
                    Some(true) => {}
                }
            }
            out
        }
        Expr::Or(terms) => {
            let mut out = Some(false);
            for t in terms {
                match eval(t, props) {
                    Some(true) => return Some(true),
                    None => out = None,
                    Some(false) => {}
                }
            }
            out
        }
        Expr::Not(a) => eval(a, props).map(|v| !v),
        Expr::Cmp(a, op, b) => {
            let ord = compare(&value(a, props)?, &value(b, props)?)?;
            Some(match op {
                CmpOp::Eq => ord == Ordering::Equal,
                CmpOp::Ne => ord != Ordering::Equal,
                CmpOp::Lt => ord == Ordering::Less,
                CmpOp::Le => ord != Ordering::Greater,
                CmpOp::Gt => ord == Ordering::Greater,
                CmpOp::Ge => ord != Ordering::Less,
            })
        }
        Expr::In(a, list, neg) => {
            let v = value(a, props)?;
            let mut unknown = false;
            for item in list {
                match value(item, props).and_then(|w| compare(&v, &w)) {
                    Some(Ordering::Equal) => return Some(!neg),
                    None => unknown = true,
                    _ => {}
                }
            }
            if unknown {
                None
            } else {
                Some(*neg)
            }
        }
        Expr::Like(a, pattern, neg) => match value(a, props)? {
            Lit::Str(s) => {
                let text: Vec<char> = s.chars().collect();
                let pat: Vec<char> = pattern.chars().collect();
                negate(Some(like(&text, &pat)), *neg)
            }
            _ => None,
        },
        Expr::Between(a, lo, hi, neg) => {
            let v = value(a, props)?;
            let ge = compare(&v, &value(lo, props)?)? != Ordering::Less;
            let le = compare(&v, &value(hi, props)?)? != Ordering::Greater;
            negate(Some(ge && le), *neg)
        }
        Expr::IsNull(a, neg) => {
            let null = match a {
                Operand::Prop(p) => match props.get(p) {
                    None | Some(Value::Null) => true,
                    // A value the dictionary could not read (its marker), or any other
                    // non-scalar: something is there, but not what it is: unknown.
                    Some(Value::Object(_) | Value::Array(_)) => return None,
                    Some(_) => false,
                },
                Operand::Lit(_) => false,
            };
            Some(null != *neg)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn m(filter: &str, props: serde_json::Value) -> bool {
        Filter::parse(filter)
            .unwrap_or_else(|e| panic!("{filter}: {e}"))
            .matches(props.as_object().unwrap())
    }

    #[test]
    fn comparisons_and_logic() {
        let p = json!({"height_m": 120, "kind": "new", "discharges": true, "name": "O'Brien"});
        assert!(m("height_m > 100", p.clone()));
        assert!(m("height_m >= 120 AND height_m <= 120", p.clone()));
        assert!(!m("height_m <> 120", p.clone()));
        assert!(m("100 < height_m", p.clone()));
        assert!(m("discharges = TRUE", p.clone()));
        assert!(m("NOT kind = 'rebuild'", p.clone()));
        assert!(m(
            "kind = 'rebuild' OR (height_m BETWEEN 100 AND 150)",
            p.clone()
        ));
        assert!(m("name = 'O''Brien'", p.clone()));
        assert!(m("\"kind\" NOT IN ('temporary')", p.clone()));
        assert!(m("kind LIKE 'n_w' AND kind NOT LIKE 'x%'", p.clone()));
        assert!(m("purpose IS NULL AND kind IS NOT NULL", p));
    }

    #[test]
    fn unknown_is_not_true_nor_false() {
        let p = json!({"kind": "new"});
        // Missing property: both the test and its negation are unknown.
        assert!(!m("industry = 'chemical'", p.clone()));
        assert!(!m("NOT industry = 'chemical'", p.clone()));
        // Unknown OR true is true; unknown AND false is false.
        assert!(m("industry = 'chemical' OR kind = 'new'", p.clone()));
        assert!(!m(
            "NOT (industry = 'chemical' AND kind = 'old')",
            json!({"kind": "old"})
        ));
        // A string compared with a number is unknown, not an error.
        assert!(!m("kind > 3", p));
        // 0/1 flags from a Shapefile are booleans; other numbers are not.
        assert!(m("discharges = TRUE", json!({"discharges": 1})));
        assert!(m("discharges = FALSE", json!({"discharges": 0})));
        assert!(!m("discharges = TRUE", json!({"discharges": 2})));
        assert!(!m("NOT discharges = TRUE", json!({"discharges": 2})));
    }

    #[test]
    fn an_unreadable_value_is_unknown_even_for_is_null() {
        let bad = json!({"land_use": {"$invalid": {"value": "xyz"}}});
        let f = Filter::parse("land_use IS NULL OR land_use <> 'agriculture'").unwrap();
        assert_eq!(f.decide(bad.as_object().unwrap()), None);
        assert_eq!(f.unknowns(bad.as_object().unwrap()), vec!["land_use"]);
        // Only the terms that leave it unknown: `kind IN (...)` decided the OR.
        let f = Filter::parse(
            "industry = 'pond' AND (kind IN ('new') OR (kind = 'rebuild' AND safety IS NULL))",
        )
        .unwrap();
        let p = json!({"kind": "new"});
        assert_eq!(f.unknowns(p.as_object().unwrap()), vec!["industry"]);
        let p = json!({"industry": "pond", "kind": 3});
        assert_eq!(f.unknowns(p.as_object().unwrap()), vec!["kind"]);
        // Decided where the rest of the filter decides it.
        let f = Filter::parse("kind = 'new' AND land_use IS NULL").unwrap();
        let p = json!({"kind": "old", "land_use": {"$invalid": {}}});
        assert_eq!(f.decide(p.as_object().unwrap()), Some(false));
    }

    #[test]
    fn comparisons_name_both_sides() {
        let f = Filter::parse("用地性质 = 居住 AND kind IN ('new', 3) AND x IS NULL").unwrap();
        assert_eq!(
            f.comparisons(),
            vec![
                ("用地性质".to_owned(), Compared::Property("居住".into())),
                ("kind".to_owned(), Compared::Text("new".into())),
                ("kind".to_owned(), Compared::Number(3.0)),
                ("x".to_owned(), Compared::Nothing),
            ]
        );
    }

    #[test]
    fn keywords_are_case_insensitive() {
        assert!(m(
            "kind in ('a', 'b') and not x is null",
            json!({"kind": "a", "x": 1})
        ));
    }

    #[test]
    fn rejections_say_where_and_why() {
        let cases = [
            ("S_INTERSECTS(geom, x)", 0, "function"),
            ("height_m + 3 > 4", 9, "arithmetic"),
            ("kind = 'new", 7, "unterminated"),
            ("kind = 'a' kind = 'b'", 11, "missing AND/OR"),
            ("kind IN ('a'", 12, "')'"),
            ("kind", 4, "expected an operator"),
            ("", 0, "empty"),
            ("kind NOT = 'a'", 9, "after NOT"),
        ];
        for (text, offset, needle) in cases {
            let err = Filter::parse(text).expect_err(text);
            assert_eq!(err.offset, offset, "{text}: {err}");
            assert!(err.message.contains(needle), "{text}: {err}");
        }
    }

    /// Found by the cql2_filter fuzz target: thousands of nested parentheses overflowed the
    /// stack.
    #[test]
    fn regression_deep_nesting_is_an_error_not_a_stack_overflow() {
        let deep = format!("{}a = 1{}", "(".repeat(10_000), ")".repeat(10_000));
        assert!(Filter::parse(&deep)
            .unwrap_err()
            .message
            .contains("nested deeper"));
        let nots = format!("{}a = 1", "NOT ".repeat(10_000));
        assert!(Filter::parse(&nots).is_err());
        let ok = format!("{}a = 1{}", "(".repeat(60), ")".repeat(60));
        assert!(Filter::parse(&ok).is_ok());
        // A long flat chain is fine: AND/OR are n-ary.
        let chain = vec!["a = 1"; 100_000].join(" AND ");
        assert!(Filter::parse(&chain)
            .unwrap()
            .matches(json!({"a": 1}).as_object().unwrap()));
    }

    #[test]
    fn like_is_linear_not_exponential() {
        let text = "a".repeat(2000);
        let pat = format!("{}b", "%a".repeat(500));
        assert!(!m(&format!("x LIKE '{pat}'"), json!({"x": text})));
        assert!(m("x LIKE 'a\\_b%'", json!({"x": "a_bc"})));
        assert!(!m("x LIKE 'a\\_b%'", json!({"x": "axbc"})));
    }

    #[test]
    fn lists_properties() {
        let f =
            Filter::parse("industry = 'chemical' AND kind IN ('new', 'expansion') OR x IS NULL")
                .unwrap();
        assert_eq!(f.properties(), vec!["industry", "kind", "x"]);
    }
}
