//! The one place that names the YAML library. serde_yaml is no longer
//! maintained; a maintained fork with the same API replaces it by changing the
//! `use` line below.
//!
//! A key written twice in one mapping is an error naming both lines. serde
//! reports it only for struct fields ("duplicate field", at the start of the
//! mapping) and serde_yaml only for its own `Mapping`; a `BTreeMap` (the
//! channels, groups, `severity:`, `overrides:`) silently keeps the last. So
//! [`from_str`] first walks the document for repeated keys (serde_yaml
//! decides what a key is; [`occurrences`] finds where both stand), then
//! deserializes it.

use serde::de::{self, DeserializeOwned, DeserializeSeed, Visitor};
use serde_yaml as backend;
use std::cell::RefCell;

pub use backend::Value;

/// A YAML error with its 1-based position, when the parser knows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct YamlError {
    pub message: String,
    pub line: Option<usize>,
    pub column: Option<usize>,
    /// Set when a key is written twice; the position is the second one.
    pub duplicate: Option<Duplicate>,
}

/// A key written twice in one mapping.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Duplicate {
    pub key: String,
    /// Where the mapping sits (`channels`, `alerts[1].email`); `None` at the top.
    pub path: Option<String>,
    /// 1-based line of the first occurrence, when found.
    pub first_line: Option<usize>,
}

impl Duplicate {
    fn message(&self, second_line: Option<usize>) -> String {
        let within = self
            .path
            .as_ref()
            .map_or(String::new(), |p| format!(" in `{p}`"));
        let lines = match (self.first_line, second_line) {
            (Some(first), Some(second)) => {
                format!(": first at line {first}, again at line {second}")
            }
            _ => " (in the mapping that starts here)".to_string(),
        };
        format!(
            "duplicate key `{}`{within}{lines}; YAML would silently keep only the last",
            self.key
        )
    }
}

impl YamlError {
    /// The same error for text that starts `lines` lines further down its
    /// file (front matter after its `---`): every line it names moves.
    pub fn below(mut self, lines: usize) -> YamlError {
        self.line = self.line.map(|l| l + lines);
        if let Some(duplicate) = &mut self.duplicate {
            duplicate.first_line = duplicate.first_line.map(|l| l + lines);
            self.message = duplicate.message(self.line);
        }
        self
    }

    /// Errors raised by our own value parsers (dates, durations) are placed by
    /// the library at the start of the enclosing mapping. When the message
    /// quotes the offending value (`` `tomorrow` is not a date… ``) and that
    /// value stands in `text`, point at it instead.
    pub fn relocate(mut self, text: &str) -> YamlError {
        if self.duplicate.is_some()
            || self.line.is_some_and(|l| l > 1)
            || self.column.is_some_and(|c| c > 1)
        {
            return self;
        }
        let quoted = self
            .message
            .split('`')
            .nth(1)
            .filter(|q| !q.is_empty() && !self.message.starts_with("unknown field"));
        if let Some(offset) = quoted.and_then(|q| text.find(q)) {
            let (line, column) = crate::diagnostic::line_column(text, offset);
            self.line = Some(line);
            self.column = Some(column);
        }
        self
    }
}

impl std::fmt::Display for YamlError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for YamlError {}

impl From<backend::Error> for YamlError {
    fn from(error: backend::Error) -> Self {
        let location = error.location();
        let mut message = error.to_string();
        // The library appends " at line L column C"; we report the position
        // separately, relative to the whole file.
        if let Some(cut) = message.find(" at line ") {
            message.truncate(cut);
        }
        YamlError {
            message,
            line: location.as_ref().map(|l| l.line()),
            column: location.as_ref().map(|l| l.column()),
            duplicate: None,
        }
    }
}

pub fn from_str<T: DeserializeOwned>(text: &str) -> Result<T, YamlError> {
    if let Some(error) = too_deep(text).or_else(|| duplicate_key(text)) {
        return Err(error);
    }
    Ok(backend::from_str(text)?)
}

/// How deep `[` and `{` may nest. No post or configuration needs more, and
/// the YAML scanner takes time quadratic in the depth (`tags: [[[[…` of
/// 256 KiB took over a minute) before its own limit refuses it.
const MAX_FLOW_DEPTH: usize = 64;

