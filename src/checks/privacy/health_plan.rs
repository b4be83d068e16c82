//! `privacy/health-plan`: health plan beneficiary numbers (HIPAA identifier 9).
//!
//! ## What it does
//! Finds Medicare Beneficiary Identifiers by their exact 11-character format
//! (C A AN N A AN N A A N N; letters exclude S, L, O, I, B and Z), and other
//! plan numbers after "member ID", "subscriber ID", "policy number", "group
//! number", "Medicaid ID", "insurance ID" and the like.
//!
//! ## Why
//! A member ID opens a person's claims history and can be used for fraud.

use super::{Context, HELP_REMOVE, found, keyed, keyed_ids, re, standalone};
use regex::Regex;
use std::sync::LazyLock;

pub(super) const CODE: &str = "privacy/health-plan";
pub(super) const SUMMARY: &str = "health plan number (Medicare MBI, member, policy or group ID)";

/// C A AN N A AN N A A N N, optionally written with dashes after 4 and 7.
static MBI: LazyLock<Regex> = LazyLock::new(|| {
    let a = "[AC-HJKMNP-RT-Y]";
    let an = "[AC-HJKMNP-RT-Y0-9]";
    re(&format!(
        r"\b[1-9]{a}{an}[0-9]-?{a}{an}[0-9]-?{a}{a}[0-9]{{2}}\b"
    ))
});
static KEYED: LazyLock<Regex> = LazyLock::new(|| {
    keyed(
        r"member\s*(?:id|#|number|no\b)|subscriber\s*(?:id|#|number|no\b)|policy\s*(?:#|number|no\b|id)|group\s*(?:#|number|no\b)|insurance\s*(?:id|#|number|no\b|card\s+(?:number|no\b|#))|medicaid\s*(?:id|#|number|no\b)|medicare\s*(?:id|#|number|no\b)|mbi|beneficiary\s*(?:id|#|number|no\b)|plan\s*(?:id|#|number|no\b)",
        r"[A-Z]{0,5}[\-]?[A-Z0-9][A-Z0-9\-]{3,18}",
    )
});

pub(super) fn scan(text: &str, _ctx: &Context, out: &mut Vec<super::Finding>) {
    let mut spans: Vec<_> = MBI
        .find_iter(text)
        .map(|m| m.range())
        .filter(|r| standalone(text, r))
        .collect();
    spans.extend(keyed_ids(text, &KEYED, 3));
    for span in spans {
        out.push(found(CODE, text, span, "health plan number", HELP_REMOVE));
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::codes;

    #[test]
    fn flags_mbi_and_member_ids() {
        assert_eq!(
            codes("Her Medicare card reads 1EG4-TE5-MK73."),
            ["privacy/health-plan"]
        );
        assert_eq!(
            codes("Bring card 1EG4TE5MK73 to the desk."),
            ["privacy/health-plan"]
        );
        assert_eq!(codes("Member ID: XQH482193071"), ["privacy/health-plan"]);
    }

    #[test]
    fn ignores_lookalikes() {
        // S and L are never used in an MBI.
        assert!(codes("Code 1SL4-TE5-MK73 is not an MBI.").is_empty());
        assert!(codes("Join our support group number one: 5 tips for caregivers.").is_empty());
        assert!(codes("Medicare covers flu shots for people 65 and older.").is_empty());
    }
}
