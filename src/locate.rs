//! Finds where a key (or a list item under a key) stands in YAML text, so that
//! meaning-level errors found after deserializing ("`kind: news` needs
//! `publish_at`", "unknown channel `x`") point at the right line. The YAML
//! library reports positions only for syntax and type errors.
//!
//! This reads block mappings by indentation and one level of flow mapping
//! (`review: { by: x, on: y }`), which covers the files healthcast reads; when
//! it cannot find a key, callers fall back to the start of the document.

use crate::diagnostic::Span;

/// The span of the last key of `path` (e.g. `["review", "on"]`).
pub fn key(text: &str, path: &[&str]) -> Option<Span> {
    let lines = lines(text);
    let (line_index, column, len) = find_key(&lines, path)?;
    Some(Span::chars(
        line_index + 1,
        char_column(lines[line_index], column),
        len,
    ))
}

/// The span of the value of the key at `path` when it stands on the key's
/// line (`cron: "0 0 9 * * *"`): the text inside quotes, or the plain value
/// without a trailing comment. Otherwise the key's span.
pub fn value(text: &str, path: &[&str]) -> Option<Span> {
    let lines = lines(text);
    let (line_index, column, len) = find_key(&lines, path)?;
    let line = lines[line_index].trim_end_matches('\r');
    let key_span = Span::chars(line_index + 1, char_column(line, column), len);
    // The key's own text may be quoted: the value starts after its colon.
    let Some(colon) = line[column..].find(':').map(|c| column + c) else {
        return Some(key_span);
    };
    let rest = &line[colon + 1..];
    let start = colon + 1 + (rest.len() - rest.trim_start().len());
    let value = &line[start..];
    let (offset, shown) = match value.chars().next() {
        Some(q @ ('"' | '\'')) => match value[1..].find(q) {
            Some(end) => (1, &value[1..1 + end]),
            None => (0, value),
        },
        Some(_) => (0, value.split(" #").next().unwrap_or(value).trim_end()),
        None => return Some(key_span),
    };
    if shown.is_empty() {
        return Some(key_span);
    }
    Some(Span::chars(
        line_index + 1,
        char_column(line, start + offset),
        shown.chars().count(),
    ))
}

/// The byte offset in `text` where the value of the key at `path` starts:
/// after its colon and any blanks (on a later line for a block value).
pub fn value_start(text: &str, path: &[&str]) -> Option<usize> {
    let lines = lines(text);
    let (index, column, _) = find_key(&lines, path)?;
    let line_start: usize = lines[..index].iter().map(|l| l.len() + 1).sum();
    let line = lines[index];
    let colon = column + line.get(column..)?.find(':')?;
    let rest = text.get(line_start + colon + 1..)?;
    Some(line_start + colon + 1 + rest.len() - rest.trim_start().len())
}

/// The span of `item` in the value of the key at `path`: either inside a flow
/// list on the key's line (`channels: [a, b]`) or as a block item (`- b`).
pub fn item(text: &str, path: &[&str], item: &str) -> Option<Span> {
    let lines = lines(text);
    let (line_index, column, len) = find_key(&lines, path)?;
    let key_line = lines[line_index];
    // Just after the key's colon: a byte offset, whatever the key holds.
    let after_key = key_line[column..]
        .find(':')
        .map_or(key_line.len(), |colon| column + colon + 1);
    if let Some(found) = find_word(&key_line[after_key.min(key_line.len())..], item) {
        return Some(Span::chars(
            line_index + 1,
            char_column(key_line, after_key + found),
            item.chars().count(),
        ));
    }
    let key_indent = indent(key_line);
    for (index, line) in lines.iter().enumerate().skip(line_index + 1) {
        if is_blank(line) {
            continue;
        }
        if indent(line) <= key_indent && !line.trim_start().starts_with("- ") {
            break;
        }
        if let Some(found) = find_word(line, item) {
            return Some(Span::chars(
                index + 1,
                char_column(line, found),
                item.chars().count(),
            ));
        }
    }
    Some(Span::chars(
        line_index + 1,
        char_column(key_line, column),
        len,
    ))
}

