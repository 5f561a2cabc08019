//! ironrule: checks proposed construction against a city's ecological negative list.
//!
//! The flow is `io` (a source opened into a stream of feature batches) → `crs` (into the
//! project's metric working CRS) → `index` (zone layers in R-trees) → `rules` (packs as data)
//! → `engine` (one evaluation entry point, [`engine::Checker::evaluate`]: compact results,
//! worded into findings with measured evidence where they are written) → `report` (built by
//! [`report::build::build`], written by one emitter per format). `check`, `audit`,
//! `rules test` and library callers share that pipeline. The binary in `main.rs` only calls
//! [`cli::run`].

/// `ironrule audit`: a whole dataset streamed through the checker.
pub mod audit;
/// Clap definitions and subcommand handlers.
pub mod cli;
/// Coordinate reference systems and transforms into the working CRS.
pub mod crs;
/// Elevation models (GeoTIFF, SRTM .hgt) read on demand, and the terrain measures.
pub mod dem;
/// The spatial tests, the checker that runs rules over features, and the fixture runner.
pub mod engine;
/// Typed errors of the library.
pub mod error;
/// Entry points for the fuzz targets (and their corpus replay in the tests).
pub mod fuzzing;
/// Geometry helpers the tests share: footprints, validation, nearest points.
pub mod geom;
/// R-tree indexes over the parts of zone layers.
pub mod index;
/// Feature readers.
pub mod io;
/// Features, findings, diagnostics, severities.
pub mod model;
/// The project file `ironrule.toml`.
pub mod project;
/// Report emitters.
pub mod report;
/// Rule packs: schema, loader, filters, message templates.
pub mod rules;
/// The TOML files' JSON Schemas, and every structural error of a file at once.
pub mod schema;
/// `ironrule serve`: the project over HTTP, and the map page.
pub mod serve;
/// Waivers and baselines: findings that are approved or already known.
pub mod triage;

pub use error::{Error, Result};

// Two SQLite copies in one process crash GDAL: see the `sqlite-bundled` feature.
#[cfg(all(feature = "gdal", feature = "sqlite-bundled"))]
compile_error!(
    "the `gdal` feature uses the system SQLite: build it with `--no-default-features --features gdal` (or `gdal,proj`)"
);
