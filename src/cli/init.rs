//! `ironrule init [DIR]` and `ironrule rules new CODE`: a project, a pack and rules that pass
//! `rules lint` and `rules test` as written, with comments that teach. Fixtures are drawn
//! against the layer's real zones ([`crate::engine::scaffold`]).

use crate::engine::scaffold::{self, Case, Kind};
use crate::engine::Checker;
use crate::model::{Lang, Severity};
use crate::project::Project;
use anyhow::{bail, Context, Result};
use clap::{Args, ValueEnum};
use serde_json::json;
use std::path::{Path, PathBuf};

#[derive(Debug, Args)]
pub struct InitArgs {
    /// The folder to create the project in (created if missing; must not hold an
    /// ironrule.toml yet).
    #[arg(default_value = ".", value_name = "DIR")]
    pub dir: PathBuf,
    /// The pack's code prefix: rules are PREFIX + digits (ASCII capitals).
    #[arg(long, default_value = "EX", value_name = "PREFIX")]
    pub code_prefix: String,
}

/// The tests `rules new` writes a rule and fixtures for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum NewKind {
    /// Nothing within a distance of the layer's zones (`--distance-m`).
    Setback,
    /// Nothing inside the layer's zones (touching is not overlap).
    Overlap,
    /// Everything inside the layer's zones (an urban development boundary).
    Within,
}

#[derive(Debug, Args)]
pub struct NewRuleArgs {
    /// The new rule's code: the pack's prefix and digits, e.g. EX102.
    pub code: String,
    /// The spatial test.
    #[arg(long, value_enum)]
    pub kind: NewKind,
    /// The zone layer it measures against (a `[[layer]]` of the fixtures project).
    #[arg(long, value_name = "NAME")]
    pub layer: String,
    /// For a setback: the distance, metres (inclusive).
    #[arg(long, value_name = "M", default_value_t = 30.0)]
    pub distance_m: f64,
    /// The rule's name: words joined by '-' (Chinese too); default from the kind and layer.
    #[arg(long, value_name = "NAME")]
    pub name: Option<String>,
    /// The severity of its findings.
    #[arg(long, value_name = "SEVERITY", default_value = "prohibited")]
    pub severity: Severity,
    #[command(flatten)]
    pub packs: super::rules::PackArgs,
}

/// The Yichang-area river the example project measures against (illustrative), in
/// EPSG:4546 metres.
const RIVER: [[f64; 2]; 4] = [
    [503_000.0, 3_394_000.0],
    [506_000.0, 3_395_500.0],
    [509_000.0, 3_395_000.0],
    [512_000.0, 3_396_500.0],
];

const PROJECT_TOML: &str = r#"#:schema schemas/ironrule.schema.json
# An ironrule project: the working CRS, the zone layers rules measure against, and the rule
# packs. From this folder:
#   ironrule check proposals.geojson     check proposals (exit 0 clean, 1 findings, 2 bad input)
#   ironrule rules lint                  every problem of the packs, with file:line:col
#   ironrule rules test                  every rule's fixtures
#   ironrule rules new PREFIX102 --kind overlap --layer NAME     a new rule, with fixtures
name = "@NAME@"
# The working CRS: projected, in metres. EPSG:4546 is CGCS2000 / 3-degree Gauss-Kruger,
# central meridian 111E (Yichang); EPSG:4534 to 4554 are the meridians 75E to 135E.
crs = "EPSG:4546"
# Rule pack folders, relative to this file.
rules = ["rules"]

# One [[layer]] per zone layer: the name rules use, a file (GeoJSON, FlatGeobuf, GeoParquet,
# Shapefile, GeoPackage) and a title for reports and maps. Files without a CRS of their own
# take `crs = "EPSG:..."` here.
[[layer]]
name = "river"
path = "zones/river.geojson"
title = "River centreline (illustrative: replace it with your own)"
"#;

