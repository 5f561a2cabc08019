//! The inverse transverse Mercator (Gauss-Krüger, UTM) from metres to longitude/latitude,
//! computed straight from Krüger's series: the findings layer moves every vertex of every
//! offending part from the working CRS to WGS 84, tens of millions of vertices at a million
//! parcels, and proj4rs' general pipeline spends about twice the transcendental calls per
//! vertex (12 against 6 here) plus a closure per stage.
//!
//! The series are the 6th-order ones in the third flattening `n` that PROJ's default `tmerc`
//! and proj4rs use (Karney 2011, "Transverse Mercator with an accuracy of a few nanometers",
//! J. Geodesy 85; Engsager & Poder 2007), so the two agree to rounding. A [`FastInverse`] is
//! only used after it has been compared with proj4rs on a grid over its zone
//! ([`FastInverse::agrees`]); anything else in a PROJ string (a datum shift, a prime
//! meridian, axis order, other units, a latitude of origin) leaves the work to proj4rs.

use std::f64::consts::{PI, TAU};

/// Krüger's inverse series for one ellipsoid and one zone.
#[derive(Clone, Debug, PartialEq)]
pub struct FastInverse {
    /// Central meridian, radians.
    lon0: f64,
    x0: f64,
    y0: f64,
    /// k0 times the rectifying radius A: metres per unit of ξ, η.
    k0_a: f64,
    /// β_j of ξ' + iη' = ζ − Σ β_j sin 2jζ (ζ = ξ + iη, the normalised northing and easting).
    beta: [f64; 6],
    /// δ_j of φ = χ + Σ δ_j sin 2jχ (χ the conformal latitude).
    delta: [f64; 6],
}

impl FastInverse {
    /// The fast inverse of a PROJ string, when it is a plain transverse Mercator or UTM on a
    /// known ellipsoid with metres and latitude of origin 0; `None` otherwise.
    pub fn from_proj4(def: &str) -> Option<FastInverse> {
        let (mut proj, mut lat0, mut lon0, mut k0) = (None, 0.0, 0.0, 1.0);
        let (mut x0, mut y0, mut zone, mut south) = (0.0, 0.0, None, false);
        let (mut a, mut rf) = (None, None);
        let mut seen: Vec<&str> = Vec::new();
        for p in def.split_whitespace() {
            let p = p.strip_prefix('+')?;
            let (key, value) = p.split_once('=').unwrap_or((p, ""));
            // proj4rs keeps a key's first value and ranks +ellps, +datum and +a its own way:
            // a string that repeats a key or names its ellipsoid twice is left to it.
            let family = match key {
                "ellps" | "datum" | "a" | "rf" => "ellipsoid",
                "k" | "k0" => "scale",
                other => other,
            };
            if seen.contains(&family) && family != "ellipsoid" || seen.contains(&key) {
                return None;
            }
            seen.push(family);
            seen.push(key);
            let num = || value.parse::<f64>().ok().filter(|v| v.is_finite());
            match key {
                "proj" => proj = Some(value),
                "lat_0" => lat0 = num()?,
                "lon_0" => lon0 = num()?,
                // proj4rs reads +k0, else +k (and not +k_0, which goes to it below).
                "k" | "k0" => k0 = num()?,
                "x_0" => x0 = num()?,
                "y_0" => y0 = num()?,
                "zone" => zone = Some(value.parse::<u32>().ok().filter(|z| (1..=60).contains(z))?),
                "south" if value.is_empty() => south = true,
                "units" if value == "m" => {}
                "no_defs" | "type" => {}
                "ellps" if value == "GRS80" => (a, rf) = (Some(6_378_137.0), Some(298.257_222_101)),
                "ellps" | "datum" if value == "WGS84" => {
                    (a, rf) = (Some(6_378_137.0), Some(298.257_223_563))
                }
                "a" => a = Some(num()?),
                "rf" => rf = Some(num()?),
                // Datum shifts, grids, prime meridians, axis order, other units, +approx, ...
                _ => return None,
            }
        }
        // One way of naming the ellipsoid: a named one, or +a with +rf.
        let named = seen.contains(&"ellps") || seen.contains(&"datum");
        if named && (seen.contains(&"a") || seen.contains(&"rf"))
            || seen.contains(&"ellps") && seen.contains(&"datum")
        {
            return None;
        }
        match proj? {
            "tmerc" if zone.is_none() && !south => {}
            "utm" => {
                let zone = zone? as f64;
                lon0 = (zone - 0.5) * 6.0 - 180.0;
                (k0, x0, y0) = (0.9996, 500_000.0, if south { 10_000_000.0 } else { 0.0 });
            }
            _ => return None,
        }
        if lat0 != 0.0 || k0 <= 0.0 {
            return None;
        }
        Some(FastInverse::new(
            a?,
            1.0 / rf?,
            lon0.to_radians(),
            k0,
            x0,
            y0,
        ))
    }

