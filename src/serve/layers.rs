//! `GET /v1/layers` and `GET /v1/layers/{name}`: the project's zone layers for a map, in WGS 84
//! GeoJSON, simplified for the zoom level asked (half a screen pixel at that zoom, so the
//! simplification does not show) and cached per layer and zoom.

use super::{bytes_response, ApiError, App};
use crate::crs::{transform::Transformer, Crs};
use axum::extract::{Path as UrlPath, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use geo::{Geometry, Simplify};
use serde::Deserialize;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// A layer's GeoJSON at one zoom, by layer name and zoom.
type Simplified = HashMap<(String, u8), Arc<Vec<u8>>>;

/// Simplified layers, by layer name and zoom; and hillshade pictures, by DEM name.
#[derive(Default)]
pub(super) struct Cache(Mutex<Simplified>, Mutex<HashMap<String, Arc<Vec<u8>>>>);

/// Zoom levels served: 0 (the world) to 20 (a building's corner).
const MAX_ZOOM: u8 = 20;
const DEFAULT_ZOOM: u8 = 14;

pub(super) async fn list(State(app): State<Arc<App>>) -> Response {
    let l = app.current();
    let c = &l.en;
    let names: Vec<&str> = c.project.layers.iter().map(|s| s.name.as_str()).collect();
    let colours = crate::report::html::layer_colours(&names);
    let layers: Vec<Value> = c
        .project
        .layers
        .iter()
        .zip(colours)
        .map(|(spec, colour)| {
            let zones = c.layers.get(&spec.name);
            json!({
                "name": spec.name,
                "title": spec.title,
                "colour": colour,
                "outline": crate::report::html::is_outline(&spec.name),
                "zones": zones.map_or(0, |z| z.zones.len()),
                "areal": zones.is_some_and(|z| z.zones.iter().any(|z| z.areal)),
                "used_by": c.rules().filter(|r| r.test.layers().contains(&spec.name)).map(|r| r.code.as_str()).collect::<Vec<_>>(),
                "url": format!("/v1/layers/{}", spec.name),
            })
        })
        .collect();
    // Hillshades of the DEMs, to lay under the zones: where each lies, in WGS 84.
    let relief: Vec<Value> = c
        .dems
        .values()
        .filter_map(|d| {
            Some(json!({
                "name": d.name,
                "title": d.title,
                "url": format!("/v1/relief/{}", d.name),
                "bounds": bbox_wgs84(&d.crs, d.extent())?,
            }))
        })
        .collect();
    axum::Json(json!({
        "project": c.project.name,
        "crs": c.project.crs.name,
        "proj4": c.project.crs.proj4,
        "area": c.area.and_then(|r| bbox_wgs84(&c.project.crs, r)),
        "layers": layers,
        "relief": relief,
    }))
    .into_response()
}

/// The project's area (working CRS) as `[west, south, east, north]` in WGS 84.
fn bbox_wgs84(crs: &Crs, r: geo::Rect<f64>) -> Option<[f64; 4]> {
    let t = Transformer::new(crs, &Crs::wgs84()).ok()?;
    let mut g = Geometry::Polygon(r.to_polygon());
    t.geometry(&mut g).ok()?;
    let b = geo::BoundingRect::bounding_rect(&g)?;
    Some([b.min().x, b.min().y, b.max().x, b.max().y].map(round7))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct LayerQuery {
    zoom: Option<u8>,
}

pub(super) async fn layer(
    State(app): State<Arc<App>>,
    UrlPath(name): UrlPath<String>,
    query: Result<Query<LayerQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, ApiError> {
    let Query(q) = query.map_err(|e| ApiError::bad_request(e.body_text()))?;
    let zoom = q.zoom.unwrap_or(DEFAULT_ZOOM);
    if zoom > MAX_ZOOM {
        return Err(ApiError::bad_request(format!(
            "zoom {zoom}: must be 0 to {MAX_ZOOM}"
        )));
    }
    let l = app.current();
    if !l.en.layers.contains_key(&name) {
        let known: Vec<&str> = l.en.layers.keys().map(String::as_str).collect();
        return Err(ApiError::not_found(format!(
            "no layer {name:?} (known: {})",
            known.join(", ")
        )));
    }
    let key = (name.clone(), zoom);
    let cached = l
        .layer_cache
        .0
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .get(&key)
        .cloned();
    let body = match cached {
        Some(b) => b,
        None => {
            let l2 = l.clone();
            let body = tokio::task::spawn_blocking(move || geojson(&l2.en, &name, zoom))
                .await
                .map_err(|e| ApiError::internal(e.to_string()))??;
            let body = Arc::new(body);
            l.layer_cache
                .0
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .insert(key, body.clone());
            body
        }
    };
    let mut r = bytes_response(
        StatusCode::OK,
        "application/geo+json",
        body.as_ref().clone(),
    );
    r.headers_mut().insert(
        axum::http::header::CACHE_CONTROL,
        axum::http::HeaderValue::from_static("no-cache"),
    );
    Ok(r)
}

/// `GET /v1/relief/{name}`: the hillshade of a DEM as a PNG on a WGS 84 longitude/latitude
/// grid over its bounds (those `/v1/layers` gives), at most 1,024 pixels a side, made once
/// per project load.
pub(super) async fn relief(
    State(app): State<Arc<App>>,
    UrlPath(name): UrlPath<String>,
) -> Result<Response, ApiError> {
    let l = app.current();
    if !l.en.dems.contains_key(&name) {
        let known: Vec<&str> = l.en.dems.keys().map(String::as_str).collect();
        return Err(ApiError::not_found(format!(
            "no DEM {name:?} (known: {})",
            known.join(", ")
        )));
    }
    let cached = l
        .layer_cache
        .1
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .get(&name)
        .cloned();
    let body = match cached {
        Some(b) => b,
        None => {
            let l2 = l.clone();
            let n = name.clone();
            let png = tokio::task::spawn_blocking(move || relief_png(&l2.en.dems[&n]))
                .await
                .map_err(|e| ApiError::internal(e.to_string()))??;
            let png = Arc::new(png);
            l.layer_cache
                .1
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .insert(name, png.clone());
            png
        }
    };
    Ok(bytes_response(
        StatusCode::OK,
        "image/png",
        body.as_ref().clone(),
    ))
}

/// The hillshade PNG of a DEM over its WGS 84 bounds, 1,024 pixels on its longer side
/// (transparent where only flat ground shows).
fn relief_png(dem: &crate::dem::Dem) -> Result<Vec<u8>, ApiError> {
    let [w0, s0, e0, n0] = bbox_wgs84(&dem.crs, dem.extent())
        .ok_or_else(|| ApiError::internal(format!("DEM {:?} cannot be put in WGS 84", dem.name)))?;
    let lat = ((s0 + n0) / 2.0).to_radians();
    let (mx, my) = ((e0 - w0) * lat.cos(), n0 - s0);
    let (w, h) = if mx >= my {
        (1024usize, ((1024.0 * my / mx).round() as usize).max(1))
    } else {
        (((1024.0 * mx / my).round() as usize).max(1), 1024usize)
    };
    let rect = geo::Rect::new((w0, s0), (e0, n0));
    Ok(crate::dem::relief::picture(dem, rect, &Crs::wgs84(), w, h)
        .unwrap_or_else(|| crate::dem::relief::png_grey_alpha(1, 1, &[0, 0])))
}

/// Metres per screen pixel at `zoom` on a 256-pixel Web Mercator tile, at latitude `lat`.
pub(super) fn metres_per_pixel(zoom: u8, lat: f64) -> f64 {
    40_075_016.686 * lat.to_radians().cos() / (256.0 * 2f64.powi(i32::from(zoom)))
}

/// The layer's zones as a WGS 84 FeatureCollection, each simplified by half a pixel at `zoom`
/// (in the working CRS, metres) and given to 7 decimals (about a centimetre).
fn geojson(checker: &crate::engine::Checker, name: &str, zoom: u8) -> Result<Vec<u8>, ApiError> {
    let layer = &checker.layers[name];
    let crs = &checker.project.crs;
    let t = Transformer::new(crs, &Crs::wgs84())
        .map_err(|e| ApiError::internal(format!("cannot give layer {name} in WGS 84: {e}")))?;
    let lat = checker
        .area
        .and_then(|r| bbox_wgs84(crs, r))
        .map_or(30.0, |b| (b[1] + b[3]) / 2.0);
    let tolerance = metres_per_pixel(zoom, lat) / 2.0;
    let title = checker
        .project
        .layers
        .iter()
        .find(|s| s.name == name)
        .and_then(|s| s.title.clone());
    let mut features = Vec::with_capacity(layer.zones.len());
    for zone in &layer.zones {
        let Some(geometry) = &zone.geometry else {
            return Err(ApiError::internal(format!(
                "layer {name} was loaded without its zones' geometry"
            )));
        };
        let mut g = simplified(geometry, tolerance);
        // A zone that cannot be drawn is an error, not a gap in the map.
        t.geometry(&mut g)
            .map_err(|e| ApiError::internal(format!("zone {} of layer {name}: {e}", zone.id)))?;
        round_geometry(&mut g);
        features.push(json!({
            "type": "Feature",
            "id": zone.id,
            "properties": {"id": zone.id, "name": zone.name, "layer": name},
            "geometry": serde_json::to_value(geojson::Geometry::from(&g)).unwrap_or(Value::Null),
        }));
    }
    serde_json::to_vec(&json!({
        "type": "FeatureCollection",
        "name": name,
        "title": title,
        "zoom": zoom,
        "tolerance_m": (tolerance * 100.0).round() / 100.0,
        "features": features,
    }))
    .map_err(|e| ApiError::internal(e.to_string()))
}

fn simplified(g: &Geometry<f64>, tolerance: f64) -> Geometry<f64> {
    match g {
        Geometry::Polygon(p) => Geometry::Polygon(p.simplify(tolerance)),
        Geometry::MultiPolygon(m) => Geometry::MultiPolygon(m.simplify(tolerance)),
        Geometry::LineString(l) => Geometry::LineString(l.simplify(tolerance)),
        Geometry::MultiLineString(m) => Geometry::MultiLineString(m.simplify(tolerance)),
        other => other.clone(),
    }
}

fn round7(v: f64) -> f64 {
    (v * 1e7).round() / 1e7
}

fn round_geometry(g: &mut Geometry<f64>) {
    use geo::MapCoordsInPlace;
    g.map_coords_in_place(|c| geo::coord! { x: round7(c.x), y: round7(c.y) });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pixel_at_zoom_zero_on_the_equator_is_156_km() {
        assert!((metres_per_pixel(0, 0.0) - 156_543.03).abs() < 0.01);
        assert!((metres_per_pixel(14, 30.7) - 8.2155).abs() < 0.001);
    }
}
