//! P6, the skyline: a building must not rise above the ridgeline seen from protected
//! viewpoints.
//!
//! From each viewpoint within `max_distance_m` of the footprint (and within its azimuth range,
//! where it has one), for every vertex of the footprint: the elevation angle of the building's
//! top (the highest ground under the footprint plus its height) must not exceed the highest
//! elevation angle of the terrain along the same ray **beyond** the vertex, out to
//! `max_distance_m`. The DEM is sampled bilinearly every half cell; heights are lowered for the
//! earth's curvature and refraction as `gdal_viewshed` does by default
//! (`z − 0.85714 · d² / (2 a)`, a the WGS 84 semi-major axis). A vertex hidden by terrain in
//! front of it does not break the skyline; a ray with no terrain behind the vertex within range
//! (beyond the DEM, or nodata) has no ridgeline to break. The measure is the metres by which the
//! top rises above the ridgeline (how much lower it must be), the largest over vertices and
//! viewpoints; the evidence, the viewpoint and the ray from it through the vertex to the
//! ridgeline point that sets the limit.

use super::terrain::Missing;
use super::Hit;
use crate::dem::Dem;
use crate::geom::Footprint;
use crate::index::ZoneLayer;
use crate::model::{MeasureKind, Terrain};
use geo::{Coord, CoordsIter, Geometry, LineString};

/// gdal_viewshed's default curvature coefficient (1 − 1/7 for refraction).
pub const CURVATURE_COEFF: f64 = 0.85714;
/// The eye height of a viewpoint without one, metres.
pub const DEFAULT_EYE_M: f64 = 1.6;
/// Excesses below this (1 mm) are rounding, not a building above the ridge.
pub const EXCESS_EPSILON_M: f64 = 1e-3;

/// How high a point at horizontal distance `d` appears to drop below the eye's horizontal
/// plane: the curvature and refraction correction.
pub fn drop_m(d: f64) -> f64 {
    CURVATURE_COEFF * d * d / (2.0 * 6_378_137.0)
}

/// A viewpoint of the rule's layer.
#[derive(Clone, Debug)]
pub struct Viewpoint {
    /// The zone (feature) of the viewpoint layer.
    pub zone: usize,
    pub at: Coord<f64>,
    pub eye_m: f64,
    /// Azimuth range, degrees clockwise from north, from → to (clockwise).
    pub azimuth: Option<(f64, f64)>,
    /// An eye height or azimuth the viewpoint gives but not as a number: the rule cannot be
    /// decided from it (never quietly replaced by the default).
    pub unreadable: Option<String>,
}

/// What the skyline test needs of a rule.
pub struct Sky<'a> {
    pub dem: &'a Dem,
    pub viewpoints: &'a ZoneLayer,
    pub eye_field: &'a str,
    pub azimuth_fields: Option<(&'a str, &'a str)>,
    pub max_distance_m: f64,
}

/// The result for one footprint.
pub enum Skyline {
    /// The building breaks the ridgeline: the hit (zone = the viewpoint), and the ground,
    /// top and excess with the cells they were read from.
    Breaks { hit: Hit, terrain: Box<Terrain> },
    /// A viewpoint is in range but the rule cannot be decided.
    Missing(Missing),
    /// In range, but the building's height is missing.
    NoHeight { viewpoint: usize },
}

