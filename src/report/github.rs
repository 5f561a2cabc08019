use super::{measure_text, Emitter, Report};
use crate::model::{Level, Severity};
use std::io::{self, Write};

/// GitHub Actions workflow commands: one `::error` / `::warning` / `::notice` line per
/// finding and per diagnostic, which GitHub shows as annotations on the file in a pull
/// request. Prohibited findings are errors; approvals and assessments warnings; notices
/// notices.
pub struct Github;

/// Escapes a workflow command's message (control characters from the data, NUL among
/// them, become U+FFFD first: see [`super::clean`]).
fn data(s: &str) -> String {
    let escaped = s
        .replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A");
    super::clean(&escaped).into_owned()
}

/// Escapes a workflow command's property value.
fn prop(s: &str) -> String {
    data(s).replace(':', "%3A").replace(',', "%2C")
}

impl Emitter for Github {
    fn emit(&self, out: &mut dyn Write, report: &Report) -> io::Result<()> {
        for f in &report.findings {
            let level = match f.severity {
                _ if !f.triage.is_active() => "notice",
                Severity::Prohibited => "error",
                Severity::RequiresApproval | Severity::RequiresAssessment => "warning",
                Severity::Notice => "notice",
            };
            let feature = f
                .feature
                .id
                .clone()
                .unwrap_or_else(|| format!("#{}", f.feature.index));
            writeln!(
                out,
                "::{level} file={},title={}::{}",
                prop(&f.feature.source),
                prop(&format!(
                    "{} {} ({}{}, feature {feature})",
                    f.code,
                    f.rule_name,
                    f.severity,
                    if f.undetermined.is_some() {
                        ", undetermined"
                    } else {
                        ""
                    }
                )),
                data(&format!(
                    "{}\n{}\nlaw: {}",
                    f.message,
                    measure_text(f, report.lang),
                    f.citation
                ))
            )?;
        }
        for d in &report.diagnostics {
            let level = if d.level == Level::Error {
                "error"
            } else {
                "warning"
            };
            let line = d.line.map(|l| format!(",line={l}")).unwrap_or_default();
            writeln!(
                out,
                "::{level} file={}{line},title=ironrule input::{}",
                prop(&d.source),
                data(&d.to_string())
            )?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::{data, prop};

    #[test]
    fn escapes_as_the_runner_expects() {
        assert_eq!(data("50% of\nit"), "50%25 of%0Ait");
        assert_eq!(prop("a:b,c"), "a%3Ab%2Cc");
    }
}
