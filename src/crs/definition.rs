use super::registry::{self, Entry};
use super::{CrsError, WebDatum};
use std::fmt;

/// A coordinate reference system, named the way the user named it (normalised to
/// `EPSG:<code>` where it is an EPSG code).
#[derive(Clone, Debug, PartialEq)]
pub struct Crs {
    /// `EPSG:4546`, or a PROJ string.
    pub name: String,
    /// EPSG code, when it has one.
    pub epsg: Option<u32>,
    /// The PROJ string proj4rs uses; `None` for a code only PROJ knows (`proj` feature).
    pub proj4: Option<String>,
    /// Longitude/latitude in degrees.
    pub geographic: bool,
    /// Distances and areas in this CRS are metres on the ground (see [`Entry::metric`]).
    pub metric: bool,
    /// GCJ-02 or BD-09: WGS 84 longitude/latitude, obfuscated (see [`crate::crs::web_datum`]).
    pub web_datum: Option<WebDatum>,
}

impl Crs {
    /// WGS 84 longitude/latitude: what RFC 7946 GeoJSON is in.
    pub fn wgs84() -> Crs {
        Crs::from_epsg(4326).expect("4326 is in the registry")
    }

    /// A CRS from an EPSG code.
    pub fn from_epsg(code: u32) -> Result<Crs, CrsError> {
        if let Some(entry) = registry::lookup(code) {
            return Ok(Crs::from_entry(entry));
        }
        let name = format!("EPSG:{code}");
        #[cfg(feature = "proj")]
        {
            // PROJ knows the full EPSG database. Such a CRS is never the working CRS (its
            // scale is not known here), but it can be read and transformed.
            match proj_kind(&name) {
                Some(geographic) => Ok(Crs {
                    name,
                    epsg: Some(code),
                    proj4: None,
                    geographic,
                    metric: false,
                    web_datum: None,
                }),
                None => Err(CrsError::Unknown {
                    name,
                    hint: "PROJ does not know it".into(),
                }),
            }
        }
        #[cfg(not(feature = "proj"))]
        {
            let hint = match registry::needs_proj(code) {
                Some(what) => format!(
                    "{what} needs a datum transformation; build with `--features proj` (system PROJ) to read it"
                ),
                None => "the default build knows EPSG:4326, 4490, 4513-4554 (CGCS2000 Gauss-Kruger), 326xx/327xx (UTM) and 3857; build with `--features proj` for the full EPSG database, or give a PROJ string (+proj=...)".to_owned(),
            };
            Err(CrsError::Unknown { name, hint })
        }
    }

    fn from_entry(entry: Entry) -> Crs {
        Crs {
            name: format!("EPSG:{}", entry.code),
            epsg: Some(entry.code),
            proj4: Some(entry.proj4),
            geographic: entry.geographic,
            metric: entry.metric,
            web_datum: None,
        }
    }

    /// The CRS of a geometry column from its metadata's `crs` member, as GeoParquet and
    /// GeoArrow write it: absent means OGC:CRS84, `null` unknown (`None`), a string is parsed
    /// as by [`Crs::parse`], and PROJJSON must carry an EPSG (or OGC:CRS84) id. Callers add
    /// how their users declare a CRS instead.
    pub fn of_geo_column(meta: &serde_json::Value) -> Result<Option<Crs>, String> {
        use serde_json::Value;
        match meta.get("crs") {
            None => Ok(Some(Crs::wgs84())),
            Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Crs::parse(s)
                .map(Some)
                .map_err(|e| format!("the geometry column's CRS: {e}")),
            Some(projjson) => {
                let id = projjson.get("id");
                let auth = id.and_then(|i| i.get("authority")).and_then(Value::as_str);
                let code = id.and_then(|i| i.get("code")).and_then(|c| {
                    c.as_u64()
                        .or_else(|| c.as_str().and_then(|s| s.parse().ok()))
                });
                match (auth, code) {
                    (Some(a), Some(c)) if a.eq_ignore_ascii_case("EPSG") => {
                        Crs::from_epsg(c as u32)
                            .map(Some)
                            .map_err(|e| format!("the geometry column's CRS EPSG:{c}: {e}"))
                    }
                    (Some(a), Some(84)) if a.eq_ignore_ascii_case("OGC") => Ok(Some(Crs::wgs84())),
                    _ => Err(format!(
                        "the geometry column's CRS ({}) has no EPSG id",
                        projjson
                            .get("name")
                            .and_then(Value::as_str)
                            .unwrap_or("PROJJSON without a name")
                    )),
                }
            }
        }
    }

