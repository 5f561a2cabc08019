//! The CRSs the default (pure-Rust) build knows, as PROJ strings for proj4rs.
//!
//! CGCS2000 and WGS 84 are treated as the same datum (no shift), as PROJ does for
//! EPSG:4326 → EPSG:4546: the two differ by centimetres, far below planning accuracy.

/// A built-in definition.
#[derive(Clone, Debug, PartialEq)]
pub struct Entry {
    pub code: u32,
    pub title: String,
    pub proj4: String,
    pub geographic: bool,
    /// True where one unit is one metre on the ground to within 0.1 % in the CRS's intended
    /// zone (transverse Mercator with k ≈ 1), so that distances and areas can be measured.
    pub metric: bool,
}

/// Looks up an EPSG code.
pub fn lookup(code: u32) -> Option<Entry> {
    let e = |title: String, proj4: String, geographic: bool, metric: bool| {
        Some(Entry {
            code,
            title,
            proj4,
            geographic,
            metric,
        })
    };
    match code {
        4326 => e(
            "WGS 84".into(),
            "+proj=longlat +datum=WGS84 +no_defs".into(),
            true,
            false,
        ),
        4490 => e(
            "China Geodetic Coordinate System 2000".into(),
            "+proj=longlat +ellps=GRS80 +no_defs".into(),
            true,
            false,
        ),
        // CGCS2000 / 3-degree Gauss-Kruger zone 25..45 (zone number prefixed to the easting).
        4513..=4533 => {
            let zone = code - 4513 + 25;
            e(
                format!("CGCS2000 / 3-degree Gauss-Kruger zone {zone}"),
                format!(
                    "+proj=tmerc +lat_0=0 +lon_0={} +k=1 +x_0={}500000 +y_0=0 +ellps=GRS80 +units=m +no_defs",
                    zone * 3,
                    zone
                ),
                false,
                true,
            )
        }
        // CGCS2000 / 3-degree Gauss-Kruger CM 75E..135E.
        4534..=4554 => {
            let cm = 75 + (code - 4534) * 3;
            e(
                format!("CGCS2000 / 3-degree Gauss-Kruger CM {cm}E"),
                format!(
                    "+proj=tmerc +lat_0=0 +lon_0={cm} +k=1 +x_0=500000 +y_0=0 +ellps=GRS80 +units=m +no_defs"
                ),
                false,
                true,
            )
        }
        32601..=32660 | 32701..=32760 => {
            let zone = code % 100;
            let south = code > 32700;
            e(
                format!("WGS 84 / UTM zone {zone}{}", if south { "S" } else { "N" }),
                format!(
                    "+proj=utm +zone={zone}{} +datum=WGS84 +units=m +no_defs",
                    if south { " +south" } else { "" }
                ),
                false,
                true,
            )
        }
        3857 => e(
            "WGS 84 / Pseudo-Mercator".into(),
            "+proj=merc +a=6378137 +b=6378137 +lat_ts=0 +lon_0=0 +x_0=0 +y_0=0 +k=1 +units=m +nadgrids=@null +no_defs".into(),
            false,
            false,
        ),
        _ => None,
    }
}

/// Codes that need a datum transformation the pure-Rust path does not carry.
pub fn needs_proj(code: u32) -> Option<&'static str> {
    match code {
        4214 => Some("Beijing 1954"),
        4610 => Some("Xian 1980"),
        2327..=2442 => Some("Xian 1980 / Beijing 1954 Gauss-Kruger"),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::lookup;

    #[test]
    fn gauss_kruger_zone_37_and_cm_111_are_the_same_projection() {
        let zoned = lookup(4525).expect("4525 known");
        let plain = lookup(4546).expect("4546 known");
        assert!(zoned.proj4.contains("+lon_0=111 "), "{}", zoned.proj4);
        assert!(zoned.proj4.contains("+x_0=37500000"), "{}", zoned.proj4);
        assert!(plain.proj4.contains("+lon_0=111 "), "{}", plain.proj4);
        assert!(plain.proj4.contains("+x_0=500000 "), "{}", plain.proj4);
        assert!(plain.metric && !plain.geographic);
    }

    #[test]
    fn pseudo_mercator_is_not_metric() {
        assert!(!lookup(3857).expect("known").metric);
        assert!(lookup(4326).expect("known").geographic);
        assert!(lookup(1234).is_none());
    }
}
