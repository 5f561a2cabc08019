//! `report.html` of an audit: one self-contained page (no network) to look at a sweep of
//! millions of parcels: findings by rule and by severity as bar charts, a map of where the
//! findings are (a grid of counts over the zones), the districts ranked by name, and the
//! worst features with their findings as evidence.

use super::html::{severity_colour, zones_svg, Frame, WIDTH};
use super::xml_escape;
use crate::audit::{Density, Outcome};
use crate::engine::Checker;
use crate::model::thousands;
use crate::model::{Lang, Severity};
use geo::{Coord, Rect};
use std::fmt::Write as _;

/// The page, in `lang`.
pub fn render(checker: &Checker, o: &Outcome, lang: Lang) -> String {
    let t = |en: &'static str, zh: &'static str| lang.pick(en, zh);
    let title = checker.project.name.as_deref().unwrap_or("ironrule");
    let mut h = super::html::page_start(
        lang,
        &format!("{} — {}", title, t("audit", "审查报告")),
        ".counts span{display:inline-block;margin:0 18px 8px 0} .counts b{font-size:1.3em}
.evidence{margin:10px 0 18px} .evidence h3{font-size:1em;margin:.4em 0} :target{background:#fff6d5}",
    );
    let _ = writeln!(
        h,
        "<h1>{} — {}</h1>",
        xml_escape(title),
        t("audit report", "审查报告")
    );
    // The counts.
    let verdict = match o.exit_code(Some(Severity::Prohibited)) {
        2 => t(
            "not passed: some features could not be checked (diagnostics.csv)",
            "不予通过：部分要素无法审查（见 diagnostics.csv）",
        ),
        1 => t(
            "not passed: prohibited findings",
            "不予通过：存在禁止类问题",
        ),
        _ => t("no prohibited findings", "无禁止类问题"),
    };
    let _ = write!(
        h,
        r#"<p class="verdict"><strong>{verdict}</strong></p><div class="counts">"#
    );
    for (label, n) in [
        (t("features read", "读取要素"), o.read),
        (t("checked", "已审查"), o.checked),
        (t("rejected", "拒收"), o.rejected),
        (t("findings", "发现问题"), o.findings),
        (t("undetermined", "无法判定"), o.undetermined),
        (t("waived", "已豁免"), o.waived),
        (t("baselined", "基线内"), o.baselined),
        (t("input errors", "输入错误"), o.errors),
    ] {
        let _ = write!(h, "<span>{label}<br><b>{}</b></span>", thousands(n));
    }
    h.push_str("</div>\n");

    // Findings by rule and by severity.
    let _ = writeln!(h, "<h2>{}</h2>", t("Findings by rule", "按规则统计"));
    let rules: Vec<(String, String, f64, Option<Severity>)> = checker
        .rules()
        .filter_map(|r| {
            let (n, features) = o.by_rule.get(&r.code).copied()?;
            let label = format!(
                "{} {} ({} {})",
                r.code,
                r.summary_in(lang),
                thousands(features),
                t("features", "个要素")
            );
            Some((r.code.clone(), label, n as f64, Some(r.severity)))
        })
        .collect();
    h.push_str(&bars("by-rule", &rules));
    let _ = writeln!(
        h,
        "<h2>{}</h2>",
        t("Findings by severity", "按严重程度统计")
    );
    let severities: Vec<(String, String, f64, Option<Severity>)> = Severity::ALL
        .iter()
        .rev()
        .filter_map(|s| {
            let n = *o.by_severity.get(s)?;
            Some((
                s.as_str().to_owned(),
                s.label(lang).to_owned(),
                n as f64,
                Some(*s),
            ))
        })
        .collect();
    h.push_str(&bars("by-severity", &severities));

    // Where the findings are.
    if let Some(d) = &o.density {
        let _ = writeln!(h, "<h2>{}</h2>", t("Where the findings are", "问题分布"));
        h.push_str(&density_map(checker, d, lang));
    }

    // Districts, ranked, by name.
    if checker.project.group_by.is_some() {
        let _ = writeln!(
            h,
            "<h2>{}</h2>",
            t("Districts, most findings first", "各区排名（按问题数）")
        );
        // (district, findings, its rules by findings)
        type Ranked<'a> = (&'a String, usize, Vec<(&'a String, &'a usize)>);
        let mut ranked: Vec<Ranked> = o
            .by_district
            .iter()
            .map(|(d, rules)| {
                let mut top: Vec<(&String, &usize)> = rules.iter().collect();
                top.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
                (d, rules.values().sum(), top)
            })
            .collect();
        ranked.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
        let _ = write!(
            h,
            r#"<table id="districts"><tr><th class="n">#</th><th>{}</th><th class="n">{}</th><th>{}</th></tr>"#,
            t("district", "区"),
            t("findings", "问题数"),
            t("rules with most findings", "问题最多的规则")
        );
        for (i, (d, n, top)) in ranked.iter().enumerate() {
            let name = checker.district_name(d).unwrap_or(d);
            let top: Vec<String> = top
                .iter()
                .take(3)
                .map(|(c, n)| format!("{c} ({})", thousands(**n)))
                .collect();
            let _ = write!(
                h,
                r#"<tr><td class="n">{}</td><td>{} <small>({})</small></td><td class="n">{}</td><td>{}</td></tr>"#,
                i + 1,
                xml_escape(name),
                xml_escape(d),
                thousands(*n),
                xml_escape(&top.join(", "))
            );
        }
        h.push_str("</table>\n");
    }

    // The worst features, each linked to its evidence.
    if !o.worst.is_empty() {
        let _ = writeln!(
            h,
            "<h2>{}</h2>",
            t(
                "The worst features: most prohibited findings, then most findings",
                "问题最严重的要素（禁止类最多者优先）"
            )
        );
        // The district column only where the project has districts.
        let grouped = checker.project.group_by.is_some();
        let cell = |s: &str| {
            if grouped {
                format!("<td>{}</td>", xml_escape(s))
            } else {
                String::new()
            }
        };
        let _ = write!(
            h,
            r#"<table id="worst"><tr><th class="n">#</th><th>{}</th><th>{}</th>{}<th class="n">{}</th><th class="n">{}</th></tr>"#,
            t("feature", "要素"),
            t("source", "数据源"),
            cell(t("district", "区")).replace("td>", "th>"),
            t("prohibited", "禁止"),
            t("findings", "问题数"),
        );
        for (i, w) in o.worst.iter().enumerate() {
            let feature = w.id.clone().unwrap_or_else(|| format!("#{}", w.index));
            let district = w
                .district
                .as_ref()
                .map(|d| checker.district_name(d).unwrap_or(d))
                .unwrap_or_default();
            let _ = write!(
                h,
                r##"<tr><td class="n">{}</td><td><a href="#w{}">{}</a></td><td>{}</td>{}<td class="n">{}</td><td class="n">{}</td></tr>"##,
                i + 1,
                i + 1,
                xml_escape(&feature),
                xml_escape(&short(&w.source)),
                cell(district),
                w.prohibited,
                w.findings
            );
        }
        h.push_str("</table>\n");
        let _ = writeln!(h, "<h2>{}</h2>", t("Evidence", "证据"));
        for (i, w) in o.worst.iter().enumerate() {
            let feature = w.id.clone().unwrap_or_else(|| format!("#{}", w.index));
            let _ = write!(
                h,
                r#"<div class="evidence" id="w{}"><h3>{}. {} <small>({}, {} #{})</small></h3><table><tr><th>{}</th><th>{}</th><th>{}</th><th class="n">{}</th><th>{}</th><th>{}</th></tr>"#,
                i + 1,
                i + 1,
                xml_escape(&feature),
                xml_escape(&short(&w.source)),
                t("feature", "要素"),
                w.index,
                t("rule", "规则"),
                t("severity", "严重程度"),
                t("zone", "区域"),
                t("measured / limit", "实测 / 限值"),
                t("status", "状态"),
                t("finding", "说明"),
            );
            for line in w.rows.lines() {
                let f = crate::report::csv::split_row(line);
                // code, severity, feature_id, zone_layer, zone_id, measure, value, unit, limit,
                // message, source, feature_index, status
                if f.len() < 13 {
                    continue;
                }
                let sev: Option<Severity> = f[1].parse().ok();
                let _ = write!(
                    h,
                    r#"<tr><td>{}</td><td style="color:{}">{}</td><td>{} {}</td><td class="n">{} / {} {}</td><td>{}</td><td>{}</td></tr>"#,
                    xml_escape(&f[0]),
                    severity_colour(sev),
                    xml_escape(&f[1]),
                    xml_escape(&f[3]),
                    xml_escape(&f[4]),
                    xml_escape(&trim_num(&f[6])),
                    xml_escape(&trim_num(&f[8])),
                    xml_escape(&f[7]),
                    xml_escape(&f[12]),
                    xml_escape(&f[9]),
                );
            }
            h.push_str("</table></div>\n");
        }
    }
    let _ = writeln!(
        h,
        "<p><small>{} findings.csv, diagnostics.csv, summary.json. {}</small></p>\n</body></html>",
        t("Every finding is in", "全部问题见"),
        t(
            "This page is self-contained: it loads nothing from the network.",
            "本页自包含，不从网络加载任何内容。"
        )
    );
    h
}

