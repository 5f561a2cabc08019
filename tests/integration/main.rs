//! Integration tests: one binary, split by purpose (as ripgrep does).

mod common;

mod bad_input;
mod check;
mod crs;
#[cfg(feature = "gdal")]
mod formats;
mod properties;
mod rules;
mod snapshots;
