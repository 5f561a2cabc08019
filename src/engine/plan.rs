//! The regulatory plan (控制性详细规划): a proposal against the planning parcels it stands
//! on. Per parcel, the part of the footprint on it is measured (as an overlap, so touching a
//! parcel line is not standing on the parcel), and:
//!
//! - **land use**: the proposed use against the parcel's planned use, by the rule's
//!   compatibility table ([`crate::rules::land_use`]);
//! - **plan limits**: the height against `max_height_m`; the floor-area ratio (the floor area
//!   standing on the parcel ÷ its area) against `max_far`; the coverage (the footprint on the
//!   parcel ÷ its area) against `max_coverage_pct`; the green ratio (the green area on the
//!   parcel ÷ its area) against `min_green_pct`; and the distance from the footprint to the
//!   parcel's line against `setback_m`. A proposal on several parcels counts its floor and
//!   green area on each in proportion to its footprint there;
//! - **fit**: the part outside every parcel (within the plan's coverage), or a footprint
//!   across a parcel line.
//!
//! A parcel without a limit sets none; a limit that cannot be read, a proposal without the
//! value a limit needs, or a use the classification does not know is undetermined (never a
//! pass).

use super::{overlap::overlap, within::within, Hit};
use crate::geom::nearest::{chains, Nearest};
use crate::geom::{expand, Footprint};
use crate::index::ZoneLayer;
use crate::model::{
    fmt_num, Lang, MeasureKind, ParcelPart, Plan, PlanGap, Properties, Severity, UseRef, Verdict,
};
use crate::rules::land_use::{Classification, Compatibility};
use crate::rules::rule::{Fit, PlanLimit};
use geo::{Geometry, MultiPolygon};

/// The parcel attribute holding the planned use (a code or name of the classification).
pub const PLANNED_USE: &str = "land_use_code";

/// One result of a plan test: the hit, the limit it broke, what set it (for people), the
/// evidence, and a severity other than the rule's (a conditional use).
#[derive(Clone, Debug)]
pub struct PlanHit {
    pub hit: Hit,
    pub limit: f64,
    pub label: String,
    pub plan: Plan,
    pub severity: Option<Severity>,
}

/// The footprint's parts on the parcels (overlaps above 1 mm², 1 µm or a point strictly
/// inside), in parcel order: worked out once per feature and given to each plan test.
pub fn parts(fp: &Footprint, parcels: &ZoneLayer) -> Vec<Hit> {
    overlap(fp, parcels, 0.0)
}

/// The evidence every plan result starts from: the parcel, its area, the part on it.
fn base(fp: &Footprint, parcels: &ZoneLayer, part: &Hit) -> Plan {
    let z = part.zone.map(|z| &parcels.zones[z]);
    Plan {
        parcel: z.map(|z| z.id.clone()),
        parcel_area_m2: z.map(|z| z.area_m2),
        part: Some(part.value),
        footprint_area_m2: fp.area_m2(),
        ..Plan::default()
    }
}

/// A use as written: text, or a number as its code (a numeric field's `701.0` is `701`).
fn text(v: Option<&serde_json::Value>) -> Option<String> {
    crate::rules::dictionary::written(v?)
}

fn use_ref(c: &crate::rules::land_use::Class) -> UseRef {
    UseRef {
        code: c.code.clone(),
        name: c.name.clone(),
    }
}

/// The parcel's name for people: "parcel DK-03".
fn parcel_label(parcels: &ZoneLayer, zone: usize, lang: Lang) -> String {
    let z = &parcels.zones[zone];
    match (&z.name, lang) {
        (Some(n), Lang::En) => format!("parcel {} ({n})", z.id),
        (Some(n), Lang::Zh) => format!("地块 {}（{n}）", z.id),
        (None, Lang::En) => format!("parcel {}", z.id),
        (None, Lang::Zh) => format!("地块 {}", z.id),
    }
}

