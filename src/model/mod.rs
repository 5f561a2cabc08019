//! The data every stage passes on.

/// Diagnostics: problems with input that do not stop the run.
pub mod diagnostic;
/// Features read from a source, and references back to them.
pub mod feature;
/// Findings and their measured evidence.
pub mod finding;
/// The language of human text (`--lang`).
pub mod lang;
/// How bad a finding is.
pub mod severity;

pub use diagnostic::{Diagnostic, Level};
pub use feature::{Feature, FeatureRef, Properties};
pub use finding::{Citation, Finding, Measure, MeasureKind, Undetermined, ZoneRef};
pub use lang::Lang;
pub use severity::Severity;