    fn new(a: f64, f: f64, lon0: f64, k0: f64, x0: f64, y0: f64) -> FastInverse {
        let n = f / (2.0 - f);
        let (n2, n3) = (n * n, n * n * n);
        let (n4, n5, n6) = (n2 * n2, n2 * n3, n3 * n3);
        let rectifying = a / (1.0 + n) * (1.0 + n2 / 4.0 + n4 / 64.0 + n6 / 256.0);
        let beta = [
            n / 2.0 - 2.0 * n2 / 3.0 + 37.0 * n3 / 96.0 - n4 / 360.0 - 81.0 * n5 / 512.0
                + 96199.0 * n6 / 604800.0,
            n2 / 48.0 + n3 / 15.0 - 437.0 * n4 / 1440.0 + 46.0 * n5 / 105.0
                - 1118711.0 * n6 / 3870720.0,
            17.0 * n3 / 480.0 - 37.0 * n4 / 840.0 - 209.0 * n5 / 4480.0 + 5569.0 * n6 / 90720.0,
            4397.0 * n4 / 161280.0 - 11.0 * n5 / 504.0 - 830251.0 * n6 / 7257600.0,
            4583.0 * n5 / 161280.0 - 108847.0 * n6 / 3991680.0,
            20648693.0 * n6 / 638668800.0,
        ];
        let delta = [
            2.0 * n - 2.0 * n2 / 3.0 - 2.0 * n3 + 116.0 * n4 / 45.0 + 26.0 * n5 / 45.0
                - 2854.0 * n6 / 675.0,
            7.0 * n2 / 3.0 - 8.0 * n3 / 5.0 - 227.0 * n4 / 45.0
                + 2704.0 * n5 / 315.0
                + 2323.0 * n6 / 945.0,
            56.0 * n3 / 15.0 - 136.0 * n4 / 35.0 - 1262.0 * n5 / 105.0 + 73814.0 * n6 / 2835.0,
            4279.0 * n4 / 630.0 - 332.0 * n5 / 35.0 - 399572.0 * n6 / 14175.0,
            4174.0 * n5 / 315.0 - 144838.0 * n6 / 6237.0,
            601676.0 * n6 / 22275.0,
        ];
        FastInverse {
            lon0,
            x0,
            y0,
            k0_a: k0 * rectifying,
            beta,
            delta,
        }
    }

