//! Rule packs: rules as data (TOML), each with its legal citation, README and fixtures.

/// The attribute dictionary: names, types, values and aliases of what rules read.
pub mod dictionary;
/// A documented subset of CQL2 text for `applies_to`.
pub mod filter;
/// Indicators (指标体系): what a pack measures per district, as data.
pub mod indicators;
/// The land-use classification and compatibility tables (`land_use` rules).
pub mod land_use;
/// Loading a pack directory, collecting every error with its file, line and column.
pub mod pack;
/// One rule: its schema and compiled form.
pub mod rule;
/// Message templates with `{value}`-style placeholders.
pub mod template;

pub use pack::{load_pack, Pack};
pub use rule::{Rule, Status, Test};
