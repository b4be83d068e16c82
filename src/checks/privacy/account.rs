//! `privacy/account`: account and payment card numbers (HIPAA identifier 10).
//!
//! ## What it does
//! Finds 13-19 digit numbers (optionally grouped by spaces or dashes) that
//! pass the Luhn check, and numbers after "account", "acct", "card ending
//! in", "routing", "invoice" or "billing ID". Years after "account" are not
//! numbers.
//!
//! ## Why
//! A billing account or card number ties a person to their care and money.

use super::{Context, HELP_REMOVE, digits, found, keyed, keyed_ids, luhn, re, standalone};
use regex::Regex;
use std::sync::LazyLock;

pub(super) const CODE: &str = "privacy/account";
pub(super) const SUMMARY: &str = "account or payment card number";

static CARD: LazyLock<Regex> = LazyLock::new(|| re(r"\b\d(?:[ \-]?\d){12,18}\b"));
static KEYED: LazyLock<Regex> = LazyLock::new(|| {
    keyed(
        r"acct|account|a/c|billing\s+(?:id|number|no\b|#)|card|routing|iban|invoice|statement\s+(?:number|no\b|#)|guarantor\s+(?:id|number|no\b|#)",
        r"[A-Z]{0,4}[\-]?\d[\d\-]{3,24}",
    )
});

pub(super) fn scan(text: &str, _ctx: &Context, out: &mut Vec<super::Finding>) {
    let mut spans: Vec<_> = CARD
        .find_iter(text)
        .filter(|m| luhn(&digits(m.as_str())))
        .map(|m| m.range())
        .filter(|r| standalone(text, r))
        .collect();
    spans.extend(
        keyed_ids(text, &KEYED, 4)
            .into_iter()
            .filter(|r| !is_year(&text[r.clone()])),
    );
    for span in spans {
        out.push(found(
            CODE,
            text,
            span,
            "account or card number",
            HELP_REMOVE,
        ));
    }
}

fn is_year(s: &str) -> bool {
    s.len() == 4 && (s.starts_with("19") || s.starts_with("20"))
}

#[cfg(test)]
mod tests {
    use super::super::test_support::codes;

    #[test]
    fn flags_cards_and_accounts() {
        assert_eq!(
            codes("Paid with 4111 1111 1111 1111 yesterday."),
            ["privacy/account"]
        );
        assert_eq!(
            codes("Billing account no. 88213007 is overdue."),
            ["privacy/account"]
        );
        assert_eq!(
            codes("The card ending in 4821 was declined."),
            ["privacy/account"]
        );
    }

    #[test]
    fn ignores_non_luhn_and_plain_accounts() {
        assert!(codes("Take into account 5 portions a day.").is_empty());
        assert!(codes("Reference 4111 1111 1111 1112 fails the check.").is_empty());
        assert!(codes("Your account for 2026 is ready in the app.").is_empty());
    }
}