const PROJECT_TOML_ZH: &str = r#"#:schema schemas/ironrule.schema.json
# ironrule 项目：工作坐标系、规则所对照的区域图层、规则包。在本目录下：
#   ironrule check proposals.geojson     审查项目（退出码 0 通过，1 有问题，2 输入有误）
#   ironrule rules lint                  一次列出规则包的全部问题（文件:行:列）
#   ironrule rules test                  运行每条规则的测试用例
#   ironrule rules new 前缀102 --kind overlap --layer 图层名     新建一条规则及其测试用例
name = "@NAME@"
# 工作坐标系：投影坐标，单位为米。EPSG:4546 为 CGCS2000 3 度带高斯-克吕格投影、
# 中央经线 111°E（宜昌）；EPSG:4534 至 4554 对应中央经线 75°E 至 135°E。
crs = "EPSG:4546"
# 规则包目录，相对于本文件。
rules = ["rules"]

# 每个区域图层一个 [[layer]]：规则使用的名称、文件（GeoJSON、FlatGeobuf、GeoParquet、
# Shapefile、GeoPackage）及报告和地图上的标题。文件本身未声明坐标系时，在此写
# crs = "EPSG:..."。
[[layer]]
name = "river"
path = "zones/river.geojson"
title = "河道中心线（示意：请替换为本地数据）"
"#;

const PACK_TOML_ZH: &str = r#"#:schema ../schemas/pack.schema.json
# 规则包：与本文件同级，每条规则一个目录，内含 rule.toml、README.md 和 fixtures/。
# `ironrule rules new 编号 --kind 类型 --layer 图层` 可新增一条。
id = "@ID@"
title = "@NAME@ 规则"
jurisdiction = "规则适用的地域（市、区）"
version = "0.1.0"
# 每条规则的编号为此前缀加数字（@PREFIX@101、@PREFIX@102……）。编号永久不变：停用的规则
# 保留编号，并设 status = "deprecated"。
code_prefix = "@PREFIX@"
description = """
本规则包保护什么，编号如何编排。
"""
# 测试用例所对照的区域图层所在的项目。
fixtures_project = "../ironrule.toml"
"#;

const PACK_TOML: &str = r#"#:schema ../schemas/pack.schema.json
# A rule pack: one folder per rule beside this file, each with rule.toml, README.md and
# fixtures/. `ironrule rules new CODE --kind KIND --layer LAYER` adds one.
id = "@ID@"
title = "@NAME@ rules"
jurisdiction = "Where these rules hold (a city, a district)"
version = "0.1.0"
# Every code is this prefix and digits (@PREFIX@101, @PREFIX@102...). Codes are permanent: a
# retired rule keeps its code with status = "deprecated".
code_prefix = "@PREFIX@"
description = """
What this pack protects, and how its codes are numbered.
"""
# The project whose zone layers the fixtures are drawn against.
fixtures_project = "../ironrule.toml"
"#;