/// An error at the bracket that opens one level too many, found in one
/// pass; quoted scalars and comments are skipped.
fn too_deep(text: &str) -> Option<YamlError> {
    let (mut depth, mut line, mut column) = (0usize, 1usize, 0usize);
    let mut quote: Option<char> = None;
    let mut comment = false;
    let mut escaped = false;
    let mut previous = '\n';
    for c in text.chars() {
        // A backslash escapes the next character in a double-quoted scalar.
        if quote == Some('"') && (escaped || c == '\\') {
            escaped = !escaped;
            previous = c;
            column += 1;
            continue;
        }
        column += 1;
        if c == '\n' {
            (line, column, comment) = (line + 1, 0, false);
        }
        match (quote, c) {
            _ if comment => {}
            (Some(q), _) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '"' | '\'') if "[{,: \t\n".contains(previous) => quote = Some(c),
            (None, '#') if previous.is_whitespace() => comment = true,
            (None, '[' | '{') => {
                depth += 1;
                if depth > MAX_FLOW_DEPTH {
                    return Some(YamlError {
                        message: format!(
                            "brackets nest more than {MAX_FLOW_DEPTH} levels deep here; no post or configuration needs that, so it is not read"
                        ),
                        line: Some(line),
                        column: Some(column),
                        duplicate: None,
                    });
                }
            }
            (None, ']' | '}') => depth = depth.saturating_sub(1),
            _ => {}
        }
        previous = c;
    }
    None
}

/// The first key written twice in one mapping of `text`, as an error at the
/// second occurrence. Any other problem is left to the deserializing that
/// follows, which reports it with its own position.
pub fn duplicate_key(text: &str) -> Option<YamlError> {
    let found = RefCell::new(None);
    let error = Keys { found: &found }
        .deserialize(backend::Deserializer::from_str(text))
        .err()?;
    let key: String = found.into_inner()?;
    // serde_yaml places a visitor's error at the start of its mapping and
    // prefixes the mapping's path: "channels: duplicate key at line 3 …".
    let shown = error.to_string();
    let path = shown
        .find(": duplicate key")
        .map(|at| shown[..at].to_string());
    let (line, column) = error.location().map_or((1, 1), |l| (l.line(), l.column()));
    let found = occurrences(text, line, column, &key);
    let (first_line, second) = match found.as_slice() {
        [first, second, ..] => (Some(first.0), *second),
        _ => (None, (line, column)),
    };
    let duplicate = Duplicate {
        key,
        path,
        first_line,
    };
    Some(YamlError {
        message: duplicate.message(first_line.map(|_| second.0)),
        line: Some(second.0),
        column: Some(second.1),
        duplicate: Some(duplicate),
    })
}

/// Walks a document like `IgnoredAny`, but remembers each mapping's keys
/// and stops at the first one seen twice, noting it in `found`.
struct Keys<'a> {
    found: &'a RefCell<Option<String>>,
}

impl<'de> DeserializeSeed<'de> for Keys<'_> {
    type Value = ();

    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Keys<'_> {
    type Value = ();

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("any YAML value")
    }

    fn visit_bool<E>(self, _: bool) -> Result<(), E> {
        Ok(())
    }

    fn visit_i64<E>(self, _: i64) -> Result<(), E> {
        Ok(())
    }

    fn visit_u64<E>(self, _: u64) -> Result<(), E> {
        Ok(())
    }

    fn visit_f64<E>(self, _: f64) -> Result<(), E> {
        Ok(())
    }

    fn visit_str<E>(self, _: &str) -> Result<(), E> {
        Ok(())
    }

    fn visit_unit<E>(self) -> Result<(), E> {
        Ok(())
    }

    fn visit_none<E>(self) -> Result<(), E> {
        Ok(())
    }

    fn visit_some<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        self.deserialize(d)
    }

    fn visit_newtype_struct<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        self.deserialize(d)
    }

    fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while seq.next_element_seed(Keys { found: self.found })?.is_some() {}
        Ok(())
    }

    fn visit_map<A: de::MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        // Mappings are small: a list beats hashing.
        let mut seen: Vec<String> = Vec::new();
        while let Some(key) = map.next_key::<KeyName>()? {
            if let KeyName(Some(name)) = key {
                if seen.contains(&name) {
                    *self.found.borrow_mut() = Some(name);
                    return Err(de::Error::custom("duplicate key"));
                }
                seen.push(name);
            }
            map.next_value_seed(Keys { found: self.found })?;
        }
        Ok(())
    }

    /// A tagged value (`!Tag x`): its content may hold mappings too.
    fn visit_enum<A: de::EnumAccess<'de>>(self, data: A) -> Result<(), A::Error> {
        use de::VariantAccess;
        let (_, variant) = data.variant::<de::IgnoredAny>()?;
        variant.newtype_variant_seed(Keys { found: self.found })
    }
}

