use super::{overlap::overlap, setback::setback, within::within, Hit};
use crate::geom::Footprint;
use crate::index::ZoneLayer;
use crate::io::{self, ReadOptions, Source};
use crate::model::{
    Diagnostic, Feature, Finding, Lang, Measure, MeasureKind, Properties, Undetermined, ZoneRef,
};
use crate::project::{LayerSpec, Project};
use crate::report::{Case, MapData, MapFeature, MapLayer, Report, RuleDoc, Summary};
use crate::rules::dictionary::{self, Dictionary};
use crate::rules::{load_pack, Pack, Rule, Test};
use crate::{Error, Result};
use rayon::prelude::*;
use std::collections::BTreeMap;

/// How to read proposal sources (the command line's reading options).
#[derive(Clone, Copy, Debug, Default)]
pub struct ReadRequest<'a> {
    /// The CRS of sources that do not declare one.
    pub assume_crs: Option<&'a crate::crs::Crs>,
    /// The attribute holding each proposal's id.
    pub id_field: Option<&'a str>,
    /// The layer of a multi-layer source (GeoPackage, FileGDB, DXF...).
    pub layer: Option<&'a str>,
    /// Repair invalid polygons instead of rejecting them.
    pub repair: bool,
    /// The attribute encoding of Shapefiles (over their `.cpg`).
    pub encoding: Option<&'a str>,
}

/// A finding's limit, and what set it when that needs saying (an attribute's band or zone).
#[derive(Clone, Copy, Debug)]
struct Bound<'a> {
    value: f64,
    label: Option<&'a str>,
}

impl Bound<'_> {
    fn of(value: f64) -> Self {
        Bound { value, label: None }
    }
}

/// A project ready to check features: its zone layers indexed and its rule packs loaded.
pub struct Checker {
    pub project: Project,
    pub packs: Vec<Pack>,
    pub layers: BTreeMap<String, ZoneLayer>,
    /// What reading the zone layers reported (rejected zone features make the run exit 2).
    pub diagnostics: Vec<Diagnostic>,
    /// Zone features read per layer.
    pub zones_read: BTreeMap<String, usize>,
    /// The packs' attribute dictionaries with the project's own names (`[attributes.NAME]`).
    pub dictionary: Dictionary,
    /// Where proposals may lie (working CRS): the project's `area`, else the zone layers'
    /// extent plus `area_margin_m`; `None` for a project without zones.
    pub area: Option<geo::Rect<f64>>,
    /// The language of the findings' messages (`--lang`); English by default.
    pub lang: Lang,
}

/// The packs' dictionaries merged, with the project's own names on top; conflicts are
/// errors naming the pack or the project file.
fn merged_dictionary(
    project: &Project,
    packs: &[Pack],
    errors: &mut Vec<Diagnostic>,
) -> Dictionary {
    let mut d = Dictionary::default();
    for pack in packs {
        for a in pack.dictionary.iter().flat_map(|d| d.attributes()) {
            if let Err(why) = d.add(a.clone()) {
                errors.push(Diagnostic::error(
                    pack.dir.join(dictionary::FILE_NAME).display().to_string(),
                    why,
                ));
            }
        }
    }
    for (name, mapping) in &project.attributes {
        if let Err(why) = d.map(name, mapping) {
            errors.push(Diagnostic::error(project.path.display().to_string(), why));
        }
    }
    d
}

/// Formats a measured number for messages: at most two decimals, no trailing zeros.
pub fn fmt_num(v: f64) -> String {
    let s = format!("{v:.2}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s == "-0" {
        "0".into()
    } else {
        s.to_owned()
    }
}

/// One zone layer, read and indexed.
struct Loaded {
    layer: ZoneLayer,
    /// Features the source held, before the layer's filter.
    read: usize,
    diagnostics: Vec<Diagnostic>,
}

