//! One pipeline: `check`, `audit`, `rules test` and the library (what `serve` and the Python
//! package call) read, settle and evaluate through the same code, so they cannot disagree.
//! Each test runs the same input through several paths and compares what they say.

use crate::common::*;
use ironrule::engine::Checker;
use ironrule::project::Project;
use ironrule::report::{Format, Style};
use std::collections::BTreeSet;

/// The lines of a findings CSV after its header, as a set.
fn csv_rows(text: &str) -> BTreeSet<String> {
    text.split("\r\n")
        .skip(1)
        .filter(|l| !l.is_empty())
        .map(str::to_owned)
        .collect()
}

/// The demo through the library's path: the checker, `check_source`, the report built, the
/// CSV emitter.
fn library_csv(files: &[std::path::PathBuf]) -> String {
    let checker = Checker::load(Project::load(&demo_project()).unwrap()).unwrap();
    let sources = files
        .iter()
        .map(|f| checker.check_source(f, &Default::default()).unwrap())
        .collect();
    csv_of(&checker, sources)
}

/// The CSV report of checked sources, built and written as `check --format csv` does.
fn csv_of(checker: &Checker, sources: Vec<ironrule::engine::CheckedSource<'_>>) -> String {
    let report = ironrule::report::build::build(checker, sources, false);
    let mut out = Vec::new();
    Format::Csv
        .emitter(Style::default())
        .emit(&mut out, &report)
        .unwrap();
    String::from_utf8(out).unwrap()
}

#[test]
fn the_demo_gives_the_same_findings_row_for_row_through_check_audit_and_the_library() {
    // check (CLI) and the library: the same bytes.
    let check = check_demo(&["--format", "csv"]);
    assert_eq!(code(&check), 1, "{}", stderr(&check));
    let library = library_csv(&["data/yichang/proposals.geojson".into()]);
    assert_eq!(stdout(&check), library);
    // audit: the same rows from the same emitter, share rules aside (they judge a whole
    // submission; an audit is a sweep, and says so).
    let dir = tempfile::tempdir().unwrap();
    let audit = audit_demo(dir.path(), &["data/yichang/proposals.geojson"]);
    assert_eq!(code(&audit), 1, "{}", stderr(&audit));
    let audited = csv_rows(&std::fs::read_to_string(dir.path().join("findings.csv")).unwrap());
    let checked: BTreeSet<String> = csv_rows(&library)
        .into_iter()
        .filter(|r| !r.starts_with("YC601,"))
        .collect();
    assert!(checked.len() > 20, "{checked:?}");
    assert_eq!(audited, checked);
    // The header too.
    let header = |t: &str| t.split("\r\n").next().unwrap().to_owned();
    assert_eq!(
        header(&std::fs::read_to_string(dir.path().join("findings.csv")).unwrap()),
        header(&library)
    );
}

#[test]
fn the_demo_pack_passes_its_own_fixtures_through_the_same_evaluation() {
    let out = ironrule(&["rules", "test", "--pack", "rules/yichang"]);
    assert_eq!(code(&out), 0, "{}\n{}", stdout(&out), stderr(&out));
}

/// The demo's first three proposals, and the same with one coordinate of the second one out
/// of range for a double (`1e400`).
fn with_an_unparseable_coordinate() -> (String, String) {
    let text = std::fs::read_to_string(demo_proposals()).unwrap();
    let all: serde_json::Value = serde_json::from_str(&text).unwrap();
    let features: Vec<String> = all["features"].as_array().unwrap()[..3]
        .iter()
        .map(|f| f.to_string())
        .collect();
    let first = all["features"][1]["geometry"]["coordinates"][0][0][0].to_string();
    let broken = features[1].replacen(&first, "1e400", 1);
    assert_ne!(broken, features[1]);
    (
        collection(None, &features),
        collection(None, &[features[0].clone(), broken, features[2].clone()]),
    )
}