/// A number as findings.csv writes it (six decimals), without the trailing zeros.
fn trim_num(s: &str) -> String {
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_owned()
    } else {
        s.to_owned()
    }
}

fn short(source: &str) -> String {
    std::path::Path::new(source)
        .file_name()
        .map_or_else(|| source.to_owned(), |n| n.to_string_lossy().into_owned())
}

/// `s` cut to `units` of width (a CJK character is two), with "…" where cut.
fn clip(s: &str, units: usize) -> String {
    let mut used = 0;
    let mut out = String::new();
    for c in s.chars() {
        let w = if (c as u32) < 0x1100 { 1 } else { 2 };
        if used + w > units {
            out.push('…');
            return out;
        }
        used += w;
        out.push(c);
    }
    out
}

/// A horizontal bar chart (SVG): one bar per (key, label, value, colour by severity).
fn bars(id: &str, rows: &[(String, String, f64, Option<Severity>)]) -> String {
    if rows.is_empty() {
        return "<p>—</p>\n".into();
    }
    let max = rows.iter().map(|r| r.2).fold(0.0, f64::max).max(1.0);
    let (label_w, bar_w, row_h) = (430.0, 420.0, 22.0);
    let height = rows.len() as f64 * row_h + 4.0;
    let mut s = format!(
        r#"<svg id="{id}" class="chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height}" width="100%" role="img">"#
    );
    for (i, (key, label, v, sev)) in rows.iter().enumerate() {
        let y = i as f64 * row_h + 2.0;
        let w = (v / max * bar_w).max(1.0);
        let full = label;
        let label = clip(label, 64);
        let _ = write!(
            s,
            r#"<g class="bar" data-key="{}" data-value="{v}"><title>{}</title><text x="{}" y="{}" text-anchor="end">{}</text><rect x="{label_w}" y="{y}" width="{w:.1}" height="{}" fill="{}"/><text x="{:.1}" y="{}">{}</text></g>"#,
            xml_escape(key),
            xml_escape(full),
            label_w - 8.0,
            y + 15.0,
            xml_escape(&label),
            row_h - 6.0,
            severity_colour(*sev),
            label_w + w + 6.0,
            y + 15.0,
            thousands(*v as usize)
        );
    }
    s.push_str("</svg>\n");
    s
}

