//! P6, terrain: the share of a footprint steeper than a slope (M1), and a building's top
//! against a height above sea level (H4), measured on a DEM.
//!
//! Both count the DEM cells whose centres lie in the footprint, boundary included (a
//! footprint that holds no centre is measured at the cell under its centroid), in the DEM's
//! own CRS: the footprint is taken there, the DEM is never resampled. Nodata cells are left
//! out and counted. Where no cell has a value (nodata, beyond the DEM, or a strip that cannot
//! be read) the rule cannot be decided: the result is [`MeasureKind::TerrainMissing`], which
//! the checker reports undetermined — never a pass.

use super::attribute::Limit;
use super::Hit;
use crate::dem::{slope::slope_deg, Cells, Dem, Window};
use crate::geom::Footprint;
use crate::model::{MeasureKind, Terrain};
use geo::{BooleanOps, Geometry, MultiPolygon, Polygon, Rect};

/// A terrain rule's result: the hit and what was measured.
#[derive(Clone, Debug)]
pub struct TerrainHit {
    pub hit: Hit,
    pub terrain: Terrain,
    /// Why the DEM gave nothing, for a [`MeasureKind::TerrainMissing`] hit.
    pub missing: Option<Missing>,
}

/// Why a DEM had nothing to say under a footprint.
#[derive(Clone, Debug, PartialEq)]
pub enum Missing {
    /// The footprint lies beyond the DEM's edge.
    Beyond,
    /// Every cell under the footprint is nodata.
    Nodata(usize),
    /// The DEM could not be read there (a corrupt strip or tile), or the footprint could not
    /// be taken into its CRS.
    Unreadable(String),
    /// The footprint spans more DEM cells than a rule reads at once.
    TooLarge(u64),
}

impl Missing {
    /// In words, in `lang`.
    pub fn text(&self, dem: &str, lang: crate::model::Lang) -> String {
        use crate::model::Lang;
        match (self, lang) {
            (Missing::Beyond, Lang::En) => format!("the footprint lies beyond the DEM '{dem}'"),
            (Missing::Beyond, Lang::Zh) => format!("用地超出高程模型“{dem}”的范围"),
            (Missing::Nodata(n), Lang::En) => {
                format!("the DEM '{dem}' has no value under the footprint ({})", crate::model::count(*n, "nodata cell", "nodata cells"))
            }
            (Missing::Nodata(n), Lang::Zh) => {
                format!("高程模型“{dem}”在用地范围内无有效值（{n} 个无数据像元）")
            }
            (Missing::Unreadable(why), Lang::En) => {
                format!("the DEM '{dem}' could not be read there: {why}")
            }
            (Missing::Unreadable(why), Lang::Zh) => {
                format!("高程模型“{dem}”在此处无法读取：{why}")
            }
            (Missing::TooLarge(n), Lang::En) => format!(
                "the footprint spans about {n} cells of the DEM '{dem}', more than the {} a rule reads at once: split it, or use a coarser DEM",
                crate::dem::MAX_FOOTPRINT_CELLS
            ),
            (Missing::TooLarge(n), Lang::Zh) => format!(
                "用地跨越高程模型“{dem}”约 {n} 个像元，超过单条规则一次读取的上限 {}：请拆分用地或使用较粗的高程模型",
                crate::dem::MAX_FOOTPRINT_CELLS
            ),
        }
    }
}

/// The footprint's cells on the DEM and the window around them (one cell wider, for
/// slopes); `Err` with the reason when the DEM has nothing to say.
fn sample(dem: &Dem, fp: &Footprint) -> Result<(Cells, Window), Missing> {
    let g = dem
        .from_working(&fp.to_geometry())
        .map_err(Missing::Unreadable)?;
    let cells = dem.cells(&g);
    if let Some(n) = cells.too_many {
        return Err(Missing::TooLarge(n));
    }
    let (mut c0, mut r0, mut c1, mut r1) = (i64::MAX, i64::MAX, i64::MIN, i64::MIN);
    for &(c, r) in &cells.inside {
        (c0, r0, c1, r1) = (c0.min(c), r0.min(r), c1.max(c), r1.max(r));
    }
    if cells.inside.is_empty() {
        return Err(Missing::Beyond);
    }
    let win = dem
        .window(c0 - 1, r0 - 1, c1 + 2, r1 + 2)
        .map_err(Missing::Unreadable)?;
    Ok((cells, win))
}

