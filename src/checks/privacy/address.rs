//! `privacy/address`: street addresses and ZIP codes (HIPAA identifier 2,
//! geographic subdivisions smaller than a state).
//!
//! ## What it does
//! Finds "123 Main Street", "45 Oak Ave Apt 2", "PO Box 118", and 5-digit or
//! ZIP+4 codes after "ZIP" / "postal code" or after a state abbreviation
//! ("Boston, MA 02139"). The organisation's own addresses
//! (`privacy.allow.addresses`) are allowed.
//!
//! ## Why
//! A home address identifies a household. Street names must be capitalised
//! and end in a street type, so counts ("walk 2 blocks") do not match.

use super::{Context, found, help_allow, re, standalone};
use regex::Regex;
use std::sync::LazyLock;

pub(super) const CODE: &str = "privacy/address";
pub(super) const SUMMARY: &str = "street address or ZIP code";

const SUFFIXES: &str = "Street|St|Avenue|Ave|Road|Rd|Boulevard|Blvd|Lane|Ln|Drive|Dr|Court|Ct|Way|Place|Pl|Terrace|Terr|Circle|Cir|Parkway|Pkwy|Highway|Hwy|Square|Sq|Trail|Trl|Row|Alley|Crescent|Close";

static STREET: LazyLock<Regex> = LazyLock::new(|| {
    re(&format!(
        r"\b\d{{1,6}}[A-Za-z]?\s+(?:(?:[NSEW]\.?|North|South|East|West)\s+)?(?:(?:[A-Z][a-z'’]+|\d{{1,3}}(?:st|nd|rd|th))\s+){{1,3}}(?i:{SUFFIXES})\b\.?(?:,?\s+(?i:apt|apartment|unit|suite|ste|#)\.?\s*#?[A-Za-z0-9\-]{{1,6}}\b)?"
    ))
});
static PO_BOX: LazyLock<Regex> = LazyLock::new(|| re(r"(?i)\bp\.?\s?o\.?\s+box\s+\d{1,6}\b"));
static ZIP_WORD: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i)\b(?:zip|zip\s*code|postal\s+code|postcode)\s*(?:is|of|:|#)?\s*(?P<id>\d{5}(?:-\d{4})?)\b",
    )
});
static ZIP_STATE: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"\b(?:AL|AK|AZ|AR|CA|CO|CT|DE|DC|FL|GA|HI|ID|IL|IN|IA|KS|KY|LA|ME|MD|MA|MI|MN|MS|MO|MT|NE|NV|NH|NJ|NM|NY|NC|ND|OH|OK|OR|PA|RI|SC|SD|TN|TX|UT|VT|VA|WA|WV|WI|WY|PR)\.?,?\s+(?P<id>\d{5}(?:-\d{4})?)\b",
    )
});

pub(super) fn scan(text: &str, ctx: &Context, out: &mut Vec<super::Finding>) {
    let allowed: Vec<String> = ctx.allow.addresses.iter().map(|a| normalise(a)).collect();
    let is_allowed = |s: &str| {
        let n = normalise(s);
        !n.is_empty() && allowed.iter().any(|a| a.contains(&n))
    };
    let mut spans = Vec::new();
    for m in STREET.find_iter(text).chain(PO_BOX.find_iter(text)) {
        let s = m.as_str();
        // "3 Dr." followed by a name is a doctor, not an address.
        if s.trim_end_matches('.').ends_with("Dr") && !s.ends_with("Drive") {
            let rest = super::after(text, m.end(), 3);
            if rest
                .trim_start()
                .starts_with(|c: char| c.is_ascii_uppercase())
            {
                continue;
            }
        }
        // Keep the period of "St." but not the full stop after "Street".
        let mut span = m.range();
        if let Some(body) = s.strip_suffix('.')
            && body.rsplit(' ').next().is_some_and(|w| w.len() > 4)
        {
            span.end -= 1;
        }
        if !is_allowed(s) {
            spans.push(span);
        }
    }
    for c in ZIP_WORD
        .captures_iter(text)
        .chain(ZIP_STATE.captures_iter(text))
    {
        if let Some(id) = c.name("id")
            && standalone(text, &id.range())
            && !is_allowed(id.as_str())
        {
            spans.push(id.range());
        }
    }
    for span in spans {
        out.push(found(CODE, text, span, "address", help_allow("address")));
    }
}

/// Lowercase words with common suffixes abbreviated, so "100 Example Way"
/// matches "100 Example Way, Springfield, MA 01101".
fn normalise(s: &str) -> String {
    s.to_lowercase()
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(|w| match w {
            "street" => "st",
            "avenue" => "ave",
            "road" => "rd",
            "boulevard" => "blvd",
            "lane" => "ln",
            "drive" => "dr",
            "court" => "ct",
            "place" => "pl",
            "suite" => "ste",
            "apartment" => "apt",
            w => w,
        })
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::super::Allow;
    use super::super::test_support::{codes, codes_with};

    #[test]
    fn flags_streets_and_zips() {
        assert_eq!(
            codes("She lives at 123 Maple Street near the park."),
            ["privacy/address"]
        );
        assert_eq!(codes("Mail it to 45 Oak Ave Apt 2."), ["privacy/address"]);
        let text = "Visit 12 Oak Street. Or 3 Elm St. today.";
        let spans: Vec<_> = super::super::scan(
            text,
            &super::super::Context {
                allow: &Allow::default(),
                consent: false,
            },
        )
        .into_iter()
        .map(|f| &text[f.span])
        .collect();
        assert_eq!(spans, ["12 Oak Street", "3 Elm St."]);
        assert_eq!(
            codes("They moved to ZIP 02139 last year."),
            ["privacy/address"]
        );
        assert_eq!(codes("Springfield, MA 01103-2211"), ["privacy/address"]);
    }

    #[test]
    fn allows_own_address_and_ignores_counts() {
        let allow = Allow {
            addresses: vec!["100 Example Way, Springfield, MA 01101".into()],
            ..Allow::default()
        };
        assert!(
            codes_with(
                "Visit us at 100 Example Way, Springfield, MA 01101.",
                &allow,
                false
            )
            .is_empty()
        );
        assert!(codes("Walk 2 blocks or take 10000 steps; 5 portions a day.").is_empty());
        assert!(codes("Ask 3 Dr. Patel questions at the session.").is_empty());
    }
}
