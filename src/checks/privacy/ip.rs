//! `privacy/ip`: IP addresses (HIPAA identifier 15).
//!
//! ## What it does
//! Finds IPv4 addresses (four octets, 0-255, no leading zeros) and IPv6
//! addresses that the standard library parses. Version numbers ("1.2.3",
//! "version 10.0.19041.1") and times ("9:30") are not addresses.
//!
//! ## Why
//! An IP address in a log excerpt or screenshot caption can lead to a
//! household.

use super::{Context, HELP_REMOVE, found, re};
use regex::Regex;
use std::net::{Ipv4Addr, Ipv6Addr};
use std::sync::LazyLock;

pub(super) const CODE: &str = "privacy/ip";
pub(super) const SUMMARY: &str = "IPv4 or IPv6 address";

static V4: LazyLock<Regex> = LazyLock::new(|| re(r"\b\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}\b"));
static V6: LazyLock<Regex> =
    LazyLock::new(|| re(r"(?i)(?:[0-9a-f]{0,4}:){2,7}[0-9a-f]{0,4}(?:%[0-9a-z]+)?"));
static VERSION: LazyLock<Regex> =
    LazyLock::new(|| re(r"(?i)(?:\bv|version|release|build|update|ver\.?)\s*$"));

pub(super) fn scan(text: &str, _ctx: &Context, out: &mut Vec<super::Finding>) {
    for m in V4.find_iter(text) {
        let before = &text[..m.start()];
        let after = &text[m.end()..];
        let dotted = |s: &str, first: bool| {
            let b = s.as_bytes();
            let (dot, next) = if first {
                (b.last(), b.len().checked_sub(2).and_then(|i| b.get(i)))
            } else {
                (b.first(), b.get(1))
            };
            dot == Some(&b'.') && next.is_some_and(u8::is_ascii_digit)
        };
        if dotted(before, true) || dotted(after, false) || VERSION.is_match(before) {
            continue;
        }
        if m.as_str().parse::<Ipv4Addr>().is_ok() {
            out.push(found(CODE, text, m.range(), "IP address", HELP_REMOVE));
        }
    }
    for m in V6.find_iter(text) {
        let s = m.as_str().split('%').next().unwrap_or_default();
        let groups = s.split(':').filter(|g| !g.is_empty()).count();
        if groups >= 3 && s.parse::<Ipv6Addr>().is_ok() {
            out.push(found(CODE, text, m.range(), "IP address", HELP_REMOVE));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::codes;

    #[test]
    fn flags_addresses() {
        assert_eq!(
            codes("Login from 203.0.113.45 was blocked."),
            ["privacy/ip"]
        );
        assert_eq!(
            codes("Seen at 2001:db8:85a3::8a2e:370:7334 today."),
            ["privacy/ip"]
        );
    }

    #[test]
    fn ignores_versions_and_times() {
        assert!(codes("Update the app to version 4.12.0.1 or 2.3.1.").is_empty());
        assert!(codes("Open 9:30 to 12:45, Monday to Friday.").is_empty());
        assert!(codes("Octet 300.1.2.3 is not valid.").is_empty());
    }
}