fn missing(dem: &Dem, fp: &Footprint, why: Missing, terrain: Terrain) -> TerrainHit {
    TerrainHit {
        hit: Hit {
            zone: None,
            kind: MeasureKind::TerrainMissing,
            value: 0.0,
            share: None,
            nearest: None,
            geometry: Some(fp.to_geometry()),
        },
        terrain: Terrain {
            dem: dem.name.clone(),
            ..terrain
        },
        missing: Some(why),
    }
}

/// M1: fires when more than `max_share_pct` % of the footprint's cells are steeper than
/// `max_slope_deg` (strictly). The measure is that share, %; the evidence the steepest slope,
/// the steep cells and their area on the ground; the offending part the steep cells within
/// the footprint.
pub fn slope(
    dem: &Dem,
    fp: &Footprint,
    max_slope_deg: f64,
    max_share_pct: f64,
) -> Option<TerrainHit> {
    let (cells, win) = match sample(dem, fp) {
        Ok(s) => s,
        Err(why) => return Some(missing(dem, fp, why, Terrain::default())),
    };
    let mut t = Terrain {
        dem: dem.name.clone(),
        outside_cells: cells.outside,
        by_centroid: cells.by_centroid,
        ..Terrain::default()
    };
    let mut steepest = f64::NEG_INFINITY;
    let mut steep: Vec<(i64, i64)> = Vec::new();
    let mut steep_area = 0.0;
    for &(c, r) in &cells.inside {
        match slope_deg(dem, &win, c, r) {
            None => t.nodata_cells += 1,
            Some(s) => {
                t.cells += 1;
                steepest = steepest.max(s);
                if s > max_slope_deg {
                    let (w, h) = dem.cell_metres(r);
                    steep_area += w * h;
                    steep.push((c, r));
                }
            }
        }
    }
    if t.cells == 0 {
        let why = Missing::Nodata(t.nodata_cells);
        return Some(missing(dem, fp, why, t));
    }
    let share = steep.len() as f64 / t.cells as f64 * 100.0;
    if share <= max_share_pct || steep.is_empty() {
        return None;
    }
    t.steepest_deg = Some(steepest);
    t.steep_cells = Some(steep.len());
    t.steep_area_m2 = Some(steep_area);
    let geometry = if cells.by_centroid {
        fp.to_geometry()
    } else {
        steep_part(dem, fp, &steep)
    };
    Some(TerrainHit {
        hit: Hit {
            zone: None,
            kind: MeasureKind::SteepShare,
            value: share,
            share: None,
            nearest: None,
            geometry: Some(geometry),
        },
        terrain: t,
        missing: None,
    })
}

/// The steep cells (row runs merged into rectangles), in the working CRS, within an areal
/// footprint.
fn steep_part(dem: &Dem, fp: &Footprint, steep: &[(i64, i64)]) -> Geometry<f64> {
    let mut cells = steep.to_vec();
    cells.sort_unstable_by_key(|&(c, r)| (r, c));
    let t = dem.transform;
    let mut rects: Vec<Polygon<f64>> = Vec::new();
    let mut i = 0;
    while i < cells.len() {
        let (c0, r) = cells[i];
        let mut c1 = c0;
        while i + 1 < cells.len() && cells[i + 1] == (c1 + 1, r) {
            c1 += 1;
            i += 1;
        }
        i += 1;
        let x0 = t[0] + c0 as f64 * t[1];
        let x1 = t[0] + (c1 + 1) as f64 * t[1];
        let y0 = t[3] + r as f64 * t[5];
        let y1 = t[3] + (r + 1) as f64 * t[5];
        rects.push(Rect::new((x0, y0), (x1, y1)).to_polygon());
    }
    let mut g = Geometry::MultiPolygon(MultiPolygon(rects));
    if dem.to_working(&mut g).is_err() {
        return fp.to_geometry();
    }
    match (fp, g) {
        (Footprint::Areal(mp), Geometry::MultiPolygon(cells)) => {
            let part = mp.intersection(&cells);
            if part.0.is_empty() {
                Geometry::MultiPolygon(cells)
            } else {
                Geometry::MultiPolygon(part)
            }
        }
        (_, g) => g,
    }
}

