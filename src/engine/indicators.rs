//! Indicators (P5 as a system of measures): each of a pack's indicators per district of the
//! project's `group_by` layer, before and after a set of proposals, against its target. The
//! districts' bases and amounts add up to the city's (areas, shoreline lengths, counts), so
//! the totals reconcile: the city's share is the sum of the districts' amounts over the sum of
//! their bases, never an average of shares.

use super::setback::setback;
use super::share::{district_pieces, land_in, union_all};
use super::{Checked, Checker};
use crate::geom::Footprint;
use crate::index::ZoneLayer;
use crate::rules::indicators::{Direction, Formula, Indicator};
use geo::{Area, BooleanOps, BoundingRect, Coord, Euclidean, Intersects, Length};
use geo::{LineString, MultiLineString, MultiPolygon, Polygon};
use serde::Serialize;

/// An indicator in one district (or the city): the value before and after the proposals,
/// its target and whether each meets it. For shares, `amount ÷ base`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Value {
    pub before: f64,
    pub after: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub met_before: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub met_after: Option<bool>,
    /// What a share is of: the district's area (m²) or its shoreline (m).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub base: Option<f64>,
    /// The share's numerator before and after (m² of landscape, m of natural shoreline).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub amount_before: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub amount_after: Option<f64>,
}

impl Value {
    /// Whether the proposals break the target: it is missed after them, and was met before
    /// or is now further from it.
    pub fn broken(&self, direction: Direction) -> bool {
        let worse = match direction {
            Direction::AtLeast => self.after < self.before,
            Direction::AtMost => self.after > self.before,
        };
        self.met_after == Some(false) && (self.met_before == Some(true) || worse)
    }
}

/// One district's value.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct District {
    pub id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(flatten)]
    pub value: Value,
}

/// One indicator over the districts and the city.
#[derive(Clone, Debug, Serialize)]
pub struct Result {
    pub id: String,
    pub name: String,
    pub unit: String,
    pub direction: Direction,
    pub illustrative: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    pub districts: Vec<District>,
    pub city: Value,
    /// Proposals the indicator's filter cannot decide (an attribute missing): not counted,
    /// and the run does not pass.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub undetermined: Vec<String>,
    /// Districts whose own target (`target_field`) is missing or not a number, with no
    /// indicator-wide target to fall back on: not judged, and the run does not pass.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub no_target: Vec<String>,
}

impl Result {
    /// Whether the proposals break a target anywhere, or could not all be judged.
    pub fn fails(&self) -> bool {
        !self.undetermined.is_empty()
            || !self.no_target.is_empty()
            || self.city.broken(self.direction)
            || self
                .districts
                .iter()
                .any(|d| d.value.broken(self.direction))
    }
}

/// A zone as a footprint (its tiles, or its line work), for distances.
fn zone_footprint(layer: &ZoneLayer, z: usize) -> Option<Footprint> {
    let pieces: Vec<Polygon<f64>> = layer
        .pieces
        .iter()
        .filter(|p| p.zone == z)
        .map(|p| p.polygon.clone())
        .collect();
    let g = if !pieces.is_empty() {
        geo::Geometry::MultiPolygon(MultiPolygon(pieces))
    } else {
        let lines: Vec<LineString<f64>> = layer
            .edges
            .iter()
            .filter(|e| e.zone == z)
            .map(|e| e.coords.clone())
            .collect();
        if lines.iter().all(|l| l.0.len() == 1) {
            geo::Geometry::MultiPoint(lines.iter().map(|l| geo::Point(l.0[0])).collect())
        } else {
            geo::Geometry::MultiLineString(MultiLineString(lines))
        }
    };
    Footprint::from_geometry(g).ok()
}

/// Where a zone is counted: its first vertex.
fn zone_anchor(layer: &ZoneLayer, z: usize) -> Option<Coord<f64>> {
    layer
        .pieces
        .iter()
        .find(|p| p.zone == z)
        .and_then(|p| p.polygon.exterior().0.first().copied())
        .or_else(|| {
            layer
                .edges
                .iter()
                .find(|e| e.zone == z)
                .and_then(|e| e.coords.0.first().copied())
        })
}

