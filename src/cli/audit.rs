use super::FailOn;
use crate::audit::{self, Progress, DEFAULT_BATCH};

use crate::io::stream::Unit;
use crate::model::{noun, thousands};
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
    /// Folder for findings.csv, findings.geojsonl, diagnostics.csv, report.html and summary.json
    /// (created if missing; the files are replaced only when the audit completes).
    /// `--out` is the same option.
    #[arg(
        long = "output",
        short = 'o',
        visible_alias = "out",
        value_name = "DIR"
    )]
    pub out: PathBuf,
    /// Exit 1 when a finding is at or above this severity.
    #[arg(long, value_enum, default_value_t = FailOn::Prohibited)]
    pub fail_on: FailOn,
    /// Approvals (TOML `[[waiver]]` entries), as for `check`: a waived finding is written with
    /// status `waived` and does not fail the audit; expired and unused waivers are warnings in
    /// diagnostics.csv.
    #[arg(long, value_name = "FILE")]
    pub waivers: Option<PathBuf>,
    /// The date waivers are judged on (YYYY-MM-DD; default: today, UTC). An expiry date is
    /// valid through that day.
    #[arg(long, value_name = "DATE", requires = "waivers")]
    pub as_of: Option<String>,
    /// Findings already in this baseline (from `ironrule baseline write`) are written with
    /// status `baselined` and do not fail the audit; summary.json counts the entries no
    /// longer found as `fixed`.
    #[arg(long, value_name = "FILE")]
    pub baseline: Option<PathBuf>,
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

pub fn run(args: AuditArgs, lang: crate::model::Lang) -> Result<u8> {
    if args.out.exists() && !args.out.is_dir() {
        anyhow::bail!(
            "--output {}: is a file; --output names the folder the audit writes findings.csv, diagnostics.csv, report.html and summary.json into",
            args.out.display()
        );
    }
    for name in [
        "findings.csv",
        "findings.geojsonl",
        "diagnostics.csv",
        "report.html",
        "summary.json",
    ] {
        crate::io::atomic::refuse_input(
            &args.out.join(name),
            args.datasets
                .iter()
                .chain(args.waivers.iter())
                .chain(args.baseline.iter())
                .map(PathBuf::as_path),
        )
        .map_err(|e| anyhow::anyhow!(e))?;
    }
    let (checker, assume) = args.read.load(lang)?;
    let request = args.read.request(assume.as_ref());
    let approvals = match &args.waivers {
        Some(path) => {
            let today = match &args.as_of {
                Some(d) => {
                    crate::triage::Date::parse(d).map_err(|e| anyhow::anyhow!("--as-of: {e}"))?
                }
                None => crate::triage::Date::today(),
            };
            let codes: Vec<String> = checker.rules().map(|r| r.code.clone()).collect();
            let waivers = crate::triage::load_waivers(path, &codes)?;
            Some(crate::triage::Approvals::new(waivers, today))
        }
        None => None,
    };
    let baseline = args
        .baseline
        .as_ref()
        .map(|p| crate::triage::Baseline::load(p))
        .transpose()?;
    let known = baseline.as_ref().map(crate::triage::Known::new);
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
        audit::Excuses {
            approvals: approvals.as_ref(),
            baseline: known.as_ref(),
        },
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
    if let Some(old) = &outcome.removed {
        // Said even with --quiet: a file the user may have been looking at is gone.
        match lang {
            crate::model::Lang::En => eprintln!("note: removed {}, an earlier run's findings layer (this run wrote none: --findings-layer none)", old.display()),
            crate::model::Lang::Zh => eprintln!("注意：已删除上一次运行留下的发现图层 {}（本次未写图层：--findings-layer none）", old.display()),
        }
    }
    if !args.quiet {
        print!("{}", console_summary(&checker, &outcome, &args, lang));
    }
    Ok(outcome.exit_code(args.fail_on.severity()))
}

