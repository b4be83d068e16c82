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

/// Line and column of many offsets of one text in time linear in the text:
/// [`line_column`] scans from the start each time, which for a 1 MiB post
/// with thousands of findings is quadratic. Offsets given in increasing
/// order (findings are sorted) are counted on from the previous one.
pub struct Locator<'a> {
    text: &'a str,
    /// Byte offset where each line starts.
    starts: Vec<usize>,
    /// The last offset located and its column (1-based).
    last: std::cell::Cell<(usize, usize)>,
}

impl<'a> Locator<'a> {
    pub fn new(text: &'a str) -> Locator<'a> {
        let starts = std::iter::once(0)
            .chain(text.match_indices('\n').map(|(i, _)| i + 1))
            .collect();
        Locator {
            text,
            starts,
            last: std::cell::Cell::new((0, 1)),
        }
    }

    /// 1-based line and character column of byte `offset`, as [`line_column`].
    pub fn line_column(&self, offset: usize) -> (usize, usize) {
        let offset = floor_char_boundary(self.text, offset.min(self.text.len()));
        // Invariant: `starts` holds 0, so the line index is at least 1.
        let line = self.starts.partition_point(|&s| s <= offset);
        let line_start = self.starts[line - 1];
        let (last, last_column) = self.last.get();
        let column = if last >= line_start && last <= offset {
            last_column + self.text[last..offset].chars().count()
        } else {
            self.text[line_start..offset].chars().count() + 1
        };
        self.last.set((offset, column));
        (line, column)
    }

    /// The span of the byte range `start..end`, as [`Span::from_bytes`].
    pub fn span(&self, start: usize, end: usize) -> Span {
        let (line, column) = self.line_column(start);
        let (end_line, end_column) = self.line_column(end.saturating_sub(1).max(start));
        Span {
            line,
            column,
            end_line,
            end_column,
        }
    }
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

/// Source lines longer than this (in bytes) are shown as an excerpt around
/// the span, so that a finding on a 1 MiB line prints a line, not a megabyte.
const MAX_SHOWN_LINE: usize = 160;
/// Characters shown on either side of the span in an excerpt.
const EXCERPT_CONTEXT: usize = 40;

/// Renders diagnostics the way rustc does: the message, `--> file:line:col`,
/// the source line with a caret under the span, and the help.
/// `sources` maps repository paths to their text, for the source lines.
pub fn render_human(diagnostics: &[Diagnostic], sources: &BTreeMap<String, String>) -> String {
    let mut out = String::new();
    // Each file's lines, split once: a post with thousands of findings must
    // not be scanned from its start for every one of them.
    let mut lines: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    // Where the previous excerpt started on the same long line: (file, line,
    // character, byte), so that excerpts along one line are found in one pass.
    let mut cursor: (&str, usize, usize, usize) = ("", 0, 0, 0);
    for d in diagnostics {
        let label = match d.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        // Control characters from a post are shown, never sent to the terminal.
        let visible = crate::content::chars::visible;
        let _ = writeln!(out, "{label}[{}]: {}", d.code, visible(&d.message));
        let _ = writeln!(out, "  --> {}:{}:{}", d.file, d.span.line, d.span.column);
        let source_line = sources.get(&d.file).and_then(|text| {
            lines
                .entry(d.file.as_str())
                .or_insert_with(|| text.lines().collect())
                .get(d.span.line.saturating_sub(1))
                .copied()
        });
        if let Some(line) = source_line {
            let number = d.span.line.to_string();
            let pad = " ".repeat(number.len());
            let column = d.span.column.saturating_sub(1);
            let (shown, indent, caret_len) = if line.len() <= MAX_SHOWN_LINE {
                let caret_len = if d.span.end_line == d.span.line {
                    (d.span.end_column + 1).saturating_sub(d.span.column).max(1)
                } else {
                    line.chars().count().saturating_sub(column).max(1)
                };
                let indent: String = line
                    .chars()
                    .take(column)
                    .map(|c| if c == '\t' { '\t' } else { ' ' })
                    .collect();
                (line.to_string(), indent, caret_len)
            } else {
                let from = column.saturating_sub(EXCERPT_CONTEXT);
                if cursor.0 != d.file || cursor.1 != d.span.line || cursor.2 > from {
                    cursor = (d.file.as_str(), d.span.line, 0, 0);
                }
                let skipped = line[cursor.3..].char_indices().nth(from - cursor.2);
                let from_byte = skipped.map_or(line.len(), |(i, _)| cursor.3 + i);
                cursor = (d.file.as_str(), d.span.line, from, from_byte);
                let caret_len = if d.span.end_line == d.span.line {
                    (d.span.end_column + 1).saturating_sub(d.span.column).max(1)
                } else {
                    1
                }
                .min(MAX_SHOWN_LINE);
                let rest = &line[from_byte..];
                let take = column - from + caret_len + EXCERPT_CONTEXT;
                let end = rest.char_indices().nth(take).map_or(rest.len(), |(i, _)| i);
                let open = if from > 0 { "…" } else { "" };
                let close = if end < rest.len() { "…" } else { "" };
                let indent: String = open
                    .chars()
                    .chain(rest.chars().take(column - from))
                    .map(|c| if c == '\t' { '\t' } else { ' ' })
                    .collect();
                (format!("{open}{}{close}", &rest[..end]), indent, caret_len)
            };
            let _ = writeln!(out, "{pad} |");
            let _ = writeln!(out, "{number} | {}", visible(&shown));
            let _ = writeln!(out, "{pad} | {indent}{}", "^".repeat(caret_len));
        }
        if let Some(help) = &d.help {
            let _ = writeln!(out, "  = help: {}", visible(help));
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
    fn the_locator_agrees_with_line_column_in_any_order() {
        let text = "ab\nçé x\n\nlast line é\n";
        let locator = Locator::new(text);
        let offsets: Vec<usize> = (0..=text.len()).chain((0..=text.len()).rev()).collect();
        for offset in offsets {
            assert_eq!(
                locator.line_column(offset),
                line_column(text, offset),
                "{offset}"
            );
        }
    }

    #[test]
    fn control_characters_are_shown_as_symbols_not_sent_to_the_terminal() {
        let mut sources = BTreeMap::new();
        sources.insert("a.md".to_string(), "---\nx\u{1B}[2Jy\n".to_string());
        let d = Diagnostic::error(
            "a.md",
            Span::chars(2, 2, 1),
            "content/control-char",
            "m \u{1B}",
        );
        let text = render_human(&[d], &sources);
        assert!(!text.contains('\u{1B}'), "{text:?}");
        assert!(text.contains("2 | x\u{241B}[2Jy\n  |  ^\n"), "{text}");
    }

    #[test]
    fn a_long_line_is_shown_as_an_excerpt_around_the_span() {
        let line = format!("{}target{}", "é".repeat(300), "x".repeat(300));
        let mut sources = BTreeMap::new();
        sources.insert("a.md".to_string(), format!("---\n{line}\n"));
        let d = |column| Diagnostic::error("a.md", Span::chars(2, column, 6), "x/y", "m");
        let text = render_human(&[d(301), d(301)], &sources);
        let shown = format!("2 | …{}target{}…\n", "é".repeat(40), "x".repeat(40));
        let caret = format!("  |  {}^^^^^^\n", " ".repeat(40));
        assert_eq!(text.matches(&shown).count(), 2, "{text}");
        assert_eq!(text.matches(&caret).count(), 2, "{text}");
        // At the start of the line: no leading ellipsis.
        let text = render_human(&[d(1)], &sources);
        assert!(
            text.contains(&format!("2 | {}…\n", "é".repeat(46))),
            "{text}"
        );
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
