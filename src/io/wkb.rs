//! Well-known binary (ISO and EWKB flavours, either byte order) into geo geometries, with the
//! same checks and messages as the GeoJSON reader: rings closed with four or more positions,
//! lines of two or more, finite coordinates. Z and M values are read and dropped. And 2D
//! geometries back into little-endian ISO WKB ([`encode`]: the Python package's findings).

use geo::{Coord, Geometry, LineString, MultiLineString, MultiPoint, MultiPolygon, Point, Polygon};

type R<T> = std::result::Result<T, String>;

struct Cursor<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl Cursor<'_> {
    fn take<const N: usize>(&mut self) -> R<[u8; N]> {
        let end = self.pos + N;
        let s = self
            .bytes
            .get(self.pos..end)
            .ok_or_else(|| format!("WKB ends early (byte {} of {})", self.pos, self.bytes.len()))?;
        self.pos = end;
        Ok(s.try_into().expect("slice of N bytes"))
    }

    /// The next `n` bytes (`count` has checked that they are there).
    fn slice(&mut self, n: usize) -> R<&[u8]> {
        let end = self.pos.saturating_add(n);
        let s = self
            .bytes
            .get(self.pos..end)
            .ok_or_else(|| format!("WKB ends early (byte {} of {})", self.pos, self.bytes.len()))?;
        self.pos = end;
        Ok(s)
    }
}

#[derive(Clone, Copy)]
struct Head {
    little: bool,
    kind: u32,
    dims: usize,
}

fn u32_(c: &mut Cursor<'_>, little: bool) -> R<u32> {
    let b = c.take::<4>()?;
    Ok(if little {
        u32::from_le_bytes(b)
    } else {
        u32::from_be_bytes(b)
    })
}

fn f64_(c: &mut Cursor<'_>, little: bool) -> R<f64> {
    let b = c.take::<8>()?;
    Ok(if little {
        f64::from_le_bytes(b)
    } else {
        f64::from_be_bytes(b)
    })
}

fn head(c: &mut Cursor<'_>) -> R<Head> {
    let little = match c.take::<1>()?[0] {
        0 => false,
        1 => true,
        b => return Err(format!("WKB byte-order mark {b} is neither 0 nor 1")),
    };
    let raw = u32_(c, little)?;
    // EWKB flags in the high bits, ISO dimensions as thousands.
    let (mut z, mut m) = (raw & 0x8000_0000 != 0, raw & 0x4000_0000 != 0);
    if raw & 0x2000_0000 != 0 {
        u32_(c, little)?; // SRID
    }
    let iso = raw & 0x0fff_ffff;
    let kind = iso % 1000;
    match iso / 1000 {
        0 => {}
        1 => z = true,
        2 => m = true,
        3 => (z, m) = (true, true),
        _ => return Err(format!("unknown WKB geometry type {raw}")),
    }
    Ok(Head {
        little,
        kind,
        dims: 2 + usize::from(z) + usize::from(m),
    })
}

fn coord(c: &mut Cursor<'_>, h: Head) -> R<Coord<f64>> {
    let x = f64_(c, h.little)?;
    let y = f64_(c, h.little)?;
    for _ in 2..h.dims {
        f64_(c, h.little)?;
    }
    Ok(Coord { x, y })
}

fn finite(p: Coord<f64>) -> R<Coord<f64>> {
    if p.x.is_finite() && p.y.is_finite() {
        Ok(p)
    } else {
        Err(format!("non-finite coordinate ({}, {})", p.x, p.y))
    }
}

fn count(c: &mut Cursor<'_>, h: Head, each: usize) -> R<usize> {
    let n = u32_(c, h.little)? as usize;
    // A count larger than the bytes left is corrupt (and must not allocate).
    if n.saturating_mul(each) > c.bytes.len().saturating_sub(c.pos) {
        return Err(format!("WKB count {n} exceeds the bytes left"));
    }
    Ok(n)
}

fn points(c: &mut Cursor<'_>, h: Head) -> R<Vec<Coord<f64>>> {
    let each = 8 * h.dims;
    let n = count(c, h, each)?;
    // The run of positions read in one pass into a vector of its size (a `collect` of
    // results cannot know it and grows by doubling).
    let f = |b: &[u8]| {
        let b: [u8; 8] = b.try_into().expect("8 bytes");
        if h.little {
            f64::from_le_bytes(b)
        } else {
            f64::from_be_bytes(b)
        }
    };
    let mut out = Vec::with_capacity(n);
    for p in c.slice(n * each)?.chunks_exact(each) {
        out.push(finite(Coord {
            x: f(&p[..8]),
            y: f(&p[8..16]),
        })?);
    }
    Ok(out)
}

fn line(c: &mut Cursor<'_>, h: Head) -> R<LineString<f64>> {
    let cs = points(c, h)?;
    if cs.len() < 2 {
        return Err(format!(
            "a LineString needs at least 2 positions, got {}",
            cs.len()
        ));
    }
    Ok(LineString(cs))
}

