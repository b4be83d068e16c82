//! `privacy/date` and `privacy/age`: dates tied to a person, and ages over 89
//! (HIPAA identifier 3).
//!
//! ## What it does
//! Reports a date (March 3, 1951; 3 March; 04/12/1961; 2026-08-21; Oct. 2)
//! when a personal-event word is a few words before it in the same sentence
//! ("born", "DOB", "admitted", "discharged", "died", "passed away", "her
//! surgery", "had his transplant", …) or just after it ("…, the day she was
//! admitted"). Reports ages of 90 or more ("aged 92", "93-year-old", "turned
//! 95", "Grandma, 94,", "101st birthday") unless aggregated ("90 and older").
//!
//! ## Why
//! A birth, admission, discharge, surgery or death date narrows a patient
//! down to a handful of people; so does a very old age. Event dates ("clinic
//! open on December 19", "the 2026-27 season") are fine.

use super::{Context, HELP_CONSENT, found, re};
use regex::Regex;
use std::sync::LazyLock;

pub(super) const DATE_CODE: &str = "privacy/date";
pub(super) const DATE_SUMMARY: &str = "date of birth, admission, discharge, surgery or death";
pub(super) const AGE_CODE: &str = "privacy/age";
pub(super) const AGE_SUMMARY: &str = "age over 89";

const MONTH: &str = r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?";

static DATE: LazyLock<Regex> = LazyLock::new(|| {
    re(&format!(
        r"(?i)\b(?:{MONTH}\s+\d{{1,2}}(?:st|nd|rd|th)?(?:,?\s+\d{{4}})?|\d{{1,2}}(?:st|nd|rd|th)?\s+(?:of\s+)?{MONTH}(?:,?\s+\d{{4}})?|{MONTH},?\s+\d{{4}}|\d{{1,2}}/\d{{1,2}}(?:/\d{{2,4}})?|\d{{1,2}}-\d{{1,2}}-\d{{2,4}}|\d{{4}}-\d{{2}}-\d{{2}}|\d{{1,2}}\.\d{{1,2}}\.\d{{4}})\b"
    ))
});
static TRIGGER_BEFORE: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i)(?:\b(?:born|date\s+of\s+birth|birth\s*date|dob|d\.o\.b|birthday|b\.|admitted|discharged|died|passed\s+away|deceased|operated\s+on|(?:was|were)\s+delivered|diagnosed|hospitali[sz]ed|rushed|collapsed|overdosed)|(?:\b(?:his|her|their|my|had|has|having|got)|['’]s)\s+(?:\w+\s+){0,2}?(?:surgery|transplant|operation|procedure|stroke|heart\s+attack|biopsy|chemo\w*|accident|fall|admission|discharge|death|funeral|delivery|c-section|amputation|diagnosis))\b(?:\W+\w+){0,5}?\W+(?:on|of|in|at|date|:)?\W*$",
    )
});
static TRIGGER_AFTER: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i)^\W{0,3}(?:(?:the\s+day|when)\s+(?:he|she|they|\w+)\s+(?:was|were)\s+(?:born|admitted|discharged|diagnosed)|(?:he|she|they)\s+(?:was|were)\s+(?:born|admitted|discharged|diagnosed))",
    )
});
/// A year alone that a personal event is tied to is not an identifier, and
/// slashes in ratios ("120/80") are not dates.
static NOT_DATE: LazyLock<Regex> = LazyLock::new(|| re(r"(?i)^\d{1,3}/\d{1,3}$"));
static AGE: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i)\b(?:aged?\s+(?:of\s+)?(?P<a>\d{2,3})|(?P<b>\d{2,3})[\s\-]+(?:years?|yrs?)[\s\-]+old|(?P<c>\d{2,3})(?:st|nd|rd|th)\s+birthday|turn(?:s|ed|ing)?\s+(?P<d>\d{2,3})\b|(?:[A-Z][a-z]+|he|she),\s+(?P<e>\d{2,3}),|(?P<f>\d{2,3})-year-old)",
    )
});
static AGGREGATE: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i)^\s*(?:\+|and\s+(?:older|over|up)|or\s+(?:older|over)|years?\s+(?:and|or)\s+(?:older|over)|(?:-|\s)?years?(?:-|\s)old\s+and\s+(?:older|over)|s\b)",
    )
});

pub(super) fn scan(text: &str, ctx: &Context, out: &mut Vec<super::Finding>) {
    if ctx.consent {
        return;
    }
    for m in DATE.find_iter(text) {
        if NOT_DATE.is_match(m.as_str()) && !m.as_str().contains(char::is_alphabetic) {
            let b = text[..m.start()].trim_end();
            if !b.to_ascii_lowercase().ends_with("dob") && !b.ends_with(':') {
                // "3/14" is a date only right after a trigger like "DOB:".
                if !TRIGGER_BEFORE.is_match(super::before(text, m.start(), 25)) {
                    continue;
                }
            }
        }
        let before = sentence_tail(super::before(text, m.start(), 60));
        let after = super::after(text, m.end(), 60);
        if TRIGGER_BEFORE.is_match(before) || TRIGGER_AFTER.is_match(after) {
            out.push(found(
                DATE_CODE,
                text,
                m.range(),
                "date tied to a person",
                HELP_CONSENT,
            ));
        }
    }
    for c in AGE.captures_iter(text) {
        let (Some(all), Some(n)) = (
            c.get(0),
            ["a", "b", "c", "d", "e", "f"]
                .iter()
                .find_map(|g| c.name(g)),
        ) else {
            continue;
        };
        let age: u32 = n.as_str().parse().unwrap_or(0);
        if !(90..=125).contains(&age) || AGGREGATE.is_match(&text[n.end()..]) {
            continue;
        }
        if AGGREGATE.is_match(&text[all.end()..]) {
            continue;
        }
        out.push(found(AGE_CODE, text, n.range(), "age over 89", "write \"90 or older\" instead, or add `consent:` to the front matter when the patient gave written authorization"));
    }
}

/// The part of `s` after the last sentence end, so a trigger in the previous
/// sentence does not reach this date.
fn sentence_tail(s: &str) -> &str {
    match s.rfind(". ").or_else(|| s.rfind('\n')) {
        Some(i) => &s[i + 1..],
        None => s,
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::codes;

    #[test]
    fn flags_personal_dates_and_old_ages() {
        assert_eq!(codes("Ana was born on March 3, 1951."), ["privacy/date"]);
        assert_eq!(codes("DOB: 04/12/1961"), ["privacy/date"]);
        assert_eq!(
            codes("He was discharged on June 9 after a week."),
            ["privacy/date"]
        );
        assert_eq!(
            codes("At 93 years old, she still walks daily."),
            ["privacy/age"]
        );
        assert_eq!(codes("A 96-year-old woman got her shot."), ["privacy/age"]);
    }

    #[test]
    fn ignores_event_dates_and_aggregates() {
        assert!(codes("The clinic is open on December 19 from 9 a.m. to 1 p.m.").is_empty());
        assert!(codes("Vaccines for the 2026-27 season; adults aged 65 and older.").is_empty());
        assert!(codes("People aged 90 and older need extra care. Aim for 120/80.").is_empty());
    }
}