/// The highest ground under a footprint: the highest of the cells it holds (centres inside,
/// boundary included; else the cell under its centroid), with what was counted.
pub fn ground(dem: &Dem, fp: &Footprint) -> Result<(f64, Terrain), Missing> {
    let (cells, win) = sample(dem, fp)?;
    let mut t = Terrain {
        dem: dem.name.clone(),
        outside_cells: cells.outside,
        by_centroid: cells.by_centroid,
        ..Terrain::default()
    };
    let mut ground = f64::NEG_INFINITY;
    for &(c, r) in &cells.inside {
        let z = win.at(c, r);
        if z.is_nan() {
            t.nodata_cells += 1;
        } else {
            t.cells += 1;
            ground = ground.max(z);
        }
    }
    if t.cells == 0 {
        return Err(Missing::Nodata(t.nodata_cells));
    }
    t.ground_m = Some(ground);
    Ok((ground, t))
}

/// H4: fires when the building's top, the highest ground under the footprint plus its
/// `height` (metres), is above `limit`. `height` `None`: the attribute is missing (the
/// result is then undetermined, measured as far as it goes).
pub fn elevation(
    dem: &Dem,
    fp: &Footprint,
    height: Option<f64>,
    limit: &Limit,
) -> Option<TerrainHit> {
    let (ground, mut t) = match ground(dem, fp) {
        Ok(g) => g,
        Err(why) => return Some(missing(dem, fp, why, Terrain::default())),
    };
    let hit = |kind, value| Hit {
        zone: limit.zone,
        kind,
        value,
        share: None,
        nearest: None,
        geometry: Some(fp.to_geometry()),
    };
    match height {
        None => Some(TerrainHit {
            hit: hit(MeasureKind::AttributeMissing, 0.0),
            terrain: t,
            missing: None,
        }),
        Some(h) => {
            let top = ground + h;
            if top <= limit.allowed {
                return None;
            }
            t.height_m = Some(h);
            t.top_m = Some(top);
            t.excess_m = Some(top - limit.allowed);
            Some(TerrainHit {
                hit: hit(MeasureKind::TopElevation, top),
                terrain: t,
                missing: None,
            })
        }
    }
}

/// What a terrain finding's message adds: the cells counted and left out, the steepest slope
/// and steep area, or the ground, height and top.
pub fn evidence_text(t: &Terrain, lang: crate::model::Lang) -> String {
    use crate::model::{fmt_num, Lang};
    let mut parts: Vec<String> = Vec::new();
    let en = lang == Lang::En;
    if let (Some(s), Some(n), Some(a)) = (t.steepest_deg, t.steep_cells, t.steep_area_m2) {
        parts.push(if en {
            format!(
                "steepest {}°; {n} of {} cells steeper, {} m²",
                fmt_num(s),
                t.cells,
                fmt_num(a)
            )
        } else {
            format!(
                "最大坡度 {}°；{} 个像元中 {n} 个超限，面积 {} 平方米",
                fmt_num(s),
                t.cells,
                fmt_num(a)
            )
        });
    }
    if let (Some(g), Some(h), Some(top), Some(x)) = (t.ground_m, t.height_m, t.top_m, t.excess_m) {
        parts.push(if en {
            format!(
                "ground {} m + height {} m = top {} m above sea level, {} m too high",
                fmt_num(g),
                fmt_num(h),
                fmt_num(top),
                fmt_num(x)
            )
        } else {
            format!(
                "地面 {} 米 + 建筑高度 {} 米 = 顶部海拔 {} 米，超出 {} 米",
                fmt_num(g),
                fmt_num(h),
                fmt_num(top),
                fmt_num(x)
            )
        });
    }
    if t.by_centroid {
        parts.push(if en {
            "the footprint holds no cell centre: measured at the cell under its centroid".into()
        } else {
            "用地内无像元中心，按其形心所在像元计".into()
        });
    }
    if t.nodata_cells > 0 {
        parts.push(if en {
            format!(
                "{} left out",
                crate::model::count(t.nodata_cells, "nodata cell", "nodata cells")
            )
        } else {
            format!("{} 个无数据像元未计入", t.nodata_cells)
        });
    }
    if t.outside_cells > 0 {
        parts.push(if en {
            format!(
                "{} beyond the DEM left out",
                crate::model::count(t.outside_cells, "cell", "cells")
            )
        } else {
            format!("{} 个超出高程模型范围的像元未计入", t.outside_cells)
        });
    }
    if parts.is_empty() {
        return String::new();
    }
    let dem = &t.dem;
    if en {
        format!(" (on {dem}: {})", parts.join("; "))
    } else {
        format!("（{dem}：{}）", parts.join("；"))
    }
}
