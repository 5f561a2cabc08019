//! `ironrule indicators`: the indicators per district, before and after the proposals, as
//! text, JSON, CSV and a self-contained HTML page with a bar chart per indicator.

use super::xml_escape;
use crate::engine::indicators::{Result as Indicator, Value};
use crate::model::{fmt_num, Lang};
use std::fmt::Write as _;

/// What `ironrule indicators` reports.
#[derive(Debug)]
pub struct Sheet<'a> {
    pub title: &'a str,
    pub indicators: &'a [Indicator],
    /// The proposal files, and how many proposals were read from them.
    pub sources: Vec<String>,
    pub proposals: usize,
    pub lang: Lang,
    /// What reading the layers and proposals reported (overlapping districts, rejected
    /// proposals...).
    pub diagnostics: &'a [crate::model::Diagnostic],
}

fn value(v: f64, unit: &str) -> String {
    let n = match unit {
        "%" => format!("{:.3}", v),
        "count" => format!("{}", v as i64),
        _ => fmt_num((v * 100.0).round() / 100.0),
    };
    match unit {
        "count" => n,
        "m2" => format!("{n} m²"),
        u => format!("{n} {u}"),
    }
}

fn met(m: Option<bool>, lang: Lang) -> &'static str {
    match m {
        Some(true) => lang.pick("met", "达标"),
        Some(false) => lang.pick("missed", "未达标"),
        None => "",
    }
}

fn target(i: &Indicator, v: &Value) -> String {
    v.target
        .map(|t| format!("{} {}", i.direction.symbol(), value(t, &i.unit)))
        .unwrap_or_default()
}

/// Text: one block per indicator, a line per district and the city.
pub fn text(s: &Sheet<'_>) -> String {
    let t = |en: &'static str, zh: &'static str| s.lang.pick(en, zh);
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{} — {} ({} {})",
        s.title,
        t("indicators", "指标体系"),
        s.proposals,
        t("proposals", "个拟建项目")
    );
    for i in s.indicators {
        let _ = writeln!(
            out,
            "\n{} [{}]{}",
            i.name,
            i.id,
            if i.illustrative {
                t(" (illustrative target)", "（示意目标值）")
            } else {
                ""
            }
        );
        let width = i
            .districts
            .iter()
            .map(|d| d.name.as_deref().unwrap_or(&d.id).chars().count())
            .max()
            .unwrap_or(4)
            .max(4);
        let row = |out: &mut String, label: &str, v: &Value| {
            let pad = width.saturating_sub(label.chars().count());
            let arrow = if v.after == v.before { "=" } else { "→" };
            let broken = if v.broken(i.direction) {
                t(
                    "  ← the proposals break the target",
                    "  ← 拟建项目导致未达标",
                )
            } else {
                ""
            };
            let _ = writeln!(
                out,
                "  {label}{:pad$}  {} {arrow} {}  {} {}{broken}",
                "",
                value(v.before, &i.unit),
                value(v.after, &i.unit),
                target(i, v),
                met(v.met_after, s.lang),
            );
        };
        for d in &i.districts {
            row(&mut out, d.name.as_deref().unwrap_or(&d.id), &d.value);
        }
        row(&mut out, t("city", "全市"), &i.city);
        if !i.no_target.is_empty() {
            let _ = writeln!(
                out,
                "  {}: {}",
                t(
                    "not judged, no target of their own (give the districts a number)",
                    "未判定：片区缺少目标值（请为片区补充数值）"
                ),
                i.no_target.join(", ")
            );
        }
        if !i.undetermined.is_empty() {
            let _ = writeln!(
                out,
                "  {}: {}",
                t(
                    "undetermined, counted (the strict reading)",
                    "无法判定，按从严原则计入"
                ),
                i.undetermined.join(", ")
            );
        }
    }
    out
}

