//! `privacy/vehicle`: vehicle identifiers (HIPAA identifier 12).
//!
//! ## What it does
//! Finds 17-character VINs (no I, O or Q) whose check digit at position 9 is
//! right, and capitalised plates of four or more characters after "licence
//! plate", "plate (number)", "tag number" or "registration".
//!
//! ## Why
//! A VIN or plate leads to the vehicle's owner. Food plates ("fill half your
//! plate") have no capitalised letter-and-digit token after them.

use super::{Context, HELP_REMOVE, found, keyed, keyed_ids, re, standalone};
use regex::Regex;
use std::sync::LazyLock;

pub(super) const CODE: &str = "privacy/vehicle";
pub(super) const SUMMARY: &str = "vehicle identification number or licence plate";

static VIN: LazyLock<Regex> = LazyLock::new(|| re(r"(?i)\b[A-HJ-NPR-Z0-9]{17}\b"));
static PLATE: LazyLock<Regex> = LazyLock::new(|| {
    keyed(
        r"licen[cs]e\s+plates?|number\s+plates?|registration\s+plates?|plates?|tag\s+(?:number|no\b|#)|vehicle\s+registration",
        r"[A-Z0-9]{1,4}[\- ]?[A-Z0-9]{2,5}",
    )
});

pub(super) fn scan(text: &str, _ctx: &Context, out: &mut Vec<super::Finding>) {
    for m in VIN.find_iter(text) {
        if vin_check(m.as_str()) && standalone(text, &m.range()) {
            out.push(found(
                CODE,
                text,
                m.range(),
                "vehicle identification number",
                HELP_REMOVE,
            ));
        }
    }
    for span in keyed_ids(text, &PLATE, 1) {
        let plate = &text[span.clone()];
        let letters = plate.chars().filter(char::is_ascii_alphabetic).count();
        // A plate mixes letters and digits, is written in capitals and has
        // at least four characters ("B12" on a plate is a vitamin).
        let chars = plate.chars().filter(char::is_ascii_alphanumeric).count();
        if letters == 0 || chars < 4 || plate.chars().any(|c| c.is_ascii_lowercase()) {
            continue;
        }
        out.push(found(CODE, text, span, "licence plate", HELP_REMOVE));
    }
}

fn vin_check(vin: &str) -> bool {
    const WEIGHTS: [u32; 17] = [8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2];
    let vin = vin.to_ascii_uppercase();
    let has_letter = vin.chars().any(|c| c.is_ascii_alphabetic());
    let has_digit = vin.chars().any(|c| c.is_ascii_digit());
    if !has_letter || !has_digit {
        return false;
    }
    let mut sum = 0;
    for (i, c) in vin.chars().enumerate() {
        let v = match c {
            '0'..='9' => c as u32 - '0' as u32,
            'A' | 'J' => 1,
            'B' | 'K' | 'S' => 2,
            'C' | 'L' | 'T' => 3,
            'D' | 'M' | 'U' => 4,
            'E' | 'N' | 'V' => 5,
            'F' | 'W' => 6,
            'G' | 'P' | 'X' => 7,
            'H' | 'Y' => 8,
            'R' | 'Z' => 9,
            _ => return false,
        };
        sum += v * WEIGHTS[i];
    }
    let check = match sum % 11 {
        10 => 'X',
        n => char::from_digit(n, 10).unwrap_or('?'),
    };
    vin.chars().nth(8) == Some(check)
}

#[cfg(test)]
mod tests {
    use super::super::test_support::codes;

    #[test]
    fn flags_vins_and_plates() {
        assert_eq!(
            codes("The van, VIN 1M8GDM9AXKP042788, was towed."),
            ["privacy/vehicle"]
        );
        assert_eq!(
            codes("His car had license plate 7XKR294 on it."),
            ["privacy/vehicle"]
        );
    }

    #[test]
    fn ignores_bad_vins_and_food_plates() {
        assert!(codes("Part 1M8GDM9A1KP042788 has the wrong check digit.").is_empty());
        assert!(codes("Fill half your plate with vegetables, 2 times a day.").is_empty());
    }
}
