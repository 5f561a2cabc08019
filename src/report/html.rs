use super::{measure_text, xml_escape, Emitter, MapData, Report};
use crate::model::{Lang, Severity};
use geo::{Centroid, Coord, CoordsIter, Geometry, LineString, Polygon, Rect};
use std::fmt::Write as _;
use std::io::{self, Write};

/// One self-contained HTML file (no network, no scripts): a summary by rule and severity,
/// an SVG map of the zones in view, the proposals coloured by their worst finding and the
/// offending parts, and every finding with its evidence and citation.
pub struct Html;

const WIDTH: f64 = 960.0;
const PALETTE: [&str; 8] = [
    "#4575b4", "#d73027", "#b8860b", "#7f7f7f", "#1b9e77", "#66c2a5", "#2c7fb8", "#74add1",
];

/// A colour that says what a layer is, by its name; the palette otherwise.
fn layer_colour(name: &str, i: usize) -> &'static str {
    let n = name.to_ascii_lowercase();
    if n.contains("red") {
        "#e7298a"
    } else if n.contains("farm") {
        "#b8860b"
    } else if n.contains("urban") || n.contains("boundary") {
        "#7f7f7f"
    } else if n.contains("green") || n.contains("park") || n.contains("mountain") {
        "#1b9e77"
    } else if n.contains("drinking") || n.contains("water_") {
        "#17becf"
    } else if n.contains("yangtze")
        || n.contains("river")
        || n.contains("tributar")
        || n.contains("blue")
        || n.contains("lake")
    {
        "#2c7fb8"
    } else {
        PALETTE[i % PALETTE.len()]
    }
}

fn severity_colour(s: Option<Severity>) -> &'static str {
    match s {
        Some(Severity::Prohibited) => "#c0152f",
        Some(Severity::RequiresApproval) | Some(Severity::RequiresAssessment) => "#e66101",
        Some(Severity::Notice) => "#2166ac",
        None => "#1a9850",
    }
}

/// Working-CRS coordinates to SVG pixels.
struct Frame {
    view: Rect<f64>,
    height: f64,
}

impl Frame {
    fn new(view: Rect<f64>) -> Frame {
        let height =
            ((WIDTH * view.height() / view.width().max(1e-9)).clamp(200.0, 1400.0)).round();
        Frame { view, height }
    }

    fn px(&self, c: Coord<f64>) -> (f64, f64) {
        let x = (c.x - self.view.min().x) / self.view.width() * WIDTH;
        let y = (self.view.max().y - c.y) / self.view.height() * self.height;
        ((x * 10.0).round() / 10.0, (y * 10.0).round() / 10.0)
    }

    fn ring(&self, d: &mut String, ring: &LineString<f64>, close: bool) {
        for (i, c) in ring.0.iter().enumerate() {
            let (x, y) = self.px(*c);
            let _ = write!(d, "{}{x} {y}", if i == 0 { "M" } else { " L" });
        }
        if close {
            d.push_str(" Z");
        }
    }

    fn polygon(&self, d: &mut String, p: &Polygon<f64>) {
        self.ring(d, p.exterior(), true);
        for r in p.interiors() {
            d.push(' ');
            self.ring(d, r, true);
        }
    }

