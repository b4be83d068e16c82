//! `privacy/biometric`: biometric identifiers (HIPAA identifier 16).
//!
//! ## What it does
//! Reports unambiguous terms (fingerprint, thumbprint, voiceprint, facial
//! recognition, faceprint, palm print, DNA profile) unless they are figures
//! of speech ("the virus's genetic fingerprint") or phone-lock advice ("use a
//! fingerprint or a PIN"); reports eye scans and genetic results only next to
//! a person or an identification purpose.
//!
//! ## Why
//! Fingerprints, voiceprints, iris and retina scans, face templates and DNA
//! profiles identify a person for life. "Get a retinal scan every year if
//! you have diabetes" is health advice, not an identifier.

use super::{Context, HELP_REMOVE, found, re};
use regex::Regex;
use std::sync::LazyLock;

pub(super) const CODE: &str = "privacy/biometric";
pub(super) const SUMMARY: &str =
    "biometric identifier (fingerprint, voiceprint, iris/retina scan, face template, DNA profile)";

static STRONG: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i)\b(?:finger\s?prints?|thumb\s?prints?|voice\s?prints?|palm\s?prints?|face\s?prints?|(?:facial|face)\s+(?:recognition|scans?|templates?|geometry)|hand\s+geometry|dna\s+(?:profiles?|fingerprints?)|genetic\s+(?:profiles?|fingerprints?)|gait\s+signatures?)\b",
    )
});
static WEAK: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i)\b(?:retina[l]?\s+(?:scans?|images?|patterns?)|iris\s+(?:scans?|images?|patterns?|recognition)|dna\s+(?:samples?|results?|tests?|sequences?)|genetic\s+(?:test\s+)?results?|genome\s+sequences?)\b",
    )
});
static PERSON: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i)(?:\b(?:his|her|their|patient'?s?|identif\w*|unlock\w*|log\s*in|sign\s*in|on file|database|stored|matched|match|verify|verif\w*|police)\b|[A-Z][a-z]+'s\b)",
    )
});
/// Figurative uses: "the flu's genetic fingerprint".
static FIGURATIVE: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i)\b(?:virus|viral|viruses|strain|strains|outbreak|flu|bacteria\w*|tumou?rs?|cancer|carbon|cells?|germs?|species|sample\s+from\s+the\s+(?:lab|water))\b",
    )
});

/// Advice about locking a phone or app: "use a fingerprint or a PIN".
static DEVICE_LOCK: LazyLock<Regex> = LazyLock::new(|| {
    re(r"(?i)\b(?:use|using|set\s+up|turn\s+on|enable|add|with)\s+(?:a\s+|your\s+|the\s+)?$")
});

pub(super) fn scan(text: &str, _ctx: &Context, out: &mut Vec<super::Finding>) {
    for m in STRONG.find_iter(text) {
        let before = super::before(text, m.start(), 30);
        if FIGURATIVE.is_match(super::around(text, m.start(), m.end(), 40, 25))
            || DEVICE_LOCK.is_match(before)
        {
            continue;
        }
        out.push(found(
            CODE,
            text,
            m.range(),
            "biometric identifier",
            HELP_REMOVE,
        ));
    }
    for m in WEAK.find_iter(text) {
        if PERSON.is_match(super::around(text, m.start(), m.end(), 50, 40)) {
            out.push(found(
                CODE,
                text,
                m.range(),
                "biometric identifier",
                HELP_REMOVE,
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::codes;

    #[test]
    fn flags_biometrics() {
        assert_eq!(
            codes("We matched his fingerprints to the chart."),
            ["privacy/biometric"]
        );
        assert_eq!(
            codes("Her iris scan is on file at the lab."),
            ["privacy/biometric"]
        );
    }

    #[test]
    fn ignores_advice_and_figures_of_speech() {
        assert!(codes("If you have diabetes, get a retinal scan every year.").is_empty());
        assert!(codes("Scientists read the flu virus genetic fingerprint each season.").is_empty());
        assert!(codes("Wash between your fingers for 20 seconds.").is_empty());
    }
}