impl Sky<'_> {
    /// The viewpoints within `max_distance_m` of a box, and within their azimuth range of
    /// some point of it.
    fn near(&self, bbox: geo::Rect<f64>) -> Vec<Viewpoint> {
        let probe = crate::geom::expand(bbox, self.max_distance_m);
        let mut out: Vec<Viewpoint> = Vec::new();
        for e in self.viewpoints.edges_in(probe) {
            if e.coords.0.len() != 1 || out.iter().any(|v| v.zone == e.zone) {
                continue;
            }
            let z = &self.viewpoints.zones[e.zone];
            let num = |f: &str| {
                z.properties
                    .get(f)
                    .and_then(|v| v.as_f64())
                    .filter(|v| v.is_finite())
            };
            let azimuth = self
                .azimuth_fields
                .and_then(|(a, b)| Some((num(a)?, num(b)?)));
            let given = |f: &str| z.properties.get(f).is_some_and(|v| !v.is_null());
            let unreadable = std::iter::once(self.eye_field)
                .chain(self.azimuth_fields.into_iter().flat_map(|(a, b)| [a, b]))
                .filter(|f| given(f) && num(f).is_none())
                .map(|f| {
                    format!(
                        "viewpoint {}: {f} = {} is not a number",
                        z.id, z.properties[f]
                    )
                })
                .reduce(|a, b| format!("{a}; {b}"));
            out.push(Viewpoint {
                zone: e.zone,
                at: e.coords.0[0],
                eye_m: num(self.eye_field).unwrap_or(DEFAULT_EYE_M),
                azimuth,
                unreadable,
            });
        }
        out
    }

    /// The ground under a point given in the working CRS (bilinear), NaN without one.
    fn ground(&self, p: Coord<f64>) -> Result<f64, String> {
        self.dem
            .bilinear(self.dem.point_from(&self.dem.working, p)?)
    }

    /// Judges one footprint whose top stands `height` metres above its highest ground
    /// (`None`: the height is missing).
    pub fn judge(&self, fp: &Footprint, height: Option<f64>) -> Option<Skyline> {
        let bbox = fp.bbox()?;
        let vertices: Vec<Coord<f64>> = match fp {
            Footprint::Areal(mp) => mp.exterior_coords_iter().collect(),
            Footprint::Linear(ml) => ml.coords_iter().collect(),
            Footprint::Puntal(p) => p.coords_iter().collect(),
        };
        let views: Vec<Viewpoint> = self
            .near(bbox)
            .into_iter()
            .filter(|v| {
                vertices.iter().any(|p| {
                    let d = (p.x - v.at.x).hypot(p.y - v.at.y);
                    d > 0.0 && d <= self.max_distance_m && in_range(v.azimuth, azimuth(v.at, *p))
                })
            })
            .collect();
        if views.is_empty() {
            return None;
        }
        if let Some(why) = views.iter().find_map(|v| v.unreadable.clone()) {
            return Some(Skyline::Missing(Missing::Unreadable(why)));
        }
        let Some(height) = height else {
            return Some(Skyline::NoHeight {
                viewpoint: views[0].zone,
            });
        };
        // The top: the highest ground under the footprint (cell centres inside), plus the height.
        let (ground, mut terrain) = match super::terrain::ground(self.dem, fp) {
            Ok(g) => g,
            Err(why) => return Some(Skyline::Missing(why)),
        };
        let top = ground + height;
        let step = self.dem.transform[1].abs().min(self.dem.transform[5].abs()) / 2.0
            * if self.dem.geographic() {
                111_000.0
            } else {
                1.0
            };
        let mut worst: Option<(f64, usize, LineString<f64>)> = None;
        for v in &views {
            let vg = match self.ground(v.at) {
                Ok(g) if g.is_finite() => g,
                Ok(_) => {
                    return Some(Skyline::Missing(Missing::Unreadable(format!(
                        "viewpoint {} has no ground on the DEM",
                        self.viewpoints.zones[v.zone].id
                    ))))
                }
                Err(e) => return Some(Skyline::Missing(Missing::Unreadable(e))),
            };
            let eye = vg + v.eye_m;
            for p in &vertices {
                let (dx, dy) = (p.x - v.at.x, p.y - v.at.y);
                let d = dx.hypot(dy);
                if !(d > 0.0 && d <= self.max_distance_m && in_range(v.azimuth, azimuth(v.at, *p)))
                {
                    continue;
                }
                let tan_top = (top - drop_m(d) - eye) / d;
                let (ux, uy) = (dx / d, dy / d);
                let mut front = f64::NEG_INFINITY;
                let mut behind: Option<(f64, f64)> = None;
                let mut s = step;
                while s <= self.max_distance_m {
                    let q = Coord {
                        x: v.at.x + ux * s,
                        y: v.at.y + uy * s,
                    };
                    let z = match self.ground(q) {
                        Ok(z) => z,
                        Err(e) => return Some(Skyline::Missing(Missing::Unreadable(e))),
                    };
                    if z.is_finite() {
                        let t = (z - drop_m(s) - eye) / s;
                        if s < d {
                            front = front.max(t);
                        } else if s > d && behind.is_none_or(|(b, _)| t > b) {
                            behind = Some((t, s));
                        }
                    }
                    s += step;
                }
                // Hidden behind terrain in front, or no ridgeline behind: nothing to break.
                let Some((ridge, at)) = behind else { continue };
                if front >= tan_top {
                    continue;
                }
                let excess = (tan_top - ridge) * d;
                if excess > EXCESS_EPSILON_M && worst.as_ref().is_none_or(|(w, _, _)| excess > *w) {
                    let ray = LineString(vec![
                        v.at,
                        *p,
                        Coord {
                            x: v.at.x + ux * at,
                            y: v.at.y + uy * at,
                        },
                    ]);
                    worst = Some((excess, v.zone, ray));
                }
            }
        }
        let (excess, zone, ray) = worst?;
        terrain.height_m = Some(height);
        terrain.top_m = Some(top);
        terrain.excess_m = Some(excess);
        Some(Skyline::Breaks {
            terrain: Box::new(terrain),
            hit: Hit {
                zone: Some(zone),
                kind: MeasureKind::SkylineExcess,
                value: excess,
                share: None,
                nearest: None,
                geometry: Some(Geometry::LineString(ray)),
            },
        })
    }
}

/// The azimuth from `a` to `b`, degrees clockwise from north (grid north of the working CRS).
pub fn azimuth(a: Coord<f64>, b: Coord<f64>) -> f64 {
    (b.x - a.x).atan2(b.y - a.y).to_degrees().rem_euclid(360.0)
}

/// Whether an azimuth lies in a range `from → to` clockwise (both included); no range: all.
fn in_range(range: Option<(f64, f64)>, az: f64) -> bool {
    match range {
        None => true,
        Some((from, to)) => {
            let span = (to - from).rem_euclid(360.0);
            (az - from).rem_euclid(360.0) <= span
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn curvature_drops_as_gdal_viewshed_does() {
        // 10 km: 0.85714 × 10⁸ / 12,756,274 m = 6.72 m.
        assert!((drop_m(10_000.0) - 6.7193).abs() < 1e-3);
        assert_eq!(drop_m(0.0), 0.0);
    }

    #[test]
    fn azimuths_and_ranges_wrap_around_north() {
        let o = Coord { x: 0.0, y: 0.0 };
        assert!((azimuth(o, Coord { x: 0.0, y: 1.0 }) - 0.0).abs() < 1e-12);
        assert!((azimuth(o, Coord { x: 1.0, y: 0.0 }) - 90.0).abs() < 1e-12);
        assert!((azimuth(o, Coord { x: -1.0, y: 0.0 }) - 270.0).abs() < 1e-12);
        assert!(in_range(Some((300.0, 60.0)), 10.0));
        assert!(in_range(Some((300.0, 60.0)), 300.0));
        assert!(!in_range(Some((300.0, 60.0)), 90.0));
        assert!(in_range(Some((90.0, 270.0)), 180.0));
        assert!(!in_range(Some((90.0, 270.0)), 0.0));
        assert!(in_range(None, 123.0));
    }
}
