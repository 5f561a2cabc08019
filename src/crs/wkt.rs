//! CRSs written as WKT (a Shapefile's `.prj`, a GeoPackage's `srs`), identified without PROJ:
//! by the root's `AUTHORITY["EPSG", …]` (WKT1) or `ID["EPSG", …]` (WKT2), else by the names
//! Esri and Chinese GIS software write for the common CRSs — CGCS2000 geographic and
//! 3-degree Gauss-Kruger (by central meridian or by zone), WGS 84 and its UTM zones — with
//! the central meridian checked against the name. Anything else is refused with its name.

/// The EPSG code a WKT text stands for, or why it cannot be told.
pub fn identify(wkt: &str) -> Result<u32, String> {
    if let Some(code) = root_authority(wkt) {
        return Ok(code);
    }
    let name = root_name(wkt).ok_or("not WKT: no CRS name in it")?;
    let norm = name.to_ascii_uppercase().replace([' ', '-', '/'], "_");
    let norm = norm.replace("__", "_");
    let cm = parameter(wkt, "central_meridian");
    let geographic = wkt.trim_start().to_ascii_uppercase().starts_with("GEOG");
    if geographic {
        if norm.contains("CHINA_GEODETIC_COORDINATE_SYSTEM_2000") || norm.contains("CGCS2000") {
            return Ok(4490);
        }
        if norm.contains("WGS_1984") || norm == "WGS_84" || norm == "WGS84" {
            return Ok(4326);
        }
    } else if norm.starts_with("CGCS2000_3_DEGREE_GK") || norm.starts_with("CGCS2000_3_DEG_GK") {
        let num = |prefix: &str| -> Option<u32> {
            let rest = &norm[norm.find(prefix)? + prefix.len()..];
            rest.trim_end_matches('E').split('_').next()?.parse().ok()
        };
        if let Some(meridian) = num("_CM_") {
            if (75..=135).contains(&meridian) && meridian % 3 == 0 {
                check_meridian(&name, cm, f64::from(meridian))?;
                return Ok(4534 + (meridian - 75) / 3);
            }
        }
        if let Some(zone) = num("_ZONE_") {
            if (25..=45).contains(&zone) {
                check_meridian(&name, cm, f64::from(zone * 3))?;
                return Ok(4513 + zone - 25);
            }
        }
    } else if let Some(rest) = norm.strip_prefix("WGS_1984_UTM_ZONE_") {
        let (zone, north) = match rest.strip_suffix('N') {
            Some(z) => (z, true),
            None => (rest.strip_suffix('S').unwrap_or(rest), false),
        };
        if let Ok(zone) = zone.parse::<u32>() {
            if (1..=60).contains(&zone) {
                check_meridian(&name, cm, f64::from(zone) * 6.0 - 183.0)?;
                return Ok(if north { 32600 } else { 32700 } + zone);
            }
        }
    }
    Err(format!(
        "cannot identify the WKT CRS '{name}' without PROJ (the pure-Rust build knows CGCS2000, its 3-degree Gauss-Kruger zones, WGS 84 and UTM); build with `--features proj`, or declare it with `crs = \"EPSG:...\"` / --assume-crs"
    ))
}

fn check_meridian(name: &str, cm: Option<f64>, want: f64) -> Result<(), String> {
    match cm {
        Some(v) if (v - want).abs() > 1e-9 => Err(format!(
            "the WKT CRS '{name}' has central meridian {v}, not the {want} its name says; declare the CRS explicitly"
        )),
        _ => Ok(()),
    }
}