/// Reads, filters and indexes one zone layer. A source that cannot be read is a
/// diagnostic (every such layer is reported together); a broken project entry is an error.
fn load_layer(
    project: &Project,
    spec: &LayerSpec,
) -> Result<std::result::Result<Loaded, Diagnostic>> {
    let declared = spec
        .crs
        .as_deref()
        .map(crate::crs::Crs::parse)
        .transpose()?;
    let opts = ReadOptions {
        id_field: spec.id_field.as_deref(),
        declared_crs: declared.as_ref(),
        target: &project.crs,
        layer: spec.source_layer.as_deref(),
        repair: false,
        encoding: spec.encoding.as_deref(),
        datums: project.datums.as_deref(),
        limits: project.limits,
    };
    let source = match io::read(&spec.path, opts) {
        Ok(source) => source,
        Err(e) => {
            return Ok(Err(Diagnostic::error(
                format!("layer '{}'", spec.name),
                e.to_string(),
            )))
        }
    };
    let mut diagnostics = source.diagnostics;
    // The layer's filter picks its zones (validated when the project loaded).
    let filter = spec
        .filter
        .as_deref()
        .map(crate::rules::filter::Filter::parse)
        .transpose()
        .map_err(|e| {
            Error::Config(vec![Diagnostic::error(
                format!("layer '{}'", spec.name),
                format!("filter: {e}"),
            )])
        })?;
    // A zone the filter cannot decide (an attribute missing) is kept, with a warning: the
    // stricter reading, since leaving it out would let every rule on the layer pass it by.
    let mut features = Vec::new();
    for f in source.features {
        match filter
            .as_ref()
            .map_or(Some(true), |x| x.decide(&f.properties))
        {
            Some(true) => features.push(f),
            Some(false) => {}
            None => {
                let missing = filter
                    .as_ref()
                    .map(|x| x.unknowns(&f.properties).join(", "))
                    .unwrap_or_default();
                diagnostics.push(
                    Diagnostic::warning(
                        format!("layer '{}'", spec.name),
                        format!(
                            "the layer's filter `{}` cannot be decided for this zone ({missing} missing or not comparable): it is kept in the layer, the stricter reading; give the zone its {missing}",
                            spec.filter.as_deref().unwrap_or_default()
                        ),
                    )
                    .feature(f.fref.index, f.fref.id.as_deref()),
                );
                features.push(f);
            }
        }
    }
    if let Some(field) = &spec.declared_width_field {
        diagnostics.extend(narrow_zones(&spec.name, field, &features));
    }
    Ok(Ok(Loaded {
        layer: ZoneLayer::build(&spec.name, features),
        read: source.read,
        diagnostics,
    }))
}

impl Checker {
    /// Loads the project's packs and layers. Every pack error, in every file, is reported
    /// together.
    pub fn load(project: Project) -> Result<Checker> {
        let names = project.layer_names();
        let mut packs = Vec::new();
        let mut errors = Vec::new();
        for dir in &project.rule_dirs {
            match load_pack(dir, Some(&names)) {
                Ok(p) => packs.push(p),
                Err(mut e) => errors.append(&mut e),
            }
        }
        if !errors.is_empty() {
            return Err(Error::Config(errors));
        }
        Checker::with_packs(project, packs)
    }

    /// A checker for the given packs against the project's layers (the fixture runner uses
    /// this to test a pack against its fixtures project).
    pub fn with_packs(project: Project, packs: Vec<Pack>) -> Result<Checker> {
        let mut seen = BTreeMap::new();
        let mut errors = Vec::new();
        for pack in &packs {
            for rule in &pack.rules {
                if let Some(other) = seen.insert(rule.code.clone(), pack.id.clone()) {
                    errors.push(Diagnostic::error(
                        pack.dir.display().to_string(),
                        format!(
                            "code {} is defined by pack '{other}' and by pack '{}'",
                            rule.code, pack.id
                        ),
                    ));
                }
            }
        }
        // Layers are read, validated and indexed in parallel (a big red line or river
        // network takes a while), then taken in file order.
        let loaded: Vec<Result<std::result::Result<Loaded, Diagnostic>>> = project
            .layers
            .par_iter()
            .map(|spec| load_layer(&project, spec))
            .collect();
        let mut layers = BTreeMap::new();
        let mut diagnostics = Vec::new();
        let mut zones_read = BTreeMap::new();
        for (spec, result) in project.layers.iter().zip(loaded) {
            match result? {
                Ok(l) => {
                    diagnostics.extend(l.diagnostics);
                    zones_read.insert(spec.name.clone(), l.read);
                    layers.insert(spec.name.clone(), l.layer);
                }
                Err(e) => errors.push(e),
            }
        }
        let dictionary = merged_dictionary(&project, &packs, &mut errors);
        if !errors.is_empty() {
            return Err(Error::Config(errors));
        }
        let area = project.area.or_else(|| {
            use geo::BoundingRect;
            layers
                .values()
                .flat_map(|l| {
                    let pieces = l.pieces.iter().filter_map(|p| p.polygon.bounding_rect());
                    pieces.chain(l.edges.iter().map(|e| e.bbox))
                })
                .reduce(crate::geom::union_rect)
                .map(|r| crate::index::zone_layer::expand(r, project.area_margin_m))
        });
        Ok(Checker {
            project,
            packs,
            layers,
            diagnostics,
            zones_read,
            dictionary,
            area,
            lang: Lang::default(),
        })
    }

