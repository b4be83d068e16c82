//! Characters a post must not hold: control characters other than tab, line
//! feed and carriage return, and Unicode non-characters. They are invisible
//! in an editor, and XML 1.0 forbids most of them outright, so one of them in
//! a title made `feed.xml` unreadable and feed readers dropped every entry.
//! `content/control-char` reports them; the feed writer strips what XML
//! forbids whatever reaches it.

use std::borrow::Cow;

/// Whether `c` may not appear in a post: C0 controls other than tab, LF and
/// CR, DEL, C1 controls, and the non-characters U+FDD0–U+FDEF and U+xFFFE,
/// U+xFFFF of every plane.
pub fn is_forbidden(c: char) -> bool {
    let n = u32::from(c);
    (c.is_control() && !matches!(c, '\t' | '\n' | '\r'))
        || (0xFDD0..=0xFDEF).contains(&n)
        || n & 0xFFFE == 0xFFFE
}

/// Whether XML 1.0 forbids `c` (its `Char` production): C0 controls other
/// than tab, LF and CR, and U+FFFE, U+FFFF. (Surrogates cannot be a `char`.)
pub fn xml_forbids(c: char) -> bool {
    matches!(c, '\0'..='\u{8}' | '\u{B}' | '\u{C}' | '\u{E}'..='\u{1F}' | '\u{FFFE}' | '\u{FFFF}')
}

/// `text` without the characters XML 1.0 forbids.
pub fn strip_xml_forbidden(text: &str) -> Cow<'_, str> {
    if text.chars().any(xml_forbids) {
        Cow::Owned(text.chars().filter(|c| !xml_forbids(*c)).collect())
    } else {
        Cow::Borrowed(text)
    }
}

/// `text` with every forbidden character replaced by a visible stand-in of
/// one character (C0 by its Control Pictures symbol, ␛ for ESC, the rest by
/// U+FFFD), so that printing a source line cannot drive the writer's
/// terminal and carets stay under the right column.
pub fn visible(text: &str) -> Cow<'_, str> {
    if !text.chars().any(is_forbidden) {
        return Cow::Borrowed(text);
    }
    Cow::Owned(
        text.chars()
            .map(|c| match u32::from(c) {
                n @ 0..=0x1F if is_forbidden(c) => char::from_u32(0x2400 + n).unwrap_or('\u{FFFD}'),
                0x7F => '\u{2421}',
                _ if is_forbidden(c) => '\u{FFFD}',
                _ => c,
            })
            .collect(),
    )
}

/// `U+001B ESCAPE`: the code point and, for controls, the Unicode name (or
/// alias, for C0 and C1, which have no names of their own).
pub fn describe(c: char) -> String {
    let n = u32::from(c);
    let name = match n {
        0x00..=0x1F => C0.get(n as usize).copied().unwrap_or("CONTROL"),
        0x7F => "DELETE",
        0x80..=0x9F => C1.get((n - 0x80) as usize).copied().unwrap_or("CONTROL"),
        _ if is_forbidden(c) => "a Unicode non-character",
        _ => "",
    };
    if name.is_empty() {
        format!("U+{n:04X}")
    } else {
        format!("U+{n:04X} {name}")
    }
}

const C0: [&str; 32] = [
    "NULL",
    "START OF HEADING",
    "START OF TEXT",
    "END OF TEXT",
    "END OF TRANSMISSION",
    "ENQUIRY",
    "ACKNOWLEDGE",
    "ALERT",
    "BACKSPACE",
    "CHARACTER TABULATION",
    "LINE FEED",
    "LINE TABULATION",
    "FORM FEED",
    "CARRIAGE RETURN",
    "SHIFT OUT",
    "SHIFT IN",
    "DATA LINK ESCAPE",
    "DEVICE CONTROL ONE",
    "DEVICE CONTROL TWO",
    "DEVICE CONTROL THREE",
    "DEVICE CONTROL FOUR",
    "NEGATIVE ACKNOWLEDGE",
    "SYNCHRONOUS IDLE",
    "END OF TRANSMISSION BLOCK",
    "CANCEL",
    "END OF MEDIUM",
    "SUBSTITUTE",
    "ESCAPE",
    "INFORMATION SEPARATOR FOUR",
    "INFORMATION SEPARATOR THREE",
    "INFORMATION SEPARATOR TWO",
    "INFORMATION SEPARATOR ONE",
];