/// `ironrule init [DIR]`.
pub fn init(args: InitArgs, lang: Lang) -> Result<u8> {
    let dir = &args.dir;
    let prefix = &args.code_prefix;
    if prefix.is_empty() || !prefix.chars().all(|c| c.is_ascii_uppercase()) {
        bail!("--code-prefix '{prefix}' must be ASCII capitals, such as YC or EX");
    }
    let project_file = dir.join(crate::project::FILE_NAME);
    if project_file.exists() {
        bail!(
            "{} exists already; nothing was written (init starts a new project)",
            project_file.display()
        );
    }
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let name = std::fs::canonicalize(dir)
        .ok()
        .and_then(|d| d.file_name().map(|n| n.to_string_lossy().into_owned()))
        .unwrap_or_else(|| "my-project".into());
    let id: String = name
        .chars()
        .map(|c| {
            if c.is_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect();
    let river = json!({
        "type": "FeatureCollection",
        "name": "river (illustrative)",
        "crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::4546"}},
        "features": [{
            "type": "Feature",
            "id": "R1",
            "properties": {"name": "An illustrative river"},
            "geometry": {"type": "LineString", "coordinates": RIVER},
        }],
    });
    // The files' JSON Schemas beside them: editors that honour `#:schema` (Taplo, Even
    // Better TOML) complete keys and check values offline.
    for f in crate::schema::File::ALL {
        write_new(
            &dir.join("schemas").join(f.schema_name()),
            &format!("{}\n", serde_json::to_string_pretty(&f.schema())?),
        )?;
    }
    let (project_toml, pack_toml) = match lang {
        Lang::En => (PROJECT_TOML, PACK_TOML),
        Lang::Zh => (PROJECT_TOML_ZH, PACK_TOML_ZH),
    };
    write_new(&project_file, &project_toml.replace("@NAME@", &name))?;
    write_new(
        &dir.join("zones/river.geojson"),
        &format!("{}\n", serde_json::to_string_pretty(&river)?),
    )?;
    write_new(
        &dir.join("rules/pack.toml"),
        &pack_toml
            .replace("@ID@", id.trim_matches('-'))
            .replace("@NAME@", &name)
            .replace("@PREFIX@", prefix),
    )?;
    let code = format!("{prefix}101");
    let project = Project::load(&project_file)?;
    let checker = Checker::with_packs(project, Vec::new())?;
    let (rule_dir, cases) = new_rule(
        &checker,
        &dir.join("rules"),
        &code,
        NewKind::Setback,
        "river",
        30.0,
        None,
        Severity::Prohibited,
        lang,
    )?;
    // Two proposals, placed as the rule's cases were: one too near the river, one far enough.
    let proposals = json!({
        "type": "FeatureCollection",
        "crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::4546"}},
        "features": [
            proposal("P1", "Warehouse 15 m from the river", &cases[0]),
            proposal("P2", "School 90 m from the river", &cases[2]),
        ],
    });
    write_new(
        &dir.join("proposals.geojson"),
        &format!("{}\n", serde_json::to_string_pretty(&proposals)?),
    )?;
    write_new(&dir.join("README.md"), &project_readme(&name, &code, lang))?;
    match lang {
        Lang::En => println!(
            "created {}: ironrule.toml, zones/river.geojson, proposals.geojson, rules/pack.toml and rule {code} in {}\nnext: cd {} && ironrule check proposals.geojson && ironrule rules test",
            dir.display(),
            rule_dir.display(),
            dir.display()
        ),
        Lang::Zh => println!(
            "已创建 {}：ironrule.toml、zones/river.geojson、proposals.geojson、rules/pack.toml 及规则 {code}（{}）\n下一步：cd {} && ironrule check proposals.geojson && ironrule rules test",
            dir.display(),
            rule_dir.display(),
            dir.display()
        ),
    }
    Ok(0)
}

fn proposal(id: &str, name: &str, case: &Case) -> serde_json::Value {
    json!({
        "type": "Feature",
        "id": id,
        "properties": {"name": name},
        "geometry": polygon_json(&case.polygon),
    })
}

fn polygon_json(p: &geo::Polygon<f64>) -> serde_json::Value {
    let ring: Vec<[f64; 2]> = p.exterior().coords().map(|c| [c.x, c.y]).collect();
    json!({"type": "Polygon", "coordinates": [ring]})
}

fn project_readme(name: &str, code: &str, lang: Lang) -> String {
    let prefix = code.trim_end_matches(|c: char| c.is_ascii_digit());
    if lang == Lang::Zh {
        return format!(
            "# {name}\n\n\
由 `ironrule init` 创建的 ironrule 项目。其中的河道为示意数据：请用本地图层替换\n\
`zones/river.geojson`，并在 `ironrule.toml` 中列出。\n\n\
- `ironrule check proposals.geojson`：P1 距河道 15 米，违反 {code}（退出码 1）；P2 距 90 米。\n\
- `ironrule rules lint` 与 `ironrule rules test`：`rules/` 中的规则包无问题。\n\
- `ironrule rules new {prefix}102 --kind overlap --layer 图层名`：新建一条规则及其测试用例。\n\
- `ironrule rule {code}`：查看规则说明。\n"
        );
    }
    format!(
        "# {name}\n\n\
An ironrule project made by `ironrule init`. Its river is illustrative: replace\n\
`zones/river.geojson` with your own layers and list them in `ironrule.toml`.\n\n\
- `ironrule check proposals.geojson`: P1 is 15 m from the river and breaks {code}\n  (exit 1); P2 is 90 m away.\n\
- `ironrule rules lint` and `ironrule rules test`: the pack in `rules/` is clean.\n\
- `ironrule rules new {prefix}102 --kind overlap --layer LAYER`: a new rule with its fixtures.\n\
- `ironrule rule {code}`: a rule's documentation.\n",
        prefix = code.trim_end_matches(|c: char| c.is_ascii_digit())
    )
}

