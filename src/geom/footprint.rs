use geo::{
    Area, Coord, Euclidean, Geometry, Length, LineString, MultiLineString, MultiPoint,
    MultiPolygon, Rect,
};

/// A proposal's geometry, by dimension. Every spatial test handles the three kinds: a
/// building plot (areal), a road or pipeline (linear), a well or tower site (puntal).
#[derive(Clone, Debug, PartialEq)]
pub enum Footprint {
    Areal(MultiPolygon<f64>),
    Linear(MultiLineString<f64>),
    Puntal(MultiPoint<f64>),
}

impl Footprint {
    /// Sorts a geometry into its kind. GeometryCollections and empty geometries are refused.
    pub fn new(g: &Geometry<f64>) -> Result<Footprint, String> {
        let fp = match g {
            Geometry::Polygon(p) => Footprint::Areal(MultiPolygon(vec![p.clone()])),
            Geometry::MultiPolygon(mp) => Footprint::Areal(mp.clone()),
            Geometry::Rect(r) => Footprint::Areal(MultiPolygon(vec![r.to_polygon()])),
            Geometry::Triangle(t) => Footprint::Areal(MultiPolygon(vec![t.to_polygon()])),
            Geometry::LineString(l) => Footprint::Linear(MultiLineString(vec![l.clone()])),
            Geometry::Line(l) => {
                Footprint::Linear(MultiLineString(vec![LineString(vec![l.start, l.end])]))
            }
            Geometry::MultiLineString(m) => Footprint::Linear(m.clone()),
            Geometry::Point(p) => Footprint::Puntal(MultiPoint(vec![*p])),
            Geometry::MultiPoint(m) => Footprint::Puntal(m.clone()),
            Geometry::GeometryCollection(_) => {
                return Err("GeometryCollection is not supported".into())
            }
        };
        if fp.bbox().is_none() {
            return Err("empty geometry".into());
        }
        Ok(fp)
    }

    /// [`Footprint::new`] for a geometry the caller gives away: no copy.
    pub fn from_geometry(g: Geometry<f64>) -> Result<Footprint, String> {
        let fp = match g {
            Geometry::Polygon(p) => Footprint::Areal(MultiPolygon(vec![p])),
            Geometry::MultiPolygon(mp) => Footprint::Areal(mp),
            Geometry::LineString(l) => Footprint::Linear(MultiLineString(vec![l])),
            Geometry::MultiLineString(m) => Footprint::Linear(m),
            Geometry::Point(p) => Footprint::Puntal(MultiPoint(vec![p])),
            Geometry::MultiPoint(m) => Footprint::Puntal(m),
            other => return Footprint::new(&other),
        };
        if fp.bbox().is_none() {
            return Err("empty geometry".into());
        }
        Ok(fp)
    }

    /// The bounding box; `None` only for an empty geometry.
    pub fn bbox(&self) -> Option<Rect<f64>> {
        // Direct loops over the coordinate slices: called by every spatial test of every
        // rule, it is on the audit's hot path.
        let mut lo = Coord {
            x: f64::INFINITY,
            y: f64::INFINITY,
        };
        let mut hi = Coord {
            x: f64::NEG_INFINITY,
            y: f64::NEG_INFINITY,
        };
        // Plain comparisons, not `f64::min`: a footprint's coordinates are finite (validated
        // when read), so the NaN handling would be paid for nothing.
        let mut add = |cs: &[Coord<f64>]| {
            for c in cs {
                if c.x < lo.x {
                    lo.x = c.x;
                }
                if c.y < lo.y {
                    lo.y = c.y;
                }
                if c.x > hi.x {
                    hi.x = c.x;
                }
                if c.y > hi.y {
                    hi.y = c.y;
                }
            }
        };
        match self {
            Footprint::Areal(m) => m.iter().for_each(|p| {
                add(&p.exterior().0);
                p.interiors().iter().for_each(|r| add(&r.0));
            }),
            Footprint::Linear(m) => m.iter().for_each(|l| add(&l.0)),
            Footprint::Puntal(m) => m.iter().for_each(|p| add(std::slice::from_ref(&p.0))),
        }
        (lo.x <= hi.x && lo.y <= hi.y).then(|| Rect::new(lo, hi))
    }

    /// The first coordinate (of the first part); `None` when empty.
    pub fn first_coord(&self) -> Option<Coord<f64>> {
        match self {
            Footprint::Areal(m) => m.0.first().and_then(|p| p.exterior().0.first().copied()),
            Footprint::Linear(m) => m.0.first().and_then(|l| l.0.first().copied()),
            Footprint::Puntal(m) => m.0.first().map(|p| p.0),
        }
    }

    /// About the bytes its coordinates hold in memory.
    pub fn memory_bytes(&self) -> u64 {
        use geo::CoordsIter;
        let n = match self {
            Footprint::Areal(m) => m.coords_count(),
            Footprint::Linear(m) => m.coords_count(),
            Footprint::Puntal(m) => m.0.len(),
        };
        n as u64 * 16
    }

    /// Area in m² (0 for lines and points).
    pub fn area_m2(&self) -> f64 {
        match self {
            Footprint::Areal(m) => m.unsigned_area(),
            _ => 0.0,
        }
    }

    /// Length in m of a linear footprint (0 otherwise).
    pub fn length_m(&self) -> f64 {
        match self {
            Footprint::Linear(m) => m.iter().map(|l| Euclidean.length(l)).sum(),
            _ => 0.0,
        }
    }

    /// The line work: polygon rings or lines; empty for points.
    pub fn linework(&self) -> Vec<&LineString<f64>> {
        match self {
            Footprint::Areal(m) => m
                .iter()
                .flat_map(|p| std::iter::once(p.exterior()).chain(p.interiors()))
                .collect(),
            Footprint::Linear(m) => m.iter().collect(),
            Footprint::Puntal(_) => Vec::new(),
        }
    }

    /// One coordinate of each connected part, used to detect containment without crossing.
    pub fn representative_coords(&self) -> Vec<Coord<f64>> {
        match self {
            Footprint::Areal(m) => m
                .iter()
                .filter_map(|p| p.exterior().0.first().copied())
                .collect(),
            Footprint::Linear(m) => m.iter().filter_map(|l| l.0.first().copied()).collect(),
            Footprint::Puntal(m) => m.iter().map(|p| p.0).collect(),
        }
    }

    /// The geometry back as a `Geometry`.
    pub fn to_geometry(&self) -> Geometry<f64> {
        match self {
            Footprint::Areal(m) => Geometry::MultiPolygon(m.clone()),
            Footprint::Linear(m) => Geometry::MultiLineString(m.clone()),
            Footprint::Puntal(m) => Geometry::MultiPoint(m.clone()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::{line_string, point, polygon};

    #[test]
    fn kinds_and_measures() {
        let sq = Footprint::new(&Geometry::Polygon(
            polygon![(x: 0., y: 0.), (x: 10., y: 0.), (x: 10., y: 10.), (x: 0., y: 10.)],
        ))
        .unwrap();
        assert_eq!(sq.area_m2(), 100.0);
        let road = Footprint::new(&Geometry::LineString(
            line_string![(x: 0., y: 0.), (x: 3., y: 4.)],
        ))
        .unwrap();
        assert_eq!(road.length_m(), 5.0);
        let well = Footprint::new(&Geometry::Point(point!(x: 1., y: 1.))).unwrap();
        assert!(well.linework().is_empty());
        assert!(Footprint::new(&Geometry::MultiPolygon(MultiPolygon(vec![]))).is_err());
    }
}
