//! Slack: the post in mrkdwn, built from the Markdown tree: `*bold*`,
//! `_italic_`, `~strike~`, `` `code` ``, fenced code blocks, links as
//! `<url|text>`, lists as lines with "• " (or "1. "), headings as bold lines,
//! raw HTML and images dropped. Text escapes `&`, `<`, `>` (the only escapes
//! Slack has; they also keep `<!channel>` and `<@U…>` from pinging anyone).
//! A content warning becomes a first line `CW: …`; link and hashtags are
//! appended as in [`super::plain`].

use super::{Rendered, plain, social};
use crate::content::Post;
use crate::content::doc::{Element, Node};

/// Slack truncates a message's `text` beyond 40,000 characters.
pub const LIMIT: usize = 40_000;

/// The post as Slack messages (one, or a thread's parts when it is too long
/// and allows `thread: true`).
pub fn render(post: &Post) -> Rendered {
    social(post, text(post), LIMIT, count, false)
}

/// Characters, as Slack counts its limit.
pub fn count(text: &str) -> usize {
    text.chars().count()
}

/// The whole message in mrkdwn. `overrides.slack.text` is taken verbatim as
/// plain text (escaped).
pub fn text(post: &Post) -> String {
    let mut blocks = Vec::new();
    if let Some(warning) = &post.meta.content_warning {
        blocks.push(format!("CW: {}", escape(warning.trim())));
    }
    if let Some(text) = post
        .meta
        .overrides
        .get("slack")
        .and_then(|o| o.text.as_deref())
    {
        blocks.push(escape(text));
        return blocks.join("\n\n");
    }
    for block in &post.doc.blocks {
        block_text(block, &mut blocks, 0);
    }
    let mut out = blocks.join("\n\n");
    if let Some(link) = &post.meta.link
        && !plain::body(post).contains(link.as_str())
        && !out.contains(&link_url(link))
    {
        out.push_str("\n\n");
        out.push_str(&escape(link));
    }
    if !post.meta.hashtags.is_empty() {
        let tags: Vec<String> = post
            .meta
            .hashtags
            .iter()
            .map(|h| escape(&format!("#{}", h.trim_start_matches('#'))))
            .collect();
        out.push_str("\n\n");
        out.push_str(&tags.join(" "));
    }
    out
}

/// Escapes text for mrkdwn.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            _ => out.push(c),
        }
    }
    out
}

/// A URL inside `<url|text>`: escaped, and `|` (which would end it) encoded.
fn link_url(url: &str) -> String {
    escape(url.trim()).replace('|', "%7C")
}

fn block_text(element: &Element, out: &mut Vec<String>, depth: usize) {
    match &element.node {
        Node::List(start) => {
            let mut lines = Vec::new();
            for (i, item) in element.children.iter().enumerate() {
                let marker = match start {
                    Some(n) => format!("{}. ", n + i as u64),
                    None => "• ".to_string(),
                };
                let mut inner = Vec::new();
                for child in &item.children {
                    if is_block(&child.node) {
                        block_text(child, &mut inner, depth + 1);
                    } else {
                        let mut s = String::new();
                        inline_text(child, &mut s);
                        if !s.trim().is_empty() {
                            inner.push(s);
                        }
                    }
                }
                let indent = "  ".repeat(depth);
                lines.push(format!("{indent}{marker}{}", inner.join("\n").trim()));
            }
            out.push(lines.join("\n"));
        }
        Node::Html(_) | Node::Rule => {}
        Node::CodeBlock { .. } => {
            let code: String = element
                .children
                .iter()
                .filter_map(|c| match &c.node {
                    Node::Text(t) | Node::Code(t) => Some(t.as_str()),
                    _ => None,
                })
                .collect();
            out.push(format!("```\n{}\n```", escape(code.trim_end_matches('\n'))));
        }
        Node::Heading(_) => {
            let s = inline_children(element);
            if !s.is_empty() {
                out.push(format!("*{s}*"));
            }
        }
        Node::Paragraph
        | Node::BlockQuote
        | Node::Table
        | Node::TableRow
        | Node::TableCell
        | Node::Item => {
            if element.children.iter().any(|c| is_block(&c.node)) {
                for child in &element.children {
                    block_text(child, out, depth);
                }
            } else {
                let s = inline_children(element);
                if !s.is_empty() {
                    out.push(s);
                }
            }
        }
        _ => {
            let mut s = String::new();
            inline_text(element, &mut s);
            if !s.trim().is_empty() {
                out.push(s.trim().to_string());
            }
        }
    }
}

fn inline_children(element: &Element) -> String {
    let mut s = String::new();
    for child in &element.children {
        inline_text(child, &mut s);
    }
    s.trim().to_string()
}

fn is_block(node: &Node) -> bool {
    matches!(
        node,
        Node::Paragraph
            | Node::Heading(_)
            | Node::List(_)
            | Node::Item
            | Node::BlockQuote
            | Node::CodeBlock { .. }
            | Node::Rule
            | Node::Table
            | Node::TableRow
            | Node::TableCell
    )
}

fn wrap(mark: &str, element: &Element, out: &mut String) {
    let mut inner = String::new();
    for child in &element.children {
        inline_text(child, &mut inner);
    }
    if !inner.is_empty() {
        out.push_str(&format!("{mark}{inner}{mark}"));
    }
}

fn inline_text(element: &Element, out: &mut String) {
    match &element.node {
        Node::Text(t) => out.push_str(&escape(t)),
        Node::Code(t) => out.push_str(&format!("`{}`", escape(t))),
        Node::SoftBreak => out.push(' '),
        Node::HardBreak => out.push('\n'),
        Node::Html(_) | Node::Image { .. } => {}
        Node::Strong => wrap("*", element, out),
        Node::Emphasis => wrap("_", element, out),
        Node::Strikethrough => wrap("~", element, out),
        Node::Link { dest } => {
            let mut label = String::new();
            for child in &element.children {
                inline_text(child, &mut label);
            }
            if !safe_link(dest) {
                out.push_str(&label);
            } else if label.is_empty() {
                out.push_str(&format!("<{}>", link_url(dest)));
            } else {
                out.push_str(&format!("<{}|{label}>", link_url(dest)));
            }
        }
        Node::TableCell => {
            for child in &element.children {
                inline_text(child, out);
            }
            out.push_str(" | ");
        }
        _ => {
            for child in &element.children {
                inline_text(child, out);
            }
        }
    }
}

fn safe_link(dest: &str) -> bool {
    let lower = dest.trim().to_ascii_lowercase();
    ["https://", "http://", "mailto:"]
        .iter()
        .any(|scheme| lower.starts_with(scheme))
}
