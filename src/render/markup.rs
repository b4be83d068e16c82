//! One walk over the Markdown tree for every text format (plain text, Slack
//! mrkdwn, Telegram HTML): the structure — paragraphs, lists with bullets or
//! numbers, headings, code blocks, tables, raw HTML and images dropped — is
//! the same everywhere; a [`Markup`] says only how each format writes text,
//! emphasis, code and links.

use crate::content::doc::{Element, Node};

pub trait Markup {
    /// Text, escaped as the format needs.
    fn text(&self, text: &str) -> String;
    /// Inline code.
    fn code(&self, code: &str) -> String;
    /// Strong, emphasis or strikethrough around already-written `inner`.
    fn wrap(&self, node: &Node, inner: &str) -> String;
    /// A link to `dest` with the already-written `label` (may be empty).
    fn link(&self, dest: &str, label: &str) -> String;
    /// A code block; `code` is raw (not yet escaped).
    fn code_block(&self, lang: Option<&str>, code: &str) -> String;
    /// A heading around already-written `inner`.
    fn heading(&self, inner: &str) -> String;
}

/// The blocks of a document, one string each, to be joined by blank lines.
pub fn blocks(elements: &[Element], markup: &impl Markup) -> Vec<String> {
    let mut out = Vec::new();
    for element in elements {
        block(element, markup, &mut out, 0);
    }
    out
}

fn block(element: &Element, m: &impl Markup, out: &mut Vec<String>, depth: usize) {
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
                        block(child, m, &mut inner, depth + 1);
                    } else {
                        let mut s = String::new();
                        inline(child, m, &mut s);
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
        Node::CodeBlock { lang } => {
            let code: String = element
                .children
                .iter()
                .filter_map(|c| match &c.node {
                    Node::Text(t) | Node::Code(t) => Some(t.as_str()),
                    _ => None,
                })
                .collect();
            let code = code.trim_end_matches('\n');
            if !code.trim().is_empty() {
                out.push(m.code_block(lang.as_deref(), code));
            }
        }
        Node::Heading(_) => {
            let s = inline_children(element, m);
            if !s.is_empty() {
                out.push(m.heading(&s));
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
                    block(child, m, out, depth);
                }
            } else {
                let s = inline_children(element, m);
                if !s.is_empty() {
                    out.push(s);
                }
            }
        }
        _ => {
            let mut s = String::new();
            inline(element, m, &mut s);
            if !s.trim().is_empty() {
                out.push(s.trim().to_string());
            }
        }
    }
}

fn inline_children(element: &Element, m: &impl Markup) -> String {
    let mut s = String::new();
    for child in &element.children {
        inline(child, m, &mut s);
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

fn inline(element: &Element, m: &impl Markup, out: &mut String) {
    match &element.node {
        Node::Text(t) => out.push_str(&m.text(t)),
        Node::Code(t) => out.push_str(&m.code(t)),
        Node::SoftBreak => out.push(' '),
        Node::HardBreak => out.push('\n'),
        Node::Html(_) | Node::Image { .. } => {}
        Node::Strong | Node::Emphasis | Node::Strikethrough => {
            let mut inner = String::new();
            for child in &element.children {
                inline(child, m, &mut inner);
            }
            if !inner.is_empty() {
                out.push_str(&m.wrap(&element.node, &inner));
            }
        }
        Node::Link { dest } => {
            let mut label = String::new();
            for child in &element.children {
                inline(child, m, &mut label);
            }
            out.push_str(&m.link(dest, &label));
        }
        Node::TableCell => {
            for child in &element.children {
                inline(child, m, out);
            }
            out.push_str(" | ");
        }
        _ => {
            for child in &element.children {
                inline(child, m, out);
            }
        }
    }
}