/// What `audit` prints when it is done, in `lang`: counts and rate, each rule's findings
/// (share rules: not evaluated), undetermined results, diagnostics, the files written.
fn console_summary(
    checker: &crate::engine::Checker,
    outcome: &audit::Outcome,
    args: &AuditArgs,
    lang: crate::model::Lang,
) -> String {
    use crate::model::Lang;
    use std::fmt::Write as _;
    let mut s = String::new();
    let rate = outcome.read as f64 / outcome.seconds.max(1e-9);
    let (read, checked, rejected) = (
        thousands(outcome.read),
        thousands(outcome.checked),
        thousands(outcome.rejected),
    );
    let (sources, seconds, rate) = (
        outcome.sources.len(),
        outcome.seconds,
        thousands(rate as usize),
    );
    let _ = match lang {
        Lang::En => writeln!(s, "audited {read} {} ({checked} checked, {rejected} rejected) from {} in {seconds:.2} s, {rate} features/s", noun(outcome.read, "feature", "features"), crate::model::count(sources, "source", "sources")),
        Lang::Zh => writeln!(s, "已审查 {read} 个要素（审查 {checked} 个，拒收 {rejected} 个），来自 {sources} 个数据源，用时 {seconds:.2} 秒，每秒 {rate} 个"),
    };
    for rule in checker.rules() {
        let sev = rule.severity.label(lang);
        if matches!(rule.test, crate::rules::Test::Share { .. }) {
            let _ = match lang {
                Lang::En => writeln!(s, "  {:<8} {sev:<19} {:>10}  {} (a share rule judges one submission's proposals together: run `check` on the submission)", rule.code, "not evaluated", rule.name),
                Lang::Zh => writeln!(s, "  {:<8} {sev:<19} {:>10}  {}（占比类规则对一次提交的项目合并判定：请对该提交运行 `check`）", rule.code, "未评估", rule.name),
            };
            continue;
        }
        let (nf, nx) = outcome.by_rule.get(&rule.code).copied().unwrap_or_default();
        let (findings, features) = (thousands(nf), thousands(nx));
        let _ = match lang {
            Lang::En => writeln!(
                s,
                "  {:<8} {sev:<19} {findings:>10} {} on {features:>10} {}  {}",
                rule.code,
                noun(nf, "finding ", "findings"),
                noun(nx, "feature ", "features"),
                rule.name
            ),
            Lang::Zh => writeln!(
                s,
                "  {:<8} {sev:<19} {findings:>10} 项发现，涉及 {features:>10} 个要素  {}",
                rule.code,
                rule.summary_in(lang)
            ),
        };
    }
    if outcome.undetermined > 0 {
        let n = thousands(outcome.undetermined);
        let _ = match lang {
            Lang::En => writeln!(s, "  undetermined: {n} of the findings are rules that could not be decided (status 'undetermined' in findings.csv): fix the attributes they name"),
            Lang::Zh => writeln!(s, "  无法判定：{n} 项发现为无法判定的规则（findings.csv 中 status 为 'undetermined'）：请补正其所列属性"),
        };
    }
    if args.baseline.is_some() {
        let (n, fixed) = (thousands(outcome.baselined), thousands(outcome.fixed));
        let _ = match lang {
            Lang::En => writeln!(s, "  baselined: {n} of the findings are in the baseline (status 'baselined') and fail nothing; {fixed} of its entries are no longer found (fixed)"),
            Lang::Zh => writeln!(s, "  基线内：{n} 项发现已在基线中（status 为 'baselined'），不计为不通过；基线中有 {fixed} 项已不再出现（已整改）"),
        };
    }
    if outcome.waived > 0 {
        let n = thousands(outcome.waived);
        let _ = match lang {
            Lang::En => writeln!(s, "  waived: {n} of the findings are covered by a valid waiver (status 'waived' in findings.csv) and fail nothing"),
            Lang::Zh => writeln!(s, "  已豁免：{n} 项发现有有效的豁免批文（findings.csv 中 status 为 'waived'），不计为不通过"),
        };
    }
    let (errors, warnings) = (thousands(outcome.errors), thousands(outcome.warnings));
    let _ = match lang {
        Lang::En => writeln!(
            s,
            "  diagnostics: {errors} {}, {warnings} {} (diagnostics.csv)",
            noun(outcome.errors, "error", "errors"),
            noun(outcome.warnings, "warning", "warnings")
        ),
        Lang::Zh => writeln!(
            s,
            "  输入问题：{errors} 个错误，{warnings} 个警告（diagnostics.csv）"
        ),
    };
    let layer = match (args.findings_layer, lang) {
        (LayerFormat::Geojsonl, Lang::En) => " findings.geojsonl,",
        (LayerFormat::Geojsonl, Lang::Zh) => "findings.geojsonl、",
        (LayerFormat::None, _) => "",
    };
    let out = args.out.display();
    let _ = match lang {
        Lang::En => writeln!(
            s,
            "wrote findings.csv,{layer} diagnostics.csv, report.html and summary.json to {out}"
        ),
        Lang::Zh => writeln!(
            s,
            "已写入 findings.csv、{layer}diagnostics.csv、report.html 和 summary.json 至 {out}"
        ),
    };
    s
}