const C1: [&str; 32] = [
    "PADDING CHARACTER",
    "HIGH OCTET PRESET",
    "BREAK PERMITTED HERE",
    "NO BREAK HERE",
    "INDEX",
    "NEXT LINE",
    "START OF SELECTED AREA",
    "END OF SELECTED AREA",
    "CHARACTER TABULATION SET",
    "CHARACTER TABULATION WITH JUSTIFICATION",
    "LINE TABULATION SET",
    "PARTIAL LINE FORWARD",
    "PARTIAL LINE BACKWARD",
    "REVERSE LINE FEED",
    "SINGLE SHIFT TWO",
    "SINGLE SHIFT THREE",
    "DEVICE CONTROL STRING",
    "PRIVATE USE ONE",
    "PRIVATE USE TWO",
    "SET TRANSMIT STATE",
    "CANCEL CHARACTER",
    "MESSAGE WAITING",
    "START OF GUARDED AREA",
    "END OF GUARDED AREA",
    "START OF STRING",
    "SINGLE GRAPHIC CHARACTER INTRODUCER",
    "SINGLE CHARACTER INTRODUCER",
    "CONTROL SEQUENCE INTRODUCER",
    "STRING TERMINATOR",
    "OPERATING SYSTEM COMMAND",
    "PRIVACY MESSAGE",
    "APPLICATION PROGRAM COMMAND",
];

/// The first YAML double-quoted escape in `text` that stands for `c`
/// (`\0`, `\e`, `\x1b`, `\u001B`, `\U0000FFFF`, `\N` …), as a byte range.
/// `\\` is skipped whole, so `\\e` is not taken for ESC.
pub fn find_escape(text: &str, c: char) -> Option<std::ops::Range<usize>> {
    let b = text.as_bytes();
    let mut i = 0;
    while i + 1 < b.len() {
        if b[i] != b'\\' {
            i += 1;
            continue;
        }
        let hex = |len: usize| {
            text.get(i + 2..i + 2 + len)
                .and_then(|h| u32::from_str_radix(h, 16).ok())
                .map(|n| (n, 2 + len))
        };
        let decoded = match b[i + 1] {
            b'0' => Some((0, 2)),
            b'a' => Some((7, 2)),
            b'b' => Some((8, 2)),
            b'v' => Some((0xB, 2)),
            b'f' => Some((0xC, 2)),
            b'e' => Some((0x1B, 2)),
            b'N' => Some((0x85, 2)),
            b'x' => hex(2),
            b'u' => hex(4),
            b'U' => hex(8),
            _ => None,
        };
        match decoded {
            Some((n, len)) if n == u32::from(c) => return Some(i..i + len),
            Some((_, len)) => i += len,
            None => i += 2,
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forbidden_characters_and_their_names() {
        for c in [
            '\0',
            '\u{1B}',
            '\u{7F}',
            '\u{85}',
            '\u{9F}',
            '\u{FDD0}',
            '\u{FFFE}',
            '\u{FFFF}',
            '\u{1FFFF}',
            '\u{10FFFE}',
        ] {
            assert!(is_forbidden(c), "{}", describe(c));
        }
        for c in [
            '\t',
            '\n',
            '\r',
            ' ',
            'é',
            '\u{A0}',
            '\u{2028}',
            '\u{FFFD}',
            '\u{FDCF}',
            '\u{FDF0}',
            '\u{1F600}',
        ] {
            assert!(!is_forbidden(c), "{}", describe(c));
        }
        assert_eq!(describe('\u{1B}'), "U+001B ESCAPE");
        assert_eq!(describe('\0'), "U+0000 NULL");
        assert_eq!(describe('\u{85}'), "U+0085 NEXT LINE");
        assert_eq!(describe('\u{FFFF}'), "U+FFFF a Unicode non-character");
        assert_eq!(describe('\u{10FFFF}'), "U+10FFFF a Unicode non-character");
    }

    #[test]
    fn what_xml_forbids_is_stripped_and_the_rest_kept() {
        assert_eq!(
            strip_xml_forbidden("a\u{1B}[2Jb\0\u{FFFF}\tc\u{85}"),
            "a[2Jb\tc\u{85}"
        );
        assert!(matches!(strip_xml_forbidden("plain é"), Cow::Borrowed(_)));
    }

    #[test]
    fn visible_replaces_one_character_by_one() {
        assert_eq!(
            visible("a\u{1B}[2J\0\u{7F}\u{9B}b"),
            "a\u{241B}[2J\u{2400}\u{2421}\u{FFFD}b"
        );
    }

    #[test]
    fn escapes_are_found_where_they_are_written() {
        let yaml = r#"title: "a \\e b \e c \x1B \u001b \U0000FFFF \0""#;
        let at = find_escape(yaml, '\u{1B}').unwrap();
        assert_eq!(&yaml[at], r"\e");
        assert_eq!(&yaml[find_escape(yaml, '\u{FFFF}').unwrap()], r"\U0000FFFF");
        assert_eq!(&yaml[find_escape(yaml, '\0').unwrap()], r"\0");
        assert_eq!(find_escape(yaml, '\u{7}'), None);
        assert_eq!(find_escape(r#""\x1b""#, '\u{1B}'), Some(1..5));
    }
}