/// Writes a file that must not exist yet, creating its folder.
fn write_new(path: &Path, text: &str) -> Result<()> {
    if path.exists() {
        bail!("{} exists already; it was left as it is", path.display());
    }
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)
            .with_context(|| format!("cannot create {}", parent.display()))?;
    }
    std::fs::write(path, text).with_context(|| format!("cannot write {}", path.display()))
}

/// `ironrule rules new CODE --kind KIND --layer LAYER`.
pub fn rules_new(args: NewRuleArgs, lang: Lang) -> Result<u8> {
    // The pack: --pack, else the project's only one.
    let (pack_dir, project_path) = match args.packs.packs.as_slice() {
        [dir] => {
            let spec = crate::rules::load_pack(dir, None).map_err(crate::Error::Config)?;
            let project = spec.fixtures_project.clone().with_context(|| {
                format!(
                    "{}: pack.toml has no fixtures_project, so there are no zones to draw fixtures against",
                    dir.join("pack.toml").display()
                )
            })?;
            (dir.clone(), project)
        }
        [] => {
            let project = super::project(args.packs.project.as_ref())?;
            match project.rule_dirs.as_slice() {
                [dir] => (dir.clone(), project.path.clone()),
                dirs => bail!(
                    "the project has {} rule packs; name one with --pack DIR",
                    dirs.len()
                ),
            }
        }
        _ => bail!("give one --pack DIR: a new rule goes into one pack"),
    };
    let checker = Checker::with_packs(Project::load(&project_path)?, Vec::new())?;
    let (dir, _) = new_rule(
        &checker,
        &pack_dir,
        &args.code,
        args.kind,
        &args.layer,
        args.distance_m,
        args.name.as_deref(),
        args.severity,
        lang,
    )?;
    match lang {
        Lang::En => println!(
            "created {}: rule.toml, README.md and fixtures/cases.geojson (3 cases drawn against layer '{}')\nnext: edit them, then ironrule rules lint && ironrule rules test",
            dir.display(),
            args.layer
        ),
        Lang::Zh => println!(
            "已创建 {}：rule.toml、README.md 和 fixtures/cases.geojson（按图层 '{}' 绘制的 3 个用例）\n下一步：编辑后运行 ironrule rules lint && ironrule rules test",
            dir.display(),
            args.layer
        ),
    }
    Ok(0)
}

