use super::FailOn;
use crate::audit::{self, Progress, DEFAULT_BATCH};

use crate::io::stream::Unit;
use anyhow::{Context, Result};
use clap::Args;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};

#[derive(Debug, Args)]
pub struct AuditArgs {
    /// Datasets to sweep: GeoParquet, FlatGeobuf, GeoJSON, GeoJSON sequences (streamed);
    /// Shapefile, GeoPackage (read whole, checked in batches);
    /// any OGR format with the `gdal` feature (read whole).
    #[arg(required = true, value_name = "DATASET")]
    pub datasets: Vec<PathBuf>,
    #[command(flatten)]
    pub read: super::check::ReadArgs,
    /// Folder for findings.csv, findings.geojsonl, diagnostics.csv and summary.json
    /// (created if missing; the files are replaced only when the audit completes).
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// Exit 1 when a finding is at or above this severity.
    #[arg(long, value_enum, default_value_t = FailOn::Prohibited)]
    pub fail_on: FailOn,
    /// Features per batch (memory grows with it; throughput barely does past 10,000).
    #[arg(long, default_value_t = DEFAULT_BATCH as u64, value_name = "N",
          value_parser = clap::value_parser!(u64).range(1..=10_000_000))]
    pub batch_size: u64,
    /// The findings layer: `geojsonl` writes findings.geojsonl (the offending part of each
    /// finding, WGS 84); `none` skips it (findings.csv only, about half the time on a
    /// million parcels).
    #[arg(long, value_enum, default_value_t = LayerFormat::Geojsonl, value_name = "FORMAT")]
    pub findings_layer: LayerFormat,
    /// No progress bar and no summary on standard output.
    #[arg(long, short = 'q')]
    pub quiet: bool,
    /// Start findings.csv and diagnostics.csv with a UTF-8 byte-order mark, for Excel on
    /// Chinese Windows.
    #[arg(long)]
    pub csv_bom: bool,
}

/// Formats of the findings layer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum LayerFormat {
    Geojsonl,
    None,
}

/// Set by Ctrl-C; the audit stops at the next batch.
static STOP: AtomicBool = AtomicBool::new(false);

/// A progress bar on standard error, drawn only on a terminal.
struct Bar {
    bar: Option<ProgressBar>,
    enabled: bool,
}

impl Progress for Bar {
    fn start(&mut self, source: &str, total: Option<u64>, unit: Unit) {
        if !self.enabled {
            return;
        }
        let template = match unit {
            Unit::Bytes => {
                "{prefix} [{bar:30}] {bytes}/{total_bytes} ({bytes_per_sec}, ETA {eta}) {msg}"
            }
            Unit::Features => {
                "{prefix} [{bar:30}] {human_pos}/{human_len} features ({per_sec}, ETA {eta}) {msg}"
            }
        };
        let bar = ProgressBar::with_draw_target(total, ProgressDrawTarget::stderr_with_hz(4))
            .with_style(
                ProgressStyle::default_bar()
                    .template(template)
                    .expect("a valid template")
                    .progress_chars("=> "),
            );
        let short = std::path::Path::new(source)
            .file_name()
            .map_or(source.to_owned(), |n| n.to_string_lossy().into_owned());
        bar.set_prefix(short);
        self.bar = Some(bar);
    }

    fn advance(&mut self, done: u64, features: u64, findings: u64) {
        if let Some(b) = &self.bar {
            b.set_position(done);
            b.set_message(format!("{features} read, {findings} findings"));
        }
    }

    fn finish(&mut self) {
        if let Some(b) = self.bar.take() {
            b.finish_and_clear();
        }
    }
}

fn thousands(n: usize) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

pub fn run(args: AuditArgs) -> Result<u8> {
    let (checker, assume) = args.read.load()?;
    let request = args.read.request(assume.as_ref());
    // A second Ctrl-C ends the process at once.
    let _ = ctrlc::set_handler(|| {
        if STOP.swap(true, Ordering::SeqCst) {
            std::process::exit(130);
        }
    });
    let mut bar = Bar {
        bar: None,
        enabled: !args.quiet && std::io::stderr().is_terminal(),
    };
    let outcome = audit::run(
        &checker,
        &args.datasets,
        &request,
        &args.out,
        audit::Settings {
            batch: args.batch_size as usize,
            layer: args.findings_layer == LayerFormat::Geojsonl,
            csv_bom: args.csv_bom,
        },
        &mut bar,
        &STOP,
    )
    .with_context(|| format!("audit into {}", args.out.display()))?;
    if outcome.interrupted {
        eprintln!(
            "interrupted after {} features; no output was written to {}",
            thousands(outcome.read),
            args.out.display()
        );
        return Ok(130);
    }
    for s in &outcome.sources {
        if let Some(e) = &s.error {
            eprintln!("error: {e}");
        }
    }
    if !args.quiet {
        let rate = outcome.read as f64 / outcome.seconds.max(1e-9);
        println!(
            "audited {} features ({} checked, {} rejected) from {} source(s) in {:.2} s, {} features/s",
            thousands(outcome.read),
            thousands(outcome.checked),
            thousands(outcome.rejected),
            outcome.sources.len(),
            outcome.seconds,
            thousands(rate as usize),
        );
        for rule in checker.rules() {
            if matches!(rule.test, crate::rules::Test::Share { .. }) {
                println!(
                    "  {:<8} {:<19} {:>10}  {} (a share rule judges one submission's proposals together: run `check` on the submission)",
                    rule.code,
                    rule.severity.as_str(),
                    "not evaluated",
                    rule.name
                );
                continue;
            }
            let (findings, features) = outcome.by_rule.get(&rule.code).copied().unwrap_or_default();
            println!(
                "  {:<8} {:<19} {:>10} findings on {:>10} features  {}",
                rule.code,
                rule.severity.as_str(),
                thousands(findings),
                thousands(features),
                rule.name
            );
        }
        if outcome.undetermined > 0 {
            println!(
                "  undetermined: {} of the findings are rules that could not be decided (status 'undetermined' in findings.csv): fix the attributes they name",
                thousands(outcome.undetermined)
            );
        }
        println!(
            "  diagnostics: {} errors, {} warnings (diagnostics.csv)",
            thousands(outcome.errors),
            thousands(outcome.warnings)
        );
        let layer = match args.findings_layer {
            LayerFormat::Geojsonl => " findings.geojsonl,",
            LayerFormat::None => "",
        };
        println!(
            "wrote findings.csv,{layer} diagnostics.csv and summary.json to {}",
            args.out.display()
        );
    }
    Ok(outcome.exit_code(args.fail_on.severity()))
}
