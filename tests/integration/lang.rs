//! Chinese-first output: `--lang zh|en`, defaulting from the locale; the Yichang pack complete
//! in both languages.

use crate::common::*;

/// `check` of the demo in `lang`, with `extra` arguments before the file.
fn demo_in(lang: &str, extra: &[&str]) -> std::process::Output {
    let head = ["check", "--lang", lang, "-p", "data/yichang/ironrule.toml"];
    ironrule(&[&head[..], extra, &["data/yichang/proposals.geojson"]].concat())
}

#[test]
fn the_demo_reads_in_chinese_with_lang_zh() {
    let out = demo_in("zh", &[]);
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    let text = stdout(&out);
    for needle in [
        "data/yichang/proposals.geojson：要素 #0（编号 \"P01\"）",
        "禁止[YC101] 化工项目距长江 Yangtze mainstream (water surface)（yangtze）595.51 米",
        "= 实测：距离 595.51 m ≤ 限值 1000 m",
        "= 基线：yangtze yangtze-mainstream",
        "= 法律依据：中华人民共和国长江保护法",
        "禁止[YC101] 无法判定 不能确定 YC101 是否适用：缺少行业类别（industry）",
        "需审批[YC401]",
        "读取 38 个要素，审查 38 个，拒收 0 个；发现 67 项（57 项禁止，10 项需审批），涉及 27 条规则；4 项无法判定",
    ] {
        assert!(text.contains(needle), "{needle}\n{text}");
    }
    // Machine formats keep their identifiers; only the human text changes.
    let csv = stdout(&demo_in("zh", &["-f", "csv"]));
    assert!(csv.starts_with("code,severity,feature_id,"));
    assert!(csv.contains("YC101,prohibited,P01,yangtze"));
    assert!(csv.contains(",undetermined\r\n"));
}

#[test]
fn the_language_follows_the_locale_and_lang_overrides_it() {
    let args = [
        "check",
        "-p",
        "data/yichang/ironrule.toml",
        "data/yichang/proposals.geojson",
    ];
    let zh = stdout(&ironrule_in("zh_CN.UTF-8", &args));
    assert!(zh.contains("读取 38 个要素"), "{zh}");
    let en = stdout(&ironrule_in("en_US.UTF-8", &args));
    assert!(en.contains("38 features read"), "{en}");
    let forced = stdout(&ironrule_in(
        "zh_CN.UTF-8",
        &[&["--lang", "en"], &args[..]].concat(),
    ));
    assert!(forced.contains("38 features read"), "{forced}");
}

#[test]
fn the_html_report_and_rule_docs_in_chinese() {
    let dir = tempfile::tempdir().unwrap();
    let html = dir.path().join("r.html");
    let out = demo_in("zh", &["-f", "html", "-o", html.to_str().unwrap()]);
    assert_eq!(code(&out), 1);
    let page = std::fs::read_to_string(&html).unwrap();
    for needle in [
        "<html lang=\"zh-CN\">",
        "<h1>ironrule 审查报告 — Yichang demo</h1>",
        "<dt>整改</dt>",
        "<h2>按规则</h2>",
        "禁止在长江干流及支流岸线一公里范围内",
        "<dt>实测</dt>",
        "<span class=\"undetermined\">无法判定</span>",
    ] {
        assert!(page.contains(needle), "{needle}");
    }
    let doc = stdout(&ironrule(&[
        "rule",
        "YC101",
        "--lang",
        "zh",
        "-p",
        "data/yichang/ironrule.toml",
    ]));
    assert!(
        doc.contains("禁止在长江干流及支流岸线一公里范围内"),
        "{doc}"
    );
    assert!(
        doc.contains("## 禁止什么") && doc.contains("## 法律依据"),
        "{doc}"
    );
    let en = stdout(&ironrule(&[
        "rule",
        "YC101",
        "-p",
        "data/yichang/ironrule.toml",
    ]));
    assert!(en.contains("## What it forbids"), "{en}");
}

#[test]
fn the_yichang_pack_is_complete_in_both_languages() {
    let pack = ironrule::rules::load_pack(&root().join("rules/yichang"), None).unwrap();
    assert_eq!(pack.rules.len(), 28);
    for rule in &pack.rules {
        assert!(rule.summary_zh.is_some(), "{}: [zh] summary", rule.code);
        assert!(rule.message_zh.is_some(), "{}: [zh] message", rule.code);
        let zh = std::fs::read_to_string(rule.dir.join("README.zh.md"))
            .unwrap_or_else(|_| panic!("{}: README.zh.md", rule.code));
        for section in [
            "禁止什么",
            "为什么",
            "法律依据",
            "空间检验",
            "示例",
            "已知局限",
        ] {
            assert!(
                zh.contains(&format!("## {section}")),
                "{}: README.zh.md has no '## {section}'",
                rule.code
            );
        }
    }
}

#[test]
fn a_translation_must_carry_the_same_values() {
    let text = r#"code = "T1"
name = "no-building-in-zone"
summary = "No building in the zone"
severity = "prohibited"
message = "{value} {unit} inside {layer}"
[citation]
instrument = "Law"
[test]
kind = "overlap"
layer = "zone"
[zh]
summary = "区内禁止建设"
message = "占用{layer} {value}"
"#;
    let errs = ironrule::rules::pack::check_rule_text(text, "T", None).unwrap_err();
    assert!(
        errs[0]
            .to_string()
            .contains("[zh] message uses {value}, {layer}"),
        "{}",
        errs[0]
    );
}
