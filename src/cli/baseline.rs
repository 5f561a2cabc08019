use super::check::{checked, InputArgs};
use crate::io::atomic::write_atomic;
use anyhow::{Context, Result};
use clap::{Args, Subcommand};
use std::path::PathBuf;

#[derive(Debug, Subcommand)]
pub enum BaselineCommand {
    /// Check the proposals and record every finding in FILE, for `check --baseline FILE`.
    Write(WriteArgs),
}

#[derive(Debug, Args)]
pub struct WriteArgs {
    #[command(flatten)]
    pub input: InputArgs,
    /// The baseline file to write (JSON, atomically).
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: PathBuf,
}

pub fn run(cmd: BaselineCommand, lang: crate::model::Lang) -> Result<u8> {
    match cmd {
        BaselineCommand::Write(args) => {
            let (_, report) = checked(&args.input, lang, false)?;
            for d in &report.diagnostics {
                eprintln!("{d}");
            }
            // A baseline of an input that could not be read whole would hide what it missed.
            if report.exit_code(None) == 2 {
                anyhow::bail!("input errors (above): no baseline written");
            }
            let baseline = crate::triage::Baseline::of(&report.findings);
            let text = serde_json::to_string_pretty(&baseline)?;
            write_atomic(&args.output, text.as_bytes())
                .with_context(|| format!("cannot write {}", args.output.display()))?;
            eprintln!(
                "recorded {} in {}",
                crate::model::count(baseline.findings.len(), "finding", "findings"),
                args.output.display()
            );
            Ok(0)
        }
    }
}
