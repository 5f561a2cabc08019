use super::tmerc::FastInverse;
use super::{Crs, CrsError};
use geo::{Coord, Geometry, MapCoordsInPlace};
use std::sync::Mutex;

/// Moves coordinates from one CRS to another. Geographic coordinates are always
/// longitude, latitude in degrees (GeoJSON order), whatever the EPSG axis order says.
///
/// The default build uses proj4rs; with the `proj` feature the system PROJ does the work,
/// with the full EPSG database and datum transformations.
///
/// ```
/// use ironrule::crs::{Crs, Transformer};
/// let t = Transformer::new(&Crs::parse("EPSG:4490").unwrap(), &Crs::parse("EPSG:4546").unwrap()).unwrap();
/// let c = t.coord(geo::coord! { x: 111.0, y: 30.0 }).unwrap();
/// // On the central meridian the easting is the false easting.
/// assert!((c.x - 500_000.0).abs() < 1e-6);
/// ```
pub struct Transformer {
    from: Crs,
    to: Crs,
    backend: Backend,
}

enum Backend {
    Identity,
    // Under the `proj` feature only the agreement test builds it.
    #[cfg_attr(feature = "proj", allow(dead_code))]
    Proj4rs {
        src: Box<proj4rs::Proj>,
        dst: Box<proj4rs::Proj>,
        /// Transverse Mercator to longitude/latitude without proj4rs' pipeline, where it
        /// agrees with proj4rs ([`FastInverse::agrees`]).
        fast: Option<FastInverse>,
    },
    #[cfg(feature = "proj")]
    Proj(proj::Proj),
}

impl Transformer {
    /// A transform from `from` to `to`; the identity when they are the same CRS.
    pub fn new(from: &Crs, to: &Crs) -> Result<Transformer, CrsError> {
        let backend = if from.name == to.name {
            Backend::Identity
        } else {
            Self::backend(from, to)?
        };
        Ok(Transformer {
            from: from.clone(),
            to: to.clone(),
            backend,
        })
    }

    #[cfg(feature = "proj")]
    fn backend(from: &Crs, to: &Crs) -> Result<Backend, CrsError> {
        let proj =
            proj::Proj::new_known_crs(&proj_def(from), &proj_def(to), None).map_err(|e| {
                CrsError::Transform {
                    from: from.name.clone(),
                    to: to.name.clone(),
                    reason: format!("PROJ: {e}"),
                }
            })?;
        Ok(Backend::Proj(proj))
    }

    #[cfg(not(feature = "proj"))]
    fn backend(from: &Crs, to: &Crs) -> Result<Backend, CrsError> {
        Self::proj4rs_backend(from, to)
    }

    /// The pure-Rust transform, whatever the build (used to compare it with PROJ).
    #[cfg_attr(not(all(feature = "proj", test)), allow(dead_code))]
    pub(crate) fn new_proj4rs(from: &Crs, to: &Crs) -> Result<Transformer, CrsError> {
        Ok(Transformer {
            from: from.clone(),
            to: to.clone(),
            backend: Self::proj4rs_backend(from, to)?,
        })
    }

    #[cfg_attr(all(feature = "proj", not(test)), allow(dead_code))]
    fn proj4rs_backend(from: &Crs, to: &Crs) -> Result<Backend, CrsError> {
        let make = |c: &Crs| -> Result<Box<proj4rs::Proj>, CrsError> {
            let def = c.proj4.as_deref().ok_or_else(|| CrsError::Unknown {
                name: c.name.clone(),
                hint: "build with `--features proj` to use it".into(),
            })?;
            proj4rs::Proj::from_proj_string(def)
                .map(Box::new)
                .map_err(|e| CrsError::Transform {
                    from: from.name.clone(),
                    to: to.name.clone(),
                    reason: format!("proj4rs: {e}"),
                })
        };
        let (src, dst) = (make(from)?, make(to)?);
        let fast = match (&from.proj4, &to.proj4) {
            (Some(a), Some(b)) if dst.is_latlong() => fast_inverse(a, b, &src, &dst),
            _ => None,
        };
        Ok(Backend::Proj4rs { src, dst, fast })
    }

    /// The source CRS.
    pub fn from(&self) -> &Crs {
        &self.from
    }

