//! Report emitters, one per format, behind one trait. Output is deterministic: findings in
//! stable order, no timestamps, paths as the user gave them.

/// Machine-readable JSON.
pub mod json;
/// Compiler-style text grouped by feature (the default).
pub mod text;

use crate::model::{Diagnostic, Finding, Level, Severity};
use serde::Serialize;
use std::collections::BTreeMap;
use std::io::{self, Write};

/// Counts that reconcile: `read = checked + rejected`.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Summary {
    pub read: usize,
    pub checked: usize,
    pub rejected: usize,
    pub findings: usize,
    pub by_severity: BTreeMap<Severity, usize>,
    pub by_rule: BTreeMap<String, usize>,
}

impl Summary {
    /// Adds the findings' counts.
    pub fn count(&mut self, findings: &[Finding]) {
        self.findings += findings.len();
        for f in findings {
            *self.by_severity.entry(f.severity).or_default() += 1;
            *self.by_rule.entry(f.code.clone()).or_default() += 1;
        }
    }
}

/// The result of a check.
#[derive(Clone, Debug, Default)]
pub struct Report {
    pub findings: Vec<Finding>,
    pub summary: Summary,
    pub diagnostics: Vec<Diagnostic>,
}

impl Report {
    /// 2 when any input was at fault (an error diagnostic), else 1 when a finding is at or
    /// above `fail_on` (`None`: never), else 0.
    pub fn exit_code(&self, fail_on: Option<Severity>) -> u8 {
        if self.diagnostics.iter().any(|d| d.level == Level::Error) {
            2
        } else if fail_on.is_some_and(|min| self.findings.iter().any(|f| f.severity >= min)) {
            1
        } else {
            0
        }
    }
}

/// One output format.
pub trait Emitter {
    /// Writes the whole report.
    fn emit(&self, out: &mut dyn Write, report: &Report) -> io::Result<()>;
}

/// The formats `--format` accepts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Text,
    Json,
}

impl Format {
    /// The emitter for this format.
    pub fn emitter(self) -> Box<dyn Emitter> {
        match self {
            Format::Text => Box::new(text::Text),
            Format::Json => Box::new(json::Json),
        }
    }
}