/// Land use (P4 on the plan): per parcel stood on, the proposed use against the planned one.
#[allow(clippy::too_many_arguments)]
pub fn land_use(
    fp: &Footprint,
    props: &Properties,
    parcels: &ZoneLayer,
    parts: &[Hit],
    classes: &Classification,
    table: &Compatibility,
    proposed_field: &str,
    conditional: Severity,
    lang: Lang,
) -> Vec<PlanHit> {
    if parts.is_empty() {
        return Vec::new();
    }
    let proposed = text(props.get(proposed_field)).and_then(|t| classes.resolve(&t));
    let mut out = Vec::new();
    for part in parts {
        let Some(zone) = part.zone else { continue };
        let mut plan = base(fp, parcels, part);
        let written = text(parcels.zones[zone].properties.get(PLANNED_USE));
        let planned = written.as_deref().and_then(|t| classes.resolve(t));
        plan.planned_use = planned.map(use_ref);
        plan.proposed_use = proposed.map(use_ref);
        let mut label = parcel_label(parcels, zone, lang);
        if let Some(p) = planned {
            label.push_str(&match lang {
                Lang::En => format!(", planned {} {}", p.code, p.name),
                Lang::Zh => format!("，规划用地 {} {}", p.code, p.name),
            });
        }
        let mut severity = None;
        match (planned, proposed) {
            (None, _) => {
                plan.gap = Some(PlanGap::PlannedUse {
                    parcel: parcels.zones[zone].id.clone(),
                    written,
                });
            }
            (_, None) => {
                plan.gap = Some(PlanGap::ProposedUse {
                    field: proposed_field.to_owned(),
                });
            }
            (Some(p), Some(q)) => match table.decide(&p.code, &q.code) {
                None => {
                    plan.gap = Some(PlanGap::Table {
                        planned: p.code.clone(),
                    })
                }
                Some(d) => {
                    plan.verdict = Some(d.verdict);
                    plan.decided_by = Some([d.row, d.entry]);
                    match d.verdict {
                        Verdict::Allowed => continue,
                        Verdict::Conditional => severity = Some(conditional),
                        Verdict::Prohibited => {}
                    }
                }
            },
        }
        let hit = Hit {
            kind: MeasureKind::UseConflict,
            ..part.clone()
        };
        out.push(PlanHit {
            hit,
            limit: 0.0,
            label,
            plan,
            severity,
        });
    }
    out
}

/// A parcel's limit: `Ok(None)` where the plan sets none, `Err` for a value that cannot be
/// read as a number (undetermined).
fn parcel_limit(parcels: &ZoneLayer, zone: usize, field: &str) -> Result<Option<f64>, PlanGap> {
    let z = &parcels.zones[zone];
    match z.properties.get(field) {
        None | Some(serde_json::Value::Null) => Ok(None),
        Some(v) => match v.as_f64().filter(|x| x.is_finite() && *x >= 0.0) {
            Some(x) => Ok(Some(x)),
            None => Err(PlanGap::ParcelLimit {
                parcel: z.id.clone(),
                field: field.to_owned(),
                written: crate::rules::dictionary::invalid(v)
                    .and_then(|m| m.get("value"))
                    .unwrap_or(v)
                    .to_string(),
            }),
        },
    }
}

/// The fields a plan-limits test reads from proposals.
pub struct Fields<'a> {
    pub height: &'a str,
    pub floor_area: &'a str,
    pub green_area: &'a str,
}

