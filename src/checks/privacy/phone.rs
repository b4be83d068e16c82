//! `privacy/phone`: telephone and fax numbers (HIPAA identifiers 4 and 5).
//!
//! ## What it does
//! Finds North American numbers (with or without +1, dots, dashes,
//! parentheses, spaces), international numbers written with `+`, toll-free
//! vanity numbers (1-888-SHE-CARE), and bare 10-digit runs next to words like
//! "call", "text" or "fax". The organisation's own numbers and public help
//! lines (`privacy.allow`) are compared digit by digit, letters mapped to the
//! keypad, and allowed; 911 and 988 are never candidates.
//!
//! ## Why
//! A phone number reaches and identifies a person as surely as a name.
//! Statistics ("120/80", "1 in 3", years, ranges like 2026-2027) do not have
//! the 3-3-4 shape, so they are never candidates.

use super::{Context, digits, found, help_allow, re, standalone};
use regex::Regex;
use std::sync::LazyLock;

pub(super) const CODE: &str = "privacy/phone";
pub(super) const SUMMARY: &str =
    "phone or fax number that is not the organisation's or a public help line";

static NANP: LazyLock<Regex> = LazyLock::new(|| {
    re(r"(?:\+?1[\s.\-]?)?(?:\(\s*[2-9]\d{2}\s*\)\s?|[2-9]\d{2}[\s.\-])[2-9]\d{2}[\s.\-]\d{4}")
});
static VANITY: LazyLock<Regex> = LazyLock::new(|| {
    re(r"(?:\+?1[\s.\-])?8(?:00|33|44|55|66|77|88)[\s.\-][A-Z0-9]{2,4}[\s.\-]?[A-Z0-9]{2,4}")
});
static INTL: LazyLock<Regex> =
    LazyLock::new(|| re(r"\+[2-9]\d{0,2}(?:[\s.\-]?\(?\d{1,5}\)?){2,6}"));
static BARE: LazyLock<Regex> =
    LazyLock::new(|| re(r"\b(?:1?[2-9]\d{9}|0\d{2,4}[\s.\-]?\d{3,4}[\s.\-]?\d{3,4})\b"));
static PHONE_WORDS: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i)\b(?:call|calls|called|phone|tel|telephone|fax|mobile|cell|text|number|reach|ring|contact)\b",
    )
});

pub(super) fn scan(text: &str, ctx: &Context, out: &mut Vec<super::Finding>) {
    let allowed = allowed_numbers(ctx);
    let mut spans = super::Claimed::default();
    let mut push = |span: std::ops::Range<usize>, out: &mut Vec<super::Finding>| {
        if spans.overlaps(&span) {
            return;
        }
        if !standalone(text, &span) || glued_to_number(text, &span) {
            return;
        }
        let number = normalise(&text[span.clone()]);
        if allowed.contains(&number) {
            return;
        }
        spans.claim(&span);
        out.push(found(
            CODE,
            text,
            span,
            "phone number",
            help_allow("number"),
        ));
    };
    for m in VANITY.find_iter(text) {
        let s = m.as_str();
        if s.chars().any(|c| c.is_ascii_uppercase()) {
            push(m.range(), out);
        }
    }
    for m in NANP.find_iter(text) {
        push(m.range(), out);
    }
    for m in INTL.find_iter(text) {
        let n = digits(m.as_str()).len();
        if (8..=15).contains(&n) {
            push(m.range(), out);
        }
    }
    for m in BARE.find_iter(text) {
        let window = super::before(text, m.start(), 40);
        if PHONE_WORDS.is_match(window) {
            push(m.range(), out);
        }
    }
}

/// A dash, dot or slash joining the match to more digits ("2026-555-0100-7")
/// means it is part of some other number.
fn glued_to_number(text: &str, span: &std::ops::Range<usize>) -> bool {
    let b = &text.as_bytes()[..span.start];
    let a = &text.as_bytes()[span.end..];
    let before = b.len() >= 2
        && matches!(b[b.len() - 1], b'-' | b'.' | b'/')
        && b[b.len() - 2].is_ascii_digit();
    let after = a.len() >= 2 && matches!(a[0], b'-' | b'/') && a[1].is_ascii_digit();
    before || after
}

/// Digits with letters mapped to the keypad, without a leading 1 on
/// 11-digit North American numbers.
fn normalise(s: &str) -> String {
    let d: String = s
        .chars()
        .filter_map(|c| match c.to_ascii_uppercase() {
            c @ '0'..='9' => Some(c),
            'A'..='C' => Some('2'),
            'D'..='F' => Some('3'),
            'G'..='I' => Some('4'),
            'J'..='L' => Some('5'),
            'M'..='O' => Some('6'),
            'P'..='S' => Some('7'),
            'T'..='V' => Some('8'),
            'W'..='Z' => Some('9'),
            _ => None,
        })
        .collect();
    match d.strip_prefix('1') {
        Some(rest) if d.len() == 11 => rest.to_string(),
        _ => d,
    }
}

fn allowed_numbers(ctx: &Context) -> Vec<String> {
    ctx.allow
        .phones
        .iter()
        .chain(&ctx.allow.help_lines)
        .map(|p| normalise(p))
        .filter(|p| !p.is_empty())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::super::Allow;
    use super::super::test_support::{codes, codes_with};

    #[test]
    fn finds_numbers_in_many_formats() {
        for t in [
            "Call Maria at 617-555-0147.",
            "Fax the form to (617) 555-0199 today.",
            "Her cell is +1 617.555.0123.",
            "Ring him on +44 20 7946 0958.",
            "Text 6175550147 for updates.",
            "Call 1-888-SHE-CARE now.",
        ] {
            assert_eq!(codes(t), ["privacy/phone"], "{t}");
        }
    }

    #[test]
    fn allows_help_lines_own_numbers_and_statistics() {
        let allow = Allow {
            phones: vec!["+1 (555) 010-2000".into()],
            ..Allow::default()
        };
        for t in [
            "Call our nurse line at 555-010-2000.",
            "Call 1-800-QUIT-NOW or 1-800-784-8669 for help.",
            "Poison Help: 1-800-222-1222. In an emergency call 911 or 988.",
            "Aim for 120/80 mmHg; 1 in 3 adults have high blood pressure.",
            "The 2026-2027 season starts with 150 minutes a week.",
        ] {
            assert!(codes_with(t, &allow, false).is_empty(), "{t}");
        }
    }
}
