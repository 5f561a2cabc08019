//! `ironrule rules lint`: everything wrong with a pack, each with file:line:col, without
//! running it — the pack's own errors (syntax, unknown keys, unknown layers, duplicate codes,
//! thresholds without units, bad filters and templates), README sections, and fixtures that
//! fire, do not fire, and sit on the boundary.

use super::fixtures::{fixture_files, missing_sections, README_SECTIONS};
use crate::model::Diagnostic;
use crate::rules::load_pack;
use serde_json::Value;
use std::path::Path;

/// The layer names of a pack's `fixtures_project`, to check its rules' layers against.
pub fn fixture_layers(dir: &Path) -> Option<Vec<String>> {
    #[derive(serde::Deserialize)]
    struct Head {
        fixtures_project: Option<String>,
    }
    let text = std::fs::read_to_string(dir.join("pack.toml")).ok()?;
    let head: Head = toml::from_str::<toml::Value>(&text)
        .ok()
        .and_then(|v| v.try_into().ok())?;
    let project = crate::project::Project::load(&dir.join(head.fixtures_project?)).ok()?;
    Some(project.input_names())
}

/// Every problem of the pack in `dir`, sorted by file and position.
pub fn lint(dir: &Path, known_layers: Option<&[String]>) -> Vec<Diagnostic> {
    let mut out = load_pack(dir, known_layers).err().unwrap_or_default();
    let mut rule_dirs: Vec<_> = std::fs::read_dir(dir)
        .map(|rd| {
            rd.filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.join("rule.toml").is_file())
                .collect()
        })
        .unwrap_or_default();
    rule_dirs.sort();
    for rule_dir in &rule_dirs {
        readme(rule_dir, &mut out);
        fixtures(rule_dir, &mut out);
    }
    out.sort_by(|a, b| (&a.source, a.line, a.column).cmp(&(&b.source, b.line, b.column)));
    out
}

fn readme(rule_dir: &Path, out: &mut Vec<Diagnostic>) {
    let path = rule_dir.join("README.md");
    let Ok(text) = std::fs::read_to_string(&path) else {
        out.push(
            Diagnostic::error(
                path.display().to_string(),
                format!(
                    "missing README.md (sections: {})",
                    README_SECTIONS.join(", ")
                ),
            )
            .at(1, 1),
        );
        return;
    };
    for section in missing_sections(&text) {
        out.push(
            Diagnostic::error(
                path.display().to_string(),
                format!("missing README section '## {section}'"),
            )
            .at(1, 1),
        );
    }
}

fn fixtures(rule_dir: &Path, out: &mut Vec<Diagnostic>) {
    let files = fixture_files(rule_dir);
    if files.is_empty() {
        let dir = rule_dir.join("fixtures");
        out.push(Diagnostic::error(
            dir.display().to_string(),
            "missing fixtures: add fixtures/*.geojson with cases that fire, do not fire, and sit on the boundary",
        ));
        return;
    }
    let (mut fires, mut quiet, mut boundary) = (false, false, false);
    for file in &files {
        let name = file.display().to_string();
        let doc: Value = match std::fs::read_to_string(file)
            .map_err(|e| e.to_string())
            .and_then(|t| serde_json::from_str(&t).map_err(|e| e.to_string()))
        {
            Ok(v) => v,
            Err(e) => {
                out.push(Diagnostic::error(
                    name,
                    format!("unreadable fixture file: {e}"),
                ));
                continue;
            }
        };
        for (i, f) in doc["features"].as_array().into_iter().flatten().enumerate() {
            let p = &f["properties"];
            match p.get("expect").and_then(Value::as_array) {
                Some(a) if a.is_empty() => quiet = true,
                Some(_) => fires = true,
                None if p.get("todo_expect").is_some() => {}
                None => out.push(
                    Diagnostic::error(
                        name.clone(),
                        "a fixture without `expect` (the codes it must fire, [] for none)",
                    )
                    .feature(i, None),
                ),
            }
            if p.get("boundary").and_then(Value::as_bool) == Some(true) {
                boundary = true;
            }
        }
    }
    let first = files[0].display().to_string();
    for (have, what) in [
        (fires, "a fixture that fires"),
        (quiet, "a fixture that does not fire"),
        (boundary, "a fixture on the boundary (`\"boundary\": true`)"),
    ] {
        if !have {
            out.push(Diagnostic::error(first.clone(), format!("missing {what}")).at(1, 1));
        }
    }
}
