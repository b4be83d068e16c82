//! `privacy/mrn`: medical record numbers (HIPAA identifier 8).
//!
//! ## What it does
//! Finds an identifier with at least four digits right after "MRN", "MR#",
//! "medical record (number)", "chart no.", "patient ID" or "record number".
//!
//! ## Why
//! An MRN points straight at one patient's chart. MRN formats differ between
//! hospitals, so the rule relies on context rather than on a shape.

use super::{Context, HELP_REMOVE, found, keyed, keyed_ids};
use regex::Regex;
use std::sync::LazyLock;

pub(super) const CODE: &str = "privacy/mrn";
pub(super) const SUMMARY: &str = "medical record number (MRN, chart number, patient ID)";

static MRN: LazyLock<Regex> = LazyLock::new(|| {
    keyed(
        r"mrn|mr\s?#|mr\s+no\b|med(?:ical)?\s+rec(?:ord)?s?(?:\s+(?:number|no|#))?|chart(?:\s+(?:number|no|#|id))|patient\s+(?:id|identifier|number|no\b|#)|record\s+(?:number|no\b|#)|hospital\s+(?:number|no\b)",
        r"[A-Z]{0,4}[\-]?\d[\d\-]{3,14}[A-Z]?",
    )
});

pub(super) fn scan(text: &str, _ctx: &Context, out: &mut Vec<super::Finding>) {
    for span in keyed_ids(text, &MRN, 4) {
        out.push(found(
            CODE,
            text,
            span,
            "medical record number",
            HELP_REMOVE,
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::codes;

    #[test]
    fn flags_record_numbers_in_context() {
        assert_eq!(codes("Chart: MRN 00482913."), ["privacy/mrn"]);
        assert_eq!(codes("Medical record number: EH-5520391"), ["privacy/mrn"]);
        assert_eq!(
            codes("Patient ID #7781204 was mislabelled."),
            ["privacy/mrn"]
        );
    }

    #[test]
    fn ignores_records_without_ids() {
        assert!(codes("Ask for your medical records online in 3 days.").is_empty());
        assert!(codes("Keep a record of 2024 readings.").is_empty());
    }
}
