use std::path::PathBuf;

/// Result with the library's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// An error that stops one unit of work (a file, a layer, a pack): the input is at fault or
/// unreadable. Per-feature problems are not errors but [`crate::model::Diagnostic`]s.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A file could not be read.
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// A file's content is not what it should be (bad JSON, wrong GeoJSON type, bad TOML...).
    #[error("{path}{}: {message}", location.map(|(l, c)| format!(":{l}:{c}")).unwrap_or_default())]
    Parse {
        path: PathBuf,
        /// 1-based line and column, where known.
        location: Option<(usize, usize)>,
        message: String,
    },
    /// A coordinate reference system is unknown, unsuitable or could not be applied.
    #[error("{0}")]
    Crs(#[from] crate::crs::CrsError),
    /// A project or rule pack is inconsistent; each entry names its file and place.
    #[error("{}:\n{}", crate::model::count(.0.len(), "configuration error", "configuration errors"), .0.iter().map(|d| format!("  {d}")).collect::<Vec<_>>().join("\n"))]
    Config(Vec<crate::model::Diagnostic>),
    /// The command line asks for something that cannot be done.
    #[error("{0}")]
    Usage(String),
}

impl Error {
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io {
            path: path.into(),
            source,
        }
    }

    pub(crate) fn parse(
        path: impl Into<PathBuf>,
        location: Option<(usize, usize)>,
        message: impl Into<String>,
    ) -> Self {
        Error::Parse {
            path: path.into(),
            location,
            message: message.into(),
        }
    }
}

/// 1-based line and column of a byte offset in `text`.
pub(crate) fn line_col(text: &str, offset: usize) -> (usize, usize) {
    // An offset inside a multi-byte character counts as that character's start.
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    // Columns count characters, as editors do.
    let col = before
        .rfind('\n')
        .map_or(before, |nl| &before[nl + 1..])
        .chars()
        .count()
        + 1;
    (line, col)
}

#[cfg(test)]
mod tests {
    use super::line_col;

    #[test]
    fn line_col_counts_from_one() {
        let text = "ab\ncd\n";
        assert_eq!(line_col(text, 0), (1, 1));
        assert_eq!(line_col(text, 1), (1, 2));
        assert_eq!(line_col(text, 3), (2, 1));
        assert_eq!(line_col(text, 4), (2, 2));
        assert_eq!(line_col(text, 99), (3, 1));
    }

    /// Found by the rule_toml fuzz target: a character offset added to a byte offset landed
    /// inside '指' and slicing panicked.
    #[test]
    fn regression_offset_inside_a_multibyte_character() {
        let text = "a\n指x";
        assert_eq!(line_col(text, 3), (2, 1));
        assert_eq!(line_col(text, 5), (2, 2));
    }
}