    /// Parses the names users and files give a CRS: `EPSG:4546`, `epsg:4546`,
    /// `urn:ogc:def:crs:EPSG::4546` (the legacy GeoJSON `crs` member),
    /// `urn:ogc:def:crs:OGC:1.3:CRS84` / `OGC:CRS84` / `CRS84`, a PROJ string `+proj=...`, or
    /// `GCJ-02` / `BD-09` for coordinates copied from Chinese web maps.
    ///
    /// ```
    /// use ironrule::crs::Crs;
    /// assert_eq!(Crs::parse("urn:ogc:def:crs:EPSG::4546").unwrap().name, "EPSG:4546");
    /// assert_eq!(Crs::parse("OGC:CRS84").unwrap().name, "EPSG:4326");
    /// assert!(Crs::parse("EPSG:99999").is_err());
    /// assert_eq!(Crs::parse("gcj02").unwrap().name, "GCJ-02");
    /// ```
    pub fn parse(text: &str) -> Result<Crs, CrsError> {
        let t = text.trim();
        let upper = t.to_ascii_uppercase();
        let web = match upper.replace(['-', '_', ' '], "").as_str() {
            "GCJ02" => Some(WebDatum::Gcj02),
            "BD09" | "BD09LL" => Some(WebDatum::Bd09),
            _ => None,
        };
        if let Some(datum) = web {
            return Ok(Crs {
                name: datum.name().to_owned(),
                web_datum: Some(datum),
                ..Crs::wgs84()
            });
        }
        if upper.ends_with("CRS84")
            && (upper == "CRS84"
                || upper.starts_with("OGC:")
                || upper.starts_with("URN:OGC:DEF:CRS:OGC:"))
        {
            return Crs::from_epsg(4326);
        }
        let code = if let Some(rest) = upper.strip_prefix("EPSG:") {
            Some(rest)
        } else if let Some(rest) = upper.strip_prefix("URN:OGC:DEF:CRS:EPSG:") {
            // urn:ogc:def:crs:EPSG::4546 or urn:ogc:def:crs:EPSG:6.3:4546
            rest.rsplit(':').next()
        } else {
            None
        };
        if let Some(code) = code {
            return match code.parse::<u32>() {
                Ok(code) => Crs::from_epsg(code),
                Err(_) => Err(CrsError::Unknown {
                    name: t.to_owned(),
                    hint: "an EPSG code must be a number, as in EPSG:4546".into(),
                }),
            };
        }
        if t.starts_with("+proj=") || t.starts_with("+init=") {
            return Crs::from_proj4(t);
        }
        if ["PROJCS[", "GEOGCS[", "PROJCRS[", "GEOGCRS[", "GEODCRS["]
            .iter()
            .any(|k| upper.starts_with(k))
        {
            let code = super::wkt::identify(t).map_err(|hint| CrsError::Unknown {
                name: "WKT".into(),
                hint,
            })?;
            return Crs::from_epsg(code);
        }
        Err(CrsError::Unknown {
            name: t.to_owned(),
            hint: "name a CRS as EPSG:<code>, urn:ogc:def:crs:EPSG::<code>, OGC:CRS84, a PROJ string (+proj=...) or WKT".into(),
        })
    }

    fn from_proj4(text: &str) -> Result<Crs, CrsError> {
        let refuse = |hint: String| CrsError::Unknown {
            name: text.to_owned(),
            hint,
        };
        check_proj_params(text).map_err(refuse)?;
        let proj = proj4rs::Proj::from_proj_string(text)
            .map_err(|e| refuse(format!("not a PROJ string proj4rs accepts: {e}")))?;
        check_round_trip(text, &proj).map_err(refuse)?;
        let geographic = proj.is_latlong();
        // Only transverse Mercator / UTM in metres count as metric, as in the registry.
        let metric = !geographic
            && (text.contains("+proj=tmerc") || text.contains("+proj=utm"))
            && (proj.to_meter() - 1.0).abs() < 1e-12
            && k_factor(text).is_none_or(|k| (k - 1.0).abs() < 1e-3);
        Ok(Crs {
            name: text.to_owned(),
            epsg: None,
            proj4: Some(text.to_owned()),
            geographic,
            metric,
            web_datum: None,
        })
    }

