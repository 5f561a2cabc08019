//! Hostile input (issue 13): no silent pass, no panic, no abort, no hang, no clobbered file,
//! no injection. One test per class, named after it; each builds its hostile file here.

use crate::common::*;
use std::path::Path;
use std::time::{Duration, Instant};

// ---------------------------------------------------------------------------------------
// FlatGeobuf files built byte by byte (the flatgeobuf crate's generated FlatBuffers types).

/// A square polygon feature, size-prefixed, with an optional raw properties buffer.
fn fgb_feature(x: f64, y: f64, size: f64, properties: Option<&[u8]>) -> Vec<u8> {
    use flatgeobuf::{Feature, FeatureArgs, Geometry, GeometryArgs, GeometryType};
    let mut fbb = flatbuffers::FlatBufferBuilder::new();
    let xy = fbb.create_vector(&[x, y, x + size, y, x + size, y + size, x, y + size, x, y]);
    let g = Geometry::create(
        &mut fbb,
        &GeometryArgs {
            xy: Some(xy),
            type_: GeometryType::Polygon,
            ..Default::default()
        },
    );
    let properties = properties.map(|p| fbb.create_vector(p));
    let f = Feature::create(
        &mut fbb,
        &FeatureArgs {
            geometry: Some(g),
            properties,
            ..Default::default()
        },
    );
    fbb.finish_size_prefixed(f, None);
    fbb.finished_data().to_vec()
}

/// A polygon feature with these positions and ring offsets (`ends`), size-prefixed.
fn fgb_rings(xy: &[f64], ends: &[u32]) -> Vec<u8> {
    use flatgeobuf::{Feature, FeatureArgs, Geometry, GeometryArgs, GeometryType};
    let mut fbb = flatbuffers::FlatBufferBuilder::new();
    let xy = fbb.create_vector(xy);
    let ends = fbb.create_vector(ends);
    let g = Geometry::create(
        &mut fbb,
        &GeometryArgs {
            xy: Some(xy),
            ends: Some(ends),
            type_: GeometryType::Polygon,
            ..Default::default()
        },
    );
    let f = Feature::create(
        &mut fbb,
        &FeatureArgs {
            geometry: Some(g),
            ..Default::default()
        },
    );
    fbb.finish_size_prefixed(f, None);
    fbb.finished_data().to_vec()
}

/// A FlatGeobuf file: magic bytes, a header declaring `count` features with index node size
/// `node_size` (EPSG:4546, polygons, one string column `name`), `index` bytes of index, and
/// the features.
fn fgb_file(count: u64, node_size: u16, index: usize, features: &[Vec<u8>]) -> Vec<u8> {
    use flatgeobuf::{
        Column, ColumnArgs, ColumnType, Crs, CrsArgs, GeometryType, Header, HeaderArgs,
    };
    let mut fbb = flatbuffers::FlatBufferBuilder::new();
    let name = fbb.create_string("name");
    let column = Column::create(
        &mut fbb,
        &ColumnArgs {
            name: Some(name),
            type_: ColumnType::String,
            ..Default::default()
        },
    );
    let columns = fbb.create_vector(&[column]);
    let crs = Crs::create(
        &mut fbb,
        &CrsArgs {
            code: 4546,
            ..Default::default()
        },
    );
    let h = Header::create(
        &mut fbb,
        &HeaderArgs {
            geometry_type: GeometryType::Polygon,
            features_count: count,
            index_node_size: node_size,
            columns: Some(columns),
            crs: Some(crs),
            ..Default::default()
        },
    );
    fbb.finish_size_prefixed(h, None);
    let mut out = b"fgb\x03fgb\x00".to_vec();
    out.extend_from_slice(fbb.finished_data());
    out.extend(std::iter::repeat_n(0u8, index));
    for f in features {
        out.extend_from_slice(f);
    }
    out
}

/// A name property: column 0, a u32 length, the bytes (the length can lie).
fn name_prop(text: &str, declared_len: u32) -> Vec<u8> {
    let mut p = vec![0u8, 0];
    p.extend_from_slice(&declared_len.to_le_bytes());
    p.extend_from_slice(text.as_bytes());
    p
}

/// A plot inside red line RL-01 (EPSG:4546): its lower-left corner.
fn red_line_corner() -> (f64, f64) {
    let c = zone_coords("red_line.geojson");
    let n = c.len() as f64;
    (
        (c.iter().map(|p| p[0]).sum::<f64>() / n).round(),
        (c.iter().map(|p| p[1]).sum::<f64>() / n).round(),
    )
}