impl Checker {
    /// Districts of the `group_by` layer that overlap (by more than 1 m²): their indicator
    /// amounts are counted in both, so the city's total counts the overlap twice. A data
    /// problem of the districts layer, as warnings naming both districts and the area.
    pub fn district_overlaps(&self) -> Vec<crate::model::Diagnostic> {
        let Some(group) = self
            .project
            .group_by
            .as_ref()
            .and_then(|g| self.layers.get(g))
        else {
            return Vec::new();
        };
        let mut overlap: std::collections::BTreeMap<(usize, usize), f64> = Default::default();
        for a in &group.pieces {
            let Some(b) = a.polygon.bounding_rect() else {
                continue;
            };
            for other in group.pieces_in(b).filter(|p| p.zone > a.zone) {
                let area = a.polygon.intersection(&other.polygon).unsigned_area();
                if area > 0.0 {
                    *overlap.entry((a.zone, other.zone)).or_default() += area;
                }
            }
        }
        overlap
            .into_iter()
            .filter(|(_, area)| *area > 1.0)
            .map(|((a, b), area)| {
                crate::model::Diagnostic::warning(
                    format!("layer '{}'", group.name),
                    format!(
                        "districts {} and {} overlap by {} m²: indicator totals count it twice; redraw the districts so that they share their boundaries",
                        group.zones[a].id,
                        group.zones[b].id,
                        crate::model::fmt_num(area)
                    ),
                )
            })
            .collect()
    }

