use super::FailOn;
use crate::crs::Crs;
use crate::engine::{Checker, ReadRequest};
use crate::io::atomic::write_atomic;
use crate::model::Lang;
use crate::report::{Format, Style};
use crate::triage::Date;
use anyhow::{Context, Result};
use clap::Args;
use std::io::Write;
use std::path::PathBuf;

/// How to find the project and read proposal files (shared by `check`, `baseline write` and
/// `audit`).
#[derive(Debug, Args)]
pub struct ReadArgs {
    /// The project file; default: ironrule.toml in the working directory or a parent.
    #[arg(long, short = 'p', value_name = "FILE")]
    pub project: Option<PathBuf>,
    /// CRS of files that do not declare one (e.g. EPSG:4490, EPSG:4546); GeoJSON without a
    /// `crs` member is otherwise WGS 84 (RFC 7946).
    #[arg(long, value_name = "CRS")]
    pub assume_crs: Option<String>,
    /// Attribute holding each feature's id; default: the feature id (the row number for
    /// FlatGeobuf, GeoParquet and Shapefile, the fid for GeoPackage).
    #[arg(long, value_name = "FIELD")]
    pub id_field: Option<String>,
    /// The layer to read from multi-layer sources (GeoPackage, FileGDB, DXF...).
    #[arg(long, value_name = "NAME")]
    pub layer: Option<String>,
    /// Repair invalid polygons (self-intersections, unclosed rings) with geo's MakeValid
    /// instead of rejecting them; each repair is reported as a warning.
    #[arg(long)]
    pub repair: bool,
    /// Text encoding of Shapefile attributes (GBK, GB18030, UTF-8, BIG5...), over the
    /// `.cpg` file; without either, GBK when the dBase header says so, else UTF-8.
    #[arg(long, value_name = "NAME")]
    pub encoding: Option<String>,
}

impl ReadArgs {
    /// The checker for the project, and `--assume-crs` parsed.
    pub(crate) fn load(&self, lang: Lang) -> Result<(Checker, Option<Crs>)> {
        let project = super::project(self.project.as_ref())?;
        let assume = self
            .assume_crs
            .as_deref()
            .map(Crs::parse)
            .transpose()
            .context("--assume-crs")?;
        let mut checker = Checker::load(project)?;
        checker.lang = lang;
        Ok((checker, assume))
    }

    /// The reading options, with `assume` from [`ReadArgs::load`].
    pub(crate) fn request<'a>(&'a self, assume: Option<&'a Crs>) -> ReadRequest<'a> {
        ReadRequest {
            assume_crs: assume,
            id_field: self.id_field.as_deref(),
            layer: self.layer.as_deref(),
            repair: self.repair,
            encoding: self.encoding.as_deref(),
            all_attributes: false,
        }
    }
}

/// What to check and how to read it (shared by `check` and `baseline write`).
#[derive(Debug, Args)]
pub struct InputArgs {
    /// Proposal files: GeoJSON, FlatGeobuf, GeoParquet, Shapefile, GeoPackage; any OGR format
    /// with the `gdal` feature.
    #[arg(required = true, value_name = "PROPOSALS")]
    pub proposals: Vec<PathBuf>,
    #[command(flatten)]
    pub read: ReadArgs,
    /// Approvals (TOML `[[waiver]]` entries): a waived finding is reported as waived and
    /// does not fail the run; expired and unused waivers are warnings.
    #[arg(long, value_name = "FILE")]
    pub waivers: Option<PathBuf>,
    /// The date waivers are judged on (YYYY-MM-DD; default: today, UTC). An expiry date is
    /// valid through that day.
    #[arg(long, value_name = "DATE")]
    pub as_of: Option<String>,
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    #[command(flatten)]
    pub input: InputArgs,
    /// Output format.
    #[arg(long, short = 'f', value_enum, default_value_t = crate::report::Format::Text)]
    pub format: Format,
    /// Write the report to FILE (atomically) instead of standard output. `--out` is the
    /// same option.
    #[arg(long, short = 'o', visible_alias = "out", value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Exit 1 when a finding is at or above this severity.
    #[arg(long, value_enum, default_value_t = FailOn::Prohibited)]
    pub fail_on: FailOn,
    /// Findings already in this baseline (from `ironrule baseline write`) are reported as
    /// baselined and do not fail the run; entries no longer found are reported as fixed.
    #[arg(long, value_name = "FILE")]
    pub baseline: Option<PathBuf>,
    /// Print nothing on standard output (the exit code and standard error still tell).
    #[arg(long, short = 'q')]
    pub quiet: bool,
    /// Colour in text output: auto (a terminal, and NO_COLOR unset), always, never.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto, value_name = "WHEN")]
    pub color: ColorChoice,
    /// Start CSV with a UTF-8 byte-order mark, so that Excel on Chinese Windows reads the
    /// Chinese names as UTF-8 (without it, Excel assumes GBK and shows mojibake).
    #[arg(long)]
    pub csv_bom: bool,
}

