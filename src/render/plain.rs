//! Plain text for social networks: emphasis dropped, list items on their own
//! lines with bullets, links as "text (url)", headings as plain lines, raw
//! HTML dropped, hashtags from the front matter appended.

use crate::content::Post;
use crate::content::doc::{Element, Node};

/// The post as plain text for `platform`; `overrides.<platform>.text` is
/// used verbatim when the writer gave one.
pub fn text(post: &Post, platform: &str) -> String {
    if let Some(text) = post
        .meta
        .overrides
        .get(platform)
        .and_then(|o| o.text.clone())
    {
        return text;
    }
    let mut out = body(post);
    if let Some(link) = &post.meta.link
        && !out.contains(link.as_str())
    {
        out.push_str("\n\n");
        out.push_str(link);
    }
    if !post.meta.hashtags.is_empty() {
        let tags: Vec<String> = post
            .meta
            .hashtags
            .iter()
            .map(|h| format!("#{}", h.trim_start_matches('#')))
            .collect();
        out.push_str("\n\n");
        out.push_str(&tags.join(" "));
    }
    out
}

/// The body alone as plain text: what readers read, and what readability
/// is measured on.
pub fn body(post: &Post) -> String {
    let mut blocks = Vec::new();
    for block in &post.doc.blocks {
        block_text(block, &mut blocks, 0);
    }
    blocks.join("\n\n")
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
        Node::CodeBlock { .. }
        | Node::Paragraph
        | Node::Heading(_)
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
                let mut s = String::new();
                for child in &element.children {
                    inline_text(child, &mut s);
                }
                let s = s.trim().to_string();
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

fn inline_text(element: &Element, out: &mut String) {
    match &element.node {
        Node::Text(t) | Node::Code(t) => out.push_str(t),
        Node::SoftBreak => out.push(' '),
        Node::HardBreak => out.push('\n'),
        Node::Html(_) | Node::Image { .. } => {}
        Node::Link { dest } => {
            let mut label = String::new();
            for child in &element.children {
                inline_text(child, &mut label);
            }
            if label.is_empty() || label == *dest || dest.trim_start_matches("mailto:") == label {
                out.push_str(&label_or(dest, &label));
            } else {
                out.push_str(&format!("{label} ({dest})"));
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

fn label_or(dest: &str, label: &str) -> String {
    if label.is_empty() {
        dest.to_string()
    } else {
        label.to_string()
    }
}

#[cfg(test)]
mod tests {
    use crate::content::parse;

    fn render(front: &str, body: &str) -> String {
        let post = parse(
            "content/t.md",
            &format!("---\ntitle: T\n{front}---\n{body}"),
        )
        .unwrap();
        super::text(&post, "feed")
    }

    #[test]
    fn emphasis_is_dropped_and_lists_get_bullets() {
        assert_eq!(
            render(
                "",
                "# Heading\n\nEat **more** _greens_.\n\n- one\n- two\n\n1. first\n2. second\n"
            ),
            "Heading\n\nEat more greens.\n\n• one\n• two\n\n1. first\n2. second"
        );
    }

    #[test]
    fn links_show_their_url_and_raw_html_is_dropped() {
        assert_eq!(
            render(
                "",
                "See [the CDC](https://www.cdc.gov) or <https://who.int>.\n\n<div>x</div>\n"
            ),
            "See the CDC (https://www.cdc.gov) or https://who.int."
        );
    }

    #[test]
    fn link_and_hashtags_are_appended() {
        assert_eq!(
            render(
                "link: https://a.example/x\nhashtags: [FluSeason, \"#Health\"]\n",
                "Get a shot.\n"
            ),
            "Get a shot.\n\nhttps://a.example/x\n\n#FluSeason #Health"
        );
    }
}