/// JSON: `{"indicators": [...], "proposals": n, "sources": [...], "passed": bool,
/// "diagnostics": [...]}`.
pub fn json(s: &Sheet<'_>) -> String {
    let doc = serde_json::json!({
        "indicators": s.indicators,
        "proposals": s.proposals,
        "sources": s.sources,
        "passed": !s.indicators.iter().any(Indicator::fails),
        "diagnostics": s.diagnostics,
    });
    let mut text = serde_json::to_string_pretty(&doc).unwrap_or_default();
    text.push('\n');
    text
}

/// CSV: one row per indicator and district (and `city`).
pub fn csv(s: &Sheet<'_>) -> String {
    let mut out = String::from(
        "indicator,unit,direction,district,district_name,before,after,target,met_before,met_after,base,amount_before,amount_after,illustrative\r\n",
    );
    let opt = |v: Option<f64>| v.map(|x| x.to_string()).unwrap_or_default();
    let b = |v: Option<bool>| v.map(|x| x.to_string()).unwrap_or_default();
    for i in s.indicators {
        let rows = i
            .districts
            .iter()
            .map(|d| (d.id.as_str(), d.name.as_deref().unwrap_or(""), &d.value))
            .chain(std::iter::once(("city", "", &i.city)));
        for (id, name, v) in rows {
            let cells = [
                i.id.clone(),
                i.unit.clone(),
                i.direction.as_str().to_owned(),
                id.to_owned(),
                name.to_owned(),
                v.before.to_string(),
                v.after.to_string(),
                opt(v.target),
                b(v.met_before),
                b(v.met_after),
                opt(v.base),
                opt(v.amount_before),
                opt(v.amount_after),
                i.illustrative.to_string(),
            ];
            let line: Vec<String> = cells.iter().map(|c| super::csv::field(c)).collect();
            out.push_str(&line.join(","));
            out.push_str("\r\n");
        }
    }
    out
}