    /// The geodetic datum, by the name planners use ([`datum_name`]): `CGCS2000`, `WGS 84`,
    /// `Xian 1980`, `Beijing 1954`, `GCJ-02`, `BD-09`...; `None` where it cannot be told (a
    /// PROJ string without `+datum=`).
    ///
    /// ```
    /// use ironrule::crs::Crs;
    /// assert_eq!(Crs::parse("EPSG:4546").unwrap().datum().as_deref(), Some("CGCS2000"));
    /// assert_eq!(Crs::parse("OGC:CRS84").unwrap().datum().as_deref(), Some("WGS 84"));
    /// assert_eq!(Crs::parse("GCJ-02").unwrap().datum().as_deref(), Some("GCJ-02"));
    /// ```
    pub fn datum(&self) -> Option<String> {
        if let Some(web) = self.web_datum {
            return Some(web.name().to_owned());
        }
        match self.epsg {
            Some(4490 | 4513..=4554) => Some("CGCS2000".into()),
            Some(4326 | 3857 | 32601..=32660 | 32701..=32760) => Some("WGS 84".into()),
            #[cfg(feature = "proj")]
            Some(code) => proj_datum(&format!("EPSG:{code}")).map(|d| datum_name(&d)),
            #[cfg(not(feature = "proj"))]
            Some(code) => registry::needs_proj(code)
                .filter(|d| !d.contains('/'))
                .map(str::to_owned),
            None => self
                .proj4
                .as_deref()?
                .split_whitespace()
                .find_map(|p| p.strip_prefix("+datum="))
                .map(datum_name),
        }
    }

    /// Refuses a CRS in which metres cannot be measured.
    pub fn check_working(&self) -> Result<(), CrsError> {
        if self.geographic {
            return Err(CrsError::NotMetric {
                name: self.name.clone(),
                reason: "it is geographic (degrees); measuring metres in degrees is wrong. Use a projected metric CRS, e.g. EPSG:4546 (CGCS2000 / 3-degree Gauss-Kruger CM 111E) for Yichang".into(),
            });
        }
        if !self.metric {
            return Err(CrsError::NotMetric {
                name: self.name.clone(),
                reason: "its units are not metres on the ground (only Gauss-Kruger / transverse Mercator / UTM CRSs with scale factor ≈ 1 are accepted; Web Mercator stretches distances by 1/cos(latitude))".into(),
            });
        }
        Ok(())
    }
}

/// A datum's name as planners write it, whatever the spelling: PROJ's `China 2000` and
/// `CGCS 2000` are `CGCS2000`; `World Geodetic System 1984` (and its ensemble) and `WGS84` are
/// `WGS 84`; `xian80` is `Xian 1980`. Other names are kept as given.
///
/// ```
/// use ironrule::crs::definition::datum_name;
/// assert_eq!(datum_name("China 2000"), "CGCS2000");
/// assert_eq!(datum_name("World Geodetic System 1984 ensemble"), "WGS 84");
/// assert_eq!(datum_name("xian_1980"), "Xian 1980");
/// ```
pub fn datum_name(name: &str) -> String {
    let key: String = name
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .collect::<String>()
        .to_ascii_lowercase();
    match key.as_str() {
        "cgcs2000" | "china2000" | "chinageodeticcoordinatesystem2000" => "CGCS2000",
        k if k == "wgs84" || k.starts_with("worldgeodeticsystem1984") => "WGS 84",
        "xian1980" | "xian80" | "xian" => "Xian 1980",
        "beijing1954" | "beijing54" => "Beijing 1954",
        "newbeijing" => "New Beijing",
        "gcj02" => "GCJ-02",
        "bd09" | "bd09ll" => "BD-09",
        _ => return name.trim().to_owned(),
    }
    .to_owned()
}

/// The name of a CRS's datum (or datum ensemble), as PROJ gives it.
#[cfg(feature = "proj")]
fn proj_datum(definition: &str) -> Option<String> {
    use proj_sys::*;
    let c = std::ffi::CString::new(definition).ok()?;
    // SAFETY: a fresh context; every object is checked for null and destroyed before the
    // context; the name is copied out before its object is destroyed.
    unsafe {
        let ctx = proj_context_create();
        let crs = proj_create(ctx, c.as_ptr());
        let mut out = None;
        if !crs.is_null() {
            let datum = proj_crs_get_datum_forced(ctx, crs);
            if !datum.is_null() {
                let name = proj_get_name(datum);
                if !name.is_null() {
                    out = Some(
                        std::ffi::CStr::from_ptr(name)
                            .to_string_lossy()
                            .into_owned(),
                    );
                }
                proj_destroy(datum);
            }
            proj_destroy(crs);
        }
        proj_context_destroy(ctx);
        out
    }
}

