//! Rule packs from the command line: fixtures, docs, listings, and errors with locations.

use crate::common::*;

#[test]
fn shipped_pack_fixtures_pass() {
    let project = demo_project();
    let out = ironrule(&["rules", "test", "-p", project.to_str().unwrap()]);
    let text = stdout(&out);
    assert_eq!(code(&out), 0, "{text}{}", stderr(&out));
    assert!(
        text.contains("YC101") && text.contains(" 0 failed"),
        "{text}"
    );
}

#[test]
fn rule_prints_its_documentation() {
    let out = ironrule(&["rule", "YC101", "-p", "data/yichang/ironrule.toml"]);
    assert_eq!(code(&out), 0);
    let text = stdout(&out);
    for needle in [
        "YC101 chemical-project-near-yangtze-or-tributary",
        "law: 中华人民共和国长江保护法",
        "## What it forbids",
        "## Known limits",
        "within 1000 m (inclusive)",
    ] {
        assert!(text.contains(needle), "{needle} missing:\n{text}");
    }
    let out = ironrule(&["rule", "YC999", "-p", "data/yichang/ironrule.toml"]);
    assert_eq!(code(&out), 2);
    assert!(stderr(&out).contains("no rule YC999"));
}

#[test]
fn rules_list_json_gives_code_name_severity_citation() {
    let out = ironrule(&[
        "rules",
        "list",
        "--format",
        "json",
        "-p",
        "data/yichang/ironrule.toml",
    ]);
    assert_eq!(code(&out), 0);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let rules = v.as_array().unwrap();
    assert!(rules.len() >= 10);
    for r in rules {
        assert!(r["code"].as_str().unwrap().starts_with("YC"));
        assert!(
            r["name"].is_string()
                && r["severity"].is_string()
                && r["citation"]["instrument"].is_string()
        );
    }
}

/// A copy of the demo project whose pack is `pack` (a temporary folder).
fn project_with_pack(dir: &std::path::Path) -> std::path::PathBuf {
    let pack = format!("\"{}\"", root().join("rules/yichang").display());
    let text = demo_project_text().replace(&pack, "\"pack\"");
    let p = dir.join("ironrule.toml");
    std::fs::write(&p, text).unwrap();
    p
}

fn copy_dir(from: &std::path::Path, to: &std::path::Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        if e.path().is_dir() {
            copy_dir(&e.path(), &to.join(e.file_name()));
        } else {
            std::fs::copy(e.path(), to.join(e.file_name())).unwrap();
        }
    }
}

#[test]
fn broken_rule_files_are_reported_with_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let project = project_with_pack(dir.path());
    let pack = dir.path().join("pack");
    copy_dir(&root().join("rules/yichang"), &pack);
    // An unknown layer, a filter that is not CQL2, and a TOML syntax error.
    let r = pack.join("YC201-development-in-ecological-red-line/rule.toml");
    let text = std::fs::read_to_string(&r)
        .unwrap()
        .replace("layer = \"red_line\"", "layer = \"red_lines\"");
    std::fs::write(&r, text).unwrap();
    let r = pack.join("YC202-occupation-of-permanent-basic-farmland/rule.toml");
    let text = std::fs::read_to_string(&r)
        .unwrap()
        .replace("land_use <> 'agriculture'", "land_use <> agriculture()");
    std::fs::write(&r, text).unwrap();
    let r = pack.join("YC301-non-water-supply-construction-in-drinking-water-zone-i/rule.toml");
    let text = std::fs::read_to_string(&r)
        .unwrap()
        .replace("severity = \"prohibited\"", "severity = prohibited");
    std::fs::write(&r, text).unwrap();

    let out = check_with_project(&project);
    assert_eq!(code(&out), 2);
    let err = stderr(&out);
    assert!(err.contains("3 configuration errors"), "{err}");
    assert!(
        err.contains("YC201-development-in-ecological-red-line/rule.toml:")
            && err.contains("unknown layer 'red_lines'"),
        "{err}"
    );
    assert!(
        err.contains("YC202-occupation-of-permanent-basic-farmland/rule.toml:6:")
            && err.contains("function 'agriculture'"),
        "{err}"
    );
    assert!(
        err.contains("YC301-non-water-supply-construction-in-drinking-water-zone-i/rule.toml:5:"),
        "{err}"
    );
}

