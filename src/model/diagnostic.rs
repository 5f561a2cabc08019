use serde::Serialize;
use std::fmt;

/// How serious a diagnostic is. Any `Error` makes the run exit with code 2.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    Warning,
    Error,
}

/// A problem with input that the run reports and goes on past: a rejected feature, a
/// suspicious layer, a rule-file error. It names the file, where known the line and column or
/// the feature, and the reason.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Diagnostic {
    pub level: Level,
    pub source: String,
    /// 1-based line and column in `source`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub column: Option<usize>,
    /// 0-based position of the feature in `source`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub feature_index: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub feature_id: Option<String>,
    pub message: String,
}

impl Diagnostic {
    /// An error about a whole source.
    pub fn error(source: impl Into<String>, message: impl Into<String>) -> Self {
        Diagnostic {
            level: Level::Error,
            source: source.into(),
            line: None,
            column: None,
            feature_index: None,
            feature_id: None,
            message: message.into(),
        }
    }

    /// A warning about a whole source.
    pub fn warning(source: impl Into<String>, message: impl Into<String>) -> Self {
        Diagnostic {
            level: Level::Warning,
            ..Diagnostic::error(source, message)
        }
    }

    /// Points the diagnostic at a place in the file.
    pub fn at(mut self, line: usize, column: usize) -> Self {
        self.line = Some(line);
        self.column = Some(column);
        self
    }

    /// Points the diagnostic at a feature.
    pub fn feature(mut self, index: usize, id: Option<&str>) -> Self {
        self.feature_index = Some(index);
        self.feature_id = id.map(str::to_owned);
        self
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let level = match self.level {
            Level::Warning => "warning",
            Level::Error => "error",
        };
        write!(f, "{level}: {}", self.source)?;
        if let (Some(line), Some(col)) = (self.line, self.column) {
            write!(f, ":{line}:{col}")?;
        }
        if let Some(index) = self.feature_index {
            write!(f, ": feature #{index}")?;
            if let Some(id) = &self.feature_id {
                write!(f, " (id {id:?})")?;
            }
        }
        write!(f, ": {}", self.message)
    }
}

#[cfg(test)]
mod tests {
    use super::Diagnostic;

    #[test]
    fn display_names_file_place_and_feature() {
        let d = Diagnostic::error("a.geojson", "unclosed ring").feature(3, Some("P3"));
        assert_eq!(
            d.to_string(),
            "error: a.geojson: feature #3 (id \"P3\"): unclosed ring"
        );
        let d = Diagnostic::warning("r.toml", "unknown key").at(4, 1);
        assert_eq!(d.to_string(), "warning: r.toml:4:1: unknown key");
    }
}