/// Asks PROJ whether it knows a CRS, and whether it is geographic.
#[cfg(feature = "proj")]
fn proj_kind(definition: &str) -> Option<bool> {
    use proj_sys::*;
    let c = std::ffi::CString::new(definition).ok()?;
    // SAFETY: a fresh context and object, checked for null, destroyed before returning; the
    // C string outlives the call.
    unsafe {
        let ctx = proj_context_create();
        let pj = proj_create(ctx, c.as_ptr());
        let out = if pj.is_null() {
            None
        } else {
            let t = proj_get_type(pj);
            let geographic = t == PJ_TYPE_PJ_TYPE_GEOGRAPHIC_2D_CRS
                || t == PJ_TYPE_PJ_TYPE_GEOGRAPHIC_3D_CRS
                || t == PJ_TYPE_PJ_TYPE_GEOGRAPHIC_CRS;
            proj_destroy(pj);
            Some(geographic)
        };
        proj_context_destroy(ctx);
        out
    }
}

/// Map projections a planning file is drawn in: geographic, the transverse Mercator family,
/// Mercator and the conic and azimuthal projections national mapping uses.
const PROJECTIONS: &[&str] = &[
    "longlat", "latlong", "lonlat", "latlon", "tmerc", "etmerc", "utm", "merc", "webmerc", "lcc",
    "aea", "eqc", "laea", "stere", "sterea", "cea", "aeqd",
];

/// Refuses a PROJ string whose parameters cannot describe a map: an unknown or geocentric
/// projection, a unit of zero metres, a negative scale, a latitude beyond the poles, a
/// number that is not finite. proj4rs accepts all of these and then measures nonsense.
fn check_proj_params(text: &str) -> Result<(), String> {
    let mut proj = None;
    for p in text.split_whitespace() {
        let Some(p) = p.strip_prefix('+') else {
            return Err(format!("'{p}' is not a +key=value parameter"));
        };
        let (key, value) = p.split_once('=').unwrap_or((p, ""));
        let num = || -> Result<f64, String> {
            value
                .parse::<f64>()
                .ok()
                .filter(|v| v.is_finite())
                .ok_or_else(|| format!("+{key}={value} is not a finite number"))
        };
        let range = |lo: f64, hi: f64, what: &str| -> Result<(), String> {
            let v = num()?;
            if v < lo || v > hi {
                return Err(format!("+{key}={value}: {what}"));
            }
            Ok(())
        };
        match key {
            "proj" => proj = Some(value.to_owned()),
            "lat_0" | "lat_1" | "lat_2" | "lat_ts" => {
                range(-90.0, 90.0, "a latitude lies between -90 and 90 degrees")?
            }
            "lon_0" | "lonc" => range(
                -540.0,
                540.0,
                "a longitude lies between -180 and 180 degrees",
            )?,
            "k" | "k_0" => range(1e-3, 10.0, "a scale factor is a positive number near 1")?,
            "to_meter" => range(1e-9, 1e9, "a unit is a positive length in metres")?,
            "x_0" | "y_0" => range(
                -1e9,
                1e9,
                "a false easting or northing is a finite number of metres",
            )?,
            "a" | "b" | "R" => range(1e3, 1e9, "an ellipsoid axis is a length in metres")?,
            "rf" => range(1.0, 1e12, "an inverse flattening is a number above 1")?,
            "zone" => range(1.0, 60.0, "a UTM zone is 1 to 60")?,
            _ => {}
        }
    }
    match proj.as_deref() {
        None if text.contains("+init=") => Ok(()),
        None => Err("no +proj= parameter".into()),
        Some("geocent" | "cart") => Err(
            "geocentric (X, Y, Z) coordinates are not map coordinates: name the geographic or projected CRS the data is drawn in".into(),
        ),
        Some(p) if !PROJECTIONS.contains(&p) => Err(format!(
            "+proj={p} is not a projection ironrule reads; use an EPSG code or one of +proj={}",
            PROJECTIONS.join(", +proj=")
        )),
        Some(_) => Ok(()),
    }
}

