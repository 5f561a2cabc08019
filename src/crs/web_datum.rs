//! GCJ-02 and BD-09: the obfuscated datums of Chinese web maps (Amap, Tencent: GCJ-02;
//! Baidu: BD-09 on top of it). Coordinates copied from them look like WGS 84 but are offset
//! by hundreds of metres (around Yichang about half a kilometre). PROJ does not know them;
//! this module implements the public algorithm, and the exact inverse by fixed-point
//! iteration (to 1e-12°, about 0.1 µm).

use geo::Coord;
use std::f64::consts::PI;

/// Which web datum.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WebDatum {
    /// 国测局 GCJ-02 ("Mars coordinates").
    Gcj02,
    /// Baidu BD-09 (GCJ-02 rotated and scaled once more).
    Bd09,
}

const A: f64 = 6_378_245.0;
const EE: f64 = 0.006_693_421_622_965_943;
const BD_K: f64 = PI * 3000.0 / 180.0;

/// Outside mainland China the obfuscation is not applied.
fn outside_china(c: Coord<f64>) -> bool {
    !(72.004..=137.8347).contains(&c.x) || !(0.8293..=55.8271).contains(&c.y)
}

fn d_lat(x: f64, y: f64) -> f64 {
    let mut r = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * x.abs().sqrt();
    r += (20.0 * (6.0 * x * PI).sin() + 20.0 * (2.0 * x * PI).sin()) * 2.0 / 3.0;
    r += (20.0 * (y * PI).sin() + 40.0 * (y / 3.0 * PI).sin()) * 2.0 / 3.0;
    r += (160.0 * (y / 12.0 * PI).sin() + 320.0 * (y * PI / 30.0).sin()) * 2.0 / 3.0;
    r
}

fn d_lon(x: f64, y: f64) -> f64 {
    let mut r = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * x.abs().sqrt();
    r += (20.0 * (6.0 * x * PI).sin() + 20.0 * (2.0 * x * PI).sin()) * 2.0 / 3.0;
    r += (20.0 * (x * PI).sin() + 40.0 * (x / 3.0 * PI).sin()) * 2.0 / 3.0;
    r += (150.0 * (x / 12.0 * PI).sin() + 300.0 * (x / 30.0 * PI).sin()) * 2.0 / 3.0;
    r
}

/// WGS 84 → GCJ-02 (the forward, public algorithm).
pub fn wgs84_to_gcj02(c: Coord<f64>) -> Coord<f64> {
    if outside_china(c) {
        return c;
    }
    let (x, y) = (c.x - 105.0, c.y - 35.0);
    let rad = c.y / 180.0 * PI;
    let magic = 1.0 - EE * rad.sin() * rad.sin();
    let sqrt_magic = magic.sqrt();
    let dlat = d_lat(x, y) * 180.0 / ((A * (1.0 - EE)) / (magic * sqrt_magic) * PI);
    let dlon = d_lon(x, y) * 180.0 / (A / sqrt_magic * rad.cos() * PI);
    Coord {
        x: c.x + dlon,
        y: c.y + dlat,
    }
}

/// GCJ-02 → BD-09.
pub fn gcj02_to_bd09(c: Coord<f64>) -> Coord<f64> {
    let z = c.x.hypot(c.y) + 0.000_02 * (c.y * BD_K).sin();
    let theta = c.y.atan2(c.x) + 0.000_003 * (c.x * BD_K).cos();
    Coord {
        x: z * theta.cos() + 0.0065,
        y: z * theta.sin() + 0.006,
    }
}

/// Inverts `forward` near `target` by fixed-point iteration: w ← w − (forward(w) − target).
/// The forward maps are smooth, near-identity shifts, so this converges in a few steps.
fn invert(target: Coord<f64>, forward: impl Fn(Coord<f64>) -> Coord<f64>) -> Coord<f64> {
    let mut w = target;
    for _ in 0..40 {
        let f = forward(w);
        let (dx, dy) = (f.x - target.x, f.y - target.y);
        w = Coord {
            x: w.x - dx,
            y: w.y - dy,
        };
        if dx.abs() < 1e-12 && dy.abs() < 1e-12 {
            break;
        }
    }
    w
}

/// GCJ-02 → WGS 84, exact to 1e-12°.
pub fn gcj02_to_wgs84(c: Coord<f64>) -> Coord<f64> {
    invert(c, wgs84_to_gcj02)
}

/// BD-09 → GCJ-02, exact to 1e-12°.
pub fn bd09_to_gcj02(c: Coord<f64>) -> Coord<f64> {
    invert(c, gcj02_to_bd09)
}

impl WebDatum {
    /// Web-map coordinates → WGS 84.
    pub fn to_wgs84(self, c: Coord<f64>) -> Coord<f64> {
        match self {
            WebDatum::Gcj02 => gcj02_to_wgs84(c),
            WebDatum::Bd09 => gcj02_to_wgs84(bd09_to_gcj02(c)),
        }
    }

    /// WGS 84 → web-map coordinates.
    pub fn from_wgs84(self, c: Coord<f64>) -> Coord<f64> {
        match self {
            WebDatum::Gcj02 => wgs84_to_gcj02(c),
            WebDatum::Bd09 => gcj02_to_bd09(wgs84_to_gcj02(c)),
        }
    }

    /// The name users write.
    pub fn name(self) -> &'static str {
        match self {
            WebDatum::Gcj02 => "GCJ-02",
            WebDatum::Bd09 => "BD-09",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::coord;

    /// Metres between two lon/lat points near Yichang (equirectangular, fine at this scale).
    fn metres(a: Coord<f64>, b: Coord<f64>) -> (f64, f64) {
        let k = 111_320.0;
        (
            (b.x - a.x) * k * a.y.to_radians().cos(),
            (b.y - a.y) * 110_574.0,
        )
    }

    #[test]
    fn the_offset_near_yichang_is_hundreds_of_metres() {
        let w = coord! { x: 111.29, y: 30.70 };
        let (de, dn) = metres(w, wgs84_to_gcj02(w));
        let d = de.hypot(dn);
        assert!((300.0..800.0).contains(&d), "offset {d} m ({de} E, {dn} N)");
    }

    #[test]
    fn inverses_are_exact() {
        for (x, y) in [
            (111.29, 30.70),
            (116.39, 39.91),
            (121.47, 31.23),
            (113.26, 23.13),
        ] {
            let w = coord! { x: x, y: y };
            let back = gcj02_to_wgs84(wgs84_to_gcj02(w));
            assert!(
                (back.x - w.x).abs() < 1e-11 && (back.y - w.y).abs() < 1e-11,
                "{back:?}"
            );
            let bd = WebDatum::Bd09.from_wgs84(w);
            let back = WebDatum::Bd09.to_wgs84(bd);
            assert!(
                (back.x - w.x).abs() < 1e-11 && (back.y - w.y).abs() < 1e-11,
                "{back:?}"
            );
        }
    }

    #[test]
    fn outside_china_nothing_moves() {
        let paris = coord! { x: 2.35, y: 48.85 };
        assert_eq!(wgs84_to_gcj02(paris), paris);
        assert_eq!(gcj02_to_wgs84(paris), paris);
    }
}