/// A mapping key as written, when it is a scalar (`1` and `"1"` are
/// different keys to serde_yaml too); a sequence or mapping as a key is too
/// rare to compare and is `None`.
struct KeyName(Option<String>);

impl<'de> de::Deserialize<'de> for KeyName {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<KeyName, D::Error> {
        struct Name;
        impl<'de> Visitor<'de> for Name {
            type Value = KeyName;

            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a mapping key")
            }

            fn visit_str<E>(self, v: &str) -> Result<KeyName, E> {
                Ok(KeyName(Some(v.to_string())))
            }

            fn visit_bool<E>(self, v: bool) -> Result<KeyName, E> {
                Ok(KeyName(Some(v.to_string())))
            }

            fn visit_i64<E>(self, v: i64) -> Result<KeyName, E> {
                Ok(KeyName(Some(v.to_string())))
            }

            fn visit_u64<E>(self, v: u64) -> Result<KeyName, E> {
                Ok(KeyName(Some(v.to_string())))
            }

            fn visit_f64<E>(self, v: f64) -> Result<KeyName, E> {
                Ok(KeyName(Some(v.to_string())))
            }

            fn visit_unit<E>(self) -> Result<KeyName, E> {
                Ok(KeyName(Some("~".to_string())))
            }

            fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<KeyName, A::Error> {
                while seq.next_element::<de::IgnoredAny>()?.is_some() {}
                Ok(KeyName(None))
            }

            fn visit_map<A: de::MapAccess<'de>>(self, mut map: A) -> Result<KeyName, A::Error> {
                while map
                    .next_entry::<de::IgnoredAny, de::IgnoredAny>()?
                    .is_some()
                {}
                Ok(KeyName(None))
            }
        }
        d.deserialize_any(Name)
    }
}

/// The 1-based (line, column) of each occurrence of `key` in the mapping
/// that starts at `line`:`column` of `text` (where serde_yaml places it:
/// the first key of a block mapping, the `{` of a flow mapping), in order.
/// Reads block mappings by indentation and flow mappings by brackets and
/// quotes; what it cannot read, it does not find.
pub fn occurrences(text: &str, line: usize, column: usize, key: &str) -> Vec<(usize, usize)> {
    let lines: Vec<&str> = text
        .split('\n')
        .map(|l| l.strip_suffix('\r').unwrap_or(l))
        .collect();
    let Some(first) = line.checked_sub(1).and_then(|i| lines.get(i)) else {
        return Vec::new();
    };
    let Some((start, _)) = first.char_indices().nth(column.saturating_sub(1)) else {
        return Vec::new();
    };
    if first[start..].starts_with('{') {
        flow_occurrences(&lines, line - 1, start, key)
    } else {
        block_occurrences(&lines, line - 1, start, column, key)
    }
}

/// The key a block-mapping line starts with (`key:`, `"key":`, `'key':`).
fn block_key(rest: &str) -> Option<&str> {
    if let Some(quote) = rest.chars().next().filter(|c| *c == '"' || *c == '\'') {
        let end = rest[1..].find(quote)? + 1;
        return rest[end + 1..]
            .trim_start()
            .starts_with(':')
            .then(|| &rest[1..end]);
    }
    let colon = rest.char_indices().find_map(|(i, c)| {
        let next = rest[i + c.len_utf8()..].chars().next();
        (c == ':' && next.is_none_or(|n| n == ' ' || n == '\t')).then_some(i)
    })?;
    let name = rest[..colon].trim_end();
    (!name.is_empty() && !name.starts_with(['#', '-', '?'])).then_some(name)
}

fn block_occurrences(
    lines: &[&str],
    index: usize,
    start: usize,
    column: usize,
    key: &str,
) -> Vec<(usize, usize)> {
    let indent = column - 1;
    let mut found = Vec::new();
    if block_key(&lines[index][start..]) == Some(key) {
        found.push((index + 1, column));
    }
    for (i, line) in lines.iter().enumerate().skip(index + 1) {
        let rest = line.trim_start_matches(' ');
        if rest.is_empty() || rest.starts_with('#') {
            continue;
        }
        if rest == "---" || rest == "..." {
            break;
        }
        let this = line.len() - rest.len();
        if this < indent {
            break;
        }
        // Deeper lines belong to a value; a list at this indentation is the
        // value of the key above it.
        if this > indent || rest == "-" || rest.starts_with("- ") {
            continue;
        }
        if block_key(rest) == Some(key) {
            found.push((i + 1, this + 1));
        }
    }
    found
}