/// Writes the folder of a new rule into the pack at `pack_dir` and returns it, with the cases
/// drawn: rule.toml, README.md, README.zh.md and fixtures drawn against `layer` of
/// `checker`'s project.
#[allow(clippy::too_many_arguments)]
fn new_rule(
    checker: &Checker,
    pack_dir: &Path,
    code: &str,
    kind: NewKind,
    layer: &str,
    distance_m: f64,
    name: Option<&str>,
    severity: Severity,
    lang: Lang,
) -> Result<(PathBuf, Vec<Case>)> {
    // The pack as the loader reads it: a broken pack is refused here, with its errors.
    let pack = crate::rules::load_pack(pack_dir, None).map_err(crate::Error::Config)?;
    let prefix = &pack.code_prefix;
    let digits = code.strip_prefix(prefix.as_str()).unwrap_or("");
    if digits.is_empty() || !digits.chars().all(|c| c.is_ascii_digit()) {
        bail!("code '{code}' must be the pack's prefix {prefix} and digits, such as {prefix}102");
    }
    if let Some(rule) = pack
        .rules
        .iter()
        .find(|r| r.code.eq_ignore_ascii_case(code))
    {
        bail!(
            "{code} is taken by {}; codes are never reused",
            rule.dir.display()
        );
    }
    if let Some(taken) = std::fs::read_dir(pack_dir)?
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .find(|n| n == code || n.starts_with(&format!("{code}-")))
    {
        bail!(
            "{code} is taken: {} exists; codes are never reused",
            pack_dir.join(taken).display()
        );
    }
    let Some(zones) = checker.layers.get(layer) else {
        let known: Vec<&str> = checker.layers.keys().map(String::as_str).collect();
        bail!(
            "no layer '{layer}' in the fixtures project (its layers: {})",
            known.join(", ")
        );
    };
    if !(distance_m > 0.0 && distance_m.is_finite()) {
        bail!("--distance-m must be a positive number of metres, such as 30");
    }
    let slug = name.map(str::to_owned).unwrap_or_else(|| {
        let layer = layer.replace('_', "-").to_lowercase();
        match kind {
            // 12.5 m reads as 12-5m: a name is letters, digits and '-'.
            NewKind::Setback => format!(
                "building-within-{}m-of-{layer}",
                crate::model::fmt_num(distance_m).replace('.', "-")
            ),
            NewKind::Overlap => format!("building-in-{layer}"),
            NewKind::Within => format!("building-outside-{layer}"),
        }
    });
    let engine_kind = match kind {
        NewKind::Setback => Kind::Setback { distance_m },
        NewKind::Overlap => Kind::Overlap { min_area_m2: 1e-6 },
        NewKind::Within => Kind::Within,
    };
    let cases = scaffold::draw(zones, engine_kind).map_err(anyhow::Error::msg)?;
    let dir = pack_dir.join(format!("{code}-{slug}"));
    let mut toml = rule_toml(code, &slug, kind, layer, distance_m, severity, lang);
    // The schema line where the project keeps its schemas beside it (as `init` writes them).
    let project_dir = checker.project.path.parent().unwrap_or(Path::new(""));
    let schema = project_dir
        .join("schemas")
        .join(crate::schema::File::Rule.schema_name());
    if schema.exists() && pack_dir.parent() == Some(project_dir) {
        toml.insert_str(0, "#:schema ../../schemas/rule.schema.json\n");
    }
    // Refuse what lint would: the rule as written must load.
    crate::rules::pack::check_rule_text(&toml, prefix, Some(&checker.project.input_names()))
        .map_err(crate::Error::Config)?;
    write_new(&dir.join("rule.toml"), &toml)?;
    write_new(
        &dir.join("README.md"),
        &rule_readme(code, kind, layer, distance_m),
    )?;
    // Every rule has its README in both languages (`ironrule rule CODE --lang zh`).
    write_new(
        &dir.join("README.zh.md"),
        &rule_readme_zh(code, kind, layer, distance_m),
    )?;
    let epsg = checker.project.crs.epsg.unwrap_or(4326);
    let features: Vec<serde_json::Value> = cases
        .iter()
        .map(|c| {
            let mut props = json!({
                "name": c.name,
                "expect": if c.fires { vec![code] } else { Vec::new() },
            });
            if c.boundary {
                props["boundary"] = json!(true);
            }
            if let Some(t) = c.tolerance {
                props["tolerance"] = json!(t);
            }
            json!({"type": "Feature", "properties": props, "geometry": polygon_json(&c.polygon)})
        })
        .collect();
    let fixtures = json!({
        "type": "FeatureCollection",
        "name": format!("{code} fixtures"),
        "crs": {"type": "name", "properties": {"name": format!("urn:ogc:def:crs:EPSG::{epsg}")}},
        "features": features,
    });
    write_new(
        &dir.join("fixtures/cases.geojson"),
        &format!("{}\n", serde_json::to_string_pretty(&fixtures)?),
    )?;
    Ok((dir, cases))
}

