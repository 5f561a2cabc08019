//! Integration tests: one binary, split by purpose (as ripgrep does).

mod common;

mod atomic;
mod audit;
mod bad_input;
mod check;
mod corpus;
mod crs;
#[cfg(feature = "gdal")]
mod dem_gdal;
mod fail_closed;
#[cfg(feature = "gdal")]
mod formats;
mod fuzz_replay;
mod hostile;
mod indicators;
mod init;
mod lang;
mod pipeline;
mod plan;
mod properties;
mod readme;
mod rules;
mod serve;
mod snapshots;
mod terrain;
mod triage;
