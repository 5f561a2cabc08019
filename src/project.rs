//! The project file `ironrule.toml`: the working CRS, the zone layers and the rule packs.
//! Paths in it are relative to the file. Found by walking up from the working directory
//! when `--project` is not given, as linters find their configs.

use crate::crs::Crs;
use crate::error::line_col;
use crate::{Error, Result};
use serde::Deserialize;
use std::path::{Path, PathBuf};

/// The file name looked for.
pub const FILE_NAME: &str = "ironrule.toml";

/// One `[[layer]]`.
#[derive(Clone, Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LayerSpec {
    /// The name rules use.
    pub name: String,
    /// Path relative to the project file.
    pub path: PathBuf,
    /// Attribute holding the zone id; else the feature id, else `#<index>`.
    #[serde(default)]
    pub id_field: Option<String>,
    /// The layer's CRS where the file does not say (or says wrongly by RFC 7946 default).
    #[serde(default)]
    pub crs: Option<String>,
    /// For multi-layer sources (GeoPackage...), the layer inside the file.
    #[serde(default)]
    pub source_layer: Option<String>,
    /// A CQL2 filter on the zone features' attributes: only matching features form the layer
    /// (e.g. `basin_km2 >= 10000` for important tributaries).
    #[serde(default)]
    pub filter: Option<String>,
    /// The zone attribute declaring how wide each zone must be (view and ecological
    /// corridors): zones narrower than declared are reported as data problems.
    #[serde(default)]
    pub declared_width_field: Option<String>,
    /// What the layer is, for people.
    #[serde(default)]
    pub title: Option<String>,
    /// A Shapefile's attribute encoding (`GBK`, `GB18030`...) where its `.cpg` is missing or
    /// wrong.
    #[serde(default)]
    pub encoding: Option<String>,
    /// What the layer holds: protection `zones` (the default), or `planning_parcels`, the
    /// regulatory plan's parcels (控规地块), whose attributes are read through the packs'
    /// `[[parcel_attribute]]` dictionary (planned use, height, FAR, coverage, green ratio,
    /// setback).
    #[serde(default)]
    pub kind: LayerKind,
}

/// What a zone layer holds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum LayerKind {
    /// Protection zones, lines or points (red lines, rivers, viewpoints...).
    #[default]
    Zones,
    /// The regulatory plan's parcels (控规地块), with their planned use and limits.
    PlanningParcels,
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct ProjectFile {
    #[serde(default)]
    name: Option<String>,
    crs: String,
    rules: Vec<PathBuf>,
    #[serde(default, rename = "layer")]
    layers: Vec<LayerSpec>,
    /// Elevation models (`[[dem]]`) the terrain rules read.
    #[serde(default, rename = "dem")]
    dems: Vec<crate::dem::DemSpec>,
    #[serde(default)]
    group_by: Option<String>,
    #[serde(default)]
    datums: Option<Vec<String>>,
    /// A department's own names for the packs' attributes and values.
    #[serde(default)]
    attributes: std::collections::BTreeMap<String, crate::rules::dictionary::Mapping>,
    /// The severity undetermined results are lowered to (never dropped).
    #[serde(default)]
    undetermined_severity: Option<crate::model::Severity>,
    /// The area proposals must lie in, in the working CRS: `[min_x, min_y, max_x, max_y]`.
    #[serde(default)]
    area: Option<[f64; 4]>,
    /// Without `area`: how far beyond the zone layers' extent a proposal may lie (metres).
    #[serde(default)]
    area_margin_m: Option<f64>,
    /// Sizes past which input is refused rather than read.
    #[serde(default)]
    limits: crate::io::Limits,
}

/// The margin around the zone layers' extent that makes a project's area when it declares
/// none: 20 km, far more than any rule's distance, far less than a wrong CRS's offset.
pub const DEFAULT_AREA_MARGIN_M: f64 = 20_000.0;

