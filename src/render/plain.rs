//! Plain text for social networks: emphasis dropped, list items on their own
//! lines with bullets, links as "text (url)", headings as plain lines, raw
//! HTML dropped, hashtags from the front matter appended.

use super::markup::{self, Markup};
use crate::content::Post;
use crate::content::doc::Node;

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
    markup::blocks(&post.doc.blocks, &Plain).join("\n\n")
}

/// Plain text: no markup, links as "text (url)".
struct Plain;

impl Markup for Plain {
    fn text(&self, text: &str) -> String {
        text.to_string()
    }

    fn code(&self, code: &str) -> String {
        code.to_string()
    }

    fn wrap(&self, _node: &Node, inner: &str) -> String {
        inner.to_string()
    }

    fn link(&self, dest: &str, label: &str) -> String {
        if label.is_empty() {
            dest.to_string()
        } else if label == dest || dest.trim_start_matches("mailto:") == label {
            label.to_string()
        } else {
            format!("{label} ({dest})")
        }
    }

    fn code_block(&self, _lang: Option<&str>, code: &str) -> String {
        code.trim().to_string()
    }

    fn heading(&self, inner: &str) -> String {
        inner.to_string()
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