/// The distance from the footprint to a parcel's line, with the nearest points, searching
/// `reach` metres around the footprint; `None` when the line is farther. A line that runs
/// inside a plot's area (a parcel wholly under a big footprint) is at 0 m.
fn to_parcel_line(fp: &Footprint, parcels: &ZoneLayer, zone: usize, reach: f64) -> Option<Nearest> {
    use geo::Intersects;
    let bbox = expand(fp.bbox()?, reach);
    let mut best = Nearest::FAR;
    let lines = fp.linework();
    for e in parcels.edges_in(bbox).filter(|e| e.zone == zone) {
        if let (Footprint::Areal(mp), Some(&c)) = (fp, e.coords.0.first()) {
            if mp.intersects(&c) {
                return Some(Nearest {
                    distance: 0.0,
                    a: c,
                    b: c,
                });
            }
        }
        for l in &lines {
            chains(&l.0, &e.coords.0, &mut best);
        }
        if lines.is_empty() {
            for c in fp.representative_coords() {
                chains(&[c], &e.coords.0, &mut best);
            }
        }
    }
    (best.distance <= reach).then_some(best)
}

/// Plan limits (P4 on the plan): per parcel stood on, each of `limits` the parcel sets.
pub fn plan_limits(
    fp: &Footprint,
    props: &Properties,
    parcels: &ZoneLayer,
    parts: &[Hit],
    limits: &[PlanLimit],
    fields: &Fields<'_>,
    lang: Lang,
) -> Vec<PlanHit> {
    let value = |f: &str| {
        props
            .get(f)
            .and_then(|v| v.as_f64())
            .filter(|v| v.is_finite() && *v >= 0.0)
    };
    let fp_area = fp.area_m2();
    let areal = matches!(fp, Footprint::Areal(_));
    let mut out = Vec::new();
    for part in parts {
        let Some(zone) = part.zone else { continue };
        let parcel_area = parcels.zones[zone].area_m2;
        // The proposal's share on this parcel: floor and green area are counted by it.
        let share = if areal && fp_area > 0.0 {
            part.value / fp_area
        } else {
            0.0
        };
        let label = parcel_label(parcels, zone, lang);
        // A limit's result on this parcel: its measure against the limit, with the evidence.
        let hit_of = |limit: PlanLimit, value: f64, allowed: f64, plan: Plan| PlanHit {
            hit: Hit {
                kind: kind_of(limit),
                value,
                ..part.clone()
            },
            limit: allowed,
            label: label.clone(),
            plan,
            severity: None,
        };
        for &limit in limits {
            let mut plan = base(fp, parcels, part);
            let field = limit.field();
            let allowed = match parcel_limit(parcels, zone, field) {
                Ok(Some(x)) => x,
                Ok(None) => continue,
                Err(gap) => {
                    plan.gap = Some(gap);
                    out.push(hit_of(limit, 0.0, 0.0, plan));
                    continue;
                }
            };
            // Ratios need areas: a road or a point has no floor-area ratio or coverage.
            if !areal
                && matches!(
                    limit,
                    PlanLimit::Far | PlanLimit::Coverage | PlanLimit::Green
                )
            {
                continue;
            }
            let needs = |f: &str| {
                value(f).ok_or_else(|| PlanGap::ProposalValue {
                    field: f.to_owned(),
                    limit: format!("{field} {}", fmt_num(allowed)),
                })
            };
            let pct = 100.0 / parcel_area.max(f64::MIN_POSITIVE);
            let measured: Result<(f64, bool), PlanGap> = match limit {
                PlanLimit::Height => needs(fields.height).map(|h| (h, h > allowed)),
                PlanLimit::Far => needs(fields.floor_area).map(|f| {
                    plan.floor_area_m2 = Some(f * share);
                    let far = f * share / parcel_area.max(f64::MIN_POSITIVE);
                    (far, far > allowed)
                }),
                PlanLimit::Coverage => {
                    let c = part.value * pct;
                    Ok((c, c > allowed))
                }
                PlanLimit::Green => needs(fields.green_area).map(|g| {
                    plan.green_area_m2 = Some(g * share);
                    let r = g * share * pct;
                    (r, r < allowed)
                }),
                PlanLimit::Setback => {
                    if let Some(n) =
                        to_parcel_line(fp, parcels, zone, allowed).filter(|n| n.distance < allowed)
                    {
                        {
                            let hit = Hit {
                                zone: Some(zone),
                                kind: MeasureKind::ParcelSetback,
                                value: n.distance,
                                share: None,
                                nearest: Some([n.a, n.b]),
                                geometry: Some(if n.distance > 0.0 {
                                    Geometry::Line(geo::Line::new(n.a, n.b))
                                } else {
                                    Geometry::Point(n.a.into())
                                }),
                            };
                            out.push(PlanHit {
                                hit,
                                limit: allowed,
                                label: label.clone(),
                                plan,
                                severity: None,
                            });
                        }
                    }
                    continue;
                }
            };
            match measured {
                Ok((_, false)) => {}
                Ok((v, true)) => out.push(hit_of(limit, v, allowed, plan)),
                Err(gap) => {
                    plan.gap = Some(gap);
                    out.push(hit_of(limit, 0.0, allowed, plan));
                }
            }
        }
    }
    out
}

