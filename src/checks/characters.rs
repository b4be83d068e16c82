//! `content/control-char`: a control character (other than tab, LF, CR) or a
//! Unicode non-character anywhere in a post (see [`chars`]) — written into
//! the file, as a YAML escape in a front-matter value (`"\e"`, `"\u0000"`),
//! or as a character reference in the body (`&#27;`). Invisible in an
//! editor, and forbidden in XML: one in a title made the whole feed
//! unreadable. The post is held until the character is deleted.
//!
//! `image.path` is left to the image check, which says the same at the path.

use crate::content::Post;
use crate::content::chars::{self, describe, is_forbidden};
use crate::content::doc::Node;
use crate::diagnostic::{Diagnostic, Locator};
use crate::yaml::Value;
use std::ops::Range;

/// Reported one by one up to this many per file; the rest are counted.
const MAX_REPORTED: usize = 20;

const HELP: &str = "delete the character: it is invisible in most editors, and a feed that holds one cannot be read; the post is held until then";

pub fn check(post: &Post, out: &mut Vec<Diagnostic>) {
    let mut found: Vec<(Range<usize>, String)> = Vec::new();
    // A 1 MiB file of NULs is counted, not listed.
    let mut unlisted = 0;
    for (at, c) in post.text.char_indices().filter(|(_, c)| is_forbidden(*c)) {
        if found.len() > MAX_REPORTED {
            unlisted += 1;
        } else {
            let place = if at >= post.body_offset {
                "the body"
            } else {
                "the front matter"
            };
            found.push((at..at + c.len_utf8(), format!("{} in {place}", describe(c))));
        }
    }
    escaped_values(post, &mut found);
    references(post, &mut found);
    found.sort_by_key(|(range, _)| range.start);
    let total = found.len() + unlisted;
    let locator = Locator::new(&post.text);
    for (i, (range, message)) in found.into_iter().take(MAX_REPORTED + 1).enumerate() {
        let message = if i == MAX_REPORTED {
            format!(
                "{message}, and {} more such characters after it",
                total - MAX_REPORTED - 1
            )
        } else {
            message
        };
        out.push(
            Diagnostic::error(
                &post.file,
                locator.span(range.start, range.end),
                "content/control-char",
                message,
            )
            .with_help(HELP),
        );
    }
}

/// Forbidden characters that YAML escapes put into front-matter values. A
/// character also written raw in the YAML is reported at its place already.
fn escaped_values(post: &Post, out: &mut Vec<(Range<usize>, String)>) {
    // Escapes start with a backslash; most posts have none to look for.
    if !post.yaml.contains('\\') {
        return;
    }
    let Ok(root) = crate::yaml::from_str::<Value>(&post.yaml) else {
        return;
    };
    // Without recursion: each value with the keys that lead to it.
    let mut stack: Vec<(Vec<String>, &Value)> = vec![(Vec::new(), &root)];
    while let Some((path, value)) = stack.pop() {
        match value {
            Value::String(s) => {
                if path == ["image", "path"] {
                    continue;
                }
                let mut seen = Vec::new();
                for c in s
                    .chars()
                    .filter(|c| is_forbidden(*c) && !post.yaml.contains(*c))
                {
                    if !seen.contains(&c) {
                        seen.push(c);
                        out.push(locate_escape(post, &path, c));
                    }
                }
            }
            Value::Sequence(items) => {
                for (i, item) in items.iter().enumerate() {
                    let mut p = path.clone();
                    p.push(format!("[{i}]"));
                    stack.push((p, item));
                }
            }
            Value::Mapping(map) => {
                for (key, item) in map {
                    let mut p = path.clone();
                    p.push(key.as_str().map_or_else(|| "?".to_string(), String::from));
                    stack.push((p, item));
                }
            }
            Value::Tagged(tagged) => stack.push((path, &tagged.value)),
            _ => {}
        }
    }
}

/// Where the escape for `c` in the value at `path` is written: searched for
/// from the start of the value (of the nearest key that can be found).
fn locate_escape(post: &Post, path: &[String], c: char) -> (Range<usize>, String) {
    let keys: Vec<&str> = path
        .iter()
        .map(String::as_str)
        .take_while(|k| !k.starts_with('['))
        .collect();
    let start = (1..=keys.len())
        .rev()
        .find_map(|n| crate::locate::value_start(&post.yaml, &keys[..n]))
        .unwrap_or(0);
    let name = path.join(".").replace(".[", "[");
    let range = chars::find_escape(&post.yaml[start..], c).map(|r| r.start + start..r.end + start);
    let shift = |r: Range<usize>| r.start + post.yaml_offset..r.end + post.yaml_offset;
    match range {
        Some(r) => {
            let written = &post.yaml[r.clone()];
            (
                shift(r),
                format!("{} in `{name}` (written as `{written}`)", describe(c)),
            )
        }
        None => (
            shift(start..start + 1),
            format!("{} in `{name}`", describe(c)),
        ),
    }
}

