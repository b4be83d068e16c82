//! Telegram: the post in Telegram's HTML subset (`parse_mode: "HTML"`), built
//! from the Markdown tree. Only the tags every client shows are used: `b`,
//! `i`, `s`, `a href`, `code`, `pre`; lists become lines with "• " (or
//! "1. "), headings bold lines, raw HTML and images are dropped. Text escapes
//! `&`, `<`, `>`; attributes also `"`. The link and hashtags are appended as
//! in [`super::plain`], and a content warning becomes a first line
//! `CW: …`, since Telegram has no warning field.
//!
//! Telegram's limit (4096) applies to the text after entity parsing — what a
//! reader sees, tags gone and entities decoded — so that is what is counted,
//! in UTF-16 code units (Telegram's own unit for entity offsets; never less
//! than the number of characters, so a post that passes here fits there).
//! A thread (`thread: true` on a post that is too long) is split from the
//! visible text, and its parts are sent without formatting.

use super::markup::{self, Markup};
use super::{Rendered, plain, thread};
use crate::content::Post;
use crate::content::doc::Node;

pub const LIMIT: usize = 4096;

/// The post as Telegram messages: `text` is what readers see, `html` the
/// whole message as sent, `parts` the HTML of each message to send.
pub fn render(post: &Post) -> Rendered {
    let html = html(post);
    let text = visible(&html);
    let length = count(&text);
    let parts = if length > LIMIT && post.meta.thread {
        thread::split(&text, LIMIT, count)
            .iter()
            .map(|p| escape(p))
            .collect()
    } else {
        vec![html.clone()]
    };
    let length = if parts.len() > 1 {
        parts.iter().map(|p| count(&visible(p))).max().unwrap_or(0)
    } else {
        length
    };
    Rendered {
        text,
        length,
        limit: Some(LIMIT),
        html: Some(html),
        parts,
    }
}

/// Length as Telegram counts it: UTF-16 code units of the visible text.
pub fn count(text: &str) -> usize {
    text.encode_utf16().count()
}

/// The whole message in Telegram HTML: warning line, body, link, hashtags.
/// `overrides.telegram.text` is taken verbatim as plain text (escaped).
pub fn html(post: &Post) -> String {
    let mut blocks = Vec::new();
    if let Some(warning) = &post.meta.content_warning {
        blocks.push(format!("CW: {}", escape(warning.trim())));
    }
    if let Some(text) = post
        .meta
        .overrides
        .get("telegram")
        .and_then(|o| o.text.as_deref())
    {
        blocks.push(escape(text));
        return blocks.join("\n\n");
    }
    blocks.extend(markup::blocks(&post.doc.blocks, &TelegramHtml));
    let body = blocks.join("\n\n");
    let mut out = body.clone();
    if let Some(link) = &post.meta.link
        && !body.contains(&escape_attr(link))
        && !plain::body(post).contains(link.as_str())
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

/// Escapes text for Telegram HTML.
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

/// Escapes an attribute value (always written in double quotes).
pub fn escape_attr(text: &str) -> String {
    escape(text).replace('"', "&quot;")
}

/// What Telegram shows for `html` as produced here: tags removed, the four
/// entities decoded.
pub fn visible(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut in_tag = false;
    for c in html.chars() {
        match (in_tag, c) {
            (false, '<') => in_tag = true,
            (true, '>') => in_tag = false,
            (false, _) => out.push(c),
            (true, _) => {}
        }
    }
    out.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&amp;", "&")
}

/// Telegram's HTML subset.
struct TelegramHtml;

impl Markup for TelegramHtml {
    fn text(&self, text: &str) -> String {
        escape(text)
    }

    fn code(&self, code: &str) -> String {
        format!("<code>{}</code>", escape(code))
    }

    fn wrap(&self, node: &Node, inner: &str) -> String {
        let tag = match node {
            Node::Strong => "b",
            Node::Emphasis => "i",
            _ => "s",
        };
        format!("<{tag}>{inner}</{tag}>")
    }

    fn link(&self, dest: &str, label: &str) -> String {
        if !safe_link(dest) {
            // Only web, mail and Telegram links become links.
            label.to_string()
        } else if label.is_empty() {
            escape(dest)
        } else {
            format!("<a href=\"{}\">{label}</a>", escape_attr(dest))
        }
    }

    fn code_block(&self, lang: Option<&str>, code: &str) -> String {
        let code = escape(code);
        match lang {
            Some(lang) => format!(
                "<pre><code class=\"language-{}\">{code}</code></pre>",
                escape_attr(lang)
            ),
            None => format!("<pre>{code}</pre>"),
        }
    }

    fn heading(&self, inner: &str) -> String {
        format!("<b>{inner}</b>")
    }
}

fn safe_link(dest: &str) -> bool {
    let lower = dest.trim().to_ascii_lowercase();
    ["https://", "http://", "mailto:", "tg://"]
        .iter()
        .any(|scheme| lower.starts_with(scheme))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::content::parse;

    fn post(front: &str, body: &str) -> Post {
        parse(
            "content/t.md",
            &format!("---\ntitle: T\n{front}---\n{body}"),
        )
        .unwrap()
    }

    #[test]
    fn markdown_becomes_the_html_subset() {
        let p = post(
            "",
            "# Flu\n\nEat **more** _greens_, ~~less~~ `salt`.\n\n- one\n- [two](https://a.example/?x=1&y=\"2\")\n\n1. first\n2. second\n\n```sh\na < b\n```\n",
        );
        assert_eq!(
            html(&p),
            "<b>Flu</b>\n\nEat <b>more</b> <i>greens</i>, <s>less</s> <code>salt</code>.\n\n• one\n• <a href=\"https://a.example/?x=1&amp;y=&quot;2&quot;\">two</a>\n\n1. first\n2. second\n\n<pre><code class=\"language-sh\">a &lt; b</code></pre>"
        );
    }

    #[test]
    fn visible_text_is_what_is_counted() {
        let p = post("", "**a** &amp; <b>x</b> a < b\n");
        let r = render(&p);
        assert_eq!(r.text, "a & x a < b");
        assert_eq!(r.length, 11);
    }

    #[test]
    fn unsafe_links_keep_only_their_label() {
        let p = post("", "[click](javascript:alert(1))\n");
        assert_eq!(html(&p), "click");
    }

    #[test]
    fn a_long_thread_is_split_on_the_visible_text_and_escaped() {
        let body = "Wash hands & dry them, 1 < 2. ".repeat(300);
        let r = render(&post("thread: true\n", &body));
        assert!(r.parts.len() > 1);
        assert!(!r.too_long());
        assert!(r.parts.iter().all(|p| count(&visible(p)) <= LIMIT));
        assert!(r.parts[0].contains("hands &amp; dry them, 1 &lt; 2."));
    }
}
