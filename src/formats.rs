//! Diagnostics for machines: SARIF 2.1.0 (code scanning) and GitHub Actions
//! workflow annotations. The human form is in `diagnostic::render_human`.

use crate::checks::rules;
use crate::diagnostic::{Diagnostic, Severity};
use serde_json::{Value, json};
use std::collections::BTreeSet;

/// One SARIF 2.1.0 log with one run. Regions use 1-based lines and columns;
/// SARIF's `endColumn` is exclusive.
pub fn sarif(diagnostics: &[&Diagnostic]) -> Value {
    let codes: BTreeSet<&str> = diagnostics.iter().map(|d| d.code).collect();
    let rules: Vec<Value> = codes
        .iter()
        .map(|code| {
            let summary = rules::summary(code).unwrap_or(code);
            json!({ "id": code, "shortDescription": { "text": summary } })
        })
        .collect();
    let results: Vec<Value> = diagnostics
        .iter()
        .map(|d| {
            let text = match &d.help {
                Some(help) => format!("{}\nhelp: {help}", d.message),
                None => d.message.clone(),
            };
            json!({
                "ruleId": d.code,
                "level": level(d.severity),
                "message": { "text": text },
                "locations": [{
                    "physicalLocation": {
                        "artifactLocation": { "uri": d.file },
                        "region": {
                            "startLine": d.span.line,
                            "startColumn": d.span.column,
                            "endLine": d.span.end_line,
                            "endColumn": d.span.end_column + 1,
                        }
                    }
                }]
            })
        })
        .collect();
    json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": { "driver": {
                "name": "healthcast",
                "version": env!("CARGO_PKG_VERSION"),
                "rules": rules,
            }},
            "results": results,
        }]
    })
}

fn level(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
    }
}

/// One `::error file=…,line=…::message` line per diagnostic.
pub fn github(diagnostics: &[&Diagnostic]) -> String {
    let mut out = String::new();
    for d in diagnostics {
        let message = match &d.help {
            Some(help) => format!("{}\nhelp: {help}", d.message),
            None => d.message.clone(),
        };
        out.push_str(&format!(
            "::{} file={},line={},col={},endLine={},endColumn={},title={}::{}\n",
            level(d.severity),
            property(&d.file),
            d.span.line,
            d.span.column,
            d.span.end_line,
            d.span.end_column,
            property(d.code),
            data(&message)
        ));
    }
    out
}

fn data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

fn property(s: &str) -> String {
    data(s).replace(':', "%3A").replace(',', "%2C")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnostic::Span;

    fn d() -> Diagnostic {
        Diagnostic::error(
            "content/a,b.md",
            Span::chars(3, 5, 4),
            "claims/red-flag",
            "red-flag claim `cure`",
        )
        .with_help("remove it: 100%")
    }

    #[test]
    fn github_annotations_escape_properties_and_data() {
        assert_eq!(
            github(&[&d()]),
            "::error file=content/a%2Cb.md,line=3,col=5,endLine=3,endColumn=8,title=claims/red-flag::red-flag claim `cure`%0Ahelp: remove it: 100%25\n"
        );
    }

    #[test]
    fn sarif_has_the_required_shape() {
        let log = sarif(&[&d()]);
        assert_eq!(log["version"], "2.1.0");
        let result = &log["runs"][0]["results"][0];
        assert_eq!(result["ruleId"], "claims/red-flag");
        assert_eq!(result["level"], "error");
        let region = &result["locations"][0]["physicalLocation"]["region"];
        assert_eq!(
            (region["startColumn"].as_u64(), region["endColumn"].as_u64()),
            (Some(5), Some(9))
        );
        assert_eq!(
            log["runs"][0]["tool"]["driver"]["rules"][0]["id"],
            "claims/red-flag"
        );
    }
}