/// HTML: a self-contained page, one bar chart per indicator (each district before and after,
/// with its target marked) and its table.
pub fn html(s: &Sheet<'_>) -> String {
    let t = |en: &'static str, zh: &'static str| s.lang.pick(en, zh);
    let mut h = super::html::page_start(
        s.lang,
        &format!("{} — {}", s.title, t("indicators", "指标体系")),
        ".missed{color:#b00020;font-weight:600} .met{color:#1b7f3b} .note{color:#666;font-size:.85em}",
    );
    let _ = write!(
        h,
        r#"<h1>{} — {}</h1>
<p>{} {}: {}</p>
<p><span class="key"><i style="background:#9aa5b1"></i>{}</span><span class="key"><i style="background:#2b6cb0"></i>{}</span><span class="key"><i style="background:#b00020;height:3px"></i>{}</span></p>
"#,
        xml_escape(s.title),
        t("indicators", "指标体系"),
        s.proposals,
        t("proposals from", "个拟建项目，来自"),
        xml_escape(&if s.sources.is_empty() {
            t("none (the city as it is)", "无（现状）").to_owned()
        } else {
            s.sources.join(", ")
        }),
        t("before the proposals", "建设前"),
        t("after", "建设后"),
        t("target", "目标值"),
    );
    for (n, i) in s.indicators.iter().enumerate() {
        let _ = write!(
            h,
            r#"<section class="indicator" id="{}" data-id="{}"><h2>{}</h2>"#,
            xml_escape(&i.id),
            xml_escape(&i.id),
            xml_escape(&i.name),
        );
        if i.illustrative {
            let _ = write!(
                h,
                r#"<p class="note">{}</p>"#,
                t(
                    "Illustrative target, not the city's adopted one.",
                    "示意目标值，非城市正式采用的目标。"
                )
            );
        }
        if let Some(note) = &i.note {
            let _ = write!(h, r#"<p class="note">{}</p>"#, xml_escape(note));
        }
        h.push_str(&chart(i, n));
        let _ = write!(
            h,
            "<table><tr><th>{}</th><th class=n>{}</th><th class=n>{}</th><th class=n>{}</th><th>{}</th></tr>",
            t("district", "片区"),
            t("before", "建设前"),
            t("after", "建设后"),
            t("target", "目标值"),
            t("after the proposals", "建设后是否达标"),
        );
        let rows = i
            .districts
            .iter()
            .map(|d| (d.name.as_deref().unwrap_or(&d.id), &d.value))
            .chain(std::iter::once((t("city", "全市"), &i.city)));
        for (label, v) in rows {
            let class = match v.met_after {
                Some(true) => "met",
                Some(false) => "missed",
                None => "",
            };
            let _ = write!(
                h,
                r#"<tr><td>{}</td><td class=n>{}</td><td class=n>{}</td><td class=n>{}</td><td class="{class}">{}</td></tr>"#,
                xml_escape(label),
                value(v.before, &i.unit),
                value(v.after, &i.unit),
                xml_escape(&target(i, v)),
                met(v.met_after, s.lang),
            );
        }
        h.push_str("</table>");
        if !i.no_target.is_empty() {
            let _ = write!(
                h,
                r#"<p class="missed">{}: {}</p>"#,
                t(
                    "not judged, no target of their own",
                    "未判定：片区缺少目标值"
                ),
                xml_escape(&i.no_target.join(", "))
            );
        }
        if !i.undetermined.is_empty() {
            let _ = write!(
                h,
                r#"<p class="missed">{}: {}</p>"#,
                t("undetermined, counted", "无法判定，按从严原则计入"),
                xml_escape(&i.undetermined.join(", "))
            );
        }
        h.push_str("</section>\n");
    }
    h.push_str("</body></html>\n");
    h
}

/// A horizontal bar chart: per district, the value before (grey) and after (blue) on one
/// scale, the target a red tick. Bars carry their values as data attributes.
fn chart(i: &Indicator, n: usize) -> String {
    const W: f64 = 960.0;
    const LABEL: f64 = 200.0;
    const ROW: f64 = 34.0;
    let rows: Vec<(&str, &Value)> = i
        .districts
        .iter()
        .map(|d| (d.name.as_deref().unwrap_or(&d.id), &d.value))
        .collect();
    let max = rows
        .iter()
        .flat_map(|(_, v)| [v.before, v.after, v.target.unwrap_or(0.0)])
        .fold(0.0f64, f64::max)
        .max(if i.unit == "%" { 100.0 } else { 1.0 });
    let x = |v: f64| LABEL + (v / max).clamp(0.0, 1.0) * (W - LABEL - 90.0);
    let height = rows.len() as f64 * ROW + 10.0;
    let mut svg = format!(
        r#"<svg id="chart-{n}" width="100%" viewBox="0 0 {W} {height}" role="img" aria-label="{}">"#,
        xml_escape(&i.name)
    );
    for (k, (label, v)) in rows.iter().enumerate() {
        let y = k as f64 * ROW + 4.0;
        let _ = write!(
            svg,
            r##"<text x="{}" y="{}" text-anchor="end">{}</text><rect class="before" data-value="{}" x="{LABEL}" y="{y}" width="{:.2}" height="12" fill="#9aa5b1"/><rect class="after" data-value="{}" x="{LABEL}" y="{}" width="{:.2}" height="12" fill="#2b6cb0"/><text x="{:.2}" y="{}">{}</text>"##,
            LABEL - 8.0,
            y + 18.0,
            xml_escape(label),
            v.before,
            x(v.before) - LABEL,
            v.after,
            y + 13.0,
            x(v.after) - LABEL,
            x(v.before.max(v.after).max(v.target.unwrap_or(0.0))) + 6.0,
            y + 18.0,
            xml_escape(&value(v.after, &i.unit)),
        );
        if let Some(t) = v.target {
            let _ = write!(
                svg,
                r##"<line class="target" data-value="{t}" x1="{:.2}" x2="{:.2}" y1="{}" y2="{}" stroke="#b00020" stroke-width="3"/>"##,
                x(t),
                x(t),
                y - 2.0,
                y + 27.0
            );
        }
    }
    svg.push_str("</svg>");
    svg
}
