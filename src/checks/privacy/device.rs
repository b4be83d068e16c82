//! `privacy/device`: device identifiers and serial numbers (HIPAA identifier 13).
//!
//! ## What it does
//! Finds identifiers with at least five digits after "S/N", "SN", "serial
//! number", "device ID", "implant ID", "UDI" or "IMEI", and UDIs in GS1 form
//! ("(01)" + 14-digit GTIN, optionally further "(nn)" elements).
//!
//! ## Why
//! The serial number of a pacemaker, pump or hearing aid is tied to one
//! patient in the manufacturer's registry.

use super::{Context, HELP_REMOVE, found, keyed, keyed_ids, re};
use regex::Regex;
use std::sync::LazyLock;

pub(super) const CODE: &str = "privacy/device";
pub(super) const SUMMARY: &str = "medical device serial number or UDI";

static UDI: LazyLock<Regex> =
    LazyLock::new(|| re(r"\(01\)\s?\d{14}(?:\s?\(\d{2,4}\)\s?[A-Za-z0-9\-]{1,20})*"));
static KEYED: LazyLock<Regex> = LazyLock::new(|| {
    keyed(
        r"s/n|sn#|sn\b|serial\s*(?:number|no\b|#)?|device\s+(?:id|identifier|serial)|implant\s+(?:id|card|serial)|udi|imei|model\s+and\s+serial",
        r"[A-Z]{0,6}[\-]?[A-Z0-9][A-Z0-9\-]{3,24}",
    )
});

pub(super) fn scan(text: &str, _ctx: &Context, out: &mut Vec<super::Finding>) {
    let mut spans: Vec<_> = UDI.find_iter(text).map(|m| m.range()).collect();
    // Five digits or more: "Model SN-2000" is a product, not a serial.
    spans.extend(keyed_ids(text, &KEYED, 5));
    for span in spans {
        out.push(found(CODE, text, span, "device identifier", HELP_REMOVE));
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::codes;

    #[test]
    fn flags_serials_and_udis() {
        assert_eq!(
            codes("Pacemaker S/N PJN482913 was checked."),
            ["privacy/device"]
        );
        assert_eq!(
            codes("Label: (01)00884838012345(17)271231(21)A77B"),
            ["privacy/device"]
        );
    }

    #[test]
    fn ignores_serial_without_number() {
        assert!(codes("Keep the serial number of your inhaler in a safe place.").is_empty());
        assert!(codes("Cereal with 3 g of fibre is a good pick.").is_empty());
        assert!(codes("Model SN-2000 glucose meters were recalled.").is_empty());
    }
}
