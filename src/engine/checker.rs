//! The checker: a project's rule packs loaded and its zone layers indexed, ready to evaluate
//! features ([`super::evaluate`]) and word findings ([`super::finding`]).

use super::evaluate::Checked;
use super::zones::{load_layer, Loaded};
use crate::index::ZoneLayer;
use crate::io::{self, Collected, ReadOptions};
use crate::model::{Diagnostic, Lang, Properties};
use crate::project::Project;
use crate::rules::dictionary::{self, Dictionary};
use crate::rules::{load_pack, Pack, Rule};
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
    /// Decode every attribute, not only those the rules read (`rules test` reads its
    /// fixtures' `expect`).
    pub all_attributes: bool,
}

/// One proposal source through the pipeline, whole: what `check` and `rules test` hold.
/// Counts reconcile: `read = checked.len() + rejected`, one error diagnostic per rejected
/// feature.
pub type CheckedSource<'c> = Collected<Checked<'c>>;

/// A project ready to check features: its zone layers indexed and its rule packs loaded.
/// Cloning shares the indexed layers (a server keeps one clone per language).
#[derive(Clone)]
pub struct Checker {
    pub project: Project,
    pub packs: Vec<Pack>,
    pub layers: std::sync::Arc<BTreeMap<String, ZoneLayer>>,
    /// The project's elevation models, opened (values are read on demand).
    pub dems: std::sync::Arc<BTreeMap<String, crate::dem::Dem>>,
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
    /// The proposal attributes the packs read ([`attributes_read`]): readers decode only
    /// these.
    pub projection: io::Projection,
    /// Each district's landscape for the share rules, worked out once (shared by clones).
    pub share_land: std::sync::Arc<super::share::LandCache>,
}

/// The proposal attributes a set of packs reads: those of every rule's `applies_to`, its
/// exceptions' `when` and its attribute test, and `name` (findings' labels); with the
/// dictionary, every field name or alias that stands for one of them.
fn attributes_read(packs: &[Pack], dictionary: &Dictionary) -> io::Projection {
    let mut names: std::collections::HashSet<String> = ["name".to_owned()].into();
    // The proposals an indicator acts on are picked by their attributes.
    names.extend(
        packs
            .iter()
            .flat_map(|p| &p.indicators)
            .flat_map(|i| i.proposals.iter().flat_map(|f| f.properties())),
    );
    for rule in packs.iter().flat_map(|p| p.rules.iter()) {
        names.extend(rule.applies_to.iter().flat_map(|f| f.properties()));
        names.extend(rule.exceptions.iter().flat_map(|e| e.when.properties()));
        match &rule.test {
            crate::rules::Test::Attribute { measured, .. } => {
                names.extend(measured.fields().into_iter().map(str::to_owned));
            }
            crate::rules::Test::Elevation { height, .. }
            | crate::rules::Test::Skyline { height, .. } => {
                names.insert(height.clone());
            }
            // The written land use is kept by the attribute that declares `keep_written`:
            // that attribute's fields are read too.
            crate::rules::Test::LandUse { proposed, .. } => {
                names.insert(proposed.clone());
                names.extend(
                    dictionary
                        .attributes()
                        .iter()
                        .filter(|a| a.keep_written.as_deref() == Some(proposed.as_str()))
                        .map(|a| a.name.clone()),
                );
            }
            crate::rules::Test::PlanLimits {
                height,
                floor_area,
                green_area,
                ..
            } => {
                names.extend([height.clone(), floor_area.clone(), green_area.clone()]);
            }
            _ => {}
        }
    }
    let dictionary = dictionary.clone();
    io::Projection::new(move |field| {
        names.contains(field)
            || dictionary
                .resolve_field(field)
                .is_some_and(|a| names.contains(&a.name))
    })
}

