use super::{overlap::overlap, setback::setback, Hit};
use crate::geom::Footprint;
use crate::index::ZoneLayer;
use crate::model::{MeasureKind, Properties};
use crate::rules::rule::Measured;

/// Where an attribute's allowed value came from.
#[derive(Clone, Debug, PartialEq)]
pub struct Limit {
    pub allowed: f64,
    /// Index into the layers passed (`from` layers first, then zone layers); `None` for the
    /// rule's flat `max`.
    pub layer: Option<usize>,
    pub zone: Option<usize>,
    /// What set it, for people: "band 100–300 m from yangtze", "zone H-2 (max_height_m)".
    pub label: String,
}

/// Attribute limit (P4): the feature's `attribute` against every limit that applies to it —
/// the flat `max`; the band of `bands` its distance to the `from` layers falls in (band `i`
/// covers distances up to `bands[i].0` metres, **inclusive**, beyond the previous band's
/// edge); and the value of `limit_field` of every zone of `zones` whose interior it meets.
/// The strictest limit applies. Returns the hit and where its limit came from, or `None`.
///
/// A feature without a numeric `attribute` that some limit applies to is a hit of kind
/// [`MeasureKind::AttributeMissing`]: compliance cannot be shown.
///
/// ```
/// use geo::{line_string, polygon, Geometry};
/// use ironrule::{engine::attribute::attribute, geom::Footprint, index::ZoneLayer};
/// let river = ZoneLayer::from_geometries("river", vec![Geometry::LineString(
///     line_string![(x: 0., y: 0.), (x: 5000., y: 0.)])]);
/// // A tower whose nearest edge is exactly 100 m from the river.
/// let plot = Footprint::new(&Geometry::Polygon(polygon![
///     (x: 100., y: 100.), (x: 120., y: 100.), (x: 120., y: 120.), (x: 100., y: 120.)])).unwrap();
/// let bands = [(100.0, 0.0), (300.0, 24.0), (500.0, 50.0)];
/// let props = serde_json::json!({"height_m": 30.0}).as_object().unwrap().clone();
/// let height = ironrule::rules::rule::Measured::Field("height_m".into());
/// let (hit, limit) = attribute(&plot, &props, &height, None, &bands, &[&river], &[], None).unwrap();
/// assert_eq!((hit.value, limit.allowed), (30.0, 0.0)); // exactly 100 m: the no-building band
/// ```
#[allow(clippy::too_many_arguments)]
pub fn attribute(
    fp: &Footprint,
    props: &Properties,
    measured: &Measured,
    max: Option<f64>,
    bands: &[(f64, f64)],
    from: &[&ZoneLayer],
    zones: &[&ZoneLayer],
    limit_field: Option<&str>,
) -> Option<(Hit, Limit)> {
    let strictest = strictest(fp, max, bands, from, zones, limit_field)?;
    let hit = |kind, value| Hit {
        zone: strictest.zone,
        kind,
        value,
        share: None,
        nearest: None,
        geometry: Some(fp.to_geometry()),
    };
    match measured.value(props) {
        None => Some((hit(MeasureKind::AttributeMissing, 0.0), strictest)),
        Some(actual) if actual > strictest.allowed => {
            Some((hit(MeasureKind::AttributeExcess, actual), strictest))
        }
        Some(_) => None,
    }
}

