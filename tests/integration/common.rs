//! Helpers: run the binary, find the demo, write temporary inputs.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub fn demo_project() -> PathBuf {
    root().join("data/yichang/ironrule.toml")
}

pub fn demo_proposals() -> PathBuf {
    root().join("data/yichang/proposals.geojson")
}

/// The demo project file's text with its zone paths and rule pack made absolute, to be
/// edited and written into a temporary folder.
pub fn demo_project_text() -> String {
    let demo = root().join("data/yichang");
    std::fs::read_to_string(demo_project())
        .unwrap()
        .replace(
            "rules = [\"../../rules/yichang\"]",
            &format!("rules = [\"{}\"]", root().join("rules/yichang").display()),
        )
        .replace(
            "path = \"zones/",
            &format!("path = \"{}/zones/", demo.display()),
        )
        .replace(
            "path = \"terrain/",
            &format!("path = \"{}/terrain/", demo.display()),
        )
}

/// Runs `ironrule` with `args` in the repository root, in an English locale (the language
/// of messages follows LC_ALL/LC_MESSAGES/LANG; a tester's zh_CN must not change them).
pub fn ironrule(args: &[&str]) -> Output {
    ironrule_in("C.UTF-8", args)
}

/// Runs `ironrule` with `LANG` set to `locale` (and no LC_ALL or LC_MESSAGES).
pub fn ironrule_in(locale: &str, args: &[&str]) -> Output {
    run(&root(), locale, args)
}

/// Runs `ironrule` in the folder `dir`, in an English locale.
pub fn ironrule_at(dir: &std::path::Path, args: &[&str]) -> Output {
    run(dir, "C.UTF-8", args)
}

fn run(dir: &std::path::Path, locale: &str, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_ironrule"))
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .env_remove("LC_ALL")
        .env_remove("LC_MESSAGES")
        .env("LANG", locale)
        .output()
        .expect("the binary runs")
}

pub fn code(out: &Output) -> i32 {
    out.status.code().expect("exited normally, not by a signal")
}

pub fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

pub fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// `check` on the demo project and proposals, with `extra` arguments before the file.
pub fn check_demo(extra: &[&str]) -> Output {
    let mut args = vec!["check", "-p", "data/yichang/ironrule.toml"];
    args.extend(extra);
    args.push("data/yichang/proposals.geojson");
    ironrule(&args)
}

/// `check` of the demo proposals against another project file.
pub fn check_with_project(project: &Path) -> Output {
    ironrule(&[
        "check",
        "-p",
        project.to_str().unwrap(),
        "data/yichang/proposals.geojson",
    ])
}

/// `audit` against `project` into the folder `out`, with `extra` arguments (datasets last).
pub fn audit_with(project: &Path, out: &Path, extra: &[&str]) -> Output {
    let mut args = vec![
        "audit",
        "-p",
        project.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ];
    args.extend(extra);
    ironrule(&args)
}

/// `audit` on the demo project into the folder `out`.
pub fn audit_demo(out: &Path, extra: &[&str]) -> Output {
    audit_with(&demo_project(), out, extra)
}

/// The `summary.json` an audit wrote into `out`.
pub fn audit_summary(out: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(out.join("summary.json")).unwrap()).unwrap()
}

/// The `diagnostics.csv` an audit wrote into `out`, and its lines that contain `needle`.
pub fn audit_diagnostics(out: &Path, needle: &str) -> (String, Vec<String>) {
    let all = std::fs::read_to_string(out.join("diagnostics.csv")).unwrap();
    let matching = all
        .lines()
        .filter(|l| l.contains(needle))
        .map(str::to_owned)
        .collect();
    (all, matching)
}

/// The message of a JSON report's first diagnostic (it must have one).
pub fn first_message(json: &serde_json::Value) -> String {
    json["diagnostics"][0]["message"]
        .as_str()
        .unwrap_or_else(|| panic!("no diagnostic: {json}"))
        .to_owned()
}