fn three_plots() -> Vec<Vec<u8>> {
    let (x, y) = red_line_corner();
    (0..3)
        .map(|i| fgb_feature(x + 50.0 * i as f64, y, 40.0, Some(&name_prop("plot", 4))))
        .collect()
}

/// `check --format json` on one file; the exit code and the first error's message.
fn check_error(path: &Path) -> (i32, String) {
    let (code, json, err) = check_json(&[path], &[]);
    let message = json["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["level"] == "error")
        .map(|d| d["message"].as_str().unwrap().to_owned())
        .unwrap_or_else(|| format!("no error diagnostic: {json}\n{err}"));
    (code, message)
}

/// `audit` of one file into a fresh folder: exit code, standard error, and the folder.
fn audit_one(path: &Path) -> (i32, String, tempfile::TempDir) {
    let out = tempfile::tempdir().unwrap();
    let o = audit_demo(&out.path().join("out"), &[path.to_str().unwrap()]);
    (code(&o), stderr(&o) + &stdout(&o), out)
}

/// No temporary file is left in an audit's output folder.
fn no_temporaries(dir: &Path) {
    if let Ok(entries) = std::fs::read_dir(dir) {
        let left: Vec<String> = entries
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.ends_with(".tmp"))
            .collect();
        assert!(left.is_empty(), "temporaries left: {left:?}");
    }
}

#[test]
fn hostile_a_well_formed_fgb_is_read_whole() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("ok.fgb");
    std::fs::write(&p, fgb_file(3, 0, 0, &three_plots())).unwrap();
    let (code, json, _) = check_json(&[&p], &[]);
    assert_eq!(
        (code, json["summary"]["read"].as_u64()),
        (1, Some(3)),
        "{json}"
    );
    assert_eq!(json["summary"]["rejected"], 0);
}

/// Class 1: a reader that dies must fail the run, with the reason. The FlatGeobuf whose
/// last feature claims 0x7fffffff bytes made the audit's reader thread panic and the audit
/// exit 0 having read nothing.
#[test]
fn hostile_1_reader_failure_fails_the_audit() {
    let dir = tempfile::tempdir().unwrap();
    let mut bytes = fgb_file(3, 0, 0, &three_plots());
    let last = bytes.len() - three_plots()[2].len();
    bytes[last..last + 4].copy_from_slice(&0x7fff_ffffu32.to_le_bytes());
    let p = dir.path().join("huge_last.fgb");
    std::fs::write(&p, &bytes).unwrap();
    let (code, out, folder) = audit_one(&p);
    assert_eq!(code, 2, "{out}");
    assert!(out.contains("declares 2147483647 bytes"), "{out}");
    no_temporaries(&folder.path().join("out"));
    let (code, message) = check_error(&p);
    assert_eq!(code, 2);
    assert!(message.contains("declares 2147483647 bytes"), "{message}");
}

/// Class 2: a file that ends before the features it declares is an error naming where.
#[test]
fn hostile_2_truncated_or_overcounted_fgb_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let whole = fgb_file(3, 16, 40 * 4, &three_plots());
    let header_end = 12 + u32::from_le_bytes(whole[8..12].try_into().unwrap()) as usize;
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        (
            "just after the header",
            whole[..header_end].to_vec(),
            "inside the spatial index",
        ),
        (
            "inside the index",
            whole[..header_end + 60].to_vec(),
            "inside the spatial index",
        ),
        (
            "inside the features",
            whole[..whole.len() - 10].to_vec(),
            "the file ends",
        ),
        (
            "2^40 declared",
            fgb_file(1 << 40, 0, 0, &three_plots()),
            "declares 1099511627776 features",
        ),
        (
            "2^62 declared",
            fgb_file(1 << 62, 0, 0, &three_plots()),
            "declares 4611686018427387904 features",
        ),
        (
            "2^40 with an index",
            fgb_file(1 << 40, 16, 0, &three_plots()),
            "inside the spatial index",
        ),
        (
            "one more declared",
            fgb_file(4, 0, 0, &three_plots()),
            "after 3 of the 4 features",
        ),
        (
            "one fewer declared",
            fgb_file(2, 0, 0, &three_plots()),
            "follow the 2 features",
        ),
    ];
    for (what, bytes, expected) in cases {
        let p = dir.path().join("t.fgb");
        std::fs::write(&p, &bytes).unwrap();
        let (code, message) = check_error(&p);
        assert_eq!(code, 2, "{what}: {message}");
        assert!(message.contains(expected), "{what}: {message}");
        let (code, out, folder) = audit_one(&p);
        assert_eq!(code, 2, "{what}: {out}");
        assert!(out.contains(expected), "{what}: {out}");
        no_temporaries(&folder.path().join("out"));
    }
}