    /// Rewrites a feature's attributes to the dictionary's names, values and types (see
    /// [`Dictionary::normalize`]); a no-op without a dictionary.
    pub fn normalize(&self, props: &mut Properties) {
        self.dictionary.normalize(props);
    }

    /// Every rule of every pack, in pack then code order.
    pub fn rules(&self) -> impl Iterator<Item = &Rule> {
        self.packs.iter().flat_map(|p| p.rules.iter())
    }

    /// The pack's own copy of a rule code (borrowed for as long as the checker lives).
    pub fn code<'s>(&'s self, code: &str) -> &'s str {
        self.rules()
            .find(|r| r.code == code)
            .map_or("", |r| r.code.as_str())
    }

    /// The rule with this code.
    pub fn rule(&self, code: &str) -> Option<&Rule> {
        self.rules().find(|r| r.code.eq_ignore_ascii_case(code))
    }

    /// Reads a proposal source into the working CRS, its attributes through the dictionary;
    /// a feature outside the project's area is rejected with an error.
    pub fn read(&self, path: &std::path::Path, request: &ReadRequest<'_>) -> Result<Source> {
        let mut source = self.read_raw(path, request)?;
        let features = std::mem::take(&mut source.features);
        for mut f in features {
            self.normalize(&mut f.properties);
            match self.outside_area(&f) {
                Some(d) => source.diagnostics.push(d),
                None => source.features.push(f),
            }
        }
        Ok(source)
    }

    fn read_raw(&self, path: &std::path::Path, request: &ReadRequest<'_>) -> Result<Source> {
        io::read(
            path,
            ReadOptions {
                id_field: request.id_field,
                declared_crs: request.assume_crs,
                target: &self.project.crs,
                layer: request.layer,
                repair: request.repair,
                encoding: request.encoding,
                datums: self.project.datums.as_deref(),
                limits: self.project.limits,
            },
        )
    }

    /// The findings of the aggregate (share) rules over a set of features: each district's
    /// landscape share after all the features it applies to are built.
    pub fn share_findings(&self, features: &[&Feature]) -> Vec<Finding> {
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
            // strict reading); its own finding is then undetermined.
            let applying: Vec<(&Feature, Footprint, bool)> = features
                .iter()
                .filter_map(|f| match rule.decide(&f.properties) {
                    Some(false) => None,
                    decided => Some((*f, decided.is_none())),
                })
                .filter_map(|(f, unknown)| {
                    Footprint::new(&f.geometry).ok().map(|fp| (f, fp, unknown))
                })
                .collect();
            let fps: Vec<&Footprint> = applying.iter().map(|(_, fp, _)| fp).collect();
            let hits = super::share::share(
                group_layer,
                &land,
                &fps,
                *min_share,
                target_field.as_deref(),
            );
            // Per district, the proposals that take landscape there: a finding names the
            // others, since the district falls under its target by all of them together.
            let mut takers: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
            for h in &hits {
                takers.entry(h.district).or_default().push(h.feature);
            }
            let label = |f: &Feature| {
                f.fref
                    .id
                    .clone()
                    .or_else(|| f.name().map(str::to_owned))
                    .unwrap_or_else(|| format!("#{}", f.fref.index))
            };
            for h in hits {
                let f = applying[h.feature].0;
                let hit = Hit {
                    zone: Some(h.district),
                    kind: MeasureKind::ShareAfter,
                    value: h.after * 100.0,
                    share: None,
                    nearest: None,
                    geometry: Some(geo::Geometry::MultiPolygon(h.geometry)),
                };
                let mut finding = self.finding(
                    rule,
                    f,
                    group,
                    Some(group_layer),
                    hit,
                    Bound::of(h.target * 100.0),
                );
                let points = format!("{:.4}", h.marginal * 100.0);
                let points = points.trim_end_matches('0').trim_end_matches('.');
                let (before, taken) = (fmt_num(h.before * 100.0), fmt_num(h.taken_m2));
                finding.message.push_str(&match self.lang {
                    Lang::En => format!(
                        " (before: {before} %; this proposal takes {taken} m² of landscape, {points} percentage points)"
                    ),
                    Lang::Zh => format!(
                        "（此前：{before} %；本项目占用山水用地 {taken} 平方米，{points} 个百分点）"
                    ),
                });
                let others: Vec<String> = takers[&h.district]
                    .iter()
                    .filter(|i| **i != h.feature)
                    .map(|i| label(applying[*i].0))
                    .collect();
                finding.message.push_str(&match (others.len(), self.lang) {
                    (0, Lang::En) => "; it alone takes landscape there in this submission".into(),
                    (0, Lang::Zh) => "；本次提交中仅此项目占用该区山水用地".into(),
                    (n, Lang::En) => format!(
                        "; together with {n} other proposal(s) of this submission that take landscape there: {}",
                        others.join(", ")
                    ),
                    (n, Lang::Zh) => format!(
                        "；与本次提交中另外 {n} 个占用该区山水用地的项目共同导致：{}",
                        others.join("、")
                    ),
                });
                if applying[h.feature].2 {
                    let why = self.why_unknown(rule, &f.properties);
                    self.mark_undetermined(&mut finding, why);
                }
                out.push(finding);
            }
        }
        out
    }

    /// The district (zone id of the project's `group_by` layer) a feature lies in, by its
    /// first vertex; `None` without `group_by` or outside every district.
    pub fn district_of(&self, f: &Feature) -> Option<String> {
        use geo::{CoordsIter, Intersects};
        let layer = self.layers.get(self.project.group_by.as_ref()?)?;
        let c = f.geometry.coords_iter().next()?;
        let probe = geo::Rect::new(c, c);
        layer
            .pieces_in(probe)
            .find(|p| p.polygon.intersects(&c))
            .map(|p| layer.zones[p.zone].id.clone())
    }

    /// All findings of all rules for one feature (geometry in the working CRS).
    pub fn check_feature(&self, f: &Feature) -> Vec<Finding> {
        match Footprint::new(&f.geometry) {
            Ok(fp) => self.run_rules(f, &fp, None),
            Err(_) => Vec::new(),
        }
    }

    /// The findings for one feature and the codes of the rules that applied to it (the
    /// (feature, rule) pairs a JUnit report lists), from one evaluation of the filters.
    fn check_case(&self, f: &Feature) -> (Vec<Finding>, Vec<String>) {
        let Ok(fp) = Footprint::new(&f.geometry) else {
            return (Vec::new(), Vec::new());
        };
        let mut applied = Vec::new();
        let out = self.run_rules(f, &fp, Some(&mut applied));
        (out, applied)
    }

    /// Every rule that applies to `f`, against its footprint; the codes of those rules are
    /// pushed to `applied` when asked for.
    fn run_rules(
        &self,
        f: &Feature,
        fp: &Footprint,
        mut applied: Option<&mut Vec<String>>,
    ) -> Vec<Finding> {
        let mut out = Vec::new();
        for rule in self.rules() {
            let start = out.len();
            match rule.decide(&f.properties) {
                Some(true) => self.apply(rule, f, fp, &mut out),
                Some(false) => continue,
                // Unknown whether the rule applies: run its test as if it did. If it would not
                // fire, the rule is decided either way; if it would, the result is
                // undetermined, with the evidence measured.
                None => {
                    self.apply(rule, f, fp, &mut out);
                    if out.len() > start {
                        let why = self.why_unknown(rule, &f.properties);
                        for x in &mut out[start..] {
                            if x.undetermined.is_none() {
                                self.mark_undetermined(x, why.clone());
                            }
                        }
                    }
                }
            }
            if let Some(a) = applied.as_deref_mut() {
                a.push(rule.code.clone());
            }
        }
        out
    }

    /// All findings for a feature the caller no longer needs: its geometry becomes the
    /// footprint without a copy (the audit's path).
    pub fn check_owned(&self, f: Feature) -> Vec<Finding> {
        let Feature {
            fref,
            properties,
            geometry,
        } = f;
        let Ok(fp) = Footprint::from_geometry(geometry) else {
            return Vec::new();
        };
        let f = Feature {
            fref,
            properties,
            geometry: geo::Geometry::MultiPoint(geo::MultiPoint(Vec::new())),
        };
        self.run_rules(&f, &fp, None)
    }

    /// The loaded zone layers of these names; `load_pack` has refused names the project lacks.
    fn zone_layers<'s>(&'s self, names: &'s [String]) -> impl Iterator<Item = &'s ZoneLayer> {
        names.iter().filter_map(|l| self.layers.get(l))
    }

    fn apply(&self, rule: &Rule, f: &Feature, fp: &Footprint, out: &mut Vec<Finding>) {
        // The rule's zone layers, looked up per feature without collecting (hot path).
        let layers = || self.zone_layers(rule.test.layers());
        match &rule.test {
            Test::Overlap { min_area_m2, .. } => {
                for layer in layers() {
                    for hit in overlap(fp, layer, *min_area_m2) {
                        out.push(self.finding(
                            rule,
                            f,
                            &layer.name,
                            Some(layer),
                            hit,
                            Bound::of(*min_area_m2),
                        ));
                    }
                }
            }
            Test::Setback { distance_m, .. } => {
                for layer in layers() {
                    for hit in setback(fp, layer, *distance_m) {
                        out.push(self.finding(
                            rule,
                            f,
                            &layer.name,
                            Some(layer),
                            hit,
                            Bound::of(*distance_m),
                        ));
                    }
                }
            }
            Test::Within { layers: names } => {
                let layers: Vec<&ZoneLayer> = layers().collect();
                if let Some(hit) = within(fp, &layers) {
                    out.push(self.finding(rule, f, &names.join("+"), None, hit, Bound::of(0.0)));
                }
            }
            // Judged over the whole set of proposals: see `share_findings`.
            Test::Share { .. } => {}
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
                    &f.properties,
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
                    let layer_name = layer.map_or_else(|| "(rule)".to_owned(), |l| l.name.clone());
                    let mut finding = self.finding(
                        rule,
                        f,
                        &layer_name,
                        layer,
                        hit,
                        Bound {
                            value: limit.allowed,
                            label: Some(&limit.label),
                        },
                    );
                    // The zone's name says what set the limit: a band, a zone, the rule.
                    finding.zone.name = Some(limit.label);
                    out.push(finding);
                }
            }
        }
    }

    fn finding(
        &self,
        rule: &Rule,
        f: &Feature,
        layer_name: &str,
        layer: Option<&ZoneLayer>,
        hit: Hit,
        bound: Bound<'_>,
    ) -> Finding {
        let (limit, limit_label) = (bound.value, bound.label);
        let zone = match (layer, hit.zone) {
            (Some(layer), Some(z)) => ZoneRef {
                layer: layer_name.to_owned(),
                id: Some(layer.zones[z].id.clone()),
                name: layer.zones[z].name.clone(),
            },
            _ => ZoneRef {
                layer: layer_name.to_owned(),
                id: None,
                name: None,
            },
        };
        let op = match hit.kind {
            MeasureKind::Distance => "<=",
            MeasureKind::OverlapArea if limit > 0.0 => ">=",
            _ => ">",
        };
        let unit = match &rule.test {
            crate::rules::Test::Attribute { unit, .. } => unit,
            _ => hit.kind.unit(),
        };
        let measure = Measure {
            kind: hit.kind,
            value: hit.value,
            unit,
            limit,
            op,
        };
        let value = fmt_num(hit.value);
        let limit_s = fmt_num(limit);
        let zone_label = limit_label
            .map(str::to_owned)
            .or_else(|| zone.name.clone())
            .or_else(|| zone.id.clone())
            .unwrap_or_else(|| zone.layer.clone());
        let feature_label = f
            .name()
            .map(str::to_owned)
            .or_else(|| f.fref.id.clone())
            .unwrap_or_else(|| format!("#{}", f.fref.index));
        let unit = match (self.lang, measure.unit) {
            (Lang::En, "m2") => "m²",
            (Lang::Zh, "m2") => "平方米",
            (Lang::Zh, "m") => "米",
            (Lang::Zh, "years") => "年",
            (Lang::Zh, "floors") => "层",
            (Lang::Zh, "points") => "个点",
            (_, u) => u,
        };
        let missing = match (&rule.test, hit.kind) {
            (Test::Attribute { measured, .. }, MeasureKind::AttributeMissing) => {
                let attributes: Vec<String> =
                    measured.fields().into_iter().map(str::to_owned).collect();
                let reason = attributes
                    .iter()
                    .map(|a| self.describe(a, &f.properties))
                    .collect::<Vec<_>>()
                    .join("; ");
                let reason = match self.lang {
                    Lang::En => format!(
                        "{}: the limit of {limit_s} {unit} ({zone_label}) cannot be checked: {reason}",
                        rule.code
                    ),
                    Lang::Zh => format!(
                        "{}：无法核查 {limit_s} {unit} 的限值（{zone_label}）：{reason}",
                        rule.code
                    ),
                };
                Some(Undetermined { reason, attributes })
            }
            _ => None,
        };
        let message = match &missing {
            // Said by `mark_undetermined` below.
            Some(_) => String::new(),
            None => rule.message_in(self.lang).render(&[
                &value,
                &limit_s,
                unit,
                &zone.layer,
                &zone_label,
                &feature_label,
                &rule.code,
            ]),
        };
        let exception = rule
            .exceptions
            .iter()
            .find(|e| e.when.matches(&f.properties));
        let mut finding = Finding {
            undetermined: None,
            approval: exception
                .and_then(|e| e.approval.clone())
                .or_else(|| rule.approval.clone()),
            exception: exception.map(|e| match &e.note {
                Some(n) => format!("{} ({n})", e.when_text),
                None => e.when_text.clone(),
            }),
            code: rule.code.clone(),
            rule_name: rule.name.clone(),
            severity: exception.map_or(rule.severity, |e| e.severity),
            feature: f.fref.clone(),
            feature_name: f.name().map(str::to_owned),
            zone,
            measure,
            share_of_footprint: hit.share,
            nearest: hit.nearest.map(|[a, b]| [[a.x, a.y], [b.x, b.y]]),
            message,
            citation: rule.citation.clone(),
            triage: Default::default(),
            geometry: hit.geometry,
        };
        if let Some(why) = missing {
            self.mark_undetermined(&mut finding, why);
        }
        finding
    }

    /// Checks every accepted feature of the sources in parallel and builds the report:
    /// findings in stable order, the (feature, rule) pairs checked, diagnostics from layers
    /// and sources, and counts that reconcile (`read = checked + rejected`).
    pub fn check(&self, sources: &[Source]) -> Report {
        let features: Vec<&Feature> = sources.iter().flat_map(|s| s.features.iter()).collect();
        // One parallel pass gives each feature's findings and the rules that applied to it.
        let checked: Vec<(Vec<Finding>, Vec<String>)> =
            features.par_iter().map(|f| self.check_case(f)).collect();
        let mut findings = Vec::new();
        let mut cases = Vec::with_capacity(features.len());
        for (f, (found, rules)) in features.iter().zip(checked) {
            findings.extend(found);
            cases.push(Case {
                feature: f.fref.clone(),
                name: f.name().map(str::to_owned),
                rules,
            });
        }
        findings.extend(self.share_findings(&features));
        findings.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
        let mut diagnostics = self.diagnostics.clone();
        let mut summary = Summary::default();
        for s in sources {
            summary.read += s.read;
            summary.checked += s.features.len();
            summary.rejected += s.rejected();
            diagnostics.extend(s.diagnostics.iter().cloned());
        }
        summary.count(&findings);
        Report {
            findings,
            summary,
            diagnostics,
            rules: self.rules().map(|r| RuleDoc::new(r, self.lang)).collect(),
            lang: self.lang,
            cases,
            working_crs: Some(self.project.crs.clone()),
            source_crs: sources
                .iter()
                .map(|s| (s.name.clone(), s.crs.clone()))
                .collect(),
            ..Report::default()
        }
    }

    /// What an HTML map draws, in the working CRS: the zones in view of the sources'
    /// features (with a margin), and the features coloured by their worst finding.
    pub fn map(&self, sources: &[Source], report: &Report) -> MapData {
        let mut worst: BTreeMap<&crate::model::FeatureRef, crate::model::Severity> =
            BTreeMap::new();
        for f in &report.findings {
            let w = worst.entry(&f.feature).or_insert(f.severity);
            *w = (*w).max(f.severity);
        }
        let footprints: Vec<MapFeature> = sources
            .iter()
            .flat_map(|s| s.features.iter())
            .map(|f| MapFeature {
                label: f
                    .name()
                    .map(str::to_owned)
                    .or_else(|| f.fref.id.clone())
                    .unwrap_or_else(|| format!("#{}", f.fref.index)),
                geometry: f.geometry.clone(),
                worst: worst.get(&f.fref).copied(),
            })
            .collect();
        let view = crate::geom::bbox_of(footprints.iter().map(|f| &f.geometry)).map(|r| {
            crate::index::zone_layer::expand(r, (r.width().max(r.height()) * 0.1).max(500.0))
        });
        let used: std::collections::BTreeSet<&String> =
            self.rules().flat_map(|r| r.test.layers()).collect();
        let layers = match view {
            None => Vec::new(),
            Some(view) => self
                .layers
                .iter()
                .filter(|(name, _)| used.contains(name))
                .map(|(name, layer)| MapLayer {
                    name: name.clone(),
                    areas: layer.pieces_in(view).map(|p| p.polygon.clone()).collect(),
                    lines: layer
                        .edges_in(view)
                        .filter(|e| !layer.zones[e.zone].areal)
                        .map(|e| e.coords.clone())
                        .collect(),
                })
                .collect(),
        };
        MapData {
            view,
            layers,
            footprints,
        }
    }
}