/// The measure a limit's result carries.
fn kind_of(limit: PlanLimit) -> MeasureKind {
    match limit {
        PlanLimit::Height => MeasureKind::PlanHeight,
        PlanLimit::Far => MeasureKind::FloorAreaRatio,
        PlanLimit::Coverage => MeasureKind::Coverage,
        PlanLimit::Green => MeasureKind::GreenRatio,
        PlanLimit::Setback => MeasureKind::ParcelSetback,
    }
}

/// Fit: the part of the footprint outside every parcel (inside `cover`, the plan's coverage,
/// when given; else only for a footprint standing partly on a parcel), or a footprint with
/// parts of at least `min_area_m2` on two parcels or more.
pub fn fit(
    fp: &Footprint,
    parcels: &ZoneLayer,
    parts: &[Hit],
    cover: Option<&ZoneLayer>,
    fit: Fit,
    min_area_m2: f64,
    lang: Lang,
) -> Option<PlanHit> {
    let mut plan = Plan {
        footprint_area_m2: fp.area_m2(),
        ..Plan::default()
    };
    match fit {
        Fit::Straddle => {
            let parts: Vec<&Hit> = parts
                .iter()
                .filter(|p| p.kind != MeasureKind::OverlapArea || p.value >= min_area_m2)
                .collect();
            if parts.len() < 2 {
                return None;
            }
            plan.parcels = parts
                .iter()
                .filter_map(|p| {
                    let z = &parcels.zones[p.zone?];
                    Some(ParcelPart {
                        parcel: z.id.clone(),
                        parcel_area_m2: z.area_m2,
                        part: p.value,
                    })
                })
                .collect();
            let ids: Vec<&str> = plan.parcels.iter().map(|p| p.parcel.as_str()).collect();
            let polygons: Vec<geo::Polygon<f64>> = parts
                .iter()
                .filter_map(|p| match &p.geometry {
                    Some(Geometry::MultiPolygon(m)) => Some(m.0.clone()),
                    _ => None,
                })
                .flatten()
                .collect();
            let geometry = if polygons.is_empty() {
                fp.to_geometry()
            } else {
                Geometry::MultiPolygon(MultiPolygon(polygons))
            };
            Some(PlanHit {
                hit: Hit {
                    zone: None,
                    kind: MeasureKind::ParcelsSpanned,
                    value: parts.len() as f64,
                    share: None,
                    nearest: None,
                    geometry: Some(geometry),
                },
                limit: 1.0,
                label: match lang {
                    Lang::En => format!("parcels {}", ids.join(", ")),
                    Lang::Zh => format!("地块 {}", ids.join("、")),
                },
                plan,
                severity: None,
            })
        }
        Fit::Outside => {
            let outside = within(fp, &[parcels])?;
            let (value, kind, geometry) = match cover {
                None => {
                    // Without the plan's coverage, a proposal off every parcel is beyond the
                    // plan's reach; one partly on a parcel is judged.
                    if parts.is_empty() {
                        return None;
                    }
                    (outside.value, outside.kind, outside.geometry)
                }
                Some(cover) => {
                    let off = Footprint::from_geometry(outside.geometry?).ok()?;
                    let inside = overlap(&off, cover, 0.0);
                    let total: f64 = inside.iter().map(|h| h.value).sum();
                    let kind = match inside.first()?.kind {
                        MeasureKind::OverlapLength => MeasureKind::OutsideLength,
                        MeasureKind::OverlapPoints => MeasureKind::OutsidePoints,
                        _ => MeasureKind::OutsideArea,
                    };
                    let geometry = Geometry::GeometryCollection(geo::GeometryCollection(
                        inside.into_iter().filter_map(|h| h.geometry).collect(),
                    ));
                    (total, kind, Some(simplify_collection(geometry)))
                }
            };
            let share = (kind == MeasureKind::OutsideArea && plan.footprint_area_m2 > 0.0)
                .then(|| value / plan.footprint_area_m2);
            plan.part = Some(value);
            Some(PlanHit {
                hit: Hit {
                    zone: None,
                    kind,
                    value,
                    share,
                    nearest: None,
                    geometry,
                },
                limit: 0.0,
                label: lang
                    .pick("outside every parcel", "不在任何规划地块内")
                    .to_owned(),
                plan,
                severity: None,
            })
        }
    }
}

