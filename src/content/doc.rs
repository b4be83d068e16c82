//! The body of a post as a small tree built from pulldown-cmark events. Every
//! element keeps its byte range in the post file, so that a check can point a
//! writer at the exact word, and every renderer walks the same tree.

use pulldown_cmark::{CodeBlockKind, Event, HeadingLevel, Options, Parser, Tag, TagEnd};
use std::ops::Range;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Node {
    Paragraph,
    Heading(u8),
    /// A list; `Some(n)` for an ordered list starting at `n`.
    List(Option<u64>),
    Item,
    BlockQuote,
    CodeBlock {
        lang: Option<String>,
    },
    /// Raw HTML written in the post. Renderers drop or sanitize it.
    Html(String),
    Rule,
    Table,
    TableRow,
    TableCell,
    Text(String),
    Code(String),
    Emphasis,
    Strong,
    Strikethrough,
    Link {
        dest: String,
    },
    Image {
        dest: String,
    },
    SoftBreak,
    HardBreak,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Element {
    pub node: Node,
    /// Byte range in the post file (not just the body).
    pub span: Range<usize>,
    pub children: Vec<Element>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Doc {
    pub blocks: Vec<Element>,
}

/// The Markdown extensions healthcast accepts; the same set is used for HTML.
pub fn options() -> Options {
    Options::ENABLE_STRIKETHROUGH | Options::ENABLE_TABLES | Options::ENABLE_SMART_PUNCTUATION
}

impl Doc {
    /// Parses `body`, which starts at byte `offset` of its file.
    pub fn parse(body: &str, offset: usize) -> Doc {
        // The root collects top-level blocks; the stack holds open elements.
        let mut stack: Vec<Element> = vec![Element {
            node: Node::Paragraph,
            span: 0..0,
            children: Vec::new(),
        }];
        let shift = |r: Range<usize>| r.start + offset..r.end + offset;
        for (event, range) in Parser::new_ext(body, options()).into_offset_iter() {
            let span = shift(range);
            let leaf = |node| Element {
                node,
                span: span.clone(),
                children: Vec::new(),
            };
            match event {
                Event::Start(tag) => stack.push(Element {
                    node: node_for(tag),
                    span,
                    children: Vec::new(),
                }),
                Event::End(TagEnd::TableHead) | Event::End(_) => {
                    // Invariant: pulldown-cmark balances Start and End events,
                    // and the root is never popped.
                    if stack.len() > 1 {
                        let done = stack.pop().unwrap_or_else(|| unreachable!());
                        push(&mut stack, done);
                    }
                }
                Event::Text(text) => push(&mut stack, leaf(Node::Text(text.into_string()))),
                Event::Code(code) => push(&mut stack, leaf(Node::Code(code.into_string()))),
                Event::Html(html) | Event::InlineHtml(html) => {
                    push(&mut stack, leaf(Node::Html(html.into_string())))
                }
                Event::SoftBreak => push(&mut stack, leaf(Node::SoftBreak)),
                Event::HardBreak => push(&mut stack, leaf(Node::HardBreak)),
                Event::Rule => push(&mut stack, leaf(Node::Rule)),
                Event::TaskListMarker(done) => push(
                    &mut stack,
                    leaf(Node::Text(if done { "[x] " } else { "[ ] " }.into())),
                ),
                Event::FootnoteReference(_) | Event::InlineMath(_) | Event::DisplayMath(_) => {}
            }
        }
        let root = stack.swap_remove(0);
        Doc {
            blocks: root.children,
        }
    }

    /// Every text leaf in document order, with its span: what checks read.
    pub fn texts(&self) -> Vec<(&str, Range<usize>)> {
        let mut out = Vec::new();
        fn walk<'a>(elements: &'a [Element], out: &mut Vec<(&'a str, Range<usize>)>) {
            for e in elements {
                if let Node::Text(t) | Node::Code(t) = &e.node {
                    out.push((t.as_str(), e.span.clone()));
                }
                walk(&e.children, out);
            }
        }
        walk(&self.blocks, &mut out);
        out
    }
}

fn push(stack: &mut [Element], element: Element) {
    // Invariant: the stack always holds at least the root.
    if let Some(parent) = stack.last_mut() {
        parent.children.push(element);
    }
}

fn node_for(tag: Tag<'_>) -> Node {
    match tag {
        Tag::Paragraph => Node::Paragraph,
        Tag::Heading { level, .. } => Node::Heading(heading_level(level)),
        Tag::BlockQuote(_) => Node::BlockQuote,
        Tag::CodeBlock(CodeBlockKind::Fenced(lang)) if !lang.is_empty() => Node::CodeBlock {
            lang: Some(lang.into_string()),
        },
        Tag::CodeBlock(_) => Node::CodeBlock { lang: None },
        Tag::HtmlBlock => Node::Html(String::new()),
        Tag::List(start) => Node::List(start),
        Tag::Item => Node::Item,
        Tag::Table(_) => Node::Table,
        Tag::TableHead | Tag::TableRow => Node::TableRow,
        Tag::TableCell => Node::TableCell,
        Tag::Emphasis => Node::Emphasis,
        Tag::Strong => Node::Strong,
        Tag::Strikethrough => Node::Strikethrough,
        Tag::Link { dest_url, .. } => Node::Link {
            dest: dest_url.into_string(),
        },
        Tag::Image { dest_url, .. } => Node::Image {
            dest: dest_url.into_string(),
        },
        // Extensions not enabled in `options()`; kept as plain containers.
        _ => Node::Paragraph,
    }
}

fn heading_level(level: HeadingLevel) -> u8 {
    match level {
        HeadingLevel::H1 => 1,
        HeadingLevel::H2 => 2,
        HeadingLevel::H3 => 3,
        HeadingLevel::H4 => 4,
        HeadingLevel::H5 => 5,
        HeadingLevel::H6 => 6,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_point_into_the_whole_file() {
        let file = "---\ntitle: a\n---\nEat **more** greens.\n";
        let offset = file.find("Eat").unwrap();
        let doc = Doc::parse(&file[offset..], offset);
        let texts = doc.texts();
        assert_eq!(texts[1].0, "more");
        assert_eq!(&file[texts[1].1.clone()], "more");
        assert!(matches!(doc.blocks[0].node, Node::Paragraph));
        assert!(matches!(doc.blocks[0].children[1].node, Node::Strong));
    }

    #[test]
    fn links_lists_and_raw_html_become_elements() {
        let body = "- one\n- [two](https://example.org)\n\n<script>x</script>\n";
        let doc = Doc::parse(body, 0);
        assert!(matches!(doc.blocks[0].node, Node::List(None)));
        let second = &doc.blocks[0].children[1];
        let link = &second.children[0];
        assert_eq!(
            link.node,
            Node::Link {
                dest: "https://example.org".into()
            }
        );
        assert!(matches!(doc.blocks[1].node, Node::Html(_)));
    }
}
