//! The body of a post as a small tree built from pulldown-cmark events. Every
//! element keeps its byte range in the post file, so that a check can point a
//! writer at the exact word, and every renderer walks the same tree.
//!
//! The tree is at most [`MAX_DEPTH`] elements deep: renderers and rules walk
//! it recursively, and a few kilobytes of `>>>>…` would otherwise nest
//! thousands of levels and overflow the stack (dropping such a tree recurses
//! too). Deeper elements are left out and [`Doc::too_deep`] says where they
//! start; `content/too-deep` then holds the post.

use pulldown_cmark::{CodeBlockKind, Event, HeadingLevel, OffsetIter, Options, Parser, Tag};
use std::ops::Range;

/// How deep elements may nest (block quotes, lists, items, emphasis, links …
/// each count one). Real posts need a handful of levels.
pub const MAX_DEPTH: usize = 100;

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
    /// Byte offset in the file of the first element nested deeper than
    /// [`MAX_DEPTH`]; such elements (and all they contain) are not in `blocks`.
    pub too_deep: Option<usize>,
}

/// pulldown-cmark's events for `body` with the elements deeper than
/// [`MAX_DEPTH`] left out (Start, content and End alike, so what remains is
/// balanced). The one way healthcast reads Markdown, for the tree and for HTML.
///
/// A line that opens more than [`MAX_DEPTH`] block quotes or list items at
/// once is not given to pulldown-cmark at all (no events): its block parser
/// rescans every open container on each later line, so 500 KB of `>` followed
/// by lines of text takes minutes. Such a body is too deep anyway.
pub fn events(body: &str) -> Events<'_> {
    let too_deep = too_many_containers(body);
    Events {
        inner: too_deep
            .is_none()
            .then(|| Parser::new_ext(body, options()).into_offset_iter()),
        depth: 0,
        skipping: 0,
        too_deep,
    }
}

/// The byte offset of the first line whose prefix of container markers
/// (`>`, `-`, `+`, `*`, `1.`, `1)` each followed by a blank) is longer than
/// [`MAX_DEPTH`]. A line of only `-`, `*` or `_` after its `>`s is a
/// thematic break, not lists.
fn too_many_containers(body: &str) -> Option<usize> {
    let mut offset = 0;
    for line in body.split_inclusive('\n') {
        let b = line.as_bytes();
        let blank = |i: usize| matches!(b.get(i), Some(b' ' | b'\t' | b'\r' | b'\n') | None);
        let (mut i, mut quotes, mut items) = (0, 0, 0);
        // Where the marker that passed the bound starts.
        let mut past = 0;
        while i < b.len() && quotes + items <= MAX_DEPTH {
            past = i;
            match b[i] {
                b' ' | b'\t' => i += 1,
                b'>' => {
                    quotes += 1;
                    i += 1;
                }
                b'-' | b'+' | b'*' if blank(i + 1) => {
                    items += 1;
                    i += 2;
                }
                b'0'..=b'9' => {
                    let digits = b[i..].iter().take_while(|c| c.is_ascii_digit()).count();
                    let at = i + digits;
                    if digits > 9 || !matches!(b.get(at), Some(b'.' | b')')) || !blank(at + 1) {
                        break;
                    }
                    items += 1;
                    i = at + 2;
                }
                _ => break,
            }
        }
        let rest = line.trim_start_matches(['>', ' ', '\t']);
        let rule = rest.trim().len() >= 3 && rest.trim().bytes().all(|c| b"-*_ \t".contains(&c));
        if quotes > MAX_DEPTH || (quotes + items > MAX_DEPTH && !rule) {
            return Some(offset + past);
        }
        offset += line.len();
    }
    None
}

pub struct Events<'a> {
    /// `None` when the body is too deep to parse at all.
    inner: Option<OffsetIter<'a>>,
    /// Elements open and kept.
    depth: usize,
    /// Elements open and left out: their events are skipped until they close.
    skipping: usize,
    /// Byte offset in the body of the first element left out.
    pub too_deep: Option<usize>,
}

impl<'a> Iterator for Events<'a> {
    type Item = (Event<'a>, Range<usize>);

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            let (event, range) = self.inner.as_mut()?.next()?;
            match event {
                Event::Start(_) if self.skipping > 0 || self.depth >= MAX_DEPTH => {
                    self.skipping += 1;
                    self.too_deep.get_or_insert(range.start);
                    continue;
                }
                Event::Start(_) => self.depth += 1,
                Event::End(_) if self.skipping > 0 => {
                    self.skipping -= 1;
                    continue;
                }
                Event::End(_) => self.depth = self.depth.saturating_sub(1),
                _ if self.skipping > 0 => continue,
                _ => {}
            }
            return Some((event, range));
        }
    }
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
        let mut events = events(body);
        for (event, range) in &mut events {
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
                Event::End(_) => {
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
            too_deep: events.too_deep.map(|at| at + offset),
        }
    }

    /// Every element in document order (parents before their children),
    /// without recursion.
    pub fn elements(&self) -> impl Iterator<Item = &Element> {
        let mut stack = vec![self.blocks.iter()];
        std::iter::from_fn(move || {
            loop {
                let next = stack.last_mut()?.next();
                match next {
                    Some(element) => {
                        stack.push(element.children.iter());
                        return Some(element);
                    }
                    None => {
                        stack.pop();
                    }
                }
            }
        })
    }

    /// Every text leaf in document order, with its span: what checks read.
    pub fn texts(&self) -> Vec<(&str, Range<usize>)> {
        self.elements()
            .filter_map(|e| match &e.node {
                Node::Text(t) | Node::Code(t) => Some((t.as_str(), e.span.clone())),
                _ => None,
            })
            .collect()
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
    fn a_line_opening_too_many_containers_is_not_parsed() {
        let deep = format!("Fine.\n\n{} x\n{}", "> - ".repeat(60), "lazy\n".repeat(100));
        let at = too_many_containers(&deep).unwrap();
        assert_eq!(at, 7 + 50 * 4, "the 101st marker");
        let doc = Doc::parse(&deep, 10);
        assert_eq!((doc.blocks.len(), doc.too_deep), (0, Some(at + 10)));
        for shallow in [
            format!("{} x\n", ">".repeat(MAX_DEPTH)),
            format!("{}\n", "- ".repeat(500)),
            format!("> > {}\n", "* ".repeat(500)),
            format!("{}\n", "1.".repeat(500)),
        ] {
            assert_eq!(too_many_containers(&shallow), None, "{shallow}");
        }
        assert!(too_many_containers(&format!("{}\n", ">".repeat(MAX_DEPTH + 1))).is_some());
        assert!(too_many_containers(&format!("{} x\n", "1) ".repeat(MAX_DEPTH + 1))).is_some());
    }

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
