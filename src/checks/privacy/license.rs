//! `privacy/license`: certificate and licence numbers (HIPAA identifier 11).
//!
//! ## What it does
//! Finds DEA registration numbers by their checksum (two letters, seven
//! digits, (d1+d3+d5) + 2*(d2+d4+d6) ≡ d7 mod 10) and other numbers after
//! "driver's licence", "licence no.", "DL#", "DEA number" or "certificate
//! no.". Licence *plates* belong to `privacy/vehicle`.
//!
//! ## Why
//! A driver's licence or DEA number identifies its holder.

use super::{Context, HELP_REMOVE, found, keyed, keyed_ids, re, standalone};
use regex::Regex;
use std::sync::LazyLock;

pub(super) const CODE: &str = "privacy/license";
pub(super) const SUMMARY: &str = "licence or certificate number (driver's licence, DEA number)";

static DEA: LazyLock<Regex> = LazyLock::new(|| re(r"\b[ABCDEFGHJKLMPRSTUX][A-Z9]\d{7}\b"));
static KEYED: LazyLock<Regex> = LazyLock::new(|| {
    keyed(
        r"driver'?s?\s+licen[cs]e|driving\s+licen[cs]e|licen[cs]e\s*(?:number|no\b|#|id)|licen[cs]e:|dl\s*(?:#|no\b|number)|dea\s*(?:#|number|no\b|registration)|certificate\s*(?:number|no\b|#)|npi",
        r"[A-Z]{0,3}[\-]?[A-Z0-9][A-Z0-9\-]{3,18}",
    )
});

pub(super) fn scan(text: &str, _ctx: &Context, out: &mut Vec<super::Finding>) {
    let mut spans: Vec<_> = DEA
        .find_iter(text)
        .filter(|m| dea_checksum(m.as_str()))
        .map(|m| m.range())
        .filter(|r| standalone(text, r))
        .collect();
    spans.extend(keyed_ids(text, &KEYED, 4));
    for span in spans {
        out.push(found(CODE, text, span, "licence number", HELP_REMOVE));
    }
}

fn dea_checksum(s: &str) -> bool {
    let d: Vec<u32> = s.chars().skip(2).filter_map(|c| c.to_digit(10)).collect();
    d.len() == 7 && ((d[0] + d[2] + d[4]) + 2 * (d[1] + d[3] + d[5])) % 10 == d[6]
}

#[cfg(test)]
mod tests {
    use super::super::test_support::codes;

    #[test]
    fn flags_dea_and_driver_licences() {
        // 1+3+5 + 2*(2+4+6) = 33 -> check digit 3.
        assert_eq!(
            codes("Prescriber AB1234563 signed it."),
            ["privacy/license"]
        );
        assert_eq!(
            codes("Her driver's license S530-4417-2290 was in the bag."),
            ["privacy/license"]
        );
    }

    #[test]
    fn ignores_bad_checksums_and_plates() {
        assert!(codes("Batch AB1234567 is recalled.").is_empty());
        assert!(codes("Renew your driver's license before you turn 70.").is_empty());
    }
}