/// The span of the key at `path` inside the `index`-th (0-based) block-list
/// item under the key at `list`, e.g. `password` in the second item of
///
/// ```yaml
/// alerts:
///   - ops-slack
///   - email:
///       password: hunter2
/// ```
///
/// With an empty `path`, the span of the item's text after its dash.
pub fn list_item(text: &str, list: &[&str], index: usize, path: &[&str]) -> Option<Span> {
    let lines = lines(text);
    let (list_line, list_column, _) = find_key(&lines, list)?;
    let mut starts = Vec::new();
    let mut dash_indent = None;
    let mut end = lines.len();
    for (i, line) in lines.iter().enumerate().skip(list_line + 1) {
        if is_blank(line) {
            continue;
        }
        let this_indent = indent(line);
        let rest = line.trim_start_matches(' ');
        let is_item = rest == "-" || rest.starts_with("- ");
        if this_indent < list_column || (this_indent == list_column && !is_item) {
            end = i;
            break;
        }
        match dash_indent {
            None if !is_item => return None,
            None => {
                dash_indent = Some(this_indent);
                starts.push(i);
            }
            Some(d) if is_item && d == this_indent => starts.push(i),
            Some(_) => {}
        }
    }
    let dash = dash_indent?;
    let start = *starts.get(index)?;
    let stop = starts.get(index + 1).copied().unwrap_or(end);
    let first = lines[start];
    if path.is_empty() {
        let item = first[dash + 1..].trim();
        let column = first.len() - first[dash + 1..].trim_start().len();
        return Some(Span::chars(
            start + 1,
            char_column(first, column),
            item.chars().count(),
        ));
    }
    // The item without its dash is a mapping like any other.
    let mut item: Vec<String> = lines[start..stop].iter().map(|l| l.to_string()).collect();
    item[0] = format!("{} {}", &first[..dash], &first[dash + 1..]);
    let item: Vec<&str> = item.iter().map(String::as_str).collect();
    let (line_index, column, len) = find_key(&item, path)?;
    Some(Span::chars(
        start + line_index + 1,
        char_column(item[line_index], column),
        len,
    ))
}

fn lines(text: &str) -> Vec<&str> {
    text.split('\n').collect()
}

fn indent(line: &str) -> usize {
    line.len() - line.trim_start_matches(' ').len()
}

fn is_blank(line: &str) -> bool {
    let t = line.trim();
    t.is_empty() || t.starts_with('#')
}

fn char_column(line: &str, byte: usize) -> usize {
    line[..byte.min(line.len())].chars().count() + 1
}

/// Returns (line index, byte column, key length in chars) of the key at `path`.
fn find_key(lines: &[&str], path: &[&str]) -> Option<(usize, usize, usize)> {
    let mut start = 0;
    let mut parent_indent: Option<usize> = None;
    for (depth, name) in path.iter().enumerate() {
        let mut block_indent = None;
        let mut found = None;
        for (index, line) in lines.iter().enumerate().skip(start) {
            if is_blank(line) || line.trim() == "---" {
                continue;
            }
            let this_indent = indent(line);
            if parent_indent.is_some_and(|p| this_indent <= p) {
                break;
            }
            let block = *block_indent.get_or_insert(this_indent);
            if this_indent != block {
                continue;
            }
            if key_at(line, this_indent).is_some_and(|(key, _)| key == *name) {
                found = Some(index);
                break;
            }
        }
        let index = found?;
        let line = lines[index];
        let column = indent(line);
        if depth + 1 == path.len() {
            return Some((index, column, name.chars().count()));
        }
        // A flow mapping on the same line holds the rest of the path. It
        // starts after the colon (not after `name`, which is the key
        // unquoted and trimmed, and so may be shorter than what is written).
        let (_, colon) = key_at(line, column)?;
        let value_start = colon + 1;
        let value = &line[value_start.min(line.len())..];
        if value.trim_start().starts_with('{') {
            let inner = path[depth + 1];
            let offset = find_flow_key(value, inner)?;
            return Some((index, value_start + offset, inner.chars().count()));
        }
        start = index + 1;
        parent_indent = Some(column);
    }
    None
}

/// The key of a `key: value` line indented by `indent`, and the byte offset
/// of its colon in the line.
fn key_at(line: &str, indent: usize) -> Option<(&str, usize)> {
    let rest = &line[indent..];
    let colon = rest.find(':')?;
    let after = &rest[colon + 1..];
    if !(after.is_empty() || after.starts_with(' ') || after.starts_with('\t')) {
        return None;
    }
    let key = rest[..colon].trim().trim_matches('"').trim_matches('\'');
    Some((key, indent + colon))
}

fn find_flow_key(value: &str, key: &str) -> Option<usize> {
    let mut from = 0;
    while let Some(found) = value[from..].find(key) {
        let at = from + found;
        let before = value[..at].trim_end().chars().last();
        let after = value[at + key.len()..].trim_start();
        if matches!(before, Some('{') | Some(',')) && after.starts_with(':') {
            return Some(at);
        }
        from = at + key.len();
    }
    None
}