    /// An SVG element for a geometry.
    fn shape(&self, g: &Geometry<f64>, attrs: &str) -> String {
        let mut d = String::new();
        match g {
            Geometry::Polygon(p) => self.polygon(&mut d, p),
            Geometry::MultiPolygon(m) => m.iter().for_each(|p| {
                self.polygon(&mut d, p);
                d.push(' ');
            }),
            Geometry::LineString(l) => self.ring(&mut d, l, false),
            Geometry::MultiLineString(m) => m.iter().for_each(|l| {
                self.ring(&mut d, l, false);
                d.push(' ');
            }),
            Geometry::Point(_) | Geometry::MultiPoint(_) => {
                return g
                    .coords_iter()
                    .map(|c| {
                        let (x, y) = self.px(c);
                        format!(r#"<circle cx="{x}" cy="{y}" r="4" {attrs}/>"#)
                    })
                    .collect()
            }
            _ => return String::new(),
        }
        format!(
            r#"<path d="{}" fill-rule="evenodd" {attrs}/>"#,
            d.trim_end()
        )
    }
}

fn map_svg(map: &MapData, report: &Report) -> String {
    let Some(view) = map.view else {
        return String::new();
    };
    let frame = Frame::new(view);
    let mut svg = format!(
        r##"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {h}" width="{WIDTH}" height="{h}" role="img" aria-label="map of zones and proposals"><rect width="100%" height="100%" fill="#fbfaf5"/>"##,
        h = frame.height
    );
    let mut legend = String::new();
    for (i, layer) in map.layers.iter().enumerate() {
        let colour = layer_colour(&layer.name, i);
        let _ = write!(
            svg,
            r#"<g class="layer" data-layer="{}">"#,
            xml_escape(&layer.name)
        );
        for p in &layer.areas {
            svg.push_str(&frame.shape(
                &Geometry::Polygon(p.clone()),
                &format!(r#"fill="{colour}" fill-opacity="0.25" stroke="none""#),
            ));
        }
        for l in &layer.lines {
            svg.push_str(&frame.shape(
                &Geometry::LineString(l.clone()),
                &format!(r#"fill="none" stroke="{colour}" stroke-width="2""#),
            ));
        }
        svg.push_str("</g>");
        let _ = write!(
            legend,
            r#"<span class="key"><i style="background:{colour}"></i>{}</span>"#,
            xml_escape(&layer.name)
        );
    }
    for f in &map.footprints {
        let colour = severity_colour(f.worst);
        svg.push_str(&frame.shape(
            &f.geometry,
            &format!(r#"fill="{colour}" fill-opacity="0.5" stroke="{colour}" stroke-width="1.5""#),
        ));
        if let Some(c) = f.geometry.centroid() {
            let (x, y) = frame.px(c.0);
            let _ = write!(
                svg,
                r#"<circle cx="{x}" cy="{y}" r="3" fill="{colour}"/><text x="{}" y="{}" font-size="10">{}</text>"#,
                x + 5.0,
                y - 4.0,
                xml_escape(&f.label.chars().take(24).collect::<String>())
            );
        }
    }
    for f in &report.findings {
        if let Some(g) = &f.geometry {
            let colour = severity_colour(Some(f.severity));
            svg.push_str(&frame.shape(g, &format!(r#"class="offending" fill="{colour}" fill-opacity="0.9" stroke="{colour}" stroke-width="3""#)));
        }
    }
    svg.push_str("</svg>");
    let t = |en, zh| report.lang.pick(en, zh);
    for (label, s) in [
        (t("prohibited", "禁止"), Some(Severity::Prohibited)),
        (
            t("requires approval / assessment", "需审批 / 需评估"),
            Some(Severity::RequiresApproval),
        ),
        (t("no finding", "无发现"), None),
    ] {
        let _ = write!(
            legend,
            r#"<span class="key"><i style="background:{}"></i>{label}</span>"#,
            severity_colour(s)
        );
    }
    format!(r#"<figure>{svg}<figcaption>{legend}</figcaption></figure>"#)
}

const STYLE: &str = "body{font:15px/1.45 system-ui,sans-serif;margin:2em auto;max-width:1000px;color:#222}h1{font-size:1.6em}table{border-collapse:collapse;width:100%}td,th{border-bottom:1px solid #ddd;padding:.3em .5em;text-align:left;vertical-align:top}.sev{font-weight:bold;white-space:nowrap}.prohibited{color:#c0152f}.requires-approval,.requires-assessment{color:#e66101}.notice{color:#2166ac}.key{margin-right:1em;white-space:nowrap}.key i{display:inline-block;width:.9em;height:.9em;margin-right:.3em;vertical-align:middle}article{border-left:4px solid #ccc;padding:.2em 1em;margin:1em 0}dt{font-weight:bold}figure{margin:0}svg{border:1px solid #ccc;max-width:100%;height:auto}.diag{color:#c0152f}.undetermined{color:#762a83;font-weight:bold}";

impl Emitter for Html {
    fn emit(&self, out: &mut dyn Write, report: &Report) -> io::Result<()> {
        let s = &report.summary;
        let lang = report.lang;
        let t = |en, zh| lang.pick(en, zh);
        let title = t("ironrule report", "ironrule 审查报告");
        let mut h = String::new();
        let _ = write!(h, "<!DOCTYPE html>\n<html lang=\"{}\"><head><meta charset=\"utf-8\"><title>{title}</title><style>{STYLE}</style></head><body>\n", t("en", "zh-CN"));
        let undetermined = match (s.undetermined, lang) {
            (0, _) => String::new(),
            (n, Lang::En) => format!(
                r#", of which <span class="undetermined">{n} undetermined</span> (a rule could not be decided)"#
            ),
            (n, Lang::Zh) => format!(
                r#"，其中 <span class="undetermined">{n} 项无法判定</span>（规则无法判定）"#
            ),
        };
        let _ = match lang {
            Lang::En => write!(h, "<h1>{title}</h1>\n<p>{} feature(s) read, {} checked, {} rejected; <strong>{} finding(s)</strong>{undetermined}.</p>\n", s.read, s.checked, s.rejected, s.findings),
            Lang::Zh => write!(h, "<h1>{title}</h1>\n<p>读取 {} 个要素，审查 {} 个，拒收 {} 个；<strong>发现 {} 项</strong>{undetermined}。</p>\n", s.read, s.checked, s.rejected, s.findings),
        };
        if let Some(map) = &report.map {
            let _ = writeln!(h, "<h2>{}</h2>", t("Map", "地图"));
            h.push_str(&map_svg(map, report));
            h.push('\n');
        }
        let _ = writeln!(
            h,
            "<h2>{}</h2>\n<table><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr>",
            t("By rule", "按规则"),
            t("rule", "规则"),
            t("severity", "严重程度"),
            t("what it forbids", "禁止事项"),
            t("findings", "发现")
        );
        for r in &report.rules {
            let n = s.by_rule.get(&r.code).copied().unwrap_or(0);
            let _ = writeln!(
                h,
                r#"<tr><td>{}</td><td class="sev {}">{}</td><td>{}</td><td>{n}</td></tr>"#,
                xml_escape(&r.code),
                r.severity,
                r.severity.label(lang),
                xml_escape(&r.summary)
            );
        }
        let _ = write!(
            h,
            "</table>\n<h2>{}</h2>\n<table>",
            t("By severity", "按严重程度")
        );
        for (sev, n) in s.by_severity.iter().rev() {
            let _ = write!(
                h,
                r#"<tr><td class="sev {sev}">{}</td><td>{n}</td></tr>"#,
                sev.label(lang)
            );
        }
        h.push_str("</table>\n");
        let _ = writeln!(h, "<h2>{}</h2>", t("Findings", "发现"));
        for f in &report.findings {
            let feature = f
                .feature_name
                .clone()
                .or_else(|| f.feature.id.clone())
                .unwrap_or_else(|| format!("#{}", f.feature.index));
            let zone = match (&f.zone.id, &f.zone.name) {
                (Some(id), Some(name)) => format!("{} {id} ({name})", f.zone.layer),
                (Some(id), None) => format!("{} {id}", f.zone.layer),
                _ => f.zone.layer.clone(),
            };
            let _ = writeln!(
                h,
                r#"<article><h3><span class="sev {}">{}[{}]</span>{} {}</h3><p>{}</p><dl><dt>{}</dt><dd>{}</dd><dt>{}</dt><dd>{}</dd><dt>{}</dt><dd>{}</dd><dt>{}</dt><dd>{}{}</dd></dl></article>"#,
                f.severity,
                f.severity.label(lang),
                xml_escape(&f.code),
                if f.undetermined.is_some() {
                    match lang {
                        Lang::En => r#" <span class="undetermined">undetermined</span>"#,
                        Lang::Zh => r#" <span class="undetermined">无法判定</span>"#,
                    }
                } else {
                    ""
                },
                xml_escape(&feature),
                xml_escape(&f.message),
                t("measured", "实测"),
                xml_escape(&measure_text(f, lang)),
                t("zone", "区域"),
                xml_escape(&zone),
                t("feature", "项目"),
                xml_escape(&f.feature.to_string()),
                t("law", "法律依据"),
                xml_escape(&f.citation.to_string()),
                f.citation
                    .url
                    .as_deref()
                    .map(|u| format!(" — {}", xml_escape(u)))
                    .unwrap_or_default()
            );
        }
        if !report.diagnostics.is_empty() {
            let _ = writeln!(h, "<h2>{}</h2>\n<ul>", t("Input problems", "输入问题"));
            for d in &report.diagnostics {
                let _ = writeln!(h, r#"<li class="diag">{}</li>"#, xml_escape(&d.to_string()));
            }
            h.push_str("</ul>\n");
        }
        h.push_str("</body></html>\n");
        out.write_all(h.as_bytes())
    }
}
