use geo::{line_intersection::line_intersection, Coord, Line, LineIntersection};

/// The closest pair of points between two geometries and their distance.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Nearest {
    pub distance: f64,
    /// On the first geometry (the footprint).
    pub a: Coord<f64>,
    /// On the second geometry (the zone).
    pub b: Coord<f64>,
}

impl Nearest {
    /// A starting value that any real pair beats.
    pub const FAR: Nearest = Nearest {
        distance: f64::INFINITY,
        a: Coord {
            x: f64::NAN,
            y: f64::NAN,
        },
        b: Coord {
            x: f64::NAN,
            y: f64::NAN,
        },
    };

    /// A starting value just beyond `limit`: only pairs at most `limit` apart beat it, so a
    /// search for what lies within a limit prunes everything farther from the start.
    pub fn beyond(limit: f64) -> Nearest {
        Nearest {
            distance: limit.next_up(),
            ..Nearest::FAR
        }
    }

    /// Keeps the closer of `self` and `other`.
    pub fn keep_min(&mut self, other: Nearest) {
        if other.distance < self.distance {
            *self = other;
        }
    }
}

/// The point of segment `s0`–`s1` nearest to `p`.
///
/// When the perpendicular foot falls outside the segment the nearest point is the endpoint
/// itself (not a recomputed copy), so a distance measured to a vertex is exact.
pub fn point_segment(p: Coord<f64>, s0: Coord<f64>, s1: Coord<f64>) -> Nearest {
    let d = s1 - s0;
    let len2 = d.x * d.x + d.y * d.y;
    let q = if len2 == 0.0 {
        s0
    } else {
        let t = ((p.x - s0.x) * d.x + (p.y - s0.y) * d.y) / len2;
        if t <= 0.0 {
            s0
        } else if t >= 1.0 {
            s1
        } else {
            Coord {
                x: s0.x + d.x * t,
                y: s0.y + d.y * t,
            }
        }
    };
    Nearest {
        distance: ((p.x - q.x) * (p.x - q.x) + (p.y - q.y) * (p.y - q.y)).sqrt(),
        a: p,
        b: q,
    }
}

/// Nearest points between segments `a0`–`a1` and `b0`–`b1`; distance 0 where they meet.
pub fn segment_segment(a0: Coord<f64>, a1: Coord<f64>, b0: Coord<f64>, b1: Coord<f64>) -> Nearest {
    let boxes_touch = a0.x.min(a1.x) <= b0.x.max(b1.x)
        && b0.x.min(b1.x) <= a0.x.max(a1.x)
        && a0.y.min(a1.y) <= b0.y.max(b1.y)
        && b0.y.min(b1.y) <= a0.y.max(a1.y);
    if boxes_touch {
        if let Some(hit) = line_intersection(Line::new(a0, a1), Line::new(b0, b1)) {
            let at = match hit {
                LineIntersection::SinglePoint { intersection, .. } => intersection,
                LineIntersection::Collinear { intersection } => intersection.start,
            };
            return Nearest {
                distance: 0.0,
                a: at,
                b: at,
            };
        }
    }
    let mut best = point_segment(a0, b0, b1);
    best.keep_min(point_segment(a1, b0, b1));
    let flip = |n: Nearest| Nearest {
        distance: n.distance,
        a: n.b,
        b: n.a,
    };
    best.keep_min(flip(point_segment(b0, a0, a1)));
    best.keep_min(flip(point_segment(b1, a0, a1)));
    best
}

/// Nearest points between two chains of coordinates (line strings or rings), folded into
/// `best`. Stops early once the distance is 0.
pub fn chains(a: &[Coord<f64>], b: &[Coord<f64>], best: &mut Nearest) {
    match (a.len(), b.len()) {
        (0, _) | (_, 0) => {}
        (1, 1) => best.keep_min(Nearest {
            distance: ((a[0].x - b[0].x).powi(2) + (a[0].y - b[0].y).powi(2)).sqrt(),
            a: a[0],
            b: b[0],
        }),
        (1, _) => {
            for s in b.windows(2) {
                best.keep_min(point_segment(a[0], s[0], s[1]));
            }
        }
        (_, 1) => {
            for s in a.windows(2) {
                let n = point_segment(b[0], s[0], s[1]);
                best.keep_min(Nearest {
                    distance: n.distance,
                    a: n.b,
                    b: n.a,
                });
            }
        }
        _ => {
            // The segments of `b` whose boxes come within the best distance of `a`'s box: the
            // only ones any segment of `a` can pair with (a chunk of a river near a parcel
            // keeps a few of its segments). Visited in order, so ties resolve as before.
            let near = near_segments(a, b, best.distance);
            if near == 0 && b.len() <= 65 {
                return;
            }
            for sa in a.windows(2) {
                let (ax0, ax1) = (sa[0].x.min(sa[1].x), sa[0].x.max(sa[1].x));
                let (ay0, ay1) = (sa[0].y.min(sa[1].y), sa[0].y.max(sa[1].y));
                for (j, sb) in b.windows(2).enumerate() {
                    if j < 64 && near & (1 << j) == 0 {
                        continue;
                    }
                    // The boxes' gap bounds the segments' distance from below: skip pairs
                    // that cannot beat the best so far.
                    let gx = (sb[0].x.min(sb[1].x) - ax1).max(ax0 - sb[0].x.max(sb[1].x));
                    let gy = (sb[0].y.min(sb[1].y) - ay1).max(ay0 - sb[0].y.max(sb[1].y));
                    if gx > best.distance || gy > best.distance {
                        continue;
                    }
                    best.keep_min(segment_segment(sa[0], sa[1], sb[0], sb[1]));
                    if best.distance == 0.0 {
                        return;
                    }
                }
            }
        }
    }
}

