use super::{measure_text, xml_escape, Emitter, MapData, Report};
use crate::model::{Lang, Severity};
use geo::{Centroid, Coord, CoordsIter, Geometry, LineString, Polygon, Rect};
use std::fmt::Write as _;
use std::io::{self, Write};

/// One self-contained HTML file (no network): a summary by rule and severity, an SVG map of
/// the zones in view (each layer in its own colour, titled in the legend; zoom and pan by a
/// few lines of inline script), the proposals coloured by their worst finding and the
/// offending parts, labels that do not overlap, and every finding with its evidence, its
/// citation and what would resolve it.
pub struct Html;

pub(crate) const WIDTH: f64 = 960.0;
/// Colours for zone layers, one per layer and no two alike: a colour that says what a layer
/// is where its name tells (water blues, the red line red, farmland ochre, green space
/// green...), else the next unused one of a qualitative palette. The map page uses the same
/// (`GET /v1/layers` gives each layer's colour).
pub fn layer_colours(names: &[&str]) -> Vec<&'static str> {
    const KNOWN: &[(&[&str], &str)] = &[
        (&["yangtze"], "#1f78b4"),
        (&["major_trib"], "#08519c"),
        (&["trib", "river"], "#6baed6"),
        (&["blue_line", "blue"], "#00a6a6"),
        (&["drinking_water_ii", "water_ii"], "#c2a5cf"),
        (&["drinking_water_i", "drinking", "water_"], "#7b3294"),
        (&["red_line", "red"], "#e31a1c"),
        (&["farm"], "#b8860b"),
        (&["urban", "boundary"], "#6a3d9a"),
        (&["green", "park"], "#33a02c"),
        (&["wetland", "lake"], "#17becf"),
        (&["view", "corridor", "skyline"], "#ff7f00"),
        (&["district"], "#636363"),
        (&["mountain", "hill"], "#8c510a"),
    ];
    const PALETTE: &[&str] = &[
        "#a6761d", "#e7298a", "#66a61e", "#1b9e77", "#d95f02", "#7570b3", "#e6ab02", "#999999",
        "#bc80bd", "#fb8072", "#80b1d3", "#b3de69", "#fccde5", "#8dd3c7", "#ffed6f", "#bebada",
    ];
    let mut used: Vec<&'static str> = Vec::with_capacity(names.len());
    for name in names {
        let n = name.to_ascii_lowercase();
        let hinted = KNOWN
            .iter()
            .find(|(keys, _)| keys.iter().any(|k| n.contains(k)))
            .map(|(_, c)| *c)
            .filter(|c| !used.contains(c));
        let colour = hinted
            .or_else(|| PALETTE.iter().copied().find(|c| !used.contains(c)))
            .unwrap_or(PALETTE[used.len() % PALETTE.len()]);
        used.push(colour);
    }
    used
}

