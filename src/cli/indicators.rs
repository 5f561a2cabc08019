use super::check::ReadArgs;
use crate::io::atomic::write_atomic;
use crate::model::{Lang, Level};
use anyhow::{Context, Result};
use clap::{Args, ValueEnum};
use std::io::Write;
use std::path::PathBuf;

/// How `ironrule indicators` reports.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum IndicatorFormat {
    Text,
    Json,
    Csv,
    /// A self-contained page with a bar chart per indicator.
    Html,
}

#[derive(Debug, Args)]
pub struct IndicatorsArgs {
    /// Proposal files: the indicators after they are built. Without any, the city as it is.
    #[arg(value_name = "PROPOSALS")]
    pub proposals: Vec<PathBuf>,
    #[command(flatten)]
    pub read: ReadArgs,
    /// Output format.
    #[arg(long, short = 'f', value_enum, default_value_t = IndicatorFormat::Text)]
    pub format: IndicatorFormat,
    /// Write the report to FILE (atomically) instead of standard output. `--out` is the
    /// same option.
    #[arg(long, short = 'o', visible_alias = "out", value_name = "FILE")]
    pub output: Option<PathBuf>,
}

/// Exit 0 when no target is broken by the proposals, 1 when one is (or a proposal an
/// indicator's filter cannot decide), 2 when the input is at fault.
pub fn run(args: IndicatorsArgs, lang: Lang) -> Result<u8> {
    let (checker, assume) = args.read.load(lang)?;
    if checker.packs.iter().all(|p| p.indicators.is_empty()) {
        anyhow::bail!(
            "the project's packs declare no indicators: add {} beside a pack.toml",
            crate::rules::indicators::FILE_NAME
        );
    }
    if let Some(out) = &args.output {
        let mut inputs: Vec<PathBuf> = args.proposals.clone();
        inputs.extend(checker.project.layers.iter().map(|l| l.path.clone()));
        inputs.push(checker.project.path.clone());
        crate::io::atomic::refuse_input(out, inputs.iter().map(PathBuf::as_path))
            .map_err(|e| anyhow::anyhow!(e))?;
    }
    let request = args.read.request(assume.as_ref());
    let mut sources = Vec::new();
    let mut diagnostics = checker.diagnostics.clone();
    diagnostics.extend(checker.district_overlaps());
    for path in &args.proposals {
        match checker.check_source(path, &request) {
            Ok(s) => {
                diagnostics.extend(s.diagnostics.iter().cloned());
                sources.push(s);
            }
            Err(e) => diagnostics.push(crate::model::Diagnostic::error(
                path.display().to_string(),
                e.to_string(),
            )),
        }
    }
    let all: Vec<&crate::engine::Checked<'_>> =
        sources.iter().flat_map(|s| s.items.iter()).collect();
    let results = checker.indicators(&all)?;
    let sheet = crate::report::indicators::Sheet {
        title: checker.project.name.as_deref().unwrap_or("ironrule"),
        indicators: &results,
        sources: sources.iter().map(|s| s.name.clone()).collect(),
        proposals: all.len(),
        lang,
        diagnostics: &diagnostics,
    };
    use crate::report::indicators as r;
    let text = match args.format {
        IndicatorFormat::Text => r::text(&sheet),
        IndicatorFormat::Json => r::json(&sheet),
        IndicatorFormat::Csv => r::csv(&sheet),
        IndicatorFormat::Html => r::html(&sheet),
    };
    match &args.output {
        Some(path) => {
            write_atomic(path, text.as_bytes())
                .with_context(|| format!("cannot write {}", path.display()))?;
            eprintln!("{} {}", lang.pick("wrote", "已写入"), path.display());
        }
        None => std::io::stdout().write_all(text.as_bytes())?,
    }
    for d in &diagnostics {
        eprintln!("{d}");
    }
    // A proposal that could not be read leaves the "after" incomplete: the input is at fault.
    if diagnostics.iter().any(|d| d.level == Level::Error) {
        return Ok(2);
    }
    Ok(u8::from(results.iter().any(|i| i.fails())))
}
