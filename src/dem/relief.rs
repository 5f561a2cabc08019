//! Hillshade pictures of a DEM for maps (the HTML report's map and the map page of `serve`):
//! the terrain under the zones, lit from the north-west at 45° as cartographers (and gdaldem)
//! light it, as a grey PNG with nodata transparent. A picture, not a measure: it is resampled
//! bilinearly onto the map's pixels.

use super::Dem;
use geo::Coord;

/// Light from the north-west (azimuth 315°), 45° above the horizon.
const AZIMUTH_DEG: f64 = 315.0;
const ALTITUDE_DEG: f64 = 45.0;

/// A hillshade of `w × h` pixels: `at(x, y)` gives the DEM-CRS point of pixel position
/// `(x, y)` (pixel centres at `i + 0.5`; neighbours are sampled one pixel away), `pixel_m` the
/// pixel's width and height on the ground. Returns grey + alpha bytes, row by row: flat ground
/// is transparent, slopes opaque as they turn to or from the light.
pub fn hillshade(
    dem: &Dem,
    w: usize,
    h: usize,
    pixel_m: (f64, f64),
    at: impl Fn(f64, f64) -> Option<Coord<f64>>,
) -> Vec<u8> {
    // Heights on a grid one pixel wider on every side.
    let (gw, gh) = (w + 2, h + 2);
    let mut z = vec![f64::NAN; gw * gh];
    for j in 0..gh {
        for i in 0..gw {
            if let Some(p) = at(i as f64 - 0.5, j as f64 - 0.5) {
                z[j * gw + i] = dem.bilinear(p).unwrap_or(f64::NAN);
            }
        }
    }
    let (az, alt) = (AZIMUTH_DEG.to_radians(), ALTITUDE_DEG.to_radians());
    let light = [alt.cos() * az.sin(), alt.cos() * az.cos(), alt.sin()];
    let mut out = Vec::with_capacity(w * h * 2);
    for j in 1..=h {
        for i in 1..=w {
            let c = z[j * gw + i];
            if c.is_nan() {
                out.extend([0, 0]);
                continue;
            }
            let v = |di: isize, dj: isize| {
                let v = z[(j as isize + dj) as usize * gw + (i as isize + di) as usize];
                if v.is_nan() {
                    c
                } else {
                    v
                }
            };
            // Horn's gradient: x east, y north (rows run south).
            let dzdx = ((v(1, -1) + 2.0 * v(1, 0) + v(1, 1))
                - (v(-1, -1) + 2.0 * v(-1, 0) + v(-1, 1)))
                / (8.0 * pixel_m.0);
            let dzdy = ((v(-1, -1) + 2.0 * v(0, -1) + v(1, -1))
                - (v(-1, 1) + 2.0 * v(0, 1) + v(1, 1)))
                / (8.0 * pixel_m.1);
            let n = (dzdx * dzdx + dzdy * dzdy + 1.0).sqrt();
            let lit = ((-dzdx * light[0] - dzdy * light[1] + light[2]) / n).clamp(0.0, 1.0);
            // Flat ground (lit as sin 45°) stays clear; slopes show, lit or in shade.
            let alpha = ((lit - light[2]).abs() * 4.0).min(1.0);
            out.extend([(lit * 255.0).round() as u8, (alpha * 255.0).round() as u8]);
        }
    }
    out
}

/// The hillshade of `dem` over `rect` (given in `crs`: the working CRS for the report's map,
/// WGS 84 for the map page), `w × h` pixels, as a PNG; `None` where nothing of the DEM shows
/// but flat ground. Each pixel centre is taken into the DEM's CRS.
pub fn picture(
    dem: &Dem,
    rect: geo::Rect<f64>,
    crs: &crate::crs::Crs,
    w: usize,
    h: usize,
) -> Option<Vec<u8>> {
    let (dx, dy) = (rect.width() / w as f64, rect.height() / h as f64);
    // The pixel's size on the ground, for the gradient.
    let pixel_m = if crs.geographic {
        let lat = ((rect.min().y + rect.max().y) / 2.0).to_radians();
        (dx * 111_320.0 * lat.cos(), dy * 110_540.0)
    } else {
        (dx, dy)
    };
    let pixels = hillshade(dem, w, h, pixel_m, |x, y| {
        let p = Coord {
            x: rect.min().x + x * dx,
            y: rect.max().y - y * dy,
        };
        dem.point_from(crs, p).ok()
    });
    if pixels.chunks_exact(2).all(|p| p[1] == 0) {
        return None;
    }
    Some(png_grey_alpha(w, h, &pixels))
}

/// A grey + alpha PNG (8 bits per sample, no filtering, zlib-compressed).
pub fn png_grey_alpha(w: usize, h: usize, pixels: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut raw = Vec::with_capacity((w * 2 + 1) * h);
    for row in pixels.chunks_exact(w * 2) {
        raw.push(0);
        raw.extend_from_slice(row);
    }
    let mut enc = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
    enc.write_all(&raw).expect("in memory");
    let idat = enc.finish().expect("in memory");
    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut ihdr = Vec::new();
    ihdr.extend((w as u32).to_be_bytes());
    ihdr.extend((h as u32).to_be_bytes());
    ihdr.extend([8, 4, 0, 0, 0]);
    for (kind, data) in [(b"IHDR", &ihdr), (b"IDAT", &idat), (b"IEND", &Vec::new())] {
        png.extend((data.len() as u32).to_be_bytes());
        let start = png.len();
        png.extend(kind);
        png.extend(data);
        let crc = crc32(&png[start..]);
        png.extend(crc.to_be_bytes());
    }
    png
}

/// CRC-32 (IEEE), as PNG chunks carry it.
fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = 0xffff_ffffu32;
    for &b in bytes {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xedb8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

/// Standard base64, for data URIs.
pub fn base64(bytes: &[u8]) -> String {
    const ABC: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut s = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for c in bytes.chunks(3) {
        let n = (u32::from(c[0]) << 16)
            | (u32::from(*c.get(1).unwrap_or(&0)) << 8)
            | u32::from(*c.get(2).unwrap_or(&0));
        for k in 0..4 {
            if k <= c.len() {
                s.push(ABC[(n >> (18 - 6 * k) & 63) as usize] as char);
            } else {
                s.push('=');
            }
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn png_chunks_carry_the_crc_png_readers_check() {
        // The CRC of "IEND" with no data is fixed by the PNG specification.
        assert_eq!(crc32(b"IEND"), 0xae42_6082);
        let png = png_grey_alpha(2, 1, &[0, 255, 255, 0]);
        assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"));
        assert!(png.ends_with(&[0xae, 0x42, 0x60, 0x82]));
        assert_eq!(base64(b"Man"), "TWFu");
        assert_eq!(base64(b"Ma"), "TWE=");
        assert_eq!(base64(b"M"), "TQ==");
    }
}