/// The strictest limit that applies to a footprint: the rule's `max`, the limit of the
/// distance band from the `from` layers it falls in, and the limit in `limit_field` of each
/// zone of `zones` it overlaps. `None` when none applies.
pub fn strictest(
    fp: &Footprint,
    max: Option<f64>,
    bands: &[(f64, f64)],
    from: &[&ZoneLayer],
    zones: &[&ZoneLayer],
    limit_field: Option<&str>,
) -> Option<Limit> {
    let mut limits = Vec::new();
    if let Some(m) = max {
        limits.push(Limit {
            allowed: m,
            layer: None,
            zone: None,
            label: "the rule's limit".into(),
        });
    }
    if let Some(&(reach, _)) = bands.last() {
        // The nearest baseline zone within the widest band.
        let nearest = from
            .iter()
            .enumerate()
            .flat_map(|(li, l)| setback(fp, l, reach).into_iter().map(move |h| (li, h)))
            .min_by(|a, b| a.1.value.total_cmp(&b.1.value));
        if let Some((li, h)) = nearest {
            let mut lo = 0.0;
            for &(to, allowed) in bands {
                if h.value <= to {
                    limits.push(Limit {
                        allowed,
                        layer: Some(li),
                        zone: h.zone,
                        label: format!(
                            "band {lo}–{to} m from {} ({:.2} m away)",
                            from[li].name, h.value
                        ),
                    });
                    break;
                }
                lo = to;
            }
        }
    }
    if let Some(field) = limit_field {
        for (li, layer) in zones.iter().enumerate() {
            for h in overlap(fp, layer, 0.0) {
                let Some(z) = h.zone else { continue };
                if let Some(allowed) = layer.zones[z]
                    .properties
                    .get(field)
                    .and_then(|v| v.as_f64())
                {
                    limits.push(Limit {
                        allowed,
                        layer: Some(from.len() + li),
                        zone: Some(z),
                        label: format!("zone {} of {} ({field})", layer.zones[z].id, layer.name),
                    });
                }
            }
        }
    }
    limits
        .into_iter()
        .min_by(|a, b| a.allowed.total_cmp(&b.allowed))
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::{line_string, polygon, Geometry};
    use serde_json::json;

    fn river() -> ZoneLayer {
        ZoneLayer::from_geometries(
            "river",
            vec![Geometry::LineString(
                line_string![(x: 0., y: 0.), (x: 5000., y: 0.)],
            )],
        )
    }

    fn plot_at(y: f64) -> Footprint {
        Footprint::new(&Geometry::Polygon(
            polygon![(x: 100., y: y), (x: 120., y: y), (x: 120., y: y + 20.), (x: 100., y: y + 20.)],
        ))
        .unwrap()
    }

    fn props(h: serde_json::Value) -> Properties {
        json!({ "height_m": h }).as_object().unwrap().clone()
    }

    const BANDS: [(f64, f64); 3] = [(100.0, 0.0), (300.0, 24.0), (500.0, 50.0)];

    fn run(y: f64, h: serde_json::Value) -> Option<(Hit, Limit)> {
        attribute(
            &plot_at(y),
            &props(h),
            &Measured::Field("height_m".into()),
            None,
            &BANDS,
            &[&river()],
            &[],
            None,
        )
    }

    #[test]
    fn band_edges_are_inclusive_upper_edges() {
        // 100.0 m: the 0–100 band (no building); just beyond: 24 m allowed.
        assert_eq!(run(100.0, json!(10.0)).unwrap().1.allowed, 0.0);
        assert!(run(100.01, json!(24.0)).is_none());
        assert_eq!(run(100.01, json!(24.1)).unwrap().1.allowed, 24.0);
        assert_eq!(run(300.0, json!(30.0)).unwrap().1.allowed, 24.0);
        assert!(run(300.5, json!(50.0)).is_none());
        // Beyond the last band no band applies.
        assert!(run(600.0, json!(500.0)).is_none());
    }

    #[test]
    fn a_missing_height_is_a_finding_where_a_limit_applies() {
        let (hit, _) = run(200.0, json!(null)).unwrap();
        assert_eq!(hit.kind, MeasureKind::AttributeMissing);
        assert!(run(900.0, json!("tall")).is_none(), "no limit there");
    }

    #[test]
    fn zones_carry_their_own_limits_and_the_strictest_wins() {
        let mut zone = crate::model::Feature {
            fref: crate::model::FeatureRef {
                source: "z".into(),
                index: 0,
                id: Some("H-1".into()),
            },
            properties: json!({"max_height_m": 18.0}).as_object().unwrap().clone(),
            geometry: Geometry::Polygon(
                polygon![(x: 0., y: 0.), (x: 1000., y: 0.), (x: 1000., y: 1000.), (x: 0., y: 1000.)],
            ),
        };
        zone.fref.index = 0;
        let zones = ZoneLayer::build("height_zones", vec![zone]);
        let (hit, limit) = attribute(
            &plot_at(200.0),
            &props(json!(20.0)),
            &Measured::Field("height_m".into()),
            Some(100.0),
            &BANDS,
            &[&river()],
            &[&zones],
            Some("max_height_m"),
        )
        .unwrap();
        assert_eq!((hit.value, limit.allowed), (20.0, 18.0));
        assert_eq!(limit.layer, Some(1));
        assert!(limit.label.contains("H-1"));
    }
}
