//! `privacy/*`: rule-based detection of protected health information (the
//! HIPAA Safe Harbor identifiers) in post bodies, titles and alt text.
//!
//! Modelled on Presidio and Philter: each rule finds candidates with a
//! pattern, then keeps only those that pass validation (checksums, number
//! plans, value ranges) or sit next to context words ("MRN", "admitted",
//! "license plate"), and drops what the organisation allows (its own phones,
//! domains and addresses, named staff, public help lines). Precision comes
//! from validation and context, not from flagging every number.
//!
//! Adding a rule: a new file with a `//!` comment (what it detects, why),
//! `CODE`, `SUMMARY` and `scan`, then one line in [`RULES`] and in [`scan`].
//!
//! `consent:` in the front matter (written authorization on file) lifts the
//! story-level rules (`name`, `date`, `age`, `room`, `photo`); identifiers that are
//! never needed to tell a story (SSN, MRN, phone, …) are reported regardless.

mod account;
mod address;
mod biometric;
mod dates;
mod device;
mod email;
mod health_plan;
mod ip;
mod license;
mod mrn;
mod name;
mod phone;
pub mod photo;
mod room;
mod ssn;
mod url;
mod vehicle;

use super::finding::Finding;
use std::ops::Range;

/// `privacy:` in policy.yaml.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Settings {
    pub allow: Allow,
}

/// What the organisation allows in posts (`privacy.allow` in policy.yaml).
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Allow {
    /// The organisation's own numbers, any formatting ("+1 (555) 010-2000").
    pub phones: Vec<String>,
    /// Its own domains (subdomains included), e.g. "example-hospital.org".
    pub domains: Vec<String>,
    /// Its own street addresses.
    pub addresses: Vec<String>,
    /// Named staff who are not patients, e.g. "Dana Whitfield".
    pub staff: Vec<String>,
    /// Public help lines allowed in posts.
    pub help_lines: Vec<String>,
}

impl Default for Allow {
    fn default() -> Allow {
        Allow {
            phones: Vec::new(),
            domains: Vec::new(),
            addresses: Vec::new(),
            staff: Vec::new(),
            help_lines: [
                "911",
                "988",
                "1-800-222-1222",
                "1-800-QUIT-NOW",
                "1-800-784-8669",
                "1-800-273-8255",
                "1-800-662-4357",
                "1-800-985-5990",
                "1-800-799-7233",
            ]
            .map(String::from)
            .to_vec(),
        }
    }
}

/// What a scan needs to know besides the text.
#[derive(Debug, Clone, Copy)]
pub struct Context<'a> {
    pub allow: &'a Allow,
    /// `consent:` is set in the front matter (written authorization on file)
    pub consent: bool,
}

/// code and one-line summary of every privacy rule, for the README's rule table
pub const RULES: &[(&str, &str)] = &[
    (name::CODE, name::SUMMARY),
    (dates::DATE_CODE, dates::DATE_SUMMARY),
    (dates::AGE_CODE, dates::AGE_SUMMARY),
    (phone::CODE, phone::SUMMARY),
    (email::CODE, email::SUMMARY),
    (ssn::CODE, ssn::SUMMARY),
    (mrn::CODE, mrn::SUMMARY),
    (health_plan::CODE, health_plan::SUMMARY),
    (account::CODE, account::SUMMARY),
    (license::CODE, license::SUMMARY),
    (vehicle::CODE, vehicle::SUMMARY),
    (device::CODE, device::SUMMARY),
    (url::CODE, url::SUMMARY),
    (ip::CODE, ip::SUMMARY),
    (address::CODE, address::SUMMARY),
    (room::CODE, room::SUMMARY),
    (biometric::CODE, biometric::SUMMARY),
    (photo::CODE, photo::SUMMARY),
];

/// Every privacy finding in `text`: byte ranges into `text`, sorted by start,
/// at most one finding for any stretch of text.
pub fn scan(text: &str, ctx: &Context) -> Vec<Finding> {
    // Order is priority: when two rules claim overlapping text, the more
    // specific (checksummed or context-bound) one earlier in this list wins.
    let rules: &[fn(&str, &Context, &mut Vec<Finding>)] = &[
        ssn::scan,
        health_plan::scan,
        mrn::scan,
        license::scan,
        vehicle::scan,
        device::scan,
        account::scan,
        email::scan,
        url::scan,
        ip::scan,
        phone::scan,
        address::scan,
        room::scan,
        dates::scan,
        biometric::scan,
        name::scan,
    ];
    let mut kept: Vec<Finding> = Vec::new();
    let mut claimed = Claimed::default();
    for rule in rules {
        let mut found = Vec::new();
        rule(text, ctx, &mut found);
        for f in found {
            if f.span.is_empty() || claimed.overlaps(&f.span) {
                continue;
            }
            claimed.claim(&f.span);
            kept.push(f);
        }
    }
    kept.sort_by_key(|f| (f.span.start, f.span.end));
    kept
}

/// Disjoint byte ranges already taken by a finding. Asking whether a range
/// overlaps one is a lookup, not a scan of every finding so far: a 1 MiB post
/// can hold tens of thousands of candidates.
#[derive(Default)]
pub(crate) struct Claimed(std::collections::BTreeMap<usize, usize>);

impl Claimed {
    pub(crate) fn overlaps(&self, r: &Range<usize>) -> bool {
        // The ranges are disjoint, so only the last one starting before
        // `r` ends can reach into it.
        self.0
            .range(..r.end)
            .next_back()
            .is_some_and(|(_, &end)| end > r.start)
    }