    /// Every indicator of every pack over `proposals` (evaluated features; none for the city
    /// as it is). Needs the project's `group_by` layer.
    pub fn indicators(&self, proposals: &[&Checked<'_>]) -> crate::Result<Vec<Result>> {
        let all: Vec<&Indicator> = self.packs.iter().flat_map(|p| &p.indicators).collect();
        if all.is_empty() {
            return Ok(Vec::new());
        }
        let group = self
            .project
            .group_by
            .as_ref()
            .and_then(|g| self.layers.get(g))
            .ok_or_else(|| {
                crate::Error::Config(vec![crate::model::Diagnostic::error(
                    self.project.path.display().to_string(),
                    "indicators are reported per district: name the districts' layer with group_by = \"...\"",
                )])
            })?;
        Ok(all
            .into_iter()
            .map(|i| self.indicator(i, group, proposals))
            .collect())
    }

    fn indicator(&self, ind: &Indicator, group: &ZoneLayer, proposals: &[&Checked<'_>]) -> Result {
        let layers = |names: &[String]| -> Vec<&ZoneLayer> {
            names.iter().filter_map(|n| self.layers.get(n)).collect()
        };
        let districts: Vec<usize> = (0..group.zones.len())
            .filter(|z| group.zones[*z].areal)
            .collect();
        let share = matches!(ind.unit.as_str(), "%");
        let scale = if ind.unit == "ha" { 1e-4 } else { 1.0 };
        // (amount before, amount after, base) per district.
        let mut raw: Vec<(f64, f64, Option<f64>)> = Vec::new();
        // The proposals that act on it; one the filter cannot decide acts too (the strict
        // reading), and is reported where it changes the value.
        let mut unknown: Vec<&Checked<'_>> = Vec::new();
        let proposals: Vec<&Checked<'_>> = proposals
            .iter()
            .copied()
            .filter(
                |c| match ind.proposals.as_ref().map(|f| f.decide(&c.properties)) {
                    None | Some(Some(true)) => true,
                    Some(Some(false)) => false,
                    Some(None) => {
                        unknown.push(c);
                        true
                    }
                },
            )
            .collect();
        // The acting proposals' areas (line and point work takes no area).
        let areal: Vec<&MultiPolygon<f64>> = proposals
            .iter()
            .filter_map(|c| match &c.footprint {
                Footprint::Areal(mp) => Some(mp),
                _ => None,
            })
            .collect();
        // What else could not be judged: a counted zone its `where` cannot decide, a proposal
        // that counts but lies in no district.
        let mut unjudged: Vec<String> = Vec::new();
        // Whether an undecided proposal changes the value (each formula says).
        let changes: Box<dyn Fn(&Footprint) -> bool + '_> = match &ind.formula {
            Formula::AreaShare { layers: l } | Formula::Area { layers: l } => {
                let zl = layers(&l.to_vec());
                // Each district's land, worked out once: the values and the undecided
                // proposals' check both read it.
                let pieces: Vec<Vec<&Polygon<f64>>> = districts
                    .iter()
                    .map(|z| district_pieces(group, *z))
                    .collect();
                let lands: Vec<MultiPolygon<f64>> =
                    pieces.iter().map(|d| land_in(d, &zl)).collect();
                for (d, land) in pieces.iter().zip(&lands) {
                    let area: f64 = d.iter().map(|p| p.unsigned_area()).sum();
                    let before = land.unsigned_area();
                    let near: Vec<Polygon<f64>> = match land.bounding_rect() {
                        Some(b) => areal
                            .iter()
                            .filter(|mp| mp.bounding_rect().is_some_and(|r| r.intersects(&b)))
                            .flat_map(|mp| mp.0.iter().cloned())
                            .collect(),
                        None => Vec::new(),
                    };
                    let taken = if near.is_empty() {
                        0.0
                    } else {
                        land.intersection(&union_all(near)).unsigned_area()
                    };
                    raw.push((before, before - taken, share.then_some(area)));
                }
                Box::new(move |fp| match fp {
                    Footprint::Areal(mp) => lands
                        .iter()
                        .any(|l| l.intersection(mp).unsigned_area() > crate::geom::AREA_EPSILON_M2),
                    _ => false,
                })
            }
            Formula::CountWithin {
                layer,
                distance_m,
                from,
                ..
            } => {
                let from_l = layers(&from.to_vec());
                let within = |fp: &Footprint| {
                    from_l
                        .iter()
                        .any(|l| !setback(fp, l, *distance_m).is_empty())
                };
                let mut counts = vec![(0.0, 0.0); group.zones.len()];
                if let Some(counted) = self.layers.get(layer) {
                    for (z, zone) in counted.zones.iter().enumerate() {
                        // A zone the filter cannot decide counts (the strict reading), named.
                        let undecided =
                            match ind.filter.as_ref().map(|f| f.decide(&zone.properties)) {
                                None | Some(Some(true)) => false,
                                Some(Some(false)) => continue,
                                Some(None) => true,
                            };
                        let (Some(at), Some(fp)) =
                            (zone_anchor(counted, z), zone_footprint(counted, z))
                        else {
                            continue;
                        };
                        if let Some(d) = group.zone_at(at).filter(|_| within(&fp)) {
                            counts[d].0 += 1.0;
                            counts[d].1 += 1.0;
                            if undecided {
                                unjudged.push(format!("{} of {layer}", zone.id));
                            }
                        }
                    }
                }
                for c in &proposals {
                    if !within(&c.footprint) {
                        continue;
                    }
                    match c.footprint.first_coord().and_then(|at| group.zone_at(at)) {
                        Some(d) => counts[d].1 += 1.0,
                        // It counts, but in no district: the city's total would miss it.
                        None => unjudged.push(format!(
                            "{} (in no district of {})",
                            c.fref.id.clone().unwrap_or_else(|| c.label()),
                            group.name
                        )),
                    }
                }
                raw.extend(districts.iter().map(|z| (counts[*z].0, counts[*z].1, None)));
                let (d, from_l) = (*distance_m, from_l.clone());
                Box::new(move |fp| from_l.iter().any(|l| !setback(fp, l, d).is_empty()))
            }
            Formula::ShorelineShare {
                shore,
                built,
                band_m,
            } => {
                let shore_lines = self
                    .layers
                    .get(shore)
                    .map(|l| {
                        MultiLineString(
                            l.edges
                                .iter()
                                .map(|e| e.coords.clone())
                                .filter(|c| c.0.len() > 1)
                                .collect(),
                        )
                    })
                    .unwrap_or_else(|| MultiLineString(Vec::new()));
                let band = |extra: &[&MultiPolygon<f64>]| -> MultiPolygon<f64> {
                    use geo::Buffer;
                    let mut parts: Vec<Polygon<f64>> = Vec::new();
                    for l in layers(&built.to_vec()) {
                        for p in &l.pieces {
                            parts.extend(p.polygon.buffer(*band_m).0);
                        }
                        // Polygons' rings are inside their tiles' buffers: only line and
                        // point work is buffered as such.
                        for e in l.edges.iter().filter(|e| !l.zones[e.zone].areal) {
                            parts.extend(e.coords.buffer(*band_m).0);
                        }
                    }
                    for mp in extra {
                        parts.extend(mp.buffer(*band_m).0);
                    }
                    union_all(parts)
                };
                let before_band = band(&[]);
                let after_band = if areal.is_empty() {
                    before_band.clone()
                } else {
                    band(&areal)
                };
                let length = |m: &MultiLineString<f64>| -> f64 {
                    m.iter().map(|l| Euclidean.length(l)).sum()
                };
                for &z in &districts {
                    let d = district_pieces(group, z);
                    let inside = MultiLineString(
                        d.iter()
                            .flat_map(|p| p.clip(&shore_lines, false).0)
                            .collect(),
                    );
                    let total = length(&inside);
                    let natural_before = length(&before_band.clip(&inside, true));
                    let natural_after = length(&after_band.clip(&inside, true));
                    raw.push((natural_before, natural_after, Some(total)));
                }
                let (band_m, shore_l) = (*band_m, self.layers.get(shore));
                Box::new(move |fp| shore_l.is_some_and(|l| !setback(fp, l, band_m).is_empty()))
            }
        };
        let undetermined: Vec<String> = unknown
            .iter()
            .filter(|c| changes(&c.footprint))
            .map(|c| c.fref.id.clone().unwrap_or_else(|| c.label()))
            .chain(unjudged)
            .collect();
        let value = |before: f64, after: f64, base: Option<f64>, target: Option<f64>| {
            let (vb, va) = match base {
                Some(b) if b > 0.0 => (before / b * 100.0, after / b * 100.0),
                Some(_) => (0.0, 0.0),
                None => (before * scale, after * scale),
            };
            Value {
                before: vb,
                after: va,
                target,
                met_before: target.map(|t| ind.direction.met(vb, t)),
                met_after: target.map(|t| ind.direction.met(va, t)),
                base,
                amount_before: base.map(|_| before),
                amount_after: base.map(|_| after),
            }
        };
        let mut no_target = Vec::new();
        let districts_out: Vec<District> = districts
            .iter()
            .zip(&raw)
            .map(|(z, (b, a, base))| {
                let zone = &group.zones[*z];
                let target = ind
                    .target_field
                    .as_ref()
                    .and_then(|f| zone.number(f))
                    .map(|t| t * ind.target_scale)
                    .or(ind.target);
                // A district whose own target cannot be read is not judged: said, and failing.
                if target.is_none() && ind.target_field.is_some() {
                    no_target.push(zone.id.clone());
                }
                District {
                    id: zone.id.clone(),
                    name: zone.name.clone(),
                    value: value(*b, *a, *base, target),
                }
            })
            .collect();
        let sum = |f: fn(&(f64, f64, Option<f64>)) -> f64| raw.iter().map(f).sum::<f64>();
        let city_base = share.then(|| sum(|r| r.2.unwrap_or(0.0)));
        let city = value(sum(|r| r.0), sum(|r| r.1), city_base, ind.target);
        Result {
            id: ind.id.clone(),
            name: ind.name_in(self.lang).to_owned(),
            unit: ind.unit.clone(),
            direction: ind.direction,
            illustrative: ind.illustrative,
            note: ind.note.clone(),
            districts: districts_out,
            city,
            undetermined,
            no_target,
        }
    }
}