fn flow_occurrences(lines: &[&str], index: usize, start: usize, key: &str) -> Vec<(usize, usize)> {
    let mut found = Vec::new();
    let mut depth = 0usize;
    let mut quote: Option<char> = None;
    // At depth 1 after `{` or `,`: the next text is a key.
    let mut expect_key = false;
    // The key being read: where it starts, and its text so far.
    let mut current: Option<(usize, usize, String)> = None;
    // The last character outside quotes and spaces: a quote opens a
    // scalar only where one can start (`it's` in a plain value is text).
    let mut last = '{';
    let mut escaped = false;
    for (i, line) in lines.iter().enumerate().skip(index) {
        let from = if i == index { start } else { 0 };
        let mut column = line[..from].chars().count();
        for c in line[from..].chars() {
            column += 1;
            if let Some(q) = quote {
                if escaped {
                    escaped = false;
                } else if q == '"' && c == '\\' {
                    escaped = true;
                    continue;
                } else if c == q {
                    quote = None;
                    last = c;
                    continue;
                }
                if let Some((_, _, text)) = current.as_mut() {
                    text.push(c);
                }
                continue;
            }
            let opens = matches!(last, '{' | '[' | ',' | ':');
            if !c.is_whitespace() {
                last = c;
            }
            match c {
                '{' | '[' => {
                    depth += 1;
                    expect_key = depth == 1;
                    current = None;
                }
                '}' | ']' => {
                    depth = depth.saturating_sub(1);
                    if depth == 0 {
                        return found;
                    }
                    expect_key = false;
                    current = None;
                }
                ',' if depth == 1 => {
                    expect_key = true;
                    current = None;
                }
                ':' if depth == 1 && expect_key && current.is_some() => {
                    if let Some((l, col, text)) = current.take()
                        && text.trim() == key
                    {
                        found.push((l + 1, col));
                    }
                    expect_key = false;
                }
                '"' | '\'' if opens && depth == 1 && expect_key && current.is_none() => {
                    quote = Some(c);
                    current = Some((i, column, String::new()));
                }
                '"' | '\'' if opens && current.is_none() => quote = Some(c),
                c if c.is_whitespace() => {
                    if let Some((_, _, text)) = current.as_mut() {
                        text.push(' ');
                    }
                }
                c if depth == 1 && expect_key => match current.as_mut() {
                    Some((_, _, text)) => text.push(c),
                    None => current = Some((i, column, c.to_string())),
                },
                _ => {}
            }
        }
        if let Some((_, _, text)) = current.as_mut() {
            text.push(' ');
        }
    }
    found
}

pub fn from_value<T: DeserializeOwned>(value: Value) -> Result<T, YamlError> {
    Ok(backend::from_value(value)?)
}