/// The finding regression the one pipeline fixes: one unparseable feature rejected only that
/// feature in `audit` but refused the whole file in `check` (exit 2, 0 read).
#[test]
fn one_unparseable_feature_is_rejected_alone_by_check_and_by_audit() {
    let dir = tempfile::tempdir().unwrap();
    let (good, bad) = with_an_unparseable_coordinate();
    let (whole, path) = (
        dir.path().join("good.geojson"),
        dir.path().join("three.geojson"),
    );
    std::fs::write(&whole, good).unwrap();
    std::fs::write(&path, bad).unwrap();
    let (_, unbroken, _) = check_json(&[&whole], &[]);
    let (code_check, json, _) = check_json(&[&path], &[]);
    assert_eq!(code_check, 2);
    assert_eq!(json["summary"]["read"], 3);
    assert_eq!(json["summary"]["checked"], 2);
    assert_eq!(json["summary"]["rejected"], 1);
    let errors: Vec<&serde_json::Value> = json["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["level"] == "error")
        .collect();
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert_eq!(errors[0]["feature_index"], 1);
    let check_message = errors[0]["message"].as_str().unwrap().to_owned();
    // The two others were checked: their findings are those of the file without the bad
    // coordinate (the first chemical plant fires).
    let of = |json: &serde_json::Value, skip: i64| -> Vec<(i64, String)> {
        json["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| {
                let index = f["feature"]["index"].as_i64().unwrap();
                (index, f["code"].as_str().unwrap().to_owned())
            })
            .filter(|(i, _)| *i != skip)
            .collect()
    };
    assert!(of(&json, 1).iter().any(|(i, c)| *i == 0 && c == "YC101"));
    assert_eq!(of(&json, 1), of(&unbroken, 1));

    let out = dir.path().join("audit");
    let audit = audit_demo(&out, &[path.to_str().unwrap()]);
    assert_eq!(code(&audit), 2, "{}", stderr(&audit));
    let s = audit_summary(&out);
    assert_eq!(
        (&s["read"], &s["checked"], &s["rejected"]),
        (
            &json["summary"]["read"],
            &json["summary"]["checked"],
            &json["summary"]["rejected"]
        )
    );
    let diags = std::fs::read_to_string(out.join("diagnostics.csv")).unwrap();
    let row = diags
        .lines()
        .find(|l| l.starts_with("error,"))
        .unwrap_or_else(|| panic!("{diags}"));
    assert!(
        row.contains(",1,") && row.contains(check_message.split(';').next().unwrap()),
        "audit says {row:?}, check says {check_message:?}"
    );
}

/// Projection pushdown: the readers decode only the attributes the rules, the dictionary, the
/// id field and the labels read; the findings are those of a full read, byte for byte.
#[test]
fn readers_decode_only_the_attributes_the_rules_read_and_find_the_same() {
    use ironrule::engine::ReadRequest;
    let checker = Checker::load(Project::load(&demo_project()).unwrap()).unwrap();
    let csv = |sources| csv_of(&checker, sources);
    for file in [
        "tests/data/proposals_4546.fgb",
        "tests/data/proposals_4546.parquet",
        "tests/data/proposals_4546.gpkg",
        "data/yichang/proposals.geojson",
    ] {
        let path = std::path::Path::new(file);
        let all = ReadRequest {
            all_attributes: true,
            ..Default::default()
        };
        let full = checker.check_source(path, &all).unwrap();
        let projected = checker.check_source(path, &Default::default()).unwrap();
        let keys = |s: &ironrule::engine::CheckedSource<'_>| -> BTreeSet<String> {
            s.items
                .iter()
                .flat_map(|c| c.properties.keys().cloned())
                .collect()
        };
        let (kept, every) = (keys(&projected), keys(&full));
        assert!(kept.is_subset(&every), "{file}: {kept:?} of {every:?}");
        // `pid`, which no rule reads, is left out; what rules read is there.
        assert!(!kept.contains("pid"), "{file}: {kept:?}");
        assert_eq!(
            every.contains("pid"),
            !file.ends_with(".geojson"),
            "{file}: {every:?}"
        );
        for read in ["name", "kind", "land_use", "height_m", "start_date"] {
            assert!(kept.contains(read), "{file}: {kept:?}");
        }
        assert_eq!(csv(vec![projected]), csv(vec![full]), "{file}");
        // An id field is decoded even though no rule reads it.
        let by_pid = ReadRequest {
            id_field: Some("pid"),
            ..Default::default()
        };
        let s = checker.check_source(path, &by_pid).unwrap();
        if every.contains("pid") {
            assert!(
                s.items.iter().all(|c| c.properties.contains_key("pid")),
                "{file}"
            );
            assert_eq!(s.rejected(), 0, "{file}: {:?}", s.diagnostics);
        }
    }
}