fn polygon(c: &mut Cursor<'_>, h: Head) -> R<Polygon<f64>> {
    let n = count(c, h, 4)?;
    if n == 0 {
        return Err("empty Polygon".into());
    }
    let mut rings = Vec::with_capacity(n);
    for _ in 0..n {
        let cs = points(c, h)?;
        if cs.len() < 4 {
            return Err(format!(
                "a ring needs at least 4 positions, got {}",
                cs.len()
            ));
        }
        if cs.first() != cs.last() {
            return Err("ring is not closed (first and last positions differ)".into());
        }
        rings.push(LineString(cs));
    }
    let exterior = rings.remove(0);
    Ok(Polygon::new(exterior, rings))
}

/// Each part of a multi-geometry is a full WKB geometry of the expected kind.
fn part(c: &mut Cursor<'_>, want: u32) -> R<Head> {
    let h = head(c)?;
    if h.kind != want {
        return Err(format!(
            "a part of WKB type {} where type {want} was expected",
            h.kind
        ));
    }
    Ok(h)
}

/// Decodes one WKB geometry.
pub fn decode(bytes: &[u8]) -> R<Geometry<f64>> {
    let mut c = Cursor { bytes, pos: 0 };
    let h = head(&mut c)?;
    let g = match h.kind {
        1 => {
            let p = coord(&mut c, h)?;
            if p.x.is_nan() && p.y.is_nan() {
                return Err("empty geometry".into());
            }
            Geometry::Point(Point(finite(p)?))
        }
        2 => Geometry::LineString(line(&mut c, h)?),
        3 => Geometry::Polygon(polygon(&mut c, h)?),
        4 => {
            let n = count(&mut c, h, 5)?;
            if n == 0 {
                return Err("empty MultiPoint".into());
            }
            let mut pts = Vec::with_capacity(n);
            for _ in 0..n {
                let ph = part(&mut c, 1)?;
                pts.push(Point(finite(coord(&mut c, ph)?)?));
            }
            Geometry::MultiPoint(MultiPoint(pts))
        }
        5 => {
            let n = count(&mut c, h, 9)?;
            if n == 0 {
                return Err("empty MultiLineString".into());
            }
            let mut ls = Vec::with_capacity(n);
            for _ in 0..n {
                let ph = part(&mut c, 2)?;
                ls.push(line(&mut c, ph)?);
            }
            Geometry::MultiLineString(MultiLineString(ls))
        }
        6 => {
            let n = count(&mut c, h, 9)?;
            if n == 0 {
                return Err("empty MultiPolygon".into());
            }
            let mut ps = Vec::with_capacity(n);
            for _ in 0..n {
                let ph = part(&mut c, 3)?;
                ps.push(polygon(&mut c, ph)?);
            }
            Geometry::MultiPolygon(MultiPolygon(ps))
        }
        7 => {
            return Err(
                "GeometryCollection is not supported: split it into one feature per part".into(),
            )
        }
        k => return Err(format!("unsupported WKB geometry type {k}")),
    };
    if c.pos != bytes.len() {
        return Err(format!(
            "{} bytes after the end of the WKB geometry",
            bytes.len() - c.pos
        ));
    }
    Ok(g)
}