    /// The target CRS.
    pub fn to(&self) -> &Crs {
        &self.to
    }

    /// True when coordinates pass through unchanged.
    pub fn is_identity(&self) -> bool {
        matches!(self.backend, Backend::Identity)
    }

    /// Transforms one coordinate. Coordinates outside longitude ±180 / latitude ±90 in a
    /// geographic source CRS are refused: they are almost always projected metres in a file
    /// whose CRS was not declared.
    pub fn coord(&self, c: Coord<f64>) -> Result<Coord<f64>, CrsError> {
        if !(c.x.is_finite() && c.y.is_finite()) {
            return Err(self.err(format!("non-finite coordinate ({}, {})", c.x, c.y)));
        }
        if self.from.geographic && (c.x.abs() > 180.0 || c.y.abs() > 90.0) {
            return Err(CrsError::OutOfRange {
                crs: self.from.name.clone(),
                x: c.x,
                y: c.y,
                hint: "the data looks projected; declare its CRS (the legacy GeoJSON `crs` member, `crs = ...` on the project layer, or --assume-crs)".into(),
            });
        }
        // Web-map datums: undo the obfuscation first (the backend works on WGS 84).
        let c = match self.from.web_datum {
            Some(d) => d.to_wgs84(c),
            None => c,
        };
        let out = match &self.backend {
            Backend::Identity => c,
            Backend::Proj4rs {
                fast: Some(f),
                src,
                dst,
            } => match f.inverse(c.x, c.y) {
                Some((x, y)) => Coord { x, y },
                None => self.proj4rs(src, dst, c)?,
            },
            Backend::Proj4rs { src, dst, .. } => self.proj4rs(src, dst, c)?,
            #[cfg(feature = "proj")]
            Backend::Proj(proj) => {
                let (x, y) = proj
                    .convert((c.x, c.y))
                    .map_err(|e| self.err(format!("PROJ: {e} at ({}, {})", c.x, c.y)))?;
                Coord { x, y }
            }
        };
        let out = match self.to.web_datum {
            Some(d) => d.from_wgs84(out),
            None => out,
        };
        if out.x.is_finite() && out.y.is_finite() {
            Ok(out)
        } else {
            Err(self.err(format!("({}, {}) has no image in the target CRS", c.x, c.y)))
        }
    }

    /// One coordinate through proj4rs' pipeline.
    fn proj4rs(
        &self,
        src: &proj4rs::Proj,
        dst: &proj4rs::Proj,
        c: Coord<f64>,
    ) -> Result<Coord<f64>, CrsError> {
        let mut p = if src.is_latlong() {
            (c.x.to_radians(), c.y.to_radians())
        } else {
            (c.x, c.y)
        };
        proj4rs::transform::transform(src, dst, &mut p)
            .map_err(|e| self.err(format!("proj4rs: {e} at ({}, {})", c.x, c.y)))?;
        if dst.is_latlong() {
            p = (p.0.to_degrees(), p.1.to_degrees());
        }
        Ok(Coord { x: p.0, y: p.1 })
    }

    /// Transforms a geometry in place; on error the geometry is left partly transformed and
    /// must be discarded.
    pub fn geometry(&self, g: &mut Geometry<f64>) -> Result<(), CrsError> {
        if self.is_identity() {
            return Ok(());
        }
        map_geometry(g, &|c| self.coord(c))
    }

    fn err(&self, reason: String) -> CrsError {
        CrsError::Transform {
            from: self.from.name.clone(),
            to: self.to.name.clone(),
            reason,
        }
    }
}

/// The fast inverse for `src` → `dst` PROJ strings, if there is one and it agrees with
/// proj4rs. The comparison is made once per pair in a process (transformers are built per
/// worker and per batch).
#[cfg_attr(all(feature = "proj", not(test)), allow(dead_code))]
fn fast_inverse(
    src_def: &str,
    dst_def: &str,
    src: &proj4rs::Proj,
    dst: &proj4rs::Proj,
) -> Option<FastInverse> {
    static VERDICTS: Mutex<Vec<(String, String, bool)>> = Mutex::new(Vec::new());
    let fast = FastInverse::from_proj4(src_def)?;
    let mut verdicts = VERDICTS.lock().unwrap_or_else(|e| e.into_inner());
    let known = verdicts
        .iter()
        .find(|(a, b, _)| a == src_def && b == dst_def)
        .map(|v| v.2);
    let agrees = known.unwrap_or_else(|| {
        let agrees = fast.agrees(src, dst);
        verdicts.push((src_def.to_owned(), dst_def.to_owned(), agrees));
        agrees
    });
    agrees.then_some(fast)
}

