use crate::engine::fixtures::{run_pack, Verdict};
use crate::engine::Checker;
use crate::model::Lang;
use crate::rules::{load_pack, Pack, Rule};
use anyhow::{bail, Result};
use clap::{Args, Subcommand, ValueEnum};
use serde_json::json;
use std::path::PathBuf;

#[derive(Debug, Args)]
pub struct RuleArgs {
    /// The rule's code, e.g. YC101.
    pub code: String,
    #[command(flatten)]
    pub packs: PackArgs,
}

#[derive(Debug, Args)]
pub struct PackArgs {
    /// The project file whose packs to use; default: ironrule.toml here or in a parent.
    #[arg(long, short = 'p', value_name = "FILE")]
    pub project: Option<PathBuf>,
    /// Use these pack folders instead of the project's.
    #[arg(long = "pack", value_name = "DIR")]
    pub packs: Vec<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum RulesCommand {
    /// List every rule: code, severity, name, test, citation.
    List {
        #[command(flatten)]
        packs: PackArgs,
        #[arg(long, short = 'f', value_enum, default_value_t = ListFormat::Text)]
        format: ListFormat,
    },
    /// Run every rule's fixtures; fails on any unexpected or missing finding.
    Test {
        #[command(flatten)]
        packs: PackArgs,
    },
    /// A new rule in a pack: rule.toml, README.md and fixtures drawn against the layer's
    /// zones (a case that fires, one that does not, one on the boundary).
    New(super::init::NewRuleArgs),
    /// Report every problem of the packs with file:line:col, without running them: syntax,
    /// unknown layers, duplicate codes, thresholds without units, README sections, fixtures.
    Lint {
        #[command(flatten)]
        packs: PackArgs,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ListFormat {
    Text,
    Json,
}

fn packs(args: &PackArgs) -> Result<Vec<Pack>> {
    if !args.packs.is_empty() {
        let mut out = Vec::new();
        let mut errors = Vec::new();
        for dir in &args.packs {
            match load_pack(dir, None) {
                Ok(p) => out.push(p),
                Err(mut e) => errors.append(&mut e),
            }
        }
        if !errors.is_empty() {
            return Err(crate::Error::Config(errors).into());
        }
        return Ok(out);
    }
    let project = super::project(args.project.as_ref())?;
    Ok(Checker::load(project)?.packs)
}

pub fn rule(args: RuleArgs, lang: Lang) -> Result<u8> {
    let packs = packs(&args.packs)?;
    let Some((pack, rule)) = packs.iter().find_map(|p| {
        p.rules
            .iter()
            .find(|r| r.code.eq_ignore_ascii_case(&args.code))
            .map(|r| (p, r))
    }) else {
        let known: Vec<&str> = packs
            .iter()
            .flat_map(|p| p.rules.iter().map(|r| r.code.as_str()))
            .collect();
        bail!("no rule {} (known: {})", args.code, known.join(", "));
    };
    print!("{}", describe(pack, rule, lang));
    Ok(0)
}

/// A rule's header and README, as `ironrule rule CODE` prints it, in `lang` (the rule's
/// `[zh]` summary and README.zh.md for Chinese, where it has them).
pub fn describe(pack: &Pack, rule: &Rule, lang: Lang) -> String {
    let t = |en, zh| lang.pick(en, zh);
    let mut s = format!(
        "{} {} ({}, {})\n",
        rule.code,
        rule.name,
        rule.severity.label(lang),
        rule.status.as_str()
    );
    s.push_str(&format!("  {}\n", rule.summary_in(lang)));
    s.push_str(&format!(
        "  {}{} {} ({})\n",
        t("pack: ", "规则包："),
        pack.id,
        pack.version,
        pack.title
    ));
    s.push_str(&format!(
        "  {}{}\n",
        t("applies to: ", "适用于："),
        rule.applies_to_text
            .as_deref()
            .unwrap_or(t("every proposal", "所有项目"))
    ));
    s.push_str(&format!(
        "  {}{} {} {}: {}\n",
        t("test: ", "检验："),
        rule.test.kind(),
        t("against", "对照"),
        rule.test.against(),
        rule.test.threshold()
    ));
    s.push_str(&format!(
        "  {}{}\n",
        t("law: ", "法律依据："),
        rule.citation
    ));
    if let Some(url) = &rule.citation.url {
        s.push_str(&format!("  url: {url}\n"));
    }
    if let Some(readme) = rule.readme_in(lang) {
        s.push('\n');
        s.push_str(&readme);
        if !readme.ends_with('\n') {
            s.push('\n');
        }
    }
    s
}

pub fn run(cmd: RulesCommand, lang: Lang) -> Result<u8> {
    match cmd {
        RulesCommand::List {
            packs: args,
            format,
        } => {
            let packs = packs(&args)?;
            match format {
                ListFormat::Text => {
                    for pack in &packs {
                        println!("{} {} — {}", pack.id, pack.version, pack.title);
                        for r in &pack.rules {
                            println!(
                                "  {:<7} {:<20} {:<9} {}",
                                r.code,
                                r.severity.as_str(),
                                r.test.kind(),
                                r.summary_in(lang)
                            );
                        }
                    }
                }
                ListFormat::Json => {
                    let rules: Vec<_> = packs
                        .iter()
                        .flat_map(|p| {
                            p.rules.iter().map(move |r| {
                                json!({
                                    "code": r.code, "name": r.name, "summary": r.summary,
                                    "summary_zh": r.summary_zh,
                                    "severity": r.severity, "status": r.status, "pack": p.id,
                                    "applies_to": r.applies_to_text,
                                    "test": {"kind": r.test.kind(), "layers": r.test.layers(), "threshold": r.test.threshold()},
                                    "citation": r.citation,
                                })
                            })
                        })
                        .collect();
                    println!("{}", serde_json::to_string_pretty(&rules)?);
                }
            }
            Ok(0)
        }
        RulesCommand::New(args) => super::init::rules_new(args, lang),
        RulesCommand::Lint { packs: args } => {
            // The project's packs against the project's layers; --pack folders against the
            // layers of their own fixtures project.
            let targets: Vec<(PathBuf, Option<Vec<String>>)> = if args.packs.is_empty() {
                let project = super::project(args.project.as_ref())?;
                let layers = project.input_names();
                project
                    .rule_dirs
                    .iter()
                    .map(|d| (d.clone(), Some(layers.clone())))
                    .collect()
            } else {
                args.packs
                    .iter()
                    .map(|d| (d.clone(), crate::engine::lint::fixture_layers(d)))
                    .collect()
            };
            let mut problems = 0;
            for (dir, layers) in &targets {
                for d in crate::engine::lint::lint(dir, layers.as_deref()) {
                    println!("{d}");
                    problems += 1;
                }
            }
            println!(
                "rules lint: {}, {}",
                crate::model::count(targets.len(), "pack", "packs"),
                crate::model::count(problems, "problem", "problems")
            );
            Ok(if problems == 0 { 0 } else { 1 })
        }
        RulesCommand::Test { packs: args } => {
            let packs = packs(&args)?;
            let (mut passed, mut failed, mut gaps) = (0, 0, 0);
            for pack in &packs {
                let report = run_pack(pack)?;
                println!(
                    "pack {} ({})",
                    pack.id,
                    crate::model::count(pack.rules.len(), "rule", "rules")
                );
                for rule in &pack.rules {
                    let mine: Vec<_> = report
                        .outcomes
                        .iter()
                        .filter(|o| o.rule == rule.code)
                        .collect();
                    let bad: Vec<_> = mine.iter().filter(|o| o.verdict == Verdict::Fail).collect();
                    let status = if bad.is_empty() { "ok" } else { "FAILED" };
                    println!(
                        "  {} {:<48} {} {status}",
                        rule.code,
                        rule.name,
                        crate::model::count(mine.len(), "fixture check", "fixture checks")
                    );
                    for o in bad {
                        println!("    FAIL {} #{} {}: {}", o.file, o.index, o.label, o.detail);
                    }
                    for o in mine.iter().filter(|o| o.verdict == Verdict::KnownGap) {
                        println!(
                            "    known gap: {} #{} {}: {}",
                            o.file, o.index, o.label, o.detail
                        );
                    }
                }
                for p in &report.problems {
                    println!("  FAIL {p}");
                }
                passed += report.passed();
                failed += report.failed();
                gaps += report.gaps();
            }
            println!("rules test: {passed} passed, {failed} failed, {gaps} known gaps");
            Ok(if failed == 0 { 0 } else { 1 })
        }
    }
}