/// Encodes a geometry as 2D little-endian ISO WKB (what GeoPandas, shapely and GeoArrow read).
pub fn encode(g: &Geometry<f64>, out: &mut Vec<u8>) {
    fn head(out: &mut Vec<u8>, kind: u32) {
        out.push(1);
        out.extend_from_slice(&kind.to_le_bytes());
    }
    fn n(out: &mut Vec<u8>, n: usize) {
        out.extend_from_slice(&(n as u32).to_le_bytes());
    }
    fn xy(out: &mut Vec<u8>, c: Coord<f64>) {
        out.extend_from_slice(&c.x.to_le_bytes());
        out.extend_from_slice(&c.y.to_le_bytes());
    }
    fn ring(out: &mut Vec<u8>, l: &LineString<f64>) {
        n(out, l.0.len());
        l.0.iter().for_each(|c| xy(out, *c));
    }
    fn polygon(out: &mut Vec<u8>, p: &Polygon<f64>) {
        head(out, 3);
        n(out, 1 + p.interiors().len());
        ring(out, p.exterior());
        p.interiors().iter().for_each(|r| ring(out, r));
    }
    match g {
        Geometry::Point(p) => {
            head(out, 1);
            xy(out, p.0);
        }
        Geometry::Line(l) => {
            head(out, 2);
            n(out, 2);
            xy(out, l.start);
            xy(out, l.end);
        }
        Geometry::LineString(l) => {
            head(out, 2);
            ring(out, l);
        }
        Geometry::Polygon(p) => polygon(out, p),
        Geometry::Rect(r) => polygon(out, &r.to_polygon()),
        Geometry::Triangle(t) => polygon(out, &t.to_polygon()),
        Geometry::MultiPoint(m) => {
            head(out, 4);
            n(out, m.0.len());
            for p in &m.0 {
                head(out, 1);
                xy(out, p.0);
            }
        }
        Geometry::MultiLineString(m) => {
            head(out, 5);
            n(out, m.0.len());
            for l in &m.0 {
                head(out, 2);
                ring(out, l);
            }
        }
        Geometry::MultiPolygon(m) => {
            head(out, 6);
            n(out, m.0.len());
            m.0.iter().for_each(|p| polygon(out, p));
        }
        Geometry::GeometryCollection(c) => {
            head(out, 7);
            n(out, c.0.len());
            c.0.iter().for_each(|g| encode(g, out));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{decode, encode};
    use geo::{
        polygon, Coord, Geometry, LineString, MultiLineString, MultiPoint, MultiPolygon, Point,
        Polygon,
    };

    fn le(kind: u32, body: &[&[u8]]) -> Vec<u8> {
        let mut v = vec![1u8];
        v.extend(kind.to_le_bytes());
        for b in body {
            v.extend_from_slice(b);
        }
        v
    }

    fn f(x: f64) -> [u8; 8] {
        x.to_le_bytes()
    }

    fn square(kind: u32, extra: usize) -> Vec<u8> {
        let mut body: Vec<Vec<u8>> = vec![1u32.to_le_bytes().to_vec(), 5u32.to_le_bytes().to_vec()];
        for (x, y) in [(0., 0.), (1., 0.), (1., 1.), (0., 1.), (0., 0.)] {
            body.push(f(x).to_vec());
            body.push(f(y).to_vec());
            for _ in 0..extra {
                body.push(f(9.0).to_vec());
            }
        }
        let refs: Vec<&[u8]> = body.iter().map(Vec::as_slice).collect();
        le(kind, &refs)
    }

    #[test]
    fn reads_polygons_in_2d_iso_z_and_ewkb_z() {
        let want = Geometry::Polygon(
            polygon![(x: 0., y: 0.), (x: 1., y: 0.), (x: 1., y: 1.), (x: 0., y: 1.), (x: 0., y: 0.)],
        );
        assert_eq!(decode(&square(3, 0)).unwrap(), want);
        let mut again = Vec::new();
        encode(&want, &mut again);
        assert_eq!(
            again,
            square(3, 0),
            "encode writes 2D little-endian ISO WKB"
        );
        assert_eq!(decode(&square(1003, 1)).unwrap(), want);
        assert_eq!(decode(&square(0x8000_0003, 1)).unwrap(), want);
        assert_eq!(decode(&square(3003, 2)).unwrap(), want);
    }

    #[test]
    fn big_endian_points_and_errors() {
        let mut be = vec![0u8];
        be.extend(1u32.to_be_bytes());
        be.extend(2.5f64.to_be_bytes());
        be.extend((-1.0f64).to_be_bytes());
        assert_eq!(
            decode(&be).unwrap(),
            Geometry::Point(geo::Point::new(2.5, -1.0))
        );
        assert!(decode(&be[..10]).unwrap_err().contains("ends early"));
        let mut open = square(3, 0);
        let n = open.len();
        open[n - 8..].copy_from_slice(&f(5.0));
        assert!(decode(&open).unwrap_err().contains("not closed"));
        let huge = le(2, &[&u32::MAX.to_le_bytes()]);
        assert!(decode(&huge).unwrap_err().contains("exceeds"));
        let nan = le(1, &[&f(f64::NAN), &f(f64::NAN)]);
        assert_eq!(decode(&nan).unwrap_err(), "empty geometry");
        assert!(decode(&[7]).unwrap_err().contains("byte-order"));
    }

    proptest::proptest! {
        /// What `encode` writes, `decode` reads back unchanged (lines, polygons with holes,
        /// their multi forms and collections of them).
        #[test]
        fn encode_then_decode_is_identity(
            rings in proptest::collection::vec(
                proptest::collection::vec((-1e7f64..1e7, -1e7f64..1e7), 3..12), 1..4),
            kind in 0u8..5,
        ) {
            let closed = |r: &Vec<(f64, f64)>| {
                let mut cs: Vec<Coord<f64>> = r.iter().map(|&(x, y)| Coord { x, y }).collect();
                cs.push(cs[0]);
                LineString(cs)
            };
            let poly = Polygon::new(closed(&rings[0]), rings[1..].iter().map(closed).collect());
            let line = LineString(rings[0].iter().map(|&(x, y)| Coord { x, y }).collect());
            let g = match kind {
                0 => Geometry::LineString(line),
                1 => Geometry::Polygon(poly),
                2 => Geometry::MultiPolygon(MultiPolygon(vec![poly.clone(), poly])),
                3 => Geometry::MultiLineString(MultiLineString(vec![line.clone(), line])),
                _ => Geometry::MultiPoint(MultiPoint(line.0.iter().map(|c| Point(*c)).collect())),
            };
            let mut bytes = Vec::new();
            encode(&g, &mut bytes);
            proptest::prop_assert_eq!(decode(&bytes).unwrap(), g);
        }
    }
}