/// The width of the rectangle with a polygon's area and perimeter (exact for a rectangle; for a
/// long, even strip, its mean width): `(P - sqrt(P² - 16A)) / 4`.
pub fn strip_width(g: &geo::Geometry<f64>) -> Option<f64> {
    use geo::{Area, Euclidean, Length};
    let polygons: Vec<&geo::Polygon<f64>> = match g {
        geo::Geometry::Polygon(p) => vec![p],
        geo::Geometry::MultiPolygon(m) => m.iter().collect(),
        _ => return None,
    };
    let area: f64 = polygons.iter().map(|p| p.unsigned_area()).sum();
    let perimeter: f64 = polygons
        .iter()
        .flat_map(|p| std::iter::once(p.exterior()).chain(p.interiors()))
        .map(|r| Euclidean.length(r))
        .sum();
    let disc = (perimeter * perimeter - 16.0 * area).max(0.0);
    (area > 0.0).then(|| (perimeter - disc.sqrt()) / 4.0)
}

/// Zones of a layer narrower than their declared width (beyond 2 % and 1 cm): data problems,
/// as warnings that name the zone, its width and the declared one.
fn narrow_zones(layer: &str, field: &str, features: &[Feature]) -> Vec<Diagnostic> {
    features
        .iter()
        .filter_map(|f| {
            let declared = f.properties.get(field)?.as_f64()?;
            let width = strip_width(&f.geometry)?;
            (width < declared * 0.98 - 0.01).then(|| {
                Diagnostic::warning(
                    format!("layer '{layer}'"),
                    format!(
                        "zone is about {} m wide, narrower than its declared {} m ({field}): a data problem in the zone layer; redraw it or correct the declaration",
                        fmt_num(width),
                        fmt_num(declared)
                    ),
                )
                .feature(f.fref.index, f.fref.id.as_deref())
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::fmt_num;

    #[test]
    fn strip_width_is_exact_for_rectangles() {
        use geo::{polygon, Geometry};
        let r = Geometry::Polygon(
            polygon![(x: 0., y: 0.), (x: 20., y: 0.), (x: 20., y: 600.), (x: 0., y: 600.)],
        );
        assert!((super::strip_width(&r).unwrap() - 20.0).abs() < 1e-9);
    }

    #[test]
    fn numbers_read_cleanly() {
        assert_eq!(fmt_num(1000.0), "1000");
        assert_eq!(fmt_num(612.4321), "612.43");
        assert_eq!(fmt_num(0.5), "0.5");
        assert_eq!(fmt_num(-0.0001), "0");
    }
}
