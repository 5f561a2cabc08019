//! `ironrule init` and `ironrule rules new`: what they write passes lint and test as written,
//! and checks proposals; mistakes are refused before anything is written.

use crate::common::{code, ironrule, ironrule_at as run_in, root, stderr, stdout};

#[test]
fn init_makes_a_project_whose_pack_lints_tests_and_checks() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("宜昌新区");
    let out = ironrule(&["init", dir.to_str().unwrap(), "--code-prefix", "XL"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(stdout(&out).contains("rule XL101"), "{}", stdout(&out));

    let lint = run_in(&dir, &["rules", "lint"]);
    assert_eq!(code(&lint), 0, "{}", stdout(&lint));
    assert!(
        stdout(&lint).contains("1 pack, 0 problems"),
        "{}",
        stdout(&lint)
    );
    let test = run_in(&dir, &["rules", "test"]);
    assert_eq!(code(&test), 0, "{}", stdout(&test));
    assert!(
        stdout(&test).contains("rules test: 3 passed, 0 failed"),
        "{}",
        stdout(&test)
    );
    // The boundary case says how near the limit it means, and is measured within it.
    let cases = std::fs::read_to_string(
        dir.join("rules/XL101-building-within-30m-of-river/fixtures/cases.geojson"),
    )
    .unwrap();
    assert!(cases.contains("\"tolerance\": 1e-6"), "{cases}");

    // The example proposals: one too near the river, one far enough.
    let check = run_in(&dir, &["check", "--format", "json", "proposals.geojson"]);
    assert_eq!(code(&check), 1, "{}", stderr(&check));
    let report: serde_json::Value = serde_json::from_slice(&check.stdout).unwrap();
    let findings = report["findings"].as_array().unwrap();
    assert_eq!(findings.len(), 1);
    assert_eq!(findings[0]["code"], "XL101");
    assert_eq!(findings[0]["feature"]["id"], "P1");
    let d = findings[0]["measure"]["value"].as_f64().unwrap();
    assert!((d - 15.0).abs() < 1e-6, "{d}");

    // A second init into the same folder writes nothing.
    let again = ironrule(&["init", dir.to_str().unwrap()]);
    assert_eq!(code(&again), 2);
    assert!(
        stderr(&again).contains("exists already; nothing was written"),
        "{}",
        stderr(&again)
    );
}

#[test]
fn rules_new_draws_fixtures_against_the_layer_for_each_kind() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    assert_eq!(code(&ironrule(&["init", dir.to_str().unwrap()])), 0);
    // A real polygon layer: the demo's red line.
    std::fs::copy(
        root().join("data/yichang/zones/red_line.geojson"),
        dir.join("zones/red_line.geojson"),
    )
    .unwrap();
    let mut project = std::fs::read_to_string(dir.join("ironrule.toml")).unwrap();
    project.push_str("\n[[layer]]\nname = \"red_line\"\npath = \"zones/red_line.geojson\"\ntitle = \"Ecological red line (illustrative)\"\n");
    std::fs::write(dir.join("ironrule.toml"), project).unwrap();

    for args in [
        &[
            "rules", "new", "EX102", "--kind", "overlap", "--layer", "red_line",
        ][..],
        &[
            "rules", "new", "EX103", "--kind", "within", "--layer", "red_line",
        ],
        &[
            "rules",
            "new",
            "EX104",
            "--kind",
            "setback",
            "--layer",
            "red_line",
            "--distance-m",
            "250",
            "--name",
            "红线退让",
        ],
        // A fractional distance still makes a name of letters, digits and '-'.
        &[
            "rules",
            "new",
            "EX105",
            "--kind",
            "setback",
            "--layer",
            "river",
            "--distance-m",
            "12.5",
        ],
    ] {
        let out = run_in(dir, args);
        assert_eq!(code(&out), 0, "{args:?}: {}", stderr(&out));
    }
    let lint = run_in(dir, &["rules", "lint"]);
    assert_eq!(code(&lint), 0, "{}", stdout(&lint));
    let test = run_in(dir, &["rules", "test"]);
    assert_eq!(code(&test), 0, "{}", stdout(&test));
    assert!(
        stdout(&test).contains("rules test: 15 passed, 0 failed"),
        "{}",
        stdout(&test)
    );
    assert!(dir.join("rules/EX104-红线退让/rule.toml").exists());
    assert!(dir
        .join("rules/EX105-building-within-12-5m-of-river/rule.toml")
        .exists());

    // Mistakes, each refused with its reason and nothing written.
    for (args, says) in [
        (
            &[
                "rules", "new", "EX102", "--kind", "overlap", "--layer", "red_line",
            ][..],
            "EX102 is taken",
        ),
        (
            &[
                "rules", "new", "YC105", "--kind", "overlap", "--layer", "red_line",
            ],
            "must be the pack's prefix EX and digits",
        ),
        (
            &[
                "rules",
                "new",
                "EX106",
                "--kind",
                "overlap",
                "--layer",
                "red_lines",
            ],
            "no layer 'red_lines' in the fixtures project (its layers: red_line, river)",
        ),
        (
            &[
                "rules", "new", "EX106", "--kind", "overlap", "--layer", "river",
            ],
            "overlap and within rules need polygons",
        ),
        (
            &[
                "rules", "new", "EX106", "--kind", "setback", "--layer", "river", "--name",
                "Bad Name",
            ],
            "must be words joined by '-'",
        ),
    ] {
        let out = run_in(dir, args);
        assert_eq!(code(&out), 2, "{args:?}");
        assert!(stderr(&out).contains(says), "{args:?}: {}", stderr(&out));
    }
    assert!(!std::fs::read_dir(dir.join("rules")).unwrap().any(|e| e
        .unwrap()
        .file_name()
        .to_string_lossy()
        .starts_with("EX106")));
}

#[test]
fn init_in_chinese_teaches_in_chinese_and_still_passes() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("p");
    let out = ironrule(&["--lang", "zh", "init", dir.to_str().unwrap()]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(stdout(&out).starts_with("已创建"), "{}", stdout(&out));
    let project = std::fs::read_to_string(dir.join("ironrule.toml")).unwrap();
    assert!(project.contains("# 工作坐标系"), "{project}");
    let rule_dir = dir.join("rules/EX101-building-within-30m-of-river");
    let rule = std::fs::read_to_string(rule_dir.join("rule.toml")).unwrap();
    assert!(rule.contains("# 含边界：恰好 30 米也触发。"), "{rule}");
    let readme = std::fs::read_to_string(rule_dir.join("README.zh.md")).unwrap();
    for section in [
        "禁止什么",
        "为什么",
        "法律依据",
        "空间检验",
        "示例",
        "已知局限",
    ] {
        assert!(readme.contains(&format!("## {section}")), "{section}");
    }
    assert_eq!(code(&run_in(&dir, &["rules", "lint"])), 0);
    assert_eq!(code(&run_in(&dir, &["rules", "test"])), 0);
}