/// The findings' grid over the zones: the fine grid cropped to where findings are and
/// coarsened to at most 64 columns, each cell shaded by its count (log scale).
fn density_map(checker: &Checker, d: &Density, lang: Lang) -> String {
    let n = Density::CELLS;
    let (mut i0, mut i1, mut j0, mut j1) = (n, 0, n, 0);
    for j in 0..n {
        for i in 0..n {
            if d.counts[j * n + i] > 0 {
                (i0, i1, j0, j1) = (i0.min(i), i1.max(i), j0.min(j), j1.max(j));
            }
        }
    }
    if i0 > i1 {
        return format!(
            "<p>{}</p>\n",
            lang.pick("No findings to map.", "无可绘制的问题。")
        );
    }
    // Cells of k × k fine cells, at most 64 across the wider side.
    let span = (i1 - i0 + 1).max(j1 - j0 + 1);
    let k = span.div_ceil(64).max(1);
    let (cw, ch) = (
        d.area.width() / n as f64 * k as f64,
        d.area.height() / n as f64 * k as f64,
    );
    let origin = d.area.min();
    let at = |i: usize, j: usize| Coord {
        x: origin.x + (i as f64) * d.area.width() / n as f64,
        y: origin.y + (j as f64) * d.area.height() / n as f64,
    };
    let (i0, j0) = (i0 / k * k, j0 / k * k);
    let cols = (i1 - i0) / k + 1;
    let rows = (j1 - j0) / k + 1;
    let mut coarse = vec![0u64; cols * rows];
    for j in j0..=j1 {
        for i in i0..=i1 {
            coarse[(j - j0) / k * cols + (i - i0) / k] += u64::from(d.counts[j * n + i]);
        }
    }
    let lo = at(i0, j0);
    let hi = Coord {
        x: lo.x + cols as f64 * cw,
        y: lo.y + rows as f64 * ch,
    };
    let margin = (hi.x - lo.x).max(hi.y - lo.y) * 0.04;
    let view = crate::geom::expand(Rect::new(lo, hi), margin);
    let frame = Frame::new(view);
    // Simplified to half a pixel: the page stays small over a city's worth of zones.
    let tolerance = view.width() / WIDTH * 0.5;
    let layers: Vec<crate::report::MapLayer> = crate::report::build::map_layers(checker, view)
        .into_iter()
        .map(|mut l| {
            use geo::Simplify;
            l.areas = l.areas.iter().map(|p| p.simplify(tolerance)).collect();
            l.lines = l.lines.iter().map(|x| x.simplify(tolerance)).collect();
            l
        })
        .collect();
    let (zones, legend) = zones_svg(&frame, &layers);
    let max = coarse.iter().copied().max().unwrap_or(1).max(1) as f64;
    let mut s = format!(
        r##"<svg id="density" class="map" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {h}" width="100%" role="img"><rect width="{WIDTH}" height="{h}" fill="#fbfaf5"/>{zones}"##,
        h = frame.height
    );
    let mut cells = 0;
    for r in 0..rows {
        for c in 0..cols {
            let v = coarse[r * cols + c];
            if v == 0 {
                continue;
            }
            cells += 1;
            let a = Coord {
                x: lo.x + c as f64 * cw,
                y: lo.y + (r + 1) as f64 * ch,
            };
            let b = Coord {
                x: a.x + cw,
                y: a.y - ch,
            };
            let (x0, y0) = frame.px(a);
            let (x1, y1) = frame.px(b);
            let level = ((v as f64).ln_1p() / max.ln_1p()).clamp(0.05, 1.0);
            let _ = write!(
                s,
                r##"<rect class="cell" data-n="{v}" x="{x0}" y="{y0}" width="{:.1}" height="{:.1}" fill="#b2182b" fill-opacity="{:.2}"><title>{v}</title></rect>"##,
                (x1 - x0).max(0.5),
                (y1 - y0).max(0.5),
                0.15 + 0.8 * level
            );
        }
    }
    s.push_str("</svg>\n");
    let _ = writeln!(
        s,
        r##"<p class="legend">{legend}<span class="key"><i style="background:#b2182b;opacity:.3"></i>1</span><span class="key"><i style="background:#b2182b"></i>{}</span> <small>{}</small></p>"##,
        thousands(max as usize),
        xml_escape(&match lang {
            Lang::En => format!(
                "findings per cell of {} × {} m ({cells} cells), by each feature's first vertex",
                crate::model::fmt_num(cw),
                crate::model::fmt_num(ch)
            ),
            Lang::Zh => format!(
                "每格 {} × {} 米内的问题数（{cells} 格），按各要素首个顶点计",
                crate::model::fmt_num(cw),
                crate::model::fmt_num(ch)
            ),
        })
    );
    s
}