    /// Longitude and latitude in degrees of an easting and northing in metres; `None` far
    /// outside the zone (more than 150° of the sphere from the central meridian, as proj4rs
    /// refuses), where the caller falls back to proj4rs.
    #[inline]
    pub fn inverse(&self, x: f64, y: f64) -> Option<(f64, f64)> {
        let xi = (y - self.y0) / self.k0_a;
        let eta = (x - self.x0) / self.k0_a;
        if eta.abs() > 2.623_395_162_778 {
            return None;
        }
        // ξ' + iη' = ζ − Σ β_j sin 2jζ, by Clenshaw's recurrence in complex numbers:
        // b_j = β_j + 2 cos(2ζ) b_{j+1} − b_{j+2}, the sum being b_1 sin 2ζ.
        let (s2, c2) = (2.0 * xi).sin_cos();
        let e = (2.0 * eta).exp();
        let (sh2, ch2) = ((e - 1.0 / e) / 2.0, (e + 1.0 / e) / 2.0);
        // cos 2ζ = cos2ξ cosh2η − i sin2ξ sinh2η; sin 2ζ = sin2ξ cosh2η + i cos2ξ sinh2η.
        let (cr, ci) = (2.0 * c2 * ch2, -2.0 * s2 * sh2);
        let (mut b1r, mut b1i, mut b2r, mut b2i) = (0.0, 0.0, 0.0, 0.0);
        for &beta in self.beta.iter().rev() {
            let r = beta + cr * b1r - ci * b1i - b2r;
            let i = cr * b1i + ci * b1r - b2i;
            (b2r, b2i, b1r, b1i) = (b1r, b1i, r, i);
        }
        let (sr, si) = (s2 * ch2, c2 * sh2);
        let xi_p = xi - (b1r * sr - b1i * si);
        let eta_p = eta - (b1r * si + b1i * sr);
        // The conformal latitude χ and the longitude from ξ', η'.
        let (s, c) = xi_p.sin_cos();
        let e = eta_p.exp();
        let (sh, ch) = ((e - 1.0 / e) / 2.0, (e + 1.0 / e) / 2.0);
        // sinh η' < 8 here (|η'| ≤ 2.7): no overflow to guard against, as hypot does.
        let r = (sh * sh + c * c).sqrt();
        let lon = sh.atan2(c);
        let chi = s.atan2(r);
        // φ = χ + Σ δ_j sin 2jχ, with sin χ = sin ξ' / cosh η' and cos χ = r / cosh η'.
        let (sc, cc) = (s / ch, r / ch);
        let (sin2, cos2) = (2.0 * sc * cc, (cc - sc) * (cc + sc));
        let (mut b1, mut b2) = (0.0, 0.0);
        for &delta in self.delta.iter().rev() {
            (b2, b1) = (b1, delta + 2.0 * cos2 * b1 - b2);
        }
        let lat = chi + b1 * sin2;
        let mut lon = lon + self.lon0;
        if lon.abs() >= PI + 1e-12 {
            // Across the antimeridian, back into −180°..180° as proj4rs does.
            lon -= TAU * ((lon + PI) / TAU).floor();
        }
        Some((lon.to_degrees(), lat.to_degrees()))
    }