#[test]
fn a_fixture_that_expects_the_wrong_thing_fails_rules_test() {
    let dir = tempfile::tempdir().unwrap();
    let pack = dir.path().join("pack");
    copy_dir(&root().join("rules/yichang"), &pack);
    let project = project_with_pack(dir.path());
    let text = std::fs::read_to_string(pack.join("pack.toml"))
        .unwrap()
        .replace(
            "../../data/yichang/ironrule.toml",
            project.to_str().unwrap(),
        );
    std::fs::write(pack.join("pack.toml"), text).unwrap();
    let f = pack.join("YC101-chemical-project-near-yangtze-or-tributary/fixtures/cases.geojson");
    // Claim that the case exactly on the limit does not fire.
    let text = std::fs::read_to_string(&f).unwrap();
    let line = text.lines().find(|l| l.contains("on the limit")).unwrap();
    let text = text.replace(
        line,
        &line.replace("\"expect\":[\"YC101\"]", "\"expect\":[]"),
    );
    // And that the case 1 cm beyond it does.
    let line = text.lines().find(|l| l.contains("1 cm beyond")).unwrap();
    let text = text.replace(
        line,
        &line.replace("\"expect\":[]", "\"expect\":[\"YC101\"]"),
    );
    std::fs::write(&f, &text).unwrap();
    let out = ironrule(&["rules", "test", "--pack", pack.to_str().unwrap()]);
    assert_eq!(code(&out), 1, "{}", stdout(&out));
    // Each failure says what was measured against which limit, in full precision.
    assert!(
        stdout(&out).contains(
            "YC101 fired but was not expected (measured 1000 m, fires when <= 1000 m, tolerance 0 m)"
        ),
        "{}",
        stdout(&out)
    );
    let beyond = stdout(&out)
        .lines()
        .find(|l| l.contains("1 cm beyond"))
        .unwrap()
        .to_owned();
    assert!(
        beyond.contains("expected YC101, but it did not fire (measured 1000.00999")
            && beyond.contains(" m, fires when <= 1000 m, tolerance 0 m)"),
        "{beyond}"
    );

    // A boundary fixture may say how near the limit it means: 2 cm takes both either way.
    let tolerant = text.replace("\"boundary\":true", "\"boundary\":true,\"tolerance\":0.02");
    std::fs::write(&f, &tolerant).unwrap();
    let out = ironrule(&["rules", "test", "--pack", pack.to_str().unwrap()]);
    assert_eq!(code(&out), 0, "{}", stdout(&out));
    let stdout_ = stdout(&out);
    // (Passes are not listed; the count is.)
    assert!(stdout_.contains(", 0 failed"), "{stdout_}");

    // A tolerance on a fixture that is not on the boundary is a mistake, said as one.
    let misplaced = text.replacen(
        "\"expect\":[\"YC101\"]}",
        "\"expect\":[\"YC101\"],\"tolerance\":1}",
        1,
    );
    std::fs::write(&f, misplaced).unwrap();
    let out = ironrule(&["rules", "test", "--pack", pack.to_str().unwrap()]);
    assert_eq!(code(&out), 1, "{}", stdout(&out));
    assert!(
        stdout(&out)
            .contains("`tolerance = 1` is for fixtures on the boundary: add `boundary = true`"),
        "{}",
        stdout(&out)
    );
}

#[test]
fn missing_and_repeated_rule_packs_are_configuration_errors() {
    let dir = tempfile::tempdir().unwrap();
    let zones = root().join("data/yichang/zones");
    let pack = root().join("rules/yichang");
    let base = std::fs::read_to_string(demo_project())
        .unwrap()
        .replace("path = \"zones/", &format!("path = \"{}/", zones.display()));
    // A pack path that does not exist.
    let p = dir.path().join("missing.toml");
    std::fs::write(
        &p,
        base.replace("\"../../rules/yichang\"", "\"no/such/pack\""),
    )
    .unwrap();
    let out = check_with_project(&p);
    assert_eq!(code(&out), 2);
    assert!(
        stderr(&out).contains("no/such/pack") && stderr(&out).contains("not found"),
        "{}",
        stderr(&out)
    );
    // The same pack twice, by two paths (a cycle through a link would look the same).
    let p = dir.path().join("twice.toml");
    let twice = format!("\"{}\", \"{}/../yichang\"", pack.display(), pack.display());
    std::fs::write(&p, base.replace("\"../../rules/yichang\"", &twice)).unwrap();
    let out = check_with_project(&p);
    assert_eq!(code(&out), 2);
    assert!(
        stderr(&out).contains("code YC101 is defined by pack 'yichang' and by pack 'yichang'"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn rules_lint_passes_the_shipped_pack_and_locates_every_error_of_a_broken_one() {
    let out = ironrule(&["rules", "lint", "-p", "data/yichang/ironrule.toml"]);
    assert_eq!(code(&out), 0, "{}", stdout(&out));
    assert!(stdout(&out).contains("0 problems"));

    let out = ironrule(&["rules", "lint", "--pack", "tests/data/broken_pack"]);
    assert_eq!(code(&out), 1);
    let text = stdout(&out);
    let p = "tests/data/broken_pack";
    for (place, what) in [
        (
            format!("{p}/BP001-unknown-layer/rule.toml:10:1"),
            "unknown layer 'no_such_layer'",
        ),
        (
            format!("{p}/BP002-no-unit/rule.toml:10:1"),
            "a threshold without a unit",
        ),
        (
            format!("{p}/BP004-second/rule.toml:1:8"),
            "duplicate code 'BP003'",
        ),
        (
            format!("{p}/BP005-bad-filter/rule.toml:5:41"),
            "applies_to: expected a property or a literal",
        ),
        (
            format!("{p}/BP003-first/README.md:1:1"),
            "missing README.md",
        ),
        (
            format!("{p}/BP006-good-but-undocumented/README.md:1:1"),
            "missing README section '## Legal basis'",
        ),
        (
            format!("{p}/BP001-unknown-layer/fixtures"),
            "missing fixtures",
        ),
        (
            format!("{p}/BP006-good-but-undocumented/fixtures/cases.geojson:1:1"),
            "missing a fixture that fires",
        ),
        (
            format!("{p}/BP006-good-but-undocumented/fixtures/cases.geojson:1:1"),
            "missing a fixture on the boundary",
        ),
    ] {
        assert!(
            text.lines().any(|l| l.contains(&place) && l.contains(what)),
            "no `{what}` at {place} in:\n{text}"
        );
    }
    assert!(text.contains("20 problems"), "{text}");
}

#[test]
fn rules_list_json_gives_code_name_severity_and_citation() {
    let out = ironrule(&[
        "rules",
        "list",
        "-p",
        "data/yichang/ironrule.toml",
        "--format",
        "json",
    ]);
    assert_eq!(code(&out), 0);
    let rules: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    let rules = rules.as_array().unwrap();
    assert!(rules.len() >= 15);
    for r in rules {
        for key in ["code", "name", "severity", "citation"] {
            assert!(!r[key].is_null(), "{key} in {r}");
        }
    }
}