/// Class 2, GeoParquet: a row group whose pages hold more rows than it declares, and a file
/// whose row count disagrees with its row groups.
#[test]
fn hostile_2_parquet_row_counts_must_agree() {
    use parquet::file::metadata::{FileMetaData, ParquetMetaDataBuilder, ParquetMetaDataWriter};
    use parquet::file::reader::{FileReader, SerializedFileReader};
    let original = root().join("tests/data/proposals_4546.parquet");
    let bytes = std::fs::read(&original).unwrap();
    let meta = SerializedFileReader::new(std::fs::File::open(&original).unwrap())
        .unwrap()
        .metadata()
        .clone();
    let footer_len =
        u32::from_le_bytes(bytes[bytes.len() - 8..bytes.len() - 4].try_into().unwrap());
    let data_end = bytes.len() - 8 - footer_len as usize;
    let rows = meta.file_metadata().num_rows();
    let rewrite = |file_rows: i64, group_rows: i64| -> Vec<u8> {
        let fm = meta.file_metadata();
        let file = FileMetaData::new(
            fm.version(),
            file_rows,
            fm.created_by().map(str::to_owned),
            fm.key_value_metadata().cloned(),
            fm.schema_descr_ptr(),
            fm.column_orders().cloned(),
        );
        let groups = meta
            .row_groups()
            .iter()
            .map(|g| {
                g.clone()
                    .into_builder()
                    .set_num_rows(group_rows)
                    .build()
                    .unwrap()
            })
            .collect();
        let m = ParquetMetaDataBuilder::new(file)
            .set_row_groups(groups)
            .build();
        let mut out = bytes[..data_end].to_vec();
        ParquetMetaDataWriter::new(&mut out, &m).finish().unwrap();
        out
    };
    assert_eq!(meta.num_row_groups(), 1);
    let dir = tempfile::tempdir().unwrap();
    for (what, file_rows, group_rows, expected) in [
        (
            "rows past the declared count",
            rows - 2,
            rows - 2,
            "more values in column",
        ),
        (
            "declared rows past the pages",
            rows + 3,
            rows + 3,
            "a column has fewer values",
        ),
    ] {
        let p = dir.path().join("t.parquet");
        std::fs::write(&p, rewrite(file_rows, group_rows)).unwrap();
        let (code, message) = check_error(&p);
        assert_eq!(code, 2, "{what}: {message}");
        assert!(message.contains(expected), "{what}: {message}");
        let (code, out, _) = audit_one(&p);
        assert_eq!(code, 2, "{what}: {out}");
        assert!(out.contains(expected), "{what}: {out}");
    }
}

/// Class 3: a multipolygon with a 1 m² decoy 10^11 or 10^12 m away from a plot inside the
/// red line is refused (beyond the project's area), in `check` and in `audit`.
#[test]
fn hostile_3_far_decoy_parts_are_refused() {
    let (x, y) = red_line_corner();
    let ring = |x: f64, y: f64, s: f64| {
        format!(
            "[[[{x},{y}],[{},{y}],[{},{}],[{x},{}],[{x},{y}]]]",
            x + s,
            x + s,
            y + s,
            y + s
        )
    };
    let dir = tempfile::tempdir().unwrap();
    for far in [1e11, 1e12] {
        let geometry = format!(
            r#"{{"type":"MultiPolygon","coordinates":[{},{}]}}"#,
            ring(x, y, 40.0),
            ring(x + far, y, 1.0)
        );
        let p = dir.path().join("decoy.geojson");
        std::fs::write(
            &p,
            collection(Some("EPSG:4546"), &[feature("decoy", PLOT, &geometry)]),
        )
        .unwrap();
        let (code, message) = check_error(&p);
        assert_eq!(code, 2, "{far}: {message}");
        assert!(
            message.contains("outside the project's area"),
            "{far}: {message}"
        );
        let (code, out, folder) = audit_one(&p);
        assert_eq!(code, 2, "{far}: {out}");
        let summary = audit_summary(&folder.path().join("out"));
        assert_eq!(summary["checked"], 0, "{summary}");
    }
}

