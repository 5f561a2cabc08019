//! Evaluation: the one entry point every path uses (`check`, `audit`, `rules test`, and the
//! library's callers). A feature read from a source goes in owned; out comes a [`Checked`]:
//! its footprint and, per rule that fired, a compact [`Found`] (references into the checker
//! and numbers, no words). Findings are worded from it later, only where they are wanted
//! ([`Checker::findings`]). Share rules are a second pass over a whole submission
//! ([`Checker::share_pass`]).

use super::{overlap::overlap, setback::setback, within::within, Checker, Hit};
use crate::geom::Footprint;
use crate::index::ZoneLayer;
use crate::model::{Diagnostic, Feature, FeatureRef, Finding, MeasureKind, Properties};
use crate::rules::{Rule, Test};
use std::collections::BTreeMap;

/// One rule's result for one feature, before it is worded: the rule, the layer and zone, the
/// measured hit and the limit it broke.
#[derive(Clone, Debug)]
pub struct Found<'c> {
    pub rule: &'c Rule,
    /// The zone layer measured against; `None` for `within` (a set of layers) and for a limit
    /// the rule itself sets.
    pub layer: Option<&'c ZoneLayer>,
    pub hit: Hit,
    pub limit: f64,
    /// What set the limit when that needs saying: an attribute rule's band or zone.
    pub label: Option<String>,
    /// The rule's `applies_to` could not be decided for the feature: the result is
    /// undetermined (it would fire if the rule applied).
    pub unknown: bool,
    /// Extra words a share rule's finding carries (the district before, the proposal's part,
    /// the other proposals that take landscape there).
    pub note: Option<String>,
    /// What a terrain rule measured on its DEM.
    pub terrain: Option<Box<crate::model::Terrain>>,
    /// Why a terrain rule's DEM had nothing to say (the result is undetermined).
    pub terrain_missing: Option<super::terrain::Missing>,
    /// What a regulatory-plan rule measured (and why it could not decide, if so).
    pub plan: Option<Box<crate::model::Plan>>,
    /// A severity other than the rule's: a use the plan allows only with approval.
    pub severity: Option<crate::model::Severity>,
}

/// A footprint's parts on the planning-parcel layers, worked out once per feature for every
/// plan rule that reads the layer (land use, limits and fit measure the same overlaps).
#[derive(Default)]
pub struct PlanParts<'c>(Vec<(&'c str, Vec<Hit>)>);

impl<'c> PlanParts<'c> {
    fn of(&mut self, fp: &Footprint, parcels: &'c ZoneLayer) -> &[Hit] {
        let i = match self.0.iter().position(|(n, _)| *n == parcels.name) {
            Some(i) => i,
            None => {
                self.0
                    .push((&parcels.name, super::plan::parts(fp, parcels)));
                self.0.len() - 1
            }
        };
        &self.0[i].1
    }
}

/// A feature after evaluation.
#[derive(Debug)]
pub struct Checked<'c> {
    pub fref: FeatureRef,
    pub properties: Properties,
    /// The geometry (working CRS) as a footprint: the tests' form, kept for the share pass
    /// and the map.
    pub footprint: Footprint,
    /// The rules that fired, in rule order.
    pub found: Vec<Found<'c>>,
}

impl Checked<'_> {
    /// A human label: the `name` attribute when there is one.
    pub fn name(&self) -> Option<&str> {
        self.properties.get("name").and_then(|v| v.as_str())
    }

    /// How findings and messages call the feature: its name, else its id, else `#index`.
    pub fn label(&self) -> String {
        self.name()
            .map(str::to_owned)
            .or_else(|| self.fref.id.clone())
            .unwrap_or_else(|| format!("#{}", self.fref.index))
    }
}

