//! Zone loading: each layer of the project read, filtered and indexed (in parallel, in
//! [`super::Checker::with_packs`]), with the warnings its data deserves.

use crate::index::ZoneLayer;
use crate::io::{self, ReadOptions};
use crate::model::{fmt_num, Diagnostic, Feature};
use crate::project::{LayerSpec, Project};
use crate::{Error, Result};

/// One zone layer, read and indexed.
pub(super) struct Loaded {
    pub layer: ZoneLayer,
    /// Features the source held, before the layer's filter.
    pub read: usize,
    pub diagnostics: Vec<Diagnostic>,
}

/// Reads, filters and indexes one zone layer. A source that cannot be read is a
/// diagnostic (every such layer is reported together); a broken project entry is an error.
pub(super) fn load_layer(
    project: &Project,
    spec: &LayerSpec,
    parcel_dictionary: &crate::rules::dictionary::Dictionary,
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
        // Zone layers keep every attribute: filters, limit fields and names read them.
        attributes: None,
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
    let mut source_features = source.features;
    // A plan's parcels speak the plan's words (容积率, 用地代码...): read through the
    // parcels' dictionary, as proposals are through theirs.
    if spec.kind == crate::project::LayerKind::PlanningParcels {
        for f in &mut source_features {
            parcel_dictionary.normalize(&mut f.properties);
        }
        // A parcel is an area: its FAR and coverage are over it. Line or point work in a
        // plan is an error in the layer, not a parcel of no area.
        source_features.retain(|f| {
            let areal = matches!(
                f.geometry,
                geo::Geometry::Polygon(_) | geo::Geometry::MultiPolygon(_) | geo::Geometry::Rect(_)
            );
            if !areal {
                diagnostics.push(
                    Diagnostic::error(
                        format!("layer '{}'", spec.name),
                        "a planning parcel must be a polygon (its FAR and coverage are over its area): left out; the plan rules cannot judge proposals on it",
                    )
                    .feature(f.fref.index, f.fref.id.as_deref()),
                );
            }
            areal
        });
    }
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
    for f in source_features {
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
        layer: ZoneLayer::build_keeping(&spec.name, features, project.keep_zone_geometry),
        read: source.read,
        diagnostics,
    }))
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
    #[test]
    fn strip_width_is_exact_for_rectangles() {
        use geo::{polygon, Geometry};
        let r = Geometry::Polygon(
            polygon![(x: 0., y: 0.), (x: 20., y: 0.), (x: 20., y: 600.), (x: 0., y: 600.)],
        );
        assert!((super::strip_width(&r).unwrap() - 20.0).abs() < 1e-9);
    }
}