/// Class 4: two `features` members (and other duplicate members) are an error in `check`
/// and `audit` alike; before, `check` read the second array and `audit` the first.
#[test]
fn hostile_4_duplicate_members_are_refused() {
    let (x, y) = red_line_corner();
    let inside = feature("in", PLOT, &square(x, y, 40.0));
    let elsewhere = feature("out", PLOT, &square(x - 1e4, y - 1e4, 40.0));
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("dup.geojson");
    let crs = r#""crs":{"type":"name","properties":{"name":"EPSG:4546"}}"#;
    std::fs::write(
        &p,
        format!(
            r#"{{"type":"FeatureCollection",{crs},"features":[{inside}],"features":[{elsewhere}]}}"#
        ),
    )
    .unwrap();
    let (code, message) = check_error(&p);
    assert_eq!(code, 2, "{message}");
    assert!(message.contains("duplicate member `features`"), "{message}");
    let (code, out, _) = audit_one(&p);
    assert_eq!(code, 2, "{out}");
    assert!(out.contains("duplicate member `features`"), "{out}");
    // Inside a feature: two geometries, or two heights, reject the feature.
    let two_geometries = format!(
        r#"{{"type":"Feature","id":"g2","properties":{PLOT},"geometry":{},"geometry":{}}}"#,
        square(x, y, 40.0),
        square(x - 1e4, y - 1e4, 40.0)
    );
    std::fs::write(&p, collection(Some("EPSG:4546"), &[two_geometries])).unwrap();
    let (code, message) = check_error(&p);
    assert_eq!(code, 2);
    assert!(message.contains("duplicate member `geometry`"), "{message}");
}

/// Class 5: nonsense `--assume-crs` strings are refused before anything is measured.
#[test]
fn hostile_5_nonsense_crs_definitions_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("plain.geojson");
    let (x, y) = red_line_corner();
    std::fs::write(
        &p,
        collection(None, &[feature("p", PLOT, &square(x, y, 40.0))]),
    )
    .unwrap();
    for (crs, expected) in [
        (
            "+proj=tmerc +lon_0=111 +k=1 +x_0=500000 +ellps=GRS80 +to_meter=0",
            "to_meter",
        ),
        (
            "+proj=tmerc +lon_0=111 +k=-1 +x_0=500000 +ellps=GRS80",
            "scale factor",
        ),
        (
            "+proj=tmerc +lat_0=1e308 +lon_0=111 +k=1 +ellps=GRS80",
            "latitude",
        ),
        ("+proj=geocent +ellps=GRS80", "geocentric"),
        ("+proj=tmerc +lon_0=NaN +ellps=GRS80", "finite"),
    ] {
        let o = ironrule(&[
            "check",
            "-p",
            demo_project().to_str().unwrap(),
            "--assume-crs",
            crs,
            p.to_str().unwrap(),
        ]);
        assert_eq!(code(&o), 2, "{crs}: {}", stderr(&o));
        assert!(stderr(&o).contains(expected), "{crs}: {}", stderr(&o));
    }
}

/// Class 6: a `.cpg` naming UTF-16 for a dBase file is an error, not 15 lost findings; a
/// findings layer an earlier audit left is removed, and said, when this run writes none.
#[test]
fn hostile_6_impossible_encodings_and_stale_layers_are_not_silent() {
    let dir = tempfile::tempdir().unwrap();
    for ext in ["shp", "shx", "dbf", "prj"] {
        std::fs::copy(
            root().join(format!("tests/data/proposals_polygons_gbk.{ext}")),
            dir.path().join(format!("p.{ext}")),
        )
        .unwrap();
    }
    std::fs::write(dir.path().join("p.cpg"), "UTF-16").unwrap();
    let shp = dir.path().join("p.shp");
    let (status, message) = check_error(&shp);
    assert_eq!(status, 2, "{message}");
    assert!(message.contains("UTF-16"), "{message}");
    // A zero last-update date in the .dbf header is bookkeeping: the file still reads.
    std::fs::write(dir.path().join("p.cpg"), "GBK").unwrap();
    let dbf = dir.path().join("p.dbf");
    let mut bytes = std::fs::read(&dbf).unwrap();
    bytes[1..4].copy_from_slice(&[0, 0, 0]);
    std::fs::write(&dbf, bytes).unwrap();
    let (status, json, err) = check_json(&[&shp], &[]);
    assert_eq!(status, 1, "{json}\n{err}");
    assert_eq!(json["summary"]["rejected"], 0, "{json}");

    let out = dir.path().join("audit");
    assert_eq!(
        code_of(audit_demo(&out, &[demo_proposals().to_str().unwrap()])),
        1
    );
    assert!(out.join("findings.geojsonl").is_file());
    let o = audit_demo(
        &out,
        &[
            "--findings-layer",
            "none",
            demo_proposals().to_str().unwrap(),
        ],
    );
    assert_eq!(code(&o), 1);
    assert!(
        !out.join("findings.geojsonl").exists(),
        "the stale layer is gone"
    );
    assert!(stderr(&o).contains("removed"), "{}", stderr(&o));
}

