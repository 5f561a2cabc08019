//! The command line: clap definitions and one handler per subcommand. Handlers return an
//! exit code; errors become exit code 2 with a message that names the culprit.

/// `ironrule audit`.
pub mod audit;
/// `ironrule baseline write`.
pub mod baseline;
/// `ironrule check`.
pub mod check;
/// `ironrule dem info|slope`.
pub mod dem;
/// `ironrule indicators`.
pub mod indicators;
/// `ironrule init` and `ironrule rules new`.
pub mod init;
/// `ironrule rule CODE` and `ironrule rules list|test`.
pub mod rules;
/// `ironrule serve`.
pub mod serve;

use crate::model::{Lang, Severity};
use crate::project::Project;
use anyhow::{Context, Result};
use clap::{Parser, Subcommand, ValueEnum};
use std::ffi::OsString;
use std::path::PathBuf;
use std::process::ExitCode;

/// Check proposed construction against a city's ecological negative list.
#[derive(Debug, Parser)]
#[command(name = "ironrule", version, about, long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
    /// The language of messages and of the text and HTML reports: zh (简体中文) or en;
    /// default: from LC_ALL, LC_MESSAGES or LANG (zh_CN.UTF-8 → zh), else en.
    #[arg(long, global = true, value_enum, value_name = "LANG")]
    pub lang: Option<Lang>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Start a project: ironrule.toml, a zone layer, proposals, and a pack with one rule whose
    /// fixtures pass `rules lint` and `rules test` as written.
    Init(init::InitArgs),
    /// Check proposal files against the project's rules; exit 0 clean, 1 findings, 2 input error.
    Check(check::CheckArgs),
    /// Sweep whole datasets (millions of parcels): streamed, parallel, with progress; writes
    /// findings.csv, findings.geojsonl, diagnostics.csv, report.html and summary.json to --output.
    Audit(audit::AuditArgs),
    /// The packs' indicators per district, before and after the proposals, against their
    /// targets; exit 1 when the proposals break a target.
    Indicators(indicators::IndicatorsArgs),
    /// Record the current findings, so that `check --baseline` fails only on new ones.
    #[command(subcommand)]
    Baseline(baseline::BaselineCommand),
    /// The project's elevation models: what they are, and the slope the terrain rules see.
    #[command(subcommand)]
    Dem(dem::DemCommand),
    /// Print a rule's documentation: what it forbids, why, legal basis, test, limits.
    Rule(rules::RuleArgs),
    /// Rule packs: list their rules, lint them (every problem with file:line:col), or run
    /// their fixtures (test).
    #[command(subcommand)]
    Rules(rules::RulesCommand),
    /// Serve the project over HTTP: the map page at /, and the API (POST /v1/check answers
    /// what `check` prints; GET /openapi.json describes it). Listens on 127.0.0.1:8080.
    Serve(serve::ServeArgs),
}

/// The lowest severity that makes `check` exit 1.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum FailOn {
    Notice,
    RequiresAssessment,
    RequiresApproval,
    Prohibited,
    /// Never exit 1 for findings (input errors still exit 2).
    Never,
}

impl FailOn {
    pub fn severity(self) -> Option<Severity> {
        match self {
            FailOn::Notice => Some(Severity::Notice),
            FailOn::RequiresAssessment => Some(Severity::RequiresAssessment),
            FailOn::RequiresApproval => Some(Severity::RequiresApproval),
            FailOn::Prohibited => Some(Severity::Prohibited),
            FailOn::Never => None,
        }
    }
}

/// Finds the project: `--project`, else `ironrule.toml` in the working directory or a parent.
pub(crate) fn project(explicit: Option<&PathBuf>) -> Result<Project> {
    let path = match explicit {
        Some(p) => p.clone(),
        None => {
            let cwd = std::env::current_dir().context("cannot read the working directory")?;
            Project::discover(&cwd).with_context(|| {
                format!(
                    "no {} in {} or any parent; pass --project FILE",
                    crate::project::FILE_NAME,
                    cwd.display()
                )
            })?
        }
    };
    Ok(Project::load(&path)?)
}

/// Parses `args` and runs the command.
pub fn run<I, T>(args: I) -> ExitCode
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    let cli = match Cli::try_parse_from(args) {
        Ok(c) => c,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() { 2 } else { 0 });
        }
    };
    let lang = cli.lang.unwrap_or_else(Lang::from_env);
    let result = match cli.command {
        Command::Init(args) => init::init(args, lang),
        Command::Check(args) => check::run(args, lang),
        Command::Audit(args) => audit::run(args, lang),
        Command::Indicators(args) => indicators::run(args, lang),
        Command::Baseline(cmd) => baseline::run(cmd, lang),
        Command::Dem(cmd) => dem::run(cmd),
        Command::Rule(args) => rules::rule(args, lang),
        Command::Rules(cmd) => rules::run(cmd, lang),
        Command::Serve(args) => serve::run(args),
    };
    match result {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}