    /// Takes `r`, which must not overlap a range taken already.
    pub(crate) fn claim(&mut self, r: &Range<usize>) {
        self.0.insert(r.start, r.end);
    }
}

/// Help for identifiers that never belong in a post.
pub(crate) const HELP_REMOVE: &str = "remove it: posts are public and must not identify a patient";

/// Help for story elements a patient may authorize.
pub(crate) const HELP_CONSENT: &str = "remove or generalise it, or add `consent:` to the front matter when the patient gave written authorization";

/// Help for contact details the organisation may own.
pub(crate) fn help_allow(what: &str) -> String {
    format!(
        "remove it; if it is the organisation's own {what}, add it to `privacy.allow` in schedules/policy.yaml"
    )
}

/// A finding whose message quotes the matched text.
pub(crate) fn found(
    code: &'static str,
    text: &str,
    span: Range<usize>,
    what: &str,
    help: impl Into<String>,
) -> Finding {
    let quoted = text.get(span.clone()).unwrap_or_default();
    Finding::new(code, span, format!("{what} `{quoted}`")).with_help(help)
}

/// The text from up to `before` bytes before `start` to up to `after` bytes
/// after `end`, widened or narrowed to char boundaries.
pub(crate) fn around(text: &str, start: usize, end: usize, before: usize, after: usize) -> &str {
    let mut s = start.saturating_sub(before);
    while !text.is_char_boundary(s) {
        s += 1;
    }
    let mut e = (end + after).min(text.len());
    while !text.is_char_boundary(e) {
        e -= 1;
    }
    text.get(s..e).unwrap_or_default()
}

/// The text before `start`, at most `n` bytes.
pub(crate) fn before(text: &str, start: usize, n: usize) -> &str {
    around(text, start, start, n, 0)
}

/// The text after `end`, at most `n` bytes.
pub(crate) fn after(text: &str, end: usize, n: usize) -> &str {
    around(text, end, end, 0, n)
}

/// Whether `span` is not glued to letters or digits on either side
/// (the regex crate has no look-around).
pub(crate) fn standalone(text: &str, span: &Range<usize>) -> bool {
    let prev = text[..span.start].chars().next_back();
    let next = text[span.end..].chars().next();
    !prev.is_some_and(|c| c.is_alphanumeric()) && !next.is_some_and(|c| c.is_alphanumeric())
}

/// The ASCII digits of `s`.
pub(crate) fn digits(s: &str) -> String {
    s.chars().filter(char::is_ascii_digit).collect()
}

/// The Luhn (mod 10) check used by card and account numbers.
pub(crate) fn luhn(digits: &str) -> bool {
    let mut sum = 0;
    for (i, c) in digits.bytes().rev().enumerate() {
        let mut d = u32::from(c.wrapping_sub(b'0'));
        if d > 9 {
            return false;
        }
        if i % 2 == 1 {
            d *= 2;
            if d > 9 {
                d -= 9;
            }
        }
        sum += d;
    }
    !digits.is_empty() && sum % 10 == 0
}

/// Joins context words to an identifier: `keys`, then filler such as
/// "number", "no.", "#", ":" or "is", then the identifier as group `id`.
pub(crate) fn keyed(keys: &str, id: &str) -> regex::Regex {
    re(&format!(
        r"(?i)\b(?:{keys})(?:[\s:#.\-]|\b(?:is|was|number|no|num|nr|id|of|ending in|ends in)\b)*(?P<id>{id})"
    ))
}

/// Identifier spans (`id` group) after context words, with at least
/// `min_digits` digits and not glued to more letters or digits.
pub(crate) fn keyed_ids(
    text: &str,
    pattern: &regex::Regex,
    min_digits: usize,
) -> Vec<Range<usize>> {
    pattern
        .captures_iter(text)
        .filter_map(|c| c.name("id"))
        .filter(|m| m.as_str().chars().filter(char::is_ascii_digit).count() >= min_digits)
        .map(|m| m.range())
        .filter(|r| standalone(text, r))
        .collect()
}

/// Compiles a pattern written in this module; a bad one is a bug, caught by
/// every rule's unit tests.
pub(crate) fn re(pattern: &str) -> regex::Regex {
    regex::Regex::new(pattern).expect("privacy rule patterns are valid")
}

#[cfg(test)]
pub(crate) mod test_support {
    use super::*;

    pub fn codes(text: &str) -> Vec<&'static str> {
        codes_with(text, &Allow::default(), false)
    }

    pub fn codes_with(text: &str, allow: &Allow, consent: bool) -> Vec<&'static str> {
        scan(text, &Context { allow, consent })
            .into_iter()
            .map(|f| f.code)
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::test_support::codes;
    use super::*;

    #[test]
    fn luhn_checks() {
        assert!(luhn("4111111111111111"));
        assert!(!luhn("4111111111111112"));
    }

    #[test]
    fn findings_are_sorted_and_do_not_overlap() {
        let text = "Our patient Maria Lopez (MRN 4839201) called 617-555-0147 from room 412.";
        let found = scan(
            text,
            &Context {
                allow: &Allow::default(),
                consent: false,
            },
        );
        assert!(found.windows(2).all(|w| w[0].span.end <= w[1].span.start));
        assert!(codes(text).contains(&"privacy/mrn"));
    }

    #[test]
    fn rules_table_lists_every_code() {
        assert_eq!(RULES.len(), 18);
        assert!(
            RULES
                .iter()
                .all(|(c, s)| c.starts_with("privacy/") && !s.is_empty())
        );
    }
}