fn code_of(o: std::process::Output) -> i32 {
    code(&o)
}

/// Class 7: inputs that made the flatgeobuf crate panic (an index node size of 1, corrupt
/// property lengths) are diagnostics.
#[test]
fn hostile_7_fgb_panics_are_diagnostics() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("node1.fgb");
    std::fs::write(&p, fgb_file(3, 1, 0, &three_plots())).unwrap();
    let (code, message) = check_error(&p);
    assert_eq!(code, 2);
    assert!(message.contains("index node size 1"), "{message}");

    let (x, y) = red_line_corner();
    let features = vec![
        fgb_feature(x, y, 40.0, Some(&name_prop("plot", 0xffff_fff0))),
        fgb_feature(x + 50.0, y, 40.0, Some(&[7, 0, 1, 0, 0, 0, b'x'])),
        fgb_feature(x + 100.0, y, 40.0, Some(&name_prop("plot", 4))),
    ];
    let p = dir.path().join("props.fgb");
    std::fs::write(&p, fgb_file(3, 0, 0, &features)).unwrap();
    let (code, json, _) = check_json(&[&p], &[]);
    assert_eq!(code, 2, "{json}");
    assert_eq!(json["summary"]["rejected"], 2, "{json}");
    let messages = json["diagnostics"].to_string();
    assert!(messages.contains("runs past their end"), "{messages}");
    assert!(messages.contains("column 7 does not exist"), "{messages}");
}

/// Class 8: header counts never size an allocation: 2^40 features declared in a file that
/// is all there is (exit 2, not a 72 TB abort), and no temporary file left behind.
#[test]
fn hostile_8_header_counts_do_not_size_allocations() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("count.fgb");
    // Enough bytes for the minimal check to pass: the count is refused at the end.
    let plots: Vec<Vec<u8>> = (0..200).flat_map(|_| three_plots()).collect();
    std::fs::write(&p, fgb_file(1 << 40, 0, 0, &plots)).unwrap();
    let (code, out, folder) = audit_one(&p);
    assert_eq!(code, 2, "{out}");
    no_temporaries(&folder.path().join("out"));
}

/// A project copy with `[limits]` set.
fn project_with_limits(dir: &Path, limits: &str) -> std::path::PathBuf {
    let p = dir.join("ironrule.toml");
    std::fs::write(&p, format!("{}\n[limits]\n{limits}\n", demo_project_text())).unwrap();
    p
}

