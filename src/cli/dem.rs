use anyhow::{bail, Context, Result};
use clap::{Args, Subcommand};
use std::path::PathBuf;

#[derive(Debug, Subcommand)]
pub enum DemCommand {
    /// List the project's elevation models: file, format and layout, size, cell, CRS, extent
    /// and nodata.
    Info(ProjectArg),
    /// Write a DEM's slope in degrees (Horn's method, as `gdaldem slope -compute_edges`; on a
    /// geographic DEM in metres on the ellipsoid, row by row) as a Float32 GeoTIFF: what the
    /// slope rules measure, to look at in a GIS or to compare with gdaldem.
    Slope(SlopeArgs),
}

#[derive(Debug, Args)]
pub struct ProjectArg {
    /// The project file; default: ironrule.toml here or in a parent folder.
    #[arg(long, value_name = "FILE")]
    pub project: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct SlopeArgs {
    #[command(flatten)]
    pub project: ProjectArg,
    /// The `[[dem]]`'s name.
    pub name: String,
    /// Where to write the slope GeoTIFF.
    #[arg(short = 'o', long, value_name = "FILE")]
    pub output: PathBuf,
}

fn open(project: &ProjectArg, name: Option<&str>) -> Result<Vec<crate::dem::Dem>> {
    let project = super::project(project.project.as_ref())?;
    if project.dems.is_empty() {
        bail!("{} declares no [[dem]]", project.path.display());
    }
    let mut out = Vec::new();
    for spec in &project.dems {
        if name.is_some_and(|n| n != spec.name) {
            continue;
        }
        out.push(crate::dem::Dem::open(spec, &project.crs)?);
    }
    if out.is_empty() {
        let names: Vec<&str> = project.dems.iter().map(|d| d.name.as_str()).collect();
        bail!(
            "no [[dem]] named '{}' in {} (it has: {})",
            name.unwrap_or_default(),
            project.path.display(),
            names.join(", ")
        );
    }
    Ok(out)
}

pub fn run(cmd: DemCommand) -> Result<u8> {
    match cmd {
        DemCommand::Info(p) => {
            for d in open(&p, None)? {
                let e = d.extent();
                println!("{}: {}", d.name, d.path.display());
                if let Some(t) = &d.title {
                    println!("  title:  {t}");
                }
                println!("  format: {}", d.format);
                println!(
                    "  size:   {} × {} cells of {} × {}{}",
                    d.width,
                    d.height,
                    d.transform[1],
                    d.transform[5].abs(),
                    if d.geographic() { "°" } else { " m" }
                );
                println!("  crs:    {}", d.crs.name);
                println!(
                    "  extent: {} {} – {} {}",
                    e.min().x,
                    e.min().y,
                    e.max().x,
                    e.max().y
                );
                match d.nodata {
                    Some(n) => println!("  nodata: {n}"),
                    None => println!("  nodata: none"),
                }
            }
            Ok(0)
        }
        DemCommand::Slope(a) => {
            let dem = open(&a.project, Some(&a.name))?.remove(0);
            let epsg = dem.crs.epsg.with_context(|| {
                format!(
                    "{} has no EPSG code to write into the slope GeoTIFF",
                    dem.crs.name
                )
            })?;
            let (w, h) = (i64::from(dem.width), i64::from(dem.height));
            let mut out = Vec::with_capacity((w * h) as usize);
            // Bands of rows, each read with a row of margin above and below.
            const BAND: i64 = 256;
            let mut r0 = 0;
            while r0 < h {
                let r1 = (r0 + BAND).min(h);
                let win = dem
                    .window(-1, r0 - 1, w + 1, r1 + 1)
                    .map_err(|e| anyhow::anyhow!("{}: {e}", dem.path.display()))?;
                for r in r0..r1 {
                    for c in 0..w {
                        out.push(crate::dem::slope::slope_deg(&dem, &win, c, r).unwrap_or(-9999.0));
                    }
                }
                r0 = r1;
            }
            crate::dem::tiff::write(
                &a.output,
                dem.width,
                dem.height,
                &out,
                dem.transform,
                crate::dem::tiff::WriteOptions {
                    sample: crate::dem::tiff::Sample::F32,
                    tile: 256,
                    epsg,
                    projected: !dem.geographic(),
                    nodata: Some(-9999.0),
                },
            )
            .with_context(|| format!("cannot write {}", a.output.display()))?;
            eprintln!(
                "slope of {} ({} × {} cells) written to {}",
                dem.name,
                dem.width,
                dem.height,
                a.output.display()
            );
            Ok(0)
        }
    }
}
