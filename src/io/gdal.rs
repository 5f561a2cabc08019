//! Every other vector format through GDAL/OGR (`gdal` feature): Shapefile (the `.cpg` sets
//! the attribute encoding, so GBK names come through), GeoPackage, OpenFileGDB, KML, DXF
//! (closed polylines read as polygons; `--layer` picks a CAD layer), GML, FlatGeobuf, CSV with
//! WKT, `PG:` connection strings.

use super::{resolve_crs, RawFeature, ReadOptions, Source, Whole};
use crate::crs::Crs;
use crate::{Error, Result};
use gdal::spatial_ref::SpatialRef;
use gdal::vector::{FieldValue, LayerAccess};
use gdal::{Dataset, DatasetOptions, GdalOpenFlags};
use serde_json::Value;
use std::path::{Path, PathBuf};

/// Reads one layer of an OGR data source through GDAL, whatever its format (the native
/// readers' formats too: the tests compare both).
pub fn read(path: &Path, opts: ReadOptions<'_>) -> Result<Source> {
    super::openable(path)?;
    super::guarded(path, || {
        super::stream::collect_whole(path, read_whole(path, opts)?, opts)
    })
}

/// The raw features of one layer of an OGR data source.
pub(crate) fn read_whole(path: &Path, opts: ReadOptions<'_>) -> Result<Whole> {
    // GDAL's own switch for Shapefile attribute encodings (over the .cpg).
    if let Some(enc) = opts.encoding {
        let _ = gdal::config::set_config_option("SHAPE_ENCODING", enc);
    }
    // Vector drivers only: opened for rasters too, a `PG:` database is browsed for PostGIS
    // Raster tables, which fails where the raster extension is not installed.
    let vector = DatasetOptions {
        open_flags: GdalOpenFlags::GDAL_OF_VECTOR,
        ..Default::default()
    };
    let ds = Dataset::open_ex(path, vector);
    // From here on the source is named as `shown`: a connection string's password is masked.
    let shown = PathBuf::from(super::shown(path).into_owned());
    let path = shown.as_path();
    let ds = ds.map_err(|e| Error::parse(path, None, format!("GDAL cannot open it: {e}")))?;
    let names: Vec<String> = ds.layers().map(|l| l.name()).collect();
    // In a CAD file every entity is in one OGR layer; --layer names the CAD layer instead.
    let cad = matches!(ds.driver().short_name().as_str(), "DXF" | "CAD");
    if let (true, Some(cad_layer)) = (cad, opts.layer) {
        let mut layer = ds
            .layer(0)
            .map_err(|e| Error::parse(path, None, e.to_string()))?;
        layer
            .set_attribute_filter(&format!("Layer = '{}'", cad_layer.replace('\'', "''")))
            .map_err(|e| Error::parse(path, None, format!("CAD layer '{cad_layer}': {e}")))?;
        return read_layer(path, &mut layer, opts, true);
    }
    let mut layer = match opts.layer {
        Some(name) => ds
            .layer_by_name(name)
            .map_err(|_| super::no_such_layer(path, name, &names))?,
        None if names.len() == 1 => ds
            .layer(0)
            .map_err(|e| Error::parse(path, None, e.to_string()))?,
        None => return Err(super::layer_needed(path, &names)),
    };
    read_layer(path, &mut layer, opts, cad)
}

/// In CAD drawings plots are closed polylines: read a closed line as the polygon it outlines.
fn close_cad_outline(g: geo::Geometry<f64>) -> geo::Geometry<f64> {
    use geo::{Geometry, MultiPolygon, Polygon};
    let closed = |l: &geo::LineString<f64>| l.0.len() >= 4 && l.is_closed();
    match g {
        Geometry::LineString(l) if closed(&l) => Geometry::Polygon(Polygon::new(l, vec![])),
        Geometry::MultiLineString(m) if !m.0.is_empty() && m.iter().all(closed) => {
            Geometry::MultiPolygon(MultiPolygon(
                m.0.into_iter().map(|l| Polygon::new(l, vec![])).collect(),
            ))
        }
        other => other,
    }
}