/// Class 9: sizes past the limits are refused with exit 2; a FIFO or a device as input is
/// an error, not a block or an endless read.
#[test]
fn hostile_9_limits_fifos_and_devices() {
    let dir = tempfile::tempdir().unwrap();
    let project = project_with_limits(dir.path(), "feature_mb = 1\ncheck_features = 7");
    let run = |args: &[&str]| {
        let mut all = vec!["check", "-p", project.to_str().unwrap(), "-f", "json"];
        all.extend(args);
        let started = Instant::now();
        let o = ironrule(&all);
        assert!(started.elapsed() < Duration::from_secs(60));
        o
    };
    // A GeoJSON sequence without newlines: one 2 MB "line".
    let seq = dir.path().join("noline.geojsonl");
    std::fs::write(&seq, vec![b' '; 2 << 20]).unwrap();
    let o = run(&[seq.to_str().unwrap()]);
    assert_eq!(code(&o), 2);
    assert!(stdout(&o).contains("longer than 1 MB"), "{}", stdout(&o));
    // More features than `check` holds: audit them instead.
    let (x, y) = red_line_corner();
    let many: Vec<String> = (0..8)
        .map(|i| {
            feature(
                &format!("p{i}"),
                PLOT,
                &square(x + 50.0 * i as f64, y, 40.0),
            )
        })
        .collect();
    let fc = dir.path().join("many.geojson");
    std::fs::write(&fc, collection(Some("EPSG:4546"), &many)).unwrap();
    let o = run(&[fc.to_str().unwrap()]);
    assert_eq!(code(&o), 2);
    assert!(stdout(&o).contains("ironrule audit"), "{}", stdout(&o));
    // One feature over the size limit.
    let big = format!(
        r#"{{"type":"Feature","id":"big","properties":{{"note":"{}"}},"geometry":{}}}"#,
        "x".repeat(2 << 20),
        square(x, y, 40.0)
    );
    std::fs::write(&fc, collection(Some("EPSG:4546"), &[big])).unwrap();
    let o = run(&[fc.to_str().unwrap()]);
    assert_eq!(code(&o), 2);
    assert!(stdout(&o).contains("longer than 1 MB"), "{}", stdout(&o));
    // A FlatGeobuf feature claiming 4 GB of an 8 KB file.
    let mut bytes = fgb_file(3, 0, 0, &three_plots());
    let first = bytes.len() - 3 * three_plots()[0].len();
    bytes[first..first + 4].copy_from_slice(&u32::MAX.to_le_bytes());
    let fgb = dir.path().join("huge.fgb");
    std::fs::write(&fgb, bytes).unwrap();
    let o = run(&[fgb.to_str().unwrap()]);
    assert_eq!(code(&o), 2);
    assert!(
        stdout(&o).contains("declares 4294967295 bytes"),
        "{}",
        stdout(&o)
    );
    // A FIFO (nobody writes it: reading would block forever) and /dev/zero.
    let fifo = dir.path().join("pipe.geojson");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap();
    assert!(made.success());
    for input in [fifo.to_str().unwrap(), "/dev/zero"] {
        let o = run(&[input]);
        assert_eq!(code(&o), 2, "{input}");
        assert!(
            stdout(&o).contains("not a data file"),
            "{input}: {}",
            stdout(&o)
        );
    }
    // /dev/zero as a zone layer: named, not "cannot read '.' files".
    let layer = dir.path().join("zero-layer.toml");
    let text = demo_project_text();
    let red = format!(
        "{}/zones/red_line.geojson",
        root().join("data/yichang").display()
    );
    std::fs::write(&layer, text.replace(&red, "/dev/zero")).unwrap();
    let o = ironrule(&[
        "check",
        "-p",
        layer.to_str().unwrap(),
        demo_proposals().to_str().unwrap(),
    ]);
    assert_eq!(code(&o), 2);
    assert!(stderr(&o).contains("a character device"), "{}", stderr(&o));
}

/// Class 11: a symlink planted in the output folder is never followed; class 12: `-o` onto
/// a device writes the device, and `-o` naming an input is refused.
#[test]
fn hostile_11_12_outputs_are_written_safely() {
    let dir = tempfile::tempdir().unwrap();
    let victim = dir.path().join("victim.txt");
    std::fs::write(&victim, "keep").unwrap();
    // Every name the old scheme could have used for the next few process ids.
    for pid in 0..64 {
        let _ =
            std::os::unix::fs::symlink(&victim, dir.path().join(format!(".report.json.{pid}.tmp")));
    }
    let report = dir.path().join("report.json");
    let o = check_demo(&["-f", "json", "-o", report.to_str().unwrap()]);
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "keep");
    assert!(std::fs::read_to_string(&report).unwrap().starts_with('{'));

    let o = check_demo(&["-f", "json", "-o", "/dev/null"]);
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    assert!(!std::fs::metadata("/dev/null").unwrap().is_file());

    // The proposals file as the output: refused, and the file is intact.
    let copy = dir.path().join("proposals.geojson");
    std::fs::copy(demo_proposals(), &copy).unwrap();
    let before = std::fs::read(&copy).unwrap();
    let o = ironrule(&[
        "check",
        "-p",
        demo_project().to_str().unwrap(),
        "-o",
        copy.to_str().unwrap(),
        copy.to_str().unwrap(),
    ]);
    assert_eq!(code(&o), 2);
    assert!(stderr(&o).contains("is the input file"), "{}", stderr(&o));
    assert_eq!(std::fs::read(&copy).unwrap(), before);
    // `--out` naming a file says so.
    let o = audit_demo(&victim, &[demo_proposals().to_str().unwrap()]);
    assert_eq!(code(&o), 2);
    assert!(
        stderr(&o).contains("is a file; --output names the folder"),
        "{}",
        stderr(&o)
    );
}

