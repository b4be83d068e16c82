//! Slack: the post in mrkdwn, built from the Markdown tree: `*bold*`,
//! `_italic_`, `~strike~`, `` `code` ``, fenced code blocks, links as
//! `<url|text>`, lists as lines with "• " (or "1. "), headings as bold lines,
//! raw HTML and images dropped. Text escapes `&`, `<`, `>` (the only escapes
//! Slack has; they also keep `<!channel>` and `<@U…>` from pinging anyone).
//! A content warning becomes a first line `CW: …`; link and hashtags are
//! appended as in [`super::plain`].

use super::markup::{self, Markup};
use super::{Rendered, plain, social};
use crate::content::Post;
use crate::content::doc::Node;

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
    blocks.extend(markup::blocks(&post.doc.blocks, &Mrkdwn));
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

/// Slack's mrkdwn.
struct Mrkdwn;

impl Markup for Mrkdwn {
    fn text(&self, text: &str) -> String {
        escape(text)
    }

    fn code(&self, code: &str) -> String {
        format!("`{}`", escape(code))
    }

    fn wrap(&self, node: &Node, inner: &str) -> String {
        let mark = match node {
            Node::Strong => "*",
            Node::Emphasis => "_",
            _ => "~",
        };
        format!("{mark}{inner}{mark}")
    }

    fn link(&self, dest: &str, label: &str) -> String {
        if !safe_link(dest) {
            label.to_string()
        } else if label.is_empty() {
            format!("<{}>", link_url(dest))
        } else {
            format!("<{}|{label}>", link_url(dest))
        }
    }

    fn code_block(&self, _lang: Option<&str>, code: &str) -> String {
        format!("```\n{}\n```", escape(code))
    }

    fn heading(&self, inner: &str) -> String {
        format!("*{inner}*")
    }
}

fn safe_link(dest: &str) -> bool {
    let lower = dest.trim().to_ascii_lowercase();
    ["https://", "http://", "mailto:"]
        .iter()
        .any(|scheme| lower.starts_with(scheme))
}