pub fn to_string<T: serde::Serialize>(value: &T) -> Result<String, YamlError> {
    Ok(backend::to_string(value)?)
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_line_that_starts_with_a_character_of_several_bytes_is_read_without_a_panic() {
        // Found by the `front_matter` fuzz target: the byte after each
        // character was taken as the next character's start.
        assert_eq!(super::block_key("é: x"), Some("é"));
        assert_eq!(
            super::block_key("\u{FFFD}\u{FFFD} images: a"),
            Some("\u{FFFD}\u{FFFD} images")
        );
        let text = "a: 1\n\u{FFFD}\u{FFFD}: 2\n\u{FFFD}\u{FFFD}: 3\n";
        let error = super::from_str::<super::Value>(text).unwrap_err();
        assert_eq!(error.line, Some(3), "{error:?}");
    }

    #[test]
    fn brackets_nested_too_deep_are_refused_in_one_pass_and_quoted_ones_are_text() {
        let deep = format!(
            "title: T\ntags: {}{}\n",
            "[".repeat(200_000),
            "]".repeat(200_000)
        );
        let error = super::from_str::<super::Value>(&deep).unwrap_err();
        assert_eq!(
            (error.line, error.column),
            (Some(2), Some(6 + 65)),
            "{error:?}"
        );
        assert!(
            error.message.contains("more than 64 levels"),
            "{}",
            error.message
        );
        let fine = format!(
            "a: \"{}\"\nb: '{}' # [[[[\nc: \"\\\" {}\"\nd: [[1], {{x: [2]}}]\n",
            "[".repeat(100),
            "{".repeat(100),
            "[".repeat(100)
        );
        let value: super::Value = super::from_str(&fine).unwrap();
        assert_eq!(value["d"][1]["x"][0], 2);
    }

    use super::*;

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Doc {
        title: String,
    }

    /// What serde_yaml 0.9 does with a repeated key on its own: a struct
    /// reports "duplicate field" at the start of the mapping (one line, not
    /// both), its `Mapping` "duplicate entry", and a `BTreeMap` (channels,
    /// groups, `severity:`) silently keeps the last. Hence [`duplicate_key`].
    #[test]
    fn the_library_alone_reports_a_repeated_key_only_sometimes() {
        let error = backend::from_str::<Doc>("title: a\ntitle: b\n").unwrap_err();
        assert!(
            error.to_string().starts_with("duplicate field `title`"),
            "{error}"
        );
        assert_eq!(error.location().map(|l| l.line()), Some(1));
        let error = backend::from_str::<Value>("a: 1\na: 2\n").unwrap_err();
        assert!(error.to_string().contains("duplicate entry"), "{error}");
        let map: std::collections::BTreeMap<String, u32> =
            backend::from_str("feed: 1\nfeed: 2\n").unwrap();
        assert_eq!(map["feed"], 2, "the first one is lost without a word");
    }

    fn duplicate(text: &str) -> YamlError {
        from_str::<Value>(text).unwrap_err()
    }

    #[test]
    fn a_repeated_key_is_an_error_at_the_second_naming_the_first() {
        let e = from_str::<Doc>("title: a\n# note\ntitle: b\n").unwrap_err();
        assert_eq!((e.line, e.column), (Some(3), Some(1)));
        assert_eq!(
            e.message,
            "duplicate key `title`: first at line 1, again at line 3; YAML would silently keep only the last"
        );
        // In a nested block mapping, read into a BTreeMap.
        let text = "timezone: UTC\nchannels:\n  site-feed:\n    platform: feed\n  other: { platform: feed }\n  site-feed: { platform: x }\n";
        let e = from_str::<std::collections::BTreeMap<String, Value>>(text).unwrap_err();
        assert_eq!((e.line, e.column), (Some(6), Some(3)));
        assert!(
            e.message.starts_with(
                "duplicate key `site-feed` in `channels`: first at line 3, again at line 6"
            ),
            "{}",
            e.message
        );
        // In a flow mapping, quoted or not, across lines.
        let e = duplicate("feed: { path: \"a, b: c\", title: T,\n  'path': b }\n");
        assert_eq!((e.line, e.column), (Some(2), Some(3)));
        assert!(
            e.message.contains("`path` in `feed`: first at line 1"),
            "{}",
            e.message
        );
        // In a list item's mapping, with CRLF line ends.
        let e = duplicate(
            "alerts:\r\n  - email:\r\n      to: [a]\r\n      to: [b]\r\n  - log_file: x\r\n",
        );
        assert_eq!((e.line, e.column), (Some(4), Some(7)));
        assert!(
            e.message
                .contains("`to` in `alerts[0].email`: first at line 3"),
            "{}",
            e.message
        );
        // The same key in two different mappings is fine.
        assert!(from_str::<Value>("a: { x: 1 }\nb: { x: 2 }\nc:\n  x: 3\n").is_ok());
        // A syntax error is still reported as one.
        let e = from_str::<Value>("a: [1, 2\n").unwrap_err();
        assert!(e.duplicate.is_none(), "{e:?}");
    }

    #[test]
    fn below_moves_every_line_the_error_names() {
        let e = duplicate("title: a\ntitle: b\n").below(1);
        assert_eq!(e.line, Some(3));
        assert!(
            e.message.contains("first at line 2, again at line 3"),
            "{}",
            e.message
        );
    }

    #[test]
    fn errors_carry_one_based_position_and_a_message_without_it() {
        let error = from_str::<Doc>("title: a\ntitel: b\n").unwrap_err();
        assert_eq!(error.line, Some(2));
        assert_eq!(error.column, Some(1));
        assert!(
            error.message.starts_with("unknown field `titel`"),
            "{}",
            error.message
        );
        assert!(!error.message.contains("at line"));
    }
}