/// Class 13: formula cells, terminal escapes and NUL bytes from the data are neutralised in
/// CSV, text and GitHub output.
#[test]
fn hostile_13_no_injection_into_csv_terminals_or_logs() {
    let (x, y) = red_line_corner();
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("evil.geojson");
    let evil = feature(
        "=HYPERLINK(\\\"http://evil\\\")\\u001b]0;pwned\\u0007\\u0000",
        PLOT,
        &square(x, y, 40.0),
    );
    std::fs::write(&p, collection(Some("EPSG:4546"), &[evil])).unwrap();
    let path = p.to_str().unwrap();
    let project = demo_project();
    let project = project.to_str().unwrap();
    for format in ["csv", "text", "github"] {
        let o = ironrule(&["check", "-p", project, "-f", format, path]);
        assert_eq!(code(&o), 1, "{format}: {}", stderr(&o));
        let out = o.stdout;
        assert!(!out.contains(&0x1b), "{format}: ESC in the output");
        assert!(!out.contains(&0), "{format}: NUL in the output");
        assert!(!out.contains(&0x07), "{format}: BEL in the output");
        if format == "csv" {
            let text = String::from_utf8(out).unwrap();
            assert!(text.contains(",\"'=HYPERLINK("), "{text}");
        }
    }
    let out = dir.path().join("audit");
    let o = audit_demo(&out, &[path]);
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    let csv = std::fs::read(out.join("findings.csv")).unwrap();
    assert!(!csv.contains(&0) && !csv.contains(&0x1b));
    assert!(String::from_utf8(csv).unwrap().contains(",\"'=HYPERLINK("));
}

/// Under a 4 GB address-space cap (`ulimit -v`), hostile inputs end with exit 2 and the
/// demo with exit 1: no abort from an allocation, no signal, no hang.
#[test]
fn hostile_under_a_4gb_address_space_cap() {
    let dir = tempfile::tempdir().unwrap();
    let mut files = Vec::new();
    let mut put = |name: &str, bytes: Vec<u8>| {
        let p = dir.path().join(name);
        std::fs::write(&p, bytes).unwrap();
        files.push(p);
    };
    put("count40.fgb", fgb_file(1 << 40, 0, 0, &three_plots()));
    put("count62.fgb", fgb_file(1 << 62, 16, 0, &three_plots()));
    let mut huge = fgb_file(3, 0, 0, &three_plots());
    let first = huge.len() - 3 * three_plots()[0].len();
    huge[first..first + 4].copy_from_slice(&u32::MAX.to_le_bytes());
    put("huge.fgb", huge);
    put("node1.fgb", fgb_file(3, 1, 0, &three_plots()));
    let project = demo_project();
    let bin = env!("CARGO_BIN_EXE_ironrule");
    let run = |args: String| {
        let started = Instant::now();
        let o = std::process::Command::new("sh")
            .arg("-c")
            .arg(format!("ulimit -v 4194304 && exec {bin} {args}"))
            .env("LANG", "C.UTF-8")
            .output()
            .unwrap();
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "{args}: over 60 s"
        );
        (
            o.status.code(),
            String::from_utf8_lossy(&o.stderr).into_owned(),
        )
    };
    for f in &files {
        let f = f.display();
        let (status, err) = run(format!("check -q -p {} {f}", project.display()));
        assert_eq!(status, Some(2), "check {f}: {err}");
        let out = dir.path().join("audit");
        let (status, err) = run(format!(
            "audit -q -p {} --out {} {f}",
            project.display(),
            out.display()
        ));
        assert_eq!(status, Some(2), "audit {f}: {err}");
    }
    let (status, err) = run(format!(
        "check -q -p {} {}",
        project.display(),
        demo_proposals().display()
    ));
    assert_eq!(status, Some(1), "the demo under the cap: {err}");
}

/// Class 9, found by the `parquet` fuzz target: a page header whose lists claim elements that
/// are not there made the parquet library read the end of the file over and over (over a
/// minute, a hang). Now it is an error within seconds: ironrule checks every page header of
/// a column before the library reads it.
#[test]
fn hostile_9_parquet_page_header_hang() {
    let p = root().join("fuzz/corpus/parquet/regression-page-header-hang");
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("hang.parquet");
    std::fs::copy(&p, &file).unwrap();
    let started = Instant::now();
    let o = ironrule(&[
        "check",
        "-q",
        "-p",
        demo_project().to_str().unwrap(),
        "--assume-crs",
        "EPSG:4326",
        file.to_str().unwrap(),
    ]);
    assert!(started.elapsed() < Duration::from_secs(60));
    assert_eq!(code(&o), 2, "{}", stderr(&o));
    assert!(
        stderr(&o).contains("the page header at byte"),
        "{}",
        stderr(&o)
    );
}