impl Checker {
    /// Evaluates one feature read from a source (geometry in the working CRS): its attributes
    /// through the attribute dictionary, the project's area, then every rule. An error is a
    /// feature that cannot be checked (outside the project's area, a geometry no test takes):
    /// it counts as rejected and fails the run.
    pub fn evaluate(&self, f: Feature) -> Result<Checked<'_>, Box<Diagnostic>> {
        let mut f = f;
        self.normalize(&mut f.properties);
        if let Some(d) = self.outside_area(&f) {
            return Err(Box::new(d));
        }
        let Feature {
            fref,
            properties,
            geometry,
        } = f;
        let footprint = match Footprint::from_geometry(geometry) {
            Ok(fp) => fp,
            Err(why) => {
                return Err(Box::new(
                    Diagnostic::error(
                        &*fref.source,
                        format!("{why}: no rule can measure it; rejected"),
                    )
                    .feature(fref.index, fref.id.as_deref()),
                ))
            }
        };
        let mut found = Vec::new();
        let mut parts = PlanParts::default();
        for rule in self.rules() {
            let start = found.len();
            match rule.decide(&properties) {
                Some(true) => self.apply(rule, &properties, &footprint, &mut parts, &mut found),
                Some(false) => continue,
                // Unknown whether the rule applies: run its test as if it did. If it would not
                // fire, the rule is decided either way; if it would, the result is
                // undetermined, with the evidence measured.
                None => {
                    self.apply(rule, &properties, &footprint, &mut parts, &mut found);
                    for x in &mut found[start..] {
                        x.unknown = true;
                    }
                }
            }
        }
        Ok(Checked {
            fref,
            properties,
            footprint,
            found,
        })
    }

    /// The codes of the rules that applied to an evaluated feature (JUnit's test cases): those
    /// whose `when` did not rule it out, as [`Checker::evaluate`] decided. Asked for only by
    /// the reports that list them, so the audit's hot path keeps no list per feature.
    pub fn applied<'c>(&'c self, c: &Checked<'_>) -> Vec<&'c str> {
        self.rules()
            .filter(|rule| rule.decide(&c.properties) != Some(false))
            .map(|rule| rule.code.as_str())
            .collect()
    }

    /// The findings of one evaluated feature, worded in the checker's language (geometry
    /// moved out of the compact results).
    pub fn findings(&self, c: Checked<'_>) -> Vec<Finding> {
        let Checked {
            fref,
            properties,
            found,
            ..
        } = c;
        found
            .into_iter()
            .map(|x| self.finding(&fref, &properties, x))
            .collect()
    }

    /// The loaded zone layers of these names; `load_pack` has refused names the project lacks.
    pub(super) fn zone_layers<'s>(
        &'s self,
        names: &'s [String],
    ) -> impl Iterator<Item = &'s ZoneLayer> {
        names.iter().filter_map(|l| self.layers.get(l))
    }

    pub(super) fn apply<'c>(
        &'c self,
        rule: &'c Rule,
        properties: &Properties,
        fp: &Footprint,
        parts: &mut PlanParts<'c>,
        out: &mut Vec<Found<'c>>,
    ) {
        let found = |layer: Option<&'c ZoneLayer>, hit: Hit, limit: f64| Found {
            rule,
            layer,
            hit,
            limit,
            label: None,
            unknown: false,
            note: None,
            terrain: None,
            terrain_missing: None,
            plan: None,
            severity: None,
        };
        let planned = |layer: &'c ZoneLayer, p: super::plan::PlanHit| Found {
            layer: Some(layer),
            label: Some(p.label),
            plan: Some(Box::new(p.plan)),
            severity: p.severity,
            ..found(None, p.hit, p.limit)
        };
        // The rule's zone layers, looked up per feature without collecting (hot path).
        let layers = || self.zone_layers(rule.test.layers());
        match &rule.test {
            Test::Overlap { min_area_m2, .. } => {
                for layer in layers() {
                    for hit in overlap(fp, layer, *min_area_m2) {
                        out.push(found(Some(layer), hit, *min_area_m2));
                    }
                }
            }
            Test::Setback { distance_m, .. } => {
                for layer in layers() {
                    for hit in setback(fp, layer, *distance_m) {
                        out.push(found(Some(layer), hit, *distance_m));
                    }
                }
            }
            Test::Within { .. } => {
                let layers: Vec<&ZoneLayer> = layers().collect();
                if let Some(hit) = within(fp, &layers) {
                    out.push(found(None, hit, 0.0));
                }
            }
            // Judged over the whole set of proposals: see `share_pass`.
            Test::Share { .. } => {}
            Test::LandUse {
                layers,
                table,
                classes,
                proposed,
                conditional,
                ..
            } => {
                let Some(parcels) = self.layers.get(&layers[0]) else {
                    return;
                };
                for p in super::plan::land_use(
                    fp,
                    properties,
                    parcels,
                    parts.of(fp, parcels),
                    classes,
                    table,
                    proposed,
                    *conditional,
                    self.lang,
                ) {
                    out.push(planned(parcels, p));
                }
            }
            Test::PlanLimits {
                layers,
                limits,
                height,
                floor_area,
                green_area,
            } => {
                let Some(parcels) = self.layers.get(&layers[0]) else {
                    return;
                };
                let fields = super::plan::Fields {
                    height,
                    floor_area,
                    green_area,
                };
                for p in super::plan::plan_limits(
                    fp,
                    properties,
                    parcels,
                    parts.of(fp, parcels),
                    limits,
                    &fields,
                    self.lang,
                ) {
                    out.push(planned(parcels, p));
                }
            }
            Test::ParcelFit {
                layers,
                fit,
                min_area_m2,
            } => {
                let Some(parcels) = self.layers.get(&layers[0]) else {
                    return;
                };
                let cover = layers.get(1).and_then(|l| self.layers.get(l));
                if let Some(p) = super::plan::fit(
                    fp,
                    parcels,
                    parts.of(fp, parcels),
                    cover,
                    *fit,
                    *min_area_m2,
                    self.lang,
                ) {
                    out.push(planned(parcels, p));
                }
            }
            Test::Slope {
                dem,
                max_slope_deg,
                max_share_pct,
            } => {
                let Some(d) = self.dems.get(dem) else { return };
                if let Some(t) = super::terrain::slope(d, fp, *max_slope_deg, *max_share_pct) {
                    let mut x = found(None, t.hit, *max_share_pct);
                    x.terrain = Some(Box::new(t.terrain));
                    x.terrain_missing = t.missing;
                    x.label = Some(format!("slope > {max_slope_deg}°"));
                    out.push(x);
                }
            }
            Test::Skyline {
                dem,
                viewpoints,
                max_distance_m,
                eye_height_field,
                azimuth_fields,
                height,
            } => {
                let (Some(d), Some(layer)) = (self.dems.get(dem), self.layers.get(&viewpoints[0]))
                else {
                    return;
                };
                let sky = super::skyline::Sky {
                    dem: d,
                    viewpoints: layer,
                    eye_field: eye_height_field,
                    azimuth_fields: azimuth_fields
                        .as_ref()
                        .map(|(a, b)| (a.as_str(), b.as_str())),
                    max_distance_m: *max_distance_m,
                };
                let h = properties
                    .get(height)
                    .and_then(|v| v.as_f64())
                    .filter(|v| v.is_finite());
                let whole = || Some(fp.to_geometry());
                match sky.judge(fp, h) {
                    None => {}
                    Some(super::skyline::Skyline::Breaks { hit, terrain }) => {
                        let mut x = found(Some(layer), hit, 0.0);
                        x.terrain = Some(terrain);
                        out.push(x);
                    }
                    Some(super::skyline::Skyline::NoHeight { viewpoint }) => {
                        let hit = Hit {
                            zone: Some(viewpoint),
                            kind: crate::model::MeasureKind::AttributeMissing,
                            value: 0.0,
                            share: None,
                            nearest: None,
                            geometry: whole(),
                        };
                        out.push(found(Some(layer), hit, 0.0));
                    }
                    Some(super::skyline::Skyline::Missing(why)) => {
                        let hit = Hit {
                            zone: None,
                            kind: crate::model::MeasureKind::TerrainMissing,
                            value: 0.0,
                            share: None,
                            nearest: None,
                            geometry: whole(),
                        };
                        let mut x = found(None, hit, 0.0);
                        x.terrain_missing = Some(why);
                        out.push(x);
                    }
                }
            }
            Test::Elevation {
                dem,
                max_top_m,
                zones,
                limit_field,
                height,
            } => {
                let Some(d) = self.dems.get(dem) else { return };
                let zone_l: Vec<&ZoneLayer> = self.zone_layers(zones).collect();
                let Some(limit) = super::attribute::strictest(
                    fp,
                    *max_top_m,
                    &[],
                    &[],
                    &zone_l,
                    limit_field.as_deref(),
                ) else {
                    return;
                };
                let h = properties
                    .get(height)
                    .and_then(|v| v.as_f64())
                    .filter(|v| v.is_finite());
                if let Some(t) = super::terrain::elevation(d, fp, h, &limit) {
                    let layer = limit.layer.map(|i| zone_l[i]);
                    let mut x = found(layer, t.hit, limit.allowed);
                    x.terrain = Some(Box::new(t.terrain));
                    x.terrain_missing = t.missing;
                    x.label = Some(limit.label);
                    out.push(x);
                }
            }
            Test::Attribute {
                measured,
                max,
                from,
                bands,
                zones,
                limit_field,
                ..
            } => {
                let from_l: Vec<&ZoneLayer> = self.zone_layers(from).collect();
                let zone_l: Vec<&ZoneLayer> = self.zone_layers(zones).collect();
                if let Some((hit, limit)) = super::attribute::attribute(
                    fp,
                    properties,
                    measured,
                    *max,
                    bands,
                    &from_l,
                    &zone_l,
                    limit_field.as_deref(),
                ) {
                    let layer = limit.layer.map(|i| {
                        if i < from_l.len() {
                            from_l[i]
                        } else {
                            zone_l[i - from_l.len()]
                        }
                    });
                    let mut x = found(layer, hit, limit.allowed);
                    // The zone's name says what set the limit: a band, a zone, the rule.
                    x.label = Some(limit.label);
                    out.push(x);
                }
            }
        }
    }

    /// The second pass over a whole submission, on every path that has one (`check`, the
    /// fixtures of `rules test`): the share rules, each district's landscape share after all
    /// the features it applies to are built. Results are `(index into checked, finding)`.
    pub fn share_pass<'c>(&'c self, checked: &[&Checked<'c>]) -> Vec<(usize, Found<'c>)> {
        let mut out = Vec::new();
        for rule in self.rules() {
            let Test::Share {
                group,
                landscape,
                min_share,
                target_field,
                ..
            } = &rule.test
            else {
                continue;
            };
            let Some(group_layer) = self.layers.get(group) else {
                continue;
            };
            let land: Vec<&ZoneLayer> = self.zone_layers(landscape).collect();
            // A proposal the rule cannot be decided for counts as taking landscape (the
            // strict reading); its own result is then undetermined.
            let applying: Vec<(usize, bool)> = checked
                .iter()
                .enumerate()
                .filter_map(|(i, c)| match rule.decide(&c.properties) {
                    Some(false) => None,
                    decided => Some((i, decided.is_none())),
                })
                .collect();
            let fps: Vec<&Footprint> = applying
                .iter()
                .map(|(i, _)| &checked[*i].footprint)
                .collect();
            let hits = super::share::share(
                group_layer,
                &land,
                &fps,
                *min_share,
                target_field.as_deref(),
                &self.share_land,
            );
            // Per district, the proposals that take landscape there: a finding names the
            // others, since the district falls under its target by all of them together.
            let mut takers: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
            for h in &hits {
                takers.entry(h.district).or_default().push(h.feature);
            }
            for h in hits {
                let (i, unknown) = applying[h.feature];
                let others: Vec<String> = takers[&h.district]
                    .iter()
                    .filter(|j| **j != h.feature)
                    .map(|j| {
                        let c = checked[applying[*j].0];
                        c.fref.id.clone().unwrap_or_else(|| c.label())
                    })
                    .collect();
                let note = self.share_note(&h, &others);
                out.push((
                    i,
                    Found {
                        rule,
                        layer: Some(group_layer),
                        hit: Hit {
                            zone: Some(h.district),
                            kind: MeasureKind::ShareAfter,
                            value: h.after * 100.0,
                            share: None,
                            nearest: None,
                            geometry: Some(geo::Geometry::MultiPolygon(h.geometry)),
                        },
                        limit: h.target * 100.0,
                        label: None,
                        unknown,
                        note: Some(note),
                        terrain: None,
                        terrain_missing: None,
                        plan: None,
                        severity: None,
                    },
                ));
            }
        }
        out
    }

    /// The district (zone id of the project's `group_by` layer) a footprint lies in, by its
    /// first vertex; `None` without `group_by` or outside every district.
    /// The name of the district with this id (a zone of the `group_by` layer), if it has one.
    pub fn district_name(&self, id: &str) -> Option<&str> {
        let layer = self.layers.get(self.project.group_by.as_ref()?)?;
        layer.zones.iter().find(|z| z.id == id)?.name.as_deref()
    }

    pub fn district_of(&self, fp: &Footprint) -> Option<&str> {
        let layer = self.layers.get(self.project.group_by.as_ref()?)?;
        layer
            .zone_at(fp.first_coord()?)
            .map(|z| layer.zones[z].id.as_str())
    }
}
