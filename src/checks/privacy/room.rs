//! `privacy/room`: room and bed numbers tied to a patient.
//!
//! ## What it does
//! Finds "room 412", "bed 3B", "bay C4" when a patient is nearby
//! ("patient", "admitted", "stayed", "recovering", "discharged", a pronoun
//! or a relative) and no event is ("class", "meeting", "p.m.").
//!
//! ## Why
//! "The patient in room 412" points at one person on a given day; "classes in
//! room 204" is a place.

use super::{Context, HELP_CONSENT, found, re};
use regex::Regex;
use std::sync::LazyLock;

pub(super) const CODE: &str = "privacy/room";
pub(super) const SUMMARY: &str = "room or bed number tied to a patient";

static ROOM: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i)\b(?:room|rm\.?|bed|bay|bed\s+space|cubicle|isolation\s+room)\s*(?:no\.?|number|#)?\s*(?P<id>\d{1,4}[A-Z]?(?:-[A-Z0-9]{1,3})?|[A-Z]\d{1,3}|[A-Z]-\d{1,3})\b",
    )
});
static PATIENT: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i)\b(?:patients?|admitted|admission|stayed|staying|stay|recover(?:ing|ed|s)?|resting|discharged|bedside|his|her|he|she|him|mom|dad|mother|father|son|daughter|wife|husband|grandma|grandpa|grandmother|grandfather|visit(?:ed|ing)?|intensive care|icu|nicu|ward|spent)\b",
    )
});
/// A room that hosts an event is not a patient's room.
static EVENT: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i)\b(?:class|classes|session|meeting|workshop|clinic|lecture|seminar|talk|event|group|screening|held|register|sign up|a\.m\.|p\.m\.|am|pm)\b",
    )
});

pub(super) fn scan(text: &str, ctx: &Context, out: &mut Vec<super::Finding>) {
    if ctx.consent {
        return;
    }
    for c in ROOM.captures_iter(text) {
        let (Some(all), Some(_)) = (c.get(0), c.name("id")) else {
            continue;
        };
        let near = super::around(text, all.start(), all.end(), 70, 50);
        if PATIENT.is_match(near) && !EVENT.is_match(near) {
            out.push(found(
                CODE,
                text,
                all.range(),
                "patient's room",
                HELP_CONSENT,
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::Allow;
    use super::super::test_support::{codes, codes_with};

    #[test]
    fn flags_patient_rooms() {
        assert_eq!(
            codes("The patient in room 412 asked for more blankets."),
            ["privacy/room"]
        );
        assert_eq!(
            codes("She is recovering in bed 3B of the east wing."),
            ["privacy/room"]
        );
        assert!(codes_with("She is recovering in bed 3B.", &Allow::default(), true).is_empty());
    }

    #[test]
    fn ignores_event_rooms() {
        assert!(codes("The diabetes class meets in room 204 at 6 p.m.").is_empty());
        assert!(codes("Make room for 5 portions of vegetables.").is_empty());
    }
}