/// Runs check and audit on a copy of a fuzz corpus file named `*.parquet`: each must refuse
/// it (exit 2) within 5 s, saying `needle` on standard error or in diagnostics.csv.
fn parquet_refused_at_once(corpus_file: &str, needle: &str) {
    let p = root().join("fuzz/corpus/parquet").join(corpus_file);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("input.parquet");
    std::fs::copy(&p, &file).unwrap();
    let project = demo_project();
    for command in ["check", "audit"] {
        let out = dir.path().join("out");
        let started = Instant::now();
        let mut args = vec![command, "-q", "-p", project.to_str().unwrap()];
        if command == "audit" {
            args.extend(["--out", out.to_str().unwrap()]);
        }
        args.push(file.to_str().unwrap());
        let o = ironrule(&args);
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "{corpus_file}: {command} took {:?}",
            started.elapsed()
        );
        assert_eq!(code(&o), 2, "{corpus_file}: {command}: {}", stderr(&o));
        let said = format!(
            "{}{}",
            stderr(&o),
            std::fs::read_to_string(out.join("diagnostics.csv")).unwrap_or_default()
        );
        assert!(said.contains(needle), "{corpus_file}: {command}: {said}");
    }
}

/// Class 9 again, found by the `parquet` fuzz target after the fix above: an 85-byte file
/// whose footer declares lists of 2^31 booleans, which the parquet library skips as if they
/// took no bytes (22 s of a fuzzing build on this file; minutes for longer lists). The footer
/// is checked first now: an error at once.
#[test]
fn hostile_9_parquet_footer_of_endless_boolean_lists() {
    let p = root().join("fuzz/corpus/parquet/regression-footer-bool-lists");
    assert_eq!(std::fs::metadata(&p).unwrap().len(), 85);
    parquet_refused_at_once("regression-footer-bool-lists", "its metadata");
}

/// A footer whose known field is written with another wire type: the parquet library reads
/// known fields by their schema type, so it went on reading where no check had looked and
/// reached a skip of about 2^31 booleans (1 s each in a release build; the fuzzer's slow
/// units). Refused at once, naming the field, in check and audit.
#[test]
fn hostile_9_parquet_footer_known_field_of_another_wire_type() {
    for n in 1..=2 {
        parquet_refused_at_once(
            &format!("regression-footer-typed-field-{n}"),
            "field 6 of FileMetaData written as an i32, where Parquet has a binary",
        );
    }
}

/// Class 2: ring offsets that leave positions over, or run past them, reject the feature
/// (exit 2): it was read as a shorter ring, checked and passed.
#[test]
fn hostile_2_ring_offsets_that_do_not_divide_the_positions_are_an_error() {
    let (x, y) = red_line_corner();
    let square = [x, y, x + 40.0, y, x + 40.0, y + 40.0, x, y + 40.0, x, y];
    let mut extra = square.to_vec();
    extra.extend_from_slice(&[x + 9e5, y + 9e5]);
    let dir = tempfile::tempdir().unwrap();
    for (name, xy, ends) in [
        ("left_over.fgb", extra.as_slice(), &[5u32][..]),
        ("past_the_end.fgb", &square[..], &[6u32][..]),
        ("falling.fgb", extra.as_slice(), &[5u32, 4, 6][..]),
    ] {
        let p = dir.path().join(name);
        std::fs::write(&p, fgb_file(1, 0, 0, &[fgb_rings(xy, ends)])).unwrap();
        let (code, message) = check_error(&p);
        assert_eq!(code, 2, "{name}: {message}");
        assert!(message.contains("ring offsets"), "{name}: {message}");
    }
    // The same square with offsets that divide its positions is read and checked.
    let p = dir.path().join("fine.fgb");
    std::fs::write(&p, fgb_file(1, 0, 0, &[fgb_rings(&square, &[5])])).unwrap();
    let (code, json, _) = check_json(&[&p], &[]);
    assert_eq!(json["summary"]["checked"], 1, "{json}");
    assert_eq!(code, 1, "inside red line RL-01: {json}");
}