/// Byte offset of `word` in `line` where it is not part of a longer name.
fn find_word(line: &str, word: &str) -> Option<usize> {
    if word.is_empty() {
        return None;
    }
    let is_name = |c: char| c.is_alphanumeric() || c == '-' || c == '_';
    let mut from = 0;
    while let Some(found) = line[from..].find(word) {
        let at = from + found;
        let before_ok = !line[..at].chars().last().is_some_and(is_name);
        let after_ok = !line[at + word.len()..].chars().next().is_some_and(is_name);
        if before_ok && after_ok {
            return Some(at);
        }
        from = at + word.len();
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    const DOC: &str = "title: x\nreview: { by: \"Dr. A\", on: 2026-01-01 }\nimage:\n  path: a.png\n  alt: b\nchannels: [public, mastodon]\ntags:\n  - flu\n  - sleep\n";

    #[test]
    fn finds_top_level_and_nested_block_keys() {
        assert_eq!(key(DOC, &["title"]), Some(Span::chars(1, 1, 5)));
        assert_eq!(key(DOC, &["image", "alt"]), Some(Span::chars(5, 3, 3)));
        assert_eq!(key(DOC, &["image", "missing"]), None);
    }

    #[test]
    fn finds_a_value_on_its_key_s_line() {
        let doc =
            "cron: \"0 0 9 31 2 *\"   # never\nzone: UTC # here\nlist:\n  - a\nsingle: 'x y'\n";
        assert_eq!(value(doc, &["cron"]), Some(Span::chars(1, 8, 12)));
        assert_eq!(value(doc, &["zone"]), Some(Span::chars(2, 7, 3)));
        assert_eq!(value(doc, &["list"]), Some(Span::chars(3, 1, 4)));
        assert_eq!(value(doc, &["single"]), Some(Span::chars(5, 10, 3)));
    }

    #[test]
    fn finds_where_a_value_starts() {
        let at = |path: &[&str]| value_start(DOC, path).map(|i| &DOC[i..i + 5]);
        assert_eq!(at(&["title"]), Some("x\nrev"));
        assert_eq!(at(&["review", "by"]), Some("\"Dr. "));
        assert_eq!(at(&["image", "path"]), Some("a.png"));
        assert_eq!(at(&["tags"]), Some("- flu"));
        assert_eq!(at(&["nope"]), None);
    }

    #[test]
    fn keys_with_characters_of_several_bytes_are_found_without_splitting_one() {
        // Found by the `config` fuzz target: the byte after a key was taken
        // as its length in characters, which fell inside `�`.
        let doc = "groups:\n  public\u{FFFD}: [site-feed, x]\n";
        let span = item(doc, &["groups", "public\u{FFFD}"], "x");
        assert_eq!(span, Some(Span::chars(2, 24, 1)));
        // A key trimmed of a wide space before its colon, then a flow mapping.
        assert_eq!(
            key("ab\u{3000}: { on: 1 }", &["ab", "on"]),
            Some(Span::chars(1, 8, 2))
        );
        // Columns count characters, not bytes.
        assert_eq!(
            key("é: { on: 1 }", &["é", "on"]),
            Some(Span::chars(1, 6, 2))
        );
        assert_eq!(
            key("\"é\": { on: 1 }", &["é", "on"]),
            Some(Span::chars(1, 8, 2))
        );
    }

    #[test]
    fn finds_keys_in_a_flow_mapping() {
        assert_eq!(key(DOC, &["review", "on"]), Some(Span::chars(2, 24, 2)));
    }

    #[test]
    fn finds_items_in_flow_and_block_lists() {
        assert_eq!(
            item(DOC, &["channels"], "mastodon"),
            Some(Span::chars(6, 20, 8))
        );
        assert_eq!(item(DOC, &["tags"], "sleep"), Some(Span::chars(9, 5, 5)));
    }

    #[test]
    fn finds_keys_inside_block_list_items() {
        let doc = "alerts:\n  - ops\n  # a comment\n  - email:\n      smtp: relay\n      to: [a@b.c]\n  - log_file: /tmp/a.log\nother: 1\n";
        assert_eq!(
            list_item(doc, &["alerts"], 1, &["email", "to"]),
            Some(Span::chars(6, 7, 2))
        );
        assert_eq!(
            list_item(doc, &["alerts"], 1, &["email"]),
            Some(Span::chars(4, 5, 5))
        );
        assert_eq!(
            list_item(doc, &["alerts"], 2, &["log_file"]),
            Some(Span::chars(7, 5, 8))
        );
        assert_eq!(
            list_item(doc, &["alerts"], 0, &[]),
            Some(Span::chars(2, 5, 3))
        );
        assert_eq!(list_item(doc, &["alerts"], 3, &[]), None);
        assert_eq!(list_item(doc, &["alerts"], 2, &["email"]), None);
        // A list at the key's own indentation.
        let flat = "alerts:\n- email:\n    smtp: relay\n- x\n";
        assert_eq!(
            list_item(flat, &["alerts"], 0, &["email", "smtp"]),
            Some(Span::chars(3, 5, 4))
        );
        assert_eq!(
            list_item(flat, &["alerts"], 1, &[]),
            Some(Span::chars(4, 3, 1))
        );
        assert_eq!(list_item("alerts: [a, b]\n", &["alerts"], 0, &[]), None);
    }
}