/// Bit `j` set: segment `j` of `b` has a box within `bound` of `a`'s box (segments past the
/// 64th are always kept).
fn near_segments(a: &[Coord<f64>], b: &[Coord<f64>], bound: f64) -> u64 {
    let (mut lo, mut hi) = (a[0], a[0]);
    for c in a {
        lo.x = lo.x.min(c.x);
        lo.y = lo.y.min(c.y);
        hi.x = hi.x.max(c.x);
        hi.y = hi.y.max(c.y);
    }
    let mut near = 0;
    for (j, s) in b.windows(2).take(64).enumerate() {
        let gx = (s[0].x.min(s[1].x) - hi.x).max(lo.x - s[0].x.max(s[1].x));
        let gy = (s[0].y.min(s[1].y) - hi.y).max(lo.y - s[0].y.max(s[1].y));
        if gx <= bound && gy <= bound {
            near |= 1 << j;
        }
    }
    near
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::coord;

    proptest::proptest! {
        /// Pruning never changes the answer: the same distance and the same pair of points
        /// as measuring every pair of segments in order, from any starting bound.
        #[test]
        fn chains_find_what_every_pair_finds(
            a in proptest::collection::vec((-50i32..50, -50i32..50), 2..12),
            b in proptest::collection::vec((-50i32..50, -50i32..50), 2..80),
            bound in proptest::option::of(0.0f64..40.0),
        ) {
            let c = |v: &[(i32, i32)]| -> Vec<Coord<f64>> {
                v.iter().map(|&(x, y)| Coord { x: f64::from(x), y: f64::from(y) }).collect()
            };
            let (a, b) = (c(&a), c(&b));
            let start = bound.map_or(Nearest::FAR, Nearest::beyond);
            let mut want = start;
            'all: for sa in a.windows(2) {
                for sb in b.windows(2) {
                    want.keep_min(segment_segment(sa[0], sa[1], sb[0], sb[1]));
                    if want.distance == 0.0 {
                        break 'all;
                    }
                }
            }
            let mut got = start;
            chains(&a, &b, &mut got);
            proptest::prop_assert_eq!(got.distance.to_bits(), want.distance.to_bits());
            if want.distance.is_finite() && bound.is_none_or(|l| want.distance <= l) {
                proptest::prop_assert_eq!((got.a, got.b), (want.a, want.b));
            }
        }
    }

    #[test]
    fn foot_inside_and_outside_the_segment() {
        let n = point_segment(
            coord! {x: 5., y: 3.},
            coord! {x: 0., y: 0.},
            coord! {x: 10., y: 0.},
        );
        assert_eq!((n.distance, n.b), (3.0, coord! {x: 5., y: 0.}));
        let n = point_segment(
            coord! {x: -3., y: 4.},
            coord! {x: 0., y: 0.},
            coord! {x: 10., y: 0.},
        );
        assert_eq!((n.distance, n.b), (5.0, coord! {x: 0., y: 0.}));
    }

    #[test]
    fn distance_to_a_vertex_is_exact() {
        // A vertex 1000 m due north of a zone vertex measures exactly 1000.0, whatever the
        // magnitude of the coordinates (same binade, so the addition is exact).
        let v = coord! {x: 531_234.56, y: 3_391_234.56};
        let p = coord! {x: v.x, y: v.y + 1000.0};
        let n = segment_segment(
            p,
            coord! {x: p.x + 50.0, y: p.y},
            v,
            coord! {x: v.x + 30.0, y: v.y - 40.0},
        );
        assert_eq!(n.distance, 1000.0);
    }

    #[test]
    fn crossing_segments_are_at_distance_zero() {
        let n = segment_segment(
            coord! {x: 0., y: 0.},
            coord! {x: 2., y: 2.},
            coord! {x: 0., y: 2.},
            coord! {x: 2., y: 0.},
        );
        assert_eq!(n.distance, 0.0);
        assert_eq!(n.a, coord! {x: 1., y: 1.});
    }

    #[test]
    fn parallel_segments() {
        let n = segment_segment(
            coord! {x: 0., y: 0.},
            coord! {x: 10., y: 0.},
            coord! {x: 2., y: 7.},
            coord! {x: 4., y: 7.},
        );
        assert_eq!(n.distance, 7.0);
    }
}