/// A collection of one geometry is that geometry; multipolygons are merged into one.
fn simplify_collection(g: Geometry<f64>) -> Geometry<f64> {
    let Geometry::GeometryCollection(c) = g else {
        return g;
    };
    if c.0.iter().all(|g| matches!(g, Geometry::MultiPolygon(_))) {
        let polygons =
            c.0.into_iter()
                .flat_map(|g| match g {
                    Geometry::MultiPolygon(m) => m.0,
                    _ => Vec::new(),
                })
                .collect();
        return Geometry::MultiPolygon(MultiPolygon(polygons));
    }
    match <[Geometry<f64>; 1]>::try_from(c.0) {
        Ok([one]) => one,
        Err(many) => Geometry::GeometryCollection(geo::GeometryCollection(many)),
    }
}

/// What a plan finding adds to its message: the parcel's area and the part on it, the uses
/// and the table's verdict, the floor or green area counted.
pub fn evidence_text(p: &Plan, lang: Lang) -> String {
    let mut parts: Vec<String> = Vec::new();
    if let (Some(a), Some(part)) = (p.parcel_area_m2, p.part) {
        // The part is an area for a plot; a length or a count for line and point work.
        let unit = if p.footprint_area_m2 > 0.0 {
            lang.pick(" m²", " 平方米")
        } else {
            ""
        };
        parts.push(match lang {
            Lang::En => format!("parcel {} m², {}{unit} on it", fmt_num(a), fmt_num(part)),
            Lang::Zh => format!(
                "地块面积 {} 平方米，其上 {}{unit}",
                fmt_num(a),
                fmt_num(part)
            ),
        });
    }
    if let (Some(q), Some(v)) = (&p.proposed_use, p.verdict) {
        parts.push(match lang {
            Lang::En => format!("proposed {} {}: {}", q.code, q.name, v.text_in(lang)),
            Lang::Zh => format!("拟建 {} {}：{}", q.code, q.name, v.text_in(lang)),
        });
    }
    if let Some(f) = p.floor_area_m2 {
        parts.push(match lang {
            Lang::En => format!("floor area counted on it {} m²", fmt_num(f)),
            Lang::Zh => format!("计入该地块的建筑面积 {} 平方米", fmt_num(f)),
        });
    }
    if let Some(g) = p.green_area_m2 {
        parts.push(match lang {
            Lang::En => format!("green area counted on it {} m²", fmt_num(g)),
            Lang::Zh => format!("计入该地块的绿地面积 {} 平方米", fmt_num(g)),
        });
    }
    if !p.parcels.is_empty() {
        let list: Vec<String> = p
            .parcels
            .iter()
            .map(|x| format!("{} {} m²", x.parcel, fmt_num(x.part)))
            .collect();
        parts.push(match lang {
            Lang::En => format!("on {}", list.join(", ")),
            Lang::Zh => format!("分别位于 {}", list.join("、")),
        });
    }
    if parts.is_empty() {
        return String::new();
    }
    match lang {
        Lang::En => format!(" ({})", parts.join("; ")),
        Lang::Zh => format!("（{}）", parts.join("；")),
    }
}

