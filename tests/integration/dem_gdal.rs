//! The native GeoTIFF reader against GDAL (`gdal` feature, where Debian's gdal-bin is
//! installed): every layout `ironrule` reads natively, written by `gdal_translate` with the
//! matching creation options, reads back cell for cell as GDAL reads it (GDAL's reading dumped
//! as raw Float64 by `gdal_translate -of ENVI`), with the geotransform `gdalinfo` reports.

use ironrule::crs::Crs;
use ironrule::dem::{Dem, DemSpec};
use std::path::{Path, PathBuf};
use std::process::Command;

fn run(tool: &str, args: &[&str]) -> String {
    let out = Command::new(tool)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("{tool} (Debian gdal-bin) is installed: {e}"));
    assert!(
        out.status.success(),
        "{tool} {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A 300 × 200 source with a hill, a cliff and a nodata hole, as Float64 in an ENVI file
/// GDAL reads (written by hand: the source must not come from the reader under test).
fn source(dir: &Path) -> PathBuf {
    let (w, h) = (300usize, 200usize);
    let mut bytes = Vec::with_capacity(w * h * 8);
    for r in 0..h {
        for c in 0..w {
            let (x, y) = (c as f64, r as f64);
            let hill = 400.0 * (-((x - 150.0).powi(2) + (y - 90.0).powi(2)) / 2000.0).exp();
            let cliff = if x > 240.0 { 120.0 } else { 0.0 };
            let mut z = 45.0 + 0.3 * x + hill + cliff + (x * 0.37).sin() * 3.0;
            if (60..70).contains(&r) && (20..35).contains(&c) {
                z = -9999.0;
            }
            bytes.extend(z.to_le_bytes());
        }
    }
    let bin = dir.join("src.bin");
    std::fs::write(&bin, bytes).unwrap();
    std::fs::write(
        dir.join("src.hdr"),
        format!(
            "ENVI\nsamples = {w}\nlines = {h}\nbands = 1\nheader offset = 0\nfile type = ENVI Standard\ndata type = 5\ninterleave = bsq\nbyte order = 0\nmap info = {{Transverse Mercator, 1, 1, 530000, 3400000, 10, 10}}\n"
        ),
    )
    .unwrap();
    bin
}

/// What GDAL reads: the cells as Float64 and the geotransform.
fn gdal_reads(tif: &Path, dir: &Path) -> (Vec<f64>, [f64; 6]) {
    let out = dir.join("gdal.bin");
    run(
        "gdal_translate",
        &[
            "-q",
            "-of",
            "ENVI",
            "-ot",
            "Float64",
            tif.to_str().unwrap(),
            out.to_str().unwrap(),
        ],
    );
    let raw = std::fs::read(&out).unwrap();
    let cells = raw
        .chunks_exact(8)
        .map(|b| f64::from_le_bytes(b.try_into().unwrap()))
        .collect();
    let info: serde_json::Value =
        serde_json::from_str(&run("gdalinfo", &["-json", tif.to_str().unwrap()])).unwrap();
    let gt: Vec<f64> = info["geoTransform"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_f64().unwrap())
        .collect();
    (cells, gt.try_into().unwrap())
}

/// gdalinfo prints the geotransform to about 15 significant digits.
fn same_transform(a: [f64; 6], b: [f64; 6]) -> bool {
    a.iter()
        .zip(&b)
        .all(|(x, y)| (x - y).abs() <= 1e-12 * x.abs().max(y.abs()).max(1.0))
}

fn open(path: &Path) -> Result<Dem, String> {
    let spec = DemSpec {
        name: "t".into(),
        path: path.to_owned(),
        crs: None,
        title: None,
        cache_mb: Some(1),
    };
    Dem::open(&spec, &Crs::parse("EPSG:4546").unwrap()).map_err(|e| e.to_string())
}

#[test]
fn every_native_layout_reads_back_cell_for_cell_as_gdal_reads_it() {
    let tmp = tempfile::tempdir().unwrap();
    let src = source(tmp.path());
    let layouts: &[(&str, &[&str])] = &[
        ("Int16", &[]),
        ("Int16", &["TILED=YES", "BLOCKXSIZE=64", "BLOCKYSIZE=32"]),
        ("Int16", &["COMPRESS=DEFLATE", "PREDICTOR=2"]),
        ("Int16", &["COMPRESS=LZW", "PREDICTOR=2", "TILED=YES"]),
        ("Int16", &["COMPRESS=PACKBITS", "BLOCKYSIZE=7"]),
        (
            "Int16",
            &["COMPRESS=DEFLATE", "ENDIANNESS=BIG", "PREDICTOR=2"],
        ),
        (
            "UInt16",
            &[
                "COMPRESS=LZW",
                "TILED=YES",
                "BLOCKXSIZE=128",
                "BLOCKYSIZE=128",
            ],
        ),
        ("Int32", &["COMPRESS=DEFLATE", "PREDICTOR=2", "TILED=YES"]),
        ("Int32", &["COMPRESS=PACKBITS", "ENDIANNESS=BIG"]),
        ("Float32", &[]),
        ("Float32", &["COMPRESS=DEFLATE", "PREDICTOR=3", "TILED=YES"]),
        (
            "Float32",
            &["COMPRESS=LZW", "PREDICTOR=3", "ENDIANNESS=BIG"],
        ),
        ("Float32", &["COMPRESS=DEFLATE", "PREDICTOR=2"]),
        (
            "Float64",
            &[
                "COMPRESS=DEFLATE",
                "PREDICTOR=3",
                "TILED=YES",
                "BLOCKXSIZE=32",
                "BLOCKYSIZE=32",
            ],
        ),
        ("Float64", &["COMPRESS=LZW", "BIGTIFF=YES"]),
        (
            "Float32",
            &[
                "COMPRESS=PACKBITS",
                "TILED=YES",
                "BIGTIFF=YES",
                "ENDIANNESS=BIG",
            ],
        ),
    ];
    for (i, (ty, options)) in layouts.iter().enumerate() {
        let tif = tmp.path().join(format!("l{i}.tif"));
        let mut args = vec!["-q", "-ot", ty, "-a_srs", "EPSG:4546", "-a_nodata", "-9999"];
        for o in *options {
            args.push("-co");
            args.push(o);
        }
        if *ty == "UInt16" {
            // -9999 is not a UInt16: scale the source into range and use 0 as nodata.
            args.splice(5..7, ["-a_nodata", "0"]);
            args.extend(["-scale", "-9999", "1000", "0", "11000"]);
        }
        args.push(src.to_str().unwrap());
        args.push(tif.to_str().unwrap());
        run("gdal_translate", &args);
        let (want, gt) = gdal_reads(&tif, tmp.path());
        let dem = open(&tif).unwrap_or_else(|e| panic!("{ty} {options:?}: {e}"));
        assert!(
            same_transform(dem.transform, gt),
            "{ty} {options:?}: {:?} vs {gt:?}",
            dem.transform
        );
        assert_eq!(dem.crs.epsg, Some(4546));
        let win = dem.window(0, 0, 300, 200).unwrap();
        let nodata = dem.nodata.unwrap();
        for (k, (got, want)) in win.z.iter().zip(&want).enumerate() {
            let same = if *want == nodata || want.is_nan() {
                got.is_nan()
            } else {
                got == want
            };
            assert!(
                same,
                "{ty} {options:?}: cell ({}, {}) read {got}, GDAL reads {want}",
                k % 300,
                k / 300
            );
        }
    }
}

#[test]
fn geographic_point_georeferenced_and_rotated_rasters_as_gdal_sees_them() {
    let tmp = tempfile::tempdir().unwrap();
    let src = source(tmp.path());
    // Geographic (CGCS2000), georeferenced by its corners.
    let geo = tmp.path().join("geo.tif");
    run(
        "gdal_translate",
        &[
            "-q",
            "-a_srs",
            "EPSG:4490",
            "-a_ullr",
            "111.1",
            "30.9",
            "111.4",
            "30.7",
            src.to_str().unwrap(),
            geo.to_str().unwrap(),
        ],
    );
    let (_, gt) = gdal_reads(&geo, tmp.path());
    let dem = open(&geo).unwrap();
    assert!(dem.crs.geographic && dem.crs.epsg == Some(4490));
    assert!(
        same_transform(dem.transform, gt),
        "{:?} vs {gt:?}",
        dem.transform
    );
    // PixelIsPoint: GDAL moves the tiepoint half a cell, and so must the reader.
    let point = tmp.path().join("point.tif");
    run(
        "gdal_translate",
        &[
            "-q",
            "-a_srs",
            "EPSG:4546",
            "-mo",
            "AREA_OR_POINT=Point",
            src.to_str().unwrap(),
            point.to_str().unwrap(),
        ],
    );
    let (_, gt) = gdal_reads(&point, tmp.path());
    let t = open(&point).unwrap().transform;
    assert!(same_transform(t, gt), "{t:?} vs {gt:?}");
    // A rotated raster (written with a ModelTransformation) is refused with the way out.
    // (GDAL 3.6 has no -a_gt: the rotation goes in through a VRT.)
    let vrt = tmp.path().join("rotated.vrt");
    run(
        "gdal_translate",
        &[
            "-q",
            "-of",
            "VRT",
            "-a_srs",
            "EPSG:4546",
            src.to_str().unwrap(),
            vrt.to_str().unwrap(),
        ],
    );
    let text = std::fs::read_to_string(&vrt).unwrap();
    let at = text.find("<GeoTransform>").unwrap();
    let end = text.find("</GeoTransform>").unwrap();
    let text = format!(
        "{}<GeoTransform>530000, 10, 2, 3400000, 1, -10{}",
        &text[..at],
        &text[end..]
    );
    std::fs::write(&vrt, text).unwrap();
    let rotated = tmp.path().join("rotated.tif");
    run(
        "gdal_translate",
        &["-q", vrt.to_str().unwrap(), rotated.to_str().unwrap()],
    );
    let e = open(&rotated).unwrap_err();
    assert!(e.contains("rotated") && e.contains("gdalwarp"), "{e}");
    // JPEG is not read natively: the error names the way to write it.
    let jpeg = tmp.path().join("jpeg.tif");
    run(
        "gdal_translate",
        &[
            "-q",
            "-ot",
            "Byte",
            "-scale",
            "-a_srs",
            "EPSG:4546",
            "-co",
            "COMPRESS=JPEG",
            src.to_str().unwrap(),
            jpeg.to_str().unwrap(),
        ],
    );
    // The native reader refuses it, naming the way to write it...
    let e = ironrule::dem::tiff::Tiff::open(&jpeg).unwrap_err();
    assert!(e.contains("JPEG") && e.contains("DEFLATE"), "{e}");
    // ...and with the gdal feature GDAL reads it instead, cell for cell as gdal_translate does.
    let dem = open(&jpeg).unwrap();
    assert!(dem.format.contains("through GDAL"), "{}", dem.format);
    let (want, _) = gdal_reads(&jpeg, tmp.path());
    let win = dem.window(0, 0, 300, 200).unwrap();
    assert_eq!(win.z, want);
}

#[test]
fn any_raster_gdal_reads_is_a_dem_with_the_gdal_feature() {
    let tmp = tempfile::tempdir().unwrap();
    let src = source(tmp.path());
    // An Arc/Info ASCII grid: no EPSG key (its .prj is ESRI WKT), so the [[dem]] names the CRS.
    let asc = tmp.path().join("dem.asc");
    run(
        "gdal_translate",
        &[
            "-q",
            "-of",
            "AAIGrid",
            "-a_nodata",
            "-9999",
            src.to_str().unwrap(),
            asc.to_str().unwrap(),
        ],
    );
    let spec = DemSpec {
        name: "asc".into(),
        path: asc.clone(),
        crs: Some("EPSG:4546".into()),
        title: None,
        cache_mb: Some(1),
    };
    let dem = Dem::open(&spec, &Crs::parse("EPSG:4546").unwrap()).unwrap();
    assert!(dem.format.contains("through GDAL"), "{}", dem.format);
    let (want, gt) = gdal_reads(&asc, tmp.path());
    assert!(same_transform(dem.transform, gt));
    let win = dem.window(0, 0, 300, 200).unwrap();
    for (got, want) in win.z.iter().zip(&want) {
        assert!(if *want == -9999.0 {
            got.is_nan()
        } else {
            got == want
        });
    }
    // Its slope is gdaldem's, cell for cell (interior and edges).
    let slope = tmp.path().join("slope.tif");
    run(
        "gdaldem",
        &[
            "slope",
            "-q",
            "-compute_edges",
            asc.to_str().unwrap(),
            slope.to_str().unwrap(),
        ],
    );
    let (gd, _) = gdal_reads(&slope, tmp.path());
    let wide = dem.window(-1, -1, 301, 201).unwrap();
    for r in 0..200i64 {
        for c in 0..300i64 {
            let g = gd[(r * 300 + c) as usize];
            match ironrule::dem::slope::slope_deg(&dem, &wide, c, r) {
                Some(s) => assert!((s - g).abs() < 1e-3, "({c}, {r}): {s} vs gdaldem {g}"),
                None => assert_eq!(g, -9999.0, "({c}, {r})"),
            }
        }
    }
}