    /// Whether this agrees with proj4rs to 1e-11° (about a micrometre) on a grid over the
    /// zone: ±400 km of easting and ±8,000 km of northing from the false origin. This guards
    /// the parameters read from the PROJ string (origin, scale, ellipsoid); far from the
    /// central meridian, where the last terms of the series matter, the coefficients
    /// themselves are held to proj4rs by the tests (out to ±5,000 km of easting).
    pub fn agrees(&self, src: &proj4rs::Proj, dst: &proj4rs::Proj) -> bool {
        let mut compared = 0;
        for i in -4..=4 {
            for j in -8..=8 {
                let (x, y) = (
                    self.x0 + f64::from(i) * 100_000.0,
                    self.y0 + f64::from(j) * 1_000_000.0,
                );
                let mut p = (x, y);
                if proj4rs::transform::transform(src, dst, &mut p).is_err() {
                    continue;
                }
                let (lon, lat) = (p.0.to_degrees(), p.1.to_degrees());
                if !(lon.is_finite() && lat.is_finite()) {
                    continue;
                }
                match self.inverse(x, y) {
                    Some((l, f)) if (l - lon).abs() <= 1e-11 && (f - lat).abs() <= 1e-11 => {
                        compared += 1
                    }
                    _ => return false,
                }
            }
        }
        compared >= 100
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn pair(def: &str) -> (FastInverse, proj4rs::Proj, proj4rs::Proj) {
        (
            FastInverse::from_proj4(def).expect("fast"),
            proj4rs::Proj::from_proj_string(def).unwrap(),
            proj4rs::Proj::from_proj_string("+proj=longlat +datum=WGS84 +no_defs").unwrap(),
        )
    }

    const GK_CM_111: &str =
        "+proj=tmerc +lat_0=0 +lon_0=111 +k=1 +x_0=500000 +y_0=0 +ellps=GRS80 +units=m +no_defs";

    #[test]
    fn every_registry_transverse_mercator_takes_the_fast_path_and_agrees() {
        let wgs84 = proj4rs::Proj::from_proj_string("+proj=longlat +datum=WGS84 +no_defs").unwrap();
        let mut fast = 0;
        for code in (4513..=4554).chain(32601..=32660).chain(32701..=32760) {
            let def = crate::crs::registry::lookup(code).unwrap().proj4;
            let f = FastInverse::from_proj4(&def).unwrap_or_else(|| panic!("{code}: {def}"));
            let src = proj4rs::Proj::from_proj_string(&def).unwrap();
            assert!(f.agrees(&src, &wgs84), "EPSG:{code} {def}");
            fast += 1;
        }
        assert_eq!(fast, 42 + 120);
    }

    #[test]
    fn a_known_point_on_the_central_meridian() {
        let (f, _, _) = pair(GK_CM_111);
        let (lon, lat) = f.inverse(500_000.0, 0.0).unwrap();
        assert_eq!((lon, lat), (111.0, 0.0));
        // The meridian arc from the equator to 30° N is 3,320,113.4 m (k0 = 1).
        let (lon, lat) = f.inverse(500_000.0, 3_320_113.4).unwrap();
        assert!(
            (lon - 111.0).abs() < 1e-12 && (lat - 30.0).abs() < 1e-6,
            "{lat}"
        );
    }

    #[test]
    fn what_it_cannot_do_goes_to_proj4rs() {
        for def in [
            "+proj=tmerc +lat_0=10 +lon_0=111 +k=1 +x_0=500000 +y_0=0 +ellps=GRS80 +units=m",
            "+proj=tmerc +lon_0=111 +ellps=krass +towgs84=15.8,-154.4,-82.3 +units=m",
            "+proj=tmerc +lon_0=111 +ellps=GRS80 +units=ft",
            "+proj=tmerc +lon_0=111 +ellps=GRS80 +pm=paris",
            "+proj=tmerc +lon_0=111 +ellps=GRS80 +approx",
            "+proj=tmerc +lon_0=111 +ellps=GRS80 +axis=neu",
            "+proj=merc +lon_0=111 +ellps=GRS80",
            "+proj=longlat +ellps=GRS80",
            "+proj=utm +zone=61 +datum=WGS84",
            "+proj=tmerc +lon_0=111 +k_0=0.9996 +ellps=GRS80",
            "+proj=tmerc +lon_0=111 +lon_0=114 +ellps=GRS80",
            "+proj=tmerc +lon_0=111 +k=1 +k0=0.9996 +ellps=GRS80",
            "+proj=tmerc +lon_0=111 +ellps=GRS80 +a=6378140",
            "+proj=tmerc +lon_0=111 +ellps=GRS80 +datum=WGS84",
            "+proj=tmerc +lon_0=111 +datum=GRS80",
        ] {
            assert!(FastInverse::from_proj4(def).is_none(), "{def}");
        }
        // Far outside any zone, proj4rs decides.
        let (f, _, _) = pair(GK_CM_111);
        assert!(f.inverse(500_000.0 + 1.7e7, 0.0).is_none());
    }

    #[test]
    fn a_and_rf_and_k0_are_read_as_proj4rs_reads_them() {
        let def = "+proj=tmerc +lon_0=111 +k0=0.9996 +x_0=500000 +a=6378137 +rf=298.257222101";
        let (f, src, dst) = pair(def);
        assert!(f.agrees(&src, &dst));
        let (g, _, _) = pair(GK_CM_111);
        assert_ne!(f.inverse(600_000.0, 3e6), g.inverse(600_000.0, 3e6));
    }

    #[test]
    fn a_wrong_series_is_caught_by_the_comparison() {
        let (mut f, src, dst) = pair(GK_CM_111);
        assert!(f.agrees(&src, &dst));
        f.delta[1] *= 1.0 + 1e-4;
        assert!(!f.agrees(&src, &dst));
    }

    proptest! {
        /// Anywhere within 5,000 km of the central meridian (where the series' last terms
        /// count) and 70° of the equator, the fast inverse and proj4rs agree to 1e-11°
        /// (GRS80 Gauss-Krüger and WGS 84 UTM south).
        #[test]
        fn agrees_with_proj4rs(dx in -5_000_000.0..5_000_000.0f64, y in -7_800_000.0..7_800_000.0f64,
                               utm in any::<bool>()) {
            let def = if utm { "+proj=utm +zone=49 +south +datum=WGS84 +units=m +no_defs" } else { GK_CM_111 };
            let (f, src, dst) = pair(def);
            let (x, y) = (f.x0 + dx, if utm { 10_000_000.0 + y } else { y });
            let mut p = (x, y);
            proj4rs::transform::transform(&src, &dst, &mut p).unwrap();
            let (lon, lat) = f.inverse(x, y).unwrap();
            prop_assert!((lon - p.0.to_degrees()).abs() <= 1e-11, "lon {lon} {}", p.0.to_degrees());
            prop_assert!((lat - p.1.to_degrees()).abs() <= 1e-11, "lat {lat} {}", p.1.to_degrees());
        }
    }
}