/// The start of a self-contained report page (the audit's, the indicators'): the document
/// head with its `title`, the styles every such page shares and `css` of its own, and the
/// opened body.
pub(crate) fn page_start(lang: Lang, title: &str, css: &str) -> String {
    format!(
        r#"<!DOCTYPE html>
<html lang="{}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{}</title>
<style>
body{{font-family:system-ui,"Noto Sans CJK SC","WenQuanYi Micro Hei",sans-serif;margin:24px auto;max-width:1000px;color:#222;padding:0 12px}}
h1{{font-size:1.5em}} h2{{font-size:1.15em;margin-top:1.6em;border-bottom:1px solid #ddd}}
table{{border-collapse:collapse;width:100%;font-size:.9em}} td,th{{border-bottom:1px solid #eee;padding:4px 6px;text-align:left;vertical-align:top}}
td.n,th.n{{text-align:right;font-variant-numeric:tabular-nums}}
.key{{display:inline-block;margin:2px 12px 2px 0;font-size:.85em}} .key i{{display:inline-block;width:14px;height:10px;margin-right:4px;vertical-align:middle}}
svg text{{font-size:12px}}
{css}
</style></head><body>
"#,
        lang.pick("en", "zh-CN"),
        super::xml_escape(title),
    )
}

/// Boundaries (the development boundary, districts) are drawn as outlines: their inside is
/// the city, not a zone to keep out of.
pub fn is_outline(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    n.contains("boundary") || n.contains("district")
}

pub(crate) fn severity_colour(s: Option<Severity>) -> &'static str {
    match s {
        Some(Severity::Prohibited) => "#c0152f",
        Some(Severity::RequiresApproval) | Some(Severity::RequiresAssessment) => "#e66101",
        Some(Severity::Notice) => "#2166ac",
        None => "#1a9850",
    }
}

/// Working-CRS coordinates to SVG pixels.
pub(crate) struct Frame {
    pub view: Rect<f64>,
    pub height: f64,
}

impl Frame {
    pub fn new(view: Rect<f64>) -> Frame {
        let height =
            ((WIDTH * view.height() / view.width().max(1e-9)).clamp(200.0, 1400.0)).round();
        Frame { view, height }
    }

    pub fn px(&self, c: Coord<f64>) -> (f64, f64) {
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
    pub fn shape(&self, g: &Geometry<f64>, attrs: &str) -> String {
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

/// Places labels without overlap: each tries the four sides of its point in turn and is left
/// off where none is free (the findings list names every feature).
struct Labels {
    placed: Vec<(f64, f64, f64, f64)>,
}

impl Labels {
    /// The label's box at a point: about 6.2 px per Latin character and 11 px per CJK one at
    /// 11 px text.
    fn size(text: &str) -> (f64, f64) {
        let w: f64 = text
            .chars()
            .map(|c| if (c as u32) > 0x2e80 { 11.0 } else { 6.2 })
            .sum();
        (w + 4.0, 13.0)
    }

    fn place(&mut self, x: f64, y: f64, text: &str, width: f64, height: f64) -> Option<(f64, f64)> {
        let (w, h) = Self::size(text);
        let candidates = [
            (x + 6.0, y - 4.0),
            (x - 6.0 - w, y - 4.0),
            (x - w / 2.0, y - 8.0),
            (x - w / 2.0, y + h + 4.0),
        ];
        for (lx, ly) in candidates {
            let b = (lx, ly - h + 2.0, lx + w, ly + 2.0);
            let inside = b.0 >= 0.0 && b.1 >= 0.0 && b.2 <= width && b.3 <= height;
            let free = self
                .placed
                .iter()
                .all(|p| b.2 <= p.0 || p.2 <= b.0 || b.3 <= p.1 || p.3 <= b.1);
            if inside && free {
                self.placed.push(b);
                return Some((lx, ly));
            }
        }
        None
    }
}

/// A few lines of script for zoom (wheel, buttons) and pan (drag) on the map: the report
/// stays one file and works without them.
const ZOOM_SCRIPT: &str = r#"<script>(()=>{const s=document.querySelector('svg.map');if(!s)return;const v=s.viewBox.baseVal,W=v.width,H=v.height;let d=null;function z(f,cx,cy){const nw=Math.min(W,Math.max(W/64,v.width*f)),nh=nw*H/W;v.x=cx-(cx-v.x)*nw/v.width;v.y=cy-(cy-v.y)*nh/v.height;v.width=nw;v.height=nh;}function pt(e){const r=s.getBoundingClientRect();return[v.x+(e.clientX-r.left)*v.width/r.width,v.y+(e.clientY-r.top)*v.height/r.height];}s.addEventListener('wheel',e=>{e.preventDefault();const[x,y]=pt(e);z(e.deltaY<0?0.8:1.25,x,y);},{passive:false});s.addEventListener('pointerdown',e=>{d=[e.clientX,e.clientY];s.setPointerCapture(e.pointerId);});s.addEventListener('pointermove',e=>{if(!d)return;const r=s.getBoundingClientRect();v.x-=(e.clientX-d[0])*v.width/r.width;v.y-=(e.clientY-d[1])*v.height/r.height;d=[e.clientX,e.clientY];});s.addEventListener('pointerup',()=>{d=null;});document.querySelectorAll('[data-zoom]').forEach(b=>b.addEventListener('click',()=>{const f=b.dataset.zoom;if(f==='reset'){v.x=0;v.y=0;v.width=W;v.height=H;}else z(+f,v.x+v.width/2,v.y+v.height/2);}));})();</script>"#;

/// The zone layers as SVG groups (each in its own colour; boundaries as dashed outlines),
/// and their legend keys: the check report's map and the audit report's share them.
pub(crate) fn zones_svg(frame: &Frame, layers: &[super::MapLayer]) -> (String, String) {
    let (mut svg, mut legend) = (String::new(), String::new());
    let names: Vec<&str> = layers.iter().map(|l| l.name.as_str()).collect();
    let colours = layer_colours(&names);
    for (layer, colour) in layers.iter().zip(&colours) {
        let outline = is_outline(&layer.name);
        let _ = write!(
            svg,
            r#"<g class="layer" data-layer="{}">"#,
            xml_escape(&layer.name)
        );
        let area_style = if outline {
            format!(r#"fill="none" stroke="{colour}" stroke-width="1.5" stroke-dasharray="6 4""#)
        } else {
            format!(r#"fill="{colour}" fill-opacity="0.25" stroke="none""#)
        };
        for p in &layer.areas {
            svg.push_str(&frame.shape(&Geometry::Polygon(p.clone()), &area_style));
        }
        for l in &layer.lines {
            svg.push_str(&frame.shape(
                &Geometry::LineString(l.clone()),
                &format!(r#"fill="none" stroke="{colour}" stroke-width="2""#),
            ));
        }
        svg.push_str("</g>");
        let swatch = if outline {
            format!("border:2px dashed {colour}")
        } else {
            format!("background:{colour}")
        };
        let _ = write!(
            legend,
            r#"<span class="key" title="{}"><i style="{swatch}"></i>{}</span>"#,
            xml_escape(&layer.name),
            xml_escape(layer.title.as_deref().unwrap_or(&layer.name))
        );
    }
    (svg, legend)
}

fn map_svg(map: &MapData, report: &Report) -> String {
    let Some(view) = map.view else {
        return String::new();
    };
    let frame = Frame::new(view);
    let mut svg = format!(
        r##"<svg class="map" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {h}" width="{WIDTH}" height="{h}" role="img" aria-label="map of zones and proposals"><rect x="-100000" y="-100000" width="200000" height="200000" fill="#fbfaf5"/>"##,
        h = frame.height
    );
    let mut legend = String::new();
    if let Some(r) = &map.relief {
        let _ = write!(
            svg,
            r#"<image class="relief" data-dem="{}" x="0" y="0" width="{WIDTH}" height="{}" preserveAspectRatio="none" opacity="0.8" href="data:image/png;base64,{}"/>"#,
            xml_escape(&r.dem),
            frame.height,
            crate::dem::relief::base64(&r.png)
        );
        let title = r.title.as_deref().unwrap_or(&r.dem);
        let _ = write!(
            legend,
            r#"<span class="key" title="{}"><i style="background:linear-gradient(135deg,#fff,#777)"></i>{}</span>"#,
            xml_escape(&r.dem),
            xml_escape(&format!(
                "{} ({})",
                report.lang.pick("terrain, hillshade", "地形晕渲"),
                title
            ))
        );
    }
    let (zones, keys) = zones_svg(&frame, &map.layers);
    svg.push_str(&zones);
    legend.push_str(&keys);
    for f in &map.footprints {
        let colour = severity_colour(f.worst);
        svg.push_str(&frame.shape(
            &f.geometry,
            &format!(r#"fill="{colour}" fill-opacity="0.5" stroke="{colour}" stroke-width="1.5""#),
        ));
    }
    for f in &report.findings {
        if let Some(g) = &f.geometry {
            let colour = severity_colour(Some(f.severity));
            svg.push_str(&frame.shape(g, &format!(r#"class="offending" fill="{colour}" fill-opacity="0.9" stroke="{colour}" stroke-width="3""#)));
        }
    }
    // Labels last, on top, and never over one another.
    let mut labels = Labels { placed: Vec::new() };
    for f in &map.footprints {
        let Some(c) = f.geometry.centroid() else {
            continue;
        };
        let (x, y) = frame.px(c.0);
        let colour = severity_colour(f.worst);
        let _ = write!(svg, r#"<circle cx="{x}" cy="{y}" r="3" fill="{colour}"/>"#);
        let text: String = f.label.chars().take(24).collect();
        if let Some((lx, ly)) = labels.place(x, y, &text, WIDTH, frame.height) {
            let _ = write!(
                svg,
                r##"<text x="{lx:.1}" y="{ly:.1}" font-size="11" paint-order="stroke" stroke="#fbfaf5" stroke-width="3">{}</text>"##,
                xml_escape(&text)
            );
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
    let buttons = format!(
        r#"<div class="zoom"><button type="button" data-zoom="0.5">+</button><button type="button" data-zoom="2">−</button><button type="button" data-zoom="reset">{}</button> <small>{}</small></div>"#,
        t("reset", "复位"),
        t("scroll to zoom, drag to pan", "滚轮缩放，拖动平移")
    );
    format!(r#"<figure>{buttons}{svg}<figcaption>{legend}</figcaption></figure>{ZOOM_SCRIPT}"#)
}

const STYLE: &str = "body{font:15px/1.45 system-ui,sans-serif;margin:2em auto;max-width:1000px;color:#222}h1{font-size:1.6em}table{border-collapse:collapse;width:100%}td,th{border-bottom:1px solid #ddd;padding:.3em .5em;text-align:left;vertical-align:top}.sev{font-weight:bold;white-space:nowrap}.prohibited{color:#c0152f}.requires-approval,.requires-assessment{color:#e66101}.notice{color:#2166ac}.key{margin-right:1em;white-space:nowrap}.key i{display:inline-block;width:.9em;height:.9em;margin-right:.3em;vertical-align:middle}article{border-left:4px solid #ccc;padding:.2em 1em;margin:1em 0}dt{font-weight:bold}figure{margin:0}svg{border:1px solid #ccc;max-width:100%;height:auto;touch-action:none;cursor:grab}.zoom button{margin-right:.3em}.resolve{color:#0b5d1e}.diag{color:#c0152f}.undetermined{color:#762a83;font-weight:bold}";

impl Emitter for Html {
    fn emit(&self, out: &mut dyn Write, report: &Report) -> io::Result<()> {
        let s = &report.summary;
        let lang = report.lang;
        let t = |en, zh| lang.pick(en, zh);
        let title = match &report.project {
            Some(p) => format!(
                "{} — {}",
                t("ironrule report", "ironrule 审查报告"),
                xml_escape(p)
            ),
            None => t("ironrule report", "ironrule 审查报告").to_owned(),
        };
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
            Lang::En => write!(h, "<h1>{title}</h1>\n<p>{} read, {} checked, {} rejected; <strong>{}</strong>{undetermined}.</p>\n", crate::model::count(s.read, "feature", "features"), s.checked, s.rejected, crate::model::count(s.findings, "finding", "findings")),
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
                r#"<article><h3><span class="sev {}">{}[{}]</span>{} {}</h3><p>{}</p><dl><dt>{}</dt><dd>{}</dd>{}<dt>{}</dt><dd>{}</dd><dt>{}</dt><dd>{}</dd><dt>{}</dt><dd>{}{}</dd></dl></article>"#,
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
                super::resolution(f, lang)
                    .map(|r| format!(
                        r#"<dt>{}</dt><dd class="resolve">{}</dd>"#,
                        t("to resolve", "整改"),
                        xml_escape(&r)
                    ))
                    .unwrap_or_default(),
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