/// A loaded project file.
#[derive(Clone, Debug)]
pub struct Project {
    pub path: PathBuf,
    pub name: Option<String>,
    /// The working CRS, checked to be projected and metric.
    pub crs: Crs,
    /// Rule pack folders, resolved against the project file's folder.
    pub rule_dirs: Vec<PathBuf>,
    /// Layers, with `path` resolved against the project file's folder.
    pub layers: Vec<LayerSpec>,
    /// Elevation models, with `path` resolved against the project file's folder.
    pub dems: Vec<crate::dem::DemSpec>,
    /// A layer of districts (areal zones): `audit` counts findings per district.
    pub group_by: Option<String>,
    /// The datums inputs may be on (canonical names, see
    /// [`crate::crs::definition::datum_name`]); `None` accepts any the transform knows.
    pub datums: Option<Vec<String>>,
    /// A department's own names for the packs' attributes and values (`[attributes.NAME]`).
    pub attributes: std::collections::BTreeMap<String, crate::rules::dictionary::Mapping>,
    /// Undetermined results are reported at most at this severity (`undetermined_severity`);
    /// `None`: at their rule's severity.
    pub undetermined_severity: Option<crate::model::Severity>,
    /// The declared area proposals must lie in (working CRS), if any.
    pub area: Option<geo::Rect<f64>>,
    /// The margin around the zone layers' extent when no area is declared, metres.
    pub area_margin_m: f64,
    /// Sizes past which input is refused rather than read (`[limits]`).
    pub limits: crate::io::Limits,
    /// Keep each zone's whole geometry after tiling it (not in the file: `serve` sets it to
    /// draw the layers; the other commands need only the tiles).
    pub keep_zone_geometry: bool,
}

impl Project {
    /// Loads and checks a project file.
    pub fn load(path: &Path) -> Result<Project> {
        let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
        crate::schema::refuse(crate::schema::File::Project, path, &text)?;
        let file: ProjectFile = toml::from_str(&text).map_err(|e| {
            let loc = e.span().map(|s| line_col(&text, s.start));
            Error::parse(path, loc, e.message().trim().to_owned())
        })?;
        let crs = Crs::parse(&file.crs)
            .and_then(|c| c.check_working().map(|_| c))
            .map_err(|e| Error::parse(path, None, format!("crs: {e}")))?;
        let dir = path.parent().unwrap_or(Path::new(""));
        let mut layers = file.layers;
        let mut names = std::collections::BTreeSet::new();
        for l in &mut layers {
            if !names.insert(l.name.clone()) {
                return Err(Error::parse(
                    path,
                    None,
                    format!("layer '{}' is defined twice", l.name),
                ));
            }
            if let Some(f) = &l.filter {
                crate::rules::filter::Filter::parse(f).map_err(|e| {
                    Error::parse(path, None, format!("layer '{}': filter: {e}", l.name))
                })?;
            }
            if let Some(c) = &l.crs {
                Crs::parse(c).map_err(|e| {
                    Error::parse(path, None, format!("layer '{}': crs: {e}", l.name))
                })?;
            }
            if !crate::io::is_connection(&l.path) {
                l.path = dir.join(&l.path);
            }
        }
        let mut dems = file.dems;
        for d in &mut dems {
            if !names.insert(d.name.clone()) {
                return Err(Error::parse(
                    path,
                    None,
                    format!(
                        "[[dem]] '{}': the name is taken by another [[layer]] or [[dem]]",
                        d.name
                    ),
                ));
            }
            if let Some(c) = &d.crs {
                Crs::parse(c).map_err(|e| {
                    Error::parse(path, None, format!("[[dem]] '{}': crs: {e}", d.name))
                })?;
            }
            d.path = dir.join(&d.path);
        }
        if let Some(g) = &file.group_by {
            if !layers.iter().any(|l| &l.name == g) {
                return Err(Error::parse(
                    path,
                    None,
                    format!("group_by = \"{g}\" names no [[layer]]"),
                ));
            }
        }
        let datums = match file.datums {
            None => None,
            Some(names) => {
                let datums: Vec<String> = names
                    .iter()
                    .map(|d| crate::crs::definition::datum_name(d))
                    .collect();
                let why = match crs.datum() {
                    Some(d) if datums.contains(&d) => None,
                    Some(d) => Some(format!(
                        "datums = [{}] leaves out {d}, the datum of the working CRS {}",
                        datums.join(", "),
                        crs.name
                    )),
                    None => Some(format!(
                        "datums = [...] needs a working CRS whose datum can be told; {} does not say (name it by EPSG code, or add +datum= to the PROJ string)",
                        crs.name
                    )),
                };
                if let Some(why) = why {
                    return Err(Error::parse(path, None, why));
                }
                Some(datums)
            }
        };
        let area = match file.area {
            Some([x0, y0, x1, y1]) if [x0, y0, x1, y1].iter().all(|v| v.is_finite()) && x0 < x1 && y0 < y1 => {
                Some(geo::Rect::new((x0, y0), (x1, y1)))
            }
            Some(a) => {
                return Err(Error::parse(
                    path,
                    None,
                    format!("area = {a:?} must be [min_x, min_y, max_x, max_y] in the working CRS, with min < max"),
                ))
            }
            None => None,
        };
        let area_margin_m = file.area_margin_m.unwrap_or(DEFAULT_AREA_MARGIN_M);
        if !(area_margin_m.is_finite() && area_margin_m >= 0.0) {
            return Err(Error::parse(
                path,
                None,
                format!("area_margin_m = {area_margin_m} must be a number of metres ≥ 0"),
            ));
        }
        let l = file.limits;
        if l.feature_mb == 0 || l.check_features == 0 || l.check_memory_mb == 0 {
            return Err(Error::parse(
                path,
                None,
                format!("[limits] must all be positive numbers, got {l:?}"),
            ));
        }
        Ok(Project {
            limits: file.limits,
            attributes: file.attributes,
            undetermined_severity: file.undetermined_severity,
            area,
            area_margin_m,
            datums,
            group_by: file.group_by,
            path: path.to_owned(),
            name: file.name,
            crs,
            rule_dirs: file.rules.iter().map(|r| dir.join(r)).collect(),
            layers,
            dems,
            keep_zone_geometry: false,
        })
    }