/// `check --format json` on the demo project.
pub fn check_json(files: &[&Path], extra: &[&str]) -> (i32, serde_json::Value, String) {
    let project = demo_project();
    let mut args = vec![
        "check",
        "--project",
        project.to_str().unwrap(),
        "--format",
        "json",
    ];
    args.extend(extra);
    let paths: Vec<String> = files.iter().map(|p| p.display().to_string()).collect();
    args.extend(paths.iter().map(String::as_str));
    let out = ironrule(&args);
    let json = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}\n{}", stdout(&out), stderr(&out)));
    (code(&out), json, stderr(&out))
}

/// A GeoJSON FeatureCollection with the given features (JSON text) and optional CRS name.
pub fn collection(crs: Option<&str>, features: &[String]) -> String {
    let crs = crs
        .map(|c| format!(r#""crs":{{"type":"name","properties":{{"name":"{c}"}}}},"#))
        .unwrap_or_default();
    format!(
        r#"{{"type":"FeatureCollection",{crs}"features":[{}]}}"#,
        features.join(",")
    )
}

/// A feature with properties (JSON object text) and geometry (JSON text).
/// Attributes that decide every Yichang rule for a plain plot (not a building, not
/// industry, not temporary, no discharge): tests about geometry and CRSs use them so that
/// their findings are not undetermined results.
pub const PLOT: &str = r#"{"land_use":"tourism","kind":"new","discharges":false}"#;

pub fn feature(id: &str, props: &str, geometry: &str) -> String {
    format!(r#"{{"type":"Feature","id":"{id}","properties":{props},"geometry":{geometry}}}"#)
}

/// A square polygon in EPSG:4546 metres.
pub fn square(x: f64, y: f64, size: f64) -> String {
    format!(
        r#"{{"type":"Polygon","coordinates":[[[{x},{y}],[{x1},{y}],[{x1},{y1}],[{x},{y1}],[{x},{y}]]]}}"#,
        x1 = x + size,
        y1 = y + size
    )
}

/// Findings' (feature id, code) pairs.
pub fn keys(json: &serde_json::Value) -> Vec<(String, String)> {
    json["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| {
            (
                f["feature"]["id"].as_str().unwrap_or("").to_owned(),
                f["code"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

/// The demo zone's first vertex, for placing test footprints relative to real zones.
pub fn zone_coords(layer_file: &str) -> Vec<[f64; 2]> {
    let text = std::fs::read_to_string(root().join("data/yichang/zones").join(layer_file)).unwrap();
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    let mut out = Vec::new();
    fn walk(v: &serde_json::Value, out: &mut Vec<[f64; 2]>) {
        match v {
            serde_json::Value::Array(a) if a.len() >= 2 && a[0].is_number() => {
                out.push([a[0].as_f64().unwrap(), a[1].as_f64().unwrap()])
            }
            serde_json::Value::Array(a) => a.iter().for_each(|x| walk(x, out)),
            _ => {}
        }
    }
    walk(&v["features"][0]["geometry"]["coordinates"], &mut out);
    out
}

/// A copy of the Yichang pack in `dir/pack`, to break one file of it.
pub fn copy_yichang_pack(dir: &Path) -> PathBuf {
    fn walk(dir: &Path) -> Vec<PathBuf> {
        let mut out = Vec::new();
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                out.extend(walk(&p));
            } else {
                out.push(p);
            }
        }
        out
    }
    let src = root().join("rules/yichang");
    let pack = dir.join("pack");
    for entry in walk(&src) {
        let to = pack.join(entry.strip_prefix(&src).unwrap());
        std::fs::create_dir_all(to.parent().unwrap()).unwrap();
        std::fs::copy(&entry, &to).unwrap();
    }
    pack
}

/// `rules lint` of the demo project with `pack` in place of its own: it must find problems
/// (exit 1); what it printed, both streams.
pub fn lint_refuses(pack: &Path) -> String {
    let out = ironrule(&[
        "rules",
        "lint",
        "-p",
        "data/yichang/ironrule.toml",
        "--pack",
        pack.to_str().unwrap(),
    ]);
    let all = format!("{}{}", stdout(&out), stderr(&out));
    assert_eq!(code(&out), 1, "{all}");
    all
}
