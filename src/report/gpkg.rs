//! A GeoPackage findings layer (`gdal` feature): the GeoJSON layer's attributes, geometry in
//! the working CRS (metric, as planners' GIS desks use it), written through GDAL.

use super::{Emitter, Report};
use std::io::{self, Write};

/// GeoPackage findings layer `ironrule_findings`. Needs `--output FILE` (binary).
pub struct GeoPackageLayer;

#[cfg(not(feature = "gdal"))]
impl Emitter for GeoPackageLayer {
    fn emit(&self, _out: &mut dyn Write, _report: &Report) -> io::Result<()> {
        Err(io::Error::new(
            io::ErrorKind::Unsupported,
            "the gpkg format is written through GDAL: build with `--no-default-features --features gdal` (or use --format geojson)",
        ))
    }
}

#[cfg(feature = "gdal")]
impl Emitter for GeoPackageLayer {
    fn emit(&self, out: &mut dyn Write, report: &Report) -> io::Result<()> {
        use std::sync::atomic::{AtomicUsize, Ordering};
        static SEQ: AtomicUsize = AtomicUsize::new(0);
        // GDAL writes to a path; the bytes then go wherever the report goes (atomically).
        let tmp = std::env::temp_dir().join(format!(
            "ironrule-{}-{}.gpkg",
            std::process::id(),
            SEQ.fetch_add(1, Ordering::Relaxed)
        ));
        let written = write(&tmp, report).map_err(|e| io::Error::other(format!("GeoPackage: {e}")));
        let bytes = written.and_then(|()| std::fs::read(&tmp));
        let _ = std::fs::remove_file(&tmp);
        out.write_all(&bytes?)
    }
}

#[cfg(feature = "gdal")]
fn write(path: &std::path::Path, report: &Report) -> gdal::errors::Result<()> {
    use gdal::spatial_ref::{AxisMappingStrategy, SpatialRef};
    use gdal::vector::{
        Feature, LayerAccess, LayerOptions, OGRFieldType, OGRwkbGeometryType, ToGdal,
    };
    use gdal::DriverManager;

    let mut ds = DriverManager::get_driver_by_name("GPKG")?.create_vector_only(path)?;
    let srs = match report.working_crs.as_ref() {
        Some(c) => Some(match (c.epsg, &c.proj4) {
            (Some(code), _) => SpatialRef::from_epsg(code)?,
            (None, Some(p)) => SpatialRef::from_proj4(p)?,
            (None, None) => SpatialRef::from_definition(&c.name)?,
        }),
        None => None,
    };
    let mut srs = srs;
    if let Some(s) = srs.as_mut() {
        s.set_axis_mapping_strategy(AxisMappingStrategy::TraditionalGisOrder);
    }
    let layer = ds.create_layer(LayerOptions {
        name: "ironrule_findings",
        srs: srs.as_ref(),
        ty: OGRwkbGeometryType::wkbUnknown,
        options: None,
    })?;
    let text = OGRFieldType::OFTString;
    let fields = [
        ("code", text),
        ("severity", text),
        ("feature_id", text),
        ("feature_name", text),
        ("source", text),
        ("feature_index", OGRFieldType::OFTInteger64),
        ("zone_layer", text),
        ("zone_id", text),
        ("measure", text),
        ("value", OGRFieldType::OFTReal),
        ("unit", text),
        ("limit", OGRFieldType::OFTReal),
        ("message", text),
        ("citation", text),
        ("status", text),
    ];
    layer.create_defn_fields(&fields)?;
    for f in &report.findings {
        let mut feature = Feature::new(layer.defn())?;
        let kind = serde_json::to_value(f.measure.kind)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default();
        let strings = [
            (0, f.code.clone()),
            (1, f.severity.to_string()),
            (2, f.feature.id.clone().unwrap_or_default()),
            (3, f.feature_name.clone().unwrap_or_default()),
            (4, f.feature.source.to_string()),
            (6, f.zone.layer.clone()),
            (7, f.zone.id.clone().unwrap_or_default()),
            (8, kind),
            (10, f.measure.unit.code().to_owned()),
            (12, f.message.clone()),
            (13, f.citation.to_string()),
            (14, f.status().to_owned()),
        ];
        for (i, s) in &strings {
            feature.set_field_string(*i, s)?;
        }
        feature.set_field_integer64(5, f.feature.index as i64)?;
        feature.set_field_double(9, f.measure.value)?;
        feature.set_field_double(11, f.measure.limit)?;
        if let Some(g) = &f.geometry {
            feature.set_geometry(g.to_gdal()?)?;
        }
        feature.create(&layer)?;
    }
    Ok(())
}