/// The packs' dictionaries merged, with the project's own names on top: the proposals' and
/// the planning parcels'. Conflicts are errors naming the pack or the project file.
fn merged_dictionaries(
    project: &Project,
    packs: &[Pack],
    errors: &mut Vec<Diagnostic>,
) -> (Dictionary, Dictionary) {
    let mut d = Dictionary::default();
    let mut parcels = Dictionary::default();
    for pack in packs {
        let file = || pack.dir.join(dictionary::FILE_NAME).display().to_string();
        for (into, from) in [
            (&mut d, &pack.dictionary),
            (&mut parcels, &pack.parcel_dictionary),
        ] {
            for a in from.iter().flat_map(|d| d.attributes()) {
                if let Err(why) = into.add(a.clone()) {
                    errors.push(Diagnostic::error(file(), why));
                }
            }
        }
    }
    for (name, mapping) in &project.attributes {
        // A parcel attribute's names go to the parcels' dictionary; every other name to the
        // proposals' (which says what is known when the name is neither).
        let result = match parcels.get(name) {
            Some(_) => parcels.map(name, mapping),
            None => d.map(name, mapping),
        };
        if let Err(why) = result {
            errors.push(Diagnostic::error(project.path.display().to_string(), why));
        }
    }
    (d, parcels)
}

/// Districts a share rule cannot judge: no number in its `target_field` and no `min_share`
/// to fall back on. The rule would pass every proposal there, so each is an error of the
/// districts layer (the run exits 2), naming the district, the field and the rule.
fn districts_without_targets(
    packs: &[Pack],
    layers: &BTreeMap<String, ZoneLayer>,
) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for rule in packs.iter().flat_map(|p| &p.rules) {
        let crate::rules::Test::Share {
            group,
            min_share: None,
            target_field: Some(field),
            ..
        } = &rule.test
        else {
            continue;
        };
        let Some(layer) = layers.get(group) else {
            continue;
        };
        for zone in layer.zones.iter().filter(|z| z.areal) {
            if zone.number(field).is_none() {
                out.push(
                    Diagnostic::error(
                        format!("layer '{group}'"),
                        format!(
                            "district {} has no number in {field}: {} cannot judge proposals there; give it its target",
                            zone.id, rule.code
                        ),
                    ),
                );
            }
        }
    }
    out
}

