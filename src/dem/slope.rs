//! Slope by Horn's method, cell by cell, as `gdaldem slope -compute_edges` computes it:
//!
//! - the 3 × 3 window around a cell gives `dz/dx = ((z0 + 2 z3 + z6) − (z2 + 2 z5 + z8)) / 8 Δx`
//!   and `dz/dy = ((z6 + 2 z7 + z8) − (z0 + 2 z1 + z2)) / 8 Δy`, and the slope is
//!   `atan(√(dz/dx² + dz/dy²))` in degrees;
//! - on the raster's first and last rows and columns, the missing neighbours are extrapolated
//!   (`2 a − b` from the two cells inward), and in the corners the columns are clamped, as
//!   gdaldem does;
//! - a nodata cell has no slope; a nodata neighbour (or an extrapolation from one) takes the
//!   centre's value;
//! - Δx and Δy are the cell's size in metres: the geotransform's for a projected DEM, and for
//!   a geographic one the size on the ellipsoid at the cell's row (gdaldem would need `-s`).

use super::{Dem, Window};

/// The slope of the cell `(col, row)`, degrees; `None` where the cell is nodata. `win` must
/// cover the cell and its eight neighbours (cells outside the raster may be missing).
pub fn slope_deg(dem: &Dem, win: &Window, col: i64, row: i64) -> Option<f64> {
    let (w, h) = (i64::from(dem.width), i64::from(dem.height));
    let z = |c: i64, r: i64| win.at(c, r);
    let centre = z(col, row);
    if centre.is_nan() || w < 2 || h < 2 {
        return None;
    }
    let interp = |a: f64, b: f64| 2.0 * a - b;
    let mut a = [0.0f64; 9];
    if row == 0 || row == h - 1 {
        let (jmin, jmax) = (
            if col == 0 { col } else { col - 1 },
            if col == w - 1 { col } else { col + 1 },
        );
        let cols = [jmin, col, jmax];
        for (k, c) in cols.into_iter().enumerate() {
            if row == 0 {
                a[k] = interp(z(c, 0), z(c, 1));
                a[3 + k] = z(c, 0);
                a[6 + k] = z(c, 1);
            } else {
                a[k] = z(c, h - 2);
                a[3 + k] = z(c, h - 1);
                a[6 + k] = interp(z(c, h - 1), z(c, h - 2));
            }
        }
    } else if col == 0 || col == w - 1 {
        for (k, r) in [row - 1, row, row + 1].into_iter().enumerate() {
            if col == 0 {
                a[3 * k] = interp(z(0, r), z(1, r));
                a[3 * k + 1] = z(0, r);
                a[3 * k + 2] = z(1, r);
            } else {
                a[3 * k] = z(col - 1, r);
                a[3 * k + 1] = z(col, r);
                a[3 * k + 2] = interp(z(col, r), z(col - 1, r));
            }
        }
    } else {
        for (k, v) in a.iter_mut().enumerate() {
            *v = z(col - 1 + (k % 3) as i64, row - 1 + (k / 3) as i64);
        }
    }
    // NaN is nodata, and an extrapolation from nodata is NaN too.
    for v in &mut a {
        if v.is_nan() {
            *v = centre;
        }
    }
    let (ew, ns) = dem.cell_metres(row);
    Some(horn(&a, ew, ns))
}

/// Horn's slope of a 3 × 3 window (row by row, north first), degrees.
pub fn horn(a: &[f64; 9], ew: f64, ns: f64) -> f64 {
    let dx = ((a[0] + a[3] + a[3] + a[6]) - (a[2] + a[5] + a[5] + a[8])) / ew;
    let dy = ((a[6] + a[7] + a[7] + a[8]) - (a[0] + a[1] + a[1] + a[2])) / ns;
    ((dx * dx + dy * dy).sqrt() / 8.0).atan().to_degrees()
}

#[cfg(test)]
mod tests {
    use super::horn;

    #[test]
    fn a_plane_rising_one_in_one_is_45_degrees_whatever_its_direction() {
        // z = x over 10 m cells: each column 10 m higher to the east.
        let east = [0.0, 10.0, 20.0, 0.0, 10.0, 20.0, 0.0, 10.0, 20.0];
        assert!((horn(&east, 10.0, 10.0) - 45.0).abs() < 1e-12);
        let north = [20.0, 20.0, 20.0, 10.0, 10.0, 10.0, 0.0, 0.0, 0.0];
        assert!((horn(&north, 10.0, 10.0) - 45.0).abs() < 1e-12);
        assert_eq!(horn(&[5.0; 9], 10.0, 10.0), 0.0);
        // 25°: a rise of tan 25° per metre.
        let r = 10.0 * 25f64.to_radians().tan();
        let w = [0.0, r, 2.0 * r, 0.0, r, 2.0 * r, 0.0, r, 2.0 * r];
        assert!((horn(&w, 10.0, 10.0) - 25.0).abs() < 1e-9);
    }
}