/// Transforms a point near the CRS's own origin to WGS 84 and back: a definition that cannot
/// carry it (a degenerate ellipsoid, a projection undefined at its own origin) is refused
/// before any feature is read in it.
fn check_round_trip(text: &str, proj: &proj4rs::Proj) -> Result<(), String> {
    let wgs84 = proj4rs::Proj::from_proj_string("+proj=longlat +datum=WGS84 +no_defs")
        .map_err(|e| e.to_string())?;
    let param = |k: &str| {
        text.split_whitespace()
            .find_map(|p| p.strip_prefix(&format!("+{k}=")[..]))
            .and_then(|v| v.parse::<f64>().ok())
    };
    let lon = param("lon_0").unwrap_or(0.0);
    let lat = param("lat_0").unwrap_or(0.0);
    let start = (lon + 0.01, (lat + 0.01).clamp(-89.0, 89.0));
    let mut p = (start.0.to_radians(), start.1.to_radians(), 0.0);
    let bad = || "it cannot transform a point near its own origin to WGS 84 and back".to_owned();
    proj4rs::transform::transform(&wgs84, proj, &mut p).map_err(|_| bad())?;
    if !(p.0.is_finite() && p.1.is_finite()) {
        return Err(bad());
    }
    proj4rs::transform::transform(proj, &wgs84, &mut p).map_err(|_| bad())?;
    let back = (p.0.to_degrees(), p.1.to_degrees());
    if !(back.0.is_finite() && back.1.is_finite())
        || (back.0 - start.0).abs() > 1e-6
        || (back.1 - start.1).abs() > 1e-6
    {
        return Err(bad());
    }
    Ok(())
}

fn k_factor(text: &str) -> Option<f64> {
    text.split_whitespace()
        .find_map(|p| p.strip_prefix("+k=").or_else(|| p.strip_prefix("+k_0=")))
        .and_then(|v| v.parse().ok())
}

impl fmt::Display for Crs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name)
    }
}

#[cfg(test)]
mod tests {
    use super::Crs;

    #[test]
    fn names_normalise_to_epsg() {
        for name in [
            "EPSG:4546",
            "epsg:4546",
            "urn:ogc:def:crs:EPSG::4546",
            "urn:ogc:def:crs:EPSG:6.3:4546",
        ] {
            assert_eq!(Crs::parse(name).unwrap().name, "EPSG:4546", "{name}");
        }
        assert_eq!(
            Crs::parse("urn:ogc:def:crs:OGC:1.3:CRS84").unwrap().epsg,
            Some(4326)
        );
    }

    #[test]
    fn geographic_and_mercator_are_refused_as_working_crs() {
        let err = Crs::parse("EPSG:4490")
            .unwrap()
            .check_working()
            .unwrap_err();
        assert!(err.to_string().contains("geographic"), "{err}");
        assert!(Crs::parse("EPSG:3857").unwrap().check_working().is_err());
        assert!(Crs::parse("EPSG:4546").unwrap().check_working().is_ok());
        assert!(Crs::parse("EPSG:32649").unwrap().check_working().is_ok());
    }

    #[test]
    fn proj_strings_are_classified() {
        let gk = Crs::parse(
            "+proj=tmerc +lat_0=0 +lon_0=111 +k=1 +x_0=500000 +y_0=0 +ellps=GRS80 +units=m",
        )
        .unwrap();
        assert!(gk.metric && !gk.geographic);
        let ll = Crs::parse("+proj=longlat +ellps=GRS80").unwrap();
        assert!(ll.geographic && !ll.metric);
        assert!(Crs::parse("+proj=nonsense").is_err());
    }

    #[cfg(feature = "proj")]
    #[test]
    fn proj_knows_xian_1980_and_refuses_nonsense() {
        let xian = Crs::parse("EPSG:4610").unwrap();
        assert!(xian.geographic && !xian.metric);
        assert!(Crs::parse("EPSG:99999").is_err());
    }

    #[cfg(not(feature = "proj"))]
    #[test]
    fn unknown_codes_name_the_feature_that_helps() {
        let err = Crs::parse("EPSG:4610").unwrap_err().to_string();
        assert!(
            err.contains("Xian 1980") && err.contains("--features proj"),
            "{err}"
        );
        let err = Crs::parse("EPSG:2000").unwrap_err().to_string();
        assert!(err.contains("--features proj"), "{err}");
    }
}