impl Checker {
    /// Loads the project's packs and layers. Every pack error, in every file, is reported
    /// together.
    pub fn load(project: Project) -> Result<Checker> {
        let names = project.input_names();
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
        let (dictionary, parcel_dictionary) = merged_dictionaries(&project, &packs, &mut errors);
        // Layers are read, validated and indexed in parallel (a big red line or river
        // network takes a while), then taken in file order.
        let loaded: Vec<Result<std::result::Result<Loaded, Diagnostic>>> = project
            .layers
            .par_iter()
            .map(|spec| load_layer(&project, spec, &parcel_dictionary))
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
        let mut dems = BTreeMap::new();
        for spec in &project.dems {
            match crate::dem::Dem::open(spec, &project.crs) {
                Ok(d) => {
                    dems.insert(spec.name.clone(), d);
                }
                Err(e) => errors.push(Diagnostic::error(
                    project.path.display().to_string(),
                    e.to_string(),
                )),
            }
        }
        // A rule must find every layer and DEM it names, of the right kind: a name left out
        // here would be a test that silently measures nothing.
        for pack in &packs {
            for rule in &pack.rules {
                let at = rule.dir.join("rule.toml").display().to_string();
                // A plan rule reads its parcels' planned use and limits: a layer of another
                // kind has not had its attributes read as a plan's.
                if let Some(p) = rule.test.parcels() {
                    match project.layers.iter().find(|s| s.name == p) {
                        Some(s) if s.kind != crate::project::LayerKind::PlanningParcels => {
                            errors.push(Diagnostic::error(
                                at.clone(),
                                format!(
                                    "{}: layer '{p}' is not a planning-parcel layer; give it kind = \"planning_parcels\" in {}",
                                    rule.code,
                                    project.path.display()
                                ),
                            ));
                        }
                        _ => {}
                    }
                }
                for l in rule.test.layers() {
                    if !project.layers.iter().any(|s| &s.name == l) {
                        let why = if project.dems.iter().any(|d| &d.name == l) {
                            format!("{}: '{l}' is a [[dem]], not a zone layer", rule.code)
                        } else {
                            format!("{}: the project has no layer '{l}'", rule.code)
                        };
                        errors.push(Diagnostic::error(at.clone(), why));
                    }
                }
                if let Some(d) = rule.test.dem() {
                    if !project.dems.iter().any(|s| s.name == d) {
                        let why = if project.layers.iter().any(|l| l.name == d) {
                            format!("{}: '{d}' is a zone layer, not a [[dem]]", rule.code)
                        } else {
                            format!("{}: the project has no [[dem]] '{d}'", rule.code)
                        };
                        errors.push(Diagnostic::error(at.clone(), why));
                    }
                }
            }
        }
        if !errors.is_empty() {
            return Err(Error::Config(errors));
        }
        diagnostics.extend(districts_without_targets(&packs, &layers));
        let area = project.area.or_else(|| {
            use geo::BoundingRect;
            layers
                .values()
                .flat_map(|l| {
                    let pieces = l.pieces.iter().filter_map(|p| p.polygon.bounding_rect());
                    pieces.chain(l.edges.iter().map(|e| e.bbox))
                })
                .reduce(crate::geom::union_rect)
                .map(|r| crate::geom::expand(r, project.area_margin_m))
        });
        let projection = attributes_read(&packs, &dictionary);
        Ok(Checker {
            project,
            packs,
            layers: std::sync::Arc::new(layers),
            dems: std::sync::Arc::new(dems),
            diagnostics,
            zones_read,
            dictionary,
            area,
            lang: Lang::default(),
            projection,
            share_land: Default::default(),
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

    /// The rule with this code.
    pub fn rule(&self, code: &str) -> Option<&Rule> {
        self.rules().find(|r| r.code.eq_ignore_ascii_case(code))
    }

    /// The reading options for proposal sources: the one place they are built from a
    /// request (the working CRS, the project's datums and limits).
    pub fn read_options<'a>(&'a self, request: &ReadRequest<'a>) -> ReadOptions<'a> {
        ReadOptions {
            id_field: request.id_field,
            declared_crs: request.assume_crs,
            target: &self.project.crs,
            layer: request.layer,
            repair: request.repair,
            encoding: request.encoding,
            datums: self.project.datums.as_deref(),
            limits: self.project.limits,
            attributes: (!request.all_attributes).then_some(&self.projection),
        }
    }

    /// Reads one proposal source whole and evaluates every feature (in parallel, batch by
    /// batch, as `audit` does): `check` and `rules test` start here. A feature that cannot
    /// be evaluated (outside the project's area) is rejected with its error.
    pub fn check_source(
        &self,
        path: &std::path::Path,
        request: &ReadRequest<'_>,
    ) -> Result<CheckedSource<'_>> {
        let collected = io::read_with(
            path,
            self.read_options(request),
            |f| self.evaluate(f),
            |c| self.held(c),
        )?;
        Ok(Self::split(collected))
    }

    /// [`Checker::check_source`] for a source the caller opened
    /// ([`io::stream::from_stream`]: features it holds in memory), with the same options.
    pub fn check_opened(
        &self,
        opened: io::stream::Opened<'_>,
        request: &ReadRequest<'_>,
    ) -> Result<CheckedSource<'_>> {
        let collected = io::stream::collect_stream(
            opened,
            self.read_options(request),
            &|f| self.evaluate(f),
            &|c| self.held(c),
        )?;
        Ok(Self::split(collected))
    }

    /// What an evaluated feature holds in memory (for [`io::Limits::check_memory_mb`]).
    fn held(&self, c: &Result<Checked<'_>, Box<crate::model::Diagnostic>>) -> u64 {
        match c {
            Ok(c) => io::memory_estimate(&c.properties, None) + c.footprint.memory_bytes(),
            Err(_) => 0,
        }
    }

    /// Evaluated features and the errors of those that could not be evaluated (outside the
    /// project's area), as diagnostics: counts reconcile.
    fn split<'c>(
        collected: Collected<Result<Checked<'c>, Box<crate::model::Diagnostic>>>,
    ) -> CheckedSource<'c> {
        let mut out = Collected {
            name: collected.name,
            crs: collected.crs,
            read: collected.read,
            items: Vec::with_capacity(collected.items.len()),
            diagnostics: collected.diagnostics,
        };
        for c in collected.items {
            match c {
                Ok(c) => out.items.push(c),
                Err(d) => out.diagnostics.push(*d),
            }
        }
        out
    }
}
