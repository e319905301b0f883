//! How diagnostics are shown: for people (`error: ...` with `  --> place`), as JSON lines for
//! tools, or as GitHub Actions annotations. The CLI's `--message-format` picks one; every
//! message and place is escaped for the format it lands in.

use crate::error::Message;
use crate::escape::workflow;
use crate::ir::Diagnostic;

/// A diagnostic's severity.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    /// The spec is refused.
    Error,
    /// Generation goes on; something may not be what the author meant.
    Warning,
}

impl Level {
    fn as_str(self) -> &'static str {
        match self {
            Level::Error => "error",
            Level::Warning => "warning",
        }
    }
}

/// How diagnostics are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Format {
    /// `error: <message>` then `  --> <file>#<pointer> (line N)`.
    #[default]
    Human,
    /// One JSON object per line: `{"level","message","file","pointer","line"}`.
    Json,
    /// GitHub Actions workflow commands: `::error file=F,line=L,title=chanx-gen::message`.
    Github,
}

/// One diagnostic in `format`, ending with a line break.
pub fn render(format: Format, level: Level, d: &Diagnostic) -> String {
    // The message as people see it: untrusted text inside it already escaped.
    let message = Message(&d.message).to_string();
    match format {
        Format::Human => format!("{}: {message}\n  --> {}\n", level.as_str(), d.location),
        Format::Json => {
            let value = serde_json::json!({
                "level": level.as_str(),
                "message": message,
                "file": d.location.file,
                "pointer": d.location.pointer,
                "line": d.location.line,
            });
            format!("{value}\n")
        }
        Format::Github => {
            let mut props = format!("file={}", workflow::property(&d.location.file));
            if let Some(line) = d.location.line {
                props.push_str(&format!(",line={line}"));
            }
            let pointer = if d.location.pointer.is_empty() { "/" } else { &d.location.pointer };
            let text = format!("{message} (at #{pointer})");
            format!("::{} {props},title=chanx-gen::{}\n", level.as_str(), workflow::data(&text))
        }
    }
}

/// The line that ends a list of `n` errors: `error: 2 problems in the spec`.
pub fn count(n: usize) -> String {
    format!("error: {n} problem{} in the spec", if n == 1 { "" } else { "s" })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::location::Location;

    fn sample() -> Diagnostic {
        Diagnostic {
            location: Location { file: "api/a,b.yaml".into(), pointer: "/x".into(), line: Some(3) },
            message: "bad\nvalue 100%".into(),
        }
    }

    #[test]
    fn every_format_keeps_one_diagnostic_on_its_lines() {
        let d = sample();
        assert_eq!(
            render(Format::Human, Level::Error, &d),
            "error: bad\\nvalue 100%\n  --> api/a,b.yaml#/x (line 3)\n"
        );
        let json: serde_json::Value =
            serde_json::from_str(render(Format::Json, Level::Warning, &d).trim_end()).expect("json");
        assert_eq!(json["level"], "warning");
        assert_eq!(json["line"], 3);
        assert_eq!(json["message"], "bad\\nvalue 100%");
        assert_eq!(
            render(Format::Github, Level::Error, &d),
            "::error file=api/a%2Cb.yaml,line=3,title=chanx-gen::bad\\nvalue 100%25 (at #/x)\n"
        );
    }
}