fn read_layer<L: LayerAccess>(
    path: &Path,
    layer: &mut L,
    opts: ReadOptions<'_>,
    cad: bool,
) -> Result<Whole> {
    let in_file = match layer.spatial_ref() {
        Some(srs) => Some(crs_of(&srs).map_err(|why| Error::parse(path, None, why))?),
        None => None,
    };
    let crs = resolve_crs(path, in_file, None, &opts)?;
    let mut raws = Vec::new();
    let booleans = boolean_fields(layer);
    let names: Vec<String> = layer.defn().fields().map(|f| f.name()).collect();
    for (index, feature) in layer.features().enumerate() {
        let mut properties = serde_json::Map::new();
        // By OGR field index: the gdal crate's `fields()` skips fields of types it does not
        // know (KML has some), which would shift every index after them.
        for (i, name) in names.iter().enumerate() {
            // Only the fields the rules read are kept ([`super::Projection`]).
            if !super::wanted(&opts, name) {
                continue;
            }
            // SAFETY: the feature handle is valid for the life of `feature`, and `i` is below
            // its field count. An unset field (FlatGeobuf omits nulls) reads as 0 otherwise.
            let set = unsafe {
                gdal_sys::OGR_F_IsFieldSetAndNotNull(feature.c_feature(), i as std::ffi::c_int) != 0
            };
            let value = match feature.field(i) {
                _ if !set => Value::Null,
                Ok(Some(FieldValue::IntegerValue(v))) if booleans.contains(&i) => {
                    Value::Bool(v != 0)
                }
                Ok(other) => other.map_or(Value::Null, json_value),
                // A type the gdal crate cannot read (binary...): left out as null.
                Err(_) => Value::Null,
            };
            properties.insert(name.clone(), value);
        }
        let geometry = match feature.geometry() {
            None => Err("the feature has no geometry".to_owned()),
            Some(g) if g.is_empty() => Err("empty geometry".to_owned()),
            Some(g) => g
                .to_geo()
                .map(|g| if cad { close_cad_outline(g) } else { g })
                .map_err(|e| format!("unsupported geometry: {e}")),
        };
        raws.push(RawFeature {
            index,
            id: feature.fid().map(|f| f.to_string()),
            properties,
            geometry,
            repaired: None,
        });
    }
    Ok(Whole {
        crs,
        raws,
        diagnostics: Vec::new(),
    })
}

/// Indexes of the fields whose subtype is boolean (GeoPackage, FileGDB, PostGIS booleans
/// arrive as integers otherwise, and `discharges = TRUE` would not match them).
fn boolean_fields<L: LayerAccess>(layer: &L) -> std::collections::BTreeSet<usize> {
    let defn = layer.defn();
    let count = defn.fields().count();
    (0..count)
        .filter(|i| {
            // SAFETY: the definition handle lives as long as `layer`, and `i` is below its
            // field count, so OGR_FD_GetFieldDefn returns a valid field handle.
            unsafe {
                let field = gdal_sys::OGR_FD_GetFieldDefn(defn.c_defn(), *i as std::ffi::c_int);
                !field.is_null()
                    && gdal_sys::OGR_Fld_GetSubType(field) == gdal_sys::OGRFieldSubType::OFSTBoolean
            }
        })
        .collect()
}

/// The CRS a layer declares, as an EPSG code where GDAL can identify one.
fn crs_of(srs: &SpatialRef) -> std::result::Result<Crs, String> {
    let mut srs = srs.clone();
    if srs.auth_name().as_deref() != Some("EPSG") {
        let _ = srs.auto_identify_epsg();
    }
    if srs.auth_name().as_deref() == Some("EPSG") {
        if let Ok(code) = srs.auth_code() {
            return Crs::from_epsg(code as u32).map_err(|e| e.to_string());
        }
    }
    let proj4 = srs
        .to_proj4()
        .map_err(|e| format!("cannot express the layer's CRS: {e}"))?;
    Crs::parse(&proj4)
        .map_err(|e| format!("the layer's CRS ({}): {e}", srs.name().unwrap_or_default()))
}

fn json_value(v: FieldValue) -> Value {
    match v {
        FieldValue::IntegerValue(i) => Value::from(i),
        FieldValue::Integer64Value(i) => Value::from(i),
        FieldValue::RealValue(f) => {
            serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)
        }
        FieldValue::StringValue(s) => Value::String(s),
        FieldValue::IntegerListValue(l) => Value::from(l),
        FieldValue::Integer64ListValue(l) => Value::from(l),
        FieldValue::RealListValue(l) => Value::from(l),
        FieldValue::StringListValue(l) => Value::from(l),
        FieldValue::DateValue(d) => Value::String(d.to_string()),
        FieldValue::DateTimeValue(d) => Value::String(d.to_string()),
    }
}