/// What the plan calls a parcel limit field, in Chinese.
fn limit_title_zh(field: &str) -> &str {
    PlanLimit::ALL
        .into_iter()
        .find(|l| l.field() == field)
        .map_or(field, |l| match l {
            PlanLimit::Height => "建筑限高",
            PlanLimit::Far => "容积率",
            PlanLimit::Coverage => "建筑密度",
            PlanLimit::Green => "绿地率",
            PlanLimit::Setback => "退线距离",
        })
}

/// Why a plan rule could not be decided, in `lang`; and the attributes it names.
pub fn gap_text(g: &PlanGap, classes_file: &str, lang: Lang) -> (String, Vec<String>) {
    match (g, lang) {
        (PlanGap::ProposedUse { field }, Lang::En) => (
            format!("its land use ({field}) is missing or is not a code or name of the classification ({classes_file})"),
            vec![field.clone()],
        ),
        (PlanGap::ProposedUse { field }, Lang::Zh) => (
            format!("用地性质（{field}）缺失，或不是用地分类（{classes_file}）中的代码或名称"),
            vec![field.clone()],
        ),
        (PlanGap::PlannedUse { parcel, written }, Lang::En) => (
            match written {
                Some(w) => format!("parcel {parcel}'s planned use '{w}' is not a code or name of the classification ({classes_file}): a data problem in the plan"),
                None => format!("parcel {parcel} has no planned use ({PLANNED_USE}): a data problem in the plan"),
            },
            Vec::new(),
        ),
        (PlanGap::PlannedUse { parcel, written }, Lang::Zh) => (
            match written {
                Some(w) => format!("地块 {parcel} 的规划用地性质“{w}”不是用地分类（{classes_file}）中的代码或名称：规划数据有误"),
                None => format!("地块 {parcel} 缺少规划用地性质（{PLANNED_USE}）：规划数据有误"),
            },
            Vec::new(),
        ),
        (PlanGap::Table { planned }, Lang::En) => (
            format!("the compatibility table has no row for planned use {planned} (nor its parent)"),
            Vec::new(),
        ),
        (PlanGap::Table { planned }, Lang::Zh) => (
            format!("兼容性表中没有规划用地 {planned}（及其上级类）的行"),
            Vec::new(),
        ),
        (PlanGap::ParcelLimit { parcel, field, written }, Lang::En) => (
            format!("parcel {parcel}'s {field} {written} is not a number: a data problem in the plan"),
            Vec::new(),
        ),
        (PlanGap::ParcelLimit { parcel, field, written }, Lang::Zh) => (
            format!(
                "地块 {parcel} 的{}（{field}）{written} 不是数字：规划数据有误",
                limit_title_zh(field)
            ),
            Vec::new(),
        ),
        (PlanGap::ProposalValue { field, limit }, Lang::En) => (
            format!("the parcel sets {limit}, and the proposal has no {field} (a number ≥ 0)"),
            vec![field.clone()],
        ),
        (PlanGap::ProposalValue { field, limit }, Lang::Zh) => (
            format!("地块规定 {limit}，而项目缺少 {field}（不小于0的数字）"),
            vec![field.clone()],
        ),
    }
}