/// The `AUTHORITY`/`ID` at the root's own level (depth 1), if it is EPSG's.
fn root_authority(wkt: &str) -> Option<u32> {
    let upper = wkt.to_ascii_uppercase();
    let bytes = upper.as_bytes();
    let mut depth = 0usize;
    let mut found = None;
    let mut in_string = false;
    for (i, b) in bytes.iter().enumerate() {
        match b {
            b'"' => in_string = !in_string,
            b'[' | b'(' if !in_string => {
                if depth == 1 {
                    let head = &upper[..i];
                    let key = head
                        .rsplit(|c: char| c == ',' || c == '[' || c == '(' || c.is_whitespace())
                        .next()
                        .unwrap_or("");
                    if key == "AUTHORITY" || key == "ID" {
                        found = Some(i + 1);
                    }
                }
                depth += 1;
            }
            b']' | b')' if !in_string => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    let args = &upper[found?..];
    let mut parts = args.splitn(3, ',');
    let auth = parts.next()?.trim().trim_matches('"');
    let code = parts
        .next()?
        .trim()
        .trim_end_matches([']', ')'])
        .trim()
        .trim_matches('"');
    (auth == "EPSG").then(|| code.parse().ok()).flatten()
}

/// The root's name: the first quoted string.
fn root_name(wkt: &str) -> Option<String> {
    let start = wkt.find('"')? + 1;
    let end = start + wkt[start..].find('"')?;
    Some(wkt[start..end].to_owned())
}

/// A `PARAMETER["name", value]` of the projection, case-insensitive.
fn parameter(wkt: &str, name: &str) -> Option<f64> {
    let lower = wkt.to_ascii_lowercase();
    let at = lower.find(&format!("parameter[\"{name}\""))?;
    let rest = &wkt[at..];
    let comma = rest.find(',')?;
    let value = rest[comma + 1..].split([']', ',']).next()?.trim();
    value.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::identify;

    #[test]
    fn esri_and_ogc_texts_are_identified() {
        let esri_gk = r#"PROJCS["CGCS2000_3_Degree_GK_CM_111E",GEOGCS["GCS_China_Geodetic_Coordinate_System_2000",DATUM["D_China_2000",SPHEROID["CGCS2000",6378137.0,298.257222101]],PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]],PROJECTION["Gauss_Kruger"],PARAMETER["False_Easting",500000.0],PARAMETER["False_Northing",0.0],PARAMETER["Central_Meridian",111.0],PARAMETER["Scale_Factor",1.0],PARAMETER["Latitude_Of_Origin",0.0],UNIT["Meter",1.0]]"#;
        assert_eq!(identify(esri_gk), Ok(4546));
        let zone = esri_gk
            .replace(
                "CGCS2000_3_Degree_GK_CM_111E",
                "CGCS2000_3_Degree_GK_Zone_37",
            )
            .replace("500000.0", "37500000.0");
        assert_eq!(identify(&zone), Ok(4525));
        let geog = r#"GEOGCS["GCS_China_Geodetic_Coordinate_System_2000",DATUM["D_China_2000",SPHEROID["CGCS2000",6378137.0,298.257222101]],PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]]"#;
        assert_eq!(identify(geog), Ok(4490));
        let utm = r#"PROJCS["WGS_1984_UTM_Zone_49N",GEOGCS["GCS_WGS_1984",DATUM["D_WGS_1984",SPHEROID["WGS_1984",6378137.0,298.257223563]],PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]],PROJECTION["Transverse_Mercator"],PARAMETER["Central_Meridian",111.0],UNIT["Meter",1.0]]"#;
        assert_eq!(identify(utm), Ok(32649));
        // GDAL's WKT1 with the root's AUTHORITY last; inner AUTHORITYs are not the root's.
        let gdal = r#"PROJCS["CGCS2000 / 3-degree Gauss-Kruger CM 111E",GEOGCS["China Geodetic Coordinate System 2000",DATUM["China_2000",SPHEROID["CGCS2000",6378137,298.257222101,AUTHORITY["EPSG","1024"]],AUTHORITY["EPSG","1043"]],PRIMEM["Greenwich",0],UNIT["degree",0.0174532925199433],AUTHORITY["EPSG","4490"]],PROJECTION["Transverse_Mercator"],PARAMETER["central_meridian",111],UNIT["metre",1],AUTHORITY["EPSG","4546"]]"#;
        assert_eq!(identify(gdal), Ok(4546));
        let wkt2 = r#"PROJCRS["CGCS2000 / 3-degree Gauss-Kruger CM 111E",BASEGEOGCRS["China Geodetic Coordinate System 2000",DATUM["China 2000",ELLIPSOID["CGCS2000",6378137,298.257222101]],ID["EPSG",4490]],CONVERSION["x",METHOD["Transverse Mercator"]],ID["EPSG",4546]]"#;
        assert_eq!(identify(wkt2), Ok(4546));
    }

    #[test]
    fn a_name_that_contradicts_its_meridian_or_an_unknown_crs_is_refused() {
        let lying = r#"PROJCS["CGCS2000_3_Degree_GK_CM_111E",GEOGCS["GCS_China_Geodetic_Coordinate_System_2000"],PARAMETER["Central_Meridian",114.0]]"#;
        assert!(identify(lying)
            .unwrap_err()
            .contains("central meridian 114"));
        let xian = r#"PROJCS["Xian_1980_3_Degree_GK_CM_111E",GEOGCS["GCS_Xian_1980"],PARAMETER["Central_Meridian",111.0]]"#;
        let err = identify(xian).unwrap_err();
        assert!(
            err.contains("Xian_1980_3_Degree_GK_CM_111E") && err.contains("--features proj"),
            "{err}"
        );
    }
}