/// How PROJ names a CRS: its EPSG code, else its definition.
#[cfg(feature = "proj")]
fn proj_def(c: &Crs) -> String {
    c.epsg
        .map_or_else(|| c.name.clone(), |code| format!("EPSG:{code}"))
}

/// Why a transform from `from` to `to` may be off by more than planning accuracy: PROJ
/// knows no published transformation between the two datums (Xian 1980 or Beijing 1954 to
/// CGCS2000) and bridges them with a "ballpark" offset, which keeps latitude and longitude as
/// they are across the datum change. WGS 84 and CGCS2000, which differ by centimetres, are
/// not flagged. Asked once per source, not per [`Transformer`]: it builds its own PROJ
/// operation. The pure-Rust build refuses the EPSG codes that need a datum shift
/// (`Crs::from_epsg`), so it has nothing to say.
pub fn caveat(from: &Crs, to: &Crs) -> Option<String> {
    #[cfg(feature = "proj")]
    {
        if from.name == to.name {
            return None;
        }
        let proj = proj::Proj::new_known_crs(&proj_def(from), &proj_def(to), None).ok()?;
        let operation = proj.proj_info().description.unwrap_or_default();
        if !operation.contains("Ballpark") {
            return None;
        }
        ballpark(from, to)
    }
    #[cfg(not(feature = "proj"))]
    {
        let _ = (from, to);
        None
    }
}

/// The caveat text for a ballpark bridge between two different datums.
#[cfg_attr(not(feature = "proj"), allow(dead_code))]
fn ballpark(from: &Crs, to: &Crs) -> Option<String> {
    let (a, b) = (from.datum()?, to.datum()?);
    let close = |d: &str| d == "WGS 84" || d == "CGCS2000";
    if a == b || (close(&a) && close(&b)) {
        return None;
    }
    Some(format!(
        "{} ({a}) to {} ({b}): PROJ knows no published transformation between these datums and uses a ballpark one that ignores the datum shift, so positions and distances can be off by tens of metres or more; convert the data with the survey bureau's parameters (or give the CRS as a PROJ string with +towgs84=...), or refuse such inputs with `datums = [...]` in the project file",
        from.name, to.name
    ))
}

