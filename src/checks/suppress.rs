//! Inline suppressions: a deliberate exception, with a reason a reviewer can
//! read. On the line before the finding:
//!
//! ```markdown
//! <!-- healthcast: allow privacy/name "staff award, consent on file" -->
//! ```
//!
//! (or `# healthcast: allow CODE "reason"` in the front matter). A code or a
//! whole family may be named. Every suppression is listed in `check` output.

use crate::diagnostic::{Diagnostic, Span};
use regex::Regex;
use serde::Serialize;
use std::collections::BTreeMap;
use std::sync::LazyLock;

static DIRECTIVE: LazyLock<Regex> = LazyLock::new(|| {
    // Invariant: a constant pattern.
    Regex::new(r#"(?:<!--|#)\s*healthcast:\s*allow\s+([a-z][a-z0-9/-]*)(?:\s+"([^"]*)")?"#)
        .unwrap_or_else(|e| unreachable!("{e}"))
});

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Suppression {
    pub file: String,
    /// The line of the directive.
    pub line: usize,
    pub code: String,
    pub reason: String,
    /// How many diagnostics it suppressed.
    pub suppressed: usize,
}

/// Applies the directives found in `sources` to `diagnostics`: removes what
/// they suppress, and reports directives without a reason or without effect.
pub fn apply(
    diagnostics: &mut Vec<Diagnostic>,
    sources: &BTreeMap<String, String>,
) -> Vec<Suppression> {
    let mut suppressions = Vec::new();
    let mut extra = Vec::new();
    for (file, text) in sources {
        if !text.contains("healthcast:") {
            continue;
        }
        let lines: Vec<&str> = text.lines().collect();
        for (index, line) in lines.iter().enumerate() {
            let Some(caps) = DIRECTIVE.captures(line) else {
                continue;
            };
            let code = caps.get(1).map_or("", |m| m.as_str()).to_string();
            let column = caps.get(0).map_or(0, |m| line[..m.start()].chars().count()) + 1;
            let span = Span::chars(
                index + 1,
                column,
                line.trim_end().chars().count() + 1 - column,
            );
            let reason = caps
                .get(2)
                .map(|m| m.as_str().trim().to_string())
                .unwrap_or_default();
            if reason.is_empty() {
                extra.push(
                    Diagnostic::error(file, span, "suppress/no-reason", format!("`healthcast: allow {code}` needs a reason"))
                        .with_help(format!("write e.g. <!-- healthcast: allow {code} \"consent on file, ticket 123\" -->")),
                );
                continue;
            }
            // The target is the next line that is not blank.
            let target = (index + 1..lines.len())
                .find(|&i| !lines[i].trim().is_empty())
                .map(|i| i + 1);
            let before = diagnostics.len();
            diagnostics.retain(|d| {
                !(d.file == *file
                    && Some(d.span.line) == target
                    && (d.code == code || d.code.starts_with(&format!("{code}/")))
                    && !d.code.starts_with("suppress/"))
            });
            let suppressed = before - diagnostics.len();
            if suppressed == 0 {
                extra.push(
                    Diagnostic::warning(
                        file,
                        span,
                        "suppress/unused",
                        format!("`healthcast: allow {code}` suppresses nothing on the next line"),
                    )
                    .with_help("remove it, or put it on the line just before the finding"),
                );
            }
            suppressions.push(Suppression {
                file: file.clone(),
                line: index + 1,
                code,
                reason,
                suppressed,
            });
        }
    }
    diagnostics.extend(extra);
    suppressions
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_directive_with_a_reason_suppresses_the_next_line_and_is_listed() {
        let text = "---\ntitle: T\n---\n<!-- healthcast: allow privacy \"staff award, consent on file\" -->\nNurse Dana Lee won.\n<!-- healthcast: allow claims/red-flag -->\nA miracle.\n";
        let mut sources = BTreeMap::new();
        sources.insert("content/a.md".to_string(), text.to_string());
        let mut diagnostics = vec![
            Diagnostic::error("content/a.md", Span::point(5, 7), "privacy/name", "name"),
            Diagnostic::error(
                "content/a.md",
                Span::point(7, 3),
                "claims/red-flag",
                "miracle",
            ),
        ];
        let s = apply(&mut diagnostics, &sources);
        assert_eq!(s.len(), 1);
        assert_eq!(
            (
                s[0].line,
                s[0].code.as_str(),
                s[0].reason.as_str(),
                s[0].suppressed
            ),
            (4, "privacy", "staff award, consent on file", 1)
        );
        let codes: Vec<_> = diagnostics.iter().map(|d| d.code).collect();
        assert_eq!(codes, ["claims/red-flag", "suppress/no-reason"]);
    }
}