/// Forbidden characters that character references (`&#27;`, `&#x1B;`) put
/// into the body's text, link targets or raw HTML.
fn references(post: &Post, out: &mut Vec<(Range<usize>, String)>) {
    if !post.body.contains("&#") {
        return;
    }
    let mut seen: Vec<(usize, char)> = Vec::new();
    for element in post.doc.elements() {
        let text = match &element.node {
            Node::Text(t) | Node::Code(t) | Node::Html(t) => t.as_str(),
            Node::Link { dest } | Node::Image { dest } => dest.as_str(),
            _ => continue,
        };
        for c in text
            .chars()
            .filter(|c| is_forbidden(*c) && !post.body.contains(*c))
        {
            let source = post.text.get(element.span.clone()).unwrap_or_default();
            let (range, written) = match find_reference(source, c) {
                Some(r) => (
                    r.start + element.span.start..r.end + element.span.start,
                    format!(" (written as `{}`)", &source[r]),
                ),
                None => (element.span.start..element.span.start + 1, String::new()),
            };
            if !seen.contains(&(range.start, c)) {
                seen.push((range.start, c));
                out.push((range, format!("{} in the body{written}", describe(c))));
            }
        }
    }
}

/// The first `&#NN;` or `&#xHH;` in `text` that stands for `c`.
fn find_reference(text: &str, c: char) -> Option<Range<usize>> {
    let mut from = 0;
    while let Some(found) = text[from..].find("&#") {
        let at = from + found;
        let rest = &text[at + 2..];
        let (radix, digits) = match rest.strip_prefix(['x', 'X']) {
            Some(hex) => (16, hex),
            None => (10, rest),
        };
        let len = digits
            .bytes()
            .take_while(|b| {
                if radix == 16 {
                    b.is_ascii_hexdigit()
                } else {
                    b.is_ascii_digit()
                }
            })
            .count();
        let end = at + 2 + (rest.len() - digits.len()) + len;
        if digits[len..].starts_with(';')
            && u32::from_str_radix(&digits[..len], radix).ok() == Some(u32::from(c))
        {
            return Some(at..end + 1);
        }
        from = at + 2;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(text: &str) -> Vec<Diagnostic> {
        let post = crate::content::parse("content/a.md", text).unwrap_or_else(|e| panic!("{e:?}"));
        let mut out = Vec::new();
        check(&post, &mut out);
        out
    }

    fn at(d: &Diagnostic) -> (usize, usize, &str) {
        (d.span.line, d.span.column, d.message.as_str())
    }

    #[test]
    fn raw_characters_are_reported_where_they_stand() {
        let out = run("---\ntitle: T\n---\nWash \u{1B}[2J your hands.\u{FFFF}\n\u{85}x\n");
        let found: Vec<_> = out.iter().map(at).collect();
        assert_eq!(
            found,
            [
                (4, 6, "U+001B ESCAPE in the body"),
                (4, 22, "U+FFFF a Unicode non-character in the body"),
                (5, 1, "U+0085 NEXT LINE in the body"),
            ]
        );
        assert!(
            out.iter()
                .all(|d| d.is_error() && d.code == "content/control-char")
        );
        assert!(run("---\ntitle: T\n---\nTabs\tand\r\nnew lines are fine.\n").is_empty());
    }

    #[test]
    fn yaml_escapes_are_reported_at_the_escape() {
        let out = run(concat!(
            "---\n",
            "title: \"Flu \\e[31mshots\"\n",
            "tags: [flu, \"a\\0b\"]\n",
            "image: { path: a.png, alt: \"x\\uFFFFy\" }\n",
            "overrides:\n  mastodon:\n    text: \"\\x07\"\n",
            "---\nBody\n",
        ));
        let found: Vec<_> = out.iter().map(at).collect();
        assert_eq!(
            found,
            [
                (2, 13, "U+001B ESCAPE in `title` (written as `\\e`)"),
                (3, 15, "U+0000 NULL in `tags[1]` (written as `\\0`)"),
                (
                    4,
                    30,
                    "U+FFFF a Unicode non-character in `image.alt` (written as `\\uFFFF`)"
                ),
                (
                    7,
                    12,
                    "U+0007 ALERT in `overrides.mastodon.text` (written as `\\x07`)"
                ),
            ]
        );
        // A backslash that escapes nothing forbidden is fine.
        assert!(run("---\ntitle: \"C:\\\\emu \\t\"\n---\nBody\n").is_empty());
    }

    #[test]
    fn character_references_in_the_body_are_reported() {
        let out = run("---\ntitle: T\n---\nA &#27; b [x](https://a.example/&#x1b;) &#65; &#0;\n");
        let found: Vec<_> = out.iter().map(at).collect();
        assert_eq!(
            found,
            [
                (4, 3, "U+001B ESCAPE in the body (written as `&#27;`)"),
                (4, 33, "U+001B ESCAPE in the body (written as `&#x1b;`)"),
            ]
        );
    }

    #[test]
    fn a_flood_is_reported_in_part_and_counted() {
        let out = run(&format!("---\ntitle: T\n---\n{}\n", "\0".repeat(5000)));
        assert_eq!(out.len(), MAX_REPORTED + 1);
        assert!(
            out[MAX_REPORTED]
                .message
                .ends_with("and 4979 more such characters after it"),
            "{}",
            out[MAX_REPORTED].message
        );
    }
}
