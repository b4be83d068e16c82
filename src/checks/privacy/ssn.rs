//! `privacy/ssn`: US Social Security numbers (HIPAA identifier 7).
//!
//! ## What it does
//! Finds `AAA-GG-SSSS`; `AAA GG SSSS` and nine bare digits only next to
//! "SSN" or "social security". Numbers the SSA never issues (area 000, 666
//! or 900-999, group 00, serial 0000) are not reported.
//!
//! ## Why
//! An SSN identifies a person for life and opens the door to identity theft.

use super::{Context, HELP_REMOVE, found, re, standalone};
use regex::Regex;
use std::sync::LazyLock;

pub(super) const CODE: &str = "privacy/ssn";
pub(super) const SUMMARY: &str = "US Social Security number";

static DASHED: LazyLock<Regex> = LazyLock::new(|| re(r"\b(\d{3})([\- ])(\d{2})([\- ])(\d{4})\b"));
static BARE: LazyLock<Regex> = LazyLock::new(|| re(r"\b(\d{3})()(\d{2})()(\d{4})\b"));
static CONTEXT: LazyLock<Regex> =
    LazyLock::new(|| re(r"(?i)\b(?:ssn|ss#|ss no|social security|social sec|soc\.? sec\.?)"));

pub(super) fn scan(text: &str, _ctx: &Context, out: &mut Vec<super::Finding>) {
    for (pattern, needs_context) in [(&*DASHED, false), (&*BARE, true)] {
        for c in pattern.captures_iter(text) {
            let Some(all) = c.get(0) else { continue };
            let part = |i| c.get(i).map_or("", |m| m.as_str());
            if part(2) != part(4) || !valid(part(1), part(3), part(5)) {
                continue;
            }
            let span = all.range();
            if !standalone(text, &span) || super::before(text, span.start, 1) == "-" {
                continue;
            }
            let near = super::around(text, span.start, span.end, 40, 20);
            if (needs_context || part(2) == " ") && !CONTEXT.is_match(near) {
                continue;
            }
            out.push(found(
                CODE,
                text,
                span,
                "Social Security number",
                HELP_REMOVE,
            ));
        }
    }
}

fn valid(area: &str, group: &str, serial: &str) -> bool {
    let area: u32 = area.parse().unwrap_or(0);
    area != 0 && area != 666 && area < 900 && group != "00" && serial != "0000"
}

#[cfg(test)]
mod tests {
    use super::super::test_support::codes;

    #[test]
    fn flags_valid_ssns() {
        assert_eq!(codes("His SSN is 219-09-9999."), ["privacy/ssn"]);
        assert_eq!(
            codes("Social security number 219099999 on the form."),
            ["privacy/ssn"]
        );
        assert_eq!(
            codes("Her number, 536-22-8714, was on the chart."),
            ["privacy/ssn"]
        );
    }

    #[test]
    fn ignores_invalid_and_contextless() {
        assert!(codes("SSN 000-12-3456 is never issued, nor is 666-12-3456.").is_empty());
        assert!(codes("Order 123456789 shipped.").is_empty());
        assert!(codes("Call 900-12-3456 for the lottery.").is_empty());
    }
}