    /// Looks for `ironrule.toml` in `start` and its parents.
    pub fn discover(start: &Path) -> Option<PathBuf> {
        start
            .ancestors()
            .map(|d| d.join(FILE_NAME))
            .find(|p| p.is_file())
    }

    /// The layer names, in file order.
    pub fn layer_names(&self) -> Vec<String> {
        self.layers.iter().map(|l| l.name.clone()).collect()
    }

    /// What rules may name: the layers, then the DEMs (`dem = "..."`). The checker tells
    /// a DEM named as a layer from a layer named as a DEM.
    pub fn input_names(&self) -> Vec<String> {
        self.layers
            .iter()
            .map(|l| l.name.clone())
            .chain(self.dems.iter().map(|d| d.name.clone()))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_resolve_against_the_project_file_and_geographic_crs_is_refused() {
        let tmp = tempfile::tempdir().unwrap();
        let p = tmp.path().join(FILE_NAME);
        std::fs::write(&p, "crs = \"EPSG:4546\"\nrules = [\"r\"]\n[[layer]]\nname = \"a\"\npath = \"z/a.geojson\"\n").unwrap();
        let project = Project::load(&p).unwrap();
        assert_eq!(project.layers[0].path, tmp.path().join("z/a.geojson"));
        assert_eq!(project.rule_dirs, vec![tmp.path().join("r")]);
        std::fs::write(&p, "crs = \"EPSG:4490\"\nrules = []\n").unwrap();
        let err = Project::load(&p).unwrap_err().to_string();
        assert!(err.contains("geographic"), "{err}");
        std::fs::write(
            &p,
            "crs = \"EPSG:4546\"\nrules = []\n[[layer]]\nname = \"a\"\n",
        )
        .unwrap();
        let err = Project::load(&p).unwrap_err().to_string();
        assert!(
            err.contains("ironrule.toml:3:1") && err.contains("path"),
            "{err}"
        );
    }

    #[test]
    fn datums_are_named_as_people_write_them_and_must_include_the_working_crs() {
        let tmp = tempfile::tempdir().unwrap();
        let p = tmp.path().join(FILE_NAME);
        let load = |crs: &str, datums: &str| {
            std::fs::write(
                &p,
                format!("crs = {crs:?}\nrules = []\ndatums = {datums}\n"),
            )
            .unwrap();
            Project::load(&p)
        };
        let project = load("EPSG:4546", r#"["China 2000", "wgs84"]"#).unwrap();
        assert_eq!(project.datums.unwrap(), ["CGCS2000", "WGS 84"]);
        let err = load("EPSG:32649", r#"["CGCS2000"]"#)
            .unwrap_err()
            .to_string();
        assert!(err.contains("leaves out WGS 84"), "{err}");
        let err = load(
            "+proj=tmerc +lon_0=111 +k=1 +x_0=500000 +ellps=GRS80 +units=m",
            r#"["CGCS2000"]"#,
        )
        .unwrap_err()
        .to_string();
        assert!(
            err.contains("cannot be told") || err.contains("does not say"),
            "{err}"
        );
        assert!(load(
            "+proj=tmerc +lon_0=111 +k=1 +x_0=500000 +datum=WGS84 +units=m",
            r#"["WGS 84"]"#
        )
        .is_ok());
    }
}
