//! Entry points for the fuzz targets in `fuzz/` and for replaying their corpora in
//! `cargo test`: each takes arbitrary bytes and must return without panicking, whatever the
//! input. They also check a few invariants that bad input must not break.

use crate::crs::Crs;
use crate::io::{geojson::parse_str, ReadOptions};

/// Parses bytes as a GeoJSON proposal file (into EPSG:4546) and, when it parses, checks that
/// the counts reconcile.
pub fn geojson(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let target = Crs::parse("EPSG:4546").expect("built in");
    for repair in [false, true] {
        let opts = ReadOptions {
            repair,
            ..ReadOptions::new(&target)
        };
        if let Ok(src) = parse_str("fuzz.geojson", text, opts) {
            reconciles(&src);
            for f in &src.features {
                if let Ok(fp) = crate::geom::Footprint::new(&f.geometry) {
                    let _ = fp.area_m2();
                }
            }
        }
    }
}

/// Counts reconcile: read = accepted + rejected, and every rejected feature has its error.
fn reconciles(src: &crate::io::Source) {
    assert_eq!(src.read, src.features.len() + src.rejected());
    let errors = src
        .diagnostics
        .iter()
        .filter(|d| d.level == crate::model::Level::Error)
        .count();
    assert_eq!(
        errors,
        src.rejected(),
        "every rejected feature has its error"
    );
}

/// Decodes bytes as a `serve` check request and stages its upload (see
/// [`crate::serve::fuzz_request`]).
pub fn serve_request(data: &[u8]) {
    crate::serve::fuzz_request(data);
}

/// Parses bytes as a rule file.
pub fn rule_toml(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let layers = ["red_line".to_owned(), "yangtze".to_owned()];
    if let Err(errors) = crate::rules::pack::check_rule_text(text, "YC", Some(&layers)) {
        for e in errors {
            // Every error points inside the text (1-based).
            let lines = text.lines().count().max(1) + 1;
            assert!(e.line.is_none_or(|l| l >= 1 && l <= lines), "{e}");
        }
    }
}

/// Parses bytes as a CQL2 filter and evaluates it on a few attribute sets.
pub fn cql2_filter(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    match crate::rules::filter::Filter::parse(text) {
        Ok(f) => {
            let props = serde_json::json!({"kind": "new", "height_m": 45.5, "discharges": true, "industry": null, "n": 1});
            let _ = f.matches(props.as_object().expect("object"));
            let _ = f.matches(&Default::default());
            let _ = f.properties();
        }
        Err(e) => assert!(e.offset <= text.chars().count(), "{e}"),
    }
}

/// Reads bytes as a file of the format `ext` (FlatGeobuf, GeoParquet), with small limits,
/// and checks what must hold for any input: no panic or abort (readers are guarded, sizes
/// checked before allocating), and when the file is read, counts that reconcile and an
/// error for every rejected feature.
fn read_as(data: &[u8], ext: &str) {
    let path = std::env::temp_dir().join(format!(
        "ironrule-fuzz-{}-{:?}.{ext}",
        std::process::id(),
        std::thread::current().id()
    ));
    if std::fs::write(&path, data).is_err() {
        return;
    }
    let target = Crs::parse("EPSG:4546").expect("built in");
    let wgs84 = Crs::wgs84();
    let opts = ReadOptions {
        // A file without a CRS is read as WGS 84 (else most inputs stop at the CRS).
        declared_crs: None,
        limits: crate::io::Limits {
            feature_mb: 16,
            check_features: 100_000,
            check_memory_mb: 256,
        },
        ..ReadOptions::new(&target)
    };
    let read = crate::io::read(&path, opts).or_else(|_| {
        crate::io::read(
            &path,
            ReadOptions {
                declared_crs: Some(&wgs84),
                ..opts
            },
        )
    });
    if let Ok(src) = read {
        reconciles(&src);
    }
    let _ = std::fs::remove_file(&path);
}

/// Reads bytes as a FlatGeobuf file.
pub fn fgb(data: &[u8]) {
    read_as(data, "fgb");
}

/// Reads bytes as a GeoParquet file.
pub fn parquet(data: &[u8]) {
    read_as(data, "parquet");
}

/// Opens bytes as a GeoTIFF DEM and reads it as the terrain rules do: every chunk of a
/// raster of up to 1,024 × 1,024 cells, the slope of its cells, and the cells of a plot over
/// it. Corrupt or truncated rasters must be errors, never panics or huge allocations.
pub fn geotiff(data: &[u8]) {
    let path = std::env::temp_dir().join(format!(
        "ironrule-fuzz-{}-{:?}.tif",
        std::process::id(),
        std::thread::current().id()
    ));
    if std::fs::write(&path, data).is_err() {
        return;
    }
    let working = Crs::parse("EPSG:4546").expect("built in");
    let spec = crate::dem::DemSpec {
        name: "fuzz".into(),
        path: path.clone(),
        // A file without an EPSG key still gets read.
        crs: Some("EPSG:4546".into()),
        title: None,
        cache_mb: Some(8),
    };
    if let Ok(dem) = crate::dem::Dem::open(&spec, &working) {
        let (w, h) = (
            i64::from(dem.width).min(1024),
            i64::from(dem.height).min(1024),
        );
        if let Ok(win) = dem.window(-1, -1, w + 1, h + 1) {
            for r in 0..h.min(64) {
                for c in 0..w.min(64) {
                    let _ = crate::dem::slope::slope_deg(&dem, &win, c, r);
                }
            }
        }
        let e = dem.extent();
        let plot = geo::Geometry::Polygon(
            geo::Rect::new(
                e.min(),
                geo::Coord {
                    x: (e.min().x + e.max().x) / 2.0,
                    y: (e.min().y + e.max().y) / 2.0,
                },
            )
            .to_polygon(),
        );
        let _ = dem.cells(&plot);
    }
    let _ = std::fs::remove_file(&path);
}

/// For the reader fuzz targets: a panic in ironrule's own code (or the standard library on
/// its behalf) aborts, as libFuzzer reports crashes; a panic inside a third-party format
/// library is left to unwind to the reader boundary ([`crate::io::read`] catches it and
/// reports the file as unreadable, exit 2), which is the behaviour the product promises for
/// defects it does not own. The GeoParquet library panics on some corrupt metadata (a
/// negative column range, found by this target).
pub fn abort_on_own_panics() {
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let library = info
            .location()
            .is_some_and(|l| l.file().contains(".cargo/registry/"));
        if !library {
            default(info);
            std::process::abort();
        }
    }));
}