fn rule_toml(
    code: &str,
    name: &str,
    kind: NewKind,
    layer: &str,
    distance_m: f64,
    severity: Severity,
    lang: Lang,
) -> String {
    let d = crate::model::fmt_num(distance_m);
    let zh = lang == Lang::Zh;
    let (summary, message, test, zh_summary, zh_message) = match kind {
        NewKind::Setback => (
            format!("No building within {d} m of the {layer} layer's zones"),
            "{feature} is {value} m from {zone} ({layer}); nothing may be built within {limit} m of it".to_owned(),
            format!(
                "kind = \"setback\"\nlayer = \"{layer}\"\n{}\ndistance_m = {d}",
                if zh { format!("# 含边界：恰好 {d} 米也触发。") } else { format!("# Inclusive: exactly {d} m fires.") }
            ),
            format!("禁止在{layer}图层要素 {d} 米范围内建设"),
            "{feature}距{zone}（{layer}）{value} 米；其 {limit} 米范围内禁止建设".to_owned(),
        ),
        NewKind::Overlap => (
            format!("No building inside the {layer} layer's zones"),
            "{feature} takes {value} m² of {zone} ({layer}); building there is prohibited".to_owned(),
            format!(
                "kind = \"overlap\"\nlayer = \"{layer}\"\n{}\n# min_area_m2 = 1",
                if zh { "# 可选：计入的最小面积，平方米（默认：大于 1 平方毫米即计入）。" } else { "# Optional: the least area that counts (default: any area above 1 mm²)." }
            ),
            format!("禁止在{layer}图层范围内建设"),
            "{feature}占用{zone}（{layer}）{value} 平方米；禁止在其中建设".to_owned(),
        ),
        NewKind::Within => (
            format!("No building outside the {layer} layer's zones"),
            "{feature} has {value} m² outside {layer}; building is allowed only inside it".to_owned(),
            format!("kind = \"within\"\nlayer = \"{layer}\""),
            format!("禁止在{layer}图层范围之外建设"),
            "{feature}有 {value} 平方米位于{layer}范围之外；只允许在其范围内建设".to_owned(),
        ),
    };
    if zh {
        return format!(
            r#"# {code}：由 `ironrule rules new` 生成。修改后运行 `ironrule rules lint`（一次列出全部
# 问题及行列号）和 `ironrule rules test`（运行 fixtures/ 中的测试用例）。

# 规则编号：规则包前缀加数字，永久不变。停用规则时设 status = "deprecated"，编号不得复用。
code = "{code}"
# 禁止事项：用 '-' 连接的词（可用中文，如 河道退让）。
name = "{name}"
# 一句话概述（英文），用于列表；中文概述见文末 [zh]。
summary = "{summary}"
# 严重程度：prohibited（禁止）| requires-approval（需审批）| requires-assessment（需评估）| notice（提示）
severity = "{severity}"
# 适用于哪些项目：对项目属性的 CQL2 条件；省略则适用于全部项目。
# applies_to = "land_use IN ('industrial', 'residential')"
# 发现问题时的说明（英文）：可用 {{feature}}、{{value}}、{{limit}}、{{unit}}、{{zone}}、{{layer}}、{{code}}。
message = "{message}"
# 顶层键须写在第一个 [表] 之前：写在其后的键属于该表。

# 本规则执行的法律法规：每条发现都会引用。
[citation]
instrument = "本规则依据的法律或法规（请替换）"
# article = "第二十六条"
# effective = "2021-03-01"
# url = "https://..."
confidence = "待核实：此为模板"

[test]
{test}

# 中文概述与说明（`--lang zh`），占位符与英文相同。
[zh]
summary = "{zh_summary}"
message = "{zh_message}"
"#,
            severity = severity.as_str(),
        );
    }
    format!(
        r#"# {code}, made by `ironrule rules new`. Edit it, then run `ironrule rules lint` (every
# problem at once, with file:line:col) and `ironrule rules test` (the fixtures in fixtures/).

# Permanent: the pack's prefix and digits. Never reuse a code; retire a rule with
# status = "deprecated" instead.
code = "{code}"
# What is prohibited: words joined by '-' (Chinese works too, such as 河道退让).
name = "{name}"
# One line for listings.
summary = "{summary}"
# prohibited | requires-approval | requires-assessment | notice
severity = "{severity}"
# Which proposals it applies to, in CQL2 over their attributes; absent: every proposal.
# applies_to = "land_use IN ('industrial', 'residential')"
# What a finding says: {{feature}}, {{value}}, {{limit}}, {{unit}}, {{zone}}, {{layer}}, {{code}}.
message = "{message}"
# Top-level keys go above the first [table]: below it, TOML reads them as the table's.

# The law it enforces: every finding quotes it.
[citation]
instrument = "The law or regulation this rule enforces (replace)"
# article = "Article 26"
# effective = "2021-03-01"
# url = "https://..."
confidence = "to check: this is a template"

[test]
{test}

# The summary and message in Chinese (`--lang zh`), with the same placeholders.
[zh]
summary = "{zh_summary}"
message = "{zh_message}"
"#,
        severity = severity.as_str(),
    )
}

