//! `privacy/photo`: an image that shows people needs a photo release on file.
//!
//! What it does: reads the image's alt text (which must describe the image)
//! for words that name or describe a person; if it finds one and the post has
//! no `consent:`, the image is reported.
//!
//! Why: a recognisable patient in a photo is as identifying as a name, and a
//! hospital must hold a signed release before publishing it.

use super::super::finding::Finding;
use regex::{Regex, RegexBuilder};
use std::ops::Range;
use std::sync::LazyLock;

pub const CODE: &str = "privacy/photo";
pub const SUMMARY: &str =
    "an image whose alt text shows people, in a post without `consent:` (photo release)";

static PEOPLE: LazyLock<Regex> = LazyLock::new(|| {
    // Invariant: a constant pattern.
    RegexBuilder::new(
        r"\b(?:person|people|man|men|woman|women|child|children|kids?|boy|girl|baby|babies|infant|toddler|teen(?:ager)?s?|family|families|patients?|nurses?|doctors?|physicians?|surgeons?|mother|father|mom|dad|parents?|grand(?:mother|father|parent)s?|seniors?|volunteers?|staff|crowd|couple|face|he|she|his|her)\b",
    )
    .case_insensitive(true)
    .build()
    .unwrap_or_else(|e| unreachable!("{e}"))
});

/// `alt` is the image's alt text at `span` of the file.
pub fn check(alt: &str, span: Range<usize>, consent: bool, out: &mut Vec<Finding>) {
    if consent {
        return;
    }
    if let Some(m) = PEOPLE.find(alt) {
        out.push(
            Finding::new(
                CODE,
                span,
                format!(
                    "the image shows people (\"{}\") and the post has no `consent:`",
                    m.as_str()
                ),
            )
            .with_help(
                "add `consent:` naming the photo release on file, or use an image without people",
            ),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn people_in_the_alt_text_need_consent() {
        let mut out = Vec::new();
        check(
            "A nurse gives a flu shot to a child",
            0..10,
            false,
            &mut out,
        );
        assert_eq!(out.len(), 1);
        let mut out = Vec::new();
        check("A nurse gives a flu shot to a child", 0..10, true, &mut out);
        check("A bowl of fruit and vegetables", 0..10, false, &mut out);
        check("Thermometer shows a fever", 0..10, false, &mut out);
        assert!(out.is_empty());
    }
}