/// When to colour text output.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

impl ColorChoice {
    fn enabled(self, to_terminal: bool) -> bool {
        match self {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => {
                to_terminal && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
            }
        }
    }
}

/// Reads and checks the proposals and applies the waivers: the report `check` and
/// `baseline write` start from (with the map for `--format html`).
pub(crate) fn checked(
    input: &InputArgs,
    lang: Lang,
    map: bool,
) -> Result<(Checker, crate::report::Report)> {
    let (checker, assume) = input.read.load(lang)?;
    let today = match &input.as_of {
        Some(d) => Date::parse(d).map_err(|e| anyhow::anyhow!("--as-of: {e}"))?,
        None => Date::today(),
    };
    let waivers = match &input.waivers {
        Some(path) => {
            let codes: Vec<String> = checker.rules().map(|r| r.code.clone()).collect();
            crate::triage::load_waivers(path, &codes)?
        }
        None => Vec::new(),
    };
    let request = input.read.request(assume.as_ref());
    let mut report = crate::report::build::check_files(&checker, &input.proposals, &request, map);
    if input.waivers.is_some() {
        let warnings = crate::triage::apply_waivers(&mut report.findings, &waivers, today);
        report.diagnostics.extend(warnings);
        report.summary.recount_triage(&report.findings);
    }
    Ok((checker, report))
}

pub fn run(args: CheckArgs, lang: Lang) -> Result<u8> {
    if args.format == Format::Gpkg && args.output.is_none() {
        anyhow::bail!("--format gpkg writes a binary file: give --output FILE.gpkg");
    }
    let baseline = args
        .baseline
        .as_ref()
        .map(|p| crate::triage::Baseline::load(p))
        .transpose()?;
    if let Some(out) = &args.output {
        refuse_inputs(out, &args.input, args.baseline.as_deref())?;
    }
    let (_, mut report) = checked(&args.input, lang, args.format == Format::Html)?;
    if let Some(b) = &baseline {
        report.fixed = b.apply(&mut report.findings);
        report.baseline_used = true;
        report.summary.fixed = report.fixed.len();
        report.summary.recount_triage(&report.findings);
    }

    use std::io::IsTerminal;
    let style = Style {
        color: args.output.is_none() && args.color.enabled(std::io::stdout().is_terminal()),
        csv_bom: args.csv_bom,
    };
    let mut buf = Vec::new();
    args.format.emitter(style).emit(&mut buf, &report)?;
    match &args.output {
        Some(path) => {
            write_atomic(path, &buf).with_context(|| format!("cannot write {}", path.display()))?;
            if !args.quiet {
                match lang {
                    Lang::En => eprintln!("wrote {}", path.display()),
                    Lang::Zh => eprintln!("已写入 {}", path.display()),
                }
            }
        }
        None if args.quiet => {}
        None => std::io::stdout().write_all(&buf)?,
    }
    if args.output.is_some() || args.format != Format::Text || args.quiet {
        for d in &report.diagnostics {
            eprintln!("{d}");
        }
    }
    Ok(report.exit_code(args.fail_on.severity()))
}

/// Refuses an output file that is one of the run's inputs: a proposal file (or one of a
/// Shapefile's sidecars), the project file, a zone layer, the waivers or the baseline.
fn refuse_inputs(
    out: &std::path::Path,
    input: &InputArgs,
    baseline: Option<&std::path::Path>,
) -> Result<()> {
    let mut inputs: Vec<PathBuf> = Vec::new();
    for p in &input.proposals {
        inputs.push(p.clone());
        for ext in ["dbf", "shx", "prj", "cpg"] {
            inputs.push(p.with_extension(ext));
        }
    }
    inputs.extend(input.waivers.iter().cloned());
    inputs.extend(baseline.map(PathBuf::from));
    if let Ok(project) = super::project(input.read.project.as_ref()) {
        inputs.extend(project.layers.iter().map(|l| l.path.clone()));
        inputs.push(project.path);
    }
    crate::io::atomic::refuse_input(out, inputs.iter().map(PathBuf::as_path))
        .map_err(|e| anyhow::anyhow!(e))
}