fn rule_readme(code: &str, kind: NewKind, layer: &str, distance_m: f64) -> String {
    let d = crate::model::fmt_num(distance_m);
    let (forbids, test) = match kind {
        NewKind::Setback => (
            format!("Building within {d} m of a zone of the `{layer}` layer."),
            format!("`setback`: the least distance from the footprint to a `{layer}` zone is at most {d} m (inclusive); touching or lying inside is 0 m."),
        ),
        NewKind::Overlap => (
            format!("Building inside a zone of the `{layer}` layer."),
            format!("`overlap`: the footprint's interior meets a `{layer}` zone's interior; touching is not overlap."),
        ),
        NewKind::Within => (
            format!("Building outside the zones of the `{layer}` layer."),
            format!("`within`: part of the footprint lies outside the union of the `{layer}` zones; touching their edge from inside is within."),
        ),
    };
    format!(
        "# {code}\n\n\
## What it forbids\n\n{forbids}\n\n\
## Why\n\nWhat the rule protects, in a planner's words (replace).\n\n\
## Legal basis\n\nThe instrument and article in `rule.toml`'s `[citation]`, quoted here (replace).\n\n\
## Spatial test\n\n{test}\n\n\
## Example\n\n`fixtures/cases.geojson` holds a case that fires, one that does not, and one on the\n\
boundary, drawn against the project's `{layer}` layer by `ironrule rules new`.\n\n\
## Known limits\n\nWhat the test does not see (replace).\n"
    )
}

fn rule_readme_zh(code: &str, kind: NewKind, layer: &str, distance_m: f64) -> String {
    let d = crate::model::fmt_num(distance_m);
    let (forbids, test) = match kind {
        NewKind::Setback => (
            format!("在 `{layer}` 图层要素 {d} 米范围内建设。"),
            format!("`setback`：用地范围到 `{layer}` 要素的最短距离不超过 {d} 米（含边界）；相接、相交或位于其内为 0 米。"),
        ),
        NewKind::Overlap => (
            format!("在 `{layer}` 图层范围内建设。"),
            format!("`overlap`：用地范围内部与 `{layer}` 要素内部相交；仅边界相接不算。"),
        ),
        NewKind::Within => (
            format!("在 `{layer}` 图层范围之外建设。"),
            format!("`within`：用地范围有部分位于 `{layer}` 要素的并集之外；从内侧贴边不算。"),
        ),
    };
    format!(
        "# {code}\n\n\
## 禁止什么\n\n{forbids}\n\n\
## 为什么\n\n本规则保护什么，用规划人员的话说明（请替换）。\n\n\
## 法律依据\n\n`rule.toml` 中 `[citation]` 所列法律法规及条款，在此引述（请替换）。\n\n\
## 空间检验\n\n{test}\n\n\
## 示例\n\n`fixtures/cases.geojson` 中有一个触发的用例、一个不触发的用例和一个边界用例，\n\
由 `ironrule rules new` 按项目的 `{layer}` 图层绘制。\n\n\
## 已知局限\n\n本检验未能考虑的情形（请替换）。\n"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_of_new_rule_loads() {
        for kind in [NewKind::Setback, NewKind::Overlap, NewKind::Within] {
            for lang in [Lang::En, Lang::Zh] {
                let text = rule_toml(
                    "EX102",
                    "a-rule",
                    kind,
                    "river",
                    30.0,
                    Severity::Prohibited,
                    lang,
                );
                let rule =
                    crate::rules::pack::check_rule_text(&text, "EX", Some(&["river".to_owned()]))
                        .unwrap_or_else(|e| panic!("{kind:?}: {e:?}\n{text}"));
                assert_eq!(rule.code, "EX102");
            }
            let readme = rule_readme("EX102", kind, "river", 30.0);
            assert!(crate::engine::fixtures::missing_sections(&readme).is_empty());
        }
    }
}
