//! Diagnostics: what `check` reports about content and configuration, with the
//! place in the file (1-based line and column, columns counted in characters),
//! a namespaced code and a hint that says what to do.

use serde::Serialize;
use std::collections::BTreeMap;
use std::fmt::Write as _;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
}

/// A position range in a file; `end_*` is inclusive of the last character.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Span {
    pub line: usize,
    pub column: usize,
    pub end_line: usize,
    pub end_column: usize,
}

impl Span {
    pub fn point(line: usize, column: usize) -> Span {
        Span {
            line,
            column,
            end_line: line,
            end_column: column,
        }
    }

    /// The span of `len` characters starting at `line:column`.
    pub fn chars(line: usize, column: usize, len: usize) -> Span {
        Span {
            line,
            column,
            end_line: line,
            end_column: column + len.saturating_sub(1),
        }
    }

    /// The span of the byte range `start..end` of `text`.
    pub fn from_bytes(text: &str, start: usize, end: usize) -> Span {
        let (line, column) = line_column(text, start);
        let (end_line, end_column) = line_column(text, end.saturating_sub(1).max(start));
        Span {
            line,
            column,
            end_line,
            end_column,
        }
    }
}

/// 1-based line and character column of byte offset `offset` in `text`.
pub fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let offset = floor_char_boundary(text, offset.min(text.len()));
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    (line, text[line_start..offset].chars().count() + 1)
}

fn floor_char_boundary(text: &str, mut i: usize) -> usize {
    while !text.is_char_boundary(i) {
        i -= 1;
    }
    i
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Diagnostic {
    /// Path relative to the repository, with `/` separators.
    pub file: String,
    #[serde(flatten)]
    pub span: Span,
    pub severity: Severity,
    /// Namespaced code, e.g. `frontmatter/unknown-key`; listed in README.
    pub code: &'static str,
    pub message: String,
    pub help: Option<String>,
}

impl Diagnostic {
    pub fn error(file: &str, span: Span, code: &'static str, message: impl Into<String>) -> Self {
        Diagnostic {
            file: file.to_string(),
            span,
            severity: Severity::Error,
            code,
            message: message.into(),
            help: None,
        }
    }

    pub fn warning(file: &str, span: Span, code: &'static str, message: impl Into<String>) -> Self {
        Diagnostic {
            severity: Severity::Warning,
            ..Diagnostic::error(file, span, code, message)
        }
    }

    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

/// Sorts diagnostics by file and position so that output is stable.
pub fn sort(diagnostics: &mut [Diagnostic]) {
    diagnostics.sort_by(|a, b| {
        (&a.file, a.span, a.code, &a.message).cmp(&(&b.file, b.span, b.code, &b.message))
    });
}

/// Renders diagnostics the way rustc does: the message, `--> file:line:col`,
/// the source line with a caret under the span, and the help.
/// `sources` maps repository paths to their text, for the source lines.
pub fn render_human(diagnostics: &[Diagnostic], sources: &BTreeMap<String, String>) -> String {
    let mut out = String::new();
    for d in diagnostics {
        let label = match d.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        let _ = writeln!(out, "{label}[{}]: {}", d.code, d.message);
        let _ = writeln!(out, "  --> {}:{}:{}", d.file, d.span.line, d.span.column);
        let source_line = sources
            .get(&d.file)
            .and_then(|text| text.lines().nth(d.span.line.saturating_sub(1)));
        if let Some(line) = source_line {
            let number = d.span.line.to_string();
            let pad = " ".repeat(number.len());
            let caret_len = if d.span.end_line == d.span.line {
                (d.span.end_column + 1).saturating_sub(d.span.column).max(1)
            } else {
                line.chars()
                    .count()
                    .saturating_sub(d.span.column - 1)
                    .max(1)
            };
            let indent: String = line
                .chars()
                .take(d.span.column.saturating_sub(1))
                .map(|c| if c == '\t' { '\t' } else { ' ' })
                .collect();
            let _ = writeln!(out, "{pad} |");
            let _ = writeln!(out, "{number} | {line}");
            let _ = writeln!(out, "{pad} | {indent}{}", "^".repeat(caret_len));
        }
        if let Some(help) = &d.help {
            let _ = writeln!(out, "  = help: {help}");
        }
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_column_counts_characters_not_bytes() {
        let text = "ab\nçé x";
        assert_eq!(line_column(text, 0), (1, 1));
        assert_eq!(line_column(text, 3), (2, 1));
        // 'x' is at byte 8 (ç and é are two bytes each) and character column 4.
        assert_eq!(line_column(text, 8), (2, 4));
    }

    #[test]
    fn human_rendering_puts_the_caret_under_the_span() {
        let mut sources = BTreeMap::new();
        sources.insert("a.md".to_string(), "---\ntitel: x\n---\n".to_string());
        let d = Diagnostic::error(
            "a.md",
            Span::chars(2, 1, 5),
            "frontmatter/unknown-key",
            "unknown key `titel`",
        )
        .with_help("did you mean `title`?");
        let text = render_human(&[d], &sources);
        assert_eq!(
            text,
            "error[frontmatter/unknown-key]: unknown key `titel`\n  --> a.md:2:1\n  |\n2 | titel: x\n  | ^^^^^\n  = help: did you mean `title`?\n\n"
        );
    }
}