/// `try_map_coords_in_place` over every kind of geometry. (geo's own impl on `Geometry`
/// nests a reference per collection level and cannot be instantiated with a closure.)
fn map_geometry(
    g: &mut Geometry<f64>,
    f: &dyn Fn(Coord<f64>) -> Result<Coord<f64>, CrsError>,
) -> Result<(), CrsError> {
    match g {
        Geometry::Point(x) => x.try_map_coords_in_place(f),
        Geometry::Line(x) => x.try_map_coords_in_place(f),
        Geometry::LineString(x) => x.try_map_coords_in_place(f),
        Geometry::Polygon(x) => x.try_map_coords_in_place(f),
        Geometry::MultiPoint(x) => x.try_map_coords_in_place(f),
        Geometry::MultiLineString(x) => x.try_map_coords_in_place(f),
        Geometry::MultiPolygon(x) => x.try_map_coords_in_place(f),
        Geometry::Rect(x) => x.try_map_coords_in_place(f),
        Geometry::Triangle(x) => x.try_map_coords_in_place(f),
        Geometry::GeometryCollection(gc) => {
            gc.0.iter_mut().try_for_each(|inner| map_geometry(inner, f))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(from: &str, to: &str) -> Transformer {
        Transformer::new(&Crs::parse(from).unwrap(), &Crs::parse(to).unwrap()).unwrap()
    }

    #[test]
    fn round_trip_is_exact_to_a_micrometre() {
        let fwd = t("EPSG:4326", "EPSG:4546");
        let inv = t("EPSG:4546", "EPSG:4326");
        let c = Coord {
            x: 111.29,
            y: 30.70,
        };
        let p = fwd.coord(c).unwrap();
        let back = inv.coord(p).unwrap();
        // 1e-11 degrees is about a micrometre.
        assert!(
            (back.x - c.x).abs() < 1e-11 && (back.y - c.y).abs() < 1e-11,
            "{back:?}"
        );
    }

    #[test]
    fn zone_prefixed_easting_differs_by_the_zone_number_only() {
        let plain = t("EPSG:4490", "EPSG:4546")
            .coord(Coord { x: 111.3, y: 30.7 })
            .unwrap();
        let zoned = t("EPSG:4490", "EPSG:4525")
            .coord(Coord { x: 111.3, y: 30.7 })
            .unwrap();
        assert!((zoned.x - plain.x - 37_000_000.0).abs() < 1e-6);
        assert!((zoned.y - plain.y).abs() < 1e-6);
    }

    #[test]
    fn a_known_point_lands_where_the_projection_says() {
        // 1 degree of longitude east of the central meridian on the equator, GRS80: the
        // arc is 111,319.49 m and transverse Mercator stretches it by about 1 + λ²/6
        // (+5.7 m), plus the 500 km false easting.
        let p = t("EPSG:4490", "EPSG:4546")
            .coord(Coord { x: 112.0, y: 0.0 })
            .unwrap();
        assert!((p.x - 611_325.2).abs() < 1.0, "{p:?}");
        assert!(p.y.abs() < 1e-6);
    }

    /// Under the `proj` feature: the pure-Rust path agrees with PROJ to a micrometre over the
    /// Yichang area, for the CRSs planners send.
    #[cfg(feature = "proj")]
    #[test]
    fn proj4rs_agrees_with_proj() {
        for (from, to) in [
            ("EPSG:4326", "EPSG:4546"),
            ("EPSG:4490", "EPSG:4546"),
            ("EPSG:4490", "EPSG:4525"),
            ("EPSG:4326", "EPSG:32649"),
        ] {
            let (a, b) = (Crs::parse(from).unwrap(), Crs::parse(to).unwrap());
            let proj = Transformer::new(&a, &b).unwrap();
            let pure = Transformer::new_proj4rs(&a, &b).unwrap();
            for i in 0..=10 {
                for j in 0..=10 {
                    let c = Coord {
                        x: 110.5 + 0.15 * i as f64,
                        y: 30.0 + 0.15 * j as f64,
                    };
                    let (p, q) = (proj.coord(c).unwrap(), pure.coord(c).unwrap());
                    assert!(
                        (p.x - q.x).abs() < 1e-6 && (p.y - q.y).abs() < 1e-6,
                        "{from}->{to} at {c:?}: PROJ {p:?} proj4rs {q:?}"
                    );
                }
            }
        }
    }

    #[test]
    fn a_ballpark_datum_bridge_carries_a_caveat() {
        // WGS 84 / CGCS2000 (centimetres apart) and same-datum transforms carry none.
        for (from, to) in [("EPSG:4326", "EPSG:4546"), ("EPSG:4490", "EPSG:4525")] {
            let (from_crs, to_crs) = (Crs::parse(from).unwrap(), Crs::parse(to).unwrap());
            assert_eq!(caveat(&from_crs, &to_crs), None, "{from}");
        }
        // PROJ 9.1 has no published Xian 1980 or Beijing 1954 → CGCS2000 transformation.
        #[cfg(feature = "proj")]
        for (from, datum) in [("EPSG:2383", "Xian 1980"), ("EPSG:4214", "Beijing 1954")] {
            let to = Crs::parse("EPSG:4546").unwrap();
            let why = caveat(&Crs::parse(from).unwrap(), &to).expect(from);
            assert!(why.contains(datum) && why.contains("ballpark"), "{why}");
        }
    }

    #[test]
    fn projected_metres_declared_as_degrees_are_refused() {
        let err = t("EPSG:4326", "EPSG:4546")
            .coord(Coord {
                x: 527_000.0,
                y: 3_397_000.0,
            })
            .unwrap_err();
        assert!(matches!(err, CrsError::OutOfRange { .. }), "{err}");
        assert!(err.to_string().contains("declare its CRS"));
    }
}
